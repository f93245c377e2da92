// Gatekeeper's model on Tollgate's Rego engine: templates compiled once (one
// policy each, so that two templates' packages and libs never meet),
// constraints indexed by the kinds they match, Gatekeeper's input.
#include "admission/admission.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/canonical_json.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/yaml.h"
#include "rego/rego.h"
#include "rego/value.h"
#include "core/embedded.h"

namespace tollgate::admission {

namespace fs = std::filesystem;

// policies/gatekeeper/{templates,constraints}/*.yaml, embedded at build time
// (cmake/embed_policies.cmake).
extern const EmbeddedFile kBuiltinLibraryFiles[];
extern const std::size_t kBuiltinLibraryFileCount;

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kDryrun: return "dryrun";
    case Action::kWarn: return "warn";
    case Action::kDeny: return "deny";
  }
  return "deny";
}

namespace {

constexpr std::uint64_t kMaxPolicyFileBytes = 8u << 20;
constexpr std::uint64_t kMaxManifestFileBytes = 256u << 20;

std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& Get(const Json& j, std::initializer_list<const char*> path) {
  static const Json kNull;
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(k);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

std::optional<Action> ParseAction(const std::string& s) {
  if (s == "deny" || s == "Deny") return Action::kDeny;
  if (s == "dryrun" || s == "Dryrun") return Action::kDryrun;
  if (s == "warn" || s == "Warn") return Action::kWarn;
  return std::nullopt;
}

// Gatekeeper's namespace and name globs: "prefix*", "*suffix" or exact.
bool GlobMatch(const std::string& pattern, const std::string& s) {
  if (pattern == "*") return true;
  if (pattern.size() > 1 && pattern.back() == '*' && pattern.find('*') == pattern.size() - 1)
    return s.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  if (pattern.size() > 1 && pattern.front() == '*' && pattern.find('*', 1) == std::string::npos)
    return s.size() >= pattern.size() - 1 && s.compare(s.size() - (pattern.size() - 1), pattern.size() - 1, pattern, 1) == 0;
  return pattern == s;
}

bool AnyGlob(const Json& patterns, const std::string& s) {
  for (const auto& p : patterns)
    if (p.is_string() && GlobMatch(p.get<std::string>(), s)) return true;
  return false;
}

bool ContainsOrWild(const Json& list, const std::string& v) {
  if (!list.is_array() || list.empty()) return true;
  for (const auto& x : list)
    if (x.is_string() && (x == "*" || x.get<std::string>() == v)) return true;
  return false;
}

// A Kubernetes label selector (matchLabels, matchExpressions) on `labels`.
Result<bool> SelectorMatches(const Json& selector, const Json& labels, const std::string& where) {
  auto label = [&](const std::string& k) -> const Json* {
    if (!labels.is_object()) return nullptr;
    auto it = labels.find(k);
    return it == labels.end() ? nullptr : &*it;
  };
  if (const Json& ml = Get(selector, {"matchLabels"}); ml.is_object())
    for (const auto& [k, v] : ml.items()) {
      const Json* l = label(k);
      if (!l || *l != v) return false;
    }
  const Json& exprs = Get(selector, {"matchExpressions"});
  if (exprs.is_array()) {
    for (const auto& e : exprs) {
      const std::string key = Str(e, "key"), op = Str(e, "operator");
      const Json* l = label(key);
      const Json& values = Get(e, {"values"});
      auto in = [&] {
        if (!l || !values.is_array()) return false;
        return std::find(values.begin(), values.end(), *l) != values.end();
      };
      bool ok = false;
      if (op == "In") ok = in();
      else if (op == "NotIn") ok = !in();
      else if (op == "Exists") ok = l != nullptr;
      else if (op == "DoesNotExist") ok = l == nullptr;
      else return Fail(Error::Input(where + ": unknown label selector operator '" + op + "'"));
      if (!ok) return false;
    }
  }
  return true;
}

// The parameters schema (an OpenAPI v3 subset: type, properties, items,
// enum, required): the constraint's parameters must conform.
Status CheckSchema(const Json& schema, const Json& value, const std::string& path, const std::string& where) {
  if (!schema.is_object()) return Ok();
  auto bad = [&](const std::string& what) { return Fail(Error::Input(where + ": spec.parameters" + path + ": " + what)); };
  const std::string type = Str(schema, "type");
  if (!type.empty()) {
    bool ok = (type == "object" && value.is_object()) || (type == "array" && value.is_array()) ||
              (type == "string" && value.is_string()) || (type == "boolean" && value.is_boolean()) ||
              (type == "integer" && value.is_number_integer()) || (type == "number" && value.is_number());
    if (!ok) return bad("must be of type " + type);
  }
  if (const Json& e = Get(schema, {"enum"}); e.is_array() && std::find(e.begin(), e.end(), value) == e.end())
    return bad("is not one of " + e.dump());
  if (value.is_object()) {
    if (const Json& req = Get(schema, {"required"}); req.is_array())
      for (const auto& r : req)
        if (r.is_string() && !value.contains(r.get<std::string>())) return bad(" lacks the required '" + r.get<std::string>() + "'");
    const Json& props = Get(schema, {"properties"});
    if (props.is_object())
      for (const auto& [k, v] : value.items())
        if (props.contains(k)) TG_TRY(CheckSchema(props[k], v, path + "." + k, where));
  }
  if (value.is_array())
    if (const Json& items = Get(schema, {"items"}); items.is_object())
      for (std::size_t i = 0; i < value.size(); ++i) TG_TRY(CheckSchema(items, value[i], path + "[" + std::to_string(i) + "]", where));
  return Ok();
}

bool IsYamlOrJson(const fs::path& p) {
  std::string e = p.extension().string();
  return e == ".yaml" || e == ".yml" || e == ".json";
}

// The non-empty documents of a YAML stream as JSON, each at its first line.
Result<std::vector<SourceDocument>> YamlDocuments(std::string_view text, const std::string& file) {
  auto docs = yaml::ParseStream(text, file);
  if (!docs) return Fail(docs.error());
  std::vector<SourceDocument> out;
  for (const auto& d : *docs) {
    if (!d.root || d.root.IsNull()) continue;
    yaml::Budget budget = yaml::Budget::For(d);
    auto j = yaml::Guarded(file, [&] { return yaml::ToJson(d.root, file, budget); });
    if (!j) return Fail(j.error());
    out.push_back({file, static_cast<std::uint32_t>(d.root.Mark().line + 1), std::move(*j)});
  }
  return out;
}

Result<std::vector<SourceDocument>> ReadFileDocuments(const std::string& file, std::uint64_t max_bytes) {
  auto text = ReadFileBounded(file, max_bytes);
  if (!text) return Fail(text.error());
  std::vector<SourceDocument> out;
  if (fs::path(file).extension() == ".json") {
    Json j = Json::parse(*text, nullptr, false);
    if (j.is_discarded()) return Fail(Error::Input(file + ": not valid JSON"));
    out.push_back({file, 0, std::move(j)});
    return out;
  }
  return YamlDocuments(*text, file);
}

Result<std::vector<SourceDocument>> ReadAll(const std::vector<std::string>& paths, std::uint64_t max_bytes) {
  auto files = ListFiles(paths);
  if (!files) return Fail(files.error());
  std::vector<SourceDocument> out;
  for (const auto& f : *files) {
    auto docs = ReadFileDocuments(f, max_bytes);
    if (!docs) return Fail(docs.error());
    for (auto& d : *docs) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> ListFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      for (fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
           it.increment(ec))
        if (it->is_regular_file(ec) && IsYamlOrJson(it->path())) files.push_back(it->path().generic_string());
      if (ec) return Fail(Error::Io(p + ": " + ec.message()));
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      return Fail(Error::NotFound(p + ": no such file or directory"));
    }
  }
  return out;
}

Result<std::vector<SourceDocument>> ReadDocuments(const std::vector<std::string>& paths) {
  return ReadAll(paths, kMaxManifestFileBytes);
}

// ---------------------------------------------------------------- inventory

Status Inventory::Add(const Json& object, const std::string& where) {
  const std::string api = Str(object, "apiVersion"), kind = Str(object, "kind");
  const std::string name = Str(Get(object, {"metadata"}), "name");
  if (api.empty() || kind.empty() || name.empty())
    return Fail(Error::Input(where + ": an inventory object needs apiVersion, kind and metadata.name"));
  const std::string ns = Str(Get(object, {"metadata"}), "namespace");
  if (ns.empty()) data_["cluster"][api][kind][name] = object;
  else data_["namespace"][ns][api][kind][name] = object;
  ++size_;
  return Ok();
}

const Json* Inventory::Namespace(const std::string& name) const {
  const Json& c = data_["cluster"];
  auto v1 = c.find("v1");
  if (v1 == c.end()) return nullptr;
  auto ns = v1->find("Namespace");
  if (ns == v1->end()) return nullptr;
  auto it = ns->find(name);
  return it == ns->end() ? nullptr : &*it;
}

Json AuditRequest(const Json& object) {
  const std::string api = Str(object, "apiVersion");
  std::string group, version = api;
  if (auto slash = api.find('/'); slash != std::string::npos) {
    group = api.substr(0, slash);
    version = api.substr(slash + 1);
  }
  Json r{{"kind", Json{{"group", group}, {"version", version}, {"kind", Str(object, "kind")}}},
         {"name", Str(Get(object, {"metadata"}), "name")},
         {"object", object}};
  if (std::string ns = Str(Get(object, {"metadata"}), "namespace"); !ns.empty()) r["namespace"] = ns;
  return r;
}

// ---------------------------------------------------------------- policy set

namespace {

struct Template {
  std::string kind;
  std::string file;
  rego::PolicyPtr policy;
  std::vector<std::string> violation_path;  // package segments + "violation"
  Json schema;                               // openAPIV3Schema of the parameters
  bool uses_inventory = false;
};

struct Constraint {
  std::string kind, name, file;
  const Template* tmpl = nullptr;
  Json match = Json::object();
  rego::Value parameters;
  // Actions per enforcement point; "*" for every point.
  std::vector<std::pair<std::string, Action>> actions;
};

std::vector<std::string> SplitDots(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string seg; std::getline(ss, seg, '.');) out.push_back(seg);
  return out;
}

Result<Template> LoadTemplate(const SourceDocument& d) {
  const Json& t = d.doc;
  const std::string where = d.Where();
  const std::string api = Str(t, "apiVersion");
  if (api != "templates.gatekeeper.sh/v1" && api != "templates.gatekeeper.sh/v1beta1" && api != "templates.gatekeeper.sh/v1alpha1")
    return Fail(Error::Input(where + ": not a ConstraintTemplate (apiVersion '" + api + "')"));
  if (Str(t, "kind") != "ConstraintTemplate") return Fail(Error::Input(where + ": kind must be ConstraintTemplate"));
  Template out;
  out.file = where;
  out.kind = Str(Get(t, {"spec", "crd", "spec", "names"}), "kind");
  if (out.kind.empty()) return Fail(Error::Input(where + ": spec.crd.spec.names.kind is missing"));
  std::string name = Str(Get(t, {"metadata"}), "name");
  std::string lower = out.kind;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name != lower)
    return Fail(Error::Input(where + ": metadata.name '" + name + "' must be the kind in lower case ('" + lower + "')"));
  out.schema = Get(t, {"spec", "crd", "spec", "validation", "openAPIV3Schema"});
  const Json& targets = Get(t, {"spec", "targets"});
  if (!targets.is_array() || targets.size() != 1)
    return Fail(Error::Input(where + ": spec.targets must hold exactly one target"));
  const Json& target = targets[0];
  if (Str(target, "target") != "admission.k8s.gatekeeper.sh")
    return Fail(Error::Input(where + ": target '" + Str(target, "target") + "' is not admission.k8s.gatekeeper.sh"));
  std::string rego = Str(target, "rego");
  Json libs = Get(target, {"libs"});
  std::optional<rego::RegoVersion> version;
  // Gatekeeper 3.16+: code: [{engine: Rego, source: {rego, libs, version}}]
  if (const Json& code = Get(target, {"code"}); code.is_array()) {
    for (const auto& c : code) {
      if (Str(c, "engine") != "Rego") continue;
      const Json& src = Get(c, {"source"});
      if (rego.empty()) rego = Str(src, "rego");
      if (!libs.is_array()) libs = Get(src, {"libs"});
      if (Str(src, "version") == "v1") version = rego::RegoVersion::kV1;
    }
  }
  if (rego.empty()) return Fail(Error::Input(where + ": the target has no rego"));
  std::vector<rego::SourceFile> sources{{where + " (rego)", rego, version}};
  if (libs.is_array())
    for (std::size_t i = 0; i < libs.size(); ++i)
      if (libs[i].is_string())
        sources.push_back({where + " (libs[" + std::to_string(i) + "])", libs[i].get<std::string>(), version});
  rego::CompileOptions co;
  co.version = rego::RegoVersion::kV0;  // Gatekeeper's default; `import rego.v1` or version: v1 read as v1
  auto policy = rego::Policy::Compile(sources, co);
  if (!policy) return Fail(Error::Input(where + ": " + policy.error().message()));
  std::string package;
  for (const auto& p : (*policy)->Packages()) {
    if (p == "lib" || p.rfind("lib.", 0) == 0) continue;
    if (!package.empty()) return Fail(Error::Input(where + ": the rego declares two packages (" + package + ", " + p + "); libs go under lib."));
    package = p;
  }
  if (package.empty() || (*policy)->RulesNamed(package, "violation").empty())
    return Fail(Error::Input(where + ": the rego defines no violation rule"));
  for (const auto& p : (*policy)->Packages())
    if (p != package && !(p == "lib" || p.rfind("lib.", 0) == 0))
      return Fail(Error::Input(where + ": a lib's package must start with lib. (got " + p + ")"));
  out.violation_path = SplitDots(package);
  out.violation_path.push_back("violation");
  out.uses_inventory = rego.find("data.inventory") != std::string::npos;
  if (libs.is_array())
    for (const auto& l : libs)
      if (l.is_string() && l.get<std::string>().find("data.inventory") != std::string::npos) out.uses_inventory = true;
  out.policy = std::move(*policy);
  return out;
}

