// Catalog: services registered from Backstage catalog-info.yaml files
// (issue 17, the portal's Catalog page). A source is a directory (every
// catalog-info.yaml below it, .git skipped); each source is parsed whole and
// reconciled as a unit: a source with any error keeps its last good
// components, one that parses replaces them (removed components disappear).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"

namespace tollgate::catalog {

inline constexpr std::string_view kApiVersion = "backstage.io/v1alpha1";
inline constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;  // one catalog-info.yaml

struct Component {
  std::string name;
  std::string ns = "default";  // metadata.namespace
  std::string owner, lifecycle, system, type, description;
  std::map<std::string, std::string> annotations;
  std::string file;  // where it is declared
  std::size_t line = 0;
};

// A document of another kind (API, System, Group...): counted, not an error.
struct Skipped {
  std::string kind, name, file;
  std::size_t line = 0;
};

struct Parsed {
  std::vector<Component> components;
  std::vector<Skipped> skipped;
  std::vector<std::string> errors;  // "file:line: problem"
  bool ok() const { return errors.empty(); }
};

// {"components":[{name, namespace, owner, lifecycle, system, type,
// description, annotations, file, line}], "skipped":[{kind, name, file,
// line}], "errors":["file:line: problem"], "ok": bool}
Json ToJson(const Parsed& parsed);
// One line per component ("name  owner  lifecycle  system  file:line"), one
// per skipped kind count, then the errors; for people.
std::string ToText(const Parsed& parsed);

// Backstage's rule for metadata.name: 1-63 characters of [a-zA-Z0-9-_.],
// starting and ending with a letter or digit.
bool ValidName(std::string_view name);

// Adds the documents of one catalog-info.yaml text to `into`. A duplicate
// component name (same namespace) within `into` is an error.
void ParseText(std::string_view text, const std::string& file, Parsed& into);

// Every catalog-info.yaml under `dir` (or the file itself), in path order.
// A missing directory, or an unreadable or oversize file, is an error.
Parsed ParseDirectory(const std::string& dir);

// The reconciled state of one source.
struct SourceState {
  std::string name;
  std::vector<Component> components;  // the last good ones
  std::string refreshed_at;           // RFC 3339 UTC of the last refresh attempt
  std::string status = "never";       // "ok", "failed" or "never"
  std::string error;                  // the errors of the last refresh, joined by newlines
  std::size_t skipped = 0;            // documents of other kinds at the last good refresh
};

// Applies one refresh's result to a source's state: on success the components
// are replaced (a component no longer declared disappears); on failure the
// last good components stay and the error is recorded. Other sources are not
// touched by construction (one state per source).
void Reconcile(SourceState& state, const Parsed& parsed, const std::string& now);

}  // namespace tollgate::catalog
