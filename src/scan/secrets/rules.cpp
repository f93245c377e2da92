// Loader of our TOML rule format (rules/README.md).
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "core/file.h"

#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

std::string Pos(const std::string& name, const toml::source_region& r) {
  return name + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

class RuleReader {
 public:
  RuleReader(const std::string& name, const toml::table& t, std::string id)
      : name_(name), t_(t), id_(std::move(id)) {}

  Error Bad(const toml::node* n, const std::string& what) const {
    const toml::source_region& r = n != nullptr ? n->source() : t_.source();
    return Error::Input(Pos(name_, r) + ": rule '" + id_ + "': " + what);
  }

  Result<std::string> String(const char* key, bool required) const {
    const toml::node* n = t_.get(key);
    if (n == nullptr) {
      if (required) return Fail(Bad(nullptr, std::string("'") + key + "' is required"));
      return std::string();
    }
    if (!n->is_string()) return Fail(Bad(n, std::string("'") + key + "' must be a string"));
    return std::string(n->as_string()->get());
  }

  Result<std::vector<std::string>> Strings(const toml::table& t, const char* key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (n == nullptr) return out;
    const toml::array* a = n->as_array();
    if (a == nullptr) return Fail(Bad(n, std::string("'") + key + "' must be an array of strings"));
    for (const auto& item : *a) {
      if (!item.is_string()) return Fail(Bad(&item, std::string("'") + key + "' must hold only strings"));
      out.emplace_back(item.as_string()->get());
    }
    return out;
  }

 private:
  const std::string& name_;
  const toml::table& t_;
  std::string id_;
};

Status OnlyKeys(const std::string& name, const toml::table& t, const std::set<std::string>& allowed,
                const std::string& what) {
  for (const auto& [k, v] : t) {
    if (allowed.count(std::string(k.str())) == 0)
      return Fail(Error::Input(Pos(name, v.source()) + ": " + what + ": unknown key '" + std::string(k.str()) + "'"));
  }
  return Ok();
}

Result<Rule> ReadRule(const std::string& name, const toml::table& t) {
  Rule r;
  const toml::node* idn = t.get("id");
  if (idn == nullptr || !idn->is_string())
    return Fail(Error::Input(Pos(name, t.source()) + ": a rule needs a string 'id'"));
  r.id = idn->as_string()->get();
  r.origin = name + ":" + std::to_string(t.source().begin.line);
  RuleReader rd(name, t, r.id);
  TG_TRY(OnlyKeys(name, t,
                  {"id", "description", "provider", "severity", "regex", "secret_group", "keywords", "entropy",
                   "remediation", "references", "examples", "negative_examples", "allowlist", "requires", "path",
                   "prefilter", "prefilter_window", "prefilter_word_anchor"},
                  "rule '" + r.id + "'"));
  auto get = [&](const char* key, bool required, std::string& out) -> Status {
    auto s = rd.String(key, required);
    if (!s) return Fail(s.error());
    out = std::move(*s);
    return Ok();
  };
  TG_TRY(get("description", true, r.description));
  TG_TRY(get("provider", false, r.provider));
  TG_TRY(get("regex", false, r.regex));
  TG_TRY(get("path", false, r.path));
  TG_TRY(get("prefilter", false, r.prefilter));
  if (!r.prefilter.empty() && r.regex.empty()) return Fail(rd.Bad(t.get("prefilter"), "'prefilter' needs a 'regex'"));
  if (const toml::node* w = t.get("prefilter_window")) {
    if (r.prefilter.empty()) return Fail(rd.Bad(w, "'prefilter_window' needs a 'prefilter'"));
    if (!w->is_integer() || w->as_integer()->get() < 1 || w->as_integer()->get() > 65536)
      return Fail(rd.Bad(w, "'prefilter_window' must be an integer from 1 to 65536 (bytes)"));
    r.prefilter_window = static_cast<int>(w->as_integer()->get());
  }
  if (const toml::node* w = t.get("prefilter_word_anchor")) {
    if (r.prefilter.empty() || r.prefilter_window > 0)
      return Fail(rd.Bad(w, "'prefilter_word_anchor' needs a 'prefilter' and no 'prefilter_window'"));
    if (!w->is_integer() || w->as_integer()->get() < 0 || w->as_integer()->get() > 16)
      return Fail(rd.Bad(w, "'prefilter_word_anchor' must be an integer from 0 to 16 (bytes)"));
    r.prefilter_word_anchor = static_cast<int>(w->as_integer()->get());
  }
  if (r.regex.empty() && r.path.empty()) return Fail(rd.Bad(nullptr, "needs a 'regex', a 'path', or both"));
  TG_TRY(get("remediation", false, r.remediation));
  std::string sev;
  TG_TRY(get("severity", false, sev));
  if (!sev.empty()) {
    auto s = ParseRatedSeverity(sev);
    if (!s) return Fail(rd.Bad(t.get("severity"), "unknown severity '" + sev + "'"));
    r.severity = *s;
  }
  if (const toml::node* g = t.get("secret_group")) {
    if (!g->is_integer() || g->as_integer()->get() < 0 || g->as_integer()->get() > 32)
      return Fail(rd.Bad(g, "'secret_group' must be an integer from 0 to 32"));
    r.secret_group = static_cast<int>(g->as_integer()->get());
  }
  if (const toml::node* e = t.get("entropy")) {
    if (!e->is_number()) return Fail(rd.Bad(e, "'entropy' must be a number"));
    r.entropy = e->value<double>();
  }
  auto list = [&](const toml::table& from, const char* key, std::vector<std::string>& out) -> Status {
    auto l = rd.Strings(from, key);
    if (!l) return Fail(l.error());
    out = std::move(*l);
    return Ok();
  };
  TG_TRY(list(t, "keywords", r.keywords));
  for (auto& k : r.keywords)
    for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  TG_TRY(list(t, "references", r.references));
  TG_TRY(list(t, "examples", r.examples));
  TG_TRY(list(t, "negative_examples", r.negative_examples));
  if (const toml::node* a = t.get("allowlist")) {
    const toml::table* at = a->as_table();
    if (at == nullptr) return Fail(rd.Bad(a, "'allowlist' must be a table"));
    TG_TRY(OnlyKeys(name, *at, {"regexes", "stopwords", "paths", "regex_target", "condition"},
                    "rule '" + r.id + "' allowlist"));
    Allowlist al;
    TG_TRY(list(*at, "regexes", al.regexes));
    TG_TRY(list(*at, "stopwords", al.stopwords));
    TG_TRY(list(*at, "paths", al.paths));
    if (const toml::node* rt = at->get("regex_target")) {
      auto target = rt->is_string() ? ParseRegexTarget(rt->as_string()->get()) : std::nullopt;
      if (!target) return Fail(rd.Bad(rt, "'allowlist.regex_target' must be \"secret\", \"match\" or \"line\""));
      al.target = *target;
    }
    if (const toml::node* c = at->get("condition")) {
      auto all = c->is_string() ? ParseConditionAll(c->as_string()->get()) : std::nullopt;
      if (!all) return Fail(rd.Bad(c, "'allowlist.condition' must be \"OR\" or \"AND\""));
      al.all = *all;
    }
    AddAllowlist(r, std::move(al));
  }
  if (const toml::node* q = t.get("requires")) {
    const toml::table* qt = q->as_table();
    if (qt == nullptr) return Fail(rd.Bad(q, "'requires' must be a table"));
    TG_TRY(OnlyKeys(name, *qt, {"rule", "within_lines"}, "rule '" + r.id + "' requires"));
    const toml::node* rr = qt->get("rule");
    const toml::node* wl = qt->get("within_lines");
    if (rr == nullptr || !rr->is_string()) return Fail(rd.Bad(q, "'requires.rule' must name a rule"));
    Companion c{std::string(rr->as_string()->get()), 5};
    if (wl != nullptr) {
      if (!wl->is_integer() || wl->as_integer()->get() < 0 || wl->as_integer()->get() > 1000)
        return Fail(rd.Bad(wl, "'requires.within_lines' must be an integer from 0 to 1000"));
      c.within_lines = static_cast<int>(wl->as_integer()->get());
    }
    r.companions.push_back(std::move(c));
  }
  return r;
}

}  // namespace

