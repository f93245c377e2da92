// Built-ins: regex (RE2, whose syntax is Go's regexp syntax) and glob.
#include <memory>
#include <mutex>
#include <unordered_map>

#include <re2/re2.h>

#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

// Compiled patterns, shared by all evaluations (bounded).
std::shared_ptr<const RE2> Compile(const std::string& fn, const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const RE2>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(pattern);
    if (it != cache.end()) return it->second;
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern, opts);
  if (!re->ok()) ThrowBuiltinError(fn + ": error parsing regexp: " + re->error());
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() > 4096) cache.clear();
  cache[pattern] = re;
  return re;
}

Value Match(const Args& a, BuiltinContext&) {
  auto re = Compile("regex.match", ArgString("regex.match", a, 0));
  return Value::Bool(RE2::PartialMatch(ArgString("regex.match", a, 1), *re));
}
Value IsValid(const Args& a, BuiltinContext&) {
  if (!a[0].is_string()) return Value::Bool(false);
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re(a[0].as_string(), opts);
  return Value::Bool(re.ok());
}

// All non-overlapping matches: (start, end) of the whole match and groups.
std::vector<std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>>> FindAll(const RE2& re, const std::string& s, std::int64_t n) {
  std::vector<std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>>> out;
  int groups = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> m(static_cast<std::size_t>(groups));
  std::size_t pos = 0;
  std::ptrdiff_t prev_end = -1;
  while (pos <= s.size() && (n < 0 || static_cast<std::int64_t>(out.size()) < n)) {
    if (!re.Match(s, pos, s.size(), RE2::UNANCHORED, m.data(), groups)) break;
    auto start = m[0].data() - s.data();
    auto end = start + static_cast<std::ptrdiff_t>(m[0].size());
    if (end == start && start == prev_end) {
      // An empty match right after the previous match is skipped (Go).
      ++pos;
      continue;
    }
    std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> row;
    for (const auto& g : m) {
      if (g.data() == nullptr) row.emplace_back(-1, -1);
      else row.emplace_back(g.data() - s.data(), g.data() - s.data() + static_cast<std::ptrdiff_t>(g.size()));
    }
    out.push_back(std::move(row));
    prev_end = end;
    pos = end > start ? static_cast<std::size_t>(end) : static_cast<std::size_t>(end) + 1;
  }
  return out;
}

Value FindN(const Args& a, BuiltinContext&) {
  auto re = Compile("regex.find_n", ArgString("regex.find_n", a, 0));
  const std::string& s = ArgString("regex.find_n", a, 1);
  std::int64_t n = ArgInt("regex.find_n", a, 2);
  Array out;
  for (const auto& row : FindAll(*re, s, n))
    out.push_back(Value::String(s.substr(static_cast<std::size_t>(row[0].first), static_cast<std::size_t>(row[0].second - row[0].first))));
  return Value::MakeArray(std::move(out));
}
Value FindAllSubmatch(const Args& a, BuiltinContext&) {
  const char* fn = "regex.find_all_string_submatch_n";
  auto re = Compile(fn, ArgString(fn, a, 0));
  const std::string& s = ArgString(fn, a, 1);
  std::int64_t n = ArgInt(fn, a, 2);
  Array out;
  for (const auto& row : FindAll(*re, s, n)) {
    Array groups;
    for (const auto& [b, e] : row)
      groups.push_back(Value::String(b < 0 ? "" : s.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b))));
    out.push_back(Value::MakeArray(std::move(groups)));
  }
  return Value::MakeArray(std::move(out));
}
Value Split(const Args& a, BuiltinContext&) {
  auto re = Compile("regex.split", ArgString("regex.split", a, 0));
  const std::string& s = ArgString("regex.split", a, 1);
  Array out;
  std::size_t last = 0;
  for (const auto& row : FindAll(*re, s, -1)) {
    if (row[0].second == 0 && row[0].first == 0 && !s.empty()) continue;
    out.push_back(Value::String(s.substr(last, static_cast<std::size_t>(row[0].first) - last)));
    last = static_cast<std::size_t>(row[0].second);
  }
  out.push_back(Value::String(s.substr(last)));
  return Value::MakeArray(std::move(out));
}

// Go's Regexp.Expand: $1, ${1}, ${name}, $$.
std::string Expand(const std::string& tmpl, const std::string& s, const std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>>& row,
                   const RE2& re) {
  std::string out;
  const auto& names = re.NamedCapturingGroups();
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out += tmpl[i];
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    std::size_t j = i + 1;
    if (tmpl[j] == '{') {
      auto close = tmpl.find('}', j);
      if (close == std::string::npos) {
        out += tmpl[i];
        continue;
      }
      name = tmpl.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) name += tmpl[j++];
    }
    if (name.empty()) {
      out += tmpl[i];
      continue;
    }
    int idx = -1;
    if (name.find_first_not_of("0123456789") == std::string::npos) {
      idx = std::stoi(name.substr(0, 9));
    } else {
      auto it = names.find(name);
      if (it != names.end()) idx = it->second;
    }
    if (idx >= 0 && static_cast<std::size_t>(idx) < row.size() && row[static_cast<std::size_t>(idx)].first >= 0) {
      const auto& g = row[static_cast<std::size_t>(idx)];
      out += s.substr(static_cast<std::size_t>(g.first), static_cast<std::size_t>(g.second - g.first));
    }
    i = j - 1;
  }
  return out;
}

