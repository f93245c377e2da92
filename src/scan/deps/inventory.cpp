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

void ReadOsPackages(const FileReader& read, const std::string& label, Inventory& out) {
  std::string distro;
  std::string release;
  for (const char* f : {"etc/os-release", "usr/lib/os-release"}) {
    if (auto t = read(f)) {
      release = OsRelease(*t, &distro);
      break;
    }
  }
  if (auto t = read("var/lib/dpkg/status")) {
    auto s = ParseDpkgStatus(*t, label + "var/lib/dpkg/status", release, out);
    if (!s) out.warnings.push_back(s.error().message());
    if (distro == "ubuntu")  // OSV: "Ubuntu:22.04:LTS"; the release keeps its minor part
      for (auto& p : out.packages)
        if (p.ecosystem == Ecosystem::kDebian && p.file == label + "var/lib/dpkg/status") {
          p.ecosystem = Ecosystem::kUbuntu;
          p.release = release;
        }
  }
  if (auto t = read("lib/apk/db/installed")) {
    auto s = ParseApkInstalled(*t, label + "lib/apk/db/installed", AlpineRelease(release), out);
    if (!s) out.warnings.push_back(s.error().message());
  }
  bool rpm = false;
  for (const char* rpmdb : {"var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"}) {
    if (rpm) break;
    if (auto t = read(rpmdb)) {
      rpm = true;
      auto s = ParseRpmDb(*t, label + rpmdb, distro, release, out);
      if (!s) out.warnings.push_back(s.error().message());
    }
  }
  if (!rpm) {
    if (auto t = read("var/lib/rpm/Packages")) {
      auto s = ParseRpmBdb(*t, label + "var/lib/rpm/Packages", distro, release, out);
      if (!s) out.warnings.push_back(s.error().message());
    }
  }
}

bool IsTarball(const fs::path& p) {
  std::string n = p.filename().string();
  for (const char* ext : {".tar", ".tar.gz", ".tgz"})
    if (n.size() > std::string_view(ext).size() && n.substr(n.size() - std::string_view(ext).size()) == ext) return true;
  return false;
}

