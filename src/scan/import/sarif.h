// Import SARIF 2.1.0 reports from any external SAST/DAST/container tool into
// Findings, so a gate can decide on them like on its own scanners' findings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/finding_store.h"
#include "core/result.h"

namespace tollgate::sarif {

// Convert every result of every run. `source_name` names the file in error
// messages ("reports/sast.sarif:12:4: ..."); `gate` is stamped on each Finding.
//
// Severity: the GitHub convention `properties.security-severity` (a CVSS
// score on the result or its rule) wins when present: >=9.0 critical,
// >=7.0 high, >=4.0 medium, >0 low, 0 info. Otherwise the SARIF level of the
// result, else the rule's defaultConfiguration.level, else "warning":
// error -> high, warning -> medium, note -> low, none -> info.
//
// Fingerprint: the result's partialFingerprints/fingerprints when the tool
// provides them (tool-stable), else MakeFingerprint(rule, {uri, snippet or
// message}) so it survives moved lines.
Result<std::vector<Finding>> ImportSarif(std::string_view text, std::string_view source_name,
                                         std::string_view gate);

// Read and import a SARIF file from disk.
Result<std::vector<Finding>> ImportSarifFile(const std::string& path, std::string_view gate);

// The same, for a report of any size: the findings are held in `memory`
// bytes per run, and beyond that on disk (core/finding_store.h), so a
// report with millions of results is imported in bounded memory.
Result<FindingStore> ImportSarifFileToStore(const std::string& path, std::string_view gate,
                                            std::size_t memory = FindingStore::kDefaultMemory);

}  // namespace tollgate::sarif
