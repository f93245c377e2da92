// The gate end to end through the library (gate/run.h), as the CLI and the
// server run it: configuration discovery, waivers scoped to a service,
// four-eyes across a person's identities, inline suppressions without
// authority, and decision events that stay bounded whatever the input.
#include "gate/run.h"

#include <gtest/gtest.h>

#include "gate/run_fixture.h"
#include "support/temp_dir.h"

#include <filesystem>
#include <fstream>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "ledger/ledger.h"

namespace tollgate::gate {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;

using tollgate::testing::TempDir;

TEST(GateRun, ParseAuthorForms) {
  Author a = ParseAuthor("Alice Smith <alice@corp.example>");
  EXPECT_EQ(a.name, "Alice Smith");
  EXPECT_EQ(a.email, "alice@corp.example");
  EXPECT_EQ(ParseAuthor("alice@corp.example").email, "alice@corp.example");
  EXPECT_EQ(ParseAuthor("Alice").name, "Alice");
}

TEST(GateRun, ConfigIsFoundInTheNearestParentUpToTheRepositoryRoot) {
  TempDir d;
  d.Write("repo/.git/HEAD", "ref: refs/heads/main\n");
  d.Write("repo/svc/tollgate.yaml", kSastConfig);
  d.Write("repo/svc/src/deep/file.py", "x = 1\n");
  std::string root = (d.path() / "repo/svc/src/deep").string();
  std::string note;
  auto c = LoadRepoConfig(&root, "", &note);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->service, "payments-api");
  EXPECT_EQ(fs::path(root), d.path() / "repo/svc");
  EXPECT_NE(note.find("tollgate.yaml"), std::string::npos);

  // Above the repository root nothing is looked for: a tollgate.yaml there is
  // another project's.
  TempDir e;
  e.Write("tollgate.yaml", kSastConfig);
  e.Write("repo/.git/HEAD", "ref: refs/heads/main\n");
  e.Write("repo/src/a.py", "x = 1\n");
  std::string inner = (e.path() / "repo/src").string();
  auto dflt = LoadRepoConfig(&inner, "");
  ASSERT_TRUE(dflt.has_value());
  EXPECT_TRUE(dflt->path.empty()) << "took " << dflt->path;
  EXPECT_EQ(inner, (e.path() / "repo/src").string());
}

// Issue 14 item 4: a second e-mail address must not let the author waive.
TEST(GateRun, FourEyesMatchesEveryIdentityOfAPerson) {
  People p;
  Keyring k = p.Load(", identities: [\"Alice S. <alice@personal.example>\"]");
  const KeyringEntry* alice = k.FindByKey(p.alice.verifier().ToString());
  ASSERT_NE(alice, nullptr);
  auto m = SamePerson(Author{"alice", "alice@personal.example"}, *alice, k);
  ASSERT_TRUE(m.has_value());
  EXPECT_NE(m->find("alice@personal.example"), std::string::npos) << *m;
  EXPECT_TRUE(SamePerson(Author{"  ALICE   s. ", "someone@else.example"}, *alice, k).has_value());
  // Another person of the keyring is not alice.
  EXPECT_FALSE(SamePerson(Author{"Bob", "bob@corp.example"}, *alice, k).has_value());
}

TEST(GateRun, FourEyesIsConservativeForAnAuthorTheKeyringDoesNotKnow) {
  People p;
  Keyring k = p.Load();  // no identities listed
  const KeyringEntry* alice = k.FindByKey(p.alice.verifier().ToString());
  ASSERT_NE(alice, nullptr);
  // Same local part at another domain, with a +tag: refused.
  auto m = SamePerson(Author{"A. Smith", "Alice+ci@personal.example"}, *alice, k);
  ASSERT_TRUE(m.has_value());
  EXPECT_NE(m->find("local part"), std::string::npos) << *m;
  // Same display name, unknown address: refused.
  EXPECT_TRUE(SamePerson(Author{"Alice", "x@y.example"}, *alice, k).has_value());
  // A stranger: not alice.
  EXPECT_FALSE(SamePerson(Author{"Mallory", "mallory@evil.example"}, *alice, k).has_value());
}

