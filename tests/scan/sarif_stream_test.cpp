// SARIF read as a stream (issue 14, "Memory proportionate to the work"): one
// result at a time, whatever the order of a run's members, with the errors a
// reading of the whole document gives.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scan/import/sarif.h"
#include "support/memory.h"
#include "support/temp_dir.h"

namespace tollgate::sarif {
namespace {

using ::testing::StartsWith;

std::string Testdata(const std::string& name) { return std::string(TOLLGATE_SOURCE_DIR) + "/tests/scan/testdata/" + name; }

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Json AsJson(const std::vector<Finding>& findings) {
  Json out = Json::array();
  for (const auto& f : findings) out.push_back(ToJson(f));
  return out;
}

// Every run's members rewritten in the order given (members not listed
// after them, as they were).
std::string Reordered(const std::string& text, const std::vector<std::string>& first) {
  auto doc = nlohmann::ordered_json::parse(text);
  nlohmann::ordered_json out;
  for (auto& [k, v] : doc.items())
    if (k != "runs") out[k] = v;
  out["runs"] = nlohmann::ordered_json::array();
  for (auto& run : doc["runs"]) {
    nlohmann::ordered_json r;
    for (const auto& k : first)
      if (run.contains(k)) r[k] = run[k];
    for (auto& [k, v] : run.items())
      if (!r.contains(k)) r[k] = v;
    out["runs"].push_back(r);
  }
  return out.dump(2);
}

// Results before the tool (as Semgrep writes runs) and artifacts or base ids
// after the results give the findings of the usual order: the run is
// converted once it is known whole.
TEST(SarifStream, RunMembersInAnyOrderGiveTheSameFindings) {
  for (const char* name : {"codeql.sarif", "semgrep.sarif", "zap.sarif"}) {
    const std::string text = Slurp(Testdata(name));
    auto usual = ImportSarif(text, name, "sast");
    ASSERT_TRUE(usual.has_value()) << usual.error().message();
    ASSERT_FALSE(usual->empty());
    for (const auto& order : std::vector<std::vector<std::string>>{
             {"results", "tool", "artifacts", "taxonomies", "originalUriBaseIds"},
             {"tool", "results", "artifacts", "taxonomies", "originalUriBaseIds"},
             {"originalUriBaseIds", "taxonomies", "artifacts", "tool", "results"}}) {
      auto other = ImportSarif(Reordered(text, order), name, "sast");
      ASSERT_TRUE(other.has_value()) << name << ": " << other.error().message();
      EXPECT_EQ(AsJson(*other), AsJson(*usual)) << name << " in the order " << order.front() << ", ...";
    }
  }
}

// The artifact a result points to by index comes after the results: its
// location is still the artifact's, not a guess made before it was read.
TEST(SarifStream, ArtifactsAfterTheResultsAreUsed) {
  const std::string doc = R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},
    "results":[{"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"index":1}}}]}],
    "artifacts":[{"location":{"uri":"a.c"}},{"location":{"uri":"src/b.c"}}]}]})";
  auto f = ImportSarif(doc, "t.sarif", "sast");
  ASSERT_TRUE(f.has_value()) << f.error().message();
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].location.file, "src/b.c");
}

// Errors come in the order of the document read whole: the version before
// any run, an earlier run's bad result before a later run's, whichever pass
// finds them.
TEST(SarifStream, ErrorsAreReportedInDocumentOrder) {
  const std::string bad_result = R"({"ruleId":7,"message":{"text":"m"}})";
  EXPECT_THAT(ImportSarif(R"({"runs":[{"tool":{"driver":{"name":"t"}},"results":[)" + bad_result +
                              R"(]}],"version":"2.0"})",
                          "t.sarif", "sast")
                  .error()
                  .message(),
              StartsWith("t.sarif: version: unsupported SARIF version"));
  // Run 0 lists its results before its tool (a second pass), run 1 fails in
  // the first pass: run 0's error is the one reported.
  const std::string doc = R"({"version":"2.1.0","runs":[
    {"results":[{"ruleId":"r","message":{"text":"m"}},)" + bad_result + R"(],"tool":{"driver":{"name":"t"}}},
    {"tool":{"driver":{"name":"t"}},"results":[)" + bad_result + R"(]}]})";
  EXPECT_THAT(ImportSarif(doc, "t.sarif", "sast").error().message(),
              StartsWith("t.sarif: runs[0].results[1].ruleId: expected a string"));
  // A bad tool after the results is the run's error, not its results'.
  EXPECT_THAT(ImportSarif(R"({"version":"2.1.0","runs":[{"results":[)" + bad_result + R"(],"tool":{}}]})", "t.sarif",
                          "sast")
                  .error()
                  .message(),
              StartsWith("t.sarif: runs[0].tool.driver: required property is missing"));
  // An artifact index that only a later "artifacts" resolves is no error.
  auto ok = ImportSarif(R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"results":[{"ruleId":"r",
    "message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"index":0}}}]}],
    "artifacts":[{"location":{"uri":"x.c"}}]}]})",
                        "t.sarif", "sast");
  EXPECT_TRUE(ok.has_value()) << ok.error().message();
}

