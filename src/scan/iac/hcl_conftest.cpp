// HCL as conftest's `hcl2` parser gives it to policies (the form of
// tmccombs/hcl2json): attributes by name; a block under its type, then one
// object level per label, ending in an array of the block bodies (repeated
// blocks append); literal values as JSON; any other expression as the text
// "${<source>}", and templates as their text with each interpolation and
// directive written back ("${...}", "%{if ...}", "%{for ...}").
#include <cstdint>
#include <string>
#include <string_view>

#include "scan/iac/hcl_ast.h"
#include "scan/iac/iac.h"

namespace tollgate::iac {
namespace {

using hcl::Expr;
using hcl::ExprKind;

class Converter {
 public:
  Converter(std::string_view source, std::string file) : source_(source), file_(std::move(file)) {}

  Result<Json> Body(const hcl::Body& body) const {
    Json out = Json::object();
    for (const auto& a : body.attributes) out[a.name] = Expression(*a.expr);
    for (const auto& b : body.blocks) TG_TRY(Block(b, out));
    return out;
  }

 private:
  Status Block(const hcl::Block& block, Json& parent) const {
    auto value = Body(block.body);
    if (!value) return Fail(value.error());
    Json* out = &parent;
    std::string key = block.type;
    for (const auto& label : block.labels) {
      Json& inner = (*out)[key];
      if (inner.is_null()) inner = Json::object();
      if (!inner.is_object())
        return Fail(Error::Input(file_ + ":" + std::to_string(block.pos.line) + ": block " + block.type +
                                 " cannot be given as JSON: '" + key + "' is already a value"));
      out = &inner;
      key = label;
    }
    Json& slot = (*out)[key];
    if (slot.is_null()) {
      slot = Json::array({std::move(*value)});
    } else if (slot.is_array()) {
      slot.push_back(std::move(*value));
    } else if (slot.is_object()) {
      // `foo "x" {}` then `foo {}`: hcl2json refuses blocks with and without labels.
      return Fail(Error::Input(file_ + ":" + std::to_string(block.pos.line) + ": blocks '" + block.type +
                               "' with and without labels cannot be given as JSON"));
    } else {
      slot = Json::array({std::move(slot), std::move(*value)});
    }
    return Ok();
  }

  std::string Source(const Expr& e) const {
    const std::size_t from = std::min(e.pos.byte, source_.size());
    return std::string(source_.substr(from, std::min(e.end, source_.size()) - from));
  }
  std::string Wrap(const Expr& e) const { return "${" + Source(e) + "}"; }

  // A string's own "${" and "%{" written back escaped ("$${", "%%{"), so
  // that a policy tells a literal from an interpolation, as hcl2json does.
  static std::string Escaped(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if ((text[i] == '$' || text[i] == '%') && i + 1 < text.size() && text[i + 1] == '{') out += text[i];
      out += text[i];
    }
    return out;
  }

  Json Expression(const Expr& e) const {
    switch (e.kind) {
      case ExprKind::kLiteral: return e.value.is_string() ? Json(Escaped(e.value.get<std::string>())) : e.value;
      case ExprKind::kUnary:
        // -1 and !true are values, as hcl2json gives them; -var.x stays text.
        if (e.kids.size() == 1 && e.kids[0]->kind == ExprKind::kLiteral) {
          const Json& v = e.kids[0]->value;
          if (e.name == "-" && v.is_number_unsigned() &&
              v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX))
            return -static_cast<std::int64_t>(v.get<std::uint64_t>());
          if (e.name == "-" && v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() > INT64_MIN)
            return -v.get<std::int64_t>();
          if (e.name == "-" && v.is_number()) return -v.get<double>();
          if (e.name == "!" && v.is_boolean()) return !v.get<bool>();
        }
        return Wrap(e);
      case ExprKind::kTemplate:
        // "${x}" alone is the expression x, as hclsyntax's TemplateWrapExpr.
        // (A string literal part is text; any other literal was interpolated.)
        if (e.kids.size() == 1 && !(e.kids[0]->kind == ExprKind::kLiteral && e.kids[0]->value.is_string()) &&
            e.kids[0]->kind != ExprKind::kTemplateIf && e.kids[0]->kind != ExprKind::kTemplateFor)
          return Expression(*e.kids[0]);
        return Template(e);
      case ExprKind::kTuple: {
        Json list = Json::array();
        for (const auto& k : e.kids) list.push_back(Expression(*k));
        return list;
      }
      case ExprKind::kObject: {
        Json map = Json::object();
        for (std::size_t i = 0; i + 1 < e.kids.size(); i += 2) map[Key(*e.kids[i])] = Expression(*e.kids[i + 1]);
        return map;
      }
      default: return Wrap(e);
    }
  }

  // An object key: a bare name or a literal as its text, else as in a template.
  std::string Key(const Expr& k) const {
    if (k.kind == ExprKind::kVariable) return Source(k);
    return Part(k);
  }

  std::string Template(const Expr& t) const {
    std::string out;
    for (const auto& part : t.kids) out += Part(*part);
    return out;
  }

  std::string Part(const Expr& e) const {
    switch (e.kind) {
      case ExprKind::kLiteral:
        if (e.value.is_string()) return Escaped(e.value.get<std::string>());
        if (e.value.is_null()) return "null";
        return e.value.dump();
      case ExprKind::kTemplate: return Template(e);
      case ExprKind::kTemplateIf: {
        std::string out = "%{if " + Source(*e.kids[0]) + "}" + (e.kids[1] ? Part(*e.kids[1]) : "");
        const std::string other = e.kids.size() > 2 && e.kids[2] ? Part(*e.kids[2]) : "";
        if (!other.empty()) out += "%{else}" + other;
        return out + "%{endif}";
      }
      case ExprKind::kTemplateFor: {
        std::string out = "%{for ";
        if (!e.key_var.empty()) out += e.key_var + ", ";
        out += e.value_var + " in " + Source(*e.kids[0]) + "}";
        if (e.kids.size() > 1 && e.kids[1]) out += Part(*e.kids[1]);
        return out + "%{endfor}";
      }
      default: return Wrap(e);
    }
  }

  std::string_view source_;
  std::string file_;
};

}  // namespace

Result<Json> HclToConftestJson(const std::string& file, std::string_view text) {
  auto parsed = hcl::Parse(file, text);
  if (!parsed) return Fail(parsed.error());
  return Converter(parsed->text, file).Body(parsed->body);
}

}  // namespace tollgate::iac
