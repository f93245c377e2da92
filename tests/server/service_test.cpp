// The service through Service::Handle (no sockets): authentication, the
// role table of every route, escalation attempts, webhooks, gate runs with
// server-side waivers, and the OpenAPI document against the routes. Each
// test runs with the ledger and the state on SQLite files, and again on
// PostgreSQL when TOLLGATE_PG_URL is set (one schema per test).
#include "server/server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <atomic>
#include <set>
#include <thread>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "delivery/webhooks.h"
#include "server/fixture.h"
#include "support/postgres.h"
#include "support/temp_dir.h"

namespace tollgate::server {
namespace {

using tollgate::testing::TempDir;
using testfx::BackendName;
using testfx::Fixture;
using testfx::Storage;
using testfx::kConfig;
class Server : public testfx::BackendTest {};

// Who may call what, written from the issue's rules, not read from the code:
// every role reads; auditors change nothing; identities are the admin's;
// delivery events are recorded by release managers, SREs and admins.
std::set<std::string> Expected(const std::string& method, const std::string& path) {
  const std::set<std::string> all{"developer", "release-manager", "security", "compliance", "sre", "auditor", "admin"};
  std::set<std::string> writers = all;
  writers.erase("auditor");
  if (path == "/api/v1/principals" && method == "GET") return {"admin", "auditor"};
  if (path.rfind("/api/v1/principals", 0) == 0 || path.rfind("/api/v1/tokens", 0) == 0) return {"admin"};
  if (path == "/api/v1/events" && method == "POST") return {"release-manager", "sre", "admin"};
  if (method == "GET") return all;
  return writers;
}

TEST_P(Server, EveryRouteAgainstEveryRole) {
  Fixture fx(GetParam());
  Json doc = *ParseJson(fx.svc->OpenApi(), "openapi");
  int checked = 0;
  for (auto& [path, ops] : doc["paths"].items()) {
    for (auto& [method_lower, op] : ops.items()) {
      if (!op.contains("security")) continue;  // public, webhook and admission routes
      std::string method = method_lower == "get" ? "GET" : "POST";
      auto allowed = Expected(method, path);
      for (const auto& [role, token] : fx.tokens) {
        std::uint64_t before = fx.LedgerSize();
        auto r = fx.Call(method, path, token, method == "POST" ? "{}" : "");
        if (allowed.count(role)) {
          EXPECT_NE(r.status, 403) << role << " " << method << " " << path << ": " << r.body;
          EXPECT_NE(r.status, 401) << role << " " << method << " " << path;
        } else {
          EXPECT_EQ(r.status, 403) << role << " " << method << " " << path << ": " << r.body;
          EXPECT_EQ(fx.LedgerSize(), before) << "a refused request wrote to the ledger";
        }
        ++checked;
      }
      auto anon = fx.Call(method, path, "");
      EXPECT_EQ(anon.status, 401) << method << " " << path;
    }
  }
  EXPECT_GE(checked, 7 * 15);
}

TEST_P(Server, EscalationAttemptsAreRefusedAndNothingIsWritten) {
  Fixture fx(GetParam());
  std::uint64_t before = fx.LedgerSize();
  const std::string dev = fx.tokens["developer"];
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals", dev, Json{{"name", "eve"}, {"roles", {"admin"}}}.dump()).status, 403);
  EXPECT_EQ(fx.Call("POST", "/api/v1/tokens", dev, Json{{"principal", "admin"}}.dump()).status, 403);
  EXPECT_EQ(fx.Call("POST", "/api/v1/tokens", fx.tokens["auditor"], Json{{"principal", "p-auditor"}}.dump()).status, 403);
  // An admin cannot invent roles the gates do not know either.
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals", fx.admin, Json{{"name", "x"}, {"roles", {"root"}}}.dump()).status, 400);
  EXPECT_EQ(fx.LedgerSize(), before);
}

// Role grants (issue 17): a grant or revocation changes what the principal
// may do on its very next request and is a ledger event naming the grantor;
// only admins grant; the last admin keeps its admin role.
TEST_P(Server, GrantAndRevokeRolesChangeAuthorisationAndAreRecorded) {
  Fixture fx(GetParam());
  const std::string dev = fx.tokens["developer"];
  EXPECT_EQ(fx.Call("GET", "/api/v1/principals", dev).status, 403);
  auto g = fx.Call("POST", "/api/v1/principals/grant", fx.admin, Json{{"principal", "p-developer"}, {"role", "auditor"}}.dump());
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(Fixture::Parse(g)["roles"], Json({"developer", "auditor"}));
  EXPECT_EQ(fx.Call("GET", "/api/v1/principals", dev).status, 200) << "auditors list principals";
  auto e = Fixture::Parse(fx.Call("GET", "/api/v1/ledger/entries?type=role.granted", fx.admin));
  ASSERT_EQ(e["entries"].size(), 1u) << e.dump();
  EXPECT_EQ(e["entries"][0]["actor"], "admin");
  ASSERT_EQ(fx.Call("POST", "/api/v1/principals/revoke", fx.admin, Json{{"principal", "p-developer"}, {"role", "auditor"}}.dump()).status, 200);
  EXPECT_EQ(fx.Call("GET", "/api/v1/principals", dev).status, 403);
  EXPECT_EQ(Fixture::Parse(fx.Call("GET", "/api/v1/ledger/entries?type=role.revoked", fx.admin))["entries"].size(), 1u);

  std::uint64_t before = fx.LedgerSize();
  // Not an admin; an unknown role; an unknown principal; no body.
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals/grant", dev, Json{{"principal", "p-developer"}, {"role", "admin"}}.dump()).status, 403);
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals/grant", fx.tokens["security"], Json{{"principal", "p-security"}, {"role", "admin"}}.dump()).status, 403);
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals/grant", fx.admin, Json{{"principal", "p-developer"}, {"role", "root"}}.dump()).status, 400);
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals/grant", fx.admin, Json{{"principal", "nobody"}, {"role", "sre"}}.dump()).status, 404);
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals/revoke", fx.admin, "").status, 400);
  EXPECT_EQ(fx.LedgerSize(), before);

  // Two admins (the bootstrap one and p-admin): one may go, the last may not.
  ASSERT_EQ(fx.Call("POST", "/api/v1/principals/revoke", fx.admin, Json{{"principal", "p-admin"}, {"role", "admin"}}.dump()).status, 200);
  before = fx.LedgerSize();
  EXPECT_EQ(fx.Call("POST", "/api/v1/principals/revoke", fx.admin, Json{{"principal", "admin"}, {"role", "admin"}}.dump()).status, 409);
  EXPECT_EQ(fx.LedgerSize(), before);
  EXPECT_EQ(fx.Call("GET", "/api/v1/principals", fx.admin).status, 200) << "the last admin is still one";
}

TEST_P(Server, UnknownRevokedAndExpiredTokensAreRefused) {
  Fixture fx(GetParam());
  EXPECT_EQ(fx.Call("GET", "/api/v1/whoami", "tg_not-a-token").status, 401);
  EXPECT_EQ(fx.Call("GET", "/api/v1/whoami", fx.tokens["developer"]).status, 200);
  auto rv = fx.Call("POST", "/api/v1/tokens/revoke", fx.admin, Json{{"token", fx.tokens["developer"]}}.dump());
  EXPECT_EQ(rv.status, 200) << rv.body;
  auto after = fx.Call("GET", "/api/v1/whoami", fx.tokens["developer"]);
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.body.find("revoked"), std::string::npos);

