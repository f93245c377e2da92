// The evidence ledger: an append-only RFC 9162 Merkle log of canonical JSON
// entries with Ed25519-signed checkpoints (docs/ledger-format.md).
//
// Tollgate never updates or deletes an entry. Entries carry fingerprints and
// counts, never secrets or raw finding text: callers build them that way.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "core/result.h"
#include "core/signing.h"
#include "core/time.h"
#include "ledger/merkle.h"
#include "ledger/store.h"

namespace tollgate::ledger {

struct AppendedEntry {
  std::uint64_t seq;
  Hash256 leaf_hash;
};

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash256 root{};
};

// The checkpoint body of https://c2sp.org/tlog-checkpoint:
// "<origin>\n<size>\n<base64 root>\n".
std::string CheckpointText(const Checkpoint& c);
Result<Checkpoint> ParseCheckpointText(std::string_view text);

// A checkpoint kept outside the ledger (as `ledger checkpoint` prints it: a
// signed note, or its bare checkpoint text), to prove the log still extends it.
struct SavedCheckpoint {
  std::string name;  // where it came from, for messages ("cp-2026-11-28.txt")
  std::string text;
};

struct VerifyOptions {
  // Keys the auditor trusts, from outside the ledger. When set, a checkpoint
  // counts only if one of these signed it, and at least one must exist, even
  // in an empty ledger. A saved checkpoint must be signed by one of them.
  std::vector<VerifierKey> trusted_keys;
  // Entries after the last signed checkpoint are an integrity failure.
  bool require_signed_head = false;
  // The log must extend this checkpoint: same origin, at least its size, and
  // an RFC 9162 consistency proof from it to the current root that verifies.
  std::optional<SavedCheckpoint> extends;
};

struct VerifyReport {
  std::uint64_t size = 0;
  Hash256 root{};
  std::size_t checkpoints_verified = 0;
  std::uint64_t latest_checkpoint_size = 0;
  // Entries no verified checkpoint covers (all of them when none was).
  std::uint64_t unsigned_entries = 0;
  std::string origin;
  // With VerifyOptions::extends: the saved checkpoint's size and the length
  // of the consistency proof that was verified, and its name (the file it
  // came from; with a bundle, the largest checkpoint the bundle ships).
  std::optional<std::uint64_t> extends_size;
  std::string extends_name;
  std::size_t extends_proof_hashes = 0;
};

// Event types that Tollgate's own commands record after validating them. An
// untyped append path (`ledger append`, the HTTP API's raw append) refuses
// them, so that a forged deploy, waiver or gate decision cannot enter the log
// unchecked. Returns the command(s) that record `type`, or nothing when the
// type is free. Reserved: deploy, incident, change, waiver, baseline,
// approval, canary.judgement, admission, gate.* (gate.decision, gate.overall, ...).
std::optional<std::string> ReservedTypeCommand(std::string_view type);

// Reads a batch for an untyped append: JSON Lines, one event object per line
// (blank lines skipped, a trailing CR removed), each parsed strictly and
// checked with Ledger::ValidateEvent and ReservedTypeCommand. Errors name
// `name`:LINE[:COLUMN]. A byte order mark or anything but an object is
// refused; so is input with no events.
Result<std::vector<Json>> ReadEventBatch(std::istream& in, const std::string& name);

// What an export wrote.
struct ExportSummary {
  std::uint64_t size = 0;
  std::size_t checkpoints = 0;
};

class Ledger {
 public:
  // `clock` must outlive the Ledger.
  Ledger(std::unique_ptr<LedgerStore> store, const Clock& clock);

  // Opens the ledger at `location` (a SQLite file path; postgres:// URLs are
  // reserved for the PostgreSQL backend). With kCreate and no file there, the
  // first write creates the ledger (recording origin, creation time and
  // "created_by": "first write" in meta). An existing ledger must have an
  // origin, and one with no entries and no checkpoint must have been made by
  // `ledger init`: anything else is an Integrity error (docs/ledger-format.md).
  static Result<std::unique_ptr<Ledger>> Open(const std::string& location, OpenMode mode, const Clock& clock);

  // Creates an empty ledger at `location`, where no file may exist (Input
  // error otherwise), recording "created_by": "ledger init". With a signer,
  // also a signed checkpoint of the empty log.
  static Result<std::unique_ptr<Ledger>> Init(const std::string& location, const Clock& clock,
                                              const SignerKey* signer = nullptr);

