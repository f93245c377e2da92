// tollgate gate, waive, approve: run every gate, decide, and record.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "gate/run.h"
#include "server/client.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

namespace fs = std::filesystem;

struct GateArgs {
  std::string path = ".";
  std::string config;
  std::string ledger;
  std::string key;
  std::string keyring;
  std::string author;
  std::string commit;
  std::string format = "text";
  std::string output;
  std::string server;   // --server URL: decide through `tollgate serve`
  std::string ca_file;
  bool strict = false;  // a file a scanner cannot parse stops the run
  bool quiet = false;   // nothing on stdout or warnings on stderr: errors and the exit code only
  // waive / approve
  std::string gate;
  std::string finding;
  std::string reason;
  std::string expires;
  std::string signer_key;
  std::string service;
  bool all_services = false;
  std::string repository;
  std::string branch;
};

Result<std::unique_ptr<ledger::Ledger>> OpenLedgerForWrite(const GateArgs& a, const Clock& clock) {
  return ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kCreate, clock);
}

int RunGate(const GateArgs& a, const Clock& clock) {
  std::string root = a.path;
  std::string note;
  auto config = gate::LoadRepoConfig(&root, a.config, &note);
  if (!config) return Report(config.error());
  if (!note.empty() && !a.quiet) std::cerr << "tollgate: note: " << note << "\n";
  auto keyring = gate::LoadKeyringFor(*config, a.keyring, false);
  if (!keyring) return Report(keyring.error());
  auto ledger_key = LoadLedgerKey(a.key);
  if (!ledger_key) return Report(ledger_key.error());
  auto submission = gate::Collect(*config, gate::CollectOptions{root, a.author, a.commit, a.strict});
  if (!submission) return Report(submission.error());
  // What a scanner could not read is not a pass: say so, on stderr.
  if (!a.quiet)
    for (const auto& w : submission->warnings) std::cerr << "tollgate: warning: " << w << "\n";
  if (!a.server.empty()) {
    const char* token = std::getenv("TOLLGATE_TOKEN");
    auto remote = server::SubmitGateRun(server::Remote{a.server, token ? token : "", a.ca_file}, *config, *submission);
    if (!remote) return Report(remote.error());
    if (int rc = EmitReport(remote->report, a.format, a.output, a.quiet); rc != 0) return rc;
    if (!a.quiet && (a.format == "text" || !a.output.empty()))
      std::cout << "recorded: ledger entries " << remote->first << ".." << remote->last << " at " << a.server << "\n";
    return remote->blocked ? static_cast<int>(ExitCode::kBlocked) : 0;
  }
  auto l = OpenLedgerForWrite(a, clock);
  if (!l) return Report(l.error());
  auto run = gate::DecideAndRecord(*config, std::move(*submission), keyring->has_value() ? &**keyring : nullptr, **l,
                                   ledger_key->has_value() ? &**ledger_key : nullptr, clock.Now());
  if (!run) return Report(run.error());
  auto report = gate::ToReport(run->evaluation, kVersion);
  if (int rc = EmitReport(report, a.format, a.output, a.quiet); rc != 0) return rc;
  if (!a.quiet && (a.format == "text" || !a.output.empty()))
    std::cout << "recorded: ledger entries " << run->recorded.front().seq << ".." << run->recorded.back().seq << " in "
              << LedgerLocation(a.ledger) << "\n";
  return run->evaluation.blocked ? static_cast<int>(ExitCode::kBlocked) : 0;
}

int RunWaive(const GateArgs& a, const Clock& clock) {
  std::string root = a.path;
  auto config = gate::LoadRepoConfig(&root, a.config);
  if (!config) return Report(config.error());
  gate::WaiverRequest request;
  request.service = a.service;
  request.all_services = a.all_services;
  request.repository = a.repository;
  request.branch = a.branch;
  request.gate = a.gate;
  request.finding = a.finding;
  request.reason = a.reason;
  request.expires = a.expires;
  if (auto s = gate::ValidateWaiverRequest(*config, request); !s) return Report(s.error());
  auto signer = SignerKey::ReadFile(a.signer_key);
  if (!signer) return Report(signer.error());
  auto keyring = gate::LoadKeyringFor(*config, a.keyring, true);
  if (!keyring) return Report(keyring.error());
  auto ledger_key = LoadLedgerKey(a.key);
  if (!ledger_key) return Report(ledger_key.error());
  auto l = OpenLedgerForWrite(a, clock);
  if (!l) return Report(l.error());
  auto w = gate::RecordWaiver(*config, **keyring, request, *signer,
                              **l, ledger_key->has_value() ? &**ledger_key : nullptr, clock.Now());
  if (!w) return Report(w.error());
  std::cout << "waiver recorded at ledger index " << w->seq << ": gate " << w->gate << ", finding " << w->fingerprint
            << ", by " << w->approver << ", until " << w->expires << "\n";
  return 0;
}

