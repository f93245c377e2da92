// tollgate policy docs: the catalog of built-in IaC checks (docs/policies.md)
// from the policies' METADATA, and the check that the committed copy is current.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "scan/iac/catalog.h"

namespace tollgate::cli {
namespace {

struct PolicyDocsArgs {
  std::string builtin_dir;
  std::string format = "markdown";
  std::string output;
  std::string check;
};

Json CatalogJson(const std::vector<iac::CheckInfo>& checks) {
  Json out = Json::array();
  for (const auto& c : checks)
    out.push_back({{"id", c.id}, {"title", c.title}, {"severity", c.severity}, {"rationale", c.rationale},
                   {"remediation", c.remediation}, {"resources", c.resources}, {"pci", c.pci}, {"cis", c.cis},
                   {"nist", c.nist}, {"package", c.package}, {"file", c.file}, {"line", c.line}});
  return out;
}

int RunPolicyDocs(const PolicyDocsArgs& a) {
  std::vector<std::string> dirs;
  if (!a.builtin_dir.empty()) dirs.push_back(a.builtin_dir);
  auto checks = iac::LoadCatalog(dirs);
  if (!checks) return Report(checks.error());
  std::string text = a.format == "json" ? CatalogJson(*checks).dump(2) + "\n" : iac::CatalogMarkdown(*checks);
  if (!a.check.empty()) {
    std::ifstream in(a.check, std::ios::binary);
    if (!in) return Report(Error::NotFound(a.check + ": cannot read"));
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str() == text) return 0;
    std::cerr << "tollgate: " << a.check << " is out of date: run tollgate policy docs --builtin-policies policies --output "
              << a.check << "\n";
    return static_cast<int>(ExitCode::kBlocked);
  }
  if (a.output.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(a.output, std::ios::binary | std::ios::trunc);
  if (!out || !(out << text)) return Report(Error::Io(a.output + ": cannot write"));
  return 0;
}

}  // namespace

void RegisterPolicyDocs(CLI::App& policy, Context& ctx) {
  auto a = std::make_shared<PolicyDocsArgs>();
  auto* cmd = policy.add_subcommand("docs", "List the built-in IaC checks from their METADATA (docs/policies.md)");
  cmd->add_option("--builtin-policies", a->builtin_dir, "Read the checks from this directory instead of the embedded copy");
  cmd->add_option("--format", a->format, "markdown or json")->check(CLI::IsMember({"markdown", "json"}))->capture_default_str();
  cmd->add_option("--output", a->output, "Write to this file instead of stdout");
  cmd->add_option("--check", a->check, "Exit 1 when this file differs from the generated text");
  cmd->callback([&ctx, a] { ctx.action = [a] { return RunPolicyDocs(*a); }; });
}

}  // namespace tollgate::cli
