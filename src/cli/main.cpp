// tollgate: security gates, policy, evidence ledger and delivery metrics for
// regulated software delivery. See README.md and docs/cli.md.
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  using namespace tollgate;
  CLI::App app{"tollgate: scan, gate, approve and record every change, with evidence an auditor can verify offline",
               "tollgate"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tollgate ") + cli::kVersion);
  app.footer(
      "Exit codes: 0 pass/success, 1 gate blocked or findings above threshold, 2 bad usage/config/input,\n"
      "            3 ledger integrity failure, 4 internal error.\n"
      "Environment: TOLLGATE_LEDGER (ledger path), TOLLGATE_LEDGER_KEY (checkpoint signing key), NO_COLOR,\n"
      "             TOLLGATE_NO_PROGRESS (no progress line on stderr).");
  cli::Context ctx;
  cli::RegisterKeys(app, ctx);
  cli::RegisterLedger(app, ctx);
  cli::RegisterScan(app, ctx);
  cli::RegisterGate(app, ctx);
  cli::RegisterApprovals(app, ctx);
  cli::RegisterBaseline(app, ctx);
  cli::RegisterSlo(app, ctx);
  cli::RegisterCanary(app, ctx);
  cli::RegisterReport(app, ctx);
  cli::RegisterCost(app, ctx);
  cli::RegisterRightsize(app, ctx);
  cli::RegisterKpi(app, ctx);
  cli::RegisterCatalog(app, ctx);
  cli::RegisterDeps(app, ctx);
  cli::RegisterDelivery(app, ctx);
  cli::RegisterPolicy(app, ctx);
  cli::RegisterAdmission(app, ctx);
  cli::RegisterServe(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    // Help of a subcommand arrives here too, as a success code.
    if (e.get_exit_code() == 0) return app.exit(e);
    if (auto unknown = cli::UnknownCommandMessage(app, argc, argv); !unknown.empty()) {
      std::cerr << "tollgate: " << unknown << " (see --help)\n";
      return static_cast<int>(ExitCode::kInput);
    }
    std::cerr << "tollgate: " << e.what() << " (see --help)\n";
    return static_cast<int>(ExitCode::kInput);
  }
  if (auto empty = cli::EmptyOptionMessage(app); !empty.empty()) {
    std::cerr << "tollgate: " << empty << " (see --help)\n";
    return static_cast<int>(ExitCode::kInput);
  }
  if (!ctx.action) {
    std::cerr << "tollgate: nothing to do (see --help)\n";
    return static_cast<int>(ExitCode::kInput);
  }
  int rc = 0;
  try {
    rc = ctx.action();
  } catch (const std::exception& e) {
    std::cerr << "tollgate: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kInternal);
  }
  // A report that could not be written (a full disk behind a redirection) is
  // a failure, never a silent success.
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "tollgate: cannot write to standard output: what it printed is incomplete\n";
    return static_cast<int>(ExitCode::kInternal);
  }
  return rc;
}
