#pragma once
// The one scan of links in neutral markup (core/markup.h): `[label](url)`, which every adapter
// translates to its platform's form (<url|label>, <a href>, Markdown). Pure; no I/O.

#include <cstddef>
#include <optional>
#include <string_view>

namespace tandem {

/// A link of neutral markup, as views into the scanned text.
struct markup_link {
  std::string_view label;  ///< still markup: bold and escapes inside are the caller's to translate
  std::string_view url;    ///< as written
  std::size_t end = 0;     ///< the index of the link's closing ')'
};

/// The link opening with the '[' at `open`: up to the first "](" after it and the first ')'
/// after that. Nothing when the text there is not a complete link (the '[' is then literal).
/// Pure.
std::optional<markup_link> markup_link_at(std::string_view markup, std::size_t open);

}  // namespace tandem
