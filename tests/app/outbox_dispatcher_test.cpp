#include "app/outbox_dispatcher.h"

#include "app/engine_host.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>
#include <date/date.h>

#include <algorithm>
#include <deque>
#include <map>
#include <utility>

using namespace tandem;
using namespace std::chrono_literals;

namespace {

const time_point start = date::sys_days{date::year{2026} / 11 / 25} + 10h;

/// Answers each delivery with the next scripted result, and remembers what it was given.
class scripted_adapter final : public outbound_adapter {
 public:
  std::deque<delivery_result> results;
  std::vector<std::string> delivered_texts;
  std::vector<std::string> delivered_keys;
  std::vector<rendered_message> delivered;
  std::vector<std::function<void(delivery_result)>> held;  ///< completions not called yet
  std::vector<std::string> delivered_to;  ///< the conversation of each delivery
  /// When set, answers each delivery in place of `results`.
  std::function<delivery_result(const std::string& key)> answer;
  bool hold = false;
  bool deduplicates = false;

  std::string platform() const override { return "test"; }
  bool deduplicates_by_key() const override { return deduplicates; }
  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done) override {
    delivered_texts.push_back(message.markup);
    delivered_keys.push_back(key);
    delivered.push_back(message);
    delivered_to.push_back(to.conversation);
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    if (answer) {
      done(answer(key));
      return;
    }
    auto result = results.empty() ? delivery_result::delivered() : results.front();
    if (!results.empty()) results.pop_front();
    done(result);
  }
};

struct fixture {
  sqlite_store store;
  template_catalog templates = template_catalog::load(tandem::testing::source_tree() / "prompts");
  metrics_registry metrics;
  time_point now = start;
  std::vector<std::function<void()>> posted;
  std::vector<std::function<void(bool)>> waiting_for_sync;
  int syncs = 0;
  engine_host host{store, metrics, templates.languages()};
  outbox_dispatcher dispatcher{store,
                               host,
                               templates,
                               metrics,
                               [this](std::function<void()> f) { posted.push_back(std::move(f)); },
                               [this] { return now; },
                               [this](std::function<void(bool)> then) { waiting_for_sync.push_back(std::move(then)); }};
  scripted_adapter adapter;
  /// The writes of messages the adapter held ready, with the number of syncs before each.
  std::vector<std::pair<std::function<void(delivery_result)>, int>> writes;

  /// `at_sync`: rows are durable only at the store's sync, as in `tandem serve`.
  explicit fixture(sqlite_durability durability = sqlite_durability::at_commit) : store(":memory:", durability) {
    dispatcher.add(adapter);
  }

  /// Puts a message in the outbox due at `due` (default: now) behind the dispatcher's back.
  void put_in_outbox(std::string key, std::optional<time_point> due = std::nullopt, std::string platform = "test") {
    destination to{std::move(platform), "", "room", "u1", "ana", "en", ""};
    store.apply({send_message{std::move(key), to, message{"tier_set", {{"tier", "core"}}}, due.value_or(now)}},
                std::nullopt);
  }
  /// Puts a message in the outbox and tells the dispatcher, as the runtime does.
  void enqueue(std::string key, std::string platform = "test") {
    put_in_outbox(std::move(key), now, std::move(platform));
    dispatcher.expect(now);
  }
  /// Puts a message to `conversation` in the outbox, due now, and tells the dispatcher.
  void enqueue_to(std::string key, std::string conversation) {
    destination to{"test", "", std::move(conversation), "u1", "ana", "en", ""};
    store.apply({send_message{std::move(key), to, message{"tier_set", {{"tier", "core"}}}, now}}, std::nullopt);
    dispatcher.expect(now);
  }
  /// Runs what was posted to the core strand, and what that posts, until nothing is left.
  void run_posted() {
    while (!posted.empty()) {
      auto pending = std::move(posted);
      posted.clear();
      for (auto& f : pending) f();
    }
  }
  outbox_row row(const std::string& key) { return store.outbox_rows(key).at(0); }
  /// Makes the commits durable (unless the disk refuses) and calls what waited for that, as the
  /// sync thread does.
  void sync(bool durable = true) {
    if (durable) store.sync();
    ++syncs;
    for (auto& then : std::exchange(waiting_for_sync, {})) then(durable);
  }
  /// What the adapter answers for a message it holds ready: its write is kept in `writes`.
  delivery_result held_ready() {
    return delivery_result::ready(
        [this](std::function<void(delivery_result)> done) { writes.emplace_back(std::move(done), syncs); });
  }
};

}  // namespace

