// Delivery events: the ledger form, and the rules a new event must satisfy.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <unordered_set>

#include "core/hash.h"
#include "delivery/delivery.h"
#include "delivery/strict_index.h"
#include "delivery/string_table.h"

namespace tollgate::delivery {
namespace {

// Events may be stamped slightly ahead of our clock (clock skew between the
// CI runner and this host); more than this is an error.
constexpr Millis kFutureSkew = 5 * 60 * 1000;

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (s.size() > 80) out += "...";
  return out + "\"";
}

int Digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z": the form FormatTime writes.
std::optional<Millis> FastParse(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z')
    return std::nullopt;
  int y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2), h = Digits(s, 11, 2), mi = Digits(s, 14, 2),
      se = Digits(s, 17, 2);
  // Outside these years the general parser decides (it refuses what a
  // nanosecond clock cannot hold).
  if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
    return std::nullopt;
  int ms = 0;
  if (s.size() > 20) {
    if (s[19] != '.' || s.size() > 30 || s.size() == 21) return std::nullopt;
    int scale = 100;
    for (std::size_t i = 20; i + 1 < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      ms += (s[i] - '0') * scale;
      scale /= 10;
    }
  } else if (s.size() != 20) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return ((days * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + ms;
}

Result<std::string> StringMember(const Json& j, const char* name, const std::string& where, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return Fail(Error::Input(where + ": missing \"" + name + "\""));
    return std::string();
  }
  if (!it->is_string()) return Fail(Error::Input(where + ": \"" + name + "\" must be a string"));
  const auto& s = it->get_ref<const std::string&>();
  if (required && s.empty()) return Fail(Error::Input(where + ": \"" + name + "\" must not be empty"));
  if (s.size() > 256) return Fail(Error::Input(where + ": \"" + name + "\" is longer than 256 characters"));
  return s;
}

Result<Millis> TimeMember(const Json& j, const char* name, const std::string& where) {
  auto s = StringMember(j, name, where, true);
  if (!s) return Fail(s.error());
  auto t = ParseTime(*s);
  if (!t) return Fail(t.error().WithContext(where + ": \"" + name + "\""));
  return *t;
}

}  // namespace

Millis ToMillis(TimePoint t) {
  return std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
}

TimePoint FromMillis(Millis ms) { return TimePoint{std::chrono::milliseconds{ms}}; }

Result<Millis> ParseTime(std::string_view text) {
  if (auto fast = FastParse(text)) return *fast;
  auto t = ParseRfc3339(text);
  if (!t) return Fail(t.error());
  return ToMillis(*t);
}

std::string FormatTime(Millis ms) { return FormatRfc3339(FromMillis(ms), ms % 1000 != 0); }

Json ToJson(const DeployEvent& d) {
  Json j{{"type", "deploy"}, {"id", d.id},         {"service", d.service},
         {"env", d.env},     {"commit", d.commit}, {"status", d.success ? "success" : "failure"},
         {"time", FormatTime(d.time)}};
  if (d.changes) {
    Json a = Json::array();
    for (const auto& c : *d.changes) a.push_back(Json{{"commit", c.commit}, {"time", FormatTime(c.time)}});
    j["changes"] = std::move(a);
  }
  if (!d.source.empty()) j["source"] = d.source;
  return j;
}

Json ToJson(const IncidentEvent& i) {
  Json j{{"type", "incident"},     {"action", i.open ? "open" : "resolve"}, {"id", i.id},
         {"service", i.service}, {"time", FormatTime(i.time)}};
  if (!i.caused_by.empty()) j["caused_by"] = i.caused_by;
  if (!i.source.empty()) j["source"] = i.source;
  return j;
}

Json ToJson(const ChangeEvent& c) {
  Json j{{"type", "change"}, {"service", c.service}, {"commit", c.commit}, {"time", FormatTime(c.time)}};
  if (!c.ref.empty()) j["ref"] = c.ref;
  if (!c.source.empty()) j["source"] = c.source;
  return j;
}

Json ToJson(const Event& e) {
  switch (e.kind) {
    case Event::Kind::kDeploy: return ToJson(e.deploy);
    case Event::Kind::kIncident: return ToJson(e.incident);
    case Event::Kind::kChange: return ToJson(e.change);
  }
  return Json();
}

