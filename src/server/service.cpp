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
    return JsonResponse(201, Json{{"decision", run->evaluation.blocked ? "blocked" : "pass"},
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

  HttpResponse GetServices(const HttpRequest&, const Caller&) { return JsonResponse(200, ServicesJson()); }

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
      return Html(200, portal::OverviewPage(ServicesJson(), *report, q, name));
    }
    std::string service = req.path.substr(std::string("/services/").size());
    Json services = ServicesJson();
    for (const auto& s : services["services"]) {
      if (s["name"] != service) continue;
      HttpRequest dora;
      dora.query = {{"window", "90d"}, {"by", "week"}};  // all services: one without deploys is no error
      auto report = PageJson(GetDora(dora, *who));
      if (!report) return Html(StatusFor(report.error()), portal::MessagePage("Error", report.error().message(), name));
      return Html(200, portal::ServicePage(s, *report, name));
    }
    return Html(404, portal::MessagePage("No such service", "No service named '" + service + "' is registered.", name));
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
