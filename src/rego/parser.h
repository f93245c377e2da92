// Rego v1 parser: source text to a Module (or a query Body). Errors read
// "file:line:col: rego_parse_error: expected X, found Y".
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "rego/ast.h"

namespace tollgate::rego {

Result<Module> ParseModule(std::string_view src, const std::string& file);
Result<Body> ParseQuery(std::string_view src, const std::string& file = "query");

}  // namespace tollgate::rego
