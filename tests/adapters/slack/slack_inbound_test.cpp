#include "adapters/slack/slack_inbound.h"

#include <catch2/catch.hpp>

#include <string>

namespace {

using namespace tandem::slack;
using tandem::inbound;
using tandem::inbound_kind;
using json = nlohmann::json;

tandem::time_point at(long long seconds) { return tandem::time_point{std::chrono::seconds{seconds}}; }

template <typename T>
T expect_parsed(const parsed<T>& result) {
  if (const auto* error = std::get_if<wire_error>(&result)) FAIL("wire error: " << error->reason);
  return std::get<T>(result);
}

template <typename T>
std::string expect_error(const parsed<T>& result) {
  REQUIRE(std::holds_alternative<wire_error>(result));
  return std::get<wire_error>(result).reason;
}

// The official message.channels event (PROTOCOLS.md A1, S10) in its envelope.
std::string channel_message_body(const std::string& text = "Live long and prospect.",
                                 const std::string& ts = "1355517523.000005") {
  json event{{"type", "message"}, {"channel", "C123ABC456"}, {"user", "U123ABC456"},     {"text", text},
             {"ts", ts},          {"event_ts", ts},          {"channel_type", "channel"}};
  return json{{"token", "XXYYZZ"},
              {"team_id", "TXXXXXXXX"},
              {"api_app_id", "AXXXXXXXXX"},
              {"event", event},
              {"type", "event_callback"},
              {"authorizations", json::array({{{"enterprise_id", nullptr},
                                               {"team_id", "TXXXXXXXX"},
                                               {"user_id", "UBOT"},
                                               {"is_bot", true},
                                               {"is_enterprise_install", false}}})},
              {"event_id", "Ev08MFMKH6"},
              {"event_time", 1355517523}}
      .dump();
}

event_envelope envelope_with(json event, std::string event_id = "Ev1") {
  return expect_parsed(event_envelope_from_json(json{
      {"type", "event_callback"}, {"team_id", "T1"}, {"event_id", std::move(event_id)}, {"event", std::move(event)}}));
}

translated_event translate(const event_envelope& e, std::string_view bot = "UBOT") {
  return expect_parsed(translate_event(e, bot));
}

}  // namespace

