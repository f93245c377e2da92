// The one tree walker (core/walk.h) and JSONC (core/jsonc.h).
#include "core/walk.h"

#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/canonical_json.h"
#include "core/jsonc.h"
#include "support/temp_dir.h"

namespace tollgate::walk {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tollgate::testing::TempDir;

struct Walked {
  std::vector<std::string> files;  // rel paths
  std::vector<Problem> problems;
};

Walked WalkAll(const std::string& root, const Options& opts = {}) {
  Walked w;
  auto s = Walk({root}, opts, [&](const Entry& e) { w.files.push_back(e.rel); },
                [&](Problem p) { w.problems.push_back(std::move(p)); });
  EXPECT_TRUE(s.has_value()) << s.error().message();
  return w;
}

const Problem* FindProblem(const Walked& w, const std::string& cause) {
  for (const auto& p : w.problems)
    if (p.cause == cause) return &p;
  return nullptr;
}

TEST(Walk, SortedDepthFirstSkippingGit) {
  TempDir d;
  d.Write("b.txt", "b");
  d.Write("a/z.txt", "z");
  d.Write("a/c/d.txt", "d");
  d.Write("a.txt", "a");
  d.Write(".git/config", "[core]");
  auto w = WalkAll(d.path().string());
  EXPECT_THAT(w.files, ElementsAre("a/c/d.txt", "a/z.txt", "a.txt", "b.txt"));
  EXPECT_TRUE(w.problems.empty());
}

TEST(Walk, FifoIsAProblemAndNeverOpened) {
  TempDir d;
  d.Write("main.tf", "x");
  ASSERT_EQ(::mkfifo((d / "pipe.tf").c_str(), 0644), 0);
  ASSERT_EQ(::mkfifo((d / "other.txt").c_str(), 0644), 0);
  Options o;
  o.want = [](std::string_view name, std::string_view) { return name.size() > 3 && name.substr(name.size() - 3) == ".tf"; };
  auto w = WalkAll(d.path().string(), o);
  EXPECT_THAT(w.files, ElementsAre("main.tf"));
  ASSERT_EQ(w.problems.size(), 1u);  // other.txt is not wanted: not this scanner's business
  EXPECT_EQ(w.problems[0].kind, ProblemKind::kIncomplete);
  EXPECT_EQ(w.problems[0].cause, "special-file");
  EXPECT_THAT(w.problems[0].path, HasSubstr("pipe.tf"));
  EXPECT_THAT(w.problems[0].reason, HasSubstr("FIFO"));
}

TEST(Walk, SymlinkLoopIsIncompleteDanglingLinkANote) {
  TempDir d;
  d.Write("real/main.tf", "x");
  fs::create_symlink("loop", d.path() / "loop");
  fs::create_symlink("b", d.path() / "a");
  fs::create_symlink("a", d.path() / "b");
  fs::create_symlink("missing.tf", d.path() / "dangling.tf");
  fs::create_directory_symlink("real", d.path() / "alias");  // inside the tree: walked as real/
  auto w = WalkAll(d.path().string());
  EXPECT_THAT(w.files, ElementsAre("real/main.tf"));
  std::vector<std::string> loops;
  for (const auto& p : w.problems)
    if (p.cause == "symlink-loop") loops.push_back(p.repo_path);
  EXPECT_EQ(loops.size(), 3u);  // a, b, loop
  const Problem* dangling = FindProblem(w, "broken-symlink");
  ASSERT_NE(dangling, nullptr);
  EXPECT_EQ(dangling->kind, ProblemKind::kNote);
}

// A scanner that reads files by name (here: lockfiles) never follows a
// link, so a wanted name whose content would not be read elsewhere is a gap
// it must not pass over: a link out of the tree (a monorepo's shared
// lockfile), or to a file in the tree under a name that is not read. A link
// to a wanted file in the tree is read there; unwanted names are not its
// business.
TEST(Walk, WantedLinkWhoseTargetIsNotReadIsIncomplete) {
  TempDir outside;
  outside.Write("package-lock.json", "{}");
  TempDir d;
  d.Write("svc/locks/npm.json", "{}");
  d.Write("svc/real/yarn.lock", "");
  fs::create_symlink(outside.path() / "package-lock.json", d.path() / "svc/package-lock.json");
  fs::create_symlink("locks/npm.json", d.path() / "svc/npm-shrinkwrap.json");
  fs::create_symlink("real/yarn.lock", d.path() / "svc/yarn.lock");
  fs::create_symlink("locks/npm.json", d.path() / "svc/notes.txt");
  Options o;
  o.want = [](std::string_view name, std::string_view) {
    return name == "package-lock.json" || name == "npm-shrinkwrap.json" || name == "yarn.lock";
  };
  auto w = WalkAll(d / "svc", o);
  EXPECT_THAT(w.files, ElementsAre("real/yarn.lock"));
  std::vector<std::string> links;
  for (const auto& p : w.problems) {
    EXPECT_EQ(p.kind, ProblemKind::kIncomplete) << p.Text();
    EXPECT_EQ(p.cause, "symlink") << p.Text();
    links.push_back(fs::path(p.path).filename().string() + ": " + p.reason);
  }
  EXPECT_THAT(links, ElementsAre(HasSubstr("npm-shrinkwrap.json: not read: a symbolic link to locks/npm.json"),
                                 HasSubstr("package-lock.json: not read: a symbolic link to /")));
  EXPECT_THAT(links[1], HasSubstr("outside the scanned tree"));

  // A scanner that reads every file (secrets) is not affected: targets in
  // the tree are read on their own.
  EXPECT_TRUE(WalkAll(d / "svc").problems.empty());
}

TEST(Walk, OversizedFileIsIncomplete) {
  TempDir d;
  d.Write("small", "12345");
  d.Write("big", std::string(100, 'x'));
  Options o;
  o.max_file_bytes = 50;
  auto w = WalkAll(d.path().string(), o);
  EXPECT_THAT(w.files, ElementsAre("small"));
  const Problem* p = FindProblem(w, "too-large");
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->reason, HasSubstr("100 bytes"));
}

