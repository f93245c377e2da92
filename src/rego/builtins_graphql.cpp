// Built-ins: graphql.parse, parse_and_verify, parse_query, parse_schema,
// is_valid and schema_is_valid (see graphql.h).
#include <string>

#include "rego/graphql.h"
#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

[[noreturn]] void ThrowGraphqlError(const std::string& fn, const graphql::Error& e) {
  std::string msg = fn + ": " + e.message;
  if (e.line > 0) msg += " in GraphQL string at location " + std::to_string(e.line) + ":" + std::to_string(e.column);
  ThrowBuiltinError(msg);
}

// A query or schema given as GraphQL text or as an AST object; undefined with
// *err filled when the text does not parse.
Value Load(const std::string& fn, const Args& a, int i, bool schema, graphql::Error* err) {
  const Value& v = a[static_cast<std::size_t>(i)];
  if (v.is_object()) return v;
  if (!v.is_string()) ThrowOperandError(fn, i + 1, "one of {object, string}", v);
  return schema ? graphql::ParseSchema(v.as_string(), err) : graphql::ParseQuery(v.as_string(), err);
}

Value LoadOrThrow(const std::string& fn, const Args& a, int i, bool schema) {
  graphql::Error err;
  Value ast = Load(fn, a, i, schema, &err);
  if (!ast.defined()) ThrowGraphqlError(fn, err);
  return ast;
}

Value ParseQueryB(const Args& a, BuiltinContext&) {
  return graphql::StripPositions(LoadOrThrow("graphql.parse_query", a, 0, false));
}

Value ParseSchemaB(const Args& a, BuiltinContext&) {
  return graphql::StripPositions(LoadOrThrow("graphql.parse_schema", a, 0, true));
}

Value Parse(const Args& a, BuiltinContext&) {
  Value query = LoadOrThrow("graphql.parse", a, 0, false);
  Value schema = LoadOrThrow("graphql.parse", a, 1, true);
  graphql::Error err;
  if (!graphql::ValidateQuery(query, schema, &err)) ThrowGraphqlError("graphql.parse", err);
  return Value::MakeArray({graphql::StripPositions(query), graphql::StripPositions(schema)});
}

// Parses and validates; undefined when anything fails.
Value ParsedAndValid(const std::string& fn, const Args& a, Value* schema_out) {
  graphql::Error err;
  Value query = Load(fn, a, 0, false, &err);
  Value schema = Load(fn, a, 1, true, &err);
  if (!query.defined() || !schema.defined() || !graphql::ValidateQuery(query, schema, &err)) return Value();
  *schema_out = schema;
  return query;
}

Value ParseAndVerify(const Args& a, BuiltinContext&) {
  Value schema;
  Value query = ParsedAndValid("graphql.parse_and_verify", a, &schema);
  if (!query.defined()) return Value::MakeArray({Value::Bool(false), Value::EmptyObject(), Value::EmptyObject()});
  return Value::MakeArray({Value::Bool(true), graphql::StripPositions(query), graphql::StripPositions(schema)});
}

Value IsValid(const Args& a, BuiltinContext&) {
  Value schema;
  return Value::Bool(ParsedAndValid("graphql.is_valid", a, &schema).defined());
}

Value SchemaIsValid(const Args& a, BuiltinContext&) {
  graphql::Error err;
  Value schema = Load("graphql.schema_is_valid", a, 0, true, &err);
  return Value::Bool(schema.defined() && graphql::ValidateSchema(schema, &err));
}

}  // namespace

void AddGraphqlBuiltins(BuiltinRegistry& r) {
  r.Add("graphql.parse", 2, Parse);
  r.Add("graphql.parse_and_verify", 2, ParseAndVerify);
  r.Add("graphql.parse_query", 1, ParseQueryB);
  r.Add("graphql.parse_schema", 1, ParseSchemaB);
  r.Add("graphql.is_valid", 2, IsValid);
  r.Add("graphql.schema_is_valid", 1, SchemaIsValid);
}

}  // namespace tollgate::rego
