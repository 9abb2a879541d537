#include "app/feed_routes.h"

#include "adapters/http/hmac.h"
#include "adapters/http/http_client.h"
#include "adapters/http/http_server.h"
#include "adapters/metrics/metrics_registry.h"
#include "app/config.h"
#include "app/engine_host.h"
#include "core/calendar.h"
#include "core/collaboration_secrets.h"
#include "core/reports.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/run_until.h"
#include "support/source_tree.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tandem;
using namespace std::chrono_literals;

namespace {

const time_point now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h;

std::chrono::sys_days day_of(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
}

world feed_world() {
  world w;
  w.collaborations["river"] = collaboration{"river", "River Alliance", false, {}};
  w.organizations[{"river", "city"}] = organization{"river", "city", "City of Millbrook"};
  w.people["bob"] = person{"bob", "Bob", "UTC", "en", std::nullopt, std::nullopt, {identity{"console", "", "bob"}}};
  w.memberships[{"river", "bob"}] = membership{"river", "bob", "city", {role::representative}, tier::active, true};
  w.secrets[{"river", "calendar"}] = "feed-token";
  w.secrets[{"river", "export"}] = "export-token";
  w.events[7] =
      calendar_event{7,
                     "river",
                     "city",
                     day_of(2026, 12, 12),
                     "Spring newsletter; \"final\", with a title long enough to be folded over two lines \u00e9t\u00e9",
                     {"news", "spring"},
                     "public",
                     "bob",
                     now,
                     std::nullopt};
  w.events[8] = calendar_event{8, "river", "", day_of(2026, 12, 1), "Kick-off", {}, "", "bob", now, std::nullopt};
  w.nudges[{"river", "bob"}] = {nudge_record{now - 48h, now - 46h}, nudge_record{now - 24h, std::nullopt}};
  w.monthly_responses["bob"]["2026-11"] = 3;
  return w;
}

/// The real HTTP server with the feed routes, and a real client, on one io_context run by the test.
class feed_server {
 public:
  explicit feed_server(world w) : world_(std::move(w)), server_(io_, options()), client_(io_, http_client_options{}) {
    start([this]() -> const world& { return world_; });
  }
  /// Serves the world `current` returns at each request (an engine host's).
  explicit feed_server(std::function<const world&()> current)
      : server_(io_, options()), client_(io_, http_client_options{}) {
    start(std::move(current));
  }
  ~feed_server() {
    server_.stop();
    testing::run_until(
        io_, [] { return false; }, 100ms);
  }

  client_response get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::optional<client_result> result;
    client_.send(client_request{"GET", "http://127.0.0.1:" + std::to_string(port_) + target, std::move(headers), "",
                                std::nullopt},
                 [&](client_result r) { result = std::move(r); });
    REQUIRE(testing::run_until(io_, [&] { return result.has_value(); }));
    REQUIRE(std::holds_alternative<client_response>(*result));
    return std::get<client_response>(*result);
  }

 private:
  void start(std::function<const world&()> current) {
    add_feed_routes(server_,
                    feed_routes_context{[this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); },
                                        std::move(current), [] { return now; }});
    port_ = server_.start();
  }

  static http_server_options options() {
    http_server_options o;
    o.port = 0;
    return o;
  }

  boost::asio::io_context io_;
  world world_;
  http_server server_;
  http_client client_;
  std::uint16_t port_ = 0;
};

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("tandem-feed-" + std::to_string(::getpid()) + "-" + name);
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("the calendar feed over HTTP is accepted by an independent iCalendar parser") {
  feed_server server(feed_world());
  const auto response = server.get("/calendar/river.ics?token=feed-token");
  REQUIRE(response.status == 200);
  CHECK(response.header("content-type") == "text/calendar; charset=utf-8");

  const auto ics = temp_file("river.ics");
  const auto parsed = temp_file("river.json");
  std::ofstream(ics, std::ios::binary) << response.body;
  const std::string checker = (tandem::testing::source_tree() / "tests/app/ics_check.py").string();
  const std::string command = "/usr/bin/python3 " + checker + " " + ics.string() + " > " + parsed.string();
  REQUIRE(std::system(command.c_str()) == 0);
  const auto json = nlohmann::json::parse(read_all(parsed));
  std::filesystem::remove(ics);
  std::filesystem::remove(parsed);

  CHECK(json["version"] == "2.0");
  REQUIRE(json["events"].size() == 2);
  const auto& spring = json["events"][0];
  CHECK(spring["uid"] == "E7.river@tandem");
  CHECK(spring["dtstamp"] == "2026-11-25T10:00:00+00:00");
  CHECK(spring["start"] == "2026-12-12");
  CHECK(spring["all_day"] == true);
  CHECK(spring["end"] == "2026-12-13");
  CHECK(spring["summary"] ==
        "Spring newsletter; \"final\", with a title long enough to be folded over two lines \u00e9t\u00e9");
  CHECK(spring["categories"] == nlohmann::json::array({"news", "spring"}));
  CHECK(spring["description"] == "E7 by City of Millbrook\naudience: public");
  CHECK(json["events"][1]["summary"] == "Kick-off");
  CHECK(json["events"][1]["categories"] == nlohmann::json::array());
}

