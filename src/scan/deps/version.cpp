#include "scan/deps/version.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace tollgate::deps {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
std::string ToLower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = Lower(c);
  return r;
}
bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsDigit(c); });
}
int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }
int CmpStr(std::string_view a, std::string_view b) { return Sign(a.compare(b)); }

// Compares two strings of decimal digits of any length as numbers.
int CmpDigits(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.empty()) a = "0";
  if (b.empty()) b = "0";
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return CmpStr(a, b);
}
bool IsZero(std::string_view d) {
  return std::all_of(d.begin(), d.end(), [](char c) { return c == '0'; });
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

// ---------------------------------------------------------------- SemVer
// Lenient SemVer 2: an optional leading 'v', any number of numeric
// components (missing ones are 0), '-' prerelease, '+' build (ignored unless
// `build_orders`, as in Dart's pub). Text that follows the numbers without a
// '-' is treated as prerelease.
struct Semver {
  std::vector<std::string_view> nums;
  std::vector<std::string_view> pre;
  bool has_pre = false;
  std::vector<std::string_view> build;
  bool has_build = false;
};

Semver ParseSemver(std::string_view s, std::size_t max_components) {
  Semver v;
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  std::size_t i = 0;
  while (true) {
    std::size_t st = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    v.nums.push_back(s.substr(st, i - st));
    if (v.nums.size() < max_components && i < s.size() && s[i] == '.' && i + 1 < s.size() && IsDigit(s[i + 1])) {
      ++i;
      continue;
    }
    break;
  }
  std::string_view rest = s.substr(i);
  std::string_view build;
  auto plus = rest.find('+');
  if (plus != std::string_view::npos) {
    build = rest.substr(plus + 1);
    rest = rest.substr(0, plus);
    v.has_build = true;
  }
  if (!rest.empty() && rest[0] == '.' && max_components == 3) {
    // pub: "1.2.3.4" keeps the extra components as build metadata
    build = rest.substr(1);
    rest = {};
    v.has_build = true;
  }
  if (!rest.empty()) {
    if (rest[0] == '-') rest.remove_prefix(1);
    v.has_pre = true;
    v.pre = Split(rest, '.');
  }
  if (v.has_build) v.build = Split(build, '.');
  return v;
}

int CmpIdentifiers(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b, bool fold_case) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool an = AllDigits(a[i]), bn = AllDigits(b[i]);
    int c;
    if (an && bn) {
      c = CmpDigits(a[i], b[i]);
    } else if (an != bn) {
      c = an ? -1 : 1;
    } else if (fold_case) {
      c = CmpStr(ToLower(a[i]), ToLower(b[i]));
    } else {
      c = CmpStr(a[i], b[i]);
    }
    if (c != 0) return c;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return 0;
}

int CmpNumberLists(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view x = i < a.size() ? a[i] : "0";
    std::string_view y = i < b.size() ? b[i] : "0";
    if (int c = CmpDigits(x, y); c != 0) return c;
  }
  return 0;
}

int CmpSemverParsed(const Semver& a, const Semver& b, bool build_orders, bool fold_case) {
  if (int c = CmpNumberLists(a.nums, b.nums); c != 0) return c;
  if (a.has_pre != b.has_pre) return a.has_pre ? -1 : 1;
  if (a.has_pre) {
    if (int c = CmpIdentifiers(a.pre, b.pre, fold_case); c != 0) return c;
  }
  if (build_orders) {
    if (a.has_build != b.has_build) return a.has_build ? 1 : -1;
    if (a.has_build) return CmpIdentifiers(a.build, b.build, false);
  }
  return 0;
}

// ---------------------------------------------------------------- PEP 440
struct Pep440 {
  bool legacy = false;
  std::string epoch = "0";
  std::vector<std::string> release;
  int pre_kind = 0;  // 0 none, 1 a, 2 b, 3 rc
  std::string pre_num;
  bool has_post = false;
  std::string post_num;
  bool has_dev = false;
  std::string dev_num;
  std::vector<std::string> local;
  std::vector<std::string> legacy_parts;
};

struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool Eat(std::string_view t) {
    if (s.substr(i, t.size()) == t) {
      i += t.size();
      return true;
    }
    return false;
  }
  bool EatSep() {
    if (i < s.size() && (s[i] == '-' || s[i] == '_' || s[i] == '.')) {
      ++i;
      return true;
    }
    return false;
  }
  std::string Digits() {
    std::size_t st = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    return std::string(s.substr(st, i - st));
  }
  bool AtEnd() const { return i >= s.size(); }
};

