// Compliance catalogs, evidence and reports (issue 18).
//
// testdata/ledger.jsonl is a quarter of a payments service; testdata/
// expected.json holds what each rule and control must say about October 2026
// (period [2026-10-01, 2026-11-01)), derived by hand:
//   - deploys_gated: deploy 15 (commit c2) rests on dependency decision 10,
//     which accepted waiver 8 by alice, the author of c2: invalid; deploy 16
//     (c3) has no secrets, deps or iac decision at all (3 violations). Deploys
//     7 and 29 passed all three; 22 (staging) and 23 (failed) do not count.
//   - waivers_authorised: 8 (alice on her own change), 34 (132 days > 90).
//   - changes_approved: 16 (no gate decision names c3's author), 29 (bob
//     approved c5 at seq 30, two days after the deploy).
//   - emergency_changes_reviewed: 16 only (29 was approved within 2 days).
//   - changes_traceable: 16 twice (no change record, no gate decision).
//   - incidents_resolved: 33 (INC-2 open from 2026-10-01T00:30 to the period's
//     end, just over 30 days); INC-1 (31) was resolved at 32.
//   - vulnerabilities_remediated: 0 (F8 first seen 2026-09-01, gone at
//     decision 2 on 2026-10-02, 31 days later; F9 took 4 days).
//   - scans_regular, secrets_not_waived, ledger_integrity: no violations (the
//     ledger is signed at its head).
#include "compliance/compliance.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "support/cli_harness.h"
#include "support/corpus.h"
#include "support/memory.h"
#include "support/temp_dir.h"

namespace tollgate::compliance {
namespace {

using testing::CliHarness;

std::string Testdata(const std::string& name) {
  return std::string(TOLLGATE_SOURCE_DIR) + "/tests/compliance/testdata/" + name;
}

// The fixture ledger at `path`, with a signed checkpoint at its head.
void WriteFixtureLedger(const std::string& path, const std::string& jsonl) {
  FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
  auto l = ledger::Ledger::Open(path, ledger::OpenMode::kCreate, clock);
  ASSERT_TRUE(l) << l.error().message();
  std::vector<Json> events;
  std::istringstream in(jsonl);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) events.push_back(Json::parse(line));
  auto key = SignerKey::Generate("compliance-test");
  ASSERT_TRUE(key) << key.error().message();
  auto r = (*l)->Append(std::move(events), &*key);
  ASSERT_TRUE(r) << r.error().message();
}

std::vector<std::uint64_t> ViolationSeqs(const Json& violations) {
  std::vector<std::uint64_t> out;
  for (const auto& v : violations)
    if (v.contains("seq")) out.push_back(v["seq"].get<std::uint64_t>());
  return out;
}

TEST(ComplianceCatalogs, EveryShippedCatalogLoadsAndEveryControlHasRulesOrAManualReason) {
  auto lib = LoadLibrary({});
  ASSERT_TRUE(lib) << lib.error().message();
  std::set<std::string> ids;
  for (const auto& f : lib->frameworks) ids.insert(f.id);
  EXPECT_EQ(ids, (std::set<std::string>{"pci-dss", "sox", "soc2", "gdpr", "nist-csf", "ffiec"}));
  // Every catalog file on disk is built in.
  std::size_t on_disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(TOLLGATE_SOURCE_DIR) + "/catalogs"))
    if (e.path().extension() == ".yaml") ++on_disk;
  EXPECT_EQ(BuiltinCatalogs().size(), on_disk);
  for (const auto& f : lib->frameworks) {
    EXPECT_FALSE(f.controls.empty()) << f.id;
    for (const auto& c : f.controls) {
      EXPECT_NE(c.rules.empty(), c.manual.empty()) << f.id << " " << c.id;
      EXPECT_FALSE(c.title.empty() || c.objective.empty()) << f.id << " " << c.id;
    }
  }
  const Framework* ffiec = lib->Find("ffiec");
  ASSERT_NE(ffiec, nullptr);
  EXPECT_NE(ffiec->note.find("retired in August 2025"), std::string::npos);
  for (const auto& c : ffiec->controls) EXPECT_FALSE(c.maps_to.empty()) << c.id;
}

