#include "adapters/slack/slack_inbound.h"

#include "adapters/http/http_types.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace tandem::slack {
namespace {

using json = nlohmann::json;

/// The string under `key` of an object, or "" when it is absent or not a string.
std::string text_of(const json& object, std::string_view key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

/// The object under `key`, or null.
const json& object_of(const json& object, std::string_view key) {
  static const json none;
  if (!object.is_object()) return none;
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : none;
}

/// Collects the first missing required field of a wire struct, as "`<where>.<key>` missing".
class required_fields {
 public:
  std::string take(const json& object, std::string_view key, std::string_view where = {}) {
    std::string value = text_of(object, key);
    if (value.empty() && missing_.empty()) {
      missing_ = (where.empty() ? "" : std::string(where) + ".") + std::string(key) + " missing";
    }
    return value;
  }
  const std::string& missing() const { return missing_; }

 private:
  std::string missing_;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// The whole seconds of a Slack `ts` ("1355517523.000005"); nothing when it is not one.
std::optional<time_point> time_of_ts(std::string_view ts) {
  const auto dot = ts.find('.');
  const std::string_view whole = ts.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : ts.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || !std::ranges::all_of(whole, is_digit) ||
      !std::ranges::all_of(fraction, is_digit)) {
    return std::nullopt;
  }
  long long seconds = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  return time_point{std::chrono::seconds{seconds}};
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

/// Slack's three escapes, decoded.
std::string unescape(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 3> escapes{
      {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [code, c] : escapes) {
        if (text.substr(i, code.size()) == code) {
          out += c;
          i += code.size() - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i];
  }
  return out;
}

/// True when `token` (the inside of `<…>`) mentions `user`: "@U1" or "@U1|name".
bool mentions(std::string_view token, std::string_view user) {
  if (user.empty() || !token.starts_with('@')) return false;
  const std::string_view id =
      token.substr(1, token.find('|') == std::string_view::npos ? token.npos : token.find('|') - 1);
  return id == user;
}

/// The text with every mention of `bot_user_id` taken out; when the bot's id is not known and
/// `leading_mention_is_bot`, the mention the text starts with. Whitespace trimmed.
std::string without_bot_mention(std::string_view raw, std::string_view bot_user_id, bool leading_mention_is_bot) {
  std::string out;
  std::size_t i = 0;
  if (bot_user_id.empty() && leading_mention_is_bot) {
    const std::string_view start = trim(raw);
    if (start.starts_with("<@")) {
      const auto close = start.find('>');
      if (close != std::string_view::npos) return std::string(trim(start.substr(close + 1)));
    }
    return std::string(start);
  }
  while (i < raw.size()) {
    if (raw[i] == '<') {
      const auto close = raw.find('>', i);
      if (close != std::string_view::npos && mentions(raw.substr(i + 1, close - i - 1), bot_user_id)) {
        i = close + 1;
        continue;
      }
    }
    out += raw[i++];
  }
  return std::string(trim(out));
}

bool contains_mention_of(std::string_view raw, std::string_view bot_user_id) {
  for (std::size_t i = raw.find('<'); i != std::string_view::npos; i = raw.find('<', i + 1)) {
    const auto close = raw.find('>', i);
    if (close == std::string_view::npos) return false;
    if (mentions(raw.substr(i + 1, close - i - 1), bot_user_id)) return true;
  }
  return false;
}

bool is_direct_channel(std::string_view channel) { return channel.starts_with('D'); }

translated_event ignore(std::string reason) { return {std::nullopt, std::move(reason)}; }

parsed<translated_event> translate_message(const event_envelope& envelope, std::string_view bot_user_id) {
  const json& e = envelope.event;
  const std::string type = text_of(e, "type");
  if (e.contains("bot_id") && !e["bot_id"].is_null()) return ignore("a bot's message");
  static constexpr std::array<std::string_view, 3> kept_subtypes{"file_share", "thread_broadcast", "me_message"};
  if (const std::string subtype = text_of(e, "subtype");
      !subtype.empty() && std::ranges::find(kept_subtypes, subtype) == kept_subtypes.end()) {
    return ignore("message subtype " + subtype);
  }
  const std::string user = text_of(e, "user");
  if (user.empty()) return ignore("a message without a user");
  if (!bot_user_id.empty() && user == bot_user_id) return ignore("Tandem's own message");
  required_fields fields;
  const std::string channel = fields.take(e, "channel", "event");
  const std::string ts = fields.take(e, "ts", "event");
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  const auto at = time_of_ts(ts);
  if (!at) return wire_error{"event.ts is not a Slack timestamp"};

  const std::string raw = text_of(e, "text");
  const std::string channel_type = text_of(e, "channel_type");
  const bool direct = channel_type == "im" || (channel_type.empty() && type == "message" && is_direct_channel(channel));
  const bool mentioned = type == "app_mention" || contains_mention_of(raw, bot_user_id);
  inbound event;
  event.dedup_key = "slack:" + envelope.team_id + ":" + channel + ":" + ts;
  event.sender = identity{"slack", envelope.team_id, user};
  event.conversation = channel;
  event.direct = direct;
  event.addressed = direct || mentioned;
  event.kind = event.addressed ? inbound_kind::command : inbound_kind::message;
  event.text = plain_text_from_slack(mentioned ? without_bot_mention(raw, bot_user_id, type == "app_mention") : raw);
  event.at = *at;
  if (const std::string thread = text_of(e, "thread_ts"); !thread.empty()) {
    event.reply_handle = "thread:" + thread;
  } else if (event.addressed && !direct) {
    event.reply_handle = "thread:" + ts;
  }
  return translated_event{std::move(event), {}};
}

parsed<translated_event> translate_reaction(const event_envelope& envelope, std::string_view bot_user_id) {
  const json& e = envelope.event;
  const json& item = object_of(e, "item");
  if (text_of(item, "type") != "message") return ignore("a reaction on something other than a message");
  required_fields fields;
  const std::string user = fields.take(e, "user", "event");
  const std::string reaction = fields.take(e, "reaction", "event");
  const std::string channel = fields.take(item, "channel", "event.item");
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  if (!bot_user_id.empty() && user == bot_user_id) return ignore("Tandem's own reaction");
  std::optional<time_point> at = time_of_ts(text_of(e, "event_ts"));
  if (!at) return wire_error{"event.event_ts is not a Slack timestamp"};
  inbound event;
  event.dedup_key = "slack:" + envelope.team_id + ":event:" + envelope.event_id;
  event.sender = identity{"slack", envelope.team_id, user};
  event.conversation = channel;
  event.direct = is_direct_channel(channel);
  event.addressed = !bot_user_id.empty() && text_of(e, "item_user") == bot_user_id;
  event.kind = inbound_kind::reaction;
  event.text = reaction;
  event.at = *at;
  return translated_event{std::move(event), {}};
}

std::optional<json> parse_json(std::string_view text) {
  json value = json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

/// The `payload` field of an interactivity form body, parsed.
parsed<json> payload_of(std::string_view form_body) {
  auto form = parse_form(form_body);
  if (!form) return wire_error{"malformed form body"};
  const auto field = std::ranges::find_if(*form, [](const auto& f) { return f.first == "payload"; });
  if (field == form->end()) return wire_error{"payload missing"};
  auto payload = parse_json(field->second);
  if (!payload || !payload->is_object()) return wire_error{"payload is not a JSON object"};
  return std::move(*payload);
}

parsed<block_actions> read_block_actions(const json& p) {
  block_actions out;
  required_fields fields;
  out.user_id = fields.take(object_of(p, "user"), "id", "user");
  out.team_id = text_of(object_of(p, "team"), "id");
  if (out.team_id.empty()) out.team_id = fields.take(object_of(p, "user"), "team_id", "user");
  out.channel_id = text_of(object_of(p, "channel"), "id");
  if (out.channel_id.empty()) out.channel_id = fields.take(object_of(p, "container"), "channel_id", "container");
  out.trigger_id = fields.take(p, "trigger_id");
  out.response_url = fields.take(p, "response_url");
  out.message_ts = text_of(object_of(p, "container"), "message_ts");
  if (const json& message = object_of(p, "message"); !message.is_null()) {
    out.message = message;
    if (out.message_ts.empty()) out.message_ts = text_of(message, "ts");
  }
  const auto actions = p.find("actions");
  if (actions == p.end() || !actions->is_array() || actions->empty()) return wire_error{"actions missing"};
  for (const json& a : *actions) {
    button_press press;
    press.action_id = fields.take(a, "action_id", "actions[]");
    press.block_id = text_of(a, "block_id");
    press.value = text_of(a, "value");
    press.label = text_of(object_of(a, "text"), "text");
    press.action_ts = text_of(a, "action_ts");
    out.actions.push_back(std::move(press));
  }
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  return out;
}

parsed<view_submission> read_view_submission(const json& p) {
  view_submission out;
  required_fields fields;
  const json& view = object_of(p, "view");
  out.user_id = fields.take(object_of(p, "user"), "id", "user");
  out.team_id = text_of(object_of(p, "team"), "id");
  if (out.team_id.empty()) out.team_id = text_of(object_of(p, "user"), "team_id");
  if (out.team_id.empty()) out.team_id = fields.take(view, "team_id", "view");
  out.view_id = fields.take(view, "id", "view");
  out.callback_id = text_of(view, "callback_id");
  out.private_metadata = text_of(view, "private_metadata");
  out.values = object_of(object_of(view, "state"), "values");
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  return out;
}

}  // namespace

parsed<event_envelope> parse_event_envelope(std::string_view body) {
  auto document = parse_json(body);
  if (!document) return wire_error{"malformed JSON"};
  return event_envelope_from_json(std::move(*document));
}

parsed<event_envelope> event_envelope_from_json(json d) {
  if (!d.is_object()) return wire_error{"the body is not a JSON object"};
  event_envelope out;
  required_fields fields;
  out.type = fields.take(d, "type");
  if (out.type == "url_verification") {
    out.challenge = fields.take(d, "challenge");
  } else if (out.type == "event_callback") {
    out.team_id = fields.take(d, "team_id");
    out.event_id = fields.take(d, "event_id");
    const json& event = object_of(d, "event");
    if (event.is_null() && fields.missing().empty()) return wire_error{"event missing"};
    fields.take(event, "type", "event");
    if (event.is_object()) out.event = std::move(d["event"]);  // moved out of the document, not copied
    if (const auto auths = d.find("authorizations"); auths != d.end() && auths->is_array()) {
      for (const json& a : *auths) {
        if (a.is_object() && a.value("is_bot", false)) {
          out.authorized_bot_user = text_of(a, "user_id");
          break;
        }
      }
    }
  } else {
    out.team_id = text_of(d, "team_id");
  }
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  return out;
}

parsed<translated_event> translate_event(const event_envelope& envelope, std::string_view bot_user_id) {
  const std::string type = text_of(envelope.event, "type");
  if (type == "message" || type == "app_mention") return translate_message(envelope, bot_user_id);
  if (type == "reaction_added") return translate_reaction(envelope, bot_user_id);
  return ignore("event type " + type + " is not used");
}

std::string plain_text_from_slack(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('<', i);
    const auto close = open == std::string_view::npos ? open : text.find('>', open);
    if (close == std::string_view::npos) {
      out += unescape(text.substr(i));
      break;
    }
    out += unescape(text.substr(i, open - i));
    const std::string_view token = text.substr(open + 1, close - open - 1);
    const auto bar = token.find('|');
    const std::string_view target = token.substr(0, bar);
    const std::string_view label = bar == std::string_view::npos ? std::string_view{} : token.substr(bar + 1);
    if (token.starts_with('@')) {
      out += "<" + std::string(target) + ">";
    } else if (token.starts_with('#')) {
      out += "#" + unescape(label.empty() ? target.substr(1) : label);
    } else if (token.starts_with('!')) {
      if (!label.empty()) {
        out += unescape(label);
      } else {
        out += "@" + std::string(target.substr(
                         1, target.find('^') == std::string_view::npos ? target.npos : target.find('^') - 1));
      }
    } else {
      out += unescape(target);
    }
    i = close + 1;
  }
  return out;
}

parsed<slash_command> slash_command_from_json(const json& fields_json) {
  slash_command out;
  required_fields fields;
  out.team_id = fields.take(fields_json, "team_id");
  out.channel_id = fields.take(fields_json, "channel_id");
  out.user_id = fields.take(fields_json, "user_id");
  out.command = fields.take(fields_json, "command");
  out.text = text_of(fields_json, "text");
  out.response_url = fields.take(fields_json, "response_url");
  out.trigger_id = fields.take(fields_json, "trigger_id");
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  return out;
}

parsed<slash_command> parse_slash_command(std::string_view form_body) {
  auto form = parse_form(form_body);
  if (!form) return wire_error{"malformed form body"};
  json fields = json::object();
  for (auto& [name, value] : *form) {
    if (!fields.contains(name)) fields[name] = std::move(value);
  }
  return slash_command_from_json(fields);
}

inbound to_inbound(const slash_command& command, time_point at) {
  inbound event;
  event.dedup_key = "slack:" + command.team_id + ":command:" + command.trigger_id;
  event.sender = identity{"slack", command.team_id, command.user_id};
  event.conversation = command.channel_id;
  event.direct = is_direct_channel(command.channel_id);
  event.addressed = true;
  event.kind = inbound_kind::command;
  event.text = plain_text_from_slack(command.text);
  event.at = at;
  event.reply_handle = "response_url:" + command.response_url;
  return event;
}

parsed<interaction> interaction_from_json(const json& payload) {
  if (!payload.is_object()) return wire_error{"payload is not a JSON object"};
  interaction out;
  out.type = text_of(payload, "type");
  if (out.type.empty()) return wire_error{"type missing"};
  if (out.type == "block_actions") {
    auto actions = read_block_actions(payload);
    if (auto* error = std::get_if<wire_error>(&actions)) return *error;
    out.payload = std::move(std::get<block_actions>(actions));
  } else if (out.type == "view_submission") {
    auto submission = read_view_submission(payload);
    if (auto* error = std::get_if<wire_error>(&submission)) return *error;
    out.payload = std::move(std::get<view_submission>(submission));
  }
  return out;
}

parsed<interaction> parse_interaction(std::string_view form_body) {
  auto payload = payload_of(form_body);
  if (auto* error = std::get_if<wire_error>(&payload)) return *error;
  return interaction_from_json(std::get<json>(payload));
}

bool is_answer_button(std::string_view action_id) {
  return action_id.starts_with("tandem_answer_") || asks_for_reason(action_id);
}

bool asks_for_reason(std::string_view action_id) { return action_id.starts_with("tandem_reason_"); }

inbound to_inbound(const block_actions& actions, const button_press& press, time_point at) {
  inbound event;
  event.dedup_key = "slack:" + actions.team_id + ":button:" + actions.channel_id + ":" + actions.message_ts + ":" +
                    press.action_id + ":" + actions.user_id;
  event.sender = identity{"slack", actions.team_id, actions.user_id};
  event.conversation = actions.channel_id;
  event.direct = is_direct_channel(actions.channel_id);
  event.addressed = true;
  event.kind = inbound_kind::button;
  event.text = press.value;
  event.at = at;
  if (!event.direct) event.reply_handle = "response_url:" + actions.response_url;
  return event;
}

std::string to_private_metadata(const reason_request& request) {
  return json{{"c", request.command}, {"ch", request.channel_id}, {"r", request.response_url},
              {"l", request.label},   {"b", request.block_id},    {"o", request.original}}
      .dump();
}

std::optional<reason_request> reason_request_from_metadata(std::string_view metadata) {
  auto document = parse_json(metadata);
  if (!document || !document->is_object()) return std::nullopt;
  reason_request out{text_of(*document, "c"), text_of(*document, "ch"), text_of(*document, "r"),
                     text_of(*document, "l"), text_of(*document, "b"),  text_of(*document, "o")};
  if (out.command.empty() || out.channel_id.empty()) return std::nullopt;
  return out;
}

std::optional<inbound> to_inbound(const view_submission& submission, time_point at) {
  if (submission.callback_id != reason_callback_id) return std::nullopt;
  auto request = reason_request_from_metadata(submission.private_metadata);
  if (!request) return std::nullopt;
  std::string reason = text_of(object_of(object_of(submission.values, reason_block_id), reason_action_id), "value");
  std::ranges::replace_if(
      reason, [](char c) { return c == '\n' || c == '\r'; }, ' ');
  const std::string_view trimmed = trim(reason);
  inbound event;
  event.dedup_key = "slack:" + submission.team_id + ":view:" + submission.view_id;
  event.sender = identity{"slack", submission.team_id, submission.user_id};
  event.conversation = request->channel_id;
  event.direct = is_direct_channel(request->channel_id);
  event.addressed = true;
  event.kind = inbound_kind::button;
  event.text = trimmed.empty() ? request->command : request->command + " " + std::string(trimmed);
  event.at = at;
  if (!event.direct && !request->response_url.empty()) event.reply_handle = "response_url:" + request->response_url;
  return event;
}

}  // namespace tandem::slack
