#include "scan/deps/db.h"

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/hash.h"
#include "core/time.h"
#include "scan/deps/archive_error.h"

namespace tollgate::deps {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxRecordBytes = 16u << 20;   // one OSV record
constexpr const char* kFormat = "3";                  // meta.format: records are EncodeAdvisory bytes
constexpr std::size_t kMaxZipEntries = 2'000'000;

// A prepared statement that finalises itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() const { return s_; }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, long long v) { sqlite3_bind_int64(s_, i, v); }
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  long long Int(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view Blob(sqlite3_stmt* st, int col) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st, col))) : std::string_view();
}

Error SqlError(sqlite3* db, const std::string& what) {
  return Error::Io("advisory database: " + what + ": " + sqlite3_errmsg(db));
}

}  // namespace

std::string EcosystemKey(std::string_view osv_ecosystem) {
  if (auto e = ParseEcosystem(osv_ecosystem)) return std::string(EcosystemName(*e));
  return std::string(osv_ecosystem.substr(0, osv_ecosystem.find(':')));
}

std::string DefaultDbDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* e = std::getenv("TOLLGATE_DB"); e != nullptr && *e != '\0') return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0')
    return (fs::path(x) / "tollgate" / "osv").string();
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0')
    return (fs::path(h) / ".cache" / "tollgate" / "osv").string();
  return ".tollgate/osv";
}

AdvisoryDb::~AdvisoryDb() {
  sqlite3_finalize(lookup_);
  sqlite3_finalize(record_);
  sqlite3_finalize(by_id_);
  sqlite3_close(db_);
}

Result<std::unique_ptr<AdvisoryDb>> AdvisoryDb::Open(const std::string& dir, bool create) {
  std::error_code ec;
  fs::path file = fs::path(dir) / "advisories.db";
  if (create) {
    fs::create_directories(dir, ec);
    if (ec) return Fail(Error::Io(dir + ": cannot create the advisory database directory: " + ec.message()));
  } else if (!fs::exists(file, ec)) {
    return Fail(Error::NotFound(file.string() +
                                ": no advisory database (run `tollgate db import PATH --db DIR` first; see docs/deps.md)"));
  }
  sqlite3* db = nullptr;
  int flags = create ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(file.string().c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Fail(Error::Io(file.string() + ": cannot open: " + msg));
  }
  sqlite3_busy_timeout(db, 5000);
  // Scans read records scattered over the file: map it rather than pread
  // page by page (read-only use; SQLite falls back to reads where it cannot).
  sqlite3_exec(db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536;", nullptr, nullptr, nullptr);
  std::unique_ptr<AdvisoryDb> out(new AdvisoryDb(db, file.string()));
  // affected.rid is the advisory's rowid: a scan fetches records by it.
  static constexpr const char* kSchema =
        "CREATE TABLE IF NOT EXISTS advisories(id TEXT PRIMARY KEY, modified TEXT NOT NULL,"
        " withdrawn INTEGER NOT NULL, record TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,"
        " rid INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS affected_key ON affected(ecosystem, name);"
        "CREATE INDEX IF NOT EXISTS affected_id ON affected(id);"
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);";
  if (create) {
    TG_TRY(out->Exec("PRAGMA journal_mode=WAL;"));
    TG_TRY(out->Exec(kSchema));
  }
  // A file that is not our database fails here, not later.
  bool empty = true;
  std::string format;
  {
    Stmt check(db, "SELECT count(*) FROM advisories");
    if (!check.ok() || check.Step() != SQLITE_ROW)
      return Fail(Error::Input(file.string() + ": not a tollgate advisory database"));
    empty = check.Int(0) == 0;
    Stmt f(db, "SELECT value FROM meta WHERE key = 'format'");
    if (f.ok() && f.Step() == SQLITE_ROW) format = f.Text(0);
  }  // statements finalised: the tables may be dropped below
  if (format != kFormat) {
    if (!create && !empty)
      return Fail(Error::Input(file.string() + ": written by another version of tollgate (format '" + format +
                               "'); import the advisories again into a new directory"));
    if (create) {
      // Records in another encoding cannot be mixed with ours: start over.
      TG_TRY(out->Exec("DROP TABLE affected; DROP TABLE advisories; DELETE FROM meta;"));
      TG_TRY(out->Exec(kSchema));
      Stmt put(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('format', ?)");
      put.Bind(1, std::string_view(kFormat));
      if (put.Step() != SQLITE_DONE) return Fail(SqlError(db, "meta"));
    }
  }
  return out;
}

Status AdvisoryDb::Exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return Fail(Error::Io("advisory database " + path_ + ": " + m));
  }
  return Ok();
}

