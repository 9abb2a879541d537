#include "core/markup.h"

namespace tandem {
namespace {
constexpr std::string_view special = "*`[]\\";
}

std::string escape_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // A value may start a line too (a broadcast's text does): the same zero-width space before a
  // first character that would open a list item, heading or quote there.
  if (!text.empty() && std::string_view{"-+#>"}.find(text.front()) != std::string_view::npos) out += "\xE2\x80\x8B";
  for (char c : text) {
    if (c == '\n') {
      // A zero-width space first on the new line: no chat reads what follows as a list item,
      // heading, quote or code block.
      out += "\n\xE2\x80\x8B";
    } else if ((static_cast<unsigned char>(c) < 0x20U) || c == '\x7F') {
      out += ' ';  // other control characters (escape sequences for terminals among them)
    } else {
      if (special.find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

std::string markup_to_plain(std::string_view markup, bool ansi) {
  std::string out;
  out.reserve(markup.size());
  bool bold = false;
  for (std::size_t i = 0; i < markup.size(); ++i) {
    const char c = markup[i];
    if (c == '\\' && i + 1 < markup.size()) {
      out += markup[++i];
    } else if (c == '*' && i + 1 < markup.size() && markup[i + 1] == '*') {
      bold = !bold;
      if (ansi) out += bold ? "\x1b[1m" : "\x1b[0m";
      ++i;
    } else if (c == '[') {
      // [label](url) -> label (url); a lone bracket stays as it is.
      const auto close = markup.find("](", i);
      const auto end = close == std::string_view::npos ? close : markup.find(')', close);
      if (end == std::string_view::npos) {
        out += c;
        continue;
      }
      out += markup_to_plain(markup.substr(i + 1, close - i - 1), ansi);
      out += " (";
      out += markup.substr(close + 2, end - close - 2);
      out += ')';
      i = end;
    } else {
      out += c;
    }
  }
  if (bold && ansi) out += "\x1b[0m";
  return out;
}

}  // namespace tandem
