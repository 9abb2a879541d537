#pragma once
// Tandem as the Matrix tests run it: the real store (a SQLite file, so a test can restart the
// bot on it), engine host, outbox dispatcher and Matrix adapter on an io_context driven by the
// test's thread, talking to the fake homeserver over TLS. Inbound events take the runtime's path
// (inbound_pipeline): bursts committed and handled, acknowledged once durable, then dispatched.

#include "adapters/http/http_server.h"
#include "adapters/matrix/fake_homeserver.h"
#include "adapters/matrix/matrix_adapter.h"
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
#include "support/run_until.h"
#include "support/source_tree.h"
#include "support/test_certificates.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace tandem::matrix_testing {

inline const std::string bot_id = "@tandem:example.org";
inline const std::string bot_token = "bot-token";
inline const std::string river = "!river:example.org";

/// A folder under the system's temporary folder, removed at the end of the test.
class temp_folder {
 public:
  temp_folder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tandem-matrix-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~temp_folder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The collaboration "river" with its Matrix room; ana (facilitator) and bob (participant) on Matrix.
inline world seed_world() {
  const auto parsed = parse_config(R"(
# The hours messages arrive at are the core's rules (tests/core/delivery_test.cpp); these tests are
# about the wire, at whatever time they run: nobody has quiet hours here.
engine: {quiet_hours: "off"}
collaborations:
  - id: river
    name: River Restoration Alliance
    rooms:
      - {platform: matrix, workspace: example.org, id: "!river:example.org"}
    organizations:
      - {id: city, name: City Council}
    people:
      - id: ana
        name: Ana Lima
        roles: [facilitator]
        identities: [{platform: matrix, workspace: example.org, user: "@ana:example.org"}]
      - id: bob
        name: Bob Stone
        org: city
        identities: [{platform: matrix, workspace: example.org, user: "@bob:example.org"}]
)",
                                   std::filesystem::temp_directory_path());
  REQUIRE(parsed.errors.empty());
  return parsed.config->seed;
}

/// Client-mode options for the fake homeserver, with short waits so retries happen quickly.
inline matrix_options client_options(const testing::fake_homeserver& hs) {
  matrix_options o;
  o.homeserver = hs.base_url();
  o.user_id = bot_id;
  o.access_token = bot_token;
  o.extra_ca_file = testing::test_certificates::shared().ca_file();
  o.sync_timeout = std::chrono::milliseconds{1000};
  o.sync_request_timeout = std::chrono::milliseconds{5000};
  o.initial_sync_request_timeout = std::chrono::milliseconds{5000};
  o.request_timeout = std::chrono::milliseconds{5000};
  o.retry_min = std::chrono::milliseconds{10};
  o.retry_max = std::chrono::milliseconds{100};
  return o;
}

/// Tandem's HTTP server on 127.0.0.1 with a free port.
inline http_server_options local_http_options() {
  http_server_options o;
  o.address = "127.0.0.1";
  o.port = 0;
  return o;
}

inline const template_catalog& shipped_templates() {
  static const template_catalog catalog = template_catalog::load(tandem::testing::source_tree() / "prompts");
  return catalog;
}

