// Built-ins: encodings (base64, base64url, hex, urlquery, json, yaml).
#include <cstdio>
#include <map>
#include <string>

#include "core/canonical_json.h"
#include "core/utf8.h"
#include "rego/documents.h"
#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

const char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string B64Encode(const std::string& in, const char* alphabet, bool pad) {
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    unsigned v = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                 (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                 static_cast<unsigned>(static_cast<unsigned char>(in[i + 2]));
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
    i += 3;
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    unsigned v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    unsigned v = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                 (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

}  // namespace

// Decodes base64 (standard or URL alphabet); padding optional when
// `lenient`. Returns false on bad input.
bool B64Decode(const std::string& in, bool url, bool lenient, std::string* out) {
  out->clear();
  unsigned acc = 0;
  int bits = 0;
  std::size_t n = in.size();
  std::size_t pads = 0;
  while (n > 0 && in[n - 1] == '=') {
    --n;
    ++pads;
  }
  if (pads > 2) return false;
  if (!lenient && (in.size() % 4 != 0)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    char c = in[i];
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == (url ? '-' : '+')) v = 62;
    else if (c == (url ? '_' : '/')) v = 63;
    else if (c == '\n' || c == '\r') continue;
    else return false;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return false;
  if (pads > 0 && (n + pads) % 4 != 0) return false;
  return true;
}

std::string Base64UrlEncodeNoPad(const std::string& in) { return B64Encode(in, kUrl, false); }
std::string Base64Encode(const std::string& in) { return B64Encode(in, kStd, true); }

namespace {

Value B64Enc(const Args& a, BuiltinContext&) { return Value::String(B64Encode(ArgString("base64.encode", a, 0), kStd, true)); }
Value B64Dec(const Args& a, BuiltinContext&) {
  std::string out;
  if (!B64Decode(ArgString("base64.decode", a, 0), false, false, &out)) ThrowBuiltinError("base64.decode: illegal base64 data at input byte 0");
  return Value::String(out);
}
Value B64IsValid(const Args& a, BuiltinContext&) {
  std::string out;
  return Value::Bool(a[0].is_string() && B64Decode(a[0].as_string(), false, false, &out));
}
Value B64UrlEnc(const Args& a, BuiltinContext&) { return Value::String(B64Encode(ArgString("base64url.encode", a, 0), kUrl, true)); }
Value B64UrlEncNoPad(const Args& a, BuiltinContext&) {
  return Value::String(B64Encode(ArgString("base64url.encode_no_pad", a, 0), kUrl, false));
}
Value B64UrlDec(const Args& a, BuiltinContext&) {
  std::string out;
  if (!B64Decode(ArgString("base64url.decode", a, 0), true, true, &out)) ThrowBuiltinError("base64url.decode: illegal base64 data at input byte 0");
  return Value::String(out);
}
Value HexEnc(const Args& a, BuiltinContext&) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (char ch : ArgString("hex.encode", a, 0)) {
    auto c = static_cast<unsigned char>(ch);
    out += d[c >> 4];
    out += d[c & 15];
  }
  return Value::String(out);
}
Value HexDec(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("hex.decode", a, 0);
  auto hv = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    auto bad = [&](char c) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "invalid byte: U+%04X '%c'", static_cast<unsigned>(static_cast<unsigned char>(c)), c);
      ThrowBuiltinError(std::string("hex.decode: encoding/hex: ") + buf);
    };
    if (hv(s[i]) < 0) bad(s[i]);
    if (i + 1 >= s.size()) ThrowBuiltinError("hex.decode: encoding/hex: odd length hex string");
    if (hv(s[i + 1]) < 0) bad(s[i + 1]);
    out += static_cast<char>(hv(s[i]) * 16 + hv(s[i + 1]));
  }
  return Value::String(out);
}

