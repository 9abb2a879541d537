#include "adapters/matrix/matrix_wire.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tandem::matrix {
namespace {

using nlohmann::json;

// PROTOCOLS.md B7: the spec's sync.yaml example, abridged, with a constructed m.reaction.
const char* const spec_sync = R"({
  "next_batch": "s72595_4483_1934",
  "rooms": {
    "join": {
      "!726s6s6q:example.com": {
        "timeline": {
          "events": [
            { "content": { "body": "This is an example text message",
                           "format": "org.matrix.custom.html",
                           "formatted_body": "<b>This is an example text message</b>",
                           "msgtype": "m.text" },
              "event_id": "$143273582443PhrSn:example.org",
              "origin_server_ts": 1432735824653,
              "sender": "@example:example.org",
              "type": "m.room.message",
              "unsigned": { "age": 1234, "membership": "join" } },
            { "content": { "m.relates_to": { "rel_type": "m.annotation",
                                             "event_id": "$143273582443PhrSn:example.org",
                                             "key": "👍" } },
              "event_id": "$reaction_1:example.org",
              "origin_server_ts": 1432735824653,
              "sender": "@alice:example.org",
              "type": "m.reaction",
              "unsigned": { "age": 1234, "membership": "join" } }
          ],
          "limited": true,
          "prev_batch": "t34-23535_0_0"
        }
      }
    },
    "invite": {
      "!696r7674:example.com": {
        "invite_state": {
          "events": [
            { "sender": "@alice:example.com", "type": "m.room.name", "state_key": "",
              "content": { "name": "My Room Name" } },
            { "sender": "@alice:example.com", "type": "m.room.member", "state_key": "@bob:example.com",
              "content": { "membership": "invite" } }
          ]
        }
      }
    },
    "leave": {}
  }
})";

// PROTOCOLS.md B7: the spec's transactions.yaml example with its $refs resolved.
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

TEST_CASE("the spec's /sync example reads into timeline events, a limited flag and an invite") {
  const auto sync = json::parse(spec_sync).get<sync_response>();
  CHECK(sync.next_batch == "s72595_4483_1934");
  REQUIRE(sync.join.size() == 1);
  const joined_room& room = sync.join.at("!726s6s6q:example.com");
  CHECK(room.timeline.limited);
  CHECK(room.timeline.prev_batch == "t34-23535_0_0");
  REQUIRE(room.timeline.events.events.size() == 2);
  CHECK(room.timeline.events.malformed == 0);

  const client_event& message = room.timeline.events.events[0];
  CHECK(message.type == "m.room.message");
  CHECK(message.sender == "@example:example.org");
  CHECK(message.room_id == "!726s6s6q:example.com");  // taken from the room's key
  CHECK(message.origin_server_ts == 1432735824653);
  CHECK_FALSE(message.state_key.has_value());
  const auto content = message.content.get<room_message>();
  CHECK(content.msgtype == "m.text");
  CHECK(content.body == "This is an example text message");
  CHECK(content.format == "org.matrix.custom.html");
  CHECK(content.formatted_body == "<b>This is an example text message</b>");
  CHECK_FALSE(content.relates_to.has_value());

  const auto reacted = room.timeline.events.events[1].content.get<reaction>();
  CHECK(reacted.relates_to.rel_type == "m.annotation");
  CHECK(reacted.relates_to.event_id == "$143273582443PhrSn:example.org");
  CHECK(reacted.relates_to.key == "👍");

  REQUIRE(sync.invite.size() == 1);
  const auto& invite_state = sync.invite.at("!696r7674:example.com").invite_state;
  REQUIRE(invite_state.size() == 2);
  CHECK(invite_state[1].type == "m.room.member");
  CHECK(invite_state[1].state_key == "@bob:example.com");
  CHECK(invite_state[1].content.get<member>().membership == "invite");
  CHECK(sync.leave.empty());
}

TEST_CASE("a sync response round-trips through to_json and from_json") {
  const auto sync = json::parse(spec_sync).get<sync_response>();
  CHECK(json(sync).get<sync_response>() == sync);
}

