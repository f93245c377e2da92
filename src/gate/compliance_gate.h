// The compliance gate (`scanner: compliance`, docs/compliance.md "The
// compliance gate"): the service's controls judged over the ledger's evidence
// of the last `period:` (src/compliance), each control that is not satisfied a
// finding. Private to the gate module: DecideAndRecord runs it against the
// ledger the decision is recorded in, so a submitted run cannot supply its
// own answer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"
#include "core/time.h"
#include "gate/config.h"
#include "ledger/ledger.h"

namespace tollgate::gate {

// A control with violations in the period (severity high).
inline constexpr std::string_view kControlNotSatisfiedRule = "compliance-not-satisfied";
// An automated control without evidence in the period, when the gate has
// `require_assessed: true` (high; blocks whatever fail_on, as incomplete-scan).
inline constexpr std::string_view kControlNotAssessedRule = "compliance-not-assessed";
// The ledger does not verify: no evidence counts (critical; blocks whatever fail_on).
inline constexpr std::string_view kLedgerUnverifiedRule = "compliance-ledger-unverified";

struct ComplianceGateRun {
  std::vector<Finding> findings;
  Json evidence;                   // recorded in the decision: period, catalog digests, results
  std::vector<std::string> notes;  // manual controls and, without require_assessed, the unassessed ones
};

// Loads the built-in catalogs and the configuration's `catalogs:`, reads the
// evidence of [now - period, now) for the configuration's service from
// `ledger` (verifying it) and assesses each of the gate's frameworks.
Result<ComplianceGateRun> RunComplianceGate(const GateConfig& gate, const Config& config, ledger::Ledger& ledger,
                                            TimePoint now);

}  // namespace tollgate::gate
