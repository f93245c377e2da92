#include "core/jsonc.h"

namespace tollgate {

bool IsJsoncFile(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::string_view dir = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
  auto ends = [](std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
  };
  if (ends(name, ".jsonc")) return true;
  if (!ends(name, ".json")) return false;
  if (name.rfind("tsconfig", 0) == 0 || name.rfind("jsconfig", 0) == 0) return true;
  if (name == "devcontainer.json" || name == ".devcontainer.json") return true;
  return dir == ".vscode" || ends(dir, "/.vscode");
}

std::string JsoncToJson(std::string_view in) {
  std::string out(in);
  std::size_t last_comma = std::string::npos;  // a comma with only blanks and comments after it so far
  for (std::size_t i = 0; i < out.size();) {
    const char c = out[i];
    if (c == '"') {
      last_comma = std::string::npos;
      ++i;
      while (i < out.size() && out[i] != '"' && out[i] != '\n') i += out[i] == '\\' ? std::size_t{2} : std::size_t{1};
      if (i < out.size() && out[i] == '"') ++i;
      continue;
    }
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
      continue;
    }
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
      std::size_t end = out.find("*/", i + 2);
      if (end == std::string::npos) return out;  // unterminated: the parser reports it
      for (std::size_t k = i; k < end + 2; ++k)
        if (out[k] != '\n' && out[k] != '\r') out[k] = ' ';
      i = end + 2;
      continue;
    }
    if (c == ',') {
      last_comma = i;
    } else if (c == '}' || c == ']') {
      if (last_comma != std::string::npos) out[last_comma] = ' ';
      last_comma = std::string::npos;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      last_comma = std::string::npos;
    }
    ++i;
  }
  return out;
}

}  // namespace tollgate
