// libarchive's message for the last error on `a`, or `fallback` when it set
// none (archive_error_string() may return null), with control characters
// replaced so a hostile archive cannot forge extra output lines.
#pragma once

#include <archive.h>

#include <string>

namespace tollgate::deps {

inline std::string ArchiveError(struct archive* a, const char* fallback) {
  const char* raw = archive_error_string(a);
  std::string s = raw != nullptr ? raw : fallback;
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

}  // namespace tollgate::deps
