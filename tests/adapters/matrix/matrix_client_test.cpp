// The Matrix adapter in client mode against the fake homeserver, over real sockets and TLS.

#include "adapters/matrix/matrix_bot_fixture.h"

#include "adapters/matrix/matrix_render.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace tandem::matrix_testing {
namespace {

using nlohmann::json;
using testing::fake_homeserver;
using testing::injected_failure;
using testing::scripted_response;

/// A homeserver where the bot has a token and is in the river room with ana and bob.
struct river_homeserver {
  fake_homeserver hs;
  river_homeserver() {
    hs.add_token(bot_token, bot_id);
    hs.join(river, bot_id);
    hs.join(river, "@ana:example.org");
    hs.join(river, "@bob:example.org");
    hs.set_long_poll(std::chrono::milliseconds{50});
  }
};

/// Starts the bot and runs it through its first sync, which acts on nothing.
void start_and_sync(matrix_bot& bot, fake_homeserver& hs) {
  bot.start();
  REQUIRE(bot.run_until([&] { return hs.sync_count() >= 2; }));
  REQUIRE(bot.adapter().health() == "ok");
}

bool recorded_key(const matrix_bot& bot, const std::string& event_id) {
  return std::ranges::any_of(bot.recorded(), [&](const inbound& e) { return e.dedup_key == "matrix:" + event_id; });
}

/// Runs a bot on `db` until it has handled Ana's message `event_id` in the river room, then stops
/// it. Returns the sync token it stored.
std::string handle_then_stop(river_homeserver& server, const std::filesystem::path& db, std::string& event_id) {
  matrix_bot bot(db, client_options(server.hs));
  start_and_sync(bot, server.hs);
  event_id = server.hs.say(river, "@ana:example.org", "see you at the river");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, event_id); }));
  bot.run_for(std::chrono::milliseconds{300});
  return bot.store().setting("matrix.next_batch").value_or("");
}

TEST_CASE("a command in a room gets a reply there, as a notice replying to it and mentioning the sender") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);

  const std::string command = server.hs.say(river, "@ana:example.org", "!tandem status");
  REQUIRE(bot.run_until([&] { return !server.hs.sent_in(river).empty(); }));

  const auto reply = server.hs.sent_in(river).front();
  CHECK(reply.content["msgtype"] == "m.notice");
  CHECK(reply.content["format"] == "org.matrix.custom.html");
  CHECK(reply.content["body"].get<std::string>().find("River Restoration Alliance") != std::string::npos);
  CHECK(reply.content["m.relates_to"]["m.in_reply_to"]["event_id"] == command);
  CHECK(reply.content["m.mentions"]["user_ids"] == json::array({"@ana:example.org"}));
  CHECK(reply.txn_id == matrix::transaction_id_for("reply:matrix:" + command + ":0"));
  REQUIRE(bot.recorded().size() == 1);
  CHECK(bot.recorded()[0].kind == inbound_kind::command);
  CHECK(bot.recorded()[0].text == "status");
  CHECK(server.hs.count_requests("GET", "/account/whoami") == 1);
  CHECK(server.hs.count_requests("POST", "/filter") == 1);
}

TEST_CASE("room chatter is recorded as activity and gets no answer; the bot's own notices are not heard") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);

  const std::string chat = server.hs.say(river, "@bob:example.org", "Morning! The flyers are at the printer.");
  server.hs.post(river, "@otherbot:example.org", "m.room.message",
                 {{"msgtype", "m.notice"}, {"body", "!tandem status"}});
  const std::string last = server.hs.say(river, "@ana:example.org", "!tandem help");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, last) && !server.hs.sent_in(river).empty(); }));
  bot.run_for(std::chrono::milliseconds{200});

  REQUIRE(bot.recorded().size() == 2);
  CHECK(bot.recorded()[0].dedup_key == "matrix:" + chat);
  CHECK(bot.recorded()[0].kind == inbound_kind::message);
  CHECK_FALSE(bot.recorded()[0].addressed);
  CHECK(server.hs.sent_in(river).size() == 1);  // the help reply, and no answer to its own notice
}

