// Helpers shared by the IaC tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
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

// Runs the tollgate binary with `args`; its stdout and stderr go to *out.
inline int RunCli(const std::string& args, std::string* out) {
  std::filesystem::path o = std::filesystem::temp_directory_path() / ("tg_iac_out_" + std::to_string(::getpid()));
  int rc = std::system((std::string(TOLLGATE_BINARY) + " " + args + " >" + o.string() + " 2>&1").c_str());
  *out = Slurp(o);
  std::filesystem::remove(o);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace iac_test
