// Built-in: strings.render_template — a subset of Go's text/template:
// text and {{actions}} with {{- / -}} trimming and {{/* comments */}};
// fields (.a.b), variables ($x, $x.a), literals (strings, raw strings,
// numbers, true/false/nil); pipelines with |; declarations ($x := ...,
// range $i, $v := ...); if / else if / else, range (arrays, objects,
// integers in order) / else, with / else; the functions and, or, not, len,
// index, eq, ne, lt, le, gt, ge, print. A missing key renders <undefined>.
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

struct TemplateError {
  std::string message;
};

[[noreturn]] void Bad(const std::string& m) { throw TemplateError{m}; }

// ---- lexing of one action's inside ----
struct Tok {
  enum Kind { kField, kVar, kString, kNumber, kIdent, kPipe, kDeclare, kAssign, kComma, kOpen, kClose } kind;
  std::string text;
};

std::vector<Tok> LexAction(const std::string& s) {
  std::vector<Tok> out;
  std::size_t i = 0;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '|') {
      out.push_back({Tok::kPipe, "|"});
      ++i;
    } else if (c == ',') {
      out.push_back({Tok::kComma, ","});
      ++i;
    } else if (c == '(' || c == ')') {
      out.push_back({c == '(' ? Tok::kOpen : Tok::kClose, std::string(1, c)});
      ++i;
    } else if (c == ':' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Tok::kDeclare, ":="});
      i += 2;
    } else if (c == '=') {
      out.push_back({Tok::kAssign, "="});
      ++i;
    } else if (c == '.' || c == '$') {
      std::size_t start = i++;
      while (i < s.size() && (ident_char(s[i]) || s[i] == '.')) ++i;
      out.push_back({c == '.' ? Tok::kField : Tok::kVar, s.substr(start, i - start)});
    } else if (c == '"' || c == '`') {
      std::string v;
      ++i;
      while (i < s.size() && s[i] != c) {
        if (c == '"' && s[i] == '\\' && i + 1 < s.size()) {
          char e = s[++i];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          v += s[i];
        }
        ++i;
      }
      if (i >= s.size()) Bad("unterminated quoted string");
      ++i;
      out.push_back({Tok::kString, v});
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
      std::size_t start = i++;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({Tok::kNumber, s.substr(start, i - start)});
    } else if (ident_char(c)) {
      std::size_t start = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      out.push_back({Tok::kIdent, s.substr(start, i - start)});
    } else {
      Bad(std::string("unexpected \"") + c + "\" in command");
    }
  }
  return out;
}

// ---- the tree ----
struct Node;
using List = std::vector<std::unique_ptr<Node>>;

struct Pipeline {
  std::vector<std::string> decl;  // declared variables
  bool assign = false;            // = instead of :=
  std::vector<std::vector<Tok>> commands;
};

struct Node {
  enum Kind { kText, kAction, kIf, kRange, kWith } kind = kText;
  std::string text;
  Pipeline pipe;
  List body;
  List else_body;
};

Pipeline ParsePipeline(const std::vector<Tok>& toks) {
  Pipeline p;
  std::size_t i = 0;
  // Declarations: $x := / $i, $x := / $x =
  std::size_t j = 0;
  std::vector<std::string> vars;
  while (j < toks.size() && toks[j].kind == Tok::kVar) {
    vars.push_back(toks[j].text);
    ++j;
    if (j < toks.size() && toks[j].kind == Tok::kComma) ++j;
    else break;
  }
  if (!vars.empty() && j < toks.size() && (toks[j].kind == Tok::kDeclare || toks[j].kind == Tok::kAssign)) {
    p.decl = vars;
    p.assign = toks[j].kind == Tok::kAssign;
    i = j + 1;
  }
  std::vector<Tok> cmd;
  int depth = 0;
  for (; i < toks.size(); ++i) {
    if (toks[i].kind == Tok::kOpen) ++depth;
    if (toks[i].kind == Tok::kClose) --depth;
    if (toks[i].kind == Tok::kPipe && depth == 0) {
      if (cmd.empty()) Bad("missing command");
      p.commands.push_back(std::move(cmd));
      cmd.clear();
      continue;
    }
    cmd.push_back(toks[i]);
  }
  if (depth != 0) Bad("unbalanced parentheses");
  if (cmd.empty()) Bad("missing value for command");
  p.commands.push_back(std::move(cmd));
  return p;
}

class TreeParser {
 public:
  explicit TreeParser(const std::string& src) { Split(src); }

  List Parse() {
    std::string end;
    List l = ParseList(&end);
    if (!end.empty()) Bad("unexpected {{" + end + "}}");
    return l;
  }

