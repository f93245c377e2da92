// Built-ins: units, semver, uuid, rand.
#include "rego/internal.h"

namespace tollgate::rego {

void AddMiscBuiltins(BuiltinRegistry&) {}

}  // namespace tollgate::rego
