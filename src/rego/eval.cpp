// The top-down evaluator.
//
// Evaluation is continuation-passing: every Eval* function calls its
// continuation once per solution and returns false when the caller asked to
// stop (negation and `every` stop at the first solution). Variables live in
// per-rule frames; bindings are recorded on a trail and undone on
// backtracking. Rule values are computed whole (complete, partial set and
// partial object) and cached per query; `with` evaluates under a fresh cache.
#include <chrono>
#include <set>
#include <type_traits>

#include "rego/internal.h"

namespace tollgate::rego {

namespace {

// A non-owning reference to a callable (like llvm::function_ref).
template <class Sig>
class FnRef;
template <class R, class... A>
class FnRef<R(A...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FnRef>>>
  FnRef(F&& f)  // NOLINT: implicit by design
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        cb_([](void* o, A... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<A>(a)...); }) {}
  R operator()(A... a) const { return cb_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*cb_)(void*, A...);
};

using Cont = FnRef<bool()>;
using VCont = FnRef<bool(const Value&)>;

struct Frame {
  explicit Frame(int n) : slots(static_cast<std::size_t>(n)) {}
  std::vector<Value> slots;
};

struct Mock {
  Value value;
  const Term* fn = nullptr;  // a function replacing the target
};

struct State {
  Value input;
  Value data;
  std::set<const Node*> overridden;
  std::map<std::string, Mock> mocks;
  std::map<const Node*, Value> cache;
  // First-level keys of a partial object's value in the order its rules
  // produced them: iteration follows rule order, as OPA's does.
  std::map<const Node*, std::vector<Value>> key_order;
};

constexpr int kMaxCallDepth = 400;

std::string PathText(const std::vector<Value>& path) {
  std::string s = "data";
  for (const auto& p : path) s += "." + (p.is_string() ? p.as_string() : ToRegoString(p));
  return s;
}

Value Patch(const Value& base, const std::vector<Value>& path, std::size_t i, const Value& v) {
  if (i == path.size()) return v;
  ObjectItems items;
  if (base.is_object()) items = base.object();
  const Value* child = base.is_object() ? base.Get(path[i]) : nullptr;
  Value nc = Patch(child ? *child : Value(), path, i + 1, v);
  bool replaced = false;
  for (auto& kv : items) {
    if (kv.first == path[i]) {
      kv.second = nc;
      replaced = true;
    }
  }
  if (!replaced) items.emplace_back(path[i], nc);
  return Value::MakeObject(std::move(items));
}

}  // namespace

class Evaluator {
 public:
  Evaluator(const Policy::Impl& policy, const EvalOptions& opts) : policy_(policy), opts_(opts) {
    root_state_.input = opts.input;
    root_state_.data = opts.data.defined() ? opts.data : Value::EmptyObject();
    state_ = &root_state_;
    if (opts.now_ns) {
      bctx_.now_ns = *opts.now_ns;
    } else {
      bctx_.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    }
    bctx_.rand_state = &rand_state_;
    bctx_.cache = &builtin_cache_;
    bctx_.max_memory = opts.max_memory;
    if (opts.config_reader) bctx_.config_reader = &opts.config_reader;
    bctx_.memory_base = memory_base_;
  }

  QueryResult RunQuery(const CompiledQuery& q) {
    QueryResult out;
    Frame f(q.body.num_slots);
    std::vector<Value> exprs(q.body.exprs.size());
    RunQueryExprs(q.body, 0, f, exprs, [&] {
      QueryResult::Row row;
      row.expressions = exprs;
      for (const auto& [name, slot] : q.vars) {
        if (name.empty() || name[0] == '_') continue;
        const Value& v = f.slots[static_cast<std::size_t>(slot)];
        if (v.defined()) row.bindings[name] = v;
      }
      out.rows.push_back(std::move(row));
      return true;
    });
    return out;
  }

  std::vector<RuleResult> RunRules(const std::vector<const Rule*>& rules, bool explain) {
    explain_ = explain;
    std::vector<RuleResult> out;
    for (const Rule* r : rules) {
      EvalRule(*r, [&](const std::vector<Value>& vals) {
        RuleResult rr;
        rr.rule = r;
        rr.value = vals.back();
        rr.steps = path_;
        out.push_back(std::move(rr));
        return true;
      });
    }
    return out;
  }

  Value DataPath(const std::vector<Value>& path) {
    Term ref;
    ref.kind = TermKind::kRef;
    Term head;
    head.kind = TermKind::kVar;
    head.name = "data";
    ref.args.push_back(head);
    for (const auto& p : path) {
      Term s;
      s.kind = TermKind::kScalar;
      s.value = p;
      s.ground = true;
      ref.args.push_back(s);
    }
    Frame f(0);
    Value result;
    EvalRef(ref, f, [&](const Value& v) {
      result = v;
      return false;
    });
    return result;
  }

 private:
  bool RunQueryExprs(const Body& b, std::size_t i, Frame& f, std::vector<Value>& vals, Cont k) {
    if (i == b.exprs.size()) return k();
    const Expr& e = b.exprs[i];
    if (e.kind == ExprKind::kTerm && !e.negated && e.withs.empty()) {
      // Top-level term expressions report their value, even false.
      return EvalTerm(e.terms[0], f, [&](const Value& v) {
        vals[i] = v;
        return RunQueryExprs(b, i + 1, f, vals, k);
      });
    }
    return EvalExpr(e, f, [&] {
      vals[i] = Value::Bool(true);
      return RunQueryExprs(b, i + 1, f, vals, k);
    });
  }

  // ---- bindings ----
  std::size_t Mark() const { return trail_.size(); }
  void Bind(Frame& f, int slot, const Value& v) {
    Value* p = &f.slots[static_cast<std::size_t>(slot)];
    *p = v;
    trail_.push_back(p);
  }
  void Undo(std::size_t mark) {
    while (trail_.size() > mark) {
      *trail_.back() = Value();
      trail_.pop_back();
    }
  }

  void Step() {
    if (++steps_ > opts_.max_steps)
      throw EvalError{"eval_budget_error", "evaluation exceeded the step budget of " + std::to_string(opts_.max_steps) + " steps", {}, true};
    if (tl_value_bytes - memory_base_ > opts_.max_memory) ThrowMemoryBudget(opts_.max_memory, "");
  }

