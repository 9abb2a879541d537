#include "core/markup.h"

#include <catch2/catch.hpp>

using namespace tandem;

TEST_CASE("escaped text never acts as markup") {
  const std::string title = "**not bold** [no](link) `x` back\\slash";
  CHECK(markup_to_plain(escape_markup(title)) == title);
}

TEST_CASE("plain text drops bold, spells out links and keeps the rest") {
  CHECK(markup_to_plain("Task **#1** done") == "Task #1 done");
  CHECK(markup_to_plain("see [the plan](https://x.org/p)") == "see the plan (https://x.org/p)");
  CHECK(markup_to_plain("- `done 12`") == "- `done 12`");
  CHECK(markup_to_plain("a [lone bracket") == "a [lone bracket");
  CHECK(markup_to_plain("**bold**", true) == "\x1b[1mbold\x1b[0m");
}
