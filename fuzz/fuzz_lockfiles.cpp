// Fuzzes every lockfile/SBOM/OS database parser: the first byte picks the
// parser (0xff: the RPM databases, 0xfe: an image tarball), the rest is the
// file. Any bytes yield packages or one clear error.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <unistd.h>

#include "scan/deps/packages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::array<std::string_view, 18> kKinds{
      "npm", "yarn", "pnpm", "bun", "requirements", "poetry", "uv", "pipfile", "gomod", "gosum",
      "cargo", "gemfile", "composer", "pom", "gradle", "nuget", "sbom", "dpkg"};
  if (size == 0) return 0;
  tollgate::deps::Inventory rpm;
  if (data[0] == 0xff) {  // RPM databases: Berkeley DB hash file, then SQLite
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    (void)tollgate::deps::ParseRpmBdb(bytes, "Packages", "centos", "7", rpm);
    (void)tollgate::deps::ParseRpmDb(bytes, "rpmdb.sqlite", "rocky", "9", rpm);
    return 0;
  }
  if (data[0] == 0xfe) {  // image tarballs (docker save, OCI layout): manifests, indexes, digests, layers
    static const std::string path = "/tmp/tollgate-fuzz-image-" + std::to_string(getpid()) + ".tar";
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
      std::fwrite(data + 1, 1, size - 1, f);
      std::fclose(f);
      (void)tollgate::deps::ReadImageTarball(path);
      std::remove(path.c_str());
    }
    return 0;
  }
  std::string_view kind = kKinds[data[0] % kKinds.size()];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  tollgate::deps::Inventory inv;
  if (kind == "dpkg") {
    (void)tollgate::deps::ParseDpkgStatus(text, "status", "12", inv);
    (void)tollgate::deps::ParseApkInstalled(text, "installed", "v3.19", inv);
  } else {
    (void)tollgate::deps::ParseLockfile(kind, text, "fuzz", inv);
  }
  for (const auto& p : inv.packages) (void)tollgate::deps::MakePurl(p);
  return 0;
}
