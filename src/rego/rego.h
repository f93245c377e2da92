// The public face of the Rego engine: compile modules once into a Policy,
// then evaluate queries against it many times.
//
//   auto policy = Policy::Compile({{"p.rego", text}});
//   EvalOptions opts; opts.input = FromJson(input_json);
//   auto rs = policy->Query("data.main.deny", opts);
//
// A Policy is immutable after Compile and may be shared between threads; each
// Query builds its own evaluator state. Errors carry OPA's error codes at the
// start of the message after the position ("p.rego:3:5: rego_unsafe_var_error:
// var x is unsafe", "eval_conflict_error: ...").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "rego/ast.h"
#include "rego/value.h"

namespace tollgate::rego {

struct SourceFile {
  std::string name;
  std::string text;
  // The syntax of this file; unset: CompileOptions::version. v0 and v1
  // modules may be compiled together (OPA's per-file rego_version).
  std::optional<RegoVersion> version = std::nullopt;
};

struct CompileOptions {
  RegoVersion version = RegoVersion::kV1;  // --v0-compatible: kV0
};

// One step of an explanation: an expression that was evaluated, where, and
// the values it saw.
struct TraceEvent {
  enum class Kind : std::uint8_t { kEnterRule, kExprTrue, kExprFalse, kExitRule };
  Kind kind = Kind::kExprTrue;
  Location loc;
  std::string text;                 // source text of the expression or rule head
  std::vector<std::string> refs;    // input/data paths the expression read
  std::vector<Value> values;        // the values of its operands
};

// One step of the derivation that produced a rule result: the expression,
// where it is, the input paths it read and the values of its operands.
struct ExplainStep {
  Location loc;
  std::string text;
  std::vector<std::string> input_paths;
  std::vector<Value> values;
};

// A value a rule produced (the element of a partial set, the value of a
// complete rule), with the steps that decided it when explaining.
struct RuleResult {
  const Rule* rule = nullptr;
  Value value;
  std::vector<ExplainStep> steps;
};

struct EvalOptions {
  Value input;  // undefined: no input document
  Value data = Value::EmptyObject();
  // Builtin errors abort evaluation (true) or make the call undefined (false,
  // OPA's default).
  bool strict_builtin_errors = false;
  // The evaluation stops with an error after this many expression steps.
  std::uint64_t max_steps = 50'000'000;
  // The evaluation stops with an error once the strings and collections it
  // created exceed this many bytes (approximate, cumulative).
  std::uint64_t max_memory = std::uint64_t{4} << 30;
  // time.now_ns() (nanoseconds since the epoch); nullopt: the system clock.
  std::optional<std::int64_t> now_ns;
  // Called for every expression evaluated (explanations); may be empty.
  std::function<void(const TraceEvent&)> trace;
  // conftest's built-ins parse_config(parser, text), parse_config_file(path)
  // and parse_combined_config_files(paths) read configuration through this:
  // the documents of `text` (when not null, named `path`) or of the file at
  // `path`, read as `parser` ("": by the file's name). Empty (the default,
  // and in every evaluation but `policy check` and `policy test`): calling
  // them is an error that stops the evaluation, never an undefined result.
  std::function<Result<std::vector<Value>>(const std::string& path, std::string_view parser, const std::string* text)>
      config_reader;
};

struct QueryResult {
  struct Row {
    std::vector<Value> expressions;               // one per query expression
    std::map<std::string, Value> bindings;        // the query's named variables
  };
  std::vector<Row> rows;
};

class Policy;
using PolicyPtr = std::shared_ptr<const Policy>;

class Policy {
 public:
  // Parses and compiles the modules (merged by package). Fails with a
  // file:line:col message for syntax errors, unsafe variables, recursion,
  // unknown functions and wrong arity.
  static Result<PolicyPtr> Compile(const std::vector<SourceFile>& files, const CompileOptions& opts = {});
  static Result<PolicyPtr> CompileModules(std::vector<Module> modules);

  // Compiles and evaluates `query` (e.g. "data.main.deny" or "x := data.a[_]").
  Result<QueryResult> Query(const std::string& query, const EvalOptions& opts) const;

  // Evaluates the value of a document under data (e.g. {"main","deny"});
  // undefined when no rule defines it.
  Result<Value> EvalPath(const std::vector<std::string>& path, const EvalOptions& opts) const;

  // Evaluates each of `rules` on its own (every definition separately, so a
  // result is attributed to the rule that produced it) in one evaluation
  // context; with `explain`, records the deciding steps.
  Result<std::vector<RuleResult>> EvalRules(const std::vector<const Rule*>& rules, const EvalOptions& opts,
                                            bool explain) const;

  // The packages the modules declare ("main", "kubernetes.admission").
  std::vector<std::string> Packages() const;
  // The rules of `package` whose name (first head segment) is `name`.
  std::vector<const Rule*> RulesNamed(const std::string& package, const std::string& name) const;
  // Every rule name of a package (first head segment), sorted.
  std::vector<std::string> RuleNames(const std::string& package) const;
  const std::vector<std::shared_ptr<Module>>& modules() const;

  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  Policy();
  std::unique_ptr<Impl> impl_;
};

// The error code at the start of an engine error message ("eval_conflict_error"),
// or "" when there is none.
std::string ErrorCodeOf(const std::string& message);

}  // namespace tollgate::rego
