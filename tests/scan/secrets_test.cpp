// The secrets engine: rule loading, confirmation filters, multi-part rules,
// redaction, fingerprints, file walking, and every built-in rule's examples.
#include "scan/secrets/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace tollgate::secrets {
namespace {

namespace fs = std::filesystem;

const char* kRules = R"toml(
[[rule]]
id = "aws-access-key-id"
description = "AWS access key ID"
provider = "aws"
severity = "critical"
regex = '''\b((?:AKIA|ASIA)[A-Z2-7]{16})\b'''
secret_group = 1
keywords = ["akia", "asia"]
entropy = 3.0
[rule.allowlist]
stopwords = ["example"]

[[rule]]
id = "aws-secret-access-key"
description = "AWS secret access key"
regex = '''(?i)aws_?secret_?access_?key\s*[=:]\s*["']?([A-Za-z0-9/+]{40})'''
secret_group = 1
keywords = ["secret"]
[rule.requires]
rule = "aws-access-key-id"
within_lines = 3

[[rule]]
id = "generic-password"
description = "Password assignment"
severity = "medium"
regex = '''(?i)password\s*=\s*"([^"\s]{8,64})"'''
secret_group = 1
keywords = ["password"]
entropy = 3.5
[rule.allowlist]
regexes = ['''^\$\{''']
paths = ['''(^|/)fixtures/''']
)toml";

Scanner MakeScanner(std::string_view toml = kRules) {
  auto rules = ParseRules(toml, "test.toml");
  EXPECT_TRUE(rules.has_value()) << rules.error().message();
  auto s = Scanner::Compile(std::move(*rules));
  EXPECT_TRUE(s.has_value()) << s.error().message();
  return std::move(*s);
}

std::vector<std::string> Ids(const Scanner& s, std::string_view text, std::string_view path = "x.txt",
                             std::string_view commit = {}) {
  std::vector<std::string> out;
  for (const Match& m : s.Scan(text, path, commit)) out.push_back(s.rules()[m.rule].id);
  return out;
}

// The rule ids of the findings reported (one per secret, the most specific
// rule's; the engine's Scan lists every rule that matched).
std::vector<std::string> Reported(const Scanner& s, std::string_view text) {
  ScanResult res;
  ScanBuffer(s, text, "x.txt", ScanOptions{}, res);
  std::vector<std::string> out;
  for (const auto& f : res.findings) out.push_back(f.rule_id);
  return out;
}

TEST(SecretsEngine, FindsAndLocatesSecrets) {
  Scanner s = MakeScanner();
  std::string text = "line one\n  key = \"AKIAQX7TWDN3RH5KLMPZ\"\n";
  auto m = s.Scan(text, "a.py");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(text.substr(m[0].begin, m[0].end - m[0].begin), "AKIAQX7TWDN3RH5KLMPZ");
  EXPECT_EQ(m[0].line, 2u);
  EXPECT_EQ(m[0].column, 10u);
}

// RE2 confirms in a window around each hit with the whole buffer as
// context: a secret deep inside a very long line is found at its column,
// a word boundary sees the byte before the window, and ^ is the start of
// the input (as in gitleaks), not of a window.
TEST(SecretsEngine, WindowsSeeTheirContextOnLongLines) {
  Scanner s = MakeScanner();
  std::string line(1 << 20, 'q');
  line.replace(700000, 1, " ");
  line.insert(700001, "AKIAQX7TWDN3RH5KLMPZ ");
  auto m = s.Scan(line + "\n", "min.js");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].line, 1u);
  EXPECT_EQ(m[0].column, 700002u);
  // glued to a longer word on the left: \b fails however far back it starts
  std::string glued(1 << 20, 'q');
  glued.insert(700000, "AKIAQX7TWDN3RH5KLMPZ ");
  EXPECT_TRUE(s.Scan(glued, "min.js").empty());

  Scanner first = MakeScanner(R"toml(
[[rule]]
id = "first-line-token"
description = "token on the first line only"
regex = '''^tok_([A-Za-z0-9]{20})'''
secret_group = 1
keywords = ["tok_"]
)toml");
  EXPECT_EQ(first.Scan("tok_Q7x2Lm9Vb4Nc8Rt1Kp5W\n", "a").size(), 1u);
  EXPECT_TRUE(first.Scan("header\ntok_Q7x2Lm9Vb4Nc8Rt1Kp5W\n", "a").empty());
}

TEST(SecretsEngine, EntropyStopwordsAndAllowlists) {
  Scanner s = MakeScanner();
  EXPECT_TRUE(Ids(s, "AKIAAAAAAAAAAAAAAAAA").empty()) << "low entropy";
  EXPECT_TRUE(Ids(s, "AKIAIOSFODNN7EXAMPLE").empty()) << "stopword";
  EXPECT_EQ(Ids(s, "password = \"Xk9#mQ2v!Lp7zR4t\""), std::vector<std::string>{"generic-password"});
  EXPECT_TRUE(Ids(s, "password = \"changeme\"").empty()) << "low entropy";
  EXPECT_TRUE(Ids(s, "password = \"${DB_PASSWORD_FROM_ENV}\"").empty()) << "allowlist regex";
  EXPECT_TRUE(Ids(s, "password = \"Xk9#mQ2v!Lp7zR4t\"", "test/fixtures/db.env").empty()) << "path allowlist";
}

