// Issue 16: events arrive out of order (webhook retries, two providers,
// backfills). Whatever the order of arrival, and however the events are split
// into imports, the DORA report is the same: every metric is computed by event
// time, and changes derived from pushes are derived at report time.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "delivery/dora.h"
#include "delivery/record.h"
#include "ledger/ledger.h"
#include "support.h"

namespace tollgate::delivery {
namespace {

namespace fs = std::filesystem;
using testing::T;

std::string Iso(Millis ms) { return FormatTime(ms); }

// A month of delivery of three services in two environments: explicit
// changes, deploys whose changes come from recorded pushes (service "api"),
// failures, redeploys, incidents with and without caused_by, one unresolved.
// Written in time order; each line one event.
std::vector<std::string> History() {
  std::mt19937 rng(7);
  std::vector<std::pair<Millis, std::string>> lines;
  const Millis start = T("2026-02-02T00:00:00Z");
  auto at = [&](Millis t, std::string line) { lines.emplace_back(t, std::move(line)); };
  int deploy_no = 0, change_no = 0, incident_no = 0;
  for (const char* service : {"api", "web", "jobs"}) {
    for (const char* env : {"prod", "staging"}) {
      Millis t = start + static_cast<Millis>(rng() % 6) * kHour;
      std::string last_success;
      for (int k = 0; k < 14; ++k) {
        t += static_cast<Millis>(6 + rng() % 60) * kHour;
        std::string id = std::string(service) + "-" + env + "-" + std::to_string(deploy_no++);
        bool ok = rng() % 6 != 0;
        std::string commit = "c" + std::to_string(change_no);
        std::string line = R"({"type":"deploy","id":")" + id + R"(","service":")" + service + R"(","env":")" + env +
                           R"(","commit":")";
        if (std::string(service) == "api" && std::string(env) == "prod") {
          // Pushes before the deploy; the deploy carries no changes.
          int pushes = 1 + static_cast<int>(rng() % 3);
          for (int p = 0; p < pushes; ++p) {
            commit = "c" + std::to_string(change_no++);
            Millis ct = t - static_cast<Millis>(pushes - p) * kHour - static_cast<Millis>(rng() % 50) * 60000;
            at(ct, R"({"type":"change","service":"api","commit":")" + commit + R"(","time":")" + Iso(ct) + R"("})");
          }
          line += commit + R"(","status":")" + (ok ? "success" : "failure") + R"(","time":")" + Iso(t) + R"("})";
        } else {
          line += commit + R"(","status":")" + (ok ? "success" : "failure") + R"(","time":")" + Iso(t) + R"(","changes":[)";
          int n = k % 5 == 0 ? 0 : 1 + static_cast<int>(rng() % 3);
          for (int c = 0; c < n; ++c) {
            Millis ct = t - static_cast<Millis>(1 + rng() % 40) * kHour;
            line += std::string(c ? "," : "") + R"({"commit":"x)" + std::to_string(change_no++) + R"(","time":")" +
                    Iso(ct) + R"("})";
          }
          line += "]}";
        }
        at(t, line);
        if (ok) last_success = id;
        if (std::string(env) == "prod" && rng() % 4 == 0) {
          Millis open = t + static_cast<Millis>(1 + rng() % 30) * kHour;
          std::string iid = "inc-" + std::to_string(incident_no++);
          std::string cause = rng() % 2 == 0 && !last_success.empty() ? R"(,"caused_by":")" + last_success + "\"" : "";
          at(open, R"({"type":"incident","action":"open","id":")" + iid + R"(","service":")" + service +
                       R"(","time":")" + Iso(open) + "\"" + cause + "}");
          if (incident_no % 5 != 0) {
            Millis resolved = open + static_cast<Millis>(10 + rng() % 600) * 60000;
            at(resolved, R"({"type":"incident","action":"resolve","id":")" + iid + R"(","service":")" + service +
                             R"(","time":")" + Iso(resolved) + R"("})");
          }
        }
      }
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [t, l] : lines) out.push_back(std::move(l));
  return out;
}

class ArrivalOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tollgate-order-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Records `batches` (each JSON Lines) one after the other into a new
  // ledger and returns its report as JSON text.
  // With `warm`, the batches are checked as tollgate serve checks them,
  // against a history kept between batches (WarmHistory).
  std::string ReportAfter(const std::vector<std::vector<std::string>>& batches, bool warm = false) {
    WarmHistory history;
    auto l = ledger::Ledger::Open((dir_ / ("l" + std::to_string(n_++) + ".db")).string(), ledger::OpenMode::kCreate,
                                  clock_);
    EXPECT_TRUE(l) << l.error().message();
    if (!l) return "";
    for (const auto& lines : batches) {
      std::string text;
      for (const auto& line : lines) text += line + "\n";
      auto read = ReadImportText(text, "batch.jsonl", ImportOptions{});
      EXPECT_TRUE(read) << read.error().message();
      auto r = warm ? RecordEvents(**l, std::move(read->events), read->wheres, nullptr, clock_.Now(), history)
                    : RecordEvents(**l, std::move(read->events), read->wheres, RecordOptions{}, nullptr, clock_.Now());
      EXPECT_TRUE(r) << r.error().message();
    }
    EventLog log(EventLog::Mode::kReport);
    EXPECT_TRUE(LoadEvents(**l, log));
    DoraOptions o;
    o.from = T("2026-02-02");
    o.to = T("2026-03-16");
    o.by = Period::kWeek;
    auto r = ComputeDora(log, o, *BuiltinLevels());
    EXPECT_TRUE(r) << r.error().message();
    return r ? DoraToJson(*r).dump(2) : "";
  }

  FixedClock clock_{FromMillis(T("2026-04-01T00:00:00Z"))};
  fs::path dir_;
  int n_ = 0;
};

TEST_F(ArrivalOrder, ShuffledOrSplitImportsGiveTheSortedReport) {
  const std::vector<std::string> sorted = History();
  ASSERT_GT(sorted.size(), 120u);
  const std::string expected = ReportAfter({sorted});
  Json j = *ParseJson(expected, "report");
  // The fixture exercises what arrival order could change.
  EXPECT_GT(j["services"]["api"]["lead_time_hours"]["changes"].get<int>(), 20);  // derived from pushes
  EXPECT_GT(j["overall"]["failed_deployments"].get<int>(), j["overall"]["deploy_attempts"].get<int>() -
                                                                j["overall"]["deployments"].get<int>());
  EXPECT_GT(j["overall"]["time_to_restore_hours"]["unresolved"].get<int>(), 0);
  EXPECT_EQ(j["problems"]["count"], 0);
  for (unsigned seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    std::vector<std::string> shuffled = sorted;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(ReportAfter({shuffled}), expected) << "shuffled with seed " << seed;
    // Split into imports of random sizes, recorded in random order.
    std::vector<std::vector<std::string>> parts;
    for (std::size_t k = 0; k < shuffled.size();) {
      std::size_t n = 1 + rng() % 40;
      parts.emplace_back(shuffled.begin() + static_cast<std::ptrdiff_t>(k),
                         shuffled.begin() + static_cast<std::ptrdiff_t>(std::min(shuffled.size(), k + n)));
      k += n;
    }
    std::shuffle(parts.begin(), parts.end(), rng);
    EXPECT_EQ(ReportAfter(parts), expected) << "split into " << parts.size() << " imports, seed " << seed;
    EXPECT_EQ(ReportAfter(parts, true), expected) << "split, checked against a kept history, seed " << seed;
    // Backwards, and every event twice (retries): still the same.
    std::vector<std::string> twice(sorted.rbegin(), sorted.rend());
    twice.insert(twice.end(), shuffled.begin(), shuffled.end());
    EXPECT_EQ(ReportAfter({twice}), expected) << "every event twice";
  }
}

// Lead times by hand: pushes c1..c4; deploys of c1 (first: unknown), c3, c4.
// Whatever the arrival order, d2 ships c2 (3 h) and c3 (1 h), d3 ships c4 (2 h).
TEST_F(ArrivalOrder, ChangesFromPushesAreDerivedAtReportTime) {
  std::vector<std::string> events = {
      R"({"type":"change","service":"api","commit":"c1","time":"2026-03-02T06:00:00Z"})",
      R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"c1","time":"2026-03-02T10:00:00Z"})",
      R"({"type":"change","service":"api","commit":"c2","time":"2026-03-03T07:00:00Z"})",
      R"({"type":"change","service":"api","commit":"c3","time":"2026-03-03T09:00:00Z"})",
      R"({"type":"deploy","id":"d2","service":"api","env":"prod","commit":"c3","time":"2026-03-03T10:00:00Z"})",
      R"({"type":"change","service":"api","commit":"c4","time":"2026-03-04T08:00:00Z"})",
      R"({"type":"deploy","id":"d3","service":"api","env":"prod","commit":"c4","time":"2026-03-04T10:00:00Z"})",
  };
  for (int variant = 0; variant < 3; ++variant) {
    std::vector<std::string> order = events;
    if (variant == 1) std::reverse(order.begin(), order.end());
    if (variant == 2) std::rotate(order.begin(), order.begin() + 4, order.end());
    Json j = *ParseJson(ReportAfter({order}), "report");
    EXPECT_EQ(j["overall"]["lead_time_hours"]["unknown_deploys"], 1) << variant;
    EXPECT_EQ(j["overall"]["lead_time_hours"]["changes"], 3) << variant;
    EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 2.0) << variant;  // 1, 2, 3 h
  }
}