// A report cut short or broken is refused with its position, also from a
// file read in pieces; a FIFO is refused instead of blocking (issue 14 item 12).
TEST(SarifStream, TruncatedReportIsRefusedWithItsPosition) {
  tollgate::testing::TempDir dir;
  const std::string text = Slurp(Testdata("codeql.sarif"));
  const std::string path = (dir.path() / "cut.sarif").string();
  std::ofstream(path, std::ios::binary) << text.substr(0, text.size() / 2);
  auto r = ImportSarifFile(path, "sast");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInput);
  const std::string half = text.substr(0, text.size() / 2);
  const std::size_t line = static_cast<std::size_t>(std::count(half.begin(), half.end(), '\n')) + 1;
  EXPECT_THAT(r.error().message(), StartsWith(path + ":" + std::to_string(line) + ":")) << r.error().message();

  const std::string fifo = (dir.path() / "fifo.sarif").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto f = ImportSarifFile(fifo, "sast");
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code(), ErrorCode::kInput);
}

// Findings are held in pieces of about 33 MiB while the report is read
// (117,000 findings at most each); more than one piece per run, and several
// runs, come out whole and in report order.
TEST(SarifStream, FindingsOfManyPiecesKeepTheirOrder) {
  auto run = [](int from, int count) {
    std::string out = R"({"tool":{"driver":{"name":"t","rules":[{"id":"a","help":{"text":"Fix."}}]}},"results":[)";
    for (int i = from; i < from + count; ++i)
      out += (i > from ? "," : "") + std::string(R"({"ruleId":"a","message":{"text":")") + std::to_string(i) + "\"}}";
    return out + "]}";
  };
  const std::string text = R"({"version":"2.1.0","runs":[)" + run(0, 250000) + "," + run(250000, 3) + "]}";
  auto r = ImportSarif(text, "many.sarif", "sast");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->size(), 250003u);
  for (std::size_t i = 0; i < r->size(); ++i) {
    if ((*r)[i].message != std::to_string(i)) FAIL() << "finding " << i << ": " << (*r)[i].message;
  }
  EXPECT_EQ(&r->front().remediation.str(), &(*r)[249999].remediation.str());
}

