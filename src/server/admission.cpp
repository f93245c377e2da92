// Kubernetes admission (POST /admission/validate). Until the Gatekeeper
// engine (issue 15) provides constraint templates, the object is judged by
// the IaC module's built-in Kubernetes checks, exactly as `tollgate scan iac`
// judges a manifest: any finding of high or critical severity denies.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "scan/iac/iac.h"
#include "server/internal.h"

namespace tollgate::server {
namespace {

namespace fs = std::filesystem;

// A private directory removed when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string t = (fs::temp_directory_path() / "tollgate-admission-XXXXXX").string();
    if (mkdtemp(t.data()) != nullptr) path_ = t;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr std::size_t kMaxWarning = 256;
constexpr std::size_t kMaxMessage = 4096;

}  // namespace

Result<Json> ReviewAdmission(const Json& review) {
  if (!review.is_object() || review.value("kind", "") != "AdmissionReview")
    return Fail(Error::Input("AdmissionReview: expected {\"kind\": \"AdmissionReview\", \"request\": {...}}"));
  auto req = review.find("request");
  if (req == review.end() || !req->is_object()) return Fail(Error::Input("AdmissionReview: no request"));
  std::string uid = req->value("uid", "");
  if (uid.empty()) return Fail(Error::Input("AdmissionReview: request.uid is required"));
  Json response{{"uid", uid}, {"allowed", true}};
  std::string op = req->value("operation", "");
  auto obj = req->find("object");
  if (op == "DELETE" || obj == req->end() || !obj->is_object()) {
    return Json{{"apiVersion", review.value("apiVersion", "admission.k8s.io/v1")}, {"kind", "AdmissionReview"},
                {"response", response}};
  }
  ScratchDir dir;
  if (dir.path().empty()) return Fail(Error::Io("admission: no scratch directory"));
  std::string file = dir.path() + "/object.yaml";  // JSON is YAML; the IaC module reads manifests as YAML
  {
    std::ofstream out(file, std::ios::binary);
    out << obj->dump();
    if (!out) return Fail(Error::Io("admission: cannot write the object"));
  }
  iac::ScanOptions opts;
  auto findings = iac::Scan({file}, opts);
  if (!findings) return Fail(findings.error());
  std::string message;
  Json warnings = Json::array();
  std::size_t warning_chars = 0;
  for (const auto& f : *findings) {
    std::string line = "[" + f.rule_id + "] " + f.message;
    if (AtOrAbove(f.severity, Severity::kHigh)) {
      response["allowed"] = false;
      if (message.size() + line.size() + 2 <= kMaxMessage) message += (message.empty() ? "" : "; ") + line;
    } else {
      if (line.size() > kMaxWarning) line = line.substr(0, kMaxWarning - 3) + "...";
      if (warning_chars + line.size() > kMaxMessage) continue;
      warning_chars += line.size();
      warnings.push_back(line);
    }
  }
  if (!response["allowed"].get<bool>())
    response["status"] = {{"code", 403}, {"reason", "Forbidden"}, {"message", message}};
  if (!warnings.empty()) response["warnings"] = warnings;
  return Json{{"apiVersion", review.value("apiVersion", "admission.k8s.io/v1")}, {"kind", "AdmissionReview"},
              {"response", response}};
}

}  // namespace tollgate::server
