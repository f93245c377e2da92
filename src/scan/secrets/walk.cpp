// Walking files and directories for the secrets scanner; inline suppressions
// and baselines.
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <git2.h>

#include "core/canonical_json.h"
#include "scan/secrets/archive.h"
#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kSniffBytes = 8000;
constexpr std::string_view kAllowMarker = "tollgate:allow:";
constexpr std::size_t kMinAllowPrefix = 12;

// Answers "does .gitignore exclude this path?" for trees inside a git work
// tree; outside one, nothing is ignored.
class GitIgnore {
 public:
  explicit GitIgnore(const fs::path& root) : root_(root) {
    git_libgit2_init();
    if (git_repository_open_ext(&repo_, root.c_str(), 0, nullptr) != 0) {
      repo_ = nullptr;
      return;
    }
    const char* wd = git_repository_workdir(repo_);
    if (wd == nullptr) return;
    // The root is resolved against the work tree once; entries below it
    // are then placed by their path relative to it.
    std::error_code ec;
    const fs::path workdir = fs::canonical(wd, ec);
    if (ec) return;
    const fs::path abs = fs::weakly_canonical(root, ec);
    if (ec) return;
    fs::path rel = abs.lexically_relative(workdir);
    if (rel.empty() || *rel.begin() == "..") return;
    // A tree the user names explicitly is scanned even if the enclosing
    // repository ignores it (a build directory, a vendored copy).
    if (rel != "." && IgnoredRelative(rel)) return;
    root_rel_ = std::move(rel);
    active_ = true;
  }
  ~GitIgnore() {
    git_repository_free(repo_);
    git_libgit2_shutdown();
  }
  GitIgnore(const GitIgnore&) = delete;
  GitIgnore& operator=(const GitIgnore&) = delete;

  // Whether .gitignore excludes an entry found by walking the root (no
  // symlinks followed, so its path below the root is its path below the
  // work tree).
  bool IgnoredEntry(const fs::path& entry) const {
    return active_ && IgnoredRelative((root_rel_ / entry.lexically_relative(root_)).lexically_normal());
  }

 private:
  bool IgnoredRelative(const fs::path& rel) const {
    int ignored = 0;
    return git_ignore_path_is_ignored(&ignored, repo_, rel.generic_string().c_str()) == 0 && ignored == 1;
  }

  git_repository* repo_ = nullptr;
  fs::path root_;      // the walked root as given
  fs::path root_rel_;  // ...and relative to the work tree ("." for the top)
  bool active_ = false;  // inside a work tree, and the root itself not ignored
};

bool LooksBinary(std::string_view data) {
  return data.substr(0, kSniffBytes).find('\0') != std::string_view::npos;
}

struct InlineAllow {
  std::string prefix;  // fingerprint prefix, lowercase hex
  std::uint32_t line;
  bool used = false;
};

// Every "tollgate:allow:<hex>" marker in the buffer.
std::vector<InlineAllow> FindInlineAllows(std::string_view data) {
  std::vector<InlineAllow> out;
  std::uint32_t line = 1;
  std::size_t counted = 0;
  // memmem (two-way search) rather than string_view::find, which stops at
  // every 't' of ordinary text.
  auto find = [&](std::size_t from) -> std::size_t {
    if (from >= data.size()) return std::string_view::npos;
    const void* hit = memmem(data.data() + from, data.size() - from, kAllowMarker.data(), kAllowMarker.size());
    return hit == nullptr ? std::string_view::npos : static_cast<std::size_t>(static_cast<const char*>(hit) - data.data());
  };
  for (std::size_t p = find(0); p != std::string_view::npos; p = find(p + 1)) {
    line += static_cast<std::uint32_t>(std::count(data.begin() + static_cast<std::ptrdiff_t>(counted),
                                                  data.begin() + static_cast<std::ptrdiff_t>(p), '\n'));
    counted = p;
    std::size_t h = p + kAllowMarker.size();
    std::size_t e = h;
    while (e < data.size() && std::isxdigit(static_cast<unsigned char>(data[e])) && e - h < 64) ++e;
    if (e - h >= kMinAllowPrefix) {
      std::string prefix(data.substr(h, e - h));
      for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back({std::move(prefix), line});
    }
  }
  return out;
}

