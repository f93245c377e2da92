// The evidence document: what the ledger says about a period, shaped for the
// evidence rules (docs/compliance.md#the-evidence-document).
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "compliance/compliance.h"

namespace tollgate::compliance {
namespace {

// The types that count as evidence: a period holding none of them is not
// assessed (a note or a principal change proves nothing about delivery).
const std::set<std::string, std::less<>> kEvidenceTypes{"gate.decision", "gate.overall", "waiver",   "approval",
                                                        "deploy",        "change",       "incident", "baseline"};

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Seconds since the epoch of an RFC 3339 member; nullopt when missing or malformed.
std::optional<std::int64_t> Seconds(const Json& j, const char* key) {
  std::string s = Str(j, key);
  if (s.empty()) return std::nullopt;
  auto t = ParseRfc3339(s);
  if (!t) return std::nullopt;
  return UnixSeconds(*t);
}

// "scanner: secrets" -> "secrets"; "import: reports/sast.sarif" -> "import".
std::string GateKind(const std::string& source) {
  auto colon = source.find(':');
  if (colon == std::string::npos) return source;
  std::string kind = source.substr(0, colon);
  if (kind != "scanner") return kind;
  std::size_t start = colon + 1;
  while (start < source.size() && source[start] == ' ') ++start;
  return source.substr(start);
}

Json StringsOf(const Json& list, const char* member) {
  Json out = Json::array();
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (member == nullptr && item.is_string()) out.push_back(item);
    if (member != nullptr && item.is_object() && item.contains(member) && item[member].is_string())
      out.push_back(item[member]);
  }
  return out;
}

class Builder {
 public:
  // `o` must outlive the Builder.
  explicit Builder(const EvidenceOptions& o) : opt_(o), from_(UnixSeconds(o.from)), to_(UnixSeconds(o.to)) {
    for (const char* k : {"gate_decisions", "waivers", "approvals", "deploys", "changes", "incidents", "baselines",
                          "finding_lifecycles"})
      doc_[k] = Json::array();
    doc_["other"] = Json::object();
  }

  void Add(const ledger::StoredEntry& e) {
    auto body = Json::parse(e.body, nullptr, false);
    if (!body.is_object()) return;  // Scan checked the hash; a non-object cannot have been appended
    const std::string& type = e.type;
    std::string service = Str(body, "service");
    if (type == "gate.decision" || type == "gate.overall") {
      const Json& p = body.contains("payload") && body["payload"].is_object() ? body["payload"] : kEmpty;
      service = Str(p, "service");
    }
    // With --service: that service's entries, waivers for every service ("*")
    // and approvals (which name a commit, not a service).
    if (!opt_.service.empty() && service != opt_.service && service != "*" && type != "approval") return;
    auto t = Seconds(body, "time");
    Json item{{"seq", e.seq},
              {"time", Str(body, "time")},
              {"t", t.value_or(0)},
              {"in_period", t && *t >= from_ && *t < to_},
              {"leaf_hash", ledger::HashHex(e.leaf_hash)}};
    // An approval names a commit, not a service: with --service it is context
    // for that service's deploys, not evidence of activity on its own.
    bool counts = kEvidenceTypes.count(type) != 0 && (opt_.service.empty() || type != "approval");
    if (item["in_period"].get<bool>() && counts) ++events_in_period_;
    if (type == "gate.decision") return AddDecision(body, std::move(item));
    if (type == "gate.overall") return AddOverall(body);
    if (type == "waiver") {
      for (const char* k : {"service", "gate", "finding", "approver", "issued", "expires", "reason"})
        item[k] = Str(body, k);
      item["issued_t"] = Seconds(body, "issued").value_or(0);
      item["expires_t"] = Seconds(body, "expires").value_or(0);
      return Push("waivers", std::move(item));
    }
    if (type == "approval") {
      for (const char* k : {"commit", "approver", "issued", "reason"}) item[k] = Str(body, k);
      return Push("approvals", std::move(item));
    }
    if (type == "deploy") {
      for (const char* k : {"id", "service", "env", "commit", "status"}) item[k] = Str(body, k);
      item["changes"] = StringsOf(body.value("changes", Json::array()), "commit");
      return Push("deploys", std::move(item));
    }
    if (type == "change") {
      for (const char* k : {"service", "commit", "ref"}) item[k] = Str(body, k);
      return Push("changes", std::move(item));
    }
    if (type == "incident") {
      for (const char* k : {"id", "service", "action", "caused_by"}) item[k] = Str(body, k);
      return Push("incidents", std::move(item));
    }
    if (type == "baseline") {
      for (const char* k : {"service", "gate", "approver", "role", "expires"}) item[k] = Str(body, k);
      item["count"] = body.value("count", 0);
      return Push("baselines", std::move(item));
    }
    if (item["in_period"].get<bool>()) {
      Json& n = doc_["other"][type];
      n = n.is_number() ? n.get<std::uint64_t>() + 1 : 1;
    }
  }

