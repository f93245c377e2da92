// Loaders of the IaC document model (docs/iac-model.md).
#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/yaml.h"
#include "scan/iac/hcl_ast.h"
#include "scan/iac/iac.h"

namespace tollgate::iac {
namespace {

constexpr std::size_t kMaxDepth = 128;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::size_t LineAt(std::string_view text, std::size_t pos) {
  return static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min(pos, text.size())), '\n')) + 1;
}

// The line of the first `"address": "<addr>"` in a plan, 0 when not found.
std::size_t AddressLine(std::string_view text, const std::string& addr) {
  std::string needle = Json(addr).dump();  // the address as it is written in the plan, escapes included
  for (std::size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) {
    std::size_t k = at;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\t' || text[k - 1] == '\n' || text[k - 1] == '\r')) --k;
    if (k > 0 && text[k - 1] == ':') {
      std::size_t j = k - 1;
      while (j > 0 && std::isspace(static_cast<unsigned char>(text[j - 1]))) --j;
      if (text.substr(0, j).ends_with("\"address\"")) return LineAt(text, at);
    }
  }
  return 0;
}

void CollectModuleResources(const Json& module, std::string_view text, Json& out, std::size_t depth) {
  if (!module.is_object() || depth > kMaxDepth) return;
  if (auto it = module.find("resources"); it != module.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (!r.is_object()) continue;
      std::string addr = r.value("address", "");
      out.push_back(Json{{"address", addr},
                         {"type", r.value("type", "")},
                         {"name", r.value("name", "")},
                         {"mode", r.value("mode", "managed")},
                         {"line", AddressLine(text, addr)},
                         {"values", r.contains("values") && r["values"].is_object() ? r["values"] : Json::object()}});
    }
  }
  if (auto it = module.find("child_modules"); it != module.end() && it->is_array())
    for (const auto& c : *it) CollectModuleResources(c, text, out, depth + 1);
}

Json DockerArgs(const std::string& value) {
  std::string v = value;
  v.erase(0, v.find_first_not_of(" \t"));
  if (!v.empty() && v[0] == '[') {
    auto j = Json::parse(v, nullptr, false);
    if (j.is_array() && std::all_of(j.begin(), j.end(), [](const Json& e) { return e.is_string(); })) return j;
  }
  Json out = Json::array();
  std::istringstream in(v);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

struct HeredocMarker {
  std::string marker;
  bool strip_tabs = false;
};

// The heredoc markers of an instruction line: <<EOF, <<-EOF, <<"EOF", <<'EOF'.
std::vector<HeredocMarker> HeredocMarkers(const std::string& v) {
  std::vector<HeredocMarker> out;
  for (std::size_t at = v.find("<<"); at != std::string::npos; at = v.find("<<", at + 2)) {
    std::size_t k = at + 2;
    HeredocMarker h;
    if (k < v.size() && v[k] == '-') {
      h.strip_tabs = true;
      ++k;
    }
    char quote = k < v.size() && (v[k] == '"' || v[k] == '\'') ? v[k] : '\0';
    if (quote) ++k;
    std::size_t b = k;
    while (k < v.size() && (std::isalnum(static_cast<unsigned char>(v[k])) || v[k] == '_')) ++k;
    if (k == b || std::isdigit(static_cast<unsigned char>(v[b]))) continue;
    if (quote && (k >= v.size() || v[k] != quote)) continue;
    h.marker = v.substr(b, k - b);
    out.push_back(h);
  }
  return out;
}

}  // namespace

Format DetectFormat(const std::string& path, std::string_view text) {
  std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  std::string lower = Lower(name);
  if (EndsWith(lower, ".tf")) return Format::kTerraform;
  if (lower == "dockerfile" || lower.rfind("dockerfile.", 0) == 0 || EndsWith(lower, ".dockerfile") || lower == "containerfile")
    return Format::kDockerfile;
  if (EndsWith(lower, ".json")) {
    bool plan = text.find("\"format_version\"") != std::string_view::npos &&
                (text.find("\"resource_changes\"") != std::string_view::npos || text.find("\"planned_values\"") != std::string_view::npos);
    return plan ? Format::kTerraformPlan : Format::kNone;
  }
  if (EndsWith(lower, ".yaml") || EndsWith(lower, ".yml")) {
    bool k8s = text.find("apiVersion") != std::string_view::npos && text.find("kind") != std::string_view::npos;
    return k8s ? Format::kKubernetes : Format::kNone;
  }
  return Format::kNone;
}

