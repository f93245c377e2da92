// Control catalogs (catalogs/*.yaml) and the evidence rules they name.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "compliance/compliance.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/yaml.h"
#include "core/embedded.h"

namespace tollgate::compliance {

// Generated from catalogs/ by cmake/embed_policies.cmake.
extern const EmbeddedFile kBuiltinCatalogFiles[];
extern const std::size_t kBuiltinCatalogFileCount;

namespace {

constexpr std::size_t kMaxCatalogBytes = std::size_t{4} << 20;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsRuleFile(std::string_view name) { return EndsWith(name, ".rego") && !EndsWith(name, "_test.rego"); }

bool ValidFrameworkId(std::string_view id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// A required member of `map`: an error at the mapping when it is missing.
Result<YAML::Node> Required(const yaml::Reader& r, const YAML::Node& map, const std::string& key,
                            const std::string& what) {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return Fail(r.Bad(map, what + " needs '" + key + "'"));
  return n;
}

Result<std::string> NonEmptyString(const yaml::Reader& r, const YAML::Node& n, const std::string& key) {
  auto s = r.String(n, key);
  if (!s) return Fail(s.error());
  if (s->empty()) return Fail(r.Bad(n, "'" + key + "' must not be empty"));
  return *s;
}

Status ReadParams(const yaml::Reader& r, const YAML::Node& n, Json& out) {
  if (!n.IsDefined() || n.IsNull()) return Ok();
  static const std::set<std::string> kLists{"production_envs", "required_scanners"};
  std::set<std::string> allowed = kLists;
  const Json defaults = DefaultParams();
  for (const auto& [key, value] : defaults.items())
    if (value.is_number()) allowed.insert(key);
  TG_TRY(r.OnlyKeys(n, allowed, "params"));
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (kLists.count(key) != 0) {
      auto l = r.StringList(kv.second, key);
      if (!l) return Fail(l.error());
      out[key] = *l;
      continue;
    }
    auto v = r.Int(kv.second, key);
    if (!v) return Fail(v.error());
    if (*v < 0) return Fail(r.Bad(kv.second, "'" + key + "' must not be negative"));
    out[key] = *v;
  }
  return Ok();
}

Result<Control> ReadControl(const yaml::Reader& r, const YAML::Node& n) {
  TG_TRY(r.OnlyKeys(n, {"id", "title", "objective", "rules", "manual", "maps_to"}, "control"));
  Control c;
  c.where = r.file() + ":" + std::to_string(n.Mark().line + 1);
  for (auto [key, out] : {std::pair{"id", &c.id}, std::pair{"title", &c.title}, std::pair{"objective", &c.objective}}) {
    auto node = Required(r, n, key, "a control");
    if (!node) return Fail(node.error());
    auto s = NonEmptyString(r, *node, key);
    if (!s) return Fail(s.error());
    *out = *s;
  }
  YAML::Node rules = n["rules"];
  YAML::Node manual = n["manual"];
  bool has_rules = rules.IsDefined() && !rules.IsNull();
  bool has_manual = manual.IsDefined() && !manual.IsNull();
  if (has_rules == has_manual)
    return Fail(
        r.Bad(n, "control " + c.id + " needs either 'rules' (evidence rules) or 'manual' (why a person assesses it)"));
  if (has_rules) {
    auto l = r.StringList(rules, "rules");
    if (!l) return Fail(l.error());
    if (l->empty()) return Fail(r.Bad(rules, "control " + c.id + ": 'rules' must name at least one rule"));
    c.rules = *l;
  } else {
    auto s = NonEmptyString(r, manual, "manual");
    if (!s) return Fail(s.error());
    c.manual = *s;
  }
  if (YAML::Node m = n["maps_to"]; m.IsDefined() && !m.IsNull()) {
    auto l = r.StringList(m, "maps_to");
    if (!l) return Fail(l.error());
    c.maps_to = *l;
  }
  return c;
}

// Parses one catalog; rule names are checked against `known` (the rules the
// rule files define), each error naming the line of the name.
Result<Framework> ParseCatalog(const SourceText& src, const std::set<std::string>& known) {
  auto doc = yaml::ParseDocument(src.text, src.name);
  if (!doc) return Fail(doc.error());
  yaml::Reader r(src.name);
  return yaml::Guarded(src.name, [&]() -> Result<Framework> {
    const YAML::Node& root = doc->root;
    if (!root.IsMap())
      return Fail(Error::Input(src.name + ": a catalog must be a mapping with framework and controls"));
    TG_TRY(r.OnlyKeys(root, {"framework", "params", "controls"}, "catalog"));
    Framework f;
    f.file = src.name;
    auto fw = Required(r, root, "framework", "a catalog");
    if (!fw) return Fail(fw.error());
    TG_TRY(r.OnlyKeys(*fw, {"id", "name", "version", "note", "target"}, "framework"));
    for (auto [key, out] : {std::pair{"id", &f.id}, std::pair{"name", &f.name}, std::pair{"version", &f.version}}) {
      auto node = Required(r, *fw, key, "framework");
      if (!node) return Fail(node.error());
      auto s = NonEmptyString(r, *node, key);
      if (!s) return Fail(s.error());
      *out = *s;
    }
    if (!ValidFrameworkId(f.id))
      return Fail(r.Bad((*fw)["id"], "framework id '" + f.id + "' must be lower-case letters, digits and '-'"));
    if (YAML::Node note = (*fw)["note"]; note.IsDefined() && !note.IsNull()) {
      auto s = r.String(note, "note");
      if (!s) return Fail(s.error());
      f.note = *s;
    }
    if (YAML::Node t = (*fw)["target"]; t.IsDefined() && !t.IsNull()) {
      auto v = r.Number(t, "target");
      if (!v) return Fail(v.error());
      if (*v < 0 || *v > 1) return Fail(r.Bad(t, "'target' is a share between 0 and 1"));
      f.target = *v;
    }
    TG_TRY(ReadParams(r, root["params"], f.params));
    auto controls = Required(r, root, "controls", "a catalog");
    if (!controls) return Fail(controls.error());
    if (!controls->IsSequence() || controls->size() == 0)
      return Fail(r.Bad(*controls, "'controls' must be a non-empty list"));
    std::set<std::string> ids;
    for (const auto& item : *controls) {
      auto c = ReadControl(r, item);
      if (!c) return Fail(c.error());
      if (!ids.insert(c->id).second) return Fail(r.Bad(item["id"], "duplicate control id '" + c->id + "'"));
      for (std::size_t i = 0; i < c->rules.size(); ++i)
        if (known.count(c->rules[i]) == 0)
          return Fail(r.Bad(item["rules"][i], "control " + c->id + ": no evidence rule '" + c->rules[i] +
                                                  "' is defined in package " + kRulesPackage));
      f.controls.push_back(std::move(*c));
    }
    return f;
  });
}

Status ReadDir(const std::string& dir, bool (*keep)(std::string_view), std::vector<SourceText>& out) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return Ok();
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && keep(e.path().filename().string())) names.push_back(e.path().string());
  if (ec) return Fail(Error::Io(dir + ": " + ec.message()));
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    auto text = ReadFileBounded(n, kMaxCatalogBytes, "compliance catalog");
    if (!text) return Fail(text.error());
    out.push_back({n, std::move(*text)});
  }
  return Ok();
}

