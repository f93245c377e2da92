// The admission commands through the binary: admission review (stdin to
// stdout, --record), policy verify and policy audit.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/finding.h"
#include "support/memory.h"

namespace fs = std::filesystem;
using tollgate::Json;

namespace {

const fs::path kData = fs::path(TOLLGATE_SOURCE_DIR) / "tests/admission/testdata";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliRun {
  int rc = -1;
  std::string out, err;
};

CliRun Tollgate(const std::string& args, const std::string& stdin_text = "") {
  fs::path dir = fs::temp_directory_path() / ("tg_adm_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "in") << stdin_text;
  int rc = std::system((std::string(TOLLGATE_BINARY) + " " + args + " <" + (dir / "in").string() + " >" +
                        (dir / "out").string() + " 2>" + (dir / "err").string())
                           .c_str());
  CliRun r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, Slurp(dir / "out"), Slurp(dir / "err")};
  fs::remove_all(dir);
  return r;
}

std::string Review(const std::string& ns, const std::string& labels) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-123","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":")" +
         ns + R"(","name":"p","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":")" + ns +
         R"(","labels":)" + labels + R"(},"spec":{"containers":[{"name":"c","image":"nginx:1.25"}]}}}})";
}

std::string Policies() {
  return "-t " + (kData / "templates").string() + " -c " + (kData / "constraints").string() + " --inventory " +
         (kData / "inventory/namespaces.yaml").string();
}

}  // namespace

TEST(AdmissionCli, ReviewAnswersAnAdmissionReviewAndExitsOneWhenDenied) {
  CliRun denied = Tollgate("admission review " + Policies(), Review("payments", "{}"));
  EXPECT_EQ(denied.rc, 1) << denied.err;
  Json d = Json::parse(denied.out);
  EXPECT_EQ(d["kind"], "AdmissionReview");
  EXPECT_EQ(d["response"]["uid"], "u-123");
  EXPECT_EQ(d["response"]["allowed"], false);
  EXPECT_EQ(d["response"]["status"]["code"], 403);

  CliRun allowed = Tollgate("admission review " + Policies(), Review("payments", R"({"owner":"team"})"));
  EXPECT_EQ(allowed.rc, 0) << allowed.err;
  EXPECT_EQ(Json::parse(allowed.out)["response"]["allowed"], true);

  // the built-in library answers without flags
  CliRun builtin = Tollgate("admission review", Review("payments", R"({"owner":"team"})"));
  ASSERT_TRUE(builtin.rc == 0 || builtin.rc == 1) << builtin.err;
  EXPECT_EQ(Json::parse(builtin.out)["response"]["uid"], "u-123");
}

