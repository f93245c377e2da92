// Files the build embeds in the binary: built-in policies, rules, catalogs,
// the portal's script. cmake/embed_policies.cmake and embed_rules.cmake
// generate a table of these and its count (a table without files holds one
// {nullptr, nullptr} entry and a count of 0); the module that reads a table
// declares both `extern` in the generator's namespace.
#pragma once

#include <cstddef>

namespace tollgate {

struct EmbeddedFile {
  const char* name;  // e.g. "policies/cost.rego"
  const char* text;
};

}  // namespace tollgate
