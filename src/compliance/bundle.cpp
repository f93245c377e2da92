// The audit bundle directory (`tollgate report bundle`): reports, the ledger
// export, checkpoints, public keys and each entry's stored bytes, written to a
// temporary directory that becomes the output only when complete.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "compliance/compliance.h"
#include "core/file.h"

namespace tollgate::compliance {
namespace {

namespace fs = std::filesystem;
namespace bd = ledger::bundle_dir;

// Removes the temporary directory unless released.
struct TempDirGuard {
  fs::path path;
  ~TempDirGuard() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Status WriteBytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Fail(Error::Io(path.string() + ": cannot write"));
  return Ok();
}

// A file name for a key: its name when that is a plain file name, else
// "key"; its key id added when another key took the name.
std::string KeyFileName(const VerifierKey& k, std::map<std::string, std::string>& taken) {
  std::string base = k.name();
  bool plain = !base.empty() && base[0] != '.' && base.size() <= 64;
  for (char c : base)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) plain = false;
  if (!plain) base = "key";
  char id[16];
  std::snprintf(id, sizeof id, "%08x", k.key_id());
  std::string name = base + ".pub";
  if (auto it = taken.find(name); it != taken.end() && it->second != k.ToString()) name = base + "." + id + ".pub";
  taken[name] = k.ToString();
  return name;
}

// Writes the keys (verifier key texts) into `sub`, one .pub file each.
Status WriteKeys(const fs::path& sub, const std::vector<std::string>& keys) {
  fs::create_directories(sub);
  std::map<std::string, std::string> taken;
  for (const auto& text : keys) {
    auto k = VerifierKey::Parse(text);
    if (!k) return Fail(Error::Integrity("ledger: a recorded key does not parse: " + k.error().message()));
    TG_TRY(WriteBytes(sub / KeyFileName(*k, taken), k->ToString() + "\n"));
  }
  return Ok();
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Everything but the rename, into `tmp`.
Result<BundleSummary> Fill(ledger::Ledger& ledger, const Library& library, const BundleOptions& opt, const fs::path& tmp) {
  BundleSummary summary;
  // The reports first: they name the size and root the export must match.
  auto evidence = BuildEvidence(ledger, opt.period);
  if (!evidence) return Fail(evidence.error());
  const Json& status = (*evidence)["ledger"];
  if (!status.value("verified", false))
    return Fail(Error::Integrity("the ledger failed verification (" + status.value("error", std::string()) +
                                 "): no bundle was written"));
  const std::uint64_t size = status.value("size", std::uint64_t{0});
  const std::string root = status.value("root", std::string());
  fs::create_directories(tmp / bd::kReports);
  for (const auto& id : opt.frameworks) {
    const Framework* fw = library.Find(id);
    if (fw == nullptr) return Fail(Error::Input("unknown framework '" + id + "' (one of: " + library.FrameworkIds() + ")"));
    auto report = Assess(library, *fw, *evidence);
    if (!report) return Fail(report.error());
    const fs::path base = tmp / bd::kReports / fw->id;
    TG_TRY(WriteBytes(base.string() + ".json", ReportText(*report)));
    TG_TRY(WriteBytes(base.string() + ".oscal.json", ToOscal(*report, opt.generated).dump(2) + "\n"));
    TG_TRY(WriteBytes(base.string() + ".html", ToHtml(*report, opt.generated)));
    ++summary.reports;
  }
  *evidence = Json();

  // The export, then each entry's stored bytes, streamed.
  auto exported = ledger.ExportToFile((tmp / bd::kLedger).string());
  if (!exported) return Fail(exported.error());
  if (exported->size != size)
    return Fail(Error::Io("the ledger grew from " + std::to_string(size) + " to " + std::to_string(exported->size) +
                          " entries while the bundle was written: run it again"));
  fs::create_directories(tmp / bd::kEntries);
  std::vector<std::string> signers;
  Status problem = Ok();
  if (size > 0) {
    TG_TRY(ledger.Scan(0, size, "", [&](const ledger::StoredEntry& e) {
      problem = WriteBytes(tmp / bd::EntryFile(e.seq), e.body);
      // Waivers, approvals and baselines carry their signer's public key.
      if (problem && (e.type == "waiver" || e.type == "approval" || e.type == "baseline")) {
        auto body = ParseJson(e.body, "entry");
        if (body && body->is_object() && body->contains("key") && (*body)["key"].is_string())
          AddUnique(signers, (*body)["key"].get<std::string>());
      }
      return static_cast<bool>(problem);
    }));
  }
  TG_TRY(problem);

  auto cps = ledger.Checkpoints();
  if (!cps) return Fail(cps.error());
  std::vector<std::string> ledger_keys;
  fs::create_directories(tmp / bd::kCheckpoints);
  std::map<std::uint64_t, int> at_size;
  for (const auto& c : *cps) {
    if (c.size > size) continue;
    char name[48];
    const int k = at_size[c.size]++;
    if (k == 0) std::snprintf(name, sizeof name, "%09llu.txt", static_cast<unsigned long long>(c.size));
    else std::snprintf(name, sizeof name, "%09llu.%d.txt", static_cast<unsigned long long>(c.size), k);
    TG_TRY(WriteBytes(tmp / bd::kCheckpoints / name, c.note));
    AddUnique(ledger_keys, c.key);
    ++summary.checkpoints;
  }
  if (summary.checkpoints == 0)
    return Fail(Error::Input("the ledger has no signed checkpoint: sign one first (tollgate ledger checkpoint --key FILE)"));
  TG_TRY(WriteKeys(tmp / bd::kLedgerKeys, ledger_keys));
  TG_TRY(WriteKeys(tmp / bd::kSignerKeys, signers));
  summary.keys = ledger_keys.size() + signers.size();

  auto manifest = bd::Manifest(tmp.string());
  if (!manifest) return Fail(manifest.error());
  TG_TRY(WriteBytes(tmp / bd::kManifest, *manifest));
  summary.size = size;
  summary.root = root;
  return summary;
}

}  // namespace

Result<BundleSummary> WriteBundle(ledger::Ledger& ledger, const Library& library, const BundleOptions& opt) {
  if (opt.frameworks.empty()) return Fail(Error::Input("--framework is required"));
  for (const auto& id : opt.frameworks)
    if (library.Find(id) == nullptr)
      return Fail(Error::Input("unknown framework '" + id + "' (one of: " + library.FrameworkIds() + ")"));
  const fs::path out = fs::path(opt.output).lexically_normal();
  if (out.empty() || out.filename().empty()) return Fail(Error::Input("--output: not a directory name: " + opt.output));
  std::error_code ec;
  const auto st = fs::symlink_status(out, ec);
  const bool exists = fs::exists(st);
  if (exists && !fs::is_directory(st)) return Fail(Error::Input(opt.output + ": exists and is not a directory"));
  if (exists && !fs::is_empty(out, ec) && !opt.force)
    return Fail(Error::Input(opt.output + ": exists and is not empty (--force replaces it)"));

  // The temporary directory sits beside the output, so the rename is atomic.
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::string tmpl = (parent / ("." + out.filename().string() + ".tmp-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) return Fail(Error::Io(parent.string() + ": cannot create a temporary directory"));
  TempDirGuard guard{tmpl};
  auto summary = Fill(ledger, library, opt, guard.path);
  if (!summary) return summary;
  fs::permissions(guard.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec, ec);

  if (exists) {
    // An empty directory is replaced by rename; a full one (--force) is moved
    // aside first and removed once the new bundle is in place.
    std::string old = (parent / ("." + out.filename().string() + ".old-XXXXXX")).string();
    if (mkdtemp(old.data()) == nullptr) return Fail(Error::Io(parent.string() + ": cannot create a temporary directory"));
    fs::remove(old, ec);
    fs::rename(out, old, ec);
    if (ec) return Fail(Error::Io(opt.output + ": cannot move aside: " + ec.message()));
    fs::rename(guard.path, out, ec);
    if (ec) {
      std::error_code ec2;
      fs::rename(old, out, ec2);
      return Fail(Error::Io(opt.output + ": " + ec.message()));
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(guard.path, out, ec);
    if (ec) return Fail(Error::Io(opt.output + ": " + ec.message()));
  }
  guard.path.clear();
  return summary;
}

}  // namespace tollgate::compliance
