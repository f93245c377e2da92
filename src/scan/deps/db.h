// The local OSV advisory database: one SQLite file (advisories.db) in a
// cache directory, indexed by (ecosystem, normalised package name). The
// format is described in docs/deps.md. Nothing here touches the network.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "scan/deps/osv.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tollgate::deps {

// --db DIR, else $TOLLGATE_DB, else $XDG_CACHE_HOME/tollgate/osv, else
// ~/.cache/tollgate/osv.
std::string DefaultDbDir(const std::string& flag);

struct ImportStats {
  std::size_t read = 0;       // records parsed
  std::size_t added = 0;      // new ids
  std::size_t updated = 0;    // newer `modified` replaced an older record
  std::size_t unchanged = 0;  // same or older `modified`: kept the stored one
  std::size_t withdrawn = 0;  // of the added/updated, withdrawn ones (kept, never match)
  std::vector<std::string> warnings;  // "file: problem" for each record or file skipped
};

// What the database holds for one ecosystem.
struct EcosystemStats {
  std::size_t advisories = 0;    // records with an affected package in the ecosystem
  std::string newest_modified;   // the newest `modified` among them
};

struct DbStatus {
  std::size_t advisories = 0;
  std::size_t withdrawn = 0;
  std::map<std::string, std::size_t> per_ecosystem;  // advisories that name the ecosystem
  std::map<std::string, EcosystemStats> ecosystems;  // the same counts, with each one's newest record
  std::string newest_modified;
  std::string digest;  // hex SHA-256 over every "id NUL modified" in id order
};

class AdvisoryDb {
 public:
  ~AdvisoryDb();
  AdvisoryDb(const AdvisoryDb&) = delete;
  AdvisoryDb& operator=(const AdvisoryDb&) = delete;

  // Opens (and with `create`, creates) DIR/advisories.db.
  static Result<std::unique_ptr<AdvisoryDb>> Open(const std::string& dir, bool create);

  // Imports OSV records from JSON/YAML files, folders of them (recursively)
  // and OSV's per-ecosystem all.zip archives. Incremental: a record replaces
  // the stored one only when its `modified` is newer. A malformed record or
  // file is skipped with a warning; a path that does not exist is an error.
  // Ends the handle's read transaction and drops its record cache, so
  // pointers Candidates returned before are invalid afterwards.
  Result<ImportStats> Import(const std::vector<std::string>& paths);
  // Imports one record given as JSON (used by Import and by tests).
  Status ImportRecord(const Json& record, std::string_view what, ImportStats& stats);

  Result<DbStatus> GetStatus() const;
  // Per ecosystem (the stored key, "PyPI", "npm"): advisories and the newest
  // record, as the last import left them (computed when an older import did
  // not keep them). Inside the scan's read transaction, like Summary.
  Result<std::map<std::string, EcosystemStats>> Ecosystems() const;
  // Only what a scan records (advisories, newest modified, digest), from the
  // meta table written by Import; per_ecosystem and withdrawn stay empty.
  Result<DbStatus> Summary() const;

  // Non-withdrawn advisories with an affected entry for (ecosystem,
  // normalised name). Parsed records are cached for the object's lifetime.
  Result<std::vector<const Advisory*>> Candidates(Ecosystem e, const std::string& normalized_name);
  // The non-withdrawn advisory stored under `id`, if any (an alias's own
  // record, for its severity). Cached like Candidates' records.
  Result<const Advisory*> ById(const std::string& id);
  // Every non-withdrawn advisory (for the naive benchmark baseline).
  Result<std::vector<Advisory>> All() const;

  const std::string& path() const { return path_; }

 private:
  AdvisoryDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Exec(const char* sql) const;
  Status ImportFile(const std::string& file, ImportStats& stats);
  Status ImportZip(const std::string& file, ImportStats& stats);
  Status ImportText(std::string_view text, const std::string& what, ImportStats& stats);
  Status UpdateDigest();
  // Summary and Candidates read inside one read transaction, held until the
  // next Import or the end of the handle: the digest a scan records is the
  // digest of the records it matched, and SQLite takes its file lock once
  // rather than once per record.
  Status EnsureRead() const;
  void EndRead();

  sqlite3* db_;
  std::string path_;
  // Prepared once, reused by every Candidates call (finalised by ~AdvisoryDb).
  sqlite3_stmt* lookup_ = nullptr;
  sqlite3_stmt* record_ = nullptr;
  sqlite3_stmt* by_id_ = nullptr;
  std::map<std::string, std::unique_ptr<Advisory>, std::less<>> cache_;
  // After kPreloadAfter lookups the whole (ecosystem, name) -> ids index is
  // read in one query and answered from memory (a large lockfile makes
  // thousands of lookups; a small one stays with the per-key query).
  mutable bool reading_ = false;
  std::size_t lookups_ = 0;
  bool preloaded_ = false;
  std::unordered_map<std::string, std::vector<std::pair<std::string, long long>>> index_;  // -> (id, rowid)
};

// The stored ecosystem key of an OSV ecosystem string ("Debian:12" -> "Debian").
std::string EcosystemKey(std::string_view osv_ecosystem);

}  // namespace tollgate::deps
