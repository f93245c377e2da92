// The one tree walker every scanner uses (secrets, deps, iac, the policy
// gate): sorted, streaming, never following symbolic links, never opening a
// FIFO or device, honouring .gitignore (through libgit2) and `exclude` globs.
// Whatever it or a scanner cannot read completely is a Problem with the path
// and the reason, which a gate turns into an `incomplete-scan` finding; a file
// that cannot be parsed is a `parse-error` one (docs/scanning.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/result.h"

namespace tollgate::walk {

inline constexpr std::string_view kIncompleteScanRule = "incomplete-scan";
inline constexpr std::string_view kParseErrorRule = "parse-error";

enum class ProblemKind {
  kIncomplete,  // content was not read completely: an incomplete-scan finding
  kParseError,  // content was read but does not parse: a parse-error finding
  kNote,        // nothing that should have been read was lost; shown, not decided on
};

struct Problem {
  ProblemKind kind = ProblemKind::kIncomplete;
  std::string path;       // as shown: the root as given, then the path below it, '/' separated
  std::string repo_path;  // repository-relative and normalised (RepoPaths): what fingerprints use
  std::uint32_t line = 0;  // where a parse error is, when known
  // A stable word for the fingerprint: "unreadable", "too-large",
  // "special-file", "symlink-loop", "archive-bomb", "archive-corrupt",
  // "archive-depth", "archive-members", "syntax", ...
  std::string cause;
  std::string reason;  // one line for people, without the path

  // "path[:line]: reason"
  std::string Text() const;
};

// Repository-relative paths, the same whichever way a path is spelled
// (`examples`, `./examples`, absolute, `.` from inside it). The anchor is the
// nearest directory at or above the root that holds `.git`; without one, the
// nearest holding `tollgate.yaml`; without that, the root itself (its
// directory when the root is a file).
class RepoPaths {
 public:
  explicit RepoPaths(const std::string& root);
  // The repository-relative form of a path (relative to the current
  // directory or absolute); a path outside the anchor stays absolute.
  std::string Of(const std::string& path) const;
  const std::string& anchor() const { return anchor_; }

 private:
  std::string anchor_;  // absolute, lexically normal
};

struct Entry {
  std::string path;       // to open and to show: the root as given joined with `rel`
  std::string rel;        // below the walked root; for a root that is a file, its name
  std::string repo_path;  // repository-relative, normalised
  std::uint64_t size = 0;  // as listed (the reader checks again)
  bool named = false;     // the root itself, named by the user: read whatever its name
};

struct Options {
  // Skip what the enclosing git work tree ignores (.gitignore,
  // .git/info/exclude, the global excludes file), unless the root itself is
  // ignored (then the user asked for it).
  bool gitignore = true;
  // Globs over paths below the root: `*` and `?` within one segment, `**`
  // across segments, `[...]` classes. A pattern without `/` matches a name at
  // any depth (`*.min.js`); one with `/` matches the whole path below the root
  // (`vendor/**`, `charts/*/templates/**`); a trailing `/` matches
  // directories only. An excluded directory is not entered, an excluded
  // file never opened.
  std::vector<std::string> exclude;
  // Files larger than this are an incomplete-scan problem (0: no limit).
  std::uint64_t max_file_bytes = 0;
  // Directory names never entered besides `.git` (a scanner's documented
  // choice, such as node_modules), and whether names starting with '.' are.
  std::vector<std::string> prune;
  bool prune_hidden = false;
  // The files the scanner reads, by name and path below the root (empty:
  // all). A FIFO, device or socket is a problem only when its name is wanted.
  std::function<bool(std::string_view name, std::string_view rel)> want;
};

// Counts of what was deliberately left out, for a summary note.
struct Stats {
  std::uint64_t files = 0;     // handed to the scanner
  std::uint64_t excluded = 0;  // matched an `exclude` glob
  std::uint64_t ignored = 0;   // .gitignore
};

// Walks each root (a directory, or a file named by the user) depth first,
// each directory's entries in byte order of their names, and calls `on_file`
// for every wanted regular file and `on_problem` for what cannot be read: a
// directory that cannot be listed, a FIFO/device/socket, a symbolic link loop,
// a file over the size limit (incomplete), a dangling link or one pointing
// out of the tree (notes: links are never followed). Memory stays bounded by
// the depth and width of the tree, not its size. A root that does not exist is
// Error::NotFound; a root that is a symbolic link loop, Error::Input.
Status Walk(const std::vector<std::string>& roots, const Options& opts, const std::function<void(const Entry&)>& on_file,
            const std::function<void(Problem)>& on_problem, Stats* stats = nullptr);

// The same walk feeding a work queue: the walk runs on the calling thread
// (where `on_problem` is called), `threads` workers (0: one per core) call
// `work(entry, worker index)` as files are found; at most a few thousand paths
// wait in the queue, so a huge tree needs no list of all its files.
Status WalkParallel(const std::vector<std::string>& roots, const Options& opts, unsigned threads,
                    const std::function<void(const Entry&, unsigned worker)>& work,
                    const std::function<void(Problem)>& on_problem, Stats* stats = nullptr);

// A reusable read buffer (grown as needed, never zero-filled).
struct ReadBuffer {
  std::unique_ptr<char[]> data;
  std::size_t cap = 0;
  std::size_t size = 0;
  std::string_view view() const { return {data.get(), size}; }
};

// Reads a walked file: a regular file (never through a symbolic link unless
// the user named it, never blocking on a FIFO) of at most `max_bytes` (0: no
// limit). Returns the problem when it cannot be read completely.
std::optional<Problem> ReadFile(const Entry& e, std::uint64_t max_bytes, ReadBuffer& buf);
std::optional<Problem> ReadFile(const Entry& e, std::uint64_t max_bytes, std::string& out);

// Whether `path` (below the root, '/' separated) matches one `exclude`
// pattern, as described at Options::exclude; `dir` when it is a directory.
bool Excluded(const std::vector<std::string>& patterns, std::string_view path, bool dir);

// The finding a gate records for a problem (not for a note): rule
// `incomplete-scan` (severity high) or `parse-error` (`parse_error_severity`),
// located at the path and line, fingerprinted from the repository-relative
// path and the cause, so a waiver survives other edits of the file.
Finding ProblemFinding(const Problem& p, const std::string& tool, Severity parse_error_severity = Severity::kHigh);

// Appends a finding for each problem (ProblemFinding) and the text of each
// note to `notes`: what `scan` and the gate show alike.
void AddProblemFindings(const std::vector<Problem>& problems, const std::string& tool, Severity parse_error_severity,
                        std::vector<Finding>& findings, std::vector<std::string>& notes);

// A parse-error problem from a parser's error message, which starts with
// "file:line[:column]: " when the parser knows where (the path prefix is
// taken off the reason).
Problem ParseProblem(const std::string& path, const std::string& repo_path, const std::string& message);

}  // namespace tollgate::walk
