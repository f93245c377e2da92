// The `policy` gate: Rego policies (conftest conventions) over the
// repository's configuration files.
#pragma once

#include <string>
#include <vector>

#include "core/finding.h"
#include "core/result.h"

namespace tollgate::gate {

// Fails (config error) when the policy directory is missing or does not compile.
Status CheckPolicySource(const std::string& policy_dir);

// Evaluates the policies in `policy_dir` (all packages) against every
// configuration file under `root` (JSON, YAML, TOML, INI, .env, Dockerfile;
// hidden directories, the policy directory and files over 4 MiB are skipped).
// deny/violation results are findings with the violation's own severity
// (default high), warn results are low; paths are relative to `root`.
Result<std::vector<Finding>> CollectPolicyFindings(const std::string& policy_dir, const std::string& root,
                                                   const std::string& gate);

}  // namespace tollgate::gate
