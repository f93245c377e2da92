// Helpers shared by the IaC tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace iac_test {

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace iac_test
