#include "ledger/ledger.h"

#include <algorithm>
#include <charconv>
#include <ostream>
#include <unordered_map>

#include <openssl/rand.h>

#include "ledger/merkle.h"

namespace tollgate::ledger {
namespace {

constexpr std::string_view kBundleFormat = "tollgate-ledger-bundle/1";
constexpr std::size_t kMaxEventBytes = 1 << 20;

// Perfect subtree hashes from a store: stored nodes from kStoredLevel up,
// recomputed from leaf hashes below it (or when a node row is missing).
class StoreSubtrees final : public SubtreeSource {
 public:
  explicit StoreSubtrees(LedgerStore& store) : store_(store) {}

  Result<Hash256> PerfectSubtree(std::uint64_t begin, unsigned level) override {
    if (level >= kStoredLevel) {
      auto n = store_.GetNode(level, begin >> level);
      if (!n) return Fail(n.error());
      if (n->has_value()) return **n;
      std::uint64_t half = std::uint64_t{1} << (level - 1);
      auto l = PerfectSubtree(begin, level - 1);
      if (!l) return l;
      auto r = PerfectSubtree(begin + half, level - 1);
      if (!r) return r;
      return NodeHash(*l, *r);
    }
    std::uint64_t count = std::uint64_t{1} << level;
    auto leaves = store_.GetLeafHashes(begin, begin + count);
    if (!leaves) return Fail(leaves.error());
    if (leaves->size() != count)
      return Fail(Error::Integrity("entry " + std::to_string(begin + leaves->size()) + " is missing"));
    return RootFromLeafHashes(*leaves);
  }

