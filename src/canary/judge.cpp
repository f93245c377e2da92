// The canary judge: config and sample files, per-metric classification, the
// weighted group score and the verdict.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "canary/canary.h"
#include "core/file.h"
#include "core/yaml.h"

namespace tollgate::canary {
namespace {

constexpr std::size_t kMaxBytes = 64u << 20;

// A cell or JSON string: a number, or NaN spelled NaN/nan/null.
Result<double> Value(const std::string& s) {
  if (s == "NaN" || s == "nan" || s == "NAN" || s == "null") return std::nan("");
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) return Fail(Error::Input("'" + s + "' is not a number"));
  if (std::isinf(v)) return Fail(Error::Input("'" + s + "' is infinite"));
  return v;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// numpy's default (linear) percentile of sorted values.
double Quantile(const std::vector<double>& sorted, double q) {
  double pos = q * static_cast<double>(sorted.size() - 1);
  std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// NaN and outlier handling for one sample; errors name file and metric.
Result<std::vector<double>> Clean(const JudgeConfig& c, const std::vector<double>& raw, const std::string& file,
                                  const std::string& metric, std::size_t* nan_removed, std::size_t* outliers_removed) {
  std::vector<double> v;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    double d = raw[i];
    if (std::isnan(d)) {
      if (c.nan == NanStrategy::kReject)
        return Fail(Error::Input(file + ": metric '" + metric + "': value " + std::to_string(i + 1) +
                                 " is NaN (set 'nan: remove' or 'nan: zero' in the config to accept NaN)"));
      ++*nan_removed;
      if (c.nan == NanStrategy::kZero) v.push_back(0);
      continue;
    }
    v.push_back(d);
  }
  if (c.remove_outliers && v.size() >= 4) {
    std::vector<double> s(v);
    std::sort(s.begin(), s.end());
    double q1 = Quantile(s, 0.25), q3 = Quantile(s, 0.75), iqr = q3 - q1;
    double lo = q1 - c.outlier_factor * iqr, hi = q3 + c.outlier_factor * iqr;
    std::vector<double> kept;
    for (double d : v)
      if (d >= lo && d <= hi) kept.push_back(d);
    *outliers_removed = v.size() - kept.size();
    v = std::move(kept);
  }
  if (v.empty()) return Fail(Error::Input(file + ": metric '" + metric + "' has no values" + (raw.empty() ? "" : " left after removing NaN and outliers")));
  return v;
}

std::string Fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

const char* ClassificationName(Classification c) {
  switch (c) {
    case Classification::kPass: return "pass";
    case Classification::kHigh: return "high";
    case Classification::kLow: return "low";
  }
  return "?";
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPromote: return "promote";
    case Verdict::kHold: return "hold";
    case Verdict::kRollback: return "rollback";
  }
  return "?";
}

namespace {
Result<JudgeConfig> ParseJudgeConfigUnchecked(const std::string& text, const std::string& file) {
  auto doc = yaml::ParseDocument(text, file);
  if (!doc) return Fail(doc.error());
  const YAML::Node& r = doc->root;
  const yaml::Reader y(file);
  if (!r.IsMap()) return Fail(Error::Input(file + ": the canary config must be a YAML mapping"));
  TG_TRY(y.OnlyKeys(r, {"service", "confidence", "thresholds", "nan", "outliers", "groups", "metrics"}, "canary config"));
  JudgeConfig c;
  if (r["service"]) {
    if (!r["service"].IsScalar()) return Fail(y.Bad(r["service"], "'service' must be a string"));
    c.service = r["service"].Scalar();
  }
  if (r["confidence"]) {
    auto v = y.Number(r["confidence"], "confidence");
    if (!v) return Fail(v.error());
    if (!(*v > 0.5 && *v < 1)) return Fail(y.Bad(r["confidence"], "'confidence' must be between 0.5 and 1 (e.g. 0.95)"));
    c.confidence = *v;
  }
  if (const YAML::Node t = r["thresholds"]) {
    TG_TRY(y.OnlyKeys(t, {"pass", "marginal"}, "thresholds"));
    if (t["pass"]) {
      auto v = y.Number(t["pass"], "pass");
      if (!v) return Fail(v.error());
      c.pass_threshold = *v;
    }
    if (t["marginal"]) {
      auto v = y.Number(t["marginal"], "marginal");
      if (!v) return Fail(v.error());
      c.marginal_threshold = *v;
    }
    if (c.pass_threshold < 0 || c.pass_threshold > 100 || c.marginal_threshold < 0 || c.marginal_threshold > c.pass_threshold)
      return Fail(y.Bad(t, "thresholds must satisfy 0 <= marginal <= pass <= 100"));
  }
  if (r["nan"]) {
    const std::string s = r["nan"].IsScalar() ? r["nan"].Scalar() : "";
    if (s == "reject") c.nan = NanStrategy::kReject;
    else if (s == "remove") c.nan = NanStrategy::kRemove;
    else if (s == "zero") c.nan = NanStrategy::kZero;
    else return Fail(y.Bad(r["nan"], "'nan' must be reject, remove or zero"));
  }
  if (const YAML::Node o = r["outliers"]) {
    TG_TRY(y.OnlyKeys(o, {"strategy", "factor"}, "outliers"));
    if (o["strategy"]) {
      const std::string s = o["strategy"].IsScalar() ? o["strategy"].Scalar() : "";
      if (s != "keep" && s != "remove") return Fail(y.Bad(o["strategy"], "'outliers.strategy' must be keep or remove"));
      c.remove_outliers = s == "remove";
    }
    if (o["factor"]) {
      auto v = y.Number(o["factor"], "factor");
      if (!v) return Fail(v.error());
      if (*v <= 0) return Fail(y.Bad(o["factor"], "'outliers.factor' must be positive"));
      c.outlier_factor = *v;
    }
  }
  if (const YAML::Node g = r["groups"]) {
    if (!g.IsMap()) return Fail(y.Bad(g, "'groups' must map group names to weights"));
    for (const auto& kv : g) {
      auto w = y.Number(kv.second, "groups." + kv.first.Scalar());
      if (!w) return Fail(w.error());
      if (*w < 0) return Fail(y.Bad(kv.second, "group weights must not be negative"));
      c.group_weights[kv.first.Scalar()] = *w;
    }
  }
  const YAML::Node ms = r["metrics"];
  if (!ms || !ms.IsSequence() || ms.size() == 0) return Fail(Error::Input(file + ": 'metrics' must be a non-empty list"));
  std::set<std::string> names;
  for (const auto& m : ms) {
    TG_TRY(y.OnlyKeys(m, {"name", "group", "direction", "tolerance", "critical"}, "metric"));
    MetricConfig mc;
    if (!m["name"] || !m["name"].IsScalar() || m["name"].Scalar().empty()) return Fail(y.Bad(m, "a metric needs a 'name'"));
    mc.name = m["name"].Scalar();
    if (!names.insert(mc.name).second) return Fail(y.Bad(m["name"], "metric '" + mc.name + "' is listed twice"));
    if (m["group"]) {
      if (!m["group"].IsScalar()) return Fail(y.Bad(m["group"], "'group' must be a string"));
      mc.group = m["group"].Scalar();
    }
    if (m["direction"]) {
      const std::string d = m["direction"].IsScalar() ? m["direction"].Scalar() : "";
      if (d == "increase") mc.direction = Direction::kIncrease;
      else if (d == "decrease") mc.direction = Direction::kDecrease;
      else if (d == "either") mc.direction = Direction::kEither;
      else return Fail(y.Bad(m["direction"], "'direction' (of harm) must be increase, decrease or either"));
    }
    if (m["tolerance"]) {
      auto v = y.Number(m["tolerance"], "tolerance");
      if (!v) return Fail(v.error());
      if (*v < 0) return Fail(y.Bad(m["tolerance"], "'tolerance' must not be negative"));
      mc.tolerance = *v;
    }
    if (m["critical"]) {
      auto b = y.Bool(m["critical"], "critical");
      if (!b) return Fail(b.error());
      mc.critical = *b;
    }
    c.metrics.push_back(std::move(mc));
  }
  return c;
}
}  // namespace

Result<JudgeConfig> ParseJudgeConfig(const std::string& text, const std::string& file) {
  return yaml::Guarded(file, [&] { return ParseJudgeConfigUnchecked(text, file); });
}

Result<JudgeConfig> LoadJudgeConfig(const std::string& path) {
  auto text = yaml::ReadFile(path, kMaxBytes, "canary config");
  if (!text) return Fail(text.error());
  return ParseJudgeConfig(*text, path);
}

Result<Samples> ParseSamples(const std::string& text, const std::string& file) {
  Samples out;
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Fail(Error::Input(file + ": empty sample file"));
  if (text[first] == '{') {
    Json j;
    try {
      j = Json::parse(text);
    } catch (const std::exception& e) {
      return Fail(Error::Input(file + ": invalid JSON: " + e.what()));
    }
    for (const auto& [name, arr] : j.items()) {
      if (!arr.is_array()) return Fail(Error::Input(file + ": metric '" + name + "' must be an array of numbers"));
      std::vector<double> v;
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const Json& x = arr[i];
        if (x.is_null()) v.push_back(std::nan(""));
        else if (x.is_number()) v.push_back(x.get<double>());
        else if (x.is_string() && (x == "NaN" || x == "nan")) v.push_back(std::nan(""));
        else return Fail(Error::Input(file + ": metric '" + name + "' value " + std::to_string(i + 1) + " is not a number"));
      }
      out[name] = std::move(v);
    }
    return out;
  }
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> header;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::string cur;
    for (char ch : line) {
      if (ch == ',') {
        cells.push_back(Trim(cur));
        cur.clear();
      } else {
        cur += ch;
      }
    }
    cells.push_back(Trim(cur));
    const std::string where = file + ":" + std::to_string(lineno);
    if (header.empty()) {
      std::set<std::string> seen;
      for (const auto& h : cells) {
        if (h.empty()) return Fail(Error::Input(where + ": empty metric name in the header"));
        if (!seen.insert(h).second) return Fail(Error::Input(where + ": metric '" + h + "' appears twice in the header"));
        out[h];
      }
      header = cells;
      continue;
    }
    if (cells.size() != header.size())
      return Fail(Error::Input(where + ": expected " + std::to_string(header.size()) + " columns, got " + std::to_string(cells.size())));
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].empty()) continue;
      auto v = Value(cells[i]);
      if (!v) return Fail(Error::Input(where + ": column '" + header[i] + "': " + v.error().message()));
      out[header[i]].push_back(*v);
    }
  }
  if (header.empty()) return Fail(Error::Input(file + ": empty sample file"));
  return out;
}

