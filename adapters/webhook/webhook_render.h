#pragma once
// What Tandem posts to an incoming webhook, per dialect (PROTOCOLS.md A6 and C): neutral markup
// (core/markup.h) translated for the receiving chat, one-click answers as links or as commands
// to type, Discord's 2,000-character parts, the Teams Workflows Adaptive Card. No I/O.

#include "adapters/outbound_adapter.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::webhook {

/// How a channel's incoming webhook wants its body.
enum class dialect {
  slack,            ///< Slack-compatible JSON `{"text"}` in mrkdwn: Slack, Rocket.Chat, Zulip, Discord /slack
  mattermost,       ///< Mattermost: JSON `{"text"}` in Markdown (Mattermost rejects mrkdwn's *bold*)
  mattermost_form,  ///< Mattermost without a JSON Content-Type: the form body `payload=<json>`
  discord,          ///< Discord's native body `{"content"}` in Markdown, at most 2,000 characters a post
  teams,            ///< Microsoft Teams Workflows: a message with one Adaptive Card attachment
};

/// The dialect's name as the config writes it ("slack", "mattermost_form", ...).
std::string_view to_string(dialect which);
/// The dialect named `name`, or nothing.
std::optional<dialect> dialect_from_string(std::string_view name);

/// Discord's limit on `content`, in characters (UTF-16 code units, as Discord counts them).
inline constexpr std::size_t discord_content_limit = 2000;

/// Neutral markup in Slack mrkdwn: **bold** → *bold*, [label](url) → <url|label> (a `|` in the
/// URL as `%7C`), "- " items → "• ", escapes resolved, every literal character of text written
/// by `append_mrkdwn_literal` (no formatting, link or mention from a title); inside `code`, only
/// `&`, `<`, `>` escaped. Pure.
std::string mrkdwn_from_markup(std::string_view markup);

/// Neutral markup in Markdown (Mattermost, Discord): **bold**, `code`, [label](url) and "- "
/// items kept; every literal character written by `append_markdown_literal` (backslash escapes,
/// `@` followed by a zero-width space) and a `#` starting a line escaped, so that a title never
/// formats, links or mentions. Pure.
std::string markdown_from_markup(std::string_view markup);

/// A one-click answer as a link (label in the recipient's language, the signed /act/ URL).
struct answer_link {
  std::string label;
  std::string url;
  bool operator==(const answer_link&) const = default;
};

/// The message's markup followed by its answers: with `links`, a line of `[label](url)` joined
/// by " · "; without links (the person can answer in chat), a line of `**label**: \`command\``
/// (with " …" after a command that needs a reason). Unchanged without answers. Pure.
std::string markup_with_answers(const rendered_message& message, const std::vector<answer_link>& links);

/// One HTTP body to POST to the webhook URL.
struct webhook_post {
  std::string content_type;  ///< e.g. "application/json"
  std::string body;
  bool operator==(const webhook_post&) const = default;
};

/// The bodies that carry `message` in `which`, posted in order. One body, except for Discord
/// when the text is over 2,000 characters. `links` are the answers' links (empty when the
/// channel answers in chat). Teams shows links as `Action.OpenUrl` buttons on the card, and its
/// text as RichTextBlocks of TextRuns, which no Markdown touches (a TextBlock's Markdown has no
/// escapes): bold, code and links are properties of runs. Pure.
std::vector<webhook_post> posts_for(dialect which, const rendered_message& message,
                                    const std::vector<answer_link>& links);

/// How many characters Discord counts in `text`: UTF-16 code units, a byte that starts no
/// complete UTF-8 sequence counting one. The one count `split_for_discord` uses too. Pure.
std::size_t discord_length(std::string_view text);

/// `text` in parts of at most `limit` Discord characters, in order, whose concatenation is
/// `text`: cut after the last line end that fits, else after the last space, else at a UTF-8
/// character boundary. Deterministic: the same text always gives the same parts. Pure.
std::vector<std::string> split_for_discord(std::string_view text, std::size_t limit = discord_content_limit);

}  // namespace tandem::webhook
