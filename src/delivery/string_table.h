// Compact sets of strings for EventLog: a million deploy ids cost their
// bytes, four bytes of offset and eight of hash slots, instead of a node of
// std::unordered_map each (about 90 bytes).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::delivery {

// Strings back to back; string k is [ends[k-1], ends[k]).
class StringArena {
 public:
  std::uint32_t Add(std::string_view s) {
    data_.append(s);
    ends_.push_back(data_.size());
    return static_cast<std::uint32_t>(ends_.size() - 1);
  }
  std::string_view operator[](std::uint32_t k) const {
    std::size_t begin = k == 0 ? 0 : ends_[k - 1];
    return std::string_view(data_).substr(begin, ends_[k] - begin);
  }
  std::size_t size() const { return ends_.size(); }

 private:
  std::string data_;
  std::vector<std::size_t> ends_;
};

// Distinct strings, each with its insertion index; open addressing with
// linear probing over a power-of-two table at most half full.
class StringTable {
 public:
  std::optional<std::uint32_t> Find(std::string_view s) const {
    if (slots_.empty()) return std::nullopt;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Hash(s) & mask;; i = (i + 1) & mask) {
      std::uint32_t v = slots_[i];
      if (v == 0) return std::nullopt;
      if (strings_[v - 1] == s) return v - 1;
    }
  }
  // Adds `s`, which must not be present; returns its index.
  std::uint32_t Add(std::string_view s) {
    if ((strings_.size() + 1) * 2 > slots_.size()) Grow();
    std::uint32_t k = strings_.Add(s);
    Place(k);
    return k;
  }
  std::string_view operator[](std::uint32_t k) const { return strings_[k]; }
  std::size_t size() const { return strings_.size(); }

 private:
  static std::size_t Hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  void Place(std::uint32_t k) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = Hash(strings_[k]) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = k + 1;
  }
  void Grow() {
    slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, 0);
    for (std::uint32_t k = 0; k < strings_.size(); ++k) Place(k);
  }

  StringArena strings_;
  std::vector<std::uint32_t> slots_;  // 0: empty, else index + 1
};

}  // namespace tollgate::delivery
