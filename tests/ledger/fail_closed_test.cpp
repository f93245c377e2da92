// The ledger fails closed (issue 14, items 2, 3, 8 and 12; issue 13, item 7):
// a truncated, emptied or replaced file is never taken for a new ledger; a
// trusted key and a saved checkpoint are required to be honoured; writes
// refuse to extend a damaged tail; reads refuse to hand out damaged entries.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "test_support.h"

namespace tollgate::ledger {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using namespace tollgate::ledger::test;

std::string SqlText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    const void* p = sqlite3_column_blob(s, 0);
    out.assign(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

SignerKey Key(const std::string& name = "ledger") {
  auto k = SignerKey::Generate(name);
  EXPECT_TRUE(k.has_value());
  return *k;
}

VerifyOptions Trusting(const SignerKey& k) {
  VerifyOptions o;
  o.trusted_keys.push_back(k.verifier());
  return o;
}

// Rewrites entry `seq` and its leaf hash, as an attacker who read the format does.
void RewriteEntry(const std::string& path, std::uint64_t seq, const std::string& from, const std::string& to) {
  std::string body = SqlText(path, "SELECT body FROM entries WHERE seq = " + std::to_string(seq));
  ASSERT_NE(body.find(from), std::string::npos) << body;
  body.replace(body.find(from), from.size(), to);
  Sql(path, "UPDATE entries SET body = '" + body + "', leaf_hash = x'" + HexEncode(LeafHash(AsBytes(body))) +
                "' WHERE seq = " + std::to_string(seq));
}

template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return r ? "" : r.error().message();
}

// ---------------------------------------------------------------------------
// Item 2: truncated, emptied, replaced; ledger init.

TEST(LedgerFailClosed, LedgerTruncatedToZeroBytesIsAnIntegrityFailureAndStaysEmpty) {
  TempDir dir;
  std::string path = dir / "l.db";
  auto key = Key();
  ASSERT_TRUE(MustOpen(path)->Append(Events(20), &key));
  fs::resize_file(path, 0);
  for (OpenMode mode : {OpenMode::kExisting, OpenMode::kCreate}) {
    auto l = Ledger::Open(path, mode, TestClock());
    ASSERT_FALSE(l.has_value()) << "a 0-byte file opened as a ledger";
    EXPECT_EQ(l.error().code(), ErrorCode::kIntegrity) << l.error().message();
  }
  auto v = VerifyLedger(path, Trusting(key), TestClock());
  ASSERT_FALSE(v.has_value()) << "a 0-byte ledger verified";
  EXPECT_EQ(v.error().code(), ErrorCode::kIntegrity);
  EXPECT_EQ(fs::file_size(path), 0u) << "the next write started a new log in the truncated file";
}

TEST(LedgerFailClosed, LedgerReplacedByEmptySqliteDatabaseIsAnIntegrityFailure) {
  TempDir dir;
  std::string path = dir / "l.db";
  Sql(path, "CREATE TABLE t(x); DROP TABLE t;");  // a valid SQLite file with no schema
  auto before = fs::file_size(path);
  auto l = Ledger::Open(path, OpenMode::kCreate, TestClock());
  ASSERT_FALSE(l.has_value()) << "an empty SQLite file was taken for a new ledger";
  EXPECT_EQ(l.error().code(), ErrorCode::kIntegrity) << l.error().message();
  EXPECT_EQ(SqlText(path, "SELECT count(*) FROM sqlite_master"), "0");  // still no tables
  EXPECT_EQ(fs::file_size(path), before);
}

TEST(LedgerFailClosed, LedgerWhoseEntriesWereRemovedIsNotANewLedger) {
  TempDir dir;
  std::string path = dir / "l.db";
  ASSERT_TRUE(MustOpen(path)->Append(Events(20), nullptr));
  Sql(path, "DELETE FROM entries; DELETE FROM nodes; DELETE FROM checkpoints;");
  auto l = Ledger::Open(path, OpenMode::kCreate, TestClock());
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(l.error().message().find("ledger init"), std::string::npos) << l.error().message();

  Sql(path, "DELETE FROM meta;");  // no origin either
  auto l2 = Ledger::Open(path, OpenMode::kExisting, TestClock());
  ASSERT_FALSE(l2.has_value());
  EXPECT_EQ(l2.error().code(), ErrorCode::kIntegrity);
}

TEST(LedgerFailClosed, FirstWriteCreatesTheLedgerWholeAndRecordsHow) {
  TempDir dir;
  std::string path = dir / "sub/l.db";
  {
    auto l = MustOpen(path);
    ASSERT_TRUE(l);
    EXPECT_EQ(*l->Size(), 0u);  // reads see an empty log
    EXPECT_FALSE(fs::exists(path)) << "opening for writing made a file before anything was written";
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir / "sub") && !fs::is_empty(dir / "sub")) << "a temporary file was left behind";
  auto l = MustOpen(path);
  ASSERT_TRUE(l->Append(Events(3), nullptr));
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(SqlText(path, "SELECT value FROM meta WHERE key = 'created_by'"), "first write");
  EXPECT_EQ(SqlText(path, "SELECT value FROM meta WHERE key = 'created'"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(SqlText(path, "SELECT value FROM meta WHERE key = 'origin'").rfind("tollgate/ledger/", 0), 0u);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "sub")) files += e.path().filename().string()[0] == '.' ? 1u : 0u;
  EXPECT_EQ(files, 0u) << "a temporary file was left behind";
  ASSERT_TRUE(l->Append(Events(2, 3), nullptr));  // the same Ledger goes on writing to the file it created
  auto rep = MustOpen(path, OpenMode::kExisting)->Verify({});
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, 5u);

  // A batch that fails leaves no file at a new path.
  std::string other = dir / "other.db";
  auto bad = Events(1);
  bad[0]["n"] = 9007199254740993ULL;  // not exactly a double: refused by canonicalisation, inside the write
  EXPECT_FALSE(MustOpen(other)->Append(bad, nullptr).has_value());
  EXPECT_FALSE(fs::exists(other));
}

