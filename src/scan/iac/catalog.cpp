// Reads the check catalog from the rules' METADATA annotations.
#include "scan/iac/catalog.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/finding.h"
#include "rego/ast.h"
#include "rego/check.h"
#include "rego/rego.h"
#include "rego/value.h"
#include "scan/iac/embedded_policies.h"

namespace tollgate::iac {

namespace {

Result<std::vector<rego::SourceFile>> Sources(const std::vector<std::string>& dirs) {
  std::vector<rego::SourceFile> out;
  if (dirs.empty()) return EmbeddedPolicySources();
  auto files = rego::FindRegoFiles(dirs);
  if (!files) return Fail(files.error());
  for (const auto& f : *files) {
    if (IsRegoTestFile(f)) continue;
    std::ifstream in(f, std::ios::binary);
    if (!in) return Fail(Error::NotFound(f + ": cannot read"));
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back({f, ss.str()});
  }
  return out;
}

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> Strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array())
    for (const auto& e : *it)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

// "a|b" in a Markdown table cell.
std::string Cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

Result<std::vector<CheckInfo>> LoadCatalog(const std::vector<std::string>& dirs) {
  auto sources = Sources(dirs);
  if (!sources) return Fail(sources.error());
  auto policy = rego::Policy::Compile(*sources);
  if (!policy) return Fail(policy.error());
  std::map<std::string, std::string> package_titles;
  for (const auto& m : (*policy)->modules()) {
    if (!m->package_annotations.defined()) continue;
    Json a = rego::ToJson(m->package_annotations);
    std::string pkg;
    for (const auto& p : m->package)
      if (p.is_string()) pkg += (pkg.empty() ? "" : ".") + p.as_string();
    if (!Text(a, "title").empty()) package_titles[pkg] = Text(a, "title");
  }
  std::vector<CheckInfo> out;
  std::map<std::string, std::string> seen;  // id -> file:line
  for (const auto& pkg : (*policy)->Packages()) {
    if (pkg.rfind("tollgate.iac.", 0) != 0) continue;
    for (const rego::Rule* r : (*policy)->RulesNamed(pkg, "deny")) {
      std::string where = r->loc.file + ":" + std::to_string(r->loc.line);
      if (!r->annotations.defined() || !r->annotations.is_object())
        return Fail(Error::Input(where + ": deny rule without a METADATA block"));
      Json a = rego::ToJson(r->annotations);
      Json custom = a.contains("custom") && a["custom"].is_object() ? a["custom"] : Json::object();
      CheckInfo c;
      c.id = Text(custom, "id");
      c.title = Text(a, "title");
      c.rationale = Text(a, "description");
      c.severity = Text(custom, "severity");
      c.remediation = Text(custom, "remediation");
      c.resources = Strings(custom, "resources");
      c.pci = Strings(custom, "pci");
      c.cis = Strings(custom, "cis");
      c.nist = Strings(custom, "nist");
      c.package = pkg;
      c.package_title = package_titles.count(pkg) ? package_titles[pkg] : pkg;
      // Named as in the repository, wherever the directory was read from.
      c.file = "policies/" + std::filesystem::path(r->loc.file).filename().string();
      c.line = r->loc.line;
      std::vector<std::string> missing;
      if (c.id.empty()) missing.push_back("custom.id");
      if (c.title.empty()) missing.push_back("title");
      if (c.rationale.empty()) missing.push_back("description");
      if (c.severity.empty()) missing.push_back("custom.severity");
      if (c.remediation.empty()) missing.push_back("custom.remediation");
      if (c.resources.empty()) missing.push_back("custom.resources");
      if (c.pci.empty()) missing.push_back("custom.pci");
      if (c.cis.empty() && c.nist.empty()) missing.push_back("custom.cis or custom.nist");
      if (!missing.empty()) return Fail(Error::Input(where + ": METADATA lacks " + Join(missing, ", ")));
      if (!ParseRatedSeverity(c.severity)) return Fail(Error::Input(where + ": unknown severity '" + c.severity + "'"));
      if (auto it = seen.find(c.id); it != seen.end())
        return Fail(Error::Input(where + ": check id " + c.id + " is already used at " + it->second));
      seen[c.id] = where;
      out.push_back(std::move(c));
    }
  }
  std::sort(out.begin(), out.end(), [](const CheckInfo& a, const CheckInfo& b) {
    return std::tie(a.file, a.package, a.id) < std::tie(b.file, b.package, b.id);
  });
  return out;
}

std::string CatalogMarkdown(const std::vector<CheckInfo>& checks) {
  std::ostringstream o;
  o << "# Built-in IaC checks\n\n"
    << "<!-- Generated by `tollgate policy docs --builtin-policies policies --output docs/policies.md` from the\n"
    << "     METADATA blocks of policies/*.rego. Do not edit; the ctest iac_policies_doc_current fails when stale. -->\n\n"
    << checks.size() << " checks that `tollgate scan iac` and the gate `scanner: iac` run on every\n"
    << "Terraform file, plan JSON, Kubernetes manifest and Dockerfile ([iac-model.md](iac-model.md)).\n"
    << "Each finding carries the check id, severity, title, remediation and its references:\n"
    << "`PCI-DSS-4.0:<requirement>`, `NIST-800-53:<control>` and the CIS benchmark items.\n"
    << "Every check has positive and negative tests in `policies/*_test.rego` (`tollgate policy test policies`).\n";
  std::string pkg;
  for (const auto& c : checks) {
    if (c.package != pkg) {
      pkg = c.package;
      o << "\n## " << c.package_title << "\n\n"
        << "Package `" << c.package << "`, `" << c.file << "`.\n\n"
        << "| id | severity | title | resources | PCI DSS v4.0 | CIS / NIST SP 800-53 | rationale | remediation |\n"
        << "|---|---|---|---|---|---|---|---|\n";
    }
    std::vector<std::string> refs = c.cis;
    if (!c.nist.empty()) refs.push_back("NIST " + Join(c.nist, ", "));
    o << "| " << c.id << " | " << c.severity << " | " << Cell(c.title) << " | " << Cell(Join(c.resources, ", ")) << " | "
      << Cell(Join(c.pci, ", ")) << " | " << Cell(Join(refs, "; ")) << " | " << Cell(c.rationale) << " | " << Cell(c.remediation)
      << " |\n";
  }
  return o.str();
}

}  // namespace tollgate::iac
