// Tandem on webhooks end to end, in one process: the real store, engine, templates and outbox
// dispatcher wired as the runtime wires them, the webhook adapter on a real HTTP server with the
// store as its adapter state, a facilitator sending signed commands, and an assignee reached
// through an incoming Discord webhook (a local TLS receiver) who answers with a one-click link.

#include "adapters/webhook/webhook_fixture.h"

#include "adapters/metrics/metrics_registry.h"
#include "app/config.h"
#include "app/engine_host.h"
#include "app/engine_inbound.h"
#include "app/inbound_pipeline.h"
#include "app/outbox_dispatcher.h"
#include "app/platform_adapters.h"
#include "app/sync_thread.h"
#include "app/template_catalog.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/source_tree.h"

#include <boost/asio/post.hpp>

#include <date/date.h>

#include <future>
#include <mutex>

namespace {

using namespace webhook_testing;
using tandem::testing::scripted_response;
using tandem::webhook::dialect;

constexpr std::string_view ops_secret = "ops-shared-secret";

const char* const config_text = R"(
# The hours messages arrive at are the core's rules (tests/core/delivery_test.cpp); these tests are
# about the wire, at whatever time they run: nobody has quiet hours here.
engine: {quiet_hours: "off"}
collaborations:
  - id: river
    name: River Restoration Alliance
    organizations:
      - {id: backbone, name: Riverside Backbone Trust}
      - {id: city, name: City of Millbrook}
    people:
      - {id: ana, name: Ana Lima, org: backbone, roles: [facilitator], tz: Europe/Lisbon,
         identities: [{platform: webhook, workspace: ops, user: ana}]}
      - {id: emma, name: Emma Schulz, org: city, roles: [representative], tz: Europe/Berlin,
         identities: [{platform: webhook, workspace: city-discord, user: emma}]}
)";

