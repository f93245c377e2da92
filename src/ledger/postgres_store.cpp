// PostgreSQL backend of the ledger (docs/ledger-format.md, "PostgreSQL
// storage"): the tables of the SQLite backend, in the connection's current
// schema, so that several `tollgate serve` replicas share one log.
//
// Writers are serialised by a transaction-level advisory lock taken first in
// every write transaction (BeginWrite), so each computes its indexes from the
// committed head, as SQLite's BEGIN IMMEDIATE does. Entries and node rows of a
// batch are buffered and sent at once (COPY, one multi-row INSERT) before the
// next statement or the commit.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ledger/pg.h"
#include "ledger/store.h"

namespace tollgate::ledger {
namespace {

constexpr int kSchemaVersion = 1;
// The schema mark: a comment on the entries table.
constexpr const char* kSchemaMark = "tollgate ledger, schema 1";
constexpr const char* kTables[] = {"meta", "entries", "nodes", "checkpoints"};
// Advisory lock of the ledger's writers: (kLockSpace, hash of the schema).
constexpr int kLockSpace = 0x746c6701;  // "tlg" 1
// Rows per page when scanning entries.
constexpr int kPage = 1000;
// Node rows per INSERT (two parameters each).
constexpr std::size_t kNodesPerInsert = 1000;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE entries(
  seq bigint PRIMARY KEY,
  type text NOT NULL,
  leaf_hash bytea NOT NULL,
  body bytea NOT NULL);
CREATE INDEX entries_waivers ON entries(seq) WHERE type = 'waiver';
CREATE INDEX entries_approvals ON entries(seq) WHERE type = 'approval';
CREATE TABLE nodes(id bigint PRIMARY KEY, hash bytea NOT NULL);
CREATE TABLE checkpoints(
  size bigint NOT NULL,
  root bytea NOT NULL,
  note text NOT NULL,
  key text NOT NULL,
  created text NOT NULL,
  PRIMARY KEY(size, key));
)sql";

std::int64_t NodeId(unsigned level, std::uint64_t index) {
  return static_cast<std::int64_t>((std::uint64_t{level} << 56) | index);
}

bool ToHash(std::string_view b, Hash256* h) {
  if (b.size() != 32) return false;
  std::memcpy(h->data(), b.data(), 32);
  return true;
}

std::string_view HashView(const Hash256& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

// PostgreSQL's binary COPY format: a header, then per row a field count and
// each field as a 32-bit length and its bytes, then -1.
class CopyBuffer {
 public:
  CopyBuffer() {
    static constexpr char kHeader[] = "PGCOPY\n\377\r\n";
    buf_.append(kHeader, sizeof kHeader);  // with its final NUL
    Be32(0);                               // flags
    Be32(0);                               // header extension length
  }
  void Row(std::uint16_t fields) { Be16(fields); }
  void Int8(std::int64_t v) {
    Be32(8);
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 7; i >= 0; --i) buf_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  void Field(std::string_view b) {
    Be32(static_cast<std::uint32_t>(b.size()));
    buf_.append(b);
  }
  const std::string& Finish() {
    Be16(0xffff);
    return buf_;
  }

 private:
  void Be16(std::uint16_t v) {
    buf_.push_back(static_cast<char>(v >> 8));
    buf_.push_back(static_cast<char>(v & 0xff));
  }
  void Be32(std::uint32_t v) {
    for (int i = 3; i >= 0; --i) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string buf_;
};

class PostgresStore final : public LedgerStore {
 public:
  ~PostgresStore() override {
    if (in_tx_ && db_) (void)db_->Run("ROLLBACK", "roll back");
  }

  Status Open(const std::string& url, OpenMode mode) {
    auto c = pg::Connection::Open(url);
    if (!c) return Fail(c.error());
    db_ = std::move(*c);
    auto present = PresentTables();
    if (!present) return Fail(present.error());
    if (present->empty()) {
      if (mode == OpenMode::kExisting) return Fail(Error::NotFound(Name() + ": no ledger here (no ledger tables in its schema)"));
      creating_ = true;
      init_ = mode == OpenMode::kInit;
      return Ok();
    }
    if (mode == OpenMode::kInit)
      return Fail(Error::Input(Name() + ": already holds a ledger; `ledger init` creates one only where there is none"));
    return CheckSchema(*present);
  }

  // True until the transaction that creates the tables commits.
  bool Creating() const override { return creating_; }

  Status BeginWrite() override {
    TG_TRY(db_->Reconnect());
    TG_TRY(db_->Run("BEGIN", "begin a write transaction"));
    in_tx_ = true;
    Status s = LockAndPrepare();
    if (!s) Rollback();
    return s;
  }

  Status Commit() override {
    Status s = Flush();
    if (s) s = db_->Commit("commit");
    if (!s) {
      Rollback();
      return s;
    }
    in_tx_ = false;
    if (schema_in_tx_) {
      creating_ = false;
      schema_in_tx_ = false;
    }
    return Ok();
  }

  void Rollback() override {
    pending_entries_.clear();
    pending_nodes_.clear();
    if (in_tx_) (void)db_->Run("ROLLBACK", "roll back");
    in_tx_ = false;
    schema_in_tx_ = false;
  }

  Result<std::uint64_t> Size() override {
    if (NoTables()) return std::uint64_t{0};
    TG_TRY(BeforeRead());
    auto r = db_->Exec("SELECT COALESCE(MAX(seq)+1, 0) FROM entries", "read the ledger size");
    if (!r) return Fail(r.error());
    return static_cast<std::uint64_t>(r->Int(0, 0));
  }

  Status PutEntry(const StoredEntry& e) override {
    pending_entries_.push_back(e);
    return Ok();
  }

  Status PutNode(unsigned level, std::uint64_t index, const Hash256& hash) override {
    pending_nodes_.push_back({NodeId(level, index), hash});
    return Ok();
  }

  Status PutCheckpoint(const StoredCheckpoint& c) override {
    TG_TRY(Flush());
    pg::Params p;
    p.Int(static_cast<std::int64_t>(c.size)).Bytes(HashView(c.root)).Text(c.note).Text(c.key).Text(c.created);
    auto r = db_->Exec(
        "INSERT INTO checkpoints(size,root,note,key,created) VALUES($1,$2,$3,$4,$5) "
        "ON CONFLICT (size,key) DO UPDATE SET root=EXCLUDED.root, note=EXCLUDED.note, created=EXCLUDED.created",
        p, "store the checkpoint");
    if (!r) return Fail(r.error());
    return Ok();
  }

  Status PutMeta(const std::string& key, const std::string& value) override {
    TG_TRY(Flush());
    pg::Params p;
    p.Text(key).Text(value);
    auto r = db_->Exec("INSERT INTO meta(key,value) VALUES($1,$2) ON CONFLICT (key) DO UPDATE SET value=EXCLUDED.value", p,
                       "write ledger metadata");
    if (!r) return Fail(r.error());
    return Ok();
  }

  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    if (NoTables()) return std::optional<std::string>();
    TG_TRY(BeforeRead());
    pg::Params p;
    p.Text(key);
    auto r = db_->Exec("SELECT value FROM meta WHERE key=$1", p, "read ledger metadata");
    if (!r) return Fail(r.error());
    if (r->size() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->Text(0, 0));
  }

  Result<std::optional<Hash256>> GetNode(unsigned level, std::uint64_t index) override {
    if (NoTables()) return std::optional<Hash256>();
    TG_TRY(BeforeRead());
    pg::Params p;
    p.Int(NodeId(level, index));
    auto r = db_->Exec("SELECT hash FROM nodes WHERE id=$1", p, "read a tree node");
    if (!r) return Fail(r.error());
    if (r->size() == 0) return std::optional<Hash256>();
    Hash256 h{};
    if (!ToHash(r->Bytes(0, 0), &h))
      return Fail(Error::Integrity(Name() + ": tree node " + std::to_string(level) + "/" + std::to_string(index) +
                                   " is not a 32-byte hash"));
    return std::optional<Hash256>(h);
  }

  Result<std::vector<Hash256>> GetLeafHashes(std::uint64_t begin, std::uint64_t end) override {
    std::vector<Hash256> out;
    if (NoTables() || end <= begin) return out;
    TG_TRY(BeforeRead());
    pg::Params p;
    p.Int(static_cast<std::int64_t>(begin)).Int(static_cast<std::int64_t>(end));
    auto r = db_->Exec("SELECT seq, leaf_hash FROM entries WHERE seq>=$1 AND seq<$2 ORDER BY seq", p, "read leaf hashes");
    if (!r) return Fail(r.error());
    out.reserve(static_cast<std::size_t>(r->size()));
    for (int i = 0; i < r->size(); ++i) {
      Hash256 h{};
      auto seq = static_cast<std::uint64_t>(r->Int(i, 0));
      if (!ToHash(r->Bytes(i, 1), &h) || seq != begin + out.size())
        return Fail(Error::Integrity("entry " + std::to_string(begin + out.size()) + " is missing or malformed"));
      out.push_back(h);
    }
    return out;
  }

  Status ScanEntries(std::uint64_t from, std::uint64_t limit, const std::string& type,
                     const std::function<bool(const StoredEntry&)>& fn) override {
    if (NoTables()) return Ok();
    TG_TRY(BeforeRead());
    // Pages in seq order, each one statement; the log only grows, so later
    // pages continue the earlier ones.
    std::string sql = "SELECT seq, type, leaf_hash, body FROM entries WHERE seq>=$1";
    if (!type.empty()) sql += " AND type=$3";
    sql += " ORDER BY seq LIMIT $2";
    std::uint64_t left = limit;
    StoredEntry e;
    for (;;) {
      std::int64_t page = kPage;
      if (limit > 0) page = static_cast<std::int64_t>(std::min<std::uint64_t>(left, kPage));
      pg::Params p;
      p.Int(static_cast<std::int64_t>(from)).Int(page);
      if (!type.empty()) p.Text(type);
      auto r = db_->Exec(sql, p, "read entries");
      if (!r) return Fail(r.error());
      for (int i = 0; i < r->size(); ++i) {
        e.seq = static_cast<std::uint64_t>(r->Int(i, 0));
        e.type = r->Text(i, 1);
        if (!ToHash(r->Bytes(i, 2), &e.leaf_hash)) e.leaf_hash.fill(0);  // verify reports it as a mismatch
        e.body = r->Text(i, 3);
        if (!fn(e)) return Ok();
      }
      if (r->size() < page) return Ok();
      if (limit > 0) {
        left -= static_cast<std::uint64_t>(r->size());
        if (left == 0) return Ok();
      }
      from = e.seq + 1;
    }
  }

  Status ScanBodies(const std::vector<std::string>& types, const BodyFn& fn, std::uint64_t from) override {
    if (types.empty() || NoTables()) return Ok();
    TG_TRY(BeforeRead());
    for (;;) {
      pg::Params p;
      p.TextArray(types).Int(static_cast<std::int64_t>(from)).Int(kPage);
      auto r = db_->Exec("SELECT seq, type, body FROM entries WHERE type = ANY($1) AND seq>=$2 ORDER BY seq LIMIT $3", p,
                         "read entries");
      if (!r) return Fail(r.error());
      std::uint64_t seq = 0;
      for (int i = 0; i < r->size(); ++i) {
        seq = static_cast<std::uint64_t>(r->Int(i, 0));
        if (!fn(seq, r->Bytes(i, 1), r->Bytes(i, 2))) return Ok();
      }
      if (r->size() < kPage) return Ok();
      from = seq + 1;
    }
  }

  Status ScanNodes(const std::function<void(unsigned, std::uint64_t, const Hash256&)>& fn) override {
    if (NoTables()) return Ok();
    TG_TRY(BeforeRead());
    auto r = db_->Exec("SELECT id, hash FROM nodes", "read tree nodes");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->size(); ++i) {
      auto id = static_cast<std::uint64_t>(r->Int(i, 0));
      Hash256 h{};
      if (!ToHash(r->Bytes(i, 1), &h)) h.fill(0);
      fn(static_cast<unsigned>(id >> 56), id & ((std::uint64_t{1} << 56) - 1), h);
    }
    return Ok();
  }

  Result<std::vector<StoredCheckpoint>> Checkpoints() override {
    std::vector<StoredCheckpoint> out;
    if (NoTables()) return out;
    TG_TRY(BeforeRead());
    // Keys in byte order, as SQLite sorts them, whatever the database's collation.
    auto r = db_->Exec("SELECT size, root, note, key, created FROM checkpoints ORDER BY size, key COLLATE \"C\"",
                       "read checkpoints");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->size(); ++i) out.push_back(CheckpointRow(*r, i));
    return out;
  }

