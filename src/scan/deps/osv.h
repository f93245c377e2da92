// The OSV record (ossf/osv-schema 1.7) as far as matching needs it, parsed
// from JSON or YAML, and its evaluation against an installed version.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"
#include "scan/deps/version.h"

namespace tollgate::deps {

struct OsvEvent {
  enum Kind { kIntroduced, kFixed, kLastAffected, kLimit } kind = kIntroduced;
  std::string version;
};

struct OsvRange {
  std::string type;  // SEMVER, ECOSYSTEM, GIT
  std::vector<OsvEvent> events;
};

struct OsvAffected {
  std::string ecosystem;  // as written: "PyPI", "Debian:12"
  std::string name;       // as written
  std::string purl;
  std::vector<OsvRange> ranges;
  std::vector<std::string> versions;
  std::string severity_label;  // affected[].database_specific/ecosystem_specific severity
  // Derived when parsed: the ecosystem (nullopt if we do not order it), the
  // normalised name, and each range's events sorted in version order.
  std::optional<Ecosystem> eco;
  std::string key_name;
};

struct OsvSeverity {
  std::string type;   // CVSS_V3, CVSS_V4, CVSS_V2, Ubuntu
  std::string score;  // the vector
};

struct Advisory {
  std::string id;
  std::string modified;
  std::string published;
  std::string withdrawn;  // non-empty: kept, never matches
  std::string summary;
  std::vector<std::string> aliases;
  std::vector<OsvSeverity> severity;
  std::string severity_label;  // database_specific.severity: LOW, MODERATE, HIGH, CRITICAL
  std::vector<OsvAffected> affected;
  std::vector<std::string> references;  // URLs
};

// Parses one OSV record. `what` names the source in errors.
Result<Advisory> AdvisoryFromJson(const Json& j, std::string_view what);
// JSON or YAML text (YAML when the name ends in .yaml/.yml).
Result<Json> ParseOsvText(std::string_view text, std::string_view what);
// The compact JSON of the fields above (SBOM/bench helpers).
Json AdvisoryToJson(const Advisory& a);
// The database's stored form of a parsed advisory (record.cpp): a flat
// binary encoding decoded without a JSON document; events stay in the
// evaluation order they were sorted into when parsed. DecodeAdvisory
// returns Error::Integrity for damaged bytes; `what` names the record.
std::string EncodeAdvisory(const Advisory& a);
Result<Advisory> DecodeAdvisory(std::string_view bytes, std::string_view what);

// Package names as each ecosystem compares them: PEP 503 for PyPI
// (lower case, runs of -_. become -), lower case for NuGet, Packagist,
// crates.io and RubyGems is case-sensitive; others unchanged.
std::string NormalizeName(Ecosystem e, std::string_view name);

// OSV evaluation of one affected entry for an installed version: exact
// versions[], then SEMVER/ECOSYSTEM ranges (introduced, fixed,
// last_affected, limit); GIT ranges are skipped.
bool IsAffected(const OsvAffected& a, Ecosystem e, std::string_view version);

// Fixed versions named by the entry's ranges (in the order they appear).
std::vector<std::string> FixedVersions(const OsvAffected& a);

// The remediation for an installed version: the smallest fixed version above
// it on the same major line, else the smallest above it at all; nullopt
// when no fix is published.
std::optional<std::string> ChooseFix(Ecosystem e, std::string_view installed, const std::vector<std::string>& fixed);

// Severity: the highest CVSS base score among the vectors (v3.x, v4.0),
// else the database label; nullopt when the record rates nothing.
struct Rating {
  std::optional<Severity> severity;
  std::optional<double> score;
  std::string vector;
};
Rating RateAdvisory(const Advisory& a);

}  // namespace tollgate::deps
