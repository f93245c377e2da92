// The maturity stages and DORA performance levels: a versioned data table
// (docs/dora.md#levels), overridable with `dora report --levels FILE`.
#include <fstream>
#include <sstream>

#include "delivery/dora.h"

namespace tollgate::delivery {
namespace {

// Units: deployment_frequency in deploys per week (higher is better);
// lead_time and time_to_restore in hours (the median); change_failure_rate
// as a fraction. Bands are best first; "min"/"max" bounds are inclusive.
const char* const kBuiltin = R"json({
  "version": "tollgate-dora-levels/1",
  "maturity": {
    "source": "Tollgate seed maturity model: Basic, Integrated, Advanced, Platform",
    "below": "Below Basic",
    "metrics": {
      "deployment_frequency": {"better": "higher", "bands": [
        {"level": "Platform", "min": 35}, {"level": "Advanced", "min": 10},
        {"level": "Integrated", "min": 5}, {"level": "Basic", "min": 1}]},
      "lead_time": {"better": "lower", "bands": [
        {"level": "Platform", "max": 1}, {"level": "Advanced", "max": 24},
        {"level": "Integrated", "max": 168}, {"level": "Basic", "max": 672}]},
      "time_to_restore": {"better": "lower", "bands": [
        {"level": "Platform", "max": 0.25}, {"level": "Advanced", "max": 1},
        {"level": "Integrated", "max": 4}, {"level": "Basic", "max": 24}]},
      "change_failure_rate": {"better": "lower", "bands": [
        {"level": "Platform", "max": 0.02}, {"level": "Advanced", "max": 0.05},
        {"level": "Integrated", "max": 0.15}, {"level": "Basic", "max": 0.30}]}
    }
  },
  "performance": {
    "source": "Accelerate State of DevOps Report 2021 (DORA), software delivery performance clusters",
    "below": "Low",
    "metrics": {
      "deployment_frequency": {"better": "higher", "bands": [
        {"level": "Elite", "min": 14}, {"level": "High", "min": 0.23},
        {"level": "Medium", "min": 0.0385}]},
      "lead_time": {"better": "lower", "bands": [
        {"level": "Elite", "max": 1}, {"level": "High", "max": 168},
        {"level": "Medium", "max": 4380}]},
      "time_to_restore": {"better": "lower", "bands": [
        {"level": "Elite", "max": 1}, {"level": "High", "max": 24},
        {"level": "Medium", "max": 168}]},
      "change_failure_rate": {"better": "lower", "bands": [
        {"level": "Elite", "max": 0.15}, {"level": "High", "max": 0.30}]}
    }
  }
}
)json";

Result<MetricBands> ParseBands(const Json& j, const std::string& where) {
  if (!j.is_object()) return Fail(Error::Input(where + ": must be an object with \"better\" and \"bands\""));
  for (const auto& [k, v] : j.items())
    if (k != "better" && k != "bands") return Fail(Error::Input(where + ": unknown member \"" + k + "\""));
  MetricBands m;
  auto better = j.find("better");
  if (better == j.end() || !better->is_string() || (*better != "higher" && *better != "lower"))
    return Fail(Error::Input(where + "/better: must be \"higher\" or \"lower\""));
  m.higher_is_better = *better == "higher";
  auto bands = j.find("bands");
  if (bands == j.end() || !bands->is_array() || bands->empty())
    return Fail(Error::Input(where + "/bands: must be a non-empty array"));
  const char* key = m.higher_is_better ? "min" : "max";
  for (std::size_t i = 0; i < bands->size(); ++i) {
    const Json& b = (*bands)[i];
    std::string bw = where + "/bands/" + std::to_string(i);
    if (!b.is_object() || b.size() != 2 || !b.contains("level") || !b.contains(key))
      return Fail(Error::Input(bw + ": must be {\"level\": NAME, \"" + key + "\": NUMBER}"));
    if (!b["level"].is_string() || !b[key].is_number())
      return Fail(Error::Input(bw + ": \"level\" must be a string and \"" + key + "\" a number"));
    LevelBand lb{b["level"].get<std::string>(), b[key].get<double>()};
    if (!m.bands.empty()) {
      double prev = m.bands.back().bound;
      if (m.higher_is_better ? lb.bound > prev : lb.bound < prev)
        return Fail(Error::Input(bw + ": bands must go from best to worst"));
    }
    m.bands.push_back(std::move(lb));
  }
  return m;
}