  Result<std::optional<StoredCheckpoint>> LastCheckpoint() override {
    if (NoTables()) return std::optional<StoredCheckpoint>();
    TG_TRY(BeforeRead());
    auto r = db_->Exec(
        "SELECT size, root, note, key, created FROM checkpoints ORDER BY size DESC, key COLLATE \"C\" LIMIT 1",
        "read checkpoints");
    if (!r) return Fail(r.error());
    if (r->size() == 0) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(CheckpointRow(*r, 0));
  }

 private:
  struct PendingNode {
    std::int64_t id;
    Hash256 hash;
  };

  const std::string& Name() const { return db_->name(); }
  // No ledger tables to read yet: reads see an empty log.
  bool NoTables() const { return creating_ && !schema_in_tx_; }

  static StoredCheckpoint CheckpointRow(const pg::Rows& r, int i) {
    StoredCheckpoint c;
    c.size = static_cast<std::uint64_t>(r.Int(i, 0));
    if (!ToHash(r.Bytes(i, 1), &c.root)) c.root.fill(0);
    c.note = r.Text(i, 2);
    c.key = r.Text(i, 3);
    c.created = r.Text(i, 4);
    return c;
  }

  // Inside a transaction, buffered rows go first; outside one, a connection
  // lost meanwhile (a server restart) is opened again.
  Status BeforeRead() {
    if (in_tx_) return Flush();
    return db_->Reconnect();
  }

