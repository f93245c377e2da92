// conftest-style checks and the input document formats.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tollgate::rego
