// The service under test without sockets (Service::Handle), on SQLite files
// or on PostgreSQL when TOLLGATE_PG_URL is set (one schema per test): a
// registered service, the bootstrap admin and one principal per role.
// Shared by the API and portal tests.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "core/canonical_json.h"
#include "server/server.h"
#include "support/postgres.h"
#include "support/temp_dir.h"

namespace tollgate::server::testfx {

using tollgate::testing::TempDir;

inline const char* kConfig =
    "version: 1\n"
    "service: payments-api\n"
    "gates:\n"
    "  secrets: { import: none.sarif, fail_on: any, bypass: none }\n"
    "  sast: { import: none.sarif, fail_on: high, bypass: [security] }\n";

// Skips the PostgreSQL instance when there is no database to test on.
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") TG_REQUIRE_POSTGRES();
  }
};

inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// Where the ledger and the state live: SQLite files in `dir`, or, for
// "postgres", a schema of its own holding both (the state defaults to the
// ledger's database).
struct Storage {
  explicit Storage(const std::string& backend) {
    if (backend == "postgres") {
      pg = std::make_unique<testing::PgSchema>();
      EXPECT_EQ(pg->error(), "");
    }
  }
  void Place(ServerOptions& o) const {
    if (pg) {
      o.ledger = pg->url();
      o.state.clear();
    } else {
      o.ledger = dir / "ledger.db";
      o.state = dir / "server.db";
    }
  }
  // Every byte the state holds about tokens, to check that none is a token.
  std::string TokenBytes() {
    if (pg) return pg->Text("SELECT string_agg(t::text, ' ') FROM tokens t");
    std::ifstream in(dir / "server.db", std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  TempDir dir;
  std::unique_ptr<testing::PgSchema> pg;
};

// A request for METHOD and "PATH?a=1&b=2" (query values taken as they are).
inline HttpRequest Request(const std::string& method, const std::string& target) {
  HttpRequest r;
  r.method = method;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q == std::string::npos) return r;
  std::string rest = target.substr(q + 1);
  for (std::size_t pos = 0; pos <= rest.size();) {
    auto amp = rest.find('&', pos);
    std::string kv = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = kv.find('=');
    if (!kv.empty()) r.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return r;
}

struct Fixture {
  Storage storage;
  TempDir& dir = storage.dir;
  FixedClock clock{*ParseRfc3339("2026-06-15T00:00:00Z")};
  std::unique_ptr<Service> svc;
  std::string admin;
  std::map<std::string, std::string> tokens;  // role -> token of a principal holding only that role

  explicit Fixture(const std::string& backend, std::string github_secret = "") : storage(backend) {
    ServerOptions o;
    storage.Place(o);
    o.rate_per_second = 0;  // the rate limit has a test of its own
    o.services.push_back(ServiceEntry{"payments-api", dir.Write("tollgate.yaml", kConfig), "team-payments", ""});
    if (!github_secret.empty()) o.webhooks["github"] = WebhookConfig{github_secret, "payments-api"};
    auto s = Service::Open(o, clock);
    EXPECT_TRUE(s.has_value()) << s.error().message();
    svc = std::move(*s);
    admin = svc->TakeBootstrapToken();
    EXPECT_EQ(admin.rfind("tg_", 0), 0u);
    EXPECT_TRUE(svc->TakeBootstrapToken().empty()) << "the bootstrap token is handed out once";
    for (const char* role : {"developer", "release-manager", "security", "compliance", "sre", "auditor", "admin"}) {
      std::string name = std::string("p-") + role;
      auto r = Call("POST", "/api/v1/principals", admin,
                    Json{{"name", name}, {"email", name + "@corp.example"}, {"roles", {role}}}.dump());
      EXPECT_EQ(r.status, 201) << r.body;
      auto t = Call("POST", "/api/v1/tokens", admin, Json{{"principal", name}, {"label", "test"}}.dump());
      EXPECT_EQ(t.status, 201) << t.body;
      tokens[role] = Parse(t)["token"].get<std::string>();
    }
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    HttpRequest r = Request(method, target);
    r.body = body;
    r.headers = std::move(headers);
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return svc->Handle(r);
  }
  static Json Parse(const HttpResponse& r) {
    auto j = ParseJson(r.body, "response");
    EXPECT_TRUE(j.has_value()) << r.body;
    return j.value_or(Json());
  }
  std::uint64_t LedgerSize() {
    auto r = Call("GET", "/api/v1/ledger/head", admin);
    return Parse(r)["size"].get<std::uint64_t>();
  }
};

}  // namespace tollgate::server::testfx
