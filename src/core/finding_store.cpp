#include "core/finding_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <string_view>

namespace tollgate {

namespace {

// Runs kept before they are merged into one, so that reading never holds
// more than this many read buffers.
constexpr std::size_t kMaxRuns = 64;
constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;
constexpr std::size_t kReadBuffer = std::size_t{256} << 10;

std::string TempDir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

// Findings beyond the memory budget go to TMPDIR; when that fails, say where
// and why (the environment, not the input, is at fault).
Error SpillError(const std::string& what) {
  return Error::Io("temporary folder " + TempDir() + " ($TMPDIR), for findings that do not fit in memory: " + what +
                   ": " + std::strerror(errno));
}

// An unlinked file of our own: nothing is left behind whatever happens.
Result<int> OpenTempFile() {
  const std::string dir = TempDir();
  int fd = -1;
#ifdef O_TMPFILE
  fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
#endif
  std::string name = dir + "/tollgate-findings.XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Fail(SpillError("cannot create a temporary file"));
  ::unlink(name.c_str());
  return fd;
}

// The bytes a held finding costs, near enough to keep to a budget. A rule's
// shared remediation text is not counted: many findings share it.
std::size_t HeapBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

std::size_t ApproxBytes(const Finding& f) {
  std::size_t n = sizeof(Finding) + HeapBytes(f.rule_id) + HeapBytes(f.gate) + HeapBytes(f.message) +
                  HeapBytes(f.location.file) + HeapBytes(f.location.commit) + HeapBytes(f.fingerprint) +
                  HeapBytes(f.tool) + f.references.capacity() * sizeof(std::string);
  for (const std::string& r : f.references) n += HeapBytes(r);
  if (!f.details.is_null()) n += 128 + 128 * f.details.size();
  return n;
}

// ------------------------------------------------------------- encoding ---
// A record: u32 length of the rest, then severity (u8), line and column (u32
// each), the strings (u32 length and bytes), the references (u32 count and
// strings) and the details (u32 length and MessagePack, 0 when null).

void PutU32(std::string& out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

void Encode(const Finding& f, std::string& out) {
  const std::size_t start = out.size();
  PutU32(out, 0);
  out.push_back(static_cast<char>(f.severity));
  PutU32(out, f.location.line);
  PutU32(out, f.location.column);
  for (std::string_view s :
       {std::string_view(f.rule_id), std::string_view(f.gate), std::string_view(f.message),
        std::string_view(f.location.file), std::string_view(f.location.commit), std::string_view(f.fingerprint),
        std::string_view(f.remediation.str()), std::string_view(f.tool)})
    PutString(out, s);
  PutU32(out, static_cast<std::uint32_t>(f.references.size()));
  for (const std::string& r : f.references) PutString(out, r);
  if (f.details.is_null()) {
    PutU32(out, 0);
  } else {
    std::vector<std::uint8_t> packed = Json::to_msgpack(f.details);
    PutU32(out, static_cast<std::uint32_t>(packed.size()));
    out.append(reinterpret_cast<const char*>(packed.data()), packed.size());
  }
  const auto length = static_cast<std::uint32_t>(out.size() - start - 4);
  std::memcpy(out.data() + start, &length, 4);
}

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool U32(std::uint32_t& v) {
    if (in_.size() < 4) return false;
    std::memcpy(&v, in_.data(), 4);
    in_.remove_prefix(4);
    return true;
  }
  bool Bytes(std::string_view& s) {
    std::uint32_t n = 0;
    if (!U32(n) || in_.size() < n) return false;
    s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool String(std::string& s) {
    std::string_view v;
    if (!Bytes(v)) return false;
    s.assign(v);
    return true;
  }
  bool Byte(std::uint8_t& b) {
    if (in_.empty()) return false;
    b = static_cast<std::uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

bool Decode(std::string_view record, Finding& f) {
  Decoder d(record);
  std::uint8_t severity = 0;
  std::string remediation;
  std::uint32_t refs = 0;
  if (!d.Byte(severity) || severity > static_cast<std::uint8_t>(Severity::kUnknown)) return false;
  f.severity = static_cast<Severity>(severity);
  if (!d.U32(f.location.line) || !d.U32(f.location.column)) return false;
  for (std::string* s :
       {&f.rule_id, &f.gate, &f.message, &f.location.file, &f.location.commit, &f.fingerprint, &remediation, &f.tool})
    if (!d.String(*s)) return false;
  f.remediation = std::move(remediation);
  if (!d.U32(refs)) return false;
  f.references.clear();
  for (std::uint32_t i = 0; i < refs; ++i)
    if (!d.String(f.references.emplace_back())) return false;
  std::string_view packed;
  if (!d.Bytes(packed)) return false;
  f.details = packed.empty() ? Json() : Json::from_msgpack(packed, true, false);
  return !f.details.is_discarded() && d.done();
}

}  // namespace

// ------------------------------------------------------------------ runs ---

struct FindingStore::Run {
  int fd = -1;
  std::uint64_t bytes = 0;
  Run() = default;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

// Writes records to a run's file, a buffer at a time.
class RunWriter {
 public:
  explicit RunWriter(int fd) : fd_(fd) {}
  Status Add(const Finding& f) {
    Encode(f, buffer_);
    if (buffer_.size() >= kWriteBuffer) return Flush();
    return Ok();
  }
  Status Flush() {
    std::string_view rest = buffer_;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd_, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Fail(SpillError("cannot write"));
      rest.remove_prefix(static_cast<std::size_t>(n));
      written_ += static_cast<std::uint64_t>(n);
    }
    buffer_.clear();
    return Ok();
  }
  std::uint64_t written() const { return written_; }

 private:
  int fd_;
  std::string buffer_;
  std::uint64_t written_ = 0;
};

// Reads a run's records back in order, a buffer at a time (pread: several
// readers of one file never disturb each other).
class RunReader {
 public:
  RunReader(int fd, std::uint64_t bytes) : fd_(fd), bytes_(bytes) {}

  // The next finding into `f`; false at the end of the run.
  Result<bool> Next(Finding& f) {
    std::uint32_t length = 0;
    auto have_or = Fill(4);
    if (!have_or) return Fail(have_or.error());
    bool have = *have_or;
    if (!have) return false;
    std::memcpy(&length, buffer_.data() + pos_, 4);
    auto whole_or = Fill(std::size_t{4} + length);
    if (!whole_or) return Fail(whole_or.error());
    bool whole = *whole_or;
    if (!whole) return Fail(Error::Io("temporary folder " + TempDir() + ": a file of findings ends inside a record"));
    if (!Decode(std::string_view(buffer_).substr(pos_ + 4, length), f))
      return Fail(Error::Io("temporary folder " + TempDir() + ": a finding written there cannot be read back"));
    pos_ += std::size_t{4} + length;
    return true;
  }

 private:
  // At least `n` unread bytes in the buffer; false at the end of the run.
  Result<bool> Fill(std::size_t n) {
    if (buffer_.size() - pos_ >= n) return true;
    buffer_.erase(0, pos_);
    pos_ = 0;
    while (buffer_.size() < n && offset_ < bytes_) {
      const std::size_t want = std::max(kReadBuffer, n - buffer_.size());
      const std::size_t old = buffer_.size();
      buffer_.resize(old + want);
      const ssize_t got = ::pread(fd_, buffer_.data() + old, want, static_cast<off_t>(offset_));
      if (got < 0 && errno == EINTR) {
        buffer_.resize(old);
        continue;
      }
      if (got <= 0) {
        buffer_.resize(old);
        return Fail(SpillError("cannot read back"));
      }
      buffer_.resize(old + static_cast<std::size_t>(got));
      offset_ += static_cast<std::uint64_t>(got);
    }
    return buffer_.size() >= n;
  }

  int fd_;
  std::uint64_t bytes_;
  std::uint64_t offset_ = 0;
  std::string buffer_;
  std::size_t pos_ = 0;
};

// One source of the merge: a run on disk, or the sorted findings in memory.
struct Cursor {
  std::size_t source = 0;  // ties go to the lower source: the order added
  std::unique_ptr<RunReader> reader;
  const std::vector<const Finding*>* held = nullptr;
  std::size_t next = 0;
  Finding current;
  const Finding* at = nullptr;

  Result<bool> Advance() {
    if (held != nullptr) {
      if (next == held->size()) return false;
      at = (*held)[next++];
      return true;
    }
    auto more_or = reader->Next(current);
    if (!more_or) return Fail(more_or.error());
    bool more = *more_or;
    at = more ? &current : nullptr;
    return more;
  }
};

// Merges the runs and the (sorted) held findings, calling `fn` for each.
Status Merge(std::vector<Cursor>& cursors, const std::function<Status(const Finding&)>& fn) {
  auto later = [&](std::size_t a, std::size_t b) {
    const Finding& x = *cursors[a].at;
    const Finding& y = *cursors[b].at;
    if (FindingBefore(y, x)) return true;
    if (FindingBefore(x, y)) return false;
    return cursors[a].source > cursors[b].source;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
  for (std::size_t i = 0; i < cursors.size(); ++i) {
    auto any_or = cursors[i].Advance();
    if (!any_or) return Fail(any_or.error());
    bool any = *any_or;
    if (any) heap.push(i);
  }
  while (!heap.empty()) {
    const std::size_t i = heap.top();
    heap.pop();
    TG_TRY(fn(*cursors[i].at));
    auto more_or = cursors[i].Advance();
    if (!more_or) return Fail(more_or.error());
    bool more = *more_or;
    if (more) heap.push(i);
  }
  return Ok();
}

}  // namespace

// ----------------------------------------------------------------- store ---

namespace {
// Findings per piece: more than glibc's largest mmap threshold (32 MiB), so a
// full piece is its own mapping.
constexpr std::size_t kPiece = (std::size_t{33} << 20) / sizeof(Finding);
}  // namespace

FindingStore::FindingStore(std::size_t memory_budget) : budget_(memory_budget) {}
FindingStore::FindingStore(FindingStore&&) noexcept = default;
FindingStore& FindingStore::operator=(FindingStore&&) noexcept = default;
FindingStore::~FindingStore() = default;

std::size_t FindingStore::runs_on_disk() const { return runs_.size(); }

bool FindingStore::HasAtOrAbove(Severity threshold, Severity unknown_as) const {
  for (std::size_t i = 0; i < kSeverityCount; ++i)
    if ((severities_ & (1u << i)) && AtOrAbove(static_cast<Severity>(i), threshold, unknown_as)) return true;
  return false;
}

Status FindingStore::Add(Finding f) {
  severities_ = static_cast<std::uint8_t>(severities_ | (1u << static_cast<unsigned>(f.severity)));
  held_bytes_ += ApproxBytes(f);
  if (held_.empty() || held_.back().size() == kPiece) held_.emplace_back();
  std::vector<Finding>& piece = held_.back();
  if (piece.size() == piece.capacity() && piece.capacity() >= kPiece / 2) piece.reserve(kPiece);
  piece.push_back(std::move(f));
  ++held_count_;
  ++size_;
  sorted_valid_ = false;
  if (held_bytes_ > budget_) return Spill();
  return Ok();
}

Status FindingStore::Absorb(FindingStore&& other) {
  severities_ = static_cast<std::uint8_t>(severities_ | other.severities_);
  other.severities_ = 0;
  for (auto& run : other.runs_) runs_.push_back(std::move(run));
  // The held pieces change hands whole: no finding is moved or copied.
  for (auto& piece : other.held_) held_.push_back(std::move(piece));
  size_ += other.size_;
  held_count_ += other.held_count_;
  held_bytes_ += other.held_bytes_;
  sorted_valid_ = false;
  other.held_.clear();
  other.Clear();
  if (held_bytes_ > budget_) return Spill();
  if (runs_.size() > kMaxRuns) return MergeRuns();
  return Ok();
}

void FindingStore::ReleaseHeld() {
  held_.clear();
  held_.shrink_to_fit();
  held_count_ = 0;
  held_bytes_ = 0;
  std::vector<const Finding*>().swap(sorted_);
  sorted_valid_ = true;
}

void FindingStore::Clear() {
  ReleaseHeld();
  severities_ = 0;
  runs_.clear();
  size_ = 0;
}

const std::vector<const Finding*>& FindingStore::Sorted() const {
  if (!sorted_valid_) {
    sorted_.clear();
    sorted_.reserve(held_count_);
    for (const auto& piece : held_)
      for (const Finding& f : piece) sorted_.push_back(&f);
    std::stable_sort(sorted_.begin(), sorted_.end(),
                     [](const Finding* a, const Finding* b) { return FindingBefore(*a, *b); });
    sorted_valid_ = true;
  }
  return sorted_;
}

Result<std::unique_ptr<FindingStore::Run>> FindingStore::WriteRun(const Each& each) {
  auto fd = OpenTempFile();
  if (!fd) return Fail(fd.error());
  auto run = std::make_unique<Run>();
  run->fd = *fd;
  RunWriter writer(run->fd);
  TG_TRY(each([&](const Finding& f) { return writer.Add(f); }));
  TG_TRY(writer.Flush());
  run->bytes = writer.written();
  return run;
}

Status FindingStore::MergeAll(const std::vector<const Finding*>* held, const FindingFn& fn) const {
  std::vector<Cursor> cursors(runs_.size() + (held != nullptr ? 1 : 0));
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    cursors[i].source = i;
    cursors[i].reader = std::make_unique<RunReader>(runs_[i]->fd, runs_[i]->bytes);
  }
  if (held != nullptr) {
    cursors.back().source = runs_.size();
    cursors.back().held = held;
  }
  return Merge(cursors, fn);
}

Status FindingStore::Spill() {
  auto run = WriteRun([&](const FindingFn& sink) -> Status {
    for (const Finding* f : Sorted()) TG_TRY(sink(*f));
    return Ok();
  });
  if (!run) return Fail(run.error());
  runs_.push_back(std::move(*run));
  ReleaseHeld();
  if (runs_.size() > kMaxRuns) return MergeRuns();
  return Ok();
}

Status FindingStore::MergeRuns() {
  auto merged = WriteRun([&](const FindingFn& sink) { return MergeAll(nullptr, sink); });
  if (!merged) return Fail(merged.error());
  runs_.clear();
  runs_.push_back(std::move(*merged));
  return Ok();
}

Status FindingStore::ForEach(const FindingFn& fn) const {
  const std::vector<const Finding*>& sorted = Sorted();
  if (runs_.empty()) {
    for (const Finding* f : sorted) TG_TRY(fn(*f));
    return Ok();
  }
  return MergeAll(&sorted, fn);
}

Result<std::vector<Finding>> FindingStore::Take() {
  std::vector<Finding> out;
  out.reserve(size_);
  if (runs_.empty()) {
    for (std::vector<Finding>& piece : held_) {
      for (Finding& f : piece) out.push_back(std::move(f));
      std::vector<Finding>().swap(piece);
    }
  } else {
    TG_TRY(ForEach([&](const Finding& f) {
      out.push_back(f);
      return Ok();
    }));
  }
  Clear();
  return out;
}

}  // namespace tollgate
