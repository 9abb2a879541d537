#pragma once
// Outcome reports (PRODUCT.md "Measure how collaboration improves outcomes"): per organization
// and UTC month, response rate to nudges, median time to respond, tasks done and on time,
// approval turnaround, people active, and the monthly pulse. Pure: world and `now` in, values out.

#include "core/command.h"
#include "core/command_result.h"
#include "core/model.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

/// One organization's outcomes in one month.
struct outcome_row {
  std::string organization;  ///< id
  std::string organization_name;
  std::string month;                            ///< "2026-11", UTC
  int nudges = 0;                               ///< nudges decided for the organization's people that month
  int answered = 0;                             ///< of those, answered by a response before the next nudge
  std::optional<double> median_response_hours;  ///< over the answered ones
  int tasks_done = 0;                           ///< the organization's tasks (or its people's) done that month
  int tasks_on_time = 0;                        ///< of those, done by their due date (or without one)
  /// Median days from a round's opening to the organization's answer, over answers given that month.
  std::optional<double> approval_turnaround_days;
  int people = 0;         ///< active members now, and former ones active that month
  int people_active = 0;  ///< members with at least one response that month
  int responses = 0;      ///< responses of its members that month
  int pulse_answers = 0;
  std::optional<double> pulse_average;  ///< mean pulse score (1..5) that month
  std::vector<std::string> pulse_comments;
  bool operator==(const outcome_row&) const = default;
};

/// When an organization joined a collaboration: the time of the first audit line that added it
/// (`org.add` by a facilitator, or `config.add` from the config). Nothing when no line says so
/// (a store older than its audit log): then it counts as having always been there.
std::optional<time_point> organization_start(const world& w, const std::string& collaboration,
                                             const std::string& organization);

/// The rows of a collaboration's report from `since_month` ("2026-09") through the month of
/// `now`, month by month, organizations in id order; no rows for an organization in the months
/// before its organization_start. "Responses" are answers and updates; read-only commands are
/// not among them (note_activity::presence_only).
std::vector<outcome_row> outcome_report(const world& w, const std::string& collaboration,
                                        const std::string& since_month, time_point now);

/// The earliest month with anything to report for a collaboration (a nudge, a task, a response
/// of a member, a pulse answer, an event), or the month of `now`.
std::string first_report_month(const world& w, const std::string& collaboration, time_point now);

/// The rows as RFC 4180 CSV (header line, CRLF line endings, fields quoted when needed; text
/// that a spreadsheet would run as a formula is prefixed with an apostrophe).
std::string report_csv(const std::string& collaboration, const std::vector<outcome_row>& rows);

/// The rows as a JSON document: collaboration, since, generated_at, and `rows` with one object
/// per row (absent figures are null).
nlohmann::json report_json(const std::string& collaboration, const std::string& since_month,
                           const std::vector<outcome_row>& rows, time_point now);

/// The URLs of the CSV and JSON exports with the collaboration's export token, or empty strings
/// when no token exists yet.
std::pair<std::string, std::string> export_urls(const world& w, const std::string& collaboration);
/// The URLs of the CSV and JSON exports under `public_url` with `token`.
std::pair<std::string, std::string> export_urls(std::string_view public_url, const std::string& collaboration,
                                                const std::string& token);

/// `report [since DATE]` (facilitators: the report since the month of DATE, by default the last
/// three months, with the export links when `private_reply` (a direct message), and in a room
/// only a word that they come there) and `pulse 1-5 [comment]` (representatives: records their
/// organization's answer for this month; a second answer replaces the first).
command_result run_report_command(const world& w, const std::string& collaboration, const person& sender,
                                  const command& c, bool private_reply, time_point now);

/// The tick's part: on the first of each month from `engine.reminder_minute` UTC, each
/// representative of each collaboration is asked the pulse question (keys
/// `pulse:<collab>:<month>:<person>`), and the month recorded with `save_round{collab, "pulse",
/// month}`. A collaboration seen for the first time only records the month: the first question
/// comes at the next month.
std::vector<action> monthly_pulse(const world& w, time_point now);

}  // namespace tandem
