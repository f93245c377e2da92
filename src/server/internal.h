// Pieces of the service shared between its files. Private to src/server.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "core/time.h"
#include "server/server.h"
#include "server/state.h"

namespace tollgate::server {

// Who is calling, once authenticated.
struct Caller {
  Principal principal;
  std::string method;  // "token" or "oidc:<issuer>"
};

enum class Access {
  kPublic,     // no credentials (health, metrics, the OpenAPI document)
  kRead,       // a principal holding one of the route's roles
  kWrite,      // likewise; the request changes state and is recorded with its principal
  kWebhook,    // authenticated by the provider's signature
  kAdmission,  // Kubernetes' API server, over HTTPS
};

using Handler = std::function<HttpResponse(const HttpRequest&, const Caller&)>;

struct Route {
  std::string method;
  std::string path;
  Access access;
  std::vector<std::string> roles;  // who may call it (kRead, kWrite)
  std::string summary;
  std::string tag;
  Handler handler;
};

// developer, release-manager, security, compliance, sre, auditor, admin: the
// names the gates' `bypass:` lists use.
const std::vector<std::string>& AllRoles();
bool KnownRole(const std::string& role);

// The OpenAPI 3.1 document of the routes.
Json BuildOpenApi(const std::vector<Route>& routes, const std::string& version);

// An OIDC ID token (a JWT) from one of `issuers`: signature (RS256, ES256)
// against the issuer's JWKS, iss, aud, exp, nbf, a jti never seen before,
// and a mapping of its claims to a principal and roles.
Result<Caller> AuthenticateOidc(const std::string& jwt, const std::vector<OidcIssuer>& issuers, StateStore& state,
                                TimePoint now);


}  // namespace tollgate::server