TEST_CASE("a sync response without next_batch is refused") {
  CHECK_THROWS_AS(json::parse(R"({"rooms": {}})").get<sync_response>(), json::exception);
  CHECK_THROWS_AS(json::parse(R"([1, 2])").get<sync_response>(), json::exception);
}

TEST_CASE("a malformed event in a timeline is counted and skipped, the others are kept") {
  const auto sync = json::parse(R"({"next_batch": "s2", "rooms": {"join": {"!r:hs": {"timeline": {"events": [
      {"type": "m.room.message", "sender": "@a:hs", "content": {"body": "no id", "msgtype": "m.text"}},
      "not an event",
      {"type": "m.room.message", "event_id": "$ok", "sender": "@a:hs", "content": {"body": "hi", "msgtype": "m.text"}}
    ]}}}}})")
                        .get<sync_response>();
  const auto& events = sync.join.at("!r:hs").timeline.events;
  CHECK(events.malformed == 2);
  REQUIRE(events.events.size() == 1);
  CHECK(events.events[0].event_id == "$ok");
  CHECK_FALSE(sync.join.at("!r:hs").timeline.limited);
}

TEST_CASE("left rooms and m.direct account data are read") {
  const auto sync = json::parse(R"({"next_batch": "s3", "rooms": {"leave": {"!gone:hs": {}}},
      "account_data": {"events": [{"type": "m.direct", "content": {"@bob:example.com": ["!dm:hs"], "@x:hs": "bad"}}]}})")
                        .get<sync_response>();
  CHECK(sync.leave == std::vector<std::string>{"!gone:hs"});
  REQUIRE(sync.account_data.size() == 1);
  CHECK(sync.account_data[0].type == "m.direct");
  const direct_rooms rooms = read_direct_rooms(sync.account_data[0].content);
  CHECK(rooms == direct_rooms{{"@bob:example.com", {"!dm:hs"}}});
}

TEST_CASE("the spec's transaction example reads into its two events with room ids and state keys") {
  const auto txn = json::parse(spec_transaction).get<transaction>();
  REQUIRE(txn.events.events.size() == 2);
  const client_event& join = txn.events.events[0];
  CHECK(join.type == "m.room.member");
  CHECK(join.state_key == "@alice:example.org");
  CHECK(join.room_id == "!jEsUZKDJdhlrceRyVU:example.org");
  const auto joined = join.content.get<member>();
  CHECK(joined.membership == "join");
  CHECK(joined.displayname == "Alice Margatroid");
  CHECK(joined.reason == "Looking for support");
  CHECK(txn.events.events[1].content.get<room_message>().body == "This is an example text message");
  CHECK(json(txn).get<transaction>() == txn);
}

TEST_CASE("a transaction without an events list is refused") {
  CHECK_THROWS_AS(json::parse(R"({"ephemeral": []})").get<transaction>(), json::exception);
  CHECK_THROWS_AS(json::parse(R"({"events": {}})").get<transaction>(), json::exception);
}

TEST_CASE("a DM invite carries is_direct on the member event") {
  const auto m = json::parse(R"({"membership": "invite", "is_direct": true, "displayname": "Tandem"})").get<member>();
  CHECK(m.membership == "invite");
  CHECK(m.is_direct);
  CHECK(json(m).get<member>() == m);
  CHECK_THROWS_AS(json::parse(R"({"is_direct": true})").get<member>(), json::exception);
}

TEST_CASE("an edit, a rich reply and a thread reply read their relations") {
  const auto edit = json::parse(R"({"msgtype": "m.text", "body": "* !tandem done 3",
      "m.new_content": {"msgtype": "m.text", "body": "!tandem done 3"},
      "m.relates_to": {"rel_type": "m.replace", "event_id": "$orig"}})")
                        .get<room_message>();
  CHECK(edit.has_new_content);
  REQUIRE(edit.relates_to);
  CHECK(edit.relates_to->rel_type == "m.replace");
  CHECK(edit.relates_to->event_id == "$orig");

  const auto reply = json::parse(R"({"msgtype": "m.text", "body": "That sounds like a great idea!",
      "m.relates_to": {"m.in_reply_to": {"event_id": "$another_event"}}})")
                         .get<room_message>();
  REQUIRE(reply.relates_to);
  CHECK(reply.relates_to->rel_type.empty());
  CHECK(reply.relates_to->in_reply_to == "$another_event");

  const auto thread = json::parse(R"({"msgtype": "m.text", "body": "in thread",
      "m.relates_to": {"rel_type": "m.thread", "event_id": "$root", "m.in_reply_to": {"event_id": "$target"},
                       "is_falling_back": true}})")
                          .get<room_message>();
  REQUIRE(thread.relates_to);
  CHECK(thread.relates_to->rel_type == "m.thread");
  CHECK(thread.relates_to->is_falling_back);
  CHECK(json(thread).get<room_message>() == thread);
}

