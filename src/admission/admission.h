// Kubernetes admission with OPA Gatekeeper's policy model (issue 15 §2-3):
// ConstraintTemplates (Rego, v0 unless the module says v1) and their
// Constraints (match, parameters, enforcement actions), reviewed against an
// AdmissionRequest exactly as Gatekeeper builds its input (`input.review`,
// `input.parameters`, `data.inventory`). One library for the CLI
// (`admission review`, `policy verify`, `policy audit`) and the server.
//
//   auto set = PolicySet::Load({"templates/"}, {"constraints/"});
//   auto decision = Decide(*set, admission_review_json);
//   decision->response  // an AdmissionReview v1 to send back
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/finding.h"
#include "core/result.h"

namespace tollgate::admission {

// Gatekeeper's enforcement points, for `scoped` enforcement actions.
inline constexpr std::string_view kWebhookPoint = "validation.gatekeeper.sh";
inline constexpr std::string_view kAuditPoint = "audit.gatekeeper.sh";
inline constexpr std::string_view kGatorPoint = "gator.gatekeeper.sh";

enum class Action : std::uint8_t { kDryrun, kWarn, kDeny };  // weakest first
std::string_view ActionName(Action a);

struct Violation {
  std::string constraint_kind;
  std::string constraint_name;
  std::string msg;  // as the template's violation rule gave it
  Json details = Json::object();
  Action action = Action::kDeny;
  std::string file;  // the constraint's file
  // Gatekeeper's form: "[constraint-name] msg".
  std::string Message() const { return "[" + constraint_name + "] " + msg; }
};

// data.inventory as Gatekeeper's sync builds it: cluster[groupversion][kind][name]
// for cluster-scoped objects, namespace[ns][groupversion][kind][name] for the rest.
class Inventory {
 public:
  // An object with apiVersion, kind and metadata.name; others are refused.
  Status Add(const Json& object, const std::string& where);
  const Json& data() const { return data_; }
  // The Namespace object of that name, or null.
  const Json* Namespace(const std::string& name) const;
  std::size_t size() const { return size_; }

 private:
  Json data_ = Json{{"cluster", Json::object()}, {"namespace", Json::object()}};
  std::size_t size_ = 0;
};

// A document read from a file, with the file named for errors and findings.
struct SourceDocument {
  std::string file;
  std::uint32_t line = 0;  // where the document starts (YAML); 0: unknown
  Json doc;
  std::string Where() const { return line == 0 ? file : file + ":" + std::to_string(line); }
};

// The YAML/JSON files under `paths`: a file as given, a directory's *.yaml,
// *.yml and *.json files recursively, in path order. A missing path is an error.
Result<std::vector<std::string>> ListFiles(const std::vector<std::string>& paths);

class PolicySet {
 public:
  // ConstraintTemplates and Constraints from YAML or JSON files, or
  // directories of them (recursively: *.yaml, *.yml, *.json; several
  // documents per file). Errors name the file (and line where YAML has one):
  // a template that does not compile, a constraint of an unknown kind, a
  // parameter its template's schema refuses, an unknown enforcement action.
  static Result<PolicySet> Load(const std::vector<std::string>& templates, const std::vector<std::string>& constraints);
  static Result<PolicySet> FromDocuments(const std::vector<SourceDocument>& templates,
                                         const std::vector<SourceDocument>& constraints);
  // The library shipped in the binary (policies/gatekeeper).
  static Result<PolicySet> Builtin();

  PolicySet(PolicySet&&) noexcept;
  PolicySet& operator=(PolicySet&&) noexcept;
  ~PolicySet();

  // The violations of every constraint that matches `request` (an
  // AdmissionRequest: uid, kind, resource, name, namespace, operation,
  // userInfo, object, oldObject, dryRun, and optionally namespaceObject), as
  // enforced at `point`. A constraint not enforced at that point is skipped.
  // An evaluation error, a malformed violation, or a namespaceSelector on an
  // object whose Namespace is not known, is an error: never "allowed".
  // With `errors`, a constraint that cannot be decided adds its error there
  // ("Kind/name: reason") and the other constraints are still reviewed.
  Result<std::vector<Violation>> Review(const Json& request, const Inventory* inventory,
                                        std::string_view point = kWebhookPoint,
                                        std::vector<std::string>* errors = nullptr) const;

  std::size_t template_count() const;
  std::size_t constraint_count() const;
  // Whether some template reads data.inventory (referential policies).
  bool UsesInventory() const;
  // SHA-256 (hex) of the loaded templates and constraints: recorded with
  // each decision so that an auditor knows which policy set decided.
  const std::string& Digest() const;

 private:
  PolicySet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads every document of the YAML/JSON files under `paths` (files or
// directories, recursively, in path order).
Result<std::vector<SourceDocument>> ReadDocuments(const std::vector<std::string>& paths);

// An inventory of every object in the manifests under `paths` (a `List`, as
// `kubectl get -o json` writes, gives its items); empty paths: empty.
Result<Inventory> LoadInventory(const std::vector<std::string>& paths);

// The review of one object, as Gatekeeper's audit builds it (no operation):
// kind (group/version/kind from apiVersion), name, namespace, object.
Json AuditRequest(const Json& object);

struct Decision {
  Json response;  // the AdmissionReview v1 to answer with
  bool allowed = true;
  std::vector<Violation> violations;  // every matching violation, any action
  Json event;  // the ledger event: {"type": "admission", "payload": {...}}, no object contents
};

// The decision on an AdmissionReview (admission.k8s.io/v1 or v1beta1):
// response.uid echoes request.uid; denied with status.code 403 and the joined
// "[constraint] msg" messages when a deny violation matches; `warn`
// violations as warnings (each at most 256 characters, 4096 in all, as
// Kubernetes keeps them); `dryrun` violations are recorded and allowed. A
// review that cannot be decided (evaluation error) is denied with code 500
// and the reason: failing closed. A malformed review is an error.
Result<Decision> Decide(const PolicySet& set, const Json& review, const Inventory* inventory = nullptr);

}  // namespace tollgate::admission
