// Prometheus' own tools on our rules: `promtool check rules` on every
// template and every Sloth corpus spec we accept, and `promtool test rules`
// unit tests: the page alert fires at a 2% error ratio and nothing fires at
// 0.05% on a 99.9% objective; a low-traffic SLO does not page on one error.
// Skips with a message when promtool (Debian package `prometheus`) is absent.
#include <gtest/gtest.h>

#include "support/corpus.h"

#include "slo/slo.h"
#include "test_util.h"

namespace {

using namespace tollgate;
namespace fs = std::filesystem;

class PromtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!slotest::HaveProgram("promtool"))
      GTEST_SKIP() << "promtool not found: install the Debian package 'prometheus' (make deps) to run the rule checks";
  }
  slotest::TempDir dir_;
};

const char* kSpec = R"(version: "prometheus/v1"
service: "api"
slos:
  - name: "availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: ApiErrors
      page_alert:
        labels:
          severity: critical
      ticket_alert:
        labels:
          severity: warning
)";

std::string Rules(const std::string& spec_text, slo::RulesOptions o = {}) {
  auto spec = slo::ParseSpec(spec_text, "spec.yaml");
  EXPECT_TRUE(spec) << spec.error().message();
  auto rules = slo::GenerateRules(spec->slos, o);
  EXPECT_TRUE(rules) << rules.error().message();
  return *rules;
}

TEST_F(PromtoolTest, CheckRulesAcceptsEveryTemplate) {
  for (const auto& t : slo::Templates()) {
    const fs::path f = dir_ / (t.name + ".rules.yaml");
    slotest::WriteFile(f, Rules(*slo::TemplateSpec(t.name, "svc")));
    auto r = slotest::Run(dir_.path(), "promtool check rules '" + f.string() + "'");
    EXPECT_EQ(r.code, 0) << t.name << ":\n" << r.out << r.err;
    EXPECT_NE(r.out.find("SUCCESS"), std::string::npos) << r.out;
  }
  for (const char* p : {"month", "quarter", "28d", "7d"}) {
    slo::RulesOptions o;
    o.default_period = *slo::ParsePeriod(p);
    const fs::path f = dir_ / (std::string(p) + ".rules.yaml");
    slotest::WriteFile(f, Rules(kSpec, o));
    auto r = slotest::Run(dir_.path(), "promtool check rules '" + f.string() + "'");
    EXPECT_EQ(r.code, 0) << p << ":\n" << r.out << r.err;
  }
}

