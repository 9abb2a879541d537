// What Tandem posts to incoming webhooks, per dialect: the exact bodies, markup translation,
// one-click answers, Discord's 2,000-character parts and the Teams Adaptive Card.

#include "adapters/webhook/webhook_render.h"

#include "core/markup.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using namespace tandem::webhook;

const std::string zw = "\xE2\x80\x8B";  // the zero-width space that keeps a character from acting

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
        "*Task #12* is due <https://example.org/t/12|today>\n\xE2\x80\xA2 Print the flyers "
        "&amp; &lt;posters" +
            zw + "&gt;\nUse `done 12` " + zw + "*" + zw + "now" + zw + "*" + zw);
}

TEST_CASE("Slack-style formatting, links and mentions in a title stay text in the Slack dialect") {
  const std::string title = "*bold* _it_ ~strike~ `code` <!channel> @here [x](https://evil.example)";
  const std::string out = mrkdwn_from_markup("**Task #12**: " + tandem::escape_markup(title));
  CHECK(out == "*Task #12*: " + zw + "*" + zw + "bold" + zw + "*" + zw + " " + zw + "_" + zw + "it" + zw + "_" + zw +
                   " " + zw + "~" + zw + "strike" + zw + "~" + zw + " " + zw + "`" + zw + "code" + zw + "`" + zw +
                   " &lt;!channel" + zw + "&gt; @" + zw + "here [x]" + zw + "(https://evil.example)");
  // Inside Tandem's own code, a command stays as it is typed.
  CHECK(mrkdwn_from_markup("`tasks @emma_b`") == "`tasks @emma_b`");
}

TEST_CASE("a bar in a link's URL cannot end the URL early in mrkdwn") {
  CHECK(mrkdwn_from_markup("[board](https://x.example/?a=1|2)") == "<https://x.example/?a=1%7C2|board>");
}

TEST_CASE("neutral markup becomes Markdown with literal Markdown characters escaped") {
  CHECK(markdown_from_markup(sample) ==
        "**Task #12** is due [today](https://example.org/t/12)\n- Print the flyers & \\<posters\\>\n"
        "Use `done 12` \\*now\\*");
  CHECK(markdown_from_markup("#general_chat ~x~ a|b") == "\\#general\\_chat \\~x\\~ a\\|b");
}

TEST_CASE("mentions and masked links in a title stay text for Mattermost and Discord") {
  const std::string title = "@channel @all <@123> [x](https://evil.example) ||hidden||";
  CHECK(markdown_from_markup("**Task #12**: " + tandem::escape_markup(title)) ==
        "**Task #12**: @" + zw + "channel @" + zw + "all \\<@" + zw + "123\\> \\[x\\](https://evil.example) " +
            "\\|\\|hidden\\|\\|");
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
          json{{"content", "Hello @" + zw + "everyone"}, {"allowed_mentions", json{{"parse", json::array()}}}});
  }
  SECTION("a Teams Workflows Adaptive Card") {
    const auto posts = posts_for(dialect::teams, {"**Hi** & [docs](https://example.org)\n\n- `done 12`", {}}, {});
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
    const json docs_link{{"type", "TextRun"},
                         {"text", "docs"},
                         {"color", "Accent"},
                         {"selectAction", {{"type", "Action.OpenUrl"}, {"url", "https://example.org"}}}};
    CHECK(card["body"] ==
          json::array(
              {{{"type", "RichTextBlock"},
                {"inlines", json::array({{{"type", "TextRun"}, {"text", "Hi"}, {"weight", "Bolder"}},
                                         {{"type", "TextRun"}, {"text", " & "}},
                                         docs_link})}},
               {{"type", "RichTextBlock"},
                {"inlines", json::array({{{"type", "TextRun"}, {"text", "\xE2\x80\xA2 "}},
                                         {{"type", "TextRun"}, {"text", "done 12"}, {"fontType", "Monospace"}}})}}}));
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
  CHECK(card["body"] ==
        json::array({{{"type", "RichTextBlock"},
                      {"inlines", json::array({{{"type", "TextRun"}, {"text", "Task #12"}, {"weight", "Bolder"}},
                                               {{"type", "TextRun"}, {"text", ": Print the flyers"}}})}}}));
  CHECK(card["actions"] ==
        json::array({{{"type", "Action.OpenUrl"}, {"title", "Done"}, {"url", "https://t.example/act/a.b"}}}));
}

TEST_CASE("a title cannot plant a link, bold text or a mention in a Teams card") {
  const std::string title = "[x](https://evil.example) **bold** _it_ <at>everyone</at> @everyone";
  const json card = json::parse(posts_for(dialect::teams, {"**Task #12**: " + tandem::escape_markup(title), {}}, {})[0]
                                    .body)["attachments"][0]["content"];
  // A TextRun's text is never read as Markdown: the title shows exactly as written, in one plain run.
  CHECK(card["body"] ==
        json::array({{{"type", "RichTextBlock"},
                      {"inlines", json::array({{{"type", "TextRun"}, {"text", "Task #12"}, {"weight", "Bolder"}},
                                               {{"type", "TextRun"}, {"text", ": " + title}}})}}}));
  CHECK_FALSE(card.contains("msteams"));  // no mention entities
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

TEST_CASE("four-byte characters at the Discord limit are counted once, the same way when splitting") {
  const std::string emoji = "\xF0\x9F\x98\x80";  // two UTF-16 units
  SECTION("one that ends exactly at the limit fits") {
    const std::string text = std::string(1998, 'a') + emoji;
    CHECK(discord_length(text) == 2000);
    CHECK(split_for_discord(text) == std::vector<std::string>{text});
  }
  SECTION("one that would end one unit past the limit goes whole to the next part") {
    const std::string text = std::string(1999, 'a') + emoji;
    CHECK(discord_length(text) == 2001);
    CHECK(split_for_discord(text) == std::vector<std::string>{std::string(1999, 'a'), emoji});
  }
  SECTION("a truncated four-byte sequence counts as many units as it has bytes, in both counts") {
    const std::string truncated = "\xF0\x9F\x98";  // three bytes of a four-byte character, cut
    const std::string text = std::string(1998, 'a') + truncated;
    CHECK(discord_length(truncated) == 3);
    CHECK(discord_length(text) == 2001);
    const auto parts = split_for_discord(text);
    REQUIRE(parts.size() == 2);
    for (const std::string& part : parts) CHECK(discord_length(part) <= 2000);
    CHECK(parts[0] + parts[1] == text);
  }
  SECTION("parts of text full of four-byte and cut sequences never exceed the limit") {
    std::string text;
    for (int i = 0; i < 700; ++i) text += emoji + "\xF0\x9F" + "b";
    std::string joined;
    for (const std::string& part : split_for_discord(text)) {
      CHECK(discord_length(part) <= 2000);
      joined += part;
    }
    CHECK(joined == text);
  }
}

TEST_CASE("dialect names round-trip and unknown ones are refused") {
  for (const auto d :
       {dialect::slack, dialect::mattermost, dialect::mattermost_form, dialect::discord, dialect::teams}) {
    CHECK(dialect_from_string(to_string(d)) == d);
  }
  CHECK_FALSE(dialect_from_string("msteams"));
}
