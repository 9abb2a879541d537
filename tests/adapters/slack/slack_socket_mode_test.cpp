// Socket Mode against a local WebSocket server over TLS playing Slack: apps.connections.open
// with the app-level token, hello, envelopes acknowledged only once stored, Slack's disconnect
// message and a dropped connection.

#include "adapters/slack/fake_socket_mode_server.h"
#include "adapters/slack/slack_fixture.h"

#include "adapters/slack/slack_socket_mode.h"

namespace {

using namespace slack_testing;
using tandem::testing::recorded_request;
using tandem::testing::scripted_response;

constexpr std::string_view app_token = "xapp-1-A0001-1-abcdef";

fixture_options socket_mode_options() {
  fixture_options o;
  o.workspaces = {workspace(std::string(team), "", "UBOT", std::string(app_token))};
  o.command_reply_wait = std::chrono::milliseconds{2000};
  return o;
}

/// Plays slack.com's Web API for Socket Mode: auth.test, and apps.connections.open giving the
/// fake WebSocket server's URL (or `open_failures` errors first).
void play_slack(slack_fixture& f, fake_socket_mode_server& ws, int open_failures = 0) {
  auto failures = std::make_shared<int>(open_failures);
  f.slack().answer_with([&ws, failures](const recorded_request& r) {
    if (r.path == "/api/auth.test") {
      return scripted_response::json(200, R"({"ok":true,"team_id":"T0001","user_id":"UBOT","bot_id":"B0001"})");
    }
    if (r.path == "/api/apps.connections.open") {
      if (*failures > 0) {
        --*failures;
        return scripted_response::json(200, R"({"ok":false,"error":"internal_error"})");
      }
      return scripted_response::json(200, json{{"ok", true}, {"url", ws.url()}}.dump());
    }
    return scripted_response::json(200, R"({"ok":true})");
  });
}

std::string events_envelope(const std::string& id, const std::string& text, const std::string& ts, int retry = 0) {
  return json{{"envelope_id", id},
              {"type", "events_api"},
              {"accepts_response_payload", false},
              {"retry_attempt", retry},
              {"retry_reason", retry == 0 ? "" : "timeout"},
              {"payload", envelope(message_event(text, ts, "D0001"), "Ev" + id)}}
      .dump();
}

const std::string hello =
    R"({"type":"hello","num_connections":1,"debug_info":{"host":"applink-1","approximate_connection_time":18060},"connection_info":{"app_id":"A0001"}})";

std::vector<std::string> acks_of(const fake_socket_mode_server& ws) {
  std::vector<std::string> ids;
  for (const auto& m : ws.messages()) ids.push_back(json::parse(m.text).value("envelope_id", ""));
  return ids;
}

}  // namespace

TEST_CASE("Socket Mode messages are parsed: hello, disconnect, envelopes") {
  using tandem::slack::parse_socket_message;
  using tandem::slack::socket_message;
  auto h = std::get<socket_message>(parse_socket_message(hello));
  CHECK(h.what == socket_message::kind::hello);
  auto d = std::get<socket_message>(
      parse_socket_message(R"({"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"applink-1"}})"));
  CHECK(d.what == socket_message::kind::disconnect);
  CHECK(d.reason == "refresh_requested");
  auto e = std::get<socket_message>(parse_socket_message(events_envelope("e1", "hi", "1.2")));
  CHECK(e.what == socket_message::kind::envelope);
  CHECK(e.envelope_id == "e1");
  CHECK(e.payload["event_id"] == "Eve1");
  CHECK(std::get<tandem::slack::wire_error>(parse_socket_message("{")).reason == "malformed JSON");
  CHECK(
      std::get<tandem::slack::wire_error>(parse_socket_message(R"({"envelope_id":"e1","type":"events_api"})")).reason ==
      "payload missing");
  CHECK(tandem::slack::socket_ack("e1", nullptr) == R"({"envelope_id":"e1"})");
  CHECK(tandem::slack::socket_ack("e1", json{{"text", "hi"}}) == R"({"envelope_id":"e1","payload":{"text":"hi"}})");
  CHECK(tandem::slack::parse_websocket_url("wss://wss-primary.slack.com/link/?ticket=1&app_id=A1") ==
        tandem::slack::websocket_url{"wss-primary.slack.com", "443", "/link/?ticket=1&app_id=A1"});
  CHECK(tandem::slack::parse_websocket_url("wss://localhost:8443?x") ==
        tandem::slack::websocket_url{"localhost", "8443", "/?x"});
  CHECK_FALSE(tandem::slack::parse_websocket_url("ws://insecure.example/"));
  CHECK_FALSE(tandem::slack::parse_websocket_url("wss://host:x/"));
}