void ScanFile(const Scanner& scanner, const fs::path& p, const ScanOptions& opts, ScanResult& res) {
  std::string name = p.lexically_normal().generic_string();
  // One open and one fstat per file: the size check and the read see the
  // same file, and the path is resolved once.
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    res.warnings.push_back(name + ": skipped: " + std::generic_category().message(errno));
    return;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    res.warnings.push_back(name + ": skipped: not a readable regular file");
    return;
  }
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  if (size > opts.max_file_bytes) {
    res.warnings.push_back(name + ": skipped: larger than " + std::to_string(opts.max_file_bytes) + " bytes");
    return;
  }
  // One buffer per worker thread, grown as needed and never zero-filled.
  thread_local std::unique_ptr<char[]> buf;
  thread_local std::size_t cap = 0;
  if (size > cap) {
    buf.reset(new char[static_cast<std::size_t>(size)]);
    cap = static_cast<std::size_t>(size);
  }
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, buf.get() + got, static_cast<std::size_t>(size) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      res.warnings.push_back(name + ": skipped: " + std::generic_category().message(errno));
      return;
    }
    if (n == 0) break;  // the file shrank while being read: scan what there is
    got += static_cast<std::size_t>(n);
  }
  ScanContent(scanner, std::string_view(buf.get(), got), name, opts, res);
}

}  // namespace

void ScanResult::Absorb(ScanResult&& other) {
  auto move_all = [](auto& dst, auto& src) {
    dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
  };
  move_all(findings, other.findings);
  move_all(warnings, other.warnings);
  move_all(stale_suppressions, other.stale_suppressions);
  suppressed += other.suppressed;
  files += other.files;
  bytes += other.bytes;
}

void ScanContent(const Scanner& scanner, std::string_view data, const std::string& name, const ScanOptions& opts,
                 ScanResult& res, int depth) {
  if (opts.archives && IsArchive(data)) {
    ScanArchive(scanner, data, name, opts, res, depth);
    return;
  }
  if (LooksBinary(data)) return;
  ScanBuffer(scanner, data, name, opts, res);
}

void ScanBuffer(const Scanner& scanner, std::string_view data, const std::string& name, const ScanOptions& opts,
                ScanResult& res, std::string_view commit) {
  ++res.files;
  res.bytes += data.size();
  if (opts.progress != nullptr) {
    opts.progress->files.fetch_add(1, std::memory_order_relaxed);
    opts.progress->bytes.fetch_add(data.size(), std::memory_order_relaxed);
  }
  auto findings = ToFindings(scanner, data, name, scanner.Scan(data, name, commit), opts);
  auto allows = FindInlineAllows(data);
  for (auto& f : findings) {
    auto it = std::find_if(allows.begin(), allows.end(),
                           [&](const InlineAllow& a) { return f.fingerprint.rfind(a.prefix, 0) == 0; });
    if (it != allows.end()) {
      it->used = true;
      if (!opts.apply_inline_allows) {
        f.details["suppression"] = Json{{"line", it->line},
                                        {"kind", "inline"},
                                        {"marker", std::string(kAllowMarker) + it->prefix},
                                        {"reason", "tollgate:allow comment in the source"}};
        res.findings.push_back(std::move(f));
        continue;
      }
      ++res.suppressed;
      continue;
    }
    res.findings.push_back(std::move(f));
  }
  for (const auto& a : allows)
    if (!a.used)
      res.stale_suppressions.push_back(name + ":" + std::to_string(a.line) + ": " + std::string(kAllowMarker) +
                                       a.prefix + " matches no finding");
}

