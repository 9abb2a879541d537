#pragma once
// Requests whose HTTP answer waits for Tandem's first reply: the event is stored, then the
// request is answered with the reply in its sender's shape (Mattermost, Rocket.Chat, signed
// JSON, a link's page) when it comes within the wait, with a bare acknowledgement when it does
// not (the reply then goes elsewhere), or with 503 when the event could not be stored.

#include "adapters/adapter_context.h"
#include "adapters/http/http_types.h"
#include "adapters/outbound_adapter.h"
#include "adapters/platform_adapter.h"
#include "adapters/webhook/webhook_inbound.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace tandem::webhook {

/// The prefix of the reply handle of a waiting request: "wait:<id>", then " <response_url>" for
/// a Mattermost slash command.
inline constexpr std::string_view wait_handle = "wait:";

/// How a request waiting for its reply wants the reply.
enum class answer_style { mattermost_outgoing, mattermost_command, rocketchat, signed_json, link_page };

/// The answer style of a request from `style`. Pure.
answer_style answer_style_of(request_style style);

/// The text of a reply for a Mattermost or Rocket.Chat answer body. Pure.
std::string reply_text(request_style style, const rendered_message& message);

/// The answer that only says the request was stored, in `style`. Pure.
http_response acknowledgement(answer_style style);

/// The requests waiting for their reply. Used on the adapter's strand only.
class waiting_replies {
 public:
  /// Everything given must outlive it.
  waiting_replies(const adapter_context& context, const inbound_sink& sink, std::chrono::milliseconds reply_wait);

  /// Gives `event` a reply handle naming this request, stores it, runs `after_store`, then
  /// answers `respond` (see the header comment). `command` is what a link page shows.
  void wait_for_reply(inbound event, const http_respond& respond, answer_style style, const std::string& response_url,
                      const std::string& command, std::function<void(bool stored)> after_store = {});
  /// True when a request waits under `handle` for its answer.
  bool waits(const std::string& handle) const;
  /// Answers the request waiting under `handle` with `message`; false when none waits.
  bool reply(const std::string& handle, const rendered_message& message);
  /// Answers every waiting request as if no reply came in time (at stop).
  void answer_all();

 private:
  /// A request whose HTTP answer waits for its first reply.
  struct pending_request {
    http_respond respond;
    answer_style style = answer_style::signed_json;
    std::string command;  ///< link pages: what was sent, shown when no reply comes in time
    std::shared_ptr<boost::asio::steady_timer> timer;
  };

  /// Answers a waiting request once; later calls do nothing.
  void answer(const std::string& handle, http_response response);
  http_response not_stored(const std::string& handle) const;
  http_response late_answer(const std::string& handle) const;

  const adapter_context& context_;
  const inbound_sink& sink_;
  std::chrono::milliseconds reply_wait_;
  std::map<std::string, pending_request> pending_;  ///< by reply handle
};

}  // namespace tandem::webhook
