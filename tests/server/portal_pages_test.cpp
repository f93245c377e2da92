// The waiver queue and change pages through Service::Handle (issue 17):
// a blocked gate run, a developer's request, the author refused, a
// security holder's approval, and the next decision passing.
#include <gtest/gtest.h>

#include "server/fixture.h"
#include "server/portal.h"

namespace tollgate::server {
namespace {

using testfx::Fixture;

TEST(PortalPages, ApprovedRequestLetsTheNextDecisionPassAndTheAuthorIsRefused) {
  Fixture fx("sqlite");
  // sast blocks at high (fixture kConfig, bypass: [security]); secrets clean.
  // The change's author is p-security, so p-security may not approve.
  Json finding{{"rule_id", "sql-injection"}, {"severity", "high"}, {"message", "<script>alert(1)</script>"},
               {"location", {{"file", "app/db.py"}, {"line", 42}}}, {"fingerprint", std::string(64, 'a')}};
  Json run{{"service", "payments-api"}, {"commit", "c1"}, {"author", "p-security <p-security@corp.example>"},
           {"gates", {{"secrets", Json::array()}, {"sast", Json::array({finding})}}}};
  auto r1 = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], run.dump());
  ASSERT_EQ(r1.status, 201) << r1.body;
  EXPECT_EQ(Fixture::Parse(r1)["decision"], "blocked");
  std::uint64_t change = Fixture::Parse(r1)["change"].get<std::uint64_t>();

  auto req = fx.Call("POST", "/api/v1/waiver-requests", fx.tokens["developer"],
                     Json{{"change", change}, {"gate", "sast"}, {"finding", std::string(12, 'a')},
                          {"reason", "false positive"}, {"expires", "30d"}}.dump());
  ASSERT_EQ(req.status, 201) << req.body;
  std::uint64_t id = Fixture::Parse(req)["id"].get<std::uint64_t>();

