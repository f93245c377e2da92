// The canary judge: statistics against hand-computed cases, a brute-force
// enumeration and SciPy (scipy.stats.mannwhitneyu on many random samples);
// the judgement (direction, tolerance, NaN, outliers, critical metrics,
// weighted score); and the CLI, whose every judgement lands in the ledger.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "canary/canary.h"

namespace {

using namespace tollgate;
using namespace tollgate::canary;
namespace fs = std::filesystem;

TEST(MannWhitney, HandComputedExactCases) {
  // x above y everywhere: U1 = 16 of 16, P(U >= 16) = 1/C(8,4) = 1/70.
  auto r = MannWhitneyU({10, 20, 30, 40}, {1, 2, 3, 4});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->exact);
  EXPECT_DOUBLE_EQ(r->u, 16);
  EXPECT_NEAR(r->p_value, 2.0 / 70, 1e-15);
  // x below y everywhere: U1 = 0, p = 2 / C(6,3) = 0.1.
  r = MannWhitneyU({1, 2, 3}, {4, 5, 6});
  EXPECT_DOUBLE_EQ(r->u, 0);
  EXPECT_NEAR(r->p_value, 0.1, 1e-15);
  // Interleaved: pairs with x > y are 3>2, 5>2, 5>4: U1 = 3, U2 = 6. The counts
  // of U = 0..9 over the C(6,3) = 20 orders are 1,1,2,3,3,3,3,2,1,1, so
  // p = 2 P(U >= 6) = 2 (3+2+1+1)/20 = 0.7.
  r = MannWhitneyU({1, 3, 5}, {2, 4, 6});
  EXPECT_DOUBLE_EQ(r->u, 3);
  EXPECT_NEAR(r->p_value, 0.7, 1e-15);
}

TEST(MannWhitney, NormalApproximationWithTiesByHand) {
  // All values tied: no information, p = 1 (zero variance).
  auto r = MannWhitneyU({5, 5, 5}, {5, 5, 5, 5});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->exact);
  EXPECT_DOUBLE_EQ(r->p_value, 1.0);
  // x = [1,2], y = [2,3]: ranks 1, 2.5 | 2.5, 4: R1 = 3.5, U1 = 0.5, U = 3.5;
  // tie term 6, s = sqrt(4/12 * (5 - 6/12)) = sqrt(1.5); z = (3.5 - 2 - 0.5)/s.
  r = MannWhitneyU({1, 2}, {2, 3});
  EXPECT_DOUBLE_EQ(r->u, 0.5);
  const double z = 1.0 / std::sqrt(1.5);
  EXPECT_NEAR(r->p_value, std::erfc(z / std::sqrt(2.0)), 1e-15);
}

TEST(MannWhitney, RejectsEmptyAndNaN) {
  EXPECT_FALSE(MannWhitneyU({}, {1}));
  EXPECT_FALSE(MannWhitneyU({1, std::nan("")}, {1}));
  EXPECT_FALSE(HodgesLehmann({1}, {}, 0.95));
  EXPECT_FALSE(HodgesLehmann({1}, {2}, 1.5));
}

// Brute force: every way to choose which m of the m+n ranks belong to x.
double BruteCdf(int k, int m, int n) {
  int total = 0, hit = 0;
  for (unsigned mask = 0; mask < (1u << (m + n)); ++mask) {
    if (__builtin_popcount(mask) != m) continue;
    int u = 0, ys_below = 0;
    for (int i = 0; i < m + n; ++i) {
      if (mask & (1u << i))
        u += ys_below;
      else
        ++ys_below;
    }
    ++total;
    if (u <= k) ++hit;
  }
  return static_cast<double>(hit) / total;
}

TEST(MannWhitney, ExactDistributionMatchesEnumeration) {
  for (int m = 1; m <= 6; ++m)
    for (int n = 1; n <= 7; ++n)
      for (int k = -1; k <= m * n; ++k) EXPECT_NEAR(ExactUCdf(k, m, n), BruteCdf(k, m, n), 1e-12) << m << " " << n << " " << k;
}

