// Fuzzes the secrets rule loaders and the scanner: the input is read as a
// rule file in our format and in gitleaks' (parsed and compiled), as text
// scanned with a fixed rule set, and as file content that may be an archive.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scan/secrets/secrets.h"

namespace {
const tollgate::secrets::Scanner& FixedScanner() {
  static const tollgate::secrets::Scanner scanner = [] {
    auto rules = tollgate::secrets::ParseRules(R"toml(
[[rule]]
id = "aws"
description = "AWS key"
regex = '''\b((?:AKIA|ASIA)[A-Z2-7]{16})\b'''
secret_group = 1
keywords = ["akia", "asia"]
entropy = 3.0
[[rule]]
id = "generic"
description = "password"
regex = '''(?i)(?:password|secret)\s*[=:]\s*["']?([^"'\s]{8,64})'''
secret_group = 1
entropy = 3.0
[rule.allowlist]
regex_target = "line"
regexes = ['''nosecret''']
[[rule]]
id = "named"
description = "vendor-named key (word-anchored prefilter)"
regex = '''(?:^|[^A-Za-z0-9_]|[A-Z]_)(?i:acme|globex)(?:[^A-Za-z0-9\n][^\n]{0,20}?)?(?i:key|token)[ :=]{1,3}([A-Za-z0-9]{12,40})'''
prefilter = '''(?:^|[^A-Za-z0-9])(?i:acme|globex)[^0-9\n]'''
prefilter_word_anchor = 2
secret_group = 1
[[rule]]
id = "pem"
description = "private key"
regex = '''-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----'''
[rule.requires]
rule = "generic"
within_lines = 3
)toml", "fuzz.toml");
    if (!rules) __builtin_trap();
    auto s = tollgate::secrets::Scanner::Compile(std::move(*rules));
    if (!s) __builtin_trap();
    return std::move(*s);
  }();
  return scanner;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto rules = tollgate::secrets::ParseRules(text, "fuzz.toml");
  if (rules && rules->size() < 8) (void)tollgate::secrets::Scanner::Compile(std::move(*rules));
  auto gitleaks = tollgate::secrets::ParseGitleaksRules(text, "fuzz.gitleaks.toml");
  if (gitleaks && gitleaks->size() < 8) (void)tollgate::secrets::Scanner::Compile(std::move(*gitleaks));
  const auto& scanner = FixedScanner();
  auto matches = scanner.Scan(text, "fuzz.txt");
  (void)tollgate::secrets::ToFindings(scanner, text, "fuzz.txt", matches, {});
  // The same bytes as file content: archives (zip, tar, gzip, ...) are opened
  // in memory with small budgets.
  tollgate::secrets::ScanOptions opts;
  opts.max_file_bytes = 1 << 20;
  tollgate::secrets::ScanResult res;
  tollgate::secrets::ScanContent(scanner, text, "fuzz.bin", opts, res);
  return 0;
}
