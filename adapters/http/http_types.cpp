#include "adapters/http/http_types.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace tandem {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<int> hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// Form fields encode a space as '+', while "%2B" is a literal '+': turn the pluses into spaces
// before the escapes are decoded, never after.
std::optional<std::string> form_decode(std::string_view text) {
  std::string spaced(text);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  return percent_decode(spaced);
}

}  // namespace

std::optional<std::string_view> http_request::header(std::string_view name) const {
  const auto found = headers.find(lowercase(name));
  if (found == headers.end()) return std::nullopt;
  return std::string_view(found->second);
}

http_response text_response(unsigned status, std::string body) {
  http_response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

http_response not_stored_response(http_response response) {
  response.status = 503;
  response.headers.emplace_back("Retry-After", std::to_string(store_retry_after_seconds));
  return response;
}

http_response json_response(unsigned status, const nlohmann::json& body) {
  http_response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

std::string percent_encode(std::string_view text) {
  static constexpr std::string_view digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4U];
      out += digits[c & 15U];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const auto high = hex_value(text[i + 1]);
    const auto low = hex_value(text[i + 2]);
    if (!high || !low) return std::nullopt;
    out.push_back(static_cast<char>(*high * 16 + *low));
    i += 2;
  }
  return out;
}

std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < path.size()) {
    const auto end = path.find('/', at);
    const auto part = path.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (!part.empty()) out.push_back(percent_decode(part).value_or(std::string{part}));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> fields;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto field = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (field.empty()) continue;
    const auto eq = field.find('=');
    auto name = form_decode(field.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : field.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

}  // namespace tandem
