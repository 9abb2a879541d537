#include "adapters/http/http_server.h"

#include "adapters/metrics/metrics_registry.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tandem {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
/// Each connection runs on a strand of its own, named by its concrete type (no type erasure).
using strand = net::strand<net::io_context::executor_type>;
using strand_socket = tcp::socket::rebind_executor<strand>::other;

constexpr std::string_view requests_metric = "tandem_http_requests_total";
constexpr std::string_view requests_help = "HTTP responses sent, by status class.";
constexpr std::string_view limited_metric = "tandem_http_rate_limited_total";
constexpr std::string_view limited_help = "Requests to token endpoints refused with 429: their client asked too often.";
constexpr std::string_view duration_metric = "tandem_http_request_duration_seconds";
constexpr std::string_view duration_help = "Seconds from a request's last byte to its response being sent.";
constexpr std::chrono::milliseconds accept_retry_delay{100};
/// Room the read buffer of a connection keeps: Beast reads only what the buffer holds room for
/// (at least 512 bytes), and a typical request (headers and a Slack payload) fits in one read.
constexpr std::size_t request_read_size = 8 * 1024;

std::vector<double> duration_buckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string describe(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const auto host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ':' + std::to_string(endpoint.port());
}

// The end of a connection, not a failure: the peer left, or the server stopped it or timed it out.
bool is_ordinary_end(const beast::error_code& ec) {
  return ec == net::error::operation_aborted || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

bool has_line_break(std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; }

// 204 No Content and 304 Not Modified end at their header fields: no body, no length.
bool has_no_body(unsigned status) { return status == 204 || status == 304; }

// A handler's response is written only when it cannot break the framing of the connection.
bool is_writable(const http_response& response) {
  if (response.status < 200 || response.status > 599) return false;
  if (has_no_body(response.status) && !response.body.empty()) return false;
  if (has_line_break(response.content_type)) return false;
  return std::none_of(response.headers.begin(), response.headers.end(), [](const auto& field) {
    return field.first.empty() || has_line_break(field.first) || has_line_break(field.second);
  });
}

// Writes into `head` (reusing its room) the status line and header fields of `response`: the
// server's name, the content type, the handler's fields, the body's length, and the connection
// field HTTP `version` needs for `keep_alive`. The fields must be writable (is_writable).
void write_head(const http_response& response, unsigned version, bool keep_alive, std::string& head) {
  head.clear();
  head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  head += "\r\nServer: tandem\r\nContent-Type: ";
  head += response.content_type;
  for (const auto& [name, value] : response.headers) {
    head += "\r\n";
    head += name;
    head += ": ";
    head += value;
  }
  if (!has_no_body(response.status)) {
    head += "\r\nContent-Length: ";
    head += std::to_string(response.body.size());
  }
  if (version == 10 && keep_alive) head += "\r\nConnection: keep-alive";
  if (version != 10 && !keep_alive) head += "\r\nConnection: close";
  head += "\r\n\r\n";
}

using method_table = std::map<std::string, http_handler, std::less<>>;

struct route_table {
  std::map<std::string, method_table, std::less<>> exact;
  std::map<std::string, method_table, std::less<>> prefixes;  // without the trailing '*'

  // The methods of the exact route for `path`, else of its longest matching prefix route.
  [[nodiscard]] const method_table* find(std::string_view path) const {
    if (const auto found = exact.find(path); found != exact.end()) return &found->second;
    const method_table* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& [prefix, methods] : prefixes) {
      if (path.starts_with(prefix) && (best == nullptr || prefix.size() > best_length)) {
        best = &methods;
        best_length = prefix.size();
      }
    }
    return best;
  }
};

std::string allowed_methods(const method_table& methods) {
  std::string out;
  for (const auto& entry : methods) {
    if (!out.empty()) out += ", ";
    out += entry.first;
  }
  return out;
}

}  // namespace

struct http_server::state : std::enable_shared_from_this<state> {
  class session;
  class pending_reply;

  state(net::io_context& io, http_server_options options)
      : io_(io),
        options_(std::move(options)),
        acceptor_(net::make_strand(io)),
        accept_retry_(acceptor_.get_executor()) {
    if (options_.metrics == nullptr) return;
    // Every class from the start, so that a rate over them has a series before the first error.
    for (unsigned status_class = 2; status_class <= 5; ++status_class) {
      responses_by_class_[status_class] =
          &options_.metrics->counter(requests_metric, requests_help, {{"code", std::to_string(status_class) + "xx"}});
    }
    durations_ = &options_.metrics->histogram(duration_metric, duration_help, duration_buckets());
    limited_ = &options_.metrics->counter(limited_metric, limited_help);
  }

