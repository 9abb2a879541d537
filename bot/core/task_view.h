#pragma once
// How a task is shown in messages: the values templates use for it.

#include "model.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tandem {

/// The zone a task's due date is meant in: its assignee's, or for an organization's task the
/// zone of the facilitator who assigned it.
std::optional<std::string> due_zone(const world& w, const task& t);

/// `number`, `title`, `due` (the day in the task's due zone, else `fallback_zone`), `status`,
/// `note`, `assignee` (a name), `overdue`.
nlohmann::json task_view(const world& w, const task& t, time_point now, const std::string& fallback_zone);

/// The assignee's name, or the organization's when the task is an organization's.
std::string assignee_label(const world& w, const task& t);

/// The people a task's messages go to: its assignee, or its organization's representatives.
std::vector<const person*> task_recipients(const world& w, const task& t);

}  // namespace tandem
