#include "core/canonical_json.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tollgate {
namespace {

using ::testing::HasSubstr;

std::string CanonicalOrDie(const Json& j) {
  auto r = Canonicalize(j);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
  return r ? *r : std::string();
}

Json ParseOrDie(std::string_view text) {
  auto r = ParseJson(text, "test.json");
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
  return r ? *r : Json();
}

// ---------------------------------------------------------------------------
// RFC 8785 Appendix B, Table 1: ECMAScript-compatible JSON number
// serialization samples (IEEE 754 bits -> expected text).

struct NumberSample {
  std::uint64_t bits;
  const char* expected;
};

constexpr NumberSample kAppendixB[] = {
    {0x0000000000000000, "0"},                          // Zero
    {0x8000000000000000, "0"},                          // Minus zero
    {0x0000000000000001, "5e-324"},                     // Min pos number
    {0x8000000000000001, "-5e-324"},                    // Min neg number
    {0x7fefffffffffffff, "1.7976931348623157e+308"},    // Max pos number
    {0xffefffffffffffff, "-1.7976931348623157e+308"},   // Max neg number
    {0x4340000000000000, "9007199254740992"},           // Max pos int
    {0xc340000000000000, "-9007199254740992"},          // Max neg int
    {0x4430000000000000, "295147905179352830000"},      // ~2**68
    {0x44b52d02c7e14af5, "9.999999999999997e+22"},
    {0x44b52d02c7e14af6, "1e+23"},
    {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
    {0x444b1ae4d6e2ef4e, "999999999999999700000"},
    {0x444b1ae4d6e2ef4f, "999999999999999900000"},
    {0x444b1ae4d6e2ef50, "1e+21"},
    {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
    {0x3eb0c6f7a0b5ed8d, "0.000001"},
    {0x41b3de4355555553, "333333333.3333332"},
    {0x41b3de4355555554, "333333333.33333325"},
    {0x41b3de4355555555, "333333333.3333333"},
    {0x41b3de4355555556, "333333333.3333334"},
    {0x41b3de4355555557, "333333333.33333343"},
    {0xbecbf647612f3696, "-0.0000033333333333333333"},
    {0x43143ff3c1cb0959, "1424953923781206.2"},         // Round to even
};

TEST(FormatEcmaNumberTest, Rfc8785AppendixB) {
  for (const NumberSample& s : kAppendixB) {
    const double d = std::bit_cast<double>(s.bits);
    EXPECT_EQ(FormatEcmaNumber(d), s.expected) << std::hex << s.bits;
  }
}

TEST(CanonicalizeTest, Rfc8785AppendixBThroughCanonicalize) {
  for (const NumberSample& s : kAppendixB) {
    const double d = std::bit_cast<double>(s.bits);
    EXPECT_EQ(CanonicalOrDie(Json(d)), s.expected) << std::hex << s.bits;
  }
}

TEST(CanonicalizeTest, Rfc8785AppendixBNaNAndInfinityRejected) {
  // Table 1 rows 7fffffffffffffff (NaN) and 7ff0000000000000 (Infinity)
  // have no JSON representation (note 3).
  for (std::uint64_t bits : {std::uint64_t{0x7fffffffffffffff}, std::uint64_t{0x7ff0000000000000},
                             std::uint64_t{0xfff0000000000000}}) {
    const auto r = Canonicalize(Json(std::bit_cast<double>(bits)));
    ASSERT_FALSE(r.has_value()) << std::hex << bits;
    EXPECT_EQ(r.error().code(), ErrorCode::kInput);
    EXPECT_THAT(r.error().message(), HasSubstr("NaN"));
  }
  const auto nested = Canonicalize(Json{{"a", Json::array({1, std::nan("")})}});
  ASSERT_FALSE(nested.has_value());
  EXPECT_THAT(nested.error().message(), HasSubstr("/a/1"));
}

// ---------------------------------------------------------------------------
// RFC 8785 sections 3.2.2 - 3.2.4: the "numbers"/"string"/"literals" sample.

constexpr char kRfcSampleInput[] = R"({
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";

// Section 3.2.3, without the display line wrap.
constexpr char kRfcSampleCanonical[] =
    "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,"
    "1e+30,4.5,0.002,1e-27],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";

// Section 3.2.4: the same as UTF-8 bytes.
constexpr char kRfcSampleHex[] =
    "7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72"
    " 75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a"
    " 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31"
    " 65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37"
    " 5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30"
    " 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d";

std::string FromSpacedHex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); ++i) {
    if (hex[i] == ' ') continue;
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    ++i;
  }
  return out;
}

