#pragma once
// How a task is shown in messages: the values templates use for it.

#include "model.h"

#include <nlohmann/json.hpp>

#include <string>

namespace tandem {

/// `number`, `title`, `due` (the day in the assignee's zone, else `fallback_zone`), `status`,
/// `note`, `assignee` (a name), `overdue`.
nlohmann::json task_view(const world& w, const task& t, time_point now, const std::string& fallback_zone);

/// The assignee's name, or the organization's when the task is an organization's.
std::string assignee_label(const world& w, const task& t);

/// The people a task's messages go to: its assignee, or its organization's representatives.
std::vector<const person*> task_recipients(const world& w, const task& t);

}  // namespace tandem