struct BadCatalogCase {
  const char* name;
  const char* text;
  const char* expect;  // in the error message
};

TEST(ComplianceCatalogs, BadCatalogsAreInputErrorsWithFileAndLine) {
  const BadCatalogCase cases[] = {
      {"unknown_key",
       "framework: {id: x, name: X, version: '1'}\ncontrols:\n  - id: A\n    title: t\n    objective: o\n    titel: "
       "typo\n    manual: m\n",
       "bad.yaml:6:5: unknown key 'titel' in control"},
      {"duplicate_key",
       "framework: {id: x, name: X, version: '1'}\ncontrols:\n  - id: A\n    title: t\n    title: u\n    objective: "
       "o\n    manual: m\n",
       "bad.yaml:5:"},
      {"neither_rules_nor_manual",
       "framework: {id: x, name: X, version: '1'}\ncontrols:\n  - id: A\n    title: t\n    objective: o\n",
       "bad.yaml:3:5: control A needs either 'rules'"},
      {"unknown_rule",
       "framework: {id: x, name: X, version: '1'}\ncontrols:\n  - id: A\n    title: t\n    objective: o\n    rules: "
       "[ledger_integrity, no_such_rule]\n",
       "bad.yaml:6:31: control A: no evidence rule 'no_such_rule'"},
      {"duplicate_control",
       "framework: {id: x, name: X, version: '1'}\ncontrols:\n  - {id: A, title: t, objective: o, manual: m}\n  - {id: "
       "A, title: t, objective: o, manual: m}\n",
       "bad.yaml:4:10: duplicate control id 'A'"},
      {"bad_param",
       "framework: {id: x, name: X, version: '1'}\nparams: {vuln_fix_dayz: 3}\ncontrols:\n  - {id: A, title: t, "
       "objective: o, manual: m}\n",
       "bad.yaml:2:10: unknown key 'vuln_fix_dayz' in params"},
  };
  for (const auto& c : cases) {
    auto lib = LoadLibraryFrom({{"bad.yaml", c.text}}, BuiltinRules());
    ASSERT_FALSE(lib) << c.name;
    EXPECT_EQ(lib.error().exit_code(), ExitCode::kInput) << c.name;
    EXPECT_NE(lib.error().message().find(c.expect), std::string::npos) << c.name << ": " << lib.error().message();
  }
}

TEST(ComplianceCatalogs, ARuleThatDoesNotCompileIsAnInputErrorWithFileAndLine) {
  auto lib = LoadLibraryFrom(
      BuiltinCatalogs(), {{"mine.rego", "package tollgate.compliance.rules\n\nbroken := {\n  \"applicable\": x\n}\n"}});
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().exit_code(), ExitCode::kInput);
  EXPECT_NE(lib.error().message().find("mine.rego:3:"), std::string::npos) << lib.error().message();
}

class ComplianceReport : public CliHarness {
 protected:
  Json ReportOf(const std::string& framework, const std::string& extra = "") {
    auto r = Tg("report compliance --framework " + framework + " --from 2026-10-01 --to 2026-11-01 " + extra);
    EXPECT_EQ(r.code, 0) << r.err;
    return Json::parse(r.out);
  }
};

