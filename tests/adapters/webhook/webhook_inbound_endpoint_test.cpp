// POST /webhook/{name} over real sockets: Mattermost outgoing webhooks and slash commands (form
// and JSON), Rocket.Chat outgoing webhooks, and the generic signed JSON form; each refusal with a
// clear status and body, and nothing stored when refused.

#include "adapters/webhook/webhook_fixture.h"

#include "core/markup.h"

namespace {

using namespace webhook_testing;
using tandem::webhook_channel_kind;
using tandem::testing::scripted_response;
using tandem::webhook::dialect;

constexpr std::string_view mm_token = "xr3j5x3p4pfk7kk6ck7b4e6ghh";
constexpr std::string_view rc_token = "RcT0k3n";
constexpr std::string_view script_secret = "s3cr3t-for-scripts";

void configure(tandem::webhook_adapter_options& o, webhook_fixture& f) {
  o.channels = {
      channel("acme-mm", dialect::mattermost, f.receiver().url("/hooks/acme"), webhook_channel_kind::mattermost,
              std::string(mm_token)),
      channel("acme-rc", dialect::slack, "", webhook_channel_kind::rocketchat, std::string(rc_token)),
      channel("scripts", dialect::slack, "", webhook_channel_kind::signed_json, "", std::string(script_secret)),
      channel("announce", dialect::discord, f.receiver().url("/api/webhooks/1/t"))};
}

/// Replies to each stored command with "You said: <text>" through the adapter, as the core would.
void echo_replies(webhook_fixture& f) {
  f.sink().after_store([&f](const tandem::inbound& event) {
    const tandem::destination to{"webhook", event.sender.workspace, event.conversation, event.sender.user, "ana",
                                 "en",      event.reply_handle};
    f.adapter().deliver(to, {"You said: **" + tandem::escape_markup(event.text) + "**", {}}, "reply:" + event.dedup_key,
                        tandem::testing::writing_when_ready([](tandem::delivery_result) {}));
  });
}

const std::string mm_outgoing_form =
    "channel_id=hawos4dqtby53pd64o4a4cmeoo&channel_name=town-square&team_domain=someteam&team_id="
    "kwoknj9nwpypzgzy78wkw516qe&post_id=axdygg1957njfe5pu38saikdho&text=tandem+done+12&timestamp=1445532266&token=" +
    std::string(mm_token) + "&trigger_word=tandem&user_id=rnina9994bde8mua79zqcg5hmo&user_name=emma";

}  // namespace

TEST_CASE("a Mattermost outgoing webhook is stored as a command and answered with the reply as a comment") {
  webhook_fixture f(configure);
  echo_replies(f);
  const auto a = f.post("/webhook/acme-mm", mm_outgoing_form, "application/x-www-form-urlencoded");
  CHECK(a.status == 200);
  CHECK(a.content_type.starts_with("application/json"));
  CHECK(json::parse(a.body) == json{{"text", "You said: **done 12**"}, {"response_type", "comment"}});
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].dedup_key == "webhook:acme-mm:axdygg1957njfe5pu38saikdho");
  CHECK(events[0].sender == tandem::identity{"webhook", "acme-mm", "rnina9994bde8mua79zqcg5hmo"});
  CHECK(events[0].conversation == "hawos4dqtby53pd64o4a4cmeoo");
  CHECK(events[0].kind == tandem::inbound_kind::command);
  CHECK(events[0].addressed);
  CHECK(events[0].text == "done 12");
  CHECK(events[0].at == f.now());
}

