// tollgate kpi report|roi (src/kpi): the KPI table on a small hand-built
// ledger, ROI arithmetic, bad inputs and an unverifiable ledger.
//
// The ledger (service api, env prod; the window is 2026-11-01 to 2026-11-08,
// exactly one week):
//   deploys (all success):
//     d1 2026-11-02T10:00Z, change c1 at 08:00   lead time 2 h
//     d2 2026-11-03T10:00Z, change c2 at 09:30   lead time 0.5 h
//     d3 2026-11-04T10:00Z, change c3 at 06:00   lead time 4 h
//   incident i1 caused by d3: opened 2026-11-04T11:00Z, resolved 11:12Z (0.2 h)
//   => 3 deploys/week; lead time median of {0.5, 2, 4} = 2 h; change failure
//      rate 1/3 (d3 caused an incident); time to restore 0.2 h.
//   Targets are the seed maturity model's Platform stage (docs/dora.md):
//   >= 35/week (not met), <= 1 h (not met), <= 0.25 h (met), <= 0.02 (not met).
//
//   gate decisions, gate sast of api:
//     g1 2026-10-30T12:00Z blocked [f1 f2]           (before the window)
//     g2 2026-11-02T12:00Z blocked [f2 f3]           f1 fixed: 72 h
//     g3 2026-11-03T00:00Z pass    []                f2 fixed: 84 h, f3: 12 h
//     g4 2026-11-05T00:00Z blocked [f4], f5 waived
//     g5 2026-11-05T06:00Z blocked [f4 f6] of 3      (truncated: fixes nothing)
//     g6 2026-11-09T00:00Z pass    []                (after the window)
//   => resolved in the window {12, 72, 84} h: median 72, p90 (type 7:
//      72 + 0.8 x (84 - 72)) 81.6, under 24 h 1/3; f4 and f6 still open at
//      the window's end (fixed only by g6): 2. Median 72 > 24: not met.
//   Gate runs in the window g2..g5: 4, passed 1 (g3): 0.25; waived 1.
#include "kpi/kpi.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "delivery/record.h"
#include "ledger/ledger.h"
#include "support/cli_harness.h"

