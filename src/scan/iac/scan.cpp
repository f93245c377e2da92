// tollgate scan iac: find the files, load the model, evaluate the policies.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <thread>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "core/file.h"
#include "core/walk.h"
#include "rego/check.h"
#include "rego/documents.h"
#include "rego/rego.h"
#include "rego/value.h"
#include "scan/iac/embedded_policies.h"
#include "scan/iac/iac.h"

namespace tollgate::iac {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxFileBytes = 8u << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Policy files and --var-file: named by the user, read bounded (never
// blocking on a FIFO).
Result<std::string> ReadFile(const std::string& path) { return ReadFileBounded(path, kMaxFileBytes); }

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One deny result → a finding. The result is an object {msg, id, severity,
// title, pci, nist, cis, remediation, line, address} or a plain message string.
Finding ToFinding(const Json& r, const std::string& pkg, const std::string& file, const std::string& repo_file) {
  Finding f;
  f.gate = "iac";
  f.tool = "tollgate-iac";
  f.location.file = file;
  if (r.is_string()) {
    f.message = r.get<std::string>();
    f.rule_id = "rego." + pkg;
    f.severity = Severity::kHigh;
  } else {
    f.message = Str(r, "msg");
    std::string id = Str(r, "id");
    f.rule_id = id.empty() ? "rego." + pkg : id;
    auto sev = ParseRatedSeverity(Str(r, "severity"));
    f.severity = sev ? *sev : Severity::kHigh;
    if (auto it = r.find("line"); it != r.end() && it->is_number_integer() && it->get<std::int64_t>() > 0) f.location.line = static_cast<std::uint32_t>(it->get<std::int64_t>());
    // Control references: PCI DSS requirements, NIST SP 800-53 controls, CIS
    // benchmark items (already named "CIS <benchmark> <item>").
    for (const auto& [key, prefix] : {std::pair<const char*, const char*>{"pci", "PCI-DSS-4.0:"}, {"nist", "NIST-800-53:"}, {"cis", ""}}) {
      auto it = r.find(key);
      if (it == r.end()) continue;
      if (it->is_string()) f.references.push_back(prefix + it->get<std::string>());
      if (it->is_array())
        for (const auto& e : *it)
          if (e.is_string()) f.references.push_back(prefix + e.get<std::string>());
    }
    f.remediation = Str(r, "remediation");
    std::string title = Str(r, "title");
    std::string address = Str(r, "address");
    if (!title.empty()) f.details["title"] = title;
    if (!address.empty()) f.details["address"] = address;
  }
  // The repository-relative path: the same for every spelling of the scanned path.
  f.fingerprint = MakeFingerprint(f.rule_id, {repo_file, Str(r, "address"), f.message});
  return f;
}

}  // namespace

bool IsCandidate(std::string_view name) {
  const std::string lower = Lower(name);
  return EndsWith(lower, ".tf") || EndsWith(lower, ".json") || EndsWith(lower, ".yaml") || EndsWith(lower, ".yml") ||
         lower == "dockerfile" || lower.rfind("dockerfile.", 0) == 0 || EndsWith(lower, ".dockerfile") ||
         lower == "containerfile";
}

bool HelmCharts::HasChart(const std::string& dir) {
  for (const auto& [d, has] : known_)
    if (d == dir) return has;
  std::error_code ec;
  const fs::path base = dir.empty() ? fs::path(".") : fs::path(dir);
  const bool has = fs::is_regular_file(base / "Chart.yaml", ec) || fs::is_regular_file(base / "Chart.yml", ec);
  known_.emplace_back(dir, has);
  return has;
}

std::string HelmCharts::ChartOf(const std::string& path) {
  // The nearest `templates` directory above the file whose parent is a chart.
  fs::path p = fs::path(path).parent_path();
  for (; !p.empty() && p.has_filename(); p = p.parent_path()) {
    if (p.filename() != "templates") continue;
    const std::string chart = p.parent_path().generic_string();
    if (HasChart(chart)) return chart.empty() ? "." : chart;
  }
  return "";
}

bool IsKustomization(std::string_view name) {
  return name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization";
}

std::vector<std::string> KustomizePatches(const std::string& dir, std::string_view kustomization) {
  std::vector<std::string> out;
  auto docs = rego::ParseYamlDocuments(kustomization, dir + "/kustomization.yaml");
  if (!docs || docs->empty() || !docs->front().is_object()) return out;
  const rego::Value& k = docs->front();
  auto add = [&](const rego::Value& v) {
    if (v.is_string() && v.as_string().find('\n') == std::string::npos)  // not an inline patch
      out.push_back((fs::path(dir) / v.as_string()).lexically_normal().generic_string());
  };
  for (const char* key : {"patches", "patchesStrategicMerge", "patchesJson6902"}) {
    const rego::Value* list = k.Get(key);
    if (list == nullptr || !list->is_array()) continue;
    for (const auto& item : list->items()) {
      if (item.is_string()) add(item);
      else if (item.is_object())
        if (const rego::Value* path = item.Get("path")) add(*path);
    }
  }
  return out;
}

std::vector<std::pair<std::uint32_t, Suppression>> FindSuppressions(std::string_view text) {
  static constexpr std::string_view kTag = "tollgate:ignore=";
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  auto comment_only = [](std::string_view l) {
    std::size_t f = l.find_first_not_of(" \t\r");
    return f != std::string_view::npos && (l[f] == '#' || l.substr(f, 2) == "//");
  };
  std::vector<std::pair<std::uint32_t, Suppression>> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    std::size_t tag = l.find(kTag);
    if (tag == std::string_view::npos) continue;
    // the tag must be inside a # or // comment
    std::size_t hash = l.rfind('#', tag), slashes = l.rfind("//", tag);
    std::size_t mark = hash;
    if (slashes != std::string_view::npos && (mark == std::string_view::npos || slashes > mark)) mark = slashes;
    if (mark == std::string_view::npos) continue;
    if (l[mark] == '/' && mark > 0 && l[mark - 1] == '/') --mark;
    if (mark > 0 && l[mark - 1] != ' ' && l[mark - 1] != '\t') continue;  // e.g. inside a string: "# tollgate:..."
    std::string_view between = l.substr(mark, tag - mark);
    if (between.find_first_not_of("#/ \t") != std::string_view::npos) continue;
    std::string_view rest = l.substr(tag + kTag.size());
    std::size_t sp = rest.find_first_of(" \t\r");
    std::string checks(rest.substr(0, sp));
    std::string reason = sp == std::string_view::npos ? "" : std::string(rest.substr(sp));
    reason.erase(0, reason.find_first_not_of(" \t"));
    while (!reason.empty() && (reason.back() == ' ' || reason.back() == '\r' || reason.back() == '\t')) reason.pop_back();
    // a trailing comment covers its own line; a comment line the next non-comment line
    std::size_t target = i;
    if (comment_only(l)) {
      target = i + 1;
      while (target < lines.size() && comment_only(lines[target])) ++target;
      if (target >= lines.size() || lines[target].find_first_not_of(" \t\r") == std::string_view::npos) continue;  // directly above only
    }
    std::stringstream ss(checks);
    for (std::string c; std::getline(ss, c, ',');)
      if (!c.empty())
        out.push_back({static_cast<std::uint32_t>(target + 1), Suppression{c, reason, static_cast<std::uint32_t>(i + 1)}});
  }
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU seconds of the calling thread: the parse/policy split is measured in
// CPU time so that it does not depend on how busy the machine is.
double ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One unit of work: a Terraform module directory (its .tf files together) or
// one other file.
struct WorkItem {
  std::vector<walk::Entry> files;
  bool terraform = false;
};

// The loaded documents of a work item (phase 1) and its findings (phase 2).
struct WorkResult {
  std::vector<Json> docs;
  std::vector<rego::Value> inputs;  // the documents as Rego values (converted once)
  std::vector<std::string> texts;
  std::vector<std::string> repo_files;  // each document's repository-relative path (fingerprints)
  std::vector<walk::Problem> problems;  // files of the item that could not be read or parsed
  rego::Value module;  // input.module of a Terraform HCL module (shared by its documents)
  bool terraform = false;
  std::string dir;  // a Terraform module's directory, as shown
  // An instance of a local module, evaluated with a caller's arguments: the
  // address prefix of its resources ("module.a.module.b."), the call
  // ({module, file, line} of the innermost module block, and `chain`: every
  // call from the root module's inward) and the root module's file that makes
  // the outermost call (repository-relative; part of the fingerprint, as two
  // roots may name their calls alike).
  std::string call_prefix;
  Json call;
  std::string root_file;
  std::vector<Finding> findings;
  std::optional<Error> error;
  std::size_t files = 0;
  double load = 0, policy = 0;
};

rego::Value RegoStr(std::string s) { return rego::Value::String(std::move(s)); }

// The resource addresses an expression may name: `type.name` and
// `data.type.name` at the start of each dotted path (aws_s3_bucket.b.id,
// data.aws_iam_policy_document.p.json).
std::vector<std::string> NamedAddresses(const std::string& expr) {
  std::vector<std::string> out;
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  for (std::size_t i = 0; i < expr.size();) {
    if (!ident(expr[i]) || (i > 0 && (ident(expr[i - 1]) || expr[i - 1] == '.'))) {
      ++i;
      continue;
    }
    std::vector<std::string> segs;  // the dotted path starting at i
    std::size_t j = i;
    while (j < expr.size() && ident(expr[j])) {
      std::size_t k = j;
      while (k < expr.size() && ident(expr[k])) ++k;
      segs.push_back(expr.substr(j, k - j));
      j = k;
      if (j + 1 < expr.size() && expr[j] == '.' && ident(expr[j + 1])) ++j;
    }
    if (segs.size() >= 2) out.push_back(segs[0] + "." + segs[1]);
    if (segs.size() >= 3 && segs[0] == "data") out.push_back(segs[0] + "." + segs[1] + "." + segs[2]);
    i = j;
  }
  return out;
}

// Calls f(expr) for every unknown expression inside the value.
template <class F>
void ForEachUnknown(const rego::Value& v, F&& f) {
  if (v.is_object()) {
    const rego::Value* u = v.Get("unknown");
    const rego::Value* e = v.Get("expr");
    if (u && u->is_bool() && u->as_bool() && e && e->is_string()) return f(e->as_string());
    for (const auto& [k, x] : v.object()) ForEachUnknown(x, f);
  } else if (v.is_array()) {
    for (const auto& x : v.items()) ForEachUnknown(x, f);
  }
}

// input.module: {dir, resources, types: {type: [resources of that type]},
// addresses: {address: resource}, referrers: {address: [resources whose
// unknown expressions name it]}, unresolved: {address: resource whose unknown
// expressions name something not declared in the module}, literals: {string:
// [resources with a top-level attribute of that value]}}. The indexes let a
// companion check look up instead of walking the module for every resource;
// the resource values are shared, not copied.
rego::Value ModuleView(const std::string& dir, const rego::Value& resources) {
  std::map<std::string, rego::Array> by_type;
  std::map<std::string, rego::Value> addresses;
  if (resources.is_array())
    for (const auto& r : resources.items()) {
      if (const rego::Value* t = r.Get("type"); t && t->is_string()) by_type[t->as_string()].push_back(r);
      if (const rego::Value* a = r.Get("address"); a && a->is_string()) addresses.emplace(a->as_string(), r);
    }
  std::map<std::string, rego::Array> referrers, literals;
  rego::ObjectItems unresolved;
  for (const auto& entry : addresses) {
    const std::string& address = entry.first;  // not a structured binding: the lambda below captures it
    const rego::Value& r = entry.second;
    std::set<std::string> strings;  // top-level literal strings: a companion may name its bucket by value
    if (const rego::Value* values = r.Get("values"); values && values->is_object())
      for (const auto& [k, v] : values->object())
        if (v.is_string() && strings.insert(v.as_string()).second) literals[v.as_string()].push_back(r);
    std::set<std::string> named;
    bool open = false;
    if (const rego::Value* values = r.Get("values"))
      ForEachUnknown(*values, [&](const std::string& expr) {
        bool resolved = false;
        for (auto& a : NamedAddresses(expr))
          if (a != address && addresses.count(a)) {
            named.insert(a);
            resolved = true;
          }
        open = open || !resolved;
      });
    for (const auto& a : named) referrers[a].push_back(r);
    if (open) unresolved.emplace_back(RegoStr(address), r);
  }
  rego::ObjectItems types, by_address, refs, by_literal;
  for (auto& [t, rs] : by_type) types.emplace_back(RegoStr(t), rego::Value::MakeArray(std::move(rs)));
  for (auto& [a, r] : addresses) by_address.emplace_back(RegoStr(a), r);
  for (auto& [a, rs] : referrers) refs.emplace_back(RegoStr(a), rego::Value::MakeArray(std::move(rs)));
  for (auto& [l, rs] : literals) by_literal.emplace_back(RegoStr(l), rego::Value::MakeArray(std::move(rs)));
  return rego::Value::MakeObject({{RegoStr("dir"), RegoStr(dir)},
                                  {RegoStr("resources"), resources.is_array() ? resources : rego::Value::EmptyArray()},
                                  {RegoStr("types"), rego::Value::MakeObject(std::move(types))},
                                  {RegoStr("addresses"), rego::Value::MakeObject(std::move(by_address))},
                                  {RegoStr("referrers"), rego::Value::MakeObject(std::move(refs))},
                                  {RegoStr("unresolved"), rego::Value::MakeObject(std::move(unresolved))},
                                  {RegoStr("literals"), rego::Value::MakeObject(std::move(by_literal))}});
}

// The module view of an HCL module: every resource of every file, with its file.
rego::Value TerraformModuleView(const std::string& dir, const std::vector<rego::Value>& docs) {
  rego::Array all;
  for (const auto& d : docs) {
    const rego::Value* file = d.Get("file");
    const rego::Value* resources = d.Get("resources");
    if (!file || !resources || !resources->is_array()) continue;
    for (const auto& r : resources->items()) {
      if (!r.is_object()) continue;
      rego::ObjectItems items = r.object();  // shallow: the members are shared
      items.emplace_back(RegoStr("file"), *file);
      all.push_back(rego::Value::MakeObject(std::move(items)));
    }
  }
  return ModuleView(dir, rego::Value::MakeArray(std::move(all)));
}

// input.scan of Kubernetes documents: {documents: [{file, kind, name,
// namespace, line}] in file and line order, by_kind: {kind: {namespace:
// [the same entries]}}}, built once per scan and shared by every document.
rego::Value KubernetesScanView(const std::vector<WorkResult>& loaded) {
  rego::Array documents;
  std::map<std::string, std::map<std::string, rego::Array>> by_kind;
  for (const auto& w : loaded)
    for (const auto& d : w.docs) {
      if (d.value("format", "") != "kubernetes") continue;
      for (const auto& r : d["resources"]) {
        std::string kind = Str(r, "kind"), ns = Str(r, "namespace");
        rego::Value e = rego::Value::MakeObject({{RegoStr("file"), rego::FromJson(d["file"])},
                                                 {RegoStr("kind"), RegoStr(kind)},
                                                 {RegoStr("name"), RegoStr(Str(r, "name"))},
                                                 {RegoStr("namespace"), RegoStr(ns)},
                                                 {RegoStr("line"), rego::FromJson(r.value("line", Json(0)))}});
        documents.push_back(e);
        by_kind[kind][ns].push_back(std::move(e));
      }
    }
  rego::ObjectItems kinds;
  for (auto& [kind, namespaces] : by_kind) {
    rego::ObjectItems per_ns;
    for (auto& [ns, es] : namespaces) per_ns.emplace_back(RegoStr(ns), rego::Value::MakeArray(std::move(es)));
    kinds.emplace_back(RegoStr(kind), rego::Value::MakeObject(std::move(per_ns)));
  }
  return rego::Value::MakeObject({{RegoStr("documents"), rego::Value::MakeArray(std::move(documents))},
                                  {RegoStr("by_kind"), rego::Value::MakeObject(std::move(kinds))}});
}

// The document as `input`, with its module or scan view added.
rego::Value Input(const Json& doc, const rego::Value& v, const rego::Value& module, const rego::Value& scan) {
  std::string format = doc.value("format", "");
  rego::ObjectItems items = v.object();
  if (format == "terraform" && module.defined()) {
    items.emplace_back(RegoStr("module"), module);
  } else if (format == "terraform-plan") {  // the plan is its own module
    const rego::Value* resources = v.Get("resources");
    std::string dir = fs::path(Str(doc, "file")).parent_path().generic_string();
    items.emplace_back(RegoStr("module"), ModuleView(dir, resources ? *resources : rego::Value::EmptyArray()));
  } else if (format == "kubernetes") {
    items.emplace_back(RegoStr("scan"), scan);
  } else {
    return v;
  }
  return rego::Value::MakeObject(std::move(items));
}

class Scanner {
 public:
  Scanner(const rego::Policy& policy, const ScanOptions& opts) : policy_(policy), opts_(opts) {
    for (const auto& pkg : policy.Packages()) {
      std::vector<std::string> path;
      std::stringstream ss(pkg);
      for (std::string seg; std::getline(ss, seg, '.');) path.push_back(seg);
      path.push_back("deny");
      packages_.push_back({pkg, std::move(path)});
    }
  }

  // Phase 1: read and parse. A file that cannot be read or parsed is a
  // problem of the item; the rest of the item (the module's other files) is
  // still loaded.
  void Load(const WorkItem& item, WorkResult& out) const {
    double t0 = ThreadCpu();
    if (item.terraform) {
      std::vector<SourceText> tf, vars;
      std::map<std::string, std::string> repo_of;  // shown path -> repository path
      for (const auto& e : item.files) {
        std::string text;
        if (auto p = walk::ReadFile(e, kMaxFileBytes, text)) {
          out.problems.push_back(std::move(*p));
          continue;
        }
        tf.push_back({e.path, std::move(text)});
        repo_of[e.path] = e.repo_path;
      }
      const walk::Entry& first = item.files.front();
      const std::string dir = fs::path(first.path).parent_path().generic_string();
      const std::string repo_dir = fs::path(first.repo_path).parent_path().generic_string();
      for (const auto& v : TfvarsFiles(dir)) {
        auto text = ReadFile(v);
        std::string repo_v = repo_dir.empty() ? fs::path(v).filename().string() : repo_dir + "/" + fs::path(v).filename().string();
        if (!text) {
          out.problems.push_back(walk::Problem{walk::ProblemKind::kIncomplete, v, repo_v, 0, "unreadable",
                                               "variable definitions not read: " + Reason(text.error().message(), v)});
          continue;
        }
        vars.push_back({v, *text});
        repo_of[v] = repo_v;
      }
      std::vector<Error> bad;
      auto loaded = LoadTerraformModule(tf, vars, opts_.strict ? nullptr : &bad);
      if (!loaded) return Failed(out, loaded.error());
      for (const auto& e : bad) {
        std::string file = FileOf(e.message(), repo_of);
        out.problems.push_back(walk::ParseProblem(file, repo_of.count(file) ? repo_of[file] : file, e.message()));
      }
      out.docs = std::move(*loaded);
      std::map<std::string, std::string> texts;
      for (auto& t : tf) texts[t.file] = std::move(t.text);
      for (const auto& d : out.docs) {
        const std::string file = d["file"].get<std::string>();
        out.texts.push_back(std::move(texts[file]));
        out.repo_files.push_back(repo_of.count(file) ? repo_of[file] : file);
        out.inputs.push_back(rego::FromJson(d));
      }
      out.module = TerraformModuleView(dir, out.inputs);
      out.terraform = true;
      out.dir = dir;
    } else {
      const walk::Entry& e = item.files.front();
      std::string text;
      if (auto p = walk::ReadFile(e, kMaxFileBytes, text)) {
        if (opts_.strict) return Failed(out, Error::Input(p->Text()));
        out.problems.push_back(std::move(*p));
        return;
      }
      auto model = LoadFile(e.path, text);
      if (!model) {
        if (opts_.strict) return Failed(out, model.error());
        out.problems.push_back(walk::ParseProblem(e.path, e.repo_path, model.error().message()));
        return;
      }
      if (model->is_null()) return;
      out.docs.push_back(std::move(*model));
      out.inputs.push_back(rego::FromJson(out.docs.back()));
      out.texts.push_back(std::move(text));
      out.repo_files.push_back(e.repo_path);
    }
    if (opts_.strict && !out.problems.empty()) return Failed(out, Error::Input(out.problems.front().Text()));
    out.files += out.docs.size();
    out.load += ThreadCpu() - t0;
  }

  // Phase 2: evaluate the policies over each document; frees the documents.
  void Evaluate(WorkResult& out, const rego::Value& scan) const {
    if (out.error) return;
    double t1 = ThreadCpu();
    for (std::size_t i = 0; i < out.docs.size(); ++i) {
      const std::string file = out.docs[i]["file"].get<std::string>();
      rego::EvalOptions eo;
      eo.input = Input(out.docs[i], out.inputs[i], out.module, scan);
      std::size_t first = out.findings.size();
      for (const auto& [pkg, path] : packages_) {
        auto v = policy_.EvalPath(path, eo);
        if (!v) return Failed(out, Error::Input(file + ": policy " + pkg + ": " + v.error().message()));
        if (!v->defined()) continue;
        Json results = rego::ToJson(*v);
        if (!results.is_array()) continue;
        for (const auto& r : results) out.findings.push_back(ToFinding(r, pkg, file, out.repo_files[i]));
      }
      LocateResources(out.docs[i], out.findings, first);
      Relocate(out.docs[i], out.findings, first);
      if (!out.call_prefix.empty()) InModuleCall(out, out.repo_files[i], out.findings, first);
      ApplySuppressions(out.texts[i], file, out.findings, first);
    }
    out.docs.clear();
    out.inputs.clear();
    out.texts.clear();
    out.repo_files.clear();
    out.module = rego::Value();
    out.policy += ThreadCpu() - t1;
  }

 private:
  static void Failed(WorkResult& out, Error e) { out.error = std::move(e); }

  // The file a parser's message names ("file:line:col: ..."): the longest
  // known path it starts with.
  static std::string FileOf(const std::string& message, const std::map<std::string, std::string>& known) {
    std::string best;
    for (const auto& [file, repo] : known)
      if (file.size() > best.size() && message.compare(0, file.size(), file) == 0 && message.size() > file.size() &&
          message[file.size()] == ':')
        best = file;
    return best;
  }

  // A message without its "path: " prefix.
  static std::string Reason(const std::string& message, const std::string& path) {
    if (message.compare(0, path.size() + 2, path + ": ") == 0) return message.substr(path.size() + 2);
    return message;
  }

  // A finding of a policy that gave no line points at the resource it is
  // about, where the document has lines: the resource its `address` names,
  // else the one resource whose address (or Kubernetes name) the message
  // quotes, else the document's only resource.
  static void LocateResources(const Json& doc, std::vector<Finding>& findings, std::size_t first) {
    auto it = doc.find("resources");
    if (it == doc.end() || !it->is_array() || it->empty()) return;
    const Json& resources = *it;
    auto line_of = [](const Json& r) { return r.value("line", Json(0)).is_number_unsigned() ? r.value("line", 0u) : 0u; };
    for (std::size_t i = first; i < findings.size(); ++i) {
      Finding& f = findings[i];
      if (f.location.line != 0) continue;
      std::uint32_t line = 0;
      if (f.details.contains("address") && f.details["address"].is_string()) {
        for (const auto& r : resources)
          if (r.value("address", "") == f.details["address"].get<std::string>()) line = line_of(r);
      }
      if (line == 0) {
        const Json* only = nullptr;
        int named = 0;
        for (const auto& r : resources) {
          std::string address = r.value("address", ""), name = r.value("name", "");
          bool quoted = (!address.empty() && f.message.find(address) != std::string::npos) ||
                        (doc.value("format", "") == "kubernetes" && name.size() > 2 &&
                         f.message.find(name) != std::string::npos);
          if (quoted) {
            ++named;
            only = &r;
          }
        }
        if (named == 1) line = line_of(*only);
        else if (named == 0 && resources.size() == 1) line = line_of(resources.front());
      }
      f.location.line = line;
    }
  }

  // terraform.tfvars, then *.auto.tfvars (sorted), then --var-file.
  std::vector<std::string> TfvarsFiles(const std::string& dir) const {
    std::vector<std::string> out, autos;
    std::error_code ec;
    fs::path d = dir.empty() ? fs::path(".") : fs::path(dir);
    if (fs::is_regular_file(d / "terraform.tfvars", ec)) out.push_back((fs::path(dir) / "terraform.tfvars").generic_string());
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.size() > 12 && name.compare(name.size() - 12, 12, ".auto.tfvars") == 0) autos.push_back((fs::path(dir) / name).generic_string());
    }
    std::sort(autos.begin(), autos.end());
    out.insert(out.end(), autos.begin(), autos.end());
    out.insert(out.end(), opts_.var_files.begin(), opts_.var_files.end());
    return out;
  }

