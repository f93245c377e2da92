// The secrets scanner: every rule compiled into one Vectorscan database that
// reads each input once; each candidate is confirmed, and its secret
// extracted, by RE2 on a bounded window around the hit (docs/secrets.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/result.h"
#include "core/walk.h"

namespace tollgate::secrets {

// An allowlist beyond a rule's simple one (gitleaks `[[rules.allowlists]]`,
// `[[allowlists]]`): its regexes test the secret, the whole match or the
// match's line; with `all` (gitleaks `condition = "AND"`) a finding is
// allowed only when every criterion given holds, otherwise when any does.
struct Allowlist {
  enum class Target { kSecret, kMatch, kLine };
  Target target = Target::kSecret;
  bool all = false;
  // gitleaks `commits`: full commit ids (lowercased by AddAllowlist). Only a
  // history scan (--git) knows the commit of a finding; in a file scan no
  // commit matches.
  std::vector<std::string> commits;
  std::vector<std::string> regexes;
  std::vector<std::string> stopwords;  // lowercase substrings of the secret
  std::vector<std::string> paths;
};

// A companion of a multi-part rule: the finding counts only when `rule` also
// matched within `within_lines` lines (negative: anywhere in the same input).
struct Companion {
  std::string rule;
  int within_lines = 5;
};

struct Rule {
  std::string id;
  std::string description;
  std::string provider;
  Severity severity = Severity::kHigh;
  std::string regex;  // may be empty for a path-only rule
  // Optional Vectorscan expression matching wherever `regex` does (a superset,
  // ending at most ~100 bytes after the match starts), for a regex too long
  // or too slow for Vectorscan itself; RE2 confirms with `regex`.
  std::string prefilter;
  // With a prefilter that finds a companion or keyword rather than the match
  // itself: RE2 looks this many bytes before and after each prefilter hit
  // (0: derived from the regex's width).
  int prefilter_window = 0;
  // With a prefilter that ends one byte after a word of letters and digits
  // (a list of names, then a follower): the regex's match starts at most this
  // many bytes before that word, so RE2 tries only those starts, anchored,
  // instead of searching a window (0: search the window).
  int prefilter_word_anchor = 0;
  std::string path;   // optional: the rule applies only to files whose path matches; alone, it flags the file
  int secret_group = 0;
  std::vector<std::string> keywords;  // lowercase; the rule runs only where one occurs
  std::optional<double> entropy;      // minimum Shannon entropy of the secret, bits per byte
  std::string remediation;
  std::vector<std::string> references;
  std::vector<std::string> examples;
  std::vector<std::string> negative_examples;
  // The simple allowlist: any hit suppresses (regexes against the secret).
  std::vector<std::string> allow_regexes;    // against the secret
  std::vector<std::string> allow_stopwords;  // lowercase substrings of the secret
  std::vector<std::string> allow_paths;      // file paths where the rule is off
  std::vector<Allowlist> allowlists;         // the others: match/line targets, AND conditions
  std::vector<Companion> companions;         // multi-part ([rule.requires]): every companion must be near
  std::string origin;  // "rules/aws.toml:12" for messages
};

// "secret", "match" or "line" (gitleaks `regexTarget`); nullopt for others.
std::optional<Allowlist::Target> ParseRegexTarget(std::string_view s);
// "OR" -> false, "AND" -> true (`all`; gitleaks `condition`); nullopt for others.
std::optional<bool> ParseConditionAll(std::string_view s);
// Gives a rule an allowlist. An OR list is split exactly: its paths turn the
// rule off on those files, its stopwords and secret regexes join the simple
// allowlist, and only regexes on the match or line stay a list of their own.
// An AND list stays whole. Stopwords and commit ids are lowercased.
void AddAllowlist(Rule& r, Allowlist a);

// Our TOML rule format (rules/README.md). `name` names the source in errors,
// which read "<name>:<line>:<col>: rule '<id>': <problem>".
Result<std::vector<Rule>> ParseRules(std::string_view toml, const std::string& name);
// Reads our format or, when the file uses gitleaks' layout ([[rules]],
// [extend], [allowlist]), a gitleaks configuration: `[extend] useDefault`
// adds our built-in rules, `disabledRules` drops them by id, the global
// allowlist applies to every rule (docs/secrets.md lists what maps how).
Result<std::vector<Rule>> LoadRulesFile(const std::string& path);
Result<std::vector<Rule>> ParseGitleaksRules(std::string_view toml, const std::string& name);
// The built-in rule set, compiled into the binary from rules/*.toml.
Result<std::vector<Rule>> BuiltinRules();

// One confirmed secret in a buffer.
struct Match {
  std::size_t rule = 0;      // index into the scanner's rules
  std::size_t begin = 0;     // byte offsets of the secret in the buffer
  std::size_t end = 0;
  std::uint32_t line = 0;    // 1-based line and column of the secret
  std::uint32_t column = 0;
};

class Scanner {
 public:
  // Compiles every rule (Vectorscan database + RE2 programs). A rule that does
  // not compile is an input error naming its origin and id.
  static Result<Scanner> Compile(std::vector<Rule> rules);
  Scanner(Scanner&&) noexcept;
  Scanner& operator=(Scanner&&) noexcept;
  ~Scanner();

