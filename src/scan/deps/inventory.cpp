// OS package databases, the tree walker and the container image reader.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/canonical_json.h"
#include "core/hash.h"
#include "scan/deps/archive_error.h"
#include "scan/deps/packages.h"

namespace tollgate::deps {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxLockfileBytes = 64u << 20;
constexpr std::size_t kMaxImageFileBytes = 256u << 20;  // rpmdb.sqlite can be large

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// RFC 822-style stanzas ("Key: value", blank line between records) as used
// by dpkg's status file; apk's installed db uses "K:value".
struct Stanza {
  std::map<std::string, std::string> fields;
  std::uint32_t line = 0;
  std::string Get(const char* key) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  }
  // True (with a warning "file:line: problem") when a required field is empty.
  bool Lacks(std::initializer_list<const char*> keys, const std::string& file, const char* problem,
             std::vector<std::string>& warnings) const {
    for (const char* k : keys) {
      if (Get(k).empty()) {
        warnings.push_back(file + ":" + std::to_string(line) + ": " + problem);
        return true;
      }
    }
    return false;
  }
};

std::vector<Stanza> Stanzas(std::string_view text, bool apk) {
  std::vector<Stanza> out;
  Stanza cur;
  std::istringstream in{std::string(text)};
  std::string raw;
  std::uint32_t n = 0;
  std::string last_key;
  auto flush = [&] {
    if (!cur.fields.empty()) out.push_back(std::move(cur));
    cur = Stanza{};
  };
  while (std::getline(in, raw)) {
    ++n;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (Trim(raw).empty()) {
      flush();
      continue;
    }
    if (!apk && (raw[0] == ' ' || raw[0] == '\t')) continue;  // continuation lines
    auto colon = raw.find(':');
    if (colon == std::string::npos || colon == 0) continue;
    if (cur.fields.empty()) cur.line = n;
    std::string key = raw.substr(0, colon);
    std::string value(Trim(std::string_view(raw).substr(colon + 1)));
    cur.fields.emplace(std::move(key), std::move(value));
  }
  flush();
  return out;
}

void AddOsPackage(Inventory& out, Ecosystem e, const std::string& name, const std::string& version,
                  const std::string& file, std::uint32_t line, const std::string& release) {
  Package p;
  p.ecosystem = e;
  p.name = name;
  p.version = version;
  p.file = file;
  p.line = line;
  p.release = release;
  out.packages.push_back(std::move(p));
}

std::string OsRelease(std::string_view text, std::string* id) {
  std::istringstream in{std::string(text)};
  std::string raw, version;
  while (std::getline(in, raw)) {
    auto eq = raw.find('=');
    if (eq == std::string::npos) continue;
    std::string k = raw.substr(0, eq);
    std::string v(Trim(std::string_view(raw).substr(eq + 1)));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
    if (k == "VERSION_ID") version = v;
    if (k == "ID" && id != nullptr) *id = v;
  }
  return version;
}

// Alpine's OSV ecosystem releases read "v3.19".
std::string AlpineRelease(const std::string& version_id) {
  if (version_id.empty()) return {};
  auto first = version_id.find('.');
  auto second = first == std::string::npos ? first : version_id.find('.', first + 1);
  return "v" + version_id.substr(0, second);
}