// A commit reaches production once: a later successful deploy of the stream
// whose list repeats it (git ranges computed before an earlier deploy
// arrived) does not count it again. d2 ships c2 (2 h); d3 lists c2 and c3 but
// ships only c3 (1 h); the failed d2b ships nothing.
TEST_F(ArrivalOrder, AChangeCountsForTheFirstSuccessfulDeployThatShipsIt) {
  Json j = *ParseJson(ReportAfter({{
                          R"({"type":"deploy","id":"d3","service":"api","env":"prod","commit":"c3","time":"2026-03-03T10:00:00Z","changes":[{"commit":"c2","time":"2026-03-02T08:00:00Z"},{"commit":"c3","time":"2026-03-03T09:00:00Z"}]})",
                          R"({"type":"deploy","id":"d2b","service":"api","env":"prod","commit":"c2","status":"failure","time":"2026-03-02T09:00:00Z","changes":[{"commit":"c2","time":"2026-03-02T08:00:00Z"}]})",
                          R"({"type":"deploy","id":"d2","service":"api","env":"prod","commit":"c2","time":"2026-03-02T10:00:00Z","changes":[{"commit":"c2","time":"2026-03-02T08:00:00Z"}]})",
                      }}),
                      "report");
  EXPECT_EQ(j["overall"]["lead_time_hours"]["changes"], 2);
  EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 1.5);  // 2 h and 1 h
  EXPECT_EQ(j["overall"]["deployments"], 2);
}

// The history tollgate serve keeps between batches sees what other writers
// appended in between, forgets a batch that failed, and still refuses what
// the whole history would refuse.
TEST_F(ArrivalOrder, AKeptHistorySeesOtherWritersAndForgetsFailedBatches) {
  auto path = (dir_ / "kept.db").string();
  auto served = ledger::Ledger::Open(path, ledger::OpenMode::kCreate, clock_);
  ASSERT_TRUE(served) << served.error().message();
  auto other = ledger::Ledger::Open(path, ledger::OpenMode::kCreate, clock_);  // another process's handle
  ASSERT_TRUE(other) << other.error().message();
  WarmHistory history;
  auto record = [&](ledger::Ledger& l, const std::string& text, WarmHistory* h) {
    auto read = ReadImportText(text, "batch.jsonl", ImportOptions{});
    EXPECT_TRUE(read) << read.error().message();
    return h ? RecordEvents(l, std::move(read->events), read->wheres, nullptr, clock_.Now(), *h)
             : RecordEvents(l, std::move(read->events), read->wheres, RecordOptions{}, nullptr, clock_.Now());
  };
  const std::string d1 = R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","time":"2026-03-02T10:00:00Z"})";
  const std::string d2 = R"({"type":"deploy","id":"d2","service":"api","env":"prod","commit":"a2","time":"2026-03-03T10:00:00Z"})";
  const std::string d2_other = R"({"type":"deploy","id":"d2","service":"api","env":"prod","commit":"zz","time":"2026-03-03T10:00:00Z"})";
  const std::string d3 = R"({"type":"deploy","id":"d3","service":"api","env":"prod","commit":"a3","time":"2026-03-04T10:00:00Z"})";
  const std::string bad = R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"other","time":"2026-03-02T10:00:00Z"})";

  auto r1 = record(**served, d1 + "\n", &history);
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_EQ(r1->recorded, 1u);
  // Another writer records d2 behind the server's back.
  ASSERT_TRUE(record(**other, d2 + "\n", nullptr));
  // The server's next batch sees it: the same d2 is a duplicate, another d2 is refused.
  auto dup = record(**served, d2 + "\n" + d1 + "\n", &history);
  ASSERT_TRUE(dup) << dup.error().message();
  EXPECT_EQ(dup->recorded, 0u);
  EXPECT_EQ(dup->duplicates, 2u);
  auto conflict = record(**served, d2_other + "\n", &history);
  EXPECT_FALSE(conflict) << "d2 told twice with another commit";
  // A batch that fails after its first event records nothing, and the kept
  // history forgets that event: sent again alone, it is recorded.
  auto failed = record(**served, d3 + "\n" + bad + "\n", &history);
  EXPECT_FALSE(failed);
  auto again = record(**served, d3 + "\n", &history);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->recorded, 1u) << "d3 was never committed";
  auto size = (*served)->Size();
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 3u);
}

}  // namespace
}  // namespace tollgate::delivery
