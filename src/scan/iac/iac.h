// The IaC document model: Terraform (HCL native syntax, subset), Terraform
// plan JSON, Kubernetes YAML and Dockerfiles, each loaded into one JSON
// document with source lines that the built-in and user Rego policies see as
// `input`. See docs/iac-model.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"

namespace tollgate::iac {

enum class Format { kNone, kTerraform, kTerraformPlan, kKubernetes, kDockerfile };

// The format of a file by name and (for .json/.yaml) content; kNone when it
// is not infrastructure code.
Format DetectFormat(const std::string& path, std::string_view text);

struct SourceText {
  std::string file;
  std::string text;
};

// Each loader fails with "file:line: problem" (Error::Input) on bad input.
Result<Json> LoadTerraformHcl(const std::string& file, std::string_view text);
// The .tf files of one module directory, evaluated together: `var.x` from
// variable defaults overridden by the tfvars (in order: terraform.tfvars,
// *.auto.tfvars, --var-file), `local.x` from locals. One document per file.
Result<std::vector<Json>> LoadTerraformModule(const std::vector<SourceText>& tf, const std::vector<SourceText>& tfvars);
Result<Json> LoadTerraformPlan(const std::string& file, std::string_view text);
Result<Json> LoadKubernetes(const std::string& file, std::string_view text);
Result<Json> LoadDockerfile(const std::string& file, std::string_view text);
// Dispatches on DetectFormat; a null Json for kNone.
Result<Json> LoadFile(const std::string& file, std::string_view text);

// The infrastructure files under the paths (files are taken as given;
// directories are walked, skipping hidden ones, build and node_modules), sorted.
Result<std::vector<std::string>> FindFiles(const std::vector<std::string>& paths);

struct ScanOptions {
  std::vector<std::string> policy_dirs;  // user policies, added to the built-ins
  bool builtin = true;
  std::string builtin_dir;               // load built-ins from here instead of the embedded copy
};

// Loads the files, evaluates every `deny` rule of every package under
// tollgate.iac (built-ins) and of the user's packages, returns findings.
Result<std::vector<Finding>> Scan(const std::vector<std::string>& paths, const ScanOptions& opts);

}  // namespace tollgate::iac
