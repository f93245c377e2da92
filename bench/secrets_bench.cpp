// The secrets engine in memory (no file system, no output): the full
// built-in rule set over real source text, against two named baselines in
// the same run: the Vectorscan matcher alone on the same expressions (the
// ceiling the engine's prefilter pass can reach; confirmation, keywords and
// line numbers come on top of it) and a memchr pass counting lines (the
// memory-bandwidth floor). bench/secrets_engine_run.sh prints the ratios.
//
// Corpus: text files under $TOLLGATE_BENCH_CORPUS (default /usr/include),
// up to 64 MB, read once into memory.
#include <hs/hs.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "scan/secrets/secrets.h"

namespace {

namespace fs = std::filesystem;

struct Corpus {
  std::vector<std::string> names, texts;
  std::size_t bytes = 0;
};

const Corpus& TheCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    const char* root = std::getenv("TOLLGATE_BENCH_CORPUS");
    std::error_code ec;
    fs::recursive_directory_iterator it(root != nullptr ? root : "/usr/include",
                                        fs::directory_options::skip_permission_denied, ec);
    std::vector<fs::path> files;
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) files.push_back(it->path());
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
      std::ifstream in(p, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      std::string text = std::move(ss).str();
      if (text.empty() || text.find('\0') != std::string::npos) continue;
      c.bytes += text.size();
      c.names.push_back(p.string());
      c.texts.push_back(std::move(text));
      if (c.bytes >= (64u << 20)) break;
    }
    return c;
  }();
  return corpus;
}

const tollgate::secrets::Scanner& TheScanner() {
  static const tollgate::secrets::Scanner scanner = [] {
    auto rules = tollgate::secrets::BuiltinRules();
    if (!rules) std::abort();
    auto s = tollgate::secrets::Scanner::Compile(std::move(*rules));
    if (!s) std::abort();
    return std::move(*s);
  }();
  return scanner;
}

void BM_SecretsEngineFullRuleSet(benchmark::State& state) {
  const Corpus& c = TheCorpus();
  const auto& scanner = TheScanner();
  std::size_t matches = 0;
  for (auto _ : state)
    for (std::size_t i = 0; i < c.texts.size(); ++i) matches += scanner.Scan(c.texts[i], c.names[i]).size();
  benchmark::DoNotOptimize(matches);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.bytes));
  state.counters["rules"] = static_cast<double>(scanner.rules().size());
  state.counters["MB"] = static_cast<double>(c.bytes) / (1 << 20);
}

int CountHit(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<std::size_t*>(ctx);
  return 0;
}

// Baseline: one Vectorscan database of the same expressions the engine
// compiles (each rule's prefilter, else its regex), prefilter mode, no
// confirmation.
void BM_Baseline_VectorscanMatcherOnly(benchmark::State& state) {
  const Corpus& c = TheCorpus();
  const auto& rules = TheScanner().rules();
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (unsigned i = 0; i < rules.size(); ++i) {
    const std::string& e = rules[i].prefilter.empty() ? rules[i].regex : rules[i].prefilter;
    if (e.empty()) continue;
    exprs.push_back(e.c_str());
    flags.push_back(HS_FLAG_PREFILTER | HS_FLAG_ALLOWEMPTY);
    ids.push_back(i);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &db, &err) != HS_SUCCESS) {
    hs_free_compile_error(err);
    state.SkipWithError("Vectorscan could not compile the rule set in one database");
    return;
  }
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  std::size_t hits = 0;
  for (auto _ : state)
    for (const auto& t : c.texts) hs_scan(db, t.data(), static_cast<unsigned>(t.size()), 0, scratch, CountHit, &hits);
  benchmark::DoNotOptimize(hits);
  hs_free_scratch(scratch);
  hs_free_database(db);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.bytes));
}

// Baseline: counting lines with memchr, the cheapest full pass over the bytes.
void BM_Baseline_MemchrLines(benchmark::State& state) {
  const Corpus& c = TheCorpus();
  std::size_t lines = 0;
  for (auto _ : state)
    for (const auto& t : c.texts)
      for (const char* p = t.data(); (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(
                                          t.data() + t.size() - p)))) != nullptr;
           ++p)
        ++lines;
  benchmark::DoNotOptimize(lines);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(c.bytes));
}

}  // namespace

BENCHMARK(BM_SecretsEngineFullRuleSet)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Baseline_VectorscanMatcherOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Baseline_MemchrLines)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK_MAIN();
