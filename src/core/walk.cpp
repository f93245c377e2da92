#include "core/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/git.h"

namespace tollgate::walk {
namespace {

namespace fs = std::filesystem;

std::string Errno(int err) { return std::strerror(err); }

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty() || a == ".") return b;
  if (b.empty()) return a;
  return a.back() == '/' ? a + b : a + "/" + b;
}

// The shown form of a root: as given, lexically normal, '/' separated
// ("./dir/" and "dir/." show as "dir", "." stays ".").
std::string ShownRoot(const std::string& root) {
  std::string s = fs::path(root.empty() ? "." : root).lexically_normal().generic_string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s.empty() ? "." : s;
}

fs::path AbsoluteNormal(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p.empty() ? "." : p, ec);
  if (ec) a = fs::path(p);
  a = a.lexically_normal();
  if (a.has_filename() == false && a.has_parent_path() && a != a.root_path()) a = a.parent_path();
  return a;
}

bool Exists(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// Answers "does .gitignore exclude this path?" for a root inside a git work
// tree; outside one (or when the root itself is ignored) nothing is.
class GitIgnore {
 public:
  GitIgnore(const std::string& root, bool enabled) {
    if (!enabled) return;
    repo_ = git::Open(root, true);
    if (!repo_) return;
    const char* wd = git_repository_workdir(repo_.get());
    if (wd == nullptr) return;
    std::error_code ec;
    const fs::path workdir = fs::canonical(wd, ec);
    if (ec) return;
    const fs::path abs = fs::weakly_canonical(root, ec);
    if (ec) return;
    fs::path rel = abs.lexically_relative(workdir);
    if (rel.empty() || *rel.begin() == "..") return;
    prefix_ = rel == "." ? std::string() : rel.generic_string();
    // A tree the user names explicitly is scanned even if the enclosing
    // repository ignores it (a build directory, a vendored copy).
    if (!prefix_.empty() && IgnoredRepoPath(prefix_)) return;
    active_ = true;
  }

  // `rel` is below the walked root; links are never followed, so it is also
  // its path below the work tree once prefixed.
  bool Ignored(const std::string& rel) const {
    return active_ && IgnoredRepoPath(prefix_.empty() ? rel : prefix_ + "/" + rel);
  }

 private:
  bool IgnoredRepoPath(const std::string& p) const {
    int ignored = 0;
    return git_ignore_path_is_ignored(&ignored, repo_.get(), p.c_str()) == 0 && ignored == 1;
  }

  git::Library lib_;
  git::RepoPtr repo_;
  std::string prefix_;
  bool active_ = false;
};

// Glob matching over '/'-separated segments; `**` matches any number of
// whole segments.
bool MatchSegments(const std::vector<std::string_view>& pat, std::size_t pi, const std::vector<std::string_view>& path,
                   std::size_t si) {
  while (pi < pat.size()) {
    if (pat[pi] == "**") {
      if (pi + 1 == pat.size()) return true;
      for (std::size_t k = si; k <= path.size(); ++k)
        if (MatchSegments(pat, pi + 1, path, k)) return true;
      return false;
    }
    if (si >= path.size()) return false;
    const std::string p(pat[pi]), s(path[si]);
    if (::fnmatch(p.c_str(), s.c_str(), 0) != 0) return false;
    ++pi;
    ++si;
  }
  return si == path.size();
}

std::vector<std::string_view> Segments(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    std::size_t slash = s.find('/', at);
    if (slash == std::string_view::npos) slash = s.size();
    if (slash > at) out.push_back(s.substr(at, slash - at));
    at = slash + 1;
  }
  return out;
}

