// The HCL2 native-syntax parser and static evaluator, and HCL's spec suite.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "scan/iac/hcl_ast.h"
#include "scan/iac/iac.h"
#include "test_util.h"

namespace fs = std::filesystem;
using tollgate::Json;
namespace hcl = tollgate::iac::hcl;

namespace {


// Evaluates one expression with the given top-level symbols.
Json Eval(const std::string& text, const std::map<std::string, Json>& symbols = {}) {
  auto e = hcl::ParseExpression("expr", text);
  EXPECT_TRUE(e) << text << ": " << e.error().message();
  if (!e) return Json();
  hcl::Scope scope;
  scope.symbols = symbols;
  return hcl::Evaluate(**e, scope, text);
}

std::string ParseError(const std::string& text) {
  auto f = hcl::Parse("t.tf", text);
  return f ? std::string("(parsed)") : f.error().message();
}

}  // namespace

TEST(HclExpressions, OperatorsFollowThePrecedenceTable) {
  EXPECT_EQ(Eval("1 + 2 * 3"), 7);
  EXPECT_EQ(Eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(Eval("10 - 4 - 3"), 3);  // left associative
  EXPECT_EQ(Eval("1 < 2 == true"), true);
  EXPECT_EQ(Eval("true || false && false"), true);
  EXPECT_EQ(Eval("!true || !false"), true);
  EXPECT_EQ(Eval("-3 + 5"), 2);
  EXPECT_EQ(Eval("7 % 4"), 3);
  EXPECT_DOUBLE_EQ(Eval("1 / 4").get<double>(), 0.25);
  EXPECT_EQ(Eval("1 == 1 ? \"y\" : \"n\""), "y");
  EXPECT_EQ(Eval("false ? 1 : true ? 2 : 3"), 2);
  EXPECT_EQ(Eval("\"1\" == 1"), false);
}

TEST(HclExpressions, TemplatesDirectivesAndStripMarkers) {
  std::map<std::string, Json> s{{"name", "web"}, {"n", 3}, {"list", Json::array({"a", "b"})}, {"on", true}};
  EXPECT_EQ(Eval(R"("app-${name}-${n}")", s), "app-web-3");
  EXPECT_EQ(Eval(R"("${n}")", s), 3);  // a lone interpolation keeps its type
  EXPECT_EQ(Eval(R"("%{if on}yes%{else}no%{endif}")", s), "yes");
  EXPECT_EQ(Eval(R"("%{for i, x in list}${i}=${x};%{endfor}")", s), "0=a;1=b;");
  EXPECT_EQ(Eval(R"("a  ${~ name ~}   b")", s), "awebb");
  EXPECT_EQ(Eval(R"("$${literal} %%{x}")", s), "${literal} %{x}");
  EXPECT_EQ(Eval(R"("tab\there \u00e9 \U0001F600")"), "tab\there \xc3\xa9 \xf0\x9f\x98\x80");
  auto f = hcl::Parse("h.tf", "a = <<-EOT\n    x\n      ${v}\n    EOT\nb = <<EOT\n  keep\nEOT\n");
  ASSERT_TRUE(f) << f.error().message();
  hcl::Scope scope;
  scope.symbols["v"] = "y";
  Json body = hcl::BodyToJson(f->body, scope, f->text);
  EXPECT_EQ(body["a"], "x\n  y\n");
  EXPECT_EQ(body["b"], "  keep\n");
}

TEST(HclExpressions, CollectionsForSplatAndIndexes) {
  std::map<std::string, Json> s{{"xs", Json::array({1, 2, 3, 4})},
                                {"m", Json{{"a", 1}, {"b", 2}}},
                                {"objs", Json::array({Json{{"id", "i-1"}, {"tags", Json{{"env", "p"}}}}, Json{{"id", "i-2"}, {"tags", Json{{"env", "d"}}}}})}};
  EXPECT_EQ(Eval("[for x in xs : x * 2 if x > 2]", s), Json::array({6, 8}));
  EXPECT_EQ(Eval("{for k, v in m : upper(k) => v}", s), (Json{{"A", 1}, {"B", 2}}));
  EXPECT_EQ(Eval("{for x in xs : (x % 2 == 0 ? \"even\" : \"odd\") => x...}", s), (Json{{"even", Json::array({2, 4})}, {"odd", Json::array({1, 3})}}));
  EXPECT_EQ(Eval("objs[*].id", s), Json::array({"i-1", "i-2"}));
  EXPECT_EQ(Eval("objs.*.tags.env", s), Json::array({"p", "d"}));
  EXPECT_EQ(Eval("objs[*].tags[\"env\"]", s), Json::array({"p", "d"}));
  EXPECT_EQ(Eval("objs.1.id", s), "i-2");  // legacy index
  EXPECT_EQ(Eval("xs[0] + m[\"b\"]", s), 3);
  EXPECT_EQ(Eval("{ a = 1, \"b\" = [1, 2,], (\"c\") : { d = null } }"), (Json{{"a", 1}, {"b", Json::array({1, 2})}, {"c", Json{{"d", nullptr}}}}));
}

TEST(HclExpressions, FunctionsAndExpansion) {
  std::map<std::string, Json> s{{"parts", Json::array({"a", "b"})}};
  EXPECT_EQ(Eval("join(\"-\", concat(parts, [\"c\"]))", s), "a-b-c");
  EXPECT_EQ(Eval("format(\"%s:%d %q\", \"x\", 8, \"y\")"), "x:8 \"y\"");
  EXPECT_EQ(Eval("merge({a = 1}, {b = 2}, {a = 3})"), (Json{{"a", 3}, {"b", 2}}));
  EXPECT_EQ(Eval("lookup({a = 1}, \"z\", 7)"), 7);
  EXPECT_EQ(Eval("length(\"\xc3\xa9t\xc3\xa9\")"), 3);
  EXPECT_EQ(Eval("coalesce(\"\", null, \"x\")"), "x");
  EXPECT_EQ(Eval("jsonencode({a = [true]})"), "{\"a\":[true]}");
  EXPECT_EQ(Eval("max(parts...)", {{"parts", Json::array({3, 9, 1})}}), 9);
  EXPECT_EQ(Eval("tonumber(\"12\") + 1"), 13);
  // unknown functions and unknown arguments are never guessed
  EXPECT_TRUE(hcl::IsUnknown(Eval("timestamp()")));
  EXPECT_EQ(Eval("lower(aws_s3_bucket.b.id)"), (Json{{"unknown", true}, {"expr", "lower(aws_s3_bucket.b.id)"}}));
  EXPECT_EQ(Eval("[1, var.x]"), Json::array({1, Json{{"unknown", true}, {"expr", "var.x"}}}));
  EXPECT_TRUE(hcl::IsUnknown(Eval("coalesce(var.x, \"d\")")));
  EXPECT_TRUE(hcl::IsUnknown(Eval("var.x == null ? 1 : 2")));
}

TEST(HclSyntax, ErrorsNameLineColumnAndHint) {
  EXPECT_EQ(ParseError("a = \"x\", b = \"y\"\n").rfind("t.tf:1:8: ", 0), 0u) << ParseError("a = \"x\", b = \"y\"\n");
  EXPECT_EQ(ParseError("x {\n").rfind("t.tf:1:3: ", 0), 0u);
  EXPECT_NE(ParseError("resource \"a\" \"b\"\n{\n}\n").find("hint:"), std::string::npos);
  EXPECT_EQ(ParseError("a = [1, 2\n").rfind("t.tf:1:5: ", 0), 0u);
  EXPECT_EQ(ParseError("a = \"%{if x}y\"\n").rfind("t.tf:1:", 0), 0u);
  EXPECT_EQ(ParseError("a = \"\\q\"\n").rfind("t.tf:1:6: invalid escape", 0), 0u);
  EXPECT_EQ(ParseError("a { b = 1, c = 2 }\n").rfind("t.tf:1:10: ", 0), 0u);
  EXPECT_EQ(ParseError("a { d {} }\n").rfind("t.tf:1:5: ", 0), 0u);
  EXPECT_EQ(ParseError("a = <<EOT\nnever closed\n").rfind("t.tf:1:5: ", 0), 0u);
  // nesting is bounded, not a stack overflow
  EXPECT_NE(ParseError("a = " + std::string(100000, '(') + "1\n").find("nested too deeply"), std::string::npos);
  // long operator and traversal chains and nested directives build deep trees: bounded too
  std::string chain = "a = 1", attrs = "a = x", ifs = "a = \"";
  for (int i = 0; i < 100000; ++i) chain += "+1", attrs += ".b", ifs += "%{if true}";
  EXPECT_NE(ParseError(chain + "\n").find("nested too deeply"), std::string::npos);
  EXPECT_NE(ParseError(attrs + "\n").find("nested too deeply"), std::string::npos);
  EXPECT_NE(ParseError(ifs + "\"\n").find("nested too deeply"), std::string::npos);
  std::string ok_chain = "a = 1";
  for (int i = 0; i < 300; ++i) ok_chain += " + 1";
  EXPECT_EQ(ParseError(ok_chain + "\n"), "(parsed)");
  std::string blocks;
  for (int i = 0; i < 1000; ++i) blocks += "b {\n";
  EXPECT_NE(ParseError(blocks).find("nested too deeply"), std::string::npos);
  // Identifiers are Unicode ID_Start/ID_Continue (and '_', '-'), as
  // hclsyntax reads them: letters of any script are names; a currency sign,
  // a no-break space or a byte that is not UTF-8 is not.
  EXPECT_EQ(ParseError("na\xc3\xafve_\xce\xbb-2 = 1\n\xe5\x90\x8d = 2\n"), "(parsed)");
  EXPECT_EQ(ParseError("price\xe2\x82\xac = 1\n").rfind("t.tf:1:6: ", 0), 0u) << ParseError("price\xe2\x82\xac = 1\n");
  EXPECT_EQ(ParseError("\xe2\x82\xac = 1\n").rfind("t.tf:1:1: ", 0), 0u);
  EXPECT_EQ(ParseError("a\xc2\xa0" "b = 1\n").rfind("t.tf:1:2: ", 0), 0u);
  EXPECT_EQ(ParseError("a\xff = 1\n").rfind("t.tf:1:2: ", 0), 0u);
  EXPECT_EQ(ParseError("x = y\xe2\x82\xac\n").rfind("t.tf:1:", 0), 0u);
  auto f = hcl::Parse("ok.tf", "a { b = 1 }\nc \"l1\" l2 {}\n");
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->body.blocks.size(), 2u);
  EXPECT_EQ(f->body.blocks[1].labels, (std::vector<std::string>{"l1", "l2"}));
  EXPECT_EQ(f->body.blocks[1].pos.line, 2u);
  EXPECT_EQ(f->body.blocks[0].body.attributes[0].pos.column, 5u);
}

