// Benchmark of `tollgate dora report` over a ledger of 1,000,000 delivery
// events (900,000 deploys of 50 services carrying 100,000 changes, 50,000
// incidents opened and resolved), each paired with a named baseline
// (bench/dora-run.sh prints the ratios and the target):
//
//   BM_DoraReport1M            < 1 s: open the ledger, read every event,
//                              compute the whole-window and weekly metrics,
//                              write the JSON
//   BM_Baseline_LedgerScan1M   the floor: the ledger's own Scan over every
//                              entry, doing nothing with the bodies
//   BM_Baseline_Nlohmann1M     the obvious way: Scan and parse every body
//                              into an nlohmann tree
//
// The event set is deterministic (fixed seed). The ledger is built once per
// process in a scratch directory under $TMPDIR, removed at exit.
#include <benchmark/benchmark.h>
#include <stdlib.h>  // mkdtemp

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/time.h"
#include "delivery/delivery.h"
#include "delivery/dora.h"
#include "ledger/ledger.h"

namespace {

using tollgate::Json;
using tollgate::delivery::Millis;
namespace delivery = tollgate::delivery;
namespace ledger = tollgate::ledger;

constexpr std::size_t kEvents = 1'000'000;
constexpr std::size_t kServices = 50;
constexpr std::size_t kChanges = 100'000;
constexpr std::size_t kIncidents = 50'000;  // each opened and resolved: 100,000 events
constexpr Millis kStart = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
constexpr Millis kStep = 30'000;              // one event every 30 s: about 347 days

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "dora_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Fixture {
  std::string dir;
  std::string db;
  Millis end = 0;