TEST_CASE("the first sync of a new account does not act on old history") {
  river_homeserver server;
  server.hs.say(river, "@ana:example.org", "!tandem status");
  server.hs.say(river, "@ana:example.org", "!tandem help");
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);
  bot.run_for(std::chrono::milliseconds{200});

  CHECK(bot.recorded().empty());
  CHECK(server.hs.sent().empty());
  CHECK(bot.store().setting("matrix.next_batch") == "s" + std::to_string(server.hs.stream_position()));
}

TEST_CASE("a restart resumes from the stored token: nothing replayed, nothing lost") {
  river_homeserver server;
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  std::string before;
  {
    matrix_bot bot(db, client_options(server.hs));
    start_and_sync(bot, server.hs);
    before = server.hs.say(river, "@ana:example.org", "!tandem status");
    REQUIRE(bot.run_until([&] { return !server.hs.sent_in(river).empty(); }));
    REQUIRE(bot.run_until(
        [&] { return bot.store().setting("matrix.next_batch") == "s" + std::to_string(server.hs.stream_position()); }));
  }
  // While Tandem is down, people keep talking.
  const std::string while_down = server.hs.say(river, "@bob:example.org", "!tandem tasks");
  const std::string chatter = server.hs.say(river, "@ana:example.org", "see you at the river");

  matrix_bot bot(db, client_options(server.hs));
  bot.start();
  REQUIRE(bot.run_until([&] { return server.hs.sent_in(river).size() == 2; }));
  bot.run_for(std::chrono::milliseconds{200});

  std::vector<std::string> keys;
  for (const auto& e : bot.recorded()) keys.push_back(e.dedup_key);
  CHECK(keys == std::vector<std::string>{"matrix:" + while_down, "matrix:" + chatter});
  CHECK(bot.deliveries() == 2);  // the event from before the restart is not even offered again
  CHECK(server.hs.sent_in(river).size() == 2);
}

TEST_CASE("the sync token is kept only after every event of the batch is stored") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);
  const auto token_before = bot.store().setting("matrix.next_batch");

  bot.fail_records(1);  // the store refuses the first attempt of the batch
  const std::string first = server.hs.say(river, "@ana:example.org", "one");
  const std::string second = server.hs.say(river, "@ana:example.org", "two");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, first) && recorded_key(bot, second); }));
  REQUIRE(bot.run_until([&] { return bot.store().setting("matrix.next_batch") != token_before; }));
  CHECK(bot.recorded().size() == 2);
  CHECK(bot.deliveries() == 4);  // the whole batch was offered again; the second copy of "two" was a duplicate
}

TEST_CASE("a backlog answered as a limited timeline is back-filled completely from /messages") {
  river_homeserver server;
  server.hs.set_timeline_limit(10);
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  {
    matrix_bot bot(db, client_options(server.hs));
    start_and_sync(bot, server.hs);
  }
  std::vector<std::string> backlog;
  for (int i = 0; i < 250; ++i)
    backlog.push_back(server.hs.say(river, "@bob:example.org", "message " + std::to_string(i)));

  matrix_bot bot(db, client_options(server.hs));
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.recorded().size() == backlog.size(); }));
  bot.run_for(std::chrono::milliseconds{200});

  REQUIRE(bot.recorded().size() == backlog.size());
  for (std::size_t i = 0; i < backlog.size(); ++i) CHECK(bot.recorded()[i].dedup_key == "matrix:" + backlog[i]);
  CHECK(server.hs.count_requests("GET", "/messages") >= 3);  // 240 missing events, 100 per page
}

/// The stream position of an event of the fake homeserver ("$ev12:example.org" is 12).
std::size_t position_of_event(const std::string& dedup_key) {
  const auto start = dedup_key.find("$ev") + 3;
  return std::stoul(dedup_key.substr(start, dedup_key.find(':', start) - start));
}

