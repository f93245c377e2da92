#include "ledger/ledger.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <ostream>
#include <span>
#include <unordered_map>

#include <openssl/rand.h>

#include "core/stream_file.h"
#include "core/json_stream.h"
#include "ledger/merkle.h"
#include "ledger/pg.h"

namespace tollgate::ledger {
namespace {

constexpr std::string_view kBundleFormat = "tollgate-ledger-bundle/1";
constexpr std::size_t kMaxEventBytes = 1 << 20;
// meta "created_by": how the ledger came to be (docs/ledger-format.md).
constexpr const char* kCreatedByInit = "ledger init";
constexpr const char* kCreatedByWrite = "first write";

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

// "entry 7: ..." or "entries 3..7: ...".
std::string RangeError(std::uint64_t first, std::uint64_t last, const std::string& what) {
  if (first >= last) return IndexError(last, what);
  return "entries " + std::to_string(first) + ".." + std::to_string(last) + ": " + what;
}

// A stored node that does not match the entries below it. With the leaf
// hashes intact, the changed entry was named already; here one of them was
// changed together with its leaf hash (or the node itself was), and levels
// below kStoredLevel are not stored, so the culprit is known only to lie
// among the node's entries at or after the last verified checkpoint.
std::string NodeMismatch(unsigned level, std::uint64_t index, std::uint64_t verified_below) {
  std::uint64_t first = index << level;
  std::uint64_t last = first + (std::uint64_t{1} << level) - 1;
  std::uint64_t lo = std::max(first, verified_below);
  return RangeError(lo, last, std::string(lo < last ? "one of these entries was" : "it was") +
                                  " changed and its leaf hash rewritten, or the tree node was: the stored tree node "
                                  "over entries " +
                                  std::to_string(first) + ".." + std::to_string(last) + " does not match them");
}

// Checks one checkpoint against a recomputed root and its signature.
// `verified_below`: the size of the last checkpoint that verified, so that a
// root mismatch names the entries that can be at fault.
Status CheckCheckpoint(const StoredCheckpoint& c, const std::string& origin, const Hash256& recomputed,
                       const VerifyOptions& opts, std::uint64_t verified_below = 0) {
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
  if (recomputed != c.root && c.size == 0)
    return Fail(Error::Integrity(at + ": its root is not the root of the empty log"));
  if (recomputed != c.root) {
    // Entries below the last checkpoint that verified are as it signed them.
    std::uint64_t lo = std::min(verified_below, c.size - 1);
    return Fail(Error::Integrity(RangeError(lo, c.size - 1,
                                            std::string(lo + 1 < c.size ? "one of these entries was" : "it was") +
                                                " changed, inserted, removed or reordered: " + at +
                                                ": root does not match the entries")));
  }
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

// A stored entry as written: its body re-hashes to its leaf hash, holds its
// own seq, and its stored type is the body's.
Status CheckEntry(const StoredEntry& e) {
  if (LeafHash(AsBytes(e.body)) != e.leaf_hash)
    return Fail(Error::Integrity(IndexError(e.seq, "content does not match its leaf hash (changed)")));
  TG_TRY(CheckEntryBody(e.seq, e.body));
  return CheckEntryType(e.seq, e.body, e.type);
}

// meta "head": "<size> <hex root>", the log as the last write left it. Not
// signed and not evidence: it anchors the write path's tail check in a ledger
// with no signed checkpoint, and lets verify notice entries removed after it.
struct Head {
  std::uint64_t size = 0;
  Hash256 root{};
};

std::string HeadText(std::uint64_t size, const Hash256& root) { return std::to_string(size) + " " + HexEncode(root); }

Result<std::optional<Head>> ReadHead(LedgerStore& store) {
  auto text = store.GetMeta("head");
  if (!text) return Fail(text.error());
  if (!text->has_value()) return std::optional<Head>();  // written by a Tollgate before the head record
  const std::string& t = **text;
  Head h;
  std::size_t sp = t.find(' ');
  auto [p, ec] = std::from_chars(t.data(), t.data() + (sp == std::string::npos ? t.size() : sp), h.size);
  auto root = sp == std::string::npos ? std::nullopt : HashFromHex(t.substr(sp + 1));
  if (ec != std::errc() || p != t.data() + sp || !root)
    return Fail(Error::Integrity("the head record in the ledger's metadata is malformed"));
  h.root = *root;
  return std::optional<Head>(h);
}

// The log no longer holds what the last write left.
Status CheckHead(const Head& head, std::uint64_t size, const Hash256& root_at_head_size) {
  if (head.size > size)
    return Fail(Error::Integrity(IndexError(size, "missing: the last write left " + std::to_string(head.size) +
                                                      " entries but the ledger holds " + std::to_string(size))));
  if (root_at_head_size != head.root)
    return Fail(Error::Integrity(RangeError(0, head.size == 0 ? 0 : head.size - 1,
                                            "changed since the last write: their root is not the one it recorded")));
  return Ok();
}

// A saved checkpoint, parsed, and its signature checked against the trusted
// keys when there are any.
Result<Checkpoint> ParseSaved(const SavedCheckpoint& saved, const VerifyOptions& opts) {
  auto note = ParseNote(saved.text);
  auto cp = ParseCheckpointText(note ? std::string_view(note->text) : std::string_view(saved.text));
  if (!cp) return Fail(Error::Input(saved.name + ": not a checkpoint: " + cp.error().message()));
  if (cp->size == 0 && cp->root != EmptyRoot())
    return Fail(Error::Input(saved.name + ": not a checkpoint: the root of an empty log is SHA-256 of nothing"));
  if (!opts.trusted_keys.empty()) {
    if (!note)
      return Fail(Error::Integrity(saved.name + ": the saved checkpoint carries no valid signature block, and " +
                                   "a trusted key must have signed it"));
    bool signed_by_trusted = std::any_of(opts.trusted_keys.begin(), opts.trusted_keys.end(),
                                         [&](const VerifierKey& k) { return NoteVerifiedBy(*note, k); });
    if (!signed_by_trusted)
      return Fail(Error::Integrity(saved.name + ": the saved checkpoint is not signed by a trusted key (altered, or "
                                                "signed by another key)"));
  }
  return cp;
}

// Proves that a log of `size` entries with root `root` (recomputed from its
// entries) extends a saved checkpoint, as a Certificate Transparency monitor
// does: same origin, at least as long, and an RFC 9162 consistency proof
// computed from `src` that VerifyConsistency, which shares no code with the
// prover, accepts for the saved root and the recomputed one.
Status CheckExtends(const SavedCheckpoint& saved, const Checkpoint& cp, const std::string& origin, std::uint64_t size,
                    const Hash256& root, const std::optional<Hash256>& root_at_saved_size, SubtreeSource& src,
                    VerifyReport& rep) {
  const std::string what = "the saved checkpoint " + saved.name + " (size " + std::to_string(cp.size) + ")";
  if (cp.origin != origin)
    return Fail(Error::Integrity(what + " is of the log " + cp.origin + ", but this ledger is " +
                                 (origin.empty() ? "of no named log" : origin) + ": the ledger was replaced"));
  if (cp.size > size)
    return Fail(Error::Integrity(IndexError(size, "missing: " + what + " covers " + std::to_string(cp.size) +
                                                      " entries but the ledger holds " + std::to_string(size) +
                                                      " (shortened)")));
  rep.extends_size = cp.size;
  rep.extends_name = saved.name;
  if (cp.size == 0) return Ok();  // an empty log is a prefix of every log of its origin
  auto proof = ledger::ConsistencyProof(src, cp.size, size);
  if (!proof) return Fail(proof.error());
  if (auto ok = VerifyConsistency(cp.size, size, cp.root, root, *proof); !ok) {
    std::string why = root_at_saved_size && *root_at_saved_size != cp.root
                          ? "the first " + std::to_string(cp.size) + " entries no longer have its root (rewritten or replaced)"
                          : ok.error().message();
    return Fail(Error::Integrity(RangeError(0, cp.size - 1, "the ledger does not extend " + what + ": " + why)));
  }
  rep.extends_proof_hashes = proof->size();
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

namespace {

Result<std::unique_ptr<LedgerStore>> OpenStore(const std::string& location, OpenMode mode) {
  return pg::IsUrl(location) ? OpenPostgresStore(location, mode) : OpenSqliteStore(location, mode);
}

StoredCheckpoint MakeCheckpoint(const std::string& origin, std::uint64_t size, const Hash256& root,
                                const SignerKey& signer, const Clock& clock) {
  Checkpoint cp{origin, size, root};
  return StoredCheckpoint{cp.size, cp.root, SignNote(CheckpointText(cp), signer), signer.verifier().ToString(),
                          FormatRfc3339(clock.Now())};
}

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& location, OpenMode mode, const Clock& clock) {
  auto store = OpenStore(location, mode);
  if (!store) return Fail(store.error());
  auto l = std::make_unique<Ledger>(std::move(*store), clock);
  l->location_ = location;
  if (l->store_->Creating()) return l;
  // A ledger is never without its origin: the write that creates it records
  // it. And one with no entries and no checkpoint was made by `ledger init`,
  // since a first write always appends.
  auto origin = l->store_->GetMeta("origin");
  if (!origin) return Fail(origin.error());
  if (!origin->has_value())
    return Fail(Error::Integrity(location + ": a ledger with no origin: its metadata was removed, or an older Tollgate "
                                            "opened it and never wrote (remove it deliberately and run `tollgate ledger init`)"));
  auto size = l->store_->Size();
  if (!size) return Fail(size.error());
  if (*size == 0) {
    auto by = l->store_->GetMeta("created_by");
    if (!by) return Fail(by.error());
    auto last = l->store_->LastCheckpoint();
    if (!last) return Fail(last.error());
    if (by->value_or("") != kCreatedByInit && !last->has_value())
      return Fail(Error::Integrity(location + ": holds no entries, but was not created empty by `ledger init`: its "
                                              "entries were removed"));
  }
  return l;
}

Result<std::unique_ptr<Ledger>> Ledger::Init(const std::string& location, const Clock& clock, const SignerKey* signer) {
  auto store = OpenStore(location, OpenMode::kInit);
  if (!store) return Fail(store.error());
  auto l = std::make_unique<Ledger>(std::move(*store), clock);
  l->location_ = location;
  auto made = l->InTransaction<bool>([&]() -> Result<bool> {
    auto origin = l->EnsureOrigin(kCreatedByInit);
    if (!origin) return Fail(origin.error());
    if (signer != nullptr) TG_TRY(l->store_->PutCheckpoint(MakeCheckpoint(*origin, 0, EmptyRoot(), *signer, clock)));
    TG_TRY(l->store_->PutMeta("head", HeadText(0, EmptyRoot())));
    return true;
  });
  if (!made) return Fail(made.error());
  l->verified_ = CompactRange();
  return l;
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

Result<std::string> Ledger::EnsureOrigin(const char* created_by) {
  if (store_->Creating()) {
    std::string origin = "tollgate/ledger/" + RandomHex(8);
    TG_TRY(store_->PutMeta("origin", origin));
    TG_TRY(store_->PutMeta("created", FormatRfc3339(clock_.Now())));
    TG_TRY(store_->PutMeta("created_by", created_by));
    return origin;
  }
  auto o = store_->GetMeta("origin");
  if (!o) return Fail(o.error());
  if (!o->has_value()) return Fail(Error::Integrity(location_ + ": a ledger with no origin: its metadata was removed"));
  return **o;
}

Result<std::string> Ledger::Origin() {
  auto o = store_->GetMeta("origin");
  if (!o) return Fail(o.error());
  return o->value_or("");
}

Error Ledger::Damaged(const Error& e) const {
  if (e.code() != ErrorCode::kIntegrity) return e;
  return Error::Integrity((location_.empty() ? "" : location_ + ": ") + e.message() +
                          "; refusing to extend a damaged ledger, nothing was written (run `tollgate ledger verify`)");
}

template <typename T, typename F>
Result<T> Ledger::InTransaction(F&& write) {
  for (int attempt = 0;; ++attempt) {
    TG_TRY(store_->BeginWrite());
    Result<T> result = write();
    if (!result) {
      store_->Rollback();
      return result;
    }
    Status committed = store_->Commit();
    if (committed) return result;
    if (attempt == 0 && store_->TakeCreationRace()) continue;
    return Fail(committed.error());
  }
}

Result<CompactRange> Ledger::CheckTail(std::uint64_t size, const std::string& origin) {
  StoreSubtrees src(*store_);
  CompactRange range;
  std::uint64_t from = 0;
  auto last = store_->LastCheckpoint();
  if (!last) return Fail(last.error());
  if (last->has_value()) {
    const StoredCheckpoint& cp = **last;
    if (cp.size > size)
      return Fail(Error::Integrity(IndexError(size, "missing: a checkpoint covers " + std::to_string(cp.size) +
                                                        " entries but the ledger holds " + std::to_string(size))));
    auto at = CompactRange::AtSize(src, cp.size);
    if (!at) return Fail(at.error());
    TG_TRY(CheckCheckpoint(cp, origin, at->Root(), VerifyOptions{}));
    range = std::move(*at);
    from = cp.size;
  }
  auto head = ReadHead(*store_);
  if (!head) return Fail(head.error());
  if (head->has_value()) {
    if ((*head)->size > size) TG_TRY(CheckHead(**head, size, Hash256{}));
    auto at = CompactRange::AtSize(src, (*head)->size);
    if (!at) return Fail(at.error());
    TG_TRY(CheckHead(**head, size, at->Root()));
    // With no signed checkpoint, the head anchors the tail: re-hashing the
    // whole log on every write would cost O(n) per append.
    if (!last->has_value()) {
      range = std::move(*at);
      from = range.size();
    }
  }
  const std::uint64_t signed_size = from;
  // What this Ledger checked or wrote itself, if the log still has its root.
  if (verified_ && verified_->size() > from && verified_->size() <= size) {
    auto again = RangeHash(src, 0, verified_->size());
    if (!again) return Fail(again.error());
    if (*again != verified_->Root())
      return Fail(Error::Integrity(RangeError(from, verified_->size() - 1,
                                              "changed since this process checked them (the stored tree no longer "
                                              "gives their root)")));
    range = *verified_;
    from = range.size();
  }
  Status problem = Ok();
  auto sink = [&](unsigned level, std::uint64_t index, const Hash256& h) {
    if (level < kStoredLevel || !problem) return;
    auto stored = store_->GetNode(level, index);
    if (!stored) {
      problem = Fail(stored.error());
    } else if (!stored->has_value() || **stored != h) {
      problem = Fail(Error::Integrity(NodeMismatch(level, index, signed_size)));
    }
  };
  std::uint64_t expected = from;
  TG_TRY(store_->ScanEntries(from, 0, "", [&](const StoredEntry& e) {
    if (e.seq != expected) {
      problem = Fail(Error::Integrity(IndexError(expected, "missing (the next stored entry is " + std::to_string(e.seq) + ")")));
      return false;
    }
    problem = CheckEntry(e);
    if (!problem) return false;
    range.Append(e.leaf_hash, sink);
    ++expected;
    return static_cast<bool>(problem);
  }));
  TG_TRY(problem);
  if (expected != size) return Fail(Error::Integrity(IndexError(expected, "missing")));
  return range;
}

Result<std::vector<AppendedEntry>> Ledger::Append(std::vector<Json> events, const SignerKey* signer) {
  // Check everything before taking the write lock: a bad event leaves the
  // ledger as it was.
  for (std::size_t i = 0; i < events.size(); ++i) TG_TRY(ValidateEvent(events[i], "event " + std::to_string(i + 1)));
  return WriteBatch([&]() -> Result<std::vector<Json>*> { return &events; }, signer, /*sign_empty=*/true);
}

Result<std::vector<AppendedEntry>> Ledger::AppendChecked(const PrepareFn& prepare, const SignerKey* signer) {
  std::vector<Json> batch;
  return WriteBatch(
      [&]() -> Result<std::vector<Json>*> {
        auto prepared = prepare();  // each event is validated as it is written
        if (!prepared) return Fail(prepared.error());
        batch = std::move(*prepared);
        return &batch;
      },
      signer, /*sign_empty=*/false);
}

Result<std::vector<AppendedEntry>> Ledger::WriteBatch(const std::function<Result<std::vector<Json>*>()>& source,
                                                      const SignerKey* signer, bool sign_empty) {
  std::vector<AppendedEntry> out;
  auto r = WriteStream(
      [&](const EmitFn& emit) -> Status {
        auto got = source();
        if (!got) return Fail(got.error());
        out.reserve((*got)->size());
        for (Json& e : **got) {
          e.erase("seq");  // assigned by an earlier try of this transaction, if it was redone
          TG_TRY(emit(e));
        }
        return Ok();
      },
      signer, sign_empty, &out);
  if (!r) return Fail(r.error());
  return out;
}

Result<Ledger::StreamSummary> Ledger::AppendStream(const ProduceFn& produce, const SignerKey* signer) {
  return WriteStream(produce, signer, /*sign_empty=*/false, nullptr);
}

Result<Ledger::StreamSummary> Ledger::WriteStream(const ProduceFn& produce, const SignerKey* signer, bool sign_empty,
                                                  std::vector<AppendedEntry>* out) {
  std::string now = FormatRfc3339(clock_.Now(), true);
  std::optional<CompactRange> written;
  bool nothing_to_create = false;
  // Runs again if another writer created the ledger first: `produce` is asked
  // again then, so a check sees that writer's entries.
  auto result = InTransaction<StreamSummary>([&]() -> Result<StreamSummary> {
    if (out != nullptr) out->clear();
    auto origin = EnsureOrigin(kCreatedByWrite);
    if (!origin) return Fail(origin.error());
    auto size = store_->Size();
    if (!size) return Fail(size.error());
    auto range = CheckTail(*size, *origin);
    if (!range) return Fail(Damaged(range.error()));
    verified_ = *range;  // a check inside `produce` reads the log just verified, under the write lock
    Status node_status = Ok();
    auto sink = [&](unsigned level, std::uint64_t index, const Hash256& h) {
      if (level >= kStoredLevel && node_status) node_status = store_->PutNode(level, index, h);
    };
    StreamSummary summary;
    StoredEntry row;
    const EmitFn emit = [&](Json& e) -> Status {
      const std::string where = "event " + std::to_string(summary.appended + 1);
      TG_TRY(ValidateEvent(e, where));
      if (!e.contains("time")) e["time"] = now;
      row.seq = *size + summary.appended;
      e["seq"] = row.seq;
      auto body = Canonicalize(e);
      if (!body) return Fail(body.error().WithContext(where));
      if (body->size() > kMaxEventBytes) return Fail(Error::Input(where + ": larger than 1 MiB"));
      row.body = std::move(*body);
      row.type = e["type"].get<std::string>();
      row.leaf_hash = LeafHash(AsBytes(row.body));
      TG_TRY(store_->PutEntry(row));
      range->Append(row.leaf_hash, sink);
      TG_TRY(node_status);
      if (out != nullptr) out->push_back({row.seq, row.leaf_hash});
      if (summary.appended == 0) summary.first_seq = row.seq;
      summary.last_seq = row.seq;
      ++summary.appended;
      return Ok();
    };
    TG_TRY(produce(emit));
    const SignerKey* sign = summary.appended == 0 && !sign_empty ? nullptr : signer;
    if (summary.appended == 0 && sign == nullptr) {
      // Nothing to record: leave the head as it is, and do not leave behind
      // an empty ledger nobody asked for.
      if (store_->Creating()) {
        nothing_to_create = true;
        return Fail(Error::Internal("rolled back: nothing to append"));
      }
      return summary;
    }
    if (sign != nullptr)
      TG_TRY(store_->PutCheckpoint(MakeCheckpoint(*origin, range->size(), range->Root(), *sign, clock_)));
    TG_TRY(store_->PutMeta("head", HeadText(range->size(), range->Root())));
    written = std::move(*range);
    return summary;
  });
  if (nothing_to_create) return StreamSummary{};
  if (result && written) verified_ = std::move(written);
  if (!result) verified_.reset();
  return result;
}

Result<StoredCheckpoint> Ledger::SignCheckpoint(const SignerKey& signer) {
  std::optional<CompactRange> checked;
  auto result = InTransaction<StoredCheckpoint>([&]() -> Result<StoredCheckpoint> {
    auto origin = EnsureOrigin(kCreatedByWrite);
    if (!origin) return Fail(origin.error());
    auto size = store_->Size();
    if (!size) return Fail(size.error());
    auto range = CheckTail(*size, *origin);
    if (!range) return Fail(Damaged(range.error()));
    StoredCheckpoint sc = MakeCheckpoint(*origin, range->size(), range->Root(), signer, clock_);
    TG_TRY(store_->PutCheckpoint(sc));
    TG_TRY(store_->PutMeta("head", HeadText(range->size(), range->Root())));
    checked = std::move(*range);
    return sc;
  });
  if (result) verified_ = std::move(checked);
  return result;
}

Result<std::uint64_t> Ledger::Size() { return store_->Size(); }

Result<Hash256> Ledger::RootAt(std::uint64_t size) {
  StoreSubtrees src(*store_);
  return RangeHash(src, 0, size);
}

Status Ledger::Scan(std::uint64_t from, std::uint64_t limit, const std::string& type,
                    const std::function<bool(const StoredEntry&)>& fn) {
  Status problem = Ok();
  std::uint64_t expected = from;
  TG_TRY(store_->ScanEntries(from, limit, type, [&](const StoredEntry& e) {
    if (type.empty() && e.seq != expected) {
      problem = Fail(Error::Integrity(IndexError(expected, "missing (the next stored entry is " + std::to_string(e.seq) + ")")));
      return false;
    }
    ++expected;
    problem = CheckEntry(e);
    return problem && fn(e);
  }));
  if (!problem && !location_.empty()) return Fail(problem.error().WithContext(location_));
  return problem;
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

namespace {

// The checks after every entry and checkpoint matched: trust, the saved
// checkpoint, the signed head. `src` yields subtrees of the verified log.
Status FinishVerify(const VerifyOptions& opts, const std::optional<Checkpoint>& saved,
                    const std::optional<Hash256>& root_at_saved_size, SubtreeSource& src, VerifyReport& rep) {
  if (!opts.trusted_keys.empty() && rep.checkpoints_verified == 0)
    return Fail(Error::Integrity(rep.size == 0 ? "no checkpoint signed by a trusted key (the ledger is empty)"
                                               : "no checkpoint signed by a trusted key"));
  rep.unsigned_entries = rep.size - (rep.checkpoints_verified > 0 ? rep.latest_checkpoint_size : 0);
  if (saved) TG_TRY(CheckExtends(*opts.extends, *saved, rep.origin, rep.size, rep.root, root_at_saved_size, src, rep));
  if (opts.require_signed_head) {
    if (rep.checkpoints_verified == 0)
      return Fail(Error::Integrity("no signed checkpoint: none of the " + std::to_string(rep.size) +
                                   " entries is covered by a signature (--require-signed-head)"));
    if (rep.unsigned_entries > 0)
      return Fail(Error::Integrity(RangeError(rep.latest_checkpoint_size, rep.size - 1,
                                              "after the last signed checkpoint (at size " +
                                                  std::to_string(rep.latest_checkpoint_size) +
                                                  "), covered by no signature (--require-signed-head)")));
  }
  return Ok();
}

}  // namespace

Result<VerifyReport> Ledger::Verify(const VerifyOptions& opts) {
  VerifyReport rep;
  std::optional<Checkpoint> saved;
  if (opts.extends) {
    auto parsed = ParseSaved(*opts.extends, opts);
    if (!parsed) return Fail(parsed.error());
    saved = *parsed;
  }
  std::optional<Hash256> root_at_saved_size;
  auto origin = Origin();
  if (!origin) return Fail(origin.error());
  rep.origin = *origin;
  auto head = ReadHead(*store_);
  if (!head) return Fail(head.error());
  std::optional<Hash256> root_at_head_size;
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
    if (saved && saved->size == size) root_at_saved_size = range.Root();
    if (*head && (*head)->size == size) root_at_head_size = range.Root();
    while (problem && next_cp < cps->size() && (*cps)[next_cp].size == size) {
      problem = CheckCheckpoint((*cps)[next_cp], *origin, range.Root(), opts, rep.latest_checkpoint_size);
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
    if (it == nodes.end() || it->second != h) {
      problem = Fail(Error::Integrity(NodeMismatch(level, index, rep.latest_checkpoint_size)));
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
    problem = CheckEntry(e);
    if (!problem) return false;
    range.Append(e.leaf_hash, sink);
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
  if (*head) TG_TRY(CheckHead(**head, expected, root_at_head_size.value_or(Hash256{})));
  rep.size = expected;
  rep.root = range.Root();
  StoreSubtrees src(*store_);
  TG_TRY(FinishVerify(opts, saved, root_at_saved_size, src, rep));
  return rep;
}

Result<VerifyReport> VerifyLedger(const std::string& location, const VerifyOptions& opts, const Clock& clock) {
  if (opts.extends) {  // a malformed or forged saved checkpoint is reported first
    auto parsed = ParseSaved(*opts.extends, opts);
    if (!parsed) return Fail(parsed.error());
  }
  auto l = Ledger::Open(location, OpenMode::kExisting, clock);
  if (!l) {
    if (l.error().code() != ErrorCode::kNotFound || (!opts.extends && opts.trusted_keys.empty())) return Fail(l.error());
    std::string why = opts.extends ? "the saved checkpoint " + opts.extends->name + " shows that one existed"
                                   : "one signed by the trusted key is expected";
    return Fail(Error::Integrity(location + ": no ledger here, but " + why + " (deleted or moved)"));
  }
  auto rep = (*l)->Verify(opts);
  if (!rep) return Fail(rep.error().WithContext(location));
  return rep;
}

namespace {

// `text` (nlohmann's dump(1) of a value) as it reads nested `depth` levels
// deep in a document dumped with indent 1. JSON strings hold no raw newline,
// so every newline starts a line of the value.
std::string Indented(const std::string& text, std::size_t depth) {
  std::string out;
  out.reserve(text.size() + depth * 8);
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out.append(depth, ' ');
  }
  return out;
}

}  // namespace

Result<ExportSummary> Ledger::ExportBundle(const std::function<Status(std::string_view)>& write) {
  // The bundle is written as nlohmann's dump(1) of the whole document would
  // write it (members in alphabetical order, one space per level), one
  // member and one entry at a time, so that memory stays flat.
  auto origin = Origin();
  if (!origin) return Fail(origin.error());
  // Entries and checkpoints of one size: a writer appending meanwhile adds
  // nothing to the bundle.
  auto stored = store_->Size();
  if (!stored) return Fail(stored.error());
  auto cps = store_->Checkpoints();
  if (!cps) return Fail(cps.error());
  Json checkpoints = Json::array();
  Json keys = Json::array();
  for (const auto& c : *cps) {
    if (c.size > *stored) continue;
    checkpoints.push_back(Json{{"size", c.size}, {"root", HashHex(c.root)}, {"note", c.note}, {"key", c.key}, {"created", c.created}});
    if (std::find(keys.begin(), keys.end(), c.key) == keys.end()) keys.push_back(c.key);
  }
  ExportSummary summary;
  summary.checkpoints = checkpoints.size();
  TG_TRY(write("{\n \"checkpoints\": " + Indented(checkpoints.dump(1), 1) + ",\n \"entries\": ["));
  checkpoints = Json();
  Status problem = Ok();
  std::uint64_t count = 0;
  std::string text;
  if (*stored > 0) {
    TG_TRY(store_->ScanEntries(0, *stored, "", [&](const StoredEntry& e) {
      auto parsed = ParseJson(e.body, "entry " + std::to_string(e.seq));
      if (!parsed) {
        problem = Fail(Error::Integrity(parsed.error().message()));
        return false;
      }
      Json item{{"seq", e.seq}, {"leaf_hash", HashHex(e.leaf_hash)}, {"entry", std::move(*parsed)}};
      text.assign(count == 0 ? "\n  " : ",\n  ");
      text += Indented(item.dump(1), 2);
      problem = write(text);
      ++count;
      return static_cast<bool>(problem);
    }));
  }
  TG_TRY(problem);
  auto root = RootAt(count);
  if (!root) return Fail(root.error());
  summary.size = count;
  TG_TRY(write(std::string(count > 0 ? "\n ]" : "]") + ",\n \"format\": " + Json(kBundleFormat).dump() +
               ",\n \"keys\": " + Indented(keys.dump(1), 1) + ",\n \"origin\": " + Json(*origin).dump() +
               ",\n \"root\": " + Json(HashHex(*root)).dump() + ",\n \"size\": " + std::to_string(count) + "\n}\n"));
  return summary;
}

Result<ExportSummary> Ledger::ExportToFile(const std::string& path) {
  auto out = AtomicFileWriter::Create(path);
  if (!out) return Fail(out.error());
  auto summary = ExportBundle([&](std::string_view piece) { return out->Write(piece); });
  if (!summary) return summary;  // the temporary file goes, `path` is untouched
  TG_TRY(out->Commit());
  return summary;
}

Result<Json> Ledger::Export() {
  std::string text;
  auto summary = ExportBundle([&](std::string_view piece) {
    text.append(piece);
    return Ok();
  });
  if (!summary) return Fail(summary.error());
  return ParseJson(text, "bundle");
}

namespace {

// Perfect subtrees of a bundle's tree kept while its leaves stream past, for
// the consistency proof from a saved checkpoint of size m to the bundle's
// size n (unknown until the end): the frontier of m (the subtree of each set
// bit of m), the perfect subtree starting where each level's boundary at m
// rounds up to (the right siblings along m's path), and the latest subtree of
// each level (the frontier of n). That is O(log n) hashes; every subtree an
// RFC 9162 consistency proof from m to n asks for is among them.
class StreamedSubtrees final : public SubtreeSource {
 public:
  explicit StreamedSubtrees(std::uint64_t m) : m_(m) {}

  void Add(unsigned level, std::uint64_t index, const Hash256& h) {
    if (level >= 64) return;
    const std::uint64_t width = std::uint64_t{1} << level;
    const bool frontier_of_m = ((m_ >> level) & 1) != 0 && index == (m_ >> level) - 1;
    const bool right_of_m = index == (m_ + width - 1) >> level;
    if (frontier_of_m || right_of_m) kept_[{level, index}] = h;
    latest_[level] = {index, h};
  }

  Result<Hash256> PerfectSubtree(std::uint64_t begin, unsigned level) override {
    if (level >= 64) return Fail(Error::Internal("subtree level out of range"));
    const std::uint64_t index = begin >> level;
    if (auto it = kept_.find({level, index}); it != kept_.end()) return it->second;
    if (auto it = latest_.find(level); it != latest_.end() && it->second.first == index) return it->second.second;
    return Fail(Error::Internal("bundle: subtree " + std::to_string(level) + "/" + std::to_string(index) +
                                " was not kept for the consistency proof"));
  }

 private:
  std::uint64_t m_;
  std::map<std::pair<unsigned, std::uint64_t>, Hash256> kept_;
  std::map<unsigned, std::pair<std::uint64_t, Hash256>> latest_;
};

// Verifies a bundle fed to it member by member and entry by entry, holding
// the checkpoints and O(log n) hashes, never the entries. Problems are
// recorded and reported by Finish() in the order a check of the whole
// document makes them: the document's shape (format, entries, checkpoints),
// the saved checkpoint, then, in the order of the log, each checkpoint at its
// size and each entry, then truncation, the claimed root, trust.
class BundleChecker {
 public:
  explicit BundleChecker(const VerifyOptions& opts) : opts_(opts) {
    if (opts.extends) {
      auto parsed = ParseSaved(*opts.extends, opts);
      if (!parsed) saved_error_ = parsed.error();
      else {
        saved_ = *parsed;
        subtrees_.emplace(saved_->size);
      }
    }
  }

  void NotAnObject() { not_object_ = true; }

  void Member(const std::string& key, Json value) {
    if (key == "format") format_ok_ = value.is_string() && value.get_ref<const std::string&>() == kBundleFormat;
    else if (key == "origin") origin_ = value.is_string() ? value.get<std::string>() : std::string();
    else if (key == "root") claimed_root_ = std::move(value);
    else if (key == "checkpoints") SetCheckpoints(value);
  }

  // The "entries" member starts: false when its items need not be read.
  bool EntriesBegin(bool is_array) {
    entries_seen_ = true;
    entries_array_ = is_array;
    return is_array;
  }
  bool HaveCheckpoints() const { return checkpoints_seen_; }
  // Items are worth reading: the shape so far allows them, none failed yet.
  bool ReadingEntries() const { return !entry_error_ && !checkpoint_error_ && !saved_error_; }

  void Entry(const Json& item) {
    if (!ReadingEntries()) return;
    if (range_.size() == 0) RootsAt(0);
    const std::uint64_t i = range_.size();
    if (!item.is_object() || !item.contains("entry") || !item["entry"].is_object()) {
      entry_error_ = Error::Integrity(IndexError(i, "malformed bundle item"));
      return;
    }
    auto body = Canonicalize(item["entry"]);
    if (!body) {
      entry_error_ = Error::Integrity(IndexError(i, body.error().message()));
      return;
    }
    if (auto s = CheckEntryBody(i, *body); !s) {
      entry_error_ = s.error();
      return;
    }
    Hash256 leaf = LeafHash(AsBytes(*body));
    if (item.contains("leaf_hash")) {
      auto claimed = item["leaf_hash"].is_string() ? HashFromHex(item["leaf_hash"].get<std::string>()) : std::nullopt;
      if (!claimed || *claimed != leaf) {
        entry_error_ = Error::Integrity(IndexError(i, "content does not match its leaf hash (changed)"));
        return;
      }
    }
    if (subtrees_) {
      range_.Append(leaf, [&](unsigned level, std::uint64_t index, const Hash256& h) { subtrees_->Add(level, index, h); });
    } else {
      range_.Append(leaf);
    }
    RootsAt(range_.size());
  }

  Result<VerifyReport> Finish() {
    auto bad = [](const std::string& m) { return Fail(Error::Input("bundle: " + m)); };
    if (not_object_) return bad("not a JSON object");
    if (!format_ok_) return bad("format is not " + std::string(kBundleFormat));
    if (!entries_seen_ || !entries_array_) return bad("\"entries\" must be an array");
    if (!checkpoints_seen_ || !checkpoints_array_) return bad("\"checkpoints\" must be an array");
    if (checkpoint_error_) return Fail(*checkpoint_error_);
    if (saved_error_) return Fail(*saved_error_);
    if (range_.size() == 0) RootsAt(0);

    VerifyReport rep;
    rep.origin = origin_;
    std::size_t next_cp = 0;
    for (; next_cp < cps_.size() && cps_[next_cp].size <= range_.size(); ++next_cp) {
      TG_TRY(CheckCheckpoint(cps_[next_cp], origin_, roots_[next_cp], opts_, rep.latest_checkpoint_size));
      ++rep.checkpoints_verified;
      rep.latest_checkpoint_size = cps_[next_cp].size;
    }
    if (entry_error_) return Fail(*entry_error_);
    if (next_cp < cps_.size())
      return Fail(Error::Integrity(IndexError(range_.size(), "missing: a checkpoint covers " + std::to_string(cps_[next_cp].size) +
                                                                 " entries but the bundle holds " + std::to_string(range_.size()))));
    rep.size = range_.size();
    rep.root = range_.Root();
    if (!claimed_root_.is_discarded()) {
      auto claimed = claimed_root_.is_string() ? HashFromHex(claimed_root_.get<std::string>()) : std::nullopt;
      if (!claimed || *claimed != rep.root) return Fail(Error::Integrity("bundle: root does not match its entries"));
    }
    StreamedSubtrees none(0);
    SubtreeSource& src = subtrees_ ? static_cast<SubtreeSource&>(*subtrees_) : none;
    TG_TRY(FinishVerify(opts_, saved_, root_at_saved_size_, src, rep));
    return rep;
  }

 private:
  void SetCheckpoints(const Json& list) {
    checkpoints_seen_ = true;
    checkpoints_array_ = list.is_array();
    if (!checkpoints_array_) return;
    for (const auto& c : list) {
      if (!c.is_object() || !c.contains("size") || !c["size"].is_number_unsigned() || !c.contains("note") ||
          !c["note"].is_string() || !c.contains("key") || !c["key"].is_string() || !c.contains("root") ||
          !c["root"].is_string()) {
        checkpoint_error_ = Error::Integrity("bundle: malformed checkpoint");
        return;
      }
      StoredCheckpoint sc;
      sc.size = c["size"].get<std::uint64_t>();
      auto root = HashFromHex(c["root"].get<std::string>());
      if (!root) {
        checkpoint_error_ = Error::Integrity("bundle: checkpoint root is not a hex hash");
        return;
      }
      sc.root = *root;
      sc.note = c["note"].get<std::string>();
      sc.key = c["key"].get<std::string>();
      cps_.push_back(std::move(sc));
    }
    std::stable_sort(cps_.begin(), cps_.end(), [](const auto& a, const auto& b) { return a.size < b.size; });
    roots_.assign(cps_.size(), Hash256{});
  }

  // The log has reached `size` entries: remember its root for the
  // checkpoints (and the saved checkpoint) of that size.
  void RootsAt(std::uint64_t size) {
    while (next_root_ < cps_.size() && cps_[next_root_].size < size) ++next_root_;
    bool needed = saved_ && saved_->size == size;
    for (std::size_t j = next_root_; j < cps_.size() && cps_[j].size == size; ++j) needed = true;
    if (!needed) return;
    Hash256 root = range_.Root();
    if (saved_ && saved_->size == size) root_at_saved_size_ = root;
    for (; next_root_ < cps_.size() && cps_[next_root_].size == size; ++next_root_) roots_[next_root_] = root;
  }

  const VerifyOptions& opts_;
  bool not_object_ = false;
  bool format_ok_ = false;
  bool entries_seen_ = false, entries_array_ = false;
  bool checkpoints_seen_ = false, checkpoints_array_ = false;
  std::string origin_;
  Json claimed_root_ = Json::value_t::discarded;
  std::vector<StoredCheckpoint> cps_;  // by size
  std::vector<Hash256> roots_;         // the recomputed root at each one's size
  std::size_t next_root_ = 0;
  std::optional<Error> checkpoint_error_, saved_error_, entry_error_;
  std::optional<Checkpoint> saved_;
  std::optional<Hash256> root_at_saved_size_;
  std::optional<StreamedSubtrees> subtrees_;
  CompactRange range_;
};

// Feeds a bundle file to a BundleChecker as it is read. Tollgate writes the
// members in alphabetical order, so the checkpoints come before the entries
// and one pass does; when a bundle has them the other way round, the first
// pass skips the entries and a second pass reads only them.
class BundleStream final : public JsonStreamHandler {
 public:
  BundleStream(BundleChecker& c, bool entries_pass) : c_(c), entries_pass_(entries_pass) {}

  Take Begin(const JsonPath& path, Type type) override {
    if (path.empty()) {
      if (type == Type::kObject) return Take::kEnter;
      if (!entries_pass_) c_.NotAnObject();
      return Take::kSkip;
    }
    const std::string& key = path[0].key;
    if (path.size() == 1) {
      if (key == "entries") {
        if (entries_pass_) return type == Type::kArray ? Take::kEnter : Take::kSkip;
        if (!c_.EntriesBegin(type == Type::kArray)) return Take::kSkip;
        if (!c_.HaveCheckpoints()) {
          deferred_ = true;
          return Take::kSkip;
        }
        return c_.ReadingEntries() ? Take::kEnter : Take::kSkip;
      }
      if (entries_pass_) return Take::kSkip;
      if (key == "checkpoints" || key == "format" || key == "origin" || key == "root") return Take::kValue;
      return Take::kSkip;
    }
    if (path.size() == 2 && key == "entries") return c_.ReadingEntries() ? Take::kValue : Take::kSkip;
    return Take::kSkip;
  }

  Status Value(const JsonPath& path, Json value) override {
    if (path.size() == 1) c_.Member(path[0].key, std::move(value));
    else c_.Entry(value);
    return Ok();
  }

  bool deferred() const { return deferred_; }

 private:
  BundleChecker& c_;
  bool entries_pass_;
  bool deferred_ = false;
};

}  // namespace

Result<VerifyReport> VerifyBundle(const Json& bundle, const VerifyOptions& opts) {
  BundleChecker c(opts);
  if (!bundle.is_object()) {
    c.NotAnObject();
    return c.Finish();
  }
  for (const char* key : {"format", "origin", "root", "checkpoints"})
    if (auto it = bundle.find(key); it != bundle.end()) c.Member(key, *it);
  if (auto it = bundle.find("entries"); it != bundle.end() && c.EntriesBegin(it->is_array())) {
    for (const Json& item : *it) {
      if (!c.ReadingEntries()) break;
      c.Entry(item);
    }
  }
  return c.Finish();
}

Result<VerifyReport> VerifyBundleFile(const std::string& path, const VerifyOptions& opts) {
  BundleChecker c(opts);
  BundleStream first(c, /*entries_pass=*/false);
  TG_TRY(StreamJsonFile(path, first));
  if (first.deferred() && c.HaveCheckpoints() && c.ReadingEntries()) {
    BundleStream second(c, /*entries_pass=*/true);
    TG_TRY(StreamJsonFile(path, second));
  }
  auto rep = c.Finish();
  if (!rep) return Fail(rep.error().WithContext(path));
  return rep;
}

std::optional<std::string> ReservedTypeCommand(std::string_view type) {
  struct Reserved {
    std::string_view type;
    std::string_view command;
  };
  static constexpr Reserved kReserved[] = {
      {"deploy", "`tollgate event deploy` or `tollgate event import`"},
      {"change", "`tollgate event change` or `tollgate event import`"},
      {"incident", "`tollgate event incident` or `tollgate event import`"},
      {"waiver", "`tollgate waive`"},
      {"baseline", "`tollgate baseline create`"},
      {"approval", "`tollgate approve`"},
      {"canary.judgement", "`tollgate canary judge`"},
      {"gate", "`tollgate gate`"},
      {"admission", "`tollgate admission review --record` or the service's admission endpoint"},
  };
  // Compared without regard to ASCII case, so "Deploy" does not pass for a
  // free type while a reader or a reviewer takes it for a deploy.
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  for (const auto& r : kReserved)
    if (lower == r.type) return std::string(r.command);
  if (lower.rfind("gate.", 0) == 0) return std::string("`tollgate gate`");
  if (lower.rfind("waiver.", 0) == 0) return std::string("the service's waiver-request API (POST /api/v1/waiver-requests)");
  return std::nullopt;
}

Result<std::vector<Json>> ReadEventBatch(std::istream& in, const std::string& name) {
  std::vector<Json> events;
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string where = name + ":" + std::to_string(lineno);
    if (lineno == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0)
      return Fail(Error::Input(where + ":1: a byte order mark (U+FEFF) before the JSON Lines: save them as UTF-8 "
                                       "without one"));
    std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (line[first] != '{')
      return Fail(Error::Input(where + ":" + std::to_string(first + 1) + ": expected a JSON object, one per line"));
    auto j = ParseJson(line, name);
    if (!j) {
      // The line was parsed alone, so its errors say line 1: name the real one.
      std::string msg = j.error().message();
      std::string alone = name + ":1:";
      if (msg.rfind(alone, 0) == 0) msg = where + ":" + msg.substr(alone.size());
      return Fail(Error::Input(msg));
    }
    TG_TRY(Ledger::ValidateEvent(*j, where));
    const auto& type = (*j)["type"].get_ref<const std::string&>();
    if (auto command = ReservedTypeCommand(type))
      return Fail(Error::Input(where + ": type \"" + type + "\" is reserved: record it with " + *command +
                               ", which check it before it enters the ledger"));
    events.push_back(std::move(*j));
  }
  if (in.bad()) return Fail(Error::Io(name + ": read error"));
  if (events.empty()) return Fail(Error::Input(name + ": no events (expected JSON Lines, one object per line)"));
  return events;
}

}  // namespace tollgate::ledger
