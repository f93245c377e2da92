// gator's Suite files (test.gatekeeper.sh/v1alpha1) and Gatekeeper-style
// audits of manifests: the CI side of the admission policies.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "core/finding.h"
#include "core/result.h"

namespace tollgate::admission {

struct CaseResult {
  std::string test;  // the suite's test name
  std::string name;  // the case name
  bool passed = false;
  bool skipped = false;
  std::string message;  // why it failed
  double seconds = 0;
};

struct SuiteResult {
  std::string file;
  std::vector<CaseResult> cases;
  double seconds = 0;
  bool passed() const;
};

// The Suite files under `paths`: a file as given; in a directory, every
// *.yaml/*.yml (recursively) whose document is a Suite.
Result<std::vector<std::string>> FindSuites(const std::vector<std::string>& paths);

// Runs one Suite as `gator verify` does: for each test, its template and
// constraint (paths relative to the suite file) are loaded; each case reviews
// its object (a manifest, or an AdmissionReview whose request is used) with
// its inventory, and checks each assertion: `violations` yes (at least one,
// the default), no (none) or a number (exactly that many), counting only
// violations whose message matches `message` (a regular expression) when
// given. `run` (a regular expression, empty: all) selects tests and cases by
// "test/case". A suite that cannot be read, or a template or constraint that
// does not load, is an error naming the file.
Result<SuiteResult> RunSuite(const std::string& file, const std::string& run = "");

// gator verify's report: "ok FILE 0.012s", or the failed cases and
// "FAIL FILE"; with `verbose`, every case.
void WriteSuiteResults(const std::vector<SuiteResult>& results, std::ostream& out, bool verbose);

struct AuditResult {
  std::vector<Finding> findings;  // one per violation, at the object's file and line
  std::size_t objects = 0;        // objects reviewed
  std::size_t files = 0;
  std::size_t inventory = 0;      // objects held as data.inventory (referential templates only)
};

// Audits manifests (files or directories of YAML/JSON; a `List`, such as
// `kubectl get -o json` writes, is its items) against the set, at the audit
// enforcement point, with no cap on the number of violations. Files are read
// one at a time (twice: Namespaces, and the inventory when a template reads
// data.inventory, are gathered first), so memory follows the largest file
// (plus the inventory for referential templates). Findings: rule id the
// constraint kind, message "[constraint] msg", severity high (deny), medium
// (warn) or low (dryrun); a constraint that cannot be decided for an object
// (a namespaceSelector whose Namespace is not among the manifests, an
// evaluation error) is a `review-error` finding (high), never a pass.
Result<AuditResult> Audit(const PolicySet& set, const std::vector<std::string>& manifests);

// The same over objects already read (the admission gate's walk): each
// object (a `List` gives its items; a document without apiVersion and kind
// is not a Kubernetes object and is left out) reviewed at the audit point,
// with the Namespaces among them (and every object, for referential
// templates) as the inventory. `gate` names the findings' gate.
Result<AuditResult> AuditObjects(const PolicySet& set, const std::vector<SourceDocument>& documents,
                                 const std::string& gate = "admission");

}  // namespace tollgate::admission
