#include "app/outbox_dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace tandem {
namespace {

/// At most this many rows are read from the store at one look.
constexpr std::size_t rows_per_look = 200;

/// True when retry_delay waits for the platform's hint. The outbox's clock counts whole seconds,
/// so `now` may be up to a second behind the real time: a hinted attempt is put one second
/// later, never before the hint has really passed (a `Retry-After: 2` once came after 1.67 s).
bool honours_hint(std::optional<std::chrono::seconds> hint) { return hint && hint->count() > 0; }

/// The place a row goes to, for keeping one recipient's messages in order.
std::string destination_of(const outbox_row& row) {
  const destination& to = row.item.to;
  return to.platform + '\n' + to.workspace + '\n' + to.conversation + '\n' + to.user;
}

}  // namespace

std::chrono::seconds retry_delay(int attempts, std::optional<std::chrono::seconds> hint) {
  if (honours_hint(hint)) return *hint;
  constexpr std::chrono::seconds cap{5 * 60};
  const int exponent = std::clamp(attempts, 0, 9);
  return std::min(cap, std::chrono::seconds{std::int64_t{1} << exponent});
}

outbox_dispatcher::outbox_dispatcher(store& durable, delivery_gate& gate, const template_catalog& templates,
                                     metrics_registry& metrics, post_function post, clock_function now,
                                     after_sync_function after_sync)
    : store_(durable),
      gate_(gate),
      templates_(templates),
      post_(std::move(post)),
      now_(std::move(now)),
      after_sync_(std::move(after_sync)),
      sent_(metrics.counter("tandem_outbox_sent_total", "Outbox messages delivered.")),
      retries_(metrics.counter("tandem_outbox_retries_total", "Outbox delivery attempts to be retried.")),
      failed_(metrics.counter("tandem_outbox_failed_total", "Outbox messages given up.")),
      held_(metrics.counter("tandem_outbox_held_total", "Outbox messages postponed to their recipient's allowed hour.")),
      withdrawn_(metrics.counter("tandem_outbox_withdrawn_total", "Outbox messages withdrawn as no longer true.")) {}

void outbox_dispatcher::add(outbound_adapter& adapter) { adapters_[adapter.platform()] = &adapter; }

void outbox_dispatcher::expect(time_point due) {
  if (!next_look_ || due < *next_look_) next_look_ = due;
}

void outbox_dispatcher::dispatch_due() {
  const time_point now = now_();
  if (!next_look_ || now < *next_look_) return;
  // The first queued due row of each destination: the others wait for it anyway (one in flight
  // per destination), and a long queue to one place must not fill the look and hide the rest. A
  // delivery that is done at once (the console's) lets the next row of its place go in this look.
  std::set<std::int64_t> looked_at;  // each row once a look, even one that stays due (its mark failed)
  for (bool done_at_once = true; done_at_once;) {
    done_at_once = false;
    const std::vector<outbox_row> due = store_.due_outbox_heads(now, rows_per_look);
    // Rows in flight are pending with a due time already past: their outcome says what comes next.
    next_look_ = due.size() == rows_per_look ? std::optional{now} : store_.next_outbox_attempt_after(now);
    for (const outbox_row& row : due) {
      if (!looked_at.insert(row.id).second) continue;
      if (in_flight_.contains(row.id) || must_wait_its_turn(row)) {
        waiting_turn_.insert(destination_of(row));  // rows may wait behind it: look again when it is back
        continue;
      }
      auto adapter = adapters_.find(row.item.to.platform);
      if (adapter == adapters_.end()) {
        finish(row, delivery_result::failed("no adapter for platform \"" + row.item.to.platform + "\" is running"));
        done_at_once = true;
        continue;
      }
      consider(row, *adapter->second);
      if (in_flight_.contains(row.id)) {
        waiting_turn_.insert(destination_of(row));
      } else {
        done_at_once = true;
      }
    }
  }
}

void outbox_dispatcher::dispatch_written() {
  for (const outbox_row& row : store_.written_outbox(now_(), rows_per_look)) {
    if (in_flight_.contains(row.id)) continue;
    auto adapter = adapters_.find(row.item.to.platform);
    if (adapter == adapters_.end() || !adapter->second->deduplicates_by_key() || !is_reply_key(row.item.key)) continue;
    if (must_wait_its_turn(row)) continue;
    consider(row, *adapter->second);
  }
}

bool outbox_dispatcher::must_wait_its_turn(const outbox_row& row) {
  const std::string to = destination_of(row);
  const auto waiting = retrying_.find(to);
  if (sending_to_.contains(to) || (waiting != retrying_.end() && *waiting->second.begin() < row.id)) {
    waiting_turn_.insert(to);
    return true;
  }
  return false;
}

void outbox_dispatcher::no_longer_retrying(const outbox_row& row) {
  const auto waiting = retrying_.find(destination_of(row));
  if (waiting == retrying_.end() || waiting->second.erase(row.id) == 0) return;
  if (waiting->second.empty()) retrying_.erase(waiting);
  expect(now_());  // the rows it held back are due already
}

