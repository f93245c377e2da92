// The service's own state, beside the ledger: principals with their roles
// and keys, API tokens (stored only as SHA-256 hashes), webhook delivery ids
// (idempotency) and OIDC token ids (replay). Private to src/server.
//
// What changes here is also recorded in the ledger by the service (principal
// and token events, without secrets); the store is what the service looks up
// on every request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace tollgate::server {

struct Principal {
  std::string name;
  std::string email;
  std::vector<std::string> roles;
  std::string public_key;   // verifier key text (ledger-format.md#keys)
  std::string private_key;  // the server-held signing key, when the principal did not bring one
  bool disabled = false;
  bool HasRole(const std::string& role) const;
};

struct TokenRecord {
  std::string hash;  // hex SHA-256 of the token
  std::string principal;
  std::string label;
  std::string created;  // RFC 3339
  std::string expires;  // RFC 3339; empty: never
  bool revoked = false;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual Result<bool> Empty() = 0;  // no principal yet
  virtual Status PutPrincipal(const Principal& p) = 0;  // insert or replace
  // Stores `p` only while there is no principal at all, atomically (replicas
  // bootstrapping at once create one admin); false when there was one.
  virtual Result<bool> AddFirstPrincipal(const Principal& p) = 0;
  virtual Result<std::optional<Principal>> GetPrincipal(const std::string& name) = 0;
  virtual Result<std::vector<Principal>> Principals() = 0;
  virtual Status PutToken(const TokenRecord& t) = 0;
  virtual Result<std::optional<TokenRecord>> GetToken(const std::string& hash) = 0;
  virtual Status RevokeToken(const std::string& hash) = 0;
  virtual Result<std::vector<TokenRecord>> Tokens(const std::string& principal) = 0;
  // Records a webhook delivery id; false when it was seen before.
  virtual Result<bool> FirstDelivery(const std::string& provider, const std::string& id, const std::string& now) = 0;
  // Records an OIDC token id until `expires` (Unix seconds); false when it was seen before.
  virtual Result<bool> FirstTokenUse(const std::string& jti, std::int64_t expires, std::int64_t now) = 0;
  // The report of a gate run (its findings with file, line, fix text and
  // references: text the ledger never holds), under the ledger seq of its
  // gate.overall entry, for the portal's change page. Insert or replace.
  virtual Status PutGateRun(std::uint64_t id, const std::string& service, const std::string& report_json) = 0;
  virtual Result<std::optional<std::string>> GetGateRun(std::uint64_t id) = 0;
};

Result<std::unique_ptr<StateStore>> OpenSqliteState(const std::string& path);
// The same tables in the current schema of a PostgreSQL database
// (postgres://...), created if missing; shared by the replicas.
Result<std::unique_ptr<StateStore>> OpenPostgresState(const std::string& url);

}  // namespace tollgate::server
