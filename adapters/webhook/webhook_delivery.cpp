#include "adapters/webhook/webhook_delivery.h"

#include "adapters/webhook/webhook_render.h"
#include "adapters/webhook/webhook_signing.h"
#include "core/markup.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace tandem::webhook {

using json = nlohmann::json;

namespace {

constexpr std::string_view parts_prefix = "webhook.parts.";

http_client_options client_options(const webhook_adapter_options& options) {
  http_client_options o;
  o.extra_ca_file = options.extra_ca_file;
  o.timeout = options.request_timeout;
  return o;
}

std::string with_wait(const std::string& url) {
  if (url.find("wait=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?wait=true" : "&wait=true");
}

/// Discord's 429 body `{"retry_after": 2.5, ...}` (seconds), rounded up; nothing without one.
std::optional<std::chrono::seconds> retry_after_in_body(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("retry_after") || !j["retry_after"].is_number()) return std::nullopt;
  const double seconds = j["retry_after"].get<double>();
  if (seconds < 0 || seconds > 86400) return std::nullopt;
  return std::chrono::seconds{static_cast<std::chrono::seconds::rep>(std::ceil(seconds))};
}

}  // namespace

channel_delivery::channel_delivery(adapter_context& context, const webhook_adapter_options& options,
                                   adapter_state& durable, waiting_replies& replies, action_links& links)
    : context_(context),
      options_(options),
      durable_(durable),
      replies_(replies),
      links_(links),
      client_(context.io(), client_options(options)) {}

void channel_delivery::deliver(const destination& to, const rendered_message& message, const std::string& key,
                               std::function<void(delivery_result)> done) {
  if (context_.stopping()) return done(delivery_result::retry("stopping"));
  const webhook_channel_settings* channel = find_channel(options_, to.workspace);
  if (channel == nullptr)
    return done(delivery_result::failed("webhook channel " + to.workspace + " is not configured"));
  if (!to.reply_handle.starts_with(wait_handle)) return post_to_channel(*channel, to, message, key, std::move(done));
  if (!replies_.waits(to.reply_handle)) return reply_to_request(*channel, to, message, key, std::move(done));
  // Written only once the outbox has made its sent mark durable: a kill between the two then
  // loses the answer at worst, where a mark after it would send the reply again after a restart.
  done(delivery_result::ready(
      [this, hold = context_.hold(), to, message, key](std::function<void(delivery_result)> written) {
        context_.post([this, hold, to, message, key, written = std::move(written)]() mutable {
          const webhook_channel_settings* still = find_channel(options_, to.workspace);
          if (still == nullptr)
            return written(delivery_result::failed("webhook channel " + to.workspace + " is not configured"));
          reply_to_request(*still, to, message, key, std::move(written));
        });
      }));
}

void channel_delivery::reply_to_request(const webhook_channel_settings& channel, const destination& to,
                                        const rendered_message& message, const std::string& key,
                                        std::function<void(delivery_result)> done) {
  if (replies_.reply(to.reply_handle, message)) return done(delivery_result::delivered());
  const auto space = to.reply_handle.find(' ');
  if (space != std::string::npos) {
    return reply_by_response_url(channel, to.reply_handle.substr(space + 1), message, key, std::move(done));
  }
  post_to_channel(channel, to, message, key, std::move(done));
}

/// A Mattermost slash command's later reply: its response_url, else the channel's URL.
void channel_delivery::reply_by_response_url(const webhook_channel_settings& channel, const std::string& url,
                                             const rendered_message& message, const std::string& key,
                                             std::function<void(delivery_result)> done) {
  client_request request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"}};
  request.body =
      json{{"response_type", "ephemeral"}, {"text", reply_text(request_style::mattermost_command, message)}}.dump(
          -1, ' ', false, json::error_handler_t::replace);
  const std::string name = channel.name;
  send(std::move(request), [this, name, message, key, done](delivery_result result) mutable {
    const webhook_channel_settings* still = find_channel(options_, name);
    if (result.what == delivery_result::outcome::failed && still != nullptr && !still->url.empty()) {
      // The response_url is spent (30 minutes, 5 uses): the channel's URL says it to everyone.
      post_to_channel(*still, destination{}, message, key, std::move(done));
      return;
    }
    done(std::move(result));
  });
}