Result<Event> EventFromJson(const Json& j, const std::string& where, bool from_ledger) {
  if (!j.is_object()) return Fail(Error::Input(where + ": an event must be a JSON object"));
  auto type = StringMember(j, "type", where, true);
  if (!type) return Fail(type.error());
  Event e;
  std::vector<const char*> allowed;
  if (*type == "deploy") {
    e.kind = Event::Kind::kDeploy;
    allowed = {"type", "id", "service", "env", "commit", "status", "time", "changes", "source"};
    DeployEvent& d = e.deploy;
    auto id = StringMember(j, "id", where, true);
    auto service = StringMember(j, "service", where, true);
    auto env = StringMember(j, "env", where, true);
    auto commit = StringMember(j, "commit", where, true);
    auto status = StringMember(j, "status", where, false);
    auto source = StringMember(j, "source", where, false);
    for (auto* r : {&id, &service, &env, &commit, &status, &source})
      if (!*r) return Fail(r->error());
    d.id = *id;
    d.service = *service;
    d.env = *env;
    d.commit = *commit;
    d.source = *source;
    if (status->empty() || *status == "success") {
      d.success = true;
    } else if (*status == "failure") {
      d.success = false;
    } else {
      return Fail(Error::Input(where + ": \"status\" must be \"success\" or \"failure\", not " + Quote(*status)));
    }
    auto t = TimeMember(j, "time", where);
    if (!t) return Fail(t.error());
    d.time = *t;
    auto ch = j.find("changes");
    if (ch != j.end() && !ch->is_null()) {
      if (!ch->is_array()) return Fail(Error::Input(where + ": \"changes\" must be an array"));
      std::vector<Change> changes;
      changes.reserve(ch->size());
      for (std::size_t k = 0; k < ch->size(); ++k) {
        const Json& c = (*ch)[k];
        std::string cw = where + ": changes[" + std::to_string(k) + "]";
        if (!c.is_object()) return Fail(Error::Input(cw + ": must be an object with \"commit\" and \"time\""));
        for (const auto& [key, value] : c.items())
          if (key != "commit" && key != "time") return Fail(Error::Input(cw + ": unknown member \"" + key + "\""));
        auto cc = StringMember(c, "commit", cw, true);
        if (!cc) return Fail(cc.error());
        auto ct = TimeMember(c, "time", cw);
        if (!ct) return Fail(ct.error());
        if (*ct > d.time)
          return Fail(Error::Input(cw + ": commit time " + FormatTime(*ct) + " is after the deploy (" + FormatTime(d.time) + ")"));
        changes.push_back({*cc, *ct});
      }
      d.changes = std::move(changes);
    }
  } else if (*type == "incident") {
    e.kind = Event::Kind::kIncident;
    allowed = {"type", "action", "id", "service", "time", "caused_by", "source"};
    IncidentEvent& i = e.incident;
    auto action = StringMember(j, "action", where, true);
    auto id = StringMember(j, "id", where, true);
    auto service = StringMember(j, "service", where, true);
    auto caused = StringMember(j, "caused_by", where, false);
    auto source = StringMember(j, "source", where, false);
    for (auto* r : {&action, &id, &service, &caused, &source})
      if (!*r) return Fail(r->error());
    if (*action == "open") {
      i.open = true;
    } else if (*action == "resolve") {
      i.open = false;
    } else {
      return Fail(Error::Input(where + ": \"action\" must be \"open\" or \"resolve\", not " + Quote(*action)));
    }
    i.id = *id;
    i.service = *service;
    i.caused_by = *caused;
    i.source = *source;
    auto t = TimeMember(j, "time", where);
    if (!t) return Fail(t.error());
    i.time = *t;
  } else if (*type == "change") {
    e.kind = Event::Kind::kChange;
    allowed = {"type", "service", "commit", "time", "ref", "source"};
    ChangeEvent& c = e.change;
    auto service = StringMember(j, "service", where, true);
    auto commit = StringMember(j, "commit", where, true);
    auto ref = StringMember(j, "ref", where, false);
    auto source = StringMember(j, "source", where, false);
    for (auto* r : {&service, &commit, &ref, &source})
      if (!*r) return Fail(r->error());
    c.service = *service;
    c.commit = *commit;
    c.ref = *ref;
    c.source = *source;
    auto t = TimeMember(j, "time", where);
    if (!t) return Fail(t.error());
    c.time = *t;
  } else {
    return Fail(Error::Input(where + ": \"type\" must be \"deploy\", \"incident\" or \"change\", not " + Quote(*type)));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (from_ledger && key == "seq") continue;
    if (std::find_if(allowed.begin(), allowed.end(), [&key](const char* a) { return key == a; }) == allowed.end())
      return Fail(Error::Input(where + ": unknown member \"" + key + "\" in a " + *type + " event"));
  }
  return e;
}

