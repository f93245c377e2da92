// The compiler: merges modules into the document tree, resolves names
// (locals to frame slots, rule names and imports to data refs, calls to
// functions and built-ins), checks arity, and orders every body so each
// expression runs after the expressions that bind its inputs (OPA's safety
// reordering), reporting unsafe variables.
#include <algorithm>
#include <functional>
#include <set>

#include "rego/internal.h"
#include "rego/parser.h"

namespace tollgate::rego {

namespace {

struct CompileError {
  std::string message;
};

[[noreturn]] void Throw(const Location& loc, const std::string& code, const std::string& what) {
  throw CompileError{loc.ToString() + ": " + code + ": " + what};
}

std::string PathString(const std::vector<Value>& path) {
  std::string s = "data";
  for (const auto& p : path) s += "." + (p.is_string() ? p.as_string() : ToRegoString(p));
  return s;
}

Term MakeVar(const std::string& name, const Location& loc) {
  Term t;
  t.kind = TermKind::kVar;
  t.name = name;
  t.loc = loc;
  return t;
}

Term DataRef(const std::vector<Value>& path, const Location& loc) {
  Term t;
  t.kind = TermKind::kRef;
  t.loc = loc;
  t.args.push_back(MakeVar("data", loc));
  for (const auto& p : path) {
    Term s;
    s.kind = TermKind::kScalar;
    s.value = p;
    s.loc = loc;
    s.ground = true;
    t.args.push_back(std::move(s));
  }
  return t;
}

// What a body's names resolve to.
struct Scope {
  Scope* parent = nullptr;
  std::map<std::string, int> vars;
  std::set<int> locals;
  // Names declared with := and the index of the declaring expression: a
  // nested body sees them only from that expression on.
  std::map<std::string, std::size_t> decl_index;
  std::size_t current = 0;
};

struct PackageCtx {
  std::vector<Value> path;
  std::set<std::string> rule_names;
  std::map<std::string, Term> imports;  // alias -> ref term (data... or input...)
  bool v1_checks = false;  // a v1 module (or v0 with rego.v1): deprecated built-ins are refused
  bool query = false;      // a query body: `==` is a call (OPA rewrites it to `=` only in rules)
};

class Compiler {
 public:
  // `mut` is the policy being built; queries compile against a finished one.
  Compiler(const Policy::Impl& impl, Policy::Impl* mut) : impl_(impl), mut_(mut) {}

  void Build() {
    for (auto& m : mut_->modules) {
      if (std::find(mut_->packages.begin(), mut_->packages.end(), m->package) == mut_->packages.end())
        mut_->packages.push_back(m->package);
      NodeAt(m->package);
      if (m->package_annotations.defined()) mut_->package_annotations[m->package] = m->package_annotations;
      for (auto& r : m->rules) Place(*m, r);
    }
    for (auto& m : mut_->modules) {
      CheckModule(*m);
      PackageCtx pkg = ContextFor(*m);
      for (auto& r : m->rules) CompileRule(pkg, *r);
    }
  }

  // OPA's root-document checks: function arguments never shadow input/data;
  // in v1 modules neither do rule names nor := variables.
  static void CheckShadowingBody(const Body& b) {
    for (const auto& e : b.exprs) {
      if (e.kind == ExprKind::kAssign && e.terms[0].kind == TermKind::kVar &&
          (e.terms[0].name == "input" || e.terms[0].name == "data"))
        Throw(e.loc, "rego_compile_error", "variables must not shadow " + e.terms[0].name + " (use a different variable name)");
      for (const auto& t : e.terms) CheckShadowingTerm(t);
      if (e.kind == ExprKind::kCall)
        for (const auto& t : e.call.args) CheckShadowingTerm(t);
      if (e.body) CheckShadowingBody(*e.body);
    }
  }
  static void CheckShadowingTerm(const Term& t) {
    if (t.body) CheckShadowingBody(*t.body);
    for (const auto& a : t.args) CheckShadowingTerm(a);
  }
  // Arguments are patterns: a variable named input or data anywhere in one
  // (but in object keys, sets and calls) would shadow the root document.
  static void CheckArgShadowing(const Rule& r, const Term& a) {
    if (a.kind == TermKind::kVar && (a.name == "input" || a.name == "data"))
      Throw(r.loc, "rego_compile_error", "args must not shadow " + a.name + " (use a different variable name)");
    if (a.kind == TermKind::kArray)
      for (const auto& x : a.args) CheckArgShadowing(r, x);
    if (a.kind == TermKind::kObject)
      for (std::size_t i = 1; i < a.args.size(); i += 2) CheckArgShadowing(r, a.args[i]);
  }
  static void CheckModule(const Module& m) {
    for (const auto& r : m.rules) {
      for (const auto& a : r->args) CheckArgShadowing(*r, a);
      if (!m.v1_compatible) continue;
      const std::string& name = r->head_ref[0].name;
      if (name == "input" || name == "data")
        Throw(r->loc, "rego_compile_error", "rules must not shadow " + name + " (use a different rule name)");
      CheckShadowingBody(r->body);
      for (const auto& e : r->else_chain) CheckShadowingBody(e->body);
      for (const auto& k : r->keys) CheckShadowingTerm(k);
      if (r->has_value) CheckShadowingTerm(r->value);
    }
  }

  Body CompileQuery(const std::string& text) {
    auto parsed = ParseQuery(text, "query");
    if (!parsed) throw CompileError{parsed.error().message()};
    Body body = std::move(*parsed);
    PackageCtx pkg;
    pkg.query = true;
    slot_names_.clear();
    wildcards_.clear();
    Scope scope;
    ResolveBody(body, scope, pkg, {});
    std::set<int> bound;
    Reorder(body, bound, scope.locals);
    body.num_slots = static_cast<int>(slot_names_.size());
    query_vars_ = scope.vars;
    return body;
  }

  std::map<std::string, int> query_vars_;
  std::vector<std::string> slot_names_;

 private:
  Node* NodeAt(const std::vector<Value>& path) {
    Node* n = &mut_->root;
    for (const auto& p : path) {
      n->has_rules_below = true;
      auto& c = n->children[p];
      if (!c) {
        c = std::make_unique<Node>();
        c->path = n->path;
        c->path.push_back(p);
      }
      n = c.get();
    }
    return n;
  }

