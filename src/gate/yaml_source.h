// Reading the gate module's YAML files (tollgate.yaml, keys.yaml): bounded
// file reads, parsing with positions, and "file:line:column" prefixes.
// Private to src/gate.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "core/result.h"

namespace tollgate::gate {

// "file:line:column" (1-based) for a node's or an exception's mark; just
// "file" when the mark is unknown.
std::string YamlPosition(const std::string& file, const YAML::Mark& mark);

// The whole file, refusing more than 1 MiB; `what` names it in errors
// ("configuration", "keyring").
Result<std::string> ReadYamlFile(const std::string& path, const std::string& what);

// Parses YAML text; a syntax error becomes "file:line:col: invalid YAML: ...".
Result<YAML::Node> ParseYaml(const std::string& text, const std::string& file);

}  // namespace tollgate::gate
