// Issue 13 sections 2 and 4 on a repository that looks like a real one
// (tests/gate/testdata/platform: a Helm chart with a subchart, Kustomize
// base and overlay, a Terraform module tree, a TypeScript front end with
// JSONC configuration, a service with a Dockerfile): one bad file never stops
// a gate, Helm templates and Kustomize patches are recognised, `exclude:` and
// .gitignore hold for every scanner (an excluded FIFO is never opened),
// fingerprints are the same for every spelling of a path, one secret is one
// finding, and policy findings carry the line of what they are about.
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_harness.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

constexpr const char* kAuthor = "--author 'Bob <bob@corp.example>' --commit c0ffee";

class RepoScanTest : public tollgate::testing::CliHarness {
 protected:
  // A copy of the platform fixture at dir_/platform.
  std::string Platform() {
    fs::path dst = dir_ / "platform";
    fs::copy(fs::path(TOLLGATE_SOURCE_DIR) / "tests/gate/testdata/platform", dst, fs::copy_options::recursive);
    return dst.string();
  }
  json Report(const std::string& file) { return json::parse(Slurp((dir_ / file).string()), nullptr, false); }
  static std::vector<json> Findings(const json& report, const std::string& gate = "", const std::string& rule = "") {
    std::vector<json> out;
    if (!report.is_object() || !report.contains("findings")) return out;
    for (const auto& f : report["findings"])
      if ((gate.empty() || f.value("gate", "") == gate) && (rule.empty() || f.value("rule_id", "") == rule))
        out.push_back(f);
    return out;
  }
  static std::set<std::string> Files(const std::vector<json>& fs) {
    std::set<std::string> out;
    for (const auto& f : fs) out.insert(f["location"]["file"].get<std::string>());
    return out;
  }
  static const json* WithMessage(const std::vector<json>& fs, const std::string& part) {
    for (const auto& f : fs)
      if (f.value("message", "").find(part) != std::string::npos) return &f;
    return nullptr;
  }
  static std::set<std::string> Fingerprints(const json& report, const std::string& gate = "") {
    std::set<std::string> out;
    for (const auto& f : Findings(report, gate)) out.insert(f["fingerprint"].get<std::string>());
    return out;
  }
};

