// Sending through the Matrix adapter: txn ids, rate limits, lost responses, errors, DMs, sign-in.

#include "adapters/matrix/matrix_bot_fixture.h"

#include "adapters/matrix/matrix_render.h"

#include <date/date.h>
#include <catch2/catch.hpp>

#include <optional>

namespace tandem::matrix_testing {
namespace {

using nlohmann::json;
using testing::connection_action;
using testing::fake_homeserver;
using testing::injected_failure;
using testing::scripted_response;

struct ready_bot {
  fake_homeserver hs;
  temp_folder dir;
  std::unique_ptr<matrix_bot> bot;

  explicit ready_bot(const std::function<void(matrix_options&)>& adjust = {}) {
    hs.add_token(bot_token, bot_id);
    hs.join(river, bot_id);
    hs.join(river, "@ana:example.org");
    hs.set_long_poll(std::chrono::milliseconds{50});
    matrix_options options = client_options(hs);
    if (adjust) adjust(options);
    bot = std::make_unique<matrix_bot>(dir.path() / "tandem.db", options);
    bot->start();
    REQUIRE(bot->run_until([&] { return bot->adapter().health() == "ok"; }));
  }
};

destination room_destination() {
  return destination{"matrix", "example.org", river, "@ana:example.org", "ana", "en", ""};
}
destination dm_destination(const std::string& user) {
  return destination{"matrix", "example.org", "", user, "", "en", ""};
}
const rendered_message hello{"Hello **there**", {}};

scripted_response rate_limited(std::string body) { return scripted_response::json(429, std::move(body)); }

injected_failure on_send(scripted_response response, bool take_effect = false) {
  return injected_failure{"PUT", "/send/m.room.message/", std::move(response), take_effect};
}

TEST_CASE("a 429 with Retry-After in seconds is retried after that wait; then exactly one message arrives") {
  ready_bot r;
  r.hs.inject(
      on_send(rate_limited(R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2000})")
                  .with_header("Retry-After", "7")));
  const auto first = r.bot->deliver(room_destination(), hello, "reply:matrix:$x:0");
  CHECK(first.what == delivery_result::outcome::retry);
  CHECK(first.retry_after == std::chrono::seconds{7});  // the header wins over the body
  const auto second = r.bot->deliver(room_destination(), hello, "reply:matrix:$x:0");
  CHECK(second.what == delivery_result::outcome::delivered);
  REQUIRE(r.hs.sent_in(river).size() == 1);
  CHECK(r.hs.sent_in(river)[0].txn_id == matrix::transaction_id_for("reply:matrix:$x:0"));
  CHECK(r.hs.count_requests("PUT", "/send/m.room.message/" + matrix::transaction_id_for("reply:matrix:$x:0")) == 2);
}

TEST_CASE("a 429 with Retry-After as an HTTP date waits until that date") {
  ready_bot r;
  const auto at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + std::chrono::seconds{90};
  r.hs.inject(on_send(rate_limited(R"({"errcode":"M_LIMIT_EXCEEDED","error":"slow down"})")
                          .with_header("Retry-After", date::format("%a, %d %b %Y %H:%M:%S GMT", at))));
  const auto result = r.bot->deliver(room_destination(), hello, "k1");
  CHECK(result.what == delivery_result::outcome::retry);
  REQUIRE(result.retry_after);
  CHECK(*result.retry_after >= std::chrono::seconds{85});
  CHECK(*result.retry_after <= std::chrono::seconds{90});
}

TEST_CASE("a 429 with only retry_after_ms in the body waits that long, rounded up to seconds") {
  ready_bot r;
  r.hs.inject(
      on_send(rate_limited(R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2500})")));
  const auto result = r.bot->deliver(room_destination(), hello, "k1");
  CHECK(result.what == delivery_result::outcome::retry);
  CHECK(result.retry_after == std::chrono::seconds{3});
}

TEST_CASE("a 429 without any hint (even M_UNKNOWN) waits the default 5 s") {
  ready_bot r;
  r.hs.inject(on_send(rate_limited(R"({"errcode":"M_UNKNOWN","error":"Too many requests"})")));
  const auto result = r.bot->deliver(room_destination(), hello, "k1");
  CHECK(result.what == delivery_result::outcome::retry);
  CHECK(result.retry_after == std::chrono::seconds{5});
}

TEST_CASE("a send whose response was lost is retried with the same txn id and arrives once") {
  ready_bot r;
  auto lost = scripted_response::json(200, "{}");
  lost.then = connection_action::close_without_answer;
  r.hs.inject(on_send(lost, true));
  const auto first = r.bot->deliver(room_destination(), hello, "reply:matrix:$y:0");
  CHECK(first.what == delivery_result::outcome::retry);
  CHECK(r.hs.sent_in(river).size() == 1);  // it did arrive; Tandem could not know
  const auto second = r.bot->deliver(room_destination(), hello, "reply:matrix:$y:0");
  CHECK(second.what == delivery_result::outcome::delivered);
  CHECK(r.hs.sent_in(river).size() == 1);
}

TEST_CASE("a send whose connection dropped before the server read it is retried and arrives once") {
  ready_bot r;
  auto dropped = scripted_response::json(200, "{}");
  dropped.then = connection_action::close_without_answer;
  r.hs.inject(on_send(dropped, false));
  CHECK(r.bot->deliver(room_destination(), hello, "k2").what == delivery_result::outcome::retry);
  CHECK(r.hs.sent_in(river).empty());
  CHECK(r.bot->deliver(room_destination(), hello, "k2").what == delivery_result::outcome::delivered);
  CHECK(r.hs.sent_in(river).size() == 1);
}

TEST_CASE("the outbox retries a reply whose response was lost, and the room gets it once") {
  ready_bot r;
  REQUIRE(r.bot->run_until([&] { return r.hs.sync_count() >= 2; }));
  auto lost = scripted_response::json(200, "{}");
  lost.then = connection_action::close_without_answer;
  r.hs.inject(on_send(lost, true));
  r.hs.say(river, "@ana:example.org", "!tandem status");
  REQUIRE(r.bot->run_until([&] { return r.hs.count_requests("PUT", "/send/m.room.message/") == 1; }));
  REQUIRE(r.bot->run_until([&] { return r.bot->dispatcher().in_flight() == 0; }));
  r.bot->advance(std::chrono::seconds{60});  // the retry is due
  REQUIRE(r.bot->run_until([&] { return r.hs.count_requests("PUT", "/send/m.room.message/") == 2; }));
  REQUIRE(r.bot->run_until([&] { return r.bot->store().outbox_rows("reply:").at(0).state == outbox_state::sent; }));
  CHECK(r.hs.sent_in(river).size() == 1);
}

TEST_CASE("server errors and network failures are retries; refusals are failures") {
  ready_bot r;
  r.hs.inject(on_send(scripted_response::json(502, "<html>Bad gateway</html>")));
  auto result = r.bot->deliver(room_destination(), hello, "k1");
  CHECK(result.what == delivery_result::outcome::retry);
  CHECK(result.reason.find("HTTP 502") != std::string::npos);

  r.hs.inject(on_send(scripted_response::json(403, R"({"errcode":"M_FORBIDDEN","error":"not in room"})")));
  result = r.bot->deliver(room_destination(), hello, "k1");
  CHECK(result.what == delivery_result::outcome::failed);
  CHECK(result.reason.find("M_FORBIDDEN: not in room") != std::string::npos);

  CHECK(r.bot->deliver(destination{"matrix", "example.org", "", "", "", "en", ""}, hello, "k3").what ==
        delivery_result::outcome::failed);
}

TEST_CASE("different outbox rows never share a txn id") {
  ready_bot r;
  CHECK(r.bot->deliver(room_destination(), hello, "reply:matrix:$a:0").what == delivery_result::outcome::delivered);
  CHECK(r.bot->deliver(room_destination(), hello, "reply:matrix:$a:1").what == delivery_result::outcome::delivered);
  CHECK(r.hs.sent_in(river).size() == 2);
}

TEST_CASE("a DM goes to the room m.direct names; a new DM is opened once for concurrent messages") {
  ready_bot r;
  // bob has no DM yet: two messages at once open one room.
  std::optional<delivery_result> one;
  std::optional<delivery_result> two;
  r.bot->adapter().deliver(dm_destination("@bob:example.org"), hello, "n1", [&](delivery_result d) { one = d; });
  r.bot->adapter().deliver(dm_destination("@bob:example.org"), hello, "n2", [&](delivery_result d) { two = d; });
  REQUIRE(r.bot->run_until([&] { return one && two; }));
  CHECK(one->what == delivery_result::outcome::delivered);
  CHECK(two->what == delivery_result::outcome::delivered);
  REQUIRE(r.hs.create_room_requests().size() == 1);
  REQUIRE(r.bot->run_until([&] { return !r.hs.direct_account_data(bot_id).is_null(); }));
  const auto dm = r.hs.direct_account_data(bot_id)["@bob:example.org"][0].get<std::string>();
  CHECK(r.hs.sent_in(dm).size() == 2);
  CHECK(r.hs.sent_in(dm)[0].content["m.mentions"] == json::object());
}

TEST_CASE("m.direct is read, merged and written: other DMs of the account survive") {
  fake_homeserver hs;
  hs.add_token(bot_token, bot_id);
  hs.set_account_data(bot_id, "m.direct", {{"@zoe:example.org", {"!zoe:example.org"}}});
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(hs));
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "ok"; }));
  // Another client of the account records a DM meanwhile; Tandem must not erase it.
  hs.set_account_data(bot_id, "m.direct",
                      {{"@zoe:example.org", {"!zoe:example.org"}}, {"@cy:example.org", {"!cy:example.org"}}});
  CHECK(bot.deliver(dm_destination("@bob:example.org"), hello, "n1").what == delivery_result::outcome::delivered);
  REQUIRE(bot.run_until([&] { return hs.direct_account_data(bot_id).contains("@bob:example.org"); }));
  const json direct = hs.direct_account_data(bot_id);
  CHECK(direct["@zoe:example.org"] == json::array({"!zoe:example.org"}));
  CHECK(direct["@cy:example.org"] == json::array({"!cy:example.org"}));
  CHECK(direct["@bob:example.org"].size() == 1);
}