TEST_CASE("the calendar feed refuses a missing or wrong token and unknown paths, saying why") {
  feed_server server(feed_world());
  const auto missing = server.get("/calendar/river.ics");
  CHECK(missing.status == 403);
  CHECK(missing.body ==
        "this calendar link needs its token (?token=...): a facilitator gets the feed link with `events`\n");
  const auto wrong = server.get("/calendar/river.ics?token=feed-tokem");
  CHECK(wrong.status == 403);
  CHECK(wrong.body.starts_with("wrong token for the calendar of \"river\""));
  CHECK(server.get("/calendar/river.ics?token=export-token").status == 403);  // the export token opens only exports
  const auto unknown = server.get("/calendar/lake.ics?token=feed-token");
  CHECK(unknown.status == 404);
  CHECK(unknown.body == "no collaboration \"lake\"\n");
  const auto odd = server.get("/calendar/river.ical?token=feed-token");
  CHECK(odd.status == 404);
  CHECK(odd.body == "calendar feeds are at /calendar/<collaboration>.ics?token=<token>\n");
}

TEST_CASE("the outcome export over HTTP gives the report as CSV and JSON with the export token") {
  feed_server server(feed_world());
  const auto csv = server.get("/export/river.csv?token=export-token");
  REQUIRE(csv.status == 200);
  CHECK(csv.header("content-type") == "text/csv; charset=utf-8");
  CHECK(csv.header("content-disposition") == "attachment; filename=\"river-outcomes.csv\"");
  CHECK(csv.body == report_csv("river", outcome_report(feed_world(), "river", "2026-11", now)));
  CHECK(csv.body.find("river,city,City of Millbrook,2026-11,2,1,0.50,2.0,0,0,,1,1,3,0,,\r\n") != std::string::npos);

  const auto json = server.get("/export/river.json?since=2026-10-01", {{"Authorization", "Bearer export-token"}});
  REQUIRE(json.status == 200);
  const auto body = nlohmann::json::parse(json.body);
  CHECK(body["since"] == "2026-10");
  REQUIRE(body["rows"].size() == 2);
  CHECK(body["rows"][1]["month"] == "2026-11");
  CHECK(body["rows"][1]["nudges"] == 2);
  CHECK(body["rows"][1]["nudges_answered"] == 1);
  CHECK(body["rows"][1]["response_rate"] == 0.5);
}

TEST_CASE("the outcome export refuses a missing or wrong token and a bad since") {
  feed_server server(feed_world());
  const auto missing = server.get("/export/river.csv");
  CHECK(missing.status == 403);
  CHECK(missing.body ==
        "this export link needs its token (?token=...): a facilitator gets the export links with `report`\n");
  CHECK(server.get("/export/river.json?token=feed-token").status == 403);
  CHECK(server.get("/export/river.json", {{"Authorization", "Bearer nope"}}).status == 403);
  const auto bad_since = server.get("/export/river.csv?token=export-token&since=last%20year");
  CHECK(bad_since.status == 400);
  CHECK(bad_since.body == "since must be a month (2026-09) or a date (2026-09-01), not \"last year\"\n");
  CHECK(server.get("/export/river.xml?token=export-token").status == 404);
}