TEST(Walk, ExcludedFifoIsNotTouched) {
  TempDir d;
  d.Write("keep.yaml", "a: 1");
  d.Write("vendor/lib/x.yaml", "a: 1");
  ASSERT_EQ(::mkfifo((d / "vendor/pipe.yaml").c_str(), 0644), 0);
  ASSERT_EQ(::mkfifo((d / "blocked.yaml").c_str(), 0644), 0);
  Options o;
  o.exclude = {"vendor/**", "blocked.yaml"};
  Stats st;
  Walked w;
  ASSERT_TRUE(Walk({d.path().string()}, o, [&](const Entry& e) { w.files.push_back(e.rel); },
                   [&](Problem p) { w.problems.push_back(std::move(p)); }, &st));
  EXPECT_THAT(w.files, ElementsAre("keep.yaml"));
  EXPECT_TRUE(w.problems.empty());
  EXPECT_EQ(st.excluded, 2u);  // the vendor directory (not entered) and blocked.yaml
}

TEST(Walk, ExcludeGlobs) {
  EXPECT_TRUE(Excluded({"*.min.js"}, "web/static/app.min.js", false));
  EXPECT_FALSE(Excluded({"*.min.js"}, "web/static/app.js", false));
  EXPECT_TRUE(Excluded({"vendor/**"}, "vendor", true));
  EXPECT_TRUE(Excluded({"vendor/**"}, "vendor/a/b.go", false));
  EXPECT_FALSE(Excluded({"vendor/**"}, "src/vendor/a.go", false));
  EXPECT_TRUE(Excluded({"**/testdata/**"}, "pkg/x/testdata", true));
  EXPECT_TRUE(Excluded({"**/testdata/**"}, "testdata/a.json", false));
  EXPECT_TRUE(Excluded({"charts/*/templates/**"}, "charts/app/templates/deploy.yaml", false));
  EXPECT_FALSE(Excluded({"charts/*/templates/**"}, "charts/app/values.yaml", false));
  EXPECT_TRUE(Excluded({"build/"}, "build", true));
  EXPECT_FALSE(Excluded({"build/"}, "build", false));  // directories only
  EXPECT_TRUE(Excluded({"./docs/*.md"}, "docs/a.md", false));
  EXPECT_FALSE(Excluded({"docs/*.md"}, "docs/sub/a.md", false));  // * stays in one segment
  EXPECT_TRUE(Excluded({"docs/**/*.md"}, "docs/sub/a.md", false));
  EXPECT_TRUE(Excluded({"secret?.env"}, "secret1.env", false));
}