TEST(HodgesLehmann, IssueExampleEstimateAndInterval) {
  auto h = HodgesLehmann({10, 20, 30, 40}, {1, 2, 3, 4}, 0.95);
  ASSERT_TRUE(h);
  EXPECT_DOUBLE_EQ(h->estimate, 22.5);
  EXPECT_DOUBLE_EQ(h->lower, 6);
  EXPECT_DOUBLE_EQ(h->upper, 39);
  EXPECT_TRUE(h->exact);
}

TEST(HodgesLehmann, ExactIntervalIsTheWidestWithTailsAtMostAlphaHalf) {
  // m = n = 8 at 90%: k is the largest with P(U <= k-1) <= 0.05.
  std::vector<double> x, y;
  for (int i = 0; i < 8; ++i) {
    x.push_back(10 * i + 3.5);
    y.push_back(9 * i + 0.25);
  }
  auto h = HodgesLehmann(x, y, 0.90);
  ASSERT_TRUE(h);
  int k = 1;
  while (ExactUCdf(k, 8, 8) <= 0.05) ++k;  // P(U <= k) > 0.05 now: bound rank is k
  std::vector<double> d;
  for (double a : x)
    for (double b : y) d.push_back(a - b);
  std::sort(d.begin(), d.end());
  EXPECT_DOUBLE_EQ(h->lower, d[static_cast<std::size_t>(k - 1)]);
  EXPECT_DOUBLE_EQ(h->upper, d[d.size() - static_cast<std::size_t>(k)]);
  EXPECT_LE(ExactUCdf(k - 1, 8, 8), 0.05);
  EXPECT_GT(ExactUCdf(k, 8, 8), 0.05);
  // Shift both by a constant: the estimate moves with it, the width not.
  for (double& v : x) v += 100;
  auto s = HodgesLehmann(x, y, 0.90);
  EXPECT_DOUBLE_EQ(s->estimate, h->estimate + 100);
  EXPECT_DOUBLE_EQ(s->upper - s->lower, h->upper - h->lower);
}

// ---- SciPy ------------------------------------------------------------------

std::string PythonWithScipy() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    std::string cmd = std::string(py) + " -c 'import scipy.stats' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

TEST(MannWhitneySciPy, MatchesScipyOnManyRandomSamples) {
  const std::string py = PythonWithScipy();
  if (py.empty()) GTEST_SKIP() << "SciPy not found: install the Debian package python3-scipy (make deps) to compare with scipy.stats.mannwhitneyu";
  std::mt19937_64 rng(20260601);
  struct Case {
    std::vector<double> x, y;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 600; ++i) {
    std::uniform_int_distribution<int> size(1, i % 3 == 0 ? 8 : 40);
    std::size_t n1 = static_cast<std::size_t>(size(rng)), n2 = static_cast<std::size_t>(size(rng));
    const int kind = i % 4;  // 0,1 continuous; 2 small integers (ties); 3 shifted
    std::normal_distribution<double> norm(0, 1);
    std::uniform_int_distribution<int> small(0, 6);
    Case c;
    for (std::size_t k = 0; k < n1 + n2; ++k) {
      double v = kind == 2 ? small(rng) : norm(rng);
      if (kind == 3 && k < n1) v += 0.8;
      (k < n1 ? c.x : c.y).push_back(v);
    }
    cases.push_back(std::move(c));
  }
  char tmpl[] = "/tmp/tollgate-mwu-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  {
    std::ofstream in(dir / "cases.txt");
    in.precision(17);
    for (const auto& c : cases) {
      for (std::size_t i = 0; i < c.x.size(); ++i) in << (i ? "," : "") << c.x[i];
      in << ";";
      for (std::size_t i = 0; i < c.y.size(); ++i) in << (i ? "," : "") << c.y[i];
      in << "\n";
    }
  }
  std::ofstream(dir / "ref.py") << R"(import sys