TEST_CASE("a Mattermost slash command in JSON with an Authorization header gets an ephemeral reply") {
  webhook_fixture f(configure);
  echo_replies(f);
  const json body{{"channel_id", "c1"},   {"channel_name", "town-square"},
                  {"command", "/tandem"}, {"response_url", "https://mm.example/hooks/commands/abc"},
                  {"team_domain", "t"},   {"team_id", "t1"},
                  {"text", "tasks"},      {"user_id", "u1"},
                  {"user_name", "emma"}};
  const auto a = f.post("/webhook/acme-mm", body.dump(), "application/json",
                        {{"Authorization", "Token " + std::string(mm_token)}});
  CHECK(a.status == 200);
  CHECK(json::parse(a.body) == json{{"text", "You said: **tasks**"}, {"response_type", "ephemeral"}});
  REQUIRE(f.sink().events().size() == 1);
  CHECK(f.sink().events()[0].text == "tasks");
}

TEST_CASE("a Mattermost slash command configured with GET is read from the query string") {
  webhook_fixture f(configure);
  echo_replies(f);
  const auto a =
      f.request("GET", "/webhook/acme-mm?channel_id=c1&command=%2Ftandem&text=done+12&token=" + std::string(mm_token) +
                           "&user_id=u1&user_name=emma");
  CHECK(a.status == 200);
  CHECK(json::parse(a.body) == json{{"text", "You said: **done 12**"}, {"response_type", "ephemeral"}});
  REQUIRE(f.sink().events().size() == 1);
  CHECK(f.sink().events()[0].text == "done 12");
  CHECK(f.sink().events()[0].sender.user == "u1");
}

TEST_CASE("a channel with two tokens takes requests carrying either, and refuses others") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    configure(o, self);
    o.channels[0].tokens.push_back("slash-command-token");
  });
  CHECK(f.post("/webhook/acme-mm", mm_outgoing_form, "application/x-www-form-urlencoded").status == 200);
  const std::string slash = "channel_id=c1&command=%2Ftandem&text=tasks&token=slash-command-token&user_id=u1";
  CHECK(f.post("/webhook/acme-mm", slash, "application/x-www-form-urlencoded").status == 200);
  const std::string other = "channel_id=c1&command=%2Ftandem&text=tasks&token=slash-command-tokeN&user_id=u1";
  CHECK(f.post("/webhook/acme-mm", other, "application/x-www-form-urlencoded").status == 401);
  CHECK(f.sink().events().size() == 2);
}

TEST_CASE("a Mattermost message without a trigger word is stored as a plain message and acknowledged") {
  webhook_fixture f(configure);
  std::string form = mm_outgoing_form;
  form.replace(form.find("trigger_word=tandem"), std::string("trigger_word=tandem").size(), "trigger_word=");
  const auto a = f.post("/webhook/acme-mm", form, "application/x-www-form-urlencoded");
  CHECK(a.status == 200);
  CHECK(a.body.empty());
  REQUIRE(f.sink().events().size() == 1);
  CHECK(f.sink().events()[0].kind == tandem::inbound_kind::message);
  CHECK_FALSE(f.sink().events()[0].addressed);
  CHECK(f.sink().events()[0].text == "tandem done 12");
}

