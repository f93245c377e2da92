// Delivery events: parsing, import formats and the rules of the history.
#include <gtest/gtest.h>

#include "delivery/delivery.h"
#include "support.h"

namespace tollgate::delivery {
namespace {

using testing::AddLines;
using testing::T;

std::string ErrorOf(const Status& s) { return s ? std::string() : s.error().message(); }

template <typename R>
std::string ErrorOfResult(const R& r) {
  return r ? std::string() : r.error().message();
}

TEST(Time, FastPathAgreesWithRfc3339) {
  for (const char* s : {"2026-01-05T10:00:00Z", "2026-01-05T10:00:00.5Z", "2026-01-05T10:00:00.123Z",
                        "2026-01-05T10:00:00.123456789Z", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z"}) {
    auto fast = ParseTime(s);
    auto slow = ParseRfc3339(s);
    ASSERT_TRUE(fast && slow) << s;
    EXPECT_EQ(*fast, ToMillis(*slow)) << s;
  }
  EXPECT_EQ(T("2026-01-05T12:00:00+02:00"), T("2026-01-05T10:00:00Z"));
  EXPECT_EQ(T("2026-01-05"), T("2026-01-05T00:00:00Z"));
  EXPECT_FALSE(ParseTime("2026-02-30T00:00:00Z"));
  // Found by fuzz_delivery: a year a nanosecond clock cannot hold was taken by
  // the fast path and overflowed when formatted.
  EXPECT_FALSE(ParseTime("1013-01-05T10:00:00Z"));
  EXPECT_FALSE(ParseTime("9999-01-05T10:00:00.5Z"));
  EXPECT_FALSE(ParseTime("2026-01-05T10:00:00"));
  EXPECT_EQ(FormatTime(T("2026-01-05T10:00:00.250Z")), "2026-01-05T10:00:00.25Z");
}

TEST(EventJson, RoundTripsThroughTheLedgerForm) {
  const char* line =
      R"({"type":"deploy","id":"d1","service":"payments","env":"prod","commit":"abc","status":"failure","time":"2026-01-05T10:00:00Z","changes":[{"commit":"c1","time":"2026-01-04T10:00:00Z"}]})";
  auto e = EventFromJson(*ParseJson(line, "x"), "x");
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->kind, Event::Kind::kDeploy);
  EXPECT_FALSE(e->deploy.success);
  ASSERT_TRUE(e->deploy.changes);
  EXPECT_EQ(e->deploy.changes->at(0).time, T("2026-01-04T10:00:00Z"));
  EXPECT_EQ(ToJson(e->deploy), *ParseJson(line, "x"));
  auto i = EventFromJson(
      *ParseJson(R"({"type":"incident","action":"open","id":"i1","service":"payments","time":"2026-01-05T11:00:00Z","caused_by":"d1"})", "x"),
      "x");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->incident.caused_by, "d1");
  EXPECT_TRUE(i->incident.open);
}

TEST(EventJson, MalformedEventsAreRejectedWithTheirPlace) {
  struct Case {
    const char* json;
    const char* message;
  } cases[] = {
      {R"({"type":"deploy","id":"d1","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"})", "missing \"service\""},
      {R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"yesterday"})", "\"time\""},
      {R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z","status":"ok"})",
       "\"status\" must be"},
      {R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z","sevice":"x"})",
       "unknown member \"sevice\""},
      {R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z","changes":{}})",
       "\"changes\" must be an array"},
      {R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z","changes":[{"commit":"c","time":"2026-01-06T00:00:00Z"}]})",
       "after the deploy"},
      {R"({"type":"deploy","id":1,"service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"})",
       "\"id\" must be a string"},
      {R"({"type":"incident","action":"close","id":"i","service":"s","time":"2026-01-05T10:00:00Z"})",
       "\"action\" must be"},
      {R"({"type":"rollback","id":"i"})", "\"type\" must be"},
      {R"(["deploy"])", "must be a JSON object"},
  };
  for (const auto& c : cases) {
    auto read = ReadImportText(std::string("\n\n") + c.json + "\n", "ev.jsonl", ImportOptions{});
    ASSERT_FALSE(read) << c.json;
    EXPECT_EQ(read.error().exit_code(), ExitCode::kInput);
    EXPECT_EQ(read.error().message().rfind("ev.jsonl:3: ", 0), 0u) << read.error().message();
    EXPECT_NE(read.error().message().find(c.message), std::string::npos) << read.error().message();
  }
  auto broken = ReadImportText(
      "{\"type\":\"deploy\",\"id\":\"d\",\"service\":\"s\",\"env\":\"e\",\"commit\":\"c\",\"time\":\"2026-01-05\"}\n"
      "{\"type\": \n",
      "ev.jsonl", ImportOptions{});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message().rfind("ev.jsonl:2:", 0), 0u) << broken.error().message();
}