std::string ReadSmallFile(const fs::path& p, std::uintmax_t limit, std::string* error) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec) {
    *error = ec.message();
    return {};
  }
  if (size > limit) {
    *error = "larger than " + std::to_string(limit >> 20) + " MiB, skipped";
    return {};
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    *error = "cannot open";
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A file inside a root filesystem, by its path relative to the root.
using FileReader = std::function<std::optional<std::string>(const std::string&)>;

// A database that does not parse goes to `bad` (rel path, error); without
// it, to the warnings.
using BadFile = std::function<void(const std::string& rel, const Error& e)>;

void ReadOsPackages(const FileReader& read, const std::string& label, Inventory& out, const BadFile& bad = nullptr) {
  auto report = [&](const char* rel, const Status& s) {
    if (s) return;
    if (bad) bad(rel, s.error());
    else out.warnings.push_back(s.error().message());
  };
  std::string distro;
  std::string release;
  for (const char* f : {"etc/os-release", "usr/lib/os-release"}) {
    if (auto t = read(f)) {
      release = OsRelease(*t, &distro);
      break;
    }
  }
  if (auto t = read("var/lib/dpkg/status")) {
    report("var/lib/dpkg/status", ParseDpkgStatus(*t, label + "var/lib/dpkg/status", release, out));
    if (distro == "ubuntu")  // OSV: "Ubuntu:22.04:LTS"; the release keeps its minor part
      for (auto& p : out.packages)
        if (p.ecosystem == Ecosystem::kDebian && p.file == label + "var/lib/dpkg/status") {
          p.ecosystem = Ecosystem::kUbuntu;
          p.release = release;
        }
  }
  if (auto t = read("lib/apk/db/installed")) {
    report("lib/apk/db/installed", ParseApkInstalled(*t, label + "lib/apk/db/installed", AlpineRelease(release), out));
  }
  bool rpm = false;
  for (const char* rpmdb : {"var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"}) {
    if (rpm) break;
    if (auto t = read(rpmdb)) {
      rpm = true;
      report(rpmdb, ParseRpmDb(*t, label + rpmdb, distro, release, out));
    }
  }
  if (!rpm) {
    if (auto t = read("var/lib/rpm/Packages")) {
      report("var/lib/rpm/Packages", ParseRpmBdb(*t, label + "var/lib/rpm/Packages", distro, release, out));
    }
  }
}

bool IsTarball(const fs::path& p) {
  std::string n = p.filename().string();
  for (const char* ext : {".tar", ".tar.gz", ".tgz"})
    if (n.size() > std::string_view(ext).size() && n.substr(n.size() - std::string_view(ext).size()) == ext) return true;
  return false;
}

void ScanDirectory(const fs::path& root, const CollectOptions& opts, Inventory& out) {
  std::error_code ec;
  const walk::RepoPaths repo(root.string());
  // Root filesystem?
  bool rootfs = fs::exists(root / "var/lib/dpkg/status", ec) || fs::exists(root / "lib/apk/db/installed", ec) ||
                fs::exists(root / "var/lib/rpm/rpmdb.sqlite", ec) || fs::exists(root / "usr/lib/sysimage/rpm/rpmdb.sqlite", ec) ||
                fs::exists(root / "var/lib/rpm/Packages", ec);
  if (rootfs) {
    std::string label = root.generic_string();
    if (!label.empty() && label.back() != '/') label += "/";
    ReadOsPackages(
        [&](const std::string& rel) -> std::optional<std::string> {
          fs::path p = root / rel;
          std::error_code e2;
          // never follow a symlink out of the root filesystem
          if (fs::is_symlink(p, e2) || !fs::exists(p, e2)) return std::nullopt;
          walk::Entry e{p.generic_string(), rel, repo.Of(p.string()), 0, false};
          std::string text;
          if (auto problem = walk::ReadFile(e, kMaxImageFileBytes, text)) {
            out.problems.push_back(std::move(*problem));  // there, but not read: incomplete
            return std::nullopt;
          }
          return text;
        },
        label, out,
        [&](const std::string& rel, const Error& e) {
          const std::string p = (root / rel).generic_string();
          out.problems.push_back(walk::ParseProblem(label + rel, repo.Of(p), e.message()));
        });
  }
  walk::Options wo;
  wo.gitignore = opts.gitignore;
  wo.exclude = opts.exclude;
  wo.max_file_bytes = kMaxLockfileBytes;
  // node_modules holds installed copies (the lockfile names them); proc, sys
  // and dev of a root filesystem hold no packages.
  wo.prune = {"node_modules", "proc", "sys", "dev"};
  wo.want = [](std::string_view name, std::string_view) {
    return !LockfileKind(name).empty() || !UnlockedManifestKind(name).empty();
  };
  std::string text;
  std::vector<std::pair<std::string, std::string>> manifests;  // (path, kind): read only through their lockfiles
  std::set<std::pair<std::string, std::string>> locked;        // (directory, kind) holding the lockfile
  auto dir_of = [](const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
  };
  auto walked = walk::Walk(
      {root.string()}, wo,
      [&](const walk::Entry& e) {
        const std::string name = fs::path(e.path).filename().string();
        if (std::string kind = UnlockedManifestKind(name); !kind.empty()) {
          manifests.emplace_back(e.path, kind);
          return;
        }
        if (std::string kind = LockfileKind(name); kind == "nuget" || kind == "gradle") locked.emplace(dir_of(e.path), kind);
        if (auto problem = walk::ReadFile(e, kMaxLockfileBytes, text)) {
          out.problems.push_back(std::move(*problem));
          return;
        }
        auto s = ParseLockfile(LockfileKind(fs::path(e.path).filename().string()), text, e.path, out);
        if (!s) out.problems.push_back(walk::ParseProblem(e.path, e.repo_path, s.error().message()));
      },
      [&](walk::Problem p) {
        if (p.kind == walk::ProblemKind::kNote) out.warnings.push_back(p.Text());
        else out.problems.push_back(std::move(p));
      });
  if (!walked) out.warnings.push_back(walked.error().message());
  // A project file names direct dependencies only, and often without exact
  // versions: its packages are checked only through the lockfile beside it.
  for (const auto& [path, kind] : manifests) {
    if (locked.count({dir_of(path), kind}) != 0) continue;
    out.warnings.push_back(
        path + ": " +
        (kind == "nuget"
             ? "a NuGet project without packages.lock.json beside it: its packages were not checked (set "
               "RestorePackagesWithLockFile to true and commit the lock file)"
             : "a Gradle build without gradle.lockfile beside it: its dependencies were not checked (enable "
               "dependency locking and commit `gradle dependencies --write-locks` output)"));
  }
}

// ---------------------------------------------------------------- images
struct LayerFiles {
  std::map<std::string, std::string> files;  // path (no leading /) -> content
  std::vector<std::string> whiteouts;        // paths removed from lower layers
  std::vector<std::string> opaque_dirs;      // directories whose lower content is hidden
};

bool Interesting(const std::string& path) {
  if (path == "var/lib/dpkg/status" || path == "lib/apk/db/installed" || path == "etc/os-release" ||
      path == "usr/lib/os-release" || path == "var/lib/rpm/rpmdb.sqlite" || path == "var/lib/rpm/Packages" ||
      path == "usr/lib/sysimage/rpm/rpmdb.sqlite")
    return true;
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return !LockfileKind(base).empty() && path.find("node_modules/") == std::string::npos;
}

// Normalises an entry name; nullopt when it escapes the root.
std::optional<std::string> SafeEntryPath(std::string_view name) {
  while (StartsWith(name, "./")) name.remove_prefix(2);
  if (name.empty()) return std::string();
  if (name[0] == '/') return std::nullopt;
  std::vector<std::string> parts;
  std::size_t s = 0;
  while (s <= name.size()) {
    auto slash = name.find('/', s);
    std::string_view part = name.substr(s, slash == std::string_view::npos ? std::string_view::npos : slash - s);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    s = slash + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

// A libarchive reader for tar archives (any compression filter), freed on
// scope exit.
class TarReader {
 public:
  TarReader() : a_(archive_read_new()) {
    archive_read_support_filter_all(a_);
    archive_read_support_format_tar(a_);
  }
  ~TarReader() { archive_read_free(a_); }
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;
  struct archive* get() const { return a_; }
  // The next entry's header, nullptr at the end; a corrupt archive is an
  // Error::Input starting with `what`.
  Result<struct archive_entry*> Next(const std::string& what) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_, &e);
    if (rc == ARCHIVE_EOF) return nullptr;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return Fail(Error::Input(what + ": " + ArchiveError(a_, "unknown error")));
    }
    return e;
  }

 private:
  struct archive* a_;
};

