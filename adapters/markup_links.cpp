#include "adapters/markup_links.h"

namespace tandem {

std::optional<markup_link> markup_link_at(std::string_view markup, std::size_t open) {
  const auto close = markup.find("](", open);
  const auto end = close == std::string_view::npos ? close : markup.find(')', close);
  if (end == std::string_view::npos) return std::nullopt;
  return markup_link{markup.substr(open + 1, close - open - 1), markup.substr(close + 2, end - close - 2), end};
}

}  // namespace tandem
