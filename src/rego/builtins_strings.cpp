// Built-ins: strings and sprintf (Go fmt verbs as OPA passes them through).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/utf8.h"
#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

// Code points of a UTF-8 string (invalid bytes become U+FFFD).
std::vector<std::string> Runes(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    bool ok = true;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) ok = false;
    if (!ok || (len == 1 && c >= 0x80)) {
      out.emplace_back("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::size_t from, std::size_t to) {
  std::string s;
  for (std::size_t i = from; i < to && i < parts.size(); ++i) s += parts[i];
  return s;
}

Value Concat(const Args& a, BuiltinContext&) {
  const std::string& sep = ArgString("concat", a, 0);
  if (!a[1].is_array() && !a[1].is_set()) ThrowOperandError("concat", 2, "one of {array, set}", a[1]);
  std::string out;
  bool first = true;
  for (const auto& v : a[1].items()) {
    if (!v.is_string()) ThrowOperandError("concat", 2, "one of {array, set} of strings", a[1]);
    if (!first) out += sep;
    first = false;
    out += v.as_string();
  }
  return Value::String(std::move(out));
}
Value Contains(const Args& a, BuiltinContext&) {
  return Value::Bool(ArgString("contains", a, 0).find(ArgString("contains", a, 1)) != std::string::npos);
}
Value StartsWith(const Args& a, BuiltinContext&) {
  return Value::Bool(ArgString("startswith", a, 0).rfind(ArgString("startswith", a, 1), 0) == 0);
}
Value EndsWith(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("endswith", a, 0);
  const std::string& x = ArgString("endswith", a, 1);
  return Value::Bool(s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0);
}
Value Lower(const Args& a, BuiltinContext&) {
  std::string s = ArgString("lower", a, 0);
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return Value::String(s);
}
Value Upper(const Args& a, BuiltinContext&) {
  std::string s = ArgString("upper", a, 0);
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return Value::String(s);
}
Value Split(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("split", a, 0);
  const std::string& d = ArgString("split", a, 1);
  Array out;
  if (d.empty()) {
    for (auto& r : Runes(s)) out.push_back(Value::String(r));
    return Value::MakeArray(std::move(out));
  }
  std::size_t start = 0;
  while (true) {
    auto p = s.find(d, start);
    if (p == std::string::npos) {
      out.push_back(Value::String(s.substr(start)));
      break;
    }
    out.push_back(Value::String(s.substr(start, p - start)));
    start = p + d.size();
  }
  return Value::MakeArray(std::move(out));
}
std::string ReplaceAll(const std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) {
    // Go inserts `to` around every rune.
    std::string out = to;
    for (auto& r : Runes(s)) out += r + to;
    return out;
  }
  std::string out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(from, start);
    if (p == std::string::npos) break;
    out += s.substr(start, p - start) + to;
    start = p + from.size();
  }
  return out + s.substr(start);
}
Value Replace(const Args& a, BuiltinContext&) {
  return Value::String(ReplaceAll(ArgString("replace", a, 0), ArgString("replace", a, 1), ArgString("replace", a, 2)));
}
Value ReplaceN(const Args& a, BuiltinContext&) {
  ArgKind("strings.replace_n", a, 0, Kind::kObject);
  std::string s = ArgString("strings.replace_n", a, 1);
  // Go's strings.NewReplacer: at each position the first matching old string
  // (in argument order, here sorted keys) wins.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [k, v] : a[0].object()) {
    if (!k.is_string()) ThrowTypeError("strings.replace_n: operand 1 non-string key found in pattern object");
    if (!v.is_string()) ThrowTypeError("strings.replace_n: operand 1 non-string value found in pattern object");
    pairs.emplace_back(k.as_string(), v.as_string());
  }
  std::string out;
  std::size_t i = 0;
  while (i <= s.size()) {
    bool matched = false;
    for (const auto& [from, to] : pairs) {
      if (!from.empty() && s.compare(i, from.size(), from) == 0) {
        out += to;
        i += from.size();
        matched = true;
        break;
      }
    }
    if (!matched) {
      if (i < s.size()) out += s[i];
      ++i;
    }
  }
  return Value::String(out);
}
Value Reverse(const Args& a, BuiltinContext&) {
  auto r = Runes(ArgString("strings.reverse", a, 0));
  std::reverse(r.begin(), r.end());
  return Value::String(Join(r, 0, r.size()));
}
Value IndexOf(const Args& a, BuiltinContext&) {
  auto hay = Runes(ArgString("indexof", a, 0));
  auto needle = Runes(ArgString("indexof", a, 1));
  if (needle.empty()) ThrowBuiltinError("indexof: empty search character");
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (std::equal(needle.begin(), needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(i))) return Value::Int(static_cast<std::int64_t>(i));
  return Value::Int(-1);
}
Value IndexOfN(const Args& a, BuiltinContext&) {
  auto hay = Runes(ArgString("indexof_n", a, 0));
  auto needle = Runes(ArgString("indexof_n", a, 1));
  if (needle.empty()) ThrowBuiltinError("indexof_n: empty search character");
  Array out;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (std::equal(needle.begin(), needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(i))) out.push_back(Value::Int(static_cast<std::int64_t>(i)));
  return Value::MakeArray(std::move(out));
}
Value Substring(const Args& a, BuiltinContext&) {
  auto r = Runes(ArgString("substring", a, 0));
  std::int64_t start = ArgInt("substring", a, 1);
  std::int64_t len = ArgInt("substring", a, 2);
  if (start < 0) ThrowBuiltinError("substring: negative offset");
  auto n = static_cast<std::int64_t>(r.size());
  if (start >= n) return Value::String("");
  std::int64_t end = len < 0 || start + len > n ? n : start + len;
  return Value::String(Join(r, static_cast<std::size_t>(start), static_cast<std::size_t>(end)));
}

