// `tollgate serve` as a process on loopback: the CLI gates and records events
// through it; /metrics passes promtool; SIGKILL during ingestion loses no
// acknowledged event; two server processes append to one ledger at once and
// it verifies afterwards, on a SQLite file and on one PostgreSQL database.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/cli_harness.h"
#include "support/postgres.h"

namespace tollgate::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A `tollgate serve` child on a free loopback port.
class ServerProcess {
 public:
  ServerProcess(const fs::path& dir, const std::string& ledger, const std::string& state, const std::string& extra = "") {
    log_ = (dir / ("serve-" + std::to_string(counter_++) + ".log")).string();
    // No state: the default (beside the ledger, or in its PostgreSQL database).
    std::string cmd = std::string("exec '") + TOLLGATE_BINARY + "' serve --listen 127.0.0.1:0 --ledger '" + ledger + "' " +
                      (state.empty() ? "" : "--state '" + state + "' ") + extra + " >'" + log_ + "' 2>&1";
    pid_ = fork();
    if (pid_ == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 600 && url_.empty(); ++i) {  // up to 30 s: ASan builds under load start slowly
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::string text = ReadAll(log_);
      auto at = text.find("listening on ");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos)
        url_ = text.substr(at + 13, text.find('\n', at) - at - 13);
      auto tok = text.find("admin token: ");
      if (tok != std::string::npos && text.find('\n', tok) != std::string::npos)
        token_ = text.substr(tok + 13, text.find('\n', tok) - tok - 13);
    }
  }
  ~ServerProcess() { Kill(SIGTERM); }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  std::string log() const { return ReadAll(log_); }

 private:
  static inline int counter_ = 0;
  pid_t pid_ = -1;
  std::string log_, url_, token_;
};

class ServeCli : public CliHarness {
 protected:
  std::string Curl(const std::string& args) {
    auto r = Run("curl -sS --max-time 20 " + args);
    return r.out;
  }
};

