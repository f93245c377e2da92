#include "rego/migrate.h"

#include "rego/parser.h"
#include "rego/test_runner.h"

namespace tollgate::rego {

Result<std::vector<SourceFile>> MigrateV0ToV1(const std::vector<SourceFile>& v0) {
  std::vector<SourceFile> out;
  for (const auto& f : v0) {
    auto text = RewriteV0ToV1(f.text, f.name);
    if (!text) return Fail(text.error());
    out.push_back({f.name, std::move(*text), RegoVersion::kV1});
  }
  return out;
}

namespace {

std::vector<std::string> Split(const std::string& pkg) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto dot = pkg.find('.', start);
    out.push_back(pkg.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string Show(const Result<Value>& r) {
  if (!r) return "error (" + ErrorCodeOf(r.error().message()) + ")";
  if (!r->defined()) return "undefined";
  std::string s = ToJsonText(*r);
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

bool Same(const Result<Value>& a, const Result<Value>& b) {
  if (!a || !b) return !a && !b && ErrorCodeOf(a.error().message()) == ErrorCodeOf(b.error().message());
  if (!a->defined() || !b->defined()) return a->defined() == b->defined();
  return *a == *b;
}

}  // namespace

Result<MigrationProof> ProveMigration(const std::vector<SourceFile>& v0, const std::vector<SourceFile>& v1,
                                      const std::vector<Value>& inputs, const Value& data) {
  CompileOptions o0;
  o0.version = RegoVersion::kV0;
  auto p0 = Policy::Compile(v0, o0);
  if (!p0) return Fail(p0.error().WithContext("the v0 modules do not compile"));
  auto p1 = Policy::Compile(v1, CompileOptions{});
  if (!p1) return Fail(p1.error().WithContext("the v1 rewrite does not compile"));
  MigrationProof proof;
  std::vector<Value> docs{Value()};
  docs.insert(docs.end(), inputs.begin(), inputs.end());
  proof.inputs = docs.size();
  auto packages = (*p0)->Packages();
  proof.packages = packages.size();
  for (std::size_t i = 0; i < docs.size(); ++i) {
    EvalOptions eo;
    eo.input = docs[i];
    eo.data = data.defined() ? data : Value::EmptyObject();
    eo.now_ns = 0;
    for (const auto& pkg : packages) {
      auto a = (*p0)->EvalPath(Split(pkg), eo);
      auto b = (*p1)->EvalPath(Split(pkg), eo);
      ++proof.values;
      if (!Same(a, b)) {
        std::string where = i == 0 ? "without input" : "under input " + std::to_string(i);
        proof.differences.push_back("data." + pkg + " " + where + ": v0 gave " + Show(a) + ", v1 gave " + Show(b));
      }
    }
  }
  EvalOptions eo;
  eo.data = data.defined() ? data : Value::EmptyObject();
  eo.now_ns = 0;
  TestSummary t0 = RunTests(**p0, "", eo);
  TestSummary t1 = RunTests(**p1, "", eo);
  proof.tests = t0.outcomes.size();
  if (t0.outcomes.size() != t1.outcomes.size()) {
    proof.differences.push_back("v0 has " + std::to_string(t0.outcomes.size()) + " tests, the v1 rewrite " +
                                std::to_string(t1.outcomes.size()));
  } else {
    for (std::size_t i = 0; i < t0.outcomes.size(); ++i) {
      const auto& a = t0.outcomes[i];
      const auto& b = t1.outcomes[i];
      if (a.name != b.name || a.status != b.status)
        proof.differences.push_back(a.name + " (" + a.location + "): v0 " + StatusName(a.status) + ", v1 " + StatusName(b.status));
    }
  }
  return proof;
}

}  // namespace tollgate::rego
