#include "gate/config.h"

#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "gate/yaml_source.h"

namespace tollgate::gate {
namespace {

Error Bad(const std::string& file, const YAML::Node& n, const std::string& what) {
  return Error::Input(YamlPosition(file, n.Mark()) + ": " + what);
}

const char* NodeKind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "something else";
}

Result<std::string> ScalarString(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return Fail(Bad(file, n, "'" + key + "' must be a string, not " + NodeKind(n)));
  return n.Scalar();
}

Result<int> ScalarInt(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return Fail(Bad(file, n, "'" + key + "' must be an integer, not " + NodeKind(n)));
  try {
    std::size_t used = 0;
    int v = std::stoi(n.Scalar(), &used);
    if (used != n.Scalar().size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    return Fail(Bad(file, n, "'" + key + "' must be an integer, got '" + n.Scalar() + "'"));
  }
}

Result<bool> ScalarBool(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "no") return false;
  }
  return Fail(Bad(file, n, "'" + key + "' must be true or false"));
}

Result<std::vector<std::string>> StringList(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (!n.IsSequence()) return Fail(Bad(file, n, "'" + key + "' must be a list of strings, not " + NodeKind(n)));
  std::vector<std::string> out;
  for (const auto& item : n) {
    auto s = ScalarString(file, item, key + "[]");
    if (!s) return Fail(s.error());
    out.push_back(*s);
  }
  return out;
}

// Checks that every key of a mapping is one of `allowed`.
Status OnlyKeys(const std::string& file, const YAML::Node& map, const std::set<std::string>& allowed,
                const std::string& what) {
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) return Fail(Bad(file, kv.first, what + ": keys must be strings"));
    if (allowed.count(kv.first.Scalar()) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Fail(Bad(file, kv.first, "unknown key '" + kv.first.Scalar() + "' in " + what + " (expected one of: " + list + ")"));
    }
  }
  return Ok();
}

