#pragma once
// The domain model: plain values, no I/O. Everything the engine decides from lives in `world`.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <ranges>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace tandem {

/// Every instant in Tandem is a UTC time point with second precision.
using time_point = std::chrono::sys_seconds;

enum class role { facilitator, representative, alternate, participant };
enum class tier { core, active, informed, observer };
/// Where a task stands. `done` and `cancelled` close it (see `is_closed`): a closed task is not
/// reminded, never overdue, not in nudges, and takes no progress until it is reopened.
enum class task_status { open, in_progress, blocked, done, cancelled };

/// True for `done` and `cancelled`: the states that only `reopen` leaves.
constexpr bool is_closed(task_status s) { return s == task_status::done || s == task_status::cancelled; }

/// A person's account on one platform: Slack user in a workspace, Matrix user, console name.
struct identity {
  std::string platform;   ///< "console", "slack", "matrix", "webhook"
  std::string workspace;  ///< Slack team id, Matrix homeserver, webhook name; empty for console
  std::string user;       ///< platform user id
  auto operator<=>(const identity&) const = default;
};

/// When a person does not want to be reached, as local minutes after midnight; may wrap midnight.
/// A span that starts where it ends is empty: no quiet hours at all (`quiet off`).
struct quiet_hours {
  int start_minute = 0;
  int end_minute = 0;
  bool empty() const { return start_minute == end_minute; }
  auto operator<=>(const quiet_hours&) const = default;
};

/// No quiet hours: what `quiet off` chooses.
inline constexpr quiet_hours no_quiet_hours{};

/// Where a person's time zone came from, which decides what may replace it.
enum class zone_origin {
  defaulted,  ///< nobody gave one: the default (UTC), or the zone of whoever added them by command
  given,      ///< the config's `tz`, or the `tz` command: never replaced by a learned zone
  learned,    ///< read from their chat platform's profile (Slack users.info) while it was defaulted
};

/// A human, installation-wide; may belong to several collaborations.
struct person {
  std::string id;
  std::string name;
  std::string time_zone = "UTC";  ///< IANA zone name, validated when set
  std::string language = "en";
  std::optional<quiet_hours> quiet;  ///< their own choice; nothing: the installation's default (engine_settings)
  std::optional<time_point> paused_until;
  std::vector<identity> identities;  ///< first one is where Tandem reaches the person
  zone_origin time_zone_origin = zone_origin::defaulted;  ///< whether `time_zone` was given, learned or assumed
  bool operator==(const person&) const = default;
};

struct organization {
  std::string collaboration;
  std::string id;
  std::string name;
  bool operator==(const organization&) const = default;
};

/// A person's place in one collaboration.
struct membership {
  std::string collaboration;
  std::string person;
  std::string organization;  ///< empty for a facilitator without organization
  std::set<role> roles;
  enum tier tier = tier::active;
  bool active = true;        ///< false once removed or handed over; history stays
  bool operator==(const membership&) const = default;
};

/// A chat room that belongs to a collaboration (commands there apply to it).
struct room {
  std::string platform;
  std::string workspace;
  std::string id;
  auto operator<=>(const room&) const = default;
};

struct collaboration {
  std::string id;
  std::string name;
  bool record_full_text = false;  ///< keep text of messages not addressed to Tandem (PRODUCT "Privacy")
  std::vector<room> rooms;
  bool operator==(const collaboration&) const = default;
};

/// How often and how closely a tier is contacted.
struct tier_policy {
  std::string schedule;                  ///< e.g. "weekly mon 09:00"
  std::chrono::seconds silence_after{};  ///< silent when the last response is older
  std::chrono::seconds recently_active{};///< not nudged when a response is newer
  bool operator==(const tier_policy&) const = default;
};

/// A piece of work assigned to a person or to an organization; numbered per installation.
struct task {
  std::int64_t number = 0;
  std::string collaboration;
  std::string title;
  std::string assignee_person;        ///< set when assigned to a person
  std::string assignee_organization;  ///< set when assigned to an organization
  /// The calendar date given at assignment (or by `due N DATE`): a fact that no time zone moves,
  /// shown the same to everyone. When it passes is decided by `due_deadline` (task_view.h).
  std::optional<std::chrono::sys_days> due;
  task_status status = task_status::open;
  std::string note;                   ///< latest progress note or blocking reason
  std::string created_by;
  time_point created_at{};
  time_point updated_at{};
  bool reminded_before = false;  ///< the reminder before the due date was decided
  bool reminded_on_due = false;  ///< the reminder on the due date was decided
  bool escalated = false;        ///< the facilitators were told it is overdue
  bool operator==(const task&) const = default;
};