TEST(HclTerraform, VariablesTfvarsAndLocals) {
  std::vector<tollgate::iac::SourceText> tf{
      {"m/main.tf",
       "variable \"env\" {\n  default = \"dev\"\n}\nvariable \"encrypted\" {\n  default = false\n}\nvariable \"nodefault\" {}\n"
       "locals {\n  name = \"bank-${var.env}\"\n  a = local.b\n  b = local.a\n}\n"
       "resource \"aws_db_instance\" \"db\" {\n  identifier = local.name\n  storage_encrypted = var.encrypted\n"
       "  tags = { Owner = var.nodefault, Cycle = local.a }\n  arn = aws_kms_key.k.arn\n}\n"},
      {"m/other.tf", "locals {\n  upper = upper(local.name)\n}\noutput \"o\" {\n  value = local.upper\n}\n"}};
  std::vector<tollgate::iac::SourceText> vars{{"m/terraform.tfvars", "env = \"prod\"\n"},
                                              {"m/x.auto.tfvars", "encrypted = true\n"}};
  auto docs = tollgate::iac::LoadTerraformModule(tf, vars);
  ASSERT_TRUE(docs) << docs.error().message();
  ASSERT_EQ(docs->size(), 2u);
  const Json& v = (*docs)[0]["resources"][0]["values"];
  EXPECT_EQ(v["identifier"], "bank-prod");
  EXPECT_EQ(v["storage_encrypted"], true);
  EXPECT_EQ(v["tags"]["Owner"], (Json{{"unknown", true}, {"expr", "var.nodefault"}}));
  EXPECT_TRUE(hcl::IsUnknown(v["tags"]["Cycle"]));
  EXPECT_TRUE(hcl::IsUnknown(v["arn"]));
  EXPECT_EQ((*docs)[1]["blocks"][1]["body"]["value"], "BANK-PROD");
  auto bad = tollgate::iac::LoadTerraformModule(tf, {{"m/bad.tfvars", "x {\n}\n"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("m/bad.tfvars:1:1:", 0), 0u) << bad.error().message();
}

// ------------------------------------------------------------------ spec suite
// The .t files and .hcldec specs are HCL themselves and are read with the
// parser under test. A small hcldec (literal, object/attr, block, block_map,
// block_list) decodes the input; the result is compared with `result`, and
// expected diagnostics with the position of our first error.
namespace {

struct Decoded {
  bool ok = true;
  Json value;
  hcl::Pos error;
};

const hcl::Attribute* Attr(const hcl::Body& b, const std::string& name) {
  for (const auto& a : b.attributes)
    if (a.name == name) return &a;
  return nullptr;
}

Json EvalAttr(const hcl::File& f, const hcl::Body& b, const std::string& name, const hcl::Scope& scope) {
  const hcl::Attribute* a = Attr(b, name);
  return a ? hcl::Evaluate(*a->expr, scope, f.text) : Json();
}

Decoded Decode(const hcl::File& spec, const hcl::Block& s, const hcl::File& in, const hcl::Body& body, const hcl::Scope& scope);

// A block spec (block, block_map, block_list) applied to the matching blocks of `body`.
Decoded DecodeBlocks(const hcl::File& spec, const hcl::Block& s, const std::string& type, const hcl::File& in, const hcl::Body& body,
                     const hcl::Scope& scope) {
  const hcl::Block* inner = s.body.blocks.empty() ? nullptr : &s.body.blocks.front();
  Decoded out;
  out.value = s.type == "block" ? Json() : s.type == "block_list" ? Json::array() : Json::object();
  for (const auto& b : body.blocks) {
    if (b.type != type) continue;
    Decoded d;
    if (inner) d = Decode(spec, *inner, in, b.body, scope);
    else d.value = Json::object();
    if (!d.ok) return d;
    if (s.type == "block") out.value = d.value;
    else if (s.type == "block_list") out.value.push_back(d.value);
    else {
      Json* at = &out.value;
      for (const auto& l : b.labels) at = &(*at)[l];
      *at = d.value;
    }
  }
  return out;
}

Decoded Decode(const hcl::File& spec, const hcl::Block& s, const hcl::File& in, const hcl::Body& body, const hcl::Scope& scope) {
  Decoded out;
  hcl::Scope none;
  if (s.type == "literal") {
    out.value = EvalAttr(spec, s.body, "value", none);
    return out;
  }
  if (s.type == "block" || s.type == "block_list" || s.type == "block_map") {
    std::string type = s.labels.empty() ? EvalAttr(spec, s.body, "block_type", none).get<std::string>() : s.labels[0];
    return DecodeBlocks(spec, s, type, in, body, scope);
  }
  // object: the attributes and blocks it names; anything else is unexpected
  out.value = Json::object();
  std::set<std::string> attrs, blocks;
  for (const auto& c : s.body.blocks) {
    if (c.type == "attr") {
      attrs.insert(c.labels.at(0));
      out.value[c.labels[0]] = EvalAttr(in, body, c.labels[0], scope);
    } else {
      blocks.insert(c.labels.at(0));
      Decoded d = DecodeBlocks(spec, c, c.labels[0], in, body, scope);
      if (!d.ok) return d;
      out.value[c.labels[0]] = d.value;
    }
  }
  for (const auto& a : body.attributes)
    if (!attrs.count(a.name)) return Decoded{false, Json(), a.pos};
  for (const auto& b : body.blocks)
    if (!blocks.count(b.type)) return Decoded{false, Json(), b.pos};
  return out;
}

// Numbers compare with a relative tolerance (the suite has 60-digit decimals).
bool SameValue(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return std::fabs(x - y) <= 1e-12 * std::max(1.0, std::fabs(y));
  }
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !SameValue(it.value(), b[it.key()])) return false;
    return true;
  }
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!SameValue(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

// Runs one suite case; "" when it passes, else why not.
std::string RunCase(const fs::path& hcl_path) {
  fs::path t_path = hcl_path;
  t_path.replace_extension(".t");
  fs::path spec_path = hcl_path;
  spec_path.replace_extension(".hcldec");
  auto t = hcl::Parse(t_path.string(), iac_test::Slurp(t_path));
  if (!t) return "cannot read the .t file: " + t.error().message();
  auto spec = hcl::Parse(spec_path.string(), iac_test::Slurp(spec_path));
  if (!spec) return "cannot read the .hcldec file: " + spec.error().message();
  hcl::Scope none;
  hcl::Scope scope;
  const hcl::Block* spec_root = nullptr;
  for (const auto& b : spec->body.blocks) {
    if (b.type == "variables") {
      for (const auto& a : b.body.attributes) scope.symbols[a.name] = hcl::Evaluate(*a.expr, none, spec->text);
    } else {
      spec_root = &b;
    }
  }
  const hcl::Block* diags = nullptr;
  for (const auto& b : t->body.blocks)
    if (b.type == "diagnostics") diags = &b;
  auto in = hcl::Parse(hcl_path.string(), iac_test::Slurp(hcl_path));
  if (diags) {
    if (diags->body.blocks.empty()) return "no error listed";
    const hcl::Block& from = diags->body.blocks[0].body.blocks.at(0);
    std::string want = ":" + EvalAttr(*t, from.body, "line", none).dump() + ":" + EvalAttr(*t, from.body, "column", none).dump() + ":";
    if (!in) {
      std::string got = in.error().message().substr(hcl_path.string().size());
      return got.rfind(want, 0) == 0 ? "" : "error at " + got + ", expected at " + want;
    }
    if (!spec_root) return "parsed, but an error was expected";
    Decoded d = Decode(*spec, *spec_root, *in, in->body, scope);
    if (d.ok) return "decoded, but an error was expected";
    std::string got = ":" + std::to_string(d.error.line) + ":" + std::to_string(d.error.column) + ":";
    return got == want ? "" : "schema error at " + got + ", expected at " + want;
  }
  if (!in) return "parse failed: " + in.error().message();
  if (!spec_root) return "";
  Decoded d = Decode(*spec, *spec_root, *in, in->body, scope);
  if (!d.ok) return "decode failed at line " + std::to_string(d.error.line);
  if (const hcl::Attribute* r = Attr(t->body, "result")) {
    Json want = hcl::Evaluate(*r->expr, none, t->text);
    if (!SameValue(d.value, want)) return "result " + d.value.dump() + " != expected " + want.dump();
  }
  return "";
}

}  // namespace

TEST(HclSpecSuite, InputsParseOrFailAsExpected) {
  fs::path dir = fs::path(TOLLGATE_SHARED_DIR) / "corpora/iac/hcl/specsuite/tests";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "HCL spec suite not found at " << dir << " (../shared absent)";
  std::vector<fs::path> cases;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".hcl") cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 15u);
  std::size_t passed = 0;
  std::vector<std::string> failures;
  for (const auto& c : cases) {
    std::string why = RunCase(c);
    if (why.empty()) ++passed;
    else failures.push_back(fs::relative(c, dir).string() + ": " + why);
  }
  std::cout << "HCL spec suite: " << passed << "/" << cases.size() << " pass\n";
  for (const auto& f : failures) std::cout << "  FAIL " << f << "\n";
  EXPECT_EQ(passed, cases.size());
}

