#include "adapters/slack/slack_inbound.h"

#include "adapters/http/http_types.h"
#include "adapters/slack/slack_wire_fields.h"

#include <algorithm>

// Slack's commands as wire structs and inbound events: slash commands (A3), button presses and
// the reason modal's submissions (A4). The events API is in slack_inbound.cpp.

namespace tandem::slack {
namespace {

using json = nlohmann::json;
using namespace wire;

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
  out.user_id = fields.take(object_field(p, "user"), "id", "user");
  out.team_id = string_field(object_field(p, "team"), "id");
  if (out.team_id.empty()) out.team_id = fields.take(object_field(p, "user"), "team_id", "user");
  out.channel_id = string_field(object_field(p, "channel"), "id");
  if (out.channel_id.empty()) out.channel_id = fields.take(object_field(p, "container"), "channel_id", "container");
  out.trigger_id = fields.take(p, "trigger_id");
  out.response_url = fields.take(p, "response_url");
  out.message_ts = string_field(object_field(p, "container"), "message_ts");
  if (const json& message = object_field(p, "message"); !message.is_null()) {
    out.message = message;
    if (out.message_ts.empty()) out.message_ts = string_field(message, "ts");
  }
  const auto actions = p.find("actions");
  if (actions == p.end() || !actions->is_array() || actions->empty()) return wire_error{"actions missing"};
  for (const json& a : *actions) {
    button_press press;
    press.action_id = fields.take(a, "action_id", "actions[]");
    press.block_id = string_field(a, "block_id");
    press.value = string_field(a, "value");
    press.label = string_field(object_field(a, "text"), "text");
    press.action_ts = string_field(a, "action_ts");
    out.actions.push_back(std::move(press));
  }
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  return out;
}

parsed<view_submission> read_view_submission(const json& p) {
  view_submission out;
  required_fields fields;
  const json& view = object_field(p, "view");
  out.user_id = fields.take(object_field(p, "user"), "id", "user");
  out.team_id = string_field(object_field(p, "team"), "id");
  if (out.team_id.empty()) out.team_id = string_field(object_field(p, "user"), "team_id");
  if (out.team_id.empty()) out.team_id = fields.take(view, "team_id", "view");
  out.view_id = fields.take(view, "id", "view");
  out.callback_id = string_field(view, "callback_id");
  out.private_metadata = string_field(view, "private_metadata");
  out.values = object_field(object_field(view, "state"), "values");
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  return out;
}

}  // namespace

parsed<slash_command> slash_command_from_json(const json& fields_json) {
  slash_command out;
  required_fields fields;
  out.team_id = fields.take(fields_json, "team_id");
  out.channel_id = fields.take(fields_json, "channel_id");
  out.user_id = fields.take(fields_json, "user_id");
  out.command = fields.take(fields_json, "command");
  out.text = string_field(fields_json, "text");
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
  out.type = string_field(payload, "type");
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
  reason_request out{string_field(*document, "c"), string_field(*document, "ch"), string_field(*document, "r"),
                     string_field(*document, "l"), string_field(*document, "b"),  string_field(*document, "o")};
  if (out.command.empty() || out.channel_id.empty()) return std::nullopt;
  return out;
}

std::optional<inbound> to_inbound(const view_submission& submission, time_point at) {
  if (submission.callback_id != reason_callback_id) return std::nullopt;
  auto request = reason_request_from_metadata(submission.private_metadata);
  if (!request) return std::nullopt;
  std::string reason = string_field(object_field(object_field(submission.values, reason_block_id), reason_action_id), "value");
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
