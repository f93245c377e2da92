// tollgate scan iac: Terraform, plan JSON, Kubernetes and Dockerfile checks
// with the built-in Rego policies plus the user's.
#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "scan/iac/iac.h"

namespace tollgate::cli {
namespace {

struct ScanIacArgs {
  std::vector<std::string> paths;
  std::vector<std::string> policy;
  std::string builtin_dir;
  bool no_builtin = false;
  std::string format = "text";
  std::string output;
  std::string fail_on = "any";
  std::vector<std::string> var_files;
  unsigned jobs = 1;
  bool stats = false;
  bool strict = false;
  bool no_gitignore = false;
  std::vector<std::string> exclude;
};

int RunScanIac(const ScanIacArgs& a) {
  auto fail_on = FailOnThreshold(a.fail_on);
  if (!fail_on) return Report(fail_on.error());
  const std::optional<Severity> threshold = *fail_on;
  iac::ScanOptions opts;
  opts.policy_dirs = a.policy;
  opts.builtin = !a.no_builtin;
  opts.builtin_dir = a.builtin_dir;
  opts.var_files = a.var_files;
  opts.jobs = a.jobs;
  opts.strict = a.strict;
  opts.exclude = a.exclude;
  opts.gitignore = !a.no_gitignore;
  std::vector<std::string> notes;
  opts.notes = &notes;
  iac::ScanStats stats;
  opts.stats = &stats;
  auto findings = iac::Scan(a.paths, opts);
  if (!findings) return Report(findings.error());
  for (const auto& n : notes) std::cerr << "tollgate: note: " << n << "\n";
  if (a.stats) {
    double rate = stats.wall_seconds > 0 ? static_cast<double>(stats.files) / stats.wall_seconds : 0;
    std::fprintf(stderr, "tollgate: iac: %zu files in %.3f s (%.0f files/s, %u jobs); parse %.3f s, policy %.3f s (CPU time, summed over jobs)\n",
                 stats.files, stats.wall_seconds, rate, stats.jobs, stats.load_seconds, stats.policy_seconds);
  }
  SortFindings(*findings);
  tollgate::Report r;
  r.tool_version = kVersion;
  r.findings = std::move(*findings);
  // inline suppressions (# tollgate:ignore=<check> reason) show as waived and do not fail the scan
  for (const auto& f : r.findings) {
    if (f.details.contains("suppression")) r.waived_fingerprints.push_back(f.fingerprint);
    else if (threshold && AtOrAbove(f.severity, *threshold)) r.blocking_fingerprints.push_back(f.fingerprint);
  }
  if (int rc = EmitReport(r, a.format, a.output); rc != 0) return rc;
  return r.blocking_fingerprints.empty() ? 0 : static_cast<int>(ExitCode::kBlocked);
}

}  // namespace

void RegisterScanIac(CLI::App& scan, Context& ctx) {
  auto a = std::make_shared<ScanIacArgs>();
  auto* cmd = scan.add_subcommand("iac", "Check Terraform (.tf, plan JSON), Kubernetes YAML and Dockerfiles with Rego policies");
  cmd->add_option("paths", a->paths, "Files or directories")->required();
  cmd->add_option("--policy", a->policy, "Directory of your own Rego policies (deny rules), added to the built-ins");
  cmd->add_option("--builtin-policies", a->builtin_dir, "Load the built-in policies from this directory instead of the embedded copy");
  cmd->add_flag("--no-builtin", a->no_builtin, "Evaluate only the --policy directories");
  cmd->add_option("--var-file", a->var_files, "Terraform variable definitions (.tfvars) applied after terraform.tfvars and *.auto.tfvars");
  cmd->add_option("--jobs,-j", a->jobs, "Worker threads (0 = all cores); output is the same for any value")->capture_default_str();
  cmd->add_flag("--stats", a->stats, "Print files/s and the parse/policy time split to stderr");
  cmd->add_flag("--strict", a->strict,
                "A file that cannot be read or parsed stops the scan (exit 2) instead of being a finding");
  cmd->add_option("--exclude", a->exclude, "Leave out paths matching this glob (below each path; repeatable)");
  cmd->add_flag("--no-gitignore", a->no_gitignore, "Also scan files that .gitignore excludes");
  AddOutputOptions(cmd, a->format, a->output);
  cmd->add_option("--fail-on", a->fail_on, "Exit 1 when a finding is at or above: critical|high|medium|low|info|any|none")
      ->capture_default_str();
  cmd->callback([&ctx, a] { ctx.action = [a] { return RunScanIac(*a); }; });
}

}  // namespace tollgate::cli
