// DORA metrics over fixed event sets; every expected figure is computed by
// hand in the comments next to it.
#include "delivery/dora.h"

#include <gtest/gtest.h>

#include "support.h"

namespace tollgate::delivery {
namespace {

using testing::AddLines;
using testing::T;

// Two weeks, Monday 2026-01-05 to Monday 2026-01-19 (exclusive).
//
// payments/prod deploys:
//   p0 2025-12-20 10:00 success, changes unknown (its first deploy)   outside the window
//   p1 01-05 12:00 success  c1 01-05 10:00 (2 h), c2 01-04 12:00 (24 h)
//   p2 01-07 09:00 FAILURE  c3 01-07 08:00 (a failed deploy has no lead time)
//   p3 01-08 09:00 success  c3 01-07 08:00 (25 h), c4 01-08 07:00 (2 h)
//   p4 01-14 15:00 success  c5 01-14 14:00 (1 h)
//   p5 01-18 23:00 success  no changes (a redeploy)
// payments/staging: s1 01-06 success, one change of 100 h: another environment.
// auth/prod: a1 01-10 00:00 success, one change 01-09 00:00 (24 h).
// incidents of payments:
//   i1 open 01-08 20:00 (no caused_by; 11 h after p3 -> p3), resolved 22:00 (2 h)
//   i2 open 01-16 10:00 caused_by p4, resolved 10:30 (0.5 h)
//   i3 open 01-18 05:00 (no caused_by; p4 is 86 h earlier: beyond 24 h, nobody), resolved 09:00 (4 h)
//   i4 open 01-19 02:00 caused_by p5 (after the window), resolved 03:00
const char* const kEvents = R"(
{"type":"deploy","id":"p0","service":"payments","env":"prod","commit":"a0","time":"2025-12-20T10:00:00Z"}
{"type":"deploy","id":"p1","service":"payments","env":"prod","commit":"a1","time":"2026-01-05T12:00:00Z","changes":[{"commit":"c1","time":"2026-01-05T10:00:00Z"},{"commit":"c2","time":"2026-01-04T12:00:00Z"}]}
{"type":"deploy","id":"s1","service":"payments","env":"staging","commit":"a1","time":"2026-01-06T12:00:00Z","changes":[{"commit":"c9","time":"2026-01-02T08:00:00Z"}]}
{"type":"deploy","id":"p2","service":"payments","env":"prod","commit":"a2","status":"failure","time":"2026-01-07T09:00:00Z","changes":[{"commit":"c3","time":"2026-01-07T08:00:00Z"}]}
{"type":"deploy","id":"p3","service":"payments","env":"prod","commit":"a3","time":"2026-01-08T09:00:00Z","changes":[{"commit":"c3","time":"2026-01-07T08:00:00Z"},{"commit":"c4","time":"2026-01-08T07:00:00Z"}]}
{"type":"incident","action":"open","id":"i1","service":"payments","time":"2026-01-08T20:00:00Z"}
{"type":"incident","action":"resolve","id":"i1","service":"payments","time":"2026-01-08T22:00:00Z"}
{"type":"deploy","id":"a1","service":"auth","env":"prod","commit":"b1","time":"2026-01-10T00:00:00Z","changes":[{"commit":"e1","time":"2026-01-09T00:00:00Z"}]}
{"type":"deploy","id":"p4","service":"payments","env":"prod","commit":"a4","time":"2026-01-14T15:00:00Z","changes":[{"commit":"c5","time":"2026-01-14T14:00:00Z"}]}
{"type":"incident","action":"open","id":"i2","service":"payments","time":"2026-01-16T10:00:00Z","caused_by":"p4"}
{"type":"incident","action":"resolve","id":"i2","service":"payments","time":"2026-01-16T10:30:00Z"}
{"type":"incident","action":"open","id":"i3","service":"payments","time":"2026-01-18T05:00:00Z"}
{"type":"incident","action":"resolve","id":"i3","service":"payments","time":"2026-01-18T09:00:00Z"}
{"type":"deploy","id":"p5","service":"payments","env":"prod","commit":"a5","time":"2026-01-18T23:00:00Z","changes":[]}
{"type":"incident","action":"open","id":"i4","service":"payments","time":"2026-01-19T02:00:00Z","caused_by":"p5"}
{"type":"incident","action":"resolve","id":"i4","service":"payments","time":"2026-01-19T03:00:00Z"}
)";

class DoraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(AddLines(log_, kEvents)) << "fixture";
    ASSERT_TRUE(log_.Finish());
    auto l = BuiltinLevels();
    ASSERT_TRUE(l) << l.error().message();
    levels_ = *l;
  }
  DoraReport Run(DoraOptions o) {
    auto r = ComputeDora(log_, o, levels_);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r.value_or(DoraReport{});
  }
  DoraOptions Window(const std::string& from, const std::string& to) {
    DoraOptions o;
    o.from = T(from);
    o.to = T(to);
    return o;
  }
  EventLog log_{EventLog::Mode::kReport};
  LevelTable levels_;
};

