#include "adapters/matrix/matrix_sync_loop.h"

#include "adapters/http/http_types.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <exception>
#include <memory>
#include <set>

namespace tandem::matrix {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view next_batch_key = "matrix.next_batch";
/// {"room id": "event id"}: the last event handled in each room (see last_handled_).
constexpr std::string_view last_handled_key = "matrix.last_events";
/// {"since": token, "resync": bool, "rooms": {"room id": /messages token}} (see gap_positions_).
constexpr std::string_view gap_key = "matrix.backfill";
constexpr std::size_t backfill_page_limit = 10000;  // pages of 100 events: a gap of a million events
/// A resync looks back at most this many pages of 100 events for the last event handled in a room.
constexpr std::size_t resync_search_page_limit = 100;
/// The sync token is stored at most this often (see batch_done).
constexpr milliseconds token_write_interval{250};

/// The room event filter of back-filling: the timeline's types, no limit of its own.
json messages_filter() { return json{{"types", sync_filter()["room"]["timeline"]["types"]}}; }

/// The errcodes of a 400 that refuses the `since` token itself (Synapse: M_INVALID_PARAM for a
/// token it cannot read; sliding sync's M_UNKNOWN_POS for a position it forgot).
bool refuses_token(const request_failure& f) {
  return f.is(400) && (f.errcode == "M_UNKNOWN_POS" || f.errcode == "M_INVALID_PARAM");
}

/// A JSON object of strings as a map (anything else in it is skipped); empty when not an object.
std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  }
  return out;
}

}  // namespace

/// Keeps what Tandem reads, plus encrypted events and the encryption state, so that an encrypted
/// room gets a notice instead of silence. The timeline limit is 1,000 rather than the usual 50: a
/// busy room's burst comes in one /sync instead of a `limited` timeline plus pages of /messages
/// (one round trip instead of up to 11). Synapse applies the filter's limit as given
/// (synapse/api/filtering.py sets no maximum).
json sync_filter() {
  return json::parse(R"({
    "presence": {"not_types": ["*"]},
    "account_data": {"types": ["m.direct"]},
    "room": {
      "timeline": {"types": ["m.room.message", "m.reaction", "m.room.member", "m.room.encrypted",
                             "m.room.encryption"], "limit": 1000},
      "state": {"types": ["m.room.encryption"]},
      "ephemeral": {"not_types": ["*"]},
      "account_data": {"not_types": ["*"]}
    }
  })");
}

sync_loop::sync_loop(const session_tools& tools, boost::asio::steady_timer& timer, sync_loop_parts parts)
    : tools_(tools), timer_(timer), parts_(std::move(parts)), token_timer_(tools.context.io()) {}

void sync_loop::begin(std::string filter_id) {
  filter_id_ = std::move(filter_id);
  try {
    since_ = tools_.state.get(next_batch_key);
    saved_token_ = since_;
    last_handled_ = string_map(json::parse(tools_.state.get(last_handled_key).value_or("{}"), nullptr, false));
    last_handled_changed_ = false;
    const json gap = json::parse(tools_.state.get(gap_key).value_or("{}"), nullptr, false);
    if (gap.is_object() && gap.value("since", json()).is_string()) {
      gap_since_ = gap["since"].get<std::string>();
      gap_resync_ = gap.value("resync", false);
      gap_positions_ = string_map(gap.value("rooms", json()));
    }
  } catch (const std::exception& e) {
    // Never take a failed read for a first sync: that would skip events.
    tools_.context.log("error", std::string{"matrix: cannot read the sync token: "} + e.what());
    return after(timer_, tools_.context, tools_.status, tools_.backoff.after(++failures_),
                 [this] { begin(filter_id_); });
  }
  sync_once();
}