  // How long the client of `request` must wait, when its path is rate-limited and it asked too often.
  [[nodiscard]] std::optional<std::chrono::seconds> refused_for(const http_request& request) const {
    if (!options_.rate_limiter) return std::nullopt;
    const bool limited = std::ranges::any_of(options_.rate_limited_paths,
                                             [&](const std::string& prefix) { return request.path.starts_with(prefix); });
    if (!limited) return std::nullopt;
    auto wait = options_.rate_limiter->admit(request);
    if (wait && limited_ != nullptr) limited_->increment();
    return wait;
  }

  // Whether `request` is for a path only the leader serves, and this process does not lead.
  [[nodiscard]] bool leaves_to_the_leader(const http_request& request) const {
    if (!options_.leads) return false;
    const bool leader_only = std::ranges::any_of(
        options_.leader_paths, [&](const std::string& prefix) { return request.path.starts_with(prefix); });
    return leader_only && !options_.leads();
  }

  void accept();
  void on_accept(beast::error_code ec, strand_socket socket);
  void log(std::string_view level, std::string_view message) const {
    if (options_.log) options_.log(level, message);
  }

  net::io_context& io_;
  const http_server_options options_;
  std::array<metric_counter*, 6> responses_by_class_{};  // by status / 100 (2..5); null without metrics
  metric_histogram* durations_ = nullptr;
  metric_counter* limited_ = nullptr;  // null without metrics
  route_table routes_;  // written before start(), read-only after
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;

  std::mutex mutex_;  // guards what follows
  bool started_ = false;
  bool stopped_ = false;
  std::uint64_t next_session_id_ = 0;
  std::map<std::uint64_t, std::weak_ptr<session>> sessions_;
};

// One connection: reads a request, hands it to its handler, writes the answer, and repeats
// while the client keeps the connection alive. Everything but deliver() runs on its strand.
class http_server::state::session : public std::enable_shared_from_this<session> {
 public:
  session(std::shared_ptr<state> server, strand_socket socket, std::uint64_t id, std::string remote)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        strand_(socket_.get_executor()),
        deadline_timer_(strand_),
        id_(id),
        remote_(std::move(remote)) {
    buffer_.reserve(request_read_size);
  }

  ~session() {
    const std::lock_guard lock(server_->mutex_);
    server_->sessions_.erase(id_);
  }

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Starts serving; a connection over the limit is answered 503 without reading its request.
  void run(bool over_capacity) {
    net::post(executor(), [self = shared_from_this(), over_capacity] {
      if (over_capacity) {
        self->write_response(text_response(503, "too many connections\n"));
      } else {
        self->read_request();
      }
    });
  }

