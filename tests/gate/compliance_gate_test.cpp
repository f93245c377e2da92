// The compliance gate (`scanner: compliance`, docs/compliance.md "The
// compliance gate") over the compliance fixture ledger
// (tests/compliance/testdata/ledger.jsonl; its hand derivation is written out
// at the top of tests/compliance/compliance_test.cpp and in expected.json).
// The gates run at 2026-11-01T00:00:00Z with `period: 31d`, so they judge
// [2026-10-01, 2026-11-01), the period expected.json was derived for:
//   - sox: CM-01..CM-07 and CM-09 are not satisfied (CM-02 by deploys_gated
//     at 15, 16, 16, 16: deploy 15 rests on waiver 8 signed by the change's
//     own author, deploy 16 has no secrets, deps or iac decision); CM-08
//     (ledger_integrity) is satisfied; AC-01 is manual: 8 findings.
//   - a company control on ledger_integrity alone is satisfied: no finding.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/hash.h"
#include "gate/config.h"
#include "gate/run.h"
#include "run_fixture.h"
#include "support/cli_harness.h"

namespace tollgate::gate {
namespace {

using testing::CliHarness;

class ComplianceGate : public CliHarness {
 protected:
  void SetUp() override {
    CliHarness::SetUp();
    FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
    auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kCreate, clock);
    ASSERT_TRUE(l) << l.error().message();
    std::vector<Json> events;
    std::istringstream in(Slurp(std::string(TOLLGATE_SOURCE_DIR) + "/tests/compliance/testdata/ledger.jsonl"));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) events.push_back(Json::parse(line));
    auto key = SignerKey::Generate("compliance-gate-test");
    ASSERT_TRUE(key) << key.error().message();
    ASSERT_TRUE((*l)->Append(std::move(events), &*key));
    // A company catalog: ACME-1 on a rule that holds, ACME-2 on one that never applies.
    Write("company/acme.yaml",
          "framework: {id: acme, name: ACME delivery policy, version: '2026'}\n"
          "controls:\n"
          "  - id: ACME-1\n    title: The change log is intact\n    objective: The ledger verifies.\n"
          "    rules: [ledger_integrity]\n");
    Write("company/later/acme-idle.yaml",
          "framework: {id: acme-idle, name: ACME idle, version: '2026'}\n"
          "controls:\n"
          "  - id: IDLE-1\n    title: Nothing to judge\n    objective: Never applicable.\n    rules: [acme_never_applies]\n");
    Write("company/later/rules/acme.rego",
          "package tollgate.compliance.rules\n\n"
          "acme_never_applies := {\"applicable\": false, \"violations\": [], \"evidence\": []}\n");
  }

  void Write(const std::string& rel, const std::string& text) {
    auto p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  // Loads tollgate.yaml with `gate` as its only gate and runs the gate at the period's end.
  Result<RunResult> Run(const std::string& gate, const std::string& top = "", const Keyring* keyring = nullptr) {
    Write("tollgate.yaml", "service: payments\n" + top + "gates:\n  compliance:\n" + gate);
    auto config = LoadConfig((dir_ / "tollgate.yaml").string());
    if (!config) return Fail(config.error());
    FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
    auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kExisting, clock);
    if (!l) return Fail(l.error());
    Submission s;
    s.service = config->service;
    s.commit = "c9c9c9c9c9c9c9c9";
    s.author.name = "Dev";  // not alice, who signs the waiver (four-eyes)
    s.author.email = "dev@payments.example";
    s.findings.resize(config->gates.size());
    return DecideAndRecord(*config, std::move(s), keyring, **l, nullptr, *ParseRfc3339("2026-11-01T00:00:00Z"));
  }
};