TEST(SecretsEngine, MultiPartRuleNeedsCompanionNearby) {
  Scanner s = MakeScanner();
  const std::string secret = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Xk2Lp9T";
  EXPECT_TRUE(Ids(s, secret).empty());
  auto both = Ids(s, "aws_access_key_id = AKIAQX7TWDN3RH5KLMPZ\n" + secret + "\n");
  EXPECT_EQ(both, (std::vector<std::string>{"aws-access-key-id", "aws-secret-access-key"}));
  auto far = Ids(s, "aws_access_key_id = AKIAQX7TWDN3RH5KLMPZ\n\n\n\n\n\n" + secret + "\n");
  EXPECT_EQ(far, std::vector<std::string>{"aws-access-key-id"});
}

TEST(SecretsEngine, FindingsAreRedactedAndBoundToTheSecret) {
  Scanner s = MakeScanner();
  std::string a = "k = \"AKIAQX7TWDN3RH5KLMPZ\"\n";
  std::string moved = "\n\n\n   k = \"AKIAQX7TWDN3RH5KLMPZ\"\n";
  std::string other = "k = \"AKIAQX7TWDN3RH5KLMPA\"\n";
  ScanOptions opts;
  auto fa = ToFindings(s, a, "a.js", s.Scan(a, "a.js"), opts);
  auto fm = ToFindings(s, moved, "a.js", s.Scan(moved, "a.js"), opts);
  auto fo = ToFindings(s, other, "a.js", s.Scan(other, "a.js"), opts);
  ASSERT_EQ(fa.size(), 1u);
  ASSERT_EQ(fm.size(), 1u);
  ASSERT_EQ(fo.size(), 1u);
  EXPECT_EQ(fa[0].fingerprint, fm[0].fingerprint) << "a moved line keeps its fingerprint";
  EXPECT_NE(fa[0].fingerprint, fo[0].fingerprint) << "a different secret is a different finding";
  EXPECT_EQ(fa[0].message.find("QX7TWDN3RH5KLM"), std::string::npos) << fa[0].message;
  opts.redact = false;
  auto full = ToFindings(s, a, "a.js", s.Scan(a, "a.js"), opts);
  EXPECT_NE(full[0].message.find("AKIAQX7TWDN3RH5KLMPZ"), std::string::npos);
  EXPECT_EQ(Redact("short"), "sh... (5 chars)");
}

TEST(SecretsEngine, EntropyOfKnownStrings) {
  EXPECT_DOUBLE_EQ(ShannonEntropy(""), 0.0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("abcd"), 2.0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("aabb"), 1.0);
}

struct BadRule {
  const char* toml;
  const char* expect;
};

TEST(SecretsRules, BadRuleFilesNameFileLineAndRule) {
  const BadRule cases[] = {
      {"[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = '''(a'''\n", "rule 'r1': invalid regex"},
      {"[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = \n", "bad.toml:4:"},
      {"[[rule]]\nid = \"r1\"\nregex = \"a\"\n", "rule 'r1': 'description' is required"},
      {"[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = \"a\"\nseverity = \"dire\"\n", "bad.toml:5:"},
      {"[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = \"a\"\ncolour = 1\n", "unknown key 'colour'"},
      {"[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = \"(a)\"\nsecret_group = 3\n", "secret_group 3"},
      {"[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = \"a\"\n[rule.requires]\nrule = \"nope\"\n", "unknown rule 'nope'"},
      {"[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = \"a\"\n[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = \"b\"\n",
       "duplicate rule id"},
  };
  for (const auto& c : cases) {
    auto rules = ParseRules(c.toml, "bad.toml");
    std::string msg;
    if (!rules) {
      msg = rules.error().message();
    } else {
      auto s = Scanner::Compile(std::move(*rules));
      ASSERT_FALSE(s.has_value()) << c.toml;
      msg = s.error().message();
    }
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind("bad.toml", 0), 0u) << msg;
  }
}

// What the scanner could not read completely is a problem with the path and
// why (issue 14 items 6 and 11), never a skip without a trace or a hang.
TEST(SecretsWalk, WhatCannotBeReadIsAProblem) {
  fs::path dir = fs::temp_directory_path() / ("tg_secrets_problems_" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "sub/big.env") << std::string(2000, 'x') << "\nk = \"AKIAQX7TWDN3RH5KLMPZ\"\n";
  std::ofstream(dir / "ok.env") << "k = \"AKIAQX7TWDN3RH5KLMPA\"\n";
  ASSERT_EQ(::mkfifo((dir / "sub/pipe").c_str(), 0644), 0);
  fs::create_symlink("loop", dir / "loop");
  Scanner s = MakeScanner();
  ScanOptions opts;
  opts.max_file_bytes = 1000;
  auto res = ScanPaths(s, {dir.string()}, opts);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->findings.size(), 1u);
  std::set<std::string> causes;
  for (const auto& p : res->problems) {
    causes.insert(p.cause + " " + fs::path(p.path).filename().string());
    EXPECT_EQ(p.kind, walk::ProblemKind::kIncomplete);
  }
  EXPECT_EQ(causes, (std::set<std::string>{"too-large big.env", "special-file pipe", "symlink-loop loop"}));
  // An excluded path is never opened.
  opts.exclude = {"sub/**", "loop"};
  res = ScanPaths(s, {dir.string()}, opts);
  ASSERT_TRUE(res.has_value());
  EXPECT_TRUE(res->problems.empty());
  fs::remove_all(dir);
}