namespace tollgate::kpi {
namespace {

Json Decision(const std::string& time, const std::string& decision, std::vector<std::string> blocking,
              std::size_t count, Json waivers = Json::object()) {
  Json p{{"gate", "sast"},      {"service", "api"}, {"commit", "c" + time.substr(8, 2)}, {"source", "import: sast.sarif"},
         {"decision", decision}, {"bypass", Json::array({"security"})}, {"blocking", blocking},
         {"blocking_count", count}};
  if (!waivers.empty()) p["waivers"] = waivers;
  return Json{{"type", "gate.decision"}, {"time", time}, {"payload", p}};
}

void BuildLedger(const std::string& path) {
  FixedClock clock(*ParseRfc3339("2026-11-10T00:00:00Z"));
  auto l = ledger::Ledger::Open(path, ledger::OpenMode::kCreate, clock);
  ASSERT_TRUE(l) << l.error().message();
  auto key = SignerKey::Generate("kpi-test");
  ASSERT_TRUE(key) << key.error().message();
  const TimePoint now = clock.Now();
  std::vector<delivery::Event> events;
  auto deploy = [&](const char* id, const char* time, const char* change) {
    delivery::DeployInput in;
    in.service = "api";
    in.env = "prod";
    in.commit = std::string("c") + id;
    in.time = time;
    in.id = id;
    in.changes = {change};
    auto e = delivery::MakeDeploy(in, now);
    ASSERT_TRUE(e) << e.error().message();
    events.push_back(std::move(*e));
  };
  deploy("d1", "2026-11-02T10:00:00Z", "aaaa111@2026-11-02T08:00:00Z");
  deploy("d2", "2026-11-03T10:00:00Z", "aaaa222@2026-11-03T09:30:00Z");
  deploy("d3", "2026-11-04T10:00:00Z", "aaaa333@2026-11-04T06:00:00Z");
  auto open = delivery::MakeIncident(true, "api", "i1", "d3", "2026-11-04T11:00:00Z", now);
  ASSERT_TRUE(open) << open.error().message();
  events.push_back(std::move(*open));
  auto resolve = delivery::MakeIncident(false, "api", "i1", "", "2026-11-04T11:12:00Z", now);
  ASSERT_TRUE(resolve) << resolve.error().message();
  events.push_back(std::move(*resolve));
  std::vector<std::string> wheres(events.size(), "test");
  auto rec = delivery::RecordEvents(**l, std::move(events), wheres, {}, &*key, now);
  ASSERT_TRUE(rec) << rec.error().message();

  Json accepted{{"accepted", Json::array({Json{{"waiver_seq", 1}, {"finding", "f5"}, {"approver", "sec"}}})}};
  std::vector<Json> gates{Decision("2026-10-30T12:00:00Z", "blocked", {"f1", "f2"}, 2),
                          Decision("2026-11-02T12:00:00Z", "blocked", {"f2", "f3"}, 2),
                          Decision("2026-11-03T00:00:00Z", "pass", {}, 0),
                          Decision("2026-11-05T00:00:00Z", "blocked", {"f4"}, 1, accepted),
                          Decision("2026-11-05T06:00:00Z", "blocked", {"f4", "f6"}, 3),
                          Decision("2026-11-09T00:00:00Z", "pass", {}, 0)};
  auto r = (*l)->Append(std::move(gates), &*key);
  ASSERT_TRUE(r) << r.error().message();
}

KpiOptions Window(const char* from, const char* to) {
  KpiOptions o;
  o.dora.from = *delivery::ParseTime(from);
  o.dora.to = *delivery::ParseTime(to);
  return o;
}

const Kpi& Find(const KpiReport& r, const std::string& id) {
  for (const auto& k : r.kpis)
    if (k.id == id) return k;
  ADD_FAILURE() << "no KPI " << id;
  static const Kpi none;
  return none;
}

class KpiLedger : public testing::CliHarness {
 protected:
  void SetUp() override {
    CliHarness::SetUp();
    BuildLedger(ledger_);
  }
  Result<KpiReport> Compute(const KpiOptions& o) {
    FixedClock clock(*ParseRfc3339("2026-11-10T00:00:00Z"));
    auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kExisting, clock);
    if (!l) return Fail(l.error());
    return ComputeKpis(**l, o);
  }
};

TEST_F(KpiLedger, DoraFiguresAreTheDeliveryLibrarysAndMatchTheHandComputation) {
  auto r = Compute(Window("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z"));
  ASSERT_TRUE(r) << r.error().message();
  const Kpi& freq = Find(*r, "deployment_frequency");
  ASSERT_TRUE(freq.value);
  EXPECT_DOUBLE_EQ(*freq.value, 3.0);
  EXPECT_EQ(freq.standing, Standing::kNotMet);
  EXPECT_NE(freq.target.find(">= 35"), std::string::npos) << freq.target;
  const Kpi& lead = Find(*r, "lead_time");
  ASSERT_TRUE(lead.value);
  EXPECT_DOUBLE_EQ(*lead.value, 2.0);
  EXPECT_EQ(lead.standing, Standing::kNotMet);
  const Kpi& mttr = Find(*r, "time_to_restore");
  ASSERT_TRUE(mttr.value);
  EXPECT_NEAR(*mttr.value, 0.2, 1e-9);
  EXPECT_EQ(mttr.standing, Standing::kMet);  // 0.2 <= 0.25
  const Kpi& cfr = Find(*r, "change_failure_rate");
  ASSERT_TRUE(cfr.value);
  EXPECT_NEAR(*cfr.value, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(cfr.standing, Standing::kNotMet);

  // The same ledger through the delivery library directly: the KPI table
  // shows its figures, not figures of its own.
  FixedClock clock(*ParseRfc3339("2026-11-10T00:00:00Z"));
  auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kExisting, clock);
  ASSERT_TRUE(l);
  delivery::EventLog log(delivery::EventLog::Mode::kReport);
  ASSERT_TRUE(delivery::LoadEvents(**l, log));
  auto dora = delivery::ComputeDora(log, Window("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z").dora,
                                    *delivery::BuiltinLevels());
  ASSERT_TRUE(dora);
  EXPECT_EQ(dora->all.overall.deployments, 3u);
  EXPECT_DOUBLE_EQ(*freq.value, dora->all.overall.deploys_per_week);
  EXPECT_DOUBLE_EQ(*lead.value, *dora->all.overall.lead_time_median);
  EXPECT_DOUBLE_EQ(*mttr.value, *dora->all.overall.time_to_restore_median);
  EXPECT_DOUBLE_EQ(*cfr.value, *dora->all.overall.change_failure_rate);
}

TEST_F(KpiLedger, SecurityResolutionFromFindingLifecyclesOpenAndResolved) {
  auto r = Compute(Window("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->security.resolved, 3u);
  EXPECT_EQ(r->security.open, 2u);  // f4, f6
  ASSERT_TRUE(r->security.median_hours);
  EXPECT_DOUBLE_EQ(*r->security.median_hours, 72.0);
  EXPECT_NEAR(*r->security.p90_hours, 81.6, 1e-9);
  EXPECT_NEAR(*r->security.share_under_24h, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(Find(*r, "security_resolution_median").standing, Standing::kNotMet);
  EXPECT_DOUBLE_EQ(*Find(*r, "security_open").value, 2.0);
  const Kpi& pass = Find(*r, "gate_pass_rate");
  ASSERT_TRUE(pass.value);
  EXPECT_DOUBLE_EQ(*pass.value, 0.25);
  EXPECT_DOUBLE_EQ(*Find(*r, "waivers_used").value, 1.0);
  // What the ledger cannot support is said so, never given a value.
  for (const char* id : {"platform_adoption", "self_service_success", "time_to_environment", "platform_reliability"}) {
    EXPECT_EQ(Find(*r, id).standing, Standing::kNotMeasured) << id;
    EXPECT_FALSE(Find(*r, id).value) << id;
    EXPECT_FALSE(Find(*r, id).basis.empty()) << id;
  }

  // A later window: g6 fixes f4 and f6 (first seen 11-05T00:00 and 06:00,
  // fixed 11-09T00:00: 96 h and 90 h; median 93).
  auto later = Compute(Window("2026-11-08T00:00:00Z", "2026-11-10T00:00:00Z"));
  ASSERT_TRUE(later) << later.error().message();
  EXPECT_EQ(later->security.resolved, 2u);
  EXPECT_EQ(later->security.open, 0u);
  EXPECT_DOUBLE_EQ(*later->security.median_hours, 93.0);
}

// Baseline 2026-11-08 to 11-15 against the window 11-01 to 11-08:
//   security median: baseline 93 h (f4 96, f6 90), now 72 h; lower is better:
//     improvement 93 / 72;
//   gate pass rate: baseline 1 of 1 (g6) = 1.0, now 0.25; higher is better:
//     improvement 0.25 / 1 = 0.25 (worse);
//   deployment frequency: no deploy in the baseline: no data, no factor.
TEST_F(KpiLedger, BaselinePeriodGivesImprovementFactors) {
  KpiOptions o = Window("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z");
  o.baseline_from = *delivery::ParseTime("2026-11-08T00:00:00Z");
  o.baseline_to = *delivery::ParseTime("2026-11-15T00:00:00Z");
  auto r = Compute(o);
  ASSERT_TRUE(r) << r.error().message();
  const Kpi& sec = Find(*r, "security_resolution_median");
  ASSERT_TRUE(sec.baseline && sec.improvement);
  EXPECT_DOUBLE_EQ(*sec.baseline, 93.0);
  EXPECT_NEAR(*sec.improvement, 93.0 / 72.0, 1e-12);
  const Kpi& pass = Find(*r, "gate_pass_rate");
  ASSERT_TRUE(pass.improvement);
  EXPECT_DOUBLE_EQ(*pass.baseline, 1.0);
  EXPECT_DOUBLE_EQ(*pass.improvement, 0.25);
  const Kpi& freq = Find(*r, "deployment_frequency");
  EXPECT_FALSE(freq.baseline);
  EXPECT_FALSE(freq.improvement);
  EXPECT_FALSE(Find(*r, "waivers_used").improvement);  // neither direction is better

  auto cli = Tg("kpi report --from 2026-11-01 --to 2026-11-08 --baseline-from 2026-11-08");
  EXPECT_EQ(cli.code, 2) << cli.err;
  cli = Tg("kpi report --from 2026-11-01 --to 2026-11-08 --baseline-from 2026-11-08 --baseline-to 2026-11-15");
  ASSERT_EQ(cli.code, 0) << cli.err;
  EXPECT_NE(cli.out.find("baseline 93.00 hours, improvement 1.29x"), std::string::npos) << cli.out;
}

TEST_F(KpiLedger, AnEmptyPeriodIsNoDataNeverMet) {
  auto r = Compute(Window("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"));
  ASSERT_TRUE(r) << r.error().message();
  for (const auto& k : r->kpis) {
    EXPECT_NE(k.standing, Standing::kMet) << k.id;
    EXPECT_NE(k.standing, Standing::kNotMet) << k.id;
  }
  for (const char* id : {"deployment_frequency", "lead_time", "time_to_restore", "change_failure_rate",
                         "security_resolution_median", "security_resolution_p90", "security_resolved_under_24h",
                         "gate_pass_rate", "waivers_used"}) {
    EXPECT_EQ(Find(*r, id).standing, Standing::kNoData) << id;
    EXPECT_FALSE(Find(*r, id).value) << id;
  }
  const std::string text = KpiToText(*r);
  EXPECT_EQ(text.find("[met]"), std::string::npos) << text;
}

TEST_F(KpiLedger, RoiArithmeticByHand) {
  auto r = Compute(Window("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z"));
  ASSERT_TRUE(r) << r.error().message();
  auto in = ParseRoiInputs(
      "currency: EUR\nengineer_hourly_cost: 100\nminutes_saved_per_deploy: 30\nincident_cost_per_hour: 1000\n"
      "baseline_mttr_hours: 4.2\ncompliance_hours_saved_per_year: 50\ninfrastructure_savings_per_year: 10000\n"
      "platform_annual_cost: 20000\n",
      "roi.yaml");
  ASSERT_TRUE(in) << in.error().message();
  RoiReport roi = ComputeRoi(*r, *in);
  std::map<std::string, double> v;
  for (const auto& l : roi.lines) {
    ASSERT_TRUE(l.value) << l.id;
    v[l.id] = *l.value;
  }
  // A 7-day window: x 365/7 a year.
  // deploys:    3 x 365/7 x 30/60 h x 100        = 54750/7
  // incidents:  1 x 365/7 x (4.2 - 0.2) h x 1000 = 1460000/7
  // compliance: 50 h x 100                       = 5000
  // infra:      10000
  const double savings = 54750.0 / 7 + 1460000.0 / 7 + 5000 + 10000;
  EXPECT_NEAR(v["deploy_time_savings"], 54750.0 / 7, 1e-6);
  EXPECT_NEAR(v["incident_savings"], 1460000.0 / 7, 1e-6);
  EXPECT_DOUBLE_EQ(v["compliance_savings"], 5000);
  EXPECT_DOUBLE_EQ(v["infrastructure_savings"], 10000);
  EXPECT_DOUBLE_EQ(v["annual_cost"], 20000);
  EXPECT_NEAR(v["annual_savings"], savings, 1e-6);
  EXPECT_NEAR(v["net_benefit"], savings - 20000, 1e-6);
  EXPECT_NEAR(v["roi"], (savings - 20000) / 20000, 1e-9);
  EXPECT_NEAR(v["payback_months"], 20000 / (savings / 12), 1e-9);
  // Every formula and assumption is in both outputs.
  const std::string text = RoiToText(roi);
  EXPECT_NE(text.find("baseline_mttr_hours = 4.2"), std::string::npos) << text;
  EXPECT_NE(text.find("annual cost / (annual savings / 12)"), std::string::npos) << text;
  const Json j = RoiToJson(roi);
  EXPECT_EQ(j["currency"], "EUR");
  EXPECT_EQ(j["assumptions"]["platform_annual_cost"], 20000.0);
  EXPECT_EQ(j["lines"][0]["inputs"]["deploys in window (ledger)"], 3.0);
  EXPECT_FALSE(j["lines"][1]["formula"].get<std::string>().empty());
}

TEST_F(KpiLedger, RoiWithoutAResolvedIncidentLeavesThatLineOut) {
  auto r = Compute(Window("2026-11-01T00:00:00Z", "2026-11-04T00:00:00Z"));  // before i1
  ASSERT_TRUE(r) << r.error().message();
  auto in = ParseRoiInputs(
      "engineer_hourly_cost: 100\nminutes_saved_per_deploy: 30\nincident_cost_per_hour: 1000\n"
      "baseline_mttr_hours: 4\ncompliance_hours_saved_per_year: 0\ninfrastructure_savings_per_year: 0\n"
      "platform_annual_cost: 1000\n",
      "roi.yaml");
  ASSERT_TRUE(in) << in.error().message();
  RoiReport roi = ComputeRoi(*r, *in);
  ASSERT_EQ(roi.lines[1].id, "incident_savings");
  EXPECT_FALSE(roi.lines[1].value);
  EXPECT_NE(roi.lines[1].note.find("not counted"), std::string::npos);
  // 2 deploys in 3 days: 2 x 365/3 x 0.5 x 100 = 36500/3, all of the savings.
  EXPECT_NEAR(*roi.lines[5].value, 36500.0 / 3, 1e-6);
}

TEST(KpiRoiInputs, BadFilesAreInputErrorsNamingFileAndLine) {
  const std::string good =
      "engineer_hourly_cost: 100\nminutes_saved_per_deploy: 30\nincident_cost_per_hour: 1000\n"
      "baseline_mttr_hours: 4\ncompliance_hours_saved_per_year: 0\ninfrastructure_savings_per_year: 0\n";
  struct Case {
    std::string text, expect;
  } cases[] = {
      {good + "platform_annual_cost: 1000\nhourly_rate: 5\n", "roi.yaml:8:1: unknown key 'hourly_rate'"},
      {good, "missing 'platform_annual_cost'"},
      {good + "platform_annual_cost: 0\n", "roi.yaml:7:23: 'platform_annual_cost' must be above zero"},
      {good + "platform_annual_cost: '1000'\n", "roi.yaml:7:23: 'platform_annual_cost' must be a number"},
      {"engineer_hourly_cost: -1\n" + good.substr(good.find('\n') + 1) + "platform_annual_cost: 1\n",
       "roi.yaml:1:23: 'engineer_hourly_cost' must be zero or more"},
      {"- a list\n", "roi.yaml:1:1: the ROI inputs must be a mapping"},
      {"", "the ROI inputs file is empty"},
      {good + "platform_annual_cost: [1\n", "roi.yaml:"},
  };
  for (const auto& c : cases) {
    auto in = ParseRoiInputs(c.text, "roi.yaml");
    ASSERT_FALSE(in) << c.text;
    EXPECT_EQ(in.error().exit_code(), ExitCode::kInput) << c.text;
    EXPECT_NE(in.error().message().find(c.expect), std::string::npos) << in.error().message();
  }
}

TEST_F(KpiLedger, AnUnverifiableLedgerFailsClosed) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(ledger_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE entries SET body = replace(body, '\"f3\"', '\"f9\"') WHERE type = 'gate.decision'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto r = Compute(Window("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().exit_code(), ExitCode::kIntegrity);
  auto cli = Tg("kpi report --from 2026-11-01 --to 2026-11-08");
  EXPECT_EQ(cli.code, 3) << cli.out << cli.err;
  EXPECT_TRUE(cli.out.empty()) << cli.out;
  EXPECT_NE(cli.err.find("does not verify"), std::string::npos) << cli.err;
}

TEST_F(KpiLedger, CliReportAndRoiThroughTheBinary) {
  auto r = Tg("kpi report --from 2026-11-01 --to 2026-11-08 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["kpis"][0]["id"], "deployment_frequency");
  EXPECT_EQ(j["kpis"][0]["value"], 3.0);
  EXPECT_EQ(j["kpis"][0]["status"], "not met");
  EXPECT_EQ(j["kpis"][2]["status"], "met");  // MTTR 0.2 h
  EXPECT_EQ(j["security"]["open"], 2);
  EXPECT_EQ(j["dora"]["overall"]["deployments"], 3);

  r = Tg("kpi report --service api --from 2026-11-01 --to 2026-11-08");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("KPIs for api"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Platform adoption: -"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[not measured]"), std::string::npos) << r.out;

  const std::string inputs = std::string(TOLLGATE_SOURCE_DIR) + "/examples/payments-api/roi.yaml";
  r = Tg("kpi roi --inputs '" + inputs + "' --from 2026-11-01 --to 2026-11-08 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  j = Json::parse(r.out);
  EXPECT_EQ(j["lines"].size(), 9u);
  EXPECT_FALSE(j["assumptions"]["file"].get<std::string>().empty());

  Write("bad.yaml", "engineer_hourly_cost: 100\nteam_size: 4\n");
  r = Tg("kpi roi --inputs bad.yaml --from 2026-11-01 --to 2026-11-08");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.yaml:2:1: unknown key 'team_size'"), std::string::npos) << r.err;
  r = Tg("kpi report --window 7d --from 2026-11-01 --to 2026-11-08");
  EXPECT_EQ(r.code, 2);
  r = Tg("kpi report --ledger missing.db");
  EXPECT_NE(r.code, 0);
  for (const char* help : {"kpi report --help", "kpi roi --help"}) {
    r = Tg(help);
    EXPECT_EQ(r.code, 0) << help;
    EXPECT_NE(r.out.find("--ledger"), std::string::npos) << help;
  }
}

}  // namespace
}  // namespace tollgate::kpi
