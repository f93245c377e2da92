#include "core/canonical_json.h"

#include "core/utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tollgate {

namespace {

// The UTF-16 code units of a valid UTF-8 string: the order JCS sorts by.
std::u16string ToUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = DecodeUtf8(s, i).value_or(0xfffd);
    if (cp < 0x10000) {
      out.push_back(static_cast<char16_t>(cp));
    } else {
      const char32_t v = cp - 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (v >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (v & 0x3ff)));
    }
  }
  return out;
}

// Text from elsewhere (nlohmann's messages quote raw input) made safe to put
// in an error message: bytes that are not valid UTF-8 become "\xNN".
std::string SanitizeForMessage(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    if (DecodeUtf8(s, i)) {
      out.append(s.substr(start, i - start));
    } else {
      const auto b = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
      ++i;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Serialisation

// JCS string form: only '"', '\\' and U+0000..U+001F are escaped; the input
// must already be valid UTF-8.
void AppendQuoted(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes copied verbatim
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 0x0f]);
    }
  }
  out.append(s, run, s.size() - run);
  out.push_back('"');
}

// One step of the path from the root to the value being written, kept so
// errors can name the offending value as a JSON Pointer.
struct PathStep {
  const std::string* key = nullptr;  // member name, or null for an array index
  std::size_t index = 0;
};

std::string PointerOf(const std::vector<PathStep>& path) {
  if (path.empty()) return "/";
  std::string out;
  for (const PathStep& step : path) {
    out.push_back('/');
    if (step.key == nullptr) {
      out += std::to_string(step.index);
      continue;
    }
    for (char c : *step.key) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out.push_back(c);
      }
    }
  }
  return out;
}

// Every integer up to this magnitude converts to a double exactly.
constexpr std::uint64_t kMaxExactInteger = std::uint64_t{1} << 53;

class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string& out) : out_(out) {}

  Status Write(const Json& v) {
    switch (v.type()) {
      case Json::value_t::null: out_ += "null"; return Ok();
      case Json::value_t::boolean: out_ += v.get<bool>() ? "true" : "false"; return Ok();
      case Json::value_t::number_integer: {
        const auto i = v.get<std::int64_t>();
        const std::uint64_t magnitude =
            i < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
        return WriteInteger(magnitude, static_cast<double>(i), [i] { return std::to_string(i); });
      }
      case Json::value_t::number_unsigned: {
        const auto u = v.get<std::uint64_t>();
        return WriteInteger(u, static_cast<double>(u), [u] { return std::to_string(u); });
      }
      case Json::value_t::number_float: {
        const auto d = v.get<double>();
        if (!std::isfinite(d)) return Fail(Problem("NaN and Infinity have no JSON form"));
        out_ += FormatEcmaNumber(d);
        return Ok();
      }
      case Json::value_t::string: {
        const auto& s = v.get_ref<const std::string&>();
        if (!IsValidUtf8(s)) return Fail(Problem("string is not valid UTF-8"));
        AppendQuoted(s, out_);
        return Ok();
      }
      case Json::value_t::array: return WriteArray(v);
      case Json::value_t::object: return WriteObject(v);
      case Json::value_t::binary: return Fail(Problem("binary values have no JSON form"));
      case Json::value_t::discarded: return Fail(Problem("discarded value has no JSON form"));
    }
    return Fail(Problem("unknown JSON value type"));
  }

 private:
  // An integer is written as the double JCS turns it into. Beyond 2^53 that
  // silently changes most values, so a large integer is accepted only when
  // its decimal digits are exactly the double's ECMAScript form: such text is
  // what Canonicalize itself writes for a large double (1e18 is written
  // "1000000000000000000", which a parser then reads as an integer), and
  // accepting it keeps canonical text stable under parse and re-canonicalize.
  template <typename Digits>
  Status WriteInteger(std::uint64_t magnitude, double as_double, Digits digits) {
    std::string text = FormatEcmaNumber(as_double);
    if (magnitude > kMaxExactInteger) {
      std::string original = digits();
      if (original != text) return Fail(BigInteger(original, text));
    }
    out_ += text;
    return Ok();
  }

  Status WriteArray(const Json& v) {
    if (path_.size() >= kMaxJsonDepth) return Fail(Problem("nesting too deep"));
    out_.push_back('[');
    std::size_t index = 0;
    for (const Json& element : v.get_ref<const Json::array_t&>()) {
      if (index > 0) out_.push_back(',');
      path_.push_back({nullptr, index});
      TG_TRY(Write(element));
      path_.pop_back();
      ++index;
    }
    out_.push_back(']');
    return Ok();
  }

  Status WriteObject(const Json& v) {
    if (path_.size() >= kMaxJsonDepth) return Fail(Problem("nesting too deep"));
    struct Member {
      const std::string* name;
      const Json* value;
    };
    const auto& object = v.get_ref<const Json::object_t&>();
    std::vector<Member> members;
    members.reserve(object.size());
    bool all_ascii = true;
    for (const auto& [name, value] : object) {
      if (!IsValidUtf8(name)) {
        path_.push_back({&name, 0});
        return Fail(Problem("member name is not valid UTF-8"));
      }
      all_ascii = all_ascii && IsAscii(name);
      members.push_back({&name, &value});
    }
    // nlohmann keeps members in a std::map ordered by bytes, which for ASCII
    // names already is the UTF-16 order JCS requires; otherwise sort by UTF-16
    // code units. Names are unique (they come from a map), so the order is total.
    if (!all_ascii) {
      std::vector<std::pair<std::u16string, Member>> keyed;
      keyed.reserve(members.size());
      for (const Member& m : members) keyed.emplace_back(ToUtf16(*m.name), m);
      std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t i = 0; i < keyed.size(); ++i) members[i] = keyed[i].second;
    }

    out_.push_back('{');
    bool first = true;
    for (const Member& m : members) {
      if (!first) out_.push_back(',');
      first = false;
      AppendQuoted(*m.name, out_);
      out_.push_back(':');
      path_.push_back({m.name, 0});
      TG_TRY(Write(*m.value));
      path_.pop_back();
    }
    out_.push_back('}');
    return Ok();
  }

  Error Problem(const std::string& what) const {
    return Error::Input("canonical JSON: value at " + SanitizeForMessage(PointerOf(path_)) + ": " +
                        what);
  }

  Error BigInteger(const std::string& digits, const std::string& as_double) const {
    return Problem("the integer " + digits +
                   " cannot be represented exactly: JCS converts numbers to IEEE-754 doubles, "
                   "which would make it " + as_double + "; send it as a string");
  }

  std::string& out_;
  std::vector<PathStep> path_;  // invariant: path_.size() is the current nesting depth
};

