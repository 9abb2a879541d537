// One-click links over real sockets: GET shows what a link does and changes nothing; POST
// sends its command as the person through the sink; expired, reused and forged links get a
// clear page and change nothing; a link that needs a reason asks for it. Also the signing
// functions themselves, with a vector made by openssl.

#include "adapters/webhook/webhook_fixture.h"

#include <algorithm>

namespace {

using namespace webhook_testing;
using tandem::webhook::action_link;
using tandem::webhook::dialect;

constexpr std::string_view key = "link-key-for-tests";

void configure(tandem::webhook_adapter_options& o, webhook_fixture& f) {
  o.channels = {personal(channel("acme", dialect::mattermost, f.receiver().url("/hooks/acme")))};
}

action_link done_link(const webhook_fixture& f, std::string nonce = "n1") {
  return {"acme", "emma", "done 12", "Done", false, f.now() + std::chrono::days{7}, std::move(nonce)};
}

std::string path_of(const action_link& link, std::string_view signing_key = key) {
  return "/act/" + tandem::webhook::sign_link(link, signing_key);
}

const std::vector<std::pair<std::string, std::string>> form{{"Content-Type", "application/x-www-form-urlencoded"}};

}  // namespace

TEST_CASE("the generic signature is HMAC-SHA256 over v1:timestamp:body, as openssl computes it") {
  // printf 'v1:%s:%s' 1700000000 '{"id":"evt-1","user":"emma","text":"done 12"}' | openssl dgst -sha256 -hmac
  // 's3cr3t-for-scripts'
  CHECK(tandem::webhook::request_signature("s3cr3t-for-scripts", "1700000000",
                                           R"({"id":"evt-1","user":"emma","text":"done 12"})") ==
        "v1=8d1bb26d4955e04fbfda54aacabf6712b4dc125bd0e9323845c106b8e10159d2");
}

TEST_CASE("a link opens with its key before it expires, and not with another key or once expired") {
  const tandem::time_point now{std::chrono::seconds{now_seconds}};
  const action_link link{"acme", "emma", "blocked 12", "Blocked", true, now + std::chrono::hours{1}, "abc"};
  const std::string token = tandem::webhook::sign_link(link, key);
  CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
        std::string::npos);
  const auto opened = tandem::webhook::open_link(token, key, now);
  REQUIRE(std::holds_alternative<action_link>(opened));
  CHECK(std::get<action_link>(opened) == link);
  CHECK(std::get<tandem::webhook::link_problem>(tandem::webhook::open_link(token, "other key", now)) ==
        tandem::webhook::link_problem::forged);
  CHECK(std::get<tandem::webhook::link_problem>(tandem::webhook::open_link(token, key, now + std::chrono::hours{1})) ==
        tandem::webhook::link_problem::expired);
  CHECK(std::get<tandem::webhook::link_problem>(tandem::webhook::open_link("garbage", key, now)) ==
        tandem::webhook::link_problem::forged);
}

TEST_CASE("following a link: GET changes nothing, POST sends the command as the person once") {
  webhook_fixture f(configure);
  const std::string path = path_of(done_link(f));
  const auto page = f.request("GET", path);
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.body.find("Send <code>done 12</code> to Tandem?") != std::string::npos);
  CHECK(page.body.find("<button type=\"submit\">Done</button>") != std::string::npos);
  CHECK(f.sink().calls() == 0);

  const auto confirmed = f.request("POST", path, "", form);
  CHECK(confirmed.status == 200);
  CHECK(confirmed.body.find("Tandem recorded <code>done 12</code>") != std::string::npos);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].dedup_key == "webhook:acme:link:n1");
  CHECK(events[0].sender == tandem::identity{"webhook", "acme", "emma"});
  CHECK(events[0].kind == tandem::inbound_kind::button);
  CHECK(events[0].text == "done 12");
  CHECK(events[0].direct);
  CHECK(f.state().get("webhook.link_used.n1") == "used");

  const auto reused = f.request("POST", path, "", form);
  CHECK(reused.status == 409);
  CHECK(reused.body.find("This link was already used") != std::string::npos);
  CHECK(f.sink().calls() == 1);
}

