// What Tandem posts to incoming webhooks, per dialect: the exact bodies, markup translation,
// one-click answers, Discord's 2,000-character parts and the Teams Adaptive Card.

#include "adapters/webhook/webhook_render.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using namespace tandem::webhook;

const std::string sample =
    "**Task #12** is due [today](https://example.org/t/12)\n- Print the flyers & <posters>\n"
    "Use `done 12` \\*now\\*";

tandem::rendered_message with_answers() {
  return {"**Task #12**: Print the flyers",
          {{"Done", {"done", "done 12", "white_check_mark", false}}, {"Blocked", {"blocked", "blocked 12", "", true}}}};
}

}  // namespace

TEST_CASE("neutral markup becomes Slack mrkdwn with &, < and > escaped") {
  CHECK(mrkdwn_from_markup(sample) ==
        "*Task #12* is due <https://example.org/t/12|today>\n\xE2\x80\xA2 Print the flyers &amp; &lt;posters&gt;\n"
        "Use `done 12` *now*");
}

TEST_CASE("neutral markup becomes Markdown with literal Markdown characters escaped") {
  CHECK(markdown_from_markup(sample) ==
        "**Task #12** is due [today](https://example.org/t/12)\n- Print the flyers & \\<posters\\>\n"
        "Use `done 12` \\*now\\*");
  CHECK(markdown_from_markup("#general_chat ~x~ a|b") == "\\#general\\_chat \\~x\\~ a\\|b");
}

TEST_CASE("each dialect's body is exactly what its receiver expects") {
  const tandem::rendered_message m{sample, {}};
  SECTION("Slack-compatible JSON") {
    const auto posts = posts_for(dialect::slack, m, {});
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].content_type == "application/json");
    CHECK(json::parse(posts[0].body) == json{{"text", mrkdwn_from_markup(sample)}});
  }
  SECTION("Mattermost JSON in Markdown") {
    const auto posts = posts_for(dialect::mattermost, m, {});
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].content_type == "application/json");
    CHECK(json::parse(posts[0].body) == json{{"text", markdown_from_markup(sample)}});
  }
  SECTION("Mattermost's payload= form") {
    const auto posts = posts_for(dialect::mattermost_form, {"**Hi** & bye", {}}, {});
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].content_type == "application/x-www-form-urlencoded");
    CHECK(posts[0].body == "payload=%7B%22text%22%3A%22%2A%2AHi%2A%2A%20%26%20bye%22%7D");
  }
  SECTION("Discord's native body, mentions disabled") {
    const auto posts = posts_for(dialect::discord, {"Hello @everyone", {}}, {});
    REQUIRE(posts.size() == 1);
    CHECK(json::parse(posts[0].body) ==
          json{{"content", "Hello @everyone"}, {"allowed_mentions", json{{"parse", json::array()}}}});
  }
  SECTION("a Teams Workflows Adaptive Card") {
    const auto posts = posts_for(dialect::teams, {"**Hi** & [docs](https://example.org)", {}}, {});
    REQUIRE(posts.size() == 1);
    const json body = json::parse(posts[0].body);
    CHECK(body["type"] == "message");
    REQUIRE(body["attachments"].size() == 1);
    const json& attachment = body["attachments"][0];
    CHECK(attachment["contentType"] == "application/vnd.microsoft.card.adaptive");
    CHECK(attachment["contentUrl"].is_null());
    const json& card = attachment["content"];
    CHECK(card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json");
    CHECK(card["type"] == "AdaptiveCard");
    CHECK(card["version"] == "1.2");
    CHECK(card["body"] ==
          json::array({{{"type", "TextBlock"}, {"text", "**Hi** & [docs](https://example.org)"}, {"wrap", true}}}));
    CHECK_FALSE(card.contains("actions"));
  }
}

TEST_CASE("answers are links where the channel cannot answer, commands to type where it can") {
  const std::vector<answer_link> links{{"Done", "https://t.example/act/a.b"}, {"Blocked", "https://t.example/act/c.d"}};
  CHECK(markup_with_answers(with_answers(), links) ==
        "**Task #12**: Print the flyers\n\n[Done](https://t.example/act/a.b) \xC2\xB7 "
        "[Blocked](https://t.example/act/c.d)");
  CHECK(markup_with_answers(with_answers(), {}) ==
        "**Task #12**: Print the flyers\n\n**Done**: `done 12` \xC2\xB7 **Blocked**: `blocked 12 \xE2\x80\xA6`");
  const auto slack = posts_for(dialect::slack, with_answers(), links);
  CHECK(
      json::parse(slack[0].body)["text"] ==
      "*Task #12*: Print the flyers\n\n<https://t.example/act/a.b|Done> \xC2\xB7 <https://t.example/act/c.d|Blocked>");
}

TEST_CASE("Teams shows one-click links as Action.OpenUrl buttons on the card") {
  const std::vector<answer_link> links{{"Done", "https://t.example/act/a.b"}};
  const json card = json::parse(posts_for(dialect::teams, with_answers(), links)[0].body)["attachments"][0]["content"];
  CHECK(card["body"][0]["text"] == "**Task #12**: Print the flyers");
  CHECK(card["actions"] ==
        json::array({{{"type", "Action.OpenUrl"}, {"title", "Done"}, {"url", "https://t.example/act/a.b"}}}));
}

TEST_CASE("a Discord message over 2,000 characters goes in parts cut at line ends, in order") {
  std::string text;
  for (int line = 0; line < 60; ++line) text += "line " + std::to_string(line) + ": " + std::string(60, 'x') + "\n";
  REQUIRE(text.size() > 2000);
  const auto parts = split_for_discord(text);
  REQUIRE(parts.size() == 3);
  std::string joined;
  for (const auto& part : parts) {
    CHECK(discord_length(part) <= 2000);
    CHECK(part.ends_with('\n'));
    joined += part;
  }
  CHECK(joined == text);
  const auto posts = posts_for(dialect::discord, {text, {}}, {});
  REQUIRE(posts.size() == 3);
  CHECK(json::parse(posts[1].body)["content"] == parts[1]);
  CHECK(split_for_discord(text) == parts);  // the same message always splits the same way
}

TEST_CASE("Discord parts count characters as Discord does and never cut a character in two") {
  CHECK(discord_length("h\xC3\xA9") == 2);         // é: one character
  CHECK(discord_length("\xF0\x9F\x98\x80") == 2);  // 😀: two UTF-16 units
  const std::string long_word(2500, 'a');
  const auto cut = split_for_discord(long_word);
  REQUIRE(cut.size() == 2);
  CHECK(cut[0].size() == 2000);
  std::string emoji;
  for (int i = 0; i < 1001; ++i) emoji += "\xF0\x9F\x98\x80";
  const auto emoji_parts = split_for_discord(emoji);
  REQUIRE(emoji_parts.size() == 2);
  CHECK(emoji_parts[0].size() == 4000);  // 1000 emoji = 2000 units
  CHECK(emoji_parts[1] == "\xF0\x9F\x98\x80");
  CHECK(split_for_discord("short") == std::vector<std::string>{"short"});
}

TEST_CASE("dialect names round-trip and unknown ones are refused") {
  for (const auto d :
       {dialect::slack, dialect::mattermost, dialect::mattermost_form, dialect::discord, dialect::teams}) {
    CHECK(dialect_from_string(to_string(d)) == d);
  }
  CHECK_FALSE(dialect_from_string("msteams"));
}