TEST(LedgerFailClosed, LedgerInitCreatesAnEmptyLedgerOnlyWhereNoFileExists) {
  TempDir dir;
  std::string path = dir / "l.db";
  auto key = Key();
  auto made = Ledger::Init(path, TestClock(), &key);
  ASSERT_TRUE(made.has_value()) << made.error().message();
  EXPECT_EQ(SqlText(path, "SELECT value FROM meta WHERE key = 'created_by'"), "ledger init");
  auto rep = VerifyLedger(path, Trusting(key), TestClock());
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, 0u);
  EXPECT_EQ(rep->checkpoints_verified, 1u);

  auto again = Ledger::Init(path, TestClock());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kInput);

  std::string zero = dir / "zero.db";
  std::ofstream(zero).close();
  auto on_zero = Ledger::Init(zero, TestClock());
  ASSERT_FALSE(on_zero.has_value()) << "init re-initialised a truncated file";
  EXPECT_EQ(on_zero.error().code(), ErrorCode::kInput);
  EXPECT_EQ(fs::file_size(zero), 0u);

  // An init'ed empty ledger opens and takes appends.
  ASSERT_TRUE(MustOpen(path, OpenMode::kExisting)->Append(Events(2), &key));
}

TEST(LedgerFailClosed, ConcurrentFirstWritersOnANewPathShareOneLedger) {
  TempDir dir;
  std::string path = dir / "l.db";
  constexpr int kWriters = 4, kBatches = 10, kPerBatch = 5;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int b = 0; b < kBatches; ++b) {
        auto l = Ledger::Open(path, OpenMode::kCreate, TestClock());
        if (!l || !(*l)->Append(Events(kPerBatch, w * 1000 + b * kPerBatch), nullptr)) _exit(3);
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
  auto rep = MustOpen(path, OpenMode::kExisting)->Verify({});
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, std::uint64_t{kWriters * kBatches * kPerBatch});
}