 private:
  struct Item {
    bool action;
    std::string text;
  };

  void Split(const std::string& s) {
    std::size_t pos = 0;
    while (pos < s.size()) {
      std::size_t open = s.find("{{", pos);
      std::string text = s.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
      if (open == std::string::npos) {
        items_.push_back({false, text});
        break;
      }
      std::size_t close = s.find("}}", open + 2);
      if (close == std::string::npos) Bad("unclosed action");
      std::string inner = s.substr(open + 2, close - open - 2);
      bool trim_left = inner.size() >= 2 && inner[0] == '-' && (inner[1] == ' ' || inner[1] == '\t' || inner[1] == '\n');
      bool trim_right = inner.size() >= 2 && inner.back() == '-' && (inner[inner.size() - 2] == ' ' || inner[inner.size() - 2] == '\t' || inner[inner.size() - 2] == '\n');
      if (trim_left) {
        inner = inner.substr(1);
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
      }
      if (trim_right) inner.pop_back();
      items_.push_back({false, text});
      items_.push_back({true, inner});
      pos = close + 2;
      if (trim_right)
        while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
    }
  }

  static std::string Keyword(const std::string& inner, std::string* rest) {
    std::size_t b = inner.find_first_not_of(" \t\n\r");
    if (b == std::string::npos) {
      *rest = "";
      return "";
    }
    std::size_t e = b;
    while (e < inner.size() && (std::isalpha(static_cast<unsigned char>(inner[e])))) ++e;
    *rest = inner.substr(e);
    return inner.substr(b, e - b);
  }

  // Parses until {{end}} / {{else ...}}; *end receives that keyword line.
  List ParseList(std::string* end) {
    List out;
    while (next_ < items_.size()) {
      const Item& it = items_[next_++];
      if (!it.action) {
        if (!it.text.empty()) {
          auto n = std::make_unique<Node>();
          n->text = it.text;
          out.push_back(std::move(n));
        }
        continue;
      }
      std::string inner = it.text;
      std::size_t b = inner.find_first_not_of(" \t\n\r");
      if (b != std::string::npos && inner.compare(b, 2, "/*") == 0) continue;  // comment
      std::string rest;
      std::string kw = Keyword(inner, &rest);
      if (kw == "end" || kw == "else") {
        *end = kw + rest;
        return out;
      }
      auto n = std::make_unique<Node>();
      if (kw == "if" || kw == "range" || kw == "with") {
        n->kind = kw == "if" ? Node::kIf : kw == "range" ? Node::kRange : Node::kWith;
        n->pipe = ParsePipeline(LexAction(rest));
        ParseBranches(n.get());
      } else {
        n->kind = Node::kAction;
        n->pipe = ParsePipeline(LexAction(inner));
      }
      out.push_back(std::move(n));
    }
    return out;
  }

  void ParseBranches(Node* n) {
    std::string end;
    n->body = ParseList(&end);
    if (end.empty()) Bad("unexpected EOF");
    if (end.rfind("else", 0) == 0) {
      std::string rest = end.substr(4);
      std::string r2;
      std::string kw = Keyword(rest, &r2);
      if (kw == "if" && n->kind == Node::kIf) {
        // {{else if p}} nests an if that shares this {{end}}.
        auto nested = std::make_unique<Node>();
        nested->kind = Node::kIf;
        nested->pipe = ParsePipeline(LexAction(r2));
        ParseBranches(nested.get());
        n->else_body.push_back(std::move(nested));
        return;
      }
      if (!kw.empty()) Bad("unexpected " + kw + " after else");
      std::string end2;
      n->else_body = ParseList(&end2);
      if (end2.rfind("end", 0) != 0) Bad("expected end; found " + (end2.empty() ? std::string("EOF") : end2));
      return;
    }
  }

  std::vector<Item> items_;
  std::size_t next_ = 0;
};

// ---- execution ----
const char kMissing[] = "<undefined>";

std::string Print(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: return kMissing;
    case Kind::kNull: return "<nil>";
    case Kind::kBool: return v.as_bool() ? "true" : "false";
    case Kind::kNumber: return NumberText(v);
    case Kind::kString: return v.as_string();
    case Kind::kArray:
    case Kind::kSet: {
      std::string s = "[";
      for (std::size_t i = 0; i < v.items().size(); ++i) s += (i ? " " : "") + Print(v.items()[i]);
      return s + "]";
    }
    case Kind::kObject: {
      std::string s = "map[";
      bool first = true;
      for (const auto& [k, x] : v.object()) {
        s += (first ? "" : " ") + Print(k) + ":" + Print(x);
        first = false;
      }
      return s + "]";
    }
  }
  return "";
}

