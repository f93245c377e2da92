// Built-ins: json.verify_schema and json.match_schema — JSON Schema drafts
// 4, 6 and 7 (the validation keywords, local $ref, if/then/else), with
// errors shaped as OPA reports them ({error, desc, field, type}).
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "rego/documents.h"
#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

struct SchemaError {
  std::string message;
};

struct Violation {
  std::string field;
  std::string type;
  std::string desc;
};

const char* const kTypes[] = {"array", "boolean", "integer", "number", "null", "object", "string"};

bool IsIntegral(const Value& v) {
  return v.is_number() && (v.is_int() || (v.big_text() && v.big_text()->find_first_of(".eE") == std::string::npos) ||
                           v.as_double() == std::floor(v.as_double()));
}

std::string JsonTypeOf(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "boolean";
    case Kind::kNumber: return IsIntegral(v) ? "integer" : "number";
    case Kind::kString: return "string";
    case Kind::kArray:
    case Kind::kSet: return "array";
    default: return "object";
  }
}

std::size_t Utf8Length(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

class Validator {
 public:
  explicit Validator(Value root) : root_(std::move(root)) { CheckSchema(root_, 0); }

  std::vector<Violation> Validate(const Value& doc) {
    std::vector<Violation> out;
    Check(root_, doc, "(root)", out, 0);
    return out;
  }

 private:
  static constexpr int kMaxDepth = 200;

  // Structural checks of the schema itself (what gojsonschema rejects).
  void CheckSchema(const Value& s, int depth) {
    if (depth > kMaxDepth) throw SchemaError{"schema nested too deeply"};
    if (s.is_bool()) return;
    if (!s.is_object()) throw SchemaError{"Invalid type. Expected: object, given: " + JsonTypeOf(s)};
    if (const Value* t = s.Get("type")) {
      std::vector<Value> types = t->is_array() ? t->items() : std::vector<Value>{*t};
      for (const auto& ty : types) {
        bool ok = false;
        if (ty.is_string())
          for (const char* k : kTypes) ok = ok || ty.as_string() == k;
        if (!ok) {
          std::string given = ty.is_string() ? ty.as_string() : ToJsonText(ty);
          throw SchemaError{"has a primitive type that is NOT VALID -- given: /" + given +
                            "/ Expected valid values are:[array boolean integer number null object string]"};
        }
      }
    }
    for (const char* key : {"properties", "patternProperties", "definitions", "$defs"}) {
      const Value* m = s.Get(key);
      if (!m) continue;
      if (!m->is_object()) throw SchemaError{std::string(key) + " must be an object"};
      for (const auto& [k, sub] : m->object()) CheckSchema(sub, depth + 1);
      if (std::string(key) == "patternProperties")
        for (const auto& [k, sub] : m->object()) Regex(k.is_string() ? k.as_string() : "");
    }
    for (const char* key : {"additionalProperties", "additionalItems", "not", "contains", "propertyNames", "if", "then", "else"}) {
      const Value* sub = s.Get(key);
      if (sub && (sub->is_object() || sub->is_bool())) CheckSchema(*sub, depth + 1);
      else if (sub) throw SchemaError{std::string(key) + " must be a schema"};
    }
    for (const char* key : {"allOf", "anyOf", "oneOf"}) {
      const Value* list = s.Get(key);
      if (!list) continue;
      if (!list->is_array() || list->size() == 0) throw SchemaError{std::string(key) + " must be a non-empty array"};
      for (const auto& sub : list->items()) CheckSchema(sub, depth + 1);
    }
    if (const Value* items = s.Get("items")) {
      if (items->is_array())
        for (const auto& sub : items->items()) CheckSchema(sub, depth + 1);
      else CheckSchema(*items, depth + 1);
    }
    if (const Value* req = s.Get("required")) {
      if (!req->is_array()) throw SchemaError{"required must be an array"};
      for (const auto& r : req->items())
        if (!r.is_string()) throw SchemaError{"required items must be strings"};
    }
    if (const Value* e = s.Get("enum"); e && !e->is_array()) throw SchemaError{"enum must be an array"};
    if (const Value* p = s.Get("pattern")) {
      if (!p->is_string()) throw SchemaError{"pattern must be a string"};
      Regex(p->as_string());
    }
    for (const char* key : {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}) {
      const Value* n = s.Get(key);
      if (n && (!IsIntegral(*n) || n->as_double() < 0)) throw SchemaError{std::string(key) + " must be a non-negative integer"};
    }
    for (const char* key : {"minimum", "maximum", "multipleOf"}) {
      const Value* n = s.Get(key);
      if (n && !n->is_number()) throw SchemaError{std::string(key) + " must be a number"};
    }
    if (const Value* m = s.Get("multipleOf"); m && m->as_double() <= 0) throw SchemaError{"multipleOf must be strictly greater than 0"};
    if (const Value* ref = s.Get("$ref")) {
      if (!ref->is_string()) throw SchemaError{"$ref must be a string"};
      Resolve(ref->as_string());
    }
  }

  const RE2& Regex(const std::string& pattern) {
    auto it = regexes_.find(pattern);
    if (it != regexes_.end()) return *it->second;
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_unique<RE2>(pattern, opts);
    if (!re->ok()) throw SchemaError{"invalid regular expression '" + pattern + "'"};
    return *regexes_.emplace(pattern, std::move(re)).first->second;
  }

  // A local reference ("#", "#/definitions/x", JSON pointer escapes).
  const Value& Resolve(const std::string& ref) const {
    if (ref.empty() || ref[0] != '#') throw SchemaError{"$ref " + ref + ": only references inside the schema are supported"};
    const Value* cur = &root_;
    std::size_t pos = 1;
    if (pos < ref.size() && ref[pos] == '/') ++pos;
    while (pos < ref.size()) {
      std::size_t end = ref.find('/', pos);
      std::string token = ref.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      std::string key;
      for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '~' && i + 1 < token.size()) {
          key += token[i + 1] == '1' ? '/' : '~';
          ++i;
        } else {
          key += token[i];
        }
      }
      const Value* next = nullptr;
      if (cur->is_object()) next = cur->Get(key);
      else if (cur->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos)
        next = cur->Get(Value::Int(std::stoll(key)));
      if (!next) throw SchemaError{"$ref " + ref + " does not resolve"};
      cur = next;
      if (end == std::string::npos) break;
      pos = end + 1;
    }
    return *cur;
  }

  static std::string Child(const std::string& field, const std::string& key) {
    return field == "(root)" ? key : field + "." + key;
  }
  static void Add(std::vector<Violation>& out, const std::string& field, const char* type, std::string desc) {
    out.push_back(Violation{field, type, std::move(desc)});
  }
  bool Valid(const Value& s, const Value& doc, int depth) {
    std::vector<Violation> tmp;
    Check(s, doc, "(root)", tmp, depth);
    return tmp.empty();
  }

  void Check(const Value& s, const Value& doc, const std::string& field, std::vector<Violation>& out, int depth) {
    if (depth > kMaxDepth) throw SchemaError{"schema recursion too deep"};
    if (++steps_ > kMaxSteps) throw SchemaError{"validation exceeded " + std::to_string(kMaxSteps) + " steps"};
    if (s.is_bool()) {
      if (!s.as_bool()) Add(out, field, "false", "False always fails validation");
      return;
    }
    if (const Value* ref = s.Get("$ref")) {
      // Draft 4-7: $ref replaces its siblings.
      Check(Resolve(ref->as_string()), doc, field, out, depth + 1);
      return;
    }
    std::string type = JsonTypeOf(doc);
    if (const Value* t = s.Get("type")) {
      std::vector<Value> types = t->is_array() ? t->items() : std::vector<Value>{*t};
      bool ok = false;
      std::string expected;
      for (const auto& ty : types) {
        const std::string& want = ty.as_string();
        ok = ok || want == type || (want == "number" && type == "integer");
        expected += (expected.empty() ? "" : ",") + want;
      }
      if (!ok) {
        Add(out, field, "invalid_type", "Invalid type. Expected: " + expected + ", given: " + type);
        return;
      }
    }
    if (const Value* e = s.Get("enum")) {
      bool ok = false;
      std::string allowed;
      for (const auto& v : e->items()) {
        ok = ok || v == doc;
        allowed += (allowed.empty() ? "" : ", ") + ToJsonText(v);
      }
      if (!ok) Add(out, field, "enum", field + " must be one of the following: " + allowed);
    }
    if (const Value* c = s.Get("const"); c && !(*c == doc)) Add(out, field, "const", field + " does not match: " + ToJsonText(*c));
    for (const char* key : {"allOf", "anyOf", "oneOf"}) {
      const Value* list = s.Get(key);
      if (!list) continue;
      int passed = 0;
      std::vector<Violation> first_failure;
      for (const auto& sub : list->items()) {
        std::vector<Violation> tmp;
        Check(sub, doc, field, tmp, depth + 1);
        if (tmp.empty()) ++passed;
        else if (std::string(key) == "allOf") out.insert(out.end(), tmp.begin(), tmp.end());
      }
      std::string k = key;
      if (k == "allOf" && passed != static_cast<int>(list->size())) Add(out, field, "number_all_of", "Must validate all the schemas (allOf)");
      if (k == "anyOf" && passed == 0) Add(out, field, "number_any_of", "Must validate at least one schema (anyOf)");
      if (k == "oneOf" && passed != 1) Add(out, field, "number_one_of", "Must validate one and only one schema (oneOf)");
    }
    if (const Value* n = s.Get("not"); n && Valid(*n, doc, depth + 1)) Add(out, field, "number_not", "Must not validate the schema (not)");
    if (const Value* cond = s.Get("if")) {
      bool holds = Valid(*cond, doc, depth + 1);
      const Value* branch = s.Get(holds ? "then" : "else");
      if (branch && !Valid(*branch, doc, depth + 1))
        Add(out, field, holds ? "condition_then" : "condition_else",
            holds ? "Must validate \"then\" as \"if\" was valid" : "Must validate \"else\" as \"if\" was not valid");
    }
    if (doc.is_number()) CheckNumber(s, doc, field, out);
    if (doc.is_string()) CheckString(s, doc, field, out);
    if (doc.is_array() || doc.is_set()) CheckArray(s, doc, field, out, depth);
    if (doc.is_object()) CheckObject(s, doc, field, out, depth);
  }

  void CheckNumber(const Value& s, const Value& doc, const std::string& field, std::vector<Violation>& out) {
    double x = doc.as_double();
    if (const Value* m = s.Get("multipleOf")) {
      double q = x / m->as_double();
      if (std::fabs(q - std::round(q)) > 1e-9) Add(out, field, "multiple_of", "Must be a multiple of " + NumberText(*m));
    }
    const Value* emin = s.Get("exclusiveMinimum");
    const Value* emax = s.Get("exclusiveMaximum");
    if (const Value* mn = s.Get("minimum")) {
      bool excl = emin && emin->is_bool() && emin->as_bool();  // draft 4
      if (excl ? !(x > mn->as_double()) : x < mn->as_double())
        Add(out, field, excl ? "number_gt" : "number_gte", std::string(excl ? "Must be greater than " : "Must be greater than or equal to ") + NumberText(*mn));
    }
    if (const Value* mx = s.Get("maximum")) {
      bool excl = emax && emax->is_bool() && emax->as_bool();
      if (excl ? !(x < mx->as_double()) : x > mx->as_double())
        Add(out, field, excl ? "number_lt" : "number_lte", std::string(excl ? "Must be less than " : "Must be less than or equal to ") + NumberText(*mx));
    }
    if (emin && emin->is_number() && !(x > emin->as_double())) Add(out, field, "number_gt", "Must be greater than " + NumberText(*emin));
    if (emax && emax->is_number() && !(x < emax->as_double())) Add(out, field, "number_lt", "Must be less than " + NumberText(*emax));
  }

  void CheckString(const Value& s, const Value& doc, const std::string& field, std::vector<Violation>& out) {
    std::size_t len = Utf8Length(doc.as_string());
    if (const Value* mn = s.Get("minLength"); mn && static_cast<double>(len) < mn->as_double())
      Add(out, field, "string_gte", "String length must be greater than or equal to " + NumberText(*mn));
    if (const Value* mx = s.Get("maxLength"); mx && static_cast<double>(len) > mx->as_double())
      Add(out, field, "string_lte", "String length must be less than or equal to " + NumberText(*mx));
    if (const Value* p = s.Get("pattern"); p && !RE2::PartialMatch(doc.as_string(), Regex(p->as_string())))
      Add(out, field, "pattern", "Does not match pattern '" + p->as_string() + "'");
  }

  void CheckArray(const Value& s, const Value& doc, const std::string& field, std::vector<Violation>& out, int depth) {
    const Array& items = doc.items();
    if (const Value* mn = s.Get("minItems"); mn && static_cast<double>(items.size()) < mn->as_double())
      Add(out, field, "array_min_items", "Array must have at least " + NumberText(*mn) + " items");
    if (const Value* mx = s.Get("maxItems"); mx && static_cast<double>(items.size()) > mx->as_double())
      Add(out, field, "array_max_items", "Array must have at most " + NumberText(*mx) + " items");
    if (const Value* u = s.Get("uniqueItems"); u && u->is_bool() && u->as_bool()) {
      for (std::size_t i = 0; i < items.size(); ++i)
        for (std::size_t j = i + 1; j < items.size(); ++j)
          if (items[i] == items[j]) {
            Add(out, field, "unique", "array items[" + std::to_string(i) + "," + std::to_string(j) + "] must be unique");
            i = j = items.size();
          }
    }
    if (const Value* it = s.Get("items")) {
      if (it->is_array()) {
        const Array& tuple = it->items();
        for (std::size_t i = 0; i < items.size() && i < tuple.size(); ++i)
          Check(tuple[i], items[i], Child(field, std::to_string(i)), out, depth + 1);
        const Value* extra = s.Get("additionalItems");
        for (std::size_t i = tuple.size(); extra && i < items.size(); ++i) {
          if (extra->is_bool() && !extra->as_bool()) {
            Add(out, field, "array_no_additional_items", "No additional items allowed on array");
            break;
          }
          Check(*extra, items[i], Child(field, std::to_string(i)), out, depth + 1);
        }
      } else {
        for (std::size_t i = 0; i < items.size(); ++i) Check(*it, items[i], Child(field, std::to_string(i)), out, depth + 1);
      }
    }
    if (const Value* c = s.Get("contains")) {
      bool any = false;
      for (const auto& item : items) any = any || Valid(*c, item, depth + 1);
      if (!any) Add(out, field, "contains", "At least one of the items must match");
    }
  }

  void CheckObject(const Value& s, const Value& doc, const std::string& field, std::vector<Violation>& out, int depth) {
    const ObjectItems& members = doc.object();
    if (const Value* req = s.Get("required"))
      for (const auto& r : req->items())
        if (!doc.Get(r.as_string())) Add(out, field, "required", r.as_string() + " is required");
    if (const Value* mn = s.Get("minProperties"); mn && static_cast<double>(members.size()) < mn->as_double())
      Add(out, field, "array_min_properties", "Must have at least " + NumberText(*mn) + " properties");
    if (const Value* mx = s.Get("maxProperties"); mx && static_cast<double>(members.size()) > mx->as_double())
      Add(out, field, "array_max_properties", "Must have at most " + NumberText(*mx) + " properties");
    const Value* props = s.Get("properties");
    const Value* patterns = s.Get("patternProperties");
    const Value* additional = s.Get("additionalProperties");
    for (const auto& [k, v] : members) {
      std::string key = k.is_string() ? k.as_string() : ToJsonText(k);
      std::string sub_field = Child(field, key);
      bool matched = false;
      if (props)
        if (const Value* ps = props->Get(key)) {
          matched = true;
          Check(*ps, v, sub_field, out, depth + 1);
        }
      if (patterns)
        for (const auto& [pat, ps] : patterns->object())
          if (RE2::PartialMatch(key, Regex(pat.as_string()))) {
            matched = true;
            Check(ps, v, sub_field, out, depth + 1);
          }
      if (!matched && additional) {
        if (additional->is_bool() && !additional->as_bool())
          Add(out, field, "additional_property_not_allowed", "Additional property " + key + " is not allowed");
        else Check(*additional, v, sub_field, out, depth + 1);
      }
      if (const Value* names = s.Get("propertyNames"); names && !Valid(*names, Value::String(key), depth + 1))
        Add(out, field, "invalid_property_name", "Property \"" + key + "\" does not match the schema");
    }
    if (const Value* deps = s.Get("dependencies"); deps && deps->is_object()) {
      for (const auto& [k, dep] : deps->object()) {
        if (!k.is_string() || !doc.Get(k.as_string())) continue;
        if (dep.is_array()) {
          for (const auto& d : dep.items())
            if (d.is_string() && !doc.Get(d.as_string())) Add(out, field, "missing_dependency", "Has a dependency on " + d.as_string());
        } else {
          Check(dep, doc, field, out, depth + 1);
        }
      }
    }
  }

  static constexpr std::uint64_t kMaxSteps = 2'000'000;
  Value root_;
  std::map<std::string, std::unique_ptr<RE2>> regexes_;
  std::uint64_t steps_ = 0;
};

