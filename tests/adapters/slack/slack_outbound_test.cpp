#include "adapters/slack/slack_outbound.h"

#include "core/markup.h"

#include <catch2/catch.hpp>

#include <string>

namespace {

using namespace tandem::slack;
using json = nlohmann::json;
using tandem::delivery_result;
using tandem::labelled_answer;
using tandem::rendered_message;

const std::string zw = "\xE2\x80\x8B";  // the zero-width space that keeps a character from acting

rendered_message task_notice() {
  rendered_message m;
  m.markup = "Ana gave you a new task: **#12 Print the flyers** (due 2026-12-04).\n- one\n- two";
  m.answers = {labelled_answer{"Done", {"done", "done 12", "\u2705", false}},
               labelled_answer{"Blocked", {"blocked", "blocked 12", "\u26d4", true}},
               labelled_answer{"Done", {"done", "done 13", "\u2705", false}}};
  return m;
}

}  // namespace

TEST_CASE("neutral markup becomes mrkdwn with Slack's escaping") {
  CHECK(mrkdwn_from_markup("**bold** and `code`") == "*bold* and `code`");
  CHECK(mrkdwn_from_markup("see [the plan](https://x.org/a?b=1&c=2)") == "see <https://x.org/a?b=1&amp;c=2|the plan>");
  CHECK(mrkdwn_from_markup("[a|b](https://x.org/|) ") == "<https://x.org/%7C|a|b> ");
  CHECK(mrkdwn_from_markup("- one\n- two\nnot - a list") == "\xE2\x80\xA2 one\n\xE2\x80\xA2 two\nnot - a list");
  CHECK(mrkdwn_from_markup("R&D <team> \\*not bold\\* \\[x\\]") ==
        "R&amp;D &lt;team" + zw + "&gt; " + zw + "*" + zw + "not bold" + zw + "*" + zw + " [x]" + zw);
  CHECK(mrkdwn_from_markup("a lone [ bracket") == "a lone [ bracket");
  CHECK(escape_text("<@U1> & co") == "&lt;@U1&gt; &amp; co");
}

TEST_CASE("a title's Slack formatting, mentions and links stay text, while Tandem's own code stays as typed") {
  const std::string title = "*bold* _it_ ~strike~ `x` <!channel> <@U1> @here";
  CHECK(mrkdwn_from_markup("Task **#12 " + tandem::escape_markup(title) + "**: reply `done 12_b @emma`") ==
        "Task *#12 " + zw + "*" + zw + "bold" + zw + "*" + zw + " " + zw + "_" + zw + "it" + zw + "_" + zw + " " + zw +
            "~" + zw + "strike" + zw + "~" + zw + " " + zw + "`" + zw + "x" + zw + "`" + zw + " &lt;!channel" + zw +
            "&gt; &lt;@" + zw + "U1" + zw + "&gt; @" + zw + "here*: reply `done 12_b @emma`");
}

TEST_CASE("the plain fallback of a message with buttons cannot format or mention either") {
  rendered_message m = task_notice();
  m.markup = "Task: " + tandem::escape_markup("_urgent_ <!here>");
  CHECK(message_body(m, "k1")["text"] ==
        "Task: " + zw + "_" + zw + "urgent" + zw + "_" + zw + " &lt;!here" + zw + "&gt;");
}

TEST_CASE("a message without answers is mrkdwn text only") {
  rendered_message m;
  m.markup = "Done: task **#1**.";
  CHECK(message_body(m, "abc") == json{{"text", "Done: task *#1*."}});
}

TEST_CASE("answers become buttons whose value is the command, one actions block per task, with a text fallback") {
  const json body = message_body(task_notice(), "k1");
  CHECK(body["text"] == "Ana gave you a new task: #12 Print the flyers (due 2026-12-04).\n- one\n- two");
  const json& blocks = body["blocks"];
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0]["type"] == "section");
  CHECK(blocks[0]["text"]["type"] == "mrkdwn");
  CHECK(blocks[0]["text"]["text"] ==
        "Ana gave you a new task: *#12 Print the flyers* (due 2026-12-04).\n\xE2\x80\xA2 one\n\xE2\x80\xA2 two");
  CHECK(blocks[1]["type"] == "actions");
  CHECK(blocks[1]["block_id"] == "tandem_k1_0");
  REQUIRE(blocks[1]["elements"].size() == 2);
  const json& done = blocks[1]["elements"][0];
  CHECK(done["type"] == "button");
  CHECK(done["action_id"] == "tandem_answer_0");
  CHECK(done["value"] == "done 12");
  CHECK(done["text"]["text"] == "Done");
  CHECK(done["style"] == "primary");
  const json& blocked = blocks[1]["elements"][1];
  CHECK(blocked["action_id"] == "tandem_reason_1");
  CHECK(blocked["value"] == "blocked 12");
  CHECK(blocked["style"] == "danger");
  CHECK(blocks[2]["block_id"] == "tandem_k1_1");
  CHECK(blocks[2]["elements"][0]["value"] == "done 13");
  CHECK(blocks[2]["elements"][0]["action_id"] == "tandem_answer_2");
}

