// The IaC document model: Terraform (HCL native syntax, subset), Terraform
// plan JSON, Kubernetes YAML and Dockerfiles, each loaded into one JSON
// document with source lines that the built-in and user Rego policies see as
// `input`. See docs/iac-model.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"

namespace tollgate::iac {

enum class Format { kNone, kTerraform, kTerraformPlan, kKubernetes, kDockerfile };

// The format of a file by name and (for .json/.yaml) content; kNone when it
// is not infrastructure code.
Format DetectFormat(const std::string& path, std::string_view text);

struct SourceText {
  std::string file;
  std::string text;
};

// Each loader fails with "file:line: problem" (Error::Input) on bad input.
Result<Json> LoadTerraformHcl(const std::string& file, std::string_view text);
// The .tf files of one module directory, evaluated together: `var.x` from
// variable defaults overridden by the tfvars (in order: terraform.tfvars,
// *.auto.tfvars, --var-file), `local.x` from locals. One document per file.
// With `bad`, a file that does not parse is left out (its error added to
// `bad`) and the rest of the module is loaded; without, it fails the load.
// `inputs` (an object) are a module call's arguments as the caller evaluated
// them: they override the variables' defaults and tfvars.
Result<std::vector<Json>> LoadTerraformModule(const std::vector<SourceText>& tf, const std::vector<SourceText>& tfvars,
                                              std::vector<Error>* bad = nullptr, const Json* inputs = nullptr);
Result<Json> LoadTerraformPlan(const std::string& file, std::string_view text);
// A Terraform/HCL file as conftest's `hcl2` parser gives it to Rego policies
// (tmccombs/hcl2json's form): `resource.TYPE.NAME` is an array of block
// bodies, nested blocks arrays too, literal values as JSON, other
// expressions as "${source}" text. Nothing is evaluated.
Result<Json> HclToConftestJson(const std::string& file, std::string_view text);
Result<Json> LoadKubernetes(const std::string& file, std::string_view text);
Result<Json> LoadDockerfile(const std::string& file, std::string_view text);
// Dispatches on DetectFormat; a null Json for kNone.
Result<Json> LoadFile(const std::string& file, std::string_view text);

// Whether a file name is one `scan iac` reads (.tf, .json, .yaml/.yml,
// Dockerfile, Dockerfile.*, *.dockerfile, Containerfile); its content decides
// the rest (DetectFormat).
bool IsCandidate(std::string_view name);

// Helm charts: a file below a `templates/` directory whose parent holds
// `Chart.yaml` is a raw template (Go templates, not YAML until rendered).
// ChartOf gives that chart directory (as the path spells it), or "" when the
// file is not a template. Answers are cached per directory.
class HelmCharts {
 public:
  std::string ChartOf(const std::string& path);

 private:
  std::vector<std::pair<std::string, bool>> known_;  // directory -> holds Chart.yaml
  bool HasChart(const std::string& dir);
};

// Kustomize: the patch files a kustomization (kustomization.yaml, .yml or
// Kustomization in `dir`) names under patches, patchesStrategicMerge and
// patchesJson6902, as paths joined to `dir`. They are partial manifests.
std::vector<std::string> KustomizePatches(const std::string& dir, std::string_view kustomization);
bool IsKustomization(std::string_view name);

struct ScanStats {
  std::size_t files = 0;        // infrastructure files loaded
  std::size_t documents = 0;    // documents evaluated (one per file)
  double load_seconds = 0;      // reading and parsing: CPU time summed over threads
  double policy_seconds = 0;    // policy evaluation: CPU time summed over threads
  double wall_seconds = 0;
  unsigned jobs = 1;
};

struct ScanOptions {
  // Walking (core/walk.h): globs to leave out, and whether .gitignore counts.
  std::vector<std::string> exclude;
  bool gitignore = true;
  // A file that does not parse is a `parse-error` finding of this severity
  // and the rest is scanned; with `strict`, it fails the scan (exit 2).
  bool strict = false;
  Severity parse_error_severity = Severity::kHigh;
  // Notes (Helm charts and Kustomize patches left out, dangling links): one
  // line each, when set.
  std::vector<std::string>* notes = nullptr;
  std::vector<std::string> policy_dirs;  // user policies, added to the built-ins
  bool builtin = true;
  std::string builtin_dir;               // load built-ins from here instead of the embedded copy
  std::vector<std::string> var_files;    // extra .tfvars, applied after terraform.tfvars and *.auto.tfvars
  unsigned jobs = 1;                     // worker threads; 0 = all cores
  ScanStats* stats = nullptr;            // filled when set
};

// An inline suppression: `# tollgate:ignore=<check>[,<check>] reason` (or
// `//`) on a resource/instruction line or in the comment lines directly
// above it.
struct Suppression {
  std::string check;
  std::string reason;
  std::uint32_t line = 0;  // the comment's line
};
// The suppressions of a file, with the line each applies to (the first
// non-comment line at or below the comment).
std::vector<std::pair<std::uint32_t, Suppression>> FindSuppressions(std::string_view text);

// Plan JSON: adds `source_file`/`source_line` to each resource whose
// configuration (.tf files beside the plan, and local module sources named in
// the plan's `configuration`) declares it.
void MapPlanToSource(Json& plan_doc, const Json& configuration, const std::string& plan_file);

// Walks the paths, loads the files, evaluates every `deny` rule of every
// package under tollgate.iac (built-ins) and of the user's packages, returns
// findings, plus an `incomplete-scan` finding for each file it could not read
// (unreadable, over 8 MiB, a FIFO, a symbolic link loop) and a `parse-error`
// one for each it could not parse. Fingerprints use repository-relative
// paths (walk::RepoPaths), so every spelling of a path gives the same ones.
// Findings covered by an inline suppression carry details.suppression
// {check, reason, line}; they are not dropped (see docs/iac-model.md).
Result<std::vector<Finding>> Scan(const std::vector<std::string>& paths, const ScanOptions& opts);

}  // namespace tollgate::iac
