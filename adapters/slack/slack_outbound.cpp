#include "adapters/slack/slack_outbound.h"

#include "adapters/json_fields.h"
#include "adapters/markup_links.h"
#include "adapters/markup_literals.h"
#include "core/markup.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace tandem::slack {
namespace {

using json = nlohmann::json;

constexpr std::size_t section_limit = 3000;  // characters of text in a section block
constexpr std::size_t buttons_per_block = 25;
constexpr std::size_t button_text_limit = 75;
constexpr std::size_t button_value_limit = 2000;
constexpr std::size_t modal_title_limit = 24;
constexpr std::size_t input_label_limit = 2000;

void append_escaped(std::string& out, char c) {
  switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    default: out += c;
  }
}

/// At most `limit` bytes of `text`, cut before a UTF-8 continuation byte, with "…" when cut.
std::string shortened(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit - 3;  // room for the ellipsis's three bytes
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  return std::string(text.substr(0, end)) + "\xE2\x80\xA6";
}

json plain_text(std::string_view text) {
  return {{"type", "plain_text"}, {"text", std::string(text)}, {"emoji", true}};
}

/// The text split at line ends into pieces of at most `section_limit` bytes (a longer line is cut).
std::vector<std::string> sections_of(const std::string& text) {
  std::vector<std::string> pieces;
  std::string current;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = shortened(std::string_view(text).substr(start, end - start), section_limit);
    if (!current.empty() && current.size() + 1 + line.size() > section_limit) {
      pieces.push_back(std::move(current));
      current.clear();
    }
    if (!current.empty()) current += '\n';
    current += line;
    start = end + 1;
  }
  if (!current.empty()) pieces.push_back(std::move(current));
  return pieces;
}

/// The item an answer is about: the command's second word ("12" of "done 12"), or "" for none.
std::string item_of(std::string_view command) {
  const auto space = command.find(' ');
  if (space == std::string_view::npos) return {};
  const std::string_view rest = command.substr(space + 1);
  return std::string(rest.substr(0, rest.find(' ')));
}

std::optional<std::string_view> style_of(std::string_view kind) {
  static const std::map<std::string_view, std::string_view> styles{
      {"done", "primary"}, {"approve", "primary"}, {"blocked", "danger"}, {"object", "danger"}};
  const auto it = styles.find(kind);
  if (it == styles.end()) return std::nullopt;
  return it->second;
}

bool is_retryable_code(std::string_view code) {
  static constexpr std::array<std::string_view, 6> codes{"ratelimited", "rate_limited",        "internal_error",
                                                         "fatal_error", "service_unavailable", "request_timeout"};
  return std::ranges::find(codes, code) != codes.end();
}

}  // namespace

std::string escape_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) append_escaped(out, c);
  return out;
}

std::string mrkdwn_from_markup(std::string_view markup) {
  std::string out;
  out.reserve(markup.size() + 16);
  for (std::size_t i = 0; i < markup.size(); ++i) {
    const char c = markup[i];
    const bool line_start = i == 0 || markup[i - 1] == '\n';
    if (c == '\\' && i + 1 < markup.size()) {
      append_mrkdwn_literal(out, markup[++i]);
    } else if (c == '*' && i + 1 < markup.size() && markup[i + 1] == '*') {
      out += '*';
      ++i;
    } else if (const auto close = c == '`' ? markup.find('`', i + 1) : std::string_view::npos;
               close != std::string_view::npos) {
      // Slack formats nothing inside code: a command shown there stays as it is typed.
      out += '`' + escape_text(markup.substr(i + 1, close - i - 1)) + '`';
      i = close;
    } else if (const auto link = c == '[' ? markup_link_at(markup, i) : std::nullopt) {
      std::string url = escape_text(link->url);
      for (std::size_t bar = url.find('|'); bar != std::string::npos; bar = url.find('|', bar))
        url.replace(bar, 1, "%7C");
      out += "<" + url + "|" + mrkdwn_from_markup(link->label) + ">";
      i = link->end;
    } else if (line_start && c == '-' && i + 1 < markup.size() && markup[i + 1] == ' ') {
      out += "\xE2\x80\xA2 ";  // "• "
      ++i;
    } else {
      append_mrkdwn_literal(out, c);
    }
  }
  return out;
}

namespace {

/// Text without markup (a plain fallback) as mrkdwn that shows it as it is.
std::string mrkdwn_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (const char c : text) append_mrkdwn_literal(out, c);
  return out;
}

}  // namespace

std::string short_hash(std::string_view text) {
  std::uint32_t hash = 2166136261U;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619U;
  }
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out(8, '0');
  for (std::size_t i = 0; i < 8; ++i) out[7 - i] = hex[(hash >> (4 * i)) & 0xFU];
  return out;
}

