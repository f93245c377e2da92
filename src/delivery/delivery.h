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
#include <memory>
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
  std::uint64_t seq = 0;  // the ledger entry it was read from (kNoSeq for a new event)
};

inline constexpr std::int64_t kNoDeploy = -1;
// An incident whose caused_by cannot be used (no such deploy, another
// service's, or one after it opened): it marks no deploy failed.
inline constexpr std::int64_t kUnusableCause = -2;
inline constexpr std::uint64_t kNoSeq = UINT64_MAX;

struct IncidentRecord {
  Millis opened = 0;    // valid when has_open
  Millis resolved = 0;  // valid when is_resolved
  bool has_open = false;
  bool is_resolved = false;
  std::uint32_t service = 0;
  std::int64_t caused_by = kNoDeploy;  // index into EventLog::deploys() (after Finish), kNoDeploy or kUnusableCause
  std::uint64_t open_seq = kNoSeq, resolve_seq = kNoSeq;
};

// A deploy as the EventLog takes it; the views must stay valid for the call.
struct DeployView {
  std::string_view id, service, env, commit;
  bool success = true;
  Millis time = 0;
  bool changes_known = false;
  const Millis* change_times = nullptr;                // `change_count` commit times
  const std::string_view* change_commits = nullptr;   // and their commits
  std::size_t change_count = 0;
  std::uint64_t seq = kNoSeq;
};

struct IncidentView {
  bool open = true;
  std::string_view id, service, caused_by;
  Millis time = 0;
  std::uint64_t seq = kNoSeq;
};

struct ChangeView {
  std::string_view service, commit;
  Millis time = 0;
  std::uint64_t seq = kNoSeq;
};

// Names the event in an error message ("events.jsonl:3"); called only when
// there is an error, so the hot path builds no strings.
using WhereFn = std::function<std::string()>;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using NameMap = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

// A delivery entry of the ledger that a report or a check cannot use, and
// why. It is skipped, never fatal: an append-only log cannot be repaired, so
// one bad entry must not stop every later report (issue 14 item 8).
struct Problem {
  std::uint64_t seq = 0;  // the ledger entry
  std::string reason;
};

// What EventLog::Add made of an event.
enum class Added {
  kNew,        // recorded in the log
  kDuplicate,  // the log already holds it (a replayed delivery): nothing new
  kRefined,    // a deploy the log holds with unknown changes; its changes are now known
};

// Every deploy, incident and pushed change, in any order of arrival: the
// metrics are computed by event time, so events may arrive late (webhook
// retries, two providers, backfills). Each event is identified by its id
// (deploys), service and id (incidents) or service and commit (changes). The
// same event twice is a duplicate (idempotent); the same identity with other
// content is an error, except that a deploy recorded with unknown changes may
// later be given them (a refinement).
class EventLog {
 public:
  enum class Mode {
    // Checking new events against the history (import, event deploy):
    // keeps what the rules need (ids, facts, digests of changes, incident
    // states), not the report's details, in a temporary database on disk
    // beyond its page cache, so memory does not grow with the history.
    // deploys(), incidents() and names() stay empty.
    kStrict,
    // Reading the ledger for a report: keeps everything in memory; Finish()
    // orders the deploys by time and derives what depends on other events.
    kReport,
  };
  // kStrict's index keeps at most `strict_cache_bytes` of its pages in
  // memory (the rest is in its temporary file, read back as needed).
  static constexpr std::size_t kStrictCacheBytes = std::size_t{24} << 20;
  explicit EventLog(Mode mode = Mode::kStrict, std::size_t strict_cache_bytes = kStrictCacheBytes);
  ~EventLog();
  EventLog(EventLog&&) noexcept;
  EventLog& operator=(EventLog&&) noexcept;
  Mode mode() const { return mode_; }

  // kStrict, before the first Add: also answer PreviousSuccess/NextSuccess
  // (changes from git).
  void KeepCommits();

  // Adds an event after checking it against the log; on error the log is
  // unchanged. `now` bounds event times (no event may lie more than five
  // minutes in the future). Errors: malformed content, a change committed
  // after its deploy, an identity already held with other content, an
  // incident resolved before it was opened, and (kStrict) caused_by naming a
  // known deploy of another service or one after the incident opened.
  Result<Added> Add(const Event& e, const std::string& where, Millis now, std::uint64_t seq = kNoSeq);
  Result<Added> AddDeploy(const DeployView& d, const WhereFn& where, Millis now);
  Result<Added> AddIncident(const IncidentView& i, const WhereFn& where, Millis now);
  Result<Added> AddChange(const ChangeView& c, const WhereFn& where, Millis now);
  // An entry that cannot be used (LoadEvents records those Add refuses).
  void AddProblem(std::uint64_t seq, std::string reason);

