// Waivers, baselines, approvals and the keyring that says who holds which role.
//
// A waiver accepts one finding (by fingerprint) on one gate until it expires.
// A baseline is waivers in bulk: the fingerprints of every finding a gate had
// when it was recorded (the adoption path of an old repository). An approval
// signs off one change (commit). All are signed with the approver's Ed25519
// key and recorded in the ledger; they count only when the signature
// verifies, the key is in the keyring with the needed role, they have not
// expired, and (four-eyes) the signer is not the change's author.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "core/signing.h"
#include "core/time.h"

namespace tollgate::gate {

struct KeyringEntry {
  std::string name;
  std::string email;
  VerifierKey key;
  std::vector<std::string> roles;
  // Other identities of the same person: "Name <email>", "email" or "Name"
  // (a personal address, a former name); four-eyes compares them all.
  std::vector<std::string> identities;
  bool HasRole(const std::string& role) const;
};

class Keyring {
 public:
  // .tollgate/keys.yaml:  keys: [{name, email?, key: "<verifier key>", roles: [..]}]
  static Result<Keyring> Load(const std::string& path);
  static Result<Keyring> Parse(const std::string& text, const std::string& file);
  // A keyring from entries held elsewhere (the service's principals).
  static Keyring FromEntries(std::vector<KeyringEntry> entries);

  // The entry whose public key is `key` (name, id and key bytes all equal).
  const KeyringEntry* FindByKey(const std::string& verifier_key) const;
  const std::vector<KeyringEntry>& entries() const { return entries_; }

 private:
  std::vector<KeyringEntry> entries_;
};

// Who wrote the change under the gate: name and email of HEAD's author.
struct Author {
  std::string name;
  std::string email;
  bool known() const { return !name.empty() || !email.empty(); }
};

// "Name <email>", "email@host" or "Name" (the --author flag, an API field, a
// keyring identity).
Author ParseAuthor(const std::string& text);

// Four-eyes: is `signer` the author? The keyring lists each person's
// identities; a person matches the author when any identity does (e-mail
// compared case-insensitively, names with case and spacing normalised). When
// the author matches nobody in the keyring, the comparison is conservative:
// the same display name or the same e-mail local part (before any "+tag")
// counts as the same person. Returns which identity matched, or nullopt.
std::optional<std::string> SamePerson(const Author& author, const KeyringEntry& signer, const Keyring& keyring);

// Author of HEAD in the git repository containing `path`; unknown if none.
Author HeadAuthor(const std::string& path, std::string* commit_out);

// A waiver applies to one gate of one service (and, when it names them, one
// repository and branch). kAllServices ("*") is a separate act: it counts only
// when its signer also holds kAllServicesRole.
inline constexpr const char* kAllServices = "*";
inline constexpr const char* kAllServicesRole = "admin";

struct Waiver {
  std::string service;     // the service it applies to, or kAllServices
  std::string repository;  // optional: only this repository
  std::string branch;      // optional: only this branch
  std::string gate;
  std::string fingerprint;
  std::string reason;
  std::string expires;  // RFC 3339 instant after which it no longer counts
  std::string issued;   // RFC 3339
  std::string approver; // key name
  std::string key;      // verifier key text
  std::string signature;  // base64 Ed25519 over SigningText()
  std::uint64_t seq = 0;  // ledger index, when read back from the ledger

  std::string SigningText() const;
  Json ToEvent() const;  // the ledger event, type "waiver"
  static Result<Waiver> FromEvent(const Json& event);
};

// One finding of a baseline: its fingerprint (what the gate matches) and,
// for whoever reviews the baseline, its rule and file.
struct BaselineEntry {
  std::string fingerprint;
  std::string rule;
  std::string file;
};

// A baseline of one gate of one service: like a waiver of each of its
// fingerprints, under the same authority rules. A gate with many findings is
// recorded as several parts (each a signed event of its own, `part` of
// `parts`), so that no event outgrows the ledger's limit.
struct Baseline {
  std::string service;  // the service it applies to
  std::string gate;
  std::vector<BaselineEntry> findings;
  std::string reason;
  std::string expires;  // RFC 3339 instant after which it no longer counts
  std::string issued;   // RFC 3339
  std::string approver; // key name
  std::string role;     // the bypass role the signer held when recording (for review; judged anew at every gate run)
  std::string key;      // verifier key text
  std::string signature;  // base64 Ed25519 over SigningText()
  std::uint64_t part = 1;
  std::uint64_t parts = 1;
  std::uint64_t seq = 0;  // ledger index, when read back from the ledger

  std::string SigningText() const;
  Json ToEvent() const;  // the ledger event, type "baseline"
  static Result<Baseline> FromEvent(const Json& event);
};

struct Approval {
  std::string commit;
  std::string reason;
  std::string issued;
  std::string approver;
  std::string key;
  std::string signature;
  std::uint64_t seq = 0;

  std::string SigningText() const;
  Json ToEvent() const;  // type "approval"
  static Result<Approval> FromEvent(const Json& event);
};

// "2026-12-31" means through the end of that day (UTC); a full RFC 3339 time
// is taken as is. Returns the RFC 3339 expiry instant.
Result<std::string> ParseExpiry(const std::string& text);
// The same, or a duration from `now` ("90d", "12w": core ParseDuration).
Result<std::string> ParseExpiry(const std::string& text, TimePoint now);

Waiver SignWaiver(Waiver w, const SignerKey& key);
Baseline SignBaseline(Baseline b, const SignerKey& key);
Approval SignApproval(Approval a, const SignerKey& key);

// Why a signed record does or does not count.
struct Verdict {
  bool accepted = false;
  std::string reason;
};
// Where a gate runs: a waiver must name this service (and, if it names them,
// this repository and branch).
struct WaiverScope {
  std::string service;
  std::string repository;
  std::string branch;
};

// A waiver needs a valid signature by a keyring key holding one of
// `bypass_roles`, a scope that covers `scope`, an expiry after `now`, and a
// signer other than `author`. A null `author` skips the four-eyes check (when
// recording a waiver, before the change under the gate is known); the gate
// always passes one. A null `scope` skips the scope check (when recording).
Verdict JudgeWaiver(const Waiver& w, const Keyring& keyring, const std::vector<std::string>& bypass_roles,
                    const Author* author, TimePoint now, const WaiverScope* scope = nullptr);
// A baseline is judged as a waiver is, check for check (it names a service,
// its signature verifies, ...; the reasons say "baseline").
Verdict JudgeBaseline(const Baseline& b, const Keyring& keyring, const std::vector<std::string>& bypass_roles,
                      const Author* author, TimePoint now, const WaiverScope* scope = nullptr);
Verdict JudgeApproval(const Approval& a, const Keyring& keyring, const Author& author, bool four_eyes);

}  // namespace tollgate::gate