  // ---- bodies and expressions ----
  bool EvalBody(const Body& b, std::size_t i, Frame& f, Cont k) {
    if (i == b.exprs.size()) return k();
    return EvalExpr(b.exprs[i], f, [&] { return EvalBody(b, i + 1, f, k); });
  }

  void TraceExpr(const Expr& e, bool ok) {
    TraceEvent ev;
    ev.kind = ok ? TraceEvent::Kind::kExprTrue : TraceEvent::Kind::kExprFalse;
    ev.loc = e.loc;
    ev.text = e.text;
    opts_.trace(ev);
  }

  bool EvalExpr(const Expr& e, Frame& f, Cont k) {
    Step();
    if (!e.withs.empty()) return EvalWith(e, f, k);
    return EvalExprNoWith(e, f, k);
  }

  // The input path a ref reads, with bound variables filled in.
  std::string RefText(const Term& ref, Frame& f) {
    std::string s = ref.args[0].kind == TermKind::kVar ? ref.args[0].name : "?";
    for (std::size_t i = 1; i < ref.args.size(); ++i) {
      const Term& seg = ref.args[i];
      Value v;
      if (seg.kind == TermKind::kScalar) v = seg.value;
      else if (seg.kind == TermKind::kVar && seg.slot >= 0) v = f.slots[static_cast<std::size_t>(seg.slot)];
      if (v.is_string() && !v.as_string().empty() && v.as_string().find_first_of(".[]\" \"") == std::string::npos) s += "." + v.as_string();
      else if (v.defined()) s += "[" + ToRegoString(v) + "]";
      else s += "[_]";
    }
    return s;
  }

  void CollectInputRefs(const Term& t, Frame& f, std::vector<std::string>& out) {
    if (t.kind == TermKind::kRef && t.args[0].kind == TermKind::kVar && t.args[0].name == "input" && t.args[0].slot < 0) {
      out.push_back(RefText(t, f));
      return;
    }
    if (t.kind == TermKind::kArrayCompr || t.kind == TermKind::kSetCompr || t.kind == TermKind::kObjectCompr) return;
    for (const auto& a : t.args) CollectInputRefs(a, f, out);
  }

  ExplainStep MakeStep(const Expr& e, Frame& f) {
    ExplainStep st;
    st.loc = e.loc;
    st.text = e.text;
    for (const auto& t : e.terms) CollectInputRefs(t, f, st.input_paths);
    auto first = [&](const Term& t) {
      Value v;
      try {
        EvalTerm(t, f, [&](const Value& x) {
          v = x;
          return false;
        });
      } catch (const EvalError&) {
      }
      return v;
    };
    if (e.kind == ExprKind::kTerm && e.terms[0].kind == TermKind::kCall) {
      for (const auto& a : e.terms[0].args) st.values.push_back(first(a));
    } else if (e.kind == ExprKind::kUnify || e.kind == ExprKind::kAssign) {
      st.values.push_back(first(e.terms[1]));
    } else if (e.kind == ExprKind::kTerm) {
      st.values.push_back(first(e.terms[0]));
    }
    return st;
  }

  bool EvalExprNoWith(const Expr& e, Frame& f, Cont k) {
    if (explain_) {
      explain_ = false;  // the steps' own evaluation is not explained
      bool r = EvalExprTraced(e, f, [&] {
        path_.push_back(MakeStep(e, f));
        explain_ = true;
        bool res = k();
        path_.pop_back();
        explain_ = false;
        return res;
      });
      explain_ = true;
      return r;
    }
    return EvalExprTraced(e, f, k);
  }

  bool EvalExprTraced(const Expr& e, Frame& f, Cont k) {
    if (e.negated) {
      bool found = false;
      EvalExprInner(e, f, [&] {
        found = true;
        return false;
      });
      if (opts_.trace) TraceExpr(e, !found);
      if (found) return true;
      return k();
    }
    if (opts_.trace) {
      bool any = false;
      bool r = EvalExprInner(e, f, [&] {
        if (!any) TraceExpr(e, true);
        any = true;
        return k();
      });
      if (!any) TraceExpr(e, false);
      return r;
    }
    return EvalExprInner(e, f, k);
  }

  bool EvalExprInner(const Expr& e, Frame& f, Cont k) {
    switch (e.kind) {
      case ExprKind::kTerm:
        return EvalTerm(e.terms[0], f, [&](const Value& v) { return v.truthy() ? k() : true; });
      case ExprKind::kUnify:
      case ExprKind::kAssign: return Unify(e.terms[0], e.terms[1], f, k);
      case ExprKind::kSomeDecl: return k();
      case ExprKind::kSomeIn:
        return EvalTerm(e.terms[2], f, [&](const Value& coll) {
          return ForEachChild(coll, [&](const Value& key, const Value& val) {
            if (e.has_key) {
              return UnifyValue(e.terms[0], key, f, [&] { return UnifyValue(e.terms[1], val, f, k); });
            }
            return UnifyValue(e.terms[1], val, f, k);
          });
        });
      case ExprKind::kEvery:
        return EvalTerm(e.terms[2], f, [&](const Value& coll) {
          if (!coll.is_collection()) return true;
          bool all = true;
          ForEachChild(coll, [&](const Value& key, const Value& val) {
            bool ok = false;
            UnifyValue(e.terms[0], key, f, [&] {
              return UnifyValue(e.terms[1], val, f, [&] {
                EvalBody(*e.body, 0, f, [&] {
                  ok = true;
                  return false;
                });
                return false;
              });
            });
            if (!ok) all = false;
            return ok;
          });
          return all ? k() : true;
        });
      case ExprKind::kCall: return EvalTerm(e.call, f, [&](const Value& v) { return v.truthy() ? k() : true; });
    }
    return true;
  }

  template <class F>
  bool ForEachChild(const Value& coll, F&& fn) {
    switch (coll.kind()) {
      case Kind::kArray: {
        const auto& items = coll.items();
        for (std::size_t i = 0; i < items.size(); ++i)
          if (!fn(Value::Int(static_cast<std::int64_t>(i)), items[i])) return false;
        return true;
      }
      case Kind::kSet:
        for (const auto& v : coll.items())
          if (!fn(v, v)) return false;
        return true;
      case Kind::kObject:
        for (const auto& [key, v] : coll.object())
          if (!fn(key, v)) return false;
        return true;
      default: return true;
    }
  }

