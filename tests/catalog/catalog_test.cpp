#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace tollgate::catalog {
namespace {

namespace fs = std::filesystem;

// Written for these tests in the shape of Backstage's examples (kinds
// Component, API and System in one multi-document file).
constexpr const char* kShop = R"(apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description: Takes the money
  annotations:
    github.com/project-slug: acme/checkout
spec:
  type: service
  lifecycle: production
  owner: team-pay
  system: shop
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-api
spec:
  type: openapi
  owner: team-pay
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: basket
  namespace: retail
spec:
  type: website
  lifecycle: experimental
  owner: team-web
)";

class Dir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("catalog_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary) << text;
  }
  fs::path root_;
};

TEST(CatalogParse, ComponentsAreReadAndOtherKindsSkipped) {
  Parsed p;
  ParseText(kShop, "shop.yaml", p);
  ASSERT_TRUE(p.ok()) << p.errors.front();
  ASSERT_EQ(p.components.size(), 2u);
  const Component& c = p.components[0];
  EXPECT_EQ(c.name, "checkout");
  EXPECT_EQ(c.ns, "default");
  EXPECT_EQ(c.owner, "team-pay");
  EXPECT_EQ(c.lifecycle, "production");
  EXPECT_EQ(c.system, "shop");
  EXPECT_EQ(c.type, "service");
  EXPECT_EQ(c.description, "Takes the money");
  EXPECT_EQ(c.annotations.at("github.com/project-slug"), "acme/checkout");
  EXPECT_EQ(c.line, 1u);
  EXPECT_EQ(p.components[1].name, "basket");
  EXPECT_EQ(p.components[1].ns, "retail");
  EXPECT_EQ(p.components[1].line, 22u);  // the third document's mapping starts on line 22 of kShop
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].kind, "API");
  EXPECT_EQ(p.skipped[0].name, "checkout-api");
}

TEST(CatalogParse, NamesFollowBackstageRules) {
  EXPECT_TRUE(ValidName("a"));
  EXPECT_TRUE(ValidName("Payments_API.v2-x"));
  EXPECT_TRUE(ValidName(std::string(63, 'a')));
  EXPECT_FALSE(ValidName(std::string(64, 'a')));
  EXPECT_FALSE(ValidName(""));
  EXPECT_FALSE(ValidName("-lead"));
  EXPECT_FALSE(ValidName("trail."));
  EXPECT_FALSE(ValidName("has space"));
  EXPECT_FALSE(ValidName("slash/name"));
}

// Each bad document is an error naming the file and the line where it is.
TEST(CatalogParse, BadDocumentsAreErrorsWithFileAndLine) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {}\n", "bad.yaml:1: missing metadata.name"},
      {"apiVersion: backstage.io/v1beta9\nkind: Component\nmetadata:\n  name: x\n", "bad.yaml:1: unknown apiVersion"},
      {"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad name\n", "bad.yaml:4: metadata.name"},
      {"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n---\n"
       "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n",
       "bad.yaml:9: duplicate component 'a'"},
      {"- just\n- a list\n", "bad.yaml:1: a catalog entity must be a mapping"},
      {"key: [unclosed\n", "bad.yaml:"},
  };
  for (const auto& c : cases) {
    Parsed p;
    ParseText(c.text, "bad.yaml", p);
    ASSERT_EQ(p.errors.size(), 1u) << c.text;
    EXPECT_EQ(p.errors[0].rfind(c.want, 0), 0u) << p.errors[0];
    EXPECT_TRUE(p.components.empty() || std::string(c.want).find("duplicate") != std::string::npos);
  }
}

TEST(CatalogParse, HostileInputIsAnErrorNotACrash) {
  // Billion laughs: nine levels of ten aliases each would expand to 10^9 nodes.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", " : "") + prev;
    bomb += "]\n";
  }
  std::string deep = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: d\nspec: ";
  deep += std::string(5000, '[') + std::string(5000, ']') + "\n";
  std::string binary("apiVersion: \0\x01\x02\xff", 17);
  for (const std::string& text : {bomb, deep, binary}) {
    Parsed p;
    ParseText(text, "evil.yaml", p);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.errors[0].rfind("evil.yaml:", 0), 0u) << p.errors[0];
    EXPECT_TRUE(p.components.empty());
  }
}

