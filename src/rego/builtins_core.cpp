// Built-ins: comparison, arithmetic, aggregates, arrays, sets, objects,
// types and casts.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <limits>
#include <functional>
#include <set>

#include <gmp.h>

#include "rego/internal.h"

namespace tollgate::rego {

void ThrowBuiltinError(const std::string& message) { throw EvalError{"eval_builtin_error", message, {}, false}; }
void ThrowTypeError(const std::string& message) { throw EvalError{"eval_type_error", message, {}, false}; }
void ThrowOperandError(std::string_view name, int operand, std::string_view expected, const Value& got) {
  ThrowTypeError(std::string(name) + ": operand " + std::to_string(operand) + " must be " + std::string(expected) +
                 " but got " + TypeName(got));
}

const std::string& ArgString(std::string_view fn, const std::vector<Value>& a, int i) {
  const Value& v = a[static_cast<std::size_t>(i)];
  if (!v.is_string()) ThrowOperandError(fn, i + 1, "string", v);
  return v.as_string();
}
const Value& ArgNumber(std::string_view fn, const std::vector<Value>& a, int i) {
  const Value& v = a[static_cast<std::size_t>(i)];
  if (!v.is_number()) ThrowOperandError(fn, i + 1, "number", v);
  return v;
}
std::int64_t ArgInt(std::string_view fn, const std::vector<Value>& a, int i) {
  const Value& v = ArgNumber(fn, a, i);
  if (!v.is_int())
    ThrowTypeError(std::string(fn) + ": operand " + std::to_string(i + 1) + " must be integer number but got floating-point number");
  return v.as_int();
}
const Value& ArgKind(std::string_view fn, const std::vector<Value>& a, int i, Kind k) {
  const Value& v = a[static_cast<std::size_t>(i)];
  if (v.kind() != k) {
    Value probe;
    std::string want = k == Kind::kArray ? "array" : k == Kind::kObject ? "object" : k == Kind::kSet ? "set"
                     : k == Kind::kBool ? "boolean" : k == Kind::kNull ? "null" : k == Kind::kString ? "string" : "number";
    ThrowOperandError(fn, i + 1, want, v);
  }
  return v;
}

namespace {

// Exact integer arithmetic beyond 64 bits (OPA keeps big integers exact). The
// fast path stays on int64; GMP is used only when an operand is a big integer
// literal or the int64 operation overflows.
class BigInt {
 public:
  BigInt() { mpz_init(v_); }
  ~BigInt() { mpz_clear(v_); }
  BigInt(const BigInt&) = delete;
  BigInt& operator=(const BigInt&) = delete;
  mpz_t& get() { return v_; }
  // Loads an integer value (int64 or big integral literal); false otherwise.
  bool Load(const Value& n) {
    if (n.is_int()) {
      mpz_set_si(v_, n.as_int());
      return true;
    }
    const std::string* t = n.big_text();
    if (!t || t->find_first_of(".eE") != std::string::npos) return false;
    return mpz_set_str(v_, t->c_str(), 10) == 0;
  }
  Value ToValue() const {
    if (mpz_fits_slong_p(v_)) return Value::Int(mpz_get_si(v_));
    std::unique_ptr<char, void (*)(void*)> text(mpz_get_str(nullptr, 10, v_), std::free);
    return Value::NumberFromText(text.get());
  }

