// Built-ins: io.jwt.* (decode, verify, decode_verify, encode_sign) with
// OpenSSL: HS/RS/PS/ES 256-512 and EdDSA; keys as PEM certificates, PEM
// public keys, JWK or JWK sets.
#include <cstring>
#include <memory>
#include <optional>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "rego/documents.h"
#include "rego/internal.h"

namespace tollgate::rego {

bool B64Decode(const std::string& in, bool url, bool lenient, std::string* out);
std::string Base64UrlEncodeNoPad(const std::string& in);

namespace {

using Args = std::vector<Value>;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// JSON as Go's decoder reads it (duplicate keys allowed, the last wins).
std::optional<Value> LenientJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return FromJson(j);
}

struct Token {
  std::string outer_signed, outer_signature;  // a nested token's enclosing signature
  Value outer_header;
  std::string header_b64, payload_b64, sig_b64;
  std::string header_json, payload_json, signature;
  Value header, payload;
};

Token DecodeToken(const char* fn, const std::string& jwt) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = jwt.find('.', start);
    parts.push_back(jwt.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() == 1) ThrowBuiltinError(std::string(fn) + ": encoded JWT had no period separators");
  if (parts.size() == 5) ThrowBuiltinError(std::string(fn) + ": JWT is a JWE object, which is not supported");
  if (parts.size() != 3) ThrowBuiltinError(std::string(fn) + ": encoded JWT must have 3 sections, found " + std::to_string(parts.size()));
  Token t;
  t.header_b64 = parts[0];
  t.payload_b64 = parts[1];
  t.sig_b64 = parts[2];
  auto dec = [&](const std::string& in, const char* what, std::string* out) {
    if (!B64Decode(in, true, true, out)) {
      // Report the first offending byte as Go does.
      std::size_t bad = 0;
      for (; bad < in.size(); ++bad) {
        char c = in[bad];
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) break;
      }
      ThrowBuiltinError(std::string(fn) + ": JWT " + what + " had invalid encoding: illegal base64 data at input byte " + std::to_string(bad));
    }
  };
  dec(parts[0], "header", &t.header_json);
  dec(parts[1], "payload", &t.payload_json);
  dec(parts[2], "signature", &t.signature);
  auto h = LenientJson(t.header_json);
  if (!h || !h->is_object()) ThrowBuiltinError(std::string(fn) + ": JWT header had invalid encoding: not a JSON object");
  t.header = *h;
  if (t.header.Get("enc")) ThrowBuiltinError(std::string(fn) + ": JWT is a JWE object, which is not supported");
  const Value* cty = t.header.Get("cty");
  if (cty && cty->is_string() && cty->as_string() == "JWT") {
    // A nested token: the payload is another JWT (possibly as a JSON
    // string); decode that one.
    auto quoted = LenientJson(t.payload_json);
    Token inner = DecodeToken(fn, quoted && quoted->is_string() ? quoted->as_string() : t.payload_json);
    inner.outer_signed = t.header_b64 + "." + t.payload_b64;
    inner.outer_signature = t.signature;
    inner.outer_header = t.header;
    return inner;
  }
  auto p = LenientJson(t.payload_json);
  const Value* typ = t.header.Get("typ");
  if (!p) {
    if (typ && typ->is_string() && typ->as_string() == "JWT") ThrowBuiltinError(std::string(fn) + ": type is JWT but payload is not JSON");
    t.payload = Value::String(t.payload_json);
  } else {
    t.payload = *p;
  }
  return t;
}

std::string HexOf(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

const EVP_MD* DigestFor(const std::string& alg) {
  std::string bits = alg.size() >= 3 ? alg.substr(alg.size() - 3) : "";
  if (bits == "256") return EVP_sha256();
  if (bits == "384") return EVP_sha384();
  if (bits == "512") return EVP_sha512();
  return nullptr;
}

BIGNUM* B64Bn(const Value* v) {
  std::string raw;
  if (!v || !v->is_string() || !B64Decode(v->as_string(), true, true, &raw)) return nullptr;
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()), nullptr);
}

