#include "support/local_https_server.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>
#include <thread>
#include <type_traits>

namespace tandem::testing {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

constexpr std::chrono::seconds handshake_timeout{10};

}  // namespace

std::optional<std::string_view> recorded_request::header(std::string_view name) const {
  const auto found = headers.find(lowercase(name));
  if (found == headers.end()) return std::nullopt;
  return std::string_view(found->second);
}

scripted_response scripted_response::json(unsigned status, std::string body) {
  scripted_response response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("Content-Type", "application/json");
  return response;
}

scripted_response scripted_response::text(unsigned status, std::string body) {
  scripted_response response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  return response;
}

scripted_response& scripted_response::with_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

namespace {

// Everything the sessions share with the server object.
struct server_core {
  explicit server_core(local_server_options server_options) : options(std::move(server_options)) {}

  // The next answer: queued, else from the handler, else a 500 naming the request.
  scripted_response answer_for(const recorded_request& request) {
    request_handler chosen;
    {
      const std::lock_guard lock(mutex);
      if (!script.empty()) {
        auto next = std::move(script.front());
        script.pop_front();
        return next;
      }
      chosen = handler;
    }
    if (chosen) return chosen(request);
    return scripted_response::text(
        500, "local_https_server: no response scripted for " + request.method + ' ' + request.path + '\n');
  }

  void record(recorded_request request) {
    {
      const std::lock_guard lock(mutex);
      requests.push_back(std::move(request));
    }
    changed.notify_all();
  }

  void accept();

  const local_server_options options;
  ssl::context tls{ssl::context::tls_server};

  mutable std::mutex mutex;  // guards what follows
  mutable std::condition_variable changed;
  std::deque<scripted_response> script;
  request_handler handler;
  std::vector<recorded_request> requests;
  std::size_t connections = 0;
  std::size_t open_connections = 0;

  // Destroyed first: the acceptor, then the io_context with every session its handlers hold.
  std::uint16_t port = 0;
  std::thread thread;
  net::io_context io;
  tcp::acceptor acceptor{io};
};

// One connection: reads requests one at a time and answers each as scripted.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
 public:
  template <class... StreamArguments>
  session(server_core& server, std::size_t connection, StreamArguments&&... arguments)
      : server_(server),
        stream_(std::forward<StreamArguments>(arguments)...),
        delay_(stream_.get_executor()),
        connection_(connection) {}

  ~session() {
    {
      const std::lock_guard lock(server_.mutex);
      --server_.open_connections;
    }
    server_.changed.notify_all();
  }

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void start() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      beast::get_lowest_layer(stream_).expires_after(handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return;  // the client refused us, or left
        const char* name = SSL_get_servername(self->stream_.native_handle(), TLSEXT_NAMETYPE_host_name);
        if (name != nullptr) self->server_name_ = name;
        self->read();
      });
    } else {
      read();
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    beast::get_lowest_layer(stream_).expires_never();
    bhttp::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        self->close();
        return;
      }
      self->handle(self->parser_->release());
    });
  }

  void handle(bhttp::request<bhttp::string_body> message) {
    recorded_request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.path = request.target.substr(0, request.target.find('?'));
    for (const auto& field : message) {
      const auto [entry, inserted] =
          request.headers.emplace(lowercase(field.name_string()), std::string(field.value()));
      if (!inserted) {
        entry->second += ", ";
        entry->second += field.value();
      }
    }
    request.body = std::move(message.body());
    request.connection = connection_;
    request.server_name = server_name_;
    keep_alive_ = message.keep_alive();
    server_.record(request);
    answer_ = server_.answer_for(request);

    if (answer_.delay.count() > 0) {
      delay_.expires_after(answer_.delay);
      delay_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->act();
      });
    } else {
      act();
    }
  }

  void act() {
    switch (answer_.then) {
      case connection_action::close_without_answer: close(); return;
      case connection_action::never_answer: wait_for_client_to_leave(); return;
      case connection_action::truncate_answer: write_truncated(); return;
      case connection_action::keep_alive:
      case connection_action::close_after_answer:
        if (answer_.raw.empty()) {
          write_answer();
        } else {
          raw_ = answer_.raw;
          write_answer_bytes();
        }
        return;
    }
  }

  void build_response() {
    response_ = {};
    response_.version(11);
    response_.result(answer_.status);
    for (const auto& [name, value] : answer_.headers) response_.insert(name, value);
    response_.body() = answer_.body;
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
  }

  void write_answer() {
    build_response();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{10});
    bhttp::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_ || self->answer_.then == connection_action::close_after_answer) {
        self->close();
        return;
      }
      self->read();
    });
  }

  void write_answer_bytes() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{10});
    net::async_write(stream_, net::buffer(raw_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->answer_.then != connection_action::keep_alive) {
        self->close();
        return;
      }
      self->read();
    });
  }

  void write_truncated() {
    build_response();
    std::ostringstream whole;
    whole << response_;
    raw_ = whole.str();
    raw_.resize(raw_.size() - (answer_.body.size() + 1) / 2);
    write_answer_bytes();
  }

  void wait_for_client_to_leave() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) {
                                self->close();
                              } else {
                                self->wait_for_client_to_leave();
                              }
                            });
  }

  void close() {
    auto& lowest = beast::get_lowest_layer(stream_);
    beast::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest.close();
  }

  server_core& server_;
  Stream stream_;
  net::steady_timer delay_;
  const std::size_t connection_;
  std::string server_name_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  scripted_response answer_;
  std::string raw_;
  std::array<char, 1024> discard_{};
  bool keep_alive_ = true;
};

