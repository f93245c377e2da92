// The portal's embedded script and styles (assets.h).
#include "server/assets.h"

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/embedded.h"

namespace tollgate::server::assets {

// Generated at build time (src/CMakeLists.txt: esbuild, then
// cmake/embed_policies.cmake): "portal.js" and "portal.css".
extern const EmbeddedFile kPortalAssetFiles[];
extern const std::size_t kPortalAssetFileCount;

namespace {

struct Asset {
  std::string path;  // /assets/portal.HASH.js
  std::string content_type;
  std::string_view body;
};

struct Assets {
  Asset script, style;
};

Asset Make(std::string_view name, const char* content_type) {
  for (std::size_t i = 0; i < kPortalAssetFileCount; ++i) {
    if (kPortalAssetFiles[i].name == nullptr || name != kPortalAssetFiles[i].name) continue;
    std::string_view body = kPortalAssetFiles[i].text;
    std::string hash = HexEncode(Sha256(body)).substr(0, 16);
    auto dot = name.rfind('.');
    return Asset{"/assets/" + std::string(name.substr(0, dot)) + "." + hash + std::string(name.substr(dot)), content_type,
                 body};
  }
  // The build embeds both files or fails (cmake/web_bundle.cmake): an absent
  // one is a broken build, and the pages would link to nothing.
  return Asset{"/assets/missing-" + std::string(name), content_type, {}};
}

const Assets& All() {
  static const Assets all{Make("portal.js", "text/javascript; charset=utf-8"), Make("portal.css", "text/css; charset=utf-8")};
  return all;
}

}  // namespace

const std::string& ScriptPath() { return All().script.path; }
const std::string& StylePath() { return All().style.path; }

bool IsAsset(const std::string& path) { return path.rfind("/assets/", 0) == 0; }

HttpResponse Serve(const HttpRequest& req) {
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (req.method != "GET") {
    r.status = 405;
    r.body = "method " + req.method + " not allowed on " + req.path + "\n";
    return r;
  }
  for (const Asset* a : {&All().script, &All().style}) {
    if (a->path != req.path || a->body.empty()) continue;
    r.content_type = a->content_type;
    r.body = std::string(a->body);
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    return r;
  }
  r.status = 404;
  r.body = "no asset " + req.path + " in this build\n";
  return r;
}

}  // namespace tollgate::server::assets
