// tollgate policy fmt --v0-to-v1 (issue 15): the source rewrite and its proof.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_util.h"
#include "rego/migrate.h"
#include "rego/rego.h"

namespace tollgate::rego {
namespace {

namespace fs = std::filesystem;

std::string Rewrite(const std::string& v0) {
  auto r = MigrateV0ToV1({{"m.rego", v0, RegoVersion::kV0}});
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? (*r)[0].text : "";
}

// Expected texts follow OPA's v1 syntax (OPA 1.0 migration guide): `if`
// before every body, `contains` for multi-value rules, one rule per body.
TEST(RegoMigrate, AddsIfAndContainsKeepingCommentsAndLayout) {
  EXPECT_EQ(Rewrite("package p\n\n# why\ndeny[msg] {\n  msg := \"x\"\n}\n"),
            "package p\n\n# why\ndeny contains msg if {\n  msg := \"x\"\n}\n");
  EXPECT_EQ(Rewrite("package p\nviolation[{\"msg\": m}] { m := 1 }\n"),
            "package p\nviolation contains {\"msg\": m} if { m := 1 }\n");
  EXPECT_EQ(Rewrite("package p\nf(x) = y { y := x } else = 2 { true }\n"),
            "package p\nf(x) = y if { y := x } else = 2 if { true }\n");
  EXPECT_EQ(Rewrite("package p\ns[1]\np.q { true }\na.b.c\n"),
            "package p\ns contains 1\np contains \"q\" if { true }\na.b.c := true\n");
  // Already v1-compatible rules stay as they are.
  EXPECT_EQ(Rewrite("package p\nimport future.keywords\nq contains 1 if true\nr := 2\n"),
            "package p\nimport future.keywords\nq contains 1 if true\nr := 2\n");
}

TEST(RegoMigrate, SplitsRulesWithSeveralBodies) {
  EXPECT_EQ(Rewrite("package p\ns[x] { x := 1 } { x := 2 }\n"),
            "package p\ns contains x if { x := 1 }\n\ns contains x if { x := 2 }\n");
}

TEST(RegoMigrate, ReplacesDeprecatedBuiltins) {
  EXPECT_EQ(Rewrite("package p\nq { re_match(\"a\", input.x) }\n"), "package p\nq if { regex.match(\"a\", input.x) }\n");
  EXPECT_EQ(Rewrite("package p\nq = set_diff(input.a, {1})\n"), "package p\nq = (input.a - {1})\n");
  EXPECT_EQ(Rewrite("package p\nq = net.cidr_overlap(\"10.0.0.0/8\", input.ip)\n"),
            "package p\nq = net.cidr_contains(\"10.0.0.0/8\", input.ip)\n");
  // Nested deprecated calls are rewritten inside out.
  EXPECT_EQ(Rewrite("package p\nq = any(cast_array(input.s))\n"),
            "package p\nq = (true in [[__v18__ | some __v18__ in __u18__] | __u18__ := input.s][0])\n");
  // Undefined arguments stay undefined (all([]) is true, all of nothing is not).
  EXPECT_EQ(Rewrite("package p\nq = all(input.xs)\n"),
            "package p\nq = [count([__v14__ | some __v14__ in __u14__; __v14__ != true]) == 0 | __u14__ := input.xs][0]\n");
}

TEST(RegoMigrate, ProvesEqualityAndReportsDifferences) {
  std::vector<SourceFile> v0 = {{"m.rego",
                                 "package p\nallow { input.user == \"admin\" } { input.user == \"root\" }\n"
                                 "deny[m] { some x; input.bad[x]; m := x }\nok = all([true, input.t])\n"
                                 "test_root { allow with input as {\"user\": \"root\"} }\n",
                                 RegoVersion::kV0}};
  auto v1 = MigrateV0ToV1(v0);
  ASSERT_TRUE(v1) << v1.error().message();
  std::vector<Value> inputs = {FromJson(nlohmann::json::parse(R"({"user":"admin","bad":{"a":1},"t":true})")),
                               FromJson(nlohmann::json::parse(R"({"user":"eve","t":false})"))};
  auto proof = ProveMigration(v0, *v1, inputs, Value());
  ASSERT_TRUE(proof) << proof.error().message();
  EXPECT_TRUE(proof->proved()) << proof->differences[0];
  EXPECT_EQ(proof->inputs, 3u);
  EXPECT_EQ(proof->tests, 1u);
  // A rewrite that changes the meaning is caught.
  std::vector<SourceFile> wrong = {{"m.rego",
                                    "package p\nallow if input.user == \"admin\"\ndeny contains m if { some x; input.bad[x]; m := x }\n"
                                    "ok := true\ntest_root if { allow with input as {\"user\": \"root\"} }\n",
                                    RegoVersion::kV1}};
  auto bad = ProveMigration(v0, wrong, inputs, Value());
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->proved());
  bool test_differs = false;
  for (const auto& d : bad->differences)
    if (d.find("data.p.test_root") != std::string::npos && d.find("v0 PASS, v1 FAIL") != std::string::npos) test_differs = true;
  EXPECT_TRUE(test_differs) << ::testing::PrintToString(bad->differences);
}

TEST(RegoMigrate, CliPrintsOrWritesOnlyOnceProved) {
  fs::path dir = fs::temp_directory_path() / ("tollgate_fmt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "p.rego") << "package p\ndeny[msg] { input.x > 1; msg := \"big\" }\ntest_big { deny[\"big\"] with input as {\"x\": 2} }\n";
  std::ofstream(dir / "in.json") << R"({"x": 5})";
  auto r = testing::RunTollgate("policy fmt --v0-to-v1 -i " + (dir / "in.json").string() + " " + (dir / "p.rego").string());
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("deny contains msg if { input.x > 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("proved: 2 package documents (1 packages x 2 inputs) and 1 tests"), std::string::npos) << r.out;
  auto w = testing::RunTollgate("policy fmt --v0-to-v1 -w " + (dir / "p.rego").string());
  EXPECT_EQ(w.rc, 0) << w.out;
  auto t = testing::RunTollgate("policy test " + dir.string());  // now v1
  EXPECT_EQ(t.rc, 0) << t.out;
  auto no = testing::RunTollgate("policy fmt " + (dir / "p.rego").string());
  EXPECT_EQ(no.rc, 2) << no.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::rego
