#include "adapters/markup_literals.h"

namespace tandem {

void append_mrkdwn_literal(std::string& out, char c) {
  switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    // Before it too: `&gt;` starting a line would be a quote.
    case '>':
      out += zero_width_space;
      out += "&gt;";
      break;
    case '*':
    case '_':
    case '~':
    case '`':
      out += zero_width_space;
      out += c;
      out += zero_width_space;
      break;
    case ']':
    case '@':
      out += c;
      out += zero_width_space;
      break;
    default: out += c;
  }
}

void append_markdown_literal(std::string& out, char c) {
  static constexpr std::string_view special = "\\*_~`[]|<>";
  if (special.find(c) != std::string_view::npos) out += '\\';
  out += c;
  if (c == '@') out += zero_width_space;
}

std::string without_mentions(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    out += c;
    if (c == '@') out += zero_width_space;
  }
  return out;
}

}  // namespace tandem
