// The server's state store on each backend (a SQLite file; PostgreSQL when
// TOLLGATE_PG_URL is set): principals, tokens, webhook delivery ids and OIDC
// token ids, and what two replicas sharing one store must see: a delivery or
// a token id seen by one is seen by the other, and replicas bootstrapping at
// once create one admin.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "server/state.h"
#include "support/postgres.h"
#include "support/temp_dir.h"

namespace tollgate::server {
namespace {

class State : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      TG_REQUIRE_POSTGRES();
      pg_ = std::make_unique<testing::PgSchema>();
      ASSERT_EQ(pg_->error(), "");
      location_ = pg_->url();
    } else {
      location_ = dir_ / "server.db";
    }
  }
  // One more connection to the same state, as another replica has.
  std::unique_ptr<StateStore> Open() {
    auto s = pg_ ? OpenPostgresState(location_) : OpenSqliteState(location_);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
    return s ? std::move(*s) : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::PgSchema> pg_;
  std::string location_;
};

std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

Principal Alice() {
  Principal p;
  p.name = "alice";
  p.email = "alice@corp.example";
  p.roles = {"security", "sre"};
  p.public_key = "alice+01234567+AAAA";
  p.private_key = "PRIVATE+KEY+alice+01234567+BBBB";
  return p;
}

TEST_P(State, PrincipalsAreStoredReplacedAndListedByName) {
  auto s = Open();
  ASSERT_TRUE(s);
  EXPECT_TRUE(*s->Empty());
  ASSERT_TRUE(s->PutPrincipal(Alice()));
  Principal bob;
  bob.name = "Bob";  // byte order: upper case sorts first
  bob.roles = {};
  ASSERT_TRUE(s->PutPrincipal(bob));
  EXPECT_FALSE(*s->Empty());

  auto a = s->GetPrincipal("alice");
  ASSERT_TRUE(a.has_value() && a->has_value());
  EXPECT_EQ((*a)->email, "alice@corp.example");
  EXPECT_EQ((*a)->roles, (std::vector<std::string>{"security", "sre"}));
  EXPECT_EQ((*a)->public_key, "alice+01234567+AAAA");
  EXPECT_EQ((*a)->private_key, "PRIVATE+KEY+alice+01234567+BBBB");
  EXPECT_FALSE((*a)->disabled);
  EXPECT_FALSE(s->GetPrincipal("carol")->has_value());

  Principal changed = Alice();
  changed.roles = {"auditor"};
  changed.disabled = true;
  ASSERT_TRUE(s->PutPrincipal(changed));
  auto all = s->Principals();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "Bob");
  EXPECT_EQ((*all)[1].name, "alice");
  EXPECT_EQ((*all)[1].roles, std::vector<std::string>{"auditor"});
  EXPECT_TRUE((*all)[1].disabled);
}

TEST_P(State, TokensAreKeptByHashAndRevoked) {
  auto s = Open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->PutToken(TokenRecord{"h2", "alice", "laptop", "2026-06-15T10:00:00Z", "", false}));
  ASSERT_TRUE(s->PutToken(TokenRecord{"h1", "alice", "ci", "2026-06-14T10:00:00Z", "2026-07-01T00:00:00Z", false}));
  ASSERT_TRUE(s->PutToken(TokenRecord{"h3", "bob", "", "2026-06-13T10:00:00Z", "", false}));
  auto t = s->GetToken("h1");
  ASSERT_TRUE(t.has_value() && t->has_value());
  EXPECT_EQ((*t)->principal, "alice");
  EXPECT_EQ((*t)->label, "ci");
  EXPECT_EQ((*t)->expires, "2026-07-01T00:00:00Z");
  EXPECT_FALSE((*t)->revoked);
  EXPECT_FALSE(s->GetToken("nope")->has_value());

  ASSERT_TRUE(s->RevokeToken("h1"));
  auto other = Open();  // another replica sees the revocation at once
  ASSERT_TRUE(other);
  EXPECT_TRUE((*other->GetToken("h1"))->revoked);

  auto list = s->Tokens("alice");
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].hash, "h1");  // by creation time
  EXPECT_EQ((*list)[1].hash, "h2");
}

TEST_P(State, ADeliveryIsFirstOnceAcrossReplicas) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(*a->FirstDelivery("github", "d-1", "2026-06-15T00:00:00Z"));
  EXPECT_FALSE(*b->FirstDelivery("github", "d-1", "2026-06-15T00:00:01Z"));
  EXPECT_TRUE(*b->FirstDelivery("gitlab", "d-1", "2026-06-15T00:00:01Z"));  // ids are per provider
  EXPECT_FALSE(*a->FirstDelivery("gitlab", "d-1", "2026-06-15T00:00:02Z"));
}

TEST_P(State, TokenIdsAreRefusedOnReplayUntilTheyExpire) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(*a->FirstTokenUse("jti-1", 1000, 900));
  EXPECT_FALSE(*b->FirstTokenUse("jti-1", 1000, 950)) << "replayed on another replica";
  // Once expired the id is purged; a token carrying it is refused for its
  // exp anyway, so the store may forget it.
  EXPECT_TRUE(*b->FirstTokenUse("jti-2", 3000, 2000));
  EXPECT_TRUE(*a->FirstTokenUse("jti-1", 4000, 2000));
}

// Several replicas start at once on an empty state: exactly one of them
// creates the first principal (and prints the admin token).
TEST_P(State, ReplicasBootstrappingAtOnceCreateOneAdmin) {
  constexpr int kReplicas = 4;
  {
    auto s = Open();  // the tables exist before the race, as after any replica's start
    ASSERT_TRUE(s);
  }
  std::vector<pid_t> pids;
  for (int i = 0; i < kReplicas; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = pg_ ? OpenPostgresState(location_) : OpenSqliteState(location_);
      if (!s) _exit(2);
      Principal p;
      p.name = "admin";
      p.roles = {"admin"};
      p.private_key = "replica-" + std::to_string(i);
      auto first = (*s)->AddFirstPrincipal(p);
      if (!first) _exit(3);
      _exit(*first ? 10 : 11);
    }
    pids.push_back(pid);
  }
  int firsts = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_TRUE(WEXITSTATUS(status) == 10 || WEXITSTATUS(status) == 11) << WEXITSTATUS(status);
    if (WEXITSTATUS(status) == 10) ++firsts;
  }
  EXPECT_EQ(firsts, 1);
  auto s = Open();
  auto all = s->Principals();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u);
  // And never once a principal exists.
  Principal late;
  late.name = "late";
  EXPECT_FALSE(*s->AddFirstPrincipal(late));
}

INSTANTIATE_TEST_SUITE_P(Backends, State, ::testing::Values("sqlite", "postgres"), BackendName);

// A PostgreSQL schema whose `principals` table is someone else's is refused.
TEST(PostgresState, AnotherProgramsTableIsRefused) {
  TG_REQUIRE_POSTGRES();
  testing::PgSchema schema;
  ASSERT_EQ(schema.error(), "");
  schema.Sql("CREATE TABLE principals(id integer)");
  auto s = OpenPostgresState(schema.url());
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kInput) << s.error().message();
  EXPECT_NE(s.error().message().find("not a tollgate server state"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace tollgate::server
