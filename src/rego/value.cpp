#include "rego/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace tollgate::rego {

thread_local std::uint64_t tl_value_bytes = 0;

namespace {

int KindOrder(Kind k) {
  switch (k) {
    case Kind::kUndefined: return -1;
    case Kind::kNull: return 0;
    case Kind::kBool: return 1;
    case Kind::kNumber: return 2;
    case Kind::kString: return 3;
    case Kind::kArray: return 4;
    case Kind::kObject: return 5;
    case Kind::kSet: return 6;
  }
  return 7;
}

void AppendJsonString(std::string& out, const std::string& s) {
  out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Value Value::Null() {
  Value v;
  v.kind_ = Kind::kNull;
  return v;
}
Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}
Value Value::Int(std::int64_t i) {
  Value v;
  v.kind_ = Kind::kNumber;
  v.i_ = i;
  return v;
}
Value Value::Double(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) return Int(static_cast<std::int64_t>(d));
  Value v;
  v.kind_ = Kind::kNumber;
  v.is_int_ = false;
  v.d_ = d;
  return v;
}
Value Value::NumberFromText(std::string_view text) {
  std::int64_t i = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && p == text.data() + text.size()) return Int(i);
  double d = 0;
  auto [p2, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
  (void)p2;
  bool integral_literal = text.find_first_of(".eE") == std::string_view::npos;
  if (ec2 == std::errc::result_out_of_range || (integral_literal && ec == std::errc::result_out_of_range)) {
    Value v;
    v.kind_ = Kind::kNumber;
    v.is_int_ = false;
    v.d_ = ec2 == std::errc() ? d : (text.size() > 0 && text[0] == '-' ? -HUGE_VAL : HUGE_VAL);
    v.ptr_ = std::make_shared<const std::string>(text);
    return v;
  }
  return Double(d);
}
Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  tl_value_bytes += sizeof(std::string) + s.size();
  v.ptr_ = std::make_shared<const std::string>(std::move(s));
  return v;
}
Value Value::MakeArray(Array items) {
  Value v;
  v.kind_ = Kind::kArray;
  tl_value_bytes += sizeof(Array) + items.size() * sizeof(Value);
  v.ptr_ = std::make_shared<const Array>(std::move(items));
  return v;
}
Value Value::MakeSet(Array items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  Value v;
  v.kind_ = Kind::kSet;
  tl_value_bytes += sizeof(Array) + items.size() * sizeof(Value);
  v.ptr_ = std::make_shared<const Array>(std::move(items));
  return v;
}
Value Value::MakeObject(ObjectItems items) {
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ObjectItems out;
  out.reserve(items.size());
  for (auto& kv : items) {
    if (!out.empty() && out.back().first == kv.first) {
      out.back().second = std::move(kv.second);
    } else {
      out.push_back(std::move(kv));
    }
  }
  Value v;
  v.kind_ = Kind::kObject;
  tl_value_bytes += sizeof(ObjectItems) + out.size() * sizeof(ObjectItems::value_type);
  v.ptr_ = std::make_shared<const ObjectItems>(std::move(out));
  return v;
}
Value Value::EmptyObject() {
  static const Value kEmpty = MakeObject({});
  return kEmpty;
}
Value Value::EmptySet() {
  static const Value kEmpty = MakeSet({});
  return kEmpty;
}
Value Value::EmptyArray() {
  static const Value kEmpty = MakeArray({});
  return kEmpty;
}

std::size_t Value::size() const {
  switch (kind_) {
    case Kind::kArray:
    case Kind::kSet: return items().size();
    case Kind::kObject: return object().size();
    default: return 0;
  }
}

const Value* Value::Get(const Value& key) const {
  if (kind_ == Kind::kObject && key.kind_ == Kind::kString) return Get(std::string_view(key.as_string()));
  if (kind_ == Kind::kObject) {
    const auto& o = object();
    auto it = std::lower_bound(o.begin(), o.end(), key, [](const auto& kv, const Value& k) { return kv.first < k; });
    if (it != o.end() && it->first == key) return &it->second;
    return nullptr;
  }
  if (kind_ == Kind::kArray) {
    if (!key.is_int()) return nullptr;
    auto i = key.as_int();
    if (i < 0 || static_cast<std::size_t>(i) >= items().size()) return nullptr;
    return &items()[static_cast<std::size_t>(i)];
  }
  if (kind_ == Kind::kSet) {
    const auto& s = items();
    auto it = std::lower_bound(s.begin(), s.end(), key);
    if (it != s.end() && *it == key) return &*it;
  }
  return nullptr;
}

