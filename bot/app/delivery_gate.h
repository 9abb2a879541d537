#pragma once
// What the outbox dispatcher asks of the world before and after a message leaves.

#include "core/delivery.h"
#include "core/store.h"

#include <string>

namespace tandem {

/// The world's side of delivery: the last look before a row leaves, and what its delivery,
/// withdrawal or failure changes. Called on the core strand only.
class delivery_gate {
 public:
  virtual ~delivery_gate() = default;
  /// Whether `m` is still true and may go now (core check_delivery against the world).
  virtual delivery_decision check(const send_message& m, time_point now) const = 0;
  /// Marks the row sent and records what its delivery changes, together. Throws store_error.
  virtual void delivered(const outbox_row& row, time_point now) = 0;
  /// Marks the row withdrawn and records the audit line, together. Throws store_error.
  virtual void withdrawn(const outbox_row& row, const std::string& reason, time_point now) = 0;
  /// Marks the row failed and records the audit line the facilitators see (`outbox.failed`:
  /// where it was going and why), together. Throws store_error.
  virtual void failed(const outbox_row& row, const std::string& reason, time_point now) = 0;
};

}  // namespace tandem