bool InCutset(const std::string& rune, const std::vector<std::string>& cut) {
  return std::find(cut.begin(), cut.end(), rune) != cut.end();
}
std::string TrimLeftRunes(const std::string& s, const std::string& cutset) {
  auto r = Runes(s);
  auto cut = Runes(cutset);
  std::size_t i = 0;
  while (i < r.size() && InCutset(r[i], cut)) ++i;
  return Join(r, i, r.size());
}
std::string TrimRightRunes(const std::string& s, const std::string& cutset) {
  auto r = Runes(s);
  auto cut = Runes(cutset);
  std::size_t e = r.size();
  while (e > 0 && InCutset(r[e - 1], cut)) --e;
  return Join(r, 0, e);
}
Value Trim(const Args& a, BuiltinContext&) {
  return Value::String(TrimRightRunes(TrimLeftRunes(ArgString("trim", a, 0), ArgString("trim", a, 1)), a[1].as_string()));
}
Value TrimLeft(const Args& a, BuiltinContext&) {
  return Value::String(TrimLeftRunes(ArgString("trim_left", a, 0), ArgString("trim_left", a, 1)));
}
Value TrimRight(const Args& a, BuiltinContext&) {
  return Value::String(TrimRightRunes(ArgString("trim_right", a, 0), ArgString("trim_right", a, 1)));
}
Value TrimPrefix(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("trim_prefix", a, 0);
  const std::string& p = ArgString("trim_prefix", a, 1);
  return Value::String(s.rfind(p, 0) == 0 ? s.substr(p.size()) : s);
}
Value TrimSuffix(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("trim_suffix", a, 0);
  const std::string& p = ArgString("trim_suffix", a, 1);
  bool ends = s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
  return Value::String(ends ? s.substr(0, s.size() - p.size()) : s);
}
Value TrimSpace(const Args& a, BuiltinContext&) {
  static const std::string kSpace = " \t\n\r\v\f\xC2\x85\xC2\xA0";
  const std::string& s = ArgString("trim_space", a, 0);
  auto b = s.find_first_not_of(" \t\n\r\v\f");
  if (b == std::string::npos) return Value::String("");
  auto e = s.find_last_not_of(" \t\n\r\v\f");
  return Value::String(s.substr(b, e - b + 1));
}
Value FormatInt(const Args& a, BuiltinContext&) {
  const Value& n = ArgNumber("format_int", a, 0);
  std::int64_t base = ArgInt("format_int", a, 1);
  if (base != 2 && base != 8 && base != 10 && base != 16) ThrowTypeError("format_int: operand 2 must be one of {2, 8, 10, 16}");
  double d = n.as_double();
  std::int64_t v = n.is_int() ? n.as_int() : static_cast<std::int64_t>(std::floor(d));
  if (!n.is_int() && d < 0) v = static_cast<std::int64_t>(std::ceil(d));
  bool neg = v < 0;
  std::uint64_t u = neg ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
  std::string out;
  const char* digits = "0123456789abcdef";
  do {
    out += digits[u % static_cast<std::uint64_t>(base)];
    u /= static_cast<std::uint64_t>(base);
  } while (u);
  if (neg) out += '-';
  std::reverse(out.begin(), out.end());
  return Value::String(out);
}
// strings.any_prefix_match / any_suffix_match: operands are a string or an
// array/set of strings; true when some pair of them satisfies `match`.
template <class Match>
Value AnyMatch(const std::string& fn, const Args& a, Match match) {
  auto list = [&](int i) {
    const Value& v = a[static_cast<std::size_t>(i)];
    std::vector<std::string> out;
    if (v.is_string()) {
      out.push_back(v.as_string());
    } else if (v.is_array() || v.is_set()) {
      for (const auto& e : v.items()) {
        if (!e.is_string())
          ThrowTypeError(fn + ": operand " + std::to_string(i + 1) + " must be array of strings but got array containing " + TypeName(e));
        out.push_back(e.as_string());
      }
    } else {
      ThrowOperandError(fn, i + 1, "one of {string, set, array}", v);
    }
    return out;
  };
  for (const auto& s : list(0))
    for (const auto& p : list(1))
      if (match(s, p)) return Value::Bool(true);
  return Value::Bool(false);
}
Value AnyPrefix(const Args& a, BuiltinContext&) {
  return AnyMatch("strings.any_prefix_match", a, [](const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; });
}
Value AnySuffix(const Args& a, BuiltinContext&) {
  return AnyMatch("strings.any_suffix_match", a, [](const std::string& s, const std::string& p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
  });
}
Value StringsCount(const Args& a, BuiltinContext&) {
  auto hay = Runes(ArgString("strings.count", a, 0));
  auto needle = Runes(ArgString("strings.count", a, 1));
  if (needle.empty()) return Value::Int(static_cast<std::int64_t>(hay.size() + 1));
  std::int64_t n = 0;
  for (std::size_t i = 0; i + needle.size() <= hay.size();) {
    if (std::equal(needle.begin(), needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(i))) {
      ++n;
      i += needle.size();
    } else {
      ++i;
    }
  }
  return Value::Int(n);
}

