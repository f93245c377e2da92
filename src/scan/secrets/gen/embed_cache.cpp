// Build-time tool: compiles the built-in secret rules once (the Vectorscan
// database and the rules' match windows, as the scanner's on-disk cache
// holds them) and writes them as a C++ source that defines
// tollgate::secrets::EmbeddedCacheFile, linked into the tollgate binary. A
// fresh CI runner then scans without compiling (3.7 s and 119 MB on the
// development machine). The database is for the build machine's CPU family;
// on a CPU it does not suit the scanner compiles as before.
//
//   tollgate_embed_secrets_cache SCRATCH_DIR OUT.cpp
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "scan/secrets/secrets.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tollgate_embed_secrets_cache SCRATCH_DIR OUT.cpp\n";
    return 2;
  }
  const fs::path scratch = argv[1], out_path = argv[2];
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch);
  ::setenv("TOLLGATE_CACHE_DIR", scratch.c_str(), 1);
  auto rules = tollgate::secrets::BuiltinRules();
  if (!rules) {
    std::cerr << "tollgate_embed_secrets_cache: " << rules.error().message() << "\n";
    return 1;
  }
  auto scanner = tollgate::secrets::Scanner::Compile(std::move(*rules));
  if (!scanner) {
    std::cerr << "tollgate_embed_secrets_cache: " << scanner.error().message() << "\n";
    return 1;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(scratch))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());

  std::string src =
      "// Generated at build time by tollgate_embed_secrets_cache (src/scan/secrets/gen). Do not edit.\n"
      "#include <string_view>\n\nnamespace tollgate::secrets {\nnamespace {\n";
  static const char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i], std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    src += "alignas(16) const unsigned char kFile" + std::to_string(i) + "[] = {";
    for (std::size_t k = 0; k < data.size(); ++k) {
      if (k % 24 == 0) src += "\n";
      const auto b = static_cast<unsigned char>(data[k]);
      src += "0x";
      src += kHex[b >> 4];
      src += kHex[b & 15];
      src += ',';
    }
    src += "0};\nconstexpr std::size_t kSize" + std::to_string(i) + " = " + std::to_string(data.size()) + ";\n";
  }
  src += "}  // namespace\n\nstd::string_view EmbeddedCacheFile(std::string_view name) {\n";
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string n = std::to_string(i);
    src += "  if (name == \"" + files[i].filename().string() + "\") return {reinterpret_cast<const char*>(kFile" + n +
           "), kSize" + n + "};\n";
  }
  src += "  return {};\n}\n\n}  // namespace tollgate::secrets\n";

  const fs::path tmp = out_path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << src;
    if (!out) {
      std::cerr << "tollgate_embed_secrets_cache: cannot write " << tmp << "\n";
      return 1;
    }
  }
  fs::rename(tmp, out_path);
  return 0;
}
