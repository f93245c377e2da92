#include "delivery/record.h"

#include <unistd.h>

#include <map>

#include "core/file.h"
#include "core/hash.h"
#include "delivery/dora.h"
#include "delivery/webhooks.h"

namespace tollgate::delivery {
namespace {

Result<Millis> TimeOrNow(const std::string& text, TimePoint now) {
  if (text.empty()) return ToMillis(now);
  auto t = ParseTime(text);
  if (!t) return Fail(t.error().WithContext("--time"));
  return *t;
}

}  // namespace

Result<Event> MakeDeploy(const DeployInput& in, TimePoint now) {
  if (in.status != "success" && in.status != "failure")
    return Fail(Error::Input("--status \"" + in.status + "\": expected success or failure"));
  Event e;
  e.kind = Event::Kind::kDeploy;
  auto& d = e.deploy;
  d.service = in.service;
  d.env = in.env;
  d.commit = in.commit;
  d.success = in.status == "success";
  auto t = TimeOrNow(in.time, now);
  if (!t) return Fail(t.error());
  d.time = *t;
  if (!in.changes.empty()) {
    std::vector<Change> changes;
    for (const auto& c : in.changes) {
      auto at = c.find('@');
      if (at == std::string::npos || at == 0) return Fail(Error::Input("--change \"" + c + "\": expected SHA@RFC3339"));
      auto ct = ParseTime(c.substr(at + 1));
      if (!ct) return Fail(ct.error().WithContext("--change \"" + c + "\""));
      if (*ct > d.time) return Fail(Error::Input("--change \"" + c + "\": the commit is later than the deploy"));
      changes.push_back({c.substr(0, at), *ct});
    }
    d.changes = std::move(changes);
  }
  // A stable id from what identifies the deploy, unless given.
  d.id = in.id.empty()
             ? "deploy-" + HexEncode(Sha256(d.service + '\n' + d.env + '\n' + d.commit + '\n' + FormatTime(d.time))).substr(0, 16)
             : in.id;
  return e;
}

Result<Event> MakeIncident(bool open, const std::string& service, const std::string& id, const std::string& caused_by,
                           const std::string& time, TimePoint now) {
  Event e;
  e.kind = Event::Kind::kIncident;
  auto& i = e.incident;
  i.open = open;
  i.id = id;
  i.service = service;
  i.caused_by = caused_by;
  auto t = TimeOrNow(time, now);
  if (!t) return Fail(t.error());
  i.time = *t;
  return e;
}

Result<Event> MakeChange(const std::string& service, const std::string& commit, const std::string& ref,
                         const std::string& time, TimePoint now) {
  Event e;
  e.kind = Event::Kind::kChange;
  e.change.service = service;
  e.change.commit = commit;
  e.change.ref = ref;
  auto t = TimeOrNow(time, now);
  if (!t) return Fail(t.error());
  e.change.time = *t;
  return e;
}

Result<std::string> LoadWebhookSecret(const std::string& path) {
  auto secret = ReadFileBounded(path, 64 * 1024, "webhook secret");
  if (!secret) return Fail(secret.error());
  std::string s = std::move(*secret);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return Fail(Error::Input(path + ": the webhook secret is empty (an HMAC with an empty key proves nothing)"));
  return s;
}

Status AuthenticateDelivery(ImportFormat format, const std::optional<std::string>& secret,
                            const WebhookCredentials& cred, std::string_view body, std::int64_t now_seconds) {
  if (!secret) {
    if (cred.signature) return Fail(Error::Input("--signature needs --secret-file (the webhook secret)"));
    return Ok();
  }
  if (format != ImportFormat::kGithub && format != ImportFormat::kGitlab && format != ImportFormat::kPagerDuty)
    return Fail(Error::Input("a webhook secret applies to --format github, gitlab or pagerduty"));
  if (secret->empty()) return Fail(Error::Input("the webhook secret is empty"));
  if (!cred.signature) return Fail(Error::Input("refused: a webhook secret is configured but the delivery carries no signature"));
  if (cred.signature->empty()) return Fail(Error::Input("refused: the delivery's signature is empty"));
  switch (format) {
    case ImportFormat::kGithub: return VerifyGithubSignature(*secret, body, *cred.signature);
    case ImportFormat::kPagerDuty: return VerifyPagerDutySignature(*secret, body, *cred.signature);
    case ImportFormat::kGitlab:
      if (!cred.webhook_id.empty() || !cred.webhook_timestamp.empty())
        return VerifyStandardWebhook(*secret, cred.webhook_id, cred.webhook_timestamp, body, *cred.signature, now_seconds);
      return VerifyGitlabToken(*secret, *cred.signature);
    default: break;
  }
  return Fail(Error::Internal("unreachable webhook format"));
}

namespace {

class ListSource : public EventSource {
 public:
  ListSource(std::vector<Event> events, const std::vector<std::string>& wheres)
      : events_(std::move(events)), wheres_(wheres) {}
  Result<bool> Next(Event& event, std::string& where) override {
    if (next_ >= events_.size()) return false;
    event = std::move(events_[next_]);
    where = wheres_[next_];
    ++next_;
    return true;
  }

