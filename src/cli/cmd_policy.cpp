// tollgate policy eval|test|check|conformance: the Rego engine's front door.
#include <iostream>

#include "cli/cli.h"
#include "rego/conformance.h"

namespace tollgate::cli {

void RegisterPolicy(CLI::App& app, Context& ctx) {
  auto* policy = app.add_subcommand("policy", "Evaluate, test and check Rego policies (OPA-compatible, no Go runtime)");
  policy->require_subcommand(1);

  auto* conf = policy->add_subcommand("conformance", "Run OPA's YAML conformance cases in DIR");
  auto dir = std::make_shared<std::string>();
  auto verbose = std::make_shared<bool>(false);
  conf->add_option("DIR", *dir, "Directory of conformance cases (one folder per feature)")->required();
  conf->add_flag("-v,--verbose", *verbose, "List every failing case with the reason");
  conf->callback([&ctx, dir, verbose] {
    ctx.action = [dir, verbose]() -> int {
      auto r = rego::RunConformance(*dir);
      if (!r) return Report(r.error());
      std::cout << rego::FormatConformance(*r, *verbose);
      return r->failed + r->skipped == 0 ? 0 : 1;
    };
  });
}

}  // namespace tollgate::cli
