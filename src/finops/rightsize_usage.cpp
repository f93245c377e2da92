// Usage series for right-sizing: query_range answers (saved files or
// Prometheus itself) streamed series by series into per-container usage.
#include <algorithm>
#include <cmath>

#include "core/json_stream.h"
#include "finops/rightsize.h"

namespace tollgate::finops {
namespace {

// VPA recommender's histogram options: CPU from 0.01 cores up to 1000,
// memory from 10 MB up to 1 TB, buckets growing by 5%.
constexpr double kCpuFirstBucket = 0.01, kCpuMax = 1000.0;
constexpr double kMemoryFirstBucket = 1e7, kMemoryMax = 1e12;
constexpr double kBucketRatio = 1.05;

const char* const kCpuMetric = "container_cpu_usage_seconds_total";
const char* const kMemoryMetric = "container_memory_working_set_bytes";
const char* const kRequestsMetric = "kube_pod_container_resource_requests";
const char* const kOomMetric = "kube_pod_container_status_last_terminated_reason";

std::string Label(const Json& metric, const char* key) {
  auto it = metric.find(key);
  return it != metric.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool AllOf(std::string_view s, bool digits_only) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return digits_only ? std::isdigit(static_cast<unsigned char>(c)) != 0
                       : std::isdigit(static_cast<unsigned char>(c)) != 0 || (c >= 'a' && c <= 'z');
  });
}

// Regex metacharacters of a name escaped for a PromQL =~ match.
std::string RegexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".+*?()[]{}|^$\\").find(c) != std::string_view::npos) out += "\\\\";
    out += c;
  }
  return out;
}

std::string StringLiteral(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class QueryRangeHandler final : public JsonStreamHandler {
 public:
  QueryRangeHandler(UsageCollector& c, std::string what) : c_(c), what_(std::move(what)) {}
  Take Begin(const JsonPath& path, Type type) override {
    if (path.empty()) return Take::kEnter;
    if (path.size() == 1) {
      if (path[0].key == "status" || path[0].key == "error") return Take::kValue;
      if (path[0].key == "data") return Take::kEnter;
      return Take::kSkip;
    }
    if (path.size() == 2 && path[0].key == "data") {
      if (path[1].key == "resultType") return Take::kValue;
      if (path[1].key == "result") {
        saw_result_ = type == Type::kArray;
        return Take::kEnter;
      }
      return Take::kSkip;
    }
    if (path.size() == 3 && path[1].key == "result" && path[2].in_array) return Take::kValue;
    return Take::kSkip;
  }
  Status Value(const JsonPath& path, Json v) override {
    if (path.size() == 1) {
      (path[0].key == "status" ? status_ : error_) = v.is_string() ? v.get<std::string>() : v.dump();
      if (status_ == "error" || (!status_.empty() && status_ != "success" && path[0].key == "status"))
        return Ok();  // reported at the end, with the error text
      return Ok();
    }
    if (path.size() == 2) {
      if (!v.is_string() || v.get<std::string>() != "matrix")
        return Fail(Error::Input(what_ + ": data.resultType is " + v.dump() + ", not \"matrix\" (save query_range answers)"));
      return Ok();
    }
    if (status_ != "success") return Fail(Error::Input(what_ + ": data before status \"success\""));
    const std::string where = what_ + ": " + JsonPathText(path);
    if (!v.is_object() || !v.contains("metric") || !v.contains("values"))
      return Fail(Error::Input(where + ": a series needs \"metric\" and \"values\""));
    return c_.AddSeries(v["metric"], v["values"], where);
  }
  Status End(const JsonPath& path) override {
    if (!path.empty()) return Ok();
    if (status_ != "success")
      return Fail(Error::Input(what_ + ": not a successful query_range answer (status " +
                               (status_.empty() ? std::string("missing") : "\"" + status_ + "\"") +
                               (error_.empty() ? "" : ": " + error_) + ")"));
    if (!saw_result_) return Fail(Error::Input(what_ + ": no data.result array: not a query_range answer"));
    return Ok();
  }

 private:
  UsageCollector& c_;
  std::string what_;
  std::string status_, error_;
  bool saw_result_ = false;
};

}  // namespace

DecayingHistogram::DecayingHistogram(double first_bucket, double max_value, double ratio, std::int64_t half_life_seconds)
    : first_(first_bucket), ratio_(ratio), half_life_(half_life_seconds) {
  const auto n = static_cast<std::size_t>(std::ceil(std::log(max_value * (ratio - 1) / first_bucket + 1) / std::log(ratio))) + 1;
  weights_.assign(n, 0.0);
}

