#include "app/text_retention.h"

namespace tandem {

text_retention::text_retention(store& durable, std::chrono::seconds keep, metrics_registry& metrics)
    : durable_(durable),
      keep_(keep),
      forgotten_(metrics.counter("tandem_store_texts_forgotten_total",
                                 "Recorded message texts blanked because they were older than store.keep_text.")) {}

bool text_retention::run_batch(time_point now) {
  const std::size_t forgotten = durable_.forget_text_before(now - keep_, batch_size);
  forgotten_.increment(forgotten);
  return forgotten == batch_size;
}

}  // namespace tandem
