// GraphQL validation: a schema document on its own (type references,
// interfaces, unions, input/output positions, directive use) and a query
// document against a schema (the executable-document rules of the spec's
// Validation section that concern names, arguments, fragments and variables).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rego/graphql.h"

namespace tollgate::rego::graphql {

namespace {

struct Invalid {
  Error error;
};

const Array& ListOf(const Value& node, const char* key) {
  static const Array kEmpty;
  const Value* v = node.is_object() ? node.Get(key) : nullptr;
  return v && v->is_array() ? v->items() : kEmpty;
}
std::string StrOf(const Value& node, const char* key) {
  const Value* v = node.is_object() ? node.Get(key) : nullptr;
  return v && v->is_string() ? v->as_string() : std::string();
}
const Value& ValOf(const Value& node, const char* key) {
  static const Value kUndefined;
  const Value* v = node.is_object() ? node.Get(key) : nullptr;
  return v ? *v : kUndefined;
}

[[noreturn]] void Reject(const Value& at, std::string message) {
  Error e{std::move(message), 0, 0};
  const Array& pos = ListOf(at, "_pos");
  if (pos.size() == 2 && pos[0].is_int() && pos[1].is_int()) {
    e.line = static_cast<int>(pos[0].as_int());
    e.column = static_cast<int>(pos[1].as_int());
  }
  throw Invalid{std::move(e)};
}

std::string TypeText(const Value& t) {
  const Value& elem = ValOf(t, "Elem");
  std::string s = elem.is_object() ? "[" + TypeText(elem) + "]" : StrOf(t, "NamedType");
  const Value& nn = ValOf(t, "NonNull");
  if (nn.is_bool() && nn.as_bool()) s += "!";
  return s;
}
std::string NamedOf(const Value& t) {
  const Value& elem = ValOf(t, "Elem");
  return elem.is_object() ? NamedOf(elem) : StrOf(t, "NamedType");
}
bool IsNonNull(const Value& t) {
  const Value& nn = ValOf(t, "NonNull");
  return nn.is_bool() && nn.as_bool();
}

struct TypeInfo {
  std::string kind;
  Value node;                 // the first definition (for positions)
  std::vector<Value> fields;  // field / input value definitions
  std::vector<std::string> interfaces;
  std::vector<std::string> members;
  std::vector<std::string> values;
  std::vector<std::pair<Value, const char*>> directives;  // directive use and its location
};

struct DirectiveInfo {
  std::vector<Value> args;
  std::set<std::string> locations;
  bool repeatable = false;
};

class Schema {
 public:
  void Build(const Value& doc) {
    for (const char* s : {"Int", "Float", "String", "Boolean", "ID"}) types_[s].kind = "SCALAR";
    AddBuiltinDirectives();
    for (const auto& d : ListOf(doc, "Definitions")) {
      std::string name = StrOf(d, "Name");
      if (types_.count(name)) Reject(d, "Cannot redeclare type " + name + ".");
      TypeInfo& t = types_[name];
      t.kind = StrOf(d, "Kind");
      t.node = d;
      Merge(t, d);
    }
    for (const auto& d : ListOf(doc, "Directives")) {
      std::string name = StrOf(d, "Name");
      if (user_directives_.count(name)) Reject(d, "Cannot redeclare directive " + name + ".");
      user_directives_.insert(name);
      DirectiveInfo& info = directives_[name];
      info = DirectiveInfo{};
      for (const auto& a : ListOf(d, "Arguments")) info.args.push_back(a);
      for (const auto& l : ListOf(d, "Locations"))
        if (l.is_string()) info.locations.insert(l.as_string());
      const Value& rep = ValOf(d, "IsRepeatable");
      info.repeatable = rep.is_bool() && rep.as_bool();
      directive_defs_.push_back(d);
    }
    for (const auto& d : ListOf(doc, "Extensions")) {
      std::string name = StrOf(d, "Name");
      auto it = types_.find(name);
      if (it == types_.end()) {
        // Extending an undeclared type declares it (federated schemas do this).
        TypeInfo& t = types_[name];
        t.kind = StrOf(d, "Kind");
        t.node = d;
        Merge(t, d);
        continue;
      }
      if (it->second.kind != StrOf(d, "Kind"))
        Reject(d, "Cannot extend type " + name + " because the base type is a " + it->second.kind + ", not " + StrOf(d, "Kind") + ".");
      Merge(it->second, d);
    }
    const Array& schemas = ListOf(doc, "Schema");
    if (schemas.size() > 1) Reject(schemas[1], "Cannot have multiple schema entry points, consider schema extensions instead.");
    std::vector<Value> schema_nodes(schemas.begin(), schemas.end());
    for (const auto& e : ListOf(doc, "SchemaExtension")) schema_nodes.push_back(e);
    for (const auto& s : schema_nodes) {
      for (const auto& d : ListOf(s, "Directives")) schema_directives_.push_back(d);
      for (const auto& op : ListOf(s, "OperationTypes")) {
        std::string& slot = roots_[StrOf(op, "Operation")];
        if (!slot.empty()) Reject(s, "Cannot redeclare " + StrOf(op, "Operation") + " operation type.");
        slot = StrOf(op, "Type");
        root_nodes_[StrOf(op, "Operation")] = s;
      }
    }
    if (schemas.empty()) {
      for (const auto& [op, name] : std::map<std::string, std::string>{{"query", "Query"}, {"mutation", "Mutation"}, {"subscription", "Subscription"}})
        if (roots_[op].empty() && types_.count(name)) roots_[op] = name;
    }
  }

