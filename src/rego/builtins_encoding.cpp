// Built-ins: encodings (base64, hex, urlquery, json, yaml).
#include "rego/internal.h"

namespace tollgate::rego {

void AddEncodingBuiltins(BuiltinRegistry&) {}

}  // namespace tollgate::rego
