// The catalog of built-in IaC checks, read from the `# METADATA` block above
// each `deny` rule of the tollgate.iac.* packages (policies/lib.rego describes
// the fields), and docs/policies.md generated from it.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace tollgate::iac {

struct CheckInfo {
  std::string id;           // TG-TF-001
  std::string title;
  std::string severity;     // critical|high|medium|low|info
  std::string rationale;    // the METADATA description
  std::string remediation;
  std::vector<std::string> resources;  // resource types or kinds it inspects
  std::vector<std::string> pci;        // PCI DSS v4.0 requirements
  std::vector<std::string> cis;        // CIS benchmark items
  std::vector<std::string> nist;       // NIST SP 800-53 controls
  std::string package;      // tollgate.iac.terraform
  std::string package_title;
  std::string file;         // policies/terraform.rego
  int line = 0;
};

// The checks of the policies in `dirs` (the embedded built-ins when empty),
// sorted by file and id. Fails (Error::Input, file:line) when a deny rule
// of a tollgate.iac package lacks a field, has an unknown severity, or
// reuses another check's id.
Result<std::vector<CheckInfo>> LoadCatalog(const std::vector<std::string>& dirs);

// docs/policies.md.
std::string CatalogMarkdown(const std::vector<CheckInfo>& checks);

}  // namespace tollgate::iac
