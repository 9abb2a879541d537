// The store contract (core/store.h) as every backend must keep it: each test takes its store from
// store_under_test.h, so the same tests run against each backend's test program.

#include "storage/store_under_test.h"

#include "core/action.h"
#include "storage/store_test_values.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

TEST_CASE("a fresh store loads an empty world") {
  fresh_store store;
  CHECK(store->load() == world{});
  CHECK(store->unhandled_responses().empty());
  CHECK(store->outbox_rows("").empty());
  CHECK_FALSE(store->next_outbox_attempt_after(time_point{}).has_value());
}

TEST_CASE("a repeated dedup key is recorded once, and the first event stays") {
  fresh_store store;
  const inbound first = event_from({"slack", "T1", "U1"}, "slack:T1:C1:1355517523.000005", t0, "first");
  inbound retry = first;
  retry.text = "the app_mention twin";
  retry.at = t0 + 1s;

  const auto id = store->record(first, true, recorded_as::unhandled);
  const auto again = store->record(retry, true, recorded_as::unhandled);

  REQUIRE(id.has_value());
  CHECK_FALSE(again.has_value());
  const auto unhandled = store->unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].id == *id);
  CHECK(unhandled[0].event == first);
  CHECK_FALSE(unhandled[0].handled);
}

TEST_CASE("the text of an event is blanked unless it may be kept") {
  fresh_store store;
  store->record(event_from({"console", "", "ana"}, "console:ana:1", t0, "private chatter"), false,
                recorded_as::unhandled);
  store->record(event_from({"console", "", "ana"}, "console:ana:2", t0, "status 1 done"), true, recorded_as::unhandled);

  const auto unhandled = store->unhandled_responses();
  REQUIRE(unhandled.size() == 2);
  CHECK(unhandled[0].event.text.empty());
  CHECK(unhandled[0].event.dedup_key == "console:ana:1");
  CHECK(unhandled[1].event.text == "status 1 done");
}

TEST_CASE("counting ended months leaves the loaded monthly responses as they were, a month at a time") {
  fresh_store store;
  world w;
  apply_both(w, *store,
             {save_person{person_with("ana", {identity{"slack", "T1", "U1"}, identity{"console", "", "ana"}})},
              save_person{person_with("bob", {identity{"slack", "T1", "U2"}})}});
  const auto day = [](unsigned month, unsigned d) {
    return time_point{std::chrono::sys_days{std::chrono::year{2026} / std::chrono::month{month} / std::chrono::day{d}}} + 12h;
  };
  int n = 0;
  const auto respond = [&](const identity& from, const std::string& person, time_point at, bool presence = false) {
    const std::string key = "k" + std::to_string(++n);
    const auto id = store->record(event_from(from, key, at), true, recorded_as::unhandled);
    apply_both(w, *store, {note_activity{person, at, "", false, presence, key}}, id);
  };
  respond({"slack", "T1", "U1"}, "ana", day(10, 3));
  respond({"console", "", "ana"}, "ana", day(10, 31));  // her other identity
  respond({"slack", "T1", "U2"}, "bob", day(11, 2));
  respond({"slack", "T1", "U1"}, "ana", day(11, 30), true);  // a read-only command: not counted
  respond({"slack", "T1", "U1"}, "ana", day(12, 1));
  const auto loaded_months = [&] { return store->load().monthly_responses; };
  const auto before = loaded_months();
  REQUIRE(before == w.monthly_responses);
  REQUIRE(before.at("ana") == std::map<std::string, int>{{"2026-10", 2}, {"2026-12", 1}});

  const time_point now = day(12, 20);  // November ended 19 days ago, December goes on
  CHECK(store->count_ended_month(now));  // October; November is left
  CHECK(store->setting("responses.counted_before") == "2026-11");
  CHECK(loaded_months() == before);
  CHECK_FALSE(store->count_ended_month(now));  // November; December has not ended
  CHECK(store->setting("responses.counted_before") == "2026-12");
  CHECK(loaded_months() == before);
  CHECK_FALSE(store->count_ended_month(now));
  CHECK(loaded_months() == before);

  respond({"slack", "T1", "U2"}, "bob", day(12, 21));  // the month still going is counted from its responses
  CHECK(loaded_months() == w.monthly_responses);
  CHECK(loaded_months().at("bob") == std::map<std::string, int>{{"2026-11", 1}, {"2026-12", 1}});
}

TEST_CASE("a response recorded but not handled yet is counted when the core handles it, not at loading") {
  fresh_store store;
  world w;
  apply_both(w, *store, {save_person{person_with("ana", {identity{"slack", "T1", "U1"}})}});
  const time_point at = t0 + 1h;
  const auto id = store->record(event_from({"slack", "T1", "U1"}, "k1", at), true, recorded_as::unhandled);
  const world unhandled = store->load();  // a follower's, or one a crash left
  CHECK_FALSE(unhandled.monthly_responses.contains("ana"));
  CHECK_FALSE(unhandled.recent_answers.contains("ana"));

  apply_both(w, *store, {note_activity{"ana", at, "", false, false, "k1"}}, id);  // the leader handles it
  const world handled = store->load();
  CHECK(handled.monthly_responses == w.monthly_responses);
  CHECK(w.monthly_responses.at("ana").at(month_of(at)) == 1);
  CHECK(handled.recent_answers.at("ana") == w.recent_answers.at("ana"));
  CHECK(w.recent_answers.at("ana").size() == 1);
}

