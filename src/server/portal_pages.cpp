// The change, waiver queue and ledger pages (portal.h), rendered from the JSON
// their API twins return. Forms post without JavaScript; every form carries
// the session's form token. Element ids are stable (browser tests click them):
// docs/portal.md lists them.
#include <map>
#include <string>
#include <utility>

#include "core/hash.h"
#include "server/portal.h"

namespace tollgate::server::portal {

namespace {

std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_unsigned() || it->is_number_integer()) return it->dump();
  return "";
}

// The escaped text, or a dash when empty.
std::string Cell(const std::string& text) { return text.empty() ? std::string("–") : Escape(text); }

const Json& Member(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" + Escape(value) + "\">";
}

std::string Bypass(const Json& bypass) {
  if (bypass.is_string()) return "<span class=\"badge none\">none</span>";
  std::string out;
  if (bypass.is_array())
    for (const auto& r : bypass)
      if (r.is_string()) out += (out.empty() ? "" : ", ") + Escape(r.get<std::string>());
  return out.empty() ? "–" : out;
}

// Findings' fingerprints are lowercase hex; anything else is left out of ids.
std::string IdPart(std::string_view s) {
  std::string out;
  for (char c : s)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') out += c;
  return out;
}

const char* kStyle =
    "<style>.actions form{display:flex;gap:.4rem;align-items:end;margin:.2rem 0}"
    ".actions label,.ask label{font-size:.85rem}.notice{background:#e6f4ea;border-left:4px solid #1e6b35;padding:.5rem}"
    ".ok{color:#1e6b35;font-weight:600}"
    "td form.ask{display:flex;flex-direction:column;gap:.3rem;align-items:start;min-width:10rem}"
    "td form.ask input{width:100%;box-sizing:border-box}</style>";

std::string ProofLink(const std::string& seq) {
  return "<a href=\"/ledger/proof?index=" + Escape(seq) + "\">inclusion proof of " + Escape(seq) + "</a>";
}

}  // namespace

bool IsChangePage(std::string_view path) {
  constexpr std::string_view kPrefix = "/changes/";
  if (path.rfind(kPrefix, 0) != 0 || path.size() == kPrefix.size() || path.size() > kPrefix.size() + 19) return false;
  return path.find_first_not_of("0123456789", kPrefix.size()) == std::string_view::npos;
}

bool IsActionPath(std::string_view path) {
  return path == "/waivers/request" || path == "/waivers/approve" || path == "/waivers/reject" || path == "/ledger/verify";
}

bool IsMorePage(std::string_view path) {
  return IsChangePage(path) || IsActionPath(path) || path == "/waivers" || path == "/ledger" || path == "/ledger/proof" ||
         path == "/ledger/bundle" || path.rfind("/changes/", 0) == 0;
}

std::string MoreRouteName(std::string_view path) {
  return path.rfind("/changes/", 0) == 0 ? "/changes/{id}" : std::string(path);
}

std::string FormToken(std::string_view session) {
  return HexEncode(Sha256(std::string("tollgate portal form token\n") + std::string(session)));
}

