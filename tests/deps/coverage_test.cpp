// Issue 13 §3: coverage gaps are loud. A lockfile whose ecosystem has no
// advisories in the database was "No findings", exit 0. Now every scan says
// per ecosystem how many packages were checked against how many advisories;
// a gate fails closed with an `advisory-coverage` finding unless the gate
// allows the ecosystem; project files read only through a lockfile that is
// missing are named; a stale database is a warning.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "support/cli_harness.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DepsCoverage : public tollgate::testing::CliHarness {
 protected:
  // One PyPI advisory, last modified `modified`.
  void ImportPyPiAdvisory(const std::string& modified) {
    Write("adv/PYSEC-T.json", R"({"id":"PYSEC-T","modified":")" + modified + R"(",
      "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
      "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.5"}]}]}]})");
    auto r = Tg("db import adv");
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static std::string DaysAgo(int days) {
    return tollgate::FormatRfc3339(std::chrono::time_point_cast<std::chrono::nanoseconds>(
        std::chrono::system_clock::now() - std::chrono::hours(24 * days)));
  }
  // A small polyglot monorepo: Python, Node and Rust services, a .NET and a
  // Gradle project without lockfiles, and a Gradle project with one.
  void WriteMonorepo(const std::string& urllib3 = "1.26.4") {
    Write("repo/services/api/requirements.txt", "urllib3==" + urllib3 + "\n");
    Write("repo/services/web/package-lock.json",
          R"({"name":"web","lockfileVersion":3,"packages":{"":{"name":"web"},)"
          R"("node_modules/left-pad":{"version":"1.3.0"},"node_modules/ms":{"version":"2.1.3"}}})");
    Write("repo/services/worker/Cargo.lock", "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n");
    Write("repo/services/billing/Billing.csproj",
          "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"Newtonsoft.Json\" "
          "Version=\"12.0.1\" /></ItemGroup></Project>\n");
    Write("repo/services/ledger/build.gradle", "dependencies { implementation 'org.apache.commons:commons-text:1.9' }\n");
    Write("repo/services/risk/build.gradle.kts", "dependencies { implementation(\"com.google.guava:guava:31.0-jre\") }\n");
    Write("repo/services/risk/gradle.lockfile", "com.google.guava:guava:31.0-jre=compileClasspath\nempty=\n");
  }
};

TEST_F(DepsCoverage, ScanSaysWhatWasCheckedPerEcosystemAndNamesUnlockedProjects) {
  ImportPyPiAdvisory(DaysAgo(1));
  WriteMonorepo();
  auto r = Tg("scan deps repo --format json");
  EXPECT_EQ(r.code, 1) << r.err;  // urllib3
  EXPECT_THAT(r.err, HasSubstr("tollgate: deps: PyPI: 1 package checked against 1 advisory"));
  EXPECT_THAT(r.err, HasSubstr("tollgate: warning: deps: npm: 2 packages checked against 0 advisories: the advisory "
                               "database holds none for npm, so these packages were not checked"));
  EXPECT_THAT(r.err, HasSubstr("warning: deps: crates.io: 1 package checked against 0 advisories"));
  EXPECT_THAT(r.err, HasSubstr("warning: deps: Maven: 1 package checked against 0 advisories"));
  EXPECT_THAT(r.err, HasSubstr("services/billing/Billing.csproj: a NuGet project without packages.lock.json"));
  EXPECT_THAT(r.err, HasSubstr("services/ledger/build.gradle: a Gradle build without gradle.lockfile"));
  EXPECT_THAT(r.err, Not(HasSubstr("risk/build.gradle.kts")));  // its lockfile was read
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["metadata"]["coverage"].is_array()) << r.out;
  std::map<std::string, std::pair<int, int>> coverage;
  for (const auto& c : j["metadata"]["coverage"])
    coverage[c["ecosystem"].get<std::string>()] = {c["packages"].get<int>(), c["advisories"].get<int>()};
  EXPECT_EQ(coverage, (std::map<std::string, std::pair<int, int>>{
                          {"Maven", {1, 0}}, {"PyPI", {1, 1}}, {"crates.io", {1, 0}}, {"npm", {2, 0}}}));
}

