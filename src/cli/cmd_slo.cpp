// tollgate slo init|rules|budget and tollgate canary judge (docs/slo.md,
// docs/canary.md): parse flags, call the slo and canary modules, print.
#include <filesystem>
#include <iostream>

#include "canary/canary.h"
#include "cli/cli.h"
#include "core/hash.h"
#include "ledger/ledger.h"
#include "slo/slo.h"

namespace tollgate::cli {
namespace {

namespace fs = std::filesystem;

struct SloInitArgs {
  std::string tmpl;
  std::string service;
  std::string output;
  bool force = false;
  bool list = false;
};

int RunSloInit(const SloInitArgs& a) {
  if (a.list || a.tmpl.empty()) {
    if (!a.list) return Report(Error::Input("slo init: --template NAME is required (--list shows them)"));
    for (const auto& t : slo::Templates()) std::cout << t.name << "\t" << t.summary << "\n";
    return 0;
  }
  auto text = slo::TemplateSpec(a.tmpl, a.service.empty() ? a.tmpl : a.service);
  if (!text) return Report(text.error());
  // The template must read back as a valid spec: a broken built-in is a bug.
  if (auto s = slo::ParseSpec(*text, "template " + a.tmpl); !s)
    return Report(Error::Internal(s.error().message()));
  if (a.output.empty() || a.output == "-") {
    std::cout << *text;
    return 0;
  }
  if (fs::exists(a.output) && !a.force) return Report(Error::Input(a.output + ": exists (use --force to overwrite)"));
  if (auto s = WriteFileAtomic(a.output, *text); !s) return Report(s.error());
  std::cout << "wrote " << a.output << " (template " << a.tmpl << ")\n";
  return 0;
}

struct SloRulesArgs {
  std::vector<std::string> specs;
  std::string output;
  std::string period = "30d";
  std::string windows;
  bool disable_alerts = false;
  bool disable_recordings = false;
  std::vector<std::string> labels;
};

int RunSloRules(const SloRulesArgs& a) {
  slo::RulesOptions opts;
  auto period = slo::ParsePeriod(a.period);
  if (!period) return Report(period.error().WithContext("--period"));
  opts.default_period = *period;
  opts.alerts = !a.disable_alerts;
  opts.recordings = !a.disable_recordings;
  for (const auto& l : a.labels) {
    auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0) return Report(Error::Input("--label: expected KEY=VALUE, got '" + l + "'"));
    opts.extra_labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  if (!a.windows.empty()) {
    auto w = slo::LoadAlertWindows(a.windows);
    if (!w) return Report(w.error());
    opts.windows = *w;
  }
  std::vector<slo::Slo> all;
  for (const auto& path : a.specs) {
    auto spec = slo::LoadSpec(path);
    if (!spec) return Report(spec.error());
    all.insert(all.end(), spec->slos.begin(), spec->slos.end());
  }
  auto rules = slo::GenerateRules(all, opts);
  if (!rules) return Report(rules.error());
  if (a.output.empty() || a.output == "-") {
    std::cout << *rules;
    return 0;
  }
  if (auto s = WriteFileAtomic(a.output, *rules); !s) return Report(s.error());
  std::cerr << "wrote " << a.output << " (" << all.size() << " SLOs)\n";
  return 0;
}

struct SloBudgetArgs {
  std::string spec;
  std::string data;
  std::string prometheus;
  std::string slo_name;
  std::string at;
  std::string step;  // empty: slo::DefaultStep
  std::string format = "text";
};

int RunSloBudget(const SloBudgetArgs& a, const Clock& clock) {
  if (a.format != "text" && a.format != "json") return Report(Error::Input("--format must be text or json"));
  slo::BudgetRequest req;
  req.spec = a.spec;
  req.data = a.data;
  req.prometheus = a.prometheus;
  req.slo = a.slo_name;
  req.step = a.step;
  if (!a.at.empty()) {
    auto t = ParseRfc3339(a.at);
    if (!t) return Report(t.error().WithContext("--at"));
    req.at = *t;
  }
  auto budgets = slo::Budgets(req, clock.Now());
  if (!budgets) return Report(budgets.error());
  const auto& out = *budgets;
  if (a.format == "json") {
    Json arr = Json::array();
    for (const auto& b : out) arr.push_back(slo::ToJson(b));
    std::cout << (arr.size() == 1 ? arr[0] : arr).dump(2) << "\n";
  } else {
    for (const auto& b : out) std::cout << slo::ToText(b);
  }
  return 0;
}

struct CanaryArgs {
  std::string baseline;
  std::string canary;
  std::string config;
  std::string format = "text";
  std::string ledger;
  std::string key;
};

int RunCanaryJudge(const CanaryArgs& a, const Clock& clock) {
  if (a.format != "text" && a.format != "json") return Report(Error::Input("--format must be text or json"));
  auto config = canary::LoadJudgeConfig(a.config);
  if (!config) return Report(config.error());
  auto baseline = canary::LoadSamples(a.baseline);
  if (!baseline) return Report(baseline.error());
  auto can = canary::LoadSamples(a.canary);
  if (!can) return Report(can.error());
  auto j = canary::Judge(*config, *baseline, *can, a.baseline, a.canary);
  if (!j) return Report(j.error());

  // Every judgement is evidence: record it before printing the verdict.
  auto key = LoadLedgerKey(a.key);
  if (!key) return Report(key.error());
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kCreate, clock);
  if (!l) return Report(l.error());
  std::vector<Json> events;
  events.push_back(canary::LedgerEvent(*config, *j, canary::JudgementInputs{a.baseline, a.canary, a.config}));
  auto appended = (*l)->Append(std::move(events), key->has_value() ? &**key : nullptr);
  if (!appended) return Report(appended.error());

