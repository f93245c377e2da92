// A fixture for end-to-end tests of the tollgate binary: a fresh temporary
// directory with its own ledger, a way to run commands in it, and file helpers.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace tollgate::testing {

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

class CliHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tollgate-cli-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    ledger_ = (dir_ / "ledger.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs a shell command line in the directory with the test's ledger and
  // advisory database, stdin from `input`; captures stdout and stderr.
  CmdResult Run(const std::string& cmdline, const std::string& input = "") {
    const std::string in = (dir_ / "stdin").string(), out = (dir_ / "stdout").string(),
                      err = (dir_ / "stderr").string();
    std::ofstream(in) << input;
    const std::string cmd = "cd '" + dir_.string() + "' && TOLLGATE_LEDGER='" + ledger_ +
                            "' TOLLGATE_LEDGER_KEY= NO_COLOR=1 TOLLGATE_DB='" + (dir_ / "osv").string() + "' " +
                            cmdline + " <'" + in + "' >'" + out + "' 2>'" + err + "'";
    const int status = std::system(cmd.c_str());
    CmdResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }
  // Runs `tollgate ARGS`.
  CmdResult Tg(const std::string& args, const std::string& input = "") {
    return Run(std::string("'") + TOLLGATE_BINARY + "' " + args, input);
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::string Write(const std::string& name, const std::string& content) {
    const std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }
  static std::size_t Count(const std::string& s, char c) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), c));
  }
  // Entries in the ledger (0 when it does not exist yet).
  std::size_t LedgerEntries() {
    if (!std::filesystem::exists(ledger_)) return 0;
    return Count(Tg("ledger show").out, '\n');
  }

  std::filesystem::path dir_;
  std::string ledger_;
};

}  // namespace tollgate::testing