TEST_F(ComplianceReport, EachControlMatchesTheHandDerivedResultAndViolatingEntries) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  Json expected = Json::parse(Slurp(Testdata("expected.json")));
  for (const auto& [framework, controls] : expected["controls"].items()) {
    Json report = ReportOf(framework);
    ASSERT_EQ(report["controls"].size(), controls.size()) << framework;
    for (const auto& c : report["controls"]) {
      const std::string id = c["id"].get<std::string>();
      ASSERT_TRUE(controls.contains(id)) << framework << " " << id;
      EXPECT_EQ(c["result"], controls[id][0]) << framework << " " << id << ": " << c["reason"];
      EXPECT_EQ(ViolationSeqs(c["violations"]), controls[id][1].get<std::vector<std::uint64_t>>())
          << framework << " " << id << ": " << c["violations"].dump();
    }
    // Every violating seq is indexed with its leaf hash.
    for (const auto& c : report["controls"])
      for (auto seq : ViolationSeqs(c["violations"]))
        EXPECT_EQ(report["entries"][std::to_string(seq)]["leaf_hash"].get<std::string>().size(), 64u);
  }
}

TEST_F(ComplianceReport, EachRuleFindsTheHandDerivedViolations) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  Json expected = Json::parse(Slurp(Testdata("expected.json")));
  FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
  auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kExisting, clock);
  ASSERT_TRUE(l);
  auto ev = BuildEvidence(**l, {*ParseRfc3339("2026-10-01"), *ParseRfc3339("2026-11-01"), ""});
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ((*ev)["events_in_period"], 35);  // every entry but the note and decision 0 (September)
  EXPECT_EQ((*ev)["gate_decisions"][10]["author"], "Alice");
  // F8 blocked at 0 and was gone at 2; F9 blocked at 18, gone at 25.
  std::map<std::string, std::pair<Json, Json>> lifecycles;
  for (const auto& lc : (*ev)["finding_lifecycles"])
    lifecycles[lc["finding"].get<std::string>()] = {lc["first_seq"], lc["fixed_seq"]};
  EXPECT_EQ(lifecycles["F8"], std::make_pair(Json(0), Json(2)));
  EXPECT_EQ(lifecycles["F9"], std::make_pair(Json(18), Json(25)));
  EXPECT_EQ(lifecycles.size(), 2u);
  auto lib = LoadLibrary({});
  ASSERT_TRUE(lib);
  // A framework of one control per rule.
  Framework all;
  all.id = "all";
  for (const auto& [rule, seqs] : expected["rules"].items()) {
    Control c;
    c.id = rule;
    c.rules = {rule};
    all.controls.push_back(c);
  }
  auto report = Assess(*lib, all, *ev);
  ASSERT_TRUE(report) << report.error().message();
  for (const auto& c : (*report)["controls"]) {
    const std::string rule = c["id"].get<std::string>();
    EXPECT_EQ(ViolationSeqs(c["violations"]), expected["rules"][rule].get<std::vector<std::uint64_t>>())
        << rule << ": " << c["violations"].dump();
    EXPECT_EQ(c["result"], expected["rules"][rule].empty() ? "satisfied" : "not_satisfied")
        << rule << ": " << c["reason"];
  }
}

TEST_F(ComplianceReport, APeriodWithNoEventsIsNotAssessedEverywhere) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  for (const std::string args :
       {"--from 2025-01-01 --to 2025-02-01", "--from 2026-10-01 --to 2026-11-01 --service other"}) {
    auto r = Tg("report compliance --framework pci-dss " + args);
    ASSERT_EQ(r.code, 0) << r.err;
    Json report = Json::parse(r.out);
    EXPECT_EQ(report["summary"]["satisfied"], 0) << args;
    EXPECT_EQ(report["summary"]["not_satisfied"], 0) << args;
    for (const auto& c : report["controls"]) EXPECT_EQ(c["result"], "not_assessed") << args << " " << c["id"];
  }
}

TEST_F(ComplianceReport, AnEmptyLedgerOrOneWithOnlyANoteIsNotAssessed) {
  ASSERT_EQ(Tg("ledger init").code, 0);
  for (int round = 0; round < 2; ++round) {
    auto r = Tg("report compliance --framework sox --from 2020-01-01 --to 2100-01-01 --output -");
    ASSERT_EQ(r.code, 0) << r.err;
    Json report = Json::parse(r.out);
    EXPECT_EQ(report["summary"]["not_assessed"], report["controls"].size());
    ASSERT_EQ(Tg("ledger append", "{\"type\":\"note\"}\n").code, 0);
  }
}

