#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cli/cli.h"

namespace tollgate::cli {

#ifdef TOLLGATE_VERSION
const char* const kVersion = TOLLGATE_VERSION;
#else
const char* const kVersion = "dev";
#endif

int Report(const Error& e) {
  std::string msg = e.message();
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';  // one line, always
  std::cerr << "tollgate: " << msg << "\n";
  return static_cast<int>(e.exit_code());
}

std::string LedgerLocation(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TOLLGATE_LEDGER"); env && *env) return env;
  return ".tollgate/ledger.db";
}

std::string LedgerKeyPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TOLLGATE_LEDGER_KEY"); env && *env) return env;
  return "";
}

Result<std::optional<SignerKey>> LoadLedgerKey(const std::string& flag) {
  std::string path = LedgerKeyPath(flag);
  if (path.empty()) return std::optional<SignerKey>();
  auto k = SignerKey::ReadFile(path);
  if (!k) return Fail(k.error());
  return std::optional<SignerKey>(std::move(*k));
}

void AddOutputOptions(CLI::App* cmd, std::string& format, std::string& output) {
  cmd->add_option("--format", format, "Output format: text, json, sarif or junit")
      ->check(CLI::IsMember({"text", "json", "sarif", "junit"}))
      ->capture_default_str();
  cmd->add_option("--output,-o", output, "Write the report to FILE (a text summary still goes to stdout)");
}

int EmitReport(const tollgate::Report& r, const std::string& format, const std::string& output) {
  auto fmt = ParseOutputFormat(format);
  if (!fmt) return Report(Error::Input("unknown format '" + format + "'"));
  TextOptions text_opts;
  text_opts.color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
  if (output.empty()) {
    WriteReport(r, *fmt, std::cout, text_opts);
    std::cout.flush();
    return 0;
  }
  std::ostringstream body;
  WriteReport(r, *fmt, body, TextOptions{});
  if (auto s = WriteFileAtomic(output, body.str()); !s) return Report(s.error());
  if (*fmt != OutputFormat::kText) WriteReport(r, OutputFormat::kText, std::cout, text_opts);
  return 0;
}

struct ProgressLine::State {
  std::function<std::string()> line;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool drawn = false;
  std::thread ticker;
};

ProgressLine::ProgressLine(std::function<std::string()> line) {
  if (isatty(STDERR_FILENO) == 0 || std::getenv("TOLLGATE_NO_PROGRESS") != nullptr) return;
  state_ = std::make_unique<State>();
  state_->line = std::move(line);
  state_->ticker = std::thread([s = state_.get()] {
    std::unique_lock<std::mutex> lock(s->mu);
    if (s->cv.wait_for(lock, std::chrono::seconds(1), [s] { return s->done; })) return;
    do {
      std::cerr << "\r\033[K" << s->line() << std::flush;
      s->drawn = true;
    } while (!s->cv.wait_for(lock, std::chrono::milliseconds(250), [s] { return s->done; }));
  });
}

ProgressLine::~ProgressLine() {
  if (!state_) return;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->done = true;
  }
  state_->cv.notify_all();
  state_->ticker.join();
  if (state_->drawn) std::cerr << "\r\033[K" << std::flush;
}

}  // namespace tollgate::cli