bool Truth(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull: return false;
    case Kind::kBool: return v.as_bool();
    case Kind::kNumber: return v.as_double() != 0;
    case Kind::kString: return !v.as_string().empty();
    default: return v.size() > 0;
  }
}

class Executor {
 public:
  explicit Executor(const Value& data) { vars_.emplace_back("$", data); }

  void Run(const List& list, const Value& dot, std::string& out, int depth) {
    if (depth > 100) Bad("template nested too deeply");
    std::size_t mark = vars_.size();
    for (const auto& n : list) {
      if (++steps_ > kMaxSteps) Bad("template execution exceeded " + std::to_string(kMaxSteps) + " steps");
      switch (n->kind) {
        case Node::kText: out += n->text; break;
        case Node::kAction: {
          Value v = Pipe(n->pipe, dot);
          if (n->pipe.decl.empty()) out += Print(v);
          break;
        }
        case Node::kIf:
        case Node::kWith: {
          std::size_t m = vars_.size();
          Value v = Pipe(n->pipe, dot);
          if (Truth(v)) Run(n->body, n->kind == Node::kWith ? v : dot, out, depth + 1);
          else Run(n->else_body, dot, out, depth + 1);
          vars_.resize(m);
          break;
        }
        case Node::kRange: Range(*n, dot, out, depth); break;
      }
      if (out.size() > (std::size_t{64} << 20)) Bad("output too large");
    }
    vars_.resize(mark);
  }

 private:
  void Range(const Node& n, const Value& dot, std::string& out, int depth) {
    Pipeline p = n.pipe;
    std::vector<std::string> decl = p.decl;
    p.decl.clear();
    Value coll = Pipe(p, dot);
    auto iteration = [&](const Value& k, const Value& v) {
      if (++steps_ > kMaxSteps) Bad("template execution exceeded " + std::to_string(kMaxSteps) + " steps");
      std::size_t m = vars_.size();
      if (decl.size() == 1) vars_.emplace_back(decl[0], v);
      if (decl.size() == 2) {
        vars_.emplace_back(decl[0], k);
        vars_.emplace_back(decl[1], v);
      }
      Run(n.body, v, out, depth + 1);
      vars_.resize(m);
    };
    bool any = false;
    if (coll.is_array() || coll.is_set()) {
      for (std::size_t i = 0; i < coll.items().size(); ++i) iteration(Value::Int(static_cast<std::int64_t>(i)), coll.items()[i]);
      any = coll.size() > 0;
    } else if (coll.is_object()) {
      for (const auto& [k, v] : coll.object()) iteration(k, v);
      any = coll.size() > 0;
    } else if (coll.is_int()) {
      for (std::int64_t i = 0; i < coll.as_int(); ++i) iteration(Value::Int(i), Value::Int(i));
      any = coll.as_int() > 0;
    } else if (coll.defined() && !coll.is_null()) {
      Bad("range can't iterate over " + Print(coll));
    }
    if (!any) Run(n.else_body, dot, out, depth + 1);
  }

