// The Matrix adapter as an application service: the homeserver's transactions over a real
// socket into Tandem's HTTP server, Client-Server calls with the as_token to the fake homeserver.

#include "adapters/matrix/matrix_bot_fixture.h"

#include "adapters/http/http_client.h"
#include "adapters/matrix/matrix_appservice.h"

#include <catch2/catch.hpp>

#include <set>

namespace tandem::matrix_testing {
namespace {

using nlohmann::json;
using testing::fake_homeserver;

const std::string as_token = "as-token-for-tests";
const std::string hs_token = "hs-token-for-tests";

// PROTOCOLS.md B7: the spec's transaction example (the member event, then an m.text message).
const char* const spec_transaction = R"({
  "events": [
    { "content": { "membership": "join", "avatar_url": "mxc://example.org/SEsfnsuifSDFSSEF",
                   "displayname": "Alice Margatroid", "reason": "Looking for support" },
      "event_id": "$143273582443PhrSn:example.org", "origin_server_ts": 1432735824653,
      "room_id": "!jEsUZKDJdhlrceRyVU:example.org", "sender": "@alice:example.org",
      "state_key": "@alice:example.org", "type": "m.room.member",
      "unsigned": { "age": 1234, "membership": "join" } },
    { "content": { "body": "This is an example text message", "msgtype": "m.text",
                   "format": "org.matrix.custom.html",
                   "formatted_body": "<b>This is an example text message</b>" },
      "event_id": "$143273582443PhrSn:example.org", "origin_server_ts": 1432735824653,
      "room_id": "!jEsUZKDJdhlrceRyVU:example.org", "sender": "@example:example.org",
      "type": "m.room.message", "unsigned": { "age": 1234, "membership": "join" } }
  ]
})";

json message_event(const std::string& id, const std::string& room, const std::string& sender, const std::string& body) {
  return {{"type", "m.room.message"},
          {"event_id", id},
          {"room_id", room},
          {"sender", sender},
          {"origin_server_ts", 1767225600000},
          {"content", {{"msgtype", "m.text"}, {"body", body}}}};
}

std::string transaction_of(const std::vector<json>& events) { return json{{"events", events}}.dump(); }

/// Tandem as an application service, signed in, with a client playing the homeserver's pushes.
struct appservice {
  fake_homeserver hs;
  temp_folder dir;
  std::unique_ptr<matrix_bot> bot;
  std::unique_ptr<http_client> homeserver_side;

  appservice() {
    hs.add_token(as_token, bot_id);
    hs.join(river, bot_id);
    matrix_options o = client_options(hs);
    o.how = matrix_options::mode::appservice;
    o.access_token.clear();
    o.as_token = as_token;
    o.hs_token = hs_token;
    bot = std::make_unique<matrix_bot>(dir.path() / "tandem.db", o);
    homeserver_side = std::make_unique<http_client>(bot->io(), http_client_options{});
    bot->start();
    REQUIRE(bot->run_until([&] { return bot->adapter().health() == "ok"; }));
  }
  ~appservice() { homeserver_side.reset(); }

  client_request push(const std::string& target, std::string body, std::optional<std::string> bearer = hs_token) {
    client_request request;
    request.method = "PUT";
    request.url = bot->url(target);
    if (bearer) request.headers.emplace_back("Authorization", "Bearer " + *bearer);
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);
    return request;
  }

  client_response send(client_request request) {
    std::optional<client_result> result;
    homeserver_side->send(std::move(request), [&result](client_result r) { result = std::move(r); });
    REQUIRE(bot->run_until([&] { return result.has_value(); }));
    if (const auto* error = std::get_if<client_error>(&*result)) FAIL("no response: " << error->message);
    return std::get<client_response>(*result);
  }
};

json body_of(const client_response& response) { return json::parse(response.body); }

