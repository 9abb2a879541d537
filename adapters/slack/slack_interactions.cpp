#include "adapters/slack/slack_interactions.h"

#include "adapters/slack/slack_outbound.h"

#include <algorithm>

namespace tandem::slack {

using json = nlohmann::json;

namespace {

constexpr std::size_t kept_originals = 1000;           // messages remembered while a reason modal is open
constexpr std::chrono::minutes original_lifetime{30};  // as long as a response_url works

}  // namespace

interactions::interactions(const adapter_context& context, const inbound_sink& sink, workspace_set& workspaces,
                           web_api& api)
    : context_(context), sink_(sink), workspaces_(workspaces), api_(api) {}

void interactions::handle(const interaction& what, const std::set<std::string>& verified, const http_respond& respond) {
  if (const auto* actions = std::get_if<block_actions>(&what.payload)) {
    handle_buttons(*actions, verified, respond);
  } else if (const auto* submission = std::get_if<view_submission>(&what.payload)) {
    handle_submission(*submission, verified, respond);
  } else {
    context_.log("debug", "slack: interaction " + what.type + " ignored");
    respond(text_response(200, ""));
  }
}

void interactions::handle_buttons(const block_actions& actions, const std::set<std::string>& verified,
                                  const http_respond& respond) {
  workspace* w = workspaces_.verified(actions.team_id, verified);
  const auto press =
      std::ranges::find_if(actions.actions, [](const button_press& p) { return is_answer_button(p.action_id); });
  if (w == nullptr || press == actions.actions.end()) {
    respond(text_response(200, ""));
    return;
  }
  if (asks_for_reason(press->action_id)) {
    respond(text_response(200, ""));
    ask_reason(*w, actions, *press);
    return;
  }
  context_.store_then(
      sink_, to_inbound(actions, *press, context_.now()), [this, respond, actions, press = *press](bool stored) {
        if (!stored) {
          respond(not_stored_response(text_response(503, "could not store the answer; try again\n")));
          return;
        }
        respond(text_response(200, ""));
        if (auto update = answered_message(actions.message, press.block_id, actions.user_id, press.label)) {
          api_.post_response_url(actions.response_url, *update, [](const api_result&) {});
        }
      });
}

/// Opens the reason modal for a button that needs one; when Slack will not open it, the bare
/// command goes in instead (the core's answer asks for the reason).
void interactions::ask_reason(const workspace& w, const block_actions& actions, const button_press& press) {
  forget_old_messages();
  if (!actions.message.is_null()) {
    kept_messages_[actions.trigger_id] =
        kept_message{actions.message, actions.response_url, std::chrono::steady_clock::now()};
    kept_order_.push_back(actions.trigger_id);
  }
  const reason_request request{press.value, actions.channel_id, actions.response_url,
                               press.label, press.block_id,     actions.message.is_null() ? "" : actions.trigger_id};
  api_.call(w, "views.open", json{{"trigger_id", actions.trigger_id}, {"view", reason_modal(request)}},
            [this, actions, press](const api_result& result) {
              const auto* error = std::get_if<api_error>(&result);
              if (error == nullptr) return;
              context_.log("warn",
                           "slack: views.open failed (" + error->describe() + "); sending the command without reason");
              context_.store_then(sink_, to_inbound(actions, press, context_.now()), [](bool) {});
            });
}

void interactions::handle_submission(const view_submission& submission, const std::set<std::string>& verified,
                                     const http_respond& respond) {
  if (submission.callback_id != reason_callback_id || workspaces_.verified(submission.team_id, verified) == nullptr) {
    respond(text_response(200, ""));
    return;
  }
  auto event = to_inbound(submission, context_.now());
  if (!event) {
    respond(text_response(200, ""));
    return;
  }
  const auto request = reason_request_from_metadata(submission.private_metadata);
  context_.store_then(sink_, std::move(*event), [this, respond, request, user = submission.user_id](bool stored) {
    if (!stored) {
      respond(not_stored_response(text_response(503, "could not store the answer; try again\n")));
      return;
    }
    respond(text_response(200, ""));  // closes the modal
    show_answer(*request, user);
  });
}

/// Shows a reason answer on the message whose button asked for it, when it is still kept.
void interactions::show_answer(const reason_request& request, const std::string& user) {
  const auto kept = kept_messages_.find(request.original);
  if (kept == kept_messages_.end()) return;
  if (auto update = answered_message(kept->second.message, request.block_id, user, request.label)) {
    api_.post_response_url(kept->second.response_url, *update, [](const api_result&) {});
  }
  kept_messages_.erase(kept);
}

void interactions::forget_old_messages() {
  const auto now_steady = std::chrono::steady_clock::now();
  while (!kept_order_.empty()) {
    const auto it = kept_messages_.find(kept_order_.front());
    if (it != kept_messages_.end() && kept_order_.size() <= kept_originals &&
        now_steady - it->second.kept_at < original_lifetime) {
      break;
    }
    if (it != kept_messages_.end()) kept_messages_.erase(it);
    kept_order_.pop_front();
  }
}

}  // namespace tandem::slack