// A key from one JWK object (public or private).
Pkey KeyFromJwk(const Value& jwk, std::string* secret) {
  const Value* kty = jwk.Get("kty");
  if (!kty || !kty->is_string()) return nullptr;
  const std::string& type = kty->as_string();
  if (type == "oct") {
    std::string raw;
    const Value* k = jwk.Get("k");
    if (k && k->is_string() && B64Decode(k->as_string(), true, true, &raw) && secret) *secret = raw;
    return nullptr;
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::vector<BIGNUM*> bns;
  const char* name = nullptr;
  bool priv = jwk.Get("d") != nullptr;
  // The builder keeps pointers to these until OSSL_PARAM_BLD_to_param.
  std::string pub_point;
  std::string group;
  if (type == "RSA") {
    name = "RSA";
    const char* keys[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    const char* params[] = {OSSL_PKEY_PARAM_RSA_N,        OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_D,
                            OSSL_PKEY_PARAM_RSA_FACTOR1,  OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                            OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    for (int i = 0; i < 8; ++i) {
      BIGNUM* bn = B64Bn(jwk.Get(keys[i]));
      if (!bn) continue;
      bns.push_back(bn);
      OSSL_PARAM_BLD_push_BN(bld, params[i], bn);
    }
  } else if (type == "EC") {
    name = "EC";
    const Value* crv = jwk.Get("crv");
    group = !crv || !crv->is_string() ? "" : crv->as_string() == "P-256" ? "prime256v1"
                      : crv->as_string() == "P-384" ? "secp384r1" : crv->as_string() == "P-521" ? "secp521r1" : "";
    if (group.empty()) {
      OSSL_PARAM_BLD_free(bld);
      return nullptr;
    }
    std::string x, y;
    const Value* xv = jwk.Get("x");
    const Value* yv = jwk.Get("y");
    if (!xv || !yv || !xv->is_string() || !yv->is_string() || !B64Decode(xv->as_string(), true, true, &x) ||
        !B64Decode(yv->as_string(), true, true, &y)) {
      OSSL_PARAM_BLD_free(bld);
      return nullptr;
    }
    pub_point = std::string(1, '\x04') + x + y;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub_point.data(), pub_point.size());
    if (BIGNUM* d = B64Bn(jwk.Get("d"))) {
      bns.push_back(d);
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
    }
  } else if (type == "OKP") {
    OSSL_PARAM_BLD_free(bld);
    std::string raw;
    const Value* d = jwk.Get("d");
    if (d && d->is_string() && B64Decode(d->as_string(), true, true, &raw))
      return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
    const Value* x = jwk.Get("x");
    if (!x || !x->is_string() || !B64Decode(x->as_string(), true, true, &raw)) return nullptr;
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  } else {
    OSSL_PARAM_BLD_free(bld);
    return nullptr;
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
    EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  for (BIGNUM* bn : bns) BN_free(bn);
  return Pkey(pkey);
}

// Public keys from a PEM certificate, a PEM public key, a JWK or a JWK set.
std::vector<Pkey> LoadKeys(const char* fn, const std::string& text) {
  std::vector<Pkey> out;
  if (text.rfind("-----BEGIN CERTIFICATE-----", 0) == 0) {
    auto end_marker = text.find("-----END CERTIFICATE-----");
    if (end_marker != std::string::npos) {
      std::string rest = text.substr(end_marker + 25);
      if (rest.find_first_not_of(" \t\r\n") != std::string::npos)
        ThrowBuiltinError(std::string(fn) + ": extra data after a PEM certificate block");
    }
    // The PEM block first, then the certificate inside it.
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long len = 0;
    int ok = PEM_read_bio(bio, &name, &header, &der, &len);
    BIO_free(bio);
    if (!ok) ThrowBuiltinError(std::string(fn) + ": failed to parse a PEM certificate");
    const unsigned char* p = der;
    X509* cert = d2i_X509(nullptr, &p, len);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    if (!cert) ThrowBuiltinError(std::string(fn) + ": failed to parse a PEM certificate");
    EVP_PKEY* k = X509_get_pubkey(cert);
    X509_free(cert);
    if (!k) ThrowBuiltinError(std::string(fn) + ": failed to extract a Key from the PEM certificate");
    out.emplace_back(k);
    return out;
  }
  if (text.rfind("-----BEGIN", 0) == 0) {
    BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
    EVP_PKEY* k = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!k) ThrowBuiltinError(std::string(fn) + ": failed to extract a Key from the PEM certificate");
    out.emplace_back(k);
    return out;
  }
  auto j = ParseJsonValue(text, "jwk");
  if (!j || !j->is_object()) ThrowBuiltinError(std::string(fn) + ": failed to parse a JWK key (set)");
  if (const Value* keys = j->Get("keys")) {
    if (keys->is_array())
      for (const auto& k : keys->items())
        if (auto p = KeyFromJwk(k, nullptr)) out.push_back(std::move(p));
  } else if (auto p = KeyFromJwk(*j, nullptr)) {
    out.push_back(std::move(p));
  }
  if (out.empty()) ThrowBuiltinError(std::string(fn) + ": failed to parse a JWK key (set)");
  return out;
}

// Raw r||s ECDSA signatures to DER and back.
std::string EcRawToDer(const std::string& raw) {
  std::size_t n = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(n), nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + n), static_cast<int>(n), nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)) : "";
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}
std::string EcDerToRaw(const std::string& der, std::size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return "";
  std::string out(2 * n, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data() + n), static_cast<int>(n));
  ECDSA_SIG_free(sig);
  return out;
}

