// tollgate report compliance (docs/compliance.md): parse flags, call the
// compliance module, write the report.
#include <cmath>
#include <iostream>

#include "cli/cli.h"
#include "compliance/compliance.h"
#include "gate/config.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

struct ComplianceArgs {
  std::string framework;
  std::string service;
  std::string ledger;
  std::string from;
  std::string to;
  std::string format = "json";
  std::string output;
  std::vector<std::string> catalogs;
  std::string config;  // tollgate.yaml: its `catalogs:` and service
  std::string check;
  std::vector<std::string> frameworks;  // report bundle
  bool force = false;
};

std::string Percent(double share) { return std::to_string(static_cast<int>(std::lround(share * 100.0))) + "%"; }

// One line per framework for the terminal when the report goes to a file.
std::string Summary(const Json& r) {
  const Json& s = r["summary"];
  const Json& a = r["automation"];
  std::string line = r["framework"]["name"].get<std::string>() + " " + r["framework"]["version"].get<std::string>() +
                     ": " + std::to_string(s["satisfied"].get<int>()) + " satisfied, " +
                     std::to_string(s["not_satisfied"].get<int>()) + " not satisfied, " +
                     std::to_string(s["not_assessed"].get<int>()) + " not assessed; automation " +
                     Percent(a["level"].get<double>());
  if (!a["target"].is_null()) line += " (target " + Percent(a["target"].get<double>()) + ")";
  return line + "\n";
}

// --from, --to and --service.
Result<compliance::EvidenceOptions> PeriodOf(const ComplianceArgs& a) {
  auto from = ParseRfc3339(a.from);
  if (!from) return Fail(from.error().WithContext("--from"));
  auto to = ParseRfc3339(a.to);
  if (!to) return Fail(to.error().WithContext("--to"));
  return compliance::EvidenceOptions{*from, *to, a.service};
}

// The evidence document of the period, from the verified ledger.
Result<Json> ReadEvidence(const ComplianceArgs& a, const Clock& clock) {
  auto period = PeriodOf(a);
  if (!period) return Fail(period.error());
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kExisting, clock);
  if (!l) return Fail(l.error());
  return compliance::BuildEvidence(**l, *period);
}

// `body` to --output (a file) or stdout; exit 0 or the write's error.
int Emit(const std::string& output, const std::string& body) {
  if (output.empty() || output == "-") {
    std::cout << body;
    std::cout.flush();
    return std::cout ? 0 : static_cast<int>(ExitCode::kInternal);
  }
  if (auto s = WriteFileAtomic(output, body); !s) return Report(s.error());
  return 0;
}

bool Verified(const Json& evidence) {
  if (evidence["ledger"].value("verified", false)) return true;
  std::cerr << "tollgate: the ledger failed verification (" << evidence["ledger"].value("error", "")
            << "): no control is marked satisfied\n";
  return false;
}

// With --config: the configuration's `catalogs:` beside --catalogs, and its
// service when --service is not given (what its compliance gate judges).
Result<ComplianceArgs> WithConfig(ComplianceArgs a) {
  if (a.config.empty()) return a;
  auto config = gate::LoadConfig(a.config);
  if (!config) return Fail(config.error());
  a.catalogs.insert(a.catalogs.end(), config->catalogs.begin(), config->catalogs.end());
  if (a.service.empty()) a.service = config->service;
  return a;
}

int RunCompliance(const ComplianceArgs& args, const Clock& clock) {
  auto with_config = WithConfig(args);
  if (!with_config) return Report(with_config.error());
  const ComplianceArgs& a = *with_config;
  auto lib = compliance::LoadLibrary(a.catalogs);
  if (!lib) return Report(lib.error());
  const compliance::Framework* fw = lib->Find(a.framework);
  if (fw == nullptr)
    return Report(Error::Input("unknown framework '" + a.framework + "' (one of: " + lib->FrameworkIds() + ")"));
  auto evidence = ReadEvidence(a, clock);
  if (!evidence) return Report(evidence.error());
  auto report = compliance::Assess(*lib, *fw, *evidence);
  if (!report) return Report(report.error());
  const bool verified = Verified(*evidence);
  std::string body = a.format == "oscal"  ? compliance::ToOscal(*report, clock.Now()).dump(2) + "\n"
                     : a.format == "html" ? compliance::ToHtml(*report, clock.Now())
                                          : compliance::ReportText(*report);
  if (int rc = Emit(a.output, body); rc != 0) return rc;
  if (!a.output.empty() && a.output != "-") std::cout << Summary(*report);
  return verified ? 0 : static_cast<int>(ExitCode::kIntegrity);
}

// The document the rules read, for writing and testing a company's own rules.
int RunEvidence(const ComplianceArgs& a, const Clock& clock) {
  auto evidence = ReadEvidence(a, clock);
  if (!evidence) return Report(evidence.error());
  const bool verified = Verified(*evidence);
  if (int rc = Emit(a.output, evidence->dump(2) + "\n"); rc != 0) return rc;
  return verified ? 0 : static_cast<int>(ExitCode::kIntegrity);
}

