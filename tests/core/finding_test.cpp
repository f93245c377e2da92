#include "core/finding.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/hash.h"

namespace tollgate {
namespace {

using ::testing::HasSubstr;

void ExpectSameFinding(const Finding& a, const Finding& b) {
  EXPECT_EQ(a.rule_id, b.rule_id);
  EXPECT_EQ(a.gate, b.gate);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.location.file, b.location.file);
  EXPECT_EQ(a.location.line, b.location.line);
  EXPECT_EQ(a.location.column, b.location.column);
  EXPECT_EQ(a.location.commit, b.location.commit);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.remediation, b.remediation);
  EXPECT_EQ(a.references, b.references);
  EXPECT_EQ(a.tool, b.tool);
}

Finding SampleFinding() {
  Finding f;
  f.rule_id = "secrets.aws-access-key";
  f.gate = "secrets";
  f.severity = Severity::kHigh;
  f.message = "AWS access key in source";
  f.location = {"src/config.py", 12, 7, "0123456789abcdef0123456789abcdef01234567"};
  f.fingerprint = MakeFingerprint(f.rule_id, {"src/config.py", "AKIA..."});
  f.remediation = "Rotate the key and load it from the environment.";
  f.references = {"CWE-798", "https://cwe.mitre.org/data/definitions/798.html"};
  f.tool = "tollgate-secrets";
  return f;
}

TEST(SeverityTest, Names) {
  EXPECT_EQ(SeverityName(Severity::kCritical), "critical");
  EXPECT_EQ(SeverityName(Severity::kHigh), "high");
  EXPECT_EQ(SeverityName(Severity::kMedium), "medium");
  EXPECT_EQ(SeverityName(Severity::kLow), "low");
  EXPECT_EQ(SeverityName(Severity::kInfo), "info");
}

TEST(SeverityTest, ParseRoundTripsNames) {
  for (Severity s : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh,
                     Severity::kCritical}) {
    EXPECT_EQ(ParseSeverity(SeverityName(s)), s);
  }
}

TEST(SeverityTest, ParseIsCaseInsensitiveAndKnowsAliases) {
  EXPECT_EQ(ParseSeverity("CRITICAL"), Severity::kCritical);
  EXPECT_EQ(ParseSeverity("High"), Severity::kHigh);
  EXPECT_EQ(ParseSeverity("moderate"), Severity::kMedium);
  EXPECT_EQ(ParseSeverity("MODERATE"), Severity::kMedium);
  EXPECT_EQ(ParseSeverity("informational"), Severity::kInfo);
  EXPECT_EQ(ParseSeverity("INFORMATIONAL"), Severity::kInfo);
  EXPECT_EQ(ParseSeverity("lOw"), Severity::kLow);
}

TEST(SeverityTest, ParseRejectsUnknown) {
  for (const char* bad : {"", "severe", "hi", "critical ", " high", "crit", "none", "error",
                          "medium\n"}) {
    EXPECT_FALSE(ParseSeverity(bad).has_value()) << bad;
  }
}

TEST(SeverityTest, OrderedForThresholds) {
  EXPECT_LT(Severity::kInfo, Severity::kLow);
  EXPECT_LT(Severity::kLow, Severity::kMedium);
  EXPECT_LT(Severity::kMedium, Severity::kHigh);
  EXPECT_LT(Severity::kHigh, Severity::kCritical);
}

TEST(FingerprintTest, IsSha256OfNulSeparatedParts) {
  // sha256sum of the bytes "rule\0a\0b".
  EXPECT_EQ(MakeFingerprint("rule", {"a", "b"}),
            "af1aafcd94be1f1c71875c4107fa9ccbe0116c4834d9b760f1d7db291d3dbb53");
  EXPECT_EQ(MakeFingerprint("rule", {"a", "b"}),
            HexEncode(Sha256(std::string_view("rule\0a\0b", 8))));
  EXPECT_EQ(MakeFingerprint("rule", {}), HexEncode(Sha256(std::string_view("rule"))));
}