  // All confirmed matches in `data`, in order of position, every rule that
  // matched (ScanBuffer makes one finding per secret). `path` enables the
  // rules' path allowlists, `commit` (history scans) their commit lists.
  // Thread-safe: concurrent calls are fine.
  std::vector<Match> Scan(std::string_view data, std::string_view path, std::string_view commit = {}) const;

  const std::vector<Rule>& rules() const;

 private:
  struct Impl;
  explicit Scanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

double ShannonEntropy(std::string_view s);

// "AKIA…KLMPZ (20 chars)": enough to recognise a secret, not to use it.
std::string Redact(std::string_view secret);

// Live counters for a progress display; a scan only adds to them.
struct ScanProgress {
  std::atomic<std::uint64_t> files{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> commits{0};  // history scans: commits walked so far
};

struct ScanOptions {
  ScanProgress* progress = nullptr;  // optional; must outlive the scan
  std::uint64_t max_file_bytes = 50ull << 20;  // larger files are skipped with a warning
  bool redact = true;
  unsigned threads = 0;  // 0: one per core
  bool respect_gitignore = true;  // skip what the enclosing git work tree ignores
  std::vector<std::string> exclude;  // globs below each root (core/walk.h); excluded files are never opened
  bool archives = true;           // look inside zip/tar/compressed files
  // Inline "tollgate:allow:<fingerprint>" comments. Local scans apply them;
  // a gate must not let the change's author decide, so it sets this to false:
  // the finding is kept and carries details.suppression {line, kind, marker}
  // for the gate to report (docs/secrets.md#suppressions).
  bool apply_inline_allows = true;
};

struct ScanResult {
  std::vector<Finding> findings;
  // What could not be read completely (an unreadable, oversized or special
  // file, a symbolic link loop, an archive bomb or a corrupt archive): a gate
  // turns each into an `incomplete-scan` finding (walk::ProblemFinding).
  std::vector<walk::Problem> problems;
  std::vector<std::string> warnings;  // notes: nothing was lost (a broken symlink)
  // Inline "tollgate:allow:<fingerprint prefix>" comments that matched no
  // finding: "file:line: ..." so they can be removed.
  std::vector<std::string> stale_suppressions;
  std::uint64_t suppressed = 0;  // findings accepted inline or by the baseline
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;

  // Moves everything of `other` into this result (findings stay unsorted).
  void Absorb(ScanResult&& other);
};

// Scans files and directories with the core walker (recursively; .git, paths
// the enclosing git work tree ignores and `exclude` globs are skipped,
// binaries by content sniff too; what cannot be read completely is a
// problem). Paths in findings are as given, '/' separated. One secret that
// several rules find is one finding: the most specific rule's, the others
// listed in details.also_matched.
Result<ScanResult> ScanPaths(const Scanner& scanner, const std::vector<std::string>& paths, const ScanOptions& opts);

// Scans the content of one file or stream: an archive's members (when
// opts.archives), nothing for binary content, else the text (ScanBuffer).
void ScanContent(const Scanner& scanner, std::string_view data, const std::string& name, const ScanOptions& opts,
                 ScanResult& res, int depth = 0);

// Scans one text buffer (standard input, an archive member, a git blob) into
// `res`, applying inline suppressions. `commit`: the commit a git blob is
// attributed to, for allowlists that name commits.
void ScanBuffer(const Scanner& scanner, std::string_view data, const std::string& name, const ScanOptions& opts,
                ScanResult& res, std::string_view commit = {});

// Scans the history of the git repository containing `repo_path`: every blob
// reachable from any ref (or, with `since`, from the refs but not from that
// revision) is scanned once, and each finding is attributed to the oldest
// commit (in topological order) that introduced the blob: its location names
// the commit, the message its author and date. Unreadable or corrupt objects
// are skipped with a warning.
struct GitScanOptions {
  std::string since;  // a revision, e.g. origin/main; empty = all history
};
Result<ScanResult> ScanGitHistory(const Scanner& scanner, const std::string& repo_path, const GitScanOptions& git,
                                  const ScanOptions& opts);

// A baseline: fingerprints of accepted findings, kept in a JSON file
// ({"version": 1, "findings": [{"fingerprint", "rule_id", "file"}]}). It binds
// to the secret's content, so it survives moved lines and rebases.
struct Baseline {
  std::vector<std::string> fingerprints;
};
Result<Baseline> LoadBaseline(const std::string& path);
std::string BaselineJson(const std::vector<Finding>& findings);
// Removes baselined findings from `res`; entries that matched nothing are
// listed in res.stale_suppressions.
void ApplyBaseline(const Baseline& baseline, const std::string& path, ScanResult& res);

// Findings for the matches of one buffer.
std::vector<Finding> ToFindings(const Scanner& scanner, std::string_view data, std::string_view path,
                                const std::vector<Match>& matches, const ScanOptions& opts);

}  // namespace tollgate::secrets
