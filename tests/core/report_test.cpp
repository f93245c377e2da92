#include "core/report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/corpus.h"

#include "core/canonical_json.h"

namespace tollgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace fs = std::filesystem;

const std::string kSarifSchema = std::string(TOLLGATE_SHARED_DIR) + "/corpora/schemas/sarif-schema-2.1.0.json";

Finding MakeFinding(std::string rule, std::string gate, Severity severity, std::string message, Location loc) {
  Finding f;
  f.rule_id = std::move(rule);
  f.gate = std::move(gate);
  f.severity = severity;
  f.message = std::move(message);
  f.location = std::move(loc);
  f.fingerprint = MakeFingerprint(f.rule_id, {f.location.file, f.message});
  return f;
}

// Two gates: secrets blocks on one finding and has one waived; sast passes
// with a finding below its threshold; iac has no findings. Messages carry
// characters every format must escape.
Report SampleReport() {
  Report r;
  r.tool_version = "0.1.0";
  r.overall = "blocked";
  r.gates = {
      {"secrets", "scanner: secrets", "any", "blocked", 2, 1, 1, {"bypass: none, waivers ignored"}},
      {"sast", "import: reports/sast.sarif", "high", "pass", 1, 0, 0, {}},
      {"iac", "scanner: iac", "high", "pass", 0, 0, 0, {}},
  };
  Finding key = MakeFinding("aws-access-key", "secrets", Severity::kCritical,
                            "AWS access key <AKIA...> & \"secret\" committed", {"src/config.py", 12, 5, ""});
  key.remediation = "Rotate the key and purge it from history.";
  key.references = {"CWE-798", "PCI-DSS-4.0:8.3.6"};
  key.tool = "secrets";
  Finding token = MakeFinding("generic-token", "secrets", Severity::kHigh,
                              "token in test fixture\x01\x1b[31m with controls", {"tests/fixture data.json", 3, 0, ""});
  token.tool = "secrets";
  Finding sql = MakeFinding("js/sql-injection", "sast", Severity::kMedium, "query built from input\nsecond line",
                            {"src/routes/users.js", 0, 0, ""});
  sql.tool = "CodeQL";
  sql.remediation = "Use prepared statements.";
  sql.references = {"CWE-89"};
  r.findings = {sql, token, key};  // deliberately unsorted
  r.waived_fingerprints = {token.fingerprint};
  r.blocking_fingerprints = {key.fingerprint};
  return r;
}

// A scratch file removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& suffix) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (fs::temp_directory_path() /
             ("tollgate-report-" + std::to_string(::getpid()) + "-" + info->name() + suffix))
                .string();
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  void Write(const std::string& text) const { std::ofstream(path_, std::ios::binary) << text; }
  std::string Read() const {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string path_;
};

bool Succeeds(const std::string& command) { return std::system(command.c_str()) == 0; }

bool HavePython() { return Succeeds("command -v python3 >/dev/null 2>&1"); }

std::string Sarif(const Report& r) {
  std::ostringstream out;
  WriteSarif(r, out);
  return out.str();
}

std::string Junit(const Report& r) {
  std::ostringstream out;
  WriteJunit(r, out);
  return out.str();
}

std::string Text(const Report& r, bool color) {
  std::ostringstream out;
  WriteText(r, out, TextOptions{color});
  return out.str();
}

// ------------------------------------------------------------- formats ---