TEST(FingerprintTest, SeparatorsKeepPartsApart) {
  EXPECT_NE(MakeFingerprint("r", {"ab", "c"}), MakeFingerprint("r", {"a", "bc"}));
  EXPECT_NE(MakeFingerprint("ra", {"b"}), MakeFingerprint("r", {"ab"}));
  EXPECT_NE(MakeFingerprint("r", {""}), MakeFingerprint("r", {}));
  EXPECT_NE(MakeFingerprint("r1", {"x"}), MakeFingerprint("r2", {"x"}));
}

TEST(FingerprintTest, StableAndLowercaseHex) {
  const std::string fp = MakeFingerprint("rule", {"path/a.tf", "aws_s3_bucket.logs"});
  EXPECT_EQ(fp, MakeFingerprint("rule", {"path/a.tf", "aws_s3_bucket.logs"}));
  ASSERT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(FindingJsonTest, ToJsonFieldNames) {
  const Finding f = SampleFinding();
  const Json j = ToJson(f);
  EXPECT_EQ(j["rule_id"], "secrets.aws-access-key");
  EXPECT_EQ(j["gate"], "secrets");
  EXPECT_EQ(j["severity"], "high");
  EXPECT_EQ(j["message"], "AWS access key in source");
  EXPECT_EQ(j["location"]["file"], "src/config.py");
  EXPECT_EQ(j["location"]["line"], 12);
  EXPECT_EQ(j["location"]["column"], 7);
  EXPECT_EQ(j["location"]["commit"], "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(j["fingerprint"], f.fingerprint);
  EXPECT_EQ(j["remediation"], f.remediation.str());
  EXPECT_EQ(j["references"], Json::array({"CWE-798", f.references[1]}));
  EXPECT_EQ(j["tool"], "tollgate-secrets");
  EXPECT_EQ(j.size(), 9u);
}

TEST(FindingJsonTest, ToJsonOmitsEmptyLocationParts) {
  Finding f;
  f.rule_id = "r";
  f.location.file = "a.txt";
  const Json j = ToJson(f);
  EXPECT_EQ(j["location"], Json({{"file", "a.txt"}}));
  f.location = {};
  EXPECT_EQ(ToJson(f)["location"], Json::object());
  EXPECT_EQ(ToJson(f)["severity"], "info");
}

TEST(FindingJsonTest, RoundTrip) {
  const Finding f = SampleFinding();
  const auto back = FindingFromJson(ToJson(f));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  ExpectSameFinding(*back, f);
}

// Details sit beside the fields in JSON and come back as details: an
// incomplete-scan's cause reaches the ledger through the service's API too.
TEST(FindingJsonTest, RoundTripKeepsDetails) {
  Finding f = SampleFinding();
  f.details = Json{{"cause", "archive-bomb"}, {"also_matched", Json::array({"generic-token"})},
                   {"suppression", Json{{"line", 3}, {"kind", "inline"}}}};
  const auto back = FindingFromJson(ToJson(f));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  ExpectSameFinding(*back, f);
  EXPECT_EQ(back->details, f.details);
  EXPECT_EQ(ToJson(*back), ToJson(f));
}

TEST(FindingJsonTest, RoundTripThroughCanonicalText) {
  const Finding f = SampleFinding();
  const auto text = Canonicalize(ToJson(f));
  ASSERT_TRUE(text.has_value());
  const auto parsed = ParseJson(*text, "finding.json");
  ASSERT_TRUE(parsed.has_value());
  const auto back = FindingFromJson(*parsed);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  ExpectSameFinding(*back, f);
}

TEST(FindingJsonTest, MinimalFinding) {
  const auto f = FindingFromJson(Json{{"rule_id", "r1"}, {"severity", "Moderate"}});
  ASSERT_TRUE(f.has_value()) << f.error().message();
  EXPECT_EQ(f->rule_id, "r1");
  EXPECT_EQ(f->severity, Severity::kMedium);
  EXPECT_TRUE(f->message.empty());
  EXPECT_EQ(f->location.line, 0u);
  EXPECT_TRUE(f->references.empty());
}

TEST(FindingJsonTest, LineAndColumnLimits) {
  Json j = {{"rule_id", "r"}, {"severity", "low"}, {"location", {{"line", 4294967295u}}}};
  auto f = FindingFromJson(j);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->location.line, 4294967295u);
  j["location"]["line"] = std::int64_t{3};  // a signed JSON integer is fine too
  f = FindingFromJson(j);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->location.line, 3u);
}

