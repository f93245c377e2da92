// Issue 14 item 8, issue 16: two imports racing on one ledger could both
// pass their checks (each read the history, then appended), recording the
// same deploy twice. Check and append are now one write transaction
// (Ledger::AppendChecked, SQLite BEGIN IMMEDIATE): whatever the interleaving,
// every event is recorded once and the ledger verifies.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "delivery/dora.h"
#include "delivery/record.h"
#include "ledger/ledger.h"
#include "support/cli_harness.h"

namespace {

using Json = nlohmann::json;

// Deploys [first, first + n) of one service, an hour apart.
std::string Deploys(int first, int n) {
  std::string out;
  for (int k = first; k < first + n; ++k) {
    std::string hh = std::to_string(k % 24), day = std::to_string(1 + k / 24);
    if (hh.size() < 2) hh = "0" + hh;
    if (day.size() < 2) day = "0" + day;
    out += R"({"type":"deploy","id":"d)" + std::to_string(k) + R"(","service":"api","env":"prod","commit":"c)" +
           std::to_string(k) + R"(","time":"2026-01-)" + day + "T" + hh + R"(:00:00Z","changes":[]})" + "\n";
  }
  return out;
}

class ConcurrentImports : public tollgate::testing::CliHarness {};

TEST_F(ConcurrentImports, OverlappingImportsFromSeveralProcessesRecordEachDeployOnce) {
  constexpr int kWriters = 6;
  for (int w = 0; w < kWriters; ++w) Write("f" + std::to_string(w) + ".jsonl", Deploys(w * 40, 200));
  // All at once; each writes its exit status.
  std::string script;
  for (int w = 0; w < kWriters; ++w)
    script += "(\"" + std::string(TOLLGATE_BINARY) + "\" event import f" + std::to_string(w) + ".jsonl >out" +
              std::to_string(w) + " 2>err" + std::to_string(w) + "; echo $? >rc" + std::to_string(w) + ") & ";
  ASSERT_EQ(Run("sh -c '" + script + "wait'").code, 0);  // one shell, so every writer gets the harness's environment
  for (int w = 0; w < kWriters; ++w) {
    std::string n = std::to_string(w);
    EXPECT_EQ(Slurp((dir_ / ("rc" + n)).string()), "0\n") << Slurp((dir_ / ("err" + n)).string());
  }
  EXPECT_EQ(Tg("ledger verify").code, 0);
  // 0..399, each once.
  auto show = Tg("ledger show --type deploy");
  ASSERT_EQ(show.code, 0);
  std::multiset<std::string> ids;
  std::size_t pos = 0;
  while (pos < show.out.size()) {
    std::size_t nl = show.out.find('\n', pos);
    std::string line = show.out.substr(pos, nl - pos);
    pos = nl == std::string::npos ? show.out.size() : nl + 1;
    auto brace = line.find('{');
    if (brace == std::string::npos) continue;
    ids.insert(Json::parse(line.substr(brace))["id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 40u * (kWriters - 1) + 200u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "a deploy was recorded twice";
  auto report = Tg("dora report --format json --from 2026-01-01 --to 2026-02-01");
  ASSERT_EQ(report.code, 0) << report.err;
  EXPECT_EQ(Json::parse(report.out)["problems"]["count"], 0);
}

TEST_F(ConcurrentImports, ThreadsRecordingOverlappingBatchesThroughTheLibrary) {
  constexpr int kThreads = 4, kRounds = 5;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(static_cast<std::size_t>(kThreads));
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      tollgate::FixedClock clock(*tollgate::ParseRfc3339("2026-03-01T00:00:00Z"));
      for (int round = 0; round < kRounds; ++round) {
        auto l = tollgate::ledger::Ledger::Open(ledger_, tollgate::ledger::OpenMode::kCreate, clock);
        if (!l) {
          errors[static_cast<std::size_t>(t)] = l.error().message();
          return;
        }
        auto read = tollgate::delivery::ReadImportText(Deploys(round * 30 + t * 10, 60), "t.jsonl", {});
        if (!read) {
          errors[static_cast<std::size_t>(t)] = read.error().message();
          return;
        }
        auto r = tollgate::delivery::RecordEvents(**l, std::move(read->events), read->wheres, {}, nullptr, clock.Now());
        if (!r) {
          errors[static_cast<std::size_t>(t)] = r.error().message();
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  tollgate::FixedClock clock(*tollgate::ParseRfc3339("2026-03-01T00:00:00Z"));
  auto l = tollgate::ledger::Ledger::Open(ledger_, tollgate::ledger::OpenMode::kExisting, clock);
  ASSERT_TRUE(l) << l.error().message();
  ASSERT_TRUE((*l)->Verify({}));
  tollgate::delivery::EventLog log(tollgate::delivery::EventLog::Mode::kReport);
  ASSERT_TRUE(tollgate::delivery::LoadEvents(**l, log));
  EXPECT_TRUE(log.problems().empty()) << log.problems().size() << " problems, the first: " << log.problems()[0].reason;
  EXPECT_EQ(log.deploys().size(), static_cast<std::size_t>((kRounds - 1) * 30 + (kThreads - 1) * 10 + 60));
  EXPECT_EQ((*l)->Size().value(), log.deploys().size());
}

}  // namespace
