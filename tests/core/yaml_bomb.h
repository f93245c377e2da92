// Test inputs for the YAML reader's bounds, shared by the modules' tests.
#pragma once

#include <string>

namespace tollgate::testdata {

// "Billion laughs": `prefix`, then ten levels of ten aliases each (l1 holds
// ten l0, ...): 10^10 scalars once expanded, about 500 bytes as written.
inline std::string BillionLaughs(const std::string& prefix = "") {
  std::string s = prefix + "l0: &l0 [\"lol\"]\n";
  for (int i = 1; i <= 10; ++i) {
    s += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) s += std::string(j ? ", " : "") + "*l" + std::to_string(i - 1);
    s += "]\n";
  }
  return s;
}

}  // namespace tollgate::testdata