Result<Samples> LoadSamples(const std::string& path) {
  auto text = ReadFileBounded(path, kMaxBytes, "sample file");
  if (!text) return Fail(text.error());
  return ParseSamples(*text, path);
}

Result<Judgement> Judge(const JudgeConfig& config, const Samples& baseline, const Samples& canary,
                        const std::string& baseline_file, const std::string& canary_file) {
  Judgement j;
  std::map<std::string, std::pair<int, int>> groups;  // passed, total
  for (const auto& mc : config.metrics) {
    auto b = baseline.find(mc.name);
    if (b == baseline.end()) return Fail(Error::Input(baseline_file + ": no values for metric '" + mc.name + "'"));
    auto c = canary.find(mc.name);
    if (c == canary.end()) return Fail(Error::Input(canary_file + ": no values for metric '" + mc.name + "'"));
    MetricResult r;
    r.config = mc;
    std::size_t nan_b = 0, nan_c = 0, out_b = 0, out_c = 0;
    auto bv = Clean(config, b->second, baseline_file, mc.name, &nan_b, &out_b);
    if (!bv) return Fail(bv.error());
    auto cv = Clean(config, c->second, canary_file, mc.name, &nan_c, &out_c);
    if (!cv) return Fail(cv.error());
    r.removed_nan = nan_b + nan_c;
    r.removed_outliers = out_b + out_c;
    r.baseline_n = bv->size();
    r.canary_n = cv->size();
    r.baseline_median = Median(*bv);
    r.canary_median = Median(*cv);
    auto t = MannWhitneyU(*cv, *bv);
    if (!t) return Fail(t.error().WithContext("metric '" + mc.name + "'"));
    r.test = *t;
    auto s = HodgesLehmann(*cv, *bv, config.confidence);
    if (!s) return Fail(s.error().WithContext("metric '" + mc.name + "'"));
    r.shift = *s;
    r.allowed = r.baseline_median != 0 ? mc.tolerance * std::fabs(r.baseline_median) : mc.tolerance;
    const bool significant = r.test.p_value < 1 - config.confidence;
    if (significant && r.shift.estimate > 0 && r.shift.lower > 0) r.classification = Classification::kHigh;
    if (significant && r.shift.estimate < 0 && r.shift.upper < 0) r.classification = Classification::kLow;
    const bool harmful_dir = (r.classification == Classification::kHigh && mc.direction != Direction::kDecrease) ||
                             (r.classification == Classification::kLow && mc.direction != Direction::kIncrease);
    if (r.classification == Classification::kPass) {
      r.reason = "no significant difference (p=" + Fmt(r.test.p_value) + ")";
    } else if (!harmful_dir) {
      r.reason = std::string("significantly ") + (r.classification == Classification::kHigh ? "higher" : "lower") +
                 ", which is not harmful for this metric";
    } else if (std::fabs(r.shift.estimate) <= r.allowed) {
      r.reason = "shift " + Fmt(r.shift.estimate) + " within the tolerance of " + Fmt(r.allowed);
    } else {
      r.failed = true;
      r.reason = std::string("significantly ") + (r.classification == Classification::kHigh ? "higher" : "lower") +
                 ": shift " + Fmt(r.shift.estimate) + " [" + Fmt(r.shift.lower) + ", " + Fmt(r.shift.upper) +
                 "], p=" + Fmt(r.test.p_value);
    }
    if (r.failed && mc.critical) j.critical_failed = true;
    auto& g = groups[mc.group];
    g.second += 1;
    if (!r.failed) g.first += 1;
    j.metrics.push_back(std::move(r));
  }
  double wsum = 0, acc = 0;
  for (const auto& [name, pt] : groups) {
    auto it = config.group_weights.find(name);
    const double w = it == config.group_weights.end() ? 1.0 : it->second;
    const double gs = 100.0 * pt.first / pt.second;
    j.group_scores[name] = gs;
    wsum += w;
    acc += w * gs;
  }
  j.score = wsum > 0 ? acc / wsum : 0;
  if (j.critical_failed)
    j.verdict = Verdict::kRollback;
  else if (j.score >= config.pass_threshold)
    j.verdict = Verdict::kPromote;
  else if (j.score >= config.marginal_threshold)
    j.verdict = Verdict::kHold;
  else
    j.verdict = Verdict::kRollback;
  return j;
}

