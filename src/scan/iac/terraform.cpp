// Terraform configuration → the document model: a module directory's .tf
// files are evaluated together (variables from defaults and tfvars, locals
// with cycle detection), each file becomes one document.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/file.h"
#include "scan/iac/hcl_ast.h"
#include "scan/iac/iac.h"

namespace tollgate::iac {
namespace {

class Module {
 public:
  // With `bad`, a file that does not parse is left out of the module and its
  // error added there; without, the first such error fails the load.
  Status Load(const std::vector<SourceText>& tf, const std::vector<SourceText>& tfvars, std::vector<Error>* bad,
              const Json* inputs) {
    for (const auto& s : tf) {
      auto f = hcl::Parse(s.file, s.text);
      if (!f) {
        if (bad == nullptr) return Fail(f.error());
        bad->push_back(f.error());
        continue;
      }
      files_.push_back(std::make_unique<hcl::File>(std::move(*f)));
    }
    hcl::Scope empty;
    for (const auto& f : files_) {
      for (const auto& b : f->body.blocks) {
        if (b.type == "variable" && b.labels.size() == 1) {
          for (const auto& a : b.body.attributes)
            if (a.name == "default") vars_[b.labels[0]] = hcl::Evaluate(*a.expr, empty, f->text);
        } else if (b.type == "locals") {
          for (const auto& a : b.body.attributes) locals_[a.name] = Local{a.expr.get(), f.get()};
        }
      }
    }
    // terraform.tfvars, then *.auto.tfvars, then --var-file: later ones win
    for (const auto& s : tfvars) {
      auto parsed = hcl::Parse(s.file, s.text);
      Status ok = parsed ? Status() : Status(Fail(parsed.error()));
      if (parsed && !parsed->body.blocks.empty()) {
        const auto& b = parsed->body.blocks.front();
        ok = Fail(Error::Input(s.file + ":" + std::to_string(b.pos.line) + ":" + std::to_string(b.pos.column) +
                               ": a variable definitions file holds only 'name = value' lines"));
      }
      if (!ok) {
        if (bad == nullptr) return ok;
        bad->push_back(ok.error());
        continue;
      }
      for (const auto& a : parsed->body.attributes) vars_[a.name] = hcl::Evaluate(*a.expr, empty, parsed->text);
    }
    // a module call's arguments, evaluated in the caller, override the defaults
    if (inputs != nullptr && inputs->is_object())
      for (const auto& [name, value] : inputs->items()) vars_[name] = value;
    scope_.lookup = [this](const std::string& root, const std::string& attr) -> const Json* { return Lookup(root, attr); };
    return Ok();
  }

  std::vector<Json> Documents() const {
    std::vector<Json> out;
    for (const auto& f : files_) {
      Json resources = Json::array();
      Json blocks = Json::array();
      for (const auto& b : f->body.blocks) {
        Json body = hcl::BodyToJson(b.body, scope_, f->text);
        if ((b.type == "resource" || b.type == "data") && b.labels.size() == 2) {
          std::string addr = (b.type == "data" ? "data." : "") + b.labels[0] + "." + b.labels[1];
          resources.push_back(Json{{"address", addr},
                                   {"type", b.labels[0]},
                                   {"name", b.labels[1]},
                                   {"mode", b.type == "data" ? "data" : "managed"},
                                   {"line", b.pos.line},
                                   {"values", body}});
        }
        blocks.push_back(Json{{"type", b.type}, {"labels", b.labels}, {"line", b.pos.line}, {"body", std::move(body)}});
      }
      out.push_back(Json{{"format", "terraform"}, {"file", f->name}, {"resources", resources}, {"blocks", blocks}});
    }
    return out;
  }

 private:
  struct Local {
    const hcl::Expr* expr = nullptr;
    const hcl::File* file = nullptr;
  };

  const Json* Lookup(const std::string& root, const std::string& attr) const {
    if (root == "var") {
      auto it = vars_.find(attr);
      return it == vars_.end() ? nullptr : &it->second;
    }
    if (root != "local") return nullptr;
    if (auto it = local_values_.find(attr); it != local_values_.end()) return &it->second;
    auto it = locals_.find(attr);
    if (it == locals_.end()) return nullptr;
    if (!in_progress_.insert(attr).second) return nullptr;  // a cycle: unknown, as Terraform rejects it
    Json v = hcl::Evaluate(*it->second.expr, scope_, it->second.file->text);
    in_progress_.erase(attr);
    return &(local_values_[attr] = std::move(v));
  }

