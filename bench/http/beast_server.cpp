// Boost.Beast/Asio (Debian's libboost-dev 1.74) side of the HTTP-layer comparison (bench/http/README.md).
// Asynchronous, keep-alive, N io_context threads (--threads, default 1), request body limit (--max-body), one
// deadline for an idle connection plus the request header and one for the body (--timeout). POST /events is
// parsed and committed on a small pool (--blocking, default 2) so that the event loop keeps serving during the
// fsync; the commits themselves are serialised by the App's database mutex.
// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it (GCC 12, C++20)
// clang-format on

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "app.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

struct Context {
  httpbench::App& app;
  net::thread_pool& blocking;  // for work that waits on the disk
  std::size_t max_body;
  std::chrono::seconds timeout;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Context& ctx) : stream_(std::move(socket)), ctx_(ctx) {}

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(ctx_.max_body);
    stream_.expires_after(ctx_.timeout);  // idle keep-alive connection + request line and headers
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_error(ec);
    stream_.expires_after(ctx_.timeout);  // the body
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_error(beast::error_code ec) {
    if (ec == http::error::body_limit) return send(413, R"({"error":"body too large"})", false);
    if (ec == http::error::header_limit) return send(431, R"({"error":"header too large"})", false);
    bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (parse_error) return send(400, R"({"error":"bad request"})", false);
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);  // timeout, reset or end of stream
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_error(ec);
    auto& req = parser_->get();
    bool keep = req.keep_alive();
    beast::string_view target = req.target();
    if (req.method() == http::verb::get && target == "/static") return send(200, ctx_.app.static_body(), keep);
    if (req.method() == http::verb::get && target == "/report") return send(200, ctx_.app.report(), keep);
    if (req.method() == http::verb::post && target == "/admission") {
      httpbench::Reply r = ctx_.app.admission(req.body());
      return send(r.status, std::move(r.body), keep);
    }
    if (req.method() == http::verb::post && target == "/events") {
      net::post(ctx_.blocking, [self = shared_from_this(), body = std::move(req.body()), keep] {
        httpbench::Reply r = self->ctx_.app.events(body);
        net::post(self->stream_.get_executor(),
                  [self, r = std::move(r), keep]() mutable { self->send(r.status, std::move(r.body), keep); });
      });
      return;
    }
    send(404, R"({"error":"no such route"})", keep);
  }

  void send(int status, std::string body, bool keep) {
    res_.emplace(static_cast<http::status>(status), 11);
    res_->set(http::field::content_type, "application/json");
    res_->keep_alive(keep);
    res_->body() = std::move(body);
    res_->prepare_payload();
    stream_.expires_after(ctx_.timeout);
    http::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, shared_from_this(), keep));
  }

  void on_write(bool keep, beast::error_code ec, std::size_t) {
    if (ec) return;
    if (!keep) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    read_header();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Context& ctx_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::endpoint ep, Context& ctx)
      : ioc_(ioc), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()), ctx_(ctx) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), ctx_)->start();
    } else if (ec == net::error::no_descriptors) {  // EMFILE: back off instead of spinning
      retry_.expires_after(std::chrono::milliseconds(50));
      retry_.async_wait([self = shared_from_this()](beast::error_code) { self->accept(); });
      return;
    }
    accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  Context& ctx_;
};

}  // namespace

int main(int argc, char** argv) {
  httpbench::Options opt;
  opt.threads = 1;
  if (!httpbench::parse_options(argc, argv, opt)) return 2;
  if (opt.threads < 1) opt.threads = 1;
  httpbench::App app(opt.db);
  net::thread_pool blocking(static_cast<std::size_t>(opt.blocking < 1 ? 1 : opt.blocking));
  Context ctx{app, blocking, opt.max_body, std::chrono::seconds(opt.timeout_s)};

  net::io_context ioc(opt.threads);
  std::make_shared<Listener>(
      ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(opt.port)), ctx)
      ->accept();
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
  std::fprintf(stderr, "beast_server: 127.0.0.1:%d, %d io thread(s), %d blocking, max body %zu, timeout %ds\n",
               opt.port, opt.threads, opt.blocking, opt.max_body, opt.timeout_s);

  std::vector<std::thread> threads;
  for (int i = 1; i < opt.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  blocking.join();
  std::printf("acked_events=%llu stored_events=%lld peak_rss_kib=%ld\n",
              static_cast<unsigned long long>(app.acked_events()), static_cast<long long>(app.stored_events()),
              httpbench::peak_rss_kib());
  return 0;
}
