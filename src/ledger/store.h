// LedgerStore: the storage seam of the evidence ledger. SQLite is the
// embedded default; a PostgreSQL store implements the same interface.
//
// A store keeps rows; it knows nothing of hashing rules. The Ledger (ledger.h)
// computes every hash and decides what to write, inside one write
// transaction per batch, so all backends produce identical logs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/result.h"

namespace tollgate::ledger {

// Interior nodes are stored from this level up; lower levels are recomputed
// from at most 2^kStoredLevel leaf hashes. This keeps appends cheap (one node
// row per 16 entries) while proofs stay O(log n) row reads.
inline constexpr unsigned kStoredLevel = 4;

struct StoredEntry {
  std::uint64_t seq = 0;
  std::string type;  // event type, duplicated from the body for look-ups
  Hash256 leaf_hash{};
  std::string body;  // canonical JSON (RFC 8785) of the entry
};

struct StoredCheckpoint {
  std::uint64_t size = 0;
  Hash256 root{};
  std::string note;      // the full signed note
  std::string key;       // verifier key text of the signer
  std::string created;   // RFC 3339
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // One exclusive write transaction at a time across processes and replicas:
  // a second writer waits. Commit makes the batch durable before returning.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

  virtual Result<std::uint64_t> Size() = 0;
  virtual Status PutEntry(const StoredEntry& e) = 0;
  virtual Status PutNode(unsigned level, std::uint64_t index, const Hash256& hash) = 0;
  virtual Status PutCheckpoint(const StoredCheckpoint& c) = 0;
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;

  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Result<std::optional<Hash256>> GetNode(unsigned level, std::uint64_t index) = 0;
  // Leaf hashes of [begin, end), in order; fewer if rows are missing.
  virtual Result<std::vector<Hash256>> GetLeafHashes(std::uint64_t begin, std::uint64_t end) = 0;
  // Entries with seq >= from in seq order, at most `limit` (0 = all), optionally
  // only of one type. The callback returns false to stop early.
  virtual Status ScanEntries(std::uint64_t from, std::uint64_t limit, const std::string& type,
                             const std::function<bool(const StoredEntry&)>& fn) = 0;
  // A read path for reports over many entries: seq, type and body of the
  // entries whose type is one of `types`, in seq order, without copying. The
  // views are valid only during the callback, which returns false to stop.
  // Bodies are not verified here (Verify does that). The default goes
  // through ScanEntries; a backend may do better.
  using BodyFn = std::function<bool(std::uint64_t seq, std::string_view type, std::string_view body)>;
  // Entries before `from` are passed over.
  virtual Status ScanBodies(const std::vector<std::string>& types, const BodyFn& fn, std::uint64_t from) {
    return ScanEntries(from, 0, "", [&](const StoredEntry& e) {
      for (const auto& t : types)
        if (e.type == t) return fn(e.seq, e.type, e.body);
      return true;
    });
  }
  // Every stored node, in no particular order.
  virtual Status ScanNodes(const std::function<void(unsigned level, std::uint64_t index, const Hash256&)>& fn) = 0;
  virtual Result<std::vector<StoredCheckpoint>> Checkpoints() = 0;
  // The checkpoint of the largest size (any one of them if several keys
  // signed that size), or none. The default reads them all; a backend may do
  // better.
  virtual Result<std::optional<StoredCheckpoint>> LastCheckpoint() {
    auto all = Checkpoints();
    if (!all) return Fail(all.error());
    if (all->empty()) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(all->back());
  }

  // True while the store stands for a ledger that does not exist yet (opened
  // with kCreate or kInit where there was no file): reads see an empty log and
  // the first committed write creates it.
  virtual bool Creating() const { return false; }
  // True once after a Commit that failed because another writer created the
  // ledger first: the store now reads and writes that ledger, and the caller
  // redoes its batch against it.
  virtual bool TakeCreationRace() { return false; }
};

// kExisting: the ledger must exist (NotFound otherwise).
// kCreate:   open it, or, where no file exists, stand for a new ledger that
//            the first committed write creates, whole and at once.
// kInit:     like kCreate, but only where no file exists (Input otherwise).
enum class OpenMode { kCreate, kExisting, kInit };

// Opens a SQLite ledger file. WAL journal, synchronous=FULL, a busy timeout
// so concurrent writers queue rather than fail. An existing file must be a
// whole ledger: a 0-byte file, a file that is not a whole number of pages
// (truncated), an empty SQLite database or another program's database is an
// Integrity error, a directory an Input error; nothing is written to it.
// A new ledger is built in a temporary file beside `path` and linked into
// place when its first write transaction commits, so no reader ever sees a
// half-made ledger.
Result<std::unique_ptr<LedgerStore>> OpenSqliteStore(const std::string& path, OpenMode mode);

// Opens a PostgreSQL ledger: the tables of the SQLite schema in the current
// schema of the database `url` names (postgres://...; see
// docs/ledger-format.md). Write transactions of every process on that
// database are serialised by an advisory lock. With no ledger tables there,
// kExisting is NotFound, kCreate and kInit stand for a new ledger whose
// tables the first committed write creates; kInit refuses existing tables
// (Input). Tables that are not a whole ledger are an Integrity error.
Result<std::unique_ptr<LedgerStore>> OpenPostgresStore(const std::string& url, OpenMode mode);

}  // namespace tollgate::ledger