Status AdvisoryDb::ImportRecord(const Json& record, std::string_view what, ImportStats& stats) {
  auto adv = AdvisoryFromJson(record, what);
  if (!adv) return Fail(adv.error());
  ++stats.read;
  // A record dated in the future would make the database look fresh for
  // years (max_db_age) and win over every real update: it is dated at the
  // import instead, and named.
  const TimePoint now = std::chrono::system_clock::now();
  if (adv->modified > FormatRfc3339(now + std::chrono::hours(24))) {
    stats.warnings.push_back(std::string(what) + ": " + adv->id + ": modified " + adv->modified +
                             " is in the future; dated at this import");
    adv->modified = FormatRfc3339(now);
  }
  Stmt get(db_, "SELECT modified FROM advisories WHERE id = ?");
  get.Bind(1, adv->id);
  bool exists = false;
  if (get.Step() == SQLITE_ROW) {
    exists = true;
    // RFC 3339 timestamps in UTC compare as strings.
    if (get.Text(0) >= adv->modified) {
      ++stats.unchanged;
      return Ok();
    }
  }
  bool withdrawn = !adv->withdrawn.empty();
  // Our flat binary form (record.cpp): decoded without a JSON document.
  std::string body = EncodeAdvisory(*adv);
  Stmt put(db_, "INSERT OR REPLACE INTO advisories(id, modified, withdrawn, record) VALUES(?,?,?,?)");
  put.Bind(1, adv->id);
  put.Bind(2, adv->modified);
  put.Bind(3, withdrawn ? 1LL : 0LL);
  sqlite3_bind_blob(put.get(), 4, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  if (put.Step() != SQLITE_DONE) return Fail(SqlError(db_, "insert " + adv->id));
  const long long rid = sqlite3_last_insert_rowid(db_);
  Stmt del(db_, "DELETE FROM affected WHERE id = ?");
  del.Bind(1, adv->id);
  if (del.Step() != SQLITE_DONE) return Fail(SqlError(db_, "update " + adv->id));
  if (!withdrawn) {
    Stmt ins(db_, "INSERT INTO affected(ecosystem, name, id, rid) VALUES(?,?,?,?)");
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& a : adv->affected) {
      std::string eco = EcosystemKey(a.ecosystem);
      auto e = ParseEcosystem(a.ecosystem);
      std::string name = e ? NormalizeName(*e, a.name) : a.name;
      if (!seen.emplace(eco, name).second) continue;
      ins.Reset();
      ins.Bind(1, eco);
      ins.Bind(2, name);
      ins.Bind(3, adv->id);
      ins.Bind(4, rid);
      if (ins.Step() != SQLITE_DONE) return Fail(SqlError(db_, "index " + adv->id));
    }
  } else {
    ++stats.withdrawn;
  }
  ++(exists ? stats.updated : stats.added);
  return Ok();
}

Status AdvisoryDb::ImportText(std::string_view text, const std::string& what, ImportStats& stats) {
  auto j = ParseOsvText(text, what);
  if (!j) {
    stats.warnings.push_back(j.error().message());
    return Ok();
  }
  // A file may hold one record or an array of them.
  if (j->is_array()) {
    for (std::size_t i = 0; i < j->size(); ++i) {
      auto s = ImportRecord((*j)[i], what + "[" + std::to_string(i) + "]", stats);
      if (!s) {
        if (s.error().code() == ErrorCode::kIo) return s;
        stats.warnings.push_back(s.error().message());
      }
    }
    return Ok();
  }
  auto s = ImportRecord(*j, what, stats);
  if (!s) {
    if (s.error().code() == ErrorCode::kIo) return s;
    stats.warnings.push_back(s.error().message());
  }
  return Ok();
}

Status AdvisoryDb::ImportFile(const std::string& file, ImportStats& stats) {
  if (EndsWith(file, ".zip")) return ImportZip(file, stats);
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) {
    stats.warnings.push_back(file + ": cannot read: " + ec.message());
    return Ok();
  }
  if (size > kMaxRecordBytes) {
    stats.warnings.push_back(file + ": larger than 16 MiB, skipped");
    return Ok();
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ImportText(ss.str(), file, stats);
}