 private:
  LedgerStore& store_;
};

// Returns the raw JSON text of a top-level member of a canonical JSON object
// (no whitespace), or an empty view. Cheap: no allocation, no DOM. Nested
// objects are skipped, so a nested "seq" never matches.
std::string_view TopLevelMember(std::string_view obj, std::string_view key) {
  std::size_t i = 0;
  const std::size_t n = obj.size();
  auto skip_string = [&](std::size_t& p) -> bool {  // p at opening quote
    ++p;
    while (p < n) {
      if (obj[p] == '\\') {
        p += 2;
      } else if (obj[p] == '"') {
        ++p;
        return true;
      } else {
        ++p;
      }
    }
    return false;
  };
  if (n < 2 || obj[0] != '{') return {};
  i = 1;
  while (i < n && obj[i] == '"') {
    std::size_t kstart = i + 1;
    if (!skip_string(i)) return {};
    std::string_view k = obj.substr(kstart, i - 1 - kstart);
    if (i >= n || obj[i] != ':') return {};
    ++i;
    std::size_t vstart = i;
    int depth = 0;
    while (i < n) {
      char c = obj[i];
      if (c == '"') {
        if (!skip_string(i)) return {};
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (depth == 0) break;
        --depth;
      }
      if (c == ',' && depth == 0) break;
      ++i;
    }
    if (k == key) return obj.substr(vstart, i - vstart);
    if (i < n && obj[i] == ',') ++i;
  }
  return {};
}

std::string RandomHex(std::size_t bytes) {
  Bytes b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return "0000000000000000";
  return HexEncode(b);
}

std::string IndexError(std::uint64_t seq, const std::string& what) {
  return "entry " + std::to_string(seq) + ": " + what;
}

// Checks one checkpoint against a recomputed root and its signature.
Status CheckCheckpoint(const StoredCheckpoint& c, const std::string& origin, const Hash256& recomputed,
                       const VerifyOptions& opts) {
  std::string at = "checkpoint at size " + std::to_string(c.size);
  auto note = ParseNote(c.note);
  if (!note) return Fail(Error::Integrity(at + ": " + note.error().message()));
  auto cp = ParseCheckpointText(note->text);
  if (!cp) return Fail(Error::Integrity(at + ": " + cp.error().message()));
  if (cp->size != c.size || cp->root != c.root)
    return Fail(Error::Integrity(at + ": the signed note does not match the stored size and root"));
  if (!origin.empty() && cp->origin != origin)
    return Fail(Error::Integrity(at + ": signed for another log (" + cp->origin + ")"));
  auto key = VerifierKey::Parse(c.key);
  if (!key) return Fail(Error::Integrity(at + ": " + key.error().message()));
  if (!opts.trusted_keys.empty()) {
    bool trusted = std::any_of(opts.trusted_keys.begin(), opts.trusted_keys.end(),
                               [&](const VerifierKey& t) { return t.ToString() == key->ToString(); });
    if (!trusted) return Fail(Error::Integrity(at + ": signed by " + key->name() + ", which is not a trusted key"));
  }
  if (!NoteVerifiedBy(*note, *key))
    return Fail(Error::Integrity(at + ": signature by " + key->name() + " does not verify"));
  if (recomputed != c.root)
    return Fail(Error::Integrity(at + ": root does not match the entries (an entry below index " +
                                 std::to_string(c.size) + " was changed, inserted, removed or reordered)"));
  return Ok();
}

// Checks that the stored type column (used for look-ups) is the body's type.
Status CheckEntryType(std::uint64_t seq, std::string_view body, const std::string& type) {
  std::string_view raw = TopLevelMember(body, "type");
  bool same = raw.size() == type.size() + 2 && raw.front() == '"' && raw.back() == '"' &&
              raw.substr(1, type.size()) == type;
  if (!same && raw.find('\\') != std::string_view::npos) {
    auto parsed = ParseJson(raw, "type");
    same = parsed && parsed->is_string() && parsed->get_ref<const std::string&>() == type;
  }
  if (!same) return Fail(Error::Integrity(IndexError(seq, "stored type does not match the entry's type")));
  return Ok();
}

// Checks an entry body: its embedded seq equals its position.
Status CheckEntryBody(std::uint64_t seq, std::string_view body) {
  std::string_view raw = TopLevelMember(body, "seq");
  std::uint64_t embedded = 0;
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), embedded);
  if (raw.empty() || ec != std::errc() || p != raw.data() + raw.size())
    return Fail(Error::Integrity(IndexError(seq, "body has no valid seq")));
  if (embedded != seq)
    return Fail(Error::Integrity(IndexError(seq, "holds the entry recorded as " + std::to_string(embedded) +
                                                     " (entries were reordered, inserted or removed)")));
  return Ok();
}

}  // namespace

std::string HashHex(const Hash256& h) { return HexEncode(h); }

std::string CheckpointText(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + Base64Encode(c.root) + "\n";
}

Result<Checkpoint> ParseCheckpointText(std::string_view text) {
  Checkpoint c;
  auto next_line = [&](std::string_view& rest, std::string_view& line) -> bool {
    std::size_t eol = rest.find('\n');
    if (eol == std::string_view::npos) return false;
    line = rest.substr(0, eol);
    rest.remove_prefix(eol + 1);
    return true;
  };
  std::string_view rest = text, line;
  if (!next_line(rest, line) || line.empty()) return Fail(Error::Input("checkpoint: missing origin line"));
  c.origin = std::string(line);
  if (!next_line(rest, line)) return Fail(Error::Input("checkpoint: missing size line"));
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), c.size);
  if (line.empty() || ec != std::errc() || p != line.data() + line.size() || (line.size() > 1 && line[0] == '0'))
    return Fail(Error::Input("checkpoint: size is not a decimal number"));
  if (!next_line(rest, line)) return Fail(Error::Input("checkpoint: missing root line"));
  auto root = Base64Decode(line);
  if (!root || root->size() != 32) return Fail(Error::Input("checkpoint: root is not base64 of 32 bytes"));
  std::copy(root->begin(), root->end(), c.root.begin());
  return c;  // further lines are extensions, which we carry but do not interpret
}

