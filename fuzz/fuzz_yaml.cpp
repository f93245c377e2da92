// Fuzzes the one YAML reader (core/yaml.h): parsing with its checks
// (duplicate keys, documents, nesting, cycles, alias expansion counted per
// anchor), the typed getters and the bounded conversion to JSON. Any input
// yields documents or an Error, never a crash, a hang or unbounded memory;
// and the expanded size the event pass measures is exactly what a full
// conversion takes from the document's budget (so no walk can exceed it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/yaml.h"

namespace {

void Convert(const tollgate::yaml::Document& d) {
  tollgate::yaml::Budget budget = tollgate::yaml::Budget::For(d);
  auto j = tollgate::yaml::ToJson(d.root, "fuzz.yaml", budget);
  if (j) {
    // The measured size is exact: a full conversion uses all of it.
    if (budget.nodes != 0 || budget.bytes != 0) __builtin_trap();
    (void)j->dump(-1, ' ', false, tollgate::Json::error_handler_t::replace);
  } else if (j.error().message().find("has no JSON form") == std::string::npos) {
    __builtin_trap();  // only a list or mapping used as a key may stop it
  }
}

void Read(const YAML::Node& root) {
  if (!root.IsMap()) return;
  const tollgate::yaml::Reader r("fuzz.yaml");
  (void)r.OnlyKeys(root, {"a", "b"}, "fuzz");
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) continue;
    (void)r.Int(kv.second, kv.first.Scalar());
    (void)r.Number(kv.second, kv.first.Scalar());
    (void)r.Bool(kv.second, kv.first.Scalar());
    (void)r.StringList(kv.second, kv.first.Scalar());
    (void)r.StringMap(kv.second, kv.first.Scalar());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Small bounds so that alias expansion is exercised at fuzzing speed.
  tollgate::yaml::Limits limits;
  limits.max_nodes = 20000;
  limits.max_scalar_bytes = 200000;
  limits.max_depth = 64;
  auto one = tollgate::yaml::ParseDocument(text, "fuzz.yaml", limits);
  if (one) {
    Convert(*one);
    (void)tollgate::yaml::Guarded("fuzz.yaml", [&]() -> tollgate::Status {
      Read(one->root);
      return tollgate::Ok();
    });
  } else {
    (void)one.error().message();
  }
  auto all = tollgate::yaml::ParseStream(text, "fuzz.yaml", limits);
  if (all)
    for (const auto& d : *all) Convert(d);
  return 0;
}
