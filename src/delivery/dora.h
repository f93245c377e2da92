// DORA metrics over the delivery events (docs/dora.md gives the exact
// definitions): deployment frequency, lead time for changes (median, p90),
// change failure rate and time to restore, overall and per service, for a
// window and optionally per week or month; each classified into the seed's
// four maturity stages and the DORA report's performance levels from a
// versioned data table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "delivery/delivery.h"

namespace tollgate::ledger {
class Ledger;
}

namespace tollgate::delivery {

// One metric's bands, best first: a value is in the first band whose bound
// it meets (`min`: value >= min, for metrics where more is better; `max`:
// value <= max, where less is better); a value that meets none is `below`.
struct LevelBand {
  std::string level;
  double bound = 0;
};

struct MetricBands {
  bool higher_is_better = false;
  std::vector<LevelBand> bands;
};

struct LevelScale {
  std::string name;                 // "maturity", "performance"
  std::string source;               // where the thresholds come from
  std::vector<std::string> order;   // best first; the last is the floor
  std::string below;                // the level of a value that meets no band
  MetricBands deployment_frequency; // deploys per week
  MetricBands lead_time;            // hours (median)
  MetricBands change_failure_rate;  // fraction
  MetricBands time_to_restore;      // hours (median)
};

struct LevelTable {
  std::string version;
  LevelScale maturity;
  LevelScale performance;
};

// The built-in table (docs/dora.md#levels) and its JSON text.
const std::string& BuiltinLevelsJson();
Result<LevelTable> BuiltinLevels();
// A user's table (same JSON shape); errors name `file` and the member.
Result<LevelTable> ParseLevels(const Json& j, const std::string& file);
Result<LevelTable> ReadLevelsFile(const std::string& path);

enum class Period { kNone, kWeek, kMonth };

inline constexpr Millis kHour = 3600 * 1000;
inline constexpr Millis kDay = 24 * kHour;

struct DoraOptions {
  std::string service;  // empty: all services
  std::string env = "prod";
  Millis from = 0;  // [from, to)
  Millis to = 0;
  Period by = Period::kNone;
  // An incident without caused_by is attributed to the latest successful
  // deploy of its service in `env` at most this long before it opened.
  Millis attribution_window = 24 * kHour;
};

// The window of `length` ending at the clock's now (`--window 90d`).
DoraOptions WindowEndingNow(const Clock& clock, Millis length);
// The window of the report commands' flags: `from` and `to` (both, RFC 3339
// or dates, and not with an explicit `--window`: `window_given`) or `window`
// (a duration, "90d") ending now. Input errors name the flag.
Result<DoraOptions> WindowFromFlags(const std::string& from, const std::string& to, const std::string& window,
                                    bool window_given, const Clock& clock);

struct Classified {
  std::optional<std::string> deployment_frequency, lead_time, change_failure_rate, time_to_restore, overall;
};

struct Metrics {
  std::uint64_t deployments = 0;   // successful deploys to env
  std::uint64_t attempts = 0;      // all deploys to env (success and failure)
  std::uint64_t failed = 0;        // failed status or a linked incident
  double deploys_per_week = 0;
  std::uint64_t changes = 0;             // changes with a known lead time
  std::uint64_t unknown_lead_time = 0;   // successful deploys whose changes are unknown
  std::optional<double> lead_time_median, lead_time_p90;  // hours
  std::optional<double> change_failure_rate;              // failed / attempts
  std::uint64_t incidents = 0;     // opened in the window
  std::uint64_t unresolved = 0;
  std::optional<double> time_to_restore_median;  // hours, resolved incidents
  Classified stage;        // maturity
  Classified performance;  // DORA levels
};

struct Scope {
  Metrics overall;
  std::map<std::string, Metrics> services;
};

struct PeriodReport {
  Millis from = 0, to = 0;
  Scope scope;
};

// At most this many problems are listed in a report (all are counted).
inline constexpr std::size_t kMaxListedProblems = 1000;

struct DoraReport {
  std::string levels_version;
  DoraOptions options;
  Scope all;
  std::vector<PeriodReport> periods;
  // Delivery entries of the ledger that could not be used (skipped), of any
  // service: how many, and the first kMaxListedProblems by ledger entry.
  std::uint64_t problem_count = 0;
  std::vector<Problem> problems;
};

// Computes the report from a finished kReport log (LoadEvents finishes it).
// Per-deploy figures (lead times, whether it failed) do not depend on the
// window: an incident after the window still marks a deploy inside it as
// failed.
Result<DoraReport> ComputeDora(const EventLog& log, const DoraOptions& opts, const LevelTable& levels);

// Linear-interpolation percentile of unsorted values (R type 7, NumPy's
// default); p in [0, 1]. Reorders `v`.
double Percentile(std::vector<double>& v, double p);

Json DoraToJson(const DoraReport& r);
std::string DoraToText(const DoraReport& r);
std::string DoraToCsv(const DoraReport& r);

// Reads every deploy, incident and change the ledger holds into `log` and
// finishes it. An entry that cannot be used (malformed, or against the rules
// of EventLog::Add) is skipped and recorded in log.problems(); a duplicate is
// counted once and listed too. Only a damaged store is an error (Integrity:
// a body that is not a JSON object, a type column that does not match).
// With `from`, only entries from that index on are read (a kStrict log
// brought up to date: Finish is a no-op for it).
Status LoadEvents(ledger::Ledger& ledger, EventLog& log, std::uint64_t from = 0);

}  // namespace tollgate::delivery
