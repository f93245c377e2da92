// Fuzzes the SLO spec reader and rule generator, the SLI CSV reader and the
// canary config and sample readers: any input yields a value or an Error,
// never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "canary/canary.h"
#include "slo/slo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = tollgate::slo::ParseSpec(text, "fuzz.yaml");
  if (spec) (void)tollgate::slo::GenerateRules(spec->slos, tollgate::slo::RulesOptions{});
  (void)tollgate::slo::ParseAlertWindows(text, "windows.yaml");
  auto csv = tollgate::slo::ParseSamplesCsv(text, "fuzz.csv");
  if (csv && spec)
    (void)tollgate::slo::ComputeBudget(spec->slos[0], tollgate::slo::Period{}, *csv, csv->back().time);
  (void)tollgate::canary::ParseJudgeConfig(text, "judge.yaml");
  auto samples = tollgate::canary::ParseSamples(text, "samples.csv");
  if (samples && !samples->empty()) {
    const auto& v = samples->begin()->second;
    if (!v.empty() && v.size() < 200) {
      (void)tollgate::canary::MannWhitneyU(v, v);
      (void)tollgate::canary::HodgesLehmann(v, v, 0.95);
    }
  }
  return 0;
}
