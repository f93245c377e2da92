// The ledger on each storage backend (SQLite, and PostgreSQL when
// TOLLGATE_PG_URL is set): append, proofs, checkpoints, tamper detection,
// crash safety and concurrent writers. The same tests run on both.
#include "ledger/ledger.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "ledger/merkle.h"
#include "support/postgres.h"
#include "test_support.h"

namespace tollgate::ledger {
namespace {

using testing::TempDir;
using namespace tollgate::ledger::test;

SignerKey TestKey(const std::string& name = "test-ledger") {
  auto k = SignerKey::Generate(name);
  EXPECT_TRUE(k.has_value());
  return *k;
}

// One ledger location per test on the backend named by the parameter: a
// SQLite file in a temporary directory, or a PostgreSQL schema of its own.
class Backend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      TG_REQUIRE_POSTGRES();
      pg_ = std::make_unique<testing::PgSchema>();
      ASSERT_EQ(pg_->error(), "");
      path_ = pg_->url();
    } else {
      path_ = dir_ / "l.db";
    }
  }
  // Changes the stored rows behind the ledger's back, as an attacker with
  // write access to the database would: `sqlite` or `postgres` SQL.
  void Sql(const std::string& sqlite, const std::string& postgres) {
    if (pg_) {
      pg_->Sql(postgres);
    } else {
      ::tollgate::ledger::test::Sql(path_, sqlite);
    }
  }
  void Sql(const std::string& both) { Sql(both, both); }

  TempDir dir_;
  std::unique_ptr<testing::PgSchema> pg_;
  std::string path_;
};

std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

using LedgerStore = Backend;

TEST_P(LedgerStore, AppendAssignsSeqAndVerifies) {
  auto l = MustOpen(path_);
  auto a = l->Append(Events(40), nullptr);
  ASSERT_TRUE(a.has_value()) << a.error().message();
  ASSERT_EQ(a->size(), 40u);
  EXPECT_EQ((*a)[0].seq, 0u);
  EXPECT_EQ((*a)[39].seq, 39u);
  auto b = l->Append(Events(3, 100), nullptr);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ((*b)[0].seq, 40u);

  std::vector<Hash256> leaves;
  std::vector<std::string> bodies;
  ASSERT_TRUE(l->Scan(0, 0, "", [&](const StoredEntry& e) {
    leaves.push_back(e.leaf_hash);
    bodies.push_back(e.body);
    return true;
  }));
  ASSERT_EQ(leaves.size(), 43u);
  // Canonical bodies: sorted keys, seq and time added.
  EXPECT_EQ(bodies[0], R"({"payload":{"n":0},"seq":0,"time":"2026-01-01T00:00:00Z","type":"test"})");
  EXPECT_EQ(leaves[0], LeafHash(AsBytes(bodies[0])));
  EXPECT_EQ(leaves[40], (*b)[0].leaf_hash);

  auto rep = l->Verify({});
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, 43u);
  EXPECT_EQ(rep->root, RootFromLeafHashes(leaves));
  auto root = l->RootAt(43);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(*root, rep->root);
}

TEST_P(LedgerStore, ProofsFromStoredNodesVerify) {
  auto l = MustOpen(path_);
  for (int batch = 0; batch < 7; ++batch) ASSERT_TRUE(l->Append(Events(13 + batch, batch * 100), nullptr));
  auto size = *l->Size();
  for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{16}, std::uint64_t{17}, std::uint64_t{64}, size}) {
    auto root = *l->RootAt(n);
    for (std::uint64_t i = 0; i < n; i += 5) {
      auto p = l->InclusionProof(i, n);
      ASSERT_TRUE(p.has_value());
      EXPECT_TRUE(VerifyInclusion(i, n, *l->LeafHashAt(i), *p, root).has_value()) << i << "/" << n;
    }
    for (std::uint64_t m = 1; m <= n; m += 7) {
      auto p = l->ConsistencyProof(m, n);
      ASSERT_TRUE(p.has_value());
      EXPECT_TRUE(VerifyConsistency(m, n, *l->RootAt(m), root, *p).has_value()) << m << "->" << n;
    }
  }
  EXPECT_FALSE(l->InclusionProof(size, size).has_value());
}