TEST_CASE("a gap is stored page by page: a bot stopped mid-gap keeps what it read and resumes where it stood") {
  river_homeserver server;
  server.hs.set_timeline_limit(10);
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  std::optional<std::string> token_before;
  {
    matrix_bot bot(db, client_options(server.hs));
    start_and_sync(bot, server.hs);
    token_before = bot.store().setting("matrix.next_batch");
  }
  std::vector<std::string> backlog;
  for (int i = 0; i < 600; ++i)
    backlog.push_back(server.hs.say(river, "@bob:example.org", "message " + std::to_string(i)));

  std::size_t stored_before_stop = 0;
  {
    matrix_bot bot(db, client_options(server.hs));
    bot.start();
    // Stopped once at least two pages are stored and the position after them is durable.
    REQUIRE(bot.run_until([&] {
      if (bot.recorded().size() < 200) return false;
      const auto gap = bot.store().setting("matrix.backfill");
      const auto at = "t" + std::to_string(position_of_event(bot.recorded().back().dedup_key));
      return gap && json::parse(*gap)["rooms"].value(river, "") == at;
    }));
    stored_before_stop = bot.recorded().size();
    for (std::size_t i = 0; i < stored_before_stop; ++i) CHECK(bot.recorded()[i].dedup_key == "matrix:" + backlog[i]);
    CHECK(bot.deliveries() == stored_before_stop);
    CHECK(bot.store().setting("matrix.next_batch") == token_before);  // the gap is not closed
  }
  REQUIRE(stored_before_stop < backlog.size() - 100);  // stopped mid-gap, with pages left

  matrix_bot bot(db, client_options(server.hs));
  bot.start();
  bool token_moved_early = false;
  REQUIRE(bot.run_until([&] {
    if (stored_before_stop + bot.recorded().size() < backlog.size() &&
        bot.store().setting("matrix.next_batch") != token_before) {
      token_moved_early = true;
    }
    return stored_before_stop + bot.recorded().size() == backlog.size();
  }));
  REQUIRE(bot.run_until(
      [&] { return bot.store().setting("matrix.next_batch") == "s" + std::to_string(server.hs.stream_position()); }));
  bot.run_for(std::chrono::milliseconds{200});

  CHECK_FALSE(token_moved_early);
  REQUIRE(bot.recorded().size() == backlog.size() - stored_before_stop);
  for (std::size_t i = 0; i < bot.recorded().size(); ++i) {
    CHECK(bot.recorded()[i].dedup_key == "matrix:" + backlog[stored_before_stop + i]);
  }
  CHECK(bot.deliveries() == backlog.size() - stored_before_stop);  // nothing read before the stop offered again
}

TEST_CASE("a refused sync token starts a fresh sync that closes each room's gap from its last handled event") {
  river_homeserver server;
  server.hs.set_timeline_limit(10);
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  std::string before;
  const std::string token = handle_then_stop(server, db, before);
  // While Tandem is down, 250 messages arrive, and the homeserver forgets the bot's position.
  std::vector<std::string> backlog;
  for (int i = 0; i < 250; ++i)
    backlog.push_back(server.hs.say(river, "@bob:example.org", "message " + std::to_string(i)));
  server.hs.refuse_since(token, "M_UNKNOWN_POS");

  std::vector<std::string> lines;
  matrix_options options = client_options(server.hs);
  options.log = [&lines](std::string_view level, std::string_view line) {
    lines.push_back(std::string{level} + " " + std::string{line});
  };
  matrix_bot bot(db, options);
  bot.start();
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "resyncing"; }));
  REQUIRE(bot.run_until([&] { return bot.recorded().size() == backlog.size(); }));
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "ok"; }));
  bot.run_for(std::chrono::milliseconds{300});

  REQUIRE(bot.recorded().size() == backlog.size());
  for (std::size_t i = 0; i < backlog.size(); ++i) CHECK(bot.recorded()[i].dedup_key == "matrix:" + backlog[i]);
  CHECK(bot.deliveries() == backlog.size());  // the message handled before the stop is not offered again
  CHECK(server.hs.count_requests("GET", "/sync") >= 3);
  CHECK(server.hs.last_since() != token);  // polling goes on from the fresh sync's token
  CHECK(bot.store().setting("matrix.next_batch") != token);
  CHECK(std::ranges::any_of(lines, [](const std::string& l) {
    return l.starts_with("error ") && l.find("refused the sync token") != std::string::npos &&
           l.find("M_UNKNOWN_POS") != std::string::npos;
  }));
  CHECK(std::ranges::any_of(lines, [](const std::string& l) { return l.find("matrix: resynced") != std::string::npos; }));
}

