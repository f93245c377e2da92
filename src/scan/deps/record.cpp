// The stored form of an advisory in the database (`advisories.record`): a
// flat binary encoding of the Advisory struct, decoded without building a
// JSON document (docs/deps.md, "Format"). Every length is checked against the
// bytes that remain, so a damaged record is an error, never an overread.
#include <cstdint>

#include "scan/deps/osv.h"

namespace tollgate::deps {
namespace {

constexpr std::string_view kMagic = "TGA1";

class Writer {
 public:
  void Varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Str(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  void Strs(const std::vector<std::string>& v) {
    Varint(v.size());
    for (const auto& s : v) Str(s);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == in_.size(); }
  std::uint64_t Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Bad();
      auto b = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Bad();
  }
  // A count of items each at least one byte long: bounded by what remains.
  std::size_t Count() {
    auto n = Varint();
    if (n > in_.size() - pos_) return static_cast<std::size_t>(Bad());
    return static_cast<std::size_t>(n);
  }
  std::string Str() {
    auto n = Count();
    if (!ok_) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::vector<std::string> Strs() {
    std::vector<std::string> v(Count());
    for (auto& s : v) s = Str();
    return v;
  }
  bool Expect(std::string_view magic) {
    if (in_.substr(0, magic.size()) != magic) return Bad() != 0;
    pos_ = magic.size();
    return true;
  }

 private:
  std::uint64_t Bad() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string EncodeAdvisory(const Advisory& a) {
  Writer w;
  w.Raw(kMagic);
  for (const std::string* s : {&a.id, &a.modified, &a.published, &a.withdrawn, &a.summary}) w.Str(*s);
  w.Strs(a.aliases);
  w.Varint(a.severity.size());
  for (const auto& s : a.severity) {
    w.Str(s.type);
    w.Str(s.score);
  }
  w.Str(a.severity_label);
  w.Varint(a.affected.size());
  for (const auto& af : a.affected) {
    w.Str(af.ecosystem);
    w.Str(af.name);
    w.Str(af.purl);
    w.Str(af.severity_label);
    w.Strs(af.versions);
    w.Varint(af.ranges.size());
    for (const auto& r : af.ranges) {
      w.Str(r.type);
      w.Varint(r.events.size());
      for (const auto& ev : r.events) {  // in evaluation order (sorted when parsed)
        w.Varint(static_cast<std::uint64_t>(ev.kind));
        w.Str(ev.version);
      }
    }
  }
  w.Strs(a.references);
  return w.Take();
}

Result<Advisory> DecodeAdvisory(std::string_view bytes, std::string_view what) {
  Reader r(bytes);
  if (!r.Expect(kMagic)) return Fail(Error::Integrity(std::string(what) + ": not a stored advisory record"));
  Advisory a;
  for (std::string* s : {&a.id, &a.modified, &a.published, &a.withdrawn, &a.summary}) *s = r.Str();
  a.aliases = r.Strs();
  a.severity.resize(r.Count());
  for (auto& s : a.severity) {
    s.type = r.Str();
    s.score = r.Str();
  }
  a.severity_label = r.Str();
  a.affected.resize(r.Count());
  for (auto& af : a.affected) {
    af.ecosystem = r.Str();
    af.name = r.Str();
    af.purl = r.Str();
    af.severity_label = r.Str();
    af.versions = r.Strs();
    af.ranges.resize(r.Count());
    for (auto& range : af.ranges) {
      range.type = r.Str();
      range.events.resize(r.Count());
      for (auto& ev : range.events) {
        auto kind = r.Varint();
        if (kind > OsvEvent::kLimit) return Fail(Error::Integrity(std::string(what) + ": damaged record (event kind)"));
        ev.kind = static_cast<OsvEvent::Kind>(kind);
        ev.version = r.Str();
      }
    }
    af.eco = ParseEcosystem(af.ecosystem);
    if (af.eco) af.key_name = NormalizeName(*af.eco, af.name);
  }
  a.references = r.Strs();
  if (!r.ok() || !r.AtEnd() || a.id.empty())
    return Fail(Error::Integrity(std::string(what) + ": damaged record (truncated or trailing bytes)"));
  return a;
}

}  // namespace tollgate::deps
