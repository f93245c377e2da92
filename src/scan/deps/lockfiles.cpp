// Lockfile and SBOM parsers. Each keeps the line every package came from.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "core/canonical_json.h"
#include "core/yaml.h"
#include "scan/deps/osv.h"
#include "scan/deps/packages.h"

namespace tollgate::deps {
namespace {

std::string Lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}
bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
std::string_view Unquote(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) return s.substr(1, s.size() - 2);
  return s;
}

// Line numbers of a text, for parsers whose library does not track them.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) : text_(text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  std::uint32_t LineAt(std::size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    return static_cast<std::uint32_t>(it - starts_.begin());
  }
  // The line of the first occurrence of `needle` at or after `from`
  // (0 when absent); `from` advances past it so repeated names resolve in order.
  std::uint32_t Find(std::string_view needle, std::size_t& from) const {
    auto p = text_.find(needle, from);
    if (p == std::string_view::npos) p = text_.find(needle);
    if (p == std::string_view::npos) return 0;
    from = p + needle.size();
    return LineAt(p);
  }

 private:
  std::string_view text_;
  std::vector<std::size_t> starts_;
};

void Add(Inventory& out, Ecosystem e, std::string name, std::string version, const std::string& file,
         std::uint32_t line) {
  Package p;
  p.ecosystem = e;
  p.name = std::move(name);
  p.version = std::move(version);
  p.file = file;
  p.line = line;
  out.packages.push_back(std::move(p));
}

// Lockfiles can be large: parse with nlohmann's fast parser (iterative,
// validates UTF-8) and fall back to the strict parser only to word the error
// with its line and column.
Result<Json> Json_(std::string_view text, const std::string& file) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) return j;
  auto strict = ParseJson(text, file);
  if (!strict) return Fail(strict.error());
  return Fail(Error::Input(file + ": malformed JSON"));
}

std::string JsonString(const Json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// ---------------------------------------------------------------- npm
Status ParseNpmLock(std::string_view text, const std::string& file, Inventory& out) {
  auto j = Json_(text, file);
  if (!j) return Fail(j.error());
  if (!j->is_object()) return Fail(Error::Input(file + ": expected a JSON object"));
  LineIndex lines(text);
  std::size_t cursor = 0;
  auto pk = j->find("packages");
  if (pk != j->end() && pk->is_object()) {  // lockfileVersion 2 and 3
    for (const auto& [key, v] : pk->items()) {
      if (key.empty() || !v.is_object()) continue;
      if (v.contains("link")) continue;
      std::string name = JsonString(v, "name");
      auto nm = key.rfind("node_modules/");
      if (name.empty()) name = nm == std::string::npos ? key : key.substr(nm + 13);
      std::string version = JsonString(v, "version");
      if (version.empty() || nm == std::string::npos) continue;  // workspace folders
      Add(out, Ecosystem::kNpm, name, version, file, lines.Find("\"" + key + "\"", cursor));
    }
    return Ok();
  }
  // lockfileVersion 1: nested "dependencies"
  std::vector<const Json*> stack;
  auto deps = j->find("dependencies");
  if (deps != j->end() && deps->is_object()) stack.push_back(&*deps);
  std::size_t guard = 0;
  while (!stack.empty()) {
    const Json* d = stack.back();
    stack.pop_back();
    if (++guard > 1'000'000) return Fail(Error::Input(file + ": too many nested dependencies"));
    for (const auto& [name, v] : d->items()) {
      if (!v.is_object()) continue;
      std::string version = JsonString(v, "version");
      if (!version.empty() && version.find(':') == std::string::npos)
        Add(out, Ecosystem::kNpm, name, version, file, lines.Find("\"" + name + "\": {", cursor));
      auto sub = v.find("dependencies");
      if (sub != v.end() && sub->is_object()) stack.push_back(&*sub);
    }
  }
  return Ok();
}

// "@scope/name@^1" -> "@scope/name"
std::string NpmSpecName(std::string_view spec) {
  spec = Unquote(spec);
  auto at = spec.find('@', 1);
  return std::string(at == std::string_view::npos ? spec : spec.substr(0, at));
}

Status ParseYarnLock(std::string_view text, const std::string& file, Inventory& out) {
  std::istringstream in{std::string(text)};
  std::string line;
  std::uint32_t n = 0, header_line = 0;
  std::string current;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      current.clear();
      if (line.back() != ':') return Fail(Error::Input(file + ":" + std::to_string(n) + ": expected an entry header ending in ':'"));
      std::string_view h(line);
      h.remove_suffix(1);
      std::string first(Trim(h.substr(0, h.find(','))));
      if (StartsWith(first, "__metadata")) continue;
      if (first.find("@workspace:") != std::string::npos || first.find("@link:") != std::string::npos ||
          first.find("@portal:") != std::string::npos || first.find("@file:") != std::string::npos)
        continue;
      current = NpmSpecName(first);
      header_line = n;
      continue;
    }
    if (current.empty()) continue;
    std::string_view t = Trim(line);
    if (StartsWith(t, "version ") || StartsWith(t, "version:")) {
      std::string_view v = Unquote(t.substr(8));  // `version "1.2.3"` (classic) or `version: 1.2.3` (berry)
      if (!v.empty() && v != "0.0.0-use.local") Add(out, Ecosystem::kNpm, current, std::string(v), file, header_line);
      current.clear();
    }
  }
  return Ok();
}

