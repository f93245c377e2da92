#include "delivery/record.h"

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

Result<std::vector<ledger::AppendedEntry>> RecordEvents(ledger::Ledger& ledger, std::vector<Event> events,
                                                        const std::vector<std::string>& wheres,
                                                        const RecordOptions& options, const SignerKey* ledger_key,
                                                        TimePoint now_tp) {
  if (wheres.size() != events.size()) return Fail(Error::Internal("RecordEvents: one 'where' per event"));
  EventLog log(EventLog::Mode::kStrict);
  TG_TRY(LoadEvents(ledger, log));
  Millis now = ToMillis(now_tp);
  std::vector<Json> batch;
  batch.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto& e = events[i];
    if (e.kind == Event::Kind::kDeploy && !e.deploy.changes && options.repo.empty()) {
      // Pushed commits recorded as change events, when there are any.
      e.deploy.changes = log.ChangesFromLog(e.deploy.service, e.deploy.env, e.deploy.commit);
    } else if (e.kind == Event::Kind::kDeploy && !e.deploy.changes && !options.repo.empty()) {
      auto prev = log.LastSuccessfulCommit(e.deploy.service, e.deploy.env);
      auto changes = ChangesFromGit(options.repo, prev, e.deploy.commit, options.paths);
      if (!changes) return Fail(changes.error().WithContext(wheres[i]));
      e.deploy.changes = std::move(*changes);
      if (e.deploy.changes)
        for (const auto& c : *e.deploy.changes)
          if (c.time > e.deploy.time)
            return Fail(Error::Input(wheres[i] + ": commit " + c.commit + " (" + FormatTime(c.time) +
                                     ") is later than the deploy (" + FormatTime(e.deploy.time) + ")"));
    }
    TG_TRY(log.Add(e, wheres[i], now));
    batch.push_back(ToJson(e));
  }
  if (batch.empty()) return std::vector<ledger::AppendedEntry>{};
  return ledger.Append(std::move(batch), ledger_key);
}

}  // namespace tollgate::delivery
