// Admission latency (issue 15 §3): per-request latency of admission::Decide
// over the built-in library grown to 50 constraints, p50/p99/max over many
// requests, then Google Benchmark's throughput of the same call.
// bench/admission-run.sh compares it with a fresh `tollgate policy eval` and
// `tollgate admission review` process for the same input.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "admission/admission.h"

using tollgate::Json;
using namespace tollgate::admission;

namespace {

// The built-in library (read from policies/gatekeeper) with 50 constraints:
// each built-in constraint repeated under another name (the same matching
// and evaluation work).
PolicySet FiftyConstraints() {
  auto templates = ReadDocuments({TOLLGATE_SOURCE_DIR "/policies/gatekeeper/templates"});
  auto constraints = ReadDocuments({TOLLGATE_SOURCE_DIR "/policies/gatekeeper/constraints"});
  if (!templates || !constraints || constraints->empty()) {
    std::fprintf(stderr, "admission_bench: cannot read policies/gatekeeper\n");
    std::exit(2);
  }
  std::vector<SourceDocument> many;
  for (std::size_t i = 0; many.size() < 50; ++i) {
    SourceDocument d = (*constraints)[i % constraints->size()];
    d.doc["metadata"]["name"] = d.doc["metadata"]["name"].get<std::string>() + "-" + std::to_string(i);
    many.push_back(std::move(d));
  }
  auto set = PolicySet::FromDocuments(*templates, many);
  if (!set) {
    std::fprintf(stderr, "admission_bench: %s\n", set.error().message().c_str());
    std::exit(2);
  }
  return std::move(*set);
}

Json Request(int i) {
  Json container{{"name", "api"},
                 {"image", i % 3 == 0 ? "nginx:latest" : "registry.bank.example/payments/api:1." + std::to_string(i % 20)},
                 {"securityContext", Json{{"privileged", i % 7 == 0}, {"runAsNonRoot", true}, {"readOnlyRootFilesystem", true},
                                          {"allowPrivilegeEscalation", false},
                                          {"capabilities", Json{{"drop", Json::array({"ALL"})}}}}},
                 {"resources", Json{{"limits", Json{{"cpu", "1"}, {"memory", "512Mi"}}}}}};
  Json pod_spec{{"containers", Json::array({container, container})}};
  Json obj;
  if (i % 2 == 0) {
    obj = Json{{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", Json{{"name", "p" + std::to_string(i)}, {"namespace", "payments"},
                                                                        {"labels", Json{{"owner", "team-payments"}}}}},
               {"spec", pod_spec}};
  } else {
    obj = Json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
               {"metadata", Json{{"name", "d" + std::to_string(i)}, {"namespace", "payments"}}},
               {"spec", Json{{"replicas", 3}, {"template", Json{{"metadata", Json{{"labels", Json{{"app", "x"}}}}}, {"spec", pod_spec}}}}}};
  }
  Json req = AuditRequest(obj);
  req["uid"] = "u-" + std::to_string(i);
  req["operation"] = "CREATE";
  return Json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", std::move(req)}};
}

void BM_Decide(benchmark::State& state) {
  static PolicySet set = FiftyConstraints();
  std::vector<Json> reviews;
  for (int i = 0; i < 64; ++i) reviews.push_back(Request(i));
  std::size_t i = 0;
  for (auto _ : state) {
    auto d = Decide(set, reviews[i++ % reviews.size()]);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_Decide)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  PolicySet set = FiftyConstraints();
  constexpr int kRequests = 5000;
  std::vector<Json> reviews;
  for (int i = 0; i < kRequests; ++i) reviews.push_back(Request(i));
  std::vector<double> us;
  us.reserve(kRequests);
  std::size_t denied = 0;
  for (int round = 0; round < 2; ++round) {  // the first round warms the caches
    us.clear();
    for (const auto& r : reviews) {
      auto t0 = std::chrono::steady_clock::now();
      auto d = Decide(set, r);
      double t = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      if (!d) {
        std::fprintf(stderr, "admission_bench: %s\n", d.error().message().c_str());
        return 2;
      }
      if (round == 1) {
        us.push_back(t);
        if (!d->allowed) ++denied;
      }
    }
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<std::size_t>(p * static_cast<double>(us.size())))]; };
  std::printf("admission: %zu templates, %zu constraints, %d requests (%zu denied)\n", set.template_count(),
              set.constraint_count(), kRequests, denied);
  std::printf("admission latency: p50 %.0f us, p99 %.0f us, max %.0f us (target: p99 under 2000 us)\n", pct(0.50), pct(0.99),
              us.back());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
