// tollgate baseline create: record today's findings of the gates as signed
// baselines (waivers in bulk), so that the gate blocks only on new ones.
#include <iostream>

#include "cli/cli.h"
#include "gate/run.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

struct BaselineArgs {
  std::string path = ".";
  std::string config;
  std::string keyring;
  std::string ledger;
  std::string ledger_key;
  std::string signer_key;
  std::string author;
  std::vector<std::string> gates;
  std::string service;
  std::string reason;
  std::string expires;
  bool strict = false;
  bool quiet = false;
};

int RunBaselineCreate(const BaselineArgs& a, const Clock& clock) {
  const TimePoint now = clock.Now();
  std::string root = a.path;
  std::string note;
  auto config = gate::LoadRepoConfig(&root, a.config, &note);
  if (!config) return Report(config.error());
  if (!note.empty() && !a.quiet) std::cerr << "tollgate: note: " << note << "\n";
  gate::BaselineRequest request{a.gates, a.service, a.reason, a.expires};
  if (auto gates = gate::BaselineGates(*config, request, now); !gates) return Report(gates.error());
  auto signer = SignerKey::ReadFile(a.signer_key);
  if (!signer) return Report(signer.error());
  auto keyring = gate::LoadKeyringFor(*config, a.keyring, true);
  if (!keyring) return Report(keyring.error());
  auto ledger_key = LoadLedgerKey(a.ledger_key);
  if (!ledger_key) return Report(ledger_key.error());
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kCreate, clock);
  if (!l) return Report(l.error());
  auto result = gate::CreateBaseline(*config, **keyring, request, gate::CollectOptions{root, a.author, "", a.strict},
                                     *signer, **l, ledger_key->has_value() ? &**ledger_key : nullptr, now);
  if (!result) return Report(result.error());
  if (a.quiet) return 0;
  for (const auto& w : result->warnings) std::cerr << "tollgate: warning: " << w << "\n";
  for (const auto& b : result->recorded) {
    std::cout << "baseline recorded at ledger index " << b.seq << ": gate " << b.gate;
    if (b.parts > 1) std::cout << " (part " << b.part << " of " << b.parts << ")";
    std::cout << ", " << b.findings.size() << (b.findings.size() == 1 ? " finding" : " findings") << ", service "
              << b.service << ", by " << b.approver << " (" << b.role << "), until " << b.expires << "\n";
  }
  for (const auto& g : result->no_findings) std::cout << "gate " << g << ": no findings, nothing to baseline\n";
  if (result->recorded.empty()) std::cout << "nothing recorded: no gate has findings\n";
  return 0;
}

}  // namespace

void RegisterBaseline(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<BaselineArgs>();
  const Clock& clock = ctx.clock;
  auto* group = app.add_subcommand("baseline", "Adopt Tollgate in an old repository: accept today's findings, block new ones");
  group->require_subcommand(1);
  auto* c = group->add_subcommand(
      "create",
      "Run the gates' scanners and record a signed, expiring baseline of every current finding per gate "
      "(waivers in bulk: the gate's bypass roles only; `bypass: none` gates are refused)");
  c->add_option("--reason", a->reason, "Why today's findings are accepted for now (required)")->required();
  c->add_option("--expires", a->expires,
                "Expiry: YYYY-MM-DD (through that day, UTC), an RFC 3339 time, or a duration from now (90d, 12w) (required)")
      ->required();
  c->add_option("--key", a->signer_key, "Your private key file (from 'tollgate keys gen'); you must hold each gate's bypass role")
      ->required();
  c->add_option("--gate", a->gates, "Baseline only this gate (repeatable; default: every configured gate)");
  c->add_option("--service", a->service, "Service the baseline applies to (default: 'service:' of the configuration)");
  c->add_option("--path", a->path, "Repository root (default: .)");
  c->add_option("--config", a->config, "Gate configuration (default: PATH/tollgate.yaml, else the nearest one above PATH)");
  c->add_option("--keyring", a->keyring, "Keyring (default: .tollgate/keys.yaml beside the configuration)");
  c->add_option("--author", a->author,
                "Author of the change, 'Name <email>' (default: HEAD's author); four-eyes: not the signer");
  c->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  c->add_option("--ledger-key", a->ledger_key, "Sign a ledger checkpoint with this key (default $TOLLGATE_LEDGER_KEY)");
  c->add_flag("--strict", a->strict, "A file a scanner cannot parse stops the run (exit 2, nothing recorded), as gate --strict");
  c->add_flag("-q,--quiet", a->quiet, "Print nothing but errors");
  c->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunBaselineCreate(*a, clock); }; });
}

}  // namespace tollgate::cli
