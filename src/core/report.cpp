// Report writers. Findings carry text from untrusted sources (scanned files,
// imported reports), so every writer makes its output safe for its medium:
// the text writer neutralises control characters (no terminal escape
// injection), the JSON writers replace invalid UTF-8, and the JUnit writer
// emits only characters XML 1.0 allows.
#include "core/report.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <streambuf>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/canonical_json.h"
#include "core/stream_file.h"
#include "core/utf8.h"

namespace tollgate {
namespace {

constexpr std::string_view kSarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";
constexpr std::string_view kSarifFingerprintKey = "tollgate/v1";
constexpr char32_t kReplacement = 0xFFFD;

// ---------------------------------------------------------------- UTF-8 ---

// The code point at s[i], advancing i; invalid UTF-8 consumes one byte and
// reads as U+FFFD, so untrusted text always renders.
char32_t NextOrReplacement(std::string_view s, std::size_t& i) {
  if (auto cp = DecodeUtf8(s, i)) return *cp;
  ++i;
  return kReplacement;
}

std::string HexEscape(char32_t cp) {
  std::array<char, 16> buf{};
  if (cp < 0x100) {
    std::snprintf(buf.data(), buf.size(), "\\x%02x", static_cast<unsigned>(cp));
  } else {
    std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(cp));
  }
  return buf.data();
}

// Code points a terminal would act on rather than show: C0 and C1 controls,
// DEL, and the bidirectional overrides used to disguise code ("Trojan
// Source").
bool IsTerminalControl(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F;
}

// One line of untrusted text made safe for a terminal: controls become
// visible escapes (\x1b), tabs become spaces, invalid UTF-8 becomes U+FFFD.
std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = NextOrReplacement(s, i);
    if (cp == '\t') {
      out += ' ';
    } else if (IsTerminalControl(cp)) {
      out += HexEscape(cp);
    } else {
      AppendUtf8(out, cp);
    }
  }
  return out;
}

std::size_t DisplayWidth(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    NextOrReplacement(s, i);
    ++n;
  }
  return n;
}

std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) nl = s.size();
    std::string_view line = s.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  while (lines.size() > 1 && lines.back().empty()) lines.pop_back();
  return lines;
}

// XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
bool IsXmlChar(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Escape for XML character data or (with `attribute`) a double-quoted
// attribute value. Characters XML 1.0 forbids and invalid UTF-8 become U+FFFD;
// in attributes, tab/newline/CR are written as references so that attribute
// value normalisation keeps them.
std::string XmlEscape(std::string_view s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = NextOrReplacement(s, i);
    if (!IsXmlChar(cp)) cp = kReplacement;
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      default: AppendUtf8(out, cp);
    }
  }
  return out;
}

// A gate summary as the JSON and SARIF writers show it.
Json GateJson(const GateSummary& g, bool with_notes) {
  Json j = {{"name", g.name},         {"source", g.source},     {"fail_on", g.fail_on}, {"decision", g.decision},
            {"findings", g.findings}, {"blocking", g.blocking}, {"waived", g.waived}};
  if (g.baselined > 0) j["baselined"] = g.baselined;  // only then: reports without baselines keep their shape
  if (with_notes) j["notes"] = g.notes;
  return j;
}

