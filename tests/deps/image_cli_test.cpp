// Container images (docker save layout) and the CLI end to end: db import |
// status, scan deps, sbom (schema-validated), exit codes and one-line errors.
#include <archive.h>
#include <archive_entry.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/hash.h"
#include "scan/deps/deps.h"

namespace tollgate::deps {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct TarEntry {
  std::string name;
  std::string content;
  std::string symlink;  // non-empty: a symlink to this target
};

// Writes a tar (gzip-compressed when `gzip`, zstd when `zstd`) with the given entries.
std::string MakeTar(const std::vector<TarEntry>& entries, bool gzip, bool zstd = false) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  if (zstd) {
    EXPECT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  }
  std::vector<char> buf(8 << 20);
  std::size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a, buf.data(), buf.size(), &used), ARCHIVE_OK);
  for (const auto& e : entries) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    if (!e.symlink.empty()) {
      archive_entry_set_filetype(en, AE_IFLNK);
      archive_entry_set_symlink(en, e.symlink.c_str());
      archive_entry_set_size(en, 0);
    } else {
      archive_entry_set_filetype(en, AE_IFREG);
      archive_entry_set_size(en, static_cast<la_int64_t>(e.content.size()));
    }
    archive_entry_set_perm(en, 0644);
    archive_write_header(a, en);
    if (e.symlink.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

std::string MakeZip(const std::vector<TarEntry>& entries) {
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  std::vector<char> buf(1 << 20);
  std::size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a, buf.data(), buf.size(), &used), ARCHIVE_OK);
  for (const auto& e : entries) {
    struct archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    archive_entry_set_filetype(en, AE_IFREG);
    archive_entry_set_size(en, static_cast<la_int64_t>(e.content.size()));
    archive_entry_set_perm(en, 0644);
    archive_write_header(a, en);
    archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

class DepsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "tollgate-depscli-XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& content) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  static std::string Slurp(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  struct Run {
    int code = -1;
    std::string out, err;
  };
  Run Tg(const std::string& args) {
    std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    std::string cmd = "cd '" + dir_.string() + "' && NO_COLOR=1 TOLLGATE_DB='" + (dir_ / "db").string() + "' '" +
                      TOLLGATE_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
    int status = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }

  // A two-layer `docker save` image: Debian 12 with openssl; layer 2
  // upgrades libssl3's source version, deletes /app/old by whiteout and
  // carries entries that try to escape the root.
  std::string Image() {
    std::string status1 =
        "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.9-1)\nVersion: 3.0.9-1\n\n"
        "Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n";
    std::string status2 =
        "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u1)\nVersion: 3.0.11-1~deb12u1\n\n"
        "Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n";
    std::string l1 = MakeTar({{"etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", ""},
                              {"var/lib/dpkg/status", status1, ""},
                              {"app/old/Cargo.lock", "[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n", ""},
                              {"app/requirements.txt", "jinja2==2.7.1\n", ""}},
                             false);
    std::string l2 = MakeTar({{"var/lib/dpkg/status", status2, ""},
                              {"app/.wh.old", "", ""},
                              {"../../outside/requirements.txt", "evil==1.0\n", ""},
                              {"app/package-lock.json", "", "/etc/passwd"}},
                             true);
    std::string manifest = R"([{"Config":"cfg.json","RepoTags":["demo:1"],"Layers":["l1/layer.tar","l2/layer.tar"]}])";
    std::string outer = MakeTar({{"manifest.json", manifest, ""},
                                 {"cfg.json", "{}", ""},
                                 {"l2/layer.tar", l2, ""},
                                 {"l1/layer.tar", l1, ""}},
                                false);
    return Write("image.tar", outer);
  }

  fs::path dir_;
};

