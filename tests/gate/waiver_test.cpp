// Waivers and approvals: signatures, roles, expiry and four-eyes.
#include "gate/waiver.h"

#include <gtest/gtest.h>

#include "gate/gate.h"

namespace tollgate::gate {
namespace {

using std::chrono::hours;

struct People {
  SignerKey alice = *SignerKey::Generate("alice");  // security
  SignerKey bob = *SignerKey::Generate("bob");      // developer, the author
  SignerKey mallory = *SignerKey::Generate("mallory");  // not in the keyring
  Keyring keyring;
  People() {
    std::string yaml = "keys:\n"
                       "  - {name: alice, email: alice@x.example, key: \"" + alice.verifier().ToString() + "\", roles: [security]}\n"
                       "  - {name: bob, email: bob@x.example, key: \"" + bob.verifier().ToString() + "\", roles: [developer]}\n";
    auto k = Keyring::Parse(yaml, "keys.yaml");
    EXPECT_TRUE(k.has_value()) << k.error().message();
    keyring = *k;
  }
};

TimePoint At(const char* t) { return *ParseRfc3339(t); }

Waiver MakeWaiver(const SignerKey& key, const std::string& expires = "2026-06-30T23:59:59Z") {
  Waiver w;
  w.service = "payments-api";
  w.gate = "sast";
  w.fingerprint = std::string(64, 'a');
  w.reason = "compensating control";
  w.expires = expires;
  w.issued = "2026-06-01T00:00:00Z";
  return SignWaiver(w, key);
}

const Author kBob{"Bob", "bob@x.example"};
const std::vector<std::string> kSecurity{"security"};

TEST(Waiver, AcceptedWhenSignedByRoleHolderBeforeExpiryAndNotAuthor) {
  People p;
  Verdict v = JudgeWaiver(MakeWaiver(p.alice), p.keyring, kSecurity, &kBob, At("2026-06-15T00:00:00Z"));
  EXPECT_TRUE(v.accepted) << v.reason;
}

TEST(Waiver, RefusedWhenExpired) {
  People p;
  Verdict v = JudgeWaiver(MakeWaiver(p.alice), p.keyring, kSecurity, &kBob, At("2026-06-30T23:59:59Z"));
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reason.find("expired"), std::string::npos) << v.reason;
}

TEST(Waiver, RefusedWhenSignerIsTheAuthor) {
  People p;
  Author alice_author{"Alice", "ALICE@x.example"};
  Verdict v = JudgeWaiver(MakeWaiver(p.alice), p.keyring, kSecurity, &alice_author, At("2026-06-15T00:00:00Z"));
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reason.find("four-eyes"), std::string::npos) << v.reason;
}

TEST(Waiver, RefusedWhenAuthorUnknown) {
  People p;
  Author unknown;
  Verdict v = JudgeWaiver(MakeWaiver(p.alice), p.keyring, kSecurity, &unknown, At("2026-06-15T00:00:00Z"));
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reason.find("unknown"), std::string::npos);
}

TEST(Waiver, RefusedWithoutBypassRole) {
  People p;
  Verdict v = JudgeWaiver(MakeWaiver(p.bob), p.keyring, kSecurity, &kBob, At("2026-06-15T00:00:00Z"));
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reason.find("bypass roles"), std::string::npos) << v.reason;
}

TEST(Waiver, RefusedWhenKeyNotInKeyring) {
  People p;
  Verdict v = JudgeWaiver(MakeWaiver(p.mallory), p.keyring, kSecurity, &kBob, At("2026-06-15T00:00:00Z"));
  EXPECT_FALSE(v.accepted);
  EXPECT_NE(v.reason.find("not in the keyring"), std::string::npos);
}

TEST(Waiver, RefusedWhenAnyFieldChangedAfterSigning) {
  People p;
  Waiver w = MakeWaiver(p.alice);
  for (int field = 0; field < 4; ++field) {
    Waiver t = w;
    if (field == 0) t.fingerprint[0] = 'b';
    if (field == 1) t.expires = "2099-01-01T00:00:00Z";
    if (field == 2) t.gate = "secrets";
    if (field == 3) t.approver = "bob";
    Verdict v = JudgeWaiver(t, p.keyring, kSecurity, &kBob, At("2026-06-15T00:00:00Z"));
    EXPECT_FALSE(v.accepted) << field;
  }
}

TEST(Waiver, EventRoundTrip) {
  People p;
  Waiver w = MakeWaiver(p.alice);
  Json e = w.ToEvent();
  EXPECT_EQ(e["type"], "waiver");
  auto back = Waiver::FromEvent(e);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->SigningText(), w.SigningText());
  EXPECT_EQ(back->signature, w.signature);
  e.erase("signature");
  EXPECT_FALSE(Waiver::FromEvent(e).has_value());
}

TEST(Waiver, ExpiryDateMeansThroughThatDay) {
  EXPECT_EQ(*ParseExpiry("2026-12-31"), "2026-12-31T23:59:59Z");
  EXPECT_EQ(*ParseExpiry("2026-12-31T08:00:00+01:00"), "2026-12-31T07:00:00Z");
  EXPECT_FALSE(ParseExpiry("next week").has_value());
  EXPECT_FALSE(ParseExpiry("2026-02-30").has_value());
}

