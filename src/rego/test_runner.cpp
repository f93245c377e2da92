#include "rego/test_runner.h"

#include <chrono>

namespace tollgate::rego {

const char* StatusName(TestOutcome::Status s) {
  switch (s) {
    case TestOutcome::Status::kPass: return "PASS";
    case TestOutcome::Status::kFail: return "FAIL";
    case TestOutcome::Status::kError: return "ERROR";
  }
  return "ERROR";
}

TestSummary RunTests(const Policy& policy, const std::string& filter, const EvalOptions& options) {
  TestSummary sum;
  for (const auto& pkg : policy.Packages()) {
    for (const auto& name : policy.RuleNames(pkg)) {
      if (name.rfind("test_", 0) != 0) continue;
      std::string full = "data." + pkg + "." + name;
      if (!filter.empty() && full.find(filter) == std::string::npos) continue;
      for (const auto* r : policy.RulesNamed(pkg, name)) {
        auto start = std::chrono::steady_clock::now();
        TestOutcome o;
        o.name = full;
        o.location = r->loc.ToString();
        auto rs = policy.EvalRules({r}, options, false);
        if (!rs) {
          o.status = TestOutcome::Status::kError;
          o.error = rs.error().message();
        } else {
          bool pass = false;
          for (const auto& rr : *rs)
            if (rr.value.truthy()) pass = true;
          o.status = pass ? TestOutcome::Status::kPass : TestOutcome::Status::kFail;
        }
        o.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        switch (o.status) {
          case TestOutcome::Status::kPass: ++sum.pass; break;
          case TestOutcome::Status::kFail: ++sum.fail; break;
          case TestOutcome::Status::kError: ++sum.error; break;
        }
        sum.outcomes.push_back(std::move(o));
      }
    }
  }
  return sum;
}

}  // namespace tollgate::rego