bool MatchOne(std::string_view pattern, std::string_view path, bool dir) {
  while (pattern.substr(0, 2) == "./") pattern.remove_prefix(2);
  while (!pattern.empty() && pattern.front() == '/') pattern.remove_prefix(1);
  bool dir_only = false;
  while (!pattern.empty() && pattern.back() == '/') {
    pattern.remove_suffix(1);
    dir_only = true;
  }
  if (pattern.empty() || (dir_only && !dir)) return false;
  const auto path_segs = Segments(path);
  if (path_segs.empty()) return false;
  if (pattern.find('/') == std::string_view::npos) {
    const std::string p(pattern), name(path_segs.back());
    return ::fnmatch(p.c_str(), name.c_str(), 0) == 0;
  }
  const auto pat_segs = Segments(pattern);
  if (MatchSegments(pat_segs, 0, path_segs, 0)) return true;
  // "dir/**" also names the directory itself: it is not entered.
  if (dir && pat_segs.size() > 1 && pat_segs.back() == "**") {
    std::vector<std::string_view> head(pat_segs.begin(), pat_segs.end() - 1);
    return MatchSegments(head, 0, path_segs, 0);
  }
  return false;
}

struct Frame {
  std::string dir;                  // shown path of the directory
  std::string rel;                  // below the root
  std::vector<std::string> names;   // its entries, sorted
  std::size_t next = 0;
};

