#pragma once
// `store.keep_text`: the text of recorded messages older than the limit is blanked, a batch at a
// time, on the core strand between ticks, so that a long backlog (a first start after years, a
// shorter limit) never holds up the engine.

#include "adapters/metrics/metrics_registry.h"
#include "core/store.h"

#include <chrono>
#include <cstddef>

namespace tandem {

/// Forgets old text in batches. Used on the core strand only.
class text_retention {
 public:
  /// The most responses one batch blanks: a short transaction even on a slow disk.
  static constexpr std::size_t batch_size = 2000;

  /// `durable` and `metrics` must outlive it.
  text_retention(store& durable, std::chrono::seconds keep, metrics_registry& metrics);

  /// Blanks the text of one batch of responses older than `now - keep`. True when the batch was
  /// full: more may be waiting, and the caller runs the next batch soon. Throws `store_error`.
  bool run_batch(time_point now);

 private:
  store& durable_;
  std::chrono::seconds keep_;
  metric_counter& forgotten_;
};

}  // namespace tandem