  Json Finish(Json ledger_status) {
    doc_["ledger"] = std::move(ledger_status);
    doc_["by_commit"] = ByCommit();
    for (auto& [key, findings] : open_)
      for (auto& [f, l] : findings) doc_["finding_lifecycles"].push_back(std::move(l));
    open_.clear();
    doc_["period"] =
        Json{{"from", FormatRfc3339(opt_.from)}, {"to", FormatRfc3339(opt_.to)}, {"from_t", from_}, {"to_t", to_}};
    doc_["service"] = opt_.service.empty() ? Json(nullptr) : Json(opt_.service);
    doc_["events_in_period"] = events_in_period_;
    doc_["params"] = DefaultParams();
    return std::move(doc_);
  }

 private:
  void Push(const char* list, Json item) { doc_[list].push_back(std::move(item)); }

  // The gate decisions, approvals and changes of each commit, so that rules
  // join deploys to them by lookup rather than by scanning every list for
  // every deploy (a quarter of a busy fleet has thousands of each).
  Json ByCommit() const {
    Json index = Json::object();
    for (const char* list : {"gate_decisions", "approvals", "changes"})
      for (const auto& item : doc_[list]) {
        const std::string commit = item.value("commit", "");
        if (commit.empty()) continue;
        Json& entry = index[commit];
        if (entry.is_null())
          entry = Json{{"gate_decisions", Json::array()}, {"approvals", Json::array()}, {"changes", Json::array()}};
        entry[list].push_back(item);
      }
    return index;
  }

  void AddDecision(const Json& body, Json item) {
    const Json& p = body.contains("payload") && body["payload"].is_object() ? body["payload"] : kEmpty;
    for (const char* k : {"service", "gate", "commit"}) item[k] = Str(p, k);
    item["outcome"] = Str(p, "decision");
    item["source"] = Str(p, "source");
    item["kind"] = GateKind(Str(p, "source"));
    item["bypass"] = p.contains("bypass") && p["bypass"].is_array() ? StringsOf(p["bypass"], nullptr) : Json("none");
    item["blocking"] = StringsOf(p.value("blocking", Json::array()), nullptr);
    item["blocking_complete"] = p.value("blocking_count", std::size_t{0}) == item["blocking"].size();
    Json waived = Json::array();
    Json refused = Json::array();
    if (p.contains("waivers") && p["waivers"].is_object()) {
      const Json& w = p["waivers"];
      for (const auto& a : w.value("accepted", Json::array()))
        if (a.is_object())
          waived.push_back(Json{{"seq", a.value("waiver_seq", std::uint64_t{0})},
                                {"finding", Str(a, "finding")},
                                {"approver", Str(a, "approver")}});
      for (const auto& group : w.value("refused", Json::array()))
        if (group.is_object())
          for (const auto& ex : group.value("examples", Json::array()))
            if (ex.is_object())
              refused.push_back(Json{{"seq", ex.value("waiver_seq", std::uint64_t{0})},
                                     {"approver", Str(ex, "approver")},
                                     {"reason", Str(group, "reason")}});
    }
    item["waived"] = std::move(waived);
    item["refused_waivers"] = std::move(refused);
    item["author"] = "";
    item["author_email"] = "";
    pending_[{item["service"].get<std::string>(), item["commit"].get<std::string>()}].push_back(
        doc_["gate_decisions"].size());
    TrackFindings(item);
    Push("gate_decisions", std::move(item));
  }

