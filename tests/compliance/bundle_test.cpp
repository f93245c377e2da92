// tollgate report bundle and ledger verify --bundle DIR (issue 18), end to
// end through the binary. Leaf hashes are recomputed with python3's hashlib
// and sha256sum, never with Tollgate's own hash code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "compliance/compliance.h"
#include "support/cli_harness.h"
#include "support/memory.h"

namespace tollgate::compliance {
namespace {

namespace fs = std::filesystem;
using testing::CliHarness;

class ReportBundle : public CliHarness {
 protected:
  void SetUp() override {
    CliHarness::SetUp();
    // The quarter of testdata/ledger.jsonl, signed, and a waiver carrying
    // its signer's public key (which the bundle must ship).
    FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
    auto l = ledger::Ledger::Open(ledger_, ledger::OpenMode::kCreate, clock);
    ASSERT_TRUE(l) << l.error().message();
    std::vector<Json> events;
    std::istringstream in(Slurp(std::string(TOLLGATE_SOURCE_DIR) + "/tests/compliance/testdata/ledger.jsonl"));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) events.push_back(Json::parse(line));
    auto signer = SignerKey::Generate("carol-security");
    ASSERT_TRUE(signer);
    signer_key_ = signer->verifier().ToString();
    events.push_back(Json{{"type", "waiver"}, {"time", "2026-10-20T00:00:00Z"}, {"approver", "carol"},
                          {"key", signer_key_}, {"fingerprint", "F9"}, {"reason", "vendor fix pending"}});
    auto key = SignerKey::Generate("bundle-test-ledger");
    ASSERT_TRUE(key);
    auto r = (*l)->Append(std::move(events), &*key);
    ASSERT_TRUE(r) << r.error().message();
    size_ = r->size();
    leaf3_ = ledger::HashHex((*r)[3].leaf_hash);
  }

  testing::CmdResult Bundle(const std::string& out, const std::string& extra = "") {
    return Tg("report bundle --framework sox --framework pci-dss --from 2026-10-01 --to 2026-11-01 --output " + out +
              " " + extra);
  }
  fs::path Dir(const std::string& rel) const { return dir_ / rel; }
  // Nothing but `expected` in the test directory besides the ledger and
  // the harness's own files (no temporary bundle left behind).
  std::vector<std::string> Leftovers() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string n = e.path().filename().string();
      if (n.find(".tmp-") != std::string::npos || n.find(".old-") != std::string::npos) out.push_back(n);
    }
    return out;
  }
  void FlipByte(const fs::path& p, std::size_t at) {
    std::string s = Slurp(p.string());
    ASSERT_LT(at, s.size());
    s[at] = static_cast<char>(s[at] ^ 0x01);
    std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
  }
  // A fresh copy of the bundle `audit` to damage.
  fs::path Copy(const std::string& name) {
    fs::copy(Dir("audit"), Dir(name), fs::copy_options::recursive);
    return Dir(name);
  }

  std::string signer_key_;
  std::size_t size_ = 0;
  std::string leaf3_;
};

