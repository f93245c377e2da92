// Fuzzes the Dockerfile loader (continuations, parser directives, JSON-form
// arguments, heredocs) and the inline-suppression scanner: any input yields a
// document or an Error, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scan/iac/iac.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)tollgate::iac::LoadDockerfile("Dockerfile", text);
  (void)tollgate::iac::FindSuppressions(text);
  return 0;
}