void sync_loop::sync_once() {
  if (tools_.status.stopping || !tools_.status.ready) return;
  const sync_kind kind = !since_ ? sync_kind::first : resyncing_ ? sync_kind::resync : sync_kind::next;
  const bool initial = kind != sync_kind::next;
  std::string path = "/sync?filter=" + percent_encode(filter_id_);
  if (initial) {
    path += "&timeout=0";
  } else {
    path += "&timeout=" + std::to_string(tools_.options.sync_timeout.count()) + "&since=" + percent_encode(*since_);
  }
  tools_.api.call_text(
      "GET", path, std::nullopt,
      [this, kind](text_outcome outcome) {
        if (auto* f = std::get_if<request_failure>(&outcome)) return sync_failed(*f);
        sync_response batch;
        try {
          batch = read_sync_response(std::get<answer_text>(outcome).body);
        } catch (const json::exception& e) {
          return sync_failed(
              request_failure{200, "M_BAD_JSON", std::string{"malformed sync response: "} + e.what(), {}, false});
        }
        // The homeserver answers again (storing the batch may still fail: batch_failed).
        if (!resyncing_) tools_.status.health = "ok";
        take_batch(std::move(batch), kind);
      },
      initial ? tools_.options.initial_sync_request_timeout : tools_.options.sync_request_timeout);
}

void sync_loop::sync_failed(const request_failure& f) {
  if (tools_.status.stopping) return;
  if (f.is(401)) {
    parts_.token_refused(f);
    if (!tools_.status.ready) return;  // signing in again restarts the loop
  }
  if (refuses_token(f) && since_ && !resyncing_) {
    // Retrying the same token would fail forever: start over without one, and close each room's
    // gap from the last event handled there (close_gaps).
    tools_.context.log("error", "matrix: the homeserver refused the sync token (" + f.describe() +
                                    "); starting over with a fresh sync and back-filling each room from the last "
                                    "event handled there");
    resyncing_ = true;
    tools_.status.health = "resyncing";
    failures_ = 0;
    return sync_once();
  }
  tools_.context.log("warn", "matrix: /sync failed: " + f.describe());
  if (f.is(429)) {
    tools_.status.health = "rate_limited";
    return after(timer_, tools_.context, tools_.status,
                 milliseconds{f.retry_after.value_or(tools_.options.rate_limit_default)}, [this] { sync_once(); });
  }
  if (tools_.status.health == "ok") tools_.status.health = "reconnecting";
  after(timer_, tools_.context, tools_.status, tools_.backoff.after(++failures_), [this] { sync_once(); });
}

void sync_loop::take_batch(sync_response batch, sync_kind kind) {
  for (const auto& event : batch.account_data) {
    if (event.type == "m.direct") parts_.direct.set(read_direct_rooms(event.content));
  }
  for (const auto& [room_id, invited] : batch.invite) {
    for (const auto& e : invited.invite_state) {
      if (e.type != "m.room.member" || e.state_key != tools_.options.user_id) continue;
      try {
        const auto m = e.content.get<member>();
        if (m.membership == "invite") parts_.invites.note(room_id, e.sender, m.is_direct);
      } catch (const json::exception&) {
        // An invite without membership is no invite.
      }
    }
  }
  if (!batch.invite.empty() && !parts_.invites.save()) return batch_failed();
  if (kind == sync_kind::first) {
    // A new account's history is not acted on: only its token is kept, and where each room stands.
    tools_.context.log("info", "matrix: first sync; earlier messages are not acted on");
    for (const auto& [room_id, joined] : batch.join) note_handled(joined.timeline.events.events);
    return batch_done(batch.next_batch, kind);
  }
  bool gaps = kind == sync_kind::resync;
  for (const auto& [room_id, joined] : batch.join) {
    gaps = gaps || (joined.timeline.limited && !joined.timeline.prev_batch.empty());
    for (const auto& e : joined.state.events) {
      if (e.type == "m.room.encryption") parts_.notices.room_is_encrypted(room_id, e.sender);
    }
  }
  if (!gaps) return store_batch(std::move(batch), kind);
  auto shared = std::make_shared<sync_response>(std::move(batch));
  boost::asio::co_spawn(tools_.context.io(), close_gaps(*shared, kind),
                        tools_.context.guard([this, shared, kind](std::exception_ptr e, bool closed) {
                          if (e) std::rethrow_exception(e);
                          if (!closed) return batch_failed();
                          store_batch(std::move(*shared), kind);
                        }));
}

