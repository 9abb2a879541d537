#pragma once
// Drives an io_context from a test's own thread until something has happened.

#include <chrono>
#include <functional>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem::testing {

/// Runs handlers of `io` on the calling thread until `done()` is true or `within` has passed;
/// returns whether `done()` became true. `io` must not be run by another thread meanwhile.
/// Restarts `io` when it runs out of work, so it can be called again.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds within = std::chrono::seconds{10});

}  // namespace tandem::testing