  // The writers' lock, then, for a ledger being created, its tables (or the
  // ledger another writer created meanwhile).
  Status LockAndPrepare() {
    auto lock = db_->Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSpace) +
                              ", hashtext(COALESCE(current_schema(), '')))",
                          "wait for the ledger's write lock");
    if (!lock) return Fail(lock.error());
    if (!creating_) return Ok();
    auto present = PresentTables();
    if (!present) return Fail(present.error());
    if (!present->empty()) {
      if (init_) return Fail(Error::Input(Name() + ": already holds a ledger (created while `ledger init` ran)"));
      TG_TRY(CheckSchema(*present));
      creating_ = false;  // another writer created it: this batch extends theirs
      return Ok();
    }
    TG_TRY(db_->Run(kSchema, "create the ledger tables"));
    TG_TRY(db_->Run(std::string("COMMENT ON TABLE entries IS '") + kSchemaMark + "'", "create the ledger tables"));
    schema_in_tx_ = true;
    return Ok();
  }

  // Which of the ledger's tables the current schema holds.
  Result<std::vector<std::string>> PresentTables() {
    auto r = db_->Exec(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r','p','v','m','f') "
        "AND c.relname IN ('meta','entries','nodes','checkpoints')",
        "read the schema");
    if (!r) return Fail(r.error());
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(r->Text(i, 0));
    return out;
  }

  Status CheckSchema(const std::vector<std::string>& present) {
    auto mark = db_->Exec(
        "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = 'entries'",
        "read the schema");
    if (!mark) return Fail(mark.error());
    std::string text = mark->size() > 0 ? mark->Text(0, 0) : "";
    if (text.rfind("tollgate ledger, schema ", 0) != 0)
      return Fail(Error::Integrity(Name() + ": not a tollgate ledger (tables named like the ledger's, without its "
                                            "schema mark)"));
    if (text != kSchemaMark)
      return Fail(Error::Integrity(Name() + ": unsupported ledger schema version " + text.substr(24) + " (this is " +
                                   std::to_string(kSchemaVersion) + ")"));
    for (const char* table : kTables)
      if (std::find(present.begin(), present.end(), table) == present.end())
        return Fail(Error::Integrity(Name() + ": not a whole ledger: its table '" + table + "' is missing"));
    return Ok();
  }

  // Sends the buffered entries (COPY) and node rows (one INSERT per
  // kNodesPerInsert rows).
  Status Flush() {
    if (!pending_entries_.empty()) {
      CopyBuffer copy;
      for (const auto& e : pending_entries_) {
        copy.Row(4);
        copy.Int8(static_cast<std::int64_t>(e.seq));
        copy.Field(e.type);
        copy.Field(HashView(e.leaf_hash));
        copy.Field(e.body);
      }
      std::uint64_t first = pending_entries_.front().seq;
      std::uint64_t last = pending_entries_.back().seq;
      pending_entries_.clear();
      TG_TRY(db_->CopyIn("COPY entries(seq,type,leaf_hash,body) FROM STDIN (FORMAT binary)", copy.Finish(),
                         first == last ? "append entry " + std::to_string(first)
                                       : "append entries " + std::to_string(first) + ".." + std::to_string(last)));
    }
    for (std::size_t at = 0; at < pending_nodes_.size(); at += kNodesPerInsert) {
      std::size_t n = std::min(kNodesPerInsert, pending_nodes_.size() - at);
      std::string sql = "INSERT INTO nodes(id,hash) VALUES";
      pg::Params p;
      for (std::size_t i = 0; i < n; ++i) {
        sql += (i > 0 ? ",($" : "($") + std::to_string(2 * i + 1) + ",$" + std::to_string(2 * i + 2) + ")";
        p.Int(pending_nodes_[at + i].id).Bytes(HashView(pending_nodes_[at + i].hash));
      }
      sql += " ON CONFLICT (id) DO UPDATE SET hash=EXCLUDED.hash";
      auto r = db_->Exec(sql, p, "store tree nodes");
      if (!r) {
        pending_nodes_.clear();
        return Fail(r.error());
      }
    }
    pending_nodes_.clear();
    return Ok();
  }

  std::unique_ptr<pg::Connection> db_;
  bool in_tx_ = false;
  bool creating_ = false;       // no ledger tables yet: reads see an empty log
  bool init_ = false;           // opened with kInit: a ledger made meanwhile is an error
  bool schema_in_tx_ = false;   // this transaction created the tables
  std::vector<StoredEntry> pending_entries_;
  std::vector<PendingNode> pending_nodes_;
};

}  // namespace

Result<std::unique_ptr<LedgerStore>> OpenPostgresStore(const std::string& url, OpenMode mode) {
  auto store = std::make_unique<PostgresStore>();
  TG_TRY(store->Open(url, mode));
  return std::unique_ptr<LedgerStore>(std::move(store));
}

}  // namespace tollgate::ledger
