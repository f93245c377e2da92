// Archives: members are scanned in memory and named "archive!member";
// nested archives, lone compressed streams, hostile names, corrupt input and
// decompression bombs are incomplete-scan problems, in bounded memory.
#include <archive.h>
#include <archive_entry.h>

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

const char* kRules = R"toml(
[[rule]]
id = "aws-access-key-id"
description = "AWS access key ID"
provider = "aws"
severity = "critical"
regex = '''\b((?:AKIA|ASIA)[A-Z2-7]{16})\b'''
secret_group = 1
keywords = ["akia"]
)toml";

const std::string kSecretLine = "aws_access_key_id = AKIAQX7TWDN3RH5KLMPZ\n";

Scanner MakeScanner() {
  auto rules = ParseRules(kRules, "test.toml");
  EXPECT_TRUE(rules.has_value());
  auto s = Scanner::Compile(std::move(*rules));
  EXPECT_TRUE(s.has_value());
  return std::move(*s);
}

// Writes an archive in memory: format e.g. archive_write_set_format_zip,
// filter e.g. archive_write_add_filter_gzip (or none).
std::string Build(int (*format)(archive*), int (*filter)(archive*),
                  const std::vector<std::pair<std::string, std::string>>& members) {
  archive* a = archive_write_new();
  format(a);
  if (filter != nullptr) filter(a);
  std::string out(8 << 20, '\0');
  size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a, out.data(), out.size(), &used), ARCHIVE_OK);
  for (const auto& [name, content] : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK);
    EXPECT_EQ(archive_write_data(a, content.data(), content.size()), static_cast<la_ssize_t>(content.size()));
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

std::vector<std::string> Files(const ScanResult& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) out.push_back(f.location.file);
  return out;
}

TEST(SecretsArchive, ScansZipAndTarGzMembersByName) {
  Scanner s = MakeScanner();
  ScanOptions opts;
  ScanResult r;
  std::string zip = Build(archive_write_set_format_zip, nullptr,
                          {{"app/settings.py", kSecretLine}, {"README.md", "nothing here\n"}});
  ScanContent(s, zip, "release.zip", opts, r);
  std::string tgz = Build(archive_write_set_format_pax_restricted, archive_write_add_filter_gzip,
                          {{"src/config.env", "# x\n" + kSecretLine}});
  ScanContent(s, tgz, "src.tar.gz", opts, r);
  ASSERT_EQ(Files(r), (std::vector<std::string>{"release.zip!app/settings.py", "src.tar.gz!src/config.env"}));
  EXPECT_EQ(r.findings[1].location.line, 2u);
  EXPECT_TRUE(r.warnings.empty());

  // --no-archives: an archive is binary content and is skipped.
  ScanResult off;
  ScanOptions no;
  no.archives = false;
  ScanContent(s, zip, "release.zip", no, off);
  EXPECT_TRUE(off.findings.empty());
}

TEST(SecretsArchive, NestedArchivesAndLoneCompressedStreams) {
  Scanner s = MakeScanner();
  ScanOptions opts;
  ScanResult r;
  std::string inner = Build(archive_write_set_format_zip, nullptr, {{"deep/key.txt", kSecretLine}});
  std::string outer = Build(archive_write_set_format_pax_restricted, nullptr, {{"bundle/inner.zip", inner}});
  ScanContent(s, outer, "outer.tar", opts, r);
  std::string gz = Build(archive_write_set_format_raw, archive_write_add_filter_gzip, {{"ignored", kSecretLine}});
  ScanContent(s, gz, "dir/settings.env.gz", opts, r);
  EXPECT_EQ(Files(r), (std::vector<std::string>{"outer.tar!bundle/inner.zip!deep/key.txt",
                                                "dir/settings.env.gz!settings.env"}));
}

