// The report's read path: Ledger::ScanBodies and LoadEvents over a real
// SQLite ledger, including entries that bypassed `event import`.
#include <gtest/gtest.h>

#include <filesystem>

#include "delivery/dora.h"
#include "ledger/ledger.h"
#include "support.h"

namespace tollgate::delivery {
namespace {

namespace fs = std::filesystem;
using testing::T;

class LedgerRead : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tollgate-dora-ledger-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    auto l = ledger::Ledger::Open((dir_ / "l.db").string(), ledger::OpenMode::kCreate, clock_);
    ASSERT_TRUE(l) << l.error().message();
    ledger_ = std::move(*l);
  }
  void TearDown() override {
    ledger_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Append(const std::string& jsonl) {
    std::vector<Json> events;
    std::size_t pos = 0;
    while (pos < jsonl.size()) {
      std::size_t nl = jsonl.find('\n', pos);
      std::string line = jsonl.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? jsonl.size() : nl + 1;
      if (line.empty()) continue;
      auto j = ParseJson(line, "t");
      ASSERT_TRUE(j) << line;
      events.push_back(std::move(*j));
    }
    auto r = ledger_->Append(std::move(events), nullptr);
    ASSERT_TRUE(r) << r.error().message();
  }

  FixedClock clock_{FromMillis(T("2026-06-01T00:00:00Z"))};
  fs::path dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(LedgerRead, ScanBodiesReturnsOnlyTheAskedTypesInOrderUncopied) {
  Append(R"({"type":"gate.decision","payload":{"n":1}}
{"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
{"type":"waiver","x":1}
{"type":"incident","action":"open","id":"i1","service":"s","time":"2026-01-05T11:00:00Z"}
)");
  std::vector<std::pair<std::uint64_t, std::string>> seen;
  ASSERT_TRUE(ledger_->ScanBodies({"deploy", "incident"}, [&](std::uint64_t seq, std::string_view type, std::string_view body) {
    seen.emplace_back(seq, std::string(type));
    // The same bytes Scan returns.
    std::string expected;
    EXPECT_TRUE(ledger_->Scan(seq, 1, "", [&](const ledger::StoredEntry& e) {
      expected = e.body;
      return false;
    }));
    EXPECT_EQ(body, expected);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::pair<std::uint64_t, std::string>>{{1, "deploy"}, {3, "incident"}}));
  std::size_t n = 0;
  ASSERT_TRUE(ledger_->ScanBodies({"deploy", "incident"}, [&](std::uint64_t, std::string_view, std::string_view) {
    ++n;
    return false;  // stop early
  }));
  EXPECT_EQ(n, 1u);
  ASSERT_TRUE(ledger_->ScanBodies({}, [&](std::uint64_t, std::string_view, std::string_view) {
    ADD_FAILURE() << "no types, no entries";
    return true;
  }));
}

TEST_F(LedgerRead, LoadEventsAgreesWithTheStrictLog) {
  Append(R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z","changes":[{"commit":"c","time":"2026-01-05T08:00:00Z"}]}
{"type":"deploy","id":"d2","service":"s","env":"prod","commit":"b","status":"failure","time":"2026-01-06T10:00:00Z","source":"github"}
{"type":"incident","action":"open","id":"i1","service":"s","time":"2026-01-06T11:00:00Z","caused_by":"d1"}
{"type":"incident","action":"resolve","id":"i1","service":"s","time":"2026-01-06T11:30:00.5Z"}
)");
  for (auto mode : {EventLog::Mode::kStrict, EventLog::Mode::kReport}) {
    EventLog log(mode);
    auto s = LoadEvents(*ledger_, log);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_TRUE(log.problems().empty());
    EXPECT_EQ(log.deploy_count(), 2u);
    EXPECT_EQ(log.incident_count(), 1u);
    if (mode == EventLog::Mode::kReport) {
      ASSERT_EQ(log.deploys().size(), 2u);
      EXPECT_EQ(log.deploys()[0].seq, 0u);
      EXPECT_TRUE(log.deploys()[0].changes_known);
      EXPECT_FALSE(log.deploys()[1].changes_known);
      EXPECT_FALSE(log.deploys()[1].success);
      ASSERT_EQ(log.incidents().size(), 1u);
      EXPECT_EQ(log.incidents()[0].resolved, T("2026-01-06T11:30:00.500Z"));
      EXPECT_EQ(log.incidents()[0].open_seq, 2u);
    }
    if (mode == EventLog::Mode::kReport) continue;  // finished: it takes no more events
    // What the strict log holds, as the next events see it (it keeps it on
    // disk, so this is how to look at it).
    const Millis now = T("2026-02-01");
    Event e;
    e.kind = Event::Kind::kDeploy;
    e.deploy = DeployEvent{"d1", "s", "prod", "a", true, T("2026-01-05T10:00:00Z"),
                           std::vector<Change>{{"c", T("2026-01-05T08:00:00Z")}}, ""};
    auto same = log.Add(e, "x", now);
    ASSERT_TRUE(same) << same.error().message();
    EXPECT_EQ(*same, Added::kDuplicate);
    e.deploy.changes = std::vector<Change>{};
    auto other_changes = log.Add(e, "x", now);
    ASSERT_FALSE(other_changes);
    EXPECT_NE(other_changes.error().message().find("(ledger entry 0) with other changes"), std::string::npos);
    e.deploy = DeployEvent{"d2", "s", "prod", "b", true, T("2026-01-06T10:00:00Z"), std::nullopt, ""};
    auto other_status = log.Add(e, "x", now);
    ASSERT_FALSE(other_status);
    EXPECT_NE(other_status.error().message().find("(ledger entry 1) with another service, environment, commit, status "
                                                  "or time: s/prod failure at 2026-01-06T10:00:00Z"),
              std::string::npos)
        << other_status.error().message();
    e.kind = Event::Kind::kIncident;
    e.incident = IncidentEvent{false, "i1", "s", T("2026-01-06T12:00:00Z"), "", ""};
    auto resolved = log.Add(e, "x", now);
    ASSERT_FALSE(resolved);
    EXPECT_NE(resolved.error().message().find("already resolved (ledger entry 3, at 2026-01-06T11:30:00.5Z)"),
              std::string::npos)
        << resolved.error().message();
    e.incident = IncidentEvent{true, "i1", "s", T("2026-01-06T11:00:00Z"), "d1", ""};
    auto reopened = log.Add(e, "x", now);
    ASSERT_TRUE(reopened) << reopened.error().message();
    EXPECT_EQ(*reopened, Added::kDuplicate);
  }
  EventLog report(EventLog::Mode::kReport);
  ASSERT_TRUE(LoadEvents(*ledger_, report));
  EXPECT_EQ(report.change_times(), std::vector<Millis>{T("2026-01-05T08:00:00Z")});
  EXPECT_EQ(report.incidents()[0].caused_by, 0);
}

// Issue 14 item 8: entries that bypassed `event import` (an older `ledger
// append`, or a direct write) are skipped and listed, never fatal.
TEST_F(LedgerRead, EntriesThatBypassedImportAreSkippedAndListedByEntry) {
  Append(R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
{"type":"deploy","id":"d2","service":"s","commit":"b","time":"2026-01-06T10:00:00Z"}
{"type":"deploy","id":7,"service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
{"type":"deploy","id":"d3","service":"s","env":"prod","commit":"c","status":"maybe","time":"2026-01-07T10:00:00Z"}
{"type":"incident","action":"close","id":"i1","service":"s","time":"2026-01-07T10:00:00Z"}
{"type":"change","service":"s","time":"2026-01-07T10:00:00Z"}
)");
  for (auto mode : {EventLog::Mode::kStrict, EventLog::Mode::kReport}) {
    EventLog log(mode);
    auto s = LoadEvents(*ledger_, log);
    ASSERT_TRUE(s) << s.error().message();
    EXPECT_EQ(log.deploy_count(), 1u);
    ASSERT_EQ(log.problems().size(), 5u);
    EXPECT_EQ(log.problems()[0].seq, 1u);
    EXPECT_EQ(log.problems()[0].reason, "missing or empty \"env\"");
    EXPECT_EQ(log.problems()[1].seq, 2u);
    EXPECT_EQ(log.problems()[1].reason, "\"id\" has the wrong type");
    EXPECT_EQ(log.problems()[2].reason, "\"status\" must be \"success\" or \"failure\"");
    EXPECT_EQ(log.problems()[3].reason, "\"action\" must be \"open\" or \"resolve\"");
    EXPECT_EQ(log.problems()[4].seq, 5u);
    EXPECT_EQ(log.problems()[4].reason, "missing or empty \"commit\"");
  }
}

}  // namespace
}  // namespace tollgate::delivery