// pnpm-lock.yaml package keys: "/name/1.2.3" (v5), "/name@1.2.3" (v6),
// "name@1.2.3" (v9), with peer suffixes "(...)" or "_peer@x".
bool PnpmKey(std::string key, std::string& name, std::string& version) {
  if (!key.empty() && key[0] == '/') key.erase(0, 1);
  auto paren = key.find('(');
  if (paren != std::string::npos) key.resize(paren);
  auto at = key.find('@', 1);
  if (at != std::string::npos) {
    name = key.substr(0, at);
    version = key.substr(at + 1);
  } else {
    auto slash = key.rfind('/');
    if (slash == std::string::npos || slash == 0) return false;
    name = key.substr(0, slash);
    version = key.substr(slash + 1);
  }
  auto us = version.find('_');
  if (us != std::string::npos) version.resize(us);
  return !name.empty() && !version.empty() && version.find(':') == std::string::npos;
}

std::uint32_t YamlLine(const YAML::Node& n) { return static_cast<std::uint32_t>(n.Mark().line + 1); }

// pnpm 11 and later may write two documents: an "env" lockfile (pnpm itself,
// config dependencies) and then the project's. Both install packages, so
// every document is read.
Status ParsePnpmLock(std::string_view text, const std::string& file, Inventory& out) {
  auto docs = yaml::ParseStream(text, file);
  if (!docs) return Fail(docs.error());
  return yaml::Guarded(file, [&]() -> Status {
    for (const auto& d : *docs) {
      const YAML::Node& doc = d.root;
      if (!doc.IsMap()) return Fail(Error::Input(yaml::Where(file, doc.Mark()) + ": expected a YAML mapping"));
      const YAML::Node pk = doc["packages"];
      if (!pk || !pk.IsMap()) continue;
      for (const auto& kv : pk) {
        if (!kv.first.IsScalar()) continue;
        std::string name, version;
        if (!PnpmKey(kv.first.Scalar(), name, version)) continue;
        if (kv.second.IsMap() && kv.second["version"] && kv.second["version"].IsScalar())
          version = kv.second["version"].Scalar();
        Add(out, Ecosystem::kNpm, name, version, file, YamlLine(kv.first));
      }
    }
    return Ok();
  });
}

// bun.lock is JSON with trailing commas (JSONC); drop those and // comments.
std::string StripJsonc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_str = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_str) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) out.push_back(text[++i]);
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') {
      in_str = true;
      out.push_back(c);
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      out.push_back('\n');
      continue;
    }
    if (c == ',') {
      std::size_t k = i + 1;
      while (k < text.size() && (text[k] == ' ' || text[k] == '\n' || text[k] == '\r' || text[k] == '\t')) ++k;
      if (k < text.size() && (text[k] == '}' || text[k] == ']')) continue;
    }
    out.push_back(c);
  }
  return out;
}

Status ParseBunLock(std::string_view text, const std::string& file, Inventory& out) {
  std::string clean = StripJsonc(text);
  auto j = Json_(clean, file);
  if (!j) return Fail(j.error());
  LineIndex lines(text);
  std::size_t cursor = 0;
  auto pk = j->find("packages");
  if (pk == j->end() || !pk->is_object()) return Ok();
  for (const auto& [key, v] : pk->items()) {
    if (!v.is_array() || v.empty() || !v[0].is_string()) continue;
    std::string spec = v[0].get<std::string>();
    auto at = spec.find('@', 1);
    if (at == std::string::npos) continue;
    std::string version = spec.substr(at + 1);
    if (version.find(':') != std::string::npos) continue;  // workspace:, github:, file:
    Add(out, Ecosystem::kNpm, spec.substr(0, at), version, file, lines.Find("\"" + key + "\"", cursor));
  }
  return Ok();
}