// Before: `scan iac` and the gate exited 2 on the first Helm template
// ("{{ include ... }}" is not YAML), the broken .tf or the broken YAML, and
// the message did not say which gate failed.
TEST_F(RepoScanTest, OneBadFileNeverStopsTheGate) {
  Platform();
  auto r = Tg("gate platform " + std::string(kAuthor) + " --format json --output out.json");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  json rep = Report("out.json");
  // Parse errors are findings of their gate, with the line, severity high.
  auto iac_parse = Findings(rep, "iac", "parse-error");
  ASSERT_EQ(iac_parse.size(), 1u) << rep.dump(1);
  EXPECT_EQ(iac_parse[0]["location"]["file"], "infra/envs/prod/broken.tf");
  EXPECT_GT(iac_parse[0]["location"]["line"].get<int>(), 0);
  EXPECT_EQ(iac_parse[0]["severity"], "high");
  // The policy gate reads Terraform too (conftest's hcl2 form): the broken
  // .tf is its parse error as well.
  auto conf_parse = Findings(rep, "conf", "parse-error");
  EXPECT_EQ(Files(conf_parse), (std::set<std::string>{"infra/envs/prod/broken.tf", "services/ledger/broken.yaml"}))
      << rep.dump(1);
  // ...and the rest was scanned: the module's other file, the manifests, the Dockerfile.
  auto iac = Findings(rep, "iac");
  std::set<std::string> files = Files(iac);
  EXPECT_TRUE(files.count("infra/modules/storage/main.tf")) << rep.dump(1);
  EXPECT_TRUE(files.count("infra/modules/network/main.tf"));
  EXPECT_TRUE(files.count("deploy/base/deployment.yaml"));
  EXPECT_TRUE(files.count("services/ledger/Dockerfile"));
  // Helm templates and Kustomize patches are not checked raw: no finding, no
  // parse error, one note per chart and overlay.
  for (const auto& f : files) {
    EXPECT_THAT(f, Not(HasSubstr("templates/"))) << f;
    EXPECT_THAT(f, Not(HasSubstr("overlays/"))) << f;
  }
  for (const auto& f : Files(Findings(rep, "conf"))) {
    EXPECT_THAT(f, Not(HasSubstr("templates/"))) << f;
    EXPECT_THAT(f, Not(HasSubstr("overlays/"))) << f;  // a patch has no image of its own
  }
  EXPECT_EQ(WithMessage(Findings(rep, "conf"), "has no image"), nullptr) << rep.dump(1);
  EXPECT_THAT(r.err, HasSubstr("warning: iac: charts/payments: helm chart: 2 template(s)"));
  EXPECT_THAT(r.err, HasSubstr("iac: charts/payments/charts/redis: helm chart: 1 template(s)"));
  EXPECT_THAT(r.err, HasSubstr("conf: charts/payments: helm chart: 2 raw template(s)"));
  EXPECT_THAT(r.err, HasSubstr("iac: deploy/overlays/prod/kustomization.yaml: kustomize overlay: 2 patch file(s)"));
  EXPECT_THAT(r.err, HasSubstr("conf: deploy/overlays/prod/kustomization.yaml: kustomize overlay: 2 patch file(s)"));
  // JSONC files by their tools' convention are read, not parse errors.
  const auto conf = Findings(rep, "conf");
  const json* ts = WithMessage(conf, "TypeScript strict mode is off");
  ASSERT_NE(ts, nullptr) << rep.dump(1);
  EXPECT_EQ((*ts)["location"]["file"], "web/tsconfig.json");
  for (const auto& f : Files(conf_parse)) EXPECT_THAT(f, Not(HasSubstr(".json")));
  // The ledger records both gates' decisions, with their parse errors.
  auto shown = Tg("ledger show").out;
  EXPECT_THAT(shown, HasSubstr("\"parse_errors\":{\"count\":1"));
}

// Policy findings carry the line of what they are about: the YAML document,
// the Dockerfile instruction, the JSON document.
TEST_F(RepoScanTest, PolicyFindingsCarryLines) {
  Platform();
  ASSERT_EQ(Tg("gate platform " + std::string(kAuthor) + " --format json --output out.json").code, 1);
  const auto conf = Findings(Report("out.json"), "conf");
  const json* debug = WithMessage(conf, "debug is on for 0.0.0.0:8080");
  ASSERT_NE(debug, nullptr);
  EXPECT_EQ((*debug)["location"]["file"], "services/ledger/config.yaml");
  EXPECT_EQ((*debug)["location"]["line"], 5);  // the second document starts after its comment
  const json* latest = WithMessage(conf, "debian:latest uses the latest tag");
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ((*latest)["location"]["line"], 6);  // FROM debian:latest
  const json* ts = WithMessage(conf, "TypeScript strict mode is off");
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ((*ts)["location"]["line"], 1);
}

// `--strict` keeps today's abort, naming the gate; nothing is recorded.
TEST_F(RepoScanTest, StrictKeepsTheAbort) {
  Platform();
  auto r = Tg("gate platform --strict " + std::string(kAuthor));
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("gate 'iac'"));
  EXPECT_THAT(r.err, HasSubstr("broken.tf"));
  EXPECT_EQ(LedgerEntries(), 0u);
  auto s = Tg("scan iac platform/infra --strict");
  EXPECT_EQ(s.code, 2) << s.out << s.err;
  EXPECT_THAT(s.err, HasSubstr("platform/infra/envs/prod/broken.tf:"));
  // Without --strict the same scan reports and goes on.
  auto l = Tg("scan iac platform/infra --format json");
  EXPECT_EQ(l.code, 1);
  EXPECT_THAT(l.out, HasSubstr("\"rule_id\": \"parse-error\""));
}

