#include "adapters/matrix/matrix_sync_loop.h"

#include "adapters/http/http_types.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <exception>
#include <memory>
#include <set>

namespace tandem::matrix {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view next_batch_key = "matrix.next_batch";
constexpr std::size_t backfill_page_limit = 10000;  // pages of 100 events: a gap of a million events
/// The sync token is stored at most this often (see batch_done).
constexpr milliseconds token_write_interval{250};

/// The room event filter of back-filling: the timeline's types, no limit of its own.
json messages_filter() { return json{{"types", sync_filter()["room"]["timeline"]["types"]}}; }

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
  const bool initial = !since_;
  std::string path = "/sync?filter=" + percent_encode(filter_id_);
  if (initial) {
    path += "&timeout=0";
  } else {
    path += "&timeout=" + std::to_string(tools_.options.sync_timeout.count()) + "&since=" + percent_encode(*since_);
  }
  tools_.api.call_text(
      "GET", path, std::nullopt,
      [this, initial](text_outcome outcome) {
        if (auto* f = std::get_if<request_failure>(&outcome)) return sync_failed(*f);
        sync_response batch;
        try {
          batch = read_sync_response(std::get<answer_text>(outcome).body);
        } catch (const json::exception& e) {
          return sync_failed(
              request_failure{200, "M_BAD_JSON", std::string{"malformed sync response: "} + e.what(), {}, false});
        }
        tools_.status.health = "ok";  // the homeserver answers again (storing the batch may still fail: batch_failed)
        take_batch(std::move(batch), initial);
      },
      initial ? tools_.options.initial_sync_request_timeout : tools_.options.sync_request_timeout);
}

void sync_loop::sync_failed(const request_failure& f) {
  if (tools_.status.stopping) return;
  if (f.is(401)) {
    parts_.token_refused(f);
    if (!tools_.status.ready) return;  // signing in again restarts the loop
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

void sync_loop::take_batch(sync_response batch, bool initial) {
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
  if (initial) {
    // A new account's history is not acted on: only its token is kept.
    tools_.context.log("info", "matrix: first sync; earlier messages are not acted on");
    return batch_done(batch.next_batch, true);
  }
  std::vector<std::pair<std::string, std::string>> limited;  // (room, prev_batch)
  for (const auto& [room_id, joined] : batch.join) {
    if (joined.timeline.limited && !joined.timeline.prev_batch.empty()) {
      limited.emplace_back(room_id, joined.timeline.prev_batch);
    }
    for (const auto& e : joined.state.events) {
      if (e.type == "m.room.encryption") parts_.notices.room_is_encrypted(room_id, e.sender);
    }
  }
  if (limited.empty()) return store_batch(std::move(batch), {});
  auto shared = std::make_shared<sync_response>(std::move(batch));
  boost::asio::co_spawn(tools_.context.io(), backfill(std::move(limited), *since_),
                        tools_.context.guard([this, shared](std::exception_ptr e, std::optional<gap_events> gaps) {
                          if (e) std::rethrow_exception(e);
                          if (!gaps) return batch_failed();
                          store_batch(std::move(*shared), std::move(*gaps));
                        }));
}

/// Fills the gap of each limited room: /messages forwards from the previous `since` to the
/// timeline's `prev_batch`, page after page, until the server has nothing more.
boost::asio::awaitable<std::optional<sync_loop::gap_events>> sync_loop::backfill(
    std::vector<std::pair<std::string, std::string>> rooms, std::string since) {
  gap_events collected;
  for (const auto& [room_id, prev_batch] : rooms) {
    auto& into = collected[room_id];
    std::string from = since;
    for (std::size_t page = 0;; ++page) {
      if (page == backfill_page_limit) {
        tools_.context.log(
            "error", "matrix: gap in " + room_id + " still open after " + std::to_string(page) + " pages; continuing");
        break;
      }
      const std::string path =
          "/rooms/" + percent_encode(room_id) + "/messages?dir=f&limit=100&from=" + percent_encode(from) +
          "&to=" + percent_encode(prev_batch) + "&filter=" + percent_encode(messages_filter().dump());
      call_outcome outcome = co_await tools_.api.co_call("GET", path, std::nullopt);
      if (const auto* f = std::get_if<request_failure>(&outcome)) {
        tools_.context.log("warn", "matrix: back-filling " + room_id + " failed: " + f->describe());
        co_return std::nullopt;
      }
      std::optional<messages_response> answer;
      try {
        answer = take_messages_response(std::move(std::get<json>(outcome)));
      } catch (const json::exception&) {
        answer.reset();
      }
      if (!answer) {
        tools_.context.log("warn", "matrix: malformed /messages answer for " + room_id);
        co_return std::nullopt;
      }
      for (auto& e : answer->chunk.events) {
        if (e.room_id.empty()) e.room_id = room_id;
        into.push_back(std::move(e));
      }
      if (answer->chunk.events.empty() || !answer->end || *answer->end == from || *answer->end == prev_batch) break;
      from = *answer->end;
    }
  }
  co_return collected;
}

/// The batch's events, each room's gap before its timeline, once each, to the feed.
void sync_loop::store_batch(sync_response batch, gap_events gaps) {
  std::vector<client_event> events;
  std::set<std::string> seen;
  for (auto& [room_id, joined] : batch.join) {
    auto& gap = gaps[room_id];
    for (auto* list : {&gap, &joined.timeline.events.events}) {
      for (auto& e : *list) {
        if (seen.insert(e.event_id).second) events.push_back(std::move(e));
      }
    }
  }
  parts_.feed.process(std::move(events), [this, next = batch.next_batch](bool stored) {
    if (!stored) return batch_failed();
    // Stored: the runtime sends the replies the batch caused as soon as this returns; the
    // token's own durable write waits for the next turn, so it does not delay them.
    boost::asio::post(tools_.context.io(), tools_.context.guard([this, next] { batch_done(next, false); }));
  });
}

/// Every event of the batch is stored: the next long poll goes out at once, and the token is
/// stored durably after it. A first sync's token is stored before anything else happens (a
/// store without one would take the next start for a first sync and skip what came between);
/// later ones at most every `token_write_interval`, so a flood costs one durable write per
/// quarter second instead of one per batch. A crash before the write only offers stored events
/// again, which their event ids recognise.
void sync_loop::batch_done(const std::string& next_batch, bool initial) {
  if (initial) {
    try {
      tools_.state.put(next_batch_key, next_batch);
    } catch (const std::exception& e) {
      tools_.context.log("error", std::string{"matrix: cannot store the sync token: "} + e.what());
      return batch_failed();
    }
    saved_token_ = next_batch;
    last_token_write_ = std::chrono::steady_clock::now();
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
  if (!since_ || since_ == saved_token_) return;
  try {
    tools_.state.put(next_batch_key, *since_);
    saved_token_ = since_;
  } catch (const std::exception& e) {
    tools_.context.log(
        "error",
        std::string{"matrix: cannot store the sync token (events already stored may be offered again): "} + e.what());
  }
  last_token_write_ = std::chrono::steady_clock::now();
  save_token_soon();  // after a failure: again after the interval
}

void sync_loop::batch_failed() {
  if (tools_.status.health == "ok") tools_.status.health = "reconnecting";
  after(timer_, tools_.context, tools_.status, tools_.backoff.after(++failures_), [this] { sync_once(); });
}

}  // namespace tandem::matrix
