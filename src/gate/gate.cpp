#include "gate/gate.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/time.h"
#include "core/hash.h"
#include "core/walk.h"
#include "admission/admission.h"
#include "gate/compliance_gate.h"
#include "gate/cost_gate.h"
#include "compliance/compliance.h"
#include "gate/policy_gate.h"
#include "scan/deps/deps.h"
#include "scan/iac/iac.h"
#include "scan/import/sarif.h"
#include "scan/secrets/secrets.h"
#include "slo/slo.h"

namespace tollgate::gate {
namespace {

namespace fs = std::filesystem;

std::string Resolve(const Config& config, const std::string& p) {
  if (fs::path(p).is_absolute()) return p;
  return (fs::path(config.base_dir.empty() ? "." : config.base_dir) / p).lexically_normal().string();
}

Error GateError(const Config& config, const GateConfig& g, const std::string& what) {
  std::string where = config.path.empty() ? "default configuration" : config.path;
  if (g.line > 0) where += ":" + std::to_string(g.line);
  return Error::Input(where + ": gate '" + g.name + "': " + what);
}

// The Gatekeeper policy set of a `scanner: admission` gate.
Result<admission::PolicySet> AdmissionPolicies(const GateConfig& g) {
  if (g.templates.empty()) return admission::PolicySet::Builtin();
  return admission::PolicySet::Load(g.templates, g.constraints);
}

}  // namespace

Status CheckSources(const Config& config) {
  for (const auto& g : config.gates) {
    switch (g.kind) {
      case SourceKind::kImport: {
        std::string p = Resolve(config, g.source);
        if (!fs::is_regular_file(p)) return Fail(GateError(config, g, "report '" + p + "' does not exist"));
        break;
      }
      case SourceKind::kScanner:
        if (g.source != "secrets" && g.source != "deps" && g.source != "iac" && g.source != "admission" &&
            g.source != "cost" && g.source != "compliance")
          return Fail(GateError(config, g, "unknown scanner '" + g.source + "' (secrets, deps, iac, admission, cost, compliance)"));
        if (g.source == "compliance") {  // the catalogs load and name the gate's frameworks
          auto lib = compliance::LoadLibrary(config.catalogs);
          if (!lib) return Fail(GateError(config, g, lib.error().message()));
          if (g.frameworks.empty()) return Fail(GateError(config, g, "names no framework ('frameworks:' or 'compliance:')"));
          for (const auto& f : g.frameworks)
            if (lib->Find(f) == nullptr)
              return Fail(GateError(config, g, "unknown compliance framework '" + f + "' (" + lib->FrameworkIds() + ")"));
          break;
        }
        if (g.source == "cost") {  // plan, price book, usage file and rules must read and compile
          if (auto run = RunCostGate(g); !run) return Fail(GateError(config, g, run.error().message()));
          break;
        }
        if (g.source == "admission") {  // the templates and constraints must load
          auto set = AdmissionPolicies(g);
          if (!set) return Fail(GateError(config, g, set.error().message()));
          break;
        }
        if (g.source == "deps") {
          // offline only: the advisory database must have been imported
          auto db = deps::AdvisoryDb::Open(deps::DefaultDbDir(g.db), false);
          if (!db) return Fail(GateError(config, g, db.error().message()));
          break;
        }
        if (g.source == "iac") break;  // built-in policies, embedded (issue 7)
        if (g.source != "secrets")
          return Fail(GateError(config, g, "scanner '" + g.source + "' is not available in this build of tollgate"));
        break;
      case SourceKind::kPolicy:
        if (auto s = CheckPolicySource(Resolve(config, g.source), g.rego_v0); !s) return Fail(GateError(config, g, s.error().message()));
        break;
      case SourceKind::kErrorBudget: {
        std::string p = Resolve(config, g.source);
        if (!fs::is_regular_file(p)) return Fail(GateError(config, g, "SLO spec '" + p + "' does not exist"));
        break;
      }
    }
  }
  return Ok();
}

namespace {

// Scanner findings name files relative to the gate's root, as every gate does.
// How many days old a database (or one ecosystem of it) whose newest record
// is `modified` is, when that is more than `max_age`; none when fresh or undated.
std::optional<long long> StaleDays(const std::string& modified, std::chrono::seconds max_age) {
  const auto t = ParseRfc3339(modified);
  const auto now = std::chrono::system_clock::now();
  if (!t || now - *t <= max_age) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::hours>(now - *t).count() / 24;
}

void RelativeTo(const std::string& root, std::vector<Finding>& findings) {
  const fs::path base = fs::path(root).lexically_normal();
  for (auto& f : findings) {
    std::string rel = fs::path(f.location.file).lexically_relative(base).generic_string();
    if (!rel.empty() && rel.rfind("..", 0) != 0) f.location.file = rel;
  }
}

}  // namespace

Result<std::vector<Finding>> CollectFindings(const GateConfig& gate, const Config& config, const std::string& root,
                                             std::vector<std::string>* warnings, bool strict) {
  // Notes name paths relative to the root, as findings do.
  std::string prefix = fs::path(root).lexically_normal().generic_string();
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  prefix = prefix == "." ? "" : prefix + "/";
  auto warn = [&](const std::string& w) {
    if (warnings == nullptr) return;
    const bool below = !prefix.empty() && w.compare(0, prefix.size(), prefix) == 0;
    warnings->push_back(gate.name + ": " + (below ? w.substr(prefix.size()) : w));
  };
  auto warn_all = [&](const std::vector<std::string>& ws) {
    for (const auto& w : ws) warn(w);
  };
  // What every scanner and policy gate leaves out: the top-level and the gate's globs.
  std::vector<std::string> exclude = config.exclude;
  exclude.insert(exclude.end(), gate.exclude.begin(), gate.exclude.end());
  const Severity parse_errors = gate.parse_errors.value_or(config.parse_errors);

  // A scanner's failure says which gate it was (the error keeps its kind).
  auto in_gate = [&](const Error& e) {
    std::string where = config.path.empty() ? "default configuration" : config.path;
    if (gate.line > 0) where += ":" + std::to_string(gate.line);
    return e.WithContext(where + ": gate '" + gate.name + "'");
  };

  if (gate.kind == SourceKind::kImport) return sarif::ImportSarifFile(Resolve(config, gate.source), gate.name);
  if (gate.kind == SourceKind::kScanner && gate.source == "secrets") {
    auto rules = secrets::BuiltinRules();
    if (!rules) return Fail(rules.error());
    auto scanner = secrets::Scanner::Compile(std::move(*rules));
    if (!scanner) return Fail(scanner.error());
    secrets::ScanOptions opts;
    opts.apply_inline_allows = false;  // an author's comment has no authority in a gate
    opts.exclude = exclude;
    auto res = secrets::ScanPaths(*scanner, {root}, opts);
    if (!res) return Fail(in_gate(res.error()));
    walk::AddProblemFindings(res->problems, "tollgate-secrets", parse_errors, res->findings, res->warnings);
    warn_all(res->warnings);
    RelativeTo(root, res->findings);
    return std::move(res->findings);
  }
  if (gate.kind == SourceKind::kPolicy) {
    PolicyScanOptions opts;
    opts.exclude = exclude;
    opts.strict = strict;
    opts.parse_error_severity = parse_errors;
    opts.v0 = gate.rego_v0;
    std::vector<std::string> notes;
    opts.notes = &notes;
    auto found = CollectPolicyFindings(Resolve(config, gate.source), root, gate.name, opts);
    if (!found) return Fail(in_gate(found.error()));
    warn_all(notes);
    return found;
  }
  if (gate.kind == SourceKind::kErrorBudget) {
    // The deploy freeze (src/slo): a spent budget is a critical finding.
    std::string fail_on = gate.fail_on_text;
    if (fail_on != "exhausted" && fail_on.rfind("burn-rate>", 0) != 0) fail_on = "exhausted";  // default, any, none
    auto found = slo::CheckErrorBudget(Resolve(config, gate.source), slo::FreezeOptions{fail_on, gate.name});
    if (found)
      for (auto& f : *found) f.location.file = gate.source;  // as written in the config, like other gates
    return found;
  }
  if (gate.kind == SourceKind::kScanner && gate.source == "deps") {
    auto db = deps::AdvisoryDb::Open(deps::DefaultDbDir(gate.db), false);
    if (!db) return Fail(GateError(config, gate, db.error().message()));
    deps::CollectOptions opts;
    opts.exclude = exclude;
    auto res = deps::ScanDeps({root}, **db, opts);
    if (!res) return Fail(in_gate(res.error()));
    if (strict)
      for (const auto& p : res->inventory.problems)
        if (p.kind == walk::ProblemKind::kParseError) return Fail(in_gate(Error::Input(p.Text())));
    walk::AddProblemFindings(res->inventory.problems, deps::kToolName, parse_errors, res->findings,
                             res->inventory.warnings);
    // Fail closed on what could not be checked: an ecosystem with packages
    // but no advisories in the database (unless the gate allows it).
    for (auto& f : deps::CoverageFindings(res->coverage, gate.allow_missing_ecosystems))
      res->findings.push_back(std::move(f));
    for (const auto& c : res->coverage)
      if (c.advisories == 0) res->inventory.warnings.push_back(deps::CoverageText(c));
    // A stale database passes what it does not know about: say so.
    auto stale = [&](const std::string& modified) { return StaleDays(modified, gate.max_db_age); };
    auto days_old = [](long long n) { return std::to_string(n) + (n == 1 ? " day old" : " days old"); };
    if (auto days = stale(res->database.value("modified", std::string())))
      res->inventory.warnings.push_back("the advisory database is stale: its newest record is " + days_old(*days) +
                                        " (max_db_age " + FormatDuration(gate.max_db_age) +
                                        "); import a fresh copy: docs/deps.md");
    else
      for (const auto& c : res->coverage)
        if (auto d = c.advisories != 0 ? stale(c.newest_modified) : std::nullopt)
          res->inventory.warnings.push_back("the advisory database's " + c.ecosystem + " records are stale: the newest is " +
                                            days_old(*d) + " (max_db_age " +
                                            FormatDuration(gate.max_db_age) + "); import a fresh copy: docs/deps.md");
    warn_all(res->inventory.warnings);
    RelativeTo(root, res->findings);
    return std::move(res->findings);
  }
  if (gate.kind == SourceKind::kScanner && gate.source == "admission") {
    auto set = AdmissionPolicies(gate);
    if (!set) return Fail(GateError(config, gate, set.error().message()));
    PolicyScanOptions opts;
    opts.exclude = exclude;
    opts.strict = strict;
    opts.parse_error_severity = parse_errors;
    std::vector<std::string> notes;
    opts.notes = &notes;
    auto found = CollectAdmissionFindings(*set, root, gate.name, opts);
    if (!found) return Fail(in_gate(found.error()));
    warn_all(notes);
    return found;
  }
  // The compliance gate judges the ledger the decision is recorded in: its
  // findings are computed there (DecideAndRecord), never taken from a run.
  if (gate.kind == SourceKind::kScanner && gate.source == "compliance") return std::vector<Finding>{};
  if (gate.kind == SourceKind::kScanner && gate.source == "cost") {
    auto run = RunCostGate(gate);
    if (!run) return Fail(in_gate(run.error()));
    RelativeTo(root, run->findings);
    return std::move(run->findings);
  }
  if (gate.kind == SourceKind::kScanner && gate.source == "iac") {
    iac::ScanOptions iac_opts;
    iac_opts.jobs = 0;  // all cores, as scan iac --jobs 0
    iac_opts.exclude = exclude;
    iac_opts.strict = strict;
    iac_opts.parse_error_severity = parse_errors;
    std::vector<std::string> notes;
    iac_opts.notes = &notes;
    auto found = iac::Scan({root}, iac_opts);
    if (!found) return Fail(in_gate(found.error()));
    warn_all(notes);
    RelativeTo(root, *found);
    return found;
  }
  return Fail(GateError(config, gate, gate.SourceLabel() + " is not available in this build of tollgate"));
}

Json SourceEvidence(const GateConfig& gate) {
  if (gate.kind == SourceKind::kScanner && gate.source == "cost") {
    // The price book's digest and the totals the rules judged (docs/finops.md "Cost gate").
    auto run = RunCostGate(gate);
    return run ? std::move(run->evidence) : Json::object();
  }
  if (gate.kind == SourceKind::kScanner && gate.source == "deps") {
    auto db = deps::AdvisoryDb::Open(deps::DefaultDbDir(gate.db), false);
    if (!db) return Json::object();
    auto st = (*db)->Summary();
    if (!st) return Json::object();
    // What an auditor needs to judge the gate's coverage: the database (its
    // digest and dates, per ecosystem), and what the gate was told to
    // tolerate (ecosystems allowed to go unchecked, the age it accepts).
    Json ecosystems = Json::object();
    if (auto per = (*db)->Ecosystems())
      for (const auto& [eco, stats] : *per)
        ecosystems[eco] = {{"advisories", stats.advisories}, {"modified", stats.newest_modified}};
    // An undated database counts as stale here: nothing shows it is fresh.
    const bool stale = !ParseRfc3339(st->newest_modified) || StaleDays(st->newest_modified, gate.max_db_age);
    return {{"advisory_database",
             {{"digest", st->digest},
              {"modified", st->newest_modified},
              {"advisories", st->advisories},
              {"ecosystems", std::move(ecosystems)},
              {"stale", stale}}},
            {"allow_missing_ecosystems", gate.allow_missing_ecosystems},
            {"max_db_age", FormatDuration(gate.max_db_age)}};
  }
  return Json::object();
}

Evaluation Evaluate(const EvaluationInput& in) {
  Evaluation ev;
  const Config& config = *in.config;
  ev.service = config.service;
  ev.commit = in.commit;
  ev.author = in.author;
  static const Keyring kEmpty;
  const Keyring& keyring = in.keyring ? *in.keyring : kEmpty;

  for (std::size_t gi = 0; gi < config.gates.size(); ++gi) {
    GateOutcome out;
    out.gate = config.gates[gi];
    // What the gate's walk left out, as configured: the top-level globs and its own.
    if (out.gate.kind == SourceKind::kScanner || out.gate.kind == SourceKind::kPolicy) {
      out.gate.exclude.insert(out.gate.exclude.begin(), config.exclude.begin(), config.exclude.end());
      if (!out.gate.parse_errors) out.gate.parse_errors = config.parse_errors;
    }
    if (gi < in.findings.size()) out.findings = in.findings[gi];
    for (auto& f : out.findings) f.gate = out.gate.name;
    SortFindings(out.findings);

    // What the gate could not check (content it could not read, packages no
    // advisory covers) blocks whatever the threshold, as long as the gate
    // blocks anything: a `fail_on: critical` gate must not pass over it.
    auto fails_closed = [](const Finding& f) {
      return f.rule_id == walk::kIncompleteScanRule || f.rule_id == deps::kAdvisoryCoverageRule ||
             f.rule_id == kControlNotAssessedRule || f.rule_id == kLedgerUnverifiedRule;
    };
    std::set<std::string> blocking_fps;
    for (const auto& f : out.findings)
      if (out.gate.fail_on && (AtOrAbove(f.severity, *out.gate.fail_on, out.gate.unknown_severity) || fails_closed(f))) blocking_fps.insert(f.fingerprint);

    std::set<std::string> waived;
    std::set<std::string> present;
    for (const auto& f : out.findings) present.insert(f.fingerprint);
    std::size_t stale = 0;
    for (const auto& w : in.waivers) {
      if (w.gate != out.gate.name) continue;
      WaiverDecision d{w.seq, w.fingerprint, w.approver, false, ""};
      if (!out.gate.bypass_allowed) {
        d.reason = "gate '" + out.gate.name + "' allows no bypass";
      } else if (blocking_fps.count(w.fingerprint) == 0) {
        // Not about a finding that blocks now: nothing to decide. A live
        // waiver of this service that matches no finding at all is stale:
        // listed, so it can be withdrawn, as stale suppressions are.
        bool live = (w.service == in.scope.service || w.service == kAllServices);
        if (auto exp = ParseRfc3339(w.expires); !exp || in.now >= *exp) live = false;
        if (live && present.count(w.fingerprint) == 0 && ++stale <= 5)
          out.notes.push_back("stale waiver (ledger index " + std::to_string(w.seq) + ", " + w.approver + ") for " +
                              w.fingerprint.substr(0, 12) + ": matches no finding of this run");
        continue;
      } else {
        Verdict v = JudgeWaiver(w, keyring, out.gate.bypass_roles, &in.author, in.now, &in.scope);
        d.accepted = v.accepted;
        d.reason = v.reason;
        if (v.accepted) waived.insert(w.fingerprint);
      }
      out.waivers.push_back(std::move(d));
    }
    // Inline suppressions (iac: # tollgate:ignore=<check> reason) are waiver
    // requests without authority: recorded, and only a signed waiver under
    // the gate's bypass rules accepts the finding (docs/iac-model.md).
    for (const auto& f : out.findings) {
      if (!f.details.contains("suppression") || !f.details["suppression"].is_object()) continue;
      const Json& sup = f.details["suppression"];
      std::string where = f.location.file + ":" + std::to_string(sup.value("line", 0));
      WaiverDecision d{0, f.fingerprint, "inline suppression at " + where, waived.count(f.fingerprint) > 0, ""};
      if (!out.gate.bypass_allowed) d.reason = "refused: gate '" + out.gate.name + "' allows no bypass";
      else if (d.accepted) d.reason = "backed by a signed waiver";
      else d.reason = "needs a signed waiver by a holder of a bypass role (tollgate waive)";
      out.notes.push_back("inline suppression of " + f.rule_id + " at " + where + " (" + sup.value("reason", "") + "): " + d.reason);
      out.waivers.push_back(std::move(d));
    }
    if (stale > 5) out.notes.push_back(std::to_string(stale - 5) + " more stale waivers match no finding of this run");
    out.stale_waivers = stale;
    if (!out.gate.bypass_allowed) out.notes.push_back("bypass: none (waivers are not accepted)");
    if (!out.gate.fail_on) out.notes.push_back("fail_on: none (report only)");

    // Baselines (waivers in bulk) of this gate and service: a blocking finding
    // a valid one lists, and no waiver accepts, is baselined. Baselines of
    // other services are not this gate's business and are not mentioned.
    std::map<std::string, std::uint64_t> baselined;  // fingerprint -> baseline seq
    std::set<std::string> stale_baselined;
    std::size_t ignored_baselines = 0;
    for (const auto& b : in.baselines) {
      if (b.gate != out.gate.name || (b.service != in.scope.service && b.service != kAllServices)) continue;
      BaselineDecision d{b.seq, b.approver, false, "", b.findings.size(), 0, 0};
      if (!out.gate.bypass_allowed) {
        d.reason = "gate '" + out.gate.name + "' allows no bypass";
        ++ignored_baselines;
      } else {
        Verdict v = JudgeBaseline(b, keyring, out.gate.bypass_roles, &in.author, in.now, &in.scope);
        d.accepted = v.accepted;
        d.reason = v.reason;
      }
      if (d.accepted) {
        for (const auto& entry : b.findings) {
          const std::string& fp = entry.fingerprint;
          if (present.count(fp) == 0) {
            ++d.stale;
            stale_baselined.insert(fp);
          } else if (blocking_fps.count(fp) != 0 && waived.count(fp) == 0 && baselined.emplace(fp, b.seq).second) {
            ++d.matched;
          }
        }
      }
      out.baselines.push_back(std::move(d));
    }
    if (ignored_baselines > 0)
      out.notes.push_back("bypass: none: " + std::to_string(ignored_baselines) +
                          (ignored_baselines == 1 ? " baseline" : " baselines") + " in the ledger ignored");
    for (const auto& [fp, seq] : baselined) out.baselined.push_back(BaselinedFinding{fp, seq});
    out.stale_baselined = stale_baselined.size();

    std::set<std::string> still_blocking;
    for (const auto& f : out.findings) {
      if (!blocking_fps.count(f.fingerprint)) continue;
      if (waived.count(f.fingerprint) || baselined.count(f.fingerprint)) continue;
      ++out.blocking;
      still_blocking.insert(f.fingerprint);
    }
    out.blocking_fingerprints.assign(still_blocking.begin(), still_blocking.end());
    out.waived.assign(waived.begin(), waived.end());
    out.blocked = out.blocking > 0;
    ev.blocked = ev.blocked || out.blocked;
    ev.gates.push_back(std::move(out));
  }

  ev.approvals.required = config.approvals.required;
  if (config.approvals.required > 0) {
    std::set<std::string> approvers;
    for (const auto& a : in.approvals) {
      if (in.commit.empty() || a.commit != in.commit) continue;
      Verdict v = JudgeApproval(a, keyring, in.author, config.approvals.four_eyes);
      ApprovalDecision d{a.seq, a.approver, v.accepted, v.reason};
      if (v.accepted && !approvers.insert(a.approver).second) {
        d.accepted = false;
        d.reason = "'" + a.approver + "' already approved this change";
      }
      if (d.accepted) ++ev.approvals.valid;
      ev.approvals.decisions.push_back(std::move(d));
    }
    if (!ev.approvals.satisfied()) ev.blocked = true;
  }
  return ev;
}

namespace {

// A decision event never carries an unbounded array: long lists keep their
// first kMaxListed items, with the full count and a digest of the whole.
constexpr std::size_t kMaxListed = 1000;
// Refused waivers are grouped by reason; each group keeps a few examples.
constexpr std::size_t kMaxRefusedExamples = 5;

std::string ListDigest(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string joined;
  for (const auto& i : items) joined += i + "\n";
  return HexEncode(Sha256(joined));
}

// {"count": n, "digest": sha256 of the sorted list, "items": first kMaxListed, "truncated": bool}
Json BoundedList(const std::vector<std::string>& items) {
  Json listed = Json::array();
  for (std::size_t i = 0; i < items.size() && i < kMaxListed; ++i) listed.push_back(items[i]);
  return Json{{"count", items.size()}, {"digest", ListDigest(items)}, {"items", std::move(listed)},
              {"truncated", items.size() > kMaxListed}};
}

// Accepted waivers or baselines one by one (bounded); refused ones counted
// per reason, each reason with a few examples. `item` is one decision's JSON.
template <typename Decision, typename Item>
Json DecisionSummary(const std::vector<Decision>& ds, const Item& item) {
  Json accepted = Json::array();
  std::map<std::string, Json> refused;
  std::size_t accepted_count = 0;
  for (const auto& d : ds) {
    if (d.accepted) {
      if (++accepted_count <= kMaxListed) accepted.push_back(item(d));
      continue;
    }
    Json& group = refused[d.reason];
    if (group.is_null()) group = Json{{"reason", d.reason}, {"count", 0}, {"examples", Json::array()}};
    group["count"] = group["count"].get<std::size_t>() + 1;
    if (group["examples"].size() < kMaxRefusedExamples) group["examples"].push_back(item(d));
  }
  Json refused_list = Json::array();
  for (auto& [reason, g] : refused) refused_list.push_back(std::move(g));
  return Json{{"accepted", std::move(accepted)}, {"accepted_count", accepted_count}, {"refused", std::move(refused_list)}};
}

Json WaiverSummary(const std::vector<WaiverDecision>& ws) {
  return DecisionSummary(ws, [](const WaiverDecision& w) {
    return Json{{"waiver_seq", w.seq}, {"finding", w.fingerprint}, {"approver", w.approver}};
  });
}

Json BaselineSummary(const std::vector<BaselineDecision>& bs) {
  return DecisionSummary(bs, [](const BaselineDecision& b) {
    Json j{{"baseline_seq", b.seq}, {"approver", b.approver}, {"fingerprints", b.fingerprints}};
    if (b.accepted) {
      j["matched"] = b.matched;
      j["stale"] = b.stale;
    }
    return j;
  });
}

// The baselined findings (bounded), each with the baseline that accepted it.
Json BaselinedList(const std::vector<BaselinedFinding>& bs) {
  Json items = Json::array();
  for (std::size_t i = 0; i < bs.size() && i < kMaxListed; ++i)
    items.push_back(Json{{"finding", bs[i].fingerprint}, {"baseline_seq", bs[i].baseline_seq}});
  return items;
}

}  // namespace

std::vector<Json> DecisionEvents(const Evaluation& e) {
  std::vector<Json> events;
  Json gates = Json::object();
  for (const auto& g : e.gates) {
    std::map<std::string, int> counts;
    std::vector<std::string> all;
    all.reserve(g.findings.size());
    Json suppressions = Json::array();
    std::size_t suppression_count = 0;
    for (const auto& f : g.findings) {
      ++counts[std::string(SeverityName(f.severity))];
      all.push_back(f.fingerprint);
      if (f.details.contains("suppression") && ++suppression_count <= kMaxListed) {
        const Json& sup = f.details["suppression"];
        suppressions.push_back(Json{{"finding", f.fingerprint}, {"file", f.location.file},
                                    {"line", sup.value("line", 0)}, {"kind", sup.value("kind", "inline")}});
      }
    }
    std::string decision = g.blocked ? "blocked" : "pass";
    gates[g.gate.name] = decision;
    Json blocking = BoundedList(g.blocking_fingerprints);
    Json waived = BoundedList(g.waived);
    Json payload{{"gate", g.gate.name},
                 {"service", e.service},
                 {"commit", e.commit},
                 {"source", g.gate.SourceLabel()},
                 {"fail_on", g.gate.fail_on_text},
                 {"unknown_severity", std::string(SeverityName(g.gate.unknown_severity))},
                 {"bypass", g.gate.bypass_allowed ? Json(g.gate.bypass_roles) : Json("none")},
                 {"decision", decision},
                 {"findings", g.findings.size()},
                 {"findings_digest", ListDigest(all)},
                 {"by_severity", counts},
                 {"blocking", blocking["items"]},
                 {"blocking_count", blocking["count"]},
                 {"blocking_digest", blocking["digest"]},
                 {"waived", waived["items"]},
                 {"waived_count", waived["count"]},
                 {"waivers", WaiverSummary(g.waivers)},
                 {"stale_waivers", g.stale_waivers},
                 {"baselined", BaselinedList(g.baselined)},
                 {"baselined_count", g.baselined.size()},
                 {"baselines", BaselineSummary(g.baselines)},
                 {"stale_baselined", g.stale_baselined},
                 {"suppression_attempts", {{"count", suppression_count}, {"items", std::move(suppressions)}}}};
    // What the gate's scanner could not read or parse: the files and why,
    // so the ledger records what was skipped (bounded like every list here).
    for (const auto& [rule, key] : {std::pair<std::string_view, const char*>{walk::kIncompleteScanRule, "incomplete"},
                                    {walk::kParseErrorRule, "parse_errors"}}) {
      Json items = Json::array();
      std::size_t count = 0;
      for (const auto& f : g.findings) {
        if (f.rule_id != rule) continue;
        if (++count > kMaxListed) continue;
        Json item{{"file", f.location.file}, {"cause", f.details.is_object() ? f.details.value("cause", "") : ""}, {"finding", f.fingerprint}};
        if (f.location.line > 0) item["line"] = f.location.line;
        items.push_back(std::move(item));
      }
      if (count > 0) payload[key] = Json{{"count", count}, {"items", std::move(items)}};
    }
    // The scope the configuration gave the gate's walk: an auditor sees what was
    // deliberately left out (the globs are the configuration's, so bounded by it).
    if (!g.gate.exclude.empty()) payload["exclude"] = g.gate.exclude;
    if (!g.evidence.empty()) payload["evidence"] = g.evidence;
    else if (Json ev = SourceEvidence(g.gate); !ev.empty()) payload["evidence"] = std::move(ev);
    events.push_back(Json{{"type", "gate.decision"}, {"subject", g.gate.name}, {"payload", std::move(payload)}});
  }
  Json approvals = Json::array();
  std::size_t approval_count = 0;
  for (const auto& a : e.approvals.decisions)
    if (++approval_count <= kMaxListed)
      approvals.push_back(Json{{"approval_seq", a.seq}, {"approver", a.approver}, {"accepted", a.accepted}, {"reason", a.reason}});
  events.push_back(Json{{"type", "gate.overall"},
                        {"subject", e.service},
                        {"actor", e.author.email.empty() ? e.author.name : e.author.email},
                        {"payload",
                         {{"service", e.service},
                          {"commit", e.commit},
                          {"author", e.author.name},
                          {"decision", e.blocked ? "blocked" : "pass"},
                          {"recorded_by", e.recorded_by},
                          {"gates", gates},
                          {"approvals", {{"required", e.approvals.required}, {"valid", e.approvals.valid},
                                         {"decisions", approvals}, {"decisions_count", approval_count}}}}}});
  return events;
}

Report ToReport(const Evaluation& e, const std::string& version) {
  Report r;
  r.tool_version = version;
  for (const auto& g : e.gates) {
    GateSummary s;
    s.name = g.gate.name;
    s.source = g.gate.SourceLabel();
    s.fail_on = g.gate.fail_on_text;
    const char* by = !g.waived.empty() && !g.baselined.empty() ? " (waived, baselined)"
                     : !g.waived.empty()                           ? " (waived)"
                     : !g.baselined.empty()                        ? " (baselined)"
                                                                   : "";
    s.decision = g.blocked ? "blocked" : std::string("pass") + by;
    s.findings = g.findings.size();
    s.blocking = g.blocking;
    s.waived = g.waived.size();
    s.baselined = g.baselined.size();
    s.notes = g.notes;
    std::map<std::string, std::size_t> refused;  // reason -> count beyond the first few
    for (const auto& w : g.waivers) {
      if (!w.accepted && ++refused[w.reason] > kMaxRefusedExamples) continue;
      s.notes.push_back(std::string(w.accepted ? "waiver accepted" : "waiver refused") + " for " +
                        w.fingerprint.substr(0, 12) + " (" + w.approver + "): " + w.reason);
    }
    std::map<std::string, std::size_t> refused_baselines;
    for (const auto& b : g.baselines) {
      if (!b.accepted && ++refused_baselines[b.reason] > kMaxRefusedExamples) continue;
      std::string note = "baseline at ledger index " + std::to_string(b.seq) + (b.accepted ? " accepted" : " refused") +
                         " (" + b.approver + "): " + b.reason;
      if (b.accepted)
        note += "; " + std::to_string(b.matched) + " of its " + std::to_string(b.fingerprints) +
                " findings baselined here, " + std::to_string(b.stale) + " stale (matching no finding of this run)";
      s.notes.push_back(std::move(note));
    }
    for (const auto& [reason, n] : refused)
      if (n > kMaxRefusedExamples)
        s.notes.push_back(std::to_string(n - kMaxRefusedExamples) + " more waivers refused: " + reason);
    for (const auto& [reason, n] : refused_baselines)
      if (n > kMaxRefusedExamples)
        s.notes.push_back(std::to_string(n - kMaxRefusedExamples) + " more baselines refused: " + reason);
    r.gates.push_back(std::move(s));
    r.findings.insert(r.findings.end(), g.findings.begin(), g.findings.end());
    r.waived_fingerprints.insert(r.waived_fingerprints.end(), g.waived.begin(), g.waived.end());
    for (const auto& b : g.baselined) r.baselined_fingerprints.push_back(b.fingerprint);
    r.blocking_fingerprints.insert(r.blocking_fingerprints.end(), g.blocking_fingerprints.begin(),
                                   g.blocking_fingerprints.end());
  }
  if (e.approvals.required > 0) {
    GateSummary s;
    s.name = "approvals";
    s.source = "four-eyes sign-off";
    s.fail_on = std::to_string(e.approvals.required) + " required";
    s.decision = e.approvals.satisfied() ? "pass" : "blocked";
    s.findings = 0;
    s.notes.push_back(std::to_string(e.approvals.valid) + " of " + std::to_string(e.approvals.required) +
                      " approvals for commit " + (e.commit.empty() ? "(unknown)" : e.commit.substr(0, 12)));
    for (const auto& a : e.approvals.decisions)
      s.notes.push_back(std::string(a.accepted ? "approval accepted" : "approval refused") + " (" + a.approver + "): " + a.reason);
    r.gates.push_back(std::move(s));
  }
  r.overall = e.blocked ? "blocked" : "pass";
  return r;
}

}  // namespace tollgate::gate
