// The deploy freeze: an error-budget gate turns a spent (or fast-burning)
// budget into a critical finding that blocks `tollgate gate`.
#include <cmath>
#include <cstdio>

#include "slo/slo.h"

namespace tollgate::slo {
namespace {

struct Threshold {
  bool exhausted_only = true;
  double burn = 0;
};

Result<Threshold> ParseFailOn(const std::string& s) {
  if (s == "exhausted") return Threshold{true, 0};
  const std::string p = "burn-rate>";
  if (s.rfind(p, 0) == 0) {
    const std::string v = s.substr(p.size());
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (!v.empty() && end == v.c_str() + v.size() && std::isfinite(x) && x > 0) return Threshold{false, x};
  }
  return Fail(Error::Input("fail_on of an error-budget gate must be 'exhausted' or 'burn-rate>X' with X > 0, got '" + s + "'"));
}

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

std::string Objective(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", v);
  return buf;
}

std::optional<double> BurnAt(const BudgetStatus& b, Seconds w) {
  for (const auto& x : b.burn)
    if (x.window == w) return x.burn_rate;
  return std::nullopt;
}

}  // namespace

Result<std::vector<Finding>> FreezeFindings(const Spec& spec, const std::vector<std::vector<Sample>>& samples,
                                            const FreezeOptions& opts, TimePoint now) {
  auto th = ParseFailOn(opts.fail_on);
  if (!th) return Fail(th.error());
  if (samples.size() != spec.slos.size()) return Fail(Error::Internal("one sample series per SLO expected"));
  std::vector<Finding> out;
  for (std::size_t i = 0; i < spec.slos.size(); ++i) {
    const Slo& s = spec.slos[i];
    const Period period = s.period.value_or(Period{});
    BudgetStatus b = ComputeBudget(s, period, samples[i], now);
    Finding f;
    f.gate = opts.gate;
    f.severity = Severity::kCritical;
    f.location.file = spec.path;
    f.tool = "tollgate-slo";
    f.remediation =
        "Deploys of " + s.service + " are frozen until the error budget recovers; ship only reliability fixes, "
        "or have a role named in the gate's bypass waive this finding.";
    if (b.exhausted) {
      f.rule_id = "error-budget-exhausted";
      f.message = s.service + " / " + s.name + ": error budget exhausted over " + period.Label() + " (" + Pct(b.consumed) +
                  " spent, objective " + Objective(s.objective) + ")";
    } else if (!th->exhausted_only) {
      auto b1 = BurnAt(b, Seconds(3600));
      auto b6 = BurnAt(b, Seconds(6 * 3600));
      if (!b1 || !b6 || *b1 <= th->burn || *b6 <= th->burn) continue;
      char buf[160];
      std::snprintf(buf, sizeof buf, "burning error budget at %.2fx (1h) and %.2fx (6h), above %.4gx", *b1, *b6, th->burn);
      f.rule_id = "error-budget-burn-rate";
      f.message = s.service + " / " + s.name + ": " + buf;
    } else {
      continue;
    }
    f.fingerprint = MakeFingerprint(f.rule_id, {s.service, s.name});
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<Finding>> CheckErrorBudget(const std::string& spec_path, const FreezeOptions& opts) {
  TG_TRY(ParseFailOn(opts.fail_on));
  auto spec = LoadSpec(spec_path);
  if (!spec) return Fail(spec.error());
  std::vector<std::vector<Sample>> samples;
  TimePoint now;
  if (!spec->source.data.empty()) {
    if (spec->slos.size() != 1)
      return Fail(Error::Input(spec_path + ": 'tollgate.data' (one CSV) needs a spec with exactly one SLO, this one has " +
                               std::to_string(spec->slos.size())));
    auto s = LoadSamplesCsv(spec->source.data);
    if (!s) return Fail(s.error());
    now = s->back().time;  // the data's own present: the same file always judges the same
    samples.push_back(std::move(*s));
  } else if (!spec->source.prometheus.empty()) {
    now = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    auto http = MakeHttpGetter();
    for (const auto& s : spec->slos) {
      const Period period = s.period.value_or(Period{});
      const TimePoint from = period.Start(now);
      auto q = QueryPrometheus(*http, spec->source.prometheus, s, from, now, DefaultStep(from, now));
      if (!q) return Fail(q.error().WithContext(spec_path));
      samples.push_back(std::move(*q));
    }
  } else {
    return Fail(Error::Input(spec_path + ": an error-budget gate needs 'tollgate: {data: FILE.csv}' or 'tollgate: {prometheus: URL}' in the SLO spec"));
  }
  return FreezeFindings(*spec, samples, opts, now);
}

}  // namespace tollgate::slo
