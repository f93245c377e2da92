#include <algorithm>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scan/iac/iac.h"
#include "test_util.h"

namespace fs = std::filesystem;
using tollgate::Json;
using namespace tollgate::iac;

namespace {

using iac_test::Slurp;

}  // namespace

TEST(IacHcl, BlocksAttributesAndLiterals) {
  const char* tf = R"(# comment
provider "aws" {
  region = "eu-west-1"
}

resource "aws_security_group" "ssh" {
  name = "ssh"   // trailing comment
  ingress {
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["0.0.0.0/0", "10.0.0.0/8",]
  }
  ingress {
    from_port = 443
    to_port   = 443
  }
  tags = { Env = "prod", "Owner" : "team" }
  providers = {
    aws.west = aws.west
  }
  enabled = true
  ratio = 1.5
  nothing = null
  /* block
     comment */
  policy = <<-EOT
    line one
      line two
  EOT
}

data "aws_iam_policy_document" "p" {}
)";
  auto m = LoadTerraformHcl("main.tf", tf);
  ASSERT_TRUE(m) << m.error().message();
  const Json& rs = (*m)["resources"];
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0]["address"], "aws_security_group.ssh");
  EXPECT_EQ(rs[0]["line"], 6);
  const Json& v = rs[0]["values"];
  ASSERT_EQ(v["ingress"].size(), 2u);
  EXPECT_EQ(v["ingress"][0]["from_port"], 22);
  EXPECT_EQ(v["ingress"][0]["cidr_blocks"], Json::array({"0.0.0.0/0", "10.0.0.0/8"}));
  EXPECT_EQ(v["ingress"][1]["to_port"], 443);
  EXPECT_EQ(v["tags"]["Owner"], "team");
  EXPECT_EQ(v["providers"]["aws.west"]["expr"], "aws.west");
  EXPECT_EQ(v["enabled"], true);
  EXPECT_DOUBLE_EQ(v["ratio"].get<double>(), 1.5);
  EXPECT_TRUE(v["nothing"].is_null());
  EXPECT_EQ(v["policy"], "line one\n  line two\n");
  EXPECT_EQ(rs[1]["address"], "data.aws_iam_policy_document.p");
  EXPECT_EQ(rs[1]["mode"], "data");
  ASSERT_EQ((*m)["blocks"].size(), 3u);
  EXPECT_EQ((*m)["blocks"][0]["type"], "provider");
}

TEST(IacHcl, NonLiteralExpressionsStayUnknown) {
  const char* tf = R"(resource "aws_db_instance" "db" {
  storage_encrypted = var.encrypted
  name              = "db-${var.env}"
  size              = 10 * 2
  zones             = [for z in var.zones : upper(z)]
  multi = merge(
    var.a,
    { b = 1 },
  )
  after = "kept"
}
)";
  auto m = LoadTerraformHcl("db.tf", tf);
  ASSERT_TRUE(m) << m.error().message();
  const Json& v = (*m)["resources"][0]["values"];
  EXPECT_EQ(v["storage_encrypted"], (Json{{"unknown", true}, {"expr", "var.encrypted"}}));
  EXPECT_EQ(v["name"]["unknown"], true);
  EXPECT_EQ(v["size"], 20);  // operators over literals are evaluated
  EXPECT_EQ(v["zones"]["unknown"], true);
  EXPECT_EQ(v["multi"]["unknown"], true);
  EXPECT_EQ(v["after"], "kept");
}

TEST(IacHcl, SyntaxErrorsNameFileLineAndColumn) {
  auto m = LoadTerraformHcl("bad.tf", "resource \"a\" \"b\" {\n  x = 1\n  y = \"open\n}\n");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message().rfind("bad.tf:3:", 0), 0u) << m.error().message();
  auto unclosed = LoadTerraformHcl("u.tf", "resource \"a\" \"b\" {\n  x = 1\n");
  ASSERT_FALSE(unclosed);
  EXPECT_NE(unclosed.error().message().find("not closed"), std::string::npos);
  auto dup = LoadTerraformHcl("d.tf", "a = 1\na = 2\n");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message().rfind("d.tf:2:", 0), 0u) << dup.error().message();
  std::string deep(5000, '[');
  EXPECT_FALSE(LoadTerraformHcl("deep.tf", "a = " + deep + "\n"));
}