// ---- sprintf ----

std::string GoFloat(double d, char verb, int prec) {
  char buf[512];
  std::string fmt = "%";
  if (prec >= 0) fmt += "." + std::to_string(prec);
  fmt += verb;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  std::snprintf(buf, sizeof buf, fmt.c_str(), d);
#pragma GCC diagnostic pop
  return buf;
}

// %v of an operand as Go prints OPA's converted value.
std::string VerbV(const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_number()) return NumberText(v);
  return ToRegoString(v);
}

std::string Pad(std::string s, int width, bool left, bool zero) {
  // Width counts runes.
  auto n = static_cast<int>(Runes(s).size());
  if (width <= n) return s;
  std::string pad(static_cast<std::size_t>(width - n), zero && !left ? '0' : ' ');
  if (left) return s + pad;
  if (zero && !s.empty() && (s[0] == '-' || s[0] == '+')) return s.substr(0, 1) + pad + s.substr(1);
  return pad + s;
}

std::string IntBase(const Value& v, int base, bool upper) {
  if (v.big_text() && base == 10) return *v.big_text();
  std::int64_t x = v.as_int();
  bool neg = x < 0;
  std::uint64_t u = neg ? static_cast<std::uint64_t>(-(x + 1)) + 1 : static_cast<std::uint64_t>(x);
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  do {
    out += digits[u % static_cast<std::uint64_t>(base)];
    u /= static_cast<std::uint64_t>(base);
  } while (u);
  if (neg) out += '-';
  std::reverse(out.begin(), out.end());
  return out;
}

