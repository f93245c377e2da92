// Issue 13 §7: a fresh CI runner paid 3.7 s and 119 MB on its first secrets
// scan, compiling the built-in rules' Vectorscan database into an empty cache.
// The binary now carries that database, made at build time
// (src/scan/secrets/gen/embed_cache.cpp): with an empty cache nothing is
// compiled or written, and the scan finds what it always found.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include "support/cli_harness.h"
#include "support/memory.h"

namespace {

using tollgate::testing::PeakChildRssKb;
using tollgate::testing::RssLimitKb;

class BuiltinRulesCache : public tollgate::testing::CliHarness {};

TEST_F(BuiltinRulesCache, FreshRunnerScansWithoutCompilingTheBuiltInRules) {
  const std::string app = std::string(TOLLGATE_SOURCE_DIR) + "/examples/payments-api/app";
  const auto cache = dir_ / "fresh-cache";
  auto r = Run("TOLLGATE_CACHE_DIR='" + cache.string() + "' '" + TOLLGATE_BINARY + "' scan secrets '" + app + "'");
  EXPECT_EQ(r.code, 1) << r.err;  // the example's planted live key
  EXPECT_NE(r.out.find("stripe-live-secret-key"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(cache)) << "the built-in rules were compiled and cached at run time";
  EXPECT_LT(PeakChildRssKb(), RssLimitKb(64 * 1024)) << "KiB";  // compiling peaked at 119 MB

  // Rules of the user's own are still compiled, and cached for the next run.
  Write("rules.toml",
        "[[rule]]\nid = 'acme-token'\ndescription = 'ACME token'\nseverity = 'high'\n"
        "regex = '\\bacme_[a-z0-9]{24}\\b'\n");
  Write("src/a.txt", "token = acme_0123456789abcdefghijklmn\n");
  auto custom = Run("TOLLGATE_CACHE_DIR='" + cache.string() + "' '" + TOLLGATE_BINARY +
                    "' scan secrets src --rules rules.toml");
  EXPECT_EQ(custom.code, 1) << custom.err;
  EXPECT_NE(custom.out.find("acme-token"), std::string::npos) << custom.out;
  EXPECT_TRUE(std::filesystem::exists(cache));
}

// A rule file that defines nothing made a scan that finds nothing, exit 0; a
// FIFO given as a rule file blocked the scan forever.
TEST_F(BuiltinRulesCache, RuleFilesThatDefineNothingOrCannotBeReadAreRefused) {
  Write("src/a.txt", "aws_access_key_id = AKIAQX7TWDN3RH5KLMPZ\n");
  for (const char* text : {"", "# nothing yet\n", "[extend]\nuseDefault = false\n"}) {
    Write("rules.toml", text);
    auto r = Tg("scan secrets src --rules rules.toml");
    EXPECT_EQ(r.code, 2) << "rule file: " << text << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("rules.toml: no rules defined"), std::string::npos) << r.err;
  }
  ASSERT_EQ(::mkfifo((dir_ / "fifo.toml").c_str(), 0644), 0);
  auto fifo = Run("timeout 60 '" + std::string(TOLLGATE_BINARY) + "' scan secrets src --rules fifo.toml");
  EXPECT_EQ(fifo.code, 2) << fifo.err;  // 124 when it waits on the FIFO
  EXPECT_NE(fifo.err.find("fifo.toml"), std::string::npos) << fifo.err;
}

}  // namespace
