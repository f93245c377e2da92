// The report as OSCAL 1.1.3 assessment results (JSON). Observations are the
// ledger entries a result rests on (seq and leaf hash); findings are one per
// control objective.
#include <cctype>
#include <set>

#include "compliance/compliance.h"
#include "core/hash.h"

namespace tollgate::compliance {
namespace {

constexpr const char* kNs = "https://tollgate.dev/ns/oscal";

// A version-4 UUID whose random bits come from SHA-256 of the report digest
// and `what`: unpredictable in form, the same for the same report.
std::string Uuid(const std::string& digest, const std::string& what) {
  Hash256 h = Sha256(digest + "\n" + what);
  h[6] = static_cast<std::uint8_t>((h[6] & 0x0f) | 0x40);
  h[8] = static_cast<std::uint8_t>((h[8] & 0x3f) | 0x80);
  std::string hex = HexEncode(std::span<const std::uint8_t>(h.data(), 16));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

// An OSCAL token (an XML NCName) for a control id: "pci-dss" + "6.3.3" gives
// "pci-dss-6.3.3"; "Art.5(1)(f)" gives "gdpr-Art.5.1.f".
std::string Token(const std::string& framework, const std::string& id) {
  std::string out = framework + "-";
  bool pending_dot = false;
  for (char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      if (pending_dot && out.back() != '.' && out.back() != '-') out += '.';
      pending_dot = false;
      out += static_cast<char>(c);
    } else {
      pending_dot = true;
    }
  }
  return out;
}

Json Prop(const std::string& name, const std::string& value) {
  return Json{{"name", name}, {"ns", kNs}, {"value", value}};
}

std::string Pct(double share) { return std::to_string(static_cast<int>(share * 100.0 + 0.5)) + "%"; }

}  // namespace

Json ToOscal(const Json& report, TimePoint generated) {
  const std::string digest = HexEncode(Sha256(report.dump()));
  const Json& fw = report["framework"];
  const std::string fid = fw["id"].get<std::string>();
  const Json& ledger = report["ledger"];
  const std::string title = fw["name"].get<std::string>() + " " + fw["version"].get<std::string>();

  // Each ledger entry a result rests on: an observation, and a back-matter
  // resource naming the entry (seq, leaf hash) that the observation cites.
  Json observations = Json::array();
  Json resources = Json::array();
  Json obs_uuid = Json::object();
  for (const auto& [seq, e] : report["entries"].items()) {
    const std::string type = e.value("type", "");
    const std::string leaf = e.value("leaf_hash", "");
    std::string u = Uuid(digest, "observation/" + seq);
    obs_uuid[seq] = u;
    // The entry's time as OSCAL wants it (a ledger may hold a bare date).
    auto t = ParseRfc3339(e.value("time", ""));
    Json o{{"uuid", u},
           {"title", "Ledger entry " + seq + " (" + type + ")"},
           {"description", "The " + type + " event recorded at index " + seq + " of the evidence ledger."},
           {"methods", {"TEST"}},
           {"types", {"finding"}},
           {"props", {Prop("ledger-seq", seq)}},
           {"collected", t ? FormatRfc3339(*t, true) : report["period"]["to"].get<std::string>()}};
    if (!leaf.empty()) {
      std::string r = Uuid(digest, "resource/" + seq);
      o["props"].push_back(Prop("leaf-hash", leaf));
      o["relevant-evidence"] = Json::array({Json{{"href", "#" + r}, {"description", "ledger entry " + seq}}});
      resources.push_back(Json{{"uuid", r},
                               {"title", "Ledger entry " + seq},
                               {"description", "Entry " + seq + " (" + type + ") of the ledger, leaf hash sha256:" +
                                                   leaf + "; `tollgate ledger proof inclusion --index " + seq +
                                                   "` proves it is in the signed tree."},
                               {"props", {Prop("ledger-seq", seq), Prop("leaf-hash", leaf)}}});
    }
    observations.push_back(std::move(o));
  }

  Json selections = Json::array();
  Json findings = Json::array();
  for (const auto& c : report["controls"]) {
    const std::string id = c["id"].get<std::string>();
    const std::string tok = Token(fid, id);
    selections.push_back(Json{{"control-id", tok}});
    const std::string result = c["result"].get<std::string>();
    Json status{{"state", result == "satisfied" ? "satisfied" : "not-satisfied"},
                {"reason", result == "satisfied"       ? "pass"
                           : result == "not_satisfied" ? "fail"
                                                       : "other"}};
    std::string remarks = result + ": " + c["reason"].get<std::string>();
    for (const auto& v : c["violations"]) {
      remarks += "\n- ";
      if (v.contains("seq")) remarks += "entry " + std::to_string(v["seq"].get<std::uint64_t>()) + ": ";
      remarks += v["why"].get<std::string>() + " (" + v["rule"].get<std::string>() + ")";
    }
    status["remarks"] = remarks;
    Json f{{"uuid", Uuid(digest, "finding/" + id)},
           {"title", fw["name"].get<std::string>() + " " + id + ": " + c["title"].get<std::string>()},
           {"description", c["objective"]},
           {"props", {Prop("result", result), Prop("control-id", id)}},
           {"target", {{"type", "objective-id"}, {"target-id", tok + "_obj"}, {"status", status}}}};
    Json related = Json::array();
    std::set<std::string> seen;
    auto relate = [&](std::uint64_t seq) {
      std::string key = std::to_string(seq);
      if (obs_uuid.contains(key) && seen.insert(key).second)
        related.push_back(Json{{"observation-uuid", obs_uuid[key]}});
    };
    for (const auto& v : c["violations"])
      if (v.contains("seq")) relate(v["seq"].get<std::uint64_t>());
    for (const auto& s : c["evidence"]) relate(s.get<std::uint64_t>());
    if (!related.empty()) f["related-observations"] = std::move(related);
    findings.push_back(std::move(f));
  }

  const Json& automation = report["automation"];
  std::string automation_text = Pct(automation["level"].get<double>()) + " of " +
                                std::to_string(automation["controls"].get<std::size_t>()) + " controls automated";
  if (!automation["target"].is_null()) automation_text += " (target " + Pct(automation["target"].get<double>()) + ")";
  std::string description =
      "Controls of " + title + " judged by Tollgate's evidence rules over the ledger entries of the period";
  if (!report["service"].is_null()) description += " for service " + report["service"].get<std::string>();
  description += ". " + automation_text + ".";
  if (report.contains("warning")) description = report["warning"].get<std::string>() + " " + description;
  if (fw.contains("note")) description += " " + fw["note"].get<std::string>();

  Json result{{"uuid", Uuid(digest, "result")},
              {"title", "Tollgate compliance assessment: " + title},
              {"description", description},
              {"start", report["period"]["from"]},
              {"end", report["period"]["to"]},
              {"props",
               {Prop("automation-level", automation_text),
                Prop("ledger-verified", ledger.value("verified", false) ? "true" : "false"),
                Prop("ledger-size", std::to_string(ledger.value("size", std::uint64_t{0})))}},
              {"reviewed-controls", {{"control-selections", Json::array({Json{{"include-controls", selections}}})}}},
              {"findings", std::move(findings)}};
  if (ledger.contains("root")) result["props"].push_back(Prop("ledger-root", ledger["root"].get<std::string>()));
  if (!observations.empty()) result["observations"] = std::move(observations);

  Json metadata{{"title", "Tollgate compliance assessment results: " + title},
                {"last-modified", FormatRfc3339(generated)},
                {"version", "1"},
                {"oscal-version", "1.1.3"},
                {"props", {Prop("framework", fid)}}};
  // The assessment plan is the catalog and its rules: a back-matter resource.
  const std::string plan = Uuid(digest, "assessment-plan");
  resources.push_back(Json{{"uuid", plan},
                           {"title", "Tollgate catalog " + fw["catalog"].get<std::string>()},
                           {"description", "The controls of " + title +
                                               " and the evidence rules that judge them, built into tollgate "
                                               "(docs/compliance.md)."},
                           {"props", {Prop("framework", fid)}}});
  return Json{{"assessment-results",
               {{"uuid", Uuid(digest, "assessment-results")},
                {"metadata", std::move(metadata)},
                {"import-ap", {{"href", "#" + plan}}},
                {"results", Json::array({std::move(result)})},
                {"back-matter", {{"resources", std::move(resources)}}}}}};
}

}  // namespace tollgate::compliance
