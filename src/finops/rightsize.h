// Right-sizing Kubernetes workloads from their measured usage
// (`tollgate rightsize`, docs/finops.md "Right-sizing"): workload manifests,
// usage series from Prometheus or an offline export of query_range answers,
// two strategies (KRR's simple percentile, a VPA-style decaying histogram),
// and the monthly cost of the change from the price book.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "core/time.h"
#include "finops/finops.h"
#include "slo/slo.h"

namespace tollgate::finops {

// ---- Quantities --------------------------------------------------------------

// A Kubernetes quantity ("250m", "0.5", "2", "128Mi", "1G", "1e9", "512Ki")
// as a number (cores or bytes). Anything else, or a negative one, is nullopt.
std::optional<double> ParseQuantity(std::string_view text);
std::string FormatMillicores(std::int64_t millis);  // "250m"
std::string FormatBytes(std::int64_t bytes);         // "300Mi" when whole MiB, else bytes

// ---- Workloads ---------------------------------------------------------------

struct ResourceValues {
  std::optional<std::int64_t> cpu_millis;    // rounded up to whole millicores
  std::optional<std::int64_t> memory_bytes;  // rounded up to whole bytes
  std::string cpu_text, memory_text;         // as written in the manifest
};

struct ContainerSpec {
  std::string name;
  ResourceValues requests, limits;
};

struct Workload {
  std::string kind;  // Deployment, StatefulSet, DaemonSet
  std::string ns;    // "default" when the manifest names none
  std::string name;
  std::string file;
  int line = 0;
  std::int64_t replicas = 1;  // spec.replicas; DaemonSets: pods seen in the usage data
  std::vector<ContainerSpec> containers;
  std::string hpa;  // the HorizontalPodAutoscaler scaling it, if any
  bool hpa_cpu = false, hpa_memory = false;
  std::string Id() const { return ns + "/" + kind + "/" + name; }
};

// Reads every Deployment, StatefulSet, DaemonSet and HorizontalPodAutoscaler
// of a multi-document YAML text into `out` (other kinds are passed over).
// A document that is not valid (no containers, a bad quantity, a mistyped
// field) is an Input error "file:line:column: problem".
Status ParseManifests(std::string_view text, const std::string& file, std::vector<Workload>& out);
// A file, or every *.yaml / *.yml file under a directory (sorted); HPAs are
// attached to the workloads they target. No workload at all is an error.
Result<std::vector<Workload>> LoadManifests(const std::string& path);

// ---- Usage -------------------------------------------------------------------

// An exponential-bucket histogram with decaying sample weights, as the VPA
// recommender keeps one per container and resource: bucket i starts at
// first * (ratio^i - 1) / (ratio - 1); a sample at time t weighs
// 2^((t - t0) / half_life), t0 being the first sample's time.
class DecayingHistogram {
 public:
  DecayingHistogram(double first_bucket, double max_value, double ratio, std::int64_t half_life_seconds);
  void Add(std::int64_t t, double value);
  // The end of the first bucket at which the cumulative weight reaches
  // `q` of the total (VPA's Percentile); 0 when empty.
  double Percentile(double q) const;
  bool Empty() const { return total_ == 0; }
  std::size_t BucketOf(double value) const;
  double BucketStart(std::size_t i) const;

 private:
  double first_, ratio_;
  std::int64_t half_life_;
  std::optional<std::int64_t> t0_;
  std::vector<double> weights_;
  double total_ = 0;
};

struct StrategyConfig {
  enum class Kind { kSimple, kVpa };
  Kind kind = Kind::kSimple;
  std::size_t min_points = 100;  // fewer CPU (or memory) samples: "not enough data"
  // simple
  double cpu_percentile = 95;       // CPU request
  double memory_buffer_percent = 15;  // memory request and limit: max x (1 + buffer)
  // vpa
  double target_percentile = 90, lower_percentile = 50, upper_percentile = 95;
  double safety_margin_percent = 15;
  std::int64_t half_life_seconds = 24 * 3600;
  // both
  std::int64_t min_cpu_millis = 10;
  std::int64_t min_memory_bytes = std::int64_t{100} << 20;
  bool include_hpa = false;
};

// Usage of one container of one workload, pooled over its pods.
struct ContainerUsage {
  std::vector<double> cpu;  // simple: every CPU rate (cores), kept for the exact percentile
  std::size_t cpu_points = 0, memory_points = 0;
  double memory_max = 0;
  std::optional<DecayingHistogram> cpu_hist, memory_hist;  // vpa
  bool oom_killed = false;
  std::optional<double> requested_cpu, requested_memory;  // kube_pod_container_resource_requests, last value
  std::map<std::string, bool> pods;
};

// Routes series to the workloads' containers. Series are named by their
// `__name__` label and carry namespace, pod and container labels; a pod
// belongs to a Deployment NAME when it reads NAME-<hash>-<hash>, to a
// StatefulSet NAME-<ordinal>, to a DaemonSet NAME-<hash>.
class UsageCollector {
 public:
  UsageCollector(const std::vector<Workload>& workloads, const StrategyConfig& config);
  // One series of a query_range matrix: its labels and [time, "value"] pairs.
  // `where` names the series in errors.
  Status AddSeries(const Json& metric, const Json& values, const std::string& where);
  // Reads one query_range answer (a file saved with curl, or Prometheus'
  // body), series by series, without holding the whole answer.
  Status AddQueryRangeFile(const std::string& path);
  Status AddQueryRangeText(std::string_view text, const std::string& what);
  const ContainerUsage* Find(const std::string& workload_id, const std::string& container) const;
  std::size_t series_used() const { return series_used_; }