const Value* Value::Get(std::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  const auto& o = object();
  auto it = std::lower_bound(o.begin(), o.end(), key, [](const auto& kv, std::string_view k) {
    if (!kv.first.is_string()) return KindOrder(kv.first.kind()) < KindOrder(Kind::kString);
    return std::string_view(kv.first.as_string()) < k;
  });
  if (it != o.end() && it->first.is_string() && it->first.as_string() == key) return &it->second;
  return nullptr;
}

bool Value::SetContains(const Value& v) const { return kind_ == Kind::kSet && Get(v) != nullptr; }

int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  long double x = a.is_int() ? static_cast<long double>(a.as_int()) : static_cast<long double>(a.as_double());
  long double y = b.is_int() ? static_cast<long double>(b.as_int()) : static_cast<long double>(b.as_double());
  if (x < y) return -1;
  if (x > y) return 1;
  // Equal as long doubles: integers beyond 64 bits compare exactly by text.
  const std::string* ta = a.big_text();
  const std::string* tb = b.big_text();
  if (!ta && !tb) return 0;
  auto integral = [](const Value& v, std::string* out) {
    if (v.is_int()) {
      *out = std::to_string(v.as_int());
      return true;
    }
    const std::string* t = v.big_text();
    if (!t || t->find_first_of(".eE") != std::string::npos) return false;
    *out = *t;
    return true;
  };
  std::string x_text, y_text;
  if (!integral(a, &x_text) || !integral(b, &y_text)) return ta && tb ? (ta->compare(*tb) < 0 ? -1 : (ta->compare(*tb) > 0 ? 1 : 0)) : 0;
  bool xneg = !x_text.empty() && x_text[0] == '-';
  bool yneg = !y_text.empty() && y_text[0] == '-';
  if (xneg != yneg) return xneg ? -1 : 1;
  std::string_view xd(x_text), yd(y_text);
  xd.remove_prefix(xneg || (!xd.empty() && xd[0] == '+') ? 1 : 0);
  yd.remove_prefix(yneg || (!yd.empty() && yd[0] == '+') ? 1 : 0);
  while (xd.size() > 1 && xd[0] == '0') xd.remove_prefix(1);
  while (yd.size() > 1 && yd[0] == '0') yd.remove_prefix(1);
  int mag = xd.size() != yd.size() ? (xd.size() < yd.size() ? -1 : 1) : (xd < yd ? -1 : (xd > yd ? 1 : 0));
  return xneg ? -mag : mag;
}

int Compare(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return KindOrder(a.kind_) < KindOrder(b.kind_) ? -1 : 1;
  switch (a.kind_) {
    case Kind::kUndefined:
    case Kind::kNull: return 0;
    case Kind::kBool: return a.b_ == b.b_ ? 0 : (a.b_ ? 1 : -1);
    case Kind::kNumber: return CompareNumbers(a, b);
    case Kind::kString: {
      if (a.ptr_ == b.ptr_) return 0;
      int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kArray:
    case Kind::kSet: {
      if (a.ptr_ == b.ptr_) return 0;
      const auto& x = a.items();
      const auto& y = b.items();
      std::size_t n = std::min(x.size(), y.size());
      for (std::size_t i = 0; i < n; ++i) {
        int c = Compare(x[i], y[i]);
        if (c != 0) return c;
      }
      return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
    }
    case Kind::kObject: {
      if (a.ptr_ == b.ptr_) return 0;
      const auto& x = a.object();
      const auto& y = b.object();
      std::size_t n = std::min(x.size(), y.size());
      for (std::size_t i = 0; i < n; ++i) {
        int c = Compare(x[i].first, y[i].first);
        if (c != 0) return c;
        c = Compare(x[i].second, y[i].second);
        if (c != 0) return c;
      }
      return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
    }
  }
  return 0;
}

std::string NumberText(const Value& n) {
  if (n.is_int()) return std::to_string(n.as_int());
  if (const std::string* t = n.big_text()) return *t;
  double d = n.as_double();
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  (void)ec;
  std::string s(buf, p);
  // Go prints exponents with at least two digits (1e-07).
  auto e = s.find('e');
  if (e != std::string::npos) {
    std::string mant = s.substr(0, e);
    std::string ex = s.substr(e + 1);
    std::string sign = "+";
    if (!ex.empty() && (ex[0] == '-' || ex[0] == '+')) {
      sign = ex.substr(0, 1);
      ex = ex.substr(1);
    }
    if (ex.size() < 2) ex = "0" + ex;
    s = mant + "e" + sign + ex;
  }
  return s;
}

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: return "undefined";
    case Kind::kNull: return "null";
    case Kind::kBool: return "boolean";
    case Kind::kNumber: return "number";
    case Kind::kString: return "string";
    case Kind::kArray: return "array";
    case Kind::kObject: return "object";
    case Kind::kSet: return "set";
  }
  return "undefined";
}

