// Installed packages and where they were found: lockfile, SBOM and OS
// package database parsers, a tree walker and container image reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/walk.h"
#include "scan/deps/version.h"

namespace tollgate::deps {

struct Package {
  Ecosystem ecosystem = Ecosystem::kNpm;
  std::string name;     // as the ecosystem spells it (Maven: group:artifact)
  std::string version;  // exact installed version
  std::string file;     // the lockfile / database it came from
  std::uint32_t line = 0;
  std::string release;  // OS packages: distribution release ("12", "v3.19"); else empty
  std::string distro;   // RPM packages: the os-release ID ("rocky", "almalinux", "rhel")
  std::string purl;     // package URL
};

struct Inventory {
  std::vector<Package> packages;
  std::vector<std::string> warnings;  // "file:line: problem" for unresolvable entries and skipped image entries
  // Files found while walking a tree that could not be read completely
  // (incomplete) or parsed (parse errors): a gate makes each a finding.
  std::vector<walk::Problem> problems;
};

// The lockfile kind of a file name ("package-lock.json" -> "npm"), or empty
// when tollgate does not read that file.
std::string LockfileKind(std::string_view filename);
// Project files whose packages are read only from a lockfile beside them
// ("App.csproj" -> "nuget", "build.gradle.kts" -> "gradle"); empty otherwise.
// Found without that lockfile, they are a warning: nothing of them was checked.
std::string UnlockedManifestKind(std::string_view filename);

// Parses one lockfile/SBOM/OS database given its name and content; `file`
// is the name recorded in packages and messages. Malformed input is an
// Error::Input naming the file (and line where known); entries that cannot
// be resolved (an unpinned requirement) become warnings.
Status ParseLockfile(std::string_view kind, std::string_view text, const std::string& file, Inventory& out);

// go.sum lists more than the build uses: drops its modules that the go.mod
// of the same directory requires (go.mod's version is the selected one).
void ReconcileGoSum(Inventory& inv);

// OS package databases (paths relative to a root filesystem).
Status ParseDpkgStatus(std::string_view text, const std::string& file, const std::string& release, Inventory& out);
Status ParseApkInstalled(std::string_view text, const std::string& file, const std::string& release, Inventory& out);
// rpmdb.sqlite (RPM 4.16+): the header blob of every package; name,
// epoch:version-release, matched by source RPM name.
Status ParseRpmDb(std::string_view sqlite_bytes, const std::string& file, const std::string& distro,
                  const std::string& release, Inventory& out);
// /var/lib/rpm/Packages, the Berkeley DB hash database of RPM before 4.16
// (older RHEL/CentOS images), read by our own bounded parser: the same
// headers as above. A file that is not a BDB hash database is an
// Error::Input naming it; damaged pages or headers become warnings.
Status ParseRpmBdb(std::string_view bdb_bytes, const std::string& file, const std::string& distro,
                   const std::string& release, Inventory& out);

// A package URL to a package; false when the type is not one we match.
bool PackageFromPurl(std::string_view purl, Package& out);
std::string MakePurl(const Package& p);

// Walks files and directories with the core walker (skipping .git,
// node_modules, what .gitignore ignores and `exclude` globs), reading every
// recognised lockfile and, in a root filesystem, the dpkg, apk and rpm
// databases. A file that is a tar archive is read as a `docker save` / OCI
// image. A file named on the command line that does not parse is an error;
// one found while walking is a problem (parse error or incomplete read) and
// the walk goes on.
struct CollectOptions {
  std::vector<std::string> exclude;
  bool gitignore = true;
};
Result<Inventory> CollectPackages(const std::vector<std::string>& paths, const CollectOptions& opts = {});

// Reads a `docker save` tarball (manifest.json) or an OCI image layout
// tarball (oci-layout, index.json, blobs/sha256/...): layers applied in
// manifest order with whiteouts, gzip/zstd/uncompressed layers, every blob
// named by a sha256 digest checked against it, entries that escape the root
// refused with a warning.
Result<Inventory> ReadImageTarball(const std::string& path);
// The same for an OCI image layout directory (never following symlinks).
Result<Inventory> ReadImageLayoutDirectory(const std::string& dir);
bool IsImageLayoutDirectory(const std::string& dir);

}  // namespace tollgate::deps
