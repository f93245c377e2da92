// Positive and negative fixtures of the built-in IaC checks (issue 13 §5):
// tests/iac/testdata/checks/<CHECK-ID>/fail.* must produce the check's id,
// pass.* must not. Every fixture directory names a check of the catalog, and
// the checks added for PCI DSS 4.0 (the ids from kFixturesRequiredFrom on)
// each have one. Adding a fixture is adding files; no code changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "scan/iac/catalog.h"
#include "scan/iac/iac.h"

namespace fs = std::filesystem;
using namespace tollgate::iac;

namespace {

const fs::path kPolicies = fs::path(TOLLGATE_SOURCE_DIR) / "policies";
const fs::path kFixtures = fs::path(TOLLGATE_SOURCE_DIR) / "tests/iac/testdata/checks";

// From these numbers on, every check of the prefix needs a fixture directory.
const std::map<std::string, int> kFixturesRequiredFrom = {
    {"TG-TF", 40}, {"TG-GCP", 8}, {"TG-AZ", 9}, {"TG-K8S", 19}, {"TG-DF", 10}};

struct Fixture {
  std::string check;  // the directory's name
  fs::path file;      // fail.* or pass.*
  bool fail = false;
};

void PrintTo(const Fixture& f, std::ostream* os) { *os << f.file.string(); }

std::vector<Fixture> Fixtures() {
  std::vector<Fixture> out;
  if (!fs::is_directory(kFixtures)) return out;
  for (const auto& d : fs::directory_iterator(kFixtures)) {
    if (!d.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(d.path())) {
      const std::string name = f.path().filename().string();
      const bool fail = name.rfind("fail", 0) == 0;
      if (!fail && name.rfind("pass", 0) != 0) continue;
      out.push_back(Fixture{d.path().filename().string(), f.path(), fail});
    }
  }
  std::sort(out.begin(), out.end(), [](const Fixture& a, const Fixture& b) { return a.file < b.file; });
  return out;
}

std::string TestName(const testing::TestParamInfo<Fixture>& info) {
  std::string n = info.param.check + "_" + info.param.file.filename().string();
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

class CheckFixture : public testing::TestWithParam<Fixture> {};

}  // namespace

TEST_P(CheckFixture, FailProducesTheCheckAndPassDoesNot) {
  const Fixture& fx = GetParam();
  ScanOptions opts;
  opts.builtin_dir = kPolicies.string();
  opts.strict = true;  // a fixture that does not parse is an error, not a finding
  auto f = Scan({fx.file.string()}, opts);
  ASSERT_TRUE(f) << fx.file << ": " << f.error().message();
  std::set<std::string> ids;
  for (const auto& x : *f) ids.insert(x.rule_id);
  EXPECT_FALSE(ids.count("parse-error") || ids.count("incomplete-scan")) << fx.file;
  std::string found;
  for (const auto& id : ids) found += id + " ";
  if (fx.fail)
    EXPECT_TRUE(ids.count(fx.check)) << fx.file << " should produce " << fx.check << "; it produced: " << found;
  else
    EXPECT_FALSE(ids.count(fx.check)) << fx.file << " should not produce " << fx.check;
}

INSTANTIATE_TEST_SUITE_P(Checks, CheckFixture, testing::ValuesIn(Fixtures()), TestName);

TEST(CheckFixtures, EveryDirectoryNamesACheckAndHasBothSides) {
  auto catalog = LoadCatalog({kPolicies.string()});
  ASSERT_TRUE(catalog) << catalog.error().message();
  std::set<std::string> known;
  for (const auto& c : *catalog) known.insert(c.id);
  std::map<std::string, std::pair<int, int>> sides;  // check -> (fail files, pass files)
  for (const auto& fx : Fixtures()) (fx.fail ? sides[fx.check].first : sides[fx.check].second)++;
  ASSERT_TRUE(fs::is_directory(kFixtures)) << kFixtures;
  for (const auto& d : fs::directory_iterator(kFixtures)) {
    const std::string id = d.path().filename().string();
    EXPECT_TRUE(d.is_directory()) << d.path() << " is not a fixture directory";
    EXPECT_TRUE(known.count(id)) << d.path() << " names no check of the catalog";
    EXPECT_GT(sides[id].first, 0) << id << " has no fail.* fixture";
    EXPECT_GT(sides[id].second, 0) << id << " has no pass.* fixture";
  }
}

TEST(CheckFixtures, EveryNewCheckHasFixtures) {
  auto catalog = LoadCatalog({kPolicies.string()});
  ASSERT_TRUE(catalog) << catalog.error().message();
  const std::regex id_re("(TG-[A-Z0-9]+)-([0-9]+)");
  int required = 0;
  for (const auto& c : *catalog) {
    std::smatch m;
    if (!std::regex_match(c.id, m, id_re)) continue;
    auto from = kFixturesRequiredFrom.find(m[1].str());
    if (from == kFixturesRequiredFrom.end() || std::stoi(m[2].str()) < from->second) continue;
    ++required;
    EXPECT_TRUE(fs::is_directory(kFixtures / c.id)) << c.id << " (" << c.title << ") has no fixtures in " << kFixtures;
  }
  EXPECT_GT(required, 0);
}

TEST(CheckFixtures, TheCatalogHasAtLeast120Checks) {
  auto catalog = LoadCatalog({kPolicies.string()});
  ASSERT_TRUE(catalog) << catalog.error().message();
  EXPECT_GE(catalog->size(), 120u);
}
