#include "app/inbound_pipeline.h"

#include <utility>

namespace tandem {

inbound_pipeline::inbound_pipeline(parts work, metrics_registry& metrics)
    : work_(std::move(work)),
      bursts_(metrics.histogram("tandem_inbound_burst_events", "Inbound events recorded per group commit.",
                                {1, 2, 4, 8, 16, 32, 64, 128, 256})) {}

void inbound_pipeline::ingest(inbound event, acknowledgement stored) {
  work_.post([this, event = std::move(event), stored = std::move(stored)]() mutable {
    burst_.push_back(std::move(event));
    burst_acks_.push_back(std::move(stored));
    schedule_burst();
  });
}

void inbound_pipeline::schedule_burst() {
  if (burst_scheduled_ || burst_syncing_ || burst_.empty()) return;
  burst_scheduled_ = true;
  work_.post([this] { record_burst(); });
}

void inbound_pipeline::record_burst() {
  burst_scheduled_ = false;
  std::vector<inbound> events = std::exchange(burst_, {});
  std::vector<acknowledgement> acks = std::exchange(burst_acks_, {});
  const bool committed = work_.commit(events);
  bursts_.observe(static_cast<double>(events.size()));
  if (!committed) {
    for (auto& ack : acks) ack(false);
    schedule_burst();
    return;
  }
  // Replies that a replay would send under the same key leave now; the rest after the sync.
  work_.written();
  burst_syncing_ = true;
  // Posted, so that what the adapters were just handed is written to the network first: on
  // one core, the sync thread woken now would take the CPU before it.
  work_.post([this, acks = std::move(acks)]() mutable {
    work_.sync([this, acks = std::move(acks)](bool durable) {
      for (const auto& ack : acks) ack(durable);
      // After a refused sync nothing more is acknowledged: the runtime stops.
      if (!durable) return;
      burst_syncing_ = false;
      schedule_burst();
    });
  });
}

}  // namespace tandem
