// Sending through the Web API against a fake slack.com over TLS (recorded JSON answers, real
// status codes, 429 with Retry-After).

#include "adapters/slack/slack_fixture.h"

#include <atomic>
#include <set>
#include <string>

namespace {

using namespace slack_testing;
using tandem::delivery_result;
using tandem::testing::scripted_response;
using outcome = tandem::delivery_result::outcome;

tandem::destination to_channel(const std::string& channel, const std::string& reply_handle = "") {
  return {"slack", "T0001", channel, "U0001", "ana", "en", reply_handle};
}

tandem::destination to_person(const std::string& user) { return {"slack", "T0001", "", user, "emma", "en", ""}; }

tandem::rendered_message text(std::string markup) { return {std::move(markup), {}}; }

scripted_response posted(const std::string& channel = "C0001") {
  return scripted_response::json(
      200, R"({"ok":true,"channel":")" + channel + R"(","ts":"1503435956.000247","message":{"text":"x"}})");
}

}  // namespace

TEST_CASE("a message to a channel is posted with chat.postMessage, the bot token and JSON") {
  slack_fixture f;
  f.slack().expect(posted());
  tandem::rendered_message m{"Emma finished **#1** \"Flyers\" <3", {}};
  CHECK(f.deliver(to_channel("C0001"), m, "notify:x").what == outcome::delivered);
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/api/chat.postMessage");
  CHECK(requests[0].header("authorization") == "Bearer xoxb-test-token");
  CHECK(requests[0].header("content-type") == "application/json; charset=utf-8");
  CHECK(requests[0].server_name == "localhost");
  const json body = json::parse(requests[0].body);
  CHECK(body == json{{"channel", "C0001"}, {"text", "Emma finished *#1* \"Flyers\" &lt;3"}});
}

TEST_CASE("answers are sent as buttons with a text fallback") {
  slack_fixture f;
  f.slack().expect(posted());
  tandem::rendered_message m{
      "New task **#12**", {{"Done", {"done", "done 12", "", false}}, {"Blocked", {"blocked", "blocked 12", "", true}}}};
  CHECK(f.deliver(to_channel("C0001"), m, "notify:y").what == outcome::delivered);
  const json body = json::parse(f.slack().requests()[0].body);
  CHECK(body["text"] == "New task #12");
  CHECK(body["blocks"][1]["elements"][0]["value"] == "done 12");
  CHECK(body["blocks"][1]["elements"][1]["action_id"] == "tandem_reason_1");
}

TEST_CASE("a message to a person opens their DM once and posts there") {
  slack_fixture f;
  f.slack().expect(scripted_response::json(200, R"({"ok":true,"channel":{"id":"D069C7QFK"}})"));
  f.slack().expect(posted("D069C7QFK"));
  f.slack().expect(posted("D069C7QFK"));
  CHECK(f.deliver(to_person("U0002"), text("Your weekly check-in"), "nudge:emma:1").what == outcome::delivered);
  CHECK(f.deliver(to_person("U0002"), text("A reminder"), "remind:1:due").what == outcome::delivered);
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].path == "/api/conversations.open");
  CHECK(json::parse(requests[0].body) == json{{"users", "U0002"}});
  CHECK(requests[1].path == "/api/chat.postMessage");
  CHECK(json::parse(requests[1].body)["channel"] == "D069C7QFK");
  CHECK(requests[2].path == "/api/chat.postMessage");
  CHECK(json::parse(requests[2].body)["channel"] == "D069C7QFK");
}

TEST_CASE("a DM that cannot be opened fails with Slack's reason") {
  slack_fixture f;
  f.slack().expect(scripted_response::json(200, R"({"ok":false,"error":"user_not_found"})"));
  const auto result = f.deliver(to_person("U0404"), text("hello"), "k");
  CHECK(result.what == outcome::failed);
  CHECK(result.reason == "user_not_found");
}

