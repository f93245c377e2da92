// Built-ins: units, semver, uuid, rand, rego.parse_module helpers.
#include <cmath>
#include <cstdlib>
#include <random>

#include <openssl/rand.h>

#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

// Splits "1.5Ki" into the number text and the unit; fails like OPA.
void SplitAmount(const char* fn, const char* what, const std::string& s, std::string* num, std::string* unit) {
  if (s.find(' ') != std::string::npos) ThrowBuiltinError(std::string(fn) + ": spaces not allowed in resource strings");
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  // An exponent (1e3K) belongs to the number when digits follow.
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E') && i + 1 < s.size() &&
      (std::isdigit(static_cast<unsigned char>(s[i + 1])) ||
       ((s[i + 1] == '+' || s[i + 1] == '-') && i + 2 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 2]))))) {
    i += 2;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  *num = s.substr(0, i);
  *unit = s.substr(i);
  if (num->empty() || *num == "-") ThrowBuiltinError(std::string(fn) + ": no " + what + " provided");
  std::size_t dots = 0;
  bool digit = false;
  for (char c : *num) {
    if (c == '.') ++dots;
    if (std::isdigit(static_cast<unsigned char>(c))) digit = true;
  }
  if (dots > 1 || !digit) ThrowBuiltinError(std::string(fn) + ": could not parse " + what + " to a number");
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// num * 10^dec * 2^bin as a Value (exact decimal shifting, correctly rounded).
Value Scale(const std::string& num, int dec, int bin, bool integer) {
  std::string mant = num;
  auto e = mant.find_first_of("eE");
  if (e != std::string::npos) {
    dec += std::atoi(mant.c_str() + e + 1);
    mant = mant.substr(0, e);
  }
  std::string text = mant + "e" + std::to_string(dec);
  double d = std::strtod(text.c_str(), nullptr);
  d = std::ldexp(d, bin);
  if (integer) d = std::trunc(d);
  return Value::Double(d);
}

std::string Unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

Value UnitsParse(const Args& a, BuiltinContext&) {
  const std::string s = Unquote(ArgString("units.parse", a, 0));
  std::string num, unit;
  SplitAmount("units.parse", "amount", s, &num, &unit);
  int dec = 0, bin = 0;
  if (unit == "m") {
    dec = -3;
  } else if (!unit.empty()) {
    std::string u = Lower(unit);
    if (u == "k") dec = 3;
    else if (u == "m") dec = 6;
    else if (u == "g") dec = 9;
    else if (u == "t") dec = 12;
    else if (u == "p") dec = 15;
    else if (u == "e") dec = 18;
    else if (u == "ki") bin = 10;
    else if (u == "mi") bin = 20;
    else if (u == "gi") bin = 30;
    else if (u == "ti") bin = 40;
    else if (u == "pi") bin = 50;
    else if (u == "ei") bin = 60;
    else ThrowBuiltinError("units.parse: unit not recognized: " + unit);
  }
  return Scale(num, dec, bin, false);
}

Value UnitsParseBytes(const Args& a, BuiltinContext&) {
  const std::string s = Unquote(ArgString("units.parse_bytes", a, 0));
  std::string num, unit;
  SplitAmount("units.parse_bytes", "byte amount", s, &num, &unit);
  std::string u = Lower(unit);
  int dec = 0, bin = 0;
  if (u.empty() || u == "b") {
  } else if (u == "k" || u == "kb") dec = 3;
  else if (u == "m" || u == "mb") dec = 6;
  else if (u == "g" || u == "gb") dec = 9;
  else if (u == "t" || u == "tb") dec = 12;
  else if (u == "p" || u == "pb") dec = 15;
  else if (u == "e" || u == "eb") dec = 18;
  else if (u == "ki" || u == "kib") bin = 10;
  else if (u == "mi" || u == "mib") bin = 20;
  else if (u == "gi" || u == "gib") bin = 30;
  else if (u == "ti" || u == "tib") bin = 40;
  else if (u == "pi" || u == "pib") bin = 50;
  else if (u == "ei" || u == "eib") bin = 60;
  else ThrowBuiltinError("units.parse_bytes: byte unit not recognized: " + unit);
  return Scale(num, dec, bin, true);
}

// ---- semver (semver.org 2.0.0) ----
struct Semver {
  std::int64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre;
};

bool ParseSemver(const std::string& s, Semver* v) {
  std::string core = s, pre;
  auto plus = core.find('+');
  if (plus != std::string::npos) {
    std::string build = core.substr(plus + 1);
    if (build.empty()) return false;
    for (char c : build)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
    core = core.substr(0, plus);
  }
  auto dash = core.find('-');
  if (dash != std::string::npos) {
    pre = core.substr(dash + 1);
    core = core.substr(0, dash);
    if (pre.empty()) return false;
  }
  std::int64_t parts[3];
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    auto dot = core.find('.', start);
    if ((i < 2) != (dot != std::string::npos)) return false;
    std::string p = core.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (p.empty() || p.size() > 18 || p.find_first_not_of("0123456789") != std::string::npos || (p.size() > 1 && p[0] == '0')) return false;
    parts[i] = std::stoll(p);
    start = dot + 1;
  }
  v->major = parts[0];
  v->minor = parts[1];
  v->patch = parts[2];
  if (!pre.empty()) {
    std::size_t s2 = 0;
    while (true) {
      auto dot = pre.find('.', s2);
      std::string id = pre.substr(s2, dot == std::string::npos ? std::string::npos : dot - s2);
      if (id.empty()) return false;
      for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
      if (id.size() > 1 && id[0] == '0' && id.find_first_not_of("0123456789") == std::string::npos) return false;
      v->pre.push_back(id);
      if (dot == std::string::npos) break;
      s2 = dot + 1;
    }
  }
  return true;
}