Json ToJson(const Judgement& j) {
  Json out = Json::object();
  out["verdict"] = VerdictName(j.verdict);
  out["score"] = j.score;
  out["critical_failed"] = j.critical_failed;
  out["groups"] = Json::object();
  for (const auto& [g, s] : j.group_scores) out["groups"][g] = s;
  Json ms = Json::array();
  for (const auto& m : j.metrics) {
    Json e = Json::object();
    e["name"] = m.config.name;
    e["group"] = m.config.group;
    e["critical"] = m.config.critical;
    e["classification"] = ClassificationName(m.classification);
    e["failed"] = m.failed;
    e["reason"] = m.reason;
    e["baseline"] = {{"n", m.baseline_n}, {"median", m.baseline_median}};
    e["canary"] = {{"n", m.canary_n}, {"median", m.canary_median}};
    e["removed"] = {{"nan", m.removed_nan}, {"outliers", m.removed_outliers}};
    e["mann_whitney"] = {{"u", m.test.u}, {"p_value", m.test.p_value}, {"method", m.test.exact ? "exact" : "asymptotic"}};
    e["hodges_lehmann"] = {{"estimate", m.shift.estimate}, {"lower", m.shift.lower}, {"upper", m.shift.upper}};
    e["tolerance"] = m.allowed;
    ms.push_back(std::move(e));
  }
  out["metrics"] = std::move(ms);
  return out;
}

std::string ToText(const Judgement& j) {
  std::ostringstream o;
  for (const auto& m : j.metrics) {
    o << (m.failed ? "FAIL " : "ok   ") << m.config.name << (m.config.critical ? " (critical)" : "") << " ["
      << m.config.group << "]: " << m.reason << "\n";
    o << "     baseline median " << Fmt(m.baseline_median) << " (n=" << m.baseline_n << "), canary median "
      << Fmt(m.canary_median) << " (n=" << m.canary_n << "), shift " << Fmt(m.shift.estimate) << " ["
      << Fmt(m.shift.lower) << ", " << Fmt(m.shift.upper) << "], p=" << Fmt(m.test.p_value) << "\n";
  }
  o << "score " << Fmt(j.score) << " / 100";
  for (const auto& [g, s] : j.group_scores) o << "  " << g << "=" << Fmt(s);
  o << "\n";
  if (j.critical_failed) o << "a critical metric failed\n";
  o << "verdict: " << VerdictName(j.verdict) << "\n";
  return o.str();
}

}  // namespace tollgate::canary