  void Validate() const {
    for (const auto& [op, name] : roots_) {
      if (name.empty()) continue;
      auto it = types_.find(name);
      const Value& at = root_nodes_.count(op) ? root_nodes_.at(op) : Value();
      if (it == types_.end()) Reject(at, op + " root type \"" + name + "\" is not defined.");
      if (it->second.kind != "OBJECT") Reject(at, op + " root type \"" + name + "\" must be an OBJECT.");
    }
    for (const auto& d : schema_directives_) CheckDirective(d, "SCHEMA");
    for (const auto& [name, t] : types_) ValidateType(name, t);
    for (const auto& d : directive_defs_)
      for (const auto& a : ListOf(d, "Arguments")) CheckInputValue(a, "@" + StrOf(d, "Name"), "ARGUMENT_DEFINITION");
  }

  const TypeInfo* Find(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : &it->second;
  }
  const DirectiveInfo* FindDirective(const std::string& name) const {
    auto it = directives_.find(name);
    return it == directives_.end() ? nullptr : &it->second;
  }
  std::string Root(const std::string& op) const {
    auto it = roots_.find(op);
    return it == roots_.end() ? "" : it->second;
  }
  static const Value* FieldOf(const TypeInfo& t, const std::string& name) {
    for (const auto& f : t.fields)
      if (StrOf(f, "Name") == name) return &f;
    return nullptr;
  }
  static bool IsInputKind(const std::string& k) { return k == "SCALAR" || k == "ENUM" || k == "INPUT_OBJECT"; }
  static bool IsCompositeKind(const std::string& k) { return k == "OBJECT" || k == "INTERFACE" || k == "UNION"; }

  void CheckDirective(const Value& use, const char* location) const {
    std::string name = StrOf(use, "Name");
    const DirectiveInfo* d = FindDirective(name);
    if (!d) Reject(use, "Undefined directive " + name + ".");
    if (!d->locations.count(location)) Reject(use, "Directive " + name + " is not applicable on " + location + ".");
  }

 private:
  static void Merge(TypeInfo& t, const Value& d) {
    for (const auto& f : ListOf(d, "Fields")) t.fields.push_back(f);
    for (const auto& i : ListOf(d, "Interfaces"))
      if (i.is_string()) t.interfaces.push_back(i.as_string());
    for (const auto& m : ListOf(d, "Types"))
      if (m.is_string()) t.members.push_back(m.as_string());
    for (const auto& v : ListOf(d, "EnumValues")) {
      t.values.push_back(StrOf(v, "Name"));
      for (const auto& dir : ListOf(v, "Directives")) t.directives.emplace_back(dir, "ENUM_VALUE");
    }
    const char* loc = t.kind == "SCALAR" ? "SCALAR" : t.kind == "OBJECT" ? "OBJECT" : t.kind == "INTERFACE" ? "INTERFACE"
                    : t.kind == "UNION" ? "UNION" : t.kind == "ENUM" ? "ENUM" : "INPUT_OBJECT";
    for (const auto& dir : ListOf(d, "Directives")) t.directives.emplace_back(dir, loc);
  }

  void AddBuiltinDirectives() {
    auto arg = [](const char* name, const char* type, bool non_null) {
      ObjectItems ty{{Value::String("NamedType"), Value::String(type)}, {Value::String("NonNull"), Value::Bool(non_null)}};
      return Value::MakeObject({{Value::String("Name"), Value::String(name)}, {Value::String("Type"), Value::MakeObject(std::move(ty))}});
    };
    directives_["include"] = DirectiveInfo{{arg("if", "Boolean", true)}, {"FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"}, false};
    directives_["skip"] = DirectiveInfo{{arg("if", "Boolean", true)}, {"FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"}, false};
    directives_["deprecated"] = DirectiveInfo{
        {arg("reason", "String", false)}, {"FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION", "ENUM_VALUE"}, false};
    directives_["specifiedBy"] = DirectiveInfo{{arg("url", "String", true)}, {"SCALAR"}, false};
  }