struct BadFinding {
  const char* json;
  const char* field;  // the field the error must name
};

TEST(FindingJsonTest, InvalidFieldsNamed) {
  const BadFinding cases[] = {
      {R"({"severity":"high"})", "rule_id"},
      {R"({"rule_id":7,"severity":"high"})", "rule_id"},
      {R"({"rule_id":"","severity":"high"})", "rule_id"},
      {R"({"rule_id":"r"})", "severity"},
      {R"({"rule_id":"r","severity":3})", "severity"},
      {R"({"rule_id":"r","severity":"severe"})", "severity"},
      {R"({"rule_id":"r","severity":"high","gate":false})", "gate"},
      {R"({"rule_id":"r","severity":"high","message":null})", "message"},
      {R"({"rule_id":"r","severity":"high","fingerprint":[]})", "fingerprint"},
      {R"({"rule_id":"r","severity":"high","remediation":{}})", "remediation"},
      {R"({"rule_id":"r","severity":"high","tool":1.5})", "tool"},
      {R"({"rule_id":"r","severity":"high","location":"a.py:3"})", "location"},
      {R"({"rule_id":"r","severity":"high","location":{"file":1}})", "location.file"},
      {R"({"rule_id":"r","severity":"high","location":{"line":-1}})", "location.line"},
      {R"({"rule_id":"r","severity":"high","location":{"line":4294967296}})", "location.line"},
      {R"({"rule_id":"r","severity":"high","location":{"line":3.0}})", "location.line"},
      {R"({"rule_id":"r","severity":"high","location":{"line":"3"}})", "location.line"},
      {R"({"rule_id":"r","severity":"high","location":{"column":-5}})", "location.column"},
      {R"({"rule_id":"r","severity":"high","location":{"commit":0}})", "location.commit"},
      {R"({"rule_id":"r","severity":"high","references":"CWE-798"})", "references"},
      {R"({"rule_id":"r","severity":"high","references":["a",2]})", "references[1]"},
  };
  for (const BadFinding& c : cases) {
    const auto parsed = ParseJson(c.json, "case.json");
    ASSERT_TRUE(parsed.has_value()) << c.json;
    const auto f = FindingFromJson(*parsed);
    ASSERT_FALSE(f.has_value()) << c.json;
    EXPECT_EQ(f.error().code(), ErrorCode::kInput) << c.json;
    EXPECT_THAT(f.error().message(), HasSubstr("\"" + std::string(c.field) + "\"")) << c.json;
  }
}

TEST(FindingJsonTest, NotAnObject) {
  for (const Json& j : {Json::array(), Json("finding"), Json(nullptr), Json(3)}) {
    const auto f = FindingFromJson(j);
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error().code(), ErrorCode::kInput);
  }
}

TEST(FindingJsonTest, UnknownSeverityIsQuoted) {
  const auto f = FindingFromJson(Json{{"rule_id", "r"}, {"severity", "severe"}});
  ASSERT_FALSE(f.has_value());
  EXPECT_THAT(f.error().message(), HasSubstr("\"severe\""));
}

Finding Make(Severity s, std::string file, std::uint32_t line, std::uint32_t column,
             std::string rule, std::string fingerprint = "") {
  Finding f;
  f.severity = s;
  f.location.file = std::move(file);
  f.location.line = line;
  f.location.column = column;
  f.rule_id = std::move(rule);
  f.fingerprint = std::move(fingerprint);
  return f;
}