// Where a layer's bytes come from (the outer archive's current entry, or a
// blob file of an OCI layout directory), hashed as they pass so the digest
// the manifest names can be checked.
struct LayerSource {
  std::function<la_ssize_t(char* buf, std::size_t cap)> read;  // bytes read, 0 at the end, < 0 on error
  Sha256Hasher hasher;
  std::vector<char> buf = std::vector<char>(1 << 16);
};

la_ssize_t ReadFromSource(struct archive*, void* client, const void** buff) {
  auto* src = static_cast<LayerSource*>(client);
  la_ssize_t n = src->read(src->buf.data(), src->buf.size());
  if (n > 0) src->hasher.Update(std::string_view(src->buf.data(), static_cast<std::size_t>(n)));
  *buff = src->buf.data();
  return n;
}

// Reads one layer (a tar, possibly gzip/zstd/xz-compressed) from `src`.
Status ReadLayer(LayerSource& src, const std::string& image, const std::string& layer_name, LayerFiles& out,
                 std::vector<std::string>& warnings) {
  TarReader reader;
  struct archive* in = reader.get();
  if (archive_read_open(in, &src, nullptr, ReadFromSource, nullptr) != ARCHIVE_OK) {
    return Fail(Error::Input(image + ": layer " + layer_name + ": " + ArchiveError(in, "not a readable archive")));
  }
  while (true) {
    auto next = reader.Next(image + ": layer " + layer_name + ": corrupt");
    if (!next) return Fail(next.error());
    struct archive_entry* e = *next;
    if (e == nullptr) break;
    const char* pn = archive_entry_pathname(e);
    std::string raw = pn ? pn : "";
    auto path = SafeEntryPath(raw);
    if (!path) {
      warnings.push_back(image + ": layer " + layer_name + ": entry '" + raw + "' escapes the root filesystem; ignored");
      continue;
    }
    auto slash = path->rfind('/');
    std::string dir = slash == std::string::npos ? "" : path->substr(0, slash);
    std::string base = slash == std::string::npos ? *path : path->substr(slash + 1);
    if (base == ".wh..wh..opq") {
      out.opaque_dirs.push_back(dir);
      continue;
    }
    if (StartsWith(base, ".wh.")) {
      out.whiteouts.push_back((dir.empty() ? "" : dir + "/") + base.substr(4));
      continue;
    }
    auto type = archive_entry_filetype(e);
    if (type == AE_IFLNK && Interesting(*path)) {
      const char* target = archive_entry_symlink(e);
      warnings.push_back(image + ": layer " + layer_name + ": " + *path + " is a symlink" +
                         (target && target[0] == '/' ? std::string(" to an absolute path (") + target + ")" : "") +
                         "; not followed");
      continue;
    }
    if (type != AE_IFREG || !Interesting(*path)) continue;
    auto size = archive_entry_size(e);
    if (size < 0 || static_cast<std::size_t>(size) > kMaxImageFileBytes) {
      warnings.push_back(image + ": layer " + layer_name + ": " + *path + " too large; skipped");
      continue;
    }
    std::string data(static_cast<std::size_t>(size), '\0');
    auto got = archive_read_data(in, data.data(), data.size());
    if (got < 0 || static_cast<std::size_t>(got) != data.size())
      return Fail(Error::Input(image + ": layer " + layer_name + ": " + *path + ": short read"));
    out.files[*path] = std::move(data);
  }
  return Ok();
}

}  // namespace

