// tollgate scan import FILE --gate NAME: external SARIF into Findings.
#include <iostream>

#include "cli/cli.h"
#include "scan/import/sarif.h"

namespace tollgate::cli {
namespace {

struct ScanImportArgs {
  std::string file;
  std::string gate;
  std::string format = "text";
  std::string output;
  std::string fail_on = "any";
};

int RunScanImport(const ScanImportArgs& a) {
  std::optional<Severity> threshold;
  if (a.fail_on == "any") {
    threshold = Severity::kInfo;
  } else if (a.fail_on != "none") {
    threshold = ParseSeverity(a.fail_on);
    if (!threshold) return Report(Error::Input("--fail-on: unknown severity '" + a.fail_on + "'"));
  }
  auto findings = sarif::ImportSarifFile(a.file, a.gate);
  if (!findings) return Report(findings.error());
  SortFindings(*findings);
  tollgate::Report r;
  r.tool_version = kVersion;
  r.findings = *findings;
  for (const auto& f : r.findings)
    if (threshold && f.severity >= *threshold) r.blocking_fingerprints.push_back(f.fingerprint);
  if (int rc = EmitReport(r, a.format, a.output); rc != 0) return rc;
  return r.blocking_fingerprints.empty() ? 0 : static_cast<int>(ExitCode::kBlocked);
}

}  // namespace

void RegisterScan(CLI::App& app, Context& ctx) {
  auto* scan = app.add_subcommand("scan", "Run one scanner or import an external report, without gating or recording");
  scan->require_subcommand(1);
  auto a = std::make_shared<ScanImportArgs>();
  auto* imp = scan->add_subcommand("import", "Convert a SARIF 2.1.0 report (any SAST/DAST/container tool) into findings");
  imp->add_option("file", a->file, "SARIF file")->required();
  imp->add_option("--gate", a->gate, "Gate the findings belong to")->required();
  AddOutputOptions(imp, a->format, a->output);
  imp->add_option("--fail-on", a->fail_on, "Exit 1 when a finding is at or above: critical|high|medium|low|info|any|none")
      ->capture_default_str();
  imp->callback([&ctx, a] { ctx.action = [a] { return RunScanImport(*a); }; });
}

}  // namespace tollgate::cli
