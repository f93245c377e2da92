// SHA-256 and the byte encodings used across Tollgate (hex, base64).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate {

using Bytes = std::vector<std::uint8_t>;
using Hash256 = std::array<std::uint8_t, 32>;

Hash256 Sha256(std::span<const std::uint8_t> data);
Hash256 Sha256(std::string_view data);

// HMAC-SHA256 (RFC 2104) of `data` under `key`.
Hash256 HmacSha256(std::span<const std::uint8_t> key, std::string_view data);

// Incremental SHA-256 for data that arrives in pieces. Cheap to construct.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::span<const std::uint8_t> data);
  void Update(std::string_view data);
  // The digest of everything passed to Update; leaves the hasher reset for a
  // new message.
  Hash256 Finish();

 private:
  void* ctx_;  // EVP_MD_CTX*, owned
};

std::string HexEncode(std::span<const std::uint8_t> data);
std::optional<Bytes> HexDecode(std::string_view hex);
std::optional<Hash256> HashFromHex(std::string_view hex);

std::string Base64Encode(std::span<const std::uint8_t> data);
// Strict standard base64 with padding; nullopt on any invalid character or
// length, and on non-zero pad bits (so each byte string has one encoding).
std::optional<Bytes> Base64Decode(std::string_view b64);

inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace tollgate