Ledger::Ledger(std::unique_ptr<LedgerStore> store, const Clock& clock) : store_(std::move(store)), clock_(clock) {}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& location, OpenMode mode, const Clock& clock) {
  if (location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0)
    return Fail(Error::Input(location.substr(0, location.find(':')) +
                             ": the PostgreSQL ledger backend is not built in this version; use a SQLite path"));
  auto store = OpenSqliteStore(location, mode);
  if (!store) return Fail(store.error());
  return std::make_unique<Ledger>(std::move(*store), clock);
}

Status Ledger::ValidateEvent(const Json& event, const std::string& where) {
  if (!event.is_object()) return Fail(Error::Input(where + ": an event must be a JSON object"));
  auto t = event.find("type");
  if (t == event.end() || !t->is_string() || t->get_ref<const std::string&>().empty())
    return Fail(Error::Input(where + ": an event needs a non-empty string \"type\""));
  if (event.contains("seq")) return Fail(Error::Input(where + ": \"seq\" is reserved: the ledger assigns it"));
  auto time = event.find("time");
  if (time != event.end()) {
    if (!time->is_string()) return Fail(Error::Input(where + ": \"time\" must be an RFC 3339 string"));
    auto parsed = ParseRfc3339(time->get_ref<const std::string&>());
    if (!parsed) return Fail(parsed.error().WithContext(where + ": \"time\""));
  }
  return Ok();
}

Result<std::string> Ledger::EnsureOrigin() {
  auto o = store_->GetMeta("origin");
  if (!o) return Fail(o.error());
  if (o->has_value()) return **o;
  std::string origin = "tollgate/ledger/" + RandomHex(8);
  TG_TRY(store_->PutMeta("origin", origin));
  return origin;
}

Result<std::string> Ledger::Origin() {
  auto o = store_->GetMeta("origin");
  if (!o) return Fail(o.error());
  return o->value_or("");
}

Result<std::vector<AppendedEntry>> Ledger::Append(std::vector<Json> events, const SignerKey* signer) {
  // Check everything before touching the store: a bad event leaves the
  // ledger as it was.
  std::string now = FormatRfc3339(clock_.Now(), true);
  for (std::size_t i = 0; i < events.size(); ++i) {
    TG_TRY(ValidateEvent(events[i], "event " + std::to_string(i + 1)));
    if (!events[i].contains("time")) events[i]["time"] = now;
  }
  std::vector<Json>& prepared = events;

  TG_TRY(store_->BeginWrite());
  auto run = [&]() -> Result<std::vector<AppendedEntry>> {
    auto origin = EnsureOrigin();
    if (!origin) return Fail(origin.error());
    auto size = store_->Size();
    if (!size) return Fail(size.error());
    StoreSubtrees src(*store_);
    auto range = CompactRange::AtSize(src, *size);
    if (!range) return Fail(range.error());
    std::vector<AppendedEntry> out;
    out.reserve(prepared.size());
    Status node_status = Ok();
    auto sink = [&](unsigned level, std::uint64_t index, const Hash256& h) {
      if (level >= kStoredLevel && node_status) node_status = store_->PutNode(level, index, h);
    };
    StoredEntry row;
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      Json& e = prepared[i];
      row.seq = *size + i;
      e["seq"] = row.seq;
      auto body = Canonicalize(e);
      if (!body) return Fail(body.error().WithContext("event " + std::to_string(i + 1)));
      if (body->size() > kMaxEventBytes)
        return Fail(Error::Input("event " + std::to_string(i + 1) + ": larger than 1 MiB"));
      row.body = std::move(*body);
      row.type = e["type"].get<std::string>();
      row.leaf_hash = LeafHash(AsBytes(row.body));
      TG_TRY(store_->PutEntry(row));
      range->Append(row.leaf_hash, sink);
      TG_TRY(node_status);
      out.push_back({row.seq, row.leaf_hash});
    }
    if (signer != nullptr) {
      Checkpoint cp{*origin, range->size(), range->Root()};
      StoredCheckpoint sc{cp.size, cp.root, SignNote(CheckpointText(cp), *signer), signer->verifier().ToString(),
                          FormatRfc3339(clock_.Now())};
      TG_TRY(store_->PutCheckpoint(sc));
    }
    return out;
  };
  auto result = run();
  if (!result) {
    store_->Rollback();
    return result;
  }
  TG_TRY(store_->Commit());
  return result;
}