static void AppendRego(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: out += "<undefined>"; break;
    case Kind::kNull: out += "null"; break;
    case Kind::kBool: out += v.as_bool() ? "true" : "false"; break;
    case Kind::kNumber: out += NumberText(v); break;
    case Kind::kString: AppendJsonString(out, v.as_string()); break;
    case Kind::kArray: {
      out += '[';
      bool first = true;
      for (const auto& e : v.items()) {
        if (!first) out += ", ";
        first = false;
        AppendRego(out, e);
      }
      out += ']';
      break;
    }
    case Kind::kSet: {
      if (v.items().empty()) {
        out += "set()";
        break;
      }
      out += '{';
      bool first = true;
      for (const auto& e : v.items()) {
        if (!first) out += ", ";
        first = false;
        AppendRego(out, e);
      }
      out += '}';
      break;
    }
    case Kind::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.object()) {
        if (!first) out += ", ";
        first = false;
        AppendRego(out, k);
        out += ": ";
        AppendRego(out, e);
      }
      out += '}';
      break;
    }
  }
}

std::string ToRegoString(const Value& v) {
  std::string out;
  AppendRego(out, v);
  return out;
}

static void AppendJson(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull: out += "null"; break;
    case Kind::kBool: out += v.as_bool() ? "true" : "false"; break;
    case Kind::kNumber: out += NumberText(v); break;
    case Kind::kString: AppendJsonString(out, v.as_string()); break;
    case Kind::kArray:
    case Kind::kSet: {
      out += '[';
      bool first = true;
      for (const auto& e : v.items()) {
        if (!first) out += ',';
        first = false;
        AppendJson(out, e);
      }
      out += ']';
      break;
    }
    case Kind::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.object()) {
        if (!first) out += ',';
        first = false;
        if (k.is_string()) {
          AppendJsonString(out, k.as_string());
        } else {
          AppendJsonString(out, ToJsonText(k));
        }
        out += ':';
        AppendJson(out, e);
      }
      out += '}';
      break;
    }
  }
}

std::string ToJsonText(const Value& v) {
  std::string out;
  AppendJson(out, v);
  return out;
}

nlohmann::json ToJson(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull: return nullptr;
    case Kind::kBool: return v.as_bool();
    case Kind::kNumber:
      if (v.is_int()) return v.as_int();
      if (v.big_text()) return nlohmann::json::parse(*v.big_text(), nullptr, false);
      return v.as_double();
    case Kind::kString: return v.as_string();
    case Kind::kArray:
    case Kind::kSet: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& e : v.items()) a.push_back(ToJson(e));
      return a;
    }
    case Kind::kObject: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& [k, e] : v.object()) o[k.is_string() ? k.as_string() : ToJsonText(k)] = ToJson(e);
      return o;
    }
  }
  return nullptr;
}

Value FromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::Null();
    case nlohmann::json::value_t::boolean: return Value::Bool(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::Int(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return Value::Int(static_cast<std::int64_t>(u));
      return Value::NumberFromText(std::to_string(u));
    }
    case nlohmann::json::value_t::number_float: return Value::Double(j.get<double>());
    case nlohmann::json::value_t::string: return Value::String(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      Array a;
      a.reserve(j.size());
      for (const auto& e : j) a.push_back(FromJson(e));
      return Value::MakeArray(std::move(a));
    }
    case nlohmann::json::value_t::object: {
      ObjectItems o;
      o.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) o.emplace_back(Value::String(it.key()), FromJson(it.value()));
      return Value::MakeObject(std::move(o));
    }
    default: return Value::Null();
  }
}

}  // namespace tollgate::rego
