#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/hash.h"
#include "scan/deps/deps.h"

namespace tollgate::deps {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string r(s);
  for (auto& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

// OSV ecosystem base ("Rocky Linux", "Red Hat") vs os-release ID ("rocky", "rhel").
bool RpmDistroMatches(std::string_view eco, const std::string& id) {
  std::string e = LowerAscii(eco);
  if (id == "rhel") return e == "red hat";
  if (id == "rocky") return e == "rocky linux";
  if (id == "almalinux") return e == "almalinux";
  if (id.rfind("opensuse", 0) == 0) return e == "opensuse";
  if (id == "sles" || id == "sled") return e == "suse";
  if (id == "mageia") return e == "mageia";
  return true;  // unknown distribution: do not filter
}

// "enterprise_linux:9::appstream" or "9" names release "9".
bool ReleaseNamed(std::string_view spec, const std::string& release) {
  std::size_t s = 0;
  while (s <= spec.size()) {
    auto colon = spec.find(':', s);
    std::string_view part = spec.substr(s, colon == std::string_view::npos ? std::string_view::npos : colon - s);
    if (part == release) return true;
    if (colon == std::string_view::npos) break;
    s = colon + 1;
  }
  return false;
}

// Does an affected entry name this package (ecosystem, release, name)?
bool EntryMatches(const OsvAffected& a, const Package& p, const std::string& key_name) {
  if (a.eco != p.ecosystem || a.key_name != key_name) return false;
  // "Debian:12" applies only to release 12 when the package's release is known
  auto colon = a.ecosystem.find(':');
  if (p.ecosystem == Ecosystem::kRedHat) {
    // one ordering, several distributions: the record's must be the package's
    if (!p.distro.empty() && !RpmDistroMatches(a.ecosystem.substr(0, colon), p.distro)) return false;
    if (colon != std::string::npos && !p.release.empty() && !ReleaseNamed(a.ecosystem.substr(colon + 1), p.release))
      return false;
  } else if (colon != std::string::npos && !p.release.empty() && !ReleaseNamed(a.ecosystem.substr(colon + 1), p.release)) {
    return false;  // "Debian:12" is for release 12 only; "Ubuntu:22.04:LTS" for 22.04
  }
  return true;
}

// Ordering of ids for the primary id of a merged group: the ecosystem
// databases' own ids first, then GHSA, then CVE.
int IdRank(const std::string& id) {
  if (id.rfind("CVE-", 0) == 0) return 2;
  if (id.rfind("GHSA-", 0) == 0) return 1;
  return 0;
}

struct Hit {
  const Advisory* adv;
  std::vector<std::string> fixed;
};

// Ratings computed once per advisory for the whole scan (CVSS parsing is the
// costly part of building a finding).
using RatingCache = std::map<const Advisory*, Rating>;

const Rating& RatingOf(const Advisory* a, RatingCache& cache) {
  auto it = cache.find(a);
  if (it == cache.end()) it = cache.emplace(a, RateAdvisory(*a)).first;
  return it->second;
}

// An advisory's own record by id (an alias of a matched one), or null.
using AliasLookup = std::function<const Advisory*(const std::string& id)>;

Finding MakeFinding(const Package& p, std::vector<Hit> hits, RatingCache& ratings, const AliasLookup& lookup) {
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return std::make_pair(IdRank(a.adv->id), a.adv->id) < std::make_pair(IdRank(b.adv->id), b.adv->id);
  });
  const Advisory& primary = *hits.front().adv;
  std::set<std::string> aliases;
  std::vector<std::string> fixed;
  Rating best;
  for (const auto& h : hits) {
    if (h.adv->id != primary.id) aliases.insert(h.adv->id);
    for (const auto& a : h.adv->aliases)
      if (a != primary.id) aliases.insert(a);
    fixed.insert(fixed.end(), h.fixed.begin(), h.fixed.end());
    const Rating& r = RatingOf(h.adv, ratings);
    if (r.score && (!best.score || *r.score > *best.score)) best = r;
    else if (!best.score && r.severity && (!best.severity || *r.severity > *best.severity)) best.severity = r.severity;
  }
  // No record that matched rates it: an alias's own record may (a PYSEC or
  // GO record whose GHSA alias carries a CVSS vector), matched or not.
  std::string rated_by;
  if (!best.severity && lookup) {
    for (const auto& id : aliases) {
      const Advisory* alias = lookup(id);
      if (alias == nullptr) continue;
      const Rating& r = RatingOf(alias, ratings);
      if (!r.severity) continue;
      if (!best.severity || (r.score && (!best.score || *r.score > *best.score)) ||
          (!best.score && !r.score && *r.severity > *best.severity)) {
        best = r;
        rated_by = id;
      }
    }
  }
  auto fix = ChooseFix(p.ecosystem, p.version, fixed);
  Finding f;
  f.rule_id = primary.id;
  f.severity = best.severity.value_or(Severity::kUnknown);
  std::string eco(EcosystemName(p.ecosystem));
  f.message = p.name + " " + p.version + " (" + eco + ") is affected by " + primary.id;
  if (!aliases.empty()) {
    std::string list;
    for (const auto& a : aliases) list += (list.empty() ? "" : ", ") + a;
    f.message += " (" + list + ")";
  }
  if (!primary.summary.empty()) f.message += ": " + primary.summary;
  if (!best.severity) f.message += " [no severity published]";
  if (!rated_by.empty()) f.message += " [severity from " + rated_by + "]";
  f.location.file = p.file;
  f.location.line = p.line;
  f.fingerprint = MakeFingerprint("deps", {eco, NormalizeName(p.ecosystem, p.name), p.version, primary.id});
  f.remediation = fix ? "upgrade " + p.name + " to " + *fix : "no fixed version of " + p.name + " is published";
  f.references.push_back("https://osv.dev/vulnerability/" + primary.id);
  f.tool = kToolName;
  Json d = Json::object();
  d["package"] = p.name;
  d["version"] = p.version;
  d["ecosystem"] = eco;
  d["advisory"] = primary.id;
  d["aliases"] = std::vector<std::string>(aliases.begin(), aliases.end());
  if (best.score) d["cvss"] = {{"score", *best.score}, {"vector", best.vector}};
  else d["cvss"] = nullptr;
  d["fixed"] = fix ? Json(*fix) : Json(nullptr);
  if (!rated_by.empty()) d["severity_from"] = rated_by;
  if (!p.purl.empty()) d["purl"] = p.purl;
  f.details = std::move(d);
  return f;
}

