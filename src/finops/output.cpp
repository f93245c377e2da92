// The cost diff as Infracost-shaped JSON and as a text table.
#include <algorithm>
#include <sstream>

#include "finops/finops.h"

namespace tollgate::finops {
namespace {

// Infracost writes amounts and quantities as decimal strings, null when unknown.
Json Amount(const std::optional<Decimal>& d) { return d ? Json(d->ToString()) : Json(); }

Json ComponentJson(const CostComponent& c) {
  Json j = {{"name", c.name},
            {"unit", c.unit},
            {"hourlyQuantity", Amount(c.hourly_quantity)},
            {"monthlyQuantity", Amount(c.monthly_quantity)},
            {"price", Amount(c.price)},
            {"hourlyCost", Amount(c.hourly_cost)},
            {"monthlyCost", Amount(c.monthly_cost)},
            {"usageBased", c.usage_based}};
  if (c.price_not_found) j["priceNotFound"] = true;
  return j;
}

Json BreakdownJson(const Breakdown& b) {
  Json resources = Json::array();
  for (const auto& r : b.resources) {
    Json components = Json::array();
    for (const auto& c : r.components) components.push_back(ComponentJson(c));
    Json j = {{"name", r.name},
              {"resourceType", r.resource_type},
              {"hourlyCost", Amount(r.hourly_cost)},
              {"monthlyCost", Amount(r.monthly_cost)},
              {"costComponents", std::move(components)}};
    if (r.price_not_found) j["priceNotFound"] = true;
    if (r.unsupported) j["unsupported"] = true;
    resources.push_back(std::move(j));
  }
  return {{"resources", std::move(resources)},
          {"totalHourlyCost", b.total_hourly_cost.ToString()},
          {"totalMonthlyCost", b.total_monthly_cost.ToString()}};
}

Json SummaryJson(const Summary& s) {
  return {{"totalDetectedResources", s.detected},
          {"totalSupportedResources", s.supported},
          {"totalUnsupportedResources", s.unsupported},
          {"totalUsageBasedResources", s.usage_based},
          {"totalNoPriceResources", s.no_price},
          {"totalPriceNotFoundResources", s.price_not_found},
          {"unsupportedResourceCounts", s.unsupported_counts},
          {"noPriceResourceCounts", s.no_price_counts}};
}

std::string Signed(const Decimal& d) { return (d.IsNegative() || d.IsZero() ? "" : "+") + d.Fixed(2); }

std::string Money(const std::optional<Decimal>& d) { return d ? d->Fixed(2) : "-"; }

const ResourceCost* Find(const Breakdown& b, const std::string& name) {
  for (const auto& r : b.resources)
    if (r.name == name) return &r;
  return nullptr;
}

void Row(std::ostringstream& out, const std::string& side, const CostComponent& c, std::size_t width) {
  out << "    " << side << "  " << c.name << std::string(width - std::min(width, c.name.size()), ' ') << "  ";
  if (c.price_not_found) {
    out << "price not found\n";
    return;
  }
  const std::string qty = c.monthly_quantity ? c.monthly_quantity->ToString() : "?";
  out << qty << " " << c.unit << " x " << (c.price ? c.price->ToString() : "?") << " = "
      << (c.monthly_cost ? c.monthly_cost->Fixed(2) : "- (no usage given)") << "\n";
}

}  // namespace

Json ToInfracostJson(const CostDiff& d) {
  Json project = {{"name", d.project},
                  {"metadata", {{"path", d.project}, {"type", "terraform_plan_json"}, {"region", d.region}}},
                  {"pastBreakdown", BreakdownJson(d.past)},
                  {"breakdown", BreakdownJson(d.now)},
                  {"diff", BreakdownJson(d.diff)},
                  {"summary", SummaryJson(d.summary)}};
  Json metadata = {{"tollgateCommand", "cost diff"},
                   {"priceBook", {{"path", d.price_book_file}, {"sha256", d.price_book_sha256}}}};
  if (!d.usage_file.empty()) metadata["usageFilePath"] = d.usage_file;
  return {{"version", "0.2"},
          {"metadata", std::move(metadata)},
          {"currency", d.currency},
          {"projects", Json::array({std::move(project)})},
          {"totalHourlyCost", d.now.total_hourly_cost.ToString()},
          {"totalMonthlyCost", d.now.total_monthly_cost.ToString()},
          {"pastTotalHourlyCost", d.past.total_hourly_cost.ToString()},
          {"pastTotalMonthlyCost", d.past.total_monthly_cost.ToString()},
          {"diffTotalHourlyCost", d.diff.total_hourly_cost.ToString()},
          {"diffTotalMonthlyCost", d.diff.total_monthly_cost.ToString()},
          {"summary", SummaryJson(d.summary)}};
}

std::string ToText(const CostDiff& d) {
  std::ostringstream out;
  out << "Project: " << d.project << " (region " << (d.region.empty() ? "unknown" : d.region) << ")\n";
  out << "Price book: " << d.price_book_file << " (sha256 " << d.price_book_sha256 << ")\n";
  if (!d.usage_file.empty()) out << "Usage file: " << d.usage_file << "\n";
  out << "Monthly costs in " << d.currency << " (" << kHoursPerMonth << " hours a month)\n\n";
  std::vector<std::string> names;
  for (const Breakdown* b : {&d.past, &d.now})
    for (const auto& r : b->resources)
      if (std::find(names.begin(), names.end(), r.name) == names.end()) names.push_back(r.name);
  for (const auto& name : names) {
    const ResourceCost* past = Find(d.past, name);
    const ResourceCost* now = Find(d.now, name);
    const ResourceCost& any = now ? *now : *past;
    out << (!past ? "+ " : !now ? "- " : Find(d.diff, name) ? "~ " : "  ") << name;
    if (any.unsupported) {
      out << "  price not found (" << any.resource_type << " is not priced)\n\n";
      continue;
    }
    out << "\n";
    std::size_t width = 0;
    for (const ResourceCost* r : {past, now})
      if (r)
        for (const auto& c : r->components) width = std::max(width, c.name.size());
    const bool same = past && now && past->components.size() == now->components.size() &&
                      std::equal(past->components.begin(), past->components.end(), now->components.begin(),
                                 [](const CostComponent& a, const CostComponent& b) {
                                   return a.name == b.name && a.monthly_cost == b.monthly_cost &&
                                          a.monthly_quantity == b.monthly_quantity;
                                 });
    if (same) {
      for (const auto& c : now->components) Row(out, "      ", c, width);
    } else {
      if (past)
        for (const auto& c : past->components) Row(out, "before", c, width);
      if (now)
        for (const auto& c : now->components) Row(out, "after ", c, width);
    }
    const Decimal change = (now && now->monthly_cost ? *now->monthly_cost : Decimal{}) -
                           (past && past->monthly_cost ? *past->monthly_cost : Decimal{});
    out << "    monthly " << (past ? Money(past->monthly_cost) : "0.00") << " -> "
        << (now ? Money(now->monthly_cost) : "0.00") << " (" << Signed(change) << ")"
        << (any.price_not_found ? "  price not found for a component" : "") << "\n\n";
  }
  out << "Monthly cost before: " << d.past.total_monthly_cost.Fixed(2) << " " << d.currency << "\n";
  out << "Monthly cost after:  " << d.now.total_monthly_cost.Fixed(2) << " " << d.currency << "\n";
  out << "Monthly cost diff:   " << Signed(d.diff.total_monthly_cost) << " " << d.currency << "\n";
  const Summary& s = d.summary;
  out << s.detected << " resources: " << s.supported << " priced, " << s.no_price << " free, " << s.unsupported
      << " not supported; price not found for " << s.price_not_found << "; " << s.usage_based << " usage-based\n";
  return out.str();
}

}  // namespace tollgate::finops
