// gator verify and Gatekeeper-style audits on the admission library.
#include "admission/suite.h"

#include <re2/re2.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <ostream>
#include <set>
#include <sstream>

#include "core/json_stream.h"
#include "core/yaml.h"

namespace tollgate::admission {

namespace fs = std::filesystem;

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsSuite(const Json& d) {
  return d.is_object() && Str(d, "kind") == "Suite" && Str(d, "apiVersion").rfind("test.gatekeeper.sh/", 0) == 0;
}

// Every object of the documents: a List's items, others as they are.
void Objects(const SourceDocument& d, std::vector<SourceDocument>& out) {
  if (d.doc.is_object() && Str(d.doc, "kind").ends_with("List") && d.doc.contains("items") &&
      d.doc["items"].is_array()) {
    for (const auto& item : d.doc["items"]) out.push_back({d.file, d.line, item});
    return;
  }
  if (d.doc.is_object()) out.push_back(d);
}

// One assertion: how many violations (among those whose message matches)
// against yes/no/N.
std::string CheckAssertion(const Json& a, const std::vector<Violation>& got, std::size_t index) {
  const std::string what = "assertion " + std::to_string(index + 1);
  std::size_t n = got.size();
  std::string pattern;
  if (a.is_object() && a.contains("message")) {
    if (!a["message"].is_string()) return what + ": message must be a string";
    pattern = a["message"].get<std::string>();
    RE2 re(pattern, RE2::Quiet);
    if (!re.ok()) return what + ": message is not a valid regular expression: " + re.error();
    n = 0;
    for (const auto& v : got)
      if (RE2::PartialMatch(v.msg, re)) ++n;
  }
  Json want = a.is_object() && a.contains("violations") ? a["violations"] : Json("yes");
  std::string suffix = pattern.empty() ? "" : " matching /" + pattern + "/";
  std::string list;
  for (const auto& v : got) list += "\n        " + v.Message();
  if (want.is_string() && want == "yes") {
    if (n == 0) return what + ": got 0 violations" + suffix + ", want at least 1" + list;
  } else if (want.is_string() && want == "no") {
    if (n != 0) return what + ": got " + std::to_string(n) + " violations" + suffix + ", want none" + list;
  } else if (want.is_number_unsigned() || (want.is_number_integer() && want.get<std::int64_t>() >= 0)) {
    std::size_t w = want.get<std::size_t>();
    if (n != w) return what + ": got " + std::to_string(n) + " violations" + suffix + ", want " + std::to_string(w) + list;
  } else if (want.is_string()) {  // a number written as text
    try {
      std::size_t pos = 0;
      std::size_t w = std::stoul(want.get<std::string>(), &pos);
      if (pos != want.get<std::string>().size()) throw std::invalid_argument("x");
      if (n != w) return what + ": got " + std::to_string(n) + " violations" + suffix + ", want " + std::to_string(w) + list;
    } catch (const std::exception&) {
      return what + ": violations must be yes, no or a number (got " + want.dump() + ")";
    }
  } else {
    return what + ": violations must be yes, no or a number (got " + want.dump() + ")";
  }
  return {};
}

}  // namespace

Result<Inventory> LoadInventory(const std::vector<std::string>& paths) {
  Inventory inventory;
  if (paths.empty()) return inventory;
  auto docs = ReadDocuments(paths);
  if (!docs) return Fail(docs.error());
  std::vector<SourceDocument> objects;
  for (const auto& d : *docs) Objects(d, objects);
  for (const auto& o : objects) TG_TRY(inventory.Add(o.doc, o.Where()));
  return inventory;
}

bool SuiteResult::passed() const {
  for (const auto& c : cases)
    if (!c.passed && !c.skipped) return false;
  return true;
}

Result<std::vector<std::string>> FindSuites(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      if (!fs::exists(p, ec)) return Fail(Error::NotFound(p + ": no such file or directory"));
      out.push_back(p);
      continue;
    }
    auto files = ListFiles({p});
    if (!files) return Fail(files.error());
    for (const auto& f : *files) {
      if (fs::path(f).extension() == ".json") continue;
      auto docs = ReadDocuments({f});
      if (!docs) continue;  // not a suite (a case object may be anything)
      for (const auto& d : *docs)
        if (IsSuite(d.doc)) {
          out.push_back(f);
          break;
        }
    }
  }
  return out;
}