bool VerifyWithKey(const std::string& alg, EVP_PKEY* key, const std::string& data, const std::string& sig) {
  const EVP_MD* md = alg == "EdDSA" ? nullptr : DigestFor(alg);
  std::string s = sig;
  int id = EVP_PKEY_get_base_id(key);
  if (alg[0] == 'E' && alg != "EdDSA") {
    if (id != EVP_PKEY_EC) return false;
    s = EcRawToDer(sig);
  } else if (alg[0] == 'R' || alg[0] == 'P') {
    if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS) return false;
  } else if (alg == "EdDSA" && id != EVP_PKEY_ED25519) {
    return false;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key) == 1;
  if (ok && alg[0] == 'P') {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO);
  }
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                              reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string HmacRaw(const std::string& alg, const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(DigestFor(alg), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

bool KnownAlg(const std::string& alg) {
  static const char* const kAlgs[] = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
                                      "PS512", "ES256", "ES384", "ES512", "EdDSA"};
  for (const char* a : kAlgs)
    if (alg == a) return true;
  return false;
}

bool VerifyToken(const char* fn, const Token& t, const std::string& alg, const std::string& key_text, bool is_secret) {
  if (!t.outer_signed.empty()) {
    Token outer = t;
    outer.outer_signed.clear();
    std::string::size_type dot = t.outer_signed.find('.');
    outer.header_b64 = t.outer_signed.substr(0, dot);
    outer.payload_b64 = t.outer_signed.substr(dot + 1);
    outer.signature = t.outer_signature;
    if (!VerifyToken(fn, outer, alg, key_text, is_secret)) return false;
  }
  std::string data = t.header_b64 + "." + t.payload_b64;
  if (alg.rfind("HS", 0) == 0) {
    if (!is_secret) return false;
    std::string mac = HmacRaw(alg, key_text, data);
    return mac.size() == t.signature.size() && CRYPTO_memcmp(mac.data(), t.signature.data(), mac.size()) == 0;
  }
  if (is_secret) return false;
  for (const auto& k : LoadKeys(fn, key_text))
    if (VerifyWithKey(alg, k.get(), data, t.signature)) return true;
  return false;
}

template <int Kind>
Value VerifyB(const Args& a, BuiltinContext&) {
  static const char* const kAlgs[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
                                      "ES384", "ES512", "HS256", "HS384", "HS512", "EdDSA"};
  std::string alg = kAlgs[Kind];
  std::string fn = "io.jwt.verify_" + std::string(Kind == 12 ? "eddsa" : "") + (Kind == 12 ? "" : [&] {
    std::string l = alg;
    for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l;
  }());
  const std::string& jwt = ArgString(fn, a, 0);
  const std::string& key = ArgString(fn, a, 1);
  Token t = DecodeToken(fn.c_str(), jwt);
  return Value::Bool(VerifyToken(fn.c_str(), t, alg, key, Kind >= 9 && Kind <= 11));
}

Value Decode(const Args& a, BuiltinContext&) {
  Token t = DecodeToken("io.jwt.decode", ArgString("io.jwt.decode", a, 0));
  return Value::MakeArray({t.header, t.payload, Value::String(HexOf(t.signature))});
}

Value DecodeVerify(const Args& a, BuiltinContext& ctx) {
  const char* fn = "io.jwt.decode_verify";
  const std::string& jwt = ArgString(fn, a, 0);
  ArgKind(fn, a, 1, Kind::kObject);
  const Value& c = a[1];
  Value invalid = Value::MakeArray({Value::Bool(false), Value::EmptyObject(), Value::EmptyObject()});
  Token t = DecodeToken(fn, jwt);
  const Value* algv = t.header.Get("alg");
  if (!algv || !algv->is_string()) return invalid;
  if (t.header.Get("crit")) return invalid;  // no critical extensions are understood
  std::string alg = algv->as_string();
  if (!KnownAlg(alg)) ThrowBuiltinError(std::string(fn) + ": unknown JWS algorithm: " + alg);
  std::string key;
  bool secret = false;
  std::int64_t now = ctx.now_ns;
  for (const auto& [k, v] : c.object()) {
    std::string name = k.is_string() ? k.as_string() : "";
    if (name == "cert") {
      if (!v.is_string()) ThrowBuiltinError(std::string(fn) + ": cert constraint must be a string");
      key = v.as_string();
    } else if (name == "secret") {
      if (!v.is_string()) ThrowBuiltinError(std::string(fn) + ": secret constraint must be a string");
      key = v.as_string();
      secret = true;
    } else if (name == "time") {
      if (!v.is_number()) ThrowBuiltinError(std::string(fn) + ": time constraint must be a number");
      now = v.is_int() ? v.as_int() : static_cast<std::int64_t>(v.as_double());
    } else if (name != "alg" && name != "iss" && name != "aud") {
      ThrowBuiltinError(std::string(fn) + ": unknown token validation constraint: " + name);
    }
  }
  if (const Value* want = c.Get("alg"); want && (!want->is_string() || want->as_string() != alg)) return invalid;
  if (key.empty() && !secret) ThrowBuiltinError(std::string(fn) + ": no key or secret given");
  if (!VerifyToken(fn, t, alg, key, secret)) return invalid;
  if (!t.payload.is_object()) return invalid;
  const Value& p = t.payload;
  if (const Value* exp = p.Get("exp")) {
    if (!exp->is_number()) ThrowBuiltinError(std::string(fn) + ": exp value must be a number");
    if (static_cast<long double>(now) >= static_cast<long double>(exp->as_double()) * 1e9L) return invalid;
  }
  if (const Value* nbf = p.Get("nbf")) {
    if (!nbf->is_number()) ThrowBuiltinError(std::string(fn) + ": nbf value must be a number");
    if (static_cast<long double>(now) < static_cast<long double>(nbf->as_double()) * 1e9L) return invalid;
  }
  if (const Value* iss = c.Get("iss")) {
    const Value* piss = p.Get("iss");
    if (!piss || !(*piss == *iss)) return invalid;
  }
  const Value* aud = c.Get("aud");
  const Value* paud = p.Get("aud");
  if (paud) {
    if (!aud) return invalid;
    bool match = false;
    if (paud->is_string()) match = *paud == *aud;
    else if (paud->is_array())
      for (const auto& x : paud->items())
        if (x == *aud) match = true;
    if (!match) return invalid;
  } else if (aud) {
    return invalid;
  }
  return Value::MakeArray({Value::Bool(true), t.header, t.payload});
}

std::string Sign(const char* fn, const std::string& alg, const Value& jwk, const std::string& data) {
  if (alg.rfind("HS", 0) == 0) {
    std::string secret;
    KeyFromJwk(jwk, &secret);
    return HmacRaw(alg, secret, data);
  }
  Pkey key = KeyFromJwk(jwk, nullptr);
  if (!key) ThrowBuiltinError(std::string(fn) + ": invalid signing key");
  const EVP_MD* md = alg == "EdDSA" ? nullptr : DigestFor(alg);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::string sig;
  if (EVP_DigestSignInit(ctx, &pctx, md, nullptr, key.get()) == 1) {
    if (alg[0] == 'P') {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    std::size_t len = 0;
    if (EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1) {
      sig.resize(len);
      if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, reinterpret_cast<const unsigned char*>(data.data()),
                         data.size()) == 1)
        sig.resize(len);
      else
        sig.clear();
    }
  }
  EVP_MD_CTX_free(ctx);
  if (sig.empty()) ThrowBuiltinError(std::string(fn) + ": signing failed");
  if (alg[0] == 'E' && alg != "EdDSA") {
    std::size_t n = alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66;
    sig = EcDerToRaw(sig, n);
  }
  return sig;
}

