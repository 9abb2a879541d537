#include "adapters/http/http_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <deque>
#include <limits>
#include <stdexcept>

namespace tandem {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
using strand_type = net::strand<net::io_context::executor_type>;
using message_type = bhttp::request<bhttp::string_body>;

constexpr std::size_t response_header_limit = 64 * 1024;
/// Each read from the socket asks for up to this much: Beast reads only what the buffer already
/// holds room for (at least 512 bytes), so an empty buffer would take a large /sync answer in
/// hundreds of 512-byte reads, each with its own wait for the socket.
constexpr std::size_t response_read_size = 64 * 1024;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u) != 0) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) { return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char); }

// A field value may hold visible characters, spaces and tabs; never CR, LF or NUL, which would
// let a value end the header and start another.
bool is_field_value(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool is_host_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
}

// Where a request goes, from its URL.
struct target_url {
  bool tls = true;
  std::string host;  // lowercased; an IPv6 address without brackets
  std::uint16_t port = 443;
  std::string target;  // path and query, e.g. "/api/chat.postMessage?x=1"

  [[nodiscard]] bool host_is_address() const {
    beast::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
  }
  [[nodiscard]] std::string host_field() const {  // host[:port] as in a Host header
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = v6 ? '[' + host + ']' : host;
    if (port != (tls ? 443 : 80)) out += ':' + std::to_string(port);
    return out;
  }
  [[nodiscard]] std::string pool_key() const {
    return std::string(tls ? "https://" : "http://") + host + ' ' + std::to_string(port);
  }
  // For messages: the origin only. Queries carry tokens, and so do some paths (a Slack
  // incoming webhook or response_url is a secret path).
  [[nodiscard]] std::string origin() const { return std::string(tls ? "https://" : "http://") + host_field(); }
};

std::variant<target_url, std::string> parse_url(std::string_view url) {
  const auto control = std::find_if(url.begin(), url.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u >= 0x7f;
  });
  if (control != url.end()) return "the URL contains a space, a control or a non-ASCII character";
  const auto separator = url.find("://");
  if (separator == std::string_view::npos) return "the URL has no scheme";
  target_url out;
  const auto scheme = lowercase(url.substr(0, separator));
  if (scheme == "https") {
    out.tls = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.tls = false;
    out.port = 80;
  } else {
    return "the URL's scheme is neither http nor https";
  }
  auto rest = url.substr(separator + 3);
  rest = rest.substr(0, rest.find('#'));
  const auto authority_end = rest.find_first_of("/?");
  const auto authority = rest.substr(0, authority_end);
  const auto path_and_query = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return "the URL carries user information, which is not supported";
  }

  std::string_view host;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "the URL's IPv6 address has no closing bracket";
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return "the URL's IPv6 address is followed by garbage";
      port = after.substr(1);
    }
    beast::error_code ec;
    net::ip::make_address_v6(std::string(host), ec);
    if (ec) return "the URL's IPv6 address is malformed";
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (!std::all_of(host.begin(), host.end(), is_host_char)) {
      return "the URL's host name has a character a host name cannot have";
    }
  }
  if (host.empty()) return "the URL has no host";
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return "the URL's port is not a number from 1 to 65535";
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  out.host = lowercase(host);
  out.target = path_and_query.starts_with('/') ? std::string(path_and_query) : '/' + std::string(path_and_query);
  return out;
}

bool is_retryable_on_reused_connection(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// One request on its way: what to send, where, and whom to tell.
struct exchange {
  target_url url;
  message_type message;
  client_completion done;
  std::chrono::milliseconds timeout{};
  std::string description;                     // "POST https://slack.com": never the path or the query
  std::optional<steady::time_point> deadline;  // set when it gets a connection
  bool retried = false;
};

client_error make_error(client_error::kind what, const exchange& request, std::string_view detail) {
  return client_error{what, request.description + ": " + std::string(detail)};
}

}  // namespace

std::string default_user_agent() { return TANDEM_HTTP_USER_AGENT; }

std::optional<std::string_view> client_response::header(std::string_view name) const {
  const auto found = headers.find(lowercase(name));
  if (found == headers.end()) return std::nullopt;
  return std::string_view(found->second);
}