  void Place(const Module& m, const std::shared_ptr<Rule>& r) {
    r->package = PathString(m.package);
    r->path = m.package;
    r->path.push_back(Value::String(r->head_ref[0].name));
    for (std::size_t i = 1; i < r->head_ref.size(); ++i) r->path.push_back(r->head_ref[i].value);
    Node* n = NodeAt(r->path);
    if (r->kind == RuleKind::kFunction) {
      if (!n->functions) {
        n->functions = std::make_unique<FunctionGroup>();
        n->functions->path = r->path;
        n->functions->arity = r->args.size();
      }
      if (!n->rules.empty()) Throw(r->loc, "rego_type_error", "conflicting rules " + PathString(r->path) + " found");
      if (n->functions->arity != r->args.size())
        Throw(r->loc, "rego_type_error", "function " + r->name + " has arity " + std::to_string(r->args.size()) +
                                             ", other definitions have " + std::to_string(n->functions->arity));
      if (r->is_default) {
        n->functions->default_rule = r.get();
      } else {
        n->functions->rules.push_back(r.get());
      }
      return;
    }
    if (r->is_default) {
      if (n->default_rule) Throw(r->loc, "rego_type_error", "multiple default rules " + r->name + " found");
      n->default_rule = r.get();
      return;
    }
    // Rules at one path must build the same kind of document.
    auto shape = [](const Rule* x) {
      if (x->kind == RuleKind::kComplete) return 0;
      if (x->kind == RuleKind::kPartialSet && x->keys.size() == 1) return 1;
      return 2;
    };
    if (!n->rules.empty() && shape(n->rules[0]) != shape(r.get()))
      Throw(r->loc, "rego_type_error", "conflicting rules " + PathString(r->path) + " found");
    if (n->functions) Throw(r->loc, "rego_type_error", "conflicting rules " + PathString(r->path) + " found");
    n->rules.push_back(r.get());
  }

  static std::string ImportText(const Import& im) {
    std::string s = "import ";
    const Term& p = im.path;
    if (p.kind == TermKind::kVar) {
      s += p.name;
    } else {
      s += p.args[0].name;
      for (std::size_t i = 1; i < p.args.size(); ++i)
        s += p.args[i].value.is_string() ? "." + p.args[i].value.as_string() : "[" + ToRegoString(p.args[i].value) + "]";
    }
    if (!im.alias.empty()) s += " as " + im.alias;
    return s;
  }

  PackageCtx ContextFor(const Module& m) {
    PackageCtx pkg;
    pkg.path = m.package;
    pkg.v1_checks = m.v1_compatible;
    std::map<std::string, const Import*> seen;
    const Node* n = &impl_.root;
    for (const auto& p : m.package) {
      auto it = n->children.find(p);
      if (it == n->children.end()) {
        n = nullptr;
        break;
      }
      n = it->second.get();
    }
    if (n)
      for (const auto& [k, c] : n->children)
        if (k.is_string()) pkg.rule_names.insert(k.as_string());
    // Rule names from every module of the package (the children above) and
    // this module's own rules.
    for (const auto& r : m.rules) pkg.rule_names.insert(r->head_ref[0].name);
    for (const auto& im : m.imports) {
      const Term& p = im.path;
      std::string root = p.kind == TermKind::kVar ? p.name : (p.kind == TermKind::kRef ? p.args[0].name : "");
      if (root == "future" || root == "rego") continue;
      if (root != "data" && root != "input") Throw(im.loc, "rego_parse_error", "import path must begin with data or input");
      std::string alias = im.alias;
      if (alias.empty()) {
        if (p.kind == TermKind::kVar) {
          alias = p.name;
        } else {
          const Term& last = p.args.back();
          alias = last.value.is_string() ? last.value.as_string() : "";
        }
      }
      if (!alias.empty()) {
        if (m.v1_compatible && seen.count(alias))
          Throw(im.loc, "rego_compile_error", "import must not shadow " + ImportText(*seen[alias]));
        seen[alias] = &im;
        pkg.imports[alias] = p;
      }
    }
    return pkg;
  }

  int NewSlot(Scope& s, const std::string& name) {
    int slot = static_cast<int>(slot_names_.size());
    slot_names_.push_back(name);
    s.locals.insert(slot);
    return slot;
  }

  // Declared names of one expression (:=, some, some-in).
  static void DeclaredPatternVars(const Term& t, std::set<std::string>& out) {
    if (t.kind == TermKind::kVar) {
      if (t.name != "_") out.insert(t.name);
      return;
    }
    if (t.kind == TermKind::kArray) {
      for (const auto& a : t.args) DeclaredPatternVars(a, out);
    } else if (t.kind == TermKind::kObject) {
      for (std::size_t i = 1; i < t.args.size(); i += 2) DeclaredPatternVars(t.args[i], out);
    }
  }

  // Names used by a term outside nested bodies.
  static void UsedNames(const Term& t, std::set<std::string>& out) {
    switch (t.kind) {
      case TermKind::kVar:
        if (t.name != "_") out.insert(t.name);
        return;
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: return;
      default:
        for (const auto& a : t.args) UsedNames(a, out);
    }
  }

  static bool NamesFunction(const Term& t) {
    std::string name;
    if (t.kind == TermKind::kVar) {
      name = t.name;
    } else if (t.kind == TermKind::kRef && t.args[0].kind == TermKind::kVar) {
      name = t.args[0].name;
      for (std::size_t i = 1; i < t.args.size(); ++i) {
        if (!t.args[i].value.is_string()) return false;
        name += "." + t.args[i].value.as_string();
      }
    } else {
      return false;
    }
    return Builtins().Find(name) != nullptr;
  }

  static void UsedNamesExpr(const Expr& e, std::set<std::string>& out) {
    for (const auto& t : e.terms) UsedNames(t, out);
    if (e.kind == ExprKind::kCall)
      for (const auto& a : e.call.args) UsedNames(a, out);
    for (const auto& w : e.withs)
      if (!NamesFunction(w.value)) UsedNames(w.value, out);
  }