Result<Constraint> LoadConstraint(const SourceDocument& d, const std::map<std::string, Template>& templates) {
  const Json& c = d.doc;
  const std::string where = d.Where();
  Constraint out;
  out.file = where;
  out.kind = Str(c, "kind");
  out.name = Str(Get(c, {"metadata"}), "name");
  if (Str(c, "apiVersion").rfind("constraints.gatekeeper.sh/", 0) != 0)
    return Fail(Error::Input(where + ": not a constraint (apiVersion must be constraints.gatekeeper.sh/...)"));
  if (out.name.empty()) return Fail(Error::Input(where + ": metadata.name is missing"));
  auto t = templates.find(out.kind);
  if (t == templates.end()) return Fail(Error::Input(where + ": no ConstraintTemplate defines the kind '" + out.kind + "'"));
  out.tmpl = &t->second;
  const Json& match = Get(c, {"spec", "match"});
  if (!match.is_null() && !match.is_object()) return Fail(Error::Input(where + ": spec.match must be a mapping"));
  if (match.is_object()) out.match = match;
  const std::string scope = Str(out.match, "scope");
  if (!scope.empty() && scope != "*" && scope != "Cluster" && scope != "Namespaced")
    return Fail(Error::Input(where + ": spec.match.scope must be *, Cluster or Namespaced"));
  Json params = Get(c, {"spec", "parameters"});
  if (params.is_null()) params = Json::object();
  TG_TRY(CheckSchema(out.tmpl->schema, params, "", where));
  out.parameters = rego::FromJson(params);
  std::string action = Str(Get(c, {"spec"}), "enforcementAction");
  if (action.empty()) action = "deny";
  if (action == "scoped") {
    const Json& scoped = Get(c, {"spec", "scopedEnforcementActions"});
    if (!scoped.is_array() || scoped.empty())
      return Fail(Error::Input(where + ": enforcementAction scoped needs spec.scopedEnforcementActions"));
    for (const auto& s : scoped) {
      auto a = ParseAction(Str(s, "action"));
      if (!a) return Fail(Error::Input(where + ": unknown scoped action '" + Str(s, "action") + "'"));
      const Json& points = Get(s, {"enforcementPoints"});
      if (!points.is_array() || points.empty())
        return Fail(Error::Input(where + ": each scoped action needs enforcementPoints"));
      for (const auto& p : points) out.actions.emplace_back(Str(p, "name"), *a);
    }
  } else {
    auto a = ParseAction(action);
    if (!a) return Fail(Error::Input(where + ": unknown enforcementAction '" + action + "' (deny, dryrun, warn or scoped)"));
    out.actions.emplace_back("*", *a);
  }
  return out;
}