/// Next batch: each limited room's gap is /messages forwards from the previous `since` (or from
/// where an interrupted back-fill got) to the timeline's `prev_batch`. Resync (no `since`): in
/// each room, the timeline is cut after the last event handled there when it holds it; else the
/// gap runs from the page holding that event (searched backwards, within
/// `resync_search_page_limit` pages) to `prev_batch`. A room with no event handled before is
/// taken as at a first sync: nothing before now is acted on.
boost::asio::awaitable<bool> sync_loop::close_gaps(sync_response& batch, sync_kind kind) {
  const bool resync = kind == sync_kind::resync;
  if (gap_since_ != *since_ || gap_resync_ != resync) {
    gap_since_ = *since_;
    gap_resync_ = resync;
    gap_positions_.clear();
  }
  for (auto& [room_id, joined] : batch.join) {
    auto& timeline = joined.timeline.events.events;
    const bool limited = joined.timeline.limited && !joined.timeline.prev_batch.empty();
    std::optional<std::string> from;
    if (const auto at = gap_positions_.find(room_id); at != gap_positions_.end()) from = at->second;
    std::optional<std::string> skip_through;
    if (resync) {
      const auto handled = last_handled_.find(room_id);
      if (handled == last_handled_.end()) {
        tools_.context.log("warn", "matrix: resync: no event of " + room_id +
                                       " was handled before; its earlier messages are not acted on");
        note_handled(timeline);
        timeline.clear();
        continue;
      }
      const auto in_timeline = std::ranges::find(timeline, handled->second, &client_event::event_id);
      if (in_timeline != timeline.end()) {
        timeline.erase(timeline.begin(), in_timeline + 1);
        continue;
      }
      if (!limited) continue;  // the timeline is all the room has: none of it was handled
      if (!from) {
        from = co_await find_last_handled(room_id, joined.timeline.prev_batch, handled->second);
        if (!from) co_return false;
        skip_through = handled->second;
      }
    } else {
      if (!limited) continue;
      if (!from) from = *since_;
    }
    if (!co_await fill_gap(room_id, std::move(*from), joined.timeline.prev_batch, std::move(skip_through))) {
      co_return false;
    }
  }
  co_return true;
}

boost::asio::awaitable<std::optional<std::string>> sync_loop::find_last_handled(const std::string& room_id,
                                                                                std::string from,
                                                                                const std::string& last_handled) {
  for (std::size_t page = 0; page < resync_search_page_limit; ++page) {
    const std::string path = "/rooms/" + percent_encode(room_id) + "/messages?dir=b&limit=100&from=" +
                             percent_encode(from) + "&filter=" + percent_encode(messages_filter().dump());
    call_outcome outcome = co_await tools_.api.co_call("GET", path, std::nullopt);
    if (const auto* f = std::get_if<request_failure>(&outcome)) {
      tools_.context.log("warn", "matrix: resync: looking back in " + room_id + " failed: " + f->describe());
      co_return std::nullopt;
    }
    std::optional<messages_response> answer;
    try {
      answer = take_messages_response(std::move(std::get<json>(outcome)));
    } catch (const json::exception&) {
      answer.reset();
    }
    if (!answer) {
      tools_.context.log("warn", "matrix: resync: malformed /messages answer for " + room_id);
      co_return std::nullopt;
    }
    auto& events = answer->chunk.events;  // newest first
    const auto handled = std::ranges::find(events, last_handled, &client_event::event_id);
    const bool found = handled != events.end();
    // Paging forwards from this page's far end (its `end`, backwards) gives the page again;
    // fill_gap skips what comes up to the last event handled.
    if (found && answer->end) co_return *answer->end;
    const bool at_start = found || events.empty() || !answer->end || *answer->end == from;
    if (!answer->end && !events.empty()) {
      // The start of the room, with no token before it to page forwards from: what this page
      // holds after the last event handled is stored here, oldest first, and fill_gap goes on
      // from the page's newer side.
      events.erase(handled, events.end());
      std::ranges::reverse(events);
      for (auto& e : events) {
        if (e.room_id.empty()) e.room_id = room_id;
      }
      if (!events.empty()) {
        const std::vector<client_event> newest{events.back()};
        if (!co_await parts_.feed.co_process(std::move(events))) co_return std::nullopt;
        note_handled(newest);
      }
    }
    if (at_start) {
      if (!found) {
        tools_.context.log("warn", "matrix: resync: the last event handled in " + room_id +
                                       " is not in its history; back-filling the whole room");
      }
      co_return from;
    }
    from = *answer->end;
  }
  tools_.context.log("error", "matrix: resync: the last event handled in " + room_id + " is more than " +
                                  std::to_string(resync_search_page_limit * 100) +
                                  " events back; only those are back-filled, older ones are not acted on");
  co_return from;
}