// ---------------------------------------------------------------- Python
Status ParseRequirements(std::string_view text, const std::string& file, Inventory& out) {
  std::istringstream in{std::string(text)};
  std::string raw;
  std::uint32_t n = 0;
  std::string logical;
  std::uint32_t start_line = 0;
  auto handle = [&](std::string s, std::uint32_t line) {
    auto hash = s.find(" #");
    if (hash != std::string::npos) s.resize(hash);
    if (!s.empty() && s[0] == '#') return;
    std::string_view t = Trim(s);
    if (t.empty() || t[0] == '-') return;  // -r, -c, -e, --index-url, --hash
    if (t.find("://") != std::string_view::npos || StartsWith(t, "git+") || t[0] == '.' || t[0] == '/') {
      out.warnings.push_back(file + ":" + std::to_string(line) + ": '" + std::string(t) +
                             "' is not a pinned package version; not checked");
      return;
    }
    auto semi = t.find(';');
    std::string_view req = Trim(t.substr(0, semi));
    auto opt = req.find(" --");
    if (opt != std::string_view::npos) req = Trim(req.substr(0, opt));
    std::size_t i = 0;
    while (i < req.size() && (std::isalnum(static_cast<unsigned char>(req[i])) || req[i] == '-' || req[i] == '_' || req[i] == '.'))
      ++i;
    std::string name(req.substr(0, i));
    std::string_view rest = Trim(req.substr(i));
    if (!rest.empty() && rest[0] == '[') {
      auto close = rest.find(']');
      rest = close == std::string_view::npos ? std::string_view() : Trim(rest.substr(close + 1));
    }
    if (name.empty()) {
      out.warnings.push_back(file + ":" + std::to_string(line) + ": cannot read requirement '" + std::string(t) + "'");
      return;
    }
    std::string_view version;
    if (StartsWith(rest, "===")) version = Trim(rest.substr(3));
    else if (StartsWith(rest, "==")) version = Trim(rest.substr(2));
    if (version.empty() || version.find_first_of(",*<>!~ ") != std::string_view::npos) {
      out.warnings.push_back(file + ":" + std::to_string(line) + ": " + name +
                             " is not pinned to one version (" + (rest.empty() ? "no version" : std::string(rest)) +
                             "); unresolvable, not checked");
      return;
    }
    Add(out, Ecosystem::kPyPI, name, std::string(version), file, line);
  };
  while (std::getline(in, raw)) {
    ++n;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (logical.empty()) start_line = n;
    if (!raw.empty() && raw.back() == '\\') {
      raw.pop_back();
      logical += raw + " ";
      continue;
    }
    logical += raw;
    handle(logical, start_line);
    logical.clear();
  }
  if (!logical.empty()) handle(logical, start_line);
  return Ok();
}

Status ParseTomlPackages(std::string_view text, const std::string& file, Ecosystem e, Inventory& out) {
  toml::table tbl;
  try {
    tbl = toml::parse(text, file);
  } catch (const toml::parse_error& err) {
    return Fail(Error::Input(file + ":" + std::to_string(err.source().begin.line) + ": " +
                             std::string(err.description())));
  }
  const toml::array* pkgs = tbl["package"].as_array();
  if (pkgs == nullptr) return Ok();
  for (const auto& node : *pkgs) {
    const toml::table* t = node.as_table();
    if (t == nullptr) continue;
    auto name = (*t)["name"].value<std::string>();
    auto version = (*t)["version"].value<std::string>();
    if (!name || !version) continue;
    // uv.lock marks the project itself with source = { editable/virtual = "." }
    if (const toml::table* src = (*t)["source"].as_table()) {
      if (src->contains("editable") || src->contains("virtual")) continue;
    }
    Add(out, e, *name, *version, file, static_cast<std::uint32_t>(t->source().begin.line));
  }
  return Ok();
}

Status ParsePipfileLock(std::string_view text, const std::string& file, Inventory& out) {
  auto j = Json_(text, file);
  if (!j) return Fail(j.error());
  LineIndex lines(text);
  for (const char* section : {"default", "develop"}) {
    auto s = j->find(section);
    if (s == j->end() || !s->is_object()) continue;
    std::size_t cursor = 0;
    for (const auto& [name, v] : s->items()) {
      std::string version = JsonString(v, "version");
      if (!StartsWith(version, "==")) continue;
      Add(out, Ecosystem::kPyPI, name, version.substr(version.rfind('=') + 1), file,
          lines.Find("\"" + name + "\"", cursor));
    }
  }
  return Ok();
}

