// strings.render_template: the Go text/template subset.
#include <gtest/gtest.h>

#include <string>

#include "rego/value.h"
#include "test_util.h"

namespace tollgate::rego {
namespace {

std::string Render(const std::string& tmpl, const std::string& vars_json) {
  Value in = Value::MakeObject({{Value::String("t"), Value::String(tmpl)}, {Value::String("v"), FromJson(nlohmann::json::parse(vars_json))}});
  auto r = testing::EvalStrict("package p\nr := strings.render_template(input.t, input.v)\n", "data.p.r", in);
  if (!r) return "error: " + r.error().message();
  return r->as_string();
}

TEST(RegoTemplate, RendersFieldsPipelinesAndControlFlow) {
  EXPECT_EQ(Render("{{.a.b}}-{{.n}}", R"({"a": {"b": "x"}, "n": 1.5})"), "x-1.5");
  EXPECT_EQ(Render("{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}", R"({"m": {"b": 2, "a": 1}})"), "a=1;b=2;");
  EXPECT_EQ(Render("{{range .xs}}[{{.}}]{{else}}none{{end}}", R"({"xs": []})"), "none");
  EXPECT_EQ(Render("{{if eq .env \"prod\"}}P{{else if .debug}}D{{else}}O{{end}}", R"({"env": "dev", "debug": true})"), "D");
  EXPECT_EQ(Render("{{with .user}}{{.name}}{{end}}", R"({"user": {"name": "ann"}})"), "ann");
  EXPECT_EQ(Render("a  {{- /* c */ -}}  b {{len .xs | print}}", R"({"xs": [1, 2, 3]})"), "ab 3");
  EXPECT_EQ(Render("{{$x := index .xs 1}}{{$x}} {{not .f}} {{and 1 0}}", R"({"xs": ["p", "q"], "f": false})"), "q true 0");
  EXPECT_EQ(Render("{{.missing}}", R"({})"), "<undefined>");
}

TEST(RegoTemplate, BadTemplatesAreBuiltinErrors) {
  EXPECT_NE(Render("{{if .a}}x", R"({})").find("unexpected EOF"), std::string::npos);
  EXPECT_NE(Render("{{nosuch .a}}", R"({})").find("not defined"), std::string::npos);
  EXPECT_NE(Render("{{.a", R"({})").find("unclosed action"), std::string::npos);
  EXPECT_NE(Render("{{$y}}", R"({})").find("undefined variable"), std::string::npos);
  EXPECT_NE(Render("{{range 1000000}}{{range 1000000}}{{end}}{{end}}", R"({})").find("exceeded"), std::string::npos);
}

}  // namespace
}  // namespace tollgate::rego