TEST_CASE("a transaction with the right hs_token is stored, then answered 200 {}") {
  appservice as;
  const auto response = as.send(as.push("/_matrix/app/v1/transactions/35", spec_transaction));
  CHECK(response.status == 200);
  CHECK(body_of(response) == json::object());
  REQUIRE(as.bot->recorded().size() == 1);  // the member event is state, not a message
  const inbound& e = as.bot->recorded()[0];
  CHECK(e.dedup_key == "matrix:$143273582443PhrSn:example.org");
  CHECK(e.sender == identity{"matrix", "example.org", "@example:example.org"});
  CHECK(e.conversation == "!jEsUZKDJdhlrceRyVU:example.org");
  CHECK(e.kind == inbound_kind::message);
}

TEST_CASE("the legacy /transactions/{txnId} path is served too") {
  appservice as;
  const auto response = as.send(as.push("/transactions/36", spec_transaction));
  CHECK(response.status == 200);
  CHECK(as.bot->recorded().size() == 1);
}

TEST_CASE("a missing hs_token is 401 M_UNAUTHORIZED, a wrong one 403 M_FORBIDDEN, and nothing is stored") {
  appservice as;
  auto missing = as.send(as.push("/_matrix/app/v1/transactions/1", spec_transaction, std::nullopt));
  CHECK(missing.status == 401);
  CHECK(body_of(missing)["errcode"] == "M_UNAUTHORIZED");

  auto wrong = as.send(as.push("/_matrix/app/v1/transactions/1", spec_transaction, "hs-token-for-test"));
  CHECK(wrong.status == 403);
  CHECK(body_of(wrong)["errcode"] == "M_FORBIDDEN");

  auto basic = as.push("/_matrix/app/v1/transactions/1", spec_transaction, std::nullopt);
  basic.headers.emplace_back("Authorization", "Basic aHM6dG9rZW4=");
  CHECK(as.send(basic).status == 401);

  auto bad_query = as.push("/_matrix/app/v1/transactions/1?access_token=nope", spec_transaction, std::nullopt);
  CHECK(as.send(bad_query).status == 403);
  // Both given: both must match.
  auto mixed = as.push("/_matrix/app/v1/transactions/1?access_token=nope", spec_transaction);
  CHECK(as.send(mixed).status == 403);
  CHECK(as.bot->deliveries() == 0);

  // The deprecated query parameter alone still works (older homeservers send only it).
  auto query = as.push("/_matrix/app/v1/transactions/1?access_token=" + hs_token, spec_transaction, std::nullopt);
  CHECK(as.send(query).status == 200);
  CHECK(as.bot->recorded().size() == 1);
}

TEST_CASE("the hs_token comparison is exact") {
  CHECK(matrix::same_token("abc", "abc"));
  CHECK_FALSE(matrix::same_token("abd", "abc"));
  CHECK_FALSE(matrix::same_token("ab", "abc"));
  CHECK_FALSE(matrix::same_token("", "abc"));
  CHECK_FALSE(matrix::same_token("abcd", "abc"));
}

TEST_CASE("a repeated transaction id is answered 200 without feeding its events again") {
  appservice as;
  const std::string body = transaction_of({message_event("$a:example.org", river, "@ana:example.org", "hello"),
                                           message_event("$b:example.org", river, "@bob:example.org", "hi")});
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/7", body)).status == 200);
  CHECK(as.bot->deliveries() == 2);
  const auto again = as.send(as.push("/_matrix/app/v1/transactions/7", body));
  CHECK(again.status == 200);
  CHECK(body_of(again) == json::object());
  CHECK(as.bot->deliveries() == 2);
  CHECK(as.bot->store().setting("matrix.appservice.completed_txns") == R"(["7"])");
}

