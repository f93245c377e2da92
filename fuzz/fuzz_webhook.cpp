// Fuzzes webhook authentication (delivery/record.h): the first byte picks the
// provider, the rest is "secret\0signature\0body". Properties: nothing
// crashes; an empty secret or signature is never accepted; a signature the
// fuzzer made up is accepted only if it is the genuine one; the genuine
// signature of every scheme is always accepted.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "delivery/record.h"
#include "delivery/webhooks.h"

namespace {

std::string Take(std::string& rest) {
  auto nul = rest.find('\0');
  std::string head = rest.substr(0, nul);
  rest = nul == std::string::npos ? std::string() : rest.substr(nul + 1);
  return head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tollgate::delivery;
  if (size == 0) return 0;
  static const ImportFormat kFormats[] = {ImportFormat::kGithub, ImportFormat::kGitlab, ImportFormat::kPagerDuty,
                                          ImportFormat::kJsonLines};
  ImportFormat format = kFormats[data[0] % 4];
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string secret = Take(rest);
  std::string signature = Take(rest);
  const std::string& body = rest;
  const std::int64_t now = 1'780'000'000;

  auto s = AuthenticateDelivery(format, secret, WebhookCredentials{signature, "", ""}, body, now);
  if (s && (secret.empty() || signature.empty())) __builtin_trap();
  std::string genuine;
  switch (format) {
    case ImportFormat::kGithub: genuine = "sha256=" + HmacSha256Hex(secret, body); break;
    case ImportFormat::kPagerDuty: genuine = "v1=" + HmacSha256Hex(secret, body); break;
    case ImportFormat::kGitlab: genuine = secret; break;
    default: break;
  }
  if (format == ImportFormat::kJsonLines) {
    if (s) __builtin_trap();  // a secret applies only to provider payloads
    return 0;
  }
  // Accepting a made-up signature means it equals the genuine one (up to the
  // hex case and surrounding spaces the schemes allow, and PagerDuty's list).
  if (s && format == ImportFormat::kGithub) {
    std::string lowered = signature;
    for (char& c : lowered)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (lowered.find(genuine.substr(7)) == std::string::npos) __builtin_trap();
  }
  if (!secret.empty()) {
    auto ok = AuthenticateDelivery(format, secret, WebhookCredentials{genuine, "", ""}, body, now);
    // GitLab tokens are compared after trimming spaces: a secret with outer
    // spaces cannot be presented as itself.
    bool trimmed_secret = format == ImportFormat::kGitlab &&
                          (secret.front() == ' ' || secret.back() == ' ' || secret.front() == '\t' || secret.back() == '\t');
    if (!ok && !trimmed_secret) __builtin_trap();
  }
  // No signature header at all is refused whenever a secret is configured.
  if (AuthenticateDelivery(format, secret, WebhookCredentials{std::nullopt, "", ""}, body, now)) __builtin_trap();
  return 0;
}
