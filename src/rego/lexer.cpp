#include "rego/lexer.h"

#include <cctype>

#include "core/utf8.h"

namespace tollgate::rego {

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }


}  // namespace

Result<std::vector<Token>> Lex(std::string_view src, const std::string& file) {
  std::vector<Token> out;
  std::size_t i = 0;
  int line = 1;
  std::size_t line_start = 0;
  bool space = true;
  auto err = [&](std::size_t at, const std::string& what) {
    return Fail(Error::Input(file + ":" + std::to_string(line) + ":" + std::to_string(at - line_start + 1) + ": " + what));
  };
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  // Reads a double-quoted string body starting after the quote; `stop_brace`
  // stops at '{' (template strings) and returns it in *brace.
  auto read_quoted = [&](std::string& text, bool template_mode, bool* brace) -> Status {
    while (true) {
      if (i >= src.size() || src[i] == '\n') return err(i, "unterminated string, expected '\"'");
      char c = src[i];
      if (c == '"') {
        ++i;
        return Ok();
      }
      if (template_mode && c == '{') {
        ++i;
        *brace = true;
        return Ok();
      }
      if (c == '\\') {
        if (i + 1 >= src.size()) return err(i, "unterminated string");
        char e = src[i + 1];
        i += 2;
        if (char plain = SimpleEscape(e)) {
          text += plain;
          continue;
        }
        switch (e) {
          case '{':
            if (template_mode) {
              text += '{';
              break;
            }
            return err(i - 2, "invalid escape sequence \\{");
          case 'u': {
            unsigned cp = 0;
            for (int k = 0; k < 4; ++k) {
              if (i >= src.size() || hex(src[i]) < 0) return err(i, "invalid \\u escape, expected 4 hex digits");
              cp = cp * 16 + static_cast<unsigned>(hex(src[i]));
              ++i;
            }
            if (cp >= 0xD800 && cp < 0xDC00 && i + 5 < src.size() && src[i] == '\\' && src[i + 1] == 'u') {
              unsigned lo = 0;
              bool ok = true;
              for (std::size_t k = 0; k < 4; ++k) {
                int h = hex(src[i + 2 + k]);
                if (h < 0) ok = false;
                lo = lo * 16 + static_cast<unsigned>(h < 0 ? 0 : h);
              }
              if (ok && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
              }
            }
            tollgate::AppendUtf8(text, static_cast<char32_t>(cp));
            break;
          }
          default: return err(i - 2, std::string("invalid escape sequence \\") + e);
        }
        continue;
      }
      text += c;
      ++i;
    }
  };
  while (i < src.size()) {
    char c = src[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      space = true;
      continue;
    }
    if (c == '#') {
      while (i < src.size() && src[i] != '\n') ++i;
      space = true;
      continue;
    }
    Token t;
    t.line = line;
    t.col = static_cast<int>(i - line_start + 1);
    t.space_before = space;
    space = false;
    if (c == '\n') {
      t.kind = Tok::kNewline;
      ++i;
      ++line;
      line_start = i;
      space = true;
      out.push_back(std::move(t));
      continue;
    }
    if (IsIdentStart(c)) {
      std::size_t s = i;
      while (i < src.size() && IsIdentChar(src[i])) ++i;
      t.kind = Tok::kIdent;
      t.text = std::string(src.substr(s, i - s));
      out.push_back(std::move(t));
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < src.size() && std::isdigit(static_cast<unsigned char>(src[i + 1])) &&
         (out.empty() || out.back().kind != Tok::kIdent))) {
      std::size_t s = i;
      while (i < src.size() && std::isdigit(static_cast<unsigned char>(src[i]))) ++i;
      if (i < src.size() && src[i] == '.' && i + 1 < src.size() && std::isdigit(static_cast<unsigned char>(src[i + 1]))) {
        ++i;
        while (i < src.size() && std::isdigit(static_cast<unsigned char>(src[i]))) ++i;
      }
      if (i < src.size() && (src[i] == 'e' || src[i] == 'E')) {
        std::size_t save = i;
        ++i;
        if (i < src.size() && (src[i] == '+' || src[i] == '-')) ++i;
        if (i < src.size() && std::isdigit(static_cast<unsigned char>(src[i]))) {
          while (i < src.size() && std::isdigit(static_cast<unsigned char>(src[i]))) ++i;
        } else {
          i = save;
        }
      }
      if (i < src.size() && IsIdentStart(src[i])) return err(i, "invalid number literal");
      t.kind = Tok::kNumber;
      t.text = std::string(src.substr(s, i - s));
      out.push_back(std::move(t));
      continue;
    }
    if (c == '"') {
      ++i;
      t.kind = Tok::kString;
      TG_TRY(read_quoted(t.text, false, nullptr));
      out.push_back(std::move(t));
      continue;
    }
    if (c == '`') {
      std::size_t s = ++i;
      while (i < src.size() && src[i] != '`') {
        if (src[i] == '\n') {
          ++line;
          line_start = i + 1;
        }
        ++i;
      }
      if (i >= src.size()) return err(s - 1, "unterminated raw string, expected '`'");
      t.kind = Tok::kString;
      t.raw = true;
      t.text = std::string(src.substr(s, i - s));
      ++i;
      out.push_back(std::move(t));
      continue;
    }
    // Raw template text up to '`' (end) or '{' (expression); \{ is a brace.
    auto read_raw_template = [&](std::string& text, bool* brace) -> Status {
      while (true) {
        if (i >= src.size()) return err(i, "unterminated template string, expected '`'");
        char ch = src[i];
        if (ch == '`') {
          ++i;
          return Ok();
        }
        if (ch == '\\' && i + 1 < src.size() && src[i + 1] == '{') {
          text += '{';
          i += 2;
          continue;
        }
        if (ch == '{') {
          ++i;
          *brace = true;
          return Ok();
        }
        if (ch == '\n') {
          ++line;
          line_start = i + 1;
        }
        text += ch;
        ++i;
      }
    };
    if (c == '$' && i + 1 < src.size() && (src[i + 1] == '"' || src[i + 1] == '`')) {
      bool raw_template = src[i + 1] == '`';
      // Template string: emitted as kTemplate tokens alternating literal text
      // and the source of each {expression}, closed by a kTemplate "" marker.
      i += 2;
      t.kind = Tok::kTemplate;
      t.text = "\x01";  // opening marker
      out.push_back(t);
      while (true) {
        Token lit = t;
        lit.text.clear();
        bool brace = false;
        if (raw_template) {
          TG_TRY(read_raw_template(lit.text, &brace));
        } else {
          TG_TRY(read_quoted(lit.text, true, &brace));
        }
        lit.kind = Tok::kString;
        out.push_back(lit);
        if (!brace) break;
        // Lex the embedded expression up to the matching '}'.
        std::size_t s = i;
        int depth = 1;
        while (i < src.size() && depth > 0) {
          if (src[i] == '{') ++depth;
          if (src[i] == '}') --depth;
          if (src[i] == '"') {
            ++i;
            while (i < src.size() && src[i] != '"') i += src[i] == '\\' ? std::size_t{2} : std::size_t{1};
            if (i >= src.size()) break;
          }
          if (src[i] == '`') {
            ++i;
            while (i < src.size() && src[i] != '`') ++i;
            if (i >= src.size()) break;
          }
          if (i >= src.size()) break;
          if (src[i] == '\n') return err(i, "unterminated template expression, expected '}'");
          ++i;
        }
        if (depth != 0) return err(s, "unterminated template expression, expected '}'");
        auto inner = Lex(src.substr(s, i - 1 - s), file);
        if (!inner) return Fail(inner.error());
        Token open = t;
        open.kind = Tok::kTemplate;
        open.text = "\x02";  // expression start
        out.push_back(open);
        for (auto& it : *inner) {
          if (it.kind == Tok::kEof) break;
          it.line = line;
          out.push_back(std::move(it));
        }
        open.text = "\x03";  // expression end
        out.push_back(open);
      }
      Token close = t;
      close.text = "\x04";
      out.push_back(close);
      continue;
    }
    static const char* const kPuncts[] = {":=", "==", "!=", "<=", ">=", "{", "}", "[", "]", "(", ")", ",", ".", ";", ":",
                                          "=",  "<",  ">",  "+",  "-",  "*", "/", "%", "&", "|"};
    bool found = false;
    for (const char* p : kPuncts) {
      std::string_view pv(p);
      if (src.substr(i, pv.size()) == pv) {
        t.kind = Tok::kPunct;
        t.text = std::string(pv);
        i += pv.size();
        found = true;
        break;
      }
    }
    if (!found) {
      if (static_cast<unsigned char>(c) >= 0x80) return err(i, "unexpected non-ASCII character outside a string");
      return err(i, std::string("unexpected character '") + c + "'");
    }
    out.push_back(std::move(t));
  }
  Token eof;
  eof.kind = Tok::kEof;
  eof.line = line;
  eof.col = static_cast<int>(i - line_start + 1);
  out.push_back(eof);
  return out;
}

std::vector<Comment> LexComments(std::string_view src) {
  std::vector<Comment> out;
  int line = 1;
  bool in_str = false;
  bool in_raw = false;
  for (std::size_t i = 0; i < src.size(); ++i) {
    char c = src[i];
    if (c == '\n') {
      ++line;
      in_str = false;
      continue;
    }
    if (in_raw) {
      if (c == '`') in_raw = false;
      continue;
    }
    if (in_str) {
      if (c == '\\') ++i;
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    else if (c == '`') in_raw = true;
    else if (c == '#') {
      std::size_t s = i + 1;
      while (i < src.size() && src[i] != '\n') ++i;
      out.push_back({line, std::string(src.substr(s, i - s))});
      ++line;
    }
  }
  return out;
}

char SimpleEscape(char e) {
  switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

}  // namespace tollgate::rego
