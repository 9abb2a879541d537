#include "adapters/matrix/matrix_adapter.h"

#include "adapters/adapter_context.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_appservice.h"
#include "adapters/matrix/matrix_direct_rooms.h"
#include "adapters/matrix/matrix_encryption_notice.h"
#include "adapters/matrix/matrix_event_feed.h"
#include "adapters/matrix/matrix_invitations.h"
#include "adapters/matrix/matrix_reaction_targets.h"
#include "adapters/matrix/matrix_sender.h"
#include "adapters/matrix/matrix_sign_in.h"
#include "adapters/matrix/matrix_sync_loop.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace tandem {
namespace {

namespace asio = boost::asio;

}  // namespace

/// The adapter's parts, wired: each part is one job (see its header); this class only connects
/// them and keeps the order of start and stop.
class matrix_adapter::session {
 public:
  session(asio::io_context& io, matrix_options options, inbound_sink sink, adapter_state& state,
          const installation_directory& directory)
      : options_(std::move(options)),
        context_(io, {}, options_.log),
        sink_(std::move(sink)),
        state_(state),
        bot_{options_.user_id, matrix::server_name_of(options_.user_id)},
        api_(context_, options_, status_),
        backoff_(options_),
        tools_{api_, context_, status_, state, options_, backoff_},
        sync_timer_(io),
        direct_(api_, context_, options_.user_id),
        targets_(api_, context_, options_.user_id),
        invites_(tools_, directory, bot_,
                 [this](const std::string& inviter, const std::string& room_id) { direct_.add(inviter, room_id); }),
        notices_(tools_, bot_),
        feed_(context_, sink_, bot_, targets_, invites_, notices_, direct_),
        sender_(tools_, direct_, targets_, [this](const matrix::request_failure& f) { sign_in_.token_refused(f); }),
        sync_(tools_, sync_timer_,
              matrix::sync_loop_parts{direct_, invites_, notices_, feed_,
                                      [this](const matrix::request_failure& f) { sign_in_.token_refused(f); }}),
        sign_in_(tools_, direct_, sync_timer_, [this](const std::string& filter_id) { signed_in(filter_id); }) {
    api_.set_token(options_.how == matrix_options::mode::appservice ? options_.as_token : options_.access_token);
  }

  void add_routes(http_server& server) {
    if (options_.how != matrix_options::mode::appservice) return;
    receiver_ = std::make_unique<matrix::transaction_receiver>(
        options_.hs_token, state_,
        context_.guard([this](std::vector<matrix::client_event> events, std::function<void(bool)> done) {
          feed_.process(std::move(events), std::move(done));
        }),
        [this]() -> std::optional<std::string> {
          if (status_.ready) return std::nullopt;
          return "Tandem has not yet confirmed its identity with the homeserver (whoami with the as_token; "
                 "adapter health: " +
                 status_.health + "); retry later";
        },
        options_.log);
    receiver_->add_routes(server);
  }

  void start() { sign_in_.start(); }

  void stop() {
    if (!status_.stopping && status_.ready) sync_.save_token();  // a clean stop resumes with nothing offered again
    status_.stopping = true;
    sync_timer_.cancel();
    invites_.stop();
    sync_.stop();
    sender_.release_held();
    api_.cancel_all();
  }

  std::string health() const { return status_.health; }

  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done) {
    sender_.deliver(to, message, key, std::move(done));
  }

 private:
  void signed_in(const std::string& filter_id) {
    status_.ready = true;
    status_.health = "ok";
    context_.log("info", "matrix: signed in as " + options_.user_id + " (" +
                             (options_.how == matrix_options::mode::appservice ? "appservice" : "client") + " mode)");
    invites_.load();
    invites_.answer();
    sender_.release_held();
    if (options_.how == matrix_options::mode::client) sync_.begin(filter_id);
  }

  matrix_options options_;
  adapter_context context_;
  inbound_sink sink_;
  adapter_state& state_;
  matrix::bot_account bot_;
  matrix::connection_status status_;
  matrix::api_client api_;
  matrix::retry_backoff backoff_;
  matrix::session_tools tools_;    ///< what every part below works with
  asio::steady_timer sync_timer_;  ///< the sign-in's and the /sync loop's retries
  matrix::direct_room_book direct_;
  matrix::reaction_targets targets_;
  matrix::invitations invites_;
  matrix::encryption_notices notices_;
  matrix::event_feed feed_;
  matrix::notice_sender sender_;
  matrix::sync_loop sync_;
  matrix::sign_in sign_in_;
  std::unique_ptr<matrix::transaction_receiver> receiver_;
};

matrix_adapter::matrix_adapter(asio::io_context& io, matrix_options options, inbound_sink sink, adapter_state& state,
                               const installation_directory& directory)
    : session_(std::make_shared<session>(io, std::move(options), std::move(sink), state, directory)) {}

matrix_adapter::~matrix_adapter() { session_->stop(); }

void matrix_adapter::deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
                             std::function<void(delivery_result)> done) {
  session_->deliver(to, message, idempotency_key, std::move(done));
}

void matrix_adapter::add_routes(http_server& server) { session_->add_routes(server); }

void matrix_adapter::start() { session_->start(); }

void matrix_adapter::stop() { session_->stop(); }

std::string matrix_adapter::health() const { return session_->health(); }

}  // namespace tandem