double DecayingHistogram::BucketStart(std::size_t i) const {
  return first_ * (std::pow(ratio_, static_cast<double>(i)) - 1) / (ratio_ - 1);
}

std::size_t DecayingHistogram::BucketOf(double value) const {
  if (!(value > 0)) return 0;
  auto i = static_cast<std::size_t>(std::floor(std::log(value * (ratio_ - 1) / first_ + 1) / std::log(ratio_)));
  i = std::min(i, weights_.size() - 1);
  while (i + 1 < weights_.size() && BucketStart(i + 1) <= value) ++i;  // floating error at a boundary
  while (i > 0 && BucketStart(i) > value) --i;
  return i;
}

void DecayingHistogram::Add(std::int64_t t, double value) {
  if (!t0_) t0_ = t;
  const double w = std::exp2(static_cast<double>(t - *t0_) / static_cast<double>(half_life_));
  weights_[BucketOf(value)] += w;
  total_ += w;
}

double DecayingHistogram::Percentile(double q) const {
  if (total_ == 0) return 0;
  const double threshold = q * total_;
  double partial = 0;
  std::size_t i = 0;
  for (; i + 1 < weights_.size(); ++i) {
    partial += weights_[i];
    if (partial >= threshold) break;
  }
  return i + 1 < weights_.size() ? BucketStart(i + 1) : BucketStart(i);
}

UsageCollector::UsageCollector(const std::vector<Workload>& workloads, const StrategyConfig& config) : config_(config) {
  for (const auto& w : workloads) by_kind_name_[w.ns + "/" + w.kind + "/" + w.name] = w.Id();
}

const ContainerUsage* UsageCollector::Find(const std::string& workload_id, const std::string& container) const {
  auto w = usage_.find(workload_id);
  if (w == usage_.end()) return nullptr;
  auto c = w->second.find(container);
  return c == w->second.end() ? nullptr : &c->second;
}

Status UsageCollector::AddSeries(const Json& metric, const Json& values, const std::string& where) {
  if (!metric.is_object()) return Fail(Error::Input(where + ": \"metric\" is not an object"));
  if (!values.is_array()) return Fail(Error::Input(where + ": \"values\" is not an array"));
  const std::string name = Label(metric, "__name__");
  if (name.empty())
    return Fail(Error::Input(where + ": the series has no __name__ label (save bare selectors such as " +
                             std::string(kCpuMetric) + "{...}, not expressions)"));
  if (name != kCpuMetric && name != kMemoryMetric && name != kRequestsMetric && name != kOomMetric)
    return Fail(Error::Input(where + ": unexpected series " + name + " (expected " + kCpuMetric + ", " + kMemoryMetric +
                             ", " + kRequestsMetric + " or " + kOomMetric + ")"));
  const std::string ns = Label(metric, "namespace"), pod = Label(metric, "pod"), container = Label(metric, "container");
  if (container.empty() || container == "POD" || pod.empty()) return Ok();  // pod-level cgroups, the pause container
  if (name == kOomMetric && Label(metric, "reason") != "OOMKilled") return Ok();
  // The owning workload from the pod's name.
  std::string id;
  auto try_owner = [&](const char* kind, std::size_t segments, bool digits) {
    std::string base = pod;
    for (std::size_t s = 0; s < segments; ++s) {
      auto dash = base.rfind('-');
      if (dash == std::string::npos || !AllOf(std::string_view(base).substr(dash + 1), digits)) return false;
      base.resize(dash);
    }
    auto it = by_kind_name_.find(ns + "/" + kind + "/" + base);
    if (it == by_kind_name_.end()) return false;
    id = it->second;
    return true;
  };
  if (!try_owner("Deployment", 2, false) && !try_owner("StatefulSet", 1, true) && !try_owner("DaemonSet", 1, false))
    return Ok();  // a pod of no workload among the manifests
  // The values, checked before anything is kept.
  std::vector<std::pair<std::int64_t, double>> points;
  points.reserve(values.size());
  for (const auto& p : values) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_string())
      return Fail(Error::Input(where + ": a value is not [time, \"number\"]"));
    const std::string& s = p[1].get_ref<const std::string&>();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) return Fail(Error::Input(where + ": value '" + s + "' is not a number"));
    const double t = p[0].get<double>();
    if (!std::isfinite(t)) return Fail(Error::Input(where + ": a time is not finite"));
    if (!std::isfinite(v)) continue;  // NaN: a stale marker
    if (v < 0) return Fail(Error::Input(where + ": negative value " + s));
    const auto ts = static_cast<std::int64_t>(std::llround(t));
    if (!points.empty() && ts <= points.back().first)
      return Fail(Error::Input(where + ": times are not increasing"));
    points.emplace_back(ts, v);
  }
  ++series_used_;
  ContainerUsage& u = usage_[id][container];
  u.pods[pod] = true;
  const bool vpa = config_.kind == StrategyConfig::Kind::kVpa;
  if (name == kCpuMetric) {
    if (vpa && !u.cpu_hist) u.cpu_hist.emplace(kCpuFirstBucket, kCpuMax, kBucketRatio, config_.half_life_seconds);
    // A counter: the rate over each step; after a reset the new count is all
    // that was used since.
    for (std::size_t i = 1; i < points.size(); ++i) {
      const double dt = static_cast<double>(points[i].first - points[i - 1].first);
      const double dc = points[i].second >= points[i - 1].second ? points[i].second - points[i - 1].second : points[i].second;
      const double rate = dc / dt;
      ++u.cpu_points;
      if (vpa)
        u.cpu_hist->Add(points[i].first, rate);
      else
        u.cpu.push_back(rate);
    }
  } else if (name == kMemoryMetric) {
    if (vpa && !u.memory_hist)
      u.memory_hist.emplace(kMemoryFirstBucket, kMemoryMax, kBucketRatio, config_.half_life_seconds);
    for (const auto& [t, v] : points) {
      ++u.memory_points;
      u.memory_max = std::max(u.memory_max, v);
      if (vpa) u.memory_hist->Add(t, v);
    }
  } else if (name == kRequestsMetric) {
    if (!points.empty()) {
      const std::string resource = Label(metric, "resource");
      if (resource == "cpu") u.requested_cpu = points.back().second;
      if (resource == "memory") u.requested_memory = points.back().second;
    }
  } else {  // OOM kills
    for (const auto& pt : points)
      if (pt.second > 0) u.oom_killed = true;
  }
  return Ok();
}

