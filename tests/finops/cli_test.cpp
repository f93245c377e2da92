// tollgate cost diff end to end: the bundled example and exit codes.
#include <nlohmann/json.hpp>

#include "support/cli_harness.h"

namespace tollgate::testing {
namespace {

class FinopsCli : public CliHarness {
 protected:
  static std::string Example(const std::string& rel) {
    return "'" + std::string(TOLLGATE_SOURCE_DIR) + "/examples/payments-api/" + rel + "'";
  }
};

TEST_F(FinopsCli, ExamplePlanJsonHasInfracostTotals) {
  auto r = Tg("cost diff " + Example("infra/plan.json") + " --prices " + Example("prices.yaml") + " --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"totalMonthlyCost", "pastTotalMonthlyCost", "diffTotalMonthlyCost", "projects"})
    EXPECT_TRUE(j.contains(key)) << key;
  // By hand from prices.yaml (m5 at 10% off, 730 h):
  //   aws_instance.api   before 0.09 x 730 = 65.70 + root gp3 30 GB x 0.08 = 2.40 -> 68.10
  //                      after  0.36 x 730 = 262.80 + 2.40                       -> 265.20
  //   aws_db_instance    before 0.08 x 730 = 58.40 + 50 GB x 0.12 = 6   -> 64.40
  //                      after  58.40 + 100 GB x 0.12 = 12              -> 70.40
  //   aws_ebs_volume     200 GB x 0.08 = 16 + 1000 IOPS x 0.005 = 5     -> 21
  //   aws_nat_gateway    0.05 x 730 = 36.50 (data processed: no usage)
  //   aws_lb             0.025 x 730 = 18.25
  EXPECT_EQ(j["pastTotalMonthlyCost"], "132.5");
  EXPECT_EQ(j["totalMonthlyCost"], "411.35");
  EXPECT_EQ(j["diffTotalMonthlyCost"], "278.85");
  EXPECT_EQ(j["summary"]["totalUnsupportedResources"], 1);  // aws_kms_key
  EXPECT_EQ(j["summary"]["totalPriceNotFoundResources"], 1);
  EXPECT_EQ(j["summary"]["totalNoPriceResources"], 1);  // aws_vpc

  // With the usage file: 200 GB processed x 0.05 = 10 more.
  r = Tg("cost diff " + Example("infra/plan.json") + " --prices " + Example("prices.yaml") + " --usage " +
         Example("infra/infracost-usage.yml") + " --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["totalMonthlyCost"], "421.35");
}

TEST_F(FinopsCli, TextShowsTotalsAndProvenance) {
  auto r = Tg("cost diff " + Example("infra/plan.json") + " --prices " + Example("prices.yaml"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Monthly cost before: 132.50 USD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Monthly cost after:  411.35 USD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Monthly cost diff:   +278.85 USD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("prices.yaml (sha256 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aws_kms_key.statements  price not found"), std::string::npos) << r.out;
}

TEST_F(FinopsCli, BadInputIsExitTwoWithTheFileNamed) {
  const std::string prices = Example("prices.yaml");
  const std::string plan = Example("infra/plan.json");
  struct Case {
    std::string file, content, args, names;
  } cases[] = {
      {"notjson.json", "not json", "notjson.json --prices " + prices, "notjson.json"},
      {"v2.json", R"({"format_version":"2.0"})", "v2.json --prices " + prices, "v2.json"},
      {"rc.json", R"({"format_version":"1.2","resource_changes":{}})", "rc.json --prices " + prices, "rc.json"},
      {"dup.yaml", "version: 1\ncurrency: USD\ncurrency: EUR\nregions: {}\n", plan + " --prices dup.yaml", "dup.yaml:3:"},
      {"unknown.yaml", "version: 1\ncurrency: USD\nregions: {}\nextra: 1\n", plan + " --prices unknown.yaml",
       "unknown.yaml:4:"},
      {"neg.yaml", "version: 1\ncurrency: USD\nregions:\n  eu-west-1:\n    eks_cluster: { hour: -1 }\n",
       plan + " --prices neg.yaml", "neg.yaml:5:"},
      {"", "", "missing.json --prices " + prices, "missing.json"},
  };
  for (const auto& c : cases) {
    if (!c.file.empty()) Write(c.file, c.content);
    auto r = Tg("cost diff " + c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << r.err;
    EXPECT_EQ(Count(r.err, '\n'), 1u) << r.err;
  }
  auto r = Tg("cost diff " + plan + " --prices " + prices + " --format xml");
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace tollgate::testing
