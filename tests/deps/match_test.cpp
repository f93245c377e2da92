// OSV evaluation, the advisory database and CVSS scores; end to end over
// the real advisories in ../shared/corpora/osv/advisories.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

#include <sqlite3.h>

#include "scan/deps/cvss.h"
#include "scan/deps/deps.h"

namespace tollgate::deps {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using tollgate::testing::TempDir;

OsvAffected Entry(const std::string& json) {
  auto j = ParseJson("{\"id\":\"T-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":[" + json + "]}", "test");
  EXPECT_TRUE(j) << j.error().message();
  auto a = AdvisoryFromJson(*j, "test");
  EXPECT_TRUE(a) << a.error().message();
  return a->affected.at(0);
}

TEST(OsvEvaluation, IntroducedFixedAndExactVersions) {
  auto e = Entry(R"({"package":{"ecosystem":"PyPI","name":"x"},"versions":["0.5"],
    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"1.5"},{"introduced":"2.0"},{"fixed":"2.3"}]}]})");
  EXPECT_FALSE(IsAffected(e, Ecosystem::kPyPI, "0.9"));
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "0.5"));  // listed in versions[]
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "1.0"));
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "1.4.9"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kPyPI, "1.5"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kPyPI, "1.9"));
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "2.2"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kPyPI, "2.3"));
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "1.2rc1"));
}

TEST(OsvEvaluation, LastAffectedIsInclusive) {
  auto e = Entry(R"({"package":{"ecosystem":"npm","name":"x"},
    "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.2.3"}]}]})");
  EXPECT_TRUE(IsAffected(e, Ecosystem::kNpm, "0.0.1"));
  EXPECT_TRUE(IsAffected(e, Ecosystem::kNpm, "1.2.3"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kNpm, "1.2.4"));
}

TEST(OsvEvaluation, LimitBoundsTheRange) {
  // Everything from 1.0 is affected, but only below the limit 2.0: a version
  // at or past every limit is not affected, whatever the other events say.
  auto e = Entry(R"({"package":{"ecosystem":"Go","name":"x"},
    "ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"2.0.0"}]}]})");
  EXPECT_TRUE(IsAffected(e, Ecosystem::kGo, "1.9.9"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kGo, "2.0.0"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kGo, "3.1.0"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kGo, "0.9.0"));
  auto star = Entry(R"({"package":{"ecosystem":"Go","name":"x"},
    "ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"*"}]}]})");
  EXPECT_TRUE(IsAffected(star, Ecosystem::kGo, "9.0.0"));
}

TEST(OsvEvaluation, GitRangesAreSkippedNotFatal) {
  auto e = Entry(R"({"package":{"ecosystem":"PyPI","name":"x"},
    "ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"},{"fixed":"abcdef"}]},
              {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1"}]}]})");
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "1.0"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kPyPI, "1.1"));
  EXPECT_THAT(FixedVersions(e), ElementsAre("1.1"));
}

TEST(OsvEvaluation, UnsortedEventsEvaluateInVersionOrder) {
  auto e = Entry(R"({"package":{"ecosystem":"PyPI","name":"x"},
    "ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"2.3"},{"introduced":"2.0"},{"fixed":"1.5"},{"introduced":"0"}]}]})");
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "1.0"));
  EXPECT_FALSE(IsAffected(e, Ecosystem::kPyPI, "1.7"));
  EXPECT_TRUE(IsAffected(e, Ecosystem::kPyPI, "2.1"));
}

TEST(Remediation, SmallestFixAboveInstalledOnTheSameMajorLine) {
  std::vector<std::string> fixed{"3.2.1", "2.9.5", "2.8.3", "1.4.0", "3.0.0"};
  EXPECT_EQ(ChooseFix(Ecosystem::kNpm, "2.8.0", fixed), "2.8.3");
  EXPECT_EQ(ChooseFix(Ecosystem::kNpm, "2.9.0", fixed), "2.9.5");
  // no fix on the 4.x line: the smallest above at all
  EXPECT_EQ(ChooseFix(Ecosystem::kNpm, "2.9.9", fixed), "3.0.0");
  EXPECT_EQ(ChooseFix(Ecosystem::kNpm, "4.0.0", fixed), std::nullopt);
}

