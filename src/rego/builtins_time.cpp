// Built-ins: time.
#include "rego/internal.h"

namespace tollgate::rego {

void AddTimeBuiltins(BuiltinRegistry&) {}

}  // namespace tollgate::rego