TEST(CanonicalizeTest, Rfc8785Section323Sample) {
  EXPECT_EQ(CanonicalOrDie(ParseOrDie(kRfcSampleInput)), kRfcSampleCanonical);
}

TEST(CanonicalizeTest, Rfc8785Section324Bytes) {
  const std::string expected = FromSpacedHex(kRfcSampleHex);
  ASSERT_EQ(expected.size(), 118u);
  EXPECT_EQ(CanonicalOrDie(ParseOrDie(kRfcSampleInput)), expected);
}

// RFC 8785 section 3.2.3: property sorting test data and expected order.
TEST(CanonicalizeTest, Rfc8785SortingByUtf16CodeUnits) {
  const Json j = ParseOrDie(R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })");
  const std::string canonical = CanonicalOrDie(j);
  const std::vector<std::string> expected_order = {
      "Carriage Return",      "One",       "Control",
      "Latin Small Letter O With Diaeresis", "Euro Sign", "Emoji: Grinning Face",
      "Hebrew Letter Dalet With Dagesh",
  };
  std::size_t last = 0;
  for (const std::string& value : expected_order) {
    const std::size_t at = canonical.find("\"" + value + "\"");
    ASSERT_NE(at, std::string::npos) << value;
    EXPECT_GT(at, last) << value << " is out of order in " << canonical;
    last = at;
  }
  // The emoji (a surrogate pair, D83D DE00) sorts before U+FB33 although its
  // UTF-8 bytes (F0 ...) sort after U+FB33's (EF ...).
  EXPECT_LT(canonical.find("\xf0\x9f\x98\x80"), canonical.find("\xef\xac\xb3"));
}

// ---------------------------------------------------------------------------
// More of Canonicalize.

TEST(CanonicalizeTest, NoWhitespaceAndRecursiveSorting) {
  const Json j = ParseOrDie(R"( { "b" : [ 3 , { "z" : 1 , "y" : [ ] } ] , "a" : { } } )");
  EXPECT_EQ(CanonicalOrDie(j), R"({"a":{},"b":[3,{"y":[],"z":1}]})");
}

TEST(CanonicalizeTest, ArrayOrderIsKept) {
  EXPECT_EQ(CanonicalOrDie(Json::array({3, 1, 2, "b", "a"})), R"([3,1,2,"b","a"])");
}

TEST(CanonicalizeTest, Literals) {
  // Section 3.2.2.1.
  EXPECT_EQ(CanonicalOrDie(Json(nullptr)), "null");
  EXPECT_EQ(CanonicalOrDie(Json(true)), "true");
  EXPECT_EQ(CanonicalOrDie(Json(false)), "false");
}

TEST(CanonicalizeTest, StringEscapes) {
  // Section 3.2.2.2: U+0008, 0009, 000A, 000C, 000D use the short forms, the
  // rest of U+0000..U+001F lowercase \u00hh; '"' and '\' are escaped;
  // everything else (including '/', DEL and non-ASCII) is written as is.
  const std::string s = std::string("\b\t\n\f\r") + '\0' + "\x01\x1f\x7f/\"\\\xc3\xb6";
  EXPECT_EQ(CanonicalOrDie(Json(s)),
            "\"\\b\\t\\n\\f\\r\\u0000\\u0001\\u001f\x7f/\\\"\\\\\xc3\xb6\"");
}

TEST(CanonicalizeTest, MemberNamesEscapedLikeStrings) {
  EXPECT_EQ(CanonicalOrDie(Json{{"a\nb", 1}, {"\"", 2}}), "{\"\\\"\":2,\"a\\nb\":1}");
}

