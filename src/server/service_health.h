// What the overview shows of each service's gates (issue 17): the gate pass
// rate over a window and the blocking findings of the latest gate run, from
// the gate runs the service keeps (ledger `gate.overall` entries and the
// stored reports), and whether an error-budget gate freezes deploys. Pure
// functions over data the service has read; GET /api/v1/services and the
// portal's overview both show their JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "core/time.h"
#include "gate/config.h"
#include "slo/slo.h"

namespace tollgate::server {

// One `gate.overall` ledger entry: its index, service, decision and time.
struct GateRunRecord {
  std::uint64_t id = 0;
  std::string service;
  std::string decision;  // "pass", "blocked", ...
  TimePoint time;
};

// {"window_days": D, "from": T, "to": T, "runs": N, "passed": P,
//  "pass_rate": P/N (null when N is 0)} over the runs of `service` with
// from <= time <= to, to = now, from = now - D days. A run passes when its
// decision is "pass".
Json PassRateJson(const std::vector<GateRunRecord>& runs, const std::string& service, TimePoint now, int days);

// The blocking findings of one stored gate report (its "findings", each with
// "severity" and "blocking") by severity: {"critical": n, "high": n,
// "medium": n, "low": n, "info": n, "total": n}. A finding without a known
// severity counts under "unknown" (so none is dropped). Fails on a report
// without a findings array.
Result<Json> BlockingBySeverity(const Json& report);

// The deploy freeze of one service: every error-budget (`slo:`) gate of its
// configuration checked as `tollgate gate` checks it. Null when the service
// has no such gate; otherwise {"frozen": bool, "gates": [{"gate", "fail_on",
// "frozen", "reason"}]}. A gate whose SLO data cannot be read counts as
// frozen with the error as its reason (fail closed).
Json FreezeJson(const gate::Config& config);

// The error budgets of one service's SLOs as slo::Budgets computes them
// (the numbers of /api/v1/reports/slo): {"slos": [{"slo", "remaining",
// "exhausted", "events"}], "lowest": the smallest "remaining"}. An SLO
// without events in its period has "remaining" null and is left out of
// "lowest"; "lowest" is null when no SLO has events.
Json SloBudgetJson(const std::vector<slo::BudgetStatus>& budgets);

}  // namespace tollgate::server