  Fixture() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tollgate-dora-bench-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) Die("cannot create a scratch directory");
    dir = buf.data();
    db = dir + "/dora.db";
    Build();
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  void Build() {
    tollgate::FixedClock clock(delivery::FromMillis(kStart));
    auto l = ledger::Ledger::Open(db, ledger::OpenMode::kCreate, clock);
    if (!l) Die(l.error().message());
    std::mt19937_64 rng(42);
    const std::size_t deploys = kEvents - 2 * kIncidents;
    const std::size_t change_every = deploys / kChanges;  // every 9th deploy ships one change
    const std::size_t incident_every = deploys / kIncidents;
    std::vector<std::string> last_deploy(kServices);
    std::vector<std::pair<std::string, std::string>> open;  // (service, id) to resolve next
    std::vector<Json> batch;
    std::size_t deploy_no = 0, incident_no = 0;
    bool incident_due = false;
    Millis t = kStart;
    auto flush = [&] {
      auto r = (*l)->Append(std::move(batch), nullptr);
      if (!r) Die(r.error().message());
      batch.clear();
    };
    for (std::size_t i = 0; i < kEvents; ++i, t += kStep) {
      if (!open.empty()) {  // resolve the incident the previous event opened
        delivery::IncidentEvent inc;
        inc.open = false;
        inc.service = open.back().first;
        inc.id = open.back().second;
        inc.time = t;
        open.pop_back();
        batch.push_back(delivery::ToJson(inc));
      } else if (incident_due && incident_no < kIncidents) {
        incident_due = false;
        std::size_t s = rng() % kServices;
        if (last_deploy[s].empty()) s = (deploy_no - 1) % kServices;
        delivery::IncidentEvent inc;
        inc.id = "inc-" + std::to_string(incident_no++);
        inc.service = "service-" + std::to_string(s);
        inc.time = t;
        if (incident_no % 3 == 0) inc.caused_by = last_deploy[s];
        open.emplace_back(inc.service, inc.id);
        batch.push_back(delivery::ToJson(inc));
      } else {
        std::size_t s = deploy_no % kServices;
        delivery::DeployEvent d;
        d.id = "dep-" + std::to_string(deploy_no);
        d.service = "service-" + std::to_string(s);
        d.env = "prod";
        char sha[41];
        std::snprintf(sha, sizeof sha, "%016llx%016llx%08x", static_cast<unsigned long long>(rng()),
                      static_cast<unsigned long long>(rng()), static_cast<unsigned>(deploy_no));
        d.commit = sha;
        d.success = rng() % 20 != 0;
        d.time = t;
        d.changes = std::vector<delivery::Change>{};
        if (deploy_no % change_every == 0) {
          Millis lead = static_cast<Millis>(rng() % (72 * 3600)) * 1000;
          d.changes->push_back({std::string(sha, 40), t - lead});
        }
        last_deploy[s] = d.id;
        batch.push_back(delivery::ToJson(d));
        ++deploy_no;
        if (deploy_no % incident_every == 0) incident_due = true;
      }
      if (batch.size() >= 10'000) flush();
    }
    if (!batch.empty()) flush();
    end = t;
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

void BM_DoraReport1M(benchmark::State& state) {
  Fixture& f = Shared();
  tollgate::FixedClock clock(delivery::FromMillis(f.end));
  auto levels = delivery::BuiltinLevels();
  if (!levels) Die(levels.error().message());
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto l = ledger::Ledger::Open(f.db, ledger::OpenMode::kExisting, clock);
    if (!l) Die(l.error().message());
    delivery::EventLog log(delivery::EventLog::Mode::kReport);
    if (auto s = delivery::LoadEvents(**l, log); !s) Die(s.error().message());
    delivery::DoraOptions o;
    o.from = kStart;
    o.to = f.end;
    o.by = delivery::Period::kWeek;
    auto r = delivery::ComputeDora(log, o, *levels);
    if (!r) Die(r.error().message());
    std::string out = delivery::DoraToJson(*r).dump(2);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
    if (log.deploys().size() + 2 * log.incidents().size() != kEvents) Die("the report did not read every event");
    if (log.change_times().size() != kChanges) Die("the report did not read every change");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kEvents));
  state.counters["json_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DoraReport1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// The read alone (ledger to EventLog), to show where BM_DoraReport1M's time goes.
void BM_DoraLoadEvents1M(benchmark::State& state) {
  Fixture& f = Shared();
  tollgate::FixedClock clock(delivery::FromMillis(f.end));
  for (auto _ : state) {
    auto l = ledger::Ledger::Open(f.db, ledger::OpenMode::kExisting, clock);
    if (!l) Die(l.error().message());
    delivery::EventLog log(delivery::EventLog::Mode::kReport);
    if (auto s = delivery::LoadEvents(**l, log); !s) Die(s.error().message());
    benchmark::DoNotOptimize(log.deploys().data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kEvents));
}
BENCHMARK(BM_DoraLoadEvents1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_Baseline_LedgerScan1M(benchmark::State& state) {
  Fixture& f = Shared();
  tollgate::FixedClock clock(delivery::FromMillis(f.end));
  for (auto _ : state) {
    auto l = ledger::Ledger::Open(f.db, ledger::OpenMode::kExisting, clock);
    if (!l) Die(l.error().message());
    std::size_t n = 0, sum = 0;
    auto s = (*l)->Scan(0, 0, "", [&](const ledger::StoredEntry& e) {
      ++n;
      sum += e.body.size();
      return true;
    });
    if (!s || n != kEvents) Die("scan failed");
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kEvents));
}
BENCHMARK(BM_Baseline_LedgerScan1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_Baseline_Nlohmann1M(benchmark::State& state) {
  Fixture& f = Shared();
  tollgate::FixedClock clock(delivery::FromMillis(f.end));
  for (auto _ : state) {
    auto l = ledger::Ledger::Open(f.db, ledger::OpenMode::kExisting, clock);
    if (!l) Die(l.error().message());
    std::size_t n = 0;
    auto s = (*l)->Scan(0, 0, "", [&](const ledger::StoredEntry& e) {
      Json j = Json::parse(e.body);
      n += j.size();
      return true;
    });
    if (!s) Die("scan failed");
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kEvents));
}
BENCHMARK(BM_Baseline_Nlohmann1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
