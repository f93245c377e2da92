// The portal's pages through Service::Handle: sign-in with a token (link and
// form), the session cookie, sign-out, pages without a session, redirects
// that stay on the site, the overview and the service page with the DORA
// figures the events give, and escaping. Browser tests come with issue 17's
// JavaScript; these need no browser.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstdio>

#include "server/fixture.h"
#include "server/portal.h"

namespace tollgate::server {
namespace {

using testfx::BackendName;
using testfx::Fixture;
class Portal : public testfx::BackendTest {};

std::string HeaderOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

// The cookie a browser would send back: "name=value" of the Set-Cookie.
std::string CookieOf(const HttpResponse& r) {
  std::string set = HeaderOf(r, "Set-Cookie");
  return set.substr(0, set.find(';'));
}

HttpResponse Page(Fixture& fx, const std::string& method, const std::string& target, const std::string& cookie,
                  bool tls = false) {
  HttpRequest r = testfx::Request(method, target);
  if (!cookie.empty()) r.headers["cookie"] = "theme=dark; " + cookie;
  r.tls = tls;
  return fx.svc->Handle(r);
}

TEST_P(Portal, PagesWithoutASessionShowTheSignInFormThatPostsTheToken) {
  Fixture fx(GetParam());
  for (const char* path : {"/", "/services/payments-api", "/services/none"}) {
    auto r = Page(fx, "GET", path, "");
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("<form method=\"post\" action=\"/login\">"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("type=\"password\""), std::string::npos);
    EXPECT_NE(r.body.find("name=\"next\" value=\"" + std::string(path) + "\""), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("payments-api</a>"), std::string::npos) << "no data before sign-in";
  }
  // An API token is not a session: the pages read only the cookie.
  EXPECT_EQ(fx.Call("GET", "/", fx.tokens["developer"]).status, 401);
  // A forged or unknown session cookie.
  EXPECT_EQ(Page(fx, "GET", "/", "tollgate_session=tg_forged").status, 401);
}

TEST_P(Portal, TokenLinkSetsAnHttpOnlySessionCookieAndRedirectsToNext) {
  Fixture fx(GetParam());
  std::uint64_t before = fx.LedgerSize();
  std::string token = fx.tokens["developer"];
  auto r = Page(fx, "GET", "/login?token=" + token + "&next=/services/payments-api", "");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(HeaderOf(r, "Location"), "/services/payments-api");
  std::string set = HeaderOf(r, "Set-Cookie");
  EXPECT_EQ(set.rfind("tollgate_session=tg_", 0), 0u) << set;
  EXPECT_NE(set.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(set.find("; Path=/"), std::string::npos);
  EXPECT_NE(set.find("; Max-Age=43200"), std::string::npos);
  EXPECT_EQ(set.find("Secure"), std::string::npos) << "plain HTTP: a Secure cookie would never come back";
  EXPECT_EQ(set.find(token), std::string::npos) << "the API token itself never goes into a cookie";
  EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "no-referrer");
  // The sign-in is recorded, with its principal and without the token.
  EXPECT_EQ(fx.LedgerSize(), before + 1);
  auto exported = fx.Call("GET", "/api/v1/ledger/export", fx.tokens["auditor"]);
  EXPECT_NE(exported.body.find("session.created"), std::string::npos);
  EXPECT_EQ(exported.body.find(token), std::string::npos);
  EXPECT_EQ(exported.body.find(CookieOf(r).substr(17)), std::string::npos);

  auto page = Page(fx, "GET", "/services/payments-api", CookieOf(r));
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("Signed in as p-developer"), std::string::npos);