  void ResolveBody(Body& body, Scope& scope, const PackageCtx& pkg, const std::vector<const Term*>& extra_terms) {
    std::set<std::string> declared;
    std::set<std::string> some_declared;
    std::set<std::string> used;
    for (std::size_t idx = 0; idx < body.exprs.size(); ++idx) {
      const Expr& e = body.exprs[idx];
      if (e.kind == ExprKind::kAssign) {
        std::set<std::string> names;
        DeclaredPatternVars(e.terms[0], names);
        for (const auto& n : names) {
          declared.insert(n);
          if (!scope.decl_index.count(n)) scope.decl_index[n] = idx;
        }
      }
      if (e.kind == ExprKind::kSomeDecl)
        for (const auto& t : e.terms) {
          declared.insert(t.name);
          some_declared.insert(t.name);
        }
      if (e.kind == ExprKind::kSomeIn) {
        if (e.has_key) DeclaredPatternVars(e.terms[0], declared);
        DeclaredPatternVars(e.terms[1], declared);
      }
      if (e.kind != ExprKind::kEvery) {
        UsedNamesExpr(e, used);
      } else {
        UsedNames(e.terms[2], used);
        for (const auto& w : e.withs) UsedNames(w.value, used);
      }
    }
    for (const Term* t : extra_terms) UsedNames(*t, used);
    for (const auto& name : declared) {
      if (!scope.vars.count(name)) scope.vars[name] = NewSlot(scope, name);
    }
    for (const auto& name : used) {
      if (scope.vars.count(name)) continue;
      if (LookupOuter(scope.parent, name) >= 0) continue;
      if (name == "input" || name == "data") continue;
      if (pkg.rule_names.count(name) || pkg.imports.count(name)) continue;
      scope.vars[name] = NewSlot(scope, name);
    }
    for (std::size_t idx = 0; idx < body.exprs.size(); ++idx) {
      scope.current = idx;
      ResolveExpr(body.exprs[idx], scope, pkg);
    }
    HoistNegated(body, scope, pkg);
    if (!some_declared.empty()) LocaliseClosureOnlyVars(body, scope, some_declared, extra_terms);
  }

  // OPA: a variable a body declares with `some` but never uses outside its
  // comprehensions is not bound by that body, so each comprehension that
  // uses it binds it itself (`some i; x := [v | input[i] == 1; v := i]`).
  void LocaliseClosureOnlyVars(Body& body, const Scope& scope, const std::set<std::string>& some_declared,
                               const std::vector<const Term*>& heads) {
    std::set<int> outside;
    std::set<std::string> head_names;
    for (const Term* h : heads) UsedNames(*h, head_names);
    for (const auto& e : body.exprs) {
      if (e.kind == ExprKind::kSomeDecl) continue;
      for (const auto& t : e.terms) CollectAll(t, outside);
      for (const auto& w : e.withs) CollectAll(w.value, outside);
      if (e.kind == ExprKind::kCall)
        for (const auto& a : e.call.args) CollectAll(a, outside);
      if (e.body) FreeSlotsBody(*e.body, {}, outside);
    }
    std::set<int> candidates;
    for (const auto& name : some_declared) {
      auto it = scope.vars.find(name);
      if (it == scope.vars.end() || outside.count(it->second) || head_names.count(name)) continue;
      candidates.insert(it->second);
    }
    if (candidates.empty()) return;
    std::function<void(const Term&)> visit = [&](const Term& t) {
      if (t.body && (t.kind == TermKind::kArrayCompr || t.kind == TermKind::kSetCompr || t.kind == TermKind::kObjectCompr)) {
        std::set<int> free;
        FreeSlots(t, {}, free);
        for (int s : candidates)
          if (free.count(s)) body_locals_[t.body.get()].insert(s);
        return;
      }
      for (const auto& a : t.args) visit(a);
    };
    for (const auto& e : body.exprs) {
      for (const auto& t : e.terms) visit(t);
      for (const auto& w : e.withs) visit(w.value);
    }
  }

  // OPA's "rewrite dynamic terms": the references, calls and nested calls a
  // negated call or comparison takes as arguments are bound by expressions
  // of their own before it, outside the `not`. So `not f(input.missing)` is
  // undefined (the body fails) when input.missing is undefined, and
  // `not startswith(input.names[_], "a")` holds when some name does not
  // start with "a". In rules `a == b` is unification (refs stay inside the
  // negation, only calls nested in them move out); in queries it is a call.
  void HoistNegated(Body& body, Scope& scope, const PackageCtx& pkg) {
    bool any = false;
    for (const auto& e : body.exprs) any = any || e.negated;
    if (!any) return;
    std::vector<Expr> out;
    out.reserve(body.exprs.size());
    for (auto& e : body.exprs) {
      if (e.negated) {
        std::vector<Expr> extra;
        auto hoist = [&](Term& t) {
          Expr g;
          g.kind = ExprKind::kUnify;
          g.loc = t.loc;
          g.op = "=";
          g.text = e.text;
          g.withs = e.withs;
          Term v;
          v.kind = TermKind::kVar;
          v.loc = t.loc;
          v.name = "__local" + std::to_string(hoisted_++) + "__";
          v.slot = NewSlot(scope, v.name);
          scope.vars[v.name] = v.slot;
          g.terms.push_back(v);
          g.terms.push_back(std::move(t));
          t = std::move(v);
          extra.push_back(std::move(g));
        };
        std::function<void(Term&)> one = [&](Term& t) {
          switch (t.kind) {
            case TermKind::kRef:
            case TermKind::kCall: hoist(t); return;
            case TermKind::kArray:
            case TermKind::kSet:
            case TermKind::kObject:
              for (auto& a : t.args) one(a);
              return;
            default: return;
          }
        };
        // A term in equality position: a call moves out whole; a ref keeps its
        // place but its dynamic operands move out.
        auto in_eq = [&](Term& t) {
          if (t.kind == TermKind::kCall) {
            hoist(t);
          } else if (t.kind == TermKind::kRef) {
            if (t.args[0].kind != TermKind::kVar) one(t.args[0]);
            for (std::size_t i = 1; i < t.args.size(); ++i) one(t.args[i]);
          } else if (t.kind != TermKind::kArrayCompr && t.kind != TermKind::kSetCompr &&
                     t.kind != TermKind::kObjectCompr) {
            one(t);
          }
        };
        if (e.kind == ExprKind::kTerm && e.terms[0].kind == TermKind::kCall) {
          Term& call = e.terms[0];
          if (!pkg.query && call.name == "equal" && call.builtin && call.args.size() == 2) {
            for (auto& a : call.args) in_eq(a);
          } else {
            for (auto& a : call.args) one(a);
          }
        } else if (e.kind == ExprKind::kTerm) {
          if (e.terms[0].kind != TermKind::kCall) in_eq(e.terms[0]);
        } else if (e.kind == ExprKind::kUnify && e.op == "call") {
          one(e.terms[0]);
          for (auto& a : e.terms[1].args) one(a);
        } else if (e.kind == ExprKind::kUnify || e.kind == ExprKind::kAssign) {
          for (auto& t : e.terms) in_eq(t);
        }
        for (auto& x : extra) out.push_back(std::move(x));
      }
      out.push_back(std::move(e));
    }
    body.exprs = std::move(out);
  }

