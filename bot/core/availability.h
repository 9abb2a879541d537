#pragma once
// When a person may be contacted: outside their pause, their quiet hours and the days off. Pure.

#include "core/model.h"

namespace tandem {

/// The quiet hours that hold for `p`: their own choice, else the installation's default.
quiet_hours quiet_hours_of(const person& p, const engine_settings& settings);

/// True when `t` falls in the quiet hours that hold for `p` (in their own zone; a span may cross
/// midnight).
bool in_quiet_hours(const person& p, const engine_settings& settings, time_point t);

/// True when `t` falls on a day the installation does not reach people (`engine.working_days`), in
/// the person's own zone.
bool on_a_day_off(const person& p, const engine_settings& settings, time_point t);

/// True when the person has paused Tandem past `t`.
bool paused_at(const person& p, time_point t);

/// True when `p` may be contacted at `t`: not paused, not in quiet hours, not on a day off.
bool reachable_at(const person& p, const engine_settings& settings, time_point t);

/// The first moment at or after `t` when `p` may be contacted (see reachable_at).
time_point first_allowed(const person& p, const engine_settings& settings, time_point t);

}  // namespace tandem