TEST_CASE("a month ended less than a week ago is not counted yet: late events may still come") {
  fresh_store store;
  world w;
  apply_both(w, *store, {save_person{person_with("ana", {identity{"slack", "T1", "U1"}})}});
  const time_point november = time_point{std::chrono::sys_days{std::chrono::year{2026} / 11 / 15}};
  const auto id = store->record(event_from({"slack", "T1", "U1"}, "k1", november), true, recorded_as::unhandled);
  apply_both(w, *store, {note_activity{"ana", november, "", false, false, "k1"}}, id);
  const time_point december_5 = time_point{std::chrono::sys_days{std::chrono::year{2026} / 12 / 5}};
  CHECK_FALSE(store->count_ended_month(december_5));
  CHECK(store->setting("responses.counted_before") == "2026-11");
  CHECK(store->load().monthly_responses == w.monthly_responses);
}

TEST_CASE("a counted-months setting that is no month is a store error that names it, not a crash") {
  fresh_store store;
  store->put_setting("responses.counted_before", "next week");
  const std::string loading = store_error_of([&] { static_cast<void>(store->load()); });
  CHECK_THAT(loading, Catch::Contains("responses.counted_before is not a month"));
  const std::string counting = store_error_of([&] { store->count_ended_month(t0); });
  CHECK_THAT(counting, Catch::Contains("responses.counted_before is not a month"));
}

TEST_CASE("old text is forgotten oldest first, a batch at a time; the responses themselves stay") {
  fresh_store store;
  for (int day = 0; day < 5; ++day) {
    store->record(event_from({"console", "", "ana"}, "console:ana:" + std::to_string(day), t0 + std::chrono::days{day},
                             "note of day " + std::to_string(day)),
                  true, recorded_as::unhandled);
  }
  const auto texts = [&] {
    std::vector<std::string> all;
    for (const recorded_response& r : store->unhandled_responses()) all.push_back(r.event.text);
    return all;
  };

  CHECK(store->forget_text_before(t0 + std::chrono::days{3}, 2) == 2);
  CHECK(texts() == std::vector<std::string>{"", "", "note of day 2", "note of day 3", "note of day 4"});
  CHECK(store->forget_text_before(t0 + std::chrono::days{3}, 2) == 1);
  CHECK(store->forget_text_before(t0 + std::chrono::days{3}, 2) == 0);
  CHECK(texts() == std::vector<std::string>{"", "", "", "note of day 3", "note of day 4"});

  CHECK_FALSE(store->record(event_from({"console", "", "ana"}, "console:ana:0", t0, "again"), true, recorded_as::unhandled));
  CHECK(store->unhandled_responses().size() == 5);
}

TEST_CASE("unhandled responses are returned until an apply marks them handled") {
  fresh_store store;
  const auto first =
      store->record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::unhandled);
  const auto second =
      store->record(event_from({"console", "", "bob"}, "console:bob:1", t0 + 1s), true, recorded_as::unhandled);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(store->unhandled_responses().size() == 2);

  store->apply({message_with_key("reply:console:ana:1:0")}, first);

  const auto unhandled = store->unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].id == *second);
  CHECK(unhandled[0].event.sender.user == "bob");

  store->apply({}, second);
  CHECK(store->unhandled_responses().empty());
}

TEST_CASE("a response recorded as handled is not returned as unhandled until it is marked unhandled") {
  fresh_store store;
  const auto id = store->record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::handled);
  REQUIRE(id);
  CHECK(store->unhandled_responses().empty());

  store->mark_unhandled(*id);

  const auto unhandled = store->unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].id == *id);
  CHECK_FALSE(unhandled[0].handled);
}

TEST_CASE("marking an unknown response unhandled is refused") {
  fresh_store store;
  CHECK_THAT(store_error_of([&] { store->mark_unhandled(42); }), Catch::Contains("no response 42"));
}

TEST_CASE("marking an unknown response handled is refused and changes nothing") {
  fresh_store store;
  const std::string message = store_error_of([&] {
    store->apply({message_with_key("reply:x:0"), record_audit{{t0, "", "system", "x", ""}}}, 42);
  });

  CHECK_THAT(message, Catch::Contains("42"));
  CHECK(store->outbox_rows("").empty());
  CHECK(store->load() == world{});
}

TEST_CASE("an outbox key inserted twice stays one row, and the first row's content wins") {
  fresh_store store;
  const send_message first = message_with_key("nudge:ana:2026-W48", t0);
  send_message second = message_with_key("nudge:ana:2026-W48", t0 + 1h);
  second.body.kind = "reminder";
  second.to.person = "bob";

  store->apply({first}, std::nullopt);
  store->apply({second}, std::nullopt);

  const auto rows = store->outbox_rows("nudge:ana:");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].item == first);
  CHECK(rows[0].state == outbox_state::pending);
  CHECK(rows[0].attempts == 0);
  CHECK(rows[0].next_attempt == t0);
  CHECK(rows[0].last_error.empty());
}