/// Sends transaction `txn_path` (as it stands in the URL) with one new event to an appservice
/// bot on a store in a folder, restarts the bot on that store and sends it again: the first copy
/// is fed, the replay after the restart answered 200 and not fed again.
void check_completed_transaction_survives_restart(const std::string& txn_path, const std::string& event_id) {
  fake_homeserver hs;
  hs.add_token(as_token, bot_id);
  temp_folder dir;
  matrix_options o = client_options(hs);
  o.how = matrix_options::mode::appservice;
  o.access_token.clear();
  o.as_token = as_token;
  o.hs_token = hs_token;
  const std::string body = transaction_of({message_event(event_id, river, "@ana:example.org", "hello")});
  for (int run = 0; run < 2; ++run) {
    matrix_bot bot(dir.path() / "tandem.db", o);
    http_client client(bot.io(), http_client_options{});
    bot.start();
    REQUIRE(bot.run_until([&] { return bot.adapter().health() == "ok"; }));
    client_request request;
    request.method = "PUT";
    request.url = bot.url("/_matrix/app/v1/transactions/" + txn_path);
    request.headers.emplace_back("Authorization", "Bearer " + hs_token);
    request.body = body;
    std::optional<client_result> result;
    client.send(request, [&](client_result r) { result = std::move(r); });
    REQUIRE(bot.run_until([&] { return result.has_value(); }));
    CHECK(std::get<client_response>(*result).status == 200);
    CHECK(bot.deliveries() == (run == 0 ? 1U : 0U));
  }
}

TEST_CASE("completed transaction ids survive a restart") {
  check_completed_transaction_survives_restart("99", "$a:example.org");
}

TEST_CASE("a duplicate arriving while the first copy is in flight waits for it, and nothing is fed twice") {
  appservice as;
  as.bot->hold_acks();  // the store is slow
  const std::string body = transaction_of({message_event("$c:example.org", river, "@ana:example.org", "hello")});
  std::vector<std::optional<client_result>> results(2);
  for (std::size_t i = 0; i < 2; ++i) {
    as.homeserver_side->send(as.push("/_matrix/app/v1/transactions/8", body),
                             [&results, i](client_result r) { results[i] = std::move(r); });
  }
  as.bot->run_for(std::chrono::milliseconds{300});
  CHECK_FALSE(results[0].has_value());
  CHECK_FALSE(results[1].has_value());
  CHECK(as.bot->deliveries() == 1);
  as.bot->release_acks();
  REQUIRE(as.bot->run_until([&] { return results[0].has_value() && results[1].has_value(); }));
  CHECK(std::get<client_response>(*results[0]).status == 200);
  CHECK(std::get<client_response>(*results[1]).status == 200);
  CHECK(as.bot->deliveries() == 1);
}

TEST_CASE("a transaction that cannot be stored is answered 503 with Retry-After, and its retry is stored") {
  appservice as;
  as.bot->fail_records(1);
  const std::string body = transaction_of({message_event("$d:example.org", river, "@ana:example.org", "hello")});
  const auto failed = as.send(as.push("/_matrix/app/v1/transactions/9", body));
  CHECK(failed.status == 503);
  CHECK(failed.header("retry-after") == std::to_string(store_retry_after_seconds));
  CHECK(body_of(failed)["errcode"] == "M_UNKNOWN");
  CHECK(as.bot->recorded().empty());
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/9", body)).status == 200);
  CHECK(as.bot->recorded().size() == 1);
}

TEST_CASE("the same event in two transactions is recorded once") {
  appservice as;
  const std::string body = transaction_of({message_event("$e:example.org", river, "@ana:example.org", "hello")});
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/10", body)).status == 200);
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/11", body)).status == 200);
  CHECK(as.bot->deliveries() == 2);
  CHECK(as.bot->recorded().size() == 1);
}

TEST_CASE("bad transaction bodies are refused with the spec's error codes") {
  appservice as;
  const auto not_json = as.send(as.push("/_matrix/app/v1/transactions/12", "{not json"));
  CHECK(not_json.status == 400);
  CHECK(body_of(not_json)["errcode"] == "M_NOT_JSON");
  const auto no_events = as.send(as.push("/_matrix/app/v1/transactions/13", R"({"ephemeral": []})"));
  CHECK(no_events.status == 400);
  CHECK(body_of(no_events)["errcode"] == "M_BAD_JSON");
  CHECK(as.bot->deliveries() == 0);
}

