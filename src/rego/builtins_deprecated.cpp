// Built-ins that OPA 1.0 deprecated (a v1 module calling one fails to compile
// with "deprecated built-in function calls in expression") but that v0
// policies still call: any, all, set_diff and the cast_* family. re_match and
// net.cidr_overlap are registered with their replacements.
#include <algorithm>

#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

const Value& Collection(std::string_view fn, const Args& a) {
  if (!a[0].is_array() && !a[0].is_set()) ThrowOperandError(fn, 1, "one of {array, set}", a[0]);
  return a[0];
}

// any(xs): some element is `true`.
Value Any(const Args& a, BuiltinContext&) {
  const Value& c = Collection("any", a);
  for (const auto& v : c.items())
    if (v.is_bool() && v.as_bool()) return Value::Bool(true);
  return Value::Bool(false);
}

// all(xs): every element is `true` (true for an empty collection).
Value All(const Args& a, BuiltinContext&) {
  const Value& c = Collection("all", a);
  for (const auto& v : c.items())
    if (!(v.is_bool() && v.as_bool())) return Value::Bool(false);
  return Value::Bool(true);
}

Value SetDiff(const Args& a, BuiltinContext&) {
  ArgKind("set_diff", a, 0, Kind::kSet);
  ArgKind("set_diff", a, 1, Kind::kSet);
  Array out;
  for (const auto& v : a[0].items())
    if (!a[1].SetContains(v)) out.push_back(v);
  return Value::MakeSet(std::move(out));
}

Value CastArray(const Args& a, BuiltinContext&) {
  const Value& c = Collection("cast_array", a);
  if (c.is_array()) return c;
  Array items = c.items();
  std::sort(items.begin(), items.end());
  return Value::MakeArray(std::move(items));
}

Value CastSet(const Args& a, BuiltinContext&) {
  const Value& c = Collection("cast_set", a);
  if (c.is_set()) return c;
  return Value::MakeSet(c.items());
}

template <Kind K>
Value CastSame(const Args& a, BuiltinContext&) {
  static const char* const kNames[] = {"cast_null", "cast_boolean", "cast_string", "cast_object"};
  const char* name = K == Kind::kNull ? kNames[0] : K == Kind::kBool ? kNames[1] : K == Kind::kString ? kNames[2] : kNames[3];
  return ArgKind(name, a, 0, K);
}

}  // namespace

void AddDeprecatedBuiltins(BuiltinRegistry& r) {
  r.Add("any", 1, Any);
  r.Add("all", 1, All);
  r.Add("set_diff", 2, SetDiff);
  r.Add("cast_array", 1, CastArray);
  r.Add("cast_set", 1, CastSet);
  r.Add("cast_string", 1, CastSame<Kind::kString>);
  r.Add("cast_boolean", 1, CastSame<Kind::kBool>);
  r.Add("cast_null", 1, CastSame<Kind::kNull>);
  r.Add("cast_object", 1, CastSame<Kind::kObject>);
}

bool IsDeprecatedBuiltin(std::string_view name) {
  static const char* const kNames[] = {"any",        "all",        "re_match",    "net.cidr_overlap", "set_diff",
                                       "cast_array", "cast_set",   "cast_string", "cast_boolean",     "cast_null",
                                       "cast_object"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

}  // namespace tollgate::rego
