// The portal's pages, rendered from their API twins' JSON (portal.h).
#include "server/portal.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "server/assets.h"

namespace tollgate::server::portal {

bool IsPage(std::string_view path) {
  return path == "/" || path == "/login" || path == "/logout" || (path.rfind("/services/", 0) == 0 && path.size() > 10);
}

std::string RouteName(std::string_view path) {
  return path.rfind("/services/", 0) == 0 ? "/services/{name}" : std::string(path);
}

std::string SessionFromCookies(std::string_view header) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(';', pos);
    std::string_view part = header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == kSessionCookie) return std::string(part.substr(eq + 1));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return "";
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string SafeNext(std::string_view next) {
  if (next.empty() || next.front() != '/') return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";  // protocol-relative: another origin
  for (char c : next)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return "/";
  return std::string(next);
}

std::string NavBar(NavItem current) {
  struct Item {
    NavItem item;
    const char* href;
    const char* label;
  };
  static const Item kItems[] = {
      {NavItem::kOverview, "/", "Overview"}, {NavItem::kWaivers, "/waivers", "Waivers"}, {NavItem::kLedger, "/ledger", "Ledger"}};
  std::string out = "<nav aria-label=\"Main\"><ul>";
  for (const auto& i : kItems)
    out += std::string("<li><a href=\"") + i.href + "\"" + (i.item == current ? " aria-current=\"page\"" : "") + ">" +
           i.label + "</a></li>";
  return out + "</ul></nav>";
}

namespace {

// Percent-encodes a query value.
std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}"
    "header{background:#13315c;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:center}"
    "header a{color:#fff}header .who{margin-left:auto}header nav ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}"
    "header nav a{text-decoration:none;padding:.2rem .1rem}header nav a:hover{text-decoration:underline}"
    "header nav a[aria-current]{font-weight:700;border-bottom:3px solid #f2a900}"
    ".skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;color:#13315c;padding:.3rem .6rem;z-index:1}"
    "main{padding:1rem 1.2rem;max-width:80rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}"
    "dd{margin:0}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
    "th,td{border-bottom:1px solid #c8c8c8;padding:.35rem .6rem;text-align:left}"
    "th a{color:#13315c}a{color:#0b4f9c}a:focus,button:focus,input:focus,select:focus{outline:3px solid #f2a900}"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    ".badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;background:#e8e8e8}"
    ".none{background:#7a0019;color:#fff}.error{color:#7a0019;font-weight:600}.why{display:block;font-size:.8rem;font-weight:400}"
    "form.filters{display:flex;gap:1rem;align-items:end;flex-wrap:wrap}"
    "label{display:flex;flex-direction:column;font-size:.9rem}";

std::string Page(std::string_view title, std::string_view who, const std::string& body, NavItem current = NavItem::kNone) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" + Escape(title) + " · Tollgate</title><style>" + kStyle + "</style>"
      "<link rel=\"stylesheet\" href=\"" + assets::StylePath() + "\"><script src=\"" + assets::ScriptPath() +
      "\" defer></script></head><body><a class=\"skip\" href=\"#main\">Skip to content</a>"
      "<header><strong>Tollgate</strong>";
  if (!who.empty())
    out += NavBar(current) + "<span class=\"who\">Signed in as " + Escape(who) +
           "</span><form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>";
  out += "</header><main id=\"main\"><h1>" + Escape(title) + "</h1>" + body + "</main></body></html>\n";
  return out;
}

