#include "core/yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/yaml_bomb.h"
#include "support/memory.h"

namespace tollgate::yaml {
namespace {

using ::testing::HasSubstr;
using tollgate::testdata::BillionLaughs;
namespace fs = std::filesystem;

std::string ErrorOf(std::string_view text, const Limits& limits = {}) {
  auto d = ParseDocument(text, "t.yaml", limits);
  EXPECT_FALSE(d.has_value()) << "accepted: " << text;
  return d ? std::string() : d.error().message();
}

Document Ok(std::string_view text) {
  auto d = ParseDocument(text, "t.yaml");
  EXPECT_TRUE(d.has_value()) << d.error().message();
  return d ? *d : Document{};
}

using tollgate::testing::PeakSelfRssKb;
using tollgate::testing::RssLimitKb;

// --- duplicate keys --------------------------------------------------------

TEST(YamlDuplicateKeys, FlowMappingNamesTheSecondKey) {
  EXPECT_EQ(ErrorOf("{fail_on: none, fail_on: high}"),
            "t.yaml:1:17: key \"fail_on\" already set in map (first at line 1, column 2)");
}

TEST(YamlDuplicateKeys, BlockMappingNamesTheSecondKey) {
  EXPECT_EQ(ErrorOf("a: 1\nb: 2\na: 3\n"), "t.yaml:3:1: key \"a\" already set in map (first at line 1, column 1)");
}

TEST(YamlDuplicateKeys, NestedMapping) {
  EXPECT_THAT(ErrorOf("gates:\n  sast: {import: a, bypass: none}\n  sast: {import: b, bypass: none}\n"),
              HasSubstr("t.yaml:3:3: key \"sast\" already set in map (first at line 2, column 3)"));
}

TEST(YamlDuplicateKeys, QuotedAndPlainSpellingsOfOneKey) {
  EXPECT_THAT(ErrorOf("a: 1\n\"a\": 2\n"), HasSubstr("t.yaml:2:1: key \"a\" already set in map"));
  EXPECT_THAT(ErrorOf("a: 1\n'a': 2\n"), HasSubstr("t.yaml:2:1:"));
}

TEST(YamlDuplicateKeys, NonStringKeysReadAsGoPrintsThem) {
  EXPECT_THAT(ErrorOf("1: a\n1: b\n"), HasSubstr("key 1 already set in map"));
  EXPECT_THAT(ErrorOf("true: a\ntrue: b\n"), HasSubstr("key true already set in map"));
  EXPECT_THAT(ErrorOf("~: a\nnull: b\n"), HasSubstr("t.yaml:2:1: key null already set in map"));
}

TEST(YamlDuplicateKeys, KeyThroughAnAlias) {
  EXPECT_THAT(ErrorOf("base: &k name\nname: 1\n*k : 2\n"), HasSubstr("t.yaml:3:1: key \"name\" already set in map"));
}

TEST(YamlDuplicateKeys, CollectionKeys) {
  EXPECT_THAT(ErrorOf("? [1, 2]\n: a\n? [1, 2]\n: b\n"), HasSubstr("t.yaml:3:3: key [...] already set in map"));
  Ok("? [1, 2]\n: a\n? [1, 3]\n: b\n");
  Ok("? {x: [1]}\n: a\n? {x: [2]}\n: b\n");
  // A duplicate inside a mapping that is itself a key.
  EXPECT_THAT(ErrorOf("? {x: 1, x: 2}\n: a\n"), HasSubstr("key \"x\" already set in map"));
}

TEST(YamlDuplicateKeys, SameKeyInDifferentMappingsIsFine) {
  Ok("a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 2}]\n");
  // An aliased mapping is checked once, where it is defined.
  auto d = Ok("a: &m {x: 1, y: 2}\nb: *m\nc: *m\n");
  EXPECT_EQ(d.root["c"]["y"].Scalar(), "2");
}

TEST(YamlDuplicateKeys, EveryDocumentOfAStream) {
  auto s = ParseStream("a: 1\n---\nb: 1\nb: 2\n", "s.yaml");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message(), HasSubstr("s.yaml:4:1: key \"b\" already set in map"));
}

// --- documents -------------------------------------------------------------

TEST(YamlDocuments, SecondDocumentOfASingleDocumentFile) {
  EXPECT_EQ(ErrorOf("version: 1\n---\nversion: 2\n"),
            "t.yaml:2:1: a second YAML document; this file must hold exactly one");
}

TEST(YamlDocuments, EmptyDocumentsDoNotCount) {
  EXPECT_EQ(Ok("---\na: 1\n...\n").root["a"].Scalar(), "1");
  EXPECT_EQ(Ok("a: 1\n---\n").root["a"].Scalar(), "1");
  EXPECT_EQ(Ok("---\n---\na: 1\n").root["a"].Scalar(), "1");
  EXPECT_TRUE(Ok("").root.IsNull());
  EXPECT_TRUE(Ok("# only a comment\n").root.IsNull());
}

TEST(YamlDocuments, StreamKeepsEveryNonEmptyDocumentWithItsLine) {
  auto s = ParseStream("a: 1\n---\n---\nb: 2\n---\nc: 3\n", "s.yaml");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0].root["a"].Scalar(), "1");
  EXPECT_EQ((*s)[1].root["b"].Scalar(), "2");
  EXPECT_EQ((*s)[1].start.line + 1, 3);
  EXPECT_EQ((*s)[2].start.line + 1, 5);
}