TEST(Report, ParseOutputFormat) {
  EXPECT_EQ(ParseOutputFormat("text"), OutputFormat::kText);
  EXPECT_EQ(ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(ParseOutputFormat("sarif"), OutputFormat::kSarif);
  EXPECT_EQ(ParseOutputFormat("junit"), OutputFormat::kJunit);
  EXPECT_EQ(ParseOutputFormat("xml"), std::nullopt);
  EXPECT_EQ(ParseOutputFormat(""), std::nullopt);
}

TEST(Report, WriteReportDispatches) {
  Report r = SampleReport();
  auto run = [&](OutputFormat f) {
    std::ostringstream out;
    WriteReport(r, f, out, TextOptions{});
    return out.str();
  };
  EXPECT_THAT(run(OutputFormat::kText), HasSubstr("Overall: BLOCKED"));
  EXPECT_THAT(run(OutputFormat::kJson), HasSubstr("\"overall\": \"blocked\""));
  EXPECT_THAT(run(OutputFormat::kSarif), HasSubstr("\"version\": \"2.1.0\""));
  EXPECT_THAT(run(OutputFormat::kJunit), StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
}

// ----------------------------------------------------------------- text ---

TEST(ReportText, HasGateTableFindingsAndOverall) {
  Report r = SampleReport();
  std::string text = Text(r, false);
  EXPECT_THAT(text, HasSubstr("GATE"));
  EXPECT_THAT(text, HasSubstr("SOURCE"));
  EXPECT_THAT(text, HasSubstr("FAIL ON"));
  EXPECT_THAT(text, HasSubstr("FINDINGS"));
  EXPECT_THAT(text, HasSubstr("BLOCKING"));
  EXPECT_THAT(text, HasSubstr("WAIVED"));
  EXPECT_THAT(text, HasSubstr("DECISION"));
  EXPECT_THAT(text, HasSubstr("scanner: secrets"));
  EXPECT_THAT(text, HasSubstr("import: reports/sast.sarif"));
  EXPECT_THAT(text, HasSubstr("note: bypass: none, waivers ignored"));
  EXPECT_THAT(text, HasSubstr("CRITICAL  aws-access-key  src/config.py:12:5  [blocking]"));
  EXPECT_THAT(text, HasSubstr("generic-token  tests/fixture data.json:3  [waived]"));
  EXPECT_THAT(text, HasSubstr("fingerprint " + r.findings[2].fingerprint.substr(0, 12)));
  EXPECT_THAT(text, HasSubstr("fix: Rotate the key and purge it from history."));
  EXPECT_THAT(text, HasSubstr("refs: CWE-798, PCI-DSS-4.0:8.3.6"));
  EXPECT_THAT(text, HasSubstr("second line"));
  EXPECT_THAT(text, HasSubstr("Overall: BLOCKED"));
  // The most severe finding comes first.
  EXPECT_LT(text.find("aws-access-key"), text.find("generic-token"));
}

TEST(ReportText, NoEscapesWithoutColorEvenFromHostileMessages) {
  std::string text = Text(SampleReport(), false);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x01'), std::string::npos);
  // The controls are shown, not executed.
  EXPECT_THAT(text, HasSubstr("\\x01\\x1b[31m"));
}

TEST(ReportText, ColorOnlyWhenAsked) {
  std::string text = Text(SampleReport(), true);
  EXPECT_THAT(text, HasSubstr("\x1b["));
}

TEST(ReportText, PlainScan) {
  Report r;
  r.findings = {MakeFinding("rule-a", "", Severity::kLow, "m", {"a.txt", 1, 0, ""})};
  std::string text = Text(r, false);
  EXPECT_THAT(text, Not(HasSubstr("GATE")));
  EXPECT_THAT(text, HasSubstr("Findings (1)"));
  EXPECT_THAT(text, HasSubstr("Total: 1 finding (1 low)"));
  EXPECT_THAT(Text(Report{}, false), HasSubstr("No findings."));
}

// ----------------------------------------------------------------- json ---

TEST(ReportJson, RoundTrips) {
  Report r = SampleReport();
  std::ostringstream out;
  WriteJson(r, out);
  auto doc = ParseJson(out.str(), "report.json");
  ASSERT_TRUE(doc.has_value()) << doc.error().message();
  EXPECT_EQ((*doc)["tool"]["name"], "tollgate");
  EXPECT_EQ((*doc)["tool"]["version"], "0.1.0");
  EXPECT_EQ((*doc)["overall"], "blocked");
  ASSERT_EQ((*doc)["gates"].size(), 3u);
  EXPECT_EQ((*doc)["gates"][0]["name"], "secrets");
  EXPECT_EQ((*doc)["gates"][0]["blocking"], 1);
  EXPECT_EQ((*doc)["gates"][0]["notes"][0], "bypass: none, waivers ignored");

  std::vector<Finding> want = r.findings;
  SortFindings(want);
  const Json& findings = (*doc)["findings"];
  ASSERT_EQ(findings.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    // `waived` and `blocking` are the report's, not the finding's (ReportFromJson takes them off too).
    Json plain = findings[i];
    plain.erase("waived");
    plain.erase("blocking");
    auto back = FindingFromJson(plain);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(ToJson(*back), ToJson(want[i]));
    EXPECT_EQ(findings[i]["waived"], want[i].rule_id == "generic-token");
  }
}

// The JSON report as one document, as the format is specified: an object of
// "findings" (sorted, each with "waived" and "blocking"), "gates", "metadata"
// (when not empty), "overall" and "tool", dumped with two-space indentation
// and invalid UTF-8 replaced, then a newline.
std::string WholeDocumentJson(const Report& r) {
  std::vector<Finding> sorted = r.findings;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return std::tie(a.location.file, a.location.line, a.location.column, a.rule_id, a.fingerprint) <
           std::tie(b.location.file, b.location.line, b.location.column, b.rule_id, b.fingerprint);
  });
  auto listed = [](const std::vector<std::string>& fps, const Finding& f) {
    return !f.fingerprint.empty() && std::find(fps.begin(), fps.end(), f.fingerprint) != fps.end();
  };
  Json doc = Json::object();
  doc["tool"] = {{"name", r.tool_name}};
  if (!r.tool_version.empty()) doc["tool"]["version"] = r.tool_version;
  doc["overall"] = r.overall;
  doc["gates"] = Json::array();
  for (const GateSummary& g : r.gates) {
    doc["gates"].push_back({{"name", g.name},         {"source", g.source},     {"fail_on", g.fail_on},
                            {"decision", g.decision}, {"findings", g.findings}, {"blocking", g.blocking},
                            {"waived", g.waived},     {"notes", g.notes}});
  }
  doc["findings"] = Json::array();
  for (const Finding& f : sorted) {
    Json j = ToJson(f);
    const bool waived = listed(r.waived_fingerprints, f);
    j["waived"] = waived;
    j["blocking"] = !waived && listed(r.blocking_fingerprints, f);
    doc["findings"].push_back(std::move(j));
  }
  if (r.metadata.is_object() && !r.metadata.empty()) doc["metadata"] = r.metadata;
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

// Many findings with details, several gates' worth of fingerprints, long
// multi-line remediation shared by a rule's findings, and invalid UTF-8.
Report LargeReport(std::size_t n) {
  Report r = SampleReport();
  r.metadata = {{"database", "osv 2026-12-01"}, {"nested", {{"a", Json::array({1, 2})}}}};
  const SharedText help = std::string("Use a safe API.\nSee the guide.\t") + std::string(300, 'x');
  for (std::size_t i = 0; i < n; ++i) {
    Finding f = MakeFinding("js/rule-" + std::to_string(i % 7), i % 3 ? "sast" : "dast",
                            static_cast<Severity>(i % 5), "value " + std::to_string(i) + " reaches \xff a sink",
                            {"src/m" + std::to_string(i % 11) + ".js", static_cast<std::uint32_t>(i % 97), 3, ""});
    f.remediation = help;
    f.references = {"CWE-" + std::to_string(i % 5)};
    if (i % 4 == 0) f.details["suppression"] = {{"kind", "sarif:inSource"}, {"line", i}};
    if (i % 13 == 0) r.blocking_fingerprints.push_back(f.fingerprint);
    if (i % 17 == 0) r.waived_fingerprints.push_back(f.fingerprint);
    r.findings.push_back(std::move(f));
  }
  return r;
}

// The JSON writer streams the findings one at a time; the bytes are those of
// the whole document dumped at once, with and without gates, metadata and
// findings (issue 14: memory).
TEST(ReportJson, StreamedFindingsAreTheWholeDocumentBytes) {
  Report plain;
  plain.tool_version = "dev";
  plain.findings = LargeReport(40).findings;
  Report metadata_only;
  metadata_only.metadata = {{"k", "v"}};
  for (const Report& r : {SampleReport(), LargeReport(2000), Report{}, plain, metadata_only}) {
    std::ostringstream out;
    WriteJson(r, out);
    EXPECT_EQ(out.str(), WholeDocumentJson(r));
  }
}

// WriteReportFile writes what WriteReport writes, in every format, through
// the atomic file writer (several 64 KiB pieces here).
TEST(ReportFile, WriteReportFileIsTheBytesOfWriteReport) {
  const Report r = LargeReport(3000);
  for (OutputFormat format : {OutputFormat::kText, OutputFormat::kJson, OutputFormat::kSarif, OutputFormat::kJunit}) {
    TempFile file(".out");
    file.Write("previous");
    ASSERT_TRUE(WriteReportFile(r, format, file.path(), TextOptions{}).has_value());
    std::ostringstream want;
    WriteReport(r, format, want, TextOptions{});
    EXPECT_GT(want.str().size(), std::size_t{1} << 17);
    EXPECT_EQ(file.Read(), want.str()) << static_cast<int>(format);
  }
}

// Findings too many to hold come from a FindingStore that has gone to disk:
// every format is the same bytes as for the report holding them itself
// (issue 14: a 551 MB SARIF report imported in bounded memory).
TEST(ReportFile, FindingsFromAStoreOnDiskAreTheBytesOfTheReportsOwn) {
  const Report r = LargeReport(3000);
  Report header = r;
  header.findings.clear();
  FindingStore store(16 << 10);
  for (const Finding& f : r.findings) ASSERT_TRUE(store.Add(f).has_value());
  ASSERT_GT(store.runs_on_disk(), 1u);
  for (OutputFormat format : {OutputFormat::kText, OutputFormat::kJson, OutputFormat::kSarif, OutputFormat::kJunit}) {
    std::ostringstream want;
    WriteReport(r, format, want, TextOptions{});
    std::ostringstream got;
    ASSERT_TRUE(WriteReport(header, store, format, got, TextOptions{}).has_value());
    EXPECT_EQ(got.str(), want.str()) << static_cast<int>(format);
    TempFile file(".out");
    ASSERT_TRUE(WriteReportFile(header, store, format, file.path(), TextOptions{}).has_value());
    EXPECT_EQ(file.Read(), want.str()) << static_cast<int>(format);
  }
  TextOptions summary;
  summary.summary = true;
  std::ostringstream want;
  WriteReport(r, OutputFormat::kText, want, summary);
  std::ostringstream got;
  ASSERT_TRUE(WriteReport(header, store, OutputFormat::kText, got, summary).has_value());
  EXPECT_EQ(got.str(), want.str());
}

// SARIF is written result by result; the bytes are those nlohmann::json
// prints for the whole document (what the writer built whole before).
TEST(ReportSarif, StreamedDocumentIsWhatDumpingItWholePrints) {
  Report metadata_only;
  metadata_only.metadata = {{"k", "v"}};
  Report plain;
  plain.findings = LargeReport(30).findings;
  for (const Report& r : {SampleReport(), LargeReport(500), Report{}, plain, metadata_only}) {
    std::ostringstream out;
    WriteSarif(r, out);
    const Json doc = Json::parse(out.str());
    EXPECT_EQ(out.str(), doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
    EXPECT_EQ(doc["runs"][0]["results"].size(), r.findings.size());
  }
}

// A plain scan's --fail-on is one threshold, not a list of fingerprints:
// every finding at or above it blocks, a waived one never does.
TEST(ReportJson, BlockingAtMarksEveryFindingAtOrAboveIt) {
  Report r = SampleReport();
  r.gates.clear();
  r.overall.clear();
  r.blocking_fingerprints.clear();
  r.blocking_at = Severity::kMedium;
  std::ostringstream out;
  WriteJson(r, out);
  const Json doc = Json::parse(out.str());
  ASSERT_EQ(doc["findings"].size(), 3u);
  for (const Json& f : doc["findings"]) {
    const bool waived = f["waived"].get<bool>();
    EXPECT_EQ(f["blocking"].get<bool>(), !waived) << f.dump();  // critical and medium block; high is waived
  }
  r.blocking_at = Severity::kCritical;
  std::ostringstream junit;
  WriteJunit(r, junit);
  EXPECT_THAT(junit.str(), HasSubstr("failures=\"1\" errors=\"0\" skipped=\"1\""));
}

TEST(ReportFile, UnwritableTargetIsAnErrorNamingIt) {
  const std::string dir = fs::temp_directory_path().string();
  auto s = WriteReportFile(SampleReport(), OutputFormat::kJson, dir, TextOptions{});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kInput);
  EXPECT_THAT(s.error().message(), HasSubstr(dir));
  auto missing = WriteReportFile(SampleReport(), OutputFormat::kJson, dir + "/no-such-dir-tollgate/x.json", TextOptions{});
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message(), HasSubstr("no-such-dir-tollgate"));
}

