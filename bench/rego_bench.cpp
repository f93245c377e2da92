// Rego engine benchmarks (issue 4):
//   BM_ParseCompileCorpus   parse + compile every module set of OPA's v1
//                           conformance corpus (../shared/corpora/opa/v1)
//   BM_Eval50Deny200        data.main.deny of a conftest-style policy with 50
//                           deny rules over a 200-resource Kubernetes List,
//                           compiled once; reports evals/s and allocations
//                           per evaluation
// Run: build/release/bench/rego_bench (see bench/rego_run.sh).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "rego/rego.h"

// Counts heap allocations (for allocations per evaluation).
static std::atomic<std::uint64_t> g_allocs{0};
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The replacement operator new allocates with malloc, so free is the match
// (GCC cannot see that through the replacement).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using tollgate::rego::EvalOptions;
using tollgate::rego::Policy;
using tollgate::rego::SourceFile;
using tollgate::rego::Value;

std::vector<std::vector<SourceFile>> LoadCorpus() {
  std::vector<std::vector<SourceFile>> cases;
  std::string dir = std::string(TOLLGATE_SHARED_DIR) + "/corpora/opa/v1";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return cases;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || (e.path().extension() != ".yaml" && e.path().extension() != ".yml")) continue;
    try {
      YAML::Node doc = YAML::LoadFile(e.path().string());
      for (const auto& c : doc["cases"]) {
        std::vector<SourceFile> files;
        int i = 0;
        for (const auto& m : c["modules"]) files.push_back({"test-" + std::to_string(i++) + ".rego", m.as<std::string>()});
        cases.push_back(std::move(files));
      }
    } catch (const YAML::Exception&) {
    }
  }
  return cases;
}

void BM_ParseCompileCorpus(benchmark::State& state) {
  static const auto corpus = LoadCorpus();
  if (corpus.empty()) {
    state.SkipWithError("OPA conformance corpus not found (../shared absent)");
    return;
  }
  std::size_t modules = 0;
  for (const auto& c : corpus) modules += c.size();
  for (auto _ : state) {
    std::size_t ok = 0;
    for (const auto& c : corpus) ok += Policy::Compile(c).has_value() ? 1u : 0u;
    benchmark::DoNotOptimize(ok);
  }
  state.counters["cases"] = static_cast<double>(corpus.size());
  state.counters["modules"] = static_cast<double>(modules);
  state.counters["modules/s"] = benchmark::Counter(static_cast<double>(modules), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ParseCompileCorpus)->Unit(benchmark::kMillisecond);

// 50 deny rules: 10 checks, each in 5 variants (different kinds/namespaces).
std::string FiftyDenyPolicy() {
  std::string p = "package main\nimport rego.v1\n\n";
  const char* kinds[] = {"Deployment", "StatefulSet", "DaemonSet", "Pod", "Job"};
  for (std::size_t v = 0; v < 5; ++v) {
    std::string k = kinds[v];
    std::string sfx = std::to_string(v);
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  some c in r.spec.template.spec.containers\n"
         "  c.securityContext.privileged\n  msg := sprintf(\"%s/%s: privileged container %s\", [r.kind, r.metadata.name, c.name])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  some c in r.spec.template.spec.containers\n"
         "  endswith(c.image, \":latest\")\n  msg := sprintf(\"%s: image %s uses latest\", [r.metadata.name, c.image])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  r.spec.replicas < 2\n"
         "  msg := sprintf(\"%s: too few replicas\", [r.metadata.name])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  not r.metadata.labels.team\n"
         "  msg := sprintf(\"%s: missing team label\", [r.metadata.name])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  some c in r.spec.template.spec.containers\n"
         "  not c.resources.limits.memory\n  msg := sprintf(\"%s/%s: no memory limit\", [r.metadata.name, c.name])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  r.spec.template.spec.hostNetwork == true\n"
         "  msg := sprintf(\"%s: host network\", [r.metadata.name])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  some c in r.spec.template.spec.containers\n"
         "  not c.securityContext.runAsNonRoot\n  msg := sprintf(\"%s/%s: may run as root\", [r.metadata.name, c.name])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  r.metadata.namespace == \"default\"\n"
         "  msg := sprintf(\"%s: default namespace\", [r.metadata.name])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  some c in r.spec.template.spec.containers\n"
         "  some port in c.ports\n  port.hostPort\n  msg := sprintf(\"%s: hostPort %d\", [r.metadata.name, port.hostPort])\n}\n";
    p += "deny contains msg if {\n  some r in input.items\n  r.kind == \"" + k + "\"\n  some c in r.spec.template.spec.containers\n"
         "  not startswith(c.image, \"registry.example.com/\")\n  msg := sprintf(\"%s: untrusted registry %s\", [r.metadata.name, c.image])\n}\n";
  }
  return p;
}

Value TwoHundredResources() {
  const char* kinds[] = {"Deployment", "StatefulSet", "DaemonSet", "Pod", "Job"};
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < 200; ++i) {
    nlohmann::json c1 = {{"name", "app"},
                         {"image", i % 7 == 0 ? "nginx:latest" : "registry.example.com/app:1." + std::to_string(i)},
                         {"securityContext", {{"privileged", i % 13 == 0}, {"runAsNonRoot", i % 3 != 0}}},
                         {"resources", i % 5 == 0 ? nlohmann::json::object() : nlohmann::json{{"limits", {{"memory", "512Mi"}}}}},
                         {"ports", {{{"containerPort", 8080}, {"hostPort", i % 17 == 0 ? 80 : 0}}}}};
    nlohmann::json c2 = {{"name", "sidecar"}, {"image", "registry.example.com/proxy:2"},
                         {"securityContext", {{"runAsNonRoot", true}}}, {"resources", {{"limits", {{"memory", "64Mi"}}}}}};
    nlohmann::json labels = {{"app", "svc" + std::to_string(i)}};
    if (i % 4 != 0) labels["team"] = "payments";
    items.push_back({{"apiVersion", "apps/v1"},
                     {"kind", kinds[static_cast<std::size_t>(i % 5)]},
                     {"metadata", {{"name", "svc-" + std::to_string(i)}, {"namespace", i % 9 == 0 ? "default" : "prod"}, {"labels", labels}}},
                     {"spec", {{"replicas", i % 6 == 0 ? 1 : 3},
                               {"template", {{"spec", {{"hostNetwork", i % 19 == 0}, {"containers", {c1, c2}}}}}}}}});
  }
  return tollgate::rego::FromJson(nlohmann::json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}});
}

void BM_Eval50Deny200(benchmark::State& state) {
  auto policy = Policy::Compile({{"k8s.rego", FiftyDenyPolicy()}});
  if (!policy) {
    state.SkipWithError(policy.error().message().c_str());
    return;
  }
  EvalOptions opts;
  opts.input = TwoHundredResources();
  std::size_t denies = 0;
  std::uint64_t allocs = 0;
  for (auto _ : state) {
    std::uint64_t before = g_allocs.load(std::memory_order_relaxed);
    auto r = (*policy)->Query("data.main.deny", opts);
    allocs += g_allocs.load(std::memory_order_relaxed) - before;
    if (!r || r->rows.empty()) {
      state.SkipWithError("evaluation failed");
      return;
    }
    denies = r->rows[0].expressions[0].size();
    benchmark::DoNotOptimize(denies);
  }
  state.counters["evals/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["denies"] = static_cast<double>(denies);
  state.counters["allocs/eval"] = static_cast<double>(allocs) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Eval50Deny200)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
