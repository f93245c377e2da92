// tollgate gate, waive, approve: run every gate, decide, and record.
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "gate/gate.h"
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
  // waive / approve
  std::string gate;
  std::string finding;
  std::string reason;
  std::string expires;
  std::string signer_key;
};

// "Name <email>", "email@host" or "Name".
gate::Author ParseAuthor(const std::string& s) {
  gate::Author a;
  auto lt = s.find('<');
  auto gt = s.find('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    a.email = s.substr(lt + 1, gt - lt - 1);
    a.name = s.substr(0, lt);
    while (!a.name.empty() && a.name.back() == ' ') a.name.pop_back();
  } else if (s.find('@') != std::string::npos) {
    a.email = s;
  } else {
    a.name = s;
  }
  return a;
}

Result<gate::Config> LoadGateConfig(const GateArgs& a) {
  std::string path = a.config;
  if (path.empty()) {
    fs::path candidate = fs::path(a.path) / "tollgate.yaml";
    if (!fs::exists(candidate)) {
      auto c = gate::DefaultConfig();
      c.base_dir = a.path;
      return c;
    }
    path = candidate.string();
  }
  return gate::LoadConfig(path);
}

std::string KeyringPath(const GateArgs& a, const gate::Config& c) {
  if (!a.keyring.empty()) return a.keyring;
  return (fs::path(c.base_dir) / ".tollgate" / "keys.yaml").string();
}

Result<std::optional<gate::Keyring>> LoadKeyring(const GateArgs& a, const gate::Config& c, bool required) {
  std::string p = KeyringPath(a, c);
  if (!fs::exists(p)) {
    if (required) return Fail(Error::NotFound(p + ": no keyring (roles and public keys of approvers)"));
    return std::optional<gate::Keyring>();
  }
  auto k = gate::Keyring::Load(p);
  if (!k) return Fail(k.error());
  return std::optional<gate::Keyring>(std::move(*k));
}

template <typename T>
Result<std::vector<T>> ReadSigned(ledger::Ledger& l, const std::string& type) {
  std::vector<T> out;
  Status problem = Ok();
  TG_TRY(l.Scan(0, 0, type, [&](const ledger::StoredEntry& e) {
    auto j = ParseJson(e.body, "ledger entry " + std::to_string(e.seq));
    if (!j) {
      problem = Fail(Error::Integrity(j.error().message()));
      return false;
    }
    auto t = j->find("type");
    if (!j->is_object() || t == j->end() || !t->is_string() || t->get_ref<const std::string&>() != type) {
      problem = Fail(Error::Integrity("ledger entry " + std::to_string(e.seq) + ": stored type does not match the entry (run ledger verify)"));
      return false;
    }
    auto rec = T::FromEvent(*j);
    if (rec) out.push_back(std::move(*rec));  // malformed records simply do not count
    return true;
  }));
  TG_TRY(problem);
  return out;
}

// Appends one signed record (waiver, approval) and returns its index.
Result<std::uint64_t> RecordOne(const GateArgs& a, Json event, const Clock& clock) {
  auto ledger_key = LoadLedgerKey(a.key);
  if (!ledger_key) return Fail(ledger_key.error());
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kCreate, clock);
  if (!l) return Fail(l.error());
  std::vector<Json> events;
  events.push_back(std::move(event));
  auto appended = (*l)->Append(std::move(events), ledger_key->has_value() ? &**ledger_key : nullptr);
  if (!appended) return Fail(appended.error());
  return appended->front().seq;
}

int RunGate(const GateArgs& a, const Clock& clock) {
  if (!fs::is_directory(a.path)) return Report(Error::NotFound(a.path + ": not a directory"));
  auto config = LoadGateConfig(a);
  if (!config) return Report(config.error());
  if (auto s = gate::CheckSources(*config); !s) return Report(s.error());
  auto keyring = LoadKeyring(a, *config, false);
  if (!keyring) return Report(keyring.error());
  auto ledger_key = LoadLedgerKey(a.key);
  if (!ledger_key) return Report(ledger_key.error());

  gate::EvaluationInput in;
  in.config = &*config;
  std::vector<std::string> skipped;
  for (const auto& g : config->gates) {
    auto f = gate::CollectFindings(g, *config, a.path, &skipped);
    if (!f) return Report(f.error());
    in.findings.push_back(std::move(*f));
  }
  // What a scanner could not read is not a pass: say so, on stderr.
  for (const auto& w : skipped) std::cerr << "tollgate: warning: " << w << "\n";
  std::string head;
  gate::Author author = gate::HeadAuthor(a.path, &head);
  if (!a.author.empty()) author = ParseAuthor(a.author);
  in.author = author;
  in.commit = a.commit.empty() ? head : a.commit;
  in.keyring = keyring->has_value() ? &**keyring : nullptr;
  in.now = clock.Now();

  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kCreate, clock);
  if (!l) return Report(l.error());
  auto waivers = ReadSigned<gate::Waiver>(**l, "waiver");
  if (!waivers) return Report(waivers.error());
  auto approvals = ReadSigned<gate::Approval>(**l, "approval");
  if (!approvals) return Report(approvals.error());
  in.waivers = std::move(*waivers);
  in.approvals = std::move(*approvals);

  gate::Evaluation ev = gate::Evaluate(in);
  auto appended = (*l)->Append(gate::DecisionEvents(ev), ledger_key->has_value() ? &**ledger_key : nullptr);
  if (!appended) return Report(appended.error());

  auto report = gate::ToReport(ev, kVersion);
  if (int rc = EmitReport(report, a.format, a.output); rc != 0) return rc;
  if (a.format == "text" || !a.output.empty())
    std::cout << "recorded: ledger entries " << appended->front().seq << ".." << appended->back().seq << " in "
              << LedgerLocation(a.ledger) << "\n";
  return ev.blocked ? static_cast<int>(ExitCode::kBlocked) : 0;
}