int CompareSemver(const Semver& a, const Semver& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.pre.empty() != b.pre.empty()) return a.pre.empty() ? 1 : -1;
  for (std::size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i) {
    const auto& x = a.pre[i];
    const auto& y = b.pre[i];
    bool xn = x.find_first_not_of("0123456789") == std::string::npos;
    bool yn = y.find_first_not_of("0123456789") == std::string::npos;
    if (xn && yn) {
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (x != y) return x < y ? -1 : 1;
    } else if (xn != yn) {
      return xn ? -1 : 1;
    } else if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  if (a.pre.size() != b.pre.size()) return a.pre.size() < b.pre.size() ? -1 : 1;
  return 0;
}

Value SemverIsValid(const Args& a, BuiltinContext&) {
  Semver v;
  return Value::Bool(a[0].is_string() && ParseSemver(a[0].as_string(), &v));
}
Value SemverCompare(const Args& a, BuiltinContext&) {
  Semver x, y;
  const std::string& s1 = ArgString("semver.compare", a, 0);
  const std::string& s2 = ArgString("semver.compare", a, 1);
  if (!ParseSemver(s1, &x)) ThrowBuiltinError("semver.compare: operand 1: string " + ToRegoString(a[0]) + " is not a valid SemVer");
  if (!ParseSemver(s2, &y)) ThrowBuiltinError("semver.compare: operand 2: string " + ToRegoString(a[1]) + " is not a valid SemVer");
  return Value::Int(CompareSemver(x, y));
}

// ---- uuid ----
Value UuidRfc4122(const Args& a, BuiltinContext& ctx) {
  const std::string& seed = ArgString("uuid.rfc4122", a, 0);
  // The same seed gives the same UUID within one query (OPA caches it).
  std::string key = "uuid.rfc4122:" + seed;
  if (ctx.cache) {
    auto it = ctx.cache->find(key);
    if (it != ctx.cache->end()) return it->second;
  }
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) ThrowBuiltinError("uuid.rfc4122: no randomness available");
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static const char* d = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += d[b[i] >> 4];
    out += d[b[i] & 15];
  }
  Value v = Value::String(out);
  if (ctx.cache) (*ctx.cache)[key] = v;
  return v;
}