TEST(Names, NormalisedPerEcosystem) {
  EXPECT_EQ(NormalizeName(Ecosystem::kPyPI, "Zope.Interface__x"), "zope-interface-x");
  EXPECT_EQ(NormalizeName(Ecosystem::kNuGet, "Newtonsoft.Json"), "newtonsoft.json");
  EXPECT_EQ(NormalizeName(Ecosystem::kPackagist, "Guzzle/Guzzle"), "guzzle/guzzle");
  EXPECT_EQ(NormalizeName(Ecosystem::kMaven, "Org.Example:Lib"), "Org.Example:Lib");
}

TEST(Cvss, OfficialScoresFromTheCorpus) {
  fs::path p = fs::path(TOLLGATE_SHARED_DIR) / "corpora/cvss/cvss-vectors.json";
  if (!fs::exists(p)) GTEST_SKIP() << "no ../shared/corpora/cvss at " << p;
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto j = ParseJson(ss.str(), p.string());
  ASSERT_TRUE(j);
  int v3 = 0, v3_ok = 0, v4 = 0, v4_ok = 0;
  for (const auto& e : *j) {
    std::string vector = e["vector"], version = e["version"];
    double want = e["score"];
    auto got = CvssBaseScore(vector);
    ASSERT_TRUE(got) << vector << ": " << got.error().message();
    EXPECT_DOUBLE_EQ(*got, want) << vector;
    EXPECT_EQ(CvssSeverity(*got), CvssSeverity(want)) << vector;
    bool ok = *got == want;
    if (version.rfind("3.", 0) == 0) {
      ++v3;
      v3_ok += ok ? 1 : 0;
    } else {
      ++v4;
      v4_ok += ok ? 1 : 0;
    }
  }
  std::cout << "[ cvss ] v3.1: " << v3_ok << "/" << v3 << " official base scores; v4.0: " << v4_ok << "/" << v4
            << " official scores\n";
  EXPECT_EQ(v3, 12);
  EXPECT_EQ(v4, 16);
}

// CVSS v4.0 environmental and threat metrics move the score as the
// specification says; CVSS-B equals CVSS-BTE with the defaults spelled out.
TEST(Cvss, V4ThreatAndEnvironment) {
  const std::string base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
  auto b = CvssBaseScore(base);
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_DOUBLE_EQ(*b, *CvssBaseScore(base + "/E:X/CR:X/IR:X/AR:X/MAV:X"));
  EXPECT_DOUBLE_EQ(*b, *CvssBaseScore(base + "/E:A/CR:H/IR:H/AR:H"));
  // Unreported exploitation lowers the score; a modified attack vector as well.
  EXPECT_LT(*CvssBaseScore(base + "/E:U"), *b);
  EXPECT_LT(*CvssBaseScore(base + "/MAV:P"), *b);
  // Supplemental metrics never change the score.
  EXPECT_DOUBLE_EQ(*CvssBaseScore(base + "/S:P/AU:Y/R:A/V:C/RE:H/U:Red"), *b);
  // Every impact None (also through modified metrics) scores 0.
  EXPECT_DOUBLE_EQ(*CvssBaseScore(base + "/MVC:N/MVI:N/MVA:N"), 0.0);
  EXPECT_EQ(CvssSeverity(*b), Severity::kCritical);
}

