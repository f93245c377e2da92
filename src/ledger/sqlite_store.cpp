// SQLite backend of the ledger (docs/ledger-format.md describes the schema).
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "ledger/store.h"

namespace tollgate::ledger {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 60000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  leaf_hash BLOB NOT NULL,
  body BLOB NOT NULL);
-- Partial indexes for the records every gate run looks up by type; other
-- types are read by scanning, which keeps bulk appends cheap.
CREATE INDEX IF NOT EXISTS entries_waivers ON entries(seq) WHERE type = 'waiver';
CREATE INDEX IF NOT EXISTS entries_approvals ON entries(seq) WHERE type = 'approval';
CREATE TABLE IF NOT EXISTS nodes(id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints(
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  key TEXT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY(size, key));
)sql";

// Node ids pack level and index: level in the top 8 bits.
std::int64_t NodeId(unsigned level, std::uint64_t index) {
  return static_cast<std::int64_t>((std::uint64_t{level} << 56) | index);
}

class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Resets a cached statement when the scope ends, whatever the path.
class Reset {
 public:
  explicit Reset(sqlite3_stmt* s) : s_(s) {}
  ~Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;

 private:
  sqlite3_stmt* s_;
};

Hash256 BlobToHash(sqlite3_stmt* s, int col, bool* ok) {
  Hash256 h{};
  const void* p = sqlite3_column_blob(s, col);
  int n = sqlite3_column_bytes(s, col);
  *ok = (p != nullptr && n == 32);
  if (*ok) std::memcpy(h.data(), p, 32);
  return h;
}

