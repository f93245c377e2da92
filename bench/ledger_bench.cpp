// Benchmarks of the evidence ledger, each paired with a named baseline so the
// run shows what the ledger costs over the floor (bench/run.sh prints the
// ratios and checks the targets of the performance issue):
//
//   BM_AppendBatched           >= 200,000 entries/s   vs BM_Baseline_RawSqliteInsertBatch
//   BM_AppendDurable           (one Append per event)  vs BM_Baseline_RawSqliteInsertDurable
//   BM_VerifyFull1M            >= 1,000,000 entries/s vs BM_Baseline_Sha256Bodies1M
//   BM_InclusionProof1M        < 1 ms per proof       vs BM_Baseline_NaiveProof1M
//   BM_ConsistencyProof1M      < 1 ms per proof       vs BM_Baseline_NaiveProof1M
//
// Events are gate decisions of about 200 bytes of canonical JSON; the clock
// is fixed, so entry bytes are deterministic. Databases live in a fresh
// directory under $TMPDIR (default /tmp), removed when the process exits.
// The 1,000,000-entry ledger is built once per process (a few seconds).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "core/signing.h"
#include "core/time.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"

namespace {

using tollgate::Hash256;
using tollgate::Json;
using tollgate::ledger::Ledger;

constexpr std::size_t kBatch = 10'000;           // events per batched Append
constexpr std::uint64_t kBigSize = 1'000'000;    // entries of the proof/verify ledger
constexpr std::size_t kRandomQueries = 4096;     // pre-drawn random proof queries

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ledger_bench: %s\n", what.c_str());
  std::exit(1);  // runs static destructors, so the scratch directory goes too
}

// ---------------------------------------------------------------------------
// Scratch space

class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tollgate-bench-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) Die("cannot create a scratch directory from " + tmpl);
    path_ = buf.data();
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // A database path not used before in this process.
  std::string NewDb(const std::string& stem) { return path_ + "/" + stem + "-" + std::to_string(next_++) + ".db"; }

 private:
  std::string path_;
  unsigned next_ = 0;
};

ScratchDir& Scratch() {
  static ScratchDir dir;
  return dir;
}

void RemoveDb(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ec);
}

const tollgate::FixedClock& BenchClock() {
  static const tollgate::FixedClock clock = [] {
    auto t = tollgate::ParseRfc3339("2026-01-05T10:00:00Z");
    if (!t) Die("cannot parse the fixed time");
    return tollgate::FixedClock(*t);
  }();
  return clock;
}

std::unique_ptr<Ledger> OpenLedger(const std::string& path) {
  auto l = Ledger::Open(path, tollgate::ledger::OpenMode::kCreate, BenchClock());
  if (!l) Die(path + ": " + l.error().message());
  return std::move(*l);
}

// ---------------------------------------------------------------------------
// Events: gate decisions shaped like gate::DecisionEvents produces, about
// 200 bytes once the ledger adds "seq" and "time".

std::string RandomHex(std::mt19937_64& rng, std::size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes * 2);
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xffU);
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0xfU]);
  }
  return s;
}

Json GateDecision(std::mt19937_64& rng) {
  static constexpr const char* kGates[] = {"secrets", "sast", "deps", "licenses", "container"};
  std::string gate = kGates[rng() % std::size(kGates)];
  auto high = static_cast<int>(rng() % 3);
  auto low = static_cast<int>(rng() % 9);
  bool blocked = high > 0 && rng() % 2 == 0;
  return Json{{"type", "gate.decision"},
              {"subject", gate},
              {"payload",
               {{"gate", gate},
                {"service", "svc-" + std::to_string(rng() % 1000)},
                {"commit", RandomHex(rng, 20)},
                {"decision", blocked ? "blocked" : "pass"},
                {"findings", high + low}}}};
}

// One batch of distinct events, reused by every batched append (Append copies
// them and adds seq/time, so the same vector can be appended again).
const std::vector<Json>& BatchEvents() {
  static const std::vector<Json> events = [] {
    std::mt19937_64 rng(20260105);
    std::vector<Json> v;
    v.reserve(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) v.push_back(GateDecision(rng));
    return v;
  }();
  return events;
}

// The rows Append writes for BatchEvents() (seq = position in the batch):
// canonical bodies, types and leaf hashes, computed once for the raw-SQLite
// baselines, which store the same bytes without computing anything.
struct Rows {
  std::vector<std::string> body;
  std::vector<std::string> type;
  std::vector<Hash256> leaf;
  double mean_body_bytes = 0;
};

