#include "gate/waiver.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>

#include "core/git.h"
#include "core/hash.h"
#include "core/yaml.h"

namespace tollgate::gate {
namespace {

constexpr std::string_view kWaiverDomain = "tollgate-waiver/v2\n";  // v2: scoped to a service
constexpr std::string_view kApprovalDomain = "tollgate-approval/v1\n";
constexpr std::string_view kBaselineDomain = "tollgate-baseline/v1\n";

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
  auto text = yaml::ReadFile(path, std::size_t{1} << 20, "keyring");
  if (!text) return Fail(text.error());
  return Parse(*text, path);
}

Result<Keyring> Keyring::Parse(const std::string& text, const std::string& file) {
  auto loaded = yaml::ParseDocument(text, file);  // duplicate keys, second documents, alias bombs: errors
  if (!loaded) return Fail(loaded.error());
  const YAML::Node& root = loaded->root;
  if (!root.IsMap() || !root["keys"] || !root["keys"].IsSequence())
    return Fail(Error::Input(file + ": a keyring is a mapping with a 'keys' list"));
  Keyring k;
  try {
    for (const auto& item : root["keys"]) {
      std::string at = yaml::Where(file, item.Mark());
      if (!item.IsMap()) return Fail(Error::Input(at + ": each key must be a mapping"));
      for (const auto& kv : item) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
        if (key != "name" && key != "email" && key != "key" && key != "roles" && key != "identities")
          return Fail(Error::Input(yaml::Where(file, kv.first.Mark()) + ": unknown key '" + key + "' (name, email, key, roles, identities)"));
      }
      if (!item["name"] || !item["name"].IsScalar()) return Fail(Error::Input(at + ": 'name' is required"));
      if (!item["key"] || !item["key"].IsScalar()) return Fail(Error::Input(at + ": 'key' (a public verifier key) is required"));
      auto vk = VerifierKey::Parse(item["key"].Scalar());
      if (!vk) return Fail(vk.error().WithContext(yaml::Where(file, item["key"].Mark())));
      KeyringEntry e{item["name"].Scalar(), "", *vk, {}, {}};
      if (vk->name() != e.name)
        return Fail(Error::Input(yaml::Where(file, item["key"].Mark()) + ": key is named '" + vk->name() + "' but the entry is '" + e.name + "'"));
      if (item["email"]) {
        if (!item["email"].IsScalar()) return Fail(Error::Input(yaml::Where(file, item["email"].Mark()) + ": 'email' must be a string"));
        e.email = item["email"].Scalar();
      }
      if (item["roles"]) {
        if (!item["roles"].IsSequence()) return Fail(Error::Input(yaml::Where(file, item["roles"].Mark()) + ": 'roles' must be a list"));
        for (const auto& r : item["roles"]) {
          if (!r.IsScalar()) return Fail(Error::Input(yaml::Where(file, r.Mark()) + ": a role must be a string"));
          e.roles.push_back(r.Scalar());
        }
      }
      if (item["identities"]) {
        if (!item["identities"].IsSequence())
          return Fail(Error::Input(yaml::Where(file, item["identities"].Mark()) + ": 'identities' must be a list"));
        for (const auto& r : item["identities"]) {
          if (!r.IsScalar() || r.Scalar().empty())
            return Fail(Error::Input(yaml::Where(file, r.Mark()) + ": an identity is \"Name <email>\", an e-mail or a name"));
          e.identities.push_back(r.Scalar());
        }
      }
      for (const auto& other : k.entries_)
        if (other.name == e.name) return Fail(Error::Input(at + ": duplicate keyring entry '" + e.name + "'"));
      k.entries_.push_back(std::move(e));
    }
  } catch (const YAML::Exception& e) {
    return Fail(Error::Input(yaml::Where(file, e.mark) + ": " + e.msg));
  }
  return k;
}

Keyring Keyring::FromEntries(std::vector<KeyringEntry> entries) {
  Keyring k;
  k.entries_ = std::move(entries);
  return k;
}

const KeyringEntry* Keyring::FindByKey(const std::string& verifier_key) const {
  for (const auto& e : entries_)
    if (e.key.ToString() == verifier_key) return &e;
  return nullptr;
}

