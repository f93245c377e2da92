// JSON with comments (JSONC), as TypeScript, VS Code and dev containers read
// their configuration: `//` and `/* */` comments and trailing commas.
#pragma once

#include <string>
#include <string_view>

namespace tollgate {

// Whether files of this name are JSONC by their tool's convention:
// `tsconfig*.json`, `jsconfig*.json`, `.vscode/*.json`, `devcontainer.json`,
// `.devcontainer.json` and `*.jsonc`. `path` is '/'-separated.
bool IsJsoncFile(std::string_view path);

// Strict JSON with the same meaning and the same line and column for every
// value: comments become spaces (their newlines stay), a comma before `}` or
// `]` becomes a space. Strings are copied as they are. An unterminated
// comment or string is left for the JSON parser to report.
std::string JsoncToJson(std::string_view text);

}  // namespace tollgate
