// The report as one self-contained HTML page for auditors: inline CSS, no
// scripts, no external resources, laid out to print (headless Chromium's
// --print-to-pdf). Rendered from the JSON report (Assess), so both always say
// the same; every value from the ledger or a catalog is escaped.
#include <algorithm>
#include <cmath>

#include "compliance/compliance.h"
#include "core/report.h"

namespace tollgate::compliance {
namespace {

constexpr const char* kStyle = R"css(
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 17pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 16pt 0 6pt; border-bottom: 1.5pt solid #333; padding-bottom: 2pt; }
h3 { font-size: 11pt; margin: 0 0 3pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }
th, td { border: 0.75pt solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #eee; }
thead { display: table-header-group; }
tr, .control, .banner { break-inside: avoid; page-break-inside: avoid; }
code, .hash { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8.5pt; overflow-wrap: anywhere; }
.banner { border: 2pt solid #a00; background: #fdd; color: #600; padding: 6pt 8pt; margin: 0 0 10pt; font-weight: bold; }
.note { border: 1pt solid #b80; background: #fff6d5; padding: 4pt 8pt; margin: 0 0 10pt; }
.meta td:first-child { width: 32%; font-weight: bold; }
.result { display: inline-block; padding: 0 5pt; border-radius: 3pt; font-weight: bold; font-size: 9pt; }
.satisfied { background: #d7f0d7; color: #135313; }
.not_satisfied { background: #f8d3d3; color: #7a0c0c; }
.not_assessed { background: #e4e4e4; color: #333; }
.control { border: 0.75pt solid #bbb; padding: 5pt 7pt; margin: 0 0 7pt; }
.control p { margin: 2pt 0; }
.small { font-size: 9pt; color: #333; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
)css";

std::string E(std::string_view s) { return MarkupEscape(s); }

// A member as display text: strings as they are, numbers and the rest as JSON.
std::string Text(const Json& j, const char* key, const std::string& absent = "") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return absent;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string Percent(double share) { return std::to_string(static_cast<int>(std::lround(share * 100.0))) + "%"; }

const char* ResultLabel(const std::string& result) {
  if (result == "satisfied") return "satisfied";
  if (result == "not_satisfied") return "not satisfied";
  return "not assessed";
}

std::string Badge(const std::string& result) {
  std::string cls = result == "satisfied" || result == "not_satisfied" ? result : "not_assessed";
  return "<span class=\"result " + cls + "\">" + ResultLabel(result) + "</span>";
}

std::string EntryLink(const std::string& seq) { return "<a href=\"#entry-" + E(seq) + "\">" + E(seq) + "</a>"; }

std::string Row(std::initializer_list<std::string> cells, const char* tag = "td") {
  std::string out = "<tr>";
  for (const auto& c : cells) out += std::string("<") + tag + ">" + c + "</" + tag + ">";
  return out + "</tr>\n";
}

std::string Header(const Json& r) {
  const Json& fw = r["framework"];
  const Json& ledger = r["ledger"];
  const bool verified = ledger.is_object() && ledger.value("verified", false);
  std::string out;
  // An unverified ledger is said first, before anything else on the page.
  if (!verified)
    out += "<div class=\"banner\" id=\"ledger-failed\">The evidence ledger failed verification (" +
           E(Text(ledger, "error", "no verification result")) +
           "). Nothing in it counts as evidence: no control is marked satisfied.</div>\n";
  out += "<h1>" + E(Text(fw, "name")) + " " + E(Text(fw, "version")) + ": compliance report</h1>\n";
  if (verified && r.contains("warning")) out += "<div class=\"note\">" + E(Text(r, "warning")) + "</div>\n";
  if (!Text(fw, "note").empty()) out += "<div class=\"note\">" + E(Text(fw, "note")) + "</div>\n";
  out += "<table class=\"meta\"><tbody>\n";
  out += Row({"Period", E(Text(r["period"], "from")) + " to " + E(Text(r["period"], "to")) + " (end exclusive)"});
  out += Row({"Service", r["service"].is_null() ? std::string("every service") : E(Text(r, "service"))});
  out += Row({"Evidence events in the period", E(Text(r, "events_in_period", "0"))});
  if (verified) {
    out += Row({"Ledger", "verified: " + E(Text(ledger, "size")) + " entries, origin <code>" +
                              E(Text(ledger, "origin")) + "</code>"});
    out += Row({"Ledger root at that size", "<code class=\"hash\">" + E(Text(ledger, "root")) + "</code>"});
    out += Row({"Signed checkpoints", E(Text(ledger, "checkpoints", "0")) + " (latest covers " +
                                          E(Text(ledger, "latest_checkpoint_size", "no")) + " entries; " +
                                          E(Text(ledger, "unsigned_entries", "0")) + " after it)"});
  } else {
    out += Row({"Ledger", "<strong>failed verification</strong>"});
  }
  out += Row({"Catalog", "<code>" + E(Text(fw, "catalog")) + "</code>"});
  out += "</tbody></table>\n";
  return out;
}

std::string Summary(const Json& r) {
  const Json& s = r["summary"];
  const Json& a = r["automation"];
  std::string target = "none set";
  std::string against;
  if (a.contains("target") && a["target"].is_number()) {
    target = Percent(a["target"].get<double>());
    against = a["level"].get<double>() + 1e-9 >= a["target"].get<double>() ? "meets the target" : "below the target";
  }
  std::string out = "<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\"><thead>";
  out += Row({"Controls", "Satisfied", "Not satisfied", "Not assessed", "Automation level", "Target"}, "th");
  out += "</thead><tbody>\n";
  out += Row({E(Text(a, "controls")), E(Text(s, "satisfied")), E(Text(s, "not_satisfied")), E(Text(s, "not_assessed")),
              Percent(a["level"].get<double>()) + " (" + E(Text(a, "automated_controls")) + " of " +
                  E(Text(a, "controls")) + " controls judged from the ledger)",
              target + (against.empty() ? "" : ": " + against)});
  out += "</tbody></table>\n";
  out += "<p class=\"small\">The automation level is the share of the framework's controls that evidence rules "
         "judge from the ledger; the others need a person and are always reported as not assessed. "
         "A control is satisfied only when every one of its rules had evidence to judge in the period and found "
         "no violation.</p>\n";
  return out;
}

std::string Controls(const Json& r) {
  std::string out = "<h2 id=\"controls\">Controls</h2>\n";
  for (const auto& c : r["controls"]) {
    const std::string result = Text(c, "result");
    out += "<section class=\"control\" id=\"control-" + E(Text(c, "id")) + "\">\n<h3>" + E(Text(c, "id")) + " " +
           E(Text(c, "title")) + " " + Badge(result) + "</h3>\n";
    out += "<p>" + E(Text(c, "reason")) + "</p>\n";
    out += "<p class=\"small\"><strong>Objective:</strong> " + E(Text(c, "objective")) + "</p>\n";
    if (c.contains("rules")) {
      std::string names;
      for (const auto& n : c["rules"]) names += (names.empty() ? "" : ", ") + ("<code>" + E(n.get<std::string>()) + "</code>");
      out += "<p class=\"small\"><strong>Evidence rules:</strong> " + names + "</p>\n";
    }
    if (c.contains("manual"))
      out += "<p class=\"small\"><strong>Assessed by a person:</strong> " + E(Text(c, "manual")) + "</p>\n";
    if (c.contains("maps_to")) {
      std::string ids;
      for (const auto& m : c["maps_to"]) ids += (ids.empty() ? "" : ", ") + E(m.get<std::string>());
      out += "<p class=\"small\"><strong>Maps to:</strong> " + ids + "</p>\n";
    }
    if (!c["violations"].empty()) {
      out += "<table class=\"violations\"><thead>" + Row({"Ledger entry", "Rule", "Why"}, "th") + "</thead><tbody>\n";
      for (const auto& v : c["violations"])
        out += Row({v.contains("seq") ? EntryLink(v["seq"].dump()) : std::string("the ledger as a whole"),
                    "<code>" + E(Text(v, "rule")) + "</code>", E(Text(v, "why"))});
      out += "</tbody></table>\n";
    }
    if (!c["evidence"].empty()) {
      std::string links;
      for (const auto& s : c["evidence"]) links += (links.empty() ? "" : ", ") + EntryLink(s.dump());
      out += "<p class=\"small\"><strong>Evidence (ledger entries):</strong> " + links + "</p>\n";
    }
    out += "</section>\n";
  }
  return out;
}

std::string Exceptions(const Json& r) {
  std::string out = "<h2 id=\"exceptions\">Exceptions (waivers)</h2>\n";
  const Json list = r.value("exceptions", Json::array());
  if (list.empty()) return out + "<p>No waiver was in force during the period.</p>\n";
  out += "<p class=\"small\">Each waiver in force at some time in the period: who approved it, why, until when, and "
         "the gate decisions that accepted it.</p>\n";
  out += "<table class=\"exceptions\"><thead>" +
         Row({"Entry", "Service / gate", "Finding", "Approved by", "Why", "Issued", "Until", "Accepted by"}, "th") +
         "</thead><tbody>\n";
  for (const auto& w : list) {
    std::string accepted;
    for (const auto& s : w.value("accepted_by", Json::array()))
      accepted += (accepted.empty() ? "" : ", ") + EntryLink(s.dump());
    out += Row({EntryLink(w["seq"].dump()), E(Text(w, "service")) + " / " + E(Text(w, "gate")),
                "<code>" + E(Text(w, "finding")) + "</code>", E(Text(w, "approver")), E(Text(w, "reason")),
                E(Text(w, "issued")), E(Text(w, "expires", "no expiry")), accepted.empty() ? "none" : accepted});
  }
  return out + "</tbody></table>\n";
}

std::string Entries(const Json& r) {
  std::string out = "<h2 id=\"entries\">Ledger entries cited</h2>\n";
  std::string size = Text(r["ledger"], "size", "SIZE");
  out += "<p class=\"small\">Each entry's leaf hash is SHA-256 of 0x00 followed by its stored bytes (RFC 9162). "
         "Its inclusion proof against the root above: <code>tollgate ledger proof inclusion --index SEQ --size " +
         E(size) + "</code>, or <code>GET /api/v1/ledger/proof/inclusion?index=SEQ&amp;size=" + E(size) +
         "</code> from <code>tollgate serve</code>.</p>\n";
  // Entries the controls cite, then waivers not cited otherwise.
  Json all = r.value("entries", Json::object());
  for (const auto& w : r.value("exceptions", Json::array()))
    if (!all.contains(w["seq"].dump()))
      all[w["seq"].dump()] = Json{{"type", "waiver"}, {"time", w.value("issued", Json(""))}, {"leaf_hash", w["leaf_hash"]}};
  if (all.empty()) return out + "<p>No ledger entry is cited.</p>\n";
  std::vector<std::pair<std::uint64_t, const Json*>> sorted;
  for (const auto& [seq, e] : all.items()) sorted.emplace_back(std::stoull(seq), &e);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out += "<table class=\"entries\"><thead>" + Row({"Seq", "Type", "Time", "Leaf hash"}, "th") + "</thead><tbody>\n";
  for (const auto& [seq, e] : sorted) {
    const std::string s = std::to_string(seq);
    out += "<tr id=\"entry-" + s + "\"><td>" + s + "</td><td>" + E(Text(*e, "type")) + "</td><td>" +
           E(Text(*e, "time")) + "</td><td><code class=\"hash\">" + E(Text(*e, "leaf_hash")) + "</code></td></tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace

std::string ToHtml(const Json& report, TimePoint generated) {
  const Json& fw = report["framework"];
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    E(Text(fw, "name")) + " " + E(Text(fw, "version")) + " compliance report</title>\n<style>" +
                    kStyle + "</style>\n</head>\n<body>\n";
  out += Header(report);
  out += Summary(report);
  out += Controls(report);
  out += Exceptions(report);
  out += Entries(report);
  out += "<p class=\"small\">Generated by tollgate at " + E(FormatRfc3339(generated, true)) +
         " from the same result as <code>--format json</code>.</p>\n</body>\n</html>\n";
  return out;
}

}  // namespace tollgate::compliance