Status AdvisoryDb::ImportZip(const std::string& file, ImportStats& stats) {
  struct archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  struct Closer {
    struct archive* a;
    ~Closer() { archive_read_free(a); }
  } closer{a};
  if (archive_read_open_filename(a, file.c_str(), 1 << 16) != ARCHIVE_OK) {
    stats.warnings.push_back(file + ": not a readable zip archive: " + ArchiveError(a, "unknown error"));
    return Ok();
  }
  struct archive_entry* entry = nullptr;
  std::size_t n = 0;
  while (true) {
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      stats.warnings.push_back(file + ": corrupt zip archive: " + ArchiveError(a, "unknown error"));
      return Ok();
    }
    if (++n > kMaxZipEntries) {
      stats.warnings.push_back(file + ": too many entries, stopped");
      return Ok();
    }
    const char* name_c = archive_entry_pathname(entry);
    std::string name = name_c ? name_c : "";
    if (archive_entry_filetype(entry) != AE_IFREG || !EndsWith(name, ".json")) continue;
    auto size = archive_entry_size(entry);
    if (size < 0 || static_cast<std::size_t>(size) > kMaxRecordBytes) {
      stats.warnings.push_back(file + "!" + name + ": entry too large, skipped");
      continue;
    }
    std::string data(static_cast<std::size_t>(size), '\0');
    auto got = archive_read_data(a, data.data(), data.size());
    if (got < 0 || static_cast<std::size_t>(got) != data.size()) {
      stats.warnings.push_back(file + "!" + name + ": corrupt zip entry: " + ArchiveError(a, "short read"));
      return Ok();
    }
    TG_TRY(ImportText(data, file + "!" + name, stats));
  }
  return Ok();
}

Result<ImportStats> AdvisoryDb::Import(const std::vector<std::string>& paths) {
  ImportStats stats;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        std::string f = it->path().string();
        if (EndsWith(f, ".json") || EndsWith(f, ".yaml") || EndsWith(f, ".yml") || EndsWith(f, ".zip"))
          found.push_back(f);
      }
      if (ec) return Fail(Error::Io(p + ": cannot list: " + ec.message()));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      return Fail(Error::NotFound(p + ": no such file or directory"));
    }
  }
  EndRead();
  TG_TRY(Exec("BEGIN IMMEDIATE"));
  for (const auto& f : files) {
    auto s = ImportFile(f, stats);
    if (!s) {
      (void)Exec("ROLLBACK");
      return Fail(s.error());
    }
  }
  if (stats.read == 0) {
    // An import that read nothing is not a success (a folder of FIFOs, of
    // other files, or only records that failed to parse: see the warnings).
    (void)Exec("ROLLBACK");
    std::string what = stats.warnings.empty() ? "" : " (" + stats.warnings.front() + ")";
    return Fail(Error::Input("no OSV record could be read from the given paths" + what));
  }
  auto d = UpdateDigest();
  if (!d) {
    (void)Exec("ROLLBACK");
    return Fail(d.error());
  }
  TG_TRY(Exec("COMMIT"));
  return stats;
}

Status AdvisoryDb::EnsureRead() const {
  if (reading_) return Ok();
  TG_TRY(Exec("BEGIN"));
  reading_ = true;
  return Ok();
}

void AdvisoryDb::EndRead() {
  if (reading_) (void)Exec("COMMIT");
  reading_ = false;
  // Records and index may change: read them again after the import.
  cache_.clear();
  index_.clear();
  preloaded_ = false;
  lookups_ = 0;
}

namespace {

// Per-ecosystem counts and newest records, from the tables.
Result<std::map<std::string, EcosystemStats>> CountEcosystems(sqlite3* db) {
  std::map<std::string, EcosystemStats> out;
  Stmt q(db,
         "SELECT a.ecosystem, count(DISTINCT a.id), max(v.modified) FROM affected a JOIN advisories v ON v.id = a.id "
         "GROUP BY a.ecosystem");
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out[q.Text(0)] = EcosystemStats{static_cast<std::size_t>(q.Int(1)), q.Text(2)};
  if (rc != SQLITE_DONE) return Fail(SqlError(db, "ecosystems"));
  return out;
}

}  // namespace

