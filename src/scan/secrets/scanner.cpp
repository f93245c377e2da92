// Vectorscan prefilter + RE2 confirmation.
#include <hs/hs.h>
#include <re2/re2.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "core/hash.h"
#include "scan/secrets/secrets.h"

namespace tollgate::secrets {

// The cache files of the built-in rules made at build time, by name
// ("secrets-<key>.hsdb"); empty when absent. This default carries none: the
// tollgate binary links the generated definition (src/scan/secrets/gen).
__attribute__((weak)) std::string_view EmbeddedCacheFile(std::string_view /*name*/) { return {}; }

namespace {

// How far before a Vectorscan hit (which reports only where a match ends) a
// match may start, and how far after it may still extend.
constexpr std::size_t kLookBehind = 8192;
constexpr std::size_t kLookAhead = 256;

struct Hit {
  unsigned rule;
  std::size_t end;
};

int OnHit(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/, void* ctx) {
  static_cast<std::vector<Hit>*>(ctx)->push_back({id, static_cast<std::size_t>(to)});
  return 0;
}

std::size_t LineStart(std::string_view d, std::size_t pos) {
  std::size_t p = d.rfind('\n', pos == 0 ? 0 : pos - 1);
  return p == std::string_view::npos || pos == 0 ? 0 : p + 1;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Whether `lower_word` (lowercase) occurs in `s`, ignoring ASCII case; no
// allocation.
bool ContainsIgnoreCase(std::string_view s, std::string_view lower_word) {
  if (lower_word.empty()) return true;
  if (s.size() < lower_word.size()) return false;
  const char first = lower_word[0];
  const char first_up = static_cast<char>(std::toupper(static_cast<unsigned char>(first)));
  for (std::size_t i = 0; i + lower_word.size() <= s.size(); ++i) {
    if (s[i] != first && s[i] != first_up) continue;
    std::size_t k = 1;
    while (k < lower_word.size() &&
           static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + k]))) == lower_word[k])
      ++k;
    if (k == lower_word.size()) return true;
  }
  return false;
}

// The longest match a regex can produce, from Vectorscan's analysis, so the
// window before a hit can be as short as the rule allows; kLookBehind when
// the regex is unbounded or Vectorscan cannot analyse it exactly.
std::size_t MaxMatchWidth(const std::string& regex) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  std::size_t width = kLookBehind;
  if (hs_expression_info(regex.c_str(), 0, &info, &err) == HS_SUCCESS && info != nullptr) {
    if (info->max_width != UINT_MAX) width = std::min<std::size_t>(kLookBehind, info->max_width + 1);
    std::free(info);  // NOLINT: allocated by Vectorscan's default (malloc) allocator
  } else {
    hs_free_compile_error(err);
  }
  return width;
}

// What Vectorscan compiles for a rule: its prefilter when it has one.
const std::string& VectorscanExpression(const Rule& r) { return r.prefilter.empty() ? r.regex : r.prefilter; }

// --- compiled-database cache ------------------------------------------------

// $TOLLGATE_CACHE_DIR, else $XDG_CACHE_HOME/tollgate, else ~/.cache/tollgate;
// empty when none can be named (then nothing is cached).
std::filesystem::path CacheDir() {
  if (const char* d = std::getenv("TOLLGATE_CACHE_DIR"); d != nullptr && *d != 0) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != 0)
    return std::filesystem::path(x) / "tollgate";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != 0)
    return std::filesystem::path(h) / ".cache" / "tollgate";
  return {};
}

std::string DatabaseKey(const std::vector<Rule>& rules, const std::vector<std::size_t>& in_db) {
  Sha256Hasher h;
  h.Update(std::string_view("tollgate-hs-v3\n"));
  h.Update(std::string_view(hs_version()));
  for (std::size_t i : in_db) {
    h.Update(std::string_view("\0", 1));
    h.Update(VectorscanExpression(rules[i]));
  }
  return HexEncode(h.Finish());
}

constexpr std::string_view kCacheMagic = "TGHS1\n";