Result<StoredCheckpoint> Ledger::SignCheckpoint(const SignerKey& signer) {
  TG_TRY(store_->BeginWrite());
  auto run = [&]() -> Result<StoredCheckpoint> {
    auto origin = EnsureOrigin();
    if (!origin) return Fail(origin.error());
    auto size = store_->Size();
    if (!size) return Fail(size.error());
    auto root = RootAt(*size);
    if (!root) return Fail(root.error());
    Checkpoint cp{*origin, *size, *root};
    StoredCheckpoint sc{cp.size, cp.root, SignNote(CheckpointText(cp), signer), signer.verifier().ToString(),
                        FormatRfc3339(clock_.Now())};
    TG_TRY(store_->PutCheckpoint(sc));
    return sc;
  };
  auto result = run();
  if (!result) {
    store_->Rollback();
    return result;
  }
  TG_TRY(store_->Commit());
  return result;
}

Result<std::uint64_t> Ledger::Size() { return store_->Size(); }

Result<Hash256> Ledger::RootAt(std::uint64_t size) {
  StoreSubtrees src(*store_);
  return RangeHash(src, 0, size);
}

Status Ledger::Scan(std::uint64_t from, std::uint64_t limit, const std::string& type,
                    const std::function<bool(const StoredEntry&)>& fn) {
  return store_->ScanEntries(from, limit, type, fn);
}

Result<std::vector<Hash256>> Ledger::InclusionProof(std::uint64_t index, std::uint64_t size) {
  StoreSubtrees src(*store_);
  return ledger::InclusionProof(src, index, size);
}

Result<std::vector<Hash256>> Ledger::ConsistencyProof(std::uint64_t size1, std::uint64_t size2) {
  StoreSubtrees src(*store_);
  return ledger::ConsistencyProof(src, size1, size2);
}

Result<Hash256> Ledger::LeafHashAt(std::uint64_t index) {
  auto l = store_->GetLeafHashes(index, index + 1);
  if (!l) return Fail(l.error());
  if (l->empty()) return Fail(Error::NotFound("no entry " + std::to_string(index)));
  return l->front();
}