TEST_CASE("ping is answered, queries find nothing, unknown endpoints are unrecognized, all behind the hs_token") {
  appservice as;
  auto ping = as.push("/_matrix/app/v1/ping", R"({"transaction_id": "mautrix-go_1683636478256400935_123"})");
  ping.method = "POST";
  const auto pong = as.send(ping);
  CHECK(pong.status == 200);
  CHECK(body_of(pong) == json::object());

  auto user = as.push("/_matrix/app/v1/users/%40someone%3Aexample.org", "");
  user.method = "GET";
  const auto no_user = as.send(user);
  CHECK(no_user.status == 404);
  CHECK(body_of(no_user)["errcode"] == "M_NOT_FOUND");

  auto thirdparty = as.push("/_matrix/app/v1/thirdparty/protocol/irc", "");
  thirdparty.method = "GET";
  const auto unknown = as.send(thirdparty);
  CHECK(unknown.status == 404);
  CHECK(body_of(unknown)["errcode"] == "M_UNRECOGNIZED");

  auto anonymous = as.push("/_matrix/app/v1/ping", "{}", std::nullopt);
  anonymous.method = "POST";
  CHECK(as.send(anonymous).status == 401);
}

TEST_CASE("a command in a transaction is answered through the Client-Server API with the as_token") {
  appservice as;
  const std::string body =
      transaction_of({message_event("$f:example.org", river, "@ana:example.org", "!tandem status")});
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/14", body)).status == 200);
  REQUIRE(as.bot->run_until([&] { return !as.hs.sent_in(river).empty(); }));
  const auto sends = as.hs.server().requests();
  const auto send =
      std::ranges::find_if(sends, [](const auto& r) { return r.path.find("/send/") != std::string::npos; });
  REQUIRE(send != sends.end());
  CHECK(send->header("authorization") == "Bearer " + as_token);
}

TEST_CASE("an appservice joins a DM invitation from a known person and declines a stranger's") {
  appservice as;
  const auto invite = [](const std::string& id, const std::string& room, const std::string& sender) {
    return json{{"type", "m.room.member"},
                {"event_id", id},
                {"room_id", room},
                {"sender", sender},
                {"state_key", bot_id},
                {"origin_server_ts", 1767225600000},
                {"content", {{"membership", "invite"}, {"is_direct", true}}}};
  };
  as.hs.invite("!anadm:example.org", "@ana:example.org", bot_id, true);
  as.hs.invite("!spam:example.org", "@stranger:elsewhere.org", bot_id, true);
  const std::string body = transaction_of({invite("$i1:example.org", "!anadm:example.org", "@ana:example.org"),
                                           invite("$i2:example.org", "!spam:example.org", "@stranger:elsewhere.org")});
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/15", body)).status == 200);
  REQUIRE(as.bot->run_until([&] { return as.hs.joined_by_api().size() == 1 && as.hs.left_by_api().size() == 1; }));
  CHECK(as.hs.joined_by_api()[0] == "!anadm:example.org");
  CHECK(as.hs.left_by_api()[0] == "!spam:example.org");
  REQUIRE(as.bot->run_until([&] { return !as.hs.direct_account_data(bot_id).is_null(); }));

  // A bare command in that DM is a command.
  const std::string dm =
      transaction_of({message_event("$g:example.org", "!anadm:example.org", "@ana:example.org", "tasks")});
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/16", dm)).status == 200);
  REQUIRE(!as.bot->recorded().empty());
  CHECK(as.bot->recorded().back().kind == inbound_kind::command);
  CHECK(as.bot->recorded().back().direct);
}

