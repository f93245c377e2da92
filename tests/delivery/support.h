// Helpers shared by the delivery tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/time.h"
#include "delivery/delivery.h"

namespace tollgate::delivery::testing {

inline Millis T(const std::string& rfc3339) {
  auto t = ParseTime(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(0);
}

// Reads JSON Lines and adds every event to `log` in order, with the clock
// at `now`; returns the first error.
inline Status AddLines(EventLog& log, const std::string& jsonl, const std::string& now = "2026-06-01T00:00:00Z") {
  FixedClock clock(FromMillis(T(now)));
  auto read = ReadImportText(jsonl, "events.jsonl", ImportOptions{});
  if (!read) return Fail(read.error());
  for (std::size_t i = 0; i < read->events.size(); ++i) TG_TRY(log.Add(read->events[i], read->wheres[i], ToMillis(clock.Now())));
  return Ok();
}

}  // namespace tollgate::delivery::testing