TEST(YamlDocuments, SyntaxErrorsNamePosition) {
  EXPECT_EQ(ErrorOf("a: [1, 2\nb: 3\n"), "t.yaml:2:2: invalid YAML: end of sequence flow not found");
}

// yaml-cpp hands out the same empty document forever on a lone ','.
TEST(YamlDocuments, ParserThatMakesNoProgressIsRefusedNotLooped) {
  EXPECT_THAT(ErrorOf(","), HasSubstr("t.yaml:1:1: invalid YAML"));
  auto s = ParseStream(",\n", "s.yaml");
  ASSERT_FALSE(s);
}

// yaml-cpp's LoadAll never returns on NUL bytes (found by fuzz_slo).
TEST(YamlDocuments, NulByteIsRefusedWithItsPosition) {
  EXPECT_THAT(ErrorOf(std::string("a: 1\nb: x\0y\n", 12)), HasSubstr("t.yaml:2:5: a NUL byte"));
}

// --- alias expansion -------------------------------------------------------

TEST(YamlAliases, BillionLaughsIsRefusedQuicklyAndSmall) {
  const long before = PeakSelfRssKb();
  auto t0 = std::chrono::steady_clock::now();
  std::string e = ErrorOf(BillionLaughs());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_THAT(e, HasSubstr("nodes once its aliases are expanded"));
  EXPECT_THAT(e, HasSubstr("t.yaml:7:"));  // the first alias past a million nodes
  EXPECT_LT(ms, 1000);
  EXPECT_LT(PeakSelfRssKb() - before, RssLimitKb(64 * 1024));
  auto s = ParseStream(BillionLaughs(), "s.yaml");
  EXPECT_FALSE(s);
}

TEST(YamlAliases, ManyAliasesOfALongStringAreRefused) {
  std::string s = "big: &b \"" + std::string(100000, 'x') + "\"\nlist: [";
  for (int i = 0; i < 1000; ++i) s += std::string(i ? "," : "") + "*b";
  s += "]\n";
  EXPECT_THAT(ErrorOf(s), HasSubstr("bytes of text once its aliases are expanded"));
}

TEST(YamlAliases, ExpandedSizeIsMeasured) {
  auto d = Ok("a: &x [1, 2, 3]\nb: *x\n");
  // map, "a", [1,2,3] (4 nodes), "b", and the alias counted as the 4 nodes it stands for
  EXPECT_EQ(d.nodes, 11u);
  EXPECT_EQ(d.scalar_bytes, 8u);
  EXPECT_EQ(d.depth, 2u);
}

TEST(YamlAliases, DocumentsWithoutAliasesAlwaysFit) {
  Limits tiny;
  tiny.max_nodes = 5;
  tiny.max_scalar_bytes = 5;
  auto d = ParseDocument("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", "t.yaml", tiny);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->nodes, 13u);
  // ... but aliases may not expand them beyond the bounds (twice the text here).
  std::string aliases = "a: &a [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]\nb: [*a";
  for (int i = 0; i < 20; ++i) aliases += ",*a";
  std::string e = ErrorOf(aliases + "]\n", tiny);
  EXPECT_THAT(e, HasSubstr("t.yaml:2:26: the document grows beyond 254 bytes of text once its aliases are expanded"));
}

