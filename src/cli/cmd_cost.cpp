// tollgate cost diff (docs/finops.md): parse flags, price the plan with the
// finops module, print text or Infracost-shaped JSON.
#include <iostream>

#include "cli/cli.h"
#include "finops/finops.h"

namespace tollgate::cli {
namespace {

struct CostDiffArgs {
  std::string plan;
  std::string prices;
  std::string usage;
  std::string format = "text";
};

int RunCostDiff(const CostDiffArgs& a) {
  if (a.format != "text" && a.format != "json")
    return Report(Error::Input("--format: expected text or json, got '" + a.format + "'"));
  auto book = finops::LoadPriceBook(a.prices);
  if (!book) return Report(book.error());
  finops::Usage usage;
  if (!a.usage.empty()) {
    auto u = finops::LoadUsage(a.usage);
    if (!u) return Report(u.error());
    usage = std::move(*u);
  }
  auto plan = finops::LoadPlan(a.plan);
  if (!plan) return Report(plan.error());
  auto diff = finops::PriceDiff(*plan, *book, usage);
  if (!diff) return Report(diff.error());
  diff->usage_file = a.usage;
  if (a.format == "json")
    std::cout << finops::ToInfracostJson(*diff).dump(2) << "\n";
  else
    std::cout << finops::ToText(*diff);
  return 0;
}

}  // namespace

void RegisterCost(CLI::App& app, Context& ctx) {
  auto* cost = app.add_subcommand("cost", "Cost of infrastructure changes from a local price book (docs/finops.md)");
  cost->require_subcommand(1);
  auto args = std::make_shared<CostDiffArgs>();
  auto* d = cost->add_subcommand("diff", "Monthly cost of a Terraform plan before and after, per resource");
  d->add_option("plan", args->plan, "Terraform plan JSON (terraform show -json PLANFILE)")->required();
  d->add_option("--prices", args->prices, "Price book YAML (docs/finops.md)")->required();
  d->add_option("--usage", args->usage, "Usage file in Infracost's infracost-usage.yml layout");
  d->add_option("--format", args->format, "text or json (Infracost's field names)");
  d->callback([&ctx, args] { ctx.action = [args] { return RunCostDiff(*args); }; });
}

}  // namespace tollgate::cli
