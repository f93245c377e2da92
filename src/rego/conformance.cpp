#include "rego/conformance.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/yaml.h"
#include "rego/documents.h"
#include "rego/rego.h"

namespace tollgate::rego {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxCaseFileBytes = std::size_t{16} << 20;

Value Normalize(const Value& v) { return FromJson(ToJson(v)); }

std::string Describe(const std::vector<Value>& rows) {
  std::string s = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) s += (i ? ", " : "") + ToRegoString(rows[i]);
  return s + "]";
}

// OPA's runner treats each binding's array value as a set (its order is the
// engine's set iteration order, which the cases do not fix).
Value SortBindingArrays(const Value& row) {
  if (!row.is_object()) return row;
  ObjectItems items;
  for (const auto& [name, v] : row.object()) {
    if (!v.is_array()) {
      items.emplace_back(name, v);
      continue;
    }
    Array sorted = v.items();
    std::sort(sorted.begin(), sorted.end());
    items.emplace_back(name, Value::MakeArray(std::move(sorted)));
  }
  return Value::MakeObject(std::move(items));
}

// `budget`: what converting this file's YAML to values may still take.
CaseOutcome RunCase(const YAML::Node& c, const std::string& file, yaml::Budget& budget, const ConformanceOptions& copts) {
  CaseOutcome out;
  out.note = c["note"] ? c["note"].as<std::string>() : file;
  auto fail = [&](std::string why) {
    out.status = CaseOutcome::Status::kFailed;
    out.detail = std::move(why);
    return out;
  };
  std::vector<SourceFile> files;
  if (c["modules"]) {
    int i = 0;
    // OPA's runner names the modules test-0.rego, test-1.rego, ...
    for (const auto& m : c["modules"]) files.push_back({"test-" + std::to_string(i++) + ".rego", m.as<std::string>()});
  }
  std::string query = c["query"] ? c["query"].as<std::string>() : "";
  EvalOptions opts;
  opts.max_steps = 20'000'000;
  opts.strict_builtin_errors = c["strict_error"] && c["strict_error"].as<bool>();
  opts.now_ns = std::int64_t{1'700'000'000'000'000'000};
  if (c["data"]) {
    auto d = FromYamlNode(c["data"], file, budget);
    if (!d) return fail(d.error().message());
    opts.data = *d;
  }
  if (!opts.data.is_object()) opts.data = Value::EmptyObject();
  if (c["input"]) {
    auto in = FromYamlNode(c["input"], file, budget);
    if (!in) return fail(in.error().message());
    opts.input = *in;
  }
  if (c["input_term"]) {
    auto empty = Policy::Compile({});
    if (!empty) return fail(empty.error().message());
    auto r = (*empty)->Query("x = " + c["input_term"].as<std::string>(), EvalOptions{});
    if (!r || r->rows.empty()) return fail("input_term did not evaluate");
    opts.input = r->rows[0].bindings["x"];
  }
  std::string want_code = c["want_error_code"] ? c["want_error_code"].as<std::string>() : "";
  std::string want_error = c["want_error"] ? c["want_error"].as<std::string>() : "";
  bool want_err = !want_code.empty() || c["want_error"];
  CompileOptions compile_opts;
  compile_opts.version = copts.version;
  auto policy = Policy::Compile(files, compile_opts);
  Result<QueryResult> result = policy ? (*policy)->Query(query, opts) : Result<QueryResult>(Fail(policy.error()));
  if (want_err) {
    if (result) return fail("expected error " + want_code + " " + want_error + ", got a result");
    const std::string& msg = result.error().message();
    if (!want_code.empty() && ErrorCodeOf(msg) != want_code) return fail("expected " + want_code + ", got: " + msg);
    if (!want_error.empty() && msg.find(want_error) == std::string::npos)
      return fail("expected message containing '" + want_error + "', got: " + msg);
    out.status = CaseOutcome::Status::kPassed;
    return out;
  }
  if (!result) return fail("error: " + result.error().message());
  if (!c["want_result"]) {
    out.status = CaseOutcome::Status::kPassed;
    return out;
  }
  std::vector<Value> want;
  for (const auto& row : c["want_result"]) {
    auto w = FromYamlNode(row, file, budget);
    if (!w) return fail(w.error().message());
    want.push_back(Normalize(*w));
  }
  std::vector<Value> got;
  for (const auto& row : result->rows) {
    ObjectItems items;
    for (const auto& [name, v] : row.bindings) items.emplace_back(Value::String(name), Normalize(v));
    got.push_back(Value::MakeObject(std::move(items)));
  }
  if (c["sort_bindings"] && c["sort_bindings"].as<bool>()) {
    for (auto* rows : {&want, &got}) {
      for (auto& row : *rows) row = SortBindingArrays(row);
      std::sort(rows->begin(), rows->end());
    }
  }
  if (want != got) return fail("want " + Describe(want) + ", got " + Describe(got));
  out.status = CaseOutcome::Status::kPassed;
  return out;
}

}  // namespace

