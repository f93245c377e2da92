// SLOs: specs (Sloth prometheus/v1, OpenSLO v1 and v1alpha), built-in
// templates, Prometheus recording and multiwindow multi-burn-rate alerting
// rules, error budgets from samples, and the deploy-freeze check that the
// error-budget gate uses. The public header of the slo module (docs/slo.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"
#include "core/time.h"

namespace tollgate::slo {

using Seconds = std::chrono::seconds;

// The SLO period: a rolling window of fixed length, or a calendar month or
// quarter (UTC). Calendar periods use their nominal length (30d, 90d) in
// Prometheus rules, which cannot express calendar boundaries.
struct Period {
  enum class Kind { kRolling, kCalendarMonth, kCalendarQuarter };
  Kind kind = Kind::kRolling;
  Seconds length{30 * 86400};

  std::string Label() const;  // "30d", "28d", "month", "quarter"
  // The start of the period that contains `now`.
  TimePoint Start(TimePoint now) const;
};

// "30d", "28d", "4w", "7d", "month", "quarter".
Result<Period> ParsePeriod(const std::string& text);
// Prometheus duration "5m", "1h", "3d", "4w" (one unit, as Sloth writes them).
Result<Seconds> ParseDuration(const std::string& text);
// FormatDuration (core/time.h) prints durations as Prometheus does: "1h", "30m", "4w".

struct Sli {
  enum class Kind { kEvents, kGoodTotal, kRaw };
  Kind kind = Kind::kEvents;
  // kEvents: the error (bad) ratio is error_query / total_query; kGoodTotal
  // (OpenSLO `good`): 1 - good_query / total_query. All are per-second rates
  // with {{.window}} standing for the window.
  std::string error_query;
  std::string good_query;
  std::string total_query;
  // kRaw: a query that yields the error ratio itself.
  std::string error_ratio_query;
};

struct AlertSeverity {
  bool disable = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

struct Alerting {
  std::string name;  // alert name; a default is derived when empty
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  AlertSeverity page;
  AlertSeverity ticket;
};

struct Slo {
  std::string service;
  std::string name;
  std::string description;
  double objective = 0;  // percent, in (0, 100)
  std::map<std::string, std::string> labels;
  Sli sli;
  Alerting alerting;
  std::optional<Period> period;  // nullopt: the default of the run (30d)
  // An alert window with fewer events than this never alerts (low traffic);
  // 0 disables the check. Only for event SLIs.
  std::uint64_t min_events = 0;
  std::string spec_format;  // "prometheus/v1", "openslo/v1", "openslo/v1alpha"

