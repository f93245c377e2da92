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

struct ReadList {
  Allowlist list;
  std::vector<std::string> target_rules;  // global [[allowlists]] only
  std::string where;                      // "file:line:col" for messages
};

// One gitleaks allowlist: `regexes` (tested against regexTarget: the secret
// by default, or the whole match or its line), `paths`, `stopwords`,
// `commits` (history scans: the commit a finding is attributed to) and
// `condition` ("OR" by default, or "AND").
Result<ReadList> ReadAllowlist(const std::string& name, const toml::table& t, const std::string& what) {
  ReadList out;
  out.where = Pos(name, t.source());
  Allowlist& a = out.list;
  for (auto [key, dest] : {std::pair{"regexes", &a.regexes}, {"stopwords", &a.stopwords}, {"paths", &a.paths}}) {
    auto r = Strings(name, t, key, what);
    if (!r) return Fail(r.error());
    *dest = std::move(*r);
  }
  auto commits = Strings(name, t, "commits", what);
  if (!commits) return Fail(commits.error());
  a.commits = std::move(*commits);
  auto targets = Strings(name, t, "targetRules", what);
  if (!targets) return Fail(targets.error());
  out.target_rules = std::move(*targets);
  if (const toml::node* rt = t.get("regexTarget")) {
    auto target = rt->is_string() ? ParseRegexTarget(rt->as_string()->get()) : std::nullopt;
    if (!target)
      return Fail(Error::Input(Pos(name, rt->source()) + ": " + what +
                               ": 'regexTarget' must be \"secret\", \"match\" or \"line\""));
    a.target = *target;
  }
  if (const toml::node* c = t.get("condition")) {
    // gitleaks accepts either letter case.
    std::string v = c->is_string() ? std::string(c->as_string()->get()) : std::string();
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    auto all = ParseConditionAll(v);
    if (!all)
      return Fail(Error::Input(Pos(name, c->source()) + ": " + what + ": 'condition' must be \"OR\" or \"AND\""));
    a.all = *all;
  }
  return out;
}

// A rule's allowlists: the old single [rules.allowlist] and the newer
// [[rules.allowlists]] (or the global [allowlist] and [[allowlists]]).
Result<std::vector<ReadList>> ReadAllowlists(const std::string& name, const toml::table& t, const char* one,
                                             const char* many, const std::string& what) {
  std::vector<ReadList> out;
  if (const toml::node* n = t.get(one)) {
    const toml::table* al = n->as_table();
    if (al == nullptr) return Fail(Error::Input(Pos(name, n->source()) + ": " + what + ": '" + one + "' must be a table"));
    auto a = ReadAllowlist(name, *al, what);
    if (!a) return Fail(a.error());
    out.push_back(std::move(*a));
  }
  if (const toml::node* n = t.get(many)) {
    const toml::array* als = n->as_array();
    if (als == nullptr)
      return Fail(Error::Input(Pos(name, n->source()) + ": " + what + ": '" + many + "' must be an array of tables"));
    for (const auto& item : *als) {
      const toml::table* alt = item.as_table();
      if (alt == nullptr)
        return Fail(Error::Input(Pos(name, item.source()) + ": " + what + ": each '" + many + "' must be a table"));
      auto a = ReadAllowlist(name, *alt, what);
      if (!a) return Fail(a.error());
      out.push_back(std::move(*a));
    }
  }
  return out;
}

// gitleaks composite rules (v8.28): [[rules.required]] with `id` and
// optional `withinLines`; without it the companion may be anywhere in the
// input. `withinColumns` is not modelled, so such a rule reports a little
// more than gitleaks would, never less.
Result<std::vector<Companion>> ReadRequired(const std::string& name, const toml::table& t, const std::string& what) {
  std::vector<Companion> out;
  const toml::node* n = t.get("required");
  if (n == nullptr) return out;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return Fail(Error::Input(Pos(name, n->source()) + ": " + what + ": 'required' must be an array of tables"));
  for (const auto& item : *arr) {
    const toml::table* rt = item.as_table();
    if (rt == nullptr || Str(*rt, "id").empty())
      return Fail(Error::Input(Pos(name, item.source()) + ": " + what + ": each [[rules.required]] needs an 'id'"));
    Companion c{Str(*rt, "id"), -1};
    if (const toml::node* wl = rt->get("withinLines")) {
      if (!wl->is_integer() || wl->as_integer()->get() < 0 || wl->as_integer()->get() > 100000)
        return Fail(Error::Input(Pos(name, wl->source()) + ": " + what + ": 'withinLines' must be an integer from 0"));
      c.within_lines = static_cast<int>(wl->as_integer()->get());
    }
    out.push_back(std::move(c));
  }
  return out;
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
      r.regex = Str(*t, "regex");
      r.path = Str(*t, "path");
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
      auto lists = ReadAllowlists(name, *t, "allowlist", "allowlists", what);
      if (!lists) return Fail(lists.error());
      auto required = ReadRequired(name, *t, what);
      if (!required) return Fail(required.error());
      r.companions = std::move(*required);

      auto base = std::find_if(rules.begin(), rules.end(), [&](const Rule& b) { return b.id == r.id; });
      if (r.regex.empty() && r.path.empty()) {
        // No detector of its own: it extends the rule of that id (gitleaks
        // inherits every attribute it does not set).
        if (base == rules.end())
          return Fail(Error::Input(Pos(name, t->source()) + ": " + what +
                                   ": needs a 'regex' or a 'path' (or the id of a rule to extend)"));
        if (!r.description.empty()) base->description = r.description;
        if (t->contains("secretGroup")) base->secret_group = r.secret_group;
        if (r.entropy) base->entropy = r.entropy;
        base->keywords.insert(base->keywords.end(), r.keywords.begin(), r.keywords.end());
        base->companions.insert(base->companions.end(), r.companions.begin(), r.companions.end());
        for (auto& l : *lists) AddAllowlist(*base, std::move(l.list));
        continue;
      }
      if (r.description.empty()) r.description = r.id;
      r.severity = Severity::kHigh;
      r.provider = "custom";
      for (auto& l : *lists) AddAllowlist(r, std::move(l.list));
      // A custom rule with a built-in's id replaces it.
      if (base != rules.end()) rules.erase(base);
      rules.push_back(std::move(r));
    }
  }
  std::erase_if(rules, [&](const Rule& r) { return disabled.count(r.id) != 0; });
  // Global allowlists: the old [allowlist] and v8.25's [[allowlists]], which
  // may name the rules they apply to (targetRules).
  auto global = ReadAllowlists(name, root, "allowlist", "allowlists", "global allowlist");
  if (!global) return Fail(global.error());
  for (auto& g : *global) {
    for (const std::string& id : g.target_rules)
      if (std::none_of(rules.begin(), rules.end(), [&](const Rule& r) { return r.id == id; }))
        return Fail(Error::Input(g.where + ": global allowlist: targetRules names unknown rule '" + id + "'"));
    for (Rule& r : rules)
      if (g.target_rules.empty() || std::count(g.target_rules.begin(), g.target_rules.end(), r.id) != 0)
        AddAllowlist(r, g.list);
  }
  return rules;
}

}  // namespace tollgate::secrets