TEST(YamlAliases, AliasInsideItsOwnAnchorIsACycle) {
  EXPECT_THAT(ErrorOf("&a [*a]"), HasSubstr("t.yaml:1:5: alias *a refers to a node that contains it"));
  EXPECT_THAT(ErrorOf("a: &m {b: *m}"), HasSubstr("alias *m refers to a node that contains it"));
}

TEST(YamlAliases, ConversionTakesFromTheBudget) {
  auto d = Ok("a: &x [1, 2, 3]\nb: *x\n");
  Budget b = Budget::For(d);
  auto j = ToJson(d.root, "t.yaml", b);
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ(j->dump(), R"({"a":[1,2,3],"b":[1,2,3]})");
  EXPECT_EQ(b.nodes, 0u);
  EXPECT_EQ(b.bytes, 0u);
  Budget small{5, 100, 10};
  auto k = ToJson(d.root, "t.yaml", small);
  ASSERT_FALSE(k);
  EXPECT_THAT(k.error().message(), HasSubstr("grows beyond its budget"));
}

// --- nesting ---------------------------------------------------------------

TEST(YamlNesting, DeepFlowSequencesAreRefusedWithoutACrash) {
  for (std::size_t n : {257u, 600u, 100000u}) {
    std::string s = std::string(n, '[') + std::string(n, ']');
    EXPECT_THAT(ErrorOf(s), HasSubstr("nesting deeper than 256 levels")) << n;
  }
  std::string ok = std::string(256, '[') + std::string(256, ']');
  EXPECT_EQ(Ok(ok).depth, 256u);
}

// Each link of a chain of aliases nests its node where it stands: the text
// nests 102 levels at most, the expanded document 302.
TEST(YamlNesting, ChainedAliasesCannotNestDeeperThanTheLimit) {
  auto nest = [](const std::string& inner) { return std::string(100, '[') + inner + std::string(100, ']'); };
  const std::string text = "a: &a " + nest("1") + "\nb: &b " + nest("*a") + "\nc: " + nest("*b") + "\n";
  EXPECT_THAT(ErrorOf(text), HasSubstr("t.yaml:3:104: nesting deeper than 256 levels once aliases are expanded"));
  auto ok = Ok("a: &a " + nest("1") + "\nb: " + nest("*a") + "\n");
  EXPECT_EQ(ok.depth, 201u);
}

TEST(YamlNesting, DeepMappingsAndBlockSequences) {
  std::string m;
  for (int i = 0; i < 5000; ++i) m += "{a: ";
  m += "1" + std::string(5000, '}');
  EXPECT_THAT(ErrorOf(m), HasSubstr("t.yaml:1:1025: nesting deeper than 256 levels"));
  std::string b;
  for (int i = 0; i < 400; ++i) b += std::string(static_cast<std::size_t>(i) * 2, ' ') + "-\n";
  EXPECT_THAT(ErrorOf(b), HasSubstr("nesting deeper than 256 levels"));
  Limits l;
  l.max_depth = 3;
  EXPECT_THAT(ErrorOf("a: {b: {c: {d: 1}}}", l), HasSubstr("t.yaml:1:12: nesting deeper than 3 levels"));
}

// --- scalars and JSON ------------------------------------------------------

TEST(YamlScalars, CoreSchemaResolution) {
  auto d =
      Ok("a: 1\nb: \"1\"\nc: true\nd: 'true'\ne: ~\nf: 1.5\ng: +3\nh: 0x10\ni: 99999999999999999999\n"
         "j: [1, {k: v}]\n1: x\nl: !!str 2\nm: True\nn: yes\no: -2e3\np: \"\"\nq:\n");
  Budget b = Budget::For(d);
  auto j = ToJson(d.root, "t.yaml", b);
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ(*j, Json::parse(R"({"a":1,"b":"1","c":true,"d":"true","e":null,"f":1.5,"g":3,"h":"0x10",
    "i":99999999999999999999,"j":[1,{"k":"v"}],"1":"x","l":"2","m":true,"n":"yes","o":-2000.0,"p":"","q":null})"));
  EXPECT_EQ(Resolve(d.root["a"]), ScalarType::kInt);
  EXPECT_EQ(Resolve(d.root["b"]), ScalarType::kString);
  EXPECT_TRUE(IsQuoted(d.root["b"]));
  EXPECT_FALSE(IsQuoted(d.root["a"]));
  EXPECT_EQ(Resolve(d.root["f"]), ScalarType::kFloat);
  EXPECT_EQ(Resolve(d.root["l"]), ScalarType::kString);
}

