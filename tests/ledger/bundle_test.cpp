// Export bundles written and verified as streams (docs/ledger-format.md,
// "Export bundle"; issue 14, "Memory proportionate to the work").
#include <sys/wait.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/file.h"
#include "support/memory.h"
#include "test_support.h"

namespace tollgate::ledger {
namespace {

using test::Events;
using test::MustOpen;
using test::Sql;
using tollgate::testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `tollgate ARGS` under /usr/bin/time: its exit code and its own peak
// resident size in KiB. (A child forked from this test process would count
// the test's own pages until it execs; time's child does not.)
std::pair<int, long> RunMeasured(const TempDir& dir, const std::string& args) {
  const std::string rss = dir / "rss.txt";
  const std::string cmd = "/usr/bin/time -f %M -o '" + rss + "' '" + TOLLGATE_BINARY + "' " + args + " >/dev/null";
  int status = std::system(cmd.c_str());
  long kb = 0;
  std::ifstream(rss) >> kb;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, kb};
}

SignerKey TestKey() {
  auto k = SignerKey::Generate("bundle-test");
  EXPECT_TRUE(k.has_value());
  return *k;
}

// The bundle as the whole-document export wrote it before it streamed: one
// JSON value built from the store, dump(1), a newline. Built here from the
// ledger's public reads, not from the exporter.
std::string WholeDocumentBundle(Ledger& l, LedgerStore& store) {
  Json bundle;
  bundle["format"] = "tollgate-ledger-bundle/1";
  bundle["origin"] = *l.Origin();
  Json entries = Json::array();
  EXPECT_TRUE(l.Scan(0, 0, "", [&](const StoredEntry& e) {
    entries.push_back(Json{{"seq", e.seq}, {"leaf_hash", HashHex(e.leaf_hash)}, {"entry", Json::parse(e.body)}});
    return true;
  }));
  bundle["size"] = entries.size();
  bundle["root"] = HashHex(*l.RootAt(entries.size()));
  Json checkpoints = Json::array();
  Json keys = Json::array();
  auto cps = store.Checkpoints();
  EXPECT_TRUE(cps.has_value());
  for (const auto& c : *cps) {
    checkpoints.push_back(Json{{"size", c.size}, {"root", HashHex(c.root)}, {"note", c.note}, {"key", c.key}, {"created", c.created}});
    if (std::find(keys.begin(), keys.end(), c.key) == keys.end()) keys.push_back(c.key);
  }
  bundle["checkpoints"] = checkpoints;
  bundle["keys"] = keys;
  bundle["entries"] = entries;
  return bundle.dump(1) + "\n";
}

std::string Streamed(Ledger& l) {
  std::string text;
  auto s = l.ExportBundle([&](std::string_view piece) {
    text.append(piece);
    return Ok();
  });
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  return text;
}

// The streamed bundle is byte for byte the bundle of the whole-document
// export, for an empty log, one entry, and entries with nesting, non-ASCII
// text, escapes, numbers of every kind and two signers.
TEST(LedgerExport, StreamedBundleIsTheBytesOfTheWholeDocumentExport) {
  TempDir dir;
  auto key = TestKey();
  auto key2 = SignerKey::Generate("second");
  ASSERT_TRUE(key2.has_value());
  auto init = Ledger::Init(dir / "l.db", test::TestClock());
  ASSERT_TRUE(init.has_value());
  auto store = OpenSqliteStore(dir / "l.db", OpenMode::kExisting);
  ASSERT_TRUE(store.has_value());
  auto l = MustOpen(dir / "l.db", OpenMode::kExisting);
  EXPECT_EQ(Streamed(*l), WholeDocumentBundle(*l, **store));

  ASSERT_TRUE(l->Append({Json{{"type", "one"}}}, nullptr));
  EXPECT_EQ(Streamed(*l), WholeDocumentBundle(*l, **store));

  std::vector<Json> odd = {
      Json{{"type", "t"}, {"a", {{"b", Json::array({1, -2, 3.5, 1e-7, true, nullptr, Json::object(), Json::array()})}}}},
      Json{{"type", "t"}, {"text", "caf\u00e9 \u2014 \"quoted\"\n\ttab \\ \U0001F600"}},
      Json{{"type", "t"}, {"big", 9007199254740991}, {"neg", -9007199254740991}}};
  ASSERT_TRUE(l->Append(odd, &key));
  ASSERT_TRUE(l->Append(Events(40), &*key2));
  ASSERT_TRUE(l->Append(Events(3, 40), &key));
  std::string streamed = Streamed(*l);
  EXPECT_EQ(streamed, WholeDocumentBundle(*l, **store));
  EXPECT_TRUE(VerifyBundle(Json::parse(streamed), {}).has_value());
}

// The CLI writes the file atomically: an export that fails half-way (an entry
// body that no longer parses) leaves the previous file as it was and no
// temporary file beside it.
TEST(LedgerExport, FailedExportLeavesThePreviousFileAndNoTemporaryFile) {
  TempDir dir;
  auto l = MustOpen(dir / "l.db");
  ASSERT_TRUE(l->Append(Events(50), nullptr));
  ASSERT_TRUE(l->ExportToFile(dir / "b.json").has_value());
  std::string good = Slurp(dir / "b.json");
  EXPECT_EQ(good, Streamed(*l));
  l.reset();

  Sql(dir / "l.db", "UPDATE entries SET body = '{not json' WHERE seq = 30");
  auto again = MustOpen(dir / "l.db", OpenMode::kExisting);
  auto r = again->ExportToFile(dir / "b.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().exit_code(), ExitCode::kIntegrity) << r.error().message();
  EXPECT_EQ(Slurp(dir / "b.json"), good);
  for (const auto& f : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << f.path();
}

// `tollgate ledger export` of a ledger whose bundle is 60 MB stays far below
// what holding the bundle as one document took (about ten times its size):
// 18 MB measured, against 14 MB for `tollgate --help`.
TEST(LedgerExport, ExportMemoryDoesNotGrowWithTheLedger) {
  TempDir dir;
  {
    auto l = MustOpen(dir / "l.db");
    std::vector<Json> events;
    const std::string filler(1800, 'x');
    for (long i = 0; i < tollgate::testing::ScaledForAsan(30000); ++i)
      events.push_back(Json{{"type", "bulk"}, {"payload", {{"n", i}, {"pad", filler}}}});
    ASSERT_TRUE(l->Append(std::move(events), nullptr));
  }
  auto [code, peak] = RunMeasured(dir, "ledger export --ledger '" + (dir / "l.db") + "' --output '" + (dir / "b.json") + "'");
  ASSERT_EQ(code, 0);
  ASSERT_GT(std::filesystem::file_size(dir / "b.json"), tollgate::testing::kUnderAsan ? 5u << 20 : 55u << 20);
  EXPECT_LT(peak, tollgate::testing::RssLimitKb(40 * 1024)) << "peak RSS " << peak << " KiB";
}

void WriteText(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A signed ledger of 35 entries in two batches, exported to `file`.
std::string ExportSigned(TempDir& dir, const SignerKey& key, const std::string& file) {
  auto l = MustOpen(dir / "l.db");
  EXPECT_TRUE(l->Append(Events(30), &key));
  EXPECT_TRUE(l->Append(Events(5, 30), &key));
  EXPECT_TRUE(l->ExportToFile(dir / file).has_value());
  return Slurp(dir / file);
}

// The file is read as a stream and gives the report of the whole-document
// verifier; a changed entry is named, in the file as in memory.
TEST(BundleVerify, StreamedFileVerifiesAndNamesTheFirstChangedEntry) {
  TempDir dir;
  auto key = TestKey();
  std::string text = ExportSigned(dir, key, "b.json");
  VerifyOptions trusting;
  trusting.trusted_keys.push_back(key.verifier());
  auto streamed = VerifyBundleFile(dir / "b.json", trusting);
  ASSERT_TRUE(streamed.has_value()) << streamed.error().message();
  auto whole = VerifyBundle(Json::parse(text), trusting);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(streamed->size, 35u);
  EXPECT_EQ(streamed->root, whole->root);
  EXPECT_EQ(streamed->checkpoints_verified, 2u);
  EXPECT_EQ(streamed->latest_checkpoint_size, 35u);

  std::string changed = text;
  auto pos = changed.find("\"n\": 17");
  ASSERT_NE(pos, std::string::npos);
  changed.replace(pos, 7, "\"n\": 71");
  WriteText(dir / "c.json", changed);
  auto r = VerifyBundleFile(dir / "c.json", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().exit_code(), ExitCode::kIntegrity);
  EXPECT_EQ(r.error().message(), (dir / "c.json") + ": entry 17: content does not match its leaf hash (changed)");

  // Entries 3 and 4 swapped, leaf hashes and all: entry 3 holds entry 4.
  Json swapped = Json::parse(text);
  std::swap(swapped["entries"][3], swapped["entries"][4]);
  WriteText(dir / "s.json", swapped.dump(1));
  auto s = VerifyBundleFile(dir / "s.json", {});
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find(": entry 3: holds the entry recorded as 4"), std::string::npos) << s.error().message();

  // An entry removed from the end: the checkpoint at 35 covers it.
  Json removed = Json::parse(text);
  removed["entries"].erase(removed["entries"].begin() + 34);
  WriteText(dir / "r.json", removed.dump(1));
  auto m = VerifyBundleFile(dir / "r.json", {});
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message().find("entry 34: missing: a checkpoint covers 35 entries"), std::string::npos)
      << m.error().message();
}

// A bundle whose members are not in Tollgate's (alphabetical) order, entries
// before checkpoints, is read twice and verified the same; tampering that
// only a checkpoint reveals is still found.
TEST(BundleVerify, MembersInAnyOrderVerify) {
  TempDir dir;
  auto key = TestKey();
  std::string text = ExportSigned(dir, key, "b.json");
  Json sorted = Json::parse(text);
  nlohmann::ordered_json reordered;
  for (const char* k : {"entries", "size", "root", "origin", "keys", "format", "checkpoints"}) reordered[k] = sorted[k];
  WriteText(dir / "o.json", reordered.dump());
  auto ok = VerifyBundleFile(dir / "o.json", {});
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->checkpoints_verified, 2u);

  // Entry 17 changed together with its leaf hash: the checkpoint at 30 fails.
  Json item = reordered["entries"][17]["entry"];
  item["payload"]["n"] = 71;
  reordered["entries"][17]["entry"] = item;
  reordered["entries"][17]["leaf_hash"] = HexEncode(LeafHash(AsBytes(*Canonicalize(item))));
  WriteText(dir / "o.json", reordered.dump());
  auto bad = VerifyBundleFile(dir / "o.json", {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("checkpoint at size 30: root does not match the entries"), std::string::npos)
      << bad.error().message();
}

// "FILE:LINE:COLUMN" of a byte offset, counted here from the text.
std::string PositionIn(const std::string& name, const std::string& text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      ++column;
    }
  }
  return name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

// A truncated or malformed bundle is refused with one line naming where the
// reading stopped, at every place it can be cut; nothing is reported ok.
TEST(BundleVerify, TruncatedOrMalformedBundleIsRefusedWithItsPosition) {
  TempDir dir;
  auto key = TestKey();
  std::string text = ExportSigned(dir, key, "b.json");
  const std::string path = dir / "t.json";
  // Cut at the end of every line but the last (the closing brace).
  std::size_t cuts = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos && nl + 3 < text.size(); nl = text.find('\n', nl + 1)) {
    WriteText(path, text.substr(0, nl + 1));
    auto r = VerifyBundleFile(path, {});
    ASSERT_FALSE(r.has_value()) << "cut at " << nl;
    EXPECT_EQ(r.error().exit_code(), ExitCode::kInput);
    EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
    EXPECT_EQ(r.error().message().rfind(PositionIn(path, text, nl + 1), 0), 0u) << r.error().message();
    ++cuts;
  }
  EXPECT_GT(cuts, 100u);

