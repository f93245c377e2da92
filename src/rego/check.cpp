#include "rego/check.h"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/walk.h"

namespace tollgate::rego {

namespace fs = std::filesystem;

Result<std::vector<std::string>> FindRegoFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".rego") files.push_back(it->path().string());
      }
      if (ec) return Fail(Error::Io(p + ": " + ec.message()));
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      return Fail(Error::NotFound(p + ": no such policy file or directory"));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

// A directory's bundle manifest: its default version and per-file globs.
struct Manifest {
  std::optional<RegoVersion> version;
  std::vector<std::pair<std::string, RegoVersion>> files;
};

Result<RegoVersion> VersionOf(const nlohmann::json& j, const std::string& where) {
  if (j.is_number_integer() && (j.get<int>() == 0 || j.get<int>() == 1))
    return j.get<int>() == 0 ? RegoVersion::kV0 : RegoVersion::kV1;
  return Fail(Error::Input(where + ": rego_version must be 0 or 1"));
}

Result<Manifest> ReadManifest(const fs::path& dir) {
  Manifest m;
  fs::path p = dir / ".manifest";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return m;
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(Error::Input(p.string() + ": not a JSON object"));
  if (j.contains("rego_version")) {
    auto v = VersionOf(j["rego_version"], p.string());
    if (!v) return Fail(v.error());
    m.version = *v;
  }
  if (j.contains("file_rego_versions")) {
    if (!j["file_rego_versions"].is_object()) return Fail(Error::Input(p.string() + ": file_rego_versions must be an object"));
    for (const auto& [glob, ver] : j["file_rego_versions"].items()) {
      auto v = VersionOf(ver, p.string() + ": file_rego_versions." + glob);
      if (!v) return Fail(v.error());
      m.files.emplace_back(glob.size() > 0 && glob[0] == '/' ? glob.substr(1) : glob, *v);
    }
  }
  return m;
}

}  // namespace

Result<std::vector<SourceFile>> ReadPolicySources(const std::vector<std::string>& paths, const CompileOptions& opts) {
  std::vector<SourceFile> sources;
  for (const auto& root : paths) {
    auto files = FindRegoFiles({root});
    if (!files) return Fail(files.error());
    Manifest man;
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
      auto m = ReadManifest(root);
      if (!m) return Fail(m.error());
      man = std::move(*m);
    }
    for (const auto& f : *files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) return Fail(Error::Io(f + ": cannot read"));
      std::stringstream ss;
      ss << in.rdbuf();
      SourceFile sf{f, ss.str(), man.version.value_or(opts.version)};
      std::string rel = fs::path(f).lexically_relative(root).generic_string();
      for (const auto& [glob, v] : man.files)
        if (fnmatch(glob.c_str(), rel.c_str(), 0) == 0) sf.version = v;
      sources.push_back(std::move(sf));
    }
  }
  std::sort(sources.begin(), sources.end(), [](const SourceFile& a, const SourceFile& b) { return a.name < b.name; });
  sources.erase(std::unique(sources.begin(), sources.end(), [](const SourceFile& a, const SourceFile& b) { return a.name == b.name; }),
                sources.end());
  return sources;
}

Result<PolicyPtr> LoadPolicies(const std::vector<std::string>& paths, const CompileOptions& opts) {
  auto sources = ReadPolicySources(paths, opts);
  if (!sources) return Fail(sources.error());
  // A policy folder without policies checks nothing and would pass everything.
  if (!paths.empty() && sources->empty()) {
    std::string names;
    for (const auto& p : paths) names += (names.empty() ? "" : ", ") + p;
    return Fail(Error::Input(names + ": no Rego policy (*.rego) found"));
  }
  return Policy::Compile(*sources, opts);
}