std::string_view to_string(client_error::kind what) {
  switch (what) {
    case client_error::kind::bad_url: return "bad_url";
    case client_error::kind::resolve: return "resolve";
    case client_error::kind::connect: return "connect";
    case client_error::kind::tls: return "tls";
    case client_error::kind::timeout: return "timeout";
    case client_error::kind::protocol: return "protocol";
    case client_error::kind::body_too_large: return "body_too_large";
    case client_error::kind::cancelled: return "cancelled";
  }
  return "unknown";
}

struct http_client::state : std::enable_shared_from_this<state> {
  class connection;

  // The connections to one (scheme, host, port). Only the handlers of a connection's pending
  // operations (its I/O, or its idle timer) own it: the pool merely points at it, so that no
  // cycle outlives an io_context that is destroyed with handlers still queued.
  struct host_pool {
    std::size_t open = 0;                         // connections counted against the limit: busy, idle or connecting
    std::vector<std::weak_ptr<connection>> idle;  // most recently used last
    std::map<const connection*, std::weak_ptr<connection>> busy;
    std::deque<std::shared_ptr<exchange>> waiting;
  };

  state(net::io_context& io, http_client_options options);

  void dispatch(std::shared_ptr<exchange> request);
  void run_on_new_connection(host_pool& pool, const std::string& key, std::shared_ptr<exchange> request);
  void finished(const std::shared_ptr<connection>& used, const std::shared_ptr<exchange>& request, client_result result,
                bool reusable);
  void retry(const std::shared_ptr<connection>& failed, std::shared_ptr<exchange> request);
  void idle_expired(const std::shared_ptr<connection>& expired);
  void cancel_everything();

  const http_client_options options_;
  strand_type strand_;
  ssl::context tls_;
  std::map<std::string, host_pool> pools_;  // only touched on strand_
};

