// End-to-end: tollgate event ... and tollgate dora report on the binary.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/cli_harness.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class DeliveryCli : public tollgate::testing::CliHarness {
 protected:
  std::size_t Entries() { return LedgerEntries(); }
  Json Report(const std::string& args) {
    auto r = Tg("dora report --format json " + args);
    EXPECT_EQ(r.code, 0) << r.err;
    return Json::parse(r.out.empty() ? "{}" : r.out);
  }
  // Writes `file` in the git repository dir/repo and commits it at `date`
  // (author and committer); returns the commit id.
  std::string Commit(const std::string& file, const std::string& date) {
    auto git = [&](const std::string& args) {
      return Run("GIT_AUTHOR_DATE=" + date + " GIT_COMMITTER_DATE=" + date +
                 " GIT_AUTHOR_NAME=d GIT_AUTHOR_EMAIL=d@x GIT_COMMITTER_NAME=d GIT_COMMITTER_EMAIL=d@x git -C repo " + args);
    };
    Write("repo/" + file, date);
    EXPECT_EQ(git("add -A").code, 0);
    EXPECT_EQ(git("commit -q -m " + file).code, 0);
    return git("rev-parse HEAD").out.substr(0, 40);
  }
};

const char* const kTwoDeploys =
    R"({"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a1","status":"success","time":"2026-03-02T10:00:00Z","changes":[{"commit":"c1","time":"2026-03-02T08:00:00Z"}]}
{"type":"deploy","id":"d2","service":"api","env":"prod","commit":"a2","status":"success","time":"2026-03-04T10:00:00Z","changes":[{"commit":"c2","time":"2026-03-04T06:00:00Z"}]}
)";

TEST_F(DeliveryCli, ImportThenReport) {
  Write("ev.jsonl", kTwoDeploys);
  auto imp = Tg("event import ev.jsonl");
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_NE(imp.out.find("recorded 2 events"), std::string::npos);
  Json j = Report("--service api --env prod --from 2026-03-02 --to 2026-03-09");
  EXPECT_EQ(j["overall"]["deployments"], 2);
  EXPECT_EQ(j["overall"]["deploys_per_week"], 2.0);  // 2 in 7 days
  EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 3.0);  // 2 h and 4 h
  EXPECT_EQ(j["overall"]["lead_time_hours"]["p90"], 3.8);     // 2 + 0.9 * 2
  EXPECT_EQ(j["overall"]["change_failure_rate"], 0.0);
  EXPECT_TRUE(j["overall"]["time_to_restore_hours"]["median"].is_null());
  EXPECT_EQ(j["services"]["api"]["deployments"], 2);
  EXPECT_EQ(j["overall"]["stage"], "Basic");  // 2/week Basic; 3 h Advanced; 0% Platform
  auto csv = Tg("dora report --from 2026-03-02 --to 2026-03-09 --format csv");
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_NE(csv.out.find("2026-03-02T00:00:00Z,2026-03-09T00:00:00Z,api,2,2,0,2,3,3.8,0,,0,Basic,High"), std::string::npos)
      << csv.out;
  auto text = Tg("dora report --from 2026-03-02 --to 2026-03-09 --by week");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("overall"), std::string::npos);
}

TEST_F(DeliveryCli, CommandsRecordDeploysAndIncidents) {
  ASSERT_EQ(Tg("event deploy --service api --env prod --commit a1 --time 2026-03-02T10:00:00Z --id d1 "
               "--change c1@2026-03-02T07:00:00Z")
                .code,
            0);
  ASSERT_EQ(Tg("event deploy --service api --env prod --commit a2 --time 2026-03-03T10:00:00Z --status failure").code, 0);
  // A pushed commit, then a deploy of it: its changes come from the recorded change.
  ASSERT_EQ(Tg("event change --service api --commit a1 --time 2026-03-02T06:00:00Z --ref refs/heads/main").code, 0);
  auto again = Tg("event change --service api --commit a1 --time 2026-03-02T06:00:00Z");  // a replay
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, "recorded 0 events; 1 already recorded (not recorded again)\n");
  EXPECT_EQ(Tg("event change --service api --commit a1 --time 2026-03-02T06:30:00Z").code, 2);  // another time
  auto open = Tg("event incident open --service api --id i1 --caused-by d1 --time 2026-03-02T12:00:00Z");
  ASSERT_EQ(open.code, 0) << open.err;
  ASSERT_EQ(Tg("event incident resolve --service api --id i1 --time 2026-03-02T12:45:00Z").code, 0);
  Json j = Report("--from 2026-03-02 --to 2026-03-09");
  EXPECT_EQ(j["overall"]["deployments"], 1);
  EXPECT_EQ(j["overall"]["deploy_attempts"], 2);
  EXPECT_EQ(j["overall"]["change_failure_rate"], 1.0);  // d1 by caused_by, the other by status
  EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 3.0);
  EXPECT_EQ(j["overall"]["time_to_restore_hours"]["median"], 0.75);
  // The ledger holds the events in their documented form.
  auto show = Tg("ledger show --type incident");
  EXPECT_NE(show.out.find(R"("action":"open","caused_by":"d1","id":"i1","seq":3,"service":"api","time":"2026-03-02T12:00:00Z","type":"incident")"),
            std::string::npos)
      << show.out;
}