void ScanDirectory(const fs::path& root, Inventory& out) {
  std::error_code ec;
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
          if (fs::is_symlink(p, e2) || !fs::is_regular_file(p, e2)) return std::nullopt;
          std::string err;
          std::string t = ReadSmallFile(p, kMaxImageFileBytes, &err);
          if (!err.empty()) return std::nullopt;
          return t;
        },
        label, out);
  }
  std::vector<fs::path> files;
  auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto& entry = *it;
    std::string name = entry.path().filename().string();
    std::error_code e2;
    if (entry.is_symlink(e2)) {
      continue;  // never follow links (absolute links in images point at the host)
    }
    if (entry.is_directory(e2)) {
      if (name == ".git" || name == "node_modules" || name == "proc" || name == "sys" || name == "dev")
        it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(e2)) continue;
    if (!LockfileKind(name).empty()) files.push_back(entry.path());
  }
  if (ec) out.warnings.push_back(root.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string err;
    std::string text = ReadSmallFile(f, kMaxLockfileBytes, &err);
    if (!err.empty()) {
      out.warnings.push_back(f.generic_string() + ": " + err);
      continue;
    }
    auto s = ParseLockfile(LockfileKind(f.filename().string()), text, f.generic_string(), out);
    if (!s) out.warnings.push_back(s.error().message());
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

// Reads one layer (a tar, possibly compressed) from the outer archive's
// current entry.
struct OuterReader {
  struct archive* outer;
  char buf[1 << 16];
};

la_ssize_t ReadOuter(struct archive*, void* client, const void** buff) {
  auto* r = static_cast<OuterReader*>(client);
  la_ssize_t n = archive_read_data(r->outer, r->buf, sizeof r->buf);
  *buff = r->buf;
  return n;
}

Status ReadLayer(struct archive* outer, const std::string& image, const std::string& layer_name, LayerFiles& out,
                 std::vector<std::string>& warnings) {
  struct archive* in = archive_read_new();
  archive_read_support_filter_all(in);
  archive_read_support_format_tar(in);
  struct Closer {
    struct archive* a;
    ~Closer() { archive_read_free(a); }
  } closer{in};
  auto reader = std::make_unique<OuterReader>();
  reader->outer = outer;
  if (archive_read_open(in, reader.get(), nullptr, ReadOuter, nullptr) != ARCHIVE_OK)
    return Fail(Error::Input(image + ": layer " + layer_name + ": " + archive_error_string(in)));
  struct archive_entry* e = nullptr;
  while (true) {
    int rc = archive_read_next_header(in, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      const char* err = archive_error_string(in);
      return Fail(Error::Input(image + ": layer " + layer_name + ": corrupt: " + (err ? err : "unknown error")));
    }
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
    auto get = [&](const char* k) -> std::string {
      auto it = s.fields.find(k);
      return it == s.fields.end() ? std::string() : it->second;
    };
    std::string pkg = get("Package"), version = get("Version"), status = get("Status");
    if (pkg.empty() || version.empty()) {
      out.warnings.push_back(file + ":" + std::to_string(s.line) + ": package stanza without Package or Version");
      continue;
    }
    if (!status.empty() && status.find(" installed") == std::string::npos) continue;
    // OSV's Debian records name source packages (and source versions).
    std::string name = pkg;
    std::string source = get("Source");
    if (!source.empty()) {
      auto paren = source.find(" (");
      if (paren != std::string::npos) {
        auto close = source.find(')', paren);
        if (close != std::string::npos) version = source.substr(paren + 2, close - paren - 2);
        source.resize(paren);
      }
      name = std::string(Trim(source));
    }
    Package p;
    p.ecosystem = Ecosystem::kDebian;
    p.name = name;
    p.version = version;
    p.file = file;
    p.line = s.line;
    p.release = release.substr(0, release.find('.'));
    out.packages.push_back(std::move(p));
  }
  return Ok();
}

Status ParseApkInstalled(std::string_view text, const std::string& file, const std::string& release, Inventory& out) {
  for (const auto& s : Stanzas(text, true)) {
    auto get = [&](const char* k) -> std::string {
      auto it = s.fields.find(k);
      return it == s.fields.end() ? std::string() : it->second;
    };
    std::string name = get("P"), version = get("V"), origin = get("o");
    if (name.empty() || version.empty()) {
      out.warnings.push_back(file + ":" + std::to_string(s.line) + ": package record without P: or V:");
      continue;
    }
    Package p;
    p.ecosystem = Ecosystem::kAlpine;
    p.name = origin.empty() ? name : origin;  // OSV's Alpine records name origin (source) packages
    p.version = version;
    p.file = file;
    p.line = s.line;
    p.release = release;
    out.packages.push_back(std::move(p));
  }
  return Ok();
}

Result<Inventory> ReadImageTarball(const std::string& path) {
  Inventory inv;
  // Pass 1: the manifest.
  std::vector<std::string> layers;
  {
    struct archive* a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    struct Closer {
      struct archive* a;
      ~Closer() { archive_read_free(a); }
    } closer{a};
    if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK)
      return Fail(Error::Input(path + ": not a readable tar archive: " + archive_error_string(a)));
    struct archive_entry* e = nullptr;
    std::string manifest;
    while (true) {
      int rc = archive_read_next_header(a, &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        const char* err = archive_error_string(a);
        return Fail(Error::Input(path + ": corrupt image tarball: " + (err ? err : "unknown error")));
      }
      const char* pn = archive_entry_pathname(e);
      auto name = SafeEntryPath(pn ? pn : "");
      if (name && *name == "manifest.json" && archive_entry_size(e) >= 0 && archive_entry_size(e) < (16 << 20)) {
        manifest.assign(static_cast<std::size_t>(archive_entry_size(e)), '\0');
        if (archive_read_data(a, manifest.data(), manifest.size()) != static_cast<la_ssize_t>(manifest.size()))
          return Fail(Error::Input(path + ": manifest.json: short read"));
      }
    }
    if (manifest.empty()) return Fail(Error::Input(path + ": no manifest.json (not a `docker save` image tarball)"));
    auto j = ParseJson(manifest, path + "!manifest.json");
    if (!j) return Fail(j.error());
    if (!j->is_array() || j->empty() || !(*j)[0].is_object() || !(*j)[0].contains("Layers") ||
        !(*j)[0]["Layers"].is_array())
      return Fail(Error::Input(path + "!manifest.json: expected [{\"Layers\": [...]}]"));
    for (const auto& l : (*j)[0]["Layers"]) {
      if (!l.is_string()) return Fail(Error::Input(path + "!manifest.json: layer names must be strings"));
      auto safe = SafeEntryPath(l.get<std::string>());
      if (!safe) return Fail(Error::Input(path + "!manifest.json: layer '" + l.get<std::string>() + "' escapes the archive"));
      layers.push_back(*safe);
    }
  }
  // Pass 2: each layer's interesting files and whiteouts.
  std::map<std::string, LayerFiles> by_layer;
  {
    std::set<std::string> wanted(layers.begin(), layers.end());
    struct archive* a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    struct Closer {
      struct archive* a;
      ~Closer() { archive_read_free(a); }
    } closer{a};
    if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK)
      return Fail(Error::Input(path + ": " + archive_error_string(a)));
    struct archive_entry* e = nullptr;
    while (true) {
      int rc = archive_read_next_header(a, &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return Fail(Error::Input(path + ": corrupt image tarball"));
      const char* pn = archive_entry_pathname(e);
      auto name = SafeEntryPath(pn ? pn : "");
      if (!name || wanted.count(*name) == 0 || by_layer.count(*name) != 0) continue;
      LayerFiles lf;
      TG_TRY(ReadLayer(a, path, *name, lf, inv.warnings));
      by_layer.emplace(*name, std::move(lf));
    }
  }
  // Apply the layers in order.
  std::map<std::string, std::string> fsys;
  for (const auto& l : layers) {
    auto it = by_layer.find(l);
    if (it == by_layer.end()) return Fail(Error::Input(path + ": layer " + l + " named in manifest.json is missing"));
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
  std::string label = path + "!/";
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

Result<Inventory> CollectPackages(const std::vector<std::string>& paths) {
  Inventory inv;
  for (const auto& p : paths) {
    std::error_code ec;
    fs::path path(p);
    if (fs::is_directory(path, ec)) {
      ScanDirectory(path, inv);
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
  return inv;
}

}  // namespace tollgate::deps
