// Unit tests of the Rego engine: values, parser errors, compiler checks and
// evaluation semantics that the conformance corpus does not pin down.
#include <gtest/gtest.h>

#include "rego/lexer.h"
#include "rego/parser.h"
#include "rego/rego.h"
#include "rego/value.h"

namespace tollgate::rego {
namespace {

Value J(const char* text) { return FromJson(nlohmann::json::parse(text)); }

Result<PolicyPtr> Compile(const std::string& src) { return Policy::Compile({{"p.rego", src}}); }

// The single value of `query`'s first expression, or undefined.
Value Eval(const std::string& src, const std::string& query, Value input = Value()) {
  auto p = Compile(src);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message());
  if (!p) return Value();
  EvalOptions o;
  o.input = std::move(input);
  auto r = (*p)->Query(query, o);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
  if (!r || r->rows.empty()) return Value();
  return r->rows[0].expressions[0];
}

std::string EvalError(const std::string& src, const std::string& query, bool strict = true) {
  auto p = Compile(src);
  if (!p) return p.error().message();
  EvalOptions o;
  o.strict_builtin_errors = strict;
  auto r = (*p)->Query(query, o);
  return r ? "" : r.error().message();
}

TEST(RegoValue, OrdersAsOpaDoes) {
  // null < boolean < number < string < array < object < set
  std::vector<Value> v = {Value::MakeSet({Value::Int(1)}), J("{\"a\":1}"), J("[1]"), J("\"s\""), J("2"), J("true"), J("null")};
  std::sort(v.begin(), v.end());
  EXPECT_TRUE(v[0].is_null());
  EXPECT_TRUE(v[1].is_bool());
  EXPECT_TRUE(v[2].is_number());
  EXPECT_TRUE(v[3].is_string());
  EXPECT_TRUE(v[4].is_array());
  EXPECT_TRUE(v[5].is_object());
  EXPECT_TRUE(v[6].is_set());
}

TEST(RegoValue, NumbersCompareByValueAndKeepIntegers) {
  EXPECT_EQ(Value::Int(1), Value::Double(1.0));
  EXPECT_TRUE(Value::Double(3.0).is_int());
  EXPECT_EQ(NumberText(Value::Double(0.5)), "0.5");
  // Integers beyond 64 bits keep their literal text.
  Value big = Value::NumberFromText("123456789012345678901234567890");
  EXPECT_EQ(NumberText(big), "123456789012345678901234567890");
  EXPECT_LT(Value::Int(1), big);
}

TEST(RegoValue, SetsAndObjectsAreCanonical) {
  Value s = Value::MakeSet({Value::Int(3), Value::Int(1), Value::Int(3)});
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(ToRegoString(s), "{1, 3}");
  Value o = J("{\"b\":1,\"a\":2}");
  EXPECT_EQ(ToJsonText(o), "{\"a\":2,\"b\":1}");
  EXPECT_EQ(ToRegoString(Value::EmptySet()), "set()");
}

TEST(RegoParser, ErrorsNameFileLineColumnAndExpectation) {
  auto m = ParseModule("package p\n\nallow if {\n  input.x ==\n}\n", "x.rego");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("x.rego:5:1"), std::string::npos) << m.error().message();
  EXPECT_NE(m.error().message().find("expected"), std::string::npos);
  auto q = ParseModule("pakage p", "y.rego");
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message().find("y.rego:1:1: rego_parse_error: expected 'package'"), std::string::npos) << q.error().message();
}

TEST(RegoParser, RejectsInvalidUtf8AndUnterminatedStrings) {
  EXPECT_FALSE(ParseModule("package p\nx := \"\xff\"\n", "u.rego"));
  auto m = ParseModule("package p\nx := \"abc\n", "s.rego");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("s.rego:2:"), std::string::npos);
}

TEST(RegoParser, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "package p\nx := " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  auto m = ParseModule(deep, "d.rego");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("nesting too deep"), std::string::npos);
}

