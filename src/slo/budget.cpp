// Error budgets from SLI samples: remaining budget over the period, burn
// rates over the alert windows, and time to exhaustion.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "core/file.h"
#include "slo/slo.h"

namespace tollgate::slo {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::vector<std::string> SplitComma(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(Trim(cur));
  return out;
}

Result<double> Count(const std::string& s) {
  if (s.empty()) return Fail(Error::Input("empty count"));
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return Fail(Error::Input("'" + s + "' is not a number"));
  if (!std::isfinite(v)) return Fail(Error::Input("'" + s + "' is not a finite number (NaN and infinity are refused)"));
  if (v < 0) return Fail(Error::Input("negative count " + s));
  return v;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Human(Seconds s) {
  std::int64_t v = s.count();
  if (v >= 86400) return std::to_string(v / 86400) + "d" + (v % 86400 >= 3600 ? std::to_string(v % 86400 / 3600) + "h" : "");
  if (v >= 3600) return std::to_string(v / 3600) + "h" + (v % 3600 >= 60 ? std::to_string(v % 3600 / 60) + "m" : "");
  if (v >= 60) return std::to_string(v / 60) + "m";
  return std::to_string(v) + "s";
}

}  // namespace

Result<std::vector<Sample>> ParseSamplesCsv(const std::string& text, const std::string& file) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++lineno;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto cells = SplitComma(line);
    const std::string where = file + ":" + std::to_string(lineno);
    if (!header) {
      if (cells.size() != 3 || cells[0] != "time" || cells[1] != "good" || cells[2] != "total")
        return Fail(Error::Input(where + ": the header must be 'time,good,total'"));
      header = true;
      continue;
    }
    if (cells.size() != 3) return Fail(Error::Input(where + ": expected 3 columns (time,good,total), got " + std::to_string(cells.size())));
    auto t = ParseRfc3339(cells[0]);
    if (!t) return Fail(Error::Input(where + ": time: " + t.error().message()));
    auto good = Count(cells[1]);
    if (!good) return Fail(Error::Input(where + ": good: " + good.error().message()));
    auto total = Count(cells[2]);
    if (!total) return Fail(Error::Input(where + ": total: " + total.error().message()));
    if (*good > *total) return Fail(Error::Input(where + ": good (" + cells[1] + ") exceeds total (" + cells[2] + ")"));
    if (!out.empty() && *t <= out.back().time)
      return Fail(Error::Input(where + ": time goes backwards or repeats (" + cells[0] + ")"));
    out.push_back(Sample{*t, *good, *total});
  }
  if (!header) return Fail(Error::Input(file + ": empty: expected the header 'time,good,total' and samples"));
  if (out.empty()) return Fail(Error::Input(file + ": no samples after the header"));
  return out;
}

Result<std::vector<Sample>> LoadSamplesCsv(const std::string& path) {
  auto text = ReadFileBounded(path, std::size_t{4} << 20, "SLI data");
  if (!text) return Fail(text.error());
  return ParseSamplesCsv(*text, path);
}

