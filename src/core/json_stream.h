// Streaming JSON reading, for documents too large to hold as one value (an
// export bundle, a SARIF report of hundreds of MB). The document is read in
// pieces and checked as ParseJson checks a whole one (invalid UTF-8, trailing
// garbage, duplicate object keys, nesting deeper than kMaxJsonDepth, integers
// that cannot be represented exactly); a handler decides, value by value,
// which parts are built as Json values (one at a time), which are entered and
// which are read and forgotten.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

namespace tollgate {

// One step from a container to a value in it: a member name or an index.
struct JsonStep {
  bool in_array = false;
  std::size_t index = 0;  // in an array
  std::string key;        // in an object
};
// The steps from the root to a value; empty for the root.
using JsonPath = std::vector<JsonStep>;

// "runs[0].results[3]" (a key that is not an identifier is written ["..."]).
std::string JsonPathText(const JsonPath& path);

class JsonStreamHandler {
 public:
  enum class Take {
    kSkip,   // read and check it, then forget it
    kValue,  // build it and pass it to Value()
    kEnter,  // (an object or array) report each member or element through
             // Begin, then call End(); for a scalar, the same as kSkip
  };
  enum class Type { kObject, kArray, kScalar };

  virtual ~JsonStreamHandler() = default;
  // A value starts at `path`.
  virtual Take Begin(const JsonPath& path, Type type) = 0;
  // A value taken with kValue, whole.
  virtual Status Value(const JsonPath& path, Json value) = 0;
  // The end of a container taken with kEnter.
  virtual Status End(const JsonPath& /*path*/) { return Ok(); }
};

// Reads the JSON document in the file `path` (a regular file, or "-" for
// standard input, opened as core/file.h InputFile does) and reports it to
// `handler`. A malformed document is an Input error reading
// "<what>:<line>:<column>: <problem>" as ParseJson's (`what` defaults to
// `path`); an error returned by the handler stops reading and is returned
// unchanged.
Status StreamJsonFile(const std::string& path, JsonStreamHandler& handler, const std::string& what = "");

// The same over text in memory.
Status StreamJsonText(std::string_view text, std::string_view what, JsonStreamHandler& handler);

}  // namespace tollgate
