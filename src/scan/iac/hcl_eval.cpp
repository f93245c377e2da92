// Static evaluation of HCL expressions: literals, operators, conditionals,
// templates, for expressions, splats, var/local lookups and a set of pure
// functions. Anything depending on an unknown stays unknown; nothing is
// guessed (an expression Terraform would reject is unknown too).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "scan/iac/hcl_ast.h"

namespace tollgate::iac::hcl {
namespace {

constexpr const char* kSplatSymbol = "\x01splat";

std::string_view SourceOf(const Expr& e, std::string_view source) {
  if (e.pos.byte >= source.size() || e.end <= e.pos.byte) return {};
  std::string_view t = source.substr(e.pos.byte, std::min(e.end, source.size()) - e.pos.byte);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  return t;
}

// Whether a value (or anything inside it) is unknown.
bool HasUnknown(const Json& v) {
  if (IsUnknown(v)) return true;
  if (v.is_array() || v.is_object())
    for (const auto& e : v)
      if (HasUnknown(e)) return true;
  return false;
}

Json Number(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
  return d;
}

// A primitive as a template/string conversion sees it; false when it has none.
bool ToStr(const Json& v, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
  } else if (v.is_boolean()) {
    *out = v.get<bool>() ? "true" : "false";
  } else if (v.is_number_integer() || v.is_number_unsigned()) {
    *out = v.dump();
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", d);
    *out = buf;
  } else {
    return false;
  }
  return true;
}

bool ToNum(const Json& v, double* out) {
  if (v.is_number()) {
    *out = v.get<double>();
    return true;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty()) return false;
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return end && *end == '\0';
  }
  return false;
}

class Evaluator {
 public:
  Evaluator(const Scope& scope, std::string_view source) : scope_(scope), src_(source) {}

  Json Eval(const Expr& e, std::map<std::string, Json>& sym) {
    Json v = EvalInner(e, sym);
    return v;
  }

 private:
  Json Unk(const Expr& e) const { return Unknown(SourceOf(e, src_)); }

  const Json* Symbol(const std::string& name, const std::map<std::string, Json>& sym) const {
    if (auto it = sym.find(name); it != sym.end()) return &it->second;
    if (auto it = scope_.symbols.find(name); it != scope_.symbols.end()) return &it->second;
    return nullptr;
  }