BudgetStatus ComputeBudget(const Slo& slo, const Period& period, const std::vector<Sample>& samples, TimePoint now) {
  BudgetStatus b;
  b.slo = slo.name;
  b.service = slo.service;
  b.objective = slo.objective;
  b.period = period;
  b.to = now;
  b.from = period.Start(now);
  const double budget = slo.ErrorBudget();
  // Samples in (start, now]: by binary search when sorted by time (CSV and
  // Prometheus input always is), else by a scan.
  const bool sorted = std::is_sorted(samples.begin(), samples.end(),
                                     [](const Sample& x, const Sample& y) { return x.time < y.time; });
  auto sum = [&](TimePoint start, double* total, double* bad) {
    auto first = samples.begin(), last = samples.end();
    if (sorted) {
      first = std::upper_bound(samples.begin(), samples.end(), start,
                               [](TimePoint t, const Sample& x) { return t < x.time; });
      last = std::upper_bound(first, samples.end(), now, [](TimePoint t, const Sample& x) { return t < x.time; });
    }
    for (auto it = first; it != last; ++it) {
      if (it->time <= start || it->time > now) continue;
      *total += it->total;
      *bad += it->total - it->good;
    }
  };
  sum(b.from, &b.total, &b.bad);
  b.budget_events = budget * b.total;
  b.low_traffic = slo.min_events > 0 && b.total < static_cast<double>(slo.min_events);
  if (b.total > 0) {
    b.consumed = (b.bad / b.total) / budget;
    b.remaining = 1 - b.consumed;
  }
  // Too few events to judge: report the numbers, never freeze on them.
  b.exhausted = b.total > 0 && !b.low_traffic && b.consumed >= 1;

  const AlertWindows w = DefaultWindows(period.length);
  std::set<Seconds> windows;
  for (const BurnWindow* bw : {&w.page_quick, &w.page_slow, &w.ticket_quick, &w.ticket_slow}) {
    windows.insert(bw->short_window);
    windows.insert(bw->long_window);
  }
  for (Seconds win : windows) {
    WindowBurn wb;
    wb.window = win;
    const TimePoint start = std::max(b.from, now - std::chrono::duration_cast<std::chrono::nanoseconds>(win));
    sum(start, &wb.total, &wb.bad);
    if (wb.total > 0) {
      wb.error_ratio = wb.bad / wb.total;
      if (slo.min_events == 0 || wb.total >= static_cast<double>(slo.min_events)) wb.burn_rate = *wb.error_ratio / budget;
    }
    b.burn.push_back(wb);
  }
  if (b.total > 0 && !b.low_traffic) {
    if (b.remaining <= 0) {
      b.time_to_exhaustion = Seconds(0);
    } else {
      for (const auto& wb : b.burn) {
        if (wb.window != Seconds(3600) || !wb.burn_rate || *wb.burn_rate <= 0) continue;
        double secs = b.remaining * static_cast<double>(period.length.count()) / *wb.burn_rate;
        if (secs < 1e12) b.time_to_exhaustion = Seconds(static_cast<std::int64_t>(secs));
      }
    }
  }
  return b;
}

Json ToJson(const BudgetStatus& b) {
  Json j = Json::object();
  j["service"] = b.service;
  j["slo"] = b.slo;
  j["objective"] = b.objective;
  j["period"] = b.period.Label();
  j["from"] = FormatRfc3339(b.from);
  j["to"] = FormatRfc3339(b.to);
  j["events"] = {{"total", b.total}, {"bad", b.bad}};
  j["error_budget"] = {{"allowed_bad_events", b.budget_events},
                       {"consumed", b.consumed},
                       {"remaining", b.remaining},
                       {"exhausted", b.exhausted}};
  j["low_traffic"] = b.low_traffic;
  Json burn = Json::array();
  for (const auto& w : b.burn) {
    Json e = Json::object();
    e["window"] = FormatDuration(w.window);
    e["total"] = w.total;
    e["bad"] = w.bad;
    e["error_ratio"] = w.error_ratio ? Json(*w.error_ratio) : Json(nullptr);
    e["burn_rate"] = w.burn_rate ? Json(*w.burn_rate) : Json(nullptr);
    burn.push_back(std::move(e));
  }
  j["burn_rates"] = std::move(burn);
  j["time_to_exhaustion_seconds"] = b.time_to_exhaustion ? Json(b.time_to_exhaustion->count()) : Json(nullptr);
  return j;
}

std::string ToText(const BudgetStatus& b) {
  std::ostringstream o;
  o << b.service << " / " << b.slo << ": objective " << b.objective << "% over " << b.period.Label() << " ("
    << FormatRfc3339(b.from) << " .. " << FormatRfc3339(b.to) << ")\n";
  o << "  events: " << Fixed(b.total, 0) << " total, " << Fixed(b.bad, 0) << " bad";
  if (b.total > 0) o << " (error ratio " << Fixed(100 * b.bad / b.total, 4) << "%)";
  o << "\n";
  if (b.total == 0) {
    o << "  error budget: no events in the period: 100% remaining\n";
  } else {
    o << "  error budget: " << Fixed(100 * b.remaining, 2) << "% remaining (" << Fixed(100 * b.consumed, 2) << "% spent)"
      << (b.exhausted ? "  EXHAUSTED" : "") << (b.low_traffic ? "  (low traffic: below min_events, not judged)" : "")
      << "\n";
  }
  o << "  burn rate:";
  for (const auto& w : b.burn) {
    o << "  " << FormatDuration(w.window) << " ";
    if (w.burn_rate)
      o << Fixed(*w.burn_rate, 2) << "x";
    else
      o << (w.total > 0 ? "(few events)" : "-");
  }
  o << "\n";
  if (b.time_to_exhaustion)
    o << "  time to exhaustion: " << (b.time_to_exhaustion->count() == 0 ? "now (spent)" : Human(*b.time_to_exhaustion) + " at the 1h burn rate") << "\n";
  else
    o << "  time to exhaustion: not burning\n";
  return o.str();
}

}  // namespace tollgate::slo
