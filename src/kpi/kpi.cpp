// The KPI table (docs/finops.md#kpis-and-roi): DORA figures from the delivery
// library, security resolution from the compliance evidence document's
// finding lifecycles, gate figures from its gate decisions.
#include "kpi/kpi.h"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "compliance/compliance.h"
#include "ledger/ledger.h"

namespace tollgate::kpi {
namespace {

std::string Num(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A value as the text table shows it: counts whole, fractions in percent.
std::string Shown(double v, const std::string& unit) {
  if (unit == "count") return Num(v, 0);
  if (unit == "fraction") return Num(v * 100, 1) + " %";
  return Num(v) + " " + unit;
}

Kpi Row(std::string id, std::string name, std::string unit, std::optional<double> value, std::string target,
        Standing standing, std::string basis) {
  Kpi k;
  k.id = std::move(id);
  k.name = std::move(name);
  k.unit = std::move(unit);
  k.value = value;
  k.target = std::move(target);
  k.standing = standing;
  k.basis = std::move(basis);
  return k;
}

// Where `value` stands against the first (best) band of `bands`.
Standing Against(const std::optional<double>& value, const delivery::MetricBands& bands) {
  if (!value) return Standing::kNoData;
  if (bands.bands.empty()) return Standing::kNoTarget;
  double bound = bands.bands.front().bound;
  bool met = bands.higher_is_better ? *value >= bound : *value <= bound;
  return met ? Standing::kMet : Standing::kNotMet;
}

std::string TargetText(const delivery::LevelScale& scale, const delivery::MetricBands& bands, const char* unit) {
  if (bands.bands.empty()) return "";
  const auto& b = bands.bands.front();
  char bound[32];
  std::snprintf(bound, sizeof bound, "%g", b.bound);
  return std::string(bands.higher_is_better ? ">= " : "<= ") + bound + " " + unit + " (" + scale.name + " " +
         b.level + ")";
}

Kpi DoraKpi(const char* id, const char* name, const char* unit, std::optional<double> value,
            const delivery::LevelScale& scale, const delivery::MetricBands& bands, std::string basis) {
  return Row(id, name, unit, value, TargetText(scale, bands, unit), Against(value, bands), std::move(basis));
}

void AddDora(KpiReport& r, const delivery::LevelTable& levels) {
  const delivery::Metrics& m = r.dora.all.overall;
  const auto& s = levels.maturity;
  // With no deploy recorded in the window there is no frequency to judge:
  // "no data", not a frequency of zero that would read as measured.
  std::optional<double> frequency;
  if (m.attempts > 0) frequency = m.deploys_per_week;
  r.kpis.push_back(DoraKpi("deployment_frequency", "Deployment frequency", "deploys/week", frequency, s,
                           s.deployment_frequency,
                           "successful deploys to " + r.options.dora.env + " / weeks in the window (" +
                               std::to_string(m.deployments) + " deploys; `tollgate dora report`)"));
  r.kpis.push_back(DoraKpi("lead_time", "Lead time for changes (median)", "hours", m.lead_time_median, s, s.lead_time,
                           "median of deploy time - commit time over " + std::to_string(m.changes) +
                               " changes (`tollgate dora report`)"));
  r.kpis.push_back(DoraKpi("time_to_restore", "MTTR, time to restore (median)", "hours", m.time_to_restore_median, s,
                           s.time_to_restore,
                           "median of resolved - opened over the window's resolved incidents (" +
                               std::to_string(m.incidents) + " opened, " + std::to_string(m.unresolved) +
                               " unresolved; `tollgate dora report`)"));
  r.kpis.push_back(DoraKpi("change_failure_rate", "Change failure rate", "fraction", m.change_failure_rate, s,
                           s.change_failure_rate,
                           "failed deploys / deploy attempts (" + std::to_string(m.failed) + " of " +
                               std::to_string(m.attempts) + "; `tollgate dora report`)"));
}

// Security resolution from the lifecycles: a finding is resolved in the
// window when its fix (first complete gate run without it) falls inside;
// open when first seen before the window's end and not fixed by then.
void AddSecurity(KpiReport& r, const Json& evidence) {
  const std::int64_t from = r.options.dora.from / 1000, to = r.options.dora.to / 1000;
  std::vector<double> hours;
  for (const auto& l : evidence["finding_lifecycles"]) {
    std::int64_t first = l.value("first_t", std::int64_t{0});
    if (first >= to) continue;
    const Json& fixed = l["fixed_t"];
    if (fixed.is_number() && fixed.get<std::int64_t>() < to) {
      std::int64_t f = fixed.get<std::int64_t>();
      if (f >= from) hours.push_back(static_cast<double>(f - first) / 3600.0);
      continue;
    }
    ++r.security.open;
  }
  SecurityResolution& s = r.security;
  s.resolved = hours.size();
  if (!hours.empty()) {
    std::size_t under = 0;
    for (double h : hours) under += h < kSecurityResolutionTargetHours ? 1u : 0u;
    s.share_under_24h = static_cast<double>(under) / static_cast<double>(hours.size());
    s.median_hours = delivery::Percentile(hours, 0.5);
    s.p90_hours = delivery::Percentile(hours, 0.9);
  }
  auto standing = [](const std::optional<double>& v, bool met) {
    return !v ? Standing::kNoData : met ? Standing::kMet : Standing::kNotMet;
  };
  const std::string basis = "blocking finding fingerprints per service and gate: first gate run listing it to the "
                            "first complete gate run without it; " +
                            std::to_string(s.resolved) + " resolved in the window";
  r.kpis.push_back(Row("security_resolution_median", "Security issue resolution (median)", "hours", s.median_hours,
                    "<= 24 hours (seed)",
                    standing(s.median_hours, s.median_hours && *s.median_hours <= kSecurityResolutionTargetHours),
                    basis));
  r.kpis.push_back(Row("security_resolution_p90", "Security issue resolution (p90)", "hours", s.p90_hours, "",
                    s.p90_hours ? Standing::kNoTarget : Standing::kNoData, basis));
  r.kpis.push_back(Row("security_resolved_under_24h", "Security issues resolved under 24 hours", "fraction",
                    s.share_under_24h, "", s.share_under_24h ? Standing::kNoTarget : Standing::kNoData,
                    "resolved in under 24 hours / resolved in the window"));
  r.kpis.push_back(Row("security_open", "Security issues still open at the window's end", "count",
                    static_cast<double>(s.open), "", Standing::kNoTarget,
                    "first seen before the window's end and not fixed by then"));
}

// What the gate decisions of the window say, and what the ledger cannot.
void AddPlatform(KpiReport& r, const Json& evidence) {
  std::uint64_t runs = 0, passed = 0, waived = 0;
  std::set<std::string> services;
  for (const auto& d : evidence["gate_decisions"]) {
    if (!d.value("in_period", false)) continue;
    ++runs;
    if (d.value("outcome", "").rfind("pass", 0) == 0) ++passed;
    waived += d["waived"].size();
    services.insert(d.value("service", ""));
  }
  std::uint64_t issued = 0;
  for (const auto& w : evidence["waivers"]) issued += w.value("in_period", false) ? 1u : 0u;
  std::optional<double> rate;
  if (runs > 0) rate = static_cast<double>(passed) / static_cast<double>(runs);
  r.kpis.push_back(Row("gate_pass_rate", "Gate pass rate", "fraction", rate, "",
                    rate ? Standing::kNoTarget : Standing::kNoData,
                    "gate decisions that passed / gate decisions in the window (" + std::to_string(passed) + " of " +
                        std::to_string(runs) + ")"));
  r.kpis.push_back(Row("waivers_used", "Waivers used by gate runs", "count",
                    runs > 0 ? std::optional<double>(static_cast<double>(waived)) : std::nullopt, "",
                    runs > 0 ? Standing::kNoTarget : Standing::kNoData,
                    "findings waived in the window's gate decisions (" + std::to_string(issued) +
                        " waivers issued in the window)"));
  auto not_measured = [&](const char* id, const char* name, std::string why) {
    r.kpis.push_back(Row(id, name, "", std::nullopt, "", Standing::kNotMeasured, std::move(why)));
  };
  not_measured("platform_adoption", "Platform adoption",
               "needs the number of services in a catalog, which the ledger does not hold (" +
                   std::to_string(services.size()) + " services had a gate run in the window)");
  not_measured("self_service_success", "Self-service success rate",
               "the ledger records no self-service runs (no selfservice events)");
  not_measured("time_to_environment", "Time to environment",
               "the ledger records no environment requests to time a first deploy from");
  not_measured("platform_reliability", "Platform reliability",
               "the SLO of Tollgate's own service is measured by `tollgate slo budget` against its metrics, not "
               "recorded in the ledger");
}

Json Opt(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

// Which way each KPI improves (Kpi::better).
int Better(const std::string& id) {
  static const std::map<std::string, int> kBetter{
      {"deployment_frequency", 1},        {"lead_time", -1},           {"time_to_restore", -1},
      {"change_failure_rate", -1},        {"security_resolution_median", -1}, {"security_resolution_p90", -1},
      {"security_resolved_under_24h", 1}, {"security_open", -1},       {"gate_pass_rate", 1}};
  auto it = kBetter.find(id);
  return it == kBetter.end() ? 0 : it->second;
}

// Each KPI's baseline value and improvement factor from the same KPI over the baseline period.
void Compare(KpiReport& r, const KpiReport& base) {
  for (auto& k : r.kpis)
    for (const auto& b : base.kpis) {
      if (b.id != k.id) continue;
      k.baseline = b.value;
      if (k.better == 0 || !k.value || !k.baseline) break;
      const double num = k.better > 0 ? *k.value : *k.baseline;
      const double den = k.better > 0 ? *k.baseline : *k.value;
      if (den > 0) k.improvement = num / den;
      break;
    }
}

}  // namespace

std::string_view StandingName(Standing s) {
  switch (s) {
    case Standing::kMet: return "met";
    case Standing::kNotMet: return "not met";
    case Standing::kNoData: return "no data";
    case Standing::kNotMeasured: return "not measured";
    case Standing::kNoTarget: return "no target";
  }
  return "no data";
}

Result<KpiReport> ComputeKpis(ledger::Ledger& ledger, const KpiOptions& options) {
  if (options.dora.to <= options.dora.from)
    return Fail(Error::Input("the report window is empty: --to must be after --from"));
  KpiReport r;
  r.options = options;
  // The evidence document verifies the ledger first; one that does not
  // verify yields no figures at all.
  auto evidence = compliance::BuildEvidence(
      ledger, {delivery::FromMillis(options.dora.from), delivery::FromMillis(options.dora.to), options.dora.service});
  if (!evidence) return Fail(evidence.error());
  const Json& status = (*evidence)["ledger"];
  if (!status.value("verified", false))
    return Fail(Error::Integrity("the ledger does not verify, so no KPI is computed from it: " +
                                 status.value("error", std::string("unknown problem"))));
  r.ledger_size = status.value("size", std::uint64_t{0});
  auto levels = delivery::BuiltinLevels();
  if (!levels) return Fail(levels.error());
  delivery::EventLog log(delivery::EventLog::Mode::kReport);
  TG_TRY(delivery::LoadEvents(ledger, log));
  auto dora = delivery::ComputeDora(log, options.dora, *levels);
  if (!dora) return Fail(dora.error());
  r.dora = std::move(*dora);
  AddDora(r, *levels);
  AddSecurity(r, *evidence);
  AddPlatform(r, *evidence);
  for (auto& k : r.kpis) k.better = Better(k.id);
  if (options.baseline_from != 0 || options.baseline_to != 0) {
    if (options.baseline_to <= options.baseline_from)
      return Fail(Error::Input("the baseline period is empty: --baseline-to must be after --baseline-from"));
    KpiOptions b = options;
    b.dora.from = options.baseline_from;
    b.dora.to = options.baseline_to;
    b.baseline_from = b.baseline_to = 0;
    auto base = ComputeKpis(ledger, b);
    if (!base) return Fail(base.error());
    Compare(r, *base);
  }
  return r;
}

Json KpiToJson(const KpiReport& r) {
  Json kpis = Json::array();
  for (const auto& k : r.kpis)
    kpis.push_back(Json{{"id", k.id},
                        {"name", k.name},
                        {"unit", k.unit},
                        {"value", Opt(k.value)},
                        {"target", k.target.empty() ? Json(nullptr) : Json(k.target)},
                        {"status", std::string(StandingName(k.standing))},
                        {"baseline", Opt(k.baseline)},
                        {"improvement", Opt(k.improvement)},
                        {"basis", k.basis}});
  const bool has_baseline = r.options.baseline_to > r.options.baseline_from;
  return Json{{"window",
               {{"from", delivery::FormatTime(r.options.dora.from)}, {"to", delivery::FormatTime(r.options.dora.to)}}},
              {"service", r.options.dora.service.empty() ? Json(nullptr) : Json(r.options.dora.service)},
              {"env", r.options.dora.env},
              {"baseline", has_baseline ? Json{{"from", delivery::FormatTime(r.options.baseline_from)},
                                               {"to", delivery::FormatTime(r.options.baseline_to)}}
                                        : Json(nullptr)},
              {"ledger", {{"verified", true}, {"size", r.ledger_size}}},
              {"kpis", std::move(kpis)},
              {"security",
               {{"resolved", r.security.resolved},
                {"open", r.security.open},
                {"median_hours", Opt(r.security.median_hours)},
                {"p90_hours", Opt(r.security.p90_hours)},
                {"share_under_24h", Opt(r.security.share_under_24h)}}},
              {"dora", delivery::DoraToJson(r.dora)}};
}

std::string KpiToText(const KpiReport& r) {
  std::ostringstream out;
  out << "KPIs for " << (r.options.dora.service.empty() ? "all services" : r.options.dora.service) << ", "
      << delivery::FormatTime(r.options.dora.from) << " to " << delivery::FormatTime(r.options.dora.to) << " ("
      << r.options.dora.env << "; ledger verified, " << r.ledger_size << " entries)\n";
  if (r.options.baseline_to > r.options.baseline_from)
    out << "Baseline " << delivery::FormatTime(r.options.baseline_from) << " to "
        << delivery::FormatTime(r.options.baseline_to) << "; improvement = baseline / value where lower is better, "
        << "value / baseline where higher is better\n";
  out << "\n";
  for (const auto& k : r.kpis) {
    std::string value = k.standing == Standing::kNotMeasured ? "-" : k.value ? Shown(*k.value, k.unit) : "no data";
    out << "  " << k.name << ": " << value;
    if (!k.target.empty()) out << "   target " << k.target;
    if (r.options.baseline_to > r.options.baseline_from && k.standing != Standing::kNotMeasured) {
      out << "   baseline " << (k.baseline ? Shown(*k.baseline, k.unit) : "no data");
      if (k.improvement) out << ", improvement " << Num(*k.improvement) << "x";
    }
    out << "   [" << StandingName(k.standing) << "]\n      " << k.basis << "\n";
  }
  return out.str();
}

}  // namespace tollgate::kpi
