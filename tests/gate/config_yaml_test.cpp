// tollgate.yaml read strictly (issue 14 item 7): duplicate keys, second
// documents and quoted numbers or booleans are errors with file:line:column;
// alias bombs and deep nesting are refused quickly (item 10).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "core/yaml_bomb.h"
#include "gate/config.h"

namespace tollgate::gate {
namespace {

using ::testing::HasSubstr;
using tollgate::testdata::BillionLaughs;

std::string ConfigError(const std::string& yaml) {
  auto c = ParseConfig(yaml, "tollgate.yaml");
  EXPECT_FALSE(c.has_value()) << yaml;
  if (c) return "";
  EXPECT_EQ(c.error().exit_code(), ExitCode::kInput);
  EXPECT_EQ(c.error().message().find('\n'), std::string::npos);
  return c.error().message();
}

// A reviewer reads `high`; yaml-cpp's operator[] used to answer `none`.
TEST(ConfigStrictYaml, DuplicateFailOnIsAnError) {
  EXPECT_EQ(ConfigError("gates:\n  sast: {import: r.sarif, fail_on: none, fail_on: high, bypass: none}\n"),
            "tollgate.yaml:2:42: key \"fail_on\" already set in map (first at line 2, column 27)");
}

// Two gates named sast: one used to vanish from the evidence.
TEST(ConfigStrictYaml, TwoGatesWithTheSameNameAreAnError) {
  EXPECT_EQ(ConfigError("gates:\n  sast: {import: a.sarif, bypass: none}\n  secrets: {scanner: secrets, bypass: none}\n"
                        "  sast: {import: b.sarif, bypass: [security]}\n"),
            "tollgate.yaml:4:3: key \"sast\" already set in map (first at line 2, column 3)");
}

TEST(ConfigStrictYaml, DuplicateTopLevelKeyIsAnError) {
  EXPECT_THAT(
      ConfigError("approvals: {required: 1}\ngates: {a: {import: x, bypass: none}}\napprovals: {required: 0}\n"),
      HasSubstr("tollgate.yaml:3:1: key \"approvals\" already set in map"));
}

// Later documents used to be ignored silently.
TEST(ConfigStrictYaml, SecondDocumentIsAnError) {
  EXPECT_EQ(ConfigError("gates: {a: {import: x, bypass: none}}\n---\ngates: {b: {import: y, bypass: none}}\n"),
            "tollgate.yaml:2:1: a second YAML document; this file must hold exactly one");
  auto ok = ParseConfig("---\ngates: {a: {import: x, bypass: none}}\n...\n", "tollgate.yaml");
  EXPECT_TRUE(ok) << ok.error().message();
}

TEST(ConfigStrictYaml, QuotedVersionIsATypeError) {
  EXPECT_EQ(ConfigError("version: \"1\"\ngates: {a: {import: x, bypass: none}}\n"),
            "tollgate.yaml:1:10: 'version' must be an integer, not the quoted string \"1\" (write it without quotes)");
}

TEST(ConfigStrictYaml, QuotedFourEyesIsATypeError) {
  EXPECT_EQ(ConfigError("gates: {a: {import: x, bypass: none}}\napprovals: {four_eyes: \"false\"}\n"),
            "tollgate.yaml:2:24: 'four_eyes' must be true or false, not the quoted string \"false\" (write it without "
            "quotes)");
  EXPECT_THAT(ConfigError("gates: {a: {import: x, bypass: none}}\napprovals: {required: '2'}\n"),
              HasSubstr("tollgate.yaml:2:23: 'required' must be an integer, not the quoted string"));
  auto ok =
      ParseConfig("gates: {a: {import: x, bypass: none}}\napprovals: {four_eyes: no, required: 2}\n", "tollgate.yaml");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_FALSE(ok->approvals.four_eyes);
}

TEST(ConfigStrictYaml, BillionLaughsIsRefusedQuickly) {
  std::string s = BillionLaughs("gates:\n  a: {import: x, bypass: none}\n");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(ConfigError(s), HasSubstr("once its aliases are expanded"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(ConfigStrictYaml, DeepNestingIsRefusedWithoutACrash) {
  std::string s = "gates: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_THAT(ConfigError(s), HasSubstr("tollgate.yaml:1:263: nesting deeper than 256 levels"));
}

TEST(ConfigStrictYaml, FifoIsRefusedWithoutBlocking) {
  auto dir = std::filesystem::temp_directory_path() / ("tollgate_cfg_fifo_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto fifo = (dir / "tollgate.yaml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto c = LoadConfig(fifo);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message(), HasSubstr("FIFO"));
}

}  // namespace
}  // namespace tollgate::gate