// A cache file: from the cache directory, else the copy built into the
// binary (the built-in rules' files, made at build time), else nothing.
std::optional<std::string> ReadCacheFile(const std::string& name) {
  if (auto dir = CacheDir(); !dir.empty()) {
    std::ifstream in(dir / name, std::ios::binary);
    if (in) return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  if (std::string_view built_in = EmbeddedCacheFile(name); !built_in.empty()) return std::string(built_in);
  return std::nullopt;
}

// A cached database: magic, the re2-only rule indices on one line, then the
// serialised Vectorscan database. Anything unreadable, or built for a CPU
// this one is not, is simply a miss.
bool LoadCachedDatabase(const std::string& key, hs_database_t** db, std::vector<std::size_t>* re2_only) {
  auto read = ReadCacheFile("secrets-" + key + ".hsdb");
  if (!read) return false;
  const std::string& data = *read;
  if (data.rfind(kCacheMagic, 0) != 0) return false;
  std::size_t eol = data.find('\n', kCacheMagic.size());
  if (eol == std::string::npos) return false;
  std::vector<std::size_t> fallback;
  std::string_view list(data.data() + kCacheMagic.size(), eol - kCacheMagic.size());
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    std::size_t v = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || p != item.data() + item.size()) return false;
    fallback.push_back(v);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  const char* bytes = data.data() + eol + 1;
  if (hs_deserialize_database(bytes, data.size() - eol - 1, db) != HS_SUCCESS) return false;
  hs_scratch_t* probe = nullptr;  // fails with HS_DB_PLATFORM_ERROR on another CPU
  if (hs_alloc_scratch(*db, &probe) != HS_SUCCESS) {
    hs_free_database(*db);
    *db = nullptr;
    return false;
  }
  hs_free_scratch(probe);
  *re2_only = std::move(fallback);
  return true;
}

void StoreCachedDatabase(const std::string& key, const hs_database_t* db, const std::vector<std::size_t>& re2_only) {
  auto dir = CacheDir();
  if (dir.empty() || db == nullptr) return;
  char* bytes = nullptr;
  std::size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return;
  std::string header(kCacheMagic);
  for (std::size_t i = 0; i < re2_only.size(); ++i) header += (i ? "," : "") + std::to_string(re2_only[i]);
  header += "\n";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto final_path = dir / ("secrets-" + key + ".hsdb");
  auto tmp = final_path;
  tmp += "." + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(bytes, static_cast<std::streamsize>(length));
    if (!out) ec = std::make_error_code(std::errc::io_error);
  }
  std::free(bytes);
  if (ec || std::rename(tmp.c_str(), final_path.c_str()) != 0) std::filesystem::remove(tmp, ec);
}

// How far before a hit a rule's match may start and how far after it it
// may end, per rule. Asking Vectorscan for the widths costs about a
// millisecond per rule, so they are cached beside the database, keyed by
// every rule's expressions.
struct Window {
  std::size_t back = 0;
  std::size_t ahead = kLookAhead;
};

Window RuleWindow(const Rule& r) {
  Window w;
  if (r.regex.empty()) return w;
  w.back = MaxMatchWidth(r.regex);
  // Vectorscan reports every end of a match; a window as wide as the
  // longest match on both sides holds whichever match RE2 prefers.
  w.ahead = std::max(kLookAhead, w.back);
  if (r.prefilter_window > 0) {
    w.back = w.ahead = static_cast<std::size_t>(r.prefilter_window);
  } else if (!r.prefilter.empty()) {
    if (w.back == kLookBehind) w.back = std::min(kLookBehind, MaxMatchWidth(r.prefilter) + 64);
    w.ahead = std::max(kLookAhead, std::min(kLookBehind, MaxMatchWidth(r.regex)));
  }
  return w;
}

// The name of a rule set's windows file in the cache.
std::string WindowsCacheName(const std::vector<Rule>& rules) {
  Sha256Hasher h;
  h.Update(std::string_view("tollgate-windows-v3\n"));
  h.Update(std::string_view(hs_version()));
  for (const Rule& r : rules) {
    h.Update(std::string_view("\0", 1));
    h.Update(r.regex);
    h.Update(std::string_view("\0", 1));
    h.Update(r.prefilter);
    h.Update(std::string_view("\0", 1));
    h.Update(std::to_string(r.prefilter_window));
    // A cache hit also means "these regexes compile" (see Compile), so the
    // allowlist regexes are part of the key too.
    for (const auto& a : r.allow_regexes) {
      h.Update(std::string_view("\0a", 2));
      h.Update(a);
    }
    for (const Allowlist& l : r.allowlists)
      for (const auto* v : {&l.regexes, &l.paths})
        for (const auto& a : *v) {
          h.Update(std::string_view("\0l", 2));
          h.Update(a);
        }
  }
  return "secrets-" + HexEncode(h.Finish()) + ".windows";
}

