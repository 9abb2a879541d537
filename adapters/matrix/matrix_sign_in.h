#pragma once
// Signing in to the homeserver: with the configured token (checked with whoami) or with the
// password (reusing the stored device, so txn ids keep their scope), then the sync filter
// (client mode) and m.direct; retried with backoff or the server's hint. A refused token signs a
// password account in again; a configured token cannot heal.

#include "adapters/adapter_context.h"
#include "adapters/adapter_state.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_direct_rooms.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace tandem::matrix {

/// The sign-in. Used on the adapter's thread only.
class sign_in {
 public:
  /// Called once signed in, with the sync filter's id (empty in appservice mode).
  using signed_in = std::function<void(const std::string& filter_id)>;

  /// Everything given must outlive it. `timer` is the one the /sync loop's retries wait on too.
  sign_in(const session_tools& tools, direct_room_book& direct, boost::asio::steady_timer& timer,
          signed_in on_signed_in);

  /// Signs in (or checks the token) and prepares; health says "starting" meanwhile.
  void start();
  /// 401 M_UNKNOWN_TOKEN: a password account signs in again; a configured token cannot heal.
  void token_refused(const request_failure& f);

 private:
  void log_in();
  void check_whoami();
  void accept_user(const std::string& user_id);
  void upload_filter();
  void load_direct_rooms(std::string filter_id);
  void retry(std::optional<std::chrono::seconds> hint = std::nullopt);

  session_tools tools_;
  direct_room_book& direct_;
  boost::asio::steady_timer& timer_;
  signed_in on_signed_in_;
  int failures_ = 0;
};

}  // namespace tandem::matrix
