// HCL2 native syntax parser (hclsyntax-spec.md): a recursive-descent parser
// over the characters (templates make the lexical structure context
// dependent), producing hcl_ast.h nodes with line/column positions.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/utf8.h"
#include "scan/iac/hcl_ast.h"

namespace tollgate::iac::hcl {
namespace {

// The bytes of the identifier character at s[pos], 0 if there is none
// (hclsyntax: an identifier is (ID_Start | '_') (ID_Continue | '-')*, Unicode
// UAX #31): "€", a no-break space or a byte that is not UTF-8 ends one.
std::size_t IdCharLen(std::string_view s, std::size_t pos, bool start) {
  if (pos >= s.size()) return 0;
  auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) {
    bool ok = std::isalpha(c) || c == '_' || (!start && (std::isdigit(c) || c == '-'));
    return ok ? 1 : 0;
  }
  std::size_t i = pos;
  auto cp = DecodeUtf8(s, i);
  if (!cp || !u_hasBinaryProperty(static_cast<UChar32>(*cp), start ? UCHAR_ID_START : UCHAR_ID_CONTINUE)) return 0;
  return i - pos;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// String literals are Unicode Normalization Form C (the spec's "Template
// Literals"): a decomposed "n" + combining tilde becomes "ñ". ASCII is
// already normal; ICU does the rest, and keeps the text when it cannot.
std::string NormalizeNfc(std::string text) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return text;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status) || nfc == nullptr) return text;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(text);
  if (nfc->isNormalized(in, status) && U_SUCCESS(status)) return text;
  status = U_ZERO_ERROR;
  const icu::UnicodeString out = nfc->normalize(in, status);
  if (U_FAILURE(status)) return text;
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