/// How an approval round's result is computed (chosen when it opens).
enum class approval_rule { all, majority, no_objection };
/// Where one organization stands in an approval round: the first three are still pending.
enum class approval_state { asked, acknowledged, checking, approved, abstained, objected };

/// One organization's answer in an approval round, as its representatives gave it.
struct approval_answer {
  std::string organization;
  approval_state state = approval_state::asked;
  std::string by;                      ///< person id of who answered last; empty while asked
  std::optional<time_point> at;        ///< when they did
  std::string note;                    ///< approve/abstain note, objection reason
  std::optional<time_point> expected;  ///< `checking ... until DATE`: the end of that day
  bool reminded_expected = false;      ///< the reminder before `expected` was decided
  bool reminded_deadline = false;      ///< the reminder before the deadline was decided
  bool escalated = false;              ///< the alternate and facilitators were told it is late
  bool operator==(const approval_answer&) const = default;
};

/// An approval round (`A<n>`), numbered per installation; answered per organization.
struct approval_round {
  std::int64_t number = 0;
  std::string collaboration;
  std::string title;
  std::string link;
  approval_rule rule = approval_rule::all;
  time_point deadline{};
  std::string opened_by;
  time_point opened_at{};
  std::optional<time_point> closed_at;
  std::string closed_by;  ///< person id, or "system" at the deadline
  bool approved = false;  ///< the result by its rule, once closed
  std::vector<approval_answer> answers;  ///< one per organization asked
  bool operator==(const approval_round&) const = default;
};

/// The engine's knobs (config `engine:`), with their defaults.
struct engine_settings {
  std::chrono::seconds lateness{std::chrono::hours{6}};         ///< after downtime, older nudges are skipped
  std::chrono::seconds remind_before{std::chrono::hours{48}};   ///< task reminder ahead of the due date
  int reminder_minute = 9 * 60;                                 ///< local time of the due-day reminder
  std::chrono::seconds escalate_after{std::chrono::hours{72}};  ///< silence: tell the alternate after this
  std::chrono::seconds lull_after{std::chrono::days{7}};        ///< collaboration lull: no response in its rooms
  int rhythm_factor = 3;        ///< silent only when also this many times beyond the person's median gap
  std::string digest_schedule = "weekly fri 15:00";  ///< facilitator digest, in each facilitator's zone
  int clash_days = 3;      ///< calendar: events this close with a shared topic or audience clash
  std::string public_url;  ///< base URL others reach the HTTP server at (feed and export links)
  quiet_hours default_quiet{20 * 60, 8 * 60};  ///< quiet hours of everyone who chose none, in their own zone
  /// The weekdays Tandem may reach people on, in their own zone: bit d set for weekday d (0 = Sunday).
  unsigned working_days = 0x7f;
  bool operator==(const engine_settings&) const = default;
};

/// Where a person stands with the schedules of one collaboration.
struct engagement {
  std::string collaboration;
  std::string person;
  std::optional<time_point> next_nudge;   ///< the next nudge slot; empty: to be computed
  std::optional<time_point> held_nudge;   ///< a slot that came during quiet hours or a pause
  std::optional<time_point> next_digest;  ///< facilitators: the next digest slot
  std::optional<time_point> last_digest;  ///< facilitators: when the last digest was decided
  bool operator==(const engagement&) const = default;
};

enum class silence_subject { person, organization, collaboration };

/// One episode of silence: flagged once, ended by the next response.
struct silence {
  std::string collaboration;
  silence_subject subject = silence_subject::person;
  std::string id;  ///< person id, organization id, or the collaboration id for a lull
  int episode = 1;
  time_point since{};       ///< when it was flagged
  time_point last_heard{};  ///< the last response before it
  std::optional<time_point> ended;
  std::optional<time_point> told_person;     ///< ladder step 1: a friendly DM
  std::optional<time_point> in_digest;       ///< ladder step 2: listed in a facilitator digest
  std::optional<time_point> told_alternate;  ///< ladder step 3: the organization's alternate
  bool operator==(const silence&) const = default;
};