/// The runtime's pieces around the webhook adapter, on one io_context run by a thread of its own.
class tandem_on_webhooks {
 public:
  /// `real_clock`: the engine, outbox and adapter read the system clock cut to the second, as
  /// `tandem serve` does; else a fixed time moved by advance().
  explicit tandem_on_webhooks(bool real_clock = false)
      : real_clock_(real_clock),
        config_(std::move(*tandem::parse_config(config_text, std::filesystem::temp_directory_path()).config)),
        store_(":memory:"),
        durable_(store_),
        templates_(tandem::template_catalog::load(tandem::testing::source_tree() / "prompts")),
        host_(store_, metrics_, templates_.languages()),
        dispatcher_(
            store_, host_, templates_, metrics_,
            [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); }, [this] { return now(); },
            [this](std::function<void(bool)> then) { after_sync(std::move(then)); }),
        server_(io_, server_options()) {
    tandem::webhook_adapter_options o;
    o.channels = {
        channel("ops", dialect::slack, "", tandem::webhook_channel_kind::signed_json, "", std::string(ops_secret)),
        personal(channel("city-discord", dialect::discord, receiver_.url("/api/webhooks/1/tok")))};
    o.public_url = "https://tandem.example.org";
    o.channel_interval = std::chrono::milliseconds{0};
    o.extra_ca_file = tandem::testing::test_certificates::shared().ca_file();
    o.clock = [this] { return now(); };
    adapter_ = std::make_unique<tandem::webhook_adapter>(
        io_, std::move(o),
        [this](tandem::inbound event, std::function<void(bool)> stored) {
          inbound_.ingest(std::move(event), std::move(stored));
        },
        durable_);
    (void)host_.start(config_.seed, now());
    host_.on_queued([this](tandem::time_point due) { dispatcher_.expect(due); });
    dispatcher_.add(*adapter_);
    adapter_->add_routes(server_);
    port_ = server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~tandem_on_webhooks() {
    adapter_->stop();
    server_.stop();
    work_.reset();
    thread_.join();
  }
  tandem_on_webhooks(const tandem_on_webhooks&) = delete;
  tandem_on_webhooks& operator=(const tandem_on_webhooks&) = delete;

  tandem::testing::local_https_server& receiver() { return receiver_; }
  tandem::time_point now() const {
    if (real_clock_) return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return tandem::time_point{std::chrono::seconds{now_seconds + offset_.load()}};
  }
  void advance(std::chrono::seconds by) { offset_ += by.count(); }

  /// Sends a request to Tandem and returns the answer.
  answer request(const std::string& method, const std::string& path, const std::string& body,
                 std::vector<std::pair<std::string, std::string>> headers) {
    tandem::client_request request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    request.headers = std::move(headers);
    request.body = body;
    std::optional<tandem::client_result> result;
    client_.send(std::move(request), [&result](tandem::client_result r) { result = std::move(r); });
    REQUIRE(tandem::testing::run_until(client_io_, [&result] { return result.has_value(); }));
    REQUIRE(std::holds_alternative<tandem::client_response>(*result));
    const auto& response = std::get<tandem::client_response>(*result);
    return {response.status, response.body, std::string(response.header("content-type").value_or("")),
            std::string(response.header("retry-after").value_or("")), response.headers};
  }

  /// A command from Ana through the signed channel "ops".
  answer command(const std::string& id, const std::string& text) {
    const std::string body = json{{"id", id}, {"user", "ana"}, {"text", text}}.dump();
    const std::string ts = std::to_string(now().time_since_epoch().count());
    return request("POST", "/webhook/ops", body,
                   {{"Content-Type", "application/json"},
                    {"X-Tandem-Timestamp", ts},
                    {"X-Tandem-Signature", tandem::webhook::request_signature(ops_secret, ts, body)}});
  }

  /// Runs `f` on the core strand and waits for it.
  template <typename F>
  auto on_core(F f) {
    std::promise<decltype(f())> done;
    boost::asio::post(io_, [&] { done.set_value(f()); });
    return done.get_future().get();
  }

  /// The outbox rows whose key starts with `prefix`, once none of them is in flight.
  std::vector<tandem::outbox_row> settled_rows(const std::string& prefix) {
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    while (on_core([this] { return dispatcher_.in_flight(); }) != 0) {
      REQUIRE(std::chrono::steady_clock::now() < give_up);
      std::this_thread::yield();
    }
    return on_core([this, &prefix] { return store_.outbox_rows(prefix); });
  }

  void dispatch() {
    on_core([this] {
      dispatcher_.dispatch_due();
      return true;
    });
  }

  /// The link key the adapter made and kept in the store.
  std::optional<std::string> link_key() {
    return on_core([this] { return store_.setting("webhook.link_key"); });
  }

  tandem::task_status task_status(std::int64_t number) {
    return on_core([this, number] { return host_.current().tasks.at(number).status; });
  }

 private:
  static tandem::http_server_options server_options() {
    tandem::http_server_options o;
    o.address = "127.0.0.1";
    o.port = 0;
    return o;
  }

  /// Runs `f` on the core strand, later.
  void post(std::function<void()> f) { boost::asio::post(io_, std::move(f)); }

  /// Once durable (the sync thread): the pipeline's acknowledgements, then what is due leaves.
  void after_sync(std::function<void(bool)> then) {
    syncer_.after_sync([this, then = std::move(then)](bool durable) {
      then(durable);
      dispatcher_.dispatch_due();
    });
  }

  bool real_clock_ = false;
  tandem::testing::local_https_server receiver_;
  tandem::tandem_config config_;
  std::atomic<long long> offset_{0};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  tandem::metrics_registry metrics_;
  tandem::sqlite_store store_;
  tandem::store_adapter_state durable_;
  tandem::template_catalog templates_;
  tandem::engine_host host_;
  tandem::outbox_dispatcher dispatcher_;
  tandem::sync_thread syncer_{store_, metrics_, [this](std::function<void()> f) { post(std::move(f)); }, nullptr};
  /// What the runtime does with inbound events: bursts committed, acknowledged once durable, handled.
  tandem::inbound_pipeline inbound_{
      tandem::engine_inbound_parts(host_, dispatcher_, [this](std::function<void()> f) { post(std::move(f)); },
                                   [this] { return now(); },
                                   [this](std::function<void(bool)> then) { after_sync(std::move(then)); }),
      metrics_};
  tandem::http_server server_;
  std::unique_ptr<tandem::webhook_adapter> adapter_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  boost::asio::io_context client_io_;
  tandem::http_client client_{client_io_, tandem::http_client_options{}};
};