  // kReport, after the last Add: orders deploys by (time, id); gives each
  // successful deploy with unknown changes the pushed changes between the
  // previous successful deploy of its stream and its commit; drops changes an
  // earlier successful deploy of the stream already shipped; pairs incidents
  // and resolves caused_by. What cannot be used becomes a problem. A no-op in
  // kStrict; ComputeDora needs a finished kReport log.
  Status Finish();
  bool finished() const { return finished_; }

  const std::vector<DeployRecord>& deploys() const { return deploys_; }
  const std::vector<IncidentRecord>& incidents() const { return incidents_; }
  const std::vector<Millis>& change_times() const { return change_times_; }
  const std::vector<std::string>& names() const { return names_; }
  // Sorted by ledger entry after Finish.
  const std::vector<Problem>& problems() const { return problems_; }
  // Index of a name, if any event used it.
  std::optional<std::uint32_t> Find(std::string_view name) const;
  // Whether a deploy names `service` (in any environment). Fails only if
  // kStrict's index cannot be read.
  Result<bool> IsService(std::string_view service) const;
  // Distinct deploys and incidents added, in either mode.
  std::size_t deploy_count() const { return deploy_count_; }
  std::size_t incident_count() const { return incident_count_; }

  // A successful deploy of a stream (service, environment), for changes from
  // git: the one just before or just after a deploy at `time` with id `id`
  // in (time, id) order. kStrict after KeepCommits() only.
  struct StreamDeploy {
    std::string id, commit;
    Millis time = 0;
    bool changes_known = false;
  };
  Result<std::optional<StreamDeploy>> PreviousSuccess(std::string_view service, std::string_view env, Millis time,
                                                      std::string_view id) const;
  Result<std::optional<StreamDeploy>> NextSuccess(std::string_view service, std::string_view env, Millis time,
                                                  std::string_view id) const;

 private:
  struct Impl;
  std::uint32_t Intern(std::string_view name);
  Result<std::optional<StreamDeploy>> Neighbour(std::string_view service, std::string_view env, Millis time,
                                                std::string_view id, bool next) const;

  Mode mode_;
  bool finished_ = false;
  std::size_t deploy_count_ = 0, incident_count_ = 0;
  std::vector<DeployRecord> deploys_;
  std::vector<IncidentRecord> incidents_;
  std::vector<Millis> change_times_;
  std::vector<std::string> names_;
  std::vector<std::uint8_t> is_service_;  // by name index: some deploy names it as its service
  NameMap name_index_;
  std::vector<Problem> problems_;
  std::unique_ptr<Impl> impl_;  // ids, commits, changes; kStrict's index
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

// Events read one at a time, so that a large file is never held whole.
class EventSource {
 public:
  virtual ~EventSource() = default;
  // The next event and where it comes from ("events.jsonl:3"); false at the end.
  virtual Result<bool> Next(Event& event, std::string& where) = 0;
  // What was skipped and why (a CSV byte order mark, webhook payloads that are no events).
  std::vector<std::string> notes;
};

// GitHub, GitLab and PagerDuty payloads: authenticated and read whole.
bool IsWebhookFormat(ImportFormat format);
inline constexpr std::size_t kMaxPayloadFileBytes = std::size_t{64} << 20;

// Reads every event of an import file. Errors name the file and line
// ("events.csv:4: ..."). Nothing is checked against the history here: that is
// EventLog's job. JSON Lines must not start with a UTF-8 byte order mark
// (refused, as JSON forbids it); CSV may (skipped, with a note). CSV fields
// must be valid UTF-8; a line or record is at most 1 MiB.
Result<ImportResult> ReadImportText(std::string_view text, const std::string& file, const ImportOptions& opts);
Result<ImportResult> ReadImportFile(const std::string& path, const ImportOptions& opts);

// JSON Lines or CSV (opts.format, or by `file`'s extension) read from `fd` as
// the events are taken, in chunks of 1 MiB; the caller keeps `fd` open while
// the source is used, and closes it.
Result<std::unique_ptr<EventSource>> OpenEventStream(int fd, const std::string& file, const ImportOptions& opts);

// Commits between the previous successful deploy and `to` (DevLake's rule):
// those reachable from `to` and not from `from`, with committer times, only
// commits touching one of `paths` when any are given (a monorepo's service).
// With no `from` (the first deploy) the changes are unknown: nullopt.
Result<std::optional<std::vector<Change>>> ChangesFromGit(const std::string& repo, const std::optional<std::string>& from,
                                                          const std::string& to, const std::vector<std::string>& paths);

}  // namespace tollgate::delivery
