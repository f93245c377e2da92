// Lockfile, SBOM and OS database parsers: every package with its file and
// line (golden file testdata/lockfiles.expected), and bad input.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include "scan/deps/packages.h"

namespace tollgate::deps {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Testdata(const std::string& name) { return std::string(TOLLGATE_SOURCE_DIR) + "/tests/deps/testdata/" + name; }

std::string Slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Lockfiles, EveryPackageWithFileAndLine) {
  std::string root = Testdata("lockfiles");
  auto inv = CollectPackages({root});
  ASSERT_TRUE(inv) << inv.error().message();
  std::vector<std::string> got;
  for (const auto& p : inv->packages) {
    std::string file = fs::path(p.file).lexically_relative(root).generic_string();
    got.push_back(file + ":" + std::to_string(p.line) + " " + std::string(EcosystemName(p.ecosystem)) + " " + p.name +
                  " " + p.version);
  }
  std::sort(got.begin(), got.end());
  std::vector<std::string> want;
  std::istringstream in(Slurp(Testdata("lockfiles.expected")));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') want.push_back(line);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  // unpinned and unresolvable entries are reported, not guessed
  std::string warnings;
  for (const auto& w : inv->warnings) warnings += w + "\n";
  EXPECT_THAT(warnings, HasSubstr("requirements.txt:6: flask is not pinned"));
  EXPECT_THAT(warnings, HasSubstr("pom.xml:23: org.example:managed has no version"));
}

TEST(Lockfiles, KindsByName) {
  EXPECT_EQ(LockfileKind("package-lock.json"), "npm");
  EXPECT_EQ(LockfileKind("npm-shrinkwrap.json"), "npm");
  EXPECT_EQ(LockfileKind("go.sum"), "gosum");
  EXPECT_EQ(LockfileKind("requirements-dev.txt"), "requirements");
  EXPECT_EQ(LockfileKind("Pipfile.lock"), "pipfile");
  EXPECT_EQ(LockfileKind("README.md"), "");
}

struct BadCase {
  const char* kind;
  const char* text;
  const char* expect;  // in the one-line error
};

class BadLockfile : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadLockfile, ClearErrorNamingFileAndLine) {
  Inventory inv;
  const auto& c = GetParam();
  auto s = ParseLockfile(c.kind, c.text, "dir/lock", inv);
  ASSERT_FALSE(s) << c.kind;
  EXPECT_EQ(s.error().code(), ErrorCode::kInput);
  EXPECT_THAT(s.error().message(), HasSubstr(c.expect));
  EXPECT_EQ(s.error().message().find('\n'), std::string::npos) << s.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Deps, BadLockfile,
    ::testing::Values(BadCase{"npm", "{\"packages\": {\n \"node_modules/a\": {", "dir/lock:2:"},
                      BadCase{"composer", "[1,", "dir/lock:1:"},
                      BadCase{"pnpm", "packages:\n  a: [\n", "dir/lock:"},
                      BadCase{"cargo", "[[package]]\nname = \n", "dir/lock:2"},
                      BadCase{"gemfile", "GEM\n  specs:\n    rack 2.0\n", "dir/lock:3: expected 'name (version)'"},
                      BadCase{"yarn", "lodash@^4:\n  version \"4\"\nbroken line\n", "dir/lock:3:"},
                      BadCase{"gomod", "require (\n  example.com/x\n)\n", "dir/lock:2: malformed require"},
                      BadCase{"gradle", "no-colons-here\n", "dir/lock:1:"},
                      BadCase{"pom", "<project><dependencies><dependency><groupId>a", "dir/lock:1: unclosed"},
                      BadCase{"sbom", "{\"hello\": 1}", "neither a CycloneDX nor an SPDX"},
                      BadCase{"nope", "", "unknown lockfile kind"}),
    [](const ::testing::TestParamInfo<BadCase>& param) {
      return std::string(param.param.kind) + "_" + std::to_string(param.index);
    });

