#include "rego/check.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace tollgate::rego {

namespace fs = std::filesystem;

Result<std::vector<std::string>> FindRegoFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".rego") files.push_back(it->path().string());
      }
      if (ec) return Fail(Error::Io(p + ": " + ec.message()));
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      return Fail(Error::NotFound(p + ": no such policy file or directory"));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

// A directory's bundle manifest: its default version and per-file globs.
struct Manifest {
  std::optional<RegoVersion> version;
  std::vector<std::pair<std::string, RegoVersion>> files;
};

Result<RegoVersion> VersionOf(const nlohmann::json& j, const std::string& where) {
  if (j.is_number_integer() && (j.get<int>() == 0 || j.get<int>() == 1))
    return j.get<int>() == 0 ? RegoVersion::kV0 : RegoVersion::kV1;
  return Fail(Error::Input(where + ": rego_version must be 0 or 1"));
}

Result<Manifest> ReadManifest(const fs::path& dir) {
  Manifest m;
  fs::path p = dir / ".manifest";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return m;
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(Error::Input(p.string() + ": not a JSON object"));
  if (j.contains("rego_version")) {
    auto v = VersionOf(j["rego_version"], p.string());
    if (!v) return Fail(v.error());
    m.version = *v;
  }
  if (j.contains("file_rego_versions")) {
    if (!j["file_rego_versions"].is_object()) return Fail(Error::Input(p.string() + ": file_rego_versions must be an object"));
    for (const auto& [glob, ver] : j["file_rego_versions"].items()) {
      auto v = VersionOf(ver, p.string() + ": file_rego_versions." + glob);
      if (!v) return Fail(v.error());
      m.files.emplace_back(glob.size() > 0 && glob[0] == '/' ? glob.substr(1) : glob, *v);
    }
  }
  return m;
}

}  // namespace

Result<std::vector<SourceFile>> ReadPolicySources(const std::vector<std::string>& paths, const CompileOptions& opts) {
  std::vector<SourceFile> sources;
  for (const auto& root : paths) {
    auto files = FindRegoFiles({root});
    if (!files) return Fail(files.error());
    Manifest man;
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
      auto m = ReadManifest(root);
      if (!m) return Fail(m.error());
      man = std::move(*m);
    }
    for (const auto& f : *files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) return Fail(Error::Io(f + ": cannot read"));
      std::stringstream ss;
      ss << in.rdbuf();
      SourceFile sf{f, ss.str(), man.version.value_or(opts.version)};
      std::string rel = fs::path(f).lexically_relative(root).generic_string();
      for (const auto& [glob, v] : man.files)
        if (fnmatch(glob.c_str(), rel.c_str(), 0) == 0) sf.version = v;
      sources.push_back(std::move(sf));
    }
  }
  std::sort(sources.begin(), sources.end(), [](const SourceFile& a, const SourceFile& b) { return a.name < b.name; });
  sources.erase(std::unique(sources.begin(), sources.end(), [](const SourceFile& a, const SourceFile& b) { return a.name == b.name; }),
                sources.end());
  return sources;
}

Result<PolicyPtr> LoadPolicies(const std::vector<std::string>& paths, const CompileOptions& opts) {
  auto sources = ReadPolicySources(paths, opts);
  if (!sources) return Fail(sources.error());
  // A policy folder without policies checks nothing and would pass everything.
  if (!paths.empty() && sources->empty()) {
    std::string names;
    for (const auto& p : paths) names += (names.empty() ? "" : ", ") + p;
    return Fail(Error::Input(names + ": no Rego policy (*.rego) found"));
  }
  return Policy::Compile(*sources, opts);
}