TEST(YamlScalars, CollectionKeysHaveNoJsonForm) {
  auto d = Ok("a: 1\n? [1, a]\n: x\n");
  Budget b = Budget::For(d);
  auto j = ToJson(d.root, "t.yaml", b);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message(), "t.yaml:2:3: a mapping key that is a list has no JSON form (keys must be scalars)");
}

// --- typed reader ----------------------------------------------------------

TEST(YamlReader, QuotedNumbersAndBooleansAreTypeErrors) {
  auto d = Ok("version: \"1\"\nfour_eyes: \"false\"\nn: '2.5'\nok: 1\nb: false\nf: 2.5\n");
  Reader r("t.yaml");
  auto v = r.Int(d.root["version"], "version");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message(),
            "t.yaml:1:10: 'version' must be an integer, not the quoted string \"1\" (write it without quotes)");
  auto f = r.Bool(d.root["four_eyes"], "four_eyes");
  ASSERT_FALSE(f);
  EXPECT_EQ(
      f.error().message(),
      "t.yaml:2:12: 'four_eyes' must be true or false, not the quoted string \"false\" (write it without quotes)");
  EXPECT_FALSE(r.Number(d.root["n"], "n"));
  EXPECT_EQ(*r.Int(d.root["ok"], "ok"), 1);
  EXPECT_EQ(*r.Bool(d.root["b"], "b"), false);
  EXPECT_DOUBLE_EQ(*r.Number(d.root["f"], "f"), 2.5);
  EXPECT_DOUBLE_EQ(*r.Number(d.root["ok"], "ok"), 1.0);
  // A quoted string is still a string.
  EXPECT_EQ(*r.String(d.root["version"], "version"), "1");
}

TEST(YamlReader, WrongKindsAndUnknownKeys) {
  auto d = Ok("a: [1]\nb: one\nc: 1.5\nd: {x: 1}\ne: [a, [b]]\n");
  Reader r("t.yaml");
  EXPECT_EQ(r.String(d.root["a"], "a").error().message(), "t.yaml:1:4: 'a' must be a string, not a list");
  EXPECT_EQ(r.Int(d.root["b"], "b").error().message(), "t.yaml:2:4: 'b' must be an integer, got 'one'");
  EXPECT_EQ(r.Int(d.root["c"], "c").error().message(), "t.yaml:3:4: 'c' must be an integer, got '1.5'");
  EXPECT_EQ(r.OnlyKeys(d.root, {"a", "b"}, "top").error().message(),
            "t.yaml:3:1: unknown key 'c' in top (expected one of: a, b)");
  EXPECT_EQ((*r.StringMap(d.root["d"], "d")).at("x"), "1");
  EXPECT_EQ(r.StringList(d.root["e"], "e").error().message(), "t.yaml:5:8: 'e[]' must be a string, not a list");
}

// --- files -----------------------------------------------------------------

class YamlFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tollgate_yaml_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(YamlFile, FifoDirectoryAndOversizeAreRefusedWithoutBlocking) {
  auto fifo = (dir_ / "pipe.yaml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = ReadFile(fifo, 1 << 20, "configuration");
  ASSERT_FALSE(f);
  EXPECT_THAT(f.error().message(), HasSubstr("FIFO"));
  auto d = ReadFile(dir_.string(), 1 << 20, "configuration");
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message(), HasSubstr("directory"));
  std::ofstream(dir_ / "big.yaml") << std::string(2000, 'a');
  auto b = ReadFile((dir_ / "big.yaml").string(), 1000, "configuration");
  ASSERT_FALSE(b);
  EXPECT_THAT(b.error().message(), HasSubstr("larger than"));
  std::ofstream(dir_ / "ok.yaml") << "a: 1\n";
  EXPECT_EQ(*ReadFile((dir_ / "ok.yaml").string(), 1000, "configuration"), "a: 1\n");
}

TEST(YamlWhere, PositionsAreOneBased) {
  YAML::Mark m;
  m.line = 2;
  m.column = 4;
  EXPECT_EQ(Where("f.yaml", m), "f.yaml:3:5");
  EXPECT_EQ(Where("", m), "3:5");
  EXPECT_EQ(Where("f.yaml", YAML::Mark::null_mark()), "f.yaml");
}

}  // namespace
}  // namespace tollgate::yaml