TEST_F(DoraTest, PaymentsOverTwoWeeks) {
  DoraReport r = Run(Window("2026-01-05", "2026-01-19"));
  const Metrics& m = r.all.services.at("payments");
  EXPECT_EQ(m.deployments, 4u);  // p1 p3 p4 p5 (p2 failed, s1 is staging, p0 before)
  EXPECT_EQ(m.attempts, 5u);     // + p2
  EXPECT_DOUBLE_EQ(m.deploys_per_week, 2.0);  // 4 in 2 weeks
  // Lead times: p1 {2, 24}, p3 {25, 2}, p4 {1}; sorted 1 2 2 24 25.
  EXPECT_EQ(m.changes, 5u);
  EXPECT_DOUBLE_EQ(*m.lead_time_median, 2.0);
  EXPECT_DOUBLE_EQ(*m.lead_time_p90, 24.6);  // h = 4 * 0.9 = 3.6: 24 + 0.6 * (25 - 24)
  // Failed: p2 (status), p3 (i1 within 24 h), p4 (i2 caused_by), p5 (i4
  // caused_by, although i4 opened after the window).
  EXPECT_EQ(m.failed, 4u);
  EXPECT_DOUBLE_EQ(*m.change_failure_rate, 0.8);
  // Restore: i1 2 h, i2 0.5 h, i3 4 h opened in the window; i4 is not.
  EXPECT_EQ(m.incidents, 3u);
  EXPECT_DOUBLE_EQ(*m.time_to_restore_median, 2.0);
  EXPECT_EQ(m.unknown_lead_time, 0u);
  // Stages: 2/week Basic, 2 h Advanced, 80% Below Basic, 2 h Integrated.
  EXPECT_EQ(m.stage.deployment_frequency, "Basic");
  EXPECT_EQ(m.stage.lead_time, "Advanced");
  EXPECT_EQ(m.stage.change_failure_rate, "Below Basic");
  EXPECT_EQ(m.stage.time_to_restore, "Integrated");
  EXPECT_EQ(m.stage.overall, "Below Basic");
  // DORA 2021: 2/week High (>= monthly), 2 h High, 80% Low, 2 h High.
  EXPECT_EQ(m.performance.deployment_frequency, "High");
  EXPECT_EQ(m.performance.lead_time, "High");
  EXPECT_EQ(m.performance.change_failure_rate, "Low");
  EXPECT_EQ(m.performance.time_to_restore, "High");
  EXPECT_EQ(m.performance.overall, "Low");
}

TEST_F(DoraTest, OverallAddsOtherServicesOfTheSameEnvironment) {
  DoraReport r = Run(Window("2026-01-05", "2026-01-19"));
  const Metrics& o = r.all.overall;
  EXPECT_EQ(o.deployments, 5u);  // payments 4 + auth 1
  EXPECT_EQ(o.attempts, 6u);
  EXPECT_DOUBLE_EQ(o.deploys_per_week, 2.5);
  // 1 2 2 24 24 25: median (2 + 24) / 2 = 13; p90 h = 4.5: 24 + 0.5 * 1.
  EXPECT_DOUBLE_EQ(*o.lead_time_median, 13.0);
  EXPECT_DOUBLE_EQ(*o.lead_time_p90, 24.5);
  EXPECT_NEAR(*o.change_failure_rate, 4.0 / 6.0, 1e-12);
  EXPECT_DOUBLE_EQ(*o.time_to_restore_median, 2.0);
  ASSERT_EQ(r.all.services.size(), 2u);
  const Metrics& auth = r.all.services.at("auth");
  EXPECT_EQ(auth.deployments, 1u);
  EXPECT_DOUBLE_EQ(*auth.lead_time_median, 24.0);
  EXPECT_DOUBLE_EQ(*auth.change_failure_rate, 0.0);
  EXPECT_FALSE(auth.time_to_restore_median.has_value());  // no incidents: unknown, not zero
  EXPECT_EQ(auth.stage.time_to_restore, std::nullopt);
}