 private:
  std::vector<Event> events_;
  const std::vector<std::string>& wheres_;
  std::size_t next_ = 0;
};

// Incidents of services no deploy names yet: reports skip them until one
// does. Counted per service, named once each.
struct UnknownServices {
  std::map<std::string, std::pair<std::string, std::size_t>> by_service;  // service -> (first where, count)
  void Note(const Event& e, const std::string& where) {
    if (e.kind != Event::Kind::kIncident || by_service.size() > 100) return;
    auto& [first, count] = by_service[e.incident.service];
    if (count++ == 0) first = where;
  }
  Status Report(const EventLog& log, std::vector<std::string>& notes) const {
    for (const auto& [service, seen] : by_service) {
      auto known = log.IsService(service);
      if (!known) return Fail(known.error());
      if (*known) continue;
      notes.push_back(seen.first + ": no deploy of service \"" + service + "\" is recorded (" +
                      std::to_string(seen.second) + " incident event" + (seen.second == 1 ? "" : "s") +
                      "): reports skip its incidents until one is; a pager's service name can be mapped with --service");
    }
    return Ok();
  }
};

Error NoEvents(const std::string& path) { return Error::Input(path + ": no events (an empty file records nothing)"); }

// The commits a deploy of `to` at `time` ships according to git, since `from`;
// none may be later than the deploy.
Result<std::optional<std::vector<Change>>> GitChanges(const RecordOptions& options, const std::optional<std::string>& from,
                                                      const std::string& to, Millis time, const std::string& where) {
  auto changes = ChangesFromGit(options.repo, from, to, options.paths);
  if (!changes) return Fail(changes.error().WithContext(where));
  if (*changes)
    for (const auto& c : **changes)
      if (c.time > time)
        return Fail(Error::Input(where + ": commit " + c.commit + " (" + FormatTime(c.time) +
                                 ") is later than the deploy (" + FormatTime(time) + ")"));
  return changes;
}

}  // namespace

namespace {

// Events read once, kept to be checked again if the write transaction is
// redone (only when the ledger started empty: see RecordFrom).
struct Kept {
  static constexpr std::size_t kMaxEvents = 10000;  // beyond this, memory matters more than the rare race
  std::vector<Event> events;
  std::vector<std::string> wheres;
  std::vector<std::string> notes;
  bool overflow = false;
};

// Checks each event `source` yields against the ledger's history and the
// events before it, and hands each one to `emit`, which appends it. Runs
// under the ledger's write lock (Ledger::AppendStream). The history is read
// whole into a log of its own, or, with `warm`, only from warm->size on into
// warm->log (which then also holds this batch's events).
Status CheckBatch(ledger::Ledger& ledger, EventSource& source, const RecordOptions& options, Millis now,
                  RecordSummary& summary, Kept* kept, const ledger::Ledger::EmitFn& emit, WarmHistory* warm) {
  std::optional<EventLog> own;
  const bool git = !options.repo.empty();
  if (warm == nullptr) own.emplace(EventLog::Mode::kStrict);
  EventLog& log = warm == nullptr ? *own : *warm->log;
  if (warm == nullptr) {
    if (git) log.KeepCommits();
    TG_TRY(LoadEvents(ledger, log));
  } else {
    TG_TRY(LoadEvents(ledger, log, warm->size));
  }
  summary.history_problems = log.problems().size();
  Json entry;
  UnknownServices unknown;
  Event e;
  std::string where;
  for (;;) {
    auto got = source.Next(e, where);
    if (!got) return Fail(got.error());
    if (!*got) break;
    if (kept != nullptr && !kept->overflow) {
      if (kept->events.size() < Kept::kMaxEvents) {
        kept->events.push_back(e);
        kept->wheres.push_back(where);
      } else {
        kept->overflow = true;
        kept->events = {};
        kept->wheres = {};
      }
    }
    if (e.kind == Event::Kind::kDeploy && !e.deploy.changes && git) {
      // The commits since the previous successful deploy of the stream by
      // time, whatever order the deploys come in.
      auto prev = log.PreviousSuccess(e.deploy.service, e.deploy.env, e.deploy.time, e.deploy.id);
      if (!prev) return Fail(prev.error());
      auto changes = GitChanges(options, *prev ? std::optional<std::string>((*prev)->commit) : std::nullopt, e.deploy.commit,
                                e.deploy.time, where);
      if (!changes) return Fail(changes.error());
      e.deploy.changes = std::move(*changes);
    }
    auto added = log.Add(e, where, now);
    if (!added) return Fail(added.error());
    if (*added == Added::kDuplicate) {
      ++summary.duplicates;
      continue;
    }
    if (*added == Added::kRefined) ++summary.refined;
    unknown.Note(e, where);
    entry = ToJson(e);
    TG_TRY(emit(entry));
    if (git && e.kind == Event::Kind::kDeploy && e.deploy.success && *added == Added::kNew) {
      // A later successful deploy recorded with unknown changes because this
      // one was missing: git now bounds its range.
      auto found = log.NextSuccess(e.deploy.service, e.deploy.env, e.deploy.time, e.deploy.id);
      if (!found) return Fail(found.error());
      const auto& next = *found;
      if (next && !next->changes_known) {
        std::string next_where = where + " (changes of the later deploy \"" + next->id + "\")";
        auto changes = GitChanges(options, e.deploy.commit, next->commit, next->time, next_where);
        if (!changes) return Fail(changes.error());
        if (*changes) {
          Event refined;
          refined.kind = Event::Kind::kDeploy;
          refined.deploy = DeployEvent{next->id, e.deploy.service, e.deploy.env, next->commit, true, next->time,
                                       std::move(*changes), ""};
          auto r = log.Add(refined, next_where, now);
          if (!r) return Fail(r.error());
          if (*r == Added::kRefined) {
            ++summary.refined;
            entry = ToJson(refined);
            TG_TRY(emit(entry));
          }
        }
      }
    }
  }
  if (kept != nullptr) kept->notes = source.notes;
  for (auto& n : source.notes) summary.notes.push_back(std::move(n));
  source.notes.clear();
  return unknown.Report(log, summary.notes);
}

}  // namespace

static Result<RecordSummary> Record(ledger::Ledger& ledger, EventSource& source, const RecordOptions& options,
                                    const SignerKey* ledger_key, TimePoint now_tp, WarmHistory* warm) {
  // Check and append are one write transaction, so two imports racing on one
  // ledger cannot both pass their checks; each entry is written as soon as
  // it is checked, so memory does not grow with the batch. The transaction
  // is redone only if another writer created the ledger first; the events
  // read from `source` (which cannot be read twice) are then checked again
  // from a copy kept while the ledger was empty, for batches of up to
  // Kept::kMaxEvents (a larger one is refused then: nothing was written).
  RecordSummary summary;
  const Millis now = ToMillis(now_tp);
  Kept kept;
  int attempt = 0;
  std::uint64_t base = 0;  // committed entries when the batch was checked
  auto appended = ledger.AppendStream(
      [&](const ledger::Ledger::EmitFn& emit) -> Status {
        summary = RecordSummary{};
        auto size = ledger.Size();
        if (!size) return Fail(size.error());
        base = *size;
        if (warm != nullptr && (attempt > 0 || !warm->log || warm->size > *size)) {
          // A redone transaction left this batch's events in the log; a
          // shorter ledger is not the one the log reflects.
          warm->log = std::make_unique<EventLog>(EventLog::Mode::kStrict);
          warm->size = 0;
        }
        if (attempt++ == 0) return CheckBatch(ledger, source, options, now, summary, *size == 0 ? &kept : nullptr, emit, warm);
        if (kept.overflow)
          return Fail(Error::Input("another writer created the ledger while this batch was being recorded, and the "
                                   "batch is too large to check again: nothing was recorded; run it again"));
        ListSource again(kept.events, kept.wheres);
        again.notes = kept.notes;
        return CheckBatch(ledger, again, options, now, summary, nullptr, emit, warm);
      },
      ledger_key);
  if (warm != nullptr) {
    if (appended) {
      warm->size = base + appended->appended;
    } else {
      warm->log.reset();  // it may hold events that were not committed
      warm->size = 0;
    }
  }
  if (!appended) return Fail(appended.error());
  summary.recorded = appended->appended;
  summary.first_seq = appended->first_seq;
  summary.last_seq = appended->last_seq;
  return summary;
}

Result<RecordSummary> RecordFrom(ledger::Ledger& ledger, EventSource& source, const RecordOptions& options,
                                 const SignerKey* ledger_key, TimePoint now) {
  return Record(ledger, source, options, ledger_key, now, nullptr);
}

Result<RecordSummary> RecordEvents(ledger::Ledger& ledger, std::vector<Event> events,
                                   const std::vector<std::string>& wheres, const RecordOptions& options,
                                   const SignerKey* ledger_key, TimePoint now) {
  if (wheres.size() != events.size()) return Fail(Error::Internal("RecordEvents: one 'where' per event"));
  ListSource source(std::move(events), wheres);
  return Record(ledger, source, options, ledger_key, now, nullptr);
}

Result<RecordSummary> RecordEvents(ledger::Ledger& ledger, std::vector<Event> events,
                                   const std::vector<std::string>& wheres, const SignerKey* ledger_key, TimePoint now,
                                   WarmHistory& warm) {
  if (wheres.size() != events.size()) return Fail(Error::Internal("RecordEvents: one 'where' per event"));
  ListSource source(std::move(events), wheres);
  return Record(ledger, source, RecordOptions{}, ledger_key, now, &warm);
}

Result<ImportResult> ReadAuthenticated(const ImportRequest& request, TimePoint now) {
  const std::string& path = request.path;
  auto text = ReadFileBounded(path, kMaxPayloadFileBytes, "events");
  if (!text) return Fail(text.error());
  if (auto s = AuthenticateDelivery(request.import.format, request.secret, request.credentials, *text,
                                    ToMillis(now) / 1000);
      !s)
    return Fail(s.error().WithContext(path));
  auto read = ReadImportText(*text, path, request.import);
  if (!read) return Fail(read.error());
  if (read->events.empty() && !IsWebhookFormat(request.import.format)) return Fail(NoEvents(path));
  return read;
}

Result<RecordSummary> ImportFile(ledger::Ledger& ledger, const ImportRequest& request, const SignerKey* ledger_key,
                                 TimePoint now) {
  const std::string& path = request.path;
  if (IsWebhookFormat(request.import.format) || request.secret || request.credentials.signature) {
    auto read = ReadAuthenticated(request, now);
    if (!read) return Fail(read.error());
    ListSource source(std::move(read->events), read->wheres);
    source.notes = std::move(read->notes);
    return RecordFrom(ledger, source, request.record, ledger_key, now);
  }
  auto fd = OpenRegularFile(path, "events");
  if (!fd) return Fail(fd.error());
  struct Closer {
    int fd;
    ~Closer() {
      if (fd != STDIN_FILENO) ::close(fd);
    }
  } closer{*fd};
  auto source = OpenEventStream(*fd, path, request.import);
  if (!source) return Fail(source.error());
  // Counts what the source yields, so that a file without events is refused.
  struct Counting : EventSource {
    EventSource& inner;
    std::uint64_t events = 0;
    explicit Counting(EventSource& s) : inner(s) {}
    Result<bool> Next(Event& event, std::string& where) override {
      auto got = inner.Next(event, where);
      if (got && *got) ++events;
      if (got && !*got) notes = std::move(inner.notes);
      return got;
    }
  } counting(**source);
  auto summary = RecordFrom(ledger, counting, request.record, ledger_key, now);
  if (summary && counting.events == 0) return Fail(NoEvents(path));
  return summary;
}

}  // namespace tollgate::delivery
