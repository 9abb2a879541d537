#include "adapters/http/html.h"

#include <catch2/catch.hpp>

#include <string>

using tandem::html_escape;

TEST_CASE("html_escape replaces the five characters that can break out of text or an attribute") {
  CHECK(html_escape(R"(<a href="x" title='y'>Tom & Jerry</a>)") ==
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;");
}

TEST_CASE("html_escape leaves other text, UTF-8 included, as it is") {
  CHECK(html_escape("") == "");
  CHECK(html_escape("done 12 · ✅ Ready") == "done 12 · ✅ Ready");
}

TEST_CASE("html_escape escapes an ampersand again, so escaped text shows as typed") {
  CHECK(html_escape("&amp;") == "&amp;amp;");
}