  // A stray character inside entry 20.
  std::string broken = text;
  auto at = broken.find("\"n\": 20");
  ASSERT_NE(at, std::string::npos);
  broken.insert(at + 5, "x");
  WriteText(path, broken);
  auto r = VerifyBundleFile(path, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message().rfind(PositionIn(path, broken, at + 5), 0), 0u) << r.error().message();

  // A duplicated member, which a reader of the whole document would refuse.
  std::string dup = text;
  at = dup.find("\"format\"");
  dup.insert(at, "\"format\": \"x\",\n ");
  WriteText(path, dup);
  auto d = VerifyBundleFile(path, {});
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message().find("duplicate object key \"format\""), std::string::npos) << d.error().message();
  EXPECT_EQ(d.error().message().rfind(PositionIn(path, dup, at + 16), 0), 0u) << d.error().message();

  // Garbage after the document; not JSON at all; an empty file.
  WriteText(path, text + "{}");
  EXPECT_EQ(VerifyBundleFile(path, {}).error().message().rfind(PositionIn(path, text, text.size()), 0), 0u);
  WriteText(path, "");
  EXPECT_EQ(VerifyBundleFile(path, {}).error().message().rfind(path + ":1:1: ", 0), 0u);
  EXPECT_EQ(VerifyBundleFile(dir / "missing.json", {}).error().code(), ErrorCode::kNotFound);
}