TEST_F(ComplianceReport, BadInputIsExitTwoWithOneLine) {
  ASSERT_EQ(Tg("ledger init").code, 0);
  auto r = Tg("report compliance --framework hipaa --from 2026-10-01 --to 2026-11-01");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "tollgate: unknown framework 'hipaa' (one of: ffiec, gdpr, nist-csf, pci-dss, soc2, sox)\n");
  for (const std::string dates :
       {"--from 2026-13-01 --to 2026-11-01", "--from 2026-10-01 --to yesterday", "--from 2026-11-01 --to 2026-10-01"}) {
    r = Tg("report compliance --framework sox " + dates);
    EXPECT_EQ(r.code, 2) << dates;
    EXPECT_EQ(Count(r.err, '\n'), 1u) << r.err;
  }
  // A company catalog with a duplicate key or an unknown key, and a rule
  // that does not compile: exit 2 naming file:line.
  const std::string head = "framework: {id: mine, name: Mine, version: '1'}\ncontrols:\n";
  const std::string rule = "package tollgate.compliance.rules\n\nmine := {\"applicable\": true, \"evidence\": y}\n";
  const struct {
    std::string catalog, rule, where;
  } cases[] = {
      {head + "  - id: A\n    id: B\n    title: t\n    objective: o\n    manual: m\n", "", "mine/catalog.yaml:4:"},
      {head + "  - {id: A, title: t, objective: o, manual: m, owner: me}\n", "", "mine/catalog.yaml:3:"},
      {head + "  - {id: A, title: t, objective: o, rules: [mine]}\n", rule, "mine/rules/mine.rego:3:"},
  };
  for (const auto& c : cases) {
    Write("mine/catalog.yaml", c.catalog);
    if (!c.rule.empty()) Write("mine/rules/mine.rego", c.rule);
    r = Tg("report compliance --framework mine --catalogs mine --from 2026-10-01 --to 2026-11-01");
    EXPECT_EQ(r.code, 2) << c.where;
    EXPECT_NE(r.err.find(c.where), std::string::npos) << r.err;
  }
}

