#include "core/stream_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/file.h"

namespace tollgate {
namespace {

constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;

}  // namespace

Result<InputFile> InputFile::Open(const std::string& path, const std::string& what) {
  auto fd = OpenRegularFile(path, what);
  if (!fd) return Fail(fd.error());
  std::string label = path == "-" ? "stdin" : path;
  if (!what.empty()) label += " (" + what + ")";
  return InputFile(*fd, std::move(label));
}

InputFile::~InputFile() {
  if (fd_ > STDIN_FILENO) ::close(fd_);
}

Result<std::size_t> InputFile::Read(char* buf, std::size_t n) {
  for (;;) {
    ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) return Fail(Error::Io(label_ + ": cannot read: " + std::strerror(errno)));
  }
}

Result<AtomicFileWriter> AtomicFileWriter::Create(const std::string& path, unsigned mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
      return Fail(Error::Input(path + ": not a regular file, a device or a pipe; nothing written"));
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Fail(Error::Io(path + ": cannot write: " + std::strerror(errno)));
    return AtomicFileWriter(fd, path, "", mode);
  }
  // A temporary file of its own: two writers of one path never share it.
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return Fail(Error::Io(path + ": cannot write: " + std::strerror(errno)));
  return AtomicFileWriter(fd, path, std::move(tmp), mode);
}

AtomicFileWriter::AtomicFileWriter(int fd, std::string path, std::string tmp, unsigned mode)
    : fd_(fd), path_(std::move(path)), tmp_(std::move(tmp)), mode_(mode) {
  buffer_.reserve(kWriteBuffer);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      path_(std::move(o.path_)),
      tmp_(std::move(o.tmp_)),
      mode_(o.mode_),
      buffer_(std::move(o.buffer_)),
      failed_(o.failed_) {}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (!tmp_.empty()) std::remove(tmp_.c_str());
}

Status AtomicFileWriter::WriteThrough(std::string_view data) {
  std::size_t done = 0;
  while (!failed_ && done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;
      return Fail(Error::Io(path_ + ": cannot write: " + std::strerror(n < 0 ? errno : EIO)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (failed_) return Fail(Error::Io(path_ + ": cannot write"));
  return Ok();
}

Status AtomicFileWriter::Flush() {
  Status s = WriteThrough(buffer_);
  buffer_.clear();
  return s;
}

Status AtomicFileWriter::Write(std::string_view data) {
  if (fd_ < 0 || failed_) return Fail(Error::Io(path_ + ": cannot write"));
  if (buffer_.size() + data.size() > kWriteBuffer) TG_TRY(Flush());
  if (data.size() >= kWriteBuffer) return WriteThrough(data);  // a large piece goes straight to the file
  buffer_.append(data);
  return Ok();
}

Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return Fail(Error::Io(path_ + ": cannot write"));
  Status s = Flush();
  if (tmp_.empty()) {  // a device or pipe, written in place
    ::close(std::exchange(fd_, -1));
    return s;
  }
  if (s && (::fchmod(fd_, static_cast<mode_t>(mode_)) != 0 || ::fsync(fd_) != 0))
    s = Fail(Error::Io(path_ + ": cannot write: " + std::strerror(errno)));
  if (::close(std::exchange(fd_, -1)) != 0 && s) s = Fail(Error::Io(path_ + ": cannot write: " + std::strerror(errno)));
  if (s && std::rename(tmp_.c_str(), path_.c_str()) != 0)
    s = Fail(Error::Io(path_ + ": cannot write: " + std::strerror(errno)));
  if (!s) {
    std::remove(tmp_.c_str());
    return s;
  }
  // The rename itself is durable only once the directory is synced.
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Ok();
}

}  // namespace tollgate