std::optional<Allowlist::Target> ParseRegexTarget(std::string_view s) {
  if (s == "secret") return Allowlist::Target::kSecret;
  if (s == "match") return Allowlist::Target::kMatch;
  if (s == "line") return Allowlist::Target::kLine;
  return std::nullopt;
}

std::optional<bool> ParseConditionAll(std::string_view s) {
  if (s == "OR") return false;
  if (s == "AND") return true;
  return std::nullopt;
}

void AddAllowlist(Rule& r, Allowlist a) {
  for (auto* words : {&a.stopwords, &a.commits})
    for (auto& w : *words)
      for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (a.all) {
    r.allowlists.push_back(std::move(a));
    return;
  }
  if (!a.commits.empty()) {
    Allowlist by_commit;
    by_commit.commits = std::move(a.commits);
    r.allowlists.push_back(std::move(by_commit));
  }
  r.allow_paths.insert(r.allow_paths.end(), a.paths.begin(), a.paths.end());
  r.allow_stopwords.insert(r.allow_stopwords.end(), a.stopwords.begin(), a.stopwords.end());
  if (a.target == Allowlist::Target::kSecret) {
    r.allow_regexes.insert(r.allow_regexes.end(), a.regexes.begin(), a.regexes.end());
  } else if (!a.regexes.empty()) {
    Allowlist rest;
    rest.target = a.target;
    rest.regexes = std::move(a.regexes);
    r.allowlists.push_back(std::move(rest));
  }
}

