// Fuzzes the Rego parser, compiler and evaluator: the input is split at the
// first NUL into a module and a JSON input document; any input yields a
// result or an Error, never a crash, a hang (the step budget bounds the
// evaluation) or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rego/documents.h"
#include "rego/rego.h"
#include "split_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [module, input_text] = SplitAtNul(data, size);
  auto policy = tollgate::rego::Policy::Compile({{"fuzz.rego", module}});
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