TEST_CASE("due outbox rows are pending ones whose next attempt has come, earliest first") {
  fresh_store store;
  store->apply({message_with_key("a", t0 + 20s), message_with_key("b", t0), message_with_key("c", t0 + 10s),
                message_with_key("d", t0)},
               std::nullopt);

  CHECK(keys_of(store->due_outbox(t0 + 10s, 10)) == std::vector<std::string>{"b", "d", "c"});
  CHECK(keys_of(store->due_outbox(t0 + 10s, 2)) == std::vector<std::string>{"b", "d"});
  CHECK(store->due_outbox(t0 - 1s, 10).empty());
  CHECK(store->next_outbox_attempt_after(t0 - 1s) == t0);
  CHECK(store->next_outbox_attempt_after(t0) == t0 + 10s);
  CHECK(store->next_outbox_attempt_after(t0 + 10s) == t0 + 20s);
  CHECK_FALSE(store->next_outbox_attempt_after(t0 + 20s).has_value());
}

TEST_CASE("the heads of the due outbox are the first queued due row of each destination, earliest first") {
  fresh_store store;
  const auto to = [](std::string key, std::string conversation, std::string user, time_point due) {
    send_message m = message_with_key(std::move(key), due);
    m.to.conversation = std::move(conversation);
    m.to.user = std::move(user);
    return m;
  };
  store->apply({to("a1", "C1", "U1", t0 + 5s), to("a2", "C1", "U1", t0), to("a3", "C1", "U1", t0 + 1s),
                to("b1", "C1", "U2", t0 + 2s), to("c1", "C2", "U1", t0 + 3s), to("d1", "C1", "U1", t0 + 30s)},
               std::nullopt);

  // a1 was queued first: it heads its destination once due, whatever came due before it there.
  CHECK(keys_of(store->due_outbox_heads(t0 + 10s, 10)) == std::vector<std::string>{"b1", "c1", "a1"});
  CHECK(keys_of(store->due_outbox_heads(t0 + 10s, 2)) == std::vector<std::string>{"b1", "c1"});
  CHECK(keys_of(store->due_outbox_heads(t0 + 4s, 10)) == std::vector<std::string>{"a2", "b1", "c1"});
  store->mark_sent(row_with_key(*store, "a1").id, t0);
  CHECK(keys_of(store->due_outbox_heads(t0 + 10s, 10)) == std::vector<std::string>{"a2", "b1", "c1"});
  CHECK(store->due_outbox_heads(t0 - 1s, 10).empty());
}

TEST_CASE("retry_later counts the attempt, keeps the reason and postpones the row") {
  fresh_store store;
  store->apply({message_with_key("b", t0), message_with_key("c", t0 + 10s)}, std::nullopt);
  const std::int64_t b = row_with_key(*store, "b").id;

  store->retry_later(b, t0 + 30s, "HTTP 503");
  store->retry_later(b, t0 + 60s, "HTTP 429");

  const outbox_row row = row_with_key(*store, "b");
  CHECK(row.state == outbox_state::pending);
  CHECK(row.attempts == 2);
  CHECK(row.last_error == "HTTP 429");
  CHECK(row.next_attempt == t0 + 60s);
  CHECK(row.item.not_before == t0);
  CHECK(keys_of(store->due_outbox(t0 + 30s, 10)) == std::vector<std::string>{"c"});
  CHECK(keys_of(store->due_outbox(t0 + 60s, 10)) == std::vector<std::string>{"c", "b"});
  CHECK(store->next_outbox_attempt_after(t0) == t0 + 10s);
}

TEST_CASE("postpone moves a row's next attempt without counting an attempt") {
  fresh_store store;
  store->apply({message_with_key("notify:1:dee", t0)}, std::nullopt);
  const std::int64_t id = row_with_key(*store, "notify:1:dee").id;

  store->postpone(id, t0 + 9h);

  const outbox_row row = row_with_key(*store, "notify:1:dee");
  CHECK(row.state == outbox_state::pending);
  CHECK(row.attempts == 0);
  CHECK(row.next_attempt == t0 + 9h);
  CHECK(store->due_outbox(t0 + 8h, 10).empty());
  CHECK(keys_of(store->due_outbox(t0 + 9h, 10)) == std::vector<std::string>{"notify:1:dee"});
  CHECK_THROWS_AS(store->postpone(id + 100, t0), store_error);
}

TEST_CASE("a withdrawn row keeps its reason and is never due again") {
  fresh_store store;
  store->apply({message_with_key("remind:1:before:dee", t0), message_with_key("sent", t0)}, std::nullopt);
  const std::int64_t id = row_with_key(*store, "remind:1:before:dee").id;

  store->withdraw(id, "task #1 is done", t0 + 1h);

  const outbox_row row = row_with_key(*store, "remind:1:before:dee");
  CHECK(row.state == outbox_state::withdrawn);
  CHECK(row.attempts == 0);
  CHECK(row.last_error == "task #1 is done");
  CHECK(keys_of(store->due_outbox(t0 + 2h, 10)) == std::vector<std::string>{"sent"});
  // Only a pending row can be withdrawn: one already sent stays sent.
  const std::int64_t sent = row_with_key(*store, "sent").id;
  store->mark_sent(sent, t0 + 1s);
  CHECK_THROWS_AS(store->withdraw(sent, "too late", t0 + 2h), store_error);
  CHECK(row_with_key(*store, "sent").state == outbox_state::sent);
  CHECK(to_string(outbox_state::withdrawn) == "withdrawn");
}

