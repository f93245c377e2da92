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

enum class FindingState { kBlocking, kWaived, kNotBlocking };

// The per-finding facts every writer needs, derived once from a Report.
// Borrows `r`: it must outlive this object. Holds pointers into the report,
// never copies of its findings or fingerprints.
class ReportIndex {
 public:
  explicit ReportIndex(const Report& r) : report_(r) {
    findings_.reserve(r.findings.size());
    for (const Finding& f : r.findings) findings_.push_back(&f);
    std::stable_sort(findings_.begin(), findings_.end(),
                     [](const Finding* a, const Finding* b) { return FindingBefore(*a, *b); });
    waived_.insert(r.waived_fingerprints.begin(), r.waived_fingerprints.end());
    blocking_.insert(r.blocking_fingerprints.begin(), r.blocking_fingerprints.end());
  }

  // The report's findings in FindingBefore order.
  const std::vector<const Finding*>& findings() const { return findings_; }

  bool IsWaived(const Finding& f) const { return !f.fingerprint.empty() && waived_.contains(f.fingerprint); }

  FindingState State(const Finding& f) const {
    if (IsWaived(f)) return FindingState::kWaived;
    if (!f.fingerprint.empty() && blocking_.contains(f.fingerprint)) return FindingState::kBlocking;
    return FindingState::kNotBlocking;
  }

  struct Group {
    std::string name;  // gate name; empty for a plain scan
    const GateSummary* gate = nullptr;
    std::vector<const Finding*> findings;
  };

  // Findings grouped by gate: the summaries' gates first, in their order
  // (even when they have no findings), then any other gate names in finding
  // order. A plain scan is one group named "".
  std::vector<Group> Groups() const {
    std::vector<Group> groups;
    std::map<std::string, std::size_t, std::less<>> index;
    if (report_.gates.empty()) {
      Group all;
      all.findings = findings_;
      groups.push_back(std::move(all));
      return groups;
    }
    for (const GateSummary& g : report_.gates) {
      if (index.contains(g.name)) continue;
      index.emplace(g.name, groups.size());
      groups.push_back(Group{g.name, &g, {}});
    }
    for (const Finding* f : findings_) {
      auto it = index.find(f->gate);
      if (it == index.end()) {
        it = index.emplace(f->gate, groups.size()).first;
        groups.push_back(Group{f->gate, nullptr, {}});
      }
      groups[it->second].findings.push_back(f);
    }
    return groups;
  }