Status ParseDpkgStatus(std::string_view text, const std::string& file, const std::string& release, Inventory& out) {
  for (const auto& s : Stanzas(text, false)) {
    if (s.Lacks({"Package", "Version"}, file, "package stanza without Package or Version", out.warnings)) continue;
    std::string pkg = s.Get("Package"), version = s.Get("Version"), status = s.Get("Status");
    if (!status.empty() && status.find(" installed") == std::string::npos) continue;
    // OSV's Debian records name source packages (and source versions).
    std::string name = pkg;
    std::string source = s.Get("Source");
    if (!source.empty()) {
      auto paren = source.find(" (");
      if (paren != std::string::npos) {
        auto close = source.find(')', paren);
        if (close != std::string::npos) version = source.substr(paren + 2, close - paren - 2);
        source.resize(paren);
      }
      name = std::string(Trim(source));
    }
    AddOsPackage(out, Ecosystem::kDebian, name, version, file, s.line, release.substr(0, release.find('.')));
  }
  return Ok();
}

Status ParseApkInstalled(std::string_view text, const std::string& file, const std::string& release, Inventory& out) {
  for (const auto& s : Stanzas(text, true)) {
    if (s.Lacks({"P", "V"}, file, "package record without P: or V:", out.warnings)) continue;
    std::string name = s.Get("P"), version = s.Get("V"), origin = s.Get("o");
    // OSV's Alpine records name origin (source) packages
    AddOsPackage(out, Ecosystem::kAlpine, origin.empty() ? name : origin, version, file, s.line, release);
  }
  return Ok();
}