namespace {

// ---- EventLog ---------------------------------------------------------------

Digest Truncate(const Hash256& h) {
  Digest d{};
  std::copy_n(h.begin(), d.size(), d.begin());
  return d;
}

// The changes as a set: the same commits and times in any order are the same.
Digest ChangesDigest(const std::string_view* commits, const Millis* times, std::size_t n) {
  if (n == 0) {  // most deploys: computed once
    static const Digest kNone = Truncate(Sha256Hasher().Finish());
    return kNone;
  }
  std::vector<std::pair<std::string_view, Millis>> items;
  items.reserve(n);
  for (std::size_t k = 0; k < n; ++k) items.emplace_back(commits[k], times[k]);
  std::sort(items.begin(), items.end());
  Sha256Hasher h;
  for (const auto& [c, t] : items) {
    h.Update(std::to_string(c.size()) + ":");
    h.Update(c);
    h.Update(std::to_string(t) + ";");
  }
  return Truncate(h.Finish());
}

std::string Entry(std::uint64_t seq) {
  return seq == kNoSeq ? std::string("earlier in this batch") : "ledger entry " + std::to_string(seq);
}

std::string Key(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + b.size() + 1);
  k.append(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

std::uint64_t StreamKey(std::uint32_t service, std::uint32_t env) { return (std::uint64_t{service} << 32) | env; }

}  // namespace

struct EventLog::Impl {
  // kReport: deploys by ordinal (the order they were added): their ids (an
  // id is added once, so its index in the table is the ordinal) and commits.
  StringTable deploy_ids;
  StringArena deploy_commits;
  // kReport: the commit of each change slot (change_times_ holds its time).
  StringArena change_commits;
  // kReport: incidents: "service\0id" -> incident index; the caused_by of
  // each (an index into cause_strings, whose entry 0 is "").
  StringTable incident_keys;
  StringArena cause_strings;
  std::vector<std::uint32_t> cause_of;
  std::string_view CauseOf(std::uint32_t incident) const { return cause_strings[cause_of[incident]]; }
  // kReport: pushed changes: "service\0commit" -> change index.
  StringTable change_keys;
  struct ChangeRecord {
    Millis time = 0;
    std::uint32_t service = 0;
    std::uint64_t seq = kNoSeq;
  };
  std::vector<ChangeRecord> changes;

