// The secrets scanner over files (through the core walker), one finding per
// secret, inline suppressions and baselines.
#include <string.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "core/canonical_json.h"
#include "scan/secrets/archive.h"
#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

constexpr std::size_t kSniffBytes = 8000;
constexpr std::string_view kAllowMarker = "tollgate:allow:";
constexpr std::size_t kMinAllowPrefix = 12;

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

// Reads and scans one walked file. Archive members' problems get the
// archive's repository path (plus "!member") for their fingerprints.
void ScanFile(const Scanner& scanner, const walk::Entry& e, const ScanOptions& opts, ScanResult& res) {
  // One buffer per worker thread, grown as needed and never zero-filled.
  thread_local walk::ReadBuffer buf;
  if (auto problem = walk::ReadFile(e, opts.max_file_bytes, buf)) {
    res.problems.push_back(std::move(*problem));
    return;
  }
  const std::size_t first = res.problems.size();
  ScanContent(scanner, buf.view(), e.path, opts, res);
  for (std::size_t i = first; i < res.problems.size(); ++i) {
    walk::Problem& p = res.problems[i];
    if (p.repo_path.empty() && p.path.compare(0, e.path.size(), e.path) == 0)
      p.repo_path = e.repo_path + p.path.substr(e.path.size());
  }
}

// The more specific of two rules that found the same secret: a provider's
// rule over a generic one, then the higher severity (the rule that knows the
// credential rates it), then the rule loaded first.
bool MoreSpecific(const Rule& a, std::size_t ai, const Rule& b, std::size_t bi) {
  const bool ag = a.provider == "generic", bg = b.provider == "generic";
  if (ag != bg) return bg;
  if (a.severity != b.severity) return a.severity > b.severity;
  return ai < bi;
}

// One secret found by several rules (overlapping spans) is one match: the
// most specific rule's; the others are returned by index of the kept match.
std::vector<Match> OneMatchPerSecret(const Scanner& scanner, std::vector<Match> matches,
                                     std::vector<std::vector<std::size_t>>& also) {
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.rule < b.rule;
  });
  const auto& rules = scanner.rules();
  std::vector<Match> out;
  also.clear();
  for (std::size_t i = 0; i < matches.size();) {
    // A group: matches overlapping the first one's span (or a later member's).
    std::size_t j = i + 1, end = matches[i].end, best = i;
    // A path-only rule's match (begin == end == 0) overlaps nothing.
    while (j < matches.size() && matches[i].end > matches[i].begin && matches[j].end > matches[j].begin &&
           matches[j].begin < end) {
      end = std::max(end, matches[j].end);
      if (MoreSpecific(rules[matches[j].rule], matches[j].rule, rules[matches[best].rule], matches[best].rule)) best = j;
      ++j;
    }
    std::vector<std::size_t> others;
    for (std::size_t k = i; k < j; ++k)
      if (k != best && matches[k].rule != matches[best].rule) others.push_back(matches[k].rule);
    std::sort(others.begin(), others.end());
    others.erase(std::unique(others.begin(), others.end()), others.end());
    out.push_back(matches[best]);
    also.push_back(std::move(others));
    i = j;
  }
  return out;
}

}  // namespace

void ScanResult::Absorb(ScanResult&& other) {
  auto move_all = [](auto& dst, auto& src) {
    dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
  };
  move_all(findings, other.findings);
  move_all(problems, other.problems);
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
  std::vector<std::vector<std::size_t>> also;
  const auto matches = OneMatchPerSecret(scanner, scanner.Scan(data, name, commit), also);
  auto findings = ToFindings(scanner, data, name, matches, opts);
  for (std::size_t i = 0; i < findings.size() && i < also.size(); ++i) {
    if (also[i].empty()) continue;
    Json ids = Json::array();
    for (std::size_t r : also[i]) ids.push_back(scanner.rules()[r].id);
    findings[i].details["also_matched"] = std::move(ids);
  }
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
  walk::Options wo;
  wo.gitignore = opts.respect_gitignore;
  wo.exclude = opts.exclude;
  wo.max_file_bytes = opts.max_file_bytes;
  // A work queue over files while the walk goes on: each worker keeps its own
  // result; findings, problems and warnings are sorted at the end, so output
  // does not depend on scheduling. Memory is bounded by the files in flight.
  unsigned threads = opts.threads != 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<ScanResult> per_worker(threads);
  auto walked = walk::WalkParallel(
      paths, wo, threads, [&](const walk::Entry& e, unsigned w) { ScanFile(scanner, e, opts, per_worker[w]); },
      [&](walk::Problem p) {
        if (p.kind == walk::ProblemKind::kNote) res.warnings.push_back(p.Text());
        else res.problems.push_back(std::move(p));
      });
  if (!walked) return Fail(walked.error());
  for (auto& r : per_worker) res.Absorb(std::move(r));
  SortFindings(res.findings);
  std::sort(res.problems.begin(), res.problems.end(),
            [](const walk::Problem& a, const walk::Problem& b) { return a.path < b.path; });
  std::sort(res.warnings.begin(), res.warnings.end());
  std::sort(res.stale_suppressions.begin(), res.stale_suppressions.end());
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
