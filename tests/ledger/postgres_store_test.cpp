// What only the PostgreSQL store has: a database without ledger tables, other
// programs' tables, a partial schema, writers creating the ledger at once, a
// connection the server dropped, and URLs whose passwords must not be shown.
// The behaviour both backends share is tested in ledger_test.cpp on each.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/pg.h"
#include "support/postgres.h"

namespace tollgate::ledger {
namespace {

FixedClock& Clock() {
  static FixedClock clock(TimePoint(std::chrono::seconds(1767225600)));
  return clock;
}

std::vector<Json> Events(int n, int start = 0) {
  std::vector<Json> v;
  for (int i = 0; i < n; ++i) v.push_back(Json{{"type", "test"}, {"payload", {{"n", start + i}}}});
  return v;
}

// The number of tables in the test's schema.
int Tables(const testing::PgSchema& schema) {
  auto c = pg::Connection::Open(testing::PostgresBaseUrl());
  EXPECT_TRUE(c.has_value());
  if (!c) return -1;
  pg::Params p;
  p.Text(schema.name());
  auto r = (*c)->Exec("SELECT count(*) FROM pg_tables WHERE schemaname = $1", p, "count tables");
  EXPECT_TRUE(r.has_value());
  return r ? static_cast<int>(r->Int(0, 0)) : -1;
}

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    TG_REQUIRE_POSTGRES();
    schema_ = std::make_unique<testing::PgSchema>();
    ASSERT_EQ(schema_->error(), "");
  }
  std::unique_ptr<testing::PgSchema> schema_;
};

TEST_F(PostgresStore, NoLedgerTablesIsNotFoundAndReadingCreatesNothing) {
  auto missing = Ledger::Open(schema_->url(), OpenMode::kExisting, Clock());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound) << missing.error().message();

  auto l = Ledger::Open(schema_->url(), OpenMode::kCreate, Clock());
  ASSERT_TRUE(l.has_value()) << l.error().message();
  EXPECT_EQ(*(*l)->Size(), 0u);
  EXPECT_EQ(Tables(*schema_), 0) << "a ledger that was only read must not be created";
  ASSERT_TRUE((*l)->Append(Events(3), nullptr));
  EXPECT_EQ(Tables(*schema_), 4);
  auto again = Ledger::Open(schema_->url(), OpenMode::kExisting, Clock());
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(*(*again)->Size(), 3u);
}

TEST_F(PostgresStore, AnotherProgramsTablesAreRefusedAndLeftAlone) {
  schema_->Sql("CREATE TABLE entries(x integer); INSERT INTO entries VALUES (42)");
  for (OpenMode mode : {OpenMode::kExisting, OpenMode::kCreate}) {
    auto l = Ledger::Open(schema_->url(), mode, Clock());
    ASSERT_FALSE(l.has_value());
    EXPECT_EQ(l.error().code(), ErrorCode::kIntegrity) << l.error().message();
    EXPECT_NE(l.error().message().find("not a tollgate ledger"), std::string::npos) << l.error().message();
  }
  EXPECT_EQ(Tables(*schema_), 1);
  auto store = OpenPostgresStore(schema_->url(), OpenMode::kInit);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kInput) << store.error().message();
}

TEST_F(PostgresStore, MissingTableIsAnIntegrityError) {
  {
    auto l = Ledger::Open(schema_->url(), OpenMode::kCreate, Clock());
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->Append(Events(20), nullptr));
  }
  schema_->Sql("DROP TABLE nodes");
  auto l = Ledger::Open(schema_->url(), OpenMode::kExisting, Clock());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(l.error().message().find("table 'nodes' is missing"), std::string::npos) << l.error().message();
}

TEST_F(PostgresStore, InitRefusesAnExistingLedger) {
  {
    auto l = Ledger::Open(schema_->url(), OpenMode::kCreate, Clock());
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->Append(Events(1), nullptr));
  }
  auto store = OpenPostgresStore(schema_->url(), OpenMode::kInit);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kInput) << store.error().message();
}

