// tollgate ledger init|append|show|verify|proof|checkpoint|export
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "core/canonical_json.h"
#include "core/file.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

struct LedgerArgs {
  std::string ledger;
  std::string key;
  std::uint64_t from = 0;
  std::uint64_t limit = 0;
  std::string type;
  std::string bundle;
  std::vector<std::string> trusted;
  std::uint64_t index = 0;
  std::uint64_t size = 0;
  std::uint64_t to = 0;
  std::string output;
  std::string checkpoint;
  bool require_signed_head = false;
};

Result<std::unique_ptr<ledger::Ledger>> OpenLedger(const LedgerArgs& a, const Clock& clock, ledger::OpenMode mode) {
  return ledger::Ledger::Open(LedgerLocation(a.ledger), mode, clock);
}

int RunInit(const LedgerArgs& a, const Clock& clock) {
  auto key = LoadLedgerKey(a.key);
  if (!key) return Report(key.error());
  auto l = ledger::Ledger::Init(LedgerLocation(a.ledger), clock, key->has_value() ? &**key : nullptr);
  if (!l) return Report(l.error());
  auto origin = (*l)->Origin();
  if (!origin) return Report(origin.error());
  std::cout << "created ledger " << LedgerLocation(a.ledger) << " (origin " << *origin << ")";
  if (key->has_value()) std::cout << ", with a checkpoint of the empty log signed by " << (*key)->name();
  std::cout << "\n";
  return 0;
}

int RunAppend(const LedgerArgs& a, const Clock& clock) {
  // Read and check the whole batch first: a bad line leaves the ledger as it was.
  auto events = ledger::ReadEventBatch(std::cin, "stdin");
  if (!events) return Report(events.error());
  auto key = LoadLedgerKey(a.key);
  if (!key) return Report(key.error());
  auto l = OpenLedger(a, clock, ledger::OpenMode::kCreate);
  if (!l) return Report(l.error());
  auto appended = (*l)->Append(std::move(*events), key->has_value() ? &**key : nullptr);
  if (!appended) return Report(appended.error());
  std::ostringstream out;
  for (const auto& e : *appended) out << e.seq << " " << ledger::HashHex(e.leaf_hash) << "\n";
  std::cout << out.str();
  return 0;
}

int RunShow(const LedgerArgs& a, const Clock& clock) {
  auto l = OpenLedger(a, clock, ledger::OpenMode::kExisting);
  if (!l) return Report(l.error());
  auto s = (*l)->Scan(a.from, a.limit, a.type, [](const ledger::StoredEntry& e) {
    std::cout << e.body << "\n";
    return static_cast<bool>(std::cout);
  });
  if (!s) return Report(s.error());
  return 0;
}

// A saved checkpoint is a few hundred bytes; anything much larger is not one.
Result<std::string> ReadCheckpointFile(const std::string& path) {
  return ReadFileBounded(path, 64 * 1024, "saved checkpoint");
}

Result<ledger::VerifyOptions> VerifyOptionsOf(const LedgerArgs& a) {
  ledger::VerifyOptions opts;
  for (const auto& path : a.trusted) {
    auto k = ReadVerifierKeyFile(path);
    if (!k) return Fail(k.error());
    opts.trusted_keys.push_back(*k);
  }
  opts.require_signed_head = a.require_signed_head;
  if (!a.checkpoint.empty()) {
    auto text = ReadCheckpointFile(a.checkpoint);
    if (!text) return Fail(text.error());
    opts.extends = ledger::SavedCheckpoint{a.checkpoint, std::move(*text)};
  }
  return opts;
}

