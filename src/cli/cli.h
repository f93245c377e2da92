// The command-line front door: each cmd_*.cpp registers its subcommands and
// maps library results to output and exit codes. No logic of its own.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/file.h"
#include "core/report.h"
#include "core/result.h"
#include "core/signing.h"
#include "core/time.h"

namespace tollgate::cli {

// What the parsed command line asked to run; returns the exit code.
using Action = std::function<int()>;

struct Context {
  Action action;
  SystemClock clock;
};

void RegisterKeys(CLI::App& app, Context& ctx);
void RegisterLedger(CLI::App& app, Context& ctx);
// tollgate ledger attest|cosign (cmd_ledger_witness.cpp), added by RegisterLedger.
void RegisterLedgerWitness(CLI::App* ledger, Context& ctx);
void RegisterScan(CLI::App& app, Context& ctx);
void RegisterGate(CLI::App& app, Context& ctx);
void RegisterApprovals(CLI::App& app, Context& ctx);
void RegisterBaseline(CLI::App& app, Context& ctx);  // baseline create (cmd_baseline.cpp)
void RegisterSlo(CLI::App& app, Context& ctx);     // slo init|rules|budget
void RegisterCanary(CLI::App& app, Context& ctx);  // canary judge
void RegisterReport(CLI::App& app, Context& ctx);  // report compliance (cmd_report.cpp)
void RegisterCost(CLI::App& app, Context& ctx);    // cost diff (cmd_cost.cpp)
void RegisterRightsize(CLI::App& app, Context& ctx);  // rightsize (cmd_rightsize.cpp)
void RegisterKpi(CLI::App& app, Context& ctx);        // kpi report|roi (cmd_kpi.cpp)
void RegisterCatalog(CLI::App& app, Context& ctx);    // catalog check (cmd_catalog.cpp)
// tollgate db import|status and tollgate sbom (cmd_deps.cpp).
void RegisterDeps(CLI::App& app, Context& ctx);
// tollgate scan deps, added to the `scan` group by RegisterScan.
void RegisterScanDeps(CLI::App& scan, Context& ctx);
// tollgate scan iac (issue 7), added to the `scan` group by RegisterScan.
void RegisterScanIac(CLI::App& scan, Context& ctx);
void RegisterDelivery(CLI::App& app, Context& ctx);
void RegisterServe(CLI::App& app, Context& ctx);  // tollgate serve (cmd_serve.cpp)
void RegisterPolicy(CLI::App& app, Context& ctx);
// tollgate admission review (cmd_admission.cpp).
void RegisterAdmission(CLI::App& app, Context& ctx);
// tollgate policy verify|audit (gator suites, Gatekeeper audits), added by RegisterPolicy.
void RegisterPolicyGatekeeper(CLI::App& policy, Context& ctx);
// tollgate policy docs (issue 7), added to the `policy` group by RegisterPolicy.
void RegisterPolicyDocs(CLI::App& policy, Context& ctx);

// Prints "tollgate: <message>" on stderr and returns the error's exit code.
int Report(const Error& e);

// --fail-on: "any" (every finding), "none" (never) or a severity; nullopt
// for none, an Input error naming the flag for anything else.
Result<std::optional<Severity>> FailOnThreshold(const std::string& fail_on);

// When argv names a command that does not exist ("scan secret"), the one-line
// message for it, with the closest existing commands ("did you mean 'scan
// secrets'?"); empty when every command word of argv exists.
std::string UnknownCommandMessage(const CLI::App& app, int argc, const char* const* argv);
// "--db must not be empty" for the first option of the parsed command given
// an empty value (a --db "" or --ledger "" would otherwise fall back to the
// default silently); "" if none.
std::string EmptyOptionMessage(const CLI::App& app);

// --ledger, else $TOLLGATE_LEDGER, else .tollgate/ledger.db
std::string LedgerLocation(const std::string& flag);
// --key, else $TOLLGATE_LEDGER_KEY, else "" (no signing)
std::string LedgerKeyPath(const std::string& flag);

// The key of --key / $TOLLGATE_LEDGER_KEY, or none when neither is set.
Result<std::optional<SignerKey>> LoadLedgerKey(const std::string& flag);


// Writes a report in `format` to `output` (a file) or stdout. When it goes to
// a file, stdout gets the text summary (gates table and totals, no findings);
// with `quiet`, stdout gets nothing.
int EmitReport(const tollgate::Report& r, const std::string& format, const std::string& output, bool quiet = false);
// The same, with `findings` (a store of any size) in place of r.findings.
int EmitReport(const tollgate::Report& r, const FindingStore& findings, const std::string& format,
               const std::string& output, bool quiet = false);

// Adds --format and --output to a command.
void AddOutputOptions(CLI::App* cmd, std::string& format, std::string& output);

// A progress line on stderr for long work: while alive, it redraws
// `line()` every quarter second, starting after one second (short runs show
// nothing), and clears it when destroyed. Only when stderr is a terminal and
// TOLLGATE_NO_PROGRESS is unset, so logs and pipes stay clean.
class ProgressLine {
 public:
  explicit ProgressLine(std::function<std::string()> line);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

extern const char* const kVersion;

}  // namespace tollgate::cli