TEST(IacKubernetes, MultiDocumentAndListsWithLines) {
  const char* y = R"(apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: pay
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: s}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d}
)";
  auto m = LoadKubernetes("k.yaml", y);
  ASSERT_TRUE(m) << m.error().message();
  const Json& rs = (*m)["resources"];
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0]["address"], "Pod/pay/a");
  EXPECT_EQ(rs[0]["line"], 1);
  EXPECT_EQ(rs[1]["kind"], "Service");
  EXPECT_EQ(rs[1]["line"], 12);
  EXPECT_EQ(rs[2]["line"], 15);
  EXPECT_EQ(rs[2]["document"], 1);
  EXPECT_EQ(rs[0]["values"]["spec"]["containers"][0]["image"], "nginx");
  auto bad = LoadKubernetes("b.yaml", "kind: Pod\nmetadata: [\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("b.yaml:", 0), 0u);
}

TEST(IacDockerfile, InstructionsStagesContinuations) {
  const char* d = R"(# syntax=docker/dockerfile:1
FROM golang:1.22 AS build
RUN apt-get update && \
    # a comment inside
    apt-get install -y git
COPY . /src

from debian:12
USER app
CMD ["/app", "--serve"]
)";
  auto m = LoadDockerfile("Dockerfile", d);
  ASSERT_TRUE(m) << m.error().message();
  const Json& st = (*m)["stages"];
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0]["image"], "golang:1.22");
  EXPECT_EQ(st[0]["name"], "build");
  EXPECT_EQ(st[1]["line"], 8);
  const Json& in = (*m)["instructions"];
  ASSERT_EQ(in.size(), 6u);
  EXPECT_EQ(in[1]["cmd"], "run");
  EXPECT_EQ(in[1]["line"], 3);
  EXPECT_EQ(in[1]["value"], "apt-get update &&      apt-get install -y git");
  EXPECT_EQ(in[2]["line"], 6);
  EXPECT_EQ(in[4]["stage"], 1);
  EXPECT_EQ(in[5]["args"], Json::array({"/app", "--serve"}));
  auto bad = LoadDockerfile("Dockerfile", "FROM x\n!!! y\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("Dockerfile:2:", 0), 0u);
}

TEST(IacDetect, Formats) {
  EXPECT_EQ(DetectFormat("a/main.tf", ""), Format::kTerraform);
  EXPECT_EQ(DetectFormat("Dockerfile.prod", ""), Format::kDockerfile);
  EXPECT_EQ(DetectFormat("k.yaml", "apiVersion: v1\nkind: Pod\n"), Format::kKubernetes);
  EXPECT_EQ(DetectFormat("ci.yaml", "steps: []\n"), Format::kNone);
  EXPECT_EQ(DetectFormat("package.json", "{}"), Format::kNone);
  EXPECT_EQ(DetectFormat("p.json", R"({"format_version":"1.0","planned_values":{}})"), Format::kTerraformPlan);
}

