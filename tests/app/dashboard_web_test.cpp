// The dashboard's HTTP side against a real engine host and SQLite store: links, cookies, CSRF,
// security headers, escaping, and forms that run chat commands (adapters/web/web_adapter.h).
// The real-browser scenario is tests/web/dashboard_test.mjs.

#include "adapters/http/hmac.h"
#include "adapters/web/web_adapter.h"
#include "app/engine_host.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>
#include <date/date.h>

#include <filesystem>
#include <random>
#include <regex>

using namespace tandem;
using namespace std::chrono_literals;

namespace {

const std::filesystem::path prompts = tandem::testing::source_tree() / "prompts";

world seed() {
  world w;
  w.collaborations["river"] = collaboration{"river", "River <Alliance>", false, {}};
  w.organizations[{"river", "city"}] = organization{"river", "city", "City"};
  for (const auto& [id, roles] : {std::pair{std::string{"ana"}, std::set{role::facilitator}},
                                  std::pair{std::string{"dee"}, std::set{role::participant}}}) {
    person p;
    p.id = id;
    p.name = id == "ana" ? "Ana" : "Dee";
    p.identities = {identity{"console", "", id}};
    w.people[id] = p;
    w.memberships[{"river", id}] = membership{"river", id, "city", roles, tier::active, true};
  }
  w.engine.public_url = "https://tandem.example.org";
  return w;
}

/// A dashboard over a host on a temporary store, with a clock the test moves.
struct dashboard_fixture {
  std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("tandem-web-" + std::to_string(std::random_device{}()) + ".db");
  metrics_registry metrics;
  sqlite_store store{file.string()};
  engine_host host{store, metrics, {"en", "fr"}};
  time_point now = date::sys_days{date::year{2026} / 11 / 25} + 10h;
  std::unique_ptr<web_adapter> web;
  int commands = 0;

  dashboard_fixture() {
    host.start(seed(), now);
    web_context c;
    c.on_core = [](std::function<void()> f) { f(); };
    c.current = [this]() -> const world& { return host.current(); };
    c.commit = [this](const std::vector<action>& actions) { host.commit(actions); };
    c.submit = [this](const inbound& event) {
      ++commands;
      host.submit(event, now);
      for (const auto& row : store.due_outbox(now, 100)) {  // the dispatcher's part, for dashboard replies
        if (row.item.to.platform != dashboard_platform) continue;
        web->deliver(row.item.to, rendered_message{row.item.body.kind, {}}, row.item.key, [](delivery_result) {});
        store.mark_sent(row.id, now);
      }
      return true;
    };
    c.task_history = [this](std::int64_t task) { return store.task_history(task); };
    c.audit = [this](const audit_selection& which, std::size_t offset, std::size_t limit) {
      return store.audit_page(which, offset, limit);
    };
    c.clock = [this] { return now; };
    c.secure_cookies = true;
    web = std::make_unique<web_adapter>(c, web_labels::load(prompts));
  }
  ~dashboard_fixture() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
  }

  http_response get(const std::string& path, const std::string& cookie = "") {
    http_request r{"GET", path, path, {}, {}, "", "127.0.0.1:1"};
    if (auto q = path.find('?'); q != std::string::npos) {
      r.path = path.substr(0, q);
      const auto fields = parse_form(path.substr(q + 1));
      for (const auto& [k, v] : *fields) r.query.emplace(k, v);
    }
    if (!cookie.empty()) r.headers["cookie"] = cookie;
    return web->respond(r);
  }
  http_response post(const std::string& path, const std::string& body, const std::string& cookie) {
    http_request r{"POST", path, path, {}, {{"cookie", cookie}}, body, "127.0.0.1:1"};
    return web->respond(r);
  }

  /// `who` asks for a link in their DM; returns the token in it.
  std::string link_for(const std::string& who) {
    static int n = 0;
    host.submit(inbound{"console:" + who + ":" + std::to_string(++n), identity{"console", "", who}, "dm", true, true,
                        inbound_kind::command, "dashboard", now, ""},
                now);
    const auto rows = store.outbox_rows("reply:console:" + who + ":" + std::to_string(n));
    REQUIRE(rows.size() == 1);
    const std::string link = rows[0].item.body.values.value("link", "");
    REQUIRE(link.starts_with("https://tandem.example.org/dashboard/sign-in/"));
    return link.substr(link.rfind('/') + 1);
  }

  /// Signs in with a fresh link of `who`; returns the cookie to send back.
  std::string signed_in(const std::string& who) {
    const auto response = get("/dashboard/sign-in/" + link_for(who));
    REQUIRE(response.status == 303);
    return cookie_of(response);
  }