  bool EvalWith(const Expr& e, Frame& f, Cont k) {
    State ns;
    ns.input = state_->input;
    ns.data = state_->data;
    ns.overridden = state_->overridden;
    ns.mocks = state_->mocks;
    for (const auto& w : e.withs) {
      Mock mock;
      if (w.value.kind == TermKind::kCall && (w.value.func || w.value.builtin) && w.value.args.empty()) {
        mock.fn = &w.value;
      } else {
        Value v;
        EvalTerm(w.value, f, [&](const Value& x) {
          v = x;
          return false;
        });
        if (!v.defined()) return true;
        mock.value = v;
      }
      const Term& t = w.target;
      if (t.kind == TermKind::kCall) {
        ns.mocks[t.name] = mock;
        continue;
      }
      if (mock.fn) {
        Value v;
        EvalTerm(w.value, f, [&](const Value& x) {
          v = x;
          return false;
        });
        mock.value = v;
      }
      std::vector<Value> path;
      for (std::size_t i = 1; i < t.args.size(); ++i) {
        if (t.args[i].kind != TermKind::kScalar)
          throw EvalError{"eval_type_error", "with target path must be ground", w.loc, true};
        path.push_back(t.args[i].value);
      }
      const std::string& root = t.kind == TermKind::kVar ? t.name : t.args[0].name;
      if (root == "input") {
        ns.input = Patch(ns.input, path, 0, mock.value);
      } else {
        ns.data = Patch(ns.data, path, 0, mock.value);
        const Node* n = &policy_.root;
        for (const auto& p : path) {
          auto it = n->children.find(p);
          if (it == n->children.end()) {
            n = nullptr;
            break;
          }
          n = it->second.get();
          // Replacing part of a rule's value: the rule is replaced too.
          if (!n->rules.empty() || n->default_rule) break;
        }
        if (n) ns.overridden.insert(n);
        if (path.empty()) ns.overridden.insert(&policy_.root);
      }
    }
    State* prev = state_;
    state_ = &ns;
    bool r = EvalExprNoWith(e, f, [&] {
      state_ = prev;
      bool res = k();
      state_ = &ns;
      return res;
    });
    state_ = prev;
    return r;
  }

  // ---- terms ----
  bool IsUnboundPattern(const Term& t, const Frame& f) const {
    switch (t.kind) {
      case TermKind::kVar: return !f.slots[static_cast<std::size_t>(t.slot)].defined();
      case TermKind::kArray:
        for (const auto& a : t.args)
          if (IsUnboundPattern(a, f)) return true;
        return false;
      case TermKind::kObject:
        for (std::size_t i = 1; i < t.args.size(); i += 2)
          if (IsUnboundPattern(t.args[i], f)) return true;
        return false;
      default: return false;
    }
  }

  // Argument vectors for calls, reused so a call does not allocate one.
  struct PooledArgs {
    explicit PooledArgs(Evaluator* e) : ev(e) {
      if (!ev->arg_pool_.empty()) {
        v = std::move(ev->arg_pool_.back());
        ev->arg_pool_.pop_back();
      }
    }
    ~PooledArgs() {
      v.clear();
      ev->arg_pool_.push_back(std::move(v));
    }
    PooledArgs(const PooledArgs&) = delete;
    PooledArgs& operator=(const PooledArgs&) = delete;
    Evaluator* ev;
    std::vector<Value> v;
  };

  bool EvalList(const std::vector<Term>& args, std::size_t i, std::vector<Value>& acc, Frame& f, Cont k) {
    if (i == args.size()) return k();
    return EvalTerm(args[i], f, [&](const Value& v) {
      acc.push_back(v);
      bool r = EvalList(args, i + 1, acc, f, k);
      acc.pop_back();
      return r;
    });
  }

  bool EvalOrdered(const std::vector<Term>& args, const std::vector<std::size_t>& order, std::size_t i,
                   std::vector<Value>& acc, Frame& f, Cont k) {
    if (i == order.size()) return k();
    return EvalTerm(args[order[i]], f, [&](const Value& v) {
      acc[order[i]] = v;
      return EvalOrdered(args, order, i + 1, acc, f, k);
    });
  }

  // The head values of an array or set comprehension, in body order.
  Array CollectCompr(const Term& t, Frame& f) {
    Array out;
    EvalBody(*t.body, 0, f, [&] {
      return EvalTerm(t.args[0], f, [&](const Value& v) {
        out.push_back(v);
        return true;
      });
    });
    return out;
  }

