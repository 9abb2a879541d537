#include "app/runtime.h"

#include "adapters/console/console_adapter.h"
#include "adapters/http/http_server.h"
#include "adapters/metrics/metrics_registry.h"
#include "adapters/web/web_adapter.h"
#include "app/engine_host.h"
#include "app/engine_inbound.h"
#include "app/feed_routes.h"
#include "app/inbound_pipeline.h"
#include "app/leader_wakeups.h"
#include "app/learned_time_zones.h"
#include "app/outbox_dispatcher.h"
#include "app/platform_adapters.h"
#include "app/status_routes.h"
#include "app/sync_thread.h"
#include "app/template_catalog.h"
#include "app/text_retention.h"
#include "storage/postgresql/postgresql_store.h"
#include "storage/sqlite/sqlite_backup.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/store_lock.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <istream>
#include <ostream>
#include <thread>

namespace tandem {
namespace {

namespace asio = boost::asio;

time_point clock_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

/// What makes this run's console lines' dedup keys differ from earlier runs': the start time in
/// milliseconds.
std::string console_session_id() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

/// Where libpq finds the database the config names.
postgresql_address address_of(const postgresql_store_config& db) {
  return {db.url.reveal(), db.password ? db.password->reveal() : std::string{}};
}

/// The store the config names: a SQLite file, durable at each sync (group commit), or a PostgreSQL
/// database, durable at each commit.
std::unique_ptr<store> opened_store(const store_config& config) {
  if (config.postgresql) return std::make_unique<postgresql_store>(address_of(*config.postgresql));
  return std::make_unique<sqlite_store>(config.sqlite_file.string(), sqlite_durability::at_sync);
}

/// Where people reach the HTTP server, for links in messages: `http.public_url`, else the address
/// Tandem listens on.
std::string public_url(const tandem_config& config) {
  if (!config.seed.engine.public_url.empty()) return config.seed.engine.public_url;
  const bool v6 = config.http_address.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + config.http_address + "]" : config.http_address) + ":" +
         std::to_string(config.http_port);
}

/// Paths only the leading Tandem serves, when several share a PostgreSQL store: pages and links that
/// read the world (the dashboard, one-click links, feeds) and the Matrix application service, whose
/// adapter runs on the leader. A follower answers them 503, and the reverse proxy asks the next.
const std::vector<std::string> leader_only_paths{"/dashboard", "/act/",     "/calendar/",
                                                 "/export/",   "/_matrix/", "/transactions/"};

/// The store setting where the leading Tandem writes its `instance_name`.
constexpr std::string_view leader_setting = "leader.instance";

/// This process among others: `host:pid`.
std::string instance_name() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string{host.data()} + ":" + std::to_string(getpid());
}

/// Everything that lives while Tandem runs, wired together. Used from the io_context's thread.
/// Alone on its store it leads from the start. Among several Tandems on one PostgreSQL database
/// (`leadership` given), one leads: it decides, runs the schedules, reads Matrix and Socket Mode
/// and delivers the outbox; the others follow: they take platforms' HTTP requests, record the
/// events for the leader and wake it, and try each second to take the lead.
class tandem_process {
 public:
  /// `leadership`: the lock that the leading Tandem on a PostgreSQL database holds; none on SQLite.
  tandem_process(const tandem_config& config, const runtime_options& options, const template_catalog& templates,
                 postgresql_leadership* leadership = nullptr)
      : config_(config),
        options_(options),
        leadership_(leadership),
        store_(opened_store(config.store)),
        // Only a store that keeps a log beside its files (SQLite's WAL) has checkpoints to run.
        syncer_(*store_, metrics_, on_core(), dynamic_cast<store_checkpoints*>(store_.get())),
        host_(*store_, metrics_, templates.languages()),
        dispatcher_(*store_, host_, templates, metrics_, on_core(), clock_now,
                    [this](std::function<void(bool)> then) { after_sync(std::move(then)); }),
        // The inbound path of every platform adapter: bursts committed by the engine host and
        // acknowledged after the sync that makes them durable.
        inbound_(inbound_parts(), metrics_),
        console_(*options.output, options.console_person.value_or(""), console_session_id(), options.interactive),
        http_(io_, http_options(config)),
        tick_(io_),
        signals_(io_, SIGINT, SIGTERM),
        adapter_state_(*store_),
        directory_([this]() -> const world& { return host_.current(); }),
        time_zones_(host_, on_core(), clock_now),
        web_(web_environment(config), web_labels::load(options.prompts_dir)),
        adapters_(create_platform_adapters(
            config, adapter_environment{io_,
                                        [this](inbound event, std::function<void(bool)> stored) {
                                          inbound_.ingest(std::move(event), std::move(stored));
                                        },
                                        metrics_, adapter_state_, directory_, &time_zones_, &templates})) {
    if (config.store.keep_text) retention_.emplace(*store_, *config.store.keep_text, metrics_);
  }

