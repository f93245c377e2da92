#include "scan/import/sarif.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/report.h"

namespace tollgate::sarif {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string Testdata(const std::string& name) { return std::string(TOLLGATE_SOURCE_DIR) + "/tests/scan/testdata/" + name; }

std::vector<Finding> ImportOk(std::string_view text, std::string_view gate = "sast") {
  auto r = ImportSarif(text, "test.sarif", gate);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
  return r ? *r : std::vector<Finding>{};
}

// The error message of an import expected to fail with Error::Input.
std::string ImportError(std::string_view text, std::string_view source = "reports/sast.sarif") {
  auto r = ImportSarif(text, source, "sast");
  if (r) {
    ADD_FAILURE() << "import unexpectedly succeeded with " << r->size() << " findings";
    return {};
  }
  EXPECT_EQ(r.error().code(), ErrorCode::kInput);
  return r.error().message();
}

// A minimal valid document with one result whose JSON is `result`.
std::string OneResult(const std::string& result, const std::string& rules = "[]") {
  return R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":)" + rules + R"(}},"results":[)" +
         result + "]}]}";
}

// ---------------------------------------------------------- tool shapes ---

TEST(SarifImport, SemgrepShape) {
  auto r = ImportSarifFile(Testdata("semgrep.sarif"), "sast");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);

  const Finding& sql = (*r)[0];
  EXPECT_EQ(sql.rule_id, "python.lang.security.audit.formatted-sql-query.formatted-sql-query");
  EXPECT_EQ(sql.gate, "sast");
  EXPECT_EQ(sql.tool, "Semgrep OSS");
  EXPECT_EQ(sql.severity, Severity::kMedium);  // rule defaultConfiguration.level warning
  EXPECT_EQ(sql.message, "Detected possible formatted SQL query. Use parameterized queries instead.");
  EXPECT_EQ(sql.location.file, "app/db.py");  // relative to %SRCROOT%, kept relative
  EXPECT_EQ(sql.location.line, 42u);
  EXPECT_EQ(sql.location.column, 9u);
  EXPECT_EQ(sql.remediation, "Use parameterized queries: cursor.execute(sql, params).");  // help wins
  EXPECT_THAT(sql.references, ElementsAre("CWE-89", "OWASP-A01:2017", "OWASP-A03:2021"));
  EXPECT_EQ(sql.fingerprint.size(), 64u);

  const Finding& key = (*r)[1];
  EXPECT_EQ(key.severity, Severity::kHigh);  // result level error
  EXPECT_EQ(key.location.file, "config/settings prod.py");  // "./" dropped, %20 decoded
  EXPECT_EQ(key.location.line, 3u);
  EXPECT_EQ(key.remediation, "AWS Access Key ID Value detected. Rotate the key and load it from the environment.");
  EXPECT_THAT(key.references, ElementsAre("CWE-798"));
}

TEST(SarifImport, CodeqlShapeWithRuleIndexAndSecuritySeverity) {
  auto r = ImportSarifFile(Testdata("codeql.sarif"), "codeql");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  // The "pass" result and the baseline-"absent" result report no problem.
  ASSERT_EQ(r->size(), 3u);

  const Finding& sql = (*r)[0];
  EXPECT_EQ(sql.rule_id, "js/sql-injection");
  EXPECT_EQ(sql.tool, "CodeQL");
  EXPECT_EQ(sql.severity, Severity::kHigh);  // security-severity 8.8 beats level error
  EXPECT_EQ(sql.location.file, "src/routes/users.js");
  EXPECT_EQ(sql.location.line, 27u);
  EXPECT_EQ(sql.location.column, 22u);
  EXPECT_THAT(sql.references, ElementsAre("CWE-89", "CWE-90", "CWE-943"));
  EXPECT_THAT(sql.remediation, StartsWith("# Database query built from user-controlled sources"));

  const Finding& xss = (*r)[1];
  EXPECT_EQ(xss.rule_id, "js/reflected-xss");  // from rule.id, no ruleId
  EXPECT_EQ(xss.severity, Severity::kMedium);  // 6.1
  EXPECT_EQ(xss.location.file, "src/routes/search.js");  // through run.artifacts[1]
  EXPECT_EQ(xss.location.line, 12u);
  EXPECT_THAT(xss.references, ElementsAre("CWE-79", "CWE-116"));
  // No help: the full description is the remediation.
  EXPECT_THAT(xss.remediation, StartsWith("Writing user input directly"));

  const Finding& unused = (*r)[2];
  EXPECT_EQ(unused.rule_id, "js/unused-local-variable");  // from ruleIndex alone
  EXPECT_EQ(unused.severity, Severity::kLow);             // rule level note
  EXPECT_EQ(unused.message, "Unused variable tmp.");      // message id + arguments
  EXPECT_EQ(unused.location.file, "src/util.js");         // absolute file:// under %SRCROOT%
  EXPECT_EQ(unused.location.line, 8u);
  EXPECT_EQ(unused.location.column, 0u);
  EXPECT_THAT(unused.references, IsEmpty());  // "maintainability" is no reference
}

