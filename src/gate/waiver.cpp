#include "gate/waiver.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>

#include <git2.h>
#include <yaml-cpp/yaml.h>

#include "core/hash.h"
#include "gate/yaml_source.h"

namespace tollgate::gate {
namespace {

constexpr std::string_view kWaiverDomain = "tollgate-waiver/v1\n";
constexpr std::string_view kApprovalDomain = "tollgate-approval/v1\n";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads the named string fields of a ledger event (all required) and its
// ledger index when present.
Status ReadFields(const Json& event, const char* what,
                  std::initializer_list<std::pair<const char*, std::string*>> fields, std::uint64_t* seq) {
  for (const auto& [key, out] : fields) {
    auto it = event.find(key);
    if (it == event.end() || !it->is_string())
      return Fail(Error::Input(std::string(what) + ": missing string field \"" + key + "\""));
    *out = it->get<std::string>();
  }
  auto s = event.find("seq");
  if (s != event.end() && s->is_number_unsigned()) *seq = s->get<std::uint64_t>();
  return Ok();
}

std::string Canon(const Json& j) {
  auto c = Canonicalize(j);
  return c ? *c : std::string();  // only strings inside: cannot fail
}

std::optional<Ed25519Signature> DecodeSignature(const std::string& b64) {
  auto raw = Base64Decode(b64);
  if (!raw || raw->size() != 64) return std::nullopt;
  Ed25519Signature s;
  std::copy(raw->begin(), raw->end(), s.begin());
  return s;
}

// Common checks of a signed record: the key parses, the signature verifies and
// the key is in the keyring under the claimed name.
const KeyringEntry* CheckSigner(const std::string& key_text, const std::string& approver, const std::string& text,
                                const std::string& signature, const Keyring& keyring, Verdict& v) {
  auto key = VerifierKey::Parse(key_text);
  if (!key) {
    v.reason = "malformed signer key";
    return nullptr;
  }
  auto sig = DecodeSignature(signature);
  if (!sig || !key->Verify(text, *sig)) {
    v.reason = "signature does not verify";
    return nullptr;
  }
  const KeyringEntry* e = keyring.FindByKey(key_text);
  if (e == nullptr) {
    v.reason = "signer key '" + key->name() + "' is not in the keyring";
    return nullptr;
  }
  if (e->name != approver) {
    v.reason = "signed by '" + e->name + "' but claims approver '" + approver + "'";
    return nullptr;
  }
  return e;
}

}  // namespace

bool KeyringEntry::HasRole(const std::string& role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

Result<Keyring> Keyring::Load(const std::string& path) {
  auto text = ReadYamlFile(path, "keyring");
  if (!text) return Fail(text.error());
  return Parse(*text, path);
}

Result<Keyring> Keyring::Parse(const std::string& text, const std::string& file) {
  auto loaded = ParseYaml(text, file);
  if (!loaded) return Fail(loaded.error());
  const YAML::Node& root = *loaded;
  if (!root.IsMap() || !root["keys"] || !root["keys"].IsSequence())
    return Fail(Error::Input(file + ": a keyring is a mapping with a 'keys' list"));
  Keyring k;
  try {
    for (const auto& item : root["keys"]) {
      std::string at = YamlPosition(file, item.Mark());
      if (!item.IsMap()) return Fail(Error::Input(at + ": each key must be a mapping"));
      for (const auto& kv : item) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
        if (key != "name" && key != "email" && key != "key" && key != "roles")
          return Fail(Error::Input(YamlPosition(file, kv.first.Mark()) + ": unknown key '" + key + "' (name, email, key, roles)"));
      }
      if (!item["name"] || !item["name"].IsScalar()) return Fail(Error::Input(at + ": 'name' is required"));
      if (!item["key"] || !item["key"].IsScalar()) return Fail(Error::Input(at + ": 'key' (a public verifier key) is required"));
      auto vk = VerifierKey::Parse(item["key"].Scalar());
      if (!vk) return Fail(vk.error().WithContext(YamlPosition(file, item["key"].Mark())));
      KeyringEntry e{item["name"].Scalar(), "", *vk, {}};
      if (vk->name() != e.name)
        return Fail(Error::Input(YamlPosition(file, item["key"].Mark()) + ": key is named '" + vk->name() + "' but the entry is '" + e.name + "'"));
      if (item["email"]) {
        if (!item["email"].IsScalar()) return Fail(Error::Input(YamlPosition(file, item["email"].Mark()) + ": 'email' must be a string"));
        e.email = item["email"].Scalar();
      }
      if (item["roles"]) {
        if (!item["roles"].IsSequence()) return Fail(Error::Input(YamlPosition(file, item["roles"].Mark()) + ": 'roles' must be a list"));
        for (const auto& r : item["roles"]) {
          if (!r.IsScalar()) return Fail(Error::Input(YamlPosition(file, r.Mark()) + ": a role must be a string"));
          e.roles.push_back(r.Scalar());
        }
      }
      for (const auto& other : k.entries_)
        if (other.name == e.name) return Fail(Error::Input(at + ": duplicate keyring entry '" + e.name + "'"));
      k.entries_.push_back(std::move(e));
    }
  } catch (const YAML::Exception& e) {
    return Fail(Error::Input(YamlPosition(file, e.mark) + ": " + e.msg));
  }
  return k;
}

const KeyringEntry* Keyring::FindByKey(const std::string& verifier_key) const {
  for (const auto& e : entries_)
    if (e.key.ToString() == verifier_key) return &e;
  return nullptr;
}

bool Author::Is(const KeyringEntry& e) const {
  if (!email.empty() && !e.email.empty()) return Lower(email) == Lower(e.email);
  return !name.empty() && Lower(name) == Lower(e.name);
}

Author HeadAuthor(const std::string& path, std::string* commit_out) {
  Author a;
  git_libgit2_init();
  git_repository* repo = nullptr;
  if (git_repository_open_ext(&repo, path.c_str(), 0, nullptr) == 0) {
    git_object* obj = nullptr;
    if (git_revparse_single(&obj, repo, "HEAD") == 0 && git_object_type(obj) == GIT_OBJECT_COMMIT) {
      auto* commit = reinterpret_cast<git_commit*>(obj);
      const git_signature* sig = git_commit_author(commit);
      if (sig != nullptr) {
        a.name = sig->name ? sig->name : "";
        a.email = sig->email ? sig->email : "";
      }
      if (commit_out != nullptr) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, git_commit_id(commit));
        *commit_out = hex;
      }
    }
    git_object_free(obj);
    git_repository_free(repo);
  }
  git_libgit2_shutdown();
  return a;
}