namespace {

std::string Trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Lowercase, runs of whitespace as one space, trimmed: "Alice  SMITH " -> "alice smith".
std::string NormalName(const std::string& n) {
  std::string out;
  bool space = false;
  for (char ch : Trim(n)) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::string NormalEmail(const std::string& e) { return Lower(Trim(e)); }

// "alice+ci@corp.example" -> "alice".
std::string LocalPart(const std::string& email) {
  std::string e = NormalEmail(email);
  auto at = e.find('@');
  if (at == std::string::npos) return "";
  e = e.substr(0, at);
  if (auto plus = e.find('+'); plus != std::string::npos) e = e.substr(0, plus);
  return e;
}

struct Identities {
  std::vector<std::string> names;   // normalised
  std::vector<std::string> emails;  // normalised
};

Identities IdentitiesOf(const KeyringEntry& e) {
  Identities ids;
  auto add = [&](const Author& a) {
    if (!a.name.empty()) ids.names.push_back(NormalName(a.name));
    if (!a.email.empty()) ids.emails.push_back(NormalEmail(a.email));
  };
  add(Author{e.name, e.email});
  for (const auto& text : e.identities) add(ParseAuthor(text));
  return ids;
}

// Which identity of `ids` the author has, exactly.
std::optional<std::string> ExactMatch(const Author& author, const Identities& ids) {
  if (!author.email.empty()) {
    std::string e = NormalEmail(author.email);
    for (const auto& mine : ids.emails)
      if (mine == e) return "e-mail " + mine;
  }
  if (!author.name.empty()) {
    std::string n = NormalName(author.name);
    for (const auto& mine : ids.names)
      if (mine == n) return "name '" + mine + "'";
  }
  return std::nullopt;
}

}  // namespace

Author ParseAuthor(const std::string& s) {
  Author a;
  auto lt = s.find('<');
  auto gt = s.find('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    a.email = Trim(s.substr(lt + 1, gt - lt - 1));
    a.name = Trim(s.substr(0, lt));
  } else if (s.find('@') != std::string::npos) {
    a.email = Trim(s);
  } else {
    a.name = Trim(s);
  }
  return a;
}

std::optional<std::string> SamePerson(const Author& author, const KeyringEntry& signer, const Keyring& keyring) {
  // Whom the keyring says the author is.
  bool author_known = false;
  for (const auto& entry : keyring.entries()) {
    auto m = ExactMatch(author, IdentitiesOf(entry));
    if (!m) continue;
    author_known = true;
    if (entry.name == signer.name) return "the author's " + *m + " is an identity of '" + signer.name + "'";
  }
  if (author_known) return std::nullopt;
  // An author the keyring does not know: compare conservatively.
  Identities ids = IdentitiesOf(signer);
  if (auto m = ExactMatch(author, ids)) return "the author's " + *m + " is an identity of '" + signer.name + "'";
  std::string local = LocalPart(author.email);
  if (!local.empty())
    for (const auto& mine : ids.emails)
      if (LocalPart(mine) == local)
        return "the author's e-mail local part '" + local + "' is that of '" + signer.name + "' (" + mine +
               "), and the keyring does not know the author";
  return std::nullopt;
}

Author HeadAuthor(const std::string& path, std::string* commit_out) {
  Author a;
  auto head = git::Head(path);
  if (!head) return a;
  a.name = head->author_name;
  a.email = head->author_email;
  if (commit_out != nullptr) *commit_out = head->id;
  return a;
}

std::string Waiver::SigningText() const {
  Json body{{"service", service}, {"repository", repository}, {"branch", branch},
            {"gate", gate},       {"finding", fingerprint},     {"reason", reason},
            {"expires", expires}, {"issued", issued},           {"approver", approver},
            {"key", key}};
  return std::string(kWaiverDomain) + Canon(body);
}

Json Waiver::ToEvent() const {
  Json e{{"type", "waiver"},   {"service", service}, {"gate", gate},         {"finding", fingerprint},
         {"reason", reason},   {"expires", expires}, {"issued", issued},     {"approver", approver},
         {"key", key},         {"signature", signature}, {"actor", approver},
         {"subject", service + "/" + gate + "/" + fingerprint}};
  if (!repository.empty()) e["repository"] = repository;
  if (!branch.empty()) e["branch"] = branch;
  return e;
}

Result<Waiver> Waiver::FromEvent(const Json& event) {
  Waiver w;
  TG_TRY(ReadFields(event, "waiver",
                    {{"service", &w.service}, {"gate", &w.gate}, {"finding", &w.fingerprint}, {"reason", &w.reason},
                     {"expires", &w.expires}, {"issued", &w.issued}, {"approver", &w.approver}, {"key", &w.key},
                     {"signature", &w.signature}},
                    &w.seq));
  for (auto [key, out] : {std::pair{"repository", &w.repository}, std::pair{"branch", &w.branch}}) {
    auto it = event.find(key);
    if (it == event.end()) continue;
    if (!it->is_string()) return Fail(Error::Input(std::string("waiver: \"") + key + "\" must be a string"));
    *out = it->get<std::string>();
  }
  return w;
}

namespace {

Json BaselineBody(const Baseline& b) {
  Json findings = Json::array();
  for (const auto& f : b.findings) findings.push_back(Json{{"fingerprint", f.fingerprint}, {"rule", f.rule}, {"file", f.file}});
  return Json{{"service", b.service}, {"gate", b.gate},       {"findings", std::move(findings)},
              {"reason", b.reason},   {"expires", b.expires}, {"issued", b.issued},
              {"approver", b.approver}, {"role", b.role},     {"key", b.key},
              {"part", b.part},       {"parts", b.parts}};
}

}  // namespace

std::string Baseline::SigningText() const {
  auto c = Canonicalize(BaselineBody(*this));  // file names from a scan: may hold invalid UTF-8
  return c ? std::string(kBaselineDomain) + *c : std::string();
}

Json Baseline::ToEvent() const {
  Json e = BaselineBody(*this);
  e["type"] = "baseline";
  e["signature"] = signature;
  e["count"] = findings.size();
  e["actor"] = approver;
  e["subject"] = service + "/" + gate + "/baseline";
  return e;
}

Result<Baseline> Baseline::FromEvent(const Json& event) {
  Baseline b;
  TG_TRY(ReadFields(event, "baseline",
                    {{"service", &b.service}, {"gate", &b.gate}, {"reason", &b.reason}, {"expires", &b.expires},
                     {"issued", &b.issued}, {"approver", &b.approver}, {"role", &b.role}, {"key", &b.key},
                     {"signature", &b.signature}},
                    &b.seq));
  for (auto [key, out] : {std::pair{"part", &b.part}, std::pair{"parts", &b.parts}}) {
    auto it = event.find(key);
    if (it == event.end() || !it->is_number_unsigned())
      return Fail(Error::Input(std::string("baseline: \"") + key + "\" must be a whole number"));
    *out = it->get<std::uint64_t>();
  }
  auto fs = event.find("findings");
  if (fs == event.end() || !fs->is_array()) return Fail(Error::Input("baseline: \"findings\" must be a list"));
  for (const auto& f : *fs) {
    BaselineEntry entry;
    std::uint64_t no_seq = 0;
    TG_TRY(ReadFields(f, "baseline finding",
                      {{"fingerprint", &entry.fingerprint}, {"rule", &entry.rule}, {"file", &entry.file}}, &no_seq));
    b.findings.push_back(std::move(entry));
  }
  return b;
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

Result<std::string> ParseExpiry(const std::string& text, TimePoint now) {
  if (auto d = ParseDuration(text)) return FormatRfc3339(now + *d);
  if (auto at = ParseExpiry(text)) return at;
  return Fail(Error::Input("--expires: '" + text + "' is not a date (YYYY-MM-DD), an RFC 3339 time or a duration (90d, 12w)"));
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
Baseline SignBaseline(Baseline b, const SignerKey& key) { return SignRecord(std::move(b), key); }
Approval SignApproval(Approval a, const SignerKey& key) { return SignRecord(std::move(a), key); }

namespace {

// What a waiver and a baseline are judged on: the same checks, in the same
// order, whichever it is (`what` names it in the reasons).
struct BypassClaim {
  const char* what;
  const std::string& service;
  const std::string& repository;
  const std::string& branch;
  const std::string& key;
  const std::string& approver;
  const std::string& signing_text;
  const std::string& signature;
  const std::string& expires;
};

Verdict JudgeBypass(const BypassClaim& c, const Keyring& keyring, const std::vector<std::string>& bypass_roles,
                    const Author* author, TimePoint now, const WaiverScope* scope) {
  Verdict v;
  if (c.service.empty()) {
    v.reason = std::string("the ") + c.what + " names no service";
    return v;
  }
  const KeyringEntry* e = CheckSigner(c.key, c.approver, c.signing_text, c.signature, keyring, v);
  if (e == nullptr) return v;
  if (c.service == kAllServices && !e->HasRole(kAllServicesRole)) {
    v.reason = std::string("a ") + c.what + " for all services needs the '" + kAllServicesRole + "' role, which '" +
               e->name + "' does not hold";
    return v;
  }
  if (scope != nullptr) {
    if (c.service != kAllServices && c.service != scope->service) {
      v.reason = "recorded for service '" + c.service + "', not '" + scope->service + "'";
      return v;
    }
    if (!c.repository.empty() && c.repository != scope->repository) {
      v.reason = "recorded for repository '" + c.repository + "', not '" + scope->repository + "'";
      return v;
    }
    if (!c.branch.empty() && c.branch != scope->branch) {
      v.reason = "recorded for branch '" + c.branch + "', not '" + scope->branch + "'";
      return v;
    }
  }
  bool has_role = std::any_of(bypass_roles.begin(), bypass_roles.end(), [&](const auto& r) { return e->HasRole(r); });
  if (!has_role) {
    std::string roles;
    for (const auto& r : bypass_roles) roles += (roles.empty() ? "" : ", ") + r;
    v.reason = "'" + e->name + "' holds none of the gate's bypass roles (" + roles + ")";
    return v;
  }
  auto expires = ParseRfc3339(c.expires);
  if (!expires) {
    v.reason = "malformed expiry";
    return v;
  }
  if (now >= *expires) {
    v.reason = "expired " + c.expires;
    return v;
  }
  if (author != nullptr && !author->known()) {
    v.reason = "the change's author is unknown, so four-eyes cannot be checked (pass --author)";
    return v;
  }
  if (author != nullptr) {
    if (auto same = SamePerson(*author, *e, keyring)) {
      v.reason = "four-eyes: '" + e->name + "' is the author of the change (" + *same + ")";
      return v;
    }
  }
  v.accepted = true;
  v.reason = "signed by '" + e->name + "', valid until " + c.expires;
  return v;
}

}  // namespace

Verdict JudgeWaiver(const Waiver& w, const Keyring& keyring, const std::vector<std::string>& bypass_roles,
                    const Author* author, TimePoint now, const WaiverScope* scope) {
  const std::string text = w.SigningText();
  return JudgeBypass(BypassClaim{"waiver", w.service, w.repository, w.branch, w.key, w.approver, text, w.signature,
                                 w.expires},
                     keyring, bypass_roles, author, now, scope);
}

Verdict JudgeBaseline(const Baseline& b, const Keyring& keyring, const std::vector<std::string>& bypass_roles,
                      const Author* author, TimePoint now, const WaiverScope* scope) {
  static const std::string kNone;  // a baseline is never narrowed to a repository or branch
  const std::string text = b.SigningText();
  if (text.empty()) return Verdict{false, "the baseline cannot be put in canonical form"};
  return JudgeBypass(BypassClaim{"baseline", b.service, kNone, kNone, b.key, b.approver, text, b.signature, b.expires},
                     keyring, bypass_roles, author, now, scope);
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
    if (auto same = SamePerson(author, *e, keyring)) {
      v.reason = "four-eyes: '" + e->name + "' is the author of the change (" + *same + ")";
      return v;
    }
  }
  v.accepted = true;
  v.reason = "approved by '" + e->name + "'";
  return v;
}

}  // namespace tollgate::gate
