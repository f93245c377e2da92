#include "core/finding.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "core/hash.h"

namespace tollgate {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

Error FieldError(std::string_view field, std::string_view problem) {
  return Error::Input("finding: field \"" + std::string(field) + "\": " + std::string(problem));
}

// Optional string member: absent leaves `out` untouched.
Status ReadString(const Json& obj, std::string_view field, std::string_view name, std::string& out) {
  const auto it = obj.find(name);
  if (it == obj.end()) return Ok();
  if (!it->is_string()) return Fail(FieldError(field, "expected a string"));
  out = it->get<std::string>();
  return Ok();
}

Status ReadUint32(const Json& obj, std::string_view field, std::string_view name,
                  std::uint32_t& out) {
  const auto it = obj.find(name);
  if (it == obj.end()) return Ok();
  constexpr auto kMax = std::numeric_limits<std::uint32_t>::max();
  const Error range = FieldError(field, "expected an integer from 0 to " + std::to_string(kMax));
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > kMax) return Fail(range);
    out = static_cast<std::uint32_t>(v);
    return Ok();
  }
  if (it->is_number_integer()) {
    const auto v = it->get<std::int64_t>();
    if (v < 0 || v > std::int64_t{kMax}) return Fail(range);
    out = static_cast<std::uint32_t>(v);
    return Ok();
  }
  return Fail(range);
}

}  // namespace

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kCritical: return "critical";
    case Severity::kHigh: return "high";
    case Severity::kMedium: return "medium";
    case Severity::kLow: return "low";
    case Severity::kInfo: return "info";
    case Severity::kUnknown: return "unknown";
  }
  return "info";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  // Aliases are spellings other tools use: npm audit's "moderate", AWS
  // Security Hub's "INFORMATIONAL".
  static constexpr std::pair<std::string_view, Severity> kNames[] = {
      {"critical", Severity::kCritical}, {"high", Severity::kHigh},
      {"medium", Severity::kMedium},     {"moderate", Severity::kMedium},
      {"low", Severity::kLow},           {"info", Severity::kInfo},
      {"informational", Severity::kInfo}, {"unknown", Severity::kUnknown},
  };
  for (const auto& [spelling, severity] : kNames) {
    if (EqualsIgnoreCase(name, spelling)) return severity;
  }
  return std::nullopt;
}

std::optional<Severity> ParseRatedSeverity(std::string_view name) {
  auto s = ParseSeverity(name);
  if (s == Severity::kUnknown) return std::nullopt;
  return s;
}

std::string MakeFingerprint(std::string_view rule_id, const std::vector<std::string_view>& content) {
  // The NUL separators keep ("ab","c") and ("a","bc") apart.
  Sha256Hasher hasher;
  hasher.Update(rule_id);
  for (std::string_view part : content) {
    hasher.Update(std::string_view("\0", 1));
    hasher.Update(part);
  }
  const Hash256 digest = hasher.Finish();
  return HexEncode(digest);
}

Json ToJson(const Finding& f) {
  Json location = Json::object();
  if (!f.location.file.empty()) location["file"] = f.location.file;
  if (f.location.line != 0) location["line"] = f.location.line;
  if (f.location.column != 0) location["column"] = f.location.column;
  if (!f.location.commit.empty()) location["commit"] = f.location.commit;

  Json j = Json::object();
  j["rule_id"] = f.rule_id;
  j["gate"] = f.gate;
  j["severity"] = std::string(SeverityName(f.severity));
  j["message"] = f.message;
  j["location"] = std::move(location);
  j["fingerprint"] = f.fingerprint;
  j["remediation"] = f.remediation.str();
  j["references"] = f.references;
  j["tool"] = f.tool;
  if (f.details.is_object())
    for (const auto& [k, v] : f.details.items())
      if (!j.contains(k)) j[k] = v;
  return j;
}

Result<Finding> FindingFromJson(const Json& j) {
  if (!j.is_object()) return Fail(Error::Input("finding: expected a JSON object"));
  Finding f;

  if (!j.contains("rule_id")) return Fail(FieldError("rule_id", "missing"));
  TG_TRY(ReadString(j, "rule_id", "rule_id", f.rule_id));
  if (f.rule_id.empty()) return Fail(FieldError("rule_id", "must not be empty"));

  if (!j.contains("severity")) return Fail(FieldError("severity", "missing"));
  std::string severity;
  TG_TRY(ReadString(j, "severity", "severity", severity));
  const auto parsed = ParseSeverity(severity);
  if (!parsed) return Fail(FieldError("severity", "unknown severity \"" + severity + "\""));
  f.severity = *parsed;

  TG_TRY(ReadString(j, "gate", "gate", f.gate));
  TG_TRY(ReadString(j, "message", "message", f.message));
  TG_TRY(ReadString(j, "fingerprint", "fingerprint", f.fingerprint));
  std::string remediation;
  TG_TRY(ReadString(j, "remediation", "remediation", remediation));
  f.remediation = std::move(remediation);
  TG_TRY(ReadString(j, "tool", "tool", f.tool));

  if (const auto loc = j.find("location"); loc != j.end()) {
    if (!loc->is_object()) return Fail(FieldError("location", "expected an object"));
    TG_TRY(ReadString(*loc, "location.file", "file", f.location.file));
    TG_TRY(ReadUint32(*loc, "location.line", "line", f.location.line));
    TG_TRY(ReadUint32(*loc, "location.column", "column", f.location.column));
    TG_TRY(ReadString(*loc, "location.commit", "commit", f.location.commit));
  }

  if (const auto refs = j.find("references"); refs != j.end()) {
    if (!refs->is_array()) return Fail(FieldError("references", "expected an array of strings"));
    for (std::size_t i = 0; i < refs->size(); ++i) {
      const Json& r = (*refs)[i];
      if (!r.is_string()) {
        return Fail(FieldError("references[" + std::to_string(i) + "]", "expected a string"));
      }
      f.references.push_back(r.get<std::string>());
    }
  }
  for (const auto& [key, value] : j.items()) {
    static constexpr std::string_view kFields[] = {"rule_id", "gate",        "severity",   "message", "location",
                                                   "fingerprint", "remediation", "references", "tool"};
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields)) f.details[key] = value;
  }
  return f;
}

bool FindingBefore(const Finding& a, const Finding& b) {
  if (a.severity != b.severity) return a.severity > b.severity;
  return std::tie(a.location.file, a.location.line, a.location.column, a.rule_id, a.fingerprint) <
         std::tie(b.location.file, b.location.line, b.location.column, b.rule_id, b.fingerprint);
}

void SortFindings(std::vector<Finding>& findings) {
  // Stable, so findings equal on every key keep the order they were reported in.
  std::vector<std::size_t> order(findings.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return FindingBefore(findings[a], findings[b]); });
  // Apply the permutation in place, one cycle at a time: position i receives
  // the finding at order[i].
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == i) continue;
    Finding held = std::move(findings[i]);
    std::size_t at = i;
    while (order[at] != i) {
      const std::size_t from = order[at];
      findings[at] = std::move(findings[from]);
      order[at] = at;
      at = from;
    }
    findings[at] = std::move(held);
    order[at] = at;
  }
}

}  // namespace tollgate