/// A planned event or publication on a collaboration's shared communications calendar (`E<n>`),
/// numbered per installation.
struct calendar_event {
  std::int64_t number = 0;
  std::string collaboration;
  std::string organization;  ///< the organization of whoever added it; empty for a facilitator without one
  std::chrono::sys_days day{};
  std::string title;
  std::vector<std::string> topics;  ///< without '#', lower case
  std::string audience;             ///< as written after `audience:`; empty when not given
  std::string added_by;             ///< person id
  time_point added_at{};
  /// When it was taken off the calendar (`event remove`): kept, so that its number is never
  /// reused, but no longer listed, clashing or in the feed.
  std::optional<time_point> removed_at;
  bool operator==(const calendar_event&) const = default;
};

/// A nudge Tandem decided for a person, and their first response after it (outcome reports).
struct nudge_record {
  time_point sent{};
  std::optional<time_point> answered;  ///< set by the first response before the next nudge
  bool operator==(const nudge_record&) const = default;
};

/// A representative's answer to the monthly outcome question (`pulse 1-5 [comment]`).
struct pulse_answer {
  std::string collaboration;
  std::string organization;
  std::string person;
  std::string month;  ///< UTC month answered for, "2026-11"; a second answer that month replaces the first
  int score = 0;      ///< 1..5
  std::string comment;
  time_point at{};
  bool operator==(const pulse_answer&) const = default;
};

/// One line of the audit log: who did what, when.
struct audit_entry {
  time_point at{};
  std::string collaboration;
  std::string actor;   ///< person id, or "config" / "system"
  std::string action;  ///< e.g. "task.assign"
  std::string detail;
  std::string via{};   ///< where the command came from when that matters: "dashboard"; else empty (chat)
  bool operator==(const audit_entry&) const = default;
};

/// The platform name of the web dashboard: its identities' `user` is the Tandem person id of
/// whoever signed in (see core/dashboard.h), and its replies are shown on the next page.
inline constexpr std::string_view dashboard_platform = "dashboard";

/// A personal sign-in link to the dashboard (`dashboard`), stored by the hash of its secret token:
/// single use, valid until `expires`.
struct sign_in_grant {
  std::string token_hash;  ///< hex SHA-256 of the token in the link
  std::string person;
  std::string collaboration;  ///< the collaboration the link opens
  time_point issued{};
  time_point expires{};
  std::optional<time_point> used;
  bool operator==(const sign_in_grant&) const = default;
};

/// A browser signed in to the dashboard, stored by the hash of its cookie's session id.
struct dashboard_session {
  std::string id_hash;  ///< hex SHA-256 of the session id in the cookie
  std::string person;
  std::string collaboration;  ///< the collaboration it was opened for
  time_point started{};
  time_point last_seen{};
  std::optional<time_point> ended;  ///< signed out
  bool operator==(const dashboard_session&) const = default;
};

/// A member of a collaboration: (collaboration, person), the key of memberships and engagements.
using member_key = std::pair<std::string, std::string>;

/// When each member next needs the engine's tick: its next nudge or digest slot, when their silence
/// threshold runs out, when a held nudge may go. It lets a tick visit only the members due instead
/// of everyone. Derived from the rest of the world: the first tick after a start looks at everyone
/// and fills it (`primed`); later ticks record what they learn, and apply_to_world marks a member
/// for a look (`touch`) whenever something the timing depends on changes.
class wake_index {
 public:
  /// False until a tick has looked at every member; then `due` is complete.
  bool primed() const { return primed_; }
  /// The members to look at by `now`: those waking at or before it, and those touched since.
  std::vector<member_key> due(time_point now) const;
  /// Records when a member next needs a look; nothing (`nullopt`) until something touches it.
  void set(const member_key& member, std::optional<time_point> wake);
  /// Asks the next tick to look at the member. Does nothing before the index is primed.
  void touch(const member_key& member);
  /// Forgets everything: the next tick looks at every member again (after a tier policy changes).
  void forget();
  /// Marks the index complete: the tick that called it set every active member.
  void prime() { primed_ = true; }
  /// A cache, not state: worlds compare equal whatever their indexes hold.
  bool operator==(const wake_index&) const { return true; }

 private:
  bool primed_ = false;
  std::set<std::pair<time_point, member_key>> queue_;
  std::map<member_key, time_point> wake_of_;
};