TEST_CASE("after a refused sync token, a room whose last handled event is gone from its history is back-filled whole") {
  river_homeserver server;
  server.hs.set_timeline_limit(10);
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  std::string before;
  const std::string token = handle_then_stop(server, db, before);
  std::vector<std::string> backlog;
  for (int i = 0; i < 150; ++i)
    backlog.push_back(server.hs.say(river, "@bob:example.org", "message " + std::to_string(i)));
  server.hs.refuse_since(token, "M_UNKNOWN_POS");
  {
    // The event the bot handled last is no longer in the room's history (purged, say).
    sqlite_store store(db.string());
    store.put_setting("matrix.last_events", json{{river, "$purged:example.org"}}.dump());
  }

  std::vector<std::string> lines;
  matrix_options options = client_options(server.hs);
  options.log = [&lines](std::string_view level, std::string_view line) {
    lines.push_back(std::string{level} + " " + std::string{line});
  };
  matrix_bot bot(db, options);
  bot.start();
  // The message from before is offered again (the store recognises its event id), then the rest.
  REQUIRE(bot.run_until([&] { return bot.recorded().size() == backlog.size() + 1; }));
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "ok"; }));
  bot.run_for(std::chrono::milliseconds{300});

  REQUIRE(bot.recorded().size() == backlog.size() + 1);
  CHECK(bot.recorded()[0].dedup_key == "matrix:" + before);
  for (std::size_t i = 0; i < backlog.size(); ++i) CHECK(bot.recorded()[i + 1].dedup_key == "matrix:" + backlog[i]);
  CHECK(bot.deliveries() == backlog.size() + 1);  // each event of the room once
  CHECK(std::ranges::any_of(lines, [](const std::string& l) {
    return l.find("is not in its history; back-filling the whole room") != std::string::npos;
  }));
}

TEST_CASE("after a refused sync token, a room the bot never heard from before is not acted on") {
  river_homeserver server;
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  std::string token;
  {
    matrix_bot bot(db, client_options(server.hs));
    start_and_sync(bot, server.hs);  // the river room has said nothing yet
    token = bot.store().setting("matrix.next_batch").value_or("");
  }
  server.hs.say(river, "@ana:example.org", "!tandem status");
  server.hs.refuse_since(token, "M_INVALID_PARAM");

  matrix_bot bot(db, client_options(server.hs));
  bot.start();
  REQUIRE(bot.run_until([&] { return server.hs.last_since() != token && bot.adapter().health() == "ok"; }));
  const std::string after = server.hs.say(river, "@ana:example.org", "!tandem help");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, after); }));
  bot.run_for(std::chrono::milliseconds{200});
  REQUIRE(bot.recorded().size() == 1);  // the status command from before the resync is not answered
  CHECK(bot.recorded()[0].dedup_key == "matrix:" + after);
}

TEST_CASE("a reaction on the bot's message answers it: the task nudge's checkmark marks the task done") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);

  server.hs.say(river, "@ana:example.org", "!tandem assign @bob:example.org \"Print the flyers\"");
  // Bob gets a DM: opened with createRoom, recorded in m.direct, the notice offering answers.
  REQUIRE(bot.run_until([&] { return server.hs.sent("m.reaction").size() == 2; }));
  REQUIRE(server.hs.create_room_requests().size() == 1);
  CHECK(server.hs.create_room_requests()[0] ==
        json::parse(R"({"preset": "trusted_private_chat", "is_direct": true, "invite": ["@bob:example.org"]})"));
  const auto notices = server.hs.sent("m.room.message");
  const auto dm = std::ranges::find_if(notices, [](const auto& e) { return e.room_id != river; });
  REQUIRE(dm != notices.end());
  CHECK(server.hs.direct_account_data(bot_id) == json{{"@bob:example.org", {dm->room_id}}});
  CHECK(dm->content["body"].get<std::string>().find("\u2705") != std::string::npos);
  CHECK(dm->content["m.mentions"] == json::object());
  const auto reactions = server.hs.sent("m.reaction");
  CHECK(reactions[0].content["m.relates_to"]["event_id"] == dm->event_id);
  CHECK(reactions[0].content["m.relates_to"]["key"] == "\u2705");

  const auto answers_before = server.hs.sent_in(dm->room_id).size();
  server.hs.react(dm->room_id, "@bob:example.org", dm->event_id, "\u2705");
  REQUIRE(bot.run_until([&] { return server.hs.sent_in(dm->room_id).size() > answers_before; }));
  REQUIRE(bot.current().tasks.size() == 1);
  CHECK(bot.current().tasks.begin()->second.status == task_status::done);
  const auto answer = server.hs.sent_in(dm->room_id).back();
  CHECK(answer.content["m.relates_to"]["m.in_reply_to"]["event_id"] == dm->event_id);
  CHECK(answer.content["m.mentions"] == json::object());  // a DM mentions nobody
}