TEST_F(DepsCli, ImageLayersInOrderWithWhiteoutsAndRefusedTraversal) {
  auto inv = ReadImageTarball(Image());
  ASSERT_TRUE(inv) << inv.error().message();
  std::vector<std::string> pkgs;
  for (const auto& p : inv->packages)
    pkgs.push_back(std::string(EcosystemName(p.ecosystem)) + " " + p.name + " " + p.version + " " + p.release);
  EXPECT_THAT(pkgs, ::testing::UnorderedElementsAre("Debian openssl 3.0.11-1~deb12u1 12", "Debian zlib 1:1.2.13.dfsg-1 12",
                                                     "PyPI jinja2 2.7.1 "));
  std::string warnings;
  for (const auto& w : inv->warnings) warnings += w + "\n";
  EXPECT_THAT(warnings, HasSubstr("'../../outside/requirements.txt' escapes the root filesystem"));
  EXPECT_THAT(warnings, HasSubstr("app/package-lock.json is a symlink to an absolute path (/etc/passwd)"));
  EXPECT_FALSE(fs::exists(dir_ / "outside"));
}

// An OCI image layout: index.json -> an image index (arm64 first, amd64
// second) -> the amd64 manifest -> a gzip layer and a zstd layer that
// whites out /app/old. Returns the files (path -> content) of the layout.
std::map<std::string, std::string> OciLayout() {
  std::map<std::string, std::string> files;
  auto blob = [&](const std::string& content) {
    std::string hex = HexEncode(Sha256(content));
    files["blobs/sha256/" + hex] = content;
    return "sha256:" + hex;
  };
  std::string l1 = MakeTar({{"etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n", ""},
                            {"lib/apk/db/installed", "P:libcrypto3\nV:3.1.4-r0\no:openssl\n\nP:zlib\nV:1.3-r2\no:zlib\n", ""},
                            {"app/old/requirements.txt", "jinja2==2.7.1\n", ""}},
                           true);
  std::string l2 = MakeTar({{"app/.wh.old", "", ""}, {"srv/Cargo.lock", "[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n", ""}},
                           false, true);
  std::string config = blob(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})");
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                             {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", config}}},
                             {"layers",
                              {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"digest", blob(l1)}},
                               {{"mediaType", "application/vnd.oci.image.layer.v1.tar+zstd"}, {"digest", blob(l2)}}}}};
  std::string amd64 = blob(manifest.dump());
  std::string arm_layer = blob(MakeTar({{"lib/apk/db/installed", "P:other\nV:1-r0\n", ""}}, true));
  nlohmann::json arm = manifest;
  arm["layers"] = {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"digest", arm_layer}}};
  nlohmann::json nested = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests",
       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", blob(arm.dump())},
         {"platform", {{"os", "linux"}, {"architecture", "arm64"}}}},
        {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", amd64},
         {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}};
  std::string nested_digest = blob(nested.dump());
  files["index.json"] = nlohmann::json({{"schemaVersion", 2},
                                        {"manifests", {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                                                        {"digest", nested_digest}}}}})
                            .dump();
  files["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
  return files;
}

std::vector<std::string> Describe(const Inventory& inv) {
  std::vector<std::string> out;
  for (const auto& p : inv.packages)
    out.push_back(std::string(EcosystemName(p.ecosystem)) + " " + p.name + " " + p.version + " " + p.release);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(DepsCli, OciImageLayoutTarballAndDirectory) {
  auto files = OciLayout();
  std::vector<TarEntry> entries;
  for (const auto& [name, content] : files) {
    entries.push_back({name, content, ""});
    Write("oci/" + name, content);
  }
  const std::vector<std::string> want = {"Alpine openssl 3.1.4-r0 v3.19", "Alpine zlib 1.3-r2 v3.19",
                                         "crates.io smallvec 1.6.0 "};
  auto tar = ReadImageTarball(Write("oci.tar", MakeTar(entries, false)));
  ASSERT_TRUE(tar) << tar.error().message();
  EXPECT_EQ(Describe(*tar), want);  // amd64 chosen, whiteout applied, zstd layer read
  auto dir = CollectPackages({(dir_ / "oci").string()});
  ASSERT_TRUE(dir) << dir.error().message();
  EXPECT_EQ(Describe(*dir), want);
  ASSERT_FALSE(dir->packages.empty());
  EXPECT_THAT(dir->packages[0].file, HasSubstr("oci!/"));
  // the CLI reads the layout directory as an image
  Write("adv/ALPINE-T.json", R"({"id":"ALPINE-T","modified":"2024-05-01T00:00:00Z",
    "affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4-r5"}]}]}]})");
  ASSERT_EQ(Tg("db import adv").code, 0);
  auto r = Tg("scan deps oci --format json");
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["package"], "openssl");
  EXPECT_EQ(j["findings"][0]["fixed"], "3.1.4-r5");
}