 private:
  mpz_t v_;
};

using MpzOp = void (*)(mpz_ptr, mpz_srcptr, mpz_srcptr);

// The exact result of op on two integers, or undefined when either is not one.
Value BigArith(const Value& a, const Value& b, MpzOp op) {
  BigInt x, y, r;
  if (!x.Load(a) || !y.Load(b)) return Value();
  op(r.get(), x.get(), y.get());
  return r.ToValue();
}

using Int64Op = bool (*)(std::int64_t, std::int64_t, std::int64_t*);

Value Arith(const Value& a, const Value& b, Int64Op fast, MpzOp big, double (*fallback)(double, double)) {
  if (a.is_int() && b.is_int()) {
    std::int64_t r = 0;
    if (!fast(a.as_int(), b.as_int(), &r)) return Value::Int(r);
  }
  if (Value exact = BigArith(a, b, big); exact.defined()) return exact;
  return Value::Double(fallback(a.as_double(), b.as_double()));
}

}  // namespace

Value Add(const Value& a, const Value& b) {
  return Arith(a, b, [](std::int64_t x, std::int64_t y, std::int64_t* r) { return __builtin_add_overflow(x, y, r); }, mpz_add,
               [](double x, double y) { return x + y; });
}
Value Sub(const Value& a, const Value& b) {
  return Arith(a, b, [](std::int64_t x, std::int64_t y, std::int64_t* r) { return __builtin_sub_overflow(x, y, r); }, mpz_sub,
               [](double x, double y) { return x - y; });
}
Value Mul(const Value& a, const Value& b) {
  return Arith(a, b, [](std::int64_t x, std::int64_t y, std::int64_t* r) { return __builtin_mul_overflow(x, y, r); }, mpz_mul,
               [](double x, double y) { return x * y; });
}

namespace {

using Args = std::vector<Value>;

Value Equal(const Args& a, BuiltinContext&) { return Value::Bool(a[0] == a[1]); }
Value Neq(const Args& a, BuiltinContext&) { return Value::Bool(!(a[0] == a[1])); }
Value Lt(const Args& a, BuiltinContext&) { return Value::Bool(Compare(a[0], a[1]) < 0); }
Value Lte(const Args& a, BuiltinContext&) { return Value::Bool(Compare(a[0], a[1]) <= 0); }
Value Gt(const Args& a, BuiltinContext&) { return Value::Bool(Compare(a[0], a[1]) > 0); }
Value Gte(const Args& a, BuiltinContext&) { return Value::Bool(Compare(a[0], a[1]) >= 0); }

Value CheckFinite(const Value& v, std::string_view fn) {
  if (v.is_number() && !v.is_int() && !v.big_text() && !std::isfinite(v.as_double()))
    ThrowBuiltinError(std::string(fn) + ": result is not a finite number");
  return v;
}

Value Plus(const Args& a, BuiltinContext&) {
  ArgNumber("plus", a, 0);
  ArgNumber("plus", a, 1);
  return CheckFinite(Add(a[0], a[1]), "plus");
}
Value Minus(const Args& a, BuiltinContext&) {
  if (a[0].is_set() && a[1].is_set()) {
    Array out;
    for (const auto& v : a[0].items())
      if (!a[1].SetContains(v)) out.push_back(v);
    return Value::MakeSet(std::move(out));
  }
  if (a[0].is_set() || a[1].is_set()) {
    if (a[0].is_number()) ThrowOperandError("minus", 2, "number", a[1]);
    if (!a[0].is_set()) ThrowOperandError("minus", 1, "one of {number, set}", a[0]);
    ThrowOperandError("minus", 2, "set", a[1]);
  }
  ArgNumber("minus", a, 0);
  ArgNumber("minus", a, 1);
  return CheckFinite(Sub(a[0], a[1]), "minus");
}
Value MulB(const Args& a, BuiltinContext&) {
  ArgNumber("mul", a, 0);
  ArgNumber("mul", a, 1);
  return CheckFinite(Mul(a[0], a[1]), "mul");
}
Value Div(const Args& a, BuiltinContext&) {
  ArgNumber("div", a, 0);
  ArgNumber("div", a, 1);
  if (a[1].as_double() == 0.0) ThrowBuiltinError("div: divide by zero");
  if (a[0].is_int() && a[1].is_int() && a[0].as_int() % a[1].as_int() == 0) return Value::Int(a[0].as_int() / a[1].as_int());
  return Value::Double(a[0].as_double() / a[1].as_double());
}
Value Rem(const Args& a, BuiltinContext&) {
  ArgNumber("rem", a, 0);
  ArgNumber("rem", a, 1);
  if (!a[0].is_int() || !a[1].is_int()) ThrowBuiltinError("rem: modulo on floating-point number");
  if (a[1].as_int() == 0) ThrowBuiltinError("rem: modulo by zero");
  if (a[1].as_int() == -1) return Value::Int(0);
  return Value::Int(a[0].as_int() % a[1].as_int());
}
Value Abs(const Args& a, BuiltinContext&) {
  const Value& n = ArgNumber("abs", a, 0);
  if (n.is_int()) return n.as_int() < 0 && n.as_int() != std::numeric_limits<std::int64_t>::min() ? Value::Int(-n.as_int()) : (n.as_int() < 0 ? Value::Double(-n.as_double()) : n);
  return Value::Double(std::fabs(n.as_double()));
}
Value Round(const Args& a, BuiltinContext&) {
  const Value& n = ArgNumber("round", a, 0);
  return n.is_int() ? n : Value::Double(std::round(n.as_double()));
}
Value Ceil(const Args& a, BuiltinContext&) {
  const Value& n = ArgNumber("ceil", a, 0);
  return n.is_int() ? n : Value::Double(std::ceil(n.as_double()));
}
Value Floor(const Args& a, BuiltinContext&) {
  const Value& n = ArgNumber("floor", a, 0);
  return n.is_int() ? n : Value::Double(std::floor(n.as_double()));
}

Value RangeImpl(const char* fn, std::int64_t from, std::int64_t to, std::int64_t step) {
  if (step <= 0) ThrowBuiltinError(std::string(fn) + ": step must be a positive integer");
  Array out;
  std::uint64_t n = static_cast<std::uint64_t>(from > to ? from - to : to - from) / static_cast<std::uint64_t>(step) + 1;
  if (n > 10'000'000 && static_cast<std::uint64_t>(from > to ? from - to : to - from) > 10'000'000) ThrowBuiltinError(std::string(fn) + ": range too large");
  if (from <= to) {
    for (std::int64_t i = from; i <= to; i += step) {
      out.push_back(Value::Int(i));
      if (to - i < step) break;
    }
  } else {
    for (std::int64_t i = from; i >= to; i -= step) {
      out.push_back(Value::Int(i));
      if (i - to < step) break;
    }
  }
  return Value::MakeArray(std::move(out));
}
Value Range(const Args& a, BuiltinContext&) {
  ArgNumber("numbers.range", a, 0);
  ArgNumber("numbers.range", a, 1);
  if (!a[0].is_int()) ThrowTypeError("numbers.range: operand 1 must be integer number but got floating-point number");
  if (!a[1].is_int()) ThrowTypeError("numbers.range: operand 2 must be integer number but got floating-point number");
  return RangeImpl("numbers.range", a[0].as_int(), a[1].as_int(), 1);
}
Value RangeStep(const Args& a, BuiltinContext&) {
  ArgNumber("numbers.range_step", a, 0);
  ArgNumber("numbers.range_step", a, 1);
  ArgNumber("numbers.range_step", a, 2);
  if (a[2].big_text() && a[2].as_double() > 0) return RangeImpl("numbers.range_step", a[0].as_int(), a[1].as_int(), std::numeric_limits<std::int64_t>::max());
  for (int i = 0; i < 3; ++i)
    if (!a[static_cast<std::size_t>(i)].is_int())
      ThrowTypeError("numbers.range_step: operand " + std::to_string(i + 1) + " must be integer number but got floating-point number");
  return RangeImpl("numbers.range_step", a[0].as_int(), a[1].as_int(), a[2].as_int());
}

// ---- aggregates ----
Value Count(const Args& a, BuiltinContext&) {
  const Value& v = a[0];
  if (v.is_string()) {
    // Runes as Go counts them: each invalid byte is one (U+FFFD).
    const std::string& s = v.as_string();
    std::int64_t n = 0;
    std::size_t i = 0;
    while (i < s.size()) {
      auto c = static_cast<unsigned char>(s[i]);
      std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool ok = len > 0 && i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) ok = false;
      i += ok ? len : 1;
      ++n;
    }
    return Value::Int(n);
  }
  if (!v.is_collection()) ThrowOperandError("count", 1, "one of {array, object, set, string}", v);
  return Value::Int(static_cast<std::int64_t>(v.size()));
}
const Array& Elements(const char* fn, const Value& v) {
  if (!v.is_array() && !v.is_set()) ThrowOperandError(fn, 1, "one of {array, set}", v);
  return v.items();
}
// sum / product: folds the numbers of an array or set, exactly.
Value Fold(const char* fn, const Value& coll, std::int64_t start, Value (*op)(const Value&, const Value&)) {
  Value acc = Value::Int(start);
  for (const auto& e : Elements(fn, coll)) {
    if (!e.is_number()) ThrowOperandError(fn, 1, "one of {array, set} of numbers", coll);
    acc = op(acc, e);
  }
  return acc;
}
Value Sum(const Args& a, BuiltinContext&) { return Fold("sum", a[0], 0, Add); }
Value Product(const Args& a, BuiltinContext&) { return Fold("product", a[0], 1, Mul); }
Value Max(const Args& a, BuiltinContext&) {
  const auto& items = Elements("max", a[0]);
  if (items.empty()) return Value();
  return *std::max_element(items.begin(), items.end());
}
Value Min(const Args& a, BuiltinContext&) {
  const auto& items = Elements("min", a[0]);
  if (items.empty()) return Value();
  return *std::min_element(items.begin(), items.end());
}
Value Sort(const Args& a, BuiltinContext&) {
  Array items = Elements("sort", a[0]);
  std::sort(items.begin(), items.end());
  return Value::MakeArray(std::move(items));
}

// The members of two operands of kind k, one after the other.
Array ConcatItems(const char* fn, const Args& a, Kind k) {
  ArgKind(fn, a, 0, k);
  ArgKind(fn, a, 1, k);
  Array out = a[0].items();
  out.insert(out.end(), a[1].items().begin(), a[1].items().end());
  return out;
}

// ---- arrays ----
Value ArrayConcat(const Args& a, BuiltinContext&) { return Value::MakeArray(ConcatItems("array.concat", a, Kind::kArray)); }
Value ArraySlice(const Args& a, BuiltinContext&) {
  ArgKind("array.slice", a, 0, Kind::kArray);
  std::int64_t s = ArgInt("array.slice", a, 1);
  std::int64_t e = ArgInt("array.slice", a, 2);
  auto n = static_cast<std::int64_t>(a[0].items().size());
  if (s < 0) s = 0;
  if (e > n) e = n;
  if (s >= e) return Value::EmptyArray();
  return Value::MakeArray(Array(a[0].items().begin() + s, a[0].items().begin() + e));
}
Value ArrayReverse(const Args& a, BuiltinContext&) {
  ArgKind("array.reverse", a, 0, Kind::kArray);
  Array out(a[0].items().rbegin(), a[0].items().rend());
  return Value::MakeArray(std::move(out));
}

// ---- sets ----
Value And(const Args& a, BuiltinContext&) {
  ArgKind("and", a, 0, Kind::kSet);
  ArgKind("and", a, 1, Kind::kSet);
  Array out;
  for (const auto& v : a[0].items())
    if (a[1].SetContains(v)) out.push_back(v);
  return Value::MakeSet(std::move(out));
}
Value Or(const Args& a, BuiltinContext&) { return Value::MakeSet(ConcatItems("or", a, Kind::kSet)); }
Value Intersection(const Args& a, BuiltinContext&) {
  ArgKind("intersection", a, 0, Kind::kSet);
  Value acc;
  for (const auto& s : a[0].items()) {
    if (!s.is_set()) ThrowOperandError("intersection", 1, "set of sets", a[0]);
    if (!acc.defined()) {
      acc = s;
      continue;
    }
    Array out;
    for (const auto& v : acc.items())
      if (s.SetContains(v)) out.push_back(v);
    acc = Value::MakeSet(std::move(out));
  }
  return acc.defined() ? acc : Value::EmptySet();
}
Value Union(const Args& a, BuiltinContext&) {
  ArgKind("union", a, 0, Kind::kSet);
  Array out;
  for (const auto& s : a[0].items()) {
    if (!s.is_set()) ThrowOperandError("union", 1, "set of sets", a[0]);
    out.insert(out.end(), s.items().begin(), s.items().end());
  }
  return Value::MakeSet(std::move(out));
}

// ---- membership ----
Value Member2(const Args& a, BuiltinContext&) {
  const Value& c = a[1];
  if (c.is_set()) return Value::Bool(c.SetContains(a[0]));
  if (c.is_array()) {
    for (const auto& v : c.items())
      if (v == a[0]) return Value::Bool(true);
    return Value::Bool(false);
  }
  if (c.is_object()) {
    for (const auto& kv : c.object())
      if (kv.second == a[0]) return Value::Bool(true);
    return Value::Bool(false);
  }
  return Value::Bool(false);
}
Value Member3(const Args& a, BuiltinContext&) {
  const Value& c = a[2];
  if (!c.is_collection()) return Value::Bool(false);
  const Value* v = c.is_set() ? nullptr : c.Get(a[0]);
  if (c.is_set()) return Value::Bool(c.SetContains(a[0]) && a[0] == a[1]);
  return Value::Bool(v && *v == a[1]);
}

// ---- objects ----
Value ObjectGet(const Args& a, BuiltinContext&) {
  ArgKind("object.get", a, 0, Kind::kObject);
  if (a[1].is_array()) {
    const Value* cur = &a[0];
    for (const auto& k : a[1].items()) {
      if (!cur->is_collection()) return a[2];
      const Value* next = cur->Get(k);
      if (!next) return a[2];
      cur = next;
    }
    return *cur;
  }
  const Value* v = a[0].Get(a[1]);
  return v ? *v : a[2];
}
Value MergeObjects(const Value& x, const Value& y) {
  ObjectItems out = x.object();
  for (const auto& [k, v] : y.object()) {
    bool done = false;
    for (auto& kv : out) {
      if (kv.first == k) {
        kv.second = kv.second.is_object() && v.is_object() ? MergeObjects(kv.second, v) : v;
        done = true;
        break;
      }
    }
    if (!done) out.emplace_back(k, v);
  }
  return Value::MakeObject(std::move(out));
}
Value ObjectUnion(const Args& a, BuiltinContext&) {
  ArgKind("object.union", a, 0, Kind::kObject);
  ArgKind("object.union", a, 1, Kind::kObject);
  return MergeObjects(a[0], a[1]);
}
Value ObjectUnionN(const Args& a, BuiltinContext&) {
  ArgKind("object.union_n", a, 0, Kind::kArray);
  Value acc = Value::EmptyObject();
  for (const auto& o : a[0].items()) {
    if (!o.is_object()) ThrowOperandError("object.union_n", 1, "array of objects", a[0]);
    acc = MergeObjects(acc, o);
  }
  return acc;
}
std::set<Value> KeySet(const char* fn, const Value& keys) {
  std::set<Value> out;
  if (keys.is_array() || keys.is_set()) {
    out.insert(keys.items().begin(), keys.items().end());
  } else if (keys.is_object()) {
    for (const auto& kv : keys.object()) out.insert(kv.first);
  } else {
    ThrowOperandError(fn, 2, "one of {object, set, array}", keys);
  }
  return out;
}
Value ObjectRemove(const Args& a, BuiltinContext&) {
  ArgKind("object.remove", a, 0, Kind::kObject);
  auto keys = KeySet("object.remove", a[1]);
  ObjectItems out;
  for (const auto& kv : a[0].object())
    if (!keys.count(kv.first)) out.push_back(kv);
  return Value::MakeObject(std::move(out));
}
Value ObjectFilter(const Args& a, BuiltinContext&) {
  ArgKind("object.filter", a, 0, Kind::kObject);
  auto keys = KeySet("object.filter", a[1]);
  ObjectItems out;
  for (const auto& kv : a[0].object())
    if (keys.count(kv.first)) out.push_back(kv);
  return Value::MakeObject(std::move(out));
}
Value ObjectKeys(const Args& a, BuiltinContext&) {
  ArgKind("object.keys", a, 0, Kind::kObject);
  Array out;
  for (const auto& kv : a[0].object()) out.push_back(kv.first);
  return Value::MakeSet(std::move(out));
}

// JSON paths: "a/b/c" strings or arrays of segments.
std::vector<std::vector<Value>> ParsePaths(const char* fn, const Value& paths) {
  if (!paths.is_array() && !paths.is_set()) ThrowOperandError(fn, 2, "one of {set, array}", paths);
  std::vector<std::vector<Value>> out;
  for (const auto& p : paths.items()) {
    std::vector<Value> segs;
    if (p.is_string()) {
      std::string s = p.as_string();
      if (!s.empty() && s[0] == '/') s = s.substr(1);
      std::size_t start = 0;
      if (!s.empty()) {
        while (true) {
          auto slash = s.find('/', start);
          std::string seg = s.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
          // JSON pointer escapes
          std::string dec;
          for (std::size_t i = 0; i < seg.size(); ++i) {
            if (seg[i] == '~' && i + 1 < seg.size() && seg[i + 1] == '1') {
              dec += '/';
              ++i;
            } else if (seg[i] == '~' && i + 1 < seg.size() && seg[i + 1] == '0') {
              dec += '~';
              ++i;
            } else {
              dec += seg[i];
            }
          }
          segs.push_back(Value::String(dec));
          if (slash == std::string::npos) break;
          start = slash + 1;
        }
      }
    } else if (p.is_array()) {
      segs = p.items();
    } else {
      ThrowOperandError(fn, 2, "one of {set, array} containing string paths or array of path segments", p);
    }
    out.push_back(std::move(segs));
  }
  return out;
}

struct PathTrie {
  bool terminal = false;
  std::map<Value, PathTrie> next;
};

const PathTrie* TrieChild(const PathTrie& t, const Value& key) {
  auto it = t.next.find(key);
  if (it != t.next.end()) return &it->second;
  // Array indices given as strings.
  if (key.is_int()) {
    it = t.next.find(Value::String(std::to_string(key.as_int())));
    if (it != t.next.end()) return &it->second;
  }
  return nullptr;
}

Value FilterByTrie(const Value& v, const PathTrie& t) {
  if (t.terminal) return v;
  if (v.is_object()) {
    ObjectItems out;
    for (const auto& [k, c] : v.object())
      if (const PathTrie* n = TrieChild(t, k)) out.emplace_back(k, FilterByTrie(c, *n));
    return Value::MakeObject(std::move(out));
  }
  if (v.is_array()) {
    Array out;
    for (std::size_t i = 0; i < v.items().size(); ++i)
      if (const PathTrie* n = TrieChild(t, Value::Int(static_cast<std::int64_t>(i)))) out.push_back(FilterByTrie(v.items()[i], *n));
    return Value::MakeArray(std::move(out));
  }
  if (v.is_set()) {
    Array out;
    for (const auto& e : v.items())
      if (const PathTrie* n = TrieChild(t, e)) out.push_back(FilterByTrie(e, *n));
    return Value::MakeSet(std::move(out));
  }
  return v;
}

Value RemoveByTrie(const Value& v, const PathTrie& t) {
  if (v.is_object()) {
    ObjectItems out;
    for (const auto& [k, c] : v.object()) {
      const PathTrie* n = TrieChild(t, k);
      if (n && n->terminal) continue;
      out.emplace_back(k, n ? RemoveByTrie(c, *n) : c);
    }
    return Value::MakeObject(std::move(out));
  }
  if (v.is_array()) {
    Array out;
    for (std::size_t i = 0; i < v.items().size(); ++i) {
      const PathTrie* n = TrieChild(t, Value::Int(static_cast<std::int64_t>(i)));
      if (n && n->terminal) continue;
      out.push_back(n ? RemoveByTrie(v.items()[i], *n) : v.items()[i]);
    }
    return Value::MakeArray(std::move(out));
  }
  if (v.is_set()) {
    Array out;
    for (const auto& e : v.items()) {
      const PathTrie* n = TrieChild(t, e);
      if (n && n->terminal) continue;
      out.push_back(n ? RemoveByTrie(e, *n) : e);
    }
    return Value::MakeSet(std::move(out));
  }
  return v;
}

PathTrie BuildTrie(const std::vector<std::vector<Value>>& paths) {
  PathTrie root;
  for (const auto& p : paths) {
    PathTrie* cur = &root;
    for (const auto& s : p) {
      if (cur->terminal) break;
      cur = &cur->next[s];
    }
    cur->terminal = true;
    cur->next.clear();
  }
  return root;
}

Value JsonFilter(const Args& a, BuiltinContext&) {
  if (!a[0].is_object()) ThrowOperandError("json.filter", 1, "object", a[0]);
  auto paths = ParsePaths("json.filter", a[1]);
  if (paths.empty()) return Value::EmptyObject();
  return FilterByTrie(a[0], BuildTrie(paths));
}
Value JsonRemove(const Args& a, BuiltinContext&) {
  if (!a[0].is_object()) ThrowOperandError("json.remove", 1, "object", a[0]);
  auto paths = ParsePaths("json.remove", a[1]);
  if (paths.empty()) return a[0];
  return RemoveByTrie(a[0], BuildTrie(paths));
}

// ---- json.patch (RFC 6902) ----
std::vector<Value> PatchPath(const Value& p) {
  if (p.is_array()) return p.items();
  std::vector<Value> segs;
  if (!p.is_string()) ThrowBuiltinError("json.patch: invalid path");
  const std::string& s = p.as_string();
  if (s.empty()) return segs;
  std::size_t start = s[0] == '/' ? 1 : 0;  // OPA accepts paths without the leading slash
  while (true) {
    auto slash = s.find('/', start);
    std::string seg = s.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    std::string dec;
    for (std::size_t i = 0; i < seg.size(); ++i) {
      if (seg[i] == '~' && i + 1 < seg.size() && (seg[i + 1] == '0' || seg[i + 1] == '1')) {
        dec += seg[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        dec += seg[i];
      }
    }
    segs.push_back(Value::String(dec));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segs;
}

bool ArrayIndex(const Value& seg, std::size_t size, bool allow_end, std::size_t* out) {
  if (seg.is_int()) {
    if (seg.as_int() < 0) return false;
    *out = static_cast<std::size_t>(seg.as_int());
  } else if (seg.is_string()) {
    if (seg.as_string() == "-" && allow_end) {
      *out = size;
      return true;
    }
    const std::string& s = seg.as_string();
    // RFC 6901: "0" or digits without a leading zero.
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos || (s.size() > 1 && s[0] == '0'))
      return false;
    *out = static_cast<std::size_t>(std::stoull(s));
  } else {
    return false;
  }
  return allow_end ? *out <= size : *out < size;
}

// op: 0 add, 1 remove, 2 replace; returns undefined on failure.
Value PatchAt(const Value& doc, const std::vector<Value>& path, std::size_t i, int op, const Value& val) {
  if (i == path.size()) return op == 1 ? Value() : val;
  const Value& seg = path[i];
  bool last = i + 1 == path.size();
  if (doc.is_object()) {
    const Value* child = doc.Get(seg);
    ObjectItems items = doc.object();
    if (last) {
      if (op == 0) {
        bool replaced = false;
        for (auto& kv : items)
          if (kv.first == seg) kv.second = val, replaced = true;
        if (!replaced) items.emplace_back(seg, val);
        return Value::MakeObject(std::move(items));
      }
      if (!child) return Value();
      if (op == 1) {
        items.erase(std::remove_if(items.begin(), items.end(), [&](const auto& kv) { return kv.first == seg; }), items.end());
        return Value::MakeObject(std::move(items));
      }
      for (auto& kv : items)
        if (kv.first == seg) kv.second = val;
      return Value::MakeObject(std::move(items));
    }
    if (!child) return Value();
    Value nc = PatchAt(*child, path, i + 1, op, val);
    if (!nc.defined()) return Value();
    for (auto& kv : items)
      if (kv.first == seg) kv.second = nc;
    return Value::MakeObject(std::move(items));
  }
  if (doc.is_array()) {
    Array items = doc.items();
    std::size_t idx = 0;
    if (last) {
      if (op == 0) {
        if (!ArrayIndex(seg, items.size(), true, &idx)) return Value();
        items.insert(items.begin() + static_cast<std::ptrdiff_t>(idx), val);
        return Value::MakeArray(std::move(items));
      }
      if (!ArrayIndex(seg, items.size(), false, &idx)) return Value();
      if (op == 1) items.erase(items.begin() + static_cast<std::ptrdiff_t>(idx));
      else items[idx] = val;
      return Value::MakeArray(std::move(items));
    }
    if (!ArrayIndex(seg, items.size(), false, &idx)) return Value();
    Value nc = PatchAt(items[idx], path, i + 1, op, val);
    if (!nc.defined()) return Value();
    items[idx] = nc;
    return Value::MakeArray(std::move(items));
  }
  if (doc.is_set()) {
    Array items = doc.items();
    if (last) {
      if (op == 0) {
        // Adding to a set names the element itself.
        if (!(seg == val) && !(seg.is_string() && seg.as_string() == "-")) return Value();
        items.push_back(val);
        return Value::MakeSet(std::move(items));
      }
      if (!doc.SetContains(seg)) return Value();
      items.erase(std::remove(items.begin(), items.end(), seg), items.end());
      if (op == 2) items.push_back(val);
      return Value::MakeSet(std::move(items));
    }
    if (!doc.SetContains(seg)) return Value();
    Value nc = PatchAt(seg, path, i + 1, op, val);
    if (!nc.defined()) return Value();
    items.erase(std::remove(items.begin(), items.end(), seg), items.end());
    items.push_back(nc);
    return Value::MakeSet(std::move(items));
  }
  return Value();
}

const Value* GetPath(const Value& doc, const std::vector<Value>& path) {
  const Value* cur = &doc;
  for (const auto& seg : path) {
    if (cur->is_array()) {
      std::size_t idx = 0;
      if (!ArrayIndex(seg, cur->items().size(), false, &idx)) return nullptr;
      cur = &cur->items()[idx];
    } else if (cur->is_collection()) {
      cur = cur->Get(seg);
      if (!cur) return nullptr;
    } else {
      return nullptr;
    }
  }
  return cur;
}

Value JsonPatch(const Args& a, BuiltinContext&) {
  if (!a[1].is_array() && !a[1].is_set()) ThrowOperandError("json.patch", 2, "array", a[1]);
  Value doc = a[0];
  for (const auto& p : a[1].items()) {
    if (!p.is_object()) ThrowBuiltinError("json.patch: operation must be an object");
    const Value* opv = p.Get("op");
    const Value* pathv = p.Get("path");
    if (!opv || !opv->is_string() || !pathv) ThrowBuiltinError("json.patch: operation is missing op or path");
    std::string op = opv->as_string();
    auto path = PatchPath(*pathv);
    const Value* val = p.Get("value");
    if (op == "add") {
      if (!val) return Value();
      doc = PatchAt(doc, path, 0, 0, *val);
    } else if (op == "remove") {
      doc = PatchAt(doc, path, 0, 1, Value());
    } else if (op == "replace") {
      if (!val) return Value();
      doc = PatchAt(doc, path, 0, 2, *val);
    } else if (op == "move" || op == "copy") {
      const Value* from = p.Get("from");
      if (!from) return Value();
      auto fpath = PatchPath(*from);
      const Value* src = GetPath(doc, fpath);
      if (!src) return Value();
      Value moved = *src;
      if (op == "move") doc = PatchAt(doc, fpath, 0, 1, Value());
      if (!doc.defined()) return Value();
      doc = PatchAt(doc, path, 0, 0, moved);
    } else if (op == "test") {
      const Value* cur = GetPath(doc, path);
      if (!cur || !val || !(*cur == *val)) return Value();
    } else {
      ThrowBuiltinError("json.patch: unknown operation " + op);
    }
    if (!doc.defined()) return Value();
  }
  return doc;
}

// ---- types ----
Value TypeNameB(const Args& a, BuiltinContext&) { return Value::String(TypeName(a[0])); }
template <Kind K>
Value IsKind(const Args& a, BuiltinContext&) {
  return Value::Bool(a[0].kind() == K);
}

Value ToNumber(const Args& a, BuiltinContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case Kind::kNull: return Value::Int(0);
    case Kind::kBool: return Value::Int(v.as_bool() ? 1 : 0);
    case Kind::kNumber: return v;
    case Kind::kString: {
      const std::string& s = v.as_string();
      if (s.empty()) ThrowBuiltinError("to_number: invalid syntax");
      std::size_t i = 0;
      if (s[0] == '-' || s[0] == '+') i = 1;
      bool digits = false;
      bool ok = true;
      for (std::size_t j = i; j < s.size(); ++j) {
        char c = s[j];
        if (std::isdigit(static_cast<unsigned char>(c))) digits = true;
        else if (c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') ok = false;
      }
      std::string lower;
      for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!lower.empty() && (lower[0] == '-' || lower[0] == '+')) lower = lower.substr(1);
      if (lower == "nan" || lower == "inf" || lower == "infinity")
        ThrowTypeError("to_number: operand 1 must be a finite number string but got " + ToRegoString(v));
      if (!ok || !digits) ThrowBuiltinError("strconv.ParseFloat: parsing " + ToRegoString(v) + ": invalid syntax");
      Value n = Value::NumberFromText(s[0] == '+' ? s.substr(1) : s);
      return n;
    }
    default: ThrowOperandError("to_number", 1, "one of {null, boolean, number, string}", v);
  }
}

Value Walk(const Args& a, BuiltinContext&) {
  Array out;
  std::vector<Value> path;
  std::function<void(const Value&)> rec = [&](const Value& v) {
    out.push_back(Value::MakeArray({Value::MakeArray(path), v}));
    if (v.is_object()) {
      for (const auto& [k, c] : v.object()) {
        path.push_back(k);
        rec(c);
        path.pop_back();
      }
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.items().size(); ++i) {
        path.push_back(Value::Int(static_cast<std::int64_t>(i)));
        rec(v.items()[i]);
        path.pop_back();
      }
    } else if (v.is_set()) {
      for (const auto& e : v.items()) {
        path.push_back(e);
        rec(e);
        path.pop_back();
      }
    }
  };
  rec(a[0]);
  return Value::MakeSet(std::move(out));
}