TEST_F(Dir, DirectoryReadsEveryCatalogInfoAndSkipsGitAndOversizeIsAnError) {
  Write("a/catalog-info.yaml", kShop);
  Write("b/deeper/catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger\nspec:\n  owner: team-core\n");
  Write(".git/catalog-info.yaml", "not: [read\n");
  Write("b/other.yaml", "not: [read\n");
  Parsed p = ParseDirectory(root_.string());
  ASSERT_TRUE(p.ok()) << p.errors.front();
  ASSERT_EQ(p.components.size(), 3u);
  EXPECT_EQ(p.components[2].name, "ledger");
  EXPECT_EQ(p.components[2].file, (root_ / "b/deeper/catalog-info.yaml").string());

  Write("c/catalog-info.yaml", std::string(kMaxFileBytes + 1, '#'));
  Parsed big = ParseDirectory(root_.string());
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.errors[0].find("c/catalog-info.yaml"), std::string::npos) << big.errors[0];

  Parsed missing = ParseDirectory((root_ / "nope").string());
  EXPECT_FALSE(missing.ok());
}

// The CLI through the binary: components on stdout, exit 2 with file:line on stderr.
TEST_F(Dir, CheckCommandPrintsJsonAndExitsTwoOnAnError) {
  Write("svc/catalog-info.yaml", kShop);
  const std::string bin = TOLLGATE_BINARY;
  const std::string out = (root_ / "out.json").string(), err = (root_ / "err.txt").string();
  int rc = std::system((bin + " catalog check --format json " + (root_ / "svc").string() + " >" + out + " 2>" + err).c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 0);
  std::ifstream in(out);
  const Json j = Json::parse(in);
  ASSERT_EQ(j["components"].size(), 2u);
  EXPECT_EQ(j["components"][0]["owner"], "team-pay");
  EXPECT_EQ(j["skipped"][0]["kind"], "API");

  Write("svc/catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: -x\n");
  rc = std::system((bin + " catalog check " + (root_ / "svc").string() + " >" + out + " 2>" + err).c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  std::ifstream e(err);
  std::string line;
  std::getline(e, line);
  EXPECT_NE(line.find("svc/catalog-info.yaml:4: metadata.name '-x'"), std::string::npos) << line;
}

TEST(CatalogReconcile, DeletionDisappearsAndAFailedRefreshKeepsTheLastGood) {
  Parsed first;
  ParseText(kShop, "shop.yaml", first);
  SourceState a, b;
  a.name = "a";
  b.name = "b";
  Reconcile(a, first, "2026-12-05T10:00:00Z");
  Reconcile(b, first, "2026-12-05T10:00:00Z");
  ASSERT_EQ(a.components.size(), 2u);
  EXPECT_EQ(a.status, "ok");
  EXPECT_EQ(a.skipped, 1u);

  // basket removed from source a: it disappears.
  Parsed second;
  ParseText("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n", "shop.yaml", second);
  Reconcile(a, second, "2026-12-05T11:00:00Z");
  ASSERT_EQ(a.components.size(), 1u);
  EXPECT_EQ(a.components[0].name, "checkout");

  // A broken refresh of b keeps its two components and records the error; a is untouched.
  Parsed broken;
  ParseText("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {}\n", "b.yaml", broken);
  Reconcile(b, broken, "2026-12-05T12:00:00Z");
  EXPECT_EQ(b.status, "failed");
  EXPECT_EQ(b.components.size(), 2u);
  EXPECT_EQ(b.error, "b.yaml:1: missing metadata.name");
  EXPECT_EQ(b.refreshed_at, "2026-12-05T12:00:00Z");
  EXPECT_EQ(a.status, "ok");
  EXPECT_EQ(a.components.size(), 1u);
}

}  // namespace
}  // namespace tollgate::catalog