TEST(LedgerFailClosed, LedgerPathThatIsADirectoryIsBadInput) {
  TempDir dir;
  for (OpenMode mode : {OpenMode::kExisting, OpenMode::kCreate, OpenMode::kInit}) {
    auto l = Ledger::Open(dir.path().string(), mode, TestClock());
    ASSERT_FALSE(l.has_value());
    EXPECT_EQ(l.error().exit_code(), ExitCode::kInput) << l.error().message();
  }
}

TEST(LedgerFailClosed, TrustedKeyRequiresACheckpointEvenInAnEmptyLedger) {
  TempDir dir;
  auto key = Key();
  ASSERT_TRUE(Ledger::Init(dir / "l.db", TestClock()).has_value());
  auto rep = VerifyLedger(dir / "l.db", Trusting(key), TestClock());
  ASSERT_FALSE(rep.has_value()) << "an empty ledger verified against a trusted key";
  EXPECT_EQ(rep.error().code(), ErrorCode::kIntegrity);
  EXPECT_TRUE(VerifyLedger(dir / "l.db", {}, TestClock()).has_value());

  // A missing ledger with a trusted key is expected to exist: integrity, not bad input.
  auto missing = VerifyLedger(dir / "gone.db", Trusting(key), TestClock());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIntegrity) << missing.error().message();
  EXPECT_EQ(VerifyLedger(dir / "gone.db", {}, TestClock()).error().code(), ErrorCode::kNotFound);

  Json empty_bundle = Json::parse(R"({"format":"tollgate-ledger-bundle/1","origin":"o","entries":[],"checkpoints":[]})");
  auto b = VerifyBundle(empty_bundle, Trusting(key));
  ASSERT_FALSE(b.has_value()) << "an empty bundle verified against a trusted key";
  EXPECT_EQ(b.error().code(), ErrorCode::kIntegrity);
}

// ---------------------------------------------------------------------------
// Item 2: a checkpoint saved earlier.

class SavedCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "l.db";
    auto l = MustOpen(path_);
    ASSERT_TRUE(l->Append(Events(37), &key_));
    auto cp = l->SignCheckpoint(key_);
    ASSERT_TRUE(cp.has_value());
    saved_ = SavedCheckpoint{"cp37.txt", cp->note};
  }
  Result<VerifyReport> VerifyExtends(const SavedCheckpoint& saved, bool trusted = true) {
    VerifyOptions o = trusted ? Trusting(key_) : VerifyOptions{};
    o.extends = saved;
    return VerifyLedger(path_, o, TestClock());
  }
  TempDir dir_;
  std::string path_;
  SignerKey key_ = Key();
  SavedCheckpoint saved_;
};

TEST_F(SavedCheckpointTest, LogThatGrewExtendsItWithAVerifiedConsistencyProof) {
  auto same = VerifyExtends(saved_);
  ASSERT_TRUE(same.has_value()) << same.error().message();
  EXPECT_EQ(same->extends_size, 37u);
  ASSERT_TRUE(MustOpen(path_)->Append(Events(60, 100), &key_));
  auto grown = VerifyExtends(saved_);
  ASSERT_TRUE(grown.has_value()) << grown.error().message();
  EXPECT_EQ(grown->extends_size, 37u);
  EXPECT_GT(grown->extends_proof_hashes, 0u);

  // The proof the ledger computes is the RFC 9162 one: it checks against the
  // saved root and the recomputed root with the independent verifier.
  auto l = MustOpen(path_, OpenMode::kExisting);
  auto proof = l->ConsistencyProof(37, 97);
  ASSERT_TRUE(proof.has_value());
  EXPECT_EQ(proof->size(), grown->extends_proof_hashes);
  auto text = ParseCheckpointText(ParseNote(saved_.text)->text);
  EXPECT_TRUE(VerifyConsistency(37, 97, text->root, grown->root, *proof).has_value());

  // The bare checkpoint text (no signature) is enough without --trusted-key.
  SavedCheckpoint bare{"bare.txt", CheckpointText(*text)};
  EXPECT_TRUE(VerifyExtends(bare, false).has_value());
  auto unsigned_with_key = VerifyExtends(bare, true);
  ASSERT_FALSE(unsigned_with_key.has_value());
  EXPECT_EQ(unsigned_with_key.error().code(), ErrorCode::kIntegrity);
}

