#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

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

std::string EmptyOptionMessage(const CLI::App& app) {
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_type_size() == 0 || o->count() == 0) continue;
    for (const std::string& v : o->results())
      if (v.empty()) return o->get_name() + " must not be empty";
  }
  for (const CLI::App* sub : app.get_subcommands()) {
    std::string m = EmptyOptionMessage(*sub);
    if (!m.empty()) return m;
  }
  return "";
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

namespace {

// `write` prints the report in a format to a stream; `write_file` to a file.
int Emit(const std::string& format, const std::string& output, bool quiet,
         const std::function<Status(OutputFormat, std::ostream&, const TextOptions&)>& write,
         const std::function<Status(OutputFormat, const std::string&)>& write_file) {
  auto fmt = ParseOutputFormat(format);
  if (!fmt) return Report(Error::Input("unknown format '" + format + "'"));
  TextOptions text_opts;
  text_opts.color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
  if (output.empty()) {
    if (!quiet)
      if (auto s = write(*fmt, std::cout, text_opts); !s) return Report(s.error());
    std::cout.flush();
    return 0;
  }
  if (auto s = write_file(*fmt, output); !s) return Report(s.error());
  // The full report is in the file: the log gets the summary.
  text_opts.summary = true;
  if (!quiet)
    if (auto s = write(OutputFormat::kText, std::cout, text_opts); !s) return Report(s.error());
  return 0;
}

}  // namespace

int EmitReport(const tollgate::Report& r, const std::string& format, const std::string& output, bool quiet) {
  return Emit(
      format, output, quiet,
      [&](OutputFormat f, std::ostream& out, const TextOptions& opts) {
        WriteReport(r, f, out, opts);
        return Ok();
      },
      [&](OutputFormat f, const std::string& path) { return WriteReportFile(r, f, path, TextOptions{}); });
}

int EmitReport(const tollgate::Report& r, const FindingStore& findings, const std::string& format,
               const std::string& output, bool quiet) {
  return Emit(
      format, output, quiet,
      [&](OutputFormat f, std::ostream& out, const TextOptions& opts) {
        return WriteReport(r, findings, f, out, opts);
      },
      [&](OutputFormat f, const std::string& path) {
        return WriteReportFile(r, findings, f, path, TextOptions{});
      });
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

namespace {

// Damerau-Levenshtein distance (adjacent transpositions count as one edit).
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string UnknownCommandMessage(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* at = &app;
  std::string path;  // the command words that exist
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word.empty() || word.front() == '-') return "";  // options: CLI11's own message says what is wrong
    const auto subs = at->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) return "";  // a command's own arguments
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : subs)
      if (sub->check_name(std::string(word))) next = sub;
    if (next != nullptr) {
      path += (path.empty() ? "" : " ") + next->get_name();
      at = next;
      continue;
    }
    // `word` is not a command here: the closest names, within a third of the word's length.
    const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
    std::vector<std::pair<std::size_t, std::string>> close;
    std::string all;
    for (const CLI::App* sub : subs) {
      const std::string& name = sub->get_name();
      all += (all.empty() ? "" : ", ") + name;
      const std::size_t distance = EditDistance(word, name);
      const bool prefix = word.size() >= 3 && name.rfind(word, 0) == 0;
      if (distance <= limit || prefix) close.emplace_back(prefix ? 0 : distance, name);
    }
    std::sort(close.begin(), close.end());
    const std::string where = path.empty() ? "tollgate" : "tollgate " + path;
    // What was typed is echoed with control characters escaped (JSON's
    // escapes): a terminal never receives an escape sequence from argv.
    const bool plain = std::none_of(word.begin(), word.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    const std::string shown =
        plain ? std::string(word) : Json(std::string(word)).dump(-1, ' ', true, Json::error_handler_t::replace);
    std::string message = "unknown command '" + (path.empty() ? "" : path + " ") + shown + "'";
    if (!close.empty()) {
      message += " (did you mean ";
      for (std::size_t k = 0; k < close.size() && k < 3; ++k)
        message += (k == 0 ? "'" : " or '") + (path.empty() ? "" : path + " ") + close[k].second + "'";
      message += "?)";
    } else {
      message += "; the commands of `" + where + "` are: " + all;
    }
    return message;
  }
  return "";
}

Result<std::optional<Severity>> FailOnThreshold(const std::string& fail_on) {
  if (fail_on == "any") return std::optional<Severity>(Severity::kInfo);
  if (fail_on == "none") return std::optional<Severity>();
  auto s = ParseRatedSeverity(fail_on);
  if (!s) return Fail(Error::Input("--fail-on: unknown severity '" + fail_on + "'"));
  return std::optional<Severity>(*s);
}

}  // namespace tollgate::cli