namespace {

// deny, deny_x, violation, violation_x, warn, warn_x -> the kind and suffix.
bool Classify(const std::string& name, std::string* kind, std::string* suffix) {
  for (const char* k : {"deny", "violation", "warn"}) {
    std::string s = k;
    if (name == s || name.rfind(s + "_", 0) == 0) {
      *kind = s;
      *suffix = name == s ? "" : name.substr(s.size() + 1);
      return true;
    }
  }
  return false;
}

void AddResult(const RuleResult& rr, const std::string& rule, std::vector<CheckResult>* out) {
  auto one = [&](const Value& v) {
    CheckResult c;
    c.rule = rule;
    c.loc = rr.rule->loc;
    c.steps = rr.steps;
    if (v.is_string()) {
      c.msg = v.as_string();
      c.metadata = Value::Null();
    } else if (v.is_object()) {
      const Value* m = v.Get("msg");
      c.msg = m && m->is_string() ? m->as_string() : ToJsonText(v);
      ObjectItems rest;
      for (const auto& kv : v.object())
        if (!(kv.first.is_string() && kv.first.as_string() == "msg")) rest.push_back(kv);
      c.metadata = rest.empty() ? Value::Null() : Value::MakeObject(std::move(rest));
    } else if (v.is_bool()) {
      if (!v.as_bool()) return;
      c.msg = rule;
      c.metadata = Value::Null();
    } else {
      c.msg = ToJsonText(v);
      c.metadata = Value::Null();
    }
    out->push_back(std::move(c));
  };
  if (rr.rule->kind == RuleKind::kComplete && (rr.value.is_set() || rr.value.is_array())) {
    for (const auto& v : rr.value.items()) one(v);
  } else {
    one(rr.value);
  }
}

}  // namespace

Result<std::vector<FileCheck>> CheckDocuments(const Policy& policy, const std::string& filename,
                                              const std::vector<Value>& docs, const CheckOptions& opts) {
  // --namespace takes globs, as conftest's does ("*", "k8s.*"); one that
  // names no package of the policies would check nothing: an error.
  std::vector<std::string> namespaces;
  const std::vector<std::string> packages = policy.Packages();
  if (opts.all_namespaces) {
    namespaces = packages;
  } else {
    for (const auto& pattern : opts.namespaces) {
      bool matched = false;
      for (const auto& p : packages) {
        if (::fnmatch(pattern.c_str(), p.c_str(), 0) != 0) continue;
        matched = true;
        if (std::find(namespaces.begin(), namespaces.end(), p) == namespaces.end()) namespaces.push_back(p);
      }
      if (!matched) {
        std::vector<std::string> sorted = packages;
        std::sort(sorted.begin(), sorted.end());
        std::string all;
        for (const auto& p : sorted) all += (all.empty() ? "" : ", ") + p;
        return Fail(Error::Input("namespace '" + pattern + "' matches no package of the policies (" +
                                 (all.empty() ? std::string("none") : all) + ")"));
      }
    }
  }
  std::vector<FileCheck> out;
  for (const auto& ns : namespaces) {
    FileCheck fc;
    fc.filename = filename;
    fc.ns = ns;
    std::vector<std::string> names = policy.RuleNames(ns);
    for (const auto& doc : docs) {
      EvalOptions eo = opts.eval;
      eo.input = doc;
      // Exceptions: `exception contains "suffix"` names rules to skip.
      std::set<std::string> excepted;
      if (std::find(names.begin(), names.end(), "exception") != names.end()) {
        auto ex = policy.EvalRules(policy.RulesNamed(ns, "exception"), eo, false);
        if (!ex) return Fail(ex.error().WithContext(filename));
        for (const auto& rr : *ex) {
          const Value& v = rr.value;
          if (v.is_string()) excepted.insert(v.as_string());
          if (v.is_array() || v.is_set())
            for (const auto& e : v.items())
              if (e.is_string()) excepted.insert(e.as_string());
        }
      }
      // conftest counts a test per definition of a deny/violation/warn rule
      // (two `deny` bodies are two tests), and a success for each it has no
      // result for.
      std::size_t definitions = 0;
      std::size_t results_before = fc.failures.size() + fc.warnings.size() + fc.exceptions.size();
      for (const auto& name : names) {
        std::string kind, suffix;
        if (!Classify(name, &kind, &suffix)) continue;
        auto rules = policy.RulesNamed(ns, name);
        definitions += rules.size();
        auto results = policy.EvalRules(rules, eo, opts.explain);
        if (!results) return Fail(results.error().WithContext(filename));
        std::vector<CheckResult> found;
        for (const auto& rr : *results) AddResult(rr, name, &found);
        // deny and warn are sets: a message that several rule bodies (or
        // several bindings of one) produce is one result, as OPA counts it.
        std::set<std::pair<std::string, std::string>> seen;
        found.erase(std::remove_if(found.begin(), found.end(),
                                   [&](const CheckResult& c) {
                                     return !seen.emplace(c.msg, c.metadata.defined() ? ToJsonText(c.metadata) : "")
                                                 .second;
                                   }),
                    found.end());
        if (found.empty()) continue;
        if (excepted.count(suffix) || (suffix.empty() && excepted.count(name))) {
          for (auto& c : found) fc.exceptions.push_back(std::move(c));
          continue;
        }
        auto& dest = kind == "warn" ? fc.warnings : fc.failures;
        for (auto& c : found) dest.push_back(std::move(c));
      }
      std::size_t results = fc.failures.size() + fc.warnings.size() + fc.exceptions.size() - results_before;
      if (results < definitions) fc.successes += static_cast<int>(definitions - results);
    }
    out.push_back(std::move(fc));
  }
  return out;
}

