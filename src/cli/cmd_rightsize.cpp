// tollgate rightsize (docs/finops.md "Right-sizing"): parse flags, let the
// finops module recommend, print a table, JSON or CSV and write patches.
#include <iostream>

#include "cli/cli.h"
#include "core/time.h"
#include "finops/rightsize.h"

namespace tollgate::cli {
namespace {

struct RightsizeArgs {
  finops::RightsizeRequest req;
  std::string history = "7d", at, step, half_life = "24h";
  std::string strategy = "simple";
  std::string format = "text";
  std::string patches;
  int min_points = 100;
};

int RunRightsize(RightsizeArgs& a) {
  if (a.format != "text" && a.format != "json" && a.format != "csv")
    return Report(Error::Input("--format: expected text, json or csv, got '" + a.format + "'"));
  if (a.strategy == "simple")
    a.req.config.kind = finops::StrategyConfig::Kind::kSimple;
  else if (a.strategy == "vpa")
    a.req.config.kind = finops::StrategyConfig::Kind::kVpa;
  else
    return Report(Error::Input("--strategy: expected simple or vpa, got '" + a.strategy + "'"));
  auto history = ParseDuration(a.history);
  if (!history) return Report(history.error().WithContext("--history"));
  a.req.history = *history;
  auto half = ParseDuration(a.half_life);
  if (!half) return Report(half.error().WithContext("--half-life"));
  a.req.config.half_life_seconds = half->count();
  if (!a.step.empty()) {
    auto step = ParseDuration(a.step);
    if (!step) return Report(step.error().WithContext("--step"));
    a.req.step = *step;
  }
  if (!a.at.empty()) {
    auto at = ParseRfc3339(a.at);
    if (!at) return Report(at.error().WithContext("--at"));
    a.req.at = *at;
  }
  if (a.min_points < 1) return Report(Error::Input("--min-points must be at least 1"));
  a.req.config.min_points = static_cast<std::size_t>(a.min_points);
  const auto& c = a.req.config;
  if (c.cpu_percentile <= 0 || c.cpu_percentile > 100) return Report(Error::Input("--cpu-percentile must be in (0, 100]"));
  if (c.memory_buffer_percent < 0 || c.memory_buffer_percent > 1000)
    return Report(Error::Input("--memory-buffer must be between 0 and 1000 (percent)"));
  auto report = finops::Rightsize(a.req, std::chrono::system_clock::now());
  if (!report) return Report(report.error());
  if (!a.patches.empty()) {
    auto written = finops::WriteRightsizePatches(*report, a.patches);
    if (!written) return Report(written.error());
    std::cerr << "tollgate: wrote " << written->size() << " patch" << (written->size() == 1 ? "" : "es") << " to " << a.patches
              << "\n";
  }
  if (a.format == "json")
    std::cout << finops::RightsizeJson(*report).dump(2) << "\n";
  else if (a.format == "csv")
    std::cout << finops::RightsizeCsv(*report);
  else
    std::cout << finops::RightsizeText(*report);
  return 0;
}

}  // namespace

void RegisterRightsize(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<RightsizeArgs>();
  auto* r = app.add_subcommand("rightsize",
                               "Right-sized CPU and memory requests from measured usage, with their monthly cost (docs/finops.md)");
  r->add_option("--manifests", a->req.manifests, "Workload manifests: a YAML file or a directory (Deployments, StatefulSets, DaemonSets, HPAs)")
      ->required();
  r->add_option("--prometheus", a->req.prometheus, "Prometheus base URL (http://host:port)");
  r->add_option("--series", a->req.series,
                "Offline usage: a saved query_range answer (JSON), or a directory of them; repeatable");
  r->add_option("--history", a->history, "Usage window queried from Prometheus, ending --at (default 7d)");
  r->add_option("--at", a->at, "End of the window, RFC 3339 (default now)");
  r->add_option("--step", a->step, "Query step (default 1m, longer when the window exceeds 11000 steps)");
  r->add_option("--strategy", a->strategy, "simple (KRR: CPU p95, memory max + 15%) or vpa (decaying histogram)");
  r->add_option("--cpu-percentile", a->req.config.cpu_percentile, "simple: CPU request percentile (default 95)");
  r->add_option("--memory-buffer", a->req.config.memory_buffer_percent, "simple: percent added to peak memory (default 15)");
  r->add_option("--half-life", a->half_life, "vpa: half-life of sample weights (default 24h)");
  r->add_option("--min-points", a->min_points, "Fewer usage points than this: not enough data (default 100)");
  r->add_flag("--include-hpa", a->req.config.include_hpa, "Also resize resources an HPA scales on");
  r->add_option("--prices", a->req.prices, "Price book YAML with kubernetes: {vcpu_hour, gib_hour} rates");
  r->add_option("--region", a->req.region, "Price book region (default: its default_region)");
  r->add_option("--format", a->format, "text (default), json or csv");
  r->add_option("--patches", a->patches, "Write one kustomize strategic-merge patch per workload into this directory");
  r->callback([&ctx, a] { ctx.action = [a] { return RunRightsize(*a); }; });
}

}  // namespace tollgate::cli
