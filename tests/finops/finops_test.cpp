// finops: prices of Terraform plan changes from a price book. Every expected
// amount is worked out by hand from the price book below (730 hours a month).
#include <gtest/gtest.h>

#include "finops/finops.h"

namespace tollgate::finops {
namespace {

constexpr const char* kBook = R"(version: 1
currency: USD
default_region: us-east-1
regions:
  us-east-1:
    ec2:
      m5.large: 0.096
      m5.2xlarge: 0.384
      t3.micro: { linux: 0.0104, windows: 0.0196 }
    ebs:
      gp2: 0.10
      gp3: { gb_month: 0.08, iops_month: 0.005, throughput_month: 0.04 }
      io1: { gb_month: 0.125, iops_month: 0.065 }
    rds:
      db.t3.medium: { single_az: 0.068, multi_az: 0.136 }
    rds_storage:
      gp2: { single_az: 0.115, multi_az: 0.23 }
    s3: { standard: 0.023, glacier_deep_archive: 0.00099 }
    nat_gateway: { hour: 0.045, gb_processed: 0.045 }
    load_balancer: { application: 0.0225 }
    eks_cluster: { hour: 0.10 }
    lambda: { requests_per_million: 0.20, gb_second: 0.0000166667 }
)";

PriceBook Book(const std::string& extra = "") {
  auto b = ParsePriceBook(std::string(kBook) + extra, "prices.yaml");
  EXPECT_TRUE(b) << (b ? "" : b.error().message());
  return b ? *b : PriceBook{};
}

Usage UsageOf(const std::string& yaml) {
  auto u = ParseUsage(yaml, "usage.yml");
  EXPECT_TRUE(u) << (u ? "" : u.error().message());
  return u ? *u : Usage{};
}

// A plan with one resource change.
std::string PlanOf(const std::string& address, const std::string& actions, const std::string& before,
                   const std::string& after) {
  const std::string type = address.substr(0, address.find('.'));
  return R"({"format_version":"1.2","resource_changes":[{"address":")" + address + R"(","mode":"managed","type":")" +
         type + R"(","name":"x","change":{"actions":)" + actions + R"(,"before":)" + before + R"(,"after":)" + after +
         "}}]}";
}

CostDiff Diff(const std::string& plan_text, const PriceBook& book, const Usage& usage = {}) {
  auto plan = ParsePlan(plan_text, "plan.json");
  EXPECT_TRUE(plan) << (plan ? "" : plan.error().message());
  if (!plan) return {};
  auto d = PriceDiff(*plan, book, usage);
  EXPECT_TRUE(d) << (d ? "" : d.error().message());
  return d ? *d : CostDiff{};
}

std::string Text(const std::optional<Decimal>& d) { return d ? d->ToString() : "null"; }

TEST(FinopsDecimal, ExactArithmetic) {
  auto a = Decimal::Parse("0.1"), b = Decimal::Parse("0.2");
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a + *b).ToString(), "0.3");
  EXPECT_EQ(Decimal::FromInt(730).Times(*Decimal::Parse("0.096"))->ToString(), "70.08");
  EXPECT_EQ(Decimal::Parse("2e-7")->ToString(), "0.0000002");
  EXPECT_EQ(Decimal::Parse("1.5E3")->ToString(), "1500");
  EXPECT_EQ(Decimal::Parse("-12.50")->ToString(), "-12.5");
  EXPECT_EQ(Decimal::Parse("56.064")->Fixed(2), "56.06");
  EXPECT_EQ(Decimal::Parse("0.005")->Fixed(2), "0.01");
  EXPECT_EQ(Decimal::Parse("0")->ToString(), "0");
  for (const char* bad : {"", "-", "abc", "1.2.3", "+1", "1e", "0x10", "1 ", "1e999", "1000000000000000"})
    EXPECT_FALSE(Decimal::Parse(bad)) << bad;
}