TEST_F(RepoScanTest, ParseErrorSeverityIsConfigurable) {
  Platform();
  Write("platform/tollgate.yaml",
        "version: 1\n"
        "parse_errors: low\n"
        "gates:\n"
        "  iac: { scanner: iac, fail_on: high, bypass: [security], parse_errors: medium }\n"
        "  conf: { policy: policy, fail_on: high, bypass: [security] }\n");
  ASSERT_EQ(Tg("gate platform " + std::string(kAuthor) + " --format json --output out.json").code, 1);
  json rep = Report("out.json");
  EXPECT_EQ(Findings(rep, "iac", "parse-error").at(0)["severity"], "medium");
  EXPECT_EQ(Findings(rep, "conf", "parse-error").at(0)["severity"], "low");
  Write("platform/tollgate.yaml",
        "gates:\n  s: { import: r.sarif, fail_on: high, bypass: none, exclude: [x] }\n");
  auto bad = Tg("gate platform");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("'exclude' applies only to scanner and policy gates"));
  Write("platform/tollgate.yaml", "parse_errors: severe\ngates:\n  iac: { scanner: iac, bypass: none }\n");
  bad = Tg("gate platform");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("tollgate.yaml:1:15: parse_errors must be one of"));
}

// An excluded file is not read at all: FIFOs there would block any reader.
TEST_F(RepoScanTest, ExcludedFilesAreNeverOpened) {
  Platform();
  Write("platform/tollgate.yaml",
        "version: 1\n"
        "exclude: [\"docs/generated/**\", \"**/*.fifo.yaml\"]\n"
        "gates:\n"
        "  secrets: { scanner: secrets, fail_on: any, bypass: none, exclude: [\"infra/envs/prod/*.tf\"] }\n"
        "  iac: { scanner: iac, fail_on: none, bypass: [security], exclude: [\"infra/envs/prod/*.tf\"] }\n"
        "  conf: { policy: policy, fail_on: none, bypass: [security],\n"
        "          exclude: [\"services/ledger/broken.yaml\", \"infra/envs/prod/*.tf\"] }\n");
  fs::create_directories(dir_ / "platform/docs/generated");
  for (const char* fifo : {"docs/generated/api.yaml", "web/x.fifo.yaml", "infra/envs/prod/pipe.tf"})
    ASSERT_EQ(::mkfifo((dir_ / "platform" / fifo).c_str(), 0644), 0) << fifo;
  auto r = Run("timeout 120 '" + std::string(TOLLGATE_BINARY) + "' gate platform " + kAuthor +
               " --format json --output out.json");
  ASSERT_NE(r.code, 124) << "a reader opened an excluded FIFO";
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  json rep = Report("out.json");
  EXPECT_TRUE(Findings(rep, "", "incomplete-scan").empty()) << rep.dump(1);
  EXPECT_TRUE(Findings(rep, "", "parse-error").empty()) << rep.dump(1);  // broken.tf and broken.yaml are excluded
  // The ledger records what each gate's walk left out by configuration.
  std::map<std::string, json> excluded;  // gate -> payload.exclude
  std::istringstream ledger(Tg("ledger show").out);
  for (std::string line; std::getline(ledger, line);) {
    json e = json::parse(line, nullptr, false);
    if (e.is_object() && e.value("type", "") == "gate.decision")
      excluded[e["payload"]["gate"].get<std::string>()] = e["payload"].value("exclude", json());
  }
  EXPECT_EQ(excluded["secrets"], json({"docs/generated/**", "**/*.fifo.yaml", "infra/envs/prod/*.tf"}));
  EXPECT_EQ(excluded["iac"], json({"docs/generated/**", "**/*.fifo.yaml", "infra/envs/prod/*.tf"}));
  EXPECT_EQ(excluded["conf"],
            json({"docs/generated/**", "**/*.fifo.yaml", "services/ledger/broken.yaml", "infra/envs/prod/*.tf"}));
  // The same FIFO, not excluded, is reported by every scanner that reads its name.
  fs::remove(dir_ / "platform/web/x.fifo.yaml");
  ASSERT_EQ(::mkfifo((dir_ / "platform/web/pipe.yaml").c_str(), 0644), 0);
  auto again = Run("timeout 120 '" + std::string(TOLLGATE_BINARY) + "' gate platform " + kAuthor +
                   " --format json --output again.json");
  ASSERT_NE(again.code, 124);
  json rep2 = Report("again.json");
  std::set<std::string> gates;
  for (const auto& f : Findings(rep2, "", "incomplete-scan")) gates.insert(f["gate"].get<std::string>());
  EXPECT_EQ(gates, (std::set<std::string>{"secrets", "iac", "conf"})) << rep2.dump(1);
}