TEST_CASE("after a restart, a reaction's meaning is read back from the bot's message itself") {
  river_homeserver server;
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  testing::sent_event notice;
  {
    matrix_bot bot(db, client_options(server.hs));
    start_and_sync(bot, server.hs);
    server.hs.say(river, "@ana:example.org", "!tandem assign @bob:example.org \"Print the flyers\"");
    // Until the outbox knows it is sent: else the next start sends it again (the same txn id) and
    // learns its answers from that instead of reading them back.
    REQUIRE(
        bot.run_until([&] { return server.hs.sent("m.reaction").size() == 2 && bot.dispatcher().in_flight() == 0; }));
    for (const auto& e : server.hs.sent("m.room.message")) {
      if (e.room_id != river) notice = e;
    }
  }
  server.hs.react(notice.room_id, "@bob:example.org", notice.event_id, "\u26d4\ufe0f");

  matrix_bot bot(db, client_options(server.hs));
  bot.start();
  REQUIRE(bot.run_until([&] { return !bot.recorded().empty(); }));
  CHECK(bot.recorded()[0].kind == inbound_kind::command);
  CHECK(bot.recorded()[0].text == "blocked 1");
  CHECK(bot.recorded()[0].direct);  // the DM is known from m.direct
  CHECK(server.hs.count_requests("GET", "/event/") == 1);
}

TEST_CASE("a bare command in a DM with the bot is a command") {
  river_homeserver server;
  server.hs.set_account_data(bot_id, "m.direct", {{"@bob:example.org", {"!bobdm:example.org"}}});
  server.hs.join("!bobdm:example.org", bot_id);
  server.hs.join("!bobdm:example.org", "@bob:example.org");
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);

  server.hs.say("!bobdm:example.org", "@bob:example.org", "tasks");
  REQUIRE(bot.run_until([&] { return !server.hs.sent_in("!bobdm:example.org").empty(); }));
  REQUIRE(bot.recorded().size() == 1);
  CHECK(bot.recorded()[0].direct);
  CHECK(bot.recorded()[0].kind == inbound_kind::command);
  CHECK(bot.recorded()[0].text == "tasks");
}

TEST_CASE("invitations: a collaboration's room and a known person's DM are joined, a stranger's declined") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);

  server.hs.invite("!river:example.org", "@ana:example.org", bot_id, false);
  server.hs.invite("!anadm:example.org", "@ana:example.org", bot_id, true);
  server.hs.invite("!spam:example.org", "@stranger:elsewhere.org", bot_id, true);
  server.hs.invite("!random:example.org", "@bob:example.org", bot_id,
                   false);  // known person, not a DM, not a room of ours
  REQUIRE(bot.run_until([&] { return server.hs.joined_by_api().size() == 2 && server.hs.left_by_api().size() == 2; }));

  const auto joined = server.hs.joined_by_api();
  CHECK(std::set<std::string>(joined.begin(), joined.end()) == std::set<std::string>{river, "!anadm:example.org"});
  const auto left = server.hs.left_by_api();
  CHECK(std::set<std::string>(left.begin(), left.end()) ==
        std::set<std::string>{"!spam:example.org", "!random:example.org"});
  REQUIRE(bot.run_until([&] { return !server.hs.direct_account_data(bot_id).is_null(); }));
  CHECK(server.hs.direct_account_data(bot_id) == json{{"@ana:example.org", {"!anadm:example.org"}}});
  REQUIRE(bot.run_until([&] { return bot.store().setting("matrix.pending_invites") == "{}"; }));
}