TEST(CanonicalizeTest, IntegersBecomeEcmaScriptNumbers) {
  EXPECT_EQ(CanonicalOrDie(Json(0)), "0");
  EXPECT_EQ(CanonicalOrDie(Json(-17)), "-17");
  EXPECT_EQ(CanonicalOrDie(Json(std::uint64_t{42})), "42");
  // 2^53 is the largest magnitude accepted (Appendix B "Max pos/neg int").
  EXPECT_EQ(CanonicalOrDie(Json(std::int64_t{9007199254740992})), "9007199254740992");
  EXPECT_EQ(CanonicalOrDie(Json(std::int64_t{-9007199254740992})), "-9007199254740992");
  EXPECT_EQ(CanonicalOrDie(Json(std::uint64_t{9007199254740992})), "9007199254740992");
}

TEST(CanonicalizeTest, BigIntegersRejected) {
  const Json cases[] = {
      Json(std::int64_t{9007199254740993}),
      Json(std::int64_t{-9007199254740993}),
      Json(std::uint64_t{9007199254740993}),
      Json(std::numeric_limits<std::int64_t>::min()),
      Json(std::numeric_limits<std::int64_t>::max()),
      Json(std::numeric_limits<std::uint64_t>::max()),
      Json(std::uint64_t{1} << 60),  // exactly a double, but written 1152921504606847000
  };
  for (const Json& j : cases) {
    const auto r = Canonicalize(j);
    ASSERT_FALSE(r.has_value()) << j.dump();
    EXPECT_EQ(r.error().code(), ErrorCode::kInput);
    EXPECT_THAT(r.error().message(), HasSubstr("cannot be represented exactly"));
    EXPECT_THAT(r.error().message(), HasSubstr(j.dump()));
  }
}

TEST(CanonicalizeTest, BigIntegerThatIsItsOwnDoubleFormKept) {
  // Canonicalize writes the double 1e18 as these digits (ECMAScript uses
  // plain digits below 1e21), and a parser reads them back as an integer.
  EXPECT_EQ(CanonicalOrDie(Json(std::uint64_t{1000000000000000000})), "1000000000000000000");
  EXPECT_EQ(CanonicalOrDie(Json(std::int64_t{-1000000000000000000})), "-1000000000000000000");
}

TEST(CanonicalizeTest, CanonicalTextIsAFixedPoint) {
  const std::string once = CanonicalOrDie(ParseOrDie("[1e18, 900719925474099e3, -4.5e17, 1e21]"));
  EXPECT_EQ(CanonicalOrDie(ParseOrDie(once)), once);
}

TEST(CanonicalizeTest, BigIntegerFromParsedTextRejectedWithItsPath) {
  const Json j = ParseOrDie(R"({"ok": 1, "ledger": {"seq": [1, 9007199254740993]}})");
  const auto r = Canonicalize(j);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("/ledger/seq/1"));
  EXPECT_THAT(r.error().message(), HasSubstr("9007199254740993"));
}

TEST(CanonicalizeTest, InvalidUtf8Rejected) {
  for (const char* bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    const auto r = Canonicalize(Json(std::string(bad)));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInput);
    EXPECT_THAT(r.error().message(), HasSubstr("UTF-8"));
  }
  const auto key = Canonicalize(Json{{std::string("k\xff"), 1}});
  ASSERT_FALSE(key.has_value());
  EXPECT_THAT(key.error().message(), HasSubstr("UTF-8"));
}

TEST(CanonicalizeTest, DepthLimit) {
  Json ok = Json::array();
  for (std::size_t i = 1; i < kMaxJsonDepth; ++i) ok = Json::array({std::move(ok)});
  EXPECT_TRUE(Canonicalize(ok).has_value());
  const auto r = Canonicalize(Json::array({std::move(ok)}));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("nesting"));
}

TEST(CanonicalizeTest, BinaryRejected) {
  EXPECT_FALSE(Canonicalize(Json::binary({1, 2, 3})).has_value());
}

