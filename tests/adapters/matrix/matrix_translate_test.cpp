#include "adapters/matrix/matrix_translate.h"

#include <catch2/catch.hpp>

namespace tandem::matrix {
namespace {

using nlohmann::json;

const bot_account bot{"@tandem:example.org", "example.org"};

client_event message_event(json content, std::string sender = "@ana:example.org", std::string id = "$m1:example.org") {
  client_event e;
  e.type = "m.room.message";
  e.event_id = std::move(id);
  e.sender = std::move(sender);
  e.room_id = "!river:example.org";
  e.origin_server_ts = 1432735824653;
  e.content = std::move(content);
  return e;
}

client_event text_event(const std::string& body, std::string sender = "@ana:example.org") {
  return message_event({{"msgtype", "m.text"}, {"body", body}}, std::move(sender));
}

client_event reaction_event(const std::string& key, const std::string& target = "$bot_msg:example.org",
                            std::string sender = "@ana:example.org") {
  client_event e;
  e.type = "m.reaction";
  e.event_id = "$r1:example.org";
  e.sender = std::move(sender);
  e.room_id = "!dm:example.org";
  e.origin_server_ts = 1432735824653;
  e.content = {{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", target}, {"key", key}}}};
  return e;
}

TEST_CASE("a room message starting with !tandem is an addressed command, deduplicated by event id") {
  const auto in = translate_event(text_event("!tandem done 12 shipped"), bot, false, std::nullopt);
  REQUIRE(in);
  CHECK(in->kind == inbound_kind::command);
  CHECK(in->addressed);
  CHECK_FALSE(in->direct);
  CHECK(in->text == "done 12 shipped");
  CHECK(in->dedup_key == "matrix:$m1:example.org");
  CHECK(in->sender == identity{"matrix", "example.org", "@ana:example.org"});
  CHECK(in->conversation == "!river:example.org");
  CHECK(in->reply_handle == "$m1:example.org");
  CHECK(in->at == time_point{std::chrono::seconds{1432735824}});
}

TEST_CASE("the command prefix: any case, a bare prefix asks for help, a longer word is not it") {
  CHECK(command_text("!TANDEM tasks", false) == "tasks");
  CHECK(command_text("  !tandem   tasks  ", false) == "tasks");
  CHECK(command_text("!tandem", false) == "help");
  CHECK(command_text("!tandemonium now", false) == std::nullopt);
  CHECK(command_text("hello !tandem tasks", false) == std::nullopt);
  CHECK(command_text("tasks", true) == "tasks");
  CHECK(command_text("!tandem tasks", true) == "tasks");
  CHECK(command_text("   ", true) == std::nullopt);
}

TEST_CASE("in a DM with the bot the bare body is the command") {
  const auto in = translate_event(text_event("tasks"), bot, true, std::nullopt);
  REQUIRE(in);
  CHECK(in->kind == inbound_kind::command);
  CHECK(in->addressed);
  CHECK(in->direct);
  CHECK(in->text == "tasks");
}

TEST_CASE("other room messages are activity, not addressed, with their text") {
  const auto in = translate_event(text_event("Good morning all"), bot, false, std::nullopt);
  REQUIRE(in);
  CHECK(in->kind == inbound_kind::message);
  CHECK_FALSE(in->addressed);
  CHECK(in->text == "Good morning all");
}

TEST_CASE("images and emotes are activity even in a DM") {
  const auto image = translate_event(message_event({{"msgtype", "m.image"}, {"body", "flyer.png"}}), bot, true, {});
  REQUIRE(image);
  CHECK(image->kind == inbound_kind::message);
  CHECK_FALSE(image->addressed);
  const auto emote = translate_event(message_event({{"msgtype", "m.emote"}, {"body", "waves"}}), bot, true, {});
  REQUIRE(emote);
  CHECK_FALSE(emote->addressed);
}

TEST_CASE("the body is parsed, not formatted_body, which may start with <p>") {
  const auto in = translate_event(message_event({{"msgtype", "m.text"},
                                                 {"body", "!tandem tasks"},
                                                 {"format", "org.matrix.custom.html"},
                                                 {"formatted_body", "<p>!tandem tasks</p>"}}),
                                  bot, false, std::nullopt);
  REQUIRE(in);
  CHECK(in->text == "tasks");
}

TEST_CASE("legacy reply fallbacks are stripped before looking for a command") {
  CHECK(strip_reply_fallback("> <@bob:example.org> the budget?\n> second line\n\n!tandem done 3") == "!tandem done 3");
  CHECK(strip_reply_fallback("no quote") == "no quote");
  CHECK(strip_reply_fallback("> only a quote") == "");
  const auto in = translate_event(message_event({{"msgtype", "m.text"},
                                                 {"body", "> <@tandem:example.org> Your open tasks\n\ndone 3"},
                                                 {"m.relates_to", {{"m.in_reply_to", {{"event_id", "$nudge"}}}}}}),
                                  bot, true, std::nullopt);
  REQUIRE(in);
  CHECK(in->kind == inbound_kind::command);
  CHECK(in->text == "done 3");
}

TEST_CASE("edits are ignored, so an edited command does not run twice") {
  CHECK_FALSE(translate_event(message_event({{"msgtype", "m.text"},
                                             {"body", "* !tandem done 3"},
                                             {"m.new_content", {{"msgtype", "m.text"}, {"body", "!tandem done 3"}}},
                                             {"m.relates_to", {{"rel_type", "m.replace"}, {"event_id", "$orig"}}}}),
                              bot, false, std::nullopt));
}

TEST_CASE("the bot's own events and every m.notice are ignored") {
  CHECK_FALSE(translate_event(text_event("!tandem tasks", bot.user_id), bot, false, std::nullopt));
  CHECK_FALSE(translate_event(message_event({{"msgtype", "m.notice"}, {"body", "!tandem tasks"}}, "@otherbot:hs"), bot,
                              true, std::nullopt));
  CHECK_FALSE(translate_event(reaction_event("✅", "$x", bot.user_id), bot, true, reaction_target{true, {}}));
}

TEST_CASE("state events and unknown types are ignored") {
  client_event member;
  member.type = "m.room.member";
  member.event_id = "$join";
  member.sender = "@ana:example.org";
  member.state_key = "@ana:example.org";
  member.content = {{"membership", "join"}};
  CHECK_FALSE(translate_event(member, bot, false, std::nullopt));
  client_event encrypted = text_event("x");
  encrypted.type = "m.room.encrypted";
  CHECK_FALSE(translate_event(encrypted, bot, false, std::nullopt));
}

TEST_CASE("content that breaks the schema is ignored rather than thrown") {
  CHECK_FALSE(translate_event(message_event(json::array({1, 2})), bot, false, std::nullopt));
  client_event broken = reaction_event("✅");
  broken.content = {{"key", "no relation"}};
  CHECK_FALSE(translate_event(broken, bot, false, std::nullopt));
}

TEST_CASE("a reaction that the bot's message offers is that answer's command") {
  const reaction_target target{true, {{"✅", "done 12"}, {"⛔", "blocked 12"}}};
  const auto in = translate_event(reaction_event("✅"), bot, true, target);
  REQUIRE(in);
  CHECK(in->kind == inbound_kind::command);
  CHECK(in->addressed);
  CHECK(in->text == "done 12");
  CHECK(in->dedup_key == "matrix:$r1:example.org");
  CHECK(in->reply_handle == "$bot_msg:example.org");
}

TEST_CASE("an answer matches with or without the emoji variation selector") {
  const reaction_target target{true, {{normalize_reaction_key("✅"), "done 12"}}};
  const auto in = translate_event(reaction_event("\u2705\ufe0f"), bot, true, target);
  REQUIRE(in);
  CHECK(in->text == "done 12");
  CHECK(normalize_reaction_key("\u26d4\ufe0f") == "\u26d4");
}

TEST_CASE("another reaction on the bot's message is addressed but no command; on others' messages it is activity") {
  const auto other = translate_event(reaction_event("👍"), bot, true, reaction_target{true, {{"✅", "done 12"}}});
  REQUIRE(other);
  CHECK(other->kind == inbound_kind::reaction);
  CHECK(other->addressed);
  CHECK(other->text == "👍");

  const auto elsewhere = translate_event(reaction_event("👍", "$someone_else"), bot, false, reaction_target{false, {}});
  REQUIRE(elsewhere);
  CHECK(elsewhere->kind == inbound_kind::reaction);
  CHECK_FALSE(elsewhere->addressed);

  const auto unknown = translate_event(reaction_event("👍"), bot, false, std::nullopt);
  REQUIRE(unknown);
  CHECK_FALSE(unknown->addressed);
}

TEST_CASE("answers are read back from the content of the bot's message") {
  const json content{{"msgtype", "m.notice"},
                     {"body", "x"},
                     {std::string{answers_content_key}, {{"\u2705\ufe0f", "done 12"}, {"⛔", "blocked 12"}, {"x", 3}}}};
  CHECK(answers_in_content(content) == answer_keys{{"✅", "done 12"}, {"⛔", "blocked 12"}});
  CHECK(answers_in_content(json{{"body", "x"}}).empty());
  CHECK(answers_in_content(json{{std::string{answers_content_key}, "nope"}}).empty());
}

TEST_CASE("a pill's display name becomes the user id it links to") {
  const auto in = translate_event(
      message_event({{"msgtype", "m.text"},
                     {"body", "!tandem assign Bob Smith \"Print the flyers\""},
                     {"format", "org.matrix.custom.html"},
                     {"formatted_body",
                      "!tandem assign <a href=\"https://matrix.to/#/%40bob%3Aexample.org\">Bob Smith</a> "
                      "&quot;Print the flyers&quot;"}}),
      bot, false, std::nullopt);
  REQUIRE(in);
  CHECK(in->text == "assign @bob:example.org \"Print the flyers\"");
  CHECK(with_pills_as_user_ids("nudge Ana", "<mx-reply><a href=\"https://matrix.to/#/@x:hs\">Ana</a></mx-reply>hi") ==
        "nudge Ana");
  CHECK(with_pills_as_user_ids("nudge Room", "<a href=\"https://matrix.to/#/!room:hs\">Room</a>") == "nudge Room");
}

TEST_CASE("server names come from user ids") {
  CHECK(server_name_of("@tandem:example.org") == "example.org");
  CHECK(server_name_of("@tandem:example.org:8448") == "example.org:8448");
  CHECK(server_name_of("tandem:example.org").empty());
  CHECK(server_name_of("@tandem").empty());
  CHECK(server_name_of("@:example.org").empty());
  CHECK(server_name_of("@tandem:").empty());
}

}  // namespace
}  // namespace tandem::matrix