// The cached windows of a rule set, or nothing. The file is written only
// after every rule compiled, so finding it also means the set is valid.
std::optional<std::vector<Window>> LoadWindows(const std::string& name, std::size_t n) {
  auto read = ReadCacheFile(name);
  if (!read) return std::nullopt;
  std::istringstream in(*read);
  std::vector<Window> out;
  Window w;
  while (in >> w.back >> w.ahead) out.push_back(w);
  if (out.size() != n) return std::nullopt;
  return out;
}

void StoreWindows(const std::string& name, const std::vector<Window>& windows) {
  const auto dir = CacheDir();
  if (dir.empty()) return;
  const auto path = dir / name;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  auto tmp = path;
  tmp += "." + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    for (const Window& w : windows) f << w.back << ' ' << w.ahead << '\n';
    if (!f) ec = std::make_error_code(std::errc::io_error);
  }
  if (ec || std::rename(tmp.c_str(), path.c_str()) != 0) std::filesystem::remove(tmp, ec);
}

}  // namespace

struct Scanner::Impl {
  std::vector<Rule> rules;
  // A rule's RE2 programs (its regex and allowlist), compiled on first use
  // when the rule set is known to compile (see LoadWindows), else up front.
  struct List {  // a compiled Allowlist: its regexes and paths as RE2 programs
    const Allowlist* spec = nullptr;  // in `rules`, which never changes after Compile
    std::vector<std::unique_ptr<RE2>> regexes, paths;
  };
  struct Confirmer {
    std::unique_ptr<RE2> re;
    std::vector<std::unique_ptr<RE2>> allow;
    std::vector<List> lists;
  };
  mutable std::vector<Confirmer> confirmers;
  mutable std::unique_ptr<std::once_flag[]> confirmer_once;
  RE2::Options opts;
  const Confirmer& ConfirmerOf(std::size_t ri) const {
    std::call_once(confirmer_once[ri], [&] {
      const Rule& r = rules[ri];
      Confirmer& c = confirmers[ri];
      if (!r.regex.empty()) c.re = std::make_unique<RE2>(r.regex, opts);
      for (const auto& a : r.allow_regexes) c.allow.push_back(std::make_unique<RE2>(a, opts));
      for (const Allowlist& a : r.allowlists) {
        List l;
        l.spec = &a;
        for (const auto& x : a.regexes) l.regexes.push_back(std::make_unique<RE2>(x, opts));
        for (const auto& x : a.paths) l.paths.push_back(std::make_unique<RE2>(x, opts));
        c.lists.push_back(std::move(l));
      }
    });
    return confirmers[ri];
  }
  std::vector<std::vector<std::unique_ptr<RE2>>> allow_path;
  // Per rule: its companions' rule indices and line distances (negative: anywhere).
  std::vector<std::vector<std::pair<std::size_t, int>>> companions;
  std::vector<std::size_t> lookbehind;  // per rule: how far before a hit its match may start
  std::vector<std::size_t> lookahead;   // ...and how far after it it may end
  std::vector<std::unique_ptr<RE2>> path;  // per rule; null when the rule has no path condition
  // Rules Vectorscan could not compile even as prefilters: RE2 scans the
  // whole buffer for them (after their keywords), slower but never skipped.
  std::vector<std::size_t> re2_only;
  // Rules whose Vectorscan expression equals an earlier rule's are not
  // compiled again: a hit of the first (the key) counts for them too.
  std::unordered_map<std::size_t, std::vector<std::size_t>> twins;
  std::vector<std::size_t> path_only;  // rules with a path and no regex
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;  // prototype, cloned when the pool is empty
  // Scratch spaces for concurrent scans: each Scan takes one and gives it
  // back, so a scratch is cloned once per thread, not once per file.
  mutable std::mutex pool_mu;
  mutable std::vector<hs_scratch_t*> pool;
  hs_scratch_t* TakeScratch() const {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!pool.empty()) {
        hs_scratch_t* s = pool.back();
        pool.pop_back();
        return s;
      }
    }
    hs_scratch_t* s = nullptr;
    return hs_clone_scratch(scratch, &s) == HS_SUCCESS ? s : nullptr;
  }
  void GiveScratch(hs_scratch_t* s) const {
    std::lock_guard<std::mutex> lock(pool_mu);
    pool.push_back(s);
  }

  // Where the scanned data comes from, for path and commit allowlists.
  struct Origin {
    std::string_view path, commit;
  };
  // Confirms candidates of one rule in data[wb, we): RE2 finds each match,
  // and keywords, entropy, stopwords and allowlists filter them.
  // With `anchored`, RE2 tries one match starting exactly at wb. Returns
  // whether that settles it: RE2 matched (before the filters), or nothing can
  // match (no keyword near).
  bool Confirm(std::size_t ri, std::string_view data, const Origin& from, std::size_t wb, std::size_t we,
               std::vector<Match>& found, bool anchored = false, std::size_t* match_end = nullptr) const;
  // Confirms one hit of a rule with a prefilter_word_anchor: anchored tries at
  // the few starts before the word that ends at the hit, none before `resume`
  // (the end of this rule's previous match, where a search would go on).
  void ConfirmAtWord(std::size_t ri, std::string_view data, const Origin& from, std::size_t hit_end,
                     std::size_t& resume, std::vector<Match>& found) const;
  // Whether one of a rule's other allowlists (match/line targets, AND
  // conditions) allows a candidate.
  static bool AllowedByLists(const Confirmer& c, std::string_view data, const Origin& from,
                             re2::StringPiece whole, re2::StringPiece secret);

  ~Impl() {
    for (hs_scratch_t* s : pool) hs_free_scratch(s);
    if (scratch != nullptr) hs_free_scratch(scratch);
    if (db != nullptr) hs_free_database(db);
  }
};

