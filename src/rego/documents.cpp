#include "rego/documents.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <toml++/toml.h>
#include <yaml-cpp/yaml.h>

#include "core/canonical_json.h"
#include "core/file.h"
#include "core/utf8.h"

namespace tollgate::rego {

namespace {

Value ScalarValue(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  switch (yaml::Resolve(n)) {
    case yaml::ScalarType::kNull: return Value::Null();
    case yaml::ScalarType::kBool: return Value::Bool(s[0] == 't' || s[0] == 'T');
    case yaml::ScalarType::kInt:
    case yaml::ScalarType::kFloat: return Value::NumberFromText(s[0] == '+' ? s.substr(1) : s);
    case yaml::ScalarType::kString: break;
  }
  return Value::String(s);
}

Result<Value> YamlToValueRec(const YAML::Node& n, const std::string& file, yaml::Budget& budget, std::size_t depth) {
  const bool collection = n.IsSequence() || n.IsMap();
  if (!budget.Take(n.IsScalar() ? n.Scalar().size() : 0) || (collection && depth >= budget.depth))
    return Fail(yaml::BudgetError(file, n, budget));
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return Value::Null();
    case YAML::NodeType::Scalar: return ScalarValue(n);
    case YAML::NodeType::Sequence: {
      Array a;
      a.reserve(n.size());
      for (const auto& e : n) {
        auto v = YamlToValueRec(e, file, budget, depth + 1);
        if (!v) return v;
        a.push_back(std::move(*v));
      }
      return Value::MakeArray(std::move(a));
    }
    case YAML::NodeType::Map: {
      ObjectItems o;
      o.reserve(n.size());
      for (const auto& kv : n) {
        if (!kv.first.IsScalar() && !kv.first.IsNull()) return Fail(yaml::CollectionKeyError(file, kv.first));
        if (!budget.Take(kv.first.Scalar().size())) return Fail(yaml::BudgetError(file, kv.first, budget));
        Value k = Value::String(kv.first.Scalar());  // keys are strings, as written (1: a gives "1")
        auto v = YamlToValueRec(kv.second, file, budget, depth + 1);
        if (!v) return v;
        o.emplace_back(std::move(k), std::move(*v));
      }
      return Value::MakeObject(std::move(o));
    }
  }
  return Value::Null();
}

Value TomlToValue(const toml::node& n) {
  if (auto* t = n.as_table()) {
    ObjectItems o;
    for (const auto& [k, v] : *t) o.emplace_back(Value::String(std::string(k.str())), TomlToValue(v));
    return Value::MakeObject(std::move(o));
  }
  if (auto* a = n.as_array()) {
    Array out;
    for (const auto& v : *a) out.push_back(TomlToValue(v));
    return Value::MakeArray(std::move(out));
  }
  if (auto* s = n.as_string()) return Value::String(s->get());
  if (auto* i = n.as_integer()) return Value::Int(i->get());
  if (auto* f = n.as_floating_point()) return Value::Double(f->get());
  if (auto* b = n.as_boolean()) return Value::Bool(b->get());
  std::ostringstream os;
  if (auto* d = n.as_date()) os << d->get();
  else if (auto* tm = n.as_time()) os << tm->get();
  else if (auto* dt = n.as_date_time()) os << dt->get();
  return Value::String(os.str());
}

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string Unquote(const std::string& s) {
  if (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\'')))
    return s.substr(1, s.size() - 2);
  return s;
}

void EmitYaml(YAML::Emitter& e, const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull: e << YAML::Null; break;
    case Kind::kBool: e << v.as_bool(); break;
    case Kind::kNumber: e << NumberText(v); break;
    case Kind::kString: e << v.as_string(); break;
    case Kind::kArray:
    case Kind::kSet:
      e << YAML::BeginSeq;
      for (const auto& x : v.items()) EmitYaml(e, x);
      e << YAML::EndSeq;
      break;
    case Kind::kObject:
      e << YAML::BeginMap;
      for (const auto& [k, x] : v.object()) {
        e << YAML::Key << (k.is_string() ? k.as_string() : ToJsonText(k)) << YAML::Value;
        EmitYaml(e, x);
      }
      e << YAML::EndMap;
      break;
  }
}

}  // namespace

Result<Value> FromYamlNode(const YAML::Node& n, const std::string& file, yaml::Budget& budget) {
  return YamlToValueRec(n, file, budget, 0);
}

std::uint64_t DecodedBytes(const yaml::Document& doc) {
  // A Value per node (an array element or half an object member) plus the
  // string payloads: what value.cpp counts against the evaluator's budget.
  return doc.nodes * (sizeof(Value) + sizeof(std::string)) + doc.scalar_bytes;
}

