// Rego tokens. Newlines are tokens (they separate body expressions); the
// parser skips them where a term continues.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tollgate::rego {

enum class Tok : std::uint8_t { kIdent, kString, kNumber, kPunct, kNewline, kTemplate, kEof };

struct Token {
  Tok kind = Tok::kEof;
  std::string text;  // identifier, decoded string, number literal or punctuation
  int line = 1;
  int col = 1;
  bool space_before = false;  // whitespace or a comment directly before
  bool raw = false;           // a `raw string`
};

// Splits `src` into tokens; fails with "file:line:col: problem" on a bad
// character, an unterminated string or a bad escape.
Result<std::vector<Token>> Lex(std::string_view src, const std::string& file);

// Comments, in order, with the line they sit on (for METADATA blocks).
struct Comment {
  int line = 0;
  std::string text;
};
std::vector<Comment> LexComments(std::string_view src);

// The character a JSON single-character escape (\" \\ \/ \b \f \n \r \t)
// stands for, given the character after the backslash; 0 for any other.
char SimpleEscape(char e);

}  // namespace tollgate::rego