std::string Str(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// A number with at most two decimals, or a dash when the report has none.
std::string Num(const Json* j) {
  if (j == nullptr || !j->is_number()) return "–";
  char buf[32];
  double v = j->get<double>();
  if (v == static_cast<double>(static_cast<long long>(v))) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

const Json* At(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// A JSON data block for the page's script: not executed (CSP allows only
// script-src 'self'), and '<', '>', '&' written as \u escapes so no string in
// it can close the element.
std::string JsonBlock(std::string_view id, const Json& data) {
  std::string out = "<script type=\"application/json\" id=\"" + std::string(id) + "\">";
  for (char c : data.dump()) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out + "</script>";
}

// The metrics of one service in a DORA report (its "services" map), or null.
const Json* ServiceMetrics(const Json& scope, const std::string& name) { return At(scope, {"services", name.c_str()}); }

std::string Stage(const Json* m) {
  const Json* s = m ? At(*m, {"stage"}) : nullptr;
  return s && s->is_string() ? s->get<std::string>() : "";
}

// The DORA figures of one scope as table cells, in the order of MetricHeaders().
std::string MetricCells(const Json* m) {
  auto cell = [&](std::initializer_list<const char*> path) {
    return "<td class=\"num\">" + Num(m ? At(*m, path) : nullptr) + "</td>";
  };
  std::string stage = Stage(m);
  return "<td>" + (stage.empty() ? std::string("–") : Escape(stage)) + "</td>" + cell({"deployments"}) +
         cell({"deploys_per_week"}) + cell({"lead_time_hours", "median"}) + cell({"lead_time_hours", "p90"}) +
         cell({"change_failure_rate"}) + cell({"time_to_restore_hours", "median"});
}

const char* kMetricHeaders =
    "<th scope=\"col\">Deploys</th><th scope=\"col\">Deploys / week</th><th scope=\"col\">Lead time median (h)</th>"
    "<th scope=\"col\">Lead time p90 (h)</th><th scope=\"col\">Change failure rate</th>"
    "<th scope=\"col\">Time to restore median (h)</th>";

std::string Scope(const Json& service) {
  std::string out;
  if (auto it = service.find("compliance"); it != service.end() && it->is_array())
    for (const auto& c : *it)
      if (c.is_string()) out += (out.empty() ? "" : ", ") + Escape(c.get<std::string>());
  return out.empty() ? "–" : out;
}

bool InScope(const Json& service, const std::string& scope) {
  if (scope.empty()) return true;
  auto it = service.find("compliance");
  if (it == service.end() || !it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const Json& c) { return c.is_string() && c.get<std::string>() == scope; });
}

// The share of gate runs that passed over the service's "gate_pass_rate"
// window: "67% (2 of 3)", or a dash without runs.
std::string PassRateCell(const Json& service) {
  const Json* r = At(service, {"gate_pass_rate"});
  const Json* rate = r ? At(*r, {"pass_rate"}) : nullptr;
  if (rate == nullptr || !rate->is_number()) return "<td class=\"num\">–</td>";
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.0f%%", rate->get<double>() * 100);
  return "<td class=\"num\">" + std::string(pct) + " (" + Num(At(*r, {"passed"})) + " of " + Num(At(*r, {"runs"})) + ")</td>";
}

// The latest gate run's blocking findings by severity, linking to its change.
std::string OpenBlockingCell(const Json& service) {
  const Json* o = At(service, {"open_blocking"});
  if (o == nullptr || !o->is_object()) return "<td>no gate run</td>";
  std::string change = Num(At(*o, {"change"}));
  std::string text;
  const Json* by = At(*o, {"by_severity"});
  if (by == nullptr || !by->is_object()) {
    text = "report not kept";
  } else {
    for (const char* sev : {"critical", "high", "medium", "low", "info", "unknown"})
      if (const Json* n = At(*by, {sev}); n && n->is_number() && n->get<double>() > 0)
        text += (text.empty() ? "" : ", ") + Num(n) + " " + sev;
    if (text.empty()) text = "none";
  }
  return "<td><a href=\"/changes/" + Escape(change) + "\">" + text + "</a></td>";
}

// The lowest error budget remaining of the service's SLOs ("slo_budget").
std::string SloBudgetCell(const Json& service) {
  const Json* b = At(service, {"slo_budget"});
  if (b == nullptr || !b->is_object()) return "<td>no SLO</td>";
  if (const Json* e = At(*b, {"error"}); e && e->is_string())
    return "<td class=\"error\">unreadable: " + Escape(e->get<std::string>()) + "</td>";
  const Json* low = At(*b, {"lowest"});
  if (low == nullptr || !low->is_number()) return "<td class=\"num\">no data</td>";
  char pct[24];
  std::snprintf(pct, sizeof pct, "%.1f%%", low->get<double>() * 100);
  const Json* slos = At(*b, {"slos"});
  std::size_t n = slos && slos->is_array() ? slos->size() : 0;
  return "<td class=\"num\">" + std::string(pct) + (n > 1 ? " (lowest of " + std::to_string(n) + ")" : "") + "</td>";
}

// "deploys frozen" when an error-budget gate blocks deploys (the reason in
// the badge's text for screen readers and sighted users alike).
std::string FreezeBadge(const Json& service) {
  const Json* f = At(service, {"freeze"});
  const Json* frozen = f ? At(*f, {"frozen"}) : nullptr;
  if (frozen == nullptr || !frozen->is_boolean() || !frozen->get<bool>()) return "";
  std::string why;
  if (const Json* gates = At(*f, {"gates"}); gates && gates->is_array())
    for (const auto& g : *gates)
      if (g.value("frozen", false)) why += (why.empty() ? "" : "; ") + Str(g, "gate") + ": " + Str(g, "reason");
  return " <span class=\"badge none freeze\">deploys frozen</span><span class=\"why\"> " + Escape(why) + "</span>";
}

std::string Window(const Json& dora) {
  return Escape(Str(At(dora, {"window"}) ? *At(dora, {"window"}) : Json(), "from")) + " to " +
         Escape(Str(At(dora, {"window"}) ? *At(dora, {"window"}) : Json(), "to")) + " (environment " +
         Escape(Str(dora, "env")) + ")";
}

}  // namespace

std::string SignInPage(std::string_view next, std::string_view error) {
  std::string body;
  if (!error.empty()) body += "<p class=\"error\" role=\"alert\">" + Escape(error) + "</p>";
  body +=
      "<p>Sign in with an API token (<code>tollgate serve</code> prints the first admin token; an admin issues "
      "others with <code>POST /api/v1/tokens</code>).</p>"
      "<form method=\"post\" action=\"/login\"><label for=\"token\">API token"
      "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required size=\"50\"></label>"
      "<input type=\"hidden\" name=\"next\" value=\"" + Escape(SafeNext(next)) + "\">"
      "<p><button type=\"submit\">Sign in</button></p></form>";
  return Page("Sign in", "", body);
}

std::string OverviewPage(const Json& services, const Json& dora, const OverviewQuery& q, std::string_view who) {
  struct Row {
    const Json* service;
    std::string name, owner, stage;
    double deploys = -1;
    double pass_rate = -1, blocking = -1, budget = -1e300;  // missing sorts first
    int frozen = 0;
  };
  static const std::vector<std::string> kStageOrder{"elite", "high", "medium", "low"};
  std::vector<Row> rows;
  std::set<std::string> owners, scopes;
  const Json* list = At(services, {"services"});
  const Json* overall = At(dora, {"services"}) ? &dora : nullptr;
  if (list && list->is_array()) {
    for (const auto& s : *list) {
      std::string owner = Str(s, "owner");
      if (!owner.empty()) owners.insert(owner);
      if (auto it = s.find("compliance"); it != s.end() && it->is_array())
        for (const auto& c : *it)
          if (c.is_string()) scopes.insert(c.get<std::string>());
      if (!q.owner.empty() && owner != q.owner) continue;
      if (!InScope(s, q.scope)) continue;
      Row r{&s, Str(s, "name"), owner, "", -1};
      const Json* m = overall ? ServiceMetrics(*overall, r.name) : nullptr;
      r.stage = Stage(m);
      if (const Json* d = m ? At(*m, {"deployments"}) : nullptr; d && d->is_number()) r.deploys = d->get<double>();
      if (const Json* p = At(s, {"gate_pass_rate", "pass_rate"}); p && p->is_number()) r.pass_rate = p->get<double>();
      if (const Json* t = At(s, {"open_blocking", "by_severity", "total"}); t && t->is_number()) r.blocking = t->get<double>();
      if (const Json* f = At(s, {"freeze", "frozen"}); f && f->is_boolean()) r.frozen = f->get<bool>() ? 1 : 0;
      if (const Json* l = At(s, {"slo_budget", "lowest"}); l && l->is_number()) r.budget = l->get<double>();
      rows.push_back(std::move(r));
    }
  }
  bool desc = !q.sort.empty() && q.sort.front() == '-';
  std::string key = desc ? q.sort.substr(1) : q.sort;
  auto stage_rank = [&](const std::string& s) {
    auto it = std::find(kStageOrder.begin(), kStageOrder.end(), s);
    return it == kStageOrder.end() ? kStageOrder.size() : static_cast<std::size_t>(it - kStageOrder.begin());
  };
  auto less = [&](const Row& a, const Row& b) {
    if (key == "owner") return a.owner < b.owner;
    if (key == "stage") return stage_rank(a.stage) < stage_rank(b.stage);
    if (key == "deploys") return a.deploys < b.deploys;
    if (key == "pass_rate") return a.pass_rate < b.pass_rate;
    if (key == "blocking") return a.blocking < b.blocking;
    if (key == "frozen") return a.frozen < b.frozen;
    if (key == "slo_budget") return a.budget < b.budget;
    return a.name < b.name;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return desc ? less(b, a) : less(a, b); });

  auto link = [&](const std::string& col, const std::string& label) {
    std::string next = key == col && !desc ? "-" + col : col;
    std::string href = "/?sort=" + UrlEncode(next);
    if (!q.owner.empty()) href += "&owner=" + UrlEncode(q.owner);
    if (!q.scope.empty()) href += "&scope=" + UrlEncode(q.scope);
    std::string aria = key == col ? std::string(" aria-sort=\"") + (desc ? "descending" : "ascending") + "\"" : "";
    return "<th scope=\"col\"" + aria + "><a href=\"" + Escape(href) + "\">" + Escape(label) + "</a></th>";
  };
  auto options = [&](const std::set<std::string>& values, const std::string& chosen) {
    std::string out = "<option value=\"\">all</option>";
    for (const auto& v : values)
      out += "<option" + std::string(v == chosen ? " selected" : "") + " value=\"" + Escape(v) + "\">" + Escape(v) +
             "</option>";
    return out;
  };

  std::string body = "<p>DORA figures over " + Window(dora) + ".</p>";
  body += "<form class=\"filters\" method=\"get\" action=\"/\"><label for=\"owner\">Owner<select id=\"owner\" name=\"owner\">" +
          options(owners, q.owner) + "</select></label><label for=\"scope\">Compliance scope<select id=\"scope\" name=\"scope\">" +
          options(scopes, q.scope) + "</select></label><input type=\"hidden\" name=\"sort\" value=\"" + Escape(q.sort) +
          "\"><button type=\"submit\">Filter</button></form>";
  body += "<table><caption>" + std::to_string(rows.size()) + " service" + (rows.size() == 1 ? "" : "s") +
          "</caption><thead><tr>" + link("name", "Service") + link("owner", "Owner") +
          "<th scope=\"col\">Compliance scope</th><th scope=\"col\">Gates without bypass</th>" +
          link("pass_rate", "Gate pass rate (30 days)") + link("blocking", "Open blocking findings") +
          link("slo_budget", "SLO budget remaining") + link("frozen", "Deploys frozen") + link("stage", "DORA stage") +
          std::string(kMetricHeaders) + "</tr></thead><tbody>";
  for (const auto& r : rows) {
    std::string no_bypass;
    if (auto it = r.service->find("gates"); it != r.service->end() && it->is_array())
      for (const auto& g : *it)
        if (auto b = g.find("bypass"); b != g.end() && b->is_string() && b->get<std::string>() == "none")
          no_bypass += (no_bypass.empty() ? "" : ", ") + Escape(Str(g, "name"));
    const Json* m = overall ? ServiceMetrics(*overall, r.name) : nullptr;
    body += "<tr id=\"service-" + Escape(UrlEncode(r.name)) + "\"><th scope=\"row\"><a href=\"/services/" +
            Escape(UrlEncode(r.name)) + "\">" + Escape(r.name) + "</a>" + FreezeBadge(*r.service) + "</th><td>" +
            (r.owner.empty() ? std::string("–") : Escape(r.owner)) + "</td><td>" + Scope(*r.service) + "</td><td>" +
            (no_bypass.empty() ? std::string("–") : no_bypass) + "</td>" + PassRateCell(*r.service) +
            OpenBlockingCell(*r.service) + SloBudgetCell(*r.service) + "<td>" +
            (r.frozen ? "yes" : "no") + "</td>" + MetricCells(m) + "</tr>";
  }
  body += "</tbody></table><p>JSON: <a href=\"/api/v1/services\">/api/v1/services</a>, "
          "<a href=\"/api/v1/reports/dora\">/api/v1/reports/dora</a> (with an <code>Authorization: Bearer</code> token).</p>";
  return Page("Services", who, body, NavItem::kOverview);
}