// ---------------------------------------------------------------- Go
Status ParseGoMod(std::string_view text, const std::string& file, Inventory& out) {
  std::istringstream in{std::string(text)};
  std::string raw;
  std::uint32_t n = 0;
  bool in_require = false;
  while (std::getline(in, raw)) {
    ++n;
    std::string_view l = Trim(raw);
    auto cm = l.find("//");
    if (cm != std::string_view::npos) l = Trim(l.substr(0, cm));
    if (l.empty()) continue;
    std::string_view spec;
    if (in_require) {
      if (l == ")") {
        in_require = false;
        continue;
      }
      spec = l;
    } else if (StartsWith(l, "toolchain ")) {
      // the exact Go toolchain the module builds with: OSV's "stdlib" package
      std::string_view tc = Trim(l.substr(10));
      if (StartsWith(tc, "go") && tc.size() > 2) Add(out, Ecosystem::kGo, "stdlib", std::string(tc.substr(2)), file, n);
      continue;
    } else if (StartsWith(l, "require")) {
      std::string_view rest = Trim(l.substr(7));
      if (rest == "(") {
        in_require = true;
        continue;
      }
      spec = rest;
    } else {
      continue;
    }
    auto sp = spec.find_first_of(" \t");
    if (sp == std::string_view::npos) return Fail(Error::Input(file + ":" + std::to_string(n) + ": malformed require"));
    std::string mod(Unquote(spec.substr(0, sp)));
    std::string ver(Trim(spec.substr(sp + 1)));
    if (!ver.empty() && ver[0] == 'v') ver.erase(0, 1);
    auto inc = ver.find("+incompatible");
    if (inc != std::string::npos) ver.resize(inc);
    Add(out, Ecosystem::kGo, mod, ver, file, n);
  }
  return Ok();
}

// go.sum: one line per module version the build needed, `module vX h1:...`
// for its content and `module vX/go.mod h1:...` for its go.mod alone. A
// module whose content is listed was downloaded; minimum version selection
// builds with the highest such version, so that one is reported. Modules the
// sibling go.mod requires are left to go.mod (ReconcileGoSum).
Status ParseGoSum(std::string_view text, const std::string& file, Inventory& out) {
  std::istringstream in{std::string(text)};
  std::string raw;
  std::uint32_t n = 0;
  struct Best {
    std::string version;
    std::uint32_t line = 0;
  };
  std::map<std::string, Best> best;
  while (std::getline(in, raw)) {
    ++n;
    std::string_view l = Trim(raw);
    if (l.empty()) continue;
    const auto a = l.find_first_of(" \t");
    const auto b = a == std::string_view::npos ? a : l.find_first_of(" \t", l.find_first_not_of(" \t", a));
    if (a == std::string_view::npos || b == std::string_view::npos || !StartsWith(Trim(l.substr(b)), "h1:"))
      return Fail(Error::Input(file + ":" + std::to_string(n) + ": malformed go.sum line (want: module version h1:hash)"));
    std::string mod(l.substr(0, a));
    std::string ver(Trim(l.substr(a, b - a)));
    if (EndsWith(ver, "/go.mod")) continue;
    if (!ver.empty() && ver[0] == 'v') ver.erase(0, 1);
    if (auto inc = ver.find("+incompatible"); inc != std::string::npos) ver.resize(inc);
    Best& cur = best[mod];
    if (cur.version.empty() || CompareVersions(Ecosystem::kGo, cur.version, ver) < 0) cur = Best{ver, n};
  }
  for (auto& [mod, b] : best) Add(out, Ecosystem::kGo, mod, b.version, file, b.line);
  return Ok();
}

// ---------------------------------------------------------------- Ruby
Status ParseGemfileLock(std::string_view text, const std::string& file, Inventory& out) {
  std::istringstream in{std::string(text)};
  std::string raw;
  std::uint32_t n = 0;
  bool in_gem = false, in_specs = false;
  while (std::getline(in, raw)) {
    ++n;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (!raw.empty() && raw[0] != ' ') {
      in_gem = raw == "GEM";
      in_specs = false;
      continue;
    }
    if (!in_gem) continue;
    if (raw == "  specs:") {
      in_specs = true;
      continue;
    }
    if (!in_specs || !StartsWith(raw, "    ") || StartsWith(raw, "     ")) continue;
    std::string_view l = Trim(raw);
    auto open = l.find(" (");
    if (open == std::string_view::npos || l.back() != ')')
      return Fail(Error::Input(file + ":" + std::to_string(n) + ": expected 'name (version)'"));
    std::string version(l.substr(open + 2, l.size() - open - 3));
    // platform gems: "1.15.5-x86_64-linux"
    auto dash = version.find('-');
    if (dash != std::string::npos) version.resize(dash);
    Add(out, Ecosystem::kRubyGems, std::string(l.substr(0, open)), version, file, n);
  }
  return Ok();
}

// ---------------------------------------------------------------- PHP
Status ParseComposerLock(std::string_view text, const std::string& file, Inventory& out) {
  auto j = Json_(text, file);
  if (!j) return Fail(j.error());
  LineIndex lines(text);
  std::size_t cursor = 0;
  for (const char* section : {"packages", "packages-dev"}) {
    auto s = j->find(section);
    if (s == j->end() || !s->is_array()) continue;
    for (const auto& p : *s) {
      std::string name = JsonString(p, "name"), version = JsonString(p, "version");
      if (name.empty() || version.empty() || StartsWith(version, "dev-")) continue;
      if (version[0] == 'v' || version[0] == 'V') version.erase(0, 1);
      Add(out, Ecosystem::kPackagist, name, version, file, lines.Find("\"name\": \"" + name + "\"", cursor));
    }
  }
  return Ok();
}