TEST_CASE("the spec's mention example reads its user ids") {
  const auto m = json::parse(R"({ "body": "Hello Alice!", "msgtype": "m.text", "format": "org.matrix.custom.html",
      "formatted_body": "Hello <a href='https://matrix.to/#/@alice:example.org'>Alice</a>!",
      "m.mentions": { "user_ids": ["@alice:example.org"] } })")
                     .get<room_message>();
  REQUIRE(m.mentions);
  CHECK(m.mentions->user_ids == std::vector<std::string>{"@alice:example.org"});
  CHECK_FALSE(m.mentions->room);
}

TEST_CASE("a reaction without m.relates_to is refused") {
  CHECK_THROWS_AS(json::parse(R"({"key": "👍"})").get<reaction>(), json::exception);
}

TEST_CASE("error bodies: rate limited with retry_after_ms, unknown token with soft_logout, and non-errors") {
  const auto limited =
      read_error_body(R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2000})");
  REQUIRE(limited);
  CHECK(limited->errcode == "M_LIMIT_EXCEEDED");
  CHECK(limited->error == "Too many requests");
  CHECK(limited->retry_after_ms == 2000);

  const auto token =
      read_error_body(R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed.","soft_logout":true})");
  REQUIRE(token);
  CHECK(token->errcode == "M_UNKNOWN_TOKEN");
  CHECK(token->soft_logout);
  CHECK_FALSE(token->retry_after_ms);

  CHECK_FALSE(read_error_body("<html>Bad gateway</html>"));
  CHECK_FALSE(read_error_body(""));
  CHECK_FALSE(read_error_body(R"({"error":"no code"})"));
  CHECK(json(*limited).get<error_body>() == *limited);
}

TEST_CASE("the spec's login example reads; a password login is written with the saved device") {
  const auto login = json::parse(R"({ "user_id": "@cheeky_monkey:matrix.org", "access_token": "abc123",
      "refresh_token": "def456", "expires_in_ms": 60000, "device_id": "GHTYAJCE",
      "well_known": { "m.homeserver": { "base_url": "https://example.org" } } })")
                         .get<login_response>();
  CHECK(login == login_response{"@cheeky_monkey:matrix.org", "abc123", "GHTYAJCE"});
  CHECK_THROWS_AS(json::parse(R"({"user_id": "@a:hs", "access_token": "x"})").get<login_response>(), json::exception);

  const json request = password_login{"cheeky_monkey", "ilovebananas", "GHTYAJCE", "Jungle Phone"};
  CHECK(request == json::parse(R"({ "type": "m.login.password",
      "identifier": { "type": "m.id.user", "user": "cheeky_monkey" },
      "password": "ilovebananas", "device_id": "GHTYAJCE", "initial_device_display_name": "Jungle Phone" })"));
}

TEST_CASE("whoami reads the user id and the optional device id") {
  CHECK(json::parse(R"({"user_id": "@tandem:example.org", "device_id": "ABC"})").get<whoami_response>() ==
        whoami_response{"@tandem:example.org", "ABC"});
  CHECK(json::parse(R"({"user_id": "@tandem:example.org"})").get<whoami_response>() ==
        whoami_response{"@tandem:example.org", std::nullopt});
}

TEST_CASE("a direct room is created as a trusted private chat without encryption") {
  const json body = create_direct_room{"@bob:example.com"};
  CHECK(body ==
        json::parse(R"({"preset": "trusted_private_chat", "is_direct": true, "invite": ["@bob:example.com"]})"));
  CHECK_FALSE(body.contains("initial_state"));
}