// One TCP (and maybe TLS) connection: connects when first used, then runs one exchange at a
// time. Everything runs on the client's strand.
class http_client::state::connection : public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<state> owner, std::string key, const target_url& url)
      : owner_(std::move(owner)),
        key_(std::move(key)),
        resolver_(owner_->strand_),
        resolve_timer_(owner_->strand_),
        idle_timer_(owner_->strand_) {
    buffer_.reserve(response_read_size);
    if (url.tls) {
      tls_stream_.emplace(owner_->strand_, owner_->tls_);
    } else {
      plain_stream_.emplace(owner_->strand_);
    }
  }

  [[nodiscard]] const std::string& key() const { return key_; }
  [[nodiscard]] bool reused() const { return served_ > 0; }

  void run(std::shared_ptr<exchange> request) {
    request_ = std::move(request);
    if (!request_->deadline) request_->deadline = steady::now() + request_->timeout;
    ++idle_generation_;
    idle_timer_.cancel();
    if (connected_) {
      write();
    } else {
      resolve();
    }
  }

  // Parks the connection in its pool; it closes itself when unused for idle_keepalive.
  void wait_idle() {
    const auto generation = ++idle_generation_;
    idle_timer_.expires_after(owner_->options_.idle_keepalive);
    idle_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (!ec && self->idle_generation_ == generation) self->owner_->idle_expired(self);
    });
  }

  // Whether an idle connection still looks open: the server sends nothing unasked on an idle
  // HTTP/1.1 connection, so readable bytes (a close_notify, a 408) or an end of stream mean the
  // server has closed or is closing it.
  [[nodiscard]] bool looks_open() {
    auto& socket = tcp().socket();
    if (!socket.is_open()) return false;
    beast::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) return false;
    std::array<char, 1> byte{};
    socket.receive(net::buffer(byte), tcp::socket::message_peek, ec);
    beast::error_code ignored;
    socket.non_blocking(false, ignored);
    return ec == net::error::would_block;
  }

  // Ends the exchange in progress with `cancelled`, if any, and closes the connection.
  void cancel() {
    cancelled_ = true;
    close();
  }

  void close() {
    ++idle_generation_;
    idle_timer_.cancel();
    resolve_timer_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

 private:
  beast::tcp_stream& tcp() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_stream_; }

  template <class Operation>
  void with_stream(Operation&& operation) {
    if (tls_stream_) {
      operation(*tls_stream_);
    } else {
      operation(*plain_stream_);
    }
  }

  void resolve() {
    resolve_timer_.expires_at(*request_->deadline);
    resolve_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->resolve_timed_out_ = true;
      self->resolver_.cancel();
    });
    resolver_.async_resolve(request_->url.host, std::to_string(request_->url.port),
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                              self->resolve_timer_.cancel();
                              if (ec) {
                                if (self->resolve_timed_out_) {
                                  self->fail(client_error::kind::timeout, "timed out resolving the host");
                                } else {
                                  self->fail(client_error::kind::resolve, "cannot resolve the host: " + ec.message());
                                }
                                return;
                              }
                              self->connect(results);
                            });
  }

  void connect(const tcp::resolver::results_type& endpoints) {
    tcp().expires_at(*request_->deadline);
    tcp().async_connect(endpoints, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        if (ec == beast::error::timeout) {
          self->fail(client_error::kind::timeout, "timed out connecting");
        } else {
          self->fail(client_error::kind::connect, "cannot connect: " + ec.message());
        }
        return;
      }
      if (self->tls_stream_) {
        self->handshake();
      } else {
        self->connected_ = true;
        self->write();
      }
    });
  }

  void handshake() {
    auto& stream = *tls_stream_;
    const auto& host = request_->url.host;
    // SNI carries host names only (RFC 6066, section 3), never an IP address.
    if (!request_->url.host_is_address() && SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                                                     TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) != 1) {
      fail(client_error::kind::tls, "cannot set the TLS server name");
      return;
    }
    stream.set_verify_callback(
        [verify = ssl::host_name_verification(host)](bool preverified, ssl::verify_context& context) mutable {
          const bool ok = verify(preverified, context);
          // Name the reason, so that the error says "hostname mismatch", not only "failed".
          if (!ok && preverified) {
            X509_STORE_CTX_set_error(context.native_handle(), X509_V_ERR_HOSTNAME_MISMATCH);
          }
          return ok;
        });
    tcp().expires_at(*request_->deadline);
    stream.async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        if (ec == beast::error::timeout) {
          self->fail(client_error::kind::timeout, "timed out in the TLS handshake");
          return;
        }
        std::string detail = "TLS handshake failed: " + ec.message();
        const auto verified = SSL_get_verify_result(self->tls_stream_->native_handle());
        if (verified != X509_V_OK) {
          detail += " (";
          detail += X509_verify_cert_error_string(verified);
          detail += ')';
        }
        self->fail(client_error::kind::tls, detail);
        return;
      }
      self->connected_ = true;
      self->write();
    });
  }

  void write() {
    tcp().expires_at(*request_->deadline);
    with_stream([this](auto& stream) {
      bhttp::async_write(stream, request_->message,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    });
  }

  void on_write(beast::error_code ec) {
    if (ec) {
      if (reused() && !request_->retried && is_retryable_on_reused_connection(ec) && !cancelled_) {
        owner_->retry(shared_from_this(), std::move(request_));
        return;
      }
      if (ec == beast::error::timeout) {
        fail(client_error::kind::timeout, "timed out sending the request");
      } else {
        fail(client_error::kind::connect, "cannot send the request: " + ec.message());
      }
      return;
    }
    read();
  }

  void read() {
    buffer_.clear();
    parser_.emplace();
    parser_->body_limit(owner_->options_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(response_header_limit));
    if (request_->message.method() == bhttp::verb::head) parser_->skip(true);
    tcp().expires_at(*request_->deadline);
    with_stream([this](auto& stream) {
      bhttp::async_read(stream, buffer_, *parser_,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      const bool nothing_received = !parser_->got_some() && buffer_.size() == 0;
      if (nothing_received && reused() && !request_->retried && is_retryable_on_reused_connection(ec) && !cancelled_) {
        owner_->retry(shared_from_this(), std::move(request_));
        return;
      }
      if (ec == beast::error::timeout) {
        fail(client_error::kind::timeout, "timed out waiting for the response");
      } else if (ec == bhttp::error::body_limit) {
        fail(client_error::kind::body_too_large,
             "the response body is over the limit of " + std::to_string(owner_->options_.body_limit) + " bytes");
      } else if (ec == bhttp::error::header_limit || is_parse_error(ec)) {
        fail(client_error::kind::protocol, "malformed response: " + ec.message());
      } else {
        fail(client_error::kind::connect, "the connection broke before the response was complete: " + ec.message());
      }
      return;
    }
    auto message = parser_->release();
    client_response response;
    response.status = message.result_int();
    for (const auto& field : message) {
      const auto [entry, inserted] =
          response.headers.emplace(lowercase(field.name_string()), std::string(field.value()));
      if (!inserted) {
        entry->second += ", ";
        entry->second += field.value();
      }
    }
    response.body = std::move(message.body());
    const bool reusable = message.keep_alive() && buffer_.size() == 0 && !cancelled_;
    ++served_;
    finish(std::move(response), reusable);
  }

  void fail(client_error::kind what, std::string_view detail) {
    if (cancelled_) {
      finish(make_error(client_error::kind::cancelled, *request_, "cancelled"), false);
    } else {
      finish(make_error(what, *request_, detail), false);
    }
  }

  void finish(client_result result, bool reusable) {
    auto request = std::move(request_);
    if (!reusable) close();
    owner_->finished(shared_from_this(), request, std::move(result), reusable);
  }

  const std::shared_ptr<state> owner_;
  const std::string key_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  std::optional<beast::tcp_stream> plain_stream_;
  tcp::resolver resolver_;
  net::steady_timer resolve_timer_;
  net::steady_timer idle_timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  std::shared_ptr<exchange> request_;
  std::uint64_t idle_generation_ = 0;  // invalidates an idle timer that fired too late
  std::uint64_t served_ = 0;           // responses read on this connection
  bool connected_ = false;
  bool resolve_timed_out_ = false;
  bool cancelled_ = false;
};

http_client::state::state(net::io_context& io, http_client_options options)
    : options_(std::move(options)), strand_(net::make_strand(io)), tls_(ssl::context::tls_client) {
  if (SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("cannot require TLS 1.2 or later");
  }
  tls_.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  tls_.set_verify_mode(ssl::verify_peer);
  tls_.set_default_verify_paths();
  if (!options_.extra_ca_file.empty()) {
    beast::error_code ec;
    tls_.load_verify_file(options_.extra_ca_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load the CA file " + options_.extra_ca_file + ": " + ec.message());
    }
  }
}

void http_client::state::dispatch(std::shared_ptr<exchange> request) {
  const auto key = request->url.pool_key();
  auto& pool = pools_[key];
  while (!pool.idle.empty()) {
    const auto candidate = pool.idle.back().lock();
    pool.idle.pop_back();
    if (candidate && candidate->looks_open()) {
      pool.busy.emplace(candidate.get(), candidate);
      candidate->run(std::move(request));
      return;
    }
    if (candidate) candidate->close();
    --pool.open;
  }
  if (pool.open < std::max<std::size_t>(options_.max_connections_per_host, 1)) {
    ++pool.open;
    run_on_new_connection(pool, key, std::move(request));
    return;
  }
  pool.waiting.push_back(std::move(request));
}

void http_client::state::run_on_new_connection(host_pool& pool, const std::string& key,
                                               std::shared_ptr<exchange> request) {
  auto fresh = std::make_shared<connection>(shared_from_this(), key, request->url);
  pool.busy.emplace(fresh.get(), fresh);
  fresh->run(std::move(request));
}

void http_client::state::finished(const std::shared_ptr<connection>& used, const std::shared_ptr<exchange>& request,
                                  client_result result, bool reusable) {
  auto& pool = pools_[used->key()];
  pool.busy.erase(used.get());
  if (reusable) {
    if (!pool.waiting.empty()) {
      auto next = std::move(pool.waiting.front());
      pool.waiting.pop_front();
      pool.busy.emplace(used.get(), used);
      used->run(std::move(next));
    } else {
      pool.idle.push_back(used);
      used->wait_idle();
    }
  } else {
    --pool.open;
    if (!pool.waiting.empty()) {
      auto next = std::move(pool.waiting.front());
      pool.waiting.pop_front();
      ++pool.open;
      run_on_new_connection(pool, used->key(), std::move(next));
    }
  }
  request->done(std::move(result));
}

// The connection was stale: it takes its slot in the pool to a fresh connection.
void http_client::state::retry(const std::shared_ptr<connection>& failed, std::shared_ptr<exchange> request) {
  auto& pool = pools_[failed->key()];
  pool.busy.erase(failed.get());
  failed->close();
  request->retried = true;
  run_on_new_connection(pool, failed->key(), std::move(request));
}

void http_client::state::idle_expired(const std::shared_ptr<connection>& expired) {
  auto& pool = pools_[expired->key()];
  const auto found =
      std::find_if(pool.idle.begin(), pool.idle.end(), [&expired](const auto& idle) { return idle.lock() == expired; });
  if (found == pool.idle.end()) return;
  pool.idle.erase(found);
  --pool.open;
  expired->close();
}

void http_client::state::cancel_everything() {
  for (auto& [key, pool] : pools_) {
    auto waiting = std::move(pool.waiting);
    pool.waiting.clear();
    for (const auto& request : waiting) {
      request->done(make_error(client_error::kind::cancelled, *request, "cancelled"));
    }
    for (const auto& idle : pool.idle) {
      if (const auto open = idle.lock()) open->close();
    }
    pool.open -= pool.idle.size();
    pool.idle.clear();
    // Each busy connection completes its exchange as cancelled from its own handler.
    for (const auto& [address, running] : pool.busy) {
      if (const auto busy = running.lock()) busy->cancel();
    }
  }
}

http_client::http_client(boost::asio::io_context& io, http_client_options options)
    : state_(std::make_shared<state>(io, std::move(options))) {}

http_client::~http_client() { cancel_all(); }

void http_client::send(client_request request, client_completion done) {
  auto pending = std::make_shared<exchange>();
  pending->done = std::move(done);
  pending->timeout = request.timeout.value_or(state_->options_.timeout);

  auto parsed = parse_url(request.url);
  std::optional<std::string> problem;
  const bool method_ok = is_token(request.method);
  if (!method_ok) problem = "the method is not an HTTP token";
  if (auto* error = std::get_if<std::string>(&parsed)) {
    problem = std::move(*error);
    pending->description = (method_ok ? request.method : "(malformed method)") + " (malformed URL)";
  } else {
    pending->url = std::move(std::get<target_url>(parsed));
    pending->description = (method_ok ? request.method : "(malformed method)") + ' ' + pending->url.origin();
  }
  auto& message = pending->message;
  if (!problem) {
    message.version(11);
    message.method_string(request.method);
    message.target(pending->url.target);
    message.set(bhttp::field::host, pending->url.host_field());
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
      if (!is_token(name) || !is_field_value(value)) {
        problem = "a header field has a malformed name or value";
        break;
      }
      const auto field = lowercase(name);
      if (field == "host" || field == "content-length" || field == "connection" || field == "transfer-encoding") {
        continue;  // the client's own framing
      }
      has_user_agent = has_user_agent || field == "user-agent";
      message.insert(name, value);
    }
    if (!has_user_agent && !state_->options_.user_agent.empty()) {
      message.set(bhttp::field::user_agent, state_->options_.user_agent);
    }
    message.keep_alive(true);
    message.body() = std::move(request.body);
    const auto method = message.method();
    if (!message.body().empty() || method == bhttp::verb::post || method == bhttp::verb::put ||
        method == bhttp::verb::patch) {
      message.content_length(message.body().size());
    }
  }

  if (problem) {
    net::post(state_->strand_, [pending, problem = std::move(*problem)] {
      pending->done(make_error(client_error::kind::bad_url, *pending, problem));
    });
    return;
  }
  net::post(state_->strand_,
            [self = state_, pending = std::move(pending)]() mutable { self->dispatch(std::move(pending)); });
}

void http_client::cancel_all() {
  net::post(state_->strand_, [self = state_] { self->cancel_everything(); });
}

// --- Retry-After ---------------------------------------------------------------------------

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Reads exactly `digits` decimal digits from the front of `text`.
std::optional<int> take_number(std::string_view& text, std::size_t digits) {
  if (text.size() < digits) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  text.remove_prefix(digits);
  return value;
}

bool take(std::string_view& text, std::string_view expected) {
  if (!text.starts_with(expected)) return false;
  text.remove_prefix(expected.size());
  return true;
}

constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> short_day_names = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_day_names = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                            "Friday", "Saturday", "Sunday"};

