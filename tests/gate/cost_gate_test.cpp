// The cost gate (`scanner: cost`, docs/finops.md "Cost gate"). Expected
// amounts are computed by hand from the small price book below.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "gate/config.h"
#include "gate/gate.h"
#include "support/cli_harness.h"
#include "support/temp_dir.h"

namespace tollgate::gate {
namespace {

// m5.large 0.10/h, m5.2xlarge 0.40/h, p4d.24xlarge 30/h (Linux).
const char* kPrices =
    "version: 1\ncurrency: USD\ndefault_region: eu-west-1\nregions:\n  eu-west-1:\n    ec2:\n"
    "      m5.large: 0.10\n      m5.2xlarge: 0.40\n      p4d.24xlarge: 30\n";

// One aws_instance changing from `before` to `after` (instance types), plus `extra` resource changes.
std::string Plan(const std::string& before, const std::string& after, const std::string& extra = "") {
  return R"({"format_version":"1.2","resource_changes":[{"address":"aws_instance.api","mode":"managed","type":"aws_instance","name":"api","change":{"actions":["update"],"before":{"instance_type":")" +
         before + R"("},"after":{"instance_type":")" + after + R"("}}})" + extra + "]}";
}

const char* kKms =
    R"(,{"address":"aws_kms_key.k","mode":"managed","type":"aws_kms_key","name":"k","change":{"actions":["create"],"before":null,"after":{}}})";

class CostGate : public ::testing::Test {
 protected:
  Result<Config> Load(const std::string& limits, const std::string& extra_keys = "") {
    dir_.Write("prices.yaml", kPrices);
    dir_.Write("tollgate.yaml", "version: 1\nservice: s\ngates:\n  cost:\n    scanner: cost\n    plan: plan.json\n"
                                "    prices: prices.yaml\n    bypass: [finops]\n" + extra_keys +
                                    (limits.empty() ? "" : "    limits: " + limits + "\n"));
    return LoadConfig(dir_ / "tollgate.yaml");
  }
  std::set<std::string> Rules(const std::string& plan, const std::string& limits, const std::string& extra = "") {
    dir_.Write("plan.json", plan);
    auto c = Load(limits, extra);
    EXPECT_TRUE(c) << c.error().message();
    if (!c) return {};
    auto s = CheckSources(*c);
    EXPECT_TRUE(s) << s.error().message();
    auto f = CollectFindings(c->gates[0], *c, dir_.path().string());
    EXPECT_TRUE(f) << f.error().message();
    std::set<std::string> out;
    if (f)
      for (const auto& x : *f) {
        out.insert(x.rule_id);
        EXPECT_EQ(x.location.file, "plan.json");
      }
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(CostGate, EachRuleBlocksOnlyOverItsLimit) {
  // m5.large -> m5.2xlarge: 73.00 -> 292.00 a month (730 h x 0.10, x 0.40): +219.00, +300%.
  const std::string up = Plan("m5.large", "m5.2xlarge");
  EXPECT_EQ(Rules(up, "{max_monthly_increase: 219}"), std::set<std::string>{});
  EXPECT_EQ(Rules(up, "{max_monthly_increase: 218.99}"), std::set<std::string>{"rego.tollgate.cost.deny_monthly_increase"});
  EXPECT_EQ(Rules(up, "{max_increase_percent: 300}"), std::set<std::string>{});
  EXPECT_EQ(Rules(up, "{max_increase_percent: 299}"), std::set<std::string>{"rego.tollgate.cost.deny_increase_percent"});
  EXPECT_EQ(Rules(up, "{max_resource_monthly: 292}"), std::set<std::string>{});
  EXPECT_EQ(Rules(up, "{max_resource_monthly: 291.5}"), std::set<std::string>{"rego.tollgate.cost.deny_resource_monthly"});
  EXPECT_EQ(Rules(Plan("m5.large", "p4d.24xlarge"), "{forbidden_instance_families: [p4d]}"),
            std::set<std::string>{"rego.tollgate.cost.deny_instance_family"});
  // No limits: nothing blocks a priced plan.
  EXPECT_EQ(Rules(up, ""), std::set<std::string>{});
  // A cheaper instance passes every limit.
  EXPECT_EQ(Rules(Plan("m5.2xlarge", "m5.large"), "{max_monthly_increase: 0, max_increase_percent: 0}"),
            std::set<std::string>{});
}

TEST_F(CostGate, UnpricedResourcesFailClosedUnlessAllowed) {
  const std::string plan = Plan("m5.large", "m5.large", kKms);
  EXPECT_EQ(Rules(plan, ""), std::set<std::string>{"rego.tollgate.cost.deny_unpriced"});
  EXPECT_EQ(Rules(plan, "{allow_unpriced: [aws_kms_key]}"), std::set<std::string>{});
  // An instance type missing from the price book is not zero either.
  EXPECT_EQ(Rules(Plan("m5.large", "c5.large"), ""), std::set<std::string>{"rego.tollgate.cost.deny_unpriced"});
}

TEST_F(CostGate, TeamRulesSeeTheCostDocument) {
  dir_.Write("rules/team.rego",
             "package team.cost\nimport rego.v1\n"
             "deny contains msg if { some r in input.resources; r.instance_family == \"m5\"; r.action == \"update\";"
             " msg := sprintf(\"%s: m5 is being retired\", [r.address]) }\n");
  EXPECT_EQ(Rules(Plan("m5.large", "m5.2xlarge"), "", "    rules: rules\n"), std::set<std::string>{"rego.team.cost.deny"});
}

TEST_F(CostGate, TheDecisionRecordsThePriceBookDigest) {
  dir_.Write("plan.json", Plan("m5.large", "m5.2xlarge"));
  auto c = Load("{max_monthly_increase: 100}");
  ASSERT_TRUE(c) << c.error().message();
  Json ev = SourceEvidence(c->gates[0]);
  // sha256sum of kPrices's bytes, computed outside Tollgate.
  EXPECT_EQ(ev["price_book"]["sha256"], "ab20b52545d474b7d8ff8830d0d7df3e4939a218c23b3646c3d51fb0ba369d87");
  EXPECT_EQ(ev["monthly_cost"]["before"], "73");
  EXPECT_EQ(ev["monthly_cost"]["after"], "292");
  EXPECT_EQ(ev["monthly_cost"]["diff"], "219");
}

TEST_F(CostGate, BadInputIsAnErrorNamingTheFile) {
  // Config: unknown limit, limit on another gate, missing prices.
  auto bad = Load("{max_monthly: 1}");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("tollgate.yaml:9:"), std::string::npos) << bad.error().message();
  dir_.Write("tollgate.yaml", "gates:\n  cost: { scanner: cost, plan: plan.json, bypass: none }\n");
  auto noprices = LoadConfig(dir_ / "tollgate.yaml");
  ASSERT_FALSE(noprices);
  EXPECT_NE(noprices.error().message().find("needs 'plan'"), std::string::npos);
  dir_.Write("tollgate.yaml", "gates:\n  s: { scanner: secrets, plan: plan.json, bypass: none }\n");
  EXPECT_FALSE(LoadConfig(dir_ / "tollgate.yaml"));

  auto check = [&](const std::string& file, const std::string& text, const std::string& expect,
                   const std::string& extra = "") {
    dir_.Write("plan.json", Plan("m5.large", "m5.2xlarge"));
    dir_.Write(file, text);
    auto c = Load("", extra);
    ASSERT_TRUE(c) << c.error().message();
    if (file == "prices.yaml") dir_.Write(file, text);  // Load wrote the good one
    auto s = CheckSources(*c);
    ASSERT_FALSE(s) << file;
    EXPECT_EQ(s.error().code(), ErrorCode::kInput);
    EXPECT_NE(s.error().message().find(expect), std::string::npos) << s.error().message();
  };
  check("plan.json", "{\"format_version\": \"9.0\", \"resource_changes\": []}", "plan.json");
  check("prices.yaml", "version: 1\ncurrency: USD\nregions:\n  eu-west-1:\n    ec2:\n      m5.large: -1\n",
        "prices.yaml:6:");
  check("rules/bad.rego", "package team\nimport rego.v1\ndeny contains x if { x := y }\n", "bad.rego:3:",
        "    rules: rules\n");
}

}  // namespace
}  // namespace tollgate::gate

