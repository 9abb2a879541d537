#pragma once
// The command grammar shared by every platform (PRODUCT.md "Commands"): text in, a parsed
// command or a parse error (as a message kind with values) out. Pure.

#include "core/message.h"
#include "core/model.h"

#include <date/date.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem {

enum class verb {
  help, tasks, done, progress, blocked, reopen, tier, pause, resume, quiet, tz, lang, events, event_add,
  ack, checking, approve, abstain, object, pulse,
  assign, cancel, reassign, due, nudge, broadcast, silent, status, digest, audit, approval_open, approval_status,
  approval_close, handover, org_add, member_add, member_remove, facilitator_add, report, dashboard,
  members, approvals, event_remove, event_move, token_rotate
};

/// Who may run a command.
enum class audience { everyone, representatives, facilitators, facilitators_and_representatives };

/// A command's entry in the grammar: name as typed, syntax and an example, for help and errors.
struct command_spec {
  verb what;
  std::string_view name;     ///< "approval open"
  std::string_view syntax;   ///< `approval open "title" [to org:a,org:b|all] ...`
  std::string_view example;  ///< `approval open "2027 budget" to all deadline in 2w`
  audience who;
};

/// Every command, in the order help lists them.
const std::vector<command_spec>& command_specs();
const command_spec& spec_of(verb);

/// The most characters (Unicode code points) a task title may have, once trimmed.
inline constexpr std::size_t max_task_title_length = 200;

/// `@ana`, `<@U123>`, `@ana:example.org`: a person as written; `org:city`; `all`.
struct target {
  enum class kind { person, organization, everyone };
  kind what = kind::person;
  std::string ref;  ///< person reference or organization id, without `@`/`org:`
  bool operator==(const target&) const = default;
};

/// False for commands that only read (`status`, `tasks`, `help`, `report`...): they show a person
/// is present, and end a silence, but are no answer to anything, so figures do not count them as
/// responses. True for every other command: answers and updates.
bool counts_as_response(verb);

/// A parsed command. Only the fields its verb uses are set.
struct command {
  verb what = verb::help;
  std::optional<std::string> collaboration;  ///< `in:<id>`
  std::vector<target> targets;               ///< who/old/new, orgs of an approval round
  std::string organization;                  ///< `org add <id>`, `member add ... org:<id>`, `handover org:<id>`
  std::int64_t number = 0;                   ///< task N, approval A3 -> 3, event E7 -> 7, pulse score
  std::string text;                          ///< title, note, reason, name, help topic, tz, lang, topic, URL,
                                             ///< the `tasks` filter (all, overdue, blocked), the token
                                             ///< `token rotate` replaces (feed, export)
  std::optional<date::year_month_day> date;  ///< due (empty in `due N none`), until, since, deadline, event day
  std::optional<enum tier> tier_value;
  std::optional<role> role_value;
  std::optional<quiet_hours> quiet;          ///< `quiet off`: no_quiet_hours
  std::optional<approval_rule> rule;
  std::string link;                          ///< approval link, event audience
  std::string name;                          ///< `member add ... name "Full Name"`
  bool confirmed = false;                    ///< `approval close A3 confirm`
  bool to_representatives = false;           ///< `broadcast "text" to reps`
  bool operator==(const command&) const = default;
};

/// A canonical one-line form of a parsed command, e.g. `assign @ana "Budget" due=2026-12-04`.
std::string describe(const command&);

/// A command that could not be parsed: the error message to send back.
struct parse_error {
  message reply;
};

/// Parses one command. `today` is the sender's local date (for `fri`, `in 3d`). A leading
/// `!tandem` or `/tandem` is ignored. A task title is trimmed, and refused when blank
/// (`error_blank_title`) or longer than `max_task_title_length` (`error_title_too_long`).
std::variant<command, parse_error> parse_command(std::string_view text, date::year_month_day today);

}  // namespace tandem