TEST(RegoCompiler, ReportsUnsafeVariablesUnknownFunctionsAndArity) {
  auto unsafe = Compile("package p\nallow if { x > 1 }\n");
  ASSERT_FALSE(unsafe);
  EXPECT_NE(unsafe.error().message().find("rego_unsafe_var_error: var x is unsafe"), std::string::npos);
  auto unknown = Compile("package p\nallow if { nosuch(1) }\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("undefined function nosuch"), std::string::npos);
  auto arity = Compile("package p\nallow if { count(1, 2, 3) }\n");
  ASSERT_FALSE(arity);
  EXPECT_NE(arity.error().message().find("arity"), std::string::npos);
  auto negated = Compile("package p\nallow if { not input.a[x] }\n");
  ASSERT_FALSE(negated);
}

TEST(RegoCompiler, ReordersBodiesForSafety) {
  EXPECT_EQ(Eval("package p\nq := y if { y > 1; y = 5 }\n", "data.p.q"), Value::Int(5));
}

TEST(RegoEval, UndefinedIsNotFalse) {
  const char* src = "package p\nf := false\nu if { false }\n";
  EXPECT_EQ(Eval(src, "data.p.f"), Value::Bool(false));
  EXPECT_FALSE(Eval(src, "data.p.u").defined());
  EXPECT_EQ(Eval("package p\ndefault d := 7\nd := 1 if { input.x }\n", "data.p.d"), Value::Int(7));
}

TEST(RegoEval, ConflictsAreErrors) {
  EXPECT_NE(EvalError("package p\nx := 1\nx := 2\n", "data.p.x").find("eval_conflict_error"), std::string::npos);
  EXPECT_NE(EvalError("package p\nf(_) := 1\nf(_) := 2\n", "data.p.f(1)").find("eval_conflict_error"), std::string::npos);
  EXPECT_NE(EvalError("package p\no[k] := v if { some k, v in {\"a\": 1} }\no[k] := 2 if { k := \"a\" }\n", "data.p.o")
                .find("object keys must be unique"),
            std::string::npos);
}

TEST(RegoEval, PartialRulesRefHeadsAndElse) {
  const char* src = R"(package p
s contains x if { some x in [3, 1, 3] }
o[k] := v if { some k, v in {"a": 1, "b": 2} }
a.b[c] := 1 if { some c in ["x", "y"] }
g := "low" if { input.n < 10 } else := "high"
)";
  EXPECT_EQ(Eval(src, "data.p.s"), Value::MakeSet({Value::Int(1), Value::Int(3)}));
  EXPECT_EQ(Eval(src, "data.p.o"), J("{\"a\":1,\"b\":2}"));
  EXPECT_EQ(Eval(src, "data.p.a"), J("{\"b\":{\"x\":1,\"y\":1}}"));
  EXPECT_EQ(Eval(src, "data.p.g", J("{\"n\":3}")), Value::String("low"));
  EXPECT_EQ(Eval(src, "data.p.g", J("{\"n\":30}")), Value::String("high"));
}

TEST(RegoEval, EveryComprehensionsAndWith) {
  const char* src = R"(package p
all_even if { every x in input.xs { x % 2 == 0 } }
doubled := [y | some x in input.xs; y := x * 2]
mocked := x if { x := count([1, 2, 3]) with count as 42 }
viaInput if { all_even with input as {"xs": [2, 4]} }
)";
  EXPECT_EQ(Eval(src, "data.p.all_even", J("{\"xs\":[2,4]}")), Value::Bool(true));
  EXPECT_FALSE(Eval(src, "data.p.all_even", J("{\"xs\":[2,3]}")).defined());
  EXPECT_EQ(Eval(src, "data.p.doubled", J("{\"xs\":[1,2]}")), J("[2,4]"));
  EXPECT_EQ(Eval(src, "data.p.mocked"), Value::Int(42));
  EXPECT_EQ(Eval(src, "data.p.viaInput", J("{\"xs\":[1]}")), Value::Bool(true));
}

