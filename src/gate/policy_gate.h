// The `policy` gate: Rego policies (conftest conventions) over the
// repository's configuration files.
#pragma once

#include <string>
#include <vector>

#include "core/finding.h"
#include "core/result.h"
#include "core/walk.h"
#include "rego/check.h"
#include "rego/value.h"

namespace tollgate::admission {
class PolicySet;
}  // namespace tollgate::admission

namespace tollgate::gate {

// Fails (config error) when the policy directory is missing or does not compile.
Status CheckPolicySource(const std::string& policy_dir, bool v0 = false);

struct PolicyScanOptions {
  std::vector<std::string> exclude;  // globs below the root (core/walk.h)
  bool gitignore = true;
  bool strict = false;  // a file that does not parse fails the gate run instead of being a finding
  Severity parse_error_severity = Severity::kHigh;
  std::vector<std::string>* notes = nullptr;  // Helm charts left out, dangling links
  bool v0 = false;  // `rego_version: v0` of the gate: modules read as v0 unless they say otherwise
};

// Evaluates the policies in `policy_dir` (all packages) against every
// configuration file under `root` (JSON, JSON with comments where the file's
// tool reads it so, YAML, TOML, INI, .env, Dockerfile), walked by the core
// walker: build, node_modules, .terraform, the policy directory,
// .gitignore'd and excluded paths are left out, raw Helm chart templates too
// (one note per chart). deny/violation results are findings with the
// violation's own severity (default high) and the line of the document (or
// Dockerfile instruction) they are about; warn results are low; paths are
// relative to `root`, fingerprints to the repository. A file over 4 MiB or
// unreadable is an `incomplete-scan` finding, one that does not parse a
// `parse-error` finding (with `strict`, an error).
Result<std::vector<Finding>> CollectPolicyFindings(const std::string& policy_dir, const std::string& root,
                                                   const std::string& gate, const PolicyScanOptions& opts = {});

// The admission gate (`scanner: admission`): the Kubernetes objects among
// the same configuration files (documents with apiVersion and kind; a List
// gives its items) audited against Gatekeeper templates and constraints
// (admission::AuditObjects): a finding per violation, high for deny, medium
// for warn, low for dryrun; unreadable or unparseable files are findings.
Result<std::vector<Finding>> CollectAdmissionFindings(const admission::PolicySet& set, const std::string& root,
                                                      const std::string& gate, const PolicyScanOptions& opts = {});

// What `policy check` reads for the paths it is given, as conftest reads
// them: a file as named (whatever its name: its parser is chosen by
// extension, YAML otherwise); a directory walked recursively (sorted,
// .gitignore honoured, links never followed, `.git` skipped) for the files
// whose formats it reads, Terraform and HCL included; what the walk could
// not read (a FIFO, an unreadable file) is a problem.
struct PolicyInputs {
  std::vector<std::string> files;
  std::vector<walk::Problem> problems;
};
Result<PolicyInputs> FindPolicyInputs(const std::vector<std::string>& paths);

// The documents of one policy input ("-": standard input), read bounded:
// `.tf`, `.tfvars` and `.hcl` in conftest's `hcl2` form
// (iac::HclToConftestJson), the rest as rego::ReadDocumentFile reads them.
// `parser` (conftest's --parser) reads every input as one format whatever
// its name: json, jsonc, yaml, toml, ini, dotenv, dockerfile or hcl2; a
// parser conftest has and Tollgate does not (xml, hcl1, cue, ...) is an error.
// `limits.max_bytes` is the evaluation's memory budget (decoding counts
// against it, policy eval --max-memory).
Result<std::vector<rego::Value>> ReadPolicyInput(const std::string& path, std::string_view parser = {},
                                                 const rego::DecodeLimits& limits = {});
Status CheckParserName(std::string_view parser);

// The reader of conftest's parse_config built-ins (rego::EvalOptions::
// config_reader) for `policy check` and `policy test`: text read as the
// parser named, a file as ReadPolicyInput reads it.
decltype(rego::EvalOptions::config_reader) ConftestConfigReader(const rego::DecodeLimits& limits = {});

// `policy check`, as conftest runs it.
struct PolicyCheckRequest {
  std::vector<std::string> policies{"policy"};
  std::vector<std::string> inputs;  // files, folders, "-"
  std::vector<std::string> data;    // --data: rego::LoadDataDocuments
  std::string parser;               // --parser ("": by file name)
  bool combine = false;             // --combine: one input "Combined" (rego::CombineInputs)
  rego::CompileOptions compile;
  rego::CheckOptions check;
};
struct PolicyCheckRun {
  std::vector<rego::FileCheck> results;
  std::vector<walk::Problem> problems;  // what the walk could not read or left out
  bool incomplete = false;              // a problem that is not a note: not a pass
};
// Loads the policies and data, reads the inputs (zero inputs is an error,
// never "0 tests"), checks them.
Result<PolicyCheckRun> RunPolicyCheck(const PolicyCheckRequest& request);

}  // namespace tollgate::gate