// ---------------------------------------------------------------- Java
// The text of the first <tag>...</tag> inside [from, to), or empty.
std::string_view XmlChild(std::string_view text, std::string_view tag, std::size_t from, std::size_t to,
                          std::size_t* at = nullptr) {
  std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  auto b = text.find(open, from);
  if (b == std::string_view::npos || b >= to) return {};
  auto e = text.find(close, b);
  if (e == std::string_view::npos || e > to) return {};
  if (at != nullptr) *at = b;
  return Trim(text.substr(b + open.size(), e - b - open.size()));
}

std::string StripXmlComments(std::string_view text) {
  std::string out(text);
  std::size_t p = 0;
  while ((p = out.find("<!--", p)) != std::string::npos) {
    auto e = out.find("-->", p);
    std::size_t end = e == std::string::npos ? out.size() : e + 3;
    for (std::size_t i = p; i < end; ++i)
      if (out[i] != '\n') out[i] = ' ';  // keep line numbers
    p = end;
  }
  return out;
}

Status ParsePom(std::string_view raw, const std::string& file, Inventory& out) {
  std::string text = StripXmlComments(raw);
  std::string_view t(text);
  if (t.find("<project") == std::string_view::npos) return Fail(Error::Input(file + ": not a Maven POM (no <project>)"));
  LineIndex lines(t);
  std::map<std::string, std::string> props;
  std::size_t pb = t.find("<properties>");
  std::size_t pe = t.find("</properties>");
  if (pb != std::string_view::npos && pe != std::string_view::npos && pe > pb) {
    std::size_t i = pb + 12;
    while (i < pe) {
      auto lt = t.find('<', i);
      if (lt == std::string_view::npos || lt >= pe) break;
      auto gt = t.find('>', lt);
      if (gt == std::string_view::npos || gt >= pe || t[lt + 1] == '/' || t[lt + 1] == '!') {
        i = lt + 1;
        continue;
      }
      std::string key(t.substr(lt + 1, gt - lt - 1));
      auto close = t.find("</" + key + ">", gt);
      if (close == std::string_view::npos || close > pe) {
        i = gt + 1;
        continue;
      }
      props[key] = std::string(Trim(t.substr(gt + 1, close - gt - 1)));
      i = close + key.size() + 3;
    }
  }
  std::size_t parent_at = t.find("<parent>");
  std::size_t parent_end = t.find("</parent>");
  std::string parent_version;
  if (parent_at != std::string_view::npos && parent_end != std::string_view::npos)
    parent_version = std::string(XmlChild(t, "version", parent_at, parent_end));
  // the project's own version: the first <version> outside <parent> and <dependencies>
  std::string project_version;
  {
    std::size_t deps_at = t.find("<dependencies>");
    std::size_t search_from = parent_end != std::string_view::npos ? parent_end : 0;
    std::size_t limit = deps_at == std::string_view::npos ? t.size() : deps_at;
    if (search_from < limit) project_version = std::string(XmlChild(t, "version", search_from, limit));
    if (project_version.empty()) project_version = parent_version;
  }
  props["project.version"] = project_version;
  props["pom.version"] = project_version;
  props["project.parent.version"] = parent_version;
  auto resolve = [&](std::string v) -> std::optional<std::string> {
    for (int round = 0; round < 8 && v.find("${") != std::string::npos; ++round) {
      auto b = v.find("${");
      auto e = v.find('}', b);
      if (e == std::string::npos) return std::nullopt;
      auto it = props.find(v.substr(b + 2, e - b - 2));
      if (it == props.end()) return std::nullopt;
      v.replace(b, e - b + 1, it->second);
    }
    if (v.find("${") != std::string::npos) return std::nullopt;
    return v;
  };
  std::size_t i = 0;
  while (true) {
    auto b = t.find("<dependency>", i);
    if (b == std::string_view::npos) break;
    auto e = t.find("</dependency>", b);
    if (e == std::string_view::npos) return Fail(Error::Input(file + ":" + std::to_string(lines.LineAt(b)) + ": unclosed <dependency>"));
    std::string g(XmlChild(t, "groupId", b, e)), a(XmlChild(t, "artifactId", b, e)), v(XmlChild(t, "version", b, e));
    i = e + 1;
    if (g.empty() || a.empty()) continue;
    std::uint32_t line = lines.LineAt(b);
    auto rg = resolve(g);
    if (v.empty()) {
      out.warnings.push_back(file + ":" + std::to_string(line) + ": " + g + ":" + a +
                             " has no version here (managed by a parent or BOM); not checked");
      continue;
    }
    auto rv = resolve(v);
    if (!rv || !rg || rv->empty() || (*rv)[0] == '[' || (*rv)[0] == '(') {
      out.warnings.push_back(file + ":" + std::to_string(line) + ": " + g + ":" + a + " version '" + v +
                             "' cannot be resolved; not checked");
      continue;
    }
    Add(out, Ecosystem::kMaven, *rg + ":" + a, *rv, file, line);
  }
  return Ok();
}

