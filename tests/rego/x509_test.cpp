// crypto.x509.* built-ins on a certificate chain made in the test with
// OpenSSL (root CA -> leaf with DNS/URI SANs), so no fixture can drift.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rego/value.h"
#include "test_util.h"

namespace tollgate::rego {
namespace {

struct Made {
  std::string root_pem, leaf_pem, leaf_key_pem, other_key_pem;
};

EVP_PKEY* NewKey() { return EVP_RSA_gen(2048); }

std::string CertPem(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}
std::string KeyPem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

X509* MakeCert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca, const char* san) {
  X509* c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), ca ? 1 : 2);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 3600L * 24 * 365);
  X509_set_pubkey(c, key);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Tollgate Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(c, e, -1);
    X509_EXTENSION_free(e);
  };
  add(NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (ca) add(NID_key_usage, "critical,keyCertSign,cRLSign");
  if (san) add(NID_subject_alt_name, san);
  X509_sign(c, issuer_key, EVP_sha256());
  return c;
}

Made MakeChain() {
  Made m;
  EVP_PKEY* root_key = NewKey();
  EVP_PKEY* leaf_key = NewKey();
  EVP_PKEY* other = NewKey();
  X509* root = MakeCert("Test Root", root_key, nullptr, root_key, true, nullptr);
  X509* leaf = MakeCert("svc.example.test", leaf_key, root, root_key, false, "DNS:svc.example.test,URI:spiffe://example.test/svc");
  m.root_pem = CertPem(root);
  m.leaf_pem = CertPem(leaf);
  m.leaf_key_pem = KeyPem(leaf_key);
  m.other_key_pem = KeyPem(other);
  X509_free(root);
  X509_free(leaf);
  EVP_PKEY_free(root_key);
  EVP_PKEY_free(leaf_key);
  EVP_PKEY_free(other);
  return m;
}

Result<Value> Query(const std::string& query, Value input) { return testing::EvalStrict("package p\n", query, std::move(input)); }

TEST(RegoX509, ParsesCertificatesAndVerifiesChains) {
  static const Made m = MakeChain();
  Value in = Value::MakeObject({{Value::String("root"), Value::String(m.root_pem)},
                                {Value::String("leaf"), Value::String(m.leaf_pem)},
                                {Value::String("key"), Value::String(m.leaf_key_pem)},
                                {Value::String("other"), Value::String(m.other_key_pem)}});
  auto cert = Query("crypto.x509.parse_certificates(concat(\"\", [input.leaf, input.root]))", in);
  ASSERT_TRUE(cert) << cert.error().message();
  std::string j = ToJsonText(*cert);
  EXPECT_NE(j.find(R"("CommonName":"svc.example.test")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("DNSNames":["svc.example.test"])"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("URIStrings":["spiffe://example.test/svc"])"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("IsCA":true)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("Organization":["Tollgate Test"])"), std::string::npos) << j;

  // Root first, leaf last; the verified chain comes back leaf to root.
  auto ok = Query("crypto.x509.parse_and_verify_certificates(concat(\"\", [input.root, input.leaf]))", in);
  ASSERT_TRUE(ok) << ok.error().message();
  ASSERT_TRUE(ok->is_array());
  EXPECT_EQ(ok->items()[0], Value::Bool(true));
  EXPECT_EQ(ToJsonText(*ok->items()[1].items()[0].Get("Subject")->Get("CommonName")), "\"svc.example.test\"");
  auto bad = Query("crypto.x509.parse_and_verify_certificates(concat(\"\", [input.leaf, input.root]))", in);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->items()[0], Value::Bool(false));

  auto pair = Query("crypto.x509.parse_keypair(input.leaf, input.key).Certificate[0]", in);
  ASSERT_TRUE(pair) << pair.error().message();
  EXPECT_TRUE(pair->is_string());
  auto mismatch = Query("crypto.x509.parse_keypair(input.leaf, input.other)", in);
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message().find("does not match"), std::string::npos);

  auto jwk = Query("crypto.parse_private_keys(input.key)[0].kty", in);
  ASSERT_TRUE(jwk) << jwk.error().message();
  EXPECT_EQ(*jwk, Value::String("RSA"));
}

TEST(RegoX509, BadInputIsABuiltinError) {
  auto r = Query("crypto.x509.parse_certificates(\"not base64!\")", Value());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("illegal base64"), std::string::npos) << r.error().message();
  r = Query("crypto.x509.parse_certificates(\"YmFkc3RyaW5n\")", Value());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("malformed certificate"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace tollgate::rego
