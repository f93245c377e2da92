// Built-in SLO templates for the five service categories of a FinTech
// organisation (docs/slo.md lists them with their metrics).
#include <cctype>

#include "slo/slo.h"

namespace tollgate::slo {
namespace {

struct Builtin {
  const char* name;
  const char* summary;
  const char* body;  // "{{service}}" is replaced by the service name
};

constexpr Builtin kTemplates[] = {
    {"payments", "payment requests succeed 99.99% of the time",
     R"(version: "prometheus/v1"
service: "{{service}}"
labels:
  category: "payments"
tollgate:
  period: 30d          # or: month, quarter (calendar periods for regulatory reporting)
  min_events: 100      # a window with fewer requests never pages
slos:
  - name: "requests-availability"
    objective: 99.99
    description: "Payment requests that do not fail with a server error (5xx)."
    sli:
      events:
        error_query: sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{service="{{service}}"}[{{.window}}]))
    alerting:
      name: PaymentsErrorBudgetBurn
      labels:
        category: "availability"
      page_alert:
        labels:
          severity: "critical"
      ticket_alert:
        labels:
          severity: "warning"
)"},
    {"login", "logins succeed 99.9% of the time",
     R"(version: "prometheus/v1"
service: "{{service}}"
labels:
  category: "login"
tollgate:
  period: 30d
  min_events: 50
slos:
  - name: "login-availability"
    objective: 99.9
    description: "Login attempts that do not fail with a server error (5xx); wrong passwords are not errors."
    sli:
      events:
        error_query: sum(rate(login_attempts_total{service="{{service}}",outcome="error"}[{{.window}}]))
        total_query: sum(rate(login_attempts_total{service="{{service}}"}[{{.window}}]))
    alerting:
      name: LoginErrorBudgetBurn
      page_alert:
        labels:
          severity: "critical"
      ticket_alert:
        labels:
          severity: "warning"
)"},
    {"balance-api", "95% of balance requests answer within 100 ms (p95 < 100 ms)",
     R"(version: "prometheus/v1"
service: "{{service}}"
labels:
  category: "balance-api"
tollgate:
  period: 30d
  min_events: 100
slos:
  - name: "latency-p95-100ms"
    objective: 95
    description: "Balance requests slower than 100 ms are errors: p95 < 100 ms means 95% are faster."
    sli:
      events:
        error_query: |
          sum(rate(http_request_duration_seconds_count{service="{{service}}"}[{{.window}}]))
          -
          sum(rate(http_request_duration_seconds_bucket{service="{{service}}",le="0.1"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{service="{{service}}"}[{{.window}}]))
    alerting:
      name: BalanceApiLatencyBudgetBurn
      page_alert:
        labels:
          severity: "critical"
      ticket_alert:
        labels:
          severity: "warning"
)"},
    {"fraud-detection", "99% of fraud checks answer within 50 ms (p99 < 50 ms)",
     R"(version: "prometheus/v1"
service: "{{service}}"
labels:
  category: "fraud-detection"
tollgate:
  period: 30d
  min_events: 100
slos:
  - name: "latency-p99-50ms"
    objective: 99
    description: "Fraud checks slower than 50 ms are errors: p99 < 50 ms means 99% are faster."
    sli:
      events:
        error_query: |
          sum(rate(fraud_check_duration_seconds_count{service="{{service}}"}[{{.window}}]))
          -
          sum(rate(fraud_check_duration_seconds_bucket{service="{{service}}",le="0.05"}[{{.window}}]))
        total_query: sum(rate(fraud_check_duration_seconds_count{service="{{service}}"}[{{.window}}]))
    alerting:
      name: FraudDetectionLatencyBudgetBurn
      page_alert:
        labels:
          severity: "critical"
      ticket_alert:
        labels:
          severity: "warning"
)"},
    {"data-freshness", "data is fresher than 5 minutes 99% of the time",
     R"(version: "prometheus/v1"
service: "{{service}}"
labels:
  category: "data-freshness"
tollgate:
  period: 30d
slos:
  - name: "freshness-5m"
    objective: 99
    description: "Minutes in which the newest data is older than 5 minutes are errors."
    sli:
      raw:
        error_ratio_query: |
          1 - avg_over_time(((time() - max(data_last_update_timestamp_seconds{service="{{service}}"})) < bool 300)[{{.window}}:1m])
    alerting:
      name: DataFreshnessBudgetBurn
      page_alert:
        labels:
          severity: "critical"
      ticket_alert:
        labels:
          severity: "warning"
)"},
};

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
    std::string s = t.body;
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