Value ArrayFlatten(const Args& a, BuiltinContext&) {
  ArgKind("array.flatten", a, 0, Kind::kArray);
  Array out;
  for (const auto& e : a[0].items()) {
    if (e.is_array()) out.insert(out.end(), e.items().begin(), e.items().end());
    else out.push_back(e);
  }
  return Value::MakeArray(std::move(out));
}

bool Subset(const Value& super, const Value& sub) {
  if (super.is_object() && sub.is_object()) {
    for (const auto& [k, v] : sub.object()) {
      const Value* sv = super.Get(k);
      if (!sv) return false;
      if (sv->is_object() && v.is_object()) {
        if (!Subset(*sv, v)) return false;
      } else if (sv->is_set() && v.is_set()) {
        if (!Subset(*sv, v)) return false;
      } else if (sv->is_array() && v.is_array()) {
        if (!Subset(*sv, v)) return false;
      } else if (!(*sv == v)) {
        return false;
      }
    }
    return true;
  }
  if (super.is_set() && sub.is_set()) {
    for (const auto& v : sub.items())
      if (!super.SetContains(v)) return false;
    return true;
  }
  if (super.is_array() && sub.is_array()) {
    // sub must appear as a contiguous run.
    const auto& x = super.items();
    const auto& y = sub.items();
    if (y.empty()) return true;
    for (std::size_t i = 0; i + y.size() <= x.size(); ++i)
      if (std::equal(y.begin(), y.end(), x.begin() + static_cast<std::ptrdiff_t>(i))) return true;
    return false;
  }
  if (super.is_array() && sub.is_set()) {
    for (const auto& v : sub.items())
      if (std::find(super.items().begin(), super.items().end(), v) == super.items().end()) return false;
    return true;
  }
  return false;
}
Value ObjectSubset(const Args& a, BuiltinContext&) {
  auto ok = [](const Value& v) { return v.is_object() || v.is_set() || v.is_array(); };
  if (!ok(a[0])) ThrowOperandError("object.subset", 1, "one of {object, set, array}", a[0]);
  if (!ok(a[1])) ThrowOperandError("object.subset", 2, "one of {object, set, array}", a[1]);
  if (a[0].is_object() != a[1].is_object() && !(a[0].is_array() && a[1].is_set()))
    ThrowTypeError("object.subset: both arguments must be objects, sets or arrays of the same kind");
  return Value::Bool(Subset(a[0], a[1]));
}

