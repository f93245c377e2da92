// Files read and written in pieces, for content too large to hold whole (an
// export bundle, a SARIF report): the streaming counterparts of core/file.h's
// ReadFileBounded and WriteFileAtomic, with the same checks and guarantees.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace tollgate {

// A regular file read in pieces. Opening refuses what ReadFileBounded refuses
// (a directory, FIFO, socket or device; never blocks on one); "-" is
// standard input. Errors name the file.
class InputFile {
 public:
  static Result<InputFile> Open(const std::string& path, const std::string& what = "");
  InputFile(InputFile&& o) noexcept : fd_(std::exchange(o.fd_, -1)), label_(std::move(o.label_)) {}
  InputFile& operator=(InputFile&&) = delete;
  ~InputFile();

  // Up to `n` bytes into `buf`; 0 at the end of the file.
  Result<std::size_t> Read(char* buf, std::size_t n);
  const std::string& label() const { return label_; }

 private:
  InputFile(int fd, std::string label) : fd_(fd), label_(std::move(label)) {}
  int fd_ = -1;
  std::string label_;
};

// WriteFileAtomic for content written in pieces: everything goes (buffered)
// to a temporary file of its own beside `path`, and Commit() renames it over
// `path` once whole and synced, then syncs the directory. Until then `path` is
// untouched; a writer destroyed without a successful Commit() removes its
// temporary file. A `path` that is a character device or a pipe
// (/dev/null, /dev/stdout, a FIFO) is written to in place; any other
// non-regular target is an Input error.
class AtomicFileWriter {
 public:
  static Result<AtomicFileWriter> Create(const std::string& path, unsigned mode = 0644);
  AtomicFileWriter(AtomicFileWriter&& o) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  ~AtomicFileWriter();

  Status Write(std::string_view data);
  Status Commit();

 private:
  AtomicFileWriter(int fd, std::string path, std::string tmp, unsigned mode);
  Status Flush();
  Status WriteThrough(std::string_view data);

  int fd_ = -1;
  std::string path_;
  std::string tmp_;  // empty when writing to a device or pipe in place
  unsigned mode_ = 0644;
  std::string buffer_;
  bool failed_ = false;
};

}  // namespace tollgate