// Writes a SARIF report of `results` distinct results to `path`, shaped as
// CodeQL writes them (rule index, artifact index, region, partial
// fingerprints, a code flow), about 1.2 KB each, and 20 rules with about 550
// bytes of help text each.
void WriteLargeReport(const std::string& path, int results) {
  std::ofstream out(path, std::ios::binary);
  out << R"({"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[)";
  for (int r = 0; r < 20; ++r)
    out << (r ? "," : "") << R"({"id":"js/rule-)" << r << R"(","shortDescription":{"text":"Rule )" << r
        << R"("},"help":{"text":"Use a safe API. )" << std::string(530, 'x')
        << R"("},"properties":{"tags":["security","external/cwe/cwe-0)" << 70 + r
        << R"("],"security-severity":")" << (r % 10) << R"(.5"}})";
  out << R"(]}},"artifacts":[)";
  for (int a = 0; a < 500; ++a) out << (a ? "," : "") << R"({"location":{"uri":"src/module)" << a << R"(/file.js"}})";
  out << R"(],"results":[)";
  for (int i = 0; i < results; ++i) {
    const int rule = i % 20, art = i % 500;
    std::string loc = R"({"physicalLocation":{"artifactLocation":{"uri":"src/module)" + std::to_string(art) +
                      R"(/file.js","index":)" + std::to_string(art) + R"(},"region":{"startLine":)" +
                      std::to_string(i % 5000 + 1) + R"(,"startColumn":5,"endColumn":40}}})";
    out << (i ? "," : "") << R"({"ruleId":"js/rule-)" << rule << R"(","ruleIndex":)" << rule
        << R"(,"message":{"text":"Tainted value number )" << i << R"( reaches a sink."},"locations":[)" << loc
        << R"(],"partialFingerprints":{"primaryLocationLineHash":")" << std::hex << static_cast<unsigned>(i) * 2654435761u << std::dec
        << R"(:1"},"codeFlows":[{"threadFlows":[{"locations":[)";
    for (int s = 0; s < 4; ++s) out << (s ? "," : "") << R"({"location":)" << loc << "}";
    out << "]}]}]}";
  }
  out << "]}]}\n";
}

// Peak RSS in KiB of `tollgate scan import REPORT --gate sast --fail-on none`
// with `extra` arguments, its standard output to /dev/null.
long ScanImportPeakKb(const tollgate::testing::TempDir& dir, const std::string& report, const std::string& extra) {
  const std::string rss = (dir.path() / "rss.txt").string();
  const std::string cmd = "/usr/bin/time -f %M -o '" + rss + "' '" + TOLLGATE_BINARY + "' scan import '" + report +
                          "' --gate sast --fail-on none " + extra + " >/dev/null";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  long kb = 0;
  std::ifstream(rss) >> kb;
  return kb;
}

// `tollgate scan import` of a 60 MB report holds one result as JSON at a
// time, and its findings share their rule's help text: its peak is the
// findings it keeps (about 0.5 KB each), not the ten times the report that
// reading it whole took (700 MB), nor a copy of the help text per finding.
// Text output is written finding by finding; JSON to a file too, through the
// atomic file writer, not built as one document (472 MB before).
TEST(SarifStream, ImportMemoryIsTheFindingsNotTheReport) {
  tollgate::testing::TempDir dir;
  const std::string report = (dir.path() / "big.sarif").string();
  WriteLargeReport(report, static_cast<int>(tollgate::testing::ScaledForAsan(60000)));
  ASSERT_GT(std::filesystem::file_size(report), (tollgate::testing::kUnderAsan ? 5u << 20 : 55u << 20));
  const long text_kb = ScanImportPeakKb(dir, report, "");
  EXPECT_LT(text_kb, tollgate::testing::RssLimitKb(80 * 1024)) << "text: peak RSS " << text_kb << " KiB";
  const std::string json = (dir.path() / "out.json").string();
  const long json_kb = ScanImportPeakKb(dir, report, "--format json -o '" + json + "'");
  EXPECT_LT(json_kb, tollgate::testing::RssLimitKb(80 * 1024)) << "json -o: peak RSS " << json_kb << " KiB";
  EXPECT_GT(std::filesystem::file_size(json), (tollgate::testing::kUnderAsan ? 4u << 20 : 50u << 20));
}

// A report imported into a FindingStore whose budget it exceeds: the runs
// go to disk, and what is read back is every finding the in-memory import
// gives, in FindingBefore order. Three runs: the second names its tool after
// its results (converted in a second pass), the third is empty.
TEST(SarifStream, ImportBeyondTheMemoryBudgetGoesToDiskAndLosesNothing) {
  tollgate::testing::TempDir dir;
  const std::string report = (dir.path() / "runs.sarif").string();
  {
    std::ofstream out(report, std::ios::binary);
    auto result = [](int i) {
      return R"({"ruleId":"r)" + std::to_string(i % 9) + R"(","level":")" + (i % 3 ? "warning" : "error") +
             R"(","message":{"text":"m )" + std::to_string(i) +
             R"("},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/f)" + std::to_string(i % 31) +
             R"(.js"},"region":{"startLine":)" + std::to_string(i % 101 + 1) + "}}}]}";
    };
    out << R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"A","rules":[{"id":"r1","help":{"text":"fix it"}}]}},"results":[)";
    for (int i = 0; i < 3000; ++i) out << (i ? "," : "") << result(i);
    out << R"(]},{"results":[)";
    for (int i = 3000; i < 5000; ++i) out << (i > 3000 ? "," : "") << result(i);
    out << R"(],"tool":{"driver":{"name":"B"}}},{"tool":{"driver":{"name":"C"}},"results":[]}]})";
  }
  auto whole = ImportSarifFile(report, "sast");
  ASSERT_TRUE(whole.has_value()) << whole.error().message();
  ASSERT_EQ(whole->size(), 5000u);
  auto store = ImportSarifFileToStore(report, "sast", 32 << 10);
  ASSERT_TRUE(store.has_value()) << store.error().message();
  EXPECT_GT(store->runs_on_disk(), 1u);
  EXPECT_EQ(store->size(), 5000u);
  std::vector<Finding> read;
  ASSERT_TRUE(store->ForEach([&](const Finding& f) {
    read.push_back(f);
    return Ok();
  }).has_value());
  std::vector<Finding> want = *whole;
  std::stable_sort(want.begin(), want.end(), FindingBefore);
  EXPECT_TRUE(std::is_sorted(read.begin(), read.end(), FindingBefore));
  Json got_json = AsJson(read);
  Json want_json = AsJson(want);
  std::sort(got_json.begin(), got_json.end());
  std::sort(want_json.begin(), want_json.end());
  EXPECT_EQ(got_json, want_json);

  // A report that fails leaves nothing behind, whatever went to disk first.
  const std::string bad = (dir.path() / "bad.sarif").string();
  std::string text = Slurp(report);
  text.replace(text.rfind(R"("name":"C")"), 10, R"("name":7)");
  std::ofstream(bad, std::ios::binary) << text;
  auto failed = ImportSarifFileToStore(bad, "sast", 32 << 10);
  ASSERT_FALSE(failed.has_value());
  EXPECT_THAT(failed.error().message(), StartsWith(bad + ": runs[2].tool.driver.name"));
}

}  // namespace
}  // namespace tollgate::sarif
