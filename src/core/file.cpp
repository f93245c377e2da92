#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/stream_file.h"

namespace tollgate {
namespace {

std::string Label(const std::string& path, const std::string& what) {
  return what.empty() ? path : path + " (" + what + ")";
}

// Reads all of `fd` up to `max_bytes`; a larger input is an error.
Result<std::string> ReadAll(int fd, const std::string& label, std::size_t max_bytes) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(Error::Io(label + ": cannot read: " + std::strerror(errno)));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes)
      return Fail(Error::Input(label + ": larger than " + std::to_string(max_bytes) + " bytes"));
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

Result<int> OpenRegularFile(const std::string& path, const std::string& what) {
  const std::string label = Label(path, what);
  if (path == "-") return STDIN_FILENO;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Fail(Error::NotFound(label + ": no such file"));
    if (err == EISDIR) return Fail(Error::Input(label + ": is a directory, not a file"));
    return Fail(Error::Input(label + ": cannot open: " + std::strerror(err)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Fail(Error::Io(label + ": cannot stat: " + std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISDIR(st.st_mode)                         ? "a directory"
                       : S_ISFIFO(st.st_mode)                      ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                       : S_ISSOCK(st.st_mode)                      ? "a socket"
                                                                   : "a special file";
    return Fail(Error::Input(label + ": is " + std::string(kind) + ", not a regular file"));
  }
  // Back to blocking reads for a regular file.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

Result<std::string> ReadFileBounded(const std::string& path, std::size_t max_bytes, const std::string& what) {
  const std::string label = Label(path, what);
  if (path == "-") return ReadAll(STDIN_FILENO, what.empty() ? "stdin" : "stdin (" + what + ")", max_bytes);
  auto fd = OpenRegularFile(path, what);
  if (!fd) return Fail(fd.error());
  struct stat st {};
  if (::fstat(*fd, &st) == 0 && static_cast<std::size_t>(st.st_size) > max_bytes) {
    ::close(*fd);
    return Fail(Error::Input(label + ": " + std::to_string(st.st_size) + " bytes, larger than the limit of " +
                             std::to_string(max_bytes)));
  }
  auto r = ReadAll(*fd, label, max_bytes);
  ::close(*fd);
  return r;
}

Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode) {
  // One piece through the streaming writer: a temporary file of its own
  // beside the target, renamed over it once whole and synced; a device or
  // pipe written in place (core/stream_file.h).
  auto w = AtomicFileWriter::Create(path, mode);
  if (!w) return Fail(w.error());
  TG_TRY(w->Write(content));
  return w->Commit();
}

}  // namespace tollgate