TEST_F(ComplianceGate, BlocksOnEachControlNotSatisfiedNamingControlRuleAndSeqs) {
  auto r = Run("    scanner: compliance\n    period: 31d\n    require_assessed: false\n    bypass: [security]\n",
               "compliance: [sox]\n");
  ASSERT_TRUE(r) << r.error().message();
  const GateOutcome& g = r->evaluation.gates[0];
  EXPECT_TRUE(r->evaluation.blocked);
  ASSERT_EQ(g.findings.size(), 8u);
  std::set<std::string> controls;
  for (const auto& f : g.findings) {
    EXPECT_EQ(f.rule_id, "compliance-not-satisfied");
    controls.insert(f.details["control"].get<std::string>());
    if (f.details["control"] == "CM-02") {
      EXPECT_EQ(f.details["seqs"], Json({15, 16, 16, 16}));
      EXPECT_NE(f.message.find("deploys_gated at ledger entry 15"), std::string::npos) << f.message;
    }
  }
  EXPECT_EQ(controls, (std::set<std::string>{"CM-01", "CM-02", "CM-03", "CM-04", "CM-05", "CM-06", "CM-07", "CM-09"}));
  // The decision is in the ledger with what judged it.
  ASSERT_FALSE(r->recorded.empty());
  FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
  auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kExisting, clock);
  ASSERT_TRUE(l);
  Json decision;
  ASSERT_TRUE((*l)->Scan(0, 0, "gate.decision", [&](const ledger::StoredEntry& e) {
    decision = Json::parse(e.body);
    return true;
  }));
  const Json& ev = decision["payload"]["evidence"];
  EXPECT_EQ(ev["frameworks"], Json({"sox"}));
  EXPECT_EQ(ev["period"]["from"], "2026-10-01T00:00:00Z");
  EXPECT_EQ(ev["results"]["sox"]["not_satisfied"], 8);
  // sha256 of the shipped catalog, computed here from the file itself.
  const std::string sox = Slurp(std::string(TOLLGATE_SOURCE_DIR) + "/catalogs/sox-itgc.yaml");
  bool found = false;
  for (const auto& [name, digest] : ev["catalogs"].items())
    if (name.find("sox-itgc.yaml") != std::string::npos) found = digest == HexEncode(Sha256(sox));
  EXPECT_TRUE(found) << ev["catalogs"].dump();
}

TEST_F(ComplianceGate, PassesWhenTheCompanyControlIsSatisfied) {
  auto r = Run("    scanner: compliance\n    frameworks: [acme]\n    period: 31d\n    bypass: none\n",
               "catalogs: [company/acme.yaml]\n");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->evaluation.blocked);
  EXPECT_TRUE(r->evaluation.gates[0].findings.empty());
}

TEST_F(ComplianceGate, NotAssessedBlocksUnlessRequireAssessedIsFalse) {
  // fail_on: critical: the not-assessed finding (high) still blocks: the gate fails closed.
  auto r = Run("    scanner: compliance\n    frameworks: [acme-idle]\n    period: 31d\n    fail_on: critical\n"
               "    bypass: none\n",
               "catalogs: [company/later]\n");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->evaluation.blocked);
  ASSERT_EQ(r->evaluation.gates[0].findings.size(), 1u);
  EXPECT_EQ(r->evaluation.gates[0].findings[0].rule_id, "compliance-not-assessed");
  EXPECT_EQ(r->evaluation.gates[0].findings[0].details["control"], "IDLE-1");

  r = Run("    scanner: compliance\n    frameworks: [acme-idle]\n    period: 31d\n    require_assessed: false\n"
          "    bypass: none\n",
          "catalogs: [company/later]\n");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->evaluation.blocked);
  bool noted = false;
  for (const auto& n : r->evaluation.gates[0].notes) noted = noted || n.find("IDLE-1") != std::string::npos;
  EXPECT_TRUE(noted);
}

// Waivers work as for every gate: a security waiver of the unassessed
// control (its fingerprint: the rule, framework and control) lets it pass.
TEST_F(ComplianceGate, AWaiverWithinBypassAcceptsAControl) {
  const std::string gate = "    scanner: compliance\n    frameworks: [acme-idle]\n    period: 31d\n    bypass: [security]\n";
  People p;
  Keyring k = p.Load();
  auto r = Run(gate, "catalogs: [company/later]\n", &k);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(r->evaluation.blocked);
  const std::string fp = r->evaluation.gates[0].findings.at(0).fingerprint;
  EXPECT_EQ(fp, MakeFingerprint("compliance-not-assessed", {"acme-idle", "IDLE-1"}));
  auto config = LoadConfig((dir_ / "tollgate.yaml").string());
  ASSERT_TRUE(config) << config.error().message();
  FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
  auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kExisting, clock);
  ASSERT_TRUE(l);
  auto w = RecordWaiver(*config, k, WaiverRequest{"", false, "", "", "compliance", fp, "first quarter of the service", "2026-12-31"},
                        p.alice, **l, nullptr, *ParseRfc3339("2026-11-01T00:00:00Z"));
  ASSERT_TRUE(w) << w.error().message();
  r = Run(gate, "catalogs: [company/later]\n", &k);
  ASSERT_TRUE(r) << r.error().message();
  for (const auto& d : r->evaluation.gates[0].waivers) EXPECT_TRUE(d.accepted) << d.reason;
  EXPECT_FALSE(r->evaluation.blocked);
  EXPECT_EQ(r->evaluation.gates[0].waived, std::vector<std::string>{fp});
}

