// A title written by anyone who can name a task, as each platform receives it: escaped neutral
// markup (core/markup.h) rendered for Slack, Matrix, Mattermost, Discord and Teams must stay text:
// no mention, no link, no formatting.

#include "fuzz/fuzz_targets.h"

#include "adapters/markup_literals.h"
#include "adapters/matrix/matrix_render.h"
#include "adapters/slack/slack_outbound.h"
#include "adapters/webhook/webhook_render.h"
#include "core/markup.h"

#include <nlohmann/json.hpp>

#include <string>

namespace tandem::fuzz {
namespace {

/// Whether the character at `at` is preceded by an odd number of backslashes (escaped).
bool escaped(std::string_view text, std::size_t at) {
  std::size_t backslashes = 0;
  while (at > backslashes && text[at - backslashes - 1] == '\\') ++backslashes;
  return backslashes % 2 == 1;
}

/// Whether the character at `at` of `text` has a zero-width space right before it.
bool zero_width_space_before(std::string_view text, std::size_t at) {
  return at >= zero_width_space.size() && text.substr(0, at).ends_with(zero_width_space);
}

/// Whether the character at `at` of `text` has a zero-width space right after it.
bool zero_width_space_after(std::string_view text, std::size_t at) {
  return text.substr(at + 1).starts_with(zero_width_space);
}

/// Slack mrkdwn: mentions and links are <…> (so no `<` or `>` at all, only `&lt;` and `&gt;`);
/// formatting is * _ ~ `, which mrkdwn cannot escape: each has a zero-width space on both sides
/// (it opens and closes nothing); `@` and `]` are followed by one (no `@here`, no `[x](url)` where
/// the receiver reads Markdown).
void check_mrkdwn(std::string_view text, std::string_view where) {
  check(text.find_first_of("<>") == std::string_view::npos, where);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::string_view{"*_~`"}.find(text[i]) != std::string_view::npos) {
      check(zero_width_space_before(text, i) && zero_width_space_after(text, i), where);
    }
    if (text[i] == '@' || text[i] == ']') check(zero_width_space_after(text, i), where);
  }
}

/// Markdown (Mattermost, Discord): every character that could format is backslash-escaped, and no
/// @here, @channel, @all or @everyone is left to notify a room.
void check_markdown(std::string_view text, std::string_view where) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::string_view{"*_~`[]|<>"}.find(text[i]) != std::string_view::npos) check(escaped(text, i), where);
    if (text[i] == '@' && !escaped(text, i)) {
      for (const std::string_view word : {"here", "channel", "all", "everyone"}) {
        check(!text.substr(i + 1).starts_with(word), where);
      }
    }
  }
}

/// Teams: a card's text is in TextRuns, which no Markdown reads; a title adds no TextBlock (whose
/// text is Markdown), no run that opens a URL, no bold run and no action.
void check_teams_card(const nlohmann::json& j) {
  if (j.is_object()) {
    check(j.value("type", "") != "TextBlock", "a title on a Teams card is never read as Markdown");
    check(!j.contains("selectAction") && !j.contains("actions"), "a title on a Teams card makes no link");
    check(!j.contains("weight"), "a title on a Teams card makes no bold text");
  }
  if (j.is_structured()) {
    for (const auto& child : j) check_teams_card(child);
  }
}

/// Every string in a JSON document.
void strings_of(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_string()) out.push_back(j.get<std::string>());
  for (const auto& child : j) {
    if (j.is_structured()) strings_of(child, out);
  }
}

}  // namespace

void markup_render(std::string_view input) {
  if (!valid_utf8(input)) return;  // titles are chat text: UTF-8
  const rendered_message message{escape_markup(input), {}};

  check_mrkdwn(webhook::mrkdwn_from_markup(message.markup), "a title in Slack mrkdwn (webhooks) stays text");
  check_mrkdwn(slack::message_body(message, "b").value("text", ""), "a title in a Slack message stays text");
  check_markdown(webhook::markdown_from_markup(message.markup), "a title in Markdown stays text");
  // A title's line breaks become <br>; no other tag may come from it.
  std::string html = matrix::markup_to_html(message.markup);
  for (auto at = html.find("<br>"); at != std::string::npos; at = html.find("<br>", at)) html.erase(at, 4);
  check(html.find('<') == std::string::npos, "a title in Matrix HTML has no tag but <br>");

  for (const webhook::dialect d : {webhook::dialect::mattermost, webhook::dialect::discord, webhook::dialect::teams}) {
    for (const auto& post : webhook::posts_for(d, message, {})) {
      const auto body = nlohmann::json::parse(post.body);
      if (d == webhook::dialect::teams) {
        check_teams_card(body);
        continue;
      }
      std::vector<std::string> texts;
      strings_of(body, texts);
      for (const auto& text : texts) {
        for (std::size_t i = 0; i < text.size(); ++i) {
          if (text[i] == '@' && !escaped(text, i)) {
            for (const std::string_view word : {"here", "channel", "all", "everyone"}) {
              check(!text.substr(i + 1).starts_with(word), "a title posted to a room mentions nobody");
            }
          }
        }
      }
    }
  }
}

}  // namespace tandem::fuzz
