// Pseudonyms for people named in ledger entries (docs/ledger-format.md
// "Personal data"): an identity ("Bob <bob@payments.example>", an e-mail, a
// login) is written into a leaf as "hmac-sha256:<hex>", the HMAC-SHA256 of
// the normalised identity under a 32-byte key kept outside the ledger. The
// same identity under the same key always gives the same pseudonym, so
// comparisons (the author is not the approver) still work on pseudonyms.
#pragma once

#include <string>
#include <string_view>

#include "core/hash.h"
#include "core/result.h"

namespace tollgate::ledger {

inline constexpr std::string_view kPseudonymPrefix = "hmac-sha256:";
// What reports show for a pseudonym whose mapping was erased.
inline constexpr std::string_view kErasedIdentity = "erased";

// Surrounding white space removed; inner text (a "Name <email>" whole) kept.
std::string NormaliseIdentity(std::string_view identity);

// "hmac-sha256:" and 64 lower-case hex digits.
bool IsPseudonym(std::string_view text);

class PrincipalKey {
 public:
  explicit PrincipalKey(const Hash256& key) : key_(key) {}

  // Reads a key file: 64 hex digits (one optional trailing newline), a
  // regular file that only its owner can read or write (mode 0600 or
  // stricter). Missing: NotFound; unreadable: Io; anything else (short, not
  // hex, readable by others): Input. Every message names `path`.
  static Result<PrincipalKey> Load(const std::string& path);

  // Load, or where no file exists, create it first with 32 random bytes,
  // mode 0600, whole or not at all (a temporary file linked into place, so
  // two processes creating it at once end up with the same key).
  static Result<PrincipalKey> LoadOrCreate(const std::string& path);

  // The pseudonym of NormaliseIdentity(identity). An empty identity stays
  // empty (nobody named); a pseudonym is returned as it is.
  std::string Pseudonymise(std::string_view identity) const;

 private:
  Hash256 key_;
};

// Where a ledger's principal key lives by default: "<ledger file>.principal-key"
// beside a SQLite ledger; empty for a PostgreSQL ledger (no default: it must
// be configured).
std::string DefaultPrincipalKeyPath(const std::string& ledger_location);

}  // namespace tollgate::ledger
