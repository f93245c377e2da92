// The whole gate, end to end, as the CLI and the server run it: find the
// configuration, collect every gate's findings, read the waivers and approvals
// the ledger holds, decide, and record the decision in the ledger. Also the
// recording of waivers and approvals. The public header of the gate module's
// orchestration (gate.h holds the pure evaluation it builds on).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/signing.h"
#include "core/time.h"
#include "gate/config.h"
#include "gate/gate.h"
#include "gate/waiver.h"
#include "ledger/ledger.h"

namespace tollgate::gate {

// A repository's configuration: `explicit_path` when given; else the nearest
// tollgate.yaml in `root` or a parent directory, up to the repository root
// (the first directory holding .git) or the filesystem root; else the built-in
// defaults with `root` as base. When the file is found in a parent, `note`
// (when given) says so and `*root` becomes that file's directory: the gate
// then runs over the whole project, as git and linters do.
Result<Config> LoadRepoConfig(std::string* root, const std::string& explicit_path, std::string* note = nullptr);

// The approvers' keyring: `explicit_path`, else <config base>/.tollgate/keys.yaml.
// A missing file is an error only when `required`.
Result<std::optional<Keyring>> LoadKeyringFor(const Config& config, const std::string& explicit_path, bool required);

// What the scanners found in a working tree, before any waiver or approval
// applies: what a CI job computes locally and, with --server, submits.
struct Submission {
  std::string service;
  std::string commit;
  std::string repository;  // the origin remote's URL, when known
  std::string branch;      // the checked-out branch, when known
  Author author;
  std::string recorded_by;  // the service's principal that submitted the run; empty for a local run
  std::vector<std::vector<Finding>> findings;  // one list per configured gate, in order
  std::vector<std::string> warnings;           // what a scanner could not read, "<gate>: <file>: <why>"
};

struct CollectOptions {
  std::string root = ".";
  std::string author;  // "Name <email>"; empty: HEAD's author
  std::string commit;  // empty: HEAD
  bool strict = false;  // a file a scanner cannot parse fails the run (exit 2) instead of being a finding
};

// Runs every configured gate's source over `options.root`.
Result<Submission> Collect(const Config& config, const CollectOptions& options);

struct RunResult {
  Evaluation evaluation;
  std::vector<ledger::AppendedEntry> recorded;  // the decision events, in order
};

// Reads every waiver, baseline and approval from `ledger`, evaluates the submission
// under `config`, and appends the decision events in one batch (signed with
// `ledger_key` when given).
Result<RunResult> DecideAndRecord(const Config& config, Submission submission, const Keyring* keyring,
                                  ledger::Ledger& ledger, const SignerKey* ledger_key, TimePoint now);

// Recording a signed waiver: the request as the CLI or the API gets it.
struct WaiverRequest {
  std::string service;     // empty: the configuration's service
  bool all_services = false;  // a waiver for every service (needs the admin role)
  std::string repository;  // optional: only this repository
  std::string branch;      // optional: only this branch
  std::string gate;
  std::string finding;  // the fingerprint
  std::string reason;
  std::string expires;  // YYYY-MM-DD or RFC 3339
};

// The checks that need no key: the gate exists and allows bypass, the finding
// is a fingerprint (or a prefix of at least 8 hex digits), a reason and an
// expiry are given.
Status ValidateWaiverRequest(const Config& config, const WaiverRequest& request);

// ValidateWaiverRequest, then signs a waiver of the full `fingerprint` with
// `signer` and judges it as the gate will (signature, keyring, the gate's
// bypass roles, expiry and, when `author` is given, four-eyes against the
// change's author), without appending it. "waiver refused: <why>" otherwise.
Result<Waiver> SignCheckedWaiver(const Config& config, const Keyring& keyring, const WaiverRequest& request,
                                 const std::string& fingerprint, const SignerKey& signer, const Author* author,
                                 TimePoint now);

// Checks the request against the gate's bypass rules and the keyring, signs
// it with `signer` and appends it. Returns the recorded waiver (with its seq).
// A fingerprint prefix is resolved against the fingerprints this gate has
// reported as blocking in the ledger: exactly one must match, and the waiver
// records the full fingerprint.
Result<Waiver> RecordWaiver(const Config& config, const Keyring& keyring, const WaiverRequest& request,
                            const SignerKey& signer, ledger::Ledger& ledger, const SignerKey* ledger_key, TimePoint now);

// Recording a baseline (the adoption path of an old repository): the
// request as the CLI gets it.
struct BaselineRequest {
  std::vector<std::string> gates;  // empty: every configured gate
  std::string service;             // empty: the configuration's service
  std::string reason;
  std::string expires;  // YYYY-MM-DD, RFC 3339 or a duration from now ("90d")
};

// The checks that need no key and no scan: the gates named exist and none of
// the gates baselined has `bypass: none` (the error names the first such
// gate: nothing is recorded for any), a reason and an expiry are given, the
// service is known and is one service. Returns the configuration reduced to
// the gates to baseline, in configuration order.
Result<Config> BaselineGates(const Config& config, const BaselineRequest& request, TimePoint now);

struct BaselineResult {
  std::vector<Baseline> recorded;        // in ledger order, with their seq
  std::vector<std::string> no_findings;  // gates with nothing to baseline (no event)
  std::vector<std::string> warnings;     // what a scanner could not read, "<gate>: <file>: <why>"
  Author author;                         // the change's author the baselines were checked against
};

// Signs one baseline per gate of `gates` (BaselineGates) holding the
// fingerprints (with rule and file) of every finding of `submission` (one
// list per gate of `gates`), several parts for a gate too large for one
// event, checks each as the gate will (signature, keyring, the gate's bypass
// role, expiry, and four-eyes against the submission's author when known),
// and appends them all in one batch: if any is refused, nothing is recorded.
Result<BaselineResult> RecordBaseline(const Config& gates, const Keyring& keyring, const BaselineRequest& request,
                                      const Submission& submission, const SignerKey& signer, ledger::Ledger& ledger,
                                      const SignerKey* ledger_key, TimePoint now);

// `tollgate baseline create`: BaselineGates, the signer's authority on each
// gate checked before any scan, Collect over the gates, RecordBaseline.
Result<BaselineResult> CreateBaseline(const Config& config, const Keyring& keyring, const BaselineRequest& request,
                                      const CollectOptions& options, const SignerKey& signer, ledger::Ledger& ledger,
                                      const SignerKey* ledger_key, TimePoint now);

// Signs an approval of `commit` and appends it.
Result<Approval> RecordApproval(const Keyring& keyring, const std::string& commit, const std::string& reason,
                                const SignerKey& signer, ledger::Ledger& ledger, const SignerKey* ledger_key,
                                TimePoint now);

}  // namespace tollgate::gate