TEST_CASE("what a message is about is kept with its outbox row") {
  fresh_store store;
  send_message about_a_round = message_with_key("approval:3:ask:bob", t0);
  about_a_round.about = message_subject{"river", about_approval{3, "city", true}};
  send_message about_a_task = message_with_key("remind:4:due:dee", t0);
  about_a_task.about =
      message_subject{"river", about_task{4, "dee", std::chrono::sys_days{std::chrono::year{2026} / 12 / 4}}};
  store->apply({about_a_round, about_a_task}, std::nullopt);
  CHECK(row_with_key(*store, "approval:3:ask:bob").item == about_a_round);
  CHECK(row_with_key(*store, "remind:4:due:dee").item == about_a_task);
}

TEST_CASE("mark_sent and mark_failed take a row out of the due outbox for good") {
  fresh_store store;
  store->apply({message_with_key("sent", t0), message_with_key("failed", t0), message_with_key("waiting", t0 + 5s)},
               std::nullopt);

  store->mark_sent(row_with_key(*store, "sent").id, t0 + 1s);
  store->mark_failed(row_with_key(*store, "failed").id, "channel_not_found", t0 + 1s);

  CHECK(keys_of(store->due_outbox(t0 + 1h, 10)) == std::vector<std::string>{"waiting"});
  const outbox_row sent = row_with_key(*store, "sent");
  CHECK(sent.state == outbox_state::sent);
  CHECK(sent.attempts == 1);
  const outbox_row failed = row_with_key(*store, "failed");
  CHECK(failed.state == outbox_state::failed);
  CHECK(failed.attempts == 1);
  CHECK(failed.last_error == "channel_not_found");
  CHECK(store->next_outbox_attempt_after(t0) == t0 + 5s);

  store->mark_sent(row_with_key(*store, "waiting").id, t0 + 5s);
  CHECK_FALSE(store->next_outbox_attempt_after(t0).has_value());
}

TEST_CASE("marking an unknown outbox row is a store error") {
  fresh_store store;
  CHECK_THROWS_AS(store->mark_sent(7, t0), store_error);
  CHECK_THROWS_AS(store->mark_failed(7, "gone", t0), store_error);
  CHECK_THROWS_AS(store->retry_later(7, t0, "later"), store_error);
}

TEST_CASE("an outbox key prefix is matched literally and case-sensitively") {
  fresh_store store;
  store->apply({message_with_key("nudge_ana:1"), message_with_key("nudgeXana:2"), message_with_key("NUDGE_ana:3"),
                message_with_key("nudge_ana:4"), message_with_key("%done"), message_with_key("half done")},
               std::nullopt);

  CHECK(keys_of(store->outbox_rows("nudge_")) == std::vector<std::string>{"nudge_ana:1", "nudge_ana:4"});
  CHECK(keys_of(store->outbox_rows("%")) == std::vector<std::string>{"%done"});
  CHECK(store->outbox_rows("nudge_ana:1x").empty());
  CHECK(store->outbox_rows("").size() == 6);
}

TEST_CASE("settings round-trip and a second put replaces the value") {
  fresh_store store;
  CHECK_FALSE(store->setting("matrix.since").has_value());

  store->put_setting("matrix.since", "s72594_4483_1934");
  CHECK(store->setting("matrix.since") == "s72594_4483_1934");

  store->put_setting("matrix.since", "s72595_4483_1935");
  CHECK(store->setting("matrix.since") == "s72595_4483_1935");
  CHECK_FALSE(store->setting("matrix").has_value());
}