TEST_CASE("a Mattermost request with a wrong or missing token is refused and nothing is stored") {
  webhook_fixture f(configure);
  std::string wrong = mm_outgoing_form;
  wrong.replace(wrong.find(mm_token), mm_token.size(), "xr3j5x3p4pfk7kk6ck7b4e6ghX");
  const auto bad = f.post("/webhook/acme-mm", wrong, "application/x-www-form-urlencoded");
  CHECK(bad.status == 401);
  CHECK(bad.body == "bad token\n");
  const auto missing = f.post("/webhook/acme-mm", "user_id=u1&post_id=p1&text=hi", "application/x-www-form-urlencoded");
  CHECK(missing.status == 401);
  CHECK(missing.body == "missing token\n");
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("a Rocket.Chat outgoing webhook is stored and answered with the reply as a message") {
  webhook_fixture f(configure);
  echo_replies(f);
  const json body{{"token", rc_token},         {"channel_id", "GENERAL"},
                  {"channel_name", "general"}, {"timestamp", "2026-11-28T10:00:00.000Z"},
                  {"user_id", "rcEmma"},       {"user_name", "emma"},
                  {"text", "!tandem done 12"}, {"trigger_word", "!tandem"},
                  {"message_id", "m123"}};
  const auto a = f.post("/webhook/acme-rc", body.dump(), "application/json");
  CHECK(a.status == 200);
  CHECK(json::parse(a.body) == json{{"text", "You said: *done 12*"}});
  REQUIRE(f.sink().events().size() == 1);
  CHECK(f.sink().events()[0].dedup_key == "webhook:acme-rc:m123");
  CHECK(f.sink().events()[0].sender.user == "rcEmma");
  json wrong = body;
  wrong["token"] = "nope";
  wrong["message_id"] = "m124";
  const auto refused = f.post("/webhook/acme-rc", wrong.dump(), "application/json");
  CHECK(refused.status == 401);
  CHECK(refused.body == "bad token\n");
  CHECK(f.sink().calls() == 1);
}

TEST_CASE("a Rocket.Chat retry of the same message is one event") {
  webhook_fixture f(configure);
  const json body{{"token", rc_token},   {"channel_id", "GENERAL"}, {"timestamp", "2026-11-28T10:00:00.000Z"},
                  {"user_id", "rcEmma"}, {"text", "!tandem tasks"}, {"trigger_word", "!tandem"}};
  CHECK(f.post("/webhook/acme-rc", body.dump(), "application/json").status == 200);
  CHECK(f.post("/webhook/acme-rc", body.dump(), "application/json").status == 200);
  CHECK(f.sink().calls() == 2);
  CHECK(f.sink().events().size() == 1);
}

TEST_CASE("a signed request is stored and answered with the reply in JSON") {
  webhook_fixture f(configure);
  echo_replies(f);
  const std::string body = R"({"id":"evt-1","user":"emma","text":"done 12"})";
  const auto a = f.post_signed("scripts", body, std::string(script_secret));
  CHECK(a.status == 200);
  CHECK(json::parse(a.body) ==
        json{{"stored", true}, {"reply", {{"markup", "You said: **done 12**"}, {"text", "You said: done 12"}}}});
  REQUIRE(f.sink().events().size() == 1);
  CHECK(f.sink().events()[0].dedup_key == "webhook:scripts:evt-1");
  CHECK(f.sink().events()[0].sender == tandem::identity{"webhook", "scripts", "emma"});
  CHECK(f.sink().events()[0].conversation == "scripts");
}

TEST_CASE("a signed request is refused when its signature, timestamp or headers are wrong, and nothing is stored") {
  webhook_fixture f(configure);
  const std::string body = R"({"id":"evt-1","user":"emma","text":"done 12"})";
  const std::string ts = std::to_string(now_seconds);
  struct refusal {
    std::string what;
    answer got;
    std::string expected;
  };
  const std::vector<refusal> cases{
      {"wrong secret", f.post_signed("scripts", body, "another secret"), "bad signature\n"},
      {"modified body",
       f.post("/webhook/scripts", R"({"id":"evt-1","user":"emma","text":"done 13"})", "application/json",
              {{"X-Tandem-Timestamp", ts},
               {"X-Tandem-Signature", tandem::webhook::request_signature(script_secret, ts, body)}}),
       "bad signature\n"},
      {"older than 5 minutes (a replay)", f.post_signed("scripts", body, std::string(script_secret), now_seconds - 301),
       "timestamp more than 5 minutes away from now: replay refused\n"},
      {"from the future", f.post_signed("scripts", body, std::string(script_secret), now_seconds + 301),
       "timestamp more than 5 minutes away from now: replay refused\n"},
      {"no signature", f.post("/webhook/scripts", body, "application/json", {{"X-Tandem-Timestamp", ts}}),
       "missing X-Tandem-Signature\n"},
      {"no timestamp", f.post("/webhook/scripts", body, "application/json", {{"X-Tandem-Signature", "v1=00"}}),
       "missing X-Tandem-Timestamp\n"},
      {"another version",
       f.post("/webhook/scripts", body, "application/json",
              {{"X-Tandem-Timestamp", ts},
               {"X-Tandem-Signature", "v0=" + tandem::webhook::request_signature(script_secret, ts, body).substr(3)}}),
       "bad X-Tandem-Signature (expected v1=<hex>)\n"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(c.got.status == 401);
    CHECK(c.got.body == c.expected);
  }
  CHECK(f.sink().calls() == 0);
  // Within the window, both ways, is fine.
  CHECK(f.post_signed("scripts", body, std::string(script_secret), now_seconds - 300).status == 200);
}

TEST_CASE("a malformed body gets 400 with the reason, and nothing is stored") {
  webhook_fixture f(configure);
  struct malformed {
    std::string path;
    std::string body;
    std::string content_type;
    std::string expected;
    bool sign = false;
  };
  const std::vector<malformed> cases{
      {"/webhook/acme-mm", "{not json", "application/json", "the body is not a JSON object\n"},
      {"/webhook/acme-mm", "text=%zz", "application/x-www-form-urlencoded", "the form body has a malformed %-escape\n"},
      {"/webhook/acme-mm", "token=" + std::string(mm_token) + "&text=hi", "application/x-www-form-urlencoded",
       "missing user_id\n"},
      {"/webhook/acme-mm", "token=" + std::string(mm_token) + "&user_id=u1&text=hi",
       "application/x-www-form-urlencoded", "missing post_id (or command, for a slash command)\n"},
      {"/webhook/acme-rc", "[1,2]", "application/json", "the body is not a JSON object\n"},
      {"scripts", "[]", "", "the body is not a JSON object\n", true},
      {"scripts", R"({"id":"e","text":"tasks"})", "", "missing \"user\"\n", true},
      {"scripts", R"({"id":"e","user":7,"text":"tasks"})", "", "\"user\" must be a string\n", true},
      {"scripts", R"({"id":"e","user":"emma","text":"  "})", "", "empty command text\n", true},
      {"scripts", R"({"id":"e","user":"emma","text":"x","command":"yes"})", "", "\"command\" must be true or false\n",
       true},
  };
  for (const auto& c : cases) {
    INFO(c.path << " " << c.body);
    const answer a =
        c.sign ? f.post_signed(c.path, c.body, std::string(script_secret)) : f.post(c.path, c.body, c.content_type);
    CHECK(a.status == 400);
    CHECK(a.body == c.expected);
  }
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("an unknown webhook name, or a channel that only posts, is answered 404") {
  webhook_fixture f(configure);
  const auto unknown = f.post("/webhook/nope", "{}", "application/json");
  CHECK(unknown.status == 404);
  CHECK(unknown.body == "unknown webhook \"nope\"\n");
  const auto posting_only = f.post("/webhook/announce", "{}", "application/json");
  CHECK(posting_only.status == 404);
  CHECK(posting_only.body == "webhook \"announce\" only posts; it does not accept requests\n");
  const auto get = f.request("GET", "/webhook/scripts");
  CHECK(get.status == 405);
  CHECK(get.body == "webhook \"scripts\" takes POST\n");
  CHECK(f.sink().calls() == 0);
}

TEST_CASE("a request that cannot be stored is answered 503 so that the sender may try again") {
  webhook_fixture f(configure);
  f.sink().fail(true);
  const auto a = f.post("/webhook/acme-mm", mm_outgoing_form, "application/x-www-form-urlencoded");
  CHECK(a.status == 503);
  CHECK(a.retry_after == "5");
  CHECK(a.body == "could not store the request; try again\n");
  CHECK(f.sink().events().empty());
}

TEST_CASE("a reply not ready in time: the request is acknowledged, the reply goes to the channel's URL") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    configure(o, self);
    o.command_reply_wait = std::chrono::milliseconds{0};
  });
  const auto a = f.post("/webhook/acme-mm", mm_outgoing_form, "application/x-www-form-urlencoded");
  CHECK(a.status == 200);
  CHECK(a.body.empty());
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  f.receiver().expect(scripted_response::text(200, "ok"));
  const tandem::destination to{"webhook", "acme-mm", events[0].conversation, events[0].sender.user,
                               "emma",    "en",      events[0].reply_handle};
  CHECK(f.deliver(to, {"Later **reply**", {}}, "reply:1:0").what == tandem::delivery_result::outcome::delivered);
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/hooks/acme");
  CHECK(json::parse(requests[0].body) == json{{"text", "Later **reply**"}});
}

