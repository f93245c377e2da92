// tollgate ledger attest (in-toto/DSSE attestations of entries) and
// tollgate ledger cosign (C2SP witness cosignatures on checkpoints).
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "ledger/attest.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

struct AttestArgs {
  std::string ledger;
  std::string key;
  std::optional<std::uint64_t> seq;
  bool all = false;
  std::string type;
  std::string output;
};

int RunAttest(const AttestArgs& a, const Clock& clock) {
  if (a.seq.has_value() == a.all) return Report(Error::Input("ledger attest: give exactly one of --seq N and --all"));
  if (!a.type.empty() && !ledger::IsAttestableType(a.type))
    return Report(Error::Input("--type " + a.type + ": only gate.decision and deploy entries can be attested"));
  if (!a.type.empty() && !a.all) return Report(Error::Input("--type selects entries for --all"));
  auto key = LoadLedgerKey(a.key);
  if (!key) return Report(key.error());
  if (!key->has_value())
    return Report(Error::Input("ledger attest needs the ledger signing key: --key FILE or TOLLGATE_LEDGER_KEY"));
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kExisting, clock);
  if (!l) return Report(l.error());
  std::vector<std::uint64_t> seqs;
  if (a.seq) {
    seqs.push_back(*a.seq);
  } else {
    for (const char* type : {"gate.decision", "deploy"}) {
      if (!a.type.empty() && a.type != type) continue;
      auto s = (*l)->Scan(0, 0, type, [&](const ledger::StoredEntry& e) {
        seqs.push_back(e.seq);
        return true;
      });
      if (!s) return Report(s.error());
    }
    std::sort(seqs.begin(), seqs.end());
  }
  std::string out;
  for (auto seq : seqs) {
    auto env = ledger::AttestEntry(**l, seq, **key);
    if (!env) return Report(env.error());
    out += env->dump();
    out += "\n";
  }
  if (a.output.empty()) {
    std::cout << out;
    return 0;
  }
  if (auto s = WriteFileAtomic(a.output, out); !s) return Report(s.error());
  std::cout << "wrote " << seqs.size() << (seqs.size() == 1 ? " attestation" : " attestations") << " to " << a.output
            << "\n";
  return 0;
}

}  // namespace

void RegisterLedgerWitness(CLI::App* ledger, Context& ctx) {
  const Clock& clock = ctx.clock;
  auto a = std::make_shared<AttestArgs>();
  auto* attest = ledger->add_subcommand(
      "attest",
      "Export gate decisions and deploys as in-toto Statements in DSSE envelopes signed with the ledger key "
      "(JSON Lines, one envelope per entry)");
  attest->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  attest->add_option("--key", a->key, "Ledger signing key file (default $TOLLGATE_LEDGER_KEY)");
  attest->add_option("--seq", a->seq, "The entry to attest (a gate.decision or deploy)");
  attest->add_flag("--all", a->all, "Attest every gate.decision and deploy entry");
  attest->add_option("--type", a->type, "With --all: only gate.decision or only deploy");
  attest->add_option("--output,-o", a->output, "Write the envelopes to FILE (default stdout)");
  attest->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunAttest(*a, clock); }; });
}

}  // namespace tollgate::cli
