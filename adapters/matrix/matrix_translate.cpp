#include "adapters/matrix/matrix_translate.h"

#include "adapters/http/http_types.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <vector>

namespace tandem::matrix {
namespace {

constexpr std::string_view whitespace = " \t\r\n";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(whitespace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

/// Resolves the few entities an HTML label of a pill can hold.
std::string html_unescape(std::string_view text) {
  static const std::vector<std::pair<std::string_view, char>> entities{
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&#x27;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [name, c] : entities) {
        if (text.substr(i, name.size()) == name) {
          out += c;
          i += name.size() - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i];
  }
  return out;
}

/// The formatted body without its `<mx-reply>` block (the quoted message of a rich reply).
std::string without_reply_block(std::string_view html) {
  std::string out{html};
  const auto open = out.find("<mx-reply>");
  if (open == std::string::npos) return out;
  const auto close = out.find("</mx-reply>", open);
  if (close == std::string::npos) return out;
  out.erase(open, close + std::string_view("</mx-reply>").size() - open);
  return out;
}

struct pill {
  std::string user_id;
  std::string label;
};

/// The user pills of an HTML body: `<a href="https://matrix.to/#/@user:server">label</a>`.
std::vector<pill> pills_in(std::string_view html) {
  constexpr std::string_view link = "https://matrix.to/#/";
  std::vector<pill> found;
  std::size_t at = 0;
  while ((at = html.find("<a ", at)) != std::string_view::npos) {
    const auto tag_end = html.find('>', at);
    const auto close = html.find("</a>", at);
    if (tag_end == std::string_view::npos || close == std::string_view::npos || close < tag_end) break;
    const std::string_view tag = html.substr(at, tag_end - at);
    const std::string_view label = html.substr(tag_end + 1, close - tag_end - 1);
    at = close + 4;
    const auto href = tag.find(link);
    if (href == std::string_view::npos) continue;
    const auto value_end = tag.find_first_of("\"'?", href);
    auto target = percent_decode(tag.substr(href + link.size(), value_end == std::string_view::npos
                                                                    ? std::string_view::npos
                                                                    : value_end - href - link.size()));
    if (!target || !target->starts_with('@') || server_name_of(*target).empty()) continue;
    found.push_back({std::move(*target), html_unescape(label)});
  }
  return found;
}

time_point instant_of(const client_event& event) {
  return time_point{std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds{event.origin_server_ts})};
}

inbound base_event(const client_event& event, const bot_account& bot, bool direct) {
  inbound in;
  in.dedup_key = "matrix:" + event.event_id;
  in.sender = identity{"matrix", bot.workspace, event.sender};
  in.conversation = event.room_id;
  in.direct = direct;
  in.at = instant_of(event);
  return in;
}

std::optional<inbound> translate_message(const client_event& event, const bot_account& bot, bool direct) {
  const room_message content = event.content.get<room_message>();
  if (content.msgtype == "m.notice") return std::nullopt;  // never answer a notice: it is how bots avoid loops
  if (content.has_new_content || (content.relates_to && content.relates_to->rel_type == "m.replace")) {
    return std::nullopt;  // an edit would run its command a second time
  }
  inbound in = base_event(event, bot, direct);
  in.reply_handle = event.event_id;
  std::string body = strip_reply_fallback(content.body);
  if (content.msgtype == "m.text") {
    if (auto command = command_text(body, direct)) {
      in.kind = inbound_kind::command;
      in.addressed = true;
      const bool html = content.format == "org.matrix.custom.html";
      in.text = html ? with_pills_as_user_ids(std::move(*command), content.formatted_body) : std::move(*command);
      return in;
    }
  }
  // Activity: images, files, emotes, and room messages that are not commands.
  in.kind = inbound_kind::message;
  in.text = std::move(body);
  return in;
}

std::optional<inbound> translate_reaction(const client_event& event, const bot_account& bot, bool direct,
                                          const std::optional<reaction_target>& target) {
  const reaction content = event.content.get<reaction>();
  if (content.relates_to.rel_type != "m.annotation" || content.relates_to.key.empty()) return std::nullopt;
  inbound in = base_event(event, bot, direct);
  const std::string key = normalize_reaction_key(content.relates_to.key);
  in.kind = inbound_kind::reaction;
  in.text = key;
  if (target && target->sent_by_bot) {
    in.addressed = true;
    in.reply_handle = content.relates_to.event_id;
    if (const auto answer = target->answers.find(key); answer != target->answers.end()) {
      in.kind = inbound_kind::command;
      in.text = answer->second;
    }
  }
  return in;
}

}  // namespace

std::string server_name_of(std::string_view user_id) {
  if (!user_id.starts_with('@')) return {};
  const auto colon = user_id.find(':');
  if (colon == std::string_view::npos || colon == 1 || colon + 1 == user_id.size()) return {};
  return std::string{user_id.substr(colon + 1)};
}

std::string normalize_reaction_key(std::string_view key) {
  // U+FE0E and U+FE0F are EF B8 8E and EF B8 8F in UTF-8.
  std::string out;
  out.reserve(key.size());
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i + 2 < key.size() && static_cast<unsigned char>(key[i]) == 0xEF &&
        static_cast<unsigned char>(key[i + 1]) == 0xB8 &&
        (static_cast<unsigned char>(key[i + 2]) == 0x8E || static_cast<unsigned char>(key[i + 2]) == 0x8F)) {
      i += 2;
      continue;
    }
    out += key[i];
  }
  return out;
}

