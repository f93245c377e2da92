// The evidence ledger: an append-only RFC 9162 Merkle log of canonical JSON
// entries with Ed25519-signed checkpoints (docs/ledger-format.md).
//
// Tollgate never updates or deletes an entry. Entries carry fingerprints and
// counts, never secrets or raw finding text: callers build them that way.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "core/result.h"
#include "core/signing.h"
#include "core/time.h"
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

struct VerifyOptions {
  // Keys the auditor trusts, from outside the ledger. When set, a checkpoint
  // counts only if one of these signed it, and at least one must exist.
  std::vector<VerifierKey> trusted_keys;
};

struct VerifyReport {
  std::uint64_t size = 0;
  Hash256 root{};
  std::size_t checkpoints_verified = 0;
  std::uint64_t latest_checkpoint_size = 0;
};

// The ledger's content as a self-contained JSON bundle (docs/ledger-format.md).
struct BundleVerifyResult {
  VerifyReport report;
};

class Ledger {
 public:
  // `clock` must outlive the Ledger.
  Ledger(std::unique_ptr<LedgerStore> store, const Clock& clock);

  // Opens the ledger at `location` (a SQLite file path; postgres:// URLs are
  // reserved for the PostgreSQL backend).
  static Result<std::unique_ptr<Ledger>> Open(const std::string& location, OpenMode mode, const Clock& clock);

  // Check an event before appending: an object with a string "type" and no
  // reserved "seq" member. `where` prefixes error messages ("stdin:3").
  static Status ValidateEvent(const Json& event, const std::string& where);

  // Append a batch in one transaction: either every event is recorded or none.
  // Each event gets "seq" (its index) and "time" (now, unless present).
  // With a signer, the batch ends with a signed checkpoint of the new head.
  Result<std::vector<AppendedEntry>> Append(std::vector<Json> events, const SignerKey* signer);

  // Sign and store a checkpoint of the current head.
  Result<StoredCheckpoint> SignCheckpoint(const SignerKey& signer);

  Result<std::uint64_t> Size();
  Result<Hash256> RootAt(std::uint64_t size);
  Result<std::string> Origin();

  // Entries with seq in [from, from+limit) (limit 0 = all), optionally of one type.
  Status Scan(std::uint64_t from, std::uint64_t limit, const std::string& type,
              const std::function<bool(const StoredEntry&)>& fn);

  // Bodies of entries of the given types, in seq order, without copies
  // (LedgerStore::ScanBodies): the read path of reports over many entries.
  Status ScanBodies(const std::vector<std::string>& types, const LedgerStore::BodyFn& fn) {
    return store_->ScanBodies(types, fn);
  }

  Result<std::vector<Hash256>> InclusionProof(std::uint64_t index, std::uint64_t size);
  Result<std::vector<Hash256>> ConsistencyProof(std::uint64_t size1, std::uint64_t size2);
  Result<Hash256> LeafHashAt(std::uint64_t index);

  // Recompute every leaf, every stored node and every checkpoint root; check
  // every checkpoint signature. The first problem is an Integrity error whose
  // message names the first bad index.
  Result<VerifyReport> Verify(const VerifyOptions& opts);

  // The bundle as JSON (entries as objects, checkpoints, verifier keys).
  Result<Json> Export();

 private:
  Result<std::string> EnsureOrigin();

  std::unique_ptr<LedgerStore> store_;
  const Clock& clock_;
};

// Verify an exported bundle with no database.
Result<VerifyReport> VerifyBundle(const Json& bundle, const VerifyOptions& opts);

std::string HashHex(const Hash256& h);

}  // namespace tollgate::ledger
