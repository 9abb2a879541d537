#include "adapters/matrix/matrix_sender.h"

#include "adapters/http/http_types.h"
#include "adapters/json_fields.h"
#include "adapters/matrix/matrix_render.h"

#include <boost/asio/co_spawn.hpp>

#include <exception>

namespace tandem::matrix {

using nlohmann::json;
using std::chrono::seconds;

notice_sender::notice_sender(const session_tools& tools, direct_room_book& direct, reaction_targets& targets,
                             token_refused on_token_refused)
    : tools_(tools),
      direct_(direct),
      targets_(targets),
      on_token_refused_(std::move(on_token_refused)),
      held_timer_(tools.context.io()) {}

void notice_sender::deliver(const destination& to, const rendered_message& message, const std::string& key,
                            std::function<void(delivery_result)> done) {
  if (!tools_.status.ready) return hold_until_ready(to, message, key, std::move(done));
  if (!to.conversation.empty()) return send_notice(to.conversation, to, message, key, false, std::move(done));
  if (to.user.empty() || server_name_of(to.user).empty()) {
    return done(delivery_result::failed("no Matrix room or user id to send to"));
  }
  direct_.room_for(to.user, [this, to, message, key, done](std::optional<std::string> room,
                                                           std::optional<request_failure> failure) mutable {
    if (!room) return done(outcome_of(*failure, "opening a DM"));
    send_notice(*room, to, message, key, true, std::move(done));
  });
}

/// Just after a start the outbox may offer rows (replies decided before a crash) before the
/// sign-in is done: they wait for it, up to `sign_in_wait`, instead of for the outbox's next
/// attempt seconds later.
void notice_sender::hold_until_ready(const destination& to, const rendered_message& message, const std::string& key,
                                     std::function<void(delivery_result)> done) {
  if (tools_.status.stopping) return done(delivery_result::retry("Tandem is stopping"));
  held_.push_back(held_delivery{to, message, key, std::move(done)});
  if (held_.size() > 1) return;
  held_timer_.expires_after(tools_.options.sign_in_wait);
  held_timer_.async_wait(tools_.context.guard([this](const boost::system::error_code& ec) {
    if (!ec) release_held();
  }));
}

void notice_sender::release_held() {
  held_timer_.cancel();
  auto held = std::exchange(held_, {});
  for (auto& h : held) {
    if (tools_.status.ready && !tools_.status.stopping) {
      deliver(h.to, h.message, h.key, std::move(h.done));
    } else {
      h.done(delivery_result::retry("not signed in to the homeserver yet", seconds{5}));
    }
  }
}

void notice_sender::send_notice(const std::string& room_id, const destination& to, const rendered_message& message,
                                const std::string& key, bool opened_dm, std::function<void(delivery_result)> done) {
  notice_options options;
  const bool direct = opened_dm || direct_.is_direct(room_id);
  if (!direct && !to.user.empty() && to.user != tools_.options.user_id && !server_name_of(to.user).empty()) {
    options.mention_user_ids.push_back(to.user);
  }
  if (!to.reply_handle.empty() && to.conversation == room_id) options.in_reply_to = to.reply_handle;
  json content = notice_content(message, options);
  std::vector<std::string> reactions;
  for (const auto& a : message.answers) {
    if (!a.what.emoji.empty()) reactions.push_back(a.what.emoji);
  }
  const std::string path =
      "/rooms/" + percent_encode(room_id) + "/send/m.room.message/" + percent_encode(transaction_id_for(key));
  tools_.api.call("PUT", path, content,
                  [this, room_id, key, opened_dm, reactions, answers = answers_in_content(content),
                   done = std::move(done)](call_outcome outcome) mutable {
                    if (auto* f = std::get_if<request_failure>(&outcome)) {
                      if (f->is(403) && opened_dm) {
                        direct_.forget(room_id);  // the DM is no longer usable: the next attempt opens a new one
                        return done(delivery_result::retry("not allowed in the DM " + room_id + ": " + f->describe()));
                      }
                      return done(outcome_of(*f, "sending to " + room_id));
                    }
                    const json& answer = std::get<json>(outcome);
                    const std::string event_id = string_field(answer, "event_id");
                    if (!event_id.empty() && !answers.empty()) targets_.remember(event_id, {true, answers});
                    if (event_id.empty() || reactions.empty()) return done(delivery_result::delivered());
                    boost::asio::co_spawn(tools_.context.io(), react(room_id, event_id, key, std::move(reactions)),
                                          tools_.context.guard([done = std::move(done)](std::exception_ptr e) {
                                            if (e) std::rethrow_exception(e);
                                            done(delivery_result::delivered());
                                          }));
                  });
}

/// Best effort: the message is delivered whatever happens to its reactions (it names them).
boost::asio::awaitable<void> notice_sender::react(std::string room_id, std::string event_id, std::string key,
                                                  std::vector<std::string> keys) {
  for (std::size_t index = 0; index < keys.size(); ++index) {
    const std::string path = "/rooms/" + percent_encode(room_id) + "/send/m.reaction/" +
                             percent_encode(transaction_id_for(key, "r" + std::to_string(index)));
    const call_outcome outcome = co_await tools_.api.co_call("PUT", path, reaction_content(event_id, keys[index]));
    if (const auto* f = std::get_if<request_failure>(&outcome);
        f != nullptr && f->errcode != "M_DUPLICATE_ANNOTATION") {
      tools_.context.log("warn",
                         "matrix: could not add the answer " + keys[index] + " to " + event_id + ": " + f->describe());
    }
  }
}

delivery_result notice_sender::outcome_of(const request_failure& f, std::string_view doing) {
  if (f.is(401)) on_token_refused_(f);
  return delivery_outcome(f, doing, tools_.options.rate_limit_default);
}

}  // namespace tandem::matrix