// The entries of a directory in byte order; nullopt (and errno) when it cannot be listed.
std::optional<std::vector<std::string>> List(const std::string& dir, int* err) {
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (d == nullptr) {
    *err = errno;
    return std::nullopt;
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  int read_err = errno;
  ::closedir(d);
  if (read_err != 0) {
    *err = read_err;
    return std::nullopt;
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Walker {
 public:
  Walker(const Options& opts, const std::function<void(const Entry&)>& on_file,
         const std::function<void(Problem)>& on_problem, Stats* stats)
      : opts_(opts), on_file_(on_file), on_problem_(on_problem), stats_(stats) {}

  Status Root(const std::string& root) {
    const std::string shown = ShownRoot(root);
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) {
      int err = errno;
      if (err == ELOOP) return Fail(Error::Input(root + ": a symbolic link loop"));
      if (err == ENOENT || err == ENOTDIR) return Fail(Error::NotFound(root + ": no such file or directory"));
      return Fail(Error::Input(root + ": " + Errno(err)));
    }
    const RepoPaths repo(root);
    const std::string repo_root = repo.Of(root);
    auto repo_path = [&](const std::string& rel) {
      if (rel.empty()) return repo_root;
      return repo_root.empty() || repo_root == "." ? rel : repo_root + "/" + rel;
    };
    if (!S_ISDIR(st.st_mode)) {
      // A file the user named: read it whatever its name, never blocking.
      const std::string name = fs::path(shown).filename().string();
      Entry e{shown, name, repo.Of(root), static_cast<std::uint64_t>(st.st_size), true};
      if (!S_ISREG(st.st_mode)) return Special(e.path, e.repo_path, st.st_mode), Ok();
      if (opts_.max_file_bytes != 0 && e.size > opts_.max_file_bytes) return TooLarge(e.path, e.repo_path, e.size), Ok();
      if (stats_) ++stats_->files;
      on_file_(e);
      return Ok();
    }
    const GitIgnore ignore(root, opts_.gitignore);
    std::error_code ec;
    root_real_ = fs::canonical(root, ec).string();
    std::vector<Frame> stack;
    auto open_dir = [&](const std::string& dir, const std::string& rel) {
      int err = 0;
      auto names = List(dir, &err);
      if (!names) {
        Report(ProblemKind::kIncomplete, dir, repo_path(rel), "unreadable", "cannot list the directory: " + Errno(err));
        return;
      }
      stack.push_back(Frame{dir, rel, std::move(*names), 0});
    };
    open_dir(shown, "");
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next >= top.names.size()) {
        stack.pop_back();
        continue;
      }
      const std::string name = top.names[top.next++];
      const std::string rel = top.rel.empty() ? name : top.rel + "/" + name;
      const std::string path = Join(top.dir, name);
      if (name == ".git") continue;  // the repository's own store: never content
      // Type from lstat: links are never followed.
      struct stat ls {};
      // Exclusion needs to know only whether it is a directory: one lstat,
      // never an open, so an excluded FIFO is not touched.
      if (::lstat(path.c_str(), &ls) != 0) {
        int err = errno;
        if (err == ENOENT) continue;  // vanished while walking
        Report(ProblemKind::kIncomplete, path, repo_path(rel), "unreadable", "cannot stat: " + Errno(err));
        continue;
      }
      const bool is_dir = S_ISDIR(ls.st_mode);
      if (!opts_.exclude.empty() && Excluded(opts_.exclude, rel, is_dir)) {
        if (stats_) ++stats_->excluded;
        continue;
      }
      if (is_dir) {
        if ((opts_.prune_hidden && name[0] == '.') ||
            std::find(opts_.prune.begin(), opts_.prune.end(), name) != opts_.prune.end())
          continue;
        if (ignore.Ignored(rel)) {
          if (stats_) ++stats_->ignored;
          continue;
        }
        std::string dir_path = path;
        open_dir(dir_path, rel);  // may reallocate the stack: `top` is not used after this
        continue;
      }
      const bool wanted = !opts_.want || opts_.want(name, rel);
      if (S_ISLNK(ls.st_mode)) {
        Link(path, repo_path(rel), wanted, ignore, rel);
        continue;
      }
      if (!wanted) continue;
      if (ignore.Ignored(rel)) {
        if (stats_) ++stats_->ignored;
        continue;
      }
      if (!S_ISREG(ls.st_mode)) {
        Special(path, repo_path(rel), ls.st_mode);
        continue;
      }
      const auto size = static_cast<std::uint64_t>(ls.st_size);
      if (opts_.max_file_bytes != 0 && size > opts_.max_file_bytes) {
        TooLarge(path, repo_path(rel), size);
        continue;
      }
      if (stats_) ++stats_->files;
      on_file_(Entry{path, rel, repo_path(rel), size, false});
    }
    return Ok();
  }

 private:
  void Report(ProblemKind kind, const std::string& path, const std::string& repo_path, const std::string& cause,
              const std::string& reason) {
    on_problem_(Problem{kind, path, repo_path, 0, cause, reason});
  }

  void Special(const std::string& path, const std::string& repo_path, mode_t mode) {
    const char* what = S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket" : (S_ISCHR(mode) || S_ISBLK(mode)) ? "a device" : "not a regular file";
    Report(ProblemKind::kIncomplete, path, repo_path, "special-file", std::string("not read: ") + what + ", not a regular file");
  }

  void TooLarge(const std::string& path, const std::string& repo_path, std::uint64_t size) {
    Report(ProblemKind::kIncomplete, path, repo_path, "too-large",
           "not read: " + std::to_string(size) + " bytes, larger than the limit of " + std::to_string(opts_.max_file_bytes));
  }

  // A symbolic link is never followed. A loop hides what the link claims to
  // be: incomplete. A dangling link is a note. A link to a file in the tree is
  // read there, under the target's own path; but when a scanner that reads
  // files by name (a lockfile, a manifest) wants the link's name and the
  // target is out of the tree or named so that it is not read, what the link
  // stands for would go unchecked: incomplete.
  void Link(const std::string& path, const std::string& repo_path, bool wanted, const GitIgnore& ignore,
            const std::string& rel) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (!wanted || !opts_.want || !S_ISREG(st.st_mode) || ignore.Ignored(rel)) return;
      std::error_code ec;
      const std::string target = fs::canonical(path, ec).string();
      const bool inside = !ec && !root_real_.empty() && target.size() > root_real_.size() &&
                          target.starts_with(root_real_) && target[root_real_.size()] == '/';
      if (inside) {
        const std::string target_rel = target.substr(root_real_.size() + 1);
        const std::string target_name = fs::path(target).filename().string();
        if (opts_.want(target_name, target_rel) && !Excluded(opts_.exclude, target_rel, false)) return;
      }
      Report(ProblemKind::kIncomplete, path, repo_path, "symlink",
             "not read: a symbolic link to " + (inside ? target.substr(root_real_.size() + 1) : target) +
                 (inside ? ", a file not read under its own name" : ", outside the scanned tree") +
                 " (links are never followed)");
      return;
    }
    const int err = errno;
    if (ignore.Ignored(rel)) return;
    if (err == ELOOP) {
      Report(ProblemKind::kIncomplete, path, repo_path, "symlink-loop", "not read: a symbolic link loop");
    } else if (wanted) {
      Report(ProblemKind::kNote, path, repo_path, "broken-symlink", "skipped: broken symlink (" + Errno(err) + ")");
    }
  }

  const Options& opts_;
  const std::function<void(const Entry&)>& on_file_;
  const std::function<void(Problem)>& on_problem_;
  Stats* stats_;
  std::string root_real_;  // the walked root, symbolic links resolved
};

}  // namespace

