// Built-ins: strings and sprintf.
#include "rego/internal.h"

namespace tollgate::rego {

void AddStringBuiltins(BuiltinRegistry&) {}

}  // namespace tollgate::rego
