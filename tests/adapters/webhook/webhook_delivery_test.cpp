// Posting to incoming webhooks over real sockets: receivers on 127.0.0.1 (TLS) that check each
// dialect's body, 429 with Retry-After, 5xx and network errors retried, other 4xx failed with
// the status, and Discord's parts sent once each even when a retry comes in between.

#include "adapters/webhook/webhook_fixture.h"

#include <future>
#include <mutex>
#include <thread>

namespace {

using namespace webhook_testing;
using tandem::testing::scripted_response;
using tandem::webhook::dialect;
using outcome = tandem::delivery_result::outcome;

tandem::rendered_message text(std::string markup) { return {std::move(markup), {}}; }

tandem::rendered_message task_with_answers() {
  return {"**Task #12**: Print the flyers",
          {{"Done", {"done", "done 12", "white_check_mark", false}}, {"Blocked", {"blocked", "blocked 12", "", true}}}};
}

}  // namespace

TEST_CASE("each dialect posts its exact body to the channel's URL") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("slack", dialect::slack, self.receiver().url("/services/T1/B1/X1")),
                  channel("mm", dialect::mattermost, self.receiver().url("/hooks/mm1")),
                  channel("mmform", dialect::mattermost_form, self.receiver().url("/hooks/mm2")),
                  channel("discord", dialect::discord, self.receiver().url("/api/webhooks/1/tok")),
                  channel("teams", dialect::teams, self.receiver().url("/workflows/1?sig=abc"))};
  });
  f.receiver().answer_with([](const tandem::testing::recorded_request& r) {
    if (r.path.starts_with("/api/webhooks")) return scripted_response::json(200, R"({"id":"1"})");
    if (r.path.starts_with("/workflows")) return scripted_response::text(202, "");
    return scripted_response::text(200, "ok");
  });
  const auto message = text("**Hi** & [docs](https://example.org)\n- one");
  for (const char* name : {"slack", "mm", "mmform", "discord", "teams"}) {
    CHECK(f.deliver(to_room(name), message, std::string("broadcast:1:") + name).what == outcome::delivered);
  }
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests[0].path == "/services/T1/B1/X1");
  CHECK(requests[0].header("content-type") == "application/json");
  CHECK(json::parse(requests[0].body) == json{{"text", "*Hi* &amp; <https://example.org|docs>\n\xE2\x80\xA2 one"}});
  CHECK(json::parse(requests[1].body) == json{{"text", "**Hi** & [docs](https://example.org)\n- one"}});
  CHECK(requests[2].header("content-type") == "application/x-www-form-urlencoded");
  CHECK(requests[2].body ==
        "payload=%7B%22text%22%3A%22%2A%2AHi%2A%2A%20%26%20%5Bdocs%5D%28https%3A%2F%2Fexample.org%29%5Cn-%20one%22%7D");
  CHECK(requests[3].target == "/api/webhooks/1/tok?wait=true");
  CHECK(json::parse(requests[3].body) == json{{"content", "**Hi** & [docs](https://example.org)\n- one"},
                                              {"allowed_mentions", json{{"parse", json::array()}}}});
  CHECK(requests[4].target == "/workflows/1?sig=abc");
  const json card = json::parse(requests[4].body)["attachments"][0];
  CHECK(card["contentType"] == "application/vnd.microsoft.card.adaptive");
  const json& blocks = card["content"]["body"];
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[0]["inlines"][0] == json{{"type", "TextRun"}, {"text", "Hi"}, {"weight", "Bolder"}});
  CHECK(blocks[0]["inlines"][2]["selectAction"]["url"] == "https://example.org");
  CHECK(blocks[1]["inlines"] == json::array({{{"type", "TextRun"}, {"text", "\xE2\x80\xA2 one"}}}));
}