from scipy.stats import mannwhitneyu
import numpy as np
for line in open(sys.argv[1]):
    a, b = line.strip().split(';')
    x = [float(v) for v in a.split(',')]
    y = [float(v) for v in b.split(',')]
    r = mannwhitneyu(x, y)
    hl = np.median(np.subtract.outer(x, y))
    print(repr(float(r.statistic)), repr(float(r.pvalue)), repr(float(hl)))
)";
  const std::string cmd = py + " '" + (dir / "ref.py").string() + "' '" + (dir / "cases.txt").string() + "' > '" +
                          (dir / "out.txt").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream out(dir / "out.txt");
  int exact = 0, asymptotic = 0;
  double worst = 0;
  for (const auto& c : cases) {
    double u = 0, p = 0, hl = 0;
    ASSERT_TRUE(out >> u >> p >> hl);
    auto r = MannWhitneyU(c.x, c.y);
    ASSERT_TRUE(r);
    EXPECT_DOUBLE_EQ(r->u, u);
    EXPECT_NEAR(r->p_value, p, 1e-9 + 1e-9 * p) << "n1=" << c.x.size() << " n2=" << c.y.size() << (r->exact ? " exact" : " asymptotic");
    worst = std::max(worst, std::fabs(r->p_value - p));
    auto h = HodgesLehmann(c.x, c.y, 0.95);
    ASSERT_TRUE(h);
    EXPECT_NEAR(h->estimate, hl, 1e-12 * std::max(1.0, std::fabs(hl)));
    (r->exact ? exact : asymptotic)++;
  }
  std::cout << "[ scipy    ] " << cases.size() << " samples: " << exact << " exact, " << asymptotic
            << " asymptotic; largest p-value difference " << worst << "\n";
  EXPECT_GT(exact, 50);
  EXPECT_GT(asymptotic, 50);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// ---- judgement --------------------------------------------------------------

JudgeConfig Config(const std::string& yaml) {
  auto c = ParseJudgeConfig(yaml, "judge.yaml");
  EXPECT_TRUE(c) << (c ? "" : c.error().message());
  return *c;
}

std::vector<double> Series(double base, double step, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(base + step * ((i * 7) % n));
  return v;
}

const char* kConfig = R"(service: payments-api
confidence: 0.95
thresholds: {pass: 95, marginal: 50}
groups: {latency: 60, errors: 40}
metrics:
  - {name: latency_ms, group: latency, direction: increase, tolerance: 0.05}
  - {name: error_rate, group: errors, direction: increase, critical: true}
)";

TEST(Judge, SameDistributionsPromote) {
  Samples b{{"latency_ms", Series(100, 1, 30)}, {"error_rate", Series(0.01, 0.0001, 30)}};
  auto j = Judge(Config(kConfig), b, b, "b.json", "c.json");
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ(j->verdict, Verdict::kPromote);
  EXPECT_DOUBLE_EQ(j->score, 100);
  for (const auto& m : j->metrics) EXPECT_EQ(m.classification, Classification::kPass);
}

TEST(Judge, SlowerCanaryLosesTheLatencyGroupScore) {
  Samples b{{"latency_ms", Series(100, 1, 30)}, {"error_rate", Series(0.01, 0.0001, 30)}};
  Samples c = b;
  c["latency_ms"] = Series(130, 1, 30);  // +30 ms, well beyond the 5% tolerance
  auto j = Judge(Config(kConfig), b, c, "b.json", "c.json");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->metrics[0].classification, Classification::kHigh);
  EXPECT_TRUE(j->metrics[0].failed);
  EXPECT_NEAR(j->metrics[0].shift.estimate, 30, 1e-9);
  // latency 0 of 1 (weight 60), errors 1 of 1 (weight 40): 40 -> below marginal 50.
  EXPECT_DOUBLE_EQ(j->score, 40);
  EXPECT_EQ(j->verdict, Verdict::kRollback);
  // A significant shift within the tolerance passes: +3 ms on a tight
  // baseline (median 101.45, 5% = 5.07 ms).
  b["latency_ms"] = Series(100, 0.1, 30);
  c["latency_ms"] = Series(103, 0.1, 30);
  j = Judge(Config(kConfig), b, c, "b.json", "c.json");
  EXPECT_EQ(j->metrics[0].classification, Classification::kHigh);
  EXPECT_FALSE(j->metrics[0].failed);
  EXPECT_EQ(j->verdict, Verdict::kPromote);
}