  // kStrict: everything, on disk beyond its page cache; opened by the first
  // Add (KeepCommits before it adds the streams' index).
  bool streams = false;
  std::size_t cache_bytes = 0;
  std::unique_ptr<StrictIndex> strict;
  Result<StrictIndex*> Strict() {
    if (!strict) {
      auto opened = StrictIndex::Open(streams, cache_bytes);
      if (!opened) return Fail(opened.error());
      strict = std::move(*opened);
    }
    return strict.get();
  }
};

EventLog::EventLog(Mode mode, std::size_t strict_cache_bytes) : mode_(mode), impl_(std::make_unique<Impl>()) {
  impl_->cause_strings.Add("");
  impl_->cache_bytes = strict_cache_bytes;
}
EventLog::~EventLog() = default;
EventLog::EventLog(EventLog&&) noexcept = default;
EventLog& EventLog::operator=(EventLog&&) noexcept = default;

void EventLog::KeepCommits() {
  if (mode_ == Mode::kStrict && !impl_->strict) impl_->streams = true;
}

std::uint32_t EventLog::Intern(std::string_view name) {
  auto it = name_index_.find(name);
  if (it != name_index_.end()) return it->second;
  auto idx = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  name_index_.emplace(std::string(name), idx);
  return idx;
}

std::optional<std::uint32_t> EventLog::Find(std::string_view name) const {
  auto it = name_index_.find(name);
  if (it == name_index_.end()) return std::nullopt;
  return it->second;
}

Result<bool> EventLog::IsService(std::string_view service) const {
  if (mode_ == Mode::kStrict) {
    if (!impl_->strict) return false;
    return impl_->strict->IsService(service);
  }
  auto s = Find(service);
  return s && *s < is_service_.size() && is_service_[*s];
}

void EventLog::AddProblem(std::uint64_t seq, std::string reason) { problems_.push_back({seq, std::move(reason)}); }

Result<Added> EventLog::Add(const Event& e, const std::string& where, Millis now, std::uint64_t seq) {
  WhereFn w = [&where] { return where; };
  if (e.kind == Event::Kind::kDeploy) {
    const DeployEvent& d = e.deploy;
    std::vector<Millis> times;
    std::vector<std::string_view> commits;
    if (d.changes) {
      times.reserve(d.changes->size());
      commits.reserve(d.changes->size());
      for (const auto& c : *d.changes) {
        times.push_back(c.time);
        commits.push_back(c.commit);
      }
    }
    DeployView v{d.id,        d.service,          d.env,        d.commit,       d.success, d.time, d.changes.has_value(),
                 times.data(), commits.data(), times.size(), seq};
    return AddDeploy(v, w, now);
  }
  if (e.kind == Event::Kind::kChange) return AddChange(ChangeView{e.change.service, e.change.commit, e.change.time, seq}, w, now);
  const IncidentEvent& i = e.incident;
  return AddIncident(IncidentView{i.open, i.id, i.service, i.caused_by, i.time, seq}, w, now);
}

Result<Added> EventLog::AddChange(const ChangeView& c, const WhereFn& where, Millis now) {
  if (finished_) return Fail(Error::Internal("EventLog: Add after Finish"));
  if (c.time > now + kFutureSkew)
    return Fail(Error::Input(where() + ": change " + Quote(c.commit) + " at " + FormatTime(c.time) +
                             " is in the future (now " + FormatTime(now) + ")"));
  Impl& m = *impl_;
  std::optional<StrictIndex::Change> known;
  std::string key;
  if (mode_ == Mode::kStrict) {
    auto strict = m.Strict();
    if (!strict) return Fail(strict.error());
    auto inserted = (*strict)->InsertChange(c.service, c.commit, StrictIndex::Change{c.time, c.seq});
    if (!inserted) return Fail(inserted.error());
    if (*inserted) return Added::kNew;
    auto found = (*strict)->FindChange(c.service, c.commit);
    if (!found) return Fail(found.error());
    known = *found;
    if (!known) return Fail(Error::Internal("event index: change " + Quote(c.commit) + " is held but cannot be read"));
  } else {
    key = Key(c.service, c.commit);
    if (auto k = m.change_keys.Find(key)) known = StrictIndex::Change{m.changes[*k].time, m.changes[*k].seq};
  }
  if (known) {
    if (known->time == c.time) return Added::kDuplicate;
    return Fail(Error::Input(where() + ": change " + Quote(c.commit) + " of " + std::string(c.service) +
                             " is already recorded (" + Entry(known->seq) + ") with commit time " +
                             FormatTime(known->time) + ", not " + FormatTime(c.time)));
  }
  m.change_keys.Add(key);
  m.changes.push_back({c.time, Intern(c.service), c.seq});
  return Added::kNew;
}

Result<Added> EventLog::AddDeploy(const DeployView& d, const WhereFn& where, Millis now) {
  if (finished_) return Fail(Error::Internal("EventLog: Add after Finish"));
  if (d.time > now + kFutureSkew)
    return Fail(Error::Input(where() + ": deploy " + Quote(d.id) + " at " + FormatTime(d.time) + " is in the future (now " +
                             FormatTime(now) + ")"));
  if (change_times_.size() + d.change_count > UINT32_MAX || deploys_.size() >= UINT32_MAX - 1)
    return Fail(Error::Input(where() + ": too many deploys or changes for one log"));
  for (std::size_t k = 0; k < d.change_count; ++k)
    if (d.change_times[k] > d.time)
      return Fail(Error::Input(where() + ": deploy " + Quote(d.id) + ": a change's commit time " +
                               FormatTime(d.change_times[k]) + " is after the deploy (" + FormatTime(d.time) + ")"));
  Impl& m = *impl_;
  const bool report = mode_ == Mode::kReport;
  auto changes_digest = [&] {
    if (!d.changes_known) return Digest{};
    std::vector<std::string_view> none(d.change_count);
    return ChangesDigest(d.change_commits != nullptr ? d.change_commits : none.data(), d.change_times, d.change_count);
  };

  // The deploy the log holds under this id, if any.
  std::optional<StrictIndex::Deploy> known;
  std::optional<std::uint32_t> ordinal;
  StrictIndex* strict = nullptr;
  if (report) {
    ordinal = m.deploy_ids.Find(d.id);
    if (ordinal) {
      const DeployRecord& r = deploys_[*ordinal];
      known = StrictIndex::Deploy{names_[r.service], names_[r.env], std::string(m.deploy_commits[*ordinal]),
                                  r.success, r.time, r.seq, r.changes_known, Digest{}};
      if (r.changes_known && d.changes_known) {
        std::vector<std::string_view> commits;
        for (std::uint32_t k = r.changes_begin; k < r.changes_end; ++k) commits.push_back(m.change_commits[k]);
        known->changes = ChangesDigest(commits.data(), change_times_.data() + r.changes_begin, commits.size());
      }
    }
  } else {
    auto opened = m.Strict();
    if (!opened) return Fail(opened.error());
    strict = *opened;
    // Most deploys are new: one write, and a lookup only for an id held.
    StrictIndex::Deploy row{std::string(d.service), std::string(d.env), std::string(d.commit), d.success, d.time,
                            d.seq, d.changes_known, changes_digest()};
    auto inserted = strict->InsertDeploy(d.id, row);
    if (!inserted) return Fail(inserted.error());
    if (*inserted) {
      ++deploy_count_;
      return Added::kNew;
    }
    auto found = strict->FindDeploy(d.id);
    if (!found) return Fail(found.error());
    known = std::move(*found);
    if (!known) return Fail(Error::Internal("event index: deploy " + Quote(d.id) + " is held but cannot be read"));
  }

  if (known) {
    if (known->service != d.service || known->env != d.env || known->commit != d.commit ||
        known->success != d.success || known->time != d.time)
      return Fail(Error::Input(where() + ": deploy " + Quote(d.id) + " is already recorded (" + Entry(known->seq) +
                               ") with another service, environment, commit, status or time: " + known->service + "/" +
                               known->env + (known->success ? " success" : " failure") + " at " +
                               FormatTime(known->time)));
    if (!d.changes_known) return Added::kDuplicate;
    if (!known->changes_known) {
      if (report) {
        DeployRecord& r = deploys_[*ordinal];
        r.changes_known = true;
        r.changes_begin = static_cast<std::uint32_t>(change_times_.size());
        change_times_.insert(change_times_.end(), d.change_times, d.change_times + d.change_count);
        for (std::size_t k = 0; k < d.change_count; ++k)
          m.change_commits.Add(d.change_commits != nullptr ? d.change_commits[k] : std::string_view());
        r.changes_end = static_cast<std::uint32_t>(change_times_.size());
      } else {
        TG_TRY(strict->SetChanges(d.id, changes_digest()));
      }
      return Added::kRefined;
    }
    if (known->changes == changes_digest()) return Added::kDuplicate;
    return Fail(Error::Input(where() + ": deploy " + Quote(d.id) + " is already recorded (" + Entry(known->seq) +
                             ") with other changes"));
  }

  ++deploy_count_;
  std::uint32_t service = Intern(d.service);
  std::uint32_t env = Intern(d.env);
  if (is_service_.size() < names_.size()) is_service_.resize(names_.size(), 0);
  is_service_[service] = 1;
  DeployRecord r;
  r.time = d.time;
  r.service = service;
  r.env = env;
  r.success = d.success;
  r.seq = d.seq;
  r.changes_known = d.changes_known;
  r.changes_begin = static_cast<std::uint32_t>(change_times_.size());
  change_times_.insert(change_times_.end(), d.change_times, d.change_times + d.change_count);
  for (std::size_t k = 0; k < d.change_count; ++k)
    m.change_commits.Add(d.change_commits != nullptr ? d.change_commits[k] : std::string_view());
  r.changes_end = static_cast<std::uint32_t>(change_times_.size());
  deploys_.push_back(r);
  m.deploy_ids.Add(d.id);
  m.deploy_commits.Add(d.commit);
  return Added::kNew;
}

Result<Added> EventLog::AddIncident(const IncidentView& i, const WhereFn& where, Millis now) {
  if (finished_) return Fail(Error::Internal("EventLog: Add after Finish"));
  if (i.time > now + kFutureSkew)
    return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " at " + FormatTime(i.time) +
                             " is in the future (now " + FormatTime(now) + ")"));
  if (!i.open && !i.caused_by.empty())
    return Fail(Error::Input(where() + ": caused_by belongs on the open event of incident " + Quote(i.id)));
  Impl& m = *impl_;
  const bool report = mode_ == Mode::kReport;
  StrictIndex* strict = nullptr;
  if (!report) {
    auto opened = m.Strict();
    if (!opened) return Fail(opened.error());
    strict = *opened;
  }
  // The cause is checked when its deploy is known; a report checks it again
  // once every event is in (Finish), whatever the order they came in.
  if (i.open && !i.caused_by.empty() && !report) {
    auto cause = strict->FindDeploy(i.caused_by);
    if (!cause) return Fail(cause.error());
    if (*cause) {
      const StrictIndex::Deploy& dr = **cause;
      if (dr.service != i.service)
        return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " of " + std::string(i.service) +
                                 ": caused_by deploy " + Quote(i.caused_by) + " is of service " + dr.service));
      if (dr.time > i.time)
        return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " opened at " + FormatTime(i.time) +
                                 ", before the deploy " + Quote(i.caused_by) + " that caused it (" + FormatTime(dr.time) +
                                 ")"));
    }
  }
  // The incident as the log holds it (a new one if none).
  std::optional<std::uint32_t> k;
  std::string key;
  StrictIndex::Incident r;
  bool known = false;
  if (report) {
    key = Key(i.service, i.id);
    k = m.incident_keys.Find(key);
    if (k) {
      const IncidentRecord& held = incidents_[*k];
      r = StrictIndex::Incident{held.has_open,  held.is_resolved, held.opened,  held.resolved,
                                held.open_seq,  held.resolve_seq, std::string(m.CauseOf(*k))};
      known = true;
    }
  } else {
    auto found = strict->FindIncident(i.service, i.id);
    if (!found) return Fail(found.error());
    if (*found) {
      r = std::move(**found);
      known = true;
    }
  }
  if (known) {
    if (i.open && r.has_open) {
      if (r.opened == i.time && r.cause == i.caused_by) return Added::kDuplicate;
      return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " of " + std::string(i.service) +
                               " is already open (" + Entry(r.open_seq) + ", at " + FormatTime(r.opened) +
                               (r.cause.empty() ? std::string() : ", caused by " + Quote(r.cause)) + ")"));
    }
    if (!i.open && r.is_resolved) {
      if (r.resolved == i.time) return Added::kDuplicate;
      return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " of " + std::string(i.service) +
                               " is already resolved (" + Entry(r.resolve_seq) + ", at " + FormatTime(r.resolved) + ")"));
    }
    if (i.open && r.is_resolved && r.resolved < i.time)
      return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " opened at " + FormatTime(i.time) +
                               ", after it was resolved (" + FormatTime(r.resolved) + ")"));
    if (!i.open && r.has_open && i.time < r.opened)
      return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " resolved at " + FormatTime(i.time) +
                               ", before it was opened (" + FormatTime(r.opened) + ")"));
  } else {
    ++incident_count_;
  }
  if (i.open) {
    r.has_open = true;
    r.opened = i.time;
    r.open_seq = i.seq;
    r.cause = i.caused_by;
  } else {
    r.is_resolved = true;
    r.resolved = i.time;
    r.resolve_seq = i.seq;
  }
  if (!report) {
    TG_TRY(strict->PutIncident(i.service, i.id, r));
    return Added::kNew;
  }
  if (!k) {
    k = m.incident_keys.Add(key);
    IncidentRecord fresh;
    fresh.service = Intern(i.service);
    incidents_.push_back(fresh);
    m.cause_of.push_back(0);
  }
  IncidentRecord& held = incidents_[*k];
  held.has_open = r.has_open;
  held.opened = r.opened;
  held.open_seq = r.open_seq;
  held.is_resolved = r.is_resolved;
  held.resolved = r.resolved;
  held.resolve_seq = r.resolve_seq;
  if (i.open && !i.caused_by.empty()) m.cause_of[*k] = m.cause_strings.Add(i.caused_by);
  return Added::kNew;
}

