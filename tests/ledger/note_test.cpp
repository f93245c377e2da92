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