  // A finding in a module instance: its address is the full one
  // (module.a.aws_s3_bucket.b), the call is in its details and message, and
  // its fingerprint is the instance's, so each call is waived on its own.
  static void InModuleCall(const WorkResult& out, const std::string& repo_file, std::vector<Finding>& findings,
                           std::size_t first) {
    const std::string module = out.call_prefix.substr(0, out.call_prefix.size() - 1);
    for (std::size_t i = first; i < findings.size(); ++i) {
      Finding& f = findings[i];
      std::string address = f.details.is_object() ? Str(f.details, "address") : std::string();
      std::string full = address.empty() ? module : out.call_prefix + address;
      if (!f.details.is_object()) f.details = Json::object();
      if (!address.empty()) f.details["address"] = full;
      f.details["module_call"] = out.call;
      f.fingerprint = MakeFingerprint(f.rule_id, {repo_file, out.root_file, full, f.message});
      std::string at;
      for (const auto& c : out.call["chain"])
        at += (at.empty() ? "" : " -> ") + Str(c, "file") + ":" + std::to_string(c.value("line", 0u));
      f.message += " (in " + module + ", called at " + at + ")";
    }
  }

  // Plan findings point at the .tf line of their resource when it is known.
  static void Relocate(const Json& doc, std::vector<Finding>& findings, std::size_t first) {
    if (doc.value("format", "") != "terraform-plan") return;
    std::map<std::string, const Json*> by_address;
    for (const auto& r : doc["resources"])
      if (r.contains("source_file")) by_address[r["address"].get<std::string>()] = &r;
    for (std::size_t i = first; i < findings.size(); ++i) {
      Finding& f = findings[i];
      auto it = f.details.contains("address") ? by_address.find(f.details["address"].get<std::string>()) : by_address.end();
      if (it == by_address.end()) continue;
      f.details["plan_file"] = f.location.file;
      f.details["plan_line"] = f.location.line;
      f.location.file = (*it->second)["source_file"].get<std::string>();
      f.location.line = (*it->second)["source_line"].get<std::uint32_t>();
    }
  }