  bool EvalTerm(const Term& t, Frame& f, VCont k) {
    switch (t.kind) {
      case TermKind::kScalar: return k(t.value);
      case TermKind::kVar: {
        if (t.slot < 0) throw EvalError{"eval_internal_error", "unresolved variable " + t.name, t.loc, true};
        Value v = f.slots[static_cast<std::size_t>(t.slot)];
        if (!v.defined()) throw EvalError{"rego_unsafe_var_error", "var " + t.name + " is unsafe", t.loc, true};
        return k(v);
      }
      case TermKind::kRef: return EvalRef(t, f, k);
      case TermKind::kArray: {
        std::vector<Value> acc;
        return EvalList(t.args, 0, acc, f, [&] { return k(Value::MakeArray(acc)); });
      }
      case TermKind::kSet: {
        std::vector<Value> acc;
        return EvalList(t.args, 0, acc, f, [&] { return k(Value::MakeSet(acc)); });
      }
      case TermKind::kObject: {
        std::vector<Value> acc;
        return EvalList(t.args, 0, acc, f, [&] {
          ObjectItems items;
          for (std::size_t i = 0; i + 1 < acc.size(); i += 2) {
            for (const auto& kv : items)
              if (kv.first == acc[i] && !(kv.second == acc[i + 1]))
                throw EvalError{"eval_conflict_error", "object keys must be unique", t.loc, true};
            items.emplace_back(acc[i], acc[i + 1]);
          }
          return k(Value::MakeObject(std::move(items)));
        });
      }
      case TermKind::kArrayCompr: return k(Value::MakeArray(CollectCompr(t, f)));
      case TermKind::kSetCompr: return k(Value::MakeSet(CollectCompr(t, f)));
      case TermKind::kObjectCompr: {
        std::map<Value, Value> out;
        EvalBody(*t.body, 0, f, [&] {
          return EvalTerm(t.args[0], f, [&](const Value& key) {
            return EvalTerm(t.args[1], f, [&](const Value& v) {
              auto [it, inserted] = out.emplace(key, v);
              if (!inserted && !(it->second == v))
                throw EvalError{"eval_conflict_error", "object keys must be unique", t.loc, true};
              return true;
            });
          });
        });
        ObjectItems items(out.begin(), out.end());
        return k(Value::MakeObject(std::move(items)));
      }
      case TermKind::kCall: {
        PooledArgs pooled(this);
        std::vector<Value>& acc = pooled.v;
        // Only when a plain argument is still unbound (x == input.xs[x]) do
        // the ref arguments have to run first.
        bool reorder = false;
        for (const auto& a : t.args)
          if (a.kind == TermKind::kVar && a.slot >= 0 && !f.slots[static_cast<std::size_t>(a.slot)].defined()) reorder = true;
        if (!reorder) {
          acc.reserve(t.args.size());
          return EvalList(t.args, 0, acc, f, [&] { return Call(t, acc, k); });
        }
        // Refs first: their iteration may bind variables other arguments use.
        std::vector<std::size_t> order;
        for (std::size_t i = 0; i < t.args.size(); ++i)
          if (t.args[i].kind == TermKind::kRef) order.push_back(i);
        for (std::size_t i = 0; i < t.args.size(); ++i)
          if (t.args[i].kind != TermKind::kRef) order.push_back(i);
        acc.resize(t.args.size());
        return EvalOrdered(t.args, order, 0, acc, f, [&] { return Call(t, acc, k); });
      }
      case TermKind::kTemplate: {
        std::string s;
        for (const auto& a : t.args) {
          if (a.kind == TermKind::kScalar && a.value.is_string()) {
            s += a.value.as_string();
            continue;
          }
          Value v;
          EvalTerm(a, f, [&](const Value& x) {
            v = x;
            return false;
          });
          if (!v.defined()) s += "<undefined>";
          else if (v.is_string()) s += v.as_string();
          else s += ToRegoString(v);
        }
        return k(Value::String(std::move(s)));
      }
    }
    return true;
  }

  // ---- calls ----
  bool Call(const Term& t, const std::vector<Value>& args, VCont k) {
    if (!state_->mocks.empty()) {
      auto it = state_->mocks.find(t.name);
      if (it != state_->mocks.end()) {
        const Mock& m = it->second;
        if (!m.fn) return k(m.value);
        const Term* fn = m.fn;
        // A replacement function runs without any mocks (it calls the
        // originals); its result continues under the current state.
        State clean;
        clean.input = state_->input;
        clean.data = state_->data;
        clean.overridden = state_->overridden;
        State* saved = state_;
        state_ = &clean;
        Value result;
        try {
          CallResolved(*fn, args, [&](const Value& v) {
            result = v;
            return false;
          }, &clean);
        } catch (...) {
          state_ = saved;
          throw;
        }
        state_ = saved;
        if (!result.defined()) return true;
        return k(result);
      }
    }
    return CallResolved(t, args, k, state_);
  }

  // rego.metadata.rule() / chain(): annotations of the rule being evaluated.
  Value Metadata(bool chain) {
    const Rule* r = rule_stack_.empty() ? nullptr : rule_stack_.back();
    if (!chain) {
      if (!r || !r->annotations.defined()) return Value::EmptyObject();
      const Value* scope = r->annotations.Get("scope");
      if (scope && scope->is_string() && scope->as_string() != "rule") return Value::EmptyObject();
      return r->annotations;
    }
    Array out;
    if (!r) return Value::MakeArray({});
    Array path;
    for (const auto& p : r->path) path.push_back(p);
    Value path_v = Value::MakeArray(path);
    auto entry = [&](const Value& p, const Value& ann) {
      ObjectItems o;
      o.emplace_back(Value::String("path"), p);
      if (ann.defined()) o.emplace_back(Value::String("annotations"), ann);
      out.push_back(Value::MakeObject(std::move(o)));
    };
    const Value* scope = r->annotations.defined() ? r->annotations.Get("scope") : nullptr;
    bool rule_scoped = r->annotations.defined() && (!scope || (scope->is_string() && scope->as_string() == "rule"));
    entry(path_v, rule_scoped ? r->annotations : Value());
    // Document-scoped annotations on any rule of the same path.
    const Node* n = &policy_.root;
    for (const auto& p : r->path) {
      auto it = n->children.find(p);
      if (it == n->children.end()) {
        n = nullptr;
        break;
      }
      n = it->second.get();
    }
    if (n) {
      std::vector<const Rule*> rules = n->rules;
      if (n->functions) rules.insert(rules.end(), n->functions->rules.begin(), n->functions->rules.end());
      for (const Rule* o : rules) {
        const Value* s2 = o->annotations.defined() ? o->annotations.Get("scope") : nullptr;
        if (s2 && s2->is_string() && s2->as_string() == "document") entry(path_v, o->annotations);
      }
    }
    // Packages from the innermost outwards.
    std::vector<Value> pkg(r->path.begin(), r->path.end() - 1);
    for (std::size_t len = pkg.size(); len > 0; --len) {
      std::vector<Value> prefix(pkg.begin(), pkg.begin() + static_cast<std::ptrdiff_t>(len));
      auto it = policy_.package_annotations.find(prefix);
      if (it == policy_.package_annotations.end()) continue;
      entry(Value::MakeArray(Array(prefix.begin(), prefix.end())), it->second);
    }
    return Value::MakeArray(std::move(out));
  }