// One secret found by two rules is one finding: the more specific rule's,
// the other listed in details.also_matched (issue 13 section 4).
TEST(SecretsScan, OneSecretTwoRulesIsOneFinding) {
  std::vector<Rule> rules(2);
  rules[0].id = "generic-token";
  rules[0].provider = "generic";
  rules[0].severity = Severity::kMedium;
  rules[0].regex = R"re(token\s*=\s*"([a-z0-9_]{20,})")re";
  rules[0].secret_group = 1;
  rules[1].id = "acme-token";
  rules[1].provider = "acme";
  rules[1].severity = Severity::kHigh;
  rules[1].regex = R"re((acme_[a-z0-9]{16}))re";
  rules[1].secret_group = 1;
  auto s = Scanner::Compile(rules);
  ASSERT_TRUE(s.has_value()) << s.error().message();
  ScanResult res;
  ScanBuffer(*s, "token = \"acme_0123456789abcdef\"\n", "a.env", ScanOptions{}, res);
  ASSERT_EQ(res.findings.size(), 1u);
  EXPECT_EQ(res.findings[0].rule_id, "acme-token");
  EXPECT_EQ(res.findings[0].details["also_matched"], Json::array({"generic-token"}));
}

TEST(SecretsWalk, SkipsBinariesGitAndBrokenLinks) {
  fs::path dir = fs::temp_directory_path() / ("tollgate-secrets-" + std::to_string(getpid()));
  fs::create_directories(dir / ".git");
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src/a.js") << "k = \"AKIAQX7TWDN3RH5KLMPZ\"\n";
  std::ofstream(dir / ".git/config") << "k = \"AKIAQX7TWDN3RH5KLMPB\"\n";
  {
    std::ofstream bin(dir / "blob.bin", std::ios::binary);
    bin << std::string("\0\0\0", 3) << "AKIAQX7TWDN3RH5KLMPC";
  }
  fs::create_symlink(dir / "missing", dir / "dangling");
  Scanner s = MakeScanner();
  auto res = ScanPaths(s, {dir.string()}, ScanOptions{});
  ASSERT_TRUE(res.has_value());
  ASSERT_EQ(res->findings.size(), 1u);
  EXPECT_NE(res->findings[0].location.file.find("src/a.js"), std::string::npos);
  ASSERT_EQ(res->warnings.size(), 1u);
  EXPECT_NE(res->warnings[0].find("broken symlink"), std::string::npos);
  EXPECT_FALSE(ScanPaths(s, {(dir / "nope").string()}, ScanOptions{}).has_value());
  fs::remove_all(dir);
}

// Every built-in rule flags each of its examples and none of its negative
// examples (the rule's own data, not the held-out corpus).
TEST(SecretsBuiltin, EveryRuleMatchesItsExamples) {
  auto rules = BuiltinRules();
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  if (rules->empty()) GTEST_SKIP() << "no built-in rules yet";
  std::vector<Rule> copy = *rules;
  auto s = Scanner::Compile(std::move(copy));
  ASSERT_TRUE(s.has_value()) << s.error().message();
  for (std::size_t i = 0; i < s->rules().size(); ++i) {
    const Rule& r = s->rules()[i];
    EXPECT_FALSE(r.examples.empty()) << r.id << " has no example";
    EXPECT_FALSE(r.negative_examples.empty()) << r.id << " has no negative example";
    // A generic rule's match that a provider rule also made is reported by
    // the provider rule (the engine drops the generic overlap): that counts.
    const bool generic = r.provider == "generic";
    auto fires = [&](const std::string& text) {
      for (const Match& m : s->Scan(text, "example.txt"))
        if (m.rule == i || (generic && s->rules()[m.rule].provider != "generic")) return true;
      return false;
    };
    for (const auto& ex : r.examples) EXPECT_TRUE(fires(ex)) << r.origin << " " << r.id << " misses: " << ex;
    for (const auto& ex : r.negative_examples) EXPECT_FALSE(fires(ex)) << r.origin << " " << r.id << " flags: " << ex;
  }
}

}  // namespace
}  // namespace tollgate::secrets

