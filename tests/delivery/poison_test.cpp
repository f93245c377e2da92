// Issue 14 item 8: DORA recording could be broken permanently while the
// ledger still verified: one `{"type":"deploy","bogus":true}` appended around
// the import checks, two deploys of one service with the same id, or
// overlapping ids from two imports made every later `event ...` and `dora
// report`, for every service, exit 2. Now such entries are skipped and listed
// (count, ledger entry, reason) in the report's "problems".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "ledger/ledger.h"
#include "support/cli_harness.h"

namespace {

using Json = nlohmann::json;

class Poisoning : public tollgate::testing::CliHarness {
 protected:
  // Appends JSON Lines through the ledger library itself: `ledger append`
  // refuses the typed events a poisoner would use.
  void AppendDirectly(const std::string& jsonl) {
    tollgate::SystemClock clock;
    auto l = tollgate::ledger::Ledger::Open(ledger_, tollgate::ledger::OpenMode::kCreate, clock);
    ASSERT_TRUE(l) << l.error().message();
    std::vector<tollgate::Json> events;
    std::size_t pos = 0;
    while (pos < jsonl.size()) {
      std::size_t nl = jsonl.find('\n', pos);
      std::string line = jsonl.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? jsonl.size() : nl + 1;
      if (!line.empty()) events.push_back(tollgate::Json::parse(line));
    }
    auto r = (*l)->Append(std::move(events), nullptr);
    ASSERT_TRUE(r) << r.error().message();
  }
  Json Report(const std::string& args = "--from 2026-03-01 --to 2026-03-09") {
    auto r = Tg("dora report --format json " + args);
    EXPECT_EQ(r.code, 0) << r.err;
    return Json::parse(r.out.empty() ? "{}" : r.out);
  }
};

TEST_F(Poisoning, BogusDeployAppendedAroundTheChecksIsSkippedAndReported) {
  AppendDirectly(R"({"type":"deploy","bogus":true})" "\n");
  // Before the fix: every later command exited 2 ("ledger entry 0: missing ...").
  auto deploy = Tg("event deploy --service api --env prod --commit a1 --time 2026-03-02T10:00:00Z --id d1 "
                   "--change c1@2026-03-02T08:00:00Z");
  ASSERT_EQ(deploy.code, 0) << deploy.err;
  EXPECT_EQ(deploy.out, "recorded 1 event (ledger entries 1..1)\n");
  EXPECT_NE(deploy.err.find("1 delivery entry of the ledger cannot be used and was skipped"), std::string::npos)
      << deploy.err;
  ASSERT_EQ(Tg("event incident open --service api --id i1 --caused-by d1 --time 2026-03-02T11:00:00Z").code, 0);
  Json j = Report();
  EXPECT_EQ(j["overall"]["deployments"], 1);
  EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 2.0);
  EXPECT_EQ(j["overall"]["change_failure_rate"], 1.0);
  EXPECT_EQ(j["problems"]["count"], 1);
  EXPECT_EQ(j["problems"]["entries"][0]["entry"], 0);
  // (The ledger stamps the time of an event without one.)
  EXPECT_EQ(j["problems"]["entries"][0]["reason"], "missing or empty \"id\", \"service\", \"env\", \"commit\"");
  // Every format lists it.
  auto text = Tg("dora report --from 2026-03-01 --to 2026-03-09");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("problems: 1 delivery entry of the ledger could not be used and was skipped:\n"
                          "  entry 0: missing or empty \"id\", \"service\", \"env\", \"commit\"\n"),
            std::string::npos)
      << text.out;
  auto csv = Tg("dora report --from 2026-03-01 --to 2026-03-09 --format csv");
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_NE(csv.out.find("\n\nentry,problem\n0,\"missing or empty \"\"id\"\", \"\"service\"\", \"\"env\"\", "
                         "\"\"commit\"\"\"\n"),
            std::string::npos)
      << csv.out;
  // The ledger itself is intact.
  EXPECT_EQ(Tg("ledger verify").code, 0);
}

