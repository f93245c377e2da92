#include "core/signing.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/hash.h"
#include "core/utf8.h"

namespace tollgate {
namespace {

constexpr std::uint8_t kAlgEd25519 = 0x01;
constexpr std::string_view kPrivatePrefix = "PRIVATE+KEY+";
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::string KeyIdHex(std::uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

// Parses "<name>+<hex8>+<base64(alg||key32)>" into its parts.
Result<std::pair<std::string, std::array<std::uint8_t, 32>>> ParseKeyBody(std::string_view text,
                                                                           std::uint32_t* id_out) {
  // base64 may itself contain '+', so split the name and id off the front.
  std::size_t p1 = text.find('+');
  if (p1 == std::string_view::npos) return Fail(Error::Input("malformed key: expected <name>+<id>+<key>"));
  std::size_t p2 = text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return Fail(Error::Input("malformed key: expected <name>+<id>+<key>"));
  std::string_view name = text.substr(0, p1);
  std::string_view idhex = text.substr(p1 + 1, p2 - p1 - 1);
  std::string_view b64 = text.substr(p2 + 1);
  if (!IsValidKeyName(name)) return Fail(Error::Input("malformed key: invalid key name"));
  auto id = HexDecode(idhex);
  if (idhex.size() != 8 || !id) return Fail(Error::Input("malformed key: key id must be 8 hex digits"));
  auto raw = Base64Decode(b64);
  if (!raw || raw->size() != 33) return Fail(Error::Input("malformed key: key material is not base64 of 33 bytes"));
  if ((*raw)[0] != kAlgEd25519) return Fail(Error::Input("unsupported key algorithm (only Ed25519 is supported)"));
  std::array<std::uint8_t, 32> key{};
  std::copy(raw->begin() + 1, raw->end(), key.begin());
  *id_out = (std::uint32_t{(*id)[0]} << 24) | (std::uint32_t{(*id)[1]} << 16) |
            (std::uint32_t{(*id)[2]} << 8) | std::uint32_t{(*id)[3]};
  return std::make_pair(std::string(name), key);
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot open key file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 4096) return Fail(Error::Input(path + ": not a key file (too large)"));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace

namespace {

// Unicode White_Space (PropList.txt), the set Go's unicode.IsSpace and so
// the reference signed-note implementation refuse in key names.
bool IsUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace

// C2SP signed-note (https://c2sp.org/signed-note): a key name is non-empty,
// well-formed UTF-8 and contains no Unicode space and no '+'. ASCII control
// characters are refused as well, so a name never breaks a signature line.
bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size();) {
    auto c = DecodeUtf8(name, i);
    if (!c || *c < 0x20 || *c == 0x7f || *c == '+' || IsUnicodeSpace(*c)) return false;
  }
  return true;
}

// C2SP signed-note: the note text is well-formed UTF-8 with no ASCII control
// character other than newline, and ends in a newline.
bool IsValidNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') return false;
  for (std::size_t i = 0; i < text.size();) {
    auto c = DecodeUtf8(text, i);
    if (!c || (*c < 0x20 && *c != '\n') || *c == 0x7f) return false;
  }
  return true;
}

std::uint32_t ComputeKeyId(std::string_view name, const std::array<std::uint8_t, 32>& pub) {
  Sha256Hasher h;
  h.Update(name);
  h.Update(std::string_view("\n"));
  const std::uint8_t alg = kAlgEd25519;
  h.Update(std::span<const std::uint8_t>(&alg, 1));
  h.Update(std::span<const std::uint8_t>(pub));
  Hash256 d = h.Finish();
  return (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) | std::uint32_t{d[3]};
}

Result<VerifierKey> VerifierKey::Parse(std::string_view text) {
  std::uint32_t id = 0;
  auto body = ParseKeyBody(text, &id);
  if (!body) return Fail(body.error());
  VerifierKey k;
  k.name_ = std::move(body->first);
  k.pub_ = body->second;
  k.key_id_ = id;
  if (ComputeKeyId(k.name_, k.pub_) != id) return Fail(Error::Input("malformed key: key id does not match the key"));
  return k;
}

std::string VerifierKey::ToString() const {
  Bytes raw{kAlgEd25519};
  raw.insert(raw.end(), pub_.begin(), pub_.end());
  return name_ + "+" + KeyIdHex(key_id_) + "+" + Base64Encode(raw);
}

bool VerifierKey::Verify(std::string_view message, const Ed25519Signature& sig) const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub_.data(), pub_.size()));
  if (!pkey) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

namespace {
Result<std::array<std::uint8_t, 32>> PublicFromSeed(const std::array<std::uint8_t, 32>& seed) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!pkey) return Fail(Error::Internal("OpenSSL refused the Ed25519 private key"));
  std::array<std::uint8_t, 32> pub{};
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 || len != 32)
    return Fail(Error::Internal("OpenSSL could not derive the Ed25519 public key"));
  return pub;
}
}  // namespace