TEST(Judge, DirectionOfHarmAndCriticalMetrics) {
  Samples b{{"latency_ms", Series(100, 1, 30)}, {"error_rate", Series(0.01, 0.0001, 30)}};
  Samples c = b;
  c["latency_ms"] = Series(60, 1, 30);  // faster: not harmful for direction increase
  auto j = Judge(Config(kConfig), b, c, "b.json", "c.json");
  EXPECT_EQ(j->metrics[0].classification, Classification::kLow);
  EXPECT_FALSE(j->metrics[0].failed);
  EXPECT_EQ(j->verdict, Verdict::kPromote);
  // More errors on the critical metric: rollback whatever the score.
  c = b;
  c["error_rate"] = Series(0.02, 0.0001, 30);
  const char* lenient = R"(thresholds: {pass: 10, marginal: 5}
metrics:
  - {name: latency_ms}
  - {name: error_rate, direction: increase, critical: true}
  - {name: cpu}
)";
  b["cpu"] = Series(1, 0.1, 30);
  c["cpu"] = b["cpu"];
  j = Judge(Config(lenient), b, c, "b.json", "c.json");
  ASSERT_TRUE(j);
  EXPECT_NEAR(j->score, 200.0 / 3, 1e-9);
  EXPECT_TRUE(j->critical_failed);
  EXPECT_EQ(j->verdict, Verdict::kRollback);
}

TEST(Judge, NanRejectedByDefaultRemovedOnRequest) {
  Samples b{{"latency_ms", {100, 101, std::nan(""), 102}}, {"error_rate", {0.1, 0.1, 0.1}}};
  auto j = Judge(Config(kConfig), b, b, "base.csv", "can.csv");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code(), ErrorCode::kInput);
  EXPECT_NE(j.error().message().find("base.csv: metric 'latency_ms': value 3 is NaN"), std::string::npos) << j.error().message();
  auto j2 = Judge(Config(std::string(kConfig) + "nan: remove\n"), b, b, "base.csv", "can.csv");
  ASSERT_TRUE(j2) << j2.error().message();
  EXPECT_EQ(j2->metrics[0].removed_nan, 2u);
  EXPECT_EQ(j2->metrics[0].baseline_n, 3u);
  // Only NaN: nothing left to judge.
  Samples all_nan{{"latency_ms", {std::nan(""), std::nan("")}}, {"error_rate", {0.1}}};
  auto j3 = Judge(Config(std::string(kConfig) + "nan: remove\n"), all_nan, all_nan, "base.csv", "can.csv");
  ASSERT_FALSE(j3);
  EXPECT_NE(j3.error().message().find("no values"), std::string::npos);
  Samples empty{{"latency_ms", {}}, {"error_rate", {0.1}}};
  EXPECT_FALSE(Judge(Config(kConfig), empty, empty, "b", "c"));
  Samples missing{{"latency_ms", {1, 2}}};
  auto j4 = Judge(Config(kConfig), missing, missing, "b.csv", "c.csv");
  ASSERT_FALSE(j4);
  EXPECT_NE(j4.error().message().find("b.csv: no values for metric 'error_rate'"), std::string::npos);
}

TEST(Judge, OutliersRemovedWithTukeyFences) {
  Samples b{{"latency_ms", Series(100, 1, 30)}, {"error_rate", Series(0.01, 0.0001, 30)}};
  Samples c = b;
  c["latency_ms"].push_back(100000);  // one wild value
  auto keep = Judge(Config(kConfig), b, c, "b", "c");
  EXPECT_EQ(keep->metrics[0].removed_outliers, 0u);
  auto removed = Judge(Config(std::string(kConfig) + "outliers: {strategy: remove, factor: 3}\n"), b, c, "b", "c");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->metrics[0].removed_outliers, 1u);
  EXPECT_EQ(removed->metrics[0].canary_n, 30u);
}

TEST(JudgeConfig, BadConfigsAreErrorsWithPosition) {
  for (const char* bad : {"metrics: []\n", "metrics:\n  - {name: a, direction: up}\n",
                          "metrics:\n  - {name: a}\n  - {name: a}\n", "confidence: 2\nmetrics:\n  - {name: a}\n",
                          "thresholds: {pass: 50, marginal: 70}\nmetrics:\n  - {name: a}\n", "metrics:\n  - {name: a, weight: 3}\n",
                          "nan: maybe\nmetrics:\n  - {name: a}\n", "[1, 2\n"}) {
    auto c = ParseJudgeConfig(bad, "j.yaml");
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().message().rfind("j.yaml", 0), 0u) << c.error().message();
  }
}

