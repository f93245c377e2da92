#include "gate/run.h"

#include "core/git.h"

#include <filesystem>
#include <set>
#include <system_error>

namespace tollgate::gate {
namespace {

namespace fs = std::filesystem;

// Every signed record of one type in the ledger. A record that does not parse
// as a waiver or approval does not count; a body whose type differs from the
// stored type is an integrity failure.
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
      problem = Fail(Error::Integrity("ledger entry " + std::to_string(e.seq) +
                                      ": stored type does not match the entry (run ledger verify)"));
      return false;
    }
    auto rec = T::FromEvent(*j);
    if (rec) out.push_back(std::move(*rec));
    return true;
  }));
  TG_TRY(problem);
  return out;
}

Result<ledger::AppendedEntry> AppendOne(ledger::Ledger& l, Json event, const SignerKey* ledger_key) {
  std::vector<Json> events;
  events.push_back(std::move(event));
  auto appended = l.Append(std::move(events), ledger_key);
  if (!appended) return Fail(appended.error());
  return appended->front();
}

// The repository root above `start`: the first directory holding .git.
bool IsRepoRoot(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / ".git", ec);
}

}  // namespace

Result<Config> LoadRepoConfig(std::string* root_inout, const std::string& explicit_path, std::string* note) {
  if (!explicit_path.empty()) return LoadConfig(explicit_path);
  const std::string root = *root_inout;
  std::error_code ec;
  fs::path start = fs::absolute(root, ec).lexically_normal();
  if (ec) return Fail(Error::Io(root + ": " + ec.message()));
  if (start.filename().empty()) start = start.parent_path();  // "dir/." normalises to "dir/"
  for (fs::path dir = start;; dir = dir.parent_path()) {
    fs::path candidate = dir / "tollgate.yaml";
    if (fs::is_regular_file(candidate, ec)) {
      if (dir == start) return LoadConfig((fs::path(root) / "tollgate.yaml").string());
      if (note != nullptr) *note = "using " + candidate.string() + " (the nearest tollgate.yaml above " + root + ")";
      *root_inout = dir.string();
      return LoadConfig(candidate.string());
    }
    if (IsRepoRoot(dir) || !dir.has_parent_path() || dir.parent_path() == dir) break;
  }
  auto c = DefaultConfig();
  c.base_dir = root;
  return c;
}

Result<std::optional<Keyring>> LoadKeyringFor(const Config& config, const std::string& explicit_path, bool required) {
  std::string p = explicit_path.empty() ? (fs::path(config.base_dir.empty() ? "." : config.base_dir) / ".tollgate" / "keys.yaml").string()
                                        : explicit_path;
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    if (required) return Fail(Error::NotFound(p + ": no keyring (roles and public keys of approvers)"));
    return std::optional<Keyring>();
  }
  auto k = Keyring::Load(p);
  if (!k) return Fail(k.error());
  return std::optional<Keyring>(std::move(*k));
}

Result<Submission> Collect(const Config& config, const CollectOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.root, ec)) return Fail(Error::NotFound(options.root + ": not a directory"));
  TG_TRY(CheckSources(config));
  Submission s;
  s.service = config.service;
  for (const auto& g : config.gates) {
    auto f = CollectFindings(g, config, options.root, &s.warnings, options.strict);
    if (!f) return Fail(f.error());
    s.findings.push_back(std::move(*f));
  }
  std::string head;
  s.author = HeadAuthor(options.root, &head);
  if (auto where = git::Where(options.root)) {
    s.repository = where->origin_url;
    s.branch = where->branch;
  }
  if (!options.author.empty()) s.author = ParseAuthor(options.author);
  s.commit = options.commit.empty() ? head : options.commit;
  return s;
}

Result<RunResult> DecideAndRecord(const Config& config, Submission submission, const Keyring* keyring,
                                  ledger::Ledger& ledger, const SignerKey* ledger_key, TimePoint now) {
  if (submission.findings.size() != config.gates.size())
    return Fail(Error::Input("a gate run carries " + std::to_string(submission.findings.size()) +
                             " finding lists for " + std::to_string(config.gates.size()) + " configured gates"));
  EvaluationInput in;
  in.config = &config;
  in.findings = std::move(submission.findings);
  in.author = submission.author;
  in.scope = WaiverScope{config.service, submission.repository, submission.branch};
  in.commit = submission.commit;
  in.keyring = keyring;
  in.now = now;
  auto waivers = ReadSigned<Waiver>(ledger, "waiver");
  if (!waivers) return Fail(waivers.error());
  auto approvals = ReadSigned<Approval>(ledger, "approval");
  if (!approvals) return Fail(approvals.error());
  in.waivers = std::move(*waivers);
  in.approvals = std::move(*approvals);

  RunResult r;
  r.evaluation = Evaluate(in);
  r.evaluation.recorded_by = submission.recorded_by;
  auto appended = ledger.Append(DecisionEvents(r.evaluation), ledger_key);
  if (!appended) return Fail(appended.error());
  r.recorded = std::move(*appended);
  return r;
}

