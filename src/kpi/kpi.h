// The platform's KPI and ROI tables from the ledger (docs/finops.md#kpis-and-roi):
// the DORA figures as the delivery library computes them, security issue
// resolution from the finding lifecycles of the compliance evidence
// document, what the ledger says about the gates, and an ROI model whose
// rates the user supplies. Nothing is recomputed here that another module
// already computes, and nothing the ledger cannot support is reported as
// measured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "delivery/dora.h"

namespace tollgate::ledger {
class Ledger;
}

namespace tollgate::kpi {

// The seed's target for security issue resolution: 24 hours.
inline constexpr double kSecurityResolutionTargetHours = 24;

// A KPI's standing against its target.
enum class Standing { kMet, kNotMet, kNoData, kNotMeasured, kNoTarget };
std::string_view StandingName(Standing s);  // "met", "not met", "no data", "not measured", "no target"

struct Kpi {
  std::string id;     // "deployment_frequency"
  std::string name;   // "Deployment frequency"
  std::string unit;   // "deploys/week", "hours", "fraction", "count"
  std::optional<double> value;
  std::string target;  // as the reader sees it ("<= 24 hours"); empty: none
  Standing standing = Standing::kNoData;
  std::string basis;  // the formula and where it comes from, or why it is not measured
  // Which way is better: +1 higher, -1 lower, 0 neither (counts without a target).
  int better = 0;
  // With a baseline period: its value, and the improvement factor (baseline /
  // value where lower is better, value / baseline where higher is better;
  // nullopt without data on either side, or a zero to divide by).
  std::optional<double> baseline, improvement;
};

struct SecurityResolution {
  std::uint64_t resolved = 0;  // fixed inside the window
  std::uint64_t open = 0;      // first seen before the window's end, not fixed by then
  std::optional<double> median_hours, p90_hours, share_under_24h;
};

struct KpiOptions {
  delivery::DoraOptions dora;  // service, environment and window [from, to)
  // An earlier period to compare with ([from, to); both 0: none).
  delivery::Millis baseline_from = 0, baseline_to = 0;
};

struct KpiReport {
  KpiOptions options;
  delivery::DoraReport dora;
  SecurityResolution security;
  std::uint64_t ledger_size = 0;
  std::vector<Kpi> kpis;
};

// Verifies the ledger (an unverifiable one is an Integrity error: no figure
// is computed from it), then computes the DORA report with the built-in
// levels, reads the evidence document of the window for finding lifecycles
// and gate decisions, and lists the KPIs, each with its target (the seed
// maturity model's top stage for the DORA figures, 24 hours for security
// resolution) and standing.
Result<KpiReport> ComputeKpis(ledger::Ledger& ledger, const KpiOptions& options);

Json KpiToJson(const KpiReport& r);
std::string KpiToText(const KpiReport& r);

// The user's ROI rates (every key required, no others; see
// examples/payments-api/roi.yaml).
struct RoiInputs {
  std::string file;
  std::string currency = "USD";
  double engineer_hourly_cost = 0;            // currency per engineer hour
  double minutes_saved_per_deploy = 0;        // engineer minutes each deploy no longer takes
  double incident_cost_per_hour = 0;          // what an hour of incident costs
  double baseline_mttr_hours = 0;             // time to restore before the platform
  double compliance_hours_saved_per_year = 0; // evidence gathering no longer done by hand
  double infrastructure_savings_per_year = 0; // e.g. from `tollgate rightsize` and cost gates
  double platform_annual_cost = 0;            // running the platform (people, hosting, licences); > 0
};

// Errors are Input errors naming file:line:column.
Result<RoiInputs> ParseRoiInputs(std::string_view text, const std::string& file);
Result<RoiInputs> LoadRoiInputs(const std::string& path);

// One line of the ROI table: its value, formula and the inputs that went in.
struct RoiLine {
  std::string id;
  std::string name;
  std::string formula;
  std::vector<std::pair<std::string, double>> inputs;  // name, value
  std::optional<double> value;                         // nullopt: cannot be computed (note says why)
  std::string note;
};

struct RoiReport {
  RoiInputs inputs;
  delivery::Millis from = 0, to = 0;
  std::string service;
  std::vector<RoiLine> lines;  // savings, then annual cost, total savings, net, ROI, payback
};

RoiReport ComputeRoi(const KpiReport& kpis, const RoiInputs& inputs);
Json RoiToJson(const RoiReport& r);
std::string RoiToText(const RoiReport& r);

}  // namespace tollgate::kpi