TEST_CASE("a varied world survives a round trip through apply and load") {
  fresh_store store;
  world w;

  collaboration river{"river", "River Alliance", true, {room{"slack", "T1", "C1"}, room{"console", "", "river-room"}}};
  person ana = person_with("ana", {identity{"console", "", "ana"}, identity{"slack", "T1", "U1"}});
  ana.time_zone = "Europe/Berlin";
  ana.language = "de";
  ana.quiet = quiet_hours{22 * 60, 7 * 60};
  ana.paused_until = t0 + std::chrono::days{7};
  const person bob = person_with("bob", {identity{"slack", "T1", "U2"}});

  task mapped{1,
              "river",
              "Map the wetlands",
              "ana",
              "",
              std::chrono::sys_days{std::chrono::year{2026} / 11 / 27},
              task_status::in_progress,
              "started with the north bank",
              "ana",
              t0,
              t0 + 1h};
  task open_for_city{2, "river", "Count the herons", "", "city", std::nullopt, task_status::open, "", "ana", t0, t0};

  // Responses first, as the runtime records before it handles.
  const auto ana_by_console =
      store->record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::unhandled);
  const auto ana_by_slack =
      store->record(event_from({"slack", "T1", "U1"}, "slack:T1:C1:1.1", t0 + 2h), false, recorded_as::unhandled);
  store->record(event_from({"slack", "T1", "U9"}, "slack:T1:C1:1.2", t0 + 3h), false,
                recorded_as::unhandled);  // a stranger
  REQUIRE(ana_by_console);
  REQUIRE(ana_by_slack);

  apply_both(
      w, *store,
      {save_collaboration{river},
       save_collaboration{collaboration{"lake", "Lake Council", false, {}}},
       save_organization{organization{"river", "backbone", "Backbone Trust"}},
       save_organization{organization{"river", "city", "City of Millbrook"}},
       save_tier_policy{tier::core, tier_policy{"weekly mon 09:00", std::chrono::days{14}, std::chrono::days{3}}},
       save_tier_policy{tier::informed, tier_policy{"monthly 1 09:00", std::chrono::days{60}, 0s}},
       save_person{ana},
       save_person{bob},
       save_membership{
           membership{"river", "ana", "backbone", {role::facilitator, role::representative}, tier::core, true}},
       save_membership{membership{"river", "bob", "city", {role::participant}, tier::informed, false}},
       save_membership{membership{"lake", "ana", "", {role::facilitator}, tier::active, true}},
       save_task{mapped},
       save_task{open_for_city},
       record_task_update{1, task_status::in_progress, "started with the north bank", "ana", t0 + 1h},
       record_audit{audit_entry{t0, "river", "config", "org.add", "backbone \"Backbone Trust\""}},
       record_audit{audit_entry{t0 + 1h, "river", "ana", "task.assign", "1 @ana"}},
       note_activity{"ana", t0, ""},
       message_with_key("reply:console:ana:1:0"),
       save_engagement{engagement{"river", "ana", t0 + 24h, t0 - 1h, std::nullopt, t0}},
       save_silence{silence{"river", silence_subject::person, "bob", 2, t0, t0 - 240h, std::nullopt, t0, std::nullopt,
                            std::nullopt}},
       record_tick{t0}},
      ana_by_console);
  // The calendar, outcome records and secrets; ana's nudge is answered by her next response (t0 + 2h).
  apply_both(w, *store,
             {record_nudge{"river", "ana", t0 - 1h}, record_nudge{"river", "bob", t0 - 1h},
              save_event{calendar_event{7,
                                        "river",
                                        "backbone",
                                        std::chrono::floor<std::chrono::days>(t0) + std::chrono::days{3},
                                        "Spring newsletter, \"final\"",
                                        {"newsletter", "spring"},
                                        "public",
                                        "ana",
                                        t0,
                                        std::nullopt}},
              save_pulse{pulse_answer{"river", "backbone", "ana", month_of(t0), 4, "the joint grant helped", t0}},
              save_round{"river", "events", "2026-W48"}, save_round{"river", "pulse", "2026-11"},
              save_secret{"river", "calendar", "feed-token"}, save_secret{"river", "export", "export-token"}},
             std::nullopt);

  mapped.status = task_status::done;
  mapped.reminded_before = true;
  mapped.escalated = true;
  mapped.due = std::nullopt;
  mapped.updated_at = t0 + 2h;
  apply_both(w, *store,
             {save_task{mapped}, record_task_update{1, task_status::done, "", "ana", t0 + 2h},
              record_audit{audit_entry{t0 + 2h, "river", "ana", "task.done", "1"}},
              note_activity{"ana", t0 + 2h, "river", true}, note_activity{"", t0 + 3h, "river"},
              save_silence{silence{"river", silence_subject::person, "bob", 2, t0, t0 - 240h, t0 + 2h, t0, t0 + 1h,
                                   std::nullopt}},
              record_tick{t0 + 2h}},
             ana_by_slack);

  const world loaded = store->load();
  CHECK(loaded.collaborations == w.collaborations);
  CHECK(loaded.organizations == w.organizations);
  CHECK(loaded.people == w.people);
  CHECK(loaded.memberships == w.memberships);
  CHECK(loaded.tiers == w.tiers);
  CHECK(loaded.tasks == w.tasks);
  CHECK(loaded.audit == w.audit);
  CHECK(loaded.last_response == w.last_response);
  CHECK(loaded.last_response.at("ana") == t0 + 2h);
  CHECK(loaded.recent_responses == w.recent_responses);
  CHECK(loaded.recent_answers == w.recent_answers);
  CHECK(loaded.engagements == w.engagements);
  CHECK(loaded.silences == w.silences);
  CHECK(loaded.events == w.events);
  CHECK(loaded.nudges == w.nudges);
  CHECK(loaded.nudges.at({"river", "ana"}).front().answered == t0 + 2h);
  CHECK_FALSE(loaded.nudges.at({"river", "bob"}).front().answered);
  CHECK(loaded.pulses == w.pulses);
  CHECK(loaded.monthly_responses == w.monthly_responses);
  CHECK(loaded.monthly_responses.at("ana").at("2026-11") == 2);
  CHECK(loaded.rounds == w.rounds);
  CHECK(loaded.secrets == w.secrets);
  CHECK(loaded.first_tick == t0);
  CHECK(loaded.last_tick == t0 + 2h);
  CHECK(loaded == w);
  CHECK(store->unhandled_responses().size() == 1);  // the stranger's message
}

TEST_CASE("saving a person again replaces their identities, in the new order") {
  fresh_store store;
  world w;
  apply_both(w, *store,
             {save_person{person_with("ana", {identity{"console", "", "ana"}, identity{"slack", "T1", "U1"}})}});

  apply_both(w, *store,
             {save_person{person_with(
                  "ana", {identity{"matrix", "example.org", "@ana:example.org"}, identity{"console", "", "ana"}})},
              save_person{person_with("bob", {identity{"slack", "T1", "U1"}})}});

  const world loaded = store->load();
  CHECK(loaded.people.at("ana").identities ==
        std::vector<identity>{{"matrix", "example.org", "@ana:example.org"}, {"console", "", "ana"}});
  CHECK(loaded.people.at("bob").identities == std::vector<identity>{{"slack", "T1", "U1"}});
  CHECK(loaded == w);
}

