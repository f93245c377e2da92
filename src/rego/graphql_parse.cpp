// GraphQL lexer and parser (executable and type-system documents) producing
// OPA's AST shape as Rego values. Follows the grammar of the October 2021
// GraphQL specification; error texts follow OPA's ("Expected Name, found }").
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "rego/graphql.h"
#include "rego/lexer.h"

namespace tollgate::rego::graphql {

namespace {

enum class Tok : std::uint8_t { kEof, kInvalid, kPunct, kName, kInt, kFloat, kString, kBlockString };

struct Token {
  Tok kind = Tok::kEof;
  std::string text;  // punctuator, name, number text or the string's value
  int line = 1;
  int column = 1;
};

struct ParseFailure {
  Error error;
};

constexpr int kMaxDepth = 256;

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Token Next() {
    SkipIgnored();
    Token t;
    t.line = line_;
    t.column = Column();
    if (pos_ >= src_.size()) return t;
    char c = src_[pos_];
    if (c == '.') {
      if (src_.substr(pos_, 3) == "...") {
        pos_ += 3;
        t.kind = Tok::kPunct;
        t.text = "...";
        return t;
      }
      return Invalid(t);
    }
    if (std::string_view("!$&()[]{}:=@|").find(c) != std::string_view::npos) {
      ++pos_;
      t.kind = Tok::kPunct;
      t.text = std::string(1, c);
      return t;
    }
    if (IsNameStart(c)) {
      std::size_t start = pos_;
      while (pos_ < src_.size() && IsNameContinue(src_[pos_])) ++pos_;
      t.kind = Tok::kName;
      t.text = std::string(src_.substr(start, pos_ - start));
      return t;
    }
    if (c == '-' || IsDigit(c)) return Number(t);
    if (c == '"') {
      // A string token is positioned at its first content character.
      if (src_.substr(pos_, 3) == "\"\"\"") {
        t.column += 3;
        return BlockString(t);
      }
      t.column += 1;
      return String(t);
    }
    return Invalid(t);
  }

 private:
  static bool IsNameStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsNameContinue(char c) { return IsNameStart(c) || IsDigit(c); }