Result<ConformanceReport> RunConformance(const std::string& dir, const ConformanceOptions& copts) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Fail(Error::NotFound(dir + ": not a directory"));
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Fail(Error::Io(dir + ": " + ec.message()));
    auto ext = it->path().extension().string();
    if (it->is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  ConformanceReport report;
  fs::path root = fs::path(dir).lexically_normal();
  std::string root_name = root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
  for (const auto& f : files) {
    fs::path rel = f.lexically_relative(root);
    std::string folder = std::distance(rel.begin(), rel.end()) > 1 ? rel.begin()->string() : root_name;
    std::vector<CaseOutcome> outcomes;
    auto unreadable = [&](const std::string& why) {
      CaseOutcome o;
      o.note = rel.string();
      o.detail = "unreadable case file: " + why;
      outcomes.push_back(std::move(o));
    };
    auto text = yaml::ReadFile(f.string(), kMaxCaseFileBytes, "conformance cases");
    auto doc = text ? yaml::ParseDocument(*text, rel.string()) : Result<yaml::Document>(Fail(text.error()));
    if (!doc) {
      unreadable(doc.error().message());
    } else {
      yaml::Budget budget = yaml::Budget::For(*doc);
      try {
        for (const auto& c : doc->root["cases"]) {
          CaseOutcome o;
          try {
            o = RunCase(c, rel.string(), budget, copts);
          } catch (const std::exception& e) {
            o.note = c["note"] && c["note"].IsScalar() ? c["note"].Scalar() : rel.string();
            o.status = CaseOutcome::Status::kFailed;
            o.detail = std::string("exception: ") + e.what();
          }
          outcomes.push_back(std::move(o));
        }
      } catch (const YAML::Exception& e) {
        unreadable(e.what());
      }
    }
    for (auto& o : outcomes) {
      o.folder = folder;
      auto& counts = report.folders[folder];
      switch (o.status) {
        case CaseOutcome::Status::kPassed: ++report.passed, ++counts[0]; break;
        case CaseOutcome::Status::kFailed: ++report.failed, ++counts[1]; break;
        case CaseOutcome::Status::kSkipped: ++report.skipped, ++counts[2]; break;
      }
      report.cases.push_back(std::move(o));
    }
  }
  return report;
}

std::string FormatConformance(const ConformanceReport& r, bool verbose) {
  std::string out;
  for (const auto& [folder, c] : r.folders) {
    out += folder + ": " + std::to_string(c[0]) + " passed, " + std::to_string(c[1]) + " failed, " + std::to_string(c[2]) +
           " skipped\n";
  }
  if (verbose) {
    for (const auto& c : r.cases) {
      if (c.status == CaseOutcome::Status::kPassed) continue;
      out += "  FAIL " + c.folder + "/" + c.note + ": " + c.detail + "\n";
    }
  }
  out += std::to_string(r.passed) + " passed, " + std::to_string(r.failed) + " failed, " + std::to_string(r.skipped) +
         " skipped\n";
  return out;
}

std::set<std::string> ParseKnownFailures(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    out.insert(line);
  }
  return out;
}

std::vector<std::string> CheckKnownFailures(const ConformanceReport& r, const std::set<std::string>& known) {
  std::vector<std::string> problems;
  for (const auto& c : r.cases) {
    std::string key = c.folder + "/" + c.note;
    bool listed = known.count(key) > 0;
    if (c.status == CaseOutcome::Status::kPassed && listed)
      problems.push_back("now passes, remove from known failures: " + key);
    if (c.status != CaseOutcome::Status::kPassed && !listed)
      problems.push_back("fails and is not a known failure: " + key + " (" + c.detail + ")");
  }
  return problems;
}

}  // namespace tollgate::rego