TEST(CanonicalizeTest, EquivalentSpellingsCanonicalizeEqually) {
  const Json a = ParseOrDie(R"({"b": 1.50, "a": "\u00e9", "c": 1E2})");
  const Json b = ParseOrDie("{\"c\":100,\"a\":\"\xc3\xa9\",\"b\":1.5}");
  EXPECT_EQ(CanonicalOrDie(a), CanonicalOrDie(b));
  EXPECT_EQ(CanonicalOrDie(a), "{\"a\":\"\xc3\xa9\",\"b\":1.5,\"c\":100}");
}

// ---------------------------------------------------------------------------
// ParseJson.

Error ParseError(std::string_view text, std::string_view what = "input.json") {
  auto r = ParseJson(text, what);
  EXPECT_FALSE(r.has_value()) << text;
  if (r) return Error::Internal("parsed unexpectedly");
  EXPECT_EQ(r.error().code(), ErrorCode::kInput);
  return r.error();
}

void ExpectRejected(std::string_view text) { static_cast<void>(ParseError(text)); }

TEST(ParseJsonTest, ParsesValidDocuments) {
  const Json j = ParseOrDie(R"({"a": [1, -2, 3.5, "x", true, null], "b": {}})");
  EXPECT_EQ(j["a"][0], 1);
  EXPECT_EQ(j["a"][1], -2);
  EXPECT_EQ(j["a"][2], 3.5);
  EXPECT_EQ(j["a"][3], "x");
  EXPECT_TRUE(j["b"].is_object());
  EXPECT_EQ(ParseOrDie("  42 \n"), 42);
  EXPECT_EQ(ParseOrDie("\"\""), "");
}

TEST(ParseJsonTest, DuplicateKeyRejectedWithPosition) {
  const Error e = ParseError(R"({"a":1,"b":2,"a":3})", "dup.json");
  EXPECT_THAT(e.message(), HasSubstr("dup.json:1:14:"));
  EXPECT_THAT(e.message(), HasSubstr("duplicate object key \"a\""));
}

TEST(ParseJsonTest, DuplicateKeyInNestedObjectOnLaterLine) {
  const Error e = ParseError("{\n  \"outer\": {\n    \"k\": 1,\n    \"k\": 2\n  }\n}", "cfg.json");
  EXPECT_THAT(e.message(), HasSubstr("cfg.json:4:5: duplicate object key \"k\""));
}

TEST(ParseJsonTest, DuplicateKeyAfterEscapeDecoding) {
  // "\u0061" is "a": duplicates are judged on the decoded names.
  const Error e = ParseError(R"({"a":1, "\u0061":2})");
  EXPECT_THAT(e.message(), HasSubstr("input.json:1:9: duplicate object key \"a\""));
}

TEST(ParseJsonTest, DuplicateKeyContainingEscapedQuotes) {
  const Error e = ParseError(R"({"x\"\\":1, "x\"\\":2})");
  EXPECT_THAT(e.message(), HasSubstr("input.json:1:13: duplicate object key \"x\\\"\\\\\""));
}

TEST(ParseJsonTest, SameKeyInDifferentObjectsIsFine) {
  const Json j = ParseOrDie(R"({"a": {"a": 1}, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]})");
  EXPECT_EQ(j["c"][1]["a"], 4);
}

TEST(ParseJsonTest, SyntaxErrorGivesLineAndColumn) {
  const Error e = ParseError("{\n  \"a\": tru\n}", "tollgate.json");
  EXPECT_THAT(e.message(), HasSubstr("tollgate.json:2:"));
  EXPECT_THAT(e.message(), ::testing::StartsWith("tollgate.json:2:11: "));
  // Our own position form replaces nlohmann's.
  EXPECT_THAT(e.message(), ::testing::Not(HasSubstr("json.exception")));
  EXPECT_THAT(e.message(), ::testing::Not(HasSubstr("at line")));
}

TEST(ParseJsonTest, ColumnCountsCodePoints) {
  // "é" is two bytes but one column.
  const Error e = ParseError("[\"\xc3\xa9\", x]");
  EXPECT_THAT(e.message(), ::testing::StartsWith("input.json:1:7: "));
}