 private:
  const StrategyConfig& config_;
  std::map<std::string, std::string> by_kind_name_;  // ns/kind/name -> workload id
  std::map<std::string, std::map<std::string, ContainerUsage>> usage_;  // workload id -> container
  std::size_t series_used_ = 0;
};

// The series Tollgate reads, as bare selectors (so `__name__` is kept), with
// the workload's namespace and pod pattern when `w` is given.
std::vector<std::string> UsageQueries(const Workload* w);

struct PrometheusSource {
  std::string url;
  TimePoint from, to;
  std::chrono::seconds step{60};
};
// Queries Prometheus for every workload (one query_range per series kind and
// workload) into `collector`. An unreachable server is an Io error, a
// refused query an Input error.
Status CollectFromPrometheus(slo::HttpGetter& http, const PrometheusSource& source,
                             const std::vector<Workload>& workloads, UsageCollector& collector);

// ---- Recommendations ---------------------------------------------------------

// The quantile `q` (0..1) of `values` with linear interpolation between
// closest ranks, as Prometheus' quantile_over_time and numpy's default:
// h = (n - 1) q, value = v[floor h] + (h - floor h)(v[floor h + 1] - v[floor h]).
// `values` is sorted in place. 0 for no values.
double Quantile(std::vector<double>& values, double q);

struct ResourceRecommendation {
  std::string status = "ok";  // ok, not enough data, no data, HPA
  std::string note;
  std::optional<std::int64_t> request, limit;  // millicores or bytes; no limit when unset
  bool remove_limit = false;                   // a limit is set now and the recommendation has none
  std::size_t points = 0;
  std::map<std::string, double> stats;  // p95, max, target, lower, upper ... in cores or bytes
};

struct ContainerRecommendation {
  std::string container;
  ResourceValues current_requests, current_limits;
  ResourceRecommendation cpu, memory;
  bool oom_killed = false;
  std::optional<Decimal> current_monthly, recommended_monthly;  // requests x replicas x rates x 730 h
};

struct WorkloadRecommendation {
  const Workload* workload = nullptr;
  std::int64_t replicas = 1;
  std::vector<ContainerRecommendation> containers;
};

struct Rates {
  std::string currency;
  std::string region;
  std::optional<Decimal> vcpu_hour, gib_hour;  // after the book's `kubernetes` discount
  std::string price_book_file, price_book_sha256;
};
// The `kubernetes` rates of `region` (the book's default_region when empty).
Result<Rates> KubernetesRates(const PriceBook& book, const std::string& region);

std::vector<WorkloadRecommendation> Recommend(const std::vector<Workload>& workloads, const UsageCollector& usage,
                                              const StrategyConfig& config, const std::optional<Rates>& rates);

struct RightsizeReport {
  std::vector<Workload> manifests;  // what `workloads` point into
  StrategyConfig config;
  std::string source;  // "prometheus URL from .. to .. step" or the series files
  std::optional<Rates> rates;
  std::vector<WorkloadRecommendation> workloads;
};

// What `tollgate rightsize` is asked; exactly one of prometheus and series.
struct RightsizeRequest {
  std::string manifests;            // a file or directory
  std::string prometheus;           // base URL
  std::vector<std::string> series;  // query_range answers: files, or directories of *.json
  std::chrono::seconds history{7 * 86400};
  std::optional<TimePoint> at;                // the window's end; default now
  std::optional<std::chrono::seconds> step;   // default 1m, longer when 1m exceeds 11000 points
  StrategyConfig config;
  std::string prices, region;  // price book (optional) and its region
};
// Loads the manifests, price book and usage and recommends. `http` is used
// for prometheus (MakeHttpGetter when null).
Result<RightsizeReport> Rightsize(const RightsizeRequest& request, TimePoint now, slo::HttpGetter* http = nullptr);
// Writes RightsizePatches into `dir` (created when missing); returns the files.
Result<std::vector<std::string>> WriteRightsizePatches(const RightsizeReport& r, const std::string& dir);

std::string RightsizeText(const RightsizeReport& r);
Json RightsizeJson(const RightsizeReport& r);
std::string RightsizeCsv(const RightsizeReport& r);
// One kustomize strategic-merge patch per workload with a recommendation:
// file name -> YAML text.
std::map<std::string, std::string> RightsizePatches(const RightsizeReport& r);

}  // namespace tollgate::finops