TEST_CASE("a failed join is retried, also after a restart") {
  river_homeserver server;
  temp_folder dir;
  const auto db = dir.path() / "tandem.db";
  {
    matrix_bot bot(db, client_options(server.hs));
    start_and_sync(bot, server.hs);
    server.hs.inject(injected_failure{"POST", "/join", scripted_response::json(502, "bad gateway"), false});
    server.hs.inject(injected_failure{"POST", "/join", scripted_response::json(502, "bad gateway"), false});
    server.hs.invite("!anadm:example.org", "@ana:example.org", bot_id, true);
    REQUIRE(bot.run_until([&] { return server.hs.count_requests("POST", "/join") >= 1; }));
    CHECK(server.hs.joined_by_api().empty());
    CHECK(bot.store().setting("matrix.pending_invites").value_or("").find("!anadm:example.org") != std::string::npos);
  }
  matrix_bot bot(db, client_options(server.hs));
  bot.start();  // the invitation is still pending in the store; the homeserver will not send it again
  REQUIRE(bot.run_until([&] { return server.hs.joined_by_api() == std::vector<std::string>{"!anadm:example.org"}; }));
  CHECK(server.hs.count_requests("POST", "/join") == 3);
}

TEST_CASE("an encrypted room gets one plain notice that encryption is not supported") {
  river_homeserver server;
  server.hs.join("!secret:example.org", bot_id);
  server.hs.join("!secret:example.org", "@ana:example.org");
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);

  const json ciphertext{{"algorithm", "m.megolm.v1.aes-sha2"}, {"ciphertext", "AwgAEnAC…"}, {"session_id", "s"}};
  server.hs.post("!secret:example.org", "@ana:example.org", "m.room.encrypted", ciphertext);
  REQUIRE(bot.run_until([&] { return !server.hs.sent_in("!secret:example.org").empty(); }));
  server.hs.post("!secret:example.org", "@ana:example.org", "m.room.encrypted", ciphertext);
  const std::string marker = server.hs.say(river, "@ana:example.org", "later");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, marker); }));

  const auto notices = server.hs.sent_in("!secret:example.org");
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].content["msgtype"] == "m.notice");
  CHECK(notices[0].content["body"] ==
        "I cannot read this room: its messages are end-to-end encrypted, and Tandem does not support encryption. "
        "Please talk to me in a room without encryption, or in a direct chat without it.");
  CHECK(notices[0].content["m.mentions"] == json::object());
}

TEST_CASE("the encrypted-room notice is in the language of whoever wrote there, English for a stranger") {
  river_homeserver server;
  for (const char* room : {"!bobs:example.org", "!anas:example.org", "!guests:example.org"}) {
    server.hs.join(room, bot_id);
  }
  world seed = seed_world();
  seed.people.at("bob").language = "fr";
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs), seed);
  start_and_sync(bot, server.hs);

  const json ciphertext{{"algorithm", "m.megolm.v1.aes-sha2"}, {"ciphertext", "AwgAEnAC…"}, {"session_id", "s"}};
  server.hs.post("!bobs:example.org", "@bob:example.org", "m.room.encrypted", ciphertext);
  server.hs.post("!anas:example.org", "@ana:example.org", "m.room.encrypted", ciphertext);
  server.hs.post("!guests:example.org", "@zoe:elsewhere.org", "m.room.encrypted", ciphertext);
  REQUIRE(bot.run_until([&] { return server.hs.sent().size() == 3; }));

  const auto body_in = [&](const char* room) {
    const auto sent = server.hs.sent_in(room);
    return sent.size() == 1 ? sent[0].content["body"].get<std::string>() : std::string{"(not one notice)"};
  };
  CHECK(body_in("!bobs:example.org").starts_with("Je ne peux pas lire ce salon"));
  CHECK(body_in("!anas:example.org").starts_with("I cannot read this room"));
  CHECK(body_in("!guests:example.org").starts_with("I cannot read this room"));
}

