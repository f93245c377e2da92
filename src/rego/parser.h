// Rego parser (v1 and v0): source text to a Module (or a query Body). Errors read
// "file:line:col: rego_parse_error: expected X, found Y".
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "rego/ast.h"

namespace tollgate::rego {

struct ParseOptions {
  RegoVersion version = RegoVersion::kV1;
};

// v1 (the default) refuses v0-only syntax with OPA's errors ("`if` keyword is
// required before rule body", "`contains` keyword is required for partial set
// rules"); v0 reads it as OPA 0.x did (`p[x] { }` is a partial set rule, `if`,
// `contains`, `in` and `every` are keywords only once imported from
// future.keywords or rego.v1). Several errors are joined with "; ".
Result<Module> ParseModule(std::string_view src, const std::string& file, const ParseOptions& opts = {});
// A v0 module rewritten to v1 by editing its source (comments and layout
// stay): `if` before bodies, `p[x] { }` -> `p contains x if { }`, several
// bodies -> one rule each, `a.b.c` alone -> `a.b.c := true`, deprecated
// built-ins -> their v1 spelling (re_match -> regex.match, net.cidr_overlap ->
// net.cidr_contains, set_diff -> `-`, any/all/cast_* -> `in`, comprehensions).
// Fails when the v0 module does not parse or the result does not parse as v1.
Result<std::string> RewriteV0ToV1(std::string_view src, const std::string& file);

Result<Body> ParseQuery(std::string_view src, const std::string& file = "query");

}  // namespace tollgate::rego