boost::asio::awaitable<bool> sync_loop::fill_gap(const std::string& room_id, std::string from, const std::string& to,
                                                 std::optional<std::string> skip_through) {
  for (std::size_t page = 0;; ++page) {
    if (page == backfill_page_limit) {
      tools_.context.log(
          "error", "matrix: gap in " + room_id + " still open after " + std::to_string(page) + " pages; continuing");
      co_return true;
    }
    const std::string path = "/rooms/" + percent_encode(room_id) + "/messages?dir=f&limit=100&from=" +
                             percent_encode(from) + "&to=" + percent_encode(to) +
                             "&filter=" + percent_encode(messages_filter().dump());
    call_outcome outcome = co_await tools_.api.co_call("GET", path, std::nullopt);
    if (const auto* f = std::get_if<request_failure>(&outcome)) {
      tools_.context.log("warn", "matrix: back-filling " + room_id + " failed: " + f->describe());
      co_return false;
    }
    std::optional<messages_response> answer;
    try {
      answer = take_messages_response(std::move(std::get<json>(outcome)));
    } catch (const json::exception&) {
      answer.reset();
    }
    if (!answer) {
      tools_.context.log("warn", "matrix: malformed /messages answer for " + room_id);
      co_return false;
    }
    auto& events = answer->chunk.events;
    const bool closed = events.empty() || !answer->end || *answer->end == from || *answer->end == to;
    if (skip_through) {
      // The first page repeats the one the last handled event was found in: what comes up to it
      // was handled before.
      const auto handled = std::ranges::find(events, *skip_through, &client_event::event_id);
      if (handled != events.end()) events.erase(events.begin(), handled + 1);
      skip_through.reset();
    }
    if (!events.empty()) {
      for (auto& e : events) {
        if (e.room_id.empty()) e.room_id = room_id;
      }
      const std::vector<client_event> last{events.back()};
      // One page in memory at a time: it is stored before the next is asked for.
      if (!co_await parts_.feed.co_process(std::move(events))) co_return false;
      note_handled(last);
    }
    if (answer->end) {
      gap_positions_[room_id] = *answer->end;
      save_gap_position();
    }
    if (closed) co_return true;
    from = *answer->end;
  }
}

/// The batch's timelines, once each event, to the feed (the gaps before them are stored).
void sync_loop::store_batch(sync_response batch, sync_kind kind) {
  std::vector<client_event> events;
  std::vector<client_event> newest;  // each room's last event, noted as handled once stored
  std::set<std::string> seen;
  for (auto& [room_id, joined] : batch.join) {
    auto& timeline = joined.timeline.events.events;
    if (!timeline.empty()) {
      client_event last;
      last.event_id = timeline.back().event_id;
      last.room_id = room_id;
      newest.push_back(std::move(last));
    }
    for (auto& e : timeline) {
      if (seen.insert(e.event_id).second) events.push_back(std::move(e));
    }
  }
  parts_.feed.process(std::move(events), [this, next = batch.next_batch, kind, newest](bool stored) {
    if (!stored) return batch_failed();
    note_handled(newest);
    // Stored: the runtime sends the replies the batch caused as soon as this returns; the
    // token's own durable write waits for the next turn, so it does not delay them.
    boost::asio::post(tools_.context.io(), tools_.context.guard([this, next, kind] { batch_done(next, kind); }));
  });
}

