// conftest-style checks and the input document formats.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "rego/check.h"
#include "rego/documents.h"

namespace tollgate::rego {
namespace {

PolicyPtr MustCompile(const std::string& src) {
  auto p = Policy::Compile({{"policy.rego", src}});
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message());
  return p ? *p : nullptr;
}

const char* kPolicy = R"(package main
import rego.v1

deny contains msg if {
  input.kind == "Deployment"
  input.spec.replicas < 2
  msg := sprintf("%s: too few replicas", [input.metadata.name])
}

violation_priv contains {"msg": "privileged container", "severity": "critical", "container": c.name} if {
  some c in input.spec.containers
  c.securityContext.privileged
}

warn_labels contains "no labels" if not input.metadata.labels

exception contains "priv" if input.metadata.name == "trusted"
)";

TEST(RegoCheck, DenyViolationWarnAndExceptions) {
  auto p = MustCompile(kPolicy);
  ASSERT_TRUE(p);
  auto doc = ParseJsonValue(R"({"kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1,
      "containers":[{"name":"app","securityContext":{"privileged":true}}]}})", "in.json");
  ASSERT_TRUE(doc);
  auto rs = CheckDocuments(*p, "in.json", {*doc}, CheckOptions{});
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs->size(), 1u);
  const FileCheck& fc = (*rs)[0];
  EXPECT_EQ(fc.ns, "main");
  ASSERT_EQ(fc.failures.size(), 2u);
  EXPECT_EQ(fc.warnings.size(), 1u);
  EXPECT_EQ(fc.successes, 0);
  bool saw_priv = false;
  for (const auto& f : fc.failures) {
    if (f.rule == "violation_priv") {
      saw_priv = true;
      EXPECT_EQ(f.msg, "privileged container");
      ASSERT_TRUE(f.metadata.is_object());
      EXPECT_EQ(*f.metadata.Get("severity"), Value::String("critical"));
    }
  }
  EXPECT_TRUE(saw_priv);
  auto findings = CheckFindings(*rs, "policy", false);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_EQ(findings[0].rule_id, "rego.main.violation_priv");

  // The exception moves the violation out of the failures.
  auto trusted = ParseJsonValue(R"({"kind":"Deployment","metadata":{"name":"trusted","labels":{}},"spec":{"replicas":3,
      "containers":[{"name":"app","securityContext":{"privileged":true}}]}})", "t.json");
  auto rs2 = CheckDocuments(*p, "t.json", {*trusted}, CheckOptions{});
  ASSERT_TRUE(rs2);
  EXPECT_TRUE((*rs2)[0].failures.empty());
  EXPECT_EQ((*rs2)[0].exceptions.size(), 1u);
  EXPECT_EQ((*rs2)[0].successes, 2);
}

TEST(RegoCheck, JsonShapeIsConftests) {
  auto p = MustCompile("package main\ndeny contains \"bad\" if input.bad\n");
  auto doc = ParseJsonValue("{\"bad\":true}", "x.json");
  auto rs = CheckDocuments(*p, "x.json", {*doc}, CheckOptions{});
  ASSERT_TRUE(rs);
  auto j = CheckResultsToJson(*rs, false);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["filename"], "x.json");
  EXPECT_EQ(j[0]["namespace"], "main");
  EXPECT_EQ(j[0]["failures"][0]["msg"], "bad");
  EXPECT_TRUE(j[0]["warnings"].is_array());
}

TEST(RegoCheck, NamespacesSelectPackages) {
  auto p = MustCompile("package other\ndeny contains \"x\" if true\n");
  auto doc = ParseJsonValue("{}", "x.json");
  // The default namespace, main, names no package here: checking nothing
  // would pass everything, so it is an error naming the packages there are.
  auto main_only = CheckDocuments(*p, "x.json", {*doc}, CheckOptions{});
  ASSERT_FALSE(main_only);
  EXPECT_EQ(main_only.error().message(), "namespace 'main' matches no package of the policies (other)");
  CheckOptions glob;
  glob.namespaces = {"oth*"};
  auto globbed = CheckDocuments(*p, "x.json", {*doc}, glob);
  ASSERT_TRUE(globbed);
  EXPECT_EQ((*globbed)[0].failures.size(), 1u);
  CheckOptions all;
  all.all_namespaces = true;
  auto everything = CheckDocuments(*p, "x.json", {*doc}, all);
  ASSERT_TRUE(everything);
  EXPECT_EQ((*everything)[0].failures.size(), 1u);
}

