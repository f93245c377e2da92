// Runs OPA's YAML conformance cases (test/cases/testdata/v1 layout: one
// folder per feature, files with `cases:` lists) against the engine.
#pragma once

#include <cstddef>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "rego/ast.h"

namespace tollgate::rego {

struct CaseOutcome {
  std::string folder;
  std::string note;
  enum class Status { kPassed, kFailed, kSkipped } status = Status::kFailed;
  std::string detail;  // why it failed or was skipped
};

struct ConformanceReport {
  std::vector<CaseOutcome> cases;
  std::size_t passed = 0, failed = 0, skipped = 0;
  // Per folder: passed, failed, skipped.
  std::map<std::string, std::array<std::size_t, 3>> folders;
};

struct ConformanceOptions {
  // The syntax of the cases' modules: OPA keeps v0 cases apart
  // (test/cases/testdata/v0) and runs them with --v0-compatible.
  RegoVersion version = RegoVersion::kV1;
};

// Runs every *.yaml / *.yml under `dir` (recursively). A file that is not
// readable YAML fails as one case.
Result<ConformanceReport> RunConformance(const std::string& dir, const ConformanceOptions& opts = {});

// "folder: P passed, F failed, S skipped" lines then the total line
// "N passed, N failed, N skipped". With `verbose`, each failure's note and
// reason too.
std::string FormatConformance(const ConformanceReport& r, bool verbose);

// Compares the failures with a known-failures list (one "folder/note" per
// line, '#' comments): returns the problems (a listed case that passes, an
// unlisted case that fails).
std::vector<std::string> CheckKnownFailures(const ConformanceReport& r, const std::set<std::string>& known);
std::set<std::string> ParseKnownFailures(const std::string& text);

}  // namespace tollgate::rego