TEST_F(ReportBundle, HoldsReportsExportCheckpointsKeysAndEntryBytesThatStandardToolsVerify) {
  auto r = Bundle("audit");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"MANIFEST", "ledger.json", "reports/sox.json", "reports/sox.oscal.json", "reports/sox.html",
                        "reports/pci-dss.json", "reports/pci-dss.oscal.json", "reports/pci-dss.html",
                        "keys/ledger/bundle-test-ledger.pub", "keys/signers/carol-security.pub",
                        "entries/000000000.json"})
    EXPECT_TRUE(fs::is_regular_file(Dir("audit") / f)) << f;
  EXPECT_EQ(Slurp(Dir("audit/keys/signers/carol-security.pub").string()), signer_key_ + "\n");
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(Dir("audit/entries"))) if (e.is_regular_file()) ++entries;
  EXPECT_EQ(entries, size_);
  EXPECT_FALSE(fs::is_empty(Dir("audit/checkpoints")));

  // RFC 9162: leaf hash = SHA-256(0x00 || stored bytes), by python3's hashlib
  // and by the shell command docs/ledger-format.md gives.
  auto py = Run("python3 -c \"import hashlib,sys; print(hashlib.sha256(b'\\x00' + open(sys.argv[1],'rb').read()).hexdigest())\" "
                "audit/entries/000000003.json");
  ASSERT_EQ(py.code, 0) << py.err;
  EXPECT_EQ(py.out, leaf3_ + "\n");
  auto sh = Run("sh -c \"cd audit && (printf '\\000'; cat entries/000000003.json) | sha256sum\"");
  ASSERT_EQ(sh.code, 0) << sh.err;
  EXPECT_EQ(sh.out, leaf3_ + "  -\n");
  // The MANIFEST is what sha256sum -c reads.
  auto c = Run("cd audit && sha256sum --quiet -c MANIFEST");
  EXPECT_EQ(c.code, 0) << c.out << c.err;

  auto v = Tg("ledger verify --bundle audit");
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find(std::to_string(size_) + " entries"), std::string::npos) << v.out;
  // The consistency line names the bundle's checkpoint file, never an empty name.
  EXPECT_NE(v.out.find("extends audit/checkpoints/"), std::string::npos) << v.out;
  EXPECT_EQ(v.out.find("extends :"), std::string::npos) << v.out;
  // The file form still works, and the reports name the verified root.
  auto f = Tg("ledger verify --bundle audit/ledger.json");
  EXPECT_EQ(f.code, 0) << f.err;
  Json report = Json::parse(Slurp(Dir("audit/reports/sox.json").string()));
  EXPECT_EQ(report["ledger"]["size"], size_);
  EXPECT_NE(v.out.find(report["ledger"]["root"].get<std::string>()), std::string::npos) << v.out;
  // A pinned key from elsewhere: the right one passes, another fails.
  Run("cp audit/keys/ledger/bundle-test-ledger.pub pinned.pub");
  EXPECT_EQ(Tg("ledger verify --bundle audit --trusted-key pinned.pub").code, 0);
  ASSERT_EQ(Tg("keys gen --out other").code, 0);
  EXPECT_EQ(Tg("ledger verify --bundle audit --trusted-key other.pub").code, 3);
}

TEST_F(ReportBundle, EachTamperingFailsWithExitThreeNamingTheFile) {
  ASSERT_EQ(Bundle("audit").code, 0);
  struct Case {
    std::string name;
    std::string file;  // what the message must name
    std::function<void(const fs::path&)> damage;
  };
  const std::vector<Case> cases = {
      {"entry", "entries/000000005.json", [&](const fs::path& d) { FlipByte(d / "entries/000000005.json", 10); }},
      {"report", "reports/sox.html", [&](const fs::path& d) { FlipByte(d / "reports/sox.html", 200); }},
      {"checkpoint", "checkpoints/", [&](const fs::path& d) {
         for (const auto& e : fs::directory_iterator(d / "checkpoints")) FlipByte(e.path(), 5);
       }},
      {"ledger", "ledger.json", [&](const fs::path& d) { FlipByte(d / "ledger.json", 300); }},
      {"deleted", "entries/000000002.json", [&](const fs::path& d) { fs::remove(d / "entries/000000002.json"); }},
      {"deleted report", "reports/pci-dss.oscal.json", [&](const fs::path& d) { fs::remove(d / "reports/pci-dss.oscal.json"); }},
      {"added", "entries/extra.json", [&](const fs::path& d) { std::ofstream(d / "entries/extra.json") << "{}"; }},
      {"manifest", "MANIFEST", [&](const fs::path& d) { fs::remove(d / "MANIFEST"); }},
      // Past the MANIFEST: an entry changed and its digest rewritten to match.
      {"entry and manifest", "entries/000000004.json", [&](const fs::path& d) {
         FlipByte(d / "entries/000000004.json", 10);
         ASSERT_EQ(Run("sh -c \"cd '" + d.string() + "' && find . -type f ! -name MANIFEST | sed 's|^\\./||' | LC_ALL=C sort | "
                       "xargs sha256sum > MANIFEST\"").code, 0);
       }},
  };
  int n = 0;
  for (const auto& c : cases) {
    const fs::path d = Copy("t" + std::to_string(n++));
    c.damage(d);
    auto v = Tg("ledger verify --bundle " + d.filename().string());
    EXPECT_EQ(v.code, 3) << c.name << ": " << v.out << v.err;
    EXPECT_NE(v.err.find(d.filename().string() + "/" + c.file), std::string::npos) << c.name << ": " << v.err;
    EXPECT_EQ(Count(v.err, '\n'), 1) << c.name << ": " << v.err;
  }
}