// A schema or document argument: an object/array value, or JSON text.
Value JsonArg(const std::string& fn, const Args& a, int i) {
  const Value& v = a[static_cast<std::size_t>(i)];
  if (!v.is_string()) {
    if (!v.is_object() && !v.is_array() && !v.is_bool()) ThrowOperandError(fn, i + 1, "one of {object, string, boolean}", v);
    return v;
  }
  auto parsed = ParseJsonValue(v.as_string(), fn);
  if (!parsed) ThrowBuiltinError(fn + ": " + parsed.error().message());
  return *parsed;
}

Value VerifySchema(const Args& a, BuiltinContext&) {
  const std::string fn = "json.verify_schema";
  Value schema = JsonArg(fn, a, 0);
  try {
    Validator v(schema);
  } catch (const SchemaError& e) {
    return Value::MakeArray({Value::Bool(false), Value::String("jsonschema: " + e.message)});
  }
  return Value::MakeArray({Value::Bool(true), Value::Null()});
}

Value MatchSchema(const Args& a, BuiltinContext&) {
  const std::string fn = "json.match_schema";
  Value doc = JsonArg(fn, a, 0);
  Value schema = JsonArg(fn, a, 1);
  std::vector<Violation> violations;
  try {
    Validator v(schema);
    violations = v.Validate(doc);
  } catch (const SchemaError& e) {
    ThrowBuiltinError(fn + ": " + e.message);
  }
  Array errors;
  for (const auto& x : violations) {
    errors.push_back(Value::MakeObject({{Value::String("error"), Value::String(x.field + ": " + x.desc)},
                                        {Value::String("desc"), Value::String(x.desc)},
                                        {Value::String("field"), Value::String(x.field)},
                                        {Value::String("type"), Value::String(x.type)}}));
  }
  return Value::MakeArray({Value::Bool(errors.empty()), Value::MakeArray(std::move(errors))});
}

}  // namespace

void AddJsonSchemaBuiltins(BuiltinRegistry& r) {
  r.Add("json.verify_schema", 1, VerifySchema);
  r.Add("json.match_schema", 2, MatchSchema);
}

}  // namespace tollgate::rego