TEST_F(ComplianceReport, ARuleOfTheWrongShapeIsExitTwoNamingIt) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  Write("mine/catalog.yaml",
        "framework: {id: mine, name: Mine, version: '1'}\ncontrols:\n  - {id: A, title: t, objective: o, rules: "
        "[mine]}\n");
  const std::pair<std::string, std::string> cases[] = {
      {"mine := {\"applicable\": \"yes\", \"violations\": [], \"evidence\": []}", "\"applicable\" must be a boolean"},
      {"mine := {\"applicable\": true, \"violations\": [{\"seq\": 1}], \"evidence\": []}", "needs a string \"why\""},
      {"mine := {\"applicable\": true, \"violations\": [], \"evidence\": [-1]}", "must hold ledger indexes"},
      {"mine := 1 if input.nothing", "produced no value"},
  };
  for (const auto& [rule, message] : cases) {
    Write("mine/rules/mine.rego", "package tollgate.compliance.rules\n\n" + rule + "\n");
    auto r = Tg("report compliance --framework mine --catalogs mine --from 2026-10-01 --to 2026-11-01");
    EXPECT_EQ(r.code, 2) << rule;
    EXPECT_NE(r.err.find("evidence rule mine: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

TEST_F(ComplianceReport, ACompanyAddsItsOwnControlsAndRules) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  Write("mine/acme.yaml",
        "framework: {id: acme, name: ACME policy, version: '2026'}\ncontrols:\n"
        "  - {id: ACME-1, title: Staging first, objective: Every prod deploy was deployed to staging before, rules: "
        "[staging_first]}\n");
  Write("mine/rules/acme.rego",
        "package tollgate.compliance.rules\n\n"
        "staged(d) if {\n  some s in input.deploys\n  s.env == \"staging\"\n  s.commit == d.commit\n  s.seq < "
        "d.seq\n}\n\n"
        "staging_first := {\n  \"applicable\": count(prod_deploys) > 0,\n"
        "  \"violations\": [{\"seq\": d.seq, \"why\": \"not staged\"} | some d in prod_deploys; not staged(d)],\n"
        "  \"evidence\": [d.seq | some d in prod_deploys],\n}\n");
  Json report = ReportOf("acme", "--catalogs mine");
  ASSERT_EQ(report["controls"].size(), 1u);
  EXPECT_EQ(ViolationSeqs(report["controls"][0]["violations"]), (std::vector<std::uint64_t>{7, 15, 16, 29}));
}

TEST_F(ComplianceReport, ReportEvidenceWritesTheDocumentTheRulesRead) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  auto r = Tg("report evidence --from 2026-10-01 --to 2026-11-01 --output evidence.json");
  ASSERT_EQ(r.code, 0) << r.err;
  Json ev = Json::parse(Slurp((dir_ / "evidence.json").string()));
  EXPECT_EQ(ev["gate_decisions"].size(), 13u);
  EXPECT_EQ(ev["deploys"].size(), 6u);
  EXPECT_EQ(ev["other"]["note"], 1);
  EXPECT_EQ(ev["by_commit"]["c5c5c5c5c5c5c5c5"]["approvals"][0]["seq"], 30);
  EXPECT_TRUE(ev["ledger"]["verified"].get<bool>());
}

TEST_F(ComplianceReport, ALedgerThatFailsVerificationMarksNothingSatisfied) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(ledger_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE entries SET body = replace(body, 'bob', 'bub') WHERE seq = 5", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto r = Tg("report compliance --framework sox --from 2026-10-01 --to 2026-11-01");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("the ledger failed verification"), std::string::npos) << r.err;
  Json report = Json::parse(r.out);
  EXPECT_FALSE(report["ledger"]["verified"].get<bool>());
  EXPECT_EQ(report["summary"]["satisfied"], 0);
  EXPECT_NE(report["warning"].get<std::string>().find("failed verification"), std::string::npos);
  EXPECT_EQ(r.out.find("{\n  \"warning\": "), 0u) << "the report says so first";
}

TEST_F(ComplianceReport, OscalOutputNamesTheFrameworkAndPointsAtLedgerEntries) {
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  auto r = Tg("report compliance --framework gdpr --from 2026-10-01 --to 2026-11-01 --format oscal --output ar.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("GDPR 2016/679: 1 satisfied, 4 not satisfied, 3 not assessed"), std::string::npos) << r.out;
  Json ar = Json::parse(Slurp((dir_ / "ar.json").string()))["assessment-results"];
  EXPECT_EQ(ar["metadata"]["oscal-version"], "1.1.3");
  const Json& result = ar["results"][0];
  EXPECT_EQ(result["findings"].size(), 8u);
  bool found = false;
  for (const auto& o : result["observations"])
    for (const auto& p : o["props"])
      if (p["name"] == "ledger-seq" && p["value"] == "33") found = true;
  EXPECT_TRUE(found) << "incident 33 is an observation";
}

// A quarter of a busy service: N gated, approved, traced deploys. Every rule
// indexes what it joins, so the report stays well inside a CI step.
TEST_F(ComplianceReport, AQuarterOfABusyServiceIsReportedQuickly) {
  constexpr int kDeploys = 1000;
  std::string jsonl;
  for (int i = 0; i < kDeploys; ++i) {
    const std::string commit = "c" + std::to_string(i);
    char day[32];
    std::snprintf(day, sizeof day, "2026-%02d-%02dT", 10 + i / 400, 1 + (i / 16) % 25);
    const std::string t = std::string(day) + "10:00:00Z";
    for (const char* kind : {"secrets", "deps", "iac"})
      jsonl += Json{{"type", "gate.decision"},
                    {"time", t},
                    {"payload",
                     {{"gate", kind},
                      {"service", "api"},
                      {"commit", commit},
                      {"source", std::string("scanner: ") + kind},
                      {"decision", "pass"},
                      {"bypass", "none"},
                      {"blocking", Json::array()},
                      {"blocking_count", 0}}}}
                   .dump() +
               "\n";
    jsonl += Json{{"type", "gate.overall"},
                  {"time", t},
                  {"actor", "dev@example.com"},
                  {"payload", {{"service", "api"}, {"commit", commit}, {"author", "Dev"}}}}
                 .dump() +
             "\n";
    jsonl += Json{{"type", "approval"}, {"time", t}, {"commit", commit}, {"approver", "rev"}}.dump() + "\n";
    jsonl += Json{{"type", "change"}, {"time", t}, {"service", "api"}, {"commit", commit}}.dump() + "\n";
    jsonl += Json{{"type", "deploy"}, {"time", t},        {"service", "api"},
                  {"env", "prod"},    {"commit", commit}, {"status", "success"}}
                 .dump() +
             "\n";
  }
  WriteFixtureLedger(ledger_, jsonl);
  auto start = std::chrono::steady_clock::now();
  auto r = Tg("report compliance --framework sox --from 2026-10-01 --to 2027-01-01");
  ASSERT_EQ(r.code, 0) << r.err;
  Json report = Json::parse(r.out);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(report["summary"]["not_satisfied"], 0) << report["controls"].dump();
  // 0.6 s in a release build, 14 s under ASan; 13 s (release) before the
  // by_commit index.
  EXPECT_LT(seconds, testing::kUnderAsan ? 60.0 : 10.0);
  std::printf("sox report over %d deploys (%d entries): %.2f s\n", kDeploys, kDeploys * 7, seconds);
}

// The fixture's report (waivers, violations, every kind of entry) against the
// official schema, with the validator CTest also runs on its own
// (compliance_oscal_schema).
TEST_F(ComplianceReport, OscalOfTheFixtureIsValidAgainstTheOfficialSchema) {
  const std::string schema = std::string(TOLLGATE_SHARED_DIR) + "/corpora/schemas/oscal/v1.1.3";
  TG_REQUIRE_CORPUS(schema, "the OSCAL 1.1.3 schemas");
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")));
  for (const std::string fw : {"pci-dss", "sox", "soc2", "gdpr", "nist-csf", "ffiec"}) {
    auto r = Tg("report compliance --framework " + fw + " --from 2026-10-01 --to 2026-11-01 --format oscal -o ar.json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto v = Run("python3 '" + std::string(TOLLGATE_SOURCE_DIR) +
                 "/tests/compliance/validate_oscal.py' --file ar.json '" + TOLLGATE_SHARED_DIR + "'");
    EXPECT_EQ(v.code, 0) << fw << ": " << v.out << v.err;
  }
}

}  // namespace
}  // namespace tollgate::compliance

namespace tollgate::compliance {
namespace {

// The HTML report against the JSON one, read by Python's own HTML parser
// (check_html.py): same counts, results, violations and waivers; hostile
// strings from testdata/hostile.jsonl come back as text; nothing loads or
// runs; a tampered ledger puts the banner first.
TEST_F(ComplianceReport, HtmlSaysWhatTheJsonSays) {
  if (std::system("python3 -c 'import html.parser' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 is not installed";
  WriteFixtureLedger(ledger_, Slurp(Testdata("ledger.jsonl")) + Slurp(Testdata("hostile.jsonl")));
  const std::string cmd = "python3 " + std::string(TOLLGATE_SOURCE_DIR) + "/tests/compliance/check_html.py " +
                          std::string(TOLLGATE_BINARY) + " " + ledger_;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace
}  // namespace tollgate::compliance
