// Rego v0 beside v1 (issue 15 part 1): our own conformance-style suites
// (tests/rego/testdata/v0 read as v0, tests/rego/testdata/v1 in the default
// v1 mode), v0 and v1 modules compiled together, bundle manifests and the
// CLI's --v0-compatible.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rego/check.h"
#include "rego/conformance.h"
#include "rego/rego.h"

namespace tollgate::rego {
namespace {

namespace fs = std::filesystem;

std::string Testdata(const char* sub) { return std::string(TOLLGATE_SOURCE_DIR) + "/tests/rego/testdata/" + sub; }

TEST(RegoOwnSuites, V0CasesPassAsOpaReadsThemWithV0Compatible) {
  ConformanceOptions o;
  o.version = RegoVersion::kV0;
  auto r = RunConformance(Testdata("v0"), o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->failed, 0u) << FormatConformance(*r, true);
  EXPECT_GE(r->passed, 50u);
}

TEST(RegoOwnSuites, V1CasesRefuseV0SyntaxAndRewriteDynamicTerms) {
  auto r = RunConformance(Testdata("v1"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->failed, 0u) << FormatConformance(*r, true);
  EXPECT_GE(r->passed, 30u);
}

TEST(RegoOwnSuites, V0CasesFailInV1Mode) {
  // The same v0 cases read as v1: most must fail (they use v0-only syntax);
  // none may silently give the v0 answer through a v1 reinterpretation.
  auto r = RunConformance(Testdata("v0"));
  ASSERT_TRUE(r);
  EXPECT_GT(r->failed, 30u);
}

Result<Value> EvalFirst(const std::vector<SourceFile>& files, const std::string& query, const CompileOptions& co = {}) {
  auto p = Policy::Compile(files, co);
  if (!p) return Fail(p.error());
  auto r = (*p)->Query(query, EvalOptions{});
  if (!r) return Fail(r.error());
  if (r->rows.empty()) return Value();
  return r->rows[0].expressions[0];
}

TEST(RegoV0, V0AndV1ModulesSideBySide) {
  SourceFile v0{"old.rego", "package lib\nviolation[{\"msg\": m}] { m := \"old\" }\n", RegoVersion::kV0};
  SourceFile v1{"new.rego", "package main\nimport data.lib\ndeny contains m if { some v in lib.violation; m := v.msg }\n",
                RegoVersion::kV1};
  auto v = EvalFirst({v0, v1}, "data.main.deny");
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(ToJson(*v), nlohmann::json::parse(R"(["old"])"));
  // The default version decides files that do not say.
  SourceFile plain{"plain.rego", "package p\nq[x] { x := 1 }\n"};
  EXPECT_FALSE(EvalFirst({plain}, "data.p.q"));
  CompileOptions co;
  co.version = RegoVersion::kV0;
  auto q = EvalFirst({plain}, "data.p.q", co);
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(ToJson(*q), nlohmann::json::parse("[1]"));
}

TEST(RegoV0, ErrorsNameEveryOffendingRuleWithPosition) {
  auto p = Policy::Compile({{"v0.rego", "package p\n\nviolation[{\"msg\": m}] { m := \"x\" }\n"}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(),
            "v0.rego:3:1: rego_parse_error: `if` keyword is required before rule body; "
            "v0.rego:3:1: rego_parse_error: `contains` keyword is required for partial set rules");
}

TEST(RegoV0, BundleManifestSetsVersionsPerDirectoryAndFile) {
  fs::path dir = fs::temp_directory_path() / ("tollgate_manifest_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "new");
  std::ofstream(dir / ".manifest") << R"({"revision": "1", "rego_version": 0, "file_rego_versions": {"/new/*.rego": 1}})";
  std::ofstream(dir / "old.rego") << "package old\ns[x] { x := 1 }\n";
  std::ofstream(dir / "new" / "n.rego") << "package n\nt contains x if { x := 2 }\n";
  auto p = LoadPolicies({dir.string()});
  ASSERT_TRUE(p) << p.error().message();
  auto r = (*p)->Query("x := [data.old.s, data.n.t]", EvalOptions{});
  ASSERT_TRUE(r && r->rows.size() == 1);
  EXPECT_EQ(ToJson(r->rows[0].bindings["x"]), nlohmann::json::parse("[[1], [2]]"));
  std::ofstream(dir / ".manifest") << R"({"rego_version": 3})";
  auto bad = LoadPolicies({dir.string()});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("rego_version must be 0 or 1"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::rego
