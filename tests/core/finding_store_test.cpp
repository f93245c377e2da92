#include "core/finding_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "support/temp_dir.h"

namespace tollgate {
namespace {

using ::testing::HasSubstr;

// The order FindingBefore promises (core/finding.h), written out here so the
// store is checked against the specification rather than against itself.
bool SpecifiedBefore(const Finding& a, const Finding& b) {
  if (a.severity != b.severity) return a.severity > b.severity;
  return std::tie(a.location.file, a.location.line, a.location.column, a.rule_id, a.fingerprint) <
         std::tie(b.location.file, b.location.line, b.location.column, b.rule_id, b.fingerprint);
}

// Findings of every shape a scanner makes, in a scrambled order, with ties
// (equal keys, different messages) to check the order among equals.
std::vector<Finding> Findings(std::size_t n) {
  std::vector<Finding> out;
  const SharedText help = std::string("Rotate it.\n") + std::string(200, 'h');
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = (i * 7919) % n;
    Finding f;
    f.rule_id = "rule-" + std::to_string(k % 13);
    f.gate = k % 3 ? "sast" : "secrets";
    f.severity = static_cast<Severity>(k % 5);
    f.message = "message " + std::to_string(i) + " \xff\x01 with bytes";
    f.location = {"src/dir" + std::to_string(k % 17) + "/file.js", static_cast<std::uint32_t>(k % 50),
                  static_cast<std::uint32_t>(k % 3), k % 5 ? "" : "abc123"};
    f.fingerprint = k % 23 == 0 ? "" : "fp-" + std::to_string(k % 400);  // ties: equal keys
    if (k % 2) f.remediation = help;
    if (k % 3) f.references = {"CWE-" + std::to_string(k % 7), "https://example.test/" + std::to_string(k)};
    f.tool = k % 4 ? "CodeQL" : "";
    if (k % 6 == 0) f.details = {{"suppression", {{"kind", "inSource"}, {"line", k}}}, {"cvss", 7.5}};
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Json> Read(const FindingStore& store) {
  std::vector<Json> out;
  auto s = store.ForEach([&](const Finding& f) {
    out.push_back(ToJson(f));
    return Ok();
  });
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  return out;
}

std::vector<Json> Expected(std::vector<Finding> findings) {
  std::stable_sort(findings.begin(), findings.end(), SpecifiedBefore);
  std::vector<Json> out;
  for (const Finding& f : findings) out.push_back(ToJson(f));
  return out;
}

// A store of `findings`, added one by one.
FindingStore Filled(const std::vector<Finding>& findings, std::size_t budget = FindingStore::kDefaultMemory) {
  FindingStore store(budget);
  for (const Finding& f : findings) {
    auto s = store.Add(f);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message());
  }
  return store;
}

TEST(FindingStore, FindingsWithinTheBudgetAreReadInOrderWithoutDisk) {
  const auto findings = Findings(500);
  const FindingStore store = Filled(findings);
  EXPECT_EQ(store.runs_on_disk(), 0u);
  EXPECT_EQ(store.size(), 500u);
  EXPECT_EQ(Read(store), Expected(findings));
}

// Beyond the budget, runs go to disk; reading merges them into exactly the
// order of the findings sorted in memory, equal findings in the order added,
// every field (details, shared text, bytes that are not UTF-8) intact, and
// as many times as a writer asks.
TEST(FindingStore, SpilledRunsReadBackWholeAndInOrder) {
  const auto findings = Findings(6000);
  const FindingStore store = Filled(findings, 64 << 10);
  EXPECT_GT(store.runs_on_disk(), 3u);
  EXPECT_EQ(store.size(), 6000u);
  const auto want = Expected(findings);
  EXPECT_EQ(Read(store), want);
  EXPECT_EQ(Read(store), want) << "a second reading";
}

// A budget so small that every finding is its own run: the runs are merged
// as they pile up, so reading never holds more than a bounded number of
// files and buffers, and the order is still exact.
TEST(FindingStore, ManyRunsAreMergedSoReadingStaysBounded) {
  const auto findings = Findings(300);
  const FindingStore store = Filled(findings, 1);
  EXPECT_GE(store.runs_on_disk(), 1u);
  EXPECT_LE(store.runs_on_disk(), 65u);
  EXPECT_EQ(Read(store), Expected(findings));
}

// An unrated finding meets a threshold as the caller rates it (high unless
// told otherwise), and never hides a rated one above it.
TEST(FindingStore, UnratedFindingsMeetThresholdsAsTheCallerRatesThem) {
  FindingStore store;
  Finding unrated;
  unrated.rule_id = "GHSA-unrated";
  unrated.severity = Severity::kUnknown;
  ASSERT_TRUE(store.Add(unrated).has_value());
  EXPECT_TRUE(store.HasAtOrAbove(Severity::kHigh));
  EXPECT_FALSE(store.HasAtOrAbove(Severity::kCritical));
  EXPECT_FALSE(store.HasAtOrAbove(Severity::kMedium, Severity::kLow));
  EXPECT_TRUE(store.HasAtOrAbove(Severity::kCritical, Severity::kCritical));
  Finding low;
  low.rule_id = "r";
  low.severity = Severity::kLow;
  ASSERT_TRUE(store.Add(low).has_value());
  EXPECT_TRUE(store.HasAtOrAbove(Severity::kLow, Severity::kInfo));
  EXPECT_FALSE(store.HasAtOrAbove(Severity::kMedium, Severity::kInfo));
}

TEST(FindingStore, AbsorbTakeAndClearKeepEveryFindingOnce) {
  const auto findings = Findings(2000);
  FindingStore a(32 << 10);
  FindingStore b(32 << 10);
  for (std::size_t i = 0; i < findings.size(); ++i) ASSERT_TRUE((i % 2 ? a : b).Add(findings[i]).has_value());
  ASSERT_TRUE(a.Absorb(std::move(b)).has_value());
  EXPECT_EQ(a.size(), 2000u);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_TRUE(a.HasAtOrAbove(Severity::kCritical));
  auto taken = a.Take();
  ASSERT_TRUE(taken.has_value());
  std::vector<Json> got;
  for (const Finding& f : *taken) got.push_back(ToJson(f));
  auto sorted = Expected(findings);
  std::vector<Json> want = sorted;
  // Ties may come in another order once runs are merged: compare as sets of
  // equal keys by sorting both JSON lists.
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_FALSE(a.HasAtOrAbove(Severity::kInfo));

  // In memory, Take hands the findings back in the order added.
  FindingStore small = Filled(findings);
  auto in_order = small.Take();
  ASSERT_TRUE(in_order.has_value());
  ASSERT_EQ(in_order->size(), findings.size());
  for (std::size_t i = 0; i < findings.size(); ++i) EXPECT_EQ(ToJson((*in_order)[i]), ToJson(findings[i]));
}

TEST(FindingStore, ErrorsOfTheCallerStopTheReading) {
  const FindingStore store = Filled(Findings(100), 1 << 10);
  int seen = 0;
  auto s = store.ForEach([&](const Finding&) { return ++seen == 10 ? Fail(Error::Io("stdout: broken pipe")) : Ok(); });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message(), "stdout: broken pipe");
  EXPECT_EQ(seen, 10);
}

// Where the temporary files cannot be made, adding fails with an I/O error
// that names the folder (and the findings held so far are still readable).
TEST(FindingStore, TempDirThatCannotBeWrittenIsAnErrorNamingIt) {
  const char* old = std::getenv("TMPDIR");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("TMPDIR", "/nonexistent-tollgate-dir", 1);
  FindingStore store(1);
  auto s = store.Add(Findings(1).front());
  if (saved) {
    ::setenv("TMPDIR", saved->c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kIo);
  EXPECT_THAT(s.error().message(), HasSubstr("/nonexistent-tollgate-dir"));
}

}  // namespace
}  // namespace tollgate