  static std::string header(const http_response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  static std::string cookie_of(const http_response& r) {
    const std::string set = header(r, "Set-Cookie");
    return set.substr(0, set.find(';'));
  }
  static std::string field(const std::string& html, const std::string& name) {
    std::smatch m;
    REQUIRE(std::regex_search(html, m, std::regex{"name=\"" + name + "\" value=\"([^\"]*)\""}));
    return m[1];
  }
};

}  // namespace

TEST_CASE("opening a link sets an HttpOnly, SameSite=Lax, Secure session cookie and goes to the collaboration") {
  dashboard_fixture d;
  const auto response = d.get("/dashboard/sign-in/" + d.link_for("ana"));
  CHECK(response.status == 303);
  CHECK(dashboard_fixture::header(response, "Location") == "/dashboard/river");
  const std::string cookie = dashboard_fixture::header(response, "Set-Cookie");
  CHECK(cookie.starts_with("tandem_session="));
  for (const char* flag : {"HttpOnly", "SameSite=Lax", "Secure", "Path=/dashboard", "Max-Age=604800"}) {
    CHECK_THAT(cookie, Catch::Contains(flag));
  }
  // Only hashes are stored: neither the link's token nor the session id is in the world.
  const std::string session_id = dashboard_fixture::cookie_of(response).substr(std::string{"tandem_session="}.size());
  CHECK_FALSE(d.host.current().sessions.contains(session_id));
  CHECK(d.host.current().sessions.contains(sha256_hex(session_id)));
}

TEST_CASE("a used or forged link gets a page that says how to get a new one") {
  dashboard_fixture d;
  const std::string token = d.link_for("ana");
  CHECK(d.get("/dashboard/sign-in/" + token).status == 303);
  for (const std::string& path : {"/dashboard/sign-in/" + token, std::string{"/dashboard/sign-in/forged"}}) {
    const auto again = d.get(path);
    CHECK(again.status == 403);
    CHECK_THAT(again.body, Catch::Contains("write `dashboard` to Tandem in a direct message"));
  }
  d.now += 16min;
  CHECK(d.get("/dashboard/sign-in/" + d.link_for("ana")).status == 303);  // a fresh one works
}

TEST_CASE("every page carries the security headers and escapes what people wrote") {
  dashboard_fixture d;
  const std::string cookie = d.signed_in("ana");
  for (const char* page : {"", "/people", "/tasks", "/approvals", "/calendar", "/reports", "/audit"}) {
    const auto response = d.get(std::string{"/dashboard/river"} + page, cookie);
    CAPTURE(page);
    CHECK(response.status == 200);
    CHECK(dashboard_fixture::header(response, "X-Frame-Options") == "DENY");
    CHECK(dashboard_fixture::header(response, "Referrer-Policy") == "no-referrer");
    const std::string csp = dashboard_fixture::header(response, "Content-Security-Policy");
    CHECK_THAT(csp, Catch::Contains("default-src 'none'"));
    CHECK_THAT(csp, !Catch::Contains("unsafe-inline"));
    CHECK_THAT(response.body, Catch::Contains("River &lt;Alliance&gt;"));
    CHECK_THAT(response.body, !Catch::Contains("<script"));
    CHECK_THAT(response.body, !Catch::Contains("style=\""));
  }
}

TEST_CASE("without a session, or with one of a removed facilitator, pages are refused") {
  dashboard_fixture d;
  CHECK(d.get("/dashboard/river").status == 401);
  CHECK(d.get("/dashboard/river", "tandem_session=forged").status == 401);
  const std::string cookie = d.signed_in("ana");
  d.host.commit({save_membership{membership{"river", "ana", "city", {role::participant}, tier::active, true}}});
  CHECK(d.get("/dashboard/river", cookie).status == 403);
}

TEST_CASE("a form runs its command as the signed-in person, and the result shows on the next page") {
  dashboard_fixture d;
  const std::string cookie = d.signed_in("ana");
  const std::string page = d.get("/dashboard/river/tasks", cookie).body;
  const std::string csrf = dashboard_fixture::field(page, "csrf");
  const std::string nonce = dashboard_fixture::field(page, "nonce");
  const std::string form = "csrf=" + csrf + "&nonce=" + nonce + "&back=tasks&to=%40dee&title=Map+%22wetlands%22+%3Cnow%3E";
  const auto sent = d.post("/dashboard/river/do/assign", form, cookie);
  CHECK(sent.status == 303);
  CHECK(dashboard_fixture::header(sent, "Location") == "/dashboard/river/tasks");
  REQUIRE(d.host.current().tasks.size() == 1);
  CHECK(d.host.current().tasks.begin()->second.title == "Map 'wetlands' <now>");
  CHECK(d.host.current().audit.back().via == "dashboard");

  const std::string next = d.get("/dashboard/river/tasks", cookie).body;
  CHECK_THAT(next, Catch::Contains("role=\"status\""));
  CHECK_THAT(next, Catch::Contains("task_assigned"));  // the reply's kind: this fixture renders no templates
  CHECK_THAT(next, Catch::Contains("Map &#39;wetlands&#39; &lt;now&gt;"));
  CHECK_THAT(d.get("/dashboard/river/tasks", cookie).body, !Catch::Contains("role=\"status\""));  // shown once

  CHECK(d.post("/dashboard/river/do/assign", form, cookie).status == 303);  // the same form again acts once
  CHECK(d.host.current().tasks.size() == 1);
}

