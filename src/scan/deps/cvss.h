// CVSS base scores computed from vector strings (FIRST CVSS v3.0, v3.1 and
// v4.0 specifications).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/finding.h"
#include "core/result.h"

namespace tollgate::deps {

// "CVSS:3.1/AV:N/AC:L/..." -> 9.8. Error::Input names the problem (unknown
// prefix, missing or repeated base metric, unknown value).
Result<double> CvssBaseScore(std::string_view vector);
// The CVSS v4.0 base score (CVSS-B) of a "CVSS:4.0/..." vector.
Result<double> CvssV4BaseScore(std::string_view vector);

// The qualitative rating of a score (CVSS v3/v4 table): 0 none (info),
// 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10 critical.
Severity CvssSeverity(double score);

// Splits the metrics part of a vector ("AV:N/AC:L/...") into a map; a
// malformed or repeated metric is an Error::Input naming `vector`.
Result<std::map<std::string, std::string>> CvssMetrics(std::string_view body, std::string_view vector);

}  // namespace tollgate::deps