int RunApprove(const GateArgs& a, const Clock& clock) {
  std::string root = a.path;
  auto config = gate::LoadRepoConfig(&root, a.config);
  if (!config) return Report(config.error());
  std::string commit = a.commit;
  if (commit.empty()) (void)gate::HeadAuthor(root, &commit);
  if (commit.empty()) return Report(Error::Input("--commit: no commit given and no git HEAD at " + root));
  auto signer = SignerKey::ReadFile(a.signer_key);
  if (!signer) return Report(signer.error());
  auto keyring = gate::LoadKeyringFor(*config, a.keyring, true);
  if (!keyring) return Report(keyring.error());
  auto ledger_key = LoadLedgerKey(a.key);
  if (!ledger_key) return Report(ledger_key.error());
  auto l = OpenLedgerForWrite(a, clock);
  if (!l) return Report(l.error());
  auto ap = gate::RecordApproval(**keyring, commit, a.reason, *signer, **l,
                                 ledger_key->has_value() ? &**ledger_key : nullptr, clock.Now());
  if (!ap) return Report(ap.error());
  std::cout << "approval recorded at ledger index " << ap->seq << ": commit " << commit << " by " << ap->approver << "\n";
  return 0;
}

}  // namespace

void RegisterGate(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<GateArgs>();
  const Clock& clock = ctx.clock;
  auto* g = app.add_subcommand("gate", "Run every configured gate, apply waivers, decide pass/blocked and record it");
  g->add_option("path", a->path, "Repository root (default: .)")->capture_default_str();
  g->add_option("--config", a->config, "Gate configuration (default: PATH/tollgate.yaml, else the nearest one above PATH up to the repository root, else built-in defaults)");
  g->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  g->add_option("--key", a->key, "Sign a ledger checkpoint with this key (default $TOLLGATE_LEDGER_KEY)");
  g->add_option("--keyring", a->keyring, "Approvers' keyring (default: PATH/.tollgate/keys.yaml)");
  g->add_option("--author", a->author, "Author of the change, 'Name <email>' (default: HEAD's author)");
  g->add_option("--commit", a->commit, "Commit under the gate (default: HEAD)");
  g->add_flag("--strict", a->strict,
              "A file a scanner cannot parse stops the run (exit 2, nothing recorded) instead of being a parse-error finding");
  AddOutputOptions(g, a->format, a->output);
  g->add_flag("-q,--quiet", a->quiet,
              "Print nothing but errors (the exit code says pass or blocked; --output still writes the report)");
  g->add_option("--server", a->server,
                "Decide through `tollgate serve` at URL (its waivers, approvals and ledger; token in $TOLLGATE_TOKEN)");
  g->add_option("--ca-file", a->ca_file, "With an https --server: PEM certificates to trust");
  g->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunGate(*a, clock); }; });
}

void RegisterApprovals(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<GateArgs>();
  const Clock& clock = ctx.clock;
  auto common = [&](CLI::App* c) {
    c->add_option("--config", a->config, "Gate configuration (default: PATH/tollgate.yaml, else the nearest one above PATH)");
    c->add_option("--path", a->path, "Repository root (default: .)");
    c->add_option("--keyring", a->keyring, "Keyring (default: PATH/.tollgate/keys.yaml)");
    c->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
    c->add_option("--ledger-key", a->key, "Sign a ledger checkpoint with this key (default $TOLLGATE_LEDGER_KEY)");
    c->add_option("--key", a->signer_key, "Your private key file (from 'tollgate keys gen')")->required();
  };
  auto* w = app.add_subcommand("waive", "Record a signed, expiring waiver of one finding on one gate");
  common(w);
  w->add_option("--gate", a->gate, "Gate name")->required();
  w->add_option("--finding", a->finding, "Finding fingerprint")->required();
  w->add_option("--reason", a->reason, "Why the risk is accepted")->required();
  w->add_option("--expires", a->expires, "Expiry: YYYY-MM-DD (through that day, UTC) or an RFC 3339 time")->required();
  w->add_option("--service", a->service, "Service the waiver applies to (default: 'service:' of the configuration)");
  w->add_flag("--all-services", a->all_services, "The waiver applies to every service (needs the admin role)");
  w->add_option("--repository", a->repository, "Only in this repository (the origin remote's URL)");
  w->add_option("--branch", a->branch, "Only on this branch");
  w->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunWaive(*a, clock); }; });

  auto* ap = app.add_subcommand("approve", "Record a signed approval of a change (four-eyes)");
  common(ap);
  ap->add_option("--commit", a->commit, "Commit to approve (default: HEAD)");
  ap->add_option("--reason", a->reason, "Note kept with the approval");
  ap->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunApprove(*a, clock); }; });
}

}  // namespace tollgate::cli