Result<VerifyReport> Ledger::Verify(const VerifyOptions& opts) {
  VerifyReport rep;
  auto origin = Origin();
  if (!origin) return Fail(origin.error());
  auto cps = store_->Checkpoints();
  if (!cps) return Fail(cps.error());
  std::unordered_map<std::uint64_t, Hash256> nodes;
  TG_TRY(store_->ScanNodes([&](unsigned level, std::uint64_t index, const Hash256& h) {
    nodes.emplace((std::uint64_t{level} << 56) | index, h);
  }));

  CompactRange range;
  std::size_t next_cp = 0;
  std::size_t nodes_seen = 0;
  Status problem = Ok();
  auto check_checkpoints_at = [&](std::uint64_t size) {
    while (problem && next_cp < cps->size() && (*cps)[next_cp].size == size) {
      problem = CheckCheckpoint((*cps)[next_cp], *origin, range.Root(), opts);
      if (problem) {
        ++rep.checkpoints_verified;
        rep.latest_checkpoint_size = size;
      }
      ++next_cp;
    }
  };
  auto sink = [&](unsigned level, std::uint64_t index, const Hash256& h) {
    if (level < kStoredLevel || !problem) return;
    auto it = nodes.find((std::uint64_t{level} << 56) | index);
    std::uint64_t first = index << level;
    if (it == nodes.end() || it->second != h) {
      problem = Fail(Error::Integrity(IndexError(first, "the stored tree node over entries " + std::to_string(first) +
                                                            ".." + std::to_string(first + (std::uint64_t{1} << level) - 1) +
                                                            " does not match them")));
    } else {
      ++nodes_seen;
    }
  };
  check_checkpoints_at(0);
  std::uint64_t expected = 0;
  TG_TRY(store_->ScanEntries(0, 0, "", [&](const StoredEntry& e) {
    if (e.seq != expected) {
      problem = Fail(Error::Integrity(IndexError(expected, "missing (the next stored entry is " + std::to_string(e.seq) + ")")));
      return false;
    }
    Hash256 leaf = LeafHash(AsBytes(e.body));
    if (leaf != e.leaf_hash) {
      problem = Fail(Error::Integrity(IndexError(e.seq, "content does not match its leaf hash (changed)")));
      return false;
    }
    problem = CheckEntryBody(e.seq, e.body);
    if (problem) problem = CheckEntryType(e.seq, e.body, e.type);
    if (!problem) return false;
    range.Append(leaf, sink);
    ++expected;
    check_checkpoints_at(expected);
    return static_cast<bool>(problem);
  }));
  TG_TRY(problem);
  if (next_cp < cps->size()) {
    return Fail(Error::Integrity(IndexError(expected, "missing: a checkpoint covers " + std::to_string((*cps)[next_cp].size) +
                                                          " entries but the ledger holds " + std::to_string(expected))));
  }
  if (nodes_seen != nodes.size())
    return Fail(Error::Integrity("the ledger holds " + std::to_string(nodes.size() - nodes_seen) +
                                 " tree nodes beyond its entries"));
  if (!opts.trusted_keys.empty() && rep.checkpoints_verified == 0 && expected > 0)
    return Fail(Error::Integrity("no checkpoint signed by a trusted key"));
  rep.size = expected;
  rep.root = range.Root();
  return rep;
}

Result<Json> Ledger::Export() {
  Json bundle;
  auto origin = Origin();
  if (!origin) return Fail(origin.error());
  bundle["format"] = kBundleFormat;
  bundle["origin"] = *origin;
  Json entries = Json::array();
  Status problem = Ok();
  TG_TRY(store_->ScanEntries(0, 0, "", [&](const StoredEntry& e) {
    auto parsed = ParseJson(e.body, "entry " + std::to_string(e.seq));
    if (!parsed) {
      problem = Fail(Error::Integrity(parsed.error().message()));
      return false;
    }
    entries.push_back(Json{{"seq", e.seq}, {"leaf_hash", HashHex(e.leaf_hash)}, {"entry", std::move(*parsed)}});
    return true;
  }));
  TG_TRY(problem);
  auto size = static_cast<std::uint64_t>(entries.size());
  auto root = RootAt(size);
  if (!root) return Fail(root.error());
  bundle["size"] = size;
  bundle["root"] = HashHex(*root);
  auto cps = store_->Checkpoints();
  if (!cps) return Fail(cps.error());
  Json checkpoints = Json::array();
  Json keys = Json::array();
  for (const auto& c : *cps) {
    checkpoints.push_back(Json{{"size", c.size}, {"root", HashHex(c.root)}, {"note", c.note}, {"key", c.key}, {"created", c.created}});
    if (std::find(keys.begin(), keys.end(), c.key) == keys.end()) keys.push_back(c.key);
  }
  bundle["checkpoints"] = std::move(checkpoints);
  bundle["keys"] = std::move(keys);
  bundle["entries"] = std::move(entries);
  return bundle;
}

