// cpp-httplib (Debian's libcpp-httplib-dev 0.11.4) side of the HTTP-layer comparison (bench/http/README.md).
// Thread pool (--threads, 0 = the library default max(8, cores-1)), keep-alive (--keepalive-max requests per
// connection), payload max length (--max-body), read/write/keep-alive timeouts (--timeout), TCP_NODELAY unless
// --no-nodelay (the library leaves Nagle on, and it writes headers and body in two sends). With --guard a
// pre-routing handler refuses chunked bodies and oversized Content-Length before the body is read.
#include <httplib.h>
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "app.h"

int main(int argc, char** argv) {
  httpbench::Options opt;
  if (!httpbench::parse_options(argc, argv, opt)) return 2;

  // SIGINT/SIGTERM are taken by one waiting thread, which stops the server.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  httpbench::App app(opt.db);
  httplib::Server svr;
  if (opt.threads > 0) {
    std::size_t n = static_cast<std::size_t>(opt.threads);
    svr.new_task_queue = [n] { return new httplib::ThreadPool(n); };
  }
  svr.set_tcp_nodelay(opt.nodelay);
  svr.set_keep_alive_max_count(static_cast<std::size_t>(opt.keepalive_max));
  svr.set_keep_alive_timeout(opt.timeout_s);
  svr.set_read_timeout(opt.timeout_s, 0);
  svr.set_write_timeout(opt.timeout_s, 0);
  svr.set_payload_max_length(opt.max_body);
  if (opt.guard) {
    svr.set_pre_routing_handler([max = opt.max_body](const httplib::Request& req, httplib::Response& res) {
      bool chunked = req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos;
      bool too_big = req.get_header_value<std::uint64_t>("Content-Length") > max;
      if (!chunked && !too_big) return httplib::Server::HandlerResponse::Unhandled;
      res.status = chunked ? 411 : 413;
      res.set_header("Connection", "close");  // the unread body must not be parsed as a next request
      res.set_content(chunked ? R"({"error":"length required"})" : R"({"error":"body too large"})", "application/json");
      return httplib::Server::HandlerResponse::Handled;
    });
  }

  svr.Get("/static", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(app.static_body(), "application/json");
  });
  svr.Get("/report",
          [&](const httplib::Request&, httplib::Response& res) { res.set_content(app.report(), "application/json"); });
  auto reply = [](httplib::Response& res, httpbench::Reply r) {
    res.status = r.status;
    res.set_content(std::move(r.body), "application/json");
  };
  svr.Post("/events", [&](const httplib::Request& req, httplib::Response& res) { reply(res, app.events(req.body)); });
  svr.Post("/admission",
           [&](const httplib::Request& req, httplib::Response& res) { reply(res, app.admission(req.body)); });

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    svr.stop();
  });
  std::fprintf(stderr, "httplib_server: 127.0.0.1:%d, pool %d (0 = default), keep-alive max %d, max body %zu%s\n",
               opt.port, opt.threads, opt.keepalive_max, opt.max_body, opt.guard ? ", guard" : "");
  bool ok = svr.listen("127.0.0.1", opt.port);
  if (!ok) {
    std::fprintf(stderr, "httplib_server: cannot listen on 127.0.0.1:%d\n", opt.port);
    pthread_kill(stopper.native_handle(), SIGTERM);
  }
  stopper.join();
  std::printf("acked_events=%llu stored_events=%lld peak_rss_kib=%ld\n",
              static_cast<unsigned long long>(app.acked_events()), static_cast<long long>(app.stored_events()),
              httpbench::peak_rss_kib());
  return ok ? 0 : 1;
}