  Value Var(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) return it->second;
    Bad("undefined variable: " + name);
  }

  static Value Fields(Value v, const std::string& path) {
    std::size_t pos = 0;
    while (pos < path.size()) {
      std::size_t end = path.find('.', pos);
      std::string key = path.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (!key.empty()) {
        if (!v.is_object()) return Value();
        const Value* c = v.Get(key);
        if (!c) return Value();
        v = *c;
      }
      if (end == std::string::npos) break;
      pos = end + 1;
    }
    return v;
  }

  Value Pipe(const Pipeline& p, const Value& dot) {
    Value v;
    bool has = false;
    for (const auto& cmd : p.commands) {
      v = Command(cmd, dot, has ? &v : nullptr);
      has = true;
    }
    if (p.decl.size() == 1) {
      if (p.assign) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
          if (it->first == p.decl[0]) {
            it->second = v;
            return v;
          }
        Bad("undefined variable: " + p.decl[0]);
      }
      vars_.emplace_back(p.decl[0], v);
    }
    return v;
  }

  // One operand starting at toks[*i].
  Value Operand(const std::vector<Tok>& toks, std::size_t* i, const Value& dot) {
    const Tok& t = toks[(*i)++];
    switch (t.kind) {
      case Tok::kField: return t.text == "." ? dot : Fields(dot, t.text.substr(1));
      case Tok::kVar: {
        std::size_t dotpos = t.text.find('.');
        Value base = Var(t.text.substr(0, dotpos));
        return dotpos == std::string::npos ? base : Fields(base, t.text.substr(dotpos + 1));
      }
      case Tok::kString: return Value::String(t.text);
      case Tok::kNumber: {
        Value n = Value::NumberFromText(t.text);
        if (!n.is_number()) Bad("bad number syntax: " + t.text);
        return n;
      }
      case Tok::kOpen: {
        std::vector<Tok> inner;
        int depth = 1;
        while (*i < toks.size()) {
          const Tok& x = toks[(*i)++];
          if (x.kind == Tok::kOpen) ++depth;
          if (x.kind == Tok::kClose && --depth == 0) break;
          inner.push_back(x);
        }
        return Pipe(ParsePipeline(inner), dot);
      }
      case Tok::kIdent:
        if (t.text == "true" || t.text == "false") return Value::Bool(t.text == "true");
        if (t.text == "nil") return Value::Null();
        Bad("function \"" + t.text + "\" not defined");
      default: Bad("unexpected \"" + t.text + "\" in operand");
    }
  }

  Value Command(const std::vector<Tok>& cmd, const Value& dot, const Value* piped) {
    std::size_t i = 0;
    if (cmd[0].kind == Tok::kIdent && cmd[0].text != "true" && cmd[0].text != "false" && cmd[0].text != "nil") {
      std::string fn = cmd[0].text;
      i = 1;
      std::vector<Value> args;
      while (i < cmd.size()) args.push_back(Operand(cmd, &i, dot));
      if (piped) args.push_back(*piped);
      return Call(fn, args);
    }
    Value v = Operand(cmd, &i, dot);
    if (i != cmd.size() || piped) Bad("can't give argument to non-function " + cmd[0].text);
    return v;
  }

  static Value Call(const std::string& fn, const std::vector<Value>& a) {
    auto need = [&](std::size_t n) {
      if (a.size() < n) Bad("wrong number of args for " + fn + ": want " + std::to_string(n) + " got " + std::to_string(a.size()));
    };
    if (fn == "not") {
      need(1);
      return Value::Bool(!Truth(a[0]));
    }
    if (fn == "and" || fn == "or") {
      need(1);
      for (const auto& v : a)
        if (Truth(v) != (fn == "and")) return v;
      return a.back();
    }
    if (fn == "len") {
      need(1);
      if (a[0].is_string()) return Value::Int(static_cast<std::int64_t>(a[0].as_string().size()));
      if (!a[0].is_collection()) Bad("len of type " + TypeName(a[0]));
      return Value::Int(static_cast<std::int64_t>(a[0].size()));
    }
    if (fn == "index") {
      need(1);
      Value v = a[0];
      for (std::size_t k = 1; k < a.size(); ++k) {
        const Value* c = v.is_collection() ? v.Get(a[k]) : nullptr;
        if (!c) return Value();
        v = *c;
      }
      return v;
    }
    if (fn == "print") {
      std::string s;
      for (std::size_t k = 0; k < a.size(); ++k) s += (k && !a[k].is_string() && !a[k - 1].is_string() ? " " : "") + Print(a[k]);
      return Value::String(s);
    }
    if (fn == "eq" || fn == "ne" || fn == "lt" || fn == "le" || fn == "gt" || fn == "ge") {
      need(2);
      if (fn == "eq") {
        for (std::size_t k = 1; k < a.size(); ++k)
          if (a[0] == a[k]) return Value::Bool(true);
        return Value::Bool(false);
      }
      if (a[0].kind() != a[1].kind()) Bad("incompatible types for comparison");
      int c = Compare(a[0], a[1]);
      bool r = fn == "ne" ? c != 0 : fn == "lt" ? c < 0 : fn == "le" ? c <= 0 : fn == "gt" ? c > 0 : c >= 0;
      return Value::Bool(r);
    }
    Bad("function \"" + fn + "\" not defined");
  }

  static constexpr std::uint64_t kMaxSteps = 10'000'000;
  std::vector<std::pair<std::string, Value>> vars_;
  std::uint64_t steps_ = 0;
};

Value RenderTemplate(const Args& a, BuiltinContext&) {
  const std::string fn = "strings.render_template";
  const std::string& src = ArgString(fn, a, 0);
  const Value& vars = ArgKind(fn, a, 1, Kind::kObject);
  try {
    TreeParser parser(src);
    List tree = parser.Parse();
    Executor ex(vars);
    std::string out;
    ex.Run(tree, vars, out, 0);
    return Value::String(std::move(out));
  } catch (const TemplateError& e) {
    ThrowBuiltinError(fn + ": template: " + e.message);
  }
}

}  // namespace

void AddTemplateBuiltins(BuiltinRegistry& r) { r.Add("strings.render_template", 2, RenderTemplate); }

}  // namespace tollgate::rego