// `scan secrets|deps|iac --exclude` leave paths out unopened as the gate's
// `exclude:` does; without it, a FIFO where a file would be read is an
// incomplete-scan finding of each scanner, never a hang.
TEST_F(RepoScanTest, ScanCommandsTakeExcludeGlobs) {
  Write("adv/GHSA-tg00-none.json",
        R"({"id": "GHSA-tg00-0002", "modified": "2026-01-01T00:00:00Z", "summary": "x",
            "affected": [{"package": {"ecosystem": "npm", "name": "nothing-installed"},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]})");
  ASSERT_EQ(Tg("db import adv").code, 0);
  Write("repo/main.tf", "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n");
  fs::create_directories(dir_ / "repo/vendor/lib");
  for (const char* fifo : {"vendor/lib/package-lock.json", "vendor/lib/k8s.yaml"})
    ASSERT_EQ(::mkfifo((dir_ / "repo" / fifo).c_str(), 0644), 0) << fifo;
  const std::string tg = "timeout 120 '" + std::string(TOLLGATE_BINARY) + "' ";
  for (const char* scanner : {"secrets", "deps", "iac"}) {
    auto excluded = Run(tg + "scan " + scanner + " repo --exclude 'vendor/**' --fail-on critical --format json");
    ASSERT_NE(excluded.code, 124) << scanner << ": an excluded FIFO was opened";
    EXPECT_EQ(excluded.code, 0) << scanner << excluded.out << excluded.err;
    EXPECT_THAT(excluded.out, Not(HasSubstr("incomplete-scan"))) << scanner;
    auto whole = Run(tg + "scan " + scanner + " repo --fail-on high --format json");
    ASSERT_NE(whole.code, 124) << scanner;
    EXPECT_EQ(whole.code, 1) << scanner << whole.out << whole.err;
    EXPECT_THAT(whole.out, HasSubstr("\"rule_id\": \"incomplete-scan\"")) << scanner;
    EXPECT_THAT(whole.out, HasSubstr("vendor/lib/")) << scanner;
  }
}

// .gitignore holds for every scanner, as it did for secrets.
TEST_F(RepoScanTest, GitignoreHoldsForEveryScanner) {
  Platform();
  ASSERT_EQ(Run("cd platform && git init -q .").code, 0);
  Write("platform/.gitignore", "generated/\n");
  Write("platform/tollgate.yaml",
        "gates:\n"
        "  secrets: { scanner: secrets, fail_on: any, bypass: none }\n"
        "  iac: { scanner: iac, fail_on: none, bypass: [security] }\n"
        "  conf: { policy: policy, fail_on: none, bypass: [security] }\n");
  fs::remove(dir_ / "platform/infra/envs/prod/broken.tf");
  fs::remove(dir_ / "platform/services/ledger/broken.yaml");
  Write("platform/generated/broken.tf", "resource {");
  Write("platform/generated/broken.yaml", "a: [");
  Write("platform/generated/.env", "aws_access_key_id = AKIAQX7TWDN3RH5KLMPZ\n");
  ASSERT_EQ(::mkfifo((dir_ / "platform/generated/pipe.yaml").c_str(), 0644), 0);
  auto r = Run("timeout 120 '" + std::string(TOLLGATE_BINARY) + "' gate platform " + kAuthor +
               " --format json --output out.json");
  ASSERT_NE(r.code, 124);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  for (const auto& f : Files(Findings(Report("out.json")))) EXPECT_THAT(f, Not(HasSubstr("generated/")));
}