TEST_CASE("a delivered message is rendered once and marked sent") {
  fixture f;
  f.enqueue("reply:1");
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts == std::vector<std::string>{"Your tier is now **core**. I will contact you at that depth from now on."});
  CHECK(f.row("reply:1").state == outbox_state::sent);
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.size() == 1);
}

TEST_CASE("after its first look the dispatcher looks at the store again only when a row is expected") {
  fixture f;
  f.dispatcher.dispatch_due();
  f.put_in_outbox("reply:1");
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.empty());
  f.dispatcher.expect(f.now);
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 1);
}

TEST_CASE("an expected row due later is delivered when its time comes") {
  fixture f;
  f.dispatcher.dispatch_due();
  f.put_in_outbox("nudge:1", start + 10s);
  f.dispatcher.expect(start + 10s);
  f.now = start + 9s;
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.empty());
  f.now = start + 10s;
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 1);
}

TEST_CASE("rows waiting in the store at the first look are delivered when each comes due") {
  fixture f;
  f.put_in_outbox("now:1");
  f.put_in_outbox("later:1", start + 1h);
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 1);
  f.now = start + 1h;
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 2);
  CHECK(f.row("later:1").state == outbox_state::sent);
}

TEST_CASE("a platform's Retry-After decides the next attempt, a second after it on the outbox's whole-second clock") {
  // The outbox's `now` is the real time cut to the second: up to a second early. Due 30 s after
  // it, a 30 s Retry-After given at 10:00:00.9 would be retried at 10:00:30.0, 29.1 s later.
  fixture f;
  f.enqueue("reply:1");
  f.adapter.results = {delivery_result::retry("HTTP 429", 30s)};
  f.dispatcher.dispatch_due();
  f.run_posted();
  auto r = f.row("reply:1");
  CHECK(r.state == outbox_state::pending);
  CHECK(r.attempts == 1);
  CHECK(r.next_attempt == start + 31s);
  CHECK(r.last_error == "HTTP 429");

  f.now = start + 30s;
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.size() == 1);
  f.now = start + 31s;
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 2);
  CHECK(f.row("reply:1").state == outbox_state::sent);
}

TEST_CASE("a permanent failure is marked failed with its reason and not retried") {
  fixture f;
  f.enqueue("reply:1");
  f.adapter.results = {delivery_result::failed("channel_not_found")};
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.row("reply:1").state == outbox_state::failed);
  CHECK(f.row("reply:1").last_error == "channel_not_found");
  f.now += 1h;
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.size() == 1);
}

TEST_CASE("a message for a platform without a running adapter fails with a clear reason") {
  fixture f;
  f.enqueue("reply:1", "slack");
  f.dispatcher.dispatch_due();
  CHECK(f.row("reply:1").state == outbox_state::failed);
  CHECK(f.row("reply:1").last_error == "no adapter for platform \"slack\" is running");
}

TEST_CASE("a message in flight is not handed to the adapter a second time") {
  fixture f;
  f.enqueue("reply:1");
  f.adapter.hold = true;
  f.dispatcher.dispatch_due();
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.size() == 1);
  CHECK(f.dispatcher.in_flight() == 1);
  f.adapter.held.front()(delivery_result::delivered());
  f.run_posted();
  CHECK(f.dispatcher.in_flight() == 0);
  CHECK(f.row("reply:1").state == outbox_state::sent);
}