// Every real `terraform show -json` plan of the corpus loads.
TEST(IacPlanCorpus, AllPlansLoad) {
  fs::path dir = fs::path(TOLLGATE_SHARED_DIR) / "corpora/iac/terraform-plan-json/testdata";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "corpus not found at " << dir << " (../shared absent)";
  int plans = 0;
  int loaded = 0;
  int rejected = 0;
  int with_resources = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name.rfind("plan", 0) != 0 || e.path().extension() != ".json") continue;
    ++plans;
    std::string text = Slurp(e.path());
    ASSERT_EQ(DetectFormat(e.path().string(), text), Format::kTerraformPlan) << e.path();
    auto m = LoadTerraformPlan(e.path().string(), text);
    if (!Json::accept(text)) {
      // A corrupt plan (the corpus has one) is rejected with file:line:column.
      ASSERT_FALSE(m) << e.path();
      EXPECT_EQ(m.error().message().rfind(e.path().string() + ":", 0), 0u) << m.error().message();
      ++rejected;
      continue;
    }
    ASSERT_TRUE(m) << e.path() << ": " << m.error().message();
    ++loaded;
    for (const auto& r : (*m)["resources"]) {
      EXPECT_FALSE(r["address"].get<std::string>().empty()) << e.path();
      EXPECT_GT(r["line"].get<int>(), 0) << e.path() << " " << r["address"];
    }
    if (!(*m)["resources"].empty()) ++with_resources;
  }
  EXPECT_EQ(plans, loaded + rejected);
  EXPECT_GE(loaded, 21);
  EXPECT_GE(with_resources, 15);
}

TEST(IacScan, EndToEndFindingsWithLines) {
  fs::path dir = fs::temp_directory_path() / ("tg_iac_" + std::to_string(::getpid()));
  fs::create_directories(dir / ".hidden");
  std::ofstream(dir / "main.tf") << "resource \"aws_s3_bucket_acl\" \"ok\" {\n  acl = \"private\"\n}\n\n"
                                    "resource \"aws_s3_bucket_acl\" \"bad\" {\n  acl = \"public-read\"\n}\n";
  std::ofstream(dir / ".hidden" / "x.tf") << "resource \"aws_s3_bucket_acl\" \"h\" {\n  acl = \"public-read\"\n}\n";
  std::ofstream(dir / "Dockerfile") << "FROM debian:12\nUSER app\n";
  ScanOptions opts;
  opts.builtin_dir = std::string(TOLLGATE_SOURCE_DIR) + "/policies";
  auto f = Scan({dir.string()}, opts);
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].rule_id, "TG-TF-001");
  EXPECT_EQ((*f)[0].location.line, 5u);
  EXPECT_EQ((*f)[0].location.file, (dir / "main.tf").generic_string());
  EXPECT_EQ((*f)[0].severity, tollgate::Severity::kCritical);
  // The embedded copy gives the same result as the source tree.
  auto embedded = Scan({dir.string()}, ScanOptions{});
  ASSERT_TRUE(embedded);
  EXPECT_EQ(embedded->size(), 1u);
  // A user policy is added to the built-ins.
  fs::create_directories(dir / "pol");
  std::ofstream(dir / "pol" / "p.rego") << "package custom\nimport rego.v1\ndeny contains {\"id\": \"C1\", \"msg\": \"dockerfile\", \"severity\": \"low\"} if input.format == \"dockerfile\"\n";
  opts.policy_dirs = {(dir / "pol").string()};
  auto custom = Scan({(dir / "main.tf").string(), (dir / "Dockerfile").string()}, opts);
  ASSERT_TRUE(custom) << custom.error().message();
  ASSERT_EQ(custom->size(), 2u);
  tollgate::SortFindings(*custom);
  EXPECT_EQ((*custom)[0].rule_id, "TG-TF-001");
  EXPECT_EQ((*custom)[1].rule_id, "C1");
  EXPECT_EQ((*custom)[1].severity, tollgate::Severity::kLow);
  // A file that does not parse is a parse-error finding naming the file and
  // line; the rest is scanned. With `strict` it is an error naming the file.
  std::ofstream(dir / "broken.tf") << "resource \"a\" {\n";
  auto found = Scan({dir.string()}, opts);
  ASSERT_TRUE(found) << found.error().message();
  auto parse = std::find_if(found->begin(), found->end(), [](const tollgate::Finding& x) { return x.rule_id == "parse-error"; });
  ASSERT_NE(parse, found->end());
  EXPECT_NE(parse->location.file.find("broken.tf"), std::string::npos);
  EXPECT_EQ(parse->location.line, 1u);
  EXPECT_EQ(parse->severity, tollgate::Severity::kHigh);
  EXPECT_TRUE(std::any_of(found->begin(), found->end(), [](const tollgate::Finding& x) { return x.rule_id == "TG-TF-001"; }));
  opts.strict = true;
  auto bad = Scan({dir.string()}, opts);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("broken.tf:"), std::string::npos);
  fs::remove_all(dir);
}

