// The audit bundle directory (docs/ledger-format.md "Audit bundle
// directory"): its manifest, and its offline verification.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/file.h"
#include "core/json_stream.h"
#include "ledger/ledger.h"

namespace tollgate::ledger {
namespace fs = std::filesystem;

namespace bundle_dir {

std::string EntryFile(std::uint64_t seq) {
  char name[32];
  std::snprintf(name, sizeof name, "%09llu.json", static_cast<unsigned long long>(seq));
  return std::string(kEntries) + "/" + name;
}

namespace {

Result<Hash256> FileSha256(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::Io(path.string() + ": cannot read"));
  Sha256Hasher h;
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) return Fail(Error::Io(path.string() + ": read error"));
  return h.Finish();
}

// Every regular file under `dir` but MANIFEST, relative, sorted. Anything
// else (a link, a FIFO) is refused.
Result<std::vector<std::string>> Files(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto st = it->symlink_status(ec);
    if (ec) break;
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    if (fs::is_directory(st)) continue;
    if (!fs::is_regular_file(st)) return Fail(Error::Integrity((dir / rel).string() + ": not a regular file"));
    if (rel != kManifest) out.push_back(rel);
  }
  if (ec) return Fail(Error::Io(dir.string() + ": " + ec.message()));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::string> Manifest(const std::string& dir) {
  auto files = Files(dir);
  if (!files) return Fail(files.error());
  std::string text;
  for (const auto& rel : *files) {
    auto h = FileSha256(fs::path(dir) / rel);
    if (!h) return Fail(h.error());
    text += HexEncode(*h) + "  " + rel + "\n";
  }
  return text;
}

}  // namespace bundle_dir

namespace {

using namespace bundle_dir;

Error Bad(const fs::path& file, const std::string& problem) { return Error::Integrity(file.string() + ": " + problem); }

// MANIFEST against the directory: each listed file is there with its digest,
// and no file is unlisted.
Status CheckManifest(const fs::path& dir) {
  const fs::path mpath = dir / kManifest;
  std::error_code ec;
  if (!fs::is_regular_file(mpath, ec)) return Fail(Bad(mpath, "missing"));
  auto text = ReadFileBounded(mpath.string());
  if (!text) return Fail(text.error());
  std::map<std::string, std::string> listed;
  std::size_t line_no = 0, pos = 0;
  while (pos < text->size()) {
    std::size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) return Fail(Bad(mpath, "line " + std::to_string(line_no + 1) + ": no final newline"));
    std::string line = text->substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    const std::string where = "line " + std::to_string(line_no);
    if (line.size() < 67 || line.compare(64, 2, "  ") != 0 || !HashFromHex(line.substr(0, 64)))
      return Fail(Bad(mpath, where + ": not '<sha256 hex>  <path>'"));
    std::string rel = line.substr(66);
    const fs::path p(rel);
    if (p.is_absolute() || rel.find("..") != std::string::npos || rel == kManifest)
      return Fail(Bad(mpath, where + ": path '" + rel + "' is not inside the bundle"));
    if (!listed.emplace(rel, line.substr(0, 64)).second) return Fail(Bad(mpath, where + ": '" + rel + "' is listed twice"));
  }
  for (const auto& [rel, hex] : listed) {
    const fs::path f = dir / rel;
    if (!fs::exists(fs::symlink_status(f, ec))) return Fail(Bad(f, "listed in MANIFEST but missing"));
    if (!fs::is_regular_file(fs::symlink_status(f, ec))) return Fail(Bad(f, "not a regular file"));
    auto h = FileSha256(f);
    if (!h) return Fail(h.error());
    if (HexEncode(*h) != hex) return Fail(Bad(f, "SHA-256 does not match MANIFEST (changed)"));
  }
  auto files = Files(dir);
  if (!files) return Fail(files.error());
  for (const auto& rel : *files)
    if (!listed.count(rel)) return Fail(Bad(dir / rel, "not listed in MANIFEST"));
  return Ok();
}