/// The state the engine decides from. Loaded from the store at start, kept current by applying
/// the same actions the store applies. Not thread-safe: owned by the core strand.
struct world {
  std::map<std::string, collaboration> collaborations;
  std::map<std::pair<std::string, std::string>, organization> organizations;  ///< (collab, org)
  std::map<std::string, person> people;
  std::map<std::pair<std::string, std::string>, membership> memberships;      ///< (collab, person)
  std::map<tier, tier_policy> tiers;
  std::map<std::int64_t, task> tasks;
  std::map<std::int64_t, approval_round> approvals;  ///< by number
  std::vector<audit_entry> audit;
  /// person -> last recorded response. Hashed: the engine looks it up for every member on every tick.
  std::unordered_map<std::string, time_point> last_response;
  /// person -> latest times heard from (responses and presence), oldest first: their rhythm.
  std::map<std::string, std::deque<time_point>> recent_responses;
  /// person -> latest responses that count (answers and updates, not read-only commands), oldest
  /// first: the digest's engagement figures.
  std::map<std::string, std::deque<time_point>> recent_answers;
  std::map<std::string, time_point> room_activity;  ///< collaboration -> last response in one of its rooms
  std::map<std::pair<std::string, std::string>, engagement> engagements;  ///< (collab, person)
  /// The latest episode per subject: (collab, subject, id).
  std::map<std::tuple<std::string, silence_subject, std::string>, silence> silences;
  std::map<std::int64_t, calendar_event> events;  ///< the shared calendars, by number
  /// (collab, person) -> the nudges decided for them, oldest first.
  std::map<std::pair<std::string, std::string>, std::vector<nudge_record>> nudges;
  std::map<std::tuple<std::string, std::string, std::string>, pulse_answer> pulses;  ///< (collab, month, person)
  std::map<std::string, std::map<std::string, int>> monthly_responses;  ///< person -> UTC month -> responses
  /// (collab, round) -> the period a collaboration-wide round was last decided for: "events" (the
  /// weekly upcoming-events digest, an ISO week "2026-W48"), "pulse" (the monthly question, "2026-11").
  std::map<std::pair<std::string, std::string>, std::string> rounds;
  /// (collab, purpose) -> a secret token generated once: "calendar" (the .ics feed), "export" (reports).
  std::map<std::pair<std::string, std::string>, std::string> secrets;
  /// Dashboard sign-in links by token hash, and sessions by id hash; only those still usable are
  /// loaded (core/dashboard.h says how long that is).
  std::map<std::string, sign_in_grant> sign_ins;
  std::map<std::string, dashboard_session> sessions;
  std::optional<time_point> last_tick;    ///< when the engine last ran its schedules
  std::optional<time_point> first_tick;   ///< when it first did: silence counts from here for the never-heard
  engine_settings engine;                 ///< from the config
  std::set<std::string> languages{"en"};  ///< languages that have templates
  wake_index wakes;                       ///< who the next tick must look at (derived, in memory only)
  bool operator==(const world&) const = default;
};

/// How many response times per person the world keeps (rhythm, and answers for digest counts).
inline constexpr std::size_t recent_response_count = 64;

std::string_view to_string(role);
std::string_view to_string(tier);
std::string_view to_string(task_status);
std::optional<role> role_from_string(std::string_view);
std::optional<tier> tier_from_string(std::string_view);
std::optional<task_status> task_status_from_string(std::string_view);
std::string_view to_string(silence_subject);
std::optional<silence_subject> silence_subject_from_string(std::string_view);
/// "default", "given", "learned": the names the store keeps.
std::string_view to_string(zone_origin);
std::optional<zone_origin> zone_origin_from_string(std::string_view);

/// The person a platform identity belongs to, if any; on the dashboard, the person it names.
const person* find_person_by_identity(const world&, const identity&);
/// The membership of a person in a collaboration, if any (active or not).
const membership* find_membership(const world&, const std::string& collaboration, const std::string& person);
/// The memberships of one collaboration (active or not), in person id order: the part of
/// `w.memberships` whose key starts with it, found without visiting the other collaborations'.
std::ranges::subrange<std::map<std::pair<std::string, std::string>, membership>::const_iterator> memberships_of(
    const world& w, const std::string& collaboration);
/// True when the person is an active member holding the role in the collaboration.
bool has_role(const world&, const std::string& collaboration, const std::string& person, role);
/// The collaborations a person actively belongs to, in id order.
std::vector<std::string> collaborations_of(const world&, const std::string& person);
/// The collaboration a room belongs to, if any.
std::optional<std::string> collaboration_of_room(const world&, const room&);
/// The task number the next `assign` gets: numbers are never reused.
std::int64_t next_task_number(const world&);
/// The UTC month of an instant, "2026-11": the period of reports and pulses.
std::string month_of(time_point);
/// The first second of a UTC month written as `month_of` writes it ("2026-11"). Throws
/// `std::invalid_argument` for anything else.
time_point start_of_month(std::string_view month);

}  // namespace tandem
