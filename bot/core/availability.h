#pragma once
// When a person may be contacted: outside their pause and their quiet hours. Pure.

#include "model.h"

namespace tandem {

/// True when `t` falls in the person's quiet hours (in their own zone; a span may cross midnight).
bool in_quiet_hours(const person& p, time_point t);

/// True when the person has paused Tandem past `t`.
bool paused_at(const person& p, time_point t);

/// The first moment at or after `t` when `p` may be contacted: after a pause, outside quiet hours.
time_point first_allowed(const person& p, time_point t);

}  // namespace tandem