  // Over HTTPS the cookie is Secure too; `next` defaults to the overview.
  auto tls = Page(fx, "GET", "/login?token=" + token, "", true);
  ASSERT_EQ(tls.status, 303);
  EXPECT_EQ(HeaderOf(tls, "Location"), "/");
  EXPECT_NE(HeaderOf(tls, "Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_P(Portal, TheFormPostSignsInLikeTheLink) {
  Fixture fx(GetParam());
  auto r = Page(fx, "POST", "/login?token=" + fx.tokens["auditor"] + "&next=/", "");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(Page(fx, "GET", "/", CookieOf(r)).status, 200);
  // An empty form is refused with the form again.
  auto empty = Page(fx, "POST", "/login", "");
  EXPECT_EQ(empty.status, 401);
  EXPECT_NE(empty.body.find("Enter a token."), std::string::npos);
  EXPECT_EQ(Page(fx, "GET", "/login", "").status, 200);
  EXPECT_EQ(Page(fx, "PUT", "/login", "").status, 405);
}

TEST_P(Portal, NextNeverLeavesTheSite) {
  Fixture fx(GetParam());
  const std::string token = fx.tokens["developer"];
  const std::pair<std::string, std::string> cases[] = {
      {"//evil.example/x", "/"},       {"https://evil.example/", "/"}, {"/\\evil.example", "/"},
      {"evil.example", "/"},           {"/ok\r\nSet-Cookie: x=1", "/"}, {"/services/payments-api?x=1", "/services/payments-api?x=1"},
      {"", "/"},
  };
  for (const auto& [next, want] : cases) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/login";
    r.query = {{"token", token}, {"next", next}};
    auto resp = fx.svc->Handle(r);
    ASSERT_EQ(resp.status, 303) << next;
    EXPECT_EQ(HeaderOf(resp, "Location"), want) << next;
  }
}

TEST_P(Portal, RefusedTokensSetNoCookieAndWriteNothing) {
  Fixture fx(GetParam());
  std::uint64_t before = fx.LedgerSize();
  auto revoke = fx.Call("POST", "/api/v1/tokens/revoke", fx.admin, Json{{"token", fx.tokens["sre"]}}.dump());
  ASSERT_EQ(revoke.status, 200) << revoke.body;
  before = fx.LedgerSize();
  for (const std::string& bad : {std::string("tg_unknown"), fx.tokens["sre"], std::string("not-a-token"),
                                 std::string("<script>alert(1)</script>")}) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/login";
    r.query = {{"token", bad}};
    auto resp = fx.svc->Handle(r);
    EXPECT_EQ(resp.status, 401) << bad;
    EXPECT_EQ(HeaderOf(resp, "Set-Cookie"), "") << bad;
    EXPECT_EQ(resp.body.find("<script>alert"), std::string::npos);
  }
  EXPECT_EQ(fx.LedgerSize(), before);
}

TEST_P(Portal, SignOutEndsTheSessionAndSessionsExpire) {
  Fixture fx(GetParam());
  auto in = Page(fx, "GET", "/login?token=" + fx.tokens["developer"], "");
  std::string cookie = CookieOf(in);
  ASSERT_EQ(Page(fx, "GET", "/", cookie).status, 200);
  auto out = Page(fx, "POST", "/logout", cookie);
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(HeaderOf(out, "Location"), "/login");
  EXPECT_NE(HeaderOf(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto after = Page(fx, "GET", "/", cookie);
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.body.find("session ended"), std::string::npos);
  EXPECT_EQ(Page(fx, "GET", "/logout", cookie).status, 405);

  auto again = Page(fx, "GET", "/login?token=" + fx.tokens["developer"], "");
  fx.clock.Set(fx.clock.Now() + std::chrono::hours(12) - std::chrono::seconds(1));
  EXPECT_EQ(Page(fx, "GET", "/", CookieOf(again)).status, 200);
  fx.clock.Set(fx.clock.Now() + std::chrono::seconds(1));
  EXPECT_EQ(Page(fx, "GET", "/", CookieOf(again)).status, 401) << "a session lasts 12 hours";
}

TEST_P(Portal, OverviewAndServicePageShowTheRegistryAndDoraFigures) {
  Fixture fx(GetParam());
  // Two production deploys in the 90 days before the fixture's clock
  // (2026-06-15), with changes committed 2 and 4 hours before: 2 deploys,
  // lead time median 3 h; one older deploy outside the window.
  std::string jsonl =
      R"({"type":"deploy","id":"d0","service":"payments-api","env":"prod","commit":"a0","status":"success","time":"2026-01-02T10:00:00Z","changes":[{"commit":"c0","time":"2026-01-02T08:00:00Z"}]})"
      "\n"
      R"({"type":"deploy","id":"d1","service":"payments-api","env":"prod","commit":"a1","status":"success","time":"2026-06-01T10:00:00Z","changes":[{"commit":"c1","time":"2026-06-01T08:00:00Z"}]})"
      "\n"
      R"({"type":"deploy","id":"d2","service":"payments-api","env":"prod","commit":"a2","status":"success","time":"2026-06-08T10:00:00Z","changes":[{"commit":"c2","time":"2026-06-08T06:00:00Z"}]})"
      "\n";
  ASSERT_EQ(fx.Call("POST", "/api/v1/events", fx.tokens["release-manager"], jsonl).status, 201);
  std::string cookie = CookieOf(Page(fx, "GET", "/login?token=" + fx.tokens["auditor"], ""));

  auto home = Page(fx, "GET", "/", cookie);
  ASSERT_EQ(home.status, 200) << home.body;
  EXPECT_EQ(home.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(home.body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(home.body.find("<a href=\"/services/payments-api\">payments-api</a>"), std::string::npos) << home.body;
  EXPECT_NE(home.body.find("<td>team-payments</td>"), std::string::npos);
  EXPECT_NE(home.body.find("<td>secrets</td>"), std::string::npos) << "the gate without bypass is named";
  EXPECT_NE(home.body.find("<td class=\"num\">2</td>"), std::string::npos) << "two deploys in the window";
  EXPECT_NE(HeaderOf(home, "Content-Security-Policy").find("default-src 'none'"), std::string::npos);

  // Filters: an owner with no service lists none.
  auto none = Page(fx, "GET", "/?owner=team-nobody", cookie);
  EXPECT_NE(none.body.find("<caption>0 services</caption>"), std::string::npos) << none.body;
  EXPECT_NE(Page(fx, "GET", "/?owner=team-payments&sort=-deploys", cookie).body.find("<caption>1 service</caption>"),
            std::string::npos);

  auto svc = Page(fx, "GET", "/services/payments-api", cookie);
  ASSERT_EQ(svc.status, 200) << svc.body;
  EXPECT_NE(svc.body.find("<h1>payments-api</h1>"), std::string::npos);
  EXPECT_NE(svc.body.find("<span class=\"badge none\">none</span>"), std::string::npos) << "secrets allows no bypass";
  EXPECT_NE(svc.body.find("<td>security</td>"), std::string::npos) << "sast's bypass role";
  // Whole window: 2 deploys; lead time median (2 h, 4 h) = 3 h.
  EXPECT_NE(svc.body.find("<td class=\"num\">2</td>"), std::string::npos);
  EXPECT_NE(svc.body.find("<td class=\"num\">3</td>"), std::string::npos) << svc.body;
  // By week: the weeks of 2026-06-01 and 2026-06-08 each show one deploy.
  EXPECT_NE(svc.body.find("<th scope=\"row\">2026-06-01</th>"), std::string::npos) << svc.body;

  auto missing = Page(fx, "GET", "/services/<b>nope</b>", cookie);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("&lt;b&gt;nope&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(missing.body.find("<b>nope"), std::string::npos);
}

// The text of the page's JSON data block with this id, parsed ("null" if absent).
Json DataBlock(const std::string& body, const std::string& id) {
  std::string open = "<script type=\"application/json\" id=\"" + id + "\">";
  auto start = body.find(open);
  if (start == std::string::npos) return Json(nullptr);
  start += open.size();
  auto end = body.find("</script>", start);
  return Json::parse(body.substr(start, end - start));
}

// The value of the first `attr="..."` in body that starts with prefix.
std::string AttrStartingWith(const std::string& body, const std::string& attr, const std::string& prefix) {
  auto at = body.find(attr + "=\"" + prefix);
  if (at == std::string::npos) return "";
  at += attr.size() + 2;
  return body.substr(at, body.find('"', at) - at);
}

TEST_P(Portal, ServicePageCarriesItsWeeksForTheChartsAndLinksTheScript) {
  Fixture fx(GetParam());
  // One production deploy in the week of 2026-06-01 (a Monday), its change
  // committed 2 h before: that week has 1 deploy, lead time median 2 h.
  std::string jsonl =
      R"({"type":"deploy","id":"d1","service":"payments-api","env":"prod","commit":"a1","status":"success","time":"2026-06-01T10:00:00Z","changes":[{"commit":"c1","time":"2026-06-01T08:00:00Z"}]})"
      "\n";
  ASSERT_EQ(fx.Call("POST", "/api/v1/events", fx.tokens["release-manager"], jsonl).status, 201);
  std::string cookie = CookieOf(Page(fx, "GET", "/login?token=" + fx.tokens["auditor"], ""));
  auto svc = Page(fx, "GET", "/services/payments-api", cookie);
  ASSERT_EQ(svc.status, 200) << svc.body;
  Json data = DataBlock(svc.body, "dora-by-week");
  ASSERT_TRUE(data.is_object()) << svc.body;
  EXPECT_EQ(data["service"], "payments-api");
  EXPECT_EQ(data["env"], "prod");
  ASSERT_TRUE(data["periods"].is_array());
  int weeks_with_deploys = 0;
  for (const auto& w : data["periods"]) {
    if (w["metrics"].is_null()) continue;
    if (w["from"] == "2026-06-01T00:00:00Z") {
      EXPECT_EQ(w["metrics"]["deployments"], 1);
      EXPECT_EQ(w["metrics"]["lead_time_hours"]["median"], 2);
    }
    if (w["metrics"]["deployments"].get<int>() > 0) ++weeks_with_deploys;
  }
  EXPECT_EQ(weeks_with_deploys, 1) << data.dump();
  EXPECT_NE(svc.body.find("<div id=\"dora-charts\"></div>"), std::string::npos);

  // Scripts only from the site itself: the bundle, never inline code.
  std::string csp = HeaderOf(svc, "Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("script-src 'self' 'unsafe-inline'"), std::string::npos) << csp;
  std::string script = AttrStartingWith(svc.body, "src", "/assets/portal.");
  std::string style = AttrStartingWith(svc.body, "href", "/assets/portal.");
  ASSERT_FALSE(script.empty()) << svc.body;
  ASSERT_FALSE(style.empty()) << svc.body;
  // The sign-in page links the same files.
  EXPECT_NE(Page(fx, "GET", "/login", "").body.find(script), std::string::npos);

  for (const auto& [path, type] : {std::pair{script, std::string("text/javascript; charset=utf-8")},
                                   std::pair{style, std::string("text/css; charset=utf-8")}}) {
    auto a = Page(fx, "GET", path, "");  // no session: the files hold no data
    ASSERT_EQ(a.status, 200) << path;
    EXPECT_EQ(a.content_type, type);
    EXPECT_EQ(HeaderOf(a, "Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(HeaderOf(a, "X-Content-Type-Options"), "nosniff");
    // The name carries the first 16 hex digits of the content's SHA-256
    // (computed here with OpenSSL, not with Tollgate's helper).
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(a.body.data()), a.body.size(), digest);
    char hex[17];
    for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    std::string ext = path.substr(path.rfind('.'));
    EXPECT_EQ(path, "/assets/portal." + std::string(hex) + ext);
  }
  auto js = Page(fx, "GET", script, "");
  EXPECT_NE(js.body.find("dora-by-week"), std::string::npos) << "the bundle reads the data block";
  EXPECT_NE(Page(fx, "GET", style, "").body.find(".uplot"), std::string::npos) << "uPlot's styles are bundled";
  // An old build's name, another file, another method.
  EXPECT_EQ(Page(fx, "GET", "/assets/portal.0123456789abcdef.js", "").status, 404);
  EXPECT_EQ(Page(fx, "GET", "/assets/../api/v1/services", "").status, 404);
  EXPECT_EQ(Page(fx, "POST", script, "").status, 405);
}

// How many times `needle` occurs in `hay`.
std::size_t Count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + needle.size())) ++n;
  return n;
}

TEST_P(Portal, HeaderNavigationLinksEveryPageAndMarksTheCurrentOne) {
  Fixture fx(GetParam());
  std::string cookie = CookieOf(Page(fx, "GET", "/login?token=" + fx.tokens["developer"], ""));
  // page -> the link that must carry aria-current ("" for none: a service page
  // is not the overview itself).
  const std::pair<const char*, const char*> kPages[] = {
      {"/", "<a href=\"/\" aria-current=\"page\">Overview</a>"},
      {"/waivers", "<a href=\"/waivers\" aria-current=\"page\">Waivers</a>"},
      {"/ledger", "<a href=\"/ledger\" aria-current=\"page\">Ledger</a>"},
      {"/services/payments-api", ""}};
  for (const auto& [path, current] : kPages) {
    auto r = Page(fx, "GET", path, cookie);
    ASSERT_EQ(r.status, 200) << path;
    SCOPED_TRACE(path);
    EXPECT_EQ(Count(r.body, "<nav aria-label=\"Main\">"), 1u);
    auto nav = r.body.substr(r.body.find("<nav aria-label=\"Main\">"));
    nav = nav.substr(0, nav.find("</nav>"));
    // The three links in order, each a plain <a href> (focusable with Tab).
    auto o = nav.find("href=\"/\""), w = nav.find("href=\"/waivers\""), l = nav.find("href=\"/ledger\"");
    ASSERT_NE(o, std::string::npos);
    ASSERT_NE(w, std::string::npos);
    ASSERT_NE(l, std::string::npos);
    EXPECT_LT(o, w);
    EXPECT_LT(w, l);
    EXPECT_EQ(Count(nav, "aria-current"), std::string(current).empty() ? 0u : 1u);
    if (!std::string(current).empty()) {
      EXPECT_NE(nav.find(current), std::string::npos) << nav;
    }
    // The first link of the page skips the header to the content.
    EXPECT_EQ(r.body.find("<a "), r.body.find("<a class=\"skip\" href=\"#main\">"));
    EXPECT_NE(r.body.find("<main id=\"main\">"), std::string::npos);
  }
  // A change page marks none; the sign-in page (no session) has no navigation.
  Json run{{"service", "payments-api"}, {"commit", "c"}, {"gates", {{"secrets", Json::array()}, {"sast", Json::array()}}}};
  auto posted = fx.Call("POST", "/api/v1/gate-runs", fx.tokens["developer"], run.dump());
  ASSERT_EQ(posted.status, 201) << posted.body;
  auto change = Page(fx, "GET", "/changes/" + Fixture::Parse(posted)["change"].dump(), cookie);
  ASSERT_EQ(change.status, 200);
  EXPECT_EQ(Count(change.body, "<nav aria-label=\"Main\">"), 1u);
  EXPECT_EQ(Count(change.body, "aria-current=\"page\""), 0u);
  EXPECT_EQ(Page(fx, "GET", "/ledger", "").body.find("<nav"), std::string::npos);
}

TEST(PortalRender, DataBlocksCannotCloseTheirElement) {
  // A hostile service name and a week whose metrics hold markup: the block
  // parses back to the same values and nothing in it ends the <script>.
  std::string name = "</script><script>alert(1)</script><!--&";
  Json service{{"name", name}, {"owner", "o"}, {"compliance", Json::array()}, {"gates", Json::array()}};
  Json metrics{{"deployments", 3}, {"stage", "</SCRIPT>"}};
  Json dora{{"env", "prod"},
            {"window", {{"from", "2026-06-01T00:00:00Z"}, {"to", "2026-06-08T00:00:00Z"}}},
            {"services", Json::object()},
            {"periods", Json::array({Json{{"from", "2026-06-01T00:00:00Z"}, {"to", "2026-06-08T00:00:00Z"},
                                          {"services", {{name, metrics}}}}})}};
  std::string body = portal::ServicePage(service, dora, Json{{"gate_runs", Json::array()}}, "me");
  Json data = DataBlock(body, "dora-by-week");
  ASSERT_TRUE(data.is_object()) << body;
  EXPECT_EQ(data["service"], name);
  EXPECT_EQ(data["periods"][0]["metrics"], metrics);
  EXPECT_EQ(body.find("<script>alert"), std::string::npos) << body;
  EXPECT_EQ(body.find("</SCRIPT>"), std::string::npos) << body;
}

TEST(PortalRender, EscapeAndSafeNext) {
  EXPECT_EQ(portal::Escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(portal::SafeNext("/a/b?c=d"), "/a/b?c=d");
  EXPECT_EQ(portal::SafeNext("//x"), "/");
  EXPECT_EQ(portal::SafeNext("/\\x"), "/");
  EXPECT_EQ(portal::SafeNext("/a\\b"), "/");
  EXPECT_EQ(portal::SafeNext("javascript:alert(1)"), "/");
  EXPECT_EQ(portal::SafeNext("/a\tb"), "/");
  EXPECT_EQ(portal::SessionFromCookies("a=1; tollgate_session=tg_x; b=2"), "tg_x");
  EXPECT_EQ(portal::SessionFromCookies("xtollgate_session=tg_x"), "");
  EXPECT_EQ(portal::SessionFromCookies(""), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, Portal, ::testing::Values("sqlite", "postgres"), BackendName);

}  // namespace
}  // namespace tollgate::server