TEST_CASE("a DM the bot may no longer write to is forgotten, and the next attempt opens a new one") {
  fake_homeserver hs;
  hs.add_token(bot_token, bot_id);
  hs.set_account_data(bot_id, "m.direct", {{"@bob:example.org", {"!old:example.org"}}});  // the bot is not in it
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(hs));
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "ok"; }));
  const auto first = bot.deliver(dm_destination("@bob:example.org"), hello, "n1");
  CHECK(first.what == delivery_result::outcome::retry);
  const auto second = bot.deliver(dm_destination("@bob:example.org"), hello, "n1");
  CHECK(second.what == delivery_result::outcome::delivered);
  CHECK(hs.create_room_requests().size() == 1);
}

TEST_CASE("answers become the bot's reactions; a duplicate reaction counts as done") {
  ready_bot r;
  const rendered_message nudge{"Task **#12**",
                               {labelled_answer{"Done", answer{"done", "done 12", "\u2705", false}},
                                labelled_answer{"Blocked", answer{"blocked", "blocked 12", "\u26d4", true}}}};
  r.hs.inject(injected_failure{"PUT", "/send/m.reaction/",
                               scripted_response::json(400, R"({"errcode":"M_DUPLICATE_ANNOTATION","error":"dup"})"),
                               false});
  CHECK(r.bot->deliver(room_destination(), nudge, "notify:x").what == delivery_result::outcome::delivered);
  const auto message = r.hs.sent_in(river).at(0);
  CHECK(matrix::answers_in_content(message.content) ==
        matrix::answer_keys{{"\u2705", "done 12"}, {"\u26d4", "blocked 12"}});
  const auto reactions = r.hs.sent("m.reaction");
  REQUIRE(reactions.size() == 1);  // the first was "already there"
  CHECK(reactions[0].content["m.relates_to"]["key"] == "\u26d4");
  CHECK(reactions[0].txn_id == matrix::transaction_id_for("notify:x", "r1"));
}

