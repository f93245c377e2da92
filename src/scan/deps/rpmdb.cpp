// RPM package databases: the SQLite one (rpmdb.sqlite, RPM 4.16 and later:
// table Packages(hnum, blob)) and the Berkeley DB hash file older RHEL and
// CentOS images carry (/var/lib/rpm/Packages: key the header number, value
// the header). Either way each value is an RPM header without its lead:
// big-endian index count and data size, 16-byte index entries (tag, type,
// offset, count), then the data store; one parser reads both.
#include <sqlite3.h>

#include <algorithm>
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


// One package header (header number `hnum`) into the inventory; a malformed
// header becomes a warning naming the file and the header number.
void AddHeader(const unsigned char* blob, std::size_t n, std::uint64_t hnum, const std::string& file,
               const std::string& distro, const std::string& release, Inventory& out) {
  auto h = blob ? ParseHeader(blob, n) : std::nullopt;
  if (!h) {
    out.warnings.push_back(file + ": package header " + std::to_string(hnum) + " is malformed; skipped");
    return;
  }
  if (h->name == "gpg-pubkey") return;
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
    AddHeader(blob, blob ? n : 0, static_cast<std::uint64_t>(hnum), file, distro, release, out);
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return Fail(Error::Input(file + ": corrupt RPM database: " + sqlite3_errmsg(db)));
  return Ok();
}

// ---- Berkeley DB hash databases (/var/lib/rpm/Packages) ----
//
// Layout (Berkeley DB 4.x/5.x on-disk format, all fields in the byte order of
// the machine that wrote the file, told apart by the magic number):
//   page 0, the hash metadata page: magic 0x061561 at byte 12, version at 16,
//     page size at 20, encryption algorithm at 24, page type 8 at 25, last
//     page number at 32;
//   every page: a 26-byte header (page number at 8, next page at 16, entry
//     count at 20, hf_offset at 22, page type at 25), then for hash pages
//     (types 2 and 13) `entries` 16-bit offsets of items stored from the end
//     of the page downwards, alternately key and value. An item's first byte
//     is its kind: 1 = the bytes follow inline, 3 = "off page": the value is
//     in a chain of overflow pages (page number at item+4, total length at
//     item+8). Overflow pages (type 7) hold hf_offset bytes after the header.
// RPM stores each package under its header number (a 32-bit integer); key 0
// holds the next free number and is not a package. The file is only read:
// every offset, length and page chain is checked against the file, so a
// damaged database gives warnings (or one error) naming it, never a crash.
namespace {

constexpr std::uint32_t kBdbHashMagic = 0x061561;
constexpr unsigned char kPageHashUnsorted = 2, kPageOverflow = 7, kPageHashMeta = 8, kPageHash = 13;
constexpr unsigned char kItemKeyData = 1, kItemOffPage = 3;
constexpr std::size_t kPageHeader = 26;
constexpr std::size_t kMaxHeaderBytes = 64u << 20;

class BdbFile {
 public:
  BdbFile(std::string_view bytes, bool little_endian, std::size_t page_size)
      : bytes_(bytes), le_(little_endian), page_size_(page_size), pages_(bytes.size() / page_size) {}

  std::uint32_t U32(const unsigned char* p) const {
    return le_ ? (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0]
               : Be32(p);
  }
  std::uint16_t U16(const unsigned char* p) const {
    return static_cast<std::uint16_t>(le_ ? (p[1] << 8) | p[0] : (p[0] << 8) | p[1]);
  }
  std::size_t pages() const { return pages_; }
  std::size_t page_size() const { return page_size_; }
  const unsigned char* Page(std::size_t n) const {
    return reinterpret_cast<const unsigned char*>(bytes_.data()) + n * page_size_;
  }

  // The value stored in a chain of overflow pages; nullopt when the chain
  // leaves the file, loops, meets another page type or has the wrong length.
  std::optional<std::string> Overflow(std::uint32_t first, std::uint32_t total) const {
    if (total > kMaxHeaderBytes || total > bytes_.size()) return std::nullopt;
    std::string out;
    out.reserve(total);
    std::size_t steps = 0;
    for (std::uint32_t pg = first; pg != 0 && out.size() < total;) {
      if (pg >= pages_ || ++steps > pages_) return std::nullopt;
      const unsigned char* p = Page(pg);
      if (p[25] != kPageOverflow) return std::nullopt;
      std::size_t len = U16(p + 22);
      if (kPageHeader + len > page_size_) return std::nullopt;
      out.append(reinterpret_cast<const char*>(p + kPageHeader), len);
      pg = U32(p + 16);
    }
    if (out.size() != total) return std::nullopt;
    return out;
  }