  auto t = fx.Call("POST", "/api/v1/tokens", fx.admin, Json{{"principal", "p-sre"}, {"expires", "2026-06-20"}}.dump());
  ASSERT_EQ(t.status, 201) << t.body;
  std::string short_lived = Fixture::Parse(t)["token"].get<std::string>();
  EXPECT_EQ(fx.Call("GET", "/api/v1/whoami", short_lived).status, 200);
  fx.clock.Set(*ParseRfc3339("2026-06-21T00:00:00Z"));
  EXPECT_EQ(fx.Call("GET", "/api/v1/whoami", short_lived).status, 401);
  // Tokens are stored as hashes only: the state never holds one.
  std::string bytes = fx.storage.TokenBytes();
  EXPECT_NE(bytes, "");
  EXPECT_EQ(bytes.find(short_lived), std::string::npos);
}

TEST_P(Server, WebhooksWithoutASecretRefuseEverything) {
  Fixture fx(GetParam());  // no webhook secret configured
  auto r = fx.Call("POST", "/webhooks/github", "", "{}", {{"x-hub-signature-256", "sha256=" + std::string(64, '0')}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(fx.Call("POST", "/webhooks/pagerduty", "", "{}").status, 401);
}

TEST_P(Server, GithubWebhookIsVerifiedAndIdempotent) {
  Fixture fx(GetParam(), "gh-secret");
  std::string body = R"({"deployment_status":{"state":"success","environment":"prod","created_at":"2026-06-14T10:00:00Z","updated_at":"2026-06-14T10:00:00Z","id":7},"deployment":{"id":42,"sha":"abc123","environment":"prod","created_at":"2026-06-14T09:59:00Z"},"repository":{"name":"payments-api","full_name":"org/payments-api"}})";
  std::uint64_t before = fx.LedgerSize();
  auto forged = fx.Call("POST", "/webhooks/github", "", body,
                        {{"x-hub-signature-256", "sha256=" + delivery::HmacSha256Hex("wrong", body)}, {"x-github-delivery", "d-1"}});
  EXPECT_EQ(forged.status, 401);
  auto missing = fx.Call("POST", "/webhooks/github", "", body, {{"x-github-delivery", "d-1"}});
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(fx.LedgerSize(), before);
  std::map<std::string, std::string> good{{"x-hub-signature-256", "sha256=" + delivery::HmacSha256Hex("gh-secret", body)},
                                          {"x-github-delivery", "d-1"}};
  auto ok = fx.Call("POST", "/webhooks/github", "", body, good);
  EXPECT_TRUE(ok.status == 201 || ok.status == 200) << ok.body;
  std::uint64_t after = fx.LedgerSize();
  EXPECT_GT(after, before) << ok.body;
  auto again = fx.Call("POST", "/webhooks/github", "", body, good);
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(Fixture::Parse(again).value("duplicate", false));
  EXPECT_EQ(fx.LedgerSize(), after) << "a retried delivery must not be recorded twice";
}

Json FindingJson(const std::string& fp, const std::string& severity) {
  return Json{{"rule_id", "sqli"}, {"severity", severity}, {"message", "SQL injection"},
              {"location", {{"file", "app/db.py"}, {"line", 3}}}, {"fingerprint", fp}};
}

// What the client's scanner could not read reaches the ledger through the
// API as it does locally: the decision lists the file and why (issue 14 item 6).
TEST_P(Server, GateRunRecordsWhatTheScannerCouldNotRead) {
  Fixture fx(GetParam());
  Json incomplete{{"rule_id", "incomplete-scan"}, {"severity", "high"},
                  {"message", "could not be scanned completely: stopped reading: expands beyond 256 MiB"},
                  {"location", {{"file", "backup.sql.gz"}}}, {"fingerprint", std::string(64, 'b')},
                  {"tool", "tollgate-secrets"}, {"cause", "archive-bomb"}, {"reason", "stopped reading"}};
  Json run{{"service", "payments-api"},
           {"commit", std::string(40, 'c')},
           {"author", "Dev <p-developer@corp.example>"},
           {"gates", {{"secrets", {incomplete}}, {"sast", Json::array()}}}};
  auto r = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], run.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Fixture::Parse(r)["decision"], "blocked");
  auto bundle = fx.Call("GET", "/api/v1/ledger/export", fx.tokens["auditor"]);
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  // Only the decision's `incomplete` items carry the cause.
  EXPECT_NE(bundle.body.find("archive-bomb"), std::string::npos) << bundle.body.substr(0, 2000);
}

TEST_P(Server, GateRunsUseTheServersConfigAndWaivers) {
  Fixture fx(GetParam());
  std::string fp(64, 'a');
  Json run{{"service", "payments-api"},
           {"commit", std::string(40, 'c')},
           {"author", "Dev <p-developer@corp.example>"},
           {"gates", {{"secrets", Json::array()}, {"sast", {FindingJson(fp, "high")}}}}};
  auto blocked = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], run.dump());
  ASSERT_EQ(blocked.status, 201) << blocked.body;
  EXPECT_EQ(Fixture::Parse(blocked)["decision"], "blocked");

  // The developer holds no bypass role; the security lead does.
  Json waiver{{"service", "payments-api"}, {"gate", "sast"}, {"finding", fp}, {"reason", "WAF rule in place"}, {"expires", "2026-07-01"}};
  auto refused = fx.Call("POST", "/api/v1/waivers", fx.tokens["developer"], waiver.dump());
  EXPECT_EQ(refused.status, 403) << refused.body;
  auto accepted = fx.Call("POST", "/api/v1/waivers", fx.tokens["security"], waiver.dump());
  ASSERT_EQ(accepted.status, 201) << accepted.body;
  EXPECT_EQ(Fixture::Parse(accepted)["service"], "payments-api");
  auto passed = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], run.dump());
  ASSERT_EQ(passed.status, 201);
  EXPECT_EQ(Fixture::Parse(passed)["decision"], "pass") << passed.body;

  // No waiver on a bypass: none gate, whoever asks.
  Json on_secret = waiver;
  on_secret["gate"] = "secrets";
  EXPECT_EQ(fx.Call("POST", "/api/v1/waivers", fx.tokens["security"], on_secret.dump()).status, 400);

  // A gate the client did not run blocks: the server fails closed.
  Json partial = run;
  partial["gates"].erase("secrets");
  auto closed = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], partial.dump());
  ASSERT_EQ(closed.status, 201);
  EXPECT_EQ(Fixture::Parse(closed)["decision"], "blocked");
  EXPECT_NE(closed.body.find("gate-not-run"), std::string::npos);

  // An unregistered service, an unknown gate and malformed findings are refused.
  Json other = run;
  other["service"] = "unknown-api";
  EXPECT_EQ(fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], other.dump()).status, 404);
  Json extra = run;
  extra["gates"]["dast"] = Json::array();
  EXPECT_EQ(fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], extra.dump()).status, 400);
  Json bad = run;
  bad["gates"]["sast"] = {Json{{"severity", "high"}}};
  EXPECT_EQ(fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], bad.dump()).status, 400);
  EXPECT_EQ(fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], "not json").status, 400);
}