  // The author (holding security) is refused; a developer holds no bypass role.
  fx.Call("POST", "/api/v1/principals", fx.admin,
          Json{{"name", "p-security2"}, {"email", "sec2@corp.example"}, {"roles", {"security"}}}.dump());
  auto tok = Fixture::Parse(fx.Call("POST", "/api/v1/tokens", fx.admin, Json{{"principal", "p-security2"}}.dump()));
  EXPECT_EQ(fx.Call("POST", "/api/v1/waiver-requests/approve", fx.tokens["security"], Json{{"id", id}}.dump()).status, 403);
  EXPECT_EQ(fx.Call("POST", "/api/v1/waiver-requests/approve", fx.tokens["developer"], Json{{"id", id}}.dump()).status, 403);
  auto ok = fx.Call("POST", "/api/v1/waiver-requests/approve", tok["token"].get<std::string>(), Json{{"id", id}}.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(fx.Call("POST", "/api/v1/waiver-requests/approve", tok["token"].get<std::string>(), Json{{"id", id}}.dump()).status,
            409);
  auto r2 = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], run.dump());
  ASSERT_EQ(r2.status, 201) << r2.body;
  EXPECT_EQ(Fixture::Parse(r2)["decision"], "pass") << r2.body;

  // The change page escapes the finding's text; an unknown change is 404; no session: sign-in.
  HttpRequest login = testfx::Request("GET", "/login?token=" + fx.tokens["developer"]);
  auto in = fx.svc->Handle(login);
  std::string cookie;
  for (const auto& [k, v] : in.headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  HttpRequest page = testfx::Request("GET", "/changes/" + std::to_string(change));
  page.headers["cookie"] = cookie;
  auto p = fx.svc->Handle(page);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(p.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(p.body.find("app/db.py:42"), std::string::npos);
  page.path = "/changes/999999";
  EXPECT_EQ(fx.svc->Handle(page).status, 404);
  page.headers.clear();
  page.path = "/waivers";
  EXPECT_EQ(fx.svc->Handle(page).status, 401);
}

TEST(PortalPages, BypassNoneIsNeverApprovedRejectNeedsAReasonAndVerifyNowShowsTheResult) {
  Fixture fx("sqlite");
  Json leak{{"rule_id", "aws-key"}, {"severity", "critical"}, {"message", "key"}, {"fingerprint", std::string(64, 'b')}};
  Json run{{"service", "payments-api"}, {"commit", "c2"}, {"author", "p-developer <p-developer@corp.example>"},
           {"gates", {{"secrets", Json::array({leak})}, {"sast", Json::array()}}}};
  auto r1 = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], run.dump());
  ASSERT_EQ(r1.status, 201) << r1.body;
  std::uint64_t change = Fixture::Parse(r1)["change"].get<std::uint64_t>();
  auto req = fx.Call("POST", "/api/v1/waiver-requests", fx.tokens["developer"],
                     Json{{"change", change}, {"gate", "secrets"}, {"finding", std::string(64, 'b')},
                          {"reason", "test key"}, {"expires", "30d"}}.dump());
  ASSERT_EQ(req.status, 201) << req.body;
  std::uint64_t id = Fixture::Parse(req)["id"].get<std::uint64_t>();
  EXPECT_EQ(Fixture::Parse(req)["can_approve"], false);
  EXPECT_EQ(fx.Call("POST", "/api/v1/waiver-requests/approve", fx.tokens["admin"], Json{{"id", id}}.dump()).status, 403);
  EXPECT_EQ(fx.Call("POST", "/api/v1/waiver-requests/approve", fx.tokens["security"], Json{{"id", id}}.dump()).status, 403);

  HttpRequest login = testfx::Request("GET", "/login?token=" + fx.tokens["admin"]);
  std::string cookie, session;
  for (const auto& [k, v] : fx.svc->Handle(login).headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  session = cookie.substr(cookie.find('=') + 1);
  HttpRequest queue = testfx::Request("GET", "/waivers");
  queue.headers["cookie"] = cookie;
  auto q = fx.svc->Handle(queue);
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_EQ(q.body.find("id=\"approve-" + std::to_string(id) + "\""), std::string::npos) << "bypass: none: no approve";
  EXPECT_NE(q.body.find("id=\"reject-" + std::to_string(id) + "\""), std::string::npos);

  // Reject needs a reason; a form without the session's token is refused.
  EXPECT_EQ(fx.Call("POST", "/api/v1/waiver-requests/reject", fx.tokens["admin"], Json{{"id", id}}.dump()).status, 400);
  HttpRequest reject = testfx::Request("POST", "/waivers/reject?id=" + std::to_string(id) + "&reason=fix%20it");
  reject.query["reason"] = "fix it";
  reject.headers["cookie"] = cookie;
  EXPECT_EQ(fx.svc->Handle(reject).status, 403) << "no form token";
  reject.query["csrf"] = portal::FormToken(session);
  reject.headers["origin"] = "https://evil.example";
  reject.headers["host"] = "127.0.0.1:8080";
  EXPECT_EQ(fx.svc->Handle(reject).status, 403) << "another site's origin";
  reject.headers["origin"] = "http://127.0.0.1:8080";
  EXPECT_EQ(fx.svc->Handle(reject).status, 303);
  auto all = Fixture::Parse(fx.Call("GET", "/api/v1/waiver-requests?status=rejected", fx.tokens["auditor"]));
  ASSERT_EQ(all["waiver_requests"].size(), 1u);
  EXPECT_EQ(all["waiver_requests"][0]["decision_reason"], "fix it");

  HttpRequest verify = testfx::Request("POST", "/ledger/verify");
  verify.headers["cookie"] = cookie;
  verify.query["csrf"] = portal::FormToken(session);
  auto v = fx.svc->Handle(verify);
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_NE(v.body.find("data-verified=\"true\""), std::string::npos) << v.body;
  // Search: only gate.overall entries of the service.
  auto found = Fixture::Parse(fx.Call("GET", "/api/v1/ledger/entries?type=gate.overall&service=payments-api", fx.tokens["auditor"]));
  ASSERT_EQ(found["entries"].size(), 1u);
  EXPECT_EQ(found["entries"][0]["seq"], change);
  EXPECT_EQ(Fixture::Parse(fx.Call("GET", "/api/v1/ledger/entries?service=none", fx.tokens["auditor"]))["entries"].size(), 0u);
}

}  // namespace
}  // namespace tollgate::server
