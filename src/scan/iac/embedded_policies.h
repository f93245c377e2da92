// The built-in policies compiled into the binary (cmake/embed_policies.cmake),
// shared by the scanner and the check catalog.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rego/rego.h"
#include "core/embedded.h"

namespace tollgate::iac {

extern const EmbeddedFile kBuiltinPolicyFiles[];
extern const std::size_t kBuiltinPolicyFileCount;

// `*_test.rego` files hold `policy test` cases, never checks.
inline bool IsRegoTestFile(const std::string& f) {
  return f.size() >= 10 && f.compare(f.size() - 10, 10, "_test.rego") == 0;
}

// The embedded policy files that are checks (test files left out).
inline std::vector<rego::SourceFile> EmbeddedPolicySources() {
  std::vector<rego::SourceFile> out;
  for (std::size_t i = 0; i < kBuiltinPolicyFileCount; ++i)
    if (!IsRegoTestFile(kBuiltinPolicyFiles[i].name)) out.push_back({kBuiltinPolicyFiles[i].name, kBuiltinPolicyFiles[i].text});
  return out;
}

}  // namespace tollgate::iac