TEST_F(ServeCli, GateThroughTheServerPrintsAndExitsAsLocally) {
  std::string example = std::string(TOLLGATE_SOURCE_DIR) + "/examples/payments-api";
  ASSERT_EQ(Tg("db import '" + example + "/advisories'").code, 0);  // the dependency gate reads it, offline
  ServerProcess srv(dir_, ledger_, (dir_ / "state.db").string(),
                    "--service payments-api='" + example + "/tollgate.yaml'");
  ASSERT_FALSE(srv.url().empty()) << srv.log();
  ASSERT_EQ(srv.token().rfind("tg_", 0), 0u) << srv.log();
  EXPECT_NE(Curl(srv.url() + "/healthz").find("ok"), std::string::npos);

  // Without a token: refused, exit 2, one line.
  auto anon = Tg("gate '" + example + "' --server " + srv.url() + " --author 'Dev <dev@x.example>'");
  EXPECT_EQ(anon.code, 2) << anon.err;
  auto r = Run("TOLLGATE_TOKEN=" + srv.token() + " '" + TOLLGATE_BINARY + "' gate '" + example + "' --server " + srv.url() +
               " --author 'Dev <dev@x.example>' --commit " + std::string(40, 'c'));
  EXPECT_EQ(r.code, 1) << r.out << r.err;  // the example's planted key blocks
  EXPECT_NE(r.out.find("stripe-live-secret-key"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recorded: ledger entries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(srv.url()), std::string::npos);

  // Delivery events through the server.
  auto ev = Run("TOLLGATE_TOKEN=" + srv.token() + " '" + TOLLGATE_BINARY +
                "' event deploy --service payments-api --env prod --commit a1 --time 2026-03-02T10:00:00Z --server " +
                srv.url());
  EXPECT_EQ(ev.code, 0) << ev.err;
  EXPECT_NE(ev.out.find("recorded 1 event"), std::string::npos) << ev.out;
  srv.Kill(SIGTERM);
  auto verify = Tg("ledger verify");
  EXPECT_EQ(verify.code, 0) << verify.err;
}

// The portal over real HTTP with curl's cookie jar, as a script would use it:
// the token link signs in, the form posts, and the token never reaches the log.
TEST_F(ServeCli, PortalSignInWithATokenLinkOverHttp) {
  ServerProcess srv(dir_, ledger_, (dir_ / "state.db").string(),
                    "--service payments-api='" + std::string(TOLLGATE_SOURCE_DIR) + "/examples/payments-api/tollgate.yaml'");
  ASSERT_FALSE(srv.url().empty()) << srv.log();
  EXPECT_NE(srv.log().find("portal: " + srv.url() + "/"), std::string::npos) << srv.log();
  EXPECT_EQ(Curl("-o /dev/null -w '%{http_code}' " + srv.url() + "/services/payments-api"), "401");
  std::string code = Curl("-c jar -o /dev/null -w '%{http_code} %{redirect_url}' '" + srv.url() + "/login?token=" + srv.token() +
                          "&next=/services/payments-api'");
  EXPECT_EQ(code, "303 " + srv.url() + "/services/payments-api");
  std::string jar = ReadAll((dir_ / "jar").string());
  EXPECT_NE(jar.find("#HttpOnly_127.0.0.1"), std::string::npos) << jar;
  EXPECT_NE(jar.find("tollgate_session"), std::string::npos) << jar;
  std::string page = Curl("-b jar " + srv.url() + "/services/payments-api");
  EXPECT_NE(page.find("<h1>payments-api</h1>"), std::string::npos) << page;
  // The form: the token in a POST body, urlencoded as a browser sends it.
  EXPECT_EQ(Curl("-o /dev/null -w '%{http_code}' --data-urlencode token=" + srv.token() + " --data-urlencode next=/ " +
                 srv.url() + "/login"),
            "303");
  srv.Kill(SIGTERM);
  EXPECT_EQ(srv.log().find(srv.token(), srv.log().find('\n')), std::string::npos)
      << "the token appears in the log only on the bootstrap line: " << srv.log();
}

// The state's default place is named after the ledger: two ledgers in one
// directory each get their own principals and first admin.
TEST_F(ServeCli, TwoLedgersInOneDirectoryKeepTheirOwnState) {
  for (const char* name : {"a.db", "b.db"}) {
    ServerProcess srv(dir_, (dir_ / name).string(), "");
    ASSERT_FALSE(srv.url().empty()) << srv.log();
    EXPECT_EQ(srv.token().rfind("tg_", 0), 0u) << name << ": " << srv.log();
  }
  EXPECT_TRUE(fs::exists(dir_ / "a.server.db"));
  EXPECT_TRUE(fs::exists(dir_ / "b.server.db"));
}

TEST_F(ServeCli, MetricsPassPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool not installed";
  ServerProcess srv(dir_, ledger_, (dir_ / "state.db").string());
  ASSERT_FALSE(srv.url().empty()) << srv.log();
  (void)Curl("-H 'Content-Type: application/x-ndjson' -H 'Authorization: Bearer " + srv.token() + "' " + srv.url() + "/api/v1/ledger/head");
  (void)Curl(srv.url() + "/nope");
  Write("metrics.txt", Curl(srv.url() + "/metrics"));
  auto check = Run("promtool check metrics < metrics.txt");
  EXPECT_EQ(check.code, 0) << check.out << check.err;
}

TEST_F(ServeCli, SigkillDuringIngestionLosesNoAcknowledgedEvent) {
  ServerProcess srv(dir_, ledger_, (dir_ / "state.db").string());
  ASSERT_FALSE(srv.url().empty()) << srv.log();
  // Batches of 50 deploys, posted one after another; each acknowledged batch
  // is counted, then the server is killed mid-stream.
  std::string script =
      "i=0; while [ $i -lt 40 ]; do f=batch$i.jsonl; : > $f; j=0; while [ $j -lt 50 ]; do "
      "printf '{\"type\":\"deploy\",\"id\":\"d%d-%d\",\"service\":\"s%d\",\"env\":\"prod\",\"commit\":\"c%d\",\"status\":\"success\",\"time\":\"2026-03-02T10:%02d:00Z\"}\\n' "
      "$i $j $i $j $j >> $f; j=$((j+1)); done; "
      "code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/x-ndjson' -H 'Authorization: Bearer " +
      srv.token() + "' --data-binary @$f " + srv.url() +
      "/api/v1/events); [ \"$code\" = 201 ] && echo $i >> acked; i=$((i+1)); done";
  pid_t poster = fork();
  if (poster == 0) {
    std::string cmd = "cd '" + dir_.string() + "' && " + script;
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  srv.Kill(SIGKILL);
  int status = 0;
  waitpid(poster, &status, 0);
  std::string acked = Slurp((dir_ / "acked").string());
  std::size_t batches = Count(acked, '\n');
  ASSERT_GT(batches, 0u) << "no batch was acknowledged before the kill";
  auto verify = Tg("ledger verify");
  EXPECT_EQ(verify.code, 0) << verify.err;
  auto shown = Tg("ledger show --type deploy");
  EXPECT_GE(Count(shown.out, '\n'), batches * 50) << "acknowledged batches: " << batches;
  // Each acknowledged batch is there whole.
  std::istringstream in(acked);
  std::string b;
  while (std::getline(in, b)) EXPECT_NE(shown.out.find("\"id\":\"d" + b + "-49\""), std::string::npos) << b;
}

TEST_F(ServeCli, TwoServersAppendToOneLedgerConcurrently) {
  std::string state = (dir_ / "state.db").string();
  ServerProcess a(dir_, ledger_, state);
  ASSERT_FALSE(a.url().empty()) << a.log();
  std::string token = a.token();
  ServerProcess b(dir_, ledger_, state);
  ASSERT_FALSE(b.url().empty()) << b.log();
  EXPECT_TRUE(b.token().empty()) << "the second replica shares the state: no new admin";
  auto load = [&](const std::string& url, int who) {
    std::string script = "i=0; while [ $i -lt 20 ]; do printf '{\"type\":\"deploy\",\"id\":\"r" + std::to_string(who) +
                         "-%d\",\"service\":\"svc" + std::to_string(who) +
                         "\",\"env\":\"prod\",\"commit\":\"c%d\",\"status\":\"success\",\"time\":\"2026-03-02T10:%02d:00Z\"}\\n' $i $i $i > "
                         "ev" + std::to_string(who) + ".jsonl; curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' -H 'Authorization: Bearer " + token +
                         "' --data-binary @ev" + std::to_string(who) + ".jsonl " + url + "/api/v1/events; i=$((i+1)); done";
    return Run(script);
  };
  std::thread t1([&] { load(a.url(), 1); });
  std::thread t2([&] { load(b.url(), 2); });
  t1.join();
  t2.join();
  a.Kill(SIGTERM);
  b.Kill(SIGTERM);
  auto verify = Tg("ledger verify");
  EXPECT_EQ(verify.code, 0) << verify.err;
  auto shown = Tg("ledger show --type deploy");
  EXPECT_EQ(Count(shown.out, '\n'), 40u) << shown.out.substr(0, 400);
}

// Two replicas on one PostgreSQL database (ledger and state), each taking
// batches from two clients at once: every acknowledged event is in the ledger
// once, and `ledger verify --ledger postgres://...` passes.
TEST_F(ServeCli, TwoServersAppendToOnePostgresDatabaseConcurrently) {
  TG_REQUIRE_POSTGRES();
  PgSchema db;
  ASSERT_EQ(db.error(), "");
  ServerProcess a(dir_, db.url(), "");
  ASSERT_FALSE(a.url().empty()) << a.log();
  std::string token = a.token();
  ASSERT_FALSE(token.empty()) << a.log();
  ServerProcess b(dir_, db.url(), "");
  ASSERT_FALSE(b.url().empty()) << b.log();
  EXPECT_TRUE(b.token().empty()) << "the second replica shares the state: no new admin";
  constexpr int kBatches = 25, kPerBatch = 10;
  // Client `who` posts kBatches batches to `url`, its own service's deploys
  // in time order; acknowledged batches are listed in acked<who>.
  auto load = [&](const std::string& url, int who) {
    std::string w = std::to_string(who);
    std::string script =
        "i=0; while [ $i -lt " + std::to_string(kBatches) + " ]; do : > ev" + w + ".jsonl; j=0; while [ $j -lt " +
        std::to_string(kPerBatch) + " ]; do printf '{\"type\":\"deploy\",\"id\":\"r" + w +
        "-%d-%d\",\"service\":\"svc" + w +
        "\",\"env\":\"prod\",\"commit\":\"c%d\",\"status\":\"success\",\"time\":\"2026-03-02T10:%02d:%02dZ\"}\\n' "
        "$i $j $i $i $j >> ev" + w + ".jsonl; j=$((j+1)); done; "
        "code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Content-Type: application/x-ndjson' "
        "-H 'Authorization: Bearer " + token + "' --data-binary @ev" + w + ".jsonl " + url +
        "/api/v1/events); [ \"$code\" = 201 ] && echo $i >> acked" + w + "; i=$((i+1)); done";
    return Run(script);
  };
  std::vector<std::thread> clients;
  for (int who = 0; who < 4; ++who) clients.emplace_back([&, who] { load(who % 2 == 0 ? a.url() : b.url(), who); });
  for (auto& t : clients) t.join();
  a.Kill(SIGTERM);
  b.Kill(SIGTERM);

  auto verify = Tg("ledger verify --ledger '" + db.url() + "'");
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
  auto shown = Tg("ledger show --type deploy --ledger '" + db.url() + "'");
  ASSERT_EQ(shown.code, 0) << shown.err;
  std::size_t acked_batches = 0;
  for (int who = 0; who < 4; ++who) {
    std::istringstream in(Slurp((dir_ / ("acked" + std::to_string(who))).string()));
    std::string i;
    while (std::getline(in, i)) {
      ++acked_batches;
      for (int j = 0; j < kPerBatch; ++j) {
        std::string id = "\"id\":\"r" + std::to_string(who) + "-" + i + "-" + std::to_string(j) + "\"";
        auto at = shown.out.find(id);
        EXPECT_NE(at, std::string::npos) << id << " was acknowledged but is not in the ledger";
        EXPECT_EQ(shown.out.find(id, at + 1), std::string::npos) << id << " is in the ledger twice";
      }
    }
  }
  EXPECT_EQ(acked_batches, 4u * kBatches) << "every batch is acknowledged: the replicas queue, they do not fail";
  EXPECT_EQ(Count(shown.out, '\n'), acked_batches * kPerBatch);
}

}  // namespace
}  // namespace tollgate::testing