 private:
  const Report& report_;
  std::vector<const Finding*> findings_;  // sorted
  std::set<std::string_view> waived_;     // views of the report's fingerprints
  std::set<std::string_view> blocking_;
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

std::string SeverityCounts(const std::vector<const Finding*>& findings) {
  std::array<std::size_t, 5> counts{};
  for (const Finding* f : findings) ++counts[static_cast<std::size_t>(f->severity)];
  std::string out;
  for (std::size_t i = counts.size(); i-- > 0;) {
    if (counts[i] == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(counts[i]) + " " + std::string(SeverityName(static_cast<Severity>(i)));
  }
  return out;
}

// ---------------------------------------------------------------- SARIF ---

std::string_view SarifLevel(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "error";
    case Severity::kMedium: return "warning";
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

Json SarifRule(const Finding& first, const std::vector<const Finding*>& all) {
  Json rule = Json::object();
  rule["id"] = first.rule_id;
  rule["shortDescription"] = {{"text", first.rule_id}};
  std::string remediation;
  for (const Finding* f : all) {
    if (!f->remediation.empty()) {
      remediation = f->remediation.str();
      break;
    }
  }
  if (!remediation.empty()) {
    rule["help"] = {{"text", remediation}};
  }
  // Findings are sorted most severe first, so `first` carries the rule's
  // highest severity.
  rule["defaultConfiguration"] = {{"level", std::string(SarifLevel(first.severity))}};
  std::vector<std::string> tags = {"security"};
  for (const Finding* f : all) {
    for (const std::string& ref : f->references) {
      if (std::find(tags.begin(), tags.end(), ref) == tags.end()) tags.push_back(ref);
    }
  }
  rule["properties"] = {{"tags", tags}, {"security-severity", std::string(SecuritySeverity(first.severity))}};
  return rule;
}

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

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "text") return OutputFormat::kText;
  if (name == "json") return OutputFormat::kJson;
  if (name == "sarif") return OutputFormat::kSarif;
  if (name == "junit") return OutputFormat::kJunit;
  return std::nullopt;
}

void WriteText(const Report& r, std::ostream& out, const TextOptions& opts) {
  Painter paint(opts.color);
  ReportIndex index(r);
  if (!r.gates.empty()) WriteGateTable(r, out, paint);

  const bool gated = !r.gates.empty();
  std::size_t blocking = 0;
  std::size_t waived = 0;
  for (const auto& group : index.Groups()) {
    if (group.findings.empty()) continue;
    std::string title = group.name.empty() ? "Findings" : "Findings: " + Printable(group.name);
    if (!opts.summary) out << paint.Paint(title, "1") << " (" << group.findings.size() << ")\n";
    for (const Finding* f : group.findings) {
      FindingState state = index.State(*f);
      if (state == FindingState::kBlocking) ++blocking;
      if (state == FindingState::kWaived) ++waived;
      if (!opts.summary) WriteTextFinding(*f, state, gated, out, paint);
    }
    if (!opts.summary) out << "\n";
  }
  if (index.findings().empty() && !opts.summary) out << "No findings.\n\n";

  std::string counts = SeverityCounts(index.findings());
  std::string total = Plural(index.findings().size(), "finding", "findings");
  if (!counts.empty()) total += " (" + counts + ")";
  if (!r.overall.empty()) {
    if (gated) {
      blocking = 0;
      waived = 0;
      for (const GateSummary& g : r.gates) {
        blocking += g.blocking;
        waived += g.waived;
      }
    }
    out << "Overall: " << paint.Paint(Upper(Printable(r.overall)), Painter::DecisionStyle(r.overall)) << " - "
        << total << ", " << blocking << " blocking, " << waived << " waived\n";
  } else {
    out << "Total: " << total;
    if (waived > 0) out << ", " << waived << " waived";
    out << "\n";
  }
  if (r.metadata.is_object() && !r.metadata.empty() && !opts.summary) {
    for (const auto& [k, v] : r.metadata.items())
      out << paint.Paint(Printable(k) + ": " + Printable(v.is_string() ? v.get<std::string>() : v.dump()), "2") << "\n";
  }
}

void WriteJson(const Report& r, std::ostream& out) {
  // The document's members other than the findings, as one JSON value; the
  // findings are written one at a time into its "findings" array, indented
  // as DumpJson indents them in place. Members are written in key order, so
  // "findings" is the first.
  ReportIndex index(r);
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
  if (index.findings().empty()) {
    out << "[]";
  } else {
    out << "[\n";
    bool first = true;
    for (const Finding* f : index.findings()) {
      Json j = ToJson(*f);
      j["waived"] = index.IsWaived(*f);
      j["blocking"] = index.State(*f) == FindingState::kBlocking;
      if (!first) out << ",\n";
      first = false;
      // Two levels deep: every line of the finding's own dump moves right by
      // four spaces (JSON strings hold no raw newline, so each '\n' is a line).
      const std::string text = DumpJson(j);
      out << "    ";
      std::size_t start = 0;
      for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
        out.write(text.data() + start, static_cast<std::streamsize>(nl + 1 - start));
        out << "    ";
        start = nl + 1;
      }
      out.write(text.data() + start, static_cast<std::streamsize>(text.size() - start));
    }
    out << "\n  ]";
  }
  out << tail << "\n";
}

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
      plain.erase("waived");
      plain.erase("blocking");
      auto f = FindingFromJson(plain);
      if (!f) return Fail(f.error().WithContext("report JSON"));
      if (waived) r.waived_fingerprints.push_back(f->fingerprint);
      if (blocking) r.blocking_fingerprints.push_back(f->fingerprint);
      r.findings.push_back(std::move(*f));
    }
  }
  if (auto m = doc.find("metadata"); m != doc.end() && m->is_object()) r.metadata = *m;
  return r;
}

void WriteSarif(const Report& r, std::ostream& out) {
  ReportIndex index(r);
  const auto& findings = index.findings();

  // Rules in order of first appearance; the first finding of each rule is its
  // most severe one.
  std::vector<std::string> rule_order;
  std::map<std::string, std::vector<const Finding*>, std::less<>> by_rule;
  for (const Finding* f : findings) {
    auto [it, inserted] = by_rule.try_emplace(f->rule_id);
    if (inserted) rule_order.push_back(f->rule_id);
    it->second.push_back(f);
  }
  Json rules = Json::array();
  std::map<std::string, std::size_t, std::less<>> rule_index;
  for (const std::string& id : rule_order) {
    const auto& all = by_rule.at(id);
    rule_index.emplace(id, rules.size());
    rules.push_back(SarifRule(*all.front(), all));
  }

  Json results = Json::array();
  for (const Finding* found : findings) {
    const Finding& f = *found;
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
    Json props = {{"severity", std::string(SeverityName(f.severity))},
                  {"security-severity", std::string(SecuritySeverity(f.severity))}};
    if (!f.gate.empty()) props["gate"] = f.gate;
    if (!f.tool.empty()) props["tool"] = f.tool;
    result["properties"] = std::move(props);
    if (index.IsWaived(f)) {
      result["suppressions"] = Json::array({{{"kind", "external"}, {"status", "accepted"}}});
    }
    results.push_back(std::move(result));
  }

  Json driver = {{"name", r.tool_name.empty() ? std::string("tollgate") : r.tool_name}, {"rules", std::move(rules)}};
  if (!r.tool_version.empty()) driver["version"] = r.tool_version;
  Json run = {{"tool", {{"driver", std::move(driver)}}}, {"results", std::move(results)}};
  if (!r.gates.empty() || !r.overall.empty()) {
    Json gates = Json::array();
    for (const GateSummary& g : r.gates) gates.push_back(GateJson(g, /*with_notes=*/false));
    run["properties"] = {{"overall", r.overall}, {"gates", std::move(gates)}};
  }
  if (r.metadata.is_object() && !r.metadata.empty()) run["properties"]["metadata"] = r.metadata;
  Json doc = {{"$schema", std::string(kSarifSchema)}, {"version", "2.1.0"}, {"runs", Json::array({std::move(run)})}};
  out << DumpJson(doc) << "\n";
}

