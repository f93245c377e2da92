// Built-in: regex.globs_match — whether two glob-style regular expressions
// (characters, ".", [classes], [^negated], \escapes, each optionally followed
// by *, + or ?) match a common non-empty string. Decided by searching the
// product of the two patterns' automata.
#include <bitset>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;
using CharSet = std::bitset<256>;

struct Token {
  CharSet chars;
  bool optional = false;  // * or ?
  bool repeat = false;    // * or +
};

[[noreturn]] void Invalid(const std::string& input, std::size_t pos, const std::string& what) {
  ThrowBuiltinError("regex.globs_match: input:" + input + ", pos:" + std::to_string(pos) + ", " + what +
                    ": the input provided is invalid");
}

std::vector<Token> ParseGlob(const std::string& s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    Token t;
    if (c == '*' || c == '+' || c == '?') {
      if (out.empty()) Invalid(s, i + 1, std::string("quantifier '") + s[i] + "' with nothing before it");
      Token& prev = out.back();
      if (c == '*') prev.optional = prev.repeat = true;
      if (c == '+') prev.repeat = true;
      if (c == '?') prev.optional = true;
      ++i;
      continue;
    }
    if (c == ']') Invalid(s, i + 1, "set-close ']' with no preceding '['");
    if (c == '.') {
      t.chars.set();
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= s.size()) Invalid(s, i + 1, "escape '\\' at the end");
      t.chars.set(static_cast<unsigned char>(s[i + 1]));
      i += 2;
    } else if (c == '[') {
      std::size_t j = i + 1;
      bool negate = j < s.size() && s[j] == '^';
      if (negate) ++j;
      CharSet set;
      bool closed = false;
      while (j < s.size()) {
        unsigned char a = static_cast<unsigned char>(s[j]);
        if (a == ']') {
          closed = true;
          break;
        }
        if (a == '\\' && j + 1 < s.size()) a = static_cast<unsigned char>(s[++j]);
        if (j + 2 < s.size() && s[j + 1] == '-' && s[j + 2] != ']') {
          unsigned char b = static_cast<unsigned char>(s[j + 2]);
          if (b < a) Invalid(s, j + 1, "range out of order");
          for (unsigned x = a; x <= b; ++x) set.set(x);
          j += 3;
          continue;
        }
        set.set(a);
        ++j;
      }
      if (!closed) Invalid(s, i + 1, "set-open '[' with no closing ']'");
      t.chars = negate ? ~set : set;
      i = j + 1;
    } else {
      t.chars.set(c);
      ++i;
    }
    out.push_back(t);
  }
  return out;
}

// Is there a non-empty string both patterns match?
bool Intersect(const std::vector<Token>& a, const std::vector<Token>& b) {
  // State: positions in a and b, and whether a character was consumed.
  std::set<std::tuple<std::size_t, std::size_t, bool>> seen;
  std::vector<std::tuple<std::size_t, std::size_t, bool>> work{{0, 0, false}};
  while (!work.empty()) {
    auto st = work.back();
    work.pop_back();
    if (!seen.insert(st).second) continue;
    auto [i, j, consumed] = st;
    if (i == a.size() && j == b.size() && consumed) return true;
    if (i < a.size() && a[i].optional) work.emplace_back(i + 1, j, consumed);
    if (j < b.size() && b[j].optional) work.emplace_back(i, j + 1, consumed);
    if (i < a.size() && j < b.size() && (a[i].chars & b[j].chars).any()) {
      // Consume one character in both; a repeating token may stay or move on.
      for (std::size_t ni : {i, i + 1}) {
        if (ni == i && !a[i].repeat) continue;
        for (std::size_t nj : {j, j + 1}) {
          if (nj == j && !b[j].repeat) continue;
          work.emplace_back(ni, nj, true);
        }
      }
    }
  }
  return false;
}

Value GlobsMatch(const Args& a, BuiltinContext&) {
  const std::string& g1 = ArgString("regex.globs_match", a, 0);
  const std::string& g2 = ArgString("regex.globs_match", a, 1);
  return Value::Bool(Intersect(ParseGlob(g1), ParseGlob(g2)));
}

}  // namespace

void AddGlobsBuiltins(BuiltinRegistry& r) { r.Add("regex.globs_match", 2, GlobsMatch); }

}  // namespace tollgate::rego