Result<VerifyReport> VerifyBundle(const Json& bundle, const VerifyOptions& opts) {
  auto bad = [](const std::string& m) { return Fail(Error::Input("bundle: " + m)); };
  if (!bundle.is_object()) return bad("not a JSON object");
  // Untrusted input: check every type before reading (value() would throw).
  auto text_of = [&](const char* key) -> std::string {
    auto it = bundle.find(key);
    return it != bundle.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (text_of("format") != kBundleFormat) return bad("format is not " + std::string(kBundleFormat));
  const std::string origin = text_of("origin");
  const auto& entries = bundle.find("entries");
  const auto& checkpoints = bundle.find("checkpoints");
  if (entries == bundle.end() || !entries->is_array()) return bad("\"entries\" must be an array");
  if (checkpoints == bundle.end() || !checkpoints->is_array()) return bad("\"checkpoints\" must be an array");

  std::vector<StoredCheckpoint> cps;
  for (const auto& c : *checkpoints) {
    if (!c.is_object() || !c.contains("size") || !c["size"].is_number_unsigned() || !c.contains("note") ||
        !c["note"].is_string() || !c.contains("key") || !c["key"].is_string() || !c.contains("root") || !c["root"].is_string())
      return Fail(Error::Integrity("bundle: malformed checkpoint"));
    StoredCheckpoint sc;
    sc.size = c["size"].get<std::uint64_t>();
    auto root = HashFromHex(c["root"].get<std::string>());
    if (!root) return Fail(Error::Integrity("bundle: checkpoint root is not a hex hash"));
    sc.root = *root;
    sc.note = c["note"].get<std::string>();
    sc.key = c["key"].get<std::string>();
    cps.push_back(std::move(sc));
  }
  std::sort(cps.begin(), cps.end(), [](const auto& a, const auto& b) { return a.size < b.size; });

  VerifyReport rep;
  CompactRange range;
  std::size_t next_cp = 0;
  auto check_checkpoints_at = [&](std::uint64_t size) -> Status {
    for (; next_cp < cps.size() && cps[next_cp].size == size; ++next_cp) {
      TG_TRY(CheckCheckpoint(cps[next_cp], origin, range.Root(), opts));
      ++rep.checkpoints_verified;
      rep.latest_checkpoint_size = size;
    }
    return Ok();
  };
  TG_TRY(check_checkpoints_at(0));
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Json& item = (*entries)[i];
    if (!item.is_object() || !item.contains("entry") || !item["entry"].is_object())
      return Fail(Error::Integrity(IndexError(i, "malformed bundle item")));
    auto body = Canonicalize(item["entry"]);
    if (!body) return Fail(Error::Integrity(IndexError(i, body.error().message())));
    TG_TRY(CheckEntryBody(i, *body));
    Hash256 leaf = LeafHash(AsBytes(*body));
    if (item.contains("leaf_hash")) {
      auto claimed = item["leaf_hash"].is_string() ? HashFromHex(item["leaf_hash"].get<std::string>()) : std::nullopt;
      if (!claimed || *claimed != leaf)
        return Fail(Error::Integrity(IndexError(i, "content does not match its leaf hash (changed)")));
    }
    range.Append(leaf);
    TG_TRY(check_checkpoints_at(range.size()));
  }
  if (next_cp < cps.size())
    return Fail(Error::Integrity(IndexError(range.size(), "missing: a checkpoint covers " + std::to_string(cps[next_cp].size) +
                                                              " entries but the bundle holds " + std::to_string(range.size()))));
  if (!opts.trusted_keys.empty() && rep.checkpoints_verified == 0 && range.size() > 0)
    return Fail(Error::Integrity("no checkpoint signed by a trusted key"));
  rep.size = range.size();
  rep.root = range.Root();
  if (bundle.contains("root")) {
    auto claimed = bundle["root"].is_string() ? HashFromHex(bundle["root"].get<std::string>()) : std::nullopt;
    if (!claimed || *claimed != rep.root) return Fail(Error::Integrity("bundle: root does not match its entries"));
  }
  return rep;
}

}  // namespace tollgate::ledger
