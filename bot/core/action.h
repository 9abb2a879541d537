#pragma once
// Decisions of the core, as values: state changes and messages to send. The store applies them
// in one transaction; `apply_to_world` applies the same ones to the in-memory world.

#include "core/message.h"
#include "core/model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem {

/// Where a message goes: a conversation on a platform, or a person's DM when `conversation` is empty.
struct destination {
  std::string platform;
  std::string workspace;
  std::string conversation;  ///< empty: open (or reuse) a DM with `user`
  std::string user;          ///< platform user id of the recipient (DMs, ephemeral replies)
  std::string person;        ///< Tandem person id of the recipient, when known
  std::string language = "en";
  std::string reply_handle;  ///< for replies: the inbound event's reply handle (opaque to the core)
  bool operator==(const destination&) const = default;
};

/// A message about a task: true while the task is open, with the assignee and due date it had.
struct about_task {
  std::int64_t number = 0;
  std::string assignee;  ///< task_assignee() when decided
  decltype(task::due) due;
  bool operator==(const about_task&) const = default;
};

/// A message about an approval round: true while the round is open and `organization` has not
/// given its final answer; when `to_answerer`, also only while the recipient still answers for it.
struct about_approval {
  std::int64_t number = 0;
  std::string organization;
  bool to_answerer = false;
  bool operator==(const about_approval&) const = default;
};

/// A message about one episode of silence: true while that episode lasts.
struct about_silence {
  silence_subject subject = silence_subject::person;
  std::string id;
  int episode = 0;
  bool operator==(const about_silence&) const = default;
};

/// A nudge: rendered again from the world at delivery, and counted as sent only once delivered.
struct about_nudge {
  bool operator==(const about_nudge&) const = default;
};

/// What a message is about, so that it can be checked again just before it is delivered
/// (core/delivery.h). With `collaboration` set, a person recipient must still be an active member
/// of it. The default is about nothing: such a message stays true.
struct message_subject {
  std::string collaboration;
  std::variant<std::monostate, about_task, about_approval, about_silence, about_nudge> what;
  bool operator==(const message_subject&) const = default;
};

/// An outbox row: delivered at least once by the dispatcher, created at most once per key.
struct send_message {
  std::string key;  ///< idempotency key, e.g. "reply:<dedup key>:0", "nudge:<person>:<slot>"
  destination to;
  message body;
  time_point not_before{};
  message_subject about{};  ///< checked again at delivery; see core/delivery.h
  bool operator==(const send_message&) const = default;
};

/// A direct message to `p` on the platform where Tandem reaches them (their first identity), not
/// before `not_before`. Nothing for a person without identities.
std::optional<send_message> direct_message(const person& p, std::string key, message body, time_point not_before,
                                           message_subject about = {});

/// Who a task is assigned to, as a message_subject keeps it: the person id, or "org:<id>".
std::string task_assignee(const task& t);
/// The subject of a message about `t` as it stands.
message_subject subject_of(const task& t);

/// The subject as JSON, for the outbox row, and back; a missing or unknown form reads as about
/// nothing.
nlohmann::json subject_to_json(const message_subject& about);
message_subject subject_from_json(const nlohmann::json& json);

/// The idempotency key of reply number `index` to the inbound event with `dedup_key`.
std::string reply_key(std::string_view dedup_key, int index);
/// The idempotency key of what the inbound event with `dedup_key` tells `person` directly.
std::string notification_key(std::string_view dedup_key, std::string_view person);
/// True for reply keys: made from one inbound event alone (a replay of that event makes the same
/// key again, no other event ever makes it), for a reply that goes back where the event came from.
bool is_reply_key(std::string_view key);

struct save_collaboration { collaboration value; bool operator==(const save_collaboration&) const = default; };
struct save_organization { organization value; bool operator==(const save_organization&) const = default; };
struct save_person { person value; bool operator==(const save_person&) const = default; };
struct save_membership { membership value; bool operator==(const save_membership&) const = default; };
struct save_tier_policy { tier which; tier_policy value; bool operator==(const save_tier_policy&) const = default; };
struct save_task { task value; bool operator==(const save_task&) const = default; };

/// A line in a task's history (task_updates table).
struct record_task_update {
  std::int64_t task = 0;
  task_status status = task_status::open;
  std::string note;
  std::string by;
  time_point at{};
  bool operator==(const record_task_update&) const = default;
};

struct record_audit { audit_entry value; bool operator==(const record_audit&) const = default; };

