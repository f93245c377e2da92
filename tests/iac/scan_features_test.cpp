// scan iac: plan→.tf mapping, tfvars, inline suppressions (scan and gate),
// parallel determinism, Dockerfile heredocs.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "scan/iac/iac.h"
#include "test_util.h"

namespace fs = std::filesystem;
using tollgate::Json;
using namespace tollgate::iac;

namespace {

fs::path TempDir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("tg_iacf_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(IacPlanSource, ModuleResourcesMapToTheirTfFiles) {
  fs::path dir = fs::path(TOLLGATE_SHARED_DIR) / "corpora/iac/terraform-plan-json/testdata/deep_module";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "plan corpus not found at " << dir << " (../shared absent)";
  auto m = LoadTerraformPlan((dir / "plan.json").string(), iac_test::Slurp(dir / "plan.json"));
  ASSERT_TRUE(m) << m.error().message();
  std::map<std::string, Json> by_addr;
  for (const auto& r : (*m)["resources"]) by_addr[r["address"].get<std::string>()] = r;
  ASSERT_TRUE(by_addr.count("module.foo.module.bar.null_resource.baz"));
  const Json& deep = by_addr["module.foo.module.bar.null_resource.baz"];
  ASSERT_TRUE(deep.contains("source_file")) << deep.dump();
  EXPECT_EQ(fs::path(deep["source_file"].get<std::string>()).lexically_relative(dir.lexically_normal()).generic_string(), "foo/bar/main.tf");
  EXPECT_EQ(deep["source_line"], 1);
  EXPECT_GT(deep["line"].get<int>(), 0);  // the plan line is kept
}

TEST(IacPlanSource, FindingsPointAtTheTfLine) {
  fs::path dir = TempDir("plan");
  std::ofstream(dir / "main.tf") << "# bucket ACLs\n\nresource \"aws_s3_bucket_acl\" \"logs\" {\n  acl = var.acl\n}\n";
  Json plan{{"format_version", "1.2"},
            {"resource_changes", Json::array({Json{{"address", "aws_s3_bucket_acl.logs"},
                                                   {"type", "aws_s3_bucket_acl"},
                                                   {"name", "logs"},
                                                   {"mode", "managed"},
                                                   {"change", Json{{"actions", Json::array({"create"})}, {"after", Json{{"acl", "public-read"}}}}}}})},
            {"configuration", Json{{"root_module", Json{{"resources", Json::array({Json{{"address", "aws_s3_bucket_acl.logs"}}})}}}}}};
  std::ofstream(dir / "plan.json") << plan.dump(2);
  auto f = Scan({(dir / "plan.json").string()}, ScanOptions{});
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].rule_id, "TG-TF-001");
  EXPECT_EQ((*f)[0].location.file, (dir / "main.tf").lexically_normal().generic_string());
  EXPECT_EQ((*f)[0].location.line, 3u);
  EXPECT_EQ((*f)[0].details["plan_file"], (dir / "plan.json").string());
  fs::remove_all(dir);
}

TEST(IacTfvars, VariablesDecideFindingsAndMissingOnesStayUnknown) {
  fs::path dir = TempDir("vars");
  std::ofstream(dir / "main.tf") << "variable \"acl\" {\n  default = \"private\"\n}\nvariable \"other\" {}\n"
                                    "resource \"aws_s3_bucket_acl\" \"a\" {\n  acl = var.acl\n}\n"
                                    "resource \"aws_s3_bucket_acl\" \"b\" {\n  acl = var.other\n}\n";
  auto clean = Scan({dir.string()}, ScanOptions{});
  ASSERT_TRUE(clean) << clean.error().message();
  EXPECT_TRUE(clean->empty());  // default private; var.other unknown: no guess
  std::ofstream(dir / "terraform.tfvars") << "acl = \"public-read\"\n";
  auto f = Scan({dir.string()}, ScanOptions{});
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].location.line, 5u);
  std::ofstream(dir / "override.tfvars") << "acl = \"private\"\n";
  ScanOptions o;
  o.var_files = {(dir / "override.tfvars").string()};
  auto over = Scan({dir.string()}, o);
  ASSERT_TRUE(over) << over.error().message();
  EXPECT_TRUE(over->empty());
  o.var_files = {(dir / "missing.tfvars").string()};
  EXPECT_FALSE(Scan({dir.string()}, o));
  fs::remove_all(dir);
}