TEST(RegoEval, RuleIndexSelectsRulesByInputConstants) {
  const char* src = R"(package p
kinds contains "deploy" if { input.kind == "Deployment"; input.spec.replicas > 0 }
kinds contains "svc" if { "Service" = input.kind }
kinds contains "any" if { input.kind }
)";
  auto p = Compile(src);
  ASSERT_TRUE(p);
  for (const Rule* r : (*p)->RulesNamed("p", "kinds")) (void)r;
  EXPECT_EQ((*p)->RulesNamed("p", "kinds")[0]->index.size(), 1u);
  EXPECT_EQ((*p)->RulesNamed("p", "kinds")[1]->index.size(), 1u);
  EXPECT_TRUE((*p)->RulesNamed("p", "kinds")[2]->index.empty());
  EXPECT_EQ(Eval(src, "data.p.kinds", J(R"({"kind":"Deployment","spec":{"replicas":2}})")),
            Value::MakeSet({Value::String("deploy"), Value::String("any")}));
  EXPECT_EQ(Eval(src, "data.p.kinds", J(R"({"kind":"Service"})")), Value::MakeSet({Value::String("svc"), Value::String("any")}));
  EXPECT_EQ(Eval(src, "data.p.kinds", J("{}")), Value::EmptySet());
}

TEST(RegoEval, StepBudgetStopsRunawayEvaluation) {
  auto p = Compile("package p\nn := count([x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); x := a * b])\n");
  ASSERT_TRUE(p);
  EvalOptions o;
  o.max_steps = 100000;
  auto r = (*p)->Query("data.p.n", o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("eval_budget_error"), std::string::npos);
}

TEST(RegoEval, MemoryBudgetStopsRunawayAllocation) {
  // Few steps, many bytes: 200 copies of a 100 KB string.
  auto p = Compile(
      "package p\nbase := concat(\"\", [\"x\" | some i in numbers.range(1, 100000)])\n"
      "r := count([y | some i in numbers.range(1, 200); y := concat(\"\", [base, format_int(i, 10)])])\n");
  ASSERT_TRUE(p);
  EvalOptions o;
  o.max_memory = 8u << 20;
  auto r = (*p)->Query("data.p.r", o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("eval_budget_error: evaluation exceeded the memory budget of 8388608 bytes"), std::string::npos)
      << r.error().message();
  o.max_memory = 1u << 30;
  auto ok = (*p)->Query("data.p.r", o);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->rows.at(0).expressions.at(0), Value::Int(200));
}

TEST(RegoEval, BigIntegersStayExact) {
  // int64 overflow and literals beyond 64 bits go exact, small values stay int64.
  EXPECT_EQ(ToJsonText(Eval("package p\nx := 9223372036854775807 + 2\n", "data.p.x")), "9223372036854775809");
  EXPECT_EQ(ToJsonText(Eval("package p\nx := sum([18446744073709551617, 1])\n", "data.p.x")), "18446744073709551618");
  EXPECT_EQ(ToJsonText(Eval("package p\nx := product([18446744073709551617, 2])\n", "data.p.x")), "36893488147419103234");
  EXPECT_EQ(ToJsonText(Eval("package p\nx := -9223372036854775808 - 1\n", "data.p.x")), "-9223372036854775809");
  EXPECT_EQ(ToJsonText(Eval("package p\nx := (18446744073709551617 - 18446744073709551616) + 1\n", "data.p.x")), "2");
  EXPECT_TRUE(Eval("package p\nx := 18446744073709551617 - 1\n", "data.p.x").big_text() != nullptr);
  EXPECT_EQ(ToJsonText(Eval("package p\nx := 1.5 + 2\n", "data.p.x")), "3.5");
  // Beyond long double precision, comparison is still exact.
  EXPECT_EQ(Eval("package p\nx := 100000000000000000000 > 99999999999999999999\n", "data.p.x"), Value::Bool(true));
  EXPECT_EQ(Eval("package p\nx := -100000000000000000000 < -99999999999999999999\n", "data.p.x"), Value::Bool(true));
  EXPECT_EQ(Eval("package p\nx := 100000000000000000001 == 100000000000000000000 + 1\n", "data.p.x"), Value::Bool(true));
}

TEST(RegoEval, TemplateStringFunctionArgumentsBindFromTheBody) {
  const char* src = "package p\nf($\"{x}-{y}\") := y if {\n  x := \"a\"\n  y := \"b\"\n}\nok := f(\"a-b\")\nno := f(\"a-c\")\n";
  EXPECT_EQ(Eval(src, "data.p.ok"), Value::String("b"));
  EXPECT_FALSE(Eval(src, "data.p.no").defined());
}

