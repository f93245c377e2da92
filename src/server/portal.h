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
// service's figures are taken from its "services" entries).
std::string ServicePage(const Json& service, const Json& dora, std::string_view who);

// A page for a missing service or an error, with a link home.
std::string MessagePage(std::string_view title, std::string_view message, std::string_view who);

}  // namespace tollgate::server::portal