Result<GateConfig> ParseGate(const std::string& file, const std::string& name, const YAML::Node& n) {
  GateConfig g;
  g.name = name;
  g.line = n.Mark().is_null() ? 0 : n.Mark().line + 1;
  if (!n.IsMap()) return Fail(Bad(file, n, "gate '" + name + "' must be a mapping"));
  TG_TRY(OnlyKeys(file, n, {"scanner", "import", "policy", "slo", "fail_on", "bypass", "db"}, "gate '" + name + "'"));
  int sources = 0;
  for (const auto& [key, kind] : {std::pair<const char*, SourceKind>{"scanner", SourceKind::kScanner},
                                  {"import", SourceKind::kImport},
                                  {"policy", SourceKind::kPolicy},
                                  {"slo", SourceKind::kErrorBudget}}) {
    if (!n[key]) continue;
    auto s = ScalarString(file, n[key], key);
    if (!s) return Fail(s.error());
    if (s->empty()) return Fail(Bad(file, n[key], std::string("'") + key + "' must not be empty"));
    g.kind = kind;
    g.source = *s;
    ++sources;
  }
  if (sources != 1)
    return Fail(Bad(file, n, "gate '" + name + "' needs exactly one of scanner, import, policy or slo"));

  if (n["fail_on"]) {
    auto s = ScalarString(file, n["fail_on"], "fail_on");
    if (!s) return Fail(s.error());
    g.fail_on_text = *s;
    if (*s == "any") {
      g.fail_on = Severity::kInfo;
    } else if (*s == "none") {
      g.fail_on = std::nullopt;
    } else if (g.kind == SourceKind::kErrorBudget) {
      if (*s != "exhausted" && s->rfind("burn-rate>", 0) != 0)
        return Fail(Bad(file, n["fail_on"], "fail_on of an error-budget gate must be 'exhausted' or 'burn-rate>X'"));
    } else if (auto sev = ParseSeverity(*s)) {
      g.fail_on = *sev;
    } else {
      return Fail(Bad(file, n["fail_on"], "fail_on must be one of critical, high, medium, low, info, any, none; got '" + *s + "'"));
    }
  }

  if (n["db"]) {  // the deps scanner's advisory database (docs/deps.md)
    if (g.kind != SourceKind::kScanner || g.source != "deps")
      return Fail(Bad(file, n["db"], "'db' applies only to a 'scanner: deps' gate"));
    auto s = ScalarString(file, n["db"], "db");
    if (!s) return Fail(s.error());
    if (s->empty()) return Fail(Bad(file, n["db"], "'db' must not be empty"));
    g.db = *s;
  }

  if (!n["bypass"]) {
    return Fail(Bad(file, n, "gate '" + name + "' must say who may bypass it: 'bypass: [roles]' or 'bypass: none'"));
  }
  const YAML::Node& b = n["bypass"];
  if (b.IsScalar() && b.Scalar() == "none") {
    g.bypass_allowed = false;
  } else if (b.IsSequence()) {
    auto roles = StringList(file, b, "bypass");
    if (!roles) return Fail(roles.error());
    if (roles->empty()) return Fail(Bad(file, b, "'bypass' lists no roles: write 'bypass: none' to forbid bypass"));
    g.bypass_allowed = true;
    g.bypass_roles = std::move(*roles);
  } else {
    return Fail(Bad(file, b, "'bypass' must be a list of roles or 'none'"));
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

Result<Config> ParseConfig(const std::string& text, const std::string& file) {
  auto loaded = ParseYaml(text, file);
  if (!loaded) return Fail(loaded.error());
  // Read through a const reference: operator[] on a mutable node inserts.
  const YAML::Node& root = *loaded;
  if (!root.IsMap()) return Fail(Error::Input(file + ": the configuration must be a YAML mapping"));
  Config c;
  c.path = file;
  TG_TRY(OnlyKeys(file, root, {"version", "service", "compliance", "gates", "approvals"}, "tollgate.yaml"));
  try {
    if (root["version"]) {
      auto v = ScalarInt(file, root["version"], "version");
      if (!v) return Fail(v.error());
      if (*v != 1) return Fail(Bad(file, root["version"], "unsupported version " + std::to_string(*v) + " (this tollgate reads version 1)"));
      c.version = *v;
    }
    if (root["service"]) {
      auto s = ScalarString(file, root["service"], "service");
      if (!s) return Fail(s.error());
      c.service = *s;
    }
    if (root["compliance"]) {
      auto l = StringList(file, root["compliance"], "compliance");
      if (!l) return Fail(l.error());
      static const std::set<std::string> kFrameworks{"pci-dss", "sox", "soc2", "gdpr", "ffiec"};
      for (const auto& f : *l)
        if (kFrameworks.count(f) == 0)
          return Fail(Bad(file, root["compliance"], "unknown compliance framework '" + f + "' (pci-dss, sox, soc2, gdpr, ffiec)"));
      c.compliance = std::move(*l);
    }
    if (root["gates"]) {
      const YAML::Node& gates = root["gates"];
      if (!gates.IsMap()) return Fail(Bad(file, gates, "'gates' must be a mapping of gate name to gate"));
      for (const auto& kv : gates) {
        auto name = ScalarString(file, kv.first, "gate name");
        if (!name) return Fail(name.error());
        auto g = ParseGate(file, *name, kv.second);
        if (!g) return Fail(g.error());
        c.gates.push_back(std::move(*g));
      }
    }
    if (root["approvals"]) {
      const YAML::Node& a = root["approvals"];
      if (!a.IsMap()) return Fail(Bad(file, a, "'approvals' must be a mapping"));
      TG_TRY(OnlyKeys(file, a, {"required", "four_eyes"}, "approvals"));
      if (a["required"]) {
        auto r = ScalarInt(file, a["required"], "required");
        if (!r) return Fail(r.error());
        if (*r < 0 || *r > 10) return Fail(Bad(file, a["required"], "'required' must be between 0 and 10"));
        c.approvals.required = *r;
      }
      if (a["four_eyes"]) {
        auto f = ScalarBool(file, a["four_eyes"], "four_eyes");
        if (!f) return Fail(f.error());
        c.approvals.four_eyes = *f;
      }
    }
  } catch (const YAML::Exception& e) {
    return Fail(Error::Input(YamlPosition(file, e.mark) + ": " + e.msg));
  }
  if (c.gates.empty()) return Fail(Error::Input(file + ": no gates configured"));
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  auto text = ReadYamlFile(path, "configuration");
  if (!text) return Fail(text.error());
  auto c = ParseConfig(*text, path);
  if (!c) return c;
  auto parent = std::filesystem::path(path).parent_path();
  c->base_dir = parent.empty() ? "." : parent.string();
  for (auto& g : c->gates)  // a relative `db:` is relative to the config file
    if (!g.db.empty() && !std::filesystem::path(g.db).is_absolute())
      g.db = (std::filesystem::path(c->base_dir) / g.db).lexically_normal().string();
  return c;
}

Config DefaultConfig() {
  Config c;
  c.base_dir = ".";
  GateConfig secrets{"secrets", SourceKind::kScanner, "secrets", Severity::kInfo, "any", false, {}, 0, ""};
  GateConfig deps{"dependencies", SourceKind::kScanner, "deps", Severity::kHigh, "high", true, {"security"}, 0, ""};
  GateConfig iac{"iac", SourceKind::kScanner, "iac", Severity::kHigh, "high", true, {"security"}, 0, ""};
  c.gates = {secrets, deps, iac};
  return c;
}

}  // namespace tollgate::gate
