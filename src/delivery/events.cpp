// Delivery events: the ledger form, and the rules a new event must satisfy.
#include <algorithm>
#include <charconv>
#include <chrono>

#include "delivery/delivery.h"

namespace tollgate::delivery {
namespace {

// Events may be stamped slightly ahead of our clock (clock skew between the
// CI runner and this host); more than this is an error.
constexpr Millis kFutureSkew = 5 * 60 * 1000;

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (s.size() > 80) out += "...";
  return out + "\"";
}

int Digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z": the form FormatTime writes.
std::optional<Millis> FastParse(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z')
    return std::nullopt;
  int y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2), h = Digits(s, 11, 2), mi = Digits(s, 14, 2),
      se = Digits(s, 17, 2);
  // Outside these years the general parser decides (it refuses what a
  // nanosecond clock cannot hold).
  if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
    return std::nullopt;
  int ms = 0;
  if (s.size() > 20) {
    if (s[19] != '.' || s.size() > 30 || s.size() == 21) return std::nullopt;
    int scale = 100;
    for (std::size_t i = 20; i + 1 < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      ms += (s[i] - '0') * scale;
      scale /= 10;
    }
  } else if (s.size() != 20) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return ((days * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + ms;
}

Result<std::string> StringMember(const Json& j, const char* name, const std::string& where, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return Fail(Error::Input(where + ": missing \"" + name + "\""));
    return std::string();
  }
  if (!it->is_string()) return Fail(Error::Input(where + ": \"" + name + "\" must be a string"));
  const auto& s = it->get_ref<const std::string&>();
  if (required && s.empty()) return Fail(Error::Input(where + ": \"" + name + "\" must not be empty"));
  if (s.size() > 256) return Fail(Error::Input(where + ": \"" + name + "\" is longer than 256 characters"));
  return s;
}

Result<Millis> TimeMember(const Json& j, const char* name, const std::string& where) {
  auto s = StringMember(j, name, where, true);
  if (!s) return Fail(s.error());
  auto t = ParseTime(*s);
  if (!t) return Fail(t.error().WithContext(where + ": \"" + name + "\""));
  return *t;
}

}  // namespace

Millis ToMillis(TimePoint t) {
  return std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
}

TimePoint FromMillis(Millis ms) { return TimePoint{std::chrono::milliseconds{ms}}; }

Result<Millis> ParseTime(std::string_view text) {
  if (auto fast = FastParse(text)) return *fast;
  auto t = ParseRfc3339(text);
  if (!t) return Fail(t.error());
  return ToMillis(*t);
}

std::string FormatTime(Millis ms) { return FormatRfc3339(FromMillis(ms), ms % 1000 != 0); }

Json ToJson(const DeployEvent& d) {
  Json j{{"type", "deploy"}, {"id", d.id},         {"service", d.service},
         {"env", d.env},     {"commit", d.commit}, {"status", d.success ? "success" : "failure"},
         {"time", FormatTime(d.time)}};
  if (d.changes) {
    Json a = Json::array();
    for (const auto& c : *d.changes) a.push_back(Json{{"commit", c.commit}, {"time", FormatTime(c.time)}});
    j["changes"] = std::move(a);
  }
  if (!d.source.empty()) j["source"] = d.source;
  return j;
}

Json ToJson(const IncidentEvent& i) {
  Json j{{"type", "incident"},     {"action", i.open ? "open" : "resolve"}, {"id", i.id},
         {"service", i.service}, {"time", FormatTime(i.time)}};
  if (!i.caused_by.empty()) j["caused_by"] = i.caused_by;
  if (!i.source.empty()) j["source"] = i.source;
  return j;
}

Json ToJson(const ChangeEvent& c) {
  Json j{{"type", "change"}, {"service", c.service}, {"commit", c.commit}, {"time", FormatTime(c.time)}};
  if (!c.ref.empty()) j["ref"] = c.ref;
  if (!c.source.empty()) j["source"] = c.source;
  return j;
}

Json ToJson(const Event& e) {
  switch (e.kind) {
    case Event::Kind::kDeploy: return ToJson(e.deploy);
    case Event::Kind::kIncident: return ToJson(e.incident);
    case Event::Kind::kChange: return ToJson(e.change);
  }
  return Json();
}

