// Fuzz input split at the first NUL into two texts (the second is empty
// when there is no NUL).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

inline std::pair<std::string, std::string> SplitAtNul(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto nul = text.find('\0');
  if (nul == std::string::npos) return {text, std::string()};
  return {text.substr(0, nul), text.substr(nul + 1)};
}
