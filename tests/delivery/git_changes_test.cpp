// Changes from git: the commits between the previous successful deploy and
// this one, the first deploy's changes unknown, monorepo path filters.
#include <git2.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "delivery/delivery.h"
#include "delivery/dora.h"

namespace tollgate::delivery {
namespace {

namespace fs = std::filesystem;

// A repository built commit by commit with fixed committer times.
class GitRepo {
 public:
  GitRepo() {
    git_libgit2_init();
    std::string tmpl = (fs::temp_directory_path() / "tollgate-git-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    EXPECT_EQ(git_repository_init(&repo_, dir_.c_str(), 0), 0);
  }
  ~GitRepo() {
    git_repository_free(repo_);
    git_libgit2_shutdown();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // Writes `file` and commits it at `unix_seconds`; returns the hex id.
  std::string Commit(const std::string& file, const std::string& content, std::int64_t unix_seconds) {
    fs::path p = dir_ / file;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    git_index* index = nullptr;
    EXPECT_EQ(git_repository_index(&index, repo_), 0);
    EXPECT_EQ(git_index_add_bypath(index, file.c_str()), 0);
    EXPECT_EQ(git_index_write(index), 0);
    git_oid tree_id, commit_id;
    EXPECT_EQ(git_index_write_tree(&tree_id, index), 0);
    git_index_free(index);
    git_tree* tree = nullptr;
    EXPECT_EQ(git_tree_lookup(&tree, repo_, &tree_id), 0);
    git_signature* sig = nullptr;
    EXPECT_EQ(git_signature_new(&sig, "Dev", "dev@example.com", unix_seconds, 0), 0);
    git_commit* parent = nullptr;
    git_oid head;
    bool has_parent = git_reference_name_to_id(&head, repo_, "HEAD") == 0;
    if (has_parent) {
      EXPECT_EQ(git_commit_lookup(&parent, repo_, &head), 0);
    }
    const git_commit* parents[] = {parent};
    EXPECT_EQ(git_commit_create(&commit_id, repo_, "HEAD", sig, sig, nullptr, file.c_str(), tree, has_parent ? 1 : 0,
                                has_parent ? parents : nullptr),
              0);
    git_commit_free(parent);
    git_signature_free(sig);
    git_tree_free(tree);
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &commit_id);
    return hex;
  }
  std::string path() const { return dir_.string(); }

 private:
  fs::path dir_;
  git_repository* repo_ = nullptr;
};

constexpr std::int64_t kT0 = 1767600000;  // 2026-01-05T08:00:00Z

TEST(GitChanges, FirstDeployIsUnknownThenOnlyTheNewCommits) {
  GitRepo repo;
  std::string c1 = repo.Commit("a.txt", "1", kT0);
  std::string c2 = repo.Commit("a.txt", "2", kT0 + 3600);
  std::string c3 = repo.Commit("b.txt", "3", kT0 + 7200);
  std::string c4 = repo.Commit("a.txt", "4", kT0 + 10800);
  // First deploy at c2: years of history before it are not its changes.
  auto first = ChangesFromGit(repo.path(), std::nullopt, c2, {});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_FALSE(first->has_value());
  // Next deploy at c4: c3 and c4, newest first, with their commit times.
  auto next = ChangesFromGit(repo.path(), c2, c4, {});
  ASSERT_TRUE(next) << next.error().message();
  ASSERT_TRUE(next->has_value());
  ASSERT_EQ((*next)->size(), 2u);
  EXPECT_EQ((*next)->at(0).commit, c4);
  EXPECT_EQ((*next)->at(0).time, (kT0 + 10800) * 1000);
  EXPECT_EQ((*next)->at(1).commit, c3);
  // Short ids resolve too.
  auto short_ids = ChangesFromGit(repo.path(), c2.substr(0, 8), c4.substr(0, 10), {});
  ASSERT_TRUE(short_ids);
  EXPECT_EQ((*short_ids)->size(), 2u);
  // A redeploy of the same commit ships nothing.
  auto same = ChangesFromGit(repo.path(), c4, c4, {});
  ASSERT_TRUE(same);
  EXPECT_TRUE((*same)->empty());
  (void)c1;
}

TEST(GitChanges, MonorepoServicesAreSeparatedByPath) {
  GitRepo repo;
  std::string base = repo.Commit("services/pay/main.go", "0", kT0);
  std::string p1 = repo.Commit("services/pay/main.go", "1", kT0 + 60);
  std::string a1 = repo.Commit("services/auth/main.go", "1", kT0 + 120);
  std::string p2 = repo.Commit("services/pay/api.go", "2", kT0 + 180);
  std::string docs = repo.Commit("README.md", "x", kT0 + 240);
  auto pay = ChangesFromGit(repo.path(), base, docs, {"services/pay"});
  ASSERT_TRUE(pay) << pay.error().message();
  ASSERT_EQ((*pay)->size(), 2u);
  EXPECT_EQ((*pay)->at(0).commit, p2);
  EXPECT_EQ((*pay)->at(1).commit, p1);
  auto auth = ChangesFromGit(repo.path(), base, docs, {"services/auth"});
  ASSERT_TRUE(auth);
  ASSERT_EQ((*auth)->size(), 1u);
  EXPECT_EQ((*auth)->at(0).commit, a1);
  auto all = ChangesFromGit(repo.path(), base, docs, {});
  EXPECT_EQ((*all)->size(), 4u);
}

TEST(GitChanges, BadRepositoryOrCommitIsAnInputError) {
  GitRepo repo;
  std::string c1 = repo.Commit("a.txt", "1", kT0);
  auto no_repo = ChangesFromGit((fs::temp_directory_path() / "no-such-repo-tollgate").string(), std::nullopt, c1, {});
  ASSERT_FALSE(no_repo);
  EXPECT_EQ(no_repo.error().exit_code(), ExitCode::kInput);
  auto no_commit = ChangesFromGit(repo.path(), c1, "0123456789abcdef0123456789abcdef01234567", {});
  ASSERT_FALSE(no_commit);
  EXPECT_NE(no_commit.error().message().find("not found"), std::string::npos);
}

}  // namespace
}  // namespace tollgate::delivery
