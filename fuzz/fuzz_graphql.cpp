// Fuzzes the GraphQL lexer, parser and validators behind the graphql.*
// built-ins: the input is split at the first NUL into a query and a schema;
// any input yields an AST or an error, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rego/graphql.h"
#include "split_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [query, schema_text] = SplitAtNul(data, size);
  namespace gql = tollgate::rego::graphql;
  gql::Error err;
  tollgate::rego::Value q = gql::ParseQuery(query, &err);
  tollgate::rego::Value s = gql::ParseSchema(schema_text.empty() ? query : schema_text, &err);
  if (s.defined()) (void)gql::ValidateSchema(s, &err);
  if (q.defined() && s.defined()) {
    (void)gql::ValidateQuery(q, s, &err);
    (void)tollgate::rego::ToJsonText(gql::StripPositions(q));
  }
  return 0;
}