// One spelling or another, `scan` or `gate`: the same fingerprints, so a
// waiver made from one matches the other. Before, IaC fingerprints hashed
// the path as typed.
TEST_F(RepoScanTest, FingerprintsAreTheSameForEverySpelling) {
  const std::string abs = Platform();
  ASSERT_EQ(Run("cd platform && git init -q .").code, 0);
  Write("platform/services/ledger/.env", "aws_access_key_id = AKIAQX7TWDN3RH5KLMPZ\n");
  ASSERT_EQ(::mkfifo((dir_ / "platform/services/ledger/socket.yaml").c_str(), 0644), 0);
  // Dependencies: a vulnerable package (content fingerprint) and a lockfile
  // that does not parse (path fingerprint).
  Write("adv/GHSA-tg00-left-pad.json",
        R"({"id": "GHSA-tg00-0001", "modified": "2026-01-01T00:00:00Z", "summary": "left-pad test advisory",
            "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]})");
  ASSERT_EQ(Tg("db import adv").code, 0);
  Write("platform/web/package-lock.json",
        R"({"name": "web", "lockfileVersion": 3, "requires": true,
            "packages": {"": {"name": "web"}, "node_modules/left-pad": {"version": "1.1.0"}}})");
  Write("platform/services/ledger/Pipfile.lock", "{ \"_meta\": ");
  Write("platform/tollgate.yaml",
        "gates:\n"
        "  secrets: { scanner: secrets, fail_on: any, bypass: none }\n"
        "  deps: { scanner: deps, fail_on: high, bypass: [security] }\n"
        "  iac: { scanner: iac, fail_on: high, bypass: [security] }\n"
        "  conf: { policy: policy, fail_on: high, bypass: [security] }\n");
  const std::string tg = "'" + std::string(TOLLGATE_BINARY) + "'";
  std::map<std::string, std::vector<std::string>> spellings = {
      {"iac", {"cd . && " + tg + " scan iac platform", "cd . && " + tg + " scan iac ./platform/",
               "cd . && " + tg + " scan iac '" + abs + "'", "cd platform && " + tg + " scan iac .",
               "cd platform/infra && " + tg + " scan iac .. "}},
      {"secrets", {"cd . && " + tg + " scan secrets platform", "cd platform/web && " + tg + " scan secrets ..",
                   "cd . && " + tg + " scan secrets '" + abs + "/'"}},
      {"deps", {"cd . && " + tg + " scan deps platform", "cd . && " + tg + " scan deps ./platform/",
                "cd platform && " + tg + " scan deps .", "cd platform/web && " + tg + " scan deps ..",
                "cd / && " + tg + " scan deps '" + abs + "'"}}};
  for (const auto& [scanner, commands] : spellings) {
    std::set<std::string> first;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const std::string out = (dir_ / ("s" + std::to_string(i) + ".json")).string();
      auto r = Run("timeout 120 sh -c \"" + commands[i] + " --format json --output '" + out + "'\"");
      ASSERT_EQ(r.code, 1) << commands[i] << "\n" << r.err;
      const json rep = json::parse(Slurp(out));
      auto fps = Fingerprints(rep);
      ASSERT_FALSE(fps.empty()) << commands[i];
      if (scanner == "deps") {  // both kinds: a vulnerability and a parse error
        EXPECT_EQ(Findings(rep, "", "parse-error").size(), 1u) << commands[i] << rep.dump(1);
        EXPECT_EQ(fps.size(), 2u) << commands[i] << rep.dump(1);
      }
      if (i == 0) first = fps;
      EXPECT_EQ(fps, first) << commands[i];
    }
    // The gate, run three ways, records the same.
    for (const std::string& gate_cmd :
         {"cd . && " + tg + " gate platform", "cd platform/web && " + tg + " gate", "cd / && " + tg + " gate '" + abs + "'"}) {
      const std::string out = (dir_ / "g.json").string();
      auto r = Run("timeout 120 sh -c \"" + gate_cmd + " " + kAuthor + " --format json --output '" + out + "'\"");
      ASSERT_EQ(r.code, 1) << gate_cmd << "\n" << r.err;
      json rep = json::parse(Slurp(out));
      EXPECT_EQ(Fingerprints(rep, scanner), first) << scanner << ": " << gate_cmd;
      static std::set<std::string> conf;
      if (conf.empty()) conf = Fingerprints(rep, "conf");
      EXPECT_EQ(Fingerprints(rep, "conf"), conf) << gate_cmd;
    }
  }
}

