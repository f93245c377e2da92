// SBOM output: CycloneDX 1.5 JSON and SPDX 2.3 JSON of an inventory.
#include <map>
#include <set>

#include "core/hash.h"
#include "scan/deps/deps.h"

namespace tollgate::deps {
namespace {

// Packages once per purl, in a stable order, with every place they appear.
struct Entry {
  const Package* p;
  std::string purl;
  std::vector<std::string> where;
};

std::vector<Entry> Unique(const Inventory& inv) {
  std::map<std::string, Entry> by_purl;
  for (const auto& p : inv.packages) {
    std::string purl = MakePurl(p);
    auto [it, inserted] = by_purl.try_emplace(purl, Entry{&p, purl, {}});
    it->second.where.push_back(p.file + (p.line ? ":" + std::to_string(p.line) : ""));
  }
  std::vector<Entry> out;
  for (auto& [k, e] : by_purl) out.push_back(std::move(e));
  return out;
}

// A name-based UUID (version 5 layout over SHA-256) so that the same
// inventory gives the same document id.
std::string StableUuid(const std::string& seed) {
  std::string h = HexEncode(Sha256(seed));
  h[12] = '5';
  const char* variant = "89ab";
  h[16] = variant[(h[16] >= 'a' ? h[16] - 'a' + 10 : h[16] - '0') & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

std::string Seed(const std::vector<Entry>& entries, const std::string& name) {
  std::string s = name;
  for (const auto& e : entries) s += "\n" + e.purl;
  return s;
}

}  // namespace

Json CycloneDxSbom(const Inventory& inv, const std::string& name, const std::string& timestamp,
                   const std::string& tool_version) {
  auto entries = Unique(inv);
  Json comps = Json::array();
  for (const auto& e : entries) {
    const Package& p = *e.p;
    Json c = Json::object();
    c["type"] = (p.ecosystem == Ecosystem::kDebian || p.ecosystem == Ecosystem::kUbuntu ||
                 p.ecosystem == Ecosystem::kAlpine || p.ecosystem == Ecosystem::kRedHat)
                    ? "application"
                    : "library";
    c["bom-ref"] = e.purl;
    std::string n = p.name;
    if (p.ecosystem == Ecosystem::kMaven) {
      auto colon = n.find(':');
      if (colon != std::string::npos) {
        c["group"] = n.substr(0, colon);
        n = n.substr(colon + 1);
      }
    }
    c["name"] = n;
    c["version"] = p.version;
    c["purl"] = e.purl;
    Json props = Json::array();
    props.push_back({{"name", "tollgate:ecosystem"}, {"value", std::string(EcosystemName(p.ecosystem))}});
    for (const auto& w : e.where) props.push_back({{"name", "tollgate:location"}, {"value", w}});
    c["properties"] = std::move(props);
    comps.push_back(std::move(c));
  }
  Json doc = Json::object();
  doc["bomFormat"] = "CycloneDX";
  doc["specVersion"] = "1.5";
  doc["serialNumber"] = "urn:uuid:" + StableUuid(Seed(entries, name));
  doc["version"] = 1;
  doc["metadata"] = {
      {"timestamp", timestamp},
      {"tools", {{"components", Json::array({{{"type", "application"}, {"name", "tollgate"}, {"version", tool_version}}})}}},
      {"component", {{"type", "application"}, {"name", name}, {"bom-ref", "tollgate:subject"}}}};
  doc["components"] = std::move(comps);
  return doc;
}

Json SpdxSbom(const Inventory& inv, const std::string& name, const std::string& timestamp,
              const std::string& tool_version) {
  auto entries = Unique(inv);
  Json pkgs = Json::array();
  Json rels = Json::array();
  std::size_t n = 0;
  for (const auto& e : entries) {
    const Package& p = *e.p;
    std::string id = "SPDXRef-Package-" + std::to_string(++n);
    Json j = Json::object();
    j["SPDXID"] = id;
    j["name"] = p.name;
    j["versionInfo"] = p.version;
    j["downloadLocation"] = "NOASSERTION";
    j["filesAnalyzed"] = false;
    std::string where;
    for (const auto& w : e.where) where += (where.empty() ? "" : ", ") + w;
    j["sourceInfo"] = "found in " + where;
    j["externalRefs"] = Json::array(
        {{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", e.purl}}});
    pkgs.push_back(std::move(j));
    rels.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"}, {"relationshipType", "DESCRIBES"}, {"relatedSpdxElement", id}});
  }
  Json doc = Json::object();
  doc["spdxVersion"] = "SPDX-2.3";
  doc["dataLicense"] = "CC0-1.0";
  doc["SPDXID"] = "SPDXRef-DOCUMENT";
  doc["name"] = name;
  doc["documentNamespace"] = "https://tollgate.invalid/spdx/" + StableUuid(Seed(entries, name));
  doc["creationInfo"] = {{"created", timestamp}, {"creators", Json::array({"Tool: tollgate-" + tool_version})}};
  doc["packages"] = std::move(pkgs);
  doc["relationships"] = std::move(rels);
  return doc;
}

}  // namespace tollgate::deps
