// Recording delivery events in the ledger, as `tollgate event ...` and the
// service's /api/v1/events and webhook routes do: build an event from its
// fields, authenticate a webhook delivery, check the batch against the
// history and append it in one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/signing.h"
#include "core/time.h"
#include "delivery/delivery.h"
#include "ledger/ledger.h"

namespace tollgate::delivery {

struct DeployInput {
  std::string service;
  std::string env;
  std::string commit;
  std::string status = "success";  // success or failure
  std::string time;                // RFC 3339; empty: now
  std::string id;                  // empty: derived from service, env, commit and time
  std::vector<std::string> changes;  // "SHA@RFC3339", each no later than the deploy
};
Result<Event> MakeDeploy(const DeployInput& in, TimePoint now);

// An incident opened (`open`) or resolved.
Result<Event> MakeIncident(bool open, const std::string& service, const std::string& id, const std::string& caused_by,
                           const std::string& time, TimePoint now);

// A commit that landed on the service's default branch.
Result<Event> MakeChange(const std::string& service, const std::string& commit, const std::string& ref,
                         const std::string& time, TimePoint now);

// How a webhook delivery claims to be authentic.
struct WebhookCredentials {
  // The header value (X-Hub-Signature-256, X-Gitlab-Token or webhook-signature,
  // X-PagerDuty-Signature). nullopt: the header was absent.
  std::optional<std::string> signature;
  std::string webhook_id;         // GitLab signed webhooks: webhook-id
  std::string webhook_timestamp;  // GitLab signed webhooks: webhook-timestamp
};

// The shared secret of a webhook from a file (trailing newline removed). An
// empty secret is a configuration error: an HMAC with an empty key proves
// nothing.
Result<std::string> LoadWebhookSecret(const std::string& path);

// Fails closed: with a `secret` configured, a missing, empty or malformed
// signature is refused; an empty secret is refused; a signature without a
// secret is a usage error. With neither, the delivery is not authenticated
// (a file the operator imports by hand) and Ok() is returned.
Status AuthenticateDelivery(ImportFormat format, const std::optional<std::string>& secret,
                            const WebhookCredentials& credentials, std::string_view body, std::int64_t now_seconds);

struct RecordOptions {
  std::string repo;                 // git repository: a deploy without changes gets them from git
  std::vector<std::string> paths;   // only commits touching these paths (a monorepo's service)
};

// Checks every event against the history the ledger holds, fills changes from
// recorded change events or git, and appends the batch in one transaction:
// either every event is recorded or none. `wheres` names each event in errors.
// An empty batch records nothing and returns no entries.
Result<std::vector<ledger::AppendedEntry>> RecordEvents(ledger::Ledger& ledger, std::vector<Event> events,
                                                        const std::vector<std::string>& wheres,
                                                        const RecordOptions& options, const SignerKey* ledger_key,
                                                        TimePoint now);

}  // namespace tollgate::delivery
