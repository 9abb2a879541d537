#pragma once
// What the http_client tests share: a client on an io_context that the test's own thread runs,
// trusting the throwaway test CA.

#include "adapters/http/http_client.h"
#include "support/local_https_server.h"
#include "support/run_until.h"
#include "support/test_certificates.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <utility>
#include <vector>

namespace http_client_testing {

/// Options that trust the test CA (besides the system store).
inline tandem::http_client_options trusting_test_ca() {
  tandem::http_client_options options;
  options.extra_ca_file = tandem::testing::test_certificates::shared().ca_file();
  return options;
}

inline tandem::client_request get(std::string url) {
  tandem::client_request request;
  request.method = "GET";
  request.url = std::move(url);
  return request;
}

/// A client whose io_context runs on the test's thread while a test waits for results.
class client_fixture {
 public:
  explicit client_fixture(tandem::http_client_options options = trusting_test_ca())
      : client_(io_, std::move(options)) {}

  tandem::http_client& client() { return client_; }
  boost::asio::io_context& io() { return io_; }

  /// Sends `request` and runs the io_context until its result arrives (10 s at most).
  tandem::client_result fetch(tandem::client_request request) {
    std::optional<tandem::client_result> result;
    client_.send(std::move(request), [&result](tandem::client_result outcome) { result = std::move(outcome); });
    REQUIRE(tandem::testing::run_until(io_, [&result] { return result.has_value(); }));
    return std::move(*result);
  }

  /// Sends every request at once and runs until all results arrived, in the order sent.
  std::vector<tandem::client_result> fetch_all(std::vector<tandem::client_request> requests) {
    std::vector<std::optional<tandem::client_result>> results(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      client_.send(std::move(requests[i]),
                   [&results, i](tandem::client_result outcome) { results[i] = std::move(outcome); });
    }
    REQUIRE(tandem::testing::run_until(io_, [&results] {
      return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
    }));
    std::vector<tandem::client_result> out;
    for (auto& result : results) out.push_back(std::move(*result));
    return out;
  }

 private:
  boost::asio::io_context io_;
  tandem::http_client client_;
};

/// The response in `result`; fails the test with the error's message when there is none.
inline tandem::client_response response_of(const tandem::client_result& result) {
  if (const auto* error = std::get_if<tandem::client_error>(&result)) {
    FAIL("expected a response, got " << tandem::to_string(error->what) << ": " << error->message);
  }
  return std::get<tandem::client_response>(result);
}

/// The error in `result`; fails the test when there is a response instead.
inline tandem::client_error error_of(const tandem::client_result& result) {
  if (const auto* response = std::get_if<tandem::client_response>(&result)) {
    FAIL("expected an error, got status " << response->status);
  }
  return std::get<tandem::client_error>(result);
}

}  // namespace http_client_testing
