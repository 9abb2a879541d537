#include "adapters/slack/slack_signature.h"

#include <catch2/catch.hpp>

#include <string>

namespace {

using namespace tandem::slack;

// Slack's published example (PROTOCOLS.md A2, S1): a slash-command body.
constexpr std::string_view doc_secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr std::string_view doc_timestamp = "1531420618";
constexpr std::string_view doc_body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name="
    "foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks."
    "slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
constexpr std::string_view doc_signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

/// Whether `signature` is the one `secret` gives (a key set up for the one check).
bool matches(std::string_view secret, std::string_view timestamp, std::string_view body, std::string_view signature) {
  tandem::hmac_sha256 key(secret);
  return signature_matches(key, timestamp, body, signature);
}

tandem::time_point at(long long seconds) { return tandem::time_point{std::chrono::seconds{seconds}}; }

}  // namespace

TEST_CASE("the signature of Slack's documented example is the documented one") {
  CHECK(compute_signature(doc_secret, doc_timestamp, doc_body) == doc_signature);
  CHECK(check_signature_headers(doc_timestamp, doc_signature, at(1531420618)) == signature_problem::none);
  CHECK(matches(doc_secret, doc_timestamp, doc_body, doc_signature));
}

TEST_CASE("a signature computed with openssl over a JSON body matches") {
  // printf 'v0:%s:%s' 1700000000 '{"type":"url_verification","challenge":"c"}' |
  //   openssl dgst -sha256 -hmac 'sekrit-not-hex!'
  const std::string body = R"({"type":"url_verification","challenge":"c"})";
  CHECK(compute_signature("sekrit-not-hex!", "1700000000", body) ==
        "v0=c7e6342e493fa75d9ad25bf5c4062f4e97c87b59e292d4eca8d9355125dfc8e3");
}

TEST_CASE("one signing key checks request after request") {
  tandem::hmac_sha256 key(doc_secret);
  const std::string other = R"({"type":"url_verification","challenge":"c"})";
  CHECK(signature_matches(key, doc_timestamp, doc_body, doc_signature));
  CHECK_FALSE(signature_matches(key, "1700000000", other, doc_signature));
  CHECK(signature_matches(key, doc_timestamp, doc_body, doc_signature));
}

TEST_CASE("a modified body does not match the signature") {
  std::string body{doc_body};
  body.back() = 'd';
  CHECK_FALSE(matches(doc_secret, doc_timestamp, body, doc_signature));
}

TEST_CASE("another secret does not match the signature") {
  CHECK_FALSE(matches("8f742231b10e8888abcd99yyyzzz85a6", doc_timestamp, doc_body, doc_signature));
}

TEST_CASE("a signature of another length or in upper case does not match") {
  CHECK_FALSE(matches(doc_secret, doc_timestamp, doc_body, doc_signature.substr(0, 66)));
  std::string upper{doc_signature};
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
  CHECK_FALSE(matches(doc_secret, doc_timestamp, doc_body, upper));
}

TEST_CASE("the timestamp may be at most five minutes off either way") {
  CHECK(check_signature_headers(doc_timestamp, doc_signature, at(1531420618 + 300)) == signature_problem::none);
  CHECK(check_signature_headers(doc_timestamp, doc_signature, at(1531420618 - 300)) == signature_problem::none);
  CHECK(check_signature_headers(doc_timestamp, doc_signature, at(1531420618 + 301)) ==
        signature_problem::stale_timestamp);
  CHECK(check_signature_headers(doc_timestamp, doc_signature, at(1531420618 - 301)) ==
        signature_problem::stale_timestamp);
}

TEST_CASE("missing headers, a bad timestamp and an unknown version are refused with their reason") {
  const auto now = at(1531420618);
  CHECK(check_signature_headers(std::nullopt, doc_signature, now) == signature_problem::missing_timestamp);
  CHECK(check_signature_headers(doc_timestamp, std::nullopt, now) == signature_problem::missing_signature);
  CHECK(check_signature_headers("", doc_signature, now) == signature_problem::bad_timestamp);
  CHECK(check_signature_headers("1531420618.5", doc_signature, now) == signature_problem::bad_timestamp);
  CHECK(check_signature_headers("-1531420618", doc_signature, now) == signature_problem::bad_timestamp);
  CHECK(check_signature_headers("99999999999999999999", doc_signature, now) == signature_problem::bad_timestamp);
  std::string v1{doc_signature};
  v1[1] = '1';
  CHECK(check_signature_headers(doc_timestamp, v1, now) == signature_problem::unknown_version);
  CHECK(check_signature_headers(doc_timestamp, doc_signature.substr(3), now) == signature_problem::unknown_version);
  CHECK(to_string(signature_problem::stale_timestamp) == "stale X-Slack-Request-Timestamp (more than 5 minutes off)");
  CHECK(to_string(signature_problem::missing_signature) == "missing X-Slack-Signature");
}
