#pragma once
// A WebSocket server over TLS playing Slack's Socket Mode endpoint (wss://…/link/?ticket=…):
// it accepts connections on 127.0.0.1 with the throwaway test certificate, sends what the test
// scripts (hello, envelopes, disconnect), records what the client sends (acknowledgements) and
// can drop a connection. No Asio or Beast in this header.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace slack_testing {

/// One message a client sent, with the connection it came on (1, 2, …).
struct received_message {
  std::size_t connection = 0;
  std::string text;
};

/// Thread-safe; runs its own io_context thread.
class fake_socket_mode_server {
 public:
  fake_socket_mode_server();
  ~fake_socket_mode_server();
  fake_socket_mode_server(const fake_socket_mode_server&) = delete;
  fake_socket_mode_server& operator=(const fake_socket_mode_server&) = delete;

  /// "wss://localhost:<port>/link/?ticket=<n>&app_id=A0001", what apps.connections.open gives.
  std::string url() const;

  /// Waits until `count` WebSocket handshakes have completed.
  bool wait_for_connections(std::size_t count, std::chrono::milliseconds within = std::chrono::seconds{10});
  /// Waits until the client has sent `count` messages in all.
  bool wait_for_messages(std::size_t count, std::chrono::milliseconds within = std::chrono::seconds{10});

  /// Sends `text` on connection `connection` (1, 2, …).
  void send(std::size_t connection, std::string text);
  /// Closes connection `connection`'s socket without a close frame.
  void drop(std::size_t connection);

  std::size_t connections() const;
  std::vector<received_message> messages() const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace slack_testing
