#include "adapters/slack/fake_socket_mode_server.h"

#include "support/test_certificates.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace slack_testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// asio::ssl::stream, not beast::ssl_stream: clang cannot choose between the two async_teardown
// overloads Beast 1.81 declares for beast::ssl_stream.
using ws_stream = websocket::stream<asio::ssl::stream<beast::tcp_stream>>;

struct connection {
  connection(tcp::socket socket, asio::ssl::context& tls) : ws(std::move(socket), tls) {}
  ws_stream ws;
  beast::flat_buffer buffer;
  std::deque<std::string> outgoing;
  bool writing = false;
  std::size_t number = 0;
};

}  // namespace

// Handlers capture the state by pointer: it outlives the io_context's thread (joined first).
struct fake_socket_mode_server::state {
  state() : tls(asio::ssl::context::tls_server), acceptor(io) {
    const auto& identity = tandem::testing::test_certificates::shared().localhost();
    tls.use_certificate_chain(asio::buffer(identity.certificate_pem));
    tls.use_private_key(asio::buffer(identity.private_key_pem), asio::ssl::context::pem);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    port = acceptor.local_endpoint().port();
  }

  void accept() {
    acceptor.async_accept([self = this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      auto c = std::make_shared<connection>(std::move(socket), self->tls);
      c->ws.next_layer().async_handshake(asio::ssl::stream_base::server,
                                         [self, c](const boost::system::error_code& tls_error) {
                                           if (tls_error) return;
                                           c->ws.async_accept([self, c](const boost::system::error_code& accept_error) {
                                             if (accept_error) return;
                                             {
                                               const std::lock_guard lock(self->mutex);
                                               c->number = self->live.size() + 1;
                                               self->live[c->number] = c;
                                             }
                                             self->changed.notify_all();
                                             self->read(c);
                                           });
                                         });
      self->accept();
    });
  }

  void read(const std::shared_ptr<connection>& c) {
    c->ws.async_read(c->buffer, [self = this, c](const boost::system::error_code& ec, std::size_t) {
      if (ec) return;
      {
        const std::lock_guard lock(self->mutex);
        self->received.push_back({c->number, beast::buffers_to_string(c->buffer.data())});
      }
      c->buffer.consume(c->buffer.size());
      self->changed.notify_all();
      self->read(c);
    });
  }

  void write_next(const std::shared_ptr<connection>& c) {
    if (c->outgoing.empty()) {
      c->writing = false;
      return;
    }
    c->writing = true;
    c->ws.text(true);
    c->ws.async_write(asio::buffer(c->outgoing.front()),
                      [self = this, c](const boost::system::error_code& ec, std::size_t) {
                        c->outgoing.pop_front();
                        if (ec) {
                          c->writing = false;
                          return;
                        }
                        self->write_next(c);
                      });
  }

  std::shared_ptr<connection> find(std::size_t number) {
    const std::lock_guard lock(mutex);
    const auto it = live.find(number);
    return it == live.end() ? nullptr : it->second;
  }

  asio::io_context io;
  asio::ssl::context tls;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::thread thread;
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::map<std::size_t, std::shared_ptr<connection>> live;
  std::vector<received_message> received;
  std::size_t tickets = 0;
};

fake_socket_mode_server::fake_socket_mode_server() : state_(std::make_unique<state>()) {
  state_->accept();
  state_->thread = std::thread([s = state_.get()] { s->io.run(); });
}

fake_socket_mode_server::~fake_socket_mode_server() {
  state_->io.stop();
  state_->thread.join();
}

std::string fake_socket_mode_server::url() const {
  const std::lock_guard lock(state_->mutex);
  return "wss://localhost:" + std::to_string(state_->port) + "/link/?ticket=" + std::to_string(++state_->tickets) +
         "&app_id=A0001";
}

bool fake_socket_mode_server::wait_for_connections(std::size_t count, std::chrono::milliseconds within) {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, within, [&] { return state_->live.size() >= count; });
}

bool fake_socket_mode_server::wait_for_messages(std::size_t count, std::chrono::milliseconds within) {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, within, [&] { return state_->received.size() >= count; });
}

void fake_socket_mode_server::send(std::size_t number, std::string text) {
  asio::post(state_->io, [s = state_.get(), number, text = std::move(text)]() mutable {
    if (auto c = s->find(number)) {
      c->outgoing.push_back(std::move(text));
      if (!c->writing) s->write_next(c);
    }
  });
}

void fake_socket_mode_server::drop(std::size_t number) {
  asio::post(state_->io, [s = state_.get(), number] {
    if (auto c = s->find(number)) {
      boost::system::error_code ignored;
      beast::get_lowest_layer(c->ws).socket().close(ignored);
    }
  });
}

std::size_t fake_socket_mode_server::connections() const {
  const std::lock_guard lock(state_->mutex);
  return state_->live.size();
}

std::vector<received_message> fake_socket_mode_server::messages() const {
  const std::lock_guard lock(state_->mutex);
  return state_->received;
}

}  // namespace slack_testing
