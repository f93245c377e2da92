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

Status LoadEvents(ledger::Ledger& ledger, EventLog& log, std::uint64_t from) {
  simdjson::dom::parser parser;
  std::string buf;  // the body with simdjson's padding after it
  std::vector<Millis> change_times;
  std::vector<std::string_view> change_commits;
  const Millis no_future = std::numeric_limits<Millis>::max() / 2;
  Status status = Ok();
  std::uint64_t seq = 0;
  // Problems are listed by entry, so their reasons do not repeat it.
  WhereFn where = [] { return std::string(); };
  auto visit = [&](std::uint64_t s, std::string_view type, std::string_view body) -> bool {
    seq = s;
    // An event that cannot be used is skipped and listed, never fatal.
    auto skip = [&](const Error& err) {
      std::string reason = err.message();
      if (reason.rfind(": ", 0) == 0) reason.erase(0, 2);
      log.AddProblem(seq, std::move(reason));
      return true;
    };
    auto duplicate = [&](Result<Added> r, const char* what) {
      if (!r) return skip(r.error());
      if (*r == Added::kDuplicate)
        log.AddProblem(seq, std::string("the same ") + what + " as an earlier entry: counted once");
      return true;
    };
    if (buf.size() < body.size() + simdjson::SIMDJSON_PADDING) buf.resize(body.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(buf.data(), body.data(), body.size());
    simdjson::dom::object obj;
    // Only a damaged store can hold these: the ledger writes canonical JSON
    // objects and the type column from the body (`ledger verify` finds them).
    if (parser.parse(buf.data(), body.size(), false).get(obj) != simdjson::SUCCESS) {
      status = Fail(Error::Integrity("ledger entry " + std::to_string(seq) + ": the body is not a JSON object"));
      return false;
    }
    Fields f;
    if (!ReadFields(obj, f)) return skip(Error::Input("\"" + std::string(f.bad) + "\" has the wrong type"));
    if (f.type != type) {
      status = Fail(Error::Integrity("ledger entry " + std::to_string(seq) + ": the type column does not match the body"));
      return false;
    }
    // Every required member that is missing, then the time.
    std::vector<std::pair<std::string_view, const char*>> required;
    if (type == "change") required = {{f.service, "service"}, {f.commit, "commit"}};
    else if (type == "deploy") required = {{f.id, "id"}, {f.service, "service"}, {f.env, "env"}, {f.commit, "commit"}};
    else required = {{f.action, "action"}, {f.id, "id"}, {f.service, "service"}};
    required.emplace_back(f.time, "time");
    std::string missing;
    for (auto [v, name] : required)
      if (v.empty()) missing += std::string(missing.empty() ? "" : ", ") + "\"" + name + "\"";
    if (!missing.empty()) return skip(Error::Input("missing or empty " + missing));
    auto t = TimeOf(f.time, where);
    if (!t) return skip(t.error());
    if (type == "change") {
      return duplicate(log.AddChange(ChangeView{f.service, f.commit, *t, seq}, where, no_future), "change");
    }
    if (type == "deploy") {
      if (!f.status.empty() && f.status != "success" && f.status != "failure")
        return skip(Error::Input("\"status\" must be \"success\" or \"failure\""));
      DeployView v;
      v.id = f.id;
      v.service = f.service;
      v.env = f.env;
      v.commit = f.commit;
      v.success = f.status.empty() || f.status == "success";
      v.time = *t;
      v.seq = seq;
      change_times.clear();
      change_commits.clear();
      if (f.has_changes) {
        v.changes_known = true;
        for (element c : f.changes) {
          std::string_view ct, cc;
          if (c["time"].get(ct) != simdjson::SUCCESS || c["commit"].get(cc) != simdjson::SUCCESS)
            return skip(Error::Input("a change needs a string \"commit\" and \"time\""));
          auto ms = TimeOf(ct, where);
          if (!ms) return skip(ms.error());
          change_times.push_back(*ms);
          change_commits.push_back(cc);
        }
      }
      v.change_times = change_times.data();
      v.change_commits = change_commits.data();
      v.change_count = change_times.size();
      return duplicate(log.AddDeploy(v, where, no_future), "deploy");
    }
    if (f.action != "open" && f.action != "resolve")
      return skip(Error::Input("\"action\" must be \"open\" or \"resolve\""));
    IncidentView v;
    v.open = f.action == "open";
    v.id = f.id;
    v.service = f.service;
    v.caused_by = f.caused_by;
    v.time = *t;
    v.seq = seq;
    return duplicate(log.AddIncident(v, where, no_future), "incident event");
  };
  TG_TRY(ledger.ScanBodies({"deploy", "incident", "change"}, visit, from));
  TG_TRY(status);
  return log.Finish();
}

}  // namespace tollgate::delivery
