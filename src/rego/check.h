// conftest-style checks: deny/violation/warn rules (with optional _suffix)
// in a namespace, exceptions, and the results per input file.
#pragma once

#include <string>
#include <vector>

#include "core/finding.h"
#include "core/result.h"
#include "rego/documents.h"
#include "rego/rego.h"

namespace tollgate::rego {

// Reads every *.rego file under the given files/directories (sorted, so the
// result does not depend on directory order) and compiles them together.
// `opts.version` is the syntax of files nothing else decides (--v0-compatible
// makes it v0); a directory given may carry OPA's bundle `.manifest`
// ({"rego_version": 0|1, "file_rego_versions": {"glob": 0|1}}, globs relative
// to that directory) to set the version of its files.
Result<PolicyPtr> LoadPolicies(const std::vector<std::string>& paths, const CompileOptions& opts = {});
// The same files with the version each is read in.
Result<std::vector<SourceFile>> ReadPolicySources(const std::vector<std::string>& paths, const CompileOptions& opts = {});
// The *.rego files the paths name, sorted.
Result<std::vector<std::string>> FindRegoFiles(const std::vector<std::string>& paths);

struct CheckOptions {
  std::vector<std::string> namespaces = {"main"};
  bool all_namespaces = false;
  bool explain = false;
  EvalOptions eval;
};

struct CheckResult {
  std::string msg;
  Value metadata;       // the violation object without msg (null when none)
  std::string rule;     // e.g. "deny_privileged"
  Location loc;         // the rule's position
  std::vector<ExplainStep> steps;
};

// conftest's per-file, per-namespace result.
struct FileCheck {
  std::string filename;
  std::string ns;
  int successes = 0;
  std::vector<CheckResult> failures;
  std::vector<CheckResult> warnings;
  std::vector<CheckResult> exceptions;
  // conftest's count of tests: successes and every result.
  std::size_t tests() const {
    return static_cast<std::size_t>(successes) + failures.size() + warnings.size() + exceptions.size();
  }
};

// Evaluates the documents of one input file (one value per YAML document).
Result<std::vector<FileCheck>> CheckDocuments(const Policy& policy, const std::string& filename,
                                              const std::vector<Value>& docs, const CheckOptions& opts);

// Base documents from data files, as OPA's loader places them (conftest's
// --data, policy eval -d): every .json/.yaml/.yml file under the paths
// (folders walked recursively, links never followed, other files left out)
// at the path of its folder below the path given (`d/a/b/x.json` is
// data.a.b; a file named directly, or at the top of a folder, is the root and
// must be an object), merged deeply. A key two files set to different values,
// a YAML file of several documents, or a file that cannot be read is an error.
Result<Value> LoadDataDocuments(const std::vector<std::string>& paths, const DecodeLimits& limits = {});

// `opa eval -d` paths: .rego files are modules, .json/.yaml/.yml files are
// base documents (LoadDataDocuments, into *data), a folder gives both (a
// folder of data alone is no policy folder).
Result<PolicyPtr> LoadPoliciesAndData(const std::vector<std::string>& paths, Value* data, const CompileOptions& opts = {});

// conftest's --combine: every input as one document,
// [{"path": file, "contents": document}, ...] sorted by path; a file of
// several documents, or whose one document is an array, gives one entry each.
Value CombineInputs(const std::vector<std::pair<std::string, std::vector<Value>>>& files);

// conftest's output formats of `policy check`, as text: "stdout" (conftest's
// default; "text" is the same), "tap", "table" and "github" (workflow
// commands, properties and messages escaped so no message can start a
// command of its own). `explain` adds each failure's deciding expressions to
// "stdout"; `suppress_exceptions` leaves its EXCP lines out (they still
// count). JSON: CheckResultsToJson.
Result<std::string> FormatCheckResults(const std::vector<FileCheck>& results, std::string_view format, bool explain,
                                       bool suppress_exceptions = false);

// conftest's JSON output shape for a list of results.
nlohmann::json CheckResultsToJson(const std::vector<FileCheck>& results, bool explain);
nlohmann::json ExplainToJson(const std::vector<ExplainStep>& steps);

// Failures (and, with `include_warnings`, warnings) as findings of `gate`:
// rule id "rego.<namespace>.<rule>", the violation's own severity when its
// metadata carries one (deny defaults to high, warn to low), the input file
// as location, the explanation in the remediation text.
std::vector<Finding> CheckFindings(const std::vector<FileCheck>& results, const std::string& gate, bool include_warnings);

}  // namespace tollgate::rego