using iac_test::RunCli;

TEST(IacCli, ScanAndGate) {
  fs::path dir = fs::temp_directory_path() / ("tg_iac_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "k8s.yaml") << "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n"
                                     "  securityContext: {runAsNonRoot: true}\n"
                                     "  containers: [{name: c, image: 'a/b:1.0', securityContext: {allowPrivilegeEscalation: false},\n"
                                     "                resources: {limits: {memory: 1Gi, cpu: '1'}}}]\n";
  std::string out;
  EXPECT_EQ(RunCli("scan iac " + dir.string() + " --format json", &out), 1) << out;
  auto j = Json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  ASSERT_EQ(j["findings"].size(), 1u) << out;
  EXPECT_EQ(j["findings"][0]["rule_id"], "TG-K8S-003");
  EXPECT_NE(j["findings"][0].dump().find("k8s.yaml"), std::string::npos);
  EXPECT_EQ(RunCli("scan iac " + dir.string() + " --fail-on critical", &out), 0) << out;
  std::ofstream(dir / "bad.tf") << "resource \"x\" \"y\" {\n  = 3\n}\n";
  EXPECT_EQ(RunCli("scan iac " + dir.string(), &out), 1) << out;  // a parse-error finding; the rest is scanned
  EXPECT_NE(out.find("parse-error"), std::string::npos) << out;
  EXPECT_NE(out.find("bad.tf:2"), std::string::npos) << out;
  EXPECT_NE(out.find("TG-K8S-003"), std::string::npos) << out;
  EXPECT_EQ(RunCli("scan iac --strict " + dir.string(), &out), 2) << out;
  EXPECT_NE(out.find("bad.tf:2:"), std::string::npos) << out;
  EXPECT_EQ(RunCli("scan iac " + (dir / "missing").string(), &out), 2) << out;
  fs::remove(dir / "bad.tf");
  std::ofstream(dir / "tollgate.yaml") << "version: 1\nservice: s\ngates:\n  infra:\n    scanner: iac\n    fail_on: high\n    bypass: none\n";
  EXPECT_EQ(RunCli("gate " + dir.string() + " --ledger " + (dir / "l.db").string() + " --author 'A <a@b.c>' --commit abc", &out), 1) << out;
  EXPECT_NE(out.find("TG-K8S-003"), std::string::npos) << out;
  fs::remove_all(dir);
}

TEST(IacKubernetes, AliasBombIsBounded) {
  std::string y = "apiVersion: v1\nkind: ConfigMap\na: &a [x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'i'; ++c) {
    y += std::string(1, c) + ": &" + c + " [";
    for (int k = 0; k < 9; ++k) y += (k ? ", *" : "*") + prev;
    y += "]\n";
    prev = std::string(1, c);
  }
  auto m = LoadKubernetes("bomb.yaml", y);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message().find("bomb.yaml:9:8: the document grows beyond 1000000 nodes once its aliases are expanded"), std::string::npos) << m.error().message();
}

// The Terraform configurations beside the corpus plans parse (literal subset,
// unknowns kept as unknown).
TEST(IacPlanCorpus, ConfigurationsParse) {
  fs::path dir = fs::path(TOLLGATE_SHARED_DIR) / "corpora/iac/terraform-plan-json/testdata";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "corpus not found at " << dir << " (../shared absent)";
  int files = 0;
  int resources = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".tf") continue;
    ++files;
    auto m = LoadTerraformHcl(e.path().string(), Slurp(e.path()));
    ASSERT_TRUE(m) << m.error().message();
    resources += static_cast<int>((*m)["resources"].size());
  }
  EXPECT_GE(files, 40);
  EXPECT_GT(resources, 0);
}