TEST(Csv, ReadsQuotedFieldsAndChanges) {
  const char* csv =
      "type,id,service,env,commit,status,time,changes,action,caused_by\n"
      "deploy,d1,\"pay,ments\",prod,a1,success,2026-01-05T10:00:00Z,c1@2026-01-05T08:00:00Z;c2@2026-01-04T10:00:00Z,,\n"
      "deploy,d2,\"pay,ments\",prod,a2,failure,2026-01-06T10:00:00Z,,,\n"
      "\n"
      "incident,i1,\"pay,ments\",,,,2026-01-06T11:00:00Z,,open,d2\n";
  auto r = ReadImportText(csv, "ev.csv", ImportOptions{});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->events.size(), 3u);
  EXPECT_EQ(r->events[0].deploy.service, "pay,ments");
  ASSERT_TRUE(r->events[0].deploy.changes);
  EXPECT_EQ(r->events[0].deploy.changes->size(), 2u);
  EXPECT_EQ(r->events[0].deploy.changes->at(1).commit, "c2");
  EXPECT_FALSE(r->events[1].deploy.changes);  // empty: unknown
  EXPECT_FALSE(r->events[1].deploy.success);
  EXPECT_EQ(r->events[2].incident.caused_by, "d2");
  EXPECT_EQ(r->wheres[2], "ev.csv:5");
  EventLog log;
  for (std::size_t i = 0; i < r->events.size(); ++i) ASSERT_TRUE(log.Add(r->events[i], r->wheres[i], T("2026-02-01")));
}

TEST(Csv, ErrorsNameTheLine) {
  auto bad_header = ReadImportText("type,id,colour\n", "ev.csv", ImportOptions{});
  ASSERT_FALSE(bad_header);
  EXPECT_NE(bad_header.error().message().find("ev.csv:1: unknown column \"colour\""), std::string::npos);
  auto short_row = ReadImportText(
      "type,id,service,env,commit,time\ndeploy,d1,s,prod,a,2026-01-05\ndeploy,d2\n", "ev.csv", ImportOptions{});
  ASSERT_FALSE(short_row);
  EXPECT_EQ(short_row.error().message().rfind("ev.csv:3: ", 0), 0u) << short_row.error().message();
  auto quote = ReadImportText("type,id\n\"deploy,d1\n", "ev.csv", ImportOptions{});
  ASSERT_FALSE(quote);
  EXPECT_NE(quote.error().message().find("ev.csv:2: unterminated"), std::string::npos) << quote.error().message();
  auto bad_change = ReadImportText(
      "type,id,service,env,commit,time,changes\ndeploy,d1,s,prod,a,2026-01-05T10:00:00Z,nochange\n", "ev.csv",
      ImportOptions{});
  ASSERT_FALSE(bad_change);
  EXPECT_NE(bad_change.error().message().find("ev.csv:2: changes item"), std::string::npos);
}

TEST(History, TimeGoingBackwardsIsRejectedPerServiceAndEnvironment) {
  EventLog log;
  ASSERT_TRUE(AddLines(log, R"(
{"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
{"type":"deploy","id":"d2","service":"s","env":"staging","commit":"a","time":"2026-01-04T10:00:00Z"}
{"type":"deploy","id":"d3","service":"t","env":"prod","commit":"a","time":"2026-01-03T10:00:00Z"}
{"type":"deploy","id":"d4","service":"s","env":"prod","commit":"b","time":"2026-01-05T10:00:00Z"}
)"));
  std::string err = ErrorOf(AddLines(
      log, R"({"type":"deploy","id":"d5","service":"s","env":"prod","commit":"c","time":"2026-01-05T09:59:59Z"})"));
  EXPECT_NE(err.find("events.jsonl:1: time goes backwards"), std::string::npos) << err;
  EXPECT_EQ(log.deploys().size(), 4u);
}

TEST(History, IncidentsOpenBeforeTheyResolve) {
  EventLog log;
  ASSERT_TRUE(AddLines(log, R"(
{"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
{"type":"incident","action":"open","id":"i1","service":"s","time":"2026-01-05T12:00:00Z"}
)"));
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"resolve","id":"i1","service":"s","time":"2026-01-05T11:00:00Z"})"))
                .find("resolved at 2026-01-05T11:00:00Z, before it was opened (2026-01-05T12:00:00Z)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"resolve","id":"i9","service":"s","time":"2026-01-05T13:00:00Z"})"))
                .find("never opened"),
            std::string::npos);
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"open","id":"i1","service":"s","time":"2026-01-05T13:00:00Z"})"))
                .find("already open"),
            std::string::npos);
  ASSERT_TRUE(AddLines(log, R"({"type":"incident","action":"resolve","id":"i1","service":"s","time":"2026-01-05T13:00:00Z"})"));
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"resolve","id":"i1","service":"s","time":"2026-01-05T14:00:00Z"})"))
                .find("already resolved"),
            std::string::npos);
  ASSERT_EQ(log.incidents().size(), 1u);
  EXPECT_EQ(log.incidents()[0].resolved, T("2026-01-05T13:00:00Z"));
}