  static int LookupOuter(const Scope* s, const std::string& name) {
    for (; s; s = s->parent) {
      auto it = s->vars.find(name);
      if (it == s->vars.end()) continue;
      auto d = s->decl_index.find(name);
      if (d != s->decl_index.end() && d->second > s->current) continue;
      return it->second;
    }
    return -1;
  }

  // Turns e into `some out in walk(x)`: walk is a relation over [path, value].
  static void MakeWalkIteration(Expr& e, Term walk, Term out) {
    e.kind = ExprKind::kSomeIn;
    e.has_key = false;
    e.terms.clear();
    Term none;
    none.kind = TermKind::kScalar;
    none.value = Value::Null();
    none.ground = true;
    e.terms.push_back(std::move(none));
    e.terms.push_back(std::move(out));
    e.terms.push_back(std::move(walk));
  }

  void ResolveExpr(Expr& e, Scope& scope, const PackageCtx& pkg) {
    if (e.kind == ExprKind::kEvery) {
      ResolveTerm(e.terms[2], scope, pkg);
      for (auto& w : e.withs) ResolveTerm(w.value, scope, pkg);
      auto inner = std::make_unique<Scope>();
      inner->parent = &scope;
      std::set<std::string> decl;
      DeclaredPatternVars(e.terms[0], decl);
      DeclaredPatternVars(e.terms[1], decl);
      for (const auto& n : decl) inner->vars[n] = NewSlot(*inner, n);
      ResolveTerm(e.terms[0], *inner, pkg);
      ResolveTerm(e.terms[1], *inner, pkg);
      ResolveBody(*e.body, *inner, pkg, {});
      body_locals_[e.body.get()] = inner->locals;
      scopes_.push_back(std::move(inner));
      return;
    }
    if (e.kind == ExprKind::kCall) {
      for (auto& a : e.call.args) ResolveTerm(a, scope, pkg);
      if (!ResolveCallName(e.call, pkg)) Throw(e.call.loc, "rego_type_error", "undefined function " + e.call.name);
      // Normalise: a call with one argument more than its arity binds its
      // output; otherwise it is a term expression.
      std::size_t arity = CallArity(e.call);
      if (e.call.args.size() == arity + 1 && e.call.name == "walk") {
        // walk(x, [path, value]) enumerates: iterate the set of pairs.
        Term out = e.call.args.back();
        e.call.args.pop_back();
        MakeWalkIteration(e, std::move(e.call), std::move(out));
      } else if (e.call.args.size() == arity + 1) {
        Term out = e.call.args.back();
        e.call.args.pop_back();
        e.op = "call";  // f(x, out): the call is the expression, not an operand
        e.kind = ExprKind::kUnify;
        e.terms.clear();
        e.terms.push_back(std::move(out));
        e.terms.push_back(std::move(e.call));
      } else {
        CheckArity(e.call, arity);
        e.kind = ExprKind::kTerm;
        e.terms.clear();
        e.terms.push_back(std::move(e.call));
      }
      e.call = Term();
    } else {
      for (auto& t : e.terms) ResolveTerm(t, scope, pkg);
      // [path, value] := walk(x) enumerates like walk(x, [path, value]).
      if ((e.kind == ExprKind::kUnify || e.kind == ExprKind::kAssign) && e.terms.size() == 2) {
        auto is_walk = [](const Term& t) { return t.kind == TermKind::kCall && t.name == "walk" && t.args.size() == 1; };
        int call = is_walk(e.terms[1]) ? 1 : (e.kind == ExprKind::kUnify && is_walk(e.terms[0]) ? 0 : -1);
        if (call >= 0) {
          Term walk = std::move(e.terms[static_cast<std::size_t>(call)]);
          Term out = std::move(e.terms[static_cast<std::size_t>(1 - call)]);
          MakeWalkIteration(e, std::move(walk), std::move(out));
        }
      }
    }
    for (auto& w : e.withs) {
      if (NamesFunction(w.value) || IsPackageFunction(w.value, scope, pkg)) {
        std::string vn = w.value.kind == TermKind::kVar ? w.value.name : w.value.args[0].name;
        for (std::size_t i = 1; w.value.kind == TermKind::kRef && i < w.value.args.size(); ++i)
          vn += "." + w.value.args[i].value.as_string();
        Term call;
        call.kind = TermKind::kCall;
        call.name = vn;
        call.loc = w.value.loc;
        if (ResolveCallName(call, pkg)) {
          w.value = std::move(call);
        } else {
          ResolveTerm(w.value, scope, pkg);
        }
      } else {
        ResolveTerm(w.value, scope, pkg);
      }
      ResolveWithTarget(w, pkg);
    }
  }

  void ResolveWithTarget(WithModifier& w, const PackageCtx& pkg) {
    Term& t = w.target;
    std::string head = t.kind == TermKind::kVar ? t.name : t.args[0].name;
    if (head == "input" || head == "data") return;
    // A function (user or built-in) to replace.
    std::string name = head;
    if (t.kind == TermKind::kRef)
      for (std::size_t i = 1; i < t.args.size(); ++i) name += "." + t.args[i].value.as_string();
    Term call;
    call.kind = TermKind::kCall;
    call.name = name;
    call.loc = t.loc;
    if (!ResolveCallName(call, pkg)) Throw(w.loc, "rego_compile_error", "with keyword target must reference existing input, data, or a function: " + name);
    t = std::move(call);
    // The replacement may itself name a function.
    if (w.value.kind == TermKind::kVar || (w.value.kind == TermKind::kRef && !w.value.args.empty() &&
                                           w.value.args[0].kind == TermKind::kVar && w.value.args[0].name != "data" &&
                                           w.value.args[0].name != "input")) {
      std::string vn = w.value.kind == TermKind::kVar ? w.value.name : w.value.args[0].name;
      if (w.value.kind == TermKind::kRef) {
        bool all_str = true;
        for (std::size_t i = 1; i < w.value.args.size(); ++i) {
          if (!w.value.args[i].value.is_string()) all_str = false;
          else vn += "." + w.value.args[i].value.as_string();
        }
        if (!all_str) return;
      }
      Term call2;
      call2.kind = TermKind::kCall;
      call2.name = vn;
      call2.loc = w.value.loc;
      if (w.value.slot < 0 && ResolveCallName(call2, pkg)) w.value = std::move(call2);
    } else if (w.value.kind == TermKind::kRef && w.value.IsRootRef("data")) {
      std::vector<Value> path;
      for (std::size_t i = 1; i < w.value.args.size(); ++i) {
        if (!w.value.args[i].ground) return;
        path.push_back(w.value.args[i].value);
      }
      if (const FunctionGroup* g = FindFunction(path)) {
        Term call2;
        call2.kind = TermKind::kCall;
        call2.name = PathString(path);
        call2.loc = w.value.loc;
        call2.func = g;
        w.value = std::move(call2);
      }
    }
  }

