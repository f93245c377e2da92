// Scanning git history with libgit2.
#include <git2.h>

#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>

#include "core/time.h"
#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

// Owns libgit2's global state for the duration of a scan.
class LibGit2 {
 public:
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
  LibGit2(const LibGit2&) = delete;
  LibGit2& operator=(const LibGit2&) = delete;
};

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const { Free(p); }
};
using Repo = std::unique_ptr<git_repository, GitDeleter<git_repository, git_repository_free>>;
using Walk = std::unique_ptr<git_revwalk, GitDeleter<git_revwalk, git_revwalk_free>>;
using Commit = std::unique_ptr<git_commit, GitDeleter<git_commit, git_commit_free>>;
using Tree = std::unique_ptr<git_tree, GitDeleter<git_tree, git_tree_free>>;
using Diff = std::unique_ptr<git_diff, GitDeleter<git_diff, git_diff_free>>;
using Blob = std::unique_ptr<git_blob, GitDeleter<git_blob, git_blob_free>>;
using Object = std::unique_ptr<git_object, GitDeleter<git_object, git_object_free>>;

std::string GitError(const std::string& what) {
  const git_error* e = git_error_last();
  return what + (e != nullptr && e->message != nullptr ? std::string(": ") + e->message : std::string());
}

struct OidHash {
  std::size_t operator()(const git_oid& o) const {
    std::size_t h = 0;
    std::memcpy(&h, o.id, sizeof h);
    return h;
  }
};
struct OidEq {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b) != 0; }
};

}  // namespace

Result<ScanResult> ScanGitHistory(const Scanner& scanner, const std::string& repo_path, const GitScanOptions& git,
                                  const ScanOptions& opts) {
  LibGit2 lib;
  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, repo_path.c_str(), 0, nullptr) != 0)
    return Fail(Error::Input(GitError(repo_path + ": not a git repository")));
  Repo repo(raw_repo);
  git_revwalk* raw_walk = nullptr;
  if (git_revwalk_new(&raw_walk, repo.get()) != 0) return Fail(Error::Io(GitError("cannot walk history")));
  Walk walk(raw_walk);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  bool any = git_revwalk_push_glob(walk.get(), "*") == 0;
  any = (git_revwalk_push_head(walk.get()) == 0) || any;
  if (!any) return ScanResult{};  // an empty repository
  if (!git.since.empty()) {
    git_object* since = nullptr;
    if (git_revparse_single(&since, repo.get(), git.since.c_str()) != 0)
      return Fail(Error::Input(GitError("--since " + git.since + ": unknown revision")));
    Object since_obj(since);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, since, GIT_OBJECT_COMMIT) != 0)
      return Fail(Error::Input("--since " + git.since + ": not a commit"));
    Object peeled_obj(peeled);
    git_revwalk_hide(walk.get(), git_object_id(peeled));
  }

  ScanResult res;
  std::unordered_set<git_oid, OidHash, OidEq> seen_blobs;
  std::unordered_set<std::string> seen_secrets;  // fingerprint + path
  git_oid oid;
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    char sha[GIT_OID_HEXSZ + 1];
    git_oid_tostr(sha, sizeof sha, &oid);
    git_commit* raw_commit = nullptr;
    if (git_commit_lookup(&raw_commit, repo.get(), &oid) != 0) {
      res.warnings.push_back(GitError(std::string("commit ") + sha + ": skipped"));
      continue;
    }
    Commit commit(raw_commit);
    git_tree* raw_tree = nullptr;
    if (git_commit_tree(&raw_tree, commit.get()) != 0) {
      res.warnings.push_back(GitError(std::string("commit ") + sha + ": tree unreadable"));
      continue;
    }
    Tree tree(raw_tree);
    Tree parent_tree;
    if (git_commit_parentcount(commit.get()) > 0) {
      git_commit* raw_parent = nullptr;
      if (git_commit_parent(&raw_parent, commit.get(), 0) == 0) {
        Commit parent(raw_parent);
        git_tree* raw_ptree = nullptr;
        if (git_commit_tree(&raw_ptree, parent.get()) == 0) parent_tree.reset(raw_ptree);
      }
    }
    git_diff* raw_diff = nullptr;
    if (git_diff_tree_to_tree(&raw_diff, repo.get(), parent_tree.get(), tree.get(), nullptr) != 0) {
      res.warnings.push_back(GitError(std::string("commit ") + sha + ": cannot diff"));
      continue;
    }
    Diff diff(raw_diff);
    const git_signature* author = git_commit_author(commit.get());
    std::string who = author != nullptr && author->name != nullptr ? author->name : "unknown";
    std::string when = author != nullptr
                           ? FormatRfc3339(TimePoint(std::chrono::seconds(author->when.time)))
                           : std::string();
    const std::size_t deltas = git_diff_num_deltas(diff.get());
    for (std::size_t d = 0; d < deltas; ++d) {
      const git_diff_delta* delta = git_diff_get_delta(diff.get(), d);
      if (delta->status != GIT_DELTA_ADDED && delta->status != GIT_DELTA_MODIFIED &&
          delta->status != GIT_DELTA_RENAMED && delta->status != GIT_DELTA_COPIED)
        continue;
      if (delta->new_file.mode != GIT_FILEMODE_BLOB && delta->new_file.mode != GIT_FILEMODE_BLOB_EXECUTABLE) continue;
      if (!seen_blobs.insert(delta->new_file.id).second) continue;
      const std::string path = delta->new_file.path != nullptr ? delta->new_file.path : "";
      git_blob* raw_blob = nullptr;
      if (git_blob_lookup(&raw_blob, repo.get(), &delta->new_file.id) != 0) {
        res.warnings.push_back(GitError(path + " in " + sha + ": skipped"));
        continue;
      }
      Blob blob(raw_blob);
      const auto size = static_cast<std::uint64_t>(git_blob_rawsize(blob.get()));
      if (size > opts.max_file_bytes) {
        res.warnings.push_back(path + " in " + std::string(sha).substr(0, 12) + ": skipped: larger than " +
                               std::to_string(opts.max_file_bytes) + " bytes");
        continue;
      }
      if (git_blob_is_binary(blob.get())) continue;
      std::string_view data(static_cast<const char*>(git_blob_rawcontent(blob.get())), static_cast<std::size_t>(size));
      ScanResult one;
      ScanBuffer(scanner, data, path, opts, one);
      // The same secret in a later version of the file was introduced
      // earlier: report it once, at the oldest commit (walked first).
      std::erase_if(one.findings, [&](const Finding& f) {
        return !seen_secrets.insert(f.fingerprint + "\n" + f.location.file).second;
      });
      for (auto& f : one.findings) {
        f.location.commit = sha;
        f.message += " (introduced in " + std::string(sha).substr(0, 12) + " by " + who + ", " + when + ")";
      }
      res.Absorb(std::move(one));
    }
  }
  SortFindings(res.findings);
  return res;
}

}  // namespace tollgate::secrets
