// The OpenAPI 3.1 document, built from the route table so that the document
// and the routes the server answers cannot drift apart.
#include <algorithm>
#include <map>

#include "server/internal.h"

namespace tollgate::server {

const std::vector<std::string>& AllRoles() {
  static const std::vector<std::string> kRoles{"developer", "release-manager", "security", "compliance",
                                               "sre",       "auditor",         "admin"};
  return kRoles;
}

bool KnownRole(const std::string& role) {
  const auto& all = AllRoles();
  return std::find(all.begin(), all.end(), role) != all.end();
}

namespace {

// Query parameters of the routes that take them: name -> description.
const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& QueryParameters() {
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> kParams{
      {"/api/v1/waivers", {{"service", "only waivers that apply to this service"}, {"limit", "the newest N (default 1000)"}}},
      {"/api/v1/approvals", {{"commit", "only approvals of this commit"}, {"limit", "the newest N (default 1000)"}}},
      {"/api/v1/events",
       {{"type", "deploy, incident or change"}, {"service", "only this service"}, {"limit", "the newest N (default 1000)"}}},
      {"/api/v1/reports/dora",
       {{"service", "only this service"},
        {"env", "environment whose deploys count (default prod)"},
        {"window", "the window ending now, e.g. 90d (default)"},
        {"from", "window start (RFC 3339 or a date), with to"},
        {"to", "window end (exclusive), with from"},
        {"by", "week or month: also per period"}}},
      {"/api/v1/reports/slo", {{"service", "only this service"}}},
      {"/api/v1/ledger/proof/inclusion", {{"index", "entry index (required)"}, {"size", "tree size (default: current)"}}},
      {"/api/v1/ledger/proof/consistency", {{"from", "older tree size (required)"}, {"to", "newer tree size (default: current)"}}},
      {"/api/v1/gate-runs",
       {{"id", "one gate run: the ledger index of its gate.overall entry"},
        {"service", "without id: only this service's runs"},
        {"limit", "without id: the newest N (default 20, at most 500)"}}},
      {"/api/v1/waiver-requests",
       {{"status", "pending (default), approved, rejected or all"}, {"service", "only this service"},
        {"limit", "the newest N (default 1000)"}}},
      {"/api/v1/ledger/entries",
       {{"type", "only this entry type"},
        {"service", "only entries of this service"},
        {"from", "entries at or after this time (RFC 3339 or a date)"},
        {"to", "entries before this time"},
        {"after", "entries after this ledger index (the previous page's next_after)"},
        {"limit", "at most N entries (default 50, at most 500)"}}},
  };
  return kParams;
}

Json ErrorResponse(const std::string& what) {
  return Json{{"description", what},
              {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

Json BuildOpenApi(const std::vector<Route>& routes, const std::string& version) {
  Json paths = Json::object();
  for (const auto& r : routes) {
    std::string method = r.method;
    std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    Json op{{"summary", r.summary}, {"tags", {r.tag}}, {"operationId", method + r.path}};
    bool authed = r.access == Access::kRead || r.access == Access::kWrite;
    if (authed) {
      op["security"] = Json::array({Json{{"bearer", Json::array()}}});
      std::string roles;
      for (const auto& role : r.roles) roles += (roles.empty() ? "" : ", ") + role;
      op["description"] = "Roles: " + roles + ".";
    } else if (r.access == Access::kWebhook) {
      op["description"] = "Authenticated by the provider's signature; refused (401) when no secret is configured.";
    } else if (r.access == Access::kAdmission) {
      op["description"] = "Served over HTTPS only; answers an AdmissionReview v1.";
    }
    if (auto q = QueryParameters().find(r.path); q != QueryParameters().end()) {
      Json params = Json::array();
      for (const auto& [name, desc] : q->second)
        params.push_back(Json{{"name", name}, {"in", "query"}, {"description", desc}, {"schema", {{"type", "string"}}}});
      op["parameters"] = params;
    }
    if (r.method == "POST" && r.access != Access::kRead) {  // a read by POST (ledger verify) takes no body
      std::string type = r.path == "/api/v1/events" || r.path.rfind("/webhooks/", 0) == 0 ? "application/x-ndjson"
                                                                                          : "application/json";
      op["requestBody"] = {{"required", true}, {"content", {{type, {{"schema", {{"type", r.path == "/api/v1/events" ? "string" : "object"}}}}}}}};
    }
    Json responses = Json::object();
    bool creates = r.method == "POST" && r.access == Access::kWrite;
    responses[creates ? "201" : "200"] = {{"description", "OK"}};
    if (r.method == "POST") responses["400"] = ErrorResponse("bad input; nothing was recorded");
    if (authed) {
      responses["401"] = ErrorResponse("no, unknown, expired or revoked credentials");
      responses["403"] = ErrorResponse("the principal holds none of the route's roles");
      responses["429"] = ErrorResponse("rate limit of the principal exceeded");
    }
    if (r.access == Access::kWebhook) responses["401"] = ErrorResponse("missing or bad signature");
    responses["503"] = ErrorResponse("the ledger does not verify or cannot be reached");
    op["responses"] = responses;
    paths[r.path][method] = op;
  }
  return Json{{"openapi", "3.1.0"},
              {"info",
               {{"title", "Tollgate"},
                {"version", version},
                {"description", "Security gates, delivery evidence and the verifiable ledger (docs/server.md)."}}},
              {"paths", paths},
              {"components",
               {{"securitySchemes",
                 {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"description", "An API token (tg_...) or an OIDC ID token"}}}}},
                {"schemas",
                 {{"Error", {{"type", "object"}, {"properties", {{"error", {{"type", "string"}}}}}, {"required", {"error"}}}}}}}}};
}

}  // namespace tollgate::server