TEST_CASE("each collaboration gets its calendar and export tokens once, and keeps them") {
  world w = feed_world();
  w.collaborations["lake"] = collaboration{"lake", "Lake Council", false, {}};
  int made = 0;
  const auto actions = missing_secrets(w, [&] { return "token-" + std::to_string(++made); });
  REQUIRE(actions.size() == 2);
  CHECK(std::get<save_secret>(actions[0]) == save_secret{"lake", "calendar", "token-1"});
  CHECK(std::get<save_secret>(actions[1]) == save_secret{"lake", "export", "token-2"});
  const std::string token = random_token();
  CHECK(token.size() == 48);
  CHECK(token.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(random_token() != token);
}

TEST_CASE("the engine host makes each collaboration's tokens at its first start and keeps them after a restart") {
  sqlite_store store(":memory:");
  metrics_registry metrics;
  world seed = feed_world();
  seed.secrets.clear();
  seed.events.clear();
  seed.nudges.clear();
  seed.monthly_responses.clear();
  seed.engine.clash_days = 5;
  seed.engine.public_url = "https://tandem.example.org";
  engine_host first(store, metrics, {"en"});
  first.start(seed, now);
  const auto tokens = first.current().secrets;
  REQUIRE(tokens.size() == 2);
  CHECK(tokens.at({"river", "calendar"}).size() == 48);
  CHECK(tokens.at({"river", "calendar"}) != tokens.at({"river", "export"}));
  CHECK(first.current().engine.clash_days == 5);  // the config's knobs reach the engine
  CHECK(calendar_feed_url(first.current(), "river") ==
        "https://tandem.example.org/calendar/river.ics?token=" + tokens.at({"river", "calendar"}));

  engine_host again(store, metrics, {"en"});
  again.start(seed, now + 24h);
  CHECK(again.current().secrets == tokens);
}

TEST_CASE("http.public_url and engine.clash_days are read from the config, with clear errors") {
  const std::string collaboration =
      "collaborations:\n  - id: river\n    name: River\n    people:\n"
      "      - {id: ana, name: Ana, roles: [facilitator]}\n";
  const auto dir = std::filesystem::temp_directory_path();
  const auto good =
      parse_config("http:\n  public_url: https://tandem.example.org/\nengine:\n  clash_days: 7\n" + collaboration, dir);
  REQUIRE(good.config);
  CHECK(good.config->seed.engine.public_url == "https://tandem.example.org");
  CHECK(good.config->seed.engine.clash_days == 7);
  CHECK(parse_config(collaboration, dir).config->seed.engine.clash_days == 3);

  const auto bad =
      parse_config("http:\n  public_url: tandem.example.org\nengine:\n  clash_days: soon\n" + collaboration, dir);
  REQUIRE(bad.errors.size() == 2);
  CHECK(to_string(bad.errors[0]) ==
        "http.public_url: bad URL \"tandem.example.org\" (write how people reach Tandem, e.g. "
        "https://tandem.example.org)");
  CHECK(to_string(bad.errors[1]) ==
        "engine.clash_days: bad number of days \"soon\" (write a whole number from 0 to 99)");
}

TEST_CASE("token rotate: the old feed and export links stop working at once, the new ones reach the facilitator's DM") {
  sqlite_store store(":memory:");
  metrics_registry metrics;
  world seed = feed_world();
  seed.secrets.clear();
  seed.engine.public_url = "https://tandem.example.org";
  seed.people["ana"] = person{"ana", "Ana", "UTC", "en", std::nullopt, std::nullopt, {identity{"console", "", "ana"}}};
  seed.memberships[{"river", "ana"}] = membership{"river", "ana", "city", {role::facilitator}, tier::active, true};
  engine_host host(store, metrics, {"en"});
  host.start(seed, now);
  const auto before = host.current().secrets;
  feed_server server([&]() -> const world& { return host.current(); });
  const std::string old_feed = "/calendar/river.ics?token=" + before.at({"river", "calendar"});
  const std::string old_export = "/export/river.csv?token=" + before.at({"river", "export"});
  REQUIRE(server.get(old_feed).status == 200);
  REQUIRE(server.get(old_export).status == 200);

  const auto from_ana = [](std::string key, std::string text) {
    return inbound{std::move(key), identity{"console", "", "ana"}, "dm:ana", true, true, inbound_kind::command,
                   std::move(text), now, ""};
  };
  REQUIRE(host.submit(from_ana("console:ana:1", "token rotate feed"), now));
  const std::string new_feed_token = host.current().secrets.at({"river", "calendar"});
  CHECK(new_feed_token != before.at({"river", "calendar"}));
  CHECK(new_feed_token.size() == 48);
  CHECK(host.current().secrets.at({"river", "export"}) == before.at({"river", "export"}));  // only the one named
  const auto refused = server.get(old_feed);
  CHECK(refused.status == 403);
  CHECK(refused.body.starts_with("wrong token for the calendar of \"river\""));
  CHECK(server.get("/calendar/river.ics?token=" + new_feed_token).status == 200);
  CHECK(server.get(old_export).status == 200);

  REQUIRE(host.submit(from_ana("console:ana:2", "token rotate export"), now));
  const std::string new_export_token = host.current().secrets.at({"river", "export"});
  CHECK(server.get(old_export).status == 403);
  CHECK(server.get("/export/river.json?token=" + new_export_token).status == 200);

  const auto replies = store.outbox_rows("reply:console:ana:");
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].item.to.conversation == "dm:ana");
  CHECK(replies[0].item.body.kind == "token_rotated");
  CHECK(replies[0].item.body.values["feed_url"] ==
        "https://tandem.example.org/calendar/river.ics?token=" + new_feed_token);
  CHECK(replies[1].item.body.values["csv_url"] == "https://tandem.example.org/export/river.csv?token=" + new_export_token);
  CHECK(replies[1].item.body.values["json_url"] ==
        "https://tandem.example.org/export/river.json?token=" + new_export_token);

  engine_host again(store, metrics, {"en"});  // the new tokens are the stored ones
  again.start(seed, now + 1h);
  CHECK(again.current().secrets.at({"river", "calendar"}) == new_feed_token);
  CHECK(again.current().secrets.at({"river", "export"}) == new_export_token);
}
