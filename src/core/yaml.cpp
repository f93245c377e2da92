#include "core/yaml.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "core/file.h"
#include "core/utf8.h"

namespace tollgate::yaml {
namespace {

// Thrown from inside yaml-cpp's parser to stop it; caught in Parse().
struct Refusal {
  Error error;
};

bool LooksLikeInt(std::string_view s) {
  std::size_t i = (s.size() > 1 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

bool LooksLikeFloat(std::string_view s) {
  std::size_t i = (s.size() > 1 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  bool digits = false, dot = false, exp = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot && !exp) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits && !exp) {
      exp = true;
      if (i + 1 < s.size() && (s[i + 1] == '+' || s[i + 1] == '-')) ++i;
      digits = false;
    } else {
      return false;
    }
  }
  return digits;
}

ScalarType ResolveText(const std::string& tag, const std::string& s) {
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return ScalarType::kString;
  if (s.empty() || s == "null" || s == "Null" || s == "NULL" || s == "~") return ScalarType::kNull;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE")
    return ScalarType::kBool;
  if (LooksLikeInt(s)) return ScalarType::kInt;
  if (LooksLikeFloat(s)) return ScalarType::kFloat;
  return ScalarType::kString;
}

// How a key reads in a duplicate-key message, as Go's yaml does: strings
// quoted, other plain scalars bare.
std::string KeyLabel(const std::string& tag, const std::string& text, bool null) {
  if (null) return "null";
  ScalarType t = ResolveText(tag, text);
  if (t != ScalarType::kString) return text;
  return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The event pass: checks one stream and measures each document.
class Checker : public YAML::EventHandler {
 public:
  Checker(const std::string& file, const Limits& limits, std::size_t text_size, bool single)
      : file_(file), limits_(limits), single_(single) {
    max_nodes_ = std::max<std::uint64_t>(limits.max_nodes, 2 * static_cast<std::uint64_t>(text_size));
    max_bytes_ = std::max<std::uint64_t>(limits.max_scalar_bytes, 2 * static_cast<std::uint64_t>(text_size));
  }

  struct DocInfo {
    YAML::Mark start;
    bool empty = true;
    std::uint64_t nodes = 0;
    std::uint64_t bytes = 0;
    std::size_t depth = 0;
  };
  std::vector<DocInfo> docs;

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp hands out the same empty document forever when a token cannot
    // start a node (a lone ','): each document must start further on.
    if (!docs.empty() && mark.pos <= docs.back().start.pos) Refuse(mark, "invalid YAML: unexpected character here");
    docs.push_back(DocInfo{mark});
    anchors_.clear();
    frames_.clear();
    pending_anchor_.clear();
    doc_nodes_ = doc_bytes_ = 0;
    capture_.clear();
    capturing_ = 0;
  }
  void OnDocumentEnd() override {}

  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_anchor_ = name; }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor, "", true, ""); }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(mark, anchor, tag, false, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) Refuse(mark, "invalid YAML: the alias names no anchor");  // yaml-cpp refuses first
    const Anchor& a = it->second;
    if (!a.complete) Refuse(mark, "alias *" + a.name + " refers to a node that contains it (a cycle)");
    Begin(mark, false);
    if (WantsKey()) Key(mark, a.scalar ? "s" + a.text : "*" + std::to_string(anchor), [&] { return a.label; });
    Grow(mark, a.nodes, a.bytes);
    // The aliased collections nest here too: chained aliases could otherwise
    // nest far deeper than the text does, and every walk recurses.
    if (frames_.size() + a.height > limits_.max_depth)
      Refuse(mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels once aliases are expanded");
    Done(a.nodes, a.bytes, a.height);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor, false);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor, true);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Anchor {
    std::string name;
    bool complete = false;  // an alias to an incomplete anchor is a cycle
    bool scalar = false;
    std::string text;   // a scalar anchor's value (a key may alias it)
    std::string label;  // how a key that aliases it reads in messages
    std::uint64_t nodes = 0, bytes = 0;
    std::size_t height = 0;  // levels of collections in it, expanded (a scalar: 0)
  };
  struct Frame {
    bool map = false;
    YAML::anchor_t anchor = 0;
    std::uint64_t nodes = 1, bytes = 0;  // this collection once expanded, so far
    std::size_t height = 1;              // levels of collections in it, expanded, so far
    bool next_is_key = true;             // mappings: the next child is a key
    std::unordered_map<std::string, YAML::Mark> keys;
    // A collection used as a mapping key: its events are spelled into
    // capture_ from capture_from on, and compared when it closes.
    bool complex_key = false;
    std::size_t capture_from = 0;
    YAML::Mark mark;
  };

  [[noreturn]] void Refuse(const YAML::Mark& mark, const std::string& what) const {
    throw Refusal{Error::Input(yaml::Where(file_, mark) + ": " + what)};
  }

  void Capture(std::string_view token, const YAML::Mark& mark) {
    if (capturing_ == 0) return;
    if (capture_.size() + token.size() > kMaxCapture)
      Refuse(mark, "a mapping key longer than " + std::to_string(kMaxCapture) + " bytes");
    capture_ += token;
  }

  // A node starts. The root decides whether its document counts.
  void Begin(const YAML::Mark& mark, bool bare_null) {
    if (frames_.empty()) {
      DocInfo& d = docs.back();
      d.empty = bare_null;  // an empty document (or a bare null) does not count
      if (!d.empty && single_ && ++non_empty_ > 1)
        throw Refusal{
            Error::Input(yaml::Where(file_, d.start) + ": a second YAML document; this file must hold exactly one")};
    }
    Capture(";", mark);
  }

  // Whether the node that begins is a mapping key or part of one.
  bool WantsKey() const { return capturing_ > 0 || (!frames_.empty() && frames_.back().map && frames_.back().next_is_key); }

  // A scalar or alias that is a key of the innermost mapping, or part of a
  // collection key; `label` says how it reads in a message.
  template <typename Label>
  void Key(const YAML::Mark& mark, const std::string& sig, Label&& label) {
    Capture(sig, mark);
    Frame& f = frames_.back();
    if (!f.map || !f.next_is_key) return;
    auto [it, fresh] = f.keys.emplace(sig, mark);
    if (!fresh) Duplicate(mark, label(), it->second);
  }

  [[noreturn]] void Duplicate(const YAML::Mark& mark, const std::string& label, const YAML::Mark& first) const {
    Refuse(mark, "key " + label + " already set in map (first at line " + std::to_string(first.line + 1) + ", column " +
                     std::to_string(first.column + 1) + ")");
  }

  // Counts into the document's expanded size as events arrive, so an alias
  // bomb fails after its text is read once, before anything is expanded.
  void Grow(const YAML::Mark& mark, std::uint64_t nodes, std::uint64_t bytes) {
    doc_nodes_ += nodes;
    doc_bytes_ += bytes;
    if (doc_nodes_ > max_nodes_)
      Refuse(mark, "the document grows beyond " + std::to_string(max_nodes_) +
                       " nodes once its aliases are expanded (an alias bomb?)");
    if (doc_bytes_ > max_bytes_)
      Refuse(mark, "the document grows beyond " + std::to_string(max_bytes_) +
                       " bytes of text once its aliases are expanded (an alias bomb?)");
  }

  // A child node is complete: it adds to its parent, and mappings alternate
  // between key and value.
  void Done(std::uint64_t nodes, std::uint64_t bytes, std::size_t height) {
    if (frames_.empty()) {
      docs.back().nodes = nodes;
      docs.back().bytes = bytes;
      docs.back().depth = height;
      return;
    }
    Frame& f = frames_.back();
    f.nodes += nodes;
    f.bytes += bytes;
    f.height = std::max(f.height, height + 1);
    if (f.map) f.next_is_key = !f.next_is_key;
  }

  void Remember(YAML::anchor_t id, Anchor a) {
    if (id == 0) return;
    a.name = pending_anchor_;
    anchors_[id] = std::move(a);
  }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& tag, bool null,
            const std::string& value) {
    Begin(mark, null && anchor == 0);
    // A null key reads as the empty string, as the conversions make it.
    if (WantsKey()) Key(mark, "s" + value, [&] { return KeyLabel(tag, value, null); });
    Grow(mark, 1, value.size());
    if (anchor != 0) Remember(anchor, Anchor{"", true, true, value, KeyLabel(tag, value, null), 1, value.size(), 0});
    pending_anchor_.clear();
    Done(1, value.size(), 0);
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    Begin(mark, false);
    if (frames_.size() >= limits_.max_depth)
      Refuse(mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    Frame f;
    f.map = map;
    f.anchor = anchor;
    f.mark = mark;
    f.complex_key = !frames_.empty() && frames_.back().map && frames_.back().next_is_key;
    if (f.complex_key) {
      f.capture_from = capture_.size();
      ++capturing_;
    }
    Capture(map ? "{" : "[", mark);
    Grow(mark, 1, 0);
    Remember(anchor, Anchor{});  // incomplete until it closes
    pending_anchor_.clear();
    frames_.push_back(std::move(f));
  }

  void Close() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    Capture(f.map ? "}" : "]", f.mark);
    const char* label = f.map ? "{...}" : "[...]";
    if (f.anchor != 0) {
      Anchor& a = anchors_[f.anchor];
      a.complete = true;
      a.nodes = f.nodes;
      a.bytes = f.bytes;
      a.height = f.height;
      a.label = label;
    }
    if (f.complex_key) {
      std::string sig = "c" + capture_.substr(f.capture_from);
      if (--capturing_ == 0) capture_.clear();
      auto [it, fresh] = frames_.back().keys.emplace(std::move(sig), f.mark);
      if (!fresh) Duplicate(f.mark, label, it->second);
    }
    Done(f.nodes, f.bytes, f.height);
  }

  static constexpr std::size_t kMaxCapture = 64 * 1024;

  const std::string& file_;
  const Limits& limits_;
  bool single_;
  std::uint64_t max_nodes_ = 0, max_bytes_ = 0;
  int non_empty_ = 0;
  std::unordered_map<YAML::anchor_t, Anchor> anchors_;
  std::string pending_anchor_;
  std::vector<Frame> frames_;
  std::uint64_t doc_nodes_ = 0, doc_bytes_ = 0;
  std::size_t capturing_ = 0;
  std::string capture_;
};

