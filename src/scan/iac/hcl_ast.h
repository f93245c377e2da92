// HCL2 native syntax (hclsyntax-spec.md): the syntax tree with source
// positions, the parser and a static evaluator. Values are JSON; a value that
// cannot be known statically (a resource attribute, a data source, a missing
// variable) is the unknown marker {"unknown": true, "expr": "<source>"}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

// Assigns the value of a Result or returns its error.
#define IAC_ASSIGN(lhs, expr)                                        \
  do {                                                               \
    auto iac_r_ = (expr);                                            \
    if (!iac_r_) return ::tollgate::Fail(std::move(iac_r_).error()); \
    lhs = std::move(*iac_r_);                                        \
  } while (0)

namespace tollgate::iac::hcl {

struct Pos {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  std::size_t byte = 0;
};

enum class ExprKind {
  kLiteral,      // value
  kTemplate,     // kids: parts (string literals and expressions), concatenated
  kTemplateIf,   // kids: cond, then-template, else-template (may be null)
  kTemplateFor,  // key_var, value_var; kids: collection, body-template
  kTuple,        // kids: items
  kObject,       // kids: key0, value0, key1, value1, ...; a bare identifier key is a literal
  kVariable,     // name (root of a traversal: var, local, each, aws_s3_bucket, ...)
  kGetAttr,      // name; kids: source
  kIndex,        // kids: source, key
  kSplat,        // kids: source, each (an expression over kSplatItem)
  kSplatItem,    // the element a splat's traversal is applied to
  kCall,         // name; kids: args; expand_final for `...`
  kUnary,        // op "!" or "-"; kids: operand
  kBinary,       // op; kids: lhs, rhs
  kConditional,  // kids: cond, then, else
  kFor,          // key_var, value_var, object_for, grouping; kids: collection, key (object only, else null), value, cond (or null)
  kParens,       // kids: inner
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Pos pos;                    // first character
  std::size_t end = 0;        // byte offset just past the expression
  Json value;                 // kLiteral
  std::string name;           // kVariable, kGetAttr, kCall; the operator of kUnary/kBinary
  std::string key_var, value_var;
  bool object_for = false;
  bool grouping = false;
  bool expand_final = false;
  std::vector<std::unique_ptr<Expr>> kids;
};
using ExprPtr = std::unique_ptr<Expr>;

struct Block;

struct Attribute {
  std::string name;
  Pos pos;
  ExprPtr expr;
};

struct Body {
  std::vector<Attribute> attributes;   // in source order
  std::vector<Block> blocks;           // in source order
};

struct Block {
  std::string type;
  std::vector<std::string> labels;
  Pos pos;
  Body body;
};

struct File {
  std::string name;
  std::string text;  // the source the positions refer to
  Body body;
};

// Nesting limits; deeper input is an error. Blocks: levels. Expressions:
// parser recursion steps (each bracket level takes four).
constexpr std::size_t kMaxNesting = 200;
constexpr std::size_t kMaxExprDepth = 400;

// Parses a whole file; fails with "file:line:column: problem (hint)" as
// Error::Input on the first syntax error.
Result<File> Parse(const std::string& name, std::string_view text);
// Parses a standalone expression (used by --var style inputs and tests).
Result<ExprPtr> ParseExpression(const std::string& name, std::string_view text);

// Names an expression's variables resolve to. Lookup returns nullptr when a
// root is not known (then the expression is unknown).
struct Scope {
  // var.NAME, local.NAME, ... and for-expression iteration symbols.
  std::function<const Json*(const std::string& root, const std::string& attr)> lookup;
  std::map<std::string, Json> symbols;  // for-expression / template-for symbols, and top-level names in tests
};

bool IsUnknown(const Json& v);
Json Unknown(std::string_view source);

// Evaluates statically; never fails: anything that cannot be computed is the
// unknown marker with the expression's source text (from `source`).
Json Evaluate(const Expr& e, const Scope& scope, std::string_view source);

// The body as JSON the way iac-model.md documents it: attributes by name,
// nested blocks as arrays of objects under their type.
Json BodyToJson(const Body& b, const Scope& scope, std::string_view source);

}  // namespace tollgate::iac::hcl