  // Check an event before appending: an object with a string "type" and no
  // reserved "seq" member. `where` prefixes error messages ("stdin:3").
  static Status ValidateEvent(const Json& event, const std::string& where);

  // Append a batch in one transaction: either every event is recorded or none.
  // Each event gets "seq" (its index) and "time" (now, unless present).
  // With a signer, the batch ends with a signed checkpoint of the new head.
  // First, inside the transaction, the tail it extends is checked (CheckTail
  // below); a damaged tail is an Integrity error and nothing is written.
  Result<std::vector<AppendedEntry>> Append(std::vector<Json> events, const SignerKey* signer);

  // Check and append as one write transaction: `prepare` runs with the write
  // lock held (it may read this Ledger, e.g. Scan, and sees every earlier
  // writer's entries) and returns the events to append, possibly none (then
  // nothing is written, not even a checkpoint); they are validated and
  // appended as Append does. An error from `prepare` writes nothing.
  // `prepare` runs again if the transaction is redone (after losing the race
  // to create the ledger), so it must not consume its input. Two processes
  // doing this at once are serialised, so both cannot pass a check the
  // other's append would have failed.
  using PrepareFn = std::function<Result<std::vector<Json>>()>;
  Result<std::vector<AppendedEntry>> AppendChecked(const PrepareFn& prepare, const SignerKey* signer);

  // AppendChecked for batches of any size in bounded memory: `produce` hands
  // each event to `emit`, which validates it and writes it at once (an entry
  // body is not kept), all in one write transaction. An error from either
  // writes nothing. `produce` runs again if the transaction is redone.
  struct StreamSummary {
    std::uint64_t appended = 0;
    std::uint64_t first_seq = 0;  // when appended > 0
    std::uint64_t last_seq = 0;
  };
  using EmitFn = std::function<Status(Json& event)>;
  using ProduceFn = std::function<Status(const EmitFn& emit)>;
  Result<StreamSummary> AppendStream(const ProduceFn& produce, const SignerKey* signer);

  // Sign and store a checkpoint of the current head, after the same tail check.
  Result<StoredCheckpoint> SignCheckpoint(const SignerKey& signer);

  Result<std::uint64_t> Size();
  Result<Hash256> RootAt(std::uint64_t size);
  Result<std::string> Origin();
  // The stored checkpoint of the largest size (as LedgerStore::LastCheckpoint:
  // read, not verified; Verify checks it), or none.
  Result<std::optional<StoredCheckpoint>> LatestCheckpoint() { return store_->LastCheckpoint(); }
  // Every stored checkpoint, by size (read, not verified).
  Result<std::vector<StoredCheckpoint>> Checkpoints() { return store_->Checkpoints(); }

  // Entries with seq in [from, from+limit) (limit 0 = all), optionally of one
  // type. Each entry is checked before `fn` sees it: its body re-hashes to its
  // stored leaf hash, its embedded "seq" is its index and its stored type is
  // its body's; a mismatch stops the scan with an Integrity error naming it.
  Status Scan(std::uint64_t from, std::uint64_t limit, const std::string& type,
              const std::function<bool(const StoredEntry&)>& fn);

  // Bodies of entries of the given types, in seq order, without copies
  // (LedgerStore::ScanBodies): the read path of reports over many entries.
  Status ScanBodies(const std::vector<std::string>& types, const LedgerStore::BodyFn& fn, std::uint64_t from = 0) {
    return store_->ScanBodies(types, fn, from);
  }

  Result<std::vector<Hash256>> InclusionProof(std::uint64_t index, std::uint64_t size);
  Result<std::vector<Hash256>> ConsistencyProof(std::uint64_t size1, std::uint64_t size2);
  Result<Hash256> LeafHashAt(std::uint64_t index);

  // Recompute every leaf, every stored node and every checkpoint root; check
  // every checkpoint signature. The first problem is an Integrity error whose
  // message names the first bad index.
  Result<VerifyReport> Verify(const VerifyOptions& opts);

  // The export bundle (docs/ledger-format.md), written piece by piece to
  // `write` as the store hands out entries, so memory does not grow with the
  // ledger: the bytes of nlohmann's dump(1) of the bundle, and a final
  // newline. It holds the entries and checkpoints of the log's size when the
  // export began. An error from `write` stops it and is returned.
  Result<ExportSummary> ExportBundle(const std::function<Status(std::string_view)>& write);
  // ExportBundle into `path`, atomically (core/file.h AtomicFileWriter): on
  // any error `path` is left as it was.
  Result<ExportSummary> ExportToFile(const std::string& path);
  // The bundle as JSON, in memory (small ledgers, tests).
  Result<Json> Export();

