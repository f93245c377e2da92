// tollgate rightsize --prometheus against a real Prometheus on loopback: six
// hours of CPU counters and memory gauges backfilled with `promtool tsdb
// create-blocks-from openmetrics`; the recommendation is checked against the
// p95 computed here from the generated rates by a plain sort. Skips when
// prometheus/promtool are absent, unless TOLLGATE_REQUIRE_PROMETHEUS=1.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "slo/test_util.h"

namespace {

int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return close(s), 0;
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

bool Required() {
  const char* v = std::getenv("TOLLGATE_REQUIRE_PROMETHEUS");
  return v && std::string(v) == "1";
}

TEST(RightsizeLivePrometheus, SimpleStrategyMatchesP95OfTheSamples) {
  if (!slotest::HaveProgram("prometheus") || !slotest::HaveProgram("promtool")) {
    if (Required()) GTEST_FAIL() << "prometheus/promtool not found and TOLLGATE_REQUIRE_PROMETHEUS=1";
    GTEST_SKIP() << "prometheus/promtool not found: install the Debian package 'prometheus' to run this test";
  }
  slotest::TempDir dir;
  using namespace std::chrono;
  const std::int64_t end = (duration_cast<seconds>(system_clock::now().time_since_epoch()).count() - 7200) / 60 * 60;
  const std::int64_t start = end - 6 * 3600;
  std::string cpu = "# TYPE container_cpu_usage_seconds counter\n", mem = "# TYPE container_memory_working_set_bytes gauge\n";
  const std::string labels = "{namespace=\"pay\",pod=\"api-6d5f7c9b8-x2k4q\",container=\"api\"} ";
  std::vector<double> rates;
  std::int64_t milli = 0, peak = 0;
  std::uint32_t x = 12345;
  for (std::int64_t t = start, i = 0; t <= end; t += 60, ++i) {
    if (i > 0) {
      x = x * 1103515245u + 12345u;
      const std::int64_t m = 100 + (x >> 8) % 800;  // millicores over this minute
      rates.push_back(static_cast<double>(m) / 1000);
      milli += m * 60;
    }
    char v[64];
    std::snprintf(v, sizeof v, "%lld.%03lld", static_cast<long long>(milli / 1000), static_cast<long long>(milli % 1000));
    cpu += "container_cpu_usage_seconds_total" + labels + v + " " + std::to_string(t) + "\n";
    const std::int64_t bytes = 300000000 + (i * 7919) % 100000000;
    peak = std::max(peak, bytes);
    mem += "container_memory_working_set_bytes" + labels + std::to_string(bytes) + " " + std::to_string(t) + "\n";
  }
  slotest::WriteFile(dir / "data.om", cpu + mem + "# EOF\n");
  auto blocks = slotest::Run(dir.path(), "promtool tsdb create-blocks-from openmetrics data.om tsdb");
  ASSERT_EQ(blocks.code, 0) << blocks.out << blocks.err;
  slotest::WriteFile(dir / "prometheus.yml", "global:\n  scrape_interval: 1m\n");
  slotest::WriteFile(dir / "m.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: pay}\nspec:\n"
                                     "  template:\n    spec:\n      containers:\n        - name: api\n"
                                     "          resources: {requests: {cpu: 500m, memory: 1Gi}}\n");
  const int port = FreePort();
  ASSERT_GT(port, 0);
  pid_t pid = fork();
  if (pid == 0) {
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    const std::string cfg = "--config.file=" + (dir / "prometheus.yml").string();
    const std::string db = "--storage.tsdb.path=" + (dir / "tsdb").string();
    FILE* f = std::freopen((dir / "prometheus.log").string().c_str(), "w", stderr);
    (void)f;
    execlp("prometheus", "prometheus", cfg.c_str(), db.c_str(), listen.c_str(), "--storage.tsdb.retention.time=30d",
           static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  bool ready = false;
  for (int i = 0; i < 150 && !ready; ++i) {
    std::this_thread::sleep_for(milliseconds(200));
    ready = slotest::Run(dir.path(), "curl -sf " + url + "/-/ready").code == 0;
  }
  char at[64];
  const std::time_t te = static_cast<std::time_t>(end);
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&te));
  slotest::CmdResult r;
  if (ready)
    r = slotest::Run(dir.path(), "'" + std::string(TOLLGATE_BINARY) + "' rightsize --manifests m.yaml --prometheus " + url +
                                     " --at " + at + " --history 6h --step 1m --format json");
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
  if (!ready) {
    if (Required()) GTEST_FAIL() << "Prometheus did not become ready";
    GTEST_SKIP() << "Prometheus did not become ready on " << url;
  }
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // p95 by a plain sort, linear interpolation between closest ranks.
  std::sort(rates.begin(), rates.end());
  const double h = static_cast<double>(rates.size() - 1) * 0.95;
  const auto lo = static_cast<std::size_t>(h);
  const double p95 = rates[lo] + (h - static_cast<double>(lo)) * (rates[lo + 1] - rates[lo]);
  const auto want_cpu = static_cast<long long>(std::ceil(p95 * 1000 - 1e-9));
  const auto want_mem = static_cast<long long>(std::ceil(static_cast<double>(peak) * 1.15 / 1048576 - 1e-9));
  const auto j = nlohmann::json::parse(r.out);
  const auto& c = j["workloads"][0]["containers"][0];
  EXPECT_EQ(c["cpu"]["points"], rates.size());
  EXPECT_EQ(c["recommended"]["requests"]["cpu"], std::to_string(want_cpu) + "m");
  EXPECT_EQ(c["recommended"]["requests"]["memory"], std::to_string(want_mem) + "Mi");
  EXPECT_EQ(c["recommended"]["limits"]["memory"], std::to_string(want_mem) + "Mi");
}

}  // namespace
