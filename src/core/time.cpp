#include "core/time.h"

#include <cstddef>
#include <limits>
#include <optional>
#include <string>

namespace tollgate {

namespace {

using std::chrono::days;
using std::chrono::nanoseconds;

// TimePoint counts int64 nanoseconds, which spans 1677-09-21 to 2262-04-11.
// Whole seconds are kept one short of either end so that adding the fraction
// (< 1 s) cannot overflow.
constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
constexpr std::int64_t kMinSeconds = std::numeric_limits<std::int64_t>::min() / 1'000'000'000 + 1;

// The input as it appears in an error message: at most 64 bytes, with
// anything but printable ASCII shown as '?', since the text may be anything.
std::string Shown(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (text.size() > kMax) out += "...";
  return out;
}

// A cursor over the text for the fixed-width fields of RFC 3339.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }
  std::size_t pos() const { return pos_; }

  // Exactly `width` decimal digits.
  std::optional<int> Digits(std::size_t width) {
    if (text_.size() - pos_ < width) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos_ += width;
    return v;
  }

  // The next character if it is one of `chars`.
  std::optional<char> OneOf(std::string_view chars) {
    if (AtEnd() || chars.find(text_[pos_]) == std::string_view::npos) return std::nullopt;
    return text_[pos_++];
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

void AppendPadded(std::string& out, long long v, int width) {
  std::string digits = std::to_string(v);
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out.push_back('0');
  out += digits;
}

}  // namespace

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<nanoseconds>(std::chrono::system_clock::now());
}

Result<TimePoint> ParseRfc3339(std::string_view text) {
  Cursor in(text);
  const auto fail = [&](const std::string& why) -> Result<TimePoint> {
    return Fail(Error::Input("invalid RFC 3339 time \"" + Shown(text) + "\": " + why));
  };
  const auto at = [&](std::string_view what) {
    return "expected " + std::string(what) + " at offset " + std::to_string(in.pos());
  };

  // full-date = date-fullyear "-" date-month "-" date-mday
  const auto year = in.Digits(4);
  if (!year) return fail(at("a 4-digit year"));
  if (!in.OneOf("-")) return fail(at("'-'"));
  const auto month = in.Digits(2);
  if (!month) return fail(at("a 2-digit month"));
  if (!in.OneOf("-")) return fail(at("'-'"));
  const auto day = in.Digits(2);
  if (!day) return fail(at("a 2-digit day"));

  if (*month < 1 || *month > 12) return fail("month " + std::to_string(*month) + " is out of range");
  const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                        std::chrono::month{static_cast<unsigned>(*month)},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) {
    return fail("day " + std::to_string(*day) + " does not exist in " + std::to_string(*year) + "-" +
                (*month < 10 ? "0" : "") + std::to_string(*month));
  }

  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t fraction_ns = 0;
  int offset_minutes = 0;

  if (!in.AtEnd()) {
    // "T" partial-time time-offset; RFC 3339 5.6 also allows lowercase and,
    // as a note, a space.
    if (!in.OneOf("Tt ")) return fail(at("'T' between date and time"));
    const auto h = in.Digits(2);
    if (!h) return fail(at("a 2-digit hour"));
    if (!in.OneOf(":")) return fail(at("':'"));
    const auto m = in.Digits(2);
    if (!m) return fail(at("2-digit minutes"));
    if (!in.OneOf(":")) return fail(at("':'"));
    const auto s = in.Digits(2);
    if (!s) return fail(at("2-digit seconds"));
    if (*h > 23) return fail("hour " + std::to_string(*h) + " is out of range");
    if (*m > 59) return fail("minute " + std::to_string(*m) + " is out of range");
    // 60 is a leap second, which the clock (like POSIX time) cannot represent.
    if (*s > 59) return fail("second " + std::to_string(*s) + " is out of range");
    hour = *h;
    minute = *m;
    second = *s;

    if (in.OneOf(".")) {
      int count = 0;
      while (const auto d = in.Digits(1)) {
        if (++count > 9) return fail("more than 9 fractional digits (nanoseconds)");
        fraction_ns = fraction_ns * 10 + *d;
      }
      if (count == 0) return fail(at("digits after '.'"));
      for (; count < 9; ++count) fraction_ns *= 10;
    }

    const auto zone = in.OneOf("Zz+-");
    if (!zone) return fail(at("'Z' or a +hh:mm/-hh:mm offset"));
    if (*zone == '+' || *zone == '-') {
      const auto oh = in.Digits(2);
      if (!oh) return fail(at("a 2-digit offset hour"));
      if (!in.OneOf(":")) return fail(at("':'"));
      const auto om = in.Digits(2);
      if (!om) return fail(at("2-digit offset minutes"));
      if (*oh > 23 || *om > 59) return fail("offset is out of range");
      offset_minutes = (*oh * 60 + *om) * (*zone == '-' ? -1 : 1);
    }
    if (!in.AtEnd()) return fail("unexpected text at offset " + std::to_string(in.pos()));
  }