// ---------------------------------------------------------------------------
// Strict parsing

// A forward iterator over the input text that records, in *frontier, the
// furthest position the parser has read. nlohmann's SAX callbacks carry no
// position, so this is how a duplicate key is located in the text.
// `frontier` must outlive every copy of the iterator.
class TrackingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator() = default;
  TrackingIterator(const char* p, const char** frontier) : p_(p), frontier_(frontier) {}

  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    if (frontier_ != nullptr && p_ > *frontier_) *frontier_ = p_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const TrackingIterator& a, const TrackingIterator& b) { return a.p_ == b.p_; }

 private:
  const char* p_ = nullptr;
  const char** frontier_ = nullptr;
};

// "what:line:col" for a byte offset; the column counts code points, so it
// matches what an editor shows for UTF-8 text.
std::string PositionOf(std::string_view text, std::size_t offset, std::string_view what) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == '\n') {
      ++line;
      column = 1;
    } else if ((b & 0xc0) != 0x80) {
      ++column;
    }
  }
  return std::string(what) + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// Builds the DOM through nlohmann's own SAX builder and adds the checks
// nlohmann does not make: duplicate member names and a nesting limit.
class StrictSax {
 public:
  using string_t = Json::string_t;

  // `text` and `frontier` must outlive the parser; `frontier` is advanced by
  // the TrackingIterator the parser reads through.
  StrictSax(Json& root, std::string_view text, const char* const* frontier)
      : dom_(root, /*allow_exceptions=*/false), text_(text), frontier_(frontier) {}

