// Fuzzes admission decisions (admission/admission.h): the input is an
// AdmissionReview (JSON), decided against the built-in Gatekeeper library.
// Properties: nothing crashes; a malformed review is an error, never an
// answer; every answer echoes request.uid, and is "allowed" only without a
// deny violation and without an undecidable constraint (fail closed).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "admission/admission.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tollgate::admission;
  static const PolicySet* set = [] {
    auto s = PolicySet::Builtin();
    if (!s) std::abort();
    return new PolicySet(std::move(*s));
  }();
  tollgate::Json review = tollgate::Json::parse(std::string(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (review.is_discarded()) return 0;
  auto d = Decide(*set, review);
  if (!d) return 0;
  const auto& r = d->response["response"];
  if (r["uid"] != review["request"]["uid"]) std::abort();
  bool denied = false;
  for (const auto& v : d->violations) denied = denied || v.action == Action::kDeny;
  if (r["allowed"].get<bool>() != d->allowed) std::abort();
  if (d->allowed && (denied || d->event["payload"].contains("error"))) std::abort();
  return 0;
}
