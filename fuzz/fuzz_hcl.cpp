// Fuzzes the HCL2 native-syntax parser and the static evaluator (as
// LoadTerraformHcl runs them, plus a standalone expression and a tfvars
// module): any input yields a document or an Error, never a crash, a hang or
// unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scan/iac/hcl_ast.h"
#include "scan/iac/iac.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)tollgate::iac::LoadTerraformHcl("fuzz.tf", text);
  auto e = tollgate::iac::hcl::ParseExpression("fuzz.expr", text);
  if (e) {
    tollgate::iac::hcl::Scope scope;
    scope.symbols["xs"] = tollgate::Json::array({1, "a", tollgate::Json{{"k", true}}});
    (void)tollgate::iac::hcl::Evaluate(**e, scope, text);
  }
  (void)tollgate::iac::LoadTerraformModule({{"m/main.tf", "variable \"v\" {}\nlocals {\n  l = var.v\n}\nresource \"a\" \"b\" {\n  x = local.l\n}\n"}},
                                           {{"m/terraform.tfvars", text}});
  return 0;
}