Result<Value> YamlDocumentValue(const yaml::Document& doc, const std::string& file, std::uint64_t max_bytes) {
  if (DecodedBytes(doc) > max_bytes)
    return Fail(Error::Input(yaml::Where(file, doc.start) + ": the document takes about " +
                             std::to_string(DecodedBytes(doc)) + " bytes decoded, more than the memory budget of " +
                             std::to_string(max_bytes)));
  yaml::Budget budget = yaml::Budget::For(doc);
  return FromYamlNode(doc.root, file, budget);
}

Status CheckTextWithinBudget(const std::string& path, std::size_t size, const DecodeLimits& limits) {
  if (size <= limits.max_bytes) return {};
  return Fail(Error::Input(path + ": the input is " + std::to_string(size) + " bytes, more than the memory budget of " +
                           std::to_string(limits.max_bytes)));
}

Result<Value> ParseJsonValue(std::string_view text, const std::string& what) {
  auto j = ParseJson(text, what);
  if (!j) return Fail(j.error());
  return FromJson(*j);
}

Result<std::vector<Value>> ParseYamlDocuments(std::string_view text, const std::string& what,
                                              const DecodeLimits& limits) {
  if (!IsValidUtf8(text)) return Fail(Error::Input(what + ": not valid UTF-8"));
  auto docs = yaml::ParseStream(text, what, limits.yaml);
  if (!docs) return Fail(docs.error());
  std::uint64_t left = limits.max_bytes;
  std::vector<Value> out;
  for (const auto& d : *docs) {
    auto v = YamlDocumentValue(d, what, left);
    if (!v) return Fail(v.error());
    left -= DecodedBytes(d);
    out.push_back(std::move(*v));
  }
  return out;
}

Result<Value> ParseTomlValue(std::string_view text, const std::string& what) {
  try {
    toml::table t = toml::parse(text, what);
    return TomlToValue(t);
  } catch (const toml::parse_error& e) {
    return Fail(Error::Input(what + ":" + std::to_string(e.source().begin.line) + ":" +
                             std::to_string(e.source().begin.column) + ": " + std::string(e.description())));
  }
}

Result<Value> ParseIniValue(std::string_view text, const std::string& what) {
  std::istringstream in{std::string(text)};
  std::string line;
  std::vector<std::pair<std::string, ObjectItems>> sections;
  ObjectItems top;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = Trim(line);
    if (t.empty() || t[0] == ';' || t[0] == '#') continue;
    if (t[0] == '[') {
      if (t.back() != ']') return Fail(Error::Input(what + ":" + std::to_string(n) + ": unterminated section header"));
      sections.emplace_back(Trim(t.substr(1, t.size() - 2)), ObjectItems{});
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos) return Fail(Error::Input(what + ":" + std::to_string(n) + ": expected key = value"));
    std::string k = Trim(t.substr(0, eq));
    std::string v = Unquote(Trim(t.substr(eq + 1)));
    const yaml::ScalarType type = yaml::ResolvePlain(v);
    Value val = type == yaml::ScalarType::kInt || type == yaml::ScalarType::kFloat ? Value::NumberFromText(v)
               : (v == "true" || v == "false") ? Value::Bool(v == "true") : Value::String(v);
    (sections.empty() ? top : sections.back().second).emplace_back(Value::String(k), val);
  }
  for (auto& [name, items] : sections) top.emplace_back(Value::String(name), Value::MakeObject(std::move(items)));
  return Value::MakeObject(std::move(top));
}

Result<Value> ParseDotenvValue(std::string_view text, const std::string& what) {
  std::istringstream in{std::string(text)};
  std::string line;
  ObjectItems out;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (t.rfind("export ", 0) == 0) t = Trim(t.substr(7));
    auto eq = t.find('=');
    if (eq == std::string::npos) return Fail(Error::Input(what + ":" + std::to_string(n) + ": expected KEY=value"));
    out.emplace_back(Value::String(Trim(t.substr(0, eq))), Value::String(Unquote(Trim(t.substr(eq + 1)))));
  }
  return Value::MakeObject(std::move(out));
}

