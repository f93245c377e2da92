// Fuzzes the tollgate.yaml and keyring parsers: any input yields a Config or
// an Error, never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gate/config.h"
#include "gate/waiver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto c = tollgate::gate::ParseConfig(text, "fuzz.yaml");
  if (c) {
    for (const auto& g : c->gates) (void)g.SourceLabel();
  } else {
    (void)c.error().message();
  }
  auto k = tollgate::gate::Keyring::Parse(text, "keys.yaml");
  (void)k;
  return 0;
}