TEST_P(Server, EventsAndDoraReport) {
  Fixture fx(GetParam());
  std::string jsonl =
      R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","status":"success","time":"2026-03-02T10:00:00Z","changes":[{"commit":"c1","time":"2026-03-02T08:00:00Z"}]})"
      "\n"
      R"({"type":"deploy","id":"d2","service":"api","env":"prod","commit":"a2","status":"success","time":"2026-03-04T10:00:00Z","changes":[{"commit":"c2","time":"2026-03-04T06:00:00Z"}]})"
      "\n";
  EXPECT_EQ(fx.Call("POST", "/api/v1/events", fx.tokens["developer"], jsonl).status, 403);
  auto r = fx.Call("POST", "/api/v1/events", fx.tokens["release-manager"], jsonl);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Fixture::Parse(r)["recorded"], 2);
  auto d = fx.Call("GET", "/api/v1/reports/dora?service=api&from=2026-03-02&to=2026-03-09", fx.tokens["auditor"]);
  ASSERT_EQ(d.status, 200) << d.body;
  Json j = Fixture::Parse(d);
  Json o = j.contains("overall") ? j["overall"] : j;
  EXPECT_EQ(o["deployments"], 2);
  EXPECT_NEAR(o["lead_time_hours"]["median"].get<double>(), 3.0, 1e-9);  // (2 h + 4 h) / 2
  EXPECT_EQ(fx.Call("POST", "/api/v1/events", fx.tokens["release-manager"], "{\"type\":\"deploy\"}\n").status, 400);
}

