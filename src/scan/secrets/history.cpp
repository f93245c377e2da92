// Scanning git history with libgit2.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/git.h"
#include "core/time.h"
#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

using LibGit2 = git::Library;
using Repo = git::RepoPtr;
using Walk = git::WalkPtr;
using Commit = git::CommitPtr;
using Tree = git::TreePtr;
using Diff = git::DiffPtr;
using Blob = git::BlobPtr;
using Object = git::ObjectPtr;

std::string GitError(const std::string& what) { return what + ": " + git::LastError(); }

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

  // Phase 1, one thread: walk the commits oldest first and list each blob a
  // commit adds or changes, once (the first commit that has it).
  struct Item {
    git_oid blob;
    std::string path;
    std::size_t commit;  // index into `commits`
  };
  struct CommitInfo {
    std::string sha, who, when;
  };
  ScanResult res;
  std::vector<Item> items;
  std::vector<CommitInfo> commits;
  std::unordered_set<git_oid, OidHash, OidEq> seen_blobs;
  git_oid oid;
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    if (opts.progress != nullptr) opts.progress->commits.fetch_add(1, std::memory_order_relaxed);
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
    CommitInfo info;
    info.sha = sha;
    info.who = author != nullptr && author->name != nullptr ? author->name : "unknown";
    info.when = author != nullptr ? FormatRfc3339(TimePoint(std::chrono::seconds(author->when.time))) : std::string();
    const std::size_t deltas = git_diff_num_deltas(diff.get());
    bool any_item = false;
    for (std::size_t d = 0; d < deltas; ++d) {
      const git_diff_delta* delta = git_diff_get_delta(diff.get(), d);
      if (delta->status != GIT_DELTA_ADDED && delta->status != GIT_DELTA_MODIFIED &&
          delta->status != GIT_DELTA_RENAMED && delta->status != GIT_DELTA_COPIED)
        continue;
      if (delta->new_file.mode != GIT_FILEMODE_BLOB && delta->new_file.mode != GIT_FILEMODE_BLOB_EXECUTABLE) continue;
      if (!seen_blobs.insert(delta->new_file.id).second) continue;
      items.push_back(Item{delta->new_file.id, delta->new_file.path != nullptr ? delta->new_file.path : "",
                           commits.size()});
      any_item = true;
    }
    if (any_item) commits.push_back(std::move(info));
  }

  // Phase 2, all cores: read and scan the blobs. Each worker has its own
  // repository handle; results are kept per item, so the output does not
  // depend on scheduling.
  std::vector<ScanResult> per_item(items.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    git_repository* raw = nullptr;
    if (git_repository_open_ext(&raw, repo_path.c_str(), 0, nullptr) != 0) return;
    Repo own(raw);
    for (std::size_t i = next++; i < items.size(); i = next++) {
      const Item& it = items[i];
      ScanResult& one = per_item[i];
      const std::string& sha = commits[it.commit].sha;
      git_blob* raw_blob = nullptr;
      if (git_blob_lookup(&raw_blob, own.get(), &it.blob) != 0) {
        one.warnings.push_back(GitError(it.path + " in " + sha + ": skipped"));
        continue;
      }
      Blob blob(raw_blob);
      const auto size = static_cast<std::uint64_t>(git_blob_rawsize(blob.get()));
      if (size > opts.max_file_bytes) {
        one.warnings.push_back(it.path + " in " + sha.substr(0, 12) + ": skipped: larger than " +
                               std::to_string(opts.max_file_bytes) + " bytes");
        continue;
      }
      if (git_blob_is_binary(blob.get())) continue;
      std::string_view data(static_cast<const char*>(git_blob_rawcontent(blob.get())), static_cast<std::size_t>(size));
      ScanBuffer(scanner, data, it.path, opts, one, sha);
    }
  };
  unsigned threads = opts.threads != 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(items.size(), 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  // Phase 3, in history order: the same secret in a later version of a file
  // was introduced earlier, so it is reported once, at the oldest commit.
  std::unordered_set<std::string> seen_secrets;  // fingerprint + path
  for (std::size_t i = 0; i < items.size(); ++i) {
    ScanResult& one = per_item[i];
    const CommitInfo& c = commits[items[i].commit];
    std::erase_if(one.findings, [&](const Finding& f) {
      return !seen_secrets.insert(f.fingerprint + "\n" + f.location.file).second;
    });
    for (auto& f : one.findings) {
      f.location.commit = c.sha;
      f.message += " (introduced in " + c.sha.substr(0, 12) + " by " + c.who + ", " + c.when + ")";
    }
    res.Absorb(std::move(one));
  }
  SortFindings(res.findings);
  return res;
}

}  // namespace tollgate::secrets
