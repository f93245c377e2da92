// Finding: one problem a scanner or importer reports, the unit every gate
// decides on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

namespace tollgate {

// Ordered from least to most severe so that thresholds compare with >=.
enum class Severity : std::uint8_t { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

std::string_view SeverityName(Severity s);  // "critical", "high", ...
std::optional<Severity> ParseSeverity(std::string_view name);  // case-insensitive

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
  std::string remediation;
  std::vector<std::string> references;  // "CWE-798", "PCI-DSS-4.0:6.3.1", URLs
  std::string tool;                     // the scanner or external tool that found it
  // Scanner-specific fields, merged into the finding's JSON form (e.g. the
  // deps scanner's package, version, aliases, cvss, fixed). Never replaces a
  // field above.
  Json details = Json::object();
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

// Sort findings by severity (most severe first), then file, line, rule: the
// order every writer uses, so output is deterministic.
void SortFindings(std::vector<Finding>& findings);

}  // namespace tollgate
