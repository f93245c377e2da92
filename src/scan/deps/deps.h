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

struct DepsScanResult {
  Inventory inventory;
  std::vector<Finding> findings;
  Json database = Json::object();  // {"path", "digest", "modified", "advisories"}
};

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
