#include "core/json_stream.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "core/stream_file.h"

namespace tollgate {
namespace {

constexpr std::size_t kChunk = std::size_t{256} << 10;

// The document in pieces: a file read into one buffer, or text in memory.
class Source {
 public:
  explicit Source(InputFile* file) : file_(file), buf_(kChunk, '\0') { p_ = end_ = buf_.data(); }
  explicit Source(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()), text_start_(text.data()) {}

  // True at the end of the input (refilling the buffer first if need be).
  bool AtEnd() {
    if (p_ != end_) return false;
    if (file_ == nullptr || eof_) return true;
    base_ += static_cast<std::size_t>(end_ - buf_.data());
    auto n = file_->Read(buf_.data(), buf_.size());
    if (!n) {
      read_error_ = n.error();
      eof_ = true;
      n = std::size_t{0};
    }
    p_ = buf_.data();
    end_ = p_ + *n;
    if (*n == 0) eof_ = true;
    return *n == 0;
  }
  char Get() const { return *p_; }
  void Next() { ++p_; }
  // Bytes consumed so far.
  std::size_t Offset() const {
    return base_ + static_cast<std::size_t>(p_ - (file_ != nullptr ? buf_.data() : text_start()));
  }
  // The bytes of the current buffer before the read position (for looking
  // back a little, e.g. to a key's opening quote).
  std::string_view Behind() const {
    const char* start = file_ != nullptr ? buf_.data() : text_start();
    return std::string_view(start, static_cast<std::size_t>(p_ - start));
  }
  const std::optional<Error>& read_error() const { return read_error_; }

 private:
  const char* text_start() const { return text_start_; }

  InputFile* file_ = nullptr;
  std::string buf_;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  const char* text_start_ = nullptr;
  std::size_t base_ = 0;
  bool eof_ = false;
  std::optional<Error> read_error_;
};

// An input iterator over a Source, compared only against the end iterator
// (nullptr), which is how nlohmann's iterator adapter uses it.
class SourceIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = char;

  SourceIterator() = default;
  explicit SourceIterator(Source* s) : s_(s) {}
  char operator*() const { return s_->Get(); }
  SourceIterator& operator++() {
    s_->Next();
    return *this;
  }
  SourceIterator operator++(int) {
    SourceIterator old = *this;
    s_->Next();
    return old;
  }
  friend bool operator==(const SourceIterator& a, const SourceIterator& b) {
    Source* s = a.s_ != nullptr ? a.s_ : b.s_;
    if (s == nullptr || (a.s_ != nullptr && b.s_ != nullptr)) return true;
    return s->AtEnd();
  }

 private:
  Source* s_ = nullptr;
};

// Text safe for a one-line message: printable ASCII kept, other bytes \xNN.
std::string Printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
  return out;
}

// Line and column (in code points) of a byte offset, counted over pieces.
class PositionCounter {
 public:
  // Counts `piece`, stopping at `limit` bytes in total; true once there.
  bool Feed(std::string_view piece, std::size_t limit) {
    for (char c : piece) {
      if (seen_ == limit) return true;
      ++seen_;
      auto b = static_cast<unsigned char>(c);
      if (b == '\n') {
        ++line_;
        column_ = 1;
      } else if ((b & 0xc0) != 0x80) {
        ++column_;
      }
    }
    return seen_ == limit;
  }
  std::string Text(std::string_view what) const {
    return std::string(what) + ":" + std::to_string(line_) + ":" + std::to_string(column_);
  }

 private:
  std::size_t seen_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

// The SAX handler: ParseJson's checks on every value, and the handler's
// choices (build, enter, skip) on the values it is asked about.
class StreamSax {
 public:
  using string_t = Json::string_t;
  using Take = JsonStreamHandler::Take;
  using Type = JsonStreamHandler::Type;

  StreamSax(JsonStreamHandler& h, Source& src) : h_(h), src_(src) {}