TEST(ReportJson, InvalidUtf8IsReplacedNotThrown) {
  Report r;
  r.findings = {MakeFinding("r", "", Severity::kInfo, "bad \xff\xfe bytes", {})};
  std::ostringstream out;
  EXPECT_NO_THROW(WriteJson(r, out));
  EXPECT_TRUE(ParseJson(out.str(), "report.json").has_value());
  std::ostringstream sarif;
  EXPECT_NO_THROW(WriteSarif(r, sarif));
  EXPECT_TRUE(ParseJson(sarif.str(), "report.sarif").has_value());
}

// ---------------------------------------------------------------- sarif ---

TEST(ReportSarif, Structure) {
  Report r = SampleReport();
  auto doc = ParseJson(Sarif(r), "report.sarif");
  ASSERT_TRUE(doc.has_value()) << doc.error().message();
  EXPECT_EQ((*doc)["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  EXPECT_EQ((*doc)["version"], "2.1.0");
  ASSERT_EQ((*doc)["runs"].size(), 1u);
  const Json& run = (*doc)["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "tollgate");
  EXPECT_EQ(run["tool"]["driver"]["version"], "0.1.0");

  const Json& rules = run["tool"]["driver"]["rules"];
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["id"], "aws-access-key");
  EXPECT_EQ(rules[0]["help"]["text"], "Rotate the key and purge it from history.");
  EXPECT_EQ(rules[0]["defaultConfiguration"]["level"], "error");
  EXPECT_EQ(rules[0]["properties"]["tags"], Json::array({"security", "CWE-798", "PCI-DSS-4.0:8.3.6"}));
  EXPECT_FALSE(rules[1].contains("help"));

  const Json& results = run["results"];
  ASSERT_EQ(results.size(), 3u);
  const Json& key = results[0];
  EXPECT_EQ(key["ruleId"], "aws-access-key");
  EXPECT_EQ(key["ruleIndex"], 0);
  EXPECT_EQ(key["level"], "error");
  EXPECT_EQ(key["message"]["text"], "AWS access key <AKIA...> & \"secret\" committed");
  const Json& loc = key["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "src/config.py");
  EXPECT_EQ(loc["region"]["startLine"], 12);
  EXPECT_EQ(loc["region"]["startColumn"], 5);
  EXPECT_EQ(key["partialFingerprints"]["tollgate/v1"], r.findings[2].fingerprint);
  EXPECT_EQ(key["properties"]["severity"], "critical");
  EXPECT_EQ(key["properties"]["gate"], "secrets");
  EXPECT_EQ(key["properties"]["security-severity"], "9.5");
  EXPECT_FALSE(key.contains("suppressions"));

  const Json& token = results[1];
  EXPECT_EQ(token["level"], "error");
  EXPECT_EQ(token["properties"]["security-severity"], "8.0");
  EXPECT_EQ(token["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "tests/fixture%20data.json");
  EXPECT_FALSE(token["locations"][0]["physicalLocation"]["region"].contains("startColumn"));
  EXPECT_EQ(token["suppressions"], Json::parse(R"([{"kind":"external","status":"accepted"}])"));

  const Json& sql = results[2];
  EXPECT_EQ(sql["level"], "warning");
  EXPECT_EQ(sql["properties"]["security-severity"], "5.5");
  EXPECT_FALSE(sql["locations"][0]["physicalLocation"].contains("region"));  // line 0: no region
}

TEST(ReportSarif, LevelsAndScores) {
  struct Case {
    Severity severity;
    std::string level;
    std::string score;
  };
  for (const Case& c : std::vector<Case>{{Severity::kCritical, "error", "9.5"},
                                         {Severity::kHigh, "error", "8.0"},
                                         {Severity::kMedium, "warning", "5.5"},
                                         {Severity::kLow, "note", "2.0"},
                                         {Severity::kInfo, "note", "0.0"}}) {
    Report r;
    r.findings = {MakeFinding("r", "g", c.severity, "m", {"f", 1, 1, ""})};
    auto doc = ParseJson(Sarif(r), "x");
    ASSERT_TRUE(doc.has_value());
    const Json& result = (*doc)["runs"][0]["results"][0];
    EXPECT_EQ(result["level"], c.level);
    EXPECT_EQ(result["properties"]["security-severity"], c.score);
  }
}

// Validate `sarif` against the OASIS schema with Python's jsonschema.
void ExpectValidSarif(const std::string& sarif) {
  TG_REQUIRE_CORPUS(kSarifSchema, "the SARIF 2.1.0 schema");
  if (!HavePython()) GTEST_SKIP() << "python3 not installed; cannot validate SARIF against the schema";
  if (!Succeeds("python3 -c 'import jsonschema' >/dev/null 2>&1")) {
    GTEST_SKIP() << "python3 module jsonschema not installed; cannot validate SARIF against the schema";
  }
  TempFile doc(".sarif");
  TempFile errors(".err");
  doc.Write(sarif);
  const std::string script =
      "import json,sys,jsonschema\n"
      "schema=json.load(open(sys.argv[1]))\n"
      "doc=json.load(open(sys.argv[2]))\n"
      "v=jsonschema.Draft4Validator(schema,format_checker=jsonschema.FormatChecker())\n"
      "errs=list(v.iter_errors(doc))\n"
      "[print('/'.join(map(str,e.absolute_path))+': '+e.message) for e in errs]\n"
      "sys.exit(1 if errs else 0)\n";
  const std::string command =
      "python3 -c \"" + script + "\" '" + kSarifSchema + "' '" + doc.path() + "' >'" + errors.path() + "' 2>&1";
  EXPECT_TRUE(Succeeds(command)) << "SARIF output does not validate:\n" << errors.Read() << "\n" << sarif;
}

TEST(ReportSarif, ValidatesAgainstTheOfficialSchema) { ExpectValidSarif(Sarif(SampleReport())); }

TEST(ReportSarif, EmptyReportValidates) { ExpectValidSarif(Sarif(Report{})); }

TEST(ReportSarif, OddLocationsValidate) {
  Report r;
  r.findings = {
      MakeFinding("dast-xss", "dast", Severity::kHigh, "xss", {"https://shop.example.test/search?q=<x>", 1, 0, ""}),
      MakeFinding("abs", "g", Severity::kLow, "", {"/home/runner/work/repo/a b.c", 2, 3, ""}),
      MakeFinding("unicode", "g", Severity::kInfo, "m\x01", {"docs/r\xc3\xa9sum\xc3\xa9 #1.md", 0, 7, ""}),
      MakeFinding("nofile", "g", Severity::kMedium, "m", {}),
  };
  r.findings[1].fingerprint.clear();
  std::string sarif = Sarif(r);
  auto doc = ParseJson(sarif, "x");
  ASSERT_TRUE(doc.has_value());
  // Results come most severe first; look them up by rule.
  auto result = [&](const std::string& rule) -> const Json& {
    for (const Json& res : doc->at("runs").at(0).at("results")) {
      if (res.at("ruleId") == rule) return res;
    }
    throw std::runtime_error("no result for " + rule);
  };
  auto uri = [&](const std::string& rule) {
    return result(rule).at("locations").at(0).at("physicalLocation").at("artifactLocation").at("uri").get<std::string>();
  };
  EXPECT_EQ(uri("dast-xss"), "https://shop.example.test/search?q=%3Cx%3E");
  EXPECT_EQ(uri("abs"), "file:///home/runner/work/repo/a%20b.c");
  EXPECT_EQ(uri("unicode"), "docs/r%C3%A9sum%C3%A9%20%231.md");
  EXPECT_FALSE(result("nofile").contains("locations"));
  EXPECT_EQ(result("abs").at("message").at("text"), "abs");  // empty message: rule id
  EXPECT_FALSE(result("abs").contains("partialFingerprints"));
  ExpectValidSarif(sarif);
}

// Issue 13 §7: a finding a baseline accepts is shown as such in every format,
// distinct from a waived one, and survives the JSON round trip (--server).
TEST(Report, BaselinedFindingsAreMarkedInEveryFormat) {
  Report r = SampleReport();
  const Finding& sql = r.findings[0];
  r.baselined_fingerprints = {sql.fingerprint};
  r.gates[1].baselined = 1;
  r.gates[1].decision = "pass (baselined)";
  EXPECT_THAT(Text(r, false), HasSubstr("src/routes/users.js  [baselined]"));
  EXPECT_THAT(Text(r, false), HasSubstr("1 blocking, 1 waived, 1 baselined\n"));
  EXPECT_THAT(Text(SampleReport(), false), Not(HasSubstr("baselined")));

  std::ostringstream json;
  WriteJson(r, json);
  auto doc = ParseJson(json.str(), "report");
  ASSERT_TRUE(doc.has_value());
  for (const Json& f : doc->at("findings")) {
    EXPECT_EQ(f.contains("baselined"), f.at("fingerprint") == sql.fingerprint) << f.dump();
    if (f.contains("baselined")) {
      EXPECT_FALSE(f.at("waived").get<bool>());
    }
  }
  EXPECT_EQ(doc->at("gates").at(1).at("baselined"), 1);
  EXPECT_FALSE(doc->at("gates").at(0).contains("baselined"));
  auto back = ReportFromJson(*doc);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->baselined_fingerprints, std::vector<std::string>{sql.fingerprint});
  EXPECT_EQ(back->gates[1].baselined, 1u);

  const std::string sarif = Sarif(r);
  EXPECT_THAT(sarif, HasSubstr("\"justification\": \"baseline\""));
  ExpectValidSarif(sarif);
  const std::string xml = Junit(r);
  EXPECT_THAT(xml, HasSubstr("<skipped message=\"baselined\"/>"));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"sast\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\">"));
}

// ---------------------------------------------------------------- junit ---

TEST(ReportJunit, ContainsSuitesAndFailures) {
  std::string xml = Junit(SampleReport());
  EXPECT_THAT(xml, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"secrets\" tests=\"2\" failures=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"sast\" tests=\"1\" failures=\"0\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"iac\" tests=\"1\" failures=\"0\""));
  EXPECT_THAT(xml, HasSubstr("name=\"no findings\""));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"AWS access key &lt;AKIA...&gt; &amp; &quot;secret&quot; committed\" "
                             "type=\"critical\">"));
  EXPECT_THAT(xml, HasSubstr("<skipped message=\"waived\"/>"));
  // No character XML 1.0 forbids, even though a message carries controls.
  for (char c : xml) {
    auto u = static_cast<unsigned char>(c);
    EXPECT_FALSE(u < 0x20 && u != '\t' && u != '\n' && u != '\r') << "control byte " << static_cast<int>(u);
  }
}