TEST_CASE("429 with Retry-After is retried with the hint, and the next attempt posts exactly one message") {
  slack_fixture f;
  f.slack().expect(
      scripted_response::json(429, R"({"ok":false,"error":"ratelimited"})").with_header("Retry-After", "1"));
  f.slack().expect(posted());
  const auto first = f.deliver(to_channel("C0001"), text("hello"), "k");
  CHECK(first.what == outcome::retry);
  CHECK(first.retry_after == std::chrono::seconds{1});
  CHECK(first.reason == "ratelimited");
  const auto second = f.deliver(to_channel("C0001"), text("hello"), "k");  // the dispatcher's retry
  CHECK(second.what == outcome::delivered);
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == requests[1].body);
  CHECK(f.slack().responses_left() == 0);
}

TEST_CASE("rate_limited inside a 200 is retried too") {
  slack_fixture f;
  f.slack().expect(scripted_response::json(200, R"({"ok":false,"error":"rate_limited"})"));
  const auto result = f.deliver(to_channel("C0001"), text("hello"), "k");
  CHECK(result.what == outcome::retry);
  CHECK(result.reason == "rate_limited");
}

TEST_CASE("invalid_auth fails the delivery, stops further sends and shows in health") {
  slack_fixture f;
  CHECK(f.adapter().health() == "starting (T0001)");  // not started: auth.test has not answered
  f.slack().expect(scripted_response::json(200, R"({"ok":false,"error":"invalid_auth"})"));
  const auto result = f.deliver(to_channel("C0001"), text("hello"), "k1");
  CHECK(result.what == outcome::failed);
  CHECK(result.reason == "invalid_auth");
  CHECK(f.adapter().health() == "invalid_auth (T0001)");
  const auto next = f.deliver(to_person("U0002"), text("again"), "k2");
  CHECK(next.what == outcome::failed);
  CHECK(next.reason == "invalid_auth");
  CHECK(f.slack().requests().size() == 1);
  bool logged = false;
  for (const auto& line : f.log())
    logged = logged || line.starts_with("error: slack: workspace T0001 refused the bot token");
  CHECK(logged);
}

TEST_CASE("channel_not_found, not_in_channel and is_archived fail with the reason and keep the workspace healthy") {
  slack_fixture f;
  for (const std::string code : {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long"}) {
    f.slack().expect(scripted_response::json(200, R"({"ok":false,"error":")" + code + "\"}"));
    const auto result = f.deliver(to_channel("C0001"), text("hello"), "k");
    CHECK(result.what == outcome::failed);
    CHECK(result.reason == code);
  }
  CHECK(f.adapter().health() == "starting (T0001)");  // as before: not started, and no refusal
}

TEST_CASE("server errors and broken connections are retried") {
  slack_fixture f;
  f.slack().expect(scripted_response::text(503, "<html>busy</html>"));
  auto result = f.deliver(to_channel("C0001"), text("hello"), "k");
  CHECK(result.what == outcome::retry);
  CHECK(result.reason == "HTTP 503");
  scripted_response dropped;
  dropped.then = tandem::testing::connection_action::close_without_answer;
  f.slack().expect(dropped);
  f.slack().expect(dropped);  // the client tries a reused connection once more on a new one
  result = f.deliver(to_channel("C0002"), text("hello"), "k");
  CHECK(result.what == outcome::retry);
  CHECK(result.reason.starts_with("network: "));
  f.slack().expect(scripted_response::text(200, "not json"));
  result = f.deliver(to_channel("C0003"), text("hello"), "k");
  CHECK(result.what == outcome::retry);
  CHECK(result.reason == "malformed_response");
}

TEST_CASE("a reply in a thread carries thread_ts as a string") {
  slack_fixture f;
  f.slack().expect(posted());
  CHECK(f.deliver(to_channel("C0001", "thread:1700000000.000100"), text("on it"), "k").what == outcome::delivered);
  CHECK(json::parse(f.slack().requests()[0].body)["thread_ts"] == "1700000000.000100");
}

