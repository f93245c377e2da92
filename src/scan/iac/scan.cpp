// tollgate scan iac: find the files, load the model, evaluate the policies.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "rego/check.h"
#include "rego/rego.h"
#include "rego/value.h"
#include "scan/iac/iac.h"

namespace tollgate::iac {

struct EmbeddedPolicyFile {
  const char* name;
  const char* text;
};
extern const EmbeddedPolicyFile kBuiltinPolicyFiles[];
extern const std::size_t kBuiltinPolicyFileCount;

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 8u << 20;

bool Candidate(const fs::path& p) {
  std::string name = p.filename().string();
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto ends = [&](const char* s) { return lower.size() >= std::strlen(s) && lower.compare(lower.size() - std::strlen(s), std::string::npos, s) == 0; };
  return ends(".tf") || ends(".json") || ends(".yaml") || ends(".yml") || lower == "dockerfile" || lower.rfind("dockerfile.", 0) == 0 ||
         ends(".dockerfile") || lower == "containerfile";
}

Result<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Fail(Error::NotFound(path + ": " + ec.message()));
  if (size > kMaxFileBytes) return Fail(Error::Input(path + ": larger than 8 MiB"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One deny result → a finding. The result is an object {msg, id, severity,
// title, pci, nist, cis, remediation, line, address} or a plain message string.
Finding ToFinding(const Json& r, const std::string& pkg, const std::string& file) {
  Finding f;
  f.gate = "iac";
  f.tool = "tollgate-iac";
  f.location.file = file;
  if (r.is_string()) {
    f.message = r.get<std::string>();
    f.rule_id = "rego." + pkg;
    f.severity = Severity::kHigh;
  } else {
    f.message = Str(r, "msg");
    std::string id = Str(r, "id");
    f.rule_id = id.empty() ? "rego." + pkg : id;
    auto sev = ParseSeverity(Str(r, "severity"));
    f.severity = sev ? *sev : Severity::kHigh;
    if (auto it = r.find("line"); it != r.end() && it->is_number_integer() && it->get<std::int64_t>() > 0) f.location.line = static_cast<std::uint32_t>(it->get<std::int64_t>());
    // Control references: PCI DSS requirements, NIST SP 800-53 controls, CIS
    // benchmark items (already named "CIS <benchmark> <item>").
    for (const auto& [key, prefix] : {std::pair<const char*, const char*>{"pci", "PCI-DSS-4.0:"}, {"nist", "NIST-800-53:"}, {"cis", ""}}) {
      auto it = r.find(key);
      if (it == r.end()) continue;
      if (it->is_string()) f.references.push_back(prefix + it->get<std::string>());
      if (it->is_array())
        for (const auto& e : *it)
          if (e.is_string()) f.references.push_back(prefix + e.get<std::string>());
    }
    f.remediation = Str(r, "remediation");
    std::string title = Str(r, "title");
    std::string address = Str(r, "address");
    if (!title.empty()) f.details["title"] = title;
    if (!address.empty()) f.details["address"] = address;
  }
  f.fingerprint = MakeFingerprint(f.rule_id, {file, Str(r, "address"), f.message});
  return f;
}

}  // namespace

Result<std::vector<std::string>> FindFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& root : paths) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
      out.push_back(root);
      continue;
    }
    if (!fs::is_directory(root, ec)) return Fail(Error::NotFound(root + ": no such file or directory"));
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::string name = p.filename().string();
      if (it->is_directory()) {
        if ((!name.empty() && name[0] == '.') || name == "build" || name == "node_modules") it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && Candidate(p)) out.push_back(p.generic_string());
    }
    if (ec) return Fail(Error::Io(root + ": " + ec.message()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<Finding>> Scan(const std::vector<std::string>& paths, const ScanOptions& opts) {
  std::vector<rego::SourceFile> sources;
  if (opts.builtin && opts.builtin_dir.empty()) {
    for (std::size_t i = 0; i < kBuiltinPolicyFileCount; ++i) {
      std::string name = kBuiltinPolicyFiles[i].name;
      if (name.size() >= 10 && name.compare(name.size() - 10, 10, "_test.rego") == 0) continue;
      sources.push_back({name, kBuiltinPolicyFiles[i].text});
    }
  }
  std::vector<std::string> dirs = opts.policy_dirs;
  if (opts.builtin && !opts.builtin_dir.empty()) dirs.insert(dirs.begin(), opts.builtin_dir);
  auto rego_files = rego::FindRegoFiles(dirs);
  if (!rego_files) return Fail(rego_files.error());
  for (const auto& f : *rego_files) {
    if (f.size() >= 10 && f.compare(f.size() - 10, 10, "_test.rego") == 0) continue;
    auto text = ReadFile(f);
    if (!text) return Fail(text.error());
    sources.push_back({f, *text});
  }
  auto policy = rego::Policy::Compile(sources);
  if (!policy) return Fail(policy.error());
  std::vector<std::string> packages = (*policy)->Packages();

  auto files = FindFiles(paths);
  if (!files) return Fail(files.error());
  std::vector<Finding> findings;
  for (const auto& file : *files) {
    auto text = ReadFile(file);
    if (!text) return Fail(text.error());
    auto model = LoadFile(file, *text);
    if (!model) return Fail(model.error());
    if (model->is_null()) continue;
    rego::EvalOptions eo;
    eo.input = rego::FromJson(*model);
    for (const auto& pkg : packages) {
      std::vector<std::string> path;
      std::stringstream ss(pkg);
      std::string seg;
      while (std::getline(ss, seg, '.')) path.push_back(seg);
      path.push_back("deny");
      auto v = (*policy)->EvalPath(path, eo);
      if (!v) return Fail(Error::Input(file + ": policy " + pkg + ": " + v.error().message()));
      if (!v->defined()) continue;
      Json results = rego::ToJson(*v);
      if (!results.is_array()) continue;
      for (const auto& r : results) findings.push_back(ToFinding(r, pkg, file));
    }
  }
  return findings;
}

}  // namespace tollgate::iac