/// Every event of the batch is stored: the next long poll goes out at once, and the token is
/// stored durably after it. A first sync's token, and a resync's, is stored before anything else
/// happens (a store without one would take the next start for a first sync and skip what came
/// between; a refused one would be refused again); later ones at most every
/// `token_write_interval`, so a flood costs one durable write per quarter second instead of one
/// per batch. A crash before the write only offers stored events again, which their event ids
/// recognise.
void sync_loop::batch_done(const std::string& next_batch, sync_kind kind) {
  if (kind != sync_kind::next) {
    try {
      write_position(next_batch);
    } catch (const std::exception& e) {
      tools_.context.log("error", std::string{"matrix: cannot store the sync token: "} + e.what());
      return batch_failed();
    }
  }
  if (kind == sync_kind::resync) {
    tools_.context.log("warn", "matrix: resynced: every room's gap since the last event handled there is closed");
    resyncing_ = false;
  }
  since_ = next_batch;
  failures_ = 0;
  tools_.status.health = "ok";
  parts_.invites.answer();
  sync_once();
  save_token_soon();
}

/// Stores `since_` when the interval since the last write has passed (on a later turn of the
/// io_context, so the requests already on their way leave first).
void sync_loop::save_token_soon() {
  if (token_write_scheduled_ || tools_.status.stopping || since_ == saved_token_) return;
  token_write_scheduled_ = true;
  const auto due = last_token_write_ + token_write_interval;
  const auto now = std::chrono::steady_clock::now();
  token_timer_.expires_after(due > now ? due - now : std::chrono::steady_clock::duration::zero());
  token_timer_.async_wait(tools_.context.guard([this](const boost::system::error_code& ec) {
    token_write_scheduled_ = false;
    if (!ec) save_token();
  }));
}

void sync_loop::save_token() {
  if (!since_ || (since_ == saved_token_ && !last_handled_changed_)) return;
  try {
    write_position(*since_);
  } catch (const std::exception& e) {
    tools_.context.log(
        "error",
        std::string{"matrix: cannot store the sync token (events already stored may be offered again): "} + e.what());
  }
  save_token_soon();  // after a failure: again after the interval
}

/// The last handled events first: written ahead of the token they belong to, they only make a
/// resync look back less far than it could; behind it, further (what it finds again is stored).
void sync_loop::write_position(const std::string& token) {
  last_token_write_ = std::chrono::steady_clock::now();
  if (last_handled_changed_) {
    tools_.state.put(last_handled_key, json(last_handled_).dump(-1, ' ', false, json::error_handler_t::replace));
    last_handled_changed_ = false;
  }
  if (saved_token_ != token) {
    tools_.state.put(next_batch_key, token);
    saved_token_ = token;
  }
}

void sync_loop::note_handled(const std::vector<client_event>& events) {
  for (const auto& e : events) {
    auto& last = last_handled_[e.room_id];
    if (last == e.event_id) continue;
    last = e.event_id;
    last_handled_changed_ = true;
  }
}

/// After each page of a back-fill: a failure only costs paging again from an earlier position.
void sync_loop::save_gap_position() {
  try {
    tools_.state.put(gap_key, json{{"since", gap_since_}, {"resync", gap_resync_}, {"rooms", gap_positions_}}.dump(
                                  -1, ' ', false, json::error_handler_t::replace));
  } catch (const std::exception& e) {
    tools_.context.log("warn", std::string{"matrix: cannot store where the back-fill stands: "} + e.what());
  }
}

void sync_loop::batch_failed() {
  if (tools_.status.health == "ok") tools_.status.health = "reconnecting";
  after(timer_, tools_.context, tools_.status, tools_.backoff.after(++failures_), [this] { sync_once(); });
}

}  // namespace tandem::matrix