// A git repository made with libgit2, holding .gitignore.
void InitRepo(const fs::path& dir) {
  git_libgit2_init();
  git_repository* repo = nullptr;
  ASSERT_EQ(git_repository_init(&repo, dir.c_str(), 0), 0);
  git_repository_free(repo);
  git_libgit2_shutdown();
}

TEST(Walk, GitignoreIsHonouredUnlessTheRootIsIgnored) {
  TempDir d;
  InitRepo(d.path());
  d.Write(".gitignore", "dist/\n*.log\n");
  d.Write("app.py", "x");
  d.Write("debug.log", "x");
  d.Write("dist/bundle.js", "x");
  ASSERT_EQ(::mkfifo((d / "dist/pipe").c_str(), 0644), 0);  // ignored directory: never entered
  auto w = WalkAll(d.path().string());
  EXPECT_THAT(w.files, ElementsAre(".gitignore", "app.py"));
  EXPECT_TRUE(w.problems.empty());
  Options all;
  all.gitignore = false;
  EXPECT_EQ(WalkAll(d.path().string(), all).files.size(), 4u);
  EXPECT_EQ(WalkAll(d.path().string(), all).problems.size(), 1u);  // the FIFO
  // Naming an ignored directory scans it: the user asked for it.
  auto named = WalkAll((d.path() / "dist").string());
  EXPECT_THAT(named.files, ElementsAre("bundle.js"));
}

TEST(Walk, RepoPathsAreTheSameForEverySpelling) {
  TempDir d;
  InitRepo(d.path());
  d.Write("examples/infra/main.tf", "x");
  const fs::path old = fs::current_path();
  std::set<std::string> seen;
  auto collect = [&](const std::string& root) {
    std::vector<std::string> repo;
    EXPECT_TRUE(Walk({root}, {}, [&](const Entry& e) { repo.push_back(e.repo_path); }, [](Problem) {}));
    ASSERT_EQ(repo.size(), 1u) << root;
    seen.insert(repo[0]);
  };
  fs::current_path(d.path());
  collect("examples");
  collect("./examples");
  collect("examples/");
  collect("examples/./infra/../infra/main.tf");
  collect(".");
  collect((d.path() / "examples").string());
  fs::current_path(d.path() / "examples/infra");
  collect(".");
  collect("..");
  collect("main.tf");
  fs::current_path(old);
  EXPECT_THAT(seen, ElementsAre("examples/infra/main.tf"));
}

TEST(Walk, RepoPathsWithoutGitAnchorAtTollgateYaml) {
  TempDir d;
  d.Write("svc/tollgate.yaml", "version: 1\n");
  d.Write("svc/k8s/app.yaml", "x");
  RepoPaths a((d.path() / "svc/k8s").string());
  EXPECT_EQ(a.anchor(), (d.path() / "svc").string());
  EXPECT_EQ(a.Of((d.path() / "svc/k8s/app.yaml").string()), "k8s/app.yaml");
}

TEST(Walk, ParallelSeesEveryFileOnce) {
  TempDir d;
  for (int i = 0; i < 300; ++i) d.Write("d" + std::to_string(i % 7) + "/f" + std::to_string(i), "x");
  std::mutex mu;
  std::multiset<std::string> seen;
  std::atomic<unsigned> max_worker{0};
  auto s = WalkParallel({d.path().string()}, {}, 3,
                        [&](const Entry& e, unsigned worker) {
                          std::lock_guard<std::mutex> lock(mu);
                          seen.insert(e.rel);
                          if (worker > max_worker) max_worker = worker;
                        },
                        [](Problem) {});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 300u);
  EXPECT_LT(max_worker.load(), 3u);
}

TEST(Walk, RootErrors) {
  TempDir d;
  auto s = Walk({(d.path() / "nope").string()}, {}, [](const Entry&) {}, [](Problem) {});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kNotFound);
  fs::create_symlink("self", d.path() / "self");
  s = Walk({(d.path() / "self").string()}, {}, [](const Entry&) {}, [](Problem) {});
  ASSERT_FALSE(s.has_value());
  EXPECT_THAT(s.error().message(), HasSubstr("symbolic link loop"));
}

