#include "adapters/http/hmac.h"

#include <catch2/catch.hpp>

#include <string>

using tandem::hmac_sha256;

TEST_CASE("HMAC-SHA256 gives RFC 4231's digest for its second test case") {
  hmac_sha256 key("Jefe");
  CHECK(key.hex_digest({"what do ya want for nothing?"}) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("a digest over parts equals the digest over their concatenation") {
  hmac_sha256 key("Jefe");
  CHECK(key.hex_digest({"what do ya ", "", "want for nothing?"}) == key.hex_digest({"what do ya want for nothing?"}));
}

TEST_CASE("one key gives each message its own digest, message after message") {
  hmac_sha256 key("Jefe");
  const std::string first = key.hex_digest({"what do ya want for nothing?"});
  const std::string second = key.hex_digest({"something else"});
  CHECK(second != first);
  CHECK(key.hex_digest({"what do ya want for nothing?"}) == first);
}

TEST_CASE("an empty key is a key like any other") {
  // printf '' | openssl dgst -sha256 -hmac ''
  hmac_sha256 key("");
  CHECK(key.hex_digest({""}) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("a moved key keeps working") {
  hmac_sha256 key("Jefe");
  hmac_sha256 moved = std::move(key);
  CHECK(moved.hex_digest({"what do ya want for nothing?"}) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("equal_in_constant_time compares contents and lengths") {
  CHECK(tandem::equal_in_constant_time("abc", "abc"));
  CHECK_FALSE(tandem::equal_in_constant_time("abc", "abd"));
  CHECK_FALSE(tandem::equal_in_constant_time("abc", "abcd"));
  CHECK(tandem::equal_in_constant_time("", ""));
}
