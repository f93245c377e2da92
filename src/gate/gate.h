// Gate evaluation: collect each gate's findings, apply thresholds, waivers
// and approvals, and decide pass or blocked. The public header of the gate
// module; the CLI records the resulting events in the ledger.
#pragma once

#include <string>
#include <vector>

#include "core/finding.h"
#include "core/report.h"
#include "core/result.h"
#include "core/time.h"
#include "gate/config.h"
#include "gate/waiver.h"

namespace tollgate::gate {

// Checks that every gate's source exists in this build and its inputs are
// present; a gate that cannot run is a configuration error naming it.
Status CheckSources(const Config& config);

// Findings of one gate (its scanner run, or its report imported), paths
// relative to `root`. What a scanner could not read completely (an
// unreadable, oversized or special file, a symbolic link loop, an archive
// bomb) is an `incomplete-scan` finding of the gate, a file it could not parse
// a `parse-error` finding (severity `parse_errors:`; with `strict`, an error
// instead); notes (Helm charts left out, a broken symlink, an unresolvable
// lockfile entry) go to `warnings` as "<gate>: <file>: <why>". Scanner and
// policy gates leave out the top-level and the gate's `exclude:` globs and
// what .gitignore ignores (docs/scanning.md).
Result<std::vector<Finding>> CollectFindings(const GateConfig& gate, const Config& config, const std::string& root,
                                             std::vector<std::string>* warnings = nullptr, bool strict = false);

// What a gate's source ran against, recorded in its ledger decision (the deps
// gate: the advisory database digest and newest `modified`); empty if nothing.
Json SourceEvidence(const GateConfig& gate);

struct WaiverDecision {
  std::uint64_t seq = 0;  // ledger index of the waiver
  std::string fingerprint;
  std::string approver;
  bool accepted = false;
  std::string reason;
};

// How one baseline event was judged for a gate.
struct BaselineDecision {
  std::uint64_t seq = 0;  // ledger index of the baseline
  std::string approver;
  bool accepted = false;
  std::string reason;
  std::size_t fingerprints = 0;  // how many it lists
  std::size_t matched = 0;       // blocking findings of this run it accepted
  std::size_t stale = 0;         // fingerprints matching no finding of this run (accepted baselines only)
};

// A finding accepted by a baseline, and which one.
struct BaselinedFinding {
  std::string fingerprint;
  std::uint64_t baseline_seq = 0;
};

struct GateOutcome {
  GateConfig gate;
  std::vector<Finding> findings;
  std::vector<std::string> waived;    // fingerprints accepted by a waiver
  std::vector<std::string> blocking_fingerprints;  // at or above fail_on, not waived or baselined
  std::vector<WaiverDecision> waivers;
  // Findings at or above fail_on that a valid baseline of this gate lists
  // (and no waiver accepts), sorted by fingerprint; the baselines judged.
  std::vector<BaselinedFinding> baselined;
  std::vector<BaselineDecision> baselines;
  std::size_t blocking = 0;  // at or above fail_on and not waived or baselined
  std::size_t stale_waivers = 0;  // live waivers of this service matching no finding
  std::size_t stale_baselined = 0;  // fingerprints of valid baselines matching no finding
  bool blocked = false;
  std::vector<std::string> notes;
  // What the gate judged, when computed with the decision (the compliance
  // gate: period, catalog digests, results); else SourceEvidence.
  Json evidence = Json::object();
};

struct ApprovalDecision {
  std::uint64_t seq = 0;
  std::string approver;
  bool accepted = false;
  std::string reason;
};

struct ApprovalOutcome {
  int required = 0;
  int valid = 0;
  std::vector<ApprovalDecision> decisions;
  bool satisfied() const { return valid >= required; }
};

struct Evaluation {
  std::string service;
  std::string commit;
  std::string recorded_by;  // the service's principal that submitted the run, if any
  Author author;
  std::vector<GateOutcome> gates;
  ApprovalOutcome approvals;
  bool blocked = false;
};

struct EvaluationInput {
  const Config* config = nullptr;
  std::vector<std::vector<Finding>> findings;  // one list per config gate, in order
  std::vector<Waiver> waivers;                 // every waiver in the ledger
  std::vector<Baseline> baselines;             // every baseline in the ledger
  std::vector<Approval> approvals;             // every approval in the ledger
  const Keyring* keyring = nullptr;            // may be null: then nothing verifies
  WaiverScope scope;                           // where the gate runs: waivers must name it
  Author author;
  std::string commit;
  TimePoint now;
};

Evaluation Evaluate(const EvaluationInput& in);

// Ledger events: one per gate and one overall. They carry counts and
// fingerprints, never finding text.
std::vector<Json> DecisionEvents(const Evaluation& e);

Report ToReport(const Evaluation& e, const std::string& version);

}  // namespace tollgate::gate