TEST_P(Server, LedgerRoutesGiveProofsThatVerify) {
  Fixture fx(GetParam());
  auto head = Fixture::Parse(fx.Call("GET", "/api/v1/ledger/head", fx.tokens["auditor"]));
  std::uint64_t size = head["size"];
  ASSERT_GE(size, 2u);
  auto inc = fx.Call("GET", "/api/v1/ledger/proof/inclusion?index=0", fx.tokens["auditor"]);
  ASSERT_EQ(inc.status, 200) << inc.body;
  EXPECT_EQ(Fixture::Parse(inc)["root"], head["root"]);
  EXPECT_EQ(fx.Call("GET", "/api/v1/ledger/proof/inclusion?index=99999", fx.tokens["auditor"]).status, 400);
  EXPECT_EQ(fx.Call("GET", "/api/v1/ledger/proof/inclusion?index=x", fx.tokens["auditor"]).status, 400);
  auto cons = fx.Call("GET", "/api/v1/ledger/proof/consistency?from=1", fx.tokens["auditor"]);
  ASSERT_EQ(cons.status, 200) << cons.body;
  auto exp = fx.Call("GET", "/api/v1/ledger/export", fx.tokens["auditor"]);
  ASSERT_EQ(exp.status, 200);
  EXPECT_EQ(Fixture::Parse(exp)["size"], size);
}