TEST(Lockfiles, GoSumAddsTheModulesGoModDoesNotList) {
  Inventory alone;
  ASSERT_TRUE(ParseLockfile("gosum",
                            "example.com/a v1.2.0 h1:x=\nexample.com/a v1.10.0 h1:y=\nexample.com/a v1.11.0/go.mod h1:z=\n"
                            "example.com/b v2.0.0+incompatible h1:w=\n",
                            "svc/go.sum", alone));
  ASSERT_EQ(alone.packages.size(), 2u);
  EXPECT_EQ(alone.packages[0].name, "example.com/a");
  EXPECT_EQ(alone.packages[0].version, "1.10.0");  // the highest downloaded version; /go.mod lines do not count
  EXPECT_EQ(alone.packages[0].line, 2u);
  EXPECT_EQ(alone.packages[1].version, "2.0.0");
  Inventory both;
  ASSERT_TRUE(ParseLockfile("gomod", "module m\nrequire example.com/a v1.2.0\n", "svc/go.mod", both));
  ASSERT_TRUE(ParseLockfile("gosum", "example.com/a v1.10.0 h1:y=\nexample.com/c v0.1.0 h1:q=\n", "svc/go.sum", both));
  ASSERT_TRUE(ParseLockfile("gosum", "example.com/a v1.10.0 h1:y=\n", "other/go.sum", both));
  ReconcileGoSum(both);
  std::vector<std::string> got;
  for (const auto& p : both.packages) got.push_back(p.file + " " + p.name + " " + p.version);
  EXPECT_EQ(got, (std::vector<std::string>{"svc/go.mod example.com/a 1.2.0", "svc/go.sum example.com/c 0.1.0",
                                          "other/go.sum example.com/a 1.10.0"}));
  Inventory bad;
  auto s = ParseLockfile("gosum", "example.com/a v1.0.0 h1:x=\nexample.com/b\n", "svc/go.sum", bad);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message(), HasSubstr("svc/go.sum:2: malformed go.sum line"));
}

TEST(Lockfiles, YamlBombStaysSmall) {
  // "billion laughs": aliases are not expanded into the inventory
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                     "packages: {}\n";
  Inventory inv;
  auto s = ParseLockfile("pnpm", bomb, "pnpm-lock.yaml", inv);
  EXPECT_TRUE(s) << s.error().message();
  EXPECT_TRUE(inv.packages.empty());
}

TEST(OsPackages, DpkgStatusUsesSourcePackagesAndSkipsRemoved) {
  std::string status =
      "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u1)\nVersion: 3.0.11-1~deb12u1+b1\n"
      "Description: x\n more\n\n"
      "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n\n"
      "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n";
  Inventory inv;
  ASSERT_TRUE(ParseDpkgStatus(status, "var/lib/dpkg/status", "12", inv));
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[0].name, "openssl");
  EXPECT_EQ(inv.packages[0].version, "3.0.11-1~deb12u1");
  EXPECT_EQ(inv.packages[0].line, 1u);
  EXPECT_EQ(inv.packages[1].name, "bash");
  EXPECT_EQ(inv.packages[1].line, 8u);
  EXPECT_EQ(inv.packages[1].release, "12");
}

TEST(OsPackages, ApkInstalledUsesOrigin) {
  std::string db = "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r0\no:openssl\n\nP:musl\nV:1.2.4-r2\n";
  Inventory inv;
  ASSERT_TRUE(ParseApkInstalled(db, "lib/apk/db/installed", "v3.19", inv));
  ASSERT_EQ(inv.packages.size(), 2u);
  EXPECT_EQ(inv.packages[0].name, "openssl");
  EXPECT_EQ(inv.packages[0].ecosystem, Ecosystem::kAlpine);
  EXPECT_EQ(inv.packages[1].name, "musl");
  EXPECT_EQ(inv.packages[1].line, 6u);
}

TEST(Purl, RoundTrip) {
  Package p;
  ASSERT_TRUE(PackageFromPurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", p));
  EXPECT_EQ(p.ecosystem, Ecosystem::kMaven);
  EXPECT_EQ(p.name, "org.apache.logging.log4j:log4j-core");
  ASSERT_TRUE(PackageFromPurl("pkg:npm/%40babel/core@7.22.0", p));
  EXPECT_EQ(p.name, "@babel/core");
  ASSERT_TRUE(PackageFromPurl("pkg:apk/alpine/openssl@3.1.4-r0?distro=alpine-3.19", p));
  EXPECT_EQ(p.release, "v3.19");  // as OSV's "Alpine:v3.19" names it
  EXPECT_FALSE(PackageFromPurl("pkg:unknown/x@1", p));
  EXPECT_FALSE(PackageFromPurl("not a purl", p));
  Package q;
  q.ecosystem = Ecosystem::kPyPI;
  q.name = "Jinja2";
  q.version = "2.7.1";
  EXPECT_EQ(MakePurl(q), "pkg:pypi/jinja2@2.7.1");
}

}  // namespace
}  // namespace tollgate::deps