TEST_F(DepsCoverage, GateFailsClosedOnAnEcosystemTheDatabaseDoesNotCover) {
  ImportPyPiAdvisory(DaysAgo(1));
  WriteMonorepo("1.26.5");  // the one covered package is fixed: nothing known is vulnerable
  Write("repo/tollgate.yaml", "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security] }\n");
  auto r = Tg("gate repo --author 'A <a@x.example>' --commit c1 --format json");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> uncovered;
  for (const auto& f : j["findings"]) {
    ASSERT_EQ(f["rule_id"], "advisory-coverage") << f.dump();
    EXPECT_EQ(f["severity"], "high");
    uncovered.insert(f["ecosystem"].get<std::string>());
  }
  EXPECT_EQ(uncovered, (std::set<std::string>{"Maven", "crates.io", "npm"}));
  EXPECT_THAT(Tg("ledger show --type gate.decision").out, HasSubstr("\"decision\":\"blocked\""));
  // A threshold above the finding's severity does not let the gap through.
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: critical, bypass: [security] }\n");
  EXPECT_EQ(Tg("gate repo --author 'A <a@x.example>' --commit c1b").code, 1);

  // Knowingly not covered: the gate lists them (or allows all), and passes.
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security],\n"
        "                  allow_missing_ecosystems: [npm, crates.io, Maven] }\n");
  auto listed = Tg("gate repo --author 'A <a@x.example>' --commit c2");
  EXPECT_EQ(listed.code, 0) << listed.out << listed.err;
  EXPECT_THAT(listed.err, HasSubstr("warning: dependencies: npm: 2 packages checked against 0 advisories"));
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security], "
        "allow_missing_ecosystems: true }\n");
  EXPECT_EQ(Tg("gate repo --author 'A <a@x.example>' --commit c3").code, 0);

  // A misplaced or mistyped key is a configuration error with its position.
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  s: { scanner: secrets, bypass: none, allow_missing_ecosystems: true }\n");
  auto misplaced = Tg("gate repo");
  EXPECT_EQ(misplaced.code, 2);
  EXPECT_THAT(misplaced.err, HasSubstr("tollgate.yaml:3:"));
  EXPECT_THAT(misplaced.err, HasSubstr("'allow_missing_ecosystems' applies only to a 'scanner: deps' gate"));
  Write("repo/tollgate.yaml", "version: 1\ngates:\n  d: { scanner: deps, bypass: none, allow_missing_ecosystems: 3 }\n");
  EXPECT_EQ(Tg("gate repo").code, 2);
  // Names are OSV's, in any case; a name the scanner does not know, or one
  // with a release, would allow nothing: an error naming the entry.
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security],\n"
        "                  allow_missing_ecosystems: [NPM, Crates.io, maven] }\n");
  EXPECT_EQ(Tg("gate repo --author 'A <a@x.example>' --commit c4").code, 0);
  for (const char* bad : {"[npm, pipy]", "[\"Debian:12\"]"}) {
    Write("repo/tollgate.yaml",
          std::string("version: 1\ngates:\n  d:\n    scanner: deps\n    bypass: none\n    allow_missing_ecosystems: ") +
              bad + "\n");
    auto unknown = Tg("gate repo");
    EXPECT_EQ(unknown.code, 2) << bad;
    EXPECT_THAT(unknown.err, HasSubstr("tollgate.yaml:6:"));
    EXPECT_THAT(unknown.err, HasSubstr("allow_missing_ecosystems: unknown ecosystem"));
  }
}

// Issue 13 §3: an advisory that publishes no severity (and has no rated
// alias) is `unknown`, shown as such, never a silent medium; how a gate
// compares it with fail_on is its `unknown_severity` (high by default, so a
// `fail_on: high` gate stops for a person to rate it), recorded in the
// decision. `unknown` is not a threshold.
TEST_F(DepsCoverage, UnratedAdvisoriesAreUnknownAndTheGateSaysHowItRatesThem) {
  Write("adv/PYSEC-U.json", R"({"id":"PYSEC-U","modified":")" + DaysAgo(1) + R"(",
    "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.5"}]}]}]})");
  ASSERT_EQ(Tg("db import adv").code, 0);
  Write("repo/requirements.txt", "urllib3==1.26.4\n");
  auto scan = Tg("scan deps repo --format json");
  EXPECT_EQ(scan.code, 1) << scan.err;  // --fail-on high (the default) rates it high
  auto j = nlohmann::json::parse(scan.out);
  ASSERT_EQ(j["findings"].size(), 1u) << scan.out;
  EXPECT_EQ(j["findings"][0]["severity"], "unknown");
  EXPECT_THAT(j["findings"][0]["message"].get<std::string>(), HasSubstr("[no severity published]"));
  EXPECT_EQ(Tg("scan deps repo --fail-on critical").code, 0);
  EXPECT_THAT(Tg("scan deps repo").out, HasSubstr("unknown"));

  auto gate = [&](const std::string& extra, const std::string& commit) {
    Write("repo/tollgate.yaml", "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: none" + extra +
                                    " }\n");
    return Tg("gate repo --author 'A <a@x.example>' --commit " + commit);
  };
  EXPECT_EQ(gate("", "u1").code, 1);
  EXPECT_EQ(gate(", unknown_severity: medium", "u2").code, 0);
  EXPECT_EQ(gate(", unknown_severity: critical", "u3").code, 1);
  auto decisions = Tg("ledger show --type gate.decision").out;
  EXPECT_THAT(decisions, HasSubstr("\"unknown_severity\":\"medium\""));
  EXPECT_THAT(decisions, HasSubstr("\"unknown\":1"));  // by_severity
  auto bad = gate(", unknown_severity: unknown", "u4");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown_severity must be one of critical, high, medium, low, info"));
  Write("repo/tollgate.yaml", "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: unknown, bypass: none }\n");
  EXPECT_EQ(Tg("gate repo").code, 2);
  EXPECT_EQ(Tg("scan deps repo --fail-on unknown").code, 2);
}

