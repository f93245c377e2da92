// Private to src/rego: the compiled policy, the built-in registry and the
// evaluator's error type.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rego/ast.h"
#include "rego/rego.h"
#include "rego/value.h"

namespace tollgate::rego {

// An error that ends evaluation; `code` is OPA's (eval_type_error, ...).
struct EvalError {
  std::string code;
  std::string message;
  Location loc;
  bool halt = false;  // raised even when builtin errors are not strict
};

[[noreturn]] void ThrowBuiltinError(const std::string& message);
[[noreturn]] void ThrowTypeError(const std::string& message);
// "name: operand N must be EXPECTED but got TYPE"
[[noreturn]] void ThrowOperandError(std::string_view name, int operand, std::string_view expected, const Value& got);

struct BuiltinContext {
  std::int64_t now_ns = 0;
  std::uint64_t* rand_state = nullptr;
  std::map<std::string, Value>* cache = nullptr;  // per-query memo (time.now_ns, rand)
  // The evaluation's memory budget (EvalOptions::max_memory) and the value of
  // tl_value_bytes when it began: built-ins that decode (yaml.unmarshal) check
  // what they would create against what is left, before creating it.
  std::uint64_t max_memory = UINT64_MAX;
  std::uint64_t memory_base = 0;
  // The file of the module whose expression calls the built-in (conftest's
  // parse_config_file reads paths relative to it) and the evaluation's
  // EvalOptions::config_reader (null when none).
  const std::string* call_file = nullptr;
  const std::function<Result<std::vector<Value>>(const std::string&, std::string_view, const std::string*)>* config_reader =
      nullptr;
  std::uint64_t MemoryLeft() const {
    const std::uint64_t used = tl_value_bytes - memory_base;
    return used >= max_memory ? 0 : max_memory - used;
  }
};

// The error that ends an evaluation over its memory budget (never swallowed
// as a builtin error).
[[noreturn]] void ThrowMemoryBudget(std::uint64_t max_memory, const std::string& what);

using BuiltinFn = Value (*)(const std::vector<Value>& args, BuiltinContext& ctx);

struct Builtin {
  std::string name;
  int arity = 0;  // -1: variadic (internal.print)
  BuiltinFn fn = nullptr;
};

class BuiltinRegistry {
 public:
  void Add(std::string name, int arity, BuiltinFn fn) {
    std::string key = name;
    map_[key] = Builtin{std::move(name), arity, fn};
  }
  const Builtin* Find(std::string_view name) const {
    auto it = map_.find(std::string(name));
    return it == map_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, Builtin> map_;
};

const BuiltinRegistry& Builtins();

// Each builtins_*.cpp registers its family.
void AddCoreBuiltins(BuiltinRegistry& r);
void AddStringBuiltins(BuiltinRegistry& r);
void AddRegexBuiltins(BuiltinRegistry& r);
void AddEncodingBuiltins(BuiltinRegistry& r);
void AddTimeBuiltins(BuiltinRegistry& r);
void AddNetCryptoBuiltins(BuiltinRegistry& r);
void AddMiscBuiltins(BuiltinRegistry& r);
void AddGraphqlBuiltins(BuiltinRegistry& r);
void AddX509Builtins(BuiltinRegistry& r);
void AddJsonSchemaBuiltins(BuiltinRegistry& r);
void AddTemplateBuiltins(BuiltinRegistry& r);
void AddGlobsBuiltins(BuiltinRegistry& r);
void AddDeprecatedBuiltins(BuiltinRegistry& r);
// conftest's parse_config, parse_config_file, parse_combined_config_files.
void AddConftestBuiltins(BuiltinRegistry& r);
// any, all, re_match, net.cidr_overlap, set_diff, cast_*: refused in v1 modules.
bool IsDeprecatedBuiltin(std::string_view name);

// Argument helpers for built-ins.
const std::string& ArgString(std::string_view fn, const std::vector<Value>& a, int i);
const Value& ArgNumber(std::string_view fn, const std::vector<Value>& a, int i);
std::int64_t ArgInt(std::string_view fn, const std::vector<Value>& a, int i);
const Value& ArgKind(std::string_view fn, const std::vector<Value>& a, int i, Kind k);

// Number arithmetic shared by the built-ins.
Value Add(const Value& a, const Value& b);
Value Sub(const Value& a, const Value& b);
Value Mul(const Value& a, const Value& b);

// The tree of documents under `data`: packages and rule paths.
struct Node {
  std::map<Value, std::unique_ptr<Node>> children;
  std::vector<const Rule*> rules;    // complete/partial rules whose path ends here
  const Rule* default_rule = nullptr;
  std::unique_ptr<FunctionGroup> functions;
  std::vector<Value> path;
  bool has_rules_below = false;
};

struct CompiledQuery {
  Body body;
  std::map<std::string, int> vars;  // named query variables -> slots
};

struct Policy::Impl {
  std::vector<std::shared_ptr<Module>> modules;
  Node root;
  // Package paths in order of appearance.
  std::vector<std::vector<Value>> packages;
  std::map<std::vector<Value>, Value> package_annotations;
  // Compiles a query body against this policy (resolving names as OPA does
  // for queries: no package scope).
  Result<CompiledQuery> CompileQuery(const std::string& query) const;
};


}  // namespace tollgate::rego
