// The ROI model (docs/finops.md#roi): the user's rates times counts the ledger
// measured, each line with its formula and inputs.
#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "core/file.h"
#include "core/yaml.h"
#include "kpi/kpi.h"

namespace tollgate::kpi {
namespace {

constexpr std::size_t kMaxRoiInputsBytes = 64 * 1024;

std::string Money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string Plain(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

Result<RoiInputs> ReadInputs(const yaml::Reader& r, const YAML::Node& root) {
  if (!root.IsMap())
    return Fail(r.Bad(root, "the ROI inputs must be a mapping, not " + std::string(yaml::KindName(root))));
  RoiInputs in;
  struct Field {
    const char* key;
    double* out;
    bool positive;
  } fields[] = {{"engineer_hourly_cost", &in.engineer_hourly_cost, false},
                {"minutes_saved_per_deploy", &in.minutes_saved_per_deploy, false},
                {"incident_cost_per_hour", &in.incident_cost_per_hour, false},
                {"baseline_mttr_hours", &in.baseline_mttr_hours, false},
                {"compliance_hours_saved_per_year", &in.compliance_hours_saved_per_year, false},
                {"infrastructure_savings_per_year", &in.infrastructure_savings_per_year, false},
                {"platform_annual_cost", &in.platform_annual_cost, true}};
  std::set<std::string> allowed{"currency"};
  for (const auto& f : fields) allowed.insert(f.key);
  TG_TRY(r.OnlyKeys(root, allowed, "the ROI inputs"));
  if (const YAML::Node c = root["currency"]) {
    auto s = r.String(c, "currency");
    if (!s) return Fail(s.error());
    if (s->empty()) return Fail(r.Bad(c, "'currency' must not be empty"));
    in.currency = *s;
  }
  for (const auto& f : fields) {
    const YAML::Node n = root[f.key];
    if (!n) return Fail(r.Bad(root, "missing '" + std::string(f.key) + "' (every rate is required; nothing is assumed)"));
    auto v = r.Number(n, f.key);
    if (!v) return Fail(v.error());
    if (*v < 0 || (f.positive && *v == 0))
      return Fail(r.Bad(n, "'" + std::string(f.key) + "' must be " + (f.positive ? "above zero" : "zero or more") +
                               ", got " + n.Scalar()));
    *f.out = *v;
  }
  return in;
}

// The user's rates by key, in the file's documented order.
std::vector<std::pair<const char*, double>> Rates(const RoiInputs& in) {
  return {{"engineer_hourly_cost", in.engineer_hourly_cost},
          {"minutes_saved_per_deploy", in.minutes_saved_per_deploy},
          {"incident_cost_per_hour", in.incident_cost_per_hour},
          {"baseline_mttr_hours", in.baseline_mttr_hours},
          {"compliance_hours_saved_per_year", in.compliance_hours_saved_per_year},
          {"infrastructure_savings_per_year", in.infrastructure_savings_per_year},
          {"platform_annual_cost", in.platform_annual_cost}};
}

RoiLine Line(std::string id, std::string name, std::string formula,
             std::vector<std::pair<std::string, double>> inputs, std::optional<double> value, std::string note = "") {
  return RoiLine{std::move(id), std::move(name), std::move(formula), std::move(inputs), value, std::move(note)};
}

}  // namespace

Result<RoiInputs> ParseRoiInputs(std::string_view text, const std::string& file) {
  auto doc = yaml::ParseDocument(text, file);
  if (!doc) return Fail(doc.error());
  if (doc->root.IsNull()) return Fail(Error::Input(file + ": the ROI inputs file is empty"));
  const yaml::Reader r(file);
  auto in = yaml::Guarded(file, [&] { return ReadInputs(r, doc->root); });
  if (!in) return in;
  in->file = file;
  return in;
}

Result<RoiInputs> LoadRoiInputs(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxRoiInputsBytes, "ROI inputs");
  if (!text) return Fail(text.error());
  return ParseRoiInputs(*text, path);
}

RoiReport ComputeRoi(const KpiReport& kpis, const RoiInputs& in) {
  RoiReport r;
  r.inputs = in;
  r.from = kpis.options.dora.from;
  r.to = kpis.options.dora.to;
  r.service = kpis.options.dora.service;
  const delivery::Metrics& m = kpis.dora.all.overall;
  const double window_days = static_cast<double>(r.to - r.from) / static_cast<double>(delivery::kDay);
  const double per_year = 365.0 / window_days;
  const double deploys = static_cast<double>(m.deployments);
  const double incidents = static_cast<double>(m.incidents);

  const double deploy_savings = deploys * per_year * in.minutes_saved_per_deploy / 60.0 * in.engineer_hourly_cost;
  r.lines.push_back(Line("deploy_time_savings", "Deploy time saved",
                         "deploys in window x (365 / window days) x minutes_saved_per_deploy / 60 x engineer_hourly_cost",
                         {{"deploys in window (ledger)", deploys},
                          {"window days", window_days},
                          {"minutes_saved_per_deploy", in.minutes_saved_per_deploy},
                          {"engineer_hourly_cost", in.engineer_hourly_cost}},
                         deploy_savings));

  std::optional<double> incident_savings;
  std::string note;
  if (m.time_to_restore_median) {
    double saved = std::max(0.0, in.baseline_mttr_hours - *m.time_to_restore_median);
    incident_savings = incidents * per_year * saved * in.incident_cost_per_hour;
  } else {
    note = "no incident was resolved in the window: no measured MTTR, so this line is not counted";
  }
  std::vector<std::pair<std::string, double>> incident_inputs{{"incidents opened in window (ledger)", incidents},
                                                              {"window days", window_days},
                                                              {"baseline_mttr_hours", in.baseline_mttr_hours}};
  if (m.time_to_restore_median) incident_inputs.emplace_back("measured MTTR hours (ledger)", *m.time_to_restore_median);
  incident_inputs.emplace_back("incident_cost_per_hour", in.incident_cost_per_hour);
  r.lines.push_back(Line("incident_savings", "Incident time saved",
                         "incidents in window x (365 / window days) x max(0, baseline_mttr_hours - measured MTTR) x "
                         "incident_cost_per_hour",
                         std::move(incident_inputs), incident_savings, note));

  const double compliance = in.compliance_hours_saved_per_year * in.engineer_hourly_cost;
  r.lines.push_back(Line("compliance_savings", "Compliance reporting saved",
                         "compliance_hours_saved_per_year x engineer_hourly_cost",
                         {{"compliance_hours_saved_per_year", in.compliance_hours_saved_per_year},
                          {"engineer_hourly_cost", in.engineer_hourly_cost}},
                         compliance));
  r.lines.push_back(Line("infrastructure_savings", "Infrastructure cost saved", "infrastructure_savings_per_year",
                         {{"infrastructure_savings_per_year", in.infrastructure_savings_per_year}},
                         in.infrastructure_savings_per_year));

  const double savings = deploy_savings + incident_savings.value_or(0) + compliance + in.infrastructure_savings_per_year;
  const double cost = in.platform_annual_cost;
  r.lines.push_back(Line("annual_cost", "Annual cost", "platform_annual_cost", {{"platform_annual_cost", cost}}, cost));
  r.lines.push_back(Line("annual_savings", "Annual savings", "sum of the savings lines that could be computed", {},
                         savings));
  r.lines.push_back(Line("net_benefit", "Net annual benefit", "annual savings - annual cost",
                         {{"annual savings", savings}, {"annual cost", cost}}, savings - cost));
  r.lines.push_back(Line("roi", "ROI", "(annual savings - annual cost) / annual cost",
                         {{"annual savings", savings}, {"annual cost", cost}}, (savings - cost) / cost));
  std::optional<double> payback;
  if (savings > 0) payback = cost / (savings / 12.0);
  r.lines.push_back(Line("payback_months", "Payback period (months)", "annual cost / (annual savings / 12)",
                         {{"annual savings", savings}, {"annual cost", cost}}, payback,
                         payback ? "" : "no savings: the platform does not pay back on these inputs"));
  return r;
}

Json RoiToJson(const RoiReport& r) {
  Json lines = Json::array();
  for (const auto& l : r.lines) {
    Json inputs = Json::object();
    for (const auto& [k, v] : l.inputs) inputs[k] = v;
    lines.push_back(Json{{"id", l.id},
                         {"name", l.name},
                         {"formula", l.formula},
                         {"inputs", std::move(inputs)},
                         {"value", l.value ? Json(*l.value) : Json(nullptr)},
                         {"note", l.note}});
  }
  const RoiInputs& in = r.inputs;
  Json assumptions{{"file", in.file}};
  for (const auto& [k, v] : Rates(in)) assumptions[k] = v;
  return Json{{"window", {{"from", delivery::FormatTime(r.from)}, {"to", delivery::FormatTime(r.to)}}},
              {"service", r.service.empty() ? Json(nullptr) : Json(r.service)},
              {"currency", in.currency},
              {"assumptions", std::move(assumptions)},
              {"lines", std::move(lines)}};
}

std::string RoiToText(const RoiReport& r) {
  std::ostringstream out;
  out << "ROI for " << (r.service.empty() ? "all services" : r.service) << ", ledger window "
      << delivery::FormatTime(r.from) << " to " << delivery::FormatTime(r.to) << " (annualised)\n";
  out << "Assumptions (" << r.inputs.file << ", supplied by the user, not measured):\n";
  const RoiInputs& in = r.inputs;
  for (const auto& [k, v] : Rates(in)) out << "  " << k << " = " << Plain(v) << "\n";
  out << "\n";
  for (const auto& l : r.lines) {
    out << "  " << l.name << ": ";
    if (!l.value) out << "not computed";
    else if (l.id == "roi") out << Money(*l.value * 100) << " %";
    else if (l.id == "payback_months") out << Money(*l.value) << " months";
    else out << Money(*l.value) << " " << in.currency;
    out << "\n      = " << l.formula << "\n";
    if (!l.inputs.empty()) {
      out << "      with ";
      bool first = true;
      for (const auto& [k, v] : l.inputs) {
        out << (first ? "" : ", ") << k << " = " << Plain(v);
        first = false;
      }
      out << "\n";
    }
    if (!l.note.empty()) out << "      note: " << l.note << "\n";
  }
  return out.str();
}

}  // namespace tollgate::kpi
