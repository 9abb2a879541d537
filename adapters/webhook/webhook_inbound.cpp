#include "adapters/webhook/webhook_inbound.h"

#include "adapters/webhook/webhook_signing.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>

namespace tandem::webhook {
namespace {

using json = nlohmann::json;
using fields = std::map<std::string, std::string>;

bool is_json(const http_request& request) {
  const auto type = request.header("content-type");
  return type && type->starts_with("application/json");
}

/// The request's fields, from JSON (string, number and boolean values as text) or a form.
std::variant<fields, malformed_request> fields_of(const http_request& request, bool json_only) {
  fields out;
  if (json_only || is_json(request)) {
    const json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) return malformed_request{"the body is not a JSON object"};
    for (const auto& [name, value] : body.items()) {
      if (value.is_string()) {
        out[name] = value.get<std::string>();
      } else if (value.is_number() || value.is_boolean()) {
        out[name] = value.dump();
      }
    }
    return out;
  }
  const auto form = parse_form(request.body);
  if (!form) return malformed_request{"the form body has a malformed %-escape"};
  for (const auto& [name, value] : *form) out.try_emplace(name, value);
  return out;
}

std::string field(const fields& f, const std::string& name) {
  const auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

/// The text after the trigger word; the whole text when the hook has none.
std::string after_trigger(const std::string& text, const std::string& trigger) {
  if (!trigger.empty() && text.starts_with(trigger)) return trimmed(std::string_view(text).substr(trigger.size()));
  return trimmed(text);
}

}  // namespace

parse_result parse_mattermost(const http_request& request) {
  // A slash command may be configured to use GET: its fields are then in the query string.
  auto read = request.method == "GET"
                  ? std::variant<fields, malformed_request>(fields(request.query.begin(), request.query.end()))
                  : fields_of(request, false);
  if (auto* error = std::get_if<malformed_request>(&read)) return *error;
  const fields& f = std::get<fields>(read);
  parsed_request r;
  r.token = field(f, "token");
  if (r.token.empty()) {
    if (const auto authorization = request.header("authorization");
        authorization && authorization->starts_with("Token ")) {
      r.token = std::string(authorization->substr(6));
    }
  }
  r.user = field(f, "user_id");
  if (r.user.empty()) return malformed_request{"missing user_id"};
  r.conversation = field(f, "channel_id");
  if (f.contains("command")) {
    r.style = request_style::mattermost_command;
    r.text = trimmed(field(f, "text"));
    r.response_url = field(f, "response_url");
    r.event_id = field(f, "trigger_id");
  } else {
    r.style = request_style::mattermost_outgoing;
    const std::string trigger = field(f, "trigger_word");
    r.text = after_trigger(field(f, "text"), trigger);
    r.command = !trigger.empty();
    r.event_id = field(f, "post_id");
    if (r.event_id.empty()) return malformed_request{"missing post_id (or command, for a slash command)"};
  }
  return r;
}

parse_result parse_rocketchat(const http_request& request) {
  auto read = fields_of(request, true);
  if (auto* error = std::get_if<malformed_request>(&read)) return *error;
  const fields& f = std::get<fields>(read);
  parsed_request r;
  r.style = request_style::rocketchat;
  r.token = field(f, "token");
  r.user = field(f, "user_id");
  if (r.user.empty()) return malformed_request{"missing user_id"};
  r.conversation = field(f, "channel_id");
  const std::string trigger = field(f, "trigger_word");
  r.text = after_trigger(field(f, "text"), trigger);
  r.command = !trigger.empty();
  r.event_id = field(f, "message_id");
  if (r.event_id.empty()) {
    // Rocket.Chat retries a failed call with the same data: the same id for the same message.
    r.event_id =
        "h" +
        hmac_sha256_hex("rocketchat", r.user + "\n" + field(f, "timestamp") + "\n" + field(f, "text")).substr(0, 32);
  }
  return r;
}

parse_result parse_signed(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return malformed_request{"the body is not a JSON object"};
  parsed_request r;
  r.style = request_style::signed_json;
  const auto string_field = [&j](const char* name, bool required) -> std::variant<std::string, malformed_request> {
    const auto it = j.find(name);
    if (it == j.end()) {
      if (required) return malformed_request{std::string("missing \"") + name + "\""};
      return std::string();
    }
    if (!it->is_string()) return malformed_request{std::string("\"") + name + "\" must be a string"};
    return it->get<std::string>();
  };
  for (const auto& [name, target] : {std::pair{"id", &r.event_id}, std::pair{"user", &r.user},
                                     std::pair{"text", &r.text}, std::pair{"conversation", &r.conversation}}) {
    auto value = string_field(name, std::string_view(name) != "conversation");
    if (auto* error = std::get_if<malformed_request>(&value)) return *error;
    *target = std::get<std::string>(std::move(value));
  }
  if (r.event_id.empty()) return malformed_request{"\"id\" must not be empty"};
  if (r.user.empty()) return malformed_request{"\"user\" must not be empty"};
  r.text = trimmed(r.text);
  if (const auto it = j.find("command"); it != j.end()) {
    if (!it->is_boolean()) return malformed_request{"\"command\" must be true or false"};
    r.command = it->get<bool>();
  }
  return r;
}

}  // namespace tandem::webhook