// packaging's LegacyVersion key (versions PEP 440 rejects sort before all
// valid ones, in this order).
std::vector<std::string> LegacyParts(std::string_view lower) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  std::string other;
  auto flush = [&] {
    if (!other.empty()) tokens.push_back(other);
    other.clear();
  };
  while (i < lower.size()) {
    char c = lower[i];
    if (IsDigit(c)) {
      flush();
      std::size_t st = i;
      while (i < lower.size() && IsDigit(lower[i])) ++i;
      tokens.emplace_back(lower.substr(st, i - st));
    } else if (c >= 'a' && c <= 'z') {
      flush();
      std::size_t st = i;
      while (i < lower.size() && lower[i] >= 'a' && lower[i] <= 'z') ++i;
      tokens.emplace_back(lower.substr(st, i - st));
    } else if (c == '.' || c == '-') {
      flush();
      tokens.emplace_back(1, c);
      ++i;
    } else {
      other.push_back(c);
      ++i;
    }
  }
  flush();
  std::vector<std::string> parts;
  auto emit = [&](std::string part) {
    if (part.empty() || part == ".") return;
    std::string p;
    if (IsDigit(part[0])) {
      p = part.size() < 8 ? std::string(8 - part.size(), '0') + part : part;
    } else {
      p = "*" + part;
    }
    if (p[0] == '*') {
      if (p < "*final")
        while (!parts.empty() && parts.back() == "*final-") parts.pop_back();
      while (!parts.empty() && parts.back() == "00000000") parts.pop_back();
    }
    parts.push_back(p);
  };
  for (auto& t : tokens) {
    if (t == "pre" || t == "preview" || t == "rc") t = "c";
    else if (t == "-") t = "final-";
    else if (t == "dev") t = "@";
    emit(t);
  }
  emit("final");
  return parts;
}

Pep440 ParsePep440(std::string_view raw) {
  Pep440 v;
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front()))) raw.remove_prefix(1);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  std::string lower = ToLower(raw);
  Cursor c{lower};
  auto legacy = [&] {
    Pep440 l;
    l.legacy = true;
    l.legacy_parts = LegacyParts(lower);
    return l;
  };
  c.Eat("v");
  std::string first = c.Digits();
  if (first.empty()) return legacy();
  if (c.Eat("!")) {
    v.epoch = first;
    first = c.Digits();
    if (first.empty()) return legacy();
  }
  v.release.push_back(first);
  while (c.i + 1 < lower.size() && lower[c.i] == '.' && IsDigit(lower[c.i + 1])) {
    ++c.i;
    v.release.push_back(c.Digits());
  }
  // pre-release
  {
    std::size_t save = c.i;
    c.EatSep();
    static constexpr std::array<std::pair<std::string_view, int>, 8> kPre{{
        {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"preview", 3}, {"pre", 3}, {"rc", 3}, {"c", 3}}};
    bool found = false;
    for (const auto& [tok, kind] : kPre) {
      if (c.Eat(tok)) {
        v.pre_kind = kind;
        found = true;
        break;
      }
    }
    if (found) {
      std::size_t save2 = c.i;
      c.EatSep();
      v.pre_num = c.Digits();
      if (v.pre_num.empty()) {
        c.i = save2;
        v.pre_num = "0";
      }
    } else {
      c.i = save;
    }
  }
  // post-release
  {
    std::size_t save = c.i;
    if (c.Eat("-") && !c.AtEnd() && IsDigit(lower[c.i])) {
      v.has_post = true;
      v.post_num = c.Digits();
    } else {
      c.i = save;
      c.EatSep();
      if (c.Eat("post") || c.Eat("rev") || c.Eat("r")) {
        v.has_post = true;
        std::size_t save2 = c.i;
        c.EatSep();
        v.post_num = c.Digits();
        if (v.post_num.empty()) {
          c.i = save2;
          v.post_num = "0";
        }
      } else {
        c.i = save;
      }
    }
  }
  // dev release
  {
    std::size_t save = c.i;
    c.EatSep();
    if (c.Eat("dev")) {
      v.has_dev = true;
      std::size_t save2 = c.i;
      c.EatSep();
      v.dev_num = c.Digits();
      if (v.dev_num.empty()) {
        c.i = save2;
        v.dev_num = "0";
      }
    } else {
      c.i = save;
    }
  }
  if (c.Eat("+")) {
    std::string seg;
    while (!c.AtEnd()) {
      char ch = lower[c.i++];
      if (IsAlnum(ch)) {
        seg.push_back(ch);
      } else if (ch == '-' || ch == '_' || ch == '.') {
        if (seg.empty()) return legacy();
        v.local.push_back(seg);
        seg.clear();
      } else {
        return legacy();
      }
    }
    if (seg.empty()) return legacy();
    v.local.push_back(seg);
  }
  if (!c.AtEnd()) return legacy();
  while (v.release.size() > 1 && IsZero(v.release.back())) v.release.pop_back();
  return v;
}