// Perfect subtrees over leaf hashes in memory: the reference prover.
class MemorySubtrees final : public SubtreeSource {
 public:
  explicit MemorySubtrees(const std::vector<Hash256>& leaves) : leaves_(leaves) {}
  Result<Hash256> PerfectSubtree(std::uint64_t begin, unsigned level) override {
    return RootFromLeafHashes(std::span<const Hash256>(leaves_).subspan(begin, std::size_t{1} << level));
  }

 private:
  const std::vector<Hash256>& leaves_;
};

// The streaming verifier keeps only O(log n) subtrees, yet proves a bundle
// extends a saved checkpoint of every size m <= n, with the proof a prover
// holding every leaf makes; a saved root that is not the log's is refused.
TEST(BundleVerify, ExtendsASavedCheckpointOfEverySize) {
  for (std::uint64_t n = 1; n <= 70; ++n) {
    Json bundle{{"format", "tollgate-ledger-bundle/1"}, {"origin", "o"}, {"checkpoints", Json::array()}};
    Json entries = Json::array();
    std::vector<Hash256> leaves;
    for (std::uint64_t i = 0; i < n; ++i) {
      Json entry{{"type", "t"}, {"seq", i}};
      leaves.push_back(LeafHash(AsBytes(*Canonicalize(entry))));
      entries.push_back(Json{{"seq", i}, {"entry", entry}});
    }
    bundle["entries"] = entries;
    MemorySubtrees mem(leaves);
    for (std::uint64_t m = 1; m <= n; ++m) {
      Checkpoint cp{"o", m, RootFromLeafHashes(std::span<const Hash256>(leaves).first(m))};
      VerifyOptions o;
      o.extends = SavedCheckpoint{"saved", CheckpointText(cp)};
      auto rep = VerifyBundle(bundle, o);
      ASSERT_TRUE(rep.has_value()) << "m=" << m << " n=" << n << ": " << rep.error().message();
      auto reference = ConsistencyProof(mem, m, n);
      ASSERT_TRUE(reference.has_value());
      EXPECT_EQ(rep->extends_proof_hashes, reference->size()) << "m=" << m << " n=" << n;
      cp.root = leaves[m - 1];
      if (m > 1) {
        o.extends = SavedCheckpoint{"saved", CheckpointText(cp)};
        auto wrong = VerifyBundle(bundle, o);
        ASSERT_FALSE(wrong.has_value()) << "m=" << m << " n=" << n;
        EXPECT_EQ(wrong.error().exit_code(), ExitCode::kIntegrity);
      }
    }
  }
}

// `tollgate ledger verify --bundle` of a 60 MB bundle stays far below what
// holding it as one document took (15 MB measured).
TEST(BundleVerify, VerifyMemoryDoesNotGrowWithTheBundle) {
  TempDir dir;
  {
    auto l = MustOpen(dir / "l.db");
    auto key = TestKey();
    std::vector<Json> events;
    const std::string filler(1800, 'x');
    for (long i = 0; i < tollgate::testing::ScaledForAsan(30000); ++i)
      events.push_back(Json{{"type", "bulk"}, {"payload", {{"n", i}, {"pad", filler}}}});
    ASSERT_TRUE(l->Append(std::move(events), &key));
    ASSERT_TRUE(l->ExportToFile(dir / "b.json").has_value());
  }
  auto [code, peak] = RunMeasured(dir, "ledger verify --bundle '" + (dir / "b.json") + "'");
  ASSERT_EQ(code, 0);
  EXPECT_LT(peak, tollgate::testing::RssLimitKb(40 * 1024)) << "peak RSS " << peak << " KiB";
}

}  // namespace
}  // namespace tollgate::ledger
