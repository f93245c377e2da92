// The service: authentication, authorisation by role, and one handler per
// route, each a thin call into the library (gate/run.h, delivery/record.h,
// delivery/dora.h, slo/slo.h, ledger/ledger.h).
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>

#include "admission/admission.h"
#include "core/canonical_json.h"
#include "core/hash.h"
#include "core/report.h"
#include "core/signing.h"
#include "delivery/dora.h"
#include "delivery/record.h"
#include "gate/run.h"
#include "ledger/ledger.h"
#include "ledger/pg.h"
#include "server/assets.h"
#include "server/internal.h"
#include "server/metrics.h"
#include "server/portal.h"
#include "server/service_health.h"
#include "server/server.h"
#include "server/state.h"
#include "slo/slo.h"

namespace tollgate::server {

std::string HttpRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

namespace {

namespace fs = std::filesystem;

HttpResponse JsonResponse(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  return r;
}

int StatusFor(const Error& e) {
  switch (e.code()) {
    case ErrorCode::kInput: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kIntegrity: return 503;  // the stored evidence does not verify: nothing is served as if it did
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Error& e) {
  return JsonResponse(StatusFor(e), Json{{"error", e.message()}});
}

HttpResponse Problem(int status, const std::string& message) { return JsonResponse(status, Json{{"error", message}}); }

std::string NewToken() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return "";
  std::string b64 = Base64Encode(std::span<const std::uint8_t>(raw, sizeof raw));
  // base64url without padding: safe in headers, URLs and cookies.
  for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "tg_" + b64;
}

std::string TokenHash(const std::string& token) { return HexEncode(Sha256(token)); }

Json PrincipalJson(const Principal& p) {
  return Json{{"name", p.name}, {"email", p.email}, {"roles", p.roles}, {"public_key", p.public_key},
              {"disabled", p.disabled}, {"server_held_key", !p.private_key.empty()}};
}

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

// A token bucket per principal.
class RateLimiter {
 public:
  explicit RateLimiter(double per_second) : rate_(per_second), burst_(per_second * 10) {}
  bool Allow(const std::string& who, std::chrono::steady_clock::time_point now) {
    if (rate_ <= 0) return true;
    std::lock_guard<std::mutex> lock(mu_);
    auto& b = buckets_[who];
    if (b.last.time_since_epoch().count() == 0) {
      b.tokens = burst_;
    } else {
      double dt = std::chrono::duration<double>(now - b.last).count();
      b.tokens = std::min(burst_, b.tokens + dt * rate_);
    }
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last{};
  };
  double rate_, burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

class ServiceImpl final : public Service {
 public:
  ServiceImpl(ServerOptions opts, const Clock& clock) : opts_(std::move(opts)), clock_(clock), limiter_(opts_.rate_per_second) {}

  Status Init() {
    auto l = ledger::Ledger::Open(opts_.ledger, ledger::OpenMode::kCreate, clock_);
    if (!l) return Fail(l.error());
    ledger_ = std::move(*l);
    std::string state = opts_.state;
    if (state.empty()) {
      // Beside the ledger: in the same PostgreSQL database, or a file named
      // after the SQLite ledger (ledger.db: ledger.server.db), so that two
      // ledgers in one directory never share principals and tokens.
      if (ledger::pg::IsUrl(opts_.ledger)) {
        state = opts_.ledger;
      } else {
        fs::path ledger_path(opts_.ledger);
        state = (ledger_path.parent_path() / (ledger_path.stem().string() + ".server.db")).string();
      }
    }
    auto st = ledger::pg::IsUrl(state) ? OpenPostgresState(state) : OpenSqliteState(state);
    if (!st) return Fail(st.error());
    state_ = std::move(*st);
    if (!opts_.ledger_key.empty()) {
      auto k = SignerKey::ReadFile(opts_.ledger_key);
      if (!k) return Fail(k.error());
      ledger_key_ = std::move(*k);
    }
    for (const auto& s : opts_.services) {
      if (s.config.empty()) {
        auto c = gate::DefaultConfig();
        c.service = s.name;
        configs_.emplace(s.name, std::move(c));
        continue;
      }
      auto c = gate::LoadConfig(s.config);
      if (!c) return Fail(c.error().WithContext("service '" + s.name + "'"));
      if (!c->service.empty() && c->service != s.name)
        return Fail(Error::Input(s.config + ": names service '" + c->service + "', registered as '" + s.name + "'"));
      c->service = s.name;
      configs_.emplace(s.name, std::move(*c));
    }
    TG_TRY(LoadAdmission());
    TG_TRY(Bootstrap());
    BuildRoutes();
    openapi_ = BuildOpenApi(routes_, opts_.version).dump(2) + "\n";
    return Ok();
  }

  std::string TakeBootstrapToken() override { return std::exchange(bootstrap_token_, std::string()); }
  const std::string& OpenApi() const override { return openapi_; }

  HttpResponse Handle(const HttpRequest& req) override {
    auto start = std::chrono::steady_clock::now();
    std::string route_name = "unmatched";
    HttpResponse resp = Dispatch(req, &route_name);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.Request(route_name, req.method, resp.status, secs);
    resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
    resp.headers.emplace_back("Cache-Control", "no-store");
    return resp;
  }

 private:
  // ---- dispatch, authentication, authorisation --------------------------

  HttpResponse Dispatch(const HttpRequest& req, std::string* route_name) {
    if (req.body.size() > opts_.max_body_bytes) return Problem(413, "request body larger than the limit");
    const Route* match = nullptr;
    bool path_known = false;
    for (const auto& r : routes_) {
      if (r.path != req.path) continue;
      path_known = true;
      if (r.method == req.method) {
        match = &r;
        break;
      }
    }
    if (match == nullptr && assets::IsAsset(req.path)) {  // the portal's script and styles: no session, no data
      *route_name = "/assets/{file}";
      return assets::Serve(req);
    }
    if (match == nullptr && portal::IsMorePage(req.path)) {
      *route_name = portal::MoreRouteName(req.path);
      return PortalPages(req);
    }
    if (match == nullptr && portal::IsPage(req.path)) {
      *route_name = portal::RouteName(req.path);
      return Portal(req);
    }
    if (match == nullptr) {
      if (path_known) return Problem(405, "method " + req.method + " not allowed on " + req.path);
      return Problem(404, "no route " + req.path);
    }
    *route_name = match->path;
    Caller caller;
    if (match->access == Access::kPublic || match->access == Access::kWebhook || match->access == Access::kAdmission) {
      return match->handler(req, caller);
    }
    auto who = Authenticate(req);
    if (!who) return JsonResponse(401, Json{{"error", who.error().message()}});
    caller = std::move(*who);
    if (!limiter_.Allow(caller.principal.name, std::chrono::steady_clock::now()))
      return Problem(429, "rate limit exceeded for '" + caller.principal.name + "'");
    if (!Allowed(*match, caller.principal))
      return Problem(403, "'" + caller.principal.name + "' may not " + match->method + " " + match->path + " (roles: " +
                              Join(match->roles) + ")");
    return match->handler(req, caller);
  }

  static std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  static bool Allowed(const Route& r, const Principal& p) {
    if (p.disabled) return false;
    for (const auto& role : r.roles)
      if (p.HasRole(role)) return true;
    return false;
  }

  Result<Caller> Authenticate(const HttpRequest& req) {
    std::string auth = req.Header("authorization");
    const std::string kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0)
      return Fail(Error::Input("authentication required: send 'Authorization: Bearer <token>'"));
    std::string token = auth.substr(kBearer.size());
    if (token.rfind("tg_", 0) != 0) {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto oidc = AuthenticateOidc(token, opts_.oidc, *state_, clock_.Now());
      if (!oidc) return Fail(oidc.error());
      return *oidc;
    }
    return AuthenticateToken(token);
  }

  // An API token or a portal session (both "tg_" tokens, stored as hashes).
  Result<Caller> AuthenticateToken(const std::string& token) {
    std::lock_guard<std::mutex> lock(state_mu_);
    auto rec = state_->GetToken(TokenHash(token));
    if (!rec) return Fail(rec.error());
    if (!*rec) return Fail(Error::Input("unknown token"));
    if ((*rec)->revoked) return Fail(Error::Input("the token was revoked"));
    if (!(*rec)->expires.empty()) {
      auto exp = ParseRfc3339((*rec)->expires);
      if (!exp || clock_.Now() >= *exp) return Fail(Error::Input("the token expired"));
    }
    auto p = state_->GetPrincipal((*rec)->principal);
    if (!p) return Fail(p.error());
    if (!*p) return Fail(Error::Input("the token's principal no longer exists"));
    if ((*p)->disabled) return Fail(Error::Input("the principal is disabled"));
    return Caller{**p, "token"};
  }

  // ---- bootstrap and principals ---------------------------------------------

  Status Bootstrap() {
    std::lock_guard<std::mutex> lock(state_mu_);
    auto empty = state_->Empty();
    if (!empty) return Fail(empty.error());
    if (!*empty) return Ok();
    auto p = NewPrincipal("admin", "", {"admin"}, "");
    if (!p) return Fail(p.error());
    auto first = state_->AddFirstPrincipal(*p);  // another replica may have bootstrapped meanwhile
    if (!first) return Fail(first.error());
    if (!*first) return Ok();
    auto token = IssueToken("admin", "bootstrap", "");
    if (!token) return Fail(token.error());
    bootstrap_token_ = *token;
    return RecordAudit("principal.created", "system", Json{{"principal", "admin"}, {"roles", {"admin"}}, {"bootstrap", true}});
  }

  // A principal with a server-held Ed25519 key unless it brings its own.
  static Result<Principal> NewPrincipal(const std::string& name, const std::string& email,
                                        std::vector<std::string> roles, const std::string& public_key) {
    Principal p;
    p.name = name;
    p.email = email;
    p.roles = std::move(roles);
    if (!public_key.empty()) {
      auto vk = VerifierKey::Parse(public_key);
      if (!vk) return Fail(vk.error().WithContext("public_key"));
      if (vk->name() != name)
        return Fail(Error::Input("public_key is named '" + vk->name() + "' but the principal is '" + name + "'"));
      p.public_key = vk->ToString();
      return p;
    }
    auto key = SignerKey::Generate(name);
    if (!key) return Fail(key.error());
    p.private_key = key->ToString();
    p.public_key = key->verifier().ToString();
    return p;
  }

  // Caller holds state_mu_.
  Result<std::string> IssueToken(const std::string& principal, const std::string& label, const std::string& expires) {
    std::string token = NewToken();
    if (token.empty()) return Fail(Error::Internal("no randomness for a token"));
    TG_TRY(state_->PutToken(TokenRecord{TokenHash(token), principal, label, FormatRfc3339(clock_.Now()), expires, false}));
    return token;
  }

  Status RecordAudit(const std::string& type, const std::string& actor, Json payload) {
    std::vector<Json> events;
    events.push_back(Json{{"type", type}, {"actor", actor}, {"payload", std::move(payload)}});
    auto a = AppendGrouped(std::move(events));
    if (!a) return Fail(a.error());
    return Ok();
  }

  // Group commit: requests that append at the same moment share one ledger
  // transaction (and one fsync). The first waiting request writes every
  // queued one's events in one batch, in arrival order; each request is
  // answered only after the batch is durable, and if it fails, every request
  // in it fails (nothing is acknowledged that was not written). For events
  // the server builds itself (audit records, admission decisions), never for
  // a client's events, so one bad request cannot fail another's.
  Result<std::vector<ledger::AppendedEntry>> AppendGrouped(std::vector<Json> events) {
    Pending me;
    me.events = std::move(events);
    std::unique_lock<std::mutex> lock(group_mu_);
    group_queue_.push_back(&me);
    while (!me.done) {
      if (group_writing_) {
        group_cv_.wait(lock);
        continue;
      }
      group_writing_ = true;
      std::vector<Pending*> batch(group_queue_.begin(), group_queue_.end());
      group_queue_.clear();
      lock.unlock();
      std::vector<Json> all;
      for (auto* p : batch)
        for (auto& e : p->events) all.push_back(std::move(e));
      Result<std::vector<ledger::AppendedEntry>> written = Fail(Error::Internal("unset"));
      {
        std::lock_guard<std::mutex> ledger_lock(ledger_mu_);
        written = ledger_->Append(std::move(all), ledger_key_ ? &*ledger_key_ : nullptr);
      }
      if (written) metrics_.Appended(written->size());
      std::size_t at = 0;
      for (auto* p : batch) {
        if (!written) {
          p->error = written.error();
          continue;
        }
        p->written.assign(written->begin() + static_cast<std::ptrdiff_t>(at),
                          written->begin() + static_cast<std::ptrdiff_t>(at + p->events.size()));
        at += p->events.size();
      }
      lock.lock();
      for (auto* p : batch) p->done = true;
      group_writing_ = false;
      group_cv_.notify_all();
    }
    if (me.error) return Fail(*me.error);
    return std::move(me.written);
  }