  std::string Id() const { return service + "-" + name; }
  double ErrorBudget() const;  // 1 - objective/100, rounded to 12 significant digits
};

// Where the error-budget gate and `slo budget` read the SLI's history from:
// the tollgate extension block of a spec (`tollgate: {data: FILE, prometheus: URL}`).
struct DataSource {
  std::string data;        // CSV of time,good,total (relative to the spec)
  std::string prometheus;  // base URL of a Prometheus server
};

struct Spec {
  std::string path;
  std::vector<Slo> slos;
  DataSource source;
};

// Parses one file, which may hold several YAML documents (Sloth multi-file,
// OpenSLO SLO + SLI). Errors read "file:line:column: problem".
Result<Spec> ParseSpec(const std::string& text, const std::string& file);
Result<Spec> LoadSpec(const std::string& path);

// One alert of the multiwindow multi-burn-rate scheme: it fires when the
// error ratio exceeds factor x budget over both windows, where
// factor = budget_percent/100 x period / long_window.
struct BurnWindow {
  double budget_percent = 0;  // share of the period's budget this alert spends
  Seconds short_window{0};
  Seconds long_window{0};
  double Factor(Seconds period) const;
};

struct AlertWindows {
  Seconds period{30 * 86400};
  BurnWindow page_quick, page_slow, ticket_quick, ticket_slow;
};

// The Google SRE workbook windows (page 2% in 1h/5m and 5% in 6h/30m;
// ticket 10% in 1d/2h and 10% in 3d/6h), which give the factors 14.4, 6, 3
// and 1 on 30 days and scale with the period.
AlertWindows DefaultWindows(Seconds period);
// Sloth's `AlertWindows` document (sloth.slok.dev/v1).
Result<AlertWindows> ParseAlertWindows(const std::string& text, const std::string& file);
Result<AlertWindows> LoadAlertWindows(const std::string& path);

struct RulesOptions {
  Period default_period;                  // for SLOs without their own period
  std::optional<AlertWindows> windows;    // custom windows; must match the period
  bool alerts = true;
  bool recordings = true;
  std::map<std::string, std::string> extra_labels;
};

// Prometheus rule groups (YAML) for every SLO: SLI error ratios per window,
// meta-recordings (objective, budget, period, burn rates, remaining budget)
// and the page and ticket alerts.
Result<std::string> GenerateRules(const std::vector<Slo>& slos, const RulesOptions& opts);

// Built-in templates for the five service categories (docs/slo.md).
struct Template {
  std::string name;
  std::string summary;
};
std::vector<Template> Templates();
Result<std::string> TemplateSpec(const std::string& name, const std::string& service);

// One observation of the SLI: events in the interval that ends at `time`.
struct Sample {
  TimePoint time;
  double good = 0;
  double total = 0;
};

// CSV with the header "time,good,total" (RFC 3339 times, counts per
// interval, time strictly increasing).
Result<std::vector<Sample>> ParseSamplesCsv(const std::string& text, const std::string& file);
Result<std::vector<Sample>> LoadSamplesCsv(const std::string& path);

struct WindowBurn {
  Seconds window{0};
  double total = 0;
  double bad = 0;
  std::optional<double> error_ratio;  // none without events
  std::optional<double> burn_rate;    // none without events or below min_events
};

struct BudgetStatus {
  std::string slo;
  std::string service;
  double objective = 0;
  Period period;
  TimePoint from;
  TimePoint to;
  double total = 0;
  double bad = 0;
  double budget_events = 0;      // bad events the period allows so far
  double consumed = 0;           // fraction of the budget spent (may exceed 1)
  double remaining = 1;          // 1 - consumed (negative when overspent)
  bool exhausted = false;
  std::vector<WindowBurn> burn;  // one per alert window, shortest first
  // At the 1h burn rate; none when not burning or no data.
  std::optional<Seconds> time_to_exhaustion;
  bool low_traffic = false;      // fewer events in the period than min_events
};

BudgetStatus ComputeBudget(const Slo& slo, const Period& period, const std::vector<Sample>& samples, TimePoint now);
Json ToJson(const BudgetStatus& b);
std::string ToText(const BudgetStatus& b);

// The Prometheus HTTP API, behind an interface so tests can use a fake.
class HttpGetter {
 public:
  virtual ~HttpGetter() = default;
  // GET base_url + path_and_query; the body of a 200 response.
  virtual Result<std::string> Get(const std::string& base_url, const std::string& path_and_query) = 0;
};
std::unique_ptr<HttpGetter> MakeHttpGetter();  // cpp-httplib; http:// only
// The body of `GET /api/v1/query_range` for `query` (URL-encoded here) over
// [from, to] at `step`, unparsed (finops' right-sizing streams it).
Result<std::string> QueryRangeBody(HttpGetter& http, const std::string& base_url, const std::string& query,
                                   TimePoint from, TimePoint to, Seconds step);

// Samples for one SLO from `query_range` over [from, to] at `step`: for an
// event SLI, total = total_query x step and bad = error_query x step per step;
// for a raw SLI each step weighs one event.
Result<std::vector<Sample>> QueryPrometheus(HttpGetter& http, const std::string& base_url, const Slo& slo,
                                            TimePoint from, TimePoint to, Seconds step);
// 5m, or longer (whole minutes) when 5m steps would exceed Prometheus'
// 11,000 points per series over [from, to].
Seconds DefaultStep(TimePoint from, TimePoint to);

// The deploy freeze. `fail_on` is "exhausted" or "burn-rate>X" (X on the 1h
// and 6h windows, both). Returns one critical finding per SLO that trips it,
// with a fingerprint stable for that SLO and condition, so a waiver binds.
struct FreezeOptions {
  std::string fail_on = "exhausted";
  std::string gate;  // gate name put on findings
};
Result<std::vector<Finding>> FreezeFindings(const Spec& spec, const std::vector<std::vector<Sample>>& samples,
                                            const FreezeOptions& opts, TimePoint now);
// Loads the spec and its data (CSV, or Prometheus at `now`) and checks it.
Result<std::vector<Finding>> CheckErrorBudget(const std::string& spec_path, const FreezeOptions& opts);

// Error budgets of a spec's SLOs, as `tollgate slo budget` and the service's
// /api/v1/reports/slo compute them: from a CSV of one SLI (`data`) or
// Prometheus (`prometheus`); when neither is given, from the spec's own
// tollgate.data / tollgate.prometheus.
struct BudgetRequest {
  std::string spec;        // the SLO spec file
  std::string data;        // CSV samples
  std::string prometheus;  // base URL
  std::string slo;         // only this SLO; empty: all
  std::optional<TimePoint> at;  // default: the last sample (CSV) or now (Prometheus)
  std::string step;        // Prometheus query step; empty: DefaultStep
};
Result<std::vector<BudgetStatus>> Budgets(const BudgetRequest& request, TimePoint now);

}  // namespace tollgate::slo