std::string ColumnText(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  int n = sqlite3_column_bytes(s, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

class SqliteStore final : public LedgerStore {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)) {}
  ~SqliteStore() override {
    if (in_tx_) Rollback();
    // close_v2 defers the close until the cached statements (members,
    // destroyed after this body) are finalised.
    sqlite3_close_v2(db_);
  }

  Status Open(OpenMode mode) {
    std::error_code ec;
    bool exists = std::filesystem::exists(path_, ec);
    if (!exists && mode == OpenMode::kExisting) return Fail(Error::NotFound(path_ + ": no ledger here"));
    if (!exists) {
      auto parent = std::filesystem::path(path_).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (exists ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr) != SQLITE_OK) return Fail(SqlError("cannot open"));
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db_, 1);
    // Probe the file before anything writes to it: a file that is not a
    // ledger must stay as it was.
    TG_TRY(Exec("PRAGMA journal_mode=WAL"));
    TG_TRY(Exec("PRAGMA synchronous=FULL"));
    TG_TRY(Exec("PRAGMA foreign_keys=OFF"));
    auto version = UserVersion();
    if (!version) return Fail(version.error());
    if (*version == 0) {
      auto has_tables = HasTables();
      if (!has_tables) return Fail(has_tables.error());
      if (*has_tables) return Fail(Error::Integrity(path_ + ": not a tollgate ledger (unknown tables, no schema version)"));
      TG_TRY(Exec("BEGIN IMMEDIATE"));
      auto v2 = UserVersion();  // another process may have initialised it meanwhile
      if (v2 && *v2 == 0) {
        Status s = Exec(kSchema);
        if (s) s = Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
        if (!s) {
          (void)Exec("ROLLBACK");
          return s;
        }
      }
      TG_TRY(Exec("COMMIT"));
    } else if (*version != kSchemaVersion) {
      return Fail(Error::Integrity(path_ + ": unsupported ledger schema version " + std::to_string(*version)));
    }
    TG_TRY(Prepare(ins_entry_, "INSERT INTO entries(seq,type,leaf_hash,body) VALUES(?,?,?,?)"));
    TG_TRY(Prepare(ins_node_, "INSERT OR REPLACE INTO nodes(id,hash) VALUES(?,?)"));
    TG_TRY(Prepare(get_node_, "SELECT hash FROM nodes WHERE id=?"));
    TG_TRY(Prepare(get_leaves_, "SELECT seq, leaf_hash FROM entries WHERE seq>=? AND seq<? ORDER BY seq"));
    return Ok();
  }

  Status BeginWrite() override {
    TG_TRY(Exec("BEGIN IMMEDIATE"));
    in_tx_ = true;
    return Ok();
  }
  Status Commit() override {
    Status s = Exec("COMMIT");
    if (!s) {
      Rollback();
      return s;
    }
    in_tx_ = false;
    return Ok();
  }
  void Rollback() override {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    in_tx_ = false;
  }

  Result<std::uint64_t> Size() override {
    // seq is dense from 0, so the size is max(seq)+1; verify checks density.
    Stmt s;
    TG_TRY(Prepare(s, "SELECT COALESCE(MAX(seq)+1, 0) FROM entries"));
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return Fail(SqlError("cannot read the ledger size"));
    return static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
  }

  Status PutEntry(const StoredEntry& e) override {
    sqlite3_stmt* s = ins_entry_.get();
    Reset r(s);
    sqlite3_bind_int64(s, 1, static_cast<std::int64_t>(e.seq));
    sqlite3_bind_text(s, 2, e.type.data(), static_cast<int>(e.type.size()), SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, e.leaf_hash.data(), 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, e.body.data(), static_cast<int>(e.body.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return Fail(SqlError("cannot append entry " + std::to_string(e.seq)));
    return Ok();
  }

  Status PutNode(unsigned level, std::uint64_t index, const Hash256& hash) override {
    sqlite3_stmt* s = ins_node_.get();
    Reset r(s);
    sqlite3_bind_int64(s, 1, NodeId(level, index));
    sqlite3_bind_blob(s, 2, hash.data(), 32, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return Fail(SqlError("cannot store a tree node"));
    return Ok();
  }

  Status PutCheckpoint(const StoredCheckpoint& c) override {
    Stmt s;
    TG_TRY(Prepare(s, "INSERT OR REPLACE INTO checkpoints(size,root,note,key,created) VALUES(?,?,?,?,?)"));
    sqlite3_bind_int64(s.get(), 1, static_cast<std::int64_t>(c.size));
    sqlite3_bind_blob(s.get(), 2, c.root.data(), 32, SQLITE_STATIC);
    sqlite3_bind_text(s.get(), 3, c.note.data(), static_cast<int>(c.note.size()), SQLITE_STATIC);
    sqlite3_bind_text(s.get(), 4, c.key.data(), static_cast<int>(c.key.size()), SQLITE_STATIC);
    sqlite3_bind_text(s.get(), 5, c.created.data(), static_cast<int>(c.created.size()), SQLITE_STATIC);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Fail(SqlError("cannot store the checkpoint"));
    return Ok();
  }

  Status PutMeta(const std::string& key, const std::string& value) override {
    Stmt s;
    TG_TRY(Prepare(s, "INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)"));
    sqlite3_bind_text(s.get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_text(s.get(), 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Fail(SqlError("cannot write ledger metadata"));
    return Ok();
  }

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    Stmt s;
    TG_TRY(Prepare(s, "SELECT value FROM meta WHERE key=?"));
    sqlite3_bind_text(s.get(), 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return std::optional<std::string>(ColumnText(s.get(), 0));
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    return Fail(SqlError("cannot read ledger metadata"));
  }

  Result<std::optional<Hash256>> GetNode(unsigned level, std::uint64_t index) override {
    sqlite3_stmt* s = get_node_.get();
    Reset r(s);
    sqlite3_bind_int64(s, 1, NodeId(level, index));
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return std::optional<Hash256>();
    if (rc != SQLITE_ROW) return Fail(SqlError("cannot read a tree node"));
    bool ok = false;
    Hash256 h = BlobToHash(s, 0, &ok);
    if (!ok) return Fail(Error::Integrity(path_ + ": tree node " + std::to_string(level) + "/" + std::to_string(index) + " is not a 32-byte hash"));
    return std::optional<Hash256>(h);
  }

  Result<std::vector<Hash256>> GetLeafHashes(std::uint64_t begin, std::uint64_t end) override {
    sqlite3_stmt* s = get_leaves_.get();
    Reset r(s);
    sqlite3_bind_int64(s, 1, static_cast<std::int64_t>(begin));
    sqlite3_bind_int64(s, 2, static_cast<std::int64_t>(end));
    std::vector<Hash256> out;
    out.reserve(end - begin);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      bool ok = false;
      auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
      Hash256 h = BlobToHash(s, 1, &ok);
      if (!ok || seq != begin + out.size())
        return Fail(Error::Integrity("entry " + std::to_string(begin + out.size()) + " is missing or malformed"));
      out.push_back(h);
    }
    if (rc != SQLITE_DONE) return Fail(SqlError("cannot read leaf hashes"));
    return out;
  }

  Status ScanEntries(std::uint64_t from, std::uint64_t limit, const std::string& type,
                     const std::function<bool(const StoredEntry&)>& fn) override {
    Stmt s;
    std::string sql = "SELECT seq, type, leaf_hash, body FROM entries WHERE seq>=?";
    if (!type.empty()) {
      // A literal, not a parameter: only then can SQLite prove that a partial
      // index on that type applies. %Q quotes it safely.
      char* quoted = sqlite3_mprintf("%Q", type.c_str());
      if (quoted == nullptr) return Fail(Error::Io(path_ + ": out of memory"));
      sql += " AND type=" + std::string(quoted);
      sqlite3_free(quoted);
    }
    sql += " ORDER BY seq";
    if (limit > 0) sql += " LIMIT " + std::to_string(limit);
    TG_TRY(Prepare(s, sql));
    sqlite3_bind_int64(s.get(), 1, static_cast<std::int64_t>(from));
    StoredEntry e;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      e.seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
      e.type = ColumnText(s.get(), 1);
      bool ok = false;
      e.leaf_hash = BlobToHash(s.get(), 2, &ok);
      if (!ok) e.leaf_hash.fill(0);  // verify reports it as a mismatch
      e.body = ColumnText(s.get(), 3);
      if (!fn(e)) return Ok();
    }
    if (rc != SQLITE_DONE) return Fail(SqlError("cannot read entries"));
    return Ok();
  }

  Status ScanBodies(const std::vector<std::string>& types, const BodyFn& fn) override {
    if (types.empty()) return Ok();
    std::string sql = "SELECT seq, type, body FROM entries WHERE type IN (";
    for (std::size_t i = 0; i < types.size(); ++i) {
      char* quoted = sqlite3_mprintf("%Q", types[i].c_str());
      if (quoted == nullptr) return Fail(Error::Io(path_ + ": out of memory"));
      sql += (i > 0 ? "," : "") + std::string(quoted);
      sqlite3_free(quoted);
    }
    sql += ") ORDER BY seq";
    Stmt s;
    TG_TRY(Prepare(s, sql));
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
      const void* t = sqlite3_column_blob(s.get(), 1);
      int tn = sqlite3_column_bytes(s.get(), 1);
      const void* b = sqlite3_column_blob(s.get(), 2);
      int bn = sqlite3_column_bytes(s.get(), 2);
      std::string_view type(t ? static_cast<const char*>(t) : "", static_cast<std::size_t>(tn));
      std::string_view body(b ? static_cast<const char*>(b) : "", static_cast<std::size_t>(bn));
      if (!fn(seq, type, body)) return Ok();
    }
    if (rc != SQLITE_DONE) return Fail(SqlError("cannot read entries"));
    return Ok();
  }

  Status ScanNodes(const std::function<void(unsigned, std::uint64_t, const Hash256&)>& fn) override {
    Stmt s;
    TG_TRY(Prepare(s, "SELECT id, hash FROM nodes"));
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      auto id = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
      bool ok = false;
      Hash256 h = BlobToHash(s.get(), 1, &ok);
      if (!ok) h.fill(0);
      fn(static_cast<unsigned>(id >> 56), id & ((std::uint64_t{1} << 56) - 1), h);
    }
    if (rc != SQLITE_DONE) return Fail(SqlError("cannot read tree nodes"));
    return Ok();
  }

  Result<std::vector<StoredCheckpoint>> Checkpoints() override {
    Stmt s;
    TG_TRY(Prepare(s, "SELECT size, root, note, key, created FROM checkpoints ORDER BY size, key"));
    std::vector<StoredCheckpoint> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      StoredCheckpoint c;
      c.size = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
      bool ok = false;
      c.root = BlobToHash(s.get(), 1, &ok);
      if (!ok) c.root.fill(0);
      c.note = ColumnText(s.get(), 2);
      c.key = ColumnText(s.get(), 3);
      c.created = ColumnText(s.get(), 4);
      out.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return Fail(SqlError("cannot read checkpoints"));
    return out;
  }

 private:
  Error SqlError(const std::string& what) const {
    int code = db_ ? sqlite3_errcode(db_) : SQLITE_CANTOPEN;
    std::string msg = path_ + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "cannot open");
    int primary = code & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT || primary == SQLITE_CONSTRAINT)
      return Error::Integrity(msg);
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_PERM || primary == SQLITE_READONLY) return Error::Io(msg);
    return Error::Io(msg);
  }

  Status Exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(SqlError("SQL failed"));
    return Ok();
  }

  Status Prepare(Stmt& s, const std::string& sql) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, s.out(), nullptr) != SQLITE_OK)
      return Fail(SqlError("cannot prepare a statement"));
    return Ok();
  }

  Result<int> UserVersion() {
    Stmt s;
    TG_TRY(Prepare(s, "PRAGMA user_version"));
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Fail(SqlError("cannot read the schema version"));
    return sqlite3_column_int(s.get(), 0);
  }

  Result<bool> HasTables() {
    Stmt s;
    TG_TRY(Prepare(s, "SELECT count(*) FROM sqlite_master"));
    if (sqlite3_step(s.get()) != SQLITE_ROW) return Fail(SqlError("cannot read the schema"));
    return sqlite3_column_int(s.get(), 0) > 0;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  bool in_tx_ = false;
  Stmt ins_entry_, ins_node_, get_node_, get_leaves_;
};

}  // namespace

Result<std::unique_ptr<LedgerStore>> OpenSqliteStore(const std::string& path, OpenMode mode) {
  auto store = std::make_unique<SqliteStore>(path);
  TG_TRY(store->Open(mode));
  return std::unique_ptr<LedgerStore>(std::move(store));
}

}  // namespace tollgate::ledger
