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
  // remote.origin.url as configured, read from a config snapshot. git_remote_lookup would
  // also apply url.*.insteadOf, but libgit2 1.5 (Debian 12) leaks a PCRE2 match block for
  // every config entry that its insteadOf pattern does not match.
  git_config* config = nullptr;
  if (git_repository_config_snapshot(&config, repo.get()) == 0) {
    const char* url = nullptr;
    if (git_config_get_string(&url, config, "remote.origin.url") == 0 && url != nullptr)
      w.origin_url = WithoutCredentials(url);
    git_config_free(config);
  }
  return w;
}

std::string WithoutCredentials(std::string_view url) {
  // scheme://[userinfo@]host/...: a CI checkout's origin often carries a token as the userinfo
  // (https://gitlab-ci-token:TOKEN@host/...). Only the host and path are evidence.
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);  // scp-like user@host:path has no secret
  const auto authority = scheme + 3;
  const auto end = url.find_first_of("/?#", authority);
  const auto at = url.substr(authority, end == std::string_view::npos ? url.npos : end - authority).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, authority)) + std::string(url.substr(authority + at + 1));
}

}  // namespace tollgate::git