TEST_F(SavedCheckpointTest, ShortenedLogIsDetected) {
  // Rolled back to 30 entries, with its own later checkpoints removed: the
  // ledger verifies on its own, but not against the saved checkpoint.
  // Node rows: keep the one over 0..15 (level 4, index 0), drop those over
  // 16..31 and 0..31.
  Sql(path_, "DELETE FROM entries WHERE seq >= 30; DELETE FROM checkpoints WHERE size > 30;"
             "DELETE FROM nodes WHERE id > (4 << 56);");
  // The head record the last write left still says 37: a naive rollback is
  // caught without the saved checkpoint.
  EXPECT_EQ(VerifyLedger(path_, {}, TestClock()).error().code(), ErrorCode::kIntegrity);
  EXPECT_FALSE(MustOpen(path_)->Append(Events(0), &key_).has_value());
  // An attacker who also removes the head record (it is not signed) and
  // re-signs the shortened head with the stolen key is caught only by it.
  Sql(path_, "DELETE FROM meta WHERE key = 'head';");
  ASSERT_TRUE(MustOpen(path_)->Append(Events(0), &key_));
  EXPECT_TRUE(VerifyLedger(path_, Trusting(key_), TestClock()).has_value());
  auto r = VerifyExtends(saved_);
  ASSERT_FALSE(r.has_value()) << "a shortened log extended the saved checkpoint";
  EXPECT_EQ(r.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(r.error().message().find("shortened"), std::string::npos) << r.error().message();
}

TEST_F(SavedCheckpointTest, RewrittenLogWithTheSameOriginIsDetected) {
  // Everything rewritten and re-signed by a key the attacker holds, the
  // origin kept: only the saved checkpoint tells.
  std::string origin = SqlText(path_, "SELECT value FROM meta WHERE key = 'origin'");
  fs::remove(path_);
  auto mallory = Key("ledger");
  ASSERT_TRUE(MustOpen(path_)->Append(Events(37, 500), &mallory));
  Sql(path_, "UPDATE meta SET value = '" + origin + "' WHERE key = 'origin'; DELETE FROM checkpoints;");
  ASSERT_TRUE(MustOpen(path_)->SignCheckpoint(mallory));
  EXPECT_TRUE(VerifyLedger(path_, {}, TestClock()).has_value());
  auto r = VerifyExtends(saved_, false);
  ASSERT_FALSE(r.has_value()) << "a rewritten log extended the saved checkpoint";
  EXPECT_EQ(r.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(r.error().message().find("rewritten"), std::string::npos) << r.error().message();
}

TEST_F(SavedCheckpointTest, ReplacedOrDeletedLogIsDetected) {
  fs::remove(path_);
  auto gone = VerifyExtends(saved_, false);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code(), ErrorCode::kIntegrity) << gone.error().message();

  ASSERT_TRUE(MustOpen(path_)->Append(Events(50), &key_));  // a new log, even signed by the right key
  auto replaced = VerifyExtends(saved_);
  ASSERT_FALSE(replaced.has_value());
  EXPECT_EQ(replaced.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(replaced.error().message().find("replaced"), std::string::npos) << replaced.error().message();
}

TEST_F(SavedCheckpointTest, AlteredSavedCheckpointFailsItsSignatureCheck) {
  auto note = ParseNote(saved_.text);
  auto text = ParseCheckpointText(note->text);
  Checkpoint smaller = *text;
  smaller.size = 36;
  smaller.root = *MustOpen(path_, OpenMode::kExisting)->RootAt(36);
  std::string forged = saved_.text;
  forged.replace(0, note->text.size(), CheckpointText(smaller));
  auto r = VerifyExtends({"forged.txt", forged});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(r.error().message().find("not signed by a trusted key"), std::string::npos) << r.error().message();

  auto junk = VerifyExtends({"junk.txt", "hello\n"});
  ASSERT_FALSE(junk.has_value());
  EXPECT_EQ(junk.error().code(), ErrorCode::kInput);
}

TEST_F(SavedCheckpointTest, BundleIsCheckedAgainstTheSavedCheckpointToo) {
  ASSERT_TRUE(MustOpen(path_)->Append(Events(5, 100), &key_));
  auto bundle = MustOpen(path_, OpenMode::kExisting)->Export();
  ASSERT_TRUE(bundle.has_value());
  VerifyOptions o = Trusting(key_);
  o.extends = saved_;
  auto ok = VerifyBundle(*bundle, o);
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->extends_size, 37u);
  o.trusted_keys.clear();  // the shortened bundle below has lost its checkpoints too

  Json shortened = *bundle;
  auto& entries = shortened["entries"];
  entries.erase(entries.begin() + 30, entries.end());
  shortened.erase("root");
  Json kept = Json::array();
  for (const auto& c : shortened["checkpoints"])
    if (c["size"].get<std::uint64_t>() <= 30) kept.push_back(c);
  shortened["checkpoints"] = kept;
  ASSERT_TRUE(VerifyBundle(shortened, {}).has_value());
  auto r = VerifyBundle(shortened, o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(r.error().message().find("shortened"), std::string::npos) << r.error().message();
}

// ---------------------------------------------------------------------------
// Item 3: writes check the tail they extend; reads check what they return.

class TailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "l.db";
    auto l = MustOpen(path_);
    ASSERT_TRUE(l->Append(Events(40), &key_));    // checkpoint at 40
    ASSERT_TRUE(l->Append(Events(9, 40), nullptr));  // 40..48 unsigned
  }
  struct State {
    std::uint64_t size;
    std::string checkpoints;
    std::uint64_t bytes;
  };
  State Now() {
    return {std::stoull(SqlText(path_, "SELECT CAST(count(*) AS TEXT) FROM entries")),
            SqlText(path_, "SELECT CAST(count(*) AS TEXT) FROM checkpoints"), fs::file_size(path_)};
  }
  // Both writes refuse with an Integrity error and change nothing.
  void ExpectWritesRefused(const std::string& expect_in_message) {
    State before = Now();
    auto l = Ledger::Open(path_, OpenMode::kExisting, TestClock());
    ASSERT_TRUE(l.has_value()) << l.error().message();
    auto a = (*l)->Append(Events(1, 900), &key_);
    ASSERT_FALSE(a.has_value()) << "appended to a damaged ledger";
    EXPECT_EQ(a.error().code(), ErrorCode::kIntegrity);
    EXPECT_NE(a.error().message().find(expect_in_message), std::string::npos) << a.error().message();
    auto c = (*l)->SignCheckpoint(key_);
    ASSERT_FALSE(c.has_value()) << "signed a checkpoint over a damaged ledger";
    EXPECT_EQ(c.error().code(), ErrorCode::kIntegrity);
    State after = Now();
    EXPECT_EQ(after.size, before.size);
    EXPECT_EQ(after.checkpoints, before.checkpoints);
  }
  TempDir dir_;
  std::string path_;
  SignerKey key_ = Key();
};