// The catalogs as Markdown; with --check, whether FILE is that text.
int RunCatalog(const ComplianceArgs& a) {
  auto lib = compliance::LoadLibrary(a.catalogs);
  if (!lib) return Report(lib.error());
  std::string text = compliance::CatalogMarkdown(*lib);
  if (a.check.empty()) return Emit(a.output, text);
  auto current = ReadFileBounded(a.check);
  if (!current) return Report(current.error());
  if (*current == text) return 0;
  std::cerr << "tollgate: " << a.check << " is out of date: run tollgate report catalog --output " << a.check << "\n";
  return static_cast<int>(ExitCode::kBlocked);
}

// tollgate report bundle: the directory an auditor takes away.
int RunBundle(const ComplianceArgs& a, const Clock& clock) {
  auto lib = compliance::LoadLibrary(a.catalogs);
  if (!lib) return Report(lib.error());
  auto period = PeriodOf(a);
  if (!period) return Report(period.error());
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kExisting, clock);
  if (!l) return Report(l.error());
  auto s = compliance::WriteBundle(**l, *lib, {a.frameworks, *period, a.output, a.force, clock.Now()});
  if (!s) return Report(s.error());
  std::cout << "wrote " << a.output << ": " << s->reports << " reports, " << s->size << " entries (root " << s->root
            << "), " << s->checkpoints << " checkpoints, " << s->keys << " keys\n";
  return 0;
}

}  // namespace

void RegisterReport(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ComplianceArgs>();
  const Clock& clock = ctx.clock;
  auto* report = app.add_subcommand("report", "Reports for auditors");
  report->require_subcommand(1);
  auto* c =
      report->add_subcommand("compliance", "Judge a framework's controls from the ledger's evidence (JSON, OSCAL or HTML)");
  c->add_option("--framework", a->framework, "pci-dss, sox, soc2, gdpr, nist-csf, ffiec (or a catalog of --catalogs)")
      ->required();
  c->add_option("--service", a->service, "Only this service's entries");
  c->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  c->add_option("--from", a->from, "Period start (RFC 3339 or a date; inclusive)")->required();
  c->add_option("--to", a->to, "Period end (RFC 3339 or a date; exclusive)")->required();
  c->add_option("--format", a->format,
                "json, oscal (OSCAL 1.1.3 assessment results) or html (one printable page for auditors)")
      ->check(CLI::IsMember({"json", "oscal", "html"}))
      ->capture_default_str();
  c->add_option("--output,-o", a->output, "Write the report to FILE (- or none: stdout)");
  c->add_option("--catalogs", a->catalogs,
                "A directory of the company's own catalogs (*.yaml) and rules (rules/*.rego); repeatable");
  c->add_option("--config", a->config,
                "tollgate.yaml: also its catalogs: and, without --service, its service (as its compliance gate)");
  c->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunCompliance(*a, clock); }; });

  auto* e = report->add_subcommand(
      "evidence", "Write the evidence document the compliance rules read (for writing and testing your own rules)");
  e->add_option("--service", a->service, "Only this service's entries");
  e->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  e->add_option("--from", a->from, "Period start (RFC 3339 or a date; inclusive)")->required();
  e->add_option("--to", a->to, "Period end (RFC 3339 or a date; exclusive)")->required();
  e->add_option("--output,-o", a->output, "Write it to FILE (- or none: stdout)");
  e->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunEvidence(*a, clock); }; });

  auto* b = report->add_subcommand(
      "bundle", "Write the auditor's bundle directory: reports, ledger export, checkpoints, keys, entries, MANIFEST");
  b->add_option("--framework", a->frameworks, "A framework to report (repeatable)")->required();
  b->add_option("--service", a->service, "Only this service's entries in the reports");
  b->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  b->add_option("--from", a->from, "Period start (RFC 3339 or a date; inclusive)")->required();
  b->add_option("--to", a->to, "Period end (RFC 3339 or a date; exclusive)")->required();
  b->add_option("--output,-o", a->output, "The bundle directory to create (verify: tollgate ledger verify --bundle DIR)")
      ->required();
  b->add_flag("--force", a->force, "Replace DIR when it exists and is not empty");
  b->add_option("--catalogs", a->catalogs, "Also this directory's catalogs and rules; repeatable");
  b->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunBundle(*a, clock); }; });

  auto* cat = report->add_subcommand(
      "catalog", "Print every framework's controls and the evidence that judges them (docs/compliance-catalogs.md)");
  cat->add_option("--catalogs", a->catalogs, "Also this directory's catalogs and rules; repeatable");
  cat->add_option("--output,-o", a->output, "Write it to FILE (- or none: stdout)");
  cat->add_option("--check", a->check, "Exit 1 when FILE differs from the generated text");
  cat->callback([&ctx, a] { ctx.action = [a] { return RunCatalog(*a); }; });
}

}  // namespace tollgate::cli
