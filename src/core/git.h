// The one libgit2 wrapper: library lifetime, owning handles, error text and
// the few questions several modules ask of a repository.
#pragma once

#include <git2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tollgate::git {

// libgit2's global state, reference counted: hold one for as long as any
// handle below is alive.
class Library {
 public:
  Library() { git_libgit2_init(); }
  ~Library() { git_libgit2_shutdown(); }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using RepoPtr = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using WalkPtr = std::unique_ptr<git_revwalk, Deleter<git_revwalk, git_revwalk_free>>;
using CommitPtr = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using DiffPtr = std::unique_ptr<git_diff, Deleter<git_diff, git_diff_free>>;
using BlobPtr = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;
using ObjectPtr = std::unique_ptr<git_object, Deleter<git_object, git_object_free>>;

// The last libgit2 error message of this thread.
std::string LastError();

// Opens the repository at `path`; with `search`, also one that contains it.
// nullptr when there is none.
RepoPtr Open(const std::string& path, bool search);

struct CommitInfo {
  std::string id;  // 40 hex digits
  std::string author_name;
  std::string author_email;
  std::int64_t author_time = 0;  // seconds since the epoch
};

// HEAD of the repository containing `path`, if there is one with a commit.
std::optional<CommitInfo> Head(const std::string& path);

// Where a working tree is: its checked-out branch (empty when detached) and
// the URL of its "origin" remote (empty when none).
struct WorkTree {
  std::string branch;
  std::string origin_url;
};
// The branch and remote.origin.url (without credentials) of the work tree holding path.
std::optional<WorkTree> Where(const std::string& path);
// url with any user:password@ in a scheme://authority removed.
std::string WithoutCredentials(std::string_view url);

// Hex id of an object id.
std::string OidHex(const git_oid& oid);

}  // namespace tollgate::git