/// The first one-click link `label` in a Discord post, as a path ("/act/<token>").
std::string link_path(const std::string& content, const std::string& label) {
  const std::string start = "[" + label + "](https://tandem.example.org";
  const auto at = content.find(start);
  REQUIRE(at != std::string::npos);
  const auto end = content.find(')', at + start.size());
  return content.substr(at + start.size(), end - at - start.size());
}

}  // namespace

TEST_CASE("end to end: a 429 from Discord, then success, gives exactly one accepted delivery at Retry-After") {
  tandem_on_webhooks t;
  t.receiver().expect(scripted_response::json(429, R"({"retry_after":30})").with_header("Retry-After", "30"));
  t.receiver().answer_with([](const auto&) { return scripted_response::json(200, R"({"id":"1"})"); });

  // Ana's command is answered in the response to her signed request.
  const auto assigned = t.command("ev-1", "assign @emma \"Print the flyers\" due 2030-01-10");
  REQUIRE(assigned.status == 200);
  const json answer_to_ana = json::parse(assigned.body);
  CHECK(answer_to_ana["stored"] == true);
  CHECK(answer_to_ana["reply"]["text"].get<std::string>().find("#1") != std::string::npos);

  // Emma's notice is refused with 429 once: the row waits for Retry-After, then goes once.
  REQUIRE(t.receiver().wait_for_requests(1));
  auto rows = t.settled_rows("notify:");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == tandem::outbox_state::pending);
  CHECK(rows[0].attempts == 1);
  CHECK(rows[0].next_attempt == t.now() + std::chrono::seconds{31});  // a second more: see the outbox dispatcher
  t.advance(std::chrono::seconds{30});
  t.dispatch();  // not due yet: nothing is sent
  t.advance(std::chrono::seconds{1});
  t.dispatch();
  REQUIRE(t.receiver().wait_for_requests(2));
  rows = t.settled_rows("notify:");
  CHECK(rows[0].state == tandem::outbox_state::sent);
  t.dispatch();
  CHECK_FALSE(t.receiver().wait_for_requests(3, std::chrono::milliseconds{300}));
  const auto requests = t.receiver().requests();
  // The same row: the same text, and links for the same single uses (expiring from the retry).
  const std::string first = json::parse(requests[0].body)["content"];
  const std::string second = json::parse(requests[1].body)["content"];
  CHECK(first.substr(0, first.find("[Done]")) == second.substr(0, second.find("[Done]")));
  CHECK(second.find("Print the flyers") != std::string::npos);
  const auto nonce_of = [&t](const std::string& content) {
    const std::string token = link_path(content, "Done").substr(5);
    const auto link = tandem::webhook::open_link(token, *t.link_key(), t.now());
    REQUIRE(std::holds_alternative<tandem::webhook::action_link>(link));
    return std::get<tandem::webhook::action_link>(link).nonce;
  };
  CHECK(nonce_of(first) == nonce_of(second));
}

TEST_CASE("end to end: on the real clock, a retry never comes before Retry-After, in seconds or as an HTTP date") {
  // The outbox counts whole seconds; a Retry-After counted from the start of the second it was
  // given in came up to a second early (a `Retry-After: 2` retried after 1.67 s).
  for (const bool as_date : {false, true}) {
    INFO((as_date ? "an HTTP date" : "delta-seconds"));
    tandem_on_webhooks t(true);
    std::mutex mutex;
    std::vector<std::chrono::system_clock::time_point> received;
    std::chrono::system_clock::time_point not_before;
    t.receiver().answer_with([&](const auto&) {
      const std::lock_guard lock(mutex);
      const auto at = std::chrono::system_clock::now();
      received.push_back(at);
      if (received.size() > 1) return scripted_response::json(200, R"({"id":"1"})");
      auto refusal = scripted_response::json(429, R"({"message":"You are being rate limited."})");
      if (!as_date) {
        not_before = at + std::chrono::seconds{2};
        return refusal.with_header("Retry-After", "2");
      }
      const auto until = std::chrono::ceil<std::chrono::seconds>(at) + std::chrono::seconds{2};
      not_before = until;
      return refusal.with_header("Retry-After", date::format("%a, %d %b %Y %H:%M:%S GMT", until));
    });
    REQUIRE(t.command("ev-1", "assign @emma \"Print the flyers\"").status == 200);
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    while (!t.receiver().wait_for_requests(2, std::chrono::milliseconds{20})) {
      REQUIRE(std::chrono::steady_clock::now() < give_up);
      t.dispatch();  // as the runtime's tick does, but more often than once a second
    }
    CHECK(t.settled_rows("notify:")[0].state == tandem::outbox_state::sent);
    const std::lock_guard lock(mutex);
    REQUIRE(received.size() == 2);
    CHECK(received[1] >= not_before);
  }
}