  // A bare name of a function in this package (with f as g).
  bool IsPackageFunction(const Term& t, const Scope& scope, const PackageCtx& pkg) const {
    if (t.kind != TermKind::kVar || scope.vars.count(t.name) || LookupOuter(scope.parent, t.name) >= 0) return false;
    if (!pkg.rule_names.count(t.name)) return false;
    std::vector<Value> path = pkg.path;
    path.push_back(Value::String(t.name));
    return FindFunction(path) != nullptr;
  }

  const FunctionGroup* FindFunction(const std::vector<Value>& path) const {
    const Node* n = &impl_.root;
    for (const auto& p : path) {
      auto it = n->children.find(p);
      if (it == n->children.end()) return nullptr;
      n = it->second.get();
    }
    return n->functions.get();
  }

  // Resolves a call's name to a user function or a built-in.
  bool ResolveCallName(Term& call, const PackageCtx& pkg) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    const std::string& name = call.name;
    while (true) {
      auto dot = name.find('.', start);
      parts.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::vector<Value> path;
    bool have_path = false;
    if (parts[0] == "data") {
      for (std::size_t i = 1; i < parts.size(); ++i) path.push_back(Value::String(parts[i]));
      have_path = true;
    } else if (auto it = pkg.imports.find(parts[0]); it != pkg.imports.end() && it->second.IsRootRef("data")) {
      for (std::size_t i = 1; i < it->second.args.size(); ++i) path.push_back(it->second.args[i].value);
      for (std::size_t i = 1; i < parts.size(); ++i) path.push_back(Value::String(parts[i]));
      have_path = true;
    } else if (pkg.rule_names.count(parts[0])) {
      path = pkg.path;
      for (const auto& p : parts) path.push_back(Value::String(p));
      have_path = true;
    }
    if (have_path) {
      if (const FunctionGroup* g = FindFunction(path)) {
        call.func = g;
        call.name = PathString(path);
        return true;
      }
    }
    if (const Builtin* b = Builtins().Find(name)) {
      if (pkg.v1_checks && IsDeprecatedBuiltin(name))
        Throw(call.loc, "rego_type_error", "deprecated built-in function calls in expression: " + name);
      call.builtin = b;
      return true;
    }
    return false;
  }

  std::size_t CallArity(const Term& call) const {
    if (call.func) return call.func->arity;
    if (call.builtin) {
      int a = static_cast<const Builtin*>(call.builtin)->arity;
      return a < 0 ? call.args.size() : static_cast<std::size_t>(a);
    }
    return call.args.size();
  }

  void CheckArity(const Term& call, std::size_t arity) const {
    if (call.args.size() != arity)
      Throw(call.loc, "rego_type_error", call.name + ": arity mismatch: expected " + std::to_string(arity) +
                                             " arguments, got " + std::to_string(call.args.size()));
  }

  void ResolveTerm(Term& t, Scope& scope, const PackageCtx& pkg) {
    switch (t.kind) {
      case TermKind::kScalar: t.ground = true; return;
      case TermKind::kVar: {
        if (t.name == "_") {
          t.wildcard = true;
          t.slot = NewSlot(scope, "_");
          wildcards_.insert(t.slot);
          return;
        }
        auto it = scope.vars.find(t.name);
        if (it != scope.vars.end()) {
          t.slot = it->second;
          return;
        }
        int outer = LookupOuter(scope.parent, t.name);
        if (outer >= 0) {
          t.slot = outer;
          return;
        }
        // Imports and rule names come before the root documents (a v0 rule
        // named input is what `input` means in its package, as in OPA).
        bool root = t.name == "input" || t.name == "data";
        if (root && !pkg.imports.count(t.name) && !pkg.rule_names.count(t.name)) {
          Term ref;
          ref.kind = TermKind::kRef;
          ref.loc = t.loc;
          ref.args.push_back(t);
          t = std::move(ref);
          return;
        }
        if (auto imp = pkg.imports.find(t.name); imp != pkg.imports.end()) {
          Term ref = imp->second;
          if (ref.kind == TermKind::kVar) {
            Term r2;
            r2.kind = TermKind::kRef;
            r2.loc = t.loc;
            r2.args.push_back(ref);
            ref = std::move(r2);
          }
          t = std::move(ref);
          return;
        }
        if (pkg.rule_names.count(t.name)) {
          std::vector<Value> path = pkg.path;
          path.push_back(Value::String(t.name));
          t = DataRef(path, t.loc);
          return;
        }
        // Resolved as a new local by ResolveBody; reaching here means a head
        // term of a comprehension used a name not in scope.
        t.slot = NewSlot(scope, t.name);
        scope.vars[t.name] = t.slot;
        return;
      }
      case TermKind::kRef: {
        ResolveTerm(t.args[0], scope, pkg);
        if (t.args[0].kind == TermKind::kRef) {
          // The head resolved to a ref (rule name, import): splice.
          std::vector<Term> args = std::move(t.args[0].args);
          for (std::size_t i = 1; i < t.args.size(); ++i) args.push_back(std::move(t.args[i]));
          t.args = std::move(args);
        }
        for (std::size_t i = 1; i < t.args.size(); ++i) ResolveTerm(t.args[i], scope, pkg);
        return;
      }
      case TermKind::kCall: {
        for (auto& a : t.args) ResolveTerm(a, scope, pkg);
        if (!ResolveCallName(t, pkg)) Throw(t.loc, "rego_type_error", "undefined function " + t.name);
        if (t.name == "http.send" || t.name == "opa.runtime") return;
        CheckArity(t, CallArity(t));
        return;
      }
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: {
        auto inner = std::make_unique<Scope>();
        inner->parent = &scope;
        std::vector<const Term*> heads;
        for (const auto& a : t.args) heads.push_back(&a);
        ResolveBody(*t.body, *inner, pkg, heads);
        for (auto& a : t.args) ResolveTerm(a, *inner, pkg);
        body_locals_[t.body.get()] = inner->locals;
        scopes_.push_back(std::move(inner));
        return;
      }
      default: {
        bool all_ground = true;
        for (auto& a : t.args) {
          ResolveTerm(a, scope, pkg);
          if (!a.ground) all_ground = false;
        }
        if (all_ground && t.kind != TermKind::kTemplate) {
          // Fold a ground composite literal into one value.
          if (t.kind == TermKind::kArray) {
            Array items;
            for (auto& a : t.args) items.push_back(a.value);
            t.value = Value::MakeArray(std::move(items));
          } else if (t.kind == TermKind::kSet) {
            Array items;
            for (auto& a : t.args) items.push_back(a.value);
            t.value = Value::MakeSet(std::move(items));
          } else if (t.kind == TermKind::kObject) {
            ObjectItems items;
            std::set<Value> seen;
            for (std::size_t i = 0; i + 1 < t.args.size(); i += 2) {
              items.emplace_back(t.args[i].value, t.args[i + 1].value);
              seen.insert(t.args[i].value);
            }
            if (seen.size() != items.size()) Throw(t.loc, "rego_type_error", "object keys must be unique");
            t.value = Value::MakeObject(std::move(items));
          }
          t.kind = TermKind::kScalar;
          t.args.clear();
          t.ground = true;
        }
        return;
      }
    }
  }