// A record rated only by a CVSS v4.0 vector takes its severity from the
// computed score (not from its label), and the highest of v3/v4 wins.
TEST(Cvss, V4RatesAdvisories) {
  Advisory a;
  a.id = "GHSA-v4";
  a.severity_label = "LOW";
  a.severity.push_back({"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"});
  Rating r = RateAdvisory(a);
  ASSERT_TRUE(r.score);
  EXPECT_DOUBLE_EQ(*r.score, 9.3);
  EXPECT_EQ(r.severity, Severity::kCritical);
  EXPECT_EQ(r.vector, a.severity[0].score);
  a.severity.push_back({"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"});  // 7.5: lower
  EXPECT_DOUBLE_EQ(*RateAdvisory(a).score, 9.3);
  a.severity = {{"CVSS_V4", "CVSS:4.0/AV:N/bogus"}};  // unusable vector: the label applies
  r = RateAdvisory(a);
  EXPECT_FALSE(r.score);
  EXPECT_EQ(r.severity, Severity::kLow);
}

TEST(Cvss, BadVectors) {
  for (const char* v : {"CVSS:3.1/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q", "CVSS:2.0/AV:N",
                        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "", "CVSS:3.1/",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:S",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:X",
                        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q", "CVSS:4.0/"}) {
    auto r = CvssBaseScore(v);
    EXPECT_FALSE(r) << v;
  }
  EXPECT_DOUBLE_EQ(*CvssBaseScore("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
}

std::string Record(const std::string& id, const std::string& modified, const std::string& extra) {
  return R"({"id":")" + id + R"(","modified":")" + modified + "\"" + extra + "}";
}

// The database's record encoding round-trips every field, and any damaged
// (truncated, extended or altered) record is an integrity error, never a crash.
TEST(AdvisoryRecord, RoundTripAndDamage) {
  auto j = ParseJson(R"({"id":"GHSA-x","modified":"2024-01-01T00:00:00Z","published":"2023-01-01T00:00:00Z",
    "summary":"s","aliases":["CVE-9"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "database_specific":{"severity":"HIGH"},"references":[{"url":"https://example.test/a"}],
    "affected":[{"package":{"ecosystem":"PyPI","name":"Demo_Pkg","purl":"pkg:pypi/demo-pkg"},"versions":["1.0","1.1"],
      "ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"2.0"},{"introduced":"0"},{"limit":"3.0"}]}]}]})", "t");
  ASSERT_TRUE(j);
  auto a = AdvisoryFromJson(*j, "t");
  ASSERT_TRUE(a) << a.error().message();
  std::string bytes = EncodeAdvisory(*a);
  auto b = DecodeAdvisory(bytes, "t");
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(AdvisoryToJson(*b), AdvisoryToJson(*a));
  ASSERT_EQ(b->affected.size(), 1u);
  EXPECT_EQ(b->affected[0].key_name, "demo-pkg");
  EXPECT_EQ(b->affected[0].eco, Ecosystem::kPyPI);
  EXPECT_EQ(b->affected[0].ranges[0].events[0].kind, OsvEvent::kIntroduced);  // stored in evaluation order
  EXPECT_TRUE(IsAffected(b->affected[0], Ecosystem::kPyPI, "1.5"));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto t = DecodeAdvisory(std::string_view(bytes).substr(0, n), "t");
    EXPECT_FALSE(t) << "truncated to " << n;
    if (!t) {
      EXPECT_EQ(t.error().code(), ErrorCode::kIntegrity);
    }
  }
  EXPECT_FALSE(DecodeAdvisory(bytes + "x", "t"));
  std::string big = bytes;
  big[4] = '\x7f';  // id length beyond the record
  EXPECT_FALSE(DecodeAdvisory(big, "t"));
}

TEST(AdvisoryDb, IncrementalByModifiedAndWithdrawnNeverMatch) {
  TempDir t;
  t.Write("in/a.json", Record("PYSEC-1", "2024-01-01T00:00:00Z", R"(,"aliases":["CVE-1"],
    "affected":[{"package":{"ecosystem":"PyPI","name":"Demo_Pkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}])"));
  t.Write("in/b.yaml", "id: GHSA-1\nmodified: '2024-02-01T00:00:00Z'\naliases: [CVE-1]\n"
                       "severity:\n- type: CVSS_V3\n  score: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n"
                       "affected:\n- package: {ecosystem: PyPI, name: demo-pkg}\n  ranges:\n  - type: ECOSYSTEM\n"
                       "    events: [{introduced: '1.0'}, {fixed: '1.10'}]\n");
  t.Write("in/w.json", Record("PYSEC-W", "2024-01-01T00:00:00Z", R"(,"withdrawn":"2024-03-01T00:00:00Z",
    "affected":[{"package":{"ecosystem":"PyPI","name":"demo-pkg"},"versions":["1.5"]}])"));
  t.Write("in/bad.json", "{\"id\": 5}");
  auto db = AdvisoryDb::Open((t.path() / "db").string(), true);
  ASSERT_TRUE(db) << db.error().message();
  auto st = (*db)->Import({(t.path() / "in").string()});
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->added, 3u);
  EXPECT_EQ(st->withdrawn, 1u);
  ASSERT_EQ(st->warnings.size(), 1u);
  EXPECT_THAT(st->warnings[0], HasSubstr("bad.json"));

  // demo_pkg 1.5 (PEP 503 spelling differs): PYSEC-1 and GHSA-1 alias each
  // other through CVE-1 and merge into one finding; the withdrawn record does not match.
  Package p;
  p.ecosystem = Ecosystem::kPyPI;
  p.name = "demo.pkg";
  p.version = "1.5";
  p.file = "requirements.txt";
  p.line = 3;
  auto f = MatchPackages({p}, **db);
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->size(), 1u);
  const Finding& x = f->front();
  EXPECT_EQ(x.rule_id, "PYSEC-1");
  EXPECT_EQ(x.severity, Severity::kCritical);  // 9.8 from GHSA-1's vector
  EXPECT_EQ(x.details["package"], "demo.pkg");
  EXPECT_EQ(x.details["version"], "1.5");
  EXPECT_EQ(x.details["fixed"], "1.10");
  EXPECT_EQ(x.details["cvss"]["score"], 9.8);
  EXPECT_THAT(x.details["aliases"].get<std::vector<std::string>>(), ElementsAre("CVE-1", "GHSA-1"));
  EXPECT_EQ(x.location.line, 3u);
  EXPECT_EQ(x.remediation, "upgrade demo.pkg to 1.10");

  // An older record does not replace a newer one; a newer one does.
  auto st2 = (*db)->Import({t.Write("old.json", Record("PYSEC-1", "2023-01-01T00:00:00Z", ",\"affected\":[]"))});
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->unchanged, 1u);
  EXPECT_EQ(MatchPackages({p}, **db)->size(), 1u);
  auto before = (*db)->GetStatus();
  auto st3 = (*db)->Import({t.Write("new.json", Record("GHSA-1", "2025-01-01T00:00:00Z", ",\"withdrawn\":\"2025-01-01T00:00:00Z\""))});
  ASSERT_TRUE(st3);
  EXPECT_EQ(st3->updated, 1u);
  auto after = (*db)->GetStatus();
  EXPECT_NE(before->digest, after->digest);
  EXPECT_EQ(after->newest_modified, "2025-01-01T00:00:00Z");
  EXPECT_EQ(after->withdrawn, 2u);
  auto summary = (*db)->Summary();  // what scans record, from the meta table
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->advisories, after->advisories);
  EXPECT_EQ(summary->digest, after->digest);
  EXPECT_EQ(summary->newest_modified, after->newest_modified);
}

// `modified` decides which record is newer and how old the database is
// (max_db_age): a value that is not an RFC 3339 time is a bad record (it
// compared as a string, so "zzz" beat every update), fractional and offset
// times compare as the times they are, and a record dated in the future,
// which would keep a stale database looking fresh for years, is dated at the
// import and named in a warning.
TEST(AdvisoryDb, ModifiedIsATimeAndNeverInTheFuture) {
  TempDir t;
  const std::string pkg = R"(,"affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"versions":["1.0"]}])";
  t.Write("in/a.json", Record("PYSEC-A", "2024-01-01T10:00:00.5+02:00", pkg));
  t.Write("in/future.json", Record("PYSEC-F", "2099-01-01T00:00:00Z", pkg));
  t.Write("in/text.json", Record("PYSEC-T", "zzz", pkg));
  // Go's vulnerability database writes Go's zero time; beyond 2262 is the future too.
  t.Write("in/zero.json", Record("GO-Z", "0001-01-01T00:00:00Z", pkg));
  t.Write("in/y2300.json", Record("PYSEC-Y", "2300-01-01T00:00:00Z", pkg));
  auto db = AdvisoryDb::Open((t.path() / "db").string(), true);
  ASSERT_TRUE(db) << db.error().message();
  auto st = (*db)->Import({(t.path() / "in").string()});
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->added, 4u);
  ASSERT_EQ(st->warnings.size(), 3u);
  EXPECT_THAT(st->warnings[0], AllOf(HasSubstr("future.json"), HasSubstr("PYSEC-F"), HasSubstr("in the future")));
  EXPECT_THAT(st->warnings[1], AllOf(HasSubstr("text.json"), HasSubstr("modified"), HasSubstr("RFC 3339")));
  EXPECT_THAT(st->warnings[2], AllOf(HasSubstr("y2300.json"), HasSubstr("in the future")));
  auto status = (*db)->GetStatus();
  ASSERT_TRUE(status);
  EXPECT_LT(status->newest_modified, "2099");
  EXPECT_GT(status->newest_modified, "2026");  // the import's own time

  // 08:00:00.5Z, written in UTC: a later update at 08:00:01Z replaces it,
  // though "...T08:00:01Z" < "...T10:00:00.5+02:00" as strings.
  auto st2 = (*db)->Import({t.Write("later.json", Record("PYSEC-A", "2024-01-01T08:00:01Z", ",\"affected\":[]"))});
  ASSERT_TRUE(st2) << st2.error().message();
  EXPECT_EQ(st2->updated, 1u);
}

