#include "gate/policy_gate.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "admission/suite.h"
#include "core/file.h"
#include "core/jsonc.h"
#include "core/walk.h"
#include "rego/check.h"
#include "rego/documents.h"
#include "scan/iac/iac.h"

namespace tollgate::gate {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxInputBytes = 4u << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsConfigFile(std::string_view name) {
  const std::string ext = Lower(fs::path(name).extension().string());
  return ext == ".json" || ext == ".jsonc" || ext == ".yaml" || ext == ".yml" || ext == ".toml" || ext == ".ini" ||
         name == ".env" || name == "Dockerfile" || name.rfind("Dockerfile.", 0) == 0;
}

// Terraform and other HCL files: conftest reads them with its hcl2 parser,
// which policy check does not have.
bool IsHclFile(std::string_view name) {
  const std::string ext = Lower(fs::path(name).extension().string());
  return ext == ".tf" || ext == ".tfvars" || ext == ".hcl";
}

// A policy input's documents: Terraform/HCL in conftest's hcl2 form, the
// rest by rego's parsers (chosen by extension, YAML otherwise).
Result<std::vector<rego::Value>> ParseInput(const std::string& path, std::string_view text) {
  if (IsHclFile(fs::path(path).filename().string())) {
    auto json = iac::HclToConftestJson(path, text);
    if (!json) return Fail(json.error());
    return std::vector<rego::Value>{rego::FromJson(*json)};
  }
  return rego::ParseDocumentFile(path, text);
}

bool IsYaml(const std::string& path) {
  const std::string ext = Lower(fs::path(path).extension().string());
  return ext == ".yaml" || ext == ".yml";
}

// The first line of each YAML document of a stream (its first line with
// content), in order; empty when it cannot be matched to `documents`.
std::vector<std::uint32_t> YamlDocumentLines(std::string_view text, std::size_t documents) {
  std::vector<std::uint32_t> starts;
  bool open = false;  // inside a document that has content
  std::uint32_t n = 0;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = text.substr(at, nl - at);
    ++n;
    at = nl + 1;
    if (l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r')) {
      open = false;
      continue;
    }
    if (l.substr(0, 3) == "..." || l.substr(0, 1) == "%") continue;
    std::size_t first = l.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || l[first] == '#') continue;
    if (!open) {
      starts.push_back(n);
      open = true;
    }
  }
  if (starts.size() != documents) return {};
  return starts;
}

// The line a result is about: the violation's own `line`; else, in a
// Dockerfile, the one instruction whose text the message quotes; else the
// line where the document starts (YAML and JSON).
std::uint32_t ResultLine(const rego::CheckResult& c, const Json& dockerfile, std::uint32_t doc_line) {
  if (c.metadata.is_object())
    if (const rego::Value* l = c.metadata.Get("line"); l && l->is_number()) {
      const double d = l->as_double();
      if (d >= 1 && d < 1e9) return static_cast<std::uint32_t>(d);
    }
  if (dockerfile.is_object()) {
    std::uint32_t line = 0;
    int quoted = 0;
    for (const auto& ins : dockerfile["instructions"]) {
      std::string value = ins.value("value", "");
      if (value.size() < 3 || c.msg.find(value) == std::string::npos) {
        // or an argument of it ("ubuntu:latest" of FROM ubuntu:latest AS x)
        bool arg = false;
        for (const auto& a : ins.value("args", Json::array()))
          if (a.is_string() && a.get<std::string>().size() >= 3 && c.msg.find(a.get<std::string>()) != std::string::npos)
            arg = true;
        if (!arg) continue;
      }
      ++quoted;
      line = ins.value("line", 0u);
    }
    return quoted == 1 ? line : 0;
  }
  return doc_line;
}

}  // namespace

