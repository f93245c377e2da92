// The overview's gate figures (service_health.h).
#include "server/service_health.h"

#include <chrono>

#include "gate/gate.h"

namespace tollgate::server {

Json PassRateJson(const std::vector<GateRunRecord>& runs, const std::string& service, TimePoint now, int days) {
  TimePoint from = now - std::chrono::hours(24) * days;
  std::uint64_t total = 0, passed = 0;
  for (const auto& r : runs) {
    if (r.service != service || r.time < from || r.time > now) continue;
    ++total;
    if (r.decision == "pass") ++passed;
  }
  return Json{{"window_days", days},
              {"from", FormatRfc3339(from)},
              {"to", FormatRfc3339(now)},
              {"runs", total},
              {"passed", passed},
              {"pass_rate", total == 0 ? Json(nullptr) : Json(static_cast<double>(passed) / static_cast<double>(total))}};
}

Result<Json> BlockingBySeverity(const Json& report) {
  auto it = report.is_object() ? report.find("findings") : report.end();
  if (!report.is_object() || it == report.end() || !it->is_array())
    return Fail(Error::Integrity("stored gate report: no findings array"));
  Json out{{"critical", 0}, {"high", 0}, {"medium", 0}, {"low", 0}, {"info", 0}};
  std::uint64_t total = 0;
  for (const auto& f : *it) {
    auto b = f.find("blocking");
    if (b == f.end() || !b->is_boolean() || !b->get<bool>()) continue;
    auto s = f.find("severity");
    std::string sev = s != f.end() && s->is_string() ? s->get<std::string>() : "";
    if (!out.contains(sev)) sev = "unknown";
    out[sev] = out.value(sev, 0) + 1;
    ++total;
  }
  out["total"] = total;
  return out;
}

Json FreezeJson(const gate::Config& config) {
  Json gates = Json::array();
  bool frozen = false;
  for (const auto& g : config.gates) {
    if (g.kind != gate::SourceKind::kErrorBudget) continue;
    Json one{{"gate", g.name}, {"fail_on", g.fail_on_text.empty() ? "exhausted" : g.fail_on_text}};
    auto found = gate::CollectFindings(g, config, config.base_dir.empty() ? "." : config.base_dir);
    if (g.fail_on_text == "none") {  // reported, never blocking
      one["frozen"] = false;
      one["reason"] = "fail_on: none";
    } else if (!found) {
      one["frozen"] = true;
      one["reason"] = "the error budget could not be checked: " + found.error().message();
    } else if (!found->empty()) {
      one["frozen"] = true;
      one["reason"] = found->front().message;
    } else {
      one["frozen"] = false;
      one["reason"] = "";
    }
    frozen = frozen || one["frozen"].get<bool>();
    gates.push_back(std::move(one));
  }
  if (gates.empty()) return nullptr;
  return Json{{"frozen", frozen}, {"gates", gates}};
}

Json SloBudgetJson(const std::vector<slo::BudgetStatus>& budgets) {
  Json slos = Json::array();
  Json lowest = nullptr;
  for (const auto& b : budgets) {
    bool data = b.total > 0;
    slos.push_back(Json{{"slo", b.slo},
                        {"remaining", data ? Json(b.remaining) : Json(nullptr)},
                        {"exhausted", data && b.exhausted},
                        {"events", b.total}});
    if (data && (lowest.is_null() || b.remaining < lowest.get<double>())) lowest = b.remaining;
  }
  return Json{{"slos", slos}, {"lowest", lowest}};
}

}  // namespace tollgate::server
