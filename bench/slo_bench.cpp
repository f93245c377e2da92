// Google Benchmark suite for SLO rules and budgets and the canary statistics.
// Each figure has a named baseline: the irreducible work of the same size
// (summing the samples, sorting the values), so the ratio shows our overhead.
//   build/release/bench/slo_bench
#include <algorithm>
#include <random>

#include <benchmark/benchmark.h>

#include "canary/canary.h"
#include "slo/slo.h"

namespace {

using namespace tollgate;

slo::Slo MakeSlo(int i) {
  auto spec = slo::ParseSpec(*slo::TemplateSpec("payments", "svc" + std::to_string(i)), "bench");
  return spec->slos[0];
}

void BM_GenerateRules_1000Slos(benchmark::State& state) {
  std::vector<slo::Slo> slos;
  for (int i = 0; i < 1000; ++i) slos.push_back(MakeSlo(i));
  for (auto _ : state) {
    auto r = slo::GenerateRules(slos, slo::RulesOptions{});
    benchmark::DoNotOptimize(r->size());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_GenerateRules_1000Slos)->Unit(benchmark::kMillisecond);

// One year of 5-minute samples (105,120), budget evaluated over 30 days.
std::vector<slo::Sample> YearOfSamples() {
  std::vector<slo::Sample> s;
  TimePoint t = *ParseRfc3339("2026-01-01T00:00:00Z");
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> bad(0, 3);
  for (int i = 0; i < 365 * 288; ++i) {
    t += std::chrono::minutes(5);
    s.push_back(slo::Sample{t, 5000.0 - bad(rng), 5000});
  }
  return s;
}

void BM_ComputeBudget_Year5m(benchmark::State& state) {
  auto samples = YearOfSamples();
  slo::Slo slo = MakeSlo(0);
  for (auto _ : state) {
    auto b = slo::ComputeBudget(slo, slo::Period{}, samples, samples.back().time);
    benchmark::DoNotOptimize(b.remaining);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
}
BENCHMARK(BM_ComputeBudget_Year5m)->Unit(benchmark::kMillisecond);

void BM_Baseline_SumSamples(benchmark::State& state) {
  auto samples = YearOfSamples();
  for (auto _ : state) {
    double total = 0, good = 0;
    for (const auto& s : samples) {
      total += s.total;
      good += s.good;
    }
    benchmark::DoNotOptimize(total + good);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(samples.size()));
}
BENCHMARK(BM_Baseline_SumSamples)->Unit(benchmark::kMillisecond);

std::vector<double> Normal(std::size_t n, double mean, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(mean, 10);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void BM_MannWhitney_1000x1000(benchmark::State& state) {
  auto x = Normal(1000, 100, 1), y = Normal(1000, 101, 2);
  for (auto _ : state) benchmark::DoNotOptimize(canary::MannWhitneyU(x, y)->p_value);
}
BENCHMARK(BM_MannWhitney_1000x1000)->Unit(benchmark::kMicrosecond);

void BM_Baseline_Sort2000(benchmark::State& state) {
  auto x = Normal(2000, 100, 1);
  for (auto _ : state) {
    auto v = x;
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
  }
}
BENCHMARK(BM_Baseline_Sort2000)->Unit(benchmark::kMicrosecond);

void BM_HodgesLehmann_1000x1000(benchmark::State& state) {
  auto x = Normal(1000, 100, 1), y = Normal(1000, 101, 2);
  for (auto _ : state) benchmark::DoNotOptimize(canary::HodgesLehmann(x, y, 0.95)->estimate);
}
BENCHMARK(BM_HodgesLehmann_1000x1000)->Unit(benchmark::kMillisecond);

void BM_Baseline_Sort1M(benchmark::State& state) {
  auto x = Normal(1000000, 0, 3);
  for (auto _ : state) {
    auto v = x;
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
  }
}
BENCHMARK(BM_Baseline_Sort1M)->Unit(benchmark::kMillisecond);

void BM_MannWhitneyExact_8x2500(benchmark::State& state) {
  auto x = Normal(8, 100, 1), y = Normal(2500, 101, 2);
  for (auto _ : state) benchmark::DoNotOptimize(canary::MannWhitneyU(x, y)->p_value);
}
BENCHMARK(BM_MannWhitneyExact_8x2500)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