 private:
  std::string_view bytes_;
  bool le_;
  std::size_t page_size_;
  std::size_t pages_;
};

}  // namespace

Status ParseRpmBdb(std::string_view bytes, const std::string& file, const std::string& distro,
                   const std::string& release, Inventory& out) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 512) return Fail(Error::Input(file + ": not a Berkeley DB database (too short)"));
  bool le;
  if (Be32(b + 12) == kBdbHashMagic) le = false;
  else if ((std::uint32_t{b[15]} << 24 | std::uint32_t{b[14]} << 16 | std::uint32_t{b[13]} << 8 | b[12]) == kBdbHashMagic)
    le = true;
  else
    return Fail(Error::Input(file + ": not a Berkeley DB hash database (bad magic number)"));
  BdbFile probe(bytes, le, 512);
  std::uint32_t version = probe.U32(b + 16), page_size = probe.U32(b + 20);
  if (version < 8 || version > 10)
    return Fail(Error::Input(file + ": Berkeley DB hash version " + std::to_string(version) + " is not supported"));
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0)
    return Fail(Error::Input(file + ": Berkeley DB page size " + std::to_string(page_size) + " is invalid"));
  if (b[24] != 0) return Fail(Error::Input(file + ": the Berkeley DB database is encrypted"));
  if ((b[26] & 0x01) != 0)  // DBMETA_CHKSUM: pages carry a checksum area that moves their items
    return Fail(Error::Input(file + ": Berkeley DB databases with page checksums are not supported"));
  if (b[25] != kPageHashMeta) return Fail(Error::Input(file + ": not a Berkeley DB hash database (page 0 type)"));
  BdbFile db(bytes, le, page_size);
  if (db.pages() < 2) return Fail(Error::Input(file + ": Berkeley DB database is truncated"));
  std::size_t last = std::min<std::size_t>(db.U32(b + 32), db.pages() - 1);
  if (db.U32(b + 32) >= db.pages())
    out.warnings.push_back(file + ": truncated (last page " + std::to_string(db.U32(b + 32)) + ", file has " +
                           std::to_string(db.pages()) + "); reading what is there");
  std::size_t bad_pages = 0;
  for (std::size_t pg = 1; pg <= last; ++pg) {
    const unsigned char* p = db.Page(pg);
    if (p[25] != kPageHash && p[25] != kPageHashUnsorted) continue;
    std::size_t entries = db.U16(p + 20);
    if (kPageHeader + 2 * entries > page_size) {
      ++bad_pages;
      continue;
    }
    // Item i spans [offset(i), end(i)) where end(i) is the previous item's
    // offset (the first item ends at the page end).
    auto offset = [&](std::size_t i) { return std::size_t{db.U16(p + kPageHeader + 2 * i)}; };
    auto end = [&](std::size_t i) { return i == 0 ? std::size_t{page_size} : offset(i - 1); };
    auto valid = [&](std::size_t i) { return offset(i) >= kPageHeader + 2 * entries && offset(i) < end(i) && end(i) <= page_size; };
    for (std::size_t i = 0; i + 1 < entries; i += 2) {
      if (!valid(i) || !valid(i + 1)) {
        ++bad_pages;
        break;
      }
      const unsigned char* key = p + offset(i);
      std::size_t key_len = end(i) - offset(i);
      if (key[0] != kItemKeyData || key_len != 5) continue;  // not a header number
      std::uint32_t hnum = db.U32(key + 1);
      if (hnum == 0) continue;  // RPM's "next header number" record
      const unsigned char* item = p + offset(i + 1);
      std::size_t item_len = end(i + 1) - offset(i + 1);
      if (item[0] == kItemKeyData) {
        AddHeader(item + 1, item_len - 1, hnum, file, distro, release, out);
      } else if (item[0] == kItemOffPage && item_len >= 12) {
        auto value = db.Overflow(db.U32(item + 4), db.U32(item + 8));
        if (!value) {
          out.warnings.push_back(file + ": package header " + std::to_string(hnum) +
                                 " has a broken overflow page chain; skipped");
          continue;
        }
        AddHeader(reinterpret_cast<const unsigned char*>(value->data()), value->size(), hnum, file, distro, release,
                  out);
      } else {
        out.warnings.push_back(file + ": package header " + std::to_string(hnum) + " is stored in an unsupported form; skipped");
      }
    }
  }
  if (bad_pages > 0)
    out.warnings.push_back(file + ": " + std::to_string(bad_pages) + " malformed hash page(s) skipped");
  return Ok();
}

}  // namespace tollgate::deps