Result<Event> EventFromJson(const Json& j, const std::string& where, bool from_ledger) {
  if (!j.is_object()) return Fail(Error::Input(where + ": an event must be a JSON object"));
  auto type = StringMember(j, "type", where, true);
  if (!type) return Fail(type.error());
  Event e;
  std::vector<const char*> allowed;
  if (*type == "deploy") {
    e.kind = Event::Kind::kDeploy;
    allowed = {"type", "id", "service", "env", "commit", "status", "time", "changes", "source"};
    DeployEvent& d = e.deploy;
    auto id = StringMember(j, "id", where, true);
    auto service = StringMember(j, "service", where, true);
    auto env = StringMember(j, "env", where, true);
    auto commit = StringMember(j, "commit", where, true);
    auto status = StringMember(j, "status", where, false);
    auto source = StringMember(j, "source", where, false);
    for (auto* r : {&id, &service, &env, &commit, &status, &source})
      if (!*r) return Fail(r->error());
    d.id = *id;
    d.service = *service;
    d.env = *env;
    d.commit = *commit;
    d.source = *source;
    if (status->empty() || *status == "success") {
      d.success = true;
    } else if (*status == "failure") {
      d.success = false;
    } else {
      return Fail(Error::Input(where + ": \"status\" must be \"success\" or \"failure\", not " + Quote(*status)));
    }
    auto t = TimeMember(j, "time", where);
    if (!t) return Fail(t.error());
    d.time = *t;
    auto ch = j.find("changes");
    if (ch != j.end() && !ch->is_null()) {
      if (!ch->is_array()) return Fail(Error::Input(where + ": \"changes\" must be an array"));
      std::vector<Change> changes;
      changes.reserve(ch->size());
      for (std::size_t k = 0; k < ch->size(); ++k) {
        const Json& c = (*ch)[k];
        std::string cw = where + ": changes[" + std::to_string(k) + "]";
        if (!c.is_object()) return Fail(Error::Input(cw + ": must be an object with \"commit\" and \"time\""));
        for (const auto& [key, value] : c.items())
          if (key != "commit" && key != "time") return Fail(Error::Input(cw + ": unknown member \"" + key + "\""));
        auto cc = StringMember(c, "commit", cw, true);
        if (!cc) return Fail(cc.error());
        auto ct = TimeMember(c, "time", cw);
        if (!ct) return Fail(ct.error());
        if (*ct > d.time)
          return Fail(Error::Input(cw + ": commit time " + FormatTime(*ct) + " is after the deploy (" + FormatTime(d.time) + ")"));
        changes.push_back({*cc, *ct});
      }
      d.changes = std::move(changes);
    }
  } else if (*type == "incident") {
    e.kind = Event::Kind::kIncident;
    allowed = {"type", "action", "id", "service", "time", "caused_by", "source"};
    IncidentEvent& i = e.incident;
    auto action = StringMember(j, "action", where, true);
    auto id = StringMember(j, "id", where, true);
    auto service = StringMember(j, "service", where, true);
    auto caused = StringMember(j, "caused_by", where, false);
    auto source = StringMember(j, "source", where, false);
    for (auto* r : {&action, &id, &service, &caused, &source})
      if (!*r) return Fail(r->error());
    if (*action == "open") {
      i.open = true;
    } else if (*action == "resolve") {
      i.open = false;
    } else {
      return Fail(Error::Input(where + ": \"action\" must be \"open\" or \"resolve\", not " + Quote(*action)));
    }
    i.id = *id;
    i.service = *service;
    i.caused_by = *caused;
    i.source = *source;
    auto t = TimeMember(j, "time", where);
    if (!t) return Fail(t.error());
    i.time = *t;
  } else if (*type == "change") {
    e.kind = Event::Kind::kChange;
    allowed = {"type", "service", "commit", "time", "ref", "source"};
    ChangeEvent& c = e.change;
    auto service = StringMember(j, "service", where, true);
    auto commit = StringMember(j, "commit", where, true);
    auto ref = StringMember(j, "ref", where, false);
    auto source = StringMember(j, "source", where, false);
    for (auto* r : {&service, &commit, &ref, &source})
      if (!*r) return Fail(r->error());
    c.service = *service;
    c.commit = *commit;
    c.ref = *ref;
    c.source = *source;
    auto t = TimeMember(j, "time", where);
    if (!t) return Fail(t.error());
    c.time = *t;
  } else {
    return Fail(Error::Input(where + ": \"type\" must be \"deploy\", \"incident\" or \"change\", not " + Quote(*type)));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (from_ledger && key == "seq") continue;
    if (std::find_if(allowed.begin(), allowed.end(), [&key](const char* a) { return key == a; }) == allowed.end())
      return Fail(Error::Input(where + ": unknown member \"" + key + "\" in a " + *type + " event"));
  }
  return e;
}

std::uint32_t EventLog::Intern(std::string_view name) {
  auto it = name_index_.find(name);
  if (it != name_index_.end()) return it->second;
  auto idx = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  name_index_.emplace(std::string(name), idx);
  return idx;
}

