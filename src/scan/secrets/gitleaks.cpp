// Reading gitleaks configuration files (.gitleaks.toml) into our rules, so
// teams keep the configuration they have.
#include <algorithm>
#include <set>

#include <toml++/toml.h>

#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

std::string Pos(const std::string& name, const toml::source_region& r) {
  return name + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

Result<std::vector<std::string>> Strings(const std::string& name, const toml::table& t, const char* key,
                                         const std::string& what) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (n == nullptr) return out;
  const toml::array* a = n->as_array();
  if (a == nullptr) return Fail(Error::Input(Pos(name, n->source()) + ": " + what + ": '" + key + "' must be an array"));
  for (const auto& item : *a) {
    if (!item.is_string())
      return Fail(Error::Input(Pos(name, item.source()) + ": " + what + ": '" + key + "' must hold strings"));
    out.emplace_back(item.as_string()->get());
  }
  return out;
}

std::string Str(const toml::table& t, const char* key) {
  const toml::node* n = t.get(key);
  return n != nullptr && n->is_string() ? std::string(n->as_string()->get()) : std::string();
}

struct Allowlist {
  std::vector<std::string> regexes, stopwords, paths;
};

// gitleaks allowlists: `regexes` (against the secret by default; regexTarget
// "match" or "line" widen it, which we approximate by the secret), `paths`,
// `stopwords`. `commits` has no meaning for file scans and is ignored.
Result<Allowlist> ReadAllowlist(const std::string& name, const toml::table& t, const std::string& what) {
  Allowlist a;
  auto r = Strings(name, t, "regexes", what);
  if (!r) return Fail(r.error());
  a.regexes = std::move(*r);
  auto w = Strings(name, t, "stopwords", what);
  if (!w) return Fail(w.error());
  for (auto& s : *w) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    a.stopwords.push_back(s);
  }
  auto p = Strings(name, t, "paths", what);
  if (!p) return Fail(p.error());
  a.paths = std::move(*p);
  return a;
}

void AddAllowlist(Rule& r, const Allowlist& a) {
  r.allow_regexes.insert(r.allow_regexes.end(), a.regexes.begin(), a.regexes.end());
  r.allow_stopwords.insert(r.allow_stopwords.end(), a.stopwords.begin(), a.stopwords.end());
  r.allow_paths.insert(r.allow_paths.end(), a.paths.begin(), a.paths.end());
}

}  // namespace

Result<std::vector<Rule>> ParseGitleaksRules(std::string_view text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& err) {
    return Fail(Error::Input(Pos(name, err.source()) + ": invalid TOML: " + std::string(err.description())));
  }
  std::vector<Rule> rules;
  std::set<std::string> disabled;
  if (const toml::table* ext = root["extend"].as_table()) {
    if (ext->contains("path"))
      return Fail(Error::Input(Pos(name, ext->source()) + ": [extend] path is not supported: merge that file in"));
    auto d = Strings(name, *ext, "disabledRules", "[extend]");
    if (!d) return Fail(d.error());
    disabled.insert(d->begin(), d->end());
    const toml::node* use = ext->get("useDefault");
    if (use != nullptr && use->value_or(false)) {
      auto builtin = BuiltinRules();
      if (!builtin) return Fail(builtin.error());
      rules = std::move(*builtin);
    }
  }
  if (const toml::node* arr = root.get("rules")) {
    const toml::array* a = arr->as_array();
    if (a == nullptr) return Fail(Error::Input(Pos(name, arr->source()) + ": 'rules' must be an array of tables"));
    for (const auto& item : *a) {
      const toml::table* t = item.as_table();
      if (t == nullptr) return Fail(Error::Input(Pos(name, item.source()) + ": each [[rules]] must be a table"));
      Rule r;
      r.id = Str(*t, "id");
      if (r.id.empty()) return Fail(Error::Input(Pos(name, t->source()) + ": a rule needs an 'id'"));
      const std::string what = "rule '" + r.id + "'";
      r.origin = name + ":" + std::to_string(t->source().begin.line);
      r.description = Str(*t, "description");
      if (r.description.empty()) r.description = r.id;
      r.regex = Str(*t, "regex");
      r.path = Str(*t, "path");
      if (r.regex.empty() && r.path.empty())
        return Fail(Error::Input(Pos(name, t->source()) + ": " + what + ": needs a 'regex' or a 'path'"));
      r.severity = Severity::kHigh;
      r.provider = "custom";
      if (const toml::node* g = t->get("secretGroup")) r.secret_group = static_cast<int>(g->value_or<std::int64_t>(0));
      if (const toml::node* e = t->get("entropy")) {
        if (!e->is_number()) return Fail(Error::Input(Pos(name, e->source()) + ": " + what + ": 'entropy' must be a number"));
        r.entropy = e->value<double>();
      }
      auto kw = Strings(name, *t, "keywords", what);
      if (!kw) return Fail(kw.error());
      for (auto& k : *kw) {
        std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        r.keywords.push_back(k);
      }
      // Old form [rules.allowlist] and new form [[rules.allowlists]].
      if (const toml::table* al = (*t)["allowlist"].as_table()) {
        auto a2 = ReadAllowlist(name, *al, what);
        if (!a2) return Fail(a2.error());
        AddAllowlist(r, *a2);
      }
      if (const toml::array* als = (*t)["allowlists"].as_array()) {
        for (const auto& al : *als) {
          if (const toml::table* alt = al.as_table()) {
            auto a2 = ReadAllowlist(name, *alt, what);
            if (!a2) return Fail(a2.error());
            AddAllowlist(r, *a2);
          }
        }
      }
      // A custom rule with a built-in's id replaces it.
      std::erase_if(rules, [&](const Rule& b) { return b.id == r.id; });
      rules.push_back(std::move(r));
    }
  }
  std::erase_if(rules, [&](const Rule& r) { return disabled.count(r.id) != 0; });
  if (const toml::table* global = root["allowlist"].as_table()) {
    auto a = ReadAllowlist(name, *global, "[allowlist]");
    if (!a) return Fail(a.error());
    for (Rule& r : rules) AddAllowlist(r, *a);
  }
  return rules;
}

}  // namespace tollgate::secrets
