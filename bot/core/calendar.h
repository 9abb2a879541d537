#pragma once
// The shared communications calendar (PRODUCT.md): organizations register planned events and
// publications, clashes are reported at once, a weekly digest invites cross-promotion, and an
// RFC 5545 feed serves the calendar to calendar programs. Pure: world and `now` in, values out.

#include "core/command.h"
#include "core/command_result.h"
#include "core/model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

/// Why two events of a collaboration clash.
enum class clash_kind { same_day, same_topic, same_audience };

/// Another event that clashes with a candidate, with the strongest reason (same day first) and
/// the topic or audience they share.
struct clash {
  std::int64_t other = 0;
  clash_kind kind = clash_kind::same_day;
  std::string shared;  ///< the shared topic or audience; empty for same_day
  bool operator==(const clash&) const = default;
};

/// The events of the candidate's collaboration (other than itself) that clash with it: on the
/// same day, or within `w.engine.clash_days` days sharing a topic or (case-insensitively) the
/// audience. In date order, then by number.
std::vector<clash> find_clashes(const world& w, const calendar_event& candidate);

/// The number the next `event add` gets: numbers are never reused.
std::int64_t next_event_number(const world& w);

/// `event add DATE "title" [#topic…] [audience:…]`, `event move E<n> DATE`, `event remove E<n>`
/// and `events [#topic]` from `sender` in `collaboration`. `event add` saves the event for the
/// sender's organization and reports clashes to the sender (in the reply) and to the
/// collaboration's other facilitators (notices); `event move` checks the clashes again on the new
/// day, the same way. Moving or removing is for whoever added the event and for facilitators.
/// `events` lists what is coming from the sender's today; facilitators also get the feed URL when
/// `private_reply` (the reply is seen by the sender alone: a direct message), and in a room only
/// a word that it comes in a direct message.
command_result run_calendar_command(const world& w, const std::string& collaboration, const person& sender,
                                    const command& c, bool private_reply, time_point now);

/// The tick's part: once per ISO week (from Monday at `engine.reminder_minute` UTC) and
/// collaboration, the facilitators and representatives get the events of the next three weeks,
/// when there are any, inviting cross-promotion. Keys `events:<collab>:<week>:<person>`; the
/// week is recorded with `save_round{collab, "events", week}`.
std::vector<action> weekly_events_digests(const world& w, time_point now);

/// The events of `collaboration` from `from` for `days` days, in date order, as templates show
/// them: number, date, title, org, topics ("#a #b"), audience. For digests and onboarding.
nlohmann::json upcoming_events(const world& w, const std::string& collaboration, std::chrono::sys_days from, int days);

/// The URL of a collaboration's iCalendar feed with its token, or empty when no token exists yet.
std::string calendar_feed_url(const world& w, const std::string& collaboration);
/// The URL of a collaboration's iCalendar feed under `public_url` with `token`.
std::string calendar_feed_url(std::string_view public_url, const std::string& collaboration, const std::string& token);

/// The collaboration's calendar as an RFC 5545 VCALENDAR: one all-day VEVENT per event (UID,
/// DTSTAMP = `now`, DTSTART/DTEND as VALUE=DATE, SUMMARY, CATEGORIES, DESCRIPTION), CRLF line
/// endings, text escaped, lines folded at 75 octets without splitting a UTF-8 character.
std::string calendar_feed(const world& w, const std::string& collaboration, time_point now);

/// `text` escaped as an RFC 5545 TEXT value (backslash, semicolon, comma, newline).
std::string ical_escape(std::string_view text);

/// One content line folded at 75 octets (continuations start with a space), ending in CRLF.
std::string ical_fold(std::string_view line);

}  // namespace tandem