TEST_CASE("apply is atomic: an identity claimed by two people leaves nothing of the list behind") {
  fresh_store store;
  world w;
  apply_both(w, *store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}});
  const auto response =
      store->record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::unhandled);
  REQUIRE(response);  // not handled: Ana's activity counts once the core handles it

  const std::vector<action> conflicting{
      save_organization{organization{"river", "city", "City of Millbrook"}},
      save_person{person_with("cy", {identity{"console", "", "cy"}})},
      save_task{task{1, "river", "Map", "cy", "", std::nullopt, task_status::open, "", "ana", t0, t0}},
      record_audit{audit_entry{t0, "river", "ana", "member.add", "cy"}},
      message_with_key("reply:console:ana:1:0"),
      save_person{person_with("dee", {identity{"console", "", "cy"}})},
  };
  const std::string message = store_error_of([&] { store->apply(conflicting, response); });

  CHECK_THAT(message, Catch::Contains("console//cy"));
  CHECK(store->load() == w);
  CHECK(store->outbox_rows("").empty());
  REQUIRE(store->unhandled_responses().size() == 1);
  CHECK(store->unhandled_responses()[0].id == *response);

  SECTION("an identity that already belongs to someone is refused in a later apply too") {
    CHECK_THROWS_AS(store->apply({save_person{person_with("eve", {identity{"console", "", "ana"}})}}, std::nullopt),
                    store_error);
    CHECK(store->load() == w);
  }
}

TEST_CASE("state that refers to an unknown person or task is refused at commit") {
  fresh_store store;
  world w;
  apply_both(w, *store, {save_collaboration{collaboration{"river", "River Alliance", false, {}}}});

  CHECK_THROWS_AS(
      store->apply({save_membership{membership{"river", "nobody", "", {role::participant}, tier::active, true}}},
                   std::nullopt),
      store_error);
  CHECK_THROWS_AS(store->apply({record_task_update{99, task_status::done, "", "ana", t0}}, std::nullopt), store_error);
  CHECK(store->load() == w);
}

TEST_CASE("a person can be saved before the collaboration and membership that name them, in one apply") {
  fresh_store store;
  world w;
  apply_both(w, *store,
             {save_membership{membership{"river", "ana", "", {role::facilitator}, tier::core, true}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})},
              save_collaboration{collaboration{"river", "River Alliance", false, {}}}});
  CHECK(store->load() == w);
}

TEST_CASE("data survives closing and reopening the database") {
  store_under_test database;
  world w;
  std::optional<std::int64_t> unhandled;
  {
    const auto store = database.open();
    apply_both(w, *store,
               {save_collaboration{collaboration{"river", "River Alliance", false, {room{"console", "", "r"}}}},
                save_person{person_with("ana", {identity{"console", "", "ana"}})},
                save_membership{membership{"river", "ana", "", {role::facilitator}, tier::core, true}},
                save_task{task{1, "river", "Map", "ana", "", std::chrono::sys_days{std::chrono::year{2026} / 11 / 26},
                               task_status::open, "", "ana", t0, t0}},
                record_audit{audit_entry{t0, "river", "config", "seed", ""}}, message_with_key("nudge:ana:1", t0),
                record_tick{t0}});
    unhandled =
        store->record(event_from({"console", "", "ana"}, "console:ana:1", t0 + 1h), true, recorded_as::unhandled);
    store->put_setting("slack.cursor", "abc");
  }

  const auto reopened = database.open();
  CHECK(reopened->load() == w);  // the response not handled yet counts once it is handled
  CHECK(keys_of(reopened->due_outbox(t0, 10)) == std::vector<std::string>{"nudge:ana:1"});
  REQUIRE(reopened->unhandled_responses().size() == 1);
  CHECK(reopened->unhandled_responses()[0].id == unhandled);
  CHECK(reopened->setting("slack.cursor") == "abc");
  CHECK_FALSE(
      reopened->record(event_from({"console", "", "ana"}, "console:ana:1", t0 + 1h), true, recorded_as::unhandled)
          .has_value());
}

TEST_CASE("outbox states have stable names") {
  CHECK(to_string(outbox_state::pending) == "pending");
  CHECK(to_string(outbox_state::sent) == "sent");
  CHECK(to_string(outbox_state::failed) == "failed");
}

TEST_CASE("an event's reply handle is kept with the event and with the replies to it") {
  fresh_store store;
  inbound slash = event_from({"slack", "T1", "U1"}, "slack:T1:trigger:1", t0, "/tandem tasks");
  slash.reply_handle = "https://hooks.slack.com/commands/T1/1/abc";
  store->record(slash, true, recorded_as::unhandled);
  CHECK(store->unhandled_responses().at(0).event.reply_handle == slash.reply_handle);

  send_message reply = message_with_key("reply:slack:T1:trigger:1:0");
  reply.to.reply_handle = slash.reply_handle;
  store->apply({reply}, std::nullopt);
  CHECK(row_with_key(*store, reply.key).item == reply);
}