Status ParseGradleLockfile(std::string_view text, const std::string& file, Inventory& out) {
  std::istringstream in{std::string(text)};
  std::string raw;
  std::uint32_t n = 0;
  while (std::getline(in, raw)) {
    ++n;
    std::string_view l = Trim(raw);
    if (l.empty() || l[0] == '#' || StartsWith(l, "empty=")) continue;
    auto eq = l.find('=');
    std::string_view coord = l.substr(0, eq);
    auto c1 = coord.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : coord.find(':', c1 + 1);
    if (c2 == std::string_view::npos)
      return Fail(Error::Input(file + ":" + std::to_string(n) + ": expected group:artifact:version"));
    Add(out, Ecosystem::kMaven, std::string(coord.substr(0, c2)), std::string(coord.substr(c2 + 1)), file, n);
  }
  return Ok();
}

// ---------------------------------------------------------------- .NET
Status ParseNuGetLock(std::string_view text, const std::string& file, Inventory& out) {
  auto j = Json_(text, file);
  if (!j) return Fail(j.error());
  LineIndex lines(text);
  auto deps = j->find("dependencies");
  if (deps == j->end() || !deps->is_object()) return Ok();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& [framework, pkgs] : deps->items()) {
    if (!pkgs.is_object()) continue;
    std::size_t cursor = 0;
    for (const auto& [name, v] : pkgs.items()) {
      std::string version = JsonString(v, "resolved");
      if (version.empty() || JsonString(v, "type") == "Project") continue;
      if (!seen.emplace(name, version).second) continue;
      Add(out, Ecosystem::kNuGet, name, version, file, lines.Find("\"" + name + "\"", cursor));
    }
  }
  return Ok();
}

// ---------------------------------------------------------------- SBOMs
Status ParseCycloneDx(const Json& j, std::string_view text, const std::string& file, Inventory& out) {
  LineIndex lines(text);
  std::size_t cursor = 0;
  std::vector<const Json*> stack;
  auto comps = j.find("components");
  if (comps != j.end() && comps->is_array()) stack.push_back(&*comps);
  std::size_t guard = 0;
  while (!stack.empty()) {
    const Json* arr = stack.back();
    stack.pop_back();
    for (const auto& c : *arr) {
      if (++guard > 1'000'000) return Fail(Error::Input(file + ": too many components"));
      if (!c.is_object()) continue;
      std::string purl = JsonString(c, "purl");
      Package p;
      if (!purl.empty() && PackageFromPurl(purl, p)) {
        p.file = file;
        p.line = lines.Find("\"" + purl + "\"", cursor);
        out.packages.push_back(std::move(p));
      }
      auto sub = c.find("components");
      if (sub != c.end() && sub->is_array()) stack.push_back(&*sub);
    }
  }
  return Ok();
}

Status ParseSpdx(const Json& j, std::string_view text, const std::string& file, Inventory& out) {
  LineIndex lines(text);
  std::size_t cursor = 0;
  auto pkgs = j.find("packages");
  if (pkgs == j.end() || !pkgs->is_array()) return Ok();
  for (const auto& p : *pkgs) {
    auto refs = p.find("externalRefs");
    if (refs == p.end() || !refs->is_array()) continue;
    for (const auto& r : *refs) {
      if (JsonString(r, "referenceType") != "purl") continue;
      std::string purl = JsonString(r, "referenceLocator");
      Package pkg;
      if (PackageFromPurl(purl, pkg)) {
        pkg.file = file;
        pkg.line = lines.Find("\"" + purl + "\"", cursor);
        out.packages.push_back(std::move(pkg));
      }
    }
  }
  return Ok();
}

