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

#include "rego/check.h"
#include "rego/rego.h"
#include "rego/value.h"
#include "scan/iac/embedded_policies.h"
#include "scan/iac/iac.h"

namespace tollgate::iac {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 8u << 20;

bool Candidate(const fs::path& p) {
  std::string name = p.filename().string();
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto ends = [&](const char* s) { return lower.size() >= std::strlen(s) && lower.compare(lower.size() - std::strlen(s), std::string::npos, s) == 0; };
  return ends(".tf") || ends(".json") || ends(".yaml") || ends(".yml") || lower == "dockerfile" || lower.rfind("dockerfile.", 0) == 0 ||
         ends(".dockerfile") || lower == "containerfile";
}

Result<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Fail(Error::NotFound(path + ": " + ec.message()));
  if (size > kMaxFileBytes) return Fail(Error::Input(path + ": larger than 8 MiB"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(path + ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One deny result → a finding. The result is an object {msg, id, severity,
// title, pci, nist, cis, remediation, line, address} or a plain message string.
Finding ToFinding(const Json& r, const std::string& pkg, const std::string& file) {
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
    auto sev = ParseSeverity(Str(r, "severity"));
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
  f.fingerprint = MakeFingerprint(f.rule_id, {file, Str(r, "address"), f.message});
  return f;
}

}  // namespace

Result<std::vector<std::string>> FindFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& root : paths) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
      out.push_back(root);
      continue;
    }
    if (!fs::is_directory(root, ec)) return Fail(Error::NotFound(root + ": no such file or directory"));
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::string name = p.filename().string();
      if (it->is_directory()) {
        if ((!name.empty() && name[0] == '.') || name == "build" || name == "node_modules") it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && Candidate(p)) out.push_back(p.generic_string());
    }
    if (ec) return Fail(Error::Io(root + ": " + ec.message()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
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
  std::vector<std::string> files;
  bool terraform = false;
};

// The loaded documents of a work item (phase 1) and its findings (phase 2).
struct WorkResult {
  std::vector<Json> docs;
  std::vector<rego::Value> inputs;  // the documents as Rego values (converted once)
  std::vector<std::string> texts;
  rego::Value module;  // input.module of a Terraform HCL module (shared by its documents)
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

  // Phase 1: read and parse.
  void Load(const WorkItem& item, WorkResult& out) const {
    double t0 = ThreadCpu();
    if (item.terraform) {
      std::vector<SourceText> tf, vars;
      for (const auto& f : item.files) {
        auto text = ReadFile(f);
        if (!text) return Failed(out, text.error());
        tf.push_back({f, *text});
      }
      std::string dir = fs::path(item.files.front()).parent_path().generic_string();
      for (const auto& v : TfvarsFiles(dir)) {
        auto text = ReadFile(v);
        if (!text) return Failed(out, text.error());
        vars.push_back({v, *text});
      }
      auto loaded = LoadTerraformModule(tf, vars);
      if (!loaded) return Failed(out, loaded.error());
      out.docs = std::move(*loaded);
      for (auto& t : tf) out.texts.push_back(std::move(t.text));
      for (const auto& d : out.docs) out.inputs.push_back(rego::FromJson(d));
      out.module = TerraformModuleView(dir, out.inputs);
    } else {
      auto text = ReadFile(item.files.front());
      if (!text) return Failed(out, text.error());
      auto model = LoadFile(item.files.front(), *text);
      if (!model) return Failed(out, model.error());
      if (model->is_null()) return;
      out.docs.push_back(std::move(*model));
      out.inputs.push_back(rego::FromJson(out.docs.back()));
      out.texts.push_back(std::move(*text));
    }
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
        for (const auto& r : results) out.findings.push_back(ToFinding(r, pkg, file));
      }
      Relocate(out.docs[i], out.findings, first);
      ApplySuppressions(out.texts[i], file, out.findings, first);
    }
    out.docs.clear();
    out.inputs.clear();
    out.texts.clear();
    out.module = rego::Value();
    out.policy += ThreadCpu() - t1;
  }

 private:
  static void Failed(WorkResult& out, Error e) { out.error = std::move(e); }

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
std::vector<WorkItem> Plan(const std::vector<std::string>& files) {
  std::vector<WorkItem> items;
  std::map<std::string, std::size_t> tf_dirs;
  for (const auto& f : files) {
    if (DetectFormat(f, "") == Format::kTerraform) {
      std::string dir = fs::path(f).parent_path().generic_string();
      auto [it, fresh] = tf_dirs.emplace(dir, items.size());
      if (fresh) items.push_back(WorkItem{{}, true});
      items[it->second].files.push_back(f);
    } else {
      items.push_back(WorkItem{{f}, false});
    }
  }
  return items;
}

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

  auto files = FindFiles(paths);
  if (!files) return Fail(files.error());
  std::vector<WorkItem> items = Plan(*files);
  std::vector<WorkResult> results(items.size());
  Scanner scanner(**policy, opts);
  unsigned jobs = opts.jobs == 0 ? std::max(1u, std::thread::hardware_concurrency()) : opts.jobs;
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(items.size(), 1)));
  auto parallel = [&](auto&& work) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < items.size();) work(i);
    };
    if (jobs <= 1) {
      worker();
      return;
    }
    std::vector<std::thread> pool;
    for (unsigned j = 0; j < jobs; ++j) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  };
  parallel([&](std::size_t i) { scanner.Load(items[i], results[i]); });
  double t_scan = ThreadCpu();
  const rego::Value scan = KubernetesScanView(results);  // needs every manifest: built between the phases
  double scan_view_seconds = ThreadCpu() - t_scan;
  parallel([&](std::size_t i) { scanner.Evaluate(results[i], scan); });
  std::vector<Finding> findings;
  ScanStats stats;
  stats.jobs = jobs;
  for (auto& r : results) {  // in file order: the first error wins, output is deterministic
    if (r.error) return Fail(*r.error);
    stats.files += r.files;
    stats.load_seconds += r.load;
    stats.policy_seconds += r.policy;
    for (auto& f : r.findings) findings.push_back(std::move(f));
  }
  stats.documents = stats.files;
  stats.load_seconds += scan_view_seconds;
  stats.wall_seconds = Since(start);
  if (opts.stats) *opts.stats = stats;
  return findings;
}

}  // namespace tollgate::iac