TEST(ReportJunit, PlainScanIsOneSuite) {
  Report r;
  r.findings = {MakeFinding("a", "", Severity::kLow, "m", {"x", 1, 0, ""}),
                MakeFinding("b", "", Severity::kHigh, "m", {"y", 1, 0, ""})};
  for (const auto& f : r.findings) r.blocking_fingerprints.push_back(f.fingerprint);
  std::string xml = Junit(r);
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"tollgate\" tests=\"2\" failures=\"2\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"tollgate\" tests=\"2\" failures=\"2\""));
  EXPECT_THAT(Junit(Report{}), HasSubstr("tests=\"1\" failures=\"0\""));
}

TEST(ReportJunit, IsWellFormedXml) {
  if (!HavePython()) GTEST_SKIP() << "python3 not installed; cannot check the XML with a real parser";
  Report r = SampleReport();
  r.findings[0].message += std::string("\x00\x0b\x7f \xef\xbf\xbe \xff end", 13);
  TempFile xml(".xml");
  TempFile out(".out");
  xml.Write(Junit(r));
  const std::string script =
      "import sys,xml.etree.ElementTree as ET\n"
      "root=ET.parse(sys.argv[1]).getroot()\n"
      "print(root.tag,len(root.findall('testsuite')),len(list(root.iter('failure'))))\n";
  const std::string command = "python3 -c \"" + script + "\" '" + xml.path() + "' >'" + out.path() + "' 2>&1";
  ASSERT_TRUE(Succeeds(command)) << out.Read() << "\n" << xml.Read();
  EXPECT_EQ(out.Read(), "testsuites 3 1\n");
}

}  // namespace
}  // namespace tollgate