const Rows& BatchRows() {
  static const Rows rows = [] {
    Rows r;
    std::string now = tollgate::FormatRfc3339(BenchClock().Now(), true);
    std::size_t total = 0;
    for (std::size_t i = 0; i < kBatch; ++i) {
      Json e = BatchEvents()[i];
      e["time"] = now;
      e["seq"] = i;
      auto body = tollgate::Canonicalize(e);
      if (!body) Die(body.error().message());
      total += body->size();
      r.leaf.push_back(tollgate::ledger::LeafHash(tollgate::AsBytes(*body)));
      r.type.push_back(e["type"].get<std::string>());
      r.body.push_back(std::move(*body));
    }
    r.mean_body_bytes = static_cast<double>(total) / static_cast<double>(kBatch);
    return r;
  }();
  return rows;
}

// ---------------------------------------------------------------------------
// Baseline storage: the entries table of the ledger schema (see
// src/ledger/sqlite_store.cpp) with the same pragmas, written with one
// prepared INSERT per row and no hashing, tree nodes or JSON work.

class RawDb {
 public:
  explicit RawDb(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      Die(path + ": cannot open");
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=FULL");
    Exec(
        "CREATE TABLE entries(seq INTEGER PRIMARY KEY, type TEXT NOT NULL, leaf_hash BLOB NOT NULL, body BLOB NOT NULL);"
        "CREATE INDEX entries_by_type ON entries(type);");
    if (sqlite3_prepare_v2(db_, "INSERT INTO entries(seq,type,leaf_hash,body) VALUES(?,?,?,?)", -1, &ins_, nullptr) !=
        SQLITE_OK)
      Die(path + ": " + sqlite3_errmsg(db_));
  }
  ~RawDb() {
    sqlite3_finalize(ins_);
    sqlite3_close_v2(db_);
    RemoveDb(path_);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) Die(path_ + ": " + sqlite3_errmsg(db_));
  }

  void Insert(std::uint64_t seq, const std::string& type, const Hash256& leaf, const std::string& body) {
    sqlite3_bind_int64(ins_, 1, static_cast<std::int64_t>(seq));
    sqlite3_bind_text(ins_, 2, type.data(), static_cast<int>(type.size()), SQLITE_STATIC);
    sqlite3_bind_blob(ins_, 3, leaf.data(), 32, SQLITE_STATIC);
    sqlite3_bind_blob(ins_, 4, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    if (sqlite3_step(ins_) != SQLITE_DONE) Die(path_ + ": " + sqlite3_errmsg(db_));
    sqlite3_reset(ins_);
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* ins_ = nullptr;
};

// ---------------------------------------------------------------------------
// 1. Append throughput

void BM_AppendBatched(benchmark::State& state) {
  const auto& events = BatchEvents();
  std::string path = Scratch().NewDb("append-batched");
  auto ledger = OpenLedger(path);
  for (auto _ : state) {
    // Append takes ownership of its events (the CLI moves parsed input in);
    // the caller's copy is not the ledger's cost.
    state.PauseTiming();
    std::vector<tollgate::Json> batch = events;
    state.ResumeTiming();
    auto r = ledger->Append(std::move(batch), nullptr);
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->back().leaf_hash);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  state.counters["batch"] = static_cast<double>(kBatch);
  state.counters["body_bytes"] = BatchRows().mean_body_bytes;
  ledger.reset();
  RemoveDb(path);
}
BENCHMARK(BM_AppendBatched)->Iterations(20)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Baseline_RawSqliteInsertBatch(benchmark::State& state) {
  const Rows& rows = BatchRows();
  RawDb db(Scratch().NewDb("raw-batched"));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    db.Exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < kBatch; ++i) db.Insert(seq++, rows.type[i], rows.leaf[i], rows.body[i]);
    db.Exec("COMMIT");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
  state.counters["batch"] = static_cast<double>(kBatch);
  state.counters["body_bytes"] = rows.mean_body_bytes;
}
BENCHMARK(BM_Baseline_RawSqliteInsertBatch)->Iterations(20)->UseRealTime()->Unit(benchmark::kMillisecond);

