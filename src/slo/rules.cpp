// Prometheus rules: SLI recordings per window, meta-recordings, and the
// multiwindow multi-burn-rate page and ticket alerts (docs/slo.md).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/yaml.h"
#include "slo/slo.h"

namespace tollgate::slo {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

std::string Substitute(std::string q, Seconds window) {
  const std::string w = FormatDuration(window);
  for (const char* pat : {"{{.window}}", "{{ .window }}"}) {
    const std::string p = pat;
    for (std::size_t pos = q.find(p); pos != std::string::npos; pos = q.find(p, pos + w.size()))
      q.replace(pos, p.size(), w);
  }
  // Trailing newlines of YAML block scalars would only add noise.
  while (!q.empty() && (q.back() == '\n' || q.back() == ' ')) q.pop_back();
  return q;
}

std::string SliExpr(const Sli& sli, Seconds w) {
  switch (sli.kind) {
    case Sli::Kind::kEvents:
      return "(" + Substitute(sli.error_query, w) + ")\n/\n(" + Substitute(sli.total_query, w) + ")\n";
    case Sli::Kind::kGoodTotal:
      return "(\n  1 - (\n    (\n      " + Substitute(sli.good_query, w) + "\n    )\n    /\n    (\n      " +
             Substitute(sli.total_query, w) + "\n    )\n  )\n)\n";
    case Sli::Kind::kRaw: return "(\n  " + Substitute(sli.error_ratio_query, w) + "\n)\n";
  }
  return {};
}

std::string CamelName(const std::string& a, const std::string& b) {
  std::string out;
  bool up = true;
  for (char c : a + "-" + b) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out + "ErrorBudgetBurn";
}

void EmitLabels(YAML::Emitter& out, const char* key, const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : labels) out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  out << YAML::EndMap;
}