  Json EvalInner(const Expr& e, std::map<std::string, Json>& sym) {
    switch (e.kind) {
      case ExprKind::kLiteral: return e.value;
      case ExprKind::kParens: return EvalOr(*e.kids[0], sym, e);
      case ExprKind::kTemplate: return Template(e, sym);
      case ExprKind::kTemplateIf:
      case ExprKind::kTemplateFor: return Unk(e);  // only inside templates
      case ExprKind::kTuple: {
        Json out = Json::array();
        for (const auto& k : e.kids) out.push_back(Eval(*k, sym));
        return out;
      }
      case ExprKind::kObject: {
        Json out = Json::object();
        for (std::size_t i = 0; i + 1 < e.kids.size(); i += 2) {
          Json key = Eval(*e.kids[i], sym);
          std::string ks;
          if (IsUnknown(key) || !ToStr(key, &ks)) return Unk(e);
          out[ks] = Eval(*e.kids[i + 1], sym);
        }
        return out;
      }
      case ExprKind::kVariable: {
        if (const Json* v = Symbol(e.name, sym)) return *v;
        return Unk(e);
      }
      case ExprKind::kSplatItem: {
        if (const Json* v = Symbol(kSplatSymbol, sym)) return *v;
        return Unk(e);
      }
      case ExprKind::kGetAttr: {
        const Expr& src = *e.kids[0];
        if (src.kind == ExprKind::kVariable && !Symbol(src.name, sym)) {
          const Json* v = scope_.lookup ? scope_.lookup(src.name, e.name) : nullptr;
          if (!v || IsUnknown(*v)) return Unk(e);
          return *v;
        }
        Json base = Eval(src, sym);
        if (!base.is_object() || IsUnknown(base)) return Unk(e);
        auto it = base.find(e.name);
        if (it == base.end()) return Unk(e);
        return *it;
      }
      case ExprKind::kIndex: {
        Json base = Eval(*e.kids[0], sym);
        Json key = Eval(*e.kids[1], sym);
        if (IsUnknown(base) || IsUnknown(key)) return Unk(e);
        if (base.is_array()) {
          double d = 0;
          if (!ToNum(key, &d) || d < 0 || d != std::floor(d) || d >= static_cast<double>(base.size())) return Unk(e);
          return base[static_cast<std::size_t>(d)];
        }
        std::string ks;
        if (base.is_object() && ToStr(key, &ks)) {
          auto it = base.find(ks);
          return it == base.end() ? Unk(e) : *it;
        }
        return Unk(e);
      }
      case ExprKind::kSplat: {
        Json base = Eval(*e.kids[0], sym);
        if (IsUnknown(base)) return Unk(e);
        if (base.is_null()) return Json::array();
        if (!base.is_array()) base = Json::array({base});
        Json out = Json::array();
        for (const auto& item : base) {
          sym[kSplatSymbol] = item;
          out.push_back(Eval(*e.kids[1], sym));
        }
        sym.erase(kSplatSymbol);
        return out;
      }
      case ExprKind::kCall: return Call(e, sym);
      case ExprKind::kUnary: {
        Json v = Eval(*e.kids[0], sym);
        if (IsUnknown(v)) return Unk(e);
        if (e.name == "!") return v.is_boolean() ? Json(!v.get<bool>()) : Unk(e);
        double d = 0;
        return ToNum(v, &d) ? Number(-d) : Unk(e);
      }
      case ExprKind::kBinary: return Binary(e, sym);
      case ExprKind::kConditional: {
        Json c = Eval(*e.kids[0], sym);
        if (!c.is_boolean()) {
          if (c.is_string() && (c == "true" || c == "false")) c = c == "true";
          else return Unk(e);
        }
        return EvalOr(*e.kids[c.get<bool>() ? 1 : 2], sym, e);
      }
      case ExprKind::kFor: return For(e, sym);
    }
    return Unk(e);
  }

  // The value of `inner`, or the unknown marker of `outer` when it is unknown.
  Json EvalOr(const Expr& inner, std::map<std::string, Json>& sym, const Expr& outer) {
    Json v = Eval(inner, sym);
    return IsUnknown(v) ? Unk(outer) : v;
  }

  Json Binary(const Expr& e, std::map<std::string, Json>& sym) {
    Json a = Eval(*e.kids[0], sym);
    Json b = Eval(*e.kids[1], sym);
    if (HasUnknown(a) || HasUnknown(b)) return Unk(e);
    const std::string& op = e.name;
    if (op == "==" || op == "!=") {
      bool eq = a == b;
      return op == "==" ? eq : !eq;
    }
    if (op == "&&" || op == "||") {
      if (!a.is_boolean() || !b.is_boolean()) return Unk(e);
      return op == "&&" ? (a.get<bool>() && b.get<bool>()) : (a.get<bool>() || b.get<bool>());
    }
    double x = 0, y = 0;
    if (!ToNum(a, &x) || !ToNum(b, &y)) return Unk(e);
    if (op == "<") return x < y;
    if (op == "<=") return x <= y;
    if (op == ">") return x > y;
    if (op == ">=") return x >= y;
    if (op == "+") return Number(x + y);
    if (op == "-") return Number(x - y);
    if (op == "*") return Number(x * y);
    if (op == "/") return y == 0 ? Unk(e) : Number(x / y);
    if (op == "%") return y == 0 ? Unk(e) : Number(std::fmod(x, y));
    return Unk(e);
  }

  // Appends the template's parts to `out`; false when a part is unknown or
  // cannot be a string.
  bool TemplateParts(const Expr& t, std::map<std::string, Json>& sym, std::string& out) {
    for (const auto& k : t.kids) {
      if (k->kind == ExprKind::kTemplateIf) {
        Json c = Eval(*k->kids[0], sym);
        if (!c.is_boolean()) return false;
        const Expr* branch = c.get<bool>() ? k->kids[1].get() : k->kids[2].get();
        if (branch && !TemplateParts(*branch, sym, out)) return false;
      } else if (k->kind == ExprKind::kTemplateFor) {
        Json coll = Eval(*k->kids[0], sym);
        if (HasUnknown(coll) || !(coll.is_array() || coll.is_object())) return false;
        std::size_t idx = 0;
        for (auto it = coll.begin(); it != coll.end(); ++it, ++idx) {
          if (!k->key_var.empty()) sym[k->key_var] = coll.is_array() ? Json(idx) : Json(it.key());
          sym[k->value_var] = *it;
          bool ok = TemplateParts(*k->kids[1], sym, out);
          sym.erase(k->key_var);
          sym.erase(k->value_var);
          if (!ok) return false;
        }
      } else {
        Json v = Eval(*k, sym);
        std::string s;
        if (IsUnknown(v) || !ToStr(v, &s)) return false;
        out += s;
      }
    }
    return true;
  }

