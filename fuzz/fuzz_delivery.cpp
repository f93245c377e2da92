// Fuzzes `tollgate event import`: JSON Lines, CSV and webhook payloads (the
// first byte picks the format), then the history rules of EventLog, and the
// DORA computation over whatever was accepted (in whatever order it came). Every accepted event must
// survive the round trip through its ledger form.
#include <cstddef>
#include <cstdint>
#include <string>

#include "delivery/delivery.h"
#include "delivery/dora.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tollgate::delivery;
  if (size == 0) return 0;
  static const ImportFormat kFormats[] = {ImportFormat::kJsonLines, ImportFormat::kCsv, ImportFormat::kGithub,
                                          ImportFormat::kGitlab, ImportFormat::kPagerDuty};
  ImportOptions opts;
  opts.format = kFormats[data[0] % 5];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto read = ReadImportText(text, "fuzz", opts);
  if (!read) return 0;
  if (read->events.size() != read->wheres.size()) __builtin_trap();
  EventLog log(EventLog::Mode::kReport);
  const Millis now = 4'102'444'800'000;  // 2100-01-01
  for (std::size_t i = 0; i < read->events.size(); ++i) {
    const Event& e = read->events[i];
    tollgate::Json j = ToJson(e);
    auto back = EventFromJson(j, "round trip");
    // Webhook payloads may carry names the ledger form refuses (too long);
    // an event that reads back must read back the same.
    if (back) {
      tollgate::Json again = ToJson(*back);
      if (again != j) __builtin_trap();
    }
    (void)log.Add(e, read->wheres[i], now, i);
  }
  if (!log.Finish()) __builtin_trap();
  auto levels = BuiltinLevels();
  if (!levels) __builtin_trap();
  DoraOptions o;
  o.from = 0;
  o.to = now;
  o.by = Period::kMonth;
  if (!log.deploys().empty()) o.from = log.deploys().front().time - kDay;
  auto r = ComputeDora(log, o, *levels);
  if (r) (void)DoraToCsv(*r);
  return 0;
}