TEST_CASE("url_verification is parsed with its challenge") {
  // PROTOCOLS.md A1, S6.
  const auto e = expect_parsed(parse_event_envelope(
      R"({"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})"));
  CHECK(e.type == "url_verification");
  CHECK(e.challenge == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
}

TEST_CASE("an envelope keeps only the fields of its type") {
  const auto check = expect_parsed(
      parse_event_envelope(R"({"type":"url_verification","challenge":"c","team_id":"T1","event_id":"Ev1"})"));
  CHECK(check.team_id.empty());
  CHECK(check.event_id.empty());
  const auto limited = expect_parsed(parse_event_envelope(
      R"({"type":"app_rate_limited","team_id":"T1","challenge":"c","event_id":"Ev1","event":{"type":"message"}})"));
  CHECK(limited.team_id == "T1");
  CHECK(limited.challenge.empty());
  CHECK(limited.event_id.empty());
  CHECK(limited.event == inner_event{});
}

TEST_CASE("the official channel message is activity, keyed by team, channel and ts") {
  const auto envelope = expect_parsed(parse_event_envelope(channel_message_body()));
  CHECK(envelope.team_id == "TXXXXXXXX");
  CHECK(envelope.event_id == "Ev08MFMKH6");
  CHECK(envelope.authorized_bot_user == "UBOT");
  const auto t = translate(envelope);
  REQUIRE(t.event);
  const inbound& e = *t.event;
  CHECK(e.dedup_key == "slack:TXXXXXXXX:C123ABC456:1355517523.000005");
  CHECK(e.sender == tandem::identity{"slack", "TXXXXXXXX", "U123ABC456"});
  CHECK(e.conversation == "C123ABC456");
  CHECK_FALSE(e.direct);
  CHECK_FALSE(e.addressed);
  CHECK(e.kind == inbound_kind::message);
  CHECK(e.text == "Live long and prospect.");
  CHECK(e.at == at(1355517523));
  CHECK(e.reply_handle.empty());
}

TEST_CASE("ts stays a string with every digit") {
  const auto envelope = expect_parsed(parse_event_envelope(channel_message_body("hi", "1700000000.000100")));
  const auto t = translate(envelope);
  REQUIRE(t.event);
  CHECK(t.event->dedup_key == "slack:TXXXXXXXX:C123ABC456:1700000000.000100");
}

TEST_CASE("a message mentioning the bot is a command without the mention, answered in its thread") {
  const auto t = translate(envelope_with({{"type", "message"},
                                          {"channel", "C1"},
                                          {"user", "U1"},
                                          {"text", "<@UBOT> done 12 &amp; shipped"},
                                          {"ts", "1700000000.000200"},
                                          {"channel_type", "channel"}}));
  REQUIRE(t.event);
  CHECK(t.event->addressed);
  CHECK_FALSE(t.event->direct);
  CHECK(t.event->kind == inbound_kind::command);
  CHECK(t.event->text == "done 12 & shipped");
  CHECK(t.event->reply_handle == "thread:1700000000.000200");
}

TEST_CASE("an app_mention has the same dedup key as its message twin") {
  json message{{"type", "message"},       {"channel", "C1"},           {"user", "U1"},
               {"text", "<@UBOT> tasks"}, {"ts", "1700000000.000300"}, {"channel_type", "channel"}};
  json mention{{"type", "app_mention"},   {"channel", "C1"},           {"user", "U1"},
               {"text", "<@UBOT> tasks"}, {"ts", "1700000000.000300"}, {"event_ts", "1700000000.000300"}};
  const auto a = translate(envelope_with(message, "Ev1"));
  const auto b = translate(envelope_with(mention, "Ev2"));
  REQUIRE(a.event);
  REQUIRE(b.event);
  CHECK(a.event->dedup_key == b.event->dedup_key);
  CHECK(*a.event == *b.event);
}

TEST_CASE("an app_mention is a command even before the bot's user id is known") {
  const auto t = translate(envelope_with({{"type", "app_mention"},
                                          {"channel", "C1"},
                                          {"user", "U1"},
                                          {"text", "<@UOTHER> help assign"},
                                          {"ts", "1700000000.000300"}}),
                           "");
  REQUIRE(t.event);
  CHECK(t.event->addressed);
  CHECK(t.event->text == "help assign");
}

TEST_CASE("a DM is a direct command") {
  const auto t =
      translate(envelope_with({{"type", "message"},
                               {"channel", "D024BE91L"},
                               {"user", "U1"},
                               {"text", "blocked 12 waiting for <https://example.org/a?b=1&amp;c=2|the budget>"},
                               {"ts", "1700000000.000400"},
                               {"channel_type", "im"}}));
  REQUIRE(t.event);
  CHECK(t.event->direct);
  CHECK(t.event->addressed);
  CHECK(t.event->kind == inbound_kind::command);
  CHECK(t.event->text == "blocked 12 waiting for https://example.org/a?b=1&c=2");
  CHECK(t.event->reply_handle.empty());
}

TEST_CASE("a reply in a thread is answered in that thread") {
  const auto t = translate(envelope_with({{"type", "message"},
                                          {"channel", "D1"},
                                          {"user", "U1"},
                                          {"text", "tasks"},
                                          {"ts", "1700000000.000500"},
                                          {"thread_ts", "1700000000.000100"},
                                          {"channel_type", "im"}}));
  REQUIRE(t.event);
  CHECK(t.event->reply_handle == "thread:1700000000.000100");
}

TEST_CASE("bot messages, Tandem's own messages and edits are ignored") {
  // Messages the app posts carry bot_id and no subtype (bolt-js#580).
  CHECK(translate(envelope_with({{"type", "message"},
                                 {"channel", "C1"},
                                 {"user", "UBOT"},
                                 {"bot_id", "B1"},
                                 {"text", "hello"},
                                 {"ts", "1.2"}}))
            .ignored == "a bot's message");
  CHECK(translate(envelope_with({{"type", "message"},
                                 {"subtype", "bot_message"},
                                 {"channel", "C1"},
                                 {"bot_id", "B2"},
                                 {"text", "hi"},
                                 {"ts", "1.2"}}))
            .ignored == "a bot's message");
  CHECK(translate(
            envelope_with({{"type", "message"}, {"channel", "C1"}, {"user", "UBOT"}, {"text", "hello"}, {"ts", "1.2"}}))
            .ignored == "Tandem's own message");
  CHECK(translate(envelope_with({{"type", "message"},
                                 {"subtype", "message_changed"},
                                 {"channel", "C1"},
                                 {"message", {{"text", "done 12"}}},
                                 {"ts", "1.2"}}))
            .ignored == "message subtype message_changed");
  CHECK(
      translate(envelope_with({{"type", "message"}, {"subtype", "message_deleted"}, {"channel", "C1"}, {"ts", "1.2"}}))
          .ignored == "message subtype message_deleted");
  CHECK(translate(
            envelope_with(
                {{"type", "message"}, {"subtype", "channel_join"}, {"channel", "C1"}, {"user", "U1"}, {"ts", "1.2"}}))
            .ignored == "message subtype channel_join");
}

TEST_CASE("a file share and a thread broadcast count as messages") {
  const auto t = translate(envelope_with({{"type", "message"},
                                          {"subtype", "file_share"},
                                          {"channel", "C1"},
                                          {"user", "U1"},
                                          {"text", "flyer"},
                                          {"ts", "1700000000.000600"}}));
  REQUIRE(t.event);
  CHECK(t.event->text == "flyer");
}

TEST_CASE("a reaction on Tandem's message is an addressed reaction keyed by event_id") {
  // PROTOCOLS.md A1: reaction_added.
  const auto t =
      translate(envelope_with({{"type", "reaction_added"},
                               {"user", "U1"},
                               {"reaction", "white_check_mark"},
                               {"item_user", "UBOT"},
                               {"item", {{"type", "message"}, {"channel", "D1"}, {"ts", "1360782400.498405"}}},
                               {"event_ts", "1360782804.083113"}},
                              "Ev3"));
  REQUIRE(t.event);
  CHECK(t.event->dedup_key == "slack:T1:event:Ev3");
  CHECK(t.event->kind == inbound_kind::reaction);
  CHECK(t.event->text == "white_check_mark");
  CHECK(t.event->addressed);
  CHECK(t.event->direct);
  CHECK(t.event->at == at(1360782804));
}

TEST_CASE("a reaction on someone else's message, or without item_user, is activity") {
  const auto t = translate(envelope_with({{"type", "reaction_added"},
                                          {"user", "U1"},
                                          {"reaction", "tada"},
                                          {"item", {{"type", "message"}, {"channel", "C1"}, {"ts", "1.2"}}},
                                          {"event_ts", "1360782804.083113"}}));
  REQUIRE(t.event);
  CHECK_FALSE(t.event->addressed);
}

TEST_CASE("a reaction on a file and unused event types are ignored") {
  CHECK(translate(envelope_with({{"type", "reaction_added"},
                                 {"user", "U1"},
                                 {"reaction", "tada"},
                                 {"item", {{"type", "file"}, {"file", "F1"}}},
                                 {"event_ts", "1.2"}}))
            .ignored == "a reaction on something other than a message");
  CHECK(translate(envelope_with({{"type", "channel_created"}})).ignored == "event type channel_created is not used");
}

TEST_CASE("malformed event bodies are refused with what is wrong") {
  CHECK(expect_error(parse_event_envelope("{not json")) == "malformed JSON");
  CHECK(expect_error(parse_event_envelope("[1,2]")) == "the body is not a JSON object");
  CHECK(expect_error(parse_event_envelope(R"({"challenge":"x"})")) == "type missing");
  CHECK(expect_error(parse_event_envelope(R"({"type":"url_verification"})")) == "challenge missing");
  CHECK(expect_error(parse_event_envelope(R"({"type":"event_callback","team_id":"T1","event_id":"Ev1"})")) ==
        "event missing");
  CHECK(expect_error(parse_event_envelope(
            R"({"type":"event_callback","event_id":"Ev1","event":{"type":"message"}})")) == "team_id missing");
  CHECK(expect_error(parse_event_envelope(R"({"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{}})")) ==
        "event.type missing");
  CHECK(expect_error(translate_event(envelope_with({{"type", "message"}, {"user", "U1"}, {"ts", "1.2"}}), "UBOT")) ==
        "event.channel missing");
  CHECK(expect_error(translate_event(
            envelope_with({{"type", "message"}, {"user", "U1"}, {"channel", "C1"}, {"ts", 1355517523.000005}}),
            "UBOT")) == "event.ts missing");
  CHECK(expect_error(translate_event(
            envelope_with({{"type", "message"}, {"user", "U1"}, {"channel", "C1"}, {"ts", "yesterday"}}), "UBOT")) ==
        "event.ts is not a Slack timestamp");
}

TEST_CASE("a body and the same envelope as a parsed value read alike") {
  const std::string body = channel_message_body("done 12", "1700000000.000700");
  CHECK(expect_parsed(parse_event_envelope(body)) == expect_parsed(event_envelope_from_json(json::parse(body))));
}

TEST_CASE("what nests deeper in an event is not read as the event's own fields") {
  const auto envelope = expect_parsed(parse_event_envelope(R"({"type":"event_callback","team_id":"T1","event_id":"Ev1",
      "event":{"type":"message","channel":"C1","user":"U1","text":"the real text","ts":"1700000000.000800",
               "blocks":[{"type":"rich_text","elements":[{"type":"text","text":"a block's text","user":"U9"}]}],
               "message":{"type":"other","channel":"C9","ts":"1.1"}},
      "authorizations":[{"user_id":"UHUMAN","is_bot":false},{"user_id":"UBOT","is_bot":true}]})"));
  CHECK(envelope.authorized_bot_user == "UBOT");
  const inner_event& e = envelope.event;
  CHECK(e.type == "message");
  CHECK(e.channel == "C1");
  CHECK(e.user == "U1");
  CHECK(e.text == "the real text");
  CHECK(e.ts == "1700000000.000800");
}

TEST_CASE("the last of repeated keys counts, and a value of another kind reads as absent") {
  const auto envelope = expect_parsed(parse_event_envelope(R"({"type":"event_callback","team_id":"T0","team_id":"T1",
      "event_id":"Ev1","event":{"type":"message","user":"U1","user":{"id":"U2"},"bot_id":null,"channel":"C1"}})"));
  CHECK(envelope.team_id == "T1");
  CHECK(envelope.event.user.empty());
  CHECK_FALSE(envelope.event.from_bot);
  CHECK(expect_error(parse_event_envelope(
            R"({"type":"event_callback","team_id":"T1","event_id":"Ev1","event":"x"})")) == "event missing");
  CHECK(expect_error(parse_event_envelope(
            R"({"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message"},"event":[1]})")) ==
        "event missing");
  CHECK(expect_error(parse_event_envelope(
            R"({"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message"},"event":"x"})")) ==
        "event missing");
}

TEST_CASE("Slack's control sequences become the text as typed") {
  CHECK(plain_text_from_slack("assign <@U1|ana> &quot;x&quot; due fri") == "assign <@U1> &quot;x&quot; due fri");
  CHECK(plain_text_from_slack("in <#C1|general> and <#C2>") == "in #general and #C2");
  CHECK(plain_text_from_slack("<!here> <!channel> <!subteam^S1|@design>") == "@here @channel @design");
  CHECK(plain_text_from_slack("see <https://x.org/?a=1&amp;b=2|x.org> &lt;3 &amp; &gt;") ==
        "see https://x.org/?a=1&b=2 <3 & >");
  CHECK(plain_text_from_slack("a < b") == "a < b");
}

TEST_CASE("a slash command becomes a direct or channel command with its response_url as reply handle") {
  // The body of Slack's signing example (PROTOCOLS.md A2), with text.
  const auto c = expect_parsed(parse_slash_command(
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name="
      "foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Ftandem&text=done+12+%26+more&response_url=https%3A%2F%"
      "2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
      "47445629121.803a0bc887a14d10d2c447fce8b6703c"));
  CHECK(c.command == "/tandem");
  CHECK(c.text == "done 12 & more");
  const inbound e = to_inbound(c, at(1531420618));
  CHECK(e.dedup_key == "slack:T1DC2JH3J:command:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
  CHECK(e.sender == tandem::identity{"slack", "T1DC2JH3J", "U2CERLKJA"});
  CHECK(e.conversation == "G8PSS9T3V");
  CHECK_FALSE(e.direct);
  CHECK(e.addressed);
  CHECK(e.kind == inbound_kind::command);
  CHECK(e.reply_handle ==
        "response_url:https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN");
  CHECK(e.at == at(1531420618));
  auto in_dm = c;
  in_dm.channel_id = "D1";
  CHECK(to_inbound(in_dm, at(1)).direct);
}

TEST_CASE("malformed slash commands are refused with what is wrong") {
  CHECK(expect_error(parse_slash_command("team_id=T1&text=%zz")) == "malformed form body");
  CHECK(expect_error(parse_slash_command("team_id=T1&channel_id=C1&user_id=U1&command=%2Ftandem&trigger_id=1")) ==
        "response_url missing");
}

namespace {

// A block_actions payload as Slack sends it for one of Tandem's buttons (PROTOCOLS.md A4, S13).
json button_payload(const std::string& channel = "C123ABC456", const std::string& action_id = "tandem_answer_0",
                    const std::string& value = "done 12") {
  return {
      {"type", "block_actions"},
      {"user", {{"id", "U123ABC456"}, {"username", "ana"}, {"name", "ana"}, {"team_id", "T1"}}},
      {"api_app_id", "A1"},
      {"token", "x"},
      {"container",
       {{"type", "message"}, {"message_ts", "1700000000.000700"}, {"channel_id", channel}, {"is_ephemeral", false}}},
      {"trigger_id", "123.456.abc"},
      {"team", {{"id", "T1"}, {"domain", "river"}}},
      {"channel", {{"id", channel}, {"name", "general"}}},
      {"message",
       {{"type", "message"},
        {"ts", "1700000000.000700"},
        {"text", "Your task"},
        {"blocks",
         json::array({{{"type", "section"}, {"block_id", "s"}, {"text", {{"type", "mrkdwn"}, {"text", "x"}}}}})}}},
      {"response_url", "https://hooks.slack.com/actions/T1/1/abc"},
      {"state", {{"values", json::object()}}},
      {"actions", json::array({{{"action_id", action_id},
                                {"block_id", "tandem_12"},
                                {"text", {{"type", "plain_text"}, {"text", "Done"}, {"emoji", true}}},
                                {"value", value},
                                {"style", "primary"},
                                {"type", "button"},
                                {"action_ts", "1700000001.000800"}}})}};
}

std::string form_payload(const json& payload) {
  std::string encoded;
  for (const char ch : payload.dump()) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.') {
      encoded += ch;
    } else {
      constexpr std::string_view hex = "0123456789ABCDEF";
      encoded += '%';
      encoded += hex[c >> 4U];
      encoded += hex[c & 15U];
    }
  }
  return "payload=" + encoded;
}

}  // namespace

