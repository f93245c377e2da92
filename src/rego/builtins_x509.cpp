// Built-ins: crypto.x509.* and crypto.parse_private_keys with OpenSSL.
//
// Certificates come out in the shape of Go's x509.Certificate as OPA marshals
// it, for the fields policies read: Raw, Version, SerialNumber, Issuer and
// Subject (pkix.Name), NotBefore/NotAfter, KeyUsage, IsCA,
// BasicConstraintsValid, MaxPathLen, DNSNames, EmailAddresses, IPAddresses,
// URIStrings, SubjectKeyId, AuthorityKeyId. Absent lists are null, as Go's.
// Private keys come out as JWKs.
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rego/internal.h"

namespace tollgate::rego {

bool B64Decode(const std::string& in, bool url, bool lenient, std::string* out);
std::string Base64UrlEncodeNoPad(const std::string& in);

namespace {

using Args = std::vector<Value>;

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

const char kPemPrefix[] = "-----BEGIN";

bool IsPem(const std::string& s) { return s.rfind(kPemPrefix, 0) == 0; }

std::string Base64Std(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The index of the first byte Go's StdEncoding rejects.
std::size_t Base64ErrorOffset(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
              c == '\n' || c == '\r';
    if (!ok) return i;
  }
  return s.size() - s.size() % 4;
}

// OPA's reading of certificate/key text: PEM as is, otherwise base64 of PEM
// or DER.
std::string DecodeInput(const std::string& fn, const std::string& s) {
  if (IsPem(s)) return s;
  std::string out;
  if (!B64Decode(s, false, false, &out))
    ThrowBuiltinError(fn + ": illegal base64 data at input byte " + std::to_string(Base64ErrorOffset(s)));
  return out;
}

// The DER blocks of a PEM text with the given type ("" = any type).
std::vector<std::pair<std::string, std::string>> PemBlocks(const std::string& pem) {
  std::vector<std::pair<std::string, std::string>> out;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    out.emplace_back(name, std::string(reinterpret_cast<char*>(data), static_cast<std::size_t>(len)));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  return out;
}

std::vector<X509Ptr> ParseCerts(const std::string& fn, const std::string& text) {
  std::string bytes = DecodeInput(fn, text);
  std::vector<std::string> ders;
  if (IsPem(bytes)) {
    for (auto& [type, der] : PemBlocks(bytes))
      if (type == "CERTIFICATE") ders.push_back(std::move(der));
  } else {
    ders.push_back(std::move(bytes));
  }
  std::vector<X509Ptr> certs;
  for (const auto& der : ders) {
    // A DER text may hold several certificates back to back.
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    const unsigned char* end = p + der.size();
    while (p < end) {
      X509* c = d2i_X509(nullptr, &p, static_cast<long>(end - p));
      if (!c) ThrowBuiltinError(fn + ": x509: malformed certificate");
      certs.emplace_back(c);
    }
  }
  if (certs.empty()) ThrowBuiltinError(fn + ": x509: malformed certificate");
  return certs;
}

Value StringsOrNull(const std::vector<std::string>& v) {
  if (v.empty()) return Value::Null();
  Array out;
  for (const auto& s : v) out.push_back(Value::String(s));
  return Value::MakeArray(std::move(out));
}

std::string Asn1Text(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

Value OidArray(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  Array out;
  if (n <= 0) return Value::MakeArray({});
  std::string s(buf, static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n) : sizeof buf - 1);
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    out.push_back(Value::NumberFromText(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start)));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return Value::MakeArray(std::move(out));
}

// pkix.Name.
Value NameValue(const X509_NAME* name) {
  std::vector<std::string> country, org, ou, locality, province, street, postal;
  std::string cn, serial;
  Array names;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
    std::string v = Asn1Text(X509_NAME_ENTRY_get_data(e));
    names.push_back(Value::MakeObject({{Value::String("Type"), OidArray(obj)}, {Value::String("Value"), Value::String(v)}}));
    switch (OBJ_obj2nid(obj)) {
      case NID_countryName: country.push_back(v); break;
      case NID_organizationName: org.push_back(v); break;
      case NID_organizationalUnitName: ou.push_back(v); break;
      case NID_localityName: locality.push_back(v); break;
      case NID_stateOrProvinceName: province.push_back(v); break;
      case NID_streetAddress: street.push_back(v); break;
      case NID_postalCode: postal.push_back(v); break;
      case NID_commonName: cn = v; break;
      case NID_serialNumber: serial = v; break;
      default: break;
    }
  }
  return Value::MakeObject({
      {Value::String("Country"), StringsOrNull(country)},
      {Value::String("Organization"), StringsOrNull(org)},
      {Value::String("OrganizationalUnit"), StringsOrNull(ou)},
      {Value::String("Locality"), StringsOrNull(locality)},
      {Value::String("Province"), StringsOrNull(province)},
      {Value::String("StreetAddress"), StringsOrNull(street)},
      {Value::String("PostalCode"), StringsOrNull(postal)},
      {Value::String("SerialNumber"), Value::String(serial)},
      {Value::String("CommonName"), Value::String(cn)},
      {Value::String("Names"), names.empty() ? Value::Null() : Value::MakeArray(std::move(names))},
      {Value::String("ExtraNames"), Value::Null()},
  });
}

