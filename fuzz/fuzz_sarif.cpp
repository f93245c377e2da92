// Fuzzes SARIF import: any bytes yield findings or one clear error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scan/import/sarif.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = tollgate::sarif::ImportSarif(text, "fuzz.sarif", "sast");
  (void)f;
  return 0;
}