Status ValidateWaiverRequest(const Config& config, const WaiverRequest& req) {
  const GateConfig* g = config.FindGate(req.gate);
  if (g == nullptr)
    return Fail(Error::NotFound("--gate: no gate named '" + req.gate + "' in " +
                                (config.path.empty() ? "the default configuration" : config.path)));
  if (!g->bypass_allowed) return Fail(Error::Input("gate '" + req.gate + "' allows no bypass: waivers are refused"));
  if (req.finding.size() < 8 || req.finding.size() > 64 ||
      req.finding.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Fail(Error::Input("--finding: give the finding's fingerprint (at least 8 lowercase hex digits, as reports show it)"));
  if (req.reason.empty()) return Fail(Error::Input("--reason: a waiver needs a reason"));
  auto expires = ParseExpiry(req.expires);
  if (!expires) return Fail(expires.error());
  return Ok();
}

namespace {

Result<std::string> ResolveFingerprint(ledger::Ledger& l, const std::string& service, const std::string& gate,
                                       const std::string& prefix) {
  if (prefix.size() == 64) return prefix;
  std::set<std::string> matches;
  TG_TRY(l.Scan(0, 0, "gate.decision", [&](const ledger::StoredEntry& e) {
    auto j = ParseJson(e.body, "ledger entry " + std::to_string(e.seq));
    if (!j || !j->is_object()) return true;  // ledger verify reports such entries
    const Json* p = j->contains("payload") ? &(*j)["payload"] : nullptr;
    if (p == nullptr || !p->is_object() || p->value("gate", "") != gate || p->value("service", "") != service) return true;
    for (const char* list : {"blocking", "waived"}) {
      auto it = p->find(list);
      if (it == p->end() || !it->is_array()) continue;
      for (const auto& fp : *it)
        if (fp.is_string() && fp.get_ref<const std::string&>().rfind(prefix, 0) == 0) matches.insert(fp.get<std::string>());
    }
    return matches.size() < 2;
  }));
  if (matches.empty())
    return Fail(Error::Input("--finding: no finding of gate '" + gate + "' recorded in the ledger starts with " + prefix +
                             " (run the gate first, or give the full fingerprint)"));
  if (matches.size() > 1)
    return Fail(Error::Input("--finding: " + prefix + " matches several findings of gate '" + gate +
                             "': give more digits"));
  return *matches.begin();
}

}  // namespace

Result<Waiver> RecordWaiver(const Config& config, const Keyring& keyring, const WaiverRequest& req,
                            const SignerKey& signer, ledger::Ledger& ledger, const SignerKey* ledger_key, TimePoint now) {
  TG_TRY(ValidateWaiverRequest(config, req));
  const GateConfig* g = config.FindGate(req.gate);
  auto expires = ParseExpiry(req.expires);
  if (!expires) return Fail(expires.error());
  std::string service = req.all_services ? std::string(kAllServices) : req.service.empty() ? config.service : req.service;
  if (service.empty())
    return Fail(Error::Input("a waiver names its service: set 'service:' in tollgate.yaml or pass --service "
                             "(or --all-services, which needs the admin role)"));
  if (req.all_services && !req.service.empty()) return Fail(Error::Input("--service and --all-services exclude each other"));
  auto fingerprint = ResolveFingerprint(ledger, req.all_services ? config.service : service, req.gate, req.finding);
  if (!fingerprint) return Fail(fingerprint.error());

  Waiver w;
  w.service = service;
  w.repository = req.repository;
  w.branch = req.branch;
  w.gate = req.gate;
  w.fingerprint = *fingerprint;
  w.reason = req.reason;
  w.expires = *expires;
  w.issued = FormatRfc3339(now);
  w = SignWaiver(std::move(w), signer);
  // The author is not known yet (the waiver may precede the change's last
  // commit); four-eyes is checked again when the gate runs.
  Verdict v = JudgeWaiver(w, keyring, g->bypass_roles, nullptr, now);
  if (!v.accepted) return Fail(Error::Input("waiver refused: " + v.reason));
  auto e = AppendOne(ledger, w.ToEvent(), ledger_key);
  if (!e) return Fail(e.error());
  w.seq = e->seq;
  return w;
}

Result<Approval> RecordApproval(const Keyring& keyring, const std::string& commit, const std::string& reason,
                                const SignerKey& signer, ledger::Ledger& ledger, const SignerKey* ledger_key,
                                TimePoint now) {
  if (commit.empty()) return Fail(Error::Input("commit: an approval names the commit it approves"));
  Approval ap;
  ap.commit = commit;
  ap.reason = reason;
  ap.issued = FormatRfc3339(now);
  ap = SignApproval(std::move(ap), signer);
  Verdict v = JudgeApproval(ap, keyring, Author{}, false);
  if (!v.accepted) return Fail(Error::Input("approval refused: " + v.reason));
  auto e = AppendOne(ledger, ap.ToEvent(), ledger_key);
  if (!e) return Fail(e.error());
  ap.seq = e->seq;
  return ap;
}

}  // namespace tollgate::gate