json message_body(const rendered_message& message, std::string_view block_prefix) {
  const std::string text = mrkdwn_from_markup(message.markup);
  if (message.answers.empty()) return {{"text", text}};
  json blocks = json::array();
  for (const std::string& piece : sections_of(text)) {
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", piece}}}});
  }
  // One actions block per item, in the order the items first appear.
  std::vector<std::pair<std::string, json>> groups;
  for (std::size_t n = 0; n < message.answers.size(); ++n) {
    const labelled_answer& a = message.answers[n];
    json button{
        {"type", "button"},
        {"action_id", std::string(a.what.needs_reason ? "tandem_reason_" : "tandem_answer_") + std::to_string(n)},
        {"text", plain_text(shortened(a.label, button_text_limit))},
        {"value", shortened(a.what.command, button_value_limit)}};
    if (auto style = style_of(a.what.kind)) button["style"] = std::string(*style);
    const std::string item = item_of(a.what.command);
    auto group = std::ranges::find_if(
        groups, [&](const auto& g) { return g.first == item && g.second.size() < buttons_per_block; });
    if (group == groups.end()) {
      groups.emplace_back(item, json::array());
      group = std::prev(groups.end());
    }
    group->second.push_back(std::move(button));
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    blocks.push_back({{"type", "actions"},
                      {"block_id", "tandem_" + std::string(block_prefix) + "_" + std::to_string(g)},
                      {"elements", std::move(groups[g].second)}});
  }
  return {{"text", mrkdwn_text(markup_to_plain(message.markup))}, {"blocks", std::move(blocks)}};
}

std::optional<json> answered_message(const json& original, std::string_view block_id, std::string_view user_id,
                                     std::string_view label) {
  if (!original.is_object() || !original.contains("blocks") || !original["blocks"].is_array()) return std::nullopt;
  json blocks = json::array();
  for (const json& block : original["blocks"]) {
    if (string_field(block, "block_id") == block_id) {
      blocks.push_back(
          {{"type", "context"},
           {"block_id", std::string(block_id) + "_answered"},
           {"elements",
            json::array({{{"type", "mrkdwn"},
                          {"text", "*" + escape_text(label) + "* \xC2\xB7 <@" + std::string(user_id) + ">"}}})}});
    } else {
      blocks.push_back(block);
    }
  }
  return json{{"replace_original", true}, {"text", string_field(original, "text")}, {"blocks", std::move(blocks)}};
}

json reason_modal(const reason_request& request) {
  // The answer's label is in the person's language: it names the modal and its button.
  const std::string title = shortened(request.label.empty() ? request.command : request.label, modal_title_limit);
  return {
      {"type", "modal"},
      {"callback_id", std::string(reason_callback_id)},
      {"title", plain_text(title)},
      {"submit", plain_text(title)},
      {"private_metadata", to_private_metadata(request)},
      {"blocks",
       json::array(
           {{{"type", "input"},
             {"block_id", std::string(reason_block_id)},
             {"label", plain_text(shortened(request.command + " \xE2\x80\xA6", input_label_limit))},
             {"element",
              {{"type", "plain_text_input"}, {"action_id", std::string(reason_action_id)}, {"multiline", true}}}}})}};
}

std::string api_error::describe() const {
  if (!network.empty()) return "network: " + network;
  if (!code.empty()) return code;
  return "HTTP " + std::to_string(status);
}

api_result read_api_response(unsigned status, std::optional<std::chrono::seconds> retry_after, std::string_view body) {
  if (status == 429) return api_error{{}, status, "ratelimited", retry_after};
  if (status < 200 || status >= 300) return api_error{{}, status, {}, std::nullopt};
  json answer = json::parse(body.begin(), body.end(), nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) return api_error{{}, status, "malformed_response", std::nullopt};
  if (!true_field(answer, "ok")) {
    std::string code = string_field(answer, "error");
    return api_error{{}, status, code.empty() ? "unknown_error" : std::move(code), std::nullopt};
  }
  return answer;
}

api_result read_response_url_answer(unsigned status, std::optional<std::chrono::seconds> retry_after,
                                    std::string_view body) {
  if (status == 429) return api_error{{}, status, "ratelimited", retry_after};
  if (status < 200 || status >= 300) {
    json answer = json::parse(body.begin(), body.end(), nullptr, false);
    return api_error{{}, status, string_field(answer, "error"), std::nullopt};
  }
  json answer = json::parse(body.begin(), body.end(), nullptr, false);
  if (answer.is_object() && answer.contains("ok") && answer["ok"] == false) {
    std::string code = string_field(answer, "error");
    return api_error{{}, status, code.empty() ? "unknown_error" : std::move(code), std::nullopt};
  }
  return answer.is_discarded() ? json::object() : answer;
}

bool is_auth_failure(const api_error& error) {
  static constexpr std::array<std::string_view, 5> codes{"invalid_auth", "not_authed", "account_inactive",
                                                         "token_revoked", "token_expired"};
  return std::ranges::find(codes, error.code) != codes.end();
}

delivery_result to_delivery_result(const api_error& error) {
  if (!error.network.empty() || error.status == 429 || error.status >= 500 || is_retryable_code(error.code) ||
      error.code == "malformed_response") {
    return delivery_result::retry(error.describe(), error.retry_after);
  }
  return delivery_result::failed(error.describe());
}

}  // namespace tandem::slack
