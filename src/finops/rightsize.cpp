// Right-sizing recommendations (docs/finops.md "Right-sizing"): the simple
// and VPA strategies, their monthly cost, and the table, JSON, CSV and
// kustomize patches.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/file.h"
#include "finops/rightsize.h"

namespace tollgate::finops {
namespace {

constexpr std::int64_t kMiB = std::int64_t{1} << 20;

std::int64_t CeilMillis(double cores) { return static_cast<std::int64_t>(std::ceil(cores * 1000 - 1e-9)); }
std::int64_t CeilMiB(double bytes) {
  return static_cast<std::int64_t>(std::ceil(bytes / static_cast<double>(kMiB) - 1e-9)) * kMiB;
}

// VPA's OOM bump: the memory a container was killed at, raised by 20% or
// 100 MiB, whichever is more.
double OomBump(double bytes) { return std::max(bytes * 1.2, bytes + 100.0 * static_cast<double>(kMiB)); }

bool Withheld(ResourceRecommendation& r, const Workload& w, bool hpa_on, const char* resource, const ContainerUsage* u,
              std::size_t points, const StrategyConfig& c) {
  r.points = points;
  if (hpa_on && !c.include_hpa) {
    r.status = "HPA";
    r.note = std::string("HorizontalPodAutoscaler ") + w.hpa + " scales on " + resource + ": not resized (--include-hpa to resize)";
    return true;
  }
  if (!u || points == 0) {
    r.status = "no data";
    r.note = std::string("no ") + resource + " usage series for this container";
    return true;
  }
  if (points < c.min_points) {
    r.status = "not enough data";
    r.note = std::to_string(points) + " " + resource + " data points, " + std::to_string(c.min_points) + " needed";
    return true;
  }
  return false;
}

// A limit in the same proportion to the new request as the current one
// (VPA's RequestsAndLimits); none when there is no current limit.
std::optional<std::int64_t> KeepRatio(std::int64_t request, const std::optional<std::int64_t>& cur_req,
                                      const std::optional<std::int64_t>& cur_lim, bool memory) {
  if (!cur_lim) return std::nullopt;
  if (!cur_req || *cur_req == 0) return std::max(request, *cur_lim);
  const double v = static_cast<double>(request) * static_cast<double>(*cur_lim) / static_cast<double>(*cur_req);
  return memory ? CeilMiB(v) : static_cast<std::int64_t>(std::ceil(v - 1e-9));
}

std::optional<Decimal> MonthlyCost(std::optional<std::int64_t> millis, std::optional<std::int64_t> bytes, std::int64_t replicas,
                                   const std::optional<Rates>& rates) {
  if (!rates || !rates->vcpu_hour || !rates->gib_hour || !millis || !bytes) return std::nullopt;
  const Decimal cores = Decimal::FromInt(*millis).DividedBy(1000);
  const Decimal gib = Decimal::FromInt(*bytes).DividedBy(std::int64_t{1} << 30);
  auto a = cores.Times(*rates->vcpu_hour);
  auto b = gib.Times(*rates->gib_hour);
  if (!a || !b) return std::nullopt;
  auto m = (*a + *b).Times(Decimal::FromInt(kHoursPerMonth * replicas));
  if (!m) return std::nullopt;
  return Decimal::Parse(m->Fixed(2));
}

std::string Money(const std::optional<Decimal>& d) { return d ? d->Fixed(2) : "?"; }

std::string Signed(const Decimal& d) { return (d.IsNegative() || d.IsZero() ? "" : "+") + d.Fixed(2); }

std::string CpuText(const std::optional<std::int64_t>& v) { return v ? FormatMillicores(*v) : "none"; }
std::string MemText(const std::optional<std::int64_t>& v) { return v ? FormatBytes(*v) : "none"; }

std::string Cur(const std::string& text, const std::optional<std::int64_t>& v, bool cpu) {
  if (!text.empty()) return text;
  return cpu ? CpuText(v) : MemText(v);
}

std::string StrategyLine(const StrategyConfig& c) {
  std::ostringstream o;
  if (c.kind == StrategyConfig::Kind::kSimple)
    o << "simple (CPU request = p" << c.cpu_percentile << " of usage, no CPU limit; memory request = limit = max + "
      << c.memory_buffer_percent << "%; at least " << c.min_points << " points)";
  else
    o << "vpa (decaying histogram, half-life " << FormatDuration(std::chrono::seconds(c.half_life_seconds)) << "; target p"
      << c.target_percentile << ", lower p" << c.lower_percentile << ", upper p" << c.upper_percentile << ", +"
      << c.safety_margin_percent << "%; at least " << c.min_points << " points)";
  return o.str();
}

struct Totals {
  Decimal current, recommended;
  bool any = false;
};

Totals Sum(const RightsizeReport& r) {
  Totals t;
  for (const auto& w : r.workloads)
    for (const auto& c : w.containers)
      if (c.current_monthly && c.recommended_monthly) {
        t.current += *c.current_monthly;
        t.recommended += *c.recommended_monthly;
        t.any = true;
      }
  return t;
}

Json ResourcesJson(const ResourceValues& v, bool current) {
  Json j = Json::object();
  if (v.cpu_millis) j["cpu"] = current && !v.cpu_text.empty() ? v.cpu_text : FormatMillicores(*v.cpu_millis);
  if (v.memory_bytes) j["memory"] = current && !v.memory_text.empty() ? v.memory_text : FormatBytes(*v.memory_bytes);
  return j;
}

Json RecJson(const ResourceRecommendation& r) {
  Json j = {{"status", r.status}, {"points", r.points}};
  if (!r.note.empty()) j["note"] = r.note;
  Json stats = Json::object();
  for (const auto& [k, v] : r.stats) stats[k] = v;
  j["stats"] = stats;
  return j;
}

// Recommended requests and limits of a container: the recommendation where
// there is one, otherwise what is set now.
void Recommended(const ContainerRecommendation& c, ResourceValues& req, ResourceValues& lim) {
  req.cpu_millis = c.cpu.request ? c.cpu.request : c.current_requests.cpu_millis;
  req.memory_bytes = c.memory.request ? c.memory.request : c.current_requests.memory_bytes;
  lim.cpu_millis = c.cpu.request ? c.cpu.limit : c.current_limits.cpu_millis;
  lim.memory_bytes = c.memory.request ? c.memory.limit : c.current_limits.memory_bytes;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char ch : s) {
    if (ch == '"') o += '"';
    o += ch;
  }
  return o + "\"";
}

}  // namespace

