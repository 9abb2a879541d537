#include "core/markup.h"

#include <catch2/catch.hpp>

using namespace tandem;

TEST_CASE("escaped text never acts as markup") {
  const std::string title = "**not bold** [no](link) `x` back\\slash";
  CHECK(markup_to_plain(escape_markup(title)) == title);
}

TEST_CASE("an escaped value never starts a line a chat could read as markup, nor carries control characters") {
  CHECK(escape_markup("first\n- fake item\n# heading\n> quote") ==
        "first\n\xE2\x80\x8B- fake item\n\xE2\x80\x8B# heading\n\xE2\x80\x8B> quote");
  CHECK(escape_markup("bell\a esc\x1b[2J tab\t del\x7F cr\r") == "bell  esc \\[2J tab  del  cr ");
  CHECK(escape_markup("caf\xC3\xA9 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xF0\x9F\x98\x80");  // UTF-8 untouched
}

TEST_CASE("an escaped value placed at the start of a line is no list item, heading or quote either") {
  // Found by the markup_render fuzz target: "-" and a control character made "- ", a list item.
  for (const std::string_view value : {"- fake item", "-\x03", "+ item", "# heading", "> quote"}) {
    INFO(value);
    CHECK(escape_markup(value).starts_with("\xE2\x80\x8B"));
  }
  CHECK(escape_markup("a - b").starts_with("a"));
  CHECK(escape_markup("").empty());
}

TEST_CASE("plain text drops bold, spells out links and keeps the rest") {
  CHECK(markup_to_plain("Task **#1** done") == "Task #1 done");
  CHECK(markup_to_plain("see [the plan](https://x.org/p)") == "see the plan (https://x.org/p)");
  CHECK(markup_to_plain("- `done 12`") == "- `done 12`");
  CHECK(markup_to_plain("a [lone bracket") == "a [lone bracket");
  CHECK(markup_to_plain("**bold**", true) == "\x1b[1mbold\x1b[0m");
}
