// tollgate db import|status, tollgate scan deps, tollgate sbom: the offline
// OSV database and the dependency/container scanner (docs/deps.md).
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "scan/deps/deps.h"

namespace tollgate::cli {
namespace {

namespace fs = std::filesystem;

struct DbArgs {
  std::vector<std::string> paths;
  std::string db;
  std::string format = "text";
};

int RunDbImport(const DbArgs& a) {
  std::string dir = deps::DefaultDbDir(a.db);
  auto db = deps::AdvisoryDb::Open(dir, true);
  if (!db) return Report(db.error());
  auto st = (*db)->Import(a.paths);
  if (!st) return Report(st.error());
  for (const auto& w : st->warnings) std::cerr << "tollgate: warning: " << w << "\n";
  auto status = (*db)->GetStatus();
  if (!status) return Report(status.error());
  std::cout << "imported " << st->read << " records into " << (*db)->path() << ": " << st->added << " new, "
            << st->updated << " updated, " << st->unchanged << " unchanged (" << st->withdrawn << " withdrawn)\n"
            << "database: " << status->advisories << " advisories, newest modified " << status->newest_modified
            << ", digest sha256:" << status->digest << "\n";
  return 0;
}

int RunDbStatus(const DbArgs& a) {
  auto db = deps::AdvisoryDb::Open(deps::DefaultDbDir(a.db), false);
  if (!db) return Report(db.error());
  auto st = (*db)->GetStatus();
  if (!st) return Report(st.error());
  if (a.format == "json") {
    Json j = {{"path", (*db)->path()},
              {"advisories", st->advisories},
              {"withdrawn", st->withdrawn},
              {"ecosystems", st->per_ecosystem},
              {"ecosystems_modified", Json::object()},
              {"modified", st->newest_modified},
              {"digest", st->digest}};
    for (const auto& [eco, stats] : st->ecosystems) j["ecosystems_modified"][eco] = stats.newest_modified;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "database: " << (*db)->path() << "\n"
            << "advisories: " << st->advisories << " (" << st->withdrawn << " withdrawn, kept but never matched)\n"
            << "newest modified: " << st->newest_modified << "\n"
            << "digest: sha256:" << st->digest << "\n";
  for (const auto& [eco, stats] : st->ecosystems)
    std::cout << "  " << eco << ": " << stats.advisories << " advisor" << (stats.advisories == 1 ? "y" : "ies")
              << ", newest modified " << stats.newest_modified << "\n";
  return 0;
}

struct ScanDepsArgs {
  std::vector<std::string> paths;
  std::string db;
  std::string format = "text";
  std::string output;
  std::string fail_on = "any";
  std::vector<std::string> exclude;
  bool no_gitignore = false;
};

int RunScanDeps(const ScanDepsArgs& a) {
  auto fail_on = FailOnThreshold(a.fail_on);
  if (!fail_on) return Report(fail_on.error());
  const std::optional<Severity> threshold = *fail_on;
  auto db = deps::AdvisoryDb::Open(deps::DefaultDbDir(a.db), false);
  if (!db) return Report(db.error());
  deps::CollectOptions opts;
  opts.exclude = a.exclude;
  opts.gitignore = !a.no_gitignore;
  auto res = deps::ScanDeps(a.paths, **db, opts);
  if (!res) return Report(res.error());
  // What could not be read or parsed is a finding, as in the gate.
  walk::AddProblemFindings(res->inventory.problems, deps::kToolName, Severity::kHigh, res->findings,
                           res->inventory.warnings);
  for (const auto& w : res->inventory.warnings) std::cerr << "tollgate: warning: " << w << "\n";
  // Per ecosystem, what was checked against what: an ecosystem the database
  // does not cover is a warning here and a finding in a gate.
  for (const auto& c : res->coverage)
    std::cerr << "tollgate: " << (c.advisories == 0 ? "warning: " : "") << "deps: " << deps::CoverageText(c) << "\n";
  tollgate::Report r;
  r.tool_version = kVersion;
  r.findings = std::move(res->findings);
  r.metadata = {{"advisory_database", res->database},
                {"packages", res->inventory.packages.size()},
                {"coverage", deps::CoverageJson(res->coverage)}};
  for (const auto& f : r.findings)
    if (threshold && AtOrAbove(f.severity, *threshold)) r.blocking_fingerprints.push_back(f.fingerprint);
  if (int rc = EmitReport(r, a.format, a.output); rc != 0) return rc;
  return r.blocking_fingerprints.empty() ? 0 : static_cast<int>(ExitCode::kBlocked);
}

struct SbomArgs {
  std::vector<std::string> paths;
  std::string format = "cyclonedx";
  std::string output;
  std::string name;
};

int RunSbom(const SbomArgs& a, const Clock& clock) {
  auto inv = deps::CollectPackages(a.paths);
  if (!inv) return Report(inv.error());
  for (const auto& w : inv->warnings) std::cerr << "tollgate: warning: " << w << "\n";
  for (const auto& p : inv->problems) std::cerr << "tollgate: warning: not in the SBOM: " << p.Text() << "\n";
  std::string name = a.name;
  if (name.empty()) name = fs::absolute(a.paths.front()).lexically_normal().filename().string();
  if (name.empty()) name = a.paths.front();
  std::string ts = FormatRfc3339(clock.Now());
  Json doc = a.format == "spdx" ? deps::SpdxSbom(*inv, name, ts, kVersion) : deps::CycloneDxSbom(*inv, name, ts, kVersion);
  std::string body = doc.dump(2) + "\n";
  if (a.output.empty()) {
    std::cout << body;
    return 0;
  }
  if (auto s = WriteFileAtomic(a.output, body); !s) return Report(s.error());
  std::cerr << "tollgate: wrote " << inv->packages.size() << " packages to " << a.output << "\n";
  return 0;
}

}  // namespace

void RegisterScanDeps(CLI::App& scan, Context& ctx) {
  auto s = std::make_shared<ScanDepsArgs>();
  auto* cmd = scan.add_subcommand("deps", "Match lockfiles, SBOMs, root filesystems and image tarballs against the offline OSV database");
  cmd->add_option("paths", s->paths, "Directories, lockfiles, SBOMs or `docker save` tarballs")->required();
  cmd->add_option("--db", s->db, "Advisory database directory (default: $TOLLGATE_DB, else the user cache directory)");
  cmd->add_option("--exclude", s->exclude, "Leave out paths matching this glob (below each path; repeatable): never opened");
  cmd->add_flag("--no-gitignore", s->no_gitignore, "Also read lockfiles that .gitignore excludes");
  AddOutputOptions(cmd, s->format, s->output);
  cmd->add_option("--fail-on", s->fail_on, "Exit 1 when a finding is at or above: critical|high|medium|low|info|any|none")
      ->capture_default_str();
  cmd->callback([&ctx, s] { ctx.action = [s] { return RunScanDeps(*s); }; });
}

void RegisterDeps(CLI::App& app, Context& ctx) {
  auto* db = app.add_subcommand("db", "The offline OSV advisory database");
  db->require_subcommand(1);
  auto imp = std::make_shared<DbArgs>();
  auto* i = db->add_subcommand("import", "Import OSV records: JSON/YAML files, folders of them, or OSV all.zip archives");
  i->add_option("paths", imp->paths, "Files, folders or zip archives")->required();
  i->add_option("--db", imp->db, "Advisory database directory (default: $TOLLGATE_DB, else the user cache directory)");
  i->callback([&ctx, imp] { ctx.action = [imp] { return RunDbImport(*imp); }; });
  auto st = std::make_shared<DbArgs>();
  auto* s = db->add_subcommand("status", "Advisory counts per ecosystem, newest modified date and digest");
  s->add_option("--db", st->db, "Advisory database directory (default: $TOLLGATE_DB, else the user cache directory)");
  s->add_option("--format", st->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  s->callback([&ctx, st] { ctx.action = [st] { return RunDbStatus(*st); }; });

  auto sb = std::make_shared<SbomArgs>();
  auto* sbom = app.add_subcommand("sbom", "Write a CycloneDX 1.5 or SPDX 2.3 JSON SBOM of every package found");
  sbom->add_option("paths", sb->paths, "Directories, lockfiles, SBOMs or `docker save` tarballs")->required();
  sbom->add_option("--format", sb->format, "cyclonedx or spdx")
      ->check(CLI::IsMember({"cyclonedx", "spdx"}))
      ->capture_default_str();
  sbom->add_option("--output,-o", sb->output, "Write the SBOM to FILE instead of stdout");
  sbom->add_option("--name", sb->name, "Name of the described subject (default: the first path's name)");
  sbom->callback([&ctx, sb] { ctx.action = [&ctx, sb] { return RunSbom(*sb, ctx.clock); }; });
}

}  // namespace tollgate::cli