void WriteJunit(const Report& r, std::ostream& out) {
  ReportIndex index(r);
  auto groups = index.Groups();
  if (r.gates.empty() && !groups.empty()) groups.front().name = r.tool_name.empty() ? "tollgate" : r.tool_name;

  std::size_t total_tests = 0;
  std::size_t total_failures = 0;
  std::size_t total_skipped = 0;
  std::string body;
  for (const auto& group : groups) {
    std::size_t failures = 0;
    std::size_t skipped = 0;
    std::string cases;
    const std::string classname = XmlEscape("tollgate." + group.name, true);
    for (const Finding* f : group.findings) {
      std::string name = f->rule_id;
      std::string where = LocationText(f->location);
      if (!where.empty()) name += " at " + where;
      cases += "    <testcase classname=\"" + classname + "\" name=\"" + XmlEscape(name, true) + "\"";
      switch (index.State(*f)) {
        case FindingState::kNotBlocking: cases += "/>\n"; break;
        case FindingState::kWaived:
          ++skipped;
          cases += ">\n      <skipped message=\"waived\"/>\n    </testcase>\n";
          break;
        case FindingState::kBlocking: {
          ++failures;
          std::string details = "severity: " + std::string(SeverityName(f->severity)) + "\nrule: " + f->rule_id;
          if (!where.empty()) details += "\nlocation: " + where;
          if (!f->message.empty()) details += "\nmessage: " + f->message;
          if (!f->fingerprint.empty()) details += "\nfingerprint: " + f->fingerprint;
          if (!f->tool.empty()) details += "\ntool: " + f->tool;
          if (!f->remediation.empty()) details += "\nremediation: " + f->remediation.str();
          if (!f->references.empty()) {
            details += "\nreferences:";
            for (const std::string& ref : f->references) details += " " + ref;
          }
          cases += ">\n      <failure message=\"" + XmlEscape(f->message.empty() ? f->rule_id : f->message, true) +
                   "\" type=\"" + std::string(SeverityName(f->severity)) + "\">" + XmlEscape(details, false) +
                   "</failure>\n    </testcase>\n";
          break;
        }
      }
    }
    std::size_t tests = group.findings.size();
    if (tests == 0) {
      tests = 1;
      cases += "    <testcase classname=\"" + classname + "\" name=\"no findings\"/>\n";
    }
    body += "  <testsuite name=\"" + XmlEscape(group.name, true) + "\" tests=\"" + std::to_string(tests) +
            "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) +
            "\">\n";
    if (group.gate != nullptr) {
      body += "    <properties>\n";
      auto property = [&](std::string_view key, const std::string& value) {
        body += "      <property name=\"" + std::string(key) + "\" value=\"" + XmlEscape(value, true) + "\"/>\n";
      };
      property("source", group.gate->source);
      property("fail_on", group.gate->fail_on);
      property("decision", group.gate->decision);
      for (const std::string& note : group.gate->notes) property("note", note);
      body += "    </properties>\n";
    }
    body += cases;
    body += "  </testsuite>\n";
    total_tests += tests;
    total_failures += failures;
    total_skipped += skipped;
  }

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"" << XmlEscape(r.tool_name.empty() ? "tollgate" : r.tool_name, true) << "\" tests=\""
      << total_tests << "\" failures=\"" << total_failures << "\" errors=\"0\" skipped=\"" << total_skipped
      << "\">\n";
  out << body;
  out << "</testsuites>\n";
}

void WriteReport(const Report& r, OutputFormat format, std::ostream& out, const TextOptions& opts) {
  switch (format) {
    case OutputFormat::kText: WriteText(r, out, opts); return;
    case OutputFormat::kJson: WriteJson(r, out); return;
    case OutputFormat::kSarif: WriteSarif(r, out); return;
    case OutputFormat::kJunit: WriteJunit(r, out); return;
  }
}

Status WriteReportFile(const Report& r, OutputFormat format, const std::string& path, const TextOptions& opts) {
  auto writer = AtomicFileWriter::Create(path);
  if (!writer) return Fail(writer.error());
  AtomicWriterBuf buf(*writer);
  std::ostream out(&buf);
  WriteReport(r, format, out, opts);
  out.flush();
  TG_TRY(buf.Finish());
  return writer->Commit();
}

}  // namespace tollgate
