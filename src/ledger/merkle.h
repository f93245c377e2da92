// RFC 9162 Merkle tree hashing, proofs and proof verification.
//
//   leaf hash  = SHA-256(0x00 || entry)
//   node hash  = SHA-256(0x01 || left || right)
//   empty tree = SHA-256("")
//
// Proof generation works over a SubtreeSource that yields the hash of any
// perfect, aligned subtree, so a store can answer from precomputed interior
// nodes instead of rebuilding the tree per proof.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/hash.h"
#include "core/result.h"

namespace tollgate::ledger {

Hash256 LeafHash(std::span<const std::uint8_t> entry);
Hash256 NodeHash(const Hash256& left, const Hash256& right);
Hash256 EmptyRoot();

// Root of a tree over the given leaf hashes, in memory.
Hash256 RootFromLeafHashes(std::span<const Hash256> leaves);

// Verifiers per RFC 9162 2.1.3.2 and 2.1.4.2. They return an Integrity error
// saying what did not match. Roots and leaf hashes are byte strings because
// they come from untrusted proofs; one of the wrong length never matches.
// A consistency proof from size 0 proves nothing and is refused.
Status VerifyInclusion(std::uint64_t index, std::uint64_t size, std::span<const std::uint8_t> leaf_hash,
                       std::span<const Hash256> proof, std::span<const std::uint8_t> root);
Status VerifyConsistency(std::uint64_t size1, std::uint64_t size2, std::span<const std::uint8_t> root1,
                         std::span<const std::uint8_t> root2, std::span<const Hash256> proof);

// Hashes of perfect subtrees: PerfectSubtree(begin, level) is the root of the
// leaves [begin, begin + 2^level); `begin` is a multiple of 2^level.
class SubtreeSource {
 public:
  virtual ~SubtreeSource() = default;
  virtual Result<Hash256> PerfectSubtree(std::uint64_t begin, unsigned level) = 0;
};

// MTH of the leaves [begin, end), where `begin` is aligned to the largest
// power of two not exceeding end - begin (true of every range RFC 9162
// recursion visits).
Result<Hash256> RangeHash(SubtreeSource& src, std::uint64_t begin, std::uint64_t end);
Result<std::vector<Hash256>> InclusionProof(SubtreeSource& src, std::uint64_t index, std::uint64_t size);
Result<std::vector<Hash256>> ConsistencyProof(SubtreeSource& src, std::uint64_t size1, std::uint64_t size2);

// The right frontier of a growing tree: one perfect subtree per set bit of
// size. Appending is O(1) amortised; the root is O(log n).
class CompactRange {
 public:
  // Called for every perfect subtree completed by an append, leaves included
  // (level 0), with index = begin >> level.
  using NodeSink = std::function<void(unsigned level, std::uint64_t index, const Hash256& hash)>;

  CompactRange() = default;
  // Frontier for a tree of `size` leaves, loading the perfect subtrees from src.
  static Result<CompactRange> AtSize(SubtreeSource& src, std::uint64_t size);

  void Append(const Hash256& leaf, const NodeSink& sink = nullptr);
  Hash256 Root() const;
  std::uint64_t size() const { return size_; }

 private:
  struct Node {
    unsigned level;
    Hash256 hash;
  };
  std::vector<Node> stack_;  // left to right, strictly decreasing levels
  std::uint64_t size_ = 0;
};

}  // namespace tollgate::ledger
