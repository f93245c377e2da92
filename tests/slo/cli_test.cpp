// End-to-end: tollgate slo init|rules|budget and the error-budget gate
// (deploy freeze) through the binary: output shapes, exit codes, ledger.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using slotest::WriteFile;

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
)";

class SloCli : public ::testing::Test {
 protected:
  slotest::CmdResult Tg(const std::string& args) {
    return slotest::Run(dir_.path(), "TOLLGATE_LEDGER='" + (dir_ / "ledger.db").string() + "' TOLLGATE_LEDGER_KEY= '" +
                                         std::string(TOLLGATE_BINARY) + "' " + args);
  }
  // 100 hourly samples of 1000 requests; `bad` errors in the last hour.
  void Csv(const std::string& name, int bad) {
    std::string s = "time,good,total\n";
    for (int h = 0; h < 100; ++h) {
      char t[32];
      std::snprintf(t, sizeof t, "2026-03-%02dT%02d:00:00Z", 1 + h / 24, h % 24);
      s += std::string(t) + "," + std::to_string(h == 99 ? 1000 - bad : 1000) + ",1000\n";
    }
    WriteFile(dir_ / name, s);
  }
  slotest::TempDir dir_;
};

TEST_F(SloCli, RulesPrintsPrometheusRulesOrWritesAFile) {
  WriteFile(dir_ / "slo.yaml", kSpec);
  auto r = Tg("slo rules slo.yaml");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("groups:"), std::string::npos);
  EXPECT_NE(r.out.find("alert: ApiErrors"), std::string::npos);
  r = Tg("slo rules slo.yaml --period 28d -l team=pay --output out.yaml");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = slotest::ReadAll(dir_ / "out.yaml");
  EXPECT_NE(text.find("(13.44 * 0.001)"), std::string::npos);
  EXPECT_NE(text.find("team: \"pay\""), std::string::npos);
  if (slotest::HaveProgram("promtool")) {
    auto c = slotest::Run(dir_.path(), "promtool check rules out.yaml");
    EXPECT_EQ(c.code, 0) << c.out << c.err;
  }
}

TEST_F(SloCli, BadSpecsExitTwoWithFileAndLine) {
  std::string impossible = kSpec;
  impossible.replace(impossible.find("99.9"), 4, "100");
  WriteFile(dir_ / "bad.yaml", impossible);
  auto r = Tg("slo rules bad.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.yaml:5:16: impossible objective"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "nothing half-written";
  WriteFile(dir_ / "broken.yaml", "version: \"prometheus/v1\"\nslos: [\n");
  EXPECT_EQ(Tg("slo rules broken.yaml").code, 2);
  EXPECT_EQ(Tg("slo rules missing.yaml").code, 2);
  EXPECT_EQ(Tg("slo rules").code, 2);
  WriteFile(dir_ / "slo.yaml", kSpec);
  EXPECT_EQ(Tg("slo rules slo.yaml --period 3x").code, 2);
  EXPECT_EQ(Tg("slo rules slo.yaml --output out.yaml --windows nowhere.yaml").code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "out.yaml"));
}

TEST_F(SloCli, InitWritesEachTemplate) {
  auto r = Tg("slo init --list");
  ASSERT_EQ(r.code, 0);
  for (const char* t : {"payments", "login", "balance-api", "fraud-detection", "data-freshness"}) {
    EXPECT_NE(r.out.find(t), std::string::npos) << t;
    const std::string f = std::string(t) + ".yaml";
    auto w = Tg(std::string("slo init --template ") + t + " --service svc --output " + f);
    ASSERT_EQ(w.code, 0) << w.err;
    auto g = Tg("slo rules " + f);
    EXPECT_EQ(g.code, 0) << t << ": " << g.err;
  }
  EXPECT_EQ(Tg("slo init --template payments --output payments.yaml").code, 2) << "no silent overwrite";
  EXPECT_EQ(Tg("slo init --template gold").code, 2);
  EXPECT_EQ(Tg("slo init").code, 2);
}