TEST_F(ComplianceGate, ALedgerThatDoesNotVerifyBlocks) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(ledger_.c_str(), &db), SQLITE_OK);
  // A gate decision (seq 1) edited in place: the ledger no longer verifies.
  // (An edited waiver or approval stops the whole run earlier, when the gate
  // reads them: Run*.* tests cover that.)
  ASSERT_EQ(sqlite3_exec(db, "UPDATE entries SET body = replace(body, 'c1c1', 'c1c2') WHERE seq = 1", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  // acme alone is satisfied on the intact ledger (above); here it must not pass.
  auto r = Run("    scanner: compliance\n    frameworks: [acme]\n    period: 31d\n    require_assessed: false\n"
               "    fail_on: critical\n    bypass: none\n",
               "catalogs: [company/acme.yaml]\n");
  if (!r) {
    ADD_FAILURE() << "no decision: " << r.error().message();
    return;
  }
  EXPECT_TRUE(r->evaluation.blocked);
  ASSERT_FALSE(r->evaluation.gates[0].findings.empty());
  EXPECT_EQ(r->evaluation.gates[0].findings[0].rule_id, "compliance-ledger-unverified");
}

TEST_F(ComplianceGate, BadCompanyCatalogsAreExitTwoWithFileAndLine) {
  Write("bad1/acme.yaml",
        "framework: {id: acme, name: ACME, version: '1'}\ncontrols:\n"
        "  - id: A-1\n    title: t\n    objective: o\n    rules: [ledger_integrity]\n    owner: me\n");
  Write("bad2/acme.yaml",
        "framework: {id: acme, name: ACME, version: '1'}\ncontrols:\n"
        "  - {id: A-1, title: t, objective: o, rules: [ledger_integrity]}\n"
        "  - {id: A-1, title: t, objective: o, rules: [ledger_integrity]}\n");
  Write("bad3/acme.yaml",
        "framework: {id: acme, name: ACME, version: '1'}\ncontrols:\n"
        "  - {id: A-1, title: t, objective: o, rules: [broken]}\n");
  Write("bad3/rules/broken.rego", "package tollgate.compliance.rules\n\nbroken := {\n  \"applicable\": true,\n");
  const std::pair<const char*, const char*> kCases[] = {
      {"bad1", "bad1/acme.yaml:7"},   // unknown key `owner`
      {"bad2", "bad2/acme.yaml:4"},   // duplicate control id
      {"bad3", "bad3/rules/broken.rego:"},  // a rule that does not compile
  };
  for (const auto& [dir, where] : kCases) {
    Write("tollgate.yaml", std::string("service: payments\ncatalogs: [") + dir +
                               "]\ngates:\n  compliance: {scanner: compliance, frameworks: [acme], bypass: none}\n");
    auto r = Tg("report compliance --config tollgate.yaml --framework acme --from 2026-10-01 --to 2026-11-01");
    EXPECT_EQ(r.code, 2) << dir << ": " << r.err;
    EXPECT_NE(r.err.find(where), std::string::npos) << dir << ": " << r.err;
    r = Tg("gate --config tollgate.yaml .");
    EXPECT_EQ(r.code, 2) << dir << ": " << r.err;
    EXPECT_NE(r.err.find(where), std::string::npos) << dir << ": " << r.err;
  }
}

TEST_F(ComplianceGate, TheCompanyControlShowsUpInTheReportThroughTheConfig) {
  Write("tollgate.yaml",
        "service: payments\ncatalogs: [company/acme.yaml]\n"
        "gates:\n  compliance: {scanner: compliance, frameworks: [acme], bypass: none}\n");
  auto r = Tg("report compliance --config tollgate.yaml --framework acme --from 2026-10-01 --to 2026-11-01");
  ASSERT_EQ(r.code, 0) << r.err;
  Json report = Json::parse(r.out);
  ASSERT_EQ(report["controls"].size(), 1u);
  EXPECT_EQ(report["controls"][0]["id"], "ACME-1");
  EXPECT_EQ(report["controls"][0]["result"], "satisfied");
  EXPECT_EQ(report["service"], "payments");
  // Without --config the framework is unknown: exit 2.
  EXPECT_EQ(Tg("report compliance --framework acme --from 2026-10-01 --to 2026-11-01").code, 2);
}

}  // namespace
}  // namespace tollgate::gate
