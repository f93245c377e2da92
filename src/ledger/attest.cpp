#include "ledger/attest.h"

#include <algorithm>
#include <optional>

#include "core/hash.h"

namespace tollgate::ledger {
namespace {

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& Obj(const Json& j, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

// A git commit id (SHA-1 or SHA-256 object name) in lower-case hex.
bool IsGitCommit(const std::string& s) {
  return (s.size() == 40 || s.size() == 64) &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string KeyIdHint(const VerifierKey& k) {
  // "<name>+<8 hex>": the start of the public key file's one line.
  std::string full = k.ToString();
  return full.substr(0, full.find('+', k.name().size() + 1));
}

// The entry as an in-toto ResourceDescriptor: its stored bytes' SHA-256.
Json EntryDescriptor(const std::string& origin, const StoredEntry& e, Json annotations) {
  annotations["type"] = e.type;
  annotations["seq"] = e.seq;
  return Json{{"name", origin + "#" + std::to_string(e.seq)},
              {"digest", {{"sha256", HexEncode(Sha256(e.body))}}},
              {"mediaType", "application/json"},
              {"annotations", std::move(annotations)}};
}

Result<StoredEntry> EntryAt(Ledger& ledger, std::uint64_t seq) {
  auto size = ledger.Size();
  if (!size) return Fail(size.error());
  if (seq >= *size)
    return Fail(Error::NotFound("no entry " + std::to_string(seq) + ": the ledger holds " + std::to_string(*size) +
                                (*size == 1 ? " entry" : " entries")));
  std::optional<StoredEntry> found;
  TG_TRY(ledger.Scan(seq, 1, "", [&](const StoredEntry& e) {
    found = e;
    return false;
  }));
  if (!found) return Fail(Error::Integrity("entry " + std::to_string(seq) + " is missing"));
  return *found;
}

// Where the entry sits in the log now: leaf hash, tree size and root, and the
// inclusion proof that a verifier checks against a signed checkpoint.
Result<Json> LedgerReference(Ledger& ledger, const std::string& origin, const StoredEntry& e, const Json& body) {
  auto size = ledger.Size();
  if (!size) return Fail(size.error());
  auto root = ledger.RootAt(*size);
  if (!root) return Fail(root.error());
  auto proof = ledger.InclusionProof(e.seq, *size);
  if (!proof) return Fail(proof.error());
  Json hashes = Json::array();
  for (const auto& h : *proof) hashes.push_back(HexEncode(h));
  return Json{{"origin", origin},
              {"seq", e.seq},
              {"type", e.type},
              {"time", Str(body, "time")},
              {"entrySha256", HexEncode(Sha256(e.body))},
              {"leafHash", HexEncode(e.leaf_hash)},
              {"treeSize", *size},
              {"rootHash", HexEncode(*root)},
              {"inclusionProof", std::move(hashes)}};
}

Json Subjects(const std::string& service, const std::string& commit, Json entry_descriptor) {
  Json subjects = Json::array();
  if (IsGitCommit(commit))
    subjects.push_back(Json{{"name", service.empty() ? std::string("commit") : service},
                            {"digest", {{"gitCommit", commit}}}});
  subjects.push_back(std::move(entry_descriptor));
  return subjects;
}

// gate.decision: the gate ran as one test over the commit.
Json GateDecisionStatement(const std::string& origin, const StoredEntry& e, const Json& body, Json ledger_ref) {
  const Json& p = Obj(body, "payload");
  std::string gate = Str(p, "gate").empty() ? Str(body, "subject") : Str(p, "gate");
  std::string service = Str(p, "service");
  std::string commit = Str(p, "commit");
  bool passed = Str(p, "decision") == "pass";
  Json config{{"gate", gate}, {"service", service}};
  for (const char* k : {"source", "fail_on", "bypass"})
    if (p.contains(k)) config[k] = p[k];
  std::string config_text = Canonicalize(config).value_or("{}");
  Json configuration = Json::array({Json{{"name", "tollgate.yaml gates." + gate},
                                         {"mediaType", "application/json"},
                                         {"content", Base64Encode(AsBytes(config_text))}}});
  Json annotations{{"decision", Str(p, "decision")}};
  for (const char* k : {"findings", "by_severity", "findings_digest", "blocking_count", "waived_count"})
    if (p.contains(k)) annotations[k] = p[k];
  if (!IsGitCommit(commit)) annotations["commit"] = commit;
  Json predicate{{"result", passed ? "PASSED" : "FAILED"},
                 {"configuration", std::move(configuration)},
                 {"passedTests", passed ? Json::array({gate}) : Json::array()},
                 {"warnedTests", Json::array()},
                 {"failedTests", passed ? Json::array() : Json::array({gate})},
                 {std::string(kLedgerEntryExtension), std::move(ledger_ref)}};
  return Json{{"_type", kStatementType},
              {"subject", Subjects(service, commit, EntryDescriptor(origin, e, std::move(annotations)))},
              {"predicateType", kTestResultPredicate},
              {"predicate", std::move(predicate)}};
}

// deploy: the commit went to an environment. The evidence is the last
// gate.overall of the same service and commit recorded before the deploy.
Result<Json> DeployStatement(Ledger& ledger, const std::string& origin, const StoredEntry& e, const Json& body,
                             Json ledger_ref) {
  std::string service = Str(body, "service");
  std::string commit = Str(body, "commit");
  std::optional<StoredEntry> overall;
  TG_TRY(ledger.Scan(0, e.seq, "gate.overall", [&](const StoredEntry& g) {
    auto gb = Json::parse(g.body, nullptr, false);
    const Json& p = gb.is_object() ? Obj(gb, "payload") : gb;
    if (gb.is_object() && Str(p, "service") == service && Str(p, "commit") == commit) overall = g;
    return true;
  }));
  Json evidence = Json::array();
  if (overall) {
    auto gb = Json::parse(overall->body);
    evidence.push_back(EntryDescriptor(origin, *overall, Json{{"decision", Str(Obj(gb, "payload"), "decision")}}));
  }
  Json annotations{{"status", Str(body, "status")}, {"id", Str(body, "id")}, {"env", Str(body, "env")}};
  if (!IsGitCommit(commit)) annotations["commit"] = commit;
  Json predicate{{"creationTime", Str(body, "time")},
                 {"scopes", {{"tollgate.dev/environment/v1", Str(body, "env")}}},
                 {"decisionDetails", {{"evidence", std::move(evidence)}}},
                 {std::string(kLedgerEntryExtension), std::move(ledger_ref)}};
  return Json{{"_type", kStatementType},
              {"subject", Subjects(service, commit, EntryDescriptor(origin, e, std::move(annotations)))},
              {"predicateType", kDeploymentPredicate},
              {"predicate", std::move(predicate)}};
}

}  // namespace

std::string DssePae(std::string_view payload_type, std::string_view payload) {
  std::string out = "DSSEv1 ";
  out += std::to_string(payload_type.size());
  out += ' ';
  out += payload_type;
  out += ' ';
  out += std::to_string(payload.size());
  out += ' ';
  out += payload;
  return out;
}

Json DsseSign(std::string_view payload_type, std::string_view payload, const SignerKey& key) {
  Ed25519Signature sig = key.Sign(DssePae(payload_type, payload));
  return Json{{"payloadType", payload_type},
              {"payload", Base64Encode(AsBytes(payload))},
              {"signatures", Json::array({Json{{"keyid", KeyIdHint(key.verifier())}, {"sig", Base64Encode(sig)}}})}};
}

Result<std::string> DsseVerify(const Json& envelope, const VerifierKey& key) {
  if (!envelope.is_object() || !envelope.contains("payloadType") || !envelope["payloadType"].is_string() ||
      !envelope.contains("payload") || !envelope["payload"].is_string() || !envelope.contains("signatures") ||
      !envelope["signatures"].is_array())
    return Fail(Error::Input("not a DSSE envelope: payloadType, payload and signatures are required"));
  auto payload = Base64Decode(envelope["payload"].get<std::string>());
  if (!payload) return Fail(Error::Input("DSSE envelope: payload is not base64"));
  std::string body(payload->begin(), payload->end());
  std::string pae = DssePae(envelope["payloadType"].get<std::string>(), body);
  for (const auto& s : envelope["signatures"]) {
    if (!s.is_object() || !s.contains("sig") || !s["sig"].is_string()) continue;
    auto raw = Base64Decode(s["sig"].get<std::string>());
    if (!raw || raw->size() != 64) continue;
    Ed25519Signature sig{};
    std::copy(raw->begin(), raw->end(), sig.begin());
    if (key.Verify(pae, sig)) return body;
  }
  return Fail(Error::Integrity("DSSE envelope: no signature by " + key.name() + " verifies"));
}

bool IsAttestableType(std::string_view type) { return type == "gate.decision" || type == "deploy"; }

Result<Json> EntryStatement(Ledger& ledger, std::uint64_t seq) {
  auto e = EntryAt(ledger, seq);
  if (!e) return Fail(e.error());
  if (!IsAttestableType(e->type))
    return Fail(Error::Input("entry " + std::to_string(seq) + " is a " + e->type +
                             " event, which cannot be attested (only gate.decision and deploy)"));
  auto origin = ledger.Origin();
  if (!origin) return Fail(origin.error());
  auto body = ParseJson(e->body, "entry " + std::to_string(seq));
  if (!body) return Fail(Error::Integrity(body.error().message()));
  auto ref = LedgerReference(ledger, *origin, *e, *body);
  if (!ref) return Fail(ref.error());
  if (e->type == "gate.decision") return GateDecisionStatement(*origin, *e, *body, std::move(*ref));
  return DeployStatement(ledger, *origin, *e, *body, std::move(*ref));
}

Result<Json> AttestEntry(Ledger& ledger, std::uint64_t seq, const SignerKey& key) {
  auto statement = EntryStatement(ledger, seq);
  if (!statement) return Fail(statement.error());
  auto payload = Canonicalize(*statement);
  if (!payload) return Fail(payload.error());
  return DsseSign(kInTotoPayloadType, *payload, key);
}

}  // namespace tollgate::ledger