// An advisory that publishes no severity takes it from an alias's own
// record in the database, even one that does not match the package (here
// the GHSA record names the package under another spelling of a different
// ecosystem entry): never a silent "medium" when the database knows better.
// With no rated alias it stays unrated and says so.
TEST(AdvisoryDb, UnratedAdvisoryTakesItsSeverityFromAnAliasRecord) {
  TempDir t;
  t.Write("in/py.json", Record("PYSEC-9", "2024-01-01T00:00:00Z", R"(,"aliases":["GHSA-9","CVE-9"],
    "affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"versions":["1.0"]}])"));
  t.Write("in/gh.json", Record("GHSA-9", "2024-01-01T00:00:00Z", R"(,"aliases":["CVE-9"],
    "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
    "affected":[{"package":{"ecosystem":"PyPI","name":"demo-legacy"},"versions":["0.9"]}])"));
  t.Write("in/bare.json", Record("PYSEC-8", "2024-01-01T00:00:00Z", R"(,"aliases":["CVE-8"],
    "affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"versions":["1.0"]}])"));
  auto db = AdvisoryDb::Open((t.path() / "db").string(), true);
  ASSERT_TRUE(db) << db.error().message();
  ASSERT_TRUE((*db)->Import({(t.path() / "in").string()}));
  Package p;
  p.ecosystem = Ecosystem::kPyPI;
  p.name = "demo";
  p.version = "1.0";
  p.file = "requirements.txt";
  auto found = MatchPackages({p}, **db);
  ASSERT_TRUE(found) << found.error().message();
  ASSERT_EQ(found->size(), 2u);
  // Sorted: the unrated advisory (issue 13 §3: `unknown`, never a silent
  // medium) is listed before every rated one.
  const Finding& bare = (*found)[0];
  const Finding& rated = (*found)[1];
  EXPECT_EQ(rated.rule_id, "PYSEC-9");
  EXPECT_EQ(rated.severity, Severity::kHigh);  // 7.5
  EXPECT_EQ(rated.details["severity_from"], "GHSA-9");
  EXPECT_EQ(rated.details["cvss"]["score"], 7.5);
  EXPECT_THAT(rated.message, HasSubstr("[severity from GHSA-9]"));
  EXPECT_EQ(bare.rule_id, "PYSEC-8");
  EXPECT_EQ(bare.severity, Severity::kUnknown);
  EXPECT_EQ(ToJson(bare)["severity"], "unknown");
  EXPECT_FALSE(bare.details.contains("severity_from"));
  EXPECT_THAT(bare.message, HasSubstr("no severity published"));
  // The reference matcher agrees.
  auto all = (*db)->All();
  ASSERT_TRUE(all);
  auto naive = MatchPackagesNaive({p}, *all);
  ASSERT_EQ(naive.size(), 2u);
  EXPECT_EQ(ToJson(naive[1]), ToJson(rated));
  EXPECT_EQ(ToJson(naive[0]), ToJson(bare));
}

TEST(AdvisoryDb, OsPackagesMatchTheirDistributionAndRelease) {
  TempDir t;
  auto rec = [](const std::string& id, const std::string& eco, const std::string& name, const std::string& fixed) {
    return R"({"id":")" + id + R"(","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":")" + eco +
           R"(","name":")" + name + R"("},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":")" + fixed +
           R"("}]}]}]})";
  };
  t.Write("in/r1.json", rec("RLSA-1", "Rocky Linux:9", "openssl", "1:3.0.7-25.el9"));
  t.Write("in/r2.json", rec("ALSA-1", "AlmaLinux:9", "openssl", "1:3.0.7-27.el9"));
  t.Write("in/r3.json", rec("RLSA-8", "Rocky Linux:8", "openssl", "1:9.9-1.el8"));
  t.Write("in/a1.json", rec("ALPINE-1", "Alpine:v3.19", "openssl", "3.1.4-r1"));
  t.Write("in/a2.json", rec("ALPINE-2", "Alpine:v3.18", "openssl", "3.1.9-r0"));
  auto db = AdvisoryDb::Open((t.path() / "db").string(), true);
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Import({(t.path() / "in").string()}));
  Package rpm;
  rpm.ecosystem = Ecosystem::kRedHat;
  rpm.name = "openssl";
  rpm.version = "1:3.0.7-24.el9";
  rpm.release = "9";
  rpm.distro = "rocky";
  Package apk;
  apk.ecosystem = Ecosystem::kAlpine;
  apk.name = "openssl";
  apk.version = "3.1.4-r0";
  apk.release = "v3.19";
  auto f = MatchPackages({rpm, apk}, **db);
  ASSERT_TRUE(f) << f.error().message();
  std::vector<std::string> ids;
  for (const auto& x : *f) ids.push_back(x.rule_id + " " + x.details["fixed"].get<std::string>());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("RLSA-1 1:3.0.7-25.el9", "ALPINE-1 3.1.4-r1"));
}