  gate::Keyring KeyringFromPrincipals() {
    std::vector<gate::KeyringEntry> entries;
    std::lock_guard<std::mutex> lock(state_mu_);
    auto all = state_->Principals();
    if (!all) return gate::Keyring::FromEntries({});
    for (const auto& p : *all) {
      if (p.disabled || p.public_key.empty()) continue;
      auto vk = VerifierKey::Parse(p.public_key);
      if (!vk) continue;
      entries.push_back(gate::KeyringEntry{p.name, p.email, *vk, p.roles, {}});
    }
    return gate::Keyring::FromEntries(std::move(entries));
  }

  static Result<Json> Body(const HttpRequest& req) {
    if (req.body.empty()) return Fail(Error::Input("a JSON body is required"));
    auto j = ParseJson(req.body, "request body");
    if (!j) return Fail(j.error());
    if (!j->is_object()) return Fail(Error::Input("request body: expected a JSON object"));
    return *j;
  }

  static Result<std::string> Str(const Json& j, const char* key, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) return Fail(Error::Input(std::string("\"") + key + "\" is required"));
      return std::string();
    }
    if (!it->is_string()) return Fail(Error::Input(std::string("\"") + key + "\" must be a string"));
    return it->get<std::string>();
  }

  HttpResponse PostPrincipal(const HttpRequest& req, const Caller& caller) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto name = Str(*body, "name", true);
    auto email = Str(*body, "email", false);
    auto key = Str(*body, "public_key", false);
    if (!name) return ErrorResponse(name.error());
    if (!email) return ErrorResponse(email.error());
    if (!key) return ErrorResponse(key.error());
    if (!ValidName(*name)) return Problem(400, "\"name\": letters, digits, '-', '_' and '.', at most 64");
    std::vector<std::string> roles;
    if (auto r = body->find("roles"); r != body->end()) {
      if (!r->is_array()) return Problem(400, "\"roles\" must be a list");
      for (const auto& x : *r) {
        if (!x.is_string() || !KnownRole(x.get<std::string>()))
          return Problem(400, "\"roles\": each one of " + Join(AllRoles()));
        roles.push_back(x.get<std::string>());
      }
    }
    auto p = NewPrincipal(*name, *email, roles, *key);
    if (!p) return ErrorResponse(p.error());
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto existing = state_->GetPrincipal(*name);
      if (!existing) return ErrorResponse(existing.error());
      if (*existing) return Problem(409, "principal '" + *name + "' exists");
      if (auto s = state_->PutPrincipal(*p); !s) return ErrorResponse(s.error());
    }
    if (auto s = RecordAudit("principal.created", caller.principal.name,
                             Json{{"principal", *name}, {"roles", roles}, {"public_key", p->public_key}});
        !s)
      return ErrorResponse(s.error());
    return JsonResponse(201, PrincipalJson(*p));
  }

  // POST /api/v1/principals/grant and /revoke: one role, effective on the
  // principal's next request (roles are read from the state store on each
  // one), a role.granted / role.revoked ledger event naming the grantor.
  // The last enabled admin keeps its admin role, so the service always has
  // someone who can grant.
  HttpResponse ChangeRole(const HttpRequest& req, const Caller& caller, bool grant) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto name = Str(*body, "principal", true);
    auto role = Str(*body, "role", true);
    if (!name) return ErrorResponse(name.error());
    if (!role) return ErrorResponse(role.error());
    if (!KnownRole(*role)) return Problem(400, "\"role\": one of " + Join(AllRoles()));
    Principal p;
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto got = state_->GetPrincipal(*name);
      if (!got) return ErrorResponse(got.error());
      if (!*got) return Problem(404, "no principal '" + *name + "'");
      p = **got;
      auto at = std::find(p.roles.begin(), p.roles.end(), *role);
      if (grant && at == p.roles.end()) {
        p.roles.push_back(*role);
        changed = true;
      } else if (!grant && at != p.roles.end()) {
        if (*role == "admin" && !p.disabled) {
          auto all = state_->Principals();
          if (!all) return ErrorResponse(all.error());
          int admins = 0;
          for (const auto& x : *all)
            if (!x.disabled && x.HasRole("admin")) ++admins;
          if (admins <= 1) return Problem(409, "'" + *name + "' is the last admin: grant admin to another principal first");
        }
        p.roles.erase(at);
        changed = true;
      }
      if (changed)
        if (auto s = state_->PutPrincipal(p); !s) return ErrorResponse(s.error());
    }
    if (changed)
      if (auto s = RecordAudit(grant ? "role.granted" : "role.revoked", caller.principal.name,
                               Json{{"principal", *name}, {"role", *role}, {"roles", p.roles}});
          !s)
        return ErrorResponse(s.error());
    Json out = PrincipalJson(p);
    out["changed"] = changed;
    return JsonResponse(200, out);
  }

  HttpResponse GetPrincipals(const HttpRequest&, const Caller&) {
    std::lock_guard<std::mutex> lock(state_mu_);
    auto all = state_->Principals();
    if (!all) return ErrorResponse(all.error());
    Json out = Json::array();
    for (const auto& p : *all) out.push_back(PrincipalJson(p));
    return JsonResponse(200, Json{{"principals", out}});
  }

  HttpResponse PostToken(const HttpRequest& req, const Caller& caller) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto principal = Str(*body, "principal", true);
    auto label = Str(*body, "label", false);
    auto expires = Str(*body, "expires", false);
    if (!principal) return ErrorResponse(principal.error());
    if (!label) return ErrorResponse(label.error());
    if (!expires) return ErrorResponse(expires.error());
    std::string exp;
    if (!expires->empty()) {
      auto e = gate::ParseExpiry(*expires);
      if (!e) return ErrorResponse(e.error());
      exp = *e;
    }
    std::string token;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto p = state_->GetPrincipal(*principal);
      if (!p) return ErrorResponse(p.error());
      if (!*p) return Problem(404, "no principal '" + *principal + "'");
      auto t = IssueToken(*principal, *label, exp);
      if (!t) return ErrorResponse(t.error());
      token = *t;
    }
    std::string hash = TokenHash(token);
    if (auto s = RecordAudit("token.created", caller.principal.name,
                             Json{{"principal", *principal}, {"label", *label}, {"expires", exp}, {"token_sha256", hash}});
        !s)
      return ErrorResponse(s.error());
    // The token is shown once; only its hash is stored.
    return JsonResponse(201, Json{{"token", token}, {"token_sha256", hash}, {"principal", *principal}, {"expires", exp}});
  }

  HttpResponse RevokeToken(const HttpRequest& req, const Caller& caller) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto token = Str(*body, "token", false);
    auto hash = Str(*body, "token_sha256", false);
    if (!token) return ErrorResponse(token.error());
    if (!hash) return ErrorResponse(hash.error());
    std::string h = !token->empty() ? TokenHash(*token) : *hash;
    if (h.empty()) return Problem(400, "give \"token\" or \"token_sha256\"");
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto rec = state_->GetToken(h);
      if (!rec) return ErrorResponse(rec.error());
      if (!*rec) return Problem(404, "no such token");
      if (auto s = state_->RevokeToken(h); !s) return ErrorResponse(s.error());
    }
    if (auto s = RecordAudit("token.revoked", caller.principal.name, Json{{"token_sha256", h}}); !s)
      return ErrorResponse(s.error());
    return JsonResponse(200, Json{{"revoked", h}});
  }

  HttpResponse WhoAmI(const HttpRequest&, const Caller& caller) {
    Json j = PrincipalJson(caller.principal);
    j["authenticated_by"] = caller.method;
    return JsonResponse(200, j);
  }

  // ---- gate runs, waivers, approvals ----------------------------------------

  HttpResponse PostGateRun(const HttpRequest& req, const Caller& caller) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto service = Str(*body, "service", true);
    if (!service) return ErrorResponse(service.error());
    auto cfg = configs_.find(*service);
    if (cfg == configs_.end())
      return Problem(404, "service '" + *service + "' is not registered with this server (its gates and bypass rules are)");
    gate::Submission sub;
    sub.service = *service;
    for (auto [key, out] : {std::pair{"commit", &sub.commit}, std::pair{"repository", &sub.repository},
                            std::pair{"branch", &sub.branch}}) {
      auto v = Str(*body, key, false);
      if (!v) return ErrorResponse(v.error());
      *out = *v;
    }
    auto author = Str(*body, "author", false);
    if (!author) return ErrorResponse(author.error());
    sub.author = gate::ParseAuthor(*author);
    sub.recorded_by = caller.principal.name;
    auto gates = body->find("gates");
    if (gates == body->end() || !gates->is_object()) return Problem(400, "\"gates\": an object of gate name -> findings");
    for (auto it = gates->begin(); it != gates->end(); ++it)
      if (cfg->second.FindGate(it.key()) == nullptr)
        return Problem(400, "gate '" + it.key() + "' is not configured for service '" + *service + "'");
    for (const auto& g : cfg->second.gates) {
      std::vector<Finding> findings;
      auto it = gates->find(g.name);
      if (it == gates->end()) {
        // Fail closed: a configured gate the client did not run blocks.
        Finding f;
        f.rule_id = "gate-not-run";
        f.gate = g.name;
        f.severity = Severity::kCritical;
        f.message = "the gate run carries no result for gate '" + g.name + "'";
        f.fingerprint = MakeFingerprint("gate-not-run", {*service, g.name});
        f.tool = "tollgate-server";
        findings.push_back(std::move(f));
      } else {
        if (!it->is_array()) return Problem(400, "gates." + g.name + ": expected a list of findings");
        std::size_t i = 0;
        for (const auto& fj : *it) {
          auto f = FindingFromJson(fj);
          if (!f) return Problem(400, "gates." + g.name + "[" + std::to_string(i) + "]: " + f.error().message());
          findings.push_back(std::move(*f));
          ++i;
        }
      }
      sub.findings.push_back(std::move(findings));
    }
    gate::Keyring keyring = KeyringFromPrincipals();
    Result<gate::RunResult> run = Fail(Error::Internal("unset"));
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      run = gate::DecideAndRecord(cfg->second, std::move(sub), &keyring, *ledger_, ledger_key_ ? &*ledger_key_ : nullptr,
                                  clock_.Now());
    }
    if (!run) return ErrorResponse(run.error());
    metrics_.Appended(run->recorded.size());
    for (const auto& g : run->evaluation.gates) metrics_.GateOutcome(g.gate.name, g.blocked ? "blocked" : "pass");
    Report report = gate::ToReport(run->evaluation, opts_.version);
    std::ostringstream rj;
    WriteJson(report, rj);
    auto report_json = ParseJson(rj.str(), "report");
    if (!report_json) return ErrorResponse(report_json.error());
    // The change page's findings (text the ledger never holds), under the
    // index of the run's gate.overall entry: the run's id.
    std::uint64_t change = run->recorded.back().seq;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (auto s = state_->PutGateRun(change, *service, rj.str()); !s) return ErrorResponse(s.error());
    }
    return JsonResponse(201, Json{{"decision", run->evaluation.blocked ? "blocked" : "pass"},
                                  {"change", change},
                                  {"ledger", {{"first", run->recorded.front().seq}, {"last", run->recorded.back().seq}}},
                                  {"report", *report_json}});
  }

  template <typename T>
  Result<std::vector<std::pair<std::uint64_t, Json>>> ReadType(const std::string& type, std::size_t limit) {
    std::vector<std::pair<std::uint64_t, Json>> out;
    std::lock_guard<std::mutex> lock(ledger_mu_);
    TG_TRY(ledger_->Scan(0, 0, type, [&](const ledger::StoredEntry& e) {
      auto j = ParseJson(e.body, "entry");
      if (j) out.emplace_back(e.seq, std::move(*j));
      return true;
    }));
    if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
    return out;
  }

  static std::size_t Limit(const HttpRequest& req) {
    std::string l = req.Query("limit");
    if (l.empty() || l.size() > 6 || l.find_first_not_of("0123456789") != std::string::npos) return 1000;
    return std::max<std::size_t>(1, std::stoul(l));
  }

  HttpResponse GetWaivers(const HttpRequest& req, const Caller&) {
    auto rows = ReadType<gate::Waiver>("waiver", Limit(req));
    if (!rows) return ErrorResponse(rows.error());
    std::string service = req.Query("service");
    Json out = Json::array();
    for (auto& [seq, j] : *rows) {
      if (!service.empty() && j.value("service", "") != service && j.value("service", "") != gate::kAllServices) continue;
      out.push_back(std::move(j));
    }
    return JsonResponse(200, Json{{"waivers", out}});
  }

  HttpResponse PostWaiver(const HttpRequest& req, const Caller& caller) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    gate::Keyring keyring = KeyringFromPrincipals();
    // A waiver the client signed with its own key: verified like any other.
    if (auto signed_w = body->find("signed"); signed_w != body->end()) {
      auto w = gate::Waiver::FromEvent(*signed_w);
      if (!w) return ErrorResponse(w.error());
      if (w->approver != caller.principal.name)
        return Problem(403, "a signed waiver is submitted by its approver ('" + w->approver + "')");
      auto cfg = configs_.find(w->service);
      if (cfg == configs_.end() && w->service != gate::kAllServices)
        return Problem(404, "service '" + w->service + "' is not registered");
      const gate::GateConfig* g = cfg == configs_.end() ? nullptr : cfg->second.FindGate(w->gate);
      if (cfg != configs_.end() && g == nullptr) return Problem(400, "no gate '" + w->gate + "' for '" + w->service + "'");
      if (g != nullptr && !g->bypass_allowed) return Problem(400, "gate '" + w->gate + "' allows no bypass: waivers are refused");
      gate::Verdict v = gate::JudgeWaiver(*w, keyring, g ? g->bypass_roles : std::vector<std::string>{"admin"}, nullptr,
                                          clock_.Now());
      if (!v.accepted) return Problem(403, "waiver refused: " + v.reason);
      std::vector<Json> events{w->ToEvent()};
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto a = ledger_->Append(std::move(events), ledger_key_ ? &*ledger_key_ : nullptr);
      if (!a) return ErrorResponse(a.error());
      metrics_.Appended(1);
      Json out = w->ToEvent();
      out["seq"] = a->front().seq;
      return JsonResponse(201, out);
    }
    // Otherwise the server signs with the principal's server-held key, under
    // the same rules (bypass roles, scope), so an API waiver is authorised
    // exactly as a signed one on the CLI.
    gate::WaiverRequest wr;
    auto service = Str(*body, "service", false);
    if (!service) return ErrorResponse(service.error());
    wr.service = *service;
    wr.all_services = body->value("all_services", false);
    for (auto [key, out] : {std::pair{"repository", &wr.repository}, std::pair{"branch", &wr.branch},
                            std::pair{"gate", &wr.gate}, std::pair{"finding", &wr.finding},
                            std::pair{"reason", &wr.reason}, std::pair{"expires", &wr.expires}}) {
      auto v = Str(*body, key, false);
      if (!v) return ErrorResponse(v.error());
      *out = *v;
    }
    if (wr.service.empty() && !wr.all_services)
      return Problem(400, "\"service\" is required (or \"all_services\": true, which needs the admin role)");
    std::string config_service = wr.all_services ? (configs_.empty() ? "" : configs_.begin()->first) : wr.service;
    auto cfg = configs_.find(config_service);
    if (cfg == configs_.end()) return Problem(404, "service '" + wr.service + "' is not registered");
    if (caller.principal.private_key.empty())
      return Problem(400, "'" + caller.principal.name + "' holds its own key: submit the waiver signed (\"signed\": {...})");
    auto signer = SignerKey::Parse(caller.principal.private_key);
    if (!signer) return ErrorResponse(signer.error());
    if (auto s = gate::ValidateWaiverRequest(cfg->second, wr); !s) return ErrorResponse(s.error());
    Result<gate::Waiver> w = Fail(Error::Internal("unset"));
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      w = gate::RecordWaiver(cfg->second, keyring, wr, *signer, *ledger_, ledger_key_ ? &*ledger_key_ : nullptr, clock_.Now());
    }
    if (!w) {
      int status = w.error().message().rfind("waiver refused", 0) == 0 ? 403 : StatusFor(w.error());
      return Problem(status, w.error().message());
    }
    metrics_.Appended(1);
    Json out = w->ToEvent();
    out["seq"] = w->seq;
    return JsonResponse(201, out);
  }

  HttpResponse GetApprovals(const HttpRequest& req, const Caller&) {
    auto rows = ReadType<gate::Approval>("approval", Limit(req));
    if (!rows) return ErrorResponse(rows.error());
    std::string commit = req.Query("commit");
    Json out = Json::array();
    for (auto& [seq, j] : *rows)
      if (commit.empty() || j.value("commit", "") == commit) out.push_back(std::move(j));
    return JsonResponse(200, Json{{"approvals", out}});
  }

  HttpResponse PostApproval(const HttpRequest& req, const Caller& caller) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto commit = Str(*body, "commit", true);
    auto reason = Str(*body, "reason", false);
    if (!commit) return ErrorResponse(commit.error());
    if (!reason) return ErrorResponse(reason.error());
    if (caller.principal.private_key.empty())
      return Problem(400, "'" + caller.principal.name + "' holds its own key: approve with `tollgate approve` and a key");
    auto signer = SignerKey::Parse(caller.principal.private_key);
    if (!signer) return ErrorResponse(signer.error());
    gate::Keyring keyring = KeyringFromPrincipals();
    Result<gate::Approval> ap = Fail(Error::Internal("unset"));
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      ap = gate::RecordApproval(keyring, *commit, *reason, *signer, *ledger_, ledger_key_ ? &*ledger_key_ : nullptr,
                                clock_.Now());
    }
    if (!ap) return ErrorResponse(ap.error());
    metrics_.Appended(1);
    Json out = ap->ToEvent();
    out["seq"] = ap->seq;
    return JsonResponse(201, out);
  }

  // ---- changes, waiver requests, ledger search (issue 17) --------------------

  static std::string JStr(const Json& j, const char* key) {
    if (!j.is_object()) return "";
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
  static Json Payload(const Json& entry) {
    auto it = entry.find("payload");
    return it != entry.end() && it->is_object() ? *it : Json::object();
  }
  static std::optional<std::uint64_t> JNum(const Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<std::uint64_t>();
  }

  // Gate run `id`: its gate.overall entry (ledger index `id`) and the
  // gate.decision entries of its batch, one per gate, just before it.
  struct GateRunEntries {
    Json overall;
    std::vector<std::pair<std::uint64_t, Json>> decisions;
  };

  // Caller holds ledger_mu_.
  Result<GateRunEntries> ReadGateRun(std::uint64_t id) {
    GateRunEntries out;
    auto size = ledger_->Size();
    if (!size) return Fail(size.error());
    Error missing = Error::NotFound("no gate run " + std::to_string(id) + " (a change is the ledger index of its gate.overall entry)");
    if (id >= *size) return Fail(missing);
    std::optional<Error> bad;
    auto parse = [&](const ledger::StoredEntry& e, Json* into) {
      auto j = ParseJson(e.body, "ledger entry " + std::to_string(e.seq));
      if (!j || !j->is_object()) {
        bad = Error::Integrity("ledger entry " + std::to_string(e.seq) + " is not a JSON object");
        return false;
      }
      *into = std::move(*j);
      return true;
    };
    std::string type;
    TG_TRY(ledger_->Scan(id, 1, "", [&](const ledger::StoredEntry& e) {
      type = e.type;
      return parse(e, &out.overall);
    }));
    if (bad) return Fail(*bad);
    if (type != "gate.overall") return Fail(missing);
    Json p = Payload(out.overall);
    auto gates = p.find("gates");
    std::uint64_t n = gates != p.end() && gates->is_object() ? gates->size() : 0;
    if (n > id) return Fail(Error::Integrity("gate run " + std::to_string(id) + ": fewer entries before it than gates"));
    TG_TRY(ledger_->Scan(id - n, n, "", [&](const ledger::StoredEntry& e) {
      Json j;
      if (!parse(e, &j)) return false;
      Json dp = Payload(j);
      if (e.type == "gate.decision" && JStr(dp, "service") == JStr(p, "service") && JStr(dp, "commit") == JStr(p, "commit"))
        out.decisions.emplace_back(e.seq, std::move(j));
      return true;
    }));
    if (bad) return Fail(*bad);
    if (out.decisions.size() != n)
      return Fail(Error::Integrity("gate run " + std::to_string(id) + ": the entries before it are not its gate decisions"));
    return out;
  }

  // Every waiver request with its status (the first decision counts), in
  // ledger order. Caller holds ledger_mu_.
  Result<std::vector<Json>> ReadWaiverRequests() {
    std::vector<Json> out;
    std::map<std::uint64_t, std::size_t> at;  // request id -> index in out
    std::optional<Error> bad;
    TG_TRY(ledger_->ScanBodies(
        {"waiver.request", "waiver.request.approved", "waiver.request.rejected"},
        [&](std::uint64_t seq, std::string_view type, std::string_view body) {
          auto j = ParseJson(std::string(body), "ledger entry " + std::to_string(seq));
          if (!j || !j->is_object()) {
            bad = Error::Integrity("ledger entry " + std::to_string(seq) + " is not a JSON object");
            return false;
          }
          Json p = Payload(*j);
          if (type == "waiver.request") {
            p["id"] = seq;
            p["time"] = JStr(*j, "time");
            p["status"] = "pending";
            at[seq] = out.size();
            out.push_back(std::move(p));
            return true;
          }
          auto id = JNum(p, "request");
          auto it = id ? at.find(*id) : at.end();
          if (it == at.end() || out[it->second]["status"] != "pending") return true;
          Json& r = out[it->second];
          r["status"] = type == "waiver.request.approved" ? "approved" : "rejected";
          r["decided_by"] = JStr(p, "by");
          r["decision_reason"] = JStr(p, "reason");
          r["decided_seq"] = seq;
          if (auto w = JNum(p, "waiver_seq")) r["waiver_seq"] = *w;
          return true;
        }));
    if (bad) return Fail(*bad);
    return out;
  }

  // What `p` may do with waiver request `r`. Approving is judged again by
  // gate::SignCheckedWaiver (signature, bypass role, four-eyes); this says
  // it first, in words, and is what the page shows.
  struct Authority {
    bool approve = false;
    bool reject = false;
    std::string why;  // why approving is refused
  };
  Authority AuthorityOver(const Json& r, const Principal& p, const gate::Keyring& keyring) const {
    auto cfg = configs_.find(JStr(r, "service"));
    const gate::GateConfig* g = cfg == configs_.end() ? nullptr : cfg->second.FindGate(JStr(r, "gate"));
    if (g == nullptr) return {false, p.HasRole("admin"), "the gate is no longer configured"};
    bool holds = std::any_of(g->bypass_roles.begin(), g->bypass_roles.end(), [&](const std::string& role) { return p.HasRole(role); });
    Authority a{false, holds || p.HasRole("admin"), ""};
    if (!g->bypass_allowed) {
      a.why = "gate '" + g->name + "' allows no bypass (bypass: none): the finding must be fixed";
      return a;
    }
    if (!holds) {
      a.why = "approving needs one of the gate's bypass roles: " + Join(g->bypass_roles);
      return a;
    }
    const gate::KeyringEntry* me = nullptr;
    for (const auto& e : keyring.entries())
      if (e.name == p.name) me = &e;
    if (me == nullptr) {
      a.why = "'" + p.name + "' has no key the server knows";
      return a;
    }
    gate::Author author{JStr(r, "author"), JStr(r, "author_email")};
    if (author.known())
      if (auto same = gate::SamePerson(author, *me, keyring)) {
        a.why = "'" + p.name + "' is the change's author (" + *same + "): a second person approves (four-eyes)";
        return a;
      }
    a.approve = true;
    return a;
  }

  // A request as the API answers it: with the gate's bypass authority and
  // what the caller may do.
  Json RequestJson(Json r, const Principal& p, const gate::Keyring& keyring) const {
    auto cfg = configs_.find(JStr(r, "service"));
    const gate::GateConfig* g = cfg == configs_.end() ? nullptr : cfg->second.FindGate(JStr(r, "gate"));
    r["bypass"] = g != nullptr && g->bypass_allowed ? Json(g->bypass_roles) : Json("none");
    bool pending = r.value("status", "") == "pending";
    Authority a = AuthorityOver(r, p, keyring);
    r["can_approve"] = pending && a.approve;
    r["can_reject"] = pending && a.reject;
    if (pending && !a.approve) r["approve_refusal"] = a.why;
    return r;
  }

  Result<Json> ChangeJson(std::uint64_t id, const Principal& caller) {
    GateRunEntries run;
    std::vector<Json> requests;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto r = ReadGateRun(id);
      if (!r) return Fail(r.error());
      run = std::move(*r);
      auto all = ReadWaiverRequests();
      if (!all) return Fail(all.error());
      for (auto& q : *all)
        if (JNum(q, "change") == id) requests.push_back(std::move(q));
    }
    std::optional<std::string> stored;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto s = state_->GetGateRun(id);
      if (!s) return Fail(s.error());
      stored = std::move(*s);
    }
    Json p = Payload(run.overall);
    Json out{{"id", id},
             {"service", JStr(p, "service")},
             {"commit", JStr(p, "commit")},
             {"author", JStr(p, "author")},
             {"decision", JStr(p, "decision")},
             {"recorded_by", JStr(p, "recorded_by")},
             {"time", JStr(run.overall, "time")},
             {"approvals", p.value("approvals", Json::object())}};
    Json gates = Json::array(), ledger = Json::array();
    for (const auto& [seq, d] : run.decisions) {
      Json dp = Payload(d);
      Json g{{"name", JStr(dp, "gate")}, {"seq", seq}};
      for (const char* k : {"decision", "source", "fail_on", "bypass", "findings", "blocking", "blocking_count", "waived",
                            "waived_count", "waivers"})
        if (dp.contains(k)) g[k] = dp[k];
      gates.push_back(std::move(g));
      ledger.push_back(Json{{"seq", seq}, {"type", "gate.decision"}, {"subject", JStr(d, "subject")}});
    }
    ledger.push_back(Json{{"seq", id}, {"type", "gate.overall"}, {"subject", JStr(run.overall, "subject")}});
    out["gates"] = std::move(gates);
    if (stored) {
      auto report = ParseJson(*stored, "stored gate run " + std::to_string(id));
      if (!report) return Fail(Error::Integrity(report.error().message()));
      out["findings"] = report->value("findings", Json::array());
    } else {
      out["findings"] = nullptr;
      out["findings_note"] = "This run's findings were not kept by this server (it was decided elsewhere or before "
                             "the server kept reports); the ledger holds their fingerprints and counts only.";
    }
    gate::Keyring keyring = KeyringFromPrincipals();
    Json reqs = Json::array();
    for (auto& r : requests) {
      ledger.push_back(Json{{"seq", r["id"]}, {"type", "waiver.request"}, {"subject", JStr(r, "gate")}});
      if (auto d = JNum(r, "decided_seq"))
        ledger.push_back(Json{{"seq", *d}, {"type", "waiver.request." + JStr(r, "status")}, {"subject", JStr(r, "gate")}});
      if (auto w = JNum(r, "waiver_seq")) ledger.push_back(Json{{"seq", *w}, {"type", "waiver"}, {"subject", JStr(r, "gate")}});
      reqs.push_back(RequestJson(std::move(r), caller, keyring));
    }
    std::sort(ledger.begin(), ledger.end(), [](const Json& a, const Json& b) { return a["seq"] < b["seq"]; });
    for (auto& e : ledger)
      e["inclusion_proof"] = "/api/v1/ledger/proof/inclusion?index=" + std::to_string(e["seq"].get<std::uint64_t>());
    out["waiver_requests"] = std::move(reqs);
    out["ledger"] = std::move(ledger);
    return out;
  }

  HttpResponse GetGateRuns(const HttpRequest& req, const Caller& caller) {
    if (!req.Query("id").empty()) {
      auto id = QueryNumber(req, "id", 0);
      if (!id) return ErrorResponse(id.error());
      auto c = ChangeJson(*id, caller.principal);
      if (!c) return ErrorResponse(c.error());
      return JsonResponse(200, *c);
    }
    std::string service = req.Query("service");
    std::size_t limit = req.Query("limit").empty() ? 20 : std::min<std::size_t>(Limit(req), 500);
    std::vector<Json> runs;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto s = ledger_->ScanBodies({"gate.overall"}, [&](std::uint64_t seq, std::string_view, std::string_view body) {
        auto j = ParseJson(std::string(body), "entry");
        if (!j || !j->is_object()) return true;
        Json p = Payload(*j);
        if (!service.empty() && JStr(p, "service") != service) return true;
        runs.push_back(Json{{"id", seq}, {"service", JStr(p, "service")}, {"commit", JStr(p, "commit")},
                            {"author", JStr(p, "author")}, {"decision", JStr(p, "decision")}, {"time", JStr(*j, "time")}});
        if (runs.size() > 2 * limit) runs.erase(runs.begin(), runs.end() - static_cast<std::ptrdiff_t>(limit));
        return true;
      });
      if (!s) return ErrorResponse(s.error());
    }
    if (runs.size() > limit) runs.erase(runs.begin(), runs.end() - static_cast<std::ptrdiff_t>(limit));
    std::reverse(runs.begin(), runs.end());  // newest first
    return JsonResponse(200, Json{{"gate_runs", runs}});
  }

  HttpResponse GetWaiverRequests(const HttpRequest& req, const Caller& caller) {
    std::string status = req.Query("status").empty() ? "pending" : req.Query("status");
    if (status != "pending" && status != "approved" && status != "rejected" && status != "all")
      return Problem(400, "status: pending, approved, rejected or all");
    std::string service = req.Query("service");
    std::vector<Json> all;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto r = ReadWaiverRequests();
      if (!r) return ErrorResponse(r.error());
      all = std::move(*r);
    }
    gate::Keyring keyring = KeyringFromPrincipals();
    Json out = Json::array();
    std::size_t limit = Limit(req);
    for (auto it = all.rbegin(); it != all.rend() && out.size() < limit; ++it) {  // newest first
      if (status != "all" && JStr(*it, "status") != status) continue;
      if (!service.empty() && JStr(*it, "service") != service) continue;
      out.push_back(RequestJson(std::move(*it), caller.principal, keyring));
    }
    return JsonResponse(200, Json{{"waiver_requests", out}});
  }

  // A developer asks for a waiver of one blocking finding of one gate of a
  // gate run. Recorded as a "waiver.request" ledger event; a gate with
  // `bypass: none` takes requests too (they can only be rejected: the queue
  // shows no approve action).
  HttpResponse PostWaiverRequest(const HttpRequest& req, const Caller& caller) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto change = JNum(*body, "change");
    if (!change) return Problem(400, "\"change\": the gate run's id (a non-negative integer) is required");
    auto gate_name = Str(*body, "gate", true);
    auto finding = Str(*body, "finding", true);
    auto reason = Str(*body, "reason", true);
    auto expires = Str(*body, "expires", true);
    for (const auto* r : {&gate_name, &finding, &reason, &expires})
      if (!*r) return ErrorResponse(r->error());
    if (reason->empty()) return Problem(400, "\"reason\": a waiver request needs a reason");
    if (reason->size() > 500) return Problem(400, "\"reason\": at most 500 characters");
    auto exp = gate::ParseExpiry(*expires, clock_.Now());
    if (!exp) return ErrorResponse(exp.error().WithContext("expires"));
    if (*exp <= FormatRfc3339(clock_.Now())) return Problem(400, "\"expires\": already past");
    std::optional<std::uint64_t> duplicate;
    Json request;
    Result<std::vector<ledger::AppendedEntry>> a = Fail(Error::Internal("unset"));
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto run = ReadGateRun(*change);
      if (!run) return ErrorResponse(run.error());
      Json p = Payload(run->overall);
      const Json* decision = nullptr;
      for (const auto& [seq, d] : run->decisions)
        if (JStr(Payload(d), "gate") == *gate_name) decision = &d;
      if (decision == nullptr) return Problem(400, "change " + std::to_string(*change) + " has no gate '" + *gate_name + "'");
      std::string full;
      Json dp = Payload(*decision);
      if (auto b = dp.find("blocking"); b != dp.end() && b->is_array() && finding->size() >= 8)
        for (const auto& fp : *b)
          if (fp.is_string() && fp.get_ref<const std::string&>().rfind(*finding, 0) == 0) {
            if (!full.empty()) return Problem(400, "\"finding\": '" + *finding + "' matches several findings: give more digits");
            full = fp.get<std::string>();
          }
      if (full.empty())
        return Problem(400, "\"finding\": '" + *finding + "' is not a blocking finding of gate '" + *gate_name +
                                "' in change " + std::to_string(*change));
      std::string actor = JStr(run->overall, "actor");
      request = Json{{"change", *change},      {"service", JStr(p, "service")},
                     {"commit", JStr(p, "commit")}, {"gate", *gate_name},
                     {"finding", full},        {"reason", *reason},
                     {"expires", *exp},        {"requested_by", caller.principal.name},
                     {"author", JStr(p, "author")}, {"author_email", actor.find('@') != std::string::npos ? actor : ""}};
      Json event{{"type", "waiver.request"}, {"actor", caller.principal.name}, {"subject", JStr(p, "service")},
                 {"payload", request}};
      a = ledger_->AppendChecked(
          [&]() -> Result<std::vector<Json>> {
            auto all = ReadWaiverRequests();
            if (!all) return Fail(all.error());
            for (const auto& r : *all)
              if (JStr(r, "status") == "pending" && JNum(r, "change") == change && JStr(r, "gate") == *gate_name &&
                  JStr(r, "finding") == full) {
                duplicate = JNum(r, "id");
                return Fail(Error::Input("a pending request asks for this waiver already"));
              }
            return std::vector<Json>{event};
          },
          ledger_key_ ? &*ledger_key_ : nullptr);
    }
    if (duplicate) return Problem(409, "request " + std::to_string(*duplicate) + " asks for this waiver already and is pending");
    if (!a) return ErrorResponse(a.error());
    metrics_.Appended(a->size());
    request["id"] = a->front().seq;
    request["time"] = FormatRfc3339(clock_.Now());
    request["status"] = "pending";
    return JsonResponse(201, RequestJson(std::move(request), caller.principal, KeyringFromPrincipals()));
  }

  // Approve (records the waiver, signed with the caller's server-held key and
  // judged as the gate will judge it, in the same batch as the decision) or
  // reject a pending request. The change's author cannot approve; a gate
  // with `bypass: none` is never approved.
  HttpResponse DecideWaiverRequest(const HttpRequest& req, const Caller& caller, bool approve) {
    auto body = Body(req);
    if (!body) return ErrorResponse(body.error());
    auto id = JNum(*body, "id");
    if (!id) return Problem(400, "\"id\": the request's id (a non-negative integer) is required");
    auto reason = Str(*body, "reason", !approve);
    if (!reason) return ErrorResponse(reason.error());
    if (!approve && reason->empty()) return Problem(400, "\"reason\": a rejection needs a reason");
    if (reason->size() > 500) return Problem(400, "\"reason\": at most 500 characters");
    gate::Keyring keyring = KeyringFromPrincipals();
    Json r;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto all = ReadWaiverRequests();
      if (!all) return ErrorResponse(all.error());
      for (auto& q : *all)
        if (JNum(q, "id") == id) r = std::move(q);
    }
    if (r.is_null()) return Problem(404, "no waiver request " + std::to_string(*id));
    if (JStr(r, "status") != "pending") return Problem(409, "waiver request " + std::to_string(*id) + " is " + JStr(r, "status"));
    Authority who = AuthorityOver(r, caller.principal, keyring);
    if (approve && !who.approve) return Problem(403, "approval refused: " + who.why);
    if (!approve && !who.reject) return Problem(403, "rejecting needs one of the gate's bypass roles or admin");
    std::vector<Json> events;
    if (approve) {
      if (caller.principal.private_key.empty())
        return Problem(400, "'" + caller.principal.name + "' holds its own key: record the waiver signed (POST /api/v1/waivers)");
      auto signer = SignerKey::Parse(caller.principal.private_key);
      if (!signer) return ErrorResponse(signer.error());
      gate::WaiverRequest wr;
      wr.service = JStr(r, "service");
      wr.gate = JStr(r, "gate");
      wr.finding = JStr(r, "finding");
      wr.reason = JStr(r, "reason");
      wr.expires = JStr(r, "expires");
      gate::Author author{JStr(r, "author"), JStr(r, "author_email")};
      auto w = gate::SignCheckedWaiver(configs_.at(wr.service), keyring, wr, wr.finding, *signer,
                                       author.known() ? &author : nullptr, clock_.Now());
      if (!w) {
        int status = w.error().message().rfind("waiver refused", 0) == 0 ? 403 : StatusFor(w.error());
        return Problem(status, w.error().message());
      }
      events.push_back(w->ToEvent());
    }
    Json decision{{"request", *id}, {"change", r.value("change", Json())}, {"by", caller.principal.name}, {"reason", *reason}};
    bool decided_meanwhile = false;
    Result<std::vector<ledger::AppendedEntry>> a = Fail(Error::Internal("unset"));
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      a = ledger_->AppendChecked(
          [&]() -> Result<std::vector<Json>> {
            auto all = ReadWaiverRequests();
            if (!all) return Fail(all.error());
            for (const auto& q : *all)
              if (JNum(q, "id") == id && JStr(q, "status") != "pending") {
                decided_meanwhile = true;
                return Fail(Error::Input("decided meanwhile"));
              }
            std::vector<Json> batch = events;
            Json d = decision;
            if (approve) {
              auto size = ledger_->Size();  // the waiver is the batch's first entry
              if (!size) return Fail(size.error());
              d["waiver_seq"] = *size;
            }
            batch.push_back(Json{{"type", approve ? "waiver.request.approved" : "waiver.request.rejected"},
                                 {"actor", caller.principal.name}, {"subject", JStr(r, "service")}, {"payload", d}});
            return batch;
          },
          ledger_key_ ? &*ledger_key_ : nullptr);
    }
    if (decided_meanwhile) return Problem(409, "waiver request " + std::to_string(*id) + " was decided meanwhile");
    if (!a) return ErrorResponse(a.error());
    metrics_.Appended(a->size());
    r["status"] = approve ? "approved" : "rejected";
    r["decided_by"] = caller.principal.name;
    r["decision_reason"] = *reason;
    r["decided_seq"] = a->back().seq;
    if (approve) r["waiver_seq"] = a->front().seq;
    return JsonResponse(201, RequestJson(std::move(r), caller.principal, keyring));
  }

  // The service an entry concerns: its own "service", its payload's, or none.
  static std::string EntryService(const Json& e) {
    std::string s = JStr(e, "service");
    return s.empty() ? JStr(Payload(e), "service") : s;
  }

  HttpResponse GetLedgerEntries(const HttpRequest& req, const Caller&) {
    std::string type = req.Query("type"), service = req.Query("service");
    std::optional<delivery::Millis> from, to;
    for (auto [name, out] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
      if (req.Query(name).empty()) continue;
      auto t = delivery::ParseTime(req.Query(name));
      if (!t) return ErrorResponse(t.error().WithContext(name));
      *out = *t;
    }
    auto after = QueryNumber(req, "after", 0);
    if (!after) return ErrorResponse(after.error());
    std::size_t limit = req.Query("limit").empty() ? 50 : std::min<std::size_t>(Limit(req), 500);
    std::uint64_t start = req.Query("after").empty() ? 0 : *after + 1;
    Json out = Json::array();
    bool more = false;
    std::optional<Error> bad;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto s = ledger_->Scan(start, 0, type, [&](const ledger::StoredEntry& e) {
        auto j = ParseJson(e.body, "ledger entry " + std::to_string(e.seq));
        if (!j || !j->is_object()) {
          bad = Error::Integrity("ledger entry " + std::to_string(e.seq) + " is not a JSON object");
          return false;
        }
        std::string svc = EntryService(*j);
        if (!service.empty() && svc != service) return true;
        std::string time = JStr(*j, "time");
        if (from || to) {
          auto t = delivery::ParseTime(time);
          if (!t || (from && *t < *from) || (to && *t >= *to)) return true;
        }
        if (out.size() == limit) {
          more = true;
          return false;
        }
        out.push_back(Json{{"seq", e.seq}, {"type", e.type}, {"time", time}, {"service", svc},
                           {"actor", JStr(*j, "actor")}, {"subject", JStr(*j, "subject")}});
        return true;
      });
      if (!s) return ErrorResponse(s.error());
    }
    if (bad) return ErrorResponse(*bad);
    Json next = more ? Json(out.back()["seq"]) : Json(nullptr);
    return JsonResponse(200, Json{{"entries", out}, {"limit", limit}, {"next_after", next}});
  }

  // The library's whole verification (ledger verify), with the server's own
  // checkpoint key trusted when it has one. 200 when it verifies, 503 with
  // the first problem when not.
  HttpResponse PostVerify(const HttpRequest&, const Caller&) {
    ledger::VerifyOptions o;
    if (ledger_key_) o.trusted_keys.push_back(ledger_key_->verifier());
    Result<ledger::VerifyReport> v = Fail(Error::Internal("unset"));
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      v = ledger_->Verify(o);
    }
    if (!v) return JsonResponse(StatusFor(v.error()), Json{{"verified", false}, {"error", v.error().message()}});
    return JsonResponse(200, Json{{"verified", true},
                                  {"size", v->size},
                                  {"root", ledger::HashHex(v->root)},
                                  {"origin", v->origin},
                                  {"checkpoints_verified", v->checkpoints_verified},
                                  {"latest_checkpoint_size", v->latest_checkpoint_size},
                                  {"unsigned_entries", v->unsigned_entries},
                                  {"trusted_key", ledger_key_.has_value()}});
  }

  // ---- delivery events, webhooks ------------------------------------------

  HttpResponse RecordText(const std::string& text, const std::string& source, delivery::ImportFormat format,
                          const std::string& service, const std::string& actor) {
    delivery::ImportOptions io;
    io.format = format;
    io.service = service;
    auto read = delivery::ReadImportText(text, source, io);
    if (!read) return ErrorResponse(read.error());
    Result<delivery::RecordSummary> appended = Fail(Error::Internal("unset"));
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      appended = delivery::RecordEvents(*ledger_, std::move(read->events), read->wheres,
                                        ledger_key_ ? &*ledger_key_ : nullptr, clock_.Now(), warm_);
    }
    if (!appended) return ErrorResponse(appended.error());
    metrics_.Appended(appended->recorded);
    std::vector<std::string> notes = read->notes;
    notes.insert(notes.end(), appended->notes.begin(), appended->notes.end());
    Json out{{"recorded", appended->recorded}, {"duplicates", appended->duplicates}, {"notes", notes}};
    if (appended->recorded > 0) {
      out["ledger"] = {{"first", appended->first_seq}, {"last", appended->last_seq}};
      if (auto s = RecordAudit("api.events", actor,
                               Json{{"source", source}, {"first", appended->first_seq}, {"last", appended->last_seq}});
          !s)
        return ErrorResponse(s.error());
    }
    return JsonResponse(appended->recorded == 0 ? 200 : 201, out);
  }

  HttpResponse PostEvents(const HttpRequest& req, const Caller& caller) {
    if (req.body.empty()) return Problem(400, "no events: send JSON Lines, one event object per line");
    return RecordText(req.body, "request", delivery::ImportFormat::kJsonLines, "", caller.principal.name);
  }

  HttpResponse GetEvents(const HttpRequest& req, const Caller&) {
    std::string type = req.Query("type");
    if (!type.empty() && type != "deploy" && type != "incident" && type != "change")
      return Problem(400, "type: deploy, incident or change");
    std::string service = req.Query("service");
    std::vector<std::string> types = type.empty() ? std::vector<std::string>{"deploy", "incident", "change"}
                                                  : std::vector<std::string>{type};
    std::size_t limit = Limit(req);
    std::vector<Json> out;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto s = ledger_->ScanBodies(types, [&](std::uint64_t seq, std::string_view, std::string_view body) {
        auto j = ParseJson(std::string(body), "entry");
        if (!j || (!service.empty() && j->value("service", "") != service)) return true;
        (*j)["seq"] = seq;
        out.push_back(std::move(*j));
        return true;
      });
      if (!s) return ErrorResponse(s.error());
    }
    if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
    return JsonResponse(200, Json{{"events", out}});
  }

  HttpResponse Webhook(const HttpRequest& req, const std::string& provider) {
    auto cfg = opts_.webhooks.find(provider);
    std::optional<std::string> secret;
    if (cfg != opts_.webhooks.end() && !cfg->second.secret.empty()) secret = cfg->second.secret;
    if (!secret) {
      metrics_.WebhookFailure(provider, "no-secret");
      return Problem(401, provider + " webhooks are not configured on this server (no secret): delivery refused");
    }
    delivery::ImportFormat format = provider == "github"   ? delivery::ImportFormat::kGithub
                                    : provider == "gitlab" ? delivery::ImportFormat::kGitlab
                                                           : delivery::ImportFormat::kPagerDuty;
    delivery::WebhookCredentials cred;
    std::string header = provider == "github"   ? "x-hub-signature-256"
                         : provider == "gitlab" ? (req.headers.count("webhook-signature") ? "webhook-signature" : "x-gitlab-token")
                                                : "x-pagerduty-signature";
    if (req.headers.count(header)) cred.signature = req.Header(header);
    cred.webhook_id = req.Header("webhook-id");
    cred.webhook_timestamp = req.Header("webhook-timestamp");
    auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    if (auto s = delivery::AuthenticateDelivery(format, secret, cred, req.body, now); !s) {
      metrics_.WebhookFailure(provider, "signature");
      return Problem(401, s.error().message());
    }
    // Providers retry: a delivery id seen before is acknowledged, not recorded twice.
    std::string id = provider == "github"   ? req.Header("x-github-delivery")
                     : provider == "gitlab" ? (req.Header("x-gitlab-event-uuid").empty() ? req.Header("webhook-id")
                                                                                       : req.Header("x-gitlab-event-uuid"))
                                            : "";
    if (id.empty()) {
      auto j = ParseJson(req.body, "payload");
      if (j && j->is_object() && j->contains("event") && (*j)["event"].is_object())
        id = (*j)["event"].value("id", "");
    }
    if (id.empty()) id = "sha256:" + HexEncode(Sha256(req.body));
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto first = state_->FirstDelivery(provider, id, FormatRfc3339(clock_.Now()));
      if (!first) return ErrorResponse(first.error());
      if (!*first) return JsonResponse(200, Json{{"duplicate", true}, {"delivery", id}});
    }
    return RecordText(req.body, provider + " delivery " + id, format, cfg->second.service, "webhook:" + provider);
  }

  // ---- reports --------------------------------------------------------------

  HttpResponse GetDora(const HttpRequest& req, const Caller&) {
    delivery::DoraOptions o;
    std::string window = req.Query("window");
    std::string from = req.Query("from"), to = req.Query("to");
    if (from.empty() != to.empty()) return Problem(400, "from and to go together");
    delivery::Millis window_ms = 0;  // a window ending now: cached by its length, not by the millisecond it ends
    if (!from.empty()) {
      auto f = delivery::ParseTime(from);
      auto t = delivery::ParseTime(to);
      if (!f) return ErrorResponse(f.error().WithContext("from"));
      if (!t) return ErrorResponse(t.error().WithContext("to"));
      o.from = *f;
      o.to = *t;
    } else {
      auto d = ParseDuration(window.empty() ? "90d" : window);
      if (!d) return ErrorResponse(d.error().WithContext("window"));
      window_ms = d->count() * 1000;
      o = delivery::WindowEndingNow(clock_, window_ms);
    }
    if (o.to <= o.from) return Problem(400, "the report window is empty");
    o.service = req.Query("service");
    o.env = req.Query("env").empty() ? "prod" : req.Query("env");
    std::string by = req.Query("by");
    if (by == "week") o.by = delivery::Period::kWeek;
    else if (by == "month") o.by = delivery::Period::kMonth;
    else if (!by.empty()) return Problem(400, "by: week or month");
    std::string key = "dora|" + o.service + "|" + o.env + "|" +
                      (window_ms > 0 ? "last " + std::to_string(window_ms) : std::to_string(o.from) + "|" + std::to_string(o.to)) +
                      "|" + by;
    return Cached(key, [&]() -> HttpResponse {
      if (window_ms > 0) {  // the window ends when the report is computed
        auto now = delivery::WindowEndingNow(clock_, window_ms);
        o.from = now.from;
        o.to = now.to;
      }
      auto levels = delivery::BuiltinLevels();
      if (!levels) return ErrorResponse(levels.error());
      delivery::EventLog log(delivery::EventLog::Mode::kReport);
      {
        std::lock_guard<std::mutex> lock(ledger_mu_);
        if (auto s = delivery::LoadEvents(*ledger_, log); !s) return ErrorResponse(s.error());
      }
      auto r = delivery::ComputeDora(log, o, *levels);
      if (!r) return ErrorResponse(r.error());
      return JsonResponse(200, delivery::DoraToJson(*r));
    });
  }

  HttpResponse GetSlo(const HttpRequest& req, const Caller&) {
    std::string service = req.Query("service");
    Json out = Json::array();
    for (const auto& s : opts_.services) {
      if (!service.empty() && s.name != service) continue;
      if (s.slo.empty()) continue;
      slo::BudgetRequest br;
      br.spec = s.slo;
      auto budgets = slo::Budgets(br, clock_.Now());
      if (!budgets) return ErrorResponse(budgets.error().WithContext("service '" + s.name + "'"));
      for (const auto& b : *budgets) {
        Json j = slo::ToJson(b);
        j["service"] = s.name;
        out.push_back(std::move(j));
      }
    }
    if (!service.empty() && out.empty()) return Problem(404, "no SLO spec registered for service '" + service + "'");
    return JsonResponse(200, Json{{"slos", out}});
  }

  // Reports are recomputed only when the ledger grew (its size is read from
  // the store, so appends by other replicas count) or after a second (a
  // window ending now moves). One thread recomputes; the others wait for it
  // instead of all reading the ledger at once.
  HttpResponse Cached(const std::string& key, const std::function<HttpResponse()>& compute) {
    std::uint64_t size = 0;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      auto s = ledger_->Size();
      if (!s) return ErrorResponse(s.error());
      size = *s;
    }
    metrics_.LedgerSize(size);
    auto fresh = [&](std::chrono::steady_clock::time_point now) -> std::optional<HttpResponse> {
      std::lock_guard<std::mutex> lock(cache_mu_);
      auto it = cache_.find(key);
      if (it != cache_.end() && it->second.size == size && now - it->second.at < std::chrono::seconds(1))
        return it->second.response;
      return std::nullopt;
    };
    if (auto hit = fresh(std::chrono::steady_clock::now())) return *hit;
    std::lock_guard<std::mutex> computing(compute_mu_);
    auto now = std::chrono::steady_clock::now();
    if (auto hit = fresh(now)) return *hit;  // computed while this thread waited
    HttpResponse r = compute();
    if (r.status == 200) {
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (cache_.size() > 1024) cache_.clear();
      cache_[key] = CacheEntry{size, now, r};
    }
    return r;
  }

  // ---- ledger ---------------------------------------------------------------

  Result<std::uint64_t> QueryNumber(const HttpRequest& req, const char* name, std::uint64_t dflt) {
    std::string v = req.Query(name);
    if (v.empty()) return dflt;
    if (v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
      return Fail(Error::Input(std::string(name) + ": expected a non-negative integer"));
    return std::stoull(v);
  }

  HttpResponse GetHead(const HttpRequest&, const Caller&) {
    std::lock_guard<std::mutex> lock(ledger_mu_);
    auto size = ledger_->Size();
    if (!size) return ErrorResponse(size.error());
    auto root = ledger_->RootAt(*size);
    if (!root) return ErrorResponse(root.error());
    auto origin = ledger_->Origin();
    metrics_.LedgerSize(*size);
    Json out{{"size", *size}, {"root", ledger::HashHex(*root)}, {"origin", origin ? *origin : ""}};
    auto cp = ledger_->LatestCheckpoint();
    if (!cp) return ErrorResponse(cp.error());
    if (*cp)
      out["checkpoint"] = Json{{"size", (*cp)->size}, {"root", ledger::HashHex((*cp)->root)}, {"note", (*cp)->note},
                               {"key", (*cp)->key}, {"created", (*cp)->created}};
    return JsonResponse(200, out);
  }

  HttpResponse GetInclusion(const HttpRequest& req, const Caller&) {
    std::lock_guard<std::mutex> lock(ledger_mu_);
    auto cur = ledger_->Size();
    if (!cur) return ErrorResponse(cur.error());
    auto index = QueryNumber(req, "index", 0);
    auto size = QueryNumber(req, "size", *cur);
    if (!index) return ErrorResponse(index.error());
    if (!size) return ErrorResponse(size.error());
    if (req.Query("index").empty()) return Problem(400, "index is required");
    if (*size > *cur || *index >= *size) return Problem(400, "need index < size <= " + std::to_string(*cur));
    auto proof = ledger_->InclusionProof(*index, *size);
    auto leaf = ledger_->LeafHashAt(*index);
    auto root = ledger_->RootAt(*size);
    if (!proof) return ErrorResponse(proof.error());
    if (!leaf) return ErrorResponse(leaf.error());
    if (!root) return ErrorResponse(root.error());
    Json p = Json::array();
    for (const auto& h : *proof) p.push_back(ledger::HashHex(h));
    return JsonResponse(200, Json{{"type", "inclusion"}, {"index", *index}, {"tree_size", *size},
                                  {"leaf_hash", ledger::HashHex(*leaf)}, {"root", ledger::HashHex(*root)}, {"proof", p}});
  }

  HttpResponse GetConsistency(const HttpRequest& req, const Caller&) {
    std::lock_guard<std::mutex> lock(ledger_mu_);
    auto cur = ledger_->Size();
    if (!cur) return ErrorResponse(cur.error());
    auto from = QueryNumber(req, "from", 0);
    auto to = QueryNumber(req, "to", *cur);
    if (!from) return ErrorResponse(from.error());
    if (!to) return ErrorResponse(to.error());
    if (*from == 0 || *from > *to || *to > *cur) return Problem(400, "need 1 <= from <= to <= " + std::to_string(*cur));
    auto proof = ledger_->ConsistencyProof(*from, *to);
    auto r1 = ledger_->RootAt(*from);
    auto r2 = ledger_->RootAt(*to);
    if (!proof) return ErrorResponse(proof.error());
    if (!r1) return ErrorResponse(r1.error());
    if (!r2) return ErrorResponse(r2.error());
    Json p = Json::array();
    for (const auto& h : *proof) p.push_back(ledger::HashHex(h));
    return JsonResponse(200, Json{{"type", "consistency"}, {"from", *from}, {"to", *to}, {"root1", ledger::HashHex(*r1)},
                                  {"root2", ledger::HashHex(*r2)}, {"proof", p}});
  }

  HttpResponse GetExport(const HttpRequest&, const Caller&) {
    std::lock_guard<std::mutex> lock(ledger_mu_);
    auto bundle = ledger_->Export();
    if (!bundle) return ErrorResponse(bundle.error());
    HttpResponse r;
    r.body = bundle->dump(1) + "\n";
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"tollgate-ledger.json\"");
    return r;
  }

  HttpResponse GetServices(const HttpRequest&, const Caller&) {
    auto j = ServicesHealthJson();
    if (!j) return ErrorResponse(j.error());
    return JsonResponse(200, *j);
  }

  // ServicesJson with each service's gate figures (service_health.h):
  // "gate_pass_rate" over the last 30 days, "open_blocking" (the latest gate
  // run's blocking findings by severity; "by_severity" null when this server
  // did not keep that run's report) and "freeze" (null without an
  // error-budget gate). GET /api/v1/services and the overview show this.
  Result<Json> ServicesHealthJson() {
    std::vector<GateRunRecord> runs;
    {
      std::lock_guard<std::mutex> lock(ledger_mu_);
      std::optional<Error> bad;
      auto s = ledger_->ScanBodies({"gate.overall"}, [&](std::uint64_t seq, std::string_view, std::string_view body) {
        auto j = ParseJson(std::string(body), "ledger entry " + std::to_string(seq));
        auto t = j && j->is_object() ? ParseRfc3339(JStr(*j, "time")) : Result<TimePoint>(Fail(Error::Integrity("no time")));
        if (!t) {
          bad = Error::Integrity("ledger entry " + std::to_string(seq) + ": unreadable gate.overall entry");
          return false;
        }
        Json p = Payload(*j);
        runs.push_back(GateRunRecord{seq, JStr(p, "service"), JStr(p, "decision"), *t});
        return true;
      });
      if (!s) return Fail(s.error());
      if (bad) return Fail(*bad);
    }
    Json out = ServicesJson();
    for (auto& svc : out["services"]) {
      std::string name = svc["name"].get<std::string>();
      svc["gate_pass_rate"] = PassRateJson(runs, name, clock_.Now(), 30);
      Json open = nullptr;
      for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        if (it->service != name) continue;
        std::optional<std::string> stored;
        {
          std::lock_guard<std::mutex> lock(state_mu_);
          auto s = state_->GetGateRun(it->id);
          if (!s) return Fail(s.error());
          stored = std::move(*s);
        }
        open = Json{{"change", it->id}, {"decision", it->decision}, {"time", FormatRfc3339(it->time)}, {"by_severity", nullptr}};
        if (stored) {
          auto report = ParseJson(*stored, "stored gate run " + std::to_string(it->id));
          if (!report) return Fail(Error::Integrity(report.error().message()));
          auto counts = BlockingBySeverity(*report);
          if (!counts) return Fail(counts.error().WithContext("gate run " + std::to_string(it->id)));
          open["by_severity"] = std::move(*counts);
        }
        break;
      }
      svc["open_blocking"] = std::move(open);
      svc["freeze"] = FreezeJson(configs_.at(name));
      // SLO budget: null without an SLO spec; data that cannot be read is
      // shown as an error, never as a full budget (fail closed).
      svc["slo_budget"] = nullptr;
      for (const auto& s : opts_.services) {
        if (s.name != name || s.slo.empty()) continue;
        slo::BudgetRequest br;
        br.spec = s.slo;
        auto budgets = slo::Budgets(br, clock_.Now());
        svc["slo_budget"] = budgets ? SloBudgetJson(*budgets)
                                    : Json{{"slos", Json::array()}, {"lowest", nullptr}, {"error", budgets.error().message()}};
      }
    }
    return out;
  }

  Json ServicesJson() const {
    Json out = Json::array();
    for (const auto& s : opts_.services) {
      const gate::Config& c = configs_.at(s.name);
      Json gates = Json::array();
      for (const auto& g : c.gates)
        gates.push_back(Json{{"name", g.name}, {"source", g.SourceLabel()}, {"fail_on", g.fail_on_text},
                             {"bypass", g.bypass_allowed ? Json(g.bypass_roles) : Json("none")}});
      out.push_back(Json{{"name", s.name}, {"owner", s.owner}, {"compliance", c.compliance}, {"gates", gates},
                         {"slo", !s.slo.empty()}});
    }
    return Json{{"services", out}};
  }

  // ---- portal pages (issue 17; rendering in portal.cpp) ----------------------

  static HttpResponse Html(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(body);
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");  // a /login?token=... URL never leaves in a Referer
    return r;
  }

  static HttpResponse Redirect(const std::string& location) {
    HttpResponse r = Html(303, "");
    r.headers.emplace_back("Location", location);
    return r;
  }

  static constexpr int kSessionSeconds = 12 * 3600;

  std::string SessionCookie(const std::string& value, int max_age, bool tls) const {
    return std::string(portal::kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(max_age) + (tls ? "; Secure" : "");
  }

  HttpResponse Portal(const HttpRequest& req) {
    if (req.path == "/login") return Login(req);
    if (req.path == "/logout") {
      if (req.method != "POST") return Problem(405, "method " + req.method + " not allowed on /logout");
      std::string session = portal::SessionFromCookies(req.Header("cookie"));
      if (!session.empty()) {
        std::lock_guard<std::mutex> lock(state_mu_);
        if (auto s = state_->RevokeToken(TokenHash(session)); !s) return ErrorResponse(s.error());
      }
      HttpResponse r = Redirect("/login");
      r.headers.emplace_back("Set-Cookie", SessionCookie("", 0, req.tls));
      return r;
    }
    if (req.method != "GET") return Problem(405, "method " + req.method + " not allowed on " + req.path);
    std::string session = portal::SessionFromCookies(req.Header("cookie"));
    auto who = session.empty() ? Result<Caller>(Fail(Error::Input("no session"))) : AuthenticateToken(session);
    if (!who) return Html(401, portal::SignInPage(req.path, session.empty() ? "" : "Your session ended: sign in again."));
    if (!limiter_.Allow(who->principal.name, std::chrono::steady_clock::now()))
      return Html(429, portal::MessagePage("Too many requests", "Slow down and reload the page.", who->principal.name));
    const std::string& name = who->principal.name;
    if (req.path == "/") {
      HttpRequest dora;
      dora.query["window"] = "90d";
      auto report = PageJson(GetDora(dora, *who));
      if (!report) return Html(StatusFor(report.error()), portal::MessagePage("Error", report.error().message(), name));
      portal::OverviewQuery q;
      q.owner = req.Query("owner");
      q.scope = req.Query("scope");
      if (!req.Query("sort").empty()) q.sort = req.Query("sort");
      auto services = ServicesHealthJson();
      if (!services) return Html(StatusFor(services.error()), portal::MessagePage("Error", services.error().message(), name));
      return Html(200, portal::OverviewPage(*services, *report, q, name));
    }
    std::string service = req.path.substr(std::string("/services/").size());
    Json services = ServicesJson();
    for (const auto& s : services["services"]) {
      if (s["name"] != service) continue;
      HttpRequest dora;
      dora.query = {{"window", "90d"}, {"by", "week"}};  // all services: one without deploys is no error
      auto report = PageJson(GetDora(dora, *who));
      if (!report) return Html(StatusFor(report.error()), portal::MessagePage("Error", report.error().message(), name));
      HttpRequest runs;
      runs.query = {{"service", service}, {"limit", "10"}};
      auto gate_runs = PageJson(CallRoute("GET", "/api/v1/gate-runs", runs, *who));
      if (!gate_runs) return Html(StatusFor(gate_runs.error()), portal::MessagePage("Error", gate_runs.error().message(), name));
      Json slo = nullptr;  // the same JSON as /api/v1/reports/slo?service=S
      if (s["slo"] == true) {
        HttpRequest sq;
        sq.query = {{"service", service}};
        auto budgets = PageJson(CallRoute("GET", "/api/v1/reports/slo", sq, *who));
        slo = budgets ? *budgets : Json{{"error", budgets.error().message()}};
      }
      return Html(200, portal::ServicePage(s, *report, *gate_runs, name, slo));
    }
    return Html(404, portal::MessagePage("No such service", "No service named '" + service + "' is registered.", name));
  }

  // A page's data from the API route that answers it, under that route's
  // roles: a page shows and does what its API twin would for the same
  // principal.
  HttpResponse CallRoute(const std::string& method, const std::string& path, const HttpRequest& req, const Caller& caller) {
    for (const auto& r : routes_) {
      if (r.method != method || r.path != path) continue;
      if (!Allowed(r, caller.principal))
        return Problem(403, "'" + caller.principal.name + "' may not " + method + " " + path + " (roles: " + Join(r.roles) + ")");
      return r.handler(req, caller);
    }
    return Problem(404, "no route " + path);
  }

  // The change, waiver queue and ledger pages and their form actions
  // (portal_pages.cpp renders them). Form posts carry the session's form
  // token (portal::FormAllowed) besides the SameSite=Strict cookie.
  HttpResponse PortalPages(const HttpRequest& req) {
    bool action = portal::IsActionPath(req.path);
    if (action ? req.method != "POST" : req.method != "GET")
      return Problem(405, "method " + req.method + " not allowed on " + req.path);
    std::string session = portal::SessionFromCookies(req.Header("cookie"));
    auto who = session.empty() ? Result<Caller>(Fail(Error::Input("no session"))) : AuthenticateToken(session);
    if (!who) {
      std::string next = !action ? req.path : req.path.rfind("/ledger", 0) == 0 ? "/ledger" : "/waivers";
      return Html(401, portal::SignInPage(next, session.empty() ? "" : "Your session ended: sign in again."));
    }
    if (!limiter_.Allow(who->principal.name, std::chrono::steady_clock::now()))
      return Html(429, portal::MessagePage("Too many requests", "Slow down and reload the page.", who->principal.name));
    const std::string& name = who->principal.name;
    std::string form = portal::FormToken(session);
    auto refused = [&](const HttpResponse& r, const std::string& title) {
      auto j = ParseJson(r.body, "response");
      std::string message = j && j->is_object() && j->contains("error") && (*j)["error"].is_string()
                                ? (*j)["error"].get<std::string>()
                                : "the request failed (" + std::to_string(r.status) + ")";
      return Html(r.status, portal::MessagePage(title, message, name));
    };
    if (action && !portal::FormAllowed(req.Header("origin"), req.Header("host"), req.Query("csrf"), session))
      return Html(403, portal::MessagePage("Form refused",
                                           "The form did not come from this site's page (its form token or origin does "
                                           "not match): reload the page and send it again.",
                                           name));
    auto number = [](const std::string& s) -> std::optional<std::uint64_t> {
      if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
      return std::stoull(s);
    };

    if (req.path.rfind("/changes/", 0) == 0) {
      auto id = portal::IsChangePage(req.path) ? number(req.path.substr(9)) : std::nullopt;
      if (!id)
        return Html(404, portal::MessagePage("No such change",
                                             "A change is named by the ledger index of its gate run (/changes/123).", name));
      HttpRequest api;
      api.query["id"] = std::to_string(*id);
      auto r = CallRoute("GET", "/api/v1/gate-runs", api, *who);
      if (r.status != 200) return refused(r, r.status == 404 ? "No such change" : "Error");
      auto j = PageJson(r);
      if (!j) return Html(500, portal::MessagePage("Error", j.error().message(), name));
      return Html(200, portal::ChangePage(*j, form, name));
    }
    if (req.path == "/waivers") {
      std::string status = req.Query("status").empty() ? "pending" : req.Query("status");
      HttpRequest api;
      api.query["status"] = status;
      auto r = CallRoute("GET", "/api/v1/waiver-requests", api, *who);
      if (r.status != 200) return refused(r, "Error");
      auto j = PageJson(r);
      if (!j) return Html(500, portal::MessagePage("Error", j.error().message(), name));
      return Html(200, portal::WaiverQueuePage(*j, status, req.Query("notice"), form, name));
    }
    if (req.path.rfind("/waivers/", 0) == 0) {  // request, approve, reject
      Json body;
      std::string api_path, notice;
      if (req.path == "/waivers/request") {
        auto change = number(req.Query("change"));
        if (!change) return Html(400, portal::MessagePage("Refused", "The form names no change.", name));
        body = Json{{"change", *change}, {"gate", req.Query("gate")}, {"finding", req.Query("finding")},
                    {"reason", req.Query("reason")}, {"expires", req.Query("expires")}};
        api_path = "/api/v1/waiver-requests";
        notice = "requested";
      } else {
        auto id = number(req.Query("id"));
        if (!id) return Html(400, portal::MessagePage("Refused", "The form names no request.", name));
        body = Json{{"id", *id}, {"reason", req.Query("reason")}};
        bool approve = req.path == "/waivers/approve";
        api_path = approve ? "/api/v1/waiver-requests/approve" : "/api/v1/waiver-requests/reject";
        notice = approve ? "approved" : "rejected";
      }
      HttpRequest api;
      api.method = "POST";
      api.path = api_path;
      api.body = body.dump();
      auto r = CallRoute("POST", api_path, api, *who);
      if (r.status != 201) return refused(r, "Refused");
      return Redirect("/waivers?notice=" + notice + (notice == "requested" ? "" : "&status=all"));
    }
    if (req.path == "/ledger/proof" || req.path == "/ledger/bundle") {  // the API's answer, for a signed-in browser
      HttpRequest api;
      api.query = req.query;
      return CallRoute("GET", req.path == "/ledger/proof" ? "/api/v1/ledger/proof/inclusion" : "/api/v1/ledger/export",
                       api, *who);
    }
    // "/ledger" and its "Verify now" (the search stays in the page's query).
    portal::LedgerQuery q{req.Query("type"), req.Query("service"), req.Query("from"),
                          req.Query("to"),   req.Query("after"),   req.Query("limit")};
    Json verify;
    if (req.path == "/ledger/verify") {
      HttpRequest api;
      api.method = "POST";
      auto r = CallRoute("POST", "/api/v1/ledger/verify", api, *who);
      auto j = ParseJson(r.body, "verification");
      if (!j || !j->contains("verified")) return refused(r, "Error");
      verify = *j;
      q = portal::LedgerQuery{};
    }
    auto head = CallRoute("GET", "/api/v1/ledger/head", HttpRequest{}, *who);
    if (head.status != 200) return refused(head, "Error");
    HttpRequest search;
    for (const auto& [k, v] : {std::pair{"type", q.type}, std::pair{"service", q.service}, std::pair{"from", q.from},
                               std::pair{"to", q.to}, std::pair{"after", q.after}, std::pair{"limit", q.limit}})
      if (!v.empty()) search.query[k] = v;
    auto entries = CallRoute("GET", "/api/v1/ledger/entries", search, *who);
    if (entries.status != 200) return refused(entries, "Search refused");
    auto h = PageJson(head);
    auto e = PageJson(entries);
    if (!h || !e) return Html(500, portal::MessagePage("Error", "unreadable ledger answer", name));
    return Html(200, portal::LedgerPage(*h, *e, q, verify, form, name));
  }

  // A page's data from its API twin's response.
  static Result<Json> PageJson(const HttpResponse& r) {
    auto j = ParseJson(r.body, "report");
    if (r.status != 200) {
      std::string message = j && j->contains("error") && (*j)["error"].is_string() ? (*j)["error"].get<std::string>() : r.body;
      return Fail(r.status == 503 ? Error::Integrity(message) : Error::Internal(message));
    }
    return j;
  }

  // GET /login shows the form, or with ?token= signs in (for scripts and
  // tests: the transport logs paths, never queries); POST /login takes the
  // form. A session is a token of its own, stored as a hash, ending after
  // kSessionSeconds or at sign-out; the API token is never put in a cookie.
  HttpResponse Login(const HttpRequest& req) {
    if (req.method != "GET" && req.method != "POST") return Problem(405, "method " + req.method + " not allowed on /login");
    std::string next = portal::SafeNext(req.Query("next"));
    std::string token = req.Query("token");
    if (token.empty()) return Html(req.method == "POST" ? 401 : 200, portal::SignInPage(next, req.method == "POST" ? "Enter a token." : ""));
    auto who = token.rfind("tg_", 0) == 0 ? AuthenticateToken(token) : Result<Caller>(Fail(Error::Input("not an API token")));
    if (!who) return Html(401, portal::SignInPage(next, "Sign-in refused: " + who.error().message() + "."));
    auto expires = FormatRfc3339(clock_.Now() + std::chrono::seconds(kSessionSeconds));
    std::string session;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      auto s = IssueToken(who->principal.name, "portal session", expires);
      if (!s) return ErrorResponse(s.error());
      session = *s;
    }
    if (auto s = RecordAudit("session.created", who->principal.name,
                             Json{{"principal", who->principal.name}, {"expires", expires}, {"via", "portal"}});
        !s)
      return ErrorResponse(s.error());
    HttpResponse r = Redirect(next);
    r.headers.emplace_back("Set-Cookie", SessionCookie(session, kSessionSeconds, req.tls));
    return r;
  }

  // ---- routes -----------------------------------------------------------------

  void BuildRoutes() {
    using namespace std::placeholders;
    auto bind = [this](HttpResponse (ServiceImpl::*fn)(const HttpRequest&, const Caller&)) {
      return [this, fn](const HttpRequest& r, const Caller& c) { return (this->*fn)(r, c); };
    };
    const auto all = AllRoles();
    std::vector<std::string> writers;
    for (const auto& r : all)
      if (r != "auditor") writers.push_back(r);
    const std::vector<std::string> release{"release-manager", "sre", "admin"};
    const std::vector<std::string> admin{"admin"};
    const std::vector<std::string> admin_read{"admin", "auditor"};
    routes_ = {
        {"GET", "/healthz", Access::kPublic, {}, "Liveness", "ops",
         [](const HttpRequest&, const Caller&) { return JsonResponse(200, Json{{"status", "ok"}}); }},
        {"GET", "/readyz", Access::kPublic, {}, "Readiness: the ledger answers", "ops",
         [this](const HttpRequest&, const Caller&) {
           std::lock_guard<std::mutex> lock(ledger_mu_);
           auto s = ledger_->Size();
           if (!s) return Problem(503, s.error().message());
           return JsonResponse(200, Json{{"status", "ready"}, {"ledger_size", *s}});
         }},
        {"GET", "/metrics", Access::kPublic, {}, "Prometheus metrics", "ops",
         [this](const HttpRequest&, const Caller&) {
           HttpResponse r;
           r.content_type = "text/plain; version=0.0.4";
           r.body = metrics_.Render();
           return r;
         }},
        {"GET", "/api/v1/openapi.json", Access::kPublic, {}, "This document", "meta",
         [this](const HttpRequest&, const Caller&) {
           HttpResponse r;
           r.body = openapi_;
           return r;
         }},
        {"GET", "/api/v1/whoami", Access::kRead, all, "The calling principal", "identity", bind(&ServiceImpl::WhoAmI)},
        {"GET", "/api/v1/principals", Access::kRead, admin_read, "Principals and their roles", "identity",
         bind(&ServiceImpl::GetPrincipals)},
        {"POST", "/api/v1/principals", Access::kWrite, admin, "Create a principal", "identity",
         bind(&ServiceImpl::PostPrincipal)},
        {"POST", "/api/v1/principals/grant", Access::kWrite, admin, "Grant a principal a role (ledger: role.granted)",
         "identity", [this](const HttpRequest& r, const Caller& c) { return ChangeRole(r, c, true); }},
        {"POST", "/api/v1/principals/revoke", Access::kWrite, admin,
         "Revoke a role from a principal (never the last admin's admin; ledger: role.revoked)", "identity",
         [this](const HttpRequest& r, const Caller& c) { return ChangeRole(r, c, false); }},
        {"POST", "/api/v1/tokens", Access::kWrite, admin, "Issue an API token (shown once)", "identity",
         bind(&ServiceImpl::PostToken)},
        {"POST", "/api/v1/tokens/revoke", Access::kWrite, admin, "Revoke a token", "identity",
         bind(&ServiceImpl::RevokeToken)},
        {"POST", "/api/v1/gate-runs", Access::kWrite, writers,
         "Decide a gate run (findings per gate) with the server's waivers and approvals", "gate",
         bind(&ServiceImpl::PostGateRun)},
        {"GET", "/api/v1/waivers", Access::kRead, all, "Recorded waivers", "gate", bind(&ServiceImpl::GetWaivers)},
        {"POST", "/api/v1/waivers", Access::kWrite, writers,
         "Record a waiver (signed by the caller's key, or submitted signed)", "gate", bind(&ServiceImpl::PostWaiver)},
        {"GET", "/api/v1/approvals", Access::kRead, all, "Recorded approvals", "gate", bind(&ServiceImpl::GetApprovals)},
        {"POST", "/api/v1/approvals", Access::kWrite, writers, "Approve a commit (four-eyes)", "gate",
         bind(&ServiceImpl::PostApproval)},
        {"GET", "/api/v1/gate-runs", Access::kRead, all,
         "One gate run (?id=): gates, findings, waivers, approvals, waiver requests, ledger entries; else recent runs",
         "gate", bind(&ServiceImpl::GetGateRuns)},
        {"GET", "/api/v1/waiver-requests", Access::kRead, all,
         "Waiver requests with their status and what the caller may do", "gate", bind(&ServiceImpl::GetWaiverRequests)},
        {"POST", "/api/v1/waiver-requests", Access::kWrite, writers,
         "Request a waiver of a blocking finding of a gate run", "gate", bind(&ServiceImpl::PostWaiverRequest)},
        {"POST", "/api/v1/waiver-requests/approve", Access::kWrite, writers,
         "Approve a waiver request: records the waiver, signed by the caller (bypass role, not the author)", "gate",
         [this](const HttpRequest& r, const Caller& c) { return DecideWaiverRequest(r, c, true); }},
        {"POST", "/api/v1/waiver-requests/reject", Access::kWrite, writers, "Reject a waiver request with a reason",
         "gate", [this](const HttpRequest& r, const Caller& c) { return DecideWaiverRequest(r, c, false); }},
        {"GET", "/api/v1/events", Access::kRead, all, "Deploys, changes and incidents", "delivery",
         bind(&ServiceImpl::GetEvents)},
        {"POST", "/api/v1/events", Access::kWrite, release, "Record delivery events (JSON Lines), one transaction",
         "delivery", bind(&ServiceImpl::PostEvents)},
        {"GET", "/api/v1/reports/dora", Access::kRead, all, "DORA metrics and maturity", "reports",
         bind(&ServiceImpl::GetDora)},
        {"GET", "/api/v1/reports/slo", Access::kRead, all, "Error budgets of the services' SLOs", "reports",
         bind(&ServiceImpl::GetSlo)},
        {"GET", "/api/v1/ledger/head", Access::kRead, all, "Ledger size, root and latest checkpoint", "ledger",
         bind(&ServiceImpl::GetHead)},
        {"GET", "/api/v1/ledger/proof/inclusion", Access::kRead, all, "RFC 9162 inclusion proof", "ledger",
         bind(&ServiceImpl::GetInclusion)},
        {"GET", "/api/v1/ledger/proof/consistency", Access::kRead, all, "RFC 9162 consistency proof", "ledger",
         bind(&ServiceImpl::GetConsistency)},
        {"GET", "/api/v1/ledger/export", Access::kRead, all, "The ledger as a verifiable bundle", "ledger",
         bind(&ServiceImpl::GetExport)},
        {"GET", "/api/v1/ledger/entries", Access::kRead, all, "Entries by type, service and time, paged", "ledger",
         bind(&ServiceImpl::GetLedgerEntries)},
        {"POST", "/api/v1/ledger/verify", Access::kRead, writers, "Verify the whole ledger now (writes nothing)", "ledger",
         bind(&ServiceImpl::PostVerify)},
        {"GET", "/api/v1/services", Access::kRead, all, "Registered services, owners and gates", "services",
         bind(&ServiceImpl::GetServices)},
        {"POST", "/webhooks/github", Access::kWebhook, {}, "GitHub deliveries (X-Hub-Signature-256)", "webhooks",
         [this](const HttpRequest& r, const Caller&) { return Webhook(r, "github"); }},
        {"POST", "/webhooks/gitlab", Access::kWebhook, {}, "GitLab deliveries (X-Gitlab-Token or signed)", "webhooks",
         [this](const HttpRequest& r, const Caller&) { return Webhook(r, "gitlab"); }},
        {"POST", "/webhooks/pagerduty", Access::kWebhook, {}, "PagerDuty v3 deliveries (X-PagerDuty-Signature)",
         "webhooks", [this](const HttpRequest& r, const Caller&) { return Webhook(r, "pagerduty"); }},
        {"POST", "/admission/validate", Access::kAdmission, {}, "Kubernetes AdmissionReview v1 (HTTPS only)",
         "admission", [this](const HttpRequest& r, const Caller&) { return Admission(r); }},
    };
  }

  // The Gatekeeper policy set and inventory, loaded once: a set that does
  // not load stops the server from starting, never admits everything.
  Status LoadAdmission() {
    const auto& a = opts_.admission;
    auto set = a.templates.empty() && a.constraints.empty() ? admission::PolicySet::Builtin()
                                                            : admission::PolicySet::Load(a.templates, a.constraints);
    if (!set) return Fail(set.error().WithContext("admission policies"));
    admission_ = std::make_unique<admission::PolicySet>(std::move(*set));
    auto inventory = admission::LoadInventory(a.inventory);
    if (!inventory) return Fail(inventory.error().WithContext("admission inventory"));
    inventory_ = std::move(*inventory);
    return Ok();
  }

  HttpResponse Admission(const HttpRequest& req) {
    if (!req.tls) return Problem(403, "admission reviews are served over HTTPS only (--tls-cert/--tls-key)");
    auto start = std::chrono::steady_clock::now();
    auto review = ParseJson(req.body, "AdmissionReview");
    if (!review) return ErrorResponse(review.error());
    auto decision = admission::Decide(*admission_, *review, &inventory_);
    if (!decision) return ErrorResponse(decision.error());
    if (opts_.admission.record) {
      // An answer that cannot be recorded is not given: the API server's
      // failurePolicy decides, as for any webhook error.
      auto a = AppendGrouped(std::vector<Json>{decision->event});
      if (!a) return ErrorResponse(a.error());
    }
    metrics_.Admission(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), decision->allowed);
    return JsonResponse(200, decision->response);
  }

  struct CacheEntry {
    std::uint64_t size = 0;
    std::chrono::steady_clock::time_point at;
    HttpResponse response;
  };

  ServerOptions opts_;
  const Clock& clock_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::mutex ledger_mu_;
  delivery::WarmHistory warm_;  // the delivery history event batches are checked against; under ledger_mu_
  std::unique_ptr<StateStore> state_;
  std::mutex state_mu_;
  std::optional<SignerKey> ledger_key_;
  std::map<std::string, gate::Config> configs_;
  std::unique_ptr<admission::PolicySet> admission_;
  admission::Inventory inventory_;
  Metrics metrics_;
  RateLimiter limiter_;
  std::string bootstrap_token_;
  std::string openapi_;
  std::vector<Route> routes_;
  std::mutex cache_mu_;
  std::mutex compute_mu_;
  struct Pending {  // one request's events waiting for a group commit
    std::vector<Json> events;  // sizes kept: moved-from Json elements stay in place
    std::vector<ledger::AppendedEntry> written;
    std::optional<Error> error;
    bool done = false;
  };
  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<Pending*> group_queue_;
  bool group_writing_ = false;  // held while a report is recomputed (after cache_mu_ is released)
  std::map<std::string, CacheEntry> cache_;
};

}  // namespace

Result<std::unique_ptr<Service>> Service::Open(const ServerOptions& options, const Clock& clock) {
  auto s = std::make_unique<ServiceImpl>(options, clock);
  TG_TRY(s->Init());
  return std::unique_ptr<Service>(std::move(s));
}

}  // namespace tollgate::server
