// FindingStore: findings of any number, read back in FindingBefore order,
// in memory proportionate to a budget rather than to the findings. Up to the
// budget they are held as they are; beyond it each full batch is sorted and
// written as a run to an unlinked temporary file (in $TMPDIR, else /tmp), and
// reading merges the runs. What a report of a million findings needs is the
// budget plus a read buffer per run, never the findings.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/finding.h"
#include "core/result.h"

namespace tollgate {

class FindingStore {
 public:
  using FindingFn = std::function<Status(const Finding&)>;

  // Held in memory before a batch goes to disk. The default keeps a scan
  // import of any size well under 256 MB.
  static constexpr std::size_t kDefaultMemory = std::size_t{64} << 20;

  explicit FindingStore(std::size_t memory_budget = kDefaultMemory);
  FindingStore(FindingStore&&) noexcept;
  FindingStore& operator=(FindingStore&&) noexcept;
  ~FindingStore();

  // Errors are I/O errors of the temporary files (a full disk), naming them.
  Status Add(Finding f);
  // Moves every finding of `other` into this store; `other` is left empty.
  Status Absorb(FindingStore&& other);
  void Clear();

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Whether a finding meets `threshold` (core AtOrAbove).
  bool HasAtOrAbove(Severity threshold, Severity unknown_as = kUnknownSeverityDefault) const;
  // Sorted runs written to disk so far (0 while everything fits the budget).
  std::size_t runs_on_disk() const;

  // Every finding, moved out (the store is left empty): in the order added
  // when none went to disk, else in FindingBefore order.
  Result<std::vector<Finding>> Take();

  // Calls `fn` for every finding in FindingBefore order, as many times as a
  // caller needs; the first error (`fn`'s or reading a run's) stops it.
  // Findings equal in that order come in the order they were added, unless a
  // run went to disk between them. Not safe to call from two threads at once.
  Status ForEach(const FindingFn& fn) const;

 private:
  struct Run;
  // Calls its argument for each finding of a new run, in order.
  using Each = std::function<Status(const FindingFn&)>;
  static Result<std::unique_ptr<Run>> WriteRun(const Each& each);
  // The runs (and `held`, when given) merged into `fn`.
  Status MergeAll(const std::vector<const Finding*>* held, const FindingFn& fn) const;
  Status Spill();
  Status MergeRuns();
  // The held findings in FindingBefore order (stable), made when needed.
  const std::vector<const Finding*>& Sorted() const;
  void ReleaseHeld();

  std::size_t budget_;
  std::size_t size_ = 0;
  std::uint8_t severities_ = 0;  // bit i: a finding of Severity i
  // Findings in memory, in the order added, in pieces that are each their
  // own memory mapping once full: a vector's doubling would briefly hold
  // twice the findings, and freeing a piece returns its memory at once.
  std::vector<std::vector<Finding>> held_;
  std::size_t held_count_ = 0;
  std::size_t held_bytes_ = 0;  // estimate
  mutable std::vector<const Finding*> sorted_;
  mutable bool sorted_valid_ = true;
  std::vector<std::unique_ptr<Run>> runs_;
};

}  // namespace tollgate
