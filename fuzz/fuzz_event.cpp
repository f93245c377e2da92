// Fuzzes the JSON event path of `ledger append`: strict parsing, event
// validation and RFC 8785 canonicalisation.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/canonical_json.h"
#include "ledger/ledger.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = tollgate::ParseJson(text, "stdin:1");
  if (!j) return 0;
  (void)tollgate::ledger::Ledger::ValidateEvent(*j, "stdin:1");
  auto c = tollgate::Canonicalize(*j);
  if (c) {
    // Canonical output must parse back and be a fixed point.
    auto again = tollgate::ParseJson(*c, "canonical");
    if (!again) __builtin_trap();
    auto c2 = tollgate::Canonicalize(*again);
    if (!c2 || *c2 != *c) __builtin_trap();
  }
  auto bundle = tollgate::ledger::VerifyBundle(*j, {});
  (void)bundle;
  return 0;
}
