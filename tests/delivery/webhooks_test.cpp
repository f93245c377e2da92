// Real provider payloads (../shared/corpora/webhooks, read in place) and each
// provider's authentication scheme as SIGNING.md there documents it.
#include "delivery/webhooks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support.h"

namespace tollgate::delivery {
namespace {

namespace fs = std::filesystem;
using testing::T;

fs::path Corpus() { return fs::path(TOLLGATE_SHARED_DIR) / "corpora" / "webhooks"; }

#define REQUIRE_CORPUS()                                                                              \
  if (!fs::exists(Corpus())) GTEST_SKIP() << "no webhook corpus at " << Corpus() << " (../shared absent)"

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<ImportResult> Import(const std::string& rel, ImportFormat f, const std::string& service = "") {
  ImportOptions o;
  o.format = f;
  o.service = service;
  return ReadImportFile((Corpus() / rel).string(), o);
}

TEST(GithubPayloads, DeploymentStatusIsADeployWithTheEventsEnvironment) {
  REQUIRE_CORPUS();
  auto r = Import("github/deployment_status.json", ImportFormat::kGithub);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->events.size(), 1u);
  const DeployEvent& d = r->events[0].deploy;
  EXPECT_EQ(r->events[0].kind, Event::Kind::kDeploy);
  EXPECT_EQ(d.id, "github:145988746");
  EXPECT_EQ(d.service, "Codertocat/Hello-World");
  EXPECT_EQ(d.env, "production");
  EXPECT_EQ(d.commit, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
  EXPECT_TRUE(d.success);
  EXPECT_EQ(d.time, T("2019-05-15T15:20:55Z"));
  EXPECT_FALSE(d.changes);  // unknown until git supplies them
}

TEST(GithubPayloads, NonFinalAndFailedStatesAndOtherEvents) {
  REQUIRE_CORPUS();
  auto payload = ParseJson(Slurp(Corpus() / "github/deployment_status.json"), "ds");
  ASSERT_TRUE(payload);
  Json failed = *payload;
  failed["deployment_status"]["state"] = "error";
  auto f = EventsFromPayload(Provider::kGithub, failed, "x");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->events.size(), 1u);
  EXPECT_FALSE(f->events[0].deploy.success);
  Json pending = *payload;
  pending["deployment_status"]["state"] = "in_progress";
  auto p = EventsFromPayload(Provider::kGithub, pending, "x");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->events.empty());
  ASSERT_EQ(p->notes.size(), 1u);
  for (const char* file : {"github/push.tag-deleted.json", "github/workflow_run.json", "github/workflow_run.requested.json"}) {
    auto r = Import(file, ImportFormat::kGithub);
    ASSERT_TRUE(r) << file << ": " << r.error().message();
    EXPECT_TRUE(r->events.empty()) << file;  // no deploy is guessed from a workflow name; a deleted tag is no change
    EXPECT_EQ(r->notes.size(), 1u) << file;
  }
  // A GitLab payload is not a GitHub one.
  auto wrong = Import("gitlab/deployment.json", ImportFormat::kGithub);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().exit_code(), ExitCode::kInput);
}

TEST(GithubPayloads, PushToTheDefaultBranchRecordsChanges) {
  REQUIRE_CORPUS();
  auto r = Import("github/push.json", ImportFormat::kGithub);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->events.size(), 1u);
  const ChangeEvent& c = r->events[0].change;
  EXPECT_EQ(r->events[0].kind, Event::Kind::kChange);
  EXPECT_EQ(c.service, "Codertocat/Hello-World");
  EXPECT_EQ(c.commit, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
  EXPECT_EQ(c.time, T("2019-05-15T15:19:25Z"));
  EXPECT_EQ(c.ref, "refs/heads/master");
  // The same push to another branch records nothing.
  auto payload = ParseJson(Slurp(Corpus() / "github/push.json"), "push");
  ASSERT_TRUE(payload);
  (*payload)["ref"] = "refs/heads/feature";
  auto other = EventsFromPayload(Provider::kGithub, *payload, "push");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->events.empty());
  ASSERT_EQ(other->notes.size(), 1u);
  EXPECT_NE(other->notes[0].find("not the default branch master"), std::string::npos);
}

TEST(GitlabPayloads, PushRecordsChangesOldestFirst) {
  REQUIRE_CORPUS();
  auto r = Import("gitlab/push.json", ImportFormat::kGitlab);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->events[0].change.commit, "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327");
  EXPECT_EQ(r->events[0].change.time, T("2011-12-12T12:27:31Z"));  // +02:00
  EXPECT_EQ(r->events[1].change.commit, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(r->events[1].change.service, "mike/diaspora");
}