TEST_CASE("a reply for a platform that drops repeated keys leaves before its commit is durable") {
  fixture f{sqlite_durability::at_sync};
  f.adapter.deduplicates = true;
  f.put_in_outbox(reply_key("matrix:$ev1", 0));
  f.dispatcher.dispatch_written();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 1);
  CHECK(f.row("reply:").state == outbox_state::sent);
  f.store.sync();
  f.dispatcher.expect(f.now);
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.size() == 1);  // sent already: not again after the sync
}

TEST_CASE("a message that is no reply, or for a platform that keeps repeats, waits for the sync") {
  fixture f{sqlite_durability::at_sync};
  const auto after_the_sync = [&f] {
    f.store.sync();
    f.dispatcher.expect(f.now);
    f.dispatcher.dispatch_due();
    f.run_posted();
  };
  f.put_in_outbox(reply_key("slack:T1:C1:1.5", 0));  // the adapter does not drop repeated keys
  f.dispatcher.dispatch_written();
  CHECK(f.adapter.delivered_texts.empty());
  after_the_sync();
  CHECK(f.adapter.delivered_texts.size() == 1);

  f.adapter.deduplicates = true;
  f.put_in_outbox("nudge:river:ana:1796205600");  // a replayed tick may decide another nudge
  f.put_in_outbox("approval:3:ask:ana");          // a replay in another order numbers approvals anew
  // Its event may come from a platform that gives up redelivering it while Tandem is down.
  f.put_in_outbox(notification_key("slack:T1:C1:1.5", "ana"));
  f.dispatcher.dispatch_written();
  CHECK(f.adapter.delivered_texts.size() == 1);
  after_the_sync();
  CHECK(f.adapter.delivered_texts.size() == 4);
}

TEST_CASE("a reply that left early and is still in flight is not handed over again after the sync") {
  fixture f{sqlite_durability::at_sync};
  f.adapter.deduplicates = true;
  f.adapter.hold = true;
  f.put_in_outbox(reply_key("matrix:$ev1", 0));
  f.dispatcher.dispatch_written();
  f.dispatcher.dispatch_written();
  f.store.sync();
  f.dispatcher.expect(f.now);
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.size() == 1);
  f.adapter.held.front()(delivery_result::delivered());
  f.run_posted();
  CHECK(f.row("reply:").state == outbox_state::sent);
}

TEST_CASE("retries back off exponentially up to a cap, unless the platform says when") {
  const std::vector<std::pair<int, std::chrono::seconds>> table{{0, 1s}, {1, 2s}, {2, 4s}, {5, 32s}, {8, 256s}, {9, 300s}, {54, 300s}};
  for (const auto& [attempts, delay] : table) {
    INFO(attempts);
    CHECK(retry_delay(attempts, std::nullopt) == delay);
  }
  CHECK(retry_delay(3, 120s) == 120s);
  CHECK(retry_delay(3, 0s) == 8s);
}

TEST_CASE("a message is given up after the last attempt") {
  fixture f;
  f.enqueue("reply:1");
  for (int i = 0; i < max_delivery_attempts; ++i) f.adapter.results.push_back(delivery_result::retry("timeout"));
  for (int i = 0; i < max_delivery_attempts; ++i) {
    f.now += 1h;
    f.dispatcher.dispatch_due();
    f.run_posted();
  }
  CHECK(f.row("reply:1").state == outbox_state::failed);
  CHECK(f.row("reply:1").last_error == "gave up after 55 attempts: timeout");
}

