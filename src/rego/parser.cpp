#include "rego/parser.h"

#include <set>

#include "core/utf8.h"
#include "rego/documents.h"
#include "rego/internal.h"
#include "rego/lexer.h"

namespace tollgate::rego {

namespace {

// Thrown inside the parser only; ParseModule/ParseQuery turn it into an Error.
struct ParseError {
  std::string message;
};

constexpr int kMaxDepth = 200;

class Parser {
 public:
  Parser(std::vector<Token> toks, std::string file, std::string_view src, const ParseOptions& opts = {})
      : toks_(std::move(toks)), file_(std::move(file)), src_(src), version_(opts.version) {
    bool v1 = version_ == RegoVersion::kV1;
    kw_if_ = kw_contains_ = kw_in_ = kw_every_ = v1;
    v1_checks_ = v1;
  }

  // OPA's v1 errors found while parsing (all of them, as OPA reports them).
  const std::vector<std::string>& errors() const { return errors_; }

  Module ParseModuleTokens() {
    Module m;
    m.file = file_;
    m.version = version_;
    m.v1_compatible = version_ == RegoVersion::kV1;
    SkipNL();
    if (!IsIdent("package")) Fail("expected 'package'");
    m.package_loc = Loc();
    Next();
    Term pkg = ParseRefTerm();
    if (pkg.kind == TermKind::kVar) {
      m.package.push_back(Value::String(pkg.name));
    } else if (pkg.kind == TermKind::kRef) {
      std::size_t start = 0;
      if (pkg.args[0].kind == TermKind::kVar && pkg.args[0].name == "data") start = 1;
      if (start == 0) m.package.push_back(Value::String(pkg.args[0].name));
      for (std::size_t i = 1; i < pkg.args.size(); ++i) {
        if (pkg.args[i].kind != TermKind::kScalar || !pkg.args[i].value.is_string()) Fail("package path must be strings");
        m.package.push_back(pkg.args[i].value);
      }
    } else {
      Fail("expected a package name");
    }
    EndOfStatement();
    while (true) {
      SkipNLAndSemis();
      if (Peek().kind == Tok::kEof) break;
      if (IsKeyword("import")) {
        m.imports.push_back(ParseImport());
        ApplyImport(m.imports.back(), m);
        EndOfStatement();
        continue;
      }
      for (auto& r : ParseRules()) m.rules.push_back(std::move(r));
    }
    return m;
  }

  Body ParseQueryTokens() {
    Body b;
    SkipNLAndSemis();
    while (Peek().kind != Tok::kEof) {
      b.exprs.push_back(ParseExpr());
      if (Peek().kind == Tok::kEof) break;
      if (!IsPunct(";") && Peek().kind != Tok::kNewline) Fail("expected ';' or a new line");
      SkipNLAndSemis();
    }
    if (b.exprs.empty()) Fail("expected a query");
    return b;
  }

