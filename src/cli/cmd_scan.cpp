// tollgate scan import|secrets: run one scanner or import a report, without gating.
#include <chrono>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "scan/import/sarif.h"
#include "scan/secrets/secrets.h"

namespace tollgate::cli {
namespace {

struct ScanImportArgs {
  std::string file;
  std::string gate;
  std::string format = "text";
  std::string output;
  std::string fail_on = "any";
};

Result<std::optional<Severity>> Threshold(const std::string& fail_on) {
  if (fail_on == "none") return std::optional<Severity>();
  if (fail_on == "any") return std::optional<Severity>(Severity::kInfo);
  auto s = ParseRatedSeverity(fail_on);
  if (!s) return Fail(Error::Input("--fail-on: unknown severity '" + fail_on + "'"));
  return std::optional<Severity>(*s);
}

int RunScanImport(const ScanImportArgs& a) {
  auto threshold = Threshold(a.fail_on);
  if (!threshold) return Report(threshold.error());
  // A report of any size: the findings beyond a memory budget wait on disk.
  auto findings = sarif::ImportSarifFileToStore(a.file, a.gate);
  if (!findings) return Report(findings.error());
  tollgate::Report r;
  r.tool_version = kVersion;
  r.blocking_at = *threshold;
  const bool blocked = *threshold && findings->HasAtOrAbove(**threshold);
  if (int rc = EmitReport(r, *findings, a.format, a.output); rc != 0) return rc;
  return blocked ? static_cast<int>(ExitCode::kBlocked) : 0;
}

struct ScanSecretsArgs {
  std::vector<std::string> paths;
  std::vector<std::string> rules;
  std::string format = "text";
  std::string output;
  std::string fail_on = "any";
  bool no_redact = false;
  std::uint64_t max_file_mb = 50;
  unsigned threads = 0;
  std::string baseline;
  std::string write_baseline;
  bool git = false;
  std::string since;
  bool no_gitignore = false;
  bool no_archives = false;
  std::vector<std::string> exclude;
};

// Scans the paths (or their git histories), with a progress line on a terminal.
Result<secrets::ScanResult> ScanTargets(const secrets::Scanner& scanner, const ScanSecretsArgs& a,
                                        const std::vector<std::string>& paths, secrets::ScanOptions opts) {
  secrets::ScanProgress progress;
  opts.progress = &progress;
  const auto started = std::chrono::steady_clock::now();
  ProgressLine line([&] {
    const double mb = static_cast<double>(progress.bytes.load(std::memory_order_relaxed)) / (1 << 20);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::ostringstream out;
    out << "scanning: ";
    if (a.git) out << progress.commits.load(std::memory_order_relaxed) << " commits, ";
    out << progress.files.load(std::memory_order_relaxed) << (a.git ? " blobs, " : " files, ")
        << static_cast<std::uint64_t>(mb) << " MB (" << static_cast<std::uint64_t>(secs > 0 ? mb / secs : 0)
        << " MB/s)";
    return out.str();
  });
  secrets::ScanResult res;
  if (a.git) {
    for (const auto& p : paths) {
      auto h = secrets::ScanGitHistory(scanner, p, secrets::GitScanOptions{a.since}, opts);
      if (!h) return Fail(h.error());
      res.Absorb(std::move(*h));
    }
    return res;
  }
  if (paths.empty()) return res;
  return secrets::ScanPaths(scanner, paths, opts);
}

int RunScanSecrets(const ScanSecretsArgs& a) {
  auto threshold = Threshold(a.fail_on);
  if (!threshold) return Report(threshold.error());
  std::vector<secrets::Rule> rules;
  if (a.rules.empty()) {
    auto b = secrets::BuiltinRules();
    if (!b) return Report(b.error());
    rules = std::move(*b);
  }
  for (const auto& file : a.rules) {
    auto r = secrets::LoadRulesFile(file);
    if (!r) return Report(r.error());
    rules.insert(rules.end(), r->begin(), r->end());
  }
  auto scanner = secrets::Scanner::Compile(std::move(rules));
  if (!scanner) return Report(scanner.error());
  secrets::ScanOptions opts;
  opts.redact = !a.no_redact;
  opts.max_file_bytes = a.max_file_mb << 20;
  opts.threads = a.threads;
  opts.respect_gitignore = !a.no_gitignore;
  opts.archives = !a.no_archives;
  opts.exclude = a.exclude;
  // "-" reads standard input (bounded like a file); everything else is a path.
  std::vector<std::string> paths;
  secrets::ScanResult from_stdin;
  for (const auto& p : a.paths) {
    if (p != "-") {
      paths.push_back(p);
      continue;
    }
    std::string data;
    char buf[1 << 16];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      data.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (data.size() > opts.max_file_bytes) return Report(Error::Input("stdin: larger than --max-file-mb"));
    }
    secrets::ScanContent(*scanner, data, "stdin", opts, from_stdin);
  }
  Result<secrets::ScanResult> res = ScanTargets(*scanner, a, paths, opts);
  if (!res) return Report(res.error());
  res->Absorb(std::move(from_stdin));
  // What could not be read completely is a finding, as in the gate.
  walk::AddProblemFindings(res->problems, "tollgate-secrets", Severity::kHigh, res->findings, res->warnings);
  SortFindings(res->findings);
  if (!a.write_baseline.empty()) {
    if (auto s = WriteFileAtomic(a.write_baseline, secrets::BaselineJson(res->findings)); !s) return Report(s.error());
    std::cerr << "tollgate: wrote " << res->findings.size() << " findings to the baseline " << a.write_baseline << "\n";
    return 0;
  }
  if (!a.baseline.empty()) {
    auto b = secrets::LoadBaseline(a.baseline);
    if (!b) return Report(b.error());
    secrets::ApplyBaseline(*b, a.baseline, *res);
  }
  for (const auto& w : res->warnings) std::cerr << "tollgate: warning: " << w << "\n";
  for (const auto& w : res->stale_suppressions) std::cerr << "tollgate: stale suppression: " << w << "\n";
  tollgate::Report r;
  r.tool_version = kVersion;
  r.findings = std::move(res->findings);
  for (const auto& f : r.findings)
    if (*threshold && AtOrAbove(f.severity, **threshold)) r.blocking_fingerprints.push_back(f.fingerprint);
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