Result<ScanResult> ScanPaths(const Scanner& scanner, const std::vector<std::string>& paths, const ScanOptions& opts) {
  ScanResult res;
  std::vector<fs::path> files;
  for (const auto& root : paths) {
    std::error_code ec;
    auto st = fs::status(root, ec);
    if (ec || !fs::exists(st)) return Fail(Error::NotFound(root + ": no such file or directory"));
    if (fs::is_regular_file(st)) {
      files.emplace_back(root);
      continue;
    }
    if (!fs::is_directory(st)) {
      res.warnings.push_back(root + ": skipped: not a regular file or directory");
      continue;
    }
    std::vector<fs::path> found;
    const GitIgnore ignore(root);
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::directory_entry& e = *it;
      std::error_code sec;
      const bool is_dir = e.is_directory(sec) && !e.is_symlink(sec);
      if ((is_dir && e.path().filename() == ".git") || (opts.respect_gitignore && ignore.IgnoredEntry(e.path()))) {
        if (is_dir) it.disable_recursion_pending();
        continue;
      }
      if (e.is_symlink(sec)) {
        if (!fs::exists(e.path(), sec)) res.warnings.push_back(e.path().generic_string() + ": skipped: broken symlink");
        continue;  // never follow links out of the tree
      }
      if (e.is_regular_file(sec)) found.push_back(e.path());
    }
    if (ec) res.warnings.push_back(root + ": " + ec.message());
    std::sort(found.begin(), found.end(),  // deterministic output (byte order: cheaper than path order)
              [](const fs::path& a, const fs::path& b) { return a.native() < b.native(); });
    files.insert(files.end(), found.begin(), found.end());
  }

  // A work queue over files: each worker takes the next index; results are
  // kept per file and merged in file order, so output does not depend on
  // scheduling. Memory is bounded by the files in flight (one per worker).
  unsigned threads = opts.threads != 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(files.size(), 1)));
  std::vector<ScanResult> per_file(files.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) ScanFile(scanner, files[i], opts, per_file[i]);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (auto& r : per_file) res.Absorb(std::move(r));
  SortFindings(res.findings);
  return res;
}

Result<Baseline> LoadBaseline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot open the baseline"));
  std::ostringstream ss;
  ss << in.rdbuf();
  auto j = ParseJson(ss.str(), path);
  if (!j) return Fail(j.error());
  if (!j->is_object() || !j->contains("findings") || !(*j)["findings"].is_array())
    return Fail(Error::Input(path + ": a baseline is {\"version\": 1, \"findings\": [...]}"));
  Baseline b;
  std::size_t i = 0;
  for (const auto& f : (*j)["findings"]) {
    auto fp = f.is_object() ? f.find("fingerprint") : f.end();
    if (!f.is_object() || fp == f.end() || !fp->is_string())
      return Fail(Error::Input(path + ": findings[" + std::to_string(i) + "]: needs a string \"fingerprint\""));
    b.fingerprints.push_back(fp->get<std::string>());
    ++i;
  }
  return b;
}

std::string BaselineJson(const std::vector<Finding>& findings) {
  Json list = Json::array();
  std::set<std::string> seen;
  for (const auto& f : findings) {
    if (!seen.insert(f.fingerprint).second) continue;
    list.push_back(Json{{"fingerprint", f.fingerprint}, {"rule_id", f.rule_id}, {"file", f.location.file}});
  }
  return Json{{"version", 1}, {"findings", std::move(list)}}.dump(2) + "\n";
}

void ApplyBaseline(const Baseline& baseline, const std::string& path, ScanResult& res) {
  std::set<std::string> accepted(baseline.fingerprints.begin(), baseline.fingerprints.end());
  std::set<std::string> used;
  std::vector<Finding> kept;
  for (auto& f : res.findings) {
    if (accepted.count(f.fingerprint) != 0) {
      used.insert(f.fingerprint);
      ++res.suppressed;
    } else {
      kept.push_back(std::move(f));
    }
  }
  res.findings = std::move(kept);
  for (const auto& fp : accepted)
    if (used.count(fp) == 0) res.stale_suppressions.push_back(path + ": baseline entry " + fp + " matches no finding");
}

}  // namespace tollgate::secrets