TEST_CASE("a link's pages run no script, cannot be framed by another site and are never cached") {
  webhook_fixture f(configure);
  const auto page = f.request("GET", path_of(done_link(f)));
  REQUIRE(page.status == 200);
  REQUIRE(page.headers.contains("content-security-policy"));
  const std::string& policy = page.headers.at("content-security-policy");
  CHECK(policy.find("default-src 'none'") != std::string::npos);
  CHECK(policy.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(policy.find("form-action 'self'") != std::string::npos);
  CHECK(policy.find("script-src") == std::string::npos);
  CHECK(page.headers.at("x-frame-options") == "DENY");
  CHECK(page.headers.at("cache-control") == "no-store");
  CHECK(page.headers.at("referrer-policy") == "no-referrer");
}

TEST_CASE("the page of a followed link shows Tandem's reply when it comes in time") {
  webhook_fixture f(configure);
  f.sink().after_store([&f](const tandem::inbound& event) {
    const tandem::destination to{"webhook", "acme", "", "emma", "emma", "en", event.reply_handle};
    f.adapter().deliver(to, {"Task **#12** is done <3", {}}, "reply:x:0",
                        tandem::testing::writing_when_ready([](tandem::delivery_result) {}));
  });
  const auto confirmed = f.request("POST", path_of(done_link(f)), "", form);
  CHECK(confirmed.status == 200);
  CHECK(confirmed.body.find("<pre style=\"white-space:pre-wrap\">Task #12 is done &lt;3</pre>") != std::string::npos);
  CHECK(f.receiver().requests().empty());
}

TEST_CASE("an expired link gets a clear page and changes nothing") {
  webhook_fixture f(configure);
  const std::string path = path_of(done_link(f));
  f.advance(std::chrono::days{7});
  for (const char* method : {"GET", "POST"}) {
    const auto a = f.request(method, path, "", form);
    CHECK(a.status == 410);
    CHECK(a.body.find("This link has expired") != std::string::npos);
  }
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("a forged or altered link gets a clear page and changes nothing") {
  webhook_fixture f(configure);
  const std::string good = path_of(done_link(f));
  std::string altered = good;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  for (const std::string& path :
       {path_of(done_link(f), "someone else's key"), altered, std::string("/act/nothing"), std::string("/act/")}) {
    INFO(path);
    const auto a = f.request("POST", path, "", form);
    CHECK(a.status == 403);
    CHECK(a.body.find("This link is not valid") != std::string::npos);
  }
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("a link that needs a reason asks for it, and refuses an empty one") {
  webhook_fixture f(configure);
  const action_link link{"acme", "emma", "blocked 12", "Blocked", true, f.now() + std::chrono::days{7}, "n2"};
  const std::string path = path_of(link);
  const auto page = f.request("GET", path);
  CHECK(page.status == 200);
  CHECK(page.body.find("<textarea name=\"reason\"") != std::string::npos);
  const auto empty = f.request("POST", path, "reason=+++", form);
  CHECK(empty.status == 400);
  CHECK(empty.body.find("A reason is needed") != std::string::npos);
  CHECK(f.sink().calls() == 0);
  const auto sent = f.request("POST", path, "reason=waiting+for%0D%0Abudget", form);
  CHECK(sent.status == 200);
  REQUIRE(f.sink().events().size() == 1);
  CHECK(f.sink().events()[0].text == "blocked 12 waiting for budget");
}

TEST_CASE("a link whose command could not be stored stays usable") {
  webhook_fixture f(configure);
  const std::string path = path_of(done_link(f));
  f.sink().fail(true);
  const auto failed = f.request("POST", path, "", form);
  CHECK(failed.status == 503);
  CHECK(failed.retry_after == "5");
  CHECK(failed.body.find("the link still works") != std::string::npos);
  CHECK_FALSE(f.state().get("webhook.link_used.n1"));
  f.sink().fail(false);
  CHECK(f.request("POST", path, "", form).status == 200);
  CHECK(f.sink().events().size() == 1);
}

TEST_CASE("without a configured key, links are signed with a key made once and kept in the adapter state") {
  {
    webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
      configure(o, self);
      o.link_key.clear();
    });
    f.receiver().answer_with([](const auto&) { return tandem::testing::scripted_response::text(200, "ok"); });
    const tandem::rendered_message m{"Task", {{"Done", {"done", "done 12", "", false}}}};
    REQUIRE(f.deliver(to_person("acme"), m, "notify:1").what == tandem::delivery_result::outcome::delivered);
    const auto made = f.state().get("webhook.link_key");
    REQUIRE(made);
    CHECK(made->size() == 64);
    const std::string text = json::parse(f.receiver().requests()[0].body)["text"];
    const auto start = text.find("/act/") + 5;
    const std::string token = text.substr(start, text.find(')', start) - start);
    CHECK(std::holds_alternative<action_link>(tandem::webhook::open_link(token, *made, f.now())));
    CHECK(f.request("GET", "/act/" + token).status == 200);
  }
}

TEST_CASE("without a public URL, starting warns about each incoming-only channel and shows commands instead of links") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    configure(o, self);
    o.public_url.clear();
  });
  f.adapter().start();
  f.receiver().answer_with([](const auto&) { return tandem::testing::scripted_response::text(200, "ok"); });
  const tandem::rendered_message m{"Task", {{"Done", {"done", "done 12", "", false}}}};
  REQUIRE(f.deliver(to_person("acme"), m, "notify:1").what == tandem::delivery_result::outcome::delivered);
  CHECK(json::parse(f.receiver().requests()[0].body)["text"] == "**emma**: Task\n\n**Done**: `done 12`");
  const auto log = f.log();
  CHECK(std::ranges::count(log, std::string("warn: webhook: no public_url: answers in channel acme are shown as "
                                            "commands to type, which nobody there can send back")) == 1);
}