  // Marks findings covered by an inline suppression in their file.
  static void ApplySuppressions(const std::string& text, const std::string& file, std::vector<Finding>& findings, std::size_t first) {
    std::map<std::string, std::vector<std::pair<std::uint32_t, Suppression>>> by_file;
    for (std::size_t i = first; i < findings.size(); ++i) {
      Finding& f = findings[i];
      if (f.location.line == 0) continue;
      if (!by_file.count(f.location.file)) {
        if (f.location.file == file) {
          by_file[file] = FindSuppressions(text);
        } else {
          auto other = ReadFile(f.location.file);  // a plan finding relocated to its .tf
          by_file[f.location.file] = other ? FindSuppressions(*other) : std::vector<std::pair<std::uint32_t, Suppression>>{};
        }
      }
      for (const auto& [line, s] : by_file[f.location.file]) {
        if (line != f.location.line || s.check != f.rule_id) continue;
        f.details["suppression"] = Json{{"check", s.check}, {"reason", s.reason}, {"line", s.line}};
        break;
      }
    }
  }

  const rego::Policy& policy_;
  const ScanOptions& opts_;
  std::vector<std::pair<std::string, std::vector<std::string>>> packages_;
};

// Groups the files into work items: each directory's .tf files together.
std::vector<WorkItem> Plan(const std::vector<walk::Entry>& files) {
  std::vector<WorkItem> items;
  std::map<std::string, std::size_t> tf_dirs;
  for (const auto& f : files) {
    if (DetectFormat(f.path, "") == Format::kTerraform) {
      std::string dir = fs::path(f.path).parent_path().generic_string();
      auto [it, fresh] = tf_dirs.emplace(dir, items.size());
      if (fresh) items.push_back(WorkItem{{}, true});
      items[it->second].files.push_back(f);
    } else {
      items.push_back(WorkItem{{f}, false});
    }
  }
  return items;
}