TEST_F(TailTest, IntactTailTakesWrites) {
  auto l = MustOpen(path_, OpenMode::kExisting);
  ASSERT_TRUE(l->Append(Events(3, 100), &key_));
  ASSERT_TRUE(l->Append(Events(3, 200), nullptr));
  ASSERT_TRUE(l->SignCheckpoint(key_));
  auto rep = l->Verify(Trusting(key_));
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->size, 55u);
}

TEST_F(TailTest, AppendRefusesAChangedEntryAfterTheLastCheckpoint) {
  Sql(path_, "UPDATE entries SET body = replace(body, '\"n\":44', '\"n\":45') WHERE seq = 44");
  ExpectWritesRefused("entry 44:");
}

TEST_F(TailTest, AppendRefusesAnEntryRewrittenWithItsLeafHashAfterTheLastCheckpoint) {
  // Caught by the stored node over 32..47 that entry 44 completes.
  RewriteEntry(path_, 44, "\"n\":44", "\"n\":99");
  ExpectWritesRefused("entries 40..47:");
}

TEST_F(TailTest, AppendRefusesATreeRewrittenBelowTheLastCheckpoint) {
  RewriteEntry(path_, 3, "\"n\":3", "\"n\":9");
  Sql(path_, "DELETE FROM nodes");  // no stored node left to compare: the checkpoint root decides
  ExpectWritesRefused("checkpoint at size 40");
}