int ComparePep440Parsed(const Pep440& a, const Pep440& b) {
  if (a.legacy != b.legacy) return a.legacy ? -1 : 1;
  if (a.legacy) {
    std::size_t n = std::min(a.legacy_parts.size(), b.legacy_parts.size());
    for (std::size_t i = 0; i < n; ++i)
      if (int c = CmpStr(a.legacy_parts[i], b.legacy_parts[i]); c != 0) return c;
    if (a.legacy_parts.size() != b.legacy_parts.size()) return a.legacy_parts.size() < b.legacy_parts.size() ? -1 : 1;
    return 0;
  }
  if (int c = CmpDigits(a.epoch, b.epoch); c != 0) return c;
  {
    std::size_t n = std::min(a.release.size(), b.release.size());
    for (std::size_t i = 0; i < n; ++i)
      if (int c = CmpDigits(a.release[i], b.release[i]); c != 0) return c;
    if (a.release.size() != b.release.size()) return a.release.size() < b.release.size() ? -1 : 1;
  }
  // pre: dev-only releases sort before every pre-release; final after.
  auto pre_rank = [](const Pep440& v) {
    if (v.pre_kind == 0 && !v.has_post && v.has_dev) return 0;
    if (v.pre_kind == 0) return 4;
    return v.pre_kind;
  };
  if (int ra = pre_rank(a), rb = pre_rank(b); ra != rb) return ra < rb ? -1 : 1;
  if (a.pre_kind != 0) {
    if (int c = CmpDigits(a.pre_num, b.pre_num); c != 0) return c;
  }
  if (a.has_post != b.has_post) return a.has_post ? 1 : -1;
  if (a.has_post) {
    if (int c = CmpDigits(a.post_num, b.post_num); c != 0) return c;
  }
  if (a.has_dev != b.has_dev) return a.has_dev ? -1 : 1;
  if (a.has_dev) {
    if (int c = CmpDigits(a.dev_num, b.dev_num); c != 0) return c;
  }
  // local: absent sorts first; numeric segments sort after alphanumeric ones
  std::size_t n = std::min(a.local.size(), b.local.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool an = AllDigits(a.local[i]), bn = AllDigits(b.local[i]);
    int c;
    if (an && bn) c = CmpDigits(a.local[i], b.local[i]);
    else if (an != bn) c = an ? 1 : -1;
    else c = CmpStr(a.local[i], b.local[i]);
    if (c != 0) return c;
  }
  if (a.local.size() != b.local.size()) return a.local.size() < b.local.size() ? -1 : 1;
  return 0;
}

// ---------------------------------------------------------------- Maven
// Maven's ComparableVersion: a tree of integer, qualifier and list items.
struct MavenItem {
  enum Kind { kInt, kString, kList } kind = kList;
  std::string value;  // digits for kInt, the comparable qualifier for kString
  std::vector<MavenItem> list;

  bool IsNull() const {
    switch (kind) {
      case kInt: return IsZero(value);
      case kString: return value == "5";
      case kList: return list.empty();
    }
    return false;
  }
};