Result<std::optional<EventLog::StreamDeploy>> EventLog::Neighbour(std::string_view service, std::string_view env,
                                                                  Millis time, std::string_view id, bool next) const {
  if (mode_ != Mode::kStrict || !impl_->streams)
    return Fail(Error::Internal("EventLog: a stream's deploys need kStrict and KeepCommits"));
  if (!impl_->strict) return std::optional<StreamDeploy>();
  auto found = impl_->strict->Neighbour(service, env, time, id, next);
  if (!found) return Fail(found.error());
  if (!*found) return std::optional<StreamDeploy>();
  auto& [found_id, d] = **found;
  return std::optional<StreamDeploy>(StreamDeploy{std::move(found_id), std::move(d.commit), d.time, d.changes_known});
}

Result<std::optional<EventLog::StreamDeploy>> EventLog::PreviousSuccess(std::string_view service, std::string_view env,
                                                                        Millis time, std::string_view id) const {
  return Neighbour(service, env, time, id, false);
}

Result<std::optional<EventLog::StreamDeploy>> EventLog::NextSuccess(std::string_view service, std::string_view env,
                                                                    Millis time, std::string_view id) const {
  return Neighbour(service, env, time, id, true);
}

Status EventLog::Finish() {
  if (mode_ != Mode::kReport || finished_) return Ok();
  Impl& m = *impl_;
  const std::size_t n = deploys_.size();

  // 1. Deploys in (time, id) order: the order of arrival must not matter.
  std::vector<std::uint32_t> order(n);  // position -> ordinal
  for (std::uint32_t k = 0; k < n; ++k) order[k] = k;
  auto before = [&](std::uint32_t a, std::uint32_t b) {
    if (deploys_[a].time != deploys_[b].time) return deploys_[a].time < deploys_[b].time;
    return m.deploy_ids[a] < m.deploy_ids[b];
  };
  if (!std::is_sorted(order.begin(), order.end(), before)) std::sort(order.begin(), order.end(), before);
  std::vector<std::uint32_t> position(n);  // ordinal -> position
  for (std::uint32_t p = 0; p < n; ++p) position[order[p]] = p;

  // 2. The changes each successful deploy ships, stream by stream in time
  // order: its own list, or the pushed changes after the previous successful
  // deploy's commit up to its own; either way without the commits an earlier
  // successful deploy of the stream already shipped.
  std::vector<std::vector<std::uint32_t>> pushed(names_.size());  // by service: change indexes in (time, commit) order
  for (std::uint32_t c = 0; c < m.changes.size(); ++c) pushed[m.changes[c].service].push_back(c);
  auto commit_of = [&](std::uint32_t c) {
    std::string_view key = m.change_keys[c];
    return key.substr(key.find('\0') + 1);
  };
  std::vector<std::uint32_t> rank(m.changes.size());
  for (auto& list : pushed) {
    std::sort(list.begin(), list.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (m.changes[a].time != m.changes[b].time) return m.changes[a].time < m.changes[b].time;
      return commit_of(a) < commit_of(b);
    });
    for (std::uint32_t r = 0; r < list.size(); ++r) rank[list[r]] = r;
  }
  struct StreamState {
    std::int64_t previous = -1;  // ordinal of the previous successful deploy
    std::unordered_set<std::string_view> shipped;
  };
  std::unordered_map<std::uint64_t, StreamState> streams;
  std::vector<DeployRecord> sorted;
  sorted.reserve(n);
  std::vector<Millis> times;
  StringArena commits;
  for (std::uint32_t p = 0; p < n; ++p) {
    std::uint32_t o = order[p];
    DeployRecord d = deploys_[o];
    auto begin = static_cast<std::uint32_t>(times.size());
    if (d.success) {
      StreamState& st = streams[StreamKey(d.service, d.env)];
      auto ship = [&](std::string_view commit, Millis time) {
        if (st.shipped.insert(commit).second) {
          times.push_back(time);
          commits.Add(commit);
        }
      };
      if (d.changes_known) {
        for (std::uint32_t k = d.changes_begin; k < d.changes_end; ++k) ship(m.change_commits[k], change_times_[k]);
      } else if (st.previous >= 0 && !m.changes.empty()) {
        std::string_view service = names_[d.service];
        auto from = m.change_keys.Find(Key(service, m.deploy_commits[static_cast<std::uint32_t>(st.previous)]));
        auto to = m.change_keys.Find(Key(service, m.deploy_commits[o]));
        if (from && to) {
          d.changes_known = true;
          const auto& list = pushed[d.service];
          // A rollback to an older commit ships nothing new.
          for (std::uint32_t r = rank[*from] + 1; r <= rank[*to] && r < list.size(); ++r)
            ship(commit_of(list[r]), m.changes[list[r]].time);
        }
      }
      st.previous = o;
    }
    d.changes_begin = begin;
    d.changes_end = static_cast<std::uint32_t>(times.size());
    sorted.push_back(d);
  }
  streams.clear();

  // 3. Incidents: paired, of a known service, and caused by a deploy that can
  // have caused them.
  std::vector<IncidentRecord> kept;
  for (std::uint32_t k = 0; k < incidents_.size(); ++k) {
    IncidentRecord r = incidents_[k];
    std::string_view key = m.incident_keys[k];
    std::string id(key.substr(key.find('\0') + 1));
    const std::string& service = names_[r.service];
    if (!r.has_open) {
      AddProblem(r.resolve_seq, "incident " + Quote(id) + " of " + service + " is resolved but never opened: skipped");
      continue;
    }
    if (r.service >= is_service_.size() || !is_service_[r.service]) {
      std::string why = "incident " + Quote(id) + ": no deploy of service " + Quote(service) +
                        " is recorded (name the pager's service with --service): skipped";
      AddProblem(r.open_seq, why);
      if (r.is_resolved) AddProblem(r.resolve_seq, why);
      continue;
    }
    std::string_view cause = m.CauseOf(k);
    if (!cause.empty()) {
      auto o = m.deploy_ids.Find(cause);
      std::string prefix = "incident " + Quote(id) + " of " + service + ": caused_by " + Quote(cause);
      r.caused_by = kUnusableCause;
      if (!o) {
        AddProblem(r.open_seq, prefix + " names no recorded deploy; it counts, but marks no deploy failed");
      } else if (deploys_[*o].service != r.service) {
        AddProblem(r.open_seq, prefix + " is a deploy of " + names_[deploys_[*o].service] +
                                   "; it counts, but marks no deploy failed");
      } else if (deploys_[*o].time > r.opened) {
        AddProblem(r.open_seq, prefix + " is a deploy after the incident opened (" + FormatTime(deploys_[*o].time) +
                                   "); it counts, but marks no deploy failed");
      } else {
        r.caused_by = position[*o];
      }
    }
    kept.push_back(r);
  }

  deploys_ = std::move(sorted);
  change_times_ = std::move(times);
  m.change_commits = std::move(commits);
  incidents_ = std::move(kept);
  std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) { return a.seq < b.seq; });
  finished_ = true;
  return Ok();
}

}  // namespace tollgate::delivery