Status ParseSbom(std::string_view text, const std::string& file, Inventory& out) {
  auto j = Json_(text, file);
  if (!j) return Fail(j.error());
  if (!j->is_object()) return Fail(Error::Input(file + ": expected a JSON object"));
  if (JsonString(*j, "bomFormat") == "CycloneDX") return ParseCycloneDx(*j, text, file, out);
  if (j->contains("spdxVersion")) return ParseSpdx(*j, text, file, out);
  return Fail(Error::Input(file + ": neither a CycloneDX nor an SPDX JSON document"));
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

bool PackageFromPurl(std::string_view purl, Package& out) {
  if (!StartsWith(purl, "pkg:")) return false;
  std::string_view rest = purl.substr(4);
  auto hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::string_view quals;
  auto q = rest.find('?');
  if (q != std::string_view::npos) {
    quals = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto at = rest.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string version = PercentDecode(rest.substr(at + 1));
  rest = rest.substr(0, at);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string type = Lower(rest.substr(0, slash));
  std::string_view path = rest.substr(slash + 1);
  auto last = path.rfind('/');
  std::string ns = last == std::string_view::npos ? std::string() : PercentDecode(path.substr(0, last));
  std::string name = PercentDecode(last == std::string_view::npos ? path : path.substr(last + 1));
  static const std::map<std::string, Ecosystem, std::less<>> kTypes{
      {"npm", Ecosystem::kNpm},         {"pypi", Ecosystem::kPyPI},       {"golang", Ecosystem::kGo},
      {"cargo", Ecosystem::kCratesIo},  {"gem", Ecosystem::kRubyGems},    {"composer", Ecosystem::kPackagist},
      {"maven", Ecosystem::kMaven},     {"nuget", Ecosystem::kNuGet},     {"hex", Ecosystem::kHex},
      {"pub", Ecosystem::kPub},         {"deb", Ecosystem::kDebian},      {"apk", Ecosystem::kAlpine},
      {"rpm", Ecosystem::kRedHat},      {"cran", Ecosystem::kCran},       {"hackage", Ecosystem::kHackage}};
  auto it = kTypes.find(type);
  if (it == kTypes.end() || name.empty() || version.empty()) return false;
  out.ecosystem = it->second;
  if (type == "maven") out.name = ns + ":" + name;
  else if ((type == "npm" || type == "golang" || type == "composer") && !ns.empty()) out.name = ns + "/" + name;
  else out.name = name;
  if (type == "deb" && ns == "ubuntu") out.ecosystem = Ecosystem::kUbuntu;
  out.version = version;
  out.purl = std::string(purl);
  // distro qualifier: deb ...?distro=debian-12, apk ...?distro=alpine-3.19.1
  std::size_t s = 0;
  while (!quals.empty() && s <= quals.size()) {
    auto amp = quals.find('&', s);
    std::string_view kv = quals.substr(s, amp == std::string_view::npos ? std::string_view::npos : amp - s);
    if (StartsWith(kv, "distro=")) {
      std::string d = PercentDecode(kv.substr(7));
      auto dash = d.rfind('-');
      if (dash != std::string::npos) d = d.substr(dash + 1);
      if (out.ecosystem == Ecosystem::kAlpine) {  // OSV names Alpine releases "v3.19"
        auto first = d.find('.');
        auto second = first == std::string::npos ? first : d.find('.', first + 1);
        d = "v" + d.substr(0, second);
      }
      out.release = d;
    }
    if (amp == std::string_view::npos) break;
    s = amp + 1;
  }
  return true;
}

std::string MakePurl(const Package& p) {
  if (!p.purl.empty()) return p.purl;
  auto enc = [](std::string_view s) {
    std::string o;
    for (char c : s) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '~') {
        o.push_back(c);
      } else {
        static const char* kHex = "0123456789ABCDEF";
        auto u = static_cast<unsigned char>(c);
        o.push_back('%');
        o.push_back(kHex[u >> 4]);
        o.push_back(kHex[u & 15]);
      }
    }
    return o;
  };
  auto split_ns = [&](std::string_view n, char sep) {
    auto k = n.rfind(sep);
    if (k == std::string_view::npos) return enc(n);
    return enc(n.substr(0, k)) + "/" + enc(n.substr(k + 1));
  };
  std::string type, path;
  switch (p.ecosystem) {
    case Ecosystem::kNpm: type = "npm"; path = p.name.size() > 0 && p.name[0] == '@' ? split_ns(p.name, '/') : enc(p.name); break;
    case Ecosystem::kPyPI: type = "pypi"; path = enc(NormalizeName(Ecosystem::kPyPI, p.name)); break;
    case Ecosystem::kGo: {
      type = "golang";
      std::string o;
      for (char c : p.name) o += c == '/' ? std::string("/") : enc(std::string_view(&c, 1));
      path = o;
      break;
    }
    case Ecosystem::kCratesIo: type = "cargo"; path = enc(p.name); break;
    case Ecosystem::kRubyGems: type = "gem"; path = enc(p.name); break;
    case Ecosystem::kPackagist: type = "composer"; path = split_ns(p.name, '/'); break;
    case Ecosystem::kMaven: type = "maven"; path = split_ns(p.name, ':'); break;
    case Ecosystem::kNuGet: type = "nuget"; path = enc(p.name); break;
    case Ecosystem::kHex: type = "hex"; path = enc(p.name); break;
    case Ecosystem::kPub: type = "pub"; path = enc(p.name); break;
    case Ecosystem::kDebian: type = "deb"; path = "debian/" + enc(p.name); break;
    case Ecosystem::kUbuntu: type = "deb"; path = "ubuntu/" + enc(p.name); break;
    case Ecosystem::kAlpine: type = "apk"; path = "alpine/" + enc(p.name); break;
    case Ecosystem::kRedHat: type = "rpm"; path = enc(p.name); break;
    case Ecosystem::kCran: type = "cran"; path = enc(p.name); break;
    case Ecosystem::kHackage: type = "hackage"; path = enc(p.name); break;
  }
  return "pkg:" + type + "/" + path + "@" + enc(p.version);
}

