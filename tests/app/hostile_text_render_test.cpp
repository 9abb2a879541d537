// Hostile titles and notes (links, mentions, HTML, every chat's markup characters, control
// characters, broken UTF-8) rendered by every renderer Tandem has: Slack (Block Kit and the plain
// fallback), every webhook dialect (Slack-compatible, Mattermost JSON and form, Discord, Teams),
// and Matrix (plain body and HTML). Property: wherever a title or note lands, the output holds no
// mention, link or markup that Tandem did not write itself. The titles are made from a table of
// fragments, combined at random with a fixed seed, so every run checks the same cases.

#include "adapters/http/http_types.h"
#include "adapters/markup_literals.h"
#include "adapters/matrix/matrix_render.h"
#include "adapters/slack/slack_outbound.h"
#include "adapters/webhook/webhook_render.h"
#include "core/markup.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using json = nlohmann::json;
using tandem::rendered_message;
namespace webhook = tandem::webhook;

const std::string zw = "\xE2\x80\x8B";
constexpr std::string_view begin_mark = "BEGINX";
constexpr std::string_view end_mark = "ENDX";
const std::string own_url = "https://tandem.example.org/t/12";

const std::vector<std::string> fragments = {"[x](https://evil.example)",
                                            "[x]",
                                            "(https://evil.example)",
                                            "**bold**",
                                            "*bold*",
                                            "_it_",
                                            "__it__",
                                            "~strike~",
                                            "~~del~~",
                                            "`code`",
                                            "```block```",
                                            "<!channel>",
                                            "<!here>",
                                            "<!everyone>",
                                            "<@U123>",
                                            "<@U1|boss>",
                                            "<#C1|general>",
                                            "<https://evil.example|click>",
                                            "<at>everyone</at>",
                                            "@here",
                                            "@channel",
                                            "@all",
                                            "@everyone",
                                            "@room",
                                            "@**all**",
                                            "@_**silent**",
                                            "@emma",
                                            "@boss:example.org",
                                            "<@&42>",
                                            "||spoiler||",
                                            "<b>bold</b>",
                                            "<a href=\"https://evil.example\">x</a>",
                                            "<script>alert(1)</script>",
                                            "&amp;",
                                            "&lt;!channel&gt;",
                                            "\\",
                                            "\\*",
                                            "\n# heading",
                                            "\n- item",
                                            "\n> quote",
                                            "\n1. one",
                                            "\n    indented",
                                            "\n-# small",
                                            "\r\n",
                                            "\t",
                                            "\x1b[31m",
                                            "\x07",
                                            "\x7f",
                                            "\xE2\x80\xAE",
                                            "#general",
                                            ":smile:",
                                            "https://evil.example",
                                            "caf\xC3\xA9 \xF0\x9F\x98\x80",
                                            "\xF0\x9F",
                                            " ",
                                            "word",
                                            "| a | b |",
                                            "$$x$$",
                                            "{{DATE(2017-02-14T06:00:00Z)}}"};

/// Random titles of one to six fragments, always the same ones.
std::vector<std::string> hostile_texts() {
  std::vector<std::string> texts(fragments);
  std::mt19937 random(20261207U);
  std::uniform_int_distribution<std::size_t> pick(0, fragments.size() - 1);
  std::uniform_int_distribution<int> count(1, 6);
  for (int n = 0; n < 400; ++n) {
    std::string text;
    for (int k = count(random); k > 0; --k) text += fragments[pick(random)];
    texts.push_back(text);
  }
  return texts;
}

/// A message as the templates make one: fixed markup of Tandem's, with the values escaped.
rendered_message message_with(const std::string& title, const std::string& note, bool answers) {
  rendered_message m;
  m.markup = "**Task #12** " + std::string(begin_mark) + tandem::escape_markup(title) + std::string(end_mark) +
             " is due [today](" + own_url + ")\n- note: " + std::string(begin_mark) + tandem::escape_markup(note) +
             std::string(end_mark);
  if (answers) {
    m.answers = {{"Done", {"done", "done 12", "white_check_mark", false}},
                 {"Blocked", {"blocked", "blocked 12", "", true}}};
  }
  return m;
}

/// The pieces of `out` between the marks: where the values landed.
std::vector<std::string_view> values_in(std::string_view out) {
  std::vector<std::string_view> values;
  for (auto at = out.find(begin_mark); at != std::string_view::npos; at = out.find(begin_mark, at)) {
    at += begin_mark.size();
    const auto end = out.find(end_mark, at);
    REQUIRE(end != std::string_view::npos);
    values.push_back(out.substr(at, end - at));
    at = end;
  }
  return values;
}

