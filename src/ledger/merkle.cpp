#include "ledger/merkle.h"

#include <algorithm>
#include <bit>
#include <string>

namespace tollgate::ledger {
namespace {

// Largest power of two strictly less than n (n >= 2).
std::uint64_t SplitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

Error Mismatch(const std::string& what) { return Error::Integrity(what); }

bool SameBytes(const Hash256& a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

Hash256 LeafHash(std::span<const std::uint8_t> entry) {
  // One contiguous buffer per thread: a one-shot digest is much cheaper than
  // an incremental hasher per leaf.
  thread_local std::vector<std::uint8_t> buf;
  buf.resize(entry.size() + 1);
  buf[0] = 0x00;
  std::copy(entry.begin(), entry.end(), buf.begin() + 1);
  return Sha256(std::span<const std::uint8_t>(buf));
}

Hash256 NodeHash(const Hash256& left, const Hash256& right) {
  std::uint8_t buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  return Sha256(std::span<const std::uint8_t>(buf, sizeof buf));
}

Hash256 EmptyRoot() { return Sha256(std::string_view()); }

Hash256 RootFromLeafHashes(std::span<const Hash256> leaves) {
  CompactRange cr;
  for (const auto& l : leaves) cr.Append(l);
  return cr.Root();
}

Status VerifyInclusion(std::uint64_t index, std::uint64_t size, std::span<const std::uint8_t> leaf_hash,
                       std::span<const Hash256> proof, std::span<const std::uint8_t> root) {
  if (index >= size) return Fail(Mismatch("inclusion proof: index " + std::to_string(index) + " is beyond tree size " + std::to_string(size)));
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  if (leaf_hash.size() != 32) return Fail(Mismatch("inclusion proof: leaf hash is not 32 bytes"));
  Hash256 r;
  std::copy(leaf_hash.begin(), leaf_hash.end(), r.begin());
  for (const auto& p : proof) {
    if (sn == 0) return Fail(Mismatch("inclusion proof: too many hashes"));
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail(Mismatch("inclusion proof: too few hashes"));
  if (!SameBytes(r, root)) return Fail(Mismatch("inclusion proof: computed root does not match"));
  return Ok();
}

Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2, std::span<const std::uint8_t> root1,
                         std::span<const std::uint8_t> root2, std::span<const Hash256> proof) {
  if (size1 > size2) return Fail(Mismatch("consistency proof: first size exceeds second size"));
  if (size1 == 0) return Fail(Mismatch("consistency proof: a proof from the empty tree proves nothing"));
  if (size1 == size2) {
    if (!proof.empty()) return Fail(Mismatch("consistency proof: must be empty for equal sizes"));
    if (!std::equal(root1.begin(), root1.end(), root2.begin(), root2.end()))
      return Fail(Mismatch("consistency proof: roots of equal-size trees differ"));
    return Ok();
  }
  if (proof.empty()) return Fail(Mismatch("consistency proof: empty"));
  if (root1.size() != 32 || root2.size() != 32) return Fail(Mismatch("consistency proof: a root is not 32 bytes"));
  std::vector<Hash256> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1)) {
    Hash256 r1;
    std::copy(root1.begin(), root1.end(), r1.begin());
    path.push_back(r1);
  }
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = size1 - 1;
  std::uint64_t sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash256 fr = path[0];
  Hash256 sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash256& c = path[i];
    if (sn == 0) return Fail(Mismatch("consistency proof: too many hashes"));
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail(Mismatch("consistency proof: too few hashes"));
  if (!SameBytes(fr, root1)) return Fail(Mismatch("consistency proof: first root does not match"));
  if (!SameBytes(sr, root2)) return Fail(Mismatch("consistency proof: second root does not match"));
  return Ok();
}

Result<Hash256> RangeHash(SubtreeSource& src, std::uint64_t begin, std::uint64_t end) {
  if (end <= begin) return EmptyRoot();
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n)) return src.PerfectSubtree(begin, static_cast<unsigned>(std::countr_zero(n)));
  std::uint64_t k = SplitPoint(n);
  auto left = src.PerfectSubtree(begin, static_cast<unsigned>(std::countr_zero(k)));
  if (!left) return left;
  auto right = RangeHash(src, begin + k, end);
  if (!right) return right;
  return NodeHash(*left, *right);
}