namespace {

// deny, deny_x, violation, violation_x, warn, warn_x -> the kind and suffix.
bool Classify(const std::string& name, std::string* kind, std::string* suffix) {
  for (const char* k : {"deny", "violation", "warn"}) {
    std::string s = k;
    if (name == s || name.rfind(s + "_", 0) == 0) {
      *kind = s;
      *suffix = name == s ? "" : name.substr(s.size() + 1);
      return true;
    }
  }
  return false;
}

void AddResult(const RuleResult& rr, const std::string& rule, std::vector<CheckResult>* out) {
  auto one = [&](const Value& v) {
    CheckResult c;
    c.rule = rule;
    c.loc = rr.rule->loc;
    c.steps = rr.steps;
    if (v.is_string()) {
      c.msg = v.as_string();
      c.metadata = Value::Null();
    } else if (v.is_object()) {
      const Value* m = v.Get("msg");
      c.msg = m && m->is_string() ? m->as_string() : ToJsonText(v);
      ObjectItems rest;
      for (const auto& kv : v.object())
        if (!(kv.first.is_string() && kv.first.as_string() == "msg")) rest.push_back(kv);
      c.metadata = rest.empty() ? Value::Null() : Value::MakeObject(std::move(rest));
    } else if (v.is_bool()) {
      if (!v.as_bool()) return;
      c.msg = rule;
      c.metadata = Value::Null();
    } else {
      c.msg = ToJsonText(v);
      c.metadata = Value::Null();
    }
    out->push_back(std::move(c));
  };
  if (rr.rule->kind == RuleKind::kComplete && (rr.value.is_set() || rr.value.is_array())) {
    for (const auto& v : rr.value.items()) one(v);
  } else {
    one(rr.value);
  }
}

}  // namespace

Result<std::vector<FileCheck>> CheckDocuments(const Policy& policy, const std::string& filename,
                                              const std::vector<Value>& docs, const CheckOptions& opts) {
  // --namespace takes globs, as conftest's does ("*", "k8s.*"); one that
  // names no package of the policies would check nothing: an error.
  std::vector<std::string> namespaces;
  const std::vector<std::string> packages = policy.Packages();
  if (opts.all_namespaces) {
    namespaces = packages;
  } else {
    for (const auto& pattern : opts.namespaces) {
      bool matched = false;
      for (const auto& p : packages) {
        if (::fnmatch(pattern.c_str(), p.c_str(), 0) != 0) continue;
        matched = true;
        if (std::find(namespaces.begin(), namespaces.end(), p) == namespaces.end()) namespaces.push_back(p);
      }
      if (!matched) {
        std::vector<std::string> sorted = packages;
        std::sort(sorted.begin(), sorted.end());
        std::string all;
        for (const auto& p : sorted) all += (all.empty() ? "" : ", ") + p;
        return Fail(Error::Input("namespace '" + pattern + "' matches no package of the policies (" +
                                 (all.empty() ? std::string("none") : all) + ")"));
      }
    }
  }
  std::vector<FileCheck> out;
  for (const auto& ns : namespaces) {
    FileCheck fc;
    fc.filename = filename;
    fc.ns = ns;
    std::vector<std::string> names = policy.RuleNames(ns);
    for (const auto& doc : docs) {
      EvalOptions eo = opts.eval;
      eo.input = doc;
      // Exceptions: `exception contains "suffix"` names rules to skip.
      std::set<std::string> excepted;
      if (std::find(names.begin(), names.end(), "exception") != names.end()) {
        auto ex = policy.EvalRules(policy.RulesNamed(ns, "exception"), eo, false);
        if (!ex) return Fail(ex.error().WithContext(filename));
        for (const auto& rr : *ex) {
          const Value& v = rr.value;
          if (v.is_string()) excepted.insert(v.as_string());
          if (v.is_array() || v.is_set())
            for (const auto& e : v.items())
              if (e.is_string()) excepted.insert(e.as_string());
        }
      }
      for (const auto& name : names) {
        std::string kind, suffix;
        if (!Classify(name, &kind, &suffix)) continue;
        auto rules = policy.RulesNamed(ns, name);
        auto results = policy.EvalRules(rules, eo, opts.explain);
        if (!results) return Fail(results.error().WithContext(filename));
        std::vector<CheckResult> found;
        for (const auto& rr : *results) AddResult(rr, name, &found);
        // deny and warn are sets: a message that several rule bodies (or
        // several bindings of one) produce is one result, as OPA counts it.
        std::set<std::pair<std::string, std::string>> seen;
        found.erase(std::remove_if(found.begin(), found.end(),
                                   [&](const CheckResult& c) {
                                     return !seen.emplace(c.msg, c.metadata.defined() ? ToJsonText(c.metadata) : "")
                                                 .second;
                                   }),
                    found.end());
        if (found.empty()) {
          ++fc.successes;
          continue;
        }
        if (excepted.count(suffix) || (suffix.empty() && excepted.count(name))) {
          for (auto& c : found) fc.exceptions.push_back(std::move(c));
          continue;
        }
        auto& dest = kind == "warn" ? fc.warnings : fc.failures;
        for (auto& c : found) dest.push_back(std::move(c));
      }
    }
    out.push_back(std::move(fc));
  }
  return out;
}