TEST_CASE("until the as_token is confirmed, transactions are answered 503 saying so, and the homeserver retries") {
  fake_homeserver hs;  // knows no as_token: whoami fails
  temp_folder dir;
  matrix_options o = client_options(hs);
  o.how = matrix_options::mode::appservice;
  o.access_token.clear();
  o.as_token = as_token;
  o.hs_token = hs_token;
  matrix_bot bot(dir.path() / "tandem.db", o);
  http_client client(bot.io(), http_client_options{});
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "invalid_token"; }));
  client_request request;
  request.method = "PUT";
  request.url = bot.url("/_matrix/app/v1/transactions/1");
  request.headers.emplace_back("Authorization", "Bearer " + hs_token);
  request.body = spec_transaction;
  std::optional<client_result> result;
  client.send(request, [&](client_result r) { result = std::move(r); });
  REQUIRE(bot.run_until([&] { return result.has_value(); }));
  const auto& response = std::get<client_response>(*result);
  CHECK(response.status == 503);
  CHECK(body_of(response)["errcode"] == "M_UNKNOWN");
  const std::string why = body_of(response)["error"];
  CHECK(why.find("not yet confirmed its identity with the homeserver") != std::string::npos);
  CHECK(why.find("invalid_token") != std::string::npos);
  CHECK(why.find("could not be stored") == std::string::npos);
  CHECK(bot.deliveries() == 0);
}

TEST_CASE("a transaction id that percent-decodes to invalid UTF-8 is stored as bytes, deduplicated, and harms no "
          "later transaction") {
  appservice as;
  const std::string first = transaction_of({message_event("$ff:example.org", river, "@ana:example.org", "one")});
  const std::string second = transaction_of({message_event("$next:example.org", river, "@bob:example.org", "two")});
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/%FF", first)).status == 200);
  CHECK(as.bot->store().setting("matrix.appservice.completed_txns") == R"(["%FF"])");
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/a%20b", second)).status == 200);
  CHECK(as.bot->store().setting("matrix.appservice.completed_txns") == R"(["%FF","a%20b"])");
  REQUIRE(as.bot->recorded().size() == 2);
  CHECK(as.bot->deliveries() == 2);

  const auto retry = as.send(as.push("/_matrix/app/v1/transactions/%FF", first));
  CHECK(retry.status == 200);
  CHECK(body_of(retry) == json::object());
  CHECK(as.bot->deliveries() == 2);  // acknowledged as done, not fed again
  // %ff is the same byte as %FF; "%FE" is another id.
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/%ff", first)).status == 200);
  CHECK(as.bot->deliveries() == 2);
  CHECK(as.send(as.push("/_matrix/app/v1/transactions/%FE", first)).status == 200);
  CHECK(as.bot->deliveries() == 3);
  CHECK(as.bot->recorded().size() == 2);
}

TEST_CASE("completed transaction ids that are not UTF-8 survive a restart as the same bytes") {
  check_completed_transaction_survives_restart("%C3%28%FF", "$h:example.org");
}

TEST_CASE("the registration file names the bot as the only user, with the given tokens") {
  const std::string yaml =
      matrix::registration_yaml({"tandem", "http://127.0.0.1:8080", "@tandem:example.org"}, "AS", "HS");
  CHECK(yaml ==
        "id: \"tandem\"\n"
        "url: \"http://127.0.0.1:8080\"\n"
        "as_token: \"AS\"\n"
        "hs_token: \"HS\"\n"
        "sender_localpart: \"tandem\"\n"
        "rate_limited: false\n"
        "namespaces:\n"
        "  users:\n"
        "    - exclusive: true\n"
        "      regex: \"@tandem:example\\\\.org\"\n"
        "  aliases: []\n"
        "  rooms: []\n");
  CHECK_THROWS_AS(matrix::registration_yaml({"tandem", "http://x", "tandem"}, "a", "h"), std::invalid_argument);
  CHECK_THROWS_AS(matrix::registration_yaml({"tandem", "", "@t:hs"}, "a", "h"), std::invalid_argument);
}

TEST_CASE("registration tokens are fresh 64-digit hex strings") {
  const std::string a = matrix::random_token();
  const std::string b = matrix::random_token();
  CHECK(a.size() == 64);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

}  // namespace
}  // namespace tandem::matrix_testing