namespace tollgate::gate {
namespace {

// Waivers of cost findings work as for any gate: a waiver signed by a holder
// of a bypass role accepts the finding; on a `bypass: none` gate it is refused.
class CostGateCli : public testing::CliHarness {
 protected:
  std::string Example(const std::string& bypass) {
    namespace fs = std::filesystem;
    const fs::path ex = dir_ / "payments-api";
    fs::copy(fs::path(TOLLGATE_SOURCE_DIR) / "examples" / "payments-api", ex, fs::copy_options::recursive);
    std::ofstream(ex / "tollgate-cost.yaml")
        << "version: 1\nservice: payments-api\ngates:\n  cost: { scanner: cost, plan: infra/plan.json, prices: prices.yaml,"
           " usage: infra/infracost-usage.yml, bypass: " << bypass
        << ", limits: { max_monthly_increase: 200, allow_unpriced: [aws_kms_key] } }\n";
    return ex.string();
  }
};

TEST_F(CostGateCli, AWaiverByABypassRoleAcceptsACostFinding) {
  const std::string ex = Example("[security]");
  const std::string gate = "gate '" + ex + "' --config '" + ex + "/tollgate-cost.yaml' --author 'Bob <bob@payments.example>' --commit c0ffee";
  auto blocked = Tg(gate + " --format json");
  ASSERT_EQ(blocked.code, 1) << blocked.out << blocked.err;
  const auto j = nlohmann::json::parse(blocked.out);
  ASSERT_EQ(j["findings"].size(), 1u);  // +288.85 over 200; nothing else is limited
  const std::string fp = j["findings"][0]["fingerprint"];
  auto w = Tg("waive --path '" + ex + "' --config '" + ex + "/tollgate-cost.yaml' --gate cost --finding " + fp +
              " --reason 'budget approved' --expires 2099-01-01 --key '" + ex + "/.tollgate/demo-keys/alice.key'");
  ASSERT_EQ(w.code, 0) << w.out << w.err;
  auto pass = Tg(gate);
  EXPECT_EQ(pass.code, 0) << pass.out << pass.err;
}

TEST_F(CostGateCli, AGateWithoutBypassRefusesWaivers) {
  const std::string ex = Example("none");
  auto blocked = Tg("gate '" + ex + "' --config '" + ex + "/tollgate-cost.yaml' --author 'Bob <bob@payments.example>' --commit c0ffee --format json");
  ASSERT_EQ(blocked.code, 1) << blocked.err;
  const std::string fp = nlohmann::json::parse(blocked.out)["findings"][0]["fingerprint"];
  auto w = Tg("waive --path '" + ex + "' --config '" + ex + "/tollgate-cost.yaml' --gate cost --finding " + fp +
              " --reason r --expires 2099-01-01 --key '" + ex + "/.tollgate/demo-keys/alice.key'");
  EXPECT_EQ(w.code, 2);
  EXPECT_NE(w.err.find("allows no bypass"), std::string::npos) << w.err;
}

}  // namespace
}  // namespace tollgate::gate
