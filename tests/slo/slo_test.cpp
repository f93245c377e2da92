// Unit tests of the slo module: specs, windows and factors, rules, budgets
// computed by hand, low traffic, CSV errors, the Prometheus client on a fake,
// and the deploy-freeze findings.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "canary/canary.h"
#include "slo/slo.h"

namespace {

using namespace tollgate;
using namespace tollgate::slo;
using std::chrono::hours;

const char* kSpec = R"(version: "prometheus/v1"
service: "api"
labels:
  team: "payments"
slos:
  - name: "availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: ApiErrors
)";

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

Slo OneSlo(const std::string& text) {
  auto s = ParseSpec(text, "spec.yaml");
  EXPECT_TRUE(s) << (s ? "" : s.error().message());
  return s->slos.at(0);
}

TEST(SloSpec, ReadsSlothPrometheusV1) {
  auto s = ParseSpec(kSpec, "spec.yaml");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->slos.size(), 1u);
  const Slo& slo = s->slos[0];
  EXPECT_EQ(slo.Id(), "api-availability");
  EXPECT_DOUBLE_EQ(slo.objective, 99.9);
  EXPECT_DOUBLE_EQ(slo.ErrorBudget(), 0.001);
  EXPECT_EQ(slo.sli.kind, Sli::Kind::kEvents);
  EXPECT_EQ(slo.labels.at("team"), "payments");
  EXPECT_EQ(slo.alerting.name, "ApiErrors");
}

TEST(SloSpec, ImpossibleObjectivesAreInputErrorsWithPosition) {
  for (const char* obj : {"100", "101", "0", "-5", "abc"}) {
    std::string text = kSpec;
    text.replace(text.find("99.9"), 4, obj);
    auto s = ParseSpec(text, "spec.yaml");
    ASSERT_FALSE(s) << obj;
    EXPECT_EQ(s.error().code(), ErrorCode::kInput);
    EXPECT_NE(s.error().message().find("spec.yaml:7:"), std::string::npos) << s.error().message();
  }
}

TEST(SloSpec, RejectsPluginsMissingWindowsAndUnknownKeys) {
  std::string plugin = kSpec;
  plugin.replace(plugin.find("      events:"), std::string::npos, "      plugin:\n        id: x\n");
  EXPECT_FALSE(ParseSpec(plugin, "p.yaml"));
  std::string nowindow = kSpec;
  nowindow.replace(nowindow.find("[{{.window}}]"), 13, "[5m]");
  auto a = ParseSpec(nowindow, "w.yaml");
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message().find("{{.window}}"), std::string::npos);
  std::string unknown = std::string(kSpec) + "extra: 1\n";
  auto b = ParseSpec(unknown, "u.yaml");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("u.yaml:14:1: unknown key 'extra'"), std::string::npos) << b.error().message();
  EXPECT_FALSE(ParseSpec("version: \"prometheus/v2\"\n", "v.yaml"));
  EXPECT_FALSE(ParseSpec("slos: [\n", "bad.yaml"));
  EXPECT_FALSE(ParseSpec("", "empty.yaml"));
}

TEST(SloSpec, ReadsOpenSloV1RatioAndThreshold) {
  const char* text = R"(apiVersion: openslo/v1
kind: SLI
metadata:
  name: good-ratio
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(req_total{ok="true"}[{{.window}}]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(req_total[{{.window}}]))
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: login-ok
spec:
  service: login
  budgetingMethod: Occurrences
  indicatorRef: good-ratio
  timeWindow:
    - duration: 1M
      isRolling: false
  objectives:
    - target: 0.999
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: fresh
spec:
  service: ledger
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: age
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: time() - max(last_update_seconds)
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - targetPercent: 99
      op: lt
      value: 300
)";
  auto s = ParseSpec(text, "o.yaml");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->slos.size(), 2u);
  EXPECT_EQ(s->slos[0].sli.kind, Sli::Kind::kGoodTotal);
  EXPECT_DOUBLE_EQ(s->slos[0].objective, 99.9);
  ASSERT_TRUE(s->slos[0].period);
  EXPECT_EQ(s->slos[0].period->kind, Period::Kind::kCalendarMonth);
  EXPECT_EQ(s->slos[1].sli.kind, Sli::Kind::kRaw);
  EXPECT_EQ(s->slos[1].sli.error_ratio_query,
            "1 - avg_over_time(((time() - max(last_update_seconds)) < bool 300)[{{.window}}:1m])");
  EXPECT_EQ(s->slos[1].period->length, Seconds(28 * 86400));

  std::string timeslices = text;
  timeslices.replace(timeslices.find("Occurrences"), 11, "Timeslices");
  EXPECT_FALSE(ParseSpec(timeslices, "t.yaml"));
}

