// Right-sizing strategies against values computed by hand (docs/finops.md "Right-sizing").
#include <gtest/gtest.h>

#include <cmath>

#include "finops/rightsize.h"

namespace tollgate::finops {
namespace {

TEST(RightsizeQuantile, LinearInterpolationByHand) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_DOUBLE_EQ(Quantile(v, 0.95), 4.8);  // h = 4 x 0.95 = 3.8: 4 + 0.8 x (5 - 4)
  std::vector<double> one = {7};
  EXPECT_DOUBLE_EQ(Quantile(one, 0.95), 7);
}

TEST(RightsizeHistogram, VpaBucketsAndDecayByHand) {
  // CPU buckets: start(i) = 0.01 (1.05^i - 1) / 0.05 = 0.2 (1.05^i - 1).
  DecayingHistogram h(0.01, 1000, 1.05, 24 * 3600);
  EXPECT_EQ(h.BucketOf(0.5), 25u);  // start(25) = 0.47727 <= 0.5 < start(26) = 0.51113
  EXPECT_NEAR(h.BucketStart(26), 0.511134, 1e-5);
  // 100 samples of 0.1 at t = 0 (weight 1 each) and 10 of 1.0 two half-lives
  // later (weight 4 each): total 140, p90 threshold 126 > 100, so the 1.0
  // bucket (36: 0.2 x (1.05^36 - 1) = 0.95836 .. 0.2 x (1.05^37 - 1) = 1.01628)
  // answers with its end.
  for (int i = 0; i < 100; ++i) h.Add(0, 0.1);
  for (int i = 0; i < 10; ++i) h.Add(48 * 3600, 1.0);
  EXPECT_NEAR(h.Percentile(0.9), 1.01628, 1e-4);
  // Without decay (a very long half-life) 100 of 110 is over 90%: the 0.1 bucket (8: 0.09549..0.11027).
  DecayingHistogram flat(0.01, 1000, 1.05, std::int64_t{1} << 50);
  for (int i = 0; i < 100; ++i) flat.Add(0, 0.1);
  for (int i = 0; i < 10; ++i) flat.Add(48 * 3600, 1.0);
  EXPECT_NEAR(flat.Percentile(0.9), 0.11027, 1e-4);
}

TEST(RightsizeSimple, CpuP95AndMemoryMaxPlus15ByHand) {
  std::vector<Workload> ws;
  ASSERT_TRUE(ParseManifests("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: pay}\nspec:\n  replicas: 2\n"
                             "  template:\n    spec:\n      containers:\n        - name: api\n"
                             "          resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}\n",
                             "m.yaml", ws));
  StrategyConfig cfg;
  UsageCollector u(ws, cfg);
  // Rates k/100 cores for k = 1..120 (a counter sampled every 60 s); memory max 1e9 bytes.
  Json cpu = Json::array(), mem = Json::array();
  double c = 0;
  for (int k = 0; k <= 120; ++k) {
    if (k > 0) c += k / 100.0 * 60;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", c);
    cpu.push_back({1000 + 60 * k, buf});
    mem.push_back({1000 + 60 * k, k == 60 ? "1e9" : "5e8"});
  }
  Json labels = {{"namespace", "pay"}, {"pod", "api-6d5f7c9b8-x2k4q"}, {"container", "api"}};
  labels["__name__"] = "container_cpu_usage_seconds_total";
  ASSERT_TRUE(u.AddSeries(labels, cpu, "t"));
  labels["__name__"] = "container_memory_working_set_bytes";
  ASSERT_TRUE(u.AddSeries(labels, mem, "t"));
  auto recs = Recommend(ws, u, cfg, std::nullopt);
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0].containers.at(0);
  // p95 of 0.01..1.20: h = 119 x 0.95 = 113.05: 1.14 + 0.05 x 0.01 = 1.1405 -> 1141m, no limit.
  EXPECT_EQ(r.cpu.request, 1141);
  EXPECT_FALSE(r.cpu.limit.has_value());
  EXPECT_TRUE(r.cpu.remove_limit);
  // 1e9 x 1.15 = 1.15e9 bytes = 1096.73 MiB -> 1097Mi, request and limit.
  EXPECT_EQ(r.memory.request, std::int64_t{1097} << 20);
  EXPECT_EQ(r.memory.limit, std::int64_t{1097} << 20);

  // 99 points: not enough data.
  UsageCollector few(ws, cfg);
  Json short_cpu(cpu.begin(), cpu.begin() + 100);
  labels["__name__"] = "container_cpu_usage_seconds_total";
  ASSERT_TRUE(few.AddSeries(labels, short_cpu, "t"));
  EXPECT_EQ(Recommend(ws, few, cfg, std::nullopt)[0].containers[0].cpu.status, "not enough data");
}

TEST(RightsizeManifests, BadQuantityNamesFileAndLine) {
  std::vector<Workload> ws;
  auto s = ParseManifests("kind: ConfigMap\n---\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n"
                          "      containers:\n        - name: a\n          resources: {requests: {cpu: lots}}\n",
                          "m.yaml", ws);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("m.yaml:10:"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace tollgate::finops