TEST(AdvisoryDb, MissingAndCorruptInputs) {
  TempDir t;
  EXPECT_EQ(AdvisoryDb::Open((t.path() / "none").string(), false).error().code(), ErrorCode::kNotFound);
  auto db = AdvisoryDb::Open((t.path() / "db").string(), true);
  ASSERT_TRUE(db);
  EXPECT_FALSE((*db)->Import({(t.path() / "nope").string()}));
  // Nothing readable: an error that names the file (nothing was imported).
  auto st = (*db)->Import({t.Write("all.zip", "PK\x03\x04 this is not really a zip")});
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message(), HasSubstr("no OSV record could be read"));
  EXPECT_THAT(st.error().message(), HasSubstr("all.zip"));
  // not our database file
  t.Write("other/advisories.db", "garbage garbage garbage garbage");
  EXPECT_FALSE(AdvisoryDb::Open((t.path() / "other").string(), false));
}

// A database written by another format version (here: the previous one, CBOR
// records and no rowid column) is refused by readers and rebuilt by import.
TEST(AdvisoryDb, OtherFormatRefusedByReadersRebuiltByImport) {
  TempDir t;
  fs::create_directories(t.path() / "old");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((t.path() / "old/advisories.db").string().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TABLE advisories(id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL,"
                         " record TEXT NOT NULL);"
                         "CREATE TABLE affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL);"
                         "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "INSERT INTO advisories VALUES('X-1', '2024-01-01T00:00:00Z', 0, x'a1');"
                         "INSERT INTO affected VALUES('PyPI', 'demo', 'X-1');"
                         "INSERT INTO meta VALUES('format', '2');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto reader = AdvisoryDb::Open((t.path() / "old").string(), false);
  ASSERT_FALSE(reader);
  EXPECT_THAT(reader.error().message(), HasSubstr("another version of tollgate"));
  auto db = AdvisoryDb::Open((t.path() / "old").string(), true);
  ASSERT_TRUE(db) << db.error().message();
  auto st = (*db)->Import({t.Write("in/a.json", Record("PYSEC-9", "2024-01-01T00:00:00Z", R"(,
    "affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"versions":["1.0"]}])"))});
  ASSERT_TRUE(st) << st.error().message();
  auto status = (*db)->GetStatus();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->advisories, 1u);  // the old record is gone
  Package p;
  p.ecosystem = Ecosystem::kPyPI;
  p.name = "demo";
  p.version = "1.0";
  auto f = MatchPackages({p}, **AdvisoryDb::Open((t.path() / "old").string(), false));
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ(f->front().rule_id, "PYSEC-9");
}

// ------------------------------------------------------------ real advisories
class RealAdvisories : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus_ = fs::path(TOLLGATE_SHARED_DIR) / "corpora/osv/advisories";
    if (!fs::is_directory(corpus_)) return;
    dir_ = new TempDir();
    auto db = AdvisoryDb::Open((dir_->path() / "db").string(), true);
    ASSERT_TRUE(db) << db.error().message();
    auto st = (*db)->Import({corpus_.string()});
    ASSERT_TRUE(st) << st.error().message();
    stats_ = *st;
    db_ = db->release();
  }
  static void TearDownTestSuite() {
    delete db_;
    delete dir_;
    db_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (db_ == nullptr) GTEST_SKIP() << "no ../shared/corpora/osv/advisories at " << corpus_;
  }
  std::vector<Finding> Scan(const std::string& file, const std::string& content) {
    TempDir t;
    t.Write(file, content);
    auto r = ScanDeps({t.path().string()}, *db_);
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->findings : std::vector<Finding>{};
  }
  static const Finding* Find(const std::vector<Finding>& fs, const std::string& id) {
    for (const auto& f : fs) {
      if (f.rule_id == id) return &f;
      for (const auto& a : f.details["aliases"])
        if (a == id) return &f;
    }
    return nullptr;
  }

  static inline fs::path corpus_;
  static inline TempDir* dir_ = nullptr;
  static inline AdvisoryDb* db_ = nullptr;
  static inline ImportStats stats_;
};

