// Unit tests of the GraphQL parser and validator behind the graphql.*
// built-ins: AST shape, error positions, schema and query validation, and
// hostile input.
#include <gtest/gtest.h>

#include <string>

#include "rego/graphql.h"
#include "rego/value.h"

namespace tollgate::rego::graphql {
namespace {

std::string Json(const Value& v) { return ToJsonText(StripPositions(v)); }

TEST(GraphqlParse, QueryAstHasOpasShape) {
  Error err;
  Value ast = ParseQuery("query Q($id: ID! = \"x\") { a: node(id: $id, n: [1, 2.5]) { ... on User { name } ...F } }", &err);
  ASSERT_TRUE(ast.defined()) << err.message;
  std::string j = Json(ast);
  EXPECT_NE(j.find(R"("Name":"Q","Operation":"query")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("Alias":"a")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("Kind":0,"Raw":"id")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("Kind":2,"Raw":"2.5")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("TypeCondition":"User")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"({"Name":"F"})"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("Type":{"NamedType":"ID","NonNull":true})"), std::string::npos) << j;
  EXPECT_EQ(j.find("_pos"), std::string::npos) << j;
}

TEST(GraphqlParse, BlockStringsAreDedented) {
  Error err;
  Value ast = ParseQuery("{ f(s: \"\"\"\n    line one\n      two\n  \"\"\") }", &err);
  ASSERT_TRUE(ast.defined()) << err.message;
  EXPECT_NE(Json(ast).find(R"("Kind":4,"Raw":"line one\n  two")"), std::string::npos) << Json(ast);
}

TEST(GraphqlParse, ErrorsGiveLineColumnAndExpectation) {
  Error err;
  EXPECT_FALSE(ParseQuery("{\n  field(arg: )\n}", &err).defined());
  EXPECT_EQ(err.message, "Unexpected )");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.column, 14);
  EXPECT_FALSE(ParseQuery("fragment F Type { a }", &err).defined());
  EXPECT_EQ(err.message, "Expected \"on\", found Name \"Type\"");
  EXPECT_FALSE(ParseSchema("type T {}", &err).defined());
  EXPECT_EQ(err.message, "expected at least one definition, found }");
  EXPECT_FALSE(ParseSchema("\"unterminated", &err).defined());
  EXPECT_EQ(err.message, "Unexpected <Invalid>");
}

TEST(GraphqlParse, DeepNestingIsAnErrorNotACrash) {
  Error err;
  std::string deep = "{ f(a: " + std::string(100000, '[') + " }";
  EXPECT_FALSE(ParseQuery(deep, &err).defined());
  EXPECT_EQ(err.message, "document nested too deeply");
  std::string sels;
  for (int i = 0; i < 50000; ++i) sels += "{a";
  EXPECT_FALSE(ParseQuery(sels, &err).defined());
  EXPECT_EQ(err.message, "document nested too deeply");
}

TEST(GraphqlSchema, ValidatesReferencesInterfacesAndPositions) {
  Error err;
  auto valid = [&](const char* sdl) {
    Value ast = ParseSchema(sdl, &err);
    return ast.defined() && ValidateSchema(ast, &err);
  };
  EXPECT_TRUE(valid("type Query { a: String }"));
  EXPECT_FALSE(valid("type Query { a: Missing }"));
  EXPECT_EQ(err.message, "Undefined type Missing.");
  EXPECT_FALSE(valid("interface I { id: ID }\ntype T implements I { name: String }"));
  EXPECT_FALSE(valid("type O { a: Int }\ninput In { o: O }"));
  EXPECT_FALSE(valid("scalar S @deprecated"));
  EXPECT_TRUE(valid("extend type Query { a: Int }"));  // extending an undeclared type declares it
  EXPECT_FALSE(valid("schema { query: Nope }"));
  EXPECT_FALSE(valid("union U = Missing"));
}

TEST(GraphqlQuery, ValidatesAgainstSchema) {
  Error err;
  Value schema = ParseSchema("type Query { user(id: ID!): User }\ntype User { name: String, friends: [User] }", &err);
  ASSERT_TRUE(schema.defined()) << err.message;
  auto valid = [&](const char* q) {
    Value ast = ParseQuery(q, &err);
    return ast.defined() && ValidateQuery(ast, schema, &err);
  };
  EXPECT_TRUE(valid("{ user(id: 1) { name friends { name } } }"));
  EXPECT_FALSE(valid("{ user { name } }"));
  EXPECT_EQ(err.message, "Field \"user\" argument \"id\" of type \"ID!\" is required, but it was not provided");
  EXPECT_EQ(err.line, 1);
  EXPECT_EQ(err.column, 3);
  EXPECT_FALSE(valid("{ user(id: 1) { age } }"));
  EXPECT_FALSE(valid("{ user(id: 1) }"));
  EXPECT_FALSE(valid("{ user(id: 1, x: 2) { name } }"));
  EXPECT_FALSE(valid("query($v: ID!) { user(id: 1) { name } }"));
  EXPECT_FALSE(valid("{ user(id: $v) { name } }"));
  EXPECT_FALSE(valid("{ user(id: 1) { ...Missing } }"));
  EXPECT_TRUE(valid("query($v: ID!) { ...F }\nfragment F on Query { user(id: $v) { name } }"));
  EXPECT_FALSE(valid("mutation { x }"));
}

}  // namespace
}  // namespace tollgate::rego::graphql