template <int Op>
Value Bits(const Args& a, BuiltinContext&) {
  static const char* const kNames[] = {"bits.and", "bits.or", "bits.xor", "bits.lsh", "bits.rsh"};
  std::int64_t x = ArgInt(kNames[Op], a, 0);
  std::int64_t y = ArgInt(kNames[Op], a, 1);
  switch (Op) {
    case 0: return Value::Int(x & y);
    case 1: return Value::Int(x | y);
    case 2: return Value::Int(x ^ y);
    case 3:
      if (y < 0) ThrowTypeError("bits.lsh: operand 2 must be an unsigned integer number but got a negative integer");
      if (y >= 63) return Value::Double(static_cast<double>(x) * std::pow(2.0, static_cast<double>(y)));
      {
        std::int64_t r = 0;
        if (__builtin_mul_overflow(x, std::int64_t{1} << y, &r)) return Value::Double(static_cast<double>(x) * std::pow(2.0, static_cast<double>(y)));
        return Value::Int(r);
      }
    default:
      if (y < 0) ThrowTypeError("bits.rsh: operand 2 must be an unsigned integer number but got a negative integer");
      return Value::Int(y >= 63 ? (x < 0 ? -1 : 0) : x >> y);
  }
}
Value BitsNegate(const Args& a, BuiltinContext&) { return Value::Int(~ArgInt("bits.negate", a, 0)); }

