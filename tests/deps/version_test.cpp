// Version ordering: every case of the osv-scalibr corpus (../shared/corpora/osv/versions).
#include "scan/deps/version.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tollgate::deps {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string a, op, b;
  int line = 0;
};

std::vector<Case> LoadCases(const fs::path& p) {
  std::vector<Case> out;
  std::ifstream in(p);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("# ", 0) == 0 || line.rfind("//", 0) == 0 || line == "#") continue;
    std::istringstream ss(line);
    Case c;
    c.line = n;
    if (!(ss >> c.a >> c.op >> c.b)) continue;
    out.push_back(c);
  }
  return out;
}

// Checks every case of the files for one ordering; returns how many passed.
void CheckFiles(Ecosystem e, const std::vector<std::string>& files) {
  fs::path dir = fs::path(TOLLGATE_SHARED_DIR) / "corpora/osv/versions";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no ../shared/corpora/osv/versions at " << dir;
  std::size_t total = 0, failed = 0;
  for (const auto& f : files) {
    auto cases = LoadCases(dir / f);
    ASSERT_FALSE(cases.empty()) << f;
    for (const auto& c : cases) {
      ++total;
      int want = c.op == "<" ? -1 : (c.op == ">" ? 1 : 0);
      int got = CompareVersions(e, c.a, c.b);
      int back = CompareVersions(e, c.b, c.a);
      got = got < 0 ? -1 : (got > 0 ? 1 : 0);
      back = back < 0 ? -1 : (back > 0 ? 1 : 0);
      if (got != want || back != -want) {
        ++failed;
        if (failed <= 25)
          ADD_FAILURE() << f << ":" << c.line << ": " << c.a << " " << c.op << " " << c.b << " (got " << got
                        << ", reversed " << back << ")";
      }
    }
  }
  EXPECT_EQ(failed, 0u) << failed << " of " << total << " cases failed";
  std::cout << "[ version ] " << EcosystemName(e) << ": " << (total - failed) << "/" << total << " cases pass\n";
}

TEST(Versions, Semver) { CheckFiles(Ecosystem::kNpm, {"semver-versions.txt"}); }
TEST(Versions, Pub) { CheckFiles(Ecosystem::kPub, {"pub-versions.txt"}); }
TEST(Versions, PyPI) { CheckFiles(Ecosystem::kPyPI, {"pypi-versions.txt", "pypi-versions-generated.txt"}); }
TEST(Versions, Maven) { CheckFiles(Ecosystem::kMaven, {"maven-versions.txt", "maven-versions-generated.txt"}); }
TEST(Versions, NuGet) { CheckFiles(Ecosystem::kNuGet, {"nuget-versions.txt"}); }
TEST(Versions, RubyGems) {
  CheckFiles(Ecosystem::kRubyGems, {"rubygems-versions.txt", "rubygems-versions-generated.txt"});
}
TEST(Versions, Packagist) {
  CheckFiles(Ecosystem::kPackagist, {"packagist-versions.txt", "packagist-versions-generated.txt"});
}
TEST(Versions, Debian) { CheckFiles(Ecosystem::kDebian, {"debian-versions.txt", "debian-versions-generated.txt"}); }
TEST(Versions, Alpine) { CheckFiles(Ecosystem::kAlpine, {"alpine-versions.txt", "alpine-versions-generated.txt"}); }
TEST(Versions, RedHat) { CheckFiles(Ecosystem::kRedHat, {"redhat-versions.txt"}); }
TEST(Versions, Cran) { CheckFiles(Ecosystem::kCran, {"cran-versions.txt", "cran-versions-generated.txt"}); }
TEST(Versions, Hackage) { CheckFiles(Ecosystem::kHackage, {"hackage-versions.txt"}); }

TEST(Versions, EcosystemNames) {
  EXPECT_EQ(ParseEcosystem("PyPI"), Ecosystem::kPyPI);
  EXPECT_EQ(ParseEcosystem("Debian:12"), Ecosystem::kDebian);
  EXPECT_EQ(ParseEcosystem("Alpine:v3.19"), Ecosystem::kAlpine);
  EXPECT_EQ(ParseEcosystem("crates.io"), Ecosystem::kCratesIo);
  EXPECT_FALSE(ParseEcosystem("NoSuchEcosystem").has_value());
}

TEST(Versions, HostileInputIsBounded) {
  // Deeply nested Maven sublists and long Packagist special-form runs used to
  // mean deep recursion and quadratic copies; such strings now compare as bytes.
  std::string deep = "1";
  for (int i = 0; i < 30000; ++i) deep += "-1";
  std::string hashes = "1";
  for (int i = 0; i < 30000; ++i) hashes += ".#";
  EXPECT_GT(CompareVersions(Ecosystem::kMaven, deep, "1"), 0);
  EXPECT_LT(CompareVersions(Ecosystem::kMaven, "1", deep), 0);
  EXPECT_EQ(CompareVersions(Ecosystem::kPackagist, hashes, hashes), 0);
  EXPECT_NE(CompareVersions(Ecosystem::kPackagist, hashes, "1"), 0);
  // below the bound the ecosystem's rules still apply
  EXPECT_EQ(ComparePackagist("1.2.3.#.#.#.#", "1.2.3"), 0);
  EXPECT_GT(ComparePackagist("1.2.3.#.#.#.1", "1.2.3"), 0);
}

TEST(Versions, MajorLine) {
  EXPECT_EQ(MajorOf(Ecosystem::kPyPI, "2.31.0"), "2");
  EXPECT_EQ(MajorOf(Ecosystem::kDebian, "1:2.3-4"), "2");
  EXPECT_EQ(MajorOf(Ecosystem::kGo, "v0.17.0"), "0");
}

}  // namespace
}  // namespace tollgate::deps
