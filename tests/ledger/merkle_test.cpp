// RFC 9162 hashing and proofs, checked against the transparency-dev/merkle
// test vectors in ../shared/corpora/merkle and against our own generator.
#include "ledger/merkle.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace tollgate::ledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path MerkleCorpus() { return testing::SharedDir() / "corpora" / "merkle"; }

json Load(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

Bytes B64(const json& j) {
  auto b = Base64Decode(j.get<std::string>());
  EXPECT_TRUE(b.has_value()) << j;
  return b.value_or(Bytes{});
}

// Proof hashes that are not 32 bytes cannot be expressed as Hash256: such a
// proof is malformed and must be rejected, which the caller expects.
bool ProofFrom(const json& arr, std::vector<Hash256>& out) {
  for (const auto& p : arr) {
    Bytes b = B64(p);
    if (b.size() != 32) return false;
    Hash256 h;
    std::copy(b.begin(), b.end(), h.begin());
    out.push_back(h);
  }
  return true;
}

// In-memory SubtreeSource over leaf hashes.
class Leaves final : public SubtreeSource {
 public:
  explicit Leaves(std::vector<Hash256> l) : leaves_(std::move(l)) {}
  Result<Hash256> PerfectSubtree(std::uint64_t begin, unsigned level) override {
    ++calls;
    return RootFromLeafHashes(std::span<const Hash256>(leaves_.data() + begin, std::size_t{1} << level));
  }
  const std::vector<Hash256>& leaves() const { return leaves_; }
  int calls = 0;

 private:
  std::vector<Hash256> leaves_;
};

std::vector<Hash256> ReferenceLeafHashes(const json& ref) {
  std::vector<Hash256> out;
  for (const auto& hex : ref["leafInputsHex"]) {
    auto data = HexDecode(hex.get<std::string>());
    out.push_back(LeafHash(*data));
  }
  return out;
}

class MerkleCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(MerkleCorpus()))
      GTEST_SKIP() << "merkle corpus not found at " << MerkleCorpus() << " (../shared absent)";
  }
};

TEST_F(MerkleCorpusTest, ReferenceTreeHashesAndRoots) {
  json ref = Load(MerkleCorpus() / "rfc6962-reference-tree.json");
  for (const auto& v : ref["hasherVectors"]) {
    Hash256 got{};
    if (v.contains("input")) {
      got = EmptyRoot();
    } else if (v.contains("leafHex")) {
      got = LeafHash(*HexDecode(v["leafHex"].get<std::string>()));
    } else {
      // Node hash of raw children, not necessarily 32 bytes: hash directly.
      Bytes buf{0x01};
      auto l = *HexDecode(v["leftHex"].get<std::string>());
      auto r = *HexDecode(v["rightHex"].get<std::string>());
      buf.insert(buf.end(), l.begin(), l.end());
      buf.insert(buf.end(), r.begin(), r.end());
      got = Sha256(buf);
    }
    EXPECT_EQ(HexEncode(got), v["want"].get<std::string>()) << v["desc"];
  }
  auto leaves = ReferenceLeafHashes(ref);
  for (std::size_t i = 0; i < leaves.size(); ++i)
    EXPECT_EQ(HexEncode(leaves[i]), ref["leafHashesHex"][i].get<std::string>());
  for (auto& [size, root] : ref["rootHashesBySizeHex"].items()) {
    std::size_t n = std::stoul(size);
    EXPECT_EQ(HexEncode(RootFromLeafHashes(std::span<const Hash256>(leaves.data(), n))), root.get<std::string>())
        << "size " << n;
  }
}

TEST_F(MerkleCorpusTest, EveryInclusionVector) {
  json ref = Load(MerkleCorpus() / "rfc6962-reference-tree.json");
  Leaves src(ReferenceLeafHashes(ref));
  int checked = 0, generated = 0;
  for (const auto& e : fs::recursive_directory_iterator(MerkleCorpus() / "testdata" / "inclusion")) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    json v = Load(e.path());
    std::vector<Hash256> proof;
    bool well_formed = ProofFrom(v["proof"], proof);
    auto idx = v["leafIdx"].get<std::uint64_t>();
    auto size = v["treeSize"].get<std::uint64_t>();
    Status s = well_formed ? VerifyInclusion(idx, size, B64(v["leafHash"]), proof, B64(v["root"]))
                           : Status(Fail(Error::Integrity("malformed proof")));
    EXPECT_EQ(!s.has_value(), v["wantErr"].get<bool>()) << e.path() << ": " << v["desc"];
    ++checked;
    // Our generator must produce exactly the happy-path proofs.
    if (!v["wantErr"].get<bool>() && size <= src.leaves().size() && B64(v["leafHash"]) == Bytes(src.leaves()[idx].begin(), src.leaves()[idx].end())) {
      auto mine = InclusionProof(src, idx, size);
      ASSERT_TRUE(mine.has_value());
      EXPECT_EQ(*mine, proof) << e.path();
      ++generated;
    }
  }
  EXPECT_GT(checked, 90);
  EXPECT_GT(generated, 3);
}