TEST_CASE("a message meant for one person says whom it is for, since a webhook channel is a room") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("mm", dialect::mattermost, self.receiver().url("/hooks/mm1"))};
  });
  f.receiver().answer_with([](const auto&) { return scripted_response::text(200, "ok"); });
  tandem::destination to = to_person("mm");
  to.person = "emma_s";
  REQUIRE(f.deliver(to, text("Your open tasks: none"), "nudge:1").what == outcome::delivered);
  CHECK(json::parse(f.receiver().requests()[0].body) == json{{"text", "**emma\\_s**: Your open tasks: none"}});
}

TEST_CASE("a 429 with Retry-After asks the outbox to retry after that long") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("mm", dialect::mattermost, self.receiver().url("/hooks/mm1"))};
  });
  f.receiver().expect(scripted_response::text(429, "too many requests").with_header("Retry-After", "30"));
  const auto result = f.deliver(to_person("mm"), text("hello"), "nudge:emma:1");
  CHECK(result.what == outcome::retry);
  CHECK(result.reason == "HTTP 429");
  CHECK(result.retry_after == std::chrono::seconds{30});
}

TEST_CASE("a Discord 429 without Retry-After waits for the body's retry_after, rounded up") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("discord", dialect::discord, self.receiver().url("/api/webhooks/1/tok"))};
  });
  f.receiver().expect(
      scripted_response::json(429, R"({"message":"You are being rate limited.","retry_after":2.5,"global":false})"));
  const auto result = f.deliver(to_person("discord"), text("hello"), "nudge:emma:1");
  CHECK(result.what == outcome::retry);
  CHECK(result.retry_after == std::chrono::seconds{3});
}

TEST_CASE("a 5xx or a network error is retried, another 4xx fails with its status") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("mm", dialect::mattermost, self.receiver().url("/hooks/mm1")),
                  channel("gone", dialect::slack, "http://127.0.0.1:1/hooks/x"),
                  channel("replies-only", dialect::slack, "", tandem::webhook_channel_kind::mattermost, "t")};
  });
  f.receiver().expect(scripted_response::text(503, "maintenance"));
  f.receiver().expect(scripted_response::text(404, "no_service"));
  const auto unavailable = f.deliver(to_person("mm"), text("hello"), "nudge:emma:1");
  CHECK(unavailable.what == outcome::retry);
  CHECK(unavailable.reason == "HTTP 503");
  const auto missing = f.deliver(to_person("mm"), text("hello"), "nudge:emma:1");
  CHECK(missing.what == outcome::failed);
  CHECK(missing.reason == "HTTP 404: no_service");
  const auto refused = f.deliver(to_person("gone"), text("hello"), "nudge:emma:2");
  CHECK(refused.what == outcome::retry);
  CHECK(refused.reason.find("/hooks/x") == std::string::npos);  // the URL is a secret
  const auto nowhere = f.deliver(to_person("replies-only"), text("hello"), "nudge:emma:3");
  CHECK(nowhere.what == outcome::failed);
  CHECK(nowhere.reason == "webhook channel replies-only has no url to post to");
  const auto unknown = f.deliver(to_person("nope"), text("hello"), "nudge:emma:4");
  CHECK(unknown.what == outcome::failed);
  CHECK(unknown.reason == "webhook channel nope is not configured");
}

TEST_CASE("a legacy Teams connector's throttling reported in a 200 body is retried") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("teams", dialect::teams, self.receiver().url("/webhookb2/x"))};
  });
  f.receiver().expect(
      scripted_response::text(200, "Microsoft Teams endpoint returned HTTP error 429 with ContextId x"));
  CHECK(f.deliver(to_person("teams"), text("hello"), "nudge:emma:1").what == outcome::retry);
}

