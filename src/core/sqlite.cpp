#include "core/sqlite.h"

#include <sqlite3.h>

namespace tollgate::sqlite {

Stmt::Stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == SQLITE_OK; }
Stmt::~Stmt() { sqlite3_finalize(s_); }

Stmt& Stmt::Bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindBlob(int i, std::string_view v) {
  sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::Bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}
int Stmt::Step() { return sqlite3_step(s_); }
void Stmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}
std::string_view Stmt::View(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string_view();
}
std::string Stmt::Text(int col) const { return std::string(View(col)); }
std::int64_t Stmt::Int(int col) const { return sqlite3_column_int64(s_, col); }
bool Stmt::IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

Db::~Db() { sqlite3_close_v2(db_); }

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

std::int64_t Db::Changes() const { return sqlite3_changes64(db_); }

std::string Db::LastError() const { return db_ != nullptr ? sqlite3_errmsg(db_) : "no database"; }

Status Db::Exec(const char* sql, const std::string& what) const {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string text = msg != nullptr ? msg : LastError();
    sqlite3_free(msg);
    return Fail(Error::Io(what + ": " + text));
  }
  return Ok();
}

Result<Db> Db::OpenScratch(std::size_t cache_bytes) {
  sqlite3* raw = nullptr;
  // "" is SQLite's private temporary database on disk.
  // One thread uses it: no locking of SQLite's own.
  int rc = sqlite3_open_v2("", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return Fail(Error::Io("cannot open a temporary database: " + db.LastError()));
  std::string pragmas = "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE; "
                        "PRAGMA locking_mode=EXCLUSIVE; "
                        "PRAGMA cache_size=-" + std::to_string(cache_bytes / 1024 + 1) + ";";
  TG_TRY(db.Exec(pragmas.c_str(), "temporary database"));
  return db;
}

}  // namespace tollgate::sqlite