TEST_F(MerkleCorpusTest, EveryConsistencyVector) {
  json ref = Load(MerkleCorpus() / "rfc6962-reference-tree.json");
  Leaves src(ReferenceLeafHashes(ref));
  int checked = 0, generated = 0;
  for (const auto& e : fs::recursive_directory_iterator(MerkleCorpus() / "testdata" / "consistency")) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    json v = Load(e.path());
    std::vector<Hash256> proof;
    bool well_formed = ProofFrom(v["proof"], proof);
    auto s1 = v["size1"].get<std::uint64_t>();
    auto s2 = v["size2"].get<std::uint64_t>();
    Status s = well_formed ? VerifyConsistency(s1, s2, B64(v["root1"]), B64(v["root2"]), proof)
                           : Status(Fail(Error::Integrity("malformed proof")));
    EXPECT_EQ(!s.has_value(), v["wantErr"].get<bool>()) << e.path() << ": " << v["desc"];
    ++checked;
    if (!v["wantErr"].get<bool>() && s1 > 0 && s2 <= src.leaves().size()) {
      auto mine = ConsistencyProof(src, s1, s2);
      ASSERT_TRUE(mine.has_value());
      EXPECT_EQ(*mine, proof) << e.path();
      ++generated;
    }
  }
  EXPECT_GT(checked, 50);
  EXPECT_GT(generated, 3);
}

// Generated proofs verify for every index and size pair up to 70 leaves, and a
// flipped bit in any proof hash is caught.
TEST(Merkle, GeneratedProofsVerifyAndTamperingFails) {
  std::vector<Hash256> leaves;
  for (int i = 0; i < 70; ++i) leaves.push_back(LeafHash(AsBytes("leaf " + std::to_string(i))));
  Leaves src(leaves);
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    Hash256 root = RootFromLeafHashes(std::span<const Hash256>(leaves.data(), n));
    auto root_via_ranges = RangeHash(src, 0, n);
    ASSERT_TRUE(root_via_ranges.has_value());
    ASSERT_EQ(*root_via_ranges, root);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto p = InclusionProof(src, i, n);
      ASSERT_TRUE(p.has_value());
      ASSERT_TRUE(VerifyInclusion(i, n, leaves[i], *p, root).has_value()) << i << "/" << n;
      if (!p->empty()) {
        auto bad = *p;
        bad[i % bad.size()][3] ^= 0x10;
        EXPECT_FALSE(VerifyInclusion(i, n, leaves[i], bad, root).has_value());
      }
      EXPECT_FALSE(VerifyInclusion(n, n, leaves[i], *p, root).has_value());
      if (i > 0) {
        EXPECT_FALSE(VerifyInclusion(i - 1, n, leaves[i], *p, root).has_value());
      }
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      Hash256 r1 = RootFromLeafHashes(std::span<const Hash256>(leaves.data(), m));
      auto p = ConsistencyProof(src, m, n);
      ASSERT_TRUE(p.has_value());
      ASSERT_TRUE(VerifyConsistency(m, n, r1, root, *p).has_value()) << m << "->" << n;
      if (!p->empty()) {
        auto bad = *p;
        bad.back()[0] ^= 1;
        EXPECT_FALSE(VerifyConsistency(m, n, r1, root, bad).has_value());
      }
    }
  }
}

TEST(Merkle, CompactRangeReportsCompletedNodes) {
  CompactRange cr;
  std::vector<std::pair<unsigned, std::uint64_t>> seen;
  for (int i = 0; i < 8; ++i)
    cr.Append(LeafHash(AsBytes(std::to_string(i))), [&](unsigned l, std::uint64_t idx, const Hash256&) {
      if (l > 0) seen.emplace_back(l, idx);
    });
  std::vector<std::pair<unsigned, std::uint64_t>> want{{1, 0}, {1, 1}, {2, 0}, {1, 2}, {1, 3}, {2, 1}, {3, 0}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(cr.size(), 8u);
}

TEST(Merkle, ProofArgumentErrors) {
  Leaves src({LeafHash(AsBytes("a"))});
  EXPECT_FALSE(InclusionProof(src, 1, 1).has_value());
  EXPECT_FALSE(ConsistencyProof(src, 2, 1).has_value());
  EXPECT_EQ(EmptyRoot(), RootFromLeafHashes({}));
}

}  // namespace
}  // namespace tollgate::ledger