TEST_CASE("answers offered with a message reach the adapter with labels in the recipient's language") {
  fixture f;
  message body{"tier_set", {{"tier", "core"}}};
  offer_answers(body, {answer{"done", "done 4", "\u2705", false}, answer{"blocked", "blocked 4", "\u26d4", true}});
  f.store.apply({send_message{"notify:1", destination{"test", "", "", "u1", "ana", "en", ""}, body, f.now}}, std::nullopt);
  f.dispatcher.expect(f.now);
  f.dispatcher.dispatch_due();
  REQUIRE(f.adapter.delivered.size() == 1);
  CHECK(f.adapter.delivered[0].answers ==
        std::vector<labelled_answer>{{"Done", answer{"done", "done 4", "\u2705", false}},
                                     {"Blocked", answer{"blocked", "blocked 4", "\u26d4", true}}});
}

namespace {

/// A collaboration for the dispatcher's last look: ana facilitates, dee (Berlin) takes part.
world berlin_seed() {
  world w;
  w.collaborations["river"] = collaboration{"river", "River", false, {room{"test", "", "river-room"}}};
  w.organizations[{"river", "city"}] = organization{"river", "city", "City"};
  for (const auto& [id, r] : {std::pair{std::string{"ana"}, role::facilitator}, std::pair{std::string{"dee"}, role::participant}}) {
    person p;
    p.id = id;
    p.name = id;
    p.time_zone = "Europe/Berlin";
    p.identities = {identity{"test", "", id}};
    w.people[id] = p;
    w.memberships[{"river", id}] = membership{"river", id, "city", {r}, tier::active, true};
  }
  return w;
}

/// What `who` types in their DM at the fixture's clock, handled by its host.
void typed_by(fixture& f, const std::string& who, const std::string& text) {
  static int counter = 0;
  f.host.submit(inbound{"test:" + who + ":" + std::to_string(++counter), identity{"test", "", who}, "dm:" + who, true,
                        true, inbound_kind::command, text, f.now, ""},
                f.now);
}

/// The rows for `person` whose key starts with `prefix`.
std::vector<outbox_row> rows_to(fixture& f, const std::string& person, const std::string& prefix) {
  std::vector<outbox_row> out;
  for (const outbox_row& row : f.store.outbox_rows(prefix)) {
    if (row.item.to.person == person) out.push_back(row);
  }
  return out;
}

}  // namespace

TEST_CASE("a message for someone in their quiet hours waits, without an attempt, until they may be reached") {
  fixture f;
  f.host.start(berlin_seed(), f.now);
  f.now = start + 12h;  // 23:00 Berlin
  typed_by(f, "ana", "assign @dee \"Print flyers\"");
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 1);  // only the reply to ana
  const auto held = rows_to(f, "dee", "notify:");
  REQUIRE(held.size() == 1);
  CHECK(held[0].state == outbox_state::pending);
  CHECK(held[0].attempts == 0);
  CHECK(held[0].next_attempt == start + 21h);  // 08:00 Berlin
  f.now = start + 21h;
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 2);
  CHECK(rows_to(f, "dee", "notify:")[0].state == outbox_state::sent);
}

TEST_CASE("a message no longer true when due is withdrawn, audited and never sent") {
  fixture f;
  f.host.start(berlin_seed(), f.now);
  f.now = start + 12h;
  typed_by(f, "ana", "assign @dee \"Print flyers\"");
  f.dispatcher.dispatch_due();
  f.run_posted();
  f.now = start + 19h;  // 06:00 Berlin: dee finishes it before the notice may reach her
  typed_by(f, "dee", "done 1");
  f.now = start + 21h;
  f.dispatcher.dispatch_due();
  f.run_posted();
  const auto notice = rows_to(f, "dee", "notify:test:ana:");
  REQUIRE(notice.size() == 1);
  CHECK(notice[0].state == outbox_state::withdrawn);
  CHECK(notice[0].last_error == "task #1 is done");
  // Sent: the replies to ana and dee, and ana's notice that dee finished the task; not dee's notice.
  CHECK(f.adapter.delivered_texts.size() == 3);
  const auto& audit = f.store.load().audit;
  CHECK(std::ranges::any_of(audit, [](const audit_entry& e) {
    return e.action == "outbox.withdrawn" && e.actor == "system" && e.detail.ends_with(": task #1 is done");
  }));
  CHECK(f.metrics.counter("tandem_outbox_withdrawn_total", "").value() == 1);
}