TEST_F(DeliveryCli, BadInputExits2AndWritesNothing) {
  Write("ev.jsonl", kTwoDeploys);
  ASSERT_EQ(Tg("event import ev.jsonl").code, 0);
  ASSERT_EQ(Entries(), 2u);
  // Malformed line 2: nothing of line 1 is recorded.
  Write("bad.jsonl",
        R"({"type":"deploy","id":"d3","service":"api","env":"prod","commit":"a3","time":"2026-03-05T10:00:00Z"}
{"type":"deploy","id":"d4","service":"api" "env":"prod"}
)");
  auto bad = Tg("event import bad.jsonl");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err.rfind("tollgate: bad.jsonl:2:", 0), 0u) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1);
  // A recorded deploy id with other content on line 3 of a batch: lines 1
  // and 2 are not recorded either.
  Write("other.jsonl",
        R"({"type":"deploy","id":"d3","service":"api","env":"prod","commit":"a3","time":"2026-03-05T10:00:00Z"}
{"type":"incident","action":"open","id":"i1","service":"api","time":"2026-03-05T11:00:00Z"}
{"type":"deploy","id":"d1","service":"api","env":"prod","commit":"a4","time":"2026-03-02T10:00:00Z"}
)");
  auto other = Tg("event import other.jsonl");
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("other.jsonl:3: deploy \"d1\" is already recorded (ledger entry 0) with another service, "
                           "environment, commit, status or time"),
            std::string::npos)
      << other.err;
  // Resolved before opened.
  Write("res.csv",
        "type,action,id,service,time\nincident,open,i1,api,2026-03-05T11:00:00Z\nincident,resolve,i1,api,2026-03-05T10:00:00Z\n");
  auto res = Tg("event import res.csv");
  EXPECT_EQ(res.code, 2);
  EXPECT_NE(res.err.find("res.csv:3: incident \"i1\" resolved at"), std::string::npos) << res.err;
  EXPECT_EQ(Entries(), 2u);
  // Reports with bad flags.
  EXPECT_EQ(Tg("dora report --service nobody --from 2026-03-01 --to 2026-03-09").code, 2);
  EXPECT_EQ(Tg("dora report --from 2026-03-09 --to 2026-03-01").code, 2);
  EXPECT_EQ(Tg("dora report --from 2026-03-01").code, 2);
  EXPECT_EQ(Tg("dora report --window 90x").code, 2);
  EXPECT_EQ(Tg("dora report --window 30d --from 2026-03-01 --to 2026-03-09").code, 2);
  EXPECT_EQ(Tg("event import missing.jsonl").code, 2);
  EXPECT_EQ(Entries(), 2u);
  // A resolve may come before its open: recorded, and listed by reports
  // until the open arrives.
  EXPECT_EQ(Tg("event incident resolve --service api --id nope --time 2026-03-05T10:00:00Z").code, 0);
  Json j = Report("--from 2026-03-01 --to 2026-03-09");
  EXPECT_EQ(j["problems"]["count"], 1);
  EXPECT_EQ(j["problems"]["entries"][0]["entry"], 2);
}

