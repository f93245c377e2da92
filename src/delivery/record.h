// Recording delivery events in the ledger, as `tollgate event ...` and the
// service's /api/v1/events and webhook routes do: build an event from its
// fields, authenticate a webhook delivery, check the batch against the
// history and append it in one transaction.
#pragma once

#include <cstdint>
#include <memory>
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

// What recording a batch did.
struct RecordSummary {
  std::uint64_t recorded = 0;          // ledger entries appended
  std::uint64_t first_seq = 0;         // the first and last of them, when recorded > 0
  std::uint64_t last_seq = 0;
  std::uint64_t duplicates = 0;        // events the ledger already held (replayed deliveries): not recorded again
  std::uint64_t refined = 0;           // of `recorded`: deploys recorded before whose changes are now known
  std::uint64_t history_problems = 0;  // delivery entries of the ledger that cannot be used (`dora report` lists them)
  std::vector<std::string> notes;      // what the caller should hear: payloads skipped, incidents of unknown services
};

// Checks every event against the history the ledger holds and the events
// before it, and appends the batch in one transaction: either every new event
// is recorded or none. Events may come in any order of time. An event the
// ledger already holds is not recorded again (a replayed delivery is
// idempotent); the same id with other content is an error naming the event
// (`wheres`, one per event). A deploy without changes is recorded so; reports
// derive its changes from recorded pushes, or, with `options.repo`, its
// changes come from git, since the previous successful deploy of its stream
// by time (and a later deploy recorded with unknown changes because this one
// was missing gets them too: a refinement). Entries of the ledger that
// cannot be used are skipped and counted, never fatal. An empty batch
// records nothing.
Result<RecordSummary> RecordEvents(ledger::Ledger& ledger, std::vector<Event> events,
                                   const std::vector<std::string>& wheres, const RecordOptions& options,
                                   const SignerKey* ledger_key, TimePoint now);

// The same for events read one at a time (RecordEvents is this over a list).
Result<RecordSummary> RecordFrom(ledger::Ledger& ledger, EventSource& source, const RecordOptions& options,
                                 const SignerKey* ledger_key, TimePoint now);

// The history a long-running writer (tollgate serve) keeps between batches,
// so that a batch is checked in time proportionate to itself and to what
// others appended since, not to the whole ledger. RecordEvents brings it up
// to date inside its write transaction (reading only the entries after
// `size`), checks the batch against it, and advances it when the batch is
// committed; after any failure it is dropped and rebuilt from the ledger on
// the next batch. Not with RecordOptions::repo (changes from git need a log
// that keeps commits). One writer at a time: the caller serialises its
// batches.
struct WarmHistory {
  std::unique_ptr<EventLog> log;  // null: read the whole ledger on the next batch
  std::uint64_t size = 0;         // ledger entries `log` reflects
};
Result<RecordSummary> RecordEvents(ledger::Ledger& ledger, std::vector<Event> events,
                                   const std::vector<std::string>& wheres, const SignerKey* ledger_key, TimePoint now,
                                   WarmHistory& warm);

// `tollgate event import FILE` as one call.
struct ImportRequest {
  std::string path;                     // the file; "-" is standard input
  ImportOptions import;                 // format and --service
  std::optional<std::string> secret;    // the webhook secret (LoadWebhookSecret), if any
  WebhookCredentials credentials;       // how the delivery claims to be authentic
  RecordOptions record;
};

// Reads the whole file (at most kMaxPayloadFileBytes), authenticates it as a
// webhook delivery (AuthenticateDelivery) and reads its events. A JSON Lines
// or CSV file without events is an error.
Result<ImportResult> ReadAuthenticated(const ImportRequest& request, TimePoint now);

// Authenticates a webhook delivery (AuthenticateDelivery), reads the file
// and records its events (RecordFrom). JSON Lines and CSV are read as they
// are recorded, so memory does not grow with the file; webhook payloads
// (authenticated over the whole body) are read whole, up to 64 MiB. A JSON
// Lines or CSV file without events is an error, as `ledger append` of one is.
Result<RecordSummary> ImportFile(ledger::Ledger& ledger, const ImportRequest& request, const SignerKey* ledger_key,
                                 TimePoint now);

}  // namespace tollgate::delivery
