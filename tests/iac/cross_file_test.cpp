// The cross-file view (docs/iac-model.md): input.module for Terraform (all
// resources of a module directory, or of a plan) and input.scan for
// Kubernetes (every manifest of the scan), so that companion checks find a
// companion resource in another file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "scan/iac/iac.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace tollgate::iac;

namespace {

fs::path TempDir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("tg_iacx_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// "RULE file:line" for every finding of the scan.
std::multiset<std::string> Found(const std::vector<std::string>& paths, unsigned jobs = 1, const std::vector<std::string>& policy_dirs = {},
                                 bool builtin = true) {
  ScanOptions o;
  o.jobs = jobs;
  o.policy_dirs = policy_dirs;
  o.builtin = builtin;
  auto f = Scan(paths, o);
  EXPECT_TRUE(f) << (f ? "" : f.error().message());
  std::multiset<std::string> out;
  if (f)
    for (const auto& x : *f) out.insert(x.rule_id + " " + fs::path(x.location.file).filename().string() + ":" + std::to_string(x.location.line));
  return out;
}

std::size_t Count(const std::multiset<std::string>& found, const std::string& rule) {
  std::size_t n = 0;
  for (const auto& s : found)
    if (s.rfind(rule + " ", 0) == 0) ++n;
  return n;
}

// A module whose bucket (main.tf) is configured by companions in s3.tf and
// whose VPC has its flow log in network.tf.
void WriteModule(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "main.tf") << "resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"bank-data\"\n}\n\n"
                                    "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n";
  std::ofstream(dir / "s3.tf")
      << "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"data\" {\n  bucket = aws_s3_bucket.data.id\n"
         "  rule {\n    apply_server_side_encryption_by_default {\n      sse_algorithm     = \"aws:kms\"\n"
         "      kms_master_key_id = \"arn:aws:kms:eu-west-1:111122223333:key/abc\"\n    }\n  }\n}\n\n"
         "resource \"aws_s3_bucket_versioning\" \"data\" {\n  bucket = aws_s3_bucket.data.id\n"
         "  versioning_configuration {\n    status = \"Enabled\"\n  }\n}\n\n"
         "resource \"aws_s3_bucket_logging\" \"data\" {\n  bucket        = aws_s3_bucket.data.id\n  target_bucket = \"bank-access-logs\"\n}\n\n"
         "resource \"aws_s3_bucket_public_access_block\" \"data\" {\n  bucket                  = aws_s3_bucket.data.id\n"
         "  block_public_acls       = true\n  block_public_policy     = true\n  ignore_public_acls      = true\n"
         "  restrict_public_buckets = true\n}\n";
  std::ofstream(dir / "network.tf") << "resource \"aws_flow_log\" \"main\" {\n  vpc_id       = aws_vpc.main.id\n  traffic_type = \"ALL\"\n}\n";
}

const char* kDeployment =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: payments}\nspec:\n  template:\n    spec:\n"
    "      securityContext: {runAsNonRoot: true}\n      containers:\n        - name: api\n          image: registry.example/api:1.2.3\n"
    "          securityContext: {allowPrivilegeEscalation: false}\n          resources: {limits: {cpu: 500m, memory: 256Mi}}\n";

void WriteDeployment(const fs::path& file, const std::string& name) {
  std::string text = kDeployment;
  text.replace(text.find("%s"), 2, name);
  std::ofstream(file) << text;
}

}  // namespace

TEST(IacCrossFile, CompanionsInAnotherFileOfTheModule) {
  fs::path dir = TempDir("tf");
  WriteModule(dir / "infra");
  for (unsigned jobs : {1u, 2u}) {
    auto found = Found({dir.string()}, jobs);
    EXPECT_TRUE(found.empty()) << *found.begin();
  }
  // absent everywhere: reported at the bucket and the VPC in main.tf
  fs::remove(dir / "infra" / "s3.tf");
  fs::remove(dir / "infra" / "network.tf");
  auto found = Found({dir.string()});
  for (const char* f : {"TG-TF-006 main.tf:1", "TG-TF-008 main.tf:1", "TG-TF-009 main.tf:1", "TG-TF-030 main.tf:5"}) EXPECT_EQ(found.count(f), 1u) << f;
  fs::remove_all(dir);
}

TEST(IacCrossFile, CompanionOfAnotherBucketDoesNotCount) {
  fs::path dir = TempDir("other");
  WriteModule(dir);
  std::ofstream(dir / "main.tf", std::ios::app) << "\nresource \"aws_s3_bucket\" \"other\" {\n  bucket = \"bank-other\"\n}\n";
  auto found = Found({dir.string()});
  EXPECT_EQ(Count(found, "TG-TF-006"), 1u);
  EXPECT_EQ(found.count("TG-TF-006 main.tf:9"), 1u);
  // a module is one directory: the companions of a sibling directory do not count
  fs::path sib = TempDir("sibling");
  fs::create_directories(sib / "a");
  fs::create_directories(sib / "b");
  fs::copy_file(dir / "main.tf", sib / "a" / "main.tf");
  fs::copy_file(dir / "s3.tf", sib / "b" / "s3.tf");
  EXPECT_EQ(Found({sib.string()}).count("TG-TF-006 main.tf:1"), 1u);
  fs::remove_all(dir);
  fs::remove_all(sib);
}