namespace tollgate::secrets {
namespace {

TEST(SecretsSuppression, InlineAllowBindsToTheSecretAndStaleOnesAreListed) {
  Scanner s = MakeScanner();
  std::string text = "k = \"AKIAQX7TWDN3RH5KLMPZ\"\n";
  ScanResult first;
  ScanBuffer(s, text, "a.js", ScanOptions{}, first);
  ASSERT_EQ(first.findings.size(), 1u);
  std::string prefix = first.findings[0].fingerprint.substr(0, 16);

  ScanResult allowed;
  ScanBuffer(s, "\n\nk = \"AKIAQX7TWDN3RH5KLMPZ\"  # tollgate:allow:" + prefix + "\n", "a.js", ScanOptions{}, allowed);
  EXPECT_TRUE(allowed.findings.empty());
  EXPECT_EQ(allowed.suppressed, 1u);
  EXPECT_TRUE(allowed.stale_suppressions.empty());

  // The same comment on a line with another secret does not hide it, and is stale.
  ScanResult other;
  ScanBuffer(s, "k = \"AKIAQX7TWDN3RH5KLMPA\"  # tollgate:allow:" + prefix + "\n", "a.js", ScanOptions{}, other);
  EXPECT_EQ(other.findings.size(), 1u);
  ASSERT_EQ(other.stale_suppressions.size(), 1u);
  EXPECT_EQ(other.stale_suppressions[0].rfind("a.js:1:", 0), 0u) << other.stale_suppressions[0];
}

TEST(SecretsSuppression, BaselineRoundTripAndStaleEntries) {
  Scanner s = MakeScanner();
  ScanResult res;
  ScanBuffer(s, "k = \"AKIAQX7TWDN3RH5KLMPZ\"\n", "a.js", ScanOptions{}, res);
  std::string path = (fs::temp_directory_path() / ("tollgate-baseline-" + std::to_string(getpid()) + ".json")).string();
  std::ofstream(path) << BaselineJson(res.findings);
  auto b = LoadBaseline(path);
  ASSERT_TRUE(b.has_value()) << b.error().message();
  ASSERT_EQ(b->fingerprints.size(), 1u);

  ScanResult moved;  // the secret moved to another line: still accepted
  ScanBuffer(s, "\n\n\n  k = \"AKIAQX7TWDN3RH5KLMPZ\"\n", "a.js", ScanOptions{}, moved);
  ApplyBaseline(*b, path, moved);
  EXPECT_TRUE(moved.findings.empty());
  EXPECT_TRUE(moved.stale_suppressions.empty());

  ScanResult gone;
  ApplyBaseline(*b, path, gone);
  EXPECT_EQ(gone.stale_suppressions.size(), 1u);

  std::ofstream(path) << "{\"findings\": [ {\"rule\": 1} ]}";
  EXPECT_FALSE(LoadBaseline(path).has_value());
  std::ofstream(path) << "not json";
  EXPECT_FALSE(LoadBaseline(path).has_value());
  fs::remove(path);
}

TEST(SecretsWalk, OutputDoesNotDependOnThreads) {
  fs::path dir = fs::temp_directory_path() / ("tollgate-secrets-mt-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (int i = 0; i < 40; ++i) {
    std::string key = "AKIAQX7TWDN3RH5K" + std::string(1, static_cast<char>('A' + i % 26)) + "M" +
                      std::string(1, static_cast<char>('B' + i % 20)) + "Z";
    std::ofstream(dir / ("f" + std::to_string(i) + ".txt")) << "x\nkey = " << key << "\n";
  }
  Scanner s = MakeScanner();
  ScanOptions one, many;
  one.threads = 1;
  many.threads = 4;
  ScanProgress progress;  // the counters a progress line reads, added to from every worker
  many.progress = &progress;
  auto a = ScanPaths(s, {dir.string()}, one);
  auto b = ScanPaths(s, {dir.string()}, many);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(progress.files.load(), 40u);
  EXPECT_EQ(progress.bytes.load(), b->bytes);
  ASSERT_EQ(a->findings.size(), 40u);
  ASSERT_EQ(b->findings.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(a->findings[i].fingerprint, b->findings[i].fingerprint);
    EXPECT_EQ(a->findings[i].location.file, b->findings[i].location.file);
  }
  EXPECT_EQ(a->files, 40u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::secrets

namespace tollgate::secrets {
namespace {

int Sh(const std::string& cmd) { return std::system(cmd.c_str()); }

TEST(SecretsHistory, AttributesEachSecretToTheCommitThatIntroducedIt) {
  if (Sh("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  fs::path dir = fs::temp_directory_path() / ("tollgate-git-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string g = "cd '" + dir.string() + "' && GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@x.example "
                        "GIT_COMMITTER_NAME=Dev GIT_COMMITTER_EMAIL=dev@x.example git -c init.defaultBranch=main ";
  ASSERT_EQ(Sh(g + "init -q ."), 0);
  std::ofstream(dir / "app.js") << "const k = \"AKIAQX7TWDN3RH5KLMPZ\";\n";
  ASSERT_EQ(Sh(g + "add . && " + g + "commit -qm one"), 0);
  std::ofstream(dir / "app.js") << "// moved\n\nconst k = \"AKIAQX7TWDN3RH5KLMPZ\";\n";
  ASSERT_EQ(Sh(g + "commit -qam two"), 0);
  fs::remove(dir / "app.js");
  std::ofstream(dir / "other.txt") << "clean\n";
  ASSERT_EQ(Sh(g + "add -A . && " + g + "commit -qm three && " + g + "tag base"), 0);
  ASSERT_EQ(Sh(g + "checkout -qb feature"), 0);
  std::ofstream(dir / "cfg.env") << "KEY=AKIAQX7TWDN3RH5KLMPA\n";
  ASSERT_EQ(Sh(g + "add . && " + g + "commit -qm four"), 0);

  Scanner s = MakeScanner();
  auto all = ScanGitHistory(s, dir.string(), GitScanOptions{}, ScanOptions{});
  ASSERT_TRUE(all.has_value()) << all.error().message();
  ASSERT_EQ(all->findings.size(), 2u) << "a secret deleted from the tree is still in history, reported once";
  std::set<std::string> files;
  for (const auto& f : all->findings) {
    files.insert(f.location.file);
    EXPECT_EQ(f.location.commit.size(), 40u);
    EXPECT_NE(f.message.find("by Dev"), std::string::npos) << f.message;
  }
  EXPECT_EQ(files, (std::set<std::string>{"app.js", "cfg.env"}));

  auto since = ScanGitHistory(s, dir.string(), GitScanOptions{"base"}, ScanOptions{});
  ASSERT_TRUE(since.has_value());
  ASSERT_EQ(since->findings.size(), 1u);
  EXPECT_EQ(since->findings[0].location.file, "cfg.env");

  // gitleaks commit allowlists apply to the commit a finding is attributed to.
  std::string cfg_commit;
  for (const auto& f : all->findings)
    if (f.location.file == "cfg.env") cfg_commit = f.location.commit;
  auto by_commit = [&](const std::string& allowlist) {
    auto rules = ParseGitleaksRules(
        "[[rules]]\nid = \"aws\"\nregex = '''\\b(AKIA[A-Z2-7]{16})\\b'''\nsecretGroup = 1\n" + allowlist, "c.toml");
    EXPECT_TRUE(rules.has_value()) << rules.error().message();
    auto sc = Scanner::Compile(std::move(*rules));
    EXPECT_TRUE(sc.has_value());
    auto r = ScanGitHistory(*sc, dir.string(), GitScanOptions{}, ScanOptions{});
    EXPECT_TRUE(r.has_value());
    std::set<std::string> out;
    for (const auto& f : r->findings) out.insert(f.location.file);
    return out;
  };
  EXPECT_EQ(by_commit("[allowlist]\ncommits = [\"" + cfg_commit + "\"]\n"), std::set<std::string>{"app.js"});
  EXPECT_EQ(by_commit("[[allowlists]]\ncondition = \"AND\"\ncommits = [\"" + cfg_commit + "\"]\npaths = ['''^app''']\n"),
            (std::set<std::string>{"app.js", "cfg.env"}))
      << "AND: that commit, but not that path";

  EXPECT_FALSE(ScanGitHistory(s, dir.string(), GitScanOptions{"no-such-rev"}, ScanOptions{}).has_value());
  EXPECT_FALSE(ScanGitHistory(s, fs::temp_directory_path().string(), GitScanOptions{}, ScanOptions{}).has_value());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::secrets

namespace tollgate::secrets {
namespace {

// A gitleaks configuration: rules, allowlists old and new, a path-only rule,
// a global allowlist, and extend/disabledRules.
TEST(SecretsGitleaks, ReadsGitleaksConfigurations) {
  const char* cfg = R"toml(
title = "team config"
[extend]
useDefault = false
disabledRules = ["internal-token-old"]

[[rules]]
id = "internal-token"
description = "Internal API token"
regex = '''\b(itk_[a-z0-9]{24})\b'''
secretGroup = 1
entropy = 3.0
keywords = ["itk_"]
  [rules.allowlist]
  stopwords = ["sample"]

[[rules]]
id = "internal-token-old"
regex = '''\bold_[0-9]{10}\b'''

[[rules]]
id = "pkcs12-file"
description = "PKCS#12 file"
path = '''\.p12$'''

[allowlist]
paths = ['''(^|/)vendor/''']
)toml";
  auto rules = ParseGitleaksRules(cfg, ".gitleaks.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  ASSERT_EQ(rules->size(), 2u);
  auto s = Scanner::Compile(std::move(*rules));
  ASSERT_TRUE(s.has_value()) << s.error().message();
  auto ids = [&](std::string_view text, std::string_view path) {
    std::vector<std::string> out;
    for (const Match& m : s->Scan(text, path)) out.push_back(s->rules()[m.rule].id);
    return out;
  };
  EXPECT_EQ(ids("t = itk_a8f3k2m9q7x1z5c4v6b0n2l8", "src/a.go"), std::vector<std::string>{"internal-token"});
  EXPECT_TRUE(ids("t = itk_a8f3k2m9q7x1z5c4v6b0n2l8", "vendor/x/a.go").empty()) << "global allowlist path";
  EXPECT_TRUE(ids("t = itk_sample9q7x1z5c4v6b0n2l8", "src/a.go").empty()) << "rule stopword";
  EXPECT_TRUE(ids("old_1234567890", "src/a.go").empty()) << "disabled rule";
  EXPECT_EQ(ids("", "certs/client.p12"), std::vector<std::string>{"pkcs12-file"});
  auto f = ToFindings(*s, "", "certs/client.p12", s->Scan("", "certs/client.p12"), ScanOptions{});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].location.line, 0u);

  EXPECT_FALSE(ParseGitleaksRules("[[rules]]\nid = \"x\"\n", "g.toml").has_value()) << "neither regex nor path";
  auto bad = ParseGitleaksRules("[[rules]\nid = 1\n", "g.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message().rfind("g.toml:1:", 0), 0u) << bad.error().message();
}

// gitleaks allowlists beyond the simple form: regexes against the match or
// its line, AND conditions, commit lists, global lists for named rules, and
// composite ([[rules.required]]) rules.
TEST(SecretsGitleaks, AllowlistTargetsConditionsAndComposites) {
  const char* cfg = R"toml(
[[rules]]
id = "internal-token"
regex = '''\b(itk_[a-z0-9]{24})\b'''
secretGroup = 1
keywords = ["itk_"]
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''(?i)\bnotsecret\b''']
  [[rules.allowlists]]
  condition = "AND"
  regexTarget = "match"
  regexes = ['''^itk_0''']
  paths = ['''(^|/)fixtures/''']
  [[rules.allowlists]]
  condition = "and"
  commits = ["4b825dc642cb6eb9a060e54bf8d69288fbee4904"]
  paths = ['''(^|/)legacy/''']

[[rules]]
id = "partner-key"
regex = '''\b(pk_[A-Za-z0-9]{20})\b'''
secretGroup = 1
  [[rules.required]]
  id = "partner-id"
  withinLines = 2

[[rules]]
id = "partner-id"
regex = '''\bpartner_id=(\d{6})\b'''
secretGroup = 1

[[allowlists]]
targetRules = ["partner-key"]
regexTarget = "match"
regexes = ['''^pk_TEST''']

[allowlist]
regexTarget = "line"
regexes = ['''# gitleaks-demo''']
)toml";
  auto rules = ParseGitleaksRules(cfg, ".gitleaks.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  auto s = Scanner::Compile(std::move(*rules));
  ASSERT_TRUE(s.has_value()) << s.error().message();
  using V = std::vector<std::string>;
  const std::string tok = "itk_a8f3k2m9q7x1z5c4v6b0n2l8";
  EXPECT_EQ(Ids(*s, "t = " + tok, "src/a.go"), V{"internal-token"});
  EXPECT_TRUE(Ids(*s, "t = " + tok + "  # NotSecret", "src/a.go").empty()) << "line target";
  EXPECT_EQ(Ids(*s, "# notsecret\nt = " + tok, "src/a.go"), V{"internal-token"}) << "only the match's own line";
  EXPECT_TRUE(Ids(*s, "x = " + tok + " # gitleaks-demo", "src/a.go").empty()) << "global line allowlist";
  const std::string zero = "itk_0a8f3k2m9q7x1z5c4v6b0n2l";
  EXPECT_TRUE(Ids(*s, "t = " + zero, "test/fixtures/a.txt").empty()) << "AND: match regex and path both hold";
  EXPECT_EQ(Ids(*s, "t = " + zero, "src/a.txt"), V{"internal-token"}) << "AND: the path does not hold";
  EXPECT_EQ(Ids(*s, "t = " + tok, "test/fixtures/a.txt"), V{"internal-token"}) << "AND: the regex does not hold";
  EXPECT_EQ(Ids(*s, "t = " + tok, "legacy/a.txt"), V{"internal-token"}) << "AND with commits: a file has no commit";
  EXPECT_TRUE(Ids(*s, "t = " + tok, "legacy/a.txt", "4B825DC642CB6EB9A060E54BF8D69288FBEE4904").empty())
      << "AND with commits: a blob of that commit (history scan)";

  const std::string key = "key = pk_Q7x2Lm9Vb4Nc8Rt1Kp5W";
  EXPECT_TRUE(Ids(*s, key).empty()) << "composite rule without its companion";
  EXPECT_EQ(Ids(*s, key + "\n\npartner_id=204518\n"), (V{"partner-key", "partner-id"}));
  EXPECT_EQ(Ids(*s, key + "\n\n\n\npartner_id=204518\n"), V{"partner-id"}) << "companion too far";
  EXPECT_EQ(Ids(*s, "key = pk_TESTLm9Vb4Nc8Rt1Kp5W\npartner_id=204518\n"), V{"partner-id"})
      << "global allowlist for targetRules only";
}

// With useDefault, a [[rules]] entry that has no detector extends the
// built-in rule of that id; one that extends nothing is an error.
TEST(SecretsGitleaks, RulesWithoutDetectorsExtendBuiltins) {
  auto rules = ParseGitleaksRules(R"toml(
[extend]
useDefault = true
[[rules]]
id = "aws-access-key-id"
  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''ci-fixture''']
)toml", "ext.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  auto s = Scanner::Compile(std::move(*rules));
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(Reported(*s, "aws_access_key_id = AKIABF43KZKYYRGE7YRP\n"), std::vector<std::string>{"aws-access-key-id"});
  // The extended rule is allowed there (a generic rule may still report the value).
  const auto allowed = Ids(*s, "aws_access_key_id = AKIABF43KZKYYRGE7YRP  # ci-fixture\n");
  EXPECT_EQ(std::count(allowed.begin(), allowed.end(), "aws-access-key-id"), 0);

  auto orphan = ParseGitleaksRules("[[rules]]\nid = \"no-such-rule\"\n", "g.toml");
  ASSERT_FALSE(orphan.has_value());
  EXPECT_NE(orphan.error().message().find("g.toml:1:"), std::string::npos) << orphan.error().message();
  for (const char* bad : {"[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\nregexTarget = \"file\"\n",
                          "[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\ncondition = \"XOR\"\n",
                          "[[rules]]\nid = \"a\"\nregex = 'x'\n[[allowlists]]\ntargetRules = [\"b\"]\n",
                          "[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.required]]\nwithinLines = 2\n"}) {
    auto r = ParseGitleaksRules(bad, "g.toml");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().message().rfind("g.toml:", 0), 0u) << r.error().message();
  }
}

// Our own format has the same allowlist targets and conditions.
TEST(SecretsEngine, AllowlistRegexTargetsInOurFormat) {
  Scanner s = MakeScanner(R"toml(
[[rule]]
id = "internal-token"
description = "Internal token"
regex = '''\b(itk_[a-z0-9]{24})\b'''
secret_group = 1
[rule.allowlist]
regex_target = "line"
condition = "AND"
regexes = ['''tollgate-fixture''']
paths = ['''^testdata/''']
)toml");
  const std::string line = "t = itk_a8f3k2m9q7x1z5c4v6b0n2l8  // tollgate-fixture\n";
  EXPECT_TRUE(Ids(s, line, "testdata/a.go").empty());
  EXPECT_EQ(Ids(s, line, "src/a.go"), std::vector<std::string>{"internal-token"});
  auto bad = ParseRules("[[rule]]\nid = \"a\"\ndescription = \"d\"\nregex = 'x'\n[rule.allowlist]\nregex_target = \"file\"\n",
                        "r.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("r.toml:6:"), std::string::npos) << bad.error().message();
}

// A regex Vectorscan cannot compile still runs, through RE2 alone.
TEST(SecretsEngine, RulesVectorscanRejectsFallBackToRe2) {
  auto rules = ParseRules(R"toml(
[[rule]]
id = "unicode-class"
description = "a Unicode property class, which Vectorscan accepts only in UTF-8 mode"
regex = '''tok_(\p{Lu}{3}[a-z0-9]{40})'''
secret_group = 1
)toml", "r.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  auto s = Scanner::Compile(std::move(*rules));
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->Scan("x tok_ABC" + std::string(40, 'a') + " y", "f").size(), 1u);
  EXPECT_TRUE(s->Scan("x tok_abc" + std::string(40, 'a') + " y", "f").empty());
}

}  // namespace
}  // namespace tollgate::secrets

namespace tollgate::secrets {
namespace {

// A secret matched by a provider rule and a generic rule is reported once,
// by the provider rule.
TEST(SecretsEngine, ProviderRuleWinsOverGenericOverlap) {
  auto rules = ParseRules(R"toml(
[[rule]]
id = "stripe"
description = "Stripe key"
provider = "stripe"
regex = '''(sk_live_[A-Za-z0-9]{24,99})'''
secret_group = 1
[[rule]]
id = "generic"
description = "secret assignment"
provider = "generic"
regex = '''(?i)secret\w*\s*=\s*"([^"]{16,})"'''
secret_group = 1
)toml", "r.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  auto s = Scanner::Compile(std::move(*rules));
  ASSERT_TRUE(s.has_value()) << s.error().message();
  // The engine sees both; the scan reports one finding, listing the other rule.
  EXPECT_EQ(s->Scan("STRIPE_SECRET = \"sk_live_51NfQ2vKx8TzR4mWq7YbLp3Hc\"", "a.py").size(), 2u);
  ScanResult m;
  ScanBuffer(*s, "STRIPE_SECRET = \"sk_live_51NfQ2vKx8TzR4mWq7YbLp3Hc\"", "a.py", ScanOptions{}, m);
  ASSERT_EQ(m.findings.size(), 1u);
  EXPECT_EQ(m.findings[0].rule_id, "stripe");
  EXPECT_EQ(m.findings[0].details["also_matched"], Json::array({"generic"}));
  EXPECT_EQ(Reported(*s, "MY_SECRET = \"Xk9mQ2vLp7zR4tWq8YbL\""), std::vector<std::string>{"generic"});
}

}  // namespace
}  // namespace tollgate::secrets

namespace tollgate::secrets {
namespace {

TEST(SecretsWalk, RespectsGitignoreUnlessTheRootItselfIsIgnored) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  fs::path dir = fs::temp_directory_path() / ("tollgate-ignore-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "build" / "out");
  ASSERT_EQ(std::system(("git init -q '" + dir.string() + "'").c_str()), 0);
  std::ofstream(dir / ".gitignore") << "build/\n*.log\n";
  std::ofstream(dir / "a.js") << "k = \"AKIAQX7TWDN3RH5KLMPZ\"\n";
  std::ofstream(dir / "debug.log") << "k = \"AKIAQX7TWDN3RH5KLMPA\"\n";
  std::ofstream(dir / "build" / "out" / "gen.js") << "k = \"AKIAQX7TWDN3RH5KLMPB\"\n";
  Scanner s = MakeScanner();
  auto res = ScanPaths(s, {dir.string()}, ScanOptions{});
  ASSERT_TRUE(res.has_value());
  ASSERT_EQ(res->findings.size(), 1u);
  EXPECT_NE(res->findings[0].location.file.find("a.js"), std::string::npos);
  ScanOptions all;
  all.respect_gitignore = false;
  EXPECT_EQ(ScanPaths(s, {dir.string()}, all)->findings.size(), 3u);
  // Naming an ignored directory scans it.
  EXPECT_EQ(ScanPaths(s, {(dir / "build").string()}, ScanOptions{})->findings.size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::secrets

namespace tollgate::secrets {
namespace {

TEST(SecretsEngine, PrefilterStandsInForTheRegexInVectorscan) {
  auto rules = ParseRules(R"toml(
[[rule]]
id = "named"
description = "token next to a vendor name"
regex = '''(?:^|[^A-Za-z0-9])(?i:acme|globex)[^a-z0-9\n][^\n]{0,20}?[ =:"']([A-Za-z0-9]{20})(?:[^A-Za-z0-9]|$)'''
prefilter = '''(?i:acme|globex)[^a-z0-9\n]'''
secret_group = 1
)toml", "p.toml");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  auto s = Scanner::Compile(std::move(*rules));
  ASSERT_TRUE(s.has_value());
  const std::string text = "x\nGLOBEX_API_KEY = \"Q7w2E9r4T1y6U3i8O5p0\"\nacmeToken: short\nacmes = Q7w2E9r4T1y6U3i8O5p0\n";
  auto m = s->Scan(text, "a.env");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].line, 2u);
  EXPECT_EQ(text.substr(m[0].begin, m[0].end - m[0].begin), "Q7w2E9r4T1y6U3i8O5p0");

  auto bad = ParseRules("[[rule]]\nid = \"p\"\ndescription = \"d\"\npath = 'x'\nprefilter = 'abc'\n", "bad.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("bad.toml:5"), std::string::npos) << bad.error().message();
}

// A word-anchored prefilter (RE2 tries only the starts just before the name
// that ends at each hit) finds exactly what searching the window finds:
// boundaries of one and two bytes, a name at the start of the input, a name
// joined to a credential word, and a second name inside the first match,
// which a search resumes after and so does not report twice. A search goes
// on after the secret, so a trailing boundary that took the newline does not
// hide a match at the start of the next line.
TEST(SecretsEngine, WordAnchoredPrefilterFindsWhatTheWindowSearchFinds) {
  auto compile = [](const std::string& anchor) {
    auto rules = ParseRules(R"toml(
[[rule]]
id = "named"
description = "value of a key setting named after a vendor"
regex = '''(?:^|[^A-Za-z0-9_]|[A-Z]_)(?i:acme|globex)(?:[^A-Za-z0-9\n][^\n,;()]{0,24}?)?(?i:key|secret|token)[A-Za-z_.-]{0,16}?[ \t"'`:=-]{1,5}([A-Za-z0-9][A-Za-z0-9_+=.-]{10,60})(?:[^A-Za-z0-9_+=.-]|$)'''
prefilter = '''(?:^|[^A-Za-z0-9])(?i:acme|globex)[^0-9\n]'''
secret_group = 1
)toml" + anchor, "w.toml");
    EXPECT_TRUE(rules.has_value()) << rules.error().message();
    auto s = Scanner::Compile(std::move(*rules));
    EXPECT_TRUE(s.has_value()) << s.error().message();
    return std::move(*s);
  };
  const Scanner window = compile("");
  const Scanner anchored = compile("prefilter_word_anchor = 2\n");
  const std::string text =
      "acme_key = Q7w2E9r4T1y6U3i8\n"                              // at the start of the input
      "export REACT_APP_GLOBEX_TOKEN=Z3x8C1v6B9n4M2k7\n"            // the two-byte boundary [A-Z]_
      "globexsecret: Hq4Wm8Rt2Yp6Lz0Xc\n"                           // a credential word joined on
      "ACME SECRET acme-9f8e7d6c-5b4a-3f2e-1d0c-acmeTOKENzz9\n"      // a second name inside the match
      "acmes token Kd8Fj3Lq9Zx2Wv5T\n"                               // not the name
      "x acme: nothing to see\n";
  auto spans = [&](const Scanner& s) {
    std::vector<std::string> out;
    for (const Match& m : s.Scan(text, "a.txt")) out.push_back(text.substr(m.begin, m.end - m.begin));
    return out;
  };
  const auto expected = spans(window);
  EXPECT_EQ(expected, (std::vector<std::string>{"Q7w2E9r4T1y6U3i8", "Z3x8C1v6B9n4M2k7", "Hq4Wm8Rt2Yp6Lz0Xc",
                                                "acme-9f8e7d6c-5b4a-3f2e-1d0c-acmeTOKENzz9"}));
  EXPECT_EQ(spans(anchored), expected);

  for (const char* bad : {"[[rule]]\nid = \"a\"\ndescription = \"d\"\nregex = 'x'\nprefilter_word_anchor = 2\n",
                          "[[rule]]\nid = \"a\"\ndescription = \"d\"\nregex = 'x'\nprefilter = 'x'\nprefilter_word_anchor = 99\n"}) {
    auto r = ParseRules(bad, "a.toml");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().message().rfind("a.toml:", 0), 0u) << r.error().message();
    EXPECT_NE(r.error().message().find("prefilter_word_anchor"), std::string::npos) << r.error().message();
  }
}


// The second compile of a rule set reads the match windows from the cache and
// compiles RE2 programs on first use; it must find exactly what the first
// finds, and a rule set that does not compile is never cached as valid.
TEST(SecretsEngine, CachedRuleSetsScanLikeFreshOnesAndBadSetsAreNeverCached) {
  const fs::path cache = fs::temp_directory_path() / ("tollgate-secrets-cache-" + std::to_string(getpid()));
  fs::remove_all(cache);
  const char* old = std::getenv("TOLLGATE_CACHE_DIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TOLLGATE_CACHE_DIR", cache.c_str(), 1);
  const std::string text =
      "key = \"AKIAQX7TWDN3RH5KLMPZ\"\npassword = \"Xk9#mQ2v!Lp7zR4t\"\npassword = \"${DB_PASSWORD_FROM_ENV}\"\n";
  const auto fresh = Ids(MakeScanner(), text);
  std::size_t windows_files = 0;
  for (const auto& e : fs::directory_iterator(cache)) windows_files += e.path().extension() == ".windows";
  EXPECT_EQ(windows_files, 1u);
  const auto cached = Ids(MakeScanner(), text);
  EXPECT_EQ(cached, fresh);
  EXPECT_EQ(cached, (std::vector<std::string>{"aws-access-key-id", "generic-password"}));
  for (int round = 0; round < 2; ++round) {
    auto rules = ParseRules("[[rule]]\nid = \"r1\"\ndescription = \"d\"\nregex = '''(a'''\n", "bad.toml");
    ASSERT_TRUE(rules.has_value());
    auto s = Scanner::Compile(std::move(*rules));
    EXPECT_FALSE(s.has_value()) << "round " << round;
  }
  if (old != nullptr) setenv("TOLLGATE_CACHE_DIR", saved.c_str(), 1); else unsetenv("TOLLGATE_CACHE_DIR");
  fs::remove_all(cache);
}

}  // namespace
}  // namespace tollgate::secrets
