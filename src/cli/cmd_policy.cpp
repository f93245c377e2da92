// tollgate policy eval|test|check|conformance: the Rego engine's front door.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/cli.h"
#include "core/walk.h"
#include "gate/policy_gate.h"
#include "rego/check.h"
#include "rego/conformance.h"
#include "rego/documents.h"
#include "rego/migrate.h"
#include "rego/rego.h"
#include "rego/test_runner.h"

namespace tollgate::cli {
namespace {

namespace fs = std::filesystem;

// Input documents of a file (YAML streams give several), read bounded: a
// directory or FIFO is refused, never read as nothing or waited on.
Result<std::vector<rego::Value>> ReadDocuments(const std::string& path) { return gate::ReadPolicyInput(path); }

struct EvalArgs {
  std::vector<std::string> data;
  std::string input;
  std::string format = "json";
  std::string query;
  bool fail = false;
  bool fail_defined = false;
  bool explain = false;
  std::uint64_t max_steps = 50'000'000;
  std::uint64_t max_memory = std::uint64_t{4} << 30;
  bool v0 = false;
};

rego::CompileOptions Syntax(bool v0) {
  rego::CompileOptions o;
  o.version = v0 ? rego::RegoVersion::kV0 : rego::RegoVersion::kV1;
  return o;
}

constexpr const char* kV0Help = "Read modules as Rego v0 (OPA 0.x syntax) unless they import rego.v1 or a .manifest says otherwise";

int RunEval(const EvalArgs& a) {
  rego::Value data;
  auto policy = rego::LoadPoliciesAndData(a.data, &data, Syntax(a.v0));
  if (!policy) return Report(policy.error());
  rego::EvalOptions opts;
  opts.data = data;
  opts.max_steps = a.max_steps;
  opts.max_memory = a.max_memory;
  if (!a.input.empty()) {
    rego::DecodeLimits limits;  // decoding the input counts against --max-memory
    limits.max_bytes = a.max_memory;
    auto docs = gate::ReadPolicyInput(a.input, {}, limits);
    if (!docs) return Report(docs.error());
    if (docs->size() != 1) return Report(Error::Input(a.input + ": expected one input document, found " + std::to_string(docs->size())));
    opts.input = (*docs)[0];
  }
  std::vector<std::string> trace;
  if (a.explain) {
    opts.trace = [&trace](const rego::TraceEvent& ev) {
      if (ev.kind == rego::TraceEvent::Kind::kEnterRule) {
        trace.push_back("Enter " + ev.text + " (" + ev.loc.ToString() + ")");
      } else {
        trace.push_back(std::string(ev.kind == rego::TraceEvent::Kind::kExprTrue ? "  true  | " : "  false | ") + ev.text +
                        " (" + ev.loc.ToString() + ")");
      }
    };
  }
  auto rs = (*policy)->Query(a.query, opts);
  if (!rs) return Report(rs.error());
  Json out = Json::object();
  if (!rs->rows.empty()) {
    Json result = Json::array();
    for (const auto& row : rs->rows) {
      Json r;
      Json exprs = Json::array();
      for (const auto& v : row.expressions) {
        Json e;
        e["value"] = rego::ToJson(v);
        e["text"] = a.query;
        e["location"] = {{"row", 1}, {"col", 1}};
        exprs.push_back(e);
      }
      r["expressions"] = exprs;
      if (!row.bindings.empty()) {
        Json b = Json::object();
        for (const auto& [k, v] : row.bindings) b[k] = rego::ToJson(v);
        r["bindings"] = b;
      }
      result.push_back(r);
    }
    out["result"] = result;
  }
  if (a.explain) out["explanation"] = trace;
  std::cout << (a.format == "pretty" ? out.dump(2) : out.dump()) << "\n";
  if (a.fail && rs->rows.empty()) return static_cast<int>(ExitCode::kBlocked);
  if (a.fail_defined && !rs->rows.empty()) return static_cast<int>(ExitCode::kBlocked);
  return 0;
}

struct TestArgs {
  std::vector<std::string> paths;
  std::vector<std::string> policies;  // conftest verify's -p/--policy: more paths
  std::vector<std::string> data;
  std::string format = "text";
  bool verbose = false;
  std::string run;
  bool v0 = false;
};

int RunTest(const TestArgs& a) {
  std::vector<std::string> paths = a.paths;
  paths.insert(paths.end(), a.policies.begin(), a.policies.end());
  if (paths.empty()) return Report(Error::Input("policy test: name the policies (PATH... or -p DIR)"));
  auto policy = rego::LoadPolicies(paths, Syntax(a.v0));
  if (!policy) return Report(policy.error());
  rego::EvalOptions options;
  options.config_reader = gate::ConftestConfigReader();
  if (!a.data.empty()) {
    auto data = rego::LoadDataDocuments(a.data);
    if (!data) return Report(data.error());
    options.data = std::move(*data);
  }
  rego::TestSummary sum = rego::RunTests(**policy, a.run, options);
  if (a.format == "json") {
    Json arr = Json::array();
    for (const auto& o : sum.outcomes) {
      Json j{{"name", o.name}, {"location", o.location}, {"result", rego::StatusName(o.status)}, {"duration_ms", o.ms}};
      if (!o.error.empty()) j["error"] = o.error;
      arr.push_back(j);
    }
    std::cout << arr.dump(2) << "\n";
  } else {
    for (const auto& o : sum.outcomes) {
      if (o.status == rego::TestOutcome::Status::kPass && !a.verbose) continue;
      std::cout << o.name << ": " << rego::StatusName(o.status);
      if (!o.error.empty()) std::cout << " (" << o.error << ")";
      std::cout << " [" << o.location << "]\n";
    }
    std::cout << "--------------------------------------------------------------------------------\n";
    std::size_t n = sum.outcomes.size();
    if (sum.pass) std::cout << "PASS: " << sum.pass << "/" << n << "\n";
    if (sum.fail) std::cout << "FAIL: " << sum.fail << "/" << n << "\n";
    if (sum.error) std::cout << "ERROR: " << sum.error << "/" << n << "\n";
    if (n == 0) std::cout << "no tests found\n";
  }
  return sum.ok() ? 0 : static_cast<int>(ExitCode::kBlocked);
}

struct CheckArgs {
  gate::PolicyCheckRequest request;
  std::vector<std::string> namespaces;
  std::string format = "stdout";
  std::string output;
  bool fail_on_warn = false;
  bool v0 = false;
  bool quiet = false;
  bool suppress_exceptions = false;
  bool no_color = false;  // accepted for conftest's command lines: nothing here is coloured
};

int RunCheck(CheckArgs a) {
  a.request.compile = Syntax(a.v0);
  if (!a.namespaces.empty()) a.request.check.namespaces = a.namespaces;
  a.request.check.explain = a.request.check.explain || a.format == "json";
  auto run = gate::RunPolicyCheck(a.request);
  if (!run) return Report(run.error());
  for (const auto& p : run->problems)
    std::cerr << "tollgate: " << (p.kind == walk::ProblemKind::kNote ? "note: " : "warning: ") << p.Text() << "\n";
  std::size_t failures = 0, warnings = 0;
  for (const auto& fc : run->results) {
    failures += fc.failures.size();
    warnings += fc.warnings.size();
  }
  bool blocked = failures > 0 || (a.fail_on_warn && warnings > 0);
  // What could not be read is not a pass: after the results, exit 2.
  int rc = run->incomplete ? static_cast<int>(ExitCode::kInput) : blocked ? static_cast<int>(ExitCode::kBlocked) : 0;
  if (a.quiet && rc == 0) return 0;  // conftest's --quiet: output only when the run fails
  if (a.format == "sarif" || a.format == "junit") {
    tollgate::Report r;
    r.tool_version = kVersion;
    r.findings = rego::CheckFindings(run->results, "policy", true);
    for (const auto& f : r.findings)
      if (f.severity > Severity::kLow || a.fail_on_warn) r.blocking_fingerprints.push_back(f.fingerprint);
    if (int e = EmitReport(r, a.format, a.output); e != 0) return e;
    return rc;
  }
  std::string body;
  if (a.format == "json") {
    body = rego::CheckResultsToJson(run->results, true).dump(2) + "\n";
  } else {
    auto text = rego::FormatCheckResults(run->results, a.format, a.request.check.explain, a.suppress_exceptions);
    if (!text) return Report(text.error());
    body = std::move(*text);
  }
  if (a.output.empty()) {
    std::cout << body;
  } else if (auto s = WriteFileAtomic(a.output, body); !s) {
    return Report(s.error());
  }
  return rc;
}

struct FmtArgs {
  std::vector<std::string> paths;
  std::vector<std::string> inputs;
  std::vector<std::string> data;
  bool v0_to_v1 = false;
  bool write = false;
};

// policy fmt --v0-to-v1: rewrite, prove on tests and inputs, then print or write.
int RunFmt(const FmtArgs& a) {
  if (!a.v0_to_v1) return Report(Error::Input("policy fmt: only --v0-to-v1 is supported (Tollgate has no formatter)"));
  auto sources = rego::ReadPolicySources(a.paths, Syntax(true));
  if (!sources) return Report(sources.error());
  std::vector<rego::SourceFile> v0;
  std::vector<rego::SourceFile> v1;
  std::vector<bool> changed;
  for (const auto& f : *sources) {
    if (f.version == rego::RegoVersion::kV1) {
      v1.push_back(f);  // already v1 (a .manifest says so): kept as it is
      changed.push_back(false);
      continue;
    }
    auto m = rego::MigrateV0ToV1({f});
    if (!m) return Report(m.error());
    v1.push_back((*m)[0]);
    changed.push_back(true);
    v0.push_back(f);
  }
  std::vector<rego::SourceFile> before = v0;
  for (const auto& f : *sources)
    if (f.version == rego::RegoVersion::kV1) before.push_back(f);
  rego::Value data;
  if (!a.data.empty()) {
    auto ignored = rego::LoadPoliciesAndData(a.data, &data, Syntax(false));
    if (!ignored) return Report(ignored.error());
  }
  std::vector<rego::Value> inputs;
  for (const auto& in : a.inputs) {
    auto docs = ReadDocuments(in);
    if (!docs) return Report(docs.error());
    inputs.insert(inputs.end(), docs->begin(), docs->end());
  }
  auto proof = rego::ProveMigration(before, v1, inputs, data);
  if (!proof) return Report(proof.error());
  for (const auto& d : proof->differences) std::cerr << "tollgate: differs: " << d << "\n";
  std::cerr << (proof->proved() ? "proved: " : "NOT proved: ") << proof->values << " package documents (" << proof->packages
            << " packages x " << proof->inputs << " inputs) and " << proof->tests
            << " tests give the same results in v0 and in the v1 rewrite\n";
  if (!proof->proved()) return static_cast<int>(ExitCode::kBlocked);
  for (std::size_t i = 0; i < v1.size(); ++i) {
    if (!changed[i]) continue;
    if (a.write) {
      if (auto st = WriteFileAtomic(v1[i].name, v1[i].text); !st) return Report(st.error());
      std::cerr << "rewrote " << v1[i].name << "\n";
    } else {
      if (v0.size() > 1) std::cout << "# ---- " << v1[i].name << "\n";
      std::cout << v1[i].text;
    }
  }
  return 0;
}

}  // namespace

void RegisterPolicy(CLI::App& app, Context& ctx) {
  auto* policy = app.add_subcommand("policy", "Evaluate, test and check Rego policies (OPA-compatible, no Go runtime)");
  policy->require_subcommand(1);
  RegisterPolicyDocs(*policy, ctx);
  RegisterPolicyGatekeeper(*policy, ctx);

  auto ea = std::make_shared<EvalArgs>();
  auto* eval = policy->add_subcommand("eval", "Evaluate a Rego query; prints JSON shaped like `opa eval`");
  eval->add_option("-d,--data", ea->data, "Policy (.rego) or data (.json/.yaml) file or directory; repeatable")
      ->allow_extra_args(false);
  eval->add_option("-i,--input", ea->input, "Input document (JSON or YAML; '-' reads stdin)");
  eval->add_option("--format", ea->format, "json or pretty")->check(CLI::IsMember({"json", "pretty"}))->capture_default_str();
  eval->add_flag("--fail", ea->fail, "Exit 1 when the result is undefined");
  eval->add_flag("--fail-defined", ea->fail_defined, "Exit 1 when the result is defined");
  eval->add_flag("--explain", ea->explain, "Add the evaluated expressions (true/false, with positions)");
  eval->add_option("--max-steps", ea->max_steps, "Evaluation step budget")->capture_default_str();
  eval->add_option("--max-memory", ea->max_memory, "Evaluation memory budget in bytes (strings and collections created)")
      ->capture_default_str();
  eval->add_flag("--v0-compatible", ea->v0, kV0Help);
  eval->add_option("QUERY", ea->query, "Query, e.g. data.main.deny")->required();
  eval->callback([&ctx, ea] { ctx.action = [ea] { return RunEval(*ea); }; });

  auto ta = std::make_shared<TestArgs>();
  auto* test = policy->add_subcommand("test", "Run test_ rules like `opa test`; exit 1 on a failure");
  test->add_option("PATH", ta->paths, "Policy files or directories");
  test->add_option("-p,--policy", ta->policies, "Policy file or directory, as conftest verify takes them; repeatable")->allow_extra_args(false);
  test->add_option("-d,--data", ta->data, "Data files or folders (.json, .yaml, .yml) for the tests, placed as OPA's loader places them; repeatable")->allow_extra_args(false);
  test->add_option("--format", ta->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  test->add_flag("-v,--verbose", ta->verbose, "Also list passing tests");
  test->add_option("-r,--run", ta->run, "Only tests whose name contains this text");
  test->add_flag("--v0-compatible", ta->v0, kV0Help);
  test->callback([&ctx, ta] { ctx.action = [ta] { return RunTest(*ta); }; });

  auto ca = std::make_shared<CheckArgs>();
  auto* check = policy->add_subcommand("check", "Check configuration files against deny/violation/warn rules (conftest conventions)");
  check->add_option("-p,--policy", ca->request.policies, "Policy file or directory; repeatable")->capture_default_str()->allow_extra_args(false);
  check->add_option("-n,--namespace", ca->namespaces, "Namespace (package) to check, globs allowed; repeatable (default main)")->allow_extra_args(false);
  check->add_flag("--all-namespaces", ca->request.check.all_namespaces, "Check every package");
  check->add_option("-d,--data", ca->request.data, "Data files or folders (.json, .yaml, .yml) loaded as OPA's loader places them; repeatable")->allow_extra_args(false);
  check->add_flag("--combine", ca->request.combine, "Check all inputs as one document: [{\"path\": ..., \"contents\": ...}] (conftest's --combine)");
  check->add_option("--parser", ca->request.parser, "Read every input with this parser: json, jsonc, yaml, toml, ini, dotenv, dockerfile or hcl2 (default: by file name)");
  check->add_option("--format", ca->format, "Output format: stdout (conftest's; text is the same), json, tap, table, github, sarif or junit")
      ->check(CLI::IsMember({"stdout", "text", "json", "tap", "table", "github", "sarif", "junit"}))
      ->capture_default_str();
  check->add_option("--output,-o", ca->output, "Write the report to FILE instead of stdout (conftest's -o names the format: use --format)");
  check->add_flag("--explain", ca->request.check.explain, "Show, for each failure, the rule, the input paths, values and deciding expressions");
  check->add_flag("--fail-on-warn", ca->fail_on_warn, "Exit 1 on warnings too");
  check->add_flag("--quiet", ca->quiet, "Print nothing when the run passes (conftest's --quiet)");
  check->add_flag("--suppress-exceptions", ca->suppress_exceptions, "Leave exceptions out of the stdout format (they still count)");
  check->add_flag("--no-color", ca->no_color, "Accepted for conftest's command lines (the output has no colour)");
  check->add_flag("--v0-compatible", ca->v0, kV0Help);
  check->add_option("INPUT", ca->request.inputs, "JSON, YAML (multi-document), TOML, INI, .env, Dockerfile or Terraform/HCL files, or folders of them (walked recursively); '-' reads stdin")->required();
  check->callback([&ctx, ca] { ctx.action = [ca] { return RunCheck(*ca); }; });

  auto fa = std::make_shared<FmtArgs>();
  auto* fmt = policy->add_subcommand("fmt", "Rewrite Rego v0 modules to v1 (--v0-to-v1), proved on their tests and inputs");
  fmt->add_flag("--v0-to-v1", fa->v0_to_v1, "Rewrite v0 to v1: if, contains, one rule per body, deprecated built-ins replaced");
  fmt->add_flag("-w,--write", fa->write, "Write the rewrite back to the files (only once proved)");
  fmt->add_option("-i,--input", fa->inputs, "Input document(s) to compare both versions on; repeatable")->allow_extra_args(false);
  fmt->add_option("-d,--data", fa->data, "Base data (.json/.yaml) for both versions; repeatable")->allow_extra_args(false);
  fmt->add_option("FILE", fa->paths, "v0 modules or directories (evaluated together)")->required();
  fmt->callback([&ctx, fa] { ctx.action = [fa] { return RunFmt(*fa); }; });

  auto* conf = policy->add_subcommand("conformance", "Run OPA's YAML conformance cases in DIR");
  auto dir = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  auto known = std::make_shared<std::string>();
  auto write_known = std::make_shared<std::string>();
  auto conf_v0 = std::make_shared<bool>(false);
  conf->add_flag("--v0-compatible", *conf_v0, "The cases are written in Rego v0 (as OPA's testdata/v0)");
  conf->add_option("DIR", *dir, "Directory of conformance cases (one folder per feature)")->required();
  conf->add_flag("-v,--verbose", *verbose, "List every failing case with the reason");
  conf->add_option("--known-failures", *known, "File of expected failures (folder/note per line): any difference fails");
  conf->add_option("--write-known-failures", *write_known, "Write the failing cases (folder/note per line) to FILE");
  conf->callback([&ctx, dir, verbose, known, write_known, conf_v0] {
    ctx.action = [dir, verbose, known, write_known, conf_v0]() -> int {
      rego::ConformanceOptions copts;
      copts.version = *conf_v0 ? rego::RegoVersion::kV0 : rego::RegoVersion::kV1;
      auto r = rego::RunConformance(*dir, copts);
      if (!r) return Report(r.error());
      std::cout << rego::FormatConformance(*r, *verbose);
      if (!write_known->empty()) {
        std::set<std::string> keys;
        for (const auto& c : r->cases)
          if (c.status != rego::CaseOutcome::Status::kPassed) keys.insert(c.folder + "/" + c.note);
        std::string body = "# OPA v1 conformance cases that fail today (tollgate policy conformance --known-failures).\n"
                           "# The runner fails when a listed case passes or an unlisted case fails.\n";
        for (const auto& k : keys) body += k + "\n";
        if (auto s = WriteFileAtomic(*write_known, body); !s) return Report(s.error());
      }
      if (!known->empty()) {
        auto text = ReadFileBounded(*known);
        if (!text) return Report(text.error());
        auto problems = rego::CheckKnownFailures(*r, rego::ParseKnownFailures(*text));
        for (const auto& p : problems) std::cout << p << "\n";
        return problems.empty() ? 0 : static_cast<int>(ExitCode::kBlocked);
      }
      return r->failed + r->skipped == 0 ? 0 : static_cast<int>(ExitCode::kBlocked);
    };
  });
}

}  // namespace tollgate::cli