Result<Value> ParseDockerfileValue(std::string_view text, const std::string& what) {
  (void)what;
  std::istringstream in{std::string(text)};
  std::string line, logical;
  Array out;
  std::string stage;
  int stage_index = -1;
  auto flush = [&](const std::string& l) {
    std::string t = Trim(l);
    if (t.empty() || t[0] == '#') return;
    auto sp = t.find_first_of(" \t");
    std::string cmd = t.substr(0, sp);
    std::transform(cmd.begin(), cmd.end(), cmd.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string rest = sp == std::string::npos ? "" : Trim(t.substr(sp));
    Array flags;
    while (rest.rfind("--", 0) == 0) {
      auto e = rest.find_first_of(" \t");
      flags.push_back(Value::String(rest.substr(0, e)));
      rest = e == std::string::npos ? "" : Trim(rest.substr(e));
    }
    Array values;
    if (!rest.empty() && rest[0] == '[') {
      auto j = ParseJson(rest, "Dockerfile");
      if (j && j->is_array()) {
        for (const auto& e : *j)
          if (e.is_string()) values.push_back(Value::String(e.get<std::string>()));
      } else {
        values.push_back(Value::String(rest));
      }
    } else if (cmd == "run" || cmd == "cmd" || cmd == "entrypoint" || cmd == "shell") {
      values.push_back(Value::String(rest));
    } else {
      std::istringstream ws(rest);
      std::string w;
      while (ws >> w) values.push_back(Value::String(w));
    }
    if (cmd == "from") {
      ++stage_index;
      stage = rest;
    }
    ObjectItems o;
    o.emplace_back(Value::String("Cmd"), Value::String(cmd));
    o.emplace_back(Value::String("Flags"), Value::MakeArray(std::move(flags)));
    o.emplace_back(Value::String("JSON"), Value::Bool(!rest.empty() && rest[0] == '['));
    o.emplace_back(Value::String("Original"), Value::String(t));
    o.emplace_back(Value::String("Stage"), Value::Int(stage_index < 0 ? 0 : stage_index));
    o.emplace_back(Value::String("SubCmd"), Value::String(""));
    o.emplace_back(Value::String("Value"), Value::MakeArray(std::move(values)));
    out.push_back(Value::MakeObject(std::move(o)));
  };
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (!t.empty() && t.back() == '\\') {
      logical += t.substr(0, t.size() - 1) + " ";
      continue;
    }
    logical += line;
    flush(logical);
    logical.clear();
  }
  if (!logical.empty()) flush(logical);
  return Value::MakeArray({Value::MakeArray(std::move(out))});
}

Result<std::vector<Value>> ParseDocumentFile(const std::string& path, std::string_view text,
                                             const DecodeLimits& limits) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto ends = [&](const char* s) {
    std::string_view sv(s);
    return lower.size() >= sv.size() && lower.compare(lower.size() - sv.size(), sv.size(), sv) == 0;
  };
  auto base = lower.substr(lower.find_last_of('/') == std::string::npos ? 0 : lower.find_last_of('/') + 1);

  auto one = [](Result<Value> v) -> Result<std::vector<Value>> {
    if (!v) return Fail(v.error());
    return std::vector<Value>{*v};
  };
  // Read as YAML, a Terraform file is one string and every rule about its
  // resources passes: HCL is read by the policy commands and gate (conftest's
  // hcl2 form, gate::ReadPolicyInput), never here.
  if (ends(".tf") || ends(".tfvars") || ends(".hcl"))
    return Fail(Error::Input(path + ": Terraform/HCL is not read here (it would be read as text); policy check, "
                                    "policy eval -i and the policy gate read it"));
  bool yaml = !(ends(".json") || ends(".toml") || ends(".ini") || ends(".cfg") || ends(".env") || base == ".env" ||
                base == "dockerfile" || base.rfind("dockerfile.", 0) == 0 || ends(".dockerfile"));
  if (!yaml) TG_TRY(CheckTextWithinBudget(path, text.size(), limits));
  if (ends(".json")) return one(ParseJsonValue(text, path));
  if (ends(".toml")) return one(ParseTomlValue(text, path));
  if (ends(".ini") || ends(".cfg")) return one(ParseIniValue(text, path));
  if (ends(".env") || base == ".env") return one(ParseDotenvValue(text, path));
  if (base == "dockerfile" || base.rfind("dockerfile.", 0) == 0 || ends(".dockerfile")) {
    auto v = ParseDockerfileValue(text, path);
    if (!v) return Fail(v.error());
    return std::vector<Value>{v->items()[0]};
  }
  // Formats conftest has parsers for and Tollgate does not: read as YAML they
  // are one string that every rule passes.
  for (const char* ext : {".xml", ".properties", ".edn", ".hocon", ".vcl", ".jsonnet", ".libsonnet", ".cue",
                          ".textproto", ".spdx", ".groovy"})
    if (ends(ext))
      return Fail(Error::Input(path + ": " + std::string(ext + 1) +
                               " is not an input format here (it would be read as text, and pass every rule)"));
  auto docs = ParseYamlDocuments(text, path, limits);
  if (!docs) return docs;
  // Any other name is read as YAML; text that is not YAML reads as one
  // string, which no rule about a document's fields can fail: refused.
  if (!ends(".yaml") && !ends(".yml"))
    for (const auto& d : *docs)
      if (d.is_string())
        return Fail(Error::Input(path + ": not a document of a format read here (read as YAML it is one string)"));
  return docs;
}

Result<std::vector<Value>> ReadDocumentFile(const std::string& path, const DecodeLimits& limits) {
  auto text = ReadFileBounded(path, limits.max_file_bytes, "input");
  if (!text) return Fail(text.error());
  return ParseDocumentFile(path == "-" ? "stdin.yaml" : path, *text, limits);
}

std::string ToYamlText(const Value& v) {
  YAML::Emitter e;
  EmitYaml(e, v);
  return std::string(e.c_str()) + "\n";
}

}  // namespace tollgate::rego
