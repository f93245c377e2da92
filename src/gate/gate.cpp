#include "gate/gate.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

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
        if (g.source != "secrets" && g.source != "deps" && g.source != "iac")
          return Fail(GateError(config, g, "unknown scanner '" + g.source + "' (secrets, deps, iac)"));
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
        if (auto s = CheckPolicySource(Resolve(config, g.source)); !s) return Fail(GateError(config, g, s.error().message()));
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

Result<std::vector<Finding>> CollectFindings(const GateConfig& gate, const Config& config, const std::string& root,
                                             std::vector<std::string>* warnings) {
  auto warn = [&](const std::vector<std::string>& ws) {
    if (warnings != nullptr)
      for (const auto& w : ws) warnings->push_back(gate.name + ": " + w);
  };
  if (gate.kind == SourceKind::kImport) return sarif::ImportSarifFile(Resolve(config, gate.source), gate.name);
  if (gate.kind == SourceKind::kScanner && gate.source == "secrets") {
    auto rules = secrets::BuiltinRules();
    if (!rules) return Fail(rules.error());
    auto scanner = secrets::Scanner::Compile(std::move(*rules));
    if (!scanner) return Fail(scanner.error());
    auto res = secrets::ScanPaths(*scanner, {root}, secrets::ScanOptions{});
    if (!res) return Fail(res.error());
    warn(res->warnings);
    // Report paths relative to the repository root, as the other gates do.
    for (auto& f : res->findings)
      f.location.file = fs::path(f.location.file).lexically_relative(fs::path(root).lexically_normal()).generic_string();
    return std::move(res->findings);
  }
  if (gate.kind == SourceKind::kPolicy) return CollectPolicyFindings(Resolve(config, gate.source), root, gate.name);
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
    auto res = deps::ScanDeps({root}, **db);
    if (!res) return Fail(res.error());
    warn(res->inventory.warnings);
    for (auto& f : res->findings)
      f.location.file = fs::path(f.location.file).lexically_relative(fs::path(root).lexically_normal()).generic_string();
    return std::move(res->findings);
  }
  if (gate.kind == SourceKind::kScanner && gate.source == "iac") {
    iac::ScanOptions iac_opts;
    iac_opts.jobs = 0;  // all cores, as scan iac --jobs 0
    auto found = iac::Scan({root}, iac_opts);
    if (!found) return Fail(found.error());
    for (auto& f : *found)
      f.location.file = fs::path(f.location.file).lexically_relative(fs::path(root).lexically_normal()).generic_string();
    return found;
  }
  return Fail(GateError(config, gate, gate.SourceLabel() + " is not available in this build of tollgate"));
}

Json SourceEvidence(const GateConfig& gate) {
  if (gate.kind == SourceKind::kScanner && gate.source == "deps") {
    auto db = deps::AdvisoryDb::Open(deps::DefaultDbDir(gate.db), false);
    if (!db) return Json::object();
    auto st = (*db)->Summary();
    if (!st) return Json::object();
    return {{"advisory_database", {{"digest", st->digest}, {"modified", st->newest_modified}, {"advisories", st->advisories}}}};
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
    if (gi < in.findings.size()) out.findings = in.findings[gi];
    for (auto& f : out.findings) f.gate = out.gate.name;
    SortFindings(out.findings);

    std::set<std::string> blocking_fps;
    for (const auto& f : out.findings)
      if (out.gate.fail_on && f.severity >= *out.gate.fail_on) blocking_fps.insert(f.fingerprint);

    std::set<std::string> waived;
    for (const auto& w : in.waivers) {
      if (w.gate != out.gate.name) continue;
      WaiverDecision d{w.seq, w.fingerprint, w.approver, false, ""};
      if (!out.gate.bypass_allowed) {
        d.reason = "gate '" + out.gate.name + "' allows no bypass";
      } else if (blocking_fps.count(w.fingerprint) == 0) {
        continue;  // not about a finding that blocks now: nothing to decide
      } else {
        Verdict v = JudgeWaiver(w, keyring, out.gate.bypass_roles, &in.author, in.now);
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
    if (!out.gate.bypass_allowed) out.notes.push_back("bypass: none (waivers are not accepted)");
    if (!out.gate.fail_on) out.notes.push_back("fail_on: none (report only)");

    std::set<std::string> still_blocking;
    for (const auto& f : out.findings) {
      if (!blocking_fps.count(f.fingerprint)) continue;
      if (waived.count(f.fingerprint)) continue;
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

std::vector<Json> DecisionEvents(const Evaluation& e) {
  std::vector<Json> events;
  Json gates = Json::object();
  for (const auto& g : e.gates) {
    std::map<std::string, int> counts;
    for (const auto& f : g.findings) ++counts[std::string(SeverityName(f.severity))];
    Json waivers = Json::array();
    for (const auto& w : g.waivers)
      waivers.push_back(Json{{"waiver_seq", w.seq}, {"finding", w.fingerprint}, {"approver", w.approver},
                             {"accepted", w.accepted}, {"reason", w.reason}});
    std::string decision = g.blocked ? "blocked" : "pass";
    gates[g.gate.name] = decision;
    events.push_back(Json{{"type", "gate.decision"},
                          {"subject", g.gate.name},
                          {"payload",
                           {{"gate", g.gate.name},
                            {"service", e.service},
                            {"commit", e.commit},
                            {"source", g.gate.SourceLabel()},
                            {"fail_on", g.gate.fail_on_text},
                            {"bypass", g.gate.bypass_allowed ? Json(g.gate.bypass_roles) : Json("none")},
                            {"decision", decision},
                            {"findings", g.findings.size()},
                            {"by_severity", counts},
                            {"blocking", g.blocking_fingerprints},
                            {"waived", g.waived},
                            {"waivers", waivers}}}});
    if (Json ev = SourceEvidence(g.gate); !ev.empty()) events.back()["payload"]["evidence"] = std::move(ev);
  }
  Json approvals = Json::array();
  for (const auto& a : e.approvals.decisions)
    approvals.push_back(Json{{"approval_seq", a.seq}, {"approver", a.approver}, {"accepted", a.accepted}, {"reason", a.reason}});
  events.push_back(Json{{"type", "gate.overall"},
                        {"subject", e.service},
                        {"actor", e.author.email.empty() ? e.author.name : e.author.email},
                        {"payload",
                         {{"service", e.service},
                          {"commit", e.commit},
                          {"author", e.author.name},
                          {"decision", e.blocked ? "blocked" : "pass"},
                          {"gates", gates},
                          {"approvals", {{"required", e.approvals.required}, {"valid", e.approvals.valid}, {"decisions", approvals}}}}}});
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
    s.decision = g.blocked ? "blocked" : (g.waived.empty() ? "pass" : "pass (waived)");
    s.findings = g.findings.size();
    s.blocking = g.blocking;
    s.waived = g.waived.size();
    s.notes = g.notes;
    for (const auto& w : g.waivers)
      s.notes.push_back(std::string(w.accepted ? "waiver accepted" : "waiver refused") + " for " +
                        w.fingerprint.substr(0, 12) + " (" + w.approver + "): " + w.reason);
    r.gates.push_back(std::move(s));
    r.findings.insert(r.findings.end(), g.findings.begin(), g.findings.end());
    r.waived_fingerprints.insert(r.waived_fingerprints.end(), g.waived.begin(), g.waived.end());
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