Value Sprintf(const Args& a, BuiltinContext&) {
  const std::string& f = ArgString("sprintf", a, 0);
  if (!a[1].is_array()) ThrowOperandError("sprintf", 2, "array", a[1]);
  const Array& args = a[1].items();
  std::string out;
  std::size_t ai = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    ++i;
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    if (f[i] == '%') {
      out += '%';
      continue;
    }
    bool left = false, zero = false, plus = false, sharp = false, space = false;
    for (; i < f.size(); ++i) {
      if (f[i] == '-') left = true;
      else if (f[i] == '0') zero = true;
      else if (f[i] == '+') plus = true;
      else if (f[i] == '#') sharp = true;
      else if (f[i] == ' ') space = true;
      else break;
    }
    int width = -1, prec = -1;
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) width = (width < 0 ? 0 : width) * 10 + (f[i++] - '0');
    if (i < f.size() && f[i] == '.') {
      ++i;
      prec = 0;
      while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) prec = prec * 10 + (f[i++] - '0');
    }
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = f[i];
    if (ai >= args.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    const Value& v = args[ai++];
    std::string s;
    switch (verb) {
      case 'v': s = VerbV(v); break;
      case 's':
        s = VerbV(v);
        if (prec >= 0) s = Join(Runes(s), 0, static_cast<std::size_t>(prec));
        break;
      case 'q': s = v.is_string() ? ToRegoString(v) : "%!q(" + VerbV(v) + ")"; break;
      case 't': s = v.is_bool() ? (v.as_bool() ? "true" : "false") : "%!t(" + VerbV(v) + ")"; break;
      case 'd':
        if (v.is_int() || v.big_text()) {
          s = IntBase(v, 10, false);
          if (plus && s[0] != '-') s = "+" + s;
          else if (space && s[0] != '-') s = " " + s;
        } else if (v.is_number()) {
          s = "%!d(float64=" + NumberText(v) + ")";
        } else {
          s = "%!d(" + TypeName(v) + "=" + VerbV(v) + ")";
        }
        break;
      case 'x':
      case 'X':
      case 'o':
      case 'b':
        if (v.is_int()) {
          s = IntBase(v, verb == 'o' ? 8 : verb == 'b' ? 2 : 16, verb == 'X');
          if (sharp && verb != 'b') s = (verb == 'o' ? "0" : verb == 'X' ? "0X" : "0x") + s;
        } else if (v.is_string() && (verb == 'x' || verb == 'X')) {
          const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
          for (char ch : v.as_string()) {
            auto c = static_cast<unsigned char>(ch);
            s += digits[c >> 4];
            s += digits[c & 15];
          }
        } else if (v.is_number()) {
          s = GoFloat(v.as_double(), verb == 'X' ? 'A' : 'a', prec);
        } else {
          s = std::string("%!") + verb + "(" + VerbV(v) + ")";
        }
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (v.is_number()) {
          char cv = verb == 'F' ? 'f' : verb;
          if ((cv == 'g' || cv == 'G') && prec < 0) {
            s = NumberText(Value::Double(v.as_double()));
            if (v.is_int()) s = std::to_string(v.as_int());
          } else {
            s = GoFloat(v.as_double(), cv, prec < 0 ? 6 : prec);
          }
          if (plus && s[0] != '-') s = "+" + s;
        } else {
          s = std::string("%!") + verb + "(" + TypeName(v) + "=" + VerbV(v) + ")";
        }
        break;
      case 'T': s = TypeName(v); break;
      default: s = std::string("%!") + verb + "(" + VerbV(v) + ")";
    }
    out += width >= 0 ? Pad(s, width, left, zero && verb != 's' && verb != 'v') : s;
  }
  if (ai < args.size()) {
    out += "%!(EXTRA ";
    for (std::size_t k = ai; k < args.size(); ++k) {
      if (k > ai) out += ", ";
      out += TypeName(args[k]) + "=" + VerbV(args[k]);
    }
    out += ")";
  }
  return Value::String(out);
}

}  // namespace

void AddStringBuiltins(BuiltinRegistry& r) {
  r.Add("concat", 2, Concat);
  r.Add("contains", 2, Contains);
  r.Add("startswith", 2, StartsWith);
  r.Add("endswith", 2, EndsWith);
  r.Add("lower", 1, Lower);
  r.Add("upper", 1, Upper);
  r.Add("split", 2, Split);
  r.Add("replace", 3, Replace);
  r.Add("strings.replace_n", 2, ReplaceN);
  r.Add("strings.reverse", 1, Reverse);
  r.Add("indexof", 2, IndexOf);
  r.Add("indexof_n", 2, IndexOfN);
  r.Add("substring", 3, Substring);
  r.Add("trim", 2, Trim);
  r.Add("trim_left", 2, TrimLeft);
  r.Add("trim_right", 2, TrimRight);
  r.Add("trim_prefix", 2, TrimPrefix);
  r.Add("trim_suffix", 2, TrimSuffix);
  r.Add("trim_space", 1, TrimSpace);
  r.Add("format_int", 2, FormatInt);
  r.Add("strings.any_prefix_match", 2, AnyPrefix);
  r.Add("strings.any_suffix_match", 2, AnySuffix);
  r.Add("strings.count", 2, StringsCount);
  r.Add("sprintf", 2, Sprintf);
}

}  // namespace tollgate::rego