std::string MavenQualifier(std::string q, bool followed_by_digit) {
  if (followed_by_digit && q.size() == 1) {
    if (q == "a") q = "alpha";
    else if (q == "b") q = "beta";
    else if (q == "m") q = "milestone";
  }
  if (q == "ga" || q == "final" || q == "release") q = "";
  else if (q == "cr") q = "rc";
  static constexpr std::array<std::string_view, 7> kOrder{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
  for (std::size_t i = 0; i < kOrder.size(); ++i)
    if (q == kOrder[i]) return std::to_string(i);
  return "7-" + q;
}

MavenItem MavenParseItem(bool is_digit, std::string_view buf) {
  MavenItem it;
  if (is_digit) {
    it.kind = MavenItem::kInt;
    std::string_view d = buf;
    while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
    it.value = std::string(d);
  } else {
    it.kind = MavenItem::kString;
    it.value = MavenQualifier(std::string(buf), false);
  }
  return it;
}

void MavenNormalize(MavenItem& list) {
  for (auto& child : list.list)
    if (child.kind == MavenItem::kList) MavenNormalize(child);
  // Null items go from the end, and also from before a trailing sublist.
  for (std::size_t i = list.list.size(); i-- > 0;) {
    if (list.list[i].IsNull()) {
      list.list.erase(list.list.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (list.list[i].kind != MavenItem::kList) {
      break;
    }
  }
}

MavenItem ParseMaven(std::string_view raw) {
  std::string v = ToLower(raw);
  MavenItem root;
  // The current list is always the last list appended to its parent and no
  // parent is appended to again, so this pointer stays valid.
  MavenItem* list = &root;
  auto descend = [&] {
    list->list.emplace_back();
    list = &list->list.back();
  };
  bool is_digit = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '.') {
      if (i == start) list->list.push_back(MavenParseItem(true, "0"));
      else list->list.push_back(MavenParseItem(is_digit, std::string_view(v).substr(start, i - start)));
      start = i + 1;
    } else if (c == '-') {
      MavenItem item = i == start ? MavenParseItem(true, "0")
                                  : MavenParseItem(is_digit, std::string_view(v).substr(start, i - start));
      start = i + 1;
      // A release alias alone between two dashes ("1-ga-1") adds nothing:
      // it is the same version as "1-1".
      if (item.kind == MavenItem::kString && item.IsNull() && list->list.empty() && list != &root) continue;
      list->list.push_back(std::move(item));
      descend();
    } else if (IsDigit(c)) {
      if (!is_digit && i > start) {
        MavenItem s;
        s.kind = MavenItem::kString;
        s.value = MavenQualifier(v.substr(start, i - start), true);
        list->list.push_back(std::move(s));
        start = i;
        descend();
      }
      is_digit = true;
    } else {
      if (is_digit && i > start) {
        list->list.push_back(MavenParseItem(true, std::string_view(v).substr(start, i - start)));
        start = i;
        descend();
      }
      is_digit = false;
    }
  }
  if (v.size() > start) list->list.push_back(MavenParseItem(is_digit, std::string_view(v).substr(start)));
  MavenNormalize(root);
  return root;
}

int CmpMavenItem(const MavenItem& a, const MavenItem* b);

int CmpMavenItemNullLeft(const MavenItem* b) {  // null compared to b
  return b == nullptr ? 0 : -CmpMavenItem(*b, nullptr);
}

int CmpMavenItem(const MavenItem& a, const MavenItem* b) {
  switch (a.kind) {
    case MavenItem::kInt:
      if (b == nullptr) return IsZero(a.value) ? 0 : 1;
      if (b->kind == MavenItem::kInt) return CmpDigits(a.value, b->value);
      return 1;
    case MavenItem::kString:
      if (b == nullptr) return CmpStr(a.value, "5");
      if (b->kind == MavenItem::kInt) return -1;
      if (b->kind == MavenItem::kString) return CmpStr(a.value, b->value);
      return -1;
    case MavenItem::kList:
      if (b == nullptr) {
        for (const auto& i : a.list)
          if (int c = CmpMavenItem(i, nullptr); c != 0) return c;
        return 0;
      }
      if (b->kind == MavenItem::kInt) return -1;
      if (b->kind == MavenItem::kString) return 1;
      {
        std::size_t n = std::max(a.list.size(), b->list.size());
        for (std::size_t i = 0; i < n; ++i) {
          const MavenItem* l = i < a.list.size() ? &a.list[i] : nullptr;
          const MavenItem* r = i < b->list.size() ? &b->list[i] : nullptr;
          int c = l == nullptr ? CmpMavenItemNullLeft(r) : CmpMavenItem(*l, r);
          if (c != 0) return c;
        }
        return 0;
      }
  }
  return 0;
}

// ---------------------------------------------------------------- NuGet
int CompareNuGetImpl(std::string_view a, std::string_view b) {
  Semver x = ParseSemver(a, 4), y = ParseSemver(b, 4);
  return CmpSemverParsed(x, y, false, true);
}

// ---------------------------------------------------------------- RubyGems
struct GemSegment {
  bool numeric = false;
  std::string text;
};

std::vector<GemSegment> GemSegments(std::string_view raw) {
  std::string v;
  for (char c : raw) {
    if (c == '-') v += ".pre.";
    else v.push_back(c);
  }
  std::vector<GemSegment> segs;
  std::size_t i = 0;
  while (i < v.size()) {
    if (IsDigit(v[i])) {
      std::size_t st = i;
      while (i < v.size() && IsDigit(v[i])) ++i;
      segs.push_back({true, v.substr(st, i - st)});
    } else if (IsAlpha(v[i])) {
      std::size_t st = i;
      while (i < v.size() && IsAlpha(v[i])) ++i;
      segs.push_back({false, v.substr(st, i - st)});
    } else {
      ++i;
    }
  }
  // canonical segments: drop trailing zeros of the numeric part and of the
  // part from the first string on.
  auto first_str = std::find_if(segs.begin(), segs.end(), [](const GemSegment& s) { return !s.numeric; });
  std::vector<GemSegment> num(segs.begin(), first_str), str(first_str, segs.end());
  auto trim = [](std::vector<GemSegment>& s) {
    while (!s.empty() && s.back().numeric && IsZero(s.back().text)) s.pop_back();
  };
  trim(num);
  trim(str);
  num.insert(num.end(), str.begin(), str.end());
  return num;
}

// ---------------------------------------------------------------- Packagist
std::vector<std::string> PackagistSegments(std::string_view raw) {
  if (!raw.empty() && (raw[0] == 'v' || raw[0] == 'V')) raw.remove_prefix(1);
  std::string canon;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '-' || c == '_' || c == '+') c = '.';
    if (i > 0 && !canon.empty()) {
      char p = canon.back();
      bool p_dig = IsDigit(p), c_dig = IsDigit(c);
      if (p != '.' && c != '.' && p_dig != c_dig) canon.push_back('.');
    }
    canon.push_back(c);
  }
  std::vector<std::string> out;
  for (auto s : Split(canon, '.'))
    if (!s.empty()) out.emplace_back(s);
  return out;
}