std::string ServicePage(const Json& service, const Json& dora, const Json& gate_runs, std::string_view who,
                        const Json& slo) {
  std::string name = Str(service, "name");
  std::string body = "<dl><dt>Owner</dt><dd>" + (Str(service, "owner").empty() ? std::string("–") : Escape(Str(service, "owner"))) +
                     "</dd><dt>Compliance scope</dt><dd>" + Scope(service) + "</dd></dl>";
  if (const Json* e = At(slo, {"error"}); e && e->is_string()) {
    body += "<h2>Error budget</h2><p class=\"error\" role=\"alert\">" + Escape(e->get<std::string>()) + "</p>";
  } else if (const Json* list = At(slo, {"slos"}); list && list->is_array()) {
    body += "<h2>Error budget</h2><table id=\"slo-budget\"><thead><tr><th scope=\"col\">SLO</th>"
            "<th scope=\"col\">Objective</th><th scope=\"col\">Period</th><th scope=\"col\">Budget consumed</th>"
            "<th scope=\"col\">Budget remaining</th><th scope=\"col\">Burn rate by window</th></tr></thead><tbody>";
    for (const auto& b : *list) {
      std::string burn;
      if (const Json* w = At(b, {"burn_rates"}); w && w->is_array())
        for (const auto& r : *w)
          burn += (burn.empty() ? "" : ", ") + Escape(Str(r, "window")) + ": " + Num(At(r, {"burn_rate"}));
      body += "<tr><th scope=\"row\">" + Escape(Str(b, "slo")) + "</th><td class=\"num\">" + Num(At(b, {"objective"})) +
              "</td><td>" + Escape(Str(b, "period")) + "</td><td class=\"num\">" +
              Num(At(b, {"error_budget", "consumed"})) + "</td><td class=\"num\">" +
              Num(At(b, {"error_budget", "remaining"})) + "</td><td>" + (burn.empty() ? "–" : burn) + "</td></tr>";
    }
    body += "</tbody></table><p>JSON: <a href=\"/api/v1/reports/slo?service=" + Escape(UrlEncode(name)) +
            "\">/api/v1/reports/slo?service=" + Escape(name) + "</a>.</p>";
  }
  body += "<h2>Gates</h2><table><thead><tr><th scope=\"col\">Gate</th><th scope=\"col\">Source</th>"
          "<th scope=\"col\">Blocks at</th><th scope=\"col\">Bypass authority</th></tr></thead><tbody>";
  if (auto it = service.find("gates"); it != service.end() && it->is_array()) {
    for (const auto& g : *it) {
      std::string bypass;
      if (auto b = g.find("bypass"); b != g.end()) {
        if (b->is_string()) bypass = "<span class=\"badge none\">none</span>";
        else if (b->is_array())
          for (const auto& r : *b)
            if (r.is_string()) bypass += (bypass.empty() ? "" : ", ") + Escape(r.get<std::string>());
      }
      body += "<tr><th scope=\"row\">" + Escape(Str(g, "name")) + "</th><td>" + Escape(Str(g, "source")) + "</td><td>" +
              Escape(Str(g, "fail_on")) + "</td><td>" + bypass + "</td></tr>";
    }
  }
  body += "</tbody></table>";
  const Json* runs = At(gate_runs, {"gate_runs"});
  std::size_t n = runs && runs->is_array() ? runs->size() : 0;
  body += "<h2>Recent gate runs</h2><table id=\"service-gate-runs\"><caption>" +
          (n == 0 ? std::string("No gate run recorded") : "The latest " + std::to_string(n)) +
          "</caption><thead><tr><th scope=\"col\">Change</th><th scope=\"col\">Decision</th><th scope=\"col\">Commit</th>"
          "<th scope=\"col\">Author</th><th scope=\"col\">Time</th></tr></thead><tbody>";
  if (n > 0)
    for (const auto& r : *runs) {
      std::string id = Num(At(r, {"id"}));
      std::string decision = Str(r, "decision");
      body += "<tr><th scope=\"row\"><a href=\"/changes/" + Escape(id) + "\">" + Escape(id) + "</a></th><td>" +
              (decision == "pass" ? Escape(decision) : "<strong>" + Escape(decision) + "</strong>") + "</td><td><code>" +
              Escape(Str(r, "commit")) + "</code></td><td>" + Escape(Str(r, "author")) + "</td><td>" + Escape(Str(r, "time")) +
              "</td></tr>";
    }
  body += "</tbody></table>";
  body += "<h2>Delivery (DORA)</h2><p>Over " + Window(dora) + ".</p>";
  body += "<table><caption>Whole window</caption><thead><tr><th scope=\"col\">Scope</th><th scope=\"col\">Stage</th>" +
          std::string(kMetricHeaders) + "</tr></thead><tbody><tr><th scope=\"row\">" + Escape(name) + "</th>" +
          MetricCells(ServiceMetrics(dora, name)) + "</tr></tbody></table>";
  // The charts (web/src/dora.js) draw the by-week figures the table below
  // shows, from the same report: its window and each week's entry for this
  // service, verbatim.
  Json weeks = Json::array();
  if (const Json* periods = At(dora, {"periods"}); periods && periods->is_array())
    for (const auto& p : *periods) {
      const Json* m = ServiceMetrics(p, name);
      weeks.push_back(Json{{"from", Str(p, "from")}, {"to", Str(p, "to")}, {"metrics", m ? *m : Json(nullptr)}});
    }
  const Json* window = At(dora, {"window"});
  body += JsonBlock("dora-by-week", Json{{"service", name}, {"env", Str(dora, "env")},
                                         {"window", window ? *window : Json(nullptr)}, {"periods", weeks}}) +
          "<div id=\"dora-charts\"></div>";
  body += "<table><caption>By week</caption><thead><tr><th scope=\"col\">Week from</th><th scope=\"col\">Stage</th>" +
          std::string(kMetricHeaders) + "</tr></thead><tbody>";
  if (const Json* periods = At(dora, {"periods"}); periods && periods->is_array())
    for (const auto& p : *periods)
      body += "<tr><th scope=\"row\">" + Escape(Str(p, "from").substr(0, 10)) + "</th>" +
              MetricCells(ServiceMetrics(p, name)) + "</tr>";
  body += "</tbody></table><p>JSON: <a href=\"/api/v1/reports/dora?service=" + Escape(UrlEncode(name)) +
          "&amp;by=week\">/api/v1/reports/dora?service=" + Escape(name) + "&amp;by=week</a>, <code>/api/v1/gate-runs?service=" +
          Escape(name) + "</code></p>";
  return Page(name, who, body);
}

std::string MessagePage(std::string_view title, std::string_view message, std::string_view who) {
  return Page(title, who, "<p>" + Escape(message) + "</p><p><a href=\"/\">All services</a></p>");
}

std::string Layout(std::string_view title, std::string_view who, const std::string& body, NavItem current) {
  return Page(title, who, body, current);
}

std::string QueryValue(std::string_view value) { return UrlEncode(value); }

}  // namespace tollgate::server::portal