TEST(IacSuppressions, FoundOnTheLineOrDirectlyAbove) {
  auto s = FindSuppressions(
      "# tollgate:ignore=TG-TF-001 public website bucket\n"
      "# another comment\n"
      "resource \"a\" \"b\" {}\n"
      "resource \"c\" \"d\" {} // tollgate:ignore=X,Y two checks\n"
      "x = \"# tollgate:ignore=NOT in a string\" # plain\n"
      "# tollgate:ignore=Z nothing below\n");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].first, 3u);
  EXPECT_EQ(s[0].second.check, "TG-TF-001");
  EXPECT_EQ(s[0].second.reason, "public website bucket");
  EXPECT_EQ(s[0].second.line, 1u);
  EXPECT_EQ(s[1].first, 4u);
  EXPECT_EQ(s[1].second.check, "X");
  EXPECT_EQ(s[2].second.check, "Y");
  EXPECT_EQ(s[2].second.reason, "two checks");
}

TEST(IacSuppressions, ScanShowsThemAndTheGateNeedsAuthority) {
  fs::path dir = TempDir("sup");
  std::ofstream(dir / "main.tf") << "# tollgate:ignore=TG-TF-001 static website, approved in CHG-1\n"
                                    "resource \"aws_s3_bucket_acl\" \"site\" {\n  acl = \"public-read\"\n}\n";
  std::ofstream(dir / "Dockerfile") << "FROM debian:12\n# tollgate:ignore=TG-DF-002 needs root for the port\nUSER root\n";
  auto f = Scan({dir.string()}, ScanOptions{});
  ASSERT_TRUE(f) << f.error().message();
  std::size_t suppressed = 0;
  for (const auto& x : *f)
    if (x.details.contains("suppression")) ++suppressed;
  EXPECT_EQ(suppressed, 2u);
  std::string out;
  EXPECT_EQ(iac_test::RunCli("scan iac " + dir.string() + " --format json", &out), 0) << out;  // only suppressed findings
  EXPECT_NE(out.find("static website, approved in CHG-1"), std::string::npos) << out;
  // gate without bypass: the suppression is refused and reported, the gate blocks
  std::ofstream(dir / "tollgate.yaml") << "version: 1\nservice: s\ngates:\n  infra:\n    scanner: iac\n    fail_on: high\n    bypass: none\n";
  EXPECT_EQ(iac_test::RunCli("gate " + dir.string() + " --ledger " + (dir / "l.db").string() + " --author 'A <a@b.c>' --commit abc --format json", &out), 1) << out;
  EXPECT_NE(out.find("refused: gate 'infra' allows no bypass"), std::string::npos) << out;
  // gate with bypass roles: still blocked until a signed waiver backs it
  std::ofstream(dir / "tollgate.yaml") << "version: 1\nservice: s\ngates:\n  infra:\n    scanner: iac\n    fail_on: high\n    bypass: [security]\n";
  EXPECT_EQ(iac_test::RunCli("gate " + dir.string() + " --ledger " + (dir / "l2.db").string() + " --author 'A <a@b.c>' --commit abc --format json", &out), 1) << out;
  EXPECT_NE(out.find("needs a signed waiver"), std::string::npos) << out;
  fs::remove_all(dir);
}

TEST(IacParallel, SameFindingsForAnyJobCount) {
  fs::path dir = TempDir("par");
  for (int i = 0; i < 40; ++i) {
    fs::create_directories(dir / ("m" + std::to_string(i % 7)));
    std::ofstream(dir / ("m" + std::to_string(i % 7)) / ("f" + std::to_string(i) + ".tf"))
        << "resource \"aws_s3_bucket_acl\" \"b" << i << "\" {\n  acl = \"" << (i % 3 ? "public-read" : "private") << "\"\n}\n";
    std::ofstream(dir / ("p" + std::to_string(i) + ".yaml")) << "apiVersion: v1\nkind: Pod\nmetadata: {name: p" << i
                                                             << "}\nspec:\n  hostNetwork: " << (i % 2 ? "true" : "false") << "\n  containers: [{name: c, image: nginx}]\n";
  }
  ScanOptions one;
  ScanStats stats;
  one.stats = &stats;
  auto a = Scan({dir.string()}, one);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(stats.files, 80u);
  ScanOptions many;
  many.jobs = 4;
  auto b = Scan({dir.string()}, many);
  ASSERT_TRUE(b) << b.error().message();
  ASSERT_EQ(a->size(), b->size());
  ASSERT_GT(a->size(), 40u);
  for (std::size_t i = 0; i < a->size(); ++i) EXPECT_EQ((*a)[i].fingerprint, (*b)[i].fingerprint) << i;  // same order, unsorted
  fs::remove_all(dir);
}

