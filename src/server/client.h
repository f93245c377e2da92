// The CLI as a client of `tollgate serve`: a gate run computed locally and
// decided by the service (its waivers, approvals and ledger), and delivery
// events recorded there. `tollgate gate . --server URL`, `tollgate event ...
// --server URL`; the token comes from $TOLLGATE_TOKEN.
#pragma once

#include <string>

#include "core/report.h"
#include "core/result.h"
#include "gate/config.h"
#include "gate/run.h"

namespace tollgate::server {

struct Remote {
  std::string url;    // http://host:port or https://host:port
  std::string token;  // an API token or an OIDC ID token
  std::string ca_file;  // PEM bundle to trust for https (default: the system's)
};

struct RemoteGateRun {
  Report report;          // as the local gate would print it
  bool blocked = true;
  std::uint64_t first = 0, last = 0;  // the ledger entries recorded by the service
};

// Submits the findings of `submission` (one list per gate of `config`).
// HTTP failures and refusals are errors naming the URL and the status.
Result<RemoteGateRun> SubmitGateRun(const Remote& remote, const gate::Config& config, const gate::Submission& submission);

struct RemoteEvents {
  std::uint64_t recorded = 0;
  std::uint64_t first = 0, last = 0;
};
// Sends events as JSON Lines to /api/v1/events (one transaction there).
Result<RemoteEvents> PostEvents(const Remote& remote, const std::string& jsonl);

}  // namespace tollgate::server