  bool CallResolved(const Term& t, const std::vector<Value>& args, VCont k, State*) {
    if (t.name == "rego.metadata.rule") return k(Metadata(false));
    if (t.name == "rego.metadata.chain") return k(Metadata(true));
    if (t.func) return CallFunction(*t.func, args, k, t.loc);
    const auto* b = static_cast<const Builtin*>(t.builtin);
    if (!b) throw EvalError{"eval_internal_error", "unresolved function " + t.name, t.loc, true};
    Value r;
    try {
      bctx_.call_file = &t.loc.file;
      r = b->fn(args, bctx_);
    } catch (EvalError& e) {
      if (e.loc.line == 0) e.loc = t.loc;
      if (!opts_.strict_builtin_errors && !e.halt) return true;
      throw;
    }
    if (!r.defined()) return true;
    return k(r);
  }

  bool UnifyArgs(const std::vector<Term>& params, const std::vector<Value>& args, std::size_t i, Frame& f, Cont k) {
    if (i == params.size()) return k();
    return UnifyValue(params[i], args[i], f, [&] { return UnifyArgs(params, args, i + 1, f, k); });
  }

  bool CallFunction(const FunctionGroup& g, const std::vector<Value>& args, VCont k, const Location& loc) {
    if (args.size() != g.arity)
      throw EvalError{"eval_type_error", PathText(g.path) + ": arity mismatch", loc, true};
    if (++depth_ > kMaxCallDepth) {
      --depth_;
      throw EvalError{"rego_recursion_error", "call depth exceeded in " + PathText(g.path), loc, true};
    }
    Value result;
    auto record = [&](const Value& v) {
      if (!result.defined()) {
        result = v;
      } else if (!(result == v)) {
        --depth_;
        throw EvalError{"eval_conflict_error", "functions must not produce multiple outputs for same inputs", loc, true};
      }
      return true;
    };
    for (const Rule* r : g.rules) {
      Frame fr(r->num_slots);
      rule_stack_.push_back(r);
      struct Pop {
        std::vector<const Rule*>* s;
        ~Pop() { s->pop_back(); }
      } pop{&rule_stack_};
      UnifyArgs(r->args, args, 0, fr, [&] {
        bool any = false;
        EvalBody(r->body, 0, fr, [&] {
          any = true;
          return r->has_value ? EvalTerm(r->value, fr, record) : record(Value::Bool(true));
        });
        if (!any) {
          for (const auto& e : r->else_chain) {
            EvalBody(e->body, 0, fr, [&] {
              any = true;
              return e->has_value ? EvalTerm(e->value, fr, record) : record(Value::Bool(true));
            });
            if (any) break;
          }
        }
        return true;
      });
    }
    if (!result.defined() && g.default_rule) {
      Frame fr(g.default_rule->num_slots);
      EvalTerm(g.default_rule->value, fr, [&](const Value& v) {
        result = v;
        return false;
      });
    }
    --depth_;
    if (!result.defined()) return true;
    return k(result);
  }

  // ---- unification ----
  bool Unify(const Term& a, const Term& b, Frame& f, Cont k) {
    if (a.kind == TermKind::kVar && !f.slots[static_cast<std::size_t>(a.slot)].defined())
      return EvalTerm(b, f, [&](const Value& v) { return UnifyValue(a, v, f, k); });
    if (b.kind == TermKind::kVar && !f.slots[static_cast<std::size_t>(b.slot)].defined())
      return EvalTerm(a, f, [&](const Value& v) { return UnifyValue(b, v, f, k); });
    if (a.kind == TermKind::kArray && b.kind == TermKind::kArray) {
      if (a.args.size() != b.args.size()) return true;
      return UnifyPairs(a.args, b.args, 0, f, k);
    }
    if (a.kind == TermKind::kObject && b.kind == TermKind::kObject && IsUnboundPattern(a, f) && IsUnboundPattern(b, f)) {
      if (a.args.size() != b.args.size()) return true;
      // Pair the members by key (keys are ground).
      std::vector<Term> va, vb;
      for (std::size_t i = 0; i + 1 < a.args.size(); i += 2) {
        bool found = false;
        for (std::size_t j = 0; j + 1 < b.args.size(); j += 2) {
          if (a.args[i].ground && b.args[j].ground && a.args[i].value == b.args[j].value) {
            va.push_back(a.args[i + 1]);
            vb.push_back(b.args[j + 1]);
            found = true;
          }
        }
        if (!found) return true;
      }
      return UnifyPairs(va, vb, 0, f, k);
    }
    if (IsUnboundPattern(a, f)) return EvalTerm(b, f, [&](const Value& v) { return UnifyValue(a, v, f, k); });
    return EvalTerm(a, f, [&](const Value& v) { return UnifyValue(b, v, f, k); });
  }

  bool UnifyPairs(const std::vector<Term>& a, const std::vector<Term>& b, std::size_t i, Frame& f, Cont k) {
    if (i == a.size()) return k();
    // Defer a pair whose both sides are still unbound patterns.
    if (IsUnboundPattern(a[i], f) && IsUnboundPattern(b[i], f)) {
      for (std::size_t j = i + 1; j < a.size(); ++j) {
        if (!(IsUnboundPattern(a[j], f) && IsUnboundPattern(b[j], f))) {
          return Unify(a[j], b[j], f, [&] {
            std::vector<Term> ra, rb;
            for (std::size_t m = i; m < a.size(); ++m) {
              if (m == j) continue;
              ra.push_back(a[m]);
              rb.push_back(b[m]);
            }
            return UnifyPairs(ra, rb, 0, f, k);
          });
        }
      }
    }
    return Unify(a[i], b[i], f, [&] { return UnifyPairs(a, b, i + 1, f, k); });
  }

  bool UnifyValue(const Term& t, const Value& v, Frame& f, Cont k) {
    switch (t.kind) {
      case TermKind::kVar: {
        const Value& cur = f.slots[static_cast<std::size_t>(t.slot)];
        if (!cur.defined()) {
          std::size_t m = Mark();
          Bind(f, t.slot, v);
          bool r = k();
          Undo(m);
          return r;
        }
        return cur == v ? k() : true;
      }
      case TermKind::kScalar: return t.value == v ? k() : true;
      case TermKind::kArray:
        if (!v.is_array() || v.items().size() != t.args.size()) return true;
        return UnifyValues(t.args, v.items(), 0, f, k);
      case TermKind::kObject: {
        if (!v.is_object() || v.object().size() * 2 != t.args.size()) return true;
        std::vector<Value> keys;
        std::vector<const Term*> vals;
        for (std::size_t i = 0; i + 1 < t.args.size(); i += 2) {
          Value key;
          EvalTerm(t.args[i], f, [&](const Value& x) {
            key = x;
            return false;
          });
          const Value* child = key.defined() ? v.Get(key) : nullptr;
          if (!child) return true;
          keys.push_back(*child);
          vals.push_back(&t.args[i + 1]);
        }
        return UnifyValuePtrs(vals, keys, 0, f, k);
      }
      default:
        return EvalTerm(t, f, [&](const Value& tv) { return tv == v ? k() : true; });
    }
  }