  Json Template(const Expr& e, std::map<std::string, Json>& sym) {
    // "${x}" alone is x itself, whatever its type
    if (e.kids.size() == 1 && e.kids[0]->kind != ExprKind::kLiteral && e.kids[0]->kind != ExprKind::kTemplateIf &&
        e.kids[0]->kind != ExprKind::kTemplateFor)
      return EvalOr(*e.kids[0], sym, e);
    std::string out;
    if (!TemplateParts(e, sym, out)) return Unk(e);
    return out;
  }

  Json For(const Expr& e, std::map<std::string, Json>& sym) {
    Json coll = Eval(*e.kids[0], sym);
    if (IsUnknown(coll) || !(coll.is_array() || coll.is_object())) return Unk(e);
    Json out = e.object_for ? Json::object() : Json::array();
    std::size_t idx = 0;
    bool bad = false;
    for (auto it = coll.begin(); it != coll.end() && !bad; ++it, ++idx) {
      std::map<std::string, Json> inner = sym;
      if (!e.key_var.empty()) inner[e.key_var] = coll.is_array() ? Json(idx) : Json(it.key());
      inner[e.value_var] = *it;
      if (e.kids[3]) {
        Json c = Eval(*e.kids[3], inner);
        if (!c.is_boolean()) return Unk(e);
        if (!c.get<bool>()) continue;
      }
      Json v = Eval(*e.kids[2], inner);
      if (!e.object_for) {
        out.push_back(std::move(v));
        continue;
      }
      Json k = Eval(*e.kids[1], inner);
      std::string ks;
      if (IsUnknown(k) || !ToStr(k, &ks)) return Unk(e);
      if (e.grouping) {
        if (!out.contains(ks)) out[ks] = Json::array();
        out[ks].push_back(std::move(v));
      } else {
        if (out.contains(ks)) return Unk(e);  // duplicate key: Terraform rejects it
        out[ks] = std::move(v);
      }
    }
    return out;
  }

  Json Call(const Expr& e, std::map<std::string, Json>& sym) {
    std::vector<Json> args;
    for (const auto& k : e.kids) args.push_back(Eval(*k, sym));
    if (e.expand_final) {
      if (args.empty() || !args.back().is_array()) return Unk(e);
      Json last = args.back();
      args.pop_back();
      for (auto& v : last) args.push_back(v);
    }
    std::string name = e.name;
    if (name.rfind("core::", 0) == 0) name = name.substr(6);
    // try/can: the first argument that is known; nothing else is certain
    if (name == "try") {
      for (const auto& a : args)
        if (!HasUnknown(a)) return a;
      return Unk(e);
    }
    if (name == "coalesce") {
      for (const auto& a : args) {
        if (IsUnknown(a)) return Unk(e);  // an unknown could be the first non-empty one
        if (!a.is_null() && a != "") return a;
      }
      return Unk(e);
    }
    for (const auto& a : args)
      if (HasUnknown(a)) return Unk(e);
    Json r;
    if (!Builtin(name, args, &r)) return Unk(e);
    return r;
  }

  static bool Str1(const std::vector<Json>& a, std::string* s) { return a.size() == 1 && ToStr(a[0], s); }