 private:
  // Inside a write transaction: the origin, written if the ledger is being
  // created (with `created_by`), else required.
  Result<std::string> EnsureOrigin(const char* created_by);
  // Inside a write transaction, before extending a log of `size` entries:
  // the last checkpoint (signature, origin) matches the root recomputed from
  // stored nodes and leaf hashes, and every entry after it (or after what
  // this Ledger verified or wrote itself, if later and unchanged) re-hashes
  // to its leaf hash, holds its own seq and type, and matches the stored
  // nodes it completes. Returns the frontier of the verified log.
  Result<CompactRange> CheckTail(std::uint64_t size, const std::string& origin);
  // Append and AppendChecked: one write transaction appending the batch that
  // `source` gives (asked again if the transaction is redone). An empty
  // batch is signed (a checkpoint of the head) only with `sign_empty`.
  Result<std::vector<AppendedEntry>> WriteBatch(const std::function<Result<std::vector<Json>*>()>& source,
                                                const SignerKey* signer, bool sign_empty);
  // The one write path: the events `produce` emits, each written at once;
  // with `out`, what was appended is listed there too.
  Result<StreamSummary> WriteStream(const ProduceFn& produce, const SignerKey* signer, bool sign_empty,
                                    std::vector<AppendedEntry>* out);
  // Runs `write` in one write transaction; redoes it once if another writer
  // created the ledger first (LedgerStore::TakeCreationRace).
  template <typename T, typename F>
  Result<T> InTransaction(F&& write);
  Error Damaged(const Error& e) const;

  std::unique_ptr<LedgerStore> store_;
  const Clock& clock_;
  std::string location_;
  std::optional<CompactRange> verified_;  // a frontier this Ledger checked or wrote itself
};

// Opens the ledger at `location` and verifies it. A missing ledger is an
// Integrity error (not NotFound) when the options say one is expected: a
// trusted key or a saved checkpoint.
Result<VerifyReport> VerifyLedger(const std::string& location, const VerifyOptions& opts, const Clock& clock);

// Verify an exported bundle with no database.
Result<VerifyReport> VerifyBundle(const Json& bundle, const VerifyOptions& opts);

// Verify the bundle in the file `path` as it is read: entries are checked and
// hashed one at a time into an O(log n) tree frontier, so memory does not grow
// with the entries (only with the checkpoints, which are held). A malformed or
// truncated file is an Input error naming "path:line:column"; a problem
// with the log, an error as VerifyBundle's, prefixed with `path`.
Result<VerifyReport> VerifyBundleFile(const std::string& path, const VerifyOptions& opts);

// The audit bundle directory (`tollgate report bundle`, docs/ledger-format.md
// "Audit bundle directory"): where each piece lives in it.
namespace bundle_dir {
inline constexpr const char* kManifest = "MANIFEST";
inline constexpr const char* kLedger = "ledger.json";
inline constexpr const char* kEntries = "entries";
inline constexpr const char* kCheckpoints = "checkpoints";
inline constexpr const char* kLedgerKeys = "keys/ledger";
inline constexpr const char* kSignerKeys = "keys/signers";
inline constexpr const char* kReports = "reports";
// "entries/000000123.json" for seq 123.
std::string EntryFile(std::uint64_t seq);
// The MANIFEST of the files under `dir` (every regular file but MANIFEST,
// sorted): "<hex SHA-256>  <relative path>" lines, as sha256sum prints them.
Result<std::string> Manifest(const std::string& dir);
}  // namespace bundle_dir

// Verify an audit bundle directory offline: every file against MANIFEST (no
// file missing, changed or unlisted), every entries/N.json against entry N
// of ledger.json and its leaf hash, every checkpoints/ file against
// ledger.json's, ledger.json as VerifyBundleFile does with the keys of
// keys/ledger (or opts.trusted_keys when given) and extending the largest
// checkpoint, and every report naming the verified root (and size). Any
// mismatch is an Integrity error naming the file.
Result<VerifyReport> VerifyBundleDir(const std::string& dir, const VerifyOptions& opts);

std::string HashHex(const Hash256& h);

}  // namespace tollgate::ledger