// Edges of a graph node (an array or set of nodes); empty otherwise.
Array Edges(const Value& graph, const Value& node) {
  const Value* e = graph.Get(node);
  if (!e || !(e->is_array() || e->is_set())) return {};
  return e->items();
}
const Array& InitialNodes(const char* fn, const Value& v) {
  if (!v.is_array() && !v.is_set()) ThrowOperandError(fn, 2, "one of {array, set}", v);
  return v.items();
}
Value Reachable(const Args& a, BuiltinContext&) {
  ArgKind("graph.reachable", a, 0, Kind::kObject);
  std::set<Value> seen;
  std::vector<Value> queue;
  for (const auto& n : InitialNodes("graph.reachable", a[1]))
    if (a[0].Get(n) && seen.insert(n).second) queue.push_back(n);
  while (!queue.empty()) {
    Value n = queue.back();
    queue.pop_back();
    for (const auto& e : Edges(a[0], n))
      if (a[0].Get(e) && seen.insert(e).second) queue.push_back(e);
  }
  return Value::MakeSet(Array(seen.begin(), seen.end()));
}
// Depth-first from node, edges in order. `expanded` holds the nodes whose
// edges have been followed (from any path, as OPA's walk does): an edge to
// one of them ends the current path there instead of following it again.
void PathsFrom(const Value& graph, const Value& node, Array& path, std::set<Value>& expanded, Array& out) {
  path.push_back(node);
  bool followed = false;
  for (const auto& e : Edges(graph, node)) {
    if (!graph.Get(e)) continue;
    followed = true;
    if (expanded.count(e)) {
      out.push_back(Value::MakeArray(path));
      continue;
    }
    expanded.insert(node);
    PathsFrom(graph, e, path, expanded, out);
  }
  if (!followed) out.push_back(Value::MakeArray(path));
  path.pop_back();
}
Value ReachablePaths(const Args& a, BuiltinContext&) {
  ArgKind("graph.reachable_paths", a, 0, Kind::kObject);
  Array out;
  for (const auto& n : InitialNodes("graph.reachable_paths", a[1])) {
    if (!a[0].Get(n)) continue;
    Array path;
    std::set<Value> expanded;
    PathsFrom(a[0], n, path, expanded, out);
  }
  return Value::MakeSet(std::move(out));
}