  int run() {
    seed_ = config_.seed;
    seed_.engine.public_url = public_url(config_);
    // A queued message is expected by the dispatcher only once its commit is durable.
    host_.on_queued([this](time_point due) { unsynced_due_.push_back(due); });
    if (config_.console_enabled || options_.console_person) dispatcher_.add(console_);
    dispatcher_.add(web_);
    web_.add_routes(http_);
    for (auto& adapter : adapters_) {
      dispatcher_.add(*adapter);
      adapter->add_routes(http_);
    }
    route_http();
    const bool leads_at_start = leadership_ == nullptr || leadership_->try_to_lead();
    // A console types into the leader's world: it does not wait for another Tandem to stop.
    if (!leads_at_start && options_.console_person) {
      throw store_error("another Tandem leads on this database: the console needs to lead (stop the others first)");
    }
    if (!leads_at_start) host_.follow(seed_);
    const auto port = http_.start();
    spdlog::info("tandem {} listening on http://{}:{} (store {})", TANDEM_VERSION, config_.http_address, port,
                 config_.store.describe());
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (!ec) {
        spdlog::info("signal {}: shutting down", signal);
        shut_down();
      }
    });
    if (leads_at_start) {
      lead();
    } else {
      spdlog::info(
          "following: another Tandem ({}) leads on this database; this one ({}) records what platforms "
          "send it for the leader, and takes the lead when that one stops",
          leader_name(), instance_);
    }
    schedule_tick();
    if (options_.console_person) start_console();
    io_.run();
    if (reader_.joinable()) reader_.detach();  // blocked on input that will never come; exiting ends it
    spdlog::info("stopped");
    return exit_code_;
  }

 private:
  /// Hands a function to the core strand (the io_context's thread), from any thread. A store that
  /// refuses a write there (a full disk) is logged, not the end of the process: what was not
  /// written stays as the store had it (an outbox row stays waiting and is tried again), and the
  /// next write succeeds once there is space.
  std::function<void(std::function<void()>)> on_core() {
    return [this](std::function<void()> f) {
      asio::post(io_, [f = std::move(f)] {
        try {
          f();
        } catch (const store_error& e) {
          spdlog::error("store: {}", e.what());
        }
      });
    };
  }

  /// Takes up the leader's work: adds what is new in the config, handles what was recorded but not
  /// handled (by followers, or before a crash), starts the adapters' own connections (Matrix
  /// `/sync`, Socket Mode), listens for followers' wake-ups, runs the schedules and delivers.
  void lead() {
    const bool among_others = leadership_ != nullptr;
    const auto started = std::chrono::steady_clock::now();
    for (const auto& conflict : host_.start(seed_, clock_now())) spdlog::warn("config: {}", conflict);
    leading_ = true;
    leader_terms_.increment();
    for (auto& adapter : adapters_) adapter->start();
    if (among_others) {
      try {
        store_->put_setting(leader_setting, instance_);
        wakeups_.emplace(io_, *leadership_, [this] { handle_followers_events(); });
        wakeups_->start();
      } catch (const store_error& e) {  // the tick handles followers' events each second anyway
        spdlog::warn("store: leading without followers' wake-ups: {}", e.what());
      }
      spdlog::info(
          "leading: this Tandem ({}) decides, runs the schedules and delivers; it took the lead in {} ms", instance_,
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    }
    host_.tick(clock_now());
    sync_now();
    deliver_due();
  }

  /// The leader, woken by a follower: handles the events it recorded and sends the replies.
  void handle_followers_events() {
    if (stopping_ || !leading_) return;
    try {
      host_.handle_unhandled(clock_now());
    } catch (const store_error& e) {
      spdlog::error("store: {}", e.what());
    }
    after_sync({});
  }

  /// The inbound pipeline's parts (engine_inbound_parts) as this process's role has them: the
  /// leader records and decides each burst and may send replies before the sync; a follower only
  /// records it, then wakes the leader.
  inbound_pipeline::parts inbound_parts() {
    auto parts = engine_inbound_parts(host_, dispatcher_, on_core(), clock_now,
                                      [this](std::function<void(bool)> then) { after_sync(std::move(then)); });
    parts.commit = [this, decide = std::move(parts.commit)](const std::vector<inbound>& burst) {
      if (leading_) return decide(burst);
      // The leader is notified when the burst commits: a PostgreSQL store, as only there do Tandems follow.
      return host_.record_all(burst, [this] {
        dynamic_cast<postgresql_store&>(*store_).notify_at_commit(postgresql_leadership::inbound_channel);
      });
    };
    parts.written = [this, written = std::move(parts.written)] {
      if (leading_) written();
    };
    return parts;
  }

  /// The leader's name as it wrote it down, for the log and /healthz.
  std::string leader_name() {
    try {
      return store_->setting(leader_setting).value_or("unknown");
    } catch (const store_error&) {
      return "unknown";
    }
  }

  /// Delivers due outbox rows: the leader's job alone.
  void deliver_due() {
    if (leading_) dispatcher_.dispatch_due();
  }

  /// The dashboard's view of this process: the world and the inbound path of the console (a
  /// command is recorded, handled, made durable and its replies delivered before the page returns).
  web_context web_environment(const tandem_config& config) {
    web_context c;
    c.on_core = on_core();
    c.current = [this]() -> const world& { return host_.current(); };
    c.commit = [this](const std::vector<action>& actions) {
      host_.commit(actions);
      sync_now();
    };
    c.submit = [this](const inbound& event) {
      try {
        host_.submit(event, clock_now());
        sync_now();
      } catch (const store_error& e) {
        spdlog::error("dashboard: could not record the command: {}", e.what());
        return false;
      }
      deliver_due();
      return true;
    };
    c.task_history = [this](std::int64_t task) { return store_->task_history(task); };
    c.audit = [this](const audit_selection& which, std::size_t offset, std::size_t limit) {
      return store_->audit_page(which, offset, limit);
    };
    c.clock = clock_now;
    c.secure_cookies = public_url(config).starts_with("https://");
    return c;
  }

  http_server_options http_options(const tandem_config& config) {
    http_server_options o;
    o.metrics = &metrics_;
    o.address = config.http_address;
    o.port = config.http_port;
    o.body_limit = config.body_limit;
    // The endpoints a token alone opens, with one budget per client across all of them: guessing
    // a token, or hammering one that leaked, costs the same wherever it is tried.
    o.rate_limited_paths = {"/act/", "/dashboard/sign-in/", "/calendar/", "/export/"};
    o.rate_limiter = std::make_shared<client_rate_limiter>(config.rate_limit);
    if (leadership_ != nullptr) {
      o.leader_paths = leader_only_paths;
      o.leads = [this] { return leading_.load(); };
    }
    o.log = [](std::string_view level, std::string_view message) {
      spdlog::log(spdlog::level::from_str(std::string{level}), "http: {}", message);
    };
    return o;
  }

  void route_http() {
    status_routes_context status;
    status.on_core = on_core();
    status.health = [this] {
      nlohmann::json health{{"version", TANDEM_VERSION}, {"adapters", nlohmann::json::object()}};
      for (const auto& adapter : adapters_) {
        health["adapters"][adapter->platform()] = leading_ ? adapter->health() : "ok (the leader connects)";
      }
      if (leadership_ != nullptr) {
        health["instance"] = instance_;
        health["role"] = leading_ ? "leader" : "follower";
        health["leader"] = leading_ ? instance_ : leader_name();
      }
      return health;
    };
    status.read_store = [this] { (void)store_->next_outbox_attempt_after(clock_now()); };
    status.metrics = &metrics_;
    if (config_.metrics_token) status.metrics_token = config_.metrics_token->reveal();
    add_status_routes(http_, std::move(status));
    add_feed_routes(http_,
                    feed_routes_context{on_core(), [this]() -> const world& { return host_.current(); }, clock_now});
  }

  void schedule_tick() {
    tick_.expires_after(std::chrono::seconds{1});
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      ++ticks_;
      if (!leading_) return follow_tick();
      if (!still_leading()) return;
      try {
        host_.handle_unhandled(clock_now());
        // The schedules run every few seconds: nudges and reminders need minute precision, not more.
        if (ticks_ % engine_tick_every == 0) host_.tick(clock_now());
        // Old text goes a batch a minute from the first tick on, or a batch a second while a
        // backlog lasts; so do the counts of ended months (after an upgrade, years: a month a second).
        if (retention_ && (retention_backlog_ || ticks_ % upkeep_every == 1)) {
          retention_backlog_ = retention_->run_batch(clock_now());
        }
        if (months_backlog_ || ticks_ % upkeep_every == 1) months_backlog_ = store_->count_ended_month(clock_now());
      } catch (const store_error& e) {
        spdlog::error("store: {}", e.what());
      }
      // Also makes the other writes of the past second durable (outbox marks, adapter state).
      after_sync({});
      try {
        deliver_due();
      } catch (const store_error& e) {
        spdlog::error("store: {}", e.what());
      }
      schedule_tick();
    });
  }

  /// A follower's second: takes the lead when the leader's lock is free (it stopped or died), and
  /// reads the world again once a minute (the rooms and people whose text it records).
  void follow_tick() {
    try {
      if (leadership_->try_to_lead()) {
        spdlog::info("the leader stopped or died: this Tandem ({}) takes the lead", instance_);
        lead();
      } else if (ticks_ % upkeep_every == 0) {
        host_.follow(seed_);
      }
    } catch (const store_error& e) {
      spdlog::error("store: {}", e.what());
    }
    schedule_tick();
  }

  /// Reads lines on a thread of its own (stdin may be a file, which Asio cannot watch) and hands
  /// each to the core strand, waiting until its replies are printed so the transcript reads in order.
  void start_console() {
    reader_ = std::thread([this] {
      std::string line;
      while (true) {
        if (options_.interactive) *options_.output << console_.prompt() << std::flush;
        if (!std::getline(*options_.input, line)) break;
        if (!options_.interactive && !line.empty()) *options_.output << console_.prompt() << line << '\n';
        std::promise<bool> handled;
        asio::post(io_, [this, &line, &handled] { handled.set_value(take_line(line)); });
        if (!handled.get_future().get()) return;
      }
      asio::post(io_, [this] { shut_down(); });
    });
  }

  /// Handles one typed line on the core strand; false when the console should end.
  bool take_line(const std::string& line) {
    if (stopping_) return false;
    console_line typed = console_.translate(line, clock_now());
    switch (typed.what) {
      case console_line::kind::empty: return true;
      case console_line::kind::quit: shut_down(); return false;
      case console_line::kind::switch_person:
        if (host_.current().people.contains(typed.person)) {
          console_.switch_to(typed.person);
          *options_.output << "(now typing as " << typed.person << ")\n";
        } else {
          *options_.output << "(no person \"" << typed.person << "\" in the config or store)\n";
        }
        return true;
      case console_line::kind::message:
        try {
          host_.submit(typed.event, clock_now());
          sync_now();  // the console waits for its replies, so it syncs in line
        } catch (const store_error& e) {
          spdlog::error("console: could not record the command: {}", e.what());
        }
        deliver_due();
        return true;
    }
    return true;
  }

  /// Once everything committed so far is durable, while this thread goes on: calls `then` (the
  /// inbound pipeline's acknowledgements), then lets the dispatcher see the messages queued so far.
  void after_sync(std::function<void(bool)> then) {
    syncer_.after_sync([this, then = std::move(then), due = std::exchange(unsynced_due_, {})](bool durable) {
      if (then) then(durable);
      if (!durable) return disk_refused();
      for (const time_point d : due) dispatcher_.expect(d);
      deliver_due();
    });
  }

  /// Makes everything committed so far durable before returning (start-up, the console).
  void sync_now() {
    store_->sync();
    for (const time_point d : std::exchange(unsynced_due_, {})) dispatcher_.expect(d);
  }

  /// False, after stopping Tandem, when the PostgreSQL server ended the session that held the
  /// leader's lock: another Tandem may lead since, and two must never lead one database. Checked
  /// every second, before the leader decides or delivers anything more (the fencing check).
  bool still_leading() {
    if (leadership_ == nullptr || leadership_->still_leading()) return true;
    spdlog::critical(
        "store: the PostgreSQL session holding the leader's lock ended (a server restart, a "
        "terminated session or a lost connection); stopping, so that two Tandems never lead one "
        "database (start Tandem again: it resumes from what the store holds)");
    exit_code_ = 1;
    shut_down();
    return false;
  }

  /// After a failed sync nothing may be acknowledged or sent any more: whether the disk holds
  /// the commits is unknown (a retried fsync can wrongly succeed), so Tandem stops.
  void disk_refused() {
    if (stopping_) return;
    spdlog::critical("store: the disk did not make commits durable; stopping (start Tandem again once the disk is healthy: it resumes from what the store holds)");
    exit_code_ = 1;
    shut_down();
  }

  void shut_down() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& adapter : adapters_) adapter->stop();
    if (wakeups_) wakeups_->stop();
    http_.stop();
    tick_.cancel();
    signals_.cancel();
  }

  const tandem_config& config_;
  const runtime_options& options_;
  postgresql_leadership* leadership_;  ///< none on SQLite
  const std::string instance_ = instance_name();
  world seed_;                             ///< the config's world, added to the store when this process leads
  std::atomic<bool> leading_ = false;      ///< read by the HTTP server's connections
  asio::io_context io_{1};  ///< run by one thread: handlers it posts skip the shared queue
  metrics_registry metrics_;
  std::unique_ptr<store> store_;
  sync_thread syncer_;  ///< destroyed before the store, after the last sync it owes
  engine_host host_;
  outbox_dispatcher dispatcher_;
  inbound_pipeline inbound_;
  console_adapter console_;
  http_server http_;
  asio::steady_timer tick_;
  asio::signal_set signals_;
  store_adapter_state adapter_state_;
  world_directory directory_;
  engine_time_zones time_zones_;  ///< time zones adapters learn (Slack's users.info)
  web_adapter web_;  ///< the dashboard
  std::vector<std::unique_ptr<platform_adapter>> adapters_;
  std::optional<leader_wakeups> wakeups_;  ///< a leader among others; destroyed before the io_context
  std::thread reader_;
  bool stopping_ = false;
  metric_counter& leader_terms_ = metrics_.counter(
      "tandem_leader_terms_total", "Times this process took the lead: 1 in the leader, 0 in a follower.");
  int exit_code_ = 0;
  std::vector<time_point> unsynced_due_;  ///< due times of messages queued since the last sync began
  static constexpr unsigned engine_tick_every = 5;  ///< in one-second timer ticks
  unsigned ticks_ = 0;
  std::optional<text_retention> retention_;  ///< none when the config keeps text forever
  bool retention_backlog_ = false;           ///< the last batch was full
  bool months_backlog_ = false;              ///< another ended month is left to count
  static constexpr unsigned upkeep_every = 60;  ///< in one-second timer ticks
};

}  // namespace