std::string DumpJson(const Json& j) {
  // Invalid UTF-8 from scanned content is replaced rather than thrown on.
  return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

// ------------------------------------------------------------- findings ---


std::string LocationText(const Location& loc) {
  if (loc.file.empty()) return {};
  std::string out = loc.file;
  if (loc.line > 0) {
    out += ':' + std::to_string(loc.line);
    if (loc.column > 0) out += ':' + std::to_string(loc.column);
  }
  return out;
}

enum class FindingState { kBlocking, kWaived, kBaselined, kNotBlocking };

using FindingFn = FindingStore::FindingFn;

// The findings a writer reads, in FindingBefore order, as often as it needs:
// a report's own vector, or a FindingStore too large to hold.
class FindingSource {
 public:
  virtual ~FindingSource() = default;
  virtual Status ForEach(const FindingFn& fn) const = 0;
};

// A report's findings, through pointers sorted once (never copies).
class VectorSource final : public FindingSource {
 public:
  explicit VectorSource(const std::vector<Finding>& findings) {
    sorted_.reserve(findings.size());
    for (const Finding& f : findings) sorted_.push_back(&f);
    std::stable_sort(sorted_.begin(), sorted_.end(),
                     [](const Finding* a, const Finding* b) { return FindingBefore(*a, *b); });
  }
  Status ForEach(const FindingFn& fn) const override {
    for (const Finding* f : sorted_) TG_TRY(fn(*f));
    return Ok();
  }

 private:
  std::vector<const Finding*> sorted_;
};

class StoreSource final : public FindingSource {
 public:
  explicit StoreSource(const FindingStore& store) : store_(store) {}
  Status ForEach(const FindingFn& fn) const override { return store_.ForEach(fn); }

 private:
  const FindingStore& store_;
};

// The per-finding facts every writer needs, derived from a Report and its
// findings. Borrows both: they must outlive this object.
class ReportIndex {
 public:
  ReportIndex(const Report& r, const FindingSource& findings) : report_(r), findings_(findings) {
    waived_.insert(r.waived_fingerprints.begin(), r.waived_fingerprints.end());
    baselined_.insert(r.baselined_fingerprints.begin(), r.baselined_fingerprints.end());
    blocking_.insert(r.blocking_fingerprints.begin(), r.blocking_fingerprints.end());
  }

  // Every finding in FindingBefore order.
  Status ForEach(const FindingFn& fn) const { return findings_.ForEach(fn); }

  bool IsWaived(const Finding& f) const { return !f.fingerprint.empty() && waived_.contains(f.fingerprint); }
  bool IsBaselined(const Finding& f) const {
    return !f.fingerprint.empty() && !IsWaived(f) && baselined_.contains(f.fingerprint);
  }

  FindingState State(const Finding& f) const {
    if (IsWaived(f)) return FindingState::kWaived;
    if (IsBaselined(f)) return FindingState::kBaselined;
    if (!f.fingerprint.empty() && blocking_.contains(f.fingerprint)) return FindingState::kBlocking;
    if (report_.blocking_at && AtOrAbove(f.severity, *report_.blocking_at)) return FindingState::kBlocking;
    return FindingState::kNotBlocking;
  }

  struct Group {
    std::string name;  // gate name; empty for a plain scan
    const GateSummary* gate = nullptr;
    std::size_t findings = 0;
    std::size_t blocking = 0;
    std::size_t waived = 0;
    std::size_t baselined = 0;
  };

  // One pass over the findings: the groups and the totals below.
  // Groups are by gate: the summaries' gates first, in their order (even when
  // they have no findings), then any other gate names in finding order. A
  // plain scan is one group named "".
  Status Count() {
    std::map<std::string, std::size_t, std::less<>> index;
    groups_.clear();
    if (report_.gates.empty()) groups_.push_back(Group{});
    for (const GateSummary& g : report_.gates) {
      if (index.contains(g.name)) continue;
      index.emplace(g.name, groups_.size());
      groups_.push_back(Group{g.name, &g});
    }
    return findings_.ForEach([&](const Finding& f) {
      Group* group = &groups_.front();
      if (!report_.gates.empty()) {
        auto it = index.find(f.gate);
        if (it == index.end()) {
          it = index.emplace(f.gate, groups_.size()).first;
          groups_.push_back(Group{f.gate, nullptr});
        }
        group = &groups_[it->second];
      }
      ++group->findings;
      ++total_;
      ++by_severity_[static_cast<std::size_t>(f.severity)];
      const FindingState state = State(f);
      if (state == FindingState::kBlocking) ++group->blocking, ++blocking_count_;
      if (state == FindingState::kWaived) ++group->waived, ++waived_count_;
      if (state == FindingState::kBaselined) ++group->baselined, ++baselined_count_;
      return Ok();
    });
  }
  const std::vector<Group>& groups() const { return groups_; }
  std::size_t total() const { return total_; }
  const std::array<std::size_t, kSeverityCount>& by_severity() const { return by_severity_; }
  std::size_t blocking() const { return blocking_count_; }
  std::size_t waived() const { return waived_count_; }
  std::size_t baselined() const { return baselined_count_; }

  // The findings of one group, in order.
  Status ForEachIn(const Group& group, const FindingFn& fn) const {
    if (report_.gates.empty()) return ForEach(fn);
    return ForEach([&](const Finding& f) { return f.gate == group.name ? fn(f) : Ok(); });
  }

 private:
  const Report& report_;
  const FindingSource& findings_;
  std::set<std::string_view> waived_;  // views of the report's fingerprints
  std::set<std::string_view> baselined_;
  std::set<std::string_view> blocking_;
  std::vector<Group> groups_;
  std::size_t total_ = 0;
  std::array<std::size_t, kSeverityCount> by_severity_{};
  std::size_t blocking_count_ = 0;
  std::size_t waived_count_ = 0;
  std::size_t baselined_count_ = 0;
};

// ----------------------------------------------------------------- text ---

class Painter {
 public:
  explicit Painter(bool color) : color_(color) {}

  std::string Paint(std::string_view text, std::string_view sgr) const {
    if (!color_ || sgr.empty()) return std::string(text);
    std::string out = "\x1b[";
    out += sgr;
    out += 'm';
    out += text;
    out += "\x1b[0m";
    return out;
  }

  static std::string_view SeverityStyle(Severity s) {
    switch (s) {
      case Severity::kCritical: return "1;35";
      case Severity::kHigh: return "1;31";
      case Severity::kMedium: return "33";
      case Severity::kLow: return "36";
      case Severity::kInfo: return "2";
      case Severity::kUnknown: return "1;33";  // bold yellow: nobody rated it
    }
    return "";
  }

  static std::string_view DecisionStyle(std::string_view decision) {
    if (decision == "pass") return "1;32";
    if (decision == "blocked") return "1;31";
    if (decision == "waived") return "1;33";
    return "";
  }

 private:
  bool color_;
};

std::string PadRight(const std::string& s, std::size_t width) {
  std::size_t w = DisplayWidth(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string PadLeft(const std::string& s, std::size_t width) {
  std::size_t w = DisplayWidth(s);
  return w >= width ? s : std::string(width - w, ' ') + s;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

void WriteGateTable(const Report& r, std::ostream& out, const Painter& paint) {
  const std::array<std::string, 7> header = {"GATE", "SOURCE", "FAIL ON", "FINDINGS", "BLOCKING", "WAIVED", "DECISION"};
  std::vector<std::array<std::string, 7>> rows;
  for (const GateSummary& g : r.gates) {
    rows.push_back({Printable(g.name), Printable(g.source), Printable(g.fail_on), std::to_string(g.findings),
                    std::to_string(g.blocking), std::to_string(g.waived), Printable(g.decision)});
  }
  std::array<std::size_t, 7> width{};
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  auto cell = [&](const std::string& s, std::size_t c) {
    bool numeric = c >= 3 && c <= 5;
    return numeric ? PadLeft(s, width[c]) : PadRight(s, width[c]);
  };

  out << paint.Paint("Gates", "1") << "\n";
  for (std::size_t c = 0; c < header.size(); ++c) {
    out << "  " << (c + 1 == header.size() ? header[c] : cell(header[c], c));
  }
  out << "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    for (std::size_t c = 0; c + 1 < row.size(); ++c) out << "  " << cell(row[c], c);
    out << "  " << paint.Paint(row[6], Painter::DecisionStyle(r.gates[i].decision)) << "\n";
    for (const std::string& note : r.gates[i].notes) {
      out << "    note: " << Printable(note) << "\n";
    }
  }
  out << "\n";
}

void WriteTextFinding(const Finding& f, FindingState state, bool show_blocking, std::ostream& out,
                      const Painter& paint) {
  constexpr std::size_t kSeverityWidth = 8;
  const std::string indent(2 + kSeverityWidth + 2, ' ');
  std::string severity = Upper(SeverityName(f.severity));
  out << "  " << paint.Paint(severity, Painter::SeverityStyle(f.severity))
      << std::string(kSeverityWidth > severity.size() ? kSeverityWidth - severity.size() : 0, ' ') << "  "
      << paint.Paint(Printable(f.rule_id), "1");
  std::string where = LocationText(f.location);
  if (!where.empty()) out << "  " << Printable(where);
  if (state == FindingState::kWaived) {
    out << "  " << paint.Paint("[waived]", "33");
  } else if (state == FindingState::kBaselined) {
    out << "  " << paint.Paint("[baselined]", "33");
  } else if (state == FindingState::kBlocking && show_blocking) {
    out << "  " << paint.Paint("[blocking]", "31");
  }
  out << "\n";
  if (!f.message.empty()) {
    for (std::string_view line : SplitLines(f.message)) out << indent << Printable(line) << "\n";
  }
  std::string meta;
  if (!f.fingerprint.empty()) meta += "fingerprint " + Printable(f.fingerprint);
  if (!f.tool.empty()) meta += (meta.empty() ? "" : "  ") + std::string("tool ") + Printable(f.tool);
  if (!meta.empty()) out << indent << paint.Paint(meta, "2") << "\n";
  if (!f.remediation.empty()) {
    bool first = true;
    for (std::string_view line : SplitLines(f.remediation.str())) {
      out << indent << (first ? "fix: " : "     ") << Printable(line) << "\n";
      first = false;
    }
  }
  if (!f.references.empty()) {
    std::string refs;
    for (const std::string& ref : f.references) refs += (refs.empty() ? "" : ", ") + Printable(ref);
    out << indent << "refs: " << refs << "\n";
  }
}

std::string Plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string SeverityCounts(const std::array<std::size_t, kSeverityCount>& counts) {
  std::string out;
  for (std::size_t i = counts.size(); i-- > 0;) {
    if (counts[i] == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(counts[i]) + " " + std::string(SeverityName(static_cast<Severity>(i)));
  }
  return out;
}

// `text` (a DumpJson) written `depth` spaces to the right: every line after
// the first moves (JSON strings hold no raw newline, so each '\n' is a line).
void WriteIndented(std::ostream& out, std::string_view text, std::size_t depth) {
  const std::string pad(depth, ' ');
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n', start)) {
    out.write(text.data() + start, static_cast<std::streamsize>(nl + 1 - start));
    out << pad;
    start = nl + 1;
  }
  out.write(text.data() + start, static_cast<std::streamsize>(text.size() - start));
}

// ---------------------------------------------------------------- SARIF ---

std::string_view SarifLevel(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "error";
    case Severity::kMedium:
    case Severity::kUnknown: return "warning";
    case Severity::kLow:
    case Severity::kInfo: return "note";
  }
  return "note";
}

// The GitHub code scanning convention: a CVSS-like score as a string.
std::string_view SecuritySeverity(Severity s) {
  switch (s) {
    case Severity::kCritical: return "9.5";
    case Severity::kHigh: return "8.0";
    case Severity::kMedium: return "5.5";
    case Severity::kLow: return "2.0";
    case Severity::kInfo: return "0.0";
    case Severity::kUnknown: return "";  // no score is claimed for what nobody rated
  }
  return "0.0";
}

bool HasUriScheme(std::string_view s) {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;  // "C:/x" is a drive, not a scheme
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// Percent-encode every byte outside `keep` and the URI unreserved set.
std::string PercentEncode(std::string_view s, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved || (c < 0x80 && keep.find(ch) != std::string_view::npos)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

// Location.file as an artifactLocation.uri: repository-relative paths become
// relative references, absolute paths file:// URIs, and URIs (a DAST target)
// stay as they are apart from characters no URI may contain.
std::string ArtifactUri(const std::string& file) {
  if (HasUriScheme(file)) return PercentEncode(file, "!$&'()*+,;=:@/?#[]%");
  std::string path = file;
  std::replace(path.begin(), path.end(), '\\', '/');
  std::string encoded = PercentEncode(path, "!$&'()*+,;=@/");
  if (path.starts_with('/')) return "file://" + encoded;
  if (path.size() >= 3 && path[1] == ':' && path[2] == '/' &&
      ((path[0] >= 'a' && path[0] <= 'z') || (path[0] >= 'A' && path[0] <= 'Z'))) {
    return "file:///" + path.substr(0, 2) + PercentEncode(path.substr(2), "!$&'()*+,;=@/");
  }
  return encoded;
}

// A rule of the SARIF output, gathered from its findings in order: the first
// (most severe, as findings are sorted) gives its level, the first with a
// remediation its help, and all of them their references as tags.
class SarifRuleBuilder {
 public:
  explicit SarifRuleBuilder(const Finding& first) : id_(first.rule_id), severity_(first.severity) {}
  void Add(const Finding& f) {
    if (remediation_.empty() && !f.remediation.empty()) remediation_ = f.remediation.str();
    for (const std::string& ref : f.references)
      if (std::find(tags_.begin(), tags_.end(), ref) == tags_.end()) tags_.push_back(ref);
  }
  Json ToJson() const {
    Json rule = Json::object();
    rule["id"] = id_;
    rule["shortDescription"] = {{"text", id_}};
    if (!remediation_.empty()) rule["help"] = {{"text", remediation_}};
    rule["defaultConfiguration"] = {{"level", std::string(SarifLevel(severity_))}};
    rule["properties"] = {{"tags", tags_}};
    if (!SecuritySeverity(severity_).empty()) rule["properties"]["security-severity"] = std::string(SecuritySeverity(severity_));
    return rule;
  }

 private:
  std::string id_;
  Severity severity_;
  std::string remediation_;
  std::vector<std::string> tags_ = {"security"};
};

// An ostream's buffer that passes what is written to an AtomicFileWriter in
// pieces; the first failure is kept and later output dropped.
class AtomicWriterBuf final : public std::streambuf {
 public:
  explicit AtomicWriterBuf(AtomicFileWriter& writer) : writer_(writer) { setp(buf_.data(), buf_.data() + buf_.size()); }

  // Passes on what is buffered; the first error since the start.
  Status Finish() {
    Drain();
    return status_;
  }

 protected:
  int_type overflow(int_type c) override {
    Drain();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return status_ ? traits_type::not_eof(c) : traits_type::eof();
  }
  int sync() override {
    Drain();
    return status_ ? 0 : -1;
  }

 private:
  void Drain() {
    const auto n = static_cast<std::size_t>(pptr() - pbase());
    if (n > 0 && status_) status_ = writer_.Write(std::string_view(pbase(), n));
    setp(buf_.data(), buf_.data() + buf_.size());
  }

  AtomicFileWriter& writer_;
  std::array<char, 1 << 16> buf_{};
  Status status_ = Ok();
};

}  // namespace

std::string MarkupEscape(std::string_view text) { return XmlEscape(text, true); }

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "text") return OutputFormat::kText;
  if (name == "json") return OutputFormat::kJson;
  if (name == "sarif") return OutputFormat::kSarif;
  if (name == "junit") return OutputFormat::kJunit;
  return std::nullopt;
}

namespace {

Status WriteTextFrom(const Report& r, const FindingSource& findings, std::ostream& out, const TextOptions& opts) {
  Painter paint(opts.color);
  ReportIndex index(r, findings);
  TG_TRY(index.Count());
  if (!r.gates.empty()) WriteGateTable(r, out, paint);

  const bool gated = !r.gates.empty();
  if (!opts.summary) {
    for (const auto& group : index.groups()) {
      if (group.findings == 0) continue;
      std::string title = group.name.empty() ? "Findings" : "Findings: " + Printable(group.name);
      out << paint.Paint(title, "1") << " (" << group.findings << ")\n";
      TG_TRY(index.ForEachIn(group, [&](const Finding& f) {
        WriteTextFinding(f, index.State(f), gated, out, paint);
        return Ok();
      }));
      out << "\n";
    }
    if (index.total() == 0) out << "No findings.\n\n";
  }

  std::string counts = SeverityCounts(index.by_severity());
  std::string total = Plural(index.total(), "finding", "findings");
  if (!counts.empty()) total += " (" + counts + ")";
  std::size_t blocking = index.blocking();
  std::size_t waived = index.waived();
  std::size_t baselined = index.baselined();
  if (!r.overall.empty()) {
    if (gated) {
      blocking = 0;
      waived = 0;
      baselined = 0;
      for (const GateSummary& g : r.gates) {
        blocking += g.blocking;
        waived += g.waived;
        baselined += g.baselined;
      }
    }
    out << "Overall: " << paint.Paint(Upper(Printable(r.overall)), Painter::DecisionStyle(r.overall)) << " - "
        << total << ", " << blocking << " blocking, " << waived << " waived";
    if (baselined > 0) out << ", " << baselined << " baselined";
    out << "\n";
  } else {
    out << "Total: " << total;
    if (waived > 0) out << ", " << waived << " waived";
    out << "\n";
  }
  if (r.metadata.is_object() && !r.metadata.empty() && !opts.summary) {
    for (const auto& [k, v] : r.metadata.items())
      out << paint.Paint(Printable(k) + ": " + Printable(v.is_string() ? v.get<std::string>() : v.dump()), "2") << "\n";
  }
  return Ok();
}

Status WriteJsonFrom(const Report& r, const FindingSource& findings, std::ostream& out) {
  // The document's members other than the findings, as one JSON value; the
  // findings are written one at a time into its "findings" array, indented
  // as DumpJson indents them in place. Members are written in key order, so
  // "findings" is the first.
  ReportIndex index(r, findings);
  Json doc = Json::object();
  Json tool = {{"name", r.tool_name}};
  if (!r.tool_version.empty()) tool["version"] = r.tool_version;
  doc["tool"] = std::move(tool);
  doc["overall"] = r.overall;
  Json gates = Json::array();
  for (const GateSummary& g : r.gates) gates.push_back(GateJson(g, /*with_notes=*/true));
  doc["gates"] = std::move(gates);
  doc["findings"] = Json::array();
  if (r.metadata.is_object() && !r.metadata.empty()) doc["metadata"] = r.metadata;
  const std::string rest = DumpJson(doc);
  constexpr std::string_view kHead = "{\n  \"findings\": []";
  // The first member of a sorted object of these keys is "findings".
  std::string_view tail = std::string_view(rest).substr(kHead.size());

  out << "{\n  \"findings\": ";
  bool first = true;
  TG_TRY(index.ForEach([&](const Finding& f) {
    Json j = ToJson(f);
    j["waived"] = index.IsWaived(f);
    if (index.IsBaselined(f)) j["baselined"] = true;  // only then, as the gate's count
    j["blocking"] = index.State(f) == FindingState::kBlocking;
    out << (first ? "[\n    " : ",\n    ");
    first = false;
    WriteIndented(out, DumpJson(j), 4);
    return Ok();
  }));
  out << (first ? "[]" : "\n  ]");
  out << tail << "\n";
  return Ok();
}

}  // namespace

Result<Report> ReportFromJson(const Json& doc) {
  auto bad = [](const std::string& what) { return Fail(Error::Input("report JSON: " + what)); };
  if (!doc.is_object()) return bad("expected an object");
  Report r;
  if (auto t = doc.find("tool"); t != doc.end() && t->is_object()) {
    r.tool_name = t->value("name", r.tool_name);
    r.tool_version = t->value("version", "");
  }
  if (auto o = doc.find("overall"); o != doc.end()) {
    if (!o->is_string()) return bad("\"overall\" must be a string");
    r.overall = o->get<std::string>();
  }
  if (auto gs = doc.find("gates"); gs != doc.end()) {
    if (!gs->is_array()) return bad("\"gates\" must be an array");
    for (const Json& g : *gs) {
      if (!g.is_object()) return bad("a gate must be an object");
      GateSummary s;
      try {
        s.name = g.at("name").get<std::string>();
        s.source = g.value("source", "");
        s.fail_on = g.value("fail_on", "");
        s.decision = g.value("decision", "");
        s.findings = g.value("findings", std::size_t{0});
        s.blocking = g.value("blocking", std::size_t{0});
        s.waived = g.value("waived", std::size_t{0});
        s.baselined = g.value("baselined", std::size_t{0});
        if (g.contains("notes")) s.notes = g.at("notes").get<std::vector<std::string>>();
      } catch (const Json::exception& e) {
        return bad(std::string("gate: ") + e.what());
      }
      r.gates.push_back(std::move(s));
    }
  }
  if (auto fs = doc.find("findings"); fs != doc.end()) {
    if (!fs->is_array()) return bad("\"findings\" must be an array");
    for (const Json& j : *fs) {
      if (!j.is_object()) return bad("a finding must be an object");
      Json plain = j;
      bool waived = plain.value("waived", false);
      bool blocking = plain.value("blocking", false);
      bool baselined = plain.value("baselined", false);
      plain.erase("waived");
      plain.erase("blocking");
      plain.erase("baselined");
      auto f = FindingFromJson(plain);
      if (!f) return Fail(f.error().WithContext("report JSON"));
      if (waived) r.waived_fingerprints.push_back(f->fingerprint);
      if (baselined) r.baselined_fingerprints.push_back(f->fingerprint);
      if (blocking) r.blocking_fingerprints.push_back(f->fingerprint);
      r.findings.push_back(std::move(*f));
    }
  }
  if (auto m = doc.find("metadata"); m != doc.end() && m->is_object()) r.metadata = *m;
  return r;
}

namespace {

Status WriteSarifFrom(const Report& r, const FindingSource& findings, std::ostream& out) {
  ReportIndex index(r, findings);
  // Rules in order of first appearance; the first finding of each rule is its
  // most severe one.
  std::vector<SarifRuleBuilder> rules;
  std::map<std::string, std::size_t, std::less<>> rule_index;
  TG_TRY(index.ForEach([&](const Finding& f) {
    auto [it, inserted] = rule_index.try_emplace(f.rule_id, rules.size());
    if (inserted) rules.emplace_back(f);
    rules[it->second].Add(f);
    return Ok();
  }));

  // The document as DumpJson would print it whole, with the results written
  // one at a time: members in key order ("$schema", "runs", "version"; in the
  // run "properties", "results", "tool").
  Json run_properties;
  if (!r.gates.empty() || !r.overall.empty()) {
    Json gates = Json::array();
    for (const GateSummary& g : r.gates) gates.push_back(GateJson(g, /*with_notes=*/false));
    run_properties = {{"overall", r.overall}, {"gates", std::move(gates)}};
  }
  if (r.metadata.is_object() && !r.metadata.empty()) run_properties["metadata"] = r.metadata;
  out << "{\n  \"$schema\": " << DumpJson(std::string(kSarifSchema)) << ",\n  \"runs\": [\n    {\n";
  if (!run_properties.is_null()) {
    out << "      \"properties\": ";
    WriteIndented(out, DumpJson(run_properties), 6);
    out << ",\n";
  }
  out << "      \"results\": ";
  bool first = true;
  TG_TRY(index.ForEach([&](const Finding& f) {
    Json result = Json::object();
    result["ruleId"] = f.rule_id;
    result["ruleIndex"] = rule_index.at(f.rule_id);
    result["level"] = std::string(SarifLevel(f.severity));
    result["message"] = {{"text", f.message.empty() ? f.rule_id : f.message}};
    if (!f.location.file.empty()) {
      Json physical = {{"artifactLocation", {{"uri", ArtifactUri(f.location.file)}}}};
      if (f.location.line > 0) {
        Json region = {{"startLine", f.location.line}};
        if (f.location.column > 0) region["startColumn"] = f.location.column;
        physical["region"] = std::move(region);
      }
      result["locations"] = Json::array({{{"physicalLocation", std::move(physical)}}});
    }
    if (!f.fingerprint.empty()) {
      result["partialFingerprints"] = {{std::string(kSarifFingerprintKey), f.fingerprint}};
    }
    Json props = {{"severity", std::string(SeverityName(f.severity))}};
    if (!SecuritySeverity(f.severity).empty()) props["security-severity"] = std::string(SecuritySeverity(f.severity));
    if (!f.gate.empty()) props["gate"] = f.gate;
    if (!f.tool.empty()) props["tool"] = f.tool;
    result["properties"] = std::move(props);
    if (index.IsWaived(f)) {
      result["suppressions"] = Json::array({{{"kind", "external"}, {"status", "accepted"}}});
    } else if (index.IsBaselined(f)) {
      result["suppressions"] =
          Json::array({{{"kind", "external"}, {"status", "accepted"}, {"justification", "baseline"}}});
    }
    out << (first ? "[\n        " : ",\n        ");
    first = false;
    WriteIndented(out, DumpJson(result), 8);
    return Ok();
  }));
  out << (first ? "[]" : "\n      ]");

  Json rules_json = Json::array();
  for (const SarifRuleBuilder& rule : rules) rules_json.push_back(rule.ToJson());
  Json driver = {{"name", r.tool_name.empty() ? std::string("tollgate") : r.tool_name},
                 {"rules", std::move(rules_json)}};
  if (!r.tool_version.empty()) driver["version"] = r.tool_version;
  out << ",\n      \"tool\": ";
  WriteIndented(out, DumpJson(Json{{"driver", std::move(driver)}}), 6);
  out << "\n    }\n  ],\n  \"version\": \"2.1.0\"\n}\n";
  return Ok();
}

Status WriteJunitFrom(const Report& r, const FindingSource& findings, std::ostream& out) {
  ReportIndex index(r, findings);
  TG_TRY(index.Count());
  std::size_t total_tests = 0;
  std::size_t total_failures = 0;
  std::size_t total_skipped = 0;
  for (const auto& group : index.groups()) {
    total_tests += std::max<std::size_t>(group.findings, 1);
    total_failures += group.blocking;
    total_skipped += group.waived + group.baselined;
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"" << XmlEscape(r.tool_name.empty() ? "tollgate" : r.tool_name, true) << "\" tests=\""
      << total_tests << "\" failures=\"" << total_failures << "\" errors=\"0\" skipped=\"" << total_skipped
      << "\">\n";
  for (const auto& group : index.groups()) {
    // A plain scan is one suite named after the tool.
    const std::string name = r.gates.empty() ? (r.tool_name.empty() ? "tollgate" : r.tool_name) : group.name;
    const std::string classname = XmlEscape("tollgate." + name, true);
    out << "  <testsuite name=\"" << XmlEscape(name, true) << "\" tests=\"" << std::max<std::size_t>(group.findings, 1)
        << "\" failures=\"" << group.blocking << "\" errors=\"0\" skipped=\"" << group.waived + group.baselined
        << "\">\n";
    if (group.gate != nullptr) {
      out << "    <properties>\n";
      auto property = [&](std::string_view key, const std::string& value) {
        out << "      <property name=\"" << key << "\" value=\"" << XmlEscape(value, true) << "\"/>\n";
      };
      property("source", group.gate->source);
      property("fail_on", group.gate->fail_on);
      property("decision", group.gate->decision);
      for (const std::string& note : group.gate->notes) property("note", note);
      out << "    </properties>\n";
    }
    TG_TRY(index.ForEachIn(group, [&](const Finding& f) {
      std::string test = f.rule_id;
      std::string where = LocationText(f.location);
      if (!where.empty()) test += " at " + where;
      out << "    <testcase classname=\"" << classname << "\" name=\"" << XmlEscape(test, true) << "\"";
      switch (index.State(f)) {
        case FindingState::kNotBlocking: out << "/>\n"; break;
        case FindingState::kWaived: out << ">\n      <skipped message=\"waived\"/>\n    </testcase>\n"; break;
        case FindingState::kBaselined: out << ">\n      <skipped message=\"baselined\"/>\n    </testcase>\n"; break;
        case FindingState::kBlocking: {
          std::string details = "severity: " + std::string(SeverityName(f.severity)) + "\nrule: " + f.rule_id;
          if (!where.empty()) details += "\nlocation: " + where;
          if (!f.message.empty()) details += "\nmessage: " + f.message;
          if (!f.fingerprint.empty()) details += "\nfingerprint: " + f.fingerprint;
          if (!f.tool.empty()) details += "\ntool: " + f.tool;
          if (!f.remediation.empty()) details += "\nremediation: " + f.remediation.str();
          if (!f.references.empty()) {
            details += "\nreferences:";
            for (const std::string& ref : f.references) details += " " + ref;
          }
          out << ">\n      <failure message=\"" << XmlEscape(f.message.empty() ? f.rule_id : f.message, true)
              << "\" type=\"" << SeverityName(f.severity) << "\">" << XmlEscape(details, false)
              << "</failure>\n    </testcase>\n";
          break;
        }
      }
      return Ok();
    }));
    if (group.findings == 0) out << "    <testcase classname=\"" << classname << "\" name=\"no findings\"/>\n";
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return Ok();
}

Status WriteFrom(const Report& r, const FindingSource& findings, OutputFormat format, std::ostream& out,
                 const TextOptions& opts) {
  switch (format) {
    case OutputFormat::kText: return WriteTextFrom(r, findings, out, opts);
    case OutputFormat::kJson: return WriteJsonFrom(r, findings, out);
    case OutputFormat::kSarif: return WriteSarifFrom(r, findings, out);
    case OutputFormat::kJunit: return WriteJunitFrom(r, findings, out);
  }
  return Ok();
}

Status WriteFileFrom(const Report& r, const FindingSource& findings, OutputFormat format, const std::string& path,
                     const TextOptions& opts) {
  auto writer = AtomicFileWriter::Create(path);
  if (!writer) return Fail(writer.error());
  AtomicWriterBuf buf(*writer);
  std::ostream out(&buf);
  TG_TRY(WriteFrom(r, findings, format, out, opts));
  out.flush();
  TG_TRY(buf.Finish());
  return writer->Commit();
}

}  // namespace

// A report's own findings are in memory: reading them cannot fail.
void WriteText(const Report& r, std::ostream& out, const TextOptions& opts) {
  (void)WriteTextFrom(r, VectorSource(r.findings), out, opts);
}
void WriteJson(const Report& r, std::ostream& out) { (void)WriteJsonFrom(r, VectorSource(r.findings), out); }
void WriteSarif(const Report& r, std::ostream& out) { (void)WriteSarifFrom(r, VectorSource(r.findings), out); }
void WriteJunit(const Report& r, std::ostream& out) { (void)WriteJunitFrom(r, VectorSource(r.findings), out); }

void WriteReport(const Report& r, OutputFormat format, std::ostream& out, const TextOptions& opts) {
  (void)WriteFrom(r, VectorSource(r.findings), format, out, opts);
}

Status WriteReport(const Report& r, const FindingStore& findings, OutputFormat format, std::ostream& out,
                   const TextOptions& opts) {
  return WriteFrom(r, StoreSource(findings), format, out, opts);
}

Status WriteReportFile(const Report& r, OutputFormat format, const std::string& path, const TextOptions& opts) {
  return WriteFileFrom(r, VectorSource(r.findings), format, path, opts);
}

Status WriteReportFile(const Report& r, const FindingStore& findings, OutputFormat format, const std::string& path,
                       const TextOptions& opts) {
  return WriteFileFrom(r, StoreSource(findings), format, path, opts);
}

}  // namespace tollgate