TEST_F(TailTest, AppendRefusesALedgerShorterThanItsLastCheckpoint) {
  Sql(path_, "DELETE FROM entries WHERE seq >= 38");
  ExpectWritesRefused("missing");
}

TEST_F(TailTest, AppendRefusesATamperedCheckpoint) {
  Sql(path_, "UPDATE checkpoints SET note = replace(note, substr(note, -20, 8), 'AAAAAAAA')");
  ExpectWritesRefused("signature");
}

TEST_F(TailTest, AppendRefusesAFileCutShortByOneByte) {
  auto size = fs::file_size(path_);
  fs::resize_file(path_, size - 1);
  auto l = Ledger::Open(path_, OpenMode::kCreate, TestClock());
  ASSERT_FALSE(l.has_value()) << "opened a ledger file cut short";
  EXPECT_EQ(l.error().code(), ErrorCode::kIntegrity);
  EXPECT_EQ(fs::file_size(path_), size - 1);
}

TEST_F(TailTest, ALedgerKeptOpenNoticesChangesBetweenItsWrites) {
  auto l = MustOpen(path_, OpenMode::kExisting);
  ASSERT_TRUE(l->Append(Events(3, 100), nullptr));  // verified up to 52 by this Ledger
  Sql(path_, "UPDATE entries SET leaf_hash = x'" + std::string(64, '0') + "' WHERE seq = 50");
  auto a = l->Append(Events(1, 200), nullptr);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), ErrorCode::kIntegrity) << a.error().message();
}

TEST_F(TailTest, ScanReportsCorruptionInsteadOfReturningTheBody) {
  Sql(path_, "UPDATE entries SET body = replace(body, '\"n\":17', '\"n\":71') WHERE seq = 17");
  auto l = MustOpen(path_, OpenMode::kExisting);
  std::vector<std::uint64_t> seen;
  auto s = l->Scan(0, 0, "", [&](const StoredEntry& e) {
    seen.push_back(e.seq);
    EXPECT_EQ(e.body.find("\"n\":71"), std::string::npos) << "handed out the corrupted body";
    return true;
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(s.error().message().find("entry 17:"), std::string::npos) << s.error().message();
  EXPECT_EQ(seen.size(), 17u);
  // A type filter does not skip the check.
  auto typed = l->Scan(10, 0, "test", [](const StoredEntry&) { return true; });
  EXPECT_FALSE(typed.has_value());
}

TEST(LedgerFailClosed, UnsignedLedgerWritesAreAnchoredOnTheHeadTheLastWriteLeft) {
  TempDir dir;
  std::string path = dir / "l.db";
  ASSERT_TRUE(MustOpen(path)->Append(Events(40), nullptr));
  ASSERT_TRUE(MustOpen(path)->Append(Events(10, 40), nullptr));
  std::string head = SqlText(path, "SELECT value FROM meta WHERE key = 'head'");
  EXPECT_EQ(head.rfind("50 ", 0), 0u) << head;

  // Newest entries removed with their nodes: the log is consistent, but not
  // the log the last write left.
  std::string cut = dir / "cut.db";
  fs::copy_file(path, cut);
  Sql(cut, "DELETE FROM entries WHERE seq >= 44; DELETE FROM nodes WHERE id = (4 << 56) + 2;");
  auto v = VerifyLedger(cut, {}, TestClock());
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message().find("entry 44: missing: the last write left 50 entries"), std::string::npos)
      << v.error().message();
  auto a = MustOpen(cut, OpenMode::kExisting)->Append(Events(1, 99), nullptr);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), ErrorCode::kIntegrity);

  // A leaf hash changed below the head, where no stored node covers it: the
  // stored tree no longer gives the head's root.
  Sql(path, "UPDATE entries SET leaf_hash = x'" + std::string(64, '1') + "' WHERE seq = 49");
  auto b = MustOpen(path, OpenMode::kExisting)->Append(Events(1, 99), nullptr);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), ErrorCode::kIntegrity) << b.error().message();
  EXPECT_EQ(SqlText(path, "SELECT value FROM meta WHERE key = 'head'"), head);
}