  // Local time minus its offset is UTC.
  const std::int64_t day_number = std::chrono::sys_days{ymd}.time_since_epoch().count();
  const std::int64_t seconds = day_number * 86400 + hour * 3600 + minute * 60 + second -
                               std::int64_t{offset_minutes} * 60;
  if (seconds < kMinSeconds || seconds > kMaxSeconds) {
    return fail("outside the range a nanosecond clock holds (years 1677 to 2262)");
  }
  return TimePoint{nanoseconds{seconds * 1'000'000'000 + fraction_ns}};
}

std::string FormatRfc3339(TimePoint t, bool fractional) {
  const auto day_start = std::chrono::floor<days>(t);
  const std::chrono::year_month_day ymd{day_start};
  const std::chrono::hh_mm_ss<nanoseconds> hms{t - day_start};

  std::string out;
  AppendPadded(out, static_cast<int>(ymd.year()), 4);
  out.push_back('-');
  AppendPadded(out, static_cast<unsigned>(ymd.month()), 2);
  out.push_back('-');
  AppendPadded(out, static_cast<unsigned>(ymd.day()), 2);
  out.push_back('T');
  AppendPadded(out, hms.hours().count(), 2);
  out.push_back(':');
  AppendPadded(out, hms.minutes().count(), 2);
  out.push_back(':');
  AppendPadded(out, hms.seconds().count(), 2);

  // Fractional seconds as written by Go's RFC3339Nano: up to nine digits,
  // trailing zeros dropped, nothing at all for a whole second.
  const auto ns = hms.subseconds().count();
  if (fractional && ns != 0) {
    std::string digits;
    AppendPadded(digits, ns, 9);
    digits.erase(digits.find_last_not_of('0') + 1);
    out.push_back('.');
    out += digits;
  }
  out.push_back('Z');
  return out;
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Fail(Error::Input("duration \"" + std::string(text) + "\": " + why + " (e.g. 5m, 1h30m, 90d, 12w)"));
  };
  if (text.empty()) return bad("empty");
  constexpr std::int64_t kMax = std::int64_t{100} * 365 * 86400;
  std::int64_t total = 0;
  std::int64_t last_unit = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > kMax) return bad("too long");
      n = n * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0) return bad("expected a number");
    if (i == text.size()) return bad("a number needs a unit");
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: return bad("the unit must be s, m, h, d or w");
    }
    ++i;
    if (last_unit != 0 && unit >= last_unit) return bad("units must go from largest to smallest");
    last_unit = unit;
    if (n > kMax / unit) return bad("too long");
    total += n * unit;
    if (total > kMax) return bad("too long");
  }
  if (total <= 0) return bad("must be positive");
  return std::chrono::seconds(total);
}

std::string FormatDuration(std::chrono::seconds d) {
  // As Prometheus prints durations: years and weeks only when exact, then
  // days, hours, minutes and seconds ("4w", "30d", "1h30m").
  constexpr std::int64_t kDay = 86400;
  std::int64_t v = d.count();
  if (v <= 0) return "0s";
  std::string out;
  auto unit = [&](const char* name, std::int64_t mult, bool exact) {
    if (exact && v % mult != 0) return;
    if (std::int64_t n = v / mult; n > 0) {
      out += std::to_string(n) + name;
      v -= n * mult;
    }
  };
  unit("y", 365 * kDay, true);
  unit("w", 7 * kDay, true);
  unit("d", kDay, false);
  unit("h", 3600, false);
  unit("m", 60, false);
  unit("s", 1, false);
  return out;
}

}  // namespace tollgate