Result<std::vector<Rule>> ParseRules(std::string_view text, const std::string& name) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& err) {
    return Fail(Error::Input(Pos(name, err.source()) + ": invalid TOML: " + std::string(err.description())));
  }
  TG_TRY(OnlyKeys(name, root, {"rule"}, "rule file"));
  std::vector<Rule> rules;
  const toml::node* arr = root.get("rule");
  if (arr == nullptr) return rules;
  const toml::array* a = arr->as_array();
  if (a == nullptr) return Fail(Error::Input(Pos(name, arr->source()) + ": 'rule' must be an array of tables ([[rule]])"));
  for (const auto& item : *a) {
    const toml::table* t = item.as_table();
    if (t == nullptr) return Fail(Error::Input(Pos(name, item.source()) + ": each [[rule]] must be a table"));
    auto r = ReadRule(name, *t);
    if (!r) return Fail(r.error());
    rules.push_back(std::move(*r));
  }
  return rules;
}

Result<std::vector<Rule>> LoadRulesFile(const std::string& path) {
  // Bounded, and a FIFO or device is refused rather than waited on.
  auto read = ReadFileBounded(path, kDefaultMaxFileBytes, "rule file");
  if (!read) return Fail(read.error());
  const std::string& text = *read;
  // gitleaks configurations use [[rules]]; ours use [[rule]].
  toml::table probe;
  try {
    probe = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    return Fail(Error::Input(Pos(path, err.source()) + ": invalid TOML: " + std::string(err.description())));
  }
  auto rules = probe.contains("rules") || probe.contains("extend") || probe.contains("allowlist") ||
                       probe.contains("allowlists") || probe.contains("title")
                   ? ParseGitleaksRules(text, path)
                   : ParseRules(text, path);
  // A rule file that defines no rule would make a scan that finds nothing.
  if (rules && rules->empty()) return Fail(Error::Input(path + ": no rules defined: a scan with it would find nothing"));
  return rules;
}

}  // namespace tollgate::secrets
