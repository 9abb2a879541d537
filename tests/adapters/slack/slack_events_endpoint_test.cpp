// The Events API endpoint over real sockets: signed requests built exactly as Slack builds them.

#include "adapters/slack/slack_fixture.h"

namespace {

using namespace slack_testing;

}  // namespace

TEST_CASE("a signed message event is stored, then acknowledged with 200") {
  slack_fixture f;
  const auto a = f.post_event(envelope(message_event("Live long and prospect.")));
  CHECK(a.status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].dedup_key == "slack:T0001:C0001:1700000000.000100");
  CHECK(events[0].text == "Live long and prospect.");
  CHECK_FALSE(events[0].addressed);
}

TEST_CASE("a retry with X-Slack-Retry-Num is acknowledged and recorded once") {
  slack_fixture f;
  const json e = envelope(message_event("<@UBOT> tasks"));
  CHECK(f.post_event(e).status == 200);
  CHECK(f.post_event(e, {{"X-Slack-Retry-Num", "1"}, {"X-Slack-Retry-Reason", "http_timeout"}}).status == 200);
  CHECK(f.post_event(e, {{"X-Slack-Retry-Num", "2"}, {"X-Slack-Retry-Reason", "http_timeout"}}).status == 200);
  CHECK(f.sink().events().size() == 1);
  CHECK(f.sink().calls() == 3);
}

TEST_CASE("a retry is the only copy when the original never arrived, and it is stored") {
  slack_fixture f;
  CHECK(f.post_event(envelope(message_event("hello")), {{"X-Slack-Retry-Num", "1"}}).status == 200);
  CHECK(f.sink().events().size() == 1);
}

TEST_CASE("the app_mention twin of a message counts once") {
  slack_fixture f;
  json mention = message_event("<@UBOT> tasks");
  mention["type"] = "app_mention";
  mention.erase("channel_type");
  CHECK(f.post_event(envelope(message_event("<@UBOT> tasks"), "Ev1")).status == 200);
  CHECK(f.post_event(envelope(mention, "Ev2")).status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].addressed);
  CHECK(events[0].text == "tasks");
}