TEST(HclTerraform, DynamicBlocksExpandWhenForEachIsKnown) {
  auto docs = tollgate::iac::LoadTerraformModule(
      {{"m/sg.tf",
        "locals {\n  ports = [22, 443]\n}\n"
        "resource \"aws_security_group\" \"sg\" {\n"
        "  dynamic \"ingress\" {\n    for_each = local.ports\n    content {\n      from_port = ingress.value\n"
        "      cidr_blocks = [\"0.0.0.0/0\"]\n    }\n  }\n"
        "  dynamic \"egress\" {\n    for_each = { a = 1 }\n    iterator = rule\n    content {\n      name = rule.key\n    }\n  }\n"
        "  dynamic \"other\" {\n    for_each = var.unknown\n    content {\n      x = other.value\n    }\n  }\n}\n"}},
      {});
  ASSERT_TRUE(docs) << docs.error().message();
  const Json& d = (*docs)[0]["resources"][0]["values"]["dynamic"];
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0]["label"], "ingress");
  ASSERT_EQ(d[0]["expanded"].size(), 2u);
  EXPECT_EQ(d[0]["expanded"][0]["from_port"], 22);
  EXPECT_EQ(d[0]["expanded"][1]["cidr_blocks"], Json::array({"0.0.0.0/0"}));
  EXPECT_EQ(d[0]["content"][0]["from_port"]["unknown"], true);  // the unexpanded content stays as written
  EXPECT_EQ(d[1]["expanded"][0]["name"], "a");
  EXPECT_FALSE(d[2].contains("expanded"));  // for_each unknown: nothing guessed
  // the generated blocks join the resource's blocks, as Terraform builds them
  const Json& v = (*docs)[0]["resources"][0]["values"];
  ASSERT_EQ(v["ingress"].size(), 2u);
  EXPECT_EQ(v["ingress"][1]["from_port"], 443);
  ASSERT_EQ(v["egress"].size(), 1u);
  EXPECT_EQ(v["egress"][0]["name"], "a");
  ASSERT_EQ(v["other"].size(), 1u);  // unknown for_each: an unknown marker, never "absent"
  EXPECT_EQ(v["other"][0]["unknown"], true);
}