// One secret that two rules find is one finding: the more specific rule's,
// the other listed.
TEST_F(RepoScanTest, OneSecretIsOneFinding) {
  Write("svc/sonar-project.properties", "sonar.projectKey=ledger\nsonar.login=sqp_1f2e3d4c5b6a79880796a5b4c3d2e1f0a9b8c7d6\n");
  auto r = Tg("scan secrets svc --format json");
  EXPECT_EQ(r.code, 1) << r.err;
  json rep = json::parse(r.out);
  ASSERT_EQ(rep["findings"].size(), 1u) << rep.dump(1);
  const json& f = rep["findings"][0];
  ASSERT_TRUE(f.contains("also_matched")) << f.dump(1);
  EXPECT_EQ(f["also_matched"].size(), 1u);
  EXPECT_NE(f["rule_id"], f["also_matched"][0]);
}

}  // namespace

// `scanner: admission` (issue 15 §2): the Kubernetes objects of the
// repository audited against Gatekeeper constraints in CI, with the same
// walk as the policy gate: raw Helm templates and Kustomize patches are left
// out with a note, a file that does not parse is a finding, documents that
// are not Kubernetes objects (package.json, tsconfig.json) are not reviewed.
TEST_F(RepoScanTest, AdmissionGateAuditsTheManifestsWithGatekeeperConstraints) {
  Platform();
  const std::string data = std::string(TOLLGATE_SOURCE_DIR) + "/tests/admission/testdata";
  Write("platform/tollgate.yaml",
        "version: 1\n"
        "gates:\n"
        "  k8s: { scanner: admission, fail_on: high, bypass: [security] }\n"
        "  labels: { scanner: admission, fail_on: high, bypass: [security],\n"
        "            templates: [\"" + data + "/templates\"], constraints: [\"" + data + "/constraints\"] }\n");
  auto r = Tg("gate platform " + std::string(kAuthor) + " --format json --output out.json");
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  json rep = Report("out.json");
  // the built-in library: the privileged ledger Deployment of deploy/base
  auto privileged = Findings(rep, "k8s", "TgK8sNoPrivileged");
  ASSERT_FALSE(privileged.empty()) << rep.dump(1);
  EXPECT_EQ(privileged[0]["location"]["file"], "deploy/base/deployment.yaml");
  EXPECT_EQ(privileged[0]["location"]["line"], 1);
  EXPECT_THAT(privileged[0]["message"].get<std::string>(), HasSubstr("[tollgate-no-privileged]"));
  // the fixture constraints: a Deployment without an owner label
  auto owner = Findings(rep, "labels", "TestRequiredLabels");
  ASSERT_FALSE(owner.empty()) << rep.dump(1);
  EXPECT_THAT(owner[0]["message"].get<std::string>(), HasSubstr("[must-have-owner]"));
  // the PCI constraint selects namespaces by label, and the repository holds
  // no Namespace 'platform': undecided, so a finding, never a silent pass
  auto undecided = Findings(rep, "labels", "review-error");
  ASSERT_FALSE(undecided.empty()) << rep.dump(1);
  EXPECT_THAT(undecided[0]["message"].get<std::string>(), HasSubstr("namespaceSelector needs the Namespace 'platform'"));
  EXPECT_EQ(undecided[0]["severity"], "high");
  // nothing from raw Helm templates or non-Kubernetes files; the broken YAML is a finding
  for (const auto& f : Findings(rep, "k8s")) {
    EXPECT_THAT(f["location"]["file"].get<std::string>(), Not(HasSubstr("charts/payments/templates")));
    EXPECT_THAT(f["location"]["file"].get<std::string>(), Not(HasSubstr("web/")));
  }
  auto parse = Findings(rep, "k8s", "parse-error");
  ASSERT_EQ(parse.size(), 1u) << rep.dump(1);
  EXPECT_EQ(parse[0]["location"]["file"], "services/ledger/broken.yaml");
  EXPECT_THAT(r.err, HasSubstr("helm chart"));
}