TEST_CASE("a burst recorded in one transaction keeps a duplicate once, and a failed apply undoes only itself") {
  store_under_test database;
  {
    const auto store = database.open();
    store->in_one_transaction([&] {
      const auto first =
          store->record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled);
      CHECK_FALSE(store->record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled));
      const auto second =
          store->record(event_from({"slack", "T1", "U2"}, "slack:Ev2", t0 + 1s), true, recorded_as::unhandled);
      REQUIRE(first);
      REQUIRE(second);
      store->apply({message_with_key("reply:slack:Ev1:0")}, first);
      CHECK_THAT(store_error_of([&] { store->apply({message_with_key("reply:slack:Ev2:0")}, 4242); }),
                 Catch::Contains("4242"));
    });
  }
  const auto reopened = database.open();
  CHECK(keys_of(reopened->outbox_rows("")) == std::vector<std::string>{"reply:slack:Ev1:0"});
  const auto unhandled = reopened->unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].event.dedup_key == "slack:Ev2");
}

TEST_CASE("a burst whose work fails keeps nothing of it") {
  fresh_store store;
  CHECK_THROWS_AS(store->in_one_transaction([&] {
    store->record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled);
    store->apply({message_with_key("reply:slack:Ev1:0")}, std::nullopt);
    throw store_error("the disk is full");
  }),
                  store_error);
  CHECK(store->unhandled_responses().empty());
  CHECK(store->outbox_rows("").empty());
  // The store is usable afterwards: the transaction was rolled back, not left open.
  CHECK(store->record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled));
}

TEST_CASE("where a person's time zone came from survives a round trip, and a learned zone replaces only the default") {
  fresh_store store;
  world w;
  person given = person_with("ana", {identity{"slack", "T1", "U1"}});
  given.time_zone = "Europe/Berlin";
  given.time_zone_origin = zone_origin::given;
  const person defaulted = person_with("bob", {identity{"slack", "T1", "U2"}});
  apply_both(w, *store, {save_person{given}, save_person{defaulted}});
  CHECK(store->load().people.at("bob").time_zone_origin == zone_origin::defaulted);

  apply_both(w, *store, {learn_time_zone{"ana", "Asia/Tokyo"}, learn_time_zone{"bob", "America/Chicago"}});
  const world loaded = store->load();
  CHECK(loaded.people.at("ana").time_zone == "Europe/Berlin");
  CHECK(loaded.people.at("ana").time_zone_origin == zone_origin::given);
  CHECK(loaded.people.at("bob").time_zone == "America/Chicago");
  CHECK(loaded.people.at("bob").time_zone_origin == zone_origin::learned);
  CHECK(loaded == w);

  apply_both(w, *store, {learn_time_zone{"bob", "Asia/Tokyo"}});  // learned once: not again
  CHECK(store->load().people.at("bob").time_zone == "America/Chicago");
}

TEST_CASE("a cancelled task and a task's due date survive a round trip") {
  fresh_store store;
  world w;
  task cancelled{1,
                 "river",
                 "Map",
                 "ana",
                 "",
                 std::chrono::sys_days{std::chrono::year{2030} / 3 / 5},
                 task_status::cancelled,
                 "no longer needed",
                 "ana",
                 t0,
                 t0 + 1h};
  apply_both(w, *store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}, save_task{cancelled}});
  const world loaded = store->load();
  CHECK(loaded.tasks.at(1).status == task_status::cancelled);
  CHECK(loaded.tasks.at(1).due == std::chrono::sys_days{std::chrono::year{2030} / 3 / 5});
  CHECK(loaded == w);
}

TEST_CASE("a read-only command is stored as presence: it is the last response but no counted response") {
  fresh_store store;
  world w;
  apply_both(w, *store, {save_person{person_with("ana", {identity{"slack", "T1", "U1"}})}});
  const auto answered = store->record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled);
  apply_both(w, *store, {note_activity{"ana", t0, "", false, false}}, answered);
  const auto looked =
      store->record(event_from({"slack", "T1", "U1"}, "slack:Ev2", t0 + 1h), true, recorded_as::unhandled);
  apply_both(w, *store, {note_activity{"ana", t0 + 1h, "", false, true, "slack:Ev2"}}, looked);
  const world loaded = store->load();
  CHECK(loaded.last_response.at("ana") == t0 + 1h);
  CHECK(loaded.recent_responses.at("ana").size() == 2);
  CHECK(loaded.recent_answers.at("ana") == std::deque<time_point>{t0});
  CHECK(loaded.monthly_responses.at("ana").at(month_of(t0)) == 1);
  CHECK(loaded.recent_answers == w.recent_answers);
  CHECK(loaded.monthly_responses == w.monthly_responses);
}

TEST_CASE("a removed calendar event stays in the store, marked, so that its number is never reused") {
  fresh_store store;
  world w;
  apply_both(w, *store, {save_collaboration{collaboration{"river", "River", false, {}}}});
  calendar_event e{7, "river", "", std::chrono::floor<std::chrono::days>(t0), "Fair", {}, "", "ana", t0, std::nullopt};
  apply_both(w, *store, {save_event{e}});
  e.removed_at = t0 + 1h;
  apply_both(w, *store, {save_event{e}});
  CHECK(store->load().events.at(7).removed_at == t0 + 1h);
  CHECK(store->load().events == w.events);
}

