// Archive members (zip, tar and their compressed forms, via libarchive) are
// scanned in memory, never extracted: a member's name only labels findings,
// so "../" or absolute names cannot write anywhere. Budgets keep a zip bomb
// from exhausting memory or time.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>
#include <string>

#include "scan/secrets/secrets.h"

namespace tollgate::secrets {
namespace {

constexpr int kMaxDepth = 3;                           // archives inside archives
constexpr std::uint64_t kMaxMembers = 100000;          // per archive
constexpr std::uint64_t kMinBombBytes = 256ull << 20;  // expansion checks start here...
constexpr std::uint64_t kMaxExpansion = 100;           // ...and stop at 100x the archive size
constexpr std::uint64_t kMaxArchiveBytes = 4ull << 30; // total expanded bytes, whatever the ratio

bool StartsWith(std::string_view d, std::string_view magic, std::size_t at = 0) {
  return d.size() >= at + magic.size() && d.substr(at, magic.size()) == magic;
}

bool Compressed(std::string_view d) {
  return StartsWith(d, "\x1f\x8b") || StartsWith(d, "BZh") || StartsWith(d, std::string_view("\xfd" "7zXZ\0", 6)) ||
         StartsWith(d, "\x28\xb5\x2f\xfd");
}

// Printable form of a member name: control bytes would let an archive forge
// lines in the report.
std::string CleanName(const char* raw, const char* fallback = "?") {
  std::string s = raw != nullptr ? raw : fallback;
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// Content that could not be read completely: an incomplete-scan problem of
// the archive (or member); its repository path is filled in by the caller.
void Incomplete(ScanResult& res, const std::string& path, const char* cause, const std::string& reason) {
  res.problems.push_back(walk::Problem{walk::ProblemKind::kIncomplete, path, "", 0, cause, reason});
}

}  // namespace

bool IsArchive(std::string_view d) {
  return StartsWith(d, "PK\x03\x04") || StartsWith(d, "PK\x05\x06") || StartsWith(d, "ustar", 257) ||
         StartsWith(d, std::string_view("7z\xbc\xaf\x27\x1c", 6)) || Compressed(d);
}

void ScanArchive(const Scanner& scanner, std::string_view data, const std::string& name, const ScanOptions& opts,
                 ScanResult& res, int depth) {
  if (depth >= kMaxDepth) {
    Incomplete(res, name, "archive-depth", "not read: archives nested deeper than " + std::to_string(kMaxDepth));
    return;
  }
  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  if (!a) {
    Incomplete(res, name, "unreadable", "not read: out of memory");
    return;
  }
  archive_read_support_filter_all(a.get());
  // Only the formats IsArchive recognises (and tar or a lone stream inside a
  // compressed one). "All" would let text formats such as mtree claim a
  // compressed text file: its content would never be scanned.
  archive_read_support_format_zip(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_7zip(a.get());
  // A lone compressed file (.gz, .xz, ...) is one member with its content.
  if (Compressed(data)) archive_read_support_format_raw(a.get());
  // Magic bytes at the start of text are still text: scan it as such.
  const bool text = data.substr(0, 8000).find('\0') == std::string_view::npos;
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    if (text) return ScanBuffer(scanner, data, name, opts, res);
    Incomplete(res, name, "archive-corrupt",
               "not read: not a readable archive: " + CleanName(archive_error_string(a.get()), "corrupt or truncated"));
    return;
  }
  const std::uint64_t budget =
      std::min<std::uint64_t>(kMaxArchiveBytes, std::max<std::uint64_t>(kMinBombBytes, data.size() * kMaxExpansion));
  std::uint64_t expanded = 0, members = 0;
  archive_entry* entry = nullptr;
  for (;;) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      if (members == 0 && text) return ScanBuffer(scanner, data, name, opts, res);
      Incomplete(res, name, "archive-corrupt",
                 "stopped reading: " + CleanName(archive_error_string(a.get()), "corrupt or truncated"));
      break;
    }
    if (++members > kMaxMembers) {
      Incomplete(res, name, "archive-members", "stopped reading: more than " + std::to_string(kMaxMembers) + " members");
      break;
    }
    if (archive_entry_filetype(entry) != AE_IFREG) continue;  // directories, links, devices: nothing to read
    // A lone compressed stream has no member name: call it by the file's
    // name without the compression suffix.
    std::string inner = CleanName(archive_entry_pathname(entry));
    if (archive_format(a.get()) == ARCHIVE_FORMAT_RAW) {
      inner = name.substr(name.find_last_of('/') + 1);
      if (auto dot = inner.find_last_of('.'); dot != std::string::npos && dot > 0) inner.resize(dot);
    }
    const std::string member = name + "!" + inner;
    // Read in bounded steps: the declared size may lie.
    std::string content;
    bool too_big = false;
    char buf[64 * 1024];
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        Incomplete(res, member, "archive-corrupt",
                   "not read: " + CleanName(archive_error_string(a.get()), "corrupt or truncated"));
        content.clear();
        break;
      }
      expanded += static_cast<std::uint64_t>(n);
      if (expanded > budget) {
        Incomplete(res, name, "archive-bomb",
                   "stopped reading: expands beyond " + std::to_string(budget >> 20) + " MiB (a decompression bomb?)");
        return;
      }
      if (content.size() + static_cast<std::size_t>(n) > opts.max_file_bytes) {
        too_big = true;
        continue;  // drain the member without keeping it
      }
      content.append(buf, static_cast<std::size_t>(n));
    }
    if (too_big) {
      Incomplete(res, member, "too-large", "not read: larger than " + std::to_string(opts.max_file_bytes) + " bytes");
      continue;
    }
    ScanContent(scanner, content, member, opts, res, depth + 1);
  }
}

}  // namespace tollgate::secrets
