#include "adapters/webhook/webhook_replies.h"

#include "adapters/http/hmac.h"
#include "adapters/http/html.h"
#include "adapters/webhook/webhook_pages.h"
#include "adapters/webhook/webhook_render.h"
#include "core/markup.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace tandem::webhook {

using json = nlohmann::json;

answer_style answer_style_of(request_style style) {
  switch (style) {
    case request_style::mattermost_outgoing: return answer_style::mattermost_outgoing;
    case request_style::mattermost_command: return answer_style::mattermost_command;
    case request_style::rocketchat: return answer_style::rocketchat;
    case request_style::signed_json: return answer_style::signed_json;
  }
  return answer_style::signed_json;
}

std::string reply_text(request_style style, const rendered_message& message) {
  const std::string markup = markup_with_answers(message, {});
  return style == request_style::rocketchat ? mrkdwn_from_markup(markup) : markdown_from_markup(markup);
}

http_response acknowledgement(answer_style style) {
  if (style == answer_style::signed_json) return json_response(200, json{{"stored", true}, {"reply", nullptr}});
  return text_response(200, "");
}

waiting_replies::waiting_replies(const adapter_context& context, const inbound_sink& sink,
                                 std::chrono::milliseconds reply_wait)
    : context_(context), sink_(sink), reply_wait_(reply_wait) {}

void waiting_replies::wait_for_reply(inbound event, const http_respond& respond, answer_style style,
                                     const std::string& response_url, const std::string& command,
                                     std::function<void(bool stored)> after_store) {
  // Random, not a counter: reply handles outlive the process in the outbox, and a reply from
  // before a restart must never answer a new request.
  const std::string id = random_hex(12);
  event.reply_handle = std::string(wait_handle) + id + (response_url.empty() ? "" : " " + response_url);
  const std::string handle = event.reply_handle;
  auto timer = std::make_shared<boost::asio::steady_timer>(context_.strand());
  pending_[handle] = pending_request{respond, style, command, timer};
  context_.store_then(sink_, std::move(event), [this, handle, after_store = std::move(after_store)](bool stored) {
    if (after_store) after_store(stored);
    if (!stored) {
      answer(handle, not_stored(handle));
      return;
    }
    const auto it = pending_.find(handle);
    if (it == pending_.end()) return;  // the reply came first
    it->second.timer->expires_after(reply_wait_);
    it->second.timer->async_wait([this, hold = context_.hold(), handle](const boost::system::error_code& error) {
      if (error) return;
      answer(handle, late_answer(handle));
    });
  });
}

http_response waiting_replies::not_stored(const std::string& handle) const {
  const auto it = pending_.find(handle);
  if (it != pending_.end() && it->second.style == answer_style::link_page) {
    return not_stored_response(page(503, "Not recorded yet",
                                    "<p>Tandem could not record your answer just now. Please try again in a "
                                    "minute: the link still works.</p>"));
  }
  return not_stored_response(refused(503, "could not store the request; try again"));
}

/// The answer when no reply came in time: the reply then goes elsewhere.
http_response waiting_replies::late_answer(const std::string& handle) const {
  const auto it = pending_.find(handle);
  if (it == pending_.end() || it->second.style != answer_style::link_page) {
    return acknowledgement(it == pending_.end() ? answer_style::signed_json : it->second.style);
  }
  return page(200, "Recorded", "<p>Tandem recorded <code>" + html_escape(it->second.command) + "</code>.</p>");
}

void waiting_replies::answer(const std::string& handle, http_response response) {
  const auto it = pending_.find(handle);
  if (it == pending_.end()) return;
  pending_request waiting = std::move(it->second);
  pending_.erase(it);
  waiting.timer->cancel();
  waiting.respond(std::move(response));
}

bool waiting_replies::waits(const std::string& handle) const { return pending_.contains(handle); }

bool waiting_replies::reply(const std::string& handle, const rendered_message& message) {
  const auto it = pending_.find(handle);
  if (it == pending_.end()) return false;
  const pending_request& waiting = it->second;
  switch (waiting.style) {
    case answer_style::mattermost_outgoing:
      answer(handle, json_response(200, json{{"text", reply_text(request_style::mattermost_outgoing, message)},
                                             {"response_type", "comment"}}));
      return true;
    case answer_style::mattermost_command:
      answer(handle, json_response(200, json{{"text", reply_text(request_style::mattermost_command, message)},
                                             {"response_type", "ephemeral"}}));
      return true;
    case answer_style::rocketchat:
      answer(handle, json_response(200, json{{"text", reply_text(request_style::rocketchat, message)}}));
      return true;
    case answer_style::signed_json:
      answer(handle,
             json_response(200, json{{"stored", true},
                                     {"reply", json{{"markup", markup_with_answers(message, {})},
                                                    {"text", markup_to_plain(markup_with_answers(message, {}))}}}}));
      return true;
    case answer_style::link_page: break;
  }
  const std::string body = "<p>Tandem recorded <code>" + html_escape(waiting.command) +
                           "</code> and answered:</p>\n<pre style=\"white-space:pre-wrap\">" +
                           html_escape(markup_to_plain(message.markup)) + "</pre>";
  answer(handle, page(200, "Recorded", body));
  return true;
}

void waiting_replies::answer_all() {
  std::vector<std::string> handles;
  for (const auto& [handle, waiting] : pending_) handles.push_back(handle);
  for (const auto& handle : handles) answer(handle, late_answer(handle));
}

}  // namespace tandem::webhook