TEST_F(DepsCoverage, StaleDatabaseIsAWarningAndDbStatusDatesEachEcosystem) {
  ImportPyPiAdvisory("2024-05-01T00:00:00Z");
  Write("repo/requirements.txt", "urllib3==1.26.5\n");
  Write("repo/tollgate.yaml", "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security] }\n");
  auto stale = Tg("gate repo --author 'A <a@x.example>' --commit c1");
  EXPECT_EQ(stale.code, 0) << stale.err;
  EXPECT_THAT(stale.err, HasSubstr("warning: dependencies: the advisory database is stale: its newest record is "));
  EXPECT_THAT(stale.err, HasSubstr("days old (max_db_age 1w)"));
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security], max_db_age: 1000w }\n");
  EXPECT_THAT(Tg("gate repo --author 'A <a@x.example>' --commit c2").err, Not(HasSubstr("stale")));
  // The decision events record what the gate judged coverage by: the
  // database's dates per ecosystem, whether it was stale, and the tolerance
  // configured.
  auto shown = Tg("ledger show --type gate.decision");
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr(R"("ecosystems":{"PyPI":{"advisories":1,"modified":"2024-05-01T00:00:00Z"}})"));
  EXPECT_THAT(shown.out, HasSubstr(R"("allow_missing_ecosystems":[])"));
  EXPECT_THAT(shown.out, HasSubstr(R"("max_db_age":"1w")"));
  EXPECT_THAT(shown.out, HasSubstr(R"("stale":true)"));
  EXPECT_THAT(shown.out, HasSubstr(R"("max_db_age":"1000w")"));
  EXPECT_THAT(shown.out, HasSubstr(R"("stale":false)"));
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security], max_db_age: soon }\n");
  auto bad = Tg("gate repo");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("tollgate.yaml:3:"));

  auto status = Tg("db status --format json");
  ASSERT_EQ(status.code, 0) << status.err;
  auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j["ecosystems"]["PyPI"], 1);
  EXPECT_EQ(j["ecosystems_modified"]["PyPI"], "2024-05-01T00:00:00Z");
  EXPECT_THAT(Tg("db status").out, HasSubstr("PyPI: 1 advisory, newest modified 2024-05-01T00:00:00Z"));
}

// A monorepo service whose lockfile is a link to a shared one outside the
// folder the gate scans: the walker never follows links, so the lockfile's
// packages went unchecked and the gate passed. Now that is an incomplete
// scan, which blocks whatever fail_on.
TEST_F(DepsCoverage, LinkedLockfileThatIsNotReadBlocksTheGate) {
  ImportPyPiAdvisory(DaysAgo(1));
  Write("mono/shared/requirements.txt", "urllib3==1.26.4\n");
  Write("mono/svc/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: critical, bypass: [security] }\n");
  Write("mono/svc/app.py", "print('hi')\n");
  ASSERT_EQ(::symlink("../shared/requirements.txt", (dir_ / "mono/svc/requirements.txt").c_str()), 0);
  auto r = Tg("gate mono/svc --author 'A <a@x.example>' --commit c1 --format json");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u) << r.out;
  EXPECT_EQ(j["findings"][0]["rule_id"], "incomplete-scan");
  EXPECT_EQ(j["findings"][0]["cause"], "symlink");
  EXPECT_THAT(j["findings"][0]["message"].get<std::string>(), HasSubstr("outside the scanned tree"));
  // Scanning the whole repository reads the lockfile itself: the vulnerable
  // package is found, and the link is not a gap.
  auto whole = Tg("scan deps mono --format json");
  EXPECT_EQ(whole.code, 1);
  EXPECT_THAT(whole.out, HasSubstr("PYSEC-T"));
  EXPECT_THAT(whole.out, Not(HasSubstr("incomplete-scan")));
}

// An import that read no record exited 0 ("imported 0 records") and left an
// empty database behind for a gate to use.
TEST_F(DepsCoverage, ImportThatReadsNoRecordIsAnError) {
  Write("empty/notes.txt", "not an advisory\n");
  ASSERT_EQ(::mkfifo((dir_ / "empty/pipe.json").c_str(), 0644), 0);
  auto r = Tg("db import empty");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no OSV record could be read"));
  Write("bad/a.json", "{\"id\": 5}");
  auto bad = Tg("db import bad");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("a.json"));
  // The database those imports left holds no advisory: a gate on it does not pass.
  Write("repo/requirements.txt", "urllib3==1.26.5\n");
  Write("repo/tollgate.yaml", "version: 1\ngates:\n  dependencies: { scanner: deps, fail_on: high, bypass: [security] }\n");
  auto gate = Tg("gate repo --author 'A <a@x.example>' --commit c1");
  EXPECT_EQ(gate.code, 1) << gate.out << gate.err;
  EXPECT_THAT(gate.out, HasSubstr("advisory-coverage"));
}

}  // namespace