TEST(SecretsArchive, HostileNamesAreLabelsOnly) {
  Scanner s = MakeScanner();
  ScanResult r;
  std::string zip = Build(archive_write_set_format_zip, nullptr, {{"../../etc/evil\x1b[31m.py", kSecretLine}});
  ScanContent(s, zip, "x.zip", ScanOptions{}, r);
  ASSERT_EQ(r.findings.size(), 1u);
  // Control bytes cannot reach the report; nothing was written anywhere.
  EXPECT_EQ(r.findings[0].location.file, "x.zip!../../etc/evil?[31m.py");
}

// A corrupt archive is content that could not be read completely: an
// incomplete-scan problem (issue 14 item 6), never a crash. Magic bytes in
// front of text that is no archive are text: it is scanned as such.
TEST(SecretsArchive, CorruptArchivesAreIncompleteAndDoNotCrash) {
  Scanner s = MakeScanner();
  std::string zip = Build(archive_write_set_format_zip, nullptr, {{"a.txt", kSecretLine}});
  for (std::size_t cut : {std::size_t{4}, std::size_t{30}, zip.size() / 2, zip.size() - 3}) {
    ScanResult part;
    ScanContent(s, std::string_view(zip).substr(0, cut), "cut.zip", ScanOptions{}, part);
    // A truncated archive yields its intact members, a problem, or (no NUL
    // byte at all) was scanned whole as text.
    EXPECT_TRUE(!part.problems.empty() || !part.findings.empty() || part.files == 1) << cut;
  }
  ScanResult r;
  std::string garbage = "PK\x03\x04" + std::string(200, '\xff') + std::string(8, '\0');
  ScanContent(s, garbage, "garbage.zip", ScanOptions{}, r);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].path, "garbage.zip");
  EXPECT_EQ(r.problems[0].cause, "archive-corrupt");
  EXPECT_EQ(r.problems[0].kind, walk::ProblemKind::kIncomplete);
  ScanResult text;
  ScanContent(s, "PK\x03\x04 is how a zip starts; " + kSecretLine, "notes.txt", ScanOptions{}, text);
  EXPECT_TRUE(text.problems.empty());
  EXPECT_EQ(text.findings.size(), 1u);
}

// A lone compressed text file is read as one stream: no other archive
// format (libarchive's mtree reads text) may claim it and hide its content.
TEST(SecretsArchive, CompressedTextIsNotClaimedByTextArchiveFormats) {
  Scanner s = MakeScanner();
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "INSERT INTO audit VALUES (1, 2, 3);\n";
  std::string gz = Build(archive_write_set_format_raw, archive_write_add_filter_gzip, {{"x", text + kSecretLine}});
  ScanResult r;
  ScanContent(s, gz, "backup.sql.gz", ScanOptions{}, r);
  EXPECT_EQ(Files(r), (std::vector<std::string>{"backup.sql.gz!backup.sql"}));
}

TEST(SecretsArchive, DecompressionBombStopsWithinBudget) {
  Scanner s = MakeScanner();
  // 300 MiB of one byte compresses to well under 1 MiB: far beyond 100x.
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_gzip(a);
  std::string out(4 << 20, '\0');
  size_t used = 0;
  ASSERT_EQ(archive_write_open_memory(a, out.data(), out.size(), &used), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "bomb.txt");
  const std::size_t total = 300u << 20;
  archive_entry_set_size(e, static_cast<la_int64_t>(total));
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  std::string chunk(1 << 20, 'a');
  for (std::size_t i = 0; i < total / chunk.size(); ++i) archive_write_data(a, chunk.data(), chunk.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  ASSERT_LT(out.size(), 2u << 20);

  ScanResult r;
  ScanContent(s, out, "bomb.tar.gz", ScanOptions{}, r);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].cause, "archive-bomb");
  EXPECT_EQ(r.problems[0].path, "bomb.tar.gz");
  EXPECT_NE(r.problems[0].reason.find("decompression bomb"), std::string::npos) << r.problems[0].reason;
}

}  // namespace
}  // namespace tollgate::secrets