  // ---- Safety ----

  struct VarUse {
    std::set<int> needs;
    std::set<int> outs;
  };

  void FreeSlots(const Term& t, const std::set<int>& locals, std::set<int>& out) const {
    if (t.kind == TermKind::kVar && t.slot >= 0 && !locals.count(t.slot)) out.insert(t.slot);
    if (t.body) {
      std::set<int> inner = locals;
      auto it = body_locals_.find(t.body.get());
      if (it != body_locals_.end()) inner.insert(it->second.begin(), it->second.end());
      for (const auto& a : t.args) FreeSlots(a, inner, out);
      FreeSlotsBody(*t.body, inner, out);
      return;
    }
    for (const auto& a : t.args) FreeSlots(a, locals, out);
  }
  void FreeSlotsBody(const Body& b, const std::set<int>& locals, std::set<int>& out) const {
    std::set<int> inner = locals;
    auto it = body_locals_.find(&b);
    if (it != body_locals_.end()) inner.insert(it->second.begin(), it->second.end());
    for (const auto& e : b.exprs) {
      for (const auto& t : e.terms) FreeSlots(t, inner, out);
      for (const auto& w : e.withs) FreeSlots(w.value, inner, out);
      if (e.body) FreeSlotsBody(*e.body, inner, out);
    }
  }

  void Analyze(const Term& t, bool pattern, VarUse& u) const {
    switch (t.kind) {
      case TermKind::kScalar: return;
      case TermKind::kVar:
        if (t.slot >= 0) (pattern ? u.outs : u.needs).insert(t.slot);
        return;
      case TermKind::kRef: {
        const Term& head = t.args[0];
        if (head.kind == TermKind::kVar) {
          if (head.slot >= 0) u.needs.insert(head.slot);
        } else {
          Analyze(head, false, u);
        }
        for (std::size_t i = 1; i < t.args.size(); ++i) {
          const Term& s = t.args[i];
          if (s.kind == TermKind::kVar) {
            if (s.slot >= 0) u.outs.insert(s.slot);
          } else {
            Analyze(s, s.kind == TermKind::kArray || s.kind == TermKind::kObject, u);
          }
        }
        return;
      }
      case TermKind::kArray:
        for (const auto& a : t.args) Analyze(a, pattern, u);
        return;
      case TermKind::kObject:
        for (std::size_t i = 0; i + 1 < t.args.size(); i += 2) {
          Analyze(t.args[i], false, u);
          Analyze(t.args[i + 1], pattern, u);
        }
        return;
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: {
        std::set<int> locals;
        auto it = body_locals_.find(t.body.get());
        if (it != body_locals_.end()) locals = it->second;
        std::set<int> free;
        for (const auto& a : t.args) FreeSlots(a, locals, free);
        FreeSlotsBody(*t.body, locals, free);
        u.needs.insert(free.begin(), free.end());
        return;
      }
      case TermKind::kCall: {
        // Arguments that are refs run first (the evaluator orders them so):
        // their iteration binds variables the other arguments use.
        VarUse inner;
        for (const auto& a : t.args) Analyze(a, false, inner);
        for (int o : inner.outs) inner.needs.erase(o);
        u.needs.insert(inner.needs.begin(), inner.needs.end());
        u.outs.insert(inner.outs.begin(), inner.outs.end());
        return;
      }
      default:
        for (const auto& a : t.args) Analyze(a, false, u);
        return;
    }
  }

  // Unbound variables in pattern position (bindable by unification).
  void PatternVars(const Term& t, const std::set<int>& bound, std::set<int>& out) const {
    if (t.kind == TermKind::kVar) {
      if (t.slot >= 0 && !bound.count(t.slot)) out.insert(t.slot);
    } else if (t.kind == TermKind::kArray) {
      for (const auto& a : t.args) PatternVars(a, bound, out);
    } else if (t.kind == TermKind::kObject) {
      for (std::size_t i = 1; i < t.args.size(); i += 2) PatternVars(t.args[i], bound, out);
    }
  }