namespace {

// PATH(m, D[begin:begin+n]) of RFC 9162 2.1.3.1, innermost sibling first.
Status Path(SubtreeSource& src, std::uint64_t m, std::uint64_t begin, std::uint64_t n, std::vector<Hash256>& out) {
  if (n <= 1) return Ok();
  std::uint64_t k = SplitPoint(n);
  if (m < k) {
    TG_TRY(Path(src, m, begin, k, out));
    auto h = RangeHash(src, begin + k, begin + n);
    if (!h) return Fail(h.error());
    out.push_back(*h);
  } else {
    TG_TRY(Path(src, m - k, begin + k, n - k, out));
    auto h = RangeHash(src, begin, begin + k);
    if (!h) return Fail(h.error());
    out.push_back(*h);
  }
  return Ok();
}

// SUBPROOF(m, D[begin:begin+n], b) of RFC 9162 2.1.4.1.
Status SubProof(SubtreeSource& src, std::uint64_t m, std::uint64_t begin, std::uint64_t n, bool b,
                std::vector<Hash256>& out) {
  if (m == n) {
    if (!b) {
      auto h = RangeHash(src, begin, begin + n);
      if (!h) return Fail(h.error());
      out.push_back(*h);
    }
    return Ok();
  }
  std::uint64_t k = SplitPoint(n);
  if (m <= k) {
    TG_TRY(SubProof(src, m, begin, k, b, out));
    auto h = RangeHash(src, begin + k, begin + n);
    if (!h) return Fail(h.error());
    out.push_back(*h);
  } else {
    TG_TRY(SubProof(src, m - k, begin + k, n - k, false, out));
    auto h = RangeHash(src, begin, begin + k);
    if (!h) return Fail(h.error());
    out.push_back(*h);
  }
  return Ok();
}

}  // namespace

Result<std::vector<Hash256>> InclusionProof(SubtreeSource& src, std::uint64_t index, std::uint64_t size) {
  if (index >= size)
    return Fail(Error::Input("index " + std::to_string(index) + " is not below tree size " + std::to_string(size)));
  std::vector<Hash256> out;
  TG_TRY(Path(src, index, 0, size, out));
  return out;
}

Result<std::vector<Hash256>> ConsistencyProof(SubtreeSource& src, std::uint64_t size1, std::uint64_t size2) {
  if (size1 > size2)
    return Fail(Error::Input("first size " + std::to_string(size1) + " exceeds second size " + std::to_string(size2)));
  std::vector<Hash256> out;
  if (size1 == 0 || size1 == size2) return out;
  TG_TRY(SubProof(src, size1, 0, size2, true, out));
  return out;
}

Result<CompactRange> CompactRange::AtSize(SubtreeSource& src, std::uint64_t size) {
  CompactRange cr;
  std::uint64_t begin = 0;
  for (int bit = 63; bit >= 0; --bit) {
    std::uint64_t span = std::uint64_t{1} << bit;
    if ((size & span) == 0) continue;
    auto h = src.PerfectSubtree(begin, static_cast<unsigned>(bit));
    if (!h) return Fail(h.error());
    cr.stack_.push_back({static_cast<unsigned>(bit), *h});
    begin += span;
  }
  cr.size_ = size;
  return cr;
}

void CompactRange::Append(const Hash256& leaf, const NodeSink& sink) {
  std::uint64_t pos = size_;
  if (sink) sink(0, pos, leaf);
  Node cur{0, leaf};
  while (!stack_.empty() && stack_.back().level == cur.level) {
    cur.hash = NodeHash(stack_.back().hash, cur.hash);
    cur.level += 1;
    stack_.pop_back();
    if (sink) sink(cur.level, pos >> cur.level, cur.hash);
  }
  stack_.push_back(cur);
  ++size_;
}

Hash256 CompactRange::Root() const {
  if (stack_.empty()) return EmptyRoot();
  Hash256 r = stack_.back().hash;
  for (std::size_t i = stack_.size() - 1; i-- > 0;) r = NodeHash(stack_[i].hash, r);
  return r;
}

}  // namespace tollgate::ledger