TEST(Approval, FourEyes) {
  People p;
  Approval a;
  a.commit = "abc123";
  a.issued = "2026-06-01T00:00:00Z";
  Approval by_bob = SignApproval(a, p.bob);
  Approval by_alice = SignApproval(a, p.alice);
  EXPECT_FALSE(JudgeApproval(by_bob, p.keyring, kBob, true).accepted);
  EXPECT_TRUE(JudgeApproval(by_bob, p.keyring, kBob, false).accepted);
  EXPECT_TRUE(JudgeApproval(by_alice, p.keyring, kBob, true).accepted);
  by_alice.commit = "def456";
  EXPECT_FALSE(JudgeApproval(by_alice, p.keyring, kBob, true).accepted);
}

TEST(Keyring, Errors) {
  People p;
  auto bad_yaml = Keyring::Parse("keys: [", "k.yaml");
  ASSERT_FALSE(bad_yaml.has_value());
  EXPECT_EQ(bad_yaml.error().message().rfind("k.yaml:", 0), 0u);
  auto bad_key = Keyring::Parse("keys:\n  - {name: a, key: \"a+00000000+AQ==\"}\n", "k.yaml");
  ASSERT_FALSE(bad_key.has_value());
  EXPECT_EQ(bad_key.error().message().rfind("k.yaml:2:", 0), 0u) << bad_key.error().message();
  auto wrong_name = Keyring::Parse("keys:\n  - {name: eve, key: \"" + p.alice.verifier().ToString() + "\"}\n", "k.yaml");
  ASSERT_FALSE(wrong_name.has_value());
  EXPECT_NE(wrong_name.error().message().find("named 'alice'"), std::string::npos);
  auto unknown = Keyring::Parse("keys:\n  - {name: a, pgp: x}\n", "k.yaml");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("unknown key 'pgp'"), std::string::npos);
}

// Evaluate: thresholds, waivers, bypass none and approvals together.
TEST(Evaluate, ThresholdsWaiversAndBypassNone) {
  People p;
  auto config = ParseConfig(R"(gates:
  secrets: { import: s.sarif, fail_on: any, bypass: none }
  sast: { import: x.sarif, fail_on: high, bypass: [security] }
approvals: { required: 1 }
)",
                            "tollgate.yaml");
  ASSERT_TRUE(config.has_value());
  Finding high{"R1", "", Severity::kHigh, "m", {}, std::string(64, 'a'), "", {}, "t"};
  Finding medium{"R2", "", Severity::kMedium, "m", {}, std::string(64, 'c'), "", {}, "t"};
  Finding secret{"S1", "", Severity::kLow, "m", {}, std::string(64, 'd'), "", {}, "t"};

  EvaluationInput in;
  in.config = &*config;
  in.findings = {{secret}, {high, medium}};
  in.keyring = &p.keyring;
  in.author = kBob;
  in.commit = "abc";
  in.now = At("2026-06-15T00:00:00Z");
  in.scope.service = "payments-api";  // the waivers' service

  Evaluation e0 = Evaluate(in);
  EXPECT_TRUE(e0.blocked);
  EXPECT_TRUE(e0.gates[0].blocked);
  EXPECT_EQ(e0.gates[1].blocking, 1u);  // medium is below fail_on

  Waiver on_secret = MakeWaiver(p.alice);
  on_secret.gate = "secrets";
  on_secret.fingerprint = secret.fingerprint;
  on_secret = SignWaiver(on_secret, p.alice);
  in.waivers = {MakeWaiver(p.alice), on_secret};
  Approval ap;
  ap.commit = "abc";
  ap.issued = "2026-06-01T00:00:00Z";
  in.approvals = {SignApproval(ap, p.alice)};

  Evaluation e1 = Evaluate(in);
  EXPECT_TRUE(e1.gates[0].blocked) << "a gate with bypass: none ignores waivers";
  ASSERT_EQ(e1.gates[0].waivers.size(), 1u);
  EXPECT_FALSE(e1.gates[0].waivers[0].accepted);
  EXPECT_NE(e1.gates[0].waivers[0].reason.find("no bypass"), std::string::npos);
  EXPECT_FALSE(e1.gates[1].blocked);
  EXPECT_EQ(e1.gates[1].waived, std::vector<std::string>{high.fingerprint});
  EXPECT_TRUE(e1.approvals.satisfied());
  EXPECT_TRUE(e1.blocked);

  in.findings[0].clear();
  Evaluation e2 = Evaluate(in);
  EXPECT_FALSE(e2.blocked);

  // The decision events carry fingerprints and counts, never messages.
  auto events = DecisionEvents(e2);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1]["payload"]["decision"], "pass");
  EXPECT_EQ(events[2]["type"], "gate.overall");
  EXPECT_EQ(events[2]["payload"]["decision"], "pass");
  for (const auto& ev : events) EXPECT_EQ(ev.dump().find("\"m\""), std::string::npos);
}

TEST(Evaluate, ApprovalsNeedDistinctNonAuthors) {
  People p;
  auto config = ParseConfig("gates:\n  a: { import: x, bypass: none }\napprovals: { required: 2 }\n", "t.yaml");
  ASSERT_TRUE(config.has_value());
  Approval ap;
  ap.commit = "abc";
  ap.issued = "2026-06-01T00:00:00Z";
  EvaluationInput in;
  in.config = &*config;
  in.findings = {{}};
  in.keyring = &p.keyring;
  in.author = kBob;
  in.commit = "abc";
  in.approvals = {SignApproval(ap, p.alice), SignApproval(ap, p.alice), SignApproval(ap, p.bob)};
  Evaluation e = Evaluate(in);
  EXPECT_EQ(e.approvals.valid, 1);
  EXPECT_TRUE(e.blocked);
}

}  // namespace
}  // namespace tollgate::gate