TEST_CASE("a delivery before the sign-in waits for it and is then sent") {
  fake_homeserver hs;
  hs.add_token(bot_token, bot_id);
  hs.join(river, bot_id);
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(hs));
  std::optional<delivery_result> result;
  bot.adapter().deliver(room_destination(), hello, "k", [&result](delivery_result r) { result = std::move(r); });
  bot.run_for(std::chrono::milliseconds{100});
  CHECK_FALSE(result.has_value());  // not started: held
  bot.start();
  REQUIRE(bot.run_until([&] { return result.has_value(); }));
  CHECK(result->what == delivery_result::outcome::delivered);
  CHECK(hs.sent_in(river).size() == 1);
}

TEST_CASE("a delivery is handed back as a retry when the sign-in does not come in time") {
  fake_homeserver hs;  // knows no token: the sign-in never succeeds
  temp_folder dir;
  auto options = client_options(hs);
  options.sign_in_wait = std::chrono::milliseconds{200};
  matrix_bot bot(dir.path() / "tandem.db", options);
  bot.start();
  const auto result = bot.deliver(room_destination(), hello, "k");
  CHECK(result.what == delivery_result::outcome::retry);
  CHECK(result.retry_after == std::chrono::seconds{5});
  CHECK(hs.count_requests("PUT", "/send/") == 0);
}