TEST(RegoDocuments, YamlStreamsAreSeveralDocuments) {
  auto docs = ParseYamlDocuments("a: 1\nb: 'yes'\nc: true\n---\nkind: x\nn: 1.5\ns: \"2\"\n", "k.yaml");
  ASSERT_TRUE(docs);
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ(*(*docs)[0].Get("a"), Value::Int(1));
  EXPECT_EQ(*(*docs)[0].Get("b"), Value::String("yes"));
  EXPECT_EQ(*(*docs)[0].Get("c"), Value::Bool(true));
  EXPECT_EQ(*(*docs)[1].Get("s"), Value::String("2"));
  auto bad = ParseYamlDocuments("a: [1, 2\n", "bad.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("bad.yaml:"), std::string::npos);
}

TEST(RegoDocuments, TomlIniDotenvDockerfile) {
  auto toml = ParseDocumentFile("c.toml", "[server]\nport = 8080\nname = \"x\"\n");
  ASSERT_TRUE(toml);
  EXPECT_EQ(*(*toml)[0].Get("server")->Get("port"), Value::Int(8080));
  auto ini = ParseDocumentFile("c.ini", "top = 1\n[db]\nhost = \"localhost\"\n");
  ASSERT_TRUE(ini);
  EXPECT_EQ(*(*ini)[0].Get("db")->Get("host"), Value::String("localhost"));
  auto env = ParseDocumentFile(".env", "# c\nexport TOKEN=abc\nMODE='dev'\n");
  ASSERT_TRUE(env);
  EXPECT_EQ(*(*env)[0].Get("MODE"), Value::String("dev"));
  auto docker = ParseDocumentFile("Dockerfile", "FROM alpine:3.19\nRUN apk add \\\n  curl\nUSER root\n");
  ASSERT_TRUE(docker);
  const Value& cmds = (*docker)[0];
  ASSERT_TRUE(cmds.is_array());
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(*cmds.items()[0].Get("Cmd"), Value::String("from"));
  EXPECT_EQ(*cmds.items()[2].Get("Value"), Value::MakeArray({Value::String("root")}));
}

// conftest's output formats (output/standard.go, tap.go, github.go), written
// out by hand from what those writers print for the same results.
std::vector<FileCheck> TwoFiles() {
  FileCheck a;
  a.filename = "k8s/api.yaml";
  a.ns = "main";
  a.successes = 2;
  CheckResult f;
  f.msg = "api: 5 replicas";
  a.failures.push_back(f);
  CheckResult w;
  w.msg = "line one\nline two";
  a.warnings.push_back(w);
  CheckResult x;
  x.msg = "trusted";
  a.exceptions.push_back(x);
  FileCheck b;
  b.filename = "web.yaml";
  b.ns = "main";
  b.successes = 1;
  return {a, b};
}

TEST(RegoCheckFormats, StdoutIsConftestsWithItsPlurals) {
  auto out = FormatCheckResults(TwoFiles(), "stdout", false);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out,
            "WARN - k8s/api.yaml - main - line one\nline two\n"
            "FAIL - k8s/api.yaml - main - api: 5 replicas\n"
            "EXCP - k8s/api.yaml - main - trusted\n"
            "\n"
            "6 tests, 3 passed, 1 warning, 1 failure, 1 exception\n");
  EXPECT_EQ(*FormatCheckResults({TwoFiles()[1]}, "text", false), "\n1 test, 1 passed, 0 warnings, 0 failures, 0 exceptions\n");
  // conftest's --suppress-exceptions: no EXCP line, still counted.
  auto quiet = FormatCheckResults(TwoFiles(), "stdout", false, true);
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->find("EXCP"), std::string::npos) << *quiet;
  EXPECT_NE(quiet->find("1 exception\n"), std::string::npos) << *quiet;
}

TEST(RegoCheckFormats, TapHasOnePlanPerFileAndOneLinePerResult) {
  auto out = FormatCheckResults(TwoFiles(), "tap", false);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "1..5\n"
            "not ok 1 - k8s/api.yaml - main - api: 5 replicas\n"
            "# warnings\n"
            "not ok 2 - k8s/api.yaml - main - line one line two\n"
            "# exceptions\n"
            "ok 3 - k8s/api.yaml - main - trusted\n"
            "# successes\n"
            "ok 4 - k8s/api.yaml - main - SUCCESS\n"
            "ok 5 - k8s/api.yaml - main - SUCCESS\n"
            "1..1\n"
            "# successes\n"
            "ok 1 - web.yaml - main - SUCCESS\n");
}

TEST(RegoCheckFormats, TableHasOneRowPerResult) {
  auto out = FormatCheckResults(TwoFiles(), "table", false);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "+-----------+--------------+-----------+-------------------+\n"
            "| RESULT    | FILE         | NAMESPACE | MESSAGE           |\n"
            "+-----------+--------------+-----------+-------------------+\n"
            "| success   | k8s/api.yaml | main      | SUCCESS           |\n"
            "| success   | k8s/api.yaml | main      | SUCCESS           |\n"
            "| exception | k8s/api.yaml | main      | trusted           |\n"
            "| warning   | k8s/api.yaml | main      | line one line two |\n"
            "| failure   | k8s/api.yaml | main      | api: 5 replicas   |\n"
            "| success   | web.yaml     | main      | SUCCESS           |\n"
            "+-----------+--------------+-----------+-------------------+\n");
}