int run_tandem(const tandem_config& config, const runtime_options& options) {
  // A write past a file size limit (ulimit -f) then fails like one on a full disk, and the store
  // refuses what it cannot write, instead of the signal ending the process.
  (void)std::signal(SIGXFSZ, SIG_IGN);
  try {
    const template_catalog templates = template_catalog::load(options.prompts_dir);
    if (const auto& db = config.store.postgresql) {
      // The first Tandem on the database leads; the others follow until the lock is free.
      postgresql_leadership leadership(address_of(*db));
      tandem_process process(config, options, templates, &leadership);
      return process.run();
    }
    const std::string store = config.store.sqlite_file.string();
    // Held while this process runs: `tandem restore` refuses a store a running Tandem holds.
    const store_lock running = store_lock::shared(store);
    if (const auto damage = find_store_damage(store)) {
      spdlog::critical("store {} is damaged ({}): Tandem does not run on it. Restore the last backup with "
                       "`tandem restore BACKUP --config CONFIG` (see Backups in docs/running.md)",
                       store, *damage);
      return 1;
    }
    tandem_process process(config, options, templates);
    return process.run();
  } catch (const template_error& e) {
    spdlog::critical("templates: {}", e.what());
  } catch (const store_error& e) {
    spdlog::critical("store {}: {}", config.store.describe(), e.what());
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
  }
  return 1;
}

}  // namespace tandem