Error SyntaxError(const std::string& file, const YAML::Exception& e) {
  std::string msg = e.msg;
  if (msg == "bad file") msg = "nesting too deep";  // yaml-cpp's DepthGuard says "bad file"
  return Error::Input(Where(file, e.mark) + ": invalid YAML: " + msg);
}

Result<std::vector<Document>> Parse(std::string_view text, const std::string& file, const Limits& limits, bool single) {
  if (auto nul = text.find('\0'); nul != std::string_view::npos) {
    YAML::Mark m;
    m.pos = static_cast<int>(nul);
    m.line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n'));
    auto nl = text.rfind('\n', nul);
    m.column = static_cast<int>(nl == std::string_view::npos ? nul : nul - nl - 1);
    return Fail(Error::Input(Where(file, m) +
                             ": a NUL byte: not a YAML text file (UTF-16 and UTF-32 are not read: save it as UTF-8)"));
  }
  const std::string owned(text);
  Checker checker(file, limits, text.size(), single);
  try {
    std::istringstream in(owned);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(checker)) {
    }
  } catch (const Refusal& r) {
    return Fail(r.error);
  } catch (const YAML::Exception& e) {
    return Fail(SyntaxError(file, e));
  }
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(owned);
  } catch (const YAML::Exception& e) {
    return Fail(SyntaxError(file, e));
  }
  if (nodes.size() != checker.docs.size())
    return Fail(Error::Internal(file + ": YAML documents counted " + std::to_string(checker.docs.size()) +
                                " times but loaded " + std::to_string(nodes.size()) + " times"));
  std::vector<Document> out;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& d = checker.docs[i];
    if (d.empty) continue;
    out.push_back(Document{nodes[i], d.start, d.nodes, d.bytes, d.depth, i});
  }
  return out;
}