  void CheckTypeRef(const Value& at, const Value& type, bool input) const {
    std::string named = NamedOf(type);
    const TypeInfo* t = Find(named);
    if (!t) Reject(at, "Undefined type " + named + ".");
    if (input && !IsInputKind(t->kind)) Reject(at, "The type of " + StrOf(at, "Name") + " must be an input type, not " + t->kind + ".");
    if (!input && t->kind == "INPUT_OBJECT") Reject(at, "The type of " + StrOf(at, "Name") + " must be an output type.");
  }
  void CheckInputValue(const Value& v, const std::string& owner, const char* location) const {
    (void)owner;
    CheckTypeRef(v, ValOf(v, "Type"), true);
    for (const auto& d : ListOf(v, "Directives")) CheckDirective(d, location);
  }

  void ValidateType(const std::string& name, const TypeInfo& t) const {
    for (const auto& [use, loc] : t.directives) CheckDirective(use, loc);
    if (t.kind == "OBJECT" || t.kind == "INTERFACE") {
      if (t.fields.empty()) Reject(t.node, t.kind + " " + name + ": must define one or more fields.");
      std::set<std::string> seen;
      for (const auto& f : t.fields) {
        std::string fname = StrOf(f, "Name");
        if (!seen.insert(fname).second) Reject(f, "Field " + name + "." + fname + " can only be defined once.");
        if (fname.rfind("__", 0) == 0) Reject(f, "Name \"" + fname + "\" must not begin with \"__\", which is reserved by GraphQL introspection.");
        CheckTypeRef(f, ValOf(f, "Type"), false);
        for (const auto& a : ListOf(f, "Arguments")) CheckInputValue(a, fname, "ARGUMENT_DEFINITION");
        for (const auto& d : ListOf(f, "Directives")) CheckDirective(d, "FIELD_DEFINITION");
      }
      for (const auto& iname : t.interfaces) {
        const TypeInfo* iface = Find(iname);
        if (!iface) Reject(t.node, "Undefined type " + iname + ".");
        if (iface->kind != "INTERFACE") Reject(t.node, name + " is a non interface type " + iname + ".");
        for (const auto& f : iface->fields)
          if (!FieldOf(t, StrOf(f, "Name"))) Reject(t.node, "For " + name + " to implement " + iname + " it must have a field called " + StrOf(f, "Name") + ".");
        for (const auto& transitive : iface->interfaces) {
          bool listed = false;
          for (const auto& i : t.interfaces) listed = listed || i == transitive;
          if (!listed) Reject(t.node, name + " must implement " + transitive + " because it is implemented by " + iname + ".");
        }
      }
    } else if (t.kind == "UNION") {
      if (t.members.empty()) Reject(t.node, "UNION " + name + ": must define one or more unique member types.");
      for (const auto& m : t.members) {
        const TypeInfo* mt = Find(m);
        if (!mt) Reject(t.node, "Undefined type " + m + ".");
        if (mt->kind != "OBJECT") Reject(t.node, name + " can only be an OBJECT type, not " + mt->kind + ".");
      }
    } else if (t.kind == "ENUM") {
      if (t.values.empty()) Reject(t.node, "ENUM " + name + ": must define one or more unique enum values.");
    } else if (t.kind == "INPUT_OBJECT") {
      if (t.fields.empty()) Reject(t.node, "INPUT_OBJECT " + name + ": must define one or more input fields.");
      for (const auto& f : t.fields) CheckInputValue(f, name, "INPUT_FIELD_DEFINITION");
    }
  }

  std::map<std::string, TypeInfo> types_;
  std::map<std::string, DirectiveInfo> directives_;
  std::set<std::string> user_directives_;
  std::vector<Value> directive_defs_;
  std::vector<Value> schema_directives_;
  std::map<std::string, std::string> roots_;
  std::map<std::string, Value> root_nodes_;
};

// Validates one query document against a built schema.
class QueryValidator {
 public:
  QueryValidator(const Schema& schema, const Value& doc) : schema_(schema), doc_(doc) {
    for (const auto& f : ListOf(doc, "Fragments")) {
      std::string name = StrOf(f, "Name");
      if (fragments_.count(name)) Reject(f, "There can be only one fragment named \"" + name + "\".");
      fragments_[name] = &f;
    }
  }