Value UuidParse(const Args& a, BuiltinContext&) {
  std::string s = ArgString("uuid.parse", a, 0);
  if (s.rfind("urn:uuid:", 0) == 0) s = s.substr(9);
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  std::string hex;
  if (s.size() == 36) {
    if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return Value();
    for (std::size_t i = 0; i < s.size(); ++i)
      if (i != 8 && i != 13 && i != 18 && i != 23) hex += s[i];
  } else if (s.size() == 32) {
    hex = s;
  } else {
    return Value();
  }
  for (char c : hex)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return Value();
  auto byte = [&](std::size_t i) { return std::stoi(hex.substr(i * 2, 2), nullptr, 16); };
  int version = byte(6) >> 4;
  int var = byte(8);
  std::string variant = (var & 0x80) == 0 ? "Reserved, NCS backward compatibility."
                        : (var & 0xC0) == 0x80 ? "RFC4122"
                        : (var & 0xE0) == 0xC0 ? "Reserved, Microsoft Corporation backward compatibility."
                                               : "Reserved, future definition.";
  std::string canon = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20);
  ObjectItems o;
  o.emplace_back(Value::String("version"), Value::Int(version));
  o.emplace_back(Value::String("variant"), Value::String(variant));
  if (version == 1 || version == 2) {
    std::int64_t time_low = std::stoll(hex.substr(0, 8), nullptr, 16);
    std::int64_t time_mid = std::stoll(hex.substr(8, 4), nullptr, 16);
    std::int64_t time_hi = std::stoll(hex.substr(12, 4), nullptr, 16) & 0x0FFF;
    std::int64_t t = (time_hi << 48) | (time_mid << 32) | time_low;
    // 100ns intervals since 1582-10-15 to ns since the epoch.
    std::int64_t unix_ns = (t - 122192928000000000LL) * 100;
    o.emplace_back(Value::String("time"), Value::Int(unix_ns));
    std::int64_t clock_seq = ((byte(8) & 0x3F) << 8) | byte(9);
    o.emplace_back(Value::String("clocksequence"), Value::Int(clock_seq));
    std::string node;
    for (std::size_t i = 10; i < 16; ++i) {
      if (i > 10) node += '-';
      node += hex.substr(i * 2, 2);
    }
    o.emplace_back(Value::String("nodeid"), Value::String(node));
    std::string mac = std::string((byte(10) & 2) ? "local" : "global") + ":" + ((byte(10) & 1) ? "multicast" : "unicast");
    o.emplace_back(Value::String("macvariables"), Value::String(mac));
    if (version == 2) {
      o.emplace_back(Value::String("id"), Value::Int(time_low));
      o.emplace_back(Value::String("domain"), Value::String(byte(9) == 0 ? "Person" : byte(9) == 1 ? "Group" : "Org"));
    }
  }
  (void)canon;
  return Value::MakeObject(std::move(o));
}

Value RandIntn(const Args& a, BuiltinContext& ctx) {
  const std::string& key = ArgString("rand.intn", a, 0);
  std::int64_t n = ArgInt("rand.intn", a, 1);
  std::string ck = "rand.intn:" + key + ":" + std::to_string(n);
  if (ctx.cache) {
    auto it = ctx.cache->find(ck);
    if (it != ctx.cache->end()) return it->second;
  }
  if (n == 0) return Value::Int(0);
  std::random_device rd;
  std::uniform_int_distribution<std::int64_t> dist(0, std::llabs(n) - 1);
  Value v = Value::Int(dist(rd));
  if (ctx.cache) (*ctx.cache)[ck] = v;
  return v;
}

}  // namespace

void AddMiscBuiltins(BuiltinRegistry& r) {
  r.Add("units.parse", 1, UnitsParse);
  r.Add("units.parse_bytes", 1, UnitsParseBytes);
  r.Add("semver.is_valid", 1, SemverIsValid);
  r.Add("semver.compare", 2, SemverCompare);
  r.Add("uuid.rfc4122", 1, UuidRfc4122);
  r.Add("uuid.parse", 1, UuidParse);
  r.Add("rand.intn", 2, RandIntn);
}

}  // namespace tollgate::rego
