#include "support/run_until.h"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <thread>

namespace tandem::testing {

bool run_until(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  // A short slice, so that `done` is checked again soon after a handler changed it.
  constexpr std::chrono::milliseconds slice{20};
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (io.stopped()) io.restart();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (io.run_one_for(std::min(left, slice)) == 0 && io.stopped()) {
      // No work at all: only another thread can change `done` now; poll for it gently.
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
  }
  return true;
}

}  // namespace tandem::testing