  // From stop(), any thread: ends the connection after the request in progress, if any.
  void shut_down() {
    net::post(executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (self->phase_ == phase::reading || self->phase_ == phase::lingering) {
        beast::error_code ignored;  // a connection closed meanwhile has nothing to cancel
        self->socket_.cancel(ignored);
      }
    });
  }

  // From a handler's respond, any thread.
  void deliver(http_response response) {
    net::post(executor(), [self = shared_from_this(), response = std::move(response)]() mutable {
      self->write_response(std::move(response));
    });
  }

  [[nodiscard]] const state& server() const { return *server_; }
  [[nodiscard]] const strand& executor() const { return strand_; }

 private:
  enum class phase { reading, handling, writing, lingering };

  void read_request() {
    if (closing_) {
      close();
      return;
    }
    phase_ = phase::reading;
    received_at_.reset();
    request_name_.clear();
    parser_.emplace();
    parser_->body_limit(server_->options_.body_limit);
    extend_deadline();
    bhttp::async_read(socket_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (!ec) {
      handle(parser_->release());
      return;
    }
    keep_alive_ = false;
    if (ec == bhttp::error::body_limit) {
      write_response(text_response(413, "request body too large\n"));
    } else if (ec == bhttp::error::header_limit) {
      write_response(text_response(431, "request header too large\n"));
    } else if (is_parse_error(ec) && !is_ordinary_end(ec)) {
      write_response(text_response(400, "malformed request: " + ec.message() + "\n"));
    } else {
      log_failure("read", ec);
      close();
    }
  }

  void handle(bhttp::request<bhttp::string_body> message) {
    phase_ = phase::handling;  // no deadline while the handler works
    received_at_ = steady::now();
    keep_alive_ = message.keep_alive();
    version_ = message.version();

    http_request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    request_name_ = request.method + ' ' + request.path;
    if (question != std::string::npos) {
      auto fields = parse_form(std::string_view(request.target).substr(question + 1));
      if (!fields) {
        write_response(text_response(400, "malformed query string\n"));
        return;
      }
      for (auto& [name, value] : *fields) request.query.emplace(std::move(name), std::move(value));
    }
    for (const auto& field : message) {
      const auto [entry, inserted] =
          request.headers.emplace(lowercase(field.name_string()), std::string(field.value()));
      if (!inserted) {
        entry->second += ", ";
        entry->second += field.value();
      }
    }
    request.body = std::move(message.body());
    request.remote = remote_;

    if (const auto wait = server_->refused_for(request)) {
      write_response(too_many_requests(*wait));
      return;
    }
    if (server_->leaves_to_the_leader(request)) {
      auto response = text_response(503, "this Tandem instance is a follower: the leading instance serves this page\n");
      response.headers.emplace_back("Retry-After", "1");
      write_response(std::move(response));
      return;
    }
    const auto* methods = server_->routes_.find(request.path);
    if (methods == nullptr) {
      write_response(text_response(404, "not found\n"));
      return;
    }
    const auto handler = methods->find(request.method);
    if (handler == methods->end()) {
      auto response = text_response(405, "method not allowed\n");
      response.headers.emplace_back("Allow", allowed_methods(*methods));
      write_response(std::move(response));
      return;
    }
    call(handler->second, std::move(request));
  }

  void call(const http_handler& handler, http_request request);

  void write_response(http_response response) {
    if (!is_writable(response)) {
      server_->log("error", "handler for " + request_name_ + " answered an invalid status or header");
      response = text_response(500, "internal error\n");
    }
    count(response.status);

    keep_open_ = keep_alive_ && !closing_;
    write_head(response, version_, keep_open_, head_);
    body_ = std::move(response.body);
    phase_ = phase::writing;
    extend_deadline();
    net::async_write(
        socket_,
        std::array{net::const_buffer(head_.data(), head_.size()), net::const_buffer(body_.data(), body_.size())},
        beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void count(unsigned status) {
    metric_counter* responses = server_->responses_by_class_.at(status / 100);  // 200..599: is_writable
    if (responses == nullptr) return;
    responses->increment();
    if (received_at_) {
      const std::chrono::duration<double> elapsed = steady::now() - *received_at_;
      server_->durations_->observe(elapsed.count());
    }
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) {
      log_failure("write", ec);
      close();
      return;
    }
    if (!keep_open_) {
      linger();
      return;
    }
    read_request();
  }

  // Closing a socket with unread input makes the kernel reset the connection, which can destroy
  // the response before the client reads it: stop sending, then drain until the client leaves
  // (unless the server is stopping, which must not wait for clients).
  void linger() {
    if (closing_) {
      close();
      return;
    }
    phase_ = phase::lingering;
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    extend_deadline();
    drain();
  }

  void drain() {
    socket_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->closing_) {
        self->close();
      } else {
        self->drain();
      }
    });
  }

  void close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // The connection must make progress (a request arriving, a response or the lingering ending)
  // within the read timeout from now. Setting the deadline costs no timer operation: the one
  // timer of the session, once waiting, looks at the deadline when it fires and waits again for
  // a later one, so a busy connection touches the timer about once per timeout.
  void extend_deadline() {
    deadline_ = steady::now() + server_->options_.read_timeout;
    if (!deadline_timer_waiting_) wait_for_deadline();
  }

  void wait_for_deadline() {
    deadline_timer_waiting_ = true;
    deadline_timer_.expires_at(deadline_);
    // A weak reference: the timer keeps no closed connection alive (its destructor cancels the wait).
    deadline_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      const auto self = weak.lock();
      if (!self) return;
      self->deadline_timer_waiting_ = false;
      if (ec || !self->socket_.is_open() || self->phase_ == phase::handling) return;
      if (steady::now() < self->deadline_) {
        self->wait_for_deadline();
        return;
      }
      self->server_->log("debug", "connection from " + self->remote_ + " timed out");
      self->close();  // the operation under way ends with operation_aborted
    });
  }

  void log_failure(std::string_view what, const beast::error_code& ec) const {
    if (!is_ordinary_end(ec)) {
      server_->log("debug", std::string(what) + " failed for " + remote_ + ": " + ec.message());
    }
  }

  const std::shared_ptr<state> server_;
  strand_socket socket_;
  const strand strand_;  ///< the socket's, for posts from other threads
  net::basic_waitable_timer<steady, net::wait_traits<steady>, strand> deadline_timer_;
  steady::time_point deadline_{};
  bool deadline_timer_waiting_ = false;
  const std::uint64_t id_;
  const std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;        ///< the status line and fields of the response being written
  std::string body_;        ///< its body
  bool keep_open_ = false;  ///< whether the connection stays open after it
  std::array<char, 4096> discard_{};
  phase phase_ = phase::reading;
  bool closing_ = false;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  std::optional<steady::time_point> received_at_;
  std::string request_name_;  // "METHOD /path" for logs: never the query, never the body
};

