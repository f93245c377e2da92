// Files: bounded reading of untrusted input and atomic, durable writing. The
// one place that opens a user-named file for reading whole or writes one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tollgate {

inline constexpr std::size_t kDefaultMaxFileBytes = std::size_t{64} << 20;  // 64 MiB

// The whole content of a regular file of at most `max_bytes`. "-" reads
// standard input (also bounded). A directory, FIFO, socket or device is bad
// input (never blocks on it), as is a larger file; errors name `path` and,
// when given, `what` ("webhook secret", "configuration").
Result<std::string> ReadFileBounded(const std::string& path, std::size_t max_bytes = kDefaultMaxFileBytes,
                                    const std::string& what = "");

// Opens a regular file for reading as it goes (input too large to hold whole),
// with the checks of ReadFileBounded: a directory, FIFO, socket or device is
// bad input and never blocks. "-" is standard input (not closed by the caller).
// Returns a blocking descriptor that the caller closes.
Result<int> OpenRegularFile(const std::string& path, const std::string& what = "");

// Writes `content` to `path` atomically and durably: a temporary file of its
// own in the same directory, fsync, rename over the target, fsync of the
// directory. A device or pipe (/dev/null, /dev/stdout, a FIFO) is written to
// in place, never replaced; any other non-regular target is an Input error.
Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace tollgate
