#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/canonical_json.h"
#include "server/state.h"

namespace tollgate::server {

bool Principal::HasRole(const std::string& role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS principals(
  name TEXT PRIMARY KEY, email TEXT NOT NULL, roles TEXT NOT NULL,
  public_key TEXT NOT NULL, private_key TEXT NOT NULL, disabled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  hash TEXT PRIMARY KEY, principal TEXT NOT NULL, label TEXT NOT NULL,
  created TEXT NOT NULL, expires TEXT NOT NULL, revoked INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries(
  provider TEXT NOT NULL, id TEXT NOT NULL, received TEXT NOT NULL, PRIMARY KEY(provider, id));
CREATE TABLE IF NOT EXISTS oidc_jti(jti TEXT PRIMARY KEY, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gate_runs(id INTEGER PRIMARY KEY, service TEXT NOT NULL, report TEXT NOT NULL);
)sql";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK; }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  std::string Text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string();
  }
  std::int64_t Int(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

class SqliteState final : public StateStore {
 public:
  explicit SqliteState(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteState() override { sqlite3_close_v2(db_); }

  Result<bool> Empty() override {
    Stmt s(db_, "SELECT COUNT(*) FROM principals");
    if (!s.ok() || s.Step() != SQLITE_ROW) return Fail(Err("count principals"));
    return s.Int(0) == 0;
  }

  Status PutPrincipal(const Principal& p) override {
    Stmt s(db_, "INSERT OR REPLACE INTO principals(name,email,roles,public_key,private_key,disabled) VALUES(?,?,?,?,?,?)");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, p.name).Bind(2, p.email).Bind(3, Json(p.roles).dump()).Bind(4, p.public_key).Bind(5, p.private_key);
    s.Bind(6, std::int64_t{p.disabled ? 1 : 0});
    if (s.Step() != SQLITE_DONE) return Fail(Err("store principal"));
    return Ok();
  }

  Result<bool> AddFirstPrincipal(const Principal& p) override {
    Stmt s(db_,
           "INSERT OR IGNORE INTO principals(name,email,roles,public_key,private_key,disabled) "
           "SELECT ?,?,?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM principals)");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, p.name).Bind(2, p.email).Bind(3, Json(p.roles).dump()).Bind(4, p.public_key).Bind(5, p.private_key);
    s.Bind(6, std::int64_t{p.disabled ? 1 : 0});
    if (s.Step() != SQLITE_DONE) return Fail(Err("store principal"));
    return sqlite3_changes(db_) == 1;
  }

  Result<std::optional<Principal>> GetPrincipal(const std::string& name) override {
    Stmt s(db_, "SELECT name,email,roles,public_key,private_key,disabled FROM principals WHERE name=?");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, name);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<Principal>();
    if (rc != SQLITE_ROW) return Fail(Err("read principal"));
    return std::optional<Principal>(Row(s));
  }

  Result<std::vector<Principal>> Principals() override {
    Stmt s(db_, "SELECT name,email,roles,public_key,private_key,disabled FROM principals ORDER BY name");
    if (!s.ok()) return Fail(Err("prepare"));
    std::vector<Principal> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(Row(s));
    if (rc != SQLITE_DONE) return Fail(Err("read principals"));
    return out;
  }

  Status PutToken(const TokenRecord& t) override {
    Stmt s(db_, "INSERT OR REPLACE INTO tokens(hash,principal,label,created,expires,revoked) VALUES(?,?,?,?,?,?)");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, t.hash).Bind(2, t.principal).Bind(3, t.label).Bind(4, t.created).Bind(5, t.expires);
    s.Bind(6, std::int64_t{t.revoked ? 1 : 0});
    if (s.Step() != SQLITE_DONE) return Fail(Err("store token"));
    return Ok();
  }