TEST(SloWindows, FactorsAre144_6_3_1OnThirtyDaysAndScale) {
  AlertWindows w = DefaultWindows(Seconds(30 * 86400));
  EXPECT_DOUBLE_EQ(w.page_quick.Factor(w.period), 14.4);
  EXPECT_DOUBLE_EQ(w.page_slow.Factor(w.period), 6);
  EXPECT_DOUBLE_EQ(w.ticket_quick.Factor(w.period), 3);
  EXPECT_DOUBLE_EQ(w.ticket_slow.Factor(w.period), 1);
  EXPECT_EQ(w.page_quick.short_window, Seconds(300));
  EXPECT_EQ(w.page_quick.long_window, Seconds(3600));
  AlertWindows w28 = DefaultWindows(Seconds(28 * 86400));
  EXPECT_DOUBLE_EQ(w28.page_quick.Factor(w28.period), 13.44);
  EXPECT_NEAR(w28.ticket_slow.Factor(w28.period), 28.0 / 30.0, 1e-12);
  AlertWindows q = DefaultWindows(Seconds(90 * 86400));
  EXPECT_DOUBLE_EQ(q.page_quick.Factor(q.period), 43.2);
}

TEST(SloWindows, PeriodsAndCalendarStarts) {
  EXPECT_EQ(ParsePeriod("28d")->length, Seconds(28 * 86400));
  EXPECT_EQ(ParsePeriod("28d")->Label(), "4w");
  EXPECT_EQ(ParsePeriod("30d")->Label(), "30d");
  EXPECT_FALSE(ParsePeriod("0d"));
  EXPECT_FALSE(ParsePeriod("1h"));
  EXPECT_FALSE(ParsePeriod("lots"));
  Period month = *ParsePeriod("month");
  Period quarter = *ParsePeriod("quarter");
  EXPECT_EQ(month.Start(At("2026-05-17T13:00:00Z")), At("2026-05-01T00:00:00Z"));
  EXPECT_EQ(quarter.Start(At("2026-05-17T13:00:00Z")), At("2026-04-01T00:00:00Z"));
  EXPECT_EQ(quarter.Start(At("2026-12-31T23:59:59Z")), At("2026-10-01T00:00:00Z"));
  EXPECT_EQ(FormatDuration(Seconds(5400)), "1h30m");
  EXPECT_EQ(FormatDuration(Seconds(7 * 86400)), "1w");
}

TEST(SloWindows, ReadsSlothAlertWindows) {
  const char* text = R"(apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 7d
  page:
    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}
    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}
  ticket:
    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}
    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}
)";
  auto w = ParseAlertWindows(text, "7d.yaml");
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_DOUBLE_EQ(w->page_quick.Factor(w->period), 13.44);
  EXPECT_DOUBLE_EQ(w->page_slow.Factor(w->period), 3.5);
  EXPECT_DOUBLE_EQ(w->ticket_quick.Factor(w->period), 1.4);
  EXPECT_DOUBLE_EQ(w->ticket_slow.Factor(w->period), 0.98);
  std::string bad = text;
  bad.replace(bad.find("shortWindow: 5m"), 15, "shortWindow: 2h");
  EXPECT_FALSE(ParseAlertWindows(bad, "bad.yaml"));
}