Result<SuiteResult> RunSuite(const std::string& file, const std::string& run) {
  auto start = std::chrono::steady_clock::now();
  auto docs = ReadDocuments({file});
  if (!docs) return Fail(docs.error());
  if (docs->size() != 1 || !IsSuite((*docs)[0].doc))
    return Fail(Error::Input(file + ": not a gator Suite (apiVersion test.gatekeeper.sh/v1alpha1, kind Suite)"));
  const Json& suite = (*docs)[0].doc;
  std::optional<RE2> filter;
  if (!run.empty()) {
    filter.emplace(run, RE2::Quiet);
    if (!filter->ok()) return Fail(Error::Input("--run: not a valid regular expression: " + filter->error()));
  }
  const fs::path dir = fs::path(file).parent_path();
  auto rel = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (dir / p).generic_string(); };
  SuiteResult result;
  result.file = file;
  const Json& tests = suite.contains("tests") ? suite["tests"] : Json::array();
  if (!tests.is_array()) return Fail(Error::Input(file + ": tests must be a list"));
  for (const auto& t : tests) {
    const std::string tname = Str(t, "name");
    const std::string tmpl = Str(t, "template"), constraint = Str(t, "constraint");
    if (tmpl.empty()) return Fail(Error::Input(file + ": test '" + tname + "' names no template"));
    std::vector<std::string> cpaths;
    if (!constraint.empty()) cpaths.push_back(rel(constraint));
    auto set = PolicySet::Load({rel(tmpl)}, cpaths);
    if (!set) return Fail(Error::Input(file + ": test '" + tname + "': " + set.error().message()));
    const Json& cases = t.contains("cases") && t["cases"].is_array() ? t["cases"] : Json::array();
    if (!cases.empty() && constraint.empty())
      return Fail(Error::Input(file + ": test '" + tname + "' has cases but no constraint"));
    for (const auto& c : cases) {
      CaseResult cr;
      cr.test = tname;
      cr.name = Str(c, "name");
      if (filter && !RE2::PartialMatch(tname + "/" + cr.name, *filter)) continue;
      auto t0 = std::chrono::steady_clock::now();
      if (c.value("skip", false)) {
        cr.skipped = true;
        result.cases.push_back(std::move(cr));
        continue;
      }
      auto fail = [&](std::string why) {
        cr.message = std::move(why);
        cr.seconds = Since(t0);
        result.cases.push_back(cr);
      };
      const std::string object = Str(c, "object");
      if (object.empty()) {
        fail("the case names no object");
        continue;
      }
      auto objs = ReadDocuments({rel(object)});
      if (!objs) {
        fail(objs.error().message());
        continue;
      }
      if (objs->size() != 1) {
        fail(rel(object) + ": a case object is one document (found " + std::to_string(objs->size()) + ")");
        continue;
      }
      std::vector<std::string> inventory_paths;
      if (c.contains("inventory") && c["inventory"].is_array())
        for (const auto& inv : c["inventory"])
          if (inv.is_string()) inventory_paths.push_back(rel(inv.get<std::string>()));
      auto inventory = LoadInventory(inventory_paths);
      if (!inventory) {
        fail(inventory.error().message());
        continue;
      }
      const Json& o = (*objs)[0].doc;
      Json request;
      if (o.is_object() && Str(o, "kind") == "AdmissionReview" && o.contains("request")) {
        request = o["request"];
      } else {
        request = AuditRequest(o);
        request["operation"] = "CREATE";
      }
      auto got = set->Review(request, &*inventory, kGatorPoint);
      if (!got) {
        fail(got.error().message());
        continue;
      }
      const Json& assertions = c.contains("assertions") && c["assertions"].is_array() ? c["assertions"] : Json::array();
      if (assertions.empty()) {
        fail("the case has no assertions");
        continue;
      }
      std::string why;
      for (std::size_t i = 0; i < assertions.size() && why.empty(); ++i) why = CheckAssertion(assertions[i], *got, i);
      if (!why.empty()) {
        fail(why);
        continue;
      }
      cr.passed = true;
      cr.seconds = Since(t0);
      result.cases.push_back(std::move(cr));
    }
  }
  result.seconds = Since(start);
  return result;
}