  bool UnifySafe(const Term& a, const Term& b, const std::set<int>& bound) const {
    std::set<int> pa, pb;
    PatternVars(a, bound, pa);
    PatternVars(b, bound, pb);
    if (pa.empty() || pb.empty()) return true;
    if (a.kind == TermKind::kArray && b.kind == TermKind::kArray && a.args.size() == b.args.size()) {
      // Elements unify left to right; bindings of earlier pairs help later ones.
      std::set<int> bb = bound;
      std::vector<bool> done(a.args.size(), false);
      for (std::size_t round = 0; round < a.args.size(); ++round) {
        bool progress = false;
        for (std::size_t i = 0; i < a.args.size(); ++i) {
          if (done[i] || !UnifySafe(a.args[i], b.args[i], bb)) continue;
          PatternVars(a.args[i], {}, bb);
          PatternVars(b.args[i], {}, bb);
          done[i] = true;
          progress = true;
        }
        if (!progress) break;
      }
      return std::all_of(done.begin(), done.end(), [](bool d) { return d; });
    }
    if (a.kind == TermKind::kObject && b.kind == TermKind::kObject && a.args.size() == b.args.size()) {
      for (std::size_t i = 0; i + 1 < a.args.size(); i += 2) {
        bool matched = false;
        for (std::size_t j = 0; j + 1 < b.args.size(); j += 2) {
          if (a.args[i].ground && b.args[j].ground && a.args[i].value == b.args[j].value) {
            if (!UnifySafe(a.args[i + 1], b.args[j + 1], bound)) return false;
            matched = true;
          }
        }
        if (!matched) return true;  // fails at run time, harmlessly
      }
      return true;
    }
    return false;
  }

  struct ExprSafety {
    bool safe = false;
    std::set<int> outs;
    int unsafe_slot = -1;
  };

  ExprSafety CheckExpr(const Expr& e, const std::set<int>& bound) const {
    ExprSafety r;
    VarUse u;
    switch (e.kind) {
      case ExprKind::kTerm: Analyze(e.terms[0], false, u); break;
      case ExprKind::kUnify:
      case ExprKind::kAssign:
        Analyze(e.terms[0], true, u);
        Analyze(e.terms[1], true, u);
        break;
      case ExprKind::kSomeDecl: r.safe = true; return r;
      case ExprKind::kSomeIn:
        Analyze(e.terms[2], false, u);
        if (e.has_key) Analyze(e.terms[0], true, u);
        Analyze(e.terms[1], true, u);
        break;
      case ExprKind::kEvery: {
        Analyze(e.terms[2], false, u);
        std::set<int> locals;
        auto it = body_locals_.find(e.body.get());
        if (it != body_locals_.end()) locals = it->second;
        std::set<int> free;
        FreeSlotsBody(*e.body, locals, free);
        u.needs.insert(free.begin(), free.end());
        break;
      }
      case ExprKind::kCall: Analyze(e.call, false, u); break;
    }
    for (const auto& w : e.withs) Analyze(w.value, false, u);
    for (int s : u.needs) {
      if (!bound.count(s)) {
        r.unsafe_slot = s;
        return r;
      }
    }
    if (e.negated) {
      for (int s : u.outs) {
        if (!bound.count(s) && !wildcards_.count(s)) {
          r.unsafe_slot = s;
          return r;
        }
      }
      r.safe = true;
      return r;
    }
    if ((e.kind == ExprKind::kUnify || e.kind == ExprKind::kAssign) && !UnifySafe(e.terms[0], e.terms[1], bound)) {
      std::set<int> pa;
      PatternVars(e.terms[0], bound, pa);
      r.unsafe_slot = pa.empty() ? -1 : *pa.begin();
      return r;
    }
    r.safe = true;
    r.outs = u.outs;
    r.outs.insert(u.needs.begin(), u.needs.end());
    return r;
  }

  void ReorderNested(const Term& t, const std::set<int>& bound) {
    if (t.body) {
      std::set<int> locals;
      auto it = body_locals_.find(t.body.get());
      if (it != body_locals_.end()) locals = it->second;
      std::set<int> inner_bound = bound;
      std::set<int> free;
      for (const auto& a : t.args) FreeSlots(a, locals, free);
      FreeSlotsBody(*t.body, locals, free);
      inner_bound.insert(free.begin(), free.end());
      Reorder(*t.body, inner_bound, locals);
      // Head terms must be bound by the body.
      std::set<int> after = inner_bound;
      CollectBound(*t.body, after);
      for (const auto& a : t.args) RequireBound(a, after);
    }
    for (const auto& a : t.args) ReorderNested(a, bound);
  }

  static void CollectAll(const Term& t, std::set<int>& out) {
    if (t.kind == TermKind::kVar && t.slot >= 0) out.insert(t.slot);
    if (t.kind == TermKind::kArrayCompr || t.kind == TermKind::kSetCompr || t.kind == TermKind::kObjectCompr) return;
    for (const auto& a : t.args) CollectAll(a, out);
  }

  void CollectBound(const Body& b, std::set<int>& out) const {
    for (const auto& e : b.exprs) {
      if (e.negated || e.kind == ExprKind::kEvery) continue;
      for (const auto& t : e.terms) CollectAll(t, out);
    }
  }

  void RequireBound(const Term& t, const std::set<int>& bound) const {
    VarUse u;
    Analyze(t, false, u);
    for (int s : u.needs)
      if (!bound.count(s)) Throw(t.loc, "rego_unsafe_var_error", "var " + slot_names_[static_cast<std::size_t>(s)] + " is unsafe");
    for (int s : u.outs)
      if (!bound.count(s) && !wildcards_.count(s))
        Throw(t.loc, "rego_unsafe_var_error", "var " + slot_names_[static_cast<std::size_t>(s)] + " is unsafe");
  }

  void Reorder(Body& body, std::set<int>& bound, const std::set<int>& /*locals*/) {
    std::vector<Expr> out;
    std::vector<bool> done(body.exprs.size(), false);
    while (out.size() < body.exprs.size()) {
      bool found = false;
      for (std::size_t i = 0; i < body.exprs.size(); ++i) {
        if (done[i]) continue;
        ExprSafety s = CheckExpr(body.exprs[i], bound);
        if (!s.safe) continue;
        for (const auto& t : body.exprs[i].terms) ReorderNested(t, bound);
        for (const auto& w : body.exprs[i].withs) ReorderNested(w.value, bound);
        if (body.exprs[i].kind == ExprKind::kEvery) {
          std::set<int> inner = bound;
          CollectAll(body.exprs[i].terms[0], inner);
          CollectAll(body.exprs[i].terms[1], inner);
          Reorder(*body.exprs[i].body, inner, {});
        }
        bound.insert(s.outs.begin(), s.outs.end());
        out.push_back(std::move(body.exprs[i]));
        done[i] = true;
        found = true;
        break;
      }
      if (!found) {
        for (std::size_t i = 0; i < body.exprs.size(); ++i) {
          if (done[i]) continue;
          ExprSafety s = CheckExpr(body.exprs[i], bound);
          std::string name = s.unsafe_slot >= 0 ? slot_names_[static_cast<std::size_t>(s.unsafe_slot)] : "?";
          Throw(body.exprs[i].loc, "rego_unsafe_var_error", "var " + name + " is unsafe");
        }
      }
    }
    body.exprs = std::move(out);
  }