  // Finding lifecycles per service and gate, in seq order: a blocking finding
  // opens when a decision first lists it and is fixed by the first later
  // decision whose (complete) blocking list no longer holds it. A truncated
  // list fixes nothing: absence from it proves nothing.
  void TrackFindings(const Json& d) {
    auto& open = open_[{d["service"].get<std::string>(), d["gate"].get<std::string>()}];
    std::set<std::string> blocking;
    for (const auto& f : d["blocking"]) blocking.insert(f.get<std::string>());
    if (d["blocking_complete"].get<bool>()) {
      for (auto it = open.begin(); it != open.end();) {
        if (blocking.count(it->first) != 0) {
          ++it;
          continue;
        }
        Json l = std::move(it->second);
        l["fixed_seq"] = d["seq"];
        l["fixed_t"] = d["t"];
        doc_["finding_lifecycles"].push_back(std::move(l));
        it = open.erase(it);
      }
    }
    for (const auto& f : blocking)
      if (open.count(f) == 0)
        open[f] = Json{{"service", d["service"]}, {"gate", d["gate"]}, {"kind", d["kind"]},    {"finding", f},
                       {"first_seq", d["seq"]},   {"first_t", d["t"]}, {"fixed_seq", nullptr}, {"fixed_t", nullptr}};
  }

  // gate.overall follows its decisions in the same batch and names the author.
  void AddOverall(const Json& body) {
    const Json& p = body.contains("payload") && body["payload"].is_object() ? body["payload"] : kEmpty;
    auto it = pending_.find({Str(p, "service"), Str(p, "commit")});
    if (it == pending_.end()) return;
    std::string actor = Str(body, "actor");
    for (std::size_t i : it->second) {
      Json& d = doc_["gate_decisions"][i];
      d["author"] = Str(p, "author");
      d["author_email"] = actor.find('@') != std::string::npos ? actor : "";
    }
    pending_.erase(it);
  }

  static inline const Json kEmpty = Json::object();
  const EvidenceOptions& opt_;
  std::int64_t from_, to_;
  Json doc_ = Json::object();
  std::uint64_t events_in_period_ = 0;
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> pending_;
  // Open findings by (service, gate), then fingerprint.
  std::map<std::pair<std::string, std::string>, std::map<std::string, Json>> open_;
};

}  // namespace

Result<Json> BuildEvidence(ledger::Ledger& ledger, const EvidenceOptions& options) {
  if (options.to <= options.from) return Fail(Error::Input("the report period is empty: --to must be after --from"));
  Builder b(options);
  auto report = ledger.Verify({});
  if (!report) {
    if (report.error().code() != ErrorCode::kIntegrity) return Fail(report.error());
    return b.Finish(Json{{"verified", false},
                         {"error", report.error().message()},
                         {"size", 0},
                         {"checkpoints", 0},
                         {"unsigned_entries", 0}});
  }
  Json status{{"verified", true},
              {"size", report->size},
              {"root", ledger::HashHex(report->root)},
              {"origin", report->origin},
              {"checkpoints", report->checkpoints_verified},
              {"latest_checkpoint_size", report->latest_checkpoint_size},
              {"unsigned_entries", report->unsigned_entries}};
  Status s = ledger.Scan(0, 0, "", [&](const ledger::StoredEntry& e) {
    b.Add(e);
    return true;
  });
  if (!s) {
    if (s.error().code() != ErrorCode::kIntegrity) return Fail(s.error());
    Builder empty(options);
    return empty.Finish(Json{{"verified", false},
                             {"error", s.error().message()},
                             {"size", report->size},
                             {"checkpoints", 0},
                             {"unsigned_entries", 0}});
  }
  return b.Finish(std::move(status));
}

}  // namespace tollgate::compliance