  if (a.format == "json") {
    Json out = canary::ToJson(*j);
    out["ledger_seq"] = appended->front().seq;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << canary::ToText(*j) << "recorded: ledger entry " << appended->front().seq << " in "
              << LedgerLocation(a.ledger) << "\n";
  }
  return j->verdict == canary::Verdict::kPromote ? 0 : static_cast<int>(ExitCode::kBlocked);
}

}  // namespace

void RegisterSlo(CLI::App& app, Context& ctx) {
  auto* slo_cmd = app.add_subcommand("slo", "SLO specs, Prometheus burn-rate rules and error budgets (docs/slo.md)");
  slo_cmd->require_subcommand(1);

  auto init = std::make_shared<SloInitArgs>();
  auto* i = slo_cmd->add_subcommand("init", "Write an SLO spec from a built-in template");
  i->add_option("--template,-t", init->tmpl, "payments, login, balance-api, fraud-detection, data-freshness");
  i->add_option("--service,-s", init->service, "Service name (default: the template name)");
  i->add_option("--output,-o", init->output, "Write here instead of stdout");
  i->add_flag("--force", init->force, "Overwrite --output");
  i->add_flag("--list", init->list, "List the templates");
  i->callback([&ctx, init] { ctx.action = [init] { return RunSloInit(*init); }; });

  auto rules = std::make_shared<SloRulesArgs>();
  auto* r = slo_cmd->add_subcommand("rules", "Prometheus recording and multiwindow multi-burn-rate alerting rules");
  r->add_option("specs", rules->specs, "SLO spec files (Sloth prometheus/v1, OpenSLO v1/v1alpha)")->required();
  r->add_option("--output,-o", rules->output, "Write here instead of stdout");
  r->add_option("--period", rules->period, "Default SLO period: 30d, 28d, 7d, month, quarter (default 30d)");
  r->add_option("--windows", rules->windows, "Sloth AlertWindows file with custom burn-rate windows");
  r->add_option("--label,-l", rules->labels, "Extra label KEY=VALUE on every rule");
  r->add_flag("--disable-alerts", rules->disable_alerts, "Recordings only");
  r->add_flag("--disable-recordings", rules->disable_recordings, "Alerts only");
  r->callback([&ctx, rules] { ctx.action = [rules] { return RunSloRules(*rules); }; });

  auto budget = std::make_shared<SloBudgetArgs>();
  auto* b = slo_cmd->add_subcommand("budget", "Remaining error budget, burn rates and time to exhaustion");
  b->add_option("--spec", budget->spec, "SLO spec file")->required();
  b->add_option("--data", budget->data, "CSV of time,good,total");
  b->add_option("--prometheus", budget->prometheus, "Prometheus base URL (query_range)");
  b->add_option("--slo", budget->slo_name, "Only this SLO of the spec");
  b->add_option("--at", budget->at, "Evaluate at this time (RFC 3339; default: the last sample, or now)");
  b->add_option("--step", budget->step, "query_range step for --prometheus (default 5m, longer for long periods)");
  b->add_option("--format", budget->format, "text or json");
  b->callback([&ctx, budget] { ctx.action = [budget, &ctx] { return RunSloBudget(*budget, ctx.clock); }; });
}

void RegisterCanary(CLI::App& app, Context& ctx) {
  auto* can = app.add_subcommand("canary", "Canary analysis (docs/canary.md)");
  can->require_subcommand(1);
  auto args = std::make_shared<CanaryArgs>();
  auto* j = can->add_subcommand("judge", "Mann-Whitney judgement of canary against baseline: promote, hold or rollback");
  j->add_option("--baseline", args->baseline, "Baseline samples (JSON or CSV)")->required();
  j->add_option("--canary", args->canary, "Canary samples (JSON or CSV)")->required();
  j->add_option("--config", args->config, "Judge configuration (YAML)")->required();
  j->add_option("--format", args->format, "text or json");
  j->add_option("--ledger", args->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  j->add_option("--key", args->key, "Checkpoint signing key (default $TOLLGATE_LEDGER_KEY)");
  j->callback([&ctx, args] { ctx.action = [args, &ctx] { return RunCanaryJudge(*args, ctx.clock); }; });
}

}  // namespace tollgate::cli
