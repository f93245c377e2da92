// SQLite backend of the ledger (docs/ledger-format.md describes the schema).
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
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
  void Finalize() {
    sqlite3_finalize(s_);
    s_ = nullptr;
  }

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
    if (in_tx_ && db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (!temp_path_.empty()) DropTempFile();
    Disconnect();
  }

  Status Open(OpenMode mode) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return Fail(Error::Input(path_ + ": is a directory, not a ledger file"));
      if (!S_ISREG(st.st_mode)) return Fail(Error::Input(path_ + ": not a regular file, so not a ledger"));
      if (mode == OpenMode::kInit)
        return Fail(Error::Input(path_ + ": already exists; `ledger init` creates a ledger only where there is no file"));
      return OpenExisting(static_cast<std::uint64_t>(st.st_size));
    }
    int err = errno;
    struct stat lst {};
    if (err == ENOENT && ::lstat(path_.c_str(), &lst) == 0)
      return Fail(Error::Input(path_ + ": a symbolic link to nothing, not a ledger"));
    if (err == ENOTDIR) return Fail(Error::Input(path_ + ": a parent of this path is not a directory"));
    if (err != ENOENT) return Fail(Error::Io(path_ + ": " + std::strerror(err)));
    if (mode == OpenMode::kExisting) return Fail(Error::NotFound(path_ + ": no ledger here"));
    creating_ = true;
    init_ = mode == OpenMode::kInit;
    return ConnectMemory();
  }

  bool Creating() const override { return creating_; }
  bool TakeCreationRace() override {
    bool r = raced_;
    raced_ = false;
    return r;
  }

  Status BeginWrite() override {
    if (creating_ && temp_path_.empty()) TG_TRY(StartTempFile());
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
    if (!temp_path_.empty()) return Publish();
    return Ok();
  }
  void Rollback() override {
    if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    in_tx_ = false;
    if (!temp_path_.empty()) {
      DropTempFile();
      (void)ConnectMemory();
    }
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

  Status ScanBodies(const std::vector<std::string>& types, const BodyFn& fn, std::uint64_t from) override {
    if (types.empty()) return Ok();
    std::string sql = "SELECT seq, type, body FROM entries WHERE type IN (";
    for (std::size_t i = 0; i < types.size(); ++i) {
      char* quoted = sqlite3_mprintf("%Q", types[i].c_str());
      if (quoted == nullptr) return Fail(Error::Io(path_ + ": out of memory"));
      sql += (i > 0 ? "," : "") + std::string(quoted);
      sqlite3_free(quoted);
    }
    sql += ") AND seq >= ? ORDER BY seq";
    Stmt s;
    TG_TRY(Prepare(s, sql));
    sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(from));
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
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(CheckpointRow(s.get()));
    if (rc != SQLITE_DONE) return Fail(SqlError("cannot read checkpoints"));
    return out;
  }

  Result<std::optional<StoredCheckpoint>> LastCheckpoint() override {
    Stmt s;
    TG_TRY(Prepare(s, "SELECT size, root, note, key, created FROM checkpoints ORDER BY size DESC, key LIMIT 1"));
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) return std::optional<StoredCheckpoint>(CheckpointRow(s.get()));
    if (rc != SQLITE_DONE) return Fail(SqlError("cannot read checkpoints"));
    return std::optional<StoredCheckpoint>();
  }

 private:
  static StoredCheckpoint CheckpointRow(sqlite3_stmt* s) {
    StoredCheckpoint c;
    c.size = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    bool ok = false;
    c.root = BlobToHash(s, 1, &ok);
    if (!ok) c.root.fill(0);
    c.note = ColumnText(s, 2);
    c.key = ColumnText(s, 3);
    c.created = ColumnText(s, 4);
    return c;
  }

  // An existing file must be a whole ledger before anything writes to it: a
  // file that is not one stays as it was.
  Status OpenExisting(std::uint64_t file_size) {
    TG_TRY(CheckFileShape(file_size));
    TG_TRY(Connect(path_, SQLITE_OPEN_READWRITE));
    TG_TRY(CheckSchema());
    TG_TRY(Exec("PRAGMA journal_mode=WAL"));
    TG_TRY(Exec("PRAGMA synchronous=FULL"));
    return PrepareCached();
  }

  // What the file looks like from outside SQLite. Tollgate never leaves a
  // ledger file empty or cut short (a new one is linked into place whole),
  // so either is damage or replacement, not a new ledger.
  Status CheckFileShape(std::uint64_t size) const {
    if (size == 0)
      return Fail(Error::Integrity(path_ + ": empty file (0 bytes), not a ledger: truncated or replaced (`tollgate ledger "
                                           "init` starts a new ledger where there is no file)"));
    char header[100] = {};
    std::ifstream in(path_, std::ios::binary);
    in.read(header, sizeof header);
    if (in.gcount() != static_cast<std::streamsize>(sizeof header) ||
        std::memcmp(header, "SQLite format 3", 16) != 0)
      return Fail(Error::Integrity(path_ + ": not a tollgate ledger (not an SQLite database)"));
    auto b16 = static_cast<unsigned char>(header[16]), b17 = static_cast<unsigned char>(header[17]);
    std::uint64_t page = (std::uint64_t{b16} << 8) | b17;
    if (page == 1) page = 65536;
    if (page < 512 || (page & (page - 1)) != 0)
      return Fail(Error::Integrity(path_ + ": not a tollgate ledger (invalid SQLite page size)"));
    if (size % page != 0)
      return Fail(Error::Integrity(path_ + ": truncated or damaged: its size (" + std::to_string(size) +
                                   " bytes) is not a whole number of " + std::to_string(page) + "-byte pages"));
    return Ok();
  }

  Status CheckSchema() {
    auto version = UserVersion();
    if (!version) return Fail(version.error());
    if (*version == 0) {
      auto has_tables = HasTables();
      if (!has_tables) return Fail(has_tables.error());
      if (*has_tables) return Fail(Error::Integrity(path_ + ": not a tollgate ledger (unknown tables, no schema version)"));
      return Fail(Error::Integrity(path_ + ": an empty SQLite database, not a ledger: replaced, or never written by Tollgate"));
    }
    if (*version != kSchemaVersion)
      return Fail(Error::Integrity(path_ + ": unsupported ledger schema version " + std::to_string(*version)));
    for (const char* table : {"meta", "entries", "nodes", "checkpoints"}) {
      Stmt s;
      TG_TRY(Prepare(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?"));
      sqlite3_bind_text(s.get(), 1, table, -1, SQLITE_STATIC);
      if (sqlite3_step(s.get()) != SQLITE_ROW) return Fail(SqlError("cannot read the schema"));
      if (sqlite3_column_int(s.get(), 0) != 1)
        return Fail(Error::Integrity(path_ + ": not a whole ledger: its table '" + table + "' is missing"));
    }
    return Ok();
  }

  Status Connect(const std::string& file, int flags) {
    Disconnect();
    if (sqlite3_open_v2(file.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      Error e = SqlError("cannot open");
      Disconnect();
      return Fail(e);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db_, 1);
    return Exec("PRAGMA foreign_keys=OFF");
  }

  void Disconnect() {
    for (Stmt* s : {&ins_entry_, &ins_node_, &get_node_, &get_leaves_}) s->Finalize();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  Status CreateSchema() {
    TG_TRY(Exec(kSchema));
    return Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
  }

  Status PrepareCached() {
    TG_TRY(Prepare(ins_entry_, "INSERT INTO entries(seq,type,leaf_hash,body) VALUES(?,?,?,?)"));
    TG_TRY(Prepare(ins_node_, "INSERT OR REPLACE INTO nodes(id,hash) VALUES(?,?)"));
    TG_TRY(Prepare(get_node_, "SELECT hash FROM nodes WHERE id=?"));
    return Prepare(get_leaves_, "SELECT seq, leaf_hash FROM entries WHERE seq>=? AND seq<? ORDER BY seq");
  }

  // A ledger that does not exist yet reads as an empty one.
  Status ConnectMemory() {
    TG_TRY(Connect(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    TG_TRY(CreateSchema());
    return PrepareCached();
  }

  // The first write of a new ledger goes to a temporary file beside it.
  Status StartTempFile() {
    std::error_code ec;
    auto target = std::filesystem::path(path_);
    if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
    std::random_device rd;
    std::string name(".");
    name.append(target.filename().string()).append(".new-").append(std::to_string(::getpid()));
    name.append("-").append(std::to_string(rd()));
    temp_path_ = (target.parent_path() / name).string();
    Status s = Connect(temp_path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (s) s = Exec("PRAGMA journal_mode=WAL");
    if (s) s = Exec("PRAGMA synchronous=FULL");
    if (s) s = CreateSchema();
    if (s) s = PrepareCached();
    if (!s) {
      DropTempFile();
      (void)ConnectMemory();
      return Fail(Error::Io(path_ + ": cannot create the ledger: " + s.error().message()));
    }
    return Ok();
  }

  void DropTempFile() {
    Disconnect();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((temp_path_ + suffix).c_str());
    temp_path_.clear();
  }

  // Links the committed temporary file into place, unless another writer
  // created the ledger first: then this store opens theirs, and the caller
  // redoes its batch (TakeCreationRace).
  Status Publish() {
    // Everything into the main file: closing the only connection checkpoints
    // the WAL and removes it.
    Status s = Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    Disconnect();
    std::error_code ec;
    if (s && std::filesystem::exists(temp_path_ + "-wal", ec))
      s = Fail(Error::Io(path_ + ": cannot create the ledger: its journal did not fold into the file"));
    int err = 0;
    if (s && ::link(temp_path_.c_str(), path_.c_str()) != 0) {
      err = errno;
      // Some filesystems have no hard links; a rename that refuses to
      // replace does the same.
      if (err != EEXIST)
        err = ::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) == 0 ? 0 : errno;
    }
    DropTempFile();
    creating_ = false;
    if (!s) {
      creating_ = true;
      (void)ConnectMemory();
      return s;
    }
    if (err == EEXIST) {
      if (init_) return Fail(Error::Input(path_ + ": already exists (created while `ledger init` ran)"));
      struct stat st {};
      if (::stat(path_.c_str(), &st) != 0) return Fail(Error::Io(path_ + ": " + std::strerror(errno)));
      TG_TRY(OpenExisting(static_cast<std::uint64_t>(st.st_size)));
      raced_ = true;
      return Fail(Error::Io(path_ + ": created by another writer meanwhile"));
    }
    if (err != 0) {
      creating_ = true;
      (void)ConnectMemory();
      return Fail(Error::Io(path_ + ": cannot create the ledger: " + std::strerror(err)));
    }
    SyncParentDirectory();
    return OpenExisting(FileSize());
  }

  std::uint64_t FileSize() const {
    struct stat st {};
    return ::stat(path_.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  }

  void SyncParentDirectory() const {
    auto parent = std::filesystem::path(path_).parent_path();
    int fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
  }

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
  bool creating_ = false;   // no file yet: reads see an empty log (in memory)
  bool init_ = false;       // opened with kInit: a file made meanwhile is an error
  bool raced_ = false;      // see TakeCreationRace
  std::string temp_path_;   // the new ledger being written, before it is linked into place
  Stmt ins_entry_, ins_node_, get_node_, get_leaves_;
};

}  // namespace

Result<std::unique_ptr<LedgerStore>> OpenSqliteStore(const std::string& path, OpenMode mode) {
  auto store = std::make_unique<SqliteStore>(path);
  TG_TRY(store->Open(mode));
  return std::unique_ptr<LedgerStore>(std::move(store));
}

}  // namespace tollgate::ledger