// ---------------------------------------------------------------------------
// Issue 13, item 7: the signed head.

TEST_F(TailTest, VerifyCountsEntriesAfterTheLastSignedCheckpoint) {
  auto rep = VerifyLedger(path_, Trusting(key_), TestClock());
  ASSERT_TRUE(rep.has_value()) << rep.error().message();
  EXPECT_EQ(rep->unsigned_entries, 9u);
  EXPECT_EQ(rep->latest_checkpoint_size, 40u);

  VerifyOptions strict = Trusting(key_);
  strict.require_signed_head = true;
  auto r = VerifyLedger(path_, strict, TestClock());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kIntegrity);
  EXPECT_NE(r.error().message().find("entries 40..48"), std::string::npos) << r.error().message();

  ASSERT_TRUE(MustOpen(path_, OpenMode::kExisting)->SignCheckpoint(key_));
  auto signed_head = VerifyLedger(path_, strict, TestClock());
  ASSERT_TRUE(signed_head.has_value()) << signed_head.error().message();
  EXPECT_EQ(signed_head->unsigned_entries, 0u);

  std::string bare = dir_ / "bare.db";
  ASSERT_TRUE(MustOpen(bare)->Append(Events(3), nullptr));
  VerifyOptions head_only;
  head_only.require_signed_head = true;
  EXPECT_EQ(ErrorOf(VerifyLedger(bare, {}, TestClock())), "");
  EXPECT_NE(ErrorOf(VerifyLedger(bare, head_only, TestClock())), "");
}

// ---------------------------------------------------------------------------
// Item 12: the first bad entry is named.

TEST(LedgerFailClosed, TamperedEntry10IsNamedNotEntry0) {
  // Entry 10 changed with its leaf hash rewritten. Leaf hashes agree with the
  // bodies, so only the stored node over 0..15 disagrees; below level 4 the
  // tree is not stored. With a signed checkpoint after every entry (each
  // batch signed), the checkpoints narrow it down to entry 10 exactly.
  TempDir dir;
  std::string path = dir / "l.db";
  auto key = Key();
  {
    auto l = MustOpen(path);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(l->Append(Events(1, i), &key));
  }
  RewriteEntry(path, 10, "\"n\":10", "\"n\":99");
  auto r = VerifyLedger(path, Trusting(key), TestClock());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find(": entry 10:"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().find("entry 0:"), std::string::npos) << r.error().message();

  // Without checkpoints inside the block, the message names the block, not
  // "entry 0" as if that entry were known to be bad.
  std::string path2 = dir / "l2.db";
  ASSERT_TRUE(MustOpen(path2)->Append(Events(20), &key));
  RewriteEntry(path2, 10, "\"n\":10", "\"n\":99");
  auto r2 = VerifyLedger(path2, Trusting(key), TestClock());
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message().find(": entries 0..15: one of these entries was changed"), std::string::npos)
      << r2.error().message();
}

// ---------------------------------------------------------------------------
// Items 8 and 12: the untyped append path.

TEST(LedgerEventBatch, ReservedTypesNameTheCommandThatRecordsThem) {
  for (const char* t : {"deploy", "incident", "change", "gate.decision", "gate.overall", "gate.anything", "gate",
                        "waiver", "approval", "canary.judgement", "Deploy", "GATE.decision"}) {
    auto c = ReservedTypeCommand(t);
    ASSERT_TRUE(c.has_value()) << t;
    EXPECT_EQ(c->find("`tollgate "), 0u) << *c;
  }
  EXPECT_NE(ReservedTypeCommand("waiver")->find("tollgate waive"), std::string::npos);
  EXPECT_NE(ReservedTypeCommand("deploy")->find("tollgate event import"), std::string::npos);
  for (const char* t : {"note", "test", "deployment-note", "gatekeeper", "canary"}) EXPECT_FALSE(ReservedTypeCommand(t)) << t;

  std::istringstream in("{\"type\":\"note\"}\n{\"type\":\"waiver\",\"finding\":\"x\"}\n");
  auto r = ReadEventBatch(in, "stdin");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInput);
  EXPECT_EQ(r.error().message().rfind("stdin:2: type \"waiver\" is reserved", 0), 0u) << r.error().message();
  EXPECT_NE(r.error().message().find("`tollgate waive`"), std::string::npos) << r.error().message();
}

