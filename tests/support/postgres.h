// Tests against PostgreSQL: TOLLGATE_PG_URL names a database (.ci/postgres.sh
// starts a throwaway cluster and sets it). Each test gets a schema of its own,
// dropped when it ends, and a URL that selects it (search_path). Without the
// variable the PostgreSQL instances skip with a message; with
// TOLLGATE_REQUIRE_POSTGRES=1 (CI) they fail instead.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ledger/pg.h"

namespace tollgate::testing {

inline std::string PostgresBaseUrl() {
  const char* v = std::getenv("TOLLGATE_PG_URL");
  return v != nullptr ? v : "";
}

inline bool PostgresRequired() {
  const char* v = std::getenv("TOLLGATE_REQUIRE_POSTGRES");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// A schema of its own in the database of TOLLGATE_PG_URL.
class PgSchema {
 public:
  PgSchema() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    name_ = "tg_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
    std::string base = PostgresBaseUrl();
    url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name_;
    auto c = ledger::pg::Connection::Open(base);
    if (!c) {
      error_ = c.error().message();
      return;
    }
    admin_ = std::move(*c);
    if (auto s = admin_->Run("CREATE SCHEMA " + name_, "create a test schema"); !s) error_ = s.error().message();
  }
  ~PgSchema() {
    if (admin_) (void)admin_->Run("DROP SCHEMA IF EXISTS " + name_ + " CASCADE", "drop the test schema");
  }
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;

  // Empty when the schema is ready, else why not.
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  // A URL whose tables live in this schema.
  const std::string& url() const { return url_; }
  // Runs SQL in this schema (to tamper with a ledger, as an attacker would).
  void Sql(const std::string& sql) {
    ASSERT_TRUE(admin_ != nullptr) << error_;
    auto s = admin_->Run("SET search_path TO " + name_ + "; " + sql, "test SQL");
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  }
  // The first column of the first row of a query in this schema, as text
  // ("" when there is no row).
  std::string Text(const std::string& query) {
    if (!admin_) return "";
    if (!admin_->Run("SET search_path TO " + name_, "test SQL")) return "";
    auto r = admin_->Exec("SELECT (" + query + ")::text", "test SQL");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r && r->size() > 0 ? r->Text(0, 0) : "";
  }

 private:
  std::string name_, url_, error_;
  std::unique_ptr<ledger::pg::Connection> admin_;
};

}  // namespace tollgate::testing

// In a test body: skip (or, with TOLLGATE_REQUIRE_POSTGRES set, fail) when
// TOLLGATE_PG_URL is not set.
#define TG_REQUIRE_POSTGRES()                                                                                   \
  do {                                                                                                          \
    if (::tollgate::testing::PostgresBaseUrl().empty()) {                                                       \
      if (::tollgate::testing::PostgresRequired())                                                              \
        GTEST_FAIL() << "TOLLGATE_PG_URL is not set and TOLLGATE_REQUIRE_POSTGRES is: no PostgreSQL to test on"; \
      GTEST_SKIP() << "TOLLGATE_PG_URL is not set: the PostgreSQL backend is not tested (.ci/postgres.sh starts one)"; \
    }                                                                                                           \
  } while (0)