TEST_CASE("a long Discord message goes in parts, and a retry after a 429 sends only the parts not yet accepted") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("discord", dialect::discord, self.receiver().url("/api/webhooks/1/tok"))};
  });
  std::string long_text;
  for (int line = 0; line < 60; ++line)
    long_text += "line " + std::to_string(line) + ": " + std::string(60, 'x') + "\n";
  const auto parts = tandem::webhook::split_for_discord(tandem::webhook::markdown_from_markup(long_text));
  REQUIRE(parts.size() == 3);
  f.receiver().expect(scripted_response::json(200, R"({"id":"1"})"));
  f.receiver().expect(scripted_response::json(429, R"({"message":"You are being rate limited.","retry_after":2.5})")
                          .with_header("Retry-After", "3"));
  const auto first = f.deliver(to_room("discord"), text(long_text), "digest:ana:1");
  CHECK(first.what == outcome::retry);
  CHECK(first.retry_after == std::chrono::seconds{3});
  f.receiver().answer_with([](const auto&) { return scripted_response::json(200, R"({"id":"2"})"); });
  const auto second = f.deliver(to_room("discord"), text(long_text), "digest:ana:1");
  CHECK(second.what == outcome::delivered);
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 4);  // part 1, part 2 refused, part 2 again, part 3
  std::vector<std::string> contents;
  for (const auto& r : requests) contents.push_back(json::parse(r.body)["content"]);
  CHECK(contents == std::vector<std::string>{parts[0], parts[1], parts[1], parts[2]});
  // A third delivery of the same row (the outbox lost the outcome) sends nothing more.
  CHECK(f.deliver(to_room("discord"), text(long_text), "digest:ana:1").what == outcome::delivered);
  CHECK(f.receiver().requests().size() == 4);
}

TEST_CASE("answers to a person in a personal incoming-only channel are signed one-click links") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {personal(channel("acme", dialect::mattermost, self.receiver().url("/hooks/acme"))),
                  channel("acme-mm", dialect::mattermost, self.receiver().url("/hooks/acme2"),
                          tandem::webhook_channel_kind::mattermost, "token")};
  });
  f.receiver().answer_with([](const auto&) { return scripted_response::text(200, "ok"); });
  REQUIRE(f.deliver(to_person("acme", "emma"), task_with_answers(), "notify:1:emma").what == outcome::delivered);
  REQUIRE(f.deliver(to_person("acme-mm", "u123"), task_with_answers(), "notify:1:emma").what == outcome::delivered);
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 2);
  const std::string with_links = json::parse(requests[0].body)["text"];
  const std::string prefix = "**emma**: **Task #12**: Print the flyers\n\n[Done](https://tandem.example.org/act/";
  REQUIRE(with_links.starts_with(prefix));
  const auto token_end = with_links.find(')', prefix.size());
  const std::string token = with_links.substr(prefix.size(), token_end - prefix.size());
  const auto link = tandem::webhook::open_link(token, "link-key-for-tests", f.now());
  REQUIRE(std::holds_alternative<tandem::webhook::action_link>(link));
  const auto& opened = std::get<tandem::webhook::action_link>(link);
  CHECK(opened.channel == "acme");
  CHECK(opened.user == "emma");
  CHECK(opened.command == "done 12");
  CHECK(opened.expires == f.now() + std::chrono::days{7});
  CHECK(with_links.find("[Blocked](https://tandem.example.org/act/") != std::string::npos);
  CHECK(json::parse(requests[1].body)["text"] ==
        "**emma**: **Task #12**: Print the flyers\n\n**Done**: `done 12` \xC2\xB7 **Blocked**: `blocked 12 "
        "\xE2\x80\xA6`");
}

TEST_CASE("posts to one channel are paced, and a 429 holds the channel until its Retry-After") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("mm", dialect::mattermost, self.receiver().url("/hooks/mm1")),
                  channel("other", dialect::mattermost, self.receiver().url("/hooks/mm2"))};
    o.channel_interval = std::chrono::milliseconds{300};
  });
  f.receiver().answer_with([](const auto&) { return scripted_response::text(200, "ok"); });
  const auto start = std::chrono::steady_clock::now();
  CHECK(f.deliver(to_person("mm"), text("one"), "nudge:1").what == outcome::delivered);
  CHECK(f.deliver(to_person("other"), text("elsewhere"), "nudge:2").what == outcome::delivered);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds{300});  // other channels are not held up
  CHECK(f.deliver(to_person("mm"), text("two"), "nudge:3").what == outcome::delivered);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds{300});

  f.receiver().expect(scripted_response::text(429, "slow down").with_header("Retry-After", "1"));
  CHECK(f.deliver(to_person("other"), text("refused"), "nudge:4").what == outcome::retry);
  const auto refused_at = std::chrono::steady_clock::now();
  CHECK(f.deliver(to_person("other"), text("again"), "nudge:4").what == outcome::delivered);
  CHECK(std::chrono::steady_clock::now() - refused_at >= std::chrono::milliseconds{900});
}

