#include "adapters/slack/slack_delivery.h"

#include "adapters/json_fields.h"

#include <algorithm>

namespace tandem::slack {

using json = nlohmann::json;

namespace {
constexpr std::string_view response_url_handle = "response_url:";
constexpr std::string_view thread_handle = "thread:";
}  // namespace

message_delivery::message_delivery(adapter_context& context, workspace_set& workspaces, web_api& api,
                                   std::chrono::milliseconds channel_interval, waiting_commands commands,
                                   noticed on_noticed)
    : context_(context),
      workspaces_(workspaces),
      api_(api),
      channel_interval_(channel_interval),
      commands_(std::move(commands)),
      on_noticed_(std::move(on_noticed)) {}

delivery_result message_delivery::failure(workspace& w, const std::string& channel, const api_error& error) {
  if (is_auth_failure(error)) workspaces_.refused_token(w, error.code);
  if (error.retry_after && !channel.empty()) {
    auto& slot = next_slot_[w.settings.team_id + ":" + channel];
    slot = std::max(slot, std::chrono::steady_clock::now() + *error.retry_after);
  }
  if (error.code == "channel_not_found" && channel.starts_with('D')) {
    std::erase_if(dm_channels_, [&](const auto& entry) { return entry.second == channel; });
  }
  return to_delivery_result(error);
}

void message_delivery::deliver(const destination& to, const rendered_message& message, const std::string& key,
                               std::function<void(delivery_result)> done) {
  if (context_.stopping()) {
    done(delivery_result::retry("stopping"));
    return;
  }
  workspace* w = workspaces_.find(to.workspace);
  if (w == nullptr) {
    done(delivery_result::failed("workspace " + to.workspace + " is not configured"));
    return;
  }
  if (!w->auth_failure.empty()) {
    done(delivery_result::failed(w->auth_failure));
    return;
  }
  if (on_noticed_) on_noticed_(to.workspace, to.user);
  json body = message_body(message, short_hash(key));
  const std::string& handle = to.reply_handle;
  if (handle.starts_with(response_url_handle)) {
    body["response_type"] = "ephemeral";
    if (!commands_.waits(handle)) return reply_to_command(*w, to, std::move(body), std::move(done));
    // Written only once the outbox has made its sent mark durable: a kill between the two then
    // loses the answer at worst, where a mark after it would send the reply again after a restart.
    done(delivery_result::ready(
        [this, hold = context_.hold(), w, to, body](std::function<void(delivery_result)> written) {
          context_.post([this, hold, w, to, body, written = std::move(written)]() mutable {
            reply_to_command(*w, to, std::move(body), std::move(written));
          });
        }));
    return;
  }
  if (handle.starts_with(thread_handle)) body["thread_ts"] = handle.substr(thread_handle.size());
  if (to.conversation.empty()) {
    with_dm(*w, to.user, [this, w, body = std::move(body), done](std::variant<std::string, api_error> channel) mutable {
      if (auto* error = std::get_if<api_error>(&channel)) {
        done(failure(*w, "", *error));
        return;
      }
      post_message(*w, std::get<std::string>(channel), std::move(body), std::move(done));
    });
    return;
  }
  post_message(*w, to.conversation, std::move(body), std::move(done));
}

void message_delivery::reply_to_command(workspace& w, const destination& to, json body,
                                        std::function<void(delivery_result)> done) {
  if (commands_.answer(to.reply_handle, json_response(200, body))) return done(delivery_result::delivered());
  reply_by_response_url(w, to, to.reply_handle.substr(response_url_handle.size()), std::move(body), std::move(done));
}

void message_delivery::reply_by_response_url(workspace& w, const destination& to, const std::string& url, json body,
                                             std::function<void(delivery_result)> done) {
  api_.post_response_url(url, body, [this, &w, to, body, done](const api_result& result) mutable {
    const auto* error = std::get_if<api_error>(&result);
    if (error == nullptr) {
      done(delivery_result::delivered());
      return;
    }
    if (error->status < 400 || error->status >= 500 || error->status == 429) {
      done(to_delivery_result(*error));
      return;
    }
    // The response_url is spent (30 minutes, 5 uses): an ephemeral message does the same.
    body.erase("response_type");
    body["channel"] = to.conversation;
    body["user"] = to.user;
    paced(w, to.conversation, [this, &w, to, body, done]() mutable {
      api_.call(w, "chat.postEphemeral", body, [this, &w, to, done](const api_result& answer) {
        if (const auto* failed = std::get_if<api_error>(&answer)) {
          done(failure(w, to.conversation, *failed));
        } else {
          done(delivery_result::delivered());
        }
      });
    });
  });
}

void message_delivery::post_message(workspace& w, const std::string& channel, json body,
                                    std::function<void(delivery_result)> done) {
  body["channel"] = channel;
  paced(w, channel, [this, &w, channel, body = std::move(body), done = std::move(done)]() mutable {
    if (!w.auth_failure.empty()) {
      done(delivery_result::failed(w.auth_failure));
      return;
    }
    api_.call(w, "chat.postMessage", body, [this, &w, channel, done](const api_result& result) {
      if (const auto* error = std::get_if<api_error>(&result)) {
        done(failure(w, channel, *error));
      } else {
        done(delivery_result::delivered());
      }
    });
  });
}

void message_delivery::paced(const workspace& w, const std::string& channel, std::function<void()> send) {
  const auto now_steady = std::chrono::steady_clock::now();
  if (next_slot_.size() > 10000)
    std::erase_if(next_slot_, [&](const auto& entry) { return entry.second < now_steady; });
  auto& slot = next_slot_[w.settings.team_id + ":" + channel];
  const auto at = std::max(slot, now_steady);
  slot = at + channel_interval_;
  if (at <= now_steady) {
    send();
    return;
  }
  // Held: the adapter's parts stay alive while the message waits for its slot.
  context_.at(at, [hold = context_.hold(), send = std::move(send)](bool fired) {
    if (fired) send();
  });
}

void message_delivery::with_dm(workspace& w, const std::string& user,
                               std::function<void(std::variant<std::string, api_error>)> then) {
  const auto key = std::make_pair(w.settings.team_id, user);
  if (const auto it = dm_channels_.find(key); it != dm_channels_.end()) {
    then(it->second);
    return;
  }
  api_.call(w, "conversations.open", json{{"users", user}}, [this, key, then](const api_result& result) {
    if (const auto* error = std::get_if<api_error>(&result)) {
      then(*error);
      return;
    }
    const json& answer = std::get<json>(result);
    const std::string channel = string_field(object_field(answer, "channel"), "id");
    if (channel.empty()) {
      then(api_error{{}, 200, "malformed_response", std::nullopt});
      return;
    }
    dm_channels_[key] = channel;
    then(channel);
  });
}

}  // namespace tandem::slack