std::string UrlEscape(const std::string& s) {
  static const char* d = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += d[c >> 4];
      out += d[c & 15];
    }
  }
  return out;
}
bool UrlUnescape(const std::string& s, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      *out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return false;
      *out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      *out += s[i];
    }
  }
  return true;
}
Value UrlEnc(const Args& a, BuiltinContext&) { return Value::String(UrlEscape(ArgString("urlquery.encode", a, 0))); }
Value UrlDec(const Args& a, BuiltinContext&) {
  std::string out;
  if (!UrlUnescape(ArgString("urlquery.decode", a, 0), &out)) ThrowBuiltinError("urlquery.decode: invalid URL escape");
  return Value::String(out);
}
Value UrlEncObject(const Args& a, BuiltinContext&) {
  ArgKind("urlquery.encode_object", a, 0, Kind::kObject);
  std::string out;
  for (const auto& [k, v] : a[0].object()) {
    if (!k.is_string()) ThrowOperandError("urlquery.encode_object", 1, "object[string: any<string, array[string], set[string]>]", a[0]);
    std::vector<std::string> vals;
    if (v.is_string()) vals.push_back(v.as_string());
    else if (v.is_array() || v.is_set())
      for (const auto& e : v.items()) {
        if (!e.is_string()) ThrowOperandError("urlquery.encode_object", 1, "object[string: any<string, array[string], set[string]>]", a[0]);
        vals.push_back(e.as_string());
      }
    else ThrowOperandError("urlquery.encode_object", 1, "object[string: any<string, array[string], set[string]>]", a[0]);
    for (const auto& x : vals) {
      if (!out.empty()) out += '&';
      out += UrlEscape(k.as_string()) + "=" + UrlEscape(x);
    }
  }
  return Value::String(out);
}
Value UrlDecObject(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("urlquery.decode_object", a, 0);
  std::map<std::string, Array> m;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto amp = s.find('&', start);
    std::string part = s.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string k, v;
      if (!UrlUnescape(part.substr(0, eq), &k) || !UrlUnescape(eq == std::string::npos ? "" : part.substr(eq + 1), &v))
        ThrowBuiltinError("urlquery.decode_object: invalid URL escape");
      m[k].push_back(Value::String(v));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  ObjectItems items;
  for (auto& [k, v] : m) items.emplace_back(Value::String(k), Value::MakeArray(std::move(v)));
  return Value::MakeObject(std::move(items));
}

Value JsonMarshal(const Args& a, BuiltinContext&) { return Value::String(ToJsonText(a[0])); }

void AppendIndented(std::string& out, const Value& v, const std::string& prefix, const std::string& indent, int depth) {
  auto nl = [&](int d) {
    out += "\n" + prefix;
    for (int i = 0; i < d; ++i) out += indent;
  };
  if (v.is_array() || v.is_set()) {
    if (v.items().empty()) {
      out += "[]";
      return;
    }
    out += "[";
    bool first = true;
    for (const auto& e : v.items()) {
      if (!first) out += ",";
      first = false;
      nl(depth + 1);
      AppendIndented(out, e, prefix, indent, depth + 1);
    }
    nl(depth);
    out += "]";
  } else if (v.is_object()) {
    if (v.object().empty()) {
      out += "{}";
      return;
    }
    out += "{";
    bool first = true;
    for (const auto& [k, e] : v.object()) {
      if (!first) out += ",";
      first = false;
      nl(depth + 1);
      out += ToJsonText(k.is_string() ? k : Value::String(ToJsonText(k))) + ": ";
      AppendIndented(out, e, prefix, indent, depth + 1);
    }
    nl(depth);
    out += "}";
  } else {
    out += ToJsonText(v);
  }
}

