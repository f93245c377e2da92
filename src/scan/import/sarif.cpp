// SARIF 2.1.0 import. The input is untrusted: every structural problem is an
// Error::Input naming the source file and the path of the offending element
// ("reports/sast.sarif: runs[0].results[3].message: expected an object"), never
// an assertion or an exception.
//
// Choices beyond the header's contract:
//  - Results of kind "pass" or "notApplicable" and results whose
//    baselineState is "absent" describe no current problem and are skipped.
//  - Results the tool marks as suppressed are still imported: only a Tollgate
//    waiver, granted by the gate's bypass authority, may accept a finding.
//  - A tool-provided fingerprint is combined with the file path, so identical
//    code in two files (same line hash) does not share one waiver.
//  - A result whose partialFingerprints carry "tollgate/v1" (our own SARIF
//    output) keeps that fingerprint, so re-imported reports keep their waivers.
#include "scan/import/sarif.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/canonical_json.h"
#include "core/json_stream.h"

namespace tollgate::sarif {
namespace {

constexpr std::string_view kTollgateFingerprintKey = "tollgate/v1";
constexpr std::string_view kUnknownRule = "sarif-unknown-rule";

enum class Kind { kObject, kArray, kString, kInteger, kBoolean };

std::string_view Expected(Kind kind) {
  switch (kind) {
    case Kind::kObject: return "expected an object";
    case Kind::kArray: return "expected an array";
    case Kind::kString: return "expected a string";
    case Kind::kInteger: return "expected an integer";
    case Kind::kBoolean: return "expected a boolean";
  }
  return "unexpected type";
}

bool HasKind(const Json& j, Kind kind) {
  switch (kind) {
    case Kind::kObject: return j.is_object();
    case Kind::kArray: return j.is_array();
    case Kind::kString: return j.is_string();
    case Kind::kInteger: return j.is_number_integer();
    case Kind::kBoolean: return j.is_boolean();
  }
  return false;
}

std::string Member(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out = path;
  out += '.';
  out += key;
  return out;
}

std::string Element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  return Lower(s.substr(0, prefix.size())) == Lower(prefix);
}

bool IsHexDigest(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decode %XX escapes; a '%' not followed by two hex digits stays literal.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// True for "scheme://..." and "scheme:..." URIs other than a Windows drive
// letter ("C:/src").
bool HasScheme(std::string_view uri) {
  std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;
  if (!std::isalpha(static_cast<unsigned char>(uri[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    char c = uri[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// "file:///home/x/a.c" -> "/home/x/a.c"; "file://localhost/a" -> "/a";
// "file:///C:/src/a.c" -> "C:/src/a.c". Percent escapes are decoded.
std::string FileUriToPath(std::string_view uri) {
  std::string_view rest = uri.substr(std::string_view("file://").size());
  if (StartsWithNoCase(rest, "localhost/")) rest.remove_prefix(std::string_view("localhost").size());
  std::string path = PercentDecode(rest);
  if (path.size() >= 3 && path[0] == '/' && std::isalpha(static_cast<unsigned char>(path[1])) &&
      path[2] == ':') {
    path.erase(0, 1);
  }
  return path;
}

// A security-severity value: a CVSS-like score 0.0-10.0, as a string (the
// GitHub convention) or a number.
std::optional<double> ParseScore(const Json& j) {
  double value = 0;
  if (j.is_number()) {
    value = j.get<double>();
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    std::size_t b = s.find_first_not_of(" \t");
    std::size_t e = s.find_last_not_of(" \t");
    if (b == std::string::npos) return std::nullopt;
    const char* first = s.data() + b;
    const char* last = s.data() + e + 1;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!(value >= 0.0)) return std::nullopt;  // also rejects NaN
  return value;
}

Severity SeverityFromScore(double score) {
  if (score >= 9.0) return Severity::kCritical;
  if (score >= 7.0) return Severity::kHigh;
  if (score >= 4.0) return Severity::kMedium;
  if (score > 0.0) return Severity::kLow;
  return Severity::kInfo;
}

Severity SeverityFromLevel(std::string_view level) {
  if (level == "error") return Severity::kHigh;
  if (level == "warning") return Severity::kMedium;
  if (level == "note") return Severity::kLow;
  return Severity::kInfo;  // "none"
}

bool IsLevel(std::string_view level) {
  return level == "none" || level == "note" || level == "warning" || level == "error";
}

// "CWE-89", "CWE-89: Improper Neutralization ...", "external/cwe/cwe-89" ->
// "CWE-89"; "OWASP-A03:2021 - Injection", "external/owasp/owasp-a03" ->
// "OWASP-A03:2021", "OWASP-A03". Other tags ("security", "correctness")
// classify rather than reference and yield nothing.
std::optional<std::string> ReferenceFromTag(std::string_view tag) {
  std::string lower = Lower(tag);
  std::string_view rest;
  std::string prefix;
  if (lower.starts_with("external/cwe/cwe-")) {
    rest = tag.substr(std::string_view("external/cwe/cwe-").size());
    prefix = "CWE-";
  } else if (lower.starts_with("cwe-")) {
    rest = tag.substr(4);
    prefix = "CWE-";
  } else if (lower.starts_with("external/owasp/owasp-")) {
    rest = tag.substr(std::string_view("external/owasp/owasp-").size());
    prefix = "OWASP-";
  } else if (lower.starts_with("owasp-")) {
    rest = tag.substr(6);
    prefix = "OWASP-";
  } else {
    return std::nullopt;
  }
  std::string id;
  if (prefix == "CWE-") {
    for (char c : rest) {
      if (c < '0' || c > '9') break;
      id += c;
    }
    if (id.empty()) return std::nullopt;
    // Drop leading zeros that some tools add ("external/cwe/cwe-079").
    std::size_t nz = id.find_first_not_of('0');
    id = nz == std::string::npos ? "0" : id.substr(nz);
  } else {
    for (char c : rest) {
      if (c == ' ' || c == '\t') break;
      id += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (id.empty()) return std::nullopt;
  }
  return prefix + id;
}

void AddReference(std::vector<std::string>& refs, std::string ref) {
  if (ref.empty()) return;
  for (const std::string& r : refs) {
    if (r == ref) return;
  }
  refs.push_back(std::move(ref));
}

// One tool component's rules (the driver's or an extension's), indexed by id.
struct RuleSet {
  const Json* component = nullptr;
  std::string path;  // e.g. "runs[0].tool.driver"
  std::string name;
  std::vector<const Json*> rules;
  std::map<std::string, std::size_t, std::less<>> by_id;
};

struct ResolvedRule {
  std::string id;
  const Json* descriptor = nullptr;  // reportingDescriptor, when known
  std::string descriptor_path;       // e.g. "runs[0].tool.driver.rules[2]"
};

// Walks one SARIF document. Borrows the parsed JSON: it must outlive Import().
class SarifReader {
 public:
  SarifReader(std::string_view source, std::string_view gate) : source_(source), gate_(gate) {}

  Error Bad(const std::string& path, std::string_view problem) const {
    return Error::Input(source_ + ": " + path + ": " + std::string(problem));
  }

  // The document's "version" member (absent: nullptr).
  Status CheckVersion(const Json* version) const {
    if (version == nullptr) return Fail(Bad("version", "required property is missing"));
    if (!version->is_string()) return Fail(Bad("version", Expected(Kind::kString)));
    const std::string& v = version->get_ref<const std::string&>();
    if (v != "2.1.0") return Fail(Bad("version", "unsupported SARIF version \"" + v + "\" (expected \"2.1.0\")"));
    return Ok();
  }

  // Reads what a run's results refer to (its tool's rules, artifacts,
  // taxonomies, base ids) from `run`, an object holding those members of the
  // run at `path`; it must outlive the ImportResult calls that follow.
  Status SetupRun(const Json& run, const std::string& path) {
    auto tool = Get(run, path, "tool", Kind::kObject, true);
    if (!tool) return Fail(tool.error());
    std::string tool_path = Member(path, "tool");
    auto driver = Get(**tool, tool_path, "driver", Kind::kObject, true);
    if (!driver) return Fail(driver.error());
    std::string driver_path = Member(tool_path, "driver");
    auto driver_name = Get(**driver, driver_path, "name", Kind::kString, true);
    if (!driver_name) return Fail(driver_name.error());

    auto driver_rules = ReadRuleSet(**driver, driver_path);
    if (!driver_rules) return Fail(driver_rules.error());
    driver_ = std::move(*driver_rules);
    extensions_.clear();
    remediation_.clear();
    auto extensions = Get(**tool, tool_path, "extensions", Kind::kArray, false);
    if (!extensions) return Fail(extensions.error());
    if (*extensions != nullptr) {
      std::string ext_path = Member(tool_path, "extensions");
      for (std::size_t i = 0; i < (*extensions)->size(); ++i) {
        const Json& ext = (**extensions)[i];
        if (!ext.is_object()) return Fail(Bad(Element(ext_path, i), "expected an object"));
        auto set = ReadRuleSet(ext, Element(ext_path, i));
        if (!set) return Fail(set.error());
        extensions_.push_back(std::move(*set));
      }
    }

    auto artifacts = Get(run, path, "artifacts", Kind::kArray, false);
    if (!artifacts) return Fail(artifacts.error());
    artifacts_ = *artifacts;
    auto taxonomies = Get(run, path, "taxonomies", Kind::kArray, false);
    if (!taxonomies) return Fail(taxonomies.error());
    taxonomies_ = *taxonomies;
    TG_TRY(ReadBaseIds(run, path));
    tool_name_ = (*driver_name)->get<std::string>();
    return Ok();
  }

  // One result of the run last set up -> a Finding, or nullopt for results
  // that report no problem.
  Result<std::optional<Finding>> ImportResult(const Json& result, const std::string& path) const {
    return ImportResult(result, path, tool_name_);
  }

 private:

  // The member `key` of object `obj` (at `path`) checked against `kind`.
  // An absent or null optional member yields nullptr.
  Result<const Json*> Get(const Json& obj, const std::string& path, std::string_view key, Kind kind,
                          bool required) const {
    auto it = obj.find(key);
    std::string where = Member(path, key);
    if (it == obj.end() || (it->is_null() && !required)) {
      if (required) return Fail(Bad(where, "required property is missing"));
      return nullptr;
    }
    if (!HasKind(*it, kind)) return Fail(Bad(where, Expected(kind)));
    return &*it;
  }

  std::optional<std::string> OptString(const Json& obj, std::string_view key) const {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  }

  // A non-negative integer member that must fit in `limit`.
  Result<std::optional<std::int64_t>> GetIndex(const Json& obj, const std::string& path,
                                               std::string_view key) const {
    auto j = Get(obj, path, key, Kind::kInteger, false);
    if (!j) return Fail(j.error());
    if (*j == nullptr) return std::optional<std::int64_t>();
    if ((*j)->is_number_unsigned()) {
      auto u = (*j)->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return Fail(Bad(Member(path, key), "integer out of range"));
      }
      return std::optional<std::int64_t>(static_cast<std::int64_t>(u));
    }
    return std::optional<std::int64_t>((*j)->get<std::int64_t>());
  }

  Result<RuleSet> ReadRuleSet(const Json& component, const std::string& path) const {
    RuleSet set;
    set.component = &component;
    set.path = path;
    if (auto name = OptString(component, "name")) set.name = *name;
    auto rules = Get(component, path, "rules", Kind::kArray, false);
    if (!rules) return Fail(rules.error());
    if (*rules == nullptr) return set;
    std::string rules_path = Member(path, "rules");
    for (std::size_t i = 0; i < (*rules)->size(); ++i) {
      const Json& rule = (**rules)[i];
      std::string rule_path = Element(rules_path, i);
      if (!rule.is_object()) return Fail(Bad(rule_path, "expected an object"));
      auto id = Get(rule, rule_path, "id", Kind::kString, true);
      if (!id) return Fail(id.error());
      set.by_id.emplace((*id)->get<std::string>(), set.rules.size());
      set.rules.push_back(&rule);
    }
    return set;
  }

  // run.originalUriBaseIds: { "SRCROOT": { "uri": "file:///src/", "uriBaseId"? } }
  Status ReadBaseIds(const Json& run, const std::string& path) {
    base_ids_.clear();
    auto ids = Get(run, path, "originalUriBaseIds", Kind::kObject, false);
    if (!ids) return Fail(ids.error());
    if (*ids == nullptr) return Ok();
    std::string ids_path = Member(path, "originalUriBaseIds");
    for (const auto& [name, loc] : (*ids)->items()) {
      std::string loc_path = Member(ids_path, name);
      if (!loc.is_object()) return Fail(Bad(loc_path, "expected an object"));
      auto uri = Get(loc, loc_path, "uri", Kind::kString, false);
      if (!uri) return Fail(uri.error());
      auto base = Get(loc, loc_path, "uriBaseId", Kind::kString, false);
      if (!base) return Fail(base.error());
      BaseId b;
      if (*uri != nullptr) b.uri = (*uri)->get<std::string>();
      if (*base != nullptr) b.base = (*base)->get<std::string>();
      base_ids_.emplace(name, std::move(b));
    }
    return Ok();
  }

  // The repository-relative prefix a uriBaseId stands for: empty when it is
  // absolute (a checkout root such as file:///home/runner/work/repo/) or
  // unknown (e.g. %SRCROOT%, which by convention is the repository root).
  std::string RelativeBase(const std::string& id, int depth = 0) const {
    if (depth > 8) return {};
    auto it = base_ids_.find(id);
    if (it == base_ids_.end() || it->second.uri.empty() || HasScheme(it->second.uri) ||
        it->second.uri.starts_with('/')) {
      return {};
    }
    std::string prefix = it->second.base.empty() ? std::string() : RelativeBase(it->second.base, depth + 1);
    prefix += PercentDecode(it->second.uri);
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    return prefix;
  }

  // Absolute local paths of the file:// base ids, each ending in '/'.
  std::vector<std::string> AbsoluteBases() const {
    std::vector<std::string> out;
    for (const auto& [name, b] : base_ids_) {
      if (!StartsWithNoCase(b.uri, "file://")) continue;
      std::string p = FileUriToPath(b.uri);
      if (!p.empty() && p.back() != '/') p += '/';
      out.push_back(std::move(p));
    }
    return out;
  }

  // Turn artifactLocation.uri (+ uriBaseId) into Location.file: a
  // repository-relative '/'-separated path where possible, an absolute path
  // for file:// URIs outside every known base, or the URI itself for web
  // targets (DAST).
  std::string ToFile(const std::string& uri, const std::string& base_id) const {
    if (uri.empty()) return {};
    std::string path;
    if (StartsWithNoCase(uri, "file://")) {
      path = FileUriToPath(uri);
      for (const std::string& base : AbsoluteBases()) {
        if (path.size() > base.size() && path.starts_with(base)) {
          path.erase(0, base.size());
          break;
        }
      }
    } else if (HasScheme(uri)) {
      return uri;  // http(s):// and other non-file targets stay as reported
    } else {
      path = PercentDecode(uri);
      if (!path.starts_with('/') && !base_id.empty()) path = RelativeBase(base_id) + path;
    }
    for (char& c : path) {
      if (c == '\\') c = '/';
    }
    while (path.starts_with("./")) path.erase(0, 2);
    return path;
  }

  // ruleId, rule.id, or rule.index / ruleIndex into the driver's (or an
  // extension's) rules.
  Result<ResolvedRule> ResolveRule(const Json& result, const std::string& path) const {
    ResolvedRule out;
    auto rule_id = Get(result, path, "ruleId", Kind::kString, false);
    if (!rule_id) return Fail(rule_id.error());
    auto rule_index = GetIndex(result, path, "ruleIndex");
    if (!rule_index) return Fail(rule_index.error());
    auto rule_ref = Get(result, path, "rule", Kind::kObject, false);
    if (!rule_ref) return Fail(rule_ref.error());

    std::optional<std::int64_t> index = *rule_index;
    std::string index_path = Member(path, "ruleIndex");
    std::string ref_id;
    const RuleSet* set = &driver_;
    if (*rule_ref != nullptr) {
      std::string ref_path = Member(path, "rule");
      auto id = Get(**rule_ref, ref_path, "id", Kind::kString, false);
      if (!id) return Fail(id.error());
      if (*id != nullptr) ref_id = (*id)->get<std::string>();
      auto ref_index = GetIndex(**rule_ref, ref_path, "index");
      if (!ref_index) return Fail(ref_index.error());
      if (*ref_index) {
        index = *ref_index;
        index_path = Member(ref_path, "index");
      }
      auto component = Get(**rule_ref, ref_path, "toolComponent", Kind::kObject, false);
      if (!component) return Fail(component.error());
      if (*component != nullptr) {
        auto found = FindComponent(**component, Member(ref_path, "toolComponent"));
        if (!found) return Fail(found.error());
        set = *found;
      }
    }

    if (index && *index >= 0) {
      auto i = static_cast<std::uint64_t>(*index);
      if (i >= set->rules.size()) {
        return Fail(Bad(index_path, "rule index " + std::to_string(i) + " out of range (" + set->path +
                                        " has " + std::to_string(set->rules.size()) + " rules)"));
      }
      out.descriptor = set->rules[static_cast<std::size_t>(i)];
      out.descriptor_path = Element(Member(set->path, "rules"), static_cast<std::size_t>(i));
    }
    if (*rule_id != nullptr) {
      out.id = (*rule_id)->get<std::string>();
    } else if (!ref_id.empty()) {
      out.id = ref_id;
    } else if (out.descriptor != nullptr) {
      out.id = out.descriptor->at("id").get<std::string>();
    }
    if (out.descriptor == nullptr && !out.id.empty()) {
      auto it = set->by_id.find(out.id);
      if (it != set->by_id.end()) {
        out.descriptor = set->rules[it->second];
        out.descriptor_path = Element(Member(set->path, "rules"), it->second);
      }
    }
    if (out.id.empty()) out.id = kUnknownRule;
    return out;
  }

  // toolComponentReference: { index } into tool.extensions, or { name }.
  Result<const RuleSet*> FindComponent(const Json& ref, const std::string& path) const {
    auto index = GetIndex(ref, path, "index");
    if (!index) return Fail(index.error());
    if (*index && **index >= 0) {
      auto i = static_cast<std::uint64_t>(**index);
      if (i >= extensions_.size()) {
        return Fail(Bad(Member(path, "index"), "tool component index " + std::to_string(i) +
                                                   " out of range (" + std::to_string(extensions_.size()) +
                                                   " extensions)"));
      }
      return &extensions_[static_cast<std::size_t>(i)];
    }
    if (auto name = OptString(ref, "name")) {
      for (const RuleSet& ext : extensions_) {
        if (ext.name == *name) return &ext;
      }
    }
    return &driver_;
  }

  // result.message: text, else a message string named by id in the rule,
  // else markdown; "{0}" placeholders are filled from arguments.
  Result<std::string> ReadMessage(const Json& result, const std::string& path, const ResolvedRule& rule) const {
    auto message = Get(result, path, "message", Kind::kObject, true);
    if (!message) return Fail(message.error());
    std::string msg_path = Member(path, "message");
    auto text = Get(**message, msg_path, "text", Kind::kString, false);
    if (!text) return Fail(text.error());
    auto markdown = Get(**message, msg_path, "markdown", Kind::kString, false);
    if (!markdown) return Fail(markdown.error());
    auto id = Get(**message, msg_path, "id", Kind::kString, false);
    if (!id) return Fail(id.error());
    auto arguments = Get(**message, msg_path, "arguments", Kind::kArray, false);
    if (!arguments) return Fail(arguments.error());

    std::string out;
    if (*text != nullptr) {
      out = (*text)->get<std::string>();
    } else if (*id != nullptr && rule.descriptor != nullptr) {
      const std::string& key = (*id)->get_ref<const std::string&>();
      auto strings = rule.descriptor->find("messageStrings");
      if (strings != rule.descriptor->end() && strings->is_object()) {
        auto entry = strings->find(key);
        if (entry != strings->end() && entry->is_object()) {
          if (auto t = OptString(*entry, "text")) {
            out = *t;
          } else if (auto m = OptString(*entry, "markdown")) {
            out = *m;
          }
        }
      }
    }
    if (out.empty() && *markdown != nullptr) out = (*markdown)->get<std::string>();
    if (out.empty() && rule.descriptor != nullptr) out = DescriptorText(*rule.descriptor, "shortDescription");
    if (out.empty()) {
      return Fail(Bad(msg_path, "has no text, markdown or message id known to the rule"));
    }
    if (*arguments != nullptr) {
      std::vector<std::string> args;
      std::string args_path = Member(msg_path, "arguments");
      for (std::size_t i = 0; i < (*arguments)->size(); ++i) {
        const Json& a = (**arguments)[i];
        if (!a.is_string()) return Fail(Bad(Element(args_path, i), "expected a string"));
        args.push_back(a.get<std::string>());
      }
      out = FillPlaceholders(out, args);
    }
    return out;
  }

  static std::string FillPlaceholders(std::string_view text, const std::vector<std::string>& args) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '{') {
        std::size_t close = text.find('}', i + 1);
        if (close != std::string_view::npos && close > i + 1 && close - i <= 6) {
          std::size_t n = 0;
          auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + close, n);
          if (ec == std::errc() && ptr == text.data() + close && n < args.size()) {
            out += args[n];
            i = close;
            continue;
          }
        }
      }
      out += text[i];
    }
    return out;
  }

  // descriptor.<key>.text, else .markdown (multiformatMessageString).
  static std::string DescriptorText(const Json& descriptor, std::string_view key) {
    auto it = descriptor.find(key);
    if (it == descriptor.end() || !it->is_object()) return {};
    auto text = it->find("text");
    if (text != it->end() && text->is_string() && !text->get_ref<const std::string&>().empty()) {
      return text->get<std::string>();
    }
    auto md = it->find("markdown");
    if (md != it->end() && md->is_string()) return md->get<std::string>();
    return {};
  }

  // properties.security-severity on the result, else on its rule.
  Result<std::optional<double>> SecuritySeverity(const Json& result, const std::string& path,
                                                 const ResolvedRule& rule) const {
    auto read = [&](const Json& holder, const std::string& holder_path) -> Result<std::optional<double>> {
      auto props = Get(holder, holder_path, "properties", Kind::kObject, false);
      if (!props) return Fail(props.error());
      if (*props == nullptr) return std::optional<double>();
      auto it = (*props)->find("security-severity");
      if (it == (*props)->end() || it->is_null()) return std::optional<double>();
      auto score = ParseScore(*it);
      if (!score) {
        return Fail(Bad(Member(Member(holder_path, "properties"), "security-severity"),
                        "expected a score from 0.0 to 10.0"));
      }
      return score;
    };
    auto own = read(result, path);
    if (!own) return Fail(own.error());
    if (*own) return own;
    if (rule.descriptor == nullptr) return std::optional<double>();
    return read(*rule.descriptor, rule.descriptor_path);
  }

  // result.level, else rule.defaultConfiguration.level, else "warning" (or
  // "none" for a result whose kind is not "fail").
  Result<std::string> Level(const Json& result, const std::string& path, const ResolvedRule& rule,
                            std::string_view kind) const {
    auto level = Get(result, path, "level", Kind::kString, false);
    if (!level) return Fail(level.error());
    if (*level != nullptr) {
      std::string l = (*level)->get<std::string>();
      if (!IsLevel(l)) {
        return Fail(Bad(Member(path, "level"), "expected one of \"none\", \"note\", \"warning\", \"error\""));
      }
      return l;
    }
    if (rule.descriptor != nullptr) {
      auto config = rule.descriptor->find("defaultConfiguration");
      if (config != rule.descriptor->end() && config->is_object()) {
        if (auto l = OptString(*config, "level"); l && IsLevel(*l)) return *l;
      }
    }
    return std::string(kind == "fail" ? "warning" : "none");
  }

  struct Where {
    std::string file;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    std::string snippet;
  };

  Result<std::uint32_t> LineOrColumn(const Json& region, const std::string& path, std::string_view key) const {
    auto v = GetIndex(region, path, key);
    if (!v) return Fail(v.error());
    if (!*v || **v < 1) return std::uint32_t{0};  // unknown
    if (**v > std::numeric_limits<std::uint32_t>::max()) return Fail(Bad(Member(path, key), "integer out of range"));
    return static_cast<std::uint32_t>(**v);
  }

  // The first location's file, line, column and snippet; every location entry
  // must at least be an object.
  Result<Where> ReadLocation(const Json& result, const std::string& path) const {
    Where where;
    auto locations = Get(result, path, "locations", Kind::kArray, false);
    if (!locations) return Fail(locations.error());
    if (*locations == nullptr || (*locations)->empty()) return where;
    std::string locs_path = Member(path, "locations");
    for (std::size_t i = 0; i < (*locations)->size(); ++i) {
      if (!(**locations)[i].is_object()) return Fail(Bad(Element(locs_path, i), "expected an object"));
    }
    const Json& loc = (**locations)[0];
    std::string loc_path = Element(locs_path, 0);
    auto physical = Get(loc, loc_path, "physicalLocation", Kind::kObject, false);
    if (!physical) return Fail(physical.error());
    if (*physical == nullptr) return where;
    std::string phys_path = Member(loc_path, "physicalLocation");

    auto artifact = Get(**physical, phys_path, "artifactLocation", Kind::kObject, false);
    if (!artifact) return Fail(artifact.error());
    if (*artifact != nullptr) {
      std::string art_path = Member(phys_path, "artifactLocation");
      auto uri = Get(**artifact, art_path, "uri", Kind::kString, false);
      if (!uri) return Fail(uri.error());
      auto base = Get(**artifact, art_path, "uriBaseId", Kind::kString, false);
      if (!base) return Fail(base.error());
      auto index = GetIndex(**artifact, art_path, "index");
      if (!index) return Fail(index.error());
      std::string u = *uri != nullptr ? (*uri)->get<std::string>() : std::string();
      std::string b = *base != nullptr ? (*base)->get<std::string>() : std::string();
      if (u.empty() && *index && **index >= 0) {
        // artifactLocation.index refers to run.artifacts[index].location.
        auto i = static_cast<std::uint64_t>(**index);
        if (artifacts_ == nullptr || i >= artifacts_->size()) {
          return Fail(Bad(Member(art_path, "index"), "artifact index " + std::to_string(i) + " out of range"));
        }
        const Json& artifact_entry = (*artifacts_)[static_cast<std::size_t>(i)];
        if (artifact_entry.is_object()) {
          auto l = artifact_entry.find("location");
          if (l != artifact_entry.end() && l->is_object()) {
            if (auto au = OptString(*l, "uri")) u = *au;
            if (auto ab = OptString(*l, "uriBaseId")) b = *ab;
          }
        }
      }
      where.file = ToFile(u, b);
    }

    auto region = Get(**physical, phys_path, "region", Kind::kObject, false);
    if (!region) return Fail(region.error());
    if (*region != nullptr) {
      std::string region_path = Member(phys_path, "region");
      auto line = LineOrColumn(**region, region_path, "startLine");
      if (!line) return Fail(line.error());
      auto column = LineOrColumn(**region, region_path, "startColumn");
      if (!column) return Fail(column.error());
      where.line = *line;
      where.column = *column;
      auto snippet = Get(**region, region_path, "snippet", Kind::kObject, false);
      if (!snippet) return Fail(snippet.error());
      if (*snippet != nullptr) {
        auto text = Get(**snippet, Member(region_path, "snippet"), "text", Kind::kString, false);
        if (!text) return Fail(text.error());
        if (*text != nullptr) where.snippet = (*text)->get<std::string>();
      }
    }
    return where;
  }

  // A fingerprint object: every value must be a string.
  Result<std::vector<std::pair<std::string, std::string>>> ReadFingerprints(const Json& result,
                                                                            const std::string& path,
                                                                            std::string_view key) const {
    std::vector<std::pair<std::string, std::string>> out;
    auto fps = Get(result, path, key, Kind::kObject, false);
    if (!fps) return Fail(fps.error());
    if (*fps == nullptr) return out;
    for (const auto& [name, value] : (*fps)->items()) {
      if (!value.is_string()) return Fail(Bad(Member(Member(path, key), name), "expected a string"));
      out.emplace_back(name, value.get<std::string>());  // items() iterates in key order
    }
    return out;
  }

  Result<std::string> Fingerprint(const Json& result, const std::string& path, const std::string& rule_id,
                                  const Where& where, const std::string& message) const {
    auto full = ReadFingerprints(result, path, "fingerprints");
    if (!full) return Fail(full.error());
    auto partial = ReadFingerprints(result, path, "partialFingerprints");
    if (!partial) return Fail(partial.error());
    for (const auto& [name, value] : *partial) {
      if (name == kTollgateFingerprintKey && IsHexDigest(value)) return value;
    }
    const auto& tool_fps = !full->empty() ? *full : *partial;
    if (!tool_fps.empty()) {
      std::vector<std::string_view> content;
      content.emplace_back(where.file);
      content.emplace_back(!full->empty() ? "fingerprints" : "partialFingerprints");
      for (const auto& [name, value] : tool_fps) {
        content.emplace_back(name);
        content.emplace_back(value);
      }
      return MakeFingerprint(rule_id, content);
    }
    std::string_view body = where.snippet.empty() ? std::string_view(message) : std::string_view(where.snippet);
    return MakeFingerprint(rule_id, {where.file, body});
  }

  // A reportingDescriptorReference to a taxon: "CWE-89" for the CWE
  // taxonomy, "<taxonomy>:<id>" for others.
  void AddTaxonReference(const Json& ref, std::vector<std::string>& refs) const {
    if (!ref.is_object()) return;
    std::string id = OptString(ref, "id").value_or("");
    std::string taxonomy;
    const Json* taxonomy_json = nullptr;
    auto component = ref.find("toolComponent");
    if (component != ref.end() && component->is_object()) {
      taxonomy = OptString(*component, "name").value_or("");
      auto index = component->find("index");
      if (index != component->end() && index->is_number_unsigned() && taxonomies_ != nullptr &&
          index->get<std::uint64_t>() < taxonomies_->size()) {
        taxonomy_json = &(*taxonomies_)[index->get<std::size_t>()];
        if (taxonomy.empty() && taxonomy_json->is_object()) {
          taxonomy = OptString(*taxonomy_json, "name").value_or("");
        }
      }
    }
    if (id.empty() && taxonomy_json != nullptr && taxonomy_json->is_object()) {
      auto ref_index = ref.find("index");
      auto taxa = taxonomy_json->find("taxa");
      if (ref_index != ref.end() && ref_index->is_number_unsigned() && taxa != taxonomy_json->end() &&
          taxa->is_array() && ref_index->get<std::uint64_t>() < taxa->size()) {
        const Json& taxon = (*taxa)[ref_index->get<std::size_t>()];
        if (taxon.is_object()) id = OptString(taxon, "id").value_or("");
      }
    }
    if (id.empty()) return;
    if (Lower(taxonomy) == "cwe") {
      if (auto cwe = ReferenceFromTag(StartsWithNoCase(id, "CWE-") ? id : "CWE-" + id)) {
        AddReference(refs, *cwe);
      }
      return;
    }
    if (auto tagged = ReferenceFromTag(id)) {
      AddReference(refs, *tagged);
      return;
    }
    AddReference(refs, taxonomy.empty() ? id : taxonomy + ":" + id);
  }

  static void AddTags(const Json& holder, std::vector<std::string>& refs) {
    auto props = holder.find("properties");
    if (props == holder.end() || !props->is_object()) return;
    auto tags = props->find("tags");
    if (tags == props->end() || !tags->is_array()) return;
    for (const Json& tag : *tags) {
      if (!tag.is_string()) continue;
      if (auto ref = ReferenceFromTag(tag.get_ref<const std::string&>())) AddReference(refs, *ref);
    }
  }

  Result<std::vector<std::string>> References(const Json& result, const std::string& path,
                                              const ResolvedRule& rule) const {
    std::vector<std::string> refs;
    auto props = Get(result, path, "properties", Kind::kObject, false);
    if (!props) return Fail(props.error());
    auto taxa = Get(result, path, "taxa", Kind::kArray, false);
    if (!taxa) return Fail(taxa.error());
    if (rule.descriptor != nullptr) {
      AddTags(*rule.descriptor, refs);
      auto relationships = rule.descriptor->find("relationships");
      if (relationships != rule.descriptor->end() && relationships->is_array()) {
        for (const Json& rel : *relationships) {
          if (!rel.is_object()) continue;
          auto target = rel.find("target");
          if (target != rel.end()) AddTaxonReference(*target, refs);
        }
      }
    }
    AddTags(result, refs);
    if (*taxa != nullptr) {
      for (const Json& ref : **taxa) AddTaxonReference(ref, refs);
    }
    if (rule.descriptor != nullptr) {
      if (auto help_uri = OptString(*rule.descriptor, "helpUri")) AddReference(refs, *help_uri);
    }
    return refs;
  }

  // One result -> a Finding, or nullopt for results that report no problem.
  Result<std::optional<Finding>> ImportResult(const Json& result, const std::string& path,
                                              const std::string& tool_name) const {
    if (!result.is_object()) return Fail(Bad(path, "expected an object"));
    auto kind_json = Get(result, path, "kind", Kind::kString, false);
    if (!kind_json) return Fail(kind_json.error());
    std::string kind = *kind_json != nullptr ? (*kind_json)->get<std::string>() : "fail";
    auto baseline = Get(result, path, "baselineState", Kind::kString, false);
    if (!baseline) return Fail(baseline.error());

    auto rule = ResolveRule(result, path);
    if (!rule) return Fail(rule.error());
    auto message = ReadMessage(result, path, *rule);
    if (!message) return Fail(message.error());
    auto level = Level(result, path, *rule, kind);
    if (!level) return Fail(level.error());
    auto score = SecuritySeverity(result, path, *rule);
    if (!score) return Fail(score.error());
    auto where = ReadLocation(result, path);
    if (!where) return Fail(where.error());
    auto refs = References(result, path, *rule);
    if (!refs) return Fail(refs.error());
    auto fingerprint = Fingerprint(result, path, rule->id, *where, *message);
    if (!fingerprint) return Fail(fingerprint.error());

    if (kind == "pass" || kind == "notApplicable") return std::optional<Finding>();
    if (*baseline != nullptr && (*baseline)->get_ref<const std::string&>() == "absent") {
      return std::optional<Finding>();
    }

    Finding f;
    f.rule_id = rule->id;
    f.gate = gate_;
    f.severity = *score ? SeverityFromScore(**score) : SeverityFromLevel(*level);
    f.message = std::move(*message);
    f.location.file = std::move(where->file);
    f.location.line = where->line;
    f.location.column = where->column;
    f.fingerprint = std::move(*fingerprint);
    if (rule->descriptor != nullptr) f.remediation = Remediation(*rule->descriptor);
    f.references = std::move(*refs);
    f.tool = tool_name;
    // A suppression the tool recorded (an in-source comment, a triage) is a
    // request without authority: kept for the gate to report, never applied.
    if (auto sup = result.find("suppressions"); sup != result.end() && sup->is_array()) {
      for (const auto& one : *sup) {
        if (!one.is_object()) continue;
        std::string status = one.contains("status") && one["status"].is_string() ? one["status"].get<std::string>() : "accepted";
        if (status == "rejected") continue;
        std::string sup_kind = one.contains("kind") && one["kind"].is_string() ? one["kind"].get<std::string>() : "external";
        std::string why = one.contains("justification") && one["justification"].is_string()
                              ? one["justification"].get<std::string>()
                              : "";
        f.details["suppression"] = Json{{"kind", "sarif:" + sup_kind}, {"line", f.location.line}, {"status", status},
                                        {"reason", why.empty() ? "suppressed in the SARIF report" : why}};
        break;
      }
    }
    return std::optional<Finding>(std::move(f));
  }

  // A rule's help text (else its full description), made once per rule of
  // the run and shared by all its findings.
  const SharedText& Remediation(const Json& descriptor) const {
    auto [it, inserted] = remediation_.try_emplace(&descriptor);
    if (inserted) {
      std::string text = DescriptorText(descriptor, "help");
      if (text.empty()) text = DescriptorText(descriptor, "fullDescription");
      it->second = std::move(text);
    }
    return it->second;
  }

  struct BaseId {
    std::string uri;
    std::string base;
  };

  std::string source_;
  std::string gate_;
  // Per run; borrowed pointers into the document being imported.
  RuleSet driver_;
  std::vector<RuleSet> extensions_;
  const Json* artifacts_ = nullptr;
  const Json* taxonomies_ = nullptr;
  std::map<std::string, BaseId, std::less<>> base_ids_;
  std::string tool_name_;
  // By rule descriptor, for the run last set up.
  mutable std::map<const Json*, SharedText> remediation_;
};

// A run as the stream has shown it so far.
struct RunState {
  std::string path;  // "runs[2]"
  // The members results refer to (tool, artifacts, taxonomies,
  // originalUriBaseIds), as read; kept only while the run may need them.
  std::unique_ptr<Json> context = std::make_unique<Json>(Json::object());
  bool results_started = false;
  bool converting = false;  // results are being converted in this pass
  bool late = false;        // a context member came after the results
  bool deferred = false;    // the results came before the tool: not converted
  bool second_pass = false; // its results are converted again, in a second pass
  std::optional<Error> results_type_error;
  std::optional<Error> result_error;  // the first result that failed
  std::optional<Error> error;         // the run's error, once settled
  FindingStore findings;
};

// Reads a SARIF document as a stream: only one result is held as JSON at a
// time, beside what a run's results refer to (its tool, artifacts, taxonomies
// and base ids). A run is converted in one pass when those members come
// before its results, as most tools write them; otherwise its results are
// converted in a second pass, once the whole run has been seen. Problems are
// reported as reading the whole document reports them: JSON errors first,
// then the root, "version" and "runs", then each run in order (its tool and
// the members results refer to, the type of "results", then its first bad
// result).
class SarifStream final : public JsonStreamHandler {
 public:
  // Findings are held up to `memory` bytes per run, beyond that on disk
  // (core/finding_store.h).
  SarifStream(SarifReader& reader, std::size_t memory) : reader_(reader), memory_(memory) {}

  void StartSecondPass() {
    second_pass_ = true;
    run_index_ = 0;
  }
  bool NeedsSecondPass() const {
    for (const auto& run : runs_) {
      if (run.error && !run.second_pass) return false;  // an earlier run's error is the answer
      if (run.second_pass) return true;
    }
    return false;
  }

  Take Begin(const JsonPath& path, Type type) override {
    switch (path.size()) {
      case 0:
        if (type == Type::kObject) return Take::kEnter;
        root_not_object_ = true;
        return Take::kSkip;
      case 1:
        if (path[0].key == "version") return second_pass_ ? Take::kSkip : Take::kValue;
        if (path[0].key != "runs") return Take::kSkip;
        if (!second_pass_) {
          runs_seen_ = true;
          runs_array_ = type == Type::kArray;
        }
        return type == Type::kArray ? Take::kEnter : Take::kSkip;
      case 2:
        return BeginRun(type);
      case 3:
        return BeginRunMember(path[2].key, type);
      case 4: {
        RunState& run = runs_[current_];
        return run.converting && !run.result_error && path[2].key == "results" ? Take::kValue : Take::kSkip;
      }
      default:
        return Take::kSkip;
    }
  }

  Status Value(const JsonPath& path, Json value) override {
    if (path.size() == 1) {
      version_ = std::move(value);
      return Ok();
    }
    RunState& run = runs_[current_];
    if (path.size() == 3 && path[2].key == "results") {
      if (!value.is_null()) run.results_type_error = reader_.Bad(Member(run.path, "results"), "expected an array");
      return Ok();
    }
    if (path.size() == 3) {
      (*run.context)[path[2].key] = std::move(value);
      if (run.results_started) run.late = true;
      return Ok();
    }
    auto finding = reader_.ImportResult(value, Element(Member(run.path, "results"), path[3].index));
    if (!finding) {
      run.result_error = finding.error();
      run.converting = false;
    } else if (*finding) {
      return run.findings.Add(std::move(**finding));
    }
    return Ok();
  }

  Status End(const JsonPath& path) override {
    if (path.size() != 2) return Ok();
    RunState& run = runs_[current_];
    run.converting = false;
    if (second_pass_) {
      if (run.result_error) run.error = run.result_error;
      run.context.reset();
      return Settle(run);
    }
    // The whole run is known: settle it, as reading it whole would.
    if (auto s = reader_.SetupRun(*run.context, run.path); !s) {
      run.error = s.error();
    } else if (run.results_type_error) {
      run.error = run.results_type_error;
    } else if (run.deferred || run.late) {
      run.second_pass = true;
      run.findings.Clear();
      run.result_error.reset();
    } else if (run.result_error) {
      run.error = run.result_error;
    }
    if (run.error) {
      run.findings.Clear();
      if (!first_error_) first_error_ = current_;
    }
    if (!run.second_pass) run.context.reset();
    return run.second_pass ? Ok() : Settle(run);
  }

  // The findings of every run, or the first problem.
  Result<FindingStore> Finish() {
    if (root_not_object_) return Fail(reader_.Bad("(root)", "expected an object"));
    TG_TRY(reader_.CheckVersion(version_.is_discarded() ? nullptr : &version_));
    if (!runs_seen_) return Fail(reader_.Bad("runs", "required property is missing"));
    if (!runs_array_) return Fail(reader_.Bad("runs", "expected an array"));
    for (const auto& run : runs_)
      if (run.error) return Fail(*run.error);
    return std::move(settled_);
  }

 private:
  Take BeginRun(Type type) {
    if (second_pass_) {
      current_ = run_index_++;
      RunState& run = runs_[current_];
      if (!run.second_pass || type != Type::kObject) return Take::kSkip;
      (void)reader_.SetupRun(*run.context, run.path);  // it succeeded at the end of the first pass
      return Take::kEnter;
    }
    current_ = runs_.size();
    runs_.emplace_back();
    RunState& run = runs_.back();
    run.findings = FindingStore(memory_);
    run.path = Element("runs", current_);
    if (type == Type::kObject) return Take::kEnter;
    run.error = reader_.Bad(run.path, "expected an object");
    if (!first_error_) first_error_ = current_;
    return Take::kSkip;
  }

  Take BeginRunMember(const std::string& key, Type type) {
    RunState& run = runs_[current_];
    if (second_pass_) {
      if (key != "results" || type != Type::kArray) return Take::kSkip;
      run.converting = true;
      return Take::kEnter;
    }
    if (key == "tool" || key == "artifacts" || key == "taxonomies" || key == "originalUriBaseIds") return Take::kValue;
    if (key != "results") return Take::kSkip;
    run.results_started = true;
    if (type == Type::kScalar) return Take::kValue;  // null is no results; Value() refuses the rest
    if (type != Type::kArray) {
      run.results_type_error = reader_.Bad(Member(run.path, "results"), "expected an array");
      return Take::kSkip;
    }
    // After another run's error, converting is of no use: that error is the
    // answer unless an earlier run fails in a second pass.
    if (first_error_) return Take::kSkip;
    if (!run.context->contains("tool")) {
      run.deferred = true;
      return Take::kSkip;
    }
    if (!reader_.SetupRun(*run.context, run.path)) return Take::kSkip;  // settled at the run's end
    run.converting = true;
    return Take::kEnter;
  }

  // A run whose findings are final joins the others, so that only the run
  // being read holds findings of its own.
  Status Settle(RunState& run) {
    if (run.error) {
      run.findings.Clear();
      return Ok();
    }
    return settled_.Absorb(std::move(run.findings));
  }

  SarifReader& reader_;
  std::size_t memory_;
  FindingStore settled_{memory_};
  bool second_pass_ = false;
  bool root_not_object_ = false;
  bool runs_seen_ = false;
  bool runs_array_ = false;
  Json version_ = Json::value_t::discarded;
  std::vector<RunState> runs_;
  std::size_t current_ = 0;
  std::size_t run_index_ = 0;
  std::optional<std::size_t> first_error_;
};

// Imports through `pass`, which streams the document to a handler (once, or
// twice when a run's results come before what they refer to).
Result<FindingStore> ImportStream(std::string_view source_name, std::string_view gate, std::size_t memory,
                                  const std::function<Status(JsonStreamHandler&)>& pass) {
  SarifReader reader(source_name, gate);
  SarifStream stream(reader, memory);
  TG_TRY(pass(stream));
  if (stream.NeedsSecondPass()) {
    stream.StartSecondPass();
    TG_TRY(pass(stream));
  }
  return stream.Finish();
}

}  // namespace

namespace {
// Everything in memory: the findings are handed out as a vector.
constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

Result<std::vector<Finding>> TakeAll(Result<FindingStore> store) {
  if (!store) return Fail(store.error());
  return store->Take();
}
}  // namespace

Result<std::vector<Finding>> ImportSarif(std::string_view text, std::string_view source_name,
                                         std::string_view gate) {
  return TakeAll(ImportStream(source_name, gate, kUnbounded,
                              [&](JsonStreamHandler& h) { return StreamJsonText(text, source_name, h); }));
}

Result<std::vector<Finding>> ImportSarifFile(const std::string& path, std::string_view gate) {
  return TakeAll(
      ImportStream(path, gate, kUnbounded, [&](JsonStreamHandler& h) { return StreamJsonFile(path, h); }));
}

Result<FindingStore> ImportSarifFileToStore(const std::string& path, std::string_view gate, std::size_t memory) {
  return ImportStream(path, gate, memory, [&](JsonStreamHandler& h) { return StreamJsonFile(path, h); });
}

}  // namespace tollgate::sarif