bool FormAllowed(std::string_view origin, std::string_view host, std::string_view form_token, std::string_view session) {
  if (session.empty()) return false;
  if (!origin.empty() && origin != "null") {
    std::string h(host);
    if (h.empty() || (origin != "http://" + h && origin != "https://" + h)) return false;
  }
  std::string want = FormToken(session);
  if (form_token.size() != want.size()) return false;
  unsigned char diff = 0;  // compared in constant time
  for (std::size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(form_token[i] ^ want[i]);
  return diff == 0;
}

// ---- change ---------------------------------------------------------------

std::string ChangePage(const Json& c, std::string_view form_token, std::string_view who) {
  std::string id = Str(c, "id");
  std::string decision = Str(c, "decision");
  std::string body = std::string(kStyle);
  body += "<dl><dt>Service</dt><dd><a href=\"/services/" + Escape(QueryValue(Str(c, "service"))) + "\">" +
          Escape(Str(c, "service")) + "</a></dd><dt>Commit</dt><dd><code>" + Cell(Str(c, "commit")) +
          "</code></dd><dt>Author</dt><dd>" + Cell(Str(c, "author")) + "</dd><dt>Decision</dt><dd id=\"change-decision\">" +
          Cell(decision) + "</dd><dt>Recorded</dt><dd>" + Cell(Str(c, "time")) + " by " + Cell(Str(c, "recorded_by")) +
          "</dd></dl>";

  // Gates.
  body += "<h2>Gates</h2><table id=\"change-gates\"><thead><tr><th scope=\"col\">Gate</th><th scope=\"col\">Decision</th>"
          "<th scope=\"col\">Blocks at</th><th scope=\"col\">Bypass authority</th><th scope=\"col\">Findings</th>"
          "<th scope=\"col\">Blocking</th><th scope=\"col\">Waived</th></tr></thead><tbody>";
  std::map<std::string, bool> bypass_allowed;  // gate -> allows bypass
  for (const auto& g : Member(c, "gates")) {
    std::string name = Str(g, "name");
    bypass_allowed[name] = !Member(g, "bypass").is_string();
    body += "<tr><th scope=\"row\">" + Escape(name) + "</th><td>" + Cell(Str(g, "decision")) + "</td><td>" +
            Cell(Str(g, "fail_on")) + "</td><td>" + Bypass(Member(g, "bypass")) + "</td><td class=\"num\">" +
            Cell(Str(g, "findings")) + "</td><td class=\"num\">" + Cell(Str(g, "blocking_count")) +
            "</td><td class=\"num\">" + Cell(Str(g, "waived_count")) + "</td></tr>";
  }
  body += "</tbody></table>";

  // Findings, with a request form for each blocking finding of a gate that allows bypass.
  body += "<h2>Findings</h2>";
  const Json& findings = Member(c, "findings");
  if (!findings.is_array()) {
    body += "<p>" + Cell(Str(c, "findings_note")) + "</p>";
  } else {
    body += "<table id=\"change-findings\"><caption>" + std::to_string(findings.size()) + " finding" +
            (findings.size() == 1 ? "" : "s") +
            "</caption><thead><tr><th scope=\"col\">Gate</th><th scope=\"col\">Severity</th><th scope=\"col\">Rule</th>"
            "<th scope=\"col\">File and line</th><th scope=\"col\">Message</th><th scope=\"col\">Fix</th>"
            "<th scope=\"col\">References</th><th scope=\"col\">State</th><th scope=\"col\">Waiver</th></tr></thead><tbody>";
    for (const auto& f : findings) {
      const Json& loc = Member(f, "location");
      std::string where = Str(loc, "file");
      if (!Str(loc, "line").empty() && Str(loc, "line") != "0") where += ":" + Str(loc, "line");
      std::string refs;
      for (const auto& r : Member(f, "references")) {
        if (!r.is_string()) continue;
        std::string ref = r.get<std::string>();
        bool link = ref.rfind("https://", 0) == 0 || ref.rfind("http://", 0) == 0;
        refs += std::string(refs.empty() ? "" : "<br>") +
                (link ? "<a href=\"" + Escape(ref) + "\" rel=\"noreferrer\">" + Escape(ref) + "</a>" : Escape(ref));
      }
      bool blocking = Member(f, "blocking").is_boolean() && Member(f, "blocking").get<bool>();
      bool waived = Member(f, "waived").is_boolean() && Member(f, "waived").get<bool>();
      std::string state = blocking ? "blocking" : waived ? "waived" : "not blocking";
      std::string gate = Str(f, "gate"), fp = Str(f, "fingerprint");
      std::string ask = "–";
      if (blocking && bypass_allowed.count(gate) && bypass_allowed[gate] && !fp.empty()) {
        std::string fid = IdPart(gate) + "-" + IdPart(fp.substr(0, 16));
        ask = "<form class=\"ask\" id=\"request-waiver-" + fid + "\" method=\"post\" action=\"/waivers/request\">" +
              Hidden("csrf", form_token) + Hidden("change", id) + Hidden("gate", gate) + Hidden("finding", fp) +
              "<label for=\"request-reason-" + fid + "\">Reason<input id=\"request-reason-" + fid +
              "\" name=\"reason\" required maxlength=\"500\"></label><label for=\"request-expires-" + fid +
              "\">Expires (date or 30d)<input id=\"request-expires-" + fid +
              "\" name=\"expires\" required value=\"30d\" size=\"10\"></label><button type=\"submit\" id=\"request-button-" +
              fid + "\">Request waiver</button></form>";
      } else if (blocking) {
        ask = "no bypass: fix the finding";
      }
      body += "<tr><td>" + Escape(gate) + "</td><td>" + Cell(Str(f, "severity")) + "</td><td>" + Cell(Str(f, "rule_id")) +
              "</td><td><code>" + Cell(where) + "</code></td><td>" + Cell(Str(f, "message")) + "</td><td>" +
              Cell(Str(f, "remediation")) + "</td><td>" + (refs.empty() ? std::string("–") : refs) + "</td><td>" + state +
              "<br><code title=\"fingerprint\">" + Escape(fp.substr(0, 12)) + "</code></td><td>" + ask + "</td></tr>";
    }
    body += "</tbody></table>";
  }

  // Waivers the gates judged, approvals, waiver requests.
  body += "<h2>Waivers and approvals</h2><table id=\"change-waivers\"><thead><tr><th scope=\"col\">Gate</th>"
          "<th scope=\"col\">Waiver (ledger index)</th><th scope=\"col\">Finding</th><th scope=\"col\">Approver</th>"
          "<th scope=\"col\">Judged</th></tr></thead><tbody>";
  std::size_t rows = 0;
  for (const auto& g : Member(c, "gates")) {
    const Json& w = Member(g, "waivers");
    for (const auto& a : Member(w, "accepted")) {
      ++rows;
      body += "<tr><td>" + Escape(Str(g, "name")) + "</td><td>" + ProofLink(Str(a, "waiver_seq")) + "</td><td><code>" +
              Escape(Str(a, "finding").substr(0, 12)) + "</code></td><td>" + Cell(Str(a, "approver")) +
              "</td><td>accepted</td></tr>";
    }
    for (const auto& group : Member(w, "refused"))
      for (const auto& a : Member(group, "examples")) {
        ++rows;
        body += "<tr><td>" + Escape(Str(g, "name")) + "</td><td>" + ProofLink(Str(a, "waiver_seq")) + "</td><td><code>" +
                Escape(Str(a, "finding").substr(0, 12)) + "</code></td><td>" + Cell(Str(a, "approver")) +
                "</td><td>refused: " + Escape(Str(group, "reason")) + "</td></tr>";
      }
  }
  if (rows == 0) body += "<tr><td colspan=\"5\">No waiver applied to this run.</td></tr>";
  body += "</tbody></table>";
  const Json& approvals = Member(c, "approvals");
  body += "<p>Approvals: " + Cell(Str(approvals, "valid")) + " valid of " + Cell(Str(approvals, "required")) +
          " required.</p><ul>";
  for (const auto& a : Member(approvals, "decisions"))
    body += "<li>" + Escape(Str(a, "approver")) + " (" + ProofLink(Str(a, "approval_seq")) + "): " +
            (Member(a, "accepted").is_boolean() && Member(a, "accepted").get<bool>() ? "accepted"
                                                                                     : "refused, " + Escape(Str(a, "reason"))) +
            "</li>";
  body += "</ul>";
  body += "<h2>Waiver requests</h2><table id=\"change-requests\"><thead><tr><th scope=\"col\">Request</th>"
          "<th scope=\"col\">Gate</th><th scope=\"col\">Finding</th><th scope=\"col\">Requested by</th>"
          "<th scope=\"col\">Status</th></tr></thead><tbody>";
  const Json& requests = Member(c, "waiver_requests");
  for (const auto& r : requests)
    body += "<tr><th scope=\"row\"><a href=\"/waivers?status=all#request-" + Escape(Str(r, "id")) + "\">" +
            Escape(Str(r, "id")) + "</a></th><td>" + Escape(Str(r, "gate")) + "</td><td><code>" +
            Escape(Str(r, "finding").substr(0, 12)) + "</code></td><td>" + Cell(Str(r, "requested_by")) + "</td><td>" +
            Cell(Str(r, "status")) + "</td></tr>";
  if (!requests.is_array() || requests.empty()) body += "<tr><td colspan=\"5\">None.</td></tr>";
  body += "</tbody></table>";

  // Ledger entries.
  body += "<h2>Ledger entries</h2><table id=\"change-ledger\"><thead><tr><th scope=\"col\">Index</th>"
          "<th scope=\"col\">Type</th><th scope=\"col\">Subject</th><th scope=\"col\">Proof</th></tr></thead><tbody>";
  for (const auto& e : Member(c, "ledger"))
    body += "<tr><th scope=\"row\">" + Escape(Str(e, "seq")) + "</th><td>" + Escape(Str(e, "type")) + "</td><td>" +
            Cell(Str(e, "subject")) + "</td><td>" + ProofLink(Str(e, "seq")) + "</td></tr>";
  body += "</tbody></table><p>JSON: <code>/api/v1/gate-runs?id=" + Escape(id) + "</code>; proofs: <code>/api/v1/ledger/proof/inclusion?index=N</code>.</p>";
  return Layout("Change " + id, who, body);
}

// ---- waiver queue -----------------------------------------------------------

std::string WaiverQueuePage(const Json& requests, std::string_view status, std::string_view notice,
                            std::string_view form_token, std::string_view who) {
  std::string body = std::string(kStyle);
  if (notice == "requested" || notice == "approved" || notice == "rejected")
    body += "<p class=\"notice\" role=\"status\" id=\"queue-notice\">The waiver request was " + std::string(notice) +
            (notice == "approved" ? ": the waiver is recorded and counts at the change's next gate decision." : ".") + "</p>";
  body += "<form class=\"filters\" id=\"queue-filter\" method=\"get\" action=\"/waivers\"><label for=\"queue-status\">Status"
          "<select id=\"queue-status\" name=\"status\">";
  for (const char* s : {"pending", "approved", "rejected", "all"})
    body += std::string("<option value=\"") + s + "\"" + (status == s ? " selected" : "") + ">" + s + "</option>";
  body += "</select></label><button type=\"submit\" id=\"queue-filter-button\">Show</button></form>";
  const Json& list = Member(requests, "waiver_requests");
  std::size_t n = list.is_array() ? list.size() : 0;
  body += "<table id=\"waiver-queue\"><caption>" + std::to_string(n) + " " + Escape(status) + " request" +
          (n == 1 ? "" : "s") +
          "</caption><thead><tr><th scope=\"col\">Request</th><th scope=\"col\">Change</th><th scope=\"col\">Service and gate</th>"
          "<th scope=\"col\">Finding</th><th scope=\"col\">Reason</th><th scope=\"col\">Expires</th>"
          "<th scope=\"col\">Requested by</th><th scope=\"col\">Bypass authority</th><th scope=\"col\">Status</th>"
          "<th scope=\"col\">Actions</th></tr></thead><tbody>";
  for (const auto& r : list) {
    std::string id = Str(r, "id");
    std::string st = Str(r, "status");
    std::string actions;
    if (st == "pending") {
      if (Member(r, "can_approve").is_boolean() && Member(r, "can_approve").get<bool>())
        actions += "<form id=\"approve-" + Escape(id) + "\" method=\"post\" action=\"/waivers/approve\">" +
                   Hidden("csrf", form_token) + Hidden("id", id) + "<label for=\"approve-reason-" + Escape(id) +
                   "\">Approval note<input id=\"approve-reason-" + Escape(id) +
                   "\" name=\"reason\" maxlength=\"500\"></label><button type=\"submit\" id=\"approve-button-" + Escape(id) +
                   "\">Approve</button></form>";
      if (Member(r, "can_reject").is_boolean() && Member(r, "can_reject").get<bool>())
        actions += "<form id=\"reject-" + Escape(id) + "\" method=\"post\" action=\"/waivers/reject\">" +
                   Hidden("csrf", form_token) + Hidden("id", id) + "<label for=\"reject-reason-" + Escape(id) +
                   "\">Reason for rejecting<input id=\"reject-reason-" + Escape(id) +
                   "\" name=\"reason\" required maxlength=\"500\"></label><button type=\"submit\" id=\"reject-button-" +
                   Escape(id) + "\">Reject</button></form>";
      if (!Str(r, "approve_refusal").empty())
        actions += "<p class=\"why\" id=\"why-" + Escape(id) + "\">" + Escape(Str(r, "approve_refusal")) + "</p>";
    } else {
      actions = Cell(Str(r, "decided_by")) + (Str(r, "decision_reason").empty() ? "" : ": " + Escape(Str(r, "decision_reason")));
      if (!Str(r, "waiver_seq").empty()) actions += "<br>waiver " + ProofLink(Str(r, "waiver_seq"));
    }
    body += "<tr id=\"request-" + Escape(id) + "\"><th scope=\"row\">" + Escape(id) + "</th><td><a href=\"/changes/" +
            Escape(Str(r, "change")) + "\">" + Escape(Str(r, "change")) + "</a></td><td>" + Escape(Str(r, "service")) +
            " / " + Escape(Str(r, "gate")) + "</td><td><code>" + Escape(Str(r, "finding").substr(0, 12)) + "</code></td><td>" +
            Cell(Str(r, "reason")) + "</td><td>" + Cell(Str(r, "expires")) + "</td><td>" + Cell(Str(r, "requested_by")) +
            "</td><td>" + Bypass(Member(r, "bypass")) + "</td><td>" + Cell(st) + "</td><td class=\"actions\">" +
            (actions.empty() ? std::string("–") : actions) + "</td></tr>";
  }
  body += "</tbody></table><p>JSON: <code>/api/v1/waiver-requests?status=" + Escape(status) + "</code>. A request is made "
          "from its change's page; it is approved by a holder of a role in the gate's bypass list who is not the "
          "change's author.</p>";
  return Layout("Waiver queue", who, body, NavItem::kWaivers);
}

// ---- ledger -------------------------------------------------------------------

std::string LedgerPage(const Json& head, const Json& entries, const LedgerQuery& q, const Json& verify,
                       std::string_view form_token, std::string_view who) {
  std::string body = std::string(kStyle);
  const Json& cp = Member(head, "checkpoint");
  body += "<dl id=\"ledger-head\"><dt>Entries</dt><dd id=\"ledger-size\">" + Cell(Str(head, "size")) +
          "</dd><dt>Root</dt><dd><code>" + Cell(Str(head, "root")) + "</code></dd><dt>Origin</dt><dd>" +
          Cell(Str(head, "origin")) + "</dd><dt>Latest signed checkpoint</dt><dd id=\"ledger-checkpoint\">";
  if (cp.is_object())
    body += "size " + Escape(Str(cp, "size")) + ", " + Escape(Str(cp, "created")) + ", root <code>" +
            Escape(Str(cp, "root")) + "</code><pre>" + Escape(Str(cp, "note")) + "</pre>";
  else
    body += "none (the server signs no checkpoints without a ledger key)";
  body += "</dd></dl>";
  body += "<form id=\"verify-form\" method=\"post\" action=\"/ledger/verify\">" + Hidden("csrf", form_token) +
          "<button type=\"submit\" id=\"verify-now\">Verify now</button></form> "
          "<p><a id=\"bundle-download\" href=\"/ledger/bundle\" download=\"tollgate-ledger.json\">Download the bundle</a> "
          "(verify it offline with <code>tollgate ledger verify --bundle FILE</code>)</p>";
  if (!verify.is_null()) {
    bool ok = Member(verify, "verified").is_boolean() && Member(verify, "verified").get<bool>();
    body += "<section id=\"verify-result\" data-verified=\"" + std::string(ok ? "true" : "false") +
            "\" role=\"status\" aria-labelledby=\"verify-title\"><h2 id=\"verify-title\">Verification</h2>";
    if (ok)
      body += "<p class=\"ok\">Verified: " + Escape(Str(verify, "size")) + " entries, root <code>" +
              Escape(Str(verify, "root")) + "</code>, " + Escape(Str(verify, "checkpoints_verified")) +
              " checkpoints verified (latest at size " + Escape(Str(verify, "latest_checkpoint_size")) + "), " +
              Escape(Str(verify, "unsigned_entries")) + " entries after the latest signed checkpoint.</p>";
    else
      body += "<p class=\"error\">Verification failed: " + Cell(Str(verify, "error")) + "</p>";
    body += "</section>";
  }
  body += "<h2>Search entries</h2><form class=\"filters\" id=\"ledger-search\" method=\"get\" action=\"/ledger\">"
          "<label for=\"ledger-type\">Entry type<input id=\"ledger-type\" name=\"type\" value=\"" + Escape(q.type) +
          "\" placeholder=\"gate.overall\"></label><label for=\"ledger-service\">Service<input id=\"ledger-service\" "
          "name=\"service\" value=\"" + Escape(q.service) + "\"></label><label for=\"ledger-from\">From (date or time)"
          "<input id=\"ledger-from\" name=\"from\" value=\"" + Escape(q.from) + "\" placeholder=\"2026-06-01\"></label>"
          "<label for=\"ledger-to\">To (exclusive)<input id=\"ledger-to\" name=\"to\" value=\"" + Escape(q.to) +
          "\"></label><button type=\"submit\" id=\"ledger-search-button\">Search</button></form>";
  const Json& list = Member(entries, "entries");
  std::size_t n = list.is_array() ? list.size() : 0;
  body += "<table id=\"ledger-entries\"><caption>" + std::to_string(n) + " entr" + (n == 1 ? "y" : "ies") +
          "</caption><thead><tr><th scope=\"col\">Index</th><th scope=\"col\">Type</th><th scope=\"col\">Time</th>"
          "<th scope=\"col\">Service</th><th scope=\"col\">Actor</th><th scope=\"col\">Subject</th>"
          "<th scope=\"col\">Proof</th></tr></thead><tbody>";
  for (const auto& e : list) {
    std::string seq = Str(e, "seq"), type = Str(e, "type");
    std::string index = type == "gate.overall" ? "<a href=\"/changes/" + Escape(seq) + "\">" + Escape(seq) + "</a>" : Escape(seq);
    body += "<tr><th scope=\"row\">" + index + "</th><td>" + Escape(type) + "</td><td>" + Cell(Str(e, "time")) + "</td><td>" +
            Cell(Str(e, "service")) + "</td><td>" + Cell(Str(e, "actor")) + "</td><td>" + Cell(Str(e, "subject")) +
            "</td><td>" + ProofLink(seq) + "</td></tr>";
  }
  body += "</tbody></table>";
  if (std::string next = Str(entries, "next_after"); !next.empty()) {
    std::string href = "/ledger?after=" + QueryValue(next);
    for (const auto& [k, v] : {std::pair{"type", q.type}, {"service", q.service}, {"from", q.from}, {"to", q.to},
                               {"limit", q.limit}})
      if (!v.empty()) href += std::string("&") + k + "=" + QueryValue(v);
    body += "<p><a id=\"ledger-next\" href=\"" + Escape(href) + "\">Next entries</a></p>";
  }
  body += "<p>JSON: <code>/api/v1/ledger/head</code>, <code>/api/v1/ledger/entries</code>, "
          "<code>POST /api/v1/ledger/verify</code>, <code>/api/v1/ledger/export</code>.</p>";
  return Layout("Ledger", who, body, NavItem::kLedger);
}

}  // namespace tollgate::server::portal