int RunVerify(const LedgerArgs& a, const Clock& clock) {
  auto opts = VerifyOptionsOf(a);
  if (!opts) return Report(opts.error());
  Result<ledger::VerifyReport> rep = Fail(Error::Internal("unset"));
  std::string what;
  if (!a.bundle.empty()) {
    what = a.bundle;
    std::error_code ec;
    rep = std::filesystem::is_directory(a.bundle, ec) ? ledger::VerifyBundleDir(a.bundle, *opts)
                                                      : ledger::VerifyBundleFile(a.bundle, *opts);
    if (!rep) return Report(rep.error());
  } else {
    what = LedgerLocation(a.ledger);
    rep = ledger::VerifyLedger(what, *opts, clock);
    if (!rep) return Report(rep.error());
  }
  std::cout << "ok: " << what << ": " << rep->size << " entries, root " << ledger::HashHex(rep->root) << ", "
            << rep->checkpoints_verified << " signed checkpoints verified";
  if (rep->checkpoints_verified > 0) std::cout << " (latest at size " << rep->latest_checkpoint_size << ")";
  std::cout << "\n";
  if (rep->extends_size)
    std::cout << "extends " << rep->extends_name << ": the first " << *rep->extends_size << " entries are the log it signed ("
              << rep->extends_proof_hashes << "-hash consistency proof verified)\n";
  if (rep->checkpoints_verified == 0 && rep->size > 0)
    std::cerr << "tollgate: warning: no signed checkpoint: the ledger is consistent, but nothing proves it was not rewritten "
                 "(append with --key)\n";
  else if (rep->unsigned_entries > 0)
    std::cerr << "tollgate: warning: " << rep->unsigned_entries
              << (rep->unsigned_entries == 1 ? " entry lies" : " entries lie") << " after the last signed checkpoint (at size "
              << rep->latest_checkpoint_size << "), covered by no signature (--require-signed-head fails on this)\n";
  return 0;
}

Json HexList(const std::vector<Hash256>& hs) {
  Json a = Json::array();
  for (const auto& h : hs) a.push_back(ledger::HashHex(h));
  return a;
}

int RunInclusion(const LedgerArgs& a, const Clock& clock) {
  auto l = OpenLedger(a, clock, ledger::OpenMode::kExisting);
  if (!l) return Report(l.error());
  auto size = (*l)->Size();
  if (!size) return Report(size.error());
  std::uint64_t n = a.size > 0 ? a.size : *size;
  if (n > *size) return Report(Error::Input("--size " + std::to_string(n) + " exceeds the ledger size " + std::to_string(*size)));
  auto proof = (*l)->InclusionProof(a.index, n);
  if (!proof) return Report(proof.error());
  auto leaf = (*l)->LeafHashAt(a.index);
  auto root = (*l)->RootAt(n);
  if (!leaf) return Report(leaf.error());
  if (!root) return Report(root.error());
  Json out{{"type", "inclusion"}, {"index", a.index}, {"tree_size", n}, {"leaf_hash", ledger::HashHex(*leaf)},
           {"root", ledger::HashHex(*root)}, {"proof", HexList(*proof)}};
  std::cout << out.dump(2) << "\n";
  return 0;
}

int RunConsistency(const LedgerArgs& a, const Clock& clock) {
  auto l = OpenLedger(a, clock, ledger::OpenMode::kExisting);
  if (!l) return Report(l.error());
  auto size = (*l)->Size();
  if (!size) return Report(size.error());
  std::uint64_t to = a.to > 0 ? a.to : *size;
  if (to > *size) return Report(Error::Input("--to " + std::to_string(to) + " exceeds the ledger size " + std::to_string(*size)));
  if (a.from == 0 || a.from > to) return Report(Error::Input("--from must be between 1 and --to"));
  auto proof = (*l)->ConsistencyProof(a.from, to);
  if (!proof) return Report(proof.error());
  auto r1 = (*l)->RootAt(a.from);
  auto r2 = (*l)->RootAt(to);
  if (!r1) return Report(r1.error());
  if (!r2) return Report(r2.error());
  Json out{{"type", "consistency"}, {"from", a.from}, {"to", to}, {"root1", ledger::HashHex(*r1)},
           {"root2", ledger::HashHex(*r2)}, {"proof", HexList(*proof)}};
  std::cout << out.dump(2) << "\n";
  return 0;
}

int RunCheckpoint(const LedgerArgs& a, const Clock& clock) {
  auto key = LoadLedgerKey(a.key);
  if (!key) return Report(key.error());
  if (!key->has_value()) return Report(Error::Input("ledger checkpoint needs a signing key: --key FILE or TOLLGATE_LEDGER_KEY"));
  auto l = OpenLedger(a, clock, ledger::OpenMode::kExisting);
  if (!l) return Report(l.error());
  auto cp = (*l)->SignCheckpoint(**key);
  if (!cp) return Report(cp.error());
  std::cout << cp->note;
  return 0;
}

