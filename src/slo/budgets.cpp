#include "slo/slo.h"

namespace tollgate::slo {

Result<std::vector<BudgetStatus>> Budgets(const BudgetRequest& req, TimePoint clock_now) {
  auto spec = LoadSpec(req.spec);
  if (!spec) return Fail(spec.error());
  std::string data = req.data, prom = req.prometheus;
  if (data.empty() && prom.empty()) {
    data = spec->source.data;
    prom = spec->source.prometheus;
  }
  if (data.empty() == prom.empty())
    return Fail(Error::Input("slo budget: give exactly one of --data FILE and --prometheus URL (or set tollgate.data in the spec)"));
  std::vector<const Slo*> chosen;
  for (const auto& s : spec->slos)
    if (req.slo.empty() || s.name == req.slo) chosen.push_back(&s);
  if (chosen.empty()) return Fail(Error::NotFound(req.spec + ": no SLO named '" + req.slo + "'"));
  std::vector<BudgetStatus> out;
  if (!data.empty()) {
    if (chosen.size() != 1)
      return Fail(Error::Input("slo budget: a CSV holds one SLI; the spec has " + std::to_string(chosen.size()) +
                               " SLOs: choose one with --slo NAME"));
    auto samples = LoadSamplesCsv(data);
    if (!samples) return Fail(samples.error());
    if (samples->empty()) return Fail(Error::Input(data + ": no samples"));
    const TimePoint now = req.at.value_or(samples->back().time);
    out.push_back(ComputeBudget(*chosen[0], chosen[0]->period.value_or(Period{}), *samples, now));
    return out;
  }
  const TimePoint now = req.at.value_or(clock_now);
  auto http = MakeHttpGetter();
  for (const auto* s : chosen) {
    const Period period = s->period.value_or(Period{});
    const TimePoint from = period.Start(now);
    Seconds step = DefaultStep(from, now);
    if (!req.step.empty()) {
      auto st = ParseDuration(req.step);
      if (!st) return Fail(st.error().WithContext("--step"));
      step = *st;
    }
    auto samples = QueryPrometheus(*http, prom, *s, from, now, step);
    if (!samples) return Fail(samples.error());
    out.push_back(ComputeBudget(*s, period, *samples, now));
  }
  return out;
}

}  // namespace tollgate::slo