TEST(FinopsDiff, CreatePricesTheAfterSide) {
  auto d = Diff(PlanOf("aws_instance.web", R"(["create"])", "null", R"({"instance_type":"m5.large"})"), Book());
  ASSERT_EQ(d.now.resources.size(), 1u);
  EXPECT_TRUE(d.past.resources.empty());
  const auto& c = d.now.resources[0].components.at(0);
  EXPECT_EQ(c.name, "Instance usage (Linux/UNIX, on-demand, m5.large)");
  EXPECT_EQ(c.unit, "hours");
  EXPECT_EQ(Text(c.monthly_quantity), "730");
  EXPECT_EQ(Text(c.price), "0.096");
  EXPECT_EQ(Text(c.monthly_cost), "70.08");  // 730 x 0.096
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "70.08");
  EXPECT_EQ(d.past.total_monthly_cost.ToString(), "0");
  EXPECT_EQ(d.diff.total_monthly_cost.ToString(), "70.08");
}

TEST(FinopsDiff, UpdateOfTheInstanceType) {
  auto d = Diff(PlanOf("aws_instance.web", R"(["update"])", R"({"instance_type":"m5.large"})",
                       R"({"instance_type":"m5.2xlarge"})"),
                Book());
  EXPECT_EQ(d.past.total_monthly_cost.ToString(), "70.08");   // 730 x 0.096
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "280.32");   // 730 x 0.384
  EXPECT_EQ(d.diff.total_monthly_cost.ToString(), "210.24");  // 280.32 - 70.08
  ASSERT_EQ(d.diff.resources.size(), 1u);
  EXPECT_EQ(Text(d.diff.resources[0].monthly_cost), "210.24");
  EXPECT_EQ(d.diff.resources[0].components.size(), 2u);  // the m5.2xlarge line and the m5.large line
}

TEST(FinopsDiff, DeletePricesTheBeforeSide) {
  auto d = Diff(PlanOf("aws_instance.web", R"(["delete"])", R"({"instance_type":"m5.large"})", "null"), Book());
  EXPECT_TRUE(d.now.resources.empty());
  EXPECT_EQ(d.past.total_monthly_cost.ToString(), "70.08");
  EXPECT_EQ(d.diff.total_monthly_cost.ToString(), "-70.08");
}

TEST(FinopsDiff, ReplaceIsDeleteThenCreate) {
  for (const char* actions : {R"(["delete","create"])", R"(["create","delete"])"}) {
    auto d = Diff(PlanOf("aws_instance.web", actions, R"({"instance_type":"m5.large"})", R"({"instance_type":"m5.2xlarge"})"),
                  Book());
    EXPECT_EQ(d.past.total_monthly_cost.ToString(), "70.08") << actions;
    EXPECT_EQ(d.now.total_monthly_cost.ToString(), "280.32") << actions;
    EXPECT_EQ(d.diff.total_monthly_cost.ToString(), "210.24") << actions;
  }
}

TEST(FinopsDiff, NoOpCostsTheSameOnBothSides) {
  auto d = Diff(PlanOf("aws_instance.web", R"(["no-op"])", R"({"instance_type":"m5.large"})", R"({"instance_type":"m5.large"})"),
                Book());
  EXPECT_EQ(d.past.total_monthly_cost.ToString(), "70.08");
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "70.08");
  EXPECT_EQ(d.diff.total_monthly_cost.ToString(), "0");
  EXPECT_TRUE(d.diff.resources.empty());
}

TEST(FinopsDiff, VolumesRootDevicesAndProvisionedIops) {
  // gp3: 100 GB x 0.08 = 8; (4000 - 3000 included) IOPS x 0.005 = 5; (250 - 125 included) MBps x 0.04 = 5.
  auto d = Diff(PlanOf("aws_ebs_volume.data", R"(["create"])", "null",
                       R"({"type":"gp3","size":100,"iops":4000,"throughput":250})"),
                Book());
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "18");
  // io1: 50 GB x 0.125 = 6.25; 1000 IOPS x 0.065 = 65.
  d = Diff(PlanOf("aws_ebs_volume.data", R"(["create"])", "null", R"({"type":"io1","size":50,"iops":1000})"), Book());
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "71.25");
  // m5.large 70.08 + root gp2 20 GB x 0.10 = 2.
  d = Diff(PlanOf("aws_instance.web", R"(["create"])", "null",
                  R"({"instance_type":"m5.large","root_block_device":[{"volume_type":"gp2","volume_size":20}]})"),
           Book());
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "72.08");
  ASSERT_EQ(d.now.resources[0].components.size(), 2u);
  EXPECT_EQ(d.now.resources[0].components[1].name, "root_block_device: Storage (gp2)");
}