// The length in bytes of the white-space character at `at` (space, tab or
// a UTF-8 encoded Unicode space separator), 0 when there is none.
std::size_t SpaceBytes(std::string_view s, std::size_t at) {
  if (at >= s.size()) return 0;
  auto b = [&](std::size_t k) { return at + k < s.size() ? static_cast<unsigned char>(s[at + k]) : 0u; };
  if (b(0) == ' ' || b(0) == '\t') return 1;
  if (b(0) == 0xC2 && b(1) == 0xA0) return 2;                                  // U+00A0
  if (b(0) == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;                  // U+1680
  if (b(0) == 0xE2 && b(1) == 0x80 && (b(2) <= 0x8A || b(2) == 0xAF)) return 3;  // U+2000..U+200A, U+202F
  if (b(0) == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;                  // U+205F
  if (b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;                  // U+3000
  return 0;
}

constexpr const char* kTooDeep = "expression nested too deeply (limit: about 100 levels of brackets, 400 chained operators or traversals)";

// One flat item of a template before directives are nested.
struct TItem {
  enum Kind { kLit, kInterp, kIf, kElse, kEndIf, kFor, kEndFor } kind = kLit;
  std::string text;  // kLit
  Pos pos;
  bool strip_before = false;  // `~` just after `${`/`%{`: trim the preceding literal's trailing space
  bool strip_after = false;   // `~` before `}`: trim the following literal's leading space
  bool line_start = false;    // kLit: starts at the beginning of a line (heredocs)
  ExprPtr expr;               // kInterp, kIf, kFor (collection)
  std::string key_var, value_var;
};

class Parser {
 public:
  Parser(const std::string& name, std::string_view text) : name_(name), s_(text) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < s_.size(); ++i)
      if (s_[i] == '\n') line_starts_.push_back(i + 1);
  }

  Result<File> ParseFile() {
    File f;
    f.name = name_;
    f.text = std::string(s_);
    TG_TRY(ParseBody(f.body, 0, std::string::npos));
    std::vector<Pos*> ps;
    Collect(f.body, ps);
    FillPositions(ps);
    return f;
  }

  Result<ExprPtr> ParseStandalone() {
    nl_ignore_ = true;
    Skip();
    ExprPtr e;
    IAC_ASSIGN(e, Expression(0));
    Skip();
    if (!Eof()) return Fail(Err(pos_, "unexpected text after the expression", ""));
    std::vector<Pos*> ps;
    Collect(*e, ps);
    FillPositions(ps);
    return e;
  }

 private:
  // ------------------------------------------------------------ positions
  Pos PosAt(std::size_t byte) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), byte);
    std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
    std::size_t start = line_starts_[line - 1];
    std::uint32_t col = 1;
    for (std::size_t i = start; i < byte && i < s_.size(); ++i)
      if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) ++col;
    return Pos{static_cast<std::uint32_t>(line), col, byte};
  }
  // Node positions get only their byte offset while parsing; FillPositions
  // computes lines and columns in one pass at the end (linear, whatever the
  // line lengths).
  static Pos ByteOnly(std::size_t byte) {
    Pos p;
    p.byte = byte;
    return p;
  }
  static void Collect(Expr& e, std::vector<Pos*>& out) {
    out.push_back(&e.pos);
    for (auto& k : e.kids)
      if (k) Collect(*k, out);
  }
  static void Collect(Body& b, std::vector<Pos*>& out) {
    for (auto& a : b.attributes) {
      out.push_back(&a.pos);
      Collect(*a.expr, out);
    }
    for (auto& blk : b.blocks) {
      out.push_back(&blk.pos);
      Collect(blk.body, out);
    }
  }
  void FillPositions(std::vector<Pos*>& ps) const {
    std::stable_sort(ps.begin(), ps.end(), [](const Pos* a, const Pos* b) { return a->byte < b->byte; });
    std::uint32_t line = 1, col = 1;
    std::size_t at = 0;
    for (Pos* p : ps) {
      for (; at < p->byte && at < s_.size(); ++at) {
        if (s_[at] == '\n') {
          ++line;
          col = 1;
        } else if ((static_cast<unsigned char>(s_[at]) & 0xC0) != 0x80) {
          ++col;
        }
      }
      p->line = line;
      p->column = col;
    }
  }

  Error Err(std::size_t byte, const std::string& what, const std::string& hint) const {
    Pos p = PosAt(byte);
    std::string msg = name_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + what;
    if (!hint.empty()) msg += " (hint: " + hint + ")";
    return Error::Input(msg);
  }

  // ------------------------------------------------------------ characters
  bool Eof() const { return pos_ >= s_.size(); }
  char Peek(std::size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }
  bool At(const char* lit) const { return s_.substr(pos_, std::strlen(lit)) == lit; }

  // Skips blanks and comments, and newlines when they are insignificant here.
  // A line comment ends before its newline.
  void Skip() { SkipWith(nl_ignore_); }
  void SkipWith(bool newlines) {
    while (!Eof()) {
      char c = Peek();
      if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++pos_;
      } else if (c == '#' || (c == '/' && Peek(1) == '/')) {
        while (!Eof() && Peek() != '\n') ++pos_;
      } else if (c == '/' && Peek(1) == '*') {
        std::size_t end = s_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? s_.size() : end + 2;
      } else {
        break;
      }
    }
  }

  // Where the identifier at `from` ends (at `from` if there is none).
  std::size_t IdentEnd(std::size_t from) const {
    std::size_t k = from, n = IdCharLen(s_, k, true);
    while (n != 0) {
      k += n;
      n = IdCharLen(s_, k, false);
    }
    return k;
  }
  std::string Ident() {
    std::size_t from = pos_;
    pos_ = IdentEnd(pos_);
    return std::string(s_.substr(from, pos_ - from));
  }
  bool AtIdent() const { return IdCharLen(s_, pos_, true) != 0; }
  // The identifier at the cursor, without consuming it.
  std::string PeekIdent() const { return std::string(s_.substr(pos_, IdentEnd(pos_) - pos_)); }

  ExprPtr Node(ExprKind k, std::size_t from) const {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->pos = ByteOnly(from);
    return e;
  }

  // ------------------------------------------------------------ bodies
  // Parses items until EOF (top level) or the closing '}' of a block opened at `open`.
  Status ParseBody(Body& body, std::size_t depth, std::size_t open) {
    if (depth > kMaxNesting) return Fail(Err(pos_, "blocks nested too deeply (limit " + std::to_string(kMaxNesting) + ")", ""));
    bool nested = open != std::string::npos;
    while (true) {
      SkipWith(true);
      if (Eof()) {
        if (nested) return Fail(Err(open, "unexpected end of file: this block is not closed with '}'", "add the missing '}'"));
        return Ok();
      }
      if (Peek() == '}') {
        if (!nested) return Fail(Err(pos_, "unexpected '}'", "there is no block open here"));
        ++pos_;
        return Ok();
      }
      TG_TRY(ParseItem(body, depth));
      SkipWith(false);
      if (!Eof() && Peek() != '\n')
        return Fail(Err(pos_, "missing newline after an argument or block",
                        "each attribute and block must be on its own line; commas do not separate attributes"));
    }
  }

  Status ParseItem(Body& body, std::size_t depth) {
    if (!AtIdent()) {
      std::string found = Peek() == '"' ? "a quoted string" : std::string("'") + Peek() + "'";
      return Fail(Err(pos_, "expected an attribute or block name, found " + found,
                      "attributes are 'name = value', blocks 'type \"label\" { ... }'"));
    }
    std::size_t from = pos_;
    std::string name = Ident();
    SkipWith(false);
    if (Peek() == '=' && Peek(1) != '=') {
      ++pos_;
      for (const auto& a : body.attributes)
        if (a.name == name) return Fail(Err(from, "attribute '" + name + "' is defined twice", "the first is on line " + std::to_string(PosAt(a.pos.byte).line)));
      for (const auto& b : body.blocks)
        if (b.type == name) return Fail(Err(from, "'" + name + "' is both a block and an attribute", ""));
      Attribute a;
      a.name = name;
      a.pos = ByteOnly(from);
      bool saved = nl_ignore_;
      nl_ignore_ = false;
      Skip();
      if (Eof() || Peek() == '\n') return Fail(Err(pos_, "expected an expression after '='", ""));
      auto e = Expression(depth);
      nl_ignore_ = saved;
      if (!e) return Fail(e.error());
      a.expr = std::move(*e);
      body.attributes.push_back(std::move(a));
      return Ok();
    }
    for (const auto& a : body.attributes)
      if (a.name == name) return Fail(Err(from, "'" + name + "' is both an attribute and a block", ""));
    Block b;
    b.type = name;
    b.pos = ByteOnly(from);
    while (Peek() == '"' || AtIdent()) {
      if (Peek() == '"') {
        std::size_t lab = pos_;
        ExprPtr t;
        IAC_ASSIGN(t, QuotedTemplate(depth));
        if (t->kind != ExprKind::kLiteral)
          return Fail(Err(lab, "a block label cannot contain interpolation or directives", ""));
        b.labels.push_back(t->value.get<std::string>());
      } else {
        b.labels.push_back(Ident());
      }
      SkipWith(false);
    }
    if (Peek() != '{')
      return Fail(Err(pos_, "expected '=' or '{' after '" + name + "'", "attributes are 'name = value', blocks 'type \"label\" { ... }'"));
    std::size_t open = pos_++;
    SkipWith(false);
    if (Eof() || Peek() == '\n') {
      TG_TRY(ParseBody(b.body, depth + 1, open));
    } else if (Peek() == '}') {
      ++pos_;
    } else {
      // A single-line block: at most one attribute, closed on the same line.
      if (!AtIdent()) return Fail(Err(pos_, "expected an attribute name in a single-line block", ""));
      std::size_t item = pos_;
      Ident();
      SkipWith(false);
      if (!(Peek() == '=' && Peek(1) != '='))
        return Fail(Err(item, "a single-line block cannot contain another block", "put the nested block on its own line"));
      pos_ = item;
      TG_TRY(ParseItem(b.body, depth + 1));
      SkipWith(false);
      if (Peek() == ',') return Fail(Err(pos_, "only one argument is allowed in a single-line block", "put each argument on its own line"));
      if (Eof() || Peek() == '\n')
        return Fail(Err(pos_, "the closing '}' of a single-line block must be on the same line", "close the block here or start its body on a new line"));
      if (Peek() != '}') return Fail(Err(pos_, "expected '}' to close the single-line block", ""));
      ++pos_;
    }
    body.blocks.push_back(std::move(b));
    return Ok();
  }

  // ------------------------------------------------------------ expressions
  // Runs `fn` with newlines insignificant (inside brackets) or significant.
  template <typename F>
  auto WithNewlines(bool ignore, F&& fn) {
    bool saved = nl_ignore_;
    nl_ignore_ = ignore;
    auto r = fn();
    nl_ignore_ = saved;
    return r;
  }

  Result<ExprPtr> Expression(std::size_t depth) {
    if (depth > kMaxExprDepth) return Fail(Err(pos_, kTooDeep, ""));
    std::size_t from = pos_;
    ExprPtr cond;
    IAC_ASSIGN(cond, Binary(0, depth + 1));
    Skip();
    if (Peek() != '?') return cond;
    ++pos_;
    auto e = Node(ExprKind::kConditional, from);
    e->kids.push_back(std::move(cond));
    Skip();
    ExprPtr then;
    IAC_ASSIGN(then, Expression(depth + 1));
    Skip();
    if (Peek() != ':') return Fail(Err(pos_, "expected ':' in a conditional expression", "the form is 'cond ? a : b'"));
    ++pos_;
    Skip();
    ExprPtr other;
    IAC_ASSIGN(other, Expression(depth + 1));
    e->kids.push_back(std::move(then));
    e->kids.push_back(std::move(other));
    e->end = pos_end_of(e->kids.back());
    return e;
  }
  static std::size_t pos_end_of(const ExprPtr& e) { return e->end; }

  // The binary operator at the cursor and its precedence (1 lowest), 0 when none.
  int PeekOp(std::string* op) const {
    static const struct {
      const char* text;
      int prec;
    } kOps[] = {{"||", 1}, {"&&", 2}, {"==", 3}, {"!=", 3}, {"<=", 4}, {">=", 4}, {"<", 4}, {">", 4},
                {"+", 5},  {"-", 5},  {"*", 6},  {"/", 6},  {"%", 6}};
    for (const auto& o : kOps) {
      if (At(o.text)) {
        if (o.text[0] == '/' && (Peek(1) == '/' || Peek(1) == '*')) return 0;  // a comment
        *op = o.text;
        return o.prec;
      }
    }
    return 0;
  }

  Result<ExprPtr> Binary(int min_prec, std::size_t depth) {
    if (depth > kMaxExprDepth) return Fail(Err(pos_, kTooDeep, ""));
    std::size_t from = pos_;
    ExprPtr lhs;
    IAC_ASSIGN(lhs, Unary(depth + 1));
    for (std::size_t chain = 1;; ++chain) {  // each operator deepens the (left-nested) tree
      Skip();
      if (depth + chain > kMaxExprDepth) return Fail(Err(pos_, kTooDeep, "split the expression"));
      std::string op;
      int prec = PeekOp(&op);
      if (prec == 0 || prec < min_prec) return lhs;
      pos_ += op.size();
      Skip();
      if (Eof()) return Fail(Err(pos_, "expected an operand after '" + op + "'", ""));
      ExprPtr rhs;
      IAC_ASSIGN(rhs, Binary(prec + 1, depth + 1));
      auto e = Node(ExprKind::kBinary, from);
      e->name = op;
      e->end = rhs->end;
      e->kids.push_back(std::move(lhs));
      e->kids.push_back(std::move(rhs));
      lhs = std::move(e);
    }
  }

  Result<ExprPtr> Unary(std::size_t depth) {
    if (depth > kMaxExprDepth) return Fail(Err(pos_, kTooDeep, ""));
    if (Peek() == '!' || (Peek() == '-' && Peek(1) != '-')) {
      std::size_t from = pos_;
      auto e = Node(ExprKind::kUnary, from);
      e->name = std::string(1, Peek());
      ++pos_;
      Skip();
      ExprPtr operand;
      IAC_ASSIGN(operand, Unary(depth + 1));
      e->end = operand->end;
      e->kids.push_back(std::move(operand));
      return e;
    }
    return Postfix(depth + 1);
  }

  // An expression term followed by attribute access, indexes and splats.
  Result<ExprPtr> Postfix(std::size_t depth) {
    std::size_t from = pos_;
    ExprPtr e;
    IAC_ASSIGN(e, Term(depth));
    for (std::size_t chain = 1;; ++chain) {  // each traversal step deepens the tree
      if (depth + chain > kMaxExprDepth) return Fail(Err(pos_, kTooDeep, ""));
      std::size_t save = pos_;
      Skip();
      if (Peek() == '.' && Peek(1) == '*') {
        pos_ += 2;
        IAC_ASSIGN(e, Splat(std::move(e), from, false, depth));
      } else if (Peek() == '[' && At("[*]")) {
        pos_ += 3;
        IAC_ASSIGN(e, Splat(std::move(e), from, true, depth));
      } else if (Peek() == '.' || Peek() == '[') {
        bool got = false;
        IAC_ASSIGN(got, Traverse(e, from, false, depth));
        if (!got) {
          pos_ = save;
          return e;
        }
      } else {
        pos_ = save;
        return e;
      }
    }
  }

  // One `.name`, `.0` or `[key]` step applied to `e`; false when the
  // cursor is not at such a step. Splat traversals take no `[key]` when
  // `attr_only`.
  Result<bool> Traverse(ExprPtr& e, std::size_t from, bool attr_only, std::size_t depth) {
    if (Peek() == '.') {
      if (Peek(1) == '.') return false;  // `...`
      ++pos_;
      if (IsDigit(Peek())) {
        std::size_t k = pos_;
        while (IsDigit(Peek())) ++pos_;
        auto idx = Node(ExprKind::kIndex, from);
        auto key = Node(ExprKind::kLiteral, k);
        key->value = std::stoll(std::string(s_.substr(k, pos_ - k).substr(0, 18)));
        key->end = pos_;
        idx->kids.push_back(std::move(e));
        idx->kids.push_back(std::move(key));
        idx->end = pos_;
        e = std::move(idx);
        return true;
      }
      if (!AtIdent()) return Fail(Err(pos_, "expected an attribute name after '.'", ""));
      auto g = Node(ExprKind::kGetAttr, from);
      g->name = Ident();
      g->end = pos_;
      g->kids.push_back(std::move(e));
      e = std::move(g);
      return true;
    }
    if (Peek() == '[' && !attr_only) {
      ++pos_;
      auto key = WithNewlines(true, [&]() -> Result<ExprPtr> {
        Skip();
        ExprPtr k;
        IAC_ASSIGN(k, Expression(depth + 1));
        Skip();
        if (Peek() != ']') return Fail(Err(pos_, "expected ']' to close the index", ""));
        ++pos_;
        return k;
      });
      if (!key) return Fail(key.error());
      auto idx = Node(ExprKind::kIndex, from);
      idx->end = pos_;
      idx->kids.push_back(std::move(e));
      idx->kids.push_back(std::move(*key));
      e = std::move(idx);
      return true;
    }
    return false;
  }

  Result<ExprPtr> Splat(ExprPtr source, std::size_t from, bool full, std::size_t depth) {
    auto sp = Node(ExprKind::kSplat, from);
    ExprPtr each = Node(ExprKind::kSplatItem, pos_);
    each->end = pos_;
    for (std::size_t chain = 1;; ++chain) {
      if (depth + chain > kMaxExprDepth) return Fail(Err(pos_, kTooDeep, ""));
      std::size_t save = pos_;
      Skip();
      if (At(".*") || At("[*]")) {
        pos_ = save;
        break;
      }
      bool got = false;
      IAC_ASSIGN(got, Traverse(each, from, !full, depth));
      if (!got) {
        pos_ = save;
        break;
      }
    }
    sp->end = pos_;
    sp->kids.push_back(std::move(source));
    sp->kids.push_back(std::move(each));
    return sp;
  }

  Result<ExprPtr> Term(std::size_t depth) {
    std::size_t from = pos_;
    char c = Peek();
    if (Eof() || c == '\n') return Fail(Err(pos_, "expected an expression", ""));
    if (IsDigit(c)) return Number();
    if (c == '"') return QuotedTemplate(depth);
    if (c == '<' && Peek(1) == '<') return Heredoc(depth);
    if (c == '(') {
      ++pos_;
      return WithNewlines(true, [&]() -> Result<ExprPtr> {
        Skip();
        auto e = Node(ExprKind::kParens, from);
        ExprPtr inner;
        IAC_ASSIGN(inner, Expression(depth + 1));
        Skip();
        if (Peek() != ')') return Fail(Err(pos_, "expected ')'", "a parenthesis opened on line " + std::to_string(PosAt(from).line) + " is not closed"));
        ++pos_;
        e->end = pos_;
        e->kids.push_back(std::move(inner));
        return e;
      });
    }
    if (c == '[') return WithNewlines(true, [&] { return Tuple(depth); });
    if (c == '{') return Object(depth);
    if (AtIdent()) {
      std::string id = Ident();
      if (id == "true" || id == "false" || id == "null") {
        auto e = Node(ExprKind::kLiteral, from);
        e->value = id == "null" ? Json(nullptr) : Json(id == "true");
        e->end = pos_;
        return e;
      }
      // function call: name ( ... ), with provider::ns::name
      std::size_t after = pos_;
      while (At("::")) {
        pos_ += 2;
        if (!AtIdent()) return Fail(Err(pos_, "expected a function name after '::'", ""));
        Ident();
      }
      std::string fname(s_.substr(from, pos_ - from));
      std::size_t save = pos_;
      SkipWith(false);
      if (Peek() == '(') {
        ++pos_;
        return WithNewlines(true, [&] { return Call(fname, from, depth); });
      }
      if (save != after) return Fail(Err(save, "expected '(' after the function name '" + fname + "'", ""));
      pos_ = save;
      auto e = Node(ExprKind::kVariable, from);
      e->name = id;
      e->end = pos_;
      return e;
    }
    std::string what = c == '}' || c == ']' || c == ')' || c == ',' ? std::string("'") + c + "'" : std::string("'") + c + "'";
    return Fail(Err(pos_, "expected an expression, found " + what, ""));
  }

  Result<ExprPtr> Number() {
    std::size_t from = pos_;
    while (IsDigit(Peek())) ++pos_;
    bool frac = false;
    if (Peek() == '.' && IsDigit(Peek(1))) {
      frac = true;
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if ((Peek() == 'e' || Peek() == 'E') && (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
      frac = true;
      pos_ += 2;
      while (IsDigit(Peek())) ++pos_;
    }
    std::string text(s_.substr(from, pos_ - from));
    auto e = Node(ExprKind::kLiteral, from);
    e->end = pos_;
    if (!frac && text.size() <= 18) {
      e->value = std::stoll(text);
    } else {
      double d = std::strtod(text.c_str(), nullptr);
      if (d == std::floor(d) && std::fabs(d) < 9e15) e->value = static_cast<std::int64_t>(d);
      else e->value = d;
    }
    return e;
  }

  Result<ExprPtr> Call(const std::string& fname, std::size_t from, std::size_t depth) {
    auto e = Node(ExprKind::kCall, from);
    e->name = fname;
    while (true) {
      Skip();
      if (Eof()) return Fail(Err(from, "the argument list of '" + fname + "(' is not closed", "add the missing ')'"));
      if (Peek() == ')') break;
      ExprPtr arg;
      IAC_ASSIGN(arg, Expression(depth + 1));
      e->kids.push_back(std::move(arg));
      Skip();
      if (At("...")) {
        pos_ += 3;
        e->expand_final = true;
        Skip();
        if (Peek() == ',') ++pos_;
        Skip();
        if (Peek() != ')') return Fail(Err(pos_, "'...' may only follow the last argument", ""));
        break;
      }
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Eof()) return Fail(Err(from, "the argument list of '" + fname + "(' is not closed", "add the missing ')'"));
      if (Peek() != ')') return Fail(Err(pos_, "expected ',' or ')' in the arguments of '" + fname + "'", ""));
    }
    ++pos_;
    e->end = pos_;
    return e;
  }

  bool AtForKeyword() const {
    if (!At("for")) return false;
    std::size_t k = pos_ + 3;
    if (IdCharLen(s_, k, false) != 0) return false;
    while (k < s_.size() && (s_[k] == ' ' || s_[k] == '\t' || s_[k] == '\n' || s_[k] == '\r')) ++k;
    return IdCharLen(s_, k, true) != 0;
  }

  Result<ExprPtr> Tuple(std::size_t depth) {
    std::size_t from = pos_++;
    Skip();
    if (AtForKeyword()) return For(from, false, depth);
    auto e = Node(ExprKind::kTuple, from);
    while (true) {
      Skip();
      if (Eof()) return Fail(Err(from, "this '[' is not closed", "add the missing ']'"));
      if (Peek() == ']') break;
      ExprPtr item;
      IAC_ASSIGN(item, Expression(depth + 1));
      e->kids.push_back(std::move(item));
      Skip();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Eof()) return Fail(Err(from, "this '[' is not closed", "add the missing ']'"));
      if (Peek() != ']') return Fail(Err(pos_, "expected ',' or ']' in a tuple", ""));
    }
    ++pos_;
    e->end = pos_;
    return e;
  }

  Result<ExprPtr> Object(std::size_t depth) {
    std::size_t from = pos_++;
    {
      std::size_t save = pos_;
      SkipWith(true);
      if (AtForKeyword()) return WithNewlines(true, [&] { return For(from, true, depth); });
      pos_ = save;
    }
    auto e = Node(ExprKind::kObject, from);
    return WithNewlines(false, [&]() -> Result<ExprPtr> {
      while (true) {
        SkipWith(true);
        if (Eof()) return Fail(Err(from, "this '{' is not closed", "add the missing '}'"));
        if (Peek() == '}') break;
        std::size_t kfrom = pos_;
        ExprPtr key;
        IAC_ASSIGN(key, Expression(depth + 1));
        if (IsTraversal(*key)) {  // a bare identifier (or name.name: providers = { aws.west = ... }) is the key itself
          auto lit = Node(ExprKind::kLiteral, kfrom);
          lit->value = std::string(s_.substr(kfrom, key->end - kfrom));
          lit->end = key->end;
          key = std::move(lit);
        }
        Skip();
        if (Peek() != '=' && Peek() != ':')
          return Fail(Err(pos_, "expected '=' or ':' after an object key", "object items are 'key = value'"));
        ++pos_;
        Skip();
        ExprPtr value;
        IAC_ASSIGN(value, Expression(depth + 1));
        e->kids.push_back(std::move(key));
        e->kids.push_back(std::move(value));
        Skip();
        if (Peek() == ',' || Peek() == '\n') {
          ++pos_;
          continue;
        }
        if (Eof()) return Fail(Err(from, "this '{' is not closed", "add the missing '}'"));
        if (Peek() != '}') return Fail(Err(pos_, "expected ',', a newline or '}' after an object item", ""));
      }
      ++pos_;
      e->end = pos_;
      return Result<ExprPtr>(std::move(e));
    });
  }

  static bool IsTraversal(const Expr& e) {
    if (e.kind == ExprKind::kVariable) return true;
    return e.kind == ExprKind::kGetAttr && IsTraversal(*e.kids[0]);
  }

  // After `[` or `{` and at the `for` keyword.
  Result<ExprPtr> For(std::size_t from, bool object, std::size_t depth) {
    auto e = Node(ExprKind::kFor, from);
    e->object_for = object;
    pos_ += 3;
    Skip();
    if (!AtIdent()) return Fail(Err(pos_, "expected a variable name after 'for'", ""));
    e->value_var = Ident();
    Skip();
    if (Peek() == ',') {
      ++pos_;
      Skip();
      if (!AtIdent()) return Fail(Err(pos_, "expected a second variable name after ','", ""));
      e->key_var = e->value_var;
      e->value_var = Ident();
      Skip();
    }
    if (PeekIdent() != "in") return Fail(Err(pos_, "expected 'in' in a for expression", "the form is 'for k, v in collection : ...'"));
    pos_ += 2;
    Skip();
    ExprPtr coll;
    IAC_ASSIGN(coll, Expression(depth + 1));
    Skip();
    if (Peek() != ':') return Fail(Err(pos_, "expected ':' after the collection of a for expression", ""));
    ++pos_;
    Skip();
    ExprPtr key;
    if (object) {
      IAC_ASSIGN(key, Expression(depth + 1));
      Skip();
      if (!At("=>")) return Fail(Err(pos_, "expected '=>' in an object for expression", "the form is '{for k, v in c : key => value}'"));
      pos_ += 2;
      Skip();
    }
    ExprPtr value;
    IAC_ASSIGN(value, Expression(depth + 1));
    Skip();
    if (object && At("...")) {
      e->grouping = true;
      pos_ += 3;
      Skip();
    }
    ExprPtr cond;
    if (PeekIdent() == "if") {
      pos_ += 2;
      Skip();
      IAC_ASSIGN(cond, Expression(depth + 1));
      Skip();
    }
    char close = object ? '}' : ']';
    if (Peek() != close) return Fail(Err(pos_, std::string("expected '") + close + "' to close the for expression", ""));
    ++pos_;
    e->end = pos_;
    e->kids.push_back(std::move(coll));
    e->kids.push_back(std::move(key));
    e->kids.push_back(std::move(value));
    e->kids.push_back(std::move(cond));
    return e;
  }

  // ------------------------------------------------------------ templates
  // Scans template items up to `end` (heredoc) or the closing quote (quoted).
  Status ScanTemplate(std::vector<TItem>& items, bool quoted, std::size_t end, std::size_t depth) {
    std::size_t open = pos_ - 1;
    TItem lit;
    lit.pos = ByteOnly(pos_);
    lit.line_start = !quoted;
    auto flush = [&] {
      if (!lit.text.empty() || lit.line_start) items.push_back(std::move(lit));
      lit = TItem();
      lit.pos = ByteOnly(pos_);
    };
    while (true) {
      if (quoted) {
        if (Eof() || Peek() == '\n') return Fail(Err(open, "unterminated string: the closing '\"' is missing on this line", "strings cannot span lines; use a heredoc (<<EOT)"));
        if (Peek() == '"') {
          ++pos_;
          break;
        }
      } else if (pos_ >= end) {
        break;
      }
      char c = Peek();
      if (quoted && c == '\\') {
        char n = Peek(1);
        pos_ += 2;
        switch (n) {
          case 'n': lit.text += '\n'; break;
          case 'r': lit.text += '\r'; break;
          case 't': lit.text += '\t'; break;
          case '"': lit.text += '"'; break;
          case '\\': lit.text += '\\'; break;
          case 'u':
          case 'U': {
            std::size_t len = n == 'u' ? 4 : 8;
            std::uint32_t cp = 0;
            for (std::size_t i = 0; i < len; ++i) {
              char h = Peek();
              if (!std::isxdigit(static_cast<unsigned char>(h))) return Fail(Err(pos_, "invalid \\" + std::string(1, n) + " escape", "it needs " + std::to_string(len) + " hex digits"));
              cp = cp * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
              ++pos_;
            }
            if (cp > 0x10FFFF) return Fail(Err(pos_ - len - 2, "escape is not a Unicode code point", ""));
            AppendUtf8(lit.text, static_cast<char32_t>(cp));
            break;
          }
          default:
            return Fail(Err(pos_ - 2, std::string("invalid escape sequence '\\") + n + "'", "valid escapes are \\n \\r \\t \\\" \\\\ \\uNNNN \\UNNNNNNNN"));
        }
        continue;
      }
      if ((c == '$' || c == '%') && Peek(1) == c && Peek(2) == '{') {  // $${ and %%{ are literal
        lit.text += c;
        lit.text += '{';
        pos_ += 3;
        continue;
      }
      if ((c == '$' || c == '%') && Peek(1) == '{') {
        flush();
        TItem it;
        it.pos = ByteOnly(pos_);
        pos_ += 2;
        if (Peek() == '~') {
          it.strip_before = true;
          ++pos_;
        }
        auto st = WithNewlines(true, [&]() -> Status { return c == '$' ? Interpolation(it, depth) : Directive(it, depth); });
        if (!st) return st;
        items.push_back(std::move(it));
        lit.pos = ByteOnly(pos_);
        continue;
      }
      lit.text += c;
      ++pos_;
      if (c == '\n' && !quoted) {
        items.push_back(std::move(lit));
        lit = TItem();
        lit.pos = ByteOnly(pos_);
        lit.line_start = true;
      }
    }
    if (!lit.text.empty()) items.push_back(std::move(lit));
    return Ok();
  }

  Status CloseTemplateSequence(TItem& it, const char* what) {
    Skip();
    if (Peek() == '~') {
      it.strip_after = true;
      ++pos_;
    }
    if (Peek() != '}') return Fail(Err(pos_, std::string("expected '}' to close the ") + what, ""));
    ++pos_;
    return Ok();
  }

  Status Interpolation(TItem& it, std::size_t depth) {
    it.kind = TItem::kInterp;
    Skip();
    IAC_ASSIGN(it.expr, Expression(depth + 1));
    return CloseTemplateSequence(it, "interpolation");
  }

  Status Directive(TItem& it, std::size_t depth) {
    Skip();
    std::size_t kw_at = pos_;
    std::string kw = PeekIdent();
    pos_ += kw.size();
    Skip();
    if (kw == "if") {
      it.kind = TItem::kIf;
      IAC_ASSIGN(it.expr, Expression(depth + 1));
    } else if (kw == "else") {
      it.kind = TItem::kElse;
    } else if (kw == "endif") {
      it.kind = TItem::kEndIf;
    } else if (kw == "endfor") {
      it.kind = TItem::kEndFor;
    } else if (kw == "for") {
      it.kind = TItem::kFor;
      if (!AtIdent()) return Fail(Err(pos_, "expected a variable name after 'for'", ""));
      it.value_var = Ident();
      Skip();
      if (Peek() == ',') {
        ++pos_;
        Skip();
        it.key_var = it.value_var;
        it.value_var = Ident();
        Skip();
      }
      if (PeekIdent() != "in") return Fail(Err(pos_, "expected 'in' in a template for directive", ""));
      pos_ += 2;
      Skip();
      IAC_ASSIGN(it.expr, Expression(depth + 1));
    } else {
      return Fail(Err(kw_at, "unknown template directive '" + kw + "'", "directives are if, else, endif, for and endfor"));
    }
    return CloseTemplateSequence(it, "template directive");
  }

  // Applies strip markers, then nests directives into a template node.
  Result<ExprPtr> BuildTemplate(std::vector<TItem>& items, std::size_t from, std::size_t& i, TItem::Kind until, bool top, std::size_t nest = 0) {
    if (nest > kMaxNesting) return Fail(Err(from, "template directives nested too deeply (limit " + std::to_string(kMaxNesting) + ")", ""));
    auto t = Node(ExprKind::kTemplate, from);
    while (i < items.size()) {
      TItem& it = items[i];
      if (it.kind == TItem::kElse || it.kind == TItem::kEndIf || it.kind == TItem::kEndFor) {
        if (top || (it.kind != until && !(until == TItem::kEndIf && it.kind == TItem::kElse)))
          return Fail(Err(it.pos.byte, "unexpected template directive here", "check the matching %{if}/%{for}"));
        return t;
      }
      ++i;
      if (it.kind == TItem::kLit) {
        auto l = Node(ExprKind::kLiteral, it.pos.byte);
        l->value = NormalizeNfc(std::move(it.text));
        t->kids.push_back(std::move(l));
      } else if (it.kind == TItem::kInterp) {
        t->kids.push_back(std::move(it.expr));
      } else if (it.kind == TItem::kIf) {
        auto d = Node(ExprKind::kTemplateIf, it.pos.byte);
        d->kids.push_back(std::move(it.expr));
        ExprPtr then;
        IAC_ASSIGN(then, BuildTemplate(items, it.pos.byte, i, TItem::kEndIf, false, nest + 1));
        ExprPtr other;
        if (i >= items.size()) return Fail(Err(it.pos.byte, "%{if} has no %{endif}", ""));
        if (items[i].kind == TItem::kElse) {
          ++i;
          IAC_ASSIGN(other, BuildTemplate(items, it.pos.byte, i, TItem::kEndIf, false, nest + 1));
          if (i >= items.size() || items[i].kind != TItem::kEndIf) return Fail(Err(it.pos.byte, "%{if} has no %{endif}", ""));
        }
        ++i;
        d->kids.push_back(std::move(then));
        d->kids.push_back(std::move(other));
        t->kids.push_back(std::move(d));
      } else if (it.kind == TItem::kFor) {
        auto d = Node(ExprKind::kTemplateFor, it.pos.byte);
        d->key_var = it.key_var;
        d->value_var = it.value_var;
        d->kids.push_back(std::move(it.expr));
        ExprPtr body;
        IAC_ASSIGN(body, BuildTemplate(items, it.pos.byte, i, TItem::kEndFor, false, nest + 1));
        if (i >= items.size() || items[i].kind != TItem::kEndFor) return Fail(Err(it.pos.byte, "%{for} has no %{endfor}", ""));
        ++i;
        d->kids.push_back(std::move(body));
        t->kids.push_back(std::move(d));
      }
    }
    if (!top) return Fail(Err(from, until == TItem::kEndIf ? "%{if} has no %{endif}" : "%{for} has no %{endfor}", ""));
    return t;
  }

  static void ApplyStrips(std::vector<TItem>& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].kind == TItem::kLit) continue;
      if (items[i].strip_before && i > 0 && items[i - 1].kind == TItem::kLit) {
        auto& s = items[i - 1].text;
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
      }
      if (items[i].strip_after && i + 1 < items.size() && items[i + 1].kind == TItem::kLit) {
        auto& s = items[i + 1].text;
        s.erase(0, std::min(s.size(), s.find_first_not_of(" \t\r\n")));
      }
    }
  }

  Result<ExprPtr> FinishTemplate(std::vector<TItem>& items, std::size_t from) {
    ApplyStrips(items);
    std::size_t i = 0;
    ExprPtr t;
    IAC_ASSIGN(t, BuildTemplate(items, from, i, TItem::kLit, true));
    t->end = pos_;
    // a template of literals only is a literal string
    bool literal = std::all_of(t->kids.begin(), t->kids.end(), [](const ExprPtr& k) { return k->kind == ExprKind::kLiteral && k->value.is_string(); });
    if (literal) {
      std::string s;
      for (const auto& k : t->kids) s += k->value.get<std::string>();
      auto l = Node(ExprKind::kLiteral, from);
      l->value = s;
      l->end = pos_;
      return l;
    }
    return t;
  }

  Result<ExprPtr> QuotedTemplate(std::size_t depth) {
    std::size_t from = pos_++;
    std::vector<TItem> items;
    TG_TRY(ScanTemplate(items, true, 0, depth));
    return FinishTemplate(items, from);
  }

  Result<ExprPtr> Heredoc(std::size_t depth) {
    std::size_t from = pos_;
    pos_ += 2;
    bool flush = false;
    if (Peek() == '-') {
      flush = true;
      ++pos_;
    }
    if (!AtIdent()) return Fail(Err(pos_, "expected a heredoc marker after '<<'", "the form is <<EOT ... EOT"));
    std::string marker = Ident();
    if (Peek() == '\r') ++pos_;
    if (Peek() != '\n') return Fail(Err(pos_, "the heredoc marker must end its line", ""));
    ++pos_;
    std::size_t content = pos_;
    // find the closing line
    std::size_t k = content;
    std::size_t close = std::string_view::npos;
    while (k <= s_.size()) {
      std::size_t nl = s_.find('\n', k);
      std::size_t le = nl == std::string_view::npos ? s_.size() : nl;
      std::string_view line = s_.substr(k, le - k);
      std::size_t a = line.find_first_not_of(" \t");
      std::size_t b = line.find_last_not_of(" \t\r");
      if (a != std::string_view::npos && line.substr(a, b - a + 1) == marker) {
        close = k;
        break;
      }
      if (nl == std::string_view::npos) break;
      k = nl + 1;
    }
    if (close == std::string_view::npos) return Fail(Err(from, "heredoc '" + marker + "' is not closed", "end it with a line holding only " + marker));
    std::vector<TItem> items;
    TG_TRY(ScanTemplate(items, false, close, depth));
    pos_ = close;
    while (!Eof() && Peek() != '\n' && Peek() != '\r') ++pos_;  // past the marker
    if (flush) {
      // strip the smallest indentation of the non-blank lines
      std::size_t indent = std::string::npos;
      for (std::size_t ls = content; ls < close;) {
        std::size_t nl = s_.find('\n', ls);
        std::string_view line = s_.substr(ls, (nl == std::string_view::npos ? close : std::min(nl, close)) - ls);
        std::size_t chars = 0, at = 0;
        for (std::size_t w; (w = SpaceBytes(line, at)) != 0; at += w) ++chars;
        if (at < line.size() && line.substr(at) != "\r") indent = std::min(indent, chars);
        if (nl == std::string_view::npos) break;
        ls = nl + 1;
      }
      if (indent == std::string::npos) indent = 0;
      for (auto& it : items) {
        if (it.kind != TItem::kLit || !it.line_start) continue;
        std::size_t at = 0;
        for (std::size_t n = 0, w; n < indent && (w = SpaceBytes(it.text, at)) != 0; ++n) at += w;
        it.text.erase(0, at);
      }
    }
    items.erase(std::remove_if(items.begin(), items.end(), [](const TItem& it) { return it.kind == TItem::kLit && it.text.empty(); }), items.end());
    auto t = FinishTemplate(items, from);
    if (t && (*t)->kind == ExprKind::kTemplate && (*t)->kids.empty()) {
      auto l = Node(ExprKind::kLiteral, from);
      l->value = "";
      l->end = pos_;
      return l;
    }
    return t;
  }

  std::string name_;
  std::string_view s_;
  std::size_t pos_ = 0;
  bool nl_ignore_ = false;
  std::vector<std::size_t> line_starts_;
};

}  // namespace

Result<File> Parse(const std::string& name, std::string_view text) {
  Parser p(name, text);
  return p.ParseFile();
}

Result<ExprPtr> ParseExpression(const std::string& name, std::string_view text) {
  Parser p(name, text);
  return p.ParseStandalone();
}

}  // namespace tollgate::iac::hcl