bool followed_by_zero_width(std::string_view s, std::size_t i) { return s.substr(i + 1).starts_with(zw); }
bool preceded_by_zero_width(std::string_view s, std::size_t i) { return i >= 3 && s.substr(i - 3, 3) == zw; }

/// No control character but line ends, and every line a value starts begins with a zero-width space.
void check_lines_and_controls(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    CHECK((c >= 0x20U || c == '\n'));
    CHECK(c != 0x7FU);
    if (c == '\n') CHECK(followed_by_zero_width(value, i));
  }
}

/// A value in mrkdwn: no `<…>` (mention, link), no entity but Slack's three, every marker and
/// '@' kept from acting by zero-width spaces.
void check_mrkdwn_value(std::string_view value) {
  CAPTURE(value);
  check_lines_and_controls(value);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    CHECK(c != '<');
    CHECK(c != '>');
    if (c == '&') {
      const std::string_view rest = value.substr(i);
      CHECK((rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;")));
      if (rest.starts_with("&gt;")) CHECK(preceded_by_zero_width(value, i));
    }
    if (c == '*' || c == '_' || c == '~' || c == '`') {
      CHECK(preceded_by_zero_width(value, i));
      CHECK(followed_by_zero_width(value, i));
    }
    if (c == '@' || c == ']') CHECK(followed_by_zero_width(value, i));
  }
}

/// A value in Markdown: every Markdown character backslash-escaped, every '@' kept from mentioning.
void check_markdown_value(std::string_view value) {
  CAPTURE(value);
  check_lines_and_controls(value);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\') {
      REQUIRE(i + 1 < value.size());  // a backslash always escapes the next character
      ++i;
      continue;
    }
    CHECK(std::string_view("*_~`[]|<>").find(c) == std::string_view::npos);
    if (c == '@') CHECK(followed_by_zero_width(value, i));
  }
}

/// Mrkdwn of a whole message: the only `<…>` are Tandem's own links.
void check_mrkdwn_message(std::string_view out, const std::set<std::string>& own_links) {
  for (auto at = out.find('<'); at != std::string_view::npos; at = out.find('<', at + 1)) {
    const auto bar = out.find('|', at);
    REQUIRE(bar != std::string_view::npos);
    CHECK(own_links.contains(std::string(out.substr(at + 1, bar - at - 1))));
  }
  const auto values = values_in(out);
  CHECK(values.size() == 2);
  for (std::string_view v : values) check_mrkdwn_value(v);
}