TEST_F(PromtoolTest, CheckRulesAcceptsOurRulesForTheSlothCorpus) {
  const fs::path ex = fs::path(TOLLGATE_SHARED_DIR) / "corpora" / "sloth" / "examples";
  TG_REQUIRE_CORPUS(ex, "the Sloth examples");
  int checked = 0;
  for (const auto& e : fs::directory_iterator(ex)) {
    if (!e.is_regular_file()) continue;
    auto spec = slo::LoadSpec(e.path().string());
    if (!spec) continue;  // Sloth plugins (sloth_equivalence_test checks why)
    auto rules = slo::GenerateRules(spec->slos, slo::RulesOptions{});
    ASSERT_TRUE(rules);
    const fs::path f = dir_ / (e.path().stem().string() + ".rules.yaml");
    slotest::WriteFile(f, *rules);
    auto r = slotest::Run(dir_.path(), "promtool check rules '" + f.string() + "'");
    EXPECT_EQ(r.code, 0) << e.path() << ":\n" << r.out << r.err;
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST_F(PromtoolTest, CheckRulesAcceptsTheExampleSpecs) {
  const fs::path ex = fs::path(TOLLGATE_SOURCE_DIR) / "examples" / "payments-api" / "slo";
  for (const char* name : {"payments.yaml", "openslo-refunds.yaml"}) {
    auto spec = slo::LoadSpec((ex / name).string());
    ASSERT_TRUE(spec) << spec.error().message();
    auto rules = slo::GenerateRules(spec->slos, slo::RulesOptions{});
    ASSERT_TRUE(rules) << rules.error().message();
    const fs::path f = dir_ / (std::string(name) + ".rules");
    slotest::WriteFile(f, *rules);
    auto r = slotest::Run(dir_.path(), "promtool check rules '" + f.string() + "'");
    EXPECT_EQ(r.code, 0) << name << ":\n" << r.out << r.err;
  }
}

// A promtool unit test: 3 hours of traffic at a given error share, evaluated at 2h.
std::string UnitTest(int errors_per_min, int ok_per_min, const std::string& alerts) {
  return "rule_files: [rules.yaml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
         "      - series: 'http_requests_total{code=\"500\"}'\n        values: '0+" +
         std::to_string(errors_per_min) + "x180'\n      - series: 'http_requests_total{code=\"200\"}'\n        values: '0+" +
         std::to_string(ok_per_min) + "x180'\n    alert_rule_test:\n      - eval_time: 2h\n        alertname: ApiErrors\n" +
         alerts;
}

std::string Firing(const std::string& severity, const std::string& label) {
  return "          - exp_labels: {tollgate_id: api-availability, tollgate_service: api, tollgate_slo: availability, "
         "tollgate_severity: " + severity + ", severity: " + label + "}\n"
         "            exp_annotations:\n"
         "              title: '(" + severity + ") api availability SLO error budget burn rate is too fast.'\n"
         "              summary: 'api availability SLO error budget burn rate is over the " + severity + " threshold.'\n";
}

TEST_F(PromtoolTest, PageFiresAtTwoPercentAndNothingAtFiveHundredthsOfAPercent) {
  slotest::WriteFile(dir_ / "rules.yaml", Rules(kSpec));
  // 2% errors: 20x the budget: page (14.4x over 1h and 5m) and ticket (3x over 1d and 2h) fire.
  slotest::WriteFile(dir_ / "fire.yaml",
                     UnitTest(2, 98, "        exp_alerts:\n" + Firing("page", "critical") + Firing("ticket", "warning")));
  auto r = slotest::Run(dir_.path(), "promtool test rules fire.yaml");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SUCCESS"), std::string::npos) << r.out;
  // 0.05% errors: half the budget rate: nothing fires.
  slotest::WriteFile(dir_ / "quiet.yaml", UnitTest(1, 1999, "        exp_alerts: []\n"));
  r = slotest::Run(dir_.path(), "promtool test rules quiet.yaml");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // The test itself can fail: expecting silence at 2% must be reported.
  slotest::WriteFile(dir_ / "wrong.yaml", UnitTest(2, 98, "        exp_alerts: []\n"));
  r = slotest::Run(dir_.path(), "promtool test rules wrong.yaml");
  EXPECT_NE(r.code, 0) << r.out;
}

TEST_F(PromtoolTest, LowTrafficDoesNotPageOnOneError) {
  // One request a minute and a single error three minutes before the evaluation.
  auto low = [](const std::string& alerts) {
    return "rule_files: [rules.yaml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
           "      - series: 'http_requests_total{code=\"500\"}'\n        values: '0+0x116 1+0x63'\n"
           "      - series: 'http_requests_total{code=\"200\"}'\n        values: '0+1x180'\n"
           "    alert_rule_test:\n      - eval_time: 2h\n        alertname: ApiErrors\n" + alerts;
  };
  // Without a floor, that one error pages.
  slotest::WriteFile(dir_ / "rules.yaml", Rules(kSpec));
  slotest::WriteFile(dir_ / "low.yaml", low("        exp_alerts:\n" + Firing("page", "critical") + Firing("ticket", "warning")));
  auto r = slotest::Run(dir_.path(), "promtool test rules low.yaml");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // With min_events: 1000 (the 1h window saw 60 requests) nothing fires.
  std::string spec = kSpec;
  spec.replace(spec.find("slos:"), 5, "tollgate:\n  min_events: 1000\nslos:");
  slotest::WriteFile(dir_ / "rules.yaml", Rules(spec));
  slotest::WriteFile(dir_ / "low.yaml", low("        exp_alerts: []\n"));
  r = slotest::Run(dir_.path(), "promtool test rules low.yaml");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // The same error share at high traffic pages (and tickets).
  slotest::WriteFile(dir_ / "high.yaml",
                     UnitTest(20, 980, "        exp_alerts:\n" + Firing("page", "critical") + Firing("ticket", "warning")));
  r = slotest::Run(dir_.path(), "promtool test rules high.yaml");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

}  // namespace