// The files of the scan: walked (core/walk.h), then Helm chart templates and
// Kustomize patches set aside with one note per chart or overlay.
Status FindInputs(const std::vector<std::string>& paths, const ScanOptions& opts, std::vector<walk::Entry>& files,
                  std::vector<walk::Problem>& problems, std::vector<std::string>& notes) {
  walk::Options wo;
  wo.gitignore = opts.gitignore;
  wo.exclude = opts.exclude;
  wo.max_file_bytes = kMaxFileBytes;
  wo.prune = {"build", "node_modules"};
  wo.prune_hidden = true;
  wo.want = [](std::string_view name, std::string_view) { return IsCandidate(name) || IsKustomization(name); };
  std::vector<walk::Entry> all;
  TG_TRY(walk::Walk(
      paths, wo, [&](const walk::Entry& e) { all.push_back(e); },
      [&](walk::Problem p) {
        if (p.kind == walk::ProblemKind::kNote) notes.push_back(p.Text());
        else problems.push_back(std::move(p));
      }));
  // Kustomize overlays: their patches are partial manifests.
  std::set<std::string> patches;
  for (const auto& e : all) {
    if (!IsKustomization(fs::path(e.path).filename().string())) continue;
    std::string text;
    if (auto p = walk::ReadFile(e, kMaxFileBytes, text)) {
      problems.push_back(std::move(*p));
      continue;
    }
    const std::string dir = fs::path(e.path).parent_path().generic_string();
    auto listed = KustomizePatches(dir.empty() ? "." : dir, text);
    std::size_t n = 0;
    for (auto& p : listed) n += patches.insert(fs::path(p).lexically_normal().generic_string()).second ? std::size_t{1} : std::size_t{0};
    if (n > 0)
      notes.push_back(e.path + ": kustomize overlay: " + std::to_string(n) +
                      " patch file(s) are partial manifests and were not checked on their own (check the output of "
                      "`kustomize build` to see them applied)");
  }
  HelmCharts charts;
  std::map<std::string, std::size_t> templates;  // chart -> raw templates left out
  for (auto& e : all) {
    const std::string name = fs::path(e.path).filename().string();
    if (!IsCandidate(name)) continue;  // a `Kustomization` file
    if (!e.named) {
      const std::string chart = charts.ChartOf(e.path);
      if (!chart.empty()) {
        ++templates[chart];
        continue;
      }
      if (patches.count(fs::path(e.path).lexically_normal().generic_string())) continue;
    }
    files.push_back(std::move(e));
  }
  for (const auto& [chart, n] : templates)
    notes.push_back(chart + ": helm chart: " + std::to_string(n) +
                    " template(s) not checked raw (Go templates are not YAML until rendered: scan the output of "
                    "`helm template`)");
  return Ok();
}