std::string TimeText(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct AltNames {
  std::vector<std::string> dns, email, ip, uri;
};

AltNames ReadAltNames(const GENERAL_NAMES* gens) {
  AltNames out;
  for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
    switch (g->type) {
      case GEN_DNS: out.dns.push_back(Asn1Text(g->d.dNSName)); break;
      case GEN_EMAIL: out.email.push_back(Asn1Text(g->d.rfc822Name)); break;
      case GEN_URI: out.uri.push_back(Asn1Text(g->d.uniformResourceIdentifier)); break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = g->d.iPAddress;
        char buf[64] = {0};
        const unsigned char* d = ASN1_STRING_get0_data(ip);
        if (ASN1_STRING_length(ip) == 4) {
          std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
        } else if (ASN1_STRING_length(ip) == 16) {
          std::string s;
          for (int k = 0; k < 16; k += 2) {
            char part[8];
            std::snprintf(part, sizeof part, "%s%x", k ? ":" : "", (d[k] << 8) | d[k + 1]);
            s += part;
          }
          std::snprintf(buf, sizeof buf, "%s", s.c_str());
        }
        out.ip.push_back(buf);
        break;
      }
      default: break;
    }
  }
  return out;
}

std::string Der(X509* c) {
  unsigned char* der = nullptr;
  int n = i2d_X509(c, &der);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

Value KeyIdValue(const ASN1_OCTET_STRING* id) {
  if (!id) return Value::Null();
  return Value::String(Base64Std(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
                                             static_cast<std::size_t>(ASN1_STRING_length(id)))));
}

Value CertValue(X509* c) {
  ObjectItems o;
  auto set = [&](const char* k, Value v) { o.emplace_back(Value::String(k), std::move(v)); };
  set("Raw", Value::String(Base64Std(Der(c))));
  set("Version", Value::Int(X509_get_version(c) + 1));
  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), nullptr));
  char* dec = serial ? BN_bn2dec(serial.get()) : nullptr;
  set("SerialNumber", dec ? Value::NumberFromText(dec) : Value::Null());
  OPENSSL_free(dec);
  set("Issuer", NameValue(X509_get_issuer_name(c)));
  set("Subject", NameValue(X509_get_subject_name(c)));
  set("NotBefore", Value::String(TimeText(X509_get0_notBefore(c))));
  set("NotAfter", Value::String(TimeText(X509_get0_notAfter(c))));
  std::uint32_t ku = X509_get_key_usage(c);
  // Go numbers KeyUsage bits from digitalSignature = 1 upwards (bit order reversed to OpenSSL's flags).
  std::int64_t go_ku = 0;
  const std::uint32_t kBits[] = {KU_DIGITAL_SIGNATURE, KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT, KU_DATA_ENCIPHERMENT,
                                 KU_KEY_AGREEMENT,     KU_KEY_CERT_SIGN,   KU_CRL_SIGN,         KU_ENCIPHER_ONLY,
                                 KU_DECIPHER_ONLY};
  if (ku != UINT32_MAX)
    for (int i = 0; i < 9; ++i)
      if (ku & kBits[i]) go_ku |= std::int64_t{1} << i;
  set("KeyUsage", Value::Int(go_ku));
  std::uint32_t flags = X509_get_extension_flags(c);
  set("BasicConstraintsValid", Value::Bool((flags & EXFLAG_BCONS) != 0));
  set("IsCA", Value::Bool((flags & EXFLAG_CA) != 0));
  long pathlen = X509_get_pathlen(c);
  set("MaxPathLen", Value::Int(pathlen < 0 ? -1 : pathlen));
  auto* gens = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr));
  AltNames alt = ReadAltNames(gens);
  GENERAL_NAMES_free(gens);
  set("DNSNames", StringsOrNull(alt.dns));
  set("EmailAddresses", StringsOrNull(alt.email));
  set("IPAddresses", StringsOrNull(alt.ip));
  set("URIStrings", StringsOrNull(alt.uri));
  set("SubjectKeyId", KeyIdValue(X509_get0_subject_key_id(c)));
  set("AuthorityKeyId", KeyIdValue(X509_get0_authority_key_id(c)));
  return Value::MakeObject(std::move(o));
}