// The regular files of one bundle subdirectory, sorted by name.
std::vector<fs::path> FilesIn(const fs::path& d) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(d, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

// One pass over ledger.json: each entries/N.json holds exactly the canonical
// bytes of entry N, whose leaf hash is the one listed; the checkpoint notes
// are collected.
class EntryFiles final : public JsonStreamHandler {
 public:
  explicit EntryFiles(const fs::path& dir) : dir_(dir) {}

  Take Begin(const JsonPath& path, Type type) override {
    if (path.empty()) return type == Type::kObject ? Take::kEnter : Take::kSkip;
    if (path.size() == 1) {
      if (path[0].key == "checkpoints") return Take::kValue;
      if (path[0].key == "entries" && type == Type::kArray) return Take::kEnter;
      return Take::kSkip;
    }
    if (path.size() == 2 && path[0].key == "entries") return Take::kValue;
    return Take::kSkip;
  }

  Status Value(const JsonPath& path, Json value) override {
    if (path.size() == 1) {
      if (value.is_array())
        for (const auto& c : value)
          if (c.is_object() && c.contains("note") && c["note"].is_string()) notes_.insert(c["note"].get<std::string>());
      return Ok();
    }
    const std::uint64_t i = count_++;
    const fs::path file = dir_ / EntryFile(i);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return Fail(Bad(file, "missing (entry " + std::to_string(i) + " of ledger.json)"));
    auto bytes = ReadFileBounded(file.string());
    if (!bytes) return Fail(bytes.error());
    if (!value.is_object() || !value.contains("entry") || !value.contains("leaf_hash") || !value["leaf_hash"].is_string())
      return Fail(Bad(dir_ / kLedger, "entry " + std::to_string(i) + ": malformed bundle item"));
    auto canonical = Canonicalize(value["entry"]);
    if (!canonical) return Fail(Bad(dir_ / kLedger, "entry " + std::to_string(i) + ": " + canonical.error().message()));
    auto claimed = HashFromHex(value["leaf_hash"].get<std::string>());
    if (*bytes != *canonical || !claimed || LeafHash(AsBytes(*bytes)) != *claimed)
      return Fail(Bad(file, "does not hash to the leaf hash of entry " + std::to_string(i) + " in ledger.json (changed)"));
    return Ok();
  }

  std::uint64_t count() const { return count_; }
  const std::set<std::string>& notes() const { return notes_; }

 private:
  fs::path dir_;
  std::uint64_t count_ = 0;
  std::set<std::string> notes_;
};

// The report names the ledger the bundle verified: JSON by its members, the
// OSCAL and HTML renderings by carrying the root.
Status CheckReport(const fs::path& file, const VerifyReport& rep) {
  auto text = ReadFileBounded(file.string());
  if (!text) return Fail(text.error());
  const std::string root = HashHex(rep.root);
  const std::string name = file.filename().string();
  const bool plain_json = name.size() > 5 && name.ends_with(".json") && !name.ends_with(".oscal.json");
  if (plain_json) {
    auto doc = ParseJson(*text, file.string());
    if (!doc) return Fail(Bad(file, doc.error().message()));
    const Json& l = doc->is_object() ? doc->value("ledger", Json::object()) : Json::object();
    const bool ok = l.is_object() && l.value("root", "") == root && l.contains("size") && l["size"].is_number_unsigned() &&
                    l["size"].get<std::uint64_t>() == rep.size;
    if (!ok)
      return Fail(Bad(file, "does not name the bundle's ledger (size " + std::to_string(rep.size) + ", root " + root + ")"));
    return Ok();
  }
  if (text->find(root) == std::string::npos) return Fail(Bad(file, "does not name the bundle's ledger root " + root));
  return Ok();
}

}  // namespace

Result<VerifyReport> VerifyBundleDir(const std::string& dir_text, const VerifyOptions& given) {
  const fs::path dir(dir_text);
  TG_TRY(CheckManifest(dir));

  VerifyOptions opts = given;
  if (opts.trusted_keys.empty()) {
    for (const auto& f : FilesIn(dir / kLedgerKeys)) {
      auto k = ReadVerifierKeyFile(f.string());
      if (!k) return Fail(Bad(f, k.error().message()));
      opts.trusted_keys.push_back(*k);
    }
    if (opts.trusted_keys.empty()) return Fail(Bad(dir / kLedgerKeys, "no ledger public key"));
  }
  for (const auto& f : FilesIn(dir / kSignerKeys))
    if (auto k = ReadVerifierKeyFile(f.string()); !k) return Fail(Bad(f, k.error().message()));

  EntryFiles entries(dir);
  TG_TRY(StreamJsonFile((dir / kLedger).string(), entries));
  const auto entry_files = FilesIn(dir / kEntries);
  // Each entry's file exists (checked above), so an extra file is the first
  // name out of the sequence 000000000.json, 000000001.json, ...
  for (std::size_t k = 0; k < entry_files.size(); ++k)
    if (k >= entries.count() || entry_files[k].filename() != fs::path(EntryFile(k)).filename())
      return Fail(Bad(entry_files[k], "is no entry of ledger.json"));

  // The largest checkpoint shipped is the one the log must extend.
  std::optional<SavedCheckpoint> largest;
  std::uint64_t largest_size = 0;
  for (const auto& f : FilesIn(dir / kCheckpoints)) {
    auto text = ReadFileBounded(f.string(), 64 * 1024, "checkpoint");
    if (!text) return Fail(text.error());
    if (!entries.notes().count(*text)) return Fail(Bad(f, "is not a checkpoint of ledger.json"));
    auto cp = ParseCheckpointText(std::string_view(*text).substr(0, text->find("\n\n") + 1));
    if (!cp) return Fail(Bad(f, cp.error().message()));
    if (!largest || cp->size >= largest_size) {
      largest = SavedCheckpoint{f.string(), *text};
      largest_size = cp->size;
    }
  }
  if (!largest) return Fail(Bad(dir / kCheckpoints, "no signed checkpoint"));
  if (!opts.extends) opts.extends = largest;

  auto rep = VerifyBundleFile((dir / kLedger).string(), opts);
  if (!rep) return Fail(rep.error());

  const auto reports = FilesIn(dir / kReports);
  if (reports.empty()) return Fail(Bad(dir / kReports, "no report"));
  for (const auto& f : reports) TG_TRY(CheckReport(f, *rep));
  return rep;
}

}  // namespace tollgate::ledger