TEST_F(DoraTest, EnvironmentComesFromTheEvent) {
  DoraOptions o = Window("2026-01-05", "2026-01-19");
  o.env = "staging";
  DoraReport r = Run(o);
  EXPECT_EQ(r.all.overall.deployments, 1u);  // s1 only
  EXPECT_DOUBLE_EQ(*r.all.overall.lead_time_median, 100.0);  // 01-02 08:00 -> 01-06 12:00
  o.env = "production";  // no such environment: nothing is guessed
  EXPECT_EQ(Run(o).all.overall.deployments, 0u);
}

TEST_F(DoraTest, FirstDeployHasUnknownLeadTimeNotAHugeOne) {
  DoraReport r = Run(Window("2025-12-01", "2026-01-01"));
  const Metrics& m = r.all.services.at("payments");
  EXPECT_EQ(m.deployments, 1u);  // p0
  EXPECT_EQ(m.unknown_lead_time, 1u);
  EXPECT_FALSE(m.lead_time_median.has_value());
  EXPECT_EQ(m.stage.lead_time, std::nullopt);
}

TEST_F(DoraTest, PerDeployFiguresDoNotDependOnTheWindow) {
  // p5 alone: failed through i4, which opened after this window too.
  DoraReport last = Run(Window("2026-01-18", "2026-01-19"));
  EXPECT_DOUBLE_EQ(*last.all.services.at("payments").change_failure_rate, 1.0);
  // p3 alone: the same lead times (25, 2) and failure as in the two-week report.
  DoraReport day = Run(Window("2026-01-08", "2026-01-09"));
  const Metrics& m = day.all.services.at("payments");
  EXPECT_EQ(m.changes, 2u);
  EXPECT_DOUBLE_EQ(*m.lead_time_median, 13.5);
  EXPECT_DOUBLE_EQ(*m.change_failure_rate, 1.0);
}

TEST_F(DoraTest, AttributionWindowIsBounded) {
  DoraOptions o = Window("2026-01-05", "2026-01-19");
  o.attribution_window = 10 * kHour;  // i1 opened 11 h after p3: no longer p3's
  DoraReport r = Run(o);
  const Metrics& m = r.all.services.at("payments");
  EXPECT_EQ(m.failed, 3u);  // p2, p4, p5
  EXPECT_DOUBLE_EQ(*m.change_failure_rate, 0.6);
}

TEST_F(DoraTest, WindowEndingAtTheInjectedClock) {
  // "--window 14d" when the clock says 2026-01-19 00:00: the same two weeks.
  FixedClock clock(FromMillis(T("2026-01-19T00:00:00Z")));
  DoraOptions o = WindowEndingNow(clock, 14 * kDay);
  EXPECT_EQ(o.from, T("2026-01-05T00:00:00Z"));
  DoraReport r = Run(o);
  EXPECT_EQ(r.all.services.at("payments").deployments, 4u);
  EXPECT_DOUBLE_EQ(*r.all.overall.lead_time_median, 13.0);
  // A day later the window [01-06, 01-20) has moved past p1 (01-05 12:00):
  // p3 p4 p5 succeeded, and all four attempts (with p2) failed.
  clock.Set(FromMillis(T("2026-01-20T00:00:00Z")));
  DoraReport later = Run(WindowEndingNow(clock, 14 * kDay));
  EXPECT_EQ(later.all.services.at("payments").deployments, 3u);
  EXPECT_DOUBLE_EQ(*later.all.services.at("payments").change_failure_rate, 1.0);
  // Lead times: p3 {25, 2}, p4 {1}: median 2.
  EXPECT_DOUBLE_EQ(*later.all.services.at("payments").lead_time_median, 2.0);
  // i4 (01-19 02:00, 1 h) now opens inside the window: restore 0.5 1 2 4 -> 1.5.
  EXPECT_DOUBLE_EQ(*later.all.services.at("payments").time_to_restore_median, 1.5);
}