TEST(FinopsDiff, DatabaseMultiAzAndStorage) {
  // 730 x 0.136 = 99.28; 20 GB x 0.23 = 4.6.
  auto d = Diff(PlanOf("aws_db_instance.db", R"(["create"])", "null",
                       R"({"instance_class":"db.t3.medium","multi_az":true,"allocated_storage":20})"),
                Book());
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "103.88");
  EXPECT_EQ(d.now.resources[0].components[0].name, "Database instance (on-demand, Multi-AZ, db.t3.medium)");
}

TEST(FinopsDiff, NatGatewayLoadBalancerAndEks) {
  auto d = Diff(PlanOf("aws_nat_gateway.nat", R"(["create"])", "null", "{}"), Book());
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "32.85");  // 730 x 0.045; data processed unknown
  d = Diff(PlanOf("aws_lb.api", R"(["create"])", "null", R"({"load_balancer_type":"application"})"), Book());
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "16.425");  // 730 x 0.0225
  d = Diff(PlanOf("aws_eks_cluster.main", R"(["create"])", "null", "{}"), Book());
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "73");  // 730 x 0.10
}

TEST(FinopsDiff, UsageBasedWithoutUsageIsNullNeverZero) {
  auto d = Diff(PlanOf("aws_lambda_function.f", R"(["create"])", "null", R"({"memory_size":1024})"), Book());
  ASSERT_EQ(d.now.resources.size(), 1u);
  const auto& r = d.now.resources[0];
  EXPECT_FALSE(r.monthly_cost);
  ASSERT_EQ(r.components.size(), 2u);
  for (const auto& c : r.components) {
    EXPECT_TRUE(c.usage_based);
    EXPECT_FALSE(c.monthly_quantity) << c.name;
    EXPECT_FALSE(c.monthly_cost) << c.name;
    EXPECT_FALSE(c.price_not_found) << c.name;
  }
  EXPECT_EQ(d.summary.usage_based, 1);
  const Json j = ToInfracostJson(d);
  const Json& c = j["projects"][0]["breakdown"]["resources"][0]["costComponents"][0];
  EXPECT_TRUE(c["monthlyQuantity"].is_null());
  EXPECT_TRUE(c["monthlyCost"].is_null());
  EXPECT_EQ(c["price"], "0.2");

  d = Diff(PlanOf("aws_s3_bucket.b", R"(["create"])", "null", "{}"), Book());
  EXPECT_FALSE(d.now.resources.at(0).monthly_cost);
}

TEST(FinopsDiff, UsageBasedWithUsage) {
  // 2,000,000 requests = 2 x 0.20 = 0.4; 2,000,000 x 0.5 s x 1 GB = 1,000,000 GB-s x 0.0000166667 = 16.6667.
  const Usage usage = UsageOf(R"(version: 0.1
resource_usage:
  aws_lambda_function.f: { monthly_requests: 2000000, request_duration_ms: 500 }
  aws_nat_gateway.nat: { monthly_data_processed_gb: 100 }
  aws_s3_bucket.b:
    standard: { storage_gb: 1000 }
    glacier_deep_archive: { storage_gb: 10000 }
)");
  auto d = Diff(PlanOf("aws_lambda_function.f", R"(["create"])", "null", R"({"memory_size":1024})"), Book(), usage);
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "17.0667");
  EXPECT_EQ(Text(d.now.resources[0].components[1].monthly_quantity), "1000000");
  d = Diff(PlanOf("aws_nat_gateway.nat", R"(["create"])", "null", "{}"), Book(), usage);
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "37.35");  // 32.85 + 100 x 0.045
  d = Diff(PlanOf("aws_s3_bucket.b", R"(["create"])", "null", "{}"), Book(), usage);
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "32.9");  // 1000 x 0.023 + 10000 x 0.00099
}

