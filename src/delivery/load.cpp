// Reading delivery events back from the ledger, fast: a report over a
// million events reads every body, so bodies are parsed with simdjson (DOM,
// one reused parser) instead of building nlohmann trees.
#include <simdjson.h>

#include <limits>

#include "delivery/dora.h"
#include "ledger/ledger.h"

namespace tollgate::delivery {
namespace {

using simdjson::dom::element;

Result<std::string_view> Text(element obj, const char* name, bool required, const WhereFn& where) {
  auto v = obj[name];
  if (v.error() == simdjson::NO_SUCH_FIELD) {
    if (required) return Fail(Error::Input(where() + ": missing \"" + name + "\""));
    return std::string_view();
  }
  std::string_view s;
  if (v.get(s) != simdjson::SUCCESS) return Fail(Error::Input(where() + ": \"" + name + "\" must be a string"));
  if (required && s.empty()) return Fail(Error::Input(where() + ": \"" + name + "\" must not be empty"));
  return s;
}

Result<Millis> TimeOf(element obj, const char* name, const WhereFn& where) {
  auto s = Text(obj, name, true, where);
  if (!s) return Fail(s.error());
  auto t = ParseTime(*s);
  if (!t) return Fail(t.error().WithContext(where() + ": \"" + name + "\""));
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
  auto visit = [&](const ledger::StoredEntry& e) -> bool {
    bool deploy = e.type == "deploy";
    if (!deploy && e.type != "incident") return true;
    seq = e.seq;
    buf.assign(e.body);
    buf.resize(e.body.size() + simdjson::SIMDJSON_PADDING);
    element doc;
    if (parser.parse(buf.data(), e.body.size(), false).get(doc) != simdjson::SUCCESS) {
      status = Fail(Error::Integrity(where() + ": the body is not JSON"));
      return false;
    }
    auto fail = [&](const Error& err) {
      status = Fail(err);
      return false;
    };
    if (deploy) {
      DeployView v;
      auto id = Text(doc, "id", true, where);
      auto service = Text(doc, "service", true, where);
      auto env = Text(doc, "env", true, where);
      auto commit = Text(doc, "commit", true, where);
      auto st = Text(doc, "status", false, where);
      for (auto* r : {&id, &service, &env, &commit, &st})
        if (!*r) return fail(r->error());
      auto t = TimeOf(doc, "time", where);
      if (!t) return fail(t.error());
      v.id = *id;
      v.service = *service;
      v.env = *env;
      v.commit = *commit;
      v.success = st->empty() || *st == "success";
      v.time = *t;
      change_times.clear();
      auto changes = doc["changes"];
      if (changes.error() == simdjson::SUCCESS) {
        simdjson::dom::array arr;
        if (changes.get(arr) != simdjson::SUCCESS) return fail(Error::Input(where() + ": \"changes\" must be an array"));
        v.changes_known = true;
        for (element c : arr) {
          auto ct = TimeOf(c, "time", where);
          if (!ct) return fail(ct.error());
          change_times.push_back(*ct);
        }
      }
      v.change_times = change_times.data();
      v.change_count = change_times.size();
      if (auto s = log.AddDeploy(v, where, no_future); !s) return fail(s.error());
      return true;
    }
    IncidentView v;
    auto action = Text(doc, "action", true, where);
    auto id = Text(doc, "id", true, where);
    auto service = Text(doc, "service", true, where);
    auto caused = Text(doc, "caused_by", false, where);
    for (auto* r : {&action, &id, &service, &caused})
      if (!*r) return fail(r->error());
    auto t = TimeOf(doc, "time", where);
    if (!t) return fail(t.error());
    v.open = *action == "open";
    v.id = *id;
    v.service = *service;
    v.caused_by = *caused;
    v.time = *t;
    if (auto s = log.AddIncident(v, where, no_future); !s) return fail(s.error());
    return true;
  };
  TG_TRY(ledger.Scan(0, 0, "", visit));
  TG_TRY(status);
  return log.Finish();
}

}  // namespace tollgate::delivery
