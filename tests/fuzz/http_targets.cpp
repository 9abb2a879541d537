// Requests from the network: raw bytes through the HTTP server's parser and limits
// (adapters/http/http_server.h), and dashboard requests with their sign-in tokens, cookies and
// forms (adapters/web/web_adapter.h).

#include "fuzz/fuzz_targets.h"

#include "adapters/http/http_server.h"
#include "adapters/web/dashboard_html.h"
#include "adapters/web/web_adapter.h"
#include "support/source_tree.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cctype>
#include <chrono>
#include <memory>
#include <thread>

namespace tandem::fuzz {
namespace {

namespace asio = boost::asio;

constexpr std::size_t body_limit = 4096;

/// The server under test: any port, the fuzzed body limit, a short read timeout.
http_server_options fuzz_server_options() {
  http_server_options options;
  options.port = 0;
  options.body_limit = body_limit;
  options.read_timeout = std::chrono::seconds{1};
  options.max_connections = 64;
  return options;
}

/// One server for the whole run, on a thread of its own, answering every GET and POST.
struct running_server {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  http_server server{io, fuzz_server_options()};
  std::uint16_t port = 0;
  std::thread thread;

  running_server() {
    for (const char* method : {"GET", "POST"}) {
      server.route(method, "/*", [](tandem::http_request request, http_respond respond) {
        check(request.body.size() <= body_limit, "a handler never sees a body over the limit");
        check(request.path == request.target.substr(0, request.target.find('?')), "a path is its target up to '?'");
        for (const auto& [name, value] : request.headers) {
          for (const char ch : name)
            check(std::tolower(static_cast<unsigned char>(ch)) == ch, "header names are lowercased");
        }
        respond(text_response(200, "ok"));
      });
    }
    port = server.start();
    thread = std::thread{[this] { io.run(); }};
  }
  // Never destroyed: libFuzzer ends the process with exit().
};

}  // namespace

void http_request(std::string_view input) {
  static running_server* const server = new running_server;
  asio::io_context client_io;
  asio::ip::tcp::socket socket{client_io};
  boost::system::error_code ec;
  // The server closes first, so each connection leaves a TIME_WAIT for 60 s: from one source
  // address the 28,000 local ports ran out after ~320,000 inputs. Each input comes from the next
  // of 250 loopback addresses (127.0.0.2…), which the kernel routes to the server on 127.0.0.1.
  static unsigned next_source = 0;
  const asio::ip::address_v4 source{asio::ip::address_v4::bytes_type{
      127, 0, 0, static_cast<unsigned char>(2 + next_source++ % 250)}};
  socket.open(asio::ip::tcp::v4());
  socket.bind({source, 0});
  socket.connect({asio::ip::make_address("127.0.0.1"), server->port}, ec);
  check(!ec, "the server accepts a connection");
  // The server may answer and close before it has read everything (413, 400): errors are fine here.
  asio::write(socket, asio::buffer(input.data(), input.size()), ec);
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  std::string answer;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  if (answer.empty()) return;
  // An HTTP/1.0 request is answered in 1.0 (http_server_test: "an HTTP/1.0 client is answered in
  // 1.0, ..."), anything else in 1.1. Beast reads a request line only if it ends in " HTTP/1.0\r\n"
  // or " HTTP/1.1\r\n" and skips no empty line before it, so the first answer is in 1.0 only when
  // the input's first line ends in " HTTP/1.0".
  const bool asked_in_1_0 = input.substr(0, input.find("\r\n")).ends_with(" HTTP/1.0");
  check((answer.starts_with("HTTP/1.1 ") || (asked_in_1_0 && answer.starts_with("HTTP/1.0 "))) && answer.size() >= 12,
        "an answer starts with a status line, in HTTP/1.0 only to an HTTP/1.0 request");
  const std::string_view status{answer.data() + 9, 3};
  for (const char ch : status) check(ch >= '0' && ch <= '9', "a status is three digits");
  check(status >= "100" && status < "500", "the server answers no request with a server error");
}

void dashboard_request(std::string_view input) {
  static const world empty_world = [] {
    world w;
    w.engine.public_url = "https://tandem.example.org";
    return w;
  }();
  static web_adapter* const web = [] {
    web_context c;
    c.on_core = [](std::function<void()> f) { f(); };
    c.current = []() -> const world& { return empty_world; };
    c.commit = [](const std::vector<action>&) {};
    c.submit = [](const inbound&) { return false; };
    c.task_history = [](std::int64_t) { return std::vector<record_task_update>{}; };
    c.audit = [](const audit_selection&, std::size_t, std::size_t) { return audit_lines{}; };
    c.clock = [] { return time_point{std::chrono::seconds{1'800'000'000}}; };
    c.secure_cookies = true;
    return new web_adapter(c, web_labels::load(testing::source_tree() / "prompts"));
  }();
  // Lines: the target, the Cookie header, Accept-Language, then the body (a POST when there is one).
  const auto fields = parts(input, 4);
  tandem::http_request request{fields[3].empty() ? "GET" : "POST",
                               fields[0],
                               fields[0].substr(0, fields[0].find('?')),
                               {},
                               {},
                               fields[3],
                               "127.0.0.1:1"};
  if (const auto q = fields[0].find('?'); q != std::string::npos) {
    if (const auto query = parse_form(std::string_view{fields[0]}.substr(q + 1))) {
      for (const auto& [name, value] : *query) request.query.emplace(name, value);
    }
  }
  request.headers["cookie"] = fields[1];
  request.headers["accept-language"] = fields[2];
  const http_response response = web->respond(request);
  check(response.status >= 200 && response.status <= 599, "a dashboard answer has a final status");
  bool policy = false;
  for (const auto& [name, value] : response.headers) {
    policy = policy || name == "Content-Security-Policy";
    // Nobody can sign in to an empty world: the only cookie ever set is the one that ends a session.
    if (name == "Set-Cookie")
      check(value.find("Max-Age=0") != std::string::npos, "no session starts without a sign-in link");
  }
  check(policy, "every dashboard answer carries its Content-Security-Policy");
}

}  // namespace tandem::fuzz
