#include "scan/deps/osv.h"

#include <algorithm>
#include <set>

#include "core/time.h"
#include "core/yaml.h"
#include "scan/deps/cvss.h"

namespace tollgate::deps {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr std::size_t kMaxYamlDepth = 64;

Error FieldError(std::string_view what, std::string_view field, std::string_view problem) {
  return Error::Input(std::string(what) + ": " + std::string(field) + ": " + std::string(problem));
}

Status ReadString(const Json& j, std::string_view key, std::string& out, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Ok();
  if (!it->is_string()) return Fail(FieldError(what, key, "expected a string"));
  out = it->get<std::string>();
  return Ok();
}

Status ReadStrings(const Json& j, std::string_view key, std::vector<std::string>& out, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Ok();
  if (!it->is_array()) return Fail(FieldError(what, key, "expected an array of strings"));
  for (const auto& v : *it) {
    if (!v.is_string()) return Fail(FieldError(what, key, "expected an array of strings"));
    out.push_back(v.get<std::string>());
  }
  return Ok();
}

std::string SeverityLabelOf(const Json& j) {
  for (const char* holder : {"database_specific", "ecosystem_specific"}) {
    auto it = j.find(holder);
    if (it == j.end() || !it->is_object()) continue;
    auto s = it->find("severity");
    if (s != it->end() && s->is_string()) return s->get<std::string>();
  }
  return {};
}

// Events in version order, introduced "0" first (the OSV evaluation order).
// (limit events go last; they bound the range rather than take part in it).
void SortEvents(OsvRange& r, Ecosystem e) {
  auto limits = std::stable_partition(r.events.begin(), r.events.end(),
                                      [](const OsvEvent& x) { return x.kind != OsvEvent::kLimit; });
  std::stable_sort(r.events.begin(), limits, [e](const OsvEvent& x, const OsvEvent& y) {
    bool x0 = x.kind == OsvEvent::kIntroduced && x.version == "0";
    bool y0 = y.kind == OsvEvent::kIntroduced && y.version == "0";
    if (x0 || y0) return x0 && !y0;
    return CompareVersions(e, x.version, y.version) < 0;
  });
}

}  // namespace

Result<Json> ParseOsvText(std::string_view text, std::string_view what) {
  if (EndsWith(what, ".yaml") || EndsWith(what, ".yml")) {
    const std::string file(what);
    yaml::Limits limits;
    limits.max_depth = kMaxYamlDepth;
    auto doc = yaml::ParseDocument(text, file, limits);
    if (!doc) return Fail(doc.error());
    // Every scalar stays a string: versions such as 1.10 keep their spelling.
    yaml::Budget budget = yaml::Budget::For(*doc);
    return yaml::ToJson(doc->root, file, budget, yaml::JsonOptions{true});
  }
  return ParseJson(text, what);
}

namespace {
// "YYYY-MM-DDTHH:MM:SSZ": the fixed-width UTC form `modified` is kept in.
bool IsUtcSeconds(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (kShape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != kShape[i]) return false;
  return true;
}
}  // namespace

