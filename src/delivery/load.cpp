// Reading delivery events back from the ledger, fast: a report over a
// million events reads every body, so bodies are parsed with simdjson (DOM,
// one reused parser) instead of building nlohmann trees.
#include <simdjson.h>

#include <cstring>
#include <limits>

#include "delivery/dora.h"
#include "ledger/ledger.h"

namespace tollgate::delivery {
namespace {

using simdjson::dom::element;

// The members of one event body, read in a single pass over the object.
struct Fields {
  std::string_view type, id, service, env, commit, status, time, action, caused_by;
  bool has_changes = false;
  simdjson::dom::array changes;
  std::string_view bad;  // a member that is not a string where one must be
};

bool ReadFields(simdjson::dom::object obj, Fields& f) {
  for (auto field : obj) {
    std::string_view k = field.key;
    std::string_view* slot = nullptr;
    if (k == "id") slot = &f.id;
    else if (k == "service") slot = &f.service;
    else if (k == "env") slot = &f.env;
    else if (k == "commit") slot = &f.commit;
    else if (k == "status") slot = &f.status;
    else if (k == "time") slot = &f.time;
    else if (k == "action") slot = &f.action;
    else if (k == "caused_by") slot = &f.caused_by;
    else if (k == "type") slot = &f.type;
    else if (k == "changes") {
      if (field.value.get(f.changes) != simdjson::SUCCESS) {
        f.bad = "changes";
        return false;
      }
      f.has_changes = true;
      continue;
    }
    if (slot == nullptr) continue;  // seq, source, and members added later
    if (field.value.get(*slot) != simdjson::SUCCESS) {
      f.bad = k;
      return false;
    }
  }
  return true;
}

Status Require(std::string_view v, const char* name, const WhereFn& where) {
  if (v.empty()) return Fail(Error::Input(where() + ": missing or empty \"" + name + "\""));
  return Ok();
}

Result<Millis> TimeOf(std::string_view text, const WhereFn& where) {
  TG_TRY(Require(text, "time", where));
  auto t = ParseTime(text);
  if (!t) return Fail(t.error().WithContext(where() + ": \"time\""));
  return *t;
}

}  // namespace

Status LoadEvents(ledger::Ledger& ledger, EventLog& log) {
  simdjson::dom::parser parser;
  std::string buf;  // the body with simdjson's padding after it
  std::vector<Millis> change_times;
  const Millis no_future = std::numeric_limits<Millis>::max() / 2;
  Status status = Ok();
  std::uint64_t seq = 0;
  WhereFn where = [&seq] { return "ledger entry " + std::to_string(seq); };
  auto visit = [&](std::uint64_t s, std::string_view type, std::string_view body) -> bool {
    seq = s;
    auto fail = [&](const Error& err) {
      status = Fail(err);
      return false;
    };
    if (buf.size() < body.size() + simdjson::SIMDJSON_PADDING) buf.resize(body.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buf.data(), body.data(), body.size());
    simdjson::dom::object obj;
    if (parser.parse(buf.data(), body.size(), false).get(obj) != simdjson::SUCCESS)
      return fail(Error::Integrity(where() + ": the body is not a JSON object"));
    Fields f;
    if (!ReadFields(obj, f)) return fail(Error::Input(where() + ": \"" + std::string(f.bad) + "\" has the wrong type"));
    if (f.type != type) return fail(Error::Integrity(where() + ": the type column does not match the body"));
    auto t = TimeOf(f.time, where);
    if (!t) return fail(t.error());
    if (type == "change") {
      for (auto [v, name] : {std::pair{f.service, "service"}, {f.commit, "commit"}})
        if (auto r = Require(v, name, where); !r) return fail(r.error());
      if (auto r = log.AddChange(f.service, f.commit, *t, where, no_future); !r) return fail(r.error());
      return true;
    }
    if (type == "deploy") {
      for (auto [v, name] : {std::pair{f.id, "id"}, {f.service, "service"}, {f.env, "env"}, {f.commit, "commit"}})
        if (auto r = Require(v, name, where); !r) return fail(r.error());
      DeployView v;
      v.id = f.id;
      v.service = f.service;
      v.env = f.env;
      v.commit = f.commit;
      v.success = f.status.empty() || f.status == "success";
      v.time = *t;
      change_times.clear();
      if (f.has_changes) {
        v.changes_known = true;
        for (element c : f.changes) {
          std::string_view ct;
          if (c["time"].get(ct) != simdjson::SUCCESS)
            return fail(Error::Input(where() + ": a change needs a string \"time\""));
          auto ms = TimeOf(ct, where);
          if (!ms) return fail(ms.error());
          change_times.push_back(*ms);
        }
      }
      v.change_times = change_times.data();
      v.change_count = change_times.size();
      if (auto r = log.AddDeploy(v, where, no_future); !r) return fail(r.error());
      return true;
    }
    for (auto [v, name] : {std::pair{f.action, "action"}, {f.id, "id"}, {f.service, "service"}})
      if (auto r = Require(v, name, where); !r) return fail(r.error());
    if (f.action != "open" && f.action != "resolve")
      return fail(Error::Input(where() + ": \"action\" must be \"open\" or \"resolve\""));
    IncidentView v;
    v.open = f.action == "open";
    v.id = f.id;
    v.service = f.service;
    v.caused_by = f.caused_by;
    v.time = *t;
    if (auto r = log.AddIncident(v, where, no_future); !r) return fail(r.error());
    return true;
  };
  // Change events matter only when recording (they become deploys' changes);
  // a report reads the deploys, which carry them.
  std::vector<std::string> types{"deploy", "incident"};
  if (log.mode() == EventLog::Mode::kStrict) types.push_back("change");
  TG_TRY(ledger.ScanBodies(types, visit));
  TG_TRY(status);
  return log.Finish();
}

}  // namespace tollgate::delivery