// One Append call per event: one BEGIN IMMEDIATE ... COMMIT each, durable
// (WAL, synchronous=FULL), so every entry pays a commit and its fsync.
void BM_AppendDurable(benchmark::State& state) {
  const auto& events = BatchEvents();
  std::string path = Scratch().NewDb("append-durable");
  auto ledger = OpenLedger(path);
  std::vector<Json> one(1);
  std::size_t i = 0;
  for (auto _ : state) {
    one[0] = events[i++ % kBatch];  // ~1 us of copying against a commit of ~ms
    auto r = ledger->Append(one, nullptr);
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  ledger.reset();
  RemoveDb(path);
}
BENCHMARK(BM_AppendDurable)->Iterations(1000)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Baseline_RawSqliteInsertDurable(benchmark::State& state) {
  const Rows& rows = BatchRows();
  RawDb db(Scratch().NewDb("raw-durable"));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    std::size_t i = seq % kBatch;
    db.Exec("BEGIN IMMEDIATE");
    db.Insert(seq++, rows.type[i], rows.leaf[i], rows.body[i]);
    db.Exec("COMMIT");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_RawSqliteInsertDurable)->Iterations(1000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------
// The 1,000,000-entry ledger, built once: 100 batches of 10,000 events, each
// batch ending with a signed checkpoint (as `tollgate gate` does with a key),
// so Verify also checks 100 Ed25519 signatures.

struct BigLedger {
  std::string path;
  std::unique_ptr<Ledger> ledger;
  tollgate::VerifierKey key;
  std::vector<Hash256> leaves;  // leaf hashes in order
  std::string bodies;           // every entry body, concatenated
  std::vector<std::size_t> offsets;  // body i is bodies[offsets[i], offsets[i+1])
  Hash256 root{};
  double build_seconds = 0;

  ~BigLedger() {
    ledger.reset();
    if (!path.empty()) RemoveDb(path);
  }
};

BigLedger& Big() {
  static const std::unique_ptr<BigLedger> big_ptr = [] {
    auto owned = std::make_unique<BigLedger>();
    BigLedger& b = *owned;
    b.path = Scratch().NewDb("big");
    b.ledger = OpenLedger(b.path);
    auto signer = tollgate::SignerKey::Generate("bench");
    if (!signer) Die(signer.error().message());
    b.key = signer->verifier();
    std::fprintf(stderr, "ledger_bench: building a %llu-entry ledger (once)...\n",
                 static_cast<unsigned long long>(kBigSize));
    b.leaves.reserve(kBigSize);
    auto t0 = std::chrono::steady_clock::now();
    while (b.leaves.size() < kBigSize) {
      auto r = b.ledger->Append(BatchEvents(), &*signer);
      if (!r) Die(r.error().message());
      for (const auto& e : *r) b.leaves.push_back(e.leaf_hash);
    }
    b.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "ledger_bench: built in %.1f s (%.0f entries/s, signed batches of %zu)\n", b.build_seconds,
                 static_cast<double>(kBigSize) / b.build_seconds, kBatch);

    b.offsets.reserve(kBigSize + 1);
    b.bodies.reserve(kBigSize * 220);
    auto scanned = b.ledger->Scan(0, 0, "", [&](const tollgate::ledger::StoredEntry& e) {
      b.offsets.push_back(b.bodies.size());
      b.bodies += e.body;
      return true;
    });
    if (!scanned) Die(scanned.error().message());
    b.offsets.push_back(b.bodies.size());
    if (b.offsets.size() != kBigSize + 1) Die("scan returned the wrong number of entries");

    b.root = tollgate::ledger::RootFromLeafHashes(b.leaves);
    auto stored_root = b.ledger->RootAt(kBigSize);
    if (!stored_root || *stored_root != b.root) Die("the stored tree does not match the in-memory tree");
    return owned;
  }();
  return *big_ptr;
}

// ---------------------------------------------------------------------------
// 2. Full verification

void BM_VerifyFull1M(benchmark::State& state) {
  BigLedger& big = Big();
  tollgate::ledger::VerifyOptions opts;
  opts.trusted_keys.push_back(big.key);
  for (auto _ : state) {
    auto r = big.ledger->Verify(opts);
    if (!r) {
      state.SkipWithError(r.error().message().c_str());
      break;
    }
    if (r->size != kBigSize || r->root != big.root) {
      state.SkipWithError("Verify reported the wrong size or root");
      break;
    }
    benchmark::DoNotOptimize(r->checkpoints_verified);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBigSize));
  state.counters["build_entries_per_s"] = static_cast<double>(kBigSize) / big.build_seconds;
}
BENCHMARK(BM_VerifyFull1M)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