  static bool Builtin(const std::string& f, std::vector<Json>& a, Json* r) {
    std::string s;
    if (f == "lower" || f == "upper") {
      if (!Str1(a, &s)) return false;
      for (auto& c : s) c = static_cast<char>(f == "lower" ? std::tolower(static_cast<unsigned char>(c)) : std::toupper(static_cast<unsigned char>(c)));
      *r = s;
      return true;
    }
    if (f == "trimspace") {
      if (!Str1(a, &s)) return false;
      auto b = s.find_first_not_of(" \t\r\n");
      auto en = s.find_last_not_of(" \t\r\n");
      *r = b == std::string::npos ? std::string() : s.substr(b, en - b + 1);
      return true;
    }
    if (f == "tostring") {
      if (a.size() != 1) return false;
      if (a[0].is_null()) {
        *r = nullptr;
        return true;
      }
      if (!ToStr(a[0], &s)) return false;
      *r = s;
      return true;
    }
    if (f == "tonumber") {
      double d = 0;
      if (a.size() != 1) return false;
      if (a[0].is_null()) {
        *r = nullptr;
        return true;
      }
      if (!ToNum(a[0], &d)) return false;
      *r = Number(d);
      return true;
    }
    if (f == "tobool") {
      if (a.size() != 1) return false;
      if (a[0].is_boolean() || a[0].is_null()) *r = a[0];
      else if (a[0] == "true" || a[0] == "false") *r = a[0] == "true";
      else return false;
      return true;
    }
    if (f == "tolist" || f == "tomap") {
      if (a.size() != 1 || !(f == "tolist" ? a[0].is_array() : a[0].is_object())) return false;
      *r = a[0];
      return true;
    }
    if (f == "toset" || f == "distinct") {
      if (a.size() != 1 || !a[0].is_array()) return false;
      Json out = Json::array();
      for (const auto& v : a[0])
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
      if (f == "toset") std::sort(out.begin(), out.end());
      *r = out;
      return true;
    }
    if (f == "length") {
      if (a.size() != 1) return false;
      if (a[0].is_string()) {
        std::size_t n = 0;
        for (char c : a[0].get_ref<const std::string&>())
          if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
        *r = n;
      } else if (a[0].is_array() || a[0].is_object()) {
        *r = a[0].size();
      } else {
        return false;
      }
      return true;
    }
    if (f == "join") {
      if (a.size() < 2 || !ToStr(a[0], &s)) return false;
      std::string out;
      bool first = true;
      for (std::size_t i = 1; i < a.size(); ++i) {
        if (!a[i].is_array()) return false;
        for (const auto& v : a[i]) {
          std::string p;
          if (!ToStr(v, &p)) return false;
          if (!first) out += s;
          out += p;
          first = false;
        }
      }
      *r = out;
      return true;
    }
    if (f == "split") {
      std::string str;
      if (a.size() != 2 || !ToStr(a[0], &s) || !ToStr(a[1], &str) || s.empty()) return false;
      Json out = Json::array();
      std::size_t at = 0;
      while (true) {
        auto n = str.find(s, at);
        out.push_back(str.substr(at, n == std::string::npos ? std::string::npos : n - at));
        if (n == std::string::npos) break;
        at = n + s.size();
      }
      *r = out;
      return true;
    }
    if (f == "concat") {
      Json out = Json::array();
      for (const auto& v : a) {
        if (!v.is_array()) return false;
        out.insert(out.end(), v.begin(), v.end());
      }
      *r = out;
      return true;
    }
    if (f == "merge") {
      Json out = Json::object();
      for (const auto& v : a) {
        if (v.is_null()) continue;
        if (!v.is_object()) return false;
        for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = it.value();
      }
      *r = out;
      return true;
    }
    if (f == "lookup") {
      if (a.size() < 2 || a.size() > 3 || !a[0].is_object() || !ToStr(a[1], &s)) return false;
      auto it = a[0].find(s);
      if (it != a[0].end()) *r = *it;
      else if (a.size() == 3) *r = a[2];
      else return false;
      return true;
    }
    if (f == "contains") {
      if (a.size() != 2 || !a[0].is_array()) return false;
      *r = std::find(a[0].begin(), a[0].end(), a[1]) != a[0].end();
      return true;
    }
    if (f == "keys" || f == "values") {
      if (a.size() != 1 || !a[0].is_object()) return false;
      Json out = Json::array();
      for (auto it = a[0].begin(); it != a[0].end(); ++it) out.push_back(f == "keys" ? Json(it.key()) : it.value());
      *r = out;
      return true;
    }
    if (f == "element") {
      double d = 0;
      if (a.size() != 2 || !a[0].is_array() || a[0].empty() || !ToNum(a[1], &d) || d < 0) return false;
      *r = a[0][static_cast<std::size_t>(d) % a[0].size()];
      return true;
    }
    if (f == "flatten") {
      if (a.size() != 1 || !a[0].is_array()) return false;
      Json out = Json::array();
      Flatten(a[0], out, 0);
      *r = out;
      return true;
    }
    if (f == "compact") {
      if (a.size() != 1 || !a[0].is_array()) return false;
      Json out = Json::array();
      for (const auto& v : a[0])
        if (!v.is_null() && v != "") out.push_back(v);
      *r = out;
      return true;
    }
    if (f == "zipmap") {
      if (a.size() != 2 || !a[0].is_array() || !a[1].is_array() || a[0].size() != a[1].size()) return false;
      Json out = Json::object();
      for (std::size_t i = 0; i < a[0].size(); ++i) {
        if (!ToStr(a[0][i], &s)) return false;
        out[s] = a[1][i];
      }
      *r = out;
      return true;
    }
    if (f == "coalescelist") {
      for (const auto& v : a) {
        if (!v.is_array()) return false;
        if (!v.empty()) {
          *r = v;
          return true;
        }
      }
      return false;
    }
    if (f == "min" || f == "max" || f == "abs" || f == "ceil" || f == "floor") {
      if (a.empty()) return false;
      std::vector<double> n;
      for (const auto& v : a) {
        double d = 0;
        if (!ToNum(v, &d)) return false;
        n.push_back(d);
      }
      if (f == "min") *r = Number(*std::min_element(n.begin(), n.end()));
      else if (f == "max") *r = Number(*std::max_element(n.begin(), n.end()));
      else if (n.size() != 1) return false;
      else *r = Number(f == "abs" ? std::fabs(n[0]) : f == "ceil" ? std::ceil(n[0]) : std::floor(n[0]));
      return true;
    }
    if (f == "startswith" || f == "endswith") {
      std::string p;
      if (a.size() != 2 || !ToStr(a[0], &s) || !ToStr(a[1], &p)) return false;
      *r = f == "startswith" ? s.rfind(p, 0) == 0 : (s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0);
      return true;
    }
    if (f == "replace") {
      std::string from, to;
      if (a.size() != 3 || !ToStr(a[0], &s) || !ToStr(a[1], &from) || !ToStr(a[2], &to) || from.empty()) return false;
      if (from.size() >= 2 && from.front() == '/' && from.back() == '/') return false;  // a regex: not evaluated
      std::string out;
      std::size_t at = 0;
      for (auto n = s.find(from); n != std::string::npos; n = s.find(from, at)) {
        out += s.substr(at, n - at) + to;
        at = n + from.size();
      }
      *r = out + s.substr(at);
      return true;
    }
    if (f == "jsonencode") {
      if (a.size() != 1) return false;
      *r = a[0].dump();
      return true;
    }
    if (f == "jsondecode") {
      if (!Str1(a, &s)) return false;
      Json j = Json::parse(s, nullptr, false);
      if (j.is_discarded()) return false;
      *r = j;
      return true;
    }
    if (f == "format") return Format(a, r);
    return false;
  }

