// Delivery events: deployments, their changes and incidents (docs/dora.md).
//
// Events are recorded in the evidence ledger as flat JSON objects of type
// "deploy" and "incident" (one line of `tollgate event import` each):
//   {"type":"deploy","id":"d1","service":"payments","env":"prod","commit":"<sha>",
//    "status":"success","time":"2026-01-05T10:00:00Z",
//    "changes":[{"commit":"<sha>","time":"2026-01-04T10:00:00Z"}]}
//   {"type":"incident","action":"open","id":"i1","service":"payments",
//    "time":"...","caused_by":"d1"}
// A deploy without "changes" has an unknown lead time (for example the first
// deploy of a service whose changes come from git): it never inherits the
// history before it.
//
// EventLog holds every recorded deploy and incident in a compact form. It is
// the one place that decides whether a new event fits the history (ids,
// times, open/resolve pairs), so import and report agree on what is valid.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/canonical_json.h"
#include "core/result.h"
#include "core/time.h"

namespace tollgate::delivery {

// Milliseconds since the Unix epoch, UTC. Event times keep millisecond
// precision; finer digits are dropped when an event is read.
using Millis = std::int64_t;

Millis ToMillis(TimePoint t);
TimePoint FromMillis(Millis ms);
// RFC 3339 with a fast path for the form Tollgate writes ("...T10:00:00Z",
// "...T10:00:00.123Z").
Result<Millis> ParseTime(std::string_view text);
std::string FormatTime(Millis ms);

struct Change {
  std::string commit;
  Millis time = 0;
};

struct DeployEvent {
  std::string id;
  std::string service;
  std::string env;
  std::string commit;
  bool success = true;
  Millis time = 0;
  std::optional<std::vector<Change>> changes;  // nullopt: unknown
  std::string source;                          // "github", "gitlab", ... or empty
};

struct IncidentEvent {
  bool open = true;  // false: resolve
  std::string id;
  std::string service;
  Millis time = 0;
  std::string caused_by;  // a deploy id, or empty
  std::string source;
};

// A commit that landed on a service's default branch (from a push webhook):
// {"type":"change","service":"payments","commit":"<sha>","time":"...","ref":"refs/heads/main"}.
// A later deploy of that service without changes (and without --repo) ships
// the changes recorded after its previous successful deploy's commit, up to
// and including its own commit.
struct ChangeEvent {
  std::string service;
  std::string commit;
  Millis time = 0;
  std::string ref;
  std::string source;
};

// The ledger form of an event (the JSON above, times in canonical RFC 3339).
Json ToJson(const DeployEvent& d);
Json ToJson(const IncidentEvent& i);
Json ToJson(const ChangeEvent& c);

// One event read from an import file or the ledger.
struct Event {
  enum class Kind { kDeploy, kIncident, kChange } kind = Kind::kDeploy;
  DeployEvent deploy;
  IncidentEvent incident;
  ChangeEvent change;
};
Json ToJson(const Event& e);

// Reads an event object (the ledger form; unknown members are errors, except
// "seq" when `from_ledger`). `where` ("events.jsonl:3") prefixes messages.
Result<Event> EventFromJson(const Json& j, const std::string& where, bool from_ledger = false);

// Compact records for the metrics. Service and environment names are
// interned: `service` and `env` index EventLog::names().
struct DeployRecord {
  Millis time = 0;
  std::uint32_t service = 0;
  std::uint32_t env = 0;
  bool success = true;
  bool changes_known = false;
  std::uint32_t changes_begin = 0;  // [begin, end) in EventLog::change_times()
  std::uint32_t changes_end = 0;
};

inline constexpr std::int64_t kNoDeploy = -1;

struct IncidentRecord {
  Millis opened = 0;
  Millis resolved = 0;  // valid when is_resolved
  bool is_resolved = false;
  std::uint32_t service = 0;
  std::int64_t caused_by = kNoDeploy;  // index into EventLog::deploys(), or kNoDeploy
};

// A deploy as the EventLog takes it; the views must stay valid for the call.
struct DeployView {
  std::string_view id, service, env, commit;
  bool success = true;
  Millis time = 0;
  bool changes_known = false;
  const Millis* change_times = nullptr;  // `change_count` commit times
  std::size_t change_count = 0;
};

struct IncidentView {
  bool open = true;
  std::string_view id, service, caused_by;
  Millis time = 0;
};

// Names the event in an error message ("events.jsonl:3"); called only when
// there is an error, so the hot path builds no strings.
using WhereFn = std::function<std::string()>;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using NameMap = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

class EventLog {
 public:
  enum class Mode {
    // Every rule is checked as events are added (import): unique deploy ids,
    // monotonic deploy times per service and environment, open before
    // resolve, caused_by naming a known earlier deploy of the same service.
    kStrict,
    // Reading what the ledger already holds for a report: the same rules,
    // except that deploy ids are not indexed; caused_by references are
    // resolved once at the end (Finish), which keeps a million events fast.
    kReport,
  };
  explicit EventLog(Mode mode = Mode::kStrict) : mode_(mode) {}
  Mode mode() const { return mode_; }