TEST(ParseJsonTest, TrailingGarbageRejected) {
  EXPECT_THAT(ParseError("{} x").message(), ::testing::StartsWith("input.json:1:4: "));
  ExpectRejected("[1] [2]");
  ExpectRejected("1 2");
  ExpectRejected("{}}");
}

TEST(ParseJsonTest, MalformedDocumentsRejected) {
  ExpectRejected("");
  ExpectRejected("   ");
  ExpectRejected("{");
  ExpectRejected(R"({"a" 1})");
  ExpectRejected(R"({"a":1,})");
  ExpectRejected("[1,]");
  ExpectRejected("{'a':1}");
  ExpectRejected("[01]");
  ExpectRejected("[NaN]");
  ExpectRejected("[Infinity]");
  ExpectRejected("// comment\n{}");
  ExpectRejected("\"tab\tinside\"");
}

TEST(ParseJsonTest, InvalidUtf8Rejected) {
  ExpectRejected("\"\xff\"");
  ExpectRejected("\"\xc0\xaf\"");          // overlong '/'
  ExpectRejected("\"\xed\xa0\x80\"");      // encoded surrogate
  ExpectRejected("\"\xe2\x82\"");          // truncated
  ExpectRejected("{\"\xfe\": 1}");
  ExpectRejected(R"(["\ud800"])");         // lone high surrogate escape
  ExpectRejected(R"(["\udc00"])");         // lone low surrogate escape
}

TEST(ParseJsonTest, ErrorMessagesAreValidUtf8) {
  // nlohmann quotes the raw bytes it read; they must not leak into messages
  // that may end up in JSON output.
  const Error e = ParseError("[\"\xff\"]");
  EXPECT_TRUE(Canonicalize(Json(e.message())).has_value()) << e.message();
}

TEST(ParseJsonTest, NumberOverflowRejected) {
  const Error e = ParseError("[1e400]");
  EXPECT_THAT(e.message(), ::testing::StartsWith("input.json:1:"));
}

TEST(ParseJsonTest, NestingLimit) {
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(ok, "deep.json").has_value());
  const std::string deep =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  const Error e = ParseError(deep, "deep.json");
  EXPECT_THAT(e.message(), HasSubstr("deep.json:1:" + std::to_string(kMaxJsonDepth + 1) + ": "));
  EXPECT_THAT(e.message(), HasSubstr("nesting"));
  // Objects count too, and a deep document never reaches the recursion in
  // the DOM builder.
  std::string objects;
  for (std::size_t i = 0; i <= kMaxJsonDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kMaxJsonDepth + 1, '}');
  EXPECT_THAT(ParseError(objects).message(), HasSubstr("nesting"));
  ExpectRejected(std::string(100000, '['));
}

TEST(ParseJsonTest, ParsedThenCanonicalizedRoundTrips) {
  const std::string canonical = CanonicalOrDie(ParseOrDie(kRfcSampleInput));
  EXPECT_EQ(CanonicalOrDie(ParseOrDie(canonical)), canonical);
}

}  // namespace
}  // namespace tollgate

namespace tollgate {
namespace {

// Found by fuzz_event: 1e20 canonicalises to "100000000000000000000", which
// is beyond 64 bits; parsing it back must keep it (it is exactly a double),
// while a literal that would lose digits is refused.
TEST(CanonicalJsonRegression, LargeIntegerLiteralsThatAreExactDoublesRoundTrip) {
  auto once = Canonicalize(*ParseJson(R"({"n":1e20})", "t"));
  ASSERT_TRUE(once.has_value());
  EXPECT_EQ(*once, R"({"n":100000000000000000000})");
  auto back = ParseJson(*once, "t");
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*Canonicalize(*back), *once);
  auto lossy = ParseJson(R"({"n":123456789012345678901234567890})", "t");
  ASSERT_FALSE(lossy.has_value());
  EXPECT_NE(lossy.error().message().find("too large"), std::string::npos);
}

}  // namespace
}  // namespace tollgate