TEST_F(DoraTest, ByWeek) {
  DoraOptions o = Window("2026-01-05", "2026-01-19");
  o.by = Period::kWeek;
  DoraReport r = Run(o);
  ASSERT_EQ(r.periods.size(), 2u);
  EXPECT_EQ(r.periods[0].from, T("2026-01-05T00:00:00Z"));
  EXPECT_EQ(r.periods[1].from, T("2026-01-12T00:00:00Z"));
  const Metrics& w1 = r.periods[0].scope.services.at("payments");
  EXPECT_EQ(w1.deployments, 2u);  // p1 p3
  EXPECT_EQ(w1.attempts, 3u);
  EXPECT_NEAR(*w1.change_failure_rate, 2.0 / 3.0, 1e-12);  // p2, p3
  EXPECT_DOUBLE_EQ(*w1.lead_time_median, 13.0);           // 2 2 24 25
  EXPECT_DOUBLE_EQ(*w1.time_to_restore_median, 2.0);      // i1
  EXPECT_DOUBLE_EQ(w1.deploys_per_week, 2.0);
  const Metrics& w2 = r.periods[1].scope.services.at("payments");
  EXPECT_EQ(w2.deployments, 2u);  // p4 p5
  EXPECT_DOUBLE_EQ(*w2.change_failure_rate, 1.0);
  EXPECT_DOUBLE_EQ(*w2.lead_time_median, 1.0);
  EXPECT_DOUBLE_EQ(*w2.time_to_restore_median, 2.25);  // 0.5 and 4
}

TEST_F(DoraTest, ByMonthClipsToTheWindow) {
  DoraOptions o = Window("2025-12-15", "2026-01-19");
  o.by = Period::kMonth;
  DoraReport r = Run(o);
  ASSERT_EQ(r.periods.size(), 2u);
  EXPECT_EQ(r.periods[0].from, T("2025-12-15T00:00:00Z"));
  EXPECT_EQ(r.periods[0].to, T("2026-01-01T00:00:00Z"));
  EXPECT_EQ(r.periods[1].to, T("2026-01-19T00:00:00Z"));
  const Metrics& dec = r.periods[0].scope.services.at("payments");
  EXPECT_EQ(dec.deployments, 1u);
  EXPECT_DOUBLE_EQ(dec.deploys_per_week, 7.0 / 17.0);  // one deploy in 17 days
}

TEST_F(DoraTest, ServiceFilter) {
  DoraOptions o = Window("2026-01-05", "2026-01-19");
  o.service = "auth";
  DoraReport r = Run(o);
  EXPECT_EQ(r.all.overall.deployments, 1u);
  EXPECT_EQ(r.all.services.size(), 1u);
  o.service = "nope";
  auto bad = ComputeDora(log_, o, levels_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().exit_code(), ExitCode::kInput);
  EXPECT_NE(bad.error().message().find("nope"), std::string::npos);
}

TEST_F(DoraTest, JsonShape) {
  Json j = DoraToJson(Run(Window("2026-01-05", "2026-01-19")));
  for (const Json* m : {&j["overall"], &j["services"]["payments"], &j["services"]["auth"]}) {
    EXPECT_TRUE((*m)["deployments"].is_number_unsigned());
    EXPECT_TRUE((*m)["deploys_per_week"].is_number());
    EXPECT_TRUE((*m)["lead_time_hours"].contains("median"));
    EXPECT_TRUE((*m)["lead_time_hours"].contains("p90"));
    EXPECT_TRUE((*m)["change_failure_rate"].is_number());
    EXPECT_TRUE((*m)["time_to_restore_hours"].contains("median"));
    EXPECT_TRUE((*m)["stage"].is_string());
  }
  EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 13.0);
  EXPECT_EQ(j["services"]["payments"]["change_failure_rate"], 0.8);
  EXPECT_TRUE(j["services"]["auth"]["time_to_restore_hours"]["median"].is_null());
  EXPECT_EQ(j["window"]["days"], 14.0);
}

TEST_F(DoraTest, CsvHasOneRowPerScope) {
  DoraOptions o = Window("2026-01-05", "2026-01-19");
  o.by = Period::kWeek;
  std::string csv = DoraToCsv(Run(o));
  std::size_t rows = 0;
  for (char c : csv) rows += c == '\n';
  EXPECT_EQ(rows, 1u + 3u * 3u);  // header; (overall, auth, payments) x (window, week 1, week 2)
  EXPECT_NE(csv.find("2026-01-05T00:00:00Z,2026-01-19T00:00:00Z,payments,4,5,4,2,2,24.6,0.8,2,3,Below Basic,Low"),
            std::string::npos)
      << csv;
}