TEST_P(Server, OpenApiDocumentMatchesTheRoutes) {
  Fixture fx(GetParam());
  Json doc = *ParseJson(fx.svc->OpenApi(), "openapi");
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.1", 0), 0u);
  for (const char* p : {"/api/v1/gate-runs", "/api/v1/events", "/api/v1/waivers", "/api/v1/approvals", "/api/v1/reports/dora",
                        "/api/v1/reports/slo", "/api/v1/ledger/head", "/api/v1/ledger/proof/inclusion",
                        "/api/v1/ledger/proof/consistency", "/api/v1/ledger/export", "/api/v1/services", "/webhooks/github",
                        "/webhooks/gitlab", "/webhooks/pagerduty", "/admission/validate", "/healthz", "/readyz", "/metrics"})
    EXPECT_TRUE(doc["paths"].contains(p)) << p;
  // Every documented operation is answered (never 404/405) ...
  for (auto& [path, ops] : doc["paths"].items())
    for (auto& [method, op] : ops.items()) {
      auto r = fx.Call(method == "get" ? "GET" : "POST", path, fx.admin, method == "post" ? "{}" : "");
      EXPECT_NE(r.status, 404) << method << " " << path << ": " << r.body;
      EXPECT_NE(r.status, 405) << method << " " << path;
    }
  // ... and what is not documented is not answered.
  EXPECT_EQ(fx.Call("GET", "/api/v1/nope", fx.admin).status, 404);
  EXPECT_EQ(fx.Call("DELETE", "/api/v1/events", fx.admin).status, 405);
  EXPECT_EQ(fx.Call("PUT", "/api/v1/ledger/head", fx.admin).status, 405);
}

