// The keyring read strictly (issue 14 item 7): a duplicate key inside an
// entry (two `roles:`) is an error at the second key, not the first value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/yaml_bomb.h"
#include "gate/waiver.h"

namespace tollgate::gate {
namespace {

using ::testing::HasSubstr;
using tollgate::testdata::BillionLaughs;

TEST(KeyringStrictYaml, DuplicateRolesKeyIsAnError) {
  SignerKey alice = *SignerKey::Generate("alice");
  const std::string yaml = "keys:\n  - name: alice\n    key: \"" + alice.verifier().ToString() +
                           "\"\n    roles: [developer]\n    roles: [security, admin]\n";
  auto k = Keyring::Parse(yaml, "keys.yaml");
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().message(), "keys.yaml:5:5: key \"roles\" already set in map (first at line 4, column 5)");
}

TEST(KeyringStrictYaml, DuplicateKeysListAndSecondDocumentAreErrors) {
  auto dup = Keyring::Parse("keys: []\nkeys: []\n", "keys.yaml");
  ASSERT_FALSE(dup);
  EXPECT_THAT(dup.error().message(), HasSubstr("keys.yaml:2:1: key \"keys\" already set in map"));
  auto two = Keyring::Parse("keys: []\n---\nkeys: []\n", "keys.yaml");
  ASSERT_FALSE(two);
  EXPECT_THAT(two.error().message(), HasSubstr("keys.yaml:2:1: a second YAML document"));
}

TEST(KeyringStrictYaml, AliasBombIsRefused) {
  std::string s = BillionLaughs("keys: []\n");
  auto k = Keyring::Parse(s, "keys.yaml");
  ASSERT_FALSE(k);
  EXPECT_THAT(k.error().message(), HasSubstr("once its aliases are expanded"));
}

}  // namespace
}  // namespace tollgate::gate