  // Adds an event after checking it against the history; on error the log
  // is unchanged. `now` bounds event times (no event may lie more than five
  // minutes in the future).
  Status Add(const Event& e, const std::string& where, Millis now);
  Status AddDeploy(const DeployView& d, const WhereFn& where, Millis now);
  Status AddIncident(const IncidentView& i, const WhereFn& where, Millis now);
  // A pushed commit; the same commit twice for one service is an error (a replayed delivery).
  Status AddChange(std::string_view service, std::string_view commit, Millis time, const WhereFn& where, Millis now);
  // Resolves deferred caused_by references (kReport); a no-op in kStrict.
  Status Finish();

  const std::vector<DeployRecord>& deploys() const { return deploys_; }
  const std::vector<IncidentRecord>& incidents() const { return incidents_; }
  const std::vector<Millis>& change_times() const { return change_times_; }
  const std::vector<std::string>& names() const { return names_; }
  // Index of a name, if any event used it.
  std::optional<std::uint32_t> Find(std::string_view name) const;

  // The commit of the last successful deploy of (service, env), if any: where
  // git's list of changes for the next deploy starts. kStrict only (a report
  // does not keep commits).
  std::optional<std::string> LastSuccessfulCommit(std::string_view service, std::string_view env) const;

  // The changes a deploy of `commit` to (service, env) ships according to the
  // recorded change events: those after the previous successful deploy's
  // commit up to and including `commit`. Unknown (nullopt) when either commit
  // was never recorded as a change, or there is no previous successful deploy.
  std::optional<std::vector<Change>> ChangesFromLog(std::string_view service, std::string_view env,
                                                    std::string_view commit) const;

 private:
  std::uint32_t Intern(std::string_view name);
  static std::uint64_t StreamKey(std::uint32_t service, std::uint32_t env) {
    return (std::uint64_t{service} << 32) | env;
  }

  Mode mode_;
  std::vector<DeployRecord> deploys_;
  std::vector<IncidentRecord> incidents_;
  std::vector<Millis> change_times_;
  std::vector<std::string> names_;
  std::vector<std::uint8_t> is_service_;  // by name index: some deploy names it as its service
  NameMap name_index_;
  NameMap deploy_by_id_;                                                  // kStrict
  std::vector<std::pair<std::string, std::size_t>> pending_causes_;       // kReport: (deploy id, incident)
  std::string deploy_id_arena_;                                           // kReport: every id, back to back
  std::vector<std::uint32_t> deploy_id_ends_;                             // kReport: end of each id in the arena
  std::unordered_map<std::string, std::size_t> incident_by_key_;         // service '\0' id -> index
  // Per stream (service, environment): the time of its last deploy and the
  // commit of its last successful one.
  struct Stream {
    Millis last_time = 0;
    std::string last_success_commit;
  };
  std::unordered_map<std::uint64_t, Stream> streams_;
  // Per service: recorded changes in order, and where each commit is.
  struct ChangeLog {
    std::vector<Change> changes;
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> index;
  };
  std::unordered_map<std::string, ChangeLog, StringHash, std::equal_to<>> change_logs_;
};

// Import file formats. kJsonLines and kCsv are Tollgate's own; the others are
// real webhook payloads of those providers (one payload per file, or one per
// line), see docs/dora.md.
enum class ImportFormat { kAuto, kJsonLines, kCsv, kGithub, kGitlab, kPagerDuty };
Result<ImportFormat> ParseImportFormat(std::string_view name);

struct ImportOptions {
  ImportFormat format = ImportFormat::kAuto;
  std::string service;  // overrides the service of every event (webhooks name repositories)
};

struct ImportResult {
  std::vector<Event> events;
  std::vector<std::string> wheres;  // "file:line" of each event, for later errors
  std::vector<std::string> notes;   // payloads that are not deploys or incidents, and why they were skipped
};

// Reads every event of an import file. Errors name the file and line
// ("events.csv:4: ..."). Nothing is checked against the history here: that is
// EventLog's job.
Result<ImportResult> ReadImportText(std::string_view text, const std::string& file, const ImportOptions& opts);
Result<ImportResult> ReadImportFile(const std::string& path, const ImportOptions& opts);

// Commits between the previous successful deploy and `to` (DevLake's rule):
// those reachable from `to` and not from `from`, with committer times, only
// commits touching one of `paths` when any are given (a monorepo's service).
// With no `from` (the first deploy) the changes are unknown: nullopt.
Result<std::optional<std::vector<Change>>> ChangesFromGit(const std::string& repo, const std::optional<std::string>& from,
                                                          const std::string& to, const std::vector<std::string>& paths);

}  // namespace tollgate::delivery