void WriteSuiteResults(const std::vector<SuiteResult>& results, std::ostream& out, bool verbose) {
  bool all = true;
  auto secs = [](double s) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(3) << s << "s";
    return o.str();
  };
  for (const auto& r : results) {
    for (const auto& c : r.cases) {
      if (c.skipped) {
        if (verbose) out << "--- SKIP: " << c.test << "/" << c.name << "\n";
      } else if (!c.passed) {
        out << "--- FAIL: " << c.test << "/" << c.name << " (" << secs(c.seconds) << ")\n    " << c.message << "\n";
      } else if (verbose) {
        out << "--- PASS: " << c.test << "/" << c.name << " (" << secs(c.seconds) << ")\n";
      }
    }
    out << (r.passed() ? "ok" : "FAIL") << "\t" << r.file << "\t" << secs(r.seconds) << "\n";
    all = all && r.passed();
  }
  out << (all ? "PASS" : "FAIL") << "\n";
}

namespace {

bool IsObject(const Json& d) { return !Str(d, "apiVersion").empty() && !Str(d, "kind").empty(); }

// Whether an audited object joins the inventory: Namespaces always, every
// object for referential templates; never one without a name (a
// Kustomization, which no cluster holds).
bool Inventoried(const Json& o, bool referential) {
  if (!o.contains("metadata") || Str(o["metadata"], "name").empty()) return false;
  return referential || (Str(o, "kind") == "Namespace" && Str(o, "apiVersion") == "v1");
}

// The findings of one object's violations at the audit point.
Status AuditOne(const PolicySet& set, const SourceDocument& o, const Inventory& inventory, const std::string& gate,
                std::vector<Finding>& out) {
  Json request = AuditRequest(o.doc);
  std::vector<std::string> errors;
  auto got = set.Review(request, &inventory, kAuditPoint, &errors);
  if (!got) return Fail(Error::Input(o.Where() + ": " + got.error().message()));
  const std::string object_key =
      Str(o.doc, "apiVersion") + "/" + Str(o.doc, "kind") + "/" + Str(request, "namespace") + "/" + Str(request, "name");
  // What could not be decided is a finding of its own, never a pass.
  for (const auto& e : errors) {
    Finding fd;
    fd.gate = gate;
    fd.tool = "tollgate-admission";
    fd.rule_id = "review-error";
    fd.message = object_key + " could not be decided: " + e;
    fd.severity = Severity::kHigh;
    fd.location.file = o.file;
    fd.location.line = o.line;
    fd.details = Json{{"object", object_key}};
    fd.fingerprint = MakeFingerprint(fd.rule_id, {object_key, e});
    out.push_back(std::move(fd));
  }
  for (const auto& v : *got) {
    Finding fd;
    fd.gate = gate;
    fd.tool = "tollgate-admission";
    fd.rule_id = v.constraint_kind;
    fd.message = v.Message();
    fd.severity = v.action == Action::kDeny ? Severity::kHigh : v.action == Action::kWarn ? Severity::kMedium : Severity::kLow;
    fd.location.file = o.file;
    fd.location.line = o.line;
    fd.details = Json{{"constraint", v.constraint_name},
                      {"constraint_kind", v.constraint_kind},
                      {"action", ActionName(v.action)},
                      {"object", object_key}};
    if (!v.details.is_null() && !(v.details.is_object() && v.details.empty())) fd.details["violation_details"] = v.details;
    fd.fingerprint = MakeFingerprint(v.constraint_kind, {v.constraint_name, object_key, v.msg});
    out.push_back(std::move(fd));
  }
  return Ok();
}

}  // namespace