// SHA-256 of the same body bytes and nothing else: no SQLite, no leaf prefix,
// no tree, no checks. This is the floor of hashing cost, so it uses OpenSSL
// the cheap way: the digest fetched once and one context reused.
void BM_Baseline_Sha256Bodies1M(benchmark::State& state) {
  BigLedger& big = Big();
  const std::uint8_t* all = reinterpret_cast<const std::uint8_t*>(big.bodies.data());
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (md == nullptr || ctx == nullptr) Die("cannot set up OpenSSL SHA-256");
  Hash256 h{};
  unsigned int len = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBigSize; ++i) {
      if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 ||
          EVP_DigestUpdate(ctx, all + big.offsets[i], big.offsets[i + 1] - big.offsets[i]) != 1 ||
          EVP_DigestFinal_ex(ctx, h.data(), &len) != 1)
        Die("SHA-256 failed");
      benchmark::DoNotOptimize(h);
    }
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBigSize));
}
BENCHMARK(BM_Baseline_Sha256Bodies1M)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// 3. Proofs on the 1,000,000-entry log

// The timed loop of both proof benchmarks: one proof per iteration, cycling
// through the prepared queries; reports the mean proof length.
template <typename MakeProof>
void TimeProofs(benchmark::State& state, MakeProof make_proof) {
  std::size_t q = 0;
  std::size_t hashes = 0;
  for (auto _ : state) {
    auto p = make_proof(q++ % kRandomQueries);
    if (!p) {
      state.SkipWithError(p.error().message().c_str());
      break;
    }
    hashes += p->size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["proof_hashes"] =
      static_cast<double>(hashes) / static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
}

void BM_InclusionProof1M(benchmark::State& state) {
  BigLedger& big = Big();
  std::mt19937_64 rng(1);
  std::vector<std::uint64_t> index(kRandomQueries);
  for (auto& i : index) i = rng() % kBigSize;
  // The proofs must be right for the timing to mean anything.
  for (std::size_t q = 0; q < 16; ++q) {
    auto p = big.ledger->InclusionProof(index[q], kBigSize);
    if (!p) Die(p.error().message());
    auto ok = tollgate::ledger::VerifyInclusion(index[q], kBigSize, big.leaves[index[q]], *p, big.root);
    if (!ok) Die("inclusion proof does not verify: " + ok.error().message());
  }
  TimeProofs(state, [&](std::size_t q) { return big.ledger->InclusionProof(index[q], kBigSize); });
}
BENCHMARK(BM_InclusionProof1M)->MinTime(1.0)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProof1M(benchmark::State& state) {
  BigLedger& big = Big();
  std::mt19937_64 rng(2);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> sizes(kRandomQueries);
  for (auto& [s1, s2] : sizes) {
    s2 = 2 + rng() % (kBigSize - 1);  // [2, N]
    s1 = 1 + rng() % (s2 - 1);        // [1, s2)
  }
  for (std::size_t q = 0; q < 2; ++q) {
    auto [s1, s2] = sizes[q];
    auto p = big.ledger->ConsistencyProof(s1, s2);
    if (!p) Die(p.error().message());
    std::span<const Hash256> leaves(big.leaves);
    Hash256 r1 = tollgate::ledger::RootFromLeafHashes(leaves.first(s1));
    Hash256 r2 = tollgate::ledger::RootFromLeafHashes(leaves.first(s2));
    auto ok = tollgate::ledger::VerifyConsistency(s1, s2, r1, r2, *p);
    if (!ok) Die("consistency proof does not verify: " + ok.error().message());
  }
  TimeProofs(state, [&](std::size_t q) { return big.ledger->ConsistencyProof(sizes[q].first, sizes[q].second); });
}
BENCHMARK(BM_ConsistencyProof1M)->MinTime(1.0)->UseRealTime()->Unit(benchmark::kMicrosecond);

// What a naive implementation does per proof: rebuild the whole tree in
// memory from all 1,000,000 leaf hashes (already loaded, so no I/O counted).
void BM_Baseline_NaiveProof1M(benchmark::State& state) {
  BigLedger& big = Big();
  for (auto _ : state) {
    Hash256 r = tollgate::ledger::RootFromLeafHashes(big.leaves);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_NaiveProof1M)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
