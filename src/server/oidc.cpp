// OIDC ID tokens of CI systems (GitHub Actions, GitLab CI) as bearer tokens:
// a JWT whose signature verifies against the issuer's JWKS (RS256 or ES256,
// RFC 7515/7518), with iss, aud, exp and nbf checked, its jti used once, and
// its claims mapped to a principal by configuration.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <chrono>
#include <memory>

#include "core/hash.h"
#include "server/internal.h"

namespace tollgate::server {
namespace {

constexpr std::int64_t kSkewSeconds = 60;

std::optional<std::string> B64Url(std::string_view in) {
  std::string s(in);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return std::nullopt;  // not base64url
  }
  while (s.size() % 4 != 0) s += '=';
  auto raw = Base64Decode(s);
  if (!raw) return std::nullopt;
  return std::string(raw->begin(), raw->end());
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr KeyFromFromData(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx != nullptr && params != nullptr && EVP_PKEY_fromdata_init(ctx) == 1)
    (void)EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return PkeyPtr(pkey);
}

// A JWK (RSA or EC P-256) as an OpenSSL public key.
PkeyPtr KeyFromJwk(const Json& jwk) {
  std::string kty = jwk.value("kty", "");
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr) return nullptr;
  PkeyPtr out;
  if (kty == "RSA") {
    auto n = B64Url(jwk.value("n", "")), e = B64Url(jwk.value("e", ""));
    if (n && e && !n->empty() && !e->empty()) {
      BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr);
      BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr);
      if (bn_n && bn_e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
          OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
        out = KeyFromFromData("RSA", bld);
      BN_free(bn_n);
      BN_free(bn_e);
    }
  } else if (kty == "EC" && jwk.value("crv", "") == "P-256") {
    auto x = B64Url(jwk.value("x", "")), y = B64Url(jwk.value("y", ""));
    if (x && y && x->size() == 32 && y->size() == 32) {
      std::string point = "\x04" + *x + *y;
      static const char kGroup[] = "prime256v1";
      if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) == 1 &&
          OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1)
        out = KeyFromFromData("EC", bld);
    }
  }
  OSSL_PARAM_BLD_free(bld);
  return out;
}

// ES256 signatures are r||s (64 bytes); OpenSSL verifies DER.
std::optional<std::string> RawEcdsaToDer(const std::string& raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool VerifySha256(EVP_PKEY* key, const std::string& data, const std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Error Refuse(const std::string& why) { return Error::Input("OIDC token refused: " + why); }

bool AudienceMatches(const Json& aud, const std::string& want) {
  if (aud.is_string()) return aud.get<std::string>() == want;
  if (aud.is_array())
    for (const auto& a : aud)
      if (a.is_string() && a.get<std::string>() == want) return true;
  return false;
}

}  // namespace

Result<Caller> AuthenticateOidc(const std::string& jwt, const std::vector<OidcIssuer>& issuers, StateStore& state,
                                TimePoint now_tp) {
  if (issuers.empty()) return Fail(Error::Input("unknown token (no OIDC issuer is configured)"));
  auto d1 = jwt.find('.');
  auto d2 = d1 == std::string::npos ? std::string::npos : jwt.find('.', d1 + 1);
  if (d2 == std::string::npos || jwt.find('.', d2 + 1) != std::string::npos) return Fail(Refuse("not a JWT"));
  auto header_raw = B64Url(std::string_view(jwt).substr(0, d1));
  auto claims_raw = B64Url(std::string_view(jwt).substr(d1 + 1, d2 - d1 - 1));
  auto sig = B64Url(std::string_view(jwt).substr(d2 + 1));
  if (!header_raw || !claims_raw || !sig) return Fail(Refuse("malformed base64url"));
  auto header = ParseJson(*header_raw, "JWT header");
  auto claims = ParseJson(*claims_raw, "JWT claims");
  if (!header || !header->is_object() || !claims || !claims->is_object()) return Fail(Refuse("malformed JSON"));
  std::string alg = header->value("alg", "");
  if (alg != "RS256" && alg != "ES256") return Fail(Refuse("algorithm '" + alg + "' is not accepted (RS256, ES256)"));
  std::string iss = claims->value("iss", "");
  const OidcIssuer* issuer = nullptr;
  for (const auto& i : issuers)
    if (i.issuer == iss) issuer = &i;
  if (issuer == nullptr) return Fail(Refuse("issuer '" + iss + "' is not configured"));

  auto jwks = ParseJson(issuer->jwks, "JWKS of " + iss);
  if (!jwks || !jwks->is_object() || !jwks->contains("keys") || !(*jwks)["keys"].is_array())
    return Fail(Error::Input("JWKS of " + iss + ": expected {\"keys\": [...]}"));
  std::string kid = header->value("kid", "");
  std::string signing_input = jwt.substr(0, d2);
  std::string der_or_raw = *sig;
  if (alg == "ES256") {
    auto der = RawEcdsaToDer(*sig);
    if (!der) return Fail(Refuse("an ES256 signature is 64 bytes"));
    der_or_raw = *der;
  }
  bool verified = false;
  for (const auto& jwk : (*jwks)["keys"]) {
    if (!jwk.is_object()) continue;
    if (!kid.empty() && jwk.value("kid", "") != kid) continue;
    std::string kty = jwk.value("kty", "");
    if ((alg == "RS256" && kty != "RSA") || (alg == "ES256" && kty != "EC")) continue;
    if (jwk.contains("alg") && jwk.value("alg", "") != alg) continue;
    PkeyPtr key = KeyFromJwk(jwk);
    if (key && VerifySha256(key.get(), signing_input, der_or_raw)) {
      verified = true;
      break;
    }
  }
  if (!verified) return Fail(Refuse("the signature does not verify against the issuer's keys"));

  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(now_tp.time_since_epoch()).count();
  if (!claims->contains("aud") || !AudienceMatches((*claims)["aud"], issuer->audience))
    return Fail(Refuse("audience is not '" + issuer->audience + "'"));
  if (!claims->contains("exp") || !(*claims)["exp"].is_number()) return Fail(Refuse("no exp"));
  auto exp = (*claims)["exp"].get<std::int64_t>();
  if (now >= exp + kSkewSeconds) return Fail(Refuse("expired"));
  if (claims->contains("nbf")) {
    if (!(*claims)["nbf"].is_number()) return Fail(Refuse("malformed nbf"));
    if (now + kSkewSeconds < (*claims)["nbf"].get<std::int64_t>()) return Fail(Refuse("not valid yet"));
  }
  std::string jti = claims->value("jti", "");
  if (jti.empty()) return Fail(Refuse("no jti: a token that cannot be told apart cannot be refused when replayed"));

  for (const auto& m : issuer->mappings) {
    bool all = true;
    for (const auto& [claim, want] : m.claims) {
      auto it = claims->find(claim);
      if (it == claims->end() || !it->is_string() || it->get<std::string>() != want) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    auto first = state.FirstTokenUse(iss + "#" + jti, exp + kSkewSeconds, now);
    if (!first) return Fail(first.error());
    if (!*first) return Fail(Refuse("replayed (its jti was used before)"));
    Principal p;
    p.name = m.principal;
    p.roles = m.roles;
    return Caller{std::move(p), "oidc:" + iss};
  }
  return Fail(Refuse("no mapping of issuer '" + iss + "' matches its claims"));
}

}  // namespace tollgate::server
