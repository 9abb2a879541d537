#pragma once
// The SQL stores' `load`: the whole world the engine decides from, read table by table.
// Internal to storage/.

#include "core/model.h"
#include "storage/sql/sql_connection.h"

#include <string_view>

namespace tandem::sql {

/// The setting naming the first month ("2026-12") whose responses are not counted in
/// `response_months` yet (store::count_ended_month): `load_world` counts the responses from then
/// on, and reads the months before from that table.
inline constexpr std::string_view counted_months_setting = "responses.counted_before";

/// The first second of the month that `counted_months_setting` holds; throws `store_error` saying
/// so when it holds anything but a month.
time_point start_of_counted_month(std::string_view value);

/// An audit line from the columns `at, collaboration, actor, action, detail, via`, in that order.
audit_entry audit_entry_of(const row& columns);

/// Reads the world in one read transaction, so that it is a single snapshot; `languages` is left
/// at its default, `last_response` is the latest handled responses row of each person's
/// identities (those not handled yet count once handled), and `audit` holds the lines
/// `audit_window` describes.
/// Throws `store_error` for a value the core does not know or a read that fails.
world load_world(connection& db);

}  // namespace tandem::sql