void server_core::accept() {
  acceptor.async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // the server is stopping
    std::size_t connection = 0;
    {
      const std::lock_guard lock(mutex);
      connection = ++connections;
      ++open_connections;
    }
    changed.notify_all();
    if (options.tls) {
      std::make_shared<session<tls_stream>>(*this, connection, std::move(socket), tls)->start();
    } else {
      std::make_shared<session<beast::tcp_stream>>(*this, connection, std::move(socket))->start();
    }
    accept();
  });
}

}  // namespace

struct local_https_server::state : server_core {
  using server_core::server_core;
};

local_https_server::local_https_server(local_server_options options)
    : state_(std::make_unique<state>(std::move(options))) {
  auto& tls = state_->tls;
  if (state_->options.tls) {
    const auto identity = state_->options.identity.value_or(test_certificates::shared().localhost());
    tls.use_certificate_chain(net::buffer(identity.certificate_pem));
    tls.use_private_key(net::buffer(identity.private_key_pem), ssl::context::pem);
  }
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  acceptor.listen();
  state_->port = acceptor.local_endpoint().port();
  state_->accept();
  state_->thread = std::thread([server = state_.get()] { server->io.run(); });
}

local_https_server::~local_https_server() {
  state_->io.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

std::uint16_t local_https_server::port() const { return state_->port; }

std::string local_https_server::base_url() const {
  return state_->options.tls ? "https://localhost:" + std::to_string(state_->port)
                             : "http://127.0.0.1:" + std::to_string(state_->port);
}

std::string local_https_server::url(std::string_view target) const { return base_url() + std::string(target); }

void local_https_server::expect(scripted_response response) {
  const std::lock_guard lock(state_->mutex);
  state_->script.push_back(std::move(response));
}

void local_https_server::answer_with(request_handler handler) {
  const std::lock_guard lock(state_->mutex);
  state_->handler = std::move(handler);
}

std::vector<recorded_request> local_https_server::requests() const {
  const std::lock_guard lock(state_->mutex);
  return state_->requests;
}

bool local_https_server::wait_for_requests(std::size_t count, std::chrono::milliseconds within) const {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, within, [&] { return state_->requests.size() >= count; });
}

std::size_t local_https_server::connections_accepted() const {
  const std::lock_guard lock(state_->mutex);
  return state_->connections;
}

std::size_t local_https_server::connections_open() const {
  const std::lock_guard lock(state_->mutex);
  return state_->open_connections;
}

bool local_https_server::wait_for_open_connections(std::size_t count, std::chrono::milliseconds within) const {
  std::unique_lock lock(state_->mutex);
  return state_->changed.wait_for(lock, within, [&] { return state_->open_connections == count; });
}

std::size_t local_https_server::responses_left() const {
  const std::lock_guard lock(state_->mutex);
  return state_->script.size();
}

}  // namespace tandem::testing
