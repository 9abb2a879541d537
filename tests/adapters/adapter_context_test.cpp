#include "adapters/adapter_context.h"

#include "support/run_until.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using tandem::adapter_context;
using tandem::testing::run_until;

namespace {

const auto now = [] { return std::chrono::steady_clock::now(); };

}  // namespace

TEST_CASE("a wait that comes due runs its function with true, on the context's strand") {
  boost::asio::io_context io;
  adapter_context context(io, {}, {});
  std::optional<bool> fired;
  bool on_strand = false;
  context.at(now(), [&](bool f) {
    fired = f;
    on_strand = context.strand().running_in_this_thread();
  });
  REQUIRE(run_until(io, [&] { return fired.has_value(); }));
  CHECK(*fired);
  CHECK(on_strand);
}

TEST_CASE("stopping ends every wait at once with false, and after() drops its function") {
  boost::asio::io_context io;
  adapter_context context(io, {}, {});
  std::optional<bool> fired;
  bool after_ran = false;
  context.at(now() + std::chrono::hours{1}, [&](bool f) { fired = f; });
  context.after(std::chrono::hours{1}, [&] { after_ran = true; });
  context.stop();
  CHECK(context.stopping());
  REQUIRE(run_until(io, [&] { return fired.has_value(); }));
  CHECK_FALSE(*fired);
  io.restart();
  io.poll();
  CHECK_FALSE(after_ran);
}

TEST_CASE("a guarded callback does nothing once its context is gone") {
  boost::asio::io_context io;
  auto context = std::make_unique<adapter_context>(io, std::function<tandem::time_point()>{}, tandem::adapter_log{});
  int calls = 0;
  auto callback = context->guard([&](int n) { calls += n; });
  callback(1);
  context.reset();
  callback(1);
  CHECK(calls == 1);
}

TEST_CASE("the clock is the injected one when there is one, and the log receives each line") {
  boost::asio::io_context io;
  const tandem::time_point fixed{std::chrono::seconds{1700000000}};
  std::vector<std::string> lines;
  adapter_context context(
      io, [&] { return fixed; },
      [&](std::string_view level, std::string_view message) {
        lines.push_back(std::string(level) + " " + std::string(message));
      });
  CHECK(context.now() == fixed);
  context.log("warn", "slack: something");
  CHECK(lines == std::vector<std::string>{"warn slack: something"});
}

TEST_CASE("a stored event's outcome comes back on the strand, with the owner held until then") {
  boost::asio::io_context io;
  auto owner = std::make_shared<int>(0);
  adapter_context context(io, {}, {});
  context.set_owner(owner);
  std::function<void(bool)> stored_callback;
  const tandem::inbound_sink sink = [&](tandem::inbound, std::function<void(bool)> stored) {
    stored_callback = std::move(stored);
  };
  std::optional<bool> outcome;
  bool on_strand = false;
  context.store_then(sink, tandem::inbound{}, [&](bool stored) {
    outcome = stored;
    on_strand = context.strand().running_in_this_thread();
  });
  CHECK(owner.use_count() == 2);  // the sink's callback holds the owner
  stored_callback(true);
  REQUIRE(run_until(io, [&] { return outcome.has_value(); }));
  CHECK(*outcome);
  CHECK(on_strand);
}
