// The service's state on PostgreSQL (docs/server.md#several-replicas): the
// tables of the SQLite state file, in the current schema of the database the
// URL names (by default the ledger's), shared by every replica.
#include <mutex>

#include "core/canonical_json.h"
#include "ledger/pg.h"
#include "server/state.h"

namespace tollgate::server {
namespace {

namespace pg = ledger::pg;

// The schema mark: a comment on the principals table.
constexpr const char* kSchemaMark = "tollgate server state, schema 1";
// Advisory lock taken while the tables are created (the ledger's writers use
// another).
constexpr int kLockSpace = 0x746c6702;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS principals(
  name text PRIMARY KEY, email text NOT NULL, roles text NOT NULL,
  public_key text NOT NULL, private_key text NOT NULL, disabled boolean NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  hash text PRIMARY KEY, principal text NOT NULL, label text NOT NULL,
  created text NOT NULL, expires text NOT NULL, revoked boolean NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries(
  provider text NOT NULL, id text NOT NULL, received text NOT NULL, PRIMARY KEY(provider, id));
CREATE TABLE IF NOT EXISTS oidc_jti(jti text PRIMARY KEY, expires bigint NOT NULL);
CREATE TABLE IF NOT EXISTS gate_runs(id bigint PRIMARY KEY, service text NOT NULL, report text NOT NULL);
)sql";

constexpr const char* kPrincipalColumns = "name,email,roles,public_key,private_key,disabled";
constexpr const char* kTokenColumns = "hash,principal,label,created,expires,revoked";

class PostgresState final : public StateStore {
 public:
  explicit PostgresState(std::unique_ptr<pg::Connection> db) : db_(std::move(db)) {}

  // Creates the tables if they are missing, under a lock so that replicas
  // starting together do not collide; refuses tables that are not ours.
  Status Init() {
    TG_TRY(db_->Run("BEGIN", "begin"));
    Status s = CreateTables();
    if (s) s = db_->Commit("create the server state tables");
    if (!s) (void)db_->Run("ROLLBACK", "roll back");
    return s;
  }

  Result<bool> Empty() override {
    auto r = Exec("SELECT EXISTS (SELECT 1 FROM principals)", pg::Params(), "count principals");
    if (!r) return Fail(r.error());
    return r->Int(0, 0) == 0;
  }

  Status PutPrincipal(const Principal& p) override {
    std::string roles = Json(p.roles).dump();
    pg::Params params;
    params.Text(p.name).Text(p.email).Text(roles).Text(p.public_key).Text(p.private_key).Int(p.disabled ? 1 : 0);
    auto r = Exec(std::string("INSERT INTO principals(") + kPrincipalColumns +
                      ") VALUES($1,$2,$3,$4,$5,$6 <> 0) ON CONFLICT (name) DO UPDATE SET email=EXCLUDED.email, "
                      "roles=EXCLUDED.roles, public_key=EXCLUDED.public_key, private_key=EXCLUDED.private_key, "
                      "disabled=EXCLUDED.disabled",
                  params, "store principal");
    if (!r) return Fail(r.error());
    return Ok();
  }

  Result<bool> AddFirstPrincipal(const Principal& p) override {
    std::string roles = Json(p.roles).dump();
    pg::Params params;
    params.Text(p.name).Text(p.email).Text(roles).Text(p.public_key).Text(p.private_key).Int(p.disabled ? 1 : 0);
    // Replicas bootstrapping at once: the lock orders them, and the later
    // ones see a principal and add nothing.
    std::lock_guard<std::mutex> lock(mu_);
    Status s = db_->Reconnect();
    if (s) s = db_->Run("BEGIN", "begin");
    if (!s) return Fail(s.error());
    auto r = db_->Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSpace) + ", 1)", "lock the principals");
    if (r)
      r = db_->Exec(std::string("INSERT INTO principals(") + kPrincipalColumns +
                        ") SELECT $1,$2,$3,$4,$5,$6 <> 0 WHERE NOT EXISTS (SELECT 1 FROM principals) "
                        "ON CONFLICT (name) DO NOTHING",
                    params, "store the first principal");
    if (r) s = db_->Commit("store the first principal");
    if (!r || !s) {
      (void)db_->Run("ROLLBACK", "roll back");
      return Fail(r ? s.error() : r.error());
    }
    return r->Affected() == 1;
  }

  Result<std::optional<Principal>> GetPrincipal(const std::string& name) override {
    pg::Params params;
    params.Text(name);
    auto r = Exec(std::string("SELECT ") + kPrincipalColumns + " FROM principals WHERE name=$1", params, "read principal");
    if (!r) return Fail(r.error());
    if (r->size() == 0) return std::optional<Principal>();
    return std::optional<Principal>(PrincipalRow(*r, 0));
  }

  Result<std::vector<Principal>> Principals() override {
    auto r = Exec(std::string("SELECT ") + kPrincipalColumns + " FROM principals ORDER BY name COLLATE \"C\"", pg::Params(),
                  "read principals");
    if (!r) return Fail(r.error());
    std::vector<Principal> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(PrincipalRow(*r, i));
    return out;
  }

  Status PutToken(const TokenRecord& t) override {
    pg::Params params;
    params.Text(t.hash).Text(t.principal).Text(t.label).Text(t.created).Text(t.expires).Int(t.revoked ? 1 : 0);
    auto r = Exec(std::string("INSERT INTO tokens(") + kTokenColumns +
                      ") VALUES($1,$2,$3,$4,$5,$6 <> 0) ON CONFLICT (hash) DO UPDATE SET principal=EXCLUDED.principal, "
                      "label=EXCLUDED.label, created=EXCLUDED.created, expires=EXCLUDED.expires, revoked=EXCLUDED.revoked",
                  params, "store token");
    if (!r) return Fail(r.error());
    return Ok();
  }

