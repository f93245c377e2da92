#include "slo/yaml_read.h"

#include <charconv>
#include <cmath>
#include <fstream>

namespace tollgate::slo {

namespace {
constexpr std::size_t kMaxBytes = 4u << 20;

const char* Kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "something else";
}
}  // namespace

Result<std::string> ReadTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot open the " + what));
  std::string text;
  text.resize(kMaxBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxBytes) return Fail(Error::Input(path + ": " + what + " larger than 4 MiB"));
  return text;
}

Result<std::vector<YAML::Node>> LoadAllYaml(const std::string& text, const std::string& file) {
  // yaml-cpp 0.7's LoadAll can loop forever on some malformed streams (found
  // by fuzz_slo), so documents are split here at "---" lines and each is
  // loaded alone, padded with newlines so that line numbers stay true.
  if (auto nul = text.find('\0'); nul != std::string::npos)
    return Fail(Error::Input(file + ": not a YAML text file (NUL byte at offset " + std::to_string(nul) + ")"));
  std::vector<std::string> docs(1);
  std::size_t line = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(pos, end - pos);
    const bool marker = l.rfind("---", 0) == 0 && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    if (marker) {
      if (docs.back().find_first_not_of(" \t\r\n") != std::string::npos || docs.size() > 1 || line > 0)
        docs.emplace_back(std::string(line, '\n'));
      l.replace(0, 3, "   ");
    }
    docs.back() += l + "\n";
    ++line;
    pos = end + 1;
  }
  std::vector<YAML::Node> out;
  for (const auto& d : docs) {
    if (d.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    try {
      out.push_back(YAML::Load(d));
    } catch (const YAML::Exception& e) {
      std::string where = file;
      if (!e.mark.is_null()) where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
      return Fail(Error::Input(where + ": invalid YAML: " + e.msg));
    }
  }
  return out;
}

std::string YamlReader::Where(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return file_;
  return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

Error YamlReader::Bad(const YAML::Node& n, const std::string& what) const {
  return Error::Input(Where(n) + ": " + what);
}

Status YamlReader::OnlyKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                            const std::string& what) const {
  if (!map.IsMap()) return Fail(Bad(map, what + " must be a mapping, not " + Kind(map)));
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) return Fail(Bad(kv.first, what + ": keys must be strings"));
    if (allowed.count(kv.first.Scalar()) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Fail(Bad(kv.first, "unknown key '" + kv.first.Scalar() + "' in " + what + " (expected one of: " + list + ")"));
    }
  }
  return Ok();
}

Result<std::string> YamlReader::String(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) return Fail(Bad(n, "'" + key + "' must be a string, not " + Kind(n)));
  return n.Scalar();
}

Result<double> YamlReader::Number(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) return Fail(Bad(n, "'" + key + "' must be a number, not " + Kind(n)));
  const std::string& s = n.Scalar();
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v))
    return Fail(Bad(n, "'" + key + "' must be a number, got '" + s + "'"));
  return v;
}

Result<bool> YamlReader::Bool(const YAML::Node& n, const std::string& key) const {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "no") return false;
  }
  return Fail(Bad(n, "'" + key + "' must be true or false"));
}

Result<std::map<std::string, std::string>> YamlReader::StringMap(const YAML::Node& n, const std::string& key) const {
  std::map<std::string, std::string> out;
  if (n.IsNull()) return out;
  if (!n.IsMap()) return Fail(Bad(n, "'" + key + "' must be a mapping of strings, not " + Kind(n)));
  for (const auto& kv : n) {
    auto k = String(kv.first, key + " key");
    if (!k) return Fail(k.error());
    auto v = String(kv.second, key + "." + *k);
    if (!v) return Fail(v.error());
    out[*k] = *v;
  }
  return out;
}

}  // namespace tollgate::slo