namespace {

// HCL as conftest's hcl2 parser hands it to policies (tmccombs/hcl2json's
// form): the expected document is written by hand from that form's rules
// (labels nest objects, block bodies are arrays, non-literal expressions are
// "${source}", templates keep their directives), not from Tollgate's output.
// Each NAME.tf beside NAME.json: the document conftest's hcl2 parser gives.
TEST(HclConftest, TerraformAsConftestsHcl2Parser) {
  const std::string dir = std::string(TOLLGATE_SOURCE_DIR) + "/tests/iac/testdata/conftest_hcl2/";
  for (const char* name : {"payments", "escapes"}) {
    std::ifstream tf(dir + name + ".tf"), want(dir + name + ".json");
    std::stringstream text;
    text << tf.rdbuf();
    auto got = tollgate::iac::HclToConftestJson(std::string(name) + ".tf", text.str());
    ASSERT_TRUE(got) << name << ": " << got.error().message();
    const Json expected = Json::parse(want);
    EXPECT_EQ(*got, expected) << name << ": " << got->dump(2);
  }
}

TEST(HclConftest, BadHclIsAnErrorWithItsPosition) {
  auto bad = tollgate::iac::HclToConftestJson("bad.tf", "resource \"a\" \"b\" {\n  x = \n}\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("bad.tf:", 0), 0u) << bad.error().message();
  // A block whose labels collide with an attribute cannot be given as JSON.
  auto clash = tollgate::iac::HclToConftestJson("clash.tf", "resource = 1\nresource \"a\" \"b\" {}\n");
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message().find("clash.tf:2"), std::string::npos) << clash.error().message();
  // Blocks of one type with and without labels, as hcl2json refuses them.
  auto mixed = tollgate::iac::HclToConftestJson("mixed.tf", "foo \"baz\" {\n}\nfoo {\n}\n");
  ASSERT_FALSE(mixed);
  EXPECT_NE(mixed.error().message().find("mixed.tf:3: blocks 'foo' with and without labels"), std::string::npos)
      << mixed.error().message();
}

}  // namespace