Result<Json> LoadTerraformPlan(const std::string& file, std::string_view text) {
  Json plan;
  IAC_ASSIGN(plan, ParseJson(text, file));
  if (!plan.is_object()) return Fail(Error::Input(file + ":1: a Terraform plan must be a JSON object"));
  Json resources = Json::array();
  if (auto it = plan.find("resource_changes"); it != plan.end() && it->is_array()) {
    for (const auto& rc : *it) {
      if (!rc.is_object()) continue;
      const Json* change = rc.contains("change") && rc["change"].is_object() ? &rc["change"] : nullptr;
      Json actions = change && change->contains("actions") ? (*change)["actions"] : Json::array();
      if (actions == Json::array({"delete"})) continue;
      Json after = change && change->contains("after") && (*change)["after"].is_object() ? (*change)["after"] : Json::object();
      std::string addr = rc.value("address", "");
      resources.push_back(Json{{"address", addr},
                               {"type", rc.value("type", "")},
                               {"name", rc.value("name", "")},
                               {"mode", rc.value("mode", "managed")},
                               {"line", AddressLine(text, addr)},
                               {"actions", actions},
                               {"values", after}});
    }
  } else if (auto pv = plan.find("planned_values"); pv != plan.end() && pv->is_object() && pv->contains("root_module")) {
    CollectModuleResources((*pv)["root_module"], text, resources, 0);
  }
  Json doc{{"format", "terraform-plan"},
           {"file", file},
           {"terraform_version", plan.value("terraform_version", "")},
           {"resources", resources}};
  if (auto cfg = plan.find("configuration"); cfg != plan.end()) MapPlanToSource(doc, *cfg, file);
  return doc;
}

Result<Json> LoadKubernetes(const std::string& file, std::string_view text) {
  // A manifest is a stream of documents; each is bounded by the YAML reader
  // (duplicate keys, alias bombs and deep nesting are errors).
  yaml::Limits limits;
  limits.max_depth = kMaxDepth;
  auto docs = yaml::ParseStream(text, file, limits);
  if (!docs) return Fail(docs.error());
  Json resources = Json::array();
  auto add = [&](const YAML::Node& n, std::size_t doc, yaml::Budget& budget) -> Status {
    if (!n.IsMap()) return Ok();
    auto converted = yaml::ToJson(n, file, budget);
    if (!converted) return Fail(converted.error());
    Json v = std::move(*converted);
    if (!v.is_object() || !v.contains("kind")) return Ok();
    std::string kind = v["kind"].is_string() ? v["kind"].get<std::string>() : "";
    const Json md = v.contains("metadata") && v["metadata"].is_object() ? v["metadata"] : Json::object();
    std::string name = md.contains("name") && md["name"].is_string() ? md["name"].get<std::string>() : "";
    std::string ns = md.contains("namespace") && md["namespace"].is_string() ? md["namespace"].get<std::string>() : "";
    resources.push_back(Json{{"address", kind + "/" + (ns.empty() ? "" : ns + "/") + name},
                             {"kind", kind},
                             {"name", name},
                             {"namespace", ns},
                             {"document", doc},
                             {"line", n.Mark().line + 1},
                             {"values", std::move(v)}});
    return Ok();
  };
  for (std::size_t i = 0; i < docs->size(); ++i) {
    const YAML::Node& d = (*docs)[i].root;
    if (!d.IsMap()) continue;
    yaml::Budget budget = yaml::Budget::For((*docs)[i]);
    YAML::Node kind = d["kind"];
    YAML::Node items = d["items"];
    const std::size_t index = (*docs)[i].index;
    if (kind && kind.IsScalar() && EndsWith(kind.Scalar(), "List") && items && items.IsSequence()) {
      for (const auto& it : items) TG_TRY(add(it, index, budget));
    } else {
      TG_TRY(add(d, index, budget));
    }
  }
  return Json{{"format", "kubernetes"}, {"file", file}, {"resources", resources}};
}