Result<SignerKey> SignerKey::Generate(std::string_view name) {
  if (!IsValidKeyName(name)) return Fail(Error::Input("invalid key name '" + std::string(name) + "': no spaces or '+'"));
  SignerKey k;
  if (RAND_bytes(k.seed_.data(), static_cast<int>(k.seed_.size())) != 1)
    return Fail(Error::Io("the OS random source failed"));
  auto pub = PublicFromSeed(k.seed_);
  if (!pub) return Fail(pub.error());
  k.verifier_.name_ = std::string(name);
  k.verifier_.pub_ = *pub;
  k.verifier_.key_id_ = ComputeKeyId(name, *pub);
  return k;
}

Result<SignerKey> SignerKey::Parse(std::string_view text) {
  if (text.substr(0, kPrivatePrefix.size()) != kPrivatePrefix)
    return Fail(Error::Input("not a private key (expected PRIVATE+KEY+...)"));
  std::uint32_t id = 0;
  auto body = ParseKeyBody(text.substr(kPrivatePrefix.size()), &id);
  if (!body) return Fail(body.error());
  SignerKey k;
  k.seed_ = body->second;
  auto pub = PublicFromSeed(k.seed_);
  if (!pub) return Fail(pub.error());
  k.verifier_.name_ = std::move(body->first);
  k.verifier_.pub_ = *pub;
  k.verifier_.key_id_ = ComputeKeyId(k.verifier_.name_, *pub);
  if (k.verifier_.key_id_ != id) return Fail(Error::Input("malformed key: key id does not match the key"));
  return k;
}

Result<SignerKey> SignerKey::ReadFile(const std::string& path) {
  auto text = ReadSmallFile(path);
  if (!text) return Fail(text.error());
  auto k = Parse(*text);
  if (!k) return Fail(k.error().WithContext(path));
  return k;
}

Result<VerifierKey> ReadVerifierKeyFile(const std::string& path) {
  auto text = ReadSmallFile(path);
  if (!text) return Fail(text.error());
  auto k = VerifierKey::Parse(*text);
  if (!k) return Fail(k.error().WithContext(path));
  return k;
}

std::string SignerKey::ToString() const {
  Bytes raw{kAlgEd25519};
  raw.insert(raw.end(), seed_.begin(), seed_.end());
  return std::string(kPrivatePrefix) + name() + "+" + KeyIdHex(verifier_.key_id()) + "+" + Base64Encode(raw);
}

Ed25519Signature SignerKey::Sign(std::string_view message) const {
  Ed25519Signature sig{};
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = sig.size();
  // A valid seed always signs; failure here means OpenSSL itself is broken.
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    sig.fill(0);
  }
  return sig;
}

Result<Note> ParseNote(std::string_view note) {
  // The text ends at the last "\n\n"; the signature block follows.
  std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return Fail(Error::Input("malformed note: no blank line before signatures"));
  Note n;
  n.text = std::string(note.substr(0, split + 1));
  if (!IsValidNoteText(n.text))
    return Fail(Error::Input("malformed note: the text is not UTF-8 or holds a control character other than newline"));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return Fail(Error::Input("malformed note: signature block must end in a newline"));
  while (!sigs.empty()) {
    std::size_t eol = sigs.find('\n');
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix)
      return Fail(Error::Input("malformed note: signature line must start with an em dash"));
    line.remove_prefix(kSigPrefix.size());
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return Fail(Error::Input("malformed note: signature line has no signature"));
    NoteSignature s;
    s.name = std::string(line.substr(0, sp));
    if (!IsValidKeyName(s.name)) return Fail(Error::Input("malformed note: invalid signer name"));
    auto raw = Base64Decode(line.substr(sp + 1));
    // signed-note: base64(key id || signature), of any length for keys a
    // verifier does not know (witness cosignatures are 4+8+64 bytes).
    if (!raw || raw->size() < 5) return Fail(Error::Input("malformed note: signature is not base64 of a key id and a signature"));
    s.key_id = (std::uint32_t{(*raw)[0]} << 24) | (std::uint32_t{(*raw)[1]} << 16) |
               (std::uint32_t{(*raw)[2]} << 8) | std::uint32_t{(*raw)[3]};
    s.ed25519 = raw->size() == 68;
    if (s.ed25519) std::copy(raw->begin() + 4, raw->end(), s.signature.begin());
    n.signatures.push_back(std::move(s));
  }
  if (n.signatures.empty()) return Fail(Error::Input("malformed note: no signatures"));
  return n;
}

std::string SignNote(std::string_view text, const SignerKey& key) {
  Ed25519Signature sig = key.Sign(text);
  Bytes raw;
  std::uint32_t id = key.verifier().key_id();
  raw.push_back(static_cast<std::uint8_t>(id >> 24));
  raw.push_back(static_cast<std::uint8_t>(id >> 16));
  raw.push_back(static_cast<std::uint8_t>(id >> 8));
  raw.push_back(static_cast<std::uint8_t>(id));
  raw.insert(raw.end(), sig.begin(), sig.end());
  std::string out(text);
  out += "\n";
  out += kSigPrefix;
  out += key.name();
  out += " ";
  out += Base64Encode(raw);
  out += "\n";
  return out;
}

bool NoteVerifiedBy(const Note& note, const VerifierKey& key) {
  for (const auto& s : note.signatures) {
    if (s.ed25519 && s.name == key.name() && s.key_id == key.key_id() && key.Verify(note.text, s.signature)) return true;
  }
  return false;
}

}  // namespace tollgate
