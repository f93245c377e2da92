// `tollgate ledger ...` fails closed, end to end: exit codes, one-line
// messages, and that a refused write leaves the file as it was.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/cli_harness.h"

namespace {

namespace fs = std::filesystem;

class LedgerCli : public tollgate::testing::CliHarness {
 protected:
  static bool OneLine(const std::string& s) { return Count(s, '\n') == 1 && s.rfind("tollgate: ", 0) == 0; }
  static std::string Events(int n, int start = 0) {
    std::string s;
    for (int i = start; i < start + n; ++i) s += "{\"type\":\"test\",\"payload\":{\"n\":" + std::to_string(i) + "}}\n";
    return s;
  }
  void MakeSigned(int n) {
    ASSERT_EQ(Tg("keys gen --out k").code, 0);
    auto r = Tg("ledger append --key k", Events(n));
    ASSERT_EQ(r.code, 0) << r.err;
  }
};

TEST_F(LedgerCli, LedgerTruncatedToZeroBytesFailsVerifyAndRefusesAppend) {
  MakeSigned(20);
  fs::resize_file(ledger_, 0);
  auto v = Tg("ledger verify --trusted-key k.pub");
  EXPECT_EQ(v.code, 3) << v.out << v.err;
  EXPECT_TRUE(OneLine(v.err)) << v.err;
  EXPECT_EQ(Tg("ledger verify").code, 3);
  auto a = Tg("ledger append", Events(1));
  EXPECT_EQ(a.code, 3) << "the next append started a new log: " << a.out;
  EXPECT_EQ(fs::file_size(ledger_), 0u);
  EXPECT_EQ(Tg("ledger show").code, 3);
}

TEST_F(LedgerCli, LedgerInitCreatesAnEmptyLedgerOnce) {
  ASSERT_EQ(Tg("keys gen --out k").code, 0);
  auto init = Tg("ledger init --key k");
  ASSERT_EQ(init.code, 0) << init.err;
  EXPECT_NE(init.out.find("tollgate/ledger/"), std::string::npos) << init.out;
  auto v = Tg("ledger verify --trusted-key k.pub");
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find(": 0 entries"), std::string::npos) << v.out;
  auto again = Tg("ledger init");
  EXPECT_EQ(again.code, 2);
  EXPECT_TRUE(OneLine(again.err)) << again.err;

  // Without a key the empty ledger has no checkpoint: a trusted key fails it.
  ASSERT_EQ(Tg("ledger init --ledger bare.db").code, 0);
  EXPECT_EQ(Tg("ledger verify --ledger bare.db").code, 0);
  EXPECT_EQ(Tg("ledger verify --ledger bare.db --trusted-key k.pub").code, 3);
}

TEST_F(LedgerCli, FirstAppendOrImportAtANewPathStillCreatesTheLedger) {
  // The demo and contract-check rely on this (docs/ledger-format.md says why it is safe).
  auto r = Tg("ledger append --ledger fresh/new.db", Events(3));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Tg("ledger verify --ledger fresh/new.db").code, 0);
}

TEST_F(LedgerCli, VerifyCheckpointProvesTheLogExtendsASavedCheckpoint) {
  MakeSigned(30);
  auto cp = Tg("ledger checkpoint --key k");
  ASSERT_EQ(cp.code, 0) << cp.err;
  Write("cp30.txt", cp.out);
  ASSERT_EQ(Tg("ledger append --key k", Events(10, 30)).code, 0);
  auto ok = Tg("ledger verify --checkpoint cp30.txt --trusted-key k.pub");
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("extends cp30.txt"), std::string::npos) << ok.out;

  // Replaced by a new log, signed with the same key: only the saved checkpoint tells.
  fs::remove(ledger_);
  ASSERT_EQ(Tg("ledger append --key k", Events(40, 100)).code, 0);
  EXPECT_EQ(Tg("ledger verify --trusted-key k.pub").code, 0);
  auto replaced = Tg("ledger verify --checkpoint cp30.txt --trusted-key k.pub");
  EXPECT_EQ(replaced.code, 3) << replaced.out;
  EXPECT_TRUE(OneLine(replaced.err)) << replaced.err;
  EXPECT_NE(replaced.err.find("replaced"), std::string::npos) << replaced.err;

  fs::remove(ledger_);
  auto gone = Tg("ledger verify --checkpoint cp30.txt");
  EXPECT_EQ(gone.code, 3) << gone.err;
  Write("junk.txt", "not a checkpoint\n");
  EXPECT_EQ(Tg("ledger verify --checkpoint junk.txt").code, 2);
  EXPECT_EQ(Tg("ledger verify --checkpoint nope.txt").code, 2);
}