TEST(SortFindingsTest, SeverityThenLocationThenRule) {
  std::vector<Finding> v = {
      Make(Severity::kLow, "a.py", 1, 1, "r"),
      Make(Severity::kCritical, "z.py", 9, 1, "r"),
      Make(Severity::kHigh, "b.py", 10, 1, "r"),
      Make(Severity::kHigh, "b.py", 2, 1, "r"),
      Make(Severity::kHigh, "a.py", 50, 1, "r"),
      Make(Severity::kHigh, "b.py", 2, 1, "q"),
      Make(Severity::kHigh, "b.py", 2, 0, "z"),
      Make(Severity::kInfo, "", 0, 0, "r"),
      Make(Severity::kHigh, "b.py", 2, 1, "q", "00ff"),
  };
  SortFindings(v);
  std::vector<std::string> order;
  for (const Finding& f : v) {
    order.push_back(std::string(SeverityName(f.severity)) + " " + f.location.file + ":" +
                    std::to_string(f.location.line) + ":" + std::to_string(f.location.column) +
                    " " + f.rule_id + " " + f.fingerprint);
  }
  EXPECT_THAT(order, ::testing::ElementsAre(   //
                         "critical z.py:9:1 r ",  //
                         "high a.py:50:1 r ",     //
                         "high b.py:2:0 z ",      //
                         "high b.py:2:1 q ",      //
                         "high b.py:2:1 q 00ff",  //
                         "high b.py:2:1 r ",      //
                         "high b.py:10:1 r ",     // lines compare as numbers
                         "low a.py:1:1 r ",       //
                         "info :0:0 r "));
}

TEST(SortFindingsTest, TiesKeepInputOrder) {
  std::vector<Finding> v = {Make(Severity::kHigh, "a", 1, 1, "r"), Make(Severity::kHigh, "a", 1, 1, "r")};
  v[0].message = "first";
  v[1].message = "second";
  SortFindings(v);
  EXPECT_EQ(v[0].message, "first");
  EXPECT_EQ(v[1].message, "second");
}

// SortFindings sorts an index and moves each finding into place: the result
// is the stable sort in writer order, for many findings in many cycles.
TEST(SortFindingsTest, LargeInputIsTheStableSort) {
  std::vector<Finding> v;
  for (int i = 0; i < 5000; ++i) {
    Finding f = Make(static_cast<Severity>((i * 7) % 5), "f" + std::to_string((i * 31) % 13),
                     static_cast<std::uint32_t>((i * 17) % 9), static_cast<std::uint32_t>(i % 2),
                     "r" + std::to_string(i % 3));
    f.message = std::to_string(i);
    f.remediation = "help " + std::to_string(i % 3);
    v.push_back(std::move(f));
  }
  std::vector<Finding> want = v;
  std::stable_sort(want.begin(), want.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return std::tie(a.location.file, a.location.line, a.location.column, a.rule_id, a.fingerprint) <
           std::tie(b.location.file, b.location.line, b.location.column, b.rule_id, b.fingerprint);
  });
  SortFindings(v);
  ASSERT_EQ(v.size(), want.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(v[i].message, want[i].message) << i;
    EXPECT_EQ(v[i].remediation, want[i].remediation) << i;
  }
}

// A finding carries its rule's help text by reference (issue 14: memory):
// copies share the text, it reads as a string, and assigning a finding's
// remediation never changes another's.
TEST(SharedTextTest, CopiesShareOneText) {
  Finding a = SampleFinding();
  Finding b = a;
  EXPECT_EQ(&a.remediation.str(), &b.remediation.str());
  EXPECT_EQ(b.remediation, "Rotate the key and load it from the environment.");
  const std::string& text = b.remediation;
  EXPECT_EQ(text.size(), b.remediation.size());
  b.remediation = "Other.";
  EXPECT_EQ(a.remediation, "Rotate the key and load it from the environment.");
  EXPECT_EQ(b.remediation, "Other.");
  EXPECT_FALSE(a.remediation == b.remediation);
  EXPECT_EQ(a.remediation, SharedText(std::string("Rotate the key and load it from the environment.")));
  SharedText empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty, "");
  EXPECT_TRUE(SharedText("").empty());
  EXPECT_EQ(empty.str(), std::string());
}

// A finding without details holds no details object, and its JSON has only
// the finding's fields; a detail set later makes it an object.
TEST(FindingJsonTest, NoDetailsMeansOnlyTheFields) {
  Finding f = SampleFinding();
  EXPECT_TRUE(f.details.is_null());
  EXPECT_FALSE(f.details.contains("suppression"));
  Json j = ToJson(f);
  EXPECT_EQ(j.size(), 9u);
  auto back = FindingFromJson(j);
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(ToJson(*back), j);
  f.details["cause"] = "archive-bomb";
  EXPECT_EQ(ToJson(f)["cause"], "archive-bomb");
}

}  // namespace
}  // namespace tollgate
