// YAML lockfiles and advisories read strictly (issue 14 items 7 and 10).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/yaml_bomb.h"
#include "scan/deps/osv.h"
#include "scan/deps/packages.h"

namespace tollgate::deps {
namespace {

using ::testing::HasSubstr;
using tollgate::testdata::BillionLaughs;

// pnpm 11+ writes the env lockfile (pnpm itself, config dependencies) as a
// first document and the project's lockfile as the second: only the first
// used to be read, so the project's packages went unscanned.
TEST(PnpmLockYaml, EnvDocumentDoesNotHideTheProjectDocument) {
  const char* lock =
      "---\nlockfileVersion: '9.0'\nimporters:\n  .:\n    configDependencies: {}\n"
      "packages:\n  pnpm@12.3.4:\n    resolution: {integrity: sha512-x}\n"
      "---\nlockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      lodash: {specifier: ^4, version: "
      "4.17.20}\n"
      "packages:\n  lodash@4.17.20:\n    resolution: {integrity: sha512-y}\n";
  Inventory inv;
  auto s = ParseLockfile("pnpm", lock, "pnpm-lock.yaml", inv);
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[0].name, "pnpm");
  EXPECT_EQ(inv.packages[0].line, 7u);
  EXPECT_EQ(inv.packages[1].name, "lodash");
  EXPECT_EQ(inv.packages[1].version, "4.17.20");
  EXPECT_EQ(inv.packages[1].line, 16u);
}

TEST(PnpmLockYaml, DuplicatePackageKeyIsAnError) {
  Inventory inv;
  auto s = ParseLockfile("pnpm", "packages:\n  a@1.0.0: {}\n  b@2.0.0: {}\n  a@1.0.0: {}\n", "pnpm-lock.yaml", inv);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "pnpm-lock.yaml:4:3: key \"a@1.0.0\" already set in map (first at line 2, column 3)");
}

TEST(PnpmLockYaml, AliasBombIsRefused) {
  std::string s = BillionLaughs("packages: {}\n");
  Inventory inv;
  auto r = ParseLockfile("pnpm", s, "pnpm-lock.yaml", inv);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("once its aliases are expanded"));
}

TEST(OsvYaml, DuplicateKeysAndBombsAreRefusedScalarsStayStrings) {
  auto ok = ParseOsvText("id: X-1\nmodified: 2024-01-01T00:00:00Z\naffected: [{versions: [1.10, 2]}]\n", "x.yaml");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ((*ok)["affected"][0]["versions"][0], "1.10");
  auto dup = ParseOsvText("id: X-1\nid: X-2\n", "x.yaml");
  ASSERT_FALSE(dup);
  EXPECT_THAT(dup.error().message(), HasSubstr("x.yaml:2:1: key \"id\" already set in map"));
  EXPECT_FALSE(ParseOsvText(BillionLaughs("id: X\n"), "x.yaml"));
}

}  // namespace
}  // namespace tollgate::deps