  void Validate() {
    const Array& ops = ListOf(doc_, "Operations");
    std::set<std::string> names;
    for (const auto& op : ops) {
      std::string name = StrOf(op, "Name");
      if (name.empty() && ops.size() > 1) Reject(op, "This anonymous operation must be the only defined operation.");
      if (!name.empty() && !names.insert(name).second) Reject(op, "There can be only one operation named \"" + name + "\".");
      ValidateOperation(op);
    }
    for (const auto& [name, f] : fragments_) {
      if (!used_fragments_.count(name)) Reject(*f, "Fragment \"" + name + "\" is never used.");
    }
  }

 private:
  void ValidateOperation(const Value& op) {
    std::string kind = StrOf(op, "Operation");
    std::string root = schema_.Root(kind);
    if (root.empty()) Reject(op, "Schema does not support operation type \"" + kind + "\"");
    std::map<std::string, const Value*> vars;
    for (const auto& v : ListOf(op, "VariableDefinitions")) {
      std::string name = StrOf(v, "Variable");
      if (vars.count(name)) Reject(v, "There can be only one variable named \"$" + name + "\".");
      vars[name] = &v;
      std::string named = NamedOf(ValOf(v, "Type"));
      const TypeInfo* t = schema_.Find(named);
      if (!t) Reject(v, "Unknown type \"" + named + "\".");
      if (!Schema::IsInputKind(t->kind)) Reject(v, "Variable \"$" + name + "\" cannot be non-input type \"" + TypeText(ValOf(v, "Type")) + "\".");
      for (const auto& d : ListOf(v, "Directives")) Directive(d, "VARIABLE_DEFINITION");
    }
    for (const auto& d : ListOf(op, "Directives"))
      Directive(d, kind == "query" ? "QUERY" : kind == "mutation" ? "MUTATION" : "SUBSCRIPTION");
    used_vars_.clear();
    visiting_.clear();
    visited_in_op_.clear();
    SelectionSet(ListOf(op, "SelectionSet"), *schema_.Find(root), root);
    for (const auto& [name, at] : used_vars_)
      if (!vars.count(name)) Reject(*at, "Variable \"$" + name + "\" is not defined.");
    for (const auto& [name, v] : vars)
      if (!used_vars_.count(name)) Reject(*v, "Variable \"$" + name + "\" is never used.");
  }

  void SelectionSet(const Array& sels, const TypeInfo& parent, const std::string& parent_name) {
    // An AST given as an object is not bounded by the parser's depth limit.
    struct Depth {
      int* d;
      ~Depth() { --*d; }
    } depth{&depth_};
    if (++depth_ > 512) Reject(Value(), "selection sets nested too deeply");
    for (const auto& s : sels) {
      if (s.Get("TypeCondition") || (!s.Get("Alias") && !s.Get("Name"))) {
        // Inline fragment.
        const TypeInfo* t = &parent;
        std::string tname = parent_name;
        if (const Value* tc = s.Get("TypeCondition"); tc && tc->is_string() && !tc->as_string().empty()) {
          tname = tc->as_string();
          t = schema_.Find(tname);
          if (!t) Reject(s, "Unknown type \"" + tname + "\".");
          if (!Schema::IsCompositeKind(t->kind)) Reject(s, "Fragment cannot condition on non composite type \"" + tname + "\".");
        }
        for (const auto& d : ListOf(s, "Directives")) Directive(d, "INLINE_FRAGMENT");
        SelectionSet(ListOf(s, "SelectionSet"), *t, tname);
      } else if (!s.Get("Alias")) {
        Spread(s);
      } else {
        Field(s, parent, parent_name);
      }
    }
  }

  void Spread(const Value& s) {
    std::string name = StrOf(s, "Name");
    auto it = fragments_.find(name);
    if (it == fragments_.end()) Reject(s, "Unknown fragment \"" + name + "\".");
    for (const auto& d : ListOf(s, "Directives")) Directive(d, "FRAGMENT_SPREAD");
    used_fragments_.insert(name);
    if (visiting_.count(name)) Reject(s, "Cannot spread fragment \"" + name + "\" within itself.");
    if (visited_in_op_.count(name)) return;
    visited_in_op_.insert(name);
    const Value& f = *it->second;
    std::string tname = StrOf(f, "TypeCondition");
    const TypeInfo* t = schema_.Find(tname);
    if (!t) Reject(f, "Unknown type \"" + tname + "\".");
    if (!Schema::IsCompositeKind(t->kind)) Reject(f, "Fragment \"" + name + "\" cannot condition on non composite type \"" + tname + "\".");
    for (const auto& d : ListOf(f, "Directives")) Directive(d, "FRAGMENT_DEFINITION");
    visiting_.insert(name);
    SelectionSet(ListOf(f, "SelectionSet"), *t, tname);
    visiting_.erase(name);
  }

