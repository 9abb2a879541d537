// The slash command endpoint over real sockets: form bodies signed as Slack signs them, the
// reply in the command's own answer or through its response_url on the fake slack.com.

#include "adapters/slack/slack_fixture.h"

#include <atomic>
#include <optional>

namespace {

using namespace slack_testing;
using tandem::testing::scripted_response;

std::string command_body(const std::string& response_url, const std::string& text = "tasks",
                         const std::string& channel = "C0001",
                         const std::string& trigger = "13345224609.738474920.8088930838d88f008e0") {
  return "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=river&channel_id=" + channel +
         "&channel_name=general&user_id=U0001&user_name=ana&command=%2Ftandem&text=" + form_encode(text) +
         "&api_app_id=A0001&is_enterprise_install=false&response_url=" + form_encode(response_url) +
         "&trigger_id=" + trigger;
}

tandem::destination reply_to(const tandem::inbound& event) {
  return {"slack", event.sender.workspace, event.conversation, event.sender.user, "ana", "en", event.reply_handle};
}

tandem::rendered_message text(std::string markup) { return {std::move(markup), {}}; }

}  // namespace

TEST_CASE("a slash command is stored and its reply is the ephemeral answer to the command, once the outbox writes it") {
  slack_fixture f;
  std::atomic<int> delivered{0};
  f.sink().after_store([&f, &delivered](const tandem::inbound& event) {
    f.adapter().deliver(reply_to(event), text("Your open tasks:\n- **#1** Print the flyers"), "reply:1:0",
                        writing_when_ready([&delivered](tandem::delivery_result r) {
                          if (r.what == tandem::delivery_result::outcome::delivered) ++delivered;
                        }));
  });
  const auto a = f.post_signed("/slack/commands", command_body(f.slack().url("/commands/T0001/1/abc"), "tasks"),
                               "application/x-www-form-urlencoded");
  CHECK(a.status == 200);
  CHECK(a.content_type.starts_with("application/json"));
  const json body = json::parse(a.body);
  CHECK(body["response_type"] == "ephemeral");
  CHECK(body["text"] == "Your open tasks:\n\xE2\x80\xA2 *#1* Print the flyers");
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == tandem::inbound_kind::command);
  CHECK(events[0].text == "tasks");
  CHECK(events[0].addressed);
  CHECK(delivered == 1);
  CHECK(f.slack().requests().empty());
}

TEST_CASE("a slash command whose reply is not ready in time gets a bare ack, and the reply goes to its response_url") {
  fixture_options o;
  o.command_reply_wait = std::chrono::milliseconds{20};
  slack_fixture f(o);
  const std::string response_url = f.slack().url("/commands/T0001/1/abc");
  const auto a =
      f.post_signed("/slack/commands", command_body(response_url, "status"), "application/x-www-form-urlencoded");
  CHECK(a.status == 200);
  CHECK(a.body.empty());
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  f.slack().expect(scripted_response::json(200, R"({"ok":true})"));
  const auto result = f.deliver(reply_to(events[0]), text("Status: all fine & well"), "reply:1:0");
  CHECK(result.what == tandem::delivery_result::outcome::delivered);
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/commands/T0001/1/abc");
  CHECK_FALSE(requests[0].header("authorization"));  // a response_url needs no token
  const json body = json::parse(requests[0].body);
  CHECK(body["response_type"] == "ephemeral");
  CHECK(body["text"] == "Status: all fine &amp; well");
}