TEST(SarifImport, ZapShapeWithWebUris) {
  auto r = ImportSarifFile(Testdata("zap.sarif"), "dast");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->size(), 2u);

  const Finding& xss = (*r)[0];
  EXPECT_EQ(xss.rule_id, "40012");
  EXPECT_EQ(xss.tool, "ZAP");
  EXPECT_EQ(xss.gate, "dast");
  EXPECT_EQ(xss.severity, Severity::kHigh);
  EXPECT_EQ(xss.location.file, "https://shop.example.test/search?q=%3Cscript%3E");  // web URI kept as is
  EXPECT_EQ(xss.location.line, 1u);
  EXPECT_EQ(xss.remediation, "Validate all input and encode all output for the context it is written to.");
  EXPECT_THAT(xss.references, ElementsAre("CWE-79", "https://www.zaproxy.org/docs/alerts/40012/"));

  const Finding& csp = (*r)[1];
  EXPECT_EQ(csp.rule_id, "10038");
  EXPECT_EQ(csp.severity, Severity::kMedium);
  EXPECT_EQ(csp.message, "Content Security Policy header not set on **/**.");  // markdown fallback
  EXPECT_EQ(csp.location.file, "https://shop.example.test/");
  EXPECT_EQ(csp.location.line, 0u);
  // CWE named through toolComponent.index into run.taxonomies.
  EXPECT_THAT(csp.references, ElementsAre("CWE-693", "https://www.zaproxy.org/docs/alerts/10038/"));
}

// --------------------------------------------------------------- severity ---

TEST(SarifImport, SeverityFromSecuritySeverityBands) {
  struct Case {
    std::string score;
    Severity want;
  };
  for (const Case& c : std::vector<Case>{{"\"9.0\"", Severity::kCritical},
                                         {"\"10\"", Severity::kCritical},
                                         {"\"8.9\"", Severity::kHigh},
                                         {"7.0", Severity::kHigh},
                                         {"\"4.0\"", Severity::kMedium},
                                         {"\"0.1\"", Severity::kLow},
                                         {"\"0.0\"", Severity::kInfo}}) {
    auto f = ImportOk(OneResult(R"({"ruleId":"r","level":"note","message":{"text":"m"},"properties":{"security-severity":)" +
                                c.score + "}}"));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].severity, c.want) << c.score;
  }
}

TEST(SarifImport, SeverityFromLevels) {
  struct Case {
    std::string level;
    Severity want;
  };
  for (const Case& c : std::vector<Case>{{"error", Severity::kHigh},
                                         {"warning", Severity::kMedium},
                                         {"note", Severity::kLow},
                                         {"none", Severity::kInfo}}) {
    auto f = ImportOk(OneResult(R"({"ruleId":"r","level":")" + c.level + R"(","message":{"text":"m"}})"));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].severity, c.want) << c.level;
  }
  // No level anywhere: "warning".
  auto f = ImportOk(OneResult(R"({"ruleId":"r","message":{"text":"m"}})"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kMedium);
}

// ------------------------------------------------------------- locations ---