namespace tollgate::deps {
namespace {

void PutBe32(std::string& s, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
}

// An RPM header blob (as rpmdb.sqlite stores it) with string tags and an epoch.
std::string RpmHeader(const std::vector<std::pair<std::uint32_t, std::string>>& strings, std::uint32_t epoch) {
  std::string index, data;
  for (const auto& [tag, value] : strings) {
    PutBe32(index, tag);
    PutBe32(index, 6);  // STRING
    PutBe32(index, static_cast<std::uint32_t>(data.size()));
    PutBe32(index, 1);
    data += value;
    data.push_back('\0');
  }
  while (data.size() % 4 != 0) data.push_back('\0');
  PutBe32(index, 1003);  // EPOCH
  PutBe32(index, 4);     // INT32
  PutBe32(index, static_cast<std::uint32_t>(data.size()));
  PutBe32(index, 1);
  PutBe32(data, epoch);
  std::string blob;
  PutBe32(blob, static_cast<std::uint32_t>(strings.size() + 1));
  PutBe32(blob, static_cast<std::uint32_t>(data.size()));
  return blob + index + data;
}

std::string RpmDbBytes(const std::vector<std::string>& blobs) {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db, "CREATE TABLE Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)", nullptr, nullptr,
               nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO Packages(blob) VALUES(?)", -1, &ins, nullptr);
  for (const auto& b : blobs) {
    sqlite3_bind_blob(ins, 1, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_int64 size = 0;
  unsigned char* bytes = sqlite3_serialize(db, "main", &size, 0);
  std::string out(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
  sqlite3_free(bytes);
  sqlite3_close(db);
  return out;
}

TEST(OsPackages, RpmSqliteDatabase) {
  std::string bytes = RpmDbBytes({RpmHeader({{1000, "openssl-libs"}, {1001, "3.0.7"}, {1002, "24.el9"},
                                             {1044, "openssl-3.0.7-24.el9.src.rpm"}},
                                            1),
                                  RpmHeader({{1000, "gpg-pubkey"}, {1001, "1"}, {1002, "1"}}, 0),
                                  std::string("\x00\x00\x00\x09garbage", 11)});
  Inventory inv;
  auto s = ParseRpmDb(bytes, "var/lib/rpm/rpmdb.sqlite", "rocky", "9.3", inv);
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(inv.packages.size(), 1u);
  EXPECT_EQ(inv.packages[0].name, "openssl");
  EXPECT_EQ(inv.packages[0].version, "1:3.0.7-24.el9");
  EXPECT_EQ(inv.packages[0].release, "9");
  EXPECT_EQ(inv.packages[0].ecosystem, Ecosystem::kRedHat);
  ASSERT_EQ(inv.warnings.size(), 1u);
  EXPECT_THAT(inv.warnings[0], HasSubstr("header 3 is malformed"));
  Inventory bad;
  EXPECT_FALSE(ParseRpmDb("not sqlite at all", "rpmdb.sqlite", "rocky", "9", bad));
}

// Workspaces that refer to each other (npm links, pnpm link:, a directory
// symlink loop) are not followed, so a cycle can neither hang nor repeat.
TEST(Lockfiles, CyclicWorkspacesTerminate) {
  std::string t = (fs::temp_directory_path() / "tollgate-cyclic-XXXXXX").string();
  fs::path root = mkdtemp(t.data());
  fs::create_directories(root / "a");
  std::ofstream(root / "a/package-lock.json") << R"({"lockfileVersion":3,"packages":{
    "":{"name":"a","workspaces":["../b"]},
    "node_modules/b":{"resolved":"../b","link":true},
    "../b":{"name":"b","version":"1.0.0","dependencies":{"a":"file:../a"}},
    "node_modules/a":{"resolved":"../a","link":true},
    "node_modules/left-pad":{"version":"1.3.0"}}})";
  std::ofstream(root / "a/pnpm-lock.yaml") << "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      b:\n"
                                              "        specifier: link:../b\n        version: link:../b\n  ../b:\n"
                                              "    dependencies:\n      a:\n        specifier: link:../a\n        version: link:../a\n"
                                              "packages:\n  left-pad@1.3.0:\n    resolution: {integrity: sha512-x}\n";
  std::error_code ec;
  fs::create_directory_symlink(root, root / "a/loop", ec);
  auto inv = CollectPackages({root.string()});
  fs::remove_all(root, ec);
  ASSERT_TRUE(inv) << inv.error().message();
  std::vector<std::string> got;
  for (const auto& p : inv->packages) got.push_back(p.name + "@" + p.version);
  std::sort(got.begin(), got.end());
  EXPECT_THAT(got, ::testing::ElementsAre("left-pad@1.3.0", "left-pad@1.3.0"));  // once per lockfile
}

// /var/lib/rpm/Packages, the Berkeley DB hash database: the fixture was
// written by Berkeley DB itself (db5.3_load; see
// testdata/rpm-bdb/make_packages.py), with headers on overflow pages and
// inline, RPM's key 0 record and a gpg-pubkey.
TEST(OsPackages, RpmBerkeleyDbDatabase) {
  std::string bytes = Slurp(Testdata("rpm-bdb/Packages"));
  ASSERT_EQ(bytes.size(), 9u * 512u);
  Inventory inv;
  auto s = ParseRpmBdb(bytes, "var/lib/rpm/Packages", "centos", "7.9.2009", inv);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(inv.warnings.empty()) << inv.warnings.front();
  std::vector<std::string> got;
  for (const auto& p : inv.packages) {
    EXPECT_EQ(p.ecosystem, Ecosystem::kRedHat);
    EXPECT_EQ(p.release, "7");
    EXPECT_EQ(p.distro, "centos");
    EXPECT_EQ(p.file, "var/lib/rpm/Packages");
    got.push_back(std::to_string(p.line) + " " + p.name + " " + p.version);
  }
  std::sort(got.begin(), got.end());
  EXPECT_THAT(got, ::testing::ElementsAre("1 openssl 1:1.0.2k-19.el7", "3 bash 4.2.46-34.el7", "4 zlib 1.2.7-18.el7"));
}

TEST(OsPackages, RpmBerkeleyDbDamageIsReportedNeverACrash) {
  const std::string good = Slurp(Testdata("rpm-bdb/Packages"));
  ASSERT_FALSE(good.empty());
  const std::string file = "img.tar!/var/lib/rpm/Packages";
  auto parse = [&](const std::string& bytes, Inventory& inv) { return ParseRpmBdb(bytes, file, "centos", "7", inv); };
  // Not a hash database at all: one error naming the file.
  for (const std::string& bad : {std::string(), std::string("not a database"), std::string(4096, '\0')}) {
    Inventory inv;
    auto s = parse(bad, inv);
    ASSERT_FALSE(s);
    EXPECT_THAT(s.error().message(), HasSubstr(file));
  }
  // Truncated in the middle of the overflow pages: the file is named, the
  // packages whose pages are there are read, the others reported.
  {
    Inventory inv;
    auto s = parse(good.substr(0, 5 * 512), inv);
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_FALSE(inv.warnings.empty());
    for (const auto& w : inv.warnings) EXPECT_THAT(w, HasSubstr(file));
    EXPECT_LT(inv.packages.size(), 3u);
  }
  // Every single-byte change and every truncation: never a crash, and
  // whatever is reported names the file.
  std::size_t changed_results = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int x : {0x01, 0x80, 0xff}) {
      std::string bytes = good;
      bytes[i] = static_cast<char>(static_cast<unsigned char>(bytes[i]) ^ static_cast<unsigned char>(x));
      Inventory inv;
      auto s = parse(bytes, inv);
      if (!s) {
        EXPECT_THAT(s.error().message(), HasSubstr(file));
      }
      for (const auto& w : inv.warnings) EXPECT_THAT(w, HasSubstr(file));
      if (!s || inv.packages.size() != 3 || !inv.warnings.empty()) ++changed_results;
    }
    Inventory inv;
    (void)parse(good.substr(0, i), inv);
  }
  EXPECT_GT(changed_results, 0u);
}

// A root filesystem with only the Berkeley DB database is recognised as one.
TEST(OsPackages, RootFilesystemWithRpmBerkeleyDb) {
  std::string t = (fs::temp_directory_path() / "tollgate-rpmbdb-XXXXXX").string();
  fs::path root = mkdtemp(t.data());
  fs::create_directories(root / "var/lib/rpm");
  fs::create_directories(root / "etc");
  fs::copy_file(Testdata("rpm-bdb/Packages"), root / "var/lib/rpm/Packages");
  std::ofstream(root / "etc/os-release") << "ID=\"centos\"\nVERSION_ID=\"7\"\n";
  auto inv = CollectPackages({root.string()});
  std::error_code ec;
  fs::remove_all(root, ec);
  ASSERT_TRUE(inv) << inv.error().message();
  ASSERT_EQ(inv->packages.size(), 3u);
  for (const auto& p : inv->packages) {
    EXPECT_EQ(p.distro, "centos");
    EXPECT_THAT(p.file, HasSubstr("var/lib/rpm/Packages"));
  }
}

}  // namespace
}  // namespace tollgate::deps
