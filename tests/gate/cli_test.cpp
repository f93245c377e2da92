// End-to-end tests of the tollgate binary: flags, output shapes, exit codes,
// and that bad input leaves the ledger untouched.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_harness.h"

namespace {

namespace fs = std::filesystem;

class CliTest : public tollgate::testing::CliHarness {
 protected:
  std::size_t LedgerLines() { return Count(Tg("ledger show").out, '\n'); }
  // Copies the bundled example into the temp dir so tests never write into the source tree.
  std::string Example() {
    fs::path dst = dir_ / "payments-api";
    fs::copy(fs::path(TOLLGATE_SOURCE_DIR) / "examples" / "payments-api", dst, fs::copy_options::recursive);
    return dst.string();
  }
  static bool OneLine(const std::string& s) { return Count(s, '\n') == 1 && s.rfind("tollgate: ", 0) == 0; }
};

TEST_F(CliTest, HelpAndVersion) {
  auto h = Tg("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("ledger"), std::string::npos);
  EXPECT_NE(h.out.find("Exit codes"), std::string::npos);
  EXPECT_EQ(Tg("ledger append --help").code, 0);
  EXPECT_EQ(Tg("--version").code, 0);
  EXPECT_EQ(Tg("no-such-command").code, 2);
  EXPECT_EQ(Tg("ledger proof inclusion").code, 2);  // --index is required
}

// Issue 13 §7: with the report in a file, the CI log gets the gates table and
// the totals only; --quiet prints nothing but errors.
TEST_F(CliTest, GateWithAReportFileLogsTheSummaryAndQuietLogsNothing) {
  std::string ex = Example();
  ASSERT_EQ(Tg("db import '" + ex + "/advisories'").code, 0);
  auto r = Tg("gate '" + ex + "' --author 'Bob <bob@payments.example>' --commit c0ffee --format sarif --output gate.sarif");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.out.find("Gates\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Overall: BLOCKED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recorded: ledger entries"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Findings"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("fingerprint"), std::string::npos) << r.out;
  const auto sarif = nlohmann::json::parse(Slurp((dir_ / "gate.sarif").string()));
  EXPECT_FALSE(sarif["runs"][0]["results"].empty());

  auto q = Tg("gate '" + ex + "' --author 'Bob <bob@payments.example>' --commit c0ffee --quiet --format json -o gate.json");
  EXPECT_EQ(q.code, 1);
  EXPECT_EQ(q.out, "");
  EXPECT_EQ(q.err, "");
  EXPECT_EQ(nlohmann::json::parse(Slurp((dir_ / "gate.json").string()))["overall"], "blocked");
  auto errors = Tg("gate '" + ex + "' --quiet --config missing.yaml");
  EXPECT_EQ(errors.code, 2);
  EXPECT_TRUE(OneLine(errors.err)) << errors.err;  // errors still go to stderr
}

// An empty value never means "the default": --db "" or --ledger "" (an unset
// variable in a CI script) is an error, not the user cache or
// .tollgate/ledger.db.
TEST_F(CliTest, EmptyOptionValuesAreErrorsNotDefaults) {
  auto db = Tg("scan deps . --db ''");
  EXPECT_EQ(db.code, 2);
  EXPECT_EQ(db.err, "tollgate: --db must not be empty (see --help)\n");
  auto ledger = Tg("ledger verify --ledger ''");
  EXPECT_EQ(ledger.code, 2);
  EXPECT_EQ(ledger.err, "tollgate: --ledger must not be empty (see --help)\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".tollgate"));
  auto positional = Tg("scan secrets ''");
  EXPECT_EQ(positional.code, 2);
  EXPECT_NE(positional.err.find("must not be empty"), std::string::npos) << positional.err;
}

// Issue 13 §7: a mistyped command names the command it was probably meant to be.
TEST_F(CliTest, MistypedCommandsGetDidYouMean) {
  auto secret = Tg("scan secret app");
  EXPECT_EQ(secret.code, 2);
  EXPECT_EQ(secret.err, "tollgate: unknown command 'scan secret' (did you mean 'scan secrets'?) (see --help)\n");
  EXPECT_NE(Tg("sacn secrets .").err.find("did you mean 'scan'?"), std::string::npos);
  EXPECT_NE(Tg("ledger verfiy").err.find("did you mean 'ledger verify'?"), std::string::npos);  // a transposition
  EXPECT_NE(Tg("event incident opne").err.find("did you mean 'event incident open'?"), std::string::npos);
  // Nothing close: the commands that exist there, on one line.
  auto none = Tg("xyzzy");
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(OneLine(none.err)) << none.err;
  EXPECT_NE(none.err.find("the commands of `tollgate` are: keys, ledger, scan, gate"), std::string::npos) << none.err;
  // What was typed is echoed with its control characters escaped, never raw.
  auto escape = Tg("\"$(printf 'sca\\033[31mn')\"");
  EXPECT_EQ(escape.code, 2);
  EXPECT_EQ(escape.err.find('\033'), std::string::npos) << escape.err;
  EXPECT_NE(escape.err.find("\\u001b[31m"), std::string::npos) << escape.err;
  // A command's own arguments and options are not commands.
  EXPECT_EQ(Tg("ledger verify --ledger missing.db").err.find("unknown command"), std::string::npos);
}

TEST_F(CliTest, KeysGenWritesPairAndRefusesOverwrite) {
  auto r = Tg("keys gen --out keys/ci");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Slurp((dir_ / "keys/ci").string()).rfind("PRIVATE+KEY+ci+", 0), 0u);
  EXPECT_EQ(Slurp((dir_ / "keys/ci.pub").string()).rfind("ci+", 0), 0u);
  EXPECT_EQ((fs::status(dir_ / "keys/ci").permissions() & fs::perms::others_read), fs::perms::none);
  auto again = Tg("keys gen --out keys/ci");
  EXPECT_EQ(again.code, 2);
  EXPECT_TRUE(OneLine(again.err)) << again.err;
}

TEST_F(CliTest, AppendPrintsIndexAndLeafHashAndRejectsBadBatchesWhole) {
  auto r = Tg("ledger append", "{\"type\":\"a\"}\n\n{\"type\":\"b\",\"payload\":{\"x\":1}}\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Count(r.out, '\n'), 2u);
  EXPECT_EQ(r.out.rfind("0 ", 0), 0u);
  EXPECT_EQ(r.out.find('\n'), 66u);  // "0 " + 64 hex
  EXPECT_EQ(LedgerLines(), 2u);

  struct Bad {
    std::string input;
    std::string where;
  } bad[] = {
      {"{\"type\":\"ok\"}\nnot json\n", "stdin:2:"},
      {"{\"type\":\"ok\"}\n{\"payload\":1}\n", "stdin:2"},
      {"{\"type\":\"ok\"}\n[1,2]\n", "stdin:2"},
      {"{\"type\":\"ok\",\"type\":\"twice\"}\n", "stdin:1:"},
      {"{\"type\":\"ok\",\"seq\":4}\n", "stdin:1"},
      {"{\"type\":\"ok\",\"time\":\"last tuesday\"}\n", "stdin:1"},
      {"{\"type\":\"ok\",\"n\":123456789012345678901234567890}\n", ""},
      {"", "stdin"},
  };
  for (const auto& b : bad) {
    auto e = Tg("ledger append", b.input);
    EXPECT_EQ(e.code, 2) << b.input << e.err;
    EXPECT_TRUE(OneLine(e.err)) << e.err;
    EXPECT_NE(e.err.find(b.where), std::string::npos) << e.err;
    EXPECT_EQ(LedgerLines(), 2u) << "a rejected batch changed the ledger: " << b.input;
  }
}

TEST_F(CliTest, VerifyProofsCheckpointsAndExport) {
  ASSERT_EQ(Tg("keys gen --out k").code, 0);
  std::string events;
  for (int i = 0; i < 40; ++i) events += "{\"type\":\"test\",\"payload\":{\"n\":" + std::to_string(i) + "}}\n";
  ASSERT_EQ(Tg("ledger append --key k", events).code, 0);
  auto v = Tg("ledger verify --trusted-key k.pub");
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find("40 entries"), std::string::npos);

  auto inc = Tg("ledger proof inclusion --index 7");
  ASSERT_EQ(inc.code, 0);
  auto j = nlohmann::json::parse(inc.out);
  EXPECT_EQ(j["index"], 7);
  EXPECT_EQ(j["tree_size"], 40);
  EXPECT_EQ(j["proof"].size(), 6u);
  auto cons = Tg("ledger proof consistency --from 10 --to 40");
  ASSERT_EQ(cons.code, 0);
  EXPECT_FALSE(nlohmann::json::parse(cons.out)["proof"].empty());
  EXPECT_EQ(Tg("ledger proof inclusion --index 40").code, 2);
  EXPECT_EQ(Tg("ledger proof consistency --from 10 --to 41").code, 2);

  auto cp = Tg("ledger checkpoint --key k");
  ASSERT_EQ(cp.code, 0);
  EXPECT_NE(cp.out.find("\n40\n"), std::string::npos);
  EXPECT_NE(cp.out.find("\xE2\x80\x94 k "), std::string::npos);
  EXPECT_EQ(Tg("ledger checkpoint").code, 2);  // no key

  ASSERT_EQ(Tg("ledger export --output b.json").code, 0);
  EXPECT_EQ(Tg("ledger verify --bundle b.json --trusted-key k.pub").code, 0);
  std::string bundle = Slurp((dir_ / "b.json").string());
  auto pos = bundle.find("\"n\": 17");
  ASSERT_NE(pos, std::string::npos);
  bundle.replace(pos, 7, "\"n\": 71");
  Write("b.json", bundle);
  auto bad = Tg("ledger verify --bundle b.json");
  EXPECT_EQ(bad.code, 3);
  EXPECT_TRUE(OneLine(bad.err)) << bad.err;
  EXPECT_NE(bad.err.find("entry 17"), std::string::npos) << bad.err;

  // Another key is not trusted.
  ASSERT_EQ(Tg("keys gen --out other").code, 0);
  EXPECT_EQ(Tg("ledger verify --trusted-key other.pub").code, 3);
}

TEST_F(CliTest, MissingCorruptLedgerAndBadKeys) {
  auto missing = Tg("ledger verify --ledger nope.db");
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(OneLine(missing.err)) << missing.err;
  Write("junk.db", std::string(4096, 'j'));
  auto corrupt = Tg("ledger verify --ledger junk.db");
  EXPECT_EQ(corrupt.code, 3) << corrupt.err;
  EXPECT_TRUE(OneLine(corrupt.err)) << corrupt.err;
  EXPECT_EQ(Slurp((dir_ / "junk.db").string()), std::string(4096, 'j'));
  Write("bad.key", "PRIVATE+KEY+x+00000000+AAAA\n");
  auto badkey = Tg("ledger append --key bad.key", "{\"type\":\"a\"}\n");
  EXPECT_EQ(badkey.code, 2);
  EXPECT_TRUE(OneLine(badkey.err)) << badkey.err;
  EXPECT_EQ(badkey.err.find("AAAA"), std::string::npos) << "key material echoed";
  EXPECT_EQ(Tg("ledger append --key nonexistent.key", "{\"type\":\"a\"}\n").code, 2);
  EXPECT_FALSE(fs::exists(ledger_));
}

TEST_F(CliTest, ScanImportFormatsAndBadSarif) {
  std::string ex = Example();
  auto text = Tg("scan import '" + ex + "/reports/sast.sarif' --gate sast");
  EXPECT_EQ(text.code, 1);  // findings at or above --fail-on any
  EXPECT_NE(text.out.find("app/refunds.py:16"), std::string::npos);
  EXPECT_EQ(Tg("scan import '" + ex + "/reports/sast.sarif' --gate sast --fail-on critical").code, 0);
  auto junit = Tg("scan import '" + ex + "/reports/sast.sarif' --gate sast --format junit --output r.xml");
  EXPECT_EQ(junit.code, 1);
  EXPECT_NE(Slurp((dir_ / "r.xml").string()).find("<testsuites"), std::string::npos);
  auto json = Tg("scan import '" + ex + "/reports/dast.sarif' --gate dast --format json");
  EXPECT_EQ(nlohmann::json::parse(json.out)["findings"].size(), 2u);

  Write("bad.sarif", "{\"version\":\"2.1.0\",\n \"runs\": [ {\"results\": 5} ]\n}");
  auto bad = Tg("scan import bad.sarif --gate sast");
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(OneLine(bad.err)) << bad.err;
  EXPECT_NE(bad.err.find("bad.sarif"), std::string::npos);
  Write("trunc.sarif", "{\"version\":\"2.1.0\",\n \"runs\": [");
  auto trunc = Tg("scan import trunc.sarif --gate sast");
  EXPECT_EQ(trunc.code, 2);
  EXPECT_NE(trunc.err.find("trunc.sarif:2:"), std::string::npos) << trunc.err;
  EXPECT_EQ(Tg("scan import nope.sarif --gate sast").code, 2);
}

// A report that cannot be written to standard output (a full disk behind a
// redirection) exited 0 with the report lost; it is an I/O failure (exit 4).
TEST_F(CliTest, ReportThatCannotBeWrittenToStdoutIsAFailure) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  std::string ex = Example();
  auto full = Run(std::string("sh -c \"'") + TOLLGATE_BINARY + "' scan import '" + ex +
                  "/reports/sast.sarif' --gate sast --fail-on none >/dev/full\"");
  EXPECT_EQ(full.code, 4) << full.err;
  EXPECT_EQ(full.err, "tollgate: cannot write to standard output: what it printed is incomplete\n");
  // The same to a file that takes it: exit 0.
  EXPECT_EQ(Tg("scan import '" + ex + "/reports/sast.sarif' --gate sast --fail-on none").code, 0);
}

TEST_F(CliTest, GateBlocksThenWaiverAndApprovalLetItPass) {
  std::string ex = Example();
  std::string keys = ex + "/.tollgate/demo-keys/";
  const std::string author = "--author 'Bob <bob@payments.example>' --commit c0ffee";
  // The dependencies gate reads the example's OSV advisories, imported offline.
  ASSERT_EQ(Tg("db import '" + ex + "/advisories'").code, 0);
  auto blocked = Tg("gate '" + ex + "' " + author + " --format json");
  ASSERT_EQ(blocked.code, 1) << blocked.err;
  auto report = nlohmann::json::parse(blocked.out);
  EXPECT_EQ(report["overall"], "blocked");
  std::string fp;
  for (const auto& f : report["findings"])
    if (f["severity"] == "high" && f["gate"] == "sast") fp = f["fingerprint"];
  ASSERT_EQ(fp.size(), 64u);
  EXPECT_EQ(LedgerLines(), 6u);  // secrets, dependencies, sast, dast, infrastructure, overall

  std::string waive = "waive --path '" + ex + "' --gate sast --finding " + fp + " --reason r --expires 2099-01-01";
  // Bob holds no bypass role; an expired date, an unknown gate and a gate
  // without bypass are refused; none of them touches the ledger.
  EXPECT_EQ(Tg(waive + " --key '" + keys + "bob.key'").code, 2);
  EXPECT_EQ(Tg("waive --path '" + ex + "' --gate sast --finding " + fp + " --reason r --expires 2020-01-01 --key '" + keys + "alice.key'").code, 2);
  EXPECT_EQ(Tg("waive --path '" + ex + "' --gate nope --finding " + fp + " --reason r --expires 2099-01-01 --key '" + keys + "alice.key'").code, 2);
  EXPECT_EQ(LedgerLines(), 6u);

  ASSERT_EQ(Tg(waive + " --key '" + keys + "alice.key'").code, 0);
  EXPECT_EQ(Tg("gate '" + ex + "' " + author).code, 1) << "approval still missing";
  // Alice wrote this change herself: her waiver does not count (four-eyes).
  auto self = Tg("gate '" + ex + "' --author 'Alice <alice@payments.example>' --commit c0ffee --format json");
  EXPECT_EQ(self.code, 1);
  EXPECT_NE(self.out.find("four-eyes"), std::string::npos);

  // Bob cannot approve his own change; Carol can.
  ASSERT_EQ(Tg("approve --path '" + ex + "' --commit c0ffee --key '" + keys + "bob.key'").code, 0);
  EXPECT_EQ(Tg("gate '" + ex + "' " + author).code, 1);
  ASSERT_EQ(Tg("approve --path '" + ex + "' --commit c0ffee --key '" + keys + "carol.key'").code, 0);
  // The planted Stripe key still blocks: the secrets gate allows no bypass.
  std::string secret_fp;
  auto with_secret = Tg("gate '" + ex + "' " + author + " --format json");
  EXPECT_EQ(with_secret.code, 1);
  const auto with_secret_json = nlohmann::json::parse(with_secret.out);
  for (const auto& f : with_secret_json["findings"])
    if (f["gate"] == "secrets") secret_fp = f["fingerprint"];
  ASSERT_EQ(secret_fp.size(), 64u);
  auto refused = Tg("waive --path '" + ex + "' --gate secrets --finding " + secret_fp +
                    " --reason r --expires 2099-01-01 --key '" + keys + "alice.key'");
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("allows no bypass"), std::string::npos) << refused.err;
  // Rotated and removed, the vulnerable dependency upgraded: the gate passes.
  Write("payments-api/app/settings.py", "STRIPE_SECRET_KEY = os.environ[\"STRIPE_SECRET_KEY\"]\n");
  Write("payments-api/requirements.txt", "flask==3.0.3\nsqlalchemy==2.0.30\nurllib3==1.26.5\n");
  // The planted infrastructure misconfigurations fixed, as in the demo.
  auto fix = [&](const std::string& rel, const std::string& from, const std::string& to) {
    std::string text = Slurp((dir_ / rel).string());
    auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << rel << ": " << from;
    Write(rel, text.replace(at, from.size(), to));
  };
  fix("payments-api/infra/main.tf", "\"public-read\"", "\"private\"");
  fix("payments-api/infra/main.tf", "[\"0.0.0.0/0\"]", "[\"10.20.0.0/16\"]");
  fix("payments-api/k8s/deployment.yaml", "privileged: true", "privileged: false");
  fix("payments-api/Dockerfile", "USER root", "USER payments");
  auto pass = Tg("gate '" + ex + "' " + author + " --format sarif --output out.sarif");
  EXPECT_EQ(pass.code, 0) << pass.out << pass.err;
  EXPECT_NE(pass.out.find("pass (waived)"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "out.sarif"));
  EXPECT_EQ(Tg("ledger verify").code, 0);

  // The ledger holds fingerprints and counts, not finding text.
  std::string all = Tg("ledger show").out;
  EXPECT_EQ(all.find("SQL Injection"), std::string::npos);
  EXPECT_NE(all.find(fp), std::string::npos);
}

// A file the secrets scanner could not read is not silently passed: the gate
// names it on stderr (and still decides on what it could read).
TEST_F(CliTest, GateWarnsAboutWhatItsScannersSkipped) {
  std::string ex = Example();
  Write("payments-api/tollgate.yaml", "gates:\n  secrets: { scanner: secrets, fail_on: any, bypass: none }\n");
  fs::create_symlink("no-such-file.env", fs::path(ex) / "app" / "broken.env");
  auto r = Tg("gate '" + ex + "' --author 'Bob <bob@payments.example>' --commit c0ffee");
  EXPECT_EQ(r.code, 1) << r.err;  // the planted key still blocks
  EXPECT_NE(r.err.find("tollgate: warning: secrets: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("broken.env: skipped: broken symlink"), std::string::npos) << r.err;
}

TEST_F(CliTest, GateConfigErrorsLeaveLedgerUntouched) {
  std::string ex = Example();
  Write("payments-api/tollgate.yaml", "version: 1\ngates:\n  sast: { import: reports/sast.sarif, fail_on: hgih, bypass: none }\n");
  auto r = Tg("gate '" + ex + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(OneLine(r.err)) << r.err;
  EXPECT_NE(r.err.find("tollgate.yaml:3:"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(ledger_));

  Write("payments-api/tollgate.yaml", "gates:\n  sast: { import: reports/missing.sarif, bypass: none }\n");
  auto missing = Tg("gate '" + ex + "'");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("gate 'sast'"), std::string::npos) << missing.err;

  // A scanner that is not built is a configuration error naming it, never a pass.
  Write("payments-api/tollgate.yaml", "gates:\n  s: { scanner: kubescape, bypass: none }\n");
  auto unknown = Tg("gate '" + ex + "'");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("kubescape"), std::string::npos);
  EXPECT_FALSE(fs::exists(ledger_));

  Write("payments-api/tollgate.yaml", "gates:\n  sast: { import: reports/sast.sarif, bypass: [security] }\n");
  Write("payments-api/.tollgate/keys.yaml", "keys: [ {name: x");
  auto ring = Tg("gate '" + ex + "'");
  EXPECT_EQ(ring.code, 2);
  EXPECT_NE(ring.err.find("keys.yaml:"), std::string::npos) << ring.err;
  EXPECT_FALSE(fs::exists(ledger_));
}

}  // namespace
