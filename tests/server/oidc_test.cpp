// OIDC ID tokens as bearer tokens: tokens signed here with OpenSSL (ES256
// and RS256, as GitHub Actions and GitLab CI sign theirs), presented to the
// service, accepted only when every check of docs/server.md#oidc holds.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "server/server.h"
#include "support/temp_dir.h"

namespace tollgate::server {
namespace {

using tollgate::testing::TempDir;

std::string B64Url(const std::string& raw) {
  std::string b = Base64Encode(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
  for (char& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::string BnBytes(const BIGNUM* bn, int width = 0) {
  int n = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(n), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

// A signing key and its JWK.
struct Key {
  EVP_PKEY* pkey = nullptr;
  std::string alg;
  Json jwk;
  explicit Key(const std::string& algorithm) : alg(algorithm) {
    if (alg == "ES256") {
      pkey = EVP_EC_gen("P-256");
      BIGNUM *x = nullptr, *y = nullptr;
      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x);
      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
      jwk = Json{{"kty", "EC"}, {"crv", "P-256"}, {"kid", "k-es"}, {"x", B64Url(BnBytes(x, 32))}, {"y", B64Url(BnBytes(y, 32))}};
      BN_free(x);
      BN_free(y);
    } else {
      pkey = EVP_RSA_gen(2048);
      BIGNUM *n = nullptr, *e = nullptr;
      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
      jwk = Json{{"kty", "RSA"}, {"kid", "k-rs"}, {"alg", "RS256"}, {"n", B64Url(BnBytes(n))}, {"e", B64Url(BnBytes(e))}};
      BN_free(n);
      BN_free(e);
    }
  }
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;

  std::string Sign(const Json& claims, const std::string& header_alg = "") const {
    Json header{{"alg", header_alg.empty() ? alg : header_alg}, {"typ", "JWT"}, {"kid", jwk["kid"]}};
    std::string input = B64Url(header.dump()) + "." + B64Url(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    if (alg == "ES256") {  // DER -> r||s, as JWS wants it
      const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
      ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
      sig = BnBytes(ECDSA_SIG_get0_r(es), 32) + BnBytes(ECDSA_SIG_get0_s(es), 32);
      ECDSA_SIG_free(es);
    }
    return input + "." + B64Url(sig);
  }
};

constexpr std::int64_t kNow = 1'781'481'600;  // 2026-06-15T00:00:00Z

struct Oidc {
  TempDir dir;
  FixedClock clock{*ParseRfc3339("2026-06-15T00:00:00Z")};
  Key es{"ES256"}, rs{"RS256"};
  std::unique_ptr<Service> svc;
  Oidc() {
    ServerOptions o;
    o.ledger = dir / "ledger.db";
    o.state = dir / "server.db";
    OidcIssuer gh;
    gh.issuer = "https://token.actions.githubusercontent.com";
    gh.audience = "tollgate";
    gh.jwks = Json{{"keys", {es.jwk, rs.jwk}}}.dump();
    gh.mappings.push_back(OidcMapping{{{"repository", "acme/payments-api"}, {"ref", "refs/heads/main"}},
                                      "ci-payments-main",
                                      {"developer", "release-manager"}});
    o.oidc.push_back(gh);
    auto s = Service::Open(o, clock);
    EXPECT_TRUE(s.has_value()) << s.error().message();
    svc = std::move(*s);
  }
  static Json Claims(const std::string& jti) {
    return Json{{"iss", "https://token.actions.githubusercontent.com"},
                {"aud", "tollgate"},
                {"exp", kNow + 300},
                {"nbf", kNow - 10},
                {"iat", kNow - 10},
                {"jti", jti},
                {"repository", "acme/payments-api"},
                {"ref", "refs/heads/main"}};
  }
  HttpResponse WhoAmI(const std::string& jwt) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/api/v1/whoami";
    r.headers["authorization"] = "Bearer " + jwt;
    return svc->Handle(r);
  }
};

TEST(Oidc, ValidTokensOfBothAlgorithmsActAsTheMappedPrincipal) {
  Oidc o;
  auto a = o.WhoAmI(o.es.Sign(Oidc::Claims("j1")));
  ASSERT_EQ(a.status, 200) << a.body;
  auto j = ParseJson(a.body, "r");
  EXPECT_EQ((*j)["name"], "ci-payments-main");
  EXPECT_EQ((*j)["roles"], Json({"developer", "release-manager"}));
  EXPECT_EQ(o.WhoAmI(o.rs.Sign(Oidc::Claims("j2"))).status, 200);
}

TEST(Oidc, EveryCheckRefuses) {
  Oidc o;
  auto refused = [&](Json claims, const std::string& why) {
    auto r = o.WhoAmI(o.es.Sign(claims));
    EXPECT_EQ(r.status, 401) << why << ": " << r.body;
  };
  Json c = Oidc::Claims("a1");
  c["aud"] = "someone-else";
  refused(c, "audience");
  c = Oidc::Claims("a2");
  c["exp"] = kNow - 3600;
  refused(c, "expired");
  c = Oidc::Claims("a3");
  c["nbf"] = kNow + 3600;
  refused(c, "not yet valid");
  c = Oidc::Claims("a4");
  c["iss"] = "https://gitlab.example";
  refused(c, "unknown issuer");
  c = Oidc::Claims("a5");
  c["ref"] = "refs/heads/feature";
  refused(c, "no mapping matches");
  c = Oidc::Claims("");
  c.erase("jti");
  refused(c, "no jti");
  // Replayed: the same token twice.
  std::string once = o.es.Sign(Oidc::Claims("a6"));
  EXPECT_EQ(o.WhoAmI(once).status, 200);
  EXPECT_EQ(o.WhoAmI(once).status, 401);
  // Tampered claims, a foreign key, an algorithm the service does not take.
  std::string good = o.es.Sign(Oidc::Claims("a7"));
  auto dot1 = good.find('.');
  auto dot2 = good.find('.', dot1 + 1);
  Json evil = Oidc::Claims("a7");
  evil["repository"] = "acme/payments-api";
  evil["roles"] = {"admin"};
  std::string forged = good.substr(0, dot1 + 1) + B64Url(evil.dump()) + good.substr(dot2);
  EXPECT_EQ(o.WhoAmI(forged).status, 401);
  Key stranger("ES256");
  EXPECT_EQ(o.WhoAmI(stranger.Sign(Oidc::Claims("a8"))).status, 401);
  std::string none = B64Url(R"({"alg":"none"})") + "." + B64Url(Oidc::Claims("a9").dump()) + ".";
  EXPECT_EQ(o.WhoAmI(none).status, 401);
  EXPECT_EQ(o.WhoAmI("not.a.jwt.at.all").status, 401);
}

}  // namespace
}  // namespace tollgate::server