Value PrintB(const Args&, BuiltinContext&) { return Value::Bool(true); }
Value NotSupported(const Args&, BuiltinContext&) {
  throw EvalError{"eval_not_supported_error", "this built-in (http.send, opa.runtime) is not supported by tollgate", {}, true};
}
// http.send is not supported, but a malformed request is reported as such
// first (OPA's parameter checks); both always stop the evaluation, never a
// silent undefined.
Value HttpSend(const Args& a, BuiltinContext& ctx) {
  const Value& req = ArgKind("http.send", a, 0, Kind::kObject);
  static const std::set<std::string> kKnown = {
      "body", "cache", "cache_ignored_headers", "caching_mode", "enable_redirect", "force_cache",
      "force_cache_duration_seconds", "force_json_decode", "force_yaml_decode", "headers", "max_retry_attempts", "method",
      "raise_error", "raw_body", "timeout", "tls_ca_cert", "tls_ca_cert_env_variable", "tls_ca_cert_file",
      "tls_client_cert", "tls_client_cert_env_variable", "tls_client_cert_file", "tls_client_key",
      "tls_client_key_env_variable", "tls_client_key_file", "tls_insecure_skip_verify", "tls_server_name",
      "tls_use_system_certs", "url"};
  auto quoted_set = [](const std::vector<std::string>& names) {
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + std::string("\"") + names[i] + "\"";
    return out + "}";
  };
  std::vector<std::string> unknown, missing;
  for (const auto& [k, v] : req.object())
    if (!k.is_string() || !kKnown.count(k.as_string())) unknown.push_back(k.is_string() ? k.as_string() : ToJsonText(k));
  auto fail = [](const std::string& m) { throw EvalError{"eval_type_error", "http.send: " + m, {}, true}; };
  if (!unknown.empty()) fail("invalid request parameters(s): " + quoted_set(unknown));
  for (const char* required : {"method", "url"})
    if (!req.Get(required)) missing.push_back(required);
  if (!missing.empty()) fail("missing required request parameters(s): " + quoted_set(missing));
  return NotSupported(a, ctx);
}

}  // namespace

