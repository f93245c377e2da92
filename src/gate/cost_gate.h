// The cost gate (`scanner: cost`, docs/finops.md "Cost gate"): a Terraform
// plan priced from a price book (src/finops), the cost document judged by the
// built-in Rego rules (policies/cost/cost.rego) and the team's own rules.
// Private to the gate module: gate.cpp runs it like any other scanner.
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"
#include "gate/config.h"

namespace tollgate::gate {

struct CostGateRun {
  Json document;  // what the rules read (input)
  Json evidence;  // recorded in the ledger decision: digests and totals
  std::vector<Finding> findings;
};

// Reads the gate's plan, price book and usage file, prices the plan, builds
// the cost document and evaluates the rules. A file that cannot be read or
// parsed, or rules that do not compile, is an Input error naming the file
// (and line); the ledger is not touched.
Result<CostGateRun> RunCostGate(const GateConfig& gate);

// The built-in policy's source, as embedded.
std::string BuiltinCostPolicy();

}  // namespace tollgate::gate
