// conftest's own built-ins (its builtins/parse_config.go), for the policies
// and unit tests written for conftest: parse_config(parser, text),
// parse_config_file(path) and parse_combined_config_files(paths). Paths are
// relative to the folder of the module that calls them, as conftest reads
// them. The reading is the caller's (EvalOptions::config_reader): the rego
// module parses no configuration formats of its own.
#include <filesystem>
#include <string>
#include <vector>

#include "rego/check.h"
#include "rego/internal.h"

namespace tollgate::rego {

namespace {

using Args = std::vector<Value>;

// Without a reader the call is an error that stops the evaluation: an
// undefined result would let a deny rule that parses configuration pass.
const auto& Reader(std::string_view fn, BuiltinContext& ctx) {
  if (!ctx.config_reader || !*ctx.config_reader)
    throw EvalError{"eval_builtin_error",
                    std::string(fn) + ": conftest's built-in is available in policy check and policy test only", {}, true};
  return *ctx.config_reader;
}

std::string Beside(const BuiltinContext& ctx, const std::string& path) {
  if (!ctx.call_file || ctx.call_file->empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(*ctx.call_file).parent_path() / path).lexically_normal().string();
}

// conftest's value of a configuration: the document, or the list of them
// when the file holds several.
Value OneValue(std::vector<Value> docs) {
  if (docs.size() == 1) return std::move(docs[0]);
  return Value::MakeArray(Array(docs.begin(), docs.end()));
}

Value ParseConfig(const Args& a, BuiltinContext& ctx) {
  const std::string& parser = ArgString("parse_config", a, 0);
  const std::string& text = ArgString("parse_config", a, 1);
  auto docs = Reader("parse_config", ctx)("parse_config", parser, &text);
  if (!docs) ThrowBuiltinError("parse_config: " + docs.error().message());
  return OneValue(std::move(*docs));
}

Value ParseConfigFile(const Args& a, BuiltinContext& ctx) {
  const std::string path = Beside(ctx, ArgString("parse_config_file", a, 0));
  auto docs = Reader("parse_config_file", ctx)(path, "", nullptr);
  if (!docs) ThrowBuiltinError("parse_config_file: " + docs.error().message());
  return OneValue(std::move(*docs));
}

Value ParseCombinedConfigFiles(const Args& a, BuiltinContext& ctx) {
  const Value& list = ArgKind("parse_combined_config_files", a, 0, Kind::kArray);
  const auto& read = Reader("parse_combined_config_files", ctx);
  std::vector<std::pair<std::string, std::vector<Value>>> files;
  for (const auto& p : list.items()) {
    if (!p.is_string()) ThrowTypeError("parse_combined_config_files: operand 1 must be array[string]");
    std::string path = Beside(ctx, p.as_string());
    auto docs = read(path, "", nullptr);
    if (!docs) ThrowBuiltinError("parse_combined_config_files: " + docs.error().message());
    files.emplace_back(std::move(path), std::move(*docs));
  }
  return CombineInputs(files);
}

}  // namespace

void AddConftestBuiltins(BuiltinRegistry& r) {
  r.Add("parse_config", 2, ParseConfig);
  r.Add("parse_config_file", 1, ParseConfigFile);
  r.Add("parse_combined_config_files", 1, ParseCombinedConfigFiles);
}

}  // namespace tollgate::rego