Value ParseCertificates(const Args& a, BuiltinContext&) {
  const std::string fn = "crypto.x509.parse_certificates";
  Array out;
  for (auto& c : ParseCerts(fn, ArgString(fn, a, 0))) out.push_back(CertValue(c.get()));
  return Value::MakeArray(std::move(out));
}

// [valid, chain]: the first certificate is the trusted root, the last the
// leaf, the ones between are intermediates; the chain runs leaf to root.
Value ParseAndVerifyCertificates(const Args& a, BuiltinContext&) {
  const std::string fn = "crypto.x509.parse_and_verify_certificates";
  const std::string& text = ArgString(fn, a, 0);
  Value invalid = Value::MakeArray({Value::Bool(false), Value::EmptyArray()});
  std::vector<X509Ptr> certs;
  try {
    certs = ParseCerts(fn, text);
  } catch (const EvalError&) {
    return invalid;
  }
  if (certs.size() < 2) return invalid;
  std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), certs.front().get());
  struct ChainFree {
    void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
  };
  std::unique_ptr<STACK_OF(X509), ChainFree> chain(sk_X509_new_null());
  for (std::size_t i = 1; i + 1 < certs.size(); ++i) sk_X509_push(chain.get(), certs[i].get());
  std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), certs.back().get(), chain.get()) != 1) return invalid;
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
  if (X509_verify_cert(ctx.get()) != 1) return invalid;
  Array out;
  STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(verified); ++i) out.push_back(CertValue(sk_X509_value(verified, i)));
  return Value::MakeArray({Value::Bool(true), Value::MakeArray(std::move(out))});
}

Value ParseCertificateRequest(const Args& a, BuiltinContext&) {
  const std::string fn = "crypto.x509.parse_certificate_request";
  std::string bytes = DecodeInput(fn, ArgString(fn, a, 0));
  std::string der = bytes;
  if (IsPem(bytes)) {
    der.clear();
    for (auto& [type, d] : PemBlocks(bytes))
      if (type == "CERTIFICATE REQUEST" || type == "NEW CERTIFICATE REQUEST") {
        der = std::move(d);
        break;
      }
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req) ThrowBuiltinError(fn + ": asn1: structure error: not a certificate request");
  ObjectItems o;
  auto set = [&](const char* k, Value v) { o.emplace_back(Value::String(k), std::move(v)); };
  set("Raw", Value::String(Base64Std(der)));
  set("Version", Value::Int(X509_REQ_get_version(req.get())));
  set("Subject", NameValue(X509_REQ_get_subject_name(req.get())));
  AltNames alt;
  STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req.get());
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    auto* gens = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext));
    alt = ReadAltNames(gens);
    GENERAL_NAMES_free(gens);
  }
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  set("DNSNames", StringsOrNull(alt.dns));
  set("EmailAddresses", StringsOrNull(alt.email));
  set("IPAddresses", StringsOrNull(alt.ip));
  set("URIStrings", StringsOrNull(alt.uri));
  return Value::MakeObject(std::move(o));
}

std::string BnB64(const EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) return "";
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return Base64UrlEncodeNoPad(bytes);
}

