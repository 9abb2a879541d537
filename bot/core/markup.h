#pragma once
// Neutral markup: what templates write and adapters translate for their platform.
//   **bold**   `code`   [label](https://url)   "- " at a line's start is a list item
//   a backslash makes the next character literal (\* \` \[ \] \\)

#include <string>
#include <string_view>

namespace tandem {

/// Escapes text (a title, a note) so that none of its characters act as markup: the markup
/// characters backslash-escaped, each line break followed by a zero-width space, and one before a
/// first `-`, `+`, `#` or `>` (a value never starts a line that a chat could read as a list item,
/// heading or quote, even when it is placed at the start of a line), every other control
/// character a space. What each chat would read in the remaining characters (mentions, its own
/// markers) is its renderer's to escape (adapters/markup_literals.h).
std::string escape_markup(std::string_view text);

/// Plain text for terminals and plain-text fallbacks: bold marks dropped (or ANSI bold when
/// `ansi`), links as `label (url)`, code and lists kept as written, escapes resolved.
std::string markup_to_plain(std::string_view markup, bool ansi = false);

}  // namespace tandem