TEST_F(ReportBundle, BadArgumentsLeaveNothingBehind) {
  auto r = Tg("report bundle --framework sox --framework hipaa --from 2026-10-01 --to 2026-11-01 --output audit");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("hipaa"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(Dir("audit")));
  EXPECT_TRUE(Leftovers().empty());

  r = Tg("report bundle --framework sox --from 2026-13-01 --to 2026-11-01 --output audit");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_FALSE(fs::exists(Dir("audit")));

  // A non-empty directory is kept as it was unless --force.
  fs::create_directories(Dir("audit"));
  std::ofstream(Dir("audit/notes.txt")) << "mine";
  r = Bundle("audit");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(Slurp(Dir("audit/notes.txt").string()), "mine");
  EXPECT_FALSE(fs::exists(Dir("audit/MANIFEST")));
  EXPECT_TRUE(Leftovers().empty());

  r = Bundle("audit", "--force");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(Dir("audit/notes.txt")));
  EXPECT_EQ(Tg("ledger verify --bundle audit").code, 0);
  EXPECT_TRUE(Leftovers().empty());

  // An empty directory is filled.
  fs::create_directories(Dir("empty"));
  EXPECT_EQ(Bundle("empty").code, 0);
  EXPECT_EQ(Tg("ledger verify --bundle empty").code, 0);
}

TEST_F(ReportBundle, ALedgerWithoutASignedCheckpointWritesNothing) {
  ASSERT_EQ(Tg("ledger append --ledger bare.db", "{\"type\":\"note\"}\n").code, 0);
  auto r = Tg("report bundle --ledger bare.db --framework sox --from 2026-10-01 --to 2026-11-01 --output audit");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("checkpoint"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(Dir("audit")));
  EXPECT_TRUE(Leftovers().empty());
}

// Writing and verifying a bundle streams the entries: an 80 MB ledger is
// bundled and verified in well under its size (the limit is half of it).
TEST_F(ReportBundle, MemoryDoesNotGrowWithTheLedger) {
  const long n = testing::ScaledForAsan(8000);
  const std::string pad(10000, 'x');
  {
    FixedClock clock(*ParseRfc3339("2026-11-02T00:00:00Z"));
    auto l = ledger::Ledger::Open(Dir("big.db").string(), ledger::OpenMode::kCreate, clock);
    ASSERT_TRUE(l) << l.error().message();
    auto key = SignerKey::Generate("big-ledger");
    ASSERT_TRUE(key);
    auto r = (*l)->AppendStream(
        [&](const ledger::Ledger::EmitFn& emit) -> Status {
          for (long i = 0; i < n; ++i) {
            Json e{{"type", "note"}, {"time", "2026-10-05T00:00:00Z"}, {"pad", pad}, {"i", i}};
            if (auto st = emit(e); !st) return st;
          }
          return Ok();
        },
        &*key);
    ASSERT_TRUE(r) << r.error().message();
  }
  const long ledger_kb = static_cast<long>(fs::file_size(Dir("big.db")) / 1024);
  ASSERT_GT(ledger_kb, testing::ScaledForAsan(80000));
  auto b = Tg("report bundle --ledger big.db --framework sox --from 2026-10-01 --to 2026-11-01 --output big");
  ASSERT_EQ(b.code, 0) << b.err;
  auto v = Tg("ledger verify --bundle big");
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_LT(testing::PeakChildRssKb(), testing::RssLimitKb(40 * 1024)) << "ledger " << ledger_kb << " KiB";
}

}  // namespace
}  // namespace tollgate::compliance
