#include "catalog/catalog.h"

#include <set>
#include <utility>

#include "core/walk.h"
#include "core/yaml.h"

namespace tollgate::catalog {
namespace {

bool Alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string At(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1);
}

// The scalar at map[key], or "" when absent or not a scalar.
std::string Scalar(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap()) return "";
  const YAML::Node v = map[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

void ParseDocument(const yaml::Document& doc, const std::string& file, Parsed& into, std::set<std::string>& seen) {
  const YAML::Node& root = doc.root;
  const std::string where = file + ":" + std::to_string((root.IsNull() ? doc.start : root.Mark()).line + 1);
  if (!root.IsMap()) {
    into.errors.push_back(where + ": a catalog entity must be a mapping, found " + yaml::KindName(root));
    return;
  }
  const std::string api = Scalar(root, "apiVersion");
  if (api != kApiVersion) {
    into.errors.push_back(where + ": unknown apiVersion '" + api + "' (want " + std::string(kApiVersion) + ")");
    return;
  }
  const std::string kind = Scalar(root, "kind");
  if (kind.empty()) {
    into.errors.push_back(where + ": missing kind");
    return;
  }
  const YAML::Node meta = root["metadata"];
  const std::string name = Scalar(meta, "name");
  const std::string name_at = meta && meta.IsMap() && meta["name"] ? At(file, meta["name"]) : where;
  if (name.empty()) {
    into.errors.push_back(where + ": missing metadata.name");
    return;
  }
  if (!ValidName(name)) {
    into.errors.push_back(name_at + ": metadata.name '" + name.substr(0, 80) +
                          "' must be 1-63 characters of a-z A-Z 0-9 - _ . starting and ending with a letter or digit");
    return;
  }
  const auto line = static_cast<std::size_t>(root.Mark().line + 1);
  if (kind != "Component") {
    into.skipped.push_back({kind, name, file, line});
    return;
  }
  Component c;
  c.name = name;
  if (std::string ns = Scalar(meta, "namespace"); !ns.empty()) c.ns = std::move(ns);
  c.description = Scalar(meta, "description");
  const YAML::Node spec = root["spec"];
  c.owner = Scalar(spec, "owner");
  c.lifecycle = Scalar(spec, "lifecycle");
  c.system = Scalar(spec, "system");
  c.type = Scalar(spec, "type");
  if (const YAML::Node ann = meta.IsMap() ? meta["annotations"] : YAML::Node(); ann && ann.IsMap()) {
    for (const auto& kv : ann) {
      if (kv.first.IsScalar() && kv.second.IsScalar()) c.annotations[kv.first.Scalar()] = kv.second.Scalar();
    }
  }
  c.file = file;
  c.line = line;
  if (!seen.insert(c.ns + "/" + c.name).second) {
    into.errors.push_back(name_at + ": duplicate component '" + c.name + "' in this source");
    return;
  }
  into.components.push_back(std::move(c));
}

}  // namespace

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!Alnum(name.front()) || !Alnum(name.back())) return false;
  for (char c : name) {
    if (!Alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

void ParseText(std::string_view text, const std::string& file, Parsed& into) {
  std::set<std::string> seen;
  for (const auto& c : into.components) seen.insert(c.ns + "/" + c.name);
  auto docs = yaml::ParseStream(text, file);
  if (!docs) {
    into.errors.push_back(docs.error().message());
    return;
  }
  auto status = yaml::Guarded(file, [&]() -> Status {
    for (const auto& d : *docs) ParseDocument(d, file, into, seen);
    return {};
  });
  if (!status) into.errors.push_back(status.error().message());
}

Parsed ParseDirectory(const std::string& dir) {
  Parsed out;
  walk::Options opts;
  opts.gitignore = false;
  opts.max_file_bytes = kMaxFileBytes;
  opts.want = [](std::string_view name, std::string_view) { return name == "catalog-info.yaml"; };
  std::string text;
  auto status = walk::Walk(
      {dir}, opts,
      [&](const walk::Entry& e) {
        if (auto problem = walk::ReadFile(e, kMaxFileBytes, text)) {
          out.errors.push_back(problem->Text());
          return;
        }
        ParseText(text, e.path, out);
      },
      [&](walk::Problem p) {
        if (p.kind != walk::ProblemKind::kNote) out.errors.push_back(p.Text());
      });
  if (!status) out.errors.push_back(status.error().message());
  return out;
}

Json ToJson(const Parsed& parsed) {
  Json out = {{"components", Json::array()}, {"skipped", Json::array()}, {"errors", parsed.errors},
              {"ok", parsed.ok()}};
  for (const auto& c : parsed.components) {
    out["components"].push_back({{"name", c.name}, {"namespace", c.ns}, {"owner", c.owner},
                                 {"lifecycle", c.lifecycle}, {"system", c.system}, {"type", c.type},
                                 {"description", c.description}, {"annotations", c.annotations},
                                 {"file", c.file}, {"line", c.line}});
  }
  for (const auto& k : parsed.skipped) {
    out["skipped"].push_back({{"kind", k.kind}, {"name", k.name}, {"file", k.file}, {"line", k.line}});
  }
  return out;
}

std::string ToText(const Parsed& parsed) {
  std::string out;
  for (const auto& c : parsed.components) {
    out += c.name + "  owner=" + (c.owner.empty() ? "-" : c.owner) + "  lifecycle=" +
           (c.lifecycle.empty() ? "-" : c.lifecycle) + "  system=" + (c.system.empty() ? "-" : c.system) + "  " +
           c.file + ":" + std::to_string(c.line) + "\n";
  }
  std::map<std::string, std::size_t> kinds;
  for (const auto& k : parsed.skipped) ++kinds[k.kind];
  out += std::to_string(parsed.components.size()) + " component(s)";
  for (const auto& [kind, n] : kinds) out += ", " + std::to_string(n) + " " + kind + " skipped";
  out += "\n";
  return out;
}

void Reconcile(SourceState& state, const Parsed& parsed, const std::string& now) {
  state.refreshed_at = now;
  if (!parsed.ok()) {
    state.status = "failed";
    state.error.clear();
    for (const auto& e : parsed.errors) state.error += (state.error.empty() ? "" : "\n") + e;
    return;
  }
  state.status = "ok";
  state.error.clear();
  state.components = parsed.components;
  state.skipped = parsed.skipped.size();
}

}  // namespace tollgate::catalog
