// DORA metrics (docs/dora.md): the computation and its three output forms.
#include "delivery/dora.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace tollgate::delivery {
namespace {

constexpr Millis kWeek = 7 * kDay;

// Accumulates one scope (overall or a service, whole window or a period).
struct Accum {
  std::uint64_t deployments = 0, attempts = 0, failed = 0, unknown = 0, incidents = 0, unresolved = 0;
  std::vector<double> lead;  // hours per change
  std::vector<double> ttr;   // hours per resolved incident
};

std::optional<std::string> Classify(const MetricBands& m, const std::optional<double>& value, const std::string& below) {
  if (!value) return std::nullopt;
  for (const auto& b : m.bands)
    if (m.higher_is_better ? *value >= b.bound : *value <= b.bound) return b.level;
  return below;
}

// The whole is as good as its weakest known metric.
std::optional<std::string> Weakest(const LevelScale& s, std::initializer_list<const std::optional<std::string>*> parts) {
  std::optional<std::string> out;
  std::size_t worst = 0;
  for (const auto* p : parts) {
    if (!*p) continue;
    auto pos = static_cast<std::size_t>(std::find(s.order.begin(), s.order.end(), **p) - s.order.begin());
    if (!out || pos > worst) {
      out = **p;
      worst = pos;
    }
  }
  return out;
}

Classified ClassifyAll(const LevelScale& s, const Metrics& m, bool any_deploys) {
  Classified c;
  if (any_deploys) c.deployment_frequency = Classify(s.deployment_frequency, m.deploys_per_week, s.below);
  c.lead_time = Classify(s.lead_time, m.lead_time_median, s.below);
  c.change_failure_rate = Classify(s.change_failure_rate, m.change_failure_rate, s.below);
  c.time_to_restore = Classify(s.time_to_restore, m.time_to_restore_median, s.below);
  c.overall = Weakest(s, {&c.deployment_frequency, &c.lead_time, &c.change_failure_rate, &c.time_to_restore});
  return c;
}

Metrics Finish(Accum& a, Millis span, const LevelTable& levels) {
  Metrics m;
  m.deployments = a.deployments;
  m.attempts = a.attempts;
  m.failed = a.failed;
  m.deploys_per_week = span > 0 ? static_cast<double>(a.deployments) * static_cast<double>(kWeek) / static_cast<double>(span) : 0;
  m.changes = a.lead.size();
  m.unknown_lead_time = a.unknown;
  if (!a.lead.empty()) {
    m.lead_time_median = Percentile(a.lead, 0.5);
    m.lead_time_p90 = Percentile(a.lead, 0.9);
  }
  if (a.attempts > 0) m.change_failure_rate = static_cast<double>(a.failed) / static_cast<double>(a.attempts);
  m.incidents = a.incidents;
  m.unresolved = a.unresolved;
  if (!a.ttr.empty()) m.time_to_restore_median = Percentile(a.ttr, 0.5);
  m.stage = ClassifyAll(levels.maturity, m, a.attempts > 0 || span > 0);
  m.performance = ClassifyAll(levels.performance, m, a.attempts > 0 || span > 0);
  return m;
}

// Period boundaries: ISO weeks (Monday 00:00 UTC) or calendar months.
Millis PeriodStart(Millis t, Period by) {
  using namespace std::chrono;
  auto day = floor<days>(sys_time<milliseconds>(milliseconds(t)));
  if (by == Period::kWeek) {
    weekday wd{day};
    auto monday = day - days((wd.c_encoding() + 6) % 7);
    return duration_cast<milliseconds>(monday.time_since_epoch()).count();
  }
  year_month_day ymd{day};
  sys_days first{ymd.year() / ymd.month() / 1};
  return duration_cast<milliseconds>(first.time_since_epoch()).count();
}

Millis NextPeriod(Millis start, Period by) {
  using namespace std::chrono;
  if (by == Period::kWeek) return start + kWeek;
  year_month_day ymd{floor<days>(sys_time<milliseconds>(milliseconds(start)))};
  sys_days next{(ymd.year() / ymd.month() / 1) + months(1)};
  return duration_cast<milliseconds>(next.time_since_epoch()).count();
}

double Round(double v, double scale) { return std::round(v * scale) / scale; }

Json OptNum(const std::optional<double>& v, double scale) {
  if (!v) return nullptr;
  return Round(*v, scale);
}

Json OptStr(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }

Json ClassifiedJson(const Classified& c) {
  return Json{{"overall", OptStr(c.overall)},
              {"deployment_frequency", OptStr(c.deployment_frequency)},
              {"lead_time", OptStr(c.lead_time)},
              {"change_failure_rate", OptStr(c.change_failure_rate)},
              {"time_to_restore", OptStr(c.time_to_restore)}};
}

Json MetricsJson(const Metrics& m) {
  return Json{{"deployments", m.deployments},
              {"deploy_attempts", m.attempts},
              {"failed_deployments", m.failed},
              {"deploys_per_week", Round(m.deploys_per_week, 1e4)},
              {"lead_time_hours",
               {{"median", OptNum(m.lead_time_median, 1e3)},
                {"p90", OptNum(m.lead_time_p90, 1e3)},
                {"changes", m.changes},
                {"unknown_deploys", m.unknown_lead_time}}},
              {"change_failure_rate", OptNum(m.change_failure_rate, 1e4)},
              {"time_to_restore_hours",
               {{"median", OptNum(m.time_to_restore_median, 1e3)}, {"incidents", m.incidents}, {"unresolved", m.unresolved}}},
              {"stage", OptStr(m.stage.overall)},
              {"stages", ClassifiedJson(m.stage)},
              {"performance", ClassifiedJson(m.performance)}};
}

Json ScopeJson(const Scope& s) {
  Json services = Json::object();
  for (const auto& [name, m] : s.services) services[name] = MetricsJson(m);
  return Json{{"overall", MetricsJson(s.overall)}, {"services", std::move(services)}};
}

std::string Num(const std::optional<double>& v, int precision) {
  if (!v) return "";
  std::ostringstream ss;
  ss << std::fixed << std::setprecision(precision) << *v;
  std::string s = ss.str();
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

DoraOptions WindowEndingNow(const Clock& clock, Millis length) {
  DoraOptions o;
  o.to = ToMillis(clock.Now());
  o.from = o.to - length;
  return o;
}

Result<DoraOptions> WindowFromFlags(const std::string& from, const std::string& to, const std::string& window,
                                    bool window_given, const Clock& clock) {
  if (from.empty() && to.empty()) {
    auto w = ParseDuration(window);
    if (!w) return Fail(w.error().WithContext("--window"));
    return WindowEndingNow(clock, static_cast<Millis>(w->count()) * 1000);
  }
  if (window_given) return Fail(Error::Input("give --window or --from/--to, not both"));
  if (from.empty() || to.empty()) return Fail(Error::Input("--from and --to go together"));
  auto f = ParseTime(from);
  if (!f) return Fail(f.error().WithContext("--from"));
  auto t = ParseTime(to);
  if (!t) return Fail(t.error().WithContext("--to"));
  DoraOptions o;
  o.from = *f;
  o.to = *t;
  return o;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  double h = (static_cast<double>(v.size()) - 1) * p;
  auto lo = static_cast<std::size_t>(std::floor(h));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (h - static_cast<double>(lo)) * (b - a);
}

Result<DoraReport> ComputeDora(const EventLog& log, const DoraOptions& opts, const LevelTable& levels) {
  if (opts.to <= opts.from) return Fail(Error::Input("the report window is empty: --to must be after --from"));
  if (log.mode() != EventLog::Mode::kReport || !log.finished())
    return Fail(Error::Internal("ComputeDora needs a finished report log (EventLog::Finish)"));
  DoraReport r;
  r.problem_count = log.problems().size();
  r.problems.assign(log.problems().begin(),
                    log.problems().begin() + static_cast<std::ptrdiff_t>(std::min(log.problems().size(), kMaxListedProblems)));
  r.levels_version = levels.version;
  r.options = opts;
  const auto& deploys = log.deploys();
  const auto& incidents = log.incidents();
  const auto& names = log.names();
  auto env = log.Find(opts.env);
  std::optional<std::uint32_t> only;
  if (!opts.service.empty()) {
    only = log.Find(opts.service);
    bool has = false;
    if (only)
      for (const auto& d : deploys)
        if (d.service == *only) {
          has = true;
          break;
        }
    if (!has) return Fail(Error::Input("unknown service \"" + opts.service + "\": no deploy of it is recorded"));
  }

  // Per-deploy failure, independent of the window: a failed status, an
  // incident naming it (caused_by), or an incident attributed to it as the
  // latest successful deploy of its service in env within the attribution
  // window before the incident opened.
  std::vector<std::uint8_t> failed(deploys.size(), 0);
  std::vector<std::vector<std::uint32_t>> successes_by_service(names.size());
  for (std::size_t k = 0; k < deploys.size(); ++k) {
    const auto& d = deploys[k];
    if (!d.success) failed[k] = 1;
    if (env && d.env == *env && d.success) successes_by_service[d.service].push_back(static_cast<std::uint32_t>(k));
  }
  for (const auto& inc : incidents) {
    if (inc.caused_by == kUnusableCause) continue;
    if (inc.caused_by != kNoDeploy) {
      failed[static_cast<std::size_t>(inc.caused_by)] = 1;
      continue;
    }
    const auto& list = successes_by_service[inc.service];
    // Deploys are in (time, id) order (EventLog::Finish).
    auto it = std::upper_bound(list.begin(), list.end(), inc.opened,
                               [&](Millis t, std::uint32_t idx) { return t < deploys[idx].time; });
    if (it == list.begin()) continue;
    std::uint32_t idx = *(it - 1);
    if (inc.opened - deploys[idx].time <= opts.attribution_window) failed[idx] = 1;
  }

  // Periods.
  std::vector<std::pair<Millis, Millis>> periods;
  if (opts.by != Period::kNone) {
    for (Millis s = PeriodStart(opts.from, opts.by); s < opts.to; s = NextPeriod(s, opts.by))
      periods.emplace_back(std::max(s, opts.from), std::min(NextPeriod(s, opts.by), opts.to));
  }
  auto period_of = [&](Millis t) -> std::size_t {
    auto it = std::upper_bound(periods.begin(), periods.end(), t,
                               [](Millis v, const std::pair<Millis, Millis>& p) { return v < p.first; });
    return static_cast<std::size_t>(it - periods.begin()) - 1;
  };

  // accum[(p+1) * (S+1) + (s+1)]: p = -1 whole window, s = -1 overall.
  const std::size_t S = names.size() + 1;
  std::vector<Accum> acc((periods.size() + 1) * S);
  std::vector<std::uint8_t> service_seen(names.size(), 0);
  auto slots = [&](Millis t, std::uint32_t service, auto&& fn) {
    std::size_t base[2] = {0, SIZE_MAX};
    if (!periods.empty()) base[1] = (period_of(t) + 1) * S;
    for (std::size_t b : base) {
      if (b == SIZE_MAX) continue;
      fn(acc[b]);
      fn(acc[b + service + 1]);
    }
  };
  const auto& change_times = log.change_times();
  if (env) {
    for (std::size_t k = 0; k < deploys.size(); ++k) {
      const auto& d = deploys[k];
      if (d.env != *env || d.time < opts.from || d.time >= opts.to) continue;
      if (only && d.service != *only) continue;
      service_seen[d.service] = 1;
      slots(d.time, d.service, [&](Accum& a) {
        ++a.attempts;
        if (failed[k]) ++a.failed;
        if (!d.success) return;
        ++a.deployments;
        if (!d.changes_known) {
          ++a.unknown;
          return;
        }
        for (std::uint32_t c = d.changes_begin; c < d.changes_end; ++c)
          a.lead.push_back(static_cast<double>(d.time - change_times[c]) / static_cast<double>(kHour));
      });
    }
  }
  for (const auto& inc : incidents) {
    if (inc.opened < opts.from || inc.opened >= opts.to) continue;
    if (only && inc.service != *only) continue;
    service_seen[inc.service] = 1;
    slots(inc.opened, inc.service, [&](Accum& a) {
      ++a.incidents;
      if (!inc.is_resolved) {
        ++a.unresolved;
        return;
      }
      a.ttr.push_back(static_cast<double>(inc.resolved - inc.opened) / static_cast<double>(kHour));
    });
  }
  if (only) service_seen[*only] = 1;

  auto build = [&](std::size_t base, Millis span) {
    Scope s;
    s.overall = Finish(acc[base], span, levels);
    for (std::size_t k = 0; k < names.size(); ++k)
      if (service_seen[k]) s.services.emplace(names[k], Finish(acc[base + k + 1], span, levels));
    return s;
  };
  r.all = build(0, opts.to - opts.from);
  for (std::size_t p = 0; p < periods.size(); ++p) {
    PeriodReport pr;
    pr.from = periods[p].first;
    pr.to = periods[p].second;
    pr.scope = build((p + 1) * S, pr.to - pr.from);
    r.periods.push_back(std::move(pr));
  }
  return r;
}

Json DoraToJson(const DoraReport& r) {
  Json j = ScopeJson(r.all);
  Json out{{"version", "tollgate-dora/1"},
           {"levels_version", r.levels_version},
           {"env", r.options.env},
           {"window",
            {{"from", FormatTime(r.options.from)},
             {"to", FormatTime(r.options.to)},
             {"days", Round(static_cast<double>(r.options.to - r.options.from) / static_cast<double>(kDay), 1e4)}}},
           {"attribution_window_hours", Round(static_cast<double>(r.options.attribution_window) / static_cast<double>(kHour), 1e3)},
           {"overall", std::move(j["overall"])},
           {"services", std::move(j["services"])}};
  if (!r.options.service.empty()) out["service"] = r.options.service;
  Json problems = Json::array();
  for (const auto& p : r.problems) problems.push_back(Json{{"entry", p.seq}, {"reason", p.reason}});
  out["problems"] = Json{{"count", r.problem_count}, {"entries", std::move(problems)}};
  if (r.problem_count > r.problems.size()) out["problems"]["omitted"] = r.problem_count - r.problems.size();
  if (r.options.by != Period::kNone) {
    Json periods = Json::array();
    for (const auto& p : r.periods) {
      Json s = ScopeJson(p.scope);
      periods.push_back(Json{{"from", FormatTime(p.from)},
                             {"to", FormatTime(p.to)},
                             {"overall", std::move(s["overall"])},
                             {"services", std::move(s["services"])}});
    }
    out["by"] = r.options.by == Period::kWeek ? "week" : "month";
    out["periods"] = std::move(periods);
  }
  return out;
}

std::string DoraToText(const DoraReport& r) {
  std::ostringstream out;
  out << "DORA metrics, env " << r.options.env << ", " << FormatTime(r.options.from) << " to " << FormatTime(r.options.to)
      << " (levels " << r.levels_version << ")\n";
  auto row = [&](const std::string& scope, const Metrics& m) {
    out << std::left << std::setw(24) << scope.substr(0, 23) << std::right << std::setw(8) << m.deployments
        << std::setw(10) << Num(m.deploys_per_week, 2) << std::setw(10) << Num(m.lead_time_median, 2) << std::setw(10)
        << Num(m.lead_time_p90, 2) << std::setw(8)
        << (m.change_failure_rate ? Num(*m.change_failure_rate * 100, 1) + "%" : std::string()) << std::setw(10)
        << Num(m.time_to_restore_median, 2) << "  " << std::left << std::setw(12) << m.stage.overall.value_or("-")
        << m.performance.overall.value_or("-") << "\n";
  };
  auto table = [&](const Scope& s) {
    out << std::left << std::setw(24) << "scope" << std::right << std::setw(8) << "deploys" << std::setw(10) << "per week"
        << std::setw(10) << "lead p50" << std::setw(10) << "lead p90" << std::setw(8) << "CFR" << std::setw(10) << "MTTR p50"
        << "  " << std::left << std::setw(12) << "stage" << "DORA level\n";
    row("overall", s.overall);
    for (const auto& [name, m] : s.services) row("  " + name, m);
  };
  table(r.all);
  const Metrics& o = r.all.overall;
  out << "lead times in hours over " << o.changes << " changes";
  if (o.unknown_lead_time > 0) out << " (" << o.unknown_lead_time << " deploys with unknown changes not counted)";
  out << "; " << o.failed << " of " << o.attempts << " deploys failed; " << o.incidents << " incidents";
  if (o.unresolved > 0) out << " (" << o.unresolved << " unresolved)";
  out << "\n";
  out << "stages: frequency " << o.stage.deployment_frequency.value_or("-") << ", lead time "
      << o.stage.lead_time.value_or("-") << ", change failure " << o.stage.change_failure_rate.value_or("-")
      << ", restore " << o.stage.time_to_restore.value_or("-") << "\n";
  for (const auto& p : r.periods) {
    out << "\n" << FormatTime(p.from) << " to " << FormatTime(p.to) << "\n";
    table(p.scope);
  }
  if (r.problem_count > 0) {
    constexpr std::size_t kListed = 20;
    out << "\nproblems: " << r.problem_count << " delivery entr" << (r.problem_count == 1 ? "y" : "ies")
        << " of the ledger could not be used and " << (r.problem_count == 1 ? "was" : "were") << " skipped:\n";
    for (std::size_t k = 0; k < r.problems.size() && k < kListed; ++k)
      out << "  entry " << r.problems[k].seq << ": " << r.problems[k].reason << "\n";
    if (r.problem_count > kListed)
      out << "  ... and " << r.problem_count - kListed << " more (--format json lists " << kMaxListedProblems << ")\n";
  }
  return out.str();
}

std::string DoraToCsv(const DoraReport& r) {
  std::ostringstream out;
  out << "period_from,period_to,service,deployments,deploy_attempts,failed_deployments,deploys_per_week,"
         "lead_time_median_hours,lead_time_p90_hours,change_failure_rate,time_to_restore_median_hours,incidents,"
         "stage,performance\n";
  auto row = [&](Millis from, Millis to, const std::string& service, const Metrics& m) {
    out << FormatTime(from) << "," << FormatTime(to) << "," << CsvField(service) << "," << m.deployments << ","
        << m.attempts << "," << m.failed << "," << Num(m.deploys_per_week, 4) << "," << Num(m.lead_time_median, 3) << ","
        << Num(m.lead_time_p90, 3) << "," << Num(m.change_failure_rate, 4) << "," << Num(m.time_to_restore_median, 3)
        << "," << m.incidents << "," << CsvField(m.stage.overall.value_or("")) << ","
        << CsvField(m.performance.overall.value_or("")) << "\n";
  };
  auto scope = [&](Millis from, Millis to, const Scope& s) {
    row(from, to, "", s.overall);
    for (const auto& [name, m] : s.services) row(from, to, name, m);
  };
  scope(r.options.from, r.options.to, r.all);
  for (const auto& p : r.periods) scope(p.from, p.to, p.scope);
  // Entries that could not be used: a second table after a blank line.
  if (r.problem_count > 0) {
    out << "\nentry,problem\n";
    for (const auto& p : r.problems) out << p.seq << "," << CsvField(p.reason) << "\n";
    if (r.problem_count > r.problems.size())
      out << "," << CsvField(std::to_string(r.problem_count - r.problems.size()) + " more not listed") << "\n";
  }
  return out.str();
}

}  // namespace tollgate::delivery