nlohmann::json ExplainToJson(const std::vector<ExplainStep>& steps) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : steps) {
    nlohmann::json j;
    j["location"] = s.loc.file + ":" + std::to_string(s.loc.line) + ":" + std::to_string(s.loc.col);
    j["expression"] = s.text;
    j["input_paths"] = s.input_paths;
    nlohmann::json vals = nlohmann::json::array();
    for (const auto& v : s.values) vals.push_back(ToJson(v));
    j["values"] = vals;
    arr.push_back(j);
  }
  return arr;
}

namespace {

bool IsDataFile(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  return ends(".json") || ends(".yaml") || ends(".yml");
}

// Sets `v` at `at` below `into`, merging objects; anything else set twice is
// a conflict. `where` names the key for the error.
Status MergeData(nlohmann::json& into, nlohmann::json v, const std::string& where, const std::string& file) {
  if (into.is_object() && v.is_object()) {
    for (auto& [k, val] : v.items()) {
      std::string at = where.empty() ? k : where + "." + k;
      if (!into.contains(k)) {
        into[k] = std::move(val);
        continue;
      }
      TG_TRY(MergeData(into[k], std::move(val), at, file));
    }
    return {};
  }
  if (into == v) return {};
  return Fail(Error::Input(file + ": data." + where + " is already set by another data file (OPA's loader refuses "
                                   "to merge them)"));
}

}  // namespace

Result<Value> LoadDataDocuments(const std::vector<std::string>& paths, const DecodeLimits& limits) {
  nlohmann::json data = nlohmann::json::object();
  walk::Options wo;
  wo.gitignore = false;  // OPA's loader reads what it is given
  wo.max_file_bytes = limits.max_file_bytes;
  wo.want = [](std::string_view name, std::string_view) { return IsDataFile(name); };
  for (const auto& root : paths) {
    std::optional<Error> failure;
    std::string text;
    auto status = walk::Walk(
        {root}, wo,
        [&](const walk::Entry& e) {
          if (failure) return;
          if (e.named && !IsDataFile(e.path)) return;  // a named .rego file (policy eval -d): a module, not data
          if (auto problem = walk::ReadFile(e, limits.max_file_bytes, text)) {
            failure = Error::Input(problem->Text());
            return;
          }
          auto docs = ParseDocumentFile(e.path, text, limits);
          if (!docs) {
            failure = docs.error();
            return;
          }
          if (docs->size() > 1) {
            failure = Error::Input(e.path + ": a data file holds one document, this one has " + std::to_string(docs->size()));
            return;
          }
          if (docs->empty()) return;
          // The folders below the path given are the document's place in data.
          std::vector<std::string> prefix;
          std::string_view rel = e.rel;
          for (std::size_t slash = rel.find('/'); slash != std::string_view::npos; slash = rel.find('/')) {
            prefix.emplace_back(rel.substr(0, slash));
            rel.remove_prefix(slash + 1);
          }
          if (e.named) prefix.clear();
          if (prefix.empty() && !(*docs)[0].is_object()) {
            failure = Error::Input(e.path + ": a data file at the root of data must hold an object");
            return;
          }
          nlohmann::json doc = ToJson((*docs)[0]);
          for (auto it = prefix.rbegin(); it != prefix.rend(); ++it) doc = nlohmann::json{{*it, std::move(doc)}};
          if (auto st = MergeData(data, std::move(doc), "", e.path); !st) failure = st.error();
        },
        [&](walk::Problem p) {
          if (!failure && p.kind != walk::ProblemKind::kNote) failure = Error::Input(p.Text());
        });
    if (!status) return Fail(status.error());
    if (failure) return Fail(*failure);
  }
  return FromJson(data);
}