  // The 1-based column of pos_ in code points; positions only move forward,
  // so counting resumes where the last call stopped (linear overall).
  int Column() {
    if (col_pos_ < line_start_) {
      col_pos_ = line_start_;
      col_ = 1;
    }
    for (; col_pos_ < pos_ && col_pos_ < src_.size(); ++col_pos_)
      if ((static_cast<unsigned char>(src_[col_pos_]) & 0xC0) != 0x80) ++col_;
    return col_;
  }
  // Consumes a line terminator at pos_ (\n, \r\n or \r); false if none.
  bool LineTerminator() {
    if (src_[pos_] == '\n' || src_[pos_] == '\r') {
      if (src_[pos_] == '\r' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++line_;
      line_start_ = pos_;
      return true;
    }
    return false;
  }
  void SkipIgnored() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == ',') {
        ++pos_;
      } else if (LineTerminator()) {
      } else if (src_.substr(pos_, 3) == "\xEF\xBB\xBF") {
        pos_ += 3;
      } else if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n' && src_[pos_] != '\r') ++pos_;
      } else {
        return;
      }
    }
  }
  // An invalid token positioned where scanning stopped.
  Token Invalid(Token t) {
    t.kind = Tok::kInvalid;
    t.line = line_;
    t.column = Column();
    return t;
  }
  Token Number(Token t) {
    std::size_t start = pos_;
    if (src_[pos_] == '-') ++pos_;
    auto digits = [&] {
      std::size_t s = pos_;
      while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
      return pos_ > s;
    };
    if (pos_ < src_.size() && src_[pos_] == '0') {
      ++pos_;
      if (pos_ < src_.size() && IsDigit(src_[pos_])) return Invalid(t);
    } else if (!digits()) {
      return Invalid(t);
    }
    bool is_float = false;
    if (pos_ < src_.size() && src_[pos_] == '.') {
      ++pos_;
      is_float = true;
      if (!digits()) return Invalid(t);
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      ++pos_;
      is_float = true;
      if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) ++pos_;
      if (!digits()) return Invalid(t);
    }
    if (pos_ < src_.size() && (src_[pos_] == '.' || IsNameStart(src_[pos_]))) return Invalid(t);
    t.kind = is_float ? Tok::kFloat : Tok::kInt;
    t.text = std::string(src_.substr(start, pos_ - start));
    return t;
  }
  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  Token String(Token t) {
    ++pos_;
    std::string out;
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '\n' || c == '\r') return Invalid(t);
      if (c == '"') {
        ++pos_;
        t.kind = Tok::kString;
        t.text = std::move(out);
        return t;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= src_.size()) break;
      char e = src_[pos_ + 1];
      pos_ += 2;
      if (char plain = SimpleEscape(e)) {
        out += plain;
        continue;
      }
      switch (e) {
        case 'u': {
          if (pos_ + 4 > src_.size()) return Invalid(t);
          char32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            int h = Hex(src_[pos_ + static_cast<std::size_t>(k)]);
            if (h < 0) return Invalid(t);
            cp = cp * 16 + static_cast<char32_t>(h);
          }
          pos_ += 4;
          AppendUtf8(out, cp);
          break;
        }
        default: return Invalid(t);
      }
    }
    pos_ = src_.size();
    return Invalid(t);
  }
  Token BlockString(Token t) {
    pos_ += 3;
    std::string raw;
    while (pos_ < src_.size()) {
      if (src_.substr(pos_, 3) == "\"\"\"") {
        pos_ += 3;
        t.kind = Tok::kBlockString;
        t.text = BlockStringValue(raw);
        return t;
      }
      if (src_.substr(pos_, 4) == "\\\"\"\"") {
        raw += "\"\"\"";
        pos_ += 4;
        continue;
      }
      if (src_[pos_] == '\n' || src_[pos_] == '\r') {
        raw += '\n';
        LineTerminator();
        continue;
      }
      raw += src_[pos_++];
    }
    return Invalid(t);
  }
  // The spec's BlockStringValue: common indentation and blank edge lines go.
  static std::string BlockStringValue(const std::string& raw) {
    std::vector<std::string> lines;
    std::size_t s = 0;
    for (;;) {
      std::size_t e = raw.find('\n', s);
      lines.push_back(raw.substr(s, e == std::string::npos ? std::string::npos : e - s));
      if (e == std::string::npos) break;
      s = e + 1;
    }
    auto indent_of = [](const std::string& l) {
      std::size_t i = 0;
      while (i < l.size() && (l[i] == ' ' || l[i] == '\t')) ++i;
      return i;
    };
    std::size_t common = std::string::npos;
    for (std::size_t i = 1; i < lines.size(); ++i) {
      std::size_t ind = indent_of(lines[i]);
      if (ind < lines[i].size() && ind < common) common = ind;
    }
    if (common != std::string::npos)
      for (std::size_t i = 1; i < lines.size(); ++i) lines[i] = lines[i].size() > common ? lines[i].substr(common) : "";
    auto blank = [&](const std::string& l) { return indent_of(l) == l.size(); };
    std::size_t first = 0;
    std::size_t last = lines.size();
    while (first < last && blank(lines[first])) ++first;
    while (last > first && blank(lines[last - 1])) --last;
    std::string out;
    for (std::size_t i = first; i < last; ++i) {
      if (i > first) out += '\n';
      out += lines[i];
    }
    return out;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  int line_ = 1;
  std::size_t line_start_ = 0;
  std::size_t col_pos_ = 0;
  int col_ = 1;
};

// Collects object members; empty lists are left out as OPA prunes them.
class Obj {
 public:
  Obj& Set(const char* key, Value v) {
    items_.emplace_back(Value::String(key), std::move(v));
    return *this;
  }
  Obj& Str(const char* key, std::string s) { return Set(key, Value::String(std::move(s))); }
  Obj& List(const char* key, Array items) {
    if (!items.empty()) Set(key, Value::MakeArray(std::move(items)));
    return *this;
  }
  Obj& Pos(const Token& t) {
    return Set("_pos", Value::MakeArray({Value::Int(t.line), Value::Int(t.column)}));
  }
  Value Build() { return Value::MakeObject(std::move(items_)); }

 private:
  ObjectItems items_;
};

class Parser {
 public:
  explicit Parser(std::string_view src) : lex_(src) { tok_ = lex_.Next(); }

