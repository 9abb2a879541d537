#include "adapters/matrix/matrix_render.h"

#include "core/markup.h"

#include <catch2/catch.hpp>

#include <set>

namespace tandem::matrix {
namespace {

using nlohmann::json;

TEST_CASE("neutral markup becomes Matrix HTML") {
  CHECK(markup_to_html("**#1** Print") == "<strong>#1</strong> Print");
  CHECK(markup_to_html("reply `done 1`") == "reply <code>done 1</code>");
  CHECK(markup_to_html("see [the plan](https://example.org/plan?a=1&b=2)") ==
        "see <a href=\"https://example.org/plan?a=1&amp;b=2\">the plan</a>");
  CHECK(markup_to_html("Your tasks:\n- **#1** one\n- #2 two\nReply soon.") ==
        "Your tasks:<ul><li><strong>#1</strong> one</li><li>#2 two</li></ul>Reply soon.");
  CHECK(markup_to_html("line one\nline two") == "line one<br>line two");
}

TEST_CASE("text in markup is escaped for HTML, and markup escapes are literal") {
  CHECK(markup_to_html("<script>alert('x')</script> & \"q\"") ==
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  CHECK(markup_to_html(escape_markup("**not bold** [x](y) `z`")) == "**not bold** [x](y) `z`");
  CHECK(markup_to_html("`a\\`b`") == "<code>a`b</code>");
  CHECK(markup_to_html("a lone [ bracket and `tick") == "a lone [ bracket and `tick");
  CHECK(markup_to_html("**unclosed") == "<strong>unclosed</strong>");
}

TEST_CASE("an @ in a title mentions nobody, in the body or the HTML: m.mentions says whom a notice mentions") {
  const std::string zw = "\xE2\x80\x8B";
  const json content = notice_content(
      rendered_message{"Task: " + escape_markup("@room tell @boss:example.org <a href=\"https://matrix.to/#/@x:y\">"),
                       {}},
      notice_options{{"@ana:example.org"}, std::nullopt});
  CHECK(content["body"] ==
        "Task: @" + zw + "room tell @" + zw + "boss:example.org <a href=\"https://matrix.to/#/@" + zw + "x:y\">");
  CHECK(content["formatted_body"] == "Task: @" + zw + "room tell @" + zw +
                                         "boss:example.org &lt;a href=&quot;https://matrix.to/#/@" + zw +
                                         "x:y&quot;&gt;");
  CHECK(content["m.mentions"] == json::parse(R"({"user_ids": ["@ana:example.org"]})"));
}

TEST_CASE("a notice carries a plain body, HTML, empty mentions and no answers when none are offered") {
  const json content = notice_content(rendered_message{"Done: task **#1**.", {}}, {});
  CHECK(content == json::parse(R"({"msgtype": "m.notice", "body": "Done: task #1.", "format": "org.matrix.custom.html",
                                   "formatted_body": "Done: task <strong>#1</strong>.", "m.mentions": {}})"));
}

TEST_CASE("a reply in a room mentions the person and relates to their command") {
  const json content =
      notice_content(rendered_message{"ok", {}}, notice_options{{"@ana:example.org"}, std::string{"$cmd:example.org"}});
  CHECK(content["m.mentions"] == json::parse(R"({"user_ids": ["@ana:example.org"]})"));
  CHECK(content["m.relates_to"] == json::parse(R"({"m.in_reply_to": {"event_id": "$cmd:example.org"}})"));
}

TEST_CASE("answers are listed as reactions in the text and carried in the content") {
  const rendered_message message{"New task **#12**.",
                                 {labelled_answer{"Done", answer{"done", "done 12", "\u2705", false}},
                                  labelled_answer{"Blocked", answer{"blocked", "blocked 12", "\u26d4\ufe0f", true}}}};
  const json content = notice_content(message, {});
  CHECK(content["body"] == "New task #12.\n\n\u2705 Done \u00b7 \u26d4\ufe0f Blocked");
  CHECK(content["formatted_body"] == "New task <strong>#12</strong>.<br><br>\u2705 Done \u00b7 \u26d4\ufe0f Blocked");
  CHECK(answers_in_content(content) == answer_keys{{"\u2705", "done 12"}, {"\u26d4", "blocked 12"}});
}

TEST_CASE("answer labels cannot inject HTML") {
  const rendered_message message{"x", {labelled_answer{"<b>Done</b>", answer{"done", "done 1", "\u2705", false}}}};
  CHECK(notice_content(message, {})["formatted_body"] == "x<br><br>\u2705 &lt;b&gt;Done&lt;/b&gt;");
}

TEST_CASE("the bot's reaction on its own message is an annotation") {
  CHECK(reaction_content("$e", "\u2705") ==
        json::parse(R"({"m.relates_to": {"rel_type": "m.annotation", "event_id": "$e", "key": "\u2705"}})"));
}

TEST_CASE("transaction ids: the same outbox key gives the same id, different keys and parts different ids") {
  const std::string a = transaction_id_for("reply:matrix:$m1:example.org:0");
  CHECK(a == transaction_id_for("reply:matrix:$m1:example.org:0"));
  CHECK(a.size() == 6 + 32);
  CHECK(a.starts_with("tandem"));
  CHECK(a.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") == std::string::npos);
  std::set<std::string> ids{a,
                            transaction_id_for("reply:matrix:$m1:example.org:1"),
                            transaction_id_for("notify:matrix:$m1:example.org:ana"),
                            transaction_id_for(a, "r0"),
                            transaction_id_for("reply:matrix:$m1:example.org:0", "r0"),
                            transaction_id_for("reply:matrix:$m1:example.org:0", "r1")};
  CHECK(ids.size() == 6);
}

}  // namespace
}  // namespace tandem::matrix
