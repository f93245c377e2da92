// libpq wrapper (pg.h).
#include "ledger/pg.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace tollgate::ledger::pg {
namespace {

// Type OIDs of the parameters we send (pg_type.dat).
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kTextOid = 25;
constexpr unsigned kByteaOid = 17;
constexpr unsigned kTextArrayOid = 1009;

PGresult* AsResult(void* p) { return static_cast<PGresult*>(p); }

std::string FirstLine(const char* msg) {
  std::string s = msg ? msg : "";
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

}  // namespace

bool IsUrl(std::string_view location) {
  return location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0;
}

std::string DisplayName(const std::string& url) {
  std::string out = url;
  auto scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  std::size_t start = scheme + 3;
  std::size_t end = out.find_first_of("/?", start);
  if (end == std::string::npos) end = out.size();
  auto at = out.rfind('@', end);
  if (at != std::string::npos && at >= start) {
    auto colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon, at - colon, ":***");
  }
  // ?password=... or &password=...
  for (std::size_t q = out.find('?'); q != std::string::npos && q < out.size();) {
    std::size_t next = out.find('&', q + 1);
    std::size_t param_end = next == std::string::npos ? out.size() : next;
    std::string_view param(out.data() + q + 1, param_end - q - 1);
    if (param.rfind("password=", 0) == 0) {
      out.replace(q + 1 + 9, param_end - (q + 1 + 9), "***");
      next = out.find('&', q + 1);
    }
    q = next;
  }
  return out;
}

// ---- Params -----------------------------------------------------------------

Params& Params::Add(unsigned type, const char* p, std::size_t n, int format) {
  types_.push_back(type);
  values_.push_back(p);
  lengths_.push_back(static_cast<int>(n));
  formats_.push_back(format);
  return *this;
}

Params& Params::Int(std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  std::string& b = owned_.emplace_back(8, '\0');
  for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(i)] = static_cast<char>((u >> (56 - 8 * i)) & 0xff);
  return Add(kInt8Oid, b.data(), 8, 1);
}

Params& Params::Text(std::string_view v) { return Add(kTextOid, v.data(), v.size(), 1); }

Params& Params::Bytes(std::string_view v) { return Add(kByteaOid, v.data(), v.size(), 1); }

Params& Params::TextArray(const std::vector<std::string>& v) {
  // The text form of an array: {"a","b"} with \ and " escaped.
  std::string& b = owned_.emplace_back("{");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) b += ',';
    b += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') b += '\\';
      b += c;
    }
    b += '"';
  }
  b += '}';
  return Add(kTextArrayOid, b.c_str(), b.size(), 0);
}

// ---- Rows -------------------------------------------------------------------

Rows::Rows(void* result) : res_(result) {}
Rows::Rows(Rows&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
Rows& Rows::operator=(Rows&& o) noexcept {
  if (this != &o) {
    PQclear(AsResult(res_));
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}
Rows::~Rows() { PQclear(AsResult(res_)); }

int Rows::size() const { return res_ ? PQntuples(AsResult(res_)) : 0; }

bool Rows::Null(int row, int col) const { return PQgetisnull(AsResult(res_), row, col) != 0; }

std::string_view Rows::Bytes(int row, int col) const {
  if (Null(row, col)) return {};
  return {PQgetvalue(AsResult(res_), row, col), static_cast<std::size_t>(PQgetlength(AsResult(res_), row, col))};
}

std::int64_t Rows::Int(int row, int col) const {
  std::string_view b = Bytes(row, col);
  std::uint64_t u = 0;
  for (char c : b) u = (u << 8) | static_cast<unsigned char>(c);
  // Sign-extend int2 and int4.
  if (!b.empty() && b.size() < 8 && (static_cast<unsigned char>(b[0]) & 0x80) != 0)
    u |= ~std::uint64_t{0} << (8 * b.size());
  return static_cast<std::int64_t>(u);
}

std::uint64_t Rows::Affected() const {
  const char* n = res_ ? PQcmdTuples(AsResult(res_)) : "";
  return n && *n ? std::strtoull(n, nullptr, 10) : 0;
}

// ---- Connection -------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url, int lock_timeout_ms) {
  std::unique_ptr<Connection> c(new Connection());
  c->name_ = DisplayName(url);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string why = FirstLine(parse_error ? parse_error : "cannot parse the URL");
    PQfreemem(parse_error);
    return Fail(Error::Input(c->name_ + ": not a PostgreSQL connection URL: " + why));
  }
  PQconninfoFree(parsed);
  const char* keys[] = {"dbname", "client_encoding", "fallback_application_name", nullptr};
  const char* values[] = {url.c_str(), "UTF8", "tollgate", nullptr};
  c->conn_ = PQconnectdbParams(keys, values, 1);
  if (c->conn_ == nullptr) return Fail(Error::Io(c->name_ + ": cannot connect: out of memory"));
  if (PQstatus(static_cast<PGconn*>(c->conn_)) != CONNECTION_OK) return Fail(c->ConnectionError("cannot connect"));
  // The library never prints: server notices (NOTICE, WARNING) are dropped.
  PQsetNoticeProcessor(static_cast<PGconn*>(c->conn_), [](void*, const char*) {}, nullptr);
  // Commit returns once the batch is durable, whatever the server's default;
  // a writer waits at most lock_timeout for another's transaction.
  TG_TRY(c->Run("SET synchronous_commit TO on; SET lock_timeout TO " + std::to_string(lock_timeout_ms), "set up the session"));
  return c;
}