std::string EncodeSigned(const char* fn, const std::string& header_json, const std::string& payload_json, const Value& jwk) {
  if (header_json.empty()) ThrowBuiltinError(std::string(fn) + ": missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string");
  // Text that is not a JSON object at all has no "alg" member; an object
  // that does not parse is a JSON error.
  std::size_t first = header_json.find_first_not_of(" \t\r\n");
  bool object_text = first != std::string::npos && header_json[first] == '{';
  auto h = LenientJson(header_json);
  if (!h && object_text) ThrowBuiltinError(std::string(fn) + ": missing or invalid 'alg' header: cannot parse JSON");
  const Value* alg = h && h->is_object() ? h->Get("alg") : nullptr;
  if (!alg || !alg->is_string()) ThrowBuiltinError(std::string(fn) + ": missing or invalid 'alg' header: jwsbb: header \"alg\" not found");
  if (!KnownAlg(alg->as_string())) ThrowBuiltinError(std::string(fn) + ": unknown JWS algorithm: " + alg->as_string());
  const Value* typ = h->Get("typ");
  if (typ && typ->is_string() && typ->as_string() == "JWT" && !LenientJson(payload_json))
    ThrowBuiltinError(std::string(fn) + ": type is JWT but payload is not JSON");
  std::string data = Base64UrlEncodeNoPad(header_json) + "." + Base64UrlEncodeNoPad(payload_json);
  return data + "." + Base64UrlEncodeNoPad(Sign(fn, alg->as_string(), jwk, data));
}

