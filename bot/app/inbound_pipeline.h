#pragma once
// The inbound path of every platform adapter: durable first, then acknowledged. Events that
// arrive together (one turn of the event loop) are recorded and handled in one transaction (a
// burst), and the transactions committed while the disk syncs become durable together (group
// commit). Knows no Asio, no store and no engine: the runtime (and the adapter tests) give it
// functions for each.

#include "adapters/metrics/metrics_registry.h"
#include "core/inbound.h"

#include <cstddef>
#include <functional>
#include <vector>

namespace tandem {

/// ingest → burst → commit (engine_host::submit_all) → written (outbox_dispatcher::dispatch_written)
/// → sync → acks. Used on the core strand, apart from `ingest`, which any thread may call.
class inbound_pipeline {
 public:
  /// Called with true once the event is durable; false to have the platform retry it.
  using acknowledgement = std::function<void(bool stored)>;

  /// What the pipeline does its work with.
  struct parts {
    /// Runs a function on the core strand, later (never inline).
    std::function<void(std::function<void()>)> post;
    /// Records and handles a burst in one transaction; true when committed (not yet durable),
    /// false when nothing of it was kept. Must not throw.
    std::function<bool(const std::vector<inbound>& burst)> commit;
    /// After a commit, before its sync: sends what may leave before the burst is durable.
    std::function<void()> written;
    /// Makes everything committed so far durable, then calls `then` on the core strand with
    /// true, or with false when the disk refused (durability unknown).
    std::function<void(std::function<void(bool durable)> then)> sync;
  };

  /// `metrics` gets the histogram tandem_inbound_burst_events and must outlive this object.
  inbound_pipeline(parts work, metrics_registry& metrics);

  /// Takes one event from an adapter (any thread); `stored` is called on the core strand once the
  /// event's burst is durable (true) or was not kept (false).
  void ingest(inbound event, acknowledgement stored);

 private:
  /// The next burst is recorded at the end of this turn of the event loop, unless a burst's sync
  /// is under way: then events gather until it is done, so that a busy disk makes bursts larger
  /// instead of queueing syncs.
  void schedule_burst();
  void record_burst();

  parts work_;
  metric_histogram& bursts_;
  bool burst_scheduled_ = false;             ///< record_burst is posted
  bool burst_syncing_ = false;               ///< the last burst's sync is under way (for good after a refused one)
  std::vector<inbound> burst_;               ///< events waiting for the next group commit
  std::vector<acknowledgement> burst_acks_;  ///< their acknowledgements, in the same order
};

}  // namespace tandem