int RunWaive(const GateArgs& a, const Clock& clock) {
  auto config = LoadGateConfig(a);
  if (!config) return Report(config.error());
  const gate::GateConfig* g = config->FindGate(a.gate);
  if (g == nullptr) return Report(Error::NotFound("--gate: no gate named '" + a.gate + "' in " + (config->path.empty() ? "the default configuration" : config->path)));
  if (!g->bypass_allowed) return Report(Error::Input("gate '" + a.gate + "' allows no bypass: waivers are refused"));
  if (a.finding.size() != 64 || a.finding.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Report(Error::Input("--finding: give the finding's full fingerprint (64 lowercase hex digits, as reports show it)"));
  if (a.reason.empty()) return Report(Error::Input("--reason: a waiver needs a reason"));
  auto expires = gate::ParseExpiry(a.expires);
  if (!expires) return Report(expires.error());
  auto signer = SignerKey::ReadFile(a.signer_key);
  if (!signer) return Report(signer.error());
  auto keyring = LoadKeyring(a, *config, true);
  if (!keyring) return Report(keyring.error());

  gate::Waiver w;
  w.gate = a.gate;
  w.fingerprint = a.finding;
  w.reason = a.reason;
  w.expires = *expires;
  w.issued = FormatRfc3339(clock.Now());
  w = gate::SignWaiver(std::move(w), *signer);
  // The author is not known yet (the waiver may precede the change's last
  // commit); four-eyes is checked again when the gate runs.
  gate::Verdict v = gate::JudgeWaiver(w, **keyring, g->bypass_roles, nullptr, clock.Now());
  if (!v.accepted) return Report(Error::Input("waiver refused: " + v.reason));

  auto seq = RecordOne(a, w.ToEvent(), clock);
  if (!seq) return Report(seq.error());
  std::cout << "waiver recorded at ledger index " << *seq << ": gate " << w.gate << ", finding "
            << w.fingerprint << ", by " << w.approver << ", until " << w.expires << "\n";
  return 0;
}

int RunApprove(const GateArgs& a, const Clock& clock) {
  auto config = LoadGateConfig(a);
  if (!config) return Report(config.error());
  std::string commit = a.commit;
  if (commit.empty()) (void)gate::HeadAuthor(a.path, &commit);
  if (commit.empty()) return Report(Error::Input("--commit: no commit given and no git HEAD at " + a.path));
  auto signer = SignerKey::ReadFile(a.signer_key);
  if (!signer) return Report(signer.error());
  auto keyring = LoadKeyring(a, *config, true);
  if (!keyring) return Report(keyring.error());
  gate::Approval ap;
  ap.commit = commit;
  ap.reason = a.reason;
  ap.issued = FormatRfc3339(clock.Now());
  ap = gate::SignApproval(std::move(ap), *signer);
  gate::Verdict v = gate::JudgeApproval(ap, **keyring, gate::Author{}, false);
  if (!v.accepted) return Report(Error::Input("approval refused: " + v.reason));
  auto seq = RecordOne(a, ap.ToEvent(), clock);
  if (!seq) return Report(seq.error());
  std::cout << "approval recorded at ledger index " << *seq << ": commit " << commit << " by "
            << ap.approver << "\n";
  return 0;
}

}  // namespace

void RegisterGate(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<GateArgs>();
  const Clock& clock = ctx.clock;
  auto* g = app.add_subcommand("gate", "Run every configured gate, apply waivers, decide pass/blocked and record it");
  g->add_option("path", a->path, "Repository root (default: .)")->capture_default_str();
  g->add_option("--config", a->config, "Gate configuration (default: PATH/tollgate.yaml, else built-in defaults)");
  g->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  g->add_option("--key", a->key, "Sign a ledger checkpoint with this key (default $TOLLGATE_LEDGER_KEY)");
  g->add_option("--keyring", a->keyring, "Approvers' keyring (default: PATH/.tollgate/keys.yaml)");
  g->add_option("--author", a->author, "Author of the change, 'Name <email>' (default: HEAD's author)");
  g->add_option("--commit", a->commit, "Commit under the gate (default: HEAD)");
  AddOutputOptions(g, a->format, a->output);
  g->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunGate(*a, clock); }; });
}

void RegisterApprovals(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<GateArgs>();
  const Clock& clock = ctx.clock;
  auto common = [&](CLI::App* c) {
    c->add_option("--config", a->config, "Gate configuration (default: PATH/tollgate.yaml)");
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
  w->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunWaive(*a, clock); }; });

  auto* ap = app.add_subcommand("approve", "Record a signed approval of a change (four-eyes)");
  common(ap);
  ap->add_option("--commit", a->commit, "Commit to approve (default: HEAD)");
  ap->add_option("--reason", a->reason, "Note kept with the approval");
  ap->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunApprove(*a, clock); }; });
}

}  // namespace tollgate::cli