// Groups advisories that name each other (or share an alias) into one finding.
std::vector<Finding> Merge(const Package& p, std::vector<Hit> hits, RatingCache& ratings, const AliasLookup& lookup) {
  std::vector<std::size_t> parent(hits.size());
  for (std::size_t i = 0; i < parent.size(); ++i) parent[i] = i;
  std::function<std::size_t(std::size_t)> find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::map<std::string, std::size_t> owner;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    std::vector<std::string> names = hits[i].adv->aliases;
    names.push_back(hits[i].adv->id);
    for (const auto& n : names) {
      auto [it, inserted] = owner.emplace(n, i);
      if (!inserted) parent[find(i)] = find(it->second);
    }
  }
  std::map<std::size_t, std::vector<Hit>> groups;
  for (std::size_t i = 0; i < hits.size(); ++i) groups[find(i)].push_back(hits[i]);
  std::vector<Finding> out;
  for (auto& [root, g] : groups) out.push_back(MakeFinding(p, std::move(g), ratings, lookup));
  return out;
}

void MatchOne(const Package& p, const std::vector<const Advisory*>& candidates, RatingCache& ratings,
              const AliasLookup& lookup, std::vector<Finding>& out) {
  std::vector<Hit> hits;
  const std::string key_name = NormalizeName(p.ecosystem, p.name);
  for (const Advisory* a : candidates) {
    if (!a->withdrawn.empty()) continue;
    Hit h{a, {}};
    bool hit = false;
    for (const auto& af : a->affected) {
      if (!EntryMatches(af, p, key_name)) continue;
      if (IsAffected(af, p.ecosystem, p.version)) {
        hit = true;
        auto f = FixedVersions(af);
        h.fixed.insert(h.fixed.end(), f.begin(), f.end());
      }
    }
    if (hit) hits.push_back(std::move(h));
  }
  if (hits.empty()) return;
  auto fs = Merge(p, std::move(hits), ratings, lookup);
  out.insert(out.end(), fs.begin(), fs.end());
}

}  // namespace

Result<std::vector<Finding>> MatchPackages(const std::vector<Package>& packages, AdvisoryDb& db) {
  std::vector<Finding> out;
  RatingCache ratings;
  std::optional<Error> lookup_error;
  const AliasLookup lookup = [&](const std::string& id) -> const Advisory* {
    auto a = db.ById(id);
    if (!a) {
      if (!lookup_error) lookup_error = a.error();
      return nullptr;
    }
    return *a;
  };
  for (const auto& p : packages) {
    auto c = db.Candidates(p.ecosystem, NormalizeName(p.ecosystem, p.name));
    if (!c) return Fail(c.error());
    MatchOne(p, *c, ratings, lookup, out);
    if (lookup_error) return Fail(*lookup_error);
  }
  SortFindings(out);
  return out;
}