TEST_CASE("an edit of a command does not run it again") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);
  const std::string original = server.hs.say(river, "@ana:example.org", "!tandem status");
  server.hs.post(river, "@ana:example.org", "m.room.message",
                 {{"msgtype", "m.text"},
                  {"body", "* !tandem status"},
                  {"m.new_content", {{"msgtype", "m.text"}, {"body", "!tandem status"}}},
                  {"m.relates_to", {{"rel_type", "m.replace"}, {"event_id", original}}}});
  const std::string marker = server.hs.say(river, "@ana:example.org", "done here");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, marker); }));
  bot.run_for(std::chrono::milliseconds{200});
  CHECK(bot.recorded().size() == 2);
  CHECK(server.hs.sent_in(river).size() == 1);
}

}  // namespace
}  // namespace tandem::matrix_testing

namespace tandem::matrix_testing {
namespace {

TEST_CASE("a 429 on /sync waits for Retry-After before polling again") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);
  server.hs.inject(
      injected_failure{"GET", "/sync",
                       scripted_response::json(429, R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests"})")
                           .with_header("Retry-After", "1"),
                       false});
  REQUIRE(bot.run_until([&] { return bot.adapter().health() == "rate_limited"; }));
  const auto limited_at = std::chrono::steady_clock::now();
  const auto syncs = server.hs.sync_count();
  const std::string message = server.hs.say(river, "@ana:example.org", "after the wait");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, message); }));
  CHECK(std::chrono::steady_clock::now() - limited_at >= std::chrono::milliseconds{900});
  CHECK(server.hs.sync_count() <= syncs + 2);  // the one that waited (and perhaps the next long poll)
  CHECK(bot.adapter().health() == "ok");
}

TEST_CASE("a /sync that fails (5xx, dropped connection, malformed answer) is retried with the same token") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);
  auto dropped = scripted_response::json(200, "{}");
  dropped.then = testing::connection_action::close_without_answer;
  server.hs.inject(injected_failure{"GET", "/sync", scripted_response::json(502, "<html>Bad gateway</html>"), false});
  server.hs.inject(injected_failure{"GET", "/sync", dropped, false});
  server.hs.inject(injected_failure{"GET", "/sync", scripted_response::json(200, R"({"rooms": {}})"), false});
  const std::string message = server.hs.say(river, "@ana:example.org", "still here");
  REQUIRE(bot.run_until([&] { return recorded_key(bot, message); }));
  CHECK(bot.recorded().size() == 1);
  CHECK(bot.adapter().health() == "ok");
}

TEST_CASE("a reaction on an approval request answers it for the organization: the thumbs up approves") {
  river_homeserver server;
  temp_folder dir;
  matrix_bot bot(dir.path() / "tandem.db", client_options(server.hs));
  start_and_sync(bot, server.hs);

  server.hs.say(river, "@ana:example.org", "!tandem member add @bob:example.org org:city rep");
  server.hs.say(river, "@ana:example.org", "!tandem approval open \"2027 budget\" to org:city");
  // Bob's request arrives in a DM, with the bot's own reactions offering the five answers.
  REQUIRE(bot.run_until([&] { return server.hs.sent("m.reaction").size() == 5; }));
  const auto notices = server.hs.sent("m.room.message");
  const auto dm = std::ranges::find_if(notices, [](const auto& e) { return e.room_id != river; });
  REQUIRE(dm != notices.end());
  CHECK(dm->content["body"].get<std::string>().find("2027 budget") != std::string::npos);
  CHECK(dm->content["body"].get<std::string>().find("\U0001F44D Approve") != std::string::npos);

  const auto answers_before = server.hs.sent_in(dm->room_id).size();
  server.hs.react(dm->room_id, "@bob:example.org", dm->event_id, "\U0001F44D");
  REQUIRE(bot.run_until([&] { return server.hs.sent_in(dm->room_id).size() > answers_before; }));
  REQUIRE(bot.current().approvals.size() == 1);
  const approval_answer& city = bot.current().approvals.begin()->second.answers.at(0);
  CHECK(city.state == approval_state::approved);
  CHECK(city.by == "bob");
  const auto answer = server.hs.sent_in(dm->room_id).back();
  CHECK(answer.content["body"].get<std::string>().find("City Council approves A1") != std::string::npos);
}

}  // namespace
}  // namespace tandem::matrix_testing