Result<Json> LoadDockerfile(const std::string& file, std::string_view text) {
  Json instructions = Json::array();
  Json stages = Json::array();
  char escape = '\\';
  bool directives = true;
  std::vector<std::string> lines;
  {
    std::string cur;
    for (char c : text) {
      if (c == '\n') {
        lines.push_back(cur);
        cur.clear();
      } else if (c != '\r') {
        cur += c;
      }
    }
    if (!cur.empty()) lines.push_back(cur);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string l = lines[i];
    std::string t = l.substr(std::min(l.size(), l.find_first_not_of(" \t") == std::string::npos ? l.size() : l.find_first_not_of(" \t")));
    if (t.empty()) {
      directives = false;
      continue;
    }
    if (t[0] == '#') {
      if (directives) {
        std::string d = Lower(t.substr(1));
        d.erase(std::remove(d.begin(), d.end(), ' '), d.end());
        if (d.rfind("escape=", 0) == 0 && d.size() > 7) escape = t.back();
        else if (d.find('=') == std::string::npos) directives = false;
      }
      continue;
    }
    directives = false;
    std::size_t start = i + 1;
    std::string full;
    while (true) {
      std::string cur = t;
      while (!cur.empty() && (cur.back() == ' ' || cur.back() == '\t')) cur.pop_back();
      if (!cur.empty() && cur.back() == escape && i + 1 < lines.size()) {
        cur.pop_back();
        full += cur + " ";
        ++i;
        // comment lines inside a continuation are skipped
        while (i < lines.size()) {
          std::string n = lines[i];
          auto f = n.find_first_not_of(" \t");
          if (f != std::string::npos && n[f] == '#') {
            ++i;
            continue;
          }
          break;
        }
        if (i >= lines.size()) break;
        t = lines[i];
        continue;
      }
      full += cur;
      break;
    }
    auto sp = full.find_first_of(" \t");
    std::string cmd = Lower(full.substr(0, sp));
    std::string value = sp == std::string::npos ? "" : full.substr(full.find_first_not_of(" \t", sp) == std::string::npos ? full.size() : full.find_first_not_of(" \t", sp));
    if (cmd.empty() || !std::all_of(cmd.begin(), cmd.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
      return Fail(Error::Input(file + ":" + std::to_string(start) + ": not a Dockerfile instruction: '" + full.substr(0, 40) + "'"));
    Json args = DockerArgs(value);
    // Heredocs (RUN <<EOF ... EOF, COPY <<EOF /dst, several per line): their
    // bodies follow the instruction; each is recorded and appended to `value`.
    Json heredocs = Json::array();
    for (const auto& h : HeredocMarkers(value)) {
      std::size_t body_line = i + 2;
      std::string body;
      bool closed = false;
      while (++i < lines.size()) {
        std::string l2 = lines[i];
        if (h.strip_tabs) l2.erase(0, l2.find_first_not_of('\t') == std::string::npos ? l2.size() : l2.find_first_not_of('\t'));
        if (l2 == h.marker) {
          closed = true;
          break;
        }
        body += l2 + "\n";
      }
      if (!closed)
        return Fail(Error::Input(file + ":" + std::to_string(start) + ": heredoc <<" + h.marker + " is not closed (end it with a line holding only " + h.marker + ")"));
      value += "\n" + body;
      heredocs.push_back(Json{{"marker", h.marker}, {"line", body_line}, {"content", body}});
    }
    if (cmd == "from") {
      std::vector<std::string> words;
      for (const auto& a : args)
        if (a.get<std::string>().rfind("--", 0) != 0) words.push_back(a.get<std::string>());
      Json st{{"index", stages.size()}, {"image", words.empty() ? "" : words[0]}, {"name", ""}, {"line", start}};
      if (words.size() >= 3 && Lower(words[1]) == "as") st["name"] = words[2];
      stages.push_back(std::move(st));
    }
    instructions.push_back(Json{{"cmd", cmd},
                                {"value", value},
                                {"args", args},
                                {"line", start},
                                {"stage", stages.empty() ? -1 : static_cast<int>(stages.size()) - 1}});
    if (!heredocs.empty()) instructions.back()["heredocs"] = std::move(heredocs);
  }
  return Json{{"format", "dockerfile"}, {"file", file}, {"stages", stages}, {"instructions", instructions}};
}

Result<Json> LoadFile(const std::string& file, std::string_view text) {
  switch (DetectFormat(file, text)) {
    case Format::kTerraform: return LoadTerraformHcl(file, text);
    case Format::kTerraformPlan: return LoadTerraformPlan(file, text);
    case Format::kKubernetes: return LoadKubernetes(file, text);
    case Format::kDockerfile: return LoadDockerfile(file, text);
    case Format::kNone: break;
  }
  return Json();
}

}  // namespace tollgate::iac