TEST_CASE("a Socket Mode message whose fields have other types than Slack's is read without throwing") {
  // Found by the slack_socket_mode fuzz target: a "type" that is an object threw out of the reader.
  using tandem::slack::parse_socket_message;
  using tandem::slack::socket_message;
  const auto odd_type = std::get<socket_message>(parse_socket_message(R"({"type":{"app_id":"(2"}})"));
  CHECK(odd_type.type.empty());
  CHECK(odd_type.what != socket_message::kind::envelope);
  const auto odd_reason = std::get<socket_message>(parse_socket_message(R"({"type":"disconnect","reason":7})"));
  CHECK(odd_reason.what == socket_message::kind::disconnect);
  CHECK(odd_reason.reason.empty());
  const auto odd_flag = std::get<socket_message>(parse_socket_message(
      R"({"envelope_id":"e1","type":"slash_commands","payload":{},"accepts_response_payload":"yes"})"));
  CHECK(odd_flag.what == socket_message::kind::envelope);
  CHECK_FALSE(odd_flag.accepts_response_payload);
}

TEST_CASE("Socket Mode opens its URL with the app-level token, and acknowledges an envelope only once it is stored") {
  fake_socket_mode_server ws;
  slack_fixture f(socket_mode_options());
  play_slack(f, ws);
  CHECK(f.adapter().health() == "starting (T0001), socket mode disconnected (T0001)");
  f.adapter().start();
  REQUIRE(f.wait_for_log("info: slack: workspace T0001 ready"));
  REQUIRE(ws.wait_for_connections(1));
  bool opened_with_app_token = false;
  for (const auto& r : f.slack().requests()) {
    if (r.path == "/api/apps.connections.open")
      opened_with_app_token = r.header("authorization") == "Bearer xapp-1-A0001-1-abcdef";
  }
  CHECK(opened_with_app_token);
  ws.send(1, hello);
  REQUIRE(f.wait_for_log("info: slack: socket mode (T0001): connected"));
  CHECK(f.adapter().health() == "ok");

  f.sink().hold();
  ws.send(1, events_envelope("e1", "tasks", "1700000000.000100"));
  REQUIRE(f.sink().wait_for_events(1));  // e1 is recorded, its storage not yet confirmed
  f.sink().stop_holding();
  ws.send(1, events_envelope("e2", "done 12", "1700000000.000200"));
  REQUIRE(ws.wait_for_messages(1));
  CHECK(acks_of(ws) == std::vector<std::string>{"e2"});
  f.sink().release();
  REQUIRE(ws.wait_for_messages(2));
  CHECK(acks_of(ws) == std::vector<std::string>{"e2", "e1"});
  const auto events = f.sink().events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].direct);
  CHECK(events[1].text == "done 12");
}

TEST_CASE("Socket Mode leaves an envelope that could not be stored unacknowledged, and stores its redelivery once") {
  fake_socket_mode_server ws;
  slack_fixture f(socket_mode_options());
  play_slack(f, ws);
  f.adapter().start();
  REQUIRE(ws.wait_for_connections(1));
  ws.send(1, hello);
  f.sink().fail(true);
  ws.send(1, events_envelope("e1", "tasks", "1700000000.000100"));
  REQUIRE(f.sink().wait_for_calls(1));
  f.sink().fail(false);
  ws.send(1, events_envelope("e1b", "tasks", "1700000000.000100", 1));  // Slack's redelivery
  ws.send(1, events_envelope("e1c", "tasks", "1700000000.000100", 2));  // and another copy
  REQUIRE(ws.wait_for_messages(2));
  CHECK(acks_of(ws) == std::vector<std::string>{"e1b", "e1c"});
  CHECK(f.sink().events().size() == 1);
}

