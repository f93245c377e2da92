// Ed25519 keys and signatures in the C2SP signed-note formats
// (https://c2sp.org/signed-note), shared by ledger checkpoints and by
// waiver/approval signatures.
//
//   signer key file:   PRIVATE+KEY+<name>+<keyid hex8>+<base64(0x01 || seed32)>
//   verifier key file: <name>+<keyid hex8>+<base64(0x01 || pubkey32)>
//   key id:            first 4 bytes of SHA-256(<name> || "\n" || 0x01 || pubkey32)
//
// These are the formats of Go's golang.org/x/mod/sumdb/note, so keys and
// checkpoints interoperate with the transparency-log ecosystem.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tollgate {

using Ed25519Signature = std::array<std::uint8_t, 64>;

class VerifierKey {
 public:
  // Parse "<name>+<hex8>+<base64>"; checks the embedded key id.
  static Result<VerifierKey> Parse(std::string_view text);
  const std::string& name() const { return name_; }
  std::uint32_t key_id() const { return key_id_; }
  const std::array<std::uint8_t, 32>& public_key() const { return pub_; }
  std::string ToString() const;
  bool Verify(std::string_view message, const Ed25519Signature& sig) const;

 private:
  std::string name_;
  std::uint32_t key_id_ = 0;
  std::array<std::uint8_t, 32> pub_{};
  friend class SignerKey;
};

class SignerKey {
 public:
  // A fresh key pair from the OS random source. `name` must be non-empty and
  // contain no whitespace and no '+'.
  static Result<SignerKey> Generate(std::string_view name);
  // Parse "PRIVATE+KEY+<name>+<hex8>+<base64>".
  static Result<SignerKey> Parse(std::string_view text);
  // Read a key file (trailing whitespace ignored). Errors name the file but
  // never echo its contents.
  static Result<SignerKey> ReadFile(const std::string& path);

  const std::string& name() const { return verifier_.name(); }
  const VerifierKey& verifier() const { return verifier_; }
  std::string ToString() const;  // the private key text: handle with care
  Ed25519Signature Sign(std::string_view message) const;

 private:
  std::array<std::uint8_t, 32> seed_{};
  VerifierKey verifier_;
};

Result<VerifierKey> ReadVerifierKeyFile(const std::string& path);
bool IsValidKeyName(std::string_view name);
// C2SP signed-note text: UTF-8, no control character but '\n', ends in '\n'.
bool IsValidNoteText(std::string_view text);
std::uint32_t ComputeKeyId(std::string_view name, const std::array<std::uint8_t, 32>& pub);

// Signed notes: a text (ending in '\n'), a blank line, then one line per
// signature: "— <name> <base64(keyid4 || sig64)>".
struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  Ed25519Signature signature{};
  // False for a signature of another length (another algorithm, e.g. a
  // tlog-cosignature): kept for the key it names, never verified as Ed25519.
  bool ed25519 = true;
};

struct Note {
  std::string text;  // the signed text, including its final newline
  std::vector<NoteSignature> signatures;
};

Result<Note> ParseNote(std::string_view note);
std::string SignNote(std::string_view text, const SignerKey& key);
// True when `note` carries a valid signature by `key`.
bool NoteVerifiedBy(const Note& note, const VerifierKey& key);

}  // namespace tollgate
