// YAML in the policy engine (issue 14 items 7 and 10): policy inputs and the
// yaml.unmarshal built-in refuse duplicate keys (in the words of Go's strict
// YAML decoder, as OPA and conftest would report them), alias bombs and deep
// nesting; the evaluation's memory budget covers yaml.unmarshal. Through the
// binary: cli_test.cpp (PolicyYamlCli).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/yaml_bomb.h"
#include "rego/documents.h"
#include "rego/rego.h"

namespace tollgate::rego {
namespace {

using ::testing::HasSubstr;
using tollgate::testdata::BillionLaughs;

Result<QueryResult> Eval(const std::string& query, const Value& input, EvalOptions opts = {}) {
  auto p = Policy::Compile({{"p.rego", "package p\n"}});
  if (!p) return Fail(p.error());
  opts.input = input;
  return (*p)->Query(query, opts);
}

Value Text(const std::string& s) { return Value::MakeObject({{Value::String("text"), Value::String(s)}}); }

TEST(RegoYamlInput, DuplicateKeysAreReportedAsGoYamlDoes) {
  auto docs = ParseDocumentFile("deploy.yaml", "kind: Deployment\nspec: {replicas: 1}\nkind: Service\n");
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().message(), "deploy.yaml:3:1: key \"kind\" already set in map (first at line 1, column 1)");
  auto later = ParseDocumentFile("deploy.yaml", "a: 1\n---\nb: {c: 1, c: 2}\n");
  ASSERT_FALSE(later);
  EXPECT_THAT(later.error().message(), HasSubstr("deploy.yaml:3:11: key \"c\" already set in map"));
}

TEST(RegoYamlInput, BillionLaughsIsRefusedQuickly) {
  auto t0 = std::chrono::steady_clock::now();
  auto docs = ParseDocumentFile("bomb.yaml", BillionLaughs("kind: Deployment\n"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  ASSERT_FALSE(docs);
  EXPECT_THAT(docs.error().message(), HasSubstr("bomb.yaml:"));
  EXPECT_THAT(docs.error().message(), HasSubstr("once its aliases are expanded"));
}

TEST(RegoYamlInput, DecodingHonoursAByteBudget) {
  std::string list = "items:\n";
  for (int i = 0; i < 1000; ++i) list += "  - item" + std::to_string(i) + "\n";
  DecodeLimits small;
  small.max_bytes = 10000;
  auto docs = ParseDocumentFile("list.yaml", list, small);
  ASSERT_FALSE(docs);
  EXPECT_THAT(docs.error().message(), HasSubstr("list.yaml:1:1: the document takes about"));
  EXPECT_THAT(docs.error().message(), HasSubstr("more than the memory budget of 10000"));
  EXPECT_TRUE(ParseDocumentFile("list.yaml", list));
}

TEST(RegoYamlInput, ReadDocumentFileIsBoundedAndRefusesFifos) {
  auto dir = std::filesystem::temp_directory_path() / ("tollgate_rego_input_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "in.yaml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = ReadDocumentFile(fifo);
  EXPECT_FALSE(f);
  std::ofstream(dir / "list.yaml") << "[1, 2, 3]\n";
  DecodeLimits tiny;
  tiny.max_file_bytes = 4;
  EXPECT_FALSE(ReadDocumentFile((dir / "list.yaml").string(), tiny));
  auto ok = ReadDocumentFile((dir / "list.yaml").string());
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(f.error().message().empty());
  EXPECT_THAT(f.error().message(), HasSubstr("FIFO"));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ToJsonText((*ok)[0]), "[1,2,3]");
}

TEST(RegoYamlUnmarshal, DuplicateKeysBombsAndDeepNestingAreErrors) {
  EvalOptions strict;
  strict.strict_builtin_errors = true;
  auto dup = Eval("x := yaml.unmarshal(input.text)", Text("a: 1\na: 2\n"), strict);
  ASSERT_FALSE(dup);
  EXPECT_THAT(dup.error().message(),
              HasSubstr("yaml.unmarshal: 2:1: key \"a\" already set in map (first at line 1, column 1)"));
  auto t0 = std::chrono::steady_clock::now();
  auto bomb = Eval("x := yaml.unmarshal(input.text)", Text(BillionLaughs("kind: Deployment\n")), strict);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  ASSERT_FALSE(bomb);
  EXPECT_THAT(bomb.error().message(), HasSubstr("once its aliases are expanded"));
  auto deep = Eval("x := yaml.unmarshal(input.text)", Text(std::string(50000, '[') + std::string(50000, ']')), strict);
  ASSERT_FALSE(deep);
  EXPECT_THAT(deep.error().message(), HasSubstr("nesting deeper than 256 levels"));
  // Not strict: the call is undefined, as other built-in errors.
  auto lax = Eval("x := yaml.unmarshal(input.text)", Text(BillionLaughs("kind: Deployment\n")));
  ASSERT_TRUE(lax) << lax.error().message();
  EXPECT_TRUE(lax->rows.empty());
  auto valid = Eval("x := [yaml.is_valid(\"a: 1\\na: 2\"), yaml.is_valid(input.text), yaml.is_valid(\"a: {b: 1}\")]",
                    Text(BillionLaughs("kind: Deployment\n")));
  ASSERT_TRUE(valid) << valid.error().message();
  EXPECT_EQ(ToJsonText(valid->rows[0].bindings["x"]), "[false,false,true]");
}

TEST(RegoYamlUnmarshal, MemoryBudgetCoversTheDecodedDocument) {
  std::string list = "[";
  for (int i = 0; i < 200000; ++i) list += (i ? ",x" : "x") + std::to_string(i);
  list += "]";
  EvalOptions tight;
  tight.max_memory = 4'000'000;  // the string itself takes about 1.5 MB
  auto over = Eval("n := count(yaml.unmarshal(input.text))", Text(list), tight);
  ASSERT_FALSE(over);
  EXPECT_THAT(over.error().message(),
              HasSubstr("evaluation exceeded the memory budget of 4000000 bytes (yaml.unmarshal"));
  auto ok = Eval("n := count(yaml.unmarshal(input.text))", Text(list));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ToJsonText(ok->rows[0].bindings["n"]), "200000");
}

}  // namespace
}  // namespace tollgate::rego
