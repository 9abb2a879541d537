// The interactivity endpoint over real sockets: block_actions and view_submission payloads as
// Slack sends them, the modal and the message update against the fake slack.com.

#include "adapters/slack/slack_fixture.h"

namespace {

using namespace slack_testing;
using tandem::testing::scripted_response;

// The message Tandem posted (a task notice with Done / Blocked buttons), as Slack echoes it.
json posted_message() {
  return json::parse(R"({"type":"message","ts":"1700000000.000700","bot_id":"B0001","user":"UBOT",
    "text":"Ana gave you a new task: #12 Print the flyers",
    "blocks":[{"type":"section","block_id":"a1","text":{"type":"mrkdwn","text":"Ana gave you a new task: *#12 Print the flyers*"}},
              {"type":"actions","block_id":"tandem_k1_0","elements":[
                 {"type":"button","action_id":"tandem_answer_0","text":{"type":"plain_text","text":"Done"},"value":"done 12","style":"primary"},
                 {"type":"button","action_id":"tandem_reason_1","text":{"type":"plain_text","text":"Blocked"},"value":"blocked 12","style":"danger"}]}]})");
}

json button_press(const std::string& response_url, const std::string& action_id, const std::string& label,
                  const std::string& value, const std::string& channel = "D0001",
                  const std::string& action_ts = "1700000001.000800") {
  return {
      {"type", "block_actions"},
      {"user", {{"id", "U0002"}, {"username", "emma"}, {"name", "emma"}, {"team_id", "T0001"}}},
      {"api_app_id", "A0001"},
      {"token", "x"},
      {"container",
       {{"type", "message"}, {"message_ts", "1700000000.000700"}, {"channel_id", channel}, {"is_ephemeral", false}}},
      {"trigger_id", "701.802.aaa"},
      {"team", {{"id", "T0001"}, {"domain", "river"}}},
      {"channel", {{"id", channel}, {"name", "directmessage"}}},
      {"message", posted_message()},
      {"response_url", response_url},
      {"state", {{"values", json::object()}}},
      {"actions", json::array({{{"action_id", action_id},
                                {"block_id", "tandem_k1_0"},
                                {"text", {{"type", "plain_text"}, {"text", label}, {"emoji", true}}},
                                {"value", value},
                                {"type", "button"},
                                {"action_ts", action_ts}}})}};
}

answer post_interaction(slack_fixture& f, const json& payload) {
  return f.post_signed("/slack/interactivity", "payload=" + form_encode(payload.dump()),
                       "application/x-www-form-urlencoded");
}

}  // namespace

TEST_CASE("a Done button is stored as its command, then the message shows the answer") {
  slack_fixture f;
  f.slack().expect(scripted_response::json(200, R"({"ok":true})"));
  const auto a =
      post_interaction(f, button_press(f.slack().url("/actions/T0001/1/abc"), "tandem_answer_0", "Done", "done 12"));
  CHECK(a.status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == tandem::inbound_kind::button);
  CHECK(events[0].text == "done 12");
  CHECK(events[0].direct);
  CHECK(events[0].sender.user == "U0002");
  REQUIRE(f.slack().wait_for_requests(1));
  const auto update = f.slack().requests()[0];
  CHECK(update.path == "/actions/T0001/1/abc");
  const json body = json::parse(update.body);
  CHECK(body["replace_original"] == true);
  REQUIRE(body["blocks"].size() == 2);
  CHECK(body["blocks"][0] == posted_message()["blocks"][0]);
  CHECK(body["blocks"][1]["type"] == "context");
  CHECK(body["blocks"][1]["elements"][0]["text"] == "*Done* \xC2\xB7 <@U0002>");
}

TEST_CASE("a double click on the same button counts once") {
  slack_fixture f;
  f.slack().answer_with([](const auto&) { return scripted_response::json(200, R"({"ok":true})"); });
  const std::string url = f.slack().url("/actions/T0001/1/abc");
  CHECK(post_interaction(f, button_press(url, "tandem_answer_0", "Done", "done 12", "D0001", "1.1")).status == 200);
  CHECK(post_interaction(f, button_press(url, "tandem_answer_0", "Done", "done 12", "D0001", "1.2")).status == 200);
  CHECK(f.sink().events().size() == 1);
  CHECK(f.sink().calls() == 2);
}