 private:
  const Token& Peek(std::size_t ahead = 0) const {
    std::size_t k = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[k];
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool IsIdent(const char* s, std::size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kIdent && Peek(ahead).text == s;
  }
  // A keyword, unless directly followed by '.' (then it names a rule: as.foo).
  // In v0, `if`, `contains`, `in` and `every` are keywords only once imported.
  bool IsKeyword(const char* s, std::size_t ahead = 0) const {
    return KeywordEnabled(s) && IsIdent(s, ahead) && !(IsPunct(".", ahead + 1) && !Peek(ahead + 1).space_before);
  }
  bool KeywordEnabled(std::string_view s) const {
    if (s == "if") return kw_if_;
    if (s == "contains") return kw_contains_;
    if (s == "in") return kw_in_;
    if (s == "every") return kw_every_;
    return true;
  }

  // future.keywords[.kw] and rego.v1 imports: keywords (v0) and v1 checks.
  void ApplyImport(const Import& im, Module& m) {
    const Term& p = im.path;
    if (p.kind != TermKind::kRef || p.args[0].kind != TermKind::kVar) {
      if (p.kind == TermKind::kVar && (p.name == "future" || p.name == "rego"))
        ImportError(im, p.name == "future" ? "invalid import, must be `future.keywords`"
                                           : "invalid import `rego`, must be `rego.v1`");
      return;
    }
    const std::string& root = p.args[0].name;
    if (root != "future" && root != "rego") return;
    std::vector<std::string> parts;
    for (std::size_t i = 1; i < p.args.size(); ++i)
      parts.push_back(p.args[i].value.is_string() ? p.args[i].value.as_string() : "?");
    if (!im.alias.empty()) {
      ImportError(im, "`" + root + "` imports cannot be aliased");
      return;
    }
    if (root == "rego") {
      if (parts.size() != 1 || parts[0] != "v1") {
        std::string path = "rego";
        for (const auto& x : parts) path += "." + x;
        ImportError(im, "invalid import `" + path + "`, must be `rego.v1`");
        return;
      }
      kw_if_ = kw_contains_ = kw_in_ = kw_every_ = true;
      v1_checks_ = true;
      m.v1_compatible = true;
      return;
    }
    if (parts.empty() || parts[0] != "keywords" || parts.size() > 2) {
      ImportError(im, "invalid import, must be `future.keywords`");
      return;
    }
    if (parts.size() == 1) {
      kw_if_ = kw_contains_ = kw_in_ = kw_every_ = true;
      return;
    }
    const std::string& kw = parts[1];
    if (kw == "if") kw_if_ = true;
    else if (kw == "contains") kw_contains_ = true;
    else if (kw == "in") kw_in_ = true;
    else if (kw == "every") kw_every_ = true;
    else ImportError(im, "unexpected keyword, must be one of [contains every if in]");
  }
  [[noreturn]] void ImportError(const Import& im, const std::string& what) const {
    throw ParseError{im.loc.ToString() + ": rego_parse_error: " + what};
  }
  void V1Error(const Location& loc, const std::string& what) {
    errors_.push_back(loc.ToString() + ": rego_parse_error: " + what);
  }
  bool IsPunct(const char* s, std::size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kPunct && Peek(ahead).text == s;
  }
  Location Loc() const { return {file_, Peek().line, Peek().col}; }
  std::string Describe(const Token& t) const {
    switch (t.kind) {
      case Tok::kEof: return "end of file";
      case Tok::kNewline: return "end of line";
      case Tok::kString: return "string";
      case Tok::kTemplate: return "template string";
      default: return "'" + t.text + "'";
    }
  }
  [[noreturn]] void Fail(const std::string& what) const {
    const Token& t = Peek();
    throw ParseError{file_ + ":" + std::to_string(t.line) + ":" + std::to_string(t.col) + ": rego_parse_error: " + what +
                     ", found " + Describe(t)};
  }
  void Expect(const char* p) {
    if (!IsPunct(p)) Fail(std::string("expected '") + p + "'");
    Next();
  }
  void SkipNL() {
    while (Peek().kind == Tok::kNewline) Next();
  }
  void SkipNLAndSemis() {
    while (Peek().kind == Tok::kNewline || IsPunct(";")) Next();
  }
  void EndOfStatement() {
    if (Peek().kind == Tok::kEof || Peek().kind == Tok::kNewline || IsPunct(";")) return;
    Fail("expected end of line");
  }

  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p_(p) {
      if (++p_->depth_ > kMaxDepth) p_->Fail("nesting too deep");
    }
    ~DepthGuard() { --p_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    Parser* p_;
  };

  Import ParseImport() {
    Import im;
    im.loc = Loc();
    Next();
    im.path = ParseRefTerm();
    if (IsKeyword("as")) {
      Next();
      if (Peek().kind != Tok::kIdent) Fail("expected an alias name after 'as'");
      im.alias = Next().text;
    }
    return im;
  }

  static Term MakeScalar(Value v, Location loc) {
    Term t;
    t.kind = TermKind::kScalar;
    t.value = std::move(v);
    t.loc = std::move(loc);
    t.ground = true;
    return t;
  }
  static Term MakeVar(std::string name, Location loc) {
    Term t;
    t.kind = TermKind::kVar;
    t.name = std::move(name);
    t.loc = std::move(loc);
    return t;
  }
  static Term MakeCall(std::string op, std::vector<Term> args, Location loc) {
    Term t;
    t.kind = TermKind::kCall;
    t.name = std::move(op);
    t.args = std::move(args);
    t.loc = std::move(loc);
    return t;
  }

  // A name ref as used by package, import and rule heads: var(.name|[term])*
  Term ParseRefTerm() {
    if (Peek().kind != Tok::kIdent) Fail("expected a name");
    Location loc = Loc();
    Term head = MakeVar(Next().text, loc);
    return ParseRefTail(std::move(head));
  }

  Term ParseRefTail(Term head) {
    if (!(IsPunct(".") || (IsPunct("[") && !Peek().space_before))) return head;
    Term ref;
    ref.kind = TermKind::kRef;
    ref.loc = head.loc;
    ref.args.push_back(std::move(head));
    std::vector<SegSpan> spans;
    while (true) {
      SegSpan sp;
      if (record_) sp.start = Off(Peek());
      if (IsPunct(".") && !Peek().space_before) {
        Next();
        if (Peek().kind != Tok::kIdent) Fail("expected a name after '.'");
        Location l = Loc();
        sp.dotted = true;
        if (record_) sp.inner_start = Off(Peek());
        ref.args.push_back(MakeScalar(Value::String(Next().text), l));
        if (record_) sp.end = sp.inner_end = sp.inner_start + ref.args.back().value.as_string().size();
      } else if (IsPunct("[") && !Peek().space_before) {
        Next();
        SkipNL();
        if (record_) sp.inner_start = Off(Peek());
        ref.args.push_back(ParseTerm());
        if (record_) sp.inner_end = TrimEnd(Off(Peek()));
        SkipNL();
        if (record_) sp.end = Off(Peek()) + 1;
        Expect("]");
      } else {
        break;
      }
      if (record_) spans.push_back(sp);
    }
    if (record_) last_ref_spans_ = std::move(spans);
    return ref;
  }

  static std::string RefName(const Term& t) {
    if (t.kind == TermKind::kVar) return t.name;
    if (t.kind != TermKind::kRef) return "";
    std::string s = t.args[0].kind == TermKind::kVar ? t.args[0].name : "";
    for (std::size_t i = 1; i < t.args.size(); ++i) {
      if (t.args[i].kind == TermKind::kScalar && t.args[i].value.is_string()) {
        s += "." + t.args[i].value.as_string();
      } else {
        return "";
      }
    }
    return s;
  }

  enum class BodyKind { kNone, kIf, kBraced };

  // One rule statement; v0 rules with several bodies (`p { a } { b }`) give
  // one rule per body.
  std::vector<std::shared_ptr<Rule>> ParseRules() {
    auto r = std::make_shared<Rule>();
    r->loc = Loc();
    if (IsKeyword("default")) {
      Next();
      r->is_default = true;
    }
    if (Peek().kind != Tok::kIdent) Fail("expected a rule name");
    const std::size_t head_start = record_ ? Off(Peek()) : 0;
    last_ref_spans_.clear();
    Term head = ParseRefTerm();
    const std::vector<SegSpan> head_spans = last_ref_spans_;
    if (head.kind == TermKind::kVar) {
      r->head_ref.push_back(head);
    } else {
      r->head_ref = head.args;
    }
    const std::size_t ref_len = r->head_ref.size();
    r->name = head.kind == TermKind::kVar ? head.name : RefName(head);
    if (r->name.empty()) r->name = r->head_ref[0].name;
    bool is_function = false;
    if (IsPunct("(") && !Peek().space_before) {
      is_function = true;
      Next();
      SkipNL();
      while (!IsPunct(")")) {
        r->args.push_back(ParseTerm());
        SkipNL();
        if (IsPunct(",")) {
          Next();
          SkipNL();
        } else if (!IsPunct(")")) {
          Fail("expected ',' or ')'");
        }
      }
      Next();
    }
    bool contains = false;
    if (IsKeyword("contains")) {
      Next();
      contains = true;
      r->keys.push_back(ParseTerm());
    }
    if (IsPunct(":=") || IsPunct("=")) {
      Next();
      SkipNL();
      r->value = ParseTerm();
      r->has_value = true;
    }
    const bool has_if = !r->is_default && IsKeyword("if");
    const std::size_t head_end = record_ ? TrimEnd(Off(Peek())) : 0;
    // OPA: `p[x] { }` and `p.q { }` (a two-part head with neither value nor
    // `if`) are partial set rules; in v1 they fail the `contains` check.
    const bool v0_set = !r->is_default && !is_function && !contains && !r->has_value && !has_if && ref_len == 2;
    if (v0_set) {
      r->kind = RuleKind::kPartialSet;
      r->keys.push_back(r->head_ref[1]);
      r->head_ref.resize(1);
      if (record_ && !head_spans.empty()) {
        // p[x] -> p contains x; p.q -> p contains "q"
        const SegSpan& sp = head_spans.back();
        if (sp.dotted) {
          Replace(sp.start, sp.end, " contains \"" + std::string(src_.substr(sp.inner_start, sp.inner_end - sp.inner_start)) + "\"");
        } else {
          Replace(sp.start, sp.inner_start, " contains ");
          Replace(sp.inner_end, sp.end, "");
        }
      }
    } else {
      // Ref heads: the first non-ground component onwards are keys.
      std::size_t first_var = r->head_ref.size();
      for (std::size_t i = 1; i < r->head_ref.size(); ++i) {
        if (r->head_ref[i].kind != TermKind::kScalar) {
          first_var = i;
          break;
        }
      }
      std::vector<Term> dyn(r->head_ref.begin() + static_cast<std::ptrdiff_t>(first_var), r->head_ref.end());
      r->head_ref.resize(first_var);
      if (is_function) {
        if (!dyn.empty()) Fail("function names must be ground");
        r->kind = RuleKind::kFunction;
      } else if (contains) {
        r->kind = RuleKind::kPartialSet;
        dyn.push_back(std::move(r->keys[0]));
        r->keys = std::move(dyn);
      } else if (!dyn.empty()) {
        // p[x] := v, p[x].q[y] := v, and p[x] if ... (value true).
        r->kind = RuleKind::kPartialObject;
        r->keys = std::move(dyn);
      }
    }
    if (r->is_default) {
      if (!r->has_value) r->value = MakeScalar(Value::Bool(true), r->loc), r->has_value = true;
      return {r};
    }
    const char* what = is_function ? "function" : "rule";
    BodyKind bk = ParseRuleBody(*r, r->body);
    if (bk == BodyKind::kNone && !contains && !is_function && !r->has_value && ref_len == 1)
      throw ParseError{r->loc.ToString() + ": rego_parse_error: var cannot be used for rule name"};
    if (record_ && bk == BodyKind::kNone && !v0_set && !contains && !is_function && !r->has_value)
      Replace(head_end, head_end, " := true");  // a.b.c alone -> a.b.c := true
    if (v1_checks_) {
      if (bk == BodyKind::kBraced) V1Error(r->loc, std::string("`if` keyword is required before ") + what + " body");
      if (v0_set) V1Error(r->loc, "`contains` keyword is required for partial set rules");
      if (bk == BodyKind::kNone && !v0_set && !contains && !is_function && !r->has_value)
        V1Error(r->loc, std::string(what) + " must have value assignment and/or body declaration");
    }
    // else chain
    while (true) {
      std::size_t save = pos_;
      SkipNL();
      if (!IsKeyword("else")) {
        pos_ = save;
        break;
      }
      if (r->kind == RuleKind::kPartialSet) Fail("else keyword cannot be used on multi-value rules");
      if (!r->keys.empty()) Fail("else keyword cannot be used on rules with variables in head");
      auto e = std::make_shared<Rule>();
      e->loc = Loc();
      Next();
      if (IsPunct(":=") || IsPunct("=")) {
        Next();
        e->value = ParseTerm();
        e->has_value = true;
      }
      if (ParseRuleBody(*e, e->body) == BodyKind::kBraced && v1_checks_)
        V1Error(e->loc, std::string("`if` keyword is required before ") + what + " body");
      r->else_chain.push_back(std::move(e));
    }
    std::vector<std::shared_ptr<Rule>> out{r};
    if (bk == BodyKind::kNone) return out;
    // Further bodies: `p { a } { b }` defines p twice (OPA's chained bodies).
    while (true) {
      std::size_t save = pos_;
      SkipNL();
      if (!IsPunct("{")) {
        pos_ = save;
        break;
      }
      if (!r->else_chain.empty()) Fail("expected else keyword");
      if (record_) {
        // The next body becomes a rule of its own: `\n\n<head> if {`.
        std::size_t open = Off(Peek());
        Edit e;
        e.start = e.end = open;
        if (src_.substr(last_close_ + 1, open - last_close_ - 1).find_first_not_of(" \t\r\n") == std::string_view::npos)
          e.start = last_close_ + 1;
        e.head_start = head_start;
        e.head_end = head_end;
        edits_.push_back(std::move(e));
      }
      auto next = std::make_shared<Rule>();
      next->loc = Loc();
      next->kind = r->kind;
      next->head_ref = r->head_ref;
      next->keys = r->keys;
      next->args = r->args;
      next->value = r->value;
      next->has_value = r->has_value;
      next->name = r->name;
      next->body = ParseBracedBody();
      if (v1_checks_ && bk != BodyKind::kIf)
        V1Error(next->loc, std::string("`if` keyword is required before ") + what + " body");
      out.push_back(std::move(next));
    }
    return out;
  }

  BodyKind ParseRuleBody(Rule& r, Body& body) {
    if (IsKeyword("if")) {
      Next();
      if (IsPunct("{")) {
        // `if {` opens a body, unless it is an object/set term: try both.
        std::size_t save = pos_;
        try {
          body = ParseBracedBody();
        } catch (const ParseError& first) {
          pos_ = save;
          body = Body();
          try {
            body.exprs.push_back(ParseExpr());
          } catch (const ParseError&) {
            throw first;  // the body reading explains the problem better
          }
        }
      } else {
        SkipNL();
        body.exprs.push_back(ParseExpr());
      }
      return BodyKind::kIf;
    }
    if (IsPunct("{")) {
      if (record_) Replace(Off(Peek()), Off(Peek()), "if ");
      body = ParseBracedBody();
      return BodyKind::kBraced;
    }
    Term t = MakeScalar(Value::Bool(true), r.loc);
    Expr e;
    e.kind = ExprKind::kTerm;
    e.loc = r.loc;
    e.terms.push_back(t);
    body.exprs.push_back(std::move(e));
    return BodyKind::kNone;
  }

  Body ParseBracedBody() {
    DepthGuard g(this);
    Expect("{");
    Body b;
    SkipNLAndSemis();
    while (!IsPunct("}")) {
      b.exprs.push_back(ParseExpr());
      if (IsPunct("}")) break;
      if (!IsPunct(";") && Peek().kind != Tok::kNewline) Fail("expected ';', a new line or '}'");
      SkipNLAndSemis();
    }
    if (record_) last_close_ = Off(Peek());
    Next();
    if (b.exprs.empty()) Fail("expected a non-empty body");
    return b;
  }

  // Body of a comprehension: expressions up to (not including) `close`.
  std::shared_ptr<Body> ParseComprBody(const char* close) {
    auto b = std::make_shared<Body>();
    SkipNLAndSemis();
    while (!IsPunct(close)) {
      b->exprs.push_back(ParseExpr());
      if (IsPunct(close)) break;
      if (!IsPunct(";") && Peek().kind != Tok::kNewline) Fail(std::string("expected ';', a new line or '") + close + "'");
      SkipNLAndSemis();
    }
    if (b->exprs.empty()) Fail("expected a comprehension body");
    return b;
  }

  std::string SourceLine(int line) const {
    std::size_t start = 0;
    for (int l = 1; l < line && start < src_.size(); ++l) {
      auto nl = src_.find('\n', start);
      if (nl == std::string_view::npos) return "";
      start = nl + 1;
    }
    auto end = src_.find('\n', start);
    std::string s(src_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    auto b = s.find_first_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b);
  }

  Expr ParseExpr() {
    DepthGuard g(this);
    Expr e;
    e.loc = Loc();
    e.text = SourceLine(e.loc.line);
    if (IsKeyword("some")) {
      Next();
      std::vector<Term> ts;
      ts.push_back(ParseTermNoIn());
      while (IsPunct(",")) {
        Next();
        SkipNL();
        ts.push_back(ParseTermNoIn());
      }
      if (IsKeyword("in")) {
        Next();
        if (ts.size() > 2) Fail("expected at most two variables before 'in'");
        e.kind = ExprKind::kSomeIn;
        e.has_key = ts.size() == 2;
        Term coll = ParseTermNoIn();
        e.terms.push_back(e.has_key ? ts[0] : MakeScalar(Value::Null(), e.loc));
        e.terms.push_back(ts.back());
        e.terms.push_back(std::move(coll));
      } else {
        for (const auto& t : ts)
          if (t.kind != TermKind::kVar) Fail("expected variables after 'some'");
        e.kind = ExprKind::kSomeDecl;
        e.terms = std::move(ts);
      }
      ParseWiths(e);
      return e;
    }
    if (IsKeyword("every")) {
      Next();
      std::vector<Term> ts;
      ts.push_back(ParseTermNoIn());
      if (IsPunct(",")) {
        Next();
        ts.push_back(ParseTermNoIn());
      }
      if (!IsKeyword("in")) Fail("expected 'in' after every's variables");
      Next();
      e.kind = ExprKind::kEvery;
      e.has_key = ts.size() == 2;
      Term coll = ParseTermNoIn();
      e.terms.push_back(e.has_key ? ts[0] : MakeVar("_", e.loc));
      e.terms.push_back(ts.back());
      e.terms.push_back(std::move(coll));
      e.body = std::make_shared<Body>(ParseBracedBody());
      ParseWiths(e);
      return e;
    }
    if (IsKeyword("not")) {
      Next();
      e.negated = true;
    }
    Term lhs = ParseTerm(true);
    if (IsPunct(":=") || IsPunct("=")) {
      e.kind = IsPunct(":=") ? ExprKind::kAssign : ExprKind::kUnify;
      Next();
      SkipNL();
      e.terms.push_back(std::move(lhs));
      e.terms.push_back(ParseTerm());
    } else if (lhs.kind == TermKind::kCall) {
      e.kind = ExprKind::kCall;
      e.op = lhs.name;
      e.terms = lhs.args;
      e.call = std::move(lhs);
    } else {
      e.kind = ExprKind::kTerm;
      e.terms.push_back(std::move(lhs));
    }
    ParseWiths(e);
    return e;
  }

  void ParseWiths(Expr& e) {
    while (true) {
      // `with` may continue on the next line.
      std::size_t save = pos_;
      SkipNL();
      if (!IsKeyword("with")) {
        pos_ = save;
        break;
      }
      WithModifier w;
      w.loc = Loc();
      Next();
      w.target = ParseRefTerm();
      if (!IsKeyword("as")) Fail("expected 'as'");
      Next();
      w.value = ParseTerm();
      e.withs.push_back(std::move(w));
    }
  }

  // `allow_pair`: `k, v in xs` may start here (expression level, parentheses).
  Term ParseTerm(bool allow_pair = false) {
    DepthGuard g(this);
    Term lhs = ParseRelation();
    if (allow_pair && IsPunct(",")) {
      Location l = Loc();
      Next();
      SkipNL();
      Term v = ParseRelation();
      if (!IsKeyword("in")) Fail("expected 'in' after 'key, value'");
      Next();
      Term coll = ParseRelation();
      lhs = MakeCall("internal.member_3", {std::move(lhs), std::move(v), std::move(coll)}, l);
    }
    while (IsKeyword("in")) {
      Location l = Loc();
      Next();
      Term rhs = ParseRelation();
      lhs = MakeCall("internal.member_2", {std::move(lhs), std::move(rhs)}, l);
    }
    return lhs;
  }
  Term ParseTermNoIn() { return ParseRelation(); }

  Term ParseRelation() {
    Term lhs = ParseOr();
    while (true) {
      const char* op = nullptr;
      if (IsPunct("==")) op = "equal";
      else if (IsPunct("!=")) op = "neq";
      else if (IsPunct("<")) op = "lt";
      else if (IsPunct("<=")) op = "lte";
      else if (IsPunct(">")) op = "gt";
      else if (IsPunct(">=")) op = "gte";
      if (!op) return lhs;
      Location l = Loc();
      Next();
      SkipNL();
      Term rhs = ParseOr();
      lhs = MakeCall(op, {std::move(lhs), std::move(rhs)}, l);
    }
  }
  Term ParseOr() {
    Term lhs = ParseAnd();
    while (IsPunct("|") && no_bar_ == 0) {
      Location l = Loc();
      Next();
      SkipNL();
      Term rhs = ParseAnd();
      lhs = MakeCall("or", {std::move(lhs), std::move(rhs)}, l);
    }
    return lhs;
  }
  Term ParseAnd() {
    Term lhs = ParseArith();
    while (IsPunct("&")) {
      Location l = Loc();
      Next();
      SkipNL();
      Term rhs = ParseArith();
      lhs = MakeCall("and", {std::move(lhs), std::move(rhs)}, l);
    }
    return lhs;
  }
  Term ParseArith() {
    Term lhs = ParseFactor();
    while (IsPunct("+") || IsPunct("-")) {
      Location l = Loc();
      const char* op = IsPunct("+") ? "plus" : "minus";
      Next();
      SkipNL();
      Term rhs = ParseFactor();
      lhs = MakeCall(op, {std::move(lhs), std::move(rhs)}, l);
    }
    return lhs;
  }
  Term ParseFactor() {
    Term lhs = ParseUnary();
    while (IsPunct("*") || IsPunct("/") || IsPunct("%")) {
      Location l = Loc();
      const char* op = IsPunct("*") ? "mul" : (IsPunct("/") ? "div" : "rem");
      Next();
      SkipNL();
      Term rhs = ParseUnary();
      lhs = MakeCall(op, {std::move(lhs), std::move(rhs)}, l);
    }
    return lhs;
  }
  Term ParseUnary() {
    if (IsPunct("-")) {
      Location l = Loc();
      Next();
      if (Peek().kind == Tok::kNumber && !Peek().space_before) {
        std::string text = "-" + Next().text;
        return ParseRefTail(MakeScalar(Value::NumberFromText(text), l));
      }
      Term operand = ParseUnary();
      return MakeCall("minus", {MakeScalar(Value::Int(0), l), std::move(operand)}, l);
    }
    return ParsePrimary();
  }

  std::vector<Term> ParseArgs(const char* close) {
    std::vector<Term> args;
    bool saved = in_args_;
    in_args_ = true;
    int saved_bar = no_bar_;
    no_bar_ = 0;
    SkipNL();
    last_arg_spans_.clear();
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    while (!IsPunct(close)) {
      std::size_t a = record_ ? Off(Peek()) : 0;
      args.push_back(ParseTerm());
      if (record_) spans.emplace_back(a, TrimEnd(Off(Peek())));
      SkipNL();
      if (IsPunct(",")) {
        Next();
        SkipNL();
      } else if (!IsPunct(close)) {
        Fail(std::string("expected ',' or '") + close + "'");
      }
    }
    if (record_) last_close_ = Off(Peek());
    Next();
    in_args_ = saved;
    no_bar_ = saved_bar;
    last_arg_spans_ = std::move(spans);
    return args;
  }

  Term ParsePrimary() {
    DepthGuard g(this);
    const Token& t = Peek();
    Location loc = Loc();
    switch (t.kind) {
      case Tok::kNumber: {
        Value v = Value::NumberFromText(t.text);
        Next();
        return MakeScalar(std::move(v), loc);
      }
      case Tok::kString: {
        if (!IsValidUtf8(t.text)) Fail("invalid UTF-8 in string");
        Value v = Value::String(t.text);
        Next();
        return ParseRefTail(MakeScalar(std::move(v), loc));
      }
      case Tok::kTemplate: return ParseTemplate();
      case Tok::kIdent: {
        bool dotted = IsPunct(".", 1) && !Peek(1).space_before;
        if (!dotted && (t.text == "true" || t.text == "false")) {
          bool b = t.text == "true";
          Next();
          return MakeScalar(Value::Bool(b), loc);
        }
        if (!dotted && t.text == "null") {
          Next();
          return MakeScalar(Value::Null(), loc);
        }
        if (t.text == "set" && IsPunct("(", 1) && IsPunct(")", 2)) {
          Next();
          Next();
          Next();
          Term s;
          s.kind = TermKind::kSet;
          s.loc = loc;
          return s;
        }
        static const std::set<std::string> kReserved = {"not", "with", "as", "default", "else", "import", "package",
                                                        "some", "every", "if", "contains", "in"};
        bool called = IsPunct("(", 1) && !Peek(1).space_before;
        if (!dotted && !called && kReserved.count(t.text) && KeywordEnabled(t.text)) Fail("expected a term");
        const Token t_start = Peek();
        Term head = MakeVar(Next().text, loc);
        // A dotted name followed by '(' is a call.
        std::string name = head.name;
        std::size_t save = pos_;
        while (IsPunct(".") && !Peek().space_before && Peek(1).kind == Tok::kIdent) {
          Next();
          name += "." + Next().text;
        }
        if (IsPunct("(") && !Peek().space_before) {
          Next();
          std::size_t call_start = record_ ? Off(t_start) : 0;
          Term call = MakeCall(name, ParseArgs(")"), loc);
          if (record_ && template_depth_ == 0 && IsDeprecatedBuiltin(name)) {
            Edit e;
            e.start = call_start;
            e.end = last_close_ + 1;
            e.call = name;
            e.args = last_arg_spans_;
            edits_.push_back(std::move(e));
          }
          return ParseRefTail(std::move(call));
        }
        pos_ = save;
        return ParseRefTail(std::move(head));
      }
      case Tok::kPunct: {
        if (t.text == "(") {
          Next();
          int saved_bar = no_bar_;
          no_bar_ = 0;
          bool saved = in_args_;
          in_args_ = true;
          SkipNL();
          Term inner = ParseTerm(true);
          SkipNL();
          Expect(")");
          no_bar_ = saved_bar;
          in_args_ = saved;
          return ParseRefTail(std::move(inner));
        }
        if (t.text == "[") return ParseRefTail(ParseArrayLike());
        if (t.text == "{") return ParseRefTail(ParseBraceLike());
        break;
      }
      default: break;
    }
    Fail("expected a term");
  }

  Term ParseTemplate() {
    struct Depth {
      int& d;
      explicit Depth(int& x) : d(x) { ++d; }
      ~Depth() { --d; }
      Depth(const Depth&) = delete;
      Depth& operator=(const Depth&) = delete;
    } depth(template_depth_);
    Term t;
    t.kind = TermKind::kTemplate;
    t.loc = Loc();
    Next();  // opening marker
    while (true) {
      if (Peek().kind == Tok::kTemplate && Peek().text == "\x04") {
        Next();
        break;
      }
      if (Peek().kind == Tok::kString) {
        t.args.push_back(MakeScalar(Value::String(Next().text), t.loc));
        continue;
      }
      if (Peek().kind == Tok::kTemplate && Peek().text == "\x02") {
        Next();
        Term inner = ParseTerm();
        if (IsKeyword("with")) {
          // {t with ...}: evaluate as [v | v = t with ...][0].
          Expr e;
          e.kind = ExprKind::kUnify;
          e.loc = inner.loc;
          std::string v = "__tpl" + std::to_string(template_vars_++) + "__";
          e.terms.push_back(MakeVar(v, inner.loc));
          e.terms.push_back(std::move(inner));
          ParseWiths(e);
          Term compr;
          compr.kind = TermKind::kArrayCompr;
          compr.loc = e.loc;
          compr.args.push_back(MakeVar(v, e.loc));
          compr.body = std::make_shared<Body>();
          compr.body->exprs.push_back(std::move(e));
          Term ref;
          ref.kind = TermKind::kRef;
          ref.loc = compr.loc;
          ref.args.push_back(std::move(compr));
          ref.args.push_back(MakeScalar(Value::Int(0), ref.loc));
          inner = std::move(ref);
        }
        if (!(Peek().kind == Tok::kTemplate && Peek().text == "\x03")) Fail("expected '}' in template string");
        Next();
        t.args.push_back(std::move(inner));
        continue;
      }
      Fail("malformed template string");
    }
    return t;
  }

  Term ParseArrayLike() {
    Location loc = Loc();
    Next();  // [
    bool saved = in_args_;
    in_args_ = true;
    SkipNL();
    Term t;
    t.loc = loc;
    t.kind = TermKind::kArray;
    if (IsPunct("]")) {
      Next();
      in_args_ = saved;
      return t;
    }
    ++no_bar_;
    Term first = ParseTerm();
    --no_bar_;
    SkipNL();
    t.args.push_back(std::move(first));
    if (IsPunct("|")) return FinishComprehension(std::move(t), TermKind::kArrayCompr, "]", saved);
    return FinishCollection(std::move(t), "]", false, saved);
  }

  // After the head(s) of a comprehension, at "|": the body up to `close`.
  Term FinishComprehension(Term t, TermKind kind, const char* close, bool saved_in_args) {
    Next();
    in_args_ = false;
    int saved_bar = no_bar_;
    no_bar_ = 0;
    t.kind = kind;
    t.body = ParseComprBody(close);
    Next();
    no_bar_ = saved_bar;
    in_args_ = saved_in_args;
    return t;
  }

  // After the first element (or key: value pair): the rest of the
  // comma-separated members up to `close` (a trailing comma is allowed).
  Term FinishCollection(Term t, const char* close, bool pairs, bool saved_in_args) {
    while (IsPunct(",")) {
      Next();
      SkipNL();
      if (IsPunct(close)) break;
      t.args.push_back(ParseTerm());
      SkipNL();
      if (pairs) {
        Expect(":");
        SkipNL();
        t.args.push_back(ParseTerm());
        SkipNL();
      }
    }
    Expect(close);
    in_args_ = saved_in_args;
    return t;
  }

  Term ParseBraceLike() {
    Location loc = Loc();
    Next();  // {
    bool saved = in_args_;
    in_args_ = true;
    SkipNL();
    Term t;
    t.loc = loc;
    if (IsPunct("}")) {
      Next();
      t.kind = TermKind::kObject;
      in_args_ = saved;
      return t;
    }
    ++no_bar_;
    Term first = ParseTerm();
    SkipNL();
    if (IsPunct(":")) {
      Next();
      SkipNL();
      Term val = ParseTerm();
      --no_bar_;
      SkipNL();
      t.args.push_back(std::move(first));
      t.args.push_back(std::move(val));
      if (IsPunct("|")) return FinishComprehension(std::move(t), TermKind::kObjectCompr, "}", saved);
      t.kind = TermKind::kObject;
      return FinishCollection(std::move(t), "}", true, saved);
    }
    --no_bar_;
    t.args.push_back(std::move(first));
    if (IsPunct("|")) return FinishComprehension(std::move(t), TermKind::kSetCompr, "}", saved);
    t.kind = TermKind::kSet;
    return FinishCollection(std::move(t), "}", false, saved);
  }

  std::vector<Token> toks_;
  std::string file_;
  std::string_view src_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int no_bar_ = 0;
  int template_vars_ = 0;
  bool in_args_ = false;
  RegoVersion version_ = RegoVersion::kV1;
  bool kw_if_ = true, kw_contains_ = true, kw_in_ = true, kw_every_ = true;
  bool v1_checks_ = true;
  std::vector<std::string> errors_;

 public:
  // ---- the v0-to-v1 rewrite: source edits recorded while parsing v0 ----
  struct Edit {
    std::size_t start = 0, end = 0;  // the replaced span (start == end: an insertion)
    std::string text;
    std::string call;                                        // a deprecated built-in call to rewrite
    std::vector<std::pair<std::size_t, std::size_t>> args;  // its arguments' spans
    std::size_t head_start = 0, head_end = 0;                // a chained body: the head to repeat
  };
  void RecordEdits() {
    record_ = true;
    std::size_t start = 0;
    line_starts_.push_back(0);
    while ((start = src_.find('\n', start)) != std::string_view::npos) line_starts_.push_back(++start);
  }
  // The source with every recorded edit applied.
  std::string Rewritten() {
    std::stable_sort(edits_.begin(), edits_.end(), [](const Edit& a, const Edit& b) {
      return a.start != b.start ? a.start < b.start : a.end < b.end;
    });
    return Render(0, src_.size());
  }

 private:
  struct SegSpan {
    std::size_t start = 0, end = 0, inner_start = 0, inner_end = 0;
    bool dotted = false;
  };
  std::size_t Off(const Token& t) const {
    std::size_t line = static_cast<std::size_t>(t.line);
    if (line == 0 || line > line_starts_.size()) return src_.size();
    return std::min(src_.size(), line_starts_[line - 1] + static_cast<std::size_t>(t.col) - 1);
  }
  // `end` moved back over trailing whitespace and comments' newlines.
  std::size_t TrimEnd(std::size_t end) const {
    while (end > 0 && (src_[end - 1] == ' ' || src_[end - 1] == '\t' || src_[end - 1] == '\n' || src_[end - 1] == '\r')) --end;
    return end;
  }
  void Replace(std::size_t start, std::size_t end, std::string text) {
    Edit e;
    e.start = start;
    e.end = end;
    e.text = std::move(text);
    edits_.push_back(std::move(e));
  }
  std::string Render(std::size_t start, std::size_t end) const {
    std::string out;
    std::size_t pos = start;
    for (const auto& e : edits_) {
      if (e.start < pos || e.end > end || e.start < start) continue;  // nested in one already applied
      out.append(src_.substr(pos, e.start - pos));
      if (!e.call.empty()) {
        out += RenderCall(e);
      } else if (e.head_end > e.head_start) {
        out += "\n\n" + Render(e.head_start, e.head_end) + " if ";
      } else {
        out += e.text;
      }
      pos = e.end;
    }
    if (pos < end) out.append(src_.substr(pos, end - pos));
    return out;
  }
  // The v1 spelling of a deprecated built-in call.
  std::string RenderCall(const Edit& e) const {
    std::vector<std::string> a;
    for (const auto& [s, t] : e.args) a.push_back(Render(s, t));
    // Undefined when the argument is (as the built-ins were): the value is
    // built inside [ ... | u := arg][0].
    std::string v = "__v" + std::to_string(e.start) + "__";
    std::string u = "__u" + std::to_string(e.start) + "__";
    std::string r;
    const std::string& n = e.call;
    std::size_t arity = (n == "set_diff" || n == "re_match" || n == "net.cidr_overlap") ? 2 : 1;
    if (a.size() != arity && a.size() != arity + 1) return std::string(src_.substr(e.start, e.end - e.start));
    if (n == "re_match") r = "regex.match(" + a[0] + ", " + a[1] + ")";
    else if (n == "net.cidr_overlap") r = "net.cidr_contains(" + a[0] + ", " + a[1] + ")";
    else if (n == "set_diff") r = "(" + a[0] + " - " + a[1] + ")";
    else if (n == "any") r = "(true in " + a[0] + ")";
    else if (n == "all") r = "[count([" + v + " | some " + v + " in " + u + "; " + v + " != true]) == 0 | " + u + " := " + a[0] + "][0]";
    else if (n == "cast_array") r = "[[" + v + " | some " + v + " in " + u + "] | " + u + " := " + a[0] + "][0]";
    else if (n == "cast_set") r = "[{" + v + " | some " + v + " in " + u + "} | " + u + " := " + a[0] + "][0]";
    else {
      std::string check = n == "cast_string" ? "is_string" : n == "cast_boolean" ? "is_boolean" : n == "cast_null" ? "is_null" : "is_object";
      r = "[" + u + " | " + u + " := " + a[0] + "; " + check + "(" + u + ")][0]";
    }
    if (a.size() == arity + 1) r = a.back() + " = " + r;
    return r;
  }

  bool record_ = false;
  std::vector<std::size_t> line_starts_;
  std::vector<Edit> edits_;
  std::vector<SegSpan> last_ref_spans_;
  std::vector<std::pair<std::size_t, std::size_t>> last_arg_spans_;
  std::size_t last_close_ = 0;
  int template_depth_ = 0;
};

}  // namespace

namespace {

// OPA's annotation form: authors as {name, email} objects.
Value NormalizeAnnotations(const Value& v, const char* default_scope) {
  ObjectItems items;
  bool has_scope = false;
  for (const auto& [k, x] : v.object()) {
    std::string key = k.is_string() ? k.as_string() : "";
    if (key == "scope") has_scope = true;
    if (key == "authors" && x.is_array()) {
      Array authors;
      for (const auto& a : x.items()) {
        if (!a.is_string()) {
          authors.push_back(a);
          continue;
        }
        std::string s = a.as_string();
        ObjectItems au;
        auto lt = s.find('<');
        auto gt = s.rfind('>');
        if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
          std::string name = s.substr(0, lt);
          while (!name.empty() && name.back() == ' ') name.pop_back();
          au.emplace_back(Value::String("email"), Value::String(s.substr(lt + 1, gt - lt - 1)));
          if (!name.empty()) au.emplace_back(Value::String("name"), Value::String(name));
        } else {
          au.emplace_back(Value::String("name"), Value::String(s));
        }
        authors.push_back(Value::MakeObject(std::move(au)));
      }
      items.emplace_back(k, Value::MakeArray(std::move(authors)));
      continue;
    }
    items.emplace_back(k, x);
  }
  if (!has_scope) items.emplace_back(Value::String("scope"), Value::String(default_scope));
  return Value::MakeObject(std::move(items));
}

// Attaches `# METADATA` comment blocks to the package or rule that follows.
Status AttachAnnotations(std::string_view src, const std::string& file, Module& m) {
  auto comments = LexComments(src);
  for (std::size_t i = 0; i < comments.size(); ++i) {
    std::string t = comments[i].text;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(t.begin());
    while (!t.empty() && (t.back() == ' ' || t.back() == '\r')) t.pop_back();
    if (t != "METADATA") continue;
    std::string yaml;
    int line = comments[i].line;
    std::size_t j = i + 1;
    for (; j < comments.size() && comments[j].line == line + 1; ++j, ++line) {
      std::string c = comments[j].text;
      if (!c.empty() && c[0] == ' ') c.erase(c.begin());
      yaml += c + "\n";
    }
    i = j - 1;
    auto docs = ParseYamlDocuments(yaml, file + ":" + std::to_string(comments[i].line));
    if (!docs) return Fail(Error::Input(file + ":" + std::to_string(line) + ": rego_parse_error: invalid METADATA: " + docs.error().message()));
    Value ann = docs->empty() || !(*docs)[0].is_object() ? Value::EmptyObject() : (*docs)[0];
    int target = line + 1;
    if (m.package_loc.line == target) {
      m.package_annotations = NormalizeAnnotations(ann, "package");
      continue;
    }
    for (auto& r : m.rules) {
      if (r->loc.line == target) r->annotations = NormalizeAnnotations(ann, "rule");
    }
  }
  return Ok();
}

}  // namespace

Result<Module> ParseModule(std::string_view src, const std::string& file, const ParseOptions& opts) {
  if (!IsValidUtf8(src)) return Fail(Error::Input(file + ":1:1: rego_parse_error: source is not valid UTF-8"));
  auto toks = Lex(src, file);
  if (!toks) return Fail(Error::Input(toks.error().message()));
  Module m;
  try {
    Parser p(std::move(*toks), file, src, opts);
    m = p.ParseModuleTokens();
    if (!p.errors().empty()) {
      std::string msg;
      for (std::size_t i = 0; i < p.errors().size() && i < 10; ++i) msg += (i ? "; " : "") + p.errors()[i];
      return Fail(Error::Input(msg));
    }
  } catch (const ParseError& e) {
    return Fail(Error::Input(e.message));
  }
  if (src.find("METADATA") != std::string_view::npos) TG_TRY(AttachAnnotations(src, file, m));
  return m;
}

Result<std::string> RewriteV0ToV1(std::string_view src, const std::string& file) {
  if (!IsValidUtf8(src)) return Fail(Error::Input(file + ":1:1: rego_parse_error: source is not valid UTF-8"));
  auto toks = Lex(src, file);
  if (!toks) return Fail(Error::Input(toks.error().message()));
  std::string out;
  try {
    ParseOptions po;
    po.version = RegoVersion::kV0;
    Parser p(std::move(*toks), file, src, po);
    p.RecordEdits();
    Module m = p.ParseModuleTokens();
    if (!p.errors().empty()) return Fail(Error::Input(p.errors()[0]));
    out = p.Rewritten();
  } catch (const ParseError& e) {
    return Fail(Error::Input(e.message));
  }
  auto check = ParseModule(out, file, ParseOptions{});
  if (!check) return Fail(Error::Input("the v1 rewrite does not parse: " + check.error().message()));
  return out;
}

Result<Body> ParseQuery(std::string_view src, const std::string& file) {
  if (!IsValidUtf8(src)) return Fail(Error::Input(file + ":1:1: rego_parse_error: query is not valid UTF-8"));
  auto toks = Lex(src, file);
  if (!toks) return Fail(Error::Input(toks.error().message()));
  try {
    Parser p(std::move(*toks), file, src);
    return p.ParseQueryTokens();
  } catch (const ParseError& e) {
    return Fail(Error::Input(e.message));
  }
}

}  // namespace tollgate::rego