Scanner::Scanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scanner::Scanner(Scanner&&) noexcept = default;
Scanner& Scanner::operator=(Scanner&&) noexcept = default;
Scanner::~Scanner() = default;
const std::vector<Rule>& Scanner::rules() const { return impl_->rules; }

Result<Scanner> Scanner::Compile(std::vector<Rule> rules) {
  auto impl = std::make_unique<Impl>();
  std::map<std::string, int> by_id;
  impl->opts.set_log_errors(false);
  impl->opts.set_max_mem(64 << 20);
  const RE2::Options& opts = impl->opts;
  const auto windows_name = WindowsCacheName(rules);
  auto cached_windows = LoadWindows(windows_name, rules.size());
  const bool validated = cached_windows.has_value();
  std::vector<Window> windows;
  if (validated) {
    windows = std::move(*cached_windows);
  } else {
    for (const Rule& r : rules) windows.push_back(RuleWindow(r));
  }
  impl->rules = rules;
  impl->confirmers.resize(rules.size());
  impl->confirmer_once = std::make_unique<std::once_flag[]>(rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[i];
    auto bad = [&](const std::string& what) { return Error::Input(r.origin + ": rule '" + r.id + "': " + what); };
    if (!by_id.emplace(r.id, static_cast<int>(i)).second) return Fail(bad("duplicate rule id"));
    if (r.regex.empty()) impl->path_only.push_back(i);
    if (!validated) {
      const Impl::Confirmer& c = impl->ConfirmerOf(i);
      if (c.re && !c.re->ok()) return Fail(bad("invalid regex: " + c.re->error()));
      if (c.re && r.secret_group > c.re->NumberOfCapturingGroups())
        return Fail(bad("secret_group " + std::to_string(r.secret_group) + " but the regex has only " +
                        std::to_string(c.re->NumberOfCapturingGroups()) + " groups"));
      for (const auto& a : c.allow)
        if (!a->ok()) return Fail(bad("invalid allowlist regex: " + a->error()));
      for (const auto& l : c.lists) {
        for (const auto& a : l.regexes)
          if (!a->ok()) return Fail(bad("invalid allowlist regex: " + a->error()));
        for (const auto& a : l.paths)
          if (!a->ok()) return Fail(bad("invalid allowlist path regex: " + a->error()));
      }
    }
    impl->lookbehind.push_back(windows[i].back);
    impl->lookahead.push_back(windows[i].ahead);
    std::unique_ptr<RE2> path_re;
    if (!r.path.empty()) {
      path_re = std::make_unique<RE2>(r.path, opts);
      if (!path_re->ok()) return Fail(bad("invalid path regex: " + path_re->error()));
    }
    impl->path.push_back(std::move(path_re));
    impl->allow_path.emplace_back();
    for (const auto& p : r.allow_paths) {
      auto a = std::make_unique<RE2>(p, opts);
      if (!a->ok()) return Fail(bad("invalid path regex: " + a->error()));
      impl->allow_path.back().push_back(std::move(a));
    }
  }
  for (const Rule& r : rules) {
    impl->companions.emplace_back();
    for (const Companion& c : r.companions) {
      auto it = by_id.find(c.rule);
      if (it == by_id.end())
        return Fail(Error::Input(r.origin + ": rule '" + r.id + "': requires unknown rule '" + c.rule + "'"));
      impl->companions.back().emplace_back(static_cast<std::size_t>(it->second), c.within_lines);
    }
  }

  // One Vectorscan database for every rule with a regex. Compiling a few
  // hundred rules takes seconds, so the result is cached on disk, keyed by
  // the rule set and the Vectorscan version.
  std::vector<std::size_t> in_db;
  std::unordered_map<std::string_view, std::size_t> first_with;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].regex.empty()) continue;
    auto [it, fresh] = first_with.emplace(VectorscanExpression(rules[i]), i);
    if (fresh)
      in_db.push_back(i);
    else
      impl->twins[it->second].push_back(i);
  }
  const std::string cache_key = DatabaseKey(rules, in_db);
  if (!in_db.empty() && !LoadCachedDatabase(cache_key, &impl->db, &impl->re2_only)) {
    // A rule Vectorscan cannot compile even in prefilter mode falls back to
    // RE2 alone, and the rest are compiled again.
    // Prefilter mode: Vectorscan may over-approximate (RE2 confirms), which
    // lets it accept constructs it cannot match exactly and keeps the
    // database fast (exact bounded repeats would need its slower engines).
    while (!in_db.empty()) {
      std::vector<const char*> exprs;
      std::vector<unsigned> flags, ids;
      for (std::size_t i : in_db) {
        exprs.push_back(VectorscanExpression(rules[i]).c_str());
        flags.push_back(HS_FLAG_PREFILTER | HS_FLAG_ALLOWEMPTY);
        ids.push_back(static_cast<unsigned>(i));
      }
      hs_compile_error_t* err = nullptr;
      if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                           HS_MODE_BLOCK, nullptr, &impl->db, &err) == HS_SUCCESS)
        break;
      const int bad_expr = err != nullptr ? err->expression : -1;
      std::string msg = err != nullptr && err->message != nullptr ? err->message : "unknown error";
      hs_free_compile_error(err);
      if (bad_expr < 0 || static_cast<std::size_t>(bad_expr) >= in_db.size())
        return Fail(Error::Internal("Vectorscan cannot compile the rule set: " + msg));
      impl->re2_only.push_back(in_db[static_cast<std::size_t>(bad_expr)]);
      in_db.erase(in_db.begin() + bad_expr);
    }
    StoreCachedDatabase(cache_key, impl->db, impl->re2_only);
  }
  for (std::size_t n = impl->re2_only.size(), k = 0; k < n; ++k)
    if (auto t = impl->twins.find(impl->re2_only[k]); t != impl->twins.end())
      impl->re2_only.insert(impl->re2_only.end(), t->second.begin(), t->second.end());
  if (impl->db != nullptr && hs_alloc_scratch(impl->db, &impl->scratch) != HS_SUCCESS)
    return Fail(Error::Internal("Vectorscan could not allocate scratch space"));
  if (!validated) StoreWindows(windows_name, windows);
  return Scanner(std::move(impl));
}