int RunExport(const LedgerArgs& a, const Clock& clock) {
  auto l = OpenLedger(a, clock, ledger::OpenMode::kExisting);
  if (!l) return Report(l.error());
  auto summary = (*l)->ExportToFile(a.output);
  if (!summary) return Report(summary.error());
  std::cout << "exported " << summary->size << " entries and " << summary->checkpoints << " checkpoints to " << a.output
            << "\n";
  return 0;
}

}  // namespace

void RegisterLedger(CLI::App& app, Context& ctx) {
  auto* ledger = app.add_subcommand("ledger", "The evidence ledger: an append-only Merkle log with signed checkpoints");
  ledger->require_subcommand(1);
  auto a = std::make_shared<LedgerArgs>();
  auto add_ledger = [&](CLI::App* c) {
    c->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  };
  auto add_key = [&](CLI::App* c) {
    c->add_option("--key", a->key, "Signing key file (default $TOLLGATE_LEDGER_KEY)");
  };
  const Clock& clock = ctx.clock;

  auto* init = ledger->add_subcommand("init", "Create an empty ledger where no file exists (origin and creation recorded)");
  add_ledger(init);
  init->add_option("--key", a->key, "Also sign a checkpoint of the empty log (default $TOLLGATE_LEDGER_KEY)");
  init->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunInit(*a, clock); }; });

  auto* append = ledger->add_subcommand("append", "Append JSON Lines events from stdin as one batch; prints 'index leafhash' per entry");
  add_ledger(append);
  add_key(append);
  append->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunAppend(*a, clock); }; });

  auto* show = ledger->add_subcommand("show", "Print entries as JSON Lines");
  add_ledger(show);
  show->add_option("--from", a->from, "First index");
  show->add_option("--limit", a->limit, "At most K entries (0 = all)");
  show->add_option("--type", a->type, "Only entries of this type");
  show->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunShow(*a, clock); }; });

  auto* verify = ledger->add_subcommand("verify", "Recompute every leaf, node and checkpoint; exit 3 naming the first bad index");
  add_ledger(verify);
  verify->add_option("--bundle", a->bundle, "Verify an exported bundle (a file from ledger export, or a directory from report bundle) instead of a database");
  verify->add_option("--trusted-key", a->trusted, "Public key file (FILE.pub) whose checkpoints count; repeatable");
  verify->add_option("--checkpoint", a->checkpoint,
                     "A checkpoint saved earlier (ledger checkpoint output): prove the log still extends it");
  verify->add_flag("--require-signed-head", a->require_signed_head,
                   "Fail when entries lie after the last signed checkpoint");
  verify->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunVerify(*a, clock); }; });

  auto* proof = ledger->add_subcommand("proof", "Print inclusion or consistency proofs as JSON");
  proof->require_subcommand(1);
  auto* inc = proof->add_subcommand("inclusion", "Proof that entry N is in the tree");
  add_ledger(inc);
  inc->add_option("--index", a->index, "Entry index")->required();
  inc->add_option("--size", a->size, "Tree size (default: current)");
  inc->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunInclusion(*a, clock); }; });
  auto* cons = proof->add_subcommand("consistency", "Proof that the tree of size M is a prefix of the tree of size N");
  add_ledger(cons);
  cons->add_option("--from", a->from, "Older tree size M")->required();
  cons->add_option("--to", a->to, "Newer tree size N (default: current)");
  cons->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunConsistency(*a, clock); }; });

  auto* cp = ledger->add_subcommand("checkpoint", "Sign and store a checkpoint of the current head; prints the signed note");
  add_ledger(cp);
  add_key(cp);
  cp->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunCheckpoint(*a, clock); }; });

  auto* exp = ledger->add_subcommand("export", "Write a self-contained JSON bundle for auditors");
  add_ledger(exp);
  exp->add_option("--output,-o", a->output, "Bundle file")->required();
  exp->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunExport(*a, clock); }; });

  RegisterLedgerWitness(ledger, ctx);
}

}  // namespace tollgate::cli