TEST(RegoCheckFormats, GithubAnnotationsAreEscapedSoNoMessageStartsACommand) {
  auto results = TwoFiles();
  // A violation that names its own place (conftest's _loc), in another file.
  CheckResult located;
  located.msg = "bad, really";
  located.metadata = Value::MakeObject(
      {{Value::String("_loc"), Value::MakeObject({{Value::String("file"), Value::String("a,b:c.yaml")},
                                                  {Value::String("line"), Value::Int(7)}})}});
  results[1].failures.push_back(located);
  results[0].warnings[0].msg = "x\n::add-mask::secret 100%";
  auto out = FormatCheckResults(results, "github", false);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "::group::Testing \"k8s/api.yaml\" against 5 policies in namespace \"main\"\n"
            "::error file=k8s/api.yaml,line=1::api: 5 replicas\n"
            "::warning file=k8s/api.yaml,line=1::x%0A::add-mask::secret 100%25\n"
            "::notice file=k8s/api.yaml,line=1::trusted\n"
            "::notice file=k8s/api.yaml,line=1::Number of successful checks: 2\n"
            "::endgroup::\n"
            "::group::Testing \"web.yaml\" against 2 policies in namespace \"main\"\n"
            "::error file=a%2Cb%3Ac.yaml,line=7::bad, really\n"
            "::error file=web.yaml,line=1::(ORIGINATING FROM a,b:c.yaml L7) bad, really\n"
            "::notice file=web.yaml,line=1::Number of successful checks: 1\n"
            "::endgroup::\n"
            "7 tests, 3 passed, 1 warning, 2 failures, 1 exception\n");
  EXPECT_FALSE(FormatCheckResults(results, "xml", false));
}

TEST(RegoCheck, CombineInputsListsEveryDocumentByPath) {
  auto yaml = ParseYamlDocuments("kind: Service\n---\nkind: Deployment\n", "b.yaml");
  ASSERT_TRUE(yaml);
  auto list = ParseJsonValue(R"([{"n": 1}, {"n": 2}])", "a.json");
  auto one = ParseJsonValue(R"({"n": 3})", "c.json");
  ASSERT_TRUE(list && one);
  Value combined = CombineInputs({{"c.json", {*one}}, {"b.yaml", *yaml}, {"a.json", {*list}}});
  // conftest: sorted by path, a file of several documents or of one list
  // gives one entry per document or element.
  auto expected = ParseJsonValue(R"([
    {"path": "a.json", "contents": {"n": 1}}, {"path": "a.json", "contents": {"n": 2}},
    {"path": "b.yaml", "contents": {"kind": "Service"}}, {"path": "b.yaml", "contents": {"kind": "Deployment"}},
    {"path": "c.json", "contents": {"n": 3}}])", "expected");
  ASSERT_TRUE(expected);
  EXPECT_EQ(combined, *expected);
}

// OPA's loader (conftest --data, opa eval -d): a file goes under the path of
// its folder below the path given, objects merge deeply, and what cannot be
// merged or read is an error, never a silent choice.
TEST(RegoData, FilesArePlacedByFolderAndMergedDeeply) {
  namespace fs = std::filesystem;
  fs::path d = fs::temp_directory_path() / ("tollgate_data_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "data/limits/k8s");
  std::ofstream(d / "data/top.json") << R"({"owner": "platform", "limits": {"global": 10}})";
  std::ofstream(d / "data/limits/k8s/replicas.yaml") << "max: 3\nmin: 1\n";
  std::ofstream(d / "data/limits/k8s/extra.yml") << "names: [a, b]\n";
  std::ofstream(d / "data/notes.txt") << "not data";
  std::ofstream(d / "data/policy.rego") << "package x\n";
  std::ofstream(d / "named.json") << R"({"limits": {"named": true}})";
  auto data = LoadDataDocuments({(d / "data").string(), (d / "named.json").string()});
  ASSERT_TRUE(data) << data.error().message();
  auto expected = ParseJsonValue(R"({"owner": "platform",
    "limits": {"global": 10, "named": true, "k8s": {"max": 3, "min": 1, "names": ["a", "b"]}}})", "expected");
  ASSERT_TRUE(expected);
  EXPECT_EQ(*data, *expected);

  // The same value twice is no conflict; a different one is.
  std::ofstream(d / "same.json") << R"({"owner": "platform"})";
  EXPECT_TRUE(LoadDataDocuments({(d / "data").string(), (d / "same.json").string()}));
  std::ofstream(d / "other.json") << R"({"limits": {"global": 11}})";
  auto conflict = LoadDataDocuments({(d / "data").string(), (d / "other.json").string()});
  ASSERT_FALSE(conflict);
  EXPECT_NE(conflict.error().message().find("other.json: data.limits.global is already set"), std::string::npos)
      << conflict.error().message();

  // At the root, data is an object; a YAML data file is one document.
  std::ofstream(d / "list.json") << "[1, 2]";
  auto root = LoadDataDocuments({(d / "list.json").string()});
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().message().find("must hold an object"), std::string::npos);
  std::ofstream(d / "two.yaml") << "a: 1\n---\nb: 2\n";
  EXPECT_FALSE(LoadDataDocuments({(d / "two.yaml").string()}));
  // Bad JSON names the file; a missing path is an error.
  std::ofstream(d / "data/limits/bad.json") << "{";
  auto bad = LoadDataDocuments({(d / "data").string()});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("bad.json"), std::string::npos) << bad.error().message();
  EXPECT_FALSE(LoadDataDocuments({(d / "missing").string()}));
  fs::remove_all(d);
}