TEST(Percentile, LinearInterpolation) {
  std::vector<double> v{4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(Percentile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Percentile(v, 0.9), 3.7);  // h = 2.7: 3 + 0.7
  std::vector<double> one{5};
  EXPECT_DOUBLE_EQ(Percentile(one, 0.9), 5.0);
  std::vector<double> odd{10, 30, 20};
  EXPECT_DOUBLE_EQ(Percentile(odd, 0.5), 20.0);
}

TEST(Levels, BuiltinTableIsVersionedAndComplete) {
  auto l = BuiltinLevels();
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->version, "tollgate-dora-levels/1");
  EXPECT_EQ(l->maturity.order, (std::vector<std::string>{"Platform", "Advanced", "Integrated", "Basic", "Below Basic"}));
  EXPECT_EQ(l->performance.order, (std::vector<std::string>{"Elite", "High", "Medium", "Low"}));
}

TEST(Levels, BoundsAreInclusive) {
  EventLog log(EventLog::Mode::kReport);
  // Lead time exactly 24 h: Advanced (< 1 day taken as <= 24 h); one deploy a week: Basic.
  ASSERT_TRUE(AddLines(log, R"({"type":"deploy","id":"x","service":"s","env":"prod","commit":"a","time":"2026-01-06T00:00:00Z","changes":[{"commit":"c","time":"2026-01-05T00:00:00Z"}]})"));
  ASSERT_TRUE(log.Finish());
  DoraOptions o;
  o.from = T("2026-01-05");
  o.to = T("2026-01-12");
  auto r = ComputeDora(log, o, *BuiltinLevels());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->all.overall.stage.lead_time, "Advanced");
  EXPECT_EQ(r->all.overall.stage.deployment_frequency, "Basic");
  EXPECT_EQ(r->all.overall.stage.change_failure_rate, "Platform");  // 0 failures
  EXPECT_EQ(r->all.overall.stage.overall, "Basic");
}

TEST(Levels, UserTableOverridesTheBuiltIn) {
  auto j = ParseJson(BuiltinLevelsJson(), "x");
  ASSERT_TRUE(j);
  (*j)["version"] = "acme-2026";
  (*j)["maturity"]["metrics"]["lead_time"]["bands"][1]["max"] = 1.5;  // Advanced only up to 1.5 h
  auto t = ParseLevels(*j, "acme.json");
  ASSERT_TRUE(t) << t.error().message();
  EventLog log(EventLog::Mode::kReport);
  ASSERT_TRUE(AddLines(log, R"({"type":"deploy","id":"x","service":"s","env":"prod","commit":"a","time":"2026-01-06T02:00:00Z","changes":[{"commit":"c","time":"2026-01-06T00:00:00Z"}]})"));
  ASSERT_TRUE(log.Finish());
  DoraOptions o;
  o.from = T("2026-01-05");
  o.to = T("2026-01-12");
  auto r = ComputeDora(log, o, *t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->levels_version, "acme-2026");
  EXPECT_EQ(r->all.overall.stage.lead_time, "Integrated");  // 2 h > 1.5 h
  auto builtin = ComputeDora(log, o, *BuiltinLevels());
  EXPECT_EQ(builtin->all.overall.stage.lead_time, "Advanced");
}

TEST(Levels, BadTablesNameTheProblem) {
  auto j = ParseJson(BuiltinLevelsJson(), "x");
  Json unordered = *j;
  unordered["maturity"]["metrics"]["lead_time"]["bands"][0]["max"] = 500;
  auto t = ParseLevels(unordered, "t.json");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message().find("t.json: /maturity/metrics/lead_time/bands/1"), std::string::npos) << t.error().message();
  Json missing = *j;
  missing["performance"]["metrics"].erase("time_to_restore");
  t = ParseLevels(missing, "t.json");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message().find("time_to_restore"), std::string::npos);
  Json wrong_key = *j;
  wrong_key["maturity"]["metrics"]["deployment_frequency"]["bands"][0] = Json{{"level", "Platform"}, {"max", 3}};
  EXPECT_FALSE(ParseLevels(wrong_key, "t.json"));
}

TEST(Dora, EmptyWindowIsAnError) {
  EventLog log(EventLog::Mode::kReport);
  ASSERT_TRUE(log.Finish());
  DoraOptions o;
  o.from = o.to = T("2026-01-05");
  auto r = ComputeDora(log, o, *BuiltinLevels());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().exit_code(), ExitCode::kInput);
}

}  // namespace
}  // namespace tollgate::delivery
