// tollgate event deploy|change|incident|import, tollgate dora report|levels
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "core/hash.h"
#include "delivery/delivery.h"
#include "delivery/dora.h"
#include "delivery/record.h"
#include "server/client.h"
#include "ledger/ledger.h"

namespace tollgate::cli {
namespace {

using delivery::Millis;

struct DeliveryArgs {
  std::string ledger;
  std::string key;
  std::string server;  // --server URL: record through `tollgate serve`
  // event deploy / incident
  std::string service;
  std::string env;
  std::string commit;
  std::string status = "success";
  std::string time;
  std::string id;
  std::string caused_by;
  std::string ref;
  std::vector<std::string> changes;  // SHA@TIME
  std::string repo;
  std::vector<std::string> paths;
  // event import
  std::string file;
  std::string format;
  std::optional<std::string> signature;
  std::string secret_file;
  std::string webhook_id;
  std::string webhook_timestamp;
  // dora report
  std::string report_env = "prod";
  std::string window = "90d";
  std::string from;
  std::string to;
  std::string by;
  std::string out_format = "text";
  std::string output;
  std::string levels;
  std::string attribution = "24h";
};

// Says what recording did: on stdout how many events were recorded, on
// stderr what was skipped and why.
int Summarize(const Result<delivery::RecordSummary>& r) {
  if (!r) return Report(r.error());
  for (const auto& n : r->notes) std::cerr << "tollgate: note: " << n << "\n";
  if (r->history_problems > 0)
    std::cerr << "tollgate: note: " << r->history_problems << " delivery entr"
              << (r->history_problems == 1 ? "y" : "ies")
              << " of the ledger cannot be used and " << (r->history_problems == 1 ? "was" : "were")
              << " skipped (`tollgate dora report` lists them)\n";
  std::cout << "recorded " << r->recorded << " event" << (r->recorded == 1 ? "" : "s");
  if (r->recorded > 0) std::cout << " (ledger entries " << r->first_seq << ".." << r->last_seq << ")";
  if (r->refined > 0) std::cout << ", of which " << r->refined << " give the changes of deploys recorded before";
  if (r->duplicates > 0)
    std::cout << "; " << r->duplicates << " already recorded (not recorded again)";
  std::cout << "\n";
  return 0;
}

Result<std::unique_ptr<ledger::Ledger>> OpenForWriting(const DeliveryArgs& a, const Clock& clock,
                                                       std::optional<SignerKey>& key) {
  auto k = LoadLedgerKey(a.key);
  if (!k) return Fail(k.error());
  key = std::move(*k);
  return ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kCreate, clock);
}

// Appends `events` and says how many were recorded.
int Record(const DeliveryArgs& a, Result<std::vector<delivery::Event>> events, const std::vector<std::string>& wheres,
           const Clock& clock) {
  if (!events) return Report(events.error());
  if (!a.server.empty()) {
    std::string jsonl;
    for (const auto& e : *events) jsonl += delivery::ToJson(e).dump() + "\n";
    if (jsonl.empty()) {
      std::cout << "recorded 0 events\n";
      return 0;
    }
    const char* token = std::getenv("TOLLGATE_TOKEN");
    auto sent = server::PostEvents(server::Remote{a.server, token ? token : "", ""}, jsonl);
    if (!sent) return Report(sent.error());
    std::cout << "recorded " << sent->recorded << " event" << (sent->recorded == 1 ? "" : "s") << " at " << a.server
              << " (ledger entries " << sent->first << ".." << sent->last << ")\n";
    return 0;
  }
  std::optional<SignerKey> key;
  auto l = OpenForWriting(a, clock, key);
  if (!l) return Report(l.error());
  return Summarize(delivery::RecordEvents(**l, std::move(*events), wheres, delivery::RecordOptions{a.repo, a.paths},
                                          key ? &*key : nullptr, clock.Now()));
}

Result<std::vector<delivery::Event>> One(Result<delivery::Event> e) {
  if (!e) return Fail(e.error());
  return std::vector<delivery::Event>{std::move(*e)};
}

int RunDeploy(const DeliveryArgs& a, const Clock& clock) {
  delivery::DeployInput in{a.service, a.env, a.commit, a.status, a.time, a.id, a.changes};
  return Record(a, One(delivery::MakeDeploy(in, clock.Now())), {"event deploy"}, clock);
}

int RunIncident(const DeliveryArgs& a, bool open, const Clock& clock) {
  return Record(a, One(delivery::MakeIncident(open, a.service, a.id, a.caused_by, a.time, clock.Now())),
                {std::string("event incident ") + (open ? "open" : "resolve")}, clock);
}

int RunChange(const DeliveryArgs& a, const Clock& clock) {
  return Record(a, One(delivery::MakeChange(a.service, a.commit, a.ref, a.time, clock.Now())), {"event change"}, clock);
}

int RunImport(const DeliveryArgs& a, const Clock& clock) {
  auto format = delivery::ParseImportFormat(a.format);
  if (!format) return Report(format.error());
  delivery::ImportRequest req;
  req.path = a.file;
  req.import.format = *format;
  req.import.service = a.service;
  if (!a.secret_file.empty()) {
    auto s = delivery::LoadWebhookSecret(a.secret_file);
    if (!s) return Report(s.error());
    req.secret = std::move(*s);
  }
  req.credentials = delivery::WebhookCredentials{a.signature, a.webhook_id, a.webhook_timestamp};
  req.record = delivery::RecordOptions{a.repo, a.paths};
  if (!a.server.empty()) {
    // Through `tollgate serve`: one request body, so the file is read whole.
    auto read = delivery::ReadAuthenticated(req, clock.Now());
    if (!read) return Report(read.error());
    for (const auto& n : read->notes) std::cerr << "tollgate: note: " << n << "\n";
    return Record(a, std::move(read->events), read->wheres, clock);
  }
  std::optional<SignerKey> key;
  auto l = OpenForWriting(a, clock, key);
  if (!l) return Report(l.error());
  return Summarize(delivery::ImportFile(**l, req, key ? &*key : nullptr, clock.Now()));
}

Result<Millis> ParseDuration(const std::string& text, const std::string& flag) {
  auto d = tollgate::ParseDuration(text);
  if (!d) return Fail(d.error().WithContext(flag));
  return static_cast<Millis>(d->count()) * 1000;
}

int RunReport(const DeliveryArgs& a, bool window_given, const Clock& clock) {
  auto window = delivery::WindowFromFlags(a.from, a.to, a.window, window_given, clock);
  if (!window) return Report(window.error());
  delivery::DoraOptions opts = *window;
  opts.service = a.service;
  opts.env = a.report_env;
  if (a.by == "week") opts.by = delivery::Period::kWeek;
  if (a.by == "month") opts.by = delivery::Period::kMonth;
  auto attribution = ParseDuration(a.attribution, "--attribution-window");
  if (!attribution) return Report(attribution.error());
  opts.attribution_window = *attribution;
  if (opts.to <= opts.from) return Report(Error::Input("the report window is empty: --to must be after --from"));
  auto levels = a.levels.empty() ? delivery::BuiltinLevels() : delivery::ReadLevelsFile(a.levels);
  if (!levels) return Report(levels.error());
  auto l = ledger::Ledger::Open(LedgerLocation(a.ledger), ledger::OpenMode::kExisting, clock);
  if (!l) return Report(l.error());
  delivery::EventLog log(delivery::EventLog::Mode::kReport);
  if (auto s = delivery::LoadEvents(**l, log); !s) return Report(s.error());
  auto r = delivery::ComputeDora(log, opts, *levels);
  if (!r) return Report(r.error());
  std::string body;
  if (a.out_format == "json") body = delivery::DoraToJson(*r).dump(2) + "\n";
  else if (a.out_format == "csv") body = delivery::DoraToCsv(*r);
  else body = delivery::DoraToText(*r);
  if (a.output.empty()) {
    std::cout << body;
    std::cout.flush();
    return std::cout ? 0 : static_cast<int>(ExitCode::kInternal);
  }
  if (auto s = WriteFileAtomic(a.output, body); !s) return Report(s.error());
  if (a.out_format != "text") std::cout << delivery::DoraToText(*r);
  return 0;
}

}  // namespace