TEST(IacDockerfile, Heredocs) {
  auto m = LoadDockerfile("Dockerfile",
                          "FROM debian:12\n"
                          "RUN <<EOF\n"
                          "apt-get update\n"
                          "sudo make install\n"
                          "EOF\n"
                          "COPY <<-\"CONF\" /etc/app.conf\n"
                          "\tport=8080\n"
                          "\tCONF\n"
                          "RUN <<A <<B\nfirst\nA\nsecond\nB\n"
                          "USER app\n");
  ASSERT_TRUE(m) << m.error().message();
  const Json& in = (*m)["instructions"];
  ASSERT_EQ(in.size(), 5u) << in.dump();
  EXPECT_EQ(in[1]["cmd"], "run");
  EXPECT_EQ(in[1]["line"], 2);
  EXPECT_EQ(in[1]["heredocs"][0]["content"], "apt-get update\nsudo make install\n");
  EXPECT_EQ(in[1]["heredocs"][0]["line"], 3);
  EXPECT_NE(in[1]["value"].get<std::string>().find("sudo make install"), std::string::npos);
  EXPECT_EQ(in[2]["heredocs"][0]["marker"], "CONF");
  EXPECT_EQ(in[2]["heredocs"][0]["content"], "port=8080\n");
  EXPECT_EQ(in[3]["heredocs"].size(), 2u);
  EXPECT_EQ(in[3]["heredocs"][1]["content"], "second\n");
  EXPECT_EQ(in[4]["cmd"], "user");
  EXPECT_EQ(in[4]["line"], 14);
  auto open = LoadDockerfile("Dockerfile", "FROM x\nRUN <<EOF\nnever closed\n");
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().message().rfind("Dockerfile:2: heredoc <<EOF is not closed", 0), 0u) << open.error().message();
  // `<<` that is not a heredoc marker is left alone
  auto shift = LoadDockerfile("Dockerfile", "FROM x\nRUN echo $((1 << 2))\n");
  ASSERT_TRUE(shift);
  EXPECT_FALSE((*shift)["instructions"][1].contains("heredocs"));
}

namespace {

// The module tree fixture (tests/iac/testdata/module_tree), scanned from its
// root; findings by rule id and full address.
struct TreeScan {
  std::vector<tollgate::Finding> findings;
  std::vector<std::string> notes;
  std::set<std::string> Keys() const {
    std::set<std::string> out;
    for (const auto& f : findings) out.insert(f.rule_id + " " + f.details.value("address", std::string()));
    return out;
  }
};

TreeScan ScanTree(const fs::path& root) {
  TreeScan t;
  ScanOptions o;
  o.notes = &t.notes;
  auto f = Scan({root.string()}, o);
  EXPECT_TRUE(f) << f.error().message();
  if (f) t.findings = std::move(*f);
  return t;
}

const fs::path kTree = fs::path(TOLLGATE_SOURCE_DIR) / "tests/iac/testdata/module_tree";

}  // namespace

// A module call's arguments flow into the module's resources: audit_db passes
// encrypted = false (finding), orders_db passes true (none); the module's own
// default (true) would have hidden the first. Each finding names the call.
TEST(IacModules, CallArgumentsFlowIntoTheModulesResources) {
  TreeScan t = ScanTree(kTree);
  auto keys = t.Keys();
  EXPECT_TRUE(keys.count("TG-TF-002 module.audit_db.aws_db_instance.this")) << testing::PrintToString(keys);
  EXPECT_FALSE(keys.count("TG-TF-002 module.orders_db.aws_db_instance.this"));
  EXPECT_FALSE(keys.count("TG-TF-002 aws_db_instance.this"));  // not a root module: not checked with its defaults
  // deletion_protection = true in both calls, false by default
  for (const auto& k : keys) EXPECT_EQ(k.find("TG-TF-014"), std::string::npos) << k;
  for (const auto& f : t.findings) {
    if (f.rule_id != "TG-TF-002") continue;
    EXPECT_EQ(fs::path(f.location.file).filename(), "main.tf");
    EXPECT_NE(f.location.file.find("modules/database"), std::string::npos);
    EXPECT_EQ(f.location.line, 7u);  // the resource in the module
    ASSERT_TRUE(f.details.contains("module_call"));
    EXPECT_EQ(f.details["module_call"]["module"], "module.audit_db");
    EXPECT_NE(f.details["module_call"]["file"].get<std::string>().find("envs/prod/main.tf"), std::string::npos);
    EXPECT_EQ(f.details["module_call"]["line"], 2);  // and the call in the caller
    EXPECT_NE(f.message.find("module.audit_db"), std::string::npos);
  }
}

