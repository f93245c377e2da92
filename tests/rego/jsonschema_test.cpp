// json.verify_schema / json.match_schema: the draft 4-7 keywords beyond what
// the conformance cases touch.
#include <gtest/gtest.h>

#include <string>

#include "rego/value.h"
#include "test_util.h"

namespace tollgate::rego {
namespace {

// The errors json.match_schema reports for doc against schema (JSON texts),
// as "field: type" lines.
std::string Match(const std::string& doc, const std::string& schema) {
  Value in = Value::MakeObject({{Value::String("doc"), Value::String(doc)}, {Value::String("schema"), Value::String(schema)}});
  auto r = testing::EvalStrict("package p\nr := json.match_schema(input.doc, input.schema)\n", "data.p.r", in);
  if (!r) return "error: " + r.error().message();
  std::string out;
  for (const auto& e : r->items()[1].items()) out += e.Get("field")->as_string() + ": " + e.Get("type")->as_string() + "\n";
  return out;
}

TEST(RegoJsonSchema, ValidatesTheCommonKeywords) {
  const std::string schema = R"({
    "type": "object",
    "required": ["name", "replicas"],
    "additionalProperties": false,
    "properties": {
      "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
      "replicas": {"type": "integer", "minimum": 1, "maximum": 5},
      "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true},
      "port": {"$ref": "#/definitions/port"}
    },
    "definitions": {"port": {"type": "integer", "exclusiveMaximum": 65536}}
  })";
  EXPECT_EQ(Match(R"({"name": "web", "replicas": 2, "tags": ["a"], "port": 80})", schema), "");
  EXPECT_EQ(Match(R"({"name": "Web", "replicas": 9})", schema), "name: pattern\nreplicas: number_lte\n");
  EXPECT_EQ(Match(R"({"replicas": 1.5, "extra": 1})", schema), "(root): required\n(root): additional_property_not_allowed\nreplicas: invalid_type\n");
  EXPECT_EQ(Match(R"({"name": "a", "replicas": 1, "tags": ["a", "a", "c"], "port": 70000})", schema),
            "port: number_lt\ntags: unique\ntags.2: enum\n");
  EXPECT_EQ(Match(R"(5)", R"({"anyOf": [{"type": "string"}, {"minimum": 10}]})"), "(root): number_any_of\n");
  EXPECT_EQ(Match(R"(5)", R"({"if": {"minimum": 3}, "then": {"multipleOf": 2}})"), "(root): condition_then\n");
}

TEST(RegoJsonSchema, BadSchemasAreReported) {
  EXPECT_NE(Match("1", R"({"type": "integr"})").find("has a primitive type that is NOT VALID"), std::string::npos);
  EXPECT_NE(Match("1", R"({"$ref": "#/definitions/missing"})").find("does not resolve"), std::string::npos);
  EXPECT_NE(Match("1", R"({"pattern": "("})").find("invalid regular expression"), std::string::npos);
  EXPECT_NE(Match("1", "{not json").find("error:"), std::string::npos);
  // Self-references end in an error, not a hang or a stack overflow.
  EXPECT_NE(Match("1", R"({"$ref": "#"})").find("too deep"), std::string::npos);
  EXPECT_NE(Match("1", R"({"anyOf": [{"$ref": "#"}, {"$ref": "#"}]})").find("error:"), std::string::npos);
}

}  // namespace
}  // namespace tollgate::rego