Status UsageCollector::AddQueryRangeFile(const std::string& path) {
  QueryRangeHandler h(*this, path);
  return StreamJsonFile(path, h);
}

Status UsageCollector::AddQueryRangeText(std::string_view text, const std::string& what) {
  QueryRangeHandler h(*this, what);
  return StreamJsonText(text, what, h);
}

std::vector<std::string> UsageQueries(const Workload* w) {
  std::string sel, pods;
  if (w) {
    std::string pattern = RegexEscape(w->name);
    if (w->kind == "Deployment")
      pattern += "-[a-z0-9]+-[a-z0-9]+";
    else if (w->kind == "StatefulSet")
      pattern += "-[0-9]+";
    else
      pattern += "-[a-z0-9]+";
    pods = "namespace=" + StringLiteral(w->ns) + ",pod=~\"" + pattern + "\"";
  }
  auto with = [&](const std::string& extra) {
    std::string inner = pods;
    if (!extra.empty()) inner += (inner.empty() ? "" : ",") + extra;
    return "{" + inner + "}";
  };
  return {std::string(kCpuMetric) + with("container!=\"\",container!=\"POD\""),
          std::string(kMemoryMetric) + with("container!=\"\",container!=\"POD\""),
          std::string(kRequestsMetric) + with(""), std::string(kOomMetric) + with("reason=\"OOMKilled\"")};
}

Status CollectFromPrometheus(slo::HttpGetter& http, const PrometheusSource& source, const std::vector<Workload>& workloads,
                             UsageCollector& collector) {
  if (source.step.count() <= 0) return Fail(Error::Input("--step must be positive"));
  if ((source.to - source.from) / source.step > 11000)
    return Fail(Error::Input("--history / --step gives more than 11000 points per series (Prometheus' limit): use a longer --step"));
  for (const auto& w : workloads) {
    for (const auto& q : UsageQueries(&w)) {
      auto body = slo::QueryRangeBody(http, source.url, q, source.from, source.to, source.step);
      if (!body) return Fail(body.error());
      TG_TRY(collector.AddQueryRangeText(*body, "Prometheus at " + source.url + " (" + q + ")"));
    }
  }
  return Ok();
}

}  // namespace tollgate::finops