Json NumberJson(const std::string& text, ScalarType t) {
  std::string_view s = text;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (t == ScalarType::kInt) {
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc() && p == s.data() + s.size()) return Json(i);
    std::uint64_t u = 0;
    auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), u);
    if (ec2 == std::errc() && p2 == s.data() + s.size()) return Json(u);
  }
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc() && p == s.data() + s.size() && std::isfinite(d)) return Json(d);
  return Json(text);  // out of range (1e999): kept as written
}

Result<Json> ToJsonRec(const YAML::Node& n, const std::string& file, Budget& budget, const JsonOptions& options,
                       std::size_t depth) {
  const bool collection = n.IsSequence() || n.IsMap();
  if (!budget.Take(n.IsScalar() ? n.Scalar().size() : 0) || (collection && depth >= budget.depth))
    return Fail(BudgetError(file, n, budget));
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const ScalarType t = options.scalars_as_text ? ScalarType::kString : Resolve(n);
      switch (t) {
        case ScalarType::kNull:
          return Json(nullptr);
        case ScalarType::kBool:
          return Json(n.Scalar()[0] == 't' || n.Scalar()[0] == 'T');
        case ScalarType::kInt:
        case ScalarType::kFloat:
          return NumberJson(n.Scalar(), t);
        case ScalarType::kString:
          break;
      }
      return Json(ToValidUtf8(n.Scalar()));
    }
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& c : n) {
        auto v = ToJsonRec(c, file, budget, options, depth + 1);
        if (!v) return v;
        a.push_back(std::move(*v));
      }
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar() && !kv.first.IsNull()) return Fail(CollectionKeyError(file, kv.first));
        if (!budget.Take(kv.first.Scalar().size())) return Fail(BudgetError(file, kv.first, budget));
        auto v = ToJsonRec(kv.second, file, budget, options, depth + 1);
        if (!v) return v;
        o[ToValidUtf8(kv.first.Scalar())] = std::move(*v);
      }
      return o;
    }
  }
  return Json(nullptr);
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes, const std::string& what) {
  return ReadFileBounded(path, max_bytes, what);
}