  Value QueryDocument() {
    Array ops, frags;
    while (tok_.kind != Tok::kEof) {
      if (Peek("{")) {
        ops.push_back(Operation());
      } else if (tok_.kind == Tok::kName) {
        if (tok_.text == "query" || tok_.text == "mutation" || tok_.text == "subscription") ops.push_back(Operation());
        else if (tok_.text == "fragment") frags.push_back(Fragment());
        else Unexpected(tok_);
      } else {
        Unexpected(tok_);
      }
    }
    return Obj().List("Operations", std::move(ops)).List("Fragments", std::move(frags)).Build();
  }

  Value SchemaDocument() {
    Array schema, schema_ext, directives, defs, exts;
    while (tok_.kind != Tok::kEof) {
      Token desc_tok = tok_;
      std::string desc = Description();
      if (tok_.kind != Tok::kName) Unexpected(tok_);
      const std::string& kw = tok_.text;
      if (kw == "scalar" || kw == "type" || kw == "interface" || kw == "union" || kw == "enum" || kw == "input") {
        defs.push_back(TypeDefinition(desc, false));
      } else if (kw == "schema") {
        schema.push_back(SchemaDefinition(desc, false));
      } else if (kw == "directive") {
        directives.push_back(DirectiveDefinition(desc));
      } else if (kw == "extend") {
        if (desc_tok.kind == Tok::kString || desc_tok.kind == Tok::kBlockString) Unexpected(desc_tok);
        Advance();
        if (tok_.kind != Tok::kName) Unexpected(tok_);
        if (tok_.text == "schema") schema_ext.push_back(SchemaDefinition("", true));
        else if (IsTypeKeyword(tok_.text)) exts.push_back(TypeDefinition("", true));
        else Unexpected(tok_);
      } else {
        Unexpected(tok_);
      }
    }
    return Obj()
        .List("Schema", std::move(schema))
        .List("SchemaExtension", std::move(schema_ext))
        .List("Directives", std::move(directives))
        .List("Definitions", std::move(defs))
        .List("Extensions", std::move(exts))
        .Build();
  }

 private:
  static bool IsTypeKeyword(const std::string& s) {
    return s == "scalar" || s == "type" || s == "interface" || s == "union" || s == "enum" || s == "input";
  }

