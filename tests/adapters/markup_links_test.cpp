#include "adapters/markup_links.h"

#include <catch2/catch.hpp>

#include <string_view>

using tandem::markup_link_at;

TEST_CASE("a markup link gives its label, its url and where it ends") {
  constexpr std::string_view text = "see [the **board**](https://x.example/b?q=1) now";
  const auto link = markup_link_at(text, text.find('['));
  REQUIRE(link);
  CHECK(link->label == "the **board**");
  CHECK(link->url == "https://x.example/b?q=1");
  CHECK(text[link->end] == ')');
  CHECK(text.substr(link->end + 1) == " now");
}

TEST_CASE("a bracket that opens no complete link is no link") {
  CHECK_FALSE(markup_link_at("[label] and (url)", 0));
  CHECK_FALSE(markup_link_at("[label](https://x.example", 0));
  CHECK_FALSE(markup_link_at("[", 0));
}

TEST_CASE("an empty label or url is still a link, as the renderers always took it") {
  const auto link = markup_link_at("[](u)", 0);
  REQUIRE(link);
  CHECK(link->label.empty());
  CHECK(link->url == "u");
  CHECK(link->end == 4);
}
