// Attestations of ledger entries: in-toto Statements v1 in DSSE envelopes
// signed with the ledger key (docs/ledger-format.md#attestations).
//
//   gate.decision -> predicate https://in-toto.io/attestation/test-result/v0.1
//   deploy        -> predicate https://in-toto.io/attestation/deployment/v1
//
// Each statement names the entry it came from (origin, seq, SHA-256 of its
// stored bytes, leaf hash) and an RFC 9162 inclusion proof of that leaf in the
// log at its size when the attestation was made, so it ties back to the log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/canonical_json.h"
#include "core/result.h"
#include "core/signing.h"
#include "ledger/ledger.h"

namespace tollgate::ledger {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kTestResultPredicate = "https://in-toto.io/attestation/test-result/v0.1";
inline constexpr std::string_view kDeploymentPredicate = "https://in-toto.io/attestation/deployment/v1";
// The extension member (an in-toto extension field: its name is a URI) that
// carries the ledger reference inside each predicate.
inline constexpr std::string_view kLedgerEntryExtension = "https://tollgate.dev/ns/ledger-entry/v1";

// The DSSE v1 pre-authentication encoding:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
std::string DssePae(std::string_view payload_type, std::string_view payload);

// A DSSE envelope {payloadType, payload (base64), signatures: [{keyid, sig}]}
// signed by `key` over DssePae. The keyid is "<name>+<key id hex>", the
// prefix of the key's public key file.
Json DsseSign(std::string_view payload_type, std::string_view payload, const SignerKey& key);

// Checks an envelope's shape and that `key` signed it; returns the payload.
// A malformed envelope is an Input error, a bad signature an Integrity error.
Result<std::string> DsseVerify(const Json& envelope, const VerifierKey& key);

// True for the entry types that can be attested.
bool IsAttestableType(std::string_view type);

// The in-toto Statement for entry `seq`. NotFound when there is no such
// entry; Input when its type cannot be attested.
Result<Json> EntryStatement(Ledger& ledger, std::uint64_t seq);

// EntryStatement, canonicalised (RFC 8785) and wrapped in a DSSE envelope.
Result<Json> AttestEntry(Ledger& ledger, std::uint64_t seq, const SignerKey& key);

}  // namespace tollgate::ledger