answer_keys answers_in_content(const nlohmann::json& content) {
  answer_keys answers;
  if (!content.is_object()) return answers;
  const auto it = content.find(answers_content_key);
  if (it == content.end() || !it->is_object()) return answers;
  for (const auto& [key, command] : it->items()) {
    if (command.is_string() && !key.empty()) answers.emplace(normalize_reaction_key(key), command.get<std::string>());
  }
  return answers;
}

std::string strip_reply_fallback(std::string_view body) {
  std::size_t at = 0;
  bool quoted = false;
  while (at < body.size() && body.substr(at).starts_with(">")) {
    quoted = true;
    const auto end = body.find('\n', at);
    at = end == std::string_view::npos ? body.size() : end + 1;
  }
  if (quoted && body.substr(at).starts_with("\n")) ++at;
  return std::string{body.substr(at)};
}

std::optional<std::string> command_text(std::string_view body, bool direct) {
  const std::string_view text = trim(body);
  if (starts_with_ignoring_case(text, command_prefix)) {
    const std::string_view rest = text.substr(command_prefix.size());
    if (rest.empty()) return "help";
    if (whitespace.find(rest.front()) != std::string_view::npos) return std::string{trim(rest)};
  }
  if (direct && !text.empty()) return std::string{text};
  return std::nullopt;
}

std::string with_pills_as_user_ids(std::string command, std::string_view formatted_body) {
  std::size_t from = 0;
  for (const pill& p : pills_in(without_reply_block(formatted_body))) {
    if (p.label.empty() || p.label == p.user_id) continue;
    const auto at = command.find(p.label, from);
    if (at == std::string::npos) continue;
    // Element writes a pill's label as the display name; the grammar needs `@` in front of a user.
    command.replace(at, p.label.size(), p.user_id);
    from = at + p.user_id.size();
  }
  return command;
}

bool needs_reaction_target(const client_event& event) { return event.type == "m.reaction"; }

std::optional<inbound> translate_event(const client_event& event, const bot_account& bot, bool direct,
                                       const std::optional<reaction_target>& target) {
  if (event.sender == bot.user_id || event.state_key) return std::nullopt;
  try {
    if (event.type == "m.room.message") return translate_message(event, bot, direct);
    if (event.type == "m.reaction") return translate_reaction(event, bot, direct, target);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // content that breaks the schema carries nothing Tandem could act on
  }
  return std::nullopt;
}

}  // namespace tandem::matrix