TEST(GateRun, AuthorsOwnWaiverUnderASecondAddressIsRefusedAtTheGate) {
  People p;
  Fixture fx;
  Config c = ParseOk(kSastConfig);
  Keyring k = p.Load(", identities: [\"alice@personal.example\"]");
  auto w = RecordWaiver(c, k, WaiverRequest{"", false, "", "", "sast", Fp('a'), "compensating control", "2026-06-30"},
                        p.alice, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(w.has_value()) << w.error().message();
  auto run = DecideAndRecord(c, OneFinding("payments-api", Author{"alice", "alice@personal.example"}), &k, *fx.ledger,
                             nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_TRUE(run->evaluation.blocked);
  ASSERT_EQ(run->evaluation.gates[0].waivers.size(), 1u);
  EXPECT_NE(run->evaluation.gates[0].waivers[0].reason.find("four-eyes"), std::string::npos);
  EXPECT_NE(run->evaluation.gates[0].waivers[0].reason.find("alice@personal.example"), std::string::npos);
}

// Issue 14 item 5: a waiver recorded for one service does not pass another
// service's gate that shares the ledger.
TEST(GateRun, WaiversApplyOnlyToTheirService) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config payments = ParseOk(kSastConfig);
  std::string other_yaml = kSastConfig;
  other_yaml.replace(other_yaml.find("payments-api"), 12, "ledger-api");
  Config other = ParseOk(other_yaml);
  auto w = RecordWaiver(payments, k, WaiverRequest{"", false, "", "", "sast", Fp('a'), "WAF rule", "2026-06-30"},
                        p.alice, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(w.has_value()) << w.error().message();
  EXPECT_EQ(w->service, "payments-api");

  auto here = DecideAndRecord(payments, OneFinding("payments-api", Author{"Bob", "bob@corp.example"}), &k, *fx.ledger,
                              nullptr, fx.clock.Now());
  ASSERT_TRUE(here.has_value());
  EXPECT_FALSE(here->evaluation.blocked);
  auto there = DecideAndRecord(other, OneFinding("ledger-api", Author{"Bob", "bob@corp.example"}), &k, *fx.ledger,
                               nullptr, fx.clock.Now());
  ASSERT_TRUE(there.has_value());
  EXPECT_TRUE(there->evaluation.blocked);
  ASSERT_EQ(there->evaluation.gates[0].waivers.size(), 1u);
  EXPECT_NE(there->evaluation.gates[0].waivers[0].reason.find("payments-api"), std::string::npos);
}

TEST(GateRun, WaiverForAllServicesNeedsTheAdminRole) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  WaiverRequest all{"", true, "", "", "sast", Fp('a'), "fleet-wide false positive", "2026-06-30"};
  auto refused = RecordWaiver(c, k, all, p.alice, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("admin"), std::string::npos);
  auto ok = RecordWaiver(c, k, all, p.root, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->service, "*");
  std::string other_yaml = kSastConfig;
  other_yaml.replace(other_yaml.find("payments-api"), 12, "ledger-api");
  auto run = DecideAndRecord(ParseOk(other_yaml), OneFinding("ledger-api", Author{"Bob", "bob@corp.example"}), &k,
                             *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  EXPECT_FALSE(run->evaluation.blocked);
}

TEST(GateRun, WaiverWithoutAServiceIsRefusedWhenRecorded) {
  People p;
  Fixture fx;
  Config c = ParseOk("version: 1\ngates:\n  sast: { import: s.sarif, fail_on: high, bypass: [security] }\n");
  auto w = RecordWaiver(c, p.Load(), WaiverRequest{"", false, "", "", "sast", Fp('a'), "r", "2026-06-30"}, p.alice,
                        *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message().find("service"), std::string::npos);
  auto size = fx.ledger->Size();
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(*size, 0u);
}

TEST(GateRun, FingerprintPrefixResolvesAgainstRecordedFindings) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  std::string fp = "1c4fd5bd" + std::string(56, 'e');
  auto run = DecideAndRecord(c, OneFinding("payments-api", Author{"Bob", "bob@corp.example"}, fp), &k, *fx.ledger,
                             nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  auto w = RecordWaiver(c, k, WaiverRequest{"", false, "", "", "sast", "1c4fd5bd", "r", "2026-06-30"}, p.alice,
                        *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(w.has_value()) << w.error().message();
  EXPECT_EQ(w->fingerprint, fp);
  auto none = RecordWaiver(c, k, WaiverRequest{"", false, "", "", "sast", "deadbeef", "r", "2026-06-30"}, p.alice,
                           *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().exit_code(), ExitCode::kInput);
  auto short_prefix = ValidateWaiverRequest(c, WaiverRequest{"", false, "", "", "sast", "1c4fd5", "r", "2026-06-30"});
  EXPECT_FALSE(short_prefix.has_value());
}

// Issue 14 item 9: 16,000 distinct blocking findings and 8,000 junk waivers
// must not make the decision event too large to record.
TEST(GateRun, DecisionEventsStayBoundedAndRecordable) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  // 8,000 waivers for one fingerprint whose signatures do not verify.
  Waiver junk;
  junk.service = "payments-api";
  junk.gate = "sast";
  junk.fingerprint = HexEncode(Sha256("finding 0"));
  junk.reason = "x";
  junk.expires = "2026-06-30T23:59:59Z";
  junk.issued = "2026-06-01T00:00:00Z";
  junk = SignWaiver(junk, p.alice);
  junk.signature = junk.signature.substr(0, 10) + "AAAA" + junk.signature.substr(14);
  for (int batch = 0; batch < 8; ++batch) {
    std::vector<Json> events(1000, junk.ToEvent());
    ASSERT_TRUE(fx.ledger->Append(std::move(events), nullptr).has_value());
  }
  Submission s;
  s.service = "payments-api";
  s.commit = std::string(40, 'c');
  s.author = Author{"Bob", "bob@corp.example"};
  s.findings.emplace_back();
  for (int i = 0; i < 16000; ++i) s.findings[0].push_back(HighFinding(HexEncode(Sha256("finding " + std::to_string(i)))));
  auto run = DecideAndRecord(c, std::move(s), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_TRUE(run->evaluation.blocked);
  std::string body;
  ASSERT_TRUE(fx.ledger->Scan(run->recorded.front().seq, 1, "", [&](const ledger::StoredEntry& e) {
    body = e.body;
    return false;
  }).has_value());
  EXPECT_LT(body.size(), std::size_t{256} << 10) << "decision event of " << body.size() << " bytes";
  auto j = ParseJson(body, "entry");
  ASSERT_TRUE(j.has_value());
  const Json& payload = (*j)["payload"];
  EXPECT_EQ(payload["blocking_count"], 16000);
  EXPECT_EQ(payload["blocking"].size(), 1000u);
  ASSERT_EQ(payload["waivers"]["refused"].size(), 1u);
  EXPECT_EQ(payload["waivers"]["refused"][0]["count"], 8000);
  EXPECT_LE(payload["waivers"]["refused"][0]["examples"].size(), 5u);
}

TEST(GateRun, SuppressionCommentsAreReportedAndRecordedNotApplied) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk("version: 1\nservice: payments-api\ngates:\n  secrets: { scanner: secrets, fail_on: any, bypass: none }\n");
  Submission s = OneFinding("payments-api", Author{"Bob", "bob@corp.example"});
  s.findings[0][0].details["suppression"] = Json{{"line", 3}, {"kind", "inline"}, {"reason", "tollgate:allow comment"}};
  auto run = DecideAndRecord(c, std::move(s), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  EXPECT_TRUE(run->evaluation.blocked);
  std::string body;
  ASSERT_TRUE(fx.ledger->Scan(run->recorded.front().seq, 1, "", [&](const ledger::StoredEntry& e) {
    body = e.body;
    return false;
  }).has_value());
  auto j = ParseJson(body, "entry");
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)["payload"]["suppression_attempts"]["count"], 1);
  EXPECT_EQ((*j)["payload"]["suppression_attempts"]["items"][0]["file"], "app/db.py");
}

TEST(GateRun, WaiverMatchingNoFindingIsListedAsStale) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  ASSERT_TRUE(RecordWaiver(c, k, WaiverRequest{"", false, "", "", "sast", Fp('a'), "r", "2026-06-30"}, p.alice, *fx.ledger,
                           nullptr, fx.clock.Now())
                  .has_value());
  auto run = DecideAndRecord(c, OneFinding("payments-api", Author{"Bob", "bob@corp.example"}, Fp('b')), &k, *fx.ledger,
                             nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  const auto& g = run->evaluation.gates[0];
  EXPECT_EQ(g.stale_waivers, 1u);
  bool noted = false;
  for (const auto& n : g.notes) noted = noted || n.find("stale waiver") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace tollgate::gate