TEST_CASE(
    "a button that needs a reason opens a modal; its submission is stored with the reason and the message shows the "
    "answer") {
  slack_fixture f;
  f.slack().expect(scripted_response::json(200, R"({"ok":true,"view":{"id":"V0001"}})"));
  const std::string response_url = f.slack().url("/actions/T0001/1/abc");
  CHECK(post_interaction(f, button_press(response_url, "tandem_reason_1", "Blocked", "blocked 12")).status == 200);
  CHECK(f.sink().calls() == 0);
  REQUIRE(f.slack().wait_for_requests(1));
  const auto open = f.slack().requests()[0];
  CHECK(open.path == "/api/views.open");
  CHECK(open.header("authorization") == "Bearer xoxb-test-token");
  const json request = json::parse(open.body);
  CHECK(request["trigger_id"] == "701.802.aaa");
  const json& view = request["view"];
  CHECK(view["title"]["text"] == "Blocked");
  CHECK(view["blocks"][0]["label"]["text"] == "blocked 12 \xE2\x80\xA6");

  // Slack sends the submission with the view's private_metadata and what was typed.
  json submission{
      {"type", "view_submission"},
      {"team", {{"id", "T0001"}, {"domain", "river"}}},
      {"user", {{"id", "U0002"}, {"team_id", "T0001"}}},
      {"api_app_id", "A0001"},
      {"trigger_id", "702.803.bbb"},
      {"view",
       {{"id", "V0001"},
        {"team_id", "T0001"},
        {"type", "modal"},
        {"callback_id", view["callback_id"]},
        {"private_metadata", view["private_metadata"]},
        {"hash", "156772938.1827394"},
        {"state",
         {{"values",
           {{"reason", {{"reason", {{"type", "plain_text_input"}, {"value", "waiting for the budget"}}}}}}}}}}}};
  f.slack().expect(scripted_response::json(200, R"({"ok":true})"));
  const auto a = post_interaction(f, submission);
  CHECK(a.status == 200);
  CHECK(a.body.empty());  // closes the modal
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == "blocked 12 waiting for the budget");
  CHECK(events[0].dedup_key == "slack:T0001:view:V0001");
  CHECK(events[0].direct);
  REQUIRE(f.slack().wait_for_requests(2));
  const auto update = f.slack().requests()[1];
  CHECK(update.path == "/actions/T0001/1/abc");
  CHECK(json::parse(update.body)["blocks"][1]["elements"][0]["text"] == "*Blocked* \xC2\xB7 <@U0002>");
}

TEST_CASE("when the modal cannot be opened, the bare command goes in so that Tandem asks for the reason") {
  slack_fixture f;
  f.slack().expect(scripted_response::json(200, R"({"ok":false,"error":"expired_trigger_id"})"));
  CHECK(post_interaction(f, button_press(f.slack().url("/actions/1"), "tandem_reason_1", "Blocked", "blocked 12"))
            .status == 200);
  REQUIRE(f.sink().wait_for_events(1));
  CHECK(f.sink().events()[0].text == "blocked 12");
}

TEST_CASE("a button in a channel is answered through its response_url") {
  slack_fixture f;
  f.slack().answer_with([](const auto&) { return scripted_response::json(200, R"({"ok":true})"); });
  CHECK(post_interaction(f,
                         button_press(f.slack().url("/actions/2"), "tandem_answer_0", "Approve", "approve A3", "C0001"))
            .status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK_FALSE(events[0].direct);
  CHECK(events[0].reply_handle == "response_url:" + f.slack().url("/actions/2"));
}

TEST_CASE("buttons that are not Tandem's, and other interactions, are acknowledged and not stored") {
  slack_fixture f;
  CHECK(post_interaction(f, button_press(f.slack().url("/a"), "someone_elses", "Go", "go")).status == 200);
  CHECK(post_interaction(f, json{{"type", "shortcut"}, {"callback_id", "x"}, {"trigger_id", "1"}}).status == 200);
  CHECK(post_interaction(f, json{{"type", "view_submission"},
                                 {"user", {{"id", "U1"}}},
                                 {"team", {{"id", "T0001"}}},
                                 {"view", {{"id", "V9"}, {"callback_id", "other_modal"}}}})
            .status == 200);
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("interactivity requests with a bad signature or a malformed payload are refused with the reason") {
  slack_fixture f;
  const std::string body =
      "payload=" + form_encode(button_press("https://x", "tandem_answer_0", "Done", "done 1").dump());
  auto a = f.post_signed("/slack/interactivity", body + "x", "application/x-www-form-urlencoded", now_seconds, "wrong");
  CHECK(a.status == 401);
  a = f.post_signed("/slack/interactivity", "payload=%7B", "application/x-www-form-urlencoded");
  CHECK(a.status == 400);
  CHECK(a.body == "payload is not a JSON object\n");
  a = f.post_signed("/slack/interactivity", "token=x", "application/x-www-form-urlencoded");
  CHECK(a.status == 400);
  CHECK(a.body == "payload missing\n");
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("a button press that cannot be stored is answered 503 with a Retry-After, and the message is left alone") {
  slack_fixture f;
  f.sink().fail(true);
  const auto a = post_interaction(f, button_press(f.slack().url("/a"), "tandem_answer_0", "Done", "done 12"));
  CHECK(a.status == 503);
  CHECK(a.retry_after == "5");
  CHECK(f.slack().requests().empty());
}