  bool UnifyValues(const std::vector<Term>& ts, const Array& vs, std::size_t i, Frame& f, Cont k) {
    if (i == ts.size()) return k();
    return UnifyValue(ts[i], vs[i], f, [&] { return UnifyValues(ts, vs, i + 1, f, k); });
  }
  bool UnifyValuePtrs(const std::vector<const Term*>& ts, const std::vector<Value>& vs, std::size_t i, Frame& f, Cont k) {
    if (i == ts.size()) return k();
    return UnifyValue(*ts[i], vs[i], f, [&] { return UnifyValuePtrs(ts, vs, i + 1, f, k); });
  }

  // ---- references ----
  bool EvalRef(const Term& ref, Frame& f, VCont k) {
    const Term& head = ref.args[0];
    if (head.kind == TermKind::kVar && head.slot < 0) {
      if (head.name == "input") {
        Value in = state_->input;
        if (!in.defined()) return true;
        return Deref(in, ref, 1, f, k);
      }
      if (head.name == "data") {
        Value data = state_->data;
        return EvalData(&policy_.root, data, ref, 1, f, k);
      }
    }
    return EvalTerm(head, f, [&](const Value& v) { return Deref(v, ref, 1, f, k); });
  }

  // `storage`: v is base data, whose paths are strings (data.x[2] reads "2").
  static const Value* Child(const Value& v, const Value& key, bool storage) {
    const Value* c = v.Get(key);
    if (!c && storage && key.is_number() && v.is_object()) c = v.Get(NumberText(key));
    return c;
  }

  bool Deref(const Value& v, const Term& ref, std::size_t i, Frame& f, VCont k, bool storage = false) {
    if (i == ref.args.size()) return k(v);
    const Term& seg = ref.args[i];
    if (seg.kind == TermKind::kScalar) {
      const Value* c = Child(v, seg.value, storage);
      return c ? Deref(*c, ref, i + 1, f, k, storage) : true;
    }
    if (!v.is_collection()) return true;
    if (seg.kind == TermKind::kVar) {
      const Value& cur = f.slots[static_cast<std::size_t>(seg.slot)];
      if (cur.defined()) {
        const Value* c = Child(v, cur, storage);
        return c ? Deref(*c, ref, i + 1, f, k, storage) : true;
      }
      return ForEachChild(v, [&](const Value& key, const Value& child) {
        std::size_t m = Mark();
        Bind(f, seg.slot, key);
        bool r = Deref(child, ref, i + 1, f, k, storage);
        Undo(m);
        return r;
      });
    }
    if (!IsUnboundPattern(seg, f)) {
      return EvalTerm(seg, f, [&](const Value& key) {
        const Value* c = Child(v, key, storage);
        return c ? Deref(*c, ref, i + 1, f, k, storage) : true;
      });
    }
    return ForEachChild(v, [&](const Value& key, const Value& child) {
      return UnifyValue(seg, key, f, [&] { return Deref(child, ref, i + 1, f, k, storage); });
    });
  }

  bool EvalData(const Node* n, const Value& base, const Term& ref, std::size_t i, Frame& f, VCont k) {
    if (!n || state_->overridden.count(n)) {
      if (!base.defined()) return true;
      return Deref(base, ref, i, f, k, true);
    }
    // Base documents take precedence over rules at the same path.
    if (base.defined() && (!n->rules.empty() || n->default_rule)) return Deref(base, ref, i, f, k, true);
    if (!n->rules.empty() || n->default_rule) {
      Value v = RuleSetValue(n);
      if (!v.defined()) return true;
      auto order = state_->key_order.find(n);
      if (order != state_->key_order.end() && v.is_object() && i < ref.args.size()) {
        const Term& seg = ref.args[i];
        if (seg.kind == TermKind::kVar && !f.slots[static_cast<std::size_t>(seg.slot)].defined()) {
          for (const auto& key : order->second) {
            const Value* child = v.Get(key);
            if (!child) continue;
            std::size_t m = Mark();
            Bind(f, seg.slot, key);
            bool r = Deref(*child, ref, i + 1, f, k);
            Undo(m);
            if (!r) return false;
          }
          return true;
        }
      }
      return Deref(v, ref, i, f, k);
    }
    if (i == ref.args.size()) {
      Value v = NodeValue(n, base);
      if (!v.defined()) return true;
      return k(v);
    }
    const Term& seg = ref.args[i];
    auto step = [&](const Value& key) {
      auto it = n->children.find(key);
      const Value* cb = base.is_object() ? base.Get(key) : nullptr;
      // Storage paths are strings: data[2] reads the key "2".
      if (!cb && key.is_number() && base.is_object()) cb = base.Get(NumberText(key));
      Value child_base = cb ? *cb : Value();
      if (it != n->children.end()) return EvalData(it->second.get(), child_base, ref, i + 1, f, k);
      if (child_base.defined()) return Deref(child_base, ref, i + 1, f, k, true);
      return true;
    };
    bool unbound = seg.kind == TermKind::kVar ? !f.slots[static_cast<std::size_t>(seg.slot)].defined()
                                              : IsUnboundPattern(seg, f);
    if (!unbound) return EvalTerm(seg, f, step);
    std::set<Value> keys;
    for (const auto& [key, c] : n->children) {
      (void)c;
      keys.insert(key);
    }
    if (base.is_object())
      for (const auto& [key, c] : base.object()) {
        (void)c;
        keys.insert(key);
      }
    for (const auto& key : keys) {
      if (!UnifyValue(seg, key, f, [&] { return step(key); })) return false;
    }
    return true;
  }

