// CVSS v4.0 scores (FIRST CVSS v4.0 specification, section 8 "CVSS v4.0
// Scoring"): the vector is reduced to a MacroVector of six equivalence classes
// (EQ1..EQ6), the MacroVector's score comes from the table FIRST's experts
// published, and the score is lowered inside the MacroVector by how far the
// vector is from the MacroVector's most severe vectors (severity distance),
// proportionally to the gap to the next lower MacroVector.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "scan/deps/cvss.h"

namespace tollgate::deps {
namespace {

using Metrics = std::map<std::string, std::string>;

// The MacroVector scores in tenths, indexed [EQ1][EQ2][EQ3][EQ4][EQ5][EQ6]
// (3 x 2 x 3 x 3 x 3 x 2); -1 where no vector can fall (EQ3=2 with EQ6=0).
// Data: the "cvssLookup_global" table of the FIRST CVSS v4.0 calculator
// (CVSS is owned by FIRST and used by permission).
constexpr std::array<short, 324> kMacroScores{
    /* EQ1=0 EQ2=0 EQ3=0 */ 100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68,
    /* EQ1=0 EQ2=0 EQ3=1 */ 98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48,
    /* EQ1=0 EQ2=0 EQ3=2 */ -1, 92, -1, 82, -1, 72, -1, 79, -1, 69, -1, 50, -1, 69, -1, 55, -1, 27,
    /* EQ1=0 EQ2=1 EQ3=0 */ 99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53,
    /* EQ1=0 EQ2=1 EQ3=1 */ 95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30,
    /* EQ1=0 EQ2=1 EQ3=2 */ -1, 86, -1, 75, -1, 52, -1, 71, -1, 52, -1, 29, -1, 63, -1, 29, -1, 17,
    /* EQ1=1 EQ2=0 EQ3=0 */ 98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49,
    /* EQ1=1 EQ2=0 EQ3=1 */ 94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25,
    /* EQ1=1 EQ2=0 EQ3=2 */ -1, 83, -1, 70, -1, 54, -1, 65, -1, 58, -1, 26, -1, 53, -1, 21, -1, 13,
    /* EQ1=1 EQ2=1 EQ3=0 */ 95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30,
    /* EQ1=1 EQ2=1 EQ3=1 */ 89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16,
    /* EQ1=1 EQ2=1 EQ3=2 */ -1, 71, -1, 59, -1, 30, -1, 58, -1, 26, -1, 15, -1, 23, -1, 13, -1, 6,
    /* EQ1=2 EQ2=0 EQ3=0 */ 93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22,
    /* EQ1=2 EQ2=0 EQ3=1 */ 85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8,
    /* EQ1=2 EQ2=0 EQ3=2 */ -1, 64, -1, 51, -1, 20, -1, 47, -1, 21, -1, 11, -1, 24, -1, 9, -1, 4,
    /* EQ1=2 EQ2=1 EQ3=0 */ 88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11,
    /* EQ1=2 EQ2=1 EQ3=1 */ 75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2,
    /* EQ1=2 EQ2=1 EQ3=2 */ -1, 53, -1, 24, -1, 14, -1, 24, -1, 12, -1, 5, -1, 10, -1, 3, -1, 1,
};

int MacroScoreTenths(const std::array<int, 6>& eq) {
  static constexpr std::array<int, 6> kSize{3, 2, 3, 3, 3, 2};
  int index = 0;
  for (std::size_t i = 0; i < eq.size(); ++i) {
    if (eq[i] < 0 || eq[i] >= kSize[i]) return -1;
    index = index * kSize[i] + eq[i];
  }
  return kMacroScores[static_cast<std::size_t>(index)];
}

struct Allowed {
  const char* key;
  std::vector<std::string> values;
};

// Every metric a v4.0 vector may carry with its values; the first eleven are
// the mandatory base metrics.
const std::vector<Allowed>& AllowedMetrics() {
  static const std::vector<Allowed> kAllowed{
      {"AV", {"N", "A", "L", "P"}},          {"AC", {"L", "H"}},
      {"AT", {"N", "P"}},                    {"PR", {"N", "L", "H"}},
      {"UI", {"N", "P", "A"}},               {"VC", {"H", "L", "N"}},
      {"VI", {"H", "L", "N"}},               {"VA", {"H", "L", "N"}},
      {"SC", {"H", "L", "N"}},               {"SI", {"H", "L", "N"}},
      {"SA", {"H", "L", "N"}},               {"E", {"X", "A", "P", "U"}},
      {"CR", {"X", "H", "M", "L"}},          {"IR", {"X", "H", "M", "L"}},
      {"AR", {"X", "H", "M", "L"}},          {"MAV", {"X", "N", "A", "L", "P"}},
      {"MAC", {"X", "L", "H"}},              {"MAT", {"X", "N", "P"}},
      {"MPR", {"X", "N", "L", "H"}},         {"MUI", {"X", "N", "P", "A"}},
      {"MVC", {"X", "H", "L", "N"}},         {"MVI", {"X", "H", "L", "N"}},
      {"MVA", {"X", "H", "L", "N"}},         {"MSC", {"X", "H", "L", "N"}},
      {"MSI", {"X", "S", "H", "L", "N"}},    {"MSA", {"X", "S", "H", "L", "N"}},
      {"S", {"X", "N", "P"}},                {"AU", {"X", "N", "Y"}},
      {"R", {"X", "A", "U", "I"}},           {"V", {"X", "D", "C"}},
      {"RE", {"X", "L", "M", "H"}},          {"U", {"X", "Clear", "Green", "Amber", "Red"}},
  };
  return kAllowed;
}

Result<Metrics> Validate(std::string_view vector) {
  auto mr = CvssMetrics(vector.substr(9), vector);
  if (!mr) return Fail(mr.error());
  const auto& allowed = AllowedMetrics();
  for (const auto& [k, v] : *mr) {
    const Allowed* a = nullptr;
    for (const auto& x : allowed)
      if (k == x.key) a = &x;
    if (!a) return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': unknown metric " + k));
    bool ok = false;
    for (const auto& x : a->values) ok = ok || x == v;
    if (!ok) return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': " + k + ":" + v + " is not a valid value"));
  }
  for (std::size_t i = 0; i < 11; ++i)
    if (!mr->count(allowed[i].key))
      return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': base metric " + allowed[i].key + " missing"));
  return mr;
}

// The value a metric takes in the score: the environmental override when one
// is set, with the specification's defaults for Not Defined (E:X is A, the
// security requirements X are H).
std::string Effective(const Metrics& m, const std::string& key) {
  auto get = [&](const std::string& k) -> std::string {
    auto it = m.find(k);
    return it == m.end() ? "X" : it->second;
  };
  std::string v = get(key);
  if (key == "E") return v == "X" ? "A" : v;
  if (key == "CR" || key == "IR" || key == "AR") return v == "X" ? "H" : v;
  std::string modified = get("M" + key);
  return modified != "X" ? modified : v;
}

// Severity levels in tenths (0 = most severe) used for the distance of a
// vector from a MacroVector's most severe vectors.
int Level(const std::string& key, const std::string& v) {
  auto pick = [&](std::initializer_list<std::pair<const char*, int>> l) {
    for (const auto& [value, level] : l)
      if (v == value) return level;
    return 0;
  };
  if (key == "AV") return pick({{"N", 0}, {"A", 1}, {"L", 2}, {"P", 3}});
  if (key == "PR") return pick({{"N", 0}, {"L", 1}, {"H", 2}});
  if (key == "UI") return pick({{"N", 0}, {"P", 1}, {"A", 2}});
  if (key == "AC") return pick({{"L", 0}, {"H", 1}});
  if (key == "AT") return pick({{"N", 0}, {"P", 1}});
  if (key == "VC" || key == "VI" || key == "VA") return pick({{"H", 0}, {"L", 1}, {"N", 2}});
  if (key == "SC" || key == "SI" || key == "SA") return pick({{"S", 0}, {"H", 1}, {"L", 2}, {"N", 3}});
  if (key == "CR" || key == "IR" || key == "AR") return pick({{"H", 0}, {"M", 1}, {"L", 2}});
  return 0;
}

std::array<int, 6> MacroVector(const Metrics& m) {
  auto e = [&](const char* k) { return Effective(m, k); };
  std::array<int, 6> eq{};
  // EQ1: AV/PR/UI.
  if (e("AV") == "N" && e("PR") == "N" && e("UI") == "N") eq[0] = 0;
  else if ((e("AV") == "N" || e("PR") == "N" || e("UI") == "N") && e("AV") != "P") eq[0] = 1;
  else eq[0] = 2;
  // EQ2: AC/AT.
  eq[1] = e("AC") == "L" && e("AT") == "N" ? 0 : 1;
  // EQ3: VC/VI/VA.
  if (e("VC") == "H" && e("VI") == "H") eq[2] = 0;
  else if (e("VC") == "H" || e("VI") == "H" || e("VA") == "H") eq[2] = 1;
  else eq[2] = 2;
  // EQ4: SC/SI/SA, with MSI/MSA Safety.
  if (e("SI") == "S" || e("SA") == "S") eq[3] = 0;
  else if (e("SC") == "H" || e("SI") == "H" || e("SA") == "H") eq[3] = 1;
  else eq[3] = 2;
  // EQ5: exploit maturity.
  eq[4] = e("E") == "A" ? 0 : e("E") == "P" ? 1 : 2;
  // EQ6: security requirements against the vulnerable system's impact.
  bool high = (e("CR") == "H" && e("VC") == "H") || (e("IR") == "H" && e("VI") == "H") ||
              (e("AR") == "H" && e("VA") == "H");
  eq[5] = high ? 0 : 1;
  return eq;
}

// The most severe vectors of each equivalence class (EQ3 and EQ6 jointly),
// and each class's depth: how many severity steps it spans.
const std::vector<std::vector<std::string>>& MaxVectorsEq1() {
  static const std::vector<std::vector<std::string>> k{
      {"AV:N/PR:N/UI:N"}, {"AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"}, {"AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"}};
  return k;
}
const std::vector<std::vector<std::string>>& MaxVectorsEq2() {
  static const std::vector<std::vector<std::string>> k{{"AC:L/AT:N"}, {"AC:H/AT:N", "AC:L/AT:P"}};
  return k;
}
std::vector<std::string> MaxVectorsEq3Eq6(int eq3, int eq6) {
  if (eq3 == 0 && eq6 == 0) return {"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"};
  if (eq3 == 0) return {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"};
  if (eq3 == 1 && eq6 == 0) return {"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"};
  if (eq3 == 1)
    return {"VC:L/VI:H/VA:H/CR:M/IR:H/AR:M", "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"};
  return {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"};
}
const std::vector<std::vector<std::string>>& MaxVectorsEq4() {
  static const std::vector<std::vector<std::string>> k{{"SC:H/SI:S/SA:S"}, {"SC:H/SI:H/SA:H"}, {"SC:L/SI:L/SA:L"}};
  return k;
}
constexpr std::array<int, 3> kDepthEq1{1, 4, 5};
constexpr std::array<int, 2> kDepthEq2{1, 2};
constexpr std::array<int, 3> kDepthEq4{6, 5, 4};
int DepthEq3Eq6(int eq3, int eq6) {
  if (eq3 == 0) return eq6 == 0 ? 7 : 6;
  if (eq3 == 1) return 8;
  return 10;
}

// "K:V/K:V" of a max vector fragment; these are fixed strings above.
Metrics Fragment(const std::string& s) {
  auto m = CvssMetrics(s, s);
  return m ? *m : Metrics{};
}

// Round half up to one decimal, tolerant of binary representation error.
double RoundOneDecimal(double x) { return std::floor((x + 1e-6) * 10.0 + 0.5) / 10.0; }

}  // namespace

Result<double> CvssV4BaseScore(std::string_view vector) {
  if (vector.rfind("CVSS:4.0/", 0) != 0)
    return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': not a CVSS:4.0 vector"));
  auto validated = Validate(vector);
  if (!validated) return Fail(validated.error());
  const Metrics& m = *validated;
  auto e = [&](const std::string& k) { return Effective(m, k); };
  bool no_impact = true;
  for (const char* k : {"VC", "VI", "VA", "SC", "SI", "SA"}) no_impact = no_impact && e(k) == "N";
  if (no_impact) return 0.0;

  const auto eq = MacroVector(m);
  const int macro = MacroScoreTenths(eq);
  if (macro < 0) return Fail(Error::Internal("CVSS vector '" + std::string(vector) + "': no MacroVector score"));
  const double value = macro / 10.0;

  // The score of the next lower MacroVector in each class (NaN: none).
  auto lower = [&](std::size_t i, int by) {
    auto next = eq;
    next[i] += by;
    int s = MacroScoreTenths(next);
    return s < 0 ? std::nan("") : s / 10.0;
  };
  const double lower_eq1 = lower(0, 1), lower_eq2 = lower(1, 1), lower_eq4 = lower(3, 1), lower_eq5 = lower(4, 1);
  double lower_eq3eq6 = std::nan("");
  {
    auto with = [&](int d3, int d6) {
      auto next = eq;
      next[2] += d3;
      next[5] += d6;
      int s = MacroScoreTenths(next);
      return s < 0 ? std::nan("") : s / 10.0;
    };
    if (eq[2] == 0 && eq[5] == 0) lower_eq3eq6 = std::fmax(with(0, 1), with(1, 0));
    else if (eq[2] == 1 && eq[5] == 0) lower_eq3eq6 = with(0, 1);
    else lower_eq3eq6 = with(1, 0);  // (0,1), (1,1); (2,1) has none
  }

  // The first of the class's most severe vectors the vector is not more
  // severe than, and the distance from it per class.
  static const std::array<const char*, 14> kKeys{"AV", "PR", "UI", "AC", "AT", "VC", "VI",
                                                 "VA", "SC", "SI", "SA", "CR", "IR", "AR"};
  std::map<std::string, int> distance;
  bool found = false;
  for (const auto& v1 : MaxVectorsEq1()[static_cast<std::size_t>(eq[0])]) {
    for (const auto& v2 : MaxVectorsEq2()[static_cast<std::size_t>(eq[1])]) {
      for (const auto& v36 : MaxVectorsEq3Eq6(eq[2], eq[5])) {
        for (const auto& v4 : MaxVectorsEq4()[static_cast<std::size_t>(eq[3])]) {
          Metrics max = Fragment(v1 + "/" + v2 + "/" + v36 + "/" + v4);
          std::map<std::string, int> d;
          bool all_nonnegative = true;
          for (const char* k : kKeys) {
            d[k] = Level(k, e(k)) - Level(k, max[k]);
            all_nonnegative = all_nonnegative && d[k] >= 0;
          }
          if (all_nonnegative) {
            distance = std::move(d);
            found = true;
            break;
          }
        }
        if (found) break;
      }
      if (found) break;
    }
    if (found) break;
  }
  if (!found) return Fail(Error::Internal("CVSS vector '" + std::string(vector) + "': no maximal vector"));

  const int dist_eq1 = distance["AV"] + distance["PR"] + distance["UI"];
  const int dist_eq2 = distance["AC"] + distance["AT"];
  const int dist_eq3eq6 = distance["VC"] + distance["VI"] + distance["VA"] + distance["CR"] + distance["IR"] + distance["AR"];
  const int dist_eq4 = distance["SC"] + distance["SI"] + distance["SA"];

  int existing = 0;
  double sum = 0.0;
  auto add = [&](double next_lower, int dist, int depth) {
    if (std::isnan(next_lower)) return;
    ++existing;
    // Share of the class's depth the vector has moved down, applied to the
    // gap to the next lower MacroVector (distances and depth are in steps).
    sum += (value - next_lower) * (depth == 0 ? 0.0 : static_cast<double>(dist) / depth);
  };
  add(lower_eq1, dist_eq1, kDepthEq1[static_cast<std::size_t>(eq[0])]);
  add(lower_eq2, dist_eq2, kDepthEq2[static_cast<std::size_t>(eq[1])]);
  add(lower_eq3eq6, dist_eq3eq6, DepthEq3Eq6(eq[2], eq[5]));
  add(lower_eq4, dist_eq4, kDepthEq4[static_cast<std::size_t>(eq[3])]);
  add(lower_eq5, 0, 1);  // EQ5 has a single level per class
  double score = value - (existing == 0 ? 0.0 : sum / existing);
  score = std::clamp(score, 0.0, 10.0);
  return RoundOneDecimal(score);
}

}  // namespace tollgate::deps