TEST_CASE("a reply to a waiting slash command is held ready: the answer waits for its write, not for the delivery") {
  fixture_options o;
  o.command_reply_wait = std::chrono::milliseconds{200};
  slack_fixture f(o);
  waiter ready;
  std::optional<tandem::delivery_result> held;
  f.sink().after_store([&f, &ready, &held](const tandem::inbound& event) {
    f.adapter().deliver(reply_to(event), text("Your open tasks: none"), "reply:1:0",
                        [&ready, &held](tandem::delivery_result r) { ready.notify([&] { held = std::move(r); }); });
  });
  const std::string response_url = f.slack().url("/commands/T0001/1/abc");
  const auto a = f.post_signed("/slack/commands", command_body(response_url), "application/x-www-form-urlencoded");
  // Not written within the wait (the outbox had no durable mark yet): a bare ack.
  CHECK(a.status == 200);
  CHECK(a.body.empty());
  REQUIRE(ready.wait([&held] { return held.has_value(); }));
  REQUIRE(held->what == tandem::delivery_result::outcome::ready);
  CHECK(f.slack().requests().empty());

  // Written once the mark is durable, after the wait: through the response_url.
  f.slack().expect(scripted_response::json(200, R"({"ok":true})"));
  std::optional<tandem::delivery_result> written;
  held->write([&ready, &written](tandem::delivery_result r) { ready.notify([&] { written = std::move(r); }); });
  REQUIRE(ready.wait([&written] { return written.has_value(); }));
  CHECK(written->what == tandem::delivery_result::outcome::delivered);
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/commands/T0001/1/abc");
  CHECK(json::parse(requests[0].body)["text"] == "Your open tasks: none");
}

TEST_CASE("a reply whose response_url is spent goes out with chat.postEphemeral") {
  fixture_options o;
  o.command_reply_wait = std::chrono::milliseconds{0};
  slack_fixture f(o);
  CHECK(f.post_signed("/slack/commands", command_body(f.slack().url("/commands/T0001/1/abc")),
                      "application/x-www-form-urlencoded")
            .status == 200);
  REQUIRE(f.sink().events().size() == 1);
  f.slack().expect(scripted_response::text(404, "expired_url"));
  f.slack().expect(scripted_response::json(200, R"({"ok":true,"message_ts":"1502210682.580145"})"));
  const auto result = f.deliver(reply_to(f.sink().events()[0]), text("late"), "reply:1:1");
  CHECK(result.what == tandem::delivery_result::outcome::delivered);
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].path == "/api/chat.postEphemeral");
  CHECK(requests[1].header("authorization") == "Bearer xoxb-test-token");
  const json body = json::parse(requests[1].body);
  CHECK(body["channel"] == "C0001");
  CHECK(body["user"] == "U0001");
  CHECK(body["text"] == "late");
  CHECK_FALSE(body.contains("response_type"));
}

TEST_CASE("a slash command in a DM is a direct command") {
  fixture_options o;
  o.command_reply_wait = std::chrono::milliseconds{0};
  slack_fixture f(o);
  CHECK(f.post_signed("/slack/commands", command_body(f.slack().url("/c"), "done 12 shipped", "D0001"),
                      "application/x-www-form-urlencoded")
            .status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].direct);
  CHECK(events[0].text == "done 12 shipped");
}

TEST_CASE("ssl_check requests are answered 200 without a signature and record nothing") {
  slack_fixture f;
  const auto a =
      f.post("/slack/commands", "ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO", {}, "application/x-www-form-urlencoded");
  CHECK(a.status == 200);
  CHECK(a.body.empty());
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("slash commands with a bad signature or a malformed body are refused with the reason") {
  slack_fixture f;
  const std::string body = command_body(f.slack().url("/c"));
  auto a = f.post_signed("/slack/commands", body, "application/x-www-form-urlencoded", now_seconds, "wrong");
  CHECK(a.status == 401);
  CHECK(a.body == "signature mismatch\n");
  a = f.post("/slack/commands", body, {}, "application/x-www-form-urlencoded");
  CHECK(a.status == 401);
  CHECK(a.body == "missing X-Slack-Request-Timestamp\n");
  a = f.post_signed("/slack/commands", "team_id=T0001&channel_id=C1&user_id=U1&command=%2Ftandem&trigger_id=1",
                    "application/x-www-form-urlencoded");
  CHECK(a.status == 400);
  CHECK(a.body == "response_url missing\n");
  a = f.post_signed("/slack/commands", "team_id=%G1", "application/x-www-form-urlencoded");
  CHECK(a.status == 400);
  CHECK(a.body == "malformed form body\n");
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("a slash command that cannot be stored is answered 503, with a Retry-After") {
  slack_fixture f;
  f.sink().fail(true);
  const auto a =
      f.post_signed("/slack/commands", command_body(f.slack().url("/c")), "application/x-www-form-urlencoded");
  CHECK(a.status == 503);
  CHECK(a.retry_after == "5");
  CHECK(f.sink().events().empty());
}