// A private key as a JWK (RSA or EC); undefined for other key types.
Value KeyJwk(const EVP_PKEY* key) {
  ObjectItems o;
  auto set = [&](const char* k, std::string v) { o.emplace_back(Value::String(k), Value::String(std::move(v))); };
  if (EVP_PKEY_is_a(key, "RSA")) {
    set("kty", "RSA");
    set("n", BnB64(key, OSSL_PKEY_PARAM_RSA_N));
    set("e", BnB64(key, OSSL_PKEY_PARAM_RSA_E));
    set("d", BnB64(key, OSSL_PKEY_PARAM_RSA_D));
    set("p", BnB64(key, OSSL_PKEY_PARAM_RSA_FACTOR1));
    set("q", BnB64(key, OSSL_PKEY_PARAM_RSA_FACTOR2));
    set("dp", BnB64(key, OSSL_PKEY_PARAM_RSA_EXPONENT1));
    set("dq", BnB64(key, OSSL_PKEY_PARAM_RSA_EXPONENT2));
    set("qi", BnB64(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
    return Value::MakeObject(std::move(o));
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    std::size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
    std::string g(group);
    set("kty", "EC");
    set("crv", g == "prime256v1" ? "P-256" : g == "secp384r1" ? "P-384" : g == "secp521r1" ? "P-521" : g);
    set("x", BnB64(key, OSSL_PKEY_PARAM_EC_PUB_X));
    set("y", BnB64(key, OSSL_PKEY_PARAM_EC_PUB_Y));
    set("d", BnB64(key, OSSL_PKEY_PARAM_PRIV_KEY));
    return Value::MakeObject(std::move(o));
  }
  return Value();
}

PkeyPtr ReadPrivateKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Value ParseRsaPrivateKey(const Args& a, BuiltinContext&) {
  const std::string fn = "crypto.x509.parse_rsa_private_key";
  std::string pem = DecodeInput(fn, ArgString(fn, a, 0));
  PkeyPtr key = ReadPrivateKey(pem);
  if (!key || !EVP_PKEY_is_a(key.get(), "RSA")) ThrowBuiltinError(fn + ": failed to parse PEM block containing the key");
  return KeyJwk(key.get());
}

// One JWK per private-key PEM block; null for empty input.
Value ParsePrivateKeys(const Args& a, BuiltinContext&) {
  const std::string fn = "crypto.parse_private_keys";
  const std::string& text = ArgString(fn, a, 0);
  if (text.empty()) return Value::Null();
  std::string pem = DecodeInput(fn, text);
  Array out;
  for (const auto& [type, der] : PemBlocks(pem)) {
    if (type.find("PRIVATE KEY") == std::string::npos) continue;
    std::string block = "-----BEGIN " + type + "-----\n" + Base64Std(der) + "\n-----END " + type + "-----\n";
    PkeyPtr key = ReadPrivateKey(block);
    if (!key) ThrowBuiltinError(fn + ": failed to parse " + type);
    Value jwk = KeyJwk(key.get());
    if (jwk.defined()) out.push_back(jwk);
  }
  return Value::MakeArray(std::move(out));
}

// tls.Certificate's Certificate field (DER, base64) after checking that the
// key matches the leaf certificate.
Value ParseKeypair(const Args& a, BuiltinContext&) {
  const std::string fn = "crypto.x509.parse_keypair";
  std::vector<X509Ptr> certs = ParseCerts(fn, ArgString(fn, a, 0));
  std::string key_pem = DecodeInput(fn, ArgString(fn, a, 1));
  PkeyPtr key = ReadPrivateKey(key_pem);
  if (!key) ThrowBuiltinError(fn + ": tls: failed to find any PEM data in key input");
  if (X509_check_private_key(certs.front().get(), key.get()) != 1)
    ThrowBuiltinError(fn + ": tls: private key does not match public key");
  Array ders;
  for (auto& c : certs) ders.push_back(Value::String(Base64Std(Der(c.get()))));
  return Value::MakeObject({{Value::String("Certificate"), Value::MakeArray(std::move(ders))}});
}

}  // namespace

void AddX509Builtins(BuiltinRegistry& r) {
  r.Add("crypto.x509.parse_certificates", 1, ParseCertificates);
  r.Add("crypto.x509.parse_and_verify_certificates", 1, ParseAndVerifyCertificates);
  r.Add("crypto.x509.parse_certificate_request", 1, ParseCertificateRequest);
  r.Add("crypto.x509.parse_rsa_private_key", 1, ParseRsaPrivateKey);
  r.Add("crypto.x509.parse_keypair", 2, ParseKeypair);
  r.Add("crypto.parse_private_keys", 1, ParsePrivateKeys);
}

}  // namespace tollgate::rego
