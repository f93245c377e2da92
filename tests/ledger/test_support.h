// Shared helpers for the ledger tests.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ledger/ledger.h"

namespace tollgate::testing {

// A fresh directory under the system temp dir, removed when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tollgate-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path SharedDir() { return TOLLGATE_SHARED_DIR; }

}  // namespace tollgate::testing

namespace tollgate::ledger::test {

inline FixedClock& TestClock() {
  static FixedClock clock(TimePoint(std::chrono::seconds(1767225600)));  // 2026-01-01T00:00:00Z
  return clock;
}

inline std::unique_ptr<Ledger> MustOpen(const std::string& path, OpenMode mode = OpenMode::kCreate) {
  auto l = Ledger::Open(path, mode, TestClock());
  EXPECT_TRUE(l.has_value()) << (l ? "" : l.error().message());
  return l ? std::move(*l) : nullptr;
}

// `n` events of type "test" whose payloads count from `start`.
inline std::vector<Json> Events(int n, int start = 0) {
  std::vector<Json> v;
  for (int i = 0; i < n; ++i) v.push_back(Json{{"type", "test"}, {"payload", {{"n", start + i}}}});
  return v;
}

// Runs SQL on the ledger's file directly, as an attacker with file access would.
inline void Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

}  // namespace tollgate::ledger::test
