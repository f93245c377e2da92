// Pseudonyms for people in ledger entries (ledger/principals.h). Expected
// digests are computed independently with Python's hmac module:
//   hmac.new(key, msg, hashlib.sha256).hexdigest()
#include "ledger/principals.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/hash.h"

namespace tollgate::ledger {
namespace {

namespace fs = std::filesystem;

class PrincipalKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tg-principals-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content, unsigned mode) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << content;
    ::chmod(p.c_str(), mode);
    return p;
  }
  fs::path dir_;
};

Hash256 Counting() {
  Hash256 k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}

TEST(HmacSha256, Rfc4231TestCase2) {
  std::string key = "Jefe";
  EXPECT_EQ(HexEncode(HmacSha256(AsBytes(key), "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Pseudonym, IsHmacOfTheTrimmedIdentityUnderTheKey) {
  PrincipalKey key(Counting());  // bytes 00 01 .. 1f
  // python3: hmac.new(bytes(range(32)), b'Bob <bob@payments.example>', hashlib.sha256).hexdigest()
  const std::string expected = "hmac-sha256:bae9580340fb4429dd094a034ca8bde250a00bf034429f1a2471ae902d1adb7e";
  EXPECT_EQ(key.Pseudonymise("Bob <bob@payments.example>"), expected);
  EXPECT_EQ(key.Pseudonymise("  Bob <bob@payments.example>\n"), expected);
  EXPECT_NE(key.Pseudonymise("bob@payments.example"), expected);
  EXPECT_TRUE(IsPseudonym(expected));
  EXPECT_EQ(key.Pseudonymise(expected), expected);  // never hashed twice
  EXPECT_EQ(key.Pseudonymise("   "), "");
  EXPECT_EQ(expected.find("bob"), std::string::npos);
  // Another key, another pseudonym for the same person.
  Hash256 other = Counting();
  other[0] = 0xff;
  EXPECT_NE(PrincipalKey(other).Pseudonymise("Bob <bob@payments.example>"), expected);
  EXPECT_FALSE(IsPseudonym("hmac-sha256:BAE9"));
  EXPECT_FALSE(IsPseudonym("bob@payments.example"));
}

TEST_F(PrincipalKeyTest, CreatedOnFirstUseWithMode0600AndStable) {
  std::string p = (dir_ / "l.db.principal-key").string();
  auto a = PrincipalKey::LoadOrCreate(p);
  ASSERT_TRUE(a) << a.error().message();
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(fs::file_size(p), 65u);  // 64 hex digits and a newline
  auto b = PrincipalKey::LoadOrCreate(p);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->Pseudonymise("carol"), b->Pseudonymise("carol"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);  // no temporary left
}

TEST_F(PrincipalKeyTest, LoadsAKeyWrittenByHand) {
  std::string hex = HexEncode(Counting());
  std::string p = Write("k", hex + "\n", 0600);
  auto k = PrincipalKey::Load(p);
  ASSERT_TRUE(k) << k.error().message();
  EXPECT_EQ(k->Pseudonymise("Bob <bob@payments.example>"),
            "hmac-sha256:bae9580340fb4429dd094a034ca8bde250a00bf034429f1a2471ae902d1adb7e");
}

TEST_F(PrincipalKeyTest, BadKeyFilesFailClosedNamingTheFile) {
  std::string hex = HexEncode(Counting());
  auto missing = PrincipalKey::Load((dir_ / "none").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);

  auto short_key = PrincipalKey::Load(Write("short", hex.substr(0, 62) + "\n", 0600));
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().code(), ErrorCode::kInput);
  EXPECT_NE(short_key.error().message().find("short: principal key: must hold 64"), std::string::npos)
      << short_key.error().message();

  auto not_hex = PrincipalKey::Load(Write("nothex", std::string(64, 'g'), 0600));
  ASSERT_FALSE(not_hex);
  EXPECT_EQ(not_hex.error().code(), ErrorCode::kInput);

  auto open = PrincipalKey::Load(Write("open", hex, 0644));
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().code(), ErrorCode::kInput);
  EXPECT_NE(open.error().message().find("mode 644"), std::string::npos) << open.error().message();

  // LoadOrCreate never replaces a bad key with a new one.
  std::string bad = Write("bad", "abc", 0600);
  EXPECT_FALSE(PrincipalKey::LoadOrCreate(bad));
  std::ifstream in(bad);
  std::string still((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(still, "abc");

  auto dir = PrincipalKey::Load(dir_.string());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ErrorCode::kInput);

  if (::geteuid() != 0) {  // root reads anything
    std::string unreadable = Write("unreadable", hex, 0600);
    ::chmod(unreadable.c_str(), 0);
    auto r = PrincipalKey::Load(unreadable);
    EXPECT_FALSE(r);
  }
}

TEST(PrincipalKeyPath, BesideASqliteLedgerAndNoneForPostgres) {
  EXPECT_EQ(DefaultPrincipalKeyPath("/var/lib/tollgate/ledger.db"), "/var/lib/tollgate/ledger.db.principal-key");
  EXPECT_EQ(DefaultPrincipalKeyPath("postgres://db/tollgate"), "");
}

}  // namespace
}  // namespace tollgate::ledger
