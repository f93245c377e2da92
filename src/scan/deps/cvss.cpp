#include "scan/deps/cvss.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace tollgate::deps {

Result<std::map<std::string, std::string>> CvssMetrics(std::string_view body, std::string_view vector) {
  std::map<std::string, std::string> m;
  std::size_t start = 0;
  while (start <= body.size()) {
    auto slash = body.find('/', start);
    std::string_view part = body.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    auto colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size())
      return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': malformed metric '" + std::string(part) + "'"));
    std::string k(part.substr(0, colon));
    if (!m.emplace(k, std::string(part.substr(colon + 1))).second)
      return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': metric " + k + " repeated"));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return m;
}

namespace {

Result<double> Weight(const std::map<std::string, std::string>& m, const std::string& key,
                      const std::map<std::string, double>& table, std::string_view vector) {
  auto it = m.find(key);
  if (it == m.end()) return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': base metric " + key + " missing"));
  auto w = table.find(it->second);
  if (w == table.end())
    return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': " + key + ":" + it->second + " is not a valid value"));
  return w->second;
}

// CVSS v3.1 Roundup (Appendix A): the smallest one-decimal number >= x,
// computed on integers so that floating point error cannot round up.
double Roundup31(double x) {
  auto i = static_cast<long long>(std::llround(x * 100000.0));
  if (i % 10000 == 0) return static_cast<double>(i) / 100000.0;
  return static_cast<double>(i / 10000 + 1) / 10.0;
}
double Roundup30(double x) { return std::ceil(x * 10.0) / 10.0; }

Result<double> ScoreV3(std::string_view body, std::string_view vector, bool v31) {
  auto mr = CvssMetrics(body, vector);
  if (!mr) return Fail(mr.error());
  const auto& m = *mr;
  auto scope = m.find("S");
  if (scope == m.end() || (scope->second != "U" && scope->second != "C"))
    return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': base metric S missing or invalid"));
  bool changed = scope->second == "C";
  auto av = Weight(m, "AV", {{"N", 0.85}, {"A", 0.62}, {"L", 0.55}, {"P", 0.2}}, vector);
  auto ac = Weight(m, "AC", {{"L", 0.77}, {"H", 0.44}}, vector);
  auto pr = Weight(m, "PR", {{"N", 0.85}, {"L", changed ? 0.68 : 0.62}, {"H", changed ? 0.5 : 0.27}}, vector);
  auto ui = Weight(m, "UI", {{"N", 0.85}, {"R", 0.62}}, vector);
  const std::map<std::string, double> cia{{"H", 0.56}, {"L", 0.22}, {"N", 0.0}};
  auto c = Weight(m, "C", cia, vector);
  auto i = Weight(m, "I", cia, vector);
  auto a = Weight(m, "A", cia, vector);
  for (const auto* r : {&av, &ac, &pr, &ui, &c, &i, &a})
    if (!*r) return Fail(r->error());
  double iss = 1.0 - (1.0 - *c) * (1.0 - *i) * (1.0 - *a);
  double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15.0) : 6.42 * iss;
  double expl = 8.22 * *av * *ac * *pr * *ui;
  if (impact <= 0) return 0.0;
  double raw = changed ? std::min(1.08 * (impact + expl), 10.0) : std::min(impact + expl, 10.0);
  return v31 ? Roundup31(raw) : Roundup30(raw);
}

}  // namespace

Result<double> CvssBaseScore(std::string_view vector) {
  if (vector.rfind("CVSS:3.1/", 0) == 0) return ScoreV3(vector.substr(9), vector, true);
  if (vector.rfind("CVSS:3.0/", 0) == 0) return ScoreV3(vector.substr(9), vector, false);
  if (vector.rfind("CVSS:4.0/", 0) == 0) return CvssV4BaseScore(vector);
  return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': unknown version (expected CVSS:3.0, 3.1 or 4.0)"));
}

Severity CvssSeverity(double score) {
  if (score >= 9.0) return Severity::kCritical;
  if (score >= 7.0) return Severity::kHigh;
  if (score >= 4.0) return Severity::kMedium;
  if (score > 0.0) return Severity::kLow;
  return Severity::kInfo;
}

}  // namespace tollgate::deps