TEST_CASE("long texts are split into sections of at most 3000 characters and long labels are shortened") {
  rendered_message m;
  for (int i = 0; i < 100; ++i) m.markup += std::string(50, 'x') + "\n";
  m.answers = {labelled_answer{std::string(100, 'L'), {"done", "done 1", "", false}}};
  const json body = message_body(m, "k");
  const json& blocks = body["blocks"];
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0]["text"]["text"].get<std::string>().size() <= 3000);
  CHECK(blocks[1]["text"]["text"].get<std::string>().size() <= 3000);
  CHECK(blocks[2]["elements"][0]["text"]["text"].get<std::string>().size() == 75);
}

TEST_CASE("the answered message keeps its blocks and shows the answer in place of the buttons") {
  const json original = json::parse(R"({"type":"message","ts":"1.2","text":"Your task",
    "blocks":[{"type":"section","block_id":"s","text":{"type":"mrkdwn","text":"x"}},
              {"type":"actions","block_id":"tandem_k1_0","elements":[]},
              {"type":"actions","block_id":"tandem_k1_1","elements":[]}]})");
  const auto update = answered_message(original, "tandem_k1_0", "U1", "Done");
  REQUIRE(update);
  CHECK((*update)["replace_original"] == true);
  CHECK((*update)["text"] == "Your task");
  const json& blocks = (*update)["blocks"];
  REQUIRE(blocks.size() == 3);
  CHECK(blocks[0] == original["blocks"][0]);
  CHECK(blocks[1]["type"] == "context");
  CHECK(blocks[1]["block_id"] == "tandem_k1_0_answered");
  CHECK(blocks[1]["elements"][0]["text"] == "*Done* \xC2\xB7 <@U1>");
  CHECK(blocks[2] == original["blocks"][2]);
  CHECK_FALSE(answered_message(json{{"text", "no blocks"}}, "b", "U1", "Done"));
}

TEST_CASE("the reason modal carries the request and asks for the rest of the command") {
  const reason_request request{"blocked 12", "D1", "https://hooks.slack.com/actions/1", "Blocked", "b", "k"};
  const json view = reason_modal(request);
  CHECK(view["type"] == "modal");
  CHECK(view["callback_id"] == "tandem_reason");
  CHECK(view["title"]["text"] == "Blocked");
  CHECK(reason_request_from_metadata(view["private_metadata"].get<std::string>()) == request);
  CHECK(view["blocks"][0]["type"] == "input");
  CHECK(view["blocks"][0]["block_id"] == "reason");
  CHECK(view["blocks"][0]["element"]["action_id"] == "reason");
  CHECK(view["blocks"][0]["label"]["text"] == "blocked 12 \xE2\x80\xA6");
}

TEST_CASE("the reason modal's button speaks the person's language: it is the answer's own label") {
  const reason_request request{"object 3", "D1", "https://hooks.slack.com/actions/1", "Objecter", "b", "k"};
  const json view = reason_modal(request);
  CHECK(view["title"]["text"] == "Objecter");
  CHECK(view["submit"]["text"] == "Objecter");
}