TEST_CASE("a nudge is counted as sent when it is delivered, in the store as in the world") {
  fixture f;
  f.host.start(berlin_seed(), f.now);
  f.now = start + 12h;
  typed_by(f, "ana", "nudge @dee");
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK_FALSE(f.host.current().nudges.contains({"river", "dee"}));
  f.now = start + 21h;
  f.dispatcher.dispatch_due();
  f.run_posted();
  REQUIRE(f.host.current().nudges.contains({"river", "dee"}));
  CHECK(f.host.current().nudges.at({"river", "dee"}).front().sent == start + 21h);
  CHECK(f.store.load().nudges.at({"river", "dee"}).front().sent == start + 21h);
}

TEST_CASE("while a message waits for a retry, later ones to the same place wait behind it, and others go") {
  fixture f;
  f.enqueue_to("notify:1", "room");
  f.adapter.results = {delivery_result::retry("HTTP 503")};
  f.dispatcher.dispatch_due();
  f.run_posted();
  REQUIRE(f.row("notify:1").state == outbox_state::pending);

  f.enqueue_to("notify:2", "room");
  f.enqueue_to("notify:3", "elsewhere");
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.adapter.delivered_texts.size() == 2);  // notify:3 went; notify:2 waits for notify:1
  CHECK(f.row("notify:2").state == outbox_state::pending);
  CHECK(f.row("notify:3").state == outbox_state::sent);

  f.now += 1s;  // notify:1's retry is due: it goes first, then notify:2 as soon as it is back
  f.adapter.hold = true;
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_texts.size() == 3);
  f.adapter.held.front()(delivery_result::delivered());
  f.adapter.hold = false;
  f.run_posted();
  CHECK(f.row("notify:1").state == outbox_state::sent);
  CHECK(f.row("notify:2").state == outbox_state::sent);
  CHECK(f.adapter.delivered_texts.size() == 4);
}

TEST_CASE("one message at a time goes to a place: the next leaves when the one in flight is back") {
  fixture f;
  f.adapter.hold = true;
  f.enqueue_to("notify:1", "room");
  f.enqueue_to("notify:2", "room");
  f.enqueue_to("notify:3", "elsewhere");
  f.dispatcher.dispatch_due();
  f.dispatcher.dispatch_due();
  // notify:2 would race notify:1 on the platform's connections (Matrix sends, a paced Slack or
  // webhook post already scheduled): it waits.
  CHECK(f.dispatcher.in_flight() == 2);
  CHECK(f.row("notify:2").state == outbox_state::pending);
  f.adapter.held.front()(delivery_result::delivered());
  f.run_posted();
  CHECK(f.row("notify:1").state == outbox_state::sent);
  CHECK(f.dispatcher.in_flight() == 2);  // notify:2 went at once, without waiting for a tick
  CHECK(f.adapter.delivered_keys == std::vector<std::string>{"notify:1", "notify:3", "notify:2"});
}

TEST_CASE("a long queue to a place whose message is in flight does not hide the messages to other places") {
  fixture f;
  f.adapter.hold = true;
  for (int n = 0; n < 300; ++n) f.enqueue_to("notify:" + std::to_string(n), "busy");  // more than one look takes
  f.enqueue_to("reply:elsewhere", "elsewhere");
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_keys == std::vector<std::string>{"notify:0", "reply:elsewhere"});
}