// Local Terraform modules. A module block whose source is a relative path
// ("./x", "../x") to a directory of this scan is evaluated in its caller: the
// callee's files are loaded again with the call's arguments (as the caller
// evaluated them) for variables, once per call and recursively, and checked
// as that instance. A directory that some scanned module calls is not a root
// module, so it is not checked on its own with its defaults (unless every
// call to it lies on a cycle). Registry, remote and unreachable local
// sources are noted once each as not evaluated.
class ModuleExpander {
 public:
  ModuleExpander(std::vector<WorkResult>& results, std::vector<std::string>& notes) : results_(results), notes_(notes) {}

  void Run() {
    for (std::size_t i = 0; i < results_.size(); ++i)
      if (results_[i].terraform && !results_[i].error) by_dir_[Normal(results_[i].dir)] = i;
    std::set<std::size_t> called;
    for (const auto& [dir, i] : by_dir_)
      for (const auto& c : Calls(results_[i]))
        if (auto callee = Callee(results_[i].dir, c.source); callee && *callee != i) called.insert(*callee);
    std::vector<WorkResult> instances;
    std::set<std::size_t> reached;
    for (const auto& [dir, i] : by_dir_) {
      if (called.count(i)) continue;
      std::vector<std::size_t> stack{i};
      Expand(results_[i], "", Json::array(), "", stack, instances, reached);
    }
    for (std::size_t i : called) {
      if (!reached.count(i)) continue;  // only called from a cycle: checked on its own
      results_[i].docs.clear();         // not a root module: checked in each caller instead
      results_[i].inputs.clear();
      results_[i].texts.clear();
      results_[i].repo_files.clear();
    }
    for (auto& w : instances) results_.push_back(std::move(w));
  }