void AddCoreBuiltins(BuiltinRegistry& r) {
  r.Add("equal", 2, Equal);
  r.Add("neq", 2, Neq);
  r.Add("lt", 2, Lt);
  r.Add("lte", 2, Lte);
  r.Add("gt", 2, Gt);
  r.Add("gte", 2, Gte);
  r.Add("plus", 2, Plus);
  r.Add("minus", 2, Minus);
  r.Add("mul", 2, MulB);
  r.Add("div", 2, Div);
  r.Add("rem", 2, Rem);
  r.Add("abs", 1, Abs);
  r.Add("round", 1, Round);
  r.Add("ceil", 1, Ceil);
  r.Add("floor", 1, Floor);
  r.Add("numbers.range", 2, Range);
  r.Add("numbers.range_step", 3, RangeStep);
  r.Add("count", 1, Count);
  r.Add("sum", 1, Sum);
  r.Add("product", 1, Product);
  r.Add("max", 1, Max);
  r.Add("min", 1, Min);
  r.Add("sort", 1, Sort);
  r.Add("array.concat", 2, ArrayConcat);
  r.Add("array.slice", 3, ArraySlice);
  r.Add("array.reverse", 1, ArrayReverse);
  r.Add("and", 2, And);
  r.Add("or", 2, Or);
  r.Add("intersection", 1, Intersection);
  r.Add("union", 1, Union);
  r.Add("internal.member_2", 2, Member2);
  r.Add("internal.member_3", 3, Member3);
  r.Add("object.get", 3, ObjectGet);
  r.Add("object.union", 2, ObjectUnion);
  r.Add("object.union_n", 1, ObjectUnionN);
  r.Add("object.remove", 2, ObjectRemove);
  r.Add("object.filter", 2, ObjectFilter);
  r.Add("object.keys", 1, ObjectKeys);
  r.Add("json.filter", 2, JsonFilter);
  r.Add("json.remove", 2, JsonRemove);
  r.Add("json.patch", 2, JsonPatch);
  r.Add("type_name", 1, TypeNameB);
  r.Add("is_null", 1, IsKind<Kind::kNull>);
  r.Add("is_boolean", 1, IsKind<Kind::kBool>);
  r.Add("is_number", 1, IsKind<Kind::kNumber>);
  r.Add("is_string", 1, IsKind<Kind::kString>);
  r.Add("is_array", 1, IsKind<Kind::kArray>);
  r.Add("is_object", 1, IsKind<Kind::kObject>);
  r.Add("is_set", 1, IsKind<Kind::kSet>);
  r.Add("to_number", 1, ToNumber);
  r.Add("walk", 1, Walk);
  r.Add("graph.reachable", 2, Reachable);
  r.Add("graph.reachable_paths", 2, ReachablePaths);
  r.Add("array.flatten", 1, ArrayFlatten);
  r.Add("object.subset", 2, ObjectSubset);
  r.Add("bits.and", 2, Bits<0>);
  r.Add("bits.or", 2, Bits<1>);
  r.Add("bits.xor", 2, Bits<2>);
  r.Add("bits.lsh", 2, Bits<3>);
  r.Add("bits.rsh", 2, Bits<4>);
  r.Add("bits.negate", 1, BitsNegate);
  r.Add("print", -1, PrintB);
  r.Add("trace", 1, PrintB);
  // Answered by the evaluator (they need the rule being evaluated).
  r.Add("rego.metadata.rule", 0, NotSupported);
  r.Add("rego.metadata.chain", 0, NotSupported);
  r.Add("http.send", 1, HttpSend);
  r.Add("opa.runtime", 0, NotSupported);
}

const BuiltinRegistry& Builtins() {
  static const BuiltinRegistry* const kRegistry = [] {
    auto* r = new BuiltinRegistry();
    AddCoreBuiltins(*r);
    AddStringBuiltins(*r);
    AddRegexBuiltins(*r);
    AddEncodingBuiltins(*r);
    AddTimeBuiltins(*r);
    AddNetCryptoBuiltins(*r);
    AddMiscBuiltins(*r);
    AddGraphqlBuiltins(*r);
    AddX509Builtins(*r);
    AddJsonSchemaBuiltins(*r);
    AddTemplateBuiltins(*r);
    AddGlobsBuiltins(*r);
    AddDeprecatedBuiltins(*r);
    AddConftestBuiltins(*r);
    return r;
  }();
  return *kRegistry;
}

}  // namespace tollgate::rego
