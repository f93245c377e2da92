// Time: an injectable clock and RFC 3339 parsing/formatting.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tollgate {

using TimePoint = std::chrono::sys_time<std::chrono::nanoseconds>;

// Everything that asks "what time is it" takes a Clock, so tests inject one.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : t_(t) {}
  TimePoint Now() const override { return t_; }
  void Set(TimePoint t) { t_ = t; }

 private:
  TimePoint t_;
};

// RFC 3339 date-time ("2026-01-05T10:00:00Z", "2026-01-05T10:00:00.123+02:00")
// or a plain full-date ("2026-01-05", read as midnight UTC).
Result<TimePoint> ParseRfc3339(std::string_view text);

// "2026-01-05T10:00:00Z" (seconds precision), or with fractional seconds when
// `fractional` is set and the time has them.
std::string FormatRfc3339(TimePoint t, bool fractional = false);

// A duration as Prometheus and most tools write it: one or more
// number-unit pairs, units s, m, h, d (24 h) and w (7 d), largest first
// ("90d", "12w", "1h30m"). Positive, at most 100 years. Errors quote the text.
Result<std::chrono::seconds> ParseDuration(std::string_view text);
// As Prometheus prints durations: years and weeks only when exact, then days,
// hours, minutes and seconds ("4w", "30d", "1h30m"); "0s" for none.
std::string FormatDuration(std::chrono::seconds d);

}  // namespace tollgate
