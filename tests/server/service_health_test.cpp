// The overview's gate figures (issue 17): pass rate over 30 days, the latest
// run's blocking findings by severity, the deploy freeze; through
// GET /api/v1/services and the overview page, and the functions alone.
// Expected values are counted by hand in the comments.
#include "server/service_health.h"

#include <gtest/gtest.h>

#include <chrono>

#include "server/fixture.h"
#include "server/portal.h"

namespace tollgate::server {
namespace {

using testfx::Fixture;
using namespace std::chrono_literals;

TimePoint At(const char* t) { return *ParseRfc3339(t); }

TEST(ServiceHealth, PassRateCountsTheWindowInclusiveOfBothEnds) {
  TimePoint now = At("2026-06-15T00:00:00Z");
  std::vector<GateRunRecord> runs{
      {1, "a", "pass", At("2026-05-16T00:00:00Z")},     // exactly 30 days before (May has 31): in
      {2, "a", "blocked", At("2026-05-15T23:59:59Z")},  // one second earlier: out
      {3, "a", "blocked", At("2026-06-01T00:00:00Z")},  // in
      {4, "b", "pass", At("2026-06-01T00:00:00Z")},     // another service
      {5, "a", "pass", now},                            // now: in
      {6, "a", "pass", At("2026-06-15T00:00:01Z")},     // after now: out
  };
  // a: runs 1, 3, 5 -> 3 runs, 2 passed, 2/3.
  Json a = PassRateJson(runs, "a", now, 30);
  EXPECT_EQ(a["runs"], 3);
  EXPECT_EQ(a["passed"], 2);
  EXPECT_DOUBLE_EQ(a["pass_rate"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(a["from"], "2026-05-16T00:00:00Z") << "30 days before 2026-06-15 is 2026-05-16";
  EXPECT_EQ(a["to"], "2026-06-15T00:00:00Z");
  EXPECT_TRUE(PassRateJson(runs, "none", now, 30)["pass_rate"].is_null());
}

TEST(ServiceHealth, BlockingBySeverityCountsOnlyBlockingFindings) {
  Json report{{"findings",
               {Json{{"severity", "high"}, {"blocking", true}}, Json{{"severity", "high"}, {"blocking", true}},
                Json{{"severity", "critical"}, {"blocking", true}}, Json{{"severity", "medium"}, {"blocking", false}},
                Json{{"severity", "low"}}, Json{{"severity", "weird"}, {"blocking", true}}}}};
  auto c = BlockingBySeverity(report);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  // high 2, critical 1, unknown 1 (the "weird" one); medium and low do not block.
  EXPECT_EQ(*c, (Json{{"critical", 1}, {"high", 2}, {"medium", 0}, {"low", 0}, {"info", 0}, {"unknown", 1}, {"total", 4}}));
  EXPECT_FALSE(BlockingBySeverity(Json{{"gates", Json::array()}}).has_value()) << "no findings array: an error";
  EXPECT_FALSE(BlockingBySeverity(Json("x")).has_value());
}

TEST(ServiceHealth, ServicesApiAndOverviewShowPassRateAndOpenBlockingFindings) {
  Fixture fx("sqlite");
  auto post = [&](const char* when, const Json& gates) {
    fx.clock.Set(At(when));
    auto r = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"],
                     Json{{"service", "payments-api"}, {"commit", when}, {"gates", gates}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Fixture::Parse(r);
  };
  auto finding = [](const char* sev, char fp) {
    return Json{{"rule_id", std::string("r-") + sev}, {"severity", sev}, {"message", "m"}, {"fingerprint", std::string(64, fp)}};
  };
  Json clean{{"secrets", Json::array()}, {"sast", Json::array()}};
  // kConfig: secrets blocks at any severity, sast at high.
  EXPECT_EQ(post("2026-05-01T00:00:00Z", clean)["decision"], "pass");  // 45 days before: outside the window
  EXPECT_EQ(post("2026-06-01T00:00:00Z", Json{{"secrets", Json::array()}, {"sast", {finding("high", 'a')}}})["decision"],
            "blocked");
  EXPECT_EQ(post("2026-06-10T00:00:00Z", clean)["decision"], "pass");
  Json last = post("2026-06-14T00:00:00Z",
                   Json{{"secrets", {finding("critical", 'b')}},
                        {"sast", {finding("high", 'c'), finding("high", 'd'), finding("medium", 'e'), finding("low", 'f')}}});
  EXPECT_EQ(last["decision"], "blocked");
  fx.clock.Set(At("2026-06-15T00:00:00Z"));

  auto r = fx.Call("GET", "/api/v1/services", fx.tokens["auditor"]);
  ASSERT_EQ(r.status, 200) << r.body;
  Json svc = Fixture::Parse(r)["services"][0];
  // Window 2026-05-16 .. 2026-06-15: the runs of 06-01 (blocked), 06-10 (pass), 06-14 (blocked): 1 of 3.
  EXPECT_EQ(svc["gate_pass_rate"]["runs"], 3);
  EXPECT_EQ(svc["gate_pass_rate"]["passed"], 1);
  EXPECT_DOUBLE_EQ(svc["gate_pass_rate"]["pass_rate"].get<double>(), 1.0 / 3.0);
  // The latest run: secrets' critical blocks (fail_on any), sast's two highs
  // block (fail_on high), its medium and low do not: critical 1, high 2.
  EXPECT_EQ(svc["open_blocking"]["change"], last["change"]);
  EXPECT_EQ(svc["open_blocking"]["decision"], "blocked");
  EXPECT_EQ(svc["open_blocking"]["by_severity"],
            (Json{{"critical", 1}, {"high", 2}, {"medium", 0}, {"low", 0}, {"info", 0}, {"total", 3}}));
  EXPECT_TRUE(svc["freeze"].is_null()) << "kConfig has no error-budget gate";

  // The overview shows the same figures.
  std::string cookie;
  for (const auto& [k, v] : fx.svc->Handle(testfx::Request("GET", "/login?token=" + fx.tokens["auditor"])).headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  HttpRequest home = testfx::Request("GET", "/");
  home.headers["cookie"] = cookie;
  auto page = fx.svc->Handle(home);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("<td class=\"num\">33% (1 of 3)</td>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<a href=\"/changes/" + last["change"].dump() + "\">1 critical, 2 high</a>"), std::string::npos);
  EXPECT_EQ(page.body.find("deploys frozen"), std::string::npos);

  // The service page lists the four runs, newest first, linking their changes.
  HttpRequest service = testfx::Request("GET", "/services/payments-api");
  service.headers["cookie"] = cookie;
  auto sp = fx.svc->Handle(service);
  ASSERT_EQ(sp.status, 200) << sp.body;
  auto table = sp.body.substr(sp.body.find("id=\"service-gate-runs\""));
  table = table.substr(0, table.find("</table>"));
  EXPECT_NE(table.find("<caption>The latest 4</caption>"), std::string::npos) << table;
  auto newest = table.find("href=\"/changes/" + last["change"].dump() + "\"");
  auto oldest = table.find("<code>2026-05-01T00:00:00Z</code>");
  ASSERT_NE(newest, std::string::npos) << table;
  ASSERT_NE(oldest, std::string::npos) << table;
  EXPECT_LT(newest, oldest);
}

// An SLO spec and hourly samples for the last two days, relative to the real
// clock (the error-budget check reads the data at the time it runs).
std::string WriteSlo(testfx::TempDir& dir, const std::string& name, double good, double total) {
  std::string csv = "time,good,total\n";
  auto now = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now());
  for (int h = 48; h >= 1; --h)
    csv += FormatRfc3339(TimePoint(now - std::chrono::hours(h))) + "," + std::to_string(static_cast<int>(good)) + "," +
           std::to_string(static_cast<int>(total)) + "\n";
  dir.Write(name + ".csv", csv);
  return dir.Write(name + ".yaml", "version: \"prometheus/v1\"\nservice: \"s\"\ntollgate:\n  data: " + name +
                                       ".csv\n  period: 30d\n  min_events: 100\nslos:\n  - name: \"avail\"\n"
                                       "    objective: 99.9\n    sli:\n      events:\n        error_query: e[{{.window}}]\n"
                                       "        total_query: t[{{.window}}]\n");
}

TEST(ServiceHealth, SloBudgetTakesTheLowestRemainingOfSlosWithData) {
  slo::BudgetStatus a, b, c;
  a.slo = "availability";  // 1000 events, 40% of the budget spent: 0.6 left
  a.total = 1000;
  a.remaining = 0.6;
  b.slo = "latency";  // 500 events, overspent: -0.25 left, exhausted
  b.total = 500;
  b.remaining = -0.25;
  b.exhausted = true;
  c.slo = "quiet";  // no events: remaining null, not the lowest
  c.total = 0;
  c.remaining = -5;
  Json j = SloBudgetJson({a, b, c});
  EXPECT_DOUBLE_EQ(j["lowest"].get<double>(), -0.25);  // min(0.6, -0.25)
  ASSERT_EQ(j["slos"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["slos"][0]["remaining"].get<double>(), 0.6);
  EXPECT_TRUE(j["slos"][1]["exhausted"].get<bool>());
  EXPECT_TRUE(j["slos"][2]["remaining"].is_null());
  EXPECT_TRUE(SloBudgetJson({c})["lowest"].is_null());
  EXPECT_TRUE(SloBudgetJson({})["lowest"].is_null());
}

TEST(ServiceHealth, OverviewSortsByPassRateBlockingBudgetAndFreeze) {
  // b: pass 0.5, 3 blocking, budget 0.9, frozen; a: pass 1.0, 1 blocking,
  // budget 0.1, not frozen; c: no figures (sorts first ascending).
  Json services = ParseJson(R"({"services": [
    {"name": "a", "gate_pass_rate": {"pass_rate": 1.0, "runs": 1, "passed": 1},
     "open_blocking": {"change": 1, "by_severity": {"total": 1, "high": 1}},
     "slo_budget": {"slos": [{"slo": "x"}], "lowest": 0.1}, "freeze": {"frozen": false, "gates": []}},
    {"name": "b", "gate_pass_rate": {"pass_rate": 0.5, "runs": 2, "passed": 1},
     "open_blocking": {"change": 2, "by_severity": {"total": 3, "high": 3}},
     "slo_budget": {"slos": [{"slo": "x"}], "lowest": 0.9}, "freeze": {"frozen": true, "gates": []}},
    {"name": "c", "slo_budget": null, "freeze": null}]})", "t").value();
  auto order = [&](const std::string& sort) {
    std::string html = portal::OverviewPage(services, Json::object(), portal::OverviewQuery{"", "", sort}, "me");
    auto pa = html.find("id=\"service-a\""), pb = html.find("id=\"service-b\""), pc = html.find("id=\"service-c\"");
    std::vector<std::pair<std::size_t, char>> v{{pa, 'a'}, {pb, 'b'}, {pc, 'c'}};
    std::sort(v.begin(), v.end());
    return std::string{v[0].second, v[1].second, v[2].second};
  };
  EXPECT_EQ(order("pass_rate"), "cba");   // -, 0.5, 1.0
  EXPECT_EQ(order("-pass_rate"), "abc");
  EXPECT_EQ(order("blocking"), "cab");    // -, 1, 3
  EXPECT_EQ(order("slo_budget"), "cab");  // -, 0.1, 0.9
  EXPECT_EQ(order("-slo_budget"), "bac");
  EXPECT_EQ(order("frozen"), "acb");      // a, c not frozen (stable), b frozen
  std::string html = portal::OverviewPage(services, Json::object(), portal::OverviewQuery{"", "", "name"}, "me");
  EXPECT_NE(html.find("10.0%"), std::string::npos);  // a's lowest budget 0.1
  EXPECT_NE(html.find("no SLO"), std::string::npos);  // c
}

TEST(ServiceHealth, ServicePageShowsTheErrorBudgetTableOrItsError) {
  Json service = ParseJson(R"({"name": "pay", "owner": "team", "gates": []})", "t").value();
  Json slo = ParseJson(R"({"slos": [{"slo": "availability", "objective": 99.9, "period": "30d",
    "error_budget": {"consumed": 0.25, "remaining": 0.75},
    "burn_rates": [{"window": "1h", "burn_rate": 2}, {"window": "6h", "burn_rate": null}]}]})", "t").value();
  std::string html = portal::ServicePage(service, Json::object(), Json{{"gate_runs", Json::array()}}, "me", slo);
  EXPECT_NE(html.find("id=\"slo-budget\""), std::string::npos);
  EXPECT_NE(html.find(">availability</th>"), std::string::npos);
  EXPECT_NE(html.find("1h: 2"), std::string::npos);
  std::string bad = portal::ServicePage(service, Json::object(), Json{{"gate_runs", Json::array()}}, "me",
                                        Json{{"error", "samples.csv:3: bad number"}});
  EXPECT_NE(bad.find("samples.csv:3: bad number"), std::string::npos);
  EXPECT_EQ(bad.find("slo-budget"), std::string::npos);
  std::string none = portal::ServicePage(service, Json::object(), Json{{"gate_runs", Json::array()}}, "me");
  EXPECT_EQ(none.find("Error budget"), std::string::npos);  // no SLO spec: no section
}