double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double h = static_cast<double>(values.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

Result<Rates> KubernetesRates(const PriceBook& book, const std::string& region) {
  Rates r;
  r.currency = book.currency;
  r.region = region.empty() ? book.default_region : region;
  r.price_book_file = book.file;
  r.price_book_sha256 = book.sha256;
  auto it = book.regions.find(r.region);
  if (it == book.regions.end())
    return Fail(Error::Input(book.file + ": no prices for region '" + r.region + "'"));
  if (!it->second.k8s_vcpu_hour || !it->second.k8s_gib_hour)
    return Fail(Error::Input(book.file + ": region " + r.region + " has no kubernetes: {vcpu_hour, gib_hour} rates"));
  const Decimal pct = book.DiscountFor("kubernetes", "");
  auto off = [&](const Decimal& p) -> std::optional<Decimal> {
    auto cut = p.Times(pct);
    if (!cut) return std::nullopt;
    return p - cut->DividedBy(100);
  };
  r.vcpu_hour = off(*it->second.k8s_vcpu_hour);
  r.gib_hour = off(*it->second.k8s_gib_hour);
  return r;
}

std::vector<WorkloadRecommendation> Recommend(const std::vector<Workload>& workloads, const UsageCollector& usage,
                                              const StrategyConfig& c, const std::optional<Rates>& rates) {
  std::vector<WorkloadRecommendation> out;
  const bool vpa = c.kind == StrategyConfig::Kind::kVpa;
  const double margin = 1 + c.safety_margin_percent / 100;
  for (const auto& w : workloads) {
    WorkloadRecommendation wr;
    wr.workload = &w;
    wr.replicas = w.replicas;
    if (w.kind == "DaemonSet") {
      std::size_t pods = 0;
      for (const auto& cs : w.containers)
        if (const auto* u = usage.Find(w.Id(), cs.name)) pods = std::max(pods, u->pods.size());
      wr.replicas = static_cast<std::int64_t>(pods);
    }
    for (const auto& cs : w.containers) {
      ContainerRecommendation cr;
      cr.container = cs.name;
      cr.current_requests = cs.requests;
      cr.current_limits = cs.limits;
      const ContainerUsage* u = usage.Find(w.Id(), cs.name);
      if (u) {
        cr.oom_killed = u->oom_killed;
        if (!cr.current_requests.cpu_millis && u->requested_cpu)
          cr.current_requests.cpu_millis = CeilMillis(*u->requested_cpu);
        if (!cr.current_requests.memory_bytes && u->requested_memory)
          cr.current_requests.memory_bytes = static_cast<std::int64_t>(std::ceil(*u->requested_memory));
      }
      const auto& cur_req = cr.current_requests;
      const auto& cur_lim = cr.current_limits;
      // CPU
      if (!Withheld(cr.cpu, w, w.hpa_cpu, "cpu", u, u ? u->cpu_points : 0, c)) {
        std::int64_t millis = 0;
        if (!vpa) {
          std::vector<double> values = u->cpu;
          const double p = Quantile(values, c.cpu_percentile / 100);
          cr.cpu.stats["p" + std::to_string(static_cast<int>(c.cpu_percentile))] = p;
          millis = CeilMillis(p);
          cr.cpu.limit = std::nullopt;
        } else {
          const double target = u->cpu_hist->Percentile(c.target_percentile / 100) * margin;
          cr.cpu.stats["target"] = target;
          cr.cpu.stats["lower"] = u->cpu_hist->Percentile(c.lower_percentile / 100) * margin;
          cr.cpu.stats["upper"] = u->cpu_hist->Percentile(c.upper_percentile / 100) * margin;
          millis = CeilMillis(target);
        }
        millis = std::max(millis, c.min_cpu_millis);
        cr.cpu.request = millis;
        if (vpa) cr.cpu.limit = KeepRatio(millis, cur_req.cpu_millis, cur_lim.cpu_millis, false);
        cr.cpu.remove_limit = cur_lim.cpu_millis.has_value() && !cr.cpu.limit;
      }
      // Memory
      if (!Withheld(cr.memory, w, w.hpa_memory, "memory", u, u ? u->memory_points : 0, c)) {
        double peak = u->memory_max;
        cr.memory.stats["max"] = peak;
        std::optional<double> oom_floor;
        if (u->oom_killed) {
          // The usage that got it killed was never scraped: at least its limit.
          const double killed_at = std::max(peak, cur_lim.memory_bytes ? static_cast<double>(*cur_lim.memory_bytes) : peak);
          oom_floor = OomBump(killed_at);
          cr.memory.note = "OOM-killed in the window: memory raised to at least max(limit, peak) + max(20%, 100Mi) before the margin";
        }
        double bytes = 0;
        if (!vpa) {
          if (oom_floor) peak = std::max(peak, *oom_floor);
          bytes = peak * (1 + c.memory_buffer_percent / 100);
        } else {
          double target = u->memory_hist->Percentile(c.target_percentile / 100);
          cr.memory.stats["lower"] = u->memory_hist->Percentile(c.lower_percentile / 100) * margin;
          cr.memory.stats["upper"] = u->memory_hist->Percentile(c.upper_percentile / 100) * margin;
          if (oom_floor) target = std::max(target, *oom_floor);
          bytes = target * margin;
          cr.memory.stats["target"] = bytes;
        }
        const std::int64_t rounded = std::max(CeilMiB(bytes), c.min_memory_bytes);
        cr.memory.request = rounded;
        cr.memory.limit = vpa ? KeepRatio(rounded, cur_req.memory_bytes, cur_lim.memory_bytes, true)
                              : std::optional<std::int64_t>(rounded);
        cr.memory.remove_limit = cur_lim.memory_bytes.has_value() && !cr.memory.limit;
      }
      ResourceValues rreq, rlim;
      Recommended(cr, rreq, rlim);
      cr.current_monthly = MonthlyCost(cur_req.cpu_millis, cur_req.memory_bytes, wr.replicas, rates);
      cr.recommended_monthly = MonthlyCost(rreq.cpu_millis, rreq.memory_bytes, wr.replicas, rates);
      wr.containers.push_back(std::move(cr));
    }
    out.push_back(std::move(wr));
  }
  return out;
}

std::string RightsizeText(const RightsizeReport& r) {
  std::ostringstream o;
  o << "Strategy: " << StrategyLine(r.config) << "\n";
  o << "Usage: " << r.source << "\n";
  if (r.rates)
    o << "Prices: " << r.rates->price_book_file << " (sha256 " << r.rates->price_book_sha256 << "), region " << r.rates->region
      << ": " << r.rates->vcpu_hour->ToString() << " " << r.rates->currency << " per vCPU-hour, " << r.rates->gib_hour->ToString()
      << " per GiB-hour, 730 hours a month\n";
  for (const auto& w : r.workloads) {
    const Workload& wl = *w.workload;
    o << "\n" << wl.kind << " " << wl.ns << "/" << wl.name << " (" << wl.file << ":" << wl.line << ", " << w.replicas
      << (w.replicas == 1 ? " replica" : " replicas") << (wl.hpa.empty() ? "" : ", HPA " + wl.hpa) << ")\n";
    for (const auto& c : w.containers) {
      ResourceValues rreq, rlim;
      Recommended(c, rreq, rlim);
      auto arrow = [](const std::string& a, const std::string& b) { return a == b ? a : a + " -> " + b; };
      o << "  " << c.container << "\n";
      o << "    cpu     request " << arrow(Cur(c.current_requests.cpu_text, c.current_requests.cpu_millis, true), CpuText(rreq.cpu_millis))
        << ", limit " << arrow(Cur(c.current_limits.cpu_text, c.current_limits.cpu_millis, true), CpuText(rlim.cpu_millis)) << "  ["
        << c.cpu.status << (c.cpu.note.empty() ? "" : ": " + c.cpu.note) << "]\n";
      o << "    memory  request "
        << arrow(Cur(c.current_requests.memory_text, c.current_requests.memory_bytes, false), MemText(rreq.memory_bytes))
        << ", limit " << arrow(Cur(c.current_limits.memory_text, c.current_limits.memory_bytes, false), MemText(rlim.memory_bytes))
        << "  [" << c.memory.status << (c.memory.note.empty() ? "" : ": " + c.memory.note) << "]\n";
      if (r.rates) {
        o << "    monthly " << Money(c.current_monthly) << " -> " << Money(c.recommended_monthly);
        if (c.current_monthly && c.recommended_monthly) o << " (" << Signed(*c.recommended_monthly - *c.current_monthly) << ")";
        else o << " (a request is not set: cost unknown)";
        o << "\n";
      }
    }
  }
  if (r.rates) {
    const Totals t = Sum(r);
    o << "\nMonthly cost of requests: " << t.current.Fixed(2) << " -> " << t.recommended.Fixed(2) << " "
      << r.rates->currency << " (" << Signed(t.recommended - t.current) << ")\n";
  }
  return o.str();
}

Json RightsizeJson(const RightsizeReport& r) {
  Json j;
  const auto& c = r.config;
  if (c.kind == StrategyConfig::Kind::kSimple)
    j["strategy"] = {{"name", "simple"}, {"cpu_percentile", c.cpu_percentile}, {"memory_buffer_percent", c.memory_buffer_percent},
                     {"min_points", c.min_points}};
  else
    j["strategy"] = {{"name", "vpa"},
                     {"target_percentile", c.target_percentile},
                     {"lower_percentile", c.lower_percentile},
                     {"upper_percentile", c.upper_percentile},
                     {"safety_margin_percent", c.safety_margin_percent},
                     {"half_life", FormatDuration(std::chrono::seconds(c.half_life_seconds))},
                     {"min_points", c.min_points}};
  j["usage"] = r.source;
  if (r.rates) {
    j["currency"] = r.rates->currency;
    j["prices"] = {{"path", r.rates->price_book_file}, {"sha256", r.rates->price_book_sha256}, {"region", r.rates->region},
                   {"vcpu_hour", r.rates->vcpu_hour->ToString()}, {"gib_hour", r.rates->gib_hour->ToString()}};
  }
  Json ws = Json::array();
  for (const auto& w : r.workloads) {
    const Workload& wl = *w.workload;
    Json jw = {{"kind", wl.kind}, {"namespace", wl.ns}, {"name", wl.name}, {"file", wl.file}, {"line", wl.line},
               {"replicas", w.replicas}};
    if (!wl.hpa.empty()) jw["hpa"] = {{"name", wl.hpa}, {"cpu", wl.hpa_cpu}, {"memory", wl.hpa_memory}};
    Json cs = Json::array();
    for (const auto& ct : w.containers) {
      ResourceValues rreq, rlim;
      Recommended(ct, rreq, rlim);
      Json jc = {{"name", ct.container},
                 {"current", {{"requests", ResourcesJson(ct.current_requests, true)}, {"limits", ResourcesJson(ct.current_limits, true)}}},
                 {"recommended", {{"requests", ResourcesJson(rreq, false)}, {"limits", ResourcesJson(rlim, false)}}},
                 {"cpu", RecJson(ct.cpu)},
                 {"memory", RecJson(ct.memory)},
                 {"oom_killed", ct.oom_killed}};
      if (r.rates) {
        jc["monthly_cost"] = {{"current", ct.current_monthly ? Json(ct.current_monthly->ToString()) : Json()},
                              {"recommended", ct.recommended_monthly ? Json(ct.recommended_monthly->ToString()) : Json()},
                              {"diff", ct.current_monthly && ct.recommended_monthly
                                           ? Json((*ct.recommended_monthly - *ct.current_monthly).ToString())
                                           : Json()}};
      }
      cs.push_back(std::move(jc));
    }
    jw["containers"] = std::move(cs);
    ws.push_back(std::move(jw));
  }
  j["workloads"] = std::move(ws);
  if (r.rates) {
    const Totals t = Sum(r);
    j["total_monthly_cost"] = {{"current", t.current.ToString()}, {"recommended", t.recommended.ToString()},
                               {"diff", (t.recommended - t.current).ToString()}};
  }
  return j;
}

std::string RightsizeCsv(const RightsizeReport& r) {
  std::ostringstream o;
  o << "namespace,kind,workload,container,replicas,cpu_request,cpu_request_recommended,cpu_limit,cpu_limit_recommended,"
       "memory_request,memory_request_recommended,memory_limit,memory_limit_recommended,cpu_status,memory_status,"
       "monthly_cost,monthly_cost_recommended,monthly_cost_diff\n";
  for (const auto& w : r.workloads) {
    const Workload& wl = *w.workload;
    for (const auto& c : w.containers) {
      ResourceValues rreq, rlim;
      Recommended(c, rreq, rlim);
      auto opt = [](const std::optional<std::int64_t>& v, bool cpu) {
        return v ? (cpu ? FormatMillicores(*v) : FormatBytes(*v)) : std::string();
      };
      o << Csv(wl.ns) << "," << wl.kind << "," << Csv(wl.name) << "," << Csv(c.container) << "," << w.replicas << ","
        << opt(c.current_requests.cpu_millis, true) << "," << opt(rreq.cpu_millis, true) << ","
        << opt(c.current_limits.cpu_millis, true) << "," << opt(rlim.cpu_millis, true) << ","
        << opt(c.current_requests.memory_bytes, false) << "," << opt(rreq.memory_bytes, false) << ","
        << opt(c.current_limits.memory_bytes, false) << "," << opt(rlim.memory_bytes, false) << "," << Csv(c.cpu.status)
        << "," << Csv(c.memory.status) << "," << (c.current_monthly ? c.current_monthly->Fixed(2) : "") << ","
        << (c.recommended_monthly ? c.recommended_monthly->Fixed(2) : "") << ","
        << (c.current_monthly && c.recommended_monthly ? (*c.recommended_monthly - *c.current_monthly).Fixed(2) : "") << "\n";
    }
  }
  return o.str();
}

std::map<std::string, std::string> RightsizePatches(const RightsizeReport& r) {
  std::map<std::string, std::string> out;
  for (const auto& w : r.workloads) {
    const Workload& wl = *w.workload;
    std::ostringstream body;
    bool any = false;
    for (const auto& c : w.containers) {
      if (!c.cpu.request && !c.memory.request) continue;
      any = true;
      std::ostringstream req, lim;
      if (c.cpu.request) {
        req << "              cpu: " << FormatMillicores(*c.cpu.request) << "\n";
        if (c.cpu.limit)
          lim << "              cpu: " << FormatMillicores(*c.cpu.limit) << "\n";
        else if (c.cpu.remove_limit)
          lim << "              cpu: null  # removes the CPU limit\n";
      }
      if (c.memory.request) {
        req << "              memory: " << FormatBytes(*c.memory.request) << "\n";
        if (c.memory.limit)
          lim << "              memory: " << FormatBytes(*c.memory.limit) << "\n";
        else if (c.memory.remove_limit)
          lim << "              memory: null  # removes the memory limit\n";
      }
      body << "        - name: " << c.container << "\n          resources:\n            requests:\n" << req.str();
      if (!lim.str().empty()) body << "            limits:\n" << lim.str();
    }
    if (!any) continue;
    std::string kind_lower = wl.kind;
    std::transform(kind_lower.begin(), kind_lower.end(), kind_lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    std::ostringstream y;
    y << "# tollgate rightsize: " << StrategyLine(r.config) << "\n"
      << "apiVersion: apps/v1\nkind: " << wl.kind << "\nmetadata:\n  name: " << wl.name << "\n  namespace: " << wl.ns
      << "\nspec:\n  template:\n    spec:\n      containers:\n"
      << body.str();
    out[wl.ns + "-" + kind_lower + "-" + wl.name + ".yaml"] = y.str();
  }
  return out;
}

}  // namespace tollgate::finops

namespace tollgate::finops {

Result<RightsizeReport> Rightsize(const RightsizeRequest& q, TimePoint now, slo::HttpGetter* http) {
  namespace fs = std::filesystem;
  if (q.prometheus.empty() == q.series.empty())
    return Fail(Error::Input("give either --prometheus URL or --series FILE (query_range answers), not both or neither"));
  RightsizeReport r;
  r.config = q.config;
  auto workloads = LoadManifests(q.manifests);
  if (!workloads) return Fail(workloads.error());
  r.manifests = std::move(*workloads);
  if (!q.prices.empty()) {
    auto book = LoadPriceBook(q.prices);
    if (!book) return Fail(book.error());
    auto rates = KubernetesRates(*book, q.region);
    if (!rates) return Fail(rates.error());
    r.rates = std::move(*rates);
  }
  UsageCollector usage(r.manifests, r.config);
  if (!q.prometheus.empty()) {
    PrometheusSource src;
    src.url = q.prometheus;
    src.to = q.at.value_or(now);
    src.from = src.to - q.history;
    if (q.step) {
      src.step = *q.step;
    } else {
      const auto span = std::chrono::duration_cast<std::chrono::seconds>(q.history).count();
      src.step = std::chrono::seconds(std::max<std::int64_t>(60, (span / 11000 + 60) / 60 * 60));
    }
    std::unique_ptr<slo::HttpGetter> own;
    if (!http) {
      own = slo::MakeHttpGetter();
      http = own.get();
    }
    TG_TRY(CollectFromPrometheus(*http, src, r.manifests, usage));
    r.source = "Prometheus " + q.prometheus + ", " + FormatRfc3339(src.from) + " to " + FormatRfc3339(src.to) + " every " +
               FormatDuration(src.step);
  } else {
    std::vector<std::string> files;
    for (const auto& s : q.series) {
      std::error_code ec;
      if (fs::is_directory(s, ec)) {
        std::vector<std::string> found;
        for (const auto& e : fs::directory_iterator(s, ec))
          if (e.path().extension() == ".json") found.push_back(e.path().string());
        if (ec) return Fail(Error::Io("--series " + s + ": " + ec.message()));
        std::sort(found.begin(), found.end());
        if (found.empty()) return Fail(Error::Input("--series " + s + ": no *.json query_range answers in this directory"));
        files.insert(files.end(), found.begin(), found.end());
      } else {
        files.push_back(s);
      }
    }
    for (const auto& f : files) TG_TRY(usage.AddQueryRangeFile(f));
    std::string list;
    for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
    r.source = "series files " + list;
  }
  r.workloads = Recommend(r.manifests, usage, r.config, r.rates);
  return r;
}

Result<std::vector<std::string>> WriteRightsizePatches(const RightsizeReport& r, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) return Fail(Error::Io("--patches " + dir + ": cannot create the directory: " + ec.message()));
  std::vector<std::string> written;
  for (const auto& [name, text] : RightsizePatches(r)) {
    const std::string path = (fs::path(dir) / name).string();
    TG_TRY(WriteFileAtomic(path, text));
    written.push_back(path);
  }
  return written;
}

}  // namespace tollgate::finops