TEST_CASE("/messages pages read their chunk and the end token, which is absent at the end") {
  const auto page = json::parse(R"({"start": "t1", "end": "t2", "chunk": [
      {"type": "m.room.message", "event_id": "$1", "sender": "@a:hs", "room_id": "!r:hs",
       "content": {"msgtype": "m.text", "body": "one"}}]})")
                        .get<messages_response>();
  CHECK(page.start == "t1");
  CHECK(page.end == "t2");
  CHECK(page.chunk.events.size() == 1);
  const auto last = json::parse(R"({"start": "t2", "chunk": []})").get<messages_response>();
  CHECK_FALSE(last.end);
  CHECK(last.chunk.events.empty());
}

}  // namespace
}  // namespace tandem::matrix

namespace tandem::matrix {
namespace {

/// read_sync_response (SAX, from the text) must give what from_json over the document gives.
void reads_as_from_json(const std::string& body) {
  INFO(body);
  std::optional<sync_response> by_document;
  try {
    by_document = json::parse(body).get<sync_response>();
  } catch (const json::exception&) {
    CHECK_THROWS_AS(read_sync_response(body), json::exception);
    return;
  }
  CHECK(read_sync_response(body) == *by_document);
}

TEST_CASE("a /sync body read from its text equals the one read from its document, refusals included") {
  const std::vector<std::string> bodies{
      spec_sync,
      R"({"next_batch":"s1"})",
      R"({"next_batch":"s2","rooms":{"join":{},"invite":{},"leave":{"!b:hs":{},"!a:hs":{"timeline":{}}, "!c:hs":3}}})",
      R"({"next_batch":"s3","rooms":{"join":{"!r:hs":{"timeline":{"events":[
          {"type":"m.room.message","event_id":"$1","sender":"@a:hs","origin_server_ts":5,
           "content":{"msgtype":"m.text","body":"hi","n":[1,2.5,{"x":null}],"b":true},"unsigned":{"age":1}},
          {"type":"m.room.message","event_id":"$2"},
          {"type":7,"event_id":"$3","sender":"@a:hs"},
          "not an event", [1, 2],
          {"type":"m.room.member","event_id":"$4","sender":"@a:hs","state_key":"@a:hs","room_id":"!other:hs",
           "content":"not an object","origin_server_ts":"late"},
          {"type":"m.reaction","event_id":"$5","sender":"@b:hs","content":[1],"state_key":4}],
        "limited":true,"prev_batch":"t9"},
        "state":{"events":[{"type":"m.room.encryption","event_id":"$6","sender":"@a:hs","state_key":"",
                            "content":{"algorithm":"m.megolm.v1.aes-sha2"}}]},
        "ephemeral":{"events":[{"type":"m.typing"}]}}}},
        "account_data":{"events":[{"type":"m.direct","content":{"@a:hs":["!dm:hs"]}},{"content":{}}]},
        "presence":{"events":[]}})",
      R"({"next_batch":"s4","rooms":{"join":{"!r:hs":{"timeline":{"events":{}}}}}})",
      R"({"next_batch":"s5","rooms":{"join":{"!r:hs":{"state":{"events":"x"}}}}})",
      R"({"next_batch":"s6","rooms":{"join":{"!r:hs":7}}})",
      R"({"next_batch":"s7","rooms":{"join":{"!r:hs":{"timeline":[]}}}})",
      R"({"next_batch":"s8","rooms":{"invite":{"!i:hs":{"invite_state":{"events":[
          {"type":"m.room.member","state_key":"@t:hs","sender":"@a:hs","content":{"membership":"invite","is_direct":true}}]}}}}})",
      R"({"next_batch":"s9","rooms":{"invite":{"!i:hs":"x"}}})",
      R"({"next_batch":9})",
      R"({"rooms":{}})",
      R"([])",
      R"("text")",
      R"({"next_batch":"s10","rooms":{"join":{"!r:hs":{"timeline":{"events":[{"type":"m.room.message",)",
      R"({"next_batch":"s11","rooms":"none","account_data":[]})",
  };
  for (const auto& body : bodies) reads_as_from_json(body);
}

}  // namespace
}  // namespace tandem::matrix