// Calls nest: the database module calls the kms module with the rotation its
// caller passed, so only the audit database's key lacks rotation.
TEST(IacModules, NestedCallsCarryTheirCallersArguments) {
  auto keys = ScanTree(kTree).Keys();
  EXPECT_TRUE(keys.count("TG-TF-025 module.audit_db.module.key.aws_kms_key.this")) << testing::PrintToString(keys);
  EXPECT_FALSE(keys.count("TG-TF-025 module.orders_db.module.key.aws_kms_key.this"));
}

// Each instance is its own finding with its own fingerprint (waived on its
// own), and the fingerprint does not depend on how the root was spelled.
TEST(IacModules, InstancesHaveStableDistinctFingerprints) {
  auto a = ScanTree(kTree);
  auto b = ScanTree(kTree / "envs" / ".." );
  std::set<std::string> fa, fb;
  for (const auto& f : a.findings) fa.insert(f.fingerprint);
  for (const auto& f : b.findings) fb.insert(f.fingerprint);
  EXPECT_EQ(fa.size(), a.findings.size());
  EXPECT_EQ(fa, fb);
}

// Registry modules and local sources outside the scan are noted once each as
// not evaluated, never silently skipped; modules that only call each other
// (a cycle with no root) are still checked on their own.
TEST(IacModules, ModulesNotEvaluatedAreNotedOnce) {
  TreeScan t = ScanTree(kTree);
  int eks = 0, legacy = 0;
  for (const auto& n : t.notes) {
    if (n.find("terraform-aws-modules/eks/aws") != std::string::npos) ++eks;
    if (n.find("../../vendor/legacy") != std::string::npos) ++legacy;
  }
  EXPECT_EQ(eks, 1) << testing::PrintToString(t.notes);  // two calls, one note
  EXPECT_EQ(legacy, 1);
  EXPECT_TRUE(t.Keys().count("TG-TF-025 aws_kms_key.a"));
}

// Scanning the module directory alone treats it as a root module: its
// variables' defaults apply (encrypted defaults to true: no finding;
// deletion_protection defaults to false: a finding).
TEST(IacModules, AModuleScannedAloneUsesItsDefaults) {
  auto keys = ScanTree(kTree / "modules" / "database").Keys();
  EXPECT_FALSE(keys.count("TG-TF-002 aws_db_instance.this")) << testing::PrintToString(keys);
  EXPECT_TRUE(keys.count("TG-TF-014 aws_db_instance.this"));
}

// dynamic blocks join the blocks they generate: the ingress rule built from
// the call's CIDR list opens SSH to the world; server_side_encryption set by a
// dynamic block is not reported missing, nor point_in_time_recovery whose
// for_each is unknown (never guessed).
TEST(IacModules, DynamicBlocksAreExpandedBeforeChecksRun) {
  auto keys = ScanTree(kTree).Keys();
  EXPECT_TRUE(keys.count("TG-TF-010 module.network.aws_security_group.admin")) << testing::PrintToString(keys);
  EXPECT_FALSE(keys.count("TG-TF-019 module.network.aws_dynamodb_table.sessions"));
  EXPECT_FALSE(keys.count("TG-TF-020 module.network.aws_dynamodb_table.sessions"));
  // alone, the network module's default CIDR list is private
  auto alone = ScanTree(kTree / "modules" / "network").Keys();
  EXPECT_FALSE(alone.count("TG-TF-010 aws_security_group.admin")) << testing::PrintToString(alone);
}