TEST_CASE("a 429 holds the channel for its whole Retry-After on the real clock, whatever part of a second it came in") {
  // The adapter's clock counts whole seconds. A 429 at 10:00:00.5 held the channel until
  // 10:00:02 by that clock, so a post at 10:00:01.1 went at 10:00:02.1: 1.6 s after the 429.
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("mm", dialect::mattermost, self.receiver().url("/hooks/mm1"))};
    o.clock = [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); };
  });
  std::mutex mutex;
  std::vector<std::chrono::system_clock::time_point> received;
  f.receiver().answer_with([&](const auto&) {
    const std::lock_guard lock(mutex);
    received.push_back(std::chrono::system_clock::now());
    return received.size() == 1 ? scripted_response::text(429, "slow down").with_header("Retry-After", "2")
                                 : scripted_response::text(200, "ok");
  });
  const auto next_second = [] { return std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now()); };
  std::this_thread::sleep_until(next_second() + std::chrono::milliseconds{500});
  CHECK(f.deliver(to_person("mm"), text("refused"), "nudge:1").what == outcome::retry);
  std::this_thread::sleep_until(next_second() + std::chrono::milliseconds{100});
  CHECK(f.deliver(to_person("mm"), text("held"), "nudge:2").what == outcome::delivered);
  const std::lock_guard lock(mutex);
  REQUIRE(received.size() == 2);
  CHECK(received[1] - received[0] >= std::chrono::seconds{2});
}

TEST_CASE("a receiver slower than the request timeout gets the post again on the retry: webhooks are at least once") {
  // No webhook dialect has an idempotency key (Discord's nonce is not taken by its Execute
  // Webhook): a post whose answer did not come in time may have arrived, and is sent again.
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("zulip", dialect::slack, self.receiver().url("/api/v1/external/slack_incoming"))};
    o.request_timeout = std::chrono::seconds{1};
  });
  auto slow = scripted_response::text(200, "ok");
  slow.delay = std::chrono::milliseconds{1500};
  f.receiver().expect(slow);
  f.receiver().answer_with([](const auto&) { return scripted_response::text(200, "ok"); });
  const auto timed_out = f.deliver(to_room("zulip"), text("Task #3 is due"), "broadcast:3:zulip");
  CHECK(timed_out.what == outcome::retry);  // never given up: the message may not have arrived
  CHECK(timed_out.reason.find("timed out") != std::string::npos);
  CHECK(f.deliver(to_room("zulip"), text("Task #3 is due"), "broadcast:3:zulip").what == outcome::delivered);
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == requests[1].body);
}

TEST_CASE("a post waiting for its slot when the adapter stops is handed back to the outbox as a retry") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("mm", dialect::mattermost, self.receiver().url("/hooks/mm1"))};
    o.channel_interval = std::chrono::seconds{30};
  });
  f.receiver().answer_with([](const auto&) { return scripted_response::text(200, "ok"); });
  CHECK(f.deliver(to_person("mm"), text("one"), "nudge:1").what == outcome::delivered);
  std::promise<tandem::delivery_result> waiting;
  f.adapter().deliver(to_person("mm"), text("two"), "nudge:2",
                      [&waiting](tandem::delivery_result r) { waiting.set_value(std::move(r)); });
  f.adapter().stop();
  auto result = waiting.get_future();
  REQUIRE(result.wait_for(deadline) == std::future_status::ready);
  const auto r = result.get();
  CHECK(r.what == outcome::retry);
  CHECK(r.reason == "stopping");
  CHECK(f.receiver().requests().size() == 1);
}
