#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "scan/iac/catalog.h"
#include "scan/iac/iac.h"

namespace fs = std::filesystem;
using namespace tollgate::iac;

namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kGoodRule = R"(package tollgate.iac.t

import rego.v1

# METADATA
# title: A | piped title
# description: Why it matters.
# custom:
#   id: TG-T-001
#   severity: high
#   resources: [aws_thing]
#   pci: ["1.2.3"]
#   nist: [AC-3]
#   remediation: Fix it.
deny contains {"id": "TG-T-001", "msg": "m"} if input.x == 1
)";

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("tg_catalog_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  void Write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

}  // namespace

TEST(IacCatalog, ReadsMetadataOfDenyRules) {
  TempDir d;
  d.Write("t.rego", kGoodRule);
  auto c = LoadCatalog({d.path.string()});
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->size(), 1u);
  const CheckInfo& x = (*c)[0];
  EXPECT_EQ(x.id, "TG-T-001");
  EXPECT_EQ(x.severity, "high");
  EXPECT_EQ(x.pci, std::vector<std::string>{"1.2.3"});
  EXPECT_EQ(x.nist, std::vector<std::string>{"AC-3"});
  EXPECT_TRUE(x.cis.empty());
  EXPECT_EQ(x.rationale, "Why it matters.");
  EXPECT_EQ(x.file, "policies/t.rego");
  EXPECT_EQ(x.line, 15);
  std::string md = CatalogMarkdown(*c);
  EXPECT_NE(md.find("| TG-T-001 | high | A \\| piped title | aws_thing | 1.2.3 | NIST AC-3 | Why it matters. | Fix it. |"), std::string::npos) << md;
}

TEST(IacCatalog, RejectsIncompleteOrDuplicateMetadata) {
  {
    TempDir d;
    d.Write("t.rego", "package tollgate.iac.t\nimport rego.v1\ndeny contains \"x\" if input.x\n");
    auto c = LoadCatalog({d.path.string()});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("t.rego:3: deny rule without a METADATA block"), std::string::npos) << c.error().message();
  }
  {
    TempDir d;
    d.Write("t.rego", std::regex_replace(kGoodRule, std::regex("#   pci: .*\n"), ""));
    auto c = LoadCatalog({d.path.string()});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("lacks custom.pci"), std::string::npos) << c.error().message();
  }
  {
    TempDir d;
    d.Write("t.rego", std::regex_replace(kGoodRule, std::regex("severity: high"), "severity: severe"));
    auto c = LoadCatalog({d.path.string()});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("unknown severity 'severe'"), std::string::npos) << c.error().message();
  }
  {
    TempDir d;
    d.Write("t.rego", kGoodRule);
    d.Write("u.rego", std::regex_replace(kGoodRule, std::regex("iac\\.t"), "iac.u"));
    auto c = LoadCatalog({d.path.string()});
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message().find("TG-T-001 is already used at"), std::string::npos) << c.error().message();
  }
  {
    // Packages outside tollgate.iac (user policies) are not catalogued.
    TempDir d;
    d.Write("t.rego", "package mine\nimport rego.v1\ndeny contains \"x\" if input.x\n");
    auto c = LoadCatalog({d.path.string()});
    ASSERT_TRUE(c) << c.error().message();
    EXPECT_TRUE(c->empty());
  }
}

// The built-in library: at least 60 complete checks, the embedded copy equals
// the source tree, every id is exercised by the tests (a positive and a
// negative case each, so at least twice), docs/policies.md is current.
TEST(IacCatalog, BuiltinLibrary) {
  auto embedded = LoadCatalog({});
  ASSERT_TRUE(embedded) << embedded.error().message();
  auto source = LoadCatalog({std::string(TOLLGATE_SOURCE_DIR) + "/policies"});
  ASSERT_TRUE(source) << source.error().message();
  EXPECT_GE(embedded->size(), 60u);
  EXPECT_EQ(CatalogMarkdown(*embedded), CatalogMarkdown(*source));
  std::string tests;
  for (const auto& e : fs::directory_iterator(std::string(TOLLGATE_SOURCE_DIR) + "/policies")) {
    std::string name = e.path().filename().string();
    if (name.size() > 10 && name.compare(name.size() - 10, 10, "_test.rego") == 0) tests += Slurp(e.path());
  }
  std::map<std::string, int> platforms;
  for (const auto& c : *embedded) {
    std::size_t uses = 0;
    for (std::size_t p = tests.find('"' + c.id + '"'); p != std::string::npos; p = tests.find('"' + c.id + '"', p + 1)) ++uses;
    EXPECT_GE(uses, 2u) << c.id << " needs a positive and a negative test";
    EXPECT_FALSE(c.cis.empty() && c.nist.empty()) << c.id;
    ++platforms[c.package];
  }
  EXPECT_EQ(platforms.size(), 5u);
  EXPECT_EQ(Slurp(std::string(TOLLGATE_SOURCE_DIR) + "/docs/policies.md"), CatalogMarkdown(*embedded))
      << "run: tollgate policy docs --builtin-policies policies --output docs/policies.md";
}

// The example repository (make demo) has exactly its planted
// misconfigurations, each reported with remediation and PCI DSS, NIST and CIS
// references; the realistic rest of its files produces no false findings.
TEST(IacCatalog, ExampleRepositoryPlantedFindings) {
  ScanOptions opts;
  opts.builtin_dir = std::string(TOLLGATE_SOURCE_DIR) + "/policies";
  auto f = Scan({std::string(TOLLGATE_SOURCE_DIR) + "/examples/payments-api"}, opts);
  ASSERT_TRUE(f) << f.error().message();
  std::set<std::string> ids;
  for (const auto& x : *f) {
    ids.insert(x.rule_id);
    EXPECT_FALSE(x.remediation.empty()) << x.rule_id;
    EXPECT_GT(x.location.line, 0u) << x.rule_id;
    auto has = [&](const std::string& prefix) {
      for (const auto& r : x.references)
        if (r.rfind(prefix, 0) == 0) return true;
      return false;
    };
    EXPECT_TRUE(has("PCI-DSS-4.0:")) << x.rule_id;
    EXPECT_TRUE(has("NIST-800-53:")) << x.rule_id;
    EXPECT_TRUE(has("CIS ")) << x.rule_id;
  }
  EXPECT_EQ(ids, (std::set<std::string>{"TG-TF-001", "TG-TF-010", "TG-K8S-001", "TG-DF-002"}));
  EXPECT_EQ(f->size(), 4u);
}