void RegisterDelivery(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<DeliveryArgs>();
  const Clock& clock = ctx.clock;
  auto add_ledger = [&](CLI::App* c) {
    c->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
    c->add_option("--key", a->key, "Checkpoint signing key file (default $TOLLGATE_LEDGER_KEY)");
    c->add_option("--server", a->server, "Record through `tollgate serve` at URL (token in $TOLLGATE_TOKEN)");
  };
  auto add_git = [&](CLI::App* c) {
    c->add_option("--repo", a->repo,
                  "Git repository: a deploy without changes gets the commits since the previous successful deploy "
                  "of its service and environment (the first deploy's changes stay unknown)");
    c->add_option("--path", a->paths, "Only commits touching these paths count (a monorepo's service); repeatable");
  };

  auto* event = app.add_subcommand("event", "Record delivery events (deploys, changes, incidents) in the ledger");
  event->require_subcommand(1);

  auto* deploy = event->add_subcommand("deploy", "Record a deployment");
  deploy->add_option("--service", a->service, "Service name")->required();
  deploy->add_option("--env", a->env, "Environment, e.g. prod")->required();
  deploy->add_option("--commit", a->commit, "Deployed commit")->required();
  deploy->add_option("--status", a->status, "success or failure")
      ->check(CLI::IsMember({"success", "failure"}))
      ->capture_default_str();
  deploy->add_option("--time", a->time, "When it finished (RFC 3339; default now)");
  deploy->add_option("--id", a->id, "Deploy id (default derived from service, env, commit and time)");
  deploy->add_option("--change", a->changes, "A change it ships: SHA@RFC3339 (commit time); repeatable");
  add_git(deploy);
  add_ledger(deploy);
  deploy->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunDeploy(*a, clock); }; });

  auto* change = event->add_subcommand("change", "Record a commit that landed on the service's default branch");
  change->add_option("--service", a->service, "Service name")->required();
  change->add_option("--commit", a->commit, "The commit")->required();
  change->add_option("--time", a->time, "Its commit time (RFC 3339; default now)");
  change->add_option("--ref", a->ref, "The branch, e.g. refs/heads/main");
  add_ledger(change);
  change->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunChange(*a, clock); }; });

  auto* incident = event->add_subcommand("incident", "Record that an incident opened or was resolved");
  incident->require_subcommand(1);
  for (const char* action : {"open", "resolve"}) {
    bool open = std::string(action) == "open";
    auto* c = incident->add_subcommand(action, open ? "An incident opened" : "An incident was resolved");
    c->add_option("--service", a->service, "Service name")->required();
    c->add_option("--id", a->id, "Incident id")->required();
    if (open) c->add_option("--caused-by", a->caused_by, "The deploy id that caused it");
    c->add_option("--time", a->time, "When (RFC 3339; default now)");
    add_ledger(c);
    c->callback([&ctx, a, &clock, open] { ctx.action = [a, &clock, open] { return RunIncident(*a, open, clock); }; });
  }

  auto* import = event->add_subcommand("import", "Record every event of a file in one ledger transaction");
  import->add_option("FILE", a->file, "JSON Lines (.jsonl), CSV (.csv) or a provider's webhook payload")->required();
  import->add_option("--format", a->format, "jsonl, csv, github, gitlab or pagerduty (default: by extension)")
      ->check(CLI::IsMember({"jsonl", "json", "csv", "github", "gitlab", "pagerduty"}));
  import->add_option("--service", a->service, "Record every event under this service name");
  import->add_option("--signature", a->signature,
                     "Authenticate the payload first: the X-Hub-Signature-256, X-Gitlab-Token (or webhook-signature) "
                     "or X-PagerDuty-Signature header value");
  import->add_option("--secret-file", a->secret_file, "The webhook secret, for --signature");
  import->add_option("--webhook-id", a->webhook_id, "GitLab signed webhooks: the webhook-id header");
  import->add_option("--webhook-timestamp", a->webhook_timestamp, "GitLab signed webhooks: the webhook-timestamp header");
  add_git(import);
  add_ledger(import);
  import->callback([&ctx, a, &clock] { ctx.action = [a, &clock] { return RunImport(*a, clock); }; });

  auto* dora = app.add_subcommand("dora", "DORA metrics and maturity from the recorded delivery events");
  dora->require_subcommand(1);
  auto* report = dora->add_subcommand("report", "Deployment frequency, lead time, change failure rate, time to restore");
  report->add_option("--service", a->service, "Only this service");
  report->add_option("--env", a->report_env, "Environment whose deploys count")->capture_default_str();
  auto* window = report->add_option("--window", a->window, "The window ending now: 90d, 12w, ...")->capture_default_str();
  report->add_option("--from", a->from, "Window start (RFC 3339 or a date; inclusive)");
  report->add_option("--to", a->to, "Window end (RFC 3339 or a date; exclusive)");
  report->add_option("--by", a->by, "Also per week or month")->check(CLI::IsMember({"week", "month"}));
  report->add_option("--format", a->out_format, "text, json or csv")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->capture_default_str();
  report->add_option("--output,-o", a->output, "Write the report to FILE");
  report->add_option("--levels", a->levels, "Maturity and performance thresholds (JSON; see `dora levels`)");
  report->add_option("--attribution-window", a->attribution,
                     "Attribute an incident without caused_by to a deploy at most this long before it")
      ->capture_default_str();
  report->add_option("--ledger", a->ledger, "Ledger path (default $TOLLGATE_LEDGER or .tollgate/ledger.db)");
  report->callback([&ctx, a, &clock, window] {
    bool window_given = window->count() > 0;
    ctx.action = [a, &clock, window_given] { return RunReport(*a, window_given, clock); };
  });

  auto* levels = dora->add_subcommand("levels", "Print the built-in maturity and performance thresholds (JSON)");
  levels->callback([&ctx] {
    ctx.action = [] {
      std::cout << delivery::BuiltinLevelsJson();
      return 0;
    };
  });
}

}  // namespace tollgate::cli