TEST_P(Server, AdmissionNeedsTls) {
  Fixture fx(GetParam());
  HttpRequest r;
  r.method = "POST";
  r.path = "/admission/validate";
  r.body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"shop","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}}})";
  EXPECT_EQ(fx.svc->Handle(r).status, 403);
  auto before = Fixture::Parse(fx.Call("GET", "/api/v1/ledger/head", fx.tokens["auditor"]));
  r.tls = true;
  auto resp = fx.svc->Handle(r);
  ASSERT_EQ(resp.status, 200) << resp.body;
  Json j = Fixture::Parse(resp);
  EXPECT_EQ(j["response"]["uid"], "u-1");
  EXPECT_FALSE(j["response"]["allowed"].get<bool>()) << resp.body;  // a privileged container
  EXPECT_EQ(j["response"]["status"]["code"], 403);
  // decided by the built-in Gatekeeper library, as `tollgate admission review` decides
  EXPECT_NE(j["response"]["status"]["message"].get<std::string>().find("[tollgate-no-privileged]"), std::string::npos) << resp.body;
  // and recorded: one more ledger entry
  auto after = Fixture::Parse(fx.Call("GET", "/api/v1/ledger/head", fx.tokens["auditor"]));
  EXPECT_EQ(after["size"].get<std::uint64_t>(), before["size"].get<std::uint64_t>() + 1) << after.dump();
  // a malformed review is a client error
  r.body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}})";
  EXPECT_EQ(fx.svc->Handle(r).status, 400);
}

// Admission decisions from many connections at once share ledger
// transactions (group commit): each is answered after its record is written,
// and each is recorded exactly once, in some order, with its own uid.
TEST_P(Server, ConcurrentAdmissionReviewsAreEachRecordedOnce) {
  Fixture fx(GetParam());
  const std::uint64_t before = fx.LedgerSize();
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        HttpRequest r;
        r.method = "POST";
        r.path = "/admission/validate";
        r.tls = true;
        r.body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-)" + std::to_string(t) +
                 "-" + std::to_string(i) +
                 R"(","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"shop","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})";
        if (fx.svc->Handle(r).status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(fx.LedgerSize(), before + kThreads * kEach);
  auto exported = fx.Call("GET", "/api/v1/ledger/export", fx.tokens["auditor"]);
  ASSERT_EQ(exported.status, 200);
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kEach; ++i) {
      std::string uid = "\"u-" + std::to_string(t) + "-" + std::to_string(i) + "\"";
      auto first = exported.body.find(uid);
      EXPECT_NE(first, std::string::npos) << uid;
      EXPECT_EQ(exported.body.find(uid, first + 1), std::string::npos) << uid << " recorded twice";
    }
}

TEST_P(Server, MetricsCountRequests) {
  Fixture fx(GetParam());
  (void)fx.Call("GET", "/api/v1/whoami", fx.admin);
  auto m = fx.Call("GET", "/metrics", "");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("tollgate_http_requests_total{route=\"/api/v1/whoami\",method=\"GET\",status=\"200\"}"), std::string::npos)
      << m.body;
  EXPECT_EQ(m.body.find("tg_"), std::string::npos) << "no token in metrics";
}

TEST_P(Server, RateLimitPerPrincipal) {
  Storage storage(GetParam());
  FixedClock clock(*ParseRfc3339("2026-06-15T00:00:00Z"));
  ServerOptions o;
  storage.Place(o);
  o.rate_per_second = 1;  // a burst of 10
  auto s = Service::Open(o, clock);
  ASSERT_TRUE(s.has_value()) << s.error().message();
  std::string admin = (*s)->TakeBootstrapToken();
  int limited = 0;
  for (int i = 0; i < 30; ++i) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/api/v1/whoami";
    r.headers["authorization"] = "Bearer " + admin;
    if ((*s)->Handle(r).status == 429) ++limited;
  }
  EXPECT_GE(limited, 15);
}

INSTANTIATE_TEST_SUITE_P(Backends, Server, ::testing::Values("sqlite", "postgres"), BackendName);

}  // namespace
}  // namespace tollgate::server