namespace {

// The line that holds data[b, e): from the byte after the newline before b to
// the newline at or after e.
std::string_view LineAround(std::string_view data, std::size_t b, std::size_t e) {
  const std::size_t nl = b == 0 ? std::string_view::npos : data.rfind('\n', b - 1);
  const std::size_t start = nl == std::string_view::npos ? 0 : nl + 1;
  std::size_t end = data.find('\n', e);
  if (end == std::string_view::npos) end = data.size();
  return data.substr(start, end - start);
}

bool HasStopword(std::string_view secret, const std::vector<std::string>& words) {
  if (words.empty()) return false;
  std::string low = Lower(secret);
  return std::any_of(words.begin(), words.end(), [&](const std::string& w) { return low.find(w) != std::string::npos; });
}

}  // namespace

bool Scanner::Impl::AllowedByLists(const Confirmer& c, std::string_view data, const Origin& from,
                                   re2::StringPiece whole, re2::StringPiece secret) {
  const re2::StringPiece path_sp(from.path.data(), from.path.size());
  const auto b = static_cast<std::size_t>(whole.data() - data.data());
  const std::string commit = Lower(from.commit);  // listed commits are lowercased at load
  for (const List& l : c.lists) {
    const Allowlist& a = *l.spec;
    re2::StringPiece target = secret;
    if (a.target == Allowlist::Target::kMatch) target = whole;
    if (a.target == Allowlist::Target::kLine) {
      std::string_view line = LineAround(data, b, b + whole.size());
      target = re2::StringPiece(line.data(), line.size());
    }
    auto any = [](const std::vector<std::unique_ptr<RE2>>& res, const re2::StringPiece& text) {
      return std::any_of(res.begin(), res.end(), [&](const auto& re) { return re->ok() && RE2::PartialMatch(text, *re); });
    };
    const bool by_regex = any(l.regexes, target);
    const bool by_path = any(l.paths, path_sp);
    const bool by_word = HasStopword(std::string_view(secret.data(), secret.size()), a.stopwords);
    const bool by_commit =
        !commit.empty() && std::find(a.commits.begin(), a.commits.end(), commit) != a.commits.end();
    if (a.all) {
      // Every criterion given must hold (and at least one is given).
      if ((a.regexes.empty() || by_regex) && (a.paths.empty() || by_path) && (a.stopwords.empty() || by_word) &&
          (a.commits.empty() || by_commit) &&
          !(a.regexes.empty() && a.paths.empty() && a.stopwords.empty() && a.commits.empty()))
        return true;
    } else if (by_regex || by_path || by_word || by_commit) {
      return true;
    }
  }
  return false;
}