 private:
  struct Call {
    std::string name, source, file, repo_file;
    std::uint32_t line = 0;
    Json inputs;
  };

  static std::string Normal(const std::string& dir) {
    std::string n = fs::path(dir.empty() ? "." : dir).lexically_normal().generic_string();
    while (n.size() > 1 && n.back() == '/') n.pop_back();
    return n.empty() ? "." : n;
  }

  static bool Local(const std::string& source) { return source.rfind("./", 0) == 0 || source.rfind("../", 0) == 0; }

  static std::vector<Call> Calls(const WorkResult& w) {
    static const std::set<std::string> kMeta = {"source", "version", "providers", "count", "for_each", "depends_on"};
    std::vector<Call> out;
    for (std::size_t i = 0; i < w.docs.size(); ++i) {
      const Json& d = w.docs[i];
      if (!d.contains("blocks")) continue;
      for (const auto& b : d["blocks"]) {
        if (Str(b, "type") != "module" || !b.contains("labels") || !b["labels"].is_array() || b["labels"].size() != 1 ||
            !b["labels"][0].is_string() || !b.contains("body") || !b["body"].is_object())
          continue;
        Call c;
        c.name = b["labels"][0].get<std::string>();
        c.file = Str(d, "file");
        c.repo_file = i < w.repo_files.size() ? w.repo_files[i] : c.file;
        c.line = b.value("line", 0u);
        c.inputs = Json::object();
        const Json& body = b["body"];
        c.source = Str(body, "source");
        for (const auto& [k, v] : body.items())
          if (!kMeta.count(k)) c.inputs[k] = v;
        out.push_back(std::move(c));
      }
    }
    return out;
  }