Value EncodeSign(const Args& a, BuiltinContext&) {
  const char* fn = "io.jwt.encode_sign";
  ArgKind(fn, a, 0, Kind::kObject);
  ArgKind(fn, a, 2, Kind::kObject);
  std::string payload = a[1].is_string() ? a[1].as_string() : ToJsonText(a[1]);
  return Value::String(EncodeSigned(fn, ToJsonText(a[0]), payload, a[2]));
}
Value EncodeSignRaw(const Args& a, BuiltinContext&) {
  const char* fn = "io.jwt.encode_sign_raw";
  auto key = ParseJsonValue(ArgString(fn, a, 2), "key");
  if (!key || !key->is_object()) ThrowBuiltinError(std::string(fn) + ": failed to parse a JWK key");
  return Value::String(EncodeSigned(fn, ArgString(fn, a, 0), ArgString(fn, a, 1), *key));
}

}  // namespace

void AddJwtBuiltins(BuiltinRegistry& r) {
  r.Add("io.jwt.decode", 1, Decode);
  r.Add("io.jwt.decode_verify", 2, DecodeVerify);
  r.Add("io.jwt.verify_rs256", 2, VerifyB<0>);
  r.Add("io.jwt.verify_rs384", 2, VerifyB<1>);
  r.Add("io.jwt.verify_rs512", 2, VerifyB<2>);
  r.Add("io.jwt.verify_ps256", 2, VerifyB<3>);
  r.Add("io.jwt.verify_ps384", 2, VerifyB<4>);
  r.Add("io.jwt.verify_ps512", 2, VerifyB<5>);
  r.Add("io.jwt.verify_es256", 2, VerifyB<6>);
  r.Add("io.jwt.verify_es384", 2, VerifyB<7>);
  r.Add("io.jwt.verify_es512", 2, VerifyB<8>);
  r.Add("io.jwt.verify_hs256", 2, VerifyB<9>);
  r.Add("io.jwt.verify_hs384", 2, VerifyB<10>);
  r.Add("io.jwt.verify_hs512", 2, VerifyB<11>);
  r.Add("io.jwt.verify_eddsa", 2, VerifyB<12>);
  r.Add("io.jwt.encode_sign", 3, EncodeSign);
  r.Add("io.jwt.encode_sign_raw", 3, EncodeSignRaw);
}

}  // namespace tollgate::rego