TEST_P(LedgerStore, RejectedBatchLeavesLedgerUnchanged) {
  auto l = MustOpen(path_);
  ASSERT_TRUE(l->Append(Events(5), nullptr));
  auto bad = Events(3);
  bad.push_back(Json{{"payload", 1}});  // no type
  auto r = l->Append(bad, nullptr);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInput);
  EXPECT_NE(r.error().message().find("event 4"), std::string::npos) << r.error().message();
  EXPECT_EQ(*l->Size(), 5u);

  for (const Json& j : {Json{{"type", "x"}, {"seq", 3}}, Json{{"type", 7}}, Json::array(),
                        Json{{"type", "x"}, {"time", "yesterday"}}, Json{{"type", "x"}, {"big", 1ULL << 60}}}) {
    EXPECT_FALSE(l->Append({j}, nullptr).has_value()) << j;
  }
  EXPECT_EQ(*l->Size(), 5u);
  EXPECT_TRUE(l->Verify({}).has_value());
}

TEST_P(LedgerStore, SignedCheckpointsVerifyAndPinTrustedKeys) {
  auto key = TestKey();
  auto l = MustOpen(path_);
  ASSERT_TRUE(l->Append(Events(10), &key));
  ASSERT_TRUE(l->Append(Events(10, 10), &key));
  auto cp = l->SignCheckpoint(key);
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->size, 20u);
  auto note = ParseNote(cp->note);
  ASSERT_TRUE(note.has_value());
  auto text = ParseCheckpointText(note->text);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->size, 20u);
  EXPECT_EQ(text->origin.rfind("tollgate/ledger/", 0), 0u);
  EXPECT_TRUE(NoteVerifiedBy(*note, key.verifier()));

  VerifyOptions trusted;
  trusted.trusted_keys.push_back(key.verifier());
  auto rep = l->Verify(trusted);
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->checkpoints_verified, 2u);  // 10 and 20 (the batch one and the explicit one share size 20)

  VerifyOptions other;
  other.trusted_keys.push_back(TestKey("someone-else").verifier());
  auto bad = l->Verify(other);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kIntegrity);
}

class TamperTest : public Backend {
 protected:
  void SetUp() override {
    Backend::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto l = MustOpen(path_);
    ASSERT_TRUE(l->Append(Events(50), &key_));
  }
  // Runs verify and returns the error message (empty if it passed).
  std::string VerifyError() {
    auto l = MustOpen(path_, OpenMode::kExisting);
    auto r = l->Verify({});
    if (r) return "";
    EXPECT_EQ(r.error().code(), ErrorCode::kIntegrity) << r.error().message();
    return r.error().message();
  }
  SignerKey key_ = TestKey();
};

TEST_P(TamperTest, IntactPasses) { EXPECT_EQ(VerifyError(), ""); }

TEST_P(TamperTest, ChangedEntryNamesIndex) {
  Sql("UPDATE entries SET body = replace(body, '\"n\":17', '\"n\":71') WHERE seq = 17",
      "UPDATE entries SET body = convert_to(replace(convert_from(body, 'UTF8'), '\"n\":17', '\"n\":71'), 'UTF8') "
      "WHERE seq = 17");
  EXPECT_EQ(VerifyError().rfind("entry 17:", 0), 0u) << VerifyError();
}

TEST_P(TamperTest, ChangedEntryWithRecomputedLeafHashIsCaught) {
  // An attacker who also rewrites the leaf hash is caught by the stored tree
  // nodes and, above all, by the signed checkpoint.
  auto l = MustOpen(path_, OpenMode::kExisting);
  std::string body;
  ASSERT_TRUE(l->Scan(17, 1, "", [&](const StoredEntry& e) { body = e.body; return false; }));
  l.reset();
  std::string forged = body;
  forged.replace(forged.find("\"n\":17"), 6, "\"n\":99");
  std::string hex = HexEncode(LeafHash(AsBytes(forged)));
  Sql("UPDATE entries SET body = '" + forged + "', leaf_hash = x'" + hex + "' WHERE seq = 17",
      "UPDATE entries SET body = convert_to('" + forged + "', 'UTF8'), leaf_hash = decode('" + hex +
          "', 'hex') WHERE seq = 17");
  EXPECT_NE(VerifyError(), "");
  Sql("DELETE FROM nodes");
  std::string msg = VerifyError();
  EXPECT_NE(msg, "");
}

TEST_P(TamperTest, DeletedEntryNamesIndex) {
  Sql("DELETE FROM entries WHERE seq = 23");
  EXPECT_EQ(VerifyError().rfind("entry 23:", 0), 0u) << VerifyError();
}

TEST_P(TamperTest, TruncationBelowCheckpointIsCaught) {
  Sql("DELETE FROM entries WHERE seq >= 45");
  EXPECT_EQ(VerifyError().rfind("entry 45:", 0), 0u) << VerifyError();
}