void channel_delivery::post_to_channel(const webhook_channel_settings& channel, const destination& to,
                                       const rendered_message& message, const std::string& key,
                                       std::function<void(delivery_result)> done) {
  if (channel.url.empty())
    return done(delivery_result::failed("webhook channel " + channel.name + " has no url to post to"));
  const std::vector<answer_link> links = links_.links_for(channel, to, message, key);
  auto parts = std::make_shared<part_sequence>();
  parts->channel = channel.name;
  parts->url = channel.how == dialect::discord ? with_wait(channel.url) : channel.url;
  // A webhook channel is a room: a message meant for one person says whom it is for.
  rendered_message addressed = message;
  if (to.conversation.empty() && !to.person.empty()) {
    addressed.markup = "**" + escape_markup(to.person) + "**: " + message.markup;
  }
  parts->posts = posts_for(channel.how, addressed, links);
  parts->progress_key = std::string(parts_prefix) + link_nonce(key, 0);
  std::size_t first = 0;
  if (parts->posts.size() > 1) {
    if (auto kept = durable_.get(parts->progress_key)) {
      std::size_t accepted = 0;
      const auto [end, error] = std::from_chars(kept->data(), kept->data() + kept->size(), accepted);
      if (error == std::errc{} && end == kept->data() + kept->size()) first = std::min(accepted, parts->posts.size());
    }
  }
  post_parts(parts, first, std::move(done));
}

/// Posts parts `index`… in order, each in the channel's next free slot; records each accepted
/// part of a multi-part message before the next is sent, so a retry resumes after the last
/// accepted one.
void channel_delivery::post_parts(std::shared_ptr<part_sequence> parts, std::size_t index,
                                  std::function<void(delivery_result)> done) {
  if (index >= parts->posts.size()) return done(delivery_result::delivered());
  paced(parts->channel, [this, parts, index, done = std::move(done)](bool go) mutable {
    if (!go) return done(delivery_result::retry("stopping"));
    client_request request;
    request.method = "POST";
    request.url = parts->url;
    request.headers = {{"Content-Type", parts->posts[index].content_type}};
    request.body = parts->posts[index].body;
    send(std::move(request), [this, parts, index, done = std::move(done)](delivery_result result) mutable {
      if (result.what != delivery_result::outcome::delivered) {
        if (result.retry_after) hold_channel(parts->channel, *result.retry_after);
        return done(std::move(result));
      }
      if (parts->posts.size() > 1) durable_.put(parts->progress_key, std::to_string(index + 1));
      post_parts(parts, index + 1, std::move(done));
    });
  });
}

/// Runs `send(true)` in the channel's next slot (at most one post per channel_interval, none
/// while a 429 holds it), or `send(false)` when the adapter stops first.
void channel_delivery::paced(const std::string& channel, std::function<void(bool go)> send) {
  const auto now_steady = std::chrono::steady_clock::now();
  auto& slot = next_slot_[channel];
  auto at = std::max(slot, now_steady);
  if (const auto held = held_until_.find(channel); held != held_until_.end()) {
    // Held on the adapter's clock (the outbox's), so a clock moved in tests moves it too.
    if (held->second > context_.now())
      at = std::max(at, now_steady + (held->second - context_.now()));
    else
      held_until_.erase(held);
  }
  slot = at + options_.channel_interval;
  if (at <= now_steady) return send(true);
  context_.at(at, [hold = context_.hold(), send = std::move(send)](bool fired) { send(fired); });
}

/// After a 429, nothing more goes to the channel before its Retry-After has passed. The adapter's
/// clock counts whole seconds (up to one behind the real time): the hold lasts a second more.
void channel_delivery::hold_channel(const std::string& channel, std::chrono::seconds wait) {
  auto& until = held_until_[channel];
  until = std::max(until, context_.now() + wait + std::chrono::seconds{1});
}

/// Sends one POST and reads its outcome as the outbox needs it.
void channel_delivery::send(client_request request, std::function<void(delivery_result)> done) {
  client_.send(std::move(request),
               [this, hold = context_.hold(), done = std::move(done)](client_result result) mutable {
                 context_.post([this, hold = std::move(hold), result = std::move(result), done = std::move(done)] {
                   done(outcome_of(result));
                 });
               });
}

delivery_result channel_delivery::outcome_of(const client_result& result) const {
  if (const auto* error = std::get_if<client_error>(&result)) {
    context_.log("warn", "webhook: " + error->message);
    return delivery_result::retry(error->message);
  }
  const auto& response = std::get<client_response>(result);
  if (response.status == 429) {
    std::optional<std::chrono::seconds> after;
    if (const auto header = response.header("retry-after")) after = parse_retry_after(*header, context_.now());
    if (!after) after = retry_after_in_body(response.body);
    return delivery_result::retry("HTTP 429", after);
  }
  if (response.status >= 500) return delivery_result::retry("HTTP " + std::to_string(response.status));
  if (response.status >= 200 && response.status < 300) {
    // Legacy Teams connectors report throttling in a 200's body.
    if (response.body.find("HTTP error 429") != std::string::npos)
      return delivery_result::retry("HTTP 429 (in the body)");
    return delivery_result::delivered();
  }
  std::string snippet = response.body.substr(0, 200);
  std::ranges::replace(snippet, '\n', ' ');
  return delivery_result::failed("HTTP " + std::to_string(response.status) + (snippet.empty() ? "" : ": " + snippet));
}

}  // namespace tandem::webhook
