// Canonical JSON per RFC 8785 (JSON Canonicalization Scheme, JCS).
//
// The ledger hashes canonical bytes, so two equal events always hash equally
// whatever whitespace, key order or number spelling they arrived with.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace tollgate {

using Json = nlohmann::json;

// The deepest nesting of arrays and objects ParseJson and Canonicalize accept
// (a top-level array is one level). It bounds their recursion and memory on
// untrusted input.
inline constexpr std::size_t kMaxJsonDepth = 256;

// Serialise `value` canonically: object members sorted by UTF-16 code units of
// their names, no whitespace, numbers in ECMAScript Number.prototype.toString
// form (integers are converted to IEEE-754 doubles first, as JCS requires),
// strings with the minimal JCS escapes. Fails (Error::Input, naming the value
// by JSON Pointer) on NaN/Infinity, on integers whose magnitude exceeds 2^53
// and that would come out different after the conversion to a double
// (9007199254740993 would become 9007199254740992; 1000000000000000000, the
// canonical form of 1e18, is kept so canonical text re-canonicalizes to
// itself), on strings that are not valid UTF-8 and on nesting deeper than
// kMaxJsonDepth.
Result<std::string> Canonicalize(const Json& value);

// The ECMAScript Number::toString form of a finite double (RFC 8785 3.2.2.3).
std::string FormatEcmaNumber(double value);

// Parse JSON text strictly: invalid UTF-8, trailing garbage and duplicate
// object keys are errors, as is nesting deeper than kMaxJsonDepth. `what`
// names the source (file name) in the message, which reads
// "<what>:<line>:<column>: <problem>"; the column counts code points.
Result<Json> ParseJson(std::string_view text, std::string_view what);

// The problem in one of nlohmann's parse error messages, without its prefix
// and position (reported in our own form), made safe for a one-line message.
std::string JsonErrorDescription(const char* what);

}  // namespace tollgate