  std::optional<std::size_t> Callee(const std::string& caller_dir, const std::string& source) const {
    if (!Local(source)) return std::nullopt;
    auto it = by_dir_.find(Normal((fs::path(caller_dir.empty() ? "." : caller_dir) / source).generic_string()));
    if (it == by_dir_.end()) return std::nullopt;
    return it->second;
  }

  void Note(const Call& c, const std::string& why) {
    if (noted_.insert(c.source + "\n" + why).second)
      notes_.push_back(c.file + ":" + std::to_string(c.line) + ": module \"" + c.name + "\" (source \"" + c.source +
                       "\") not evaluated: " + why);
  }

  void Expand(const WorkResult& caller, const std::string& prefix, const Json& chain, const std::string& root_file,
              std::vector<std::size_t>& stack, std::vector<WorkResult>& instances, std::set<std::size_t>& reached) {
    for (auto& c : Calls(caller)) {
      if (c.source.empty()) {
        Note(c, "its source is not a literal string");
        continue;
      }
      if (!Local(c.source)) {
        Note(c, "registry and remote modules are not read (vendor it into the repository, or scan the plan of "
                "`terraform show -json`)");
        continue;
      }
      auto callee = Callee(caller.dir, c.source);
      if (!callee) {
        Note(c, "its directory has no .tf files among the scanned files");
        continue;
      }
      if (std::find(stack.begin(), stack.end(), *callee) != stack.end() || stack.size() > kMaxModuleDepth) {
        Note(c, stack.size() > kMaxModuleDepth ? "modules nest too deeply" : "it calls itself through a cycle");
        continue;
      }
      const WorkResult& mod = results_[*callee];
      std::vector<SourceText> tf;
      std::map<std::string, std::string> repo_of;
      for (std::size_t k = 0; k < mod.docs.size(); ++k) {
        tf.push_back({Str(mod.docs[k], "file"), mod.texts[k]});
        repo_of[tf.back().file] = mod.repo_files[k];
      }
      std::vector<Error> bad;  // the callee's own item reports its parse problems
      auto docs = LoadTerraformModule(tf, {}, &bad, &c.inputs);
      if (!docs) {
        Note(c, docs.error().message());
        continue;
      }
      reached.insert(*callee);
      WorkResult inst;
      inst.terraform = true;
      inst.dir = mod.dir;
      inst.call_prefix = prefix + "module." + c.name + ".";
      const std::string module = inst.call_prefix.substr(0, inst.call_prefix.size() - 1);
      Json inner = chain;
      inner.push_back(Json{{"module", module}, {"file", c.file}, {"line", c.line}});
      inst.call = Json{{"module", module}, {"file", c.file}, {"line", c.line}, {"chain", inner}};
      inst.root_file = root_file.empty() ? c.repo_file : root_file;
      inst.docs = std::move(*docs);
      std::map<std::string, std::string> texts;
      for (auto& t : tf) texts[t.file] = std::move(t.text);
      for (const auto& d : inst.docs) {
        const std::string file = Str(d, "file");
        inst.texts.push_back(texts[file]);
        inst.repo_files.push_back(repo_of[file]);
        inst.inputs.push_back(rego::FromJson(d));
      }
      inst.module = TerraformModuleView(inst.dir, inst.inputs);
      stack.push_back(*callee);
      Expand(inst, inst.call_prefix, inner, inst.root_file, stack, instances, reached);
      stack.pop_back();
      instances.push_back(std::move(inst));
    }
  }