namespace {

// One layer to read: its path inside the image and, when the image names it
// by content (OCI blobs/sha256/...), the SHA-256 its bytes must have.
struct LayerRef {
  std::string path;
  std::string sha256;  // lower-case hex; empty: not checked (docker save's "<id>/layer.tar")
};

constexpr std::size_t kMaxImageJsonBytes = 16u << 20;
constexpr int kMaxIndexDepth = 4;

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// "blobs/sha256/<hex>" -> "<hex>", else "".
std::string DigestOfBlobPath(const std::string& path) {
  constexpr std::string_view kPrefix = "blobs/sha256/";
  if (!StartsWith(path, kPrefix) || !IsHex64(std::string_view(path).substr(kPrefix.size()))) return {};
  return path.substr(kPrefix.size());
}

using SmallFiles = std::function<std::optional<std::string>(const std::string&)>;

// A string member of a JSON object, "" when absent or of another type
// (Json::value would throw on a mistyped member).
std::string StrField(const Json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An OCI blob by descriptor digest, its content checked against the digest.
Result<Json> ReadBlobJson(const SmallFiles& small, const std::string& image, const Json& descriptor) {
  if (!descriptor.is_object() || !descriptor.contains("digest") || !descriptor["digest"].is_string())
    return Fail(Error::Input(image + ": a descriptor without a digest"));
  std::string digest = descriptor["digest"].get<std::string>();
  if (!StartsWith(digest, "sha256:") || !IsHex64(std::string_view(digest).substr(7)))
    return Fail(Error::Input(image + ": digest '" + digest + "' is not a sha256 digest tollgate can verify"));
  std::string blob = "blobs/sha256/" + digest.substr(7);
  auto text = small(blob);
  if (!text) return Fail(Error::Input(image + ": " + blob + " named by a descriptor is missing"));
  if (HexEncode(Sha256(*text)) != digest.substr(7))
    return Fail(Error::Input(image + ": " + blob + ": content does not match its digest"));
  return ParseJson(*text, image + "!" + blob);
}

bool IsIndexMediaType(const std::string& m) {
  return m == "application/vnd.oci.image.index.v1+json" ||
         m == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// The layers of an image: docker save's manifest.json (first image), else
// the OCI layout's index.json -> (nested indexes) -> image manifest. With
// several manifests, linux/amd64 is preferred, else the first.
Result<std::vector<LayerRef>> ResolveLayers(const SmallFiles& small, const std::string& image,
                                            std::vector<std::string>& warnings) {
  std::vector<LayerRef> layers;
  if (auto manifest = small("manifest.json")) {
    auto j = ParseJson(*manifest, image + "!manifest.json");
    if (!j) return Fail(j.error());
    if (!j->is_array() || j->empty() || !(*j)[0].is_object() || !(*j)[0].contains("Layers") ||
        !(*j)[0]["Layers"].is_array())
      return Fail(Error::Input(image + "!manifest.json: expected [{\"Layers\": [...]}]"));
    for (const auto& l : (*j)[0]["Layers"]) {
      if (!l.is_string()) return Fail(Error::Input(image + "!manifest.json: layer names must be strings"));
      auto safe = SafeEntryPath(l.get<std::string>());
      if (!safe || safe->empty())
        return Fail(Error::Input(image + "!manifest.json: layer '" + l.get<std::string>() + "' escapes the archive"));
      layers.push_back({*safe, DigestOfBlobPath(*safe)});
    }
    return layers;
  }
  auto index_text = small("index.json");
  if (!index_text)
    return Fail(Error::Input(image + ": no manifest.json or index.json (not a `docker save` image or OCI image layout)"));
  auto layout = small("oci-layout");
  if (!layout) return Fail(Error::Input(image + ": index.json without oci-layout (not an OCI image layout)"));
  auto lj = ParseJson(*layout, image + "!oci-layout");
  if (!lj) return Fail(lj.error());
  if (!lj->is_object() || !lj->contains("imageLayoutVersion"))
    return Fail(Error::Input(image + "!oci-layout: no imageLayoutVersion"));
  auto index = ParseJson(*index_text, image + "!index.json");
  if (!index) return Fail(index.error());
  Json current = std::move(*index);
  std::string where = image + "!index.json";
  for (int depth = 0;; ++depth) {
    if (depth > kMaxIndexDepth) return Fail(Error::Input(where + ": image indexes nested too deeply"));
    if (!current.is_object()) return Fail(Error::Input(where + ": expected an object"));
    if (current.contains("layers")) break;  // an image manifest
    if (!current.contains("manifests") || !current["manifests"].is_array() || current["manifests"].empty())
      return Fail(Error::Input(where + ": no manifests"));
    const Json* chosen = nullptr;
    for (const auto& m : current["manifests"]) {
      if (!m.is_object()) return Fail(Error::Input(where + ": manifests must be objects"));
      if (chosen == nullptr) chosen = &m;
      auto p = m.find("platform");
      if (p != m.end() && StrField(*p, "os") == "linux" && StrField(*p, "architecture") == "amd64") {
        chosen = &m;
        break;
      }
    }
    const std::string digest = StrField(*chosen, "digest"), media = StrField(*chosen, "mediaType");
    if (current["manifests"].size() > 1)
      warnings.push_back(where + ": " + std::to_string(current["manifests"].size()) + " manifests; reading " + digest);
    auto next = ReadBlobJson(small, image, *chosen);  // checks the digest's form
    if (!next) return Fail(next.error());
    where = image + "!blobs/sha256/" + digest.substr(7);
    current = std::move(*next);  // `chosen` points into the old value: not used below
    if (!IsIndexMediaType(media) && !current.contains("manifests")) break;
  }
  if (!current.contains("layers") || !current["layers"].is_array())
    return Fail(Error::Input(where + ": an image manifest without layers"));
  for (const auto& l : current["layers"]) {
    if (!l.is_object() || !l.contains("digest") || !l["digest"].is_string())
      return Fail(Error::Input(where + ": a layer without a digest"));
    std::string digest = l["digest"].get<std::string>();
    if (!StartsWith(digest, "sha256:") || !IsHex64(std::string_view(digest).substr(7)))
      return Fail(Error::Input(where + ": layer digest '" + digest + "' is not a sha256 digest tollgate can verify"));
    std::string media = StrField(l, "mediaType");
    if (!media.empty() && media.find("tar") == std::string::npos) {
      warnings.push_back(where + ": layer " + digest + " of type " + media + " is not a filesystem layer; skipped");
      continue;
    }
    layers.push_back({"blobs/sha256/" + digest.substr(7), digest.substr(7)});
  }
  return layers;
}

// Reads one layer from `src` and checks its digest (the whole blob is
// hashed, including what the tar reader did not need).
Status ReadCheckedLayer(LayerSource& src, const std::string& image, const LayerRef& layer, LayerFiles& out,
                        std::vector<std::string>& warnings) {
  TG_TRY(ReadLayer(src, image, layer.path, out, warnings));
  while (true) {
    la_ssize_t n = src.read(src.buf.data(), src.buf.size());
    if (n < 0) return Fail(Error::Input(image + ": layer " + layer.path + ": read error"));
    if (n == 0) break;
    src.hasher.Update(std::string_view(src.buf.data(), static_cast<std::size_t>(n)));
  }
  std::string got = HexEncode(src.hasher.Finish());
  if (!layer.sha256.empty() && got != layer.sha256)
    return Fail(Error::Input(image + ": layer " + layer.path + ": content does not match its digest (sha256:" + got + ")"));
  return Ok();
}

// Iterates the outer tar's entries (names normalised; entries escaping the
// archive skipped). A corrupt archive is an Error::Input naming `path`.
Status ForEachTarEntry(const std::string& path,
                       const std::function<Status(struct archive*, const std::string&, struct archive_entry*)>& fn) {
  TarReader reader;
  struct archive* a = reader.get();
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Fail(Error::Input(path + ": not a readable tar archive: " + ArchiveError(a, "unknown error")));
  }
  while (true) {
    auto next = reader.Next(path + ": corrupt image tarball");
    if (!next) return Fail(next.error());
    struct archive_entry* e = *next;
    if (e == nullptr) break;
    const char* pn = archive_entry_pathname(e);
    auto name = SafeEntryPath(pn ? pn : "");
    if (!name) continue;
    TG_TRY(fn(a, *name, e));
  }
  return Ok();
}

// Applies the layers in order (whiteouts, opaque directories) and reads the
// packages of the resulting filesystem.
Result<Inventory> InventoryOfLayers(const std::string& image, const std::vector<LayerRef>& layers,
                                    const std::map<std::string, LayerFiles>& by_layer, Inventory inv) {
  std::map<std::string, std::string> fsys;
  for (const auto& l : layers) {
    auto it = by_layer.find(l.path);
    if (it == by_layer.end()) return Fail(Error::Input(image + ": layer " + l.path + " named by the manifest is missing"));
    const LayerFiles& lf = it->second;
    for (const auto& d : lf.opaque_dirs) {
      std::string prefix = d.empty() ? "" : d + "/";
      for (auto f = fsys.begin(); f != fsys.end();) f = StartsWith(f->first, prefix) ? fsys.erase(f) : std::next(f);
    }
    for (const auto& w : lf.whiteouts) {
      fsys.erase(w);
      std::string prefix = w + "/";
      for (auto f = fsys.begin(); f != fsys.end();) f = StartsWith(f->first, prefix) ? fsys.erase(f) : std::next(f);
    }
    for (const auto& [p, content] : lf.files) fsys[p] = content;
  }
  std::string label = image + "!/";
  ReadOsPackages(
      [&](const std::string& rel) -> std::optional<std::string> {
        auto f = fsys.find(rel);
        if (f == fsys.end()) return std::nullopt;
        return f->second;
      },
      label, inv);
  for (const auto& [p, content] : fsys) {
    auto slash = p.rfind('/');
    std::string kind = LockfileKind(slash == std::string::npos ? p : p.substr(slash + 1));
    if (kind.empty()) continue;
    auto s = ParseLockfile(kind, content, label + p, inv);
    if (!s) inv.warnings.push_back(s.error().message());
  }
  return inv;
}

bool IsImageMetadata(const std::string& name, std::int64_t size) {
  if (size < 0 || static_cast<std::size_t>(size) > kMaxImageJsonBytes) return false;
  return name == "manifest.json" || name == "index.json" || name == "oci-layout" ||
         (!DigestOfBlobPath(name).empty() && static_cast<std::size_t>(size) <= (4u << 20));
}

}  // namespace

Result<Inventory> ReadImageTarball(const std::string& path) {
  Inventory inv;
  // Pass 1: manifest.json, or the OCI layout's index.json, oci-layout and
  // the small blobs (manifests, indexes, configs).
  std::map<std::string, std::string> meta;
  std::size_t meta_bytes = 0;
  TG_TRY(ForEachTarEntry(path, [&](struct archive* a, const std::string& name, struct archive_entry* e) -> Status {
    if (archive_entry_filetype(e) != AE_IFREG || !IsImageMetadata(name, archive_entry_size(e))) return Ok();
    meta_bytes += static_cast<std::size_t>(archive_entry_size(e));
    if (meta_bytes > kMaxImageFileBytes)
      return Fail(Error::Input(path + ": more than " + std::to_string(kMaxImageFileBytes >> 20) +
                               " MiB of small blobs and manifests; not read"));
    std::string data(static_cast<std::size_t>(archive_entry_size(e)), '\0');
    if (archive_read_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
      return Fail(Error::Input(path + ": " + name + ": short read"));
    meta[name] = std::move(data);
    return Ok();
  }));
  auto layers = ResolveLayers(
      [&](const std::string& n) -> std::optional<std::string> {
        auto it = meta.find(n);
        if (it == meta.end()) return std::nullopt;
        return it->second;
      },
      path, inv.warnings);
  if (!layers) return Fail(layers.error());
  // Pass 2: each layer's interesting files and whiteouts, digests checked.
  std::map<std::string, LayerFiles> by_layer;
  std::map<std::string, const LayerRef*> wanted;
  for (const auto& l : *layers) wanted.emplace(l.path, &l);
  auto read = ForEachTarEntry(path, [&](struct archive* a, const std::string& name, struct archive_entry*) -> Status {
    auto w = wanted.find(name);
    if (w == wanted.end() || by_layer.count(name) != 0) return Ok();
    LayerSource src;
    src.read = [a](char* buf, std::size_t cap) { return archive_read_data(a, buf, cap); };
    LayerFiles lf;
    TG_TRY(ReadCheckedLayer(src, path, *w->second, lf, inv.warnings));
    by_layer.emplace(name, std::move(lf));
    return Ok();
  });
  if (!read) return Fail(read.error());
  return InventoryOfLayers(path, *layers, by_layer, std::move(inv));
}

Result<Inventory> ReadImageLayoutDirectory(const std::string& dir) {
  Inventory inv;
  fs::path root(dir);
  std::string label = root.generic_string();
  // Files of the layout by their relative path: regular files only, never
  // through a symlink, never outside the directory.
  auto file_of = [&](const std::string& rel) -> std::optional<fs::path> {
    auto safe = SafeEntryPath(rel);
    if (!safe || safe->empty()) return std::nullopt;
    fs::path p = root / *safe;
    std::error_code ec;
    for (fs::path q = root; const auto& part : fs::path(*safe)) {
      q /= part;
      if (fs::is_symlink(q, ec)) return std::nullopt;
    }
    if (!fs::is_regular_file(p, ec)) return std::nullopt;
    return p;
  };
  auto layers = ResolveLayers(
      [&](const std::string& rel) -> std::optional<std::string> {
        auto p = file_of(rel);
        if (!p) return std::nullopt;
        std::string err;
        std::string t = ReadSmallFile(*p, kMaxImageJsonBytes, &err);
        if (!err.empty()) return std::nullopt;
        return t;
      },
      label, inv.warnings);
  if (!layers) return Fail(layers.error());
  std::map<std::string, LayerFiles> by_layer;
  for (const auto& l : *layers) {
    if (by_layer.count(l.path) != 0) continue;
    auto p = file_of(l.path);
    if (!p) continue;  // reported as missing below
    std::ifstream in(*p, std::ios::binary);
    if (!in) return Fail(Error::Io(label + "/" + l.path + ": cannot open"));
    LayerSource src;
    src.read = [&in](char* buf, std::size_t cap) -> la_ssize_t {
      in.read(buf, static_cast<std::streamsize>(cap));
      if (in.bad()) return -1;
      return static_cast<la_ssize_t>(in.gcount());
    };
    LayerFiles lf;
    TG_TRY(ReadCheckedLayer(src, label, l, lf, inv.warnings));
    by_layer.emplace(l.path, std::move(lf));
  }
  return InventoryOfLayers(label, *layers, by_layer, std::move(inv));
}

bool IsImageLayoutDirectory(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "oci-layout", ec) && fs::is_regular_file(fs::path(dir) / "index.json", ec);
}

Result<Inventory> CollectPackages(const std::vector<std::string>& paths, const CollectOptions& opts) {
  Inventory inv;
  for (const auto& p : paths) {
    std::error_code ec;
    fs::path path(p);
    if (fs::is_directory(path, ec) && IsImageLayoutDirectory(p)) {
      auto img = ReadImageLayoutDirectory(p);
      if (!img) return Fail(img.error());
      inv.packages.insert(inv.packages.end(), img->packages.begin(), img->packages.end());
      inv.warnings.insert(inv.warnings.end(), img->warnings.begin(), img->warnings.end());
    } else if (fs::is_directory(path, ec)) {
      ScanDirectory(path, opts, inv);
    } else if (fs::is_regular_file(path, ec)) {
      if (IsTarball(path)) {
        auto img = ReadImageTarball(p);
        if (!img) return Fail(img.error());
        inv.packages.insert(inv.packages.end(), img->packages.begin(), img->packages.end());
        inv.warnings.insert(inv.warnings.end(), img->warnings.begin(), img->warnings.end());
        continue;
      }
      std::string kind = LockfileKind(path.filename().string());
      if (kind.empty()) {
        // any other JSON file given explicitly may be an SBOM
        if (path.extension() == ".json") kind = "sbom";
        else return Fail(Error::Input(p + ": not a lockfile, SBOM or image tarball tollgate reads"));
      }
      std::string err;
      std::string text = ReadSmallFile(path, kMaxLockfileBytes, &err);
      if (!err.empty()) return Fail(Error::Input(p + ": " + err));
      TG_TRY(ParseLockfile(kind, text, path.generic_string(), inv));
    } else {
      return Fail(Error::NotFound(p + ": no such file or directory"));
    }
  }
  ReconcileGoSum(inv);
  return inv;
}

}  // namespace tollgate::deps
