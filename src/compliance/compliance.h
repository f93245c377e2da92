// Compliance reports (issue 18): control catalogs as data, evidence built from
// the ledger, evidence rules in Rego, results as JSON and OSCAL 1.1.3
// assessment results (docs/compliance.md).
//
//   auto lib = LoadLibrary({});                       // built-in catalogs and rules
//   auto ev = BuildEvidence(ledger, {period, ""});    // the evidence document
//   auto report = Assess(*lib, *lib->Find("pci-dss"), *ev);
//   Json oscal = ToOscal(*report, now);
//
// The library never prints; every problem with a catalog or a rule is an
// Input error naming file:line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "core/time.h"
#include "ledger/ledger.h"
#include "rego/rego.h"

namespace tollgate::compliance {

// The Rego package every evidence rule lives in.
inline constexpr const char* kRulesPackage = "tollgate.compliance.rules";

struct Control {
  std::string id;                    // the framework's requirement id ("6.3.3", "CC8.1")
  std::string title;                 // our own words
  std::string objective;             // what is tested, our own words
  std::vector<std::string> rules;    // evidence rules; empty when manual
  std::string manual;                // why a person must assess it; empty when automated
  std::vector<std::string> maps_to;  // other frameworks' ids (FFIEC -> NIST CSF 2.0)
  std::string where;                 // "file:line" of the control
  bool automated() const { return manual.empty(); }
};

struct Framework {
  std::string id;  // what --framework takes ("pci-dss")
  std::string name;
  std::string version;
  std::string note;
  std::optional<double> target;  // the automation level the seed asks for
  Json params = Json::object();  // overrides of DefaultParams()
  std::vector<Control> controls;
  std::string file;
  // Share of controls with evidence rules, 0..1.
  double AutomationLevel() const;
};

// A catalog or rule file's name and text.
struct SourceText {
  std::string name;
  std::string text;
};

// The catalogs and the compiled rules they name.
struct Library {
  std::vector<Framework> frameworks;
  rego::PolicyPtr rules;
  // Every catalog and rule file loaded, name -> hex SHA-256 of its text: what
  // a gate decision records so an auditor knows which controls judged it.
  Json digests = Json::object();
  const Framework* Find(std::string_view id) const;
  // "pci-dss, sox, ..." for messages.
  std::string FrameworkIds() const;
};

// Parses catalogs (YAML) and compiles rules (Rego, package kRulesPackage).
// Unknown or duplicate keys, a control with neither or both of `rules` and
// `manual`, a rule name no rule file defines, a duplicate framework or
// control id, and a rule that does not compile are Input errors with
// file:line.
Result<Library> LoadLibraryFrom(const std::vector<SourceText>& catalogs, const std::vector<SourceText>& rules);

// The catalogs and rules built into the binary (catalogs/*.yaml and
// catalogs/rules/*.rego but *_test.rego), plus each of `extra` (a company's
// own controls): a directory adds its *.yaml catalogs and its rules/*.rego
// files; a file adds itself (a .yaml/.yml catalog or a .rego rule file).
// A path that does not exist is a NotFound error.
Result<Library> LoadLibrary(const std::vector<std::string>& extra);

// Every framework's controls and the evidence that judges each (rules, or
// why a person does), as Markdown: docs/compliance-catalogs.md.
std::string CatalogMarkdown(const Library& library);

// The built-in files, as embedded at build time.
std::vector<SourceText> BuiltinCatalogs();
std::vector<SourceText> BuiltinRules();

// The thresholds rules read from input.params, before a framework's own
// `params:` override them.
Json DefaultParams();

struct EvidenceOptions {
  TimePoint from;
  TimePoint to;         // exclusive
  std::string service;  // empty: every service
};

// Verifies the ledger and reads the evidence document from it (fields in
// docs/compliance.md). A ledger that fails verification is not an error: the
// document says so (ledger.verified false, ledger.error) and holds no events.
Result<Json> BuildEvidence(ledger::Ledger& ledger, const EvidenceOptions& options);

// Evaluates the framework's rules over `evidence` and judges each control:
// satisfied, not_satisfied (with the violating ledger entries) or
// not_assessed (manual, no evidence in the period, or an unverified ledger).
Result<Json> Assess(const Library& library, const Framework& framework, const Json& evidence);

// The report as indented JSON text, its warning (an unverified ledger, a
// period without evidence) first, then what it covers, then the controls.
std::string ReportText(const Json& report);

// The report as OSCAL 1.1.3 assessment results. UUIDs are version 4 in form,
// derived from the report's content, so one report always converts the same
// way; `generated` is metadata.last-modified.
Json ToOscal(const Json& report, TimePoint generated);

// The report as one self-contained, printable HTML page for auditors (inline
// CSS; no scripts or external resources): an unverified ledger first, in a
// banner; the summary beside the automation target; each control with its
// violations and evidence; the waivers in force; the ledger entries cited
// with their leaf hashes and how to prove their inclusion. Every value is
// escaped.
std::string ToHtml(const Json& report, TimePoint generated);

struct BundleOptions {
  std::vector<std::string> frameworks;  // ids; each gets JSON, OSCAL and HTML
  EvidenceOptions period;
  std::string output;  // the directory to create
  bool force = false;  // replace a non-empty output directory
  TimePoint generated;
};

struct BundleSummary {
  std::uint64_t size = 0;
  std::string root;  // hex
  std::size_t reports = 0, checkpoints = 0, keys = 0;
};

// The audit bundle directory (docs/ledger-format.md "Audit bundle
// directory"): the reports of each framework, the ledger export, its signed
// checkpoints, the ledger and signer public keys, each entry's stored bytes
// and a MANIFEST of SHA-256 digests. Written into a temporary directory
// beside `output` and renamed into place only when complete; an unknown
// framework or a non-empty `output` without `force` is an Input error with
// nothing written. A ledger that fails verification or has no signed
// checkpoint writes nothing. Entries are streamed, never held together.
// ledger::VerifyBundleDir verifies the result.
Result<BundleSummary> WriteBundle(ledger::Ledger& ledger, const Library& library, const BundleOptions& options);

}  // namespace tollgate::compliance