Result<Document> ParseDocument(std::string_view text, const std::string& file, const Limits& limits) {
  auto docs = Parse(text, file, limits, true);
  if (!docs) return Fail(docs.error());
  if (docs->empty()) return Document{YAML::Node(YAML::NodeType::Null), YAML::Mark(), 1, 0, 0, 0};  // one null node
  return std::move(docs->front());
}

Result<std::vector<Document>> ParseStream(std::string_view text, const std::string& file, const Limits& limits) {
  return Parse(text, file, limits, false);
}

std::string Where(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  std::string pos = std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  return file.empty() ? pos : file + ":" + pos;
}

ScalarType Resolve(const YAML::Node& n) {
  if (!n.IsScalar()) return ScalarType::kNull;
  return ResolveText(n.Tag(), n.Scalar());
}

ScalarType ResolvePlain(std::string_view text) { return ResolveText("?", std::string(text)); }

bool IsQuoted(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "!"; }

Result<Json> ToJson(const YAML::Node& node, const std::string& file, Budget& budget, const JsonOptions& options) {
  return ToJsonRec(node, file, budget, options, 0);
}

Error CollectionKeyError(const std::string& file, const YAML::Node& key) {
  return Error::Input(Where(file, key.Mark()) + ": a mapping key that is " + KindName(key) +
                      " has no JSON form (keys must be scalars)");
}

Error BudgetError(const std::string& file, const YAML::Node& n, const Budget& budget) {
  if (budget.nodes == 0 || (n.IsScalar() && budget.bytes < n.Scalar().size()))
    return Error::Input(Where(file, n.Mark()) + ": the YAML grows beyond its budget once its aliases are expanded");
  return Error::Input(Where(file, n.Mark()) + ": nesting deeper than " + std::to_string(budget.depth) + " levels");
}

