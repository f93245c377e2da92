// Terraform configuration → the document model: a module directory's .tf
// files are evaluated together (variables from defaults and tfvars, locals
// with cycle detection), each file becomes one document.
#include <set>

#include "scan/iac/hcl_ast.h"
#include "scan/iac/iac.h"

namespace tollgate::iac {
namespace {

class Module {
 public:
  Status Load(const std::vector<SourceText>& tf, const std::vector<SourceText>& tfvars) {
    for (const auto& s : tf) {
      hcl::File f;
      IAC_ASSIGN(f, hcl::Parse(s.file, s.text));
      files_.push_back(std::make_unique<hcl::File>(std::move(f)));
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
      hcl::File f;
      IAC_ASSIGN(f, hcl::Parse(s.file, s.text));
      if (!f.body.blocks.empty()) {
        const auto& b = f.body.blocks.front();
        return Fail(Error::Input(s.file + ":" + std::to_string(b.pos.line) + ":" + std::to_string(b.pos.column) +
                                 ": a variable definitions file holds only 'name = value' lines"));
      }
      for (const auto& a : f.body.attributes) vars_[a.name] = hcl::Evaluate(*a.expr, empty, f.text);
    }
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

Result<std::vector<Json>> LoadTerraformModule(const std::vector<SourceText>& tf, const std::vector<SourceText>& tfvars) {
  Module m;
  TG_TRY(m.Load(tf, tfvars));
  return m.Documents();
}

Result<Json> LoadTerraformHcl(const std::string& file, std::string_view text) {
  std::vector<Json> docs;
  IAC_ASSIGN(docs, LoadTerraformModule({SourceText{file, std::string(text)}}, {}));
  return docs.at(0);
}

}  // namespace tollgate::iac
