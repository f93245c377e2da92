// `tollgate policy fmt --v0-to-v1`: rewrites Rego v0 modules to v1 and
// proves the rewrite by evaluating both versions.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "rego/rego.h"

namespace tollgate::rego {

// Each v0 module rewritten to v1 (see RewriteV0ToV1 in parser.h): `if`,
// `contains`, one rule per body, the deprecated built-ins replaced. Comments
// and layout stay. Names and order are kept; the versions become v1.
Result<std::vector<SourceFile>> MigrateV0ToV1(const std::vector<SourceFile>& v0);

struct MigrationProof {
  std::size_t packages = 0;  // packages compared
  std::size_t inputs = 0;    // input documents evaluated on (the absent input counts as one)
  std::size_t tests = 0;     // test_ rule definitions run in both versions
  std::size_t values = 0;    // package documents compared
  // What differs, one line each ("data.p under input 2: v0 gave 1, v1 gave 2"); empty: proved.
  std::vector<std::string> differences;
  bool proved() const { return differences.empty(); }
};

// Compiles the v0 modules as v0 and their rewrite as v1, then compares the
// whole document of every package (every rule, tests included, which carry
// their own `with input as` inputs) without an input and under each of
// `inputs`, and the pass/fail outcome of every test_ rule. `data` is the base
// document for both.
Result<MigrationProof> ProveMigration(const std::vector<SourceFile>& v0, const std::vector<SourceFile>& v1,
                                      const std::vector<Value>& inputs, const Value& data);

}  // namespace tollgate::rego