TEST(ServiceHealth, FreezeFollowsTheErrorBudgetGateAndFailsClosed) {
  testfx::TempDir dir;
  WriteSlo(dir, "spent", 900, 1000);   // 10% errors against a 0.1% budget: exhausted
  WriteSlo(dir, "healthy", 1000, 1000);  // no errors
  auto load = [&](const std::string& gates) {
    auto c = gate::LoadConfig(dir.Write("tollgate.yaml", "version: 1\nservice: s\ngates:\n" + gates));
    EXPECT_TRUE(c.has_value()) << c.error().message();
    return *c;
  };
  EXPECT_TRUE(FreezeJson(load("  sast: { import: x.sarif, fail_on: high, bypass: none }\n")).is_null());
  Json spent = FreezeJson(load("  budget: { slo: spent.yaml, fail_on: exhausted, bypass: [sre] }\n"));
  EXPECT_EQ(spent["frozen"], true) << spent;
  EXPECT_EQ(spent["gates"][0]["gate"], "budget");
  EXPECT_FALSE(spent["gates"][0]["reason"].get<std::string>().empty());
  Json healthy = FreezeJson(load("  budget: { slo: healthy.yaml, fail_on: exhausted, bypass: none }\n"));
  EXPECT_EQ(healthy["frozen"], false) << healthy;
  // Unreadable SLO data freezes (fail closed) and says why.
  Json missing = FreezeJson(load("  budget: { slo: missing.yaml, bypass: none }\n"));
  EXPECT_EQ(missing["frozen"], true) << missing;
  EXPECT_NE(missing["gates"][0]["reason"].get<std::string>().find("could not be checked"), std::string::npos) << missing;
}

}  // namespace
}  // namespace tollgate::server