TEST_F(DeliveryCli, DeployChangesFromGit) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  ASSERT_EQ(Run("git init -q repo").code, 0);
  std::string c1 = Commit("svc/pay/a", "2026-01-01T00:00:00Z");  // long before: never counted
  std::string c2 = Commit("svc/pay/b", "2026-03-02T06:00:00Z");
  std::string c3 = Commit("svc/pay/c", "2026-03-03T08:00:00Z");
  std::string c4 = Commit("svc/auth/d", "2026-03-03T09:00:00Z");
  auto first = Tg("event deploy --service pay --env prod --commit " + c2 +
                  " --time 2026-03-02T10:00:00Z --repo repo --path svc/pay");
  ASSERT_EQ(first.code, 0) << first.err;
  auto second = Tg("event deploy --service pay --env prod --commit " + c4 +
                   " --time 2026-03-03T10:00:00Z --repo repo --path svc/pay");
  ASSERT_EQ(second.code, 0) << second.err;
  Json j = Report("--from 2026-03-02 --to 2026-03-09");
  // The first deploy's lead time is unknown (not 60 days from c1); the
  // second ships c3 only (c4 is another service's path): 2 h.
  EXPECT_EQ(j["overall"]["deployments"], 2);
  EXPECT_EQ(j["overall"]["lead_time_hours"]["unknown_deploys"], 1);
  EXPECT_EQ(j["overall"]["lead_time_hours"]["changes"], 1);
  EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 2.0);
  (void)c1;
}

// Issue 16: deploys recorded with --repo out of order (a backfill) give the
// report of the sorted order. c2, c3, c4 deployed by d1, d2, d3: d1 is the
// first (unknown), d2 ships c3 (2 h), d3 ships c4 (3 h).
TEST_F(DeliveryCli, DeployChangesFromGitInAnyOrder) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  ASSERT_EQ(Run("git init -q repo").code, 0);
  Commit("a", "2026-01-01T00:00:00Z");
  std::vector<std::string> deploys = {
      "--id d1 --time 2026-03-02T10:00:00Z --commit " + Commit("b", "2026-03-02T06:00:00Z"),
      "--id d2 --time 2026-03-03T10:00:00Z --commit " + Commit("c", "2026-03-03T08:00:00Z"),
      "--id d3 --time 2026-03-04T10:00:00Z --commit " + Commit("d", "2026-03-04T07:00:00Z"),
  };
  std::string expected;
  int n = 0;
  for (std::vector<std::size_t> order : {std::vector<std::size_t>{0, 1, 2}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}}) {
    std::string ledger = "order" + std::to_string(n++) + ".db";
    for (std::size_t k : order) {
      auto r = Tg("event deploy --service pay --env prod --repo repo --ledger " + ledger + " " + deploys[k]);
      ASSERT_EQ(r.code, 0) << r.err;
    }
    auto report = Tg("dora report --format json --from 2026-03-02 --to 2026-03-09 --ledger " + ledger);
    ASSERT_EQ(report.code, 0) << report.err;
    if (expected.empty()) {
      expected = report.out;
      Json j = Json::parse(report.out);
      EXPECT_EQ(j["overall"]["lead_time_hours"]["unknown_deploys"], 1);
      EXPECT_EQ(j["overall"]["lead_time_hours"]["changes"], 2);
      EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 2.5);
    } else {
      EXPECT_EQ(report.out, expected) << "order " << order[0] << order[1] << order[2];
    }
  }
}

