#include "gate/compliance_gate.h"

#include <set>

#include "compliance/compliance.h"

namespace tollgate::gate {
namespace {

constexpr std::size_t kMaxViolationsInMessage = 10;

// "file:line" of a control, split for the finding's location.
Location CatalogLocation(const std::string& where) {
  Location loc;
  const auto colon = where.rfind(':');
  loc.file = colon == std::string::npos ? where : where.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string line = where.substr(colon + 1);
    if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos && line.size() < 9)
      loc.line = static_cast<std::uint32_t>(std::stoul(line));
  }
  return loc;
}

Finding ControlFinding(const GateConfig& gate, std::string_view rule, Severity severity, const std::string& framework,
                       const Json& control, std::string message) {
  Finding f;
  f.rule_id = std::string(rule);
  f.gate = gate.name;
  f.severity = severity;
  f.message = std::move(message);
  f.location = CatalogLocation(control.value("catalog", ""));
  const std::string id = control["id"].get<std::string>();
  // Stable across runs: a waiver accepts this control of this framework
  // failing (or unassessed) until it expires, whichever entries break it.
  f.fingerprint = MakeFingerprint(rule, {framework, id});
  f.references = {framework + ":" + id};
  f.tool = "tollgate-compliance";
  f.details = Json{{"framework", framework}, {"control", id}, {"rules", control.value("rules", Json::array())}};
  return f;
}

}  // namespace

Result<ComplianceGateRun> RunComplianceGate(const GateConfig& gate, const Config& config, ledger::Ledger& ledger,
                                            TimePoint now) {
  auto lib = compliance::LoadLibrary(config.catalogs);
  if (!lib) return Fail(lib.error());
  const TimePoint from = now - gate.period;
  auto evidence = compliance::BuildEvidence(ledger, {from, now, config.service});
  if (!evidence) return Fail(evidence.error());

  ComplianceGateRun run;
  const Json ledger_state = evidence->value("ledger", Json::object());
  const bool verified = ledger_state.value("verified", false);
  Json results = Json::object();
  if (!verified) {
    // Fail closed: no evidence from a ledger that does not verify counts.
    Finding f;
    f.rule_id = std::string(kLedgerUnverifiedRule);
    f.gate = gate.name;
    f.severity = Severity::kCritical;
    const std::string why = ledger_state.value("error", std::string("verification failed"));
    f.message = "the ledger does not verify, so no control can be shown satisfied: " + why;
    f.location.file = "ledger";
    f.fingerprint = MakeFingerprint(kLedgerUnverifiedRule, {config.service, why});
    f.tool = "tollgate-compliance";
    run.findings.push_back(std::move(f));
  }
  for (const auto& id : gate.frameworks) {
    const compliance::Framework* fw = lib->Find(id);
    if (fw == nullptr)
      return Fail(Error::Input("unknown compliance framework '" + id + "' (" + lib->FrameworkIds() + ")"));
    auto report = compliance::Assess(*lib, *fw, *evidence);
    if (!report) return Fail(report.error());
    results[id] = (*report)["summary"];
    std::size_t manual = 0;
    std::vector<std::string> unassessed;
    for (const auto& c : (*report)["controls"]) {
      const std::string result = c["result"].get<std::string>();
      const std::string cid = c["id"].get<std::string>();
      if (result == "not_satisfied") {
        std::string msg = id + " " + cid + " is not satisfied:";
        Json seqs = Json::array();
        std::size_t listed = 0;
        for (const auto& v : c["violations"]) {
          if (v.contains("seq")) seqs.push_back(v["seq"]);
          if (++listed > kMaxViolationsInMessage) continue;
          msg += std::string(listed == 1 ? " " : "; ") + v["rule"].get<std::string>() +
                 (v.contains("seq") ? " at ledger entry " + std::to_string(v["seq"].get<std::uint64_t>()) : "") +
                 " (" + v["why"].get<std::string>() + ")";
        }
        if (listed > kMaxViolationsInMessage)
          msg += "; and " + std::to_string(listed - kMaxViolationsInMessage) + " more";
        Finding f = ControlFinding(gate, kControlNotSatisfiedRule, Severity::kHigh, id, c, msg);
        f.details["violations"] = c["violations"];
        f.details["seqs"] = std::move(seqs);
        run.findings.push_back(std::move(f));
      } else if (result == "not_assessed") {
        if (c.contains("manual")) {
          ++manual;
        } else if (verified) {
          if (gate.require_assessed)
            run.findings.push_back(ControlFinding(gate, kControlNotAssessedRule, Severity::kHigh, id, c,
                                                  id + " " + cid + " is not assessed: " +
                                                      c["reason"].get<std::string>() +
                                                      " (require_assessed: true)"));
          else
            unassessed.push_back(cid);
        }
      }
    }
    if (manual > 0)
      run.notes.push_back(id + ": " + std::to_string(manual) +
                          " control(s) are assessed by a person, not by this gate (tollgate report compliance lists them)");
    if (!unassessed.empty()) {
      std::string list;
      for (const auto& u : unassessed) list += (list.empty() ? "" : ", ") + u;
      run.notes.push_back(id + ": not assessed for want of evidence in the period (require_assessed: false): " + list);
    }
  }
  run.evidence = Json{{"frameworks", gate.frameworks},
                      {"period", {{"from", FormatRfc3339(from)}, {"to", FormatRfc3339(now)}, {"length", FormatDuration(gate.period)}}},
                      {"require_assessed", gate.require_assessed},
                      {"ledger", {{"verified", verified}}},
                      {"results", std::move(results)},
                      {"catalogs", lib->digests}};
  return run;
}

}  // namespace tollgate::gate