std::optional<std::uint32_t> EventLog::Find(std::string_view name) const {
  auto it = name_index_.find(name);
  if (it == name_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> EventLog::LastSuccessfulCommit(std::string_view service, std::string_view env) const {
  auto s = Find(service), e = Find(env);
  if (!s || !e) return std::nullopt;
  auto it = streams_.find(StreamKey(*s, *e));
  if (it == streams_.end() || it->second.last_success_commit.empty()) return std::nullopt;
  return it->second.last_success_commit;
}

Status EventLog::Add(const Event& e, const std::string& where, Millis now) {
  WhereFn w = [&where] { return where; };
  if (e.kind == Event::Kind::kDeploy) {
    const DeployEvent& d = e.deploy;
    std::vector<Millis> times;
    if (d.changes) {
      times.reserve(d.changes->size());
      for (const auto& c : *d.changes) times.push_back(c.time);
    }
    DeployView v{d.id, d.service, d.env, d.commit, d.success, d.time, d.changes.has_value(), times.data(), times.size()};
    return AddDeploy(v, w, now);
  }
  if (e.kind == Event::Kind::kChange) return AddChange(e.change.service, e.change.commit, e.change.time, w, now);
  const IncidentEvent& i = e.incident;
  return AddIncident(IncidentView{i.open, i.id, i.service, i.caused_by, i.time}, w, now);
}

Status EventLog::AddChange(std::string_view service, std::string_view commit, Millis time, const WhereFn& where,
                           Millis now) {
  if (time > now + kFutureSkew)
    return Fail(Error::Input(where() + ": change " + Quote(commit) + " at " + FormatTime(time) + " is in the future (now " +
                             FormatTime(now) + ")"));
  auto it = change_logs_.find(service);
  if (it == change_logs_.end()) it = change_logs_.emplace(std::string(service), ChangeLog{}).first;
  ChangeLog& log = it->second;
  if (log.index.find(commit) != log.index.end())
    return Fail(Error::Input(where() + ": change " + Quote(commit) + " of " + std::string(service) + " is already recorded"));
  log.index.emplace(std::string(commit), log.changes.size());
  log.changes.push_back({std::string(commit), time});
  return Ok();
}

std::optional<std::vector<Change>> EventLog::ChangesFromLog(std::string_view service, std::string_view env,
                                                            std::string_view commit) const {
  auto log = change_logs_.find(service);
  if (log == change_logs_.end()) return std::nullopt;
  auto to = log->second.index.find(commit);
  auto prev = LastSuccessfulCommit(service, env);
  if (to == log->second.index.end() || !prev) return std::nullopt;
  auto from = log->second.index.find(*prev);
  if (from == log->second.index.end()) return std::nullopt;
  std::vector<Change> out;
  // A rollback to an older commit ships nothing new.
  for (std::size_t k = from->second + 1; k <= to->second; ++k) out.push_back(log->second.changes[k]);
  return out;
}

Status EventLog::AddDeploy(const DeployView& d, const WhereFn& where, Millis now) {
  if (d.time > now + kFutureSkew)
    return Fail(Error::Input(where() + ": deploy " + Quote(d.id) + " at " + FormatTime(d.time) + " is in the future (now " +
                             FormatTime(now) + ")"));
  if (mode_ == Mode::kStrict && deploy_by_id_.find(d.id) != deploy_by_id_.end())
    return Fail(Error::Input(where() + ": deploy id " + Quote(d.id) + " is already recorded"));
  if (change_times_.size() + d.change_count > UINT32_MAX || deploy_id_arena_.size() + d.id.size() > UINT32_MAX)
    return Fail(Error::Input(where() + ": too many deploys or changes for one report"));
  for (std::size_t k = 0; k < d.change_count; ++k)
    if (d.change_times[k] > d.time)
      return Fail(Error::Input(where() + ": deploy " + Quote(d.id) + ": a change's commit time " +
                               FormatTime(d.change_times[k]) + " is after the deploy (" + FormatTime(d.time) + ")"));
  // Check before interning, so a rejected event leaves the log as it was.
  std::optional<std::uint32_t> s = Find(d.service), en = Find(d.env);
  Stream* stream = nullptr;
  if (s && en) {
    auto it = streams_.find(StreamKey(*s, *en));
    if (it != streams_.end()) {
      stream = &it->second;
      if (d.time < stream->last_time)
        return Fail(Error::Input(where() + ": time goes backwards: deploy " + Quote(d.id) + " of " +
                                 std::string(d.service) + "/" + std::string(d.env) + " at " + FormatTime(d.time) +
                                 " is before the previous deploy at " + FormatTime(stream->last_time)));
    }
  }
  std::uint32_t service = s ? *s : Intern(d.service);
  std::uint32_t env = en ? *en : Intern(d.env);
  if (is_service_.size() < names_.size()) is_service_.resize(names_.size(), 0);
  is_service_[service] = 1;
  if (stream == nullptr) stream = &streams_[StreamKey(service, env)];
  DeployRecord r;
  r.time = d.time;
  r.service = service;
  r.env = env;
  r.success = d.success;
  r.changes_known = d.changes_known;
  r.changes_begin = static_cast<std::uint32_t>(change_times_.size());
  change_times_.insert(change_times_.end(), d.change_times, d.change_times + d.change_count);
  r.changes_end = static_cast<std::uint32_t>(change_times_.size());
  stream->last_time = d.time;
  if (d.success && mode_ == Mode::kStrict) stream->last_success_commit.assign(d.commit);
  if (mode_ == Mode::kStrict) {
    deploy_by_id_.emplace(std::string(d.id), static_cast<std::uint32_t>(deploys_.size()));
  } else {
    deploy_id_arena_.append(d.id);
    deploy_id_ends_.push_back(static_cast<std::uint32_t>(deploy_id_arena_.size()));
  }
  deploys_.push_back(r);
  return Ok();
}

Status EventLog::AddIncident(const IncidentView& i, const WhereFn& where, Millis now) {
  if (i.time > now + kFutureSkew)
    return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " at " + FormatTime(i.time) +
                             " is in the future (now " + FormatTime(now) + ")"));
  auto service = Find(i.service);
  if (!service || *service >= is_service_.size() || !is_service_[*service])
    return Fail(Error::Input(where() + ": unknown service " + Quote(i.service) +
                             ": no deploy of it is recorded (record its deploys first, or name it with --service)"));
  std::string key = std::string(i.service) + '\0' + std::string(i.id);
  auto it = incident_by_key_.find(key);
  if (i.open) {
    if (it != incident_by_key_.end())
      return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " of " + std::string(i.service) +
                               " is already open" + (incidents_[it->second].is_resolved ? " (and resolved)" : "")));
    std::int64_t cause = kNoDeploy;
    if (!i.caused_by.empty()) {
      if (mode_ == Mode::kStrict) {
        auto d = deploy_by_id_.find(i.caused_by);
        if (d == deploy_by_id_.end())
          return Fail(Error::Input(where() + ": incident " + Quote(i.id) + ": caused_by names no recorded deploy " +
                                   Quote(i.caused_by)));
        const DeployRecord& dr = deploys_[d->second];
        if (dr.service != *service)
          return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " of " + std::string(i.service) +
                                   ": caused_by deploy " + Quote(i.caused_by) + " is of service " + names_[dr.service]));
        if (dr.time > i.time)
          return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " opened at " + FormatTime(i.time) +
                                   ", before the deploy " + Quote(i.caused_by) + " that caused it (" +
                                   FormatTime(dr.time) + ")"));
        cause = d->second;
      } else {
        pending_causes_.emplace_back(std::string(i.caused_by), incidents_.size());
      }
    }
    IncidentRecord r;
    r.opened = i.time;
    r.service = *service;
    r.caused_by = cause;
    incident_by_key_.emplace(std::move(key), incidents_.size());
    incidents_.push_back(r);
    return Ok();
  }
  if (it == incident_by_key_.end())
    return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " of " + std::string(i.service) +
                             " is resolved but was never opened"));
  IncidentRecord& r = incidents_[it->second];
  if (r.is_resolved)
    return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " of " + std::string(i.service) +
                             " is already resolved"));
  if (i.time < r.opened)
    return Fail(Error::Input(where() + ": incident " + Quote(i.id) + " resolved at " + FormatTime(i.time) +
                             ", before it was opened (" + FormatTime(r.opened) + ")"));
  if (!i.caused_by.empty())
    return Fail(Error::Input(where() + ": caused_by belongs on the open event of incident " + Quote(i.id)));
  r.resolved = i.time;
  r.is_resolved = true;
  return Ok();
}

Status EventLog::Finish() {
  if (mode_ != Mode::kReport || pending_causes_.empty()) return Ok();
  std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> wanted;
  for (const auto& [id, inc] : pending_causes_) wanted.emplace(id, SIZE_MAX);
  std::uint32_t begin = 0;
  for (std::size_t k = 0; k < deploy_id_ends_.size(); ++k) {
    std::string_view id(deploy_id_arena_.data() + begin, deploy_id_ends_[k] - begin);
    begin = deploy_id_ends_[k];
    auto it = wanted.find(id);
    if (it != wanted.end() && it->second == SIZE_MAX) it->second = k;
  }
  for (const auto& [id, inc] : pending_causes_) {
    std::size_t d = wanted[id];
    IncidentRecord& r = incidents_[inc];
    // The ledger may hold events that bypassed import (ledger append): an
    // unknown, foreign or later cause is ignored rather than trusted.
    if (d == SIZE_MAX || deploys_[d].service != r.service || deploys_[d].time > r.opened) continue;
    r.caused_by = static_cast<std::int64_t>(d);
  }
  pending_causes_.clear();
  return Ok();
}

}  // namespace tollgate::delivery