TEST_CASE("a button press becomes a button event whose text is the button's command") {
  const auto i = expect_parsed(parse_interaction(form_payload(button_payload())));
  CHECK(i.type == "block_actions");
  const auto& actions = std::get<block_actions>(i.payload);
  CHECK(actions.message_ts == "1700000000.000700");
  REQUIRE(actions.actions.size() == 1);
  CHECK(actions.actions[0].label == "Done");
  CHECK(is_answer_button(actions.actions[0].action_id));
  CHECK_FALSE(asks_for_reason(actions.actions[0].action_id));
  const inbound e = to_inbound(actions, actions.actions[0], at(1700000001));
  CHECK(e.dedup_key == "slack:T1:button:C123ABC456:1700000000.000700:tandem_answer_0:U123ABC456");
  CHECK(e.kind == inbound_kind::button);
  CHECK(e.text == "done 12");
  CHECK(e.addressed);
  CHECK_FALSE(e.direct);
  CHECK(e.reply_handle == "response_url:https://hooks.slack.com/actions/T1/1/abc");
}

TEST_CASE("a button press in a DM is answered in the DM") {
  const auto i = expect_parsed(parse_interaction(form_payload(button_payload("D1"))));
  const auto& actions = std::get<block_actions>(i.payload);
  const inbound e = to_inbound(actions, actions.actions[0], at(1700000001));
  CHECK(e.direct);
  CHECK(e.reply_handle.empty());
}