int PackagistSpecialWeight(std::string_view s) {
  if (s.substr(0, 2) == "RC" || s.substr(0, 2) == "rc") return 3;
  static constexpr std::array<std::string_view, 6> kForms{"dev", "a", "b", "rc", "#", "p"};
  for (std::size_t i = 0; i < kForms.size(); ++i)
    if (s.substr(0, kForms[i].size()) == kForms[i]) return static_cast<int>(i);
  return -6;
}

int PackagistSpecial(std::string_view a, std::string_view b) {
  int x = PackagistSpecialWeight(a), y = PackagistSpecialWeight(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

int ComparePackagistSegments(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool an = AllDigits(a[i]), bn = AllDigits(b[i]);
    int c;
    if (an && bn) c = CmpDigits(a[i], b[i]);
    else if (!an && !bn) c = PackagistSpecial(a[i], b[i]);
    else if (an) c = PackagistSpecial("#N#", b[i]);
    else c = PackagistSpecial(a[i], "#N#");
    if (c != 0) return c;
  }
  // The longer one's remaining segments compare one by one against a
  // number ("#N#"): a number there makes it newer, a special form decides.
  for (std::size_t i = n; i < a.size(); ++i) {
    if (AllDigits(a[i])) return 1;
    if (int c = PackagistSpecial(a[i], "#N#"); c != 0) return c;
  }
  for (std::size_t i = n; i < b.size(); ++i) {
    if (AllDigits(b[i])) return -1;
    if (int c = PackagistSpecial("#N#", b[i]); c != 0) return c;
  }
  return 0;
}

// ---------------------------------------------------------------- dpkg
int DpkgOrder(int c) {
  if (c == 0) return 0;
  if (IsDigit(static_cast<char>(c))) return 0;
  if (IsAlpha(static_cast<char>(c))) return c;
  if (c == '~') return -1;
  return c + 256;
}

int VerRevCmp(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  auto at = [](std::string_view s, std::size_t k) -> int { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0; };
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
      int ac = DpkgOrder(at(a, i)), bc = DpkgOrder(at(b, j));
      if (ac != bc) return ac < bc ? -1 : 1;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && j < b.size() && IsDigit(a[i]) && IsDigit(b[j])) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && IsDigit(a[i])) return 1;
    if (j < b.size() && IsDigit(b[j])) return -1;
    if (first_diff != 0) return first_diff < 0 ? -1 : 1;
  }
  return 0;
}

struct Evr {
  std::string_view epoch, version, release;
  bool has_release = false;
};

Evr SplitEvr(std::string_view s, bool epoch_digits_only) {
  Evr e;
  auto colon = s.find(':');
  if (colon != std::string_view::npos && (!epoch_digits_only || AllDigits(s.substr(0, colon)))) {
    e.epoch = s.substr(0, colon);
    s = s.substr(colon + 1);
  }
  auto dash = s.rfind('-');
  if (dash != std::string_view::npos) {
    e.release = s.substr(dash + 1);
    e.has_release = true;
    s = s.substr(0, dash);
  }
  e.version = s;
  return e;
}

// ---------------------------------------------------------------- rpm
bool RpmAlnum(char c) { return IsAlnum(c); }

int RpmVerCmp(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && !RpmAlnum(a[i]) && a[i] != '~' && a[i] != '^') ++i;
    while (j < b.size() && !RpmAlnum(b[j]) && b[j] != '~' && b[j] != '^') ++j;
    bool ae = i >= a.size(), be = j >= b.size();
    if ((!ae && a[i] == '~') || (!be && b[j] == '~')) {
      if (ae || a[i] != '~') return 1;
      if (be || b[j] != '~') return -1;
      ++i;
      ++j;
      continue;
    }
    if ((!ae && a[i] == '^') || (!be && b[j] == '^')) {
      if (ae) return -1;
      if (be) return 1;
      if (a[i] != '^') return 1;
      if (b[j] != '^') return -1;
      ++i;
      ++j;
      continue;
    }
    if (ae || be) break;
    std::size_t si = i, sj = j;
    bool isnum = IsDigit(a[i]);
    if (isnum) {
      while (i < a.size() && IsDigit(a[i])) ++i;
      while (j < b.size() && IsDigit(b[j])) ++j;
    } else {
      while (i < a.size() && IsAlpha(a[i])) ++i;
      while (j < b.size() && IsAlpha(b[j])) ++j;
    }
    if (sj == j) return isnum ? 1 : -1;
    std::string_view x = a.substr(si, i - si), y = b.substr(sj, j - sj);
    int c = isnum ? CmpDigits(x, y) : CmpStr(x, y);
    if (c != 0) return c;
  }
  bool ae = i >= a.size(), be = j >= b.size();
  if (ae && be) return 0;
  return ae ? -1 : 1;
}