TEST(RegoEval, WalkAssignmentEnumeratesPaths) {
  const char* src = "package p\nx := {\"a\": [1, {\"b\": 2}]}\nleaves := {path: v | [path, v] := walk(x); is_number(v)}\n";
  EXPECT_EQ(ToJsonText(Eval(src, "data.p.leaves")), R"({"[\"a\",0]":1,"[\"a\",1,\"b\"]":2})");
}

TEST(RegoEval, JsonPatchArrayIndicesFollowRfc6901) {
  const char* src =
      "package p\nok := json.patch([\"a\", \"b\"], [{\"op\": \"replace\", \"path\": \"/1\", \"value\": \"c\"}])\n"
      "lead := json.patch([\"a\", \"b\"], [{\"op\": \"replace\", \"path\": \"/01\", \"value\": \"c\"}])\n"
      "huge := json.patch([\"a\"], [{\"op\": \"remove\", \"path\": \"/99999999999999999999999\"}])\n";
  EXPECT_EQ(ToJsonText(Eval(src, "data.p.ok")), R"(["a","c"])");
  EXPECT_FALSE(Eval(src, "data.p.lead").defined());
  EXPECT_FALSE(Eval(src, "data.p.huge").defined());
}

TEST(RegoEval, RecursionIsAnError) {
  std::string e = EvalError("package p\na if { b }\nb if { a }\n", "data.p.a");
  EXPECT_NE(e.find("rego_recursion_error"), std::string::npos) << e;
}

TEST(RegoEval, UnsupportedBuiltinsFailLoudly) {
  std::string e = EvalError("package p\nr := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n", "data.p.r", false);
  EXPECT_NE(e.find("not supported"), std::string::npos) << e;
  // A malformed request says what is wrong with it, also without strict errors.
  e = EvalError("package p\nr := http.send({\"method\": \"get\", \"uri\": \"http://x\"})\n", "data.p.r", false);
  EXPECT_NE(e.find("eval_type_error: http.send: invalid request parameters(s): {\"uri\"}"), std::string::npos) << e;
  e = EvalError("package p\nr := http.send({\"method\": \"get\"})\n", "data.p.r", false);
  EXPECT_NE(e.find("missing required request parameters(s): {\"url\"}"), std::string::npos) << e;
}

TEST(RegoEval, BuiltinErrorsAreUndefinedUnlessStrict) {
  const char* src = "package p\nx := 1 / 0\n";
  EXPECT_EQ(EvalError(src, "data.p.x", false), "");
  EXPECT_NE(EvalError(src, "data.p.x", true).find("divide by zero"), std::string::npos);
}

TEST(RegoEval, SprintfAndStrings) {
  EXPECT_EQ(Eval("package p\nx := sprintf(\"%s has %d items (%.1f%%) %v\", [\"a\", 3, 12.5, {\"k\": [1]}])\n", "data.p.x"),
            Value::String("a has 3 items (12.5%) {\"k\": [1]}"));
  EXPECT_EQ(Eval("package p\nx := trim_space(\"  hi \")\n", "data.p.x"), Value::String("hi"));
}

TEST(RegoEval, ExplainsRuleResults) {
  auto p = Compile("package main\ndeny contains \"small\" if {\n  input.replicas < 2\n}\n");
  ASSERT_TRUE(p);
  EvalOptions o;
  o.input = J("{\"replicas\": 1}");
  auto rs = (*p)->EvalRules((*p)->RulesNamed("main", "deny"), o, true);
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs->size(), 1u);
  EXPECT_EQ((*rs)[0].value, Value::String("small"));
  ASSERT_EQ((*rs)[0].steps.size(), 1u);
  const auto& st = (*rs)[0].steps[0];
  EXPECT_EQ(st.loc.line, 3);
  ASSERT_EQ(st.input_paths.size(), 1u);
  EXPECT_EQ(st.input_paths[0], "input.replicas");
  ASSERT_EQ(st.values.size(), 2u);
  EXPECT_EQ(st.values[0], Value::Int(1));
  EXPECT_EQ(st.values[1], Value::Int(2));
}

}  // namespace
}  // namespace tollgate::rego