TEST_F(RepoScanTest, AdmissionGateConfigurationErrorsAreExitTwo) {
  Platform();
  for (const auto& [config, message] : std::vector<std::pair<std::string, std::string>>{
           {"gates:\n  k8s: { scanner: admission, templates: [t] }\n", "needs both templates and constraints"},
           {"gates:\n  conf: { policy: policy, templates: [t], constraints: [c] }\n", "'templates' applies only to a 'scanner: admission' gate"},
           {"gates:\n  k8s: { scanner: admission, templates: [nope], constraints: [nope] }\n", "gate 'k8s'"},
           {"gates:\n  k8s: { scanner: admission, rego_version: v0 }\n", "'rego_version' applies only to a 'policy' gate"},
           {"gates:\n  conf: { policy: policy, rego_version: v2 }\n", "rego_version must be v0 or v1"}}) {
    Write("platform/tollgate.yaml", config);
    auto r = Tg("gate platform " + std::string(kAuthor));
    EXPECT_EQ(r.code, 2) << config << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << config;
  }
}

// `rego_version: v0` on a policy gate reads its modules as Rego v0 (the
// conftest policy sets teams already have); without it, v1 refuses the v0
// syntax with OPA's error instead of misreading it.
TEST_F(RepoScanTest, PolicyGateRegoVersionReadsV0Policies) {
  Platform();
  Write("platform/policy/platform.rego",
        "package main\n\n"
        "deny[msg] {\n  input.listen == \"0.0.0.0:8080\"\n  msg := \"listens on every interface\"\n}\n");
  Write("platform/tollgate.yaml", "gates:\n  conf: { policy: policy, fail_on: high, bypass: [security] }\n");
  auto v1 = Tg("gate platform " + std::string(kAuthor));
  EXPECT_EQ(v1.code, 2) << v1.out << v1.err;
  EXPECT_THAT(v1.err, HasSubstr("rego_parse_error"));
  Write("platform/tollgate.yaml", "gates:\n  conf: { policy: policy, fail_on: high, bypass: [security], rego_version: v0,\n"
                                  "          exclude: [\"services/ledger/broken.yaml\", \"infra/envs/prod/broken.tf\"] }\n");
  auto v0 = Tg("gate platform " + std::string(kAuthor) + " --format json --output out.json");
  EXPECT_EQ(v0.code, 1) << v0.out << v0.err;
  bool found = false;
  for (const auto& f : Findings(Report("out.json"), "conf"))
    if (f.value("message", "") == "listens on every interface") found = true;
  EXPECT_TRUE(found) << Report("out.json").dump(1);
}
