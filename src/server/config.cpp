// The server configuration file (docs/server.md#configuration). Paths in it
// resolve against the file's directory; secrets are read from files named in
// it, never written in it.
#include <filesystem>

#include "core/file.h"
#include "core/yaml.h"
#include "ledger/pg.h"
#include "server/server.h"

namespace tollgate::server {
namespace {

namespace fs = std::filesystem;

std::string Resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || p.rfind("postgres", 0) == 0 || fs::path(p).is_absolute()) return p;
  return (base / p).lexically_normal().string();
}

Result<std::string> SecretFrom(const yaml::Reader& r, const YAML::Node& n, const fs::path& base) {
  auto path = r.String(n, "secret_file");
  if (!path) return Fail(path.error());
  auto text = ReadFileBounded(Resolve(base, *path), 64 * 1024, "webhook secret");
  if (!text) return Fail(text.error().WithContext(r.Where(n)));
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return Fail(r.Bad(n, "the webhook secret file is empty"));
  return s;
}

}  // namespace

Result<ServerOptions> LoadServerConfig(const std::string& path) {
  auto text = yaml::ReadFile(path, std::size_t{1} << 20, "server configuration");
  if (!text) return Fail(text.error());
  auto doc = yaml::ParseDocument(*text, path);
  if (!doc) return Fail(doc.error());
  const fs::path base = fs::path(path).parent_path();
  yaml::Reader r(path);
  return yaml::Guarded(path, [&]() -> Result<ServerOptions> {
    const YAML::Node& root = doc->root;
    if (!root.IsMap()) return Fail(Error::Input(path + ": the server configuration is a mapping"));
    TG_TRY(r.OnlyKeys(root, {"version", "ledger", "state", "ledger_key", "services", "webhooks", "oidc", "limits", "admission"},
                      "the server configuration"));
    ServerOptions o;
    if (root["version"]) {
      auto v = r.Int(root["version"], "version");
      if (!v) return Fail(v.error());
      if (*v != 1) return Fail(r.Bad(root["version"], "unsupported version " + std::to_string(*v) + " (1)"));
    }
    for (auto [key, out] : {std::pair{"ledger", &o.ledger}, std::pair{"state", &o.state},
                            std::pair{"ledger_key", &o.ledger_key}}) {
      if (!root[key]) continue;
      auto s = r.String(root[key], key);
      if (!s) return Fail(s.error());
      *out = ledger::pg::IsUrl(*s) ? *s : Resolve(base, *s);  // a postgres:// URL is not a path
    }
    if (const YAML::Node& svcs = root["services"]) {
      if (!svcs.IsSequence()) return Fail(r.Bad(svcs, "'services' must be a list"));
      for (const auto& s : svcs) {
        if (!s.IsMap()) return Fail(r.Bad(s, "a service is a mapping"));
        TG_TRY(r.OnlyKeys(s, {"name", "config", "owner", "slo"}, "a service"));
        ServiceEntry e;
        if (!s["name"]) return Fail(r.Bad(s, "a service needs a 'name'"));
        for (auto [key, out] : {std::pair{"name", &e.name}, std::pair{"config", &e.config}, std::pair{"owner", &e.owner},
                                std::pair{"slo", &e.slo}}) {
          if (!s[key]) continue;
          auto v = r.String(s[key], key);
          if (!v) return Fail(v.error());
          *out = *v;
        }
        e.config = Resolve(base, e.config);
        e.slo = Resolve(base, e.slo);
        for (const auto& other : o.services)
          if (other.name == e.name) return Fail(r.Bad(s["name"], "service '" + e.name + "' is listed twice"));
        o.services.push_back(std::move(e));
      }
    }
    if (const YAML::Node& hooks = root["webhooks"]) {
      if (!hooks.IsMap()) return Fail(r.Bad(hooks, "'webhooks' must be a mapping"));
      TG_TRY(r.OnlyKeys(hooks, {"github", "gitlab", "pagerduty"}, "'webhooks'"));
      for (const auto& kv : hooks) {
        const YAML::Node& h = kv.second;
        if (!h.IsMap()) return Fail(r.Bad(h, "a webhook is a mapping"));
        TG_TRY(r.OnlyKeys(h, {"secret_file", "service"}, "a webhook"));
        WebhookConfig w;
        if (!h["secret_file"]) return Fail(r.Bad(h, "a webhook needs 'secret_file'"));
        auto secret = SecretFrom(r, h["secret_file"], base);
        if (!secret) return Fail(secret.error());
        w.secret = *secret;
        if (h["service"]) {
          auto sv = r.String(h["service"], "service");
          if (!sv) return Fail(sv.error());
          w.service = *sv;
        }
        o.webhooks[kv.first.Scalar()] = std::move(w);
      }
    }
    if (const YAML::Node& issuers = root["oidc"]) {
      if (!issuers.IsSequence()) return Fail(r.Bad(issuers, "'oidc' must be a list of issuers"));
      for (const auto& i : issuers) {
        if (!i.IsMap()) return Fail(r.Bad(i, "an OIDC issuer is a mapping"));
        TG_TRY(r.OnlyKeys(i, {"issuer", "audience", "jwks", "principals"}, "an OIDC issuer"));
        OidcIssuer oi;
        for (const char* key : {"issuer", "audience", "jwks"})
          if (!i[key]) return Fail(r.Bad(i, std::string("an OIDC issuer needs '") + key + "'"));
        auto iss = r.String(i["issuer"], "issuer");
        auto aud = r.String(i["audience"], "audience");
        auto jwks = r.String(i["jwks"], "jwks");
        if (!iss) return Fail(iss.error());
        if (!aud) return Fail(aud.error());
        if (!jwks) return Fail(jwks.error());
        oi.issuer = *iss;
        oi.audience = *aud;
        auto keys = ReadFileBounded(Resolve(base, *jwks), 1 << 20, "JWKS");
        if (!keys) return Fail(keys.error().WithContext(r.Where(i["jwks"])));
        oi.jwks = *keys;
        if (const YAML::Node& maps = i["principals"]) {
          if (!maps.IsSequence()) return Fail(r.Bad(maps, "'principals' must be a list"));
          for (const auto& m : maps) {
            if (!m.IsMap()) return Fail(r.Bad(m, "a mapping of claims to a principal"));
            TG_TRY(r.OnlyKeys(m, {"claims", "principal", "roles"}, "an OIDC principal mapping"));
            OidcMapping om;
            if (!m["principal"] || !m["claims"]) return Fail(r.Bad(m, "a mapping needs 'claims' and 'principal'"));
            auto claims = r.StringMap(m["claims"], "claims");
            auto principal = r.String(m["principal"], "principal");
            if (!claims) return Fail(claims.error());
            if (!principal) return Fail(principal.error());
            if (claims->empty()) return Fail(r.Bad(m["claims"], "'claims' must name at least one claim"));
            om.claims = *claims;
            om.principal = *principal;
            if (m["roles"]) {
              auto roles = r.StringList(m["roles"], "roles");
              if (!roles) return Fail(roles.error());
              om.roles = *roles;
            }
            oi.mappings.push_back(std::move(om));
          }
        }
        o.oidc.push_back(std::move(oi));
      }
    }
    if (const YAML::Node& adm = root["admission"]) {
      if (!adm.IsMap()) return Fail(r.Bad(adm, "'admission' must be a mapping"));
      TG_TRY(r.OnlyKeys(adm, {"templates", "constraints", "inventory", "record"}, "'admission'"));
      for (auto [key, list] : {std::pair{"templates", &o.admission.templates}, std::pair{"constraints", &o.admission.constraints},
                               std::pair{"inventory", &o.admission.inventory}}) {
        if (!adm[key]) continue;
        auto v = r.StringList(adm[key], key);
        if (!v) return Fail(v.error());
        *list = std::move(*v);
      }
      if (adm["templates"].IsDefined() != adm["constraints"].IsDefined())
        return Fail(r.Bad(adm, "'admission' needs both templates and constraints (or neither, for the built-in library)"));
      if (adm["record"]) {
        auto v = r.Bool(adm["record"], "record");
        if (!v) return Fail(v.error());
        o.admission.record = *v;
      }
    }
    if (const YAML::Node& limits = root["limits"]) {
      if (!limits.IsMap()) return Fail(r.Bad(limits, "'limits' must be a mapping"));
      TG_TRY(r.OnlyKeys(limits, {"max_body_bytes", "rate_per_second"}, "'limits'"));
      if (limits["max_body_bytes"]) {
        auto v = r.Int(limits["max_body_bytes"], "max_body_bytes");
        if (!v) return Fail(v.error());
        if (*v < 1024) return Fail(r.Bad(limits["max_body_bytes"], "at least 1024"));
        o.max_body_bytes = static_cast<std::size_t>(*v);
      }
      if (limits["rate_per_second"]) {
        auto v = r.Number(limits["rate_per_second"], "rate_per_second");
        if (!v) return Fail(v.error());
        if (*v < 0) return Fail(r.Bad(limits["rate_per_second"], "must not be negative"));
        o.rate_per_second = *v;
      }
    }
    return o;
  });
}

}  // namespace tollgate::server
