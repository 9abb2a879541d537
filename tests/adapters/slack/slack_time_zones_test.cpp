// Learning time zones with users.info against a fake slack.com over TLS: who is looked up, when,
// how often, and what becomes of Slack's answers (ok, user_not_found, missing_scope, 429, 5xx, a
// zone the tz database does not know). The core's side is a world changed by the real core.

#include "adapters/slack/slack_fixture.h"

#include "adapters/slack/slack_time_zones.h"
#include "core/time_zones.h"
#include "support/source_tree.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

using namespace slack_testing;
using tandem::identity;
using tandem::learned_zone_outcome;
using tandem::person;
using tandem::zone_origin;
using tandem::testing::recorded_request;
using tandem::testing::scripted_response;
using steady = std::chrono::steady_clock;

/// The core as the adapter sees it: a world behind a lock, asked and changed by the real core
/// functions (answers come at once, on the caller's thread, as the contract allows).
class world_time_zones final : public tandem::time_zone_learning {
 public:
  explicit world_time_zones(std::vector<person> people) {
    for (person& p : people) world_.people[p.id] = std::move(p);
  }

  void wanted(std::string platform, std::function<void(std::vector<identity>)> then) override {
    std::vector<identity> wanted;
    changed_.notify([&] { wanted = tandem::identities_wanting_time_zone(world_, platform); });
    then(std::move(wanted));
  }

  void is_wanted(identity who, std::function<void(bool)> then) override {
    bool wanted = false;
    changed_.notify([&] {
      const person* p = tandem::find_person_by_identity(world_, who);
      wanted = p != nullptr && tandem::wants_time_zone(*p);
      ++asked_;
    });
    then(wanted);
  }

  void learned(identity who, std::string zone, std::function<void(std::optional<learned_zone_outcome>)> then) override {
    learned_zone_outcome outcome{};
    changed_.notify([&] {
      const auto decision = tandem::on_time_zone_learned(world_, who, zone, fixed_now());
      tandem::apply_to_world(world_, decision.actions);
      outcome = decision.outcome;
      ++reports_;
    });
    then(outcome);
  }

  person person_named(const std::string& id) {
    const std::lock_guard lock(changed_.mutex());
    return world_.people.at(id);
  }

  bool wait_for_zone(const std::string& id, const std::string& zone) {
    return changed_.wait([&] { return world_.people.at(id).time_zone == zone; });
  }

  bool wait_for_reports(std::size_t count) {
    return changed_.wait([&] { return reports_ >= count; });
  }

  bool wait_for_questions(std::size_t count) {
    return changed_.wait([&] { return asked_ >= count; });
  }

 private:
  tandem::testing::waiter changed_;
  tandem::world world_;
  std::size_t reports_ = 0;
  std::size_t asked_ = 0;
};

/// Someone on Slack; `zone` given (config or tz command) when set, else the default.
person slack_person(const std::string& id, const std::string& user, std::optional<std::string> zone = std::nullopt,
                    const std::string& team_id = std::string(team)) {
  person p;
  p.id = id;
  p.name = id;
  p.identities = {identity{"slack", team_id, user}};
  if (zone) {
    p.time_zone = *zone;
    p.time_zone_origin = zone_origin::given;
  }
  return p;
}

/// users.info's answer for someone in `zone`, shaped as Slack sends it.
scripted_response user_in(const std::string& user, const std::string& zone) {
  return scripted_response::json(200, json{{"ok", true},
                                           {"user",
                                            {{"id", user},
                                             {"team_id", team},
                                             {"name", "someone"},
                                             {"deleted", false},
                                             {"real_name", "Someone"},
                                             {"tz", zone},
                                             {"tz_label", "Central European Time"},
                                             {"tz_offset", 3600},
                                             {"is_bot", false}}}}
                                          .dump());
}

scripted_response slack_error(const std::string& code) {
  return scripted_response::json(200, json{{"ok", false}, {"error", code}}.dump());
}