nlohmann::json ExplainToJson(const std::vector<ExplainStep>& steps) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : steps) {
    nlohmann::json j;
    j["location"] = s.loc.file + ":" + std::to_string(s.loc.line) + ":" + std::to_string(s.loc.col);
    j["expression"] = s.text;
    j["input_paths"] = s.input_paths;
    nlohmann::json vals = nlohmann::json::array();
    for (const auto& v : s.values) vals.push_back(ToJson(v));
    j["values"] = vals;
    arr.push_back(j);
  }
  return arr;
}

nlohmann::json CheckResultsToJson(const std::vector<FileCheck>& results, bool explain) {
  nlohmann::json out = nlohmann::json::array();
  auto list = [&](const std::vector<CheckResult>& rs) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : rs) {
      nlohmann::json j;
      j["msg"] = r.msg;
      if (!r.metadata.is_null() && r.metadata.defined()) j["metadata"] = ToJson(r.metadata);
      j["rule"] = r.rule;
      j["location"] = r.loc.file + ":" + std::to_string(r.loc.line) + ":" + std::to_string(r.loc.col);
      if (explain) j["explanation"] = ExplainToJson(r.steps);
      a.push_back(j);
    }
    return a;
  };
  for (const auto& fc : results) {
    nlohmann::json j;
    j["filename"] = fc.filename;
    j["namespace"] = fc.ns;
    j["successes"] = fc.successes;
    j["failures"] = list(fc.failures);
    j["warnings"] = list(fc.warnings);
    j["exceptions"] = list(fc.exceptions);
    out.push_back(j);
  }
  return out;
}

std::vector<Finding> CheckFindings(const std::vector<FileCheck>& results, const std::string& gate, bool include_warnings) {
  std::vector<Finding> out;
  auto add = [&](const FileCheck& fc, const CheckResult& c, Severity def) {
    Finding f;
    f.rule_id = "rego." + fc.ns + "." + c.rule;
    f.gate = gate;
    f.severity = def;
    if (c.metadata.is_object()) {
      const Value* sev = c.metadata.Get("severity");
      if (sev && sev->is_string())
        if (auto s = ParseSeverity(sev->as_string())) f.severity = *s;
    }
    f.message = c.msg;
    f.location.file = fc.filename;
    f.tool = "tollgate-rego";
    std::string why;
    for (const auto& st : c.steps) {
      if (!why.empty()) why += "; ";
      why += st.text;
    }
    f.remediation = why.empty() ? "" : "decided by: " + why + " (" + c.loc.ToString() + ")";
    f.fingerprint = MakeFingerprint(f.rule_id, {fc.filename, c.msg});
    out.push_back(std::move(f));
  };
  for (const auto& fc : results) {
    for (const auto& c : fc.failures) add(fc, c, Severity::kHigh);
    if (include_warnings)
      for (const auto& c : fc.warnings) add(fc, c, Severity::kLow);
  }
  SortFindings(out);
  return out;
}

}  // namespace tollgate::rego