TEST_F(DepsCli, OciDigestsAreVerified) {
  auto files = OciLayout();
  // A layer whose bytes do not match the digest that names it.
  auto layered = files;
  std::string manifest_blob;
  for (auto& [name, content] : layered)
    if (content.find("tar+zstd") != std::string::npos && content.find("layers") != std::string::npos) manifest_blob = name;
  ASSERT_FALSE(manifest_blob.empty());
  auto manifest = nlohmann::json::parse(layered[manifest_blob]);
  std::string layer = "blobs/sha256/" + manifest["layers"][1]["digest"].get<std::string>().substr(7);
  layered[layer] = MakeTar({{"srv/Cargo.lock", "[[package]]\nname = \"smallvec\"\nversion = \"9.9.9\"\n", ""}}, false);
  std::vector<TarEntry> entries;
  for (const auto& [name, content] : layered) entries.push_back({name, content, ""});
  auto bad_layer = ReadImageTarball(Write("bad-layer.tar", MakeTar(entries, false)));
  ASSERT_FALSE(bad_layer);
  EXPECT_THAT(bad_layer.error().message(), HasSubstr("does not match its digest"));
  EXPECT_THAT(bad_layer.error().message(), HasSubstr("bad-layer.tar"));
  // A manifest whose bytes do not match.
  auto altered = files;
  altered[manifest_blob] += " ";
  entries.clear();
  for (const auto& [name, content] : altered) entries.push_back({name, content, ""});
  auto bad_manifest = ReadImageTarball(Write("bad-manifest.tar", MakeTar(entries, false)));
  ASSERT_FALSE(bad_manifest);
  EXPECT_THAT(bad_manifest.error().message(), HasSubstr("does not match its digest"));
  // No oci-layout; a missing blob; a digest of another algorithm.
  auto no_layout = files;
  no_layout.erase("oci-layout");
  entries.clear();
  for (const auto& [name, content] : no_layout) entries.push_back({name, content, ""});
  auto r1 = ReadImageTarball(Write("nolayout.tar", MakeTar(entries, false)));
  ASSERT_FALSE(r1);
  EXPECT_THAT(r1.error().message(), HasSubstr("oci-layout"));
  auto r2 = ReadImageTarball(Write("noblob.tar", MakeTar({{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})", ""},
                                                          {"index.json", R"({"manifests":[{"digest":"sha256:)" + std::string(64, 'a') + R"("}]})", ""}},
                                                         false)));
  ASSERT_FALSE(r2);
  EXPECT_THAT(r2.error().message(), HasSubstr("missing"));
  auto r3 = ReadImageTarball(Write("md5.tar", MakeTar({{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})", ""},
                                                       {"index.json", R"({"manifests":[{"digest":"md5:abc"}]})", ""}},
                                                      false)));
  ASSERT_FALSE(r3);
  EXPECT_THAT(r3.error().message(), HasSubstr("not a sha256 digest"));
  // The CLI: one line naming the image, exit 2.
  auto cli = Tg("sbom bad-layer.tar");
  EXPECT_EQ(cli.code, 2);
  EXPECT_THAT(cli.err, HasSubstr("bad-layer.tar"));
}