TEST_F(SloCli, BudgetFromCsvTextAndJson) {
  WriteFile(dir_ / "slo.yaml", kSpec);
  Csv("data.csv", 20);
  auto r = Tg("slo budget --spec slo.yaml --data data.csv --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["error_budget"]["remaining"].get<double>(), 0.8, 1e-9);
  EXPECT_EQ(j["error_budget"]["exhausted"], false);
  EXPECT_EQ(j["time_to_exhaustion_seconds"], 103680);
  bool saw_1h = false;
  for (const auto& w : j["burn_rates"])
    if (w["window"] == "1h") {
      saw_1h = true;
      EXPECT_NEAR(w["burn_rate"].get<double>(), 20, 1e-9);
    }
  EXPECT_TRUE(saw_1h);
  r = Tg("slo budget --spec slo.yaml --data data.csv");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("80.00% remaining"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("time to exhaustion: 1d4h"), std::string::npos) << r.out;
}

TEST_F(SloCli, BudgetBadInputExitsTwo) {
  WriteFile(dir_ / "slo.yaml", kSpec);
  WriteFile(dir_ / "nan.csv", "time,good,total\n2026-03-01T00:00:00Z,NaN,10\n");
  auto r = Tg("slo budget --spec slo.yaml --data nan.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("nan.csv:2: good"), std::string::npos) << r.err;
  WriteFile(dir_ / "empty.csv", "");
  EXPECT_EQ(Tg("slo budget --spec slo.yaml --data empty.csv").code, 2);
  EXPECT_EQ(Tg("slo budget --spec slo.yaml").code, 2) << "needs --data or --prometheus";
  Csv("data.csv", 1);
  EXPECT_EQ(Tg("slo budget --spec slo.yaml --data data.csv --prometheus http://127.0.0.1:1").code, 2);
  EXPECT_EQ(Tg("slo budget --spec slo.yaml --data data.csv --slo nope").code, 2);
  EXPECT_EQ(Tg("slo budget --spec slo.yaml --prometheus https://example.invalid").code, 2);
}

// The deploy freeze: a gate of kind error-budget blocks while the budget is spent.
TEST_F(SloCli, ErrorBudgetGateFreezesDeploysAndIsRecorded) {
  fs::create_directories(dir_ / "repo" / "slo");
  std::string spec = kSpec;
  spec.replace(spec.find("slos:"), 5, "tollgate:\n  data: api.csv\nslos:");
  WriteFile(dir_ / "repo" / "slo" / "api.yaml", spec);
  WriteFile(dir_ / "repo" / "tollgate.yaml",
            "version: 1\nservice: api\ngates:\n"
            "  freeze: { slo: slo/api.yaml, fail_on: exhausted, bypass: [sre] }\n");
  Csv("repo/slo/api.csv", 20);  // 20% spent
  auto r = Tg("gate repo --commit abc --author 'A <a@x>' --format json");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  Csv("repo/slo/api.csv", 150);  // 150 errors: 150% spent
  r = Tg("gate repo --commit abc --author 'A <a@x>' --format json");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("error-budget-exhausted"), std::string::npos) << r.out;
  auto show = Tg("ledger show");
  EXPECT_NE(show.out.find("\"source\":\"slo: slo/api.yaml\""), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("\"decision\":\"blocked\""), std::string::npos);

  // burn-rate>X: 20 errors in the last hour burn at 20x (1h) and 3.3x (6h).
  Csv("repo/slo/api.csv", 20);
  WriteFile(dir_ / "repo" / "tollgate.yaml",
            "version: 1\nservice: api\ngates:\n"
            "  freeze: { slo: slo/api.yaml, fail_on: burn-rate>2, bypass: [sre] }\n");
  r = Tg("gate repo --commit abc --author 'A <a@x>'");
  EXPECT_EQ(r.code, 1) << r.out << r.err;

  // A spec without data is a configuration error, exit 2.
  WriteFile(dir_ / "repo" / "slo" / "api.yaml", kSpec);
  r = Tg("gate repo --commit abc --author 'A <a@x>'");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("tollgate: {data: FILE.csv}"), std::string::npos) << r.err;
  // So is a missing spec and a bad fail_on.
  WriteFile(dir_ / "repo" / "tollgate.yaml",
            "version: 1\nservice: api\ngates:\n  freeze: { slo: slo/none.yaml, fail_on: exhausted, bypass: [sre] }\n");
  EXPECT_EQ(Tg("gate repo --commit abc --author 'A <a@x>'").code, 2);
  WriteFile(dir_ / "repo" / "tollgate.yaml",
            "version: 1\nservice: api\ngates:\n  freeze: { slo: slo/api.yaml, fail_on: sometimes, bypass: [sre] }\n");
  EXPECT_EQ(Tg("gate repo --commit abc --author 'A <a@x>'").code, 2);
}

// A role named in the freeze's bypass may waive it (a reliability fix ships).
TEST_F(SloCli, BypassRoleWaivesTheFreeze) {
  fs::create_directories(dir_ / "repo" / "slo");
  fs::create_directories(dir_ / "repo" / ".tollgate");
  std::string spec = kSpec;
  spec.replace(spec.find("slos:"), 5, "tollgate:\n  data: api.csv\nslos:");
  WriteFile(dir_ / "repo" / "slo" / "api.yaml", spec);
  WriteFile(dir_ / "repo" / "tollgate.yaml",
            "version: 1\nservice: api\ngates:\n  freeze: { slo: slo/api.yaml, fail_on: exhausted, bypass: [sre] }\n");
  Csv("repo/slo/api.csv", 150);
  ASSERT_EQ(Tg("keys gen --out sam.key --name sam").code, 0);
  ASSERT_EQ(Tg("keys gen --out dev.key --name dev").code, 0);
  auto pub = [&](const char* f) {
    std::string k = slotest::ReadAll(dir_ / f);
    while (!k.empty() && k.back() == '\n') k.pop_back();
    return k;
  };
  WriteFile(dir_ / "repo" / ".tollgate" / "keys.yaml",
            "keys:\n  - {name: sam, email: sam@x, key: " + pub("sam.key.pub") + ", roles: [sre]}\n"
            "  - {name: dev, email: dev@x, key: " + pub("dev.key.pub") + ", roles: [developer]}\n");
  auto r = Tg("gate repo --commit abc --author 'A <a@x>' --format json");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  const std::string fp = j["findings"][0]["fingerprint"];
  const std::string waive = "waive --path repo --gate freeze --finding " + fp + " --reason 'hotfix PAY-9' --expires 2099-01-01 --key ";
  EXPECT_EQ(Tg(waive + "dev.key").code, 2) << "no sre role, no bypass";
  ASSERT_EQ(Tg(waive + "sam.key").code, 0);
  r = Tg("gate repo --commit abc --author 'A <a@x>'");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("waived"), std::string::npos) << r.out;
}

}  // namespace
