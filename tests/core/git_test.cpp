#include "core/git.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace tollgate::git {
namespace {

using tollgate::testing::TempDir;

TEST(GitUrl, CredentialsInTheAuthorityAreRemoved) {
  // RFC 3986 §3.2.1: userinfo is what precedes the last '@' of the authority.
  EXPECT_EQ(WithoutCredentials("https://gitlab-ci-token:glcbt-abc123@gitlab.example/pay/api.git"),
            "https://gitlab.example/pay/api.git");
  EXPECT_EQ(WithoutCredentials("https://x-access-token:ghs_0123@github.com/o/r"), "https://github.com/o/r");
  EXPECT_EQ(WithoutCredentials("ssh://git@host.example:2222/o/r.git"), "ssh://host.example:2222/o/r.git");
  EXPECT_EQ(WithoutCredentials("https://u:p@ss@host.example/r"), "https://host.example/r");
  // An '@' after the authority is part of the path, not a credential.
  EXPECT_EQ(WithoutCredentials("https://host.example/o/r@v2.git"), "https://host.example/o/r@v2.git");
  EXPECT_EQ(WithoutCredentials("https://host.example"), "https://host.example");
  // scp-like syntax names a user and never a password.
  EXPECT_EQ(WithoutCredentials("git@github.com:o/r.git"), "git@github.com:o/r.git");
  EXPECT_EQ(WithoutCredentials(""), "");
}

// A fresh repository in a temporary directory.
class GitWhere : public ::testing::Test {
 protected:
  void SetUp() override {
    git_repository* raw = nullptr;
    ASSERT_EQ(git_repository_init(&raw, dir_.path().c_str(), 0), 0) << LastError();
    repo_.reset(raw);
  }
  TempDir dir_;
  Library lib_;
  RepoPtr repo_;
};

// A repository whose config has many entries beside remote.origin.url, as a CI clone has:
// under LeakSanitizer this also catches libgit2 1.5's per-entry PCRE2 leak in insteadOf lookups.
TEST_F(GitWhere, OriginUrlIsReadWithoutCredentials) {
  git_config* cfg = nullptr;
  ASSERT_EQ(git_repository_config(&cfg, repo_.get()), 0) << LastError();
  ASSERT_EQ(git_config_set_string(cfg, "remote.origin.url", "https://ci-token:s3cr3t@git.example/pay/api.git"), 0);
  ASSERT_EQ(git_config_set_string(cfg, "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"), 0);
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(git_config_set_string(cfg, ("branch.b" + std::to_string(i) + ".remote").c_str(), "origin"), 0);
  git_config_free(cfg);

  auto where = Where(dir_.path().string());
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(where->origin_url, "https://git.example/pay/api.git");
}

TEST_F(GitWhere, NoOriginMeansAnEmptyUrl) {
  auto where = Where(dir_.path().string());
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(where->origin_url, "");
}

}  // namespace
}  // namespace tollgate::git