bool Scanner::Impl::Confirm(std::size_t ri, std::string_view data, const Origin& from, std::size_t wb,
                            std::size_t we, std::vector<Match>& found, bool anchored, std::size_t* match_end) const {
  const Impl& m = *this;
  const Rule& rule = m.rules[ri];
  std::string_view window = data.substr(wb, we - wb);
  if (!rule.keywords.empty()) {
    // A keyword counts within the window or up to kLookBehind before it.
    auto has_keyword = [&](std::string_view text) {
      return std::any_of(rule.keywords.begin(), rule.keywords.end(),
                         [&](const std::string& k) { return ContainsIgnoreCase(text, k); });
    };
    if (!has_keyword(window)) {
      const std::size_t far = LineStart(data, wb > kLookBehind ? wb - kLookBehind : 0);
      if (far == wb || !has_keyword(data.substr(far, we - far))) return true;  // nothing can match here
    }
  }
  const Impl::Confirmer& c = m.ConfirmerOf(ri);
  if (!c.re || !c.re->ok()) return true;  // only if the cache of a validated rule set was tampered with
  const RE2& re = *c.re;
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  const auto secret_group = static_cast<std::size_t>(rule.secret_group < ngroups ? rule.secret_group : 0);
  std::vector<re2::StringPiece> groups(static_cast<std::size_t>(ngroups));
  // The whole buffer is RE2's text and the window only bounds the search,
  // so ^, $ and \b see the bytes around the window as they are.
  re2::StringPiece text(data.data(), data.size());
  std::size_t pos = wb;
  const RE2::Anchor anchor = anchored ? RE2::ANCHOR_START : RE2::UNANCHORED;
  bool matched = false;
  while (pos <= we && !(anchored && matched) && re.Match(text, pos, we, anchor, groups.data(), ngroups)) {
    matched = true;
    const re2::StringPiece whole = groups[0];
    re2::StringPiece secret = groups[secret_group];
    if (secret.data() == nullptr) secret = whole;
    const auto whole_off = static_cast<std::size_t>(whole.data() - data.data());
    // Go on after the secret, not after the whole match: a trailing boundary
    // class ([^A-Za-z0-9]|$) may have taken the newline that the next match
    // needs as its leading boundary.
    const auto secret_end = static_cast<std::size_t>(secret.data() - data.data()) + secret.size();
    pos = std::max(whole_off + 1, std::min(secret_end, whole_off + whole.size()));
    if (match_end != nullptr) *match_end = pos;
    std::string_view sv(secret.data(), secret.size());
    if (sv.empty()) continue;
    if (rule.entropy && ShannonEntropy(sv) < *rule.entropy) continue;
    if (HasStopword(sv, rule.allow_stopwords)) continue;
    bool allowed = false;
    for (const auto& a : c.allow)
      if (a->ok() && RE2::PartialMatch(secret, *a)) allowed = true;
    if (allowed) continue;
    if (!c.lists.empty() && AllowedByLists(c, data, from, whole, secret)) continue;
    Match mt;
    mt.rule = ri;
    mt.begin = static_cast<std::size_t>(secret.data() - data.data());
    mt.end = mt.begin + secret.size();
    found.push_back(mt);
  }
  return matched;
}

