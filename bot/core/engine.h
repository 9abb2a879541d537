#pragma once
// The engagement engine: decides, from the world and one inbound event, what to change and what
// to say. Pure: no I/O, no clock (time comes in as `now`).

#include "core/action.h"
#include "core/inbound.h"
#include "core/model.h"

#include <vector>

namespace tandem {

/// Decides what to do about one recorded inbound event: activity, state changes, audit lines,
/// and replies (each reply keyed by the event's dedup key, so handling it twice sends nothing
/// twice). Every addressed command gets exactly one reply to the sender.
std::vector<action> handle(const world& w, const inbound& event, time_point now);

}  // namespace tandem
