// tollgate catalog check PATH...: parse Backstage catalog-info.yaml files
// (catalog/catalog.h) and print their components and errors.
#include <iostream>
#include <memory>

#include "catalog/catalog.h"
#include "cli/cli.h"

namespace tollgate::cli {
namespace {

struct CatalogArgs {
  std::vector<std::string> paths;
  std::string format = "text";
};

int RunCheck(const CatalogArgs& a) {
  catalog::Parsed all;
  for (const auto& p : a.paths) {
    catalog::Parsed one = catalog::ParseDirectory(p);
    all.components.insert(all.components.end(), one.components.begin(), one.components.end());
    all.skipped.insert(all.skipped.end(), one.skipped.begin(), one.skipped.end());
    all.errors.insert(all.errors.end(), one.errors.begin(), one.errors.end());
  }
  std::cout << (a.format == "json" ? catalog::ToJson(all).dump(2) + "\n" : catalog::ToText(all));
  std::cout.flush();
  for (const auto& e : all.errors) std::cerr << "tollgate: " << e << "\n";
  if (!all.ok()) return static_cast<int>(ExitCode::kInput);
  return std::cout ? 0 : static_cast<int>(ExitCode::kInternal);
}

}  // namespace

void RegisterCatalog(CLI::App& app, Context& ctx) {
  auto* catalog = app.add_subcommand("catalog", "Backstage catalog-info.yaml sources for the portal's Catalog page");
  catalog->require_subcommand(1);
  auto a = std::make_shared<CatalogArgs>();
  auto* check = catalog->add_subcommand(
      "check", "Parse every catalog-info.yaml under each PATH (a directory or a file) and print its components; "
               "exit 2 on any error");
  check->add_option("PATH", a->paths, "A repository checkout or a catalog-info.yaml file")->required();
  check->add_option("--format", a->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  check->callback([&ctx, a] { ctx.action = [a] { return RunCheck(*a); }; });
}

}  // namespace tollgate::cli