TEST_CASE("a message in a shared channel carries no link that could act for its person, and starting says so") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("city-room", dialect::discord, self.receiver().url("/api/webhooks/1/tok")),
                  channel("city-teams", dialect::teams, self.receiver().url("/workflows/1"))};
  });
  f.adapter().start();
  f.receiver().answer_with([](const tandem::testing::recorded_request& r) {
    if (r.path.starts_with("/api/webhooks")) return tandem::testing::scripted_response::json(200, R"({"id":"1"})");
    return tandem::testing::scripted_response::text(202, "");
  });
  const tandem::rendered_message m{
      "Approve the budget?",
      {{"Approve", {"approve", "approve A3", "", false}}, {"Object", {"object", "object A3", "", true}}}};
  REQUIRE(f.deliver(to_person("city-room"), m, "approval:3:emma").what == tandem::delivery_result::outcome::delivered);
  REQUIRE(f.deliver(to_person("city-teams"), m, "approval:3:emma").what == tandem::delivery_result::outcome::delivered);
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 2);
  for (const auto& r : requests) {
    CAPTURE(r.body);
    CHECK(r.body.find("/act/") == std::string::npos);
  }
  CHECK(json::parse(requests[0].body)["content"] ==
        "**emma**: Approve the budget?\n\n**Approve**: `approve A3` \xC2\xB7 **Object**: `object A3 \xE2\x80\xA6`");
  CHECK_FALSE(json::parse(requests[1].body)["attachments"][0]["content"].contains("actions"));
  const auto log = f.log();
  CHECK(std::ranges::count(log, std::string("info: webhook: channel city-room is shared (not personal): its messages "
                                            "show answers as commands, not one-click links that anyone there could "
                                            "follow")) == 1);
}

TEST_CASE("a link of a channel that is not personal cannot act for anyone, even when validly signed") {
  // Made before the channel was known to be shared, or leaked from it.
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    o.channels = {channel("acme", dialect::mattermost, self.receiver().url("/hooks/acme"))};
  });
  const std::string path = path_of(done_link(f));
  const auto page = f.request("GET", path);
  CHECK(page.status == 403);
  CHECK(page.body.find("This link cannot act for anyone") != std::string::npos);
  CHECK(page.body.find("<form") == std::string::npos);
  const auto confirmed = f.request("POST", path, "", form);
  CHECK(confirmed.status == 403);
  CHECK(f.sink().calls() == 0);
  CHECK_FALSE(f.state().get("webhook.link_used.n1"));
}
