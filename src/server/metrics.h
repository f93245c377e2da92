// Prometheus metrics of the service, in the text exposition format 0.0.4.
// Private to src/server.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace tollgate::server {

class Metrics {
 public:
  void Request(const std::string& route, const std::string& method, int status, double seconds);
  void GateOutcome(const std::string& gate, const std::string& decision);
  void WebhookFailure(const std::string& provider, const std::string& reason);
  void Admission(double seconds, bool allowed);
  void Appended(std::uint64_t entries);
  void LedgerSize(std::uint64_t size);
  // The exposition text.
  std::string Render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, 12> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
    void Observe(double v);
  };
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::uint64_t> requests_;  // route, method, status
  std::map<std::string, Histogram> latency_;                    // route
  std::map<std::vector<std::string>, std::uint64_t> gates_;     // gate, decision
  std::map<std::vector<std::string>, std::uint64_t> webhook_failures_;  // provider, reason
  std::map<std::string, std::uint64_t> admissions_;             // allowed/denied
  Histogram admission_latency_;
  std::uint64_t appended_ = 0;
  std::uint64_t ledger_size_ = 0;
};

}  // namespace tollgate::server