/// slack.com as far as these tests go: auth.test, and users.info answering each user with the
/// answers scripted for them, in turn (the last one again after that). As Slack does, users.info
/// reads only form fields: a JSON body names no user and is answered user_not_found.
class fake_users_info {
 public:
  void script(const std::string& user, std::vector<scripted_response> answers) {
    const std::lock_guard lock(asked_changed_.mutex());
    answers_[user] = std::move(answers);
  }

  tandem::testing::request_handler handler() {
    return [this](const recorded_request& r) {
      if (r.path == "/api/auth.test")
        return scripted_response::json(200, R"({"ok":true,"team_id":"T0001","user_id":"UBOT"})");
      if (r.path != "/api/users.info") return scripted_response::json(200, R"({"ok":true})");
      if (!r.header("content-type").value_or("").starts_with("application/x-www-form-urlencoded") ||
          !r.body.starts_with("user=")) {
        return slack_error("user_not_found");
      }
      const std::string user = r.body.substr(5);
      scripted_response answer = slack_error("user_not_found");
      asked_changed_.notify([&] {
        asked_.emplace_back(user, steady::now());
        auto& answers = answers_[user];
        if (answers.empty()) return;
        answer = answers.front();
        if (answers.size() > 1) answers.erase(answers.begin());
      });
      return answer;
    };
  }

  /// The users asked about, in order.
  std::vector<std::string> asked() {
    const std::lock_guard lock(asked_changed_.mutex());
    std::vector<std::string> users;
    for (const auto& [user, _] : asked_) users.push_back(user);
    return users;
  }

  /// Waits until `count` questions arrived.
  bool wait_for_questions(std::size_t count) {
    return asked_changed_.wait([&] { return asked_.size() >= count; });
  }

  std::size_t times_asked(const std::string& user) {
    const auto users = asked();
    return static_cast<std::size_t>(std::ranges::count(users, user));
  }

  /// When the `n`th question (from 0) arrived.
  steady::time_point arrival(std::size_t n) {
    const std::lock_guard lock(asked_changed_.mutex());
    return asked_.at(n).second;
  }

 private:
  tandem::testing::waiter asked_changed_;
  std::map<std::string, std::vector<scripted_response>> answers_;
  std::vector<std::pair<std::string, steady::time_point>> asked_;
};

/// A message from `user` in channel C0001, as the Events API sends it.
answer message_from(slack_fixture& f, const std::string& user, const std::string& ts) {
  return f.post_event(envelope(message_event("hello", ts, "C0001", user), "Ev" + ts));
}

