// Pseudonyms for people named in ledger entries (ledger/principals.h).
#include "ledger/principals.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/file.h"
#include "ledger/pg.h"

namespace tollgate::ledger {
namespace {

constexpr std::size_t kKeyHexDigits = 64;

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail(Error::Io(std::strerror(errno)));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok();
}

}  // namespace

std::string NormaliseIdentity(std::string_view identity) {
  const char* ws = " \t\r\n\f\v";
  std::size_t b = identity.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  std::size_t e = identity.find_last_not_of(ws);
  return std::string(identity.substr(b, e - b + 1));
}

bool IsPseudonym(std::string_view text) {
  if (text.size() != kPseudonymPrefix.size() + kKeyHexDigits || text.substr(0, kPseudonymPrefix.size()) != kPseudonymPrefix)
    return false;
  return IsLowerHex(text.substr(kPseudonymPrefix.size()));
}

std::string PrincipalKey::Pseudonymise(std::string_view identity) const {
  std::string id = NormaliseIdentity(identity);
  if (id.empty() || IsPseudonym(id)) return id;
  return std::string(kPseudonymPrefix) + HexEncode(HmacSha256(key_, id));
}

Result<PrincipalKey> PrincipalKey::Load(const std::string& path) {
  const std::string what = path + ": principal key";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Fail(Error::NotFound(what + ": no such file"));
    return Fail(Error::Io(what + ": " + std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return Fail(Error::Input(what + ": not a regular file"));
  if ((st.st_mode & 077) != 0)
    return Fail(Error::Input(what + ": readable or writable by others (mode " +
                             std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                             std::to_string(st.st_mode & 7) + "); it must be mode 0600 (chmod 600)"));
  auto text = ReadFileBounded(path, 4096, "principal key");
  if (!text) return Fail(text.error());
  std::string_view t = *text;
  if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  if (t.size() != kKeyHexDigits || !IsLowerHex(t))
    return Fail(Error::Input(what + ": must hold 64 lower-case hex digits (32 bytes), found " +
                             std::to_string(t.size()) + " characters" +
                             (t.size() == kKeyHexDigits ? " that are not all hex digits" : "")));
  return PrincipalKey(*HashFromHex(t));
}

Result<PrincipalKey> PrincipalKey::LoadOrCreate(const std::string& path) {
  auto loaded = Load(path);
  if (loaded || loaded.error().code() != ErrorCode::kNotFound) return loaded;
  Hash256 key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    return Fail(Error::Internal(path + ": principal key: no random bytes from OpenSSL"));
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(Error::Io(tmp + ": cannot create the principal key: " + std::strerror(errno)));
  Status w = WriteAll(fd, HexEncode(key) + "\n");
  if (w && ::fsync(fd) != 0) w = Fail(Error::Io(std::strerror(errno)));
  ::close(fd);
  if (!w) {
    ::unlink(tmp.c_str());
    return Fail(Error::Io(tmp + ": cannot write the principal key: " + w.error().message()));
  }
  // link() never replaces: whoever links first made the key everyone uses.
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) return Fail(Error::Io(path + ": cannot create the principal key: " + std::strerror(err)));
  return Load(path);
}

std::string DefaultPrincipalKeyPath(const std::string& ledger_location) {
  if (pg::IsUrl(ledger_location)) return {};
  return ledger_location + ".principal-key";
}

}  // namespace tollgate::ledger
