// Shared by the gate's library tests (run_test.cpp, baseline_test.cpp): a
// keyring of three people, a ledger in a temporary directory, a one-gate
// configuration and findings to put under it.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "gate/run.h"
#include "ledger/ledger.h"
#include "support/temp_dir.h"

namespace tollgate::gate {

inline TimePoint At(const char* t) { return *ParseRfc3339(t); }

struct People {
  SignerKey alice = *SignerKey::Generate("alice");  // security
  SignerKey bob = *SignerKey::Generate("bob");      // developer
  SignerKey root = *SignerKey::Generate("root");    // security and admin
  std::string KeyringYaml(const std::string& alice_extra = "") const {
    return "keys:\n"
           "  - {name: alice, email: alice@corp.example, key: \"" + alice.verifier().ToString() + "\", roles: [security]" +
           alice_extra + "}\n"
           "  - {name: bob, email: bob@corp.example, key: \"" + bob.verifier().ToString() + "\", roles: [developer]}\n"
           "  - {name: root, email: root@corp.example, key: \"" + root.verifier().ToString() + "\", roles: [security, admin]}\n";
  }
  Keyring Load(const std::string& alice_extra = "") const {
    auto k = Keyring::Parse(KeyringYaml(alice_extra), "keys.yaml");
    EXPECT_TRUE(k.has_value()) << k.error().message();
    return *k;
  }
};

inline Config ParseOk(const std::string& yaml) {
  auto c = ParseConfig(yaml, "tollgate.yaml");
  EXPECT_TRUE(c.has_value()) << c.error().message();
  return *c;
}

inline constexpr const char* kSastConfig =
    "version: 1\n"
    "service: payments-api\n"
    "gates:\n"
    "  sast: { import: sast.sarif, fail_on: high, bypass: [security] }\n";

inline Finding HighFinding(const std::string& fp) {
  Finding f;
  f.rule_id = "sqli";
  f.severity = Severity::kHigh;
  f.message = "SQL injection";
  f.location.file = "app/db.py";
  f.location.line = 3;
  f.fingerprint = fp;
  return f;
}

inline std::string Fp(char c) { return std::string(64, c); }

struct Fixture {
  tollgate::testing::TempDir dir;
  FixedClock clock{At("2026-06-15T00:00:00Z")};
  std::unique_ptr<ledger::Ledger> ledger;
  Fixture() {
    auto l = ledger::Ledger::Open((dir.path() / "ledger.db").string(), ledger::OpenMode::kCreate, clock);
    EXPECT_TRUE(l.has_value()) << l.error().message();
    ledger = std::move(*l);
  }
};

inline Submission OneFinding(const std::string& service, const Author& author, const std::string& fp = Fp('a')) {
  Submission s;
  s.service = service;
  s.commit = std::string(40, 'c');
  s.author = author;
  s.findings = {{HighFinding(fp)}};
  return s;
}

}  // namespace tollgate::gate
