// Provider webhook payloads (GitHub, GitLab, PagerDuty V3) as delivery
// events, and each provider's scheme for authenticating a delivery
// (docs/dora.md#webhooks). The service will expose the same as webhooks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "delivery/delivery.h"

namespace tollgate::delivery {

enum class Provider { kGithub, kGitlab, kPagerDuty };

struct PayloadEvents {
  std::vector<Event> events;
  std::vector<std::string> notes;  // why a payload gave no event
};

// Maps one payload. The kind of payload is recognised by its shape (a file
// has no X-GitHub-Event header):
//   GitHub deployment_status (state success -> success; failure/error ->
//   failure; others skipped), push to the default branch (one change event
//   per commit; other branches, deletions skipped), workflow_run (skipped:
//   Tollgate does not guess deploys from workflow names); GitLab deployment
//   (success/failed), pipeline (its builds that start an environment), push
//   (as GitHub's); PagerDuty incident.triggered (open) and incident.resolved
//   (resolve). Environments are taken from the payload, never from job names.
Result<PayloadEvents> EventsFromPayload(Provider p, const Json& payload, const std::string& where);

// Authentication of a delivery. Each returns Ok() when the delivery is
// authentic and an Input error saying why not otherwise; comparisons are in
// constant time.
//
// GitHub: X-Hub-Signature-256 "sha256=<hex>", HMAC-SHA256 of the raw body.
Status VerifyGithubSignature(std::string_view secret, std::string_view body, std::string_view header);
// GitLab classic: the X-Gitlab-Token header is the secret itself.
Status VerifyGitlabToken(std::string_view secret, std::string_view header);
// GitLab signed webhooks (Standard Webhooks): webhook-signature "v1,<base64>"
// (space-separated list) over "{id}.{timestamp}.{body}" with the key
// base64-decoded from "whsec_<base64>"; the timestamp must be within
// `tolerance_seconds` of `now_seconds`.
Status VerifyStandardWebhook(std::string_view secret, std::string_view id, std::string_view timestamp,
                             std::string_view body, std::string_view header, std::int64_t now_seconds,
                             std::int64_t tolerance_seconds = 300);
// PagerDuty V3: X-PagerDuty-Signature "v1=<hex>[,v1=<hex>...]", HMAC-SHA256 of
// the raw body; any matching value authenticates (secrets rotate).
Status VerifyPagerDutySignature(std::string_view secret, std::string_view body, std::string_view header);

// HMAC of `data` keyed with `key` (hex of the digest): the building block
// of the schemes above, exposed for the server and tests.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
std::string HmacSha1Hex(std::string_view key, std::string_view data);

}  // namespace tollgate::delivery