// Several processes find no ledger and append at once: the advisory lock lets
// one create the tables; the others extend its ledger (one origin).
TEST_F(PostgresStore, WritersCreatingTheLedgerAtOnceShareOne) {
  constexpr int kWriters = 4, kBatches = 5, kPerBatch = 3;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto l = Ledger::Open(schema_->url(), OpenMode::kCreate, Clock());
      if (!l) _exit(2);
      for (int b = 0; b < kBatches; ++b)
        if (!(*l)->Append(Events(kPerBatch, w * 1000 + b * kPerBatch), nullptr)) _exit(3);
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto l = Ledger::Open(schema_->url(), OpenMode::kExisting, Clock());
  ASSERT_TRUE(l.has_value()) << l.error().message();
  auto rep = (*l)->Verify({});
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, std::uint64_t{kWriters * kBatches * kPerBatch});
  schema_->Sql("DO $$ BEGIN IF (SELECT count(*) FROM meta WHERE key = 'origin') <> 1 THEN "
               "RAISE EXCEPTION 'not one origin'; END IF; END $$");
}

// A replica survives a database restart: a connection the server closed is
// opened again on the next request.
TEST_F(PostgresStore, ReconnectsAfterTheServerDroppedTheConnection) {
  std::string app = "tg_reconnect_" + schema_->name();
  std::string url = schema_->url() + "&application_name=" + app;
  auto l = Ledger::Open(url, OpenMode::kCreate, Clock());
  ASSERT_TRUE(l.has_value()) << l.error().message();
  ASSERT_TRUE((*l)->Append(Events(2), nullptr));
  schema_->Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + app + "'");
  // The first use may fail (the connection is found dead); the next works.
  (void)(*l)->Size();
  auto size = (*l)->Size();
  ASSERT_TRUE(size.has_value()) << size.error().message();
  EXPECT_EQ(*size, 2u);
  auto a = (*l)->Append(Events(1, 2), nullptr);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->front().seq, 2u);
}

// No server needed: the URL is checked, and its password never shown.
TEST(PostgresUrl, PasswordsAreNotShown) {
  EXPECT_EQ(pg::DisplayName("postgres://alice:s3cret@db.example:5432/ledger?sslmode=require"),
            "postgres://alice:***@db.example:5432/ledger?sslmode=require");
  EXPECT_EQ(pg::DisplayName("postgresql://db.example/ledger?user=alice&password=s3cret&sslmode=require"),
            "postgresql://db.example/ledger?user=alice&password=***&sslmode=require");
  EXPECT_EQ(pg::DisplayName("postgresql://alice@db.example/ledger"), "postgresql://alice@db.example/ledger");
  EXPECT_TRUE(pg::IsUrl("postgres://x/y"));
  EXPECT_TRUE(pg::IsUrl("postgresql://x/y"));
  EXPECT_FALSE(pg::IsUrl(".tollgate/ledger.db"));

  // Nothing listens on port 1: an I/O error (exit 4) naming the URL without the password.
  auto refused = Ledger::Open("postgresql://alice:s3cret@127.0.0.1:1/ledger?connect_timeout=5", OpenMode::kCreate, Clock());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kIo) << refused.error().message();
  EXPECT_EQ(refused.error().message().find("s3cret"), std::string::npos) << refused.error().message();
  EXPECT_EQ(refused.error().message().rfind("postgresql://alice:***@127.0.0.1:1/ledger", 0), 0u) << refused.error().message();

  // A URL libpq cannot read is bad input (exit 2).
  auto bad = Ledger::Open("postgresql://alice:s3cret@127.0.0.1:1/ledger?no_such_option=1", OpenMode::kCreate, Clock());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInput) << bad.error().message();
  EXPECT_EQ(bad.error().message().find("s3cret"), std::string::npos) << bad.error().message();
}

}  // namespace
}  // namespace tollgate::ledger
