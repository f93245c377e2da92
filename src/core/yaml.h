// YAML: the one strict, bounded reader behind every YAML file Tollgate reads
// (tollgate.yaml, keyrings, SLO specs, canary configs, lockfiles, advisories,
// Kubernetes manifests, policy inputs and the yaml.unmarshal built-in).
//
// Parsing goes through yaml-cpp twice: first as a stream of events, checked
// here, then into yaml-cpp's node graph for the callers. The event pass
// refuses, with "file:line:column: problem":
//   - a NUL byte (yaml-cpp treats it as the end of input and can loop);
//   - duplicate mapping keys (yaml-cpp keeps both pairs and operator[] would
//     silently answer the first), at the second key;
//   - a second non-empty document where the file must hold one;
//   - nesting deeper than Limits::max_depth (yaml-cpp's own guard stops at
//     500 levels with the message "bad file");
//   - an alias inside the node it names (a cycle: every walk would loop);
//   - a document that grows beyond Limits once its aliases are expanded
//     ("billion laughs"): sizes are counted per anchor as the events arrive,
//     so such a document fails after reading its text once, before any node
//     graph exists.
// A document that passes is bounded in every later walk or conversion: no
// walk can visit more than its expanded size or nest deeper than max_depth.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

namespace tollgate::yaml {

struct Limits {
  // Nesting of mappings and sequences (a top-level mapping is one level),
  // also once aliases are expanded: an alias nests its node where it stands.
  std::size_t max_depth = 256;
  // Nodes and scalar bytes of one document once its aliases are expanded.
  // The bounds grow with the text (to twice its length in bytes), so a
  // document without aliases always fits; aliases may expand it this far.
  std::uint64_t max_nodes = 1'000'000;
  std::uint64_t max_scalar_bytes = std::uint64_t{64} << 20;
};

struct Document {
  YAML::Node root;                 // Null for an empty document
  YAML::Mark start;                // where the document begins
  std::uint64_t nodes = 0;         // nodes once aliases are expanded
  std::uint64_t scalar_bytes = 0;  // scalar (key and value) bytes once expanded
  std::size_t depth = 0;           // deepest nesting of collections once aliases are expanded
  std::size_t index = 0;           // 0-based position in the stream, empty documents included
};

// What a conversion of a node graph into a tree may still produce: each node
// made takes one from `nodes`, each scalar (key or value) its length from
// `bytes`; nesting deeper than `depth` collections is refused. For(doc) is
// exactly the document's expanded size, enough to convert it (or any parts
// of it) once.
struct Budget {
  std::uint64_t nodes = 0;
  std::uint64_t bytes = 0;
  std::size_t depth = Limits{}.max_depth;
  static Budget For(const Document& d) { return {d.nodes, d.scalar_bytes, std::max<std::size_t>(d.depth, 1)}; }
  // Takes one node with `scalar_bytes` of text; false when that is too much.
  bool Take(std::uint64_t scalar_bytes) {
    if (nodes == 0 || bytes < scalar_bytes) return false;
    --nodes;
    bytes -= scalar_bytes;
    return true;
  }
};

// A YAML file of at most `max_bytes`; directories, FIFOs and devices are
// refused without blocking. `what` names the file in errors ("configuration").
Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes, const std::string& what);

// A file that must hold one document: a second non-empty document is an
// error naming its line. An empty text gives a Null root.
Result<Document> ParseDocument(std::string_view text, const std::string& file, const Limits& limits = {});

// A stream (Kubernetes manifests, policy inputs): every non-empty document,
// in order, each bounded by `limits` on its own.
Result<std::vector<Document>> ParseStream(std::string_view text, const std::string& file, const Limits& limits = {});

// "file:line:column" (1-based); just "file" when the mark is unknown.
std::string Where(const std::string& file, const YAML::Mark& mark);

// How a scalar reads under the YAML 1.2 core schema as Tollgate applies it:
// a quoted or !!str-tagged scalar is a string; plain null, Null, NULL, ~ and
// the empty scalar are null (yaml-cpp makes them Null nodes); true/True/TRUE
// and false/False/FALSE are booleans; decimal integers and floats (optional
// sign, fraction, exponent) are numbers; everything else is a string.
enum class ScalarType { kNull, kBool, kInt, kFloat, kString };
ScalarType Resolve(const YAML::Node& scalar);
ScalarType ResolvePlain(std::string_view text);  // the same, for text written without quotes
bool IsQuoted(const YAML::Node& scalar);         // written in quotes or as a block/flow non-plain scalar

struct JsonOptions {
  // Every scalar as its text (null stays null), for records whose values must
  // keep their spelling (OSV versions such as 1.10).
  bool scalars_as_text = false;
};

// The node as JSON, scalars resolved as above (integers as int64/uint64 when
// they fit, other numbers as double, out-of-range ones as their text). Keys
// are their scalar text (1: a gives "1", a null key ""); a list or mapping as
// a key is an error, as in OPA. Invalid UTF-8 (Latin-1 files in the wild)
// becomes U+FFFD: JSON holds UTF-8 only. Everything produced is taken from
// `budget`; an exhausted budget or deeper nesting is an error naming the node.
Result<Json> ToJson(const YAML::Node& node, const std::string& file, Budget& budget, const JsonOptions& options = {});

// The errors of conversions: a collection as a key; `budget` ran out at `n`.
Error CollectionKeyError(const std::string& file, const YAML::Node& key);
Error BudgetError(const std::string& file, const YAML::Node& n, const Budget& budget);

// Typed access with positions, for files read against a schema. Messages read
// "file:line:column: problem". Numbers and booleans must be plain scalars: a
// quoted "1" or "false" is a string, and a string where a number or boolean is
// required is a type error.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  std::string Where(const YAML::Node& n) const;
  Error Bad(const YAML::Node& n, const std::string& what) const;

  // Every key of `map` is a scalar in `allowed`; `what` names the mapping.
  Status OnlyKeys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& what) const;
  // Any scalar, as written (not null, not a collection).
  Result<std::string> String(const YAML::Node& n, const std::string& key) const;
  // A plain decimal integer that fits in 64 bits.
  Result<std::int64_t> Int(const YAML::Node& n, const std::string& key) const;
  // A plain finite number (integer or float).
  Result<double> Number(const YAML::Node& n, const std::string& key) const;
  // Plain true/True/TRUE/yes or false/False/FALSE/no.
  Result<bool> Bool(const YAML::Node& n, const std::string& key) const;
  Result<std::vector<std::string>> StringList(const YAML::Node& n, const std::string& key) const;
  // A mapping of scalars to scalars; null gives an empty map.
  Result<std::map<std::string, std::string>> StringMap(const YAML::Node& n, const std::string& key) const;

 private:
  std::string file_;
};

// Runs `read`, a reader over yaml-cpp nodes, and turns an exception yaml-cpp
// throws from it (a subscript of a scalar deep inside a document) into an
// Input error naming the position: untrusted input never escapes as one.
template <typename F>
auto Guarded(const std::string& file, F&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const YAML::Exception& e) {
    return Fail(Error::Input(Where(file, e.mark) + ": malformed YAML: " + e.msg));
  }
}

// "a mapping", "a list", "a scalar", "null": for messages.
const char* KindName(const YAML::Node& n);

}  // namespace tollgate::yaml