TEST_F(LedgerCli, VerifyWarnsOnUnsignedEntriesAndRequireSignedHeadFails) {
  MakeSigned(10);
  ASSERT_EQ(Tg("ledger append", Events(3, 10)).code, 0);
  auto v = Tg("ledger verify --trusted-key k.pub");
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.err.find("warning: 3 entries lie after the last signed checkpoint (at size 10)"), std::string::npos) << v.err;
  auto strict = Tg("ledger verify --trusted-key k.pub --require-signed-head");
  EXPECT_EQ(strict.code, 3);
  EXPECT_TRUE(OneLine(strict.err)) << strict.err;
  EXPECT_NE(strict.err.find("entries 10..12"), std::string::npos) << strict.err;
  ASSERT_EQ(Tg("ledger checkpoint --key k").code, 0);
  auto signed_head = Tg("ledger verify --trusted-key k.pub --require-signed-head");
  EXPECT_EQ(signed_head.code, 0) << signed_head.err;
  EXPECT_EQ(signed_head.err, "");
}

TEST_F(LedgerCli, WritesRefuseADamagedLedgerAndShowReportsIt) {
  MakeSigned(40);
  ASSERT_EQ(Tg("ledger append", Events(5, 40)).code, 0);
  // A body changed after the last checkpoint, in place in the file, as a
  // disk or an editor would: the leaf hash no longer matches.
  std::string bytes = Slurp(ledger_);
  auto at = bytes.find("\"n\":42}");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 5] = '7';
  Write("ledger.db", bytes);
  auto before = Slurp(ledger_);
  auto a = Tg("ledger append --key k", Events(1, 99));
  EXPECT_EQ(a.code, 3) << a.out;
  EXPECT_TRUE(OneLine(a.err)) << a.err;
  EXPECT_NE(a.err.find("entry 42:"), std::string::npos) << a.err;
  EXPECT_EQ(Tg("ledger checkpoint --key k").code, 3);
  EXPECT_EQ(Slurp(ledger_), before) << "a refused write changed the file";
  auto show = Tg("ledger show");
  EXPECT_EQ(show.code, 3);
  EXPECT_NE(show.err.find("entry 42:"), std::string::npos) << show.err;
  EXPECT_EQ(show.out.find("\"n\":47"), std::string::npos) << "printed the corrupted body";
  EXPECT_EQ(Count(show.out, '\n'), 42u);
}

TEST_F(LedgerCli, LedgerCutShortByOneByteRefusesAppend) {
  MakeSigned(40);
  auto size = fs::file_size(ledger_);
  fs::resize_file(ledger_, size - 1);
  auto a = Tg("ledger append --key k", Events(1, 99));
  EXPECT_EQ(a.code, 3) << a.out;
  EXPECT_TRUE(OneLine(a.err)) << a.err;
  EXPECT_EQ(fs::file_size(ledger_), size - 1);
  EXPECT_EQ(Tg("ledger verify").code, 3);
}

TEST_F(LedgerCli, LedgerPathThatIsADirectoryIsBadInput) {
  fs::create_directories(dir_ / "d.db");
  for (const char* cmd : {"ledger verify --ledger d.db", "ledger show --ledger d.db", "ledger init --ledger d.db"}) {
    auto r = Tg(cmd);
    EXPECT_EQ(r.code, 2) << cmd << ": " << r.err;
    EXPECT_TRUE(OneLine(r.err)) << r.err;
  }
  auto a = Tg("ledger append --ledger d.db", Events(1));
  EXPECT_EQ(a.code, 2) << a.err;
}

TEST_F(LedgerCli, AppendRefusesByteOrderMarkNonJsonAndEmptyInput) {
  auto bom = Tg("ledger append", "\xEF\xBB\xBF{\"type\":\"a\"}\n");
  EXPECT_EQ(bom.code, 2);
  EXPECT_EQ(bom.err.rfind("tollgate: stdin:1:1: ", 0), 0u) << bom.err;
  auto junk = Tg("ledger append", "#{\"type\":\"a\"}\n");
  EXPECT_EQ(junk.code, 2);
  EXPECT_EQ(junk.err.rfind("tollgate: stdin:1:1: ", 0), 0u) << junk.err;
  auto empty = Tg("ledger append", "");
  EXPECT_EQ(empty.code, 2);
  EXPECT_TRUE(OneLine(empty.err)) << empty.err;
  EXPECT_FALSE(fs::exists(ledger_));
}

TEST_F(LedgerCli, AppendRefusesReservedTypesNamingTheirCommand) {
  struct Case {
    const char* type;
    const char* command;
  } cases[] = {{"deploy", "tollgate event deploy"}, {"incident", "tollgate event incident"},
               {"change", "tollgate event change"}, {"gate.decision", "tollgate gate"},
               {"gate.overall", "tollgate gate"},   {"gate.custom", "tollgate gate"},
               {"waiver", "tollgate waive"},        {"approval", "tollgate approve"},
               {"canary.judgement", "tollgate canary judge"}};
  for (const auto& c : cases) {
    auto r = Tg("ledger append", "{\"type\":\"note\"}\n{\"type\":\"" + std::string(c.type) + "\"}\n");
    EXPECT_EQ(r.code, 2) << c.type;
    EXPECT_TRUE(OneLine(r.err)) << r.err;
    EXPECT_EQ(r.err.rfind("tollgate: stdin:2: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.command), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(ledger_));
}

}  // namespace
