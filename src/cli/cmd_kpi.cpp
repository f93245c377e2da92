// tollgate kpi report|roi: the KPI and ROI tables from the ledger (kpi/kpi.h).
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "kpi/kpi.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

struct KpiArgs {
  std::string ledger, service, env = "prod", window = "90d", from, to, format = "text", inputs, baseline_from,
      baseline_to;
};

Result<kpi::KpiOptions> Options(const KpiArgs& a, bool window_given, const Clock& clock) {
  auto window = delivery::WindowFromFlags(a.from, a.to, a.window, window_given, clock);
  if (!window) return Fail(window.error());
  kpi::KpiOptions o;
  o.dora = *window;
  o.dora.service = a.service;
  o.dora.env = a.env;
  if (!a.baseline_from.empty() || !a.baseline_to.empty()) {
    if (a.baseline_from.empty() || a.baseline_to.empty())
      return Fail(Error::Input("--baseline-from and --baseline-to go together"));
    auto f = delivery::ParseTime(a.baseline_from);
    if (!f) return Fail(f.error().WithContext("--baseline-from"));
    auto t = delivery::ParseTime(a.baseline_to);
    if (!t) return Fail(t.error().WithContext("--baseline-to"));
    o.baseline_from = *f;
    o.baseline_to = *t;
  }
  return o;
}

Result<kpi::KpiReport> Compute(const KpiArgs& a, bool window_given, const Clock& clock) {
  auto o = Options(a, window_given, clock);
  if (!o) return Fail(o.error());
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kExisting, clock);
  if (!l) return Fail(l.error());
  return kpi::ComputeKpis(**l, *o);
}

int Print(const std::string& text) {
  std::cout << text;
  std::cout.flush();
  return std::cout ? 0 : static_cast<int>(ExitCode::kInternal);
}

int RunReport(const KpiArgs& a, bool window_given, const Clock& clock) {
  auto r = Compute(a, window_given, clock);
  if (!r) return Report(r.error());
  return Print(a.format == "json" ? kpi::KpiToJson(*r).dump(2) + "\n" : kpi::KpiToText(*r));
}

int RunRoi(const KpiArgs& a, bool window_given, const Clock& clock) {
  auto in = kpi::LoadRoiInputs(a.inputs);  // before the ledger: a bad file is exit 2 whatever the ledger holds
  if (!in) return Report(in.error());
  auto r = Compute(a, window_given, clock);
  if (!r) return Report(r.error());
  auto roi = kpi::ComputeRoi(*r, *in);
  return Print(a.format == "json" ? kpi::RoiToJson(roi).dump(2) + "\n" : kpi::RoiToText(roi));
}

}  // namespace

void RegisterKpi(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<KpiArgs>();
  const Clock& clock = ctx.clock;
  auto* kpi = app.add_subcommand("kpi", "Platform KPIs and ROI from the ledger");
  kpi->require_subcommand(1);
  auto common = [&](CLI::App* c) {
    c->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
    c->add_option("--service", a->service, "Only this service");
    c->add_option("--env", a->env, "Environment whose deploys count")->capture_default_str();
    auto* window =
        c->add_option("--window", a->window, "The window ending now: 90d, 12w, ...")->capture_default_str();
    c->add_option("--from", a->from, "Window start (RFC 3339 or a date; inclusive)");
    c->add_option("--to", a->to, "Window end (RFC 3339 or a date; exclusive)");
    c->add_option("--format", a->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    return window;
  };
  auto* report = kpi->add_subcommand(
      "report", "Deployment frequency, lead time, MTTR, change failure rate, security resolution and gate figures, "
                "each against its target");
  auto* report_window = common(report);
  report->add_option("--baseline-from", a->baseline_from, "Baseline period start, to compare with (inclusive)");
  report->add_option("--baseline-to", a->baseline_to, "Baseline period end (exclusive)");
  report->callback([&ctx, a, &clock, report_window] {
    bool given = report_window->count() > 0;
    ctx.action = [a, &clock, given] { return RunReport(*a, given, clock); };
  });
  auto* roi = kpi->add_subcommand("roi", "Annual savings, cost, ROI and payback from your rates and the ledger's counts");
  roi->add_option("--inputs", a->inputs, "ROI rates (YAML; see examples/payments-api/roi.yaml)")->required();
  auto* roi_window = common(roi);
  roi->callback([&ctx, a, &clock, roi_window] {
    bool given = roi_window->count() > 0;
    ctx.action = [a, &clock, given] { return RunRoi(*a, given, clock); };
  });
}

}  // namespace tollgate::cli