TEST(SloRules, GeneratesRecordingsMetaAndBothAlerts) {
  Slo slo = OneSlo(kSpec);
  auto text = GenerateRules({slo}, RulesOptions{});
  ASSERT_TRUE(text) << text.error().message();
  YAML::Node doc = YAML::Load(*text);
  ASSERT_EQ(doc["groups"].size(), 3u);
  std::set<std::string> records;
  int alerts = 0;
  for (const auto& g : doc["groups"])
    for (const auto& r : g["rules"]) {
      if (r["record"]) records.insert(r["record"].as<std::string>() + "/" + (r["labels"]["tollgate_window"] ? r["labels"]["tollgate_window"].as<std::string>() : ""));
      if (r["alert"]) {
        ++alerts;
        EXPECT_EQ(r["alert"].as<std::string>(), "ApiErrors");
        EXPECT_EQ(r["labels"]["team"].IsDefined(), false);  // SLO labels go on recordings, not alert labels
      }
    }
  EXPECT_EQ(alerts, 2);
  for (const char* w : {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"})
    EXPECT_TRUE(records.count(std::string("slo:sli_error:ratio_rate") + w + "/" + w)) << w;
  EXPECT_TRUE(records.count("slo:objective:ratio/"));
  EXPECT_TRUE(records.count("slo:error_budget:ratio/"));
  EXPECT_TRUE(records.count("slo:period_error_budget_remaining:ratio/"));
  EXPECT_NE(text->find("(14.4 * 0.001)"), std::string::npos);
  EXPECT_NE(text->find("(6 * 0.001)"), std::string::npos);
  EXPECT_NE(text->find("(3 * 0.001)"), std::string::npos);
  EXPECT_NE(text->find("(1 * 0.001)"), std::string::npos);
}

TEST(SloRules, MinEventsAddsAnEventFloorToEveryAlertCondition) {
  std::string text = kSpec;
  text.replace(text.find("slos:"), 5, "tollgate:\n  min_events: 250\nslos:");
  Slo slo = OneSlo(text);
  EXPECT_EQ(slo.min_events, 250u);
  auto rules = GenerateRules({slo}, RulesOptions{});
  ASSERT_TRUE(rules);
  std::size_t n = 0;
  for (std::size_t pos = rules->find(">= 250"); pos != std::string::npos; pos = rules->find(">= 250", pos + 1)) ++n;
  EXPECT_EQ(n, 4u);  // one per window pair of page and ticket
  EXPECT_NE(rules->find("record: slo:sli_events:total1h"), std::string::npos);
  EXPECT_NE(rules->find("(sum(rate(http_requests_total[1h]))) * 3600"), std::string::npos);
}

TEST(SloRules, CustomWindowsMustMatchThePeriod) {
  Slo slo = OneSlo(kSpec);
  RulesOptions o;
  o.windows = DefaultWindows(Seconds(7 * 86400));
  EXPECT_FALSE(GenerateRules({slo}, o));
  o.default_period = *ParsePeriod("7d");
  EXPECT_TRUE(GenerateRules({slo}, o));
}

TEST(SloTemplates, EveryTemplateIsAValidSpecAndMakesRules) {
  auto ts = Templates();
  ASSERT_EQ(ts.size(), 5u);
  for (const auto& t : ts) {
    auto text = TemplateSpec(t.name, "svc-x");
    ASSERT_TRUE(text) << t.name;
    auto spec = ParseSpec(*text, t.name);
    ASSERT_TRUE(spec) << t.name << ": " << spec.error().message();
    EXPECT_EQ(spec->slos[0].service, "svc-x");
    EXPECT_TRUE(GenerateRules(spec->slos, RulesOptions{})) << t.name;
  }
  EXPECT_DOUBLE_EQ(ParseSpec(*TemplateSpec("payments", "p"), "p")->slos[0].objective, 99.99);
  EXPECT_DOUBLE_EQ(ParseSpec(*TemplateSpec("login", "l"), "l")->slos[0].objective, 99.9);
  EXPECT_FALSE(TemplateSpec("nope", "x"));
  EXPECT_FALSE(TemplateSpec("payments", "bad name\"}"));
}

// 100 hourly samples of 1000 requests; the last hour has 20 errors.
std::vector<Sample> HundredHours() {
  std::vector<Sample> s;
  TimePoint t0 = At("2026-03-01T00:00:00Z");
  for (int i = 1; i <= 100; ++i) s.push_back(Sample{t0 + hours(i), i == 100 ? 980.0 : 1000.0, 1000});
  return s;
}

TEST(SloBudget, HandComputedRemainingBurnRatesAndExhaustion) {
  Slo slo = OneSlo(kSpec);  // 99.9%: budget 0.001
  auto samples = HundredHours();
  BudgetStatus b = ComputeBudget(slo, Period{}, samples, samples.back().time);
  EXPECT_DOUBLE_EQ(b.total, 100000);
  EXPECT_DOUBLE_EQ(b.bad, 20);
  // error ratio 20/100000 = 0.0002 -> 20% of the budget spent
  EXPECT_NEAR(b.consumed, 0.2, 1e-12);
  EXPECT_NEAR(b.remaining, 0.8, 1e-12);
  EXPECT_FALSE(b.exhausted);
  std::map<std::int64_t, std::optional<double>> burn;
  for (const auto& w : b.burn) burn[w.window.count()] = w.burn_rate;
  EXPECT_NEAR(*burn[300], 20, 1e-9);      // only the last sample: 20/1000 / 0.001
  EXPECT_NEAR(*burn[3600], 20, 1e-9);
  EXPECT_NEAR(*burn[6 * 3600], 20.0 / 6000 / 0.001, 1e-9);
  EXPECT_NEAR(*burn[3 * 86400], 20.0 / 72000 / 0.001, 1e-9);
  // 0.8 of a 30-day budget at 20x: 0.8 * 30d / 20 = 1.2 days
  ASSERT_TRUE(b.time_to_exhaustion);
  EXPECT_EQ(b.time_to_exhaustion->count(), 103680);

  // 120 errors in the last hour: 120/100000 = 0.0012 > 0.001: exhausted.
  samples.back().good = 880;
  BudgetStatus spent = ComputeBudget(slo, Period{}, samples, samples.back().time);
  EXPECT_TRUE(spent.exhausted);
  EXPECT_NEAR(spent.remaining, -0.2, 1e-12);
  EXPECT_EQ(spent.time_to_exhaustion->count(), 0);
}

TEST(SloBudget, CalendarMonthCountsOnlyThisMonth) {
  Slo slo = OneSlo(kSpec);
  std::vector<Sample> s = {
      {At("2026-02-27T00:00:00Z"), 0, 1000},   // a disaster last month
      {At("2026-03-02T00:00:00Z"), 999, 1000},
      {At("2026-03-03T00:00:00Z"), 1000, 1000},
  };
  BudgetStatus b = ComputeBudget(slo, *ParsePeriod("month"), s, At("2026-03-03T00:00:00Z"));
  EXPECT_EQ(b.from, At("2026-03-01T00:00:00Z"));
  EXPECT_DOUBLE_EQ(b.total, 2000);
  EXPECT_NEAR(b.consumed, 0.5, 1e-12);
  BudgetStatus rolling = ComputeBudget(slo, Period{}, s, At("2026-03-03T00:00:00Z"));
  EXPECT_TRUE(rolling.exhausted);
}

TEST(SloBudget, LowTrafficNeitherFreezesNorShowsNaN) {
  std::string text = kSpec;
  text.replace(text.find("slos:"), 5, "tollgate:\n  min_events: 100\nslos:");
  Slo slo = OneSlo(text);
  std::vector<Sample> s = {{At("2026-03-02T00:00:00Z"), 2, 3}};  // one error in three requests
  BudgetStatus b = ComputeBudget(slo, Period{}, s, At("2026-03-02T00:00:00Z"));
  EXPECT_TRUE(b.low_traffic);
  EXPECT_FALSE(b.exhausted);
  for (const auto& w : b.burn) EXPECT_FALSE(w.burn_rate) << w.window.count();
  EXPECT_FALSE(b.time_to_exhaustion);
  // No events at all: the whole budget remains, nothing is NaN.
  BudgetStatus none = ComputeBudget(slo, Period{}, {{At("2026-03-02T00:00:00Z"), 0, 0}}, At("2026-03-02T00:00:00Z"));
  EXPECT_DOUBLE_EQ(none.remaining, 1);
  EXPECT_EQ(ToJson(none).dump().find("NaN"), std::string::npos);
  EXPECT_EQ(ToText(none).find("nan"), std::string::npos);
}

TEST(SloBudget, CsvErrorsNameFileAndLine) {
  auto ok = ParseSamplesCsv("time,good,total\n2026-03-01T00:00:00Z,9,10\n2026-03-01T01:00:00Z,10,10\n", "d.csv");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->size(), 2u);
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"time,good,total\n2026-03-01T00:00:00Z,NaN,10\n", "d.csv:2: good"},
      {"time,good,total\n2026-03-01T00:00:00Z,11,10\n", "d.csv:2: good (11) exceeds total"},
      {"time,good,total\n2026-03-01T01:00:00Z,1,1\n2026-03-01T00:00:00Z,1,1\n", "d.csv:3: time goes backwards"},
      {"time,good,total\nyesterday,1,1\n", "d.csv:2: time"},
      {"time,good\n", "d.csv:1: the header"},
      {"time,good,total\n", "no samples"},
      {"", "empty"},
      {"time,good,total\n2026-03-01T00:00:00Z,1\n", "d.csv:2: expected 3 columns"},
      {"time,good,total\n2026-03-01T00:00:00Z,-1,1\n", "negative"},
  };
  for (const auto& c : cases) {
    auto r = ParseSamplesCsv(c.text, "d.csv");
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code(), ErrorCode::kInput);
    EXPECT_NE(r.error().message().find(c.expect), std::string::npos) << r.error().message();
  }
}