TEST(SarifImport, UriForms) {
  std::string doc = R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},
    "originalUriBaseIds":{"ROOT":{"uri":"file:///build/repo/"},"SRC":{"uri":"src/","uriBaseId":"ROOT"}},
    "results":[
      {"ruleId":"a","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"main.c","uriBaseId":"SRC"}}}]},
      {"ruleId":"a","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///build/repo/lib/x.c"}}}]},
      {"ruleId":"a","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///elsewhere/y.c"}}}]},
      {"ruleId":"a","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"lib\\win.c"}}}]},
      {"ruleId":"a","message":{"text":"m"}}
    ]}]})";
  auto f = ImportOk(doc);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].location.file, "src/main.c");
  EXPECT_EQ(f[1].location.file, "lib/x.c");
  EXPECT_EQ(f[2].location.file, "/elsewhere/y.c");
  EXPECT_EQ(f[3].location.file, "lib/win.c");
  EXPECT_EQ(f[4].location.file, "");
}

// ------------------------------------------------------------- fingerprints ---

// The findings of one rule share its help text rather than each holding a
// copy (issue 14: a 550-byte help text in 567,523 findings was 300 MB);
// another rule's findings have their own.
TEST(SarifImport, FindingsOfOneRuleShareItsHelpText) {
  const std::string rules =
      R"([{"id":"a","help":{"text":"Fix a."}},{"id":"b","fullDescription":{"text":"About b."}}])";
  auto r = ImportSarif(OneResult(R"({"ruleId":"a","message":{"text":"1"}},{"ruleId":"b","message":{"text":"2"}},)"
                                 R"({"ruleId":"a","message":{"text":"3"}},{"ruleId":"b","message":{"text":"4"}})",
                                 rules),
                       "test.sarif", "sast");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].remediation, "Fix a.");
  EXPECT_EQ((*r)[1].remediation, "About b.");
  EXPECT_EQ(&(*r)[0].remediation.str(), &(*r)[2].remediation.str());
  EXPECT_EQ(&(*r)[1].remediation.str(), &(*r)[3].remediation.str());
  EXPECT_NE(&(*r)[0].remediation.str(), &(*r)[1].remediation.str());
}

TEST(SarifImport, FingerprintStableWhenOnlyTheLineChanges) {
  auto at = [](int line, const std::string& file, const std::string& snippet) {
    return OneResult(R"({"ruleId":"sqli","message":{"text":"SQL built from input"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":")" +
                     file + R"("},"region":{"startLine":)" + std::to_string(line) + R"(,"snippet":{"text":")" + snippet +
                     R"("}}}}]})");
  };
  auto a = ImportOk(at(10, "app/db.py", "execute(q % x)"));
  auto b = ImportOk(at(250, "app/db.py", "execute(q % x)"));
  auto other_file = ImportOk(at(10, "app/other.py", "execute(q % x)"));
  auto other_code = ImportOk(at(10, "app/db.py", "execute(q + y)"));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(other_file.size(), 1u);
  ASSERT_EQ(other_code.size(), 1u);
  EXPECT_EQ(a[0].fingerprint, b[0].fingerprint);
  EXPECT_EQ(a[0].fingerprint, MakeFingerprint("sqli", {"app/db.py", "execute(q % x)"}));
  EXPECT_NE(a[0].fingerprint, other_file[0].fingerprint);
  EXPECT_NE(a[0].fingerprint, other_code[0].fingerprint);
}

TEST(SarifImport, FingerprintWithoutSnippetUsesMessage) {
  auto f = ImportOk(OneResult(
      R"({"ruleId":"r","message":{"text":"msg"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"},"region":{"startLine":4}}}]})"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].fingerprint, MakeFingerprint("r", {"a.c", "msg"}));
}

TEST(SarifImport, ToolFingerprintsWinAndSurviveMovedLines) {
  auto at = [](int line, const std::string& message) {
    return OneResult(R"({"ruleId":"r","message":{"text":")" + message +
                     R"("},"partialFingerprints":{"primaryLocationLineHash":"abc:1"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.js"},"region":{"startLine":)" +
                     std::to_string(line) + "}}}]}");
  };
  auto a = ImportOk(at(3, "flow from [input](1)"));
  auto b = ImportOk(at(90, "flow from [a different input](1)"));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].fingerprint, b[0].fingerprint);
  EXPECT_EQ(a[0].fingerprint.size(), 64u);
  EXPECT_NE(a[0].fingerprint, MakeFingerprint("r", {"a.js", "flow from [input](1)"}));
}