TEST_CASE("a slash command over Socket Mode is acknowledged with its reply as payload") {
  fake_socket_mode_server ws;
  slack_fixture f(socket_mode_options());
  play_slack(f, ws);
  f.sink().after_store([&f](const tandem::inbound& event) {
    f.adapter().deliver({"slack", "T0001", event.conversation, event.sender.user, "ana", "en", event.reply_handle},
                        {"Your open tasks: none", {}}, "reply:x:0", writing_when_ready([](tandem::delivery_result) {}));
  });
  f.adapter().start();
  REQUIRE(ws.wait_for_connections(1));
  ws.send(1, hello);
  ws.send(1, json{{"envelope_id", "c1"},
                  {"type", "slash_commands"},
                  {"accepts_response_payload", true},
                  {"payload",
                   {{"token", "x"},
                    {"team_id", "T0001"},
                    {"team_domain", "river"},
                    {"channel_id", "C0001"},
                    {"channel_name", "general"},
                    {"user_id", "U0001"},
                    {"user_name", "ana"},
                    {"command", "/tandem"},
                    {"text", "tasks"},
                    {"api_app_id", "A0001"},
                    {"is_enterprise_install", "false"},
                    {"response_url", f.slack().url("/commands/1")},
                    {"trigger_id", "1.2.3"}}}}
                 .dump());
  REQUIRE(ws.wait_for_messages(1));
  const json ack = json::parse(ws.messages()[0].text);
  CHECK(ack["envelope_id"] == "c1");
  CHECK(ack["payload"]["response_type"] == "ephemeral");
  CHECK(ack["payload"]["text"] == "Your open tasks: none");
}

TEST_CASE("a button over Socket Mode is stored and acknowledged") {
  fake_socket_mode_server ws;
  slack_fixture f(socket_mode_options());
  play_slack(f, ws);
  f.adapter().start();
  REQUIRE(ws.wait_for_connections(1));
  ws.send(1, hello);
  json payload = json::parse(R"({"type":"block_actions","user":{"id":"U0002","team_id":"T0001"},"team":{"id":"T0001"},
    "container":{"type":"message","message_ts":"1.2","channel_id":"D0001"},"channel":{"id":"D0001"},"trigger_id":"9.9",
    "actions":[{"action_id":"tandem_answer_0","block_id":"b","text":{"type":"plain_text","text":"Done"},"value":"done 12","type":"button","action_ts":"3.4"}]})");
  payload["response_url"] = f.slack().url("/actions/1");
  ws.send(
      1, json{{"envelope_id", "i1"}, {"type", "interactive"}, {"accepts_response_payload", false}, {"payload", payload}}
             .dump());
  REQUIRE(ws.wait_for_messages(1));
  CHECK(acks_of(ws) == std::vector<std::string>{"i1"});
  REQUIRE(f.sink().events().size() == 1);
  CHECK(f.sink().events()[0].text == "done 12");
}

TEST_CASE("Socket Mode reconnects at once on Slack's disconnect message, and envelopes flow on the new connection") {
  fake_socket_mode_server ws;
  slack_fixture f(socket_mode_options());
  play_slack(f, ws);
  f.adapter().start();
  REQUIRE(ws.wait_for_connections(1));
  ws.send(1, hello);
  ws.send(1, R"({"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"applink-1"}})");
  REQUIRE(ws.wait_for_connections(2));
  ws.send(2, hello);
  REQUIRE(f.wait_for_log("info: slack: socket mode (T0001): connected", 2));
  ws.send(2, events_envelope("e2", "tasks", "1700000000.000300"));
  REQUIRE(ws.wait_for_messages(1));
  CHECK(ws.messages()[0].connection == 2);
  CHECK(acks_of(ws) == std::vector<std::string>{"e2"});
  CHECK(f.adapter().health() == "ok");
}

TEST_CASE("Socket Mode reconnects with backoff after a dropped connection and a failed open, and says so in health") {
  fake_socket_mode_server ws;
  slack_fixture f(socket_mode_options());
  play_slack(f, ws);
  f.adapter().start();
  REQUIRE(f.wait_for_log("info: slack: workspace T0001 ready"));
  REQUIRE(ws.wait_for_connections(1));
  ws.send(1, hello);
  REQUIRE(f.wait_for_log("info: slack: socket mode (T0001): connected"));
  play_slack(f, ws, 1);  // the first apps.connections.open after the drop fails
  ws.drop(1);
  REQUIRE(f.wait_for_log("warn: slack: socket mode (T0001): connection lost"));
  CHECK(f.adapter().health() == "socket mode disconnected (T0001)");
  REQUIRE(f.wait_for_log("warn: slack: socket mode (T0001): apps.connections.open failed: internal_error"));
  REQUIRE(ws.wait_for_connections(2));
  ws.send(2, hello);
  REQUIRE(f.wait_for_log("info: slack: socket mode (T0001): connected", 2));
  CHECK(f.adapter().health() == "ok");
  ws.send(2, events_envelope("e3", "tasks", "1700000000.000400"));
  REQUIRE(ws.wait_for_messages(1));
  CHECK(acks_of(ws) == std::vector<std::string>{"e3"});
}
