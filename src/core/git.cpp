#include "core/git.h"

namespace tollgate::git {

std::string LastError() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

RepoPtr Open(const std::string& path, bool search) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, path.c_str(), search ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
    return nullptr;
  return RepoPtr(raw);
}

std::string OidHex(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

std::optional<CommitInfo> Head(const std::string& path) {
  Library lib;
  RepoPtr repo = Open(path, true);
  if (!repo) return std::nullopt;
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repo.get(), "HEAD") != 0) return std::nullopt;
  ObjectPtr obj(raw);
  if (git_object_type(obj.get()) != GIT_OBJECT_COMMIT) return std::nullopt;
  auto* commit = reinterpret_cast<git_commit*>(obj.get());
  CommitInfo info;
  info.id = OidHex(*git_commit_id(commit));
  if (const git_signature* sig = git_commit_author(commit); sig != nullptr) {
    info.author_name = sig->name ? sig->name : "";
    info.author_email = sig->email ? sig->email : "";
    info.author_time = static_cast<std::int64_t>(sig->when.time);
  }
  return info;
}

std::optional<WorkTree> Where(const std::string& path) {
  Library lib;
  RepoPtr repo = Open(path, true);
  if (!repo) return std::nullopt;
  WorkTree w;
  git_reference* head = nullptr;
  if (git_repository_head(&head, repo.get()) == 0) {
    if (git_reference_is_branch(head)) w.branch = git_reference_shorthand(head);
    git_reference_free(head);
  }
  git_remote* remote = nullptr;
  if (git_remote_lookup(&remote, repo.get(), "origin") == 0) {
    if (const char* url = git_remote_url(remote); url != nullptr) w.origin_url = url;
    git_remote_free(remote);
  }
  return w;
}

}  // namespace tollgate::git
