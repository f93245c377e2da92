// Reading documents into Rego values: JSON, YAML (several documents), and
// the conftest input formats (TOML, INI, .env, Dockerfile).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/yaml.h"
#include "rego/value.h"

namespace tollgate::rego {

// What decoding input documents may cost: the YAML reader's bounds, and the
// bytes the Values may take once aliases are expanded (the evaluator's
// memory budget, when decoding belongs to an evaluation).
struct DecodeLimits {
  yaml::Limits yaml;
  std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max();
  std::size_t max_file_bytes = std::size_t{256} << 20;  // ReadDocumentFile
};

// A node of a parsed YAML document to a Value (scalars typed by
// yaml::Resolve; non-string keys become their text, collections as keys stay
// composite). Everything made is taken from `budget`.
Result<Value> FromYamlNode(const YAML::Node& n, const std::string& file, yaml::Budget& budget);

// The Value bytes a document will take once expanded (what the evaluator's
// memory budget counts), and the document as a Value, refused with
// "<file>: ... exceeds the memory budget" when above `max_bytes`.
std::uint64_t DecodedBytes(const yaml::Document& doc);
Result<Value> YamlDocumentValue(const yaml::Document& doc, const std::string& file,
                                std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max());

// A document decoded from text takes at least the text's bytes: text longer
// than limits.max_bytes (the memory budget) is refused before decoding.
// YAML is measured exactly instead (ParseYamlDocuments, aliases expanded).
Status CheckTextWithinBudget(const std::string& path, std::size_t size, const DecodeLimits& limits);

// Strict JSON (core ParseJson) to a Value.
Result<Value> ParseJsonValue(std::string_view text, const std::string& what);
// Every non-empty document of a YAML stream, read by yaml::ParseStream
// (duplicate keys, alias bombs and deep nesting are errors); scalars typed as
// the YAML 1.2 core schema (plain true/false/null/numbers; quoted scalars stay
// strings).
Result<std::vector<Value>> ParseYamlDocuments(std::string_view text, const std::string& what,
                                              const DecodeLimits& limits = {});
Result<Value> ParseTomlValue(std::string_view text, const std::string& what);
Result<Value> ParseIniValue(std::string_view text, const std::string& what);
Result<Value> ParseDotenvValue(std::string_view text, const std::string& what);
// A Dockerfile as conftest shows it: [{"Cmd": "from", "Value": ["alpine"], ...}].
Result<Value> ParseDockerfileValue(std::string_view text, const std::string& what);

// Chooses the parser by file name (.json, .yaml/.yml, .toml, .ini, .env,
// Dockerfile); YAML streams give one value per document.
Result<std::vector<Value>> ParseDocumentFile(const std::string& path, std::string_view text,
                                             const DecodeLimits& limits = {});

// Reads and parses an input file ("-": standard input, read as YAML or JSON)
// of at most limits.max_file_bytes; directories, FIFOs and devices are refused
// without blocking. Pass the evaluation's max_memory as limits.max_bytes so
// that the memory budget covers decoding the input too.
Result<std::vector<Value>> ReadDocumentFile(const std::string& path, const DecodeLimits& limits = {});

// YAML to text (yaml.marshal).
std::string ToYamlText(const Value& v);

}  // namespace tollgate::rego
