// tollgate cost diff over a generated Terraform plan of 5,000 resources
// (issue 19: goal under 200 ms), against a named baseline in the same run:
// parsing the same plan text with nlohmann::json alone. The ratio printed at
// the end is what pricing adds on top of reading the JSON.
#include <benchmark/benchmark.h>

#include <iostream>
#include <map>
#include <string>

#include "finops/finops.h"

namespace {

using tollgate::Json;
namespace finops = tollgate::finops;

constexpr int kResources = 5000;

constexpr const char* kBook = R"(version: 1
currency: USD
default_region: eu-west-1
regions:
  eu-west-1:
    ec2: { m5.large: 0.10, m5.xlarge: 0.20, m5.2xlarge: 0.40, t3.medium: 0.045 }
    ebs: { gp2: 0.10, gp3: { gb_month: 0.08, iops_month: 0.005, throughput_month: 0.04 } }
    rds: { db.t3.medium: { single_az: 0.08, multi_az: 0.16 } }
    rds_storage: { gp2: { single_az: 0.12, multi_az: 0.24 } }
    s3: { standard: 0.023 }
    nat_gateway: { hour: 0.05, gb_processed: 0.05 }
    load_balancer: { application: 0.025 }
    eks_cluster: { hour: 0.10 }
    lambda: { requests_per_million: 0.20, gb_second: 0.0000166667 }
discounts:
  - { kind: ec2, family: m5, percent: 10 }
)";

// A plan whose resources cycle through every priced type, a free one and an
// unsupported one, with creates, updates, deletes and replacements.
std::string GeneratePlan() {
  const char* types[] = {"m5.large", "m5.xlarge", "m5.2xlarge", "t3.medium"};
  Json changes = Json::array();
  for (int i = 0; i < kResources; ++i) {
    const std::string n = std::to_string(i);
    Json before, after;
    std::string type;
    switch (i % 8) {
      case 0:
      case 1:
        type = "aws_instance";
        before = {{"instance_type", types[i % 4]}, {"root_block_device", {{{"volume_type", "gp3"}, {"volume_size", 30}}}}};
        after = {{"instance_type", types[(i + 1) % 4]}, {"root_block_device", {{{"volume_type", "gp3"}, {"volume_size", 50}}}}};
        break;
      case 2:
        type = "aws_ebs_volume";
        after = {{"type", "gp3"}, {"size", 100 + i % 400}, {"iops", 4000}, {"throughput", 250}};
        break;
      case 3:
        type = "aws_db_instance";
        before = {{"instance_class", "db.t3.medium"}, {"allocated_storage", 50}, {"multi_az", false}};
        after = {{"instance_class", "db.t3.medium"}, {"allocated_storage", 100}, {"multi_az", true}};
        break;
      case 4:
        type = "aws_nat_gateway";
        before = Json::object();
        break;
      case 5:
        type = i % 16 == 5 ? "aws_lb" : "aws_eks_cluster";
        after = {{"load_balancer_type", "application"}};
        break;
      case 6:
        type = "aws_lambda_function";
        after = {{"memory_size", 512}};
        break;
      default:
        type = i % 16 == 7 ? "aws_security_group" : "aws_sqs_queue";
        before = after = {{"name", "q" + n}};
        break;
    }
    Json actions = before.is_null() ? Json{"create"} : after.is_null() ? Json{"delete"}
                   : i % 3 == 0     ? Json{"delete", "create"}
                                    : Json{"update"};
    changes.push_back({{"address", type + ".r" + n},
                       {"mode", "managed"},
                       {"type", type},
                       {"name", "r" + n},
                       {"change", {{"actions", actions}, {"before", before}, {"after", after}}}});
  }
  Json plan = {{"format_version", "1.2"},
               {"resource_changes", changes},
               {"configuration", {{"provider_config", {{"aws", {{"expressions", {{"region", {{"constant_value", "eu-west-1"}}}}}}}}}}}};
  return plan.dump();
}

const std::string& PlanText() {
  static const std::string text = GeneratePlan();
  return text;
}

const finops::PriceBook& Book() {
  static const finops::PriceBook book = *finops::ParsePriceBook(kBook, "prices.yaml");
  return book;
}

// Baseline: reading the plan's JSON and nothing else.
void BM_Baseline_ParsePlanJson(benchmark::State& state) {
  for (auto _ : state) {
    Json j = Json::parse(PlanText());
    benchmark::DoNotOptimize(j);
  }
  state.SetItemsProcessed(state.iterations() * kResources);
}
BENCHMARK(BM_Baseline_ParsePlanJson)->Unit(benchmark::kMillisecond);

// The strict plan reader alone (core ParseJson: duplicate keys, UTF-8, depth).
void BM_ParsePlan_Strict(benchmark::State& state) {
  for (auto _ : state) {
    auto plan = finops::ParsePlan(PlanText(), "plan.json");
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * kResources);
}
BENCHMARK(BM_ParsePlan_Strict)->Unit(benchmark::kMillisecond);

// What `tollgate cost diff --format json` does after reading the files:
// parse and check the plan, price before and after, build the JSON output.
void BM_CostDiff_5000Resources(benchmark::State& state) {
  const finops::Usage usage;
  for (auto _ : state) {
    auto plan = finops::ParsePlan(PlanText(), "plan.json");
    auto diff = finops::PriceDiff(*plan, Book(), usage);
    Json out = finops::ToInfracostJson(*diff);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * kResources);
}
BENCHMARK(BM_CostDiff_5000Resources)->Unit(benchmark::kMillisecond);

// Console output as usual, and the mean real time of each benchmark kept for the ratio.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration) ms_[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> ms_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  {  // the generated plan must price cleanly, or the figure means nothing
    auto plan = finops::ParsePlan(PlanText(), "plan.json");
    if (!plan || !finops::PriceDiff(*plan, Book(), {})) {
      std::cerr << "finops_bench: the generated plan does not price\n";
      return 1;
    }
  }
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto base = reporter.ms_.find("BM_Baseline_ParsePlanJson");
  const auto cost = reporter.ms_.find("BM_CostDiff_5000Resources");
  if (base != reporter.ms_.end() && cost != reporter.ms_.end() && base->second > 0) {
    std::cout << "cost diff of " << kResources << " resources: " << cost->second << " ms (goal < 200 ms), "
              << cost->second / base->second << "x the JSON parse alone (" << base->second << " ms)\n";
  }
  benchmark::Shutdown();
  return 0;
}