TEST_P(TamperTest, ReorderedEntriesNameIndex) {
  Sql("UPDATE entries SET seq = -1 WHERE seq = 30; UPDATE entries SET seq = 30 WHERE seq = 31;"
      "UPDATE entries SET seq = 31 WHERE seq = -1;");
  EXPECT_EQ(VerifyError().rfind("entry 30:", 0), 0u) << VerifyError();
}

TEST_P(TamperTest, InsertedEntryNamesIndex) {
  Sql("UPDATE entries SET seq = seq + 1000 WHERE seq >= 12; UPDATE entries SET seq = seq - 999 WHERE seq >= 1012;"
      "INSERT INTO entries(seq,type,leaf_hash,body) SELECT 12, type, leaf_hash, body FROM entries WHERE seq = 11;");
  EXPECT_EQ(VerifyError().rfind("entry 12:", 0), 0u) << VerifyError();
}

TEST_P(TamperTest, RetypedEntryNamesIndex) {
  Sql("UPDATE entries SET type = 'waiver' WHERE seq = 9");
  EXPECT_EQ(VerifyError().rfind("entry 9:", 0), 0u) << VerifyError();
}

TEST_P(TamperTest, BadSignatureIsCaught) {
  Sql("UPDATE checkpoints SET note = replace(note, substr(note, -20, 8), 'AAAAAAAA')",
      "UPDATE checkpoints SET note = replace(note, substr(note, length(note) - 19, 8), 'AAAAAAAA')");
  EXPECT_NE(VerifyError().find("signature"), std::string::npos) << VerifyError();
}

TEST(LedgerFiles, MissingAndCorruptFiles) {
  TempDir dir;
  auto missing = Ledger::Open(dir / "nope.db", OpenMode::kExisting, TestClock());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().exit_code(), ExitCode::kInput);

  std::string junk = dir / "junk.db";
  { std::ofstream(junk) << std::string(8192, 'x'); }
  auto corrupt = Ledger::Open(junk, OpenMode::kExisting, TestClock());
  ASSERT_FALSE(corrupt.has_value());
  EXPECT_EQ(corrupt.error().exit_code(), ExitCode::kIntegrity) << corrupt.error().message();
  std::ifstream in(junk);
  std::string after((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(after, std::string(8192, 'x'));  // untouched

  std::string other = dir / "other.db";
  Sql(other, "CREATE TABLE t(x)");
  auto foreign = Ledger::Open(other, OpenMode::kExisting, TestClock());
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().exit_code(), ExitCode::kIntegrity);
}

TEST_P(LedgerStore, ExportVerifiesAndDetectsTampering) {
  auto key = TestKey();
  auto l = MustOpen(path_);
  ASSERT_TRUE(l->Append(Events(30), &key));
  ASSERT_TRUE(l->Append(Events(5, 30), &key));
  auto bundle = l->Export();
  ASSERT_TRUE(bundle.has_value());
  EXPECT_EQ((*bundle)["entries"].size(), 35u);
  EXPECT_EQ((*bundle)["keys"].size(), 1u);
  auto rep = VerifyBundle(*bundle, {});
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, 35u);
  EXPECT_EQ(rep->checkpoints_verified, 2u);

  Json changed = *bundle;
  changed["entries"][17]["entry"]["payload"]["n"] = 71;
  auto r1 = VerifyBundle(changed, {});
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().message().rfind("entry 17:", 0), 0u) << r1.error().message();

  // Changing the claimed leaf hash too is caught by the signed checkpoint.
  auto body = Canonicalize(changed["entries"][17]["entry"]);
  changed["entries"][17]["leaf_hash"] = HexEncode(LeafHash(AsBytes(*body)));
  auto r2 = VerifyBundle(changed, {});
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message().find("checkpoint at size 30"), std::string::npos) << r2.error().message();

  Json removed = *bundle;
  removed["entries"].erase(removed["entries"].begin() + 34);
  EXPECT_FALSE(VerifyBundle(removed, {}).has_value());

  Json swapped = *bundle;
  std::swap(swapped["entries"][3], swapped["entries"][4]);
  auto r3 = VerifyBundle(swapped, {});
  ASSERT_FALSE(r3.has_value());
  EXPECT_EQ(r3.error().message().rfind("entry 3:", 0), 0u) << r3.error().message();

  EXPECT_FALSE(VerifyBundle(Json::array(), {}).has_value());
  EXPECT_FALSE(VerifyBundle(Json{{"format", "other"}}, {}).has_value());
}