void Scanner::Impl::ConfirmAtWord(std::size_t ri, std::string_view data, const Origin& from, std::size_t hit_end,
                                  std::size_t& resume, std::vector<Match>& found) const {
  auto alnum = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; };
  // The follower is data[hit_end - 1]; the word ends before it.
  const std::size_t floor = hit_end > lookbehind[ri] ? hit_end - lookbehind[ri] : 0;
  std::size_t word = hit_end >= 2 ? hit_end - 2 : 0;
  while (word > floor && alnum(data[word - 1])) --word;
  const auto n = static_cast<std::size_t>(rules[ri].prefilter_word_anchor);
  // Leftmost start first, as an unanchored search would prefer; the first
  // start where the regex matches decides.
  for (std::size_t start = std::max(resume, word >= n ? word - n : 0); start <= word; ++start) {
    const std::size_t end = std::min(data.size(), start + lookbehind[ri] + lookahead[ri] + 1);
    if (Confirm(ri, data, from, start, end, found, /*anchored=*/true, &resume)) return;
  }
}

std::vector<Match> Scanner::Scan(std::string_view data, std::string_view path, std::string_view commit) const {
  std::vector<Match> out;
  const Impl& m = *impl_;
  if (data.size() > 0xffffffffu) return out;  // block mode limit; callers bound their inputs
  const Impl::Origin from{path, commit};
  const re2::StringPiece path_sp(path.data(), path.size());
  // Whether a rule runs on this path: its path condition holds and no path
  // allowlist entry matches.
  auto applies = [&](std::size_t ri) {
    if (m.path[ri] && !RE2::PartialMatch(path_sp, *m.path[ri])) return false;
    for (const auto& p : m.allow_path[ri])
      if (RE2::PartialMatch(path_sp, *p)) return false;
    return true;
  };

  std::vector<Match> found;
  for (std::size_t ri : m.path_only)
    if (applies(ri)) found.push_back(Match{ri, 0, 0, 0, 0});
  for (std::size_t ri : m.re2_only)
    if (!data.empty() && applies(ri)) m.Confirm(ri, data, from, 0, data.size(), found);

  std::vector<Hit> hits;
  if (m.db != nullptr && !data.empty()) {
    if (hs_scratch_t* scratch = m.TakeScratch(); scratch != nullptr) {
      hs_scan(m.db, data.data(), static_cast<unsigned>(data.size()), 0, scratch, OnHit, &hits);
      m.GiveScratch(scratch);
    }
    if (!m.twins.empty())
      for (std::size_t n = hits.size(), k = 0; k < n; ++k)
        if (auto t = m.twins.find(hits[k].rule); t != m.twins.end())
          for (std::size_t twin : t->second) hits.push_back(Hit{static_cast<unsigned>(twin), hits[k].end});
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const Hit& a, const Hit& b) { return a.rule != b.rule ? a.rule < b.rule : a.end < b.end; });
  for (std::size_t h = 0; h < hits.size();) {
    const unsigned ri = hits[h].rule;
    const bool run = applies(ri);
    const bool word_anchored = m.rules[ri].prefilter_word_anchor > 0;
    // Word-anchored rules confirm each hit at its word; the others merge the
    // windows of their hits and run RE2 once per window.
    std::size_t win_begin = 0, win_end = 0;
    bool open = false;
    std::size_t resume = 0;  // word-anchored rules: where the previous match ended
    for (; h < hits.size() && hits[h].rule == ri; ++h) {
      if (!run) continue;
      std::size_t e = hits[h].end;
      if (word_anchored) {
        m.ConfirmAtWord(ri, data, from, e, resume, found);
        continue;
      }
      const std::size_t back = m.lookbehind[ri];
      // One byte more on each side than a match can need: a rule's leading
      // or trailing boundary class may consume it.
      std::size_t wb = e > back + 1 ? e - back - 1 : 0;
      std::size_t we = std::min(data.size(), e + m.lookahead[ri] + 1);
      if (open && wb <= win_end) {
        win_end = std::max(win_end, we);
      } else {
        if (open) m.Confirm(ri, data, from, win_begin, win_end, found);
        win_begin = wb;
        win_end = we;
        open = true;
      }
    }
    if (open) m.Confirm(ri, data, from, win_begin, win_end, found);
  }
  if (found.empty()) return out;

  // Positions: one pass over the data for line numbers.
  std::sort(found.begin(), found.end(), [](const Match& a, const Match& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.rule < b.rule;
  });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const Match& a, const Match& b) { return a.begin == b.begin && a.rule == b.rule; }),
              found.end());
  std::uint32_t line = 1;
  std::size_t line_start = 0, cursor = 0;
  for (Match& mt : found) {
    for (; cursor < mt.begin; ++cursor) {
      if (data[cursor] == '\n') {
        ++line;
        line_start = cursor + 1;
      }
    }
    mt.line = line;
    mt.column = static_cast<std::uint32_t>(mt.begin - line_start + 1);
  }
  // Several rules may match one secret: ScanBuffer keeps one finding per
  // secret (the most specific rule's) and lists the others.
  // Multi-part rules count only with their companion nearby.
  for (const Match& mt : found) {
    const bool all_near = std::all_of(m.companions[mt.rule].begin(), m.companions[mt.rule].end(), [&](const auto& need) {
      return std::any_of(found.begin(), found.end(), [&](const Match& o) {
        return o.rule == need.first &&
               (need.second < 0 || (o.line > mt.line ? o.line - mt.line : mt.line - o.line) <=
                                       static_cast<std::uint32_t>(need.second));
      });
    });
    if (all_near) out.push_back(mt);
  }
  return out;
}

double ShannonEntropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (char c : s) ++counts[static_cast<unsigned char>(c)];
  double h = 0;
  const auto n = static_cast<double>(s.size());
  for (std::size_t c : counts) {
    if (c == 0) continue;
    double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

std::string Redact(std::string_view secret) {
  std::string out;
  if (secret.size() >= 12) {
    out = std::string(secret.substr(0, 4)) + "..." + std::string(secret.substr(secret.size() - 2));
  } else {
    out = std::string(secret.substr(0, std::min<std::size_t>(2, secret.size()))) + "...";
  }
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  return out + " (" + std::to_string(secret.size()) + " chars)";
}

std::vector<Finding> ToFindings(const Scanner& scanner, std::string_view data, std::string_view path,
                                const std::vector<Match>& matches, const ScanOptions& opts) {
  std::vector<Finding> out;
  for (const Match& mt : matches) {
    const Rule& r = scanner.rules()[mt.rule];
    // A path-only rule flags the file itself: its "secret" is the path.
    std::string_view secret = r.regex.empty() ? path : data.substr(mt.begin, mt.end - mt.begin);
    Finding f;
    f.rule_id = r.id;
    f.gate = "secrets";
    f.severity = r.severity;
    f.message = r.description + ": " + (opts.redact ? Redact(secret) : std::string(secret));
    f.location.file = std::string(path);
    if (!r.regex.empty()) {
      f.location.line = mt.line;
      f.location.column = mt.column;
    }
    // Bound to the secret itself, not where it stands: it survives moved
    // lines and rebases, and a different secret on the same line differs.
    f.fingerprint = MakeFingerprint(r.id, {secret});
    f.remediation = r.remediation;
    f.references = r.references;
    if (std::find(f.references.begin(), f.references.end(), "CWE-798") == f.references.end())
      f.references.insert(f.references.begin(), "CWE-798");
    f.tool = "tollgate-secrets";
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace tollgate::secrets
