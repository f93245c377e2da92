// Reading documents into Rego values: JSON, YAML (several documents), and
// the conftest input formats (TOML, INI, .env, Dockerfile).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "rego/value.h"

namespace YAML {
class Node;
}

namespace tollgate::rego {

// A parsed YAML node to a Value (see ParseYamlDocuments for typing).
Value FromYamlNode(const YAML::Node& n);

// Strict JSON (core ParseJson) to a Value.
Result<Value> ParseJsonValue(std::string_view text, const std::string& what);
// Every document of a YAML stream; scalars typed as YAML 1.2 core schema
// (plain true/false/null/numbers; quoted scalars stay strings).
Result<std::vector<Value>> ParseYamlDocuments(std::string_view text, const std::string& what);
Result<Value> ParseTomlValue(std::string_view text, const std::string& what);
Result<Value> ParseIniValue(std::string_view text, const std::string& what);
Result<Value> ParseDotenvValue(std::string_view text, const std::string& what);
// A Dockerfile as conftest shows it: [{"Cmd": "from", "Value": ["alpine"], ...}].
Result<Value> ParseDockerfileValue(std::string_view text, const std::string& what);

// Chooses the parser by file name (.json, .yaml/.yml, .toml, .ini, .env,
// Dockerfile); YAML streams give one value per document.
Result<std::vector<Value>> ParseDocumentFile(const std::string& path, std::string_view text);

// YAML to text (yaml.marshal).
std::string ToYamlText(const Value& v);

}  // namespace tollgate::rego
