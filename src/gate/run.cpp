#include "gate/run.h"

#include "gate/compliance_gate.h"

#include "core/git.h"
#include "core/utf8.h"

#include <algorithm>
#include <filesystem>
#include <map>
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
  auto baselines = ReadSigned<Baseline>(ledger, "baseline");
  if (!baselines) return Fail(baselines.error());
  in.waivers = std::move(*waivers);
  in.baselines = std::move(*baselines);
  in.approvals = std::move(*approvals);

  // Compliance gates judge this ledger now: whatever a submission carries for
  // them is replaced (a client cannot vouch for its own controls).
  std::vector<std::pair<std::size_t, ComplianceGateRun>> compliance_runs;
  for (std::size_t gi = 0; gi < config.gates.size(); ++gi) {
    const GateConfig& g = config.gates[gi];
    if (g.kind != SourceKind::kScanner || g.source != "compliance") continue;
    auto run = RunComplianceGate(g, config, ledger, now);
    if (!run) return Fail(run.error().WithContext("gate '" + g.name + "'"));
    in.findings[gi] = std::move(run->findings);
    compliance_runs.emplace_back(gi, std::move(*run));
  }

  RunResult r;
  r.evaluation = Evaluate(in);
  for (auto& [gi, run] : compliance_runs) {
    GateOutcome& out = r.evaluation.gates[gi];
    out.evidence = std::move(run.evidence);
    out.notes.insert(out.notes.end(), run.notes.begin(), run.notes.end());
  }
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

namespace {

// The service a waiver request names: the configuration's when none is given.
Result<std::string> WaiverService(const Config& config, const WaiverRequest& req) {
  std::string service = req.all_services ? std::string(kAllServices) : req.service.empty() ? config.service : req.service;
  if (service.empty())
    return Fail(Error::Input("a waiver names its service: set 'service:' in tollgate.yaml or pass --service "
                             "(or --all-services, which needs the admin role)"));
  if (req.all_services && !req.service.empty()) return Fail(Error::Input("--service and --all-services exclude each other"));
  return service;
}

}  // namespace

Result<Waiver> SignCheckedWaiver(const Config& config, const Keyring& keyring, const WaiverRequest& req,
                                 const std::string& fingerprint, const SignerKey& signer, const Author* author,
                                 TimePoint now) {
  TG_TRY(ValidateWaiverRequest(config, req));
  const GateConfig* g = config.FindGate(req.gate);
  auto expires = ParseExpiry(req.expires);
  if (!expires) return Fail(expires.error());
  auto service = WaiverService(config, req);
  if (!service) return Fail(service.error());
  Waiver w;
  w.service = *service;
  w.repository = req.repository;
  w.branch = req.branch;
  w.gate = req.gate;
  w.fingerprint = fingerprint;
  w.reason = req.reason;
  w.expires = *expires;
  w.issued = FormatRfc3339(now);
  w = SignWaiver(std::move(w), signer);
  Verdict v = JudgeWaiver(w, keyring, g->bypass_roles, author, now);
  if (!v.accepted) return Fail(Error::Input("waiver refused: " + v.reason));
  return w;
}

Result<Waiver> RecordWaiver(const Config& config, const Keyring& keyring, const WaiverRequest& req,
                            const SignerKey& signer, ledger::Ledger& ledger, const SignerKey* ledger_key, TimePoint now) {
  TG_TRY(ValidateWaiverRequest(config, req));
  auto service = WaiverService(config, req);
  if (!service) return Fail(service.error());
  auto fingerprint = ResolveFingerprint(ledger, req.all_services ? config.service : *service, req.gate, req.finding);
  if (!fingerprint) return Fail(fingerprint.error());
  // The author is not known yet (the waiver may precede the change's last
  // commit); four-eyes is checked again when the gate runs.
  auto w = SignCheckedWaiver(config, keyring, req, *fingerprint, signer, nullptr, now);
  if (!w) return Fail(w.error());
  auto e = AppendOne(ledger, w->ToEvent(), ledger_key);
  if (!e) return Fail(e.error());
  w->seq = e->seq;
  return w;
}

namespace {

// A baseline event's findings stay under this many bytes (canonical JSON),
// well inside the ledger's 1 MiB per event; a gate with more is recorded in parts.
constexpr std::size_t kBaselinePartBytes = 512 << 10;

std::string BaselineService(const Config& config, const BaselineRequest& req) {
  return req.service.empty() ? config.service : req.service;
}

// A baseline of `gate` as requested, without findings or signature.
Baseline UnsignedBaseline(const Config& config, const BaselineRequest& req, const std::string& gate,
                          const std::string& expires, TimePoint now) {
  Baseline b;
  b.service = BaselineService(config, req);
  b.gate = gate;
  b.reason = req.reason;
  b.expires = expires;
  b.issued = FormatRfc3339(now);
  return b;
}

// Signs a baseline of `gate` and judges it as the gate will (`author`: null
// when not known yet): refused is an input error naming the gate.
Result<Baseline> SignAndCheck(Baseline b, const GateConfig& gate, const Keyring& keyring, const SignerKey& signer,
                              const Author* author, TimePoint now) {
  const KeyringEntry* entry = keyring.FindByKey(signer.verifier().ToString());
  if (entry != nullptr)
    for (const auto& r : gate.bypass_roles)
      if (entry->HasRole(r)) {
        b.role = r;
        break;
      }
  b = SignBaseline(std::move(b), signer);
  const WaiverScope scope{b.service, "", ""};
  Verdict v = JudgeBaseline(b, keyring, gate.bypass_roles, author, now, &scope);
  if (!v.accepted) return Fail(Error::Input("baseline refused: gate '" + gate.name + "': " + v.reason + " (nothing recorded)"));
  return b;
}

}  // namespace

