#include "server/metrics.h"

#include <cstdio>
#include <sstream>

namespace tollgate::server {
namespace {

// Seconds: from 0.5 ms to 10 s.
constexpr std::array<double, 12> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10};

// A label value as the exposition format escapes it.
std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void Metrics::Histogram::Observe(double v) {
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (v <= kBounds[i]) ++buckets[i];
  ++count;
  sum += v;
}

void Metrics::Request(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, std::to_string(status)}];
  latency_[route].Observe(seconds);
}

void Metrics::GateOutcome(const std::string& gate, const std::string& decision) {
  std::lock_guard<std::mutex> lock(mu_);
  ++gates_[{gate, decision}];
}

void Metrics::WebhookFailure(const std::string& provider, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++webhook_failures_[{provider, reason}];
}

void Metrics::Admission(double seconds, bool allowed) {
  std::lock_guard<std::mutex> lock(mu_);
  ++admissions_[allowed ? "true" : "false"];
  admission_latency_.Observe(seconds);
}

void Metrics::Appended(std::uint64_t entries) {
  std::lock_guard<std::mutex> lock(mu_);
  appended_ += entries;
}

void Metrics::LedgerSize(std::uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  ledger_size_ = size;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  auto histogram = [&](const std::string& name, const std::string& labels, const Histogram& h) {
    std::string sep = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i < kBounds.size(); ++i)
      out << name << "_bucket{" << labels << sep << "le=\"" << Num(kBounds[i]) << "\"} " << h.buckets[i] << "\n";
    out << name << "_bucket{" << labels << sep << "le=\"+Inf\"} " << h.count << "\n";
    out << name << "_sum" << (labels.empty() ? "" : "{" + labels + "}") << " " << Num(h.sum) << "\n";
    out << name << "_count" << (labels.empty() ? "" : "{" + labels + "}") << " " << h.count << "\n";
  };
  out << "# HELP tollgate_http_requests_total HTTP requests answered, by route, method and status.\n"
      << "# TYPE tollgate_http_requests_total counter\n";
  for (const auto& [k, v] : requests_)
    out << "tollgate_http_requests_total{route=\"" << Escape(k[0]) << "\",method=\"" << Escape(k[1]) << "\",status=\""
        << k[2] << "\"} " << v << "\n";
  out << "# HELP tollgate_http_request_duration_seconds Time to answer a request, by route.\n"
      << "# TYPE tollgate_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_)
    histogram("tollgate_http_request_duration_seconds", "route=\"" + Escape(route) + "\"", h);
  out << "# HELP tollgate_ledger_entries Entries in the ledger.\n# TYPE tollgate_ledger_entries gauge\n"
      << "tollgate_ledger_entries " << ledger_size_ << "\n";
  out << "# HELP tollgate_ledger_appended_entries_total Entries this process appended.\n"
      << "# TYPE tollgate_ledger_appended_entries_total counter\n"
      << "tollgate_ledger_appended_entries_total " << appended_ << "\n";
  out << "# HELP tollgate_gate_decisions_total Gate decisions, by gate and decision.\n"
      << "# TYPE tollgate_gate_decisions_total counter\n";
  for (const auto& [k, v] : gates_)
    out << "tollgate_gate_decisions_total{gate=\"" << Escape(k[0]) << "\",decision=\"" << Escape(k[1]) << "\"} " << v << "\n";
  out << "# HELP tollgate_webhook_failures_total Webhook deliveries refused, by provider and reason.\n"
      << "# TYPE tollgate_webhook_failures_total counter\n";
  for (const auto& [k, v] : webhook_failures_)
    out << "tollgate_webhook_failures_total{provider=\"" << Escape(k[0]) << "\",reason=\"" << Escape(k[1]) << "\"} " << v
        << "\n";
  out << "# HELP tollgate_admission_reviews_total Admission reviews answered, by verdict.\n"
      << "# TYPE tollgate_admission_reviews_total counter\n";
  for (const auto& [k, v] : admissions_) out << "tollgate_admission_reviews_total{allowed=\"" << k << "\"} " << v << "\n";
  out << "# HELP tollgate_admission_duration_seconds Time to decide an admission review.\n"
      << "# TYPE tollgate_admission_duration_seconds histogram\n";
  histogram("tollgate_admission_duration_seconds", "", admission_latency_);
  return out.str();
}

}  // namespace tollgate::server
