#pragma once
// What each dashboard page shows, as plain values: pure functions of the world, the viewer and
// `now`, like the rest of the core. Adapters lay them out (adapters/web); nothing here knows HTML.
// Times are instants; the layout writes them in the viewer's zone.

#include "core/dashboard.h"
#include "core/model.h"
#include "core/reports.h"
#include "core/store.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

/// One organization on the overview.
struct organization_summary {
  std::string id;
  std::string name;
  int people = 0;         ///< active members
  int people_active = 0;  ///< of those, with a response this month
  std::optional<double> response_rate;          ///< answered / nudges this month, 0..1; none without nudges
  std::optional<double> median_response_hours;  ///< this month
  /// The last six months, oldest first: (month, response rate when there were nudges).
  std::vector<std::pair<std::string, std::optional<double>>> trend;
  int open_tasks = 0;     ///< not closed (overdue and blocked ones included)
  int overdue_tasks = 0;
  int blocked_tasks = 0;
  std::optional<double> pulse;  ///< the latest month's average pulse score (1..5), if any was given
  std::string pulse_month;      ///< that month
  /// The last six months' average pulse, oldest first (for the trend).
  std::vector<std::pair<std::string, std::optional<double>>> pulse_trend;
};

/// A current silence with what the ladder has tried.
struct silence_summary {
  silence_subject subject = silence_subject::person;
  std::string id;
  std::string name;          ///< person or organization name
  std::string organization;  ///< a person's organization id
  std::string organization_name;
  time_point since{};        ///< flagged at
  time_point last_heard{};
  std::optional<time_point> told_person;
  std::optional<time_point> in_digest;
  std::optional<time_point> told_alternate;
};

/// One organization's place in an approval round.
struct round_cell {
  std::string organization;
  std::string organization_name;
  approval_state state = approval_state::asked;
  std::string by;  ///< who answered (name), empty while asked
  std::optional<time_point> at;
  std::string note;
  std::optional<time_point> expected;  ///< `checking … until`
};

/// An approval round with its organization × state grid.
struct round_summary {
  approval_round round;
  std::string opened_by;  ///< the name of who opened it
  std::vector<round_cell> cells;  ///< one per organization asked, in the round's order
};

/// A calendar event as pages list it.
struct event_summary {
  std::int64_t number = 0;
  std::chrono::sys_days day{};
  std::string title;
  std::string organization;
  std::string organization_name;  ///< empty for an event of a facilitator without organization
  std::vector<std::string> topics;
  std::string audience;
  std::vector<std::int64_t> clashes;  ///< the events it clashes with
};

/// The overview of one collaboration.
struct overview_page {
  std::string collaboration_name;
  std::vector<organization_summary> organizations;  ///< in id order; a representative sees only theirs
  std::vector<silence_summary> silences;            ///< current ones, longest first
  std::vector<round_summary> open_rounds;           ///< oldest first
  std::vector<event_summary> next_events;           ///< the next two weeks, from the viewer's today
};

/// The overview for `viewer` at `now`.
overview_page overview(const world& w, const dashboard_viewer& viewer, time_point now);

/// A member as the people page lists them.
struct person_row {
  std::string id;
  std::string name;
  std::string organization;  ///< id; empty for a facilitator without one
  std::string organization_name;
  std::set<role> roles;
  tier tier_value = tier::active;
  std::string time_zone;
  std::optional<quiet_hours> quiet;  ///< their own; none: the installation's default
  std::optional<time_point> paused_until;
  std::optional<time_point> last_response;
  std::optional<time_point> silent_since;
};

/// How the people page is filtered and sorted (query parameters).
struct people_query {
  std::string organization;  ///< empty: all the viewer may see
  std::string sort = "name";  ///< name, organization, last_response (oldest first), silence
};

/// The active members the viewer may see, filtered and sorted.
std::vector<person_row> people_rows(const world& w, const dashboard_viewer& viewer, const people_query& q);

/// A task as the tasks page lists it (its history is read from the store on demand).
struct task_row {
  std::int64_t number = 0;
  std::string title;
  std::string assignee;  ///< a name, or the organization's name
  std::string assignee_ref;  ///< "@person" or "org:id", as commands write it
  task_status status = task_status::open;
  bool overdue = false;
  std::optional<std::chrono::sys_days> due;
  std::string note;
  time_point updated_at{};
};

/// How the tasks page is filtered.
struct tasks_query {
  std::string state = "open";  ///< open (not closed), overdue, blocked, done, cancelled, all
  std::string organization;    ///< tasks of this organization or its people
  std::string person;          ///< tasks of this person
};

/// The tasks the viewer may see (a representative: their organization's and its people's),
/// filtered, soonest due first (no due date last), then by number.
std::vector<task_row> task_rows(const world& w, const dashboard_viewer& viewer, const tasks_query& q,
                                time_point now);

/// Every round of the collaboration the viewer may see (a representative: those asking their
/// organization), newest first.
std::vector<round_summary> round_rows(const world& w, const dashboard_viewer& viewer);

/// A month of the shared calendar.
struct calendar_month {
  date::year_month month;
  std::vector<event_summary> events;  ///< in date order
};

/// The events of `month` in the viewer's collaboration, with their clashes.
calendar_month calendar_page(const world& w, const dashboard_viewer& viewer, date::year_month month);

/// The outcome report rows the viewer may see, the last six months through `now`'s month.
std::vector<outcome_row> report_rows(const world& w, const dashboard_viewer& viewer, time_point now);

/// One page of the audit log, newest first.
struct audit_page {
  std::vector<audit_entry> entries;
  int page = 1;
  int pages = 1;  ///< at least 1
  std::size_t total = 0;  ///< entries matching the filter
};

/// How the audit page is filtered and paged.
struct audit_query {
  std::string kind;    ///< an action or its prefix ("task" matches "task.assign"); empty: all
  std::string person;  ///< the actor; empty: all
  int page = 1;
};

/// Lines of the audit log shown per page.
inline constexpr int audit_page_size = 50;

/// Reads a page of audit lines from the store (`store::audit_page`): the world keeps only recent ones.
using audit_reader = std::function<audit_lines(const audit_selection& which, std::size_t offset, std::size_t limit)>;

/// The collaboration's audit lines matching `q`, one page of them, read through `read`; a page
/// past the last is the last.
audit_page audit_rows(const dashboard_viewer& viewer, const audit_query& q, const audit_reader& read);

}  // namespace tandem
