// Fuzzes the version comparators and OSV records: every ordering must be
// total and antisymmetric on any bytes, and record parsing never crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "scan/deps/osv.h"
#include "scan/deps/version.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tollgate::deps::Ecosystem;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto bar = text.find('|');
  std::string_view a = text.substr(0, bar);
  std::string_view b = bar == std::string_view::npos ? std::string_view() : text.substr(bar + 1);
  for (int e = static_cast<int>(Ecosystem::kNpm); e <= static_cast<int>(Ecosystem::kHackage); ++e) {
    auto eco = static_cast<Ecosystem>(e);
    int ab = tollgate::deps::CompareVersions(eco, a, b);
    int ba = tollgate::deps::CompareVersions(eco, b, a);
    if ((ab < 0) != (ba > 0) || (ab == 0) != (ba == 0)) std::abort();  // antisymmetry
    if (tollgate::deps::CompareVersions(eco, a, a) != 0) std::abort();  // reflexive
    (void)tollgate::deps::MajorOf(eco, a);
  }
  auto j = tollgate::deps::ParseOsvText(text, size % 2 ? "fuzz.yaml" : "fuzz.json");
  if (j) {
    auto adv = tollgate::deps::AdvisoryFromJson(*j, "fuzz");
    if (adv)
      for (const auto& af : adv->affected) (void)tollgate::deps::IsAffected(af, Ecosystem::kPyPI, "1.0");
  }
  return 0;
}
