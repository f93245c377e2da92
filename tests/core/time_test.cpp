#include "core/time.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tollgate {
namespace {

using std::chrono_literals::operator""y;
using std::chrono_literals::operator""h;
using std::chrono_literals::operator""min;
using std::chrono_literals::operator""s;
using std::chrono_literals::operator""ms;
using std::chrono_literals::operator""us;
using std::chrono_literals::operator""ns;
using std::chrono::sys_days;
using ::testing::HasSubstr;

TimePoint Utc(std::chrono::year_month_day ymd, std::chrono::nanoseconds since_midnight = {}) {
  return TimePoint{sys_days{ymd}} + since_midnight;
}

TimePoint ParseOrDie(std::string_view text) {
  const auto r = ParseRfc3339(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().message());
  return r ? *r : TimePoint{};
}

TEST(ParseRfc3339Test, UtcDateTime) {
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00Z"), Utc(2026y / 1 / 5, 10h));
  EXPECT_EQ(ParseOrDie("1970-01-01T00:00:00Z"), TimePoint{});
  EXPECT_EQ(ParseOrDie("1999-12-31T23:59:59Z"), Utc(1999y / 12 / 31, 23h + 59min + 59s));
}

TEST(ParseRfc3339Test, SeparatorAndZoneLetterCase) {
  const TimePoint want = Utc(2026y / 1 / 5, 10h + 1min + 2s);
  EXPECT_EQ(ParseOrDie("2026-01-05t10:01:02z"), want);
  EXPECT_EQ(ParseOrDie("2026-01-05 10:01:02Z"), want);
  EXPECT_EQ(ParseOrDie("2026-01-05T10:01:02z"), want);
}

TEST(ParseRfc3339Test, Offsets) {
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00.123+02:00"), Utc(2026y / 1 / 5, 8h + 123ms));
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00+05:30"), Utc(2026y / 1 / 5, 4h + 30min));
  // A negative offset moves the instant forward, here across a year.
  EXPECT_EQ(ParseOrDie("2025-12-31T23:30:00-01:00"), Utc(2026y / 1 / 1, 30min));
  EXPECT_EQ(ParseOrDie("2026-03-01T00:00:00+00:01"), Utc(2026y / 2 / 28, 23h + 59min));
  // RFC 3339 4.3: "-00:00" is UTC with an unknown local offset.
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00-00:00"), Utc(2026y / 1 / 5, 10h));
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00+23:59"), Utc(2026y / 1 / 4, 10h + 1min));
}

TEST(ParseRfc3339Test, FractionalSeconds) {
  const TimePoint base = Utc(2026y / 1 / 5, 10h);
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00.5Z"), base + 500ms);
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00.000001Z"), base + 1us);
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00.123456789Z"), base + 123456789ns);
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00.000000001Z"), base + 1ns);
  EXPECT_EQ(ParseOrDie("2026-01-05T10:00:00.0Z"), base);
}

TEST(ParseRfc3339Test, FullDateIsMidnightUtc) {
  EXPECT_EQ(ParseOrDie("2026-01-05"), Utc(2026y / 1 / 5));
  EXPECT_EQ(ParseOrDie("2024-02-29"), Utc(2024y / 2 / 29));
}

TEST(ParseRfc3339Test, LeapYears) {
  EXPECT_EQ(ParseOrDie("2024-02-29T12:00:00Z"), Utc(2024y / 2 / 29, 12h));
  EXPECT_EQ(ParseOrDie("2000-02-29T00:00:00Z"), Utc(2000y / 2 / 29));  // divisible by 400
  for (const char* bad : {"2023-02-29", "2100-02-29T00:00:00Z", "2026-02-30"}) {
    const auto r = ParseRfc3339(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_THAT(r.error().message(), HasSubstr("does not exist")) << bad;
  }
}

TEST(ParseRfc3339Test, DaysPerMonth) {
  EXPECT_TRUE(ParseRfc3339("2026-01-31").has_value());
  EXPECT_TRUE(ParseRfc3339("2026-04-30").has_value());
  EXPECT_TRUE(ParseRfc3339("2026-12-31").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-04-31").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-06-31").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-09-31").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-11-31").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-01-32").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-01-00").has_value());
}

TEST(ParseRfc3339Test, RejectsMalformed) {
  const char* cases[] = {
      "",
      "2026",
      "2026-1-05",
      "26-01-05",
      "2026/01/05",
      "2026-00-05",
      "2026-13-05",
      "2026-01-05T",
      "2026-01-05T10:00Z",            // seconds are required
      "2026-01-05T10:00:00",          // offset is required with a time
      "2026-01-05T24:00:00Z",
      "2026-01-05T10:60:00Z",
      "2026-01-05T10:00:60Z",         // leap seconds are not representable
      "2026-01-05T10:00:00.Z",
      "2026-01-05T10:00:00.1234567891Z",  // finer than nanoseconds
      "2026-01-05T10:00:00+0200",
      "2026-01-05T10:00:00+2:00",
      "2026-01-05T10:00:00+24:00",
      "2026-01-05T10:00:00+01:60",
      "2026-01-05T10:00:00UTC",
      "2026-01-05T10:00:00ZZ",
      "2026-01-05T10:00:00Z ",
      " 2026-01-05T10:00:00Z",
      "2026-01-05X10:00:00Z",
      "2026-01-05_",
      "+2026-01-05",
      "2026-01-05T1:00:00Z",
      "２０２６-01-05",
  };
  for (const char* text : cases) {
    const auto r = ParseRfc3339(text);
    ASSERT_FALSE(r.has_value()) << "accepted: " << text;
    EXPECT_EQ(r.error().code(), ErrorCode::kInput);
  }
}

