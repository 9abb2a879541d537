// How each chat's markup writes a character of text: it shows as itself and never formats,
// links or mentions.

#include "adapters/markup_literals.h"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace {

const std::string zw(tandem::zero_width_space);

template <typename Append>
std::string written(std::string_view text, Append append) {
  std::string out;
  for (const char c : text) append(out, c);
  return out;
}

}  // namespace

TEST_CASE("a character of text in Slack's mrkdwn cannot format, link or mention") {
  const std::pair<std::string_view, std::string> table[] = {
      {"a & b", "a &amp; b"},
      {"<!channel>", "&lt;!channel" + zw + "&gt;"},
      {"<@U1|boss>", "&lt;@" + zw + "U1|boss" + zw + "&gt;"},
      {"*bold*", zw + "*" + zw + "bold" + zw + "*" + zw},
      {"_it_ ~strike~", zw + "_" + zw + "it" + zw + "_" + zw + " " + zw + "~" + zw + "strike" + zw + "~" + zw},
      {"`code`", zw + "`" + zw + "code" + zw + "`" + zw},
      {"[x](https://evil.example)", "[x]" + zw + "(https://evil.example)"},
      {"@here @all", "@" + zw + "here @" + zw + "all"},
      {"plain text, 12.", "plain text, 12."},
  };
  for (const auto& [text, expected] : table) {
    CAPTURE(text);
    CHECK(written(text, tandem::append_mrkdwn_literal) == expected);
  }
}

TEST_CASE("a character of text in Markdown is backslash-escaped, and an @ is kept from mentioning") {
  const std::pair<std::string_view, std::string> table[] = {
      {"**bold** _it_ ~~s~~", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~"},
      {"[x](https://evil.example)", "\\[x\\](https://evil.example)"},
      {"<@123> ||spoiler|| `c` \\", "\\<@" + zw + "123\\> \\|\\|spoiler\\|\\| \\`c\\` \\\\"},
      {"@channel @everyone", "@" + zw + "channel @" + zw + "everyone"},
      {"plain text, #12.", "plain text, #12."},
  };
  for (const auto& [text, expected] : table) {
    CAPTURE(text);
    CHECK(written(text, tandem::append_markdown_literal) == expected);
  }
}

TEST_CASE("text without markup keeps every @ from mentioning and changes nothing else") {
  CHECK(tandem::without_mentions("ping @room and @emma:example.org") ==
        "ping @" + zw + "room and @" + zw + "emma:example.org");
  CHECK(tandem::without_mentions("no at sign *here*") == "no at sign *here*");
}