TEST(FinopsUsage, InfracostFilesWithOtherResourcesAreRead) {
  const Usage usage = UsageOf(R"(version: 0.1
resource_type_default_usage:
  aws_lambda_function: { monthly_requests: 1 }
resource_usage:
  aws_cloudfront_distribution.cdn:
    monthly_data_transfer_to_internet_gb: { us: 100, europe: 50 }
    custom_ssl_certificates: [1, 2]
  aws_nat_gateway.nat: { monthly_data_processed_gb: 12.5 }
)");
  ASSERT_NE(usage.Find("aws_nat_gateway.nat", "monthly_data_processed_gb"), nullptr);
  EXPECT_EQ(usage.Find("aws_nat_gateway.nat", "monthly_data_processed_gb")->ToString(), "12.5");
  EXPECT_EQ(usage.Find("aws_cloudfront_distribution.cdn", "monthly_data_transfer_to_internet_gb.europe")->ToString(), "50");
  auto bad = ParseUsage("resource_usage:\n  aws_nat_gateway.nat: { monthly_data_processed_gb: -1 }\n", "usage.yml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("usage.yml:2:"), std::string::npos) << bad.error().message();
  bad = ParseUsage("resource_usage: {}\nresources: {}\n", "usage.yml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("unknown key 'resources'"), std::string::npos) << bad.error().message();
}

TEST(FinopsDiff, OperatingSystemFromTheUsageFile) {
  const Usage usage = UsageOf("resource_usage:\n  aws_instance.w: { operating_system: windows }\n");
  auto d = Diff(PlanOf("aws_instance.w", R"(["create"])", "null", R"({"instance_type":"t3.micro"})"), Book(), usage);
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "14.308");  // 730 x 0.0196
}

TEST(FinopsDiff, PriceNotFoundIsListedAndCountedNeverZero) {
  auto d = Diff(PlanOf("aws_instance.big", R"(["create"])", "null", R"({"instance_type":"m5.4xlarge"})"), Book());
  ASSERT_EQ(d.now.resources.size(), 1u);
  EXPECT_TRUE(d.now.resources[0].price_not_found);
  EXPECT_TRUE(d.now.resources[0].components[0].price_not_found);
  EXPECT_FALSE(d.now.resources[0].monthly_cost);
  EXPECT_EQ(d.summary.price_not_found, 1);
  const Json j = ToInfracostJson(d);
  EXPECT_EQ(j["projects"][0]["breakdown"]["resources"][0]["priceNotFound"], true);
  EXPECT_TRUE(j["projects"][0]["breakdown"]["resources"][0]["monthlyCost"].is_null());
  EXPECT_EQ(j["summary"]["totalPriceNotFoundResources"], 1);
  EXPECT_NE(ToText(d).find("price not found"), std::string::npos);

  // A type Tollgate does not price: listed, flagged, counted.
  d = Diff(PlanOf("aws_kms_key.k", R"(["create"])", "null", "{}"), Book());
  ASSERT_EQ(d.now.resources.size(), 1u);
  EXPECT_TRUE(d.now.resources[0].unsupported);
  EXPECT_TRUE(d.now.resources[0].price_not_found);
  EXPECT_EQ(d.summary.unsupported, 1);
  EXPECT_EQ(d.summary.unsupported_counts.at("aws_kms_key"), 1);

  // A region the book has no prices for.
  d = Diff(R"({"format_version":"1.2","resource_changes":[{"address":"aws_eks_cluster.c","type":"aws_eks_cluster",
    "change":{"actions":["create"],"before":null,"after":{}}}],
    "configuration":{"provider_config":{"aws":{"expressions":{"region":{"constant_value":"ap-south-2"}}}}}})",
           Book());
  EXPECT_EQ(d.region, "ap-south-2");
  EXPECT_TRUE(d.now.resources.at(0).price_not_found);
}

TEST(FinopsDiff, DiscountsMostSpecificWins) {
  const PriceBook book = Book(R"(discounts:
  - { kind: ec2, percent: 10 }
  - { kind: ec2, family: m5, percent: 20 }
)");
  // m5: 0.096 x 0.8 = 0.0768; x 730 = 56.064.
  auto d = Diff(PlanOf("aws_instance.web", R"(["create"])", "null", R"({"instance_type":"m5.large"})"), book);
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "56.064");
  EXPECT_EQ(Text(d.now.resources[0].components[0].price), "0.0768");
  EXPECT_NE(d.now.resources[0].components[0].name.find("20% discount"), std::string::npos);
  // t3: 0.0104 x 0.9 = 0.00936; x 730 = 6.8328.
  d = Diff(PlanOf("aws_instance.small", R"(["create"])", "null", R"({"instance_type":"t3.micro"})"), book);
  EXPECT_EQ(d.now.total_monthly_cost.ToString(), "6.8328");
}

