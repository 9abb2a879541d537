#include "adapters/matrix/matrix_event_feed.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>

namespace tandem::matrix {

event_feed::event_feed(const adapter_context& context, inbound_sink& sink, const bot_account& bot,
                       reaction_targets& targets, invitations& invites, encryption_notices& notices,
                       const direct_room_book& direct)
    : context_(context),
      sink_(sink),
      bot_(bot),
      targets_(targets),
      invites_(invites),
      notices_(notices),
      direct_(direct) {}

void event_feed::process(std::vector<client_event> events, std::function<void(bool)> done) {
  if (!targets_.need_looking_up(events)) return feed(events, std::move(done));
  auto shared = std::make_shared<std::vector<client_event>>(std::move(events));
  boost::asio::co_spawn(context_.io(), targets_.look_up(*shared),
                        context_.guard([this, shared, done = std::move(done)](std::exception_ptr e, bool known) {
                          if (e) std::rethrow_exception(e);
                          if (!known) return done(false);
                          feed(*shared, done);
                        }));
}

boost::asio::awaitable<bool> event_feed::co_process(std::vector<client_event> events) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(bool)>(
      [this](auto handler, std::vector<client_event> given) {
        // std::function needs a copyable target; the coroutine's handler is move-only. The answer
        // may come before process returns (nothing to store): resume on a later turn.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        process(std::move(given), [this, shared](bool stored) {
          boost::asio::post(context_.io(), context_.guard([shared, stored] { (*shared)(stored); }));
        });
      },
      boost::asio::use_awaitable, std::move(events));
}

void event_feed::feed(const std::vector<client_event>& events, std::function<void(bool)> done) {
  std::vector<inbound> translated;
  for (const auto& e : events) {
    if (e.sender == bot_.user_id) continue;
    if (e.type == "m.room.member" && e.state_key == bot_.user_id) {
      if (!invites_.note_membership(e)) return done(false);
      continue;
    }
    if (e.type == "m.room.encrypted" || e.type == "m.room.encryption") {
      notices_.room_is_encrypted(e.room_id, e.sender);
      continue;
    }
    if (auto in = translate_event(e, bot_, direct_.is_direct(e.room_id), targets_.of(e))) {
      translated.push_back(std::move(*in));
    }
  }
  invites_.answer();
  if (translated.empty()) return done(true);
  struct tally {
    std::size_t left;
    bool stored = true;
    std::function<void(bool)> done;
  };
  auto count = std::make_shared<tally>(tally{translated.size(), true, std::move(done)});
  for (auto& in : translated) {
    sink_(std::move(in), context_.guard([count](bool stored) {
      count->stored = count->stored && stored;
      if (--count->left == 0) count->done(count->stored);
    }));
  }
}

}  // namespace tandem::matrix