Status AdvisoryDb::UpdateDigest() {
  Stmt q(db_, "SELECT id, modified FROM advisories ORDER BY id");
  Sha256Hasher h;
  std::string newest;
  while (q.Step() == SQLITE_ROW) {
    std::string id = q.Text(0), mod = q.Text(1);
    h.Update(id);
    h.Update(std::string_view("\0", 1));
    h.Update(mod);
    h.Update("\n");
    if (mod > newest) newest = mod;
  }
  std::string digest = HexEncode(h.Finish());
  Stmt put(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  std::string count;
  {
    Stmt c(db_, "SELECT count(*) FROM advisories");
    if (c.Step() != SQLITE_ROW) return Fail(SqlError(db_, "count"));
    count = std::to_string(c.Int(0));
  }
  auto ecosystems = CountEcosystems(db_);
  if (!ecosystems) return Fail(ecosystems.error());
  Json per = Json::object();
  for (const auto& [eco, stats] : *ecosystems) per[eco] = {{"advisories", stats.advisories}, {"modified", stats.newest_modified}};
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"digest", digest}, {"newest_modified", newest},
                             {"advisories", count}, {"ecosystems", per.dump()}}) {
    put.Reset();
    put.Bind(1, k);
    put.Bind(2, v);
    if (put.Step() != SQLITE_DONE) return Fail(SqlError(db_, "meta"));
  }
  return Ok();
}

Result<DbStatus> AdvisoryDb::GetStatus() const {
  DbStatus st;
  {
    Stmt q(db_, "SELECT count(*), coalesce(sum(withdrawn), 0) FROM advisories");
    if (q.Step() != SQLITE_ROW) return Fail(SqlError(db_, "status"));
    st.advisories = static_cast<std::size_t>(q.Int(0));
    st.withdrawn = static_cast<std::size_t>(q.Int(1));
  }
  {
    auto ecosystems = CountEcosystems(db_);
    if (!ecosystems) return Fail(ecosystems.error());
    st.ecosystems = std::move(*ecosystems);
    for (const auto& [eco, stats] : st.ecosystems) st.per_ecosystem[eco] = stats.advisories;
  }
  {
    Stmt q(db_, "SELECT key, value FROM meta");
    while (q.Step() == SQLITE_ROW) {
      if (q.Text(0) == "digest") st.digest = q.Text(1);
      if (q.Text(0) == "newest_modified") st.newest_modified = q.Text(1);
    }
  }
  return st;
}

Result<DbStatus> AdvisoryDb::Summary() const {
  TG_TRY(EnsureRead());
  DbStatus st;
  bool counted = false;
  Stmt q(db_, "SELECT key, value FROM meta");
  while (q.Step() == SQLITE_ROW) {
    std::string k = q.Text(0), v = q.Text(1);
    if (k == "digest") st.digest = v;
    if (k == "newest_modified") st.newest_modified = v;
    if (k == "advisories") {
      st.advisories = static_cast<std::size_t>(std::strtoull(v.c_str(), nullptr, 10));
      counted = true;
    }
  }
  if (!counted) {  // written by an import before the count was kept in meta
    Stmt c(db_, "SELECT count(*) FROM advisories");
    if (c.Step() != SQLITE_ROW) return Fail(SqlError(db_, "count"));
    st.advisories = static_cast<std::size_t>(c.Int(0));
  }
  return st;
}

Result<std::map<std::string, EcosystemStats>> AdvisoryDb::Ecosystems() const {
  TG_TRY(EnsureRead());
  Stmt q(db_, "SELECT value FROM meta WHERE key = 'ecosystems'");
  if (q.Step() == SQLITE_ROW) {
    Json per = Json::parse(q.Text(0), nullptr, /*allow_exceptions=*/false);
    if (per.is_object()) {
      std::map<std::string, EcosystemStats> out;
      bool ok = true;
      for (const auto& [eco, v] : per.items()) {
        if (!v.is_object() || !v.contains("advisories") || !v["advisories"].is_number_unsigned() ||
            !v.contains("modified") || !v["modified"].is_string()) {
          ok = false;
          break;
        }
        out[eco] = EcosystemStats{v["advisories"].get<std::size_t>(), v["modified"].get<std::string>()};
      }
      if (ok) return out;
    }
  }
  return CountEcosystems(db_);  // an import before the counts were kept, or a damaged value
}

