// UTF-8 decoding and encoding shared by the canonical JSON writer and the
// report writers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tollgate {

// Decodes the code point starting at s[i] (i < s.size()) and advances i past
// it. Rejects everything RFC 3629 forbids: stray continuation bytes, truncated
// sequences, overlong forms, surrogates and values above U+10FFFF; on
// rejection i is left unchanged.
std::optional<char32_t> DecodeUtf8(std::string_view s, std::size_t& i);

bool IsValidUtf8(std::string_view s);
bool IsAscii(std::string_view s);

// Appends the UTF-8 encoding of a valid code point.
void AppendUtf8(std::string& out, char32_t cp);

// `s` with each invalid UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);

}  // namespace tollgate
