#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

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
  std::string tmp = output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Report(Error::Io(output + ": cannot write the report"));
    WriteReport(r, *fmt, out, TextOptions{});
    out.flush();
    if (!out) return Report(Error::Io(output + ": cannot write the report"));
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) return Report(Error::Io(output + ": cannot write the report"));
  if (*fmt != OutputFormat::kText) WriteReport(r, OutputFormat::kText, std::cout, text_opts);
  return 0;
}

}  // namespace tollgate::cli