Result<Advisory> AdvisoryFromJson(const Json& j, std::string_view what) {
  if (!j.is_object()) return Fail(Error::Input(std::string(what) + ": an OSV record must be a JSON object"));
  Advisory a;
  TG_TRY(ReadString(j, "id", a.id, what));
  if (a.id.empty()) return Fail(FieldError(what, "id", "missing"));
  TG_TRY(ReadString(j, "modified", a.modified, what));
  if (a.modified.empty()) return Fail(FieldError(what, "modified", "missing"));
  // Which record is newer, and how old the database is, are decided on
  // `modified`: it must be a time, and is kept in one fixed-width UTC form so
  // that comparing and taking the newest are exact.
  // Go's vulnerability database dates records with Go's zero time
  // (0001-01-01T00:00:00Z), outside the years a nanosecond clock holds
  // (1677 to 2262): a time in that form is kept as written, and compares
  // as the time it is.
  if (auto modified = ParseRfc3339(a.modified)) {
    a.modified = FormatRfc3339(*modified);
  } else if (!IsUtcSeconds(a.modified)) {
    return Fail(FieldError(what, "modified", "not an RFC 3339 date-time: \"" + a.modified + "\""));
  }
  TG_TRY(ReadString(j, "published", a.published, what));
  TG_TRY(ReadString(j, "withdrawn", a.withdrawn, what));
  TG_TRY(ReadString(j, "summary", a.summary, what));
  if (a.summary.empty()) {
    std::string details;
    TG_TRY(ReadString(j, "details", details, what));
    a.summary = details.substr(0, std::min<std::size_t>(details.find('\n'), 200));
  }
  TG_TRY(ReadStrings(j, "aliases", a.aliases, what));
  a.severity_label = SeverityLabelOf(j);
  if (auto sev = j.find("severity"); sev != j.end() && sev->is_array()) {
    for (const auto& s : *sev) {
      if (!s.is_object()) return Fail(FieldError(what, "severity", "expected objects"));
      OsvSeverity o;
      TG_TRY(ReadString(s, "type", o.type, what));
      TG_TRY(ReadString(s, "score", o.score, what));
      a.severity.push_back(std::move(o));
    }
  }
  if (auto refs = j.find("references"); refs != j.end() && refs->is_array()) {
    for (const auto& r : *refs) {
      if (!r.is_object()) continue;
      auto u = r.find("url");
      if (u != r.end() && u->is_string()) a.references.push_back(u->get<std::string>());
    }
  }
  auto aff = j.find("affected");
  if (aff != j.end() && !aff->is_null()) {
    if (!aff->is_array()) return Fail(FieldError(what, "affected", "expected an array"));
    for (const auto& e : *aff) {
      if (!e.is_object()) return Fail(FieldError(what, "affected", "expected objects"));
      OsvAffected o;
      auto pkg = e.find("package");
      if (pkg != e.end() && pkg->is_object()) {
        TG_TRY(ReadString(*pkg, "ecosystem", o.ecosystem, what));
        TG_TRY(ReadString(*pkg, "name", o.name, what));
        TG_TRY(ReadString(*pkg, "purl", o.purl, what));
      }
      TG_TRY(ReadStrings(e, "versions", o.versions, what));
      o.severity_label = SeverityLabelOf(e);
      auto ranges = e.find("ranges");
      if (ranges != e.end() && !ranges->is_null()) {
        if (!ranges->is_array()) return Fail(FieldError(what, "affected.ranges", "expected an array"));
        for (const auto& r : *ranges) {
          if (!r.is_object()) return Fail(FieldError(what, "affected.ranges", "expected objects"));
          OsvRange rr;
          TG_TRY(ReadString(r, "type", rr.type, what));
          auto events = r.find("events");
          if (events == r.end() || !events->is_array())
            return Fail(FieldError(what, "affected.ranges.events", "expected an array"));
          for (const auto& ev : *events) {
            if (!ev.is_object() || ev.size() != 1 || !ev.begin().value().is_string())
              return Fail(FieldError(what, "affected.ranges.events", "each event has exactly one string field"));
            OsvEvent oe;
            const std::string& k = ev.begin().key();
            if (k == "introduced") oe.kind = OsvEvent::kIntroduced;
            else if (k == "fixed") oe.kind = OsvEvent::kFixed;
            else if (k == "last_affected") oe.kind = OsvEvent::kLastAffected;
            else if (k == "limit") oe.kind = OsvEvent::kLimit;
            else return Fail(FieldError(what, "affected.ranges.events", "unknown event '" + k + "'"));
            oe.version = ev.begin().value().get<std::string>();
            rr.events.push_back(std::move(oe));
          }
          o.ranges.push_back(std::move(rr));
        }
      }
      o.eco = ParseEcosystem(o.ecosystem);
      if (o.eco) {
        o.key_name = NormalizeName(*o.eco, o.name);
        for (auto& r : o.ranges) SortEvents(r, *o.eco);
      }
      a.affected.push_back(std::move(o));
    }
  }
  return a;
}

Json AdvisoryToJson(const Advisory& a) {
  Json j = Json::object();
  j["id"] = a.id;
  j["modified"] = a.modified;
  if (!a.published.empty()) j["published"] = a.published;
  if (!a.withdrawn.empty()) j["withdrawn"] = a.withdrawn;
  if (!a.summary.empty()) j["summary"] = a.summary;
  j["aliases"] = a.aliases;
  if (!a.severity.empty()) {
    Json s = Json::array();
    for (const auto& o : a.severity) s.push_back({{"type", o.type}, {"score", o.score}});
    j["severity"] = std::move(s);
  }
  if (!a.severity_label.empty()) j["database_specific"] = {{"severity", a.severity_label}};
  if (!a.references.empty()) {
    Json r = Json::array();
    for (const auto& u : a.references) r.push_back({{"url", u}});
    j["references"] = std::move(r);
  }
  Json aff = Json::array();
  for (const auto& o : a.affected) {
    Json e = Json::object();
    e["package"] = {{"ecosystem", o.ecosystem}, {"name", o.name}};
    if (!o.purl.empty()) e["package"]["purl"] = o.purl;
    if (!o.versions.empty()) e["versions"] = o.versions;
    if (!o.severity_label.empty()) e["database_specific"] = {{"severity", o.severity_label}};
    Json ranges = Json::array();
    for (const auto& r : o.ranges) {
      Json events = Json::array();
      for (const auto& ev : r.events) {
        const char* k = ev.kind == OsvEvent::kIntroduced ? "introduced"
                        : ev.kind == OsvEvent::kFixed    ? "fixed"
                        : ev.kind == OsvEvent::kLastAffected ? "last_affected"
                                                             : "limit";
        events.push_back({{k, ev.version}});
      }
      ranges.push_back({{"type", r.type}, {"events", std::move(events)}});
    }
    if (!ranges.empty()) e["ranges"] = std::move(ranges);
    aff.push_back(std::move(e));
  }
  j["affected"] = std::move(aff);
  return j;
}

