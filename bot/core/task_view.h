#pragma once
// How a task is shown in messages: the values templates use for it.

#include "core/model.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tandem {

/// The zone in which a task's due date ends, for its timing only (the date itself never moves):
/// its assignee's zone, or for an organization's task the zone of the facilitator who assigned it
/// (they gave the date, and one deadline serves all its representatives). Nothing when neither
/// person is known.
std::optional<std::string> due_zone(const world& w, const task& t);

/// When a task's due date is over: the last second of that day in its `due_zone` (UTC when it has
/// none). Nothing for a task without a due date. Follows the zone of the assignee as it is now, so
/// an assignee who moves is reminded at their own local times; the date shown does not change.
std::optional<time_point> due_deadline(const world& w, const task& t);

/// True when the task is not closed and its due date's deadline is before `now`.
bool is_overdue(const world& w, const task& t, time_point now);

/// `number`, `title`, `due` (the due date as given, the same for every reader), `status`, `note`,
/// `assignee` (a name), `overdue`.
nlohmann::json task_view(const world& w, const task& t, time_point now);

/// The assignee's name, or the organization's when the task is an organization's.
std::string assignee_label(const world& w, const task& t);

/// The people a task's messages go to: its assignee, or its organization's representatives.
std::vector<const person*> task_recipients(const world& w, const task& t);

}  // namespace tandem
