// Finding: one problem a scanner or importer reports, the unit every gate
// decides on.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

namespace tollgate {

// Ordered from least to most severe. kUnknown is a finding its source did
// not rate (an advisory that publishes no severity): listed before every
// rating, and compared with a threshold only through AtOrAbove, which rates
// it as the caller says (a gate's `unknown_severity`, high by default).
enum class Severity : std::uint8_t { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4, kUnknown = 5 };
inline constexpr std::size_t kSeverityCount = 6;
// How an unrated finding is compared when nothing else says: high, so a
// `fail_on: high` gate (the usual one) stops for a person to rate it, without
// ranking it above the advisories rated critical.
inline constexpr Severity kUnknownSeverityDefault = Severity::kHigh;

// Whether `s` meets `threshold`, an unrated finding counting as `unknown_as`.
constexpr bool AtOrAbove(Severity s, Severity threshold, Severity unknown_as = kUnknownSeverityDefault) {
  return (s == Severity::kUnknown ? unknown_as : s) >= threshold;
}

std::string_view SeverityName(Severity s);  // "critical", "high", ..., "unknown"
std::optional<Severity> ParseSeverity(std::string_view name);  // case-insensitive; "unknown" included
// A rating a threshold or `unknown_severity` may name: not "unknown".
std::optional<Severity> ParseRatedSeverity(std::string_view name);

// Immutable text that many findings share (a rule's help text, copied into
// each of its findings' remediation): copying a SharedText copies a pointer,
// never the text. Reads as a const std::string&; assigning replaces the
// pointer, never the shared text. Empty text holds no allocation.
class SharedText {
 public:
  SharedText() = default;
  SharedText(std::string text)  // NOLINT(google-explicit-constructor): a string is a SharedText
      : text_(text.empty() ? nullptr : std::make_shared<const std::string>(std::move(text))) {}
  SharedText(std::string_view text) : SharedText(std::string(text)) {}  // NOLINT(google-explicit-constructor)
  SharedText(const char* text) : SharedText(std::string(text)) {}       // NOLINT(google-explicit-constructor)

  const std::string& str() const { return text_ ? *text_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  bool empty() const { return !text_; }
  std::size_t size() const { return str().size(); }

  friend bool operator==(const SharedText& a, const SharedText& b) {
    return a.text_ == b.text_ || a.str() == b.str();
  }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const SharedText& t) { return out << t.str(); }

 private:
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const std::string> text_;
};

struct Location {
  std::string file;        // repository-relative path, '/' separated; empty if none
  std::uint32_t line = 0;  // 1-based; 0 when unknown
  std::uint32_t column = 0;
  std::string commit;      // commit that introduced it, when known
};

struct Finding {
  std::string rule_id;
  std::string gate;
  Severity severity = Severity::kInfo;
  std::string message;
  Location location;
  // Stable across moved lines: a hash of the rule and location-independent
  // content (see MakeFingerprint). Waivers and baselines bind to it.
  std::string fingerprint;
  // Shared with every finding of the same rule when an importer or scanner
  // makes it once per rule (see SharedText).
  SharedText remediation;
  std::vector<std::string> references;  // "CWE-798", "PCI-DSS-4.0:6.3.1", URLs
  std::string tool;                     // the scanner or external tool that found it
  // Scanner-specific fields, merged into the finding's JSON form (e.g. the
  // deps scanner's package, version, aliases, cvss, fixed). Never replaces a
  // field above. Null (no allocation) until a detail is set; read it with
  // contains()/find(), which treat null as an empty object.
  Json details = Json();
};

// Fingerprint = hex SHA-256 over the NUL-separated parts: rule id, then each
// piece of location-independent content (e.g. file path and the matched text).
std::string MakeFingerprint(std::string_view rule_id, const std::vector<std::string_view>& content);

// A finding's JSON: the fields above, with the keys of `details` beside them
// (a detail named like a field is left out). FindingFromJson is its inverse:
// keys that are not fields become `details` again, so what a scanner said
// (an incomplete-scan's cause, a suppression attempt, other matching rules)
// survives a trip through a report or the service's API.
Json ToJson(const Finding& f);
Result<Finding> FindingFromJson(const Json& j);

// The order every writer uses, so output is deterministic: severity (most
// severe first), then file, line, column, rule and fingerprint.
bool FindingBefore(const Finding& a, const Finding& b);

// Sort findings in that order, stably. Sorts an index, then moves each
// finding once: the extra memory is a few bytes per finding, not a finding.
void SortFindings(std::vector<Finding>& findings);

}  // namespace tollgate