TEST(SarifImport, OwnFingerprintIsKept) {
  const std::string fp(64, 'a');
  auto f = ImportOk(OneResult(R"({"ruleId":"r","message":{"text":"m"},"partialFingerprints":{"tollgate/v1":")" + fp +
                              R"("}})"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].fingerprint, fp);
}

// The SARIF writer's output imports back to the same findings.
TEST(SarifImport, RoundTripsTheSarifWriter) {
  Report report;
  report.tool_version = "0.1.0";
  Finding a;
  a.rule_id = "aws-access-key";
  a.gate = "secrets";
  a.severity = Severity::kCritical;
  a.message = "AWS access key committed";
  a.location = {"src/conf ig.py", 12, 5, ""};
  a.fingerprint = MakeFingerprint("aws-access-key", {"src/conf ig.py", "AKIA"});
  a.remediation = "Rotate the key.";
  a.references = {"CWE-798"};
  Finding b;
  b.rule_id = "open-redirect";
  b.gate = "secrets";
  b.severity = Severity::kLow;
  b.message = "Redirect to user-controlled URL";
  b.location = {"/abs/path/x.go", 0, 0, ""};
  b.fingerprint = MakeFingerprint("open-redirect", {"x"});
  report.findings = {a, b};
  std::ostringstream out;
  WriteSarif(report, out);

  auto back = ImportSarif(out.str(), "out.sarif", "secrets");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  ASSERT_EQ(back->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Finding& want = report.findings[i];
    const Finding& got = (*back)[i];
    EXPECT_EQ(got.rule_id, want.rule_id);
    EXPECT_EQ(got.severity, want.severity);
    EXPECT_EQ(got.message, want.message);
    EXPECT_EQ(got.location.file, want.location.file);
    EXPECT_EQ(got.location.line, want.location.line);
    EXPECT_EQ(got.location.column, want.location.column);
    EXPECT_EQ(got.fingerprint, want.fingerprint);
    EXPECT_EQ(got.remediation, want.remediation);
    EXPECT_EQ(got.references, want.references);
    EXPECT_EQ(got.tool, "tollgate");
  }
}

// ------------------------------------------------------------ empty input ---

TEST(SarifImport, EmptyRunsAndResultsAreFine) {
  EXPECT_THAT(ImportOk(R"({"version":"2.1.0","runs":[]})"), IsEmpty());
  EXPECT_THAT(ImportOk(R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"results":[]}]})"), IsEmpty());
  EXPECT_THAT(ImportOk(R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}}}]})"), IsEmpty());
  EXPECT_THAT(ImportOk(R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"results":null}]})"), IsEmpty());
}