TEST(AdmissionCli, BadInputIsExitTwoWithOneLine) {
  for (const std::string& in : {std::string("not json"), std::string(R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"})"),
                                std::string(R"({"kind":"Pod"})"), std::string()}) {
    CliRun r = Tollgate("admission review " + Policies(), in);
    EXPECT_EQ(r.rc, 2) << in;
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  CliRun only_t = Tollgate("admission review -t " + (kData / "templates").string(), Review("payments", "{}"));
  EXPECT_EQ(only_t.rc, 2);
  CliRun missing = Tollgate("admission review -t /nonexistent -c /nonexistent", Review("payments", "{}"));
  EXPECT_EQ(missing.rc, 2);
}

// --record appends one admission event with the object's digest, never its
// contents; an untyped append of that type is refused.
TEST(AdmissionCli, RecordedDecisionsAreInTheLedger) {
  fs::path dir = fs::temp_directory_path() / ("tg_adm_rec_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string ledger = (dir / "l.db").string();
  CliRun r = Tollgate("admission review --record --ledger " + ledger + " " + Policies(), Review("payments", "{}"));
  EXPECT_EQ(r.rc, 1) << r.err;
  CliRun show = Tollgate("ledger show --ledger " + ledger);
  ASSERT_EQ(show.rc, 0) << show.err;
  Json e = Json::parse(show.out.substr(0, show.out.find('\n')));
  const Json& ev = e.contains("event") ? e["event"] : e;
  EXPECT_NE(show.out.find("\"admission\""), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("must-have-owner"), std::string::npos);
  EXPECT_NE(show.out.find("u-123"), std::string::npos);
  EXPECT_EQ(show.out.find("nginx:1.25"), std::string::npos);  // no object contents
  (void)ev;
  CliRun forged = Tollgate("ledger append --ledger " + ledger, R"({"type":"admission","payload":{"allowed":true}})" "\n");
  EXPECT_EQ(forged.rc, 2);
  EXPECT_NE(forged.err.find("reserved"), std::string::npos);
  fs::remove_all(dir);
}

TEST(AdmissionCli, VerifyRunsGatorSuites) {
  CliRun ok = Tollgate("policy verify " + (kData / "suite").string());
  EXPECT_EQ(ok.rc, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("ok\t"), std::string::npos);
  EXPECT_NE(ok.out.find("PASS"), std::string::npos);
  CliRun filtered = Tollgate("policy verify -v --run unique-hosts " + (kData / "suite").string());
  EXPECT_EQ(filtered.rc, 0);
  EXPECT_EQ(filtered.out.find("required-labels"), std::string::npos);
  CliRun none = Tollgate("policy verify " + (kData / "templates").string());
  EXPECT_EQ(none.rc, 2);
  CliRun nothing_ran = Tollgate("policy verify --run no-such-case " + (kData / "suite").string());
  EXPECT_EQ(nothing_ran.rc, 2);
}

TEST(AdmissionCli, AuditReportsFindingsInEveryFormat) {
  fs::path dir = fs::temp_directory_path() / ("tg_adm_aud_" + std::to_string(::getpid()));
  fs::create_directories(dir / "m");
  std::ofstream(dir / "m/app.yaml") << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\n"
                                       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: payments\n";
  const std::string pol = "-t " + (kData / "templates").string() + " -c " + (kData / "constraints").string();
  CliRun text = Tollgate("policy audit " + pol + " " + (dir / "m").string());
  EXPECT_EQ(text.rc, 1) << text.err;
  EXPECT_NE(text.out.find("[must-have-owner]"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("app.yaml:6"), std::string::npos) << text.out;
  CliRun sarif = Tollgate("policy audit " + pol + " --format sarif -o " + (dir / "a.sarif").string() + " " + (dir / "m").string());
  EXPECT_EQ(sarif.rc, 1);
  Json s = Json::parse(Slurp(dir / "a.sarif"));
  EXPECT_EQ(s["runs"][0]["results"].size(), 1u);
  CliRun none = Tollgate("policy audit " + pol + " --fail-on none " + (dir / "m").string());
  EXPECT_EQ(none.rc, 0);
  fs::remove_all(dir);
}

// A `kubectl get -o json` dump of 100,000 objects (27 MB) is audited one item
// at a time: the process stays far below what holding the document would
// take (nlohmann::json needs several times the text).
TEST(AdmissionCli, AuditStreamsAClusterDumpInBoundedMemory) {
  const int kPods = static_cast<int>(tollgate::testing::ScaledForAsan(100000));
  fs::path dir = fs::temp_directory_path() / ("tg_adm_big_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "cluster.json");
    out << R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"payments"}})";
    for (int i = 0; i < kPods; ++i)
      out << R"(,{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p)" << i
          << R"(","namespace":"payments","labels":{)" << (i % 1000 == 0 ? "" : R"("owner":"t")")
          << R"(}},"spec":{"containers":[{"name":"c","image":"registry.example.com/app:1.)" << i % 30
          << R"(","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}})";
    out << "]}";
  }
  const std::string pol = "-t " + (kData / "templates/requiredlabels.yaml").string() + " -c " +
                          (kData / "constraints/owner.yaml").string();
  CliRun r = Tollgate("policy audit " + pol + " --format json -o " + (dir / "out.json").string() + " " +
                      (dir / "cluster.json").string());
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find(std::to_string(kPods + 1) + " objects"), std::string::npos) << r.err;
  Json report = Json::parse(Slurp(dir / "out.json"));
  EXPECT_EQ(report["findings"].size(), static_cast<std::size_t>(kPods / 1000));  // every thousandth pod has no owner
  EXPECT_LT(tollgate::testing::PeakChildRssKb(), tollgate::testing::RssLimitKb(64 * 1024));
  fs::remove_all(dir);
}