Value Replace(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("regex.replace", a, 0);
  auto re = Compile("regex.replace", ArgString("regex.replace", a, 1));
  const std::string& repl = ArgString("regex.replace", a, 2);
  std::string out;
  std::size_t last = 0;
  for (const auto& row : FindAll(*re, s, -1)) {
    out += s.substr(last, static_cast<std::size_t>(row[0].first) - last);
    out += Expand(repl, s, row, *re);
    last = static_cast<std::size_t>(row[0].second);
  }
  out += s.substr(last);
  return Value::String(out);
}

Value TemplateMatch(const Args& a, BuiltinContext&) {
  const char* fn = "regex.template_match";
  const std::string& tmpl = ArgString(fn, a, 0);
  const std::string& s = ArgString(fn, a, 1);
  const std::string& open = ArgString(fn, a, 2);
  const std::string& close = ArgString(fn, a, 3);
  // Literal text is quoted; text between the delimiters is a regex.
  std::string pattern = "^";
  std::size_t i = 0;
  while (i < tmpl.size()) {
    auto o = tmpl.find(open, i);
    if (o == std::string::npos) {
      pattern += RE2::QuoteMeta(tmpl.substr(i));
      break;
    }
    pattern += RE2::QuoteMeta(tmpl.substr(i, o - i));
    // Find the matching close delimiter, allowing nested delimiters.
    std::size_t depth = 0, j = o + open.size();
    std::size_t end = std::string::npos;
    while (j < tmpl.size()) {
      if (tmpl.compare(j, open.size(), open) == 0) {
        ++depth;
        j += open.size();
      } else if (tmpl.compare(j, close.size(), close) == 0) {
        if (depth == 0) {
          end = j;
          break;
        }
        --depth;
        j += close.size();
      } else {
        ++j;
      }
    }
    if (end == std::string::npos) ThrowBuiltinError(std::string(fn) + ": unbalanced braces in template");
    pattern += "(" + tmpl.substr(o + open.size(), end - o - open.size()) + ")";
    i = end + close.size();
  }
  pattern += "$";
  auto re = Compile(fn, pattern);
  return Value::Bool(RE2::PartialMatch(s, *re));
}

// ---- glob (gobwas/glob semantics) ----

std::string GlobToRegex(const std::string& g, const std::vector<std::string>& delims) {
  std::string not_delim = "[^";
  for (const auto& d : delims) not_delim += RE2::QuoteMeta(d);
  not_delim += "]";
  if (delims.empty()) not_delim = "(?s:.)";
  std::string out = "^";
  int brace = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    char c = g[i];
    switch (c) {
      case '\\':
        if (i + 1 < g.size()) out += RE2::QuoteMeta(std::string(1, g[++i]));
        else out += "\\\\";
        break;
      case '*':
        if (i + 1 < g.size() && g[i + 1] == '*') {
          out += "(?s:.)*";
          ++i;
        } else {
          out += not_delim + "*";
        }
        break;
      case '?': out += not_delim; break;
      case '[': {
        auto close = g.find(']', i + 1);
        if (close == std::string::npos) throw std::runtime_error("unexpected end of input");
        std::string cls = g.substr(i + 1, close - i - 1);
        bool neg = !cls.empty() && cls[0] == '!';
        if (neg) cls = cls.substr(1);
        out += std::string("[") + (neg ? "^" : "") + cls + "]";
        i = close;
        break;
      }
      case '{':
        ++brace;
        out += "(?:";
        break;
      case '}':
        if (brace > 0) {
          --brace;
          out += ")";
        } else {
          out += "\\}";
        }
        break;
      case ',':
        out += brace > 0 ? "|" : ",";
        break;
      default: out += RE2::QuoteMeta(std::string(1, c));
    }
  }
  if (brace != 0) throw std::runtime_error("unexpected end of input");
  return out + "$";
}

Value GlobMatch(const Args& a, BuiltinContext&) {
  const std::string& pattern = ArgString("glob.match", a, 0);
  std::vector<std::string> delims;
  if (a[1].is_null()) {
    // null: no delimiters
  } else if (a[1].is_array()) {
    for (const auto& d : a[1].items()) {
      if (!d.is_string()) ThrowOperandError("glob.match", 2, "array of strings", a[1]);
      delims.push_back(d.as_string());
    }
    if (delims.empty()) delims.push_back(".");
  } else {
    ThrowOperandError("glob.match", 2, "array", a[1]);
  }
  const std::string& s = ArgString("glob.match", a, 2);
  std::string re;
  try {
    re = GlobToRegex(pattern, delims);
  } catch (const std::exception& e) {
    ThrowBuiltinError(std::string("glob.match: ") + e.what());
  }
  auto compiled = Compile("glob.match", re);
  return Value::Bool(RE2::FullMatch(s, *compiled));
}

Value GlobQuoteMeta(const Args& a, BuiltinContext&) {
  const std::string& s = ArgString("glob.quote_meta", a, 0);
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '\\' || c == '[' || c == ']' || c == '{' || c == '}') out += '\\';
    out += c;
  }
  return Value::String(out);
}

}  // namespace

void AddRegexBuiltins(BuiltinRegistry& r) {
  r.Add("regex.match", 2, Match);
  r.Add("re_match", 2, Match);
  r.Add("regex.is_valid", 1, IsValid);
  r.Add("regex.find_n", 3, FindN);
  r.Add("regex.find_all_string_submatch_n", 3, FindAllSubmatch);
  r.Add("regex.split", 2, Split);
  r.Add("regex.replace", 3, Replace);
  r.Add("regex.template_match", 4, TemplateMatch);
  r.Add("glob.match", 3, GlobMatch);
  r.Add("glob.quote_meta", 1, GlobQuoteMeta);
}

}  // namespace tollgate::rego
