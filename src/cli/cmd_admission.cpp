// tollgate admission review, policy verify and policy audit: Gatekeeper's
// templates and constraints from the command line (src/admission).
#include <iostream>
#include <sstream>

#include "admission/admission.h"
#include "admission/suite.h"
#include "cli/cli.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

struct PolicySource {
  std::vector<std::string> templates;
  std::vector<std::string> constraints;
  bool no_builtin = false;
};

// The templates and constraints given, else the built-in library.
Result<admission::PolicySet> LoadSet(const PolicySource& s) {
  if (s.templates.empty() && s.constraints.empty()) {
    if (s.no_builtin) return Fail(Error::Input("--no-builtin needs --templates and --constraints"));
    return admission::PolicySet::Builtin();
  }
  if (s.templates.empty() || s.constraints.empty())
    return Fail(Error::Input("give both --templates and --constraints (or neither, for the built-in library)"));
  return admission::PolicySet::Load(s.templates, s.constraints);
}

void AddPolicySource(CLI::App* cmd, PolicySource& s) {
  cmd->add_option("-t,--templates", s.templates, "ConstraintTemplate file or directory; repeatable (default: the built-in library)")
      ->allow_extra_args(false);
  cmd->add_option("-c,--constraints", s.constraints, "Constraint file or directory; repeatable")->allow_extra_args(false);
}

struct ReviewArgs {
  PolicySource source;
  std::vector<std::string> inventory;
  bool record = false;
  std::string ledger, key;
};

int RunReview(const ReviewArgs& a, const Clock& clock) {
  auto set = LoadSet(a.source);
  if (!set) return Report(set.error());
  auto inventory = admission::LoadInventory(a.inventory);
  if (!inventory) return Report(inventory.error());
  auto text = ReadFileBounded("-", std::size_t{16} << 20, "AdmissionReview");  // read bounded, never whole first
  if (!text) return Report(text.error());
  Json review = Json::parse(*text, nullptr, false);
  if (review.is_discarded()) return Report(Error::Input("stdin: not a JSON AdmissionReview"));
  auto decision = admission::Decide(*set, review, &*inventory);
  if (!decision) return Report(Error::Input("stdin: " + decision.error().message()));
  if (a.record) {
    auto key = LoadLedgerKey(a.key);
    if (!key) return Report(key.error());
    auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kCreate, clock);
    if (!l) return Report(l.error());
    auto appended = (*l)->Append({decision->event}, key->has_value() ? &**key : nullptr);
    if (!appended) return Report(appended.error());
  }
  std::cout << decision->response.dump() << "\n";
  return decision->allowed ? 0 : static_cast<int>(ExitCode::kBlocked);
}

struct VerifyArgs {
  std::vector<std::string> paths;
  std::string run;
  bool verbose = false;
};

int RunVerify(const VerifyArgs& a) {
  auto suites = admission::FindSuites(a.paths);
  if (!suites) return Report(suites.error());
  if (suites->empty()) return Report(Error::Input("no gator Suite files under " + a.paths.front()));
  std::vector<admission::SuiteResult> results;
  std::size_t cases = 0;
  for (const auto& s : *suites) {
    auto r = admission::RunSuite(s, a.run);
    if (!r) return Report(r.error());
    cases += r->cases.size();
    results.push_back(std::move(*r));
  }
  admission::WriteSuiteResults(results, std::cout, a.verbose);
  if (cases == 0) return Report(Error::Input("no test case ran (check --run)"));
  for (const auto& r : results)
    if (!r.passed()) return static_cast<int>(ExitCode::kBlocked);
  return 0;
}

struct AuditArgs {
  PolicySource source;
  std::vector<std::string> manifests;
  std::string format = "text";
  std::string output;
  std::string fail_on = "high";
};

int RunAudit(const AuditArgs& a) {
  auto fail_on = FailOnThreshold(a.fail_on);
  if (!fail_on) return Report(fail_on.error());
  const std::optional<Severity> threshold = *fail_on;
  auto set = LoadSet(a.source);
  if (!set) return Report(set.error());
  auto audited = admission::Audit(*set, a.manifests);
  if (!audited) return Report(audited.error());
  std::cerr << "tollgate: audit: " << audited->objects << " objects in " << audited->files << " files against "
            << set->constraint_count() << " constraints: " << audited->findings.size() << " violations\n";
  if (audited->objects == 0) return Report(Error::Input("no Kubernetes objects found under " + a.manifests.front()));
  SortFindings(audited->findings);
  tollgate::Report r;
  r.tool_version = kVersion;
  r.findings = std::move(audited->findings);
  r.metadata = Json{{"policy_digest", set->Digest()}, {"objects", audited->objects}};
  for (const auto& f : r.findings)
    if (threshold && AtOrAbove(f.severity, *threshold)) r.blocking_fingerprints.push_back(f.fingerprint);
  if (int rc = EmitReport(r, a.format, a.output); rc != 0) return rc;
  return r.blocking_fingerprints.empty() ? 0 : static_cast<int>(ExitCode::kBlocked);
}

}  // namespace

void RegisterAdmission(CLI::App& app, Context& ctx) {
  auto* adm = app.add_subcommand("admission", "Kubernetes admission with Gatekeeper templates and constraints (docs/admission.md)");
  adm->require_subcommand(1);
  auto ra = std::make_shared<ReviewArgs>();
  auto* review = adm->add_subcommand(
      "review", "Decide an AdmissionReview v1 read from stdin; print the AdmissionReview response (exit 1 when denied)");
  AddPolicySource(review, ra->source);
  review->add_option("--inventory", ra->inventory, "Manifests (or kubectl get -o json lists) for data.inventory and namespaceSelector; repeatable")
      ->allow_extra_args(false);
  review->add_flag("--record", ra->record, "Record the decision in the ledger (no object contents: its SHA-256)");
  review->add_option("--ledger", ra->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  review->add_option("--key", ra->key, "Checkpoint signing key (default $TOLLGATE_LEDGER_KEY)");
  review->callback([&ctx, ra] { ctx.action = [&ctx, ra] { return RunReview(*ra, ctx.clock); }; });
}

void RegisterPolicyGatekeeper(CLI::App& policy, Context& ctx) {
  auto va = std::make_shared<VerifyArgs>();
  auto* verify = policy.add_subcommand("verify", "Run gator Suite files (test.gatekeeper.sh/v1alpha1) like `gator verify`");
  verify->add_option("PATH", va->paths, "Suite files or directories")->required();
  verify->add_option("-r,--run", va->run, "Only tests and cases whose \"test/case\" name matches this regular expression");
  verify->add_flag("-v,--verbose", va->verbose, "Also list passing cases");
  verify->callback([&ctx, va] { ctx.action = [va] { return RunVerify(*va); }; });

  auto aa = std::make_shared<AuditArgs>();
  auto* audit = policy.add_subcommand("audit", "Audit manifests or a cluster dump against Gatekeeper constraints, with no cap on violations");
  AddPolicySource(audit, aa->source);
  audit->add_option("MANIFESTS", aa->manifests, "Manifest files or directories, or `kubectl get -o json` lists")->required();
  AddOutputOptions(audit, aa->format, aa->output);
  audit->add_option("--fail-on", aa->fail_on, "Exit 1 when a violation is at or above: high (deny), medium (warn), low (dryrun), any, none")
      ->capture_default_str();
  audit->callback([&ctx, aa] { ctx.action = [aa] { return RunAudit(*aa); }; });
}

}  // namespace tollgate::cli
