// regex.globs_match: intersection of glob-style regular expressions.
#include <gtest/gtest.h>

#include <string>

#include "rego/value.h"
#include "test_util.h"

namespace tollgate::rego {
namespace {

// "true", "false" or the error.
std::string Globs(const std::string& a, const std::string& b) {
  Value in = Value::MakeObject({{Value::String("a"), Value::String(a)}, {Value::String("b"), Value::String(b)}});
  auto r = testing::EvalStrict("package p\n", "regex.globs_match(input.a, input.b)", in);
  if (!r) return r.error().message();
  return ToJsonText(*r);
}

TEST(RegoGlobs, DecidesWhetherTwoPatternsShareANonEmptyString) {
  EXPECT_EQ(Globs("a.c", "ab[a-c]"), "true");
  EXPECT_EQ(Globs("a.c", "ab[d-f]"), "false");
  EXPECT_EQ(Globs("[a-z]+", "[0-9]*"), "false");  // only the empty string in common
  EXPECT_EQ(Globs("x*", "y*"), "false");
  EXPECT_EQ(Globs("x*y", "x+y?"), "true");
  EXPECT_EQ(Globs("[^a]b", "ab"), "false");
  EXPECT_EQ(Globs("\\.x", ".x"), "true");
  EXPECT_EQ(Globs("\\.x", "ax"), "false");
  EXPECT_EQ(Globs("a+b+c", "aaa.*c"), "true");
}

TEST(RegoGlobs, BadPatternsAreErrors) {
  EXPECT_NE(Globs("ab]", "a").find("set-close ']' with no preceding '['"), std::string::npos);
  EXPECT_NE(Globs("[ab", "a").find("no closing ']'"), std::string::npos);
  EXPECT_NE(Globs("*a", "a").find("quantifier"), std::string::npos);
}

}  // namespace
}  // namespace tollgate::rego
