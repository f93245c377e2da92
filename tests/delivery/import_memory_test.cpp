// Issue 14, memory proportionate to the work: `event import` of 1,000,000
// events peaked at 2.2 GB, because every checked event was kept as JSON until
// the batch was written. Each event is now written as soon as it is checked
// (Ledger::AppendStream), in the same single transaction; what remains grows
// only with the ids the checks need (bench/import-run.sh: 137 MB at 1M).
#include <gtest/gtest.h>

#include <fstream>

#include "core/time.h"
#include "support/cli_harness.h"
#include "support/memory.h"

namespace {

using tollgate::testing::PeakChildRssKb;
using tollgate::testing::RssLimitKb;
using tollgate::testing::ScaledForAsan;

// Deploys [first, first + n) of twenty services, a minute apart, each with one change.
void WriteDeploys(const std::string& path, int first, int n) {
  std::ofstream out(path, std::ios::binary);
  const auto start = *tollgate::ParseRfc3339("2026-01-01T00:00:00Z");
  for (int k = first; k < first + n; ++k) {
    const std::string t = tollgate::FormatRfc3339(start + std::chrono::minutes(k));
    const std::string changed = tollgate::FormatRfc3339(start + std::chrono::minutes(k) - std::chrono::seconds(30));
    out << R"({"type":"deploy","id":"deploy-)" << k << R"(","service":"svc-)" << k % 20
        << R"(","env":"prod","commit":"c)" << k << R"(","time":")" << t << R"(","changes":[{"commit":"c)" << k
        << R"(","time":")" << changed << R"("}]})" << '\n';
  }
}

class ImportMemory : public tollgate::testing::CliHarness {};

TEST_F(ImportMemory, LargeImportsStayInBoundedMemory) {
  // 18 MB of JSON Lines (a tenth under ASan); before the fix this import peaked near 200 MB.
  constexpr int kEvents = static_cast<int>(ScaledForAsan(100000));
  WriteDeploys((dir_ / "a.jsonl").string(), 0, kEvents);
  auto first = Tg("event import a.jsonl");
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("recorded " + std::to_string(kEvents) + " events"), std::string::npos) << first.out;

  // Into a ledger with history: half of the file was recorded already (idempotent replays), half is new.
  WriteDeploys((dir_ / "b.jsonl").string(), kEvents / 2, kEvents);
  auto second = Tg("event import b.jsonl");
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("recorded " + std::to_string(kEvents / 2) + " events"), std::string::npos) << second.out;

  EXPECT_LT(PeakChildRssKb(), RssLimitKb(80 * 1024)) << "KiB";
  auto verify = Tg("ledger verify");
  EXPECT_EQ(verify.code, 0) << verify.err;
}

}  // namespace
