#include "adapters/slack/slack_endpoints.h"

#include "adapters/slack/slack_inbound.h"

#include <algorithm>
#include <vector>

namespace tandem::slack {

using json = nlohmann::json;

namespace {

http_response empty_ok() { return text_response(200, ""); }

http_response refused(unsigned status, std::string_view reason) {
  return text_response(status, std::string(reason) + "\n");
}

bool is_ssl_check(std::string_view body) {
  const auto form = parse_form(body);
  return form && std::ranges::any_of(*form, [](const auto& f) { return f.first == "ssl_check" && f.second == "1"; });
}

}  // namespace

inbound_endpoints::inbound_endpoints(adapter_context& context, const inbound_sink& sink, workspace_set& workspaces,
                                     interactions& interactive, std::chrono::milliseconds command_reply_wait)
    : context_(context),
      sink_(sink),
      workspaces_(workspaces),
      interactive_(interactive),
      command_reply_wait_(command_reply_wait) {}

// --- the three HTTP endpoints -----------------------------------------------------------------

void inbound_endpoints::on_events(const http_request& request, const http_respond& respond) {
  auto verified = workspaces_.verify(request);
  if (auto* reason = std::get_if<std::string>(&verified)) return respond(refused(401, *reason));
  auto envelope = parse_event_envelope(request.body);
  if (auto* error = std::get_if<wire_error>(&envelope)) return respond(refused(400, error->reason));
  if (const auto retry = request.header("x-slack-retry-num")) {
    context_.log("debug", "slack: retry " + std::string(*retry) + " of " + std::get<event_envelope>(envelope).event_id);
  }
  handle_envelope(std::get<event_envelope>(envelope), std::get<std::set<std::string>>(verified), respond);
}

void inbound_endpoints::on_commands(const http_request& request, const http_respond& respond) {
  if (is_ssl_check(request.body)) return respond(empty_ok());
  auto verified = workspaces_.verify(request);
  if (auto* reason = std::get_if<std::string>(&verified)) return respond(refused(401, *reason));
  auto command = parse_slash_command(request.body);
  if (auto* error = std::get_if<wire_error>(&command)) return respond(refused(400, error->reason));
  handle_command(std::get<slash_command>(command), std::get<std::set<std::string>>(verified), respond);
}

void inbound_endpoints::on_interactivity(const http_request& request, const http_respond& respond) {
  auto verified = workspaces_.verify(request);
  if (auto* reason = std::get_if<std::string>(&verified)) return respond(refused(401, *reason));
  auto parsed = parse_interaction(request.body);
  if (auto* error = std::get_if<wire_error>(&parsed)) return respond(refused(400, error->reason));
  interactive_.handle(std::get<interaction>(parsed), std::get<std::set<std::string>>(verified), respond);
}

// --- Socket Mode --------------------------------------------------------------------------------

void inbound_endpoints::on_socket_envelope(const socket_message& message, const std::string& team,
                                           const socket_mode_ack& ack) {
  const std::set<std::string> verified{team};
  const http_respond respond = acknowledging(message.type, ack);
  if (message.type == "events_api") {
    auto envelope = event_envelope_from_json(message.payload);
    if (auto* error = std::get_if<wire_error>(&envelope)) return respond(refused(400, error->reason));
    handle_envelope(std::get<event_envelope>(envelope), verified, respond);
  } else if (message.type == "slash_commands") {
    auto command = slash_command_from_json(message.payload);
    if (auto* error = std::get_if<wire_error>(&command)) return respond(refused(400, error->reason));
    handle_command(std::get<slash_command>(command), verified, respond);
  } else if (message.type == "interactive") {
    auto what = interaction_from_json(message.payload);
    if (auto* error = std::get_if<wire_error>(&what)) return respond(refused(400, error->reason));
    interactive_.handle(std::get<interaction>(what), verified, respond);
  } else {
    context_.log("debug", "slack: socket mode envelope of type " + message.type + " ignored");
    ack(nullptr);
  }
}

/// The answer the HTTP path would give, as an envelope acknowledgement: none for a 5xx (Slack
/// delivers the envelope again), the JSON body as payload, a bare ack otherwise.
http_respond inbound_endpoints::acknowledging(const std::string& type, socket_mode_ack ack) {
  return [this, hold = context_.hold(), type, ack = std::move(ack)](http_response response) {
    if (response.status >= 500) return;
    if (response.status >= 400)
      context_.log("warn", "slack: a " + type + " envelope was not understood: " + response.body);
    json payload;
    if (response.status < 300 && response.content_type.starts_with("application/json")) {
      payload = json::parse(response.body, nullptr, false);
      if (payload.is_discarded()) payload = nullptr;
    }
    ack(std::move(payload));
  };
}

// --- events and slash commands ----------------------------------------------------------------------

void inbound_endpoints::handle_envelope(const event_envelope& envelope, const std::set<std::string>& verified,
                                        const http_respond& respond) {
  if (envelope.type == "url_verification") return respond(json_response(200, json{{"challenge", envelope.challenge}}));
  if (envelope.type != "event_callback") {
    context_.log(envelope.type == "app_rate_limited" ? "warn" : "debug",
                 "slack: " + envelope.type + " from workspace " + envelope.team_id);
    return respond(empty_ok());
  }
  workspace* w = workspaces_.verified(envelope.team_id, verified);
  if (w == nullptr)
    return respond(empty_ok());  // an error status would make Slack retry, then disable the subscription
  if (w->settings.bot_user_id.empty() && !envelope.authorized_bot_user.empty()) {
    w->settings.bot_user_id = envelope.authorized_bot_user;
    context_.log("info", "slack: workspace " + w->settings.team_id + " bot user is " + w->settings.bot_user_id);
  }
  auto translated = translate_event(envelope, w->settings.bot_user_id);
  if (auto* error = std::get_if<wire_error>(&translated)) return respond(refused(400, error->reason));
  auto& t = std::get<translated_event>(translated);
  if (!t.event) {
    context_.log("debug", "slack: " + envelope.event_id + " ignored: " + t.ignored);
    return respond(empty_ok());
  }
  // `respond` may be called from any thread: the acknowledgement needs no hop to this strand.
  sink_(std::move(*t.event),
        [respond](bool stored) { respond(stored ? empty_ok() : not_stored_response(refused(503, "could not store the event; retry"))); });
}

void inbound_endpoints::handle_command(const slash_command& command, const std::set<std::string>& verified,
                                       const http_respond& respond) {
  if (workspaces_.verified(command.team_id, verified) == nullptr) return respond(empty_ok());
  inbound event = to_inbound(command, context_.now());
  const std::string handle = event.reply_handle;
  auto timer = std::make_shared<boost::asio::steady_timer>(context_.strand());
  pending_commands_[handle] = pending_command{respond, timer};
  timer->expires_after(command_reply_wait_);
  timer->async_wait([this, hold = context_.hold(), handle](const boost::system::error_code&) {
    answer_command(handle, empty_ok());  // no reply in time: a bare ack; replies use the response_url
  });
  // Once stored, the answer waits for the first reply (deliver) or the timer.
  context_.store_then(sink_, std::move(event), [this, handle](bool stored) {
    if (!stored) answer_command(handle, not_stored_response(refused(503, "could not store the command; try again")));
  });
}

bool inbound_endpoints::command_waits(const std::string& handle) const { return pending_commands_.contains(handle); }

bool inbound_endpoints::answer_command(const std::string& handle, http_response response) {
  const auto it = pending_commands_.find(handle);
  if (it == pending_commands_.end()) return false;
  pending_command pending = std::move(it->second);
  pending_commands_.erase(it);
  pending.timer->cancel();
  pending.respond(std::move(response));
  return true;
}

void inbound_endpoints::answer_all_commands() {
  std::vector<std::string> handles;
  for (const auto& [handle, pending] : pending_commands_) handles.push_back(handle);
  for (const auto& handle : handles) answer_command(handle, empty_ok());
}

}  // namespace tandem::slack
