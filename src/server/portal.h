// The portal's pages (issue 17): server-rendered HTML that works without
// JavaScript, each rendered from the JSON its API twin returns, so a page
// and `GET /api/v1/...` cannot disagree. Private to src/server; the service
// gathers the data and decides who may see it, this file only renders.
#pragma once

#include <string>
#include <string_view>

#include "core/canonical_json.h"

namespace tollgate::server::portal {

// The portal's paths: "/", "/login", "/logout" and "/services/NAME". The API
// lives under /api/v1 and never here.
bool IsPage(std::string_view path);
// The label of a page in metrics ("/services/{name}", not one per service).
std::string RouteName(std::string_view path);

// The session cookie's name and its value in a Cookie header ("" if absent).
inline constexpr std::string_view kSessionCookie = "tollgate_session";
std::string SessionFromCookies(std::string_view cookie_header);

// Text safe inside HTML element content and quoted attribute values.
std::string Escape(std::string_view text);

// Where a sign-in may send the browser: a path on this site ("/",
// "/services/a?x=1"), never another origin ("//evil.example", "https://...",
// "/\\evil", control characters). Anything else becomes "/".
std::string SafeNext(std::string_view next);

// The sign-in form: it posts the token (never puts it in a URL) and carries
// `next`; `error` is shown above the form when not empty.
std::string SignInPage(std::string_view next, std::string_view error);

// Every registered service with owner, compliance scope and DORA figures.
// `services` is GET /api/v1/services, `dora` GET /api/v1/reports/dora for the
// overview's window. `owner` and `scope` filter (empty: all); `sort` is a
// column name ("name", "owner", "stage", "deploys"), descending when it
// starts with '-'.
struct OverviewQuery {
  std::string owner;
  std::string scope;
  std::string sort = "name";
};
std::string OverviewPage(const Json& services, const Json& dora, const OverviewQuery& query, std::string_view who);

// One service: owner, scope, gates with their bypass authority, and DORA
// figures over the window and by week. `service` is one element of
// GET /api/v1/services; `dora` is GET /api/v1/reports/dora?by=week (the
// service's figures are taken from its "services" entries). `gate_runs` is
// GET /api/v1/gate-runs?service=NAME (newest first): each links to its
// change page.
// `slo`: the service's /api/v1/reports/slo JSON ({"slos": [...]}), or
// {"error": text} when it could not be computed, or null without a spec.
std::string ServicePage(const Json& service, const Json& dora, const Json& gate_runs, std::string_view who,
                        const Json& slo = Json());

// A page for a missing service or an error, with a link home.
std::string MessagePage(std::string_view title, std::string_view message, std::string_view who);

// The header's navigation: Overview ("/"), Waivers ("/waivers") and Ledger
// ("/ledger") on every signed-in page, in that order, plain links (reached
// with Tab, followed with Enter) after a "Skip to content" link; the entry
// for the page being shown carries aria-current="page".
enum class NavItem { kNone, kOverview, kWaivers, kLedger };
std::string NavBar(NavItem current);

// The page frame (skip link, header with NavBar when `who` is signed in,
// sign-out, title) around `body`, and a query value percent-encoded: for the
// pages in portal_pages.cpp.
std::string Layout(std::string_view title, std::string_view who, const std::string& body, NavItem current = NavItem::kNone);
std::string QueryValue(std::string_view value);

// ---- change, waiver queue and ledger pages (portal_pages.cpp) ----------------
//
// Forms post to the pages below "/waivers/" and "/ledger/"; each carries the
// session's form token (FormToken) in a hidden field "csrf", checked with
// FormAllowed, besides the SameSite=Strict cookie.

// "/changes/ID", "/waivers", "/ledger" and the form actions
// "/waivers/request", "/waivers/approve", "/waivers/reject", "/ledger/verify".
bool IsChangePage(std::string_view path);  // "/changes/" followed by digits
bool IsActionPath(std::string_view path);  // the form actions (POST only)
bool IsMorePage(std::string_view path);    // any of the above
std::string MoreRouteName(std::string_view path);  // "/changes/{id}" or the path

// The per-session form token: hex SHA-256 of a fixed label and the session
// token, so only a page served to that session carries it.
std::string FormToken(std::string_view session);
// A form post is taken when `form_token` is the session's and the Origin
// header, when a browser sends one other than "null", names `host` (the
// Host header) over http or https.
bool FormAllowed(std::string_view origin, std::string_view host, std::string_view form_token, std::string_view session);

// One gate run: GET /api/v1/gate-runs?id=ID. Gates with decision, threshold
// and bypass authority; findings with file, line, fix text and references
// (with a "Request waiver" form for each blocking one of a gate that allows
// bypass); waivers and approvals; waiver requests; ledger entries with links
// to their inclusion proofs.
std::string ChangePage(const Json& change, std::string_view form_token, std::string_view who);

// GET /api/v1/waiver-requests?status=STATUS: each request with approve and
// reject forms where the request's "can_approve" / "can_reject" say the
// viewer may (the server computes them for the caller). `notice` is one of
// "requested", "approved", "rejected" or empty.
std::string WaiverQueuePage(const Json& requests, std::string_view status, std::string_view notice,
                            std::string_view form_token, std::string_view who);

// GET /api/v1/ledger/head and GET /api/v1/ledger/entries with the search's
// query; `verify` is POST /api/v1/ledger/verify's answer after "Verify now"
// (null otherwise).
struct LedgerQuery {
  std::string type, service, from, to, after, limit;
};
std::string LedgerPage(const Json& head, const Json& entries, const LedgerQuery& query, const Json& verify,
                       std::string_view form_token, std::string_view who);

}  // namespace tollgate::server::portal
