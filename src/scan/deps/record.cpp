// The stored form of an advisory in the database (`advisories.record`): a
// flat binary encoding of the Advisory struct, decoded without building a
// JSON document (docs/deps.md, "Format"). Every length is checked against the
// bytes that remain, so a damaged record is an error, never an overread.
#include <cstdint>

#include "scan/deps/osv.h"

namespace tollgate::deps {
namespace {

constexpr std::string_view kMagic = "TGA1";

// Writer and Reader offer the same operations, so one function (Fields)
// describes the layout for both directions.
class Writer {
 public:
  void Varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Str(std::string& s) {
    Varint(s.size());
    out_.append(s);
  }
  template <typename T>
  void Size(std::vector<T>& v) { Varint(v.size()); }
  void Kind(OsvEvent::Kind& k) { Varint(static_cast<std::uint64_t>(k)); }
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
  void Str(std::string& s) {
    auto n = Count();
    s.assign(in_.substr(pos_, n));
    pos_ += n;
  }
  template <typename T>
  void Size(std::vector<T>& v) { v.resize(Count()); }
  void Kind(OsvEvent::Kind& k) {
    auto v = Varint();
    if (v > OsvEvent::kLimit) v = Bad();
    k = static_cast<OsvEvent::Kind>(v);
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

template <typename IO>
void Strings(IO& io, std::vector<std::string>& v) {
  io.Size(v);
  for (auto& s : v) io.Str(s);
}

// The layout: the struct's fields in order; vectors as a count then items.
// Range events are kept in the order they were sorted into when parsed.
template <typename IO>
void Fields(IO& io, Advisory& a) {
  for (std::string* s : {&a.id, &a.modified, &a.published, &a.withdrawn, &a.summary}) io.Str(*s);
  Strings(io, a.aliases);
  io.Size(a.severity);
  for (auto& s : a.severity) {
    io.Str(s.type);
    io.Str(s.score);
  }
  io.Str(a.severity_label);
  io.Size(a.affected);
  for (auto& af : a.affected) {
    for (std::string* s : {&af.ecosystem, &af.name, &af.purl, &af.severity_label}) io.Str(*s);
    Strings(io, af.versions);
    io.Size(af.ranges);
    for (auto& range : af.ranges) {
      io.Str(range.type);
      io.Size(range.events);
      for (auto& ev : range.events) {
        io.Kind(ev.kind);
        io.Str(ev.version);
      }
    }
  }
  Strings(io, a.references);
}

}  // namespace

std::string EncodeAdvisory(const Advisory& a) {
  Writer w;
  w.Raw(kMagic);
  Advisory copy = a;  // Fields takes non-const references for both directions
  Fields(w, copy);
  return w.Take();
}

Result<Advisory> DecodeAdvisory(std::string_view bytes, std::string_view what) {
  Reader r(bytes);
  if (!r.Expect(kMagic)) return Fail(Error::Integrity(std::string(what) + ": not a stored advisory record"));
  Advisory a;
  Fields(r, a);
  if (!r.ok() || !r.AtEnd() || a.id.empty())
    return Fail(Error::Integrity(std::string(what) + ": damaged record (truncated, altered or trailing bytes)"));
  for (auto& af : a.affected) {
    af.eco = ParseEcosystem(af.ecosystem);
    if (af.eco) af.key_name = NormalizeName(*af.eco, af.name);
  }
  return a;
}

}  // namespace tollgate::deps
