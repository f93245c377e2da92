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
  EXPECT_EQ(Tg("event change --service api --commit a1 --time 2026-03-02T06:00:00Z").code, 2);  // twice
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
  // Time going backwards on line 3 of a batch: lines 1 and 2 are not recorded either.
  Write("back.jsonl",
        R"({"type":"deploy","id":"d3","service":"api","env":"prod","commit":"a3","time":"2026-03-05T10:00:00Z"}
{"type":"incident","action":"open","id":"i1","service":"api","time":"2026-03-05T11:00:00Z"}
{"type":"deploy","id":"d4","service":"api","env":"prod","commit":"a4","time":"2026-03-05T09:00:00Z"}
)");
  auto back = Tg("event import back.jsonl");
  EXPECT_EQ(back.code, 2);
  EXPECT_NE(back.err.find("back.jsonl:3: time goes backwards"), std::string::npos) << back.err;
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
  EXPECT_EQ(Tg("event incident resolve --service api --id nope --time 2026-03-05T10:00:00Z").code, 2);
}

TEST_F(DeliveryCli, DeployChangesFromGit) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = (dir_ / "repo").string();
  auto git = [&](const std::string& args, const std::string& date = "2026-03-01T00:00:00Z") {
    return Run("GIT_AUTHOR_DATE=" + date + " GIT_COMMITTER_DATE=" + date +
               " GIT_AUTHOR_NAME=d GIT_AUTHOR_EMAIL=d@x GIT_COMMITTER_NAME=d GIT_COMMITTER_EMAIL=d@x git -C '" + repo +
               "' " + args);
  };
  ASSERT_EQ(Run("git init -q '" + repo + "'").code, 0);
  auto commit = [&](const std::string& file, const std::string& date) {
    Write("repo/" + file, date);
    EXPECT_EQ(git("add -A").code, 0);
    EXPECT_EQ(git("commit -q -m " + file, date).code, 0);
    return git("rev-parse HEAD").out.substr(0, 40);
  };
  std::string c1 = commit("svc/pay/a", "2026-01-01T00:00:00Z");  // long before: never counted
  std::string c2 = commit("svc/pay/b", "2026-03-02T06:00:00Z");
  std::string c3 = commit("svc/pay/c", "2026-03-03T08:00:00Z");
  std::string c4 = commit("svc/auth/d", "2026-03-03T09:00:00Z");
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

TEST_F(DeliveryCli, WebhookImportWithSignature) {
  fs::path corpus = fs::path(TOLLGATE_SHARED_DIR) / "corpora" / "webhooks";
  if (!fs::exists(corpus)) GTEST_SKIP() << "no webhook corpus at " << corpus;
  std::string file = (corpus / "github" / "deployment_status.json").string();
  Write("secret", "gh-secret\n");
  auto bad = Tg("event import '" + file + "' --format github --secret-file secret --signature sha256=" + std::string(64, '0'));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("does not match"), std::string::npos) << bad.err;
  EXPECT_EQ(Entries(), 0u);
  auto good = Tg("event import '" + file + "' --format github --secret-file secret --signature "
                 "sha256=9473189bfa40f9c53c3eba67a8ef5fcd7ee1df38dfe22d3f8858e8d196b9d5ff");
  ASSERT_EQ(good.code, 0) << good.err;
  Json j = Report("--env production --from 2019-05-13 --to 2019-05-20");
  EXPECT_EQ(j["services"]["Codertocat/Hello-World"]["deployments"], 1);
  // The same delivery twice is a duplicate deploy id.
  EXPECT_EQ(Tg("event import '" + file + "' --format github").code, 2);
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
  auto show = Tg("ledger show --type deploy");
  EXPECT_NE(show.out.find(R"("changes":[{"commit":"c2","time":"2026-03-03T07:00:00Z"},{"commit":"c3","time":"2026-03-03T09:00:00Z"}])"),
            std::string::npos)
      << show.out;
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