TEST_F(RealAdvisories, ImportsEveryRecord) {
  EXPECT_GT(stats_.read, 8000u);
  EXPECT_TRUE(stats_.warnings.empty()) << stats_.warnings.front();
  auto st = db_->GetStatus();
  ASSERT_TRUE(st);
  EXPECT_GT(st->per_ecosystem["PyPI"], 2500u);
  EXPECT_GT(st->per_ecosystem["Go"], 4000u);
  EXPECT_GT(st->per_ecosystem["crates.io"], 1000u);
  EXPECT_EQ(st->digest.size(), 64u);
}

TEST_F(RealAdvisories, PyPIPinnedInsideTheRangeIsFlaggedWithTheFix) {
  auto fs = Scan("requirements.txt", "Jinja2==2.7.1\n");
  const Finding* f = Find(fs, "PYSEC-2014-8");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->details["fixed"], "2.7.2");
  EXPECT_EQ(f->details["package"], "Jinja2");
  EXPECT_THAT(f->details["aliases"].dump(), HasSubstr("CVE-2014-1402"));
  // the fixed version itself is not affected by that advisory
  EXPECT_EQ(Find(Scan("requirements.txt", "jinja2==2.7.2\n"), "PYSEC-2014-8"), nullptr);
}

TEST_F(RealAdvisories, GoModuleInsideTheRange) {
  auto fs = Scan("go.mod", "module m\n\nrequire gopkg.in/yaml.v3 v3.0.0-20210107192922-496545a6307b\n");
  const Finding* f = Find(fs, "GO-2022-0603");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->details["fixed"], "3.0.0-20220521103104-8f96da9f5d5e");
  EXPECT_EQ(f->location.line, 3u);
  EXPECT_EQ(Find(Scan("go.mod", "module m\nrequire gopkg.in/yaml.v3 v3.0.1\n"), "GO-2022-0603"), nullptr);
}