std::string Chomp(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

void EmitRecord(YAML::Emitter& out, const std::string& record, const std::string& expr_in,
                const std::map<std::string, std::string>& labels) {
  const std::string expr = Chomp(expr_in);
  out << YAML::BeginMap;
  out << YAML::Key << "record" << YAML::Value << record;
  out << YAML::Key << "expr" << YAML::Value;
  if (expr.find('\n') != std::string::npos) out << YAML::Literal;
  out << expr;
  EmitLabels(out, "labels", labels);
  out << YAML::EndMap;
}

// A PromQL string literal's content: backslash, quote and newline escaped.
std::string Quote(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

struct SloContext {
  const Slo* slo;
  Seconds period;
  AlertWindows windows;
  std::map<std::string, std::string> base_labels;  // extra + spec + SLO + tollgate ids
  std::string selector;                            // {tollgate_id="...", ...}
};

std::string Condition(const SloContext& c, const BurnWindow& bw) {
  const double budget = c.slo->ErrorBudget();
  const std::string factor = Num(bw.Factor(c.period));
  auto one = [&](Seconds w) {
    return "max(slo:sli_error:ratio_rate" + FormatDuration(w) + c.selector + " > (" + factor + " * " + Num(budget) +
           ")) without (tollgate_window)";
  };
  std::string s = "(\n    " + one(bw.short_window) + "\n    and\n    " + one(bw.long_window);
  if (c.slo->min_events > 0) {
    // Low traffic: the long window must have seen enough events to alert.
    s += "\n    and\n    max(slo:sli_events:total" + FormatDuration(bw.long_window) + c.selector + " >= " +
         std::to_string(c.slo->min_events) + ") without (tollgate_window)";
  }
  return s + "\n)";
}

void EmitAlert(YAML::Emitter& out, const SloContext& c, const std::string& severity, const AlertSeverity& sev,
               const BurnWindow& quick, const BurnWindow& slow) {
  const Slo& s = *c.slo;
  out << YAML::BeginMap;
  out << YAML::Key << "alert" << YAML::Value << (s.alerting.name.empty() ? CamelName(s.service, s.name) : s.alerting.name);
  out << YAML::Key << "expr" << YAML::Value << YAML::Literal << (Condition(c, quick) + "\nor\n" + Condition(c, slow));
  std::map<std::string, std::string> labels = s.alerting.labels;
  for (const auto& [k, v] : sev.labels) labels[k] = v;
  labels["tollgate_severity"] = severity;
  EmitLabels(out, "labels", labels);
  std::map<std::string, std::string> ann;
  ann["title"] = "(" + severity + ") {{$labels.tollgate_service}} {{$labels.tollgate_slo}} SLO error budget burn rate is too fast.";
  ann["summary"] = "{{$labels.tollgate_service}} {{$labels.tollgate_slo}} SLO error budget burn rate is over the " +
                   severity + " threshold.";
  for (const auto& [k, v] : s.alerting.annotations) ann[k] = v;
  for (const auto& [k, v] : sev.annotations) ann[k] = v;
  EmitLabels(out, "annotations", ann);
  out << YAML::EndMap;
}

}  // namespace

double BurnWindow::Factor(Seconds period) const {
  // Rounded so that 2% of 30d over 1h prints as 14.4, not 14.399999999999999.
  double f = budget_percent / 100.0 * static_cast<double>(period.count()) / static_cast<double>(long_window.count());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", f);
  return std::strtod(buf, nullptr);
}

AlertWindows DefaultWindows(Seconds period) {
  using std::chrono::hours;
  using std::chrono::minutes;
  AlertWindows w;
  w.period = period;
  w.page_quick = {2, Seconds(minutes(5)), Seconds(hours(1))};
  w.page_slow = {5, Seconds(minutes(30)), Seconds(hours(6))};
  w.ticket_quick = {10, Seconds(hours(2)), Seconds(hours(24))};
  w.ticket_slow = {10, Seconds(hours(6)), Seconds(hours(72))};
  return w;
}

namespace {
Result<AlertWindows> ParseAlertWindowsUnchecked(const std::string& text, const std::string& file) {
  auto parsed = yaml::ParseDocument(text, file);
  if (!parsed) return Fail(parsed.error());
  const yaml::Reader r(file);
  const YAML::Node doc = parsed->root;
  TG_TRY(r.OnlyKeys(doc, {"apiVersion", "kind", "spec"}, "AlertWindows"));
  if (!doc["kind"] || doc["kind"].Scalar() != "AlertWindows") return Fail(r.Bad(doc, "kind must be AlertWindows"));
  const YAML::Node sp = doc["spec"];
  if (!sp) return Fail(r.Bad(doc, "AlertWindows needs a spec"));
  TG_TRY(r.OnlyKeys(sp, {"sloPeriod", "page", "ticket"}, "spec"));
  AlertWindows w;
  auto period = r.String(sp["sloPeriod"], "sloPeriod");
  if (!period) return Fail(period.error());
  auto p = ParseDuration(*period);
  if (!p) return Fail(r.Bad(sp["sloPeriod"], p.error().message()));
  w.period = *p;
  auto one = [&](const char* sev, const char* speed, BurnWindow& bw) -> Status {
    const YAML::Node n = sp[sev][speed];
    if (!n) return Fail(r.Bad(sp, std::string("missing ") + sev + "." + speed));
    TG_TRY(r.OnlyKeys(n, {"errorBudgetPercent", "shortWindow", "longWindow"}, std::string(sev) + "." + speed));
    auto pct = r.Number(n["errorBudgetPercent"], "errorBudgetPercent");
    if (!pct) return Fail(pct.error());
    if (*pct <= 0 || *pct > 100) return Fail(r.Bad(n["errorBudgetPercent"], "errorBudgetPercent must be in (0, 100]"));
    auto sw = r.String(n["shortWindow"], "shortWindow");
    if (!sw) return Fail(sw.error());
    auto lw = r.String(n["longWindow"], "longWindow");
    if (!lw) return Fail(lw.error());
    auto s = ParseDuration(*sw);
    if (!s) return Fail(r.Bad(n["shortWindow"], s.error().message()));
    auto l = ParseDuration(*lw);
    if (!l) return Fail(r.Bad(n["longWindow"], l.error().message()));
    if (*s >= *l) return Fail(r.Bad(n, "shortWindow must be shorter than longWindow"));
    if (*l > w.period) return Fail(r.Bad(n, "longWindow must not exceed the SLO period"));
    bw = BurnWindow{*pct, *s, *l};
    return Ok();
  };
  TG_TRY(one("page", "quick", w.page_quick));
  TG_TRY(one("page", "slow", w.page_slow));
  TG_TRY(one("ticket", "quick", w.ticket_quick));
  TG_TRY(one("ticket", "slow", w.ticket_slow));
  return w;
}
}  // namespace

Result<AlertWindows> ParseAlertWindows(const std::string& text, const std::string& file) {
  return yaml::Guarded(file, [&] { return ParseAlertWindowsUnchecked(text, file); });
}

Result<AlertWindows> LoadAlertWindows(const std::string& path) {
  auto text = yaml::ReadFile(path, std::size_t{1} << 20, "alert windows file");
  if (!text) return Fail(text.error());
  return ParseAlertWindows(*text, path);
}

Result<std::string> GenerateRules(const std::vector<Slo>& slos, const RulesOptions& opts) {
  std::set<std::string> ids;
  for (const auto& s : slos)
    if (!ids.insert(s.Id()).second) return Fail(Error::Input("SLO '" + s.Id() + "' is defined more than once"));
  for (const auto& [k, v] : opts.extra_labels) {
    bool ok = !k.empty() && !std::isdigit(static_cast<unsigned char>(k[0])) && k.rfind("__", 0) != 0;
    for (char ch : k) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
    if (!ok) return Fail(Error::Input("'" + k + "' is not a valid Prometheus label name"));
  }
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : slos) {
    SloContext c;
    c.slo = &s;
    const Period period = s.period.value_or(opts.default_period);
    c.period = period.length;
    if (opts.windows) {
      if (opts.windows->period != c.period)
        return Fail(Error::Input("SLO '" + s.Id() + "': the alert windows are for a " + FormatDuration(opts.windows->period) +
                                 " period, the SLO's is " + FormatDuration(c.period)));
      c.windows = *opts.windows;
    } else {
      c.windows = DefaultWindows(c.period);
    }
    c.base_labels = opts.extra_labels;
    for (const auto& [k, v] : s.labels) c.base_labels[k] = v;
    c.base_labels["tollgate_id"] = s.Id();
    c.base_labels["tollgate_service"] = s.service;
    c.base_labels["tollgate_slo"] = s.name;
    c.selector = "{tollgate_id=\"" + Quote(s.Id()) + "\", tollgate_service=\"" + Quote(s.service) + "\", tollgate_slo=\"" +
                 Quote(s.name) + "\"}";

    std::set<Seconds> windows{Seconds(300)};
    for (const BurnWindow* bw : {&c.windows.page_quick, &c.windows.page_slow, &c.windows.ticket_quick, &c.windows.ticket_slow}) {
      windows.insert(bw->short_window);
      windows.insert(bw->long_window);
    }
    const std::string pw = FormatDuration(c.period);

    if (opts.recordings) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "tollgate-slo-sli-recordings-" + s.Id();
      out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
      for (Seconds w : windows) {
        auto labels = c.base_labels;
        labels["tollgate_window"] = FormatDuration(w);
        EmitRecord(out, "slo:sli_error:ratio_rate" + FormatDuration(w), SliExpr(s.sli, w), labels);
      }
      if (s.min_events > 0) {
        for (Seconds w : windows) {
          auto labels = c.base_labels;
          labels["tollgate_window"] = FormatDuration(w);
          EmitRecord(out, "slo:sli_events:total" + FormatDuration(w),
                     "(" + Substitute(s.sli.total_query, w) + ") * " + std::to_string(w.count()) + "\n", labels);
        }
      }
      auto labels = c.base_labels;
      labels["tollgate_window"] = pw;
      if (windows.count(c.period) == 0)  // a period as short as an alert window is already recorded
        EmitRecord(out, "slo:sli_error:ratio_rate" + pw,
                 "sum_over_time(slo:sli_error:ratio_rate5m" + c.selector + "[" + pw + "])\n/ ignoring (tollgate_window)\n" +
                     "count_over_time(slo:sli_error:ratio_rate5m" + c.selector + "[" + pw + "])\n",
                 labels);
      out << YAML::EndSeq << YAML::EndMap;

      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "tollgate-slo-meta-recordings-" + s.Id();
      out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
      EmitRecord(out, "slo:objective:ratio", "vector(" + Num(s.objective / 100.0) + ")", c.base_labels);
      EmitRecord(out, "slo:error_budget:ratio", "vector(" + Num(s.ErrorBudget()) + ")", c.base_labels);
      EmitRecord(out, "slo:time_period:days", "vector(" + Num(static_cast<double>(c.period.count()) / 86400.0) + ")",
                 c.base_labels);
      const std::string on = "\n/ on(tollgate_id, tollgate_slo, tollgate_service) group_left\n";
      EmitRecord(out, "slo:current_burn_rate:ratio",
                 "slo:sli_error:ratio_rate5m" + c.selector + on + "slo:error_budget:ratio" + c.selector + "\n", c.base_labels);
      EmitRecord(out, "slo:period_burn_rate:ratio",
                 "slo:sli_error:ratio_rate" + pw + c.selector + on + "slo:error_budget:ratio" + c.selector + "\n",
                 c.base_labels);
      EmitRecord(out, "slo:period_error_budget_remaining:ratio", "1 - slo:period_burn_rate:ratio" + c.selector,
                 c.base_labels);
      auto info = c.base_labels;
      info["tollgate_objective"] = Num(s.objective);
      info["tollgate_period"] = period.Label();
      info["tollgate_spec"] = s.spec_format;
      EmitRecord(out, "tollgate_slo_info", "vector(1)", info);
      out << YAML::EndSeq << YAML::EndMap;
    }

    const bool page = !s.alerting.page.disable, ticket = !s.alerting.ticket.disable;
    if (opts.alerts && (page || ticket)) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "tollgate-slo-alerts-" + s.Id();
      out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
      if (page) EmitAlert(out, c, "page", s.alerting.page, c.windows.page_quick, c.windows.page_slow);
      if (ticket) EmitAlert(out, c, "ticket", s.alerting.ticket, c.windows.ticket_quick, c.windows.ticket_slow);
      out << YAML::EndSeq << YAML::EndMap;
    }
  }
  out << YAML::EndSeq << YAML::EndMap;
  if (!out.good()) return Fail(Error::Internal("emitting rules: " + out.GetLastError()));
  return "# Generated by tollgate slo rules. DO NOT EDIT.\n" + std::string(out.c_str()) + "\n";
}

}  // namespace tollgate::slo