// The objects of a JSON file, one at a time, without holding the file: a
// root `items` array (a List, as `kubectl get -o json` writes) gives its
// elements as they are read; any other document is given whole.
class JsonObjects : public JsonStreamHandler {
 public:
  JsonObjects(std::string file, std::function<Status(const SourceDocument&)> each) : file_(std::move(file)), each_(std::move(each)) {}

  Take Begin(const JsonPath& path, Type type) override {
    if (path.empty()) return type == Type::kObject ? Take::kEnter : Take::kValue;
    if (path.size() == 1) {
      if (!path[0].in_array && path[0].key == "items" && type == Type::kArray) {
        list_ = true;
        return Take::kEnter;
      }
      return Take::kValue;
    }
    return path.size() == 2 ? Take::kValue : Take::kSkip;
  }
  Status Value(const JsonPath& path, Json value) override {
    if (path.empty()) return Fail(Error::Input(file_ + ": not a Kubernetes object or List"));
    if (path.size() == 1) {
      members_[path[0].key] = std::move(value);
      return Ok();
    }
    return each_(SourceDocument{file_, 0, std::move(value)});
  }
  Status End(const JsonPath& path) override {
    if (!path.empty() || list_) return Ok();
    return each_(SourceDocument{file_, 0, std::move(members_)});
  }

 private:
  std::string file_;
  std::function<Status(const SourceDocument&)> each_;
  Json members_ = Json::object();
  bool list_ = false;
};

// Every object of one manifest file: JSON streamed (a cluster dump of any
// size), YAML documents as parsed.
Status ForEachObject(const std::string& file, const std::function<Status(const SourceDocument&)>& each) {
  if (fs::path(file).extension() == ".json") {
    JsonObjects handler(file, each);
    return StreamJsonFile(file, handler);
  }
  auto docs = ReadDocuments({file});
  if (!docs) return Fail(docs.error());
  std::vector<SourceDocument> objects;
  for (const auto& d : *docs) Objects(d, objects);
  for (const auto& o : objects) TG_TRY(each(o));
  return Ok();
}

Result<AuditResult> Audit(const PolicySet& set, const std::vector<std::string>& manifests) {
  auto files = ListFiles(manifests);
  if (!files) return Fail(files.error());
  AuditResult result;
  result.files = files->size();
  Inventory inventory;
  const bool referential = set.UsesInventory();
  // First pass: Namespaces (for namespaceSelector), and everything when a
  // template reads data.inventory.
  for (const auto& f : *files)
    TG_TRY(ForEachObject(f, [&](const SourceDocument& o) -> Status {
      if (IsObject(o.doc) && Inventoried(o.doc, referential)) return inventory.Add(o.doc, o.Where());
      return Ok();
    }));
  result.inventory = referential ? inventory.size() : 0;
  for (const auto& f : *files)
    TG_TRY(ForEachObject(f, [&](const SourceDocument& o) -> Status {
      if (!IsObject(o.doc))
        return Fail(Error::Input(o.Where() + ": not a Kubernetes object (apiVersion and kind are required)"));
      ++result.objects;
      return AuditOne(set, o, inventory, "admission", result.findings);
    }));
  return result;
}

Result<AuditResult> AuditObjects(const PolicySet& set, const std::vector<SourceDocument>& documents, const std::string& gate) {
  AuditResult result;
  std::vector<SourceDocument> objects;
  std::set<std::string> files;
  for (const auto& d : documents) {
    Objects(d, objects);
    files.insert(d.file);
  }
  result.files = files.size();
  Inventory inventory;
  const bool referential = set.UsesInventory();
  for (const auto& o : objects)
    if (IsObject(o.doc) && Inventoried(o.doc, referential)) TG_TRY(inventory.Add(o.doc, o.Where()));
  result.inventory = referential ? inventory.size() : 0;
  for (const auto& o : objects) {
    if (!IsObject(o.doc)) continue;
    ++result.objects;
    TG_TRY(AuditOne(set, o, inventory, gate, result.findings));
  }
  return result;
}

}  // namespace tollgate::admission
