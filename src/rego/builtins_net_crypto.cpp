// Built-ins: net.cidr, crypto hashes, x509 and JWT.
#include "rego/internal.h"

namespace tollgate::rego {

void AddNetCryptoBuiltins(BuiltinRegistry&) {}

}  // namespace tollgate::rego