TEST_CASE("a token the homeserver refuses (M_UNKNOWN_TOKEN) shows in health, and nothing is synced") {
  fake_homeserver hs;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(hs));  // the server knows no token
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "invalid_token"; }));
  CHECK(hs.sync_count() == 0);
}

TEST_CASE("a token revoked while running: sends are retried and health says so") {
  ready_bot r;
  r.hs.revoke_tokens(bot_id);
  const auto result = r.bot->deliver(room_destination(), hello, "k");
  CHECK(result.what == delivery_result::outcome::retry);
  CHECK(result.reason.find("M_UNKNOWN_TOKEN") != std::string::npos);
  CHECK(r.bot->adapter().health() == "invalid_token");
}

TEST_CASE("a token of another account is refused with a clear health state") {
  fake_homeserver hs;
  hs.add_token(bot_token, "@someone:example.org");
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(hs));
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "wrong_user"; }));
  bot.run_for(std::chrono::milliseconds{100});
  CHECK(hs.sync_count() == 0);
}

TEST_CASE("a password account signs in, keeps its device, and signs in again when its token is revoked") {
  fake_homeserver hs;
  hs.add_password(bot_id, "correct horse");
  hs.join(river, bot_id);
  hs.set_long_poll(std::chrono::milliseconds{50});
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  const auto with_password = [&] {
    matrix_options o = client_options(hs);
    o.access_token.clear();
    o.password = "correct horse";
    return o;
  };
  std::string device;
  {
    matrix_bot bot(db, with_password());
    bot.start();
    REQUIRE(bot.run_until([&] { return hs.sync_count() >= 2; }));
    device = bot.store().setting("matrix.device_id").value_or("");
    CHECK_FALSE(device.empty());
    hs.revoke_tokens(bot_id);
    const std::string marker = hs.say(river, "@ana:example.org", "hello again");
    REQUIRE(bot.run_until([&] { return !bot.recorded().empty(); }));
    CHECK(bot.recorded()[0].dedup_key == "matrix:" + marker);
  }
  matrix_bot bot(db, with_password());
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "ok"; }));
  const auto logins = hs.server().requests();
  std::size_t with_device = 0;
  for (const auto& request : logins) {
    if (request.path.ends_with("/login") && json::parse(request.body).value("device_id", "") == device) ++with_device;
  }
  CHECK(with_device == 2);  // the sign-in after the revocation and the one after the restart
}

TEST_CASE("a wrong password shows in health") {
  fake_homeserver hs;
  hs.add_password(bot_id, "right");
  temp_folder dir;
  matrix_options o = client_options(hs);
  o.access_token.clear();
  o.password = "wrong";
  matrix_bot bot(dir.path() / "tandem.db", o);
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "login_failed"; }));
}

TEST_CASE("options without credentials or a proper user id are refused at construction") {
  boost::asio::io_context io;
  sqlite_store store(":memory:");
  store_adapter_state state(store);
  const world w;
  world_directory directory([&w]() -> const world& { return w; });
  const auto build = [&](matrix_options o) {
    matrix_adapter adapter(
        io, std::move(o), [](inbound, std::function<void(bool)>) {}, state, directory);
  };
  matrix_options o;
  o.homeserver = "https://hs";
  o.user_id = "@t:hs";
  CHECK_THROWS_AS(build(o), std::invalid_argument);  // no token, no password
  o.user_id = "tandem";
  o.access_token = "x";
  CHECK_THROWS_AS(build(o), std::invalid_argument);
  o.user_id = "@t:hs";
  o.how = matrix_options::mode::appservice;
  o.as_token = "a";
  CHECK_THROWS_AS(build(o), std::invalid_argument);  // no hs_token
  o.hs_token = "h";
  CHECK_NOTHROW(build(o));
}

}  // namespace
}  // namespace tandem::matrix_testing