TEST_F(Poisoning, TwoDeploysOfOneServiceWithTheSameId) {
  // As two concurrent `event deploy` runs could write them before check and
  // append were one transaction.
  AppendDirectly(
      R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","time":"2026-03-02T10:00:00Z","changes":[]})" "\n"
      R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a2","time":"2026-03-02T11:00:00Z","changes":[]})" "\n"
      R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","time":"2026-03-02T10:00:00Z","changes":[]})" "\n");
  ASSERT_EQ(Tg("event deploy --service web --env prod --commit w1 --time 2026-03-03T10:00:00Z --id w1").code, 0);
  Json j = Report();
  EXPECT_EQ(j["services"]["api"]["deployments"], 1);  // the first d1; the conflicting one is skipped
  EXPECT_EQ(j["services"]["web"]["deployments"], 1);
  EXPECT_EQ(j["problems"]["count"], 2);
  EXPECT_EQ(j["problems"]["entries"][0]["entry"], 1);
  EXPECT_NE(j["problems"]["entries"][0]["reason"].get<std::string>().find(
                "deploy \"d1\" is already recorded (ledger entry 0) with another service"),
            std::string::npos)
      << j["problems"];
  EXPECT_EQ(j["problems"]["entries"][1]["entry"], 2);
  EXPECT_EQ(j["problems"]["entries"][1]["reason"], "the same deploy as an earlier entry: counted once");
  // The id stays taken: recording it again with other content is refused.
  auto again = Tg("event deploy --service api --env prod --commit a3 --time 2026-03-04T10:00:00Z --id d1");
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("event deploy: deploy \"d1\" is already recorded (ledger entry 0)"), std::string::npos)
      << again.err;
}

TEST_F(Poisoning, OverlappingIdsFromTwoImports) {
  Write("a.jsonl",
        R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","time":"2026-03-02T10:00:00Z"}
{"type":"deploy","id":"d2","service":"api","env":"prod","commit":"a2","time":"2026-03-03T10:00:00Z"}
)");
  Write("b.jsonl",
        R"({"type":"deploy","id":"d2","service":"api","env":"prod","commit":"a2","time":"2026-03-03T10:00:00Z"}
{"type":"deploy","id":"d3","service":"api","env":"prod","commit":"a3","time":"2026-03-04T10:00:00Z"}
)");
  ASSERT_EQ(Tg("event import a.jsonl").code, 0);
  auto b = Tg("event import b.jsonl");
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(b.out, "recorded 1 event (ledger entries 2..2); 1 already recorded (not recorded again)\n");
  // The same id with other content is refused, naming the line.
  Write("c.jsonl",
        R"({"type":"deploy","id":"d4","service":"api","env":"prod","commit":"a4","time":"2026-03-05T10:00:00Z"}
{"type":"deploy","id":"d3","service":"web","env":"prod","commit":"a3","time":"2026-03-04T10:00:00Z"}
)");
  auto c = Tg("event import c.jsonl");
  EXPECT_EQ(c.code, 2);
  EXPECT_EQ(c.err.rfind("tollgate: c.jsonl:2: deploy \"d3\" is already recorded (ledger entry 2)", 0), 0u) << c.err;
  // If overlapping imports got in anyway (a raw append, or a race before the
  // fix), reports still work for every service.
  AppendDirectly(
      R"({"type":"deploy","id":"d3","service":"web","env":"prod","commit":"a3","time":"2026-03-04T10:00:00Z"})" "\n");
  Json j = Report();
  EXPECT_EQ(j["services"]["api"]["deployments"], 3);
  EXPECT_FALSE(j["services"].contains("web"));
  EXPECT_EQ(j["problems"]["count"], 1);
  EXPECT_EQ(j["problems"]["entries"][0]["entry"], 3);
}

TEST_F(Poisoning, IncidentsThatCannotBeUsedAreCountedAsProblemsNotFatal) {
  AppendDirectly(
      R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","time":"2026-03-02T10:00:00Z","changes":[]})" "\n"
      R"({"type":"incident","action":"open","id":"i1","service":"api","time":"2026-03-02T09:00:00Z","caused_by":"d1"})" "\n"
      R"({"type":"incident","action":"resolve","id":"i1","service":"api","time":"2026-03-02T08:00:00Z"})" "\n"
      R"({"type":"incident","action":"open","id":"i2","service":"pager-name","time":"2026-03-02T12:00:00Z"})" "\n"
      R"({"type":"incident","action":"open","id":"i3","service":"api","time":"2026-03-02T12:00:00Z","caused_by":"nope"})" "\n"
      R"({"type":"incident","action":"resolve","id":"i3","service":"api","time":"2026-03-02T13:00:00Z"})" "\n");
  Json j = Report();
  // i1: caused by a later deploy (ignored), resolved before opened (skipped):
  // open and unresolved. i2: no such service. i3: an unknown cause, 1 h.
  EXPECT_EQ(j["overall"]["time_to_restore_hours"]["incidents"], 2);
  EXPECT_EQ(j["overall"]["time_to_restore_hours"]["unresolved"], 1);
  EXPECT_EQ(j["overall"]["time_to_restore_hours"]["median"], 1.0);
  EXPECT_EQ(j["overall"]["change_failure_rate"], 0.0);
  ASSERT_EQ(j["problems"]["count"], 4) << j["problems"];
  std::vector<int> entries;
  for (const auto& p : j["problems"]["entries"]) entries.push_back(p["entry"]);
  EXPECT_EQ(entries, (std::vector<int>{1, 2, 3, 4}));
}

}  // namespace