std::string Waiver::SigningText() const {
  Json body{{"gate", gate}, {"finding", fingerprint}, {"reason", reason}, {"expires", expires},
            {"issued", issued}, {"approver", approver}, {"key", key}};
  return std::string(kWaiverDomain) + Canon(body);
}

Json Waiver::ToEvent() const {
  return Json{{"type", "waiver"}, {"gate", gate},         {"finding", fingerprint}, {"reason", reason},
              {"expires", expires}, {"issued", issued}, {"approver", approver},   {"key", key},
              {"signature", signature}, {"actor", approver}, {"subject", gate + "/" + fingerprint}};
}

Result<Waiver> Waiver::FromEvent(const Json& event) {
  Waiver w;
  TG_TRY(ReadFields(event, "waiver",
                    {{"gate", &w.gate}, {"finding", &w.fingerprint}, {"reason", &w.reason}, {"expires", &w.expires},
                     {"issued", &w.issued}, {"approver", &w.approver}, {"key", &w.key}, {"signature", &w.signature}},
                    &w.seq));
  return w;
}

std::string Approval::SigningText() const {
  Json body{{"commit", commit}, {"reason", reason}, {"issued", issued}, {"approver", approver}, {"key", key}};
  return std::string(kApprovalDomain) + Canon(body);
}