const char* KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return IsQuoted(n) ? "a quoted string" : "a scalar";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "something else";
}

std::string Reader::Where(const YAML::Node& n) const { return yaml::Where(file_, n.Mark()); }

Error Reader::Bad(const YAML::Node& n, const std::string& what) const { return Error::Input(Where(n) + ": " + what); }

Status Reader::OnlyKeys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& what) const {
  if (!map.IsMap()) return Fail(Bad(map, what + " must be a mapping, not " + KindName(map)));
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) return Fail(Bad(kv.first, what + ": keys must be strings"));
    if (allowed.count(kv.first.Scalar()) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Fail(
          Bad(kv.first, "unknown key '" + kv.first.Scalar() + "' in " + what + " (expected one of: " + list + ")"));
    }
  }
  return Ok();
}

Result<std::string> Reader::String(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) return Fail(Bad(n, "'" + key + "' must be a string, not " + KindName(n)));
  return n.Scalar();
}

Result<std::int64_t> Reader::Int(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) return Fail(Bad(n, "'" + key + "' must be an integer, not " + KindName(n)));
  const std::string& s = n.Scalar();
  if (IsQuoted(n))
    return Fail(
        Bad(n, "'" + key + "' must be an integer, not the quoted string \"" + s + "\" (write it without quotes)"));
  std::string_view v = s;
  if (!v.empty() && v[0] == '+') v.remove_prefix(1);
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (Resolve(n) != ScalarType::kInt || ec != std::errc() || p != v.data() + v.size())
    return Fail(Bad(n, "'" + key + "' must be an integer, got '" + s + "'"));
  return out;
}

Result<double> Reader::Number(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) return Fail(Bad(n, "'" + key + "' must be a number, not " + KindName(n)));
  const std::string& s = n.Scalar();
  if (IsQuoted(n))
    return Fail(
        Bad(n, "'" + key + "' must be a number, not the quoted string \"" + s + "\" (write it without quotes)"));
  ScalarType t = Resolve(n);
  std::string_view v = s;
  if (!v.empty() && v[0] == '+') v.remove_prefix(1);
  double out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if ((t != ScalarType::kInt && t != ScalarType::kFloat) || ec != std::errc() || p != v.data() + v.size() ||
      !std::isfinite(out))
    return Fail(Bad(n, "'" + key + "' must be a number, got '" + s + "'"));
  return out;
}

Result<bool> Reader::Bool(const YAML::Node& n, const std::string& key) const {
  if (n.IsScalar() && !IsQuoted(n) && n.Tag() != "tag:yaml.org,2002:str") {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no") return false;
  }
  if (IsQuoted(n))
    return Fail(Bad(n, "'" + key + "' must be true or false, not the quoted string \"" + n.Scalar() +
                           "\" (write it without quotes)"));
  return Fail(Bad(n, "'" + key + "' must be true or false"));
}

Result<std::vector<std::string>> Reader::StringList(const YAML::Node& n, const std::string& key) const {
  if (!n.IsSequence()) return Fail(Bad(n, "'" + key + "' must be a list of strings, not " + KindName(n)));
  std::vector<std::string> out;
  for (const auto& item : n) {
    auto s = String(item, key + "[]");
    if (!s) return Fail(s.error());
    out.push_back(*s);
  }
  return out;
}

Result<std::map<std::string, std::string>> Reader::StringMap(const YAML::Node& n, const std::string& key) const {
  std::map<std::string, std::string> out;
  if (n.IsNull()) return out;
  if (!n.IsMap()) return Fail(Bad(n, "'" + key + "' must be a mapping of strings, not " + KindName(n)));
  for (const auto& kv : n) {
    auto k = String(kv.first, key + " key");
    if (!k) return Fail(k.error());
    auto v = String(kv.second, key + "." + *k);
    if (!v) return Fail(v.error());
    out[*k] = *v;
  }
  return out;
}

}  // namespace tollgate::yaml
