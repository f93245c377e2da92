#include "core/hash.h"

#include <string>

#include <gtest/gtest.h>

namespace tollgate {
namespace {

// FIPS 180-2 / NIST CAVS SHA-256 examples.
constexpr char kEmptyDigest[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcDigest[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kTwoBlockInput[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr char kTwoBlockDigest[] =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr char kMillionADigest[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(Sha256Test, OneShotKnownVectors) {
  EXPECT_EQ(HexEncode(Sha256(std::string_view())), kEmptyDigest);
  EXPECT_EQ(HexEncode(Sha256(std::string_view("abc"))), kAbcDigest);
  EXPECT_EQ(HexEncode(Sha256(std::string_view(kTwoBlockInput))), kTwoBlockDigest);
  EXPECT_EQ(HexEncode(Sha256(std::string(1000000, 'a'))), kMillionADigest);
}

TEST(Sha256Test, SpanAndStringOverloadsAgree) {
  const Bytes bytes = {'a', 'b', 'c'};
  EXPECT_EQ(Sha256(std::span<const std::uint8_t>(bytes)), Sha256(std::string_view("abc")));
}

TEST(Sha256Test, IncrementalMatchesOneShot) {
  Sha256Hasher h;
  const std::string_view input(kTwoBlockInput);
  // Uneven pieces that straddle the 64-byte block boundary.
  h.Update(input.substr(0, 1));
  h.Update(input.substr(1, 0));
  h.Update(input.substr(1, 40));
  h.Update(AsBytes(input.substr(41)));
  EXPECT_EQ(HexEncode(h.Finish()), kTwoBlockDigest);
}

TEST(Sha256Test, IncrementalMillionA) {
  Sha256Hasher h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(chunk);
  EXPECT_EQ(HexEncode(h.Finish()), kMillionADigest);
}

TEST(Sha256Test, FinishResetsForTheNextMessage) {
  Sha256Hasher h;
  EXPECT_EQ(HexEncode(h.Finish()), kEmptyDigest);
  h.Update("abc");
  EXPECT_EQ(HexEncode(h.Finish()), kAbcDigest);
  h.Update("abc");
  EXPECT_EQ(HexEncode(h.Finish()), kAbcDigest);
}

TEST(HexTest, EncodeIsLowercase) {
  const Bytes bytes = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(HexEncode(bytes), "00017f80abff");
  EXPECT_EQ(HexEncode(Bytes{}), "");
}

TEST(HexTest, DecodeAcceptsBothCases) {
  const Bytes expected = {0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(HexDecode("deadbeef"), expected);
  EXPECT_EQ(HexDecode("DEADBEEF"), expected);
  EXPECT_EQ(HexDecode("DeAdBeEf"), expected);
  EXPECT_EQ(HexDecode(""), Bytes{});
}

TEST(HexTest, DecodeRejectsBadInput) {
  EXPECT_FALSE(HexDecode("abc").has_value());   // odd length
  EXPECT_FALSE(HexDecode("zz").has_value());    // not hex
  EXPECT_FALSE(HexDecode("0g").has_value());
  EXPECT_FALSE(HexDecode(" 00").has_value());   // whitespace
  EXPECT_FALSE(HexDecode("0x00").has_value());  // prefix
  EXPECT_FALSE(HexDecode(std::string_view("0\0", 2)).has_value());
}

TEST(HexTest, RoundTrip) {
  Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  EXPECT_EQ(HexDecode(HexEncode(all)), all);
}

TEST(HexTest, HashFromHex) {
  const auto h = HashFromHex(kAbcDigest);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(*h, Sha256(std::string_view("abc")));
  EXPECT_FALSE(HashFromHex(std::string_view(kAbcDigest).substr(2)).has_value());  // 31 bytes
  EXPECT_FALSE(HashFromHex(std::string(kAbcDigest) + "00").has_value());          // 33 bytes
  std::string bad(kAbcDigest);
  bad[10] = 'x';
  EXPECT_FALSE(HashFromHex(bad).has_value());
}

// RFC 4648 section 10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded) << plain;
    const auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
}

TEST(Base64Test, UsesStandardAlphabet) {
  const Bytes bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64Decode("+/+/"), bytes);
}

TEST(Base64Test, RoundTripAllLengths) {
  Bytes data;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(Base64Decode(Base64Encode(data)), data) << n;
    data.push_back(static_cast<std::uint8_t>(n * 37 + 11));
  }
}

TEST(Base64Test, DecodeIsStrict) {
  EXPECT_FALSE(Base64Decode("Zg").has_value());        // padding missing
  EXPECT_FALSE(Base64Decode("Zg=").has_value());       // length not a multiple of 4
  EXPECT_FALSE(Base64Decode("Zm9vY").has_value());
  EXPECT_FALSE(Base64Decode("Z===").has_value());      // three pad characters
  EXPECT_FALSE(Base64Decode("====").has_value());
  EXPECT_FALSE(Base64Decode("Zg==Zg==").has_value());  // padding in the middle
  EXPECT_FALSE(Base64Decode("Z=g=").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v\n").has_value());    // whitespace
  EXPECT_FALSE(Base64Decode("Zm 9v").has_value());
  EXPECT_FALSE(Base64Decode("-_-_").has_value());      // URL-safe alphabet
  EXPECT_FALSE(Base64Decode("Zm9*").has_value());
  EXPECT_FALSE(Base64Decode(std::string_view("Zm9\0", 4)).has_value());
}

TEST(Base64Test, DecodeRejectsNonZeroPadBits) {
  // "Zg==" and "Zm8=" are the only encodings of "f" and "fo".
  EXPECT_FALSE(Base64Decode("Zh==").has_value());
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());
}

}  // namespace
}  // namespace tollgate
