// The dependency and container scanner: the public header of scan/deps.
// Packages from lockfiles, SBOMs, root filesystems and image tarballs are
// matched offline against the local OSV database (db.h).
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"
#include "scan/deps/db.h"
#include "scan/deps/packages.h"

namespace tollgate::deps {

inline constexpr const char* kToolName = "tollgate-deps";

// One vulnerable package: every matching advisory, aliases merged.
struct Match {
  const Package* package = nullptr;
  std::vector<const Advisory*> advisories;  // the merged group, primary first
};

// How many packages of one ecosystem were checked against how many
// advisories of it. No advisories means nothing of that ecosystem was really
// checked: a coverage gap, never a clean result.
struct EcosystemCoverage {
  std::string ecosystem;        // the OSV name: "npm", "PyPI", "Debian"
  std::size_t packages = 0;
  std::size_t advisories = 0;   // in the database
  std::string newest_modified;  // of those advisories
  std::string first_file;       // where the first of the packages was found
};

struct DepsScanResult {
  Inventory inventory;
  std::vector<Finding> findings;
  Json database = Json::object();  // {"path", "digest", "modified", "advisories"}
  std::vector<EcosystemCoverage> coverage;  // by ecosystem name
};

// "PyPI: 12 packages checked against 3,401 advisories" (and why a gap is one).
std::string CoverageText(const EcosystemCoverage& c);
// Coverage as JSON: [{"ecosystem", "packages", "advisories", "newest_modified"}].
Json CoverageJson(const std::vector<EcosystemCoverage>& coverage);

inline constexpr const char* kAdvisoryCoverageRule = "advisory-coverage";
// One `advisory-coverage` finding (high) per ecosystem that has packages but
// no advisories in the database, except those in `allowed` ("*" allows all):
// a dependency gate fails closed on what it could not check.
std::vector<Finding> CoverageFindings(const std::vector<EcosystemCoverage>& coverage,
                                      const std::vector<std::string>& allowed);
// The name coverage uses for an ecosystem written in any case ("pypi" ->
// "PyPI"); nullopt for a name the scanner does not know or one with a
// release ("Debian:12"): a gate's allowance names whole ecosystems.
std::optional<std::string> CoverageEcosystemName(std::string_view name);

// Matches every package against the database: one finding per package and
// group of aliased advisories, with severity (CVSS base score, else the
// database's label, else medium), the fixed version to upgrade to and
// details (package, version, ecosystem, advisory, aliases, cvss, fixed).
Result<std::vector<Finding>> MatchPackages(const std::vector<Package>& packages, AdvisoryDb& db);

// The same evaluation over a list of advisories without the index: every
// package against every advisory (the benchmark's naive baseline).
std::vector<Finding> MatchPackagesNaive(const std::vector<Package>& packages, const std::vector<Advisory>& all);

// CollectPackages + MatchPackages, recording the database used.
Result<DepsScanResult> ScanDeps(const std::vector<std::string>& paths, AdvisoryDb& db, const CollectOptions& opts = {});

// SBOMs of an inventory: CycloneDX 1.5 JSON and SPDX 2.3 JSON.
// `name` names the scanned subject; `timestamp` is RFC 3339 UTC.
Json CycloneDxSbom(const Inventory& inv, const std::string& name, const std::string& timestamp,
                   const std::string& tool_version);
Json SpdxSbom(const Inventory& inv, const std::string& name, const std::string& timestamp,
              const std::string& tool_version);

}  // namespace tollgate::deps