TEST_CASE("dashboard links and sessions survive a round trip by their hashes; used and ended ones are not loaded") {
  fresh_store store;
  world w;
  const sign_in_grant open_link{"hash-a", "ana", "river", t0, t0 + 15min, std::nullopt};
  const sign_in_grant used_link{"hash-b", "ana", "river", t0, t0 + 15min, t0 + 1min};
  const dashboard_session open_session{"session-a", "ana", "river", t0, t0 + 2h, std::nullopt};
  const dashboard_session ended_session{"session-b", "ana", "river", t0, t0, t0 + 1h};
  apply_both(w, *store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}, save_sign_in{open_link},
              save_sign_in{used_link}, save_session{open_session}, save_session{ended_session},
              record_audit{audit_entry{t0, "river", "ana", "task.assign", "#1", "dashboard"}}});
  const world loaded = store->load();
  CHECK(loaded.sign_ins == std::map<std::string, sign_in_grant>{{"hash-a", open_link}});
  CHECK(loaded.sessions == std::map<std::string, dashboard_session>{{"session-a", open_session}});
  REQUIRE(loaded.audit.size() == 1);
  CHECK(loaded.audit[0].via == "dashboard");

  dashboard_session seen = open_session;
  seen.last_seen = t0 + 3h;
  store->apply({save_session{seen}}, std::nullopt);
  CHECK(store->load().sessions.at("session-a").last_seen == t0 + 3h);
}

TEST_CASE("a task's history is read back in the order it was written") {
  fresh_store store;
  world w;
  task t{1, "river", "Map", "ana", "", std::nullopt, task_status::open, "", "ana", t0, t0};
  apply_both(w, *store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}, save_task{t},
              record_task_update{1, task_status::open, "", "ana", t0},
              record_task_update{1, task_status::blocked, "no boots", "ana", t0 + 1h},
              record_task_update{1, task_status::done, "found some", "ana", t0 + 2h}});
  const auto history = store->task_history(1);
  REQUIRE(history.size() == 3);
  CHECK(history[1] == record_task_update{1, task_status::blocked, "no boots", "ana", t0 + 1h});
  CHECK(history[2].status == task_status::done);
  CHECK(store->task_history(2).empty());
}

TEST_CASE("the audit log is read a page at a time, newest first, filtered by kind and actor") {
  fresh_store store;
  std::vector<action> lines{save_collaboration{collaboration{"river", "River Alliance", false, {}}}};
  for (int i = 0; i < 120; ++i) {
    lines.push_back(record_audit{audit_entry{t0 + std::chrono::minutes{i}, "river", i % 2 ? "ana" : "system",
                                             i % 3 ? "task.assign" : "nudge.sent", std::to_string(i)}});
  }
  lines.push_back(record_audit{audit_entry{t0, "elsewhere", "ana", "task.assign", "other collaboration"}});
  lines.push_back(record_audit{audit_entry{t0, "river", "ana", "taskforce", "a kind that only starts like one"}});
  store->apply(lines, std::nullopt);

  const audit_lines first = store->audit_page({"river", "", ""}, 0, 50);
  CHECK(first.total == 121);
  REQUIRE(first.entries.size() == 50);
  CHECK(first.entries[0].detail == "a kind that only starts like one");
  CHECK(first.entries[1] == audit_entry{t0 + 119min, "river", "ana", "task.assign", "119"});
  const audit_lines last = store->audit_page({"river", "", ""}, 100, 50);
  CHECK(last.entries.size() == 21);
  CHECK(last.entries.back().detail == "0");
  CHECK(store->audit_page({"river", "", ""}, 200, 50).entries.empty());
  CHECK(store->audit_page({"river", "task", ""}, 0, 50).total == 80);  // task.assign, not taskforce
  CHECK(store->audit_page({"river", "task.assign", "ana"}, 0, 50).total == 40);
  CHECK(store->audit_page({"river", "tas", ""}, 0, 50).total == 0);    // a kind is a whole part of the name
  CHECK(store->audit_page({"river", "t_sk%", ""}, 0, 50).total == 0);  // no pattern characters
  CHECK(store->audit_page({"nowhere", "", ""}, 0, 50).total == 0);
}

TEST_CASE("the world holds the audit lines of the last weeks and those that date an organization, the store all") {
  fresh_store store;
  const time_point newest = t0 + std::chrono::days{400};
  const time_point window_start = newest - audit_window;
  store->apply({save_collaboration{collaboration{"river", "River Alliance", false, {}}},
                record_audit{audit_entry{t0, "river", "config", "config.add", "organization city \"City\""}},
                record_audit{audit_entry{t0 + 1h, "river", "ana", "org.add", "farm \"Farmers\""}},
                record_audit{audit_entry{t0 + 2h, "river", "ana", "task.assign", "#1 long ago"}},
                record_audit{audit_entry{window_start - 1s, "river", "ana", "task.done", "#1 just too old"}},
                record_audit{audit_entry{window_start, "river", "system", "delivery.failed", "within the window"}},
                record_audit{audit_entry{newest, "river", "ana", "task.assign", "#2"}}},
               std::nullopt);

  std::vector<std::string> loaded;
  for (const audit_entry& e : store->load().audit) loaded.push_back(e.detail);
  CHECK(loaded ==
        std::vector<std::string>{"organization city \"City\"", "farm \"Farmers\"", "within the window", "#2"});
  CHECK(store->audit_page({"river", "", ""}, 0, 10).total == 6);
}

TEST_CASE("a sign-in link that reached the store without its token made is refused, not stored") {
  fresh_store store;
  CHECK_THROWS_AS(store->apply({issue_sign_in{}}, std::nullopt), store_error);
}

TEST_CASE("a token rotation that reached the store without its token made is refused, not stored") {
  fresh_store store;
  CHECK_THROWS_AS(store->apply({rotate_secret{"river", "calendar", {}}}, std::nullopt), store_error);
}