TEST(GitlabPayloads, DeploymentHook) {
  REQUIRE_CORPUS();
  auto r = Import("gitlab/deployment.json", ImportFormat::kGitlab);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->events.size(), 1u);
  const DeployEvent& d = r->events[0].deploy;
  EXPECT_EQ(d.id, "gitlab:15");
  EXPECT_EQ(d.service, "root/test-deployment-webhooks");
  EXPECT_EQ(d.env, "staging");
  EXPECT_EQ(d.commit, "279484c09fbe69ededfced8c1bb6e6d24616b468");  // from commit_url, not short_sha
  EXPECT_TRUE(d.success);
  EXPECT_EQ(d.time, T("2021-04-28T19:50:00Z"));  // "2021-04-28 21:50:00 +0200"
}

TEST(GitlabPayloads, PipelineDeploysOnlyFromEnvironmentJobs) {
  REQUIRE_CORPUS();
  // The corpus pipeline's production job was skipped and its staging job has
  // no environment: no deploy.
  auto r = Import("gitlab/pipeline.json", ImportFormat::kGitlab);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->events.empty());
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("production is skipped"), std::string::npos) << r->notes[0];
  // The same pipeline with its production job succeeded.
  auto payload = ParseJson(Slurp(Corpus() / "gitlab/pipeline.json"), "p");
  ASSERT_TRUE(payload);
  Json& build = (*payload)["builds"][0];
  build["status"] = "success";
  build["finished_at"] = "2016-08-12 15:26:29 UTC";
  auto ok = EventsFromPayload(Provider::kGitlab, *payload, "p");
  ASSERT_TRUE(ok) << ok.error().message();
  ASSERT_EQ(ok->events.size(), 1u);
  const DeployEvent& d = ok->events[0].deploy;
  EXPECT_EQ(d.env, "production");  // from the job's environment, not its name
  EXPECT_EQ(d.id, "gitlab:pipeline:31:380");
  EXPECT_EQ(d.commit, "bcbb5ec396a2c0f828686f14fac9b80b780504f2");
  EXPECT_EQ(d.time, T("2016-08-12T15:26:29Z"));
}

TEST(PagerDutyPayloads, TriggeredAndResolved) {
  REQUIRE_CORPUS();
  auto t = Import("pagerduty/incident.triggered.json", ImportFormat::kPagerDuty);
  ASSERT_TRUE(t) << t.error().message();
  ASSERT_EQ(t->events.size(), 1u);
  const IncidentEvent& i = t->events[0].incident;
  EXPECT_TRUE(i.open);
  EXPECT_EQ(i.id, "PFQZPSY");
  EXPECT_EQ(i.service, "pig208");
  EXPECT_EQ(i.time, T("2021-06-04T13:35:29.781Z"));
  auto r = Import("pagerduty/incident.resolved.json", ImportFormat::kPagerDuty, "payments");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_FALSE(r->events[0].incident.open);
  EXPECT_EQ(r->events[0].incident.id, "PCPZE64");
  EXPECT_EQ(r->events[0].incident.service, "payments");  // --service
}

TEST(PagerDutyPayloads, TheCorpusResolveIsOfAnotherIncident) {
  REQUIRE_CORPUS();
  // The two corpus deliveries are of different incidents: both are accepted
  // (the open of the second may arrive later), and a report skips the resolve
  // of the incident never opened, naming it.
  EventLog log(EventLog::Mode::kReport);
  DeployView d;
  d.id = "d1";
  d.service = "pig208";
  d.env = "prod";
  d.commit = "a";
  d.time = T("2021-06-04T12:00:00Z");
  ASSERT_TRUE(log.AddDeploy(d, [] { return std::string("setup"); }, T("2026-01-01")));
  std::uint64_t seq = 1;
  for (const char* f : {"pagerduty/incident.triggered.json", "pagerduty/incident.resolved.json"}) {
    auto r = Import(f, ImportFormat::kPagerDuty);
    ASSERT_TRUE(r);
    auto s = log.Add(r->events[0], r->wheres[0], T("2026-01-01"), seq++);
    EXPECT_TRUE(s) << s.error().message();
  }
  ASSERT_TRUE(log.Finish());
  ASSERT_EQ(log.problems().size(), 1u);
  EXPECT_EQ(log.problems()[0].seq, 2u);
  EXPECT_EQ(log.problems()[0].reason, "incident \"PCPZE64\" of pig208 is resolved but never opened: skipped");
  EXPECT_EQ(log.incidents().size(), 1u);
}