// ---------------------------------------------------------------- apk
// apk-tools' token walk over {digit}{.digit}...{letter}{_suffix{#}}...{-r#}.
enum ApkToken { kApkDigitOrZero, kApkDigit, kApkLetter, kApkSuffix, kApkSuffixNo, kApkRevisionNo, kApkEnd, kApkInvalid };

struct ApkState {
  std::string_view s;
  std::size_t i = 0;
  ApkToken type = kApkDigit;
};

void ApkNextToken(ApkState& st) {
  ApkToken n = kApkInvalid;
  std::string_view& s = st.s;
  std::size_t& i = st.i;
  if (i >= s.size()) {
    n = kApkEnd;
  } else if ((st.type == kApkDigit || st.type == kApkDigitOrZero) && s[i] >= 'a' && s[i] <= 'z') {
    n = kApkLetter;
  } else if (st.type == kApkLetter && IsDigit(s[i])) {
    n = kApkDigit;
  } else if (st.type == kApkSuffix && IsDigit(s[i])) {
    n = kApkSuffixNo;
  } else {
    switch (s[i]) {
      case '.': n = kApkDigitOrZero; break;
      case '_': n = kApkSuffix; break;
      case '-':
        // "-r" starts the revision unless a word follows ("-ruff")
        if (i + 1 < s.size() && s[i + 1] == 'r' && !(i + 2 < s.size() && IsAlpha(s[i + 2]))) {
          n = kApkRevisionNo;
          ++i;
        }
        break;
      default: break;
    }
    ++i;
  }
  if (n < st.type) {
    if (!((n == kApkDigitOrZero && st.type == kApkDigit) || (n == kApkSuffix && st.type == kApkSuffixNo) ||
          (n == kApkDigit && st.type == kApkLetter)))
      n = kApkInvalid;
  }
  st.type = n;
}

// Returns the token's value as a comparable string key (numbers as digit
// strings compared numerically, others as small integers).
struct ApkValue {
  bool digits = false;
  bool str_cmp = false;  // leading-zero components compare as strings
  std::string d;
  long long v = 0;
};

int CmpApkValue(const ApkValue& a, const ApkValue& b) {
  if (a.digits && b.digits) {
    if (a.str_cmp || b.str_cmp) return CmpStr(a.d, b.d);
    return CmpDigits(a.d, b.d);
  }
  if (a.digits != b.digits) {
    long long x = a.digits ? 0 : a.v, y = b.digits ? 0 : b.v;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return a.v < b.v ? -1 : (a.v > b.v ? 1 : 0);
}

ApkValue ApkGetToken(ApkState& st) {
  static constexpr std::array<std::string_view, 4> kPre{"alpha", "beta", "pre", "rc"};
  static constexpr std::array<std::string_view, 5> kPost{"cvs", "svn", "git", "hg", "p"};
  ApkValue val;
  std::string_view s = st.s;
  std::size_t& i = st.i;
  if (i >= s.size()) {
    st.type = kApkEnd;
    return val;
  }
  switch (st.type) {
    case kApkDigitOrZero:
      if (s[i] == '0') {
        std::size_t b = i;
        while (i < s.size() && IsDigit(s[i])) ++i;
        val.digits = true;
        val.str_cmp = true;
        val.d = std::string(s.substr(b, i - b));
        break;
      }
      [[fallthrough]];
    case kApkDigit:
    case kApkSuffixNo:
    case kApkRevisionNo: {
      std::size_t b = i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      val.digits = true;
      val.d = std::string(s.substr(b, i - b));
      break;
    }
    case kApkLetter: val.v = static_cast<unsigned char>(s[i++]); break;
    case kApkSuffix: {
      bool found = false;
      for (std::size_t k = 0; k < kPre.size() && !found; ++k) {
        if (s.substr(i, kPre[k].size()) == kPre[k]) {
          val.v = static_cast<long long>(k) - static_cast<long long>(kPre.size());
          i += kPre[k].size();
          found = true;
        }
      }
      for (std::size_t k = 0; k < kPost.size() && !found; ++k) {
        if (s.substr(i, kPost[k].size()) == kPost[k]) {
          val.v = static_cast<long long>(k);
          i += kPost[k].size();
          found = true;
        }
      }
      if (!found) {
        st.type = kApkInvalid;
        val.v = -1;  // an unknown suffix sorts like a pre-release
        return val;
      }
      break;
    }
    default: st.type = kApkInvalid; return val;
  }
  if (i >= s.size()) st.type = kApkEnd;
  else ApkNextToken(st);
  return val;
}

int CompareApkImpl(std::string_view a, std::string_view b) {
  ApkState sa{a, 0, kApkDigit}, sb{b, 0, kApkDigit};
  ApkValue av, bv;
  int c = 0;
  while (sa.type == sb.type && sa.type != kApkEnd && sa.type != kApkInvalid && c == 0) {
    av = ApkGetToken(sa);
    bv = ApkGetToken(sb);
    c = CmpApkValue(av, bv);
  }
  if (c != 0) return c;
  if (sa.type == sb.type) return 0;
  if (sa.type == kApkSuffix) {
    ApkState t = sa;
    if (ApkGetToken(t).v < 0) return -1;  // pre-release or unknown suffix
  }
  if (sb.type == kApkSuffix) {
    ApkState t = sb;
    if (ApkGetToken(t).v < 0) return 1;
  }
  // invalid sorts after the end (apk-tools 3)
  // invalid sorts after the end (apk-tools 3), and so does a '.' that is
  // not followed by a digit ("0.r1")
  auto rank = [](const ApkState& st) {
    if (st.type == kApkInvalid) return 100;
    if (st.type == kApkDigitOrZero && (st.i >= st.s.size() || !IsDigit(st.s[st.i]))) return 100;
    return static_cast<int>(st.type);
  };
  if (rank(sa) > rank(sb)) return -1;
  if (rank(sb) > rank(sa)) return 1;
  return 0;
}

// ---------------------------------------------------------------- CRAN / Hackage
std::vector<std::string_view> NumericParts(std::string_view s, std::string_view seps) {
  std::vector<std::string_view> out;
  std::size_t st = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || seps.find(s[i]) != std::string_view::npos) {
      out.push_back(s.substr(st, i - st));
      st = i + 1;
    }
  }
  return out;
}

