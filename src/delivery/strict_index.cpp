#include "delivery/strict_index.h"

#include <sqlite3.h>

#include <algorithm>
#include <unordered_set>

#include "core/sqlite.h"

namespace tollgate::delivery {
namespace {

constexpr const char* kSchema = R"sql(
BEGIN;
CREATE TABLE deploy(id TEXT PRIMARY KEY, service TEXT NOT NULL, env TEXT NOT NULL, commit_ TEXT NOT NULL,
  success INTEGER NOT NULL, time INTEGER NOT NULL, seq INTEGER NOT NULL, changes BLOB) WITHOUT ROWID;
CREATE TABLE service(name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE incident(service TEXT NOT NULL, id TEXT NOT NULL, has_open INTEGER NOT NULL, opened INTEGER NOT NULL,
  open_seq INTEGER NOT NULL, cause TEXT NOT NULL, is_resolved INTEGER NOT NULL, resolved INTEGER NOT NULL,
  resolve_seq INTEGER NOT NULL, PRIMARY KEY(service, id)) WITHOUT ROWID;
CREATE TABLE change(service TEXT NOT NULL, commit_ TEXT NOT NULL, time INTEGER NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY(service, commit_)) WITHOUT ROWID;
)sql";

constexpr const char* kStreams =
    "CREATE INDEX stream ON deploy(service, env, time, id) WHERE success = 1;";

std::int64_t Signed(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t Unsigned(std::int64_t v) { return static_cast<std::uint64_t>(v); }

std::string_view AsBytes(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

}  // namespace

struct StrictIndex::Impl {
  sqlite::Db db;
  sqlite::Stmt find_deploy{db.get(), "SELECT service, env, commit_, success, time, seq, changes FROM deploy WHERE id = ?"};
  sqlite::Stmt insert_deploy{db.get(), "INSERT INTO deploy VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING"};
  sqlite::Stmt set_changes{db.get(), "UPDATE deploy SET changes = ? WHERE id = ?"};
  sqlite::Stmt insert_service{db.get(), "INSERT OR IGNORE INTO service VALUES (?)"};
  sqlite::Stmt find_service{db.get(), "SELECT 1 FROM service WHERE name = ?"};
  sqlite::Stmt find_incident{db.get(),
                             "SELECT has_open, opened, open_seq, cause, is_resolved, resolved, resolve_seq FROM incident "
                             "WHERE service = ? AND id = ?"};
  sqlite::Stmt put_incident{db.get(), "INSERT OR REPLACE INTO incident VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"};
  sqlite::Stmt find_change{db.get(), "SELECT time, seq FROM change WHERE service = ? AND commit_ = ?"};
  sqlite::Stmt insert_change{db.get(), "INSERT INTO change VALUES (?, ?, ?, ?) ON CONFLICT(service, commit_) DO NOTHING"};
  std::unique_ptr<sqlite::Stmt> previous, next;
  // Services recorded lately, so that most deploys skip writing theirs again
  // (bounded: a history of many services just writes more).
  std::unordered_set<std::string> services_seen;
  static constexpr std::size_t kMaxServicesSeen = 4096;

  explicit Impl(sqlite::Db d) : db(std::move(d)) {}

  bool Ready() const {
    for (const sqlite::Stmt* s : {&find_deploy, &insert_deploy, &set_changes, &insert_service, &find_service,
                                  &find_incident, &put_incident, &find_change, &insert_change})
      if (!s->ok()) return false;
    return true;
  }
  Error Failed(const char* what) const { return Error::Io(std::string("event index: ") + what + ": " + db.LastError()); }
  // Runs a statement that returns no row.
  Status Run(sqlite::Stmt& s, const char* what) {
    int rc = s.Step();
    s.Reset();
    if (rc != SQLITE_DONE) return Fail(Failed(what));
    return Ok();
  }
  static StrictIndex::Deploy DeployRow(const sqlite::Stmt& s, int first) {
    StrictIndex::Deploy d;
    d.service = s.Text(first);
    d.env = s.Text(first + 1);
    d.commit = s.Text(first + 2);
    d.success = s.Int(first + 3) != 0;
    d.time = s.Int(first + 4);
    d.seq = Unsigned(s.Int(first + 5));
    d.changes_known = !s.IsNull(first + 6);
    if (d.changes_known) {
      std::string_view bytes = s.View(first + 6);
      std::copy_n(bytes.begin(), std::min(bytes.size(), d.changes.size()), d.changes.begin());
    }
    return d;
  }
};

StrictIndex::StrictIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StrictIndex::~StrictIndex() = default;

Result<std::unique_ptr<StrictIndex>> StrictIndex::Open(bool streams, std::size_t cache_bytes) {
  auto db = sqlite::Db::OpenScratch(cache_bytes);
  if (!db) return Fail(db.error().WithContext("event index"));
  // One transaction that is never committed: the database is scratch space
  // and is deleted on close.
  TG_TRY(db->Exec(kSchema, "event index"));
  if (streams) TG_TRY(db->Exec(kStreams, "event index"));
  auto impl = std::make_unique<Impl>(std::move(*db));
  if (streams) {
    impl->previous = std::make_unique<sqlite::Stmt>(
        impl->db.get(),
        "SELECT id, service, env, commit_, success, time, seq, changes FROM deploy WHERE service = ?1 AND env = ?2 "
        "AND success = 1 AND (time < ?3 OR (time = ?3 AND id < ?4)) ORDER BY time DESC, id DESC LIMIT 1");
    impl->next = std::make_unique<sqlite::Stmt>(
        impl->db.get(),
        "SELECT id, service, env, commit_, success, time, seq, changes FROM deploy WHERE service = ?1 AND env = ?2 "
        "AND success = 1 AND (time > ?3 OR (time = ?3 AND id > ?4)) ORDER BY time, id LIMIT 1");
    if (!impl->previous->ok() || !impl->next->ok()) return Fail(impl->Failed("prepare"));
  }
  if (!impl->Ready()) return Fail(impl->Failed("prepare"));
  return std::unique_ptr<StrictIndex>(new StrictIndex(std::move(impl)));
}

Result<std::optional<StrictIndex::Deploy>> StrictIndex::FindDeploy(std::string_view id) {
  sqlite::Stmt& s = impl_->find_deploy;
  s.Bind(1, id);
  int rc = s.Step();
  std::optional<Deploy> out;
  if (rc == SQLITE_ROW) out = Impl::DeployRow(s, 0);
  s.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(impl_->Failed("find a deploy"));
  return out;
}

Result<bool> StrictIndex::InsertDeploy(std::string_view id, const Deploy& d) {
  sqlite::Stmt& s = impl_->insert_deploy;
  s.Bind(1, id).Bind(2, d.service).Bind(3, d.env).Bind(4, d.commit);
  s.Bind(5, std::int64_t{d.success ? 1 : 0}).Bind(6, d.time).Bind(7, Signed(d.seq));
  if (d.changes_known) s.BindBlob(8, AsBytes(d.changes));
  else s.BindNull(8);
  TG_TRY(impl_->Run(s, "record a deploy"));
  if (impl_->db.Changes() == 0) return false;
  if (impl_->services_seen.count(d.service) == 0) {
    impl_->insert_service.Bind(1, d.service);
    TG_TRY(impl_->Run(impl_->insert_service, "record a service"));
    if (impl_->services_seen.size() < Impl::kMaxServicesSeen) impl_->services_seen.insert(d.service);
  }
  return true;
}

Status StrictIndex::SetChanges(std::string_view id, const Digest& changes) {
  impl_->set_changes.BindBlob(1, AsBytes(changes)).Bind(2, id);
  return impl_->Run(impl_->set_changes, "record a deploy's changes");
}

Result<std::optional<std::pair<std::string, StrictIndex::Deploy>>> StrictIndex::Neighbour(std::string_view service,
                                                                                          std::string_view env,
                                                                                          Millis time,
                                                                                          std::string_view id, bool next) {
  if (!impl_->previous) return Fail(Error::Internal("event index: opened without streams"));
  sqlite::Stmt& s = next ? *impl_->next : *impl_->previous;
  s.Bind(1, service).Bind(2, env).Bind(3, time).Bind(4, id);
  int rc = s.Step();
  std::optional<std::pair<std::string, Deploy>> out;
  if (rc == SQLITE_ROW) out.emplace(s.Text(0), Impl::DeployRow(s, 1));
  s.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(impl_->Failed("find a stream's deploy"));
  return out;
}

Result<bool> StrictIndex::IsService(std::string_view service) {
  sqlite::Stmt& s = impl_->find_service;
  s.Bind(1, service);
  int rc = s.Step();
  s.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(impl_->Failed("find a service"));
  return rc == SQLITE_ROW;
}

Result<std::optional<StrictIndex::Incident>> StrictIndex::FindIncident(std::string_view service, std::string_view id) {
  sqlite::Stmt& s = impl_->find_incident;
  s.Bind(1, service).Bind(2, id);
  int rc = s.Step();
  std::optional<Incident> out;
  if (rc == SQLITE_ROW) {
    Incident i;
    i.has_open = s.Int(0) != 0;
    i.opened = s.Int(1);
    i.open_seq = Unsigned(s.Int(2));
    i.cause = s.Text(3);
    i.is_resolved = s.Int(4) != 0;
    i.resolved = s.Int(5);
    i.resolve_seq = Unsigned(s.Int(6));
    out = std::move(i);
  }
  s.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(impl_->Failed("find an incident"));
  return out;
}

Status StrictIndex::PutIncident(std::string_view service, std::string_view id, const Incident& i) {
  sqlite::Stmt& s = impl_->put_incident;
  s.Bind(1, service).Bind(2, id).Bind(3, std::int64_t{i.has_open ? 1 : 0}).Bind(4, i.opened).Bind(5, Signed(i.open_seq));
  s.Bind(6, i.cause).Bind(7, std::int64_t{i.is_resolved ? 1 : 0}).Bind(8, i.resolved).Bind(9, Signed(i.resolve_seq));
  return impl_->Run(s, "record an incident");
}

Result<std::optional<StrictIndex::Change>> StrictIndex::FindChange(std::string_view service, std::string_view commit) {
  sqlite::Stmt& s = impl_->find_change;
  s.Bind(1, service).Bind(2, commit);
  int rc = s.Step();
  std::optional<Change> out;
  if (rc == SQLITE_ROW) out = Change{s.Int(0), Unsigned(s.Int(1))};
  s.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(impl_->Failed("find a change"));
  return out;
}

Result<bool> StrictIndex::InsertChange(std::string_view service, std::string_view commit, const Change& c) {
  sqlite::Stmt& s = impl_->insert_change;
  s.Bind(1, service).Bind(2, commit).Bind(3, c.time).Bind(4, Signed(c.seq));
  TG_TRY(impl_->Run(s, "record a change"));
  return impl_->db.Changes() != 0;
}

}  // namespace tollgate::delivery