template <std::size_t N>
bool take_one_of(std::string_view& text, const std::array<std::string_view, N>& names) {
  return std::any_of(names.begin(), names.end(), [&text](std::string_view name) { return take(text, name); });
}

std::optional<unsigned> take_month(std::string_view& text) {
  for (std::size_t i = 0; i < month_names.size(); ++i) {
    if (take(text, month_names[i])) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

struct clock_time {
  int hour = 0;
  int minute = 0;
  int second = 0;
};

std::optional<clock_time> take_time(std::string_view& text) {
  const auto hour = take_number(text, 2);
  if (!hour || !take(text, ":")) return std::nullopt;
  const auto minute = take_number(text, 2);
  if (!minute || !take(text, ":")) return std::nullopt;
  const auto second = take_number(text, 2);
  if (!second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return clock_time{*hour, *minute, *second};
}

std::optional<std::chrono::sys_seconds> make_time(int year, unsigned month, int day, const clock_time& time) {
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{time.hour} + std::chrono::minutes{time.minute} +
         std::chrono::seconds{time.second};
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::sys_seconds> parse_imf_fixdate(std::string_view text) {
  if (!take_one_of(text, short_day_names) || !take(text, ", ")) return std::nullopt;
  const auto day = take_number(text, 2);
  if (!day || !take(text, " ")) return std::nullopt;
  const auto month = take_month(text);
  if (!month || !take(text, " ")) return std::nullopt;
  const auto year = take_number(text, 4);
  if (!year || !take(text, " ")) return std::nullopt;
  const auto time = take_time(text);
  if (!time || text != " GMT") return std::nullopt;
  return make_time(*year, *month, *day, *time);
}

// RFC 850 (obsolete): "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is read as the one
// in 1970..2069, as RFC 9110 section 5.6.7 suggests for years more than 50 years ahead.
std::optional<std::chrono::sys_seconds> parse_rfc850_date(std::string_view text) {
  if (!take_one_of(text, long_day_names) || !take(text, ", ")) return std::nullopt;
  const auto day = take_number(text, 2);
  if (!day || !take(text, "-")) return std::nullopt;
  const auto month = take_month(text);
  if (!month || !take(text, "-")) return std::nullopt;
  const auto year = take_number(text, 2);
  if (!year || !take(text, " ")) return std::nullopt;
  const auto time = take_time(text);
  if (!time || text != " GMT") return std::nullopt;
  return make_time(*year < 70 ? 2000 + *year : 1900 + *year, *month, *day, *time);
}

// asctime (obsolete): "Sun Nov  6 08:49:37 1994".
std::optional<std::chrono::sys_seconds> parse_asctime_date(std::string_view text) {
  if (!take_one_of(text, short_day_names) || !take(text, " ")) return std::nullopt;
  const auto month = take_month(text);
  if (!month || !take(text, " ")) return std::nullopt;
  if (text.starts_with(' ')) text.remove_prefix(1);  // a one-digit day is padded with a space
  const auto day = text.size() > 1 && text[1] == ' ' ? take_number(text, 1) : take_number(text, 2);
  if (!day || !take(text, " ")) return std::nullopt;
  const auto time = take_time(text);
  if (!time || !take(text, " ")) return std::nullopt;
  const auto year = take_number(text, 4);
  if (!year || !text.empty()) return std::nullopt;
  return make_time(*year, *month, *day, *time);
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::chrono::sys_seconds now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint32_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds{seconds};
  }
  auto date = parse_imf_fixdate(value);
  if (!date) date = parse_rfc850_date(value);
  if (!date) date = parse_asctime_date(value);
  if (!date) return std::nullopt;
  return std::max(*date - now, std::chrono::seconds{0});
}

}  // namespace tandem
