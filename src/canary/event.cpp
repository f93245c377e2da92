#include "canary/canary.h"

namespace tollgate::canary {

Json LedgerEvent(const JudgeConfig& config, const Judgement& j, const JudgementInputs& inputs) {
  Json payload = ToJson(j);
  payload["service"] = config.service;
  payload["inputs"] = {{"baseline", inputs.baseline}, {"canary", inputs.canary}, {"config", inputs.config}};
  return Json{{"type", "canary.judgement"},
              {"subject", config.service.empty() ? std::string("canary") : config.service},
              {"payload", std::move(payload)}};
}

}  // namespace tollgate::canary
