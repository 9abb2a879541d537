#pragma once
// Posting Tandem's messages to webhook channels: a waiting request's answer (written once the
// outbox has marked the reply sent, durably), a Mattermost slash command's response_url (falling back to the channel's
// URL once it is spent), or the channel's incoming webhook in its dialect, in parts for Discord (each accepted part
// recorded, so a retry sends only the rest), paced to one post per channel per interval and held after a 429.

#include "adapters/adapter_context.h"
#include "adapters/adapter_state.h"
#include "adapters/http/http_client.h"
#include "adapters/outbound_adapter.h"
#include "adapters/webhook/webhook_adapter.h"
#include "adapters/webhook/webhook_links.h"
#include "adapters/webhook/webhook_replies.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace tandem::webhook {

/// The sending side of the webhook adapter. Used on the adapter's strand only.
class channel_delivery {
 public:
  /// Everything given must outlive it. Throws std::runtime_error when `options.extra_ca_file`
  /// cannot be loaded.
  channel_delivery(adapter_context& context, const webhook_adapter_options& options, adapter_state& durable,
                   waiting_replies& replies, action_links& links);

  /// See webhook_adapter::deliver. A reply to a request that waits is `ready`: it is written into
  /// the request's answer when the outbox calls its write, or goes on as a later reply when the
  /// wait ran out meanwhile.
  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done);
  /// Cancels every request in flight.
  void cancel_all() { client_.cancel_all(); }

 private:
  /// The posts that carry one message to one channel.
  struct part_sequence {
    std::string channel;
    std::string url;
    std::vector<webhook_post> posts;
    std::string progress_key;  ///< where a multi-part message records how many parts were accepted
  };

  /// A reply to a request: into its answer while it waits, else to a Mattermost response_url or
  /// the channel.
  void reply_to_request(const webhook_channel_settings& channel, const destination& to, const rendered_message& message,
                        const std::string& key, std::function<void(delivery_result)> done);
  void reply_by_response_url(const webhook_channel_settings& channel, const std::string& url,
                             const rendered_message& message, const std::string& key,
                             std::function<void(delivery_result)> done);
  void post_to_channel(const webhook_channel_settings& channel, const destination& to, const rendered_message& message,
                       const std::string& key, std::function<void(delivery_result)> done);
  void post_parts(std::shared_ptr<part_sequence> parts, std::size_t index, std::function<void(delivery_result)> done);
  void paced(const std::string& channel, std::function<void(bool go)> send);
  void hold_channel(const std::string& channel, std::chrono::seconds wait);
  void send(client_request request, std::function<void(delivery_result)> done);
  delivery_result outcome_of(const client_result& result) const;

  adapter_context& context_;
  const webhook_adapter_options& options_;
  adapter_state& durable_;
  waiting_replies& replies_;
  action_links& links_;
  http_client client_;
  std::map<std::string, std::chrono::steady_clock::time_point> next_slot_;  ///< channel -> free from
  std::map<std::string, time_point> held_until_;                            ///< channel -> no post before (after a 429)
};

}  // namespace tandem::webhook