TEST(IacCrossFile, ModuleAndScanViewsAreVisibleToUserPolicies) {
  fs::path dir = TempDir("view");
  WriteModule(dir / "infra");
  fs::create_directories(dir / "k8s");
  WriteDeployment(dir / "k8s" / "a.yaml", "api");
  WriteDeployment(dir / "k8s" / "b.yaml", "worker");
  fs::create_directories(dir / "pol");
  std::ofstream(dir / "pol" / "view.rego")
      << "package user.view\nimport rego.v1\n"
         "deny contains msg if {\n  endswith(input.file, \"main.tf\")\n  some r in input.module.resources\n"
         "  msg := sprintf(\"%s %s:%d\", [r.address, r.file, r.line])\n}\n"
         "deny contains msg if {\n  endswith(input.file, \"main.tf\")\n  msg := sprintf(\"types %d dir %v\", [count(input.module.types), endswith(input.module.dir, \"infra\")])\n}\n"
         "deny contains msg if {\n  input.format == \"kubernetes\"\n  d := input.scan.documents[0]\n"
         "  msg := sprintf(\"scan %d first %s/%s %s %s:%d\", [count(input.scan.documents), d.kind, d.name, d.namespace, d.file, d.line])\n}\n";
  ScanOptions o;
  o.builtin = false;
  o.policy_dirs = {(dir / "pol").string()};
  auto f = Scan({dir.string()}, o);
  ASSERT_TRUE(f) << f.error().message();
  std::set<std::string> msgs;
  for (const auto& x : *f) msgs.insert(x.message);
  std::string infra = (dir / "infra").generic_string();
  EXPECT_TRUE(msgs.count("aws_s3_bucket_versioning.data " + infra + "/s3.tf:11")) << *msgs.begin();
  EXPECT_TRUE(msgs.count("aws_flow_log.main " + infra + "/network.tf:1"));
  EXPECT_TRUE(msgs.count("aws_s3_bucket.data " + infra + "/main.tf:1"));
  EXPECT_TRUE(msgs.count("types 7 dir true"));
  EXPECT_TRUE(msgs.count("scan 2 first Deployment/api payments " + (dir / "k8s" / "a.yaml").generic_string() + ":1"));
  fs::remove_all(dir);
}

TEST(IacCrossFile, NetworkPolicyInAnotherManifest) {
  fs::path dir = TempDir("k8s");
  WriteDeployment(dir / "app.yaml", "api");
  WriteDeployment(dir / "worker.yaml", "worker");
  std::ofstream(dir / "netpol.yaml") << "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                        "metadata: {name: default-deny, namespace: payments}\nspec:\n  podSelector: {}\n";
  for (unsigned jobs : {1u, 2u}) EXPECT_EQ(Count(Found({dir.string()}, jobs), "TG-K8S-016"), 0u);
  // absent everywhere: reported once for the namespace, at its first workload
  fs::remove(dir / "netpol.yaml");
  for (unsigned jobs : {1u, 2u}) {
    auto found = Found({dir.string()}, jobs);
    EXPECT_EQ(Count(found, "TG-K8S-016"), 1u);
    EXPECT_EQ(found.count("TG-K8S-016 app.yaml:1"), 1u);
  }
  // a Namespace manifest of the scan takes the finding
  std::ofstream(dir / "ns.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments}\n";
  auto found = Found({dir.string()});
  EXPECT_EQ(Count(found, "TG-K8S-016"), 1u);
  EXPECT_EQ(found.count("TG-K8S-016 ns.yaml:1"), 1u);
  fs::remove_all(dir);
}

TEST(IacCrossFile, GateSeesTheModuleView) {
  fs::path dir = TempDir("gate");
  WriteModule(dir / "infra");
  fs::create_directories(dir / "k8s");
  WriteDeployment(dir / "k8s" / "app.yaml", "api");
  std::ofstream(dir / "k8s" / "netpol.yaml") << "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                                "metadata: {name: default-deny, namespace: payments}\nspec:\n  podSelector: {}\n";
  std::ofstream(dir / "tollgate.yaml") << "version: 1\nservice: s\ngates:\n  infra:\n    scanner: iac\n    fail_on: low\n    bypass: none\n";
  std::string out;
  std::string gate = "gate " + dir.string() + " --author 'A <a@b.c>' --commit abc --format json --ledger ";
  EXPECT_EQ(iac_test::RunCli(gate + (dir / "l.db").string(), &out), 0) << out;
  fs::remove(dir / "infra" / "s3.tf");
  EXPECT_EQ(iac_test::RunCli(gate + (dir / "l2.db").string(), &out), 1) << out;
  EXPECT_NE(out.find("TG-TF-006"), std::string::npos) << out;
  fs::remove_all(dir);
}