TEST_CASE("a message for a workspace that is not configured fails with that reason") {
  slack_fixture f;
  auto to = to_channel("C0001");
  to.workspace = "T9999";
  const auto result = f.deliver(to, text("hello"), "k");
  CHECK(result.what == outcome::failed);
  CHECK(result.reason == "workspace T9999 is not configured");
}

TEST_CASE("messages to one channel are paced, and other channels are not held up") {
  fixture_options o;
  o.channel_interval = std::chrono::milliseconds{300};
  slack_fixture f(o);
  f.slack().answer_with([](const tandem::testing::recorded_request& r) {
    return posted(json::parse(r.body)["channel"].get<std::string>());
  });
  waiter done;
  int finished = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [channel, key] :
       std::vector<std::pair<std::string, std::string>>{{"C0001", "a"}, {"C0001", "b"}, {"C0002", "c"}}) {
    f.adapter().deliver(to_channel(channel), text(key), key,
                        [&done, &finished](delivery_result) { done.notify([&] { ++finished; }); });
  }
  REQUIRE(done.wait([&] { return finished == 3; }));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() == 3);
  // a and c leave at once, over connections of their own, so either may arrive first.
  const std::set<std::string> first_two{json::parse(requests[0].body)["text"], json::parse(requests[1].body)["text"]};
  CHECK(first_two == std::set<std::string>{"a", "c"});
  CHECK(json::parse(requests[2].body)["text"] == "b");
  CHECK(elapsed >= std::chrono::milliseconds{300});
}

TEST_CASE("at start, auth.test learns the bot's user id, so mentions of it are commands") {
  fixture_options o;
  o.workspaces = {workspace(std::string(team), std::string(secret), "")};
  slack_fixture f(o);
  f.slack().expect(scripted_response::json(
      200,
      R"({"ok":true,"url":"https://river.slack.com/","team":"River","user":"tandem","team_id":"T0001","user_id":"UB9","bot_id":"B9"})"));
  f.adapter().start();
  REQUIRE(f.slack().wait_for_requests(1));
  CHECK(f.slack().requests()[0].path == "/api/auth.test");
  REQUIRE(f.wait_for_log("info: slack: workspace T0001 ready (bot user UB9)"));
  CHECK(f.post_event(envelope(message_event("<@UB9> tasks"))).status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].addressed);
  CHECK(events[0].text == "tasks");
}

TEST_CASE("at start, auth.test is tried again with backoff until slack.com answers, and health says so meanwhile") {
  slack_fixture f;  // reconnect_initial: 20 ms
  CHECK(f.adapter().health() == "starting (T0001)");
  scripted_response reset;
  reset.then = tandem::testing::connection_action::close_without_answer;
  f.slack().expect(reset);
  f.slack().expect(scripted_response::json(503, "{}"));
  f.adapter().start();
  REQUIRE(f.wait_for_log("warn: slack: auth.test for workspace T0001 failed: ", 2));
  CHECK(f.adapter().health() == "unreachable (T0001)");
  f.slack().expect(scripted_response::json(200, R"({"ok":true,"team_id":"T0001","user_id":"UBOT"})"));
  REQUIRE(f.wait_for_log("info: slack: workspace T0001 ready (bot user UBOT)"));
  CHECK(f.adapter().health() == "ok");
  const auto requests = f.slack().requests();
  REQUIRE(requests.size() >= 3);
  for (const auto& r : requests) CHECK(r.path == "/api/auth.test");
  const std::size_t answered = requests.size();
  CHECK_FALSE(f.slack().wait_for_requests(answered + 1, std::chrono::milliseconds{300}));  // no more once answered
}

TEST_CASE("at start, a refused token shows in health before anything is sent") {
  slack_fixture f;
  f.slack().expect(scripted_response::json(200, R"({"ok":false,"error":"token_revoked"})"));
  f.adapter().start();
  REQUIRE(f.wait_for_log("error: slack: workspace T0001 refused the bot token (token_revoked)"));
  CHECK(f.adapter().health() == "token_revoked (T0001)");
}
