// Runs the built `tollgate` binary for end-to-end tests of the policy,
// admission and Gatekeeper commands.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace tollgate::rego::testing {

struct CliResult {
  int rc = -1;
  std::string out;  // stdout and stderr
};

inline CliResult RunTollgate(const std::string& args, const std::string& stdin_file = "") {
  std::string cmd = std::string(TOLLGATE_BINARY) + " " + args + (stdin_file.empty() ? "" : " < " + stdin_file) + " 2>&1";
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace tollgate::rego::testing
