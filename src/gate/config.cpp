#include "gate/config.h"

#include <filesystem>
#include <set>

#include "compliance/compliance.h"
#include "core/time.h"
#include "core/yaml.h"
#include "scan/deps/deps.h"

namespace tollgate::gate {
namespace {

constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;

// `parse_errors:` a severity name.
Result<Severity> ParseErrorSeverity(const yaml::Reader& r, const YAML::Node& n) {
  auto s = r.String(n, "parse_errors");
  if (!s) return Fail(s.error());
  auto sev = ParseRatedSeverity(*s);
  if (!sev) return Fail(r.Bad(n, "parse_errors must be one of critical, high, medium, low, info; got '" + *s + "'"));
  return *sev;
}

// The keys of a `scanner: cost` gate (docs/finops.md "Cost gate"): plan and
// prices required; limits are non-negative numbers and lists of names.
Status ParseCostKeys(const yaml::Reader& r, const YAML::Node& n, GateConfig& g) {
  const bool cost = g.kind == SourceKind::kScanner && g.source == "cost";
  for (const char* key : {"plan", "prices", "usage", "rules", "limits"})
    if (n[key] && !cost) return Fail(r.Bad(n[key], std::string("'") + key + "' applies only to a 'scanner: cost' gate"));
  if (!cost) return Ok();
  for (auto [key, out] : {std::pair{"plan", &g.plan}, std::pair{"prices", &g.prices}, std::pair{"usage", &g.usage},
                          std::pair{"rules", &g.rules}}) {
    if (!n[key]) continue;
    auto s = r.String(n[key], key);
    if (!s) return Fail(s.error());
    if (s->empty()) return Fail(r.Bad(n[key], std::string("'") + key + "' must not be empty"));
    *out = *s;
  }
  if (g.plan.empty() || g.prices.empty())
    return Fail(r.Bad(n, "cost gate '" + g.name + "' needs 'plan' (Terraform plan JSON) and 'prices' (price book)"));
  const YAML::Node& l = n["limits"];
  if (!l) return Ok();
  if (!l.IsMap()) return Fail(r.Bad(l, "'limits' must be a mapping"));
  TG_TRY(r.OnlyKeys(l, {"max_monthly_increase", "max_increase_percent", "max_resource_monthly",
                        "forbidden_instance_families", "allow_unpriced"},
                    "limits"));
  for (const char* key : {"max_monthly_increase", "max_increase_percent", "max_resource_monthly"}) {
    if (!l[key]) continue;
    auto v = r.Number(l[key], key);
    if (!v) return Fail(v.error());
    if (*v < 0) return Fail(r.Bad(l[key], std::string("'") + key + "' must not be negative"));
    g.cost_limits[key] = *v;
  }
  for (const char* key : {"forbidden_instance_families", "allow_unpriced"}) {
    if (!l[key]) continue;
    auto v = r.StringList(l[key], key);
    if (!v) return Fail(v.error());
    g.cost_limits[key] = *v;
  }
  return Ok();
}

// The keys of a `scanner: compliance` gate (docs/compliance.md "The
// compliance gate"); whether its frameworks exist is checked once the
// catalogs are known (CheckFrameworks).
Status ParseComplianceKeys(const yaml::Reader& r, const YAML::Node& n, GateConfig& g) {
  const bool compliance = g.kind == SourceKind::kScanner && g.source == "compliance";
  for (const char* key : {"frameworks", "period", "require_assessed"})
    if (n[key] && !compliance)
      return Fail(r.Bad(n[key], std::string("'") + key + "' applies only to a 'scanner: compliance' gate"));
  if (!compliance) return Ok();
  if (const YAML::Node& f = n["frameworks"]) {
    auto l = r.StringList(f, "frameworks");
    if (!l) return Fail(l.error());
    if (l->empty()) return Fail(r.Bad(f, "'frameworks' lists no framework"));
    g.frameworks = std::move(*l);
  }
  if (const YAML::Node& p = n["period"]) {
    auto s = r.String(p, "period");
    if (!s) return Fail(s.error());
    auto d = ParseDuration(*s);
    if (!d) return Fail(r.Bad(p, "period: " + d.error().message()));
    if (d->count() <= 0) return Fail(r.Bad(p, "period must be longer than zero"));
    g.period = *d;
  }
  if (const YAML::Node& a = n["require_assessed"]) {
    auto b = r.Bool(a, "require_assessed");
    if (!b) return Fail(b.error());
    g.require_assessed = *b;
  }
  return Ok();
}

Result<GateConfig> ParseGate(const yaml::Reader& r, const std::string& name, const YAML::Node& n) {
  GateConfig g;
  g.name = name;
  g.line = n.Mark().is_null() ? 0 : n.Mark().line + 1;
  if (!n.IsMap()) return Fail(r.Bad(n, "gate '" + name + "' must be a mapping"));
  TG_TRY(r.OnlyKeys(n, {"scanner", "import", "policy", "slo", "fail_on", "bypass", "db", "allow_missing_ecosystems", "max_db_age", "exclude", "parse_errors", "unknown_severity", "templates", "constraints", "rego_version", "plan", "prices", "usage", "rules", "limits", "frameworks", "period", "require_assessed"},
                    "gate '" + name + "'"));
  int sources = 0;
  for (const auto& [key, kind] : {std::pair<const char*, SourceKind>{"scanner", SourceKind::kScanner},
                                  {"import", SourceKind::kImport},
                                  {"policy", SourceKind::kPolicy},
                                  {"slo", SourceKind::kErrorBudget}}) {
    if (!n[key]) continue;
    auto s = r.String(n[key], key);
    if (!s) return Fail(s.error());
    if (s->empty()) return Fail(r.Bad(n[key], std::string("'") + key + "' must not be empty"));
    g.kind = kind;
    g.source = *s;
    ++sources;
  }
  if (sources != 1)
    return Fail(r.Bad(n, "gate '" + name + "' needs exactly one of scanner, import, policy or slo"));

  if (n["fail_on"]) {
    auto s = r.String(n["fail_on"], "fail_on");
    if (!s) return Fail(s.error());
    g.fail_on_text = *s;
    if (*s == "any") {
      g.fail_on = Severity::kInfo;
    } else if (*s == "none") {
      g.fail_on = std::nullopt;
    } else if (g.kind == SourceKind::kErrorBudget) {
      if (*s != "exhausted" && s->rfind("burn-rate>", 0) != 0)
        return Fail(r.Bad(n["fail_on"], "fail_on of an error-budget gate must be 'exhausted' or 'burn-rate>X'"));
    } else if (auto sev = ParseRatedSeverity(*s)) {
      g.fail_on = *sev;
    } else {
      return Fail(r.Bad(n["fail_on"], "fail_on must be one of critical, high, medium, low, info, any, none; got '" + *s + "'"));
    }
  }

  if (n["unknown_severity"]) {
    if (g.kind == SourceKind::kErrorBudget)
      return Fail(r.Bad(n["unknown_severity"], "'unknown_severity' applies to gates of findings, not to an slo gate"));
    auto s = r.String(n["unknown_severity"], "unknown_severity");
    if (!s) return Fail(s.error());
    auto sev = ParseRatedSeverity(*s);
    if (!sev)
      return Fail(r.Bad(n["unknown_severity"],
                        "unknown_severity must be one of critical, high, medium, low, info; got '" + *s + "'"));
    g.unknown_severity = *sev;
  }

  if (n["db"]) {  // the deps scanner's advisory database (docs/deps.md)
    if (g.kind != SourceKind::kScanner || g.source != "deps")
      return Fail(r.Bad(n["db"], "'db' applies only to a 'scanner: deps' gate"));
    auto s = r.String(n["db"], "db");
    if (!s) return Fail(s.error());
    if (s->empty()) return Fail(r.Bad(n["db"], "'db' must not be empty"));
    g.db = *s;
  }
  for (auto [key, list] : {std::pair{"templates", &g.templates}, std::pair{"constraints", &g.constraints}}) {
    const YAML::Node& v = n[key];
    if (!v) continue;
    if (g.kind != SourceKind::kScanner || g.source != "admission")
      return Fail(r.Bad(v, std::string("'") + key + "' applies only to a 'scanner: admission' gate"));
    if (v.IsScalar()) {
      auto one = r.String(v, key);
      if (!one) return Fail(one.error());
      list->push_back(*one);
    } else {
      auto l = r.StringList(v, key);
      if (!l) return Fail(l.error());
      *list = std::move(*l);
    }
    for (const auto& p : *list)
      if (p.empty()) return Fail(r.Bad(v, std::string("'") + key + "' must not name an empty path"));
  }
  if (g.templates.empty() != g.constraints.empty())
    return Fail(r.Bad(n, "gate '" + name + "' needs both templates and constraints (or neither, for the built-in library)"));
  if (const YAML::Node& v = n["rego_version"]) {
    if (g.kind != SourceKind::kPolicy) return Fail(r.Bad(v, "'rego_version' applies only to a 'policy' gate"));
    auto s = r.String(v, "rego_version");
    if (!s) return Fail(s.error());
    if (*s != "v0" && *s != "v1") return Fail(r.Bad(v, "rego_version must be v0 or v1; got '" + *s + "'"));
    g.rego_v0 = *s == "v0";
  }
  TG_TRY(ParseCostKeys(r, n, g));
  TG_TRY(ParseComplianceKeys(r, n, g));
  for (const char* key : {"allow_missing_ecosystems", "max_db_age"})
    if (n[key] && (g.kind != SourceKind::kScanner || g.source != "deps"))
      return Fail(r.Bad(n[key], std::string("'") + key + "' applies only to a 'scanner: deps' gate"));
  if (const YAML::Node& a = n["allow_missing_ecosystems"]) {
    if (a.IsSequence()) {
      auto l = r.StringList(a, "allow_missing_ecosystems");
      if (!l) return Fail(l.error());
      // A misspelt name would allow nothing and leave its gap blocking with
      // no hint why: it is a configuration error.
      for (std::size_t k = 0; k < l->size(); ++k) {
        auto canonical = deps::CoverageEcosystemName((*l)[k]);
        if (!canonical)
          return Fail(r.Bad(a[k], "allow_missing_ecosystems: unknown ecosystem '" + (*l)[k] +
                                      "' (OSV names without a release: npm, PyPI, Go, Maven, crates.io, Debian, ...)"));
        g.allow_missing_ecosystems.push_back(std::move(*canonical));
      }
    } else {
      auto b = r.Bool(a, "allow_missing_ecosystems");
      if (!b) return Fail(r.Bad(a, "allow_missing_ecosystems must be true, false or a list of ecosystems (npm, PyPI, ...)"));
      if (*b) g.allow_missing_ecosystems = {"*"};
    }
  }
  if (n["max_db_age"]) {
    auto s = r.String(n["max_db_age"], "max_db_age");
    if (!s) return Fail(s.error());
    auto d = ParseDuration(*s);
    if (!d) return Fail(r.Bad(n["max_db_age"], "max_db_age: " + d.error().message()));
    g.max_db_age = *d;
  }

  // What the gate's walk leaves out (docs/scanning.md): scanner and policy gates only.
  for (const char* key : {"exclude", "parse_errors"}) {
    if (n[key] && g.kind != SourceKind::kScanner && g.kind != SourceKind::kPolicy)
      return Fail(r.Bad(n[key], std::string("'") + key + "' applies only to scanner and policy gates"));
  }
  if (n["exclude"]) {
    auto l = r.StringList(n["exclude"], "exclude");
    if (!l) return Fail(l.error());
    g.exclude = std::move(*l);
  }
  if (n["parse_errors"]) {
    auto sev = ParseErrorSeverity(r, n["parse_errors"]);
    if (!sev) return Fail(sev.error());
    g.parse_errors = *sev;
  }

  if (!n["bypass"]) {
    return Fail(r.Bad(n, "gate '" + name + "' must say who may bypass it: 'bypass: [roles]' or 'bypass: none'"));
  }
  const YAML::Node& b = n["bypass"];
  if (b.IsScalar() && b.Scalar() == "none") {
    g.bypass_allowed = false;
  } else if (b.IsSequence()) {
    auto roles = r.StringList(b, "bypass");
    if (!roles) return Fail(roles.error());
    if (roles->empty()) return Fail(r.Bad(b, "'bypass' lists no roles: write 'bypass: none' to forbid bypass"));
    g.bypass_allowed = true;
    g.bypass_roles = std::move(*roles);
  } else {
    return Fail(r.Bad(b, "'bypass' must be a list of roles or 'none'"));
  }
  return g;
}

}  // namespace

std::string GateConfig::SourceLabel() const {
  switch (kind) {
    case SourceKind::kScanner: return "scanner: " + source;
    case SourceKind::kImport: return "import: " + source;
    case SourceKind::kPolicy: return "policy: " + source;
    case SourceKind::kErrorBudget: return "slo: " + source;
  }
  return source;
}

const GateConfig* Config::FindGate(const std::string& name) const {
  for (const auto& g : gates)
    if (g.name == name) return &g;
  return nullptr;
}

namespace {

Result<Config> ParseConfigChecked(const std::string& text, const std::string& file) {
  auto doc = yaml::ParseDocument(text, file);
  if (!doc) return Fail(doc.error());
  // Read through a const reference: operator[] on a mutable node inserts.
  const YAML::Node& root = doc->root;
  if (!root.IsMap()) return Fail(Error::Input(file + ": the configuration must be a YAML mapping"));
  const yaml::Reader r(file);
  Config c;
  c.path = file;
  TG_TRY(r.OnlyKeys(root, {"version", "service", "compliance", "catalogs", "exclude", "parse_errors", "gates", "approvals"},
                    "tollgate.yaml"));
  if (root["version"]) {
    auto v = r.Int(root["version"], "version");
    if (!v) return Fail(v.error());
    if (*v != 1) return Fail(r.Bad(root["version"], "unsupported version " + std::to_string(*v) + " (this tollgate reads version 1)"));
    c.version = 1;
  }
  if (root["service"]) {
    auto s = r.String(root["service"], "service");
    if (!s) return Fail(s.error());
    c.service = *s;
  }
  if (root["compliance"]) {
    // Framework ids are checked against the catalogs (CheckFrameworks).
    auto l = r.StringList(root["compliance"], "compliance");
    if (!l) return Fail(l.error());
    c.compliance = std::move(*l);
    c.compliance_line = root["compliance"].Mark().line + 1;
    c.compliance_column = root["compliance"].Mark().column + 1;
  }
  if (root["catalogs"]) {
    auto l = r.StringList(root["catalogs"], "catalogs");
    if (!l) return Fail(l.error());
    for (const auto& p : *l)
      if (p.empty()) return Fail(r.Bad(root["catalogs"], "'catalogs' must not name an empty path"));
    c.catalogs = std::move(*l);
    c.catalogs_line = root["catalogs"].Mark().line + 1;
  }
  if (root["exclude"]) {
    auto l = r.StringList(root["exclude"], "exclude");
    if (!l) return Fail(l.error());
    c.exclude = std::move(*l);
  }
  if (root["parse_errors"]) {
    auto sev = ParseErrorSeverity(r, root["parse_errors"]);
    if (!sev) return Fail(sev.error());
    c.parse_errors = *sev;
  }
  if (root["gates"]) {
    const YAML::Node& gates = root["gates"];
    if (!gates.IsMap()) return Fail(r.Bad(gates, "'gates' must be a mapping of gate name to gate"));
    for (const auto& kv : gates) {  // names are unique: the reader refuses duplicate keys
      auto name = r.String(kv.first, "gate name");
      if (!name) return Fail(name.error());
      auto g = ParseGate(r, *name, kv.second);
      if (!g) return Fail(g.error());
      c.gates.push_back(std::move(*g));
    }
  }
  if (root["approvals"]) {
    const YAML::Node& a = root["approvals"];
    if (!a.IsMap()) return Fail(r.Bad(a, "'approvals' must be a mapping"));
    TG_TRY(r.OnlyKeys(a, {"required", "four_eyes"}, "approvals"));
    if (a["required"]) {
      auto n = r.Int(a["required"], "required");
      if (!n) return Fail(n.error());
      if (*n < 0 || *n > 10) return Fail(r.Bad(a["required"], "'required' must be between 0 and 10"));
      c.approvals.required = static_cast<int>(*n);
    }
    if (a["four_eyes"]) {
      auto f = r.Bool(a["four_eyes"], "four_eyes");
      if (!f) return Fail(f.error());
      c.approvals.four_eyes = *f;
    }
  }
  if (c.gates.empty()) return Fail(Error::Input(file + ": no gates configured"));
  for (auto& g : c.gates) {
    if (g.kind != SourceKind::kScanner || g.source != "compliance" || !g.frameworks.empty()) continue;
    if (c.compliance.empty())
      return Fail(Error::Input(file + ":" + std::to_string(g.line) + ": compliance gate '" + g.name +
                               "' needs 'frameworks' or a top-level 'compliance:' list"));
    g.frameworks = c.compliance;
  }
  return c;
}

// The catalogs load (the built-in ones and `catalogs:`; a bad one is an Input
// error naming its file and line) and every framework the configuration
// names exists in them. Only when the configuration uses compliance at all:
// the rules are compiled here.
Status CheckFrameworks(const Config& c) {
  bool used = !c.compliance.empty() || !c.catalogs.empty();
  for (const auto& g : c.gates) used = used || !g.frameworks.empty();
  if (!used) return Ok();
  auto where = [&](int line) { return c.path + (line > 0 ? ":" + std::to_string(line) : ""); };
  auto lib = compliance::LoadLibrary(c.catalogs);
  if (!lib) {
    if (lib.error().code() == ErrorCode::kNotFound) return Fail(lib.error().WithContext(where(c.catalogs_line) + ": catalogs"));
    return Fail(lib.error());
  }
  auto check = [&](const std::string& id, int line, const std::string& what) -> Status {
    if (lib->Find(id) != nullptr) return Ok();
    return Fail(Error::Input(where(line) + ": " + what + ": unknown compliance framework '" + id + "' (" +
                             lib->FrameworkIds() + ")"));
  };
  for (const auto& f : c.compliance)
    if (lib->Find(f) == nullptr)
      return Fail(Error::Input(where(c.compliance_line) + ":" + std::to_string(c.compliance_column) +
                               ": unknown compliance framework '" + f + "' (" + lib->FrameworkIds() + ")"));
  for (const auto& g : c.gates)
    for (const auto& f : g.frameworks) TG_TRY(check(f, g.line, "gate '" + g.name + "'"));
  return Ok();
}

}  // namespace

Result<Config> ParseConfig(const std::string& text, const std::string& file) {
  auto c = yaml::Guarded(file, [&] { return ParseConfigChecked(text, file); });
  // Catalog paths are relative to the file: LoadConfig checks those.
  if (c && c->catalogs.empty()) TG_TRY(CheckFrameworks(*c));
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  auto text = yaml::ReadFile(path, kMaxConfigBytes, "configuration");
  if (!text) return Fail(text.error());
  auto c = ParseConfig(*text, path);
  if (!c) return c;
  auto parent = std::filesystem::path(path).parent_path();
  c->base_dir = parent.empty() ? "." : parent.string();
  for (auto& g : c->gates) {  // a relative `db:`, `templates:` or `constraints:` is relative to the config file
    if (!g.db.empty() && !std::filesystem::path(g.db).is_absolute())
      g.db = (std::filesystem::path(c->base_dir) / g.db).lexically_normal().string();
    for (auto* p : {&g.plan, &g.prices, &g.usage, &g.rules})
      if (!p->empty() && !std::filesystem::path(*p).is_absolute())
        *p = (std::filesystem::path(c->base_dir) / *p).lexically_normal().string();
    for (auto* list : {&g.templates, &g.constraints})
      for (auto& p : *list)
        if (!std::filesystem::path(p).is_absolute()) p = (std::filesystem::path(c->base_dir) / p).lexically_normal().string();
  }
  for (auto& p : c->catalogs)
    if (!std::filesystem::path(p).is_absolute()) p = (std::filesystem::path(c->base_dir) / p).lexically_normal().string();
  if (!c->catalogs.empty()) TG_TRY(CheckFrameworks(*c));
  return c;
}

Config DefaultConfig() {
  Config c;
  c.base_dir = ".";
  GateConfig secrets{"secrets", SourceKind::kScanner, "secrets", Severity::kInfo, "any", false, {}, 0, "", {}, std::nullopt, {}, kDefaultMaxDbAge};
  GateConfig deps{"dependencies", SourceKind::kScanner, "deps", Severity::kHigh, "high", true, {"security"}, 0, "", {}, std::nullopt, {}, kDefaultMaxDbAge};
  GateConfig iac{"iac", SourceKind::kScanner, "iac", Severity::kHigh, "high", true, {"security"}, 0, "", {}, std::nullopt, {}, kDefaultMaxDbAge};
  c.gates = {secrets, deps, iac};
  return c;
}

}  // namespace tollgate::gate
