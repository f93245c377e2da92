// Shared by the Rego built-in tests: compile one module and evaluate a query
// with strict built-in errors.
#pragma once

#include <string>

#include "rego/rego.h"
#include "rego/value.h"

namespace tollgate::rego::testing {

// The first expression's value of `query` (undefined when there is no row).
inline Result<Value> EvalStrict(const std::string& module, const std::string& query, Value input) {
  auto p = Policy::Compile({{"p.rego", module}});
  if (!p) return Fail(p.error());
  EvalOptions o;
  o.input = std::move(input);
  o.strict_builtin_errors = true;
  auto r = (*p)->Query(query, o);
  if (!r) return Fail(r.error());
  if (r->rows.empty()) return Value();
  return r->rows[0].expressions[0];
}

}  // namespace tollgate::rego::testing
