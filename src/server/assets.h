// The portal's static assets (issue 17): the script and styles esbuild bundles
// from web/src at build time (cmake/web_bundle.cmake), embedded in the binary
// and served under names carrying their content's hash, so a browser keeps
// them for a year and a new build's are fetched at once. Private to
// src/server; served without a session (they hold no data).
#pragma once

#include <string>

#include "server/server.h"

namespace tollgate::server::assets {

// "/assets/portal.<first 16 hex digits of SHA-256>.js" and "... .css".
const std::string& ScriptPath();
const std::string& StylePath();

// True for paths under /assets/.
bool IsAsset(const std::string& path);

// The answer to a request for an /assets/ path: the file with its type and
// `Cache-Control: public, max-age=31536000, immutable`; 404 for a name that
// is not the current build's, 405 for a method other than GET.
HttpResponse Serve(const HttpRequest& req);

}  // namespace tollgate::server::assets
