// Built-in SLO templates for the five service categories of a FinTech
// organisation (docs/slo.md lists them with their metrics).
#include <cctype>
#include <string>

#include "slo/slo.h"

namespace tollgate::slo {
namespace {

struct Builtin {
  const char* name;
  const char* summary;
  int min_events;           // 0: no minimum (the SLI is not request based)
  const char* slo;          // SLO name
  const char* objective;    // percent
  const char* description;
  const char* sli;          // the `sli:` body, indented by 6; "{{service}}" is replaced by the service name
  const char* alert;        // alert name
  const char* alert_labels; // extra `alerting.labels`, or ""
};

constexpr Builtin kTemplates[] = {
    {"payments", "payment requests succeed 99.99% of the time", 100, "requests-availability", "99.99",
     "Payment requests that do not fail with a server error (5xx).",
     R"(      events:
        error_query: sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{service="{{service}}"}[{{.window}}]))
)",
     "PaymentsErrorBudgetBurn", "      labels:\n        category: \"availability\"\n"},
    {"login", "logins succeed 99.9% of the time", 50, "login-availability", "99.9",
     "Login attempts that do not fail with a server error (5xx); wrong passwords are not errors.",
     R"(      events:
        error_query: sum(rate(login_attempts_total{service="{{service}}",outcome="error"}[{{.window}}]))
        total_query: sum(rate(login_attempts_total{service="{{service}}"}[{{.window}}]))
)",
     "LoginErrorBudgetBurn", ""},
    {"balance-api", "95% of balance requests answer within 100 ms (p95 < 100 ms)", 100, "latency-p95-100ms", "95",
     "Balance requests slower than 100 ms are errors: p95 < 100 ms means 95% are faster.",
     R"(      events:
        error_query: |
          sum(rate(http_request_duration_seconds_count{service="{{service}}"}[{{.window}}]))
          -
          sum(rate(http_request_duration_seconds_bucket{service="{{service}}",le="0.1"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{service="{{service}}"}[{{.window}}]))
)",
     "BalanceApiLatencyBudgetBurn", ""},
    {"fraud-detection", "99% of fraud checks answer within 50 ms (p99 < 50 ms)", 100, "latency-p99-50ms", "99",
     "Fraud checks slower than 50 ms are errors: p99 < 50 ms means 99% are faster.",
     R"(      events:
        error_query: |
          sum(rate(fraud_check_duration_seconds_count{service="{{service}}"}[{{.window}}]))
          -
          sum(rate(fraud_check_duration_seconds_bucket{service="{{service}}",le="0.05"}[{{.window}}]))
        total_query: sum(rate(fraud_check_duration_seconds_count{service="{{service}}"}[{{.window}}]))
)",
     "FraudDetectionLatencyBudgetBurn", ""},
    {"data-freshness", "data is fresher than 5 minutes 99% of the time", 0, "freshness-5m", "99",
     "Minutes in which the newest data is older than 5 minutes are errors.",
     R"(      raw:
        error_ratio_query: |
          1 - avg_over_time(((time() - max(data_last_update_timestamp_seconds{service="{{service}}"})) < bool 300)[{{.window}}:1m])
)",
     "DataFreshnessBudgetBurn", ""},
};

// The Sloth prometheus/v1 spec of a template, before the service name is filled in.
std::string Body(const Builtin& t) {
  std::string s = "version: \"prometheus/v1\"\nservice: \"{{service}}\"\nlabels:\n  category: \"" + std::string(t.name) +
                  "\"\ntollgate:\n  period: 30d          # or: month, quarter (calendar periods for regulatory reporting)\n";
  if (t.min_events > 0)
    s += "  min_events: " + std::to_string(t.min_events) + "      # a window with fewer requests never pages\n";
  s += "slos:\n  - name: \"" + std::string(t.slo) + "\"\n    objective: " + t.objective + "\n    description: \"" +
       t.description + "\"\n    sli:\n" + t.sli + "    alerting:\n      name: " + t.alert + "\n" + t.alert_labels +
       "      page_alert:\n        labels:\n          severity: \"critical\"\n"
       "      ticket_alert:\n        labels:\n          severity: \"warning\"\n";
  return s;
}

}  // namespace

std::vector<Template> Templates() {
  std::vector<Template> out;
  for (const auto& t : kTemplates) out.push_back(Template{t.name, t.summary});
  return out;
}

Result<std::string> TemplateSpec(const std::string& name, const std::string& service) {
  if (service.empty()) return Fail(Error::Input("the service name must not be empty"));
  for (char c : service)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return Fail(Error::Input("service name '" + service + "' may hold only letters, digits, '-', '_' and '.'"));
  for (const auto& t : kTemplates) {
    if (name != t.name) continue;
    std::string s = Body(t);
    const std::string pat = "{{service}}";
    for (std::size_t pos = s.find(pat); pos != std::string::npos; pos = s.find(pat, pos + service.size()))
      s.replace(pos, pat.size(), service);
    return s;
  }
  std::string names;
  for (const auto& t : kTemplates) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return Fail(Error::Input("unknown SLO template '" + name + "' (" + names + ")"));
}

}  // namespace tollgate::slo