// A fake Prometheus: answers query_range with constant rates per query.
class FakePrometheus : public HttpGetter {
 public:
  std::vector<std::string> asked;
  Result<std::string> Get(const std::string&, const std::string& path) override {
    asked.push_back(path);
    const bool errors = path.find("5..") != std::string::npos || path.find("%225..%22") != std::string::npos ||
                        path.find("code%3D~") != std::string::npos;
    const std::string v = errors ? "0.5" : "10";
    // Two series per query, summed by the client; one NaN point is skipped.
    return R"({"status":"success","data":{"resultType":"matrix","result":[
      {"metric":{"i":"a"},"values":[[1772323200,")" + v + R"("],[1772323500,")" + v + R"("],[1772323800,"NaN"]]},
      {"metric":{"i":"b"},"values":[[1772323200,")" + v + R"("],[1772323500,")" + v + R"("]]}]}})";
  }
};

TEST(SloPrometheus, QueryRangeBecomesSamples) {
  Slo slo = OneSlo(kSpec);
  FakePrometheus fake;
  auto s = QueryPrometheus(fake, "http://127.0.0.1:9090", slo, At("2026-03-01T00:00:00Z"), At("2026-03-01T00:10:00Z"),
                           Seconds(300));
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(fake.asked.size(), 2u);
  EXPECT_EQ(fake.asked[0].rfind("/api/v1/query_range?query=", 0), 0u);
  EXPECT_NE(fake.asked[0].find("%5B5m%5D"), std::string::npos) << fake.asked[0];  // [{{.window}}] -> [5m]
  EXPECT_NE(fake.asked[0].find("&step=300"), std::string::npos);
  ASSERT_EQ(s->size(), 2u);
  // 2 series x 10/s x 300 s = 6000 events per step, 2 x 0.5/s x 300 s = 300 bad.
  EXPECT_DOUBLE_EQ((*s)[0].total, 6000);
  EXPECT_DOUBLE_EQ((*s)[0].good, 5700);
}