TEST_CASE("end to end: a deleted webhook (404) is named with its reason in the facilitator's status and digest") {
  tandem_on_webhooks t;
  t.receiver().answer_with(
      [](const auto&) { return scripted_response::json(404, R"({"message": "Unknown Webhook", "code": 10015})"); });
  REQUIRE(t.command("ev-1", "assign @emma \"Print the flyers\"").status == 200);
  REQUIRE(t.receiver().wait_for_requests(1));
  const auto rows = t.settled_rows("notify:");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == tandem::outbox_state::failed);
  CHECK_FALSE(t.receiver().wait_for_requests(2, std::chrono::milliseconds{300}));  // a 404 is not retried

  const auto names_it = [](const std::string& text) {
    return text.find("webhook:city-discord: HTTP 404") != std::string::npos &&
           text.find("Unknown Webhook") != std::string::npos;
  };
  const auto status = t.command("ev-2", "status");
  REQUIRE(status.status == 200);
  const std::string status_text = json::parse(status.body)["reply"]["text"];
  CHECK(status_text.find("Not delivered in the last 7 days") != std::string::npos);
  CHECK(names_it(status_text));
  const auto digest = t.command("ev-3", "digest");
  REQUIRE(digest.status == 200);
  const std::string digest_text = json::parse(digest.body)["reply"]["text"];
  CHECK(digest_text.find("Messages that could not be delivered") != std::string::npos);
  CHECK(names_it(digest_text));
}

TEST_CASE("end to end: a 503 from the receiver, then success, gives exactly one accepted delivery") {
  tandem_on_webhooks t;
  t.receiver().expect(scripted_response::text(503, "maintenance"));
  t.receiver().answer_with([](const auto&) { return scripted_response::json(200, R"({"id":"1"})"); });
  REQUIRE(t.command("ev-1", "assign @emma \"Print the flyers\"").status == 200);
  REQUIRE(t.receiver().wait_for_requests(1));
  auto rows = t.settled_rows("notify:");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].last_error == "HTTP 503");
  t.advance(std::chrono::minutes{1});
  t.dispatch();
  REQUIRE(t.receiver().wait_for_requests(2));
  CHECK(t.settled_rows("notify:")[0].state == tandem::outbox_state::sent);
  t.dispatch();
  CHECK_FALSE(t.receiver().wait_for_requests(3, std::chrono::milliseconds{300}));
}

TEST_CASE("end to end: Emma's Done link closes the task once, as her, and a second use changes nothing") {
  tandem_on_webhooks t;
  t.receiver().answer_with([](const auto&) { return scripted_response::json(200, R"({"id":"1"})"); });
  REQUIRE(t.command("ev-1", "assign @emma \"Print the flyers\"").status == 200);
  REQUIRE(t.receiver().wait_for_requests(1));
  const std::string content = json::parse(t.receiver().requests()[0].body)["content"];
  const std::string done = link_path(content, "Done");

  // A link preview (GET) shows what the link does and changes nothing.
  const auto preview = t.request("GET", done, "", {});
  CHECK(preview.status == 200);
  CHECK(preview.content_type.starts_with("text/html"));
  CHECK(preview.body.find("<code>done 1</code>") != std::string::npos);
  CHECK(preview.body.find("<form method=\"post\">") != std::string::npos);
  CHECK(t.task_status(1) == tandem::task_status::open);

  // Confirming it sends "done 1" as Emma; the page shows Tandem's answer.
  const auto confirmed = t.request("POST", done, "", {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(confirmed.status == 200);
  CHECK(confirmed.body.find("<h1>Recorded</h1>") != std::string::npos);
  CHECK(t.task_status(1) == tandem::task_status::done);

  // The same link again: refused with a clear page, nothing changes.
  const auto again = t.request("POST", done, "", {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(again.status == 409);
  CHECK(again.body.find("already used") != std::string::npos);
  CHECK(t.request("GET", done, "", {}).status == 409);
}