  // ---- token helpers ----
  void Advance() {
    if (tok_.kind == Tok::kInvalid) Unexpected(tok_);
    tok_ = lex_.Next();
  }
  bool Peek(const char* punct) const { return tok_.kind == Tok::kPunct && tok_.text == punct; }
  bool PeekKeyword(const char* kw) const { return tok_.kind == Tok::kName && tok_.text == kw; }
  bool Skip(const char* punct) {
    if (!Peek(punct)) return false;
    Advance();
    return true;
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEof: return "<EOF>";
      case Tok::kInvalid: return "<Invalid>";
      case Tok::kPunct: return t.text;
      case Tok::kName: return "Name \"" + t.text + "\"";
      case Tok::kInt: return "Int \"" + t.text + "\"";
      case Tok::kFloat: return "Float \"" + t.text + "\"";
      case Tok::kString: return "String \"" + t.text + "\"";
      case Tok::kBlockString: return "BlockString \"" + t.text + "\"";
    }
    return "";
  }
  [[noreturn]] static void Fail(const Token& at, std::string message) {
    throw ParseFailure{Error{std::move(message), at.line, at.column}};
  }
  [[noreturn]] static void Unexpected(const Token& t) { Fail(t, "Unexpected " + Describe(t)); }
  void Expect(const char* punct) {
    if (tok_.kind == Tok::kInvalid) Unexpected(tok_);
    if (!Peek(punct)) Fail(tok_, std::string("Expected ") + punct + ", found " + Describe(tok_));
    Advance();
  }
  void ExpectKeyword(const char* kw) {
    if (tok_.kind == Tok::kInvalid) Unexpected(tok_);
    if (!PeekKeyword(kw)) Fail(tok_, std::string("Expected \"") + kw + "\", found " + Describe(tok_));
    Advance();
  }
  std::string Name() {
    if (tok_.kind == Tok::kInvalid) Unexpected(tok_);
    if (tok_.kind != Tok::kName) Fail(tok_, "Expected Name, found " + Describe(tok_));
    std::string n = tok_.text;
    Advance();
    return n;
  }
  // `open item+ close` (at least one item).
  template <class F>
  Array Some(const char* open, const char* close, F&& item) {
    Expect(open);
    Array out;
    do {
      if (Peek(close)) Fail(tok_, "expected at least one definition, found " + Describe(tok_));
      out.push_back(item());
    } while (!Skip(close));
    return out;
  }
  // `open item* close`.
  template <class F>
  Array Many(const char* open, const char* close, F&& item) {
    Expect(open);
    Array out;
    while (!Skip(close)) {
      if (tok_.kind == Tok::kEof) Fail(tok_, std::string("Expected ") + close + ", found <EOF>");
      out.push_back(item());
    }
    return out;
  }
  struct DepthGuard {
    int* d;
    explicit DepthGuard(int* depth, const Token& at) : d(depth) {
      if (++*d > kMaxDepth) Fail(at, "document nested too deeply");
    }
    ~DepthGuard() { --*d; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
  };

  // ---- executable documents ----
  Value Operation() {
    Token start = tok_;
    Obj op;
    if (Peek("{")) {
      return op.Str("Operation", "query").Str("Name", "").List("SelectionSet", SelectionSet()).Pos(start).Build();
    }
    std::string kind = Name();
    if (kind != "query" && kind != "mutation" && kind != "subscription") Unexpected(start);
    op.Str("Operation", kind);
    op.Str("Name", tok_.kind == Tok::kName ? Name() : "");
    op.List("VariableDefinitions", VariableDefinitions());
    op.List("Directives", Directives(false));
    op.List("SelectionSet", RequiredSelectionSet());
    return op.Pos(start).Build();
  }
  Array VariableDefinitions() {
    if (!Peek("(")) return {};
    return Some("(", ")", [&] {
      Token start = tok_;
      Expect("$");
      Obj v;
      v.Str("Variable", Name());
      Expect(":");
      v.Set("Type", TypeRef());
      if (Skip("=")) v.Set("DefaultValue", ValueLiteral(true));
      v.List("Directives", Directives(true));
      v.Set("Used", Value::Bool(false));
      return v.Pos(start).Build();
    });
  }
  Array RequiredSelectionSet() {
    if (!Peek("{")) Fail(tok_, "Expected {, found " + Describe(tok_));
    return SelectionSet();
  }
  Array SelectionSet() {
    DepthGuard g(&depth_, tok_);
    return Some("{", "}", [&] { return Selection(); });
  }
  Value Selection() {
    Token start = tok_;
    if (Skip("...")) {
      if (tok_.kind == Tok::kName && tok_.text != "on") {
        Obj spread;
        spread.Str("Name", Name());
        spread.List("Directives", Directives(false));
        return spread.Pos(start).Build();
      }
      Obj inl;
      std::string condition;
      if (PeekKeyword("on")) {
        Advance();
        condition = Name();
      }
      inl.Str("TypeCondition", std::move(condition));
      inl.List("Directives", Directives(false));
      inl.List("SelectionSet", RequiredSelectionSet());
      return inl.Pos(start).Build();
    }
    std::string alias = Name();
    std::string name = alias;
    if (Skip(":")) name = Name();
    Obj f;
    f.Str("Alias", alias).Str("Name", name);
    f.List("Arguments", Arguments(false));
    f.List("Directives", Directives(false));
    if (Peek("{")) f.List("SelectionSet", SelectionSet());
    return f.Pos(start).Build();
  }
  Value Fragment() {
    Token start = tok_;
    ExpectKeyword("fragment");
    if (PeekKeyword("on")) Unexpected(tok_);
    Obj fr;
    fr.Str("Name", Name());
    fr.List("VariableDefinition", VariableDefinitions());
    ExpectKeyword("on");
    fr.Str("TypeCondition", Name());
    fr.List("Directives", Directives(false));
    fr.List("SelectionSet", RequiredSelectionSet());
    return fr.Pos(start).Build();
  }
  Array Arguments(bool is_const) {
    if (!Peek("(")) return {};
    return Some("(", ")", [&] {
      Token start = tok_;
      Obj a;
      a.Str("Name", Name());
      Expect(":");
      a.Set("Value", ValueLiteral(is_const));
      return a.Pos(start).Build();
    });
  }
  Array Directives(bool is_const) {
    Array out;
    while (Peek("@")) {
      Token start = tok_;
      Advance();
      Obj d;
      d.Str("Name", Name());
      d.List("Arguments", Arguments(is_const));
      d.Str("Location", "");
      out.push_back(d.Pos(start).Build());
    }
    return out;
  }
  static Value Literal(int kind, std::string raw, Value children = Value()) {
    Obj v;
    if (children.defined()) v.Set("Children", std::move(children));
    return v.Set("ExpectedTypeHasDefault", Value::Bool(false)).Set("Kind", Value::Int(kind)).Str("Raw", std::move(raw)).Build();
  }
  static Value Child(std::string name, Value v) { return Obj().Str("Name", std::move(name)).Set("Value", std::move(v)).Build(); }
  Value ValueLiteral(bool is_const) {
    DepthGuard g(&depth_, tok_);
    Token t = tok_;
    auto children = [](Array items) { return items.empty() ? Value() : Value::MakeArray(std::move(items)); };
    switch (t.kind) {
      case Tok::kPunct:
        if (t.text == "[") return Literal(8, "", children(Many("[", "]", [&] { return Child("", ValueLiteral(is_const)); })));
        if (t.text == "{") {
          return Literal(9, "", children(Many("{", "}", [&] {
            std::string n = Name();
            Expect(":");
            return Child(n, ValueLiteral(is_const));
          })));
        }
        if (t.text == "$" && !is_const) {
          Advance();
          return Literal(0, Name());
        }
        Unexpected(t);
      case Tok::kInt: Advance(); return Literal(1, t.text);
      case Tok::kFloat: Advance(); return Literal(2, t.text);
      case Tok::kString: Advance(); return Literal(3, t.text);
      case Tok::kBlockString: Advance(); return Literal(4, t.text);
      case Tok::kName:
        Advance();
        if (t.text == "true" || t.text == "false") return Literal(5, t.text);
        if (t.text == "null") return Literal(6, t.text);
        return Literal(7, t.text);
      default: Unexpected(t);
    }
  }
  Value TypeRef() {
    DepthGuard g(&depth_, tok_);
    Obj t;
    if (Skip("[")) {
      Value elem = TypeRef();
      Expect("]");
      t.Set("Elem", elem).Str("NamedType", "");
    } else {
      t.Str("NamedType", Name());
    }
    t.Set("NonNull", Value::Bool(Skip("!")));
    return t.Build();
  }

  // ---- type-system documents ----
  std::string Description() {
    if (tok_.kind != Tok::kString && tok_.kind != Tok::kBlockString) return "";
    std::string d = tok_.text;
    Advance();
    return d;
  }
  Value SchemaDefinition(std::string desc, bool extension) {
    Token start = tok_;
    ExpectKeyword("schema");
    Obj s;
    s.Str("Description", std::move(desc));
    Array dirs = Directives(true);
    bool empty = dirs.empty();
    s.List("Directives", std::move(dirs));
    if (!extension || Peek("{")) {
      s.List("OperationTypes", Some("{", "}", [&] {
        Obj o;
        Token at = tok_;
        std::string op = Name();
        if (op != "query" && op != "mutation" && op != "subscription") Unexpected(at);
        Expect(":");
        return o.Str("Operation", op).Str("Type", Name()).Build();
      }));
      empty = false;
    }
    if (empty) Unexpected(tok_);
    return s.Pos(start).Build();
  }
  Array ArgumentDefs() {
    if (!Peek("(")) return {};
    return Some("(", ")", [&] { return InputValueDef(); });
  }
  Value InputValueDef() {
    Token start = tok_;
    Obj a;
    a.Str("Description", Description());
    a.Str("Name", Name());
    Expect(":");
    a.Set("Type", TypeRef());
    if (Skip("=")) a.Set("DefaultValue", ValueLiteral(true));
    a.List("Directives", Directives(true));
    return a.Pos(start).Build();
  }
  Value FieldDef() {
    Token start = tok_;
    Obj f;
    f.Str("Description", Description());
    f.Str("Name", Name());
    f.List("Arguments", ArgumentDefs());
    Expect(":");
    f.Set("Type", TypeRef());
    f.List("Directives", Directives(true));
    return f.Pos(start).Build();
  }
  Value TypeDefinition(std::string desc, bool extension) {
    Token start = tok_;
    std::string kw = Name();
    Obj d;
    d.Set("BuiltIn", Value::Bool(false)).Str("Description", std::move(desc));
    d.Str("Name", Name());
    Array interfaces, fields, types, values, dirs;
    if (kw == "type" || kw == "interface") {
      if (PeekKeyword("implements")) {
        Advance();
        Skip("&");
        do interfaces.push_back(Value::String(Name()));
        while (Skip("&"));
      }
      dirs = Directives(true);
      if (Peek("{")) fields = Some("{", "}", [&] { return FieldDef(); });
    } else if (kw == "union") {
      dirs = Directives(true);
      if (Skip("=")) {
        Skip("|");
        do types.push_back(Value::String(Name()));
        while (Skip("|"));
      }
    } else if (kw == "enum") {
      dirs = Directives(true);
      if (Peek("{")) {
        values = Some("{", "}", [&] {
          Token at = tok_;
          Obj v;
          v.Str("Description", Description());
          v.Str("Name", Name());
          v.List("Directives", Directives(true));
          return v.Pos(at).Build();
        });
      }
    } else if (kw == "input") {
      dirs = Directives(true);
      if (Peek("{")) fields = Some("{", "}", [&] { return InputValueDef(); });
    } else {
      dirs = Directives(true);
    }
    if (extension && interfaces.empty() && fields.empty() && types.empty() && values.empty() && dirs.empty()) Unexpected(tok_);
    const char* kind = kw == "scalar" ? "SCALAR" : kw == "type" ? "OBJECT" : kw == "interface" ? "INTERFACE"
                     : kw == "union" ? "UNION" : kw == "enum" ? "ENUM" : "INPUT_OBJECT";
    d.Str("Kind", kind);
    d.List("Interfaces", std::move(interfaces)).List("Fields", std::move(fields)).List("Types", std::move(types));
    d.List("EnumValues", std::move(values)).List("Directives", std::move(dirs));
    return d.Pos(start).Build();
  }
  Value DirectiveDefinition(std::string desc) {
    Token start = tok_;
    ExpectKeyword("directive");
    Expect("@");
    Obj d;
    d.Str("Description", std::move(desc));
    d.Str("Name", Name());
    d.List("Arguments", ArgumentDefs());
    bool repeatable = false;
    if (PeekKeyword("repeatable")) {
      Advance();
      repeatable = true;
    }
    d.Set("IsRepeatable", Value::Bool(repeatable));
    ExpectKeyword("on");
    Skip("|");
    Array locs;
    do {
      Token at = tok_;
      std::string loc = Name();
      static const char* const kLocations[] = {
          "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD", "INLINE_FRAGMENT",
          "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INTERFACE",
          "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT", "INPUT_FIELD_DEFINITION"};
      bool known = false;
      for (const char* l : kLocations) known = known || loc == l;
      if (!known) Unexpected(at);
      locs.push_back(Value::String(loc));
    } while (Skip("|"));
    d.List("Locations", std::move(locs));
    return d.Pos(start).Build();
  }

  Lexer lex_;
  Token tok_;
  int depth_ = 0;
};

template <class F>
Value Run(const std::string& text, Error* err, F&& fn) {
  try {
    Parser p(text);
    return fn(p);
  } catch (const ParseFailure& f) {
    *err = f.error;
    return Value();
  }
}

}  // namespace

Value ParseQuery(const std::string& text, Error* err) {
  return Run(text, err, [](Parser& p) { return p.QueryDocument(); });
}

Value ParseSchema(const std::string& text, Error* err) {
  return Run(text, err, [](Parser& p) { return p.SchemaDocument(); });
}

Value StripPositions(const Value& ast) {
  if (ast.is_array()) {
    Array out;
    out.reserve(ast.size());
    for (const auto& v : ast.items()) out.push_back(StripPositions(v));
    return Value::MakeArray(std::move(out));
  }
  if (!ast.is_object()) return ast;
  ObjectItems out;
  for (const auto& [k, v] : ast.object()) {
    if (k.is_string() && k.as_string() == "_pos") continue;
    out.emplace_back(k, StripPositions(v));
  }
  return Value::MakeObject(std::move(out));
}

}  // namespace tollgate::rego::graphql