TEST(FinopsDiff, JsonFollowsInfracostNames) {
  auto d = Diff(PlanOf("aws_instance.web", R"(["update"])", R"({"instance_type":"m5.large"})",
                       R"({"instance_type":"m5.2xlarge"})"),
                Book());
  const Json j = ToInfracostJson(d);
  EXPECT_EQ(j["version"], "0.2");
  EXPECT_EQ(j["currency"], "USD");
  EXPECT_EQ(j["totalMonthlyCost"], "280.32");
  EXPECT_EQ(j["pastTotalMonthlyCost"], "70.08");
  EXPECT_EQ(j["diffTotalMonthlyCost"], "210.24");
  const Json& p = j["projects"][0];
  EXPECT_EQ(p["name"], "plan.json");
  EXPECT_EQ(p["breakdown"]["totalMonthlyCost"], "280.32");
  EXPECT_EQ(p["pastBreakdown"]["totalMonthlyCost"], "70.08");
  EXPECT_EQ(p["diff"]["totalMonthlyCost"], "210.24");
  const Json& r = p["breakdown"]["resources"][0];
  EXPECT_EQ(r["name"], "aws_instance.web");
  EXPECT_EQ(r["resourceType"], "aws_instance");
  EXPECT_EQ(r["monthlyCost"], "280.32");
  const Json& c = r["costComponents"][0];
  for (const char* key : {"name", "unit", "hourlyQuantity", "monthlyQuantity", "price", "hourlyCost", "monthlyCost"})
    EXPECT_TRUE(c.contains(key)) << key;
  EXPECT_EQ(c["hourlyQuantity"], "1");
  EXPECT_EQ(c["hourlyCost"], "0.384");
  EXPECT_EQ(j["summary"]["totalDetectedResources"], 1);
  EXPECT_EQ(j["summary"]["totalSupportedResources"], 1);
}

TEST(FinopsPlan, BadPlansNameTheFile) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"not json", "plan.json:"},
      {R"({"format_version":"2.0","resource_changes":[]})", "unsupported plan format_version \"2.0\""},
      {R"({"resource_changes":[]})", "no format_version"},
      {R"({"format_version":"1.2","resource_changes":{}})", "resource_changes must be an array"},
      {R"([1,2])", "not a Terraform plan"},
  };
  for (const auto& c : cases) {
    auto p = ParsePlan(c.text, "plan.json");
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().code(), ErrorCode::kInput);
    EXPECT_NE(p.error().message().find("plan.json"), std::string::npos) << p.error().message();
    EXPECT_NE(p.error().message().find(c.says), std::string::npos) << p.error().message();
    EXPECT_EQ(p.error().message().find('\n'), std::string::npos);
  }
  EXPECT_TRUE(ParsePlan(R"({"format_version":"0.1"})", "plan.json"));
}

TEST(FinopsPriceBook, BadBooksNameFileLineAndProblem) {
  struct Case {
    std::string text;
    const char* says;
  } cases[] = {
      {"version: 1\ncurrency: USD\ncurrency: EUR\nregions: {}\n", "prices.yaml:3:"},
      {"version: 1\ncurrency: USD\nregions: {}\ncolour: blue\n", "prices.yaml:4:1: unknown key 'colour'"},
      {"version: 1\ncurrency: USD\nregions:\n  us-east-1:\n    ec2: { m5.large: -0.096 }\n", "negative price"},
      {"version: 1\ncurrency: USD\nregions:\n  us-east-1:\n    ec2: { m5.large: \"0.096\" }\n", "must be a number"},
      {"version: 1\ncurrency: USD\nregions:\n  us-east-1:\n    ebs: { gp3: { gb: 0.08 } }\n", "unknown key 'gb'"},
      {"version: 1\ncurrency: USD\nregions: {}\ndiscounts: [{ kind: ec2, percent: 120 }]\n", "between 0 and 100"},
      {"version: 2\ncurrency: USD\nregions: {}\n", "unsupported price book version"},
  };
  for (const auto& c : cases) {
    auto b = ParsePriceBook(c.text, "prices.yaml");
    ASSERT_FALSE(b) << c.text;
    EXPECT_EQ(b.error().code(), ErrorCode::kInput);
    EXPECT_NE(b.error().message().find("prices.yaml:"), std::string::npos) << b.error().message();
    EXPECT_NE(b.error().message().find(c.says), std::string::npos) << b.error().message();
  }
}

}  // namespace
}  // namespace tollgate::finops
