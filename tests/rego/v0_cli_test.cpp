// tollgate policy eval|test|check --v0-compatible, end to end.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_util.h"

namespace tollgate::rego {
namespace {

namespace fs = std::filesystem;
using testing::RunTollgate;

class V0Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tollgate_v0_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "policy");
    std::ofstream(dir_ / "policy" / "k8s.rego") << R"(package main

deny[msg] {
  input.kind == "Deployment"
  input.spec.replicas < 2
  msg := sprintf("%s: replicas must be at least 2", [input.metadata.name])
}

test_denies_one_replica {
  count(deny) == 1 with input as {"kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": 1}}
}
)";
    std::ofstream(dir_ / "d.json") << R"({"kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1}})";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string P(const std::string& s) const { return (dir_ / s).string(); }
  fs::path dir_;
};

TEST_F(V0Cli, EvalRefusesV0InV1ModeAndReadsItWithTheFlag) {
  auto r = RunTollgate("policy eval -d " + P("policy") + " data.main.deny");
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find("`if` keyword is required before rule body"), std::string::npos) << r.out;
  auto ok = RunTollgate("policy eval --v0-compatible -d " + P("policy") + " -i " + P("d.json") + " data.main.deny");
  ASSERT_EQ(ok.rc, 0) << ok.out;
  auto j = nlohmann::json::parse(ok.out);
  EXPECT_EQ(j["result"][0]["expressions"][0]["value"], nlohmann::json::parse(R"(["web: replicas must be at least 2"])"));
}

TEST_F(V0Cli, TestAndCheckAcceptTheFlag) {
  auto t = RunTollgate("policy test --v0-compatible " + P("policy"));
  EXPECT_EQ(t.rc, 0) << t.out;
  EXPECT_NE(t.out.find("PASS: 1/1"), std::string::npos) << t.out;
  auto c = RunTollgate("policy check --v0-compatible -p " + P("policy") + " " + P("d.json"));
  EXPECT_EQ(c.rc, 1) << c.out;
  EXPECT_NE(c.out.find("FAIL - " + P("d.json") + " - main - web: replicas must be at least 2"), std::string::npos) << c.out;
  auto v1 = RunTollgate("policy check -p " + P("policy") + " " + P("d.json"));
  EXPECT_EQ(v1.rc, 2) << v1.out;
}

TEST_F(V0Cli, ConformanceRunsOurV0Suite) {
  auto r = RunTollgate("policy conformance --v0-compatible " + std::string(TOLLGATE_SOURCE_DIR) + "/tests/rego/testdata/v0");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find(" passed, 0 failed, 0 skipped"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tollgate::rego