TEST(History, CausedByMustNameAnEarlierDeployOfTheService) {
  EventLog log;
  ASSERT_TRUE(AddLines(log, R"(
{"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
{"type":"deploy","id":"t1","service":"t","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
)"));
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"open","id":"i1","service":"s","time":"2026-01-06T00:00:00Z","caused_by":"dx"})"))
                .find("caused_by names no recorded deploy"),
            std::string::npos);
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"open","id":"i1","service":"s","time":"2026-01-06T00:00:00Z","caused_by":"t1"})"))
                .find("is of service t"),
            std::string::npos);
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"open","id":"i1","service":"s","time":"2026-01-05T09:00:00Z","caused_by":"d1"})"))
                .find("before the deploy"),
            std::string::npos);
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"open","id":"i1","service":"nobody","time":"2026-01-06T00:00:00Z"})"))
                .find("unknown service \"nobody\""),
            std::string::npos);
  // An environment's name is not a service.
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"incident","action":"open","id":"i1","service":"prod","time":"2026-01-06T00:00:00Z"})"))
                .find("unknown service \"prod\""),
            std::string::npos);
  EXPECT_TRUE(log.incidents().empty());
}

TEST(History, DuplicateDeployIdsAndFutureEvents) {
  EventLog log;
  ASSERT_TRUE(AddLines(log, R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"})"));
  EXPECT_NE(ErrorOf(AddLines(log, R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"b","time":"2026-01-06T10:00:00Z"})"))
                .find("already recorded"),
            std::string::npos);
  // The injected clock says it is 2026-01-06 12:00: five minutes of skew are
  // tolerated, an hour is not.
  const char* now = "2026-01-06T12:00:00Z";
  EXPECT_TRUE(AddLines(log, R"({"type":"deploy","id":"d2","service":"s","env":"prod","commit":"b","time":"2026-01-06T12:04:00Z"})", now));
  std::string err =
      ErrorOf(AddLines(log, R"({"type":"deploy","id":"d3","service":"s","env":"prod","commit":"c","time":"2026-01-06T13:00:00Z"})", now));
  EXPECT_NE(err.find("is in the future"), std::string::npos) << err;
}

TEST(History, LastSuccessfulCommitIsPerServiceAndEnvironment) {
  EventLog log;
  ASSERT_TRUE(AddLines(log, R"(
{"type":"deploy","id":"d1","service":"s","env":"prod","commit":"a","time":"2026-01-05T10:00:00Z"}
{"type":"deploy","id":"d2","service":"s","env":"prod","commit":"b","status":"failure","time":"2026-01-06T10:00:00Z"}
{"type":"deploy","id":"d3","service":"s","env":"staging","commit":"c","time":"2026-01-07T10:00:00Z"}
)"));
  EXPECT_EQ(log.LastSuccessfulCommit("s", "prod"), "a");  // the failed b does not count
  EXPECT_EQ(log.LastSuccessfulCommit("s", "staging"), "c");
  EXPECT_EQ(log.LastSuccessfulCommit("t", "prod"), std::nullopt);
}

TEST(History, ChangesFromRecordedPushes) {
  EventLog log;
  ASSERT_TRUE(AddLines(log, R"(
{"type":"change","service":"s","commit":"c1","time":"2026-01-05T08:00:00Z","ref":"refs/heads/main"}
{"type":"change","service":"s","commit":"c2","time":"2026-01-05T09:00:00Z"}
{"type":"change","service":"t","commit":"c2","time":"2026-01-05T09:00:00Z"}
{"type":"change","service":"s","commit":"c3","time":"2026-01-05T09:30:00Z"}
)"));
  // No deploy yet: the first deploy's changes are unknown.
  EXPECT_EQ(log.ChangesFromLog("s", "prod", "c1"), std::nullopt);
  ASSERT_TRUE(AddLines(log, R"({"type":"deploy","id":"d1","service":"s","env":"prod","commit":"c1","time":"2026-01-05T10:00:00Z"})"));
  auto changes = log.ChangesFromLog("s", "prod", "c3");
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 2u);  // c2 and c3, not c1 (already deployed)
  EXPECT_EQ(changes->at(0).commit, "c2");
  EXPECT_EQ(changes->at(1).time, T("2026-01-05T09:30:00Z"));
  EXPECT_EQ(log.ChangesFromLog("s", "staging", "c3"), std::nullopt);  // never deployed there
  EXPECT_EQ(log.ChangesFromLog("s", "prod", "c9"), std::nullopt);     // an unknown commit
  EXPECT_TRUE(log.ChangesFromLog("s", "prod", "c1")->empty());        // a redeploy ships nothing
  std::string err = ErrorOf(AddLines(log, R"({"type":"change","service":"s","commit":"c2","time":"2026-01-05T09:00:00Z"})"));
  EXPECT_NE(err.find("already recorded"), std::string::npos) << err;
}

}  // namespace
}  // namespace tollgate::delivery