TEST_F(RealAdvisories, GoToolchainChecksTheStandardLibrary) {
  auto fs = Scan("go.mod", "module m\n\ngo 1.21\n\ntoolchain go1.21.3\n");
  ASSERT_FALSE(fs.empty());
  for (const auto& f : fs) {
    EXPECT_EQ(f.details["package"], "stdlib");
    EXPECT_EQ(f.location.line, 5u);
    if (f.details["fixed"].is_string()) {
      EXPECT_GT(CompareVersions(Ecosystem::kGo, f.details["fixed"].get<std::string>(), "1.21.3"), 0);
    }
  }
}

TEST_F(RealAdvisories, CrateInsideTheRangeWithCvssSeverity) {
  // RUSTSEC-2021-0003: smallvec 0.6.3..0.6.14 and 1.0.0..1.6.1, fixed in 0.6.14 and 1.6.1
  auto fs = Scan("Cargo.lock", "[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n");
  const Finding* f = Find(fs, "RUSTSEC-2021-0003");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->details["fixed"], "1.6.1");  // same major line, not 0.6.14
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(Find(Scan("Cargo.lock", "[[package]]\nname = \"smallvec\"\nversion = \"1.6.1\"\n"), "RUSTSEC-2021-0003"),
            nullptr);
}

TEST_F(RealAdvisories, IndexAndNaiveScanAgree) {
  auto all = db_->All();
  ASSERT_TRUE(all);
  Inventory inv;
  ASSERT_TRUE(ParseLockfile("requirements", "jinja2==2.7.1\nurllib3==1.24.1\ndjango==3.2.0\nrequests==2.19.0\n",
                            "requirements.txt", inv));
  ASSERT_TRUE(ParseLockfile("cargo", "[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n", "Cargo.lock", inv));
  auto indexed = MatchPackages(inv.packages, *db_);
  ASSERT_TRUE(indexed);
  auto naive = MatchPackagesNaive(inv.packages, *all);
  ASSERT_EQ(indexed->size(), naive.size());
  EXPECT_GT(naive.size(), 10u);
  for (std::size_t i = 0; i < naive.size(); ++i) EXPECT_EQ((*indexed)[i].fingerprint, naive[i].fingerprint);
}

}  // namespace
}  // namespace tollgate::deps
