// Reading SLO YAML documents with positions in every error. Private to src/slo.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/result.h"

namespace tollgate::slo {

// Reads a YAML file of at most 4 MiB.
Result<std::string> ReadTextFile(const std::string& path, const std::string& what);

// Every document of a YAML stream; syntax errors name file, line and column.
Result<std::vector<YAML::Node>> LoadAllYaml(const std::string& text, const std::string& file);

// Helpers bound to one file name so messages read "file:line:col: problem".
class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Error Bad(const YAML::Node& n, const std::string& what) const;
  std::string Where(const YAML::Node& n) const;

  Status OnlyKeys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& what) const;
  Result<std::string> String(const YAML::Node& n, const std::string& key) const;
  Result<double> Number(const YAML::Node& n, const std::string& key) const;
  Result<bool> Bool(const YAML::Node& n, const std::string& key) const;
  Result<std::map<std::string, std::string>> StringMap(const YAML::Node& n, const std::string& key) const;

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace tollgate::slo