Connection::~Connection() { PQfinish(static_cast<PGconn*>(conn_)); }

Status Connection::Reconnect() {
  auto* conn = static_cast<PGconn*>(conn_);
  if (PQstatus(conn) == CONNECTION_OK) return Ok();
  PQreset(conn);
  if (PQstatus(conn) != CONNECTION_OK) return Fail(ConnectionError("connection lost, cannot reconnect"));
  return Run("SET synchronous_commit TO on", "set up the session");
}

Error Connection::ConnectionError(const std::string& what) const {
  return Error::Io(name_ + ": " + what + ": " + FirstLine(PQerrorMessage(static_cast<PGconn*>(conn_))));
}

Error Connection::ResultError(void* result, const std::string& what) const {
  auto* res = AsResult(result);
  if (res == nullptr) return ConnectionError(what);
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string msg = name_ + ": " + what + ": " + FirstLine(primary ? primary : PQresultErrorMessage(res));
  std::string_view code = state ? state : "";
  // Class 23: integrity constraint violation; 42P01: undefined table.
  if (code.rfind("23", 0) == 0 || code == "42P01") return Error::Integrity(msg);
  return Error::Io(msg);
}

Result<Rows> Connection::Exec(const std::string& sql, const Params& params, const std::string& what) {
  PGresult* res = PQexecParams(static_cast<PGconn*>(conn_), sql.c_str(), params.size(), params.types(),
                               params.values(), params.lengths(), params.formats(), 1);
  Rows rows(res);
  auto status = PQresultStatus(res);
  if (res == nullptr || (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK))
    return Fail(ResultError(res, what));
  return rows;
}

Status Connection::Run(const std::string& sql, const std::string& what) {
  PGresult* res = PQexec(static_cast<PGconn*>(conn_), sql.c_str());
  auto status = PQresultStatus(res);
  Status s = Ok();
  if (res == nullptr || (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)) s = Fail(ResultError(res, what));
  PQclear(res);
  return s;
}

Status Connection::Commit(const std::string& what) {
  PGresult* res = PQexec(static_cast<PGconn*>(conn_), "COMMIT");
  auto status = PQresultStatus(res);
  Status s = Ok();
  if (res == nullptr || status != PGRES_COMMAND_OK) {
    s = Fail(ResultError(res, what));
  } else if (std::strcmp(PQcmdStatus(res), "COMMIT") != 0) {
    // COMMIT of a transaction that failed earlier answers ROLLBACK.
    s = Fail(Error::Io(name_ + ": " + what + ": the transaction failed and was rolled back"));
  }
  PQclear(res);
  return s;
}

Status Connection::CopyIn(const std::string& sql, std::string_view data, const std::string& what) {
  auto* conn = static_cast<PGconn*>(conn_);
  PGresult* res = PQexec(conn, sql.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    Error e = ResultError(res, what);
    PQclear(res);
    return Fail(e);
  }
  PQclear(res);
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::optional<Error> failed;
  for (std::size_t off = 0; off < data.size() && !failed; off += kChunk) {
    std::size_t n = std::min(kChunk, data.size() - off);
    if (PQputCopyData(conn, data.data() + off, static_cast<int>(n)) != 1) failed = ConnectionError(what);
  }
  if (PQputCopyEnd(conn, failed ? "client error" : nullptr) != 1 && !failed) failed = ConnectionError(what);
  while ((res = PQgetResult(conn)) != nullptr) {
    if (!failed && PQresultStatus(res) != PGRES_COMMAND_OK) failed = ResultError(res, what);
    PQclear(res);
  }
  if (failed) return Fail(*failed);
  return Ok();
}

}  // namespace tollgate::ledger::pg