Result<Config> BaselineGates(const Config& config, const BaselineRequest& req, TimePoint now) {
  const std::string where = config.path.empty() ? "the default configuration" : config.path;
  Config sub = config;
  sub.gates.clear();
  for (const auto& name : req.gates) {
    const GateConfig* g = config.FindGate(name);
    if (g == nullptr) return Fail(Error::NotFound("--gate: no gate named '" + name + "' in " + where));
  }
  for (const auto& g : config.gates) {
    if (!req.gates.empty() && std::find(req.gates.begin(), req.gates.end(), g.name) == req.gates.end()) continue;
    if (!g.bypass_allowed)
      return Fail(Error::Input("gate '" + g.name + "' allows no bypass (bypass: none): baselines are refused and nothing "
                               "was recorded" + (req.gates.empty() ? " (name the gates to baseline with --gate)" : "")));
    sub.gates.push_back(g);
  }
  if (sub.gates.empty()) return Fail(Error::Input("no gates to baseline in " + where));
  if (req.reason.empty()) return Fail(Error::Input("--reason: a baseline needs a reason"));
  if (req.expires.empty()) return Fail(Error::Input("--expires: a baseline needs an expiry (a date, an RFC 3339 time or a duration such as 90d)"));
  auto expires = ParseExpiry(req.expires, now);
  if (!expires) return Fail(expires.error());
  const std::string service = BaselineService(config, req);
  if (service.empty())
    return Fail(Error::Input("a baseline names its service: set 'service:' in tollgate.yaml or pass --service"));
  if (service == kAllServices) return Fail(Error::Input("--service: a baseline is of one service, not '*'"));
  return sub;
}

Result<BaselineResult> RecordBaseline(const Config& gates, const Keyring& keyring, const BaselineRequest& req,
                                      const Submission& submission, const SignerKey& signer, ledger::Ledger& ledger,
                                      const SignerKey* ledger_key, TimePoint now) {
  auto checked = BaselineGates(gates, req, now);
  if (!checked) return Fail(checked.error());
  if (submission.findings.size() != gates.gates.size())
    return Fail(Error::Input("a baseline carries " + std::to_string(submission.findings.size()) + " finding lists for " +
                             std::to_string(gates.gates.size()) + " gates"));
  auto expires = ParseExpiry(req.expires, now);
  if (!expires) return Fail(expires.error());
  BaselineResult result;
  result.warnings = submission.warnings;
  result.author = submission.author;
  const Author* author = submission.author.known() ? &submission.author : nullptr;

  std::vector<Baseline> signed_parts;
  for (std::size_t gi = 0; gi < gates.gates.size(); ++gi) {
    const GateConfig& g = gates.gates[gi];
    // One entry per fingerprint, in fingerprint order; rule and file as
    // valid UTF-8 (a file name need not be).
    std::map<std::string, BaselineEntry> unique;
    for (const auto& f : submission.findings[gi])
      unique.try_emplace(f.fingerprint, BaselineEntry{f.fingerprint, ToValidUtf8(f.rule_id), ToValidUtf8(f.location.file)});
    if (unique.empty()) {
      result.no_findings.push_back(g.name);
      continue;
    }
    const Baseline base = UnsignedBaseline(gates, req, g.name, *expires, now);
    std::vector<Baseline> parts(1, base);
    std::size_t bytes = 0;
    for (auto& [fp, entry] : unique) {
      auto c = Canonicalize(Json{{"fingerprint", entry.fingerprint}, {"rule", entry.rule}, {"file", entry.file}});
      const std::size_t size = (c ? c->size() : 0) + 1;
      if (bytes + size > kBaselinePartBytes && !parts.back().findings.empty()) {
        parts.push_back(base);
        bytes = 0;
      }
      bytes += size;
      parts.back().findings.push_back(std::move(entry));
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      parts[i].part = i + 1;
      parts[i].parts = parts.size();
      auto b = SignAndCheck(std::move(parts[i]), g, keyring, signer, author, now);
      if (!b) return Fail(b.error());
      signed_parts.push_back(std::move(*b));
    }
  }
  if (signed_parts.empty()) return result;
  std::vector<Json> events;
  events.reserve(signed_parts.size());
  for (const auto& b : signed_parts) events.push_back(b.ToEvent());
  auto appended = ledger.Append(std::move(events), ledger_key);
  if (!appended) return Fail(appended.error());
  for (std::size_t i = 0; i < signed_parts.size(); ++i) signed_parts[i].seq = (*appended)[i].seq;
  result.recorded = std::move(signed_parts);
  return result;
}

Result<BaselineResult> CreateBaseline(const Config& config, const Keyring& keyring, const BaselineRequest& req,
                                      const CollectOptions& options, const SignerKey& signer, ledger::Ledger& ledger,
                                      const SignerKey* ledger_key, TimePoint now) {
  auto gates = BaselineGates(config, req, now);
  if (!gates) return Fail(gates.error());
  // Authority first: a signer who may not baseline a gate learns it before
  // the scan, not after it.
  auto expires = ParseExpiry(req.expires, now);
  if (!expires) return Fail(expires.error());
  for (const auto& g : gates->gates)
    if (auto b = SignAndCheck(UnsignedBaseline(config, req, g.name, *expires, now), g, keyring, signer, nullptr, now); !b)
      return Fail(b.error());
  auto submission = Collect(*gates, options);
  if (!submission) return Fail(submission.error());
  return RecordBaseline(*gates, keyring, req, *submission, signer, ledger, ledger_key, now);
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
