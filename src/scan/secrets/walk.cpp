// Walking files and directories for the secrets scanner.
#include <filesystem>
#include <fstream>

#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kSniffBytes = 8000;

bool LooksBinary(std::string_view data) {
  return data.substr(0, kSniffBytes).find('\0') != std::string_view::npos;
}

void ScanFile(const Scanner& scanner, const fs::path& p, const ScanOptions& opts, ScanResult& res) {
  std::string name = p.generic_string();
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec) {
    res.warnings.push_back(name + ": skipped: " + ec.message());
    return;
  }
  if (size > opts.max_file_bytes) {
    res.warnings.push_back(name + ": skipped: larger than " + std::to_string(opts.max_file_bytes) + " bytes");
    return;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    res.warnings.push_back(name + ": skipped: cannot read");
    return;
  }
  std::string data(static_cast<std::size_t>(size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (LooksBinary(data)) return;
  ++res.files;
  res.bytes += data.size();
  auto matches = scanner.Scan(data, name);
  auto findings = ToFindings(scanner, data, name, matches, opts);
  res.findings.insert(res.findings.end(), std::make_move_iterator(findings.begin()),
                      std::make_move_iterator(findings.end()));
}

}  // namespace

Result<ScanResult> ScanPaths(const Scanner& scanner, const std::vector<std::string>& paths, const ScanOptions& opts) {
  ScanResult res;
  for (const auto& root : paths) {
    std::error_code ec;
    auto st = fs::status(root, ec);
    if (ec || !fs::exists(st)) return Fail(Error::NotFound(root + ": no such file or directory"));
    if (fs::is_regular_file(st)) {
      ScanFile(scanner, root, opts, res);
      continue;
    }
    if (!fs::is_directory(st)) {
      res.warnings.push_back(root + ": skipped: not a regular file or directory");
      continue;
    }
    // Sorted traversal keeps output deterministic.
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::directory_entry& e = *it;
      std::error_code sec;
      if (e.is_directory(sec) && !e.is_symlink(sec) && e.path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      if (e.is_symlink(sec)) {
        if (!fs::exists(e.path(), sec)) res.warnings.push_back(e.path().generic_string() + ": skipped: broken symlink");
        continue;  // never follow links out of the tree
      }
      if (e.is_regular_file(sec)) files.push_back(e.path());
    }
    if (ec) res.warnings.push_back(root + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) ScanFile(scanner, f, opts, res);
  }
  SortFindings(res.findings);
  return res;
}

}  // namespace tollgate::secrets
