#include <cstddef>

#include "scan/secrets/secrets.h"
#include "core/embedded.h"

namespace tollgate::secrets {

// Defined in the generated builtin_rules.cpp (cmake/embed_rules.cmake).
extern const EmbeddedFile kBuiltinRuleFiles[];
extern const std::size_t kBuiltinRuleFileCount;

Result<std::vector<Rule>> BuiltinRules() {
  std::vector<Rule> all;
  for (std::size_t i = 0; i < kBuiltinRuleFileCount; ++i) {
    auto rules = ParseRules(kBuiltinRuleFiles[i].text, kBuiltinRuleFiles[i].name);
    if (!rules) return Fail(Error::Internal("built-in " + rules.error().message()));
    all.insert(all.end(), std::make_move_iterator(rules->begin()), std::make_move_iterator(rules->end()));
  }
  return all;
}

}  // namespace tollgate::secrets