TEST_CASE("Web API answers are read by ok, error, status and Retry-After") {
  const auto ok = read_api_response(200, std::nullopt, R"({"ok":true,"channel":"C1","ts":"1503435956.000247"})");
  REQUIRE(std::holds_alternative<json>(ok));
  CHECK(std::get<json>(ok)["ts"] == "1503435956.000247");
  CHECK(std::get<api_error>(read_api_response(200, std::nullopt, R"({"ok":false,"error":"channel_not_found"})")) ==
        api_error{{}, 200, "channel_not_found", std::nullopt});
  CHECK(
      std::get<api_error>(read_api_response(429, std::chrono::seconds{30}, R"({"ok":false,"error":"ratelimited"})")) ==
      api_error{{}, 429, "ratelimited", std::chrono::seconds{30}});
  CHECK(std::get<api_error>(read_api_response(503, std::nullopt, "<html>")) == api_error{{}, 503, {}, std::nullopt});
  CHECK(std::get<api_error>(read_api_response(200, std::nullopt, "<html>")).code == "malformed_response");
  CHECK(std::get<api_error>(read_api_response(200, std::nullopt, R"({"ok":false})")).code == "unknown_error");
}

TEST_CASE("a Web API answer whose ok or error has another type than Slack's is an error, never an exception") {
  CHECK(std::get<api_error>(read_api_response(200, std::nullopt, R"({"ok":"true"})")).code == "unknown_error");
  CHECK(std::get<api_error>(read_api_response(200, std::nullopt, R"({"ok":false,"error":{"x":1}})")).code == "unknown_error");
  CHECK(std::get<api_error>(read_response_url_answer(200, std::nullopt, R"({"ok":false,"error":[1]})")).code ==
        "unknown_error");
  CHECK(std::get<api_error>(read_response_url_answer(404, std::nullopt, R"({"error":3})")).code.empty());
  const json odd = json::parse(R"({"text":5,"blocks":[{"block_id":7},{"type":"actions","block_id":"tandem_k1_0"}]})");
  const auto update = answered_message(odd, "tandem_k1_0", "U1", "Done");
  REQUIRE(update);
  CHECK((*update)["text"] == "");
  CHECK((*update)["blocks"][1]["block_id"] == "tandem_k1_0_answered");
}

TEST_CASE("errors map to retry or failure with their reason") {
  using outcome = delivery_result::outcome;
  const auto retry_429 = to_delivery_result({{}, 429, "ratelimited", std::chrono::seconds{7}});
  CHECK(retry_429.what == outcome::retry);
  CHECK(retry_429.retry_after == std::chrono::seconds{7});
  CHECK(to_delivery_result({{}, 200, "rate_limited", std::nullopt}).what == outcome::retry);
  CHECK(to_delivery_result({{}, 200, "internal_error", std::nullopt}).what == outcome::retry);
  CHECK(to_delivery_result({{}, 502, {}, std::nullopt}).reason == "HTTP 502");
  CHECK(to_delivery_result({{}, 502, {}, std::nullopt}).what == outcome::retry);
  CHECK(to_delivery_result({"connection refused", 0, {}, std::nullopt}).what == outcome::retry);
  CHECK(to_delivery_result({"connection refused", 0, {}, std::nullopt}).reason == "network: connection refused");
  for (const char* code : {"channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text",
                           "invalid_auth", "account_inactive", "token_revoked", "access_denied"}) {
    const auto failed = to_delivery_result({{}, 200, code, std::nullopt});
    CHECK(failed.what == outcome::failed);
    CHECK(failed.reason == code);
  }
  CHECK(is_auth_failure({{}, 200, "invalid_auth", std::nullopt}));
  CHECK(is_auth_failure({{}, 200, "token_revoked", std::nullopt}));
  CHECK(is_auth_failure({{}, 200, "account_inactive", std::nullopt}));
  CHECK_FALSE(is_auth_failure({{}, 200, "channel_not_found", std::nullopt}));
}

TEST_CASE("response_url answers: any 2xx works, 4xx means the URL is spent") {
  CHECK(std::holds_alternative<json>(read_response_url_answer(200, std::nullopt, "ok")));
  CHECK(std::holds_alternative<json>(read_response_url_answer(200, std::nullopt, R"({"ok":true})")));
  CHECK(std::get<api_error>(read_response_url_answer(200, std::nullopt, R"({"ok":false,"error":"no_text"})")).code ==
        "no_text");
  CHECK(std::get<api_error>(read_response_url_answer(404, std::nullopt, "expired_url")).status == 404);
}

TEST_CASE("block id hashes are short and stable") {
  CHECK(short_hash("notify:slack:T1:C1:1.2:ana") == short_hash("notify:slack:T1:C1:1.2:ana"));
  CHECK(short_hash("a") != short_hash("b"));
  CHECK(short_hash("") == "811c9dc5");
}