  static constexpr std::size_t kMaxModuleDepth = 16;
  std::vector<WorkResult>& results_;
  std::vector<std::string>& notes_;
  std::map<std::string, std::size_t> by_dir_;
  std::set<std::string> noted_;
};

}  // namespace

Result<std::vector<Finding>> Scan(const std::vector<std::string>& paths, const ScanOptions& opts) {
  auto start = Clock::now();
  std::vector<rego::SourceFile> sources;
  if (opts.builtin && opts.builtin_dir.empty()) sources = EmbeddedPolicySources();
  std::vector<std::string> dirs = opts.policy_dirs;
  if (opts.builtin && !opts.builtin_dir.empty()) dirs.insert(dirs.begin(), opts.builtin_dir);
  auto rego_files = rego::FindRegoFiles(dirs);
  if (!rego_files) return Fail(rego_files.error());
  for (const auto& f : *rego_files) {
    if (IsRegoTestFile(f)) continue;
    auto text = ReadFile(f);
    if (!text) return Fail(text.error());
    sources.push_back({f, *text});
  }
  auto policy = rego::Policy::Compile(sources);  // compiled once, shared by the workers
  if (!policy) return Fail(policy.error());
  for (const auto& v : opts.var_files)
    if (std::error_code ec; !fs::is_regular_file(v, ec)) return Fail(Error::NotFound(v + ": no such variable file"));

  std::vector<walk::Entry> files;
  std::vector<walk::Problem> problems;
  std::vector<std::string> notes;
  TG_TRY(FindInputs(paths, opts, files, problems, notes));
  if (opts.strict && !problems.empty()) return Fail(Error::Input(problems.front().Text()));
  if (opts.notes != nullptr) opts.notes->insert(opts.notes->end(), notes.begin(), notes.end());
  std::vector<WorkItem> items = Plan(files);
  std::vector<WorkResult> results(items.size());
  Scanner scanner(**policy, opts);
  unsigned jobs = opts.jobs == 0 ? std::max(1u, std::thread::hardware_concurrency()) : opts.jobs;
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(items.size(), 1)));
  auto parallel = [&](std::size_t n, auto&& work) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) work(i);
    };
    if (jobs <= 1) {
      worker();
      return;
    }
    std::vector<std::thread> pool;
    for (unsigned j = 0; j < jobs; ++j) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  };
  parallel(items.size(), [&](std::size_t i) { scanner.Load(items[i], results[i]); });
  std::vector<std::string> module_notes;
  ModuleExpander(results, module_notes).Run();
  if (opts.notes != nullptr) opts.notes->insert(opts.notes->end(), module_notes.begin(), module_notes.end());
  double t_scan = ThreadCpu();
  const rego::Value scan = KubernetesScanView(results);  // needs every manifest: built between the phases
  double scan_view_seconds = ThreadCpu() - t_scan;
  parallel(results.size(), [&](std::size_t i) { scanner.Evaluate(results[i], scan); });
  std::vector<Finding> findings;
  ScanStats stats;
  stats.jobs = jobs;
  for (auto& r : results) {  // in file order: the first error wins, output is deterministic
    if (r.error) return Fail(*r.error);
    stats.files += r.files;
    stats.load_seconds += r.load;
    stats.policy_seconds += r.policy;
    for (auto& f : r.findings) findings.push_back(std::move(f));
    for (auto& p : r.problems) problems.push_back(std::move(p));
  }
  for (const auto& p : problems) {
    findings.push_back(walk::ProblemFinding(p, "tollgate-iac", opts.parse_error_severity));
    findings.back().gate = "iac";
  }
  stats.documents = stats.files;
  stats.load_seconds += scan_view_seconds;
  stats.wall_seconds = Since(start);
  if (opts.stats) *opts.stats = stats;
  return findings;
}

}  // namespace tollgate::iac
