// Internal to the secrets scanner: archive members (archive.cpp).
#pragma once

#include <string>
#include <string_view>

#include "scan/secrets/secrets.h"

namespace tollgate::secrets {

// zip, tar, 7z, or a gzip/bzip2/xz/zstd stream, by magic bytes.
bool IsArchive(std::string_view data);

// Scans every regular member (ScanContent, so nested archives recurse up to
// a small depth). Findings name "archive!member". Expansion is bounded: at
// most 100x the archive's size (256 MiB minimum, 4 GiB maximum), 100,000
// members, and --max-file-mb per member; beyond that, an incomplete-scan
// problem in res.problems (path without its repository form: the caller
// fills that in).
void ScanArchive(const Scanner& scanner, std::string_view data, const std::string& name, const ScanOptions& opts,
                 ScanResult& res, int depth);

}  // namespace tollgate::secrets