  static void Flatten(const Json& v, Json& out, std::size_t depth) {
    for (const auto& e : v) {
      if (e.is_array() && depth < kMaxNesting) Flatten(e, out, depth + 1);
      else out.push_back(e);
    }
  }

  // format() with the verbs %s %d %v %q %% (and %f/%t); others are not evaluated.
  static bool Format(const std::vector<Json>& a, Json* r) {
    std::string spec;
    if (a.empty() || !ToStr(a[0], &spec)) return false;
    std::string out;
    std::size_t next = 1;
    for (std::size_t i = 0; i < spec.size(); ++i) {
      if (spec[i] != '%') {
        out += spec[i];
        continue;
      }
      if (++i >= spec.size()) return false;
      char verb = spec[i];
      if (verb == '%') {
        out += '%';
        continue;
      }
      if (next >= a.size()) return false;
      const Json& v = a[next++];
      std::string s;
      switch (verb) {
        case 's':
        case 'v':
          if (!ToStr(v, &s)) return false;
          out += s;
          break;
        case 'd': {
          double d = 0;
          if (!ToNum(v, &d) || d != std::floor(d)) return false;
          out += Json(static_cast<std::int64_t>(d)).dump();
          break;
        }
        case 'q':
          if (!ToStr(v, &s)) return false;
          out += Json(s).dump();
          break;
        case 't':
          if (!v.is_boolean()) return false;
          out += v.get<bool>() ? "true" : "false";
          break;
        default: return false;
      }
    }
    if (next != a.size()) return false;
    *r = out;
    return true;
  }

