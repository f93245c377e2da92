// `opa test` semantics: every rule named test_* is a test; each definition of
// a test is a test of its own. Used by `tollgate policy test` and by tests of
// the built-in policies.
#pragma once

#include <string>
#include <vector>

#include "rego/rego.h"

namespace tollgate::rego {

struct TestOutcome {
  enum class Status { kPass, kFail, kError } status = Status::kPass;
  std::string name;      // data.<package>.test_...
  std::string location;  // file:row:col of the definition
  std::string error;     // for kError
  double ms = 0;         // wall time of the evaluation
};

struct TestSummary {
  std::vector<TestOutcome> outcomes;
  std::size_t pass = 0, fail = 0, error = 0;
  bool ok() const { return fail == 0 && error == 0; }
};

// Runs the tests of `policy` whose full name contains `filter` (all when empty).
TestSummary RunTests(const Policy& policy, const std::string& filter, const EvalOptions& options = EvalOptions{});

const char* StatusName(TestOutcome::Status s);  // PASS, FAIL, ERROR

}  // namespace tollgate::rego