/// Markdown of a whole message: the only links are Tandem's own.
void check_markdown_message(std::string_view out, const std::set<std::string>& own_links) {
  for (auto at = out.find("]("); at != std::string_view::npos; at = out.find("](", at + 1)) {
    std::size_t backslashes = 0;
    while (backslashes < at && out[at - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 1) continue;  // an escaped ']' ends no link
    const auto close = out.find(')', at);
    REQUIRE(close != std::string_view::npos);
    CHECK(own_links.contains(std::string(out.substr(at + 2, close - at - 2))));
  }
  const auto values = values_in(out);
  CHECK(values.size() == 2);
  for (std::string_view v : values) check_markdown_value(v);
}

/// A value as shown where nothing is markup: control characters spaces, a line end followed by
/// a zero-width space.
std::string shown(const std::string& text) { return tandem::markup_to_plain(tandem::escape_markup(text)); }

/// `text` as it arrives in a JSON body: broken UTF-8 replaced by U+FFFD.
std::string as_sent(const std::string& text) {
  return json::parse(json(text).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

/// Every element of a Teams card: no TextBlock (whose text would be read as Markdown), no mention
/// entities, and the only formatted runs are Tandem's own.
void check_teams_card(const json& card, const std::string& title, const std::string& note,
                      const std::set<std::string>& own_links) {
  CHECK_FALSE(card.contains("msteams"));
  std::string text;
  for (const json& block : card["body"]) {
    CHECK(block["type"] == "RichTextBlock");
    for (const json& run : block["inlines"]) {
      CHECK(run["type"] == "TextRun");
      const std::string piece = run["text"];
      if (run.contains("selectAction")) {
        CHECK(own_links.contains(run["selectAction"]["url"].get<std::string>()));
        CHECK(piece == "today");
      }
      if (run.contains("weight")) CHECK(std::set<std::string>{"Task #12", "Done", "Blocked"}.contains(piece));
      if (run.contains("fontType")) {
        CHECK(std::set<std::string>{"done 12", "blocked 12 \xE2\x80\xA6"}.contains(piece));
      }
      text += piece;
    }
    text += '\n';
  }
  if (card.contains("actions")) {
    for (const json& action : card["actions"]) CHECK(own_links.contains(action["url"].get<std::string>()));
  }
  // Each value shows exactly as written (its line ends starting new blocks), as JSON carries it.
  CHECK(text.find(as_sent(std::string(begin_mark) + shown(title) + std::string(end_mark))) != std::string::npos);
  CHECK(text.find(as_sent(std::string(begin_mark) + shown(note) + std::string(end_mark))) != std::string::npos);
}

/// Matrix: HTML with no tag from a value, plain body as written, `m.mentions` only as intended.
void check_matrix_notice(const json& content, const std::string& title, const std::string& note) {
  const std::string html = content["formatted_body"];
  CHECK(std::ranges::count(html, '<') == std::ranges::count(std::string_view(html), '>'));
  CHECK(html.find("<a ") == html.rfind("<a "));  // one link: Tandem's own
  CHECK(html.find("<a href=\"" + own_url + "\">") != std::string::npos);
  for (std::string_view value : values_in(html)) {
    // A line break in a value ends the line as any line ends: Tandem's `<br>`, or the end of its list.
    std::string v(value);
    for (const std::string_view line_end : {"<br>", "</li>", "</ul>"}) {
      for (auto at = v.find(line_end); at != std::string::npos; at = v.find(line_end)) v.erase(at, line_end.size());
    }
    CAPTURE(value, v);
    for (std::size_t i = 0; i < v.size(); ++i) {
      CHECK(v[i] != '<');
      CHECK(v[i] != '"');
      if (v[i] == '@') CHECK(followed_by_zero_width(v, i));
    }
  }
  const std::string body = content["body"];
  const std::vector<std::string_view> values = values_in(body);
  REQUIRE(values.size() == 2);
  CHECK(values[0] == tandem::without_mentions(shown(title)));
  CHECK(values[1] == tandem::without_mentions(shown(note)));
  CHECK(content["m.mentions"] == json::parse(R"({"user_ids": ["@emma:example.org"]})"));
}

}  // namespace

TEST_CASE("hostile titles and notes never become a mention, link or markup on any platform") {
  const std::vector<std::string> texts = hostile_texts();
  const std::vector<webhook::answer_link> links{{"Done", "https://tandem.example.org/act/a.b"},
                                                {"Blocked", "https://tandem.example.org/act/c.d"}};
  const std::set<std::string> own_links{own_url, links[0].url, links[1].url};
  for (std::size_t n = 0; n < texts.size(); ++n) {
    const std::string& title = texts[n];
    const std::string& note = texts[(n * 7 + 3) % texts.size()];
    CAPTURE(title, note);
    for (const bool answers : {false, true}) {
      const rendered_message message = message_with(title, note, answers);

      const json slack = tandem::slack::message_body(message, "k1");
      if (answers) {
        check_mrkdwn_message(slack["blocks"][0]["text"]["text"].get<std::string>(), own_links);
        const std::string fallback = slack["text"];
        for (std::string_view v : values_in(fallback)) check_mrkdwn_value(v);
      } else {
        check_mrkdwn_message(slack["text"].get<std::string>(), own_links);
      }

      for (const auto& offered : {std::vector<webhook::answer_link>{}, links}) {
        const auto slack_hook = webhook::posts_for(webhook::dialect::slack, message, offered);
        check_mrkdwn_message(json::parse(slack_hook[0].body)["text"].get<std::string>(), own_links);

        const auto mattermost = webhook::posts_for(webhook::dialect::mattermost, message, offered);
        check_markdown_message(json::parse(mattermost[0].body)["text"].get<std::string>(), own_links);

        const auto form = webhook::posts_for(webhook::dialect::mattermost_form, message, offered);
        const auto payload = tandem::percent_decode(std::string_view(form[0].body).substr(8));
        REQUIRE(payload);
        check_markdown_message(json::parse(*payload)["text"].get<std::string>(), own_links);

        std::string discord_text;
        for (const auto& post : webhook::posts_for(webhook::dialect::discord, message, offered)) {
          const json body = json::parse(post.body);
          CHECK(body["allowed_mentions"] == json{{"parse", json::array()}});
          discord_text += body["content"].get<std::string>();
        }
        check_markdown_message(discord_text, own_links);

        const auto teams = webhook::posts_for(webhook::dialect::teams, message, offered);
        check_teams_card(json::parse(teams[0].body)["attachments"][0]["content"], title, note, own_links);
      }

      check_matrix_notice(
          tandem::matrix::notice_content(message, tandem::matrix::notice_options{{"@emma:example.org"}, std::nullopt}),
          title, note);
    }
  }
}
