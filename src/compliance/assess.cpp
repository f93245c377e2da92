// Judging a framework's controls from its evidence rules.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "compliance/compliance.h"

namespace tollgate::compliance {
namespace {

struct RuleOutcome {
  bool applicable = false;
  Json violations = Json::array();  // [{seq?, why}]
  Json evidence = Json::array();    // [seq]
};

Error BadRule(const std::string& name, const std::string& problem) {
  return Error::Input(
      "evidence rule " + name + ": " + problem +
      " (a rule is {\"applicable\": bool, \"violations\": [{\"seq\": n, \"why\": s}], \"evidence\": [seq]})");
}

bool IsSeq(const Json& j) { return j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0); }

Result<RuleOutcome> Evaluate(const rego::Policy& policy, const std::string& name, const rego::EvalOptions& opts) {
  auto v = policy.EvalPath({"tollgate", "compliance", "rules", name}, opts);
  if (!v) return Fail(Error::Input("evidence rule " + name + ": " + v.error().message()));
  if (!v->defined()) return Fail(BadRule(name, "produced no value for this evidence"));
  Json j = rego::ToJson(*v);
  if (!j.is_object()) return Fail(BadRule(name, "is not an object"));
  RuleOutcome out;
  auto a = j.find("applicable");
  if (a == j.end() || !a->is_boolean()) return Fail(BadRule(name, "\"applicable\" must be a boolean"));
  out.applicable = a->get<bool>();
  auto vs = j.find("violations");
  if (vs == j.end() || !vs->is_array()) return Fail(BadRule(name, "\"violations\" must be a list"));
  for (const auto& item : *vs) {
    if (!item.is_object() || !item.contains("why") || !item["why"].is_string())
      return Fail(BadRule(name, "each violation needs a string \"why\""));
    if (item.contains("seq") && !IsSeq(item["seq"]))
      return Fail(BadRule(name, "a violation's \"seq\" must be a ledger index"));
    Json clean{{"rule", name}, {"why", item["why"]}};
    if (item.contains("seq")) clean["seq"] = item["seq"];
    out.violations.push_back(std::move(clean));
  }
  auto ev = j.find("evidence");
  if (ev == j.end() || !ev->is_array()) return Fail(BadRule(name, "\"evidence\" must be a list"));
  for (const auto& s : *ev) {
    if (!IsSeq(s)) return Fail(BadRule(name, "\"evidence\" must hold ledger indexes"));
    out.evidence.push_back(s);
  }
  return out;
}

// Where each seq of the evidence document came from, for the report's index.
void IndexEntries(const Json& evidence, std::map<std::uint64_t, Json>& out) {
  static const std::pair<const char*, const char*> kLists[] = {{"gate_decisions", "gate.decision"},
                                                               {"waivers", "waiver"},
                                                               {"approvals", "approval"},
                                                               {"deploys", "deploy"},
                                                               {"changes", "change"},
                                                               {"incidents", "incident"},
                                                               {"baselines", "baseline"}};
  for (const auto& [list, type] : kLists) {
    if (!evidence.contains(list)) continue;
    for (const auto& e : evidence[list])
      out[e["seq"].get<std::uint64_t>()] =
          Json{{"type", type}, {"time", e.value("time", "")}, {"leaf_hash", e.value("leaf_hash", "")}};
  }
}

bool ViolationLess(const Json& a, const Json& b) {
  auto key = [](const Json& v) {
    return std::make_tuple(v.contains("seq") ? 1 : 0, v.value("seq", std::uint64_t{0}), v["rule"].get<std::string>(),
                           v["why"].get<std::string>());
  };
  return key(a) < key(b);
}

double Round3(double x) { return std::round(x * 1000.0) / 1000.0; }

// The waivers in force at some time in the period (issued before its end,
// expiring after its start), each with the gate decisions that accepted it.
Json Exceptions(const Json& evidence, const Json& period) {
  std::map<std::uint64_t, Json> accepted_by;
  for (const auto& d : evidence.value("gate_decisions", Json::array()))
    for (const auto& w : d.value("waived", Json::array()))
      accepted_by[w.value("seq", std::uint64_t{0})].push_back(d["seq"]);
  const std::int64_t from_t = period.value("from_t", std::int64_t{0});
  const std::int64_t to_t = period.value("to_t", std::numeric_limits<std::int64_t>::max());
  Json out = Json::array();
  for (const auto& w : evidence.value("waivers", Json::array())) {
    const std::int64_t issued = w.value("issued_t", w.value("t", std::int64_t{0}));
    const std::int64_t expires = w.value("expires_t", std::int64_t{0});
    if (!w.value("in_period", false) && (issued >= to_t || (expires != 0 && expires < from_t))) continue;
    Json e = Json::object();
    for (const char* k : {"seq", "service", "gate", "finding", "approver", "issued", "expires", "reason", "leaf_hash"})
      e[k] = w.value(k, Json(nullptr));
    const std::uint64_t seq = w["seq"].get<std::uint64_t>();
    e["accepted_by"] = accepted_by.count(seq) != 0 ? accepted_by[seq] : Json::array();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<Json> Assess(const Library& library, const Framework& framework, const Json& evidence) {
  Json input = evidence;
  Json params = evidence.contains("params") ? evidence["params"] : DefaultParams();
  for (const auto& [k, v] : framework.params.items()) params[k] = v;
  input["params"] = params;
  const Json period = evidence.value("period", Json::object());
  const bool verified = evidence.contains("ledger") && evidence["ledger"].value("verified", false);
  const bool has_events = evidence.value("events_in_period", std::uint64_t{0}) > 0;

  // Each rule once, however many controls name it.
  std::map<std::string, RuleOutcome> outcomes;
  if (verified && has_events) {
    rego::EvalOptions opts;
    opts.input = rego::FromJson(input);
    // time.now_ns() is the period's end (when it fits in nanoseconds).
    const std::int64_t to_t = period.value("to_t", std::int64_t{0});
    if (to_t > 0 && to_t < std::numeric_limits<std::int64_t>::max() / 1'000'000'000) opts.now_ns = to_t * 1'000'000'000;
    for (const auto& c : framework.controls)
      for (const auto& r : c.rules) {
        if (outcomes.count(r) != 0) continue;
        auto o = Evaluate(*library.rules, r, opts);
        if (!o) return Fail(o.error());
        outcomes.emplace(r, std::move(*o));
      }
  }

  std::map<std::uint64_t, Json> all_entries;
  IndexEntries(evidence, all_entries);
  std::set<std::uint64_t> referenced;
  Json controls = Json::array();
  std::map<std::string, int> summary{{"satisfied", 0}, {"not_satisfied", 0}, {"not_assessed", 0}};
  std::size_t automated = 0;
  for (const auto& c : framework.controls) {
    Json out{{"id", c.id}, {"title", c.title}, {"objective", c.objective}, {"catalog", c.where}};
    if (!c.maps_to.empty()) out["maps_to"] = c.maps_to;
    std::string result;
    std::string reason;
    Json violations = Json::array();
    std::set<std::uint64_t> ev;
    if (c.automated()) {
      ++automated;
      out["rules"] = c.rules;
    } else {
      out["manual"] = c.manual;
    }
    if (!c.automated()) {
      result = "not_assessed";
      reason = "assessed by a person: " + c.manual;
    } else if (!verified) {
      result = "not_assessed";
      reason = "the ledger failed verification, so no evidence from it counts";
    } else if (!has_events) {
      result = "not_assessed";
      reason = "no evidence events in the period";
    } else {
      std::vector<std::string> idle;
      for (const auto& r : c.rules) {
        const RuleOutcome& o = outcomes.at(r);
        for (const auto& v : o.violations) violations.push_back(v);
        for (const auto& s : o.evidence) ev.insert(s.get<std::uint64_t>());
        if (!o.applicable) idle.push_back(r);
      }
      std::sort(violations.begin(), violations.end(), ViolationLess);
      violations.erase(std::unique(violations.begin(), violations.end()), violations.end());
      if (!violations.empty()) {
        result = "not_satisfied";
        reason = std::to_string(violations.size()) + " violation(s)";
      } else if (!idle.empty()) {
        result = "not_assessed";
        std::string names;
        for (const auto& n : idle) names += (names.empty() ? "" : ", ") + n;
        reason = "no evidence in the period for " + names;
      } else {
        result = "satisfied";
        reason = ev.empty() ? "every evidence rule held over the ledger as a whole"
                            : "every evidence rule held over " + std::to_string(ev.size()) + " ledger entries";
      }
    }
    for (const auto& v : violations)
      if (v.contains("seq")) referenced.insert(v["seq"].get<std::uint64_t>());
    referenced.insert(ev.begin(), ev.end());
    ++summary[result];
    out["result"] = result;
    out["reason"] = reason;
    out["violations"] = std::move(violations);
    out["evidence"] = ev;
    controls.push_back(std::move(out));
  }

  Json entries = Json::object();
  for (std::uint64_t s : referenced)
    if (auto it = all_entries.find(s); it != all_entries.end()) entries[std::to_string(s)] = it->second;
  Json fw{{"id", framework.id}, {"name", framework.name}, {"version", framework.version}, {"catalog", framework.file}};
  if (!framework.note.empty()) fw["note"] = framework.note;
  Json automation{{"automated_controls", automated},
                  {"controls", framework.controls.size()},
                  {"level", Round3(framework.AutomationLevel())}};
  automation["target"] = framework.target ? Json(*framework.target) : Json(nullptr);
  Json report{{"tool", "tollgate"},
              {"framework", fw},
              {"period", {{"from", period.value("from", "")}, {"to", period.value("to", "")}}},
              {"service", evidence.value("service", Json(nullptr))},
              {"ledger", evidence.value("ledger", Json::object())},
              {"events_in_period", evidence.value("events_in_period", 0)},
              {"automation", automation},
              {"summary", summary},
              {"controls", std::move(controls)},
              {"entries", std::move(entries)},
              {"exceptions", Exceptions(evidence, period)},
              {"params", params}};
  if (!verified)
    report["warning"] = "The ledger failed verification: no control is marked satisfied.";
  else if (!has_events)
    report["warning"] = "The period holds no evidence events: every control is not assessed.";
  return report;
}

std::string ReportText(const Json& report) {
  static const char* const kOrder[] = {"warning",          "tool",    "framework",  "period",   "service", "ledger",
                                       "events_in_period", "summary", "automation", "controls", "exceptions", "entries",
                                       "params"};
  static const char* const kControlOrder[] = {"id",       "title", "result", "reason",  "violations", "objective",
                                              "evidence", "rules", "manual", "maps_to", "catalog"};
  // `value`'s members in `order` first, then any others (sorted).
  auto ordered = [](const Json& value, auto& order) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const char* key : order)
      if (value.contains(key)) out[key] = nlohmann::ordered_json(value[key]);
    for (const auto& [key, v] : value.items())
      if (!out.contains(key)) out[key] = nlohmann::ordered_json(v);
    return out;
  };
  nlohmann::ordered_json out = ordered(report, kOrder);
  if (report.contains("controls") && report["controls"].is_array()) {
    out["controls"] = nlohmann::ordered_json::array();
    for (const auto& c : report["controls"]) out["controls"].push_back(ordered(c, kControlOrder));
  }
  return out.dump(2) + "\n";
}

}  // namespace tollgate::compliance
