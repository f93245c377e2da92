// `tollgate baseline create` through the binary (issue 13 §7): the adoption
// path of an old repository, its refusals, and what `gate` then shows.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_harness.h"

namespace {

namespace fs = std::filesystem;

class BaselineCli : public tollgate::testing::CliHarness {
 protected:
  void SetUp() override {
    CliHarness::SetUp();
    ex_ = (dir_ / "payments-api").string();
    fs::copy(fs::path(TOLLGATE_SOURCE_DIR) / "examples" / "payments-api", ex_, fs::copy_options::recursive);
    ASSERT_EQ(Tg("db import '" + ex_ + "/advisories'").code, 0);
  }
  std::string Key(const std::string& who) const { return "'" + ex_ + "/.tollgate/demo-keys/" + who + ".key'"; }
  // baseline create over the example, by `who`, for the change of `author`.
  std::string Create(const std::string& who, const std::string& rest, const std::string& author = "Bob <bob@payments.example>") {
    return "baseline create --path '" + ex_ + "' --key " + Key(who) + " --author '" + author + "' " + rest;
  }
  static bool OneLine(const std::string& s) { return Count(s, '\n') == 1 && s.rfind("tollgate: ", 0) == 0; }
  nlohmann::json Gate(int want) {
    auto r = Tg("gate '" + ex_ + "' --author 'Bob <bob@payments.example>' --commit c0ffee --format json");
    EXPECT_EQ(r.code, want) << r.err;
    return nlohmann::json::parse(r.out);
  }
  static const nlohmann::json& GateOf(const nlohmann::json& report, const std::string& name) {
    for (const auto& g : report["gates"])
      if (g["name"] == name) return g;
    throw std::runtime_error("no gate " + name);
  }

  std::string ex_;
};

const char* kAllButSecrets = "--gate dependencies --gate sast --gate dast --gate infrastructure";

TEST_F(BaselineCli, OldFindingsAreBaselinedNewOnesBlock) {
  // The example's secrets gate allows no bypass: asking for every gate is
  // refused as a whole, naming it, and records nothing.
  auto all = Tg(Create("alice", "--reason adoption --expires 90d"));
  EXPECT_EQ(all.code, 2);
  EXPECT_TRUE(OneLine(all.err)) << all.err;
  EXPECT_NE(all.err.find("gate 'secrets' allows no bypass"), std::string::npos) << all.err;
  EXPECT_EQ(LedgerEntries(), 0u);

  auto r = Tg(Create("alice", std::string("--reason 'adopting Tollgate; PAY-1 tracks the backlog' --expires 90d ") +
                                  kAllButSecrets));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count(r.out, '\n'), 4u) << r.out;
  EXPECT_NE(r.out.find("baseline recorded at ledger index 2: gate dast, 2 findings, service payments-api, by alice (security)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(LedgerEntries(), 4u);

  // Approved by carol, the old findings no longer block; the planted secret still does.
  ASSERT_EQ(Tg("approve --path '" + ex_ + "' --commit c0ffee --key " + Key("carol")).code, 0);
  auto report = Gate(1);
  EXPECT_EQ(GateOf(report, "sast")["decision"], "pass (baselined)");
  EXPECT_EQ(GateOf(report, "infrastructure")["decision"], "pass (baselined)");
  EXPECT_EQ(GateOf(report, "infrastructure")["baselined"], 4);
  EXPECT_EQ(GateOf(report, "secrets")["decision"], "blocked");
  int baselined = 0;  // what blocked before: high and above, medium in infrastructure
  for (const auto& f : report["findings"]) {
    if (!f.contains("baselined")) continue;
    ++baselined;
    EXPECT_NE(f["gate"], "secrets");
    EXPECT_FALSE(f["blocking"].get<bool>());
  }
  EXPECT_EQ(baselined, 6);
  // The decision events record them as baselined, with the baseline's index.
  std::string ledger = Tg("ledger show --type gate.decision").out;
  EXPECT_NE(ledger.find("\"baselined\":[{\"baseline_seq\":1,\"finding\":\"1c4fd5bd"), std::string::npos) << ledger;
  EXPECT_EQ(Tg("ledger verify").code, 0);

  // The text report marks them.
  auto text = Tg("gate '" + ex_ + "' --author 'Bob <bob@payments.example>' --commit c0ffee");
  EXPECT_NE(text.out.find("app/refunds.py:16:11  [baselined]"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(", 6 baselined\n"), std::string::npos) << text.out;

  // A new misconfiguration blocks; the old ones stay baselined.
  Write("payments-api/tools/Dockerfile", "FROM python:3.12-slim\nUSER root\nCMD [\"python\"]\n");
  auto fresh = Gate(1);
  EXPECT_EQ(GateOf(fresh, "infrastructure")["decision"], "blocked");
  EXPECT_EQ(GateOf(fresh, "infrastructure")["blocking"], 1);
  EXPECT_EQ(GateOf(fresh, "infrastructure")["baselined"], 4);
}

TEST_F(BaselineCli, RefusalsAreOneLineExitTwoAndLeaveTheLedgerAlone) {
  const std::string ok = std::string("--reason adoption --expires 90d ") + kAllButSecrets;
  struct Case {
    std::string args;
    const char* says;
  };
  for (const Case& c : {
           Case{Create("bob", ok), "'bob' holds none of the gate's bypass roles (security)"},
           Case{Create("alice", ok, "Alice <alice@payments.example>"), "four-eyes: 'alice' is the author of the change"},
           Case{Create("alice", std::string("--expires 90d ") + kAllButSecrets), "--reason is required"},
           Case{Create("alice", std::string("--reason '' --expires 90d ") + kAllButSecrets), "--reason"},
           Case{Create("alice", std::string("--reason r ") + kAllButSecrets), "--expires is required"},
           Case{Create("alice", std::string("--reason r --expires tomorrow ") + kAllButSecrets), "'tomorrow' is not a date"},
           Case{Create("alice", std::string("--reason r --expires 2020-01-01 ") + kAllButSecrets), "expired 2020-01-01"},
           Case{Create("alice", "--reason r --expires 90d --gate nope"), "no gate named 'nope'"},
           Case{Create("alice", "--reason r --expires 90d --gate secrets"), "gate 'secrets' allows no bypass"},
       }) {
    auto r = Tg(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
    EXPECT_TRUE(OneLine(r.err)) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(fs::exists(ledger_)) << "nothing was recorded";
  // Nor can one be forged through the untyped append path.
  auto forged = Tg("ledger append", "{\"type\":\"baseline\",\"gate\":\"sast\"}\n");
  EXPECT_EQ(forged.code, 2);
  EXPECT_NE(forged.err.find("record it with `tollgate baseline create`"), std::string::npos) << forged.err;
  EXPECT_EQ(Tg("baseline create --help").code, 0);
  EXPECT_EQ(Tg("baseline").code, 2);
}

}  // namespace