  void Field(const Value& s, const TypeInfo& parent, const std::string& parent_name) {
    std::string name = StrOf(s, "Name");
    for (const auto& d : ListOf(s, "Directives")) Directive(d, "FIELD");
    if (name == "__typename" || name == "__schema" || name == "__type") {
      for (const auto& a : ListOf(s, "Arguments")) Values(ValOf(a, "Value"), a);
      return;
    }
    const Value* def = parent.kind == "UNION" ? nullptr : Schema::FieldOf(parent, name);
    if (!def) Reject(s, "Cannot query field \"" + name + "\" on type \"" + parent_name + "\".");
    Arguments(s, ListOf(*def, "Arguments"), "Field \"" + name + "\"", "field \"" + parent_name + "." + name + "\"");
    const Value& type = ValOf(*def, "Type");
    std::string tname = NamedOf(type);
    const TypeInfo* t = schema_.Find(tname);
    if (!t) Reject(s, "Unknown type \"" + tname + "\".");
    const Array& sub = ListOf(s, "SelectionSet");
    if (Schema::IsCompositeKind(t->kind)) {
      if (sub.empty())
        Reject(s, "Field \"" + name + "\" of type \"" + TypeText(type) + "\" must have a selection of subfields. Did you mean \"" + name + " { ... }\"?");
      SelectionSet(sub, *t, tname);
    } else if (!sub.empty()) {
      Reject(s, "Field \"" + name + "\" must not have a selection since type \"" + TypeText(type) + "\" has no subfields.");
    }
  }

  void Directive(const Value& d, const char* location) {
    std::string name = StrOf(d, "Name");
    const DirectiveInfo* info = schema_.FindDirective(name);
    if (!info) Reject(d, "Unknown directive \"@" + name + "\".");
    if (!info->locations.count(location)) Reject(d, "Directive \"@" + name + "\" may not be used on " + location + ".");
    Arguments(d, info->args, "Directive \"@" + name + "\"", "directive \"@" + name + "\"");
  }

  // Arguments given at `at` against their definitions.
  void Arguments(const Value& at, const std::vector<Value>& defs, const std::string& what, const std::string& where) {
    std::set<std::string> given;
    for (const auto& a : ListOf(at, "Arguments")) {
      std::string name = StrOf(a, "Name");
      if (!given.insert(name).second) Reject(a, "There can be only one argument named \"" + name + "\".");
      const Value* def = nullptr;
      for (const auto& d : defs)
        if (StrOf(d, "Name") == name) def = &d;
      if (!def) Reject(a, "Unknown argument \"" + name + "\" on " + where + ".");
      Values(ValOf(a, "Value"), a);
    }
    for (const auto& d : defs) {
      const Value& type = ValOf(d, "Type");
      if (!IsNonNull(type) || ValOf(d, "DefaultValue").defined() || given.count(StrOf(d, "Name"))) continue;
      Reject(at, what + " argument \"" + StrOf(d, "Name") + "\" of type \"" + TypeText(type) + "\" is required, but it was not provided");
    }
  }
  // Records the variables a value uses.
  void Values(const Value& v, const Value& at) {
    const Value& kind = ValOf(v, "Kind");
    if (kind.is_int() && kind.as_int() == 0) used_vars_.emplace(StrOf(v, "Raw"), &at);
    for (const auto& c : ListOf(v, "Children")) Values(ValOf(c, "Value"), at);
  }

  const Schema& schema_;
  const Value& doc_;
  std::map<std::string, const Value*> fragments_;
  std::set<std::string> used_fragments_;
  std::set<std::string> visiting_;
  std::set<std::string> visited_in_op_;
  std::map<std::string, const Value*> used_vars_;
  int depth_ = 0;
};

template <class F>
bool Guard(Error* err, F&& fn) {
  try {
    fn();
    return true;
  } catch (const Invalid& e) {
    *err = e.error;
    return false;
  }
}

}  // namespace

bool ValidateSchema(const Value& schema_ast, Error* err) {
  return Guard(err, [&] {
    Schema s;
    s.Build(schema_ast);
    s.Validate();
  });
}

bool ValidateQuery(const Value& query_ast, const Value& schema_ast, Error* err) {
  return Guard(err, [&] {
    Schema s;
    s.Build(schema_ast);
    s.Validate();
    QueryValidator q(s, query_ast);
    q.Validate();
  });
}

}  // namespace tollgate::rego::graphql