class BrokenPrometheus : public HttpGetter {
 public:
  std::string body;
  Result<std::string> Get(const std::string&, const std::string&) override { return body; }
};

TEST(SloPrometheus, BadAnswersAreErrors) {
  Slo slo = OneSlo(kSpec);
  BrokenPrometheus p;
  for (const char* body : {"not json", R"({"status":"error","error":"bad query"})",
                           R"({"status":"success","data":{"resultType":"vector","result":[]}})",
                           R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,2]]}]}})"}) {
    p.body = body;
    auto s = QueryPrometheus(p, "http://x", slo, At("2026-03-01T00:00:00Z"), At("2026-03-01T01:00:00Z"), Seconds(60));
    EXPECT_FALSE(s) << body;
  }
}

TEST(SloFreeze, ExhaustedBudgetIsOneCriticalFindingWithStableFingerprint) {
  auto spec = ParseSpec(kSpec, "slo/api.yaml");
  ASSERT_TRUE(spec);
  auto samples = HundredHours();
  FreezeOptions opts;
  opts.gate = "freeze";
  auto none = FreezeFindings(*spec, {samples}, opts, samples.back().time);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  samples.back().good = 880;
  auto spent = FreezeFindings(*spec, {samples}, opts, samples.back().time);
  ASSERT_TRUE(spent);
  ASSERT_EQ(spent->size(), 1u);
  EXPECT_EQ((*spent)[0].severity, Severity::kCritical);
  EXPECT_EQ((*spent)[0].rule_id, "error-budget-exhausted");
  EXPECT_EQ((*spent)[0].gate, "freeze");
  auto again = FreezeFindings(*spec, {samples}, opts, samples.back().time);
  EXPECT_EQ((*again)[0].fingerprint, (*spent)[0].fingerprint);

  // burn-rate>X: 1h burn 20x and 6h burn 3.33x with 20 errors in the last hour.
  samples.back().good = 980;
  opts.fail_on = "burn-rate>3";
  auto fast = FreezeFindings(*spec, {samples}, opts, samples.back().time);
  ASSERT_TRUE(fast);
  ASSERT_EQ(fast->size(), 1u);
  EXPECT_EQ((*fast)[0].rule_id, "error-budget-burn-rate");
  opts.fail_on = "burn-rate>4";  // 6h burn 3.33 is below: no freeze
  EXPECT_TRUE(FreezeFindings(*spec, {samples}, opts, samples.back().time)->empty());
  opts.fail_on = "burn-rate>zero";
  EXPECT_FALSE(FreezeFindings(*spec, {samples}, opts, samples.back().time));
}

}  // namespace

