// Shared helpers of the slo tests: a temporary directory and running
// commands (tollgate, promtool, prometheus) with captured output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace slotest {

namespace fs = std::filesystem;

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tollgate-slo-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Runs a shell command in `dir`; stdout and stderr captured.
inline CmdResult Run(const fs::path& dir, const std::string& command) {
  const std::string out = (dir / ".stdout").string(), err = (dir / ".stderr").string();
  std::string cmd = "cd '" + dir.string() + "' && " + command + " >'" + out + "' 2>'" + err + "'";
  int st = std::system(cmd.c_str());
  CmdResult r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

inline bool HaveProgram(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace slotest
