#pragma once
// What adapter tests share on the outbound side: a delivery's completion as the outbox handles it.

#include "adapters/outbound_adapter.h"

#include <functional>
#include <utility>

namespace tandem::testing {

/// `done` as the outbox calls it: a message the adapter holds ready (a waiting request's answer)
/// is written at once, as once its sent mark is durable, and `done` gets what came of that.
inline std::function<void(delivery_result)> writing_when_ready(std::function<void(delivery_result)> done) {
  return [done = std::move(done)](delivery_result r) {
    if (r.what == delivery_result::outcome::ready) return r.write(done);
    done(std::move(r));
  };
}

}  // namespace tandem::testing