TEST_F(DeliveryCli, WebhookImportWithSignature) {
  fs::path corpus = fs::path(TOLLGATE_SHARED_DIR) / "corpora" / "webhooks";
  if (!fs::exists(corpus)) GTEST_SKIP() << "no webhook corpus at " << corpus;
  std::string file = (corpus / "github" / "deployment_status.json").string();
  Write("secret", "gh-secret\n");
  auto bad = Tg("event import '" + file + "' --format github --secret-file secret --signature sha256=" + std::string(64, '0'));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("does not match"), std::string::npos) << bad.err;
  EXPECT_EQ(Entries(), 0u);
  // Issue 14 item 1, through the binary: an empty signature (what a server
  // passes for a missing header), a secret without a signature, an empty
  // secret file, a GitLab token that is empty: each is refused, exit 2,
  // nothing recorded.
  auto empty_sig = Tg("event import '" + file + "' --format github --secret-file secret --signature ''");
  EXPECT_EQ(empty_sig.code, 2) << empty_sig.err;
  auto no_sig = Tg("event import '" + file + "' --format github --secret-file secret");
  EXPECT_EQ(no_sig.code, 2) << no_sig.err;
  Write("empty-secret", "");
  auto empty_secret = Tg("event import '" + file + "' --format github --secret-file empty-secret --signature "
                         "sha256=" + std::string(64, '0'));
  EXPECT_EQ(empty_secret.code, 2) << empty_secret.err;
  fs::path gitlab = corpus / "gitlab";
  if (fs::exists(gitlab)) {
    for (const auto& e : fs::directory_iterator(gitlab)) {
      auto empty_token = Tg("event import '" + e.path().string() + "' --format gitlab --secret-file secret --signature ''");
      EXPECT_EQ(empty_token.code, 2) << e.path() << ": " << empty_token.err;
      break;
    }
  }
  EXPECT_EQ(Entries(), 0u);
  auto good = Tg("event import '" + file + "' --format github --secret-file secret --signature "
                 "sha256=9473189bfa40f9c53c3eba67a8ef5fcd7ee1df38dfe22d3f8858e8d196b9d5ff");
  ASSERT_EQ(good.code, 0) << good.err;
  Json j = Report("--env production --from 2019-05-13 --to 2019-05-20");
  EXPECT_EQ(j["services"]["Codertocat/Hello-World"]["deployments"], 1);
  // Providers retry: the same delivery twice is recorded once.
  auto replay = Tg("event import '" + file + "' --format github");
  EXPECT_EQ(replay.code, 0) << replay.err;
  EXPECT_EQ(replay.out, "recorded 0 events; 1 already recorded (not recorded again)\n");
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(DeliveryCli, PushedChangesBecomeTheNextDeploysChanges) {
  Write("ev.jsonl",
        R"({"type":"change","service":"api","commit":"c1","time":"2026-03-02T06:00:00Z"}
{"type":"deploy","id":"d1","service":"api","env":"prod","commit":"c1","time":"2026-03-02T10:00:00Z"}
{"type":"change","service":"api","commit":"c2","time":"2026-03-03T07:00:00Z"}
{"type":"change","service":"api","commit":"c3","time":"2026-03-03T09:00:00Z"}
{"type":"deploy","id":"d2","service":"api","env":"prod","commit":"c3","time":"2026-03-03T10:00:00Z"}
)");
  auto imp = Tg("event import ev.jsonl");
  ASSERT_EQ(imp.code, 0) << imp.err;
  // d1 is the first deploy: unknown; d2 ships c2 (3 h) and c3 (1 h).
  Json j = Report("--from 2026-03-02 --to 2026-03-09");
  EXPECT_EQ(j["overall"]["lead_time_hours"]["unknown_deploys"], 1);
  EXPECT_EQ(j["overall"]["lead_time_hours"]["changes"], 2);
  EXPECT_EQ(j["overall"]["lead_time_hours"]["median"], 2.0);
  // The deploys are recorded as they came: reports derive their changes from
  // the pushes, whatever order the events arrived in.
  auto show = Tg("ledger show --type deploy");
  EXPECT_EQ(show.out.find("changes"), std::string::npos) << show.out;
}

TEST_F(DeliveryCli, LevelsCanBeOverridden) {
  Write("ev.jsonl", kTwoDeploys);
  ASSERT_EQ(Tg("event import ev.jsonl").code, 0);
  auto levels = Tg("dora levels");
  ASSERT_EQ(levels.code, 0);
  Json table = Json::parse(levels.out);
  table["version"] = "strict-1";
  table["maturity"]["metrics"]["deployment_frequency"]["bands"][3]["min"] = 3;  // Basic needs 3 a week
  Write("levels.json", table.dump());
  Json j = Report("--from 2026-03-02 --to 2026-03-09 --levels levels.json");
  EXPECT_EQ(j["levels_version"], "strict-1");
  EXPECT_EQ(j["overall"]["stages"]["deployment_frequency"], "Below Basic");
  Write("broken.json", "{\"version\": 1}");
  EXPECT_EQ(Tg("dora report --from 2026-03-02 --to 2026-03-09 --levels broken.json").code, 2);
}

}  // namespace
