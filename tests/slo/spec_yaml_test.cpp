// SLO specs read strictly (issue 14 item 7): duplicate keys are errors at the
// second key; quoted numbers where a number is required are type errors;
// alias bombs are refused (item 10).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "canary/canary.h"
#include "core/yaml_bomb.h"
#include "slo/slo.h"

namespace tollgate::slo {
namespace {

using ::testing::HasSubstr;
using tollgate::testdata::BillionLaughs;

const char* kHead = "version: prometheus/v1\nservice: api\nslos:\n  - name: availability\n";
const char* kSli = "    sli: {raw: {error_ratio_query: \"q[{{.window}}]\"}}\n";

// A reviewer reads 99.99; the first objective used to win.
TEST(SloSpecStrictYaml, DuplicateObjectiveIsAnError) {
  auto s = ParseSpec(std::string(kHead) + "    objective: 90\n" + kSli + "    objective: 99.99\n", "slo.yaml");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "slo.yaml:7:5: key \"objective\" already set in map (first at line 5, column 5)");
}

TEST(SloSpecStrictYaml, QuotedObjectiveIsATypeError) {
  auto s = ParseSpec(std::string(kHead) + "    objective: \"99.9\"\n" + kSli, "slo.yaml");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(),
            "slo.yaml:5:16: 'objective' must be a number, not the quoted string \"99.9\" (write it without quotes)");
}

TEST(SloSpecStrictYaml, DuplicateKeyInALaterOpenSloDocument) {
  auto s = ParseSpec(
      "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: a}\n---\napiVersion: openslo/v1\n"
      "kind: SLO\nkind: SLI\n",
      "openslo.yaml");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message(), HasSubstr("openslo.yaml:7:1: key \"kind\" already set in map"));
}

TEST(SloSpecStrictYaml, AliasBombIsRefused) {
  std::string s = BillionLaughs(std::string(kHead) + "    objective: 99\n" + kSli);
  auto r = ParseSpec(s, "slo.yaml");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("once its aliases are expanded"));
}

TEST(CanaryConfigStrictYaml, DuplicateAndQuotedValuesAreErrors) {
  auto dup = canary::ParseJudgeConfig("confidence: 0.9\nconfidence: 0.99\nmetrics: [{name: a}]\n", "judge.yaml");
  ASSERT_FALSE(dup);
  EXPECT_THAT(dup.error().message(), HasSubstr("judge.yaml:2:1: key \"confidence\" already set in map"));
  auto quoted = canary::ParseJudgeConfig("metrics: [{name: a, critical: \"true\"}]\n", "judge.yaml");
  ASSERT_FALSE(quoted);
  EXPECT_THAT(quoted.error().message(),
              HasSubstr("judge.yaml:1:31: 'critical' must be true or false, not the quoted string"));
}

}  // namespace
}  // namespace tollgate::slo
