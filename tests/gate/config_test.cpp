// tollgate.yaml parsing: valid configurations and every kind of bad input.
#include "gate/config.h"

#include <gtest/gtest.h>

namespace tollgate::gate {
namespace {

TEST(Config, ParsesTheDesignExample) {
  auto c = ParseConfig(R"(version: 1
service: payments-api
compliance: [pci-dss, sox, soc2]
gates:
  secrets:      { scanner: secrets, fail_on: any,  bypass: none }
  dependencies: { scanner: deps,    fail_on: high, bypass: [security] }
  sast:         { import: reports/sast.sarif, fail_on: high, bypass: [security, appsec] }
  compliance:   { policy: policies/, fail_on: none, bypass: [compliance] }
approvals: { required: 2, four_eyes: false }
)",
                       "tollgate.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->service, "payments-api");
  EXPECT_EQ(c->compliance, (std::vector<std::string>{"pci-dss", "sox", "soc2"}));
  ASSERT_EQ(c->gates.size(), 4u);
  EXPECT_EQ(c->gates[0].name, "secrets");
  EXPECT_EQ(c->gates[0].fail_on, Severity::kInfo);
  EXPECT_FALSE(c->gates[0].bypass_allowed);
  EXPECT_EQ(c->gates[0].line, 5);
  EXPECT_EQ(c->gates[2].kind, SourceKind::kImport);
  EXPECT_EQ(c->gates[2].source, "reports/sast.sarif");
  EXPECT_EQ(c->gates[2].bypass_roles, (std::vector<std::string>{"security", "appsec"}));
  EXPECT_EQ(c->gates[3].kind, SourceKind::kPolicy);
  EXPECT_FALSE(c->gates[3].fail_on.has_value());
  EXPECT_EQ(c->approvals.required, 2);
  EXPECT_FALSE(c->approvals.four_eyes);
  EXPECT_EQ(c->FindGate("sast"), &c->gates[2]);
  EXPECT_EQ(c->FindGate("nope"), nullptr);
}

struct BadCase {
  const char* yaml;
  const char* where;  // expected "file:line:col" prefix
  const char* what;   // expected fragment of the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.what; }

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, OneClearLineWithPosition) {
  const BadCase& c = GetParam();
  auto r = ParseConfig(c.yaml, "tollgate.yaml");
  ASSERT_FALSE(r.has_value()) << c.yaml;
  EXPECT_EQ(r.error().exit_code(), ExitCode::kInput);
  const std::string& m = r.error().message();
  EXPECT_EQ(m.rfind(c.where, 0), 0u) << m;
  EXPECT_NE(m.find(c.what), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ConfigErrors,
    ::testing::Values(
        BadCase{"version: 1\ngates:\n  a: { import: x, fail_on: high, bypass: none }\nfoo: 1\n", "tollgate.yaml:4:1", "unknown key 'foo'"},
        BadCase{"gates:\n  a: { import: x, fail_on: high, bypass: none, colour: red }\n", "tollgate.yaml:2:48", "unknown key 'colour'"},
        BadCase{"gates:\n  a: { import: x, fail_on: severe, bypass: none }\n", "tollgate.yaml:2:28", "fail_on must be one of"},
        BadCase{"gates:\n  a: { import: [x], bypass: none }\n", "tollgate.yaml:2:16", "'import' must be a string"},
        BadCase{"gates:\n  a: { import: x, scanner: secrets, bypass: none }\n", "tollgate.yaml:2:6", "exactly one of"},
        BadCase{"gates:\n  a: { import: x }\n", "tollgate.yaml:2:6", "must say who may bypass"},
        BadCase{"gates:\n  a: { import: x, bypass: everyone }\n", "tollgate.yaml:2:27", "list of roles or 'none'"},
        BadCase{"gates:\n  a: { import: x, bypass: [] }\n", "tollgate.yaml:2:27", "lists no roles"},
        BadCase{"version: 2\ngates:\n  a: { import: x, bypass: none }\n", "tollgate.yaml:1:10", "unsupported version"},
        BadCase{"version: one\n", "tollgate.yaml:1:10", "must be an integer"},
        BadCase{"gates: [a, b]\n", "tollgate.yaml:1:8", "must be a mapping"},
        BadCase{"gates:\n  a: { import: x, bypass: none\n", "tollgate.yaml:3:1", "invalid YAML"},
        BadCase{"compliance: [pci-dss, hipaa]\ngates:\n  a: { import: x, bypass: none }\n", "tollgate.yaml:1:13", "unknown compliance framework 'hipaa'"},
        BadCase{"approvals: { required: many }\ngates:\n  a: { import: x, bypass: none }\n", "tollgate.yaml:1:24", "must be an integer"},
        BadCase{"approvals: { four_eyes: maybe }\ngates:\n  a: { import: x, bypass: none }\n", "tollgate.yaml:1:25", "true or false"},
        BadCase{"- just\n- a list\n", "tollgate.yaml", "must be a YAML mapping"},
        BadCase{"service: x\n", "tollgate.yaml", "no gates"}));

TEST(Config, DefaultsGateSecretsWithoutBypass) {
  Config c = DefaultConfig();
  ASSERT_EQ(c.gates.size(), 3u);
  EXPECT_EQ(c.gates[0].source, "secrets");
  EXPECT_FALSE(c.gates[0].bypass_allowed);
  EXPECT_EQ(c.gates[1].fail_on, Severity::kHigh);
  EXPECT_EQ(c.gates[2].source, "iac");
}

TEST(Config, MissingFileIsNotFound) {
  auto r = LoadConfig("/nonexistent/tollgate.yaml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace tollgate::gate