Result<std::vector<const Advisory*>> AdvisoryDb::Candidates(Ecosystem e, const std::string& normalized_name) {
  // Withdrawn records have no `affected` rows, so the index alone answers;
  // a record is read and parsed only the first time it is needed.
  TG_TRY(EnsureRead());
  if (lookup_ == nullptr &&
      sqlite3_prepare_v2(db_, "SELECT id, rid FROM affected WHERE ecosystem = ? AND name = ? ORDER BY id", -1, &lookup_,
                         nullptr) != SQLITE_OK)
    return Fail(SqlError(db_, "query"));
  if (record_ == nullptr &&
      sqlite3_prepare_v2(db_, "SELECT record, id FROM advisories WHERE rowid = ?", -1, &record_, nullptr) != SQLITE_OK)
    return Fail(SqlError(db_, "query"));
  int rc = SQLITE_OK;
  auto text = [](sqlite3_stmt* st, int col) {
    const auto* p = sqlite3_column_text(st, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st, col)))
             : std::string();
  };
  std::string_view eco = EcosystemName(e);
  constexpr std::size_t kPreloadAfter = 64;
  if (!preloaded_ && ++lookups_ > kPreloadAfter) {
    Stmt all(db_, "SELECT ecosystem, name, id, rid FROM affected ORDER BY id");
    if (!all.ok()) return Fail(SqlError(db_, "query"));
    while ((rc = all.Step()) == SQLITE_ROW) index_[all.Text(0) + '\0' + all.Text(1)].emplace_back(all.Text(2), all.Int(3));
    if (rc != SQLITE_DONE) return Fail(SqlError(db_, "query"));
    preloaded_ = true;
  }
  std::vector<std::pair<std::string, long long>> ids;  // id, advisory rowid
  if (preloaded_) {
    std::string key(eco);
    key += '\0';
    key += normalized_name;
    if (auto it = index_.find(key); it != index_.end()) ids = it->second;
  } else {
    sqlite3_reset(lookup_);
    sqlite3_bind_text(lookup_, 1, eco.data(), static_cast<int>(eco.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(lookup_, 2, normalized_name.data(), static_cast<int>(normalized_name.size()), SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(lookup_)) == SQLITE_ROW) ids.emplace_back(text(lookup_, 0), sqlite3_column_int64(lookup_, 1));
    if (rc != SQLITE_DONE) return Fail(SqlError(db_, "query"));
  }
  std::vector<const Advisory*> out;
  for (const auto& [id, rid] : ids) {
    auto it = cache_.find(id);
    if (it == cache_.end()) {
      sqlite3_reset(record_);
      sqlite3_bind_int64(record_, 1, rid);
      if (sqlite3_step(record_) != SQLITE_ROW || text(record_, 1) != id)
        return Fail(Error::Integrity(path_ + ": the index names " + id + ", which is not stored"));
      // Records are our own encoding; a damaged file is an integrity error.
      auto adv = DecodeAdvisory(Blob(record_, 0), path_ + ": record " + id);
      if (!adv) return Fail(adv.error());
      it = cache_.emplace(id, std::make_unique<Advisory>(std::move(*adv))).first;
    }
    out.push_back(it->second.get());
  }
  return out;
}

Result<const Advisory*> AdvisoryDb::ById(const std::string& id) {
  TG_TRY(EnsureRead());
  if (auto it = cache_.find(id); it != cache_.end()) return it->second.get();
  if (by_id_ == nullptr &&
      sqlite3_prepare_v2(db_, "SELECT record FROM advisories WHERE id = ? AND withdrawn = 0", -1, &by_id_, nullptr) !=
          SQLITE_OK)
    return Fail(SqlError(db_, "query"));
  sqlite3_reset(by_id_);
  sqlite3_bind_text(by_id_, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(by_id_);
  if (rc == SQLITE_DONE) return static_cast<const Advisory*>(nullptr);
  if (rc != SQLITE_ROW) return Fail(SqlError(db_, "query"));
  auto adv = DecodeAdvisory(Blob(by_id_, 0), path_ + ": record " + id);
  sqlite3_reset(by_id_);
  if (!adv) return Fail(adv.error());
  return cache_.emplace(id, std::make_unique<Advisory>(std::move(*adv))).first->second.get();
}

Result<std::vector<Advisory>> AdvisoryDb::All() const {
  Stmt q(db_, "SELECT id, record FROM advisories WHERE withdrawn = 0 ORDER BY id");
  std::vector<Advisory> out;
  while (q.Step() == SQLITE_ROW) {
    auto adv = DecodeAdvisory(Blob(q.get(), 1), path_ + ": record " + q.Text(0));
    if (!adv) return Fail(adv.error());
    out.push_back(std::move(*adv));
  }
  return out;
}

}  // namespace tollgate::deps