TEST_CASE("a form without the session's CSRF token, or with a value that is not of its form, does nothing") {
  dashboard_fixture d;
  const std::string cookie = d.signed_in("ana");
  const std::string page = d.get("/dashboard/river/tasks", cookie).body;
  const std::string nonce = dashboard_fixture::field(page, "nonce");
  CHECK(d.post("/dashboard/river/do/assign", "nonce=" + nonce + "&to=%40dee&title=x", cookie).status == 403);
  CHECK(d.post("/dashboard/river/do/assign", "csrf=wrong&nonce=" + nonce + "&to=%40dee&title=x", cookie).status == 403);
  const std::string csrf = dashboard_fixture::field(page, "csrf");
  // A target with a space would add words to the command: refused before any command runs.
  CHECK(d.post("/dashboard/river/do/assign", "csrf=" + csrf + "&nonce=" + nonce + "&to=%40dee+due+tomorrow&title=x",
               cookie)
            .status == 303);
  CHECK(d.commands == 0);
  CHECK_THAT(d.get("/dashboard/river/tasks", cookie).body, Catch::Contains("a value was not valid"));
}

TEST_CASE("signing out ends the session everywhere, with the CSRF token") {
  dashboard_fixture d;
  const std::string cookie = d.signed_in("ana");
  const std::string other_device = d.signed_in("ana");
  const std::string csrf = dashboard_fixture::field(d.get("/dashboard/river", cookie).body, "csrf");
  CHECK(d.post("/dashboard/sign-out", "csrf=wrong", cookie).status == 403);
  const auto out = d.post("/dashboard/sign-out", "csrf=" + csrf, cookie);
  CHECK(out.status == 200);
  CHECK_THAT(dashboard_fixture::header(out, "Set-Cookie"), Catch::Contains("Max-Age=0"));
  CHECK(d.get("/dashboard/river", cookie).status == 401);
  CHECK(d.get("/dashboard/river", other_device).status == 401);
}

TEST_CASE("a French-speaking facilitator gets the pages in French") {
  dashboard_fixture d;
  d.host.commit({save_person{[&] {
    person p = d.host.current().people.at("ana");
    p.language = "fr";
    return p;
  }()}});
  const std::string cookie = d.signed_in("ana");
  const auto page = d.get("/dashboard/river", cookie).body;
  CHECK_THAT(page, Catch::Contains("<html lang=\"fr\">"));
  CHECK_THAT(page, Catch::Contains("Vue d&#39;ensemble"));
}

TEST_CASE("the audit page is for facilitators; the words files of every language have every word") {
  dashboard_fixture d;
  CHECK_NOTHROW(web_labels::load(prompts));
  d.host.commit({save_membership{membership{"river", "dee", "city", {role::representative}, tier::active, true}}});
  const std::string cookie = d.signed_in("dee");
  CHECK(d.get("/dashboard/river/audit", cookie).status == 403);
  CHECK(d.get("/dashboard/river/tasks", cookie).status == 200);
  CHECK(d.get("/dashboard/river/nonsense", cookie).status == 404);
}

TEST_CASE("a page shown before sign-in speaks the browser's language, English when it has none of ours") {
  dashboard_fixture d;
  http_request french{"GET", "/dashboard/sign-in/forged", "/dashboard/sign-in/forged", {},
                      {{"accept-language", "de-CH, fr;q=0.8, en;q=0.5"}}, "", "127.0.0.1:1"};
  const auto refused = d.web->respond(french);
  CHECK(refused.status == 403);
  CHECK_THAT(refused.body, Catch::Contains("<html lang=\"fr\">"));
  CHECK_THAT(refused.body, Catch::Contains("Ce lien de connexion ne peut pas servir"));
  french.headers["accept-language"] = "de, ja";
  CHECK_THAT(d.web->respond(french).body, Catch::Contains("<html lang=\"en\">"));
}