TEST(Samples, JsonAndCsv) {
  auto j = ParseSamples(R"({"a": [1, 2.5, null], "b": ["NaN", 3]})", "s.json");
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ(j->at("a").size(), 3u);
  EXPECT_TRUE(std::isnan(j->at("a")[2]));
  EXPECT_TRUE(std::isnan(j->at("b")[0]));
  auto c = ParseSamples("a,b\n1,2\n3,\nNaN,4\n", "s.csv");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->at("a").size(), 3u);
  EXPECT_EQ(c->at("b").size(), 2u);
  auto bad = ParseSamples("a,b\n1,x\n", "s.csv");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("s.csv:2: column 'b'"), std::string::npos) << bad.error().message();
  EXPECT_FALSE(ParseSamples("", "e.csv"));
  EXPECT_FALSE(ParseSamples("a,b\n1\n", "s.csv"));
  EXPECT_FALSE(ParseSamples(R"({"a": [true]})", "s.json"));
  EXPECT_FALSE(ParseSamples("{not json", "s.json"));
}

// ---- CLI ----------------------------------------------------------------------

struct Cmd {
  int code = -1;
  std::string out, err;
};

class CanaryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tollgate-canary-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ / "judge.yaml") << kConfig;
    std::ofstream base(dir_ / "base.csv"), same(dir_ / "same.csv"), slow(dir_ / "slow.csv");
    base << "latency_ms,error_rate\n";
    same << "latency_ms,error_rate\n";
    slow << "latency_ms,error_rate\n";
    for (int i = 0; i < 30; ++i) {
      base << 100 + (i * 7) % 30 << "," << 0.01 + 0.0001 * ((i * 11) % 30) << "\n";
      same << 100 + (i * 13) % 30 << "," << 0.01 + 0.0001 * ((i * 7) % 30) << "\n";
      slow << 140 + (i * 13) % 30 << "," << 0.01 + 0.0001 * ((i * 7) % 30) << "\n";
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Cmd Tg(const std::string& args) {
    const std::string out = (dir_ / "o").string(), err = (dir_ / "e").string();
    std::string cmd = "cd '" + dir_.string() + "' && TOLLGATE_LEDGER='" + (dir_ / "l.db").string() +
                      "' TOLLGATE_LEDGER_KEY= '" TOLLGATE_BINARY "' " + args + " >'" + out + "' 2>'" + err + "'";
    int st = std::system(cmd.c_str());
    Cmd r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::stringstream a, b;
    a << std::ifstream(out).rdbuf();
    b << std::ifstream(err).rdbuf();
    r.out = a.str();
    r.err = b.str();
    return r;
  }
  fs::path dir_;
};

TEST_F(CanaryCli, VerdictExitCodesAndLedger) {
  auto r = Tg("canary judge --baseline base.csv --canary same.csv --config judge.yaml");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: promote"), std::string::npos) << r.out;
  r = Tg("canary judge --baseline base.csv --canary slow.csv --config judge.yaml --format json");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\"verdict\": \"rollback\""), std::string::npos) << r.out;
  r = Tg("ledger show");
  EXPECT_EQ(r.code, 0) << r.err;
  std::size_t n = 0;
  for (std::size_t p = r.out.find("canary.judgement"); p != std::string::npos; p = r.out.find("canary.judgement", p + 1)) ++n;
  EXPECT_EQ(n, 2u) << r.out;
  EXPECT_NE(r.out.find("rollback"), std::string::npos);
}

TEST_F(CanaryCli, BadInputExitsTwoAndRecordsNothing) {
  std::ofstream(dir_ / "nan.csv") << "latency_ms,error_rate\n100,0.1\nNaN,0.1\n";
  std::ofstream(dir_ / "empty.csv") << "";
  auto r = Tg("canary judge --baseline base.csv --canary nan.csv --config judge.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nan.csv: metric 'latency_ms': value 2 is NaN"), std::string::npos) << r.err;
  r = Tg("canary judge --baseline empty.csv --canary same.csv --config judge.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("empty.csv"), std::string::npos) << r.err;
  r = Tg("canary judge --baseline base.csv --canary same.csv --config missing.yaml");
  EXPECT_EQ(r.code, 2);
  r = Tg("canary judge --baseline base.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "l.db")) << "nothing may be recorded for rejected input";
}

}  // namespace
