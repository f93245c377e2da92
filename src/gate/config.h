// tollgate.yaml: which gates run, their thresholds and who may bypass them
// (docs/config.md is the reference).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/finding.h"
#include "core/result.h"

namespace tollgate::gate {

enum class SourceKind { kScanner, kImport, kPolicy, kErrorBudget };

inline constexpr std::chrono::seconds kDefaultMaxDbAge = std::chrono::hours(24 * 7);

struct GateConfig {
  std::string name;
  SourceKind kind = SourceKind::kScanner;
  std::string source;  // scanner name, import file, policy dir or SLO file (as written)
  // Findings at or above this severity block; nullopt means "none" (report only).
  std::optional<Severity> fail_on = Severity::kHigh;
  std::string fail_on_text = "high";
  bool bypass_allowed = false;              // false for `bypass: none`
  std::vector<std::string> bypass_roles;    // roles whose waivers count
  int line = 0;                             // 1-based line in the config file
  // `db:` of a deps scanner gate: the advisory database directory (relative
  // to the config file once loaded); empty: $TOLLGATE_DB, else the cache.
  std::string db;
  // Scanner and policy gates: globs left out of this gate's walk, besides the
  // top-level ones (core/walk.h), and the severity of its parse-error
  // findings when not the top-level one.
  std::vector<std::string> exclude;
  std::optional<Severity> parse_errors;
  // `allow_missing_ecosystems:` of a deps gate: ecosystems whose packages may
  // go unchecked for want of advisories ("*": all; `true` in the file); any
  // other is an advisory-coverage finding. `max_db_age:` (default 7d): a
  // database or ecosystem whose newest record is older is a warning.
  std::vector<std::string> allow_missing_ecosystems;
  std::chrono::seconds max_db_age = kDefaultMaxDbAge;
  // `unknown_severity:` how findings nobody rated (an advisory that
  // publishes no severity) compare with fail_on; high by default (core
  // kUnknownSeverityDefault).
  Severity unknown_severity = kUnknownSeverityDefault;
  // `scanner: admission`: Gatekeeper ConstraintTemplates and Constraints
  // (files or directories, relative to the config once loaded); both empty:
  // the built-in library (docs/admission.md).
  std::vector<std::string> templates{};
  std::vector<std::string> constraints{};
  // `rego_version:` of a policy gate: v0 reads its modules as Rego v0 unless
  // they import rego.v1 (OPA's --v0-compatible); v1 (the default) refuses
  // v0-only syntax.
  bool rego_v0 = false;
  // `scanner: cost` (docs/finops.md "Cost gate"): the Terraform plan JSON,
  // price book, optional usage file and team rules (a .rego file or
  // directory), relative to the config once loaded; `limits:` as the
  // built-in policy reads them (numbers and lists, validated when parsed).
  std::string plan{}, prices{}, usage{}, rules{};
  Json cost_limits = Json::object();
  // `scanner: compliance` (docs/compliance.md "The compliance gate"): the
  // frameworks judged (default: the configuration's `compliance:` list), the
  // period of ledger evidence before the run (`period:`, default 90d), and
  // whether an automated control with no evidence in the period blocks
  // (`require_assessed:`, default true: the gate fails closed).
  std::vector<std::string> frameworks{};
  std::chrono::seconds period = std::chrono::hours(24 * 90);
  bool require_assessed = true;

  std::string SourceLabel() const;  // "scanner: secrets", "import: reports/sast.sarif"
};

struct ApprovalsConfig {
  int required = 0;
  bool four_eyes = true;
};

struct Config {
  int version = 1;
  std::string service;
  std::vector<std::string> compliance;
  // `catalogs:` the company's own catalogs and rules (files or directories,
  // relative to the config once loaded), beside the built-in ones
  // (compliance::LoadLibrary); the lines of both keys, for messages.
  std::vector<std::string> catalogs;
  int compliance_line = 0, compliance_column = 0;
  int catalogs_line = 0;
  std::vector<GateConfig> gates;
  ApprovalsConfig approvals;
  // Globs every scanner and policy gate leaves out (relative to the directory
  // of tollgate.yaml), and the severity of a file that cannot be parsed.
  std::vector<std::string> exclude;
  Severity parse_errors = Severity::kHigh;
  std::string path;      // the file it came from; empty for the defaults
  std::string base_dir;  // relative paths in the config resolve against this

  const GateConfig* FindGate(const std::string& name) const;
};

// Parse YAML text. `file` names the source in messages, which read
// "<file>:<line>:<column>: <problem>". Unknown keys and wrong types are errors.
Result<Config> ParseConfig(const std::string& text, const std::string& file);
Result<Config> LoadConfig(const std::string& path);

// The configuration of a repository without tollgate.yaml: secrets (any
// finding, no bypass), dependencies and IaC (high, bypass by security).
Config DefaultConfig();

}  // namespace tollgate::gate
