// `tollgate serve`: the platform service. One HTTP API (docs/server.md,
// /api/v1/openapi.json) over the same library calls the CLI makes: gate runs
// decided with the organisation's waivers and approvals, delivery events and
// webhooks, DORA and SLO reports, the ledger and its proofs, principals with
// roles and tokens.
//
// The service is transport-independent: Handle() takes a parsed request and
// returns the response, so tests need no sockets; Serve() puts it behind an
// HTTP listener.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace tollgate::server {

struct HttpRequest {
  std::string method;                          // GET, POST, ...
  std::string path;                            // "/api/v1/ledger/head", without the query
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string remote;  // peer address, for logs and rate limits
  bool tls = false;    // the connection is TLS
  std::string Header(const std::string& lowercase_name) const;
  std::string Query(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A webhook route's configuration.
struct WebhookConfig {
  std::string secret;   // the shared secret; empty: every delivery is refused
  std::string service;  // record events under this service (else the payload's repository name)
};

// An OpenID Connect issuer whose ID tokens are accepted as bearer tokens
// (GitHub Actions, GitLab CI).
struct OidcMapping {
  std::map<std::string, std::string> claims;  // every claim must equal the value ("repository": "org/app")
  std::string principal;                      // the principal the token acts as
  std::vector<std::string> roles;
};
struct OidcIssuer {
  std::string issuer;    // the "iss" claim
  std::string audience;  // the "aud" claim must contain it
  std::string jwks;      // JWKS file content (RS256 and ES256 keys)
  std::vector<OidcMapping> mappings;
};

struct ServiceEntry {
  std::string name;
  std::string config;  // path of its tollgate.yaml: thresholds and bypass roles the server applies
  std::string owner;
  std::string slo;     // path of its SLO spec (with its SLI data source), for /api/v1/reports/slo
};

struct ServerOptions {
  std::string ledger = ".tollgate/ledger.db";  // the ledger location (a path or postgres:// URL)
  std::string state;           // principals, tokens, deliveries; default: beside a SQLite ledger L.db, L.server.db
  std::string ledger_key;      // checkpoint signing key file; empty: unsigned batches
  std::vector<ServiceEntry> services;
  std::map<std::string, WebhookConfig> webhooks;  // "github", "gitlab", "pagerduty"
  std::vector<OidcIssuer> oidc;
  // Kubernetes admission (POST /admission/validate): Gatekeeper templates
  // and constraints (files or directories; both empty: the built-in
  // library), manifests whose Namespaces (and objects, for referential
  // templates) the reviews may consult, and whether each decision is
  // recorded in the ledger (docs/admission.md).
  struct Admission {
    std::vector<std::string> templates;
    std::vector<std::string> constraints;
    std::vector<std::string> inventory;
    bool record = true;
  } admission;
  std::size_t max_body_bytes = std::size_t{16} << 20;
  double rate_per_second = 50;  // per principal, with a burst of 10x
  std::string version = "dev";
};

// Reads a server configuration file (docs/server.md#configuration).
Result<ServerOptions> LoadServerConfig(const std::string& path);

class Service {
 public:
  // Opens the ledger and the state store. When the state store has no
  // principal yet, creates the admin principal and a token for it, returned
  // once by TakeBootstrapToken().
  static Result<std::unique_ptr<Service>> Open(const ServerOptions& options, const Clock& clock);
  virtual ~Service() = default;

  virtual HttpResponse Handle(const HttpRequest& request) = 0;
  // The admin token created on first start; empty afterwards.
  virtual std::string TakeBootstrapToken() = 0;
  // The OpenAPI 3.1 document of every route.
  virtual const std::string& OpenApi() const = 0;
};

struct ListenOptions {
  std::string address = "127.0.0.1:8080";
  std::string tls_cert;  // PEM; with tls_key, the listener speaks HTTPS
  std::string tls_key;
  int threads = 64;  // a keep-alive connection holds a thread while it is open
  int read_timeout_seconds = 10;  // header and body (slow clients are cut off)
  int write_timeout_seconds = 10;
};

// Serves until SIGINT/SIGTERM. `on_ready` is called with the bound address.
Status Serve(Service& service, const ListenOptions& listen, const std::function<void(const std::string&)>& on_ready,
             std::size_t max_body_bytes);

}  // namespace tollgate::server