TEST(Payloads, BrokenJsonNamesTheFileAndLine) {
  auto r = ReadImportText("{\n  \"event\": {\n    \"id\": \n}\n", "pd.json", ImportOptions{ImportFormat::kPagerDuty, ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().rfind("pd.json:4:", 0), 0u) << r.error().message();
  auto missing = ReadImportText(R"({"event":{"event_type":"incident.triggered","occurred_at":"2021-06-04T13:35:29Z","data":{"id":"P1"}}})",
                                "pd.json", ImportOptions{ImportFormat::kPagerDuty, ""});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("pd.json:1: /event/data/service/summary is missing"), std::string::npos)
      << missing.error().message();
}

// Signatures. Expected values come from the provider's documented test vector
// or were computed independently with Python's hmac module.
TEST(Signatures, GithubDocumentedVector) {
  EXPECT_TRUE(VerifyGithubSignature("It's a Secret to Everybody", "Hello, World!",
                                    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
  EXPECT_FALSE(VerifyGithubSignature("It's a Secret to Everybody", "Hello, World?",
                                     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
  EXPECT_FALSE(VerifyGithubSignature("another secret", "Hello, World!",
                                     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
  EXPECT_FALSE(VerifyGithubSignature("It's a Secret to Everybody", "Hello, World!",
                                     "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
  EXPECT_FALSE(VerifyGithubSignature("It's a Secret to Everybody", "Hello, World!", "sha256=757107"));
}

TEST(Signatures, GithubOverACorpusBody) {
  REQUIRE_CORPUS();
  std::string body = Slurp(Corpus() / "github/deployment_status.json");
  EXPECT_TRUE(VerifyGithubSignature("gh-secret", body,
                                    "sha256=9473189bfa40f9c53c3eba67a8ef5fcd7ee1df38dfe22d3f8858e8d196b9d5ff"));
  body.back() = body.back() == '\n' ? ' ' : '\n';  // one byte changed
  EXPECT_FALSE(VerifyGithubSignature("gh-secret", body,
                                     "sha256=9473189bfa40f9c53c3eba67a8ef5fcd7ee1df38dfe22d3f8858e8d196b9d5ff"));
}

TEST(Signatures, PagerDutyAcceptsAnyOfSeveralV1Values) {
  REQUIRE_CORPUS();
  std::string body = Slurp(Corpus() / "pagerduty/incident.triggered.json");
  const std::string good = "v1=0a272bb7f30ea563b0d5bd7a3089d7dc7f8d2f5ef61a89cd0cb50a4eb0660da9";
  const std::string other = "v1=" + std::string(64, 'a');
  EXPECT_TRUE(VerifyPagerDutySignature("pd-secret", body, good));
  EXPECT_TRUE(VerifyPagerDutySignature("pd-secret", body, other + "," + good));  // a rotated secret
  EXPECT_FALSE(VerifyPagerDutySignature("pd-secret", body, other));
  EXPECT_FALSE(VerifyPagerDutySignature("pd-secret", body + " ", good));
  EXPECT_FALSE(VerifyPagerDutySignature("pd-secret", body, "sha256=" + good.substr(3)));
}

TEST(Signatures, GitlabTokenAndStandardWebhooks) {
  EXPECT_TRUE(VerifyGitlabToken("s3cret", "s3cret"));
  EXPECT_FALSE(VerifyGitlabToken("s3cret", "s3cre"));
  EXPECT_FALSE(VerifyGitlabToken("", ""));
  REQUIRE_CORPUS();
  std::string body = Slurp(Corpus() / "gitlab/deployment.json");
  const char* secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const char* id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
  const char* sig = "v1,NaImNfTrrSclc2rhw3vrWx18vkghudlJFBVbfPYZaew=";
  const std::int64_t ts = 1735689600;
  EXPECT_TRUE(VerifyStandardWebhook(secret, id, "1735689600", body, sig, ts + 10));
  EXPECT_TRUE(VerifyStandardWebhook(secret, id, "1735689600", body, std::string("v1,AAAA ") + sig, ts));
  EXPECT_FALSE(VerifyStandardWebhook(secret, id, "1735689600", body, sig, ts + 3600));  // replayed an hour later
  EXPECT_FALSE(VerifyStandardWebhook(secret, "msg_other", "1735689600", body, sig, ts));
  EXPECT_FALSE(VerifyStandardWebhook(secret, id, "1735689601", body, sig, ts));
  EXPECT_FALSE(VerifyStandardWebhook(secret, id, "1735689600", body + "x", sig, ts));
  EXPECT_FALSE(VerifyStandardWebhook("whsec_!!", id, "1735689600", body, sig, ts));
}

}  // namespace
}  // namespace tollgate::delivery