TEST_CASE("a reply to a waiting request is held ready: the answer waits for its write, not for the delivery") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    configure(o, self);
    o.command_reply_wait = std::chrono::milliseconds{200};
  });
  tandem::testing::waiter ready;
  std::optional<tandem::delivery_result> held;
  f.sink().after_store([&f, &ready, &held](const tandem::inbound& event) {
    const tandem::destination to{"webhook", "acme-mm", event.conversation, event.sender.user,
                                 "emma",    "en",      event.reply_handle};
    f.adapter().deliver(to, {"Held **reply**", {}}, "reply:1:0",
                        [&ready, &held](tandem::delivery_result r) { ready.notify([&] { held = std::move(r); }); });
  });
  // Not written within the wait (the outbox had no durable mark yet): a bare acknowledgement.
  const auto a = f.post("/webhook/acme-mm", mm_outgoing_form, "application/x-www-form-urlencoded");
  CHECK(a.status == 200);
  CHECK(a.body.empty());
  REQUIRE(ready.wait([&held] { return held.has_value(); }));
  REQUIRE(held->what == tandem::delivery_result::outcome::ready);
  CHECK(f.receiver().requests().empty());

  // Written once the mark is durable, after the wait: to the channel's URL.
  f.receiver().expect(scripted_response::text(200, "ok"));
  std::optional<tandem::delivery_result> written;
  held->write([&ready, &written](tandem::delivery_result r) { ready.notify([&] { written = std::move(r); }); });
  REQUIRE(ready.wait([&written] { return written.has_value(); }));
  CHECK(written->what == tandem::delivery_result::outcome::delivered);
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/hooks/acme");
  CHECK(json::parse(requests[0].body) == json{{"text", "Held **reply**"}});
}