/// A fixture whose adapter looks time zones up for `core`, one call per `interval`.
fixture_options looking_up(world_time_zones& core, std::chrono::milliseconds interval = std::chrono::milliseconds{0}) {
  fixture_options o;
  o.time_zones = &core;
  o.lookup_interval = interval;
  return o;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("someone whose zone nobody gave is looked up once with users.info when first seen, and their zone kept") {
  world_time_zones core({slack_person("emma", "U0001"), slack_person("farid", "U0002")});
  fake_users_info slack;
  slack.script("U0001", {user_in("U0001", "Europe/Berlin")});
  slack.script("U0002", {user_in("U0002", "Europe/London")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(message_from(f, "U0001", "1700000000.000100").status == 200);
  CHECK(message_from(f, "U0001", "1700000000.000200").status == 200);
  REQUIRE(core.wait_for_zone("emma", "Europe/Berlin"));
  CHECK(core.person_named("emma").time_zone_origin == zone_origin::learned);
  CHECK(message_from(f, "U0001", "1700000000.000300").status == 200);
  // Farid's lookup comes after anything Emma's events could have asked for.
  CHECK(message_from(f, "U0002", "1700000000.000400").status == 200);
  REQUIRE(core.wait_for_zone("farid", "Europe/London"));

  CHECK(slack.asked() == std::vector<std::string>{"U0001", "U0002"});
  const auto requests = f.slack().requests();
  const auto first =
      std::ranges::find_if(requests, [](const recorded_request& r) { return r.path == "/api/users.info"; });
  REQUIRE(first != requests.end());
  CHECK(first->method == "POST");
  CHECK(first->header("authorization") == "Bearer xoxb-test-token");
  CHECK(first->header("content-type") == "application/x-www-form-urlencoded");
  CHECK(first->body == "user=U0001");
  CHECK(f.logged("slack: learned the time zone of U0001 (workspace T0001) from users.info: Europe/Berlin") == 1);
  CHECK(f.sink().events().size() == 4);  // every event stored and acknowledged as before
}

TEST_CASE("someone whose zone was given is never looked up, whether they write or are written to") {
  world_time_zones core({slack_person("ana", "U0ANA", "Europe/Lisbon"), slack_person("emma", "U0001")});
  fake_users_info slack;
  slack.script("U0001", {user_in("U0001", "Europe/Berlin")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(message_from(f, "U0ANA", "1700000000.000100").status == 200);
  CHECK(f.deliver({"slack", "T0001", "C0001", "U0ANA", "ana", "en", ""}, {"hello", {}}, "notify:1").what ==
        tandem::delivery_result::outcome::delivered);
  REQUIRE(core.wait_for_questions(1));  // the core was asked about Ana once, and said no
  CHECK(message_from(f, "U0001", "1700000000.000200").status == 200);
  REQUIRE(core.wait_for_zone("emma", "Europe/Berlin"));

  CHECK(slack.asked() == std::vector<std::string>{"U0001"});
  CHECK(core.person_named("ana").time_zone == "Europe/Lisbon");
}

TEST_CASE("someone a message is sent to is looked up before they ever write") {
  world_time_zones core({slack_person("emma", "U0001")});
  fake_users_info slack;
  slack.script("U0001", {user_in("U0001", "Europe/Berlin")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(f.deliver({"slack", "T0001", "C0001", "U0001", "emma", "en", ""}, {"hello", {}}, "notify:1").what ==
        tandem::delivery_result::outcome::delivered);
  REQUIRE(core.wait_for_zone("emma", "Europe/Berlin"));
  CHECK(slack.asked() == std::vector<std::string>{"U0001"});
}

TEST_CASE("at start, everyone the core wants a zone for is looked up, one call per interval") {
  world_time_zones core({slack_person("a", "U0001"), slack_person("b", "U0002"), slack_person("c", "U0003"),
                         slack_person("d", "U0004", "Asia/Tokyo")});
  fake_users_info slack;
  for (const std::string user : {"U0001", "U0002", "U0003"}) slack.script(user, {user_in(user, "Europe/Berlin")});
  slack_fixture f(looking_up(core, std::chrono::milliseconds{300}));
  f.slack().answer_with(slack.handler());

  f.adapter().start();
  REQUIRE(core.wait_for_reports(3));
  CHECK(slack.asked() == std::vector<std::string>{"U0001", "U0002", "U0003"});
  // Calls leave 300 ms apart; arrivals jitter by the first call's TLS handshake and the machine's load.
  CHECK(slack.arrival(2) - slack.arrival(1) >= std::chrono::milliseconds{200});
  CHECK(slack.arrival(2) - slack.arrival(0) >= std::chrono::milliseconds{450});
  for (const std::string id : {"a", "b", "c"}) CHECK(core.person_named(id).time_zone == "Europe/Berlin");
  CHECK(core.person_named("d").time_zone == "Asia/Tokyo");
}

TEST_CASE("user_not_found keeps the default, is logged once and not asked again this run") {
  world_time_zones core({slack_person("gone", "U0404"), slack_person("emma", "U0001")});
  fake_users_info slack;
  slack.script("U0404", {slack_error("user_not_found")});
  slack.script("U0001", {user_in("U0001", "Europe/Berlin")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(message_from(f, "U0404", "1700000000.000100").status == 200);
  REQUIRE(slack.wait_for_questions(1));
  CHECK(message_from(f, "U0404", "1700000000.000200").status == 200);
  CHECK(message_from(f, "U0001", "1700000000.000300").status == 200);
  REQUIRE(core.wait_for_zone("emma", "Europe/Berlin"));

  CHECK(slack.times_asked("U0404") == 1);
  CHECK(f.logged("slack: users.info cannot tell the time zone of U0404 (workspace T0001) (user_not_found)") == 1);
  CHECK(core.person_named("gone").time_zone == "UTC");
  CHECK(core.person_named("gone").time_zone_origin == zone_origin::defaulted);
}

TEST_CASE("missing_scope keeps the defaults, says once how to grant users:read, and stops that workspace's lookups") {
  world_time_zones core(
      {slack_person("a1", "U0001"), slack_person("a2", "U0002"), slack_person("b1", "V0001", std::nullopt, "T0002")});
  fake_users_info slack;
  slack.script("U0001", {slack_error("missing_scope")});
  slack.script("U0002", {user_in("U0002", "Europe/Berlin")});
  slack.script("V0001", {user_in("V0001", "Asia/Tokyo")});
  fixture_options two_workspaces = looking_up(core);
  two_workspaces.workspaces = {workspace(), workspace("T0002")};
  slack_fixture f(two_workspaces);
  f.slack().answer_with(slack.handler());

  f.adapter().start();
  REQUIRE(core.wait_for_zone("b1", "Asia/Tokyo"));  // the other workspace goes on
  CHECK(message_from(f, "U0002", "1700000000.000100").status == 200);

  CHECK(slack.asked() == std::vector<std::string>{"U0001", "V0001"});
  CHECK(f.logged("slack: workspace T0001 did not grant the scope users:read (missing_scope)") == 1);
  CHECK(core.person_named("a1").time_zone_origin == zone_origin::defaulted);
  CHECK(core.person_named("a2").time_zone_origin == zone_origin::defaulted);
}

TEST_CASE("429 with Retry-After holds every lookup for that long, then asks again") {
  world_time_zones core({slack_person("emma", "U0001")});
  fake_users_info slack;
  slack.script("U0001",
               {scripted_response::json(429, R"({"ok":false,"error":"ratelimited"})").with_header("Retry-After", "1"),
                user_in("U0001", "Europe/Berlin")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(message_from(f, "U0001", "1700000000.000100").status == 200);
  REQUIRE(core.wait_for_zone("emma", "Europe/Berlin"));
  REQUIRE(slack.asked().size() == 2);
  CHECK(slack.arrival(1) - slack.arrival(0) >= std::chrono::milliseconds{1000});
  CHECK(f.logged("slack: users.info is rate limited (HTTP 429): time zone lookups wait 1 s (Retry-After)") == 1);
}

TEST_CASE("a transient failure (HTTP 500) is tried again after the retry wait, at most three times a run") {
  world_time_zones core({slack_person("emma", "U0001"), slack_person("farid", "U0002")});
  fake_users_info slack;
  slack.script("U0001", {scripted_response::text(500, "oops"), user_in("U0001", "Europe/Berlin")});
  slack.script("U0002", {scripted_response::text(503, "down")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(message_from(f, "U0001", "1700000000.000100").status == 200);
  REQUIRE(core.wait_for_zone("emma", "Europe/Berlin"));
  CHECK(slack.times_asked("U0001") == 2);

  CHECK(message_from(f, "U0002", "1700000000.000200").status == 200);
  REQUIRE(f.wait_for_log("warn: slack: users.info for U0002 (workspace T0001) failed 3 times (HTTP 503)"));
  CHECK(slack.times_asked("U0002") == 3);
  CHECK(core.person_named("farid").time_zone_origin == zone_origin::defaulted);
}

TEST_CASE("a zone the tz database does not know is rejected with a log line, and the default stays") {
  world_time_zones core({slack_person("emma", "U0001"), slack_person("farid", "U0002")});
  fake_users_info slack;
  slack.script("U0001", {user_in("U0001", "Mars/Olympus")});
  slack.script("U0002", {user_in("U0002", "Europe/London")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(message_from(f, "U0001", "1700000000.000100").status == 200);
  REQUIRE(
      f.wait_for_log("warn: slack: users.info gives U0001 (workspace T0001) the time zone \"Mars/Olympus\", "
                     "which the tz database does not know; their zone stays the default"));
  CHECK(message_from(f, "U0001", "1700000000.000200").status == 200);
  CHECK(message_from(f, "U0002", "1700000000.000300").status == 200);
  REQUIRE(core.wait_for_zone("farid", "Europe/London"));

  CHECK(slack.times_asked("U0001") == 1);
  CHECK(core.person_named("emma").time_zone == "UTC");
  CHECK(core.person_named("emma").time_zone_origin == zone_origin::defaulted);
}

TEST_CASE("a users.info answer without a zone leaves the default, and so does a refused token") {
  world_time_zones core({slack_person("emma", "U0001"), slack_person("farid", "U0002")});
  fake_users_info slack;
  slack.script("U0001", {scripted_response::json(200, R"({"ok":true,"user":{"id":"U0001","deleted":true}})")});
  slack.script("U0002", {slack_error("invalid_auth")});
  slack_fixture f(looking_up(core));
  f.slack().answer_with(slack.handler());

  CHECK(message_from(f, "U0001", "1700000000.000100").status == 200);
  REQUIRE(f.wait_for_log("info: slack: users.info gives no time zone for U0001 (workspace T0001)"));
  CHECK(message_from(f, "U0002", "1700000000.000200").status == 200);
  REQUIRE(f.wait_for_log("error: slack: workspace T0001 refused the bot token (invalid_auth)"));
  CHECK(f.adapter().health() == "invalid_auth (T0001)");
  CHECK(core.person_named("emma").time_zone_origin == zone_origin::defaulted);
  CHECK(core.person_named("farid").time_zone_origin == zone_origin::defaulted);
}

TEST_CASE("the zone is read from user.tz of a users.info answer, and only from there") {
  using tandem::slack::time_zone_of;
  // As recorded from users.info (slack-go/slack#691), trimmed.
  const json recorded = json::parse(R"({"ok":true,"user":{"id":"U023BECGF","team_id":"T021F9ZE2","name":"bobby",
    "deleted":false,"real_name":"Bobby Tables","tz":"Asia/Bangkok","tz_label":"Indochina Time","tz_offset":25200,
    "profile":{"real_name":"Bobby Tables","display_name":"bobby"},"is_bot":false}})");
  CHECK(time_zone_of(recorded) == "Asia/Bangkok");
  CHECK_FALSE(time_zone_of(json::parse(R"({"ok":true,"user":{"id":"U1","tz":null}})")));
  CHECK_FALSE(time_zone_of(json::parse(R"({"ok":true,"user":{"id":"U1","tz":""}})")));
  CHECK_FALSE(time_zone_of(json::parse(R"({"ok":true,"user":{"id":"U1","tz_offset":3600}})")));
  CHECK_FALSE(time_zone_of(json::parse(R"({"ok":true,"user":"U1"})")));
  CHECK_FALSE(time_zone_of(json::parse(R"({"ok":true})")));
}

TEST_CASE("both Slack app manifests ask for users:read, which users.info needs") {
  for (const char* manifest : {"manifest.yaml", "manifest-socket-mode.yaml"}) {
    CAPTURE(manifest);
    const std::string text = read_file(tandem::testing::source_tree() / "deploy" / "slack" / manifest);
    CHECK(text.find("- users:read") != std::string::npos);
  }
}