Result<PolicyPtr> LoadPoliciesAndData(const std::vector<std::string>& paths, Value* data, const CompileOptions& co) {
  auto documents = LoadDataDocuments(paths);
  if (!documents) return Fail(documents.error());
  *data = std::move(*documents);
  std::vector<std::string> modules;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      auto files = FindRegoFiles({p});  // a folder of data alone is no policy folder
      if (!files) return Fail(files.error());
      if (files->empty()) continue;
    } else {
      auto ext = fs::path(p).extension().string();
      if (ext == ".json" || ext == ".yaml" || ext == ".yml") continue;
    }
    modules.push_back(p);
  }
  return LoadPolicies(modules, co);
}

Value CombineInputs(const std::vector<std::pair<std::string, std::vector<Value>>>& files) {
  std::vector<std::pair<std::string, Value>> entries;
  for (const auto& [path, docs] : files) {
    if (docs.size() == 1 && docs[0].is_array()) {
      for (const auto& d : docs[0].items()) entries.emplace_back(path, d);
    } else {
      for (const auto& d : docs) entries.emplace_back(path, d);
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Array out;
  out.reserve(entries.size());
  for (auto& [path, doc] : entries)
    out.push_back(Value::MakeObject({{Value::String("contents"), std::move(doc)}, {Value::String("path"), Value::String(path)}}));
  return Value::MakeArray(std::move(out));
}

namespace {

std::string Plural(std::size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

struct Totals {
  std::size_t tests = 0, successes = 0, warnings = 0, failures = 0, exceptions = 0;
  explicit Totals(const std::vector<FileCheck>& results) {
    for (const auto& fc : results) {
      successes += static_cast<std::size_t>(fc.successes);
      warnings += fc.warnings.size();
      failures += fc.failures.size();
      exceptions += fc.exceptions.size();
    }
    tests = successes + warnings + failures + exceptions;
  }
  std::string Line() const {
    return Plural(tests, "test") + ", " + std::to_string(successes) + " passed, " + Plural(warnings, "warning") + ", " +
           Plural(failures, "failure") + ", " + Plural(exceptions, "exception");
  }
};

// conftest's "- file - namespace -" (a bare "-" for standard input).
std::string Where(const FileCheck& fc) {
  return (fc.filename == "-" ? std::string("-") : "- " + fc.filename) + " " + (fc.ns == "-" ? std::string("-") : "- " + fc.ns + " -");
}

// One line of text: control characters (a newline in a message) as spaces.
std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

void Standard(std::ostream& out, const std::vector<FileCheck>& results, bool explain, bool suppress_exceptions) {
  auto line = [&](const char* tag, const FileCheck& fc, const CheckResult& c) {
    out << tag << " " << Where(fc) << " " << c.msg << "\n";
    if (!explain) return;
    out << "  rule " << c.rule << " (" << c.loc.ToString() << ")\n";
    for (const auto& st : c.steps) {
      out << "    " << st.text << "    [" << st.loc.ToString() << "]";
      if (!st.input_paths.empty()) {
        out << " reads";
        for (const auto& p : st.input_paths) out << " " << p;
      }
      if (!st.values.empty()) {
        out << " values";
        for (const auto& v : st.values) out << " " << ToRegoString(v);
      }
      out << "\n";
    }
  };
  for (const auto& fc : results) {
    for (const auto& c : fc.warnings) line("WARN", fc, c);
    for (const auto& c : fc.failures) line("FAIL", fc, c);
    if (!suppress_exceptions)
      for (const auto& c : fc.exceptions) line("EXCP", fc, c);
  }
  out << "\n" << Totals(results).Line() << "\n";
}

// TAP 13 as conftest writes it: one plan per file and namespace.
void Tap(std::ostream& out, const std::vector<FileCheck>& results) {
  for (const auto& fc : results) {
    const std::size_t total = fc.tests();
    if (total == 0) continue;
    std::size_t n = 1;
    out << "1.." << total << "\n";
    auto item = [&](const char* status, const std::string& msg) {
      out << status << " " << n++ << " " << Where(fc) << " " << OneLine(msg) << "\n";
    };
    for (const auto& c : fc.failures) item("not ok", c.msg);
    if (!fc.warnings.empty()) out << "# warnings\n";
    for (const auto& c : fc.warnings) item("not ok", c.msg);
    if (!fc.exceptions.empty()) out << "# exceptions\n";
    for (const auto& c : fc.exceptions) item("ok", c.msg);
    if (fc.successes > 0) out << "# successes\n";
    for (int i = 0; i < fc.successes; ++i) item("ok", "SUCCESS");
  }
}

void Table(std::ostream& out, const std::vector<FileCheck>& results) {
  std::vector<std::array<std::string, 4>> rows;
  for (const auto& fc : results) {
    for (int i = 0; i < fc.successes; ++i) rows.push_back({"success", fc.filename, fc.ns, "SUCCESS"});
    for (const auto& c : fc.exceptions) rows.push_back({"exception", fc.filename, fc.ns, OneLine(c.msg)});
    for (const auto& c : fc.warnings) rows.push_back({"warning", fc.filename, fc.ns, OneLine(c.msg)});
    for (const auto& c : fc.failures) rows.push_back({"failure", fc.filename, fc.ns, OneLine(c.msg)});
  }
  if (rows.empty()) return;
  const std::array<std::string, 4> header = {"RESULT", "FILE", "NAMESPACE", "MESSAGE"};
  std::array<std::size_t, 4> width{};
  auto cells = [](const std::string& s) {  // code points, for a table of mostly one-cell characters
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  };
  for (std::size_t c = 0; c < 4; ++c) width[c] = cells(header[c]);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < 4; ++c) width[c] = std::max(width[c], cells(r[c]));
  auto rule = [&] {
    for (std::size_t c = 0; c < 4; ++c) out << "+" << std::string(width[c] + 2, '-');
    out << "+\n";
  };
  auto row = [&](const std::array<std::string, 4>& r) {
    for (std::size_t c = 0; c < 4; ++c) out << "| " << r[c] << std::string(width[c] - cells(r[c]) + 1, ' ');
    out << "|\n";
  };
  rule();
  row(header);
  rule();
  for (const auto& r : rows) row(r);
  rule();
}

// GitHub workflow commands: a property ends at ':' or ',', a message at a
// newline, so both are escaped as GitHub's toolkit does (a message could
// otherwise start a command of its own, such as ::add-mask:: or ::stop-commands::).
std::string EscapeData(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  return out;
}
std::string EscapeProperty(std::string_view s) {
  std::string out;
  for (char c : EscapeData(s)) {
    if (c == ':') out += "%3A";
    else if (c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

void Github(std::ostream& out, const std::vector<FileCheck>& results) {
  auto annotate = [&](const char* level, const std::string& file, const std::string& line, const std::string& msg) {
    out << "::" << level << " file=" << EscapeProperty(file) << ",line=" << EscapeProperty(line) << "::" << EscapeData(msg) << "\n";
  };
  // A result's own place (conftest's `_loc` in the violation), else line 1 of the file.
  auto located = [&](const char* level, const FileCheck& fc, const CheckResult& c) {
    const Value* loc = c.metadata.is_object() ? c.metadata.Get("_loc") : nullptr;
    const Value* file = loc && loc->is_object() ? loc->Get("file") : nullptr;
    const Value* line = loc && loc->is_object() ? loc->Get("line") : nullptr;
    if (!file || !file->is_string()) return annotate(level, fc.filename, "1", c.msg);
    std::string l = line && line->is_number() ? ToRegoString(*line) : line && line->is_string() ? line->as_string() : "";
    if (file->as_string() == fc.filename) return annotate(level, fc.filename, l, c.msg);
    annotate(level, file->as_string(), l, c.msg);
    annotate(level, fc.filename, "1", "(ORIGINATING FROM " + file->as_string() + " L" + l + ") " + c.msg);
  };
  for (const auto& fc : results) {
    const std::size_t total = fc.tests();
    out << "::group::Testing " << nlohmann::json(fc.filename).dump() << " against " << total << " policies in namespace "
        << nlohmann::json(fc.ns).dump() << "\n";
    for (const auto& c : fc.failures) located("error", fc, c);
    for (const auto& c : fc.warnings) located("warning", fc, c);
    for (const auto& c : fc.exceptions) located("notice", fc, c);
    annotate("notice", fc.filename, "1", "Number of successful checks: " + std::to_string(fc.successes));
    out << "::endgroup::\n";
  }
  out << Totals(results).Line() << "\n";
}

}  // namespace

Result<std::string> FormatCheckResults(const std::vector<FileCheck>& results, std::string_view format, bool explain,
                                       bool suppress_exceptions) {
  std::ostringstream out;
  if (format == "stdout" || format == "text") Standard(out, results, explain, suppress_exceptions);
  else if (format == "tap") Tap(out, results);
  else if (format == "table") Table(out, results);
  else if (format == "github") Github(out, results);
  else return Fail(Error::Input("unknown output format '" + std::string(format) + "' (stdout, json, tap, table, github, sarif, junit)"));
  return out.str();
}

nlohmann::json CheckResultsToJson(const std::vector<FileCheck>& results, bool explain) {
  nlohmann::json out = nlohmann::json::array();
  auto list = [&](const std::vector<CheckResult>& rs) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : rs) {
      nlohmann::json j;
      j["msg"] = r.msg;
      if (!r.metadata.is_null() && r.metadata.defined()) j["metadata"] = ToJson(r.metadata);
      j["rule"] = r.rule;
      j["location"] = r.loc.file + ":" + std::to_string(r.loc.line) + ":" + std::to_string(r.loc.col);
      if (explain) j["explanation"] = ExplainToJson(r.steps);
      a.push_back(j);
    }
    return a;
  };
  for (const auto& fc : results) {
    nlohmann::json j;
    j["filename"] = fc.filename;
    j["namespace"] = fc.ns;
    j["successes"] = fc.successes;
    j["failures"] = list(fc.failures);
    j["warnings"] = list(fc.warnings);
    j["exceptions"] = list(fc.exceptions);
    out.push_back(j);
  }
  return out;
}

std::vector<Finding> CheckFindings(const std::vector<FileCheck>& results, const std::string& gate, bool include_warnings) {
  std::vector<Finding> out;
  auto add = [&](const FileCheck& fc, const CheckResult& c, Severity def) {
    Finding f;
    f.rule_id = "rego." + fc.ns + "." + c.rule;
    f.gate = gate;
    f.severity = def;
    if (c.metadata.is_object()) {
      const Value* sev = c.metadata.Get("severity");
      if (sev && sev->is_string())
        if (auto s = ParseSeverity(sev->as_string())) f.severity = *s;
    }
    f.message = c.msg;
    f.location.file = fc.filename;
    f.tool = "tollgate-rego";
    std::string why;
    for (const auto& st : c.steps) {
      if (!why.empty()) why += "; ";
      why += st.text;
    }
    f.remediation = why.empty() ? "" : "decided by: " + why + " (" + c.loc.ToString() + ")";
    f.fingerprint = MakeFingerprint(f.rule_id, {fc.filename, c.msg});
    out.push_back(std::move(f));
  };
  for (const auto& fc : results) {
    for (const auto& c : fc.failures) add(fc, c, Severity::kHigh);
    if (include_warnings)
      for (const auto& c : fc.warnings) add(fc, c, Severity::kLow);
  }
  SortFindings(out);
  return out;
}

}  // namespace tollgate::rego