std::string LockfileKind(std::string_view filename) {
  std::string f = Lower(filename);
  if (f == "package-lock.json" || f == "npm-shrinkwrap.json") return "npm";
  if (f == "yarn.lock") return "yarn";
  if (f == "pnpm-lock.yaml") return "pnpm";
  if (f == "bun.lock") return "bun";
  if (StartsWith(f, "requirements") && EndsWith(f, ".txt")) return "requirements";
  if (f == "poetry.lock") return "poetry";
  if (f == "uv.lock") return "uv";
  if (f == "pdm.lock") return "pdm";
  if (f == "pipfile.lock") return "pipfile";
  if (f == "go.mod") return "gomod";
  if (f == "go.sum") return "gosum";
  if (f == "cargo.lock") return "cargo";
  if (f == "gemfile.lock") return "gemfile";
  if (f == "composer.lock") return "composer";
  if (f == "pom.xml") return "pom";
  if (f == "gradle.lockfile") return "gradle";
  if (f == "packages.lock.json") return "nuget";
  if (EndsWith(f, ".cdx.json") || EndsWith(f, ".spdx.json") || f == "bom.json" || f == "sbom.json") return "sbom";
  return {};
}

std::string UnlockedManifestKind(std::string_view filename) {
  std::string f = Lower(filename);
  if (EndsWith(f, ".csproj") || EndsWith(f, ".fsproj") || EndsWith(f, ".vbproj")) return "nuget";
  if (f == "build.gradle" || f == "build.gradle.kts") return "gradle";
  return {};
}

void ReconcileGoSum(Inventory& inv) {
  auto dir_of = [](const std::string& f) {
    auto slash = f.rfind('/');
    return slash == std::string::npos ? std::string() : f.substr(0, slash);
  };
  auto base_is = [](const std::string& f, std::string_view base) {
    return EndsWith(f, base) && (f.size() == base.size() || f[f.size() - base.size() - 1] == '/');
  };
  std::set<std::pair<std::string, std::string>> required;  // (directory, module) from go.mod
  for (const Package& p : inv.packages)
    if (p.ecosystem == Ecosystem::kGo && base_is(p.file, "go.mod")) required.emplace(dir_of(p.file), p.name);
  std::erase_if(inv.packages, [&](const Package& p) {
    return p.ecosystem == Ecosystem::kGo && base_is(p.file, "go.sum") && required.count({dir_of(p.file), p.name}) != 0;
  });
}

Status ParseLockfile(std::string_view kind, std::string_view text, const std::string& file, Inventory& out) {
  if (kind == "npm") return ParseNpmLock(text, file, out);
  if (kind == "yarn") return ParseYarnLock(text, file, out);
  if (kind == "pnpm") return ParsePnpmLock(text, file, out);
  if (kind == "bun") return ParseBunLock(text, file, out);
  if (kind == "requirements") return ParseRequirements(text, file, out);
  if (kind == "poetry" || kind == "uv" || kind == "pdm") return ParseTomlPackages(text, file, Ecosystem::kPyPI, out);
  if (kind == "pipfile") return ParsePipfileLock(text, file, out);
  if (kind == "gomod") return ParseGoMod(text, file, out);
  if (kind == "gosum") return ParseGoSum(text, file, out);
  if (kind == "cargo") return ParseTomlPackages(text, file, Ecosystem::kCratesIo, out);
  if (kind == "gemfile") return ParseGemfileLock(text, file, out);
  if (kind == "composer") return ParseComposerLock(text, file, out);
  if (kind == "pom") return ParsePom(text, file, out);
  if (kind == "gradle") return ParseGradleLockfile(text, file, out);
  if (kind == "nuget") return ParseNuGetLock(text, file, out);
  if (kind == "sbom") return ParseSbom(text, file, out);
  return Fail(Error::Input(file + ": unknown lockfile kind '" + std::string(kind) + "'"));
}

}  // namespace tollgate::deps
