// Issue 14 item 12 (delivery parts): what `tollgate event import` makes of
// awkward files. Nothing is recorded silently or from a file that is not one.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "support/cli_harness.h"

namespace {

class ImportInput : public tollgate::testing::CliHarness {};

const char* const kDeploy =
    R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","time":"2026-03-02T10:00:00Z"})";

// Before: an empty file recorded 0 events and exited 0 (`ledger append` exits 2).
TEST_F(ImportInput, EmptyFileIsAnError) {
  Write("empty.jsonl", "");
  Write("blank.jsonl", "\n  \n\t\n");
  Write("header.csv", "type,id,service,env,commit,time\n");
  Write("empty.csv", "");
  for (const char* f : {"empty.jsonl", "blank.jsonl", "header.csv", "empty.csv"}) {
    auto r = Tg(std::string("event import ") + f);
    EXPECT_EQ(r.code, 2) << f;
    EXPECT_EQ(r.err, std::string("tollgate: ") + f + ": no events (an empty file records nothing)\n") << f;
  }
  auto stdin_empty = Tg("event import - --format jsonl");
  EXPECT_EQ(stdin_empty.code, 2);
  EXPECT_EQ(LedgerEntries(), 0u);
  // Standard input with events works.
  auto piped = Tg("event import - --format jsonl", std::string(kDeploy) + "\n");
  EXPECT_EQ(piped.code, 0) << piped.err;
  EXPECT_EQ(LedgerEntries(), 1u);
}

// Before: a UTF-8 byte order mark before JSON Lines was accepted silently.
TEST_F(ImportInput, ByteOrderMarkBeforeJsonLinesIsRefused) {
  Write("bom.jsonl", "\xEF\xBB\xBF" + std::string(kDeploy) + "\n");
  auto r = Tg("event import bom.jsonl");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "tollgate: bom.jsonl:1: the file starts with a UTF-8 byte order mark, which JSON Lines must not have "
            "(save it as UTF-8 without BOM)\n");
  EXPECT_EQ(LedgerEntries(), 0u);
}

// Spreadsheets write one before CSV: it is skipped, and the import says so.
TEST_F(ImportInput, ByteOrderMarkBeforeCsvIsSkippedWithANote) {
  Write("bom.csv", "\xEF\xBB\xBFtype,id,service,env,commit,time\ndeploy,d1,api,prod,a1,2026-03-02T10:00:00Z\n");
  auto r = Tg("event import bom.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "tollgate: note: bom.csv: skipped the UTF-8 byte order mark before the CSV header\n");
  EXPECT_EQ(r.out, "recorded 1 event (ledger entries 0..0)\n");
}

// Before: CSV with invalid UTF-8 was refused as "event 1" by the ledger.
TEST_F(ImportInput, CsvWithInvalidUtf8NamesFileAndLine) {
  Write("latin1.csv",
        "type,id,service,env,commit,time\n"
        "deploy,d1,api,prod,a1,2026-03-02T10:00:00Z\n"
        "deploy,\"d2\nwith a line break\",caf\xe9,prod,a2,2026-03-03T10:00:00Z\n");
  auto r = Tg("event import latin1.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "tollgate: latin1.csv:3: field 3 is not valid UTF-8\n");
  EXPECT_EQ(LedgerEntries(), 0u);
}

// Before: `event import` blocked forever on a FIFO (ReadFileBounded and the
// streaming reader both refuse anything but a regular file, without opening
// it for blocking reads).
TEST_F(ImportInput, FifoIsRefusedWithoutBlocking) {
  const std::string fifo = (dir_ / "events.jsonl").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const char* format : {"", " --format csv", " --format github"}) {
    auto r = Run(std::string("timeout 20 '") + TOLLGATE_BINARY + "' event import events.jsonl" + format);
    EXPECT_EQ(r.code, 2) << format << ": " << r.err;  // 124 would be the timeout
    EXPECT_EQ(r.err, "tollgate: events.jsonl (events): is a FIFO, not a regular file\n") << format;
  }
  auto dir = Tg("event import .");
  EXPECT_EQ(dir.code, 2);
  EXPECT_EQ(LedgerEntries(), 0u);
}

TEST_F(ImportInput, OverlongLineIsRefusedWithItsNumber) {
  Write("long.jsonl", std::string(kDeploy) + "\n" + std::string((1 << 20) + 10, ' ') + "x\n");
  auto r = Tg("event import long.jsonl");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "tollgate: long.jsonl:2: a line longer than 1 MiB (an event is at most 1 MiB)\n");
}

}  // namespace
