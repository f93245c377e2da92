#include "gate/yaml_source.h"

#include <fstream>

namespace tollgate::gate {

namespace {
constexpr std::size_t kMaxYamlBytes = 1 << 20;
}  // namespace

std::string YamlPosition(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

Result<std::string> ReadYamlFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot open the " + what));
  std::string text;
  text.resize(kMaxYamlBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxYamlBytes) return Fail(Error::Input(path + ": " + what + " larger than 1 MiB"));
  return text;
}

Result<YAML::Node> ParseYaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Fail(Error::Input(YamlPosition(file, e.mark) + ": invalid YAML: " + e.msg));
  }
}

}  // namespace tollgate::gate