struct save_event { calendar_event value; bool operator==(const save_event&) const = default; };
/// A nudge was decided for `person` in `collaboration` (outcome reports count the answers).
struct record_nudge {
  std::string collaboration;
  std::string person;
  time_point sent{};
  bool operator==(const record_nudge&) const = default;
};
struct save_pulse { pulse_answer value; bool operator==(const save_pulse&) const = default; };
/// A collaboration-wide round ("events", "pulse") was decided for `period`.
struct save_round {
  std::string collaboration;
  std::string round;
  std::string period;
  bool operator==(const save_round&) const = default;
};
/// A collaboration's secret token for `purpose` ("calendar", "export"), generated outside the core.
struct save_secret {
  std::string collaboration;
  std::string purpose;
  std::string value;
  bool operator==(const save_secret&) const = default;
};

/// Someone was heard from; the store already has the response row, the world needs the time.
struct note_activity {
  std::string person;              ///< empty: someone Tandem does not know (only the room counts)
  time_point at{};
  std::string room_collaboration;  ///< the collaboration whose room it was said in; empty for a DM
  bool answers_nudge = false;      ///< it answers an open nudge of the person (see answers_a_nudge)
  /// A read-only command (see counts_as_response): the person is present (last and recent
  /// responses, for silence detection; it still answers a nudge, which asked them to look) but
  /// it is no response to count (not in recent answers or monthly responses: digests and reports).
  bool presence_only = false;
  std::string response_key{};  ///< the dedup key of the inbound event it is: the store marks its row as presence
  bool operator==(const note_activity&) const = default;
};

/// Whether a response of `person` at `at` answers a nudge: the latest nudge of one of their
/// collaborations, sent by then and not answered yet.
bool answers_a_nudge(const world& w, const std::string& person, time_point at);

/// A person's time zone as their chat platform reports it (core/time_zones.h decides when), kept
/// only while their zone is still the default: a zone someone gave is never replaced by it.
struct learn_time_zone {
  std::string person;
  std::string zone;  ///< a zone of the tz database
  bool operator==(const learn_time_zone&) const = default;
};

/// A dashboard sign-in link was made (or used: `used` set).
struct save_sign_in { sign_in_grant value; bool operator==(const save_sign_in&) const = default; };
/// A dashboard session was opened, seen again, or ended.
struct save_session { dashboard_session value; bool operator==(const save_session&) const = default; };

/// The core decided to give `grant.person` a sign-in link (`dashboard`) but cannot make its
/// secret: the host completes it (core/dashboard.h `complete_sign_ins`) into a `save_sign_in` with
/// the token's hash and `reply` with the link, before anything is stored. Never stored itself.
struct issue_sign_in {
  sign_in_grant grant;  ///< without token_hash
  send_message reply;   ///< its values get "link"
  bool operator==(const issue_sign_in&) const = default;
};

/// The core decided to replace a collaboration's token for `purpose` ("calendar", "export";
/// `token rotate`) but cannot make a secret: the host completes it (core/collaboration_secrets.h
/// `complete_rotations`) into a `save_secret` with a fresh token and `reply` with the new link,
/// before anything is stored. Never stored itself.
struct rotate_secret {
  std::string collaboration;
  std::string purpose;
  send_message reply;  ///< its values get the new link: "feed_url", or "csv_url" and "json_url"
  bool operator==(const rotate_secret&) const = default;
};

struct save_approval { approval_round value; bool operator==(const save_approval&) const = default; };
struct save_engagement { engagement value; bool operator==(const save_engagement&) const = default; };
struct save_silence { silence value; bool operator==(const save_silence&) const = default; };

/// The engine ran its schedules up to `at`, and learned when the members it looked at next need a
/// look (`wakes`, for the world's wake_index: kept in memory, not stored).
struct record_tick {
  time_point at{};
  std::vector<std::pair<member_key, std::optional<time_point>>> wakes{};
  bool looked_at_everyone = false;  ///< `wakes` covers every active member: the index is complete
  bool operator==(const record_tick&) const = default;
};

using action = std::variant<send_message, save_collaboration, save_organization, save_person,
                            save_membership, save_tier_policy, save_task, record_task_update,
                            record_audit, note_activity, save_engagement, save_silence, record_tick, save_event,
                            record_nudge, save_pulse, save_round, save_secret, save_approval, learn_time_zone,
                            save_sign_in, save_session, issue_sign_in, rotate_secret>;

/// Records that `person` responded at `at` (last response, recent responses and answers, monthly count).
void note_response(world& w, const std::string& person, time_point at);
/// Records that `person` was present at `at` without answering: their last and recent responses
/// (what silence detection reads), not their answers or monthly count (what figures count).
void note_presence(world& w, const std::string& person, time_point at);

/// Applies the state changes among `actions` to `w` (messages are not state). Pure.
void apply_to_world(world& w, const std::vector<action>& actions);

}  // namespace tandem