// tollgate.yaml `db:` names the deps gate's advisory database (relative to
// the config file), instead of $TOLLGATE_DB; the gate blocks on a vulnerable
// pinned dependency and names the fix; the database digest is in the ledger.
TEST_F(DepsCli, GateDbKeyInTollgateYaml) {
  Write("adv/PYSEC-T.json", R"({"id":"PYSEC-T","modified":"2024-05-01T00:00:00Z",
    "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.5"}]}]}]})");
  ASSERT_EQ(Tg("db import adv --db repo/ci/osv").code, 0);
  Write("repo/requirements.txt", "urllib3==1.26.4\n");
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, db: ci/osv, fail_on: high, bypass: [security] }\n");
  // $TOLLGATE_DB (set by Tg) is empty: the gate must use its own db.
  auto r = Tg("gate repo --ledger ledger.db --author 'A <a@x>' --commit c1 --format json");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u) << r.out;
  EXPECT_EQ(j["findings"][0]["package"], "urllib3");
  EXPECT_EQ(j["findings"][0]["fixed"], "1.26.5");
  EXPECT_THAT(j["findings"][0]["remediation"].get<std::string>(), HasSubstr("1.26.5"));
  auto ledger = Tg("ledger show --ledger ledger.db");
  EXPECT_THAT(ledger.out, HasSubstr("advisory_database"));
  // the fixed version passes
  Write("repo/requirements.txt", "urllib3==1.26.5\n");
  EXPECT_EQ(Tg("gate repo --ledger ledger.db --author 'A <a@x>' --commit c2").code, 0);
  // a db that does not exist: configuration error naming it, exit 2
  Write("repo/tollgate.yaml",
        "version: 1\ngates:\n  dependencies: { scanner: deps, db: nowhere, fail_on: high, bypass: [security] }\n");
  auto missing = Tg("gate repo --ledger ledger.db");
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nowhere"));
  // `db` on another kind of gate, or empty: exit 2 with the position
  Write("repo/tollgate.yaml", "version: 1\ngates:\n  s: { scanner: secrets, db: x, bypass: none }\n");
  auto wrong = Tg("gate repo --ledger ledger.db");
  EXPECT_EQ(wrong.code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("tollgate.yaml:3:"));
  EXPECT_THAT(wrong.err, HasSubstr("'db' applies only to a 'scanner: deps' gate"));
  Write("repo/tollgate.yaml", "version: 1\ngates:\n  d: { scanner: deps, db: '', bypass: none }\n");
  EXPECT_THAT(Tg("gate repo --ledger ledger.db").err, HasSubstr("'db' must not be empty"));
}

TEST_F(DepsCli, CorruptAndMaliciousImages) {
  EXPECT_FALSE(ReadImageTarball(Write("junk.tar", std::string(1000, 'x'))));
  auto no_manifest = ReadImageTarball(Write("nomani.tar", MakeTar({{"a", "b", ""}}, false)));
  ASSERT_FALSE(no_manifest);
  EXPECT_THAT(no_manifest.error().message(), HasSubstr("no manifest.json"));
  auto escape = ReadImageTarball(
      Write("esc.tar", MakeTar({{"manifest.json", R"([{"Layers":["../../etc/x.tar"]}])", ""}}, false)));
  ASSERT_FALSE(escape);
  EXPECT_THAT(escape.error().message(), HasSubstr("escapes"));
  auto missing = ReadImageTarball(Write("miss.tar", MakeTar({{"manifest.json", R"([{"Layers":["l.tar"]}])", ""}}, false)));
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("missing"));
  // Found by fuzz_lockfiles: an OCI layer libarchive cannot open without
  // setting an error message. One clear error naming the image and layer.
  std::string truncated = std::string(TOLLGATE_SOURCE_DIR) + "/tests/deps/testdata/images/oci-truncated-gzip-layer.tar";
  auto bad_layer = ReadImageTarball(truncated);
  ASSERT_FALSE(bad_layer);
  EXPECT_THAT(bad_layer.error().message(), HasSubstr("oci-truncated-gzip-layer.tar: layer "));
  auto cli = Tg("sbom '" + truncated + "'");
  EXPECT_EQ(cli.code, 2);
  EXPECT_THAT(cli.err, HasSubstr("oci-truncated-gzip-layer.tar"));
}