/// One run of Tandem with the Matrix adapter, on the store file `db`.
class matrix_bot {
 public:
  matrix_bot(const std::filesystem::path& db, matrix_options options, const world& seed = seed_world())
      : store_(db.string()),
        host_(store_, metrics_, shipped_templates().languages()),
        dispatcher_(
            store_, host_, shipped_templates(), metrics_,
            [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); }, [this] { return now_; },
            [this](std::function<void(bool)> then) { after_sync(std::move(then)); }),
        state_(store_),
        directory_([this]() -> const world& { return host_.current(); }),
        adapter_(
            io_, with_texts(std::move(options)),
            [this](inbound event, std::function<void(bool)> stored) {
              ++deliveries_;
              inbound_.ingest(std::move(event), std::move(stored));
            },
            state_, directory_) {
    (void)host_.start(seed, now_);
    host_.on_queued([this](tandem::time_point due) { dispatcher_.expect(due); });
    dispatcher_.add(adapter_);
    adapter_.add_routes(http_);
  }

  ~matrix_bot() {
    adapter_.stop();
    http_.stop();
  }
  matrix_bot(const matrix_bot&) = delete;
  matrix_bot& operator=(const matrix_bot&) = delete;

  matrix_adapter& adapter() { return adapter_; }
  boost::asio::io_context& io() { return io_; }
  sqlite_store& store() { return store_; }
  const world& current() const { return host_.current(); }
  outbox_dispatcher& dispatcher() { return dispatcher_; }
  /// Every event committed for the first time by this run, in order.
  const std::vector<inbound>& recorded() const { return recorded_; }
  /// How many times the sink was called (duplicates included).
  std::size_t deliveries() const { return deliveries_; }
  /// Makes the store fail the next `count` bursts (stored(false), as a full disk would).
  void fail_records(int count) { failing_records_ = count; }
  /// Moves the dispatcher's clock on (retries become due without waiting).
  void advance(std::chrono::seconds by) { now_ += by; }

  /// Starts Tandem's HTTP server (the appservice routes) and the adapter.
  void start() {
    port_ = http_.start();
    adapter_.start();
  }

  /// "http://127.0.0.1:<port>" of Tandem's HTTP server, once started.
  std::string url(const std::string& target) const { return "http://127.0.0.1:" + std::to_string(port_) + target; }

  /// Holds the acknowledgements after each sync (the store is slow) until `release_acks`.
  void hold_acks() { holding_ = true; }
  void release_acks() {
    holding_ = false;
    auto held = std::move(held_);
    held_.clear();
    for (auto& ack : held) ack();
  }

  /// Runs the io_context until `done` (10 s at most); dispatches due outbox rows on the way.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds within = std::chrono::seconds{10}) {
    return testing::run_until(
        io_,
        [&] {
          dispatcher_.dispatch_due();
          return done();
        },
        within);
  }

  /// Runs the io_context for a while (for "nothing more happens" checks).
  void run_for(std::chrono::milliseconds span) {
    const auto until = std::chrono::steady_clock::now() + span;
    (void)run_until([&] { return std::chrono::steady_clock::now() >= until; }, span + std::chrono::seconds{1});
  }

  /// Delivers one message through the adapter directly and runs until its result comes back.
  delivery_result deliver(const destination& to, const rendered_message& message, const std::string& key) {
    std::optional<delivery_result> result;
    adapter_.deliver(to, message, key, [&result](delivery_result r) { result = std::move(r); });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }

 private:
  /// The adapter's own texts come from the shipped templates, as in `tandem serve`.
  matrix_options with_texts(matrix_options options) {
    options.text_for = adapter_texts(shipped_templates(), directory_);
    return options;
  }

  /// The runtime's inbound parts, with the store's failures and slowness the tests ask for.
  inbound_pipeline::parts inbound_parts() {
    auto parts = engine_inbound_parts(
        host_, dispatcher_, [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); },
        [this] { return now_; }, [this](std::function<void(bool)> then) { after_sync(std::move(then)); });
    parts.commit = [this, commit = std::move(parts.commit)](const std::vector<inbound>& burst) {
      if (failing_records_ > 0) {
        --failing_records_;
        return false;
      }
      if (!commit(burst)) return false;
      for (const inbound& e : burst) {
        if (committed_keys_.insert(e.dedup_key).second) recorded_.push_back(e);
      }
      return true;
    };
    return parts;
  }

  /// Once durable: the pipeline's acknowledgements (held when asked), then what is due leaves.
  void after_sync(std::function<void(bool)> then) {
    syncer_.after_sync([this, then = std::move(then)](bool durable) {
      if (holding_) {
        held_.push_back([then, durable] { then(durable); });
        return;
      }
      then(durable);
      dispatcher_.dispatch_due();
    });
  }

  boost::asio::io_context io_;
  metrics_registry metrics_;
  sqlite_store store_;
  engine_host host_;
  time_point now_ = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  outbox_dispatcher dispatcher_;
  sync_thread syncer_{store_, metrics_, [this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); },
                      nullptr};
  inbound_pipeline inbound_{inbound_parts(), metrics_};
  store_adapter_state state_;
  world_directory directory_;
  matrix_adapter adapter_;
  http_server http_{io_, local_http_options()};
  std::uint16_t port_ = 0;
  bool holding_ = false;
  std::vector<std::function<void()>> held_;
  std::vector<inbound> recorded_;
  std::set<std::string> committed_keys_;  ///< dedup keys committed by this run
  std::size_t deliveries_ = 0;
  int failing_records_ = 0;
};

}  // namespace tandem::matrix_testing