Status CheckPolicySource(const std::string& policy_dir, bool v0) {
  std::error_code ec;
  if (!fs::is_directory(policy_dir, ec)) return Fail(Error::Input("policy directory '" + policy_dir + "' does not exist"));
  rego::CompileOptions co;
  co.version = v0 ? rego::RegoVersion::kV0 : rego::RegoVersion::kV1;
  auto p = rego::LoadPolicies({policy_dir}, co);
  if (!p) return Fail(p.error());
  return Ok();
}

namespace {

// One configuration file the walk read and parsed: its documents, and the
// line each starts on where the format has lines.
struct ConfigFile {
  const walk::Entry& entry;
  const std::string& rel;  // relative to the root (conftest's filename)
  const std::string& text;
  const std::vector<rego::Value>& docs;
  const std::vector<std::uint32_t>& lines;
};

// The configuration files under `root` as the policy and admission gates read
// them (CollectPolicyFindings says which), each parsed and handed to
// `on_file`; `skip` (a directory, e.g. the policies') is not read. What could
// not be read or parsed becomes a finding of `gate` (with opts.strict, an
// error); notes go to opts.notes.
Result<std::vector<Finding>> WalkConfigFiles(const std::string& root, const std::string& skip, const std::string& gate,
                                             const PolicyScanOptions& opts, bool manifests_only,
                                             const std::function<Status(const ConfigFile&)>& on_file) {
  walk::Options wo;
  wo.gitignore = opts.gitignore;
  wo.exclude = opts.exclude;
  wo.max_file_bytes = kMaxInputBytes;
  // Hidden directories are read (.vscode, .devcontainer, .github hold
  // configuration), except Terraform's module cache.
  wo.prune = {"build", "node_modules", ".terraform"};
  if (manifests_only) {  // Kubernetes manifests: YAML and JSON
    wo.want = [](std::string_view name, std::string_view) {
      const std::string ext = Lower(fs::path(name).extension().string());
      return IsConfigFile(name) && (ext == ".yaml" || ext == ".yml" || ext == ".json");
    };
  } else {
    wo.want = [](std::string_view name, std::string_view) { return IsConfigFile(name) || IsHclFile(name); };
  }
  if (!skip.empty()) {
    const fs::path root_abs = fs::weakly_canonical(root), skip_abs = fs::weakly_canonical(skip);
    const fs::path skip_rel = skip_abs.lexically_relative(root_abs);
    if (!skip_rel.empty() && *skip_rel.begin() != ".." && skip_rel != ".") wo.exclude.push_back(skip_rel.generic_string() + "/**");
  }

  std::vector<Finding> out;
  std::vector<walk::Problem> problems;
  iac::HelmCharts charts;
  std::map<std::string, std::size_t> templates;  // chart -> raw templates left out
  std::optional<Error> failure;
  std::string text;
  std::set<std::string> patches;  // Kustomize patch files: partial manifests
  auto check_file = [&](const walk::Entry& e) {
    if (failure) return;
    // Raw Helm templates are Go templates, not YAML until rendered.
    if (const std::string chart = charts.ChartOf(e.path); !chart.empty() && IsYaml(e.path)) {
      ++templates[chart];
      return;
    }
    if (patches.count(fs::path(e.path).lexically_normal().generic_string())) return;
    if (auto p = walk::ReadFile(e, kMaxInputBytes, text)) {
      problems.push_back(std::move(*p));
      return;
    }
    const std::string& rel = e.rel;
    if (IsJsoncFile(rel)) text = JsoncToJson(text);
    auto docs = ParseInput(rel, text);
    if (!docs) {
      problems.push_back(walk::ParseProblem(rel, e.repo_path, docs.error().message()));
      return;
    }
    std::vector<std::uint32_t> lines;
    if (IsYaml(rel)) lines = YamlDocumentLines(text, docs->size());
    else if (Lower(fs::path(rel).extension().string()).rfind(".json", 0) == 0 || IsHclFile(rel)) lines = {1};
    if (auto s = on_file(ConfigFile{e, rel, text, *docs, lines}); !s) failure = s.error();
  };
  // The walk first (paths only), so that every kustomization is known before
  // the files it lists as patches are checked.
  std::vector<walk::Entry> files;
  auto walked = walk::Walk(
      {root}, wo, [&](const walk::Entry& e) { files.push_back(e); },
      [&](walk::Problem p) {
        if (p.kind == walk::ProblemKind::kNote) {
          if (opts.notes != nullptr) opts.notes->push_back(p.Text());
        } else {
          problems.push_back(std::move(p));
        }
      });
  if (!walked) return Fail(walked.error());
  for (const auto& e : files) {
    if (!iac::IsKustomization(fs::path(e.path).filename().string())) continue;
    if (walk::ReadFile(e, kMaxInputBytes, text)) continue;  // reported when the file is checked
    const std::string dir = fs::path(e.path).parent_path().generic_string();
    std::size_t n = 0;
    for (const auto& p : iac::KustomizePatches(dir.empty() ? "." : dir, text))
      n += patches.insert(fs::path(p).lexically_normal().generic_string()).second ? 1u : 0u;
    if (n > 0 && opts.notes != nullptr)
      opts.notes->push_back(e.path + ": kustomize overlay: " + std::to_string(n) +
                            " patch file(s) are partial manifests and were not checked on their own (check the "
                            "output of `kustomize build` to see them applied)");
  }
  for (const auto& e : files) check_file(e);
  if (failure) return Fail(*failure);
  for (const auto& [chart, n] : templates)
    if (opts.notes != nullptr)
      opts.notes->push_back(chart + ": helm chart: " + std::to_string(n) +
                            " raw template(s) not checked (Go templates are not YAML until rendered: check the output "
                            "of `helm template`)");
  if (opts.strict && !problems.empty()) return Fail(Error::Input(problems.front().Text()));
  for (auto& p : problems) {
    // Problems found by the walker carry the shown path; findings are relative to the root.
    if (p.path.compare(0, root.size(), root) == 0 && root != ".") {
      std::string rel = fs::path(p.path).lexically_relative(fs::path(root)).generic_string();
      if (!rel.empty() && rel.rfind("..", 0) != 0) p.path = rel;
    }
    Finding f = walk::ProblemFinding(p, "tollgate-rego", opts.parse_error_severity);
    f.gate = gate;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

Result<std::vector<Finding>> CollectPolicyFindings(const std::string& policy_dir, const std::string& root,
                                                   const std::string& gate, const PolicyScanOptions& opts) {
  rego::CompileOptions co;
  co.version = opts.v0 ? rego::RegoVersion::kV0 : rego::RegoVersion::kV1;
  auto policy = rego::LoadPolicies({policy_dir}, co);
  if (!policy) return Fail(policy.error());
  rego::CheckOptions check;
  check.all_namespaces = true;
  check.explain = true;
  std::vector<Finding> out;
  auto problems = WalkConfigFiles(root, policy_dir, gate, opts, false, [&](const ConfigFile& cf) -> Status {
    Json dockerfile;
    if (iac::DetectFormat(cf.rel, cf.text) == iac::Format::kDockerfile) {
      auto d = iac::LoadDockerfile(cf.rel, cf.text);
      if (d) dockerfile = std::move(*d);
    }
    // One document at a time, so each result knows its document's line.
    for (std::size_t i = 0; i < cf.docs.size(); ++i) {
      auto rs = rego::CheckDocuments(**policy, cf.rel, {cf.docs[i]}, check);
      if (!rs) return Fail(rs.error());
      std::map<std::pair<std::string, std::string>, std::uint32_t> result_lines;  // (rule id, message) -> line
      for (const auto& fc : *rs)
        for (const auto* list : {&fc.failures, &fc.warnings})
          for (const auto& c : *list)
            result_lines[{"rego." + fc.ns + "." + c.rule, c.msg}] = ResultLine(c, dockerfile, i < cf.lines.size() ? cf.lines[i] : 0);
      for (auto& f : rego::CheckFindings(*rs, gate, true)) {
        if (auto it = result_lines.find({f.rule_id, f.message}); it != result_lines.end()) f.location.line = it->second;
        // The repository-relative path: the same whichever way the root is spelled.
        f.fingerprint = MakeFingerprint(f.rule_id, {cf.entry.repo_path, f.message});
        out.push_back(std::move(f));
      }
    }
    return Ok();
  });
  if (!problems) return Fail(problems.error());
  for (auto& f : *problems) out.push_back(std::move(f));
  SortFindings(out);
  return out;
}

Result<std::vector<Finding>> CollectAdmissionFindings(const admission::PolicySet& set, const std::string& root,
                                                      const std::string& gate, const PolicyScanOptions& opts) {
  // The Kubernetes objects among the configuration files (documents with
  // apiVersion and kind); the rest is not the admission gate's.
  std::vector<admission::SourceDocument> documents;
  auto problems = WalkConfigFiles(root, "", gate, opts, true, [&](const ConfigFile& cf) -> Status {
    for (std::size_t i = 0; i < cf.docs.size(); ++i) {
      if (!cf.docs[i].is_object()) continue;
      Json doc = rego::ToJson(cf.docs[i]);
      if (!doc.contains("apiVersion") || !doc.contains("kind")) continue;
      documents.push_back({cf.rel, i < cf.lines.size() ? cf.lines[i] : 0, std::move(doc)});
    }
    return Ok();
  });
  if (!problems) return Fail(problems.error());
  auto audited = admission::AuditObjects(set, documents, gate);
  if (!audited) return Fail(audited.error());
  std::vector<Finding> out = std::move(audited->findings);
  for (auto& f : *problems) out.push_back(std::move(f));
  SortFindings(out);
  return out;
}

Result<PolicyInputs> FindPolicyInputs(const std::vector<std::string>& paths) {
  PolicyInputs out;
  walk::Options wo;  // no size limit here: reading the file bounds it (rego::ReadDocumentFile)
  wo.want = [](std::string_view name, std::string_view) { return IsConfigFile(name) || IsHclFile(name); };
  for (const auto& path : paths) {
    if (path == "-") {
      out.files.push_back(path);
      continue;
    }
    TG_TRY(walk::Walk(
        {path}, wo,
        [&](const walk::Entry& e) { out.files.push_back(e.path); },
        [&](walk::Problem p) { out.problems.push_back(std::move(p)); }));
  }
  return out;
}

namespace {

Result<std::vector<rego::Value>> One(Result<rego::Value> v) {
  if (!v) return Fail(v.error());
  return std::vector<rego::Value>{std::move(*v)};
}

// conftest's parsers Tollgate reads, by conftest's names.
Result<std::vector<rego::Value>> ParseAs(std::string_view parser, const std::string& path, std::string_view text,
                                         const rego::DecodeLimits& limits) {
  if (parser != "yaml") TG_TRY(rego::CheckTextWithinBudget(path, text.size(), limits));
  if (parser == "json") return One(rego::ParseJsonValue(text, path));
  if (parser == "jsonc") return One(rego::ParseJsonValue(JsoncToJson(std::string(text)), path));
  if (parser == "yaml") return rego::ParseYamlDocuments(text, path, limits);
  if (parser == "toml") return One(rego::ParseTomlValue(text, path));
  if (parser == "ini") return One(rego::ParseIniValue(text, path));
  if (parser == "dotenv") return One(rego::ParseDotenvValue(text, path));
  if (parser == "dockerfile") {
    auto v = rego::ParseDockerfileValue(text, path);
    if (!v) return Fail(v.error());
    return std::vector<rego::Value>{v->items()[0]};
  }
  if (parser == "hcl2") {
    auto json = iac::HclToConftestJson(path, text);
    if (!json) return Fail(json.error());
    return std::vector<rego::Value>{rego::FromJson(*json)};
  }
  return Fail(Error::Internal("ParseAs: " + std::string(parser)));
}

}  // namespace

Status CheckParserName(std::string_view parser) {
  for (const char* ok : {"json", "jsonc", "yaml", "toml", "ini", "dotenv", "dockerfile", "hcl2"})
    if (parser == ok) return {};
  for (const char* theirs : {"cue", "cyclonedx", "edn", "groovy", "hcl1", "hocon", "ignore", "jsonnet", "nginx",
                             "properties", "spdx", "textproto", "vcl", "xml"})
    if (parser == theirs)
      return Fail(Error::Input("--parser " + std::string(parser) +
                               ": conftest has this parser, Tollgate does not (json, jsonc, yaml, toml, ini, dotenv, "
                               "dockerfile, hcl2)"));
  return Fail(Error::Input("--parser " + std::string(parser) +
                           ": unknown parser (json, jsonc, yaml, toml, ini, dotenv, dockerfile, hcl2)"));
}

Result<std::vector<rego::Value>> ReadPolicyInput(const std::string& path, std::string_view parser,
                                                 const rego::DecodeLimits& limits) {
  if (parser.empty() && (path == "-" || !IsHclFile(fs::path(path).filename().string())))
    return rego::ReadDocumentFile(path, limits);
  if (!parser.empty()) TG_TRY(CheckParserName(parser));
  auto text = ReadFileBounded(path, limits.max_file_bytes, "input");
  if (!text) return Fail(text.error());
  if (!parser.empty()) return ParseAs(parser, path == "-" ? "stdin" : path, *text, limits);
  return ParseInput(path, *text);
}

decltype(rego::EvalOptions::config_reader) ConftestConfigReader(const rego::DecodeLimits& limits) {
  return [limits](const std::string& path, std::string_view parser,
                  const std::string* text) -> Result<std::vector<rego::Value>> {
    if (!text) return ReadPolicyInput(path, parser, limits);
    TG_TRY(CheckParserName(parser));
    return ParseAs(parser, path, *text, limits);
  };
}

Result<PolicyCheckRun> RunPolicyCheck(const PolicyCheckRequest& request) {
  if (!request.parser.empty()) TG_TRY(CheckParserName(request.parser));
  auto policy = rego::LoadPolicies(request.policies, request.compile);
  if (!policy) return Fail(policy.error());
  rego::CheckOptions opts = request.check;
  if (!request.data.empty()) {
    auto data = rego::LoadDataDocuments(request.data);
    if (!data) return Fail(data.error());
    opts.eval.data = std::move(*data);
  }
  // Folders are walked as conftest walks them; zero inputs is an error,
  // never "0 tests" and success.
  auto inputs = FindPolicyInputs(request.inputs);
  if (!inputs) return Fail(inputs.error());
  PolicyCheckRun run;
  run.problems = std::move(inputs->problems);
  for (const auto& p : run.problems) run.incomplete = run.incomplete || p.kind == walk::ProblemKind::kIncomplete;
  if (inputs->files.empty())
    return Fail(Error::Input("no input to check: the paths given hold no file policy check reads (JSON, YAML, "
                             "TOML, INI, .env, Dockerfile, Terraform/HCL)"));
  std::vector<std::pair<std::string, std::vector<rego::Value>>> combined;
  rego::DecodeLimits limits;
  limits.max_bytes = opts.eval.max_memory;
  opts.eval.config_reader = ConftestConfigReader(limits);
  for (const auto& in : inputs->files) {
    auto docs = ReadPolicyInput(in, request.parser, limits);
    if (!docs) return Fail(docs.error());
    if (request.combine) {
      combined.emplace_back(in, std::move(*docs));
      continue;
    }
    auto rs = rego::CheckDocuments(**policy, in, *docs, opts);
    if (!rs) return Fail(rs.error());
    run.results.insert(run.results.end(), rs->begin(), rs->end());
  }
  if (request.combine) {
    auto rs = rego::CheckDocuments(**policy, "Combined", {rego::CombineInputs(combined)}, opts);
    if (!rs) return Fail(rs.error());
    run.results = std::move(*rs);
  }
  return run;
}

}  // namespace tollgate::gate