TEST_CASE("bad signatures are refused with 401 and a reason before anything is parsed, and nothing is stored") {
  slack_fixture f;
  const std::string body = envelope(message_event("hello")).dump();
  const std::string ts = std::to_string(now_seconds);
  const std::string good = tandem::slack::compute_signature(secret, ts, body);

  SECTION("a modified body") {
    const auto a =
        f.post("/slack/events", body + " ", {{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", good}});
    CHECK(a.status == 401);
    CHECK(a.body == "signature mismatch\n");
  }
  SECTION("another secret") {
    const auto a = f.post_signed("/slack/events", body, "application/json", now_seconds, "not-the-secret");
    CHECK(a.status == 401);
    CHECK(a.body == "signature mismatch\n");
  }
  SECTION("a stale timestamp") {
    const auto a = f.post_signed("/slack/events", body, "application/json", now_seconds - 301);
    CHECK(a.status == 401);
    CHECK(a.body == "stale X-Slack-Request-Timestamp (more than 5 minutes off)\n");
  }
  SECTION("a timestamp from the future") {
    const auto a = f.post_signed("/slack/events", body, "application/json", now_seconds + 301);
    CHECK(a.status == 401);
    CHECK(a.body == "stale X-Slack-Request-Timestamp (more than 5 minutes off)\n");
  }
  SECTION("a wrong version prefix") {
    std::string v1 = good;
    v1[1] = '1';
    const auto a = f.post("/slack/events", body, {{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", v1}});
    CHECK(a.status == 401);
    CHECK(a.body == "unknown signature version (expected v0=)\n");
  }
  SECTION("a missing signature header") {
    const auto a = f.post("/slack/events", body, {{"X-Slack-Request-Timestamp", ts}});
    CHECK(a.status == 401);
    CHECK(a.body == "missing X-Slack-Signature\n");
  }
  SECTION("a missing timestamp header") {
    const auto a = f.post("/slack/events", body, {{"X-Slack-Signature", good}});
    CHECK(a.status == 401);
    CHECK(a.body == "missing X-Slack-Request-Timestamp\n");
  }
  SECTION("a malformed body with a bad signature is refused for the signature, not the body") {
    const auto a =
        f.post("/slack/events", "{not json", {{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", good}});
    CHECK(a.status == 401);
  }
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("url_verification is answered with its challenge once its signature is checked") {
  slack_fixture f;
  const std::string body =
      R"({"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})";
  const auto a = f.post_signed("/slack/events", body);
  CHECK(a.status == 200);
  CHECK(a.content_type.starts_with("application/json"));
  CHECK(json::parse(a.body) == json{{"challenge", "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}});
  CHECK(f.post("/slack/events", body, {}).status == 401);
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("a malformed body with a good signature is answered 400 with what is wrong") {
  slack_fixture f;
  auto a = f.post_signed("/slack/events", "{not json");
  CHECK(a.status == 400);
  CHECK(a.body == "malformed JSON\n");
  a = f.post_signed("/slack/events", R"({"type":"event_callback","team_id":"T0001","event_id":"Ev1"})");
  CHECK(a.status == 400);
  CHECK(a.body == "event missing\n");
  json no_ts = message_event("x");
  no_ts.erase("ts");
  a = f.post_event(envelope(no_ts));
  CHECK(a.status == 400);
  CHECK(a.body == "event.ts missing\n");
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("when the store fails, Slack gets 503 so that it retries, and the retry is stored") {
  slack_fixture f;
  const json e = envelope(message_event("done 12", "1700000000.000200", "D0001"));
  f.sink().fail(true);
  const auto a = f.post_event(e);
  CHECK(a.status == 503);
  CHECK(a.retry_after == "5");
  CHECK(f.sink().events().empty());
  f.sink().fail(false);
  CHECK(f.post_event(e, {{"X-Slack-Retry-Num", "1"}}).status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].direct);
  CHECK(events[0].text == "done 12");
}

TEST_CASE("bot messages, Tandem's own messages and edits are acknowledged and not stored") {
  slack_fixture f;
  json own = message_event("Task #1 assigned");
  own["user"] = "UBOT";
  own["bot_id"] = "B0001";
  json edit = message_event("done 12");
  edit["subtype"] = "message_changed";
  json other_bot = message_event("beep");
  other_bot["subtype"] = "bot_message";
  other_bot["bot_id"] = "B0002";
  other_bot.erase("user");
  CHECK(f.post_event(envelope(own, "Ev1")).status == 200);
  CHECK(f.post_event(envelope(edit, "Ev2")).status == 200);
  CHECK(f.post_event(envelope(other_bot, "Ev3")).status == 200);
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("the bot's user id is learned from the event's authorizations") {
  fixture_options o;
  o.workspaces = {workspace(std::string(team), std::string(secret), "")};
  slack_fixture f(o);
  json e = envelope(message_event("<@UB2> tasks"));
  e["authorizations"] = json::array({{{"team_id", "T0001"}, {"user_id", "UB2"}, {"is_bot", true}}});
  CHECK(f.post_event(e).status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].addressed);
  CHECK(events[0].text == "tasks");
}

TEST_CASE("events from a workspace that is not configured are acknowledged and ignored") {
  slack_fixture f;
  CHECK(f.post_event(envelope(message_event("hi"), "Ev1", "T9999")).status == 200);
  CHECK(f.sink().calls() == 0);
  bool logged = false;
  for (const auto& line : f.log()) logged = logged || line.find("T9999") != std::string::npos;
  CHECK(logged);
}

TEST_CASE(
    "with two workspaces, each request is checked against each secret, and a secret vouches only for its own "
    "workspace") {
  fixture_options o;
  o.workspaces = {workspace("T0001", "secret-one", "UB1"), workspace("T0002", "secret-two", "UB2")};
  slack_fixture f(o);
  const std::string one = envelope(message_event("hi", "1.1"), "Ev1", "T0001").dump();
  const std::string two = envelope(message_event("hi", "1.2"), "Ev2", "T0002").dump();
  CHECK(f.post_signed("/slack/events", one, "application/json", now_seconds, "secret-one").status == 200);
  CHECK(f.post_signed("/slack/events", two, "application/json", now_seconds, "secret-two").status == 200);
  // Signed by workspace one's app, claiming to be from workspace two: not stored.
  const std::string forged = envelope(message_event("hi", "1.3"), "Ev3", "T0002").dump();
  CHECK(f.post_signed("/slack/events", forged, "application/json", now_seconds, "secret-one").status == 200);
  CHECK(f.post_signed("/slack/events", one, "application/json", now_seconds, "secret-three").status == 401);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].sender.workspace == "T0001");
  CHECK(events[1].sender.workspace == "T0002");
}

TEST_CASE("app_rate_limited and other envelopes are acknowledged and not stored") {
  slack_fixture f;
  const auto a = f.post_signed(
      "/slack/events",
      R"({"token":"x","type":"app_rate_limited","team_id":"T0001","minute_rate_limited":1518467820,"api_app_id":"A1"})");
  CHECK(a.status == 200);
  CHECK(f.sink().calls() == 0);
}