TEST_CASE("a message queued behind one in flight does not leave before the Retry-After that one gets") {
  fixture f;
  f.adapter.hold = true;
  f.enqueue_to("notify:1", "room");
  f.enqueue_to("notify:2", "room");
  f.dispatcher.dispatch_due();
  REQUIRE(f.adapter.held.size() == 1);
  f.adapter.held.front()(delivery_result::retry("HTTP 429", 3s));
  f.run_posted();
  CHECK(f.adapter.held.size() == 1);  // neither notify:2 nor notify:1's retry has gone
  for (const auto wait : {1s, 1s, 1s}) {
    f.now += wait;
    f.dispatcher.dispatch_due();
    f.run_posted();
    CHECK(f.adapter.held.size() == 1);
  }
  f.now += 1s;  // the hint, and the second more for the outbox's whole-second clock
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_keys == std::vector<std::string>{"notify:1", "notify:1"});  // notify:1 again, first
  f.adapter.held.back()(delivery_result::delivered());
  f.run_posted();
  CHECK(f.adapter.delivered_keys == std::vector<std::string>{"notify:1", "notify:1", "notify:2"});
}

TEST_CASE("after ten minutes of outage every queued message is delivered once, in order per place, never before a Retry-After") {
  // The outage drill of tests/e2e/outage_test.py on the test clock, for the ten minutes that the
  // real-time drill cannot wait: three places, a broadcast to each every second, and a platform
  // that answers 503, 429 with Retry-After, a time-out or a reset connection in turn until it is back.
  fixture f;
  const auto outage_ends = start + 10min;
  const std::vector<std::string> places{"slack-room", "matrix-room", "webhook-room"};
  std::map<std::string, time_point> not_before;  // the key's next attempt, as its Retry-After asked
  std::map<std::string, int> deliveries;
  std::vector<std::string> too_early;
  int failures = 0;
  f.adapter.answer = [&](const std::string& key) {
    if (const auto hint = not_before.find(key); hint != not_before.end() && f.now < hint->second) too_early.push_back(key);
    if (f.now >= outage_ends) {
      ++deliveries[key];
      return delivery_result::delivered();
    }
    switch (failures++ % 4) {
      case 0: return delivery_result::retry("HTTP 503");
      case 1: not_before[key] = f.now + 7s; return delivery_result::retry("HTTP 429", 7s);
      case 2: return delivery_result::retry("timed out");
      default: return delivery_result::retry("connection reset");
    }
  };

  std::map<std::string, std::vector<std::string>> queued;  // by place, in the order queued
  time_point last_delivery = start;
  for (int second = 0; second < 3 * 3600; ++second) {
    if (f.now < outage_ends) {
      for (const auto& place : places) {
        queued[place].push_back("notify:" + place + ":" + std::to_string(second));
        f.enqueue_to(queued[place].back(), place);
      }
    }
    const auto before = deliveries.size();
    f.dispatcher.dispatch_due();
    f.run_posted();
    if (deliveries.size() != before) last_delivery = f.now;
    if (deliveries.size() == 3 * 600) break;
    f.now += 1s;
  }

  REQUIRE(deliveries.size() == 3 * 600);
  CHECK(std::ranges::all_of(deliveries, [](const auto& d) { return d.second == 1; }));
  CHECK(too_early.empty());
  for (const auto& place : places) {
    std::vector<std::string> delivered_in_order;
    for (std::size_t i = 0; i < f.adapter.delivered_keys.size(); ++i) {
      const auto& key = f.adapter.delivered_keys[i];
      if (f.adapter.delivered_to[i] == place && (delivered_in_order.empty() || delivered_in_order.back() != key)) {
        delivered_in_order.push_back(key);
      }
    }
    // Each place's attempts, repeats of one message aside, follow the order it was queued in.
    CHECK(delivered_in_order == queued[place]);
  }
  // Backoff, not the platform, sets when the outage ends for Tandem: the first message of a place
  // that failed nine times or more in the ten minutes (the 429s' short hints count as attempts
  // too) waits the 5-minute cap from its last failure.
  INFO("all delivered " << date::format("%T", last_delivery - outage_ends) << " after the outage");
  CHECK(last_delivery - outage_ends <= 5min);
}

