// Fuzzes the Rego parser, compiler and evaluator: the input is split at the
// first NUL into a module and a JSON input document; any input yields a
// result or an Error, never a crash, a hang (the step budget bounds the
// evaluation) or unbounded memory. The module is read as v0 when its first
// byte is odd, so both syntaxes are fuzzed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rego/documents.h"
#include "rego/rego.h"
#include "split_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [module, input_text] = SplitAtNul(data, size);
  tollgate::rego::CompileOptions co;
  co.version = size > 0 && (data[0] & 1) ? tollgate::rego::RegoVersion::kV0 : tollgate::rego::RegoVersion::kV1;
  auto policy = tollgate::rego::Policy::Compile({{"fuzz.rego", module}}, co);
  if (!policy) {
    (void)policy.error().message();
    return 0;
  }
  tollgate::rego::EvalOptions opts;
  opts.max_steps = 20000;
  opts.now_ns = 0;
  if (!input_text.empty()) {
    auto in = tollgate::rego::ParseJsonValue(input_text, "input.json");
    if (in) opts.input = *in;
  }
  for (const auto& pkg : (*policy)->Packages()) {
    for (const auto& name : (*policy)->RuleNames(pkg)) {
      auto r = (*policy)->Query("data." + pkg + "." + name, opts);
      if (r) {
        for (const auto& row : r->rows)
          for (const auto& v : row.expressions) (void)tollgate::rego::ToJsonText(v);
      }
    }
  }
  return 0;
}
