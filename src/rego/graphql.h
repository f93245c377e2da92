// GraphQL (October 2021 spec) for the graphql.* built-ins: a lexer and parser
// for executable documents (queries) and type-system documents (SDL) that
// produce OPA's AST shape as Rego values, schema validation and validation of
// a query against a schema.
//
// AST shape (as OPA returns it): objects with capitalised keys ("Operations",
// "SelectionSet", "Definitions", ...); empty lists are left out; values carry
// "Kind" (0 variable, 1 int, 2 float, 3 string, 4 block string, 5 boolean,
// 6 null, 7 enum, 8 list, 9 object) and "Raw".
#pragma once

#include <string>

#include "rego/value.h"

namespace tollgate::rego::graphql {

// A parse or validation error: message and 1-based position (0 when the
// position is not known, e.g. for an AST given as an object).
struct Error {
  std::string message;
  int line = 0;
  int column = 0;
};

// On failure returns undefined and fills *err.
Value ParseQuery(const std::string& text, Error* err);
Value ParseSchema(const std::string& text, Error* err);

// Validates a schema document AST; false with *err on the first problem.
bool ValidateSchema(const Value& schema_ast, Error* err);
// Validates a query document AST against a (valid) schema document AST.
bool ValidateQuery(const Value& query_ast, const Value& schema_ast, Error* err);

// Removes the internal position annotations from an AST.
Value StripPositions(const Value& ast);

}  // namespace tollgate::rego::graphql
