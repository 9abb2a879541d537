#pragma once
// How a character of text (a title, a note, a name: never markup) is written for each chat's
// markup so that it shows as itself: it neither formats, nor links, nor mentions anyone. The
// renderers of every adapter use these for the literal characters of neutral markup
// (core/markup.h). Pure; no I/O.

#include <string>
#include <string_view>

namespace tandem {

/// U+200B ZERO WIDTH SPACE: put beside a character that has no escape on its platform, so that
/// it cannot start or end a marker (Slack's `*bold*`) or a mention (`@channel`).
inline constexpr std::string_view zero_width_space = "\xE2\x80\x8B";

/// Appends `c` as text in Slack's mrkdwn (Slack, and Rocket.Chat and Zulip through their
/// Slack-compatible webhooks): `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;` (so no `<!channel>`,
/// `<@U1>` or `<url|label>`); `*`, `_`, `~` and the backtick, which mrkdwn cannot escape, with a
/// zero-width space on each side (a marker beside one opens and closes nothing); `]` followed by
/// one (no Markdown link `[x](url)` where the receiver reads Markdown, as Rocket.Chat and Zulip
/// do); `@` followed by one (no `@here`, `@all`, `@name`, Zulip's `@**all**`). Pure.
void append_mrkdwn_literal(std::string& out, char c);

/// Appends `c` as text in Markdown (Mattermost, Discord): `\ * _ ~ ` [ ] | < >` backslash-escaped
/// (no emphasis, code, masked link, spoiler or `<@id>`; a `#` starting a line is the caller's to
/// escape, as only it knows where lines start), and `@` followed by a
/// zero-width space (no `@channel`, `@all`, `@here`, `@everyone` or `@name`: Mattermost reads
/// mentions before Markdown, so a backslash would not stop them). Pure.
void append_markdown_literal(std::string& out, char c);

/// `text` with a zero-width space after each `@`, for text in which a platform looks for
/// mentions but that has no markup of its own (Matrix's plain `body`, the labels of buttons). Pure.
std::string without_mentions(std::string_view text);

}  // namespace tandem
