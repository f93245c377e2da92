// Bounded reads and atomic writes (core/file.h).
#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace tollgate {
namespace {

namespace fs = std::filesystem;

TEST(WriteFileAtomic, ReplacesAWholeFileAndLeavesNoTemporaryBehind) {
  testing::TempDir dir;
  const std::string path = dir / "out.json";
  ASSERT_TRUE(WriteFileAtomic(path, "first"));
  ASSERT_TRUE(WriteFileAtomic(path, "second", 0600));
  auto back = ReadFileBounded(path);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, "second");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

// Found when `--output /dev/null` as root replaced the device with a regular
// file: a device or pipe is written to, never renamed over. (A FIFO stands in
// for the device here, so a regression cannot damage the machine's /dev.)
TEST(WriteFileAtomic, PipeIsWrittenToNotReplaced) {
  testing::TempDir dir;
  const std::string path = dir / "fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(WriteFileAtomic(path, "through the pipe"));
  char buf[64] = {};
  ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "through the pipe");
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the pipe was replaced by a file";
}

TEST(WriteFileAtomic, DirectoryTargetIsBadInputAndUntouched) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "d");
  std::ofstream(dir.path() / "d" / "keep") << "x";
  auto s = WriteFileAtomic(dir / "d", "content");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kInput);
  EXPECT_TRUE(fs::is_directory(dir.path() / "d"));
  EXPECT_TRUE(fs::exists(dir.path() / "d" / "keep"));
}

TEST(WriteFileAtomic, MissingDirectoryIsAnIoErrorNamingThePath) {
  testing::TempDir dir;
  const std::string path = dir / "no/such/dir/out.txt";
  auto s = WriteFileAtomic(path, "x");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message().rfind(path + ":", 0), 0u) << s.error().message();
}

TEST(ReadFileBounded, RefusesLargerFilesAndDirectories) {
  testing::TempDir dir;
  const std::string path = dir / "big";
  std::ofstream(path) << std::string(100, 'a');
  EXPECT_TRUE(ReadFileBounded(path, 100).has_value());
  EXPECT_FALSE(ReadFileBounded(path, 99).has_value());
  EXPECT_FALSE(ReadFileBounded(dir.path().string()).has_value());
}

}  // namespace
}  // namespace tollgate
