// RPM's SQLite package database (rpmdb.sqlite, RPM 4.16 and later): table
// Packages(hnum, blob), each blob an RPM header without its lead: big-endian
// index count and data size, 16-byte index entries (tag, type, offset,
// count), then the data store.
#include <sqlite3.h>

#include <cstring>
#include <optional>
#include <string>

#include "scan/deps/packages.h"

namespace tollgate::deps {
namespace {

constexpr std::uint32_t kTagName = 1000, kTagVersion = 1001, kTagRelease = 1002, kTagEpoch = 1003,
                        kTagSourceRpm = 1044;
constexpr std::uint32_t kTypeInt32 = 4, kTypeString = 6;

std::uint32_t Be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

struct Header {
  std::string name, version, release, source_rpm;
  std::optional<std::uint32_t> epoch;
};

// Parses one header blob; nullopt when it is malformed.
std::optional<Header> ParseHeader(const unsigned char* b, std::size_t n) {
  if (n < 8) return std::nullopt;
  std::uint32_t il = Be32(b), dl = Be32(b + 4);
  if (il > 100000 || dl > (64u << 20)) return std::nullopt;
  std::size_t index_end = 8 + std::size_t{il} * 16;
  if (index_end > n || n - index_end < dl) return std::nullopt;
  const unsigned char* data = b + index_end;
  Header h;
  for (std::uint32_t i = 0; i < il; ++i) {
    const unsigned char* e = b + 8 + std::size_t{i} * 16;
    std::uint32_t tag = Be32(e), type = Be32(e + 4), off = Be32(e + 8);
    if (off >= dl) continue;
    if (type == kTypeString) {
      const void* end = std::memchr(data + off, '\0', dl - off);
      if (end == nullptr) return std::nullopt;
      std::string v(reinterpret_cast<const char*>(data + off),
                    static_cast<std::size_t>(static_cast<const unsigned char*>(end) - (data + off)));
      if (tag == kTagName) h.name = v;
      else if (tag == kTagVersion) h.version = v;
      else if (tag == kTagRelease) h.release = v;
      else if (tag == kTagSourceRpm) h.source_rpm = v;
    } else if (type == kTypeInt32 && tag == kTagEpoch && off + 4 <= dl) {
      h.epoch = Be32(data + off);
    }
  }
  if (h.name.empty() || h.version.empty()) return std::nullopt;
  return h;
}

// "openssl-3.0.7-24.el9.src.rpm" -> "openssl"
std::string SourceName(const std::string& srpm) {
  std::string s = srpm;
  for (const char* suffix : {".src.rpm", ".nosrc.rpm"}) {
    std::size_t n = std::strlen(suffix);
    if (s.size() > n && s.compare(s.size() - n, n, suffix) == 0) s.resize(s.size() - n);
  }
  for (int i = 0; i < 2; ++i) {  // drop -release, then -version
    auto dash = s.rfind('-');
    if (dash == std::string::npos || dash == 0) return {};
    s.resize(dash);
  }
  return s;
}

}  // namespace

Status ParseRpmDb(std::string_view bytes, const std::string& file, const std::string& distro,
                  const std::string& release, Inventory& out) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return Fail(Error::Io(file + ": cannot open an in-memory database"));
  }
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close(db); }
  } closer{db};
  auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
  if (copy == nullptr && !bytes.empty()) return Fail(Error::Io(file + ": out of memory"));
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  // SQLite owns and frees `copy`; the database is read-only.
  if (sqlite3_deserialize(db, "main", copy, static_cast<sqlite3_int64>(bytes.size()),
                          static_cast<sqlite3_int64>(bytes.size()),
                          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) != SQLITE_OK)
    return Fail(Error::Input(file + ": not an SQLite database"));
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT hnum, blob FROM Packages ORDER BY hnum", -1, &q, nullptr) != SQLITE_OK) {
    sqlite3_finalize(q);
    return Fail(Error::Input(file + ": not an RPM database (no Packages table)"));
  }
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    auto hnum = sqlite3_column_int64(q, 0);
    const auto* blob = static_cast<const unsigned char*>(sqlite3_column_blob(q, 1));
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(q, 1));
    auto h = blob ? ParseHeader(blob, n) : std::nullopt;
    if (!h) {
      out.warnings.push_back(file + ": package header " + std::to_string(hnum) + " is malformed; skipped");
      continue;
    }
    if (h->name == "gpg-pubkey") continue;
    Package p;
    p.ecosystem = Ecosystem::kRedHat;
    std::string src = SourceName(h->source_rpm);
    p.name = src.empty() ? h->name : src;
    p.version = (h->epoch && *h->epoch != 0 ? std::to_string(*h->epoch) + ":" : "") + h->version +
                (h->release.empty() ? "" : "-" + h->release);
    p.file = file;
    p.line = static_cast<std::uint32_t>(hnum);
    p.release = release.substr(0, release.find('.'));
    p.distro = distro;
    out.packages.push_back(std::move(p));
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return Fail(Error::Input(file + ": corrupt RPM database: " + sqlite3_errmsg(db)));
  return Ok();
}

}  // namespace tollgate::deps