  // The whole document at a node: base data merged with virtual documents.
  Value NodeValue(const Node* n, const Value& base) {
    if (state_->overridden.count(n)) return base;
    if (base.defined() && (!n->rules.empty() || n->default_rule)) return base;
    if (!n->rules.empty() || n->default_rule) return RuleSetValue(n);
    if (n->children.empty()) return base.defined() ? base : Value::EmptyObject();
    ObjectItems items;
    if (base.is_object()) items = base.object();
    else if (base.defined()) return base;
    for (const auto& [key, c] : n->children) {
      if (c->functions && c->rules.empty() && c->children.empty()) continue;
      const Value* cb = base.is_object() ? base.Get(key) : nullptr;
      Value v = NodeValue(c.get(), cb ? *cb : Value());
      if (!v.defined()) continue;
      bool replaced = false;
      for (auto& kv : items)
        if (kv.first == key) {
          kv.second = v;
          replaced = true;
        }
      if (!replaced) items.emplace_back(key, v);
    }
    return Value::MakeObject(std::move(items));
  }

  Value RuleSetValue(const Node* n) {
    auto it = state_->cache.find(n);
    if (it != state_->cache.end()) return it->second;
    if (in_progress_.count(n))
      throw EvalError{"rego_recursion_error", "rule " + PathText(n->path) + " is recursive", {}, true};
    if (++depth_ > kMaxCallDepth) {
      --depth_;
      throw EvalError{"rego_recursion_error", "evaluation too deep at " + PathText(n->path), {}, true};
    }
    in_progress_.insert(n);
    Value v = ComputeRuleSet(n);
    in_progress_.erase(n);
    --depth_;
    state_->cache[n] = v;
    return v;
  }

  // Evaluates one rule (and its else chain), calling `emit` with the head
  // values: the value (complete), the element (set), or keys + value.
  // The rule index: false when a required input constant does not match.
  bool IndexAdmits(const Rule& r) const {
    for (const auto& [path, want] : r.index) {
      const Value* cur = &state_->input;
      for (const auto& seg : path) {
        cur = cur->defined() ? cur->Get(seg) : nullptr;
        if (!cur) return false;
      }
      if (!(*cur == want)) return false;
    }
    return true;
  }

  template <class Emit>
  void EvalRule(const Rule& r, Emit&& emit) {
    if (!r.index.empty() && !IndexAdmits(r)) return;
    if (opts_.trace) {
      TraceEvent ev;
      ev.kind = TraceEvent::Kind::kEnterRule;
      ev.loc = r.loc;
      ev.text = r.name;
      opts_.trace(ev);
    }
    Frame fr(r.num_slots);
    bool any = false;
    std::vector<Value> acc;
    rule_stack_.push_back(&r);
    struct Pop {
      std::vector<const Rule*>* s;
      ~Pop() { s->pop_back(); }
    } pop{&rule_stack_};
    auto head = [&](const Rule& src) {
      any = true;
      std::vector<Term> const* keys = &r.keys;
      (void)keys;
      return EvalList(r.keys, 0, acc, fr, [&] {
        if (r.kind == RuleKind::kPartialSet) return emit(acc);
        if (!src.has_value) {
          acc.push_back(Value::Bool(true));
          bool res = emit(acc);
          acc.pop_back();
          return res;
        }
        return EvalTerm(src.value, fr, [&](const Value& v) {
          acc.push_back(v);
          bool res = emit(acc);
          acc.pop_back();
          return res;
        });
      });
    };
    EvalBody(r.body, 0, fr, [&] { return head(r); });
    if (!any) {
      for (const auto& e : r.else_chain) {
        EvalBody(e->body, 0, fr, [&] { return head(*e); });
        if (any) break;
      }
    }
  }

  Value ComputeRuleSet(const Node* n) {
    if (n->rules.empty()) {
      Frame fr(n->default_rule->num_slots);
      Value v;
      EvalTerm(n->default_rule->value, fr, [&](const Value& x) {
        v = x;
        return false;
      });
      return v;
    }
    RuleKind kind = n->rules[0]->kind;
    if (kind == RuleKind::kComplete) {
      Value result;
      for (const Rule* r : n->rules) {
        if (r->kind != RuleKind::kComplete) continue;
        EvalRule(*r, [&](const std::vector<Value>& vals) {
          const Value& v = vals.back();
          if (!result.defined()) {
            result = v;
          } else if (!(result == v)) {
            throw EvalError{"eval_conflict_error", "complete rules must not produce multiple outputs", r->loc, true};
          }
          return true;
        });
      }
      if (!result.defined() && n->default_rule) {
        Frame fr(n->default_rule->num_slots);
        EvalTerm(n->default_rule->value, fr, [&](const Value& x) {
          result = x;
          return false;
        });
      }
      return result;
    }
    bool plain_set = true;
    for (const Rule* r : n->rules)
      if (r->kind != RuleKind::kPartialSet || r->keys.size() != 1) plain_set = false;
    if (plain_set) {
      Array items;
      for (const Rule* r : n->rules) {
        EvalRule(*r, [&](const std::vector<Value>& vals) {
          items.push_back(vals[0]);
          return true;
        });
      }
      return Value::MakeSet(std::move(items));
    }
    // Partial objects and ref-head sets, possibly with several key levels.
    struct Entry {
      Value leaf;
      bool is_set = false;
      Array elems;
      std::map<Value, Entry> sub;
    };
    std::map<Value, Entry> root;
    std::vector<Value>& order = state_->key_order[n];
    order.clear();
    auto conflict = [](const Rule* r) {
      throw EvalError{"eval_conflict_error", "object keys must be unique", r ? r->loc : Location{}, true};
    };
    for (const Rule* r : n->rules) {
      if (r->kind == RuleKind::kComplete) continue;
      bool set_leaf = r->kind == RuleKind::kPartialSet;
      EvalRule(*r, [&](const std::vector<Value>& vals) {
        std::map<Value, Entry>* level = &root;
        std::size_t path_len = vals.size() - 1;
        if (path_len == 0) conflict(r);
        if (!root.count(vals[0])) order.push_back(vals[0]);
        for (std::size_t i = 0; i + 1 < path_len; ++i) {
          Entry& e = (*level)[vals[i]];
          if (e.leaf.defined() || e.is_set) conflict(r);
          level = &e.sub;
        }
        Entry& e = (*level)[vals[path_len - 1]];
        if (set_leaf) {
          if (e.leaf.defined() || !e.sub.empty()) conflict(r);
          e.is_set = true;
          e.elems.push_back(vals.back());
          return true;
        }
        if ((e.leaf.defined() && !(e.leaf == vals.back())) || !e.sub.empty() || e.is_set) conflict(r);
        e.leaf = vals.back();
        return true;
      });
    }
    // Ref-head rules below this node (p.q := 1 next to p[x] := y) merge in.
    std::function<void(Entry&, const Value&)> merge = [&](Entry& e, const Value& v) {
      if (!e.leaf.defined() && !e.is_set && e.sub.empty()) {
        e.leaf = v;
      } else if (e.is_set && v.is_set()) {
        e.elems.insert(e.elems.end(), v.items().begin(), v.items().end());
      } else if (!e.sub.empty() && v.is_object()) {
        for (const auto& [k2, x] : v.object()) merge(e.sub[k2], x);
      } else if (!(e.leaf.defined() && e.leaf == v)) {
        conflict(nullptr);
      }
    };
    for (const auto& [key, c] : n->children) {
      if (c->rules.empty() && !c->default_rule && c->children.empty()) continue;
      Value v = NodeValue(c.get(), Value());
      if (!v.defined()) continue;
      if (!root.count(key)) order.push_back(key);
      merge(root[key], v);
    }
    std::function<Value(const std::map<Value, Entry>&)> build = [&](const std::map<Value, Entry>& m) {
      ObjectItems items;
      for (const auto& [key, e] : m)
        items.emplace_back(key, e.is_set ? Value::MakeSet(e.elems) : e.leaf.defined() ? e.leaf : build(e.sub));
      return Value::MakeObject(std::move(items));
    };
    return build(root);
  }

