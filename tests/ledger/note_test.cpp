// C2SP signed notes: signature lines from keys the verifier does not know are
// ignored, whatever their length (https://c2sp.org/signed-note).
#include <gtest/gtest.h>

#include "core/signing.h"

namespace tollgate {
namespace {

TEST(SignedNote, CosignatureLineOfAnotherLengthIsIgnoredNotRefused) {
  auto key = SignerKey::Generate("example.com/log");
  ASSERT_TRUE(key.has_value());
  std::string text = "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  // The witness line of the tlog-cosignature specification's example: base64
  // of 76 bytes (key id 4 || timestamp 8 || Ed25519 signature 64), counted by
  // hand: 104 base64 characters = 78 bytes, less 2 for the "==" padding = 76.
  std::string note = SignNote(text, *key) +
                     "\xE2\x80\x94 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX"
                     "3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n" +
                     "\xE2\x80\x94 other.example/short AAAAAAE=\n";  // 5 bytes: key id and one byte
  auto parsed = ParseNote(note);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  ASSERT_EQ(parsed->signatures.size(), 3u);
  EXPECT_FALSE(parsed->signatures[1].ed25519);
  EXPECT_FALSE(parsed->signatures[2].ed25519);
  EXPECT_TRUE(NoteVerifiedBy(*parsed, key->verifier()));
  // A line that is not base64 of a key id and a signature is still malformed.
  EXPECT_FALSE(ParseNote(SignNote(text, *key) + "\xE2\x80\x94 x.example/y AAAA\n").has_value());
}

}  // namespace
}  // namespace tollgate

namespace tollgate {
namespace {

// C2SP signed-note: key names hold no Unicode space and no '+'; note text holds
// no control character other than newline. Code points written by hand in UTF-8.
TEST(SignedNote, KeyNamesWithUnicodeSpacesOrPlusAreRefusedOnCreation) {
  EXPECT_TRUE(IsValidKeyName("example.com/log"));
  EXPECT_TRUE(IsValidKeyName("caf\xC3\xA9.example/log"));  // U+00E9 is a letter
  for (const char* bad : {"a b", "a+b", "a\tb", "a\xC2\xA0" "b" /* U+00A0 */, "a\xE2\x80\x83" "b" /* U+2003 */,
                          "a\xE3\x80\x80" "b" /* U+3000 */, "a\xC2\x85" "b" /* U+0085 */, "a\xE2\x80\xA8" "b" /* U+2028 */,
                          "a\xC3" /* truncated */, "a\xC0\xA0" /* overlong space */, ""}) {
    EXPECT_FALSE(IsValidKeyName(bad)) << bad;
    EXPECT_FALSE(SignerKey::Generate(bad).has_value()) << bad;
  }
}

TEST(SignedNote, NotesWithControlCharactersOrUnicodeSpaceSignerNamesAreRefusedOnVerification) {
  auto key = SignerKey::Generate("example.com/log");
  ASSERT_TRUE(key.has_value());
  const std::string good = "example.com/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  ASSERT_TRUE(ParseNote(SignNote(good, *key)).has_value());
  for (const std::string& text : {std::string("example.com/log\n1\r\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"),
                                  std::string("example.com/log\x1b\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"),
                                  std::string("example.com/log\n1\n\x7f\n"), std::string("example\xFF.com/log\n1\nx\n")}) {
    auto parsed = ParseNote(SignNote(text, *key));
    ASSERT_FALSE(parsed.has_value());
    EXPECT_NE(parsed.error().message().find("control character"), std::string::npos) << parsed.error().message();
  }
  // A cosignature line whose name holds U+2009 (thin space) is malformed, not ignored.
  auto spaced = ParseNote(SignNote(good, *key) + "\xE2\x80\x94 witness\xE2\x80\x89one AAAAAAE=\n");
  ASSERT_FALSE(spaced.has_value());
  EXPECT_NE(spaced.error().message().find("invalid signer name"), std::string::npos);
}

}  // namespace
}  // namespace tollgate
