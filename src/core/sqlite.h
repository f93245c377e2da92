// A prepared SQLite statement and a connection that close themselves, shared
// by every module that keeps state in SQLite.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tollgate::sqlite {

// A prepared statement that finalises itself. Bind and read columns by their
// SQLite index (bind from 1, columns from 0); Step returns SQLite's code.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  sqlite3_stmt* get() const { return s_; }
  Stmt& Bind(int i, std::string_view v);  // text, copied
  Stmt& BindBlob(int i, std::string_view v);
  Stmt& Bind(int i, std::int64_t v);
  Stmt& BindNull(int i);
  int Step();
  // Ready to run again, with no bindings.
  void Reset();
  std::string Text(int col) const;
  // The column's bytes, valid until the next Step or Reset.
  std::string_view View(int col) const;
  std::int64_t Int(int col) const;
  bool IsNull(int col) const;

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

// A connection, closed on destruction.
class Db {
 public:
  Db() = default;
  explicit Db(sqlite3* db) : db_(db) {}
  ~Db();
  Db(Db&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  sqlite3* get() const { return db_; }

  // A private database in a temporary file that SQLite deletes on close
  // (in $TMPDIR or SQLite's default temporary directory): pages beyond the
  // cache go to disk, so memory stays at about `cache_bytes` however much
  // it holds. No journal and no syncing: it is scratch space.
  static Result<Db> OpenScratch(std::size_t cache_bytes);
  // Runs statements with no results; errors name `what`.
  Status Exec(const char* sql, const std::string& what) const;
  // Rows the last INSERT, UPDATE or DELETE changed.
  std::int64_t Changes() const;
  // The connection's last error, for messages.
  std::string LastError() const;

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace tollgate::sqlite