  std::vector<std::unique_ptr<hcl::File>> files_;
  std::map<std::string, Json> vars_;
  std::map<std::string, Local> locals_;
  mutable std::map<std::string, Json> local_values_;
  mutable std::set<std::string> in_progress_;
  hcl::Scope scope_;
};

}  // namespace

Result<std::vector<Json>> LoadTerraformModule(const std::vector<SourceText>& tf, const std::vector<SourceText>& tfvars,
                                              std::vector<Error>* bad, const Json* inputs) {
  Module m;
  TG_TRY(m.Load(tf, tfvars, bad, inputs));
  return m.Documents();
}

Result<Json> LoadTerraformHcl(const std::string& file, std::string_view text) {
  std::vector<Json> docs;
  IAC_ASSIGN(docs, LoadTerraformModule({SourceText{file, std::string(text)}}, {}));
  return docs.at(0);
}

namespace {

namespace fs = std::filesystem;

// "module.a.aws_s3_bucket.b[\"k\"]" → module names ["a"] and "aws_s3_bucket.b"
// (instance keys dropped); false when the address does not parse.
bool SplitAddress(const std::string& address, std::vector<std::string>* modules, std::string* resource) {
  std::string plain;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < address.size(); ++i) {
    char c = address[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"' && depth > 0) quoted = true;
    else if (c == '[') ++depth;
    else if (c == ']') --depth;
    else if (depth == 0) plain += c;
  }
  std::vector<std::string> parts;
  std::stringstream ss(plain);
  for (std::string seg; std::getline(ss, seg, '.');) parts.push_back(seg);
  std::size_t i = 0;
  while (i + 1 < parts.size() && parts[i] == "module") {
    modules->push_back(parts[i + 1]);
    i += 2;
  }
  std::size_t rest = parts.size() - i;
  if (rest == 2 || (rest == 3 && parts[i] == "data")) {
    resource->clear();
    for (std::size_t k = i; k < parts.size(); ++k) *resource += (k > i ? "." : "") + parts[k];
    return true;
  }
  return false;
}

struct SourceLine {
  std::string file;
  std::uint32_t line = 0;
};

// The resources a directory's .tf files declare, by address; empty when it
// has none or they do not parse (they are reported when scanned themselves).
std::map<std::string, SourceLine> DeclaredResources(const fs::path& dir) {
  std::map<std::string, SourceLine> out;
  std::error_code ec;
  std::vector<SourceText> tf;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || it->path().extension() != ".tf") continue;  // links are never followed
    // Bounded, and never blocking on a FIFO; what cannot be read is
    // reported when the directory is scanned itself.
    auto text = ReadFileBounded(it->path().string(), 8u << 20);
    if (!text) return out;
    tf.push_back({it->path().lexically_normal().generic_string(), std::move(*text)});
  }
  std::sort(tf.begin(), tf.end(), [](const SourceText& a, const SourceText& b) { return a.file < b.file; });
  if (tf.empty()) return out;
  auto docs = LoadTerraformModule(tf, {});
  if (!docs) return out;
  for (const auto& d : *docs)
    for (const auto& r : d["resources"]) out[r["address"].get<std::string>()] = SourceLine{d["file"].get<std::string>(), r["line"].get<std::uint32_t>()};
  return out;
}

}  // namespace

void MapPlanToSource(Json& plan_doc, const Json& configuration, const std::string& plan_file) {
  if (!configuration.is_object() || !configuration.contains("root_module")) return;
  fs::path base = fs::path(plan_file).parent_path();
  std::map<std::string, std::map<std::string, SourceLine>> cache;
  for (auto& r : plan_doc["resources"]) {
    std::vector<std::string> modules;
    std::string resource;
    if (!SplitAddress(r.value("address", ""), &modules, &resource)) continue;
    fs::path dir = base;
    const Json* mod = &configuration["root_module"];
    bool local = true;
    for (const auto& m : modules) {
      const Json* call = mod->contains("module_calls") && (*mod)["module_calls"].contains(m) ? &(*mod)["module_calls"][m] : nullptr;
      std::string src = call && call->contains("source") && (*call)["source"].is_string() ? (*call)["source"].get<std::string>() : "";
      if (!call || !(src.rfind("./", 0) == 0 || src.rfind("../", 0) == 0) || !call->contains("module")) {
        local = false;  // a registry or remote module: its source is not here
        break;
      }
      dir /= src;
      mod = &(*call)["module"];
    }
    if (!local) continue;
    std::string key = dir.lexically_normal().generic_string();
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, DeclaredResources(dir.empty() ? fs::path(".") : dir)).first;
    auto found = it->second.find(resource);
    if (found == it->second.end()) continue;
    r["source_file"] = found->second.file;
    r["source_line"] = found->second.line;
  }
}

}  // namespace tollgate::iac