namespace {

// fuzz_slo found that yaml-cpp's LoadAll never returns on this input.
TEST(SloSpecRegression, NulBytesDoNotHangTheYamlReader) {
  const unsigned char bytes[] = {0x00, 0x2c, 0x79, 0x00, 0x67, 0x00, 0x08, 0x00, 0x79, 0x79, 0x79,
                                 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
                                 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x33, 0x6f};
  auto s = tollgate::slo::ParseSpec(std::string(reinterpret_cast<const char*>(bytes), sizeof bytes), "nul.yaml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("NUL byte"), std::string::npos) << s.error().message();
}

// Documents split at "---" keep their true line numbers in errors.
TEST(SloSpecRegression, MultiDocumentErrorsNameTheRightLine) {
  const char* text = "# two SLO files in one\n---\nversion: \"prometheus/v1\"\nservice: a\nslos:\n  - name: x\n    objective: 99\n"
                     "    sli: {raw: {error_ratio_query: \"q[{{.window}}]\"}}\n---\nversion: \"prometheus/v1\"\nservice: b\n"
                     "slos:\n  - name: y\n    objective: 120\n";
  auto s = tollgate::slo::ParseSpec(text, "multi.yaml");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("multi.yaml:14:16: impossible objective"), std::string::npos) << s.error().message();
}

}  // namespace

namespace {

TEST(SloPrometheusStep, FiveMinutesUnlessThatExceedsElevenThousandPoints) {
  using tollgate::slo::DefaultStep;
  const tollgate::TimePoint t = *tollgate::ParseRfc3339("2026-06-30T00:00:00Z");
  EXPECT_EQ(DefaultStep(t - std::chrono::hours(24 * 30), t).count(), 300);
  // A quarter at 5m is 25,920 points: 13 minutes keeps it under 10,000.
  EXPECT_EQ(DefaultStep(t - std::chrono::hours(24 * 90), t).count(), 780);
}

}  // namespace

namespace {

TEST(SloRulesRegression, LabelNamesQuotesAndDuplicates) {
  std::string spec = kSpec;
  spec.replace(spec.find("team:"), 5, "te-am:");
  auto bad = tollgate::slo::ParseSpec(spec, "l.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("not a valid Prometheus label name"), std::string::npos);

  std::string quoted = kSpec;
  quoted.replace(quoted.find("\"availability\""), 14, "'avail\"ab\\\\ility'");
  auto s = tollgate::slo::ParseSpec(quoted, "q.yaml");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->slos[0].name, "avail\"ab\\\\ility");
  auto rules = tollgate::slo::GenerateRules(s->slos, tollgate::slo::RulesOptions{});
  ASSERT_TRUE(rules);
  // PromQL string escaping in the selectors: \" and \\.
  EXPECT_NE(rules->find(R"(tollgate_slo="avail\"ab\\\\ility")"), std::string::npos) << *rules;

  auto twice = tollgate::slo::GenerateRules({s->slos[0], s->slos[0]}, tollgate::slo::RulesOptions{});
  EXPECT_FALSE(twice);
  tollgate::slo::RulesOptions o;
  o.extra_labels["1x"] = "y";
  EXPECT_FALSE(tollgate::slo::GenerateRules(s->slos, o));
}

}  // namespace

namespace {

// fuzz_slo: a subscript of a scalar deep in an OpenSLO document made yaml-cpp
// throw through ParseSpec.
TEST(SloSpecRegression, ScalarWhereAMappingBelongsIsAnInputError) {
  const char* text = "apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  namkinrefunds-good\nspec:\n  ratioMetric: {}\n---\n"
                     "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: x\nspec:\n  service: s\n"
                     "  budgetingMethod: Occurrences\n  indicatorRef: refunds-good\n  objectives:\n    - target: 0.9\n";
  auto s = tollgate::slo::ParseSpec(text, "o.yaml");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), tollgate::ErrorCode::kInput);
  EXPECT_EQ(s.error().message().rfind("o.yaml:", 0), 0u) << s.error().message();
  auto c = tollgate::canary::ParseJudgeConfig("metrics:\n  - {name: {a: 1}}\ngroups: {a: {b: 1}}\n", "j.yaml");
  EXPECT_FALSE(c);
}

}  // namespace