  bool null() { return Scalar([] { return Json(nullptr); }); }
  bool boolean(bool b) { return Scalar([b] { return Json(b); }); }
  bool number_integer(Json::number_integer_t v) { return Scalar([v] { return Json(v); }); }
  bool number_unsigned(Json::number_unsigned_t v) { return Scalar([v] { return Json(v); }); }
  bool number_float(Json::number_float_t v, const string_t& s) {
    // As ParseJson: an integer literal beyond 64 bits would silently lose
    // digits as a double.
    if (s.find_first_of(".eE") == string_t::npos && FormatEcmaNumber(v) != s)
      return Reject(src_.Offset() - 1, "integer " + Printable(s) + " is too large to be represented exactly");
    if (dom_) return dom_->number_float(v, s);
    return Scalar([v] { return Json(v); });
  }
  bool string(string_t& s) {
    if (dom_) return dom_->string(s);
    return Scalar([&s] { return Json(std::move(s)); });
  }
  bool binary(Json::binary_t& b) {
    if (dom_) return dom_->binary(b);
    return Scalar([&b] { return Json(std::move(b)); });
  }

  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    keys_.emplace_back();
    return StartContainer(Type::kObject, n);
  }
  bool key(string_t& k) {
    if (!keys_.back().insert(k).second) return Reject(KeyStart(), "duplicate object key " + Printable(Json(k).dump()));
    if (dom_) return dom_->key(k);
    if (skip_ == 0) frames_.back().key = k;
    return true;
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return EndContainer(true);
  }
  bool start_array(std::size_t n) {
    if (!Enter()) return false;
    return StartContainer(Type::kArray, n);
  }
  bool end_array() {
    --depth_;
    return EndContainer(false);
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/, const Json::exception& ex) {
    // nlohmann counts characters read, so the offending one is the last read.
    return Reject(position > 0 ? position - 1 : 0, JsonErrorDescription(ex.what()));
  }

  const std::optional<std::pair<std::size_t, std::string>>& syntax_error() const { return syntax_; }
  const std::optional<Error>& handler_error() const { return handler_error_; }

 private:
  struct Frame {
    bool array = false;
    std::size_t count = 0;
    std::string key;
  };

  // The path of the value about to start, in path_.
  void PushStep() {
    if (frames_.empty()) return;  // the root
    Frame& f = frames_.back();
    JsonStep step;
    step.in_array = f.array;
    if (f.array) step.index = f.count++;
    else step.key = std::move(f.key);
    path_.push_back(std::move(step));
  }
  void PopStep() {
    if (!path_.empty()) path_.pop_back();
  }

  template <typename Make>
  bool Scalar(Make make) {
    if (dom_) {
      Json v = make();
      return AddToDom(std::move(v));
    }
    if (skip_ > 0) return true;
    PushStep();
    bool ok = true;
    if (h_.Begin(path_, Type::kScalar) == Take::kValue) ok = Handle(h_.Value(path_, make()));
    if (!frames_.empty()) PopStep();
    return ok;
  }

  // A scalar inside a value being built.
  bool AddToDom(Json v) {
    if (v.is_null()) return dom_->null();
    if (v.is_boolean()) return dom_->boolean(v.get<bool>());
    if (v.is_number_unsigned()) return dom_->number_unsigned(v.get<Json::number_unsigned_t>());
    if (v.is_number_integer()) return dom_->number_integer(v.get<Json::number_integer_t>());
    return true;  // floats, strings and binaries go to dom_ directly
  }

  bool StartContainer(Type type, std::size_t n) {
    const bool object = type == Type::kObject;
    if (dom_) {
      ++nest_;
      return object ? dom_->start_object(n) : dom_->start_array(n);
    }
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    PushStep();
    switch (h_.Begin(path_, type)) {
      case Take::kValue:
        built_ = Json();
        dom_ = std::make_unique<nlohmann::detail::json_sax_dom_parser<Json>>(built_, /*allow_exceptions=*/false);
        nest_ = 1;
        return object ? dom_->start_object(n) : dom_->start_array(n);
      case Take::kEnter:
        frames_.push_back(Frame{!object, 0, {}});
        return true;
      case Take::kSkip:
        skip_ = 1;
        return true;
    }
    return true;
  }

  bool EndContainer(bool object) {
    if (dom_) {
      bool ok = object ? dom_->end_object() : dom_->end_array();
      if (--nest_ > 0) return ok;
      dom_.reset();
      ok = ok && Handle(h_.Value(path_, std::move(built_)));
      PopStep();
      return ok;
    }
    if (skip_ > 0) {
      if (--skip_ == 0) PopStep();
      return true;
    }
    frames_.pop_back();
    bool ok = Handle(h_.End(path_));
    PopStep();
    return ok;
  }