  Result<std::optional<TokenRecord>> GetToken(const std::string& hash) override {
    pg::Params params;
    params.Text(hash);
    auto r = Exec(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE hash=$1", params, "read token");
    if (!r) return Fail(r.error());
    if (r->size() == 0) return std::optional<TokenRecord>();
    return std::optional<TokenRecord>(TokenRow(*r, 0));
  }

  Status RevokeToken(const std::string& hash) override {
    pg::Params params;
    params.Text(hash);
    auto r = Exec("UPDATE tokens SET revoked=true WHERE hash=$1", params, "revoke token");
    if (!r) return Fail(r.error());
    return Ok();
  }

  Result<std::vector<TokenRecord>> Tokens(const std::string& principal) override {
    pg::Params params;
    params.Text(principal);
    auto r = Exec(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE principal=$1 ORDER BY created COLLATE \"C\"",
                  params, "read tokens");
    if (!r) return Fail(r.error());
    std::vector<TokenRecord> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(TokenRow(*r, i));
    return out;
  }

  Status PutGateRun(std::uint64_t id, const std::string& service, const std::string& report_json) override {
    pg::Params params;
    params.Int(static_cast<std::int64_t>(id)).Text(service).Text(report_json);
    auto r = Exec("INSERT INTO gate_runs(id,service,report) VALUES($1,$2,$3) "
                  "ON CONFLICT(id) DO UPDATE SET service=EXCLUDED.service, report=EXCLUDED.report",
                  params, "store gate run");
    if (!r) return Fail(r.error());
    return Ok();
  }

  Result<std::optional<std::string>> GetGateRun(std::uint64_t id) override {
    pg::Params params;
    params.Int(static_cast<std::int64_t>(id));
    auto r = Exec("SELECT report FROM gate_runs WHERE id=$1", params, "read gate run");
    if (!r) return Fail(r.error());
    if (r->size() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->Text(0, 0));
  }

  Result<bool> FirstDelivery(const std::string& provider, const std::string& id, const std::string& now) override {
    pg::Params params;
    params.Text(provider).Text(id).Text(now);
    auto r = Exec("INSERT INTO deliveries(provider,id,received) VALUES($1,$2,$3) ON CONFLICT DO NOTHING", params,
                  "record delivery");
    if (!r) return Fail(r.error());
    return r->Affected() == 1;
  }

  Result<bool> FirstTokenUse(const std::string& jti, std::int64_t expires, std::int64_t now) override {
    pg::Params purge;
    purge.Int(now);
    (void)Exec("DELETE FROM oidc_jti WHERE expires < $1", purge, "purge token ids");
    pg::Params params;
    params.Text(jti).Int(expires);
    auto r = Exec("INSERT INTO oidc_jti(jti,expires) VALUES($1,$2) ON CONFLICT DO NOTHING", params, "record token id");
    if (!r) return Fail(r.error());
    return r->Affected() == 1;
  }

 private:
  // One statement on its own (autocommit); a connection the server dropped
  // is opened again first.
  Result<pg::Rows> Exec(const std::string& sql, const pg::Params& params, const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    TG_TRY(db_->Reconnect());
    return db_->Exec(sql, params, what);
  }

  Status CreateTables() {
    auto lock = db_->Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kLockSpace) + ", 0)", "lock the schema");
    if (!lock) return Fail(lock.error());
    auto mark = db_->Exec(
        "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = 'principals'",
        "read the schema");
    if (!mark) return Fail(mark.error());
    if (mark->size() > 0) {
      if (mark->Text(0, 0) != kSchemaMark)
        return Fail(Error::Input(db_->name() + ": not a tollgate server state (a table 'principals' without its schema mark)"));
    }
    TG_TRY(db_->Run(kSchema, "create the server state tables"));
    if (mark->size() == 0)
      TG_TRY(db_->Run(std::string("COMMENT ON TABLE principals IS '") + kSchemaMark + "'", "create the server state tables"));
    return Ok();
  }

  static Principal PrincipalRow(const pg::Rows& r, int i) {
    Principal p;
    p.name = r.Text(i, 0);
    p.email = r.Text(i, 1);
    auto roles = ParseJson(r.Text(i, 2), "roles");
    if (roles && roles->is_array())
      for (const auto& role : *roles)
        if (role.is_string()) p.roles.push_back(role.get<std::string>());
    p.public_key = r.Text(i, 3);
    p.private_key = r.Text(i, 4);
    p.disabled = r.Int(i, 5) != 0;
    return p;
  }

  static TokenRecord TokenRow(const pg::Rows& r, int i) {
    return TokenRecord{r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), r.Int(i, 5) != 0};
  }

  std::mutex mu_;
  std::unique_ptr<pg::Connection> db_;
};

}  // namespace

Result<std::unique_ptr<StateStore>> OpenPostgresState(const std::string& url) {
  auto c = pg::Connection::Open(url);
  if (!c) return Fail(c.error());
  auto state = std::make_unique<PostgresState>(std::move(*c));
  TG_TRY(state->Init());
  return std::unique_ptr<StateStore>(std::move(state));
}

}  // namespace tollgate::server
