#include "core/hash.h"

#include <algorithm>
#include <memory>
#include <new>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tollgate {

namespace {

EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

// OpenSSL's SHA-256 only fails when it cannot allocate or the provider is
// missing; neither is something a caller could handle, so it surfaces the way
// any other allocation failure does.
void Check(int ok) {
  if (ok != 1) throw std::bad_alloc();
}

// The SHA-256 implementation, fetched from the provider once: EVP_sha256()
// would look it up again (under a lock) on every digest.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) throw std::bad_alloc();
    return fetched;
  }();
  return md;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One reusable context per thread for one-shot digests.
EVP_MD_CTX* ThreadCtx() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) throw std::bad_alloc();
  return ctx.get();
}

EVP_MD_CTX* NewSha256Ctx() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) throw std::bad_alloc();
  if (EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    throw std::bad_alloc();
  }
  return ctx;
}

constexpr char kHexDigits[] = "0123456789abcdef";

// -1 for anything that is not a hex digit; both cases accepted.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// -1 for anything outside the standard alphabet (including '=' and the
// URL-safe '-' and '_').
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Hash256 Sha256(std::span<const std::uint8_t> data) {
  Hash256 out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = ThreadCtx();
  Check(EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr));
  Check(EVP_DigestUpdate(ctx, data.data(), data.size()));
  Check(EVP_DigestFinal_ex(ctx, out.data(), &len));
  return out;
}

Hash256 Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

Hash256 HmacSha256(std::span<const std::uint8_t> key, std::string_view data) {
  Hash256 out{};
  unsigned int n = 0;
  auto d = AsBytes(data);
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), d.data(), d.size(), out.data(), &n) == nullptr ||
      n != out.size())
    throw std::bad_alloc();  // as Sha256 does when OpenSSL cannot allocate
  return out;
}

Sha256Hasher::Sha256Hasher() : ctx_(NewSha256Ctx()) {}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(Ctx(ctx_)); }

void Sha256Hasher::Update(std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  Check(EVP_DigestUpdate(Ctx(ctx_), data.data(), data.size()));
}

void Sha256Hasher::Update(std::string_view data) { Update(AsBytes(data)); }

// Finish leaves the hasher reset, so one object can hash several messages.
Hash256 Sha256Hasher::Finish() {
  Hash256 out{};
  unsigned int len = 0;
  Check(EVP_DigestFinal_ex(Ctx(ctx_), out.data(), &len));
  Check(EVP_DigestInit_ex2(Ctx(ctx_), Sha256Md(), nullptr));
  return out;
}

std::string HexEncode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0f]);
  }
  return out;
}

std::optional<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return out;
}

std::optional<Hash256> HashFromHex(std::string_view hex) {
  Hash256 out{};
  if (hex.size() != out.size() * 2) return std::nullopt;
  auto bytes = HexDecode(hex);
  if (!bytes) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string Base64Encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                            std::uint32_t{data[i + 2]};
    out.push_back(kBase64Alphabet[(v >> 18) & 0x3f]);
    out.push_back(kBase64Alphabet[(v >> 12) & 0x3f]);
    out.push_back(kBase64Alphabet[(v >> 6) & 0x3f]);
    out.push_back(kBase64Alphabet[v & 0x3f]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(kBase64Alphabet[(v >> 18) & 0x3f]);
    out.push_back(kBase64Alphabet[(v >> 12) & 0x3f]);
    out.append("==");
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(kBase64Alphabet[(v >> 18) & 0x3f]);
    out.push_back(kBase64Alphabet[(v >> 12) & 0x3f]);
    out.push_back(kBase64Alphabet[(v >> 6) & 0x3f]);
    out.push_back('=');
  }
  return out;
}

// Strict: the length is a multiple of four, '=' appears only as one or two
// trailing pad characters, no whitespace, and the bits the padding discards
// are zero. Each byte string therefore has exactly one accepted encoding,
// which matters because keys and signatures are compared by their text too.
std::optional<Bytes> Base64Decode(std::string_view b64) {
  if (b64.size() % 4 != 0) return std::nullopt;
  Bytes out;
  out.reserve(b64.size() / 4 * 3);
  for (std::size_t i = 0; i < b64.size(); i += 4) {
    const bool last = i + 4 == b64.size();
    std::size_t pad = 0;
    if (last && b64[i + 3] == '=') pad = b64[i + 2] == '=' ? 2 : 1;

    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      int d = 0;
      if (j < 4 - pad) {
        d = Base64Value(b64[i + j]);
        if (d < 0) return std::nullopt;
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    if (pad == 2 && (v & 0xffff) != 0) return std::nullopt;
    if (pad == 1 && (v & 0xff) != 0) return std::nullopt;

    out.push_back(static_cast<std::uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(v & 0xff));
  }
  return out;
}

}  // namespace tollgate
