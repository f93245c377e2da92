// Built-ins: regex and glob.
#include "rego/internal.h"

namespace tollgate::rego {

void AddRegexBuiltins(BuiltinRegistry&) {}

}  // namespace tollgate::rego
