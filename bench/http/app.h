// The application side of the HTTP-layer comparison (bench/http/README.md): the four routes' work, shared by
// beast_server.cpp and httplib_server.cpp so that the two servers differ only in their HTTP layer.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>

namespace httpbench {

struct Reply {
  int status;
  std::string body;
};

// Options both servers accept: --port N --db PATH --threads N --max-body BYTES --timeout SECONDS.
struct Options {
  int port = 0;
  std::string db = "http-bench.db";
  int threads = 0;  // 0: the layer's default
  std::size_t max_body = 1 << 20;
  int timeout_s = 10;
  int blocking = 2;         // Beast only: threads for blocking work (the SQLite COMMIT of POST /events)
  int keepalive_max = 100;  // httplib only: requests per connection before it is closed
  bool guard = false;       // httplib only: refuse chunked/oversized bodies before they are read
  bool nodelay = true;      // httplib only: TCP_NODELAY (off in the library by default)
};
// Parses argv; prints usage to stderr and returns false on a bad flag.
bool parse_options(int argc, char** argv, Options& out);

class App {
 public:
  // Opens (creates) the SQLite database in WAL mode with synchronous=FULL; throws std::runtime_error on failure.
  explicit App(const std::string& db_path);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // GET /static: a fixed 2 KB JSON body.
  const std::string& static_body() const { return static_body_; }
  // GET /report: a copy of the cached 2 KB report, read under a shared lock (a refresher thread rewrites it).
  std::string report() const;
  // POST /events: JSON Lines, one event per line; all appended in one transaction; 202 after COMMIT returns.
  Reply events(std::string_view body);
  // POST /admission: an AdmissionReview v1; answers allowed unless a container is privileged.
  Reply admission(std::string_view body) const;

  // Acknowledged events (202 answers) and rows in the table, printed by the servers on exit.
  std::uint64_t acked_events() const { return acked_.load(); }
  std::int64_t stored_events();

 private:
  void refresh_loop();

  std::string static_body_;
  mutable std::shared_mutex report_mu_;
  std::string report_;
  std::mutex db_mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<bool> stop_{false};
  std::thread refresher_;
};

// Peak resident set size of this process in KiB (VmHWM), or -1.
long peak_rss_kib();

}  // namespace httpbench