std::optional<Action> ActionAt(const Constraint& c, std::string_view point) {
  std::optional<Action> out;
  for (const auto& [p, a] : c.actions)
    if (p == "*" || p == point) out = out ? std::max(*out, a) : a;
  return out;
}

}  // namespace

struct PolicySet::Impl {
  std::map<std::string, Template> templates;  // by kind
  std::vector<Constraint> constraints;
  std::string digest;
};

PolicySet::PolicySet() : impl_(std::make_unique<Impl>()) {}
PolicySet::PolicySet(PolicySet&&) noexcept = default;
PolicySet& PolicySet::operator=(PolicySet&&) noexcept = default;
PolicySet::~PolicySet() = default;

std::size_t PolicySet::template_count() const { return impl_->templates.size(); }
std::size_t PolicySet::constraint_count() const { return impl_->constraints.size(); }
const std::string& PolicySet::Digest() const { return impl_->digest; }
bool PolicySet::UsesInventory() const {
  for (const auto& [k, t] : impl_->templates)
    if (t.uses_inventory) return true;
  return false;
}

Result<PolicySet> PolicySet::FromDocuments(const std::vector<SourceDocument>& templates,
                                           const std::vector<SourceDocument>& constraints) {
  PolicySet set;
  Sha256Hasher h;
  for (const auto& d : templates) {
    auto t = LoadTemplate(d);
    if (!t) return Fail(t.error());
    if (set.impl_->templates.count(t->kind))
      return Fail(Error::Input(d.Where() + ": a second template for the kind '" + t->kind + "' (first: " +
                               set.impl_->templates[t->kind].file + ")"));
    auto canon = Canonicalize(d.doc);
    if (canon) h.Update("template\n" + *canon + "\n");
    std::string kind = t->kind;
    set.impl_->templates.emplace(kind, std::move(*t));
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& d : constraints) {
    auto c = LoadConstraint(d, set.impl_->templates);
    if (!c) return Fail(c.error());
    if (!seen.insert({c->kind, c->name}).second)
      return Fail(Error::Input(d.Where() + ": a second " + c->kind + " named '" + c->name + "'"));
    auto canon = Canonicalize(d.doc);
    if (canon) h.Update("constraint\n" + *canon + "\n");
    set.impl_->constraints.push_back(std::move(*c));
  }
  set.impl_->digest = "sha256:" + HexEncode(h.Finish());
  return set;
}