TEST_F(DepsCli, ScanImageListsOsPackageFindingsForItsRelease) {
  Write("adv/DSA-T1.json", R"({"id":"DEBIAN-T1","modified":"2024-05-01T00:00:00Z","aliases":["CVE-2024-0001"],
    "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
    "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]})");
  Write("adv/DSA-T2.json", R"({"id":"DEBIAN-T2","modified":"2024-05-01T00:00:00Z",
    "affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"9.9"}]}]}]})");
  ASSERT_EQ(Tg("db import adv").code, 0);
  std::string image = Image();
  auto r = Tg("scan deps '" + image + "' --format json");
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u) << r.out;  // the Debian 11 record does not apply to Debian 12
  const auto& f = j["findings"][0];
  EXPECT_EQ(f["package"], "openssl");
  EXPECT_EQ(f["version"], "3.0.11-1~deb12u1");
  EXPECT_EQ(f["advisory"], "DEBIAN-T1");
  EXPECT_EQ(f["fixed"], "3.0.13-1~deb12u1");
  EXPECT_EQ(f["severity"], "high");
  EXPECT_THAT(f["location"]["file"].get<std::string>(), HasSubstr("image.tar!/var/lib/dpkg/status"));
  EXPECT_EQ(j["metadata"]["advisory_database"]["digest"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["metadata"]["advisory_database"]["modified"], "2024-05-01T00:00:00Z");
  EXPECT_THAT(r.err, HasSubstr("escapes the root filesystem"));
  // --fail-on above the finding's severity: exit 0
  EXPECT_EQ(Tg("scan deps '" + image + "' --fail-on critical").code, 0);
  // SARIF and JUnit as for every scanner
  auto sarif = Tg("scan deps '" + image + "' --format sarif");
  EXPECT_EQ(nlohmann::json::parse(sarif.out)["runs"][0]["results"].size(), 1u);
  EXPECT_THAT(Tg("scan deps '" + image + "' --format junit").out, HasSubstr("<testsuites"));
}

TEST_F(DepsCli, ImportsOsvAllZipArchives) {
  std::string zip = MakeZip(
      {{"GHSA-aaaa-bbbb-cccc.json",
        R"({"id":"GHSA-aaaa-bbbb-cccc","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]})",
        ""},
       {"GHSA-dddd-eeee-ffff.json", R"({"id":"GHSA-dddd-eeee-ffff","modified":"2024-01-01T00:00:00Z","affected":[]})", ""},
       {"GHSA-bad.json", "{\"id\": ", ""},
       {"README.txt", "not a record", ""}});
  Write("npm-all.zip", zip);
  auto imp = Tg("db import npm-all.zip");
  ASSERT_EQ(imp.code, 0) << imp.err;
  EXPECT_THAT(imp.out, HasSubstr("imported 2 records"));
  EXPECT_THAT(imp.err, HasSubstr("npm-all.zip!GHSA-bad.json"));
  Write("web/package-lock.json", R"({"lockfileVersion":3,"packages":{"node_modules/lodash":{"version":"4.17.20"}}})");
  auto r = Tg("scan deps web --format json");
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["fixed"], "4.17.21");
}

