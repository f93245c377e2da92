// Version ordering per package ecosystem, as the OSV specification needs it
// to evaluate ECOSYSTEM and SEMVER ranges (docs/deps.md lists the rules).
//
// Every comparator is total: any byte string is a version. A string the
// ecosystem's grammar rejects still compares (by the fallback each ecosystem's
// own tool uses), so untrusted input never fails here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::deps {

enum class Ecosystem {
  kNpm,
  kPyPI,
  kGo,
  kCratesIo,
  kHex,
  kPub,
  kMaven,
  kNuGet,
  kRubyGems,
  kPackagist,
  kDebian,
  kUbuntu,
  kAlpine,
  kRedHat,  // also Rocky Linux, AlmaLinux, openSUSE, SUSE (rpm ordering)
  kCran,
  kHackage,
};

// The OSV ecosystem name ("PyPI", "crates.io", "Debian:12", "Alpine:v3.19").
// The part after ':' (a release) is ignored. nullopt for ecosystems we do not
// order.
std::optional<Ecosystem> ParseEcosystem(std::string_view osv_name);
// The canonical OSV name of an ecosystem (without a release).
std::string_view EcosystemName(Ecosystem e);

// Versions longer than this compare as plain byte strings (no ecosystem
// writes such versions; it bounds the work hostile input can cause).
inline constexpr std::size_t kMaxVersionLength = 256;

// <0, 0, >0 as a is older than, the same as, or newer than b.
int CompareVersions(Ecosystem e, std::string_view a, std::string_view b);

// The individual orderings, exposed for tests and benchmarks.
int CompareSemver(std::string_view a, std::string_view b);     // npm, crates.io, Go, Hex
int ComparePub(std::string_view a, std::string_view b);        // SemVer where +build orders
int ComparePep440(std::string_view a, std::string_view b);     // PyPI
int CompareMaven(std::string_view a, std::string_view b);      // ComparableVersion
int CompareNuGet(std::string_view a, std::string_view b);
int CompareRubyGems(std::string_view a, std::string_view b);   // Gem::Version
int ComparePackagist(std::string_view a, std::string_view b);  // Composer / version_compare
int CompareDpkg(std::string_view a, std::string_view b);       // Debian, Ubuntu
int CompareApk(std::string_view a, std::string_view b);        // Alpine
int CompareRpm(std::string_view a, std::string_view b);        // rpmvercmp with epoch:version-release
int CompareCran(std::string_view a, std::string_view b);
int CompareHackage(std::string_view a, std::string_view b);

// The first number of a version ("2" for "2.31.0", "1" for "1:2.3-4" in
// dpkg is the epoch so the upstream major is used). Used to prefer a fix on
// the installed major line. Empty when there is none.
std::string MajorOf(Ecosystem e, std::string_view version);

}  // namespace tollgate::deps