// A writer killed with SIGKILL in the middle of bulk appends leaves a ledger
// that verifies: every committed batch is whole, the torn one is absent.
TEST_P(LedgerStore, SigkillDuringBulkAppendLeavesVerifiableLedger) {
  const std::string& path = path_;
  { ASSERT_TRUE(MustOpen(path)->Append(Events(1), nullptr)); }
  for (int round = 0; round < 3; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto l = Ledger::Open(path, OpenMode::kExisting, TestClock());
      if (!l) _exit(2);
      for (int i = 0; i < 100000; ++i) {
        if (!(*l)->Append(Events(500, i * 500), nullptr)) _exit(3);
      }
      _exit(0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * round));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer finished before it could be killed";
    auto l = MustOpen(path, OpenMode::kExisting);
    auto rep = l->Verify({});
    ASSERT_TRUE(rep.has_value()) << rep.error().message();
    EXPECT_EQ((rep->size - 1) % 500, 0u) << "a torn batch is visible";
  }
}

// Two processes appending at once both succeed; the log stays consistent.
TEST_P(LedgerStore, TwoWritersBothSucceed) {
  const std::string& path = path_;
  { ASSERT_TRUE(MustOpen(path)->Append(Events(1), nullptr)); }
  constexpr int kBatches = 60, kPerBatch = 7;
  pid_t pids[2];
  for (int w = 0; w < 2; ++w) {
    pids[w] = fork();
    ASSERT_GE(pids[w], 0);
    if (pids[w] == 0) {
      auto key = SignerKey::Generate("writer" + std::to_string(w));
      auto l = Ledger::Open(path, OpenMode::kExisting, TestClock());
      if (!l || !key) _exit(2);
      for (int b = 0; b < kBatches; ++b) {
        if (!(*l)->Append(Events(kPerBatch, w * 100000 + b * kPerBatch), &*key)) _exit(3);
      }
      _exit(0);
    }
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto l = MustOpen(path, OpenMode::kExisting);
  auto rep = l->Verify({});
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, 1u + 2 * kBatches * kPerBatch);
  EXPECT_EQ(rep->checkpoints_verified, 2u * kBatches);
}

// Check and append under one write lock on either backend: processes
// racing to record the same ids record each once.
TEST_P(LedgerStore, AppendCheckedRecordsEachIdOnceAcrossProcesses) {
  const std::string& path = path_;
  { ASSERT_TRUE(MustOpen(path)->Append(Events(1), nullptr)); }
  constexpr int kWriters = 3, kIds = 20;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto l = Ledger::Open(path, OpenMode::kExisting, TestClock());
      if (!l) _exit(3);
      for (int k = 0; k < kIds; ++k) {
        std::string id = "id" + std::to_string((k + w * 7) % kIds);
        auto r = (*l)->AppendChecked(
            [&]() -> Result<std::vector<Json>> {
              bool seen = false;
              TG_TRY((*l)->Scan(0, 0, "claim", [&](const StoredEntry& e) {
                seen = seen || Json::parse(e.body)["id"] == id;
                return !seen;
              }));
              if (seen) return std::vector<Json>{};
              return std::vector<Json>{Json{{"type", "claim"}, {"id", id}}};
            },
            nullptr);
        if (!r) _exit(4);
      }
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
  auto l = MustOpen(path, OpenMode::kExisting);
  std::map<std::string, int> count;
  ASSERT_TRUE(l->Scan(0, 0, "claim", [&](const StoredEntry& e) {
    ++count[Json::parse(e.body)["id"].get<std::string>()];
    return true;
  }));
  EXPECT_EQ(count.size(), static_cast<std::size_t>(kIds));
  for (const auto& [id, n] : count) EXPECT_EQ(n, 1) << id;
  EXPECT_TRUE(l->Verify({}).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerStore, ::testing::Values("sqlite", "postgres"), BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, TamperTest, ::testing::Values("sqlite", "postgres"), BackendName);

}  // namespace
}  // namespace tollgate::ledger

namespace tollgate::ledger {
namespace {

// Found by fuzz_event: a bundle whose "format" is not a string threw from
// nlohmann's value() instead of failing cleanly.
TEST(LedgerBundleRegression, WrongTypesAreInputErrors) {
  EXPECT_FALSE(VerifyBundle(Json::parse(R"({"format":[]})"), {}).has_value());
  EXPECT_FALSE(VerifyBundle(Json::parse(R"({"format":"tollgate-ledger-bundle/1","entries":{},"checkpoints":[]})"), {}).has_value());
  // A non-string origin reads as none; an empty bundle is still consistent.
  EXPECT_TRUE(VerifyBundle(Json::parse(R"({"format":"tollgate-ledger-bundle/1","origin":5,"entries":[],"checkpoints":[]})"), {}).has_value());
}

}  // namespace
}  // namespace tollgate::ledger
