#include "gate/policy_gate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rego/check.h"
#include "rego/documents.h"

namespace tollgate::gate {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxInputBytes = 4u << 20;

bool IsConfigFile(const fs::path& p) {
  std::string name = p.filename().string();
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".json" || ext == ".yaml" || ext == ".yml" || ext == ".toml" || ext == ".ini" || name == ".env" ||
         name == "Dockerfile" || name.rfind("Dockerfile.", 0) == 0;
}

}  // namespace

Status CheckPolicySource(const std::string& policy_dir) {
  std::error_code ec;
  if (!fs::is_directory(policy_dir, ec)) return Fail(Error::Input("policy directory '" + policy_dir + "' does not exist"));
  auto p = rego::LoadPolicies({policy_dir});
  if (!p) return Fail(p.error());
  return Ok();
}

Result<std::vector<Finding>> CollectPolicyFindings(const std::string& policy_dir, const std::string& root,
                                                   const std::string& gate) {
  auto policy = rego::LoadPolicies({policy_dir});
  if (!policy) return Fail(policy.error());
  rego::CheckOptions opts;
  opts.all_namespaces = true;
  opts.explain = true;
  std::vector<fs::path> inputs;
  fs::path policy_abs = fs::weakly_canonical(policy_dir);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (it->is_directory()) {
      std::string name = p.filename().string();
      if ((!name.empty() && name[0] == '.') || name == "build" || name == "node_modules" || fs::weakly_canonical(p) == policy_abs)
        it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && IsConfigFile(p) && it->file_size() <= kMaxInputBytes) inputs.push_back(p);
  }
  if (ec) return Fail(Error::Io(root + ": " + ec.message()));
  std::sort(inputs.begin(), inputs.end());
  std::vector<rego::FileCheck> results;
  for (const auto& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string rel = p.lexically_relative(fs::path(root).lexically_normal()).generic_string();
    if (rel.empty() || rel.rfind("..", 0) == 0) rel = p.generic_string();
    auto docs = rego::ParseDocumentFile(rel, ss.str());
    if (!docs) return Fail(docs.error());
    auto rs = rego::CheckDocuments(**policy, rel, *docs, opts);
    if (!rs) return Fail(rs.error());
    results.insert(results.end(), rs->begin(), rs->end());
  }
  return rego::CheckFindings(results, gate, true);
}

}  // namespace tollgate::gate
