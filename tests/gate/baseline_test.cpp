// Baselines (issue 13 §7): today's findings of a gate recorded as one signed
// event, waivers in bulk under the same authority rules; the gate then
// blocks only on new findings.
#include <gtest/gtest.h>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "gate/run_fixture.h"

namespace tollgate::gate {
namespace {

const Author kBob{"Bob", "bob@corp.example"};

Submission Findings(const Author& author, std::initializer_list<char> fps) {
  Submission s = OneFinding("payments-api", author);
  s.findings[0].clear();
  for (char c : fps) s.findings[0].push_back(HighFinding(Fp(c)));
  return s;
}

BaselineRequest Request(const std::string& expires = "2026-06-30") { return BaselineRequest{{}, "", "adoption", expires}; }

std::uint64_t LedgerSize(ledger::Ledger& l) {
  auto size = l.Size();
  EXPECT_TRUE(size.has_value());
  return size ? *size : 0;
}

// The body of the ledger entry at `seq`.
Json Entry(ledger::Ledger& l, std::uint64_t seq) {
  std::string body;
  EXPECT_TRUE(l.Scan(seq, 1, "", [&](const ledger::StoredEntry& e) {
                 body = e.body;
                 return false;
               }).has_value());
  auto j = ParseJson(body, "entry");
  EXPECT_TRUE(j.has_value());
  return j ? *j : Json();
}

TEST(Baseline, OldFindingsPassNewOnesBlockAndTheDecisionListsThem) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  auto rec = RecordBaseline(c, k, Request(), Findings(kBob, {'a', 'b'}), p.alice, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(rec.has_value()) << rec.error().message();
  ASSERT_EQ(rec->recorded.size(), 1u);
  const Baseline& b = rec->recorded[0];
  EXPECT_EQ(b.seq, 0u);
  EXPECT_EQ(b.service, "payments-api");
  EXPECT_EQ(b.role, "security");
  EXPECT_EQ(b.expires, "2026-06-30T23:59:59Z");
  ASSERT_EQ(b.findings.size(), 2u);
  EXPECT_EQ(b.findings[0].rule, "sqli");
  EXPECT_EQ(b.findings[0].file, "app/db.py");
  // The event as recorded: what a reviewer reads.
  Json event = Entry(*fx.ledger, 0);
  EXPECT_EQ(event["type"], "baseline");
  EXPECT_EQ(event["gate"], "sast");
  EXPECT_EQ(event["approver"], "alice");
  EXPECT_EQ(event["role"], "security");
  EXPECT_EQ(event["reason"], "adoption");
  EXPECT_EQ(event["count"], 2);
  EXPECT_EQ(event["findings"][1]["fingerprint"], Fp('b'));

  auto old = DecideAndRecord(c, Findings(kBob, {'a', 'b'}), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(old.has_value()) << old.error().message();
  EXPECT_FALSE(old->evaluation.blocked);
  const GateOutcome& g = old->evaluation.gates[0];
  ASSERT_EQ(g.baselined.size(), 2u);
  EXPECT_EQ(g.baselined[0].baseline_seq, 0u);
  EXPECT_TRUE(g.waived.empty()) << "baselined is not waived";
  Json payload = Entry(*fx.ledger, old->recorded.front().seq)["payload"];
  EXPECT_EQ(payload["decision"], "pass");
  EXPECT_EQ(payload["baselined_count"], 2);
  EXPECT_EQ(payload["baselined"][0], (Json{{"finding", Fp('a')}, {"baseline_seq", 0}}));
  EXPECT_EQ(payload["waived_count"], 0);
  EXPECT_EQ(payload["baselines"]["accepted"][0]["matched"], 2);
  Report r = ToReport(old->evaluation, "test");
  EXPECT_EQ(r.gates[0].decision, "pass (baselined)");
  EXPECT_EQ(r.gates[0].baselined, 2u);
  EXPECT_EQ(r.baselined_fingerprints.size(), 2u);

  auto fresh = DecideAndRecord(c, Findings(kBob, {'a', 'b', 'c'}), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(fresh.has_value());
  EXPECT_TRUE(fresh->evaluation.blocked);
  EXPECT_EQ(fresh->evaluation.gates[0].blocking_fingerprints, std::vector<std::string>{Fp('c')});
  EXPECT_EQ(fresh->evaluation.gates[0].baselined.size(), 2u);
}

TEST(Baseline, BypassNoneGatesRefuseItAndIgnoreOneInTheLedger) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(std::string(kSastConfig) + "  secrets: { scanner: secrets, fail_on: any, bypass: none }\n");
  for (const BaselineRequest& req : {Request(), BaselineRequest{{"sast", "secrets"}, "", "adoption", "2026-06-30"}}) {
    auto refused = BaselineGates(c, req, fx.clock.Now());
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().exit_code(), ExitCode::kInput);
    EXPECT_NE(refused.error().message().find("gate 'secrets' allows no bypass"), std::string::npos)
        << refused.error().message();
  }
  auto only_sast = BaselineGates(c, BaselineRequest{{"sast"}, "", "adoption", "2026-06-30"}, fx.clock.Now());
  ASSERT_TRUE(only_sast.has_value()) << only_sast.error().message();
  EXPECT_EQ(only_sast->gates.size(), 1u);

  // One got into the ledger anyway (signed by a holder of a role the gate
  // does not have): the gate ignores it and says so.
  Baseline forged;
  forged.service = "payments-api";
  forged.gate = "secrets";
  forged.findings = {BaselineEntry{Fp('a'), "sqli", "app/db.py"}};
  forged.reason = "r";
  forged.expires = "2026-06-30T23:59:59Z";
  forged.issued = "2026-06-01T00:00:00Z";
  forged = SignBaseline(forged, p.alice);
  ASSERT_TRUE(fx.ledger->Append({forged.ToEvent()}, nullptr).has_value());
  Submission s = Findings(kBob, {'b'});
  s.findings.push_back({HighFinding(Fp('a'))});
  auto run = DecideAndRecord(c, std::move(s), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  const GateOutcome& secrets = run->evaluation.gates[1];
  EXPECT_TRUE(secrets.blocked);
  EXPECT_TRUE(secrets.baselined.empty());
  ASSERT_EQ(secrets.baselines.size(), 1u);
  EXPECT_FALSE(secrets.baselines[0].accepted);
  EXPECT_NE(secrets.baselines[0].reason.find("allows no bypass"), std::string::npos);
  bool said = false;
  for (const auto& n : secrets.notes) said = said || n.find("1 baseline in the ledger ignored") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Baseline, SignerWithoutTheBypassRoleIsRefusedAndNothingIsRecorded) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  auto rec = RecordBaseline(c, k, Request(), Findings(kBob, {'a'}), p.bob, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_FALSE(rec.has_value());
  EXPECT_EQ(rec.error().exit_code(), ExitCode::kInput);
  EXPECT_NE(rec.error().message().find("'bob' holds none of the gate's bypass roles (security)"), std::string::npos)
      << rec.error().message();
  auto stranger = SignerKey::Generate("mallory");
  ASSERT_TRUE(stranger.has_value());
  EXPECT_FALSE(RecordBaseline(c, k, Request(), Findings(kBob, {'a'}), *stranger, *fx.ledger, nullptr, fx.clock.Now())
                   .has_value());
  EXPECT_EQ(LedgerSize(*fx.ledger), 0u);
}

// Four-eyes, as for waivers: the signer may not be the change's author,
// neither when recording (the author is known: the scan ran on the change)
// nor at a later gate run of a change of theirs.
TEST(Baseline, TheAuthorCannotBaselineTheirOwnChange) {
  People p;
  Fixture fx;
  Keyring k = p.Load(", identities: [\"alice@personal.example\"]");
  Config c = ParseOk(kSastConfig);
  const Author alice{"alice", "alice@personal.example"};
  auto own = RecordBaseline(c, k, Request(), Findings(alice, {'a'}), p.alice, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_FALSE(own.has_value());
  EXPECT_NE(own.error().message().find("four-eyes"), std::string::npos) << own.error().message();
  EXPECT_EQ(LedgerSize(*fx.ledger), 0u);

  ASSERT_TRUE(RecordBaseline(c, k, Request(), Findings(kBob, {'a'}), p.alice, *fx.ledger, nullptr, fx.clock.Now())
                  .has_value());
  auto later = DecideAndRecord(c, Findings(alice, {'a'}), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(later.has_value());
  EXPECT_TRUE(later->evaluation.blocked);
  ASSERT_EQ(later->evaluation.gates[0].baselines.size(), 1u);
  EXPECT_NE(later->evaluation.gates[0].baselines[0].reason.find("four-eyes"), std::string::npos);
}

TEST(Baseline, ExpiredOnesNoLongerApplyAndOtherServicesOnesAreNotMentioned) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  ASSERT_TRUE(RecordBaseline(c, k, Request("2026-06-20"), Findings(kBob, {'a'}), p.alice, *fx.ledger, nullptr,
                             fx.clock.Now())
                  .has_value());
  BaselineRequest other = Request();
  other.service = "ledger-api";
  ASSERT_TRUE(RecordBaseline(c, k, other, Findings(kBob, {'a'}), p.alice, *fx.ledger, nullptr, fx.clock.Now()).has_value());

  auto before = DecideAndRecord(c, Findings(kBob, {'a'}), &k, *fx.ledger, nullptr, At("2026-06-20T12:00:00Z"));
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->evaluation.blocked);
  auto after = DecideAndRecord(c, Findings(kBob, {'a'}), &k, *fx.ledger, nullptr, At("2026-06-21T00:00:00Z"));
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->evaluation.blocked);
  const GateOutcome& g = after->evaluation.gates[0];
  ASSERT_EQ(g.baselines.size(), 1u) << "the ledger-api baseline is not this gate's";
  EXPECT_EQ(g.baselines[0].reason, "expired 2026-06-20T23:59:59Z");
}

TEST(Baseline, ATamperedEventDoesNotCount) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  auto rec = RecordBaseline(c, k, Request(), Findings(kBob, {'a'}), p.alice, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(rec.has_value());
  // The same event with one more fingerprint slipped in.
  Json tampered = rec->recorded[0].ToEvent();
  tampered["findings"].push_back(Json{{"fingerprint", Fp('b')}, {"rule", "sqli"}, {"file", "app/db.py"}});
  ASSERT_TRUE(fx.ledger->Append({tampered}, nullptr).has_value());
  auto run = DecideAndRecord(c, Findings(kBob, {'a', 'b'}), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  const GateOutcome& g = run->evaluation.gates[0];
  EXPECT_TRUE(g.blocked);
  EXPECT_EQ(g.blocking_fingerprints, std::vector<std::string>{Fp('b')});
  ASSERT_EQ(g.baselines.size(), 2u);
  EXPECT_TRUE(g.baselines[0].accepted);
  EXPECT_FALSE(g.baselines[1].accepted);
  EXPECT_EQ(g.baselines[1].reason, "signature does not verify");
  Json payload = Entry(*fx.ledger, run->recorded.front().seq)["payload"];
  EXPECT_EQ(payload["baselines"]["refused"][0]["reason"], "signature does not verify");
  EXPECT_EQ(payload["baselines"]["refused"][0]["examples"][0]["baseline_seq"], 1);
}

TEST(Baseline, FingerprintsMatchingNoFindingAreCountedStale) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  ASSERT_TRUE(RecordBaseline(c, k, Request(), Findings(kBob, {'a', 'b', 'c'}), p.alice, *fx.ledger, nullptr,
                             fx.clock.Now())
                  .has_value());
  auto run = DecideAndRecord(c, Findings(kBob, {'a'}), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  EXPECT_FALSE(run->evaluation.blocked);
  EXPECT_EQ(run->evaluation.gates[0].stale_baselined, 2u);
  EXPECT_EQ(run->evaluation.gates[0].baselines[0].stale, 2u);
  EXPECT_EQ(Entry(*fx.ledger, run->recorded.front().seq)["payload"]["stale_baselined"], 2);
}

TEST(Baseline, BadRequestsAreInputErrorsAndTouchNothing) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  const TimePoint now = fx.clock.Now();
  struct Case {
    BaselineRequest req;
    const char* says;
  };
  for (const Case& bad : {Case{BaselineRequest{{}, "", "", "2026-06-30"}, "--reason"},
                          Case{BaselineRequest{{}, "", "r", ""}, "--expires"},
                          Case{BaselineRequest{{}, "", "r", "tomorrow"}, "'tomorrow' is not a date"},
                          Case{BaselineRequest{{"nope"}, "", "r", "90d"}, "no gate named 'nope'"},
                          Case{BaselineRequest{{}, "*", "r", "90d"}, "one service"}}) {
    auto r = RecordBaseline(c, k, bad.req, Findings(kBob, {'a'}), p.alice, *fx.ledger, nullptr, now);
    ASSERT_FALSE(r.has_value()) << bad.says;
    EXPECT_EQ(r.error().exit_code(), ExitCode::kInput);
    EXPECT_NE(r.error().message().find(bad.says), std::string::npos) << r.error().message();
  }
  // An expiry in the past is refused as for waivers.
  auto past = RecordBaseline(c, k, Request("2020-01-01"), Findings(kBob, {'a'}), p.alice, *fx.ledger, nullptr, now);
  ASSERT_FALSE(past.has_value());
  EXPECT_NE(past.error().message().find("expired 2020-01-01T23:59:59Z"), std::string::npos);
  Config no_service = ParseOk("version: 1\ngates:\n  sast: { import: s.sarif, fail_on: high, bypass: [security] }\n");
  EXPECT_FALSE(RecordBaseline(no_service, k, Request(), Findings(kBob, {'a'}), p.alice, *fx.ledger, nullptr, now)
                   .has_value());
  EXPECT_EQ(LedgerSize(*fx.ledger), 0u);
}

TEST(Baseline, ExpiryTakesADurationFromNow) {
  auto e = ParseExpiry("90d", At("2026-06-15T00:00:00Z"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, "2026-09-13T00:00:00Z");
  EXPECT_EQ(*ParseExpiry("2026-12-31", At("2026-06-15T00:00:00Z")), "2026-12-31T23:59:59Z");
  EXPECT_FALSE(ParseExpiry("-3d", At("2026-06-15T00:00:00Z")).has_value());
}

// A gate with more findings than one event holds is recorded in parts, all
// in one batch, each signed; together they baseline every finding.
TEST(Baseline, ALargeGateIsRecordedInPartsThatEachFitAnEvent) {
  People p;
  Fixture fx;
  Keyring k = p.Load();
  Config c = ParseOk(kSastConfig);
  Submission s = Findings(kBob, {});
  for (int i = 0; i < 6000; ++i) {
    Finding f = HighFinding(HexEncode(Sha256("finding " + std::to_string(i))));
    f.location.file = "src/" + std::string(100, 'd') + "/file" + std::to_string(i) + ".py";
    s.findings[0].push_back(std::move(f));
  }
  s.findings[0].back().location.file = "bad\xff name.py";  // not UTF-8: recorded with U+FFFD
  Submission again = s;
  auto rec = RecordBaseline(c, k, Request(), s, p.alice, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(rec.has_value()) << rec.error().message();
  ASSERT_GT(rec->recorded.size(), 1u);
  std::size_t total = 0;
  for (const auto& b : rec->recorded) {
    EXPECT_EQ(b.parts, rec->recorded.size());
    total += b.findings.size();
    std::string body = Entry(*fx.ledger, b.seq).dump();
    EXPECT_LT(body.size(), std::size_t{1} << 20);
  }
  EXPECT_EQ(total, 6000u);
  auto run = DecideAndRecord(c, std::move(again), &k, *fx.ledger, nullptr, fx.clock.Now());
  ASSERT_TRUE(run.has_value());
  EXPECT_FALSE(run->evaluation.blocked);
  EXPECT_EQ(run->evaluation.gates[0].baselined.size(), 6000u);
}

}  // namespace
}  // namespace tollgate::gate