void outbox_dispatcher::consider(const outbox_row& row, outbound_adapter& adapter) {
  const time_point now = now_();
  const delivery_decision decision = gate_.check(row.item, now);
  if (const auto* held = std::get_if<hold_until>(&decision)) {
    store_.postpone(row.id, held->until);
    expect(held->until);
    held_.increment();
    no_longer_retrying(row);  // the rows behind it are held by the same rule, or are replies
    return;
  }
  if (const auto* gone = std::get_if<withdraw>(&decision)) {
    no_longer_retrying(row);
    gate_.withdrawn(row, gone->reason, now);
    withdrawn_.increment();
    spdlog::info("outbox {}: withdrawn: {}", row.item.key, gone->reason);
    return;
  }
  const auto& rendered_again = std::get<deliver_now>(decision).rendered_again;
  start(row, rendered_again ? *rendered_again : row.item.body, adapter);
}

void outbox_dispatcher::start(const outbox_row& row, const message& body, outbound_adapter& adapter) {
  rendered_message text;
  try {
    text.markup = templates_.render(body, row.item.to.language);
    for (const answer& a : answers_of(body)) {
      const message label{"answer_label", {{a.kind, true}}};
      text.answers.push_back(labelled_answer{templates_.render(label, row.item.to.language), a});
    }
  } catch (const template_error& e) {
    finish(row, delivery_result::failed(e.what()));
    return;
  }
  in_flight_.insert(row.id);
  sending_to_.insert(destination_of(row));
  adapter.deliver(row.item.to, text, row.item.key, [this, row](delivery_result result) {
    post_([this, row, result = std::move(result)] {
      if (result.what == delivery_result::outcome::ready) return mark_then_write(row, result.write);
      came_back(row, [&] { finish(row, result); });
    });
  });
}

void outbox_dispatcher::came_back(const outbox_row& row, const std::function<void()>& outcome) {
  in_flight_.erase(row.id);
  const std::string to = destination_of(row);
  sending_to_.erase(to);
  outcome();
  if (waiting_turn_.erase(to) > 0) {  // the next row to this destination goes now, not at the next tick
    expect(now_());
    dispatch_due();
  }
}

void outbox_dispatcher::mark_then_write(const outbox_row& row, const write_function& write) {
  try {
    gate_.delivered(row, now_());
  } catch (const store_error&) {
    // Still pending: tried again at the next look, when the adapter may no longer hold it ready.
    came_back(row, [this] { expect(now_()); });
    throw;
  }
  after_sync_([this, row, write](bool durable) {
    if (!durable) {
      // The process stops; whether the mark survives is unknown, so the message is not written.
      came_back(row, [&] { spdlog::error("outbox {}: not written: its sent mark may not be durable", row.item.key); });
      return;
    }
    write([this, row](delivery_result result) {
      post_([this, row, result = std::move(result)] { came_back(row, [&] { written(row, result); }); });
    });
  });
}

void outbox_dispatcher::written(const outbox_row& row, const delivery_result& result) {
  if (result.what == delivery_result::outcome::delivered) {
    sent_.increment();
    no_longer_retrying(row);
    return;
  }
  // Marked sent already, so never tried again: the facilitators see that it did not arrive.
  const std::string reason = "marked sent, then not written: " + result.reason;
  gate_.failed(row, reason, now_());
  failed_.increment();
  no_longer_retrying(row);
  spdlog::error("outbox {}: not delivered: {}", row.item.key, reason);
}

void outbox_dispatcher::finish(const outbox_row& row, const delivery_result& result) {
  const time_point now = now_();
  switch (result.what) {
    case delivery_result::outcome::delivered:
      gate_.delivered(row, now);
      sent_.increment();
      no_longer_retrying(row);
      return;
    case delivery_result::outcome::retry:
      if (row.attempts + 1 < max_delivery_attempts) {
        const auto delay = retry_delay(row.attempts, result.retry_after);
        const time_point due = now + delay + (honours_hint(result.retry_after) ? std::chrono::seconds{1} : std::chrono::seconds{0});
        store_.retry_later(row.id, due, result.reason);
        expect(due);
        retrying_[destination_of(row)].insert(row.id);
        retries_.increment();
        spdlog::warn("outbox {}: {}; retrying in {}s", row.item.key, result.reason, delay.count());
        return;
      }
      gate_.failed(row, "gave up after " + std::to_string(max_delivery_attempts) + " attempts: " + result.reason, now);
      break;
    case delivery_result::outcome::failed:
      gate_.failed(row, result.reason, now);
      break;
    case delivery_result::outcome::ready:  // not an outcome yet: start() has the row marked, then written
      return;
  }
  failed_.increment();
  no_longer_retrying(row);
  spdlog::error("outbox {}: not delivered: {}", row.item.key, result.reason);
}

}  // namespace tandem