Result<PolicySet> PolicySet::Builtin() {
  std::vector<SourceDocument> templates, constraints;
  for (std::size_t i = 0; i < kBuiltinLibraryFileCount; ++i) {
    const std::string name = kBuiltinLibraryFiles[i].name;
    const bool is_template = name.find("/templates/") != std::string::npos;
    if (!is_template && name.find("/constraints/") == std::string::npos) continue;
    auto docs = YamlDocuments(kBuiltinLibraryFiles[i].text, name);
    if (!docs) return Fail(docs.error());
    auto& into = is_template ? templates : constraints;
    into.insert(into.end(), docs->begin(), docs->end());
  }
  return FromDocuments(templates, constraints);
}

Result<PolicySet> PolicySet::Load(const std::vector<std::string>& templates, const std::vector<std::string>& constraints) {
  auto t = ReadAll(templates, kMaxPolicyFileBytes);
  if (!t) return Fail(t.error());
  auto c = ReadAll(constraints, kMaxPolicyFileBytes);
  if (!c) return Fail(c.error());
  return FromDocuments(*t, *c);
}

namespace {

// Whether the constraint's spec.match selects the request. Gatekeeper's
// rules: empty lists match everything; namespaces and selectors of namespaces
// do not apply to cluster-scoped objects other than Namespaces (whose own name
// is their namespace).
Result<bool> Matches(const Constraint& c, const Json& request, const Json* ns_object) {
  const Json& m = c.match;
  const Json& kind = Get(request, {"kind"});
  const std::string group = Str(kind, "group"), k = Str(kind, "kind");
  if (const Json& kinds = Get(m, {"kinds"}); kinds.is_array() && !kinds.empty()) {
    bool any = false;
    for (const auto& kk : kinds)
      if (ContainsOrWild(Get(kk, {"apiGroups"}), group) && ContainsOrWild(Get(kk, {"kinds"}), k)) any = true;
    if (!any) return false;
  }
  const Json& object = Get(request, {"object"}).is_object() ? request["object"] : Get(request, {"oldObject"});
  std::string ns = Str(request, "namespace");
  if (ns.empty()) ns = Str(Get(object, {"metadata"}), "namespace");
  const bool is_namespace = k == "Namespace" && group.empty();
  const std::string scope = Str(m, "scope");
  if (scope == "Cluster" && !ns.empty()) return false;
  if (scope == "Namespaced" && ns.empty()) return false;
  std::string name = Str(request, "name");
  if (name.empty()) name = Str(Get(object, {"metadata"}), "name");
  if (const Json& n = Get(m, {"name"}); n.is_string() && !GlobMatch(n.get<std::string>(), name)) return false;
  const std::string effective_ns = is_namespace ? name : ns;
  const bool namespaced_view = is_namespace || !ns.empty();
  if (namespaced_view) {
    if (const Json& l = Get(m, {"namespaces"}); l.is_array() && !l.empty() && !AnyGlob(l, effective_ns)) return false;
    if (const Json& l = Get(m, {"excludedNamespaces"}); l.is_array() && AnyGlob(l, effective_ns)) return false;
  }
  if (const Json& sel = Get(m, {"labelSelector"}); sel.is_object()) {
    auto ok = SelectorMatches(sel, Get(object, {"metadata", "labels"}), c.file);
    if (!ok) return Fail(ok.error());
    if (!*ok) return false;
  }
  if (const Json& sel = Get(m, {"namespaceSelector"}); sel.is_object() && namespaced_view) {
    const Json* nso = is_namespace ? &object : ns_object;
    if (nso == nullptr || !nso->is_object())
      return Fail(Error::Input(c.kind + "/" + c.name + ": namespaceSelector needs the Namespace '" + effective_ns +
                               "', which is not known (give it in the inventory or as request.namespaceObject)"));
    auto ok = SelectorMatches(sel, Get(*nso, {"metadata", "labels"}), c.file);
    if (!ok) return Fail(ok.error());
    if (!*ok) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<Violation>> PolicySet::Review(const Json& request, const Inventory* inventory, std::string_view point,
                                                 std::vector<std::string>* errors) const {
  if (!request.is_object()) return Fail(Error::Input("the admission request is not an object"));
  const Json* ns_object = nullptr;
  if (const Json& nso = Get(request, {"namespaceObject"}); nso.is_object()) ns_object = &nso;
  if (ns_object == nullptr && inventory != nullptr) {
    std::string ns = Str(request, "namespace");
    if (!ns.empty()) ns_object = inventory->Namespace(ns);
  }
  static const Inventory kNoInventory;
  rego::Value review, data;  // built once, at the first matching constraint
  bool built = false;
  std::vector<Violation> out;
  for (const auto& c : impl_->constraints) {
    auto action = ActionAt(c, point);
    if (!action) continue;
    // An undecidable constraint: an error, or noted and skipped with `errors`.
    auto undecided = [&](const Error& e) -> bool {
      if (errors == nullptr) return false;
      errors->push_back(e.message());
      return true;
    };
    auto m = Matches(c, request, ns_object);
    if (!m) {
      if (undecided(m.error())) continue;
      return Fail(m.error());
    }
    if (!*m) continue;
    if (!built) {
      review = rego::FromJson(request);
      const Inventory& inv = inventory != nullptr ? *inventory : kNoInventory;
      data = rego::Value::MakeObject({{rego::Value::String("inventory"), rego::FromJson(inv.data())}});
      built = true;
    }
    rego::EvalOptions eo;
    eo.input = rego::Value::MakeObject({{rego::Value::String("review"), review}, {rego::Value::String("parameters"), c.parameters}});
    eo.data = data;
    auto v = c.tmpl->policy->EvalPath(c.tmpl->violation_path, eo);
    if (!v) {
      Error e = Error::Input(c.kind + "/" + c.name + ": " + v.error().message());
      if (undecided(e)) continue;
      return Fail(e);
    }
    if (!v->defined()) continue;
    Json results = rego::ToJson(*v);
    if (!results.is_array()) {
      Error e = Error::Input(c.kind + "/" + c.name + ": violation is not a set (is the template v0 Rego read as v1?)");
      if (undecided(e)) continue;
      return Fail(e);
    }
    bool malformed = false;
    for (const auto& r : results)
      if (!r.is_object() || !r.contains("msg") || !r["msg"].is_string()) {
        Error e = Error::Input(c.kind + "/" + c.name + ": a violation without a string msg: " + r.dump().substr(0, 200));
        if (!undecided(e)) return Fail(e);
        malformed = true;
        break;
      }
    if (malformed) continue;
    for (const auto& r : results) {
      Violation viol;
      viol.constraint_kind = c.kind;
      viol.constraint_name = c.name;
      viol.msg = r["msg"].get<std::string>();
      if (r.contains("details")) viol.details = r["details"];
      viol.action = *action;
      viol.file = c.file;
      out.push_back(std::move(viol));
    }
  }
  return out;
}

// ---------------------------------------------------------------- decisions

namespace {

// At most `max` bytes, cut on a UTF-8 boundary.
std::string Truncate(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

Result<Decision> Decide(const PolicySet& set, const Json& review, const Inventory* inventory) {
  if (!review.is_object() || Str(review, "kind") != "AdmissionReview")
    return Fail(Error::Input("not an AdmissionReview (kind must be AdmissionReview)"));
  std::string api = Str(review, "apiVersion");
  if (api != "admission.k8s.io/v1" && api != "admission.k8s.io/v1beta1")
    return Fail(Error::Input("AdmissionReview apiVersion must be admission.k8s.io/v1 (got '" + api + "')"));
  const Json& request = Get(review, {"request"});
  if (!request.is_object()) return Fail(Error::Input("the AdmissionReview has no request"));
  const std::string uid = Str(request, "uid");
  if (uid.empty()) return Fail(Error::Input("request.uid is missing"));
  if (!Get(request, {"kind"}).is_object()) return Fail(Error::Input("request.kind is missing"));

  Decision d;
  Json response{{"uid", uid}};
  auto violations = set.Review(request, inventory, kWebhookPoint);
  std::vector<std::string> denies, warns;
  std::string error;
  if (!violations) {
    error = violations.error().message();
  } else {
    d.violations = std::move(*violations);
    for (const auto& v : d.violations) {
      if (v.action == Action::kDeny) denies.push_back(v.Message());
      if (v.action == Action::kWarn) warns.push_back(v.Message());
    }
  }
  d.allowed = error.empty() && denies.empty();
  response["allowed"] = d.allowed;
  if (!error.empty()) {
    response["status"] = Json{{"code", 500}, {"reason", "InternalError"}, {"message", "tollgate could not decide: " + error}};
  } else if (!denies.empty()) {
    std::string msg;
    for (const auto& m : denies) msg += (msg.empty() ? "" : "\n") + m;
    response["status"] = Json{{"code", 403}, {"reason", "Forbidden"}, {"message", msg}};
  }
  if (!warns.empty()) {
    Json w = Json::array();
    std::size_t total = 0;
    for (const auto& m : warns) {
      std::string t = Truncate(m, 256);
      if (total + t.size() > 4096) break;
      total += t.size();
      w.push_back(std::move(t));
    }
    response["warnings"] = std::move(w);
  }
  d.response = Json{{"apiVersion", api}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};

  // The ledger event: who asked about what, and the verdict; never the object.
  const Json& object = Get(request, {"object"}).is_null() ? Get(request, {"oldObject"}) : Get(request, {"object"});
  std::string object_sha;
  if (!object.is_null())
    if (auto canon = Canonicalize(object)) object_sha = "sha256:" + HexEncode(Sha256(*canon));
  Json viols = Json::array();
  for (const auto& v : d.violations)
    viols.push_back(Json{{"constraint_kind", v.constraint_kind}, {"constraint", v.constraint_name}, {"action", ActionName(v.action)}});
  Json payload{{"uid", uid},
               {"kind", Get(request, {"kind"})},
               {"namespace", Str(request, "namespace")},
               {"name", Str(request, "name")},
               {"operation", Str(request, "operation")},
               {"object_sha256", object_sha},
               {"policy_digest", set.Digest()},
               {"allowed", d.allowed},
               {"violations", viols}};
  if (!error.empty()) payload["error"] = error;
  if (Get(request, {"dryRun"}).is_boolean()) payload["dry_run"] = request["dryRun"];
  d.event = Json{{"type", "admission"}, {"payload", std::move(payload)}};
  return d;
}

}  // namespace tollgate::admission