  // input.a.b (all segments constant) -> {"a", "b"}; false otherwise.
  static bool GroundInputPath(const Term& t, std::vector<Value>* path) {
    if (!t.IsRootRef("input") || t.args[0].slot >= 0) return false;
    for (std::size_t i = 1; i < t.args.size(); ++i) {
      if (t.args[i].kind != TermKind::kScalar) return false;
      path->push_back(t.args[i].value);
    }
    return !path->empty();
  }

  static void BuildIndex(Rule& r) {
    for (const auto& e : r.body.exprs) {
      if (e.negated || !e.withs.empty()) continue;
      const Term* a = nullptr;
      const Term* b = nullptr;
      if (e.kind == ExprKind::kUnify) {
        a = &e.terms[0];
        b = &e.terms[1];
      } else if (e.kind == ExprKind::kTerm && e.terms[0].kind == TermKind::kCall && e.terms[0].name == "equal" &&
                 e.terms[0].builtin) {
        a = &e.terms[0].args[0];
        b = &e.terms[0].args[1];
      } else {
        continue;
      }
      std::vector<Value> path;
      if (b->kind == TermKind::kScalar && GroundInputPath(*a, &path)) {
        r.index.emplace_back(std::move(path), b->value);
      } else if (a->kind == TermKind::kScalar && GroundInputPath(*b, &path)) {
        r.index.emplace_back(std::move(path), a->value);
      }
    }
  }

  // A function argument that is a template string ($"{x}") is not a pattern:
  // it becomes a fresh argument variable compared with the template in the
  // body, so the template's variables may be bound by the body (as OPA does).
  static void RewriteTemplateArgs(Rule& r) {
    for (std::size_t i = 0; i < r.args.size(); ++i) {
      if (r.args[i].kind != TermKind::kTemplate) continue;
      Term tmpl = std::move(r.args[i]);
      Location loc = tmpl.loc;
      r.args[i] = MakeVar("__targ" + std::to_string(i), loc);
      auto add = [&](Body& b) {
        Expr e;
        e.kind = ExprKind::kUnify;
        e.loc = loc;
        e.op = "=";
        e.terms.push_back(r.args[i]);
        e.terms.push_back(tmpl);
        b.exprs.push_back(std::move(e));
      };
      add(r.body);
      for (auto& el : r.else_chain) add(el->body);
    }
  }

  void CompileRule(const PackageCtx& pkg, Rule& r) {
    slot_names_.clear();
    wildcards_.clear();
    if (r.kind == RuleKind::kFunction) RewriteTemplateArgs(r);
    Scope scope;
    // Function arguments are locals of the rule.
    std::set<std::string> arg_names;
    for (const auto& a : r.args) {
      std::set<std::string> names;
      UsedNames(a, names);
      for (const auto& n : names) {
        if (!scope.vars.count(n)) scope.vars[n] = NewSlot(scope, n);
      }
    }
    for (const auto& ka : r.head_ref) (void)ka;
    std::vector<const Term*> heads;
    for (const auto& k : r.keys) heads.push_back(&k);
    if (r.has_value) heads.push_back(&r.value);
    ResolveBody(r.body, scope, pkg, heads);
    for (auto& a : r.args) ResolveTerm(a, scope, pkg);
    for (auto& k : r.keys) ResolveTerm(k, scope, pkg);
    if (r.has_value) ResolveTerm(r.value, scope, pkg);
    std::set<int> arg_bound;
    for (const auto& a : r.args) CollectAll(a, arg_bound);
    if (!r.is_default) {
      std::set<int> bound = arg_bound;
      Reorder(r.body, bound, scope.locals);
      for (const auto& k : r.keys) {
        ReorderNested(k, bound);
        RequireBound(k, bound);
      }
      if (r.has_value) {
        ReorderNested(r.value, bound);
        RequireBound(r.value, bound);
      }
    } else if (r.has_value) {
      std::set<int> none;
      ReorderNested(r.value, none);
    }
    for (auto& e : r.else_chain) {
      std::vector<const Term*> eh;
      if (e->has_value) eh.push_back(&e->value);
      ResolveBody(e->body, scope, pkg, eh);
      if (e->has_value) ResolveTerm(e->value, scope, pkg);
      std::set<int> bound = arg_bound;
      Reorder(e->body, bound, scope.locals);
      if (e->has_value) {
        ReorderNested(e->value, bound);
        RequireBound(e->value, bound);
      }
    }
    r.num_slots = static_cast<int>(slot_names_.size());
    for (auto& e : r.else_chain) e->num_slots = r.num_slots;
    if (r.else_chain.empty() && !r.is_default) BuildIndex(r);
  }

  const Policy::Impl& impl_;
  Policy::Impl* mut_;
  std::set<int> wildcards_;
  int hoisted_ = 0;
  std::map<const Body*, std::set<int>> body_locals_;
  std::vector<std::unique_ptr<Scope>> scopes_;
};

}  // namespace

Result<PolicyPtr> Policy::Compile(const std::vector<SourceFile>& files, const CompileOptions& opts) {
  std::vector<Module> modules;
  for (const auto& f : files) {
    ParseOptions po;
    po.version = f.version.value_or(opts.version);
    auto m = ParseModule(f.text, f.name, po);
    if (!m) return Fail(m.error());
    modules.push_back(std::move(*m));
  }
  return CompileModules(std::move(modules));
}

Result<PolicyPtr> Policy::CompileModules(std::vector<Module> modules) {
  std::shared_ptr<Policy> p(new Policy());
  for (auto& m : modules) p->impl_->modules.push_back(std::make_shared<Module>(std::move(m)));
  try {
    Compiler c(*p->impl_, p->impl_.get());
    c.Build();
  } catch (const CompileError& e) {
    return Fail(Error::Input(e.message));
  }
  return PolicyPtr(p);
}

Result<CompiledQuery> Policy::Impl::CompileQuery(const std::string& query) const {
  try {
    Compiler c(*this, nullptr);
    CompiledQuery q;
    q.body = c.CompileQuery(query);
    q.vars = c.query_vars_;
    return q;
  } catch (const CompileError& e) {
    return Fail(Error::Input(e.message));
  }
}

}  // namespace tollgate::rego