Json Approval::ToEvent() const {
  return Json{{"type", "approval"}, {"commit", commit}, {"reason", reason}, {"issued", issued},
              {"approver", approver}, {"key", key}, {"signature", signature}, {"actor", approver},
              {"subject", commit}};
}

Result<Approval> Approval::FromEvent(const Json& event) {
  Approval a;
  TG_TRY(ReadFields(event, "approval",
                    {{"commit", &a.commit}, {"reason", &a.reason}, {"issued", &a.issued}, {"approver", &a.approver},
                     {"key", &a.key}, {"signature", &a.signature}},
                    &a.seq));
  return a;
}

Result<std::string> ParseExpiry(const std::string& text) {
  auto t = ParseRfc3339(text);
  if (!t) return Fail(Error::Input("--expires: '" + text + "' is not a date (YYYY-MM-DD) or RFC 3339 time"));
  if (text.size() == 10) *t += std::chrono::hours(24) - std::chrono::seconds(1);  // through the end of that day
  return FormatRfc3339(*t);
}

// Waivers and approvals are signed the same way: stamp the signer, then sign
// the record's domain-separated canonical text.
template <typename Record>
Record SignRecord(Record r, const SignerKey& key) {
  r.approver = key.name();
  r.key = key.verifier().ToString();
  r.signature = Base64Encode(key.Sign(r.SigningText()));
  return r;
}

Waiver SignWaiver(Waiver w, const SignerKey& key) { return SignRecord(std::move(w), key); }
Approval SignApproval(Approval a, const SignerKey& key) { return SignRecord(std::move(a), key); }

Verdict JudgeWaiver(const Waiver& w, const Keyring& keyring, const std::vector<std::string>& bypass_roles,
                    const Author* author, TimePoint now) {
  Verdict v;
  const KeyringEntry* e = CheckSigner(w.key, w.approver, w.SigningText(), w.signature, keyring, v);
  if (e == nullptr) return v;
  bool has_role = std::any_of(bypass_roles.begin(), bypass_roles.end(), [&](const auto& r) { return e->HasRole(r); });
  if (!has_role) {
    std::string roles;
    for (const auto& r : bypass_roles) roles += (roles.empty() ? "" : ", ") + r;
    v.reason = "'" + e->name + "' holds none of the gate's bypass roles (" + roles + ")";
    return v;
  }
  auto expires = ParseRfc3339(w.expires);
  if (!expires) {
    v.reason = "malformed expiry";
    return v;
  }
  if (now >= *expires) {
    v.reason = "expired " + w.expires;
    return v;
  }
  if (author != nullptr && !author->known()) {
    v.reason = "the change's author is unknown, so four-eyes cannot be checked (pass --author)";
    return v;
  }
  if (author != nullptr && author->Is(*e)) {
    v.reason = "four-eyes: '" + e->name + "' is the author of the change";
    return v;
  }
  v.accepted = true;
  v.reason = "signed by '" + e->name + "', valid until " + w.expires;
  return v;
}

Verdict JudgeApproval(const Approval& a, const Keyring& keyring, const Author& author, bool four_eyes) {
  Verdict v;
  const KeyringEntry* e = CheckSigner(a.key, a.approver, a.SigningText(), a.signature, keyring, v);
  if (e == nullptr) return v;
  if (four_eyes) {
    if (!author.known()) {
      v.reason = "the change's author is unknown, so four-eyes cannot be checked (pass --author)";
      return v;
    }
    if (author.Is(*e)) {
      v.reason = "four-eyes: '" + e->name + "' is the author of the change";
      return v;
    }
  }
  v.accepted = true;
  v.reason = "approved by '" + e->name + "'";
  return v;
}

}  // namespace tollgate::gate
