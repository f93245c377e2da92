// Terraform plan JSON (`terraform show -json PLAN`) as finops reads it.
#include "core/file.h"
#include "finops/finops.h"

namespace tollgate::finops {
namespace {

// The region of the default aws provider block: configuration.provider_config
// ["aws"].expressions.region.constant_value ("" when it is a variable or absent).
std::string ProviderRegion(const Json& plan) {
  const auto cfg = plan.find("configuration");
  if (cfg == plan.end() || !cfg->is_object()) return "";
  const auto providers = cfg->find("provider_config");
  if (providers == cfg->end() || !providers->is_object()) return "";
  const auto aws = providers->find("aws");
  if (aws == providers->end() || !aws->is_object()) return "";
  const Json* v = &*aws;
  for (const char* key : {"expressions", "region", "constant_value"}) {
    if (!v->is_object() || !v->contains(key)) return "";
    v = &(*v)[key];
  }
  return v->is_string() ? v->get<std::string>() : "";
}

}  // namespace

Result<Plan> ParsePlan(std::string_view text, const std::string& file) {
  auto parsed = ParseJson(text, file);
  if (!parsed) return Fail(parsed.error());
  Json& j = *parsed;  // before and after are moved out of it
  if (!j.is_object()) return Fail(Error::Input(file + ": not a Terraform plan (expected a JSON object)"));
  const auto fv = j.find("format_version");
  if (fv == j.end() || !fv->is_string())
    return Fail(Error::Input(file + ": not a Terraform plan (no format_version; use `terraform show -json PLANFILE`)"));
  Plan plan;
  plan.file = file;
  plan.format_version = fv->get<std::string>();
  if (plan.format_version.rfind("0.", 0) != 0 && plan.format_version.rfind("1.", 0) != 0)
    return Fail(Error::Input(file + ": unsupported plan format_version \"" + plan.format_version +
                             "\" (supported: 0.x and 1.x)"));
  const auto rc = j.find("resource_changes");
  if (rc != j.end() && !rc->is_array())
    return Fail(Error::Input(file + ": resource_changes must be an array, not " + std::string(rc->type_name())));
  plan.region = ProviderRegion(j);
  if (rc == j.end()) return plan;
  for (std::size_t i = 0; i < rc->size(); ++i) {
    Json& c = (*rc)[i];
    const std::string where = file + ": resource_changes[" + std::to_string(i) + "]";
    if (!c.is_object()) return Fail(Error::Input(where + " must be an object"));
    if (c.value("mode", "managed") != "managed") continue;  // data sources cost nothing
    ResourceChange r;
    for (const char* key : {"address", "type"}) {
      const auto it = c.find(key);
      if (it == c.end() || !it->is_string()) return Fail(Error::Input(where + ": '" + key + "' must be a string"));
    }
    r.address = c["address"].get<std::string>();
    r.type = c["type"].get<std::string>();
    r.name = c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>() : "";
    const auto change = c.find("change");
    if (change == c.end() || !change->is_object()) return Fail(Error::Input(where + " (" + r.address + "): 'change' must be an object"));
    const auto actions = change->find("actions");
    if (actions == change->end() || !actions->is_array())
      return Fail(Error::Input(where + " (" + r.address + "): change.actions must be an array"));
    for (const auto& a : *actions) {
      if (!a.is_string()) return Fail(Error::Input(where + " (" + r.address + "): change.actions must hold strings"));
      r.actions.push_back(a.get<std::string>());
    }
    if (auto b = change->find("before"); b != change->end()) r.before = std::move(*b);
    if (auto a = change->find("after"); a != change->end()) r.after = std::move(*a);
    for (const Json* side : {&r.before, &r.after})
      if (!side->is_null() && !side->is_object())
        return Fail(Error::Input(where + " (" + r.address + "): change.before and change.after must be objects or null"));
    plan.changes.push_back(std::move(r));
  }
  return plan;
}

Result<Plan> LoadPlan(const std::string& path) {
  auto text = ReadFileBounded(path, kDefaultMaxFileBytes, "plan");
  if (!text) return Fail(text.error());
  return ParsePlan(*text, path);
}

}  // namespace tollgate::finops