// Shared by every copy of one request's respond function: the first answer wins, and the last
// copy to go away answers 500 if nobody answered. Until then it counts as work of the
// io_context, so that run() does not return under a handler that has yet to answer. Used from
// any thread.
class http_server::state::pending_reply {
 public:
  pending_reply(std::shared_ptr<session> connection, std::string request_name)
      : session_(std::move(connection)), request_name_(std::move(request_name)), work_(session_->executor()) {}

  ~pending_reply() {
    if (answered_.load()) return;
    try {
      log("error", "handler for " + request_name_ + " dropped its response");
      session_->deliver(text_response(500, "internal error\n"));
    } catch (...) {  // a destructor must not throw; the connection then just closes
    }
  }

  pending_reply(const pending_reply&) = delete;
  pending_reply& operator=(const pending_reply&) = delete;

  // Whether this was the first answer.
  bool answer(http_response response) {
    if (answered_.exchange(true)) return false;
    session_->deliver(std::move(response));
    work_.reset();
    return true;
  }

  void log(std::string_view level, std::string_view message) const { session_->server().log(level, message); }

  [[nodiscard]] const std::string& request_name() const { return request_name_; }

 private:
  const std::shared_ptr<session> session_;
  const std::string request_name_;
  net::executor_work_guard<strand> work_;
  std::atomic<bool> answered_{false};
};

void http_server::state::session::call(const http_handler& handler, http_request request) {
  const auto reply = std::make_shared<pending_reply>(shared_from_this(), request_name_);
  try {
    handler(std::move(request), [reply](http_response response) {
      if (!reply->answer(std::move(response))) {
        reply->log("warn", "handler for " + reply->request_name() + " answered twice; ignored");
      }
    });
  } catch (const std::exception& e) {
    server_->log("error", "handler for " + request_name_ + " threw: " + e.what());
    reply->answer(text_response(500, "internal error\n"));
  } catch (...) {
    server_->log("error", "handler for " + request_name_ + " threw a non-exception");
    reply->answer(text_response(500, "internal error\n"));
  }
}

void http_server::state::accept() {
  if (!acceptor_.is_open()) return;  // stopped while an accept retry was due
  acceptor_.async_accept(net::make_strand(io_), beast::bind_front_handler(&state::on_accept, shared_from_this()));
}

void http_server::state::on_accept(beast::error_code ec, strand_socket socket) {
  if (ec == net::error::operation_aborted) return;
  if (ec) {
    // Typically out of file descriptors: wait a little instead of spinning on the error.
    log("warn", "accept failed: " + ec.message());
    accept_retry_.expires_after(accept_retry_delay);
    accept_retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  beast::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec);
  auto remote = peer_ec ? std::string("unknown") : describe(peer);

  std::shared_ptr<session> connection;
  bool over_capacity = false;
  {
    const std::lock_guard lock(mutex_);
    if (stopped_) return;
    over_capacity = sessions_.size() >= options_.max_connections;
    const auto id = next_session_id_++;
    connection = std::make_shared<session>(shared_from_this(), std::move(socket), id, std::move(remote));
    sessions_.emplace(id, connection);
  }
  connection->run(over_capacity);
  accept();
}

http_server::http_server(boost::asio::io_context& io, http_server_options options)
    : state_(std::make_shared<state>(io, std::move(options))) {}

http_server::~http_server() { stop(); }

void http_server::route(std::string method, std::string path, http_handler handler) {
  const std::lock_guard lock(state_->mutex_);
  if (state_->started_) throw std::logic_error("http_server::route called after start()");
  auto& routes = state_->routes_;
  if (path.ends_with('*')) {
    path.pop_back();
    routes.prefixes[std::move(path)][std::move(method)] = std::move(handler);
  } else {
    routes.exact[std::move(path)][std::move(method)] = std::move(handler);
  }
}

std::uint16_t http_server::start() {
  {
    const std::lock_guard lock(state_->mutex_);
    if (state_->started_ || state_->stopped_) {
      throw std::logic_error("http_server::start called twice or after stop()");
    }
    state_->started_ = true;
  }
  auto& acceptor = state_->acceptor_;
  const tcp::endpoint endpoint(net::ip::make_address(state_->options_.address), state_->options_.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
  const auto bound = acceptor.local_endpoint();
  state_->log("info", "listening on " + describe(bound));
  net::post(acceptor.get_executor(), [self = state_] { self->accept(); });
  return bound.port();
}

void http_server::stop() {
  std::vector<std::weak_ptr<state::session>> open;
  {
    const std::lock_guard lock(state_->mutex_);
    if (state_->stopped_) return;
    state_->stopped_ = true;
    if (!state_->started_) return;
    for (const auto& entry : state_->sessions_) open.push_back(entry.second);
  }
  net::post(state_->acceptor_.get_executor(), [self = state_] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->accept_retry_.cancel();
  });
  for (const auto& weak : open) {
    if (const auto connection = weak.lock()) connection->shut_down();
  }
}

}  // namespace tandem