  bool Handle(Status s) {
    if (s) return true;
    if (!handler_error_) handler_error_ = s.error();
    return false;
  }

  bool Enter() {
    if (++depth_ > kMaxJsonDepth)
      return Reject(src_.Offset() - 1, "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return true;
  }

  // The parser has just read a key's closing quote; its opening quote is the
  // nearest earlier one preceded by an even run of backslashes, when it is
  // still in the buffer.
  std::size_t KeyStart() const {
    std::string_view behind = src_.Behind();
    std::size_t close = src_.Offset() - 1;
    if (behind.empty()) return close;
    std::size_t i = behind.size() - 1;
    while (i > 0) {
      --i;
      if (behind[i] != '"') continue;
      std::size_t backslashes = 0;
      for (std::size_t j = i; j > 0 && behind[j - 1] == '\\'; --j) ++backslashes;
      if (backslashes % 2 == 0) return close - (behind.size() - 1 - i);
    }
    return close;
  }

  bool Reject(std::size_t offset, std::string description) {
    if (!syntax_) syntax_.emplace(offset, std::move(description));
    return false;
  }

  JsonStreamHandler& h_;
  Source& src_;
  std::size_t depth_ = 0;
  std::vector<std::set<std::string>> keys_;  // names seen in each open object
  std::vector<Frame> frames_;                // containers entered
  JsonPath path_;
  std::size_t skip_ = 0;  // nesting inside a skipped container
  std::unique_ptr<nlohmann::detail::json_sax_dom_parser<Json>> dom_;
  Json built_;
  std::size_t nest_ = 0;  // nesting inside the value being built
  std::optional<std::pair<std::size_t, std::string>> syntax_;
  std::optional<Error> handler_error_;
};

// Runs the parse; `position` turns an offset into "what:line:column".
template <typename PositionFn>
Status Run(Source& src, JsonStreamHandler& handler, const PositionFn& position) {
  StreamSax sax(handler, src);
  const bool ok = Json::sax_parse(SourceIterator(&src), SourceIterator(), &sax, Json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (src.read_error()) return Fail(*src.read_error());
  if (sax.handler_error()) return Fail(*sax.handler_error());
  if (const auto& err = sax.syntax_error()) return Fail(Error::Input(position(err->first) + ": " + err->second));
  if (!ok) return Fail(Error::Input(position(src.Offset()) + ": invalid JSON"));
  return Ok();
}

}  // namespace

std::string JsonPathText(const JsonPath& path) {
  std::string out;
  for (const auto& step : path) {
    if (step.in_array) {
      out += "[" + std::to_string(step.index) + "]";
      continue;
    }
    bool ident = !step.key.empty() && std::all_of(step.key.begin(), step.key.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
             c == '-';
    });
    if (ident) {
      if (!out.empty()) out += '.';
      out += step.key;
    } else {
      out += "[" + Printable(Json(step.key).dump()) + "]";
    }
  }
  return out;
}

Status StreamJsonFile(const std::string& path, JsonStreamHandler& handler, const std::string& what) {
  auto file = InputFile::Open(path);
  if (!file) return Fail(file.error());
  const std::string name = what.empty() ? path : what;
  Source src(&*file);
  return Run(src, handler, [&](std::size_t offset) {
    // Count lines up to the offset by reading the file again (errors only).
    PositionCounter pc;
    auto again = InputFile::Open(path);
    if (again) {
      std::string buf(kChunk, '\0');
      for (;;) {
        auto n = again->Read(buf.data(), buf.size());
        if (!n || *n == 0 || pc.Feed(std::string_view(buf.data(), *n), offset)) break;
      }
    }
    return pc.Text(name);
  });
}

Status StreamJsonText(std::string_view text, std::string_view what, JsonStreamHandler& handler) {
  Source src(text);
  return Run(src, handler, [&](std::size_t offset) {
    PositionCounter pc;
    pc.Feed(text, std::min(offset, text.size()));
    return pc.Text(what);
  });
}

}  // namespace tollgate