  auto s = std::make_shared<ScanSecretsArgs>();
  auto* sec = scan->add_subcommand("secrets", "Find leaked credentials in files and directories");
  sec->add_option("paths", s->paths, "Files or directories; - reads standard input")->required();
  sec->add_option("--rules", s->rules, "Rule file(s) in tollgate TOML format, instead of the built-in rules");
  AddOutputOptions(sec, s->format, s->output);
  sec->add_option("--fail-on", s->fail_on, "Exit 1 when a finding is at or above: critical|high|medium|low|info|any|none")
      ->capture_default_str();
  sec->add_flag("--no-redact", s->no_redact, "Show full secrets in the output (never in CI logs)");
  sec->add_option("--max-file-mb", s->max_file_mb, "Skip files larger than this, with a warning")->capture_default_str();
  sec->add_flag("--git", s->git, "Scan the git history of each PATH: every blob reachable from any ref, once");
  sec->add_option("--since", s->since, "With --git: only commits not reachable from this revision (e.g. origin/main)");
  sec->add_flag("--no-gitignore", s->no_gitignore, "Also scan files that .gitignore excludes");
  sec->add_flag("--no-archives", s->no_archives,
                "Do not look inside zip/tar/7z and gzip/bzip2/xz/zstd files (scanned in memory, never extracted)");
  sec->add_option("--threads", s->threads, "Worker threads (default: one per core)");
  sec->add_option("--exclude", s->exclude, "Leave out paths matching this glob (below each PATH; repeatable): never opened");
  sec->add_option("--baseline", s->baseline, "Accept the findings listed in this baseline file (by secret, not by line)");
  sec->add_option("--write-baseline", s->write_baseline, "Write every current finding to a baseline file and exit 0");
  sec->callback([&ctx, s] { ctx.action = [s] { return RunScanSecrets(*s); }; });

  RegisterScanDeps(*scan, ctx);
  RegisterScanIac(*scan, ctx);
}

}  // namespace tollgate::cli