Result<LevelScale> ParseScale(const Json& j, const std::string& name, const std::string& where) {
  if (!j.is_object()) return Fail(Error::Input(where + ": must be an object"));
  LevelScale s;
  s.name = name;
  for (const auto& [k, v] : j.items())
    if (k != "source" && k != "below" && k != "metrics") return Fail(Error::Input(where + ": unknown member \"" + k + "\""));
  if (auto src = j.find("source"); src != j.end()) {
    if (!src->is_string()) return Fail(Error::Input(where + "/source: must be a string"));
    s.source = src->get<std::string>();
  }
  auto below = j.find("below");
  if (below == j.end() || !below->is_string()) return Fail(Error::Input(where + "/below: must be a string"));
  s.below = below->get<std::string>();
  auto metrics = j.find("metrics");
  if (metrics == j.end() || !metrics->is_object()) return Fail(Error::Input(where + "/metrics: must be an object"));
  const std::pair<const char*, MetricBands*> slots[] = {{"deployment_frequency", &s.deployment_frequency},
                                                        {"lead_time", &s.lead_time},
                                                        {"time_to_restore", &s.time_to_restore},
                                                        {"change_failure_rate", &s.change_failure_rate}};
  for (const auto& [k, v] : metrics->items()) {
    bool known = false;
    for (const auto& [n, slot] : slots) known = known || k == n;
    if (!known) return Fail(Error::Input(where + "/metrics: unknown metric \"" + k + "\""));
  }
  for (const auto& [n, slot] : slots) {
    auto m = metrics->find(n);
    if (m == metrics->end()) return Fail(Error::Input(where + "/metrics: missing \"" + n + "\""));
    auto bands = ParseBands(*m, where + "/metrics/" + n);
    if (!bands) return Fail(bands.error());
    *slot = std::move(*bands);
    for (const auto& b : slot->bands)
      if (std::find(s.order.begin(), s.order.end(), b.level) == s.order.end()) s.order.push_back(b.level);
  }
  if (std::find(s.order.begin(), s.order.end(), s.below) == s.order.end()) s.order.push_back(s.below);
  return s;
}

}  // namespace

const std::string& BuiltinLevelsJson() {
  static const std::string text = kBuiltin;
  return text;
}

Result<LevelTable> ParseLevels(const Json& j, const std::string& file) {
  if (!j.is_object()) return Fail(Error::Input(file + ": a levels table must be a JSON object"));
  for (const auto& [k, v] : j.items())
    if (k != "version" && k != "maturity" && k != "performance")
      return Fail(Error::Input(file + ": unknown member \"" + k + "\""));
  LevelTable t;
  auto version = j.find("version");
  if (version == j.end() || !version->is_string() || version->get_ref<const std::string&>().empty())
    return Fail(Error::Input(file + ": /version must be a non-empty string"));
  t.version = version->get<std::string>();
  for (const char* name : {"maturity", "performance"}) {
    auto it = j.find(name);
    if (it == j.end()) return Fail(Error::Input(file + ": missing /" + std::string(name)));
    auto s = ParseScale(*it, name, file + ": /" + std::string(name));
    if (!s) return Fail(s.error());
    (std::string(name) == "maturity" ? t.maturity : t.performance) = std::move(*s);
  }
  return t;
}

Result<LevelTable> BuiltinLevels() {
  auto j = ParseJson(BuiltinLevelsJson(), "built-in levels");
  if (!j) return Fail(Error::Internal(j.error().message()));
  return ParseLevels(*j, "built-in levels");
}

Result<LevelTable> ReadLevelsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot open"));
  std::ostringstream ss;
  ss << in.rdbuf();
  auto j = ParseJson(ss.str(), path);
  if (!j) return Fail(j.error());
  return ParseLevels(*j, path);
}

}  // namespace tollgate::delivery
