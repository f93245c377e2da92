// Provider webhook payloads as delivery events; delivery authentication.
#include "delivery/webhooks.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/hash.h"

namespace tollgate::delivery {
namespace {

// A member reached by a path of names, or null when any step is missing.
const Json* At(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* name : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(name);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string PointerOf(std::initializer_list<const char*> path) {
  std::string p;
  for (const char* n : path) p += std::string("/") + n;
  return p;
}

Result<std::string> Str(const Json& j, std::initializer_list<const char*> path, const std::string& where) {
  const Json* v = At(j, path);
  if (v == nullptr || v->is_null()) return Fail(Error::Input(where + ": " + PointerOf(path) + " is missing"));
  if (v->is_number_integer() || v->is_number_unsigned()) return v->dump();
  if (!v->is_string() || v->get_ref<const std::string&>().empty())
    return Fail(Error::Input(where + ": " + PointerOf(path) + " must be a non-empty string"));
  return v->get<std::string>();
}

// GitLab writes "2021-04-28 21:50:00 +0200" and "2016-08-12 15:23:28 UTC"
// as well as RFC 3339.
Result<Millis> ProviderTime(const std::string& text, const std::string& what) {
  std::string t = text;
  if (t.size() >= 19 && t[10] == ' ') {
    t[10] = 'T';
    std::string rest = t.substr(19);
    t = t.substr(0, 19);
    if (rest == " UTC" || rest == " Z") {
      t += "Z";
    } else if (rest.size() == 6 && rest[0] == ' ' && (rest[1] == '+' || rest[1] == '-')) {
      t += rest.substr(1, 3) + ":" + rest.substr(4, 2);
    } else {
      t += rest;
    }
  }
  auto ms = ParseTime(t);
  if (!ms) return Fail(ms.error().WithContext(what));
  return *ms;
}

Result<Millis> TimeAt(const Json& j, std::initializer_list<const char*> path, const std::string& where) {
  auto s = Str(j, path, where);
  if (!s) return Fail(s.error());
  return ProviderTime(*s, where + ": " + PointerOf(path));
}

// A push to the default branch: one change event per commit, in the
// payload's order (oldest first). Pushes to other branches, deletions and
// tags are skipped: only what lands on the default branch is deployed.
Result<PayloadEvents> PushChanges(const Json& p, const std::string& service,
                                  std::initializer_list<const char*> default_branch, const char* source,
                                  const std::string& where) {
  PayloadEvents out;
  auto ref = Str(p, {"ref"}, where);
  if (!ref) return Fail(ref.error());
  const Json* deleted = At(p, {"deleted"});
  if (deleted != nullptr && deleted->is_boolean() && deleted->get<bool>()) {
    out.notes.push_back(where + ": push deleting " + *ref + ": skipped");
    return out;
  }
  auto branch = Str(p, default_branch, where);
  if (!branch) return Fail(branch.error());
  if (*ref != "refs/heads/" + *branch) {
    out.notes.push_back(where + ": push to " + *ref + ", not the default branch " + *branch + ": skipped");
    return out;
  }
  const Json* commits = At(p, {"commits"});
  if (commits == nullptr || !commits->is_array()) return Fail(Error::Input(where + ": /commits must be an array"));
  for (std::size_t i = 0; i < commits->size(); ++i) {
    const Json& c = (*commits)[i];
    std::string cw = where + ": /commits/" + std::to_string(i);
    auto id = Str(c, {"id"}, cw);
    if (!id) return Fail(id.error());
    auto t = TimeAt(c, {"timestamp"}, cw);
    if (!t) return Fail(t.error());
    Event e;
    e.kind = Event::Kind::kChange;
    e.change.service = service;
    e.change.commit = *id;
    e.change.time = *t;
    e.change.ref = *ref;
    e.change.source = source;
    out.events.push_back(std::move(e));
  }
  if (out.events.empty()) out.notes.push_back(where + ": push without commits: skipped");
  return out;
}

Result<PayloadEvents> Github(const Json& p, const std::string& where) {
  PayloadEvents out;
  if (At(p, {"deployment_status"}) != nullptr) {
    auto state = Str(p, {"deployment_status", "state"}, where);
    if (!state) return Fail(state.error());
    bool success;
    if (*state == "success") {
      success = true;
    } else if (*state == "failure" || *state == "error") {
      success = false;
    } else {
      out.notes.push_back(where + ": deployment_status " + *state + " is not final: skipped");
      return out;
    }
    auto id = Str(p, {"deployment", "id"}, where);
    auto service = Str(p, {"repository", "full_name"}, where);
    auto commit = Str(p, {"deployment", "sha"}, where);
    auto env = At(p, {"deployment_status", "environment"}) ? Str(p, {"deployment_status", "environment"}, where)
                                                             : Str(p, {"deployment", "environment"}, where);
    for (auto* r : {&id, &service, &commit, &env})
      if (!*r) return Fail(r->error());
    auto t = TimeAt(p, {"deployment_status", "created_at"}, where);
    if (!t) return Fail(t.error());
    Event e;
    e.kind = Event::Kind::kDeploy;
    e.deploy.id = "github:" + *id;
    e.deploy.service = *service;
    e.deploy.env = *env;
    e.deploy.commit = *commit;
    e.deploy.success = success;
    e.deploy.time = *t;
    e.deploy.source = "github";
    out.events.push_back(std::move(e));
    return out;
  }
  if (At(p, {"workflow_run"}) != nullptr) {
    out.notes.push_back(where + ": workflow_run is not a deployment (Tollgate does not guess deploys from workflow names): skipped");
    return out;
  }
  if (At(p, {"ref"}) != nullptr && At(p, {"commits"}) != nullptr) {
    auto service = Str(p, {"repository", "full_name"}, where);
    if (!service) return Fail(service.error());
    return PushChanges(p, *service, {"repository", "default_branch"}, "github", where);
  }
  return Fail(Error::Input(where + ": not a GitHub deployment_status, push or workflow_run payload"));
}

Result<PayloadEvents> Gitlab(const Json& p, const std::string& where) {
  PayloadEvents out;
  const Json* kind = At(p, {"object_kind"});
  if (kind == nullptr || !kind->is_string())
    return Fail(Error::Input(where + ": not a GitLab webhook payload (no \"object_kind\")"));
  const std::string& k = kind->get_ref<const std::string&>();
  auto service = Str(p, {"project", "path_with_namespace"}, where);
  if (k == "deployment") {
    auto status = Str(p, {"status"}, where);
    if (!status) return Fail(status.error());
    if (*status != "success" && *status != "failed") {
      out.notes.push_back(where + ": deployment " + *status + " is not final: skipped");
      return out;
    }
    auto id = Str(p, {"deployment_id"}, where);
    auto env = Str(p, {"environment"}, where);
    for (auto* r : {&id, &env, &service})
      if (!*r) return Fail(r->error());
    // The full SHA is the last segment of commit_url; short_sha otherwise.
    std::string commit;
    if (const Json* url = At(p, {"commit_url"}); url && url->is_string()) {
      const auto& u = url->get_ref<const std::string&>();
      commit = u.substr(u.rfind('/') + 1);
    }
    if (commit.size() != 40) {
      auto s = Str(p, {"short_sha"}, where);
      if (!s) return Fail(s.error());
      commit = *s;
    }
    auto t = TimeAt(p, {"status_changed_at"}, where);
    if (!t) return Fail(t.error());
    Event e;
    e.kind = Event::Kind::kDeploy;
    e.deploy.id = "gitlab:" + *id;
    e.deploy.service = *service;
    e.deploy.env = *env;
    e.deploy.commit = commit;
    e.deploy.success = *status == "success";
    e.deploy.time = *t;
    e.deploy.source = "gitlab";
    out.events.push_back(std::move(e));
    return out;
  }
  if (k == "pipeline") {
    if (!service) return Fail(service.error());
    auto pid = Str(p, {"object_attributes", "id"}, where);
    auto sha = Str(p, {"object_attributes", "sha"}, where);
    for (auto* r : {&pid, &sha})
      if (!*r) return Fail(r->error());
    const Json* builds = At(p, {"builds"});
    if (builds == nullptr || !builds->is_array()) return Fail(Error::Input(where + ": /builds must be an array"));
    for (std::size_t b = 0; b < builds->size(); ++b) {
      const Json& build = (*builds)[b];
      std::string bw = where + ": /builds/" + std::to_string(b);
      const Json* env = At(build, {"environment", "name"});
      const Json* action = At(build, {"environment", "action"});
      if (env == nullptr || !env->is_string()) continue;  // not a deployment job
      if (action != nullptr && action->is_string() && action->get<std::string>() != "start") continue;
      auto status = Str(build, {"status"}, bw);
      auto bid = Str(build, {"id"}, bw);
      for (auto* r : {&status, &bid})
        if (!*r) return Fail(r->error());
      if (*status != "success" && *status != "failed") {
        out.notes.push_back(bw + ": deployment job to " + env->get<std::string>() + " is " + *status + ": skipped");
        continue;
      }
      auto t = TimeAt(build, {"finished_at"}, bw);
      if (!t) return Fail(t.error());
      Event e;
      e.kind = Event::Kind::kDeploy;
      e.deploy.id = "gitlab:pipeline:" + *pid + ":" + *bid;
      e.deploy.service = *service;
      e.deploy.env = env->get<std::string>();
      e.deploy.commit = *sha;
      e.deploy.success = *status == "success";
      e.deploy.time = *t;
      e.deploy.source = "gitlab";
      out.events.push_back(std::move(e));
    }
    if (out.events.empty() && out.notes.empty()) out.notes.push_back(where + ": pipeline has no deployment jobs: skipped");
    return out;
  }
  if (k == "push") {
    if (!service) return Fail(service.error());
    return PushChanges(p, *service, {"project", "default_branch"}, "gitlab", where);
  }
  if (k == "tag_push") {
    out.notes.push_back(where + ": tag_push: tags are not changes: skipped");
    return out;
  }
  return Fail(Error::Input(where + ": GitLab " + k + " events are not delivery events"));
}

Result<PayloadEvents> PagerDuty(const Json& p, const std::string& where) {
  PayloadEvents out;
  auto type = Str(p, {"event", "event_type"}, where);
  if (!type) return Fail(Error::Input(where + ": not a PagerDuty V3 webhook payload (no /event/event_type)"));
  if (*type != "incident.triggered" && *type != "incident.resolved") {
    out.notes.push_back(where + ": " + *type + ": skipped");
    return out;
  }
  auto id = Str(p, {"event", "data", "id"}, where);
  auto service = Str(p, {"event", "data", "service", "summary"}, where);
  for (auto* r : {&id, &service})
    if (!*r) return Fail(r->error());
  auto t = TimeAt(p, {"event", "occurred_at"}, where);
  if (!t) return Fail(t.error());
  Event e;
  e.kind = Event::Kind::kIncident;
  e.incident.open = *type == "incident.triggered";
  e.incident.id = *id;
  e.incident.service = *service;
  e.incident.time = *t;
  e.incident.source = "pagerduty";
  out.events.push_back(std::move(e));
  return out;
}

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return HexEncode(std::span<const std::uint8_t>(out, len));
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<PayloadEvents> EventsFromPayload(Provider p, const Json& payload, const std::string& where) {
  if (!payload.is_object()) return Fail(Error::Input(where + ": a webhook payload must be a JSON object"));
  switch (p) {
    case Provider::kGithub: return Github(payload, where);
    case Provider::kGitlab: return Gitlab(payload, where);
    case Provider::kPagerDuty: return PagerDuty(payload, where);
  }
  return Fail(Error::Internal("unknown provider"));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) { return Hmac(EVP_sha256(), key, data); }
std::string HmacSha1Hex(std::string_view key, std::string_view data) { return Hmac(EVP_sha1(), key, data); }

Status VerifyGithubSignature(std::string_view secret, std::string_view body, std::string_view header) {
  if (secret.empty()) return Fail(Error::Input("X-Hub-Signature-256: no secret configured"));
  header = Trim(header);
  constexpr std::string_view kPrefix = "sha256=";
  if (header.substr(0, kPrefix.size()) != kPrefix)
    return Fail(Error::Input("X-Hub-Signature-256: expected \"sha256=<hex>\""));
  std::string given = Lower(header.substr(kPrefix.size()));
  if (!ConstantTimeEqual(given, HmacSha256Hex(secret, body)))
    return Fail(Error::Input("X-Hub-Signature-256: the signature does not match the body"));
  return Ok();
}

Status VerifyGitlabToken(std::string_view secret, std::string_view header) {
  if (secret.empty()) return Fail(Error::Input("X-Gitlab-Token: no secret configured"));
  if (!ConstantTimeEqual(Trim(header), secret)) return Fail(Error::Input("X-Gitlab-Token: the token does not match"));
  return Ok();
}

Status VerifyStandardWebhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                             std::string_view body, std::string_view header, std::int64_t now_seconds,
                             std::int64_t tolerance_seconds) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) == kPrefix) secret.remove_prefix(kPrefix.size());
  auto key = Base64Decode(secret);
  if (!key || key->empty()) return Fail(Error::Input("webhook secret: expected whsec_<base64>"));
  std::int64_t ts = 0;
  if (timestamp.empty() || timestamp.size() > 12) return Fail(Error::Input("webhook-timestamp: not Unix seconds"));
  for (char c : timestamp) {
    if (c < '0' || c > '9') return Fail(Error::Input("webhook-timestamp: not Unix seconds"));
    ts = ts * 10 + (c - '0');
  }
  if (ts < now_seconds - tolerance_seconds || ts > now_seconds + tolerance_seconds)
    return Fail(Error::Input("webhook-timestamp: outside the tolerance (a replay, or a skewed clock)"));
  std::string signed_text = std::string(id) + "." + std::string(timestamp) + "." + std::string(body);
  std::string_view keyv(reinterpret_cast<const char*>(key->data()), key->size());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), keyv.data(), static_cast<int>(keyv.size()), reinterpret_cast<const unsigned char*>(signed_text.data()),
       signed_text.size(), mac, &len);
  std::string expected = Base64Encode(std::span<const std::uint8_t>(mac, len));
  // Space-separated "v1,<base64>" values; other versions are ignored.
  std::size_t pos = 0;
  bool any = false;
  while (pos < header.size()) {
    std::size_t sp = header.find(' ', pos);
    std::string_view item = header.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    pos = sp == std::string_view::npos ? header.size() : sp + 1;
    if (item.substr(0, 3) != "v1,") continue;
    any = true;
    if (ConstantTimeEqual(item.substr(3), expected)) return Ok();
  }
  if (!any) return Fail(Error::Input("webhook-signature: no v1 signature"));
  return Fail(Error::Input("webhook-signature: no signature matches the body"));
}

Status VerifyPagerDutySignature(std::string_view secret, std::string_view body, std::string_view header) {
  if (secret.empty()) return Fail(Error::Input("X-PagerDuty-Signature: no secret configured"));
  std::string expected = HmacSha256Hex(secret, body);
  std::size_t pos = 0;
  bool any = false;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    std::string_view item = Trim(header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    pos = comma == std::string_view::npos ? header.size() + 1 : comma + 1;
    if (item.substr(0, 3) != "v1=") continue;
    any = true;
    if (ConstantTimeEqual(Lower(item.substr(3)), expected)) return Ok();
  }
  if (!any) return Fail(Error::Input("X-PagerDuty-Signature: no v1=<hex> value"));
  return Fail(Error::Input("X-PagerDuty-Signature: no signature matches the body"));
}

}  // namespace tollgate::delivery