TEST_CASE("a submitted reason modal becomes the command with the reason") {
  reason_request request{"blocked 12", "D1", "https://hooks.slack.com/actions/T1/1/abc", "Blocked", "tandem_12", "k1"};
  CHECK(reason_request_from_metadata(to_private_metadata(request)) == request);
  json payload = json::parse(R"({"type":"view_submission","team":{"id":"T1","domain":"river"},
    "user":{"id":"U1","team_id":"T1"},
    "view":{"id":"VMHU10V25","team_id":"T1","type":"modal","callback_id":"tandem_reason",
            "state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":"  waiting for\nthe budget "}}}}}})");
  payload["view"]["private_metadata"] = to_private_metadata(request);
  const auto i = expect_parsed(parse_interaction(form_payload(payload)));
  const auto& submission = std::get<view_submission>(i.payload);
  const auto e = to_inbound(submission, at(5));
  REQUIRE(e);
  CHECK(e->text == "blocked 12 waiting for the budget");
  CHECK(e->dedup_key == "slack:T1:view:VMHU10V25");
  CHECK(e->direct);
  CHECK(e->kind == inbound_kind::button);
  auto other = submission;
  other.callback_id = "someone_else";
  CHECK_FALSE(to_inbound(other, at(5)));
}

TEST_CASE("other interaction types are recognised and left alone") {
  const auto i = expect_parsed(parse_interaction(form_payload({{"type", "shortcut"}, {"callback_id", "x"}})));
  CHECK(i.type == "shortcut");
  CHECK(std::holds_alternative<std::monostate>(i.payload));
}

TEST_CASE("malformed interactivity bodies are refused with what is wrong") {
  CHECK(expect_error(parse_interaction("payload=%7")) == "malformed form body");
  CHECK(expect_error(parse_interaction("token=x")) == "payload missing");
  CHECK(expect_error(parse_interaction("payload=not-json")) == "payload is not a JSON object");
  CHECK(expect_error(parse_interaction(form_payload({{"user", {{"id", "U1"}}}}))) == "type missing");
  auto no_actions = button_payload();
  no_actions.erase("actions");
  CHECK(expect_error(parse_interaction(form_payload(no_actions))) == "actions missing");
  auto no_user = button_payload();
  no_user.erase("user");
  CHECK(expect_error(parse_interaction(form_payload(no_user))) == "user.id missing");
}
