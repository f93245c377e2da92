// tollgate serve: the platform service (docs/server.md).
#include <iostream>

#include "cli/cli.h"
#include "server/server.h"

namespace tollgate::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  std::string ledger;
  std::string config;
  std::string state;
  std::string key;
  std::string tls_cert;
  std::string tls_key;
  int threads = 64;
  std::vector<std::string> services;  // NAME=PATH/tollgate.yaml
};

int RunServe(const ServeArgs& a, const Clock& clock) {
  server::ServerOptions opts;
  if (!a.config.empty()) {
    auto c = server::LoadServerConfig(a.config);
    if (!c) return Report(c.error());
    opts = std::move(*c);
  }
  if (!a.ledger.empty() || opts.ledger.empty() || a.config.empty()) opts.ledger = LedgerLocation(a.ledger);
  if (!a.state.empty()) opts.state = a.state;
  if (!LedgerKeyPath(a.key).empty()) opts.ledger_key = LedgerKeyPath(a.key);
  for (const auto& s : a.services) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) return Report(Error::Input("--service " + s + ": expected NAME=PATH/tollgate.yaml"));
    opts.services.push_back(server::ServiceEntry{s.substr(0, eq), s.substr(eq + 1), "", ""});
  }
  opts.version = kVersion;
  auto service = server::Service::Open(opts, clock);
  if (!service) return Report(service.error());
  if (std::string token = (*service)->TakeBootstrapToken(); !token.empty())
    std::cout << "admin token: " << token << std::endl;  // shown once: the store keeps only its hash
  server::ListenOptions listen;
  listen.address = a.listen;
  listen.tls_cert = a.tls_cert;
  listen.tls_key = a.tls_key;
  listen.threads = a.threads;
  const bool tls = !a.tls_cert.empty();
  auto served = server::Serve(
      **service, listen,
      [tls](const std::string& where) {
        std::string url = (tls ? "https://" : "http://") + where;
        std::cout << "listening on " << url << "\nportal: " << url << "/ (sign in with an API token)" << std::endl;
      },
      opts.max_body_bytes);
  if (!served) return Report(served.error());
  return 0;
}

}  // namespace

void RegisterServe(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ServeArgs>();
  auto* s = app.add_subcommand("serve", "Run the platform service: HTTP API, webhooks, admission, metrics (docs/server.md)");
  s->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  s->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  s->add_option("--config", a->config, "Server configuration file (services, webhooks, OIDC, limits)");
  s->add_option("--state", a->state, "Principals, tokens and webhook deliveries (default: LEDGER.server.db beside a SQLite ledger)");
  s->add_option("--key", a->key, "Sign a ledger checkpoint per batch with this key (default $TOLLGATE_LEDGER_KEY)");
  s->add_option("--tls-cert", a->tls_cert, "PEM certificate: serve HTTPS (required for /admission/validate)");
  s->add_option("--tls-key", a->tls_key, "PEM private key of --tls-cert");
  s->add_option("--threads", a->threads,
                "Worker threads: at least the number of connections served at once (an open keep-alive connection "
                "holds one)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  s->add_option("--service", a->services, "Register a service: NAME=PATH/tollgate.yaml (repeatable)");
  const Clock& clock = ctx.clock;
  s->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunServe(*a, clock); }; });
}

}  // namespace tollgate::cli