  bool null() { return dom_.null(); }
  bool boolean(bool b) { return dom_.boolean(b); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const string_t& s) {
    // nlohmann reads an integer literal beyond 64 bits as a double, silently
    // dropping digits. Evidence must not change on the way in: refuse it.
    // (Digits that are exactly a double's ECMAScript form, such as the
    // canonical "100000000000000000000" for 1e20, lose nothing and pass.)
    if (s.find_first_of(".eE") == string_t::npos && FormatEcmaNumber(v) != s)
      return Reject(Consumed() - 1, "integer " + s + " is too large to be represented exactly");
    return dom_.number_float(v, s);
  }
  bool string(string_t& s) { return dom_.string(s); }
  bool binary(Json::binary_t& b) { return dom_.binary(b); }

  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    if (!keys_.back().insert(k).second) {
      std::string quoted;
      AppendQuoted(k, quoted);
      return Reject(KeyStart(), "duplicate object key " + quoted);
    }
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (!Enter()) return false;
    return dom_.start_array(n);
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const Json::exception& ex) {
    // nlohmann counts characters read, so the offending one is the last read.
    return Reject(position > 0 ? position - 1 : 0, JsonErrorDescription(ex.what()));
  }

  // Set once parsing stopped on an error: the offset and the description.
  const std::optional<std::pair<std::size_t, std::string>>& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxJsonDepth) {
      return Reject(Consumed() - 1,
                    "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return true;
  }

  std::size_t Consumed() const { return static_cast<std::size_t>(*frontier_ - text_.data()); }

  // The parser has just read a key's closing quote. Inside a valid JSON string
  // a '"' is always escaped, i.e. preceded by an odd run of backslashes, so the
  // nearest earlier quote preceded by an even run is the opening one.
  std::size_t KeyStart() const {
    std::size_t close = Consumed() - 1;
    std::size_t i = close;
    while (i > 0) {
      --i;
      if (text_[i] != '"') continue;
      std::size_t backslashes = 0;
      for (std::size_t j = i; j > 0 && text_[j - 1] == '\\'; --j) ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return close;
  }

  bool Reject(std::size_t offset, std::string description) {
    if (!error_) error_.emplace(offset, std::move(description));
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::string_view text_;
  const char* const* frontier_;
  std::size_t depth_ = 0;
  std::vector<std::set<std::string>> keys_;  // names seen in each open object
  std::optional<std::pair<std::size_t, std::string>> error_;
};

}  // namespace

// nlohmann's messages read "[json.exception.parse_error.101] parse error at
// line 1, column 2: syntax error ..."; keep only the description, because the
// position is reported in our own form.
std::string JsonErrorDescription(const char* what) {
  std::string_view s(what);
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find("] ");
    if (close != std::string_view::npos) s.remove_prefix(close + 2);
  }
  if (s.starts_with("parse error")) {
    const std::size_t colon = s.find(": ");
    if (colon != std::string_view::npos) s.remove_prefix(colon + 2);
  }
  return SanitizeForMessage(s);
}

std::string FormatEcmaNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  if (value == 0) return "0";  // both +0 and -0

  // Shortest round-trip digits in the form "[-]d[.ddd]e±x"; std::to_chars
  // breaks ties between equally short candidates by the closest one, which is
  // the ECMAScript "Note 2" rule.
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));

  std::string out;
  std::size_t pos = 0;
  if (sci[pos] == '-') {
    out.push_back('-');
    ++pos;
  }
  const std::size_t e = sci.find('e', pos);
  std::string digits;
  for (char c : sci.substr(pos, e - pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  static_cast<void>(std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent));

  // ECMA-262 Number::toString: value = 0.digits × 10^n, k = number of digits.
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    out += std::to_string(n - 1 < 0 ? 1 - n : n - 1);
  }
  return out;
}

Result<std::string> Canonicalize(const Json& value) {
  std::string out;
  out.reserve(256);
  CanonicalWriter writer(out);
  TG_TRY(writer.Write(value));
  return out;
}

Result<Json> ParseJson(std::string_view text, std::string_view what) {
  Json root;
  const char* frontier = text.data();
  StrictSax sax(root, text, &frontier);
  const TrackingIterator first(text.data(), &frontier);
  const TrackingIterator last(text.data() + text.size(), nullptr);
  const bool ok = Json::sax_parse(first, last, &sax, Json::input_format_t::json, /*strict=*/true,
                                  /*ignore_comments=*/false);
  if (const auto& err = sax.error()) {
    return Fail(Error::Input(PositionOf(text, err->first, what) + ": " + err->second));
  }
  if (!ok) {
    const auto offset = static_cast<std::size_t>(frontier - text.data());
    return Fail(Error::Input(PositionOf(text, offset, what) + ": invalid JSON"));
  }
  return root;
}

}  // namespace tollgate