std::vector<Finding> MatchPackagesNaive(const std::vector<Package>& packages, const std::vector<Advisory>& all) {
  std::vector<const Advisory*> every;
  every.reserve(all.size());
  for (const auto& a : all) every.push_back(&a);
  std::vector<Finding> out;
  RatingCache ratings;
  std::map<std::string, const Advisory*, std::less<>> by_id;
  for (const Advisory* a : every) by_id.emplace(a->id, a);
  const AliasLookup lookup = [&](const std::string& id) -> const Advisory* {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : it->second;
  };
  for (const auto& p : packages) MatchOne(p, every, ratings, lookup, out);
  SortFindings(out);
  return out;
}

Result<DepsScanResult> ScanDeps(const std::vector<std::string>& paths, AdvisoryDb& db, const CollectOptions& opts) {
  DepsScanResult r;
  auto inv = CollectPackages(paths, opts);
  if (!inv) return Fail(inv.error());
  r.inventory = std::move(*inv);
  auto st = db.Summary();
  if (!st) return Fail(st.error());
  r.database = {{"path", db.path()},
                {"digest", st->digest},
                {"modified", st->newest_modified},
                {"advisories", st->advisories}};
  auto f = MatchPackages(r.inventory.packages, db);
  if (!f) return Fail(f.error());
  r.findings = std::move(*f);
  auto ecosystems = db.Ecosystems();
  if (!ecosystems) return Fail(ecosystems.error());
  std::map<std::string, EcosystemCoverage> by_name;
  for (const Package& p : r.inventory.packages) {
    const std::string name(EcosystemName(p.ecosystem));
    auto [it, fresh] = by_name.try_emplace(name);
    EcosystemCoverage& c = it->second;
    if (fresh) {
      c.ecosystem = name;
      c.first_file = p.file;
      if (auto e = ecosystems->find(name); e != ecosystems->end()) {
        c.advisories = e->second.advisories;
        c.newest_modified = e->second.newest_modified;
      }
    }
    ++c.packages;
  }
  for (auto& [name, c] : by_name) r.coverage.push_back(std::move(c));
  return r;
}

std::string CoverageText(const EcosystemCoverage& c) {
  std::string text = c.ecosystem + ": " + std::to_string(c.packages) + " package" + (c.packages == 1 ? "" : "s") +
                     " checked against " + std::to_string(c.advisories) + " advisor" +
                     (c.advisories == 1 ? "y" : "ies");
  if (c.advisories == 0)
    text += ": the advisory database holds none for " + c.ecosystem + ", so these packages were not checked (import " +
            c.ecosystem + "'s all.zip from OSV: docs/deps.md)";
  else
    text += " (newest " + c.newest_modified + ")";
  return text;
}

Json CoverageJson(const std::vector<EcosystemCoverage>& coverage) {
  Json out = Json::array();
  for (const auto& c : coverage)
    out.push_back({{"ecosystem", c.ecosystem},
                   {"packages", c.packages},
                   {"advisories", c.advisories},
                   {"newest_modified", c.newest_modified}});
  return out;
}

std::optional<std::string> CoverageEcosystemName(std::string_view name) {
  if (name.find(':') != std::string_view::npos) return std::nullopt;
  auto e = ParseEcosystem(name);
  if (!e) return std::nullopt;
  return std::string(EcosystemName(*e));
}

std::vector<Finding> CoverageFindings(const std::vector<EcosystemCoverage>& coverage,
                                      const std::vector<std::string>& allowed) {
  std::vector<Finding> out;
  for (const auto& c : coverage) {
    if (c.advisories != 0) continue;
    if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end() ||
        std::find(allowed.begin(), allowed.end(), c.ecosystem) != allowed.end())
      continue;
    Finding f;
    f.rule_id = kAdvisoryCoverageRule;
    f.severity = Severity::kHigh;
    f.message = std::to_string(c.packages) + " " + c.ecosystem + " package" + (c.packages == 1 ? " was" : "s were") +
                " not checked: the advisory database holds no " + c.ecosystem + " advisories";
    f.location.file = c.first_file;
    f.fingerprint = MakeFingerprint(f.rule_id, {c.ecosystem});
    f.remediation = "Import " + c.ecosystem + "'s advisories (OSV's " + c.ecosystem +
                    "/all.zip: `tollgate db import`, docs/deps.md), or list the ecosystem under the gate's "
                    "`allow_missing_ecosystems` if it is knowingly not covered; until then a waiver by the gate's "
                    "bypass role accepts it.";
    f.tool = kToolName;
    f.details = Json{{"ecosystem", c.ecosystem}, {"packages", c.packages}};
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace tollgate::deps
