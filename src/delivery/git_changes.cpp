// The changes a deploy ships, from git (libgit2): the commits reachable from
// the deployed commit and not from the previous successful deploy's commit.
#include <memory>

#include "core/git.h"

#include "delivery/delivery.h"

namespace tollgate::delivery {
namespace {

using GitLibrary = git::Library;
using git::CommitPtr;
using git::DiffPtr;
using git::ObjectPtr;
using git::RepoPtr;
using git::TreePtr;
using git::WalkPtr;

std::string GitMessage() { return git::LastError(); }

Result<git_oid> Resolve(git_repository* repo, const std::string& repo_path, const std::string& rev) {
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo, rev.c_str()) != 0)
    return Fail(Error::Input(repo_path + ": commit \"" + rev + "\" not found: " + GitMessage()));
  ObjectPtr holder(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) != 0)
    return Fail(Error::Input(repo_path + ": \"" + rev + "\" is not a commit"));
  ObjectPtr peeled_holder(peeled);
  return *git_object_id(peeled);
}

// Whether the commit changes a file under one of `paths` (against its first
// parent; a root commit against the empty tree).
Result<bool> Touches(git_repository* repo, git_commit* commit, const std::vector<std::string>& paths) {
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) != 0) return Fail(Error::Io("git: cannot read a tree: " + GitMessage()));
  TreePtr tree_holder(tree);
  TreePtr parent_tree;
  if (git_commit_parentcount(commit) > 0) {
    git_commit* parent = nullptr;
    if (git_commit_parent(&parent, commit, 0) != 0) return Fail(Error::Io("git: cannot read a parent: " + GitMessage()));
    CommitPtr parent_holder(parent);
    git_tree* pt = nullptr;
    if (git_commit_tree(&pt, parent) != 0) return Fail(Error::Io("git: cannot read a tree: " + GitMessage()));
    parent_tree.reset(pt);
  }
  std::vector<char*> specs;
  specs.reserve(paths.size());
  for (const auto& p : paths) specs.push_back(const_cast<char*>(p.c_str()));
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  opts.pathspec.strings = specs.data();
  opts.pathspec.count = specs.size();
  git_diff* diff = nullptr;
  if (git_diff_tree_to_tree(&diff, repo, parent_tree.get(), tree, &opts) != 0)
    return Fail(Error::Io("git: cannot diff: " + GitMessage()));
  DiffPtr diff_holder(diff);
  return git_diff_num_deltas(diff) > 0;
}

}  // namespace

Result<std::optional<std::vector<Change>>> ChangesFromGit(const std::string& repo_path,
                                                          const std::optional<std::string>& from, const std::string& to,
                                                          const std::vector<std::string>& paths) {
  GitLibrary lib;
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, repo_path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    return Fail(Error::Input(repo_path + ": not a git repository: " + GitMessage()));
  RepoPtr repo(raw);
  auto to_oid = Resolve(repo.get(), repo_path, to);
  if (!to_oid) return Fail(to_oid.error());
  // The first deploy: its changes (and lead time) are unknown, not the
  // whole history before it.
  if (!from) return std::optional<std::vector<Change>>();
  auto from_oid = Resolve(repo.get(), repo_path, *from);
  if (!from_oid) return Fail(from_oid.error());
  git_revwalk* walk_raw = nullptr;
  if (git_revwalk_new(&walk_raw, repo.get()) != 0) return Fail(Error::Io("git: cannot walk: " + GitMessage()));
  WalkPtr walk(walk_raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (git_revwalk_push(walk.get(), &*to_oid) != 0 || git_revwalk_hide(walk.get(), &*from_oid) != 0)
    return Fail(Error::Io("git: cannot walk: " + GitMessage()));
  std::vector<Change> out;
  git_oid oid;
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo.get(), &oid) != 0) return Fail(Error::Io("git: cannot read a commit: " + GitMessage()));
    CommitPtr holder(c);
    if (!paths.empty()) {
      auto t = Touches(repo.get(), c, paths);
      if (!t) return Fail(t.error());
      if (!*t) continue;
    }
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &oid);
    // Commit (committer) time: when the change landed, as Four Keys and
    // DevLake measure it.
    out.push_back({hex, static_cast<Millis>(git_commit_time(c)) * 1000});
  }
  return std::optional<std::vector<Change>>(std::move(out));
}

}  // namespace tollgate::delivery