TEST(Walk, ReadFileNeverBlocksOnAFifoSwappedIn) {
  TempDir d;
  ASSERT_EQ(::mkfifo((d / "swapped").c_str(), 0644), 0);
  Entry e{d / "swapped", "swapped", "swapped", 0, false};
  std::string out;
  auto p = ReadFile(e, 0, out);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->cause, "special-file");
  d.Write("big", std::string(64, 'x'));
  Entry big{d / "big", "big", "big", 0, false};
  p = ReadFile(big, 10, out);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->cause, "too-large");
  EXPECT_FALSE(ReadFile(big, 0, out).has_value());
  EXPECT_EQ(out.size(), 64u);
}

TEST(Walk, ProblemFindingsAreStableAndHigh) {
  Problem a{ProblemKind::kIncomplete, "./x/big.bin", "x/big.bin", 0, "too-large", "not read: 9 bytes"};
  Problem b{ProblemKind::kIncomplete, "/abs/repo/x/big.bin", "x/big.bin", 0, "too-large", "not read: 12 bytes"};
  Finding fa = ProblemFinding(a, "tollgate-secrets"), fb = ProblemFinding(b, "tollgate-secrets");
  EXPECT_EQ(fa.rule_id, "incomplete-scan");
  EXPECT_EQ(fa.severity, Severity::kHigh);
  EXPECT_EQ(fa.fingerprint, fb.fingerprint);  // repository path and cause, not the spelling or the size
  Problem parse = ParseProblem("k8s/a.yaml", "k8s/a.yaml", "k8s/a.yaml:7:3: did not find expected key");
  EXPECT_EQ(parse.line, 7u);
  EXPECT_EQ(parse.reason, "did not find expected key");
  Finding fp = ProblemFinding(parse, "tollgate-iac", Severity::kMedium);
  EXPECT_EQ(fp.rule_id, "parse-error");
  EXPECT_EQ(fp.severity, Severity::kMedium);
  EXPECT_EQ(fp.location.line, 7u);
  EXPECT_EQ(ParseProblem("a.json", "a.json", "a.json: not JSON").reason, "not JSON");
  EXPECT_EQ(ParseProblem("a.json", "a.json", "something else").reason, "something else");
}

TEST(Jsonc, NamesByConvention) {
  EXPECT_TRUE(IsJsoncFile("tsconfig.json"));
  EXPECT_TRUE(IsJsoncFile("packages/web/tsconfig.build.json"));
  EXPECT_TRUE(IsJsoncFile(".vscode/settings.json"));
  EXPECT_TRUE(IsJsoncFile("app/.vscode/launch.json"));
  EXPECT_TRUE(IsJsoncFile(".devcontainer/devcontainer.json"));
  EXPECT_TRUE(IsJsoncFile("x.jsonc"));
  EXPECT_FALSE(IsJsoncFile("package.json"));
  EXPECT_FALSE(IsJsoncFile("vscode/settings.json"));
}

TEST(Jsonc, CommentsAndTrailingCommasKeepPositions) {
  const std::string in =
      "{\n"
      "  // compiler options\n"
      "  \"compilerOptions\": {\n"
      "    \"strict\": true, /* keep */\n"
      "    \"paths\": {\"@/*\": [\"src/*\",],},\n"
      "    \"url\": \"http://example.test//x\",\n"
      "  },\n"
      "}\n";
  std::string out = JsoncToJson(in);
  EXPECT_EQ(out.size(), in.size());
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), std::count(in.begin(), in.end(), '\n'));
  auto j = ParseJson(out, "tsconfig.json");
  ASSERT_TRUE(j.has_value()) << j.error().message();
  EXPECT_EQ((*j)["compilerOptions"]["url"], "http://example.test//x");
  EXPECT_EQ((*j)["compilerOptions"]["paths"]["@/*"][0], "src/*");
  // An error after a comment is still reported on its real line.
  auto bad = ParseJson(JsoncToJson("{\n// c\n\"a\": [1 2]\n}"), "x.json");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message(), HasSubstr("x.json:3"));
}

}  // namespace
}  // namespace tollgate::walk