  Result<std::optional<TokenRecord>> GetToken(const std::string& hash) override {
    Stmt s(db_, "SELECT hash,principal,label,created,expires,revoked FROM tokens WHERE hash=?");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, hash);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<TokenRecord>();
    if (rc != SQLITE_ROW) return Fail(Err("read token"));
    return std::optional<TokenRecord>(TokenRow(s));
  }

  Status RevokeToken(const std::string& hash) override {
    Stmt s(db_, "UPDATE tokens SET revoked=1 WHERE hash=?");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, hash);
    if (s.Step() != SQLITE_DONE) return Fail(Err("revoke token"));
    return Ok();
  }

  Result<std::vector<TokenRecord>> Tokens(const std::string& principal) override {
    Stmt s(db_, "SELECT hash,principal,label,created,expires,revoked FROM tokens WHERE principal=? ORDER BY created");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, principal);
    std::vector<TokenRecord> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(TokenRow(s));
    if (rc != SQLITE_DONE) return Fail(Err("read tokens"));
    return out;
  }

  Status PutGateRun(std::uint64_t id, const std::string& service, const std::string& report_json) override {
    Stmt s(db_, "INSERT OR REPLACE INTO gate_runs(id,service,report) VALUES(?,?,?)");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, static_cast<std::int64_t>(id)).Bind(2, service).Bind(3, report_json);
    if (s.Step() != SQLITE_DONE) return Fail(Err("store gate run"));
    return Ok();
  }

  Result<std::optional<std::string>> GetGateRun(std::uint64_t id) override {
    Stmt s(db_, "SELECT report FROM gate_runs WHERE id=?");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, static_cast<std::int64_t>(id));
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return Fail(Err("read gate run"));
    return std::optional<std::string>(s.Text(0));
  }

  Result<bool> FirstDelivery(const std::string& provider, const std::string& id, const std::string& now) override {
    Stmt s(db_, "INSERT OR IGNORE INTO deliveries(provider,id,received) VALUES(?,?,?)");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, provider).Bind(2, id).Bind(3, now);
    if (s.Step() != SQLITE_DONE) return Fail(Err("record delivery"));
    return sqlite3_changes(db_) == 1;
  }

  Result<bool> FirstTokenUse(const std::string& jti, std::int64_t expires, std::int64_t now) override {
    {
      Stmt purge(db_, "DELETE FROM oidc_jti WHERE expires < ?");
      if (purge.ok()) {
        purge.Bind(1, now);
        (void)purge.Step();
      }
    }
    Stmt s(db_, "INSERT OR IGNORE INTO oidc_jti(jti,expires) VALUES(?,?)");
    if (!s.ok()) return Fail(Err("prepare"));
    s.Bind(1, jti).Bind(2, expires);
    if (s.Step() != SQLITE_DONE) return Fail(Err("record token id"));
    return sqlite3_changes(db_) == 1;
  }

 private:
  Error Err(const std::string& what) const {
    return Error::Io(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }
  static Principal Row(const Stmt& s) {
    Principal p;
    p.name = s.Text(0);
    p.email = s.Text(1);
    auto roles = ParseJson(s.Text(2), "roles");
    if (roles && roles->is_array())
      for (const auto& r : *roles)
        if (r.is_string()) p.roles.push_back(r.get<std::string>());
    p.public_key = s.Text(3);
    p.private_key = s.Text(4);
    p.disabled = s.Int(5) != 0;
    return p;
  }
  static TokenRecord TokenRow(const Stmt& s) {
    return TokenRecord{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5) != 0};
  }

  sqlite3* db_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<StateStore>> OpenSqliteState(const std::string& path) {
  sqlite3* db = nullptr;
  // The file holds token hashes and server-held signing keys: owner only.
  mode_t old = ::umask(077);
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  ::umask(old);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return Fail(Error::Input(path + ": cannot open the server state: " + msg));
  }
  sqlite3_busy_timeout(db, 30000);
  char* err = nullptr;
  std::string sql = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") + kSchema;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "schema";
    sqlite3_free(err);
    sqlite3_close_v2(db);
    return Fail(Error::Input(path + ": not a tollgate server state file: " + msg));
  }
  return std::unique_ptr<StateStore>(new SqliteState(db, path));
}

}  // namespace tollgate::server