Value JsonMarshalOpts(const Args& a, BuiltinContext&) {
  ArgKind("json.marshal_with_options", a, 1, Kind::kObject);
  std::string prefix, indent = "\t";
  bool pretty = false;
  for (const auto& [k, v] : a[1].object()) {
    std::string key = k.is_string() ? k.as_string() : "";
    if (key == "pretty") {
      if (!v.is_bool()) ThrowOperandError("json.marshal_with_options", 2, "object with boolean pretty", v);
      pretty = v.as_bool();
    } else if (key == "prefix") {
      if (!v.is_string()) ThrowOperandError("json.marshal_with_options", 2, "object with string prefix", v);
      prefix = v.as_string();
      pretty = true;
    } else if (key == "indent") {
      if (!v.is_string()) ThrowOperandError("json.marshal_with_options", 2, "object with string indent", v);
      indent = v.as_string();
      pretty = true;
    } else {
      ThrowTypeError("json.marshal_with_options: object contained unknown key \"" + key + "\"");
    }
  }
  bool explicit_pretty = a[1].Get("pretty") != nullptr;
  if (explicit_pretty && !a[1].Get("pretty")->as_bool()) pretty = false;
  if (!pretty) return Value::String(ToJsonText(a[0]));
  std::string out = prefix;
  AppendIndented(out, a[0], prefix, indent, 0);
  return Value::String(out);
}
Value JsonUnmarshal(const Args& a, BuiltinContext&) {
  auto v = ParseJsonValue(ArgString("json.unmarshal", a, 0), "json.unmarshal");
  if (!v) ThrowBuiltinError("json.unmarshal: " + v.error().message());
  return *v;
}
Value JsonIsValid(const Args& a, BuiltinContext&) {
  if (!a[0].is_string()) return Value::Bool(false);
  return Value::Bool(ParseJsonValue(a[0].as_string(), "json").has_value());
}
Value YamlMarshal(const Args& a, BuiltinContext&) { return Value::String(ToYamlText(a[0])); }
// yaml.unmarshal reads the first document of the string (every document is
// checked: duplicate keys, alias bombs and deep nesting are errors). What the
// document takes once decoded is checked against the evaluation's memory
// budget before any of it is made.
Value YamlUnmarshal(const Args& a, BuiltinContext& ctx) {
  const std::string& text = ArgString("yaml.unmarshal", a, 0);
  if (!IsValidUtf8(text)) ThrowBuiltinError("yaml.unmarshal: not valid UTF-8");
  auto docs = yaml::ParseStream(text, "");
  if (!docs) ThrowBuiltinError("yaml.unmarshal: " + docs.error().message());
  if (docs->empty()) return Value::Null();
  const yaml::Document& d = docs->front();
  if (DecodedBytes(d) > ctx.MemoryLeft())
    ThrowMemoryBudget(ctx.max_memory, "yaml.unmarshal would decode about " + std::to_string(DecodedBytes(d)) + " bytes");
  auto v = YamlDocumentValue(d, "");
  if (!v) ThrowBuiltinError("yaml.unmarshal: " + v.error().message());
  return *v;
}
Value YamlIsValid(const Args& a, BuiltinContext&) {
  if (!a[0].is_string()) return Value::Bool(false);
  return Value::Bool(IsValidUtf8(a[0].as_string()) && yaml::ParseStream(a[0].as_string(), "").has_value());
}

}  // namespace

void ThrowMemoryBudget(std::uint64_t max_memory, const std::string& what) {
  throw EvalError{"eval_budget_error",
                  "evaluation exceeded the memory budget of " + std::to_string(max_memory) + " bytes" +
                      (what.empty() ? "" : " (" + what + ")"),
                  {},
                  true};
}

void AddEncodingBuiltins(BuiltinRegistry& r) {
  r.Add("base64.encode", 1, B64Enc);
  r.Add("base64.decode", 1, B64Dec);
  r.Add("base64.is_valid", 1, B64IsValid);
  r.Add("base64url.encode", 1, B64UrlEnc);
  r.Add("base64url.encode_no_pad", 1, B64UrlEncNoPad);
  r.Add("base64url.decode", 1, B64UrlDec);
  r.Add("hex.encode", 1, HexEnc);
  r.Add("hex.decode", 1, HexDec);
  r.Add("urlquery.encode", 1, UrlEnc);
  r.Add("urlquery.decode", 1, UrlDec);
  r.Add("urlquery.encode_object", 1, UrlEncObject);
  r.Add("urlquery.decode_object", 1, UrlDecObject);
  r.Add("json.marshal", 1, JsonMarshal);
  r.Add("json.marshal_with_options", 2, JsonMarshalOpts);
  r.Add("json.unmarshal", 1, JsonUnmarshal);
  r.Add("json.is_valid", 1, JsonIsValid);
  r.Add("yaml.marshal", 1, YamlMarshal);
  r.Add("yaml.unmarshal", 1, YamlUnmarshal);
  r.Add("yaml.is_valid", 1, YamlIsValid);
}

}  // namespace tollgate::rego