// conftest's count (policy/engine.go): one test per definition of a
// deny/violation/warn rule; definitions without a result are successes, and
// results beyond the definitions add none.
TEST(RegoCheck, TestsAreCountedPerRuleDefinitionAsConftestCounts) {
  auto p = MustCompile(R"(package main
import rego.v1

deny contains "no owner" if not input.owner
deny contains msg if {
  some name in input.dups
  msg := sprintf("duplicate %s", [name])
}
warn contains "old" if input.old
)");
  ASSERT_TRUE(p);
  auto check = [&](const char* json) {
    auto doc = ParseJsonValue(json, "in.json");
    EXPECT_TRUE(doc);
    auto rs = CheckDocuments(*p, "in.json", {*doc}, CheckOptions{});
    EXPECT_TRUE(rs) << (rs ? "" : rs.error().message());
    return rs ? (*rs)[0] : FileCheck{};
  };
  FileCheck one = check(R"({"dups": []})");
  EXPECT_EQ(one.failures.size(), 1u);
  EXPECT_EQ(one.successes, 2);  // three definitions, one result
  FileCheck many = check(R"({"owner": "x", "dups": ["a", "b", "c"], "old": true})");
  EXPECT_EQ(many.failures.size(), 3u);
  EXPECT_EQ(many.warnings.size(), 1u);
  EXPECT_EQ(many.successes, 0);
  FileCheck clean = check(R"({"owner": "x"})");
  EXPECT_EQ(clean.successes, 3);
}

// conftest's parse_config built-ins read through the evaluation's
// config_reader, paths relative to the calling module's folder; with no
// reader (every evaluation but policy check and policy test) a call stops the
// evaluation with an error instead of being undefined, which would let a deny
// rule that parses configuration pass.
TEST(RegoConftestBuiltins, ReadThroughTheReaderAndFailClosedWithoutOne) {
  auto p = Policy::Compile({{"pol/policy.rego", R"(package main
import rego.v1
cfg := parse_config("yaml", "a: 1")
file := parse_config_file("sub/x.yaml")
combined := parse_combined_config_files(["b.yaml", "a.yaml"])
)"}});
  ASSERT_TRUE(p) << p.error().message();
  EvalOptions opts;
  std::vector<std::string> read;
  opts.config_reader = [&](const std::string& path, std::string_view parser,
                           const std::string* text) -> Result<std::vector<Value>> {
    if (text) {
      EXPECT_EQ(parser, "yaml");
      return ParseYamlDocuments(*text, path);
    }
    read.push_back(path);
    return std::vector<Value>{Value::MakeObject({{Value::String("from"), Value::String(path)}})};
  };
  auto value = [&](const char* q) {
    auto rs = (*p)->Query(q, opts);
    EXPECT_TRUE(rs) << q << ": " << (rs ? "" : rs.error().message());
    return rs && !rs->rows.empty() ? rs->rows[0].expressions[0] : Value();
  };
  EXPECT_EQ(value("data.main.cfg"), *ParseJsonValue(R"({"a": 1})", "x"));
  EXPECT_EQ(value("data.main.file"), *ParseJsonValue(R"({"from": "pol/sub/x.yaml"})", "x"));
  EXPECT_EQ(value("data.main.combined"), *ParseJsonValue(R"([
    {"path": "pol/a.yaml", "contents": {"from": "pol/a.yaml"}},
    {"path": "pol/b.yaml", "contents": {"from": "pol/b.yaml"}}])", "x"));
  EXPECT_EQ(read, (std::vector<std::string>{"pol/sub/x.yaml", "pol/b.yaml", "pol/a.yaml"}));

  auto none = (*p)->Query("data.main.file", EvalOptions{});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("available in policy check and policy test only"), std::string::npos)
      << none.error().message();
}

}  // namespace
}  // namespace tollgate::rego