int CmpNumericPartsStrict(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool an = AllDigits(a[i]), bn = AllDigits(b[i]);
    int c = (an && bn) ? CmpDigits(a[i], b[i]) : CmpStr(a[i], b[i]);
    if (c != 0) return c;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return 0;
}

}  // namespace

std::optional<Ecosystem> ParseEcosystem(std::string_view osv_name) {
  auto colon = osv_name.find(':');
  std::string n = ToLower(osv_name.substr(0, colon));
  static constexpr std::array<std::pair<std::string_view, Ecosystem>, 22> kNames{{
      {"npm", Ecosystem::kNpm},
      {"pypi", Ecosystem::kPyPI},
      {"go", Ecosystem::kGo},
      {"crates.io", Ecosystem::kCratesIo},
      {"hex", Ecosystem::kHex},
      {"pub", Ecosystem::kPub},
      {"maven", Ecosystem::kMaven},
      {"nuget", Ecosystem::kNuGet},
      {"rubygems", Ecosystem::kRubyGems},
      {"packagist", Ecosystem::kPackagist},
      {"debian", Ecosystem::kDebian},
      {"ubuntu", Ecosystem::kUbuntu},
      {"alpine", Ecosystem::kAlpine},
      {"red hat", Ecosystem::kRedHat},
      {"redhat", Ecosystem::kRedHat},
      {"rocky linux", Ecosystem::kRedHat},
      {"almalinux", Ecosystem::kRedHat},
      {"opensuse", Ecosystem::kRedHat},
      {"suse", Ecosystem::kRedHat},
      {"mageia", Ecosystem::kRedHat},
      {"cran", Ecosystem::kCran},
      {"hackage", Ecosystem::kHackage},
  }};
  for (const auto& [name, e] : kNames)
    if (n == name) return e;
  return std::nullopt;
}

std::string_view EcosystemName(Ecosystem e) {
  switch (e) {
    case Ecosystem::kNpm: return "npm";
    case Ecosystem::kPyPI: return "PyPI";
    case Ecosystem::kGo: return "Go";
    case Ecosystem::kCratesIo: return "crates.io";
    case Ecosystem::kHex: return "Hex";
    case Ecosystem::kPub: return "Pub";
    case Ecosystem::kMaven: return "Maven";
    case Ecosystem::kNuGet: return "NuGet";
    case Ecosystem::kRubyGems: return "RubyGems";
    case Ecosystem::kPackagist: return "Packagist";
    case Ecosystem::kDebian: return "Debian";
    case Ecosystem::kUbuntu: return "Ubuntu";
    case Ecosystem::kAlpine: return "Alpine";
    case Ecosystem::kRedHat: return "Red Hat";
    case Ecosystem::kCran: return "CRAN";
    case Ecosystem::kHackage: return "Hackage";
  }
  return "";
}