TEST(LedgerEventBatch, ByteOrderMarkAndNonJsonFirstBytesAreRefusedAtTheirPosition) {
  struct Case {
    std::string input;
    std::string where;
  } cases[] = {
      {"\xEF\xBB\xBF{\"type\":\"a\"}\n", "stdin:1:1: "},
      {"{\"type\":\"a\"}\n\xEF\xBB\xBF{\"type\":\"b\"}\n", "stdin:2:1: "},
      {"  x{\"type\":\"a\"}\n", "stdin:1:3: "},
      {"[{\"type\":\"a\"}]\n", "stdin:1:1: "},
      {"", "stdin: no events"},
      {"\n  \n\r\n", "stdin: no events"},
  };
  for (const auto& c : cases) {
    std::istringstream in(c.input);
    auto r = ReadEventBatch(in, "stdin");
    ASSERT_FALSE(r.has_value()) << c.input;
    EXPECT_EQ(r.error().code(), ErrorCode::kInput);
    EXPECT_EQ(r.error().message().rfind(c.where, 0), 0u) << r.error().message();
  }
  std::istringstream ok("{\"type\":\"a\"}\r\n\n {\"type\":\"b\"}\n");
  auto r = ReadEventBatch(ok, "stdin");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->size(), 2u);
}


// Check and append in one write transaction: writers racing on one ledger,
// each recording an id only if no entry holds it yet, record every id once.
TEST(LedgerAppendChecked, RacingWritersCannotBothPassTheirCheck) {
  TempDir dir;
  const std::string path = dir / "l.db";
  constexpr int kWriters = 4, kIds = 30;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto l = Ledger::Open(path, OpenMode::kCreate, TestClock());
      if (!l) {
        ++errors;
        return;
      }
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
              return std::vector<Json>{Json{{"type", "claim"}, {"id", id}, {"by", w}}};
            },
            nullptr);
        if (!r) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto l = MustOpen(path, OpenMode::kExisting);
  ASSERT_TRUE(l);
  std::map<std::string, int> count;
  ASSERT_TRUE(l->Scan(0, 0, "", [&](const StoredEntry& e) {
    ++count[Json::parse(e.body)["id"].get<std::string>()];
    return true;
  }));
  EXPECT_EQ(count.size(), static_cast<std::size_t>(kIds));
  for (const auto& [id, n] : count) EXPECT_EQ(n, 1) << id;
  EXPECT_TRUE(l->Verify({}).has_value());
}

TEST(LedgerAppendChecked, NothingToAppendCreatesNoLedgerAndAFailedCheckWritesNothing) {
  TempDir dir;
  const std::string path = dir / "l.db";
  auto l = MustOpen(path);
  ASSERT_TRUE(l);
  auto none = l->AppendChecked([] { return Result<std::vector<Json>>(std::vector<Json>{}); }, nullptr);
  ASSERT_TRUE(none.has_value()) << none.error().message();
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(l->Append(Events(2), nullptr));
  auto refused = l->AppendChecked([]() -> Result<std::vector<Json>> { return Fail(Error::Input("duplicate")); }, nullptr);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message(), "duplicate");
  auto bad = l->AppendChecked([] { return Result<std::vector<Json>>(std::vector<Json>{Json{{"seq", 1}}}); }, nullptr);
  EXPECT_FALSE(bad.has_value());
  EXPECT_EQ(*l->Size(), 2u);
}

}  // namespace
}  // namespace tollgate::ledger
