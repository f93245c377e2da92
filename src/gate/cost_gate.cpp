#include "gate/cost_gate.h"

#include <cmath>
#include <cstddef>
#include <filesystem>

#include "core/file.h"
#include "core/hash.h"
#include "finops/finops.h"
#include "rego/check.h"
#include "rego/rego.h"
#include "core/embedded.h"

namespace tollgate::gate {

// policies/cost/cost.rego, embedded by src/CMakeLists.txt (cmake/embed_policies.cmake).
extern const EmbeddedFile kBuiltinCostPolicyFiles[];
extern const std::size_t kBuiltinCostPolicyFileCount;

namespace {

namespace fs = std::filesystem;

// A decimal as a JSON number (the rules compare numbers); exact text stays in
// the Infracost-shaped part of the document.
Json Number(const finops::Decimal& d) { return Json::parse(d.ToString()); }
Json Number(const std::optional<finops::Decimal>& d) { return d ? Number(*d) : Json(nullptr); }

const finops::ResourceCost* Find(const finops::Breakdown& b, const std::string& name) {
  for (const auto& r : b.resources)
    if (r.name == name) return &r;
  return nullptr;
}

std::string Action(const std::vector<std::string>& actions) {
  if (actions.size() == 2) return "replace";
  return actions.empty() ? "no-op" : actions[0];
}

// The instance type (EC2 instance_type, RDS instance_class) a resource has after the change.
std::string InstanceType(const finops::ResourceChange& rc) {
  const Json& side = rc.after.is_object() ? rc.after : rc.before;
  if (!side.is_object()) return "";
  for (const char* key : {"instance_type", "instance_class"})
    if (auto it = side.find(key); it != side.end() && it->is_string()) return it->get<std::string>();
  return "";
}

Json Document(const finops::Plan& plan, const finops::CostDiff& d, const std::string& plan_file, const Json& limits) {
  Json resources = Json::array();
  for (const auto& rc : plan.changes) {
    const finops::ResourceCost* past = Find(d.past, rc.address);
    const finops::ResourceCost* now = Find(d.now, rc.address);
    if (!past && !now) continue;  // free (IAM, security groups) or a duplicate address
    Json not_found = Json::array(), usage_unknown = Json::array();
    for (const auto* side : {now, past}) {
      if (!side) continue;
      if (side->unsupported) not_found.push_back(side->resource_type + " is not priced");
      for (const auto& c : side->components) {
        if (c.price_not_found && std::find(not_found.begin(), not_found.end(), c.name) == not_found.end())
          not_found.push_back(c.name);
        if (c.usage_based && !c.monthly_cost && !c.price_not_found &&
            std::find(usage_unknown.begin(), usage_unknown.end(), c.name) == usage_unknown.end())
          usage_unknown.push_back(c.name);
      }
    }
    const std::string type = InstanceType(rc);
    const auto dot = type.rfind('.');
    const auto cost = [](const finops::ResourceCost* r) { return r ? r->monthly_cost : std::optional<finops::Decimal>(); };
    Json diff = nullptr;
    if (cost(now) || cost(past))
      diff = Number(cost(now).value_or(finops::Decimal{}) - cost(past).value_or(finops::Decimal{}));
    resources.push_back({{"address", rc.address},
                         {"type", rc.type},
                         {"action", Action(rc.actions)},
                         {"past_monthly_cost", Number(cost(past))},
                         {"monthly_cost", Number(cost(now))},
                         {"diff_monthly_cost", std::move(diff)},
                         {"price_not_found", (now && now->price_not_found) || (past && past->price_not_found)},
                         {"not_found", std::move(not_found)},
                         {"usage_unknown", std::move(usage_unknown)},
                         {"instance_type", type.empty() ? Json(nullptr) : Json(type)},
                         {"instance_family", dot == std::string::npos ? Json(nullptr) : Json(type.substr(0, dot))}});
  }
  Json percent = nullptr;
  if (!d.past.total_monthly_cost.IsZero() && !d.past.total_monthly_cost.IsNegative()) {
    const double p = std::stod(d.diff.total_monthly_cost.ToString()) * 100 / std::stod(d.past.total_monthly_cost.ToString());
    percent = std::round(p * 100) / 100;  // two places
  }
  return {{"plan", plan_file},
          {"region", d.region},
          {"currency", d.currency},
          {"price_book", {{"file", d.price_book_file}, {"sha256", d.price_book_sha256}}},
          {"past_monthly_cost", Number(d.past.total_monthly_cost)},
          {"monthly_cost", Number(d.now.total_monthly_cost)},
          {"diff_monthly_cost", Number(d.diff.total_monthly_cost)},
          {"diff_percent", std::move(percent)},
          {"resources", std::move(resources)},
          {"limits", limits},
          {"infracost", finops::ToInfracostJson(d)}};
}

Result<rego::PolicyPtr> CostPolicy(const GateConfig& gate) {
  std::vector<rego::SourceFile> sources;
  for (std::size_t i = 0; i < kBuiltinCostPolicyFileCount; ++i)
    sources.push_back({kBuiltinCostPolicyFiles[i].name, kBuiltinCostPolicyFiles[i].text});
  if (!gate.rules.empty()) {
    auto team = rego::ReadPolicySources({gate.rules});
    if (!team) return Fail(team.error());
    if (team->empty()) return Fail(Error::Input(gate.rules + ": no Rego policy (*.rego) found"));
    for (auto& s : *team) sources.push_back(std::move(s));
  }
  return rego::Policy::Compile(sources);
}

Result<std::string> Digest(const std::string& path, const char* what) {
  auto text = ReadFileBounded(path, kDefaultMaxFileBytes, what);
  if (!text) return Fail(text.error());
  return HexEncode(Sha256(*text));
}

}  // namespace

std::string BuiltinCostPolicy() {
  std::string out;
  for (std::size_t i = 0; i < kBuiltinCostPolicyFileCount; ++i) out += kBuiltinCostPolicyFiles[i].text;
  return out;
}

Result<CostGateRun> RunCostGate(const GateConfig& gate) {
  auto book = finops::LoadPriceBook(gate.prices);
  if (!book) return Fail(book.error());
  finops::Usage usage;
  if (!gate.usage.empty()) {
    auto u = finops::LoadUsage(gate.usage);
    if (!u) return Fail(u.error());
    usage = std::move(*u);
  }
  auto plan_text = ReadFileBounded(gate.plan, kDefaultMaxFileBytes, "plan");
  if (!plan_text) return Fail(plan_text.error());
  auto plan = finops::ParsePlan(*plan_text, gate.plan);
  if (!plan) return Fail(plan.error());
  auto policy = CostPolicy(gate);
  if (!policy) return Fail(policy.error());
  auto diff = finops::PriceDiff(*plan, *book, usage);
  if (!diff) return Fail(diff.error());
  diff->usage_file = gate.usage;

  CostGateRun run;
  run.document = Document(*plan, *diff, gate.plan, gate.cost_limits);
  rego::CheckOptions opts;
  opts.all_namespaces = true;
  opts.eval.strict_builtin_errors = true;  // a rule that fails to evaluate stops the gate, never passes it
  auto checked = rego::CheckDocuments(**policy, gate.plan, {rego::FromJson(run.document)}, opts);
  if (!checked) return Fail(checked.error().WithContext(gate.rules.empty() ? "cost rules" : gate.rules));
  run.findings = rego::CheckFindings(*checked, gate.name, true);

  Json evidence = {{"price_book", {{"file", book->file}, {"sha256", book->sha256}, {"currency", book->currency}}},
                   {"plan", {{"file", gate.plan}, {"sha256", HexEncode(Sha256(*plan_text))}}},
                   {"monthly_cost",
                    {{"before", diff->past.total_monthly_cost.ToString()},
                     {"after", diff->now.total_monthly_cost.ToString()},
                     {"diff", diff->diff.total_monthly_cost.ToString()}}},
                   {"limits", gate.cost_limits},
                   {"builtin_rules_sha256", HexEncode(Sha256(BuiltinCostPolicy()))}};
  if (!gate.usage.empty()) {
    auto u = Digest(gate.usage, "usage file");
    if (!u) return Fail(u.error());
    evidence["usage"] = {{"file", gate.usage}, {"sha256", *u}};
  }
  if (!gate.rules.empty()) {
    auto team = rego::ReadPolicySources({gate.rules});
    if (!team) return Fail(team.error());
    std::string all;
    for (const auto& s : *team) all += s.name + "\n" + HexEncode(Sha256(s.text)) + "\n";
    evidence["rules"] = {{"path", gate.rules}, {"sha256", HexEncode(Sha256(all))}};
  }
  run.evidence = std::move(evidence);
  return run;
}

}  // namespace tollgate::gate