std::string NormalizeName(Ecosystem e, std::string_view name) {
  std::string out;
  switch (e) {
    case Ecosystem::kPyPI: {
      bool in_sep = false;
      for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
          if (!in_sep) out.push_back('-');
          in_sep = true;
        } else {
          out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
          in_sep = false;
        }
      }
      return out;
    }
    case Ecosystem::kNuGet:
    case Ecosystem::kPackagist:
    case Ecosystem::kCratesIo:
    case Ecosystem::kHex:
    case Ecosystem::kPub:
      for (char c : name) out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
      if (e == Ecosystem::kCratesIo) std::replace(out.begin(), out.end(), '_', '-');
      return out;
    default: return std::string(name);
  }
}

bool IsAffected(const OsvAffected& a, Ecosystem e, std::string_view version) {
  for (const auto& v : a.versions)
    if (v == version) return true;
  for (const auto& r : a.ranges) {
    if (r.type != "SEMVER" && r.type != "ECOSYSTEM") continue;  // GIT: needs commits, skipped
    // limit: the version must be below at least one limit ("*" is infinity)
    bool has_limit = false, below_limit = false;
    std::vector<const OsvEvent*> events;
    for (const auto& ev : r.events) {
      if (ev.kind == OsvEvent::kLimit) {
        has_limit = true;
        if (ev.version == "*" || CompareVersions(e, version, ev.version) < 0) below_limit = true;
      } else {
        events.push_back(&ev);
      }
    }
    if (has_limit && !below_limit) continue;
    if (a.eco != e) {  // not sorted for this ordering when parsed
      std::stable_sort(events.begin(), events.end(), [&](const OsvEvent* x, const OsvEvent* y) {
        bool x0 = x->kind == OsvEvent::kIntroduced && x->version == "0";
        bool y0 = y->kind == OsvEvent::kIntroduced && y->version == "0";
        if (x0 || y0) return x0 && !y0;
        return CompareVersions(e, x->version, y->version) < 0;
      });
    }
    bool affected = false;
    for (const OsvEvent* ev : events) {
      switch (ev->kind) {
        case OsvEvent::kIntroduced:
          if (ev->version == "0" || CompareVersions(e, version, ev->version) >= 0) affected = true;
          break;
        case OsvEvent::kFixed:
          if (CompareVersions(e, version, ev->version) >= 0) affected = false;
          break;
        case OsvEvent::kLastAffected:
          if (CompareVersions(e, version, ev->version) > 0) affected = false;
          break;
        case OsvEvent::kLimit: break;
      }
    }
    if (affected) return true;
  }
  return false;
}

std::vector<std::string> FixedVersions(const OsvAffected& a) {
  std::vector<std::string> out;
  for (const auto& r : a.ranges) {
    if (r.type == "GIT") continue;
    for (const auto& ev : r.events)
      if (ev.kind == OsvEvent::kFixed) out.push_back(ev.version);
  }
  return out;
}

std::optional<std::string> ChooseFix(Ecosystem e, std::string_view installed, const std::vector<std::string>& fixed) {
  std::string major = MajorOf(e, installed);
  std::optional<std::string> same, any;
  for (const auto& f : fixed) {
    if (CompareVersions(e, f, installed) <= 0) continue;
    if (!any || CompareVersions(e, f, *any) < 0) any = f;
    if (!major.empty() && MajorOf(e, f) == major && (!same || CompareVersions(e, f, *same) < 0)) same = f;
  }
  return same ? same : any;
}

Rating RateAdvisory(const Advisory& a) {
  Rating r;
  for (const auto& s : a.severity) {
    if (s.type != "CVSS_V3" && s.type != "CVSS_V4") continue;
    auto score = CvssBaseScore(s.score);
    if (!score) continue;
    if (!r.score || *score > *r.score) {
      r.score = *score;
      r.vector = s.score;
    }
  }
  if (r.score) {
    r.severity = CvssSeverity(*r.score);
    return r;
  }
  std::string label = a.severity_label;
  if (label.empty())
    for (const auto& af : a.affected)
      if (!af.severity_label.empty()) label = af.severity_label;
  if (!label.empty()) r.severity = ParseRatedSeverity(label);
  return r;
}

}  // namespace tollgate::deps
