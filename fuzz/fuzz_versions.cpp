// Fuzzes the version comparators, OSV records, the database record encoding
// and CVSS vectors: every ordering must be total and antisymmetric on any
// bytes, parsing never crashes, a record decodes to what was encoded, and a
// CVSS score is within 0-10.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scan/deps/cvss.h"
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
    if (adv) {
      for (const auto& af : adv->affected) (void)tollgate::deps::IsAffected(af, Ecosystem::kPyPI, "1.0");
      auto back = tollgate::deps::DecodeAdvisory(tollgate::deps::EncodeAdvisory(*adv), "fuzz");
      if (!back || tollgate::deps::AdvisoryToJson(*back) != tollgate::deps::AdvisoryToJson(*adv)) std::abort();
      (void)tollgate::deps::RateAdvisory(*adv);
    }
  }
  (void)tollgate::deps::DecodeAdvisory(text, "fuzz");  // damaged stored records
  for (std::string_view prefix : {"CVSS:4.0/", "CVSS:3.1/"}) {
    auto score = tollgate::deps::CvssBaseScore(std::string(prefix) + std::string(text));
    if (score && (*score < 0.0 || *score > 10.0)) std::abort();
  }
  return 0;
}