TEST_F(DepsCli, DbStatusAndErrors) {
  EXPECT_EQ(Tg("db status").code, 2);  // nothing imported yet
  auto nodb = Tg("scan deps .");
  EXPECT_EQ(nodb.code, 2);
  EXPECT_THAT(nodb.err, HasSubstr("no advisory database"));
  Write("a/x.json", R"({"id":"GO-T","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"m"}}]})");
  Write("a/bad.yaml", "id: [unclosed\n");
  auto imp = Tg("db import a");
  EXPECT_EQ(imp.code, 0);
  EXPECT_THAT(imp.err, HasSubstr("bad.yaml:"));
  auto st = Tg("db status --format json");
  ASSERT_EQ(st.code, 0);
  auto j = nlohmann::json::parse(st.out);
  EXPECT_EQ(j["advisories"], 1);
  EXPECT_EQ(j["ecosystems"]["Go"], 1);
  EXPECT_EQ(Tg("db import nope").code, 2);
  auto only_bad = Tg("db import a/bad.yaml");
  EXPECT_EQ(only_bad.code, 2);
  // a malformed lockfile given by name: one line naming file and line, exit 2
  Write("p/package-lock.json", "{\n  \"packages\": {\n    \"node_modules/a\": \n");
  auto bad = Tg("scan deps p/package-lock.json");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("package-lock.json:4:"));
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1);
  // in a walked tree it is a parse-error finding (file and line) and the scan goes on
  auto walked = Tg("scan deps p --format json");
  EXPECT_EQ(walked.code, 1) << walked.err;
  EXPECT_THAT(walked.out, HasSubstr("\"rule_id\": \"parse-error\""));
  EXPECT_THAT(walked.out, HasSubstr("p/package-lock.json"));
  EXPECT_EQ(Tg("scan deps does-not-exist").code, 2);
}

TEST_F(DepsCli, SbomsValidateAgainstTheOfficialSchemas) {
  fs::path schemas = fs::path(TOLLGATE_SHARED_DIR) / "corpora/schemas/sbom";
  if (!fs::is_directory(schemas)) GTEST_SKIP() << "no ../shared/corpora/schemas/sbom at " << schemas;
  if (std::system("python3 -c 'import jsonschema' 2>/dev/null") != 0) GTEST_SKIP() << "python3-jsonschema missing";
  std::string validator = std::string(TOLLGATE_SOURCE_DIR) + "/tests/deps/testdata/validate_sbom.py";
  std::string src = std::string(TOLLGATE_SOURCE_DIR) + "/tests/deps/testdata/lockfiles";
  std::string image = Image();
  for (const char* kind : {"cyclonedx", "spdx"}) {
    auto r = Tg("sbom '" + src + "' '" + image + "' --format " + kind + " --output sbom.json");
    ASSERT_EQ(r.code, 0) << r.err;
    auto doc = nlohmann::json::parse(Slurp((dir_ / "sbom.json").string()));
    std::string list = doc.dump();
    EXPECT_THAT(list, HasSubstr("pkg:pypi/jinja2@2.7.1"));
    EXPECT_THAT(list, HasSubstr("pkg:deb/debian/openssl@3.0.11-1~deb12u1"));
    EXPECT_THAT(list, HasSubstr("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8"));
    std::string check = "python3 -W ignore '" + validator + "' '" + schemas.string() + "' " + kind + " '" +
                        (dir_ / "sbom.json").string() + "'";
    EXPECT_EQ(std::system(check.c_str()), 0) << kind << " SBOM does not validate";
    // the validator does reject a broken document
    if (std::string(kind) == "cyclonedx") doc["specVersion"] = 15;
    else doc.erase("SPDXID");
    Write("broken.json", doc.dump());
    std::string broken = "python3 -W ignore '" + validator + "' '" + schemas.string() + "' " + kind + " '" +
                         (dir_ / "broken.json").string() + "' >/dev/null";
    EXPECT_NE(std::system(broken.c_str()), 0) << kind;
  }
}

}  // namespace
}  // namespace tollgate::deps
