// A thin libpq wrapper shared by the PostgreSQL ledger store and the
// server's PostgreSQL state store: one connection, parameters and results in
// binary form, errors as one-line Result errors that never show a password.
// libpq itself stays out of this header.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tollgate::ledger::pg {

// postgres://... or postgresql://... (the forms libpq reads as a URI).
bool IsUrl(std::string_view location);

// The URL without its password (in the user part or as ?password=), for
// messages and logs.
std::string DisplayName(const std::string& url);

// Query parameters, sent in binary form with their types declared.
class Params {
 public:
  Params& Int(std::int64_t v);
  Params& Text(std::string_view v);   // the bytes are kept by reference
  Params& Bytes(std::string_view v);  // bytea; kept by reference
  Params& TextArray(const std::vector<std::string>& v);  // text[]

  int size() const { return static_cast<int>(values_.size()); }
  const unsigned* types() const { return types_.data(); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  Params& Add(unsigned type, const char* p, std::size_t n, int format);
  std::deque<std::string> owned_;
  std::vector<unsigned> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// The rows of one result, columns in binary form.
class Rows {
 public:
  Rows() = default;
  explicit Rows(void* result);  // takes a PGresult*
  Rows(Rows&& o) noexcept;
  Rows& operator=(Rows&& o) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  bool Null(int row, int col) const;
  // A column's bytes (text, bytea), valid while this object lives.
  std::string_view Bytes(int row, int col) const;
  std::string Text(int row, int col) const { return std::string(Bytes(row, col)); }
  // int2, int4, int8 or bool.
  std::int64_t Int(int row, int col) const;
  // Rows inserted, updated or deleted by the statement.
  std::uint64_t Affected() const;

 private:
  void* res_ = nullptr;
};

class Connection {
 public:
  // Connects to `url` (UTF-8 client encoding, synchronous commit, lock
  // waits bounded by `lock_timeout_ms`). A URL libpq cannot parse is an Input
  // error; a server that cannot be reached or refuses the login is an Io
  // error. Messages start with DisplayName(url).
  static Result<std::unique_ptr<Connection>> Open(const std::string& url, int lock_timeout_ms = 60000);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement with parameters; rows in binary form. A failed statement
  // is an Integrity error when it broke a constraint or named a table that
  // is not there, else Io; `what` says what was being done.
  Result<Rows> Exec(const std::string& sql, const Params& params, const std::string& what);
  Result<Rows> Exec(const std::string& sql, const std::string& what) { return Exec(sql, Params(), what); }
  // Statements without parameters (several, separated by ';').
  Status Run(const std::string& sql, const std::string& what);
  // COMMIT, checked: a transaction that failed earlier is an error here.
  Status Commit(const std::string& what);
  // COPY ... FROM STDIN with `data` in the format the statement names.
  Status CopyIn(const std::string& sql, std::string_view data, const std::string& what);
  // Reconnects if the connection was lost (the server restarted). Call only
  // outside a transaction.
  Status Reconnect();

  const std::string& name() const { return name_; }

 private:
  Connection() = default;
  Error ConnectionError(const std::string& what) const;
  Error ResultError(void* result, const std::string& what) const;

  void* conn_ = nullptr;  // PGconn*
  std::string name_;
};

}  // namespace tollgate::ledger::pg
