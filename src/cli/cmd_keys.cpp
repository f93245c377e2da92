// tollgate keys gen: Ed25519 key pairs for checkpoints, waivers and approvals.
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "core/signing.h"

namespace tollgate::cli {
namespace {

struct KeysGenArgs {
  std::string out;
  std::string name;
  bool force = false;
};

int RunKeysGen(const KeysGenArgs& a) {
  namespace fs = std::filesystem;
  std::string pub = a.out + ".pub";
  if (!a.force && (fs::exists(a.out) || fs::exists(pub)))
    return Report(Error::Input(a.out + ": already exists (use --force to replace it)"));
  std::string name = a.name;
  if (name.empty()) name = fs::path(a.out).stem().string();
  if (name.empty()) name = "tollgate";
  auto key = SignerKey::Generate(name);
  if (!key) return Report(key.error());
  auto parent = fs::path(a.out).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (auto s = WriteFileAtomic(a.out, key->ToString() + "\n", 0600); !s) return Report(s.error());
  if (auto s = WriteFileAtomic(pub, key->verifier().ToString() + "\n", 0644); !s) return Report(s.error());
  std::cout << "private key: " << a.out << " (keep it secret)\n"
            << "public key:  " << pub << "\n"
            << key->verifier().ToString() << "\n";
  return 0;
}

}  // namespace

void RegisterKeys(CLI::App& app, Context& ctx) {
  auto* keys = app.add_subcommand("keys", "Manage Ed25519 signing keys");
  keys->require_subcommand(1);
  auto args = std::make_shared<KeysGenArgs>();
  auto* gen = keys->add_subcommand("gen", "Write a new key pair: FILE (private, mode 0600) and FILE.pub (public)");
  gen->add_option("--out", args->out, "Private key file; the public key goes to FILE.pub")->required();
  gen->add_option("--name", args->name, "Key name shown in signatures (default: the file's stem)");
  gen->add_flag("--force", args->force, "Replace existing files");
  gen->callback([&ctx, args] { ctx.action = [args] { return RunKeysGen(*args); }; });
}

}  // namespace tollgate::cli