TEST_CASE("a message given up no longer holds back the later ones to its place") {
  fixture f;
  f.enqueue_to("notify:1", "room");
  f.adapter.results = {delivery_result::retry("HTTP 503"), delivery_result::failed("channel_not_found")};
  f.dispatcher.dispatch_due();
  f.run_posted();
  f.enqueue_to("notify:2", "room");
  f.now += 1s;
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.row("notify:1").state == outbox_state::failed);
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.row("notify:2").state == outbox_state::sent);
}

TEST_CASE("a message given up is recorded for the facilitators with where it was going and why") {
  fixture f;
  f.enqueue("reply:1");
  f.adapter.results = {delivery_result::failed("HTTP 404: Unknown Webhook")};
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.row("reply:1").state == outbox_state::failed);
  REQUIRE_FALSE(f.host.current().audit.empty());
  const audit_entry& last = f.host.current().audit.back();
  CHECK(last.action == "outbox.failed");
  CHECK(last.actor == "system");
  CHECK(last.detail == "test:room: HTTP 404: Unknown Webhook");
  CHECK(f.store.load().audit.back() == last);
}

TEST_CASE("a message the adapter holds ready is marked sent, and written only once the mark is durable") {
  fixture f{sqlite_durability::at_sync};
  f.enqueue("reply:1");
  f.sync();
  f.adapter.results = {f.held_ready()};
  f.dispatcher.dispatch_due();
  f.run_posted();
  CHECK(f.row("reply:1").state == outbox_state::sent);
  CHECK(f.writes.empty());
  CHECK(f.dispatcher.in_flight() == 1);
  f.sync();
  REQUIRE(f.writes.size() == 1);
  CHECK(f.writes[0].second == 2);  // written after the sync that followed the mark
  f.writes[0].first(delivery_result::delivered());
  f.run_posted();
  CHECK(f.dispatcher.in_flight() == 0);
  CHECK(f.row("reply:1").state == outbox_state::sent);
  CHECK(f.metrics.counter("tandem_outbox_sent_total", "").value() == 1);
  f.now += 1h;
  f.dispatcher.expect(f.now);
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_keys.size() == 1);
}

TEST_CASE("a message held ready is not written when the disk refuses to make its mark durable") {
  fixture f;
  f.enqueue("reply:1");
  f.adapter.results = {f.held_ready()};
  f.dispatcher.dispatch_due();
  f.run_posted();
  f.sync(false);
  CHECK(f.writes.empty());
  CHECK(f.dispatcher.in_flight() == 0);
}

TEST_CASE("a message held ready that cannot be written after its mark is recorded as failed, never sent again") {
  fixture f;
  f.enqueue("reply:1");
  f.adapter.results = {f.held_ready()};
  f.dispatcher.dispatch_due();
  f.run_posted();
  f.sync();
  REQUIRE(f.writes.size() == 1);
  f.writes[0].first(delivery_result::retry("HTTP 503"));
  f.run_posted();
  CHECK(f.row("reply:1").state == outbox_state::failed);
  CHECK(f.row("reply:1").last_error == "marked sent, then not written: HTTP 503");
  CHECK(f.host.current().audit.back().action == "outbox.failed");
  f.now += 1h;
  f.dispatcher.expect(f.now);
  f.dispatcher.dispatch_due();
  CHECK(f.adapter.delivered_keys.size() == 1);
}

TEST_CASE("the next message to a place waits until the one held ready there is written") {
  fixture f;
  f.enqueue_to("reply:1", "room");
  f.enqueue_to("reply:2", "room");
  f.adapter.results = {f.held_ready()};
  f.dispatcher.dispatch_due();
  f.run_posted();
  f.sync();
  CHECK(f.adapter.delivered_keys == std::vector<std::string>{"reply:1"});
  REQUIRE(f.writes.size() == 1);
  f.writes[0].first(delivery_result::delivered());
  f.run_posted();
  CHECK(f.adapter.delivered_keys == std::vector<std::string>{"reply:1", "reply:2"});
  CHECK(f.row("reply:2").state == outbox_state::sent);
}