  const Policy::Impl& policy_;
  const EvalOptions& opts_;
  State root_state_;
  State* state_ = nullptr;
  std::vector<Value*> trail_;
  std::set<const Node*> in_progress_;
  std::uint64_t steps_ = 0;
  std::vector<std::vector<Value>> arg_pool_;
  std::uint64_t memory_base_ = tl_value_bytes;
  int depth_ = 0;
  bool explain_ = false;
  std::vector<const Rule*> rule_stack_;
  std::vector<ExplainStep> path_;
  BuiltinContext bctx_;
  std::uint64_t rand_state_ = 0x9E3779B97F4A7C15ULL;
  std::map<std::string, Value> builtin_cache_;
};

// ---- Policy ----

Policy::Policy() : impl_(std::make_unique<Impl>()) {}
Policy::~Policy() = default;

const std::vector<std::shared_ptr<Module>>& Policy::modules() const { return impl_->modules; }

static std::string FormatEvalError(const EvalError& e) {
  // OPA's form: "file:line: code: message".
  std::string s;
  if (e.loc.line > 0) s = e.loc.file + ":" + std::to_string(e.loc.line) + ": ";
  return s + e.code + ": " + e.message;
}

Result<QueryResult> Policy::Query(const std::string& query, const EvalOptions& opts) const {
  auto q = impl_->CompileQuery(query);
  if (!q) return Fail(q.error());
  try {
    Evaluator ev(*impl_, opts);
    return ev.RunQuery(*q);
  } catch (const EvalError& e) {
    return Fail(Error::Input(FormatEvalError(e)));
  }
}

Result<Value> Policy::EvalPath(const std::vector<std::string>& path, const EvalOptions& opts) const {
  try {
    Evaluator ev(*impl_, opts);
    std::vector<Value> p;
    for (const auto& s : path) p.push_back(Value::String(s));
    return ev.DataPath(p);
  } catch (const EvalError& e) {
    return Fail(Error::Input(FormatEvalError(e)));
  }
}

Result<std::vector<RuleResult>> Policy::EvalRules(const std::vector<const Rule*>& rules, const EvalOptions& opts,
                                                  bool explain) const {
  try {
    Evaluator ev(*impl_, opts);
    return ev.RunRules(rules, explain);
  } catch (const EvalError& e) {
    return Fail(Error::Input(FormatEvalError(e)));
  }
}

std::vector<std::string> Policy::Packages() const {
  std::vector<std::string> out;
  for (const auto& p : impl_->packages) {
    std::string s;
    for (const auto& seg : p) {
      if (!s.empty()) s += ".";
      s += seg.is_string() ? seg.as_string() : ToRegoString(seg);
    }
    out.push_back(s);
  }
  return out;
}

std::vector<const Rule*> Policy::RulesNamed(const std::string& package, const std::string& name) const {
  std::vector<const Rule*> out;
  for (const auto& m : impl_->modules) {
    std::string pkg;
    for (const auto& seg : m->package) {
      if (!pkg.empty()) pkg += ".";
      pkg += seg.is_string() ? seg.as_string() : "";
    }
    if (pkg != package) continue;
    for (const auto& r : m->rules)
      if (r->head_ref[0].name == name) out.push_back(r.get());
  }
  return out;
}

std::vector<std::string> Policy::RuleNames(const std::string& package) const {
  std::set<std::string> names;
  for (const auto& m : impl_->modules) {
    std::string pkg;
    for (const auto& seg : m->package) {
      if (!pkg.empty()) pkg += ".";
      pkg += seg.is_string() ? seg.as_string() : "";
    }
    if (pkg != package) continue;
    for (const auto& r : m->rules) names.insert(r->head_ref[0].name);
  }
  return {names.begin(), names.end()};
}

std::string ErrorCodeOf(const std::string& message) {
  static const char* const kCodes[] = {"eval_conflict_error", "eval_type_error",       "eval_builtin_error",
                                       "rego_unsafe_var_error", "rego_recursion_error", "rego_type_error",
                                       "rego_parse_error",    "rego_compile_error",    "eval_budget_error",
                                       "eval_internal_error", "eval_not_supported_error"};
  std::size_t best = std::string::npos;
  std::string code;
  for (const char* c : kCodes) {
    auto p = message.find(c);
    if (p != std::string::npos && p < best) {
      best = p;
      code = c;
    }
  }
  return code;
}

}  // namespace tollgate::rego