bool IsYaml(std::string_view name) { return EndsWith(name, ".yaml") || EndsWith(name, ".yml"); }

}  // namespace

double Framework::AutomationLevel() const {
  if (controls.empty()) return 0;
  auto automated = std::count_if(controls.begin(), controls.end(), [](const Control& c) { return c.automated(); });
  return static_cast<double>(automated) / static_cast<double>(controls.size());
}

const Framework* Library::Find(std::string_view id) const {
  for (const auto& f : frameworks)
    if (f.id == id) return &f;
  return nullptr;
}

std::string Library::FrameworkIds() const {
  std::string out;
  for (const auto& f : frameworks) out += (out.empty() ? "" : ", ") + f.id;
  return out;
}

Json DefaultParams() {
  return Json{{"production_envs", {"prod", "production"}},
              {"required_scanners", {"secrets", "deps", "iac"}},
              {"emergency_approval_days", 7},
              {"incident_max_open_days", 30},
              {"scan_max_interval_days", 90},
              {"waiver_max_days", 90},
              {"vuln_fix_days", 30}};
}

std::vector<SourceText> BuiltinCatalogs() {
  std::vector<SourceText> out;
  for (std::size_t i = 0; i < kBuiltinCatalogFileCount; ++i)
    if (IsYaml(kBuiltinCatalogFiles[i].name))
      out.push_back({kBuiltinCatalogFiles[i].name, kBuiltinCatalogFiles[i].text});
  return out;
}

std::vector<SourceText> BuiltinRules() {
  std::vector<SourceText> out;
  for (std::size_t i = 0; i < kBuiltinCatalogFileCount; ++i)
    if (IsRuleFile(kBuiltinCatalogFiles[i].name))
      out.push_back({kBuiltinCatalogFiles[i].name, kBuiltinCatalogFiles[i].text});
  return out;
}

Result<Library> LoadLibraryFrom(const std::vector<SourceText>& catalogs, const std::vector<SourceText>& rules) {
  Library lib;
  std::vector<rego::SourceFile> files;
  files.reserve(rules.size());
  for (const auto& r : rules) files.push_back({r.name, r.text});
  auto policy = rego::Policy::Compile(files);
  if (!policy) return Fail(Error::Input(policy.error().message()));
  lib.rules = *policy;
  for (const auto* list : {&catalogs, &rules})
    for (const auto& src : *list) lib.digests[src.name] = HexEncode(Sha256(src.text));
  auto names = lib.rules->RuleNames(kRulesPackage);
  std::set<std::string> known(names.begin(), names.end());
  std::map<std::string, std::string> seen;  // framework id -> file
  for (const auto& c : catalogs) {
    auto f = ParseCatalog(c, known);
    if (!f) return Fail(f.error());
    if (auto [it, fresh] = seen.emplace(f->id, c.name); !fresh)
      return Fail(Error::Input(c.name + ": framework '" + f->id + "' is already defined by " + it->second));
    lib.frameworks.push_back(std::move(*f));
  }
  return lib;
}

Result<Library> LoadLibrary(const std::vector<std::string>& extra) {
  std::vector<SourceText> catalogs = BuiltinCatalogs();
  std::vector<SourceText> rules = BuiltinRules();
  for (const auto& dir : extra) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir, ec)) {
      const bool yaml = IsYaml(dir);
      if (!yaml && !IsRuleFile(dir))
        return Fail(Error::Input(dir + ": a catalog file is .yaml or .yml, a rule file .rego (not *_test.rego)"));
      auto text = ReadFileBounded(dir, kMaxCatalogBytes, "compliance catalog");
      if (!text) return Fail(text.error());
      (yaml ? catalogs : rules).push_back({dir, std::move(*text)});
      continue;
    }
    if (!std::filesystem::is_directory(dir, ec)) return Fail(Error::NotFound(dir + ": no such catalog file or directory"));
    TG_TRY(ReadDir(dir, IsYaml, catalogs));
    TG_TRY(ReadDir((std::filesystem::path(dir) / "rules").string(), IsRuleFile, rules));
  }
  return LoadLibraryFrom(catalogs, rules);
}

}  // namespace tollgate::compliance