TEST(SarifImport, ResultWithoutAnyRuleGetsAPlaceholderId) {
  auto f = ImportOk(OneResult(R"({"message":{"text":"m"}})"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule_id, "sarif-unknown-rule");
}

// ------------------------------------------------------------ bad input ---

TEST(SarifImport, MalformedJsonGivesLineAndColumn) {
  std::string text = "{\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {,\n  ]\n}\n";
  std::string msg = ImportError(text, "reports/bad.sarif");
  EXPECT_THAT(msg, StartsWith("reports/bad.sarif:4:"));
}

TEST(SarifImport, DuplicateKeysAreRejected) {
  std::string msg = ImportError(R"({"version":"2.1.0","version":"2.1.0","runs":[]})");
  EXPECT_THAT(msg, StartsWith("reports/sast.sarif:1:"));
}

TEST(SarifImport, WrongStructureNamesThePath) {
  struct Case {
    std::string doc;
    std::string want;
  };
  const std::string ok = R"({"ruleId":"r","message":{"text":"m"}})";
  const std::vector<Case> cases = {
      {R"([])", "reports/sast.sarif: (root): expected an object"},
      {R"({"runs":[]})", "reports/sast.sarif: version: required property is missing"},
      {R"({"version":"2.0.0","runs":[]})", "reports/sast.sarif: version: unsupported SARIF version \"2.0.0\""},
      {R"({"version":2.1,"runs":[]})", "reports/sast.sarif: version: expected a string"},
      {R"({"version":"2.1.0"})", "reports/sast.sarif: runs: required property is missing"},
      {R"({"version":"2.1.0","runs":{}})", "reports/sast.sarif: runs: expected an array"},
      {R"({"version":"2.1.0","runs":[7]})", "reports/sast.sarif: runs[0]: expected an object"},
      {R"({"version":"2.1.0","runs":[{}]})", "reports/sast.sarif: runs[0].tool: required property is missing"},
      {R"({"version":"2.1.0","runs":[{"tool":{}}]})", "reports/sast.sarif: runs[0].tool.driver: required property is missing"},
      {R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":5}}}]})",
       "reports/sast.sarif: runs[0].tool.driver.name: expected a string"},
      {R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"name":"x"}]}}}]})",
       "reports/sast.sarif: runs[0].tool.driver.rules[0].id: required property is missing"},
      {R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"results":{}}]})",
       "reports/sast.sarif: runs[0].results: expected an array"},
      {OneResult(ok + "," + ok + "," + ok + R"(,{"ruleId":"r","message":"text"})"),
       "reports/sast.sarif: runs[0].results[3].message: expected an object"},
      {OneResult(R"({"ruleId":"r"})"), "reports/sast.sarif: runs[0].results[0].message: required property is missing"},
      {OneResult(R"({"ruleId":"r","message":{}})"), "reports/sast.sarif: runs[0].results[0].message: has no text"},
      {OneResult(R"({"ruleId":7,"message":{"text":"m"}})"), "reports/sast.sarif: runs[0].results[0].ruleId: expected a string"},
      {OneResult(R"({"ruleIndex":2,"message":{"text":"m"}})", R"([{"id":"a"}])"),
       "reports/sast.sarif: runs[0].results[0].ruleIndex: rule index 2 out of range (runs[0].tool.driver has 1 rules)"},
      {OneResult(R"({"rule":{"index":"0"},"message":{"text":"m"}})"),
       "reports/sast.sarif: runs[0].results[0].rule.index: expected an integer"},
      {OneResult(R"({"ruleId":"r","level":"fatal","message":{"text":"m"}})"),
       "reports/sast.sarif: runs[0].results[0].level: expected one of"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"},"locations":{}})"),
       "reports/sast.sarif: runs[0].results[0].locations: expected an array"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"},"locations":[{},3]})"),
       "reports/sast.sarif: runs[0].results[0].locations[1]: expected an object"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":1}}}]})"),
       "reports/sast.sarif: runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri: expected a string"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":"4"}}}]})"),
       "reports/sast.sarif: runs[0].results[0].locations[0].physicalLocation.region.startLine: expected an integer"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":99999999999}}}]})"),
       "reports/sast.sarif: runs[0].results[0].locations[0].physicalLocation.region.startLine: integer out of range"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"},"properties":{"security-severity":"high"}})"),
       "reports/sast.sarif: runs[0].results[0].properties.security-severity: expected a score"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"}})",
                 R"([{"id":"r","properties":{"security-severity":"-1"}}])"),
       "reports/sast.sarif: runs[0].tool.driver.rules[0].properties.security-severity: expected a score"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m"},"partialFingerprints":{"h":1}})"),
       "reports/sast.sarif: runs[0].results[0].partialFingerprints.h: expected a string"},
      {OneResult(R"({"ruleId":"r","message":{"text":"m","arguments":[1]}})"),
       "reports/sast.sarif: runs[0].results[0].message.arguments[0]: expected a string"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ImportError(c.doc), StartsWith(c.want)) << c.doc;
  }
}

TEST(SarifImport, MissingFileIsNotFound) {
  auto r = ImportSarifFile(Testdata("does-not-exist.sarif"), "sast");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("does-not-exist.sarif"));
}

}  // namespace
}  // namespace tollgate::sarif
