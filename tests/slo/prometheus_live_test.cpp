// `tollgate slo budget --prometheus` against a real Prometheus on loopback:
// six hours of counters are written as OpenMetrics, turned into a TSDB block
// by `promtool tsdb create-blocks-from openmetrics`, and served by a
// Prometheus started here. Skips with a message when prometheus or promtool
// (Debian package `prometheus`) is absent or the server does not come up.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace {

namespace fs = std::filesystem;

int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return 0;
  }
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

class LivePrometheus : public ::testing::Test {
 protected:
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
  }
  pid_t pid_ = -1;
  slotest::TempDir dir_;
};

TEST_F(LivePrometheus, BudgetFromQueryRange) {
  if (!slotest::HaveProgram("prometheus") || !slotest::HaveProgram("promtool"))
    GTEST_SKIP() << "prometheus/promtool not found: install the Debian package 'prometheus' to run the live query_range test";
  // Six hours ending on a whole minute two hours ago (inside the default retention).
  using namespace std::chrono;
  const std::int64_t end = (duration_cast<seconds>(system_clock::now().time_since_epoch()).count() - 7200) / 60 * 60;
  const std::int64_t start = end - 6 * 3600;
  // 100 requests a minute; 1 error a minute for five hours, then 10 a minute.
  std::string om = "# TYPE http_requests counter\n";
  std::int64_t ok = 0, bad = 0;
  std::string errors_lines, ok_lines;
  for (std::int64_t t = start; t <= end; t += 60) {
    errors_lines += "http_requests_total{code=\"500\"} " + std::to_string(bad) + " " + std::to_string(t) + "\n";
    ok_lines += "http_requests_total{code=\"200\"} " + std::to_string(ok) + " " + std::to_string(t) + "\n";
    const std::int64_t e = t >= end - 3600 ? 10 : 1;
    bad += e;
    ok += 100 - e;
  }
  om += errors_lines + ok_lines + "# EOF\n";
  slotest::WriteFile(dir_ / "data.om", om);
  auto blocks = slotest::Run(dir_.path(), "promtool tsdb create-blocks-from openmetrics data.om tsdb");
  ASSERT_EQ(blocks.code, 0) << blocks.out << blocks.err;
  slotest::WriteFile(dir_ / "prometheus.yml", "global:\n  scrape_interval: 1m\n");
  const int port = FreePort();
  ASSERT_GT(port, 0);
  pid_ = fork();
  if (pid_ == 0) {
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    const std::string cfg = "--config.file=" + (dir_ / "prometheus.yml").string();
    const std::string db = "--storage.tsdb.path=" + (dir_ / "tsdb").string();
    const std::string log = (dir_ / "prometheus.log").string();
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    execlp("prometheus", "prometheus", cfg.c_str(), db.c_str(), listen.c_str(), "--storage.tsdb.retention.time=30d",
           static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  bool ready = false;
  for (int i = 0; i < 150 && !ready; ++i) {
    std::this_thread::sleep_for(milliseconds(200));
    ready = slotest::Run(dir_.path(), "curl -sf " + url + "/-/ready").code == 0;
  }
  if (!ready) GTEST_SKIP() << "Prometheus did not become ready on " << url << ": " << slotest::ReadAll(dir_ / "prometheus.log").substr(0, 400);

  slotest::WriteFile(dir_ / "slo.yaml", R"(version: "prometheus/v1"
service: "api"
slos:
  - name: "availability"
    objective: 99
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
)");
  char at[64];
  const std::time_t te = static_cast<std::time_t>(end);
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&te));
  auto r = slotest::Run(dir_.path(), "'" + std::string(TOLLGATE_BINARY) + "' slo budget --spec slo.yaml --prometheus " + url +
                                         " --at " + at + " --step 5m --format json");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  // 900 errors in 36,000 requests: 2.5% against a 1% budget.
  const double total = j["events"]["total"].get<double>(), errors = j["events"]["bad"].get<double>();
  EXPECT_NEAR(total, 36000, 36000 * 0.03);
  EXPECT_NEAR(errors / total, 0.025, 0.0015);
  EXPECT_NEAR(j["error_budget"]["consumed"].get<double>(), 2.5, 0.15);
  EXPECT_EQ(j["error_budget"]["exhausted"], true);
  for (const auto& w : j["burn_rates"]) {
    if (w["window"] == "1h") {
      EXPECT_NEAR(w["burn_rate"].get<double>(), 10, 0.5);  // 10% errors / 1%
    }
    if (w["window"] == "6h") {
      EXPECT_NEAR(w["burn_rate"].get<double>(), 2.5, 0.15);
    }
  }
}

}  // namespace