std::string Problem::Text() const {
  return path + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + reason;
}

RepoPaths::RepoPaths(const std::string& root) {
  fs::path start = AbsoluteNormal(root);
  struct stat st {};
  if (::stat(start.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) start = start.parent_path();
  fs::path found;
  for (const char* marker : {".git", "tollgate.yaml"}) {
    for (fs::path dir = start;; dir = dir.parent_path()) {
      if (Exists(dir / marker)) {
        found = dir;
        break;
      }
      if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    }
    if (!found.empty()) break;
  }
  anchor_ = (found.empty() ? start : found).generic_string();
}

std::string RepoPaths::Of(const std::string& path) const {
  fs::path abs = AbsoluteNormal(path);
  fs::path rel = abs.lexically_relative(anchor_);
  if (rel.empty()) return abs.generic_string();
  std::string r = rel.generic_string();
  if (r == "..") return abs.generic_string();
  if (r.rfind("../", 0) == 0) return abs.generic_string();
  return r;
}

bool Excluded(const std::vector<std::string>& patterns, std::string_view path, bool dir) {
  for (const auto& p : patterns)
    if (MatchOne(p, path, dir)) return true;
  return false;
}

Status Walk(const std::vector<std::string>& roots, const Options& opts, const std::function<void(const Entry&)>& on_file,
            const std::function<void(Problem)>& on_problem, Stats* stats) {
  Walker w(opts, on_file, on_problem, stats);
  for (const auto& r : roots) TG_TRY(w.Root(r));
  return Ok();
}

Status WalkParallel(const std::vector<std::string>& roots, const Options& opts, unsigned threads,
                    const std::function<void(const Entry&, unsigned worker)>& work,
                    const std::function<void(Problem)>& on_problem, Stats* stats) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (threads == 1) return Walk(roots, opts, [&](const Entry& e) { work(e, 0); }, on_problem, stats);
  constexpr std::size_t kQueueDepth = 4096;
  std::mutex mu;
  std::condition_variable not_empty, not_full;
  std::deque<Entry> queue;
  bool done = false;
  auto worker = [&](unsigned index) {
    for (;;) {
      Entry e;
      {
        std::unique_lock<std::mutex> lock(mu);
        not_empty.wait(lock, [&] { return done || !queue.empty(); });
        if (queue.empty()) return;
        e = std::move(queue.front());
        queue.pop_front();
      }
      not_full.notify_one();
      work(e, index);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  Status s = Walk(
      roots, opts,
      [&](const Entry& e) {
        {
          std::unique_lock<std::mutex> lock(mu);
          not_full.wait(lock, [&] { return queue.size() < kQueueDepth; });
          queue.push_back(e);
        }
        not_empty.notify_one();
      },
      on_problem, stats);
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  not_empty.notify_all();
  for (auto& t : pool) t.join();
  return s;
}

std::optional<Problem> ReadFile(const Entry& e, std::uint64_t max_bytes, ReadBuffer& buf) {
  buf.size = 0;
  auto problem = [&](const std::string& cause, const std::string& reason) {
    return Problem{ProblemKind::kIncomplete, e.path, e.repo_path, 0, cause, reason};
  };
  // O_NONBLOCK: a FIFO put in place of the file after the walk must not
  // block the scan; O_NOFOLLOW: nor may a link put there (a named root may be
  // a link: the user asked for it).
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (!e.named) flags |= O_NOFOLLOW;
  const int fd = ::open(e.path.c_str(), flags);
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP) return problem("symlink-loop", "not read: replaced by a symbolic link while scanning");
    return problem("unreadable", "cannot open: " + Errno(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return problem("unreadable", "cannot stat: " + Errno(errno));
  if (!S_ISREG(st.st_mode)) return problem("special-file", "not read: not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (max_bytes != 0 && size > max_bytes)
    return problem("too-large", "not read: " + std::to_string(size) + " bytes, larger than the limit of " +
                                    std::to_string(max_bytes));
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) (void)::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  // The buffer is reused and never zero-filled: files are read as they were
  // when opened (a file that shrinks is read as far as it goes).
  if (size > buf.cap) {
    buf.data.reset(new char[static_cast<std::size_t>(size)]);
    buf.cap = static_cast<std::size_t>(size);
  }
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, buf.data.get() + got, static_cast<std::size_t>(size) - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return problem("unreadable", "cannot read: " + Errno(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  buf.size = got;
  return std::nullopt;
}

std::optional<Problem> ReadFile(const Entry& e, std::uint64_t max_bytes, std::string& out) {
  ReadBuffer buf;
  auto p = ReadFile(e, max_bytes, buf);
  if (p) {
    out.clear();
    return p;
  }
  out.assign(buf.view());
  return std::nullopt;
}

Finding ProblemFinding(const Problem& p, const std::string& tool, Severity parse_error_severity) {
  Finding f;
  const bool parse = p.kind == ProblemKind::kParseError;
  f.rule_id = std::string(parse ? kParseErrorRule : kIncompleteScanRule);
  f.severity = parse ? parse_error_severity : Severity::kHigh;
  f.message = parse ? "could not be parsed, so it was not checked: " + p.reason
                    : "could not be scanned completely: " + p.reason;
  f.location.file = p.path;
  f.location.line = p.line;
  f.fingerprint = MakeFingerprint(f.rule_id, {p.repo_path, p.cause});
  f.remediation = parse ? "Fix the file's syntax, or list it under `exclude:` in tollgate.yaml if the gate must not "
                          "read it; until then a waiver by the gate's bypass role accepts it."
                        : "Make the content readable within the limits (or remove it), or list it under `exclude:` in "
                          "tollgate.yaml if the gate must not read it; until then a waiver by the gate's bypass role "
                          "accepts it.";
  f.tool = tool;
  f.details = Json{{"cause", p.cause}, {"reason", p.reason}};
  return f;
}

void AddProblemFindings(const std::vector<Problem>& problems, const std::string& tool, Severity parse_error_severity,
                        std::vector<Finding>& findings, std::vector<std::string>& notes) {
  for (const auto& p : problems) {
    if (p.kind == ProblemKind::kNote) notes.push_back(p.Text());
    else findings.push_back(ProblemFinding(p, tool, parse_error_severity));
  }
}

Problem ParseProblem(const std::string& path, const std::string& repo_path, const std::string& message) {
  Problem p{ProblemKind::kParseError, path, repo_path, 0, "syntax", message};
  // "path:line[:column]: reason"
  if (message.compare(0, path.size(), path) == 0 && message.size() > path.size() && message[path.size()] == ':') {
    std::size_t at = path.size() + 1;
    std::size_t digits = at;
    while (digits < message.size() && std::isdigit(static_cast<unsigned char>(message[digits]))) ++digits;
    if (digits > at && digits - at < 10) p.line = static_cast<std::uint32_t>(std::stoul(message.substr(at, digits - at)));
    // skip ":column" too
    std::size_t rest = digits;
    if (rest < message.size() && message[rest] == ':') {
      std::size_t c = rest + 1;
      while (c < message.size() && std::isdigit(static_cast<unsigned char>(message[c]))) ++c;
      if (c > rest + 1) rest = c;
    }
    if (digits == at) rest = at - 1;  // no line: "path: reason"
    std::string tail = message.substr(rest);
    while (!tail.empty() && (tail.front() == ':' || tail.front() == ' ')) tail.erase(0, 1);
    if (!tail.empty()) p.reason = tail;
  }
  return p;
}

}  // namespace tollgate::walk
