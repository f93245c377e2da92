// The HTTP listener: cpp-httplib (Debian's libcpp-httplib-dev) with OpenSSL
// for HTTPS. Every request is handed to Service::Handle; this file only
// converts requests and responses, applies the size and time limits, and logs
// one JSON line per request (never a header or body: tokens stay out of logs).
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT  // HTTPS (pkg-config's cpp-httplib defines it too)
#endif
// Debian's cpp-httplib is a compiled library: a body sent as
// application/x-www-form-urlencoded (curl --data-binary without -H) over 8 KB
// is refused there with 413. Clients send a Content-Type (docs/server.md).
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/canonical_json.h"
#include "core/time.h"
#include "server/server.h"

namespace tollgate::server {
namespace {

std::mutex log_mu;

void LogLine(const HttpRequest& req, int status, double ms) {
  Json line{{"time", FormatRfc3339(SystemClock().Now(), true)},
            {"remote", req.remote},
            {"method", req.method},
            {"path", req.path},
            {"status", status},
            {"ms", static_cast<double>(static_cast<long long>(ms * 1000)) / 1000}};
  std::lock_guard<std::mutex> lock(log_mu);
  std::cerr << line.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Status Serve(Service& service, const ListenOptions& listen, const std::function<void(const std::string&)>& on_ready,
             std::size_t max_body_bytes) {
  auto colon = listen.address.rfind(':');
  if (colon == std::string::npos) return Fail(Error::Input("--listen " + listen.address + ": expected HOST:PORT"));
  std::string host = listen.address.substr(0, colon);
  std::string port_text = listen.address.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    return Fail(Error::Input("--listen " + listen.address + ": the port must be a number"));
  int port = std::stoi(port_text);
  if (port > 65535) return Fail(Error::Input("--listen " + listen.address + ": the port must be at most 65535"));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  const bool tls = !listen.tls_cert.empty() || !listen.tls_key.empty();
  if (tls && (listen.tls_cert.empty() || listen.tls_key.empty()))
    return Fail(Error::Input("--tls-cert and --tls-key go together"));
  std::unique_ptr<httplib::Server> server;
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(listen.tls_cert.c_str(), listen.tls_key.c_str());
    if (!ssl->is_valid()) return Fail(Error::Input("--tls-cert/--tls-key: cannot load the certificate or key"));
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  httplib::Server& svr = *server;
  const int threads = std::max(1, listen.threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  svr.set_payload_max_length(max_body_bytes);
  svr.set_read_timeout(listen.read_timeout_seconds, 0);
  svr.set_write_timeout(listen.write_timeout_seconds, 0);
  svr.set_idle_interval(0, 100000);
  svr.set_keep_alive_timeout(5);
  svr.set_tcp_nodelay(true);  // small answers must not wait for delayed ACKs (40 ms each)
  svr.set_keep_alive_max_count(1000);

  auto handle = [&service, tls](const httplib::Request& in, httplib::Response& out) {
    auto start = std::chrono::steady_clock::now();
    HttpRequest req;
    req.method = in.method;
    req.path = in.path;
    for (const auto& [k, v] : in.params) req.query.emplace(k, v);
    for (const auto& [k, v] : in.headers) req.headers.emplace(Lower(k), v);
    req.body = in.body;
    req.remote = in.remote_addr;
    req.tls = tls;
    HttpResponse resp = service.Handle(req);
    out.status = resp.status;
    for (const auto& [k, v] : resp.headers) out.set_header(k, v);
    out.set_content(std::move(resp.body), resp.content_type.c_str());
    LogLine(req, resp.status, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  };
  svr.Get(".*", handle);
  svr.Post(".*", handle);
  svr.Put(".*", handle);
  svr.Delete(".*", handle);
  svr.Patch(".*", handle);
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 413)
      res.set_content("{\"error\": \"request body larger than the limit\"}\n", "application/json");
    else if (res.body.empty())
      res.set_content("{\"error\": \"HTTP " + std::to_string(res.status) + "\"}\n", "application/json");
    (void)req;
  });

  int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, port) ? port : -1);
  if (bound < 0) return Fail(Error::Input("--listen " + listen.address + ": cannot bind (in use, or not a local address)"));

  // SIGINT/SIGTERM stop the listener; requests in flight finish.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    int sig = 0;
    while (!done.load()) {
      timespec ts{0, 200'000'000};
      sig = sigtimedwait(&set, nullptr, &ts);
      if (sig == SIGINT || sig == SIGTERM) break;
    }
    svr.stop();
  });
  if (on_ready) on_ready(host + ":" + std::to_string(bound));
  bool ok = svr.listen_after_bind();
  done = true;
  stopper.join();
  if (!ok) return Fail(Error::Io("the listener stopped unexpectedly"));
  return Ok();
}

}  // namespace tollgate::server
