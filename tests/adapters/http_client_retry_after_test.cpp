// Reading a Retry-After header: delta-seconds or an HTTP-date, relative to a given now.
#include "adapters/http/http_client.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;

// 2015-10-21 07:28:00 UTC, the date of RFC 9110's example.
constexpr std::chrono::sys_seconds example_now = std::chrono::sys_days{std::chrono::year{2015} / 10 / 21} + 7h + 28min;

struct retry_after_case {
  std::string value;
  std::optional<std::chrono::seconds> expected;
};

}  // namespace

TEST_CASE("Retry-After is read as delta-seconds or an HTTP-date; garbage gives nothing") {
  const auto entry = GENERATE(values<retry_after_case>({
      {"120", 120s},
      {"0", 0s},
      {"  30 ", 30s},
      {"4294967295", 4294967295s},
      {"Wed, 21 Oct 2015 07:28:00 GMT", 0s},
      {"Wed, 21 Oct 2015 07:29:30 GMT", 90s},
      {"Thu, 22 Oct 2015 07:28:00 GMT", 86400s},
      {"Tue, 20 Oct 2015 07:28:00 GMT", 0s},        // in the past
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0s},        // long past
      {"Wednesday, 21-Oct-15 07:30:00 GMT", 120s},  // RFC 850, obsolete
      {"Wed Oct 21 07:31:00 2015", 180s},           // asctime, obsolete
      {"Wed Oct  1 07:28:00 2015", 0s},             // asctime with a one-digit day
      {"", std::nullopt},
      {"soon", std::nullopt},
      {"-5", std::nullopt},
      {"1.5", std::nullopt},
      {"4294967296", std::nullopt},
      {"99999999999999999999", std::nullopt},
      {"30s", std::nullopt},
      {"Wed, 21 Oct 2015 07:28:00 UTC", std::nullopt},
      {"Wed, 32 Oct 2015 07:28:00 GMT", std::nullopt},
      {"Wed, 31 Feb 2015 07:28:00 GMT", std::nullopt},
      {"Wed, 21 Oct 2015 24:00:00 GMT", std::nullopt},
      {"Wed, 21 Okt 2015 07:28:00 GMT", std::nullopt},
      {"21 Oct 2015 07:28:00 GMT", std::nullopt},
  }));
  INFO("Retry-After: " << entry.value);
  CHECK(tandem::parse_retry_after(entry.value, example_now) == entry.expected);
}