TEST_CASE("a slash command's late reply goes to its response_url, and to the channel once that is spent") {
  webhook_fixture f([](tandem::webhook_adapter_options& o, webhook_fixture& self) {
    configure(o, self);
    o.command_reply_wait = std::chrono::milliseconds{0};
  });
  const std::string form = "channel_id=c1&command=%2Ftandem&response_url=" + std::string("https%3A%2F%2Flocalhost%3A") +
                           std::to_string(f.receiver().port()) +
                           "%2Fhooks%2Fcommands%2Fabc&text=status&token=" + std::string(mm_token) + "&user_id=u1";
  REQUIRE(f.post("/webhook/acme-mm", form, "application/x-www-form-urlencoded").status == 200);
  const auto events = f.sink().events();
  REQUIRE(events.size() == 1);
  const tandem::destination to{"webhook", "acme-mm", "c1", "u1", "emma", "en", events[0].reply_handle};
  f.receiver().expect(scripted_response::text(200, ""));
  CHECK(f.deliver(to, {"first", {}}, "reply:1:0").what == tandem::delivery_result::outcome::delivered);
  f.receiver().expect(scripted_response::text(404, "expired"));
  f.receiver().expect(scripted_response::text(200, "ok"));
  CHECK(f.deliver(to, {"second", {}}, "reply:1:1").what == tandem::delivery_result::outcome::delivered);
  const auto requests = f.receiver().requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].path == "/hooks/commands/abc");
  CHECK(json::parse(requests[0].body) == json{{"response_type", "ephemeral"}, {"text", "first"}});
  CHECK(requests[1].path == "/hooks/commands/abc");
  CHECK(requests[2].path == "/hooks/acme");
  CHECK(json::parse(requests[2].body) == json{{"text", "second"}});
}
