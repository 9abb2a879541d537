#include "adapters/http/http_types.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using tandem::parse_form;
using fields = std::vector<std::pair<std::string, std::string>>;

struct form_case {
  std::string input;
  std::optional<fields> expected;
};

}  // namespace

TEST_CASE("form decoding turns '+' into a space, decodes escapes and rejects malformed ones") {
  const std::vector<form_case> cases = {
      {"", fields{}},
      {"a=1&b=2", fields{{"a", "1"}, {"b", "2"}}},
      {"text=hello+world%21", fields{{"text", "hello world!"}}},
      {"command=%2Fstandup&channel_name=proj+x", fields{{"command", "/standup"}, {"channel_name", "proj x"}}},
      {"plus=%2B1", fields{{"plus", "+1"}}},
      {"name=J%C3%BCrgen&lower=%c3%bc", fields{{"name", "J\xC3\xBCrgen"}, {"lower", "\xC3\xBC"}}},
      {"empty=&flag", fields{{"empty", ""}, {"flag", ""}}},
      {"a=1&&b=2&", fields{{"a", "1"}, {"b", "2"}}},
      {"dup=1&dup=2", fields{{"dup", "1"}, {"dup", "2"}}},
      {"eq=a=b", fields{{"eq", "a=b"}}},
      {"a%20b=c", fields{{"a b", "c"}}},
      {"a=%", std::nullopt},
      {"a=%2", std::nullopt},
      {"a=%zz", std::nullopt},
      {"%g1=x", std::nullopt},
      {"ok=1&bad=100%", std::nullopt},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    const auto decoded = parse_form(c.input);
    REQUIRE(decoded.has_value() == c.expected.has_value());
    if (decoded) CHECK(*decoded == *c.expected);
  }
}

TEST_CASE("percent decoding keeps '+' literal and rejects a truncated escape") {
  CHECK(tandem::percent_decode("a+b%20c%2Fd") == std::optional<std::string>("a+b c/d"));
  CHECK(tandem::percent_decode("%41%4a") == std::optional<std::string>("AJ"));
  CHECK_FALSE(tandem::percent_decode("50%").has_value());
  CHECK_FALSE(tandem::percent_decode("%4").has_value());
}

TEST_CASE("percent encoding keeps only unreserved characters and decodes back to the same bytes") {
  CHECK(tandem::percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(tandem::percent_encode("@tandem:example.org") == "%40tandem%3Aexample.org");
  CHECK(tandem::percent_encode("a b+c/d?e&f=g") == "a%20b%2Bc%2Fd%3Fe%26f%3Dg");
  CHECK(tandem::percent_encode("\xC3\xA9\n") == "%C3%A9%0A");
  const std::string every_byte = [] {
    std::string bytes;
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
    return bytes;
  }();
  CHECK(tandem::percent_decode(tandem::percent_encode(every_byte)) == std::optional<std::string>(every_byte));
}

TEST_CASE("a path splits into decoded segments, empty ones skipped and a malformed escape kept") {
  using segments = std::vector<std::string>;
  CHECK(tandem::path_segments("/_matrix/client/v3/rooms/%21a%3Ahs/send/m.room.message/t1") ==
        segments{"_matrix", "client", "v3", "rooms", "!a:hs", "send", "m.room.message", "t1"});
  CHECK(tandem::path_segments("/a//b%2Fc/") == segments{"a", "b/c"});
  CHECK(tandem::path_segments("/50%/x") == segments{"50%", "x"});
  CHECK(tandem::path_segments("").empty());
}

TEST_CASE("a request's headers are looked up case-insensitively") {
  tandem::http_request request;
  request.headers = {{"x-slack-signature", "v0=abc"}};
  CHECK(request.header("X-Slack-Signature") == std::optional<std::string_view>("v0=abc"));
  CHECK(request.header("x-slack-signature") == std::optional<std::string_view>("v0=abc"));
  CHECK_FALSE(request.header("X-Slack-Request-Timestamp").has_value());
}

TEST_CASE("text and json responses carry their status, content type and body") {
  const auto text = tandem::text_response(404, "not here\n");
  CHECK(text.status == 404);
  CHECK(text.content_type == "text/plain; charset=utf-8");
  CHECK(text.body == "not here\n");
  CHECK(text.headers.empty());

  const auto json = tandem::json_response(201, nlohmann::json{{"ok", true}});
  CHECK(json.status == 201);
  CHECK(json.content_type == "application/json");
  CHECK(json.body == R"({"ok":true})");
}

TEST_CASE("a json response replaces invalid UTF-8 instead of throwing") {
  const auto json = tandem::json_response(200, nlohmann::json("bad \xFF byte"));
  CHECK(json.body == "\"bad \xEF\xBF\xBD byte\"");
}
