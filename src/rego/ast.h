// The Rego abstract syntax tree, with source positions on every node.
//
// The parser builds it; the compiler resolves variables to frame slots,
// orders body expressions for safety and links calls to functions; the
// evaluator only reads it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rego/value.h"

namespace tollgate::rego {

// The Rego syntax a module is written in (OPA 1.x: v1 by default, v0 with
// --v0-compatible or a rego_version setting).
enum class RegoVersion : std::uint8_t { kV0, kV1 };

struct Location {
  std::string file;
  int line = 0;
  int col = 0;
  std::string ToString() const { return file + ":" + std::to_string(line) + ":" + std::to_string(col); }
};

struct Body;
struct FunctionGroup;

enum class TermKind : std::uint8_t {
  kScalar,       // value holds a scalar (or a ground composite folded by the compiler)
  kVar,          // name, slot
  kRef,          // args[0] is the head (var, call, composite); args[1..] the path
  kArray,        // args
  kSet,          // args
  kObject,       // args as key, value, key, value...
  kArrayCompr,   // args[0] head; body
  kSetCompr,     // args[0] head; body
  kObjectCompr,  // args[0] key, args[1] value; body
  kCall,         // name is the operator ("plus", "count", "data.pkg.f"); args
  kTemplate,     // args alternate literal strings and terms
};

struct Term {
  TermKind kind = TermKind::kScalar;
  Location loc;
  Value value;
  std::string name;
  int slot = -1;          // variables: the frame slot
  bool wildcard = false;  // `_`
  std::vector<Term> args;
  std::shared_ptr<Body> body;
  // Calls resolved by the compiler: a user function or a built-in.
  const FunctionGroup* func = nullptr;
  const void* builtin = nullptr;
  bool ground = false;  // set by the compiler: no variables, refs or calls

  bool IsVar() const { return kind == TermKind::kVar; }
  bool IsRootRef(const char* root) const {
    return kind == TermKind::kRef && !args.empty() && args[0].kind == TermKind::kVar && args[0].name == root;
  }
};

struct WithModifier {
  Location loc;
  Term target;  // input..., data..., or a function name (ref)
  Term value;
};

enum class ExprKind : std::uint8_t {
  kTerm,     // terms[0]
  kCall,     // an operator or function call: op (name), terms = args (maybe with an output arg)
  kUnify,    // terms[0] = terms[1]
  kAssign,   // terms[0] := terms[1]
  kSomeDecl, // some x, y (no effect after compilation)
  kSomeIn,   // some [terms[0] ,] terms[1] in terms[2]  (terms[0] kind kScalar null if no key)
  kEvery,    // every [terms[0],] terms[1] in terms[2] { body }
};

struct Expr {
  ExprKind kind = ExprKind::kTerm;
  Location loc;
  bool negated = false;
  bool has_key = false;  // some/every with a key variable
  std::string op;
  Term call;  // kCall: the call term (kind kCall)
  std::vector<Term> terms;
  std::vector<WithModifier> withs;
  std::shared_ptr<Body> body;  // every
  std::string text;            // source text, for explanations
};

struct Body {
  std::vector<Expr> exprs;
  int num_slots = 0;  // only on rule/query bodies: the frame size
};

enum class RuleKind : std::uint8_t { kComplete, kPartialSet, kPartialObject, kFunction };

struct Rule {
  Location loc;
  RuleKind kind = RuleKind::kComplete;
  bool is_default = false;
  std::vector<Term> head_ref;  // the head ref after the package path (first is the name)
  std::vector<Value> path;     // package path + ground prefix of head_ref (strings)
  std::vector<Term> keys;      // partial set: the element; partial object: the non-ground key terms
  std::vector<Term> args;      // functions
  Term value;                  // complete/object/function value (true when absent)
  bool has_value = false;
  Body body;
  std::vector<std::shared_ptr<Rule>> else_chain;  // else bodies in order (value + body)
  int num_slots = 0;
  // Rule index: conditions `input.<ground path> == constant` that the body
  // requires; a rule whose conditions fail on the input is skipped without
  // evaluating its body (OPA indexes rules on such constant keys).
  std::vector<std::pair<std::vector<Value>, Value>> index;
  std::string package;  // "data.a.b"
  std::string name;     // head ref text, for messages
  Value annotations;  // the METADATA block above the rule (scope rule or document), undefined if none
};

struct Import {
  Location loc;
  Term path;  // a ref
  std::string alias;
};

struct Module {
  std::string file;
  RegoVersion version = RegoVersion::kV1;
  // v1, or v0 with `import rego.v1`: OPA's v1 compile checks apply (no
  // shadowing of input/data, no duplicate imports, no deprecated built-ins).
  bool v1_compatible = true;
  Location package_loc;
  Value package_annotations;  // METADATA above `package` (scope package), undefined if none
  std::vector<Value> package;  // path under data
  std::vector<Import> imports;
  std::vector<std::shared_ptr<Rule>> rules;
};

// All definitions of one function (one per `f(...) if` rule).
struct FunctionGroup {
  std::vector<Value> path;
  std::vector<const Rule*> rules;
  const Rule* default_rule = nullptr;
  std::size_t arity = 0;
};

}  // namespace tollgate::rego