int CompareSemver(std::string_view a, std::string_view b) {
  return CmpSemverParsed(ParseSemver(a, SIZE_MAX), ParseSemver(b, SIZE_MAX), false, false);
}
int ComparePub(std::string_view a, std::string_view b) {
  return CmpSemverParsed(ParseSemver(a, 3), ParseSemver(b, 3), true, false);
}
int ComparePep440(std::string_view a, std::string_view b) { return ComparePep440Parsed(ParsePep440(a), ParsePep440(b)); }
int CompareMaven(std::string_view a, std::string_view b) {
  MavenItem x = ParseMaven(a), y = ParseMaven(b);
  return Sign(CmpMavenItem(x, &y));
}
int CompareNuGet(std::string_view a, std::string_view b) { return CompareNuGetImpl(a, b); }

int CompareRubyGems(std::string_view a, std::string_view b) {
  auto x = GemSegments(a), y = GemSegments(b);
  std::size_t n = std::max(x.size(), y.size());
  static const GemSegment kZero{true, "0"};
  for (std::size_t i = 0; i < n; ++i) {
    const GemSegment& l = i < x.size() ? x[i] : kZero;
    const GemSegment& r = i < y.size() ? y[i] : kZero;
    if (l.numeric && r.numeric) {
      if (int c = CmpDigits(l.text, r.text); c != 0) return c;
    } else if (l.numeric != r.numeric) {
      return l.numeric ? 1 : -1;
    } else if (int c = CmpStr(l.text, r.text); c != 0) {
      return c;
    }
  }
  return 0;
}

int ComparePackagist(std::string_view a, std::string_view b) {
  return ComparePackagistSegments(PackagistSegments(a), PackagistSegments(b));
}

int CompareDpkg(std::string_view a, std::string_view b) {
  Evr x = SplitEvr(a, true), y = SplitEvr(b, true);
  if (int c = CmpDigits(x.epoch.empty() ? "0" : x.epoch, y.epoch.empty() ? "0" : y.epoch); c != 0) return c;
  if (int c = VerRevCmp(x.version, y.version); c != 0) return c;
  return VerRevCmp(x.release, y.release);
}

int CompareRpm(std::string_view a, std::string_view b) {
  Evr x = SplitEvr(a, false), y = SplitEvr(b, false);
  if (int c = RpmVerCmp(x.epoch.empty() ? "0" : x.epoch, y.epoch.empty() ? "0" : y.epoch); c != 0) return c;
  if (int c = RpmVerCmp(x.version, y.version); c != 0) return c;
  if (x.has_release != y.has_release) return x.has_release ? 1 : -1;
  return RpmVerCmp(x.release, y.release);
}

int CompareApk(std::string_view a, std::string_view b) { return CompareApkImpl(a, b); }

int CompareCran(std::string_view a, std::string_view b) {
  auto x = NumericParts(a, ".-"), y = NumericParts(b, ".-");
  return CmpNumericPartsStrict(x, y);
}

int CompareHackage(std::string_view a, std::string_view b) {
  return CmpNumericPartsStrict(NumericParts(a, "."), NumericParts(b, "."));
}

int CompareVersions(Ecosystem e, std::string_view a, std::string_view b) {
  // No real version is this long; bounding the length bounds every
  // comparator's work and nesting (Maven sublists) on hostile input.
  if (a.size() > kMaxVersionLength || b.size() > kMaxVersionLength) return CmpStr(a, b);
  switch (e) {
    case Ecosystem::kNpm:
    case Ecosystem::kGo:
    case Ecosystem::kCratesIo:
    case Ecosystem::kHex: return CompareSemver(a, b);
    case Ecosystem::kPub: return ComparePub(a, b);
    case Ecosystem::kPyPI: return ComparePep440(a, b);
    case Ecosystem::kMaven: return CompareMaven(a, b);
    case Ecosystem::kNuGet: return CompareNuGet(a, b);
    case Ecosystem::kRubyGems: return CompareRubyGems(a, b);
    case Ecosystem::kPackagist: return ComparePackagist(a, b);
    case Ecosystem::kDebian:
    case Ecosystem::kUbuntu: return CompareDpkg(a, b);
    case Ecosystem::kAlpine: return CompareApk(a, b);
    case Ecosystem::kRedHat: return CompareRpm(a, b);
    case Ecosystem::kCran: return CompareCran(a, b);
    case Ecosystem::kHackage: return CompareHackage(a, b);
  }
  return 0;
}

std::string MajorOf(Ecosystem e, std::string_view version) {
  std::string_view v = version;
  if (e == Ecosystem::kDebian || e == Ecosystem::kUbuntu || e == Ecosystem::kRedHat) {
    auto colon = v.find(':');
    if (colon != std::string_view::npos) v = v.substr(colon + 1);
  }
  if (e == Ecosystem::kPyPI) {
    auto bang = v.find('!');
    if (bang != std::string_view::npos) v = v.substr(bang + 1);
  }
  if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  std::size_t i = 0;
  while (i < v.size() && IsDigit(v[i])) ++i;
  std::string_view d = v.substr(0, i);
  while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
  return std::string(d);
}

}  // namespace tollgate::deps