TEST(ParseRfc3339Test, ErrorNamesTheText) {
  const auto r = ParseRfc3339("2026-13-05T10:00:00Z");
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("\"2026-13-05T10:00:00Z\""));
  EXPECT_THAT(r.error().message(), HasSubstr("month 13"));

  const auto bad_byte = ParseRfc3339("2026-01-05\x01");
  ASSERT_FALSE(bad_byte.has_value());
  EXPECT_THAT(bad_byte.error().message(), HasSubstr("\"2026-01-05?\""));
}

TEST(ParseRfc3339Test, OutsideNanosecondRange) {
  EXPECT_TRUE(ParseRfc3339("1678-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339("2262-01-01T00:00:00Z").has_value());
  for (const char* text : {"0000-01-01", "1600-06-01T00:00:00Z", "2263-01-01T00:00:00Z",
                           "9999-12-31T23:59:59.999999999Z"}) {
    const auto r = ParseRfc3339(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_THAT(r.error().message(), HasSubstr("range")) << text;
  }
}

TEST(FormatRfc3339Test, SecondsPrecision) {
  EXPECT_EQ(FormatRfc3339(Utc(2026y / 1 / 5, 10h)), "2026-01-05T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(TimePoint{}), "1970-01-01T00:00:00Z");
  // Without `fractional` sub-second parts are truncated, not rounded.
  EXPECT_EQ(FormatRfc3339(Utc(2026y / 12 / 31, 23h + 59min + 59s + 999ms)),
            "2026-12-31T23:59:59Z");
}

TEST(FormatRfc3339Test, Fractional) {
  const TimePoint base = Utc(2026y / 1 / 5, 10h);
  EXPECT_EQ(FormatRfc3339(base + 123ms, true), "2026-01-05T10:00:00.123Z");
  EXPECT_EQ(FormatRfc3339(base + 1ns, true), "2026-01-05T10:00:00.000000001Z");
  EXPECT_EQ(FormatRfc3339(base + 123456789ns, true), "2026-01-05T10:00:00.123456789Z");
  EXPECT_EQ(FormatRfc3339(base + 500ms, true), "2026-01-05T10:00:00.5Z");
  EXPECT_EQ(FormatRfc3339(base, true), "2026-01-05T10:00:00Z");
}

TEST(FormatRfc3339Test, BeforeTheEpoch) {
  EXPECT_EQ(FormatRfc3339(TimePoint{} - 500ms, true), "1969-12-31T23:59:59.5Z");
  EXPECT_EQ(FormatRfc3339(TimePoint{} - 500ms), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(Utc(1900y / 3 / 1, 1s)), "1900-03-01T00:00:01Z");
}

TEST(FormatRfc3339Test, RoundTripsThroughParse) {
  for (const TimePoint t :
       {Utc(2026y / 1 / 5, 10h), Utc(2024y / 2 / 29, 23h + 59min + 59s + 999999999ns),
        TimePoint{} - 1ns, Utc(1700y / 1 / 1, 1ms), Utc(2262y / 1 / 1, 7us)}) {
    const std::string text = FormatRfc3339(t, true);
    EXPECT_EQ(ParseOrDie(text), t) << text;
  }
}

TEST(ClockTest, FixedClock) {
  FixedClock clock(Utc(2026y / 1 / 5));
  const Clock& c = clock;
  EXPECT_EQ(c.Now(), Utc(2026y / 1 / 5));
  clock.Set(Utc(2026y / 1 / 6));
  EXPECT_EQ(c.Now(), Utc(2026y / 1 / 6));
}

TEST(ClockTest, SystemClockIsPlausible) {
  SystemClock clock;
  const TimePoint a = clock.Now();
  const TimePoint b = clock.Now();
  EXPECT_LE(a, b);
  EXPECT_GT(a, Utc(2020y / 1 / 1));
  EXPECT_LT(a, Utc(2200y / 1 / 1));
}

// Prometheus duration syntax, both ways: FormatDuration's text parses back to the same length.
TEST(Duration, ParseAndFormatAreInverse) {
  EXPECT_EQ(ParseDuration("90d").value(), std::chrono::seconds(90 * 86400));
  EXPECT_EQ(ParseDuration("1h30m").value(), std::chrono::seconds(5400));
  EXPECT_FALSE(ParseDuration("30m1h").has_value());  // largest unit first
  EXPECT_FALSE(ParseDuration("0d").has_value());
  EXPECT_EQ(FormatDuration(std::chrono::seconds(7 * 86400)), "1w");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(86400 + 12 * 3600)), "1d12h");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(90)), "1m30s");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(0)), "0s");
  for (std::int64_t s : {std::int64_t{1}, std::int64_t{59}, std::int64_t{3600}, std::int64_t{86399}, std::int64_t{8 * 86400 + 61}, std::int64_t{400} * 86400})
    EXPECT_EQ(ParseDuration(FormatDuration(std::chrono::seconds(s))).value(), std::chrono::seconds(s)) << s;
}

}  // namespace
}  // namespace tollgate