  const Scope& scope_;
  std::string_view src_;
};

}  // namespace

bool IsUnknown(const Json& v) {
  if (!v.is_object()) return false;
  auto it = v.find("unknown");
  return it != v.end() && it->is_boolean() && it->get<bool>() && v.size() <= 2 && (v.size() == 1 || v.contains("expr"));
}

Json Unknown(std::string_view source) { return Json{{"unknown", true}, {"expr", std::string(source)}}; }

Json Evaluate(const Expr& e, const Scope& scope, std::string_view source) {
  Evaluator ev(scope, source);
  std::map<std::string, Json> sym;
  return ev.Eval(e, sym);
}

namespace {

// A `dynamic "L" { for_each = ..., iterator = I, content { ... } }` block
// gets `label` and, when for_each is known, `expanded`: the content body
// evaluated once per element with I (default L) = {key, value}.
void ExpandDynamic(const Block& blk, const Scope& scope, std::string_view source, Json& out) {
  if (blk.labels.size() != 1) return;
  out["label"] = blk.labels[0];
  std::string iter = blk.labels[0];
  const Expr* for_each = nullptr;
  for (const auto& a : blk.body.attributes) {
    if (a.name == "for_each") for_each = a.expr.get();
    if (a.name == "iterator" && a.expr->kind == ExprKind::kVariable) iter = a.expr->name;
  }
  const Block* content = nullptr;
  for (const auto& c : blk.body.blocks)
    if (c.type == "content") content = &c;
  if (!for_each || !content) return;
  Json coll = Evaluate(*for_each, scope, source);
  if (IsUnknown(coll) || !(coll.is_array() || coll.is_object())) return;
  Json expanded = Json::array();
  for (auto it = coll.begin(); it != coll.end(); ++it) {
    Scope inner = scope;
    // over a sequence the key is the index for a list but the element for a
    // set, which we cannot tell apart: unknown
    inner.symbols[iter] = Json{{"key", coll.is_array() ? Unknown(iter + ".key") : Json(it.key())}, {"value", *it}};
    expanded.push_back(BodyToJson(content->body, inner, source));
  }
  out["expanded"] = std::move(expanded);
}

}  // namespace

Json BodyToJson(const Body& b, const Scope& scope, std::string_view source) {
  Json out = Json::object();
  for (const auto& a : b.attributes) out[a.name] = Evaluate(*a.expr, scope, source);
  for (const auto& blk : b.blocks) {
    if (!out.contains(blk.type)) out[blk.type] = Json::array();
    Json body = BodyToJson(blk.body, scope, source);
    if (blk.type == "dynamic") ExpandDynamic(blk, scope, source, body);
    out[blk.type].push_back(std::move(body));
  }
  // Each dynamic block also joins the blocks it generates, as Terraform
  // builds them: its expansion is appended to `values.<label>`; when its
  // for_each is unknown, an unknown marker is, so that no check takes the
  // block for absent.
  if (auto it = out.find("dynamic"); it != out.end() && it->is_array()) {
    for (const auto& d : *it) {
      if (!d.contains("label") || !d["label"].is_string()) continue;
      const std::string label = d["label"].get<std::string>();
      if (label == "dynamic") continue;
      Json& list = out[label];
      if (list.is_null()) list = Json::array();
      if (!list.is_array()) continue;  // an attribute of that name that is unknown: left as it is
      if (d.contains("expanded")) {
        for (const auto& e : d["expanded"]) list.push_back(e);
      } else {
        list.push_back(Unknown("dynamic \"" + label + "\""));
      }
    }
  }
  return out;
}

}  // namespace tollgate::iac::hcl
