#include "adapters/slack/slack_adapter.h"

#include "adapters/adapter_context.h"
#include "adapters/json_fields.h"
#include "adapters/slack/slack_delivery.h"
#include "adapters/slack/slack_endpoints.h"
#include "adapters/slack/slack_interactions.h"
#include "adapters/slack/slack_socket_mode.h"
#include "adapters/slack/slack_time_zones.h"
#include "adapters/slack/slack_web_api.h"
#include "adapters/slack/slack_workspaces.h"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <set>
#include <vector>

namespace tandem {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace slack;

/// The adapter's parts, wired, shared with their pending operations (adapter_context::hold). Each
/// part is one job (see its header); this only connects them. Used on the strand, except
/// health().
struct slack_adapter::state : std::enable_shared_from_this<slack_adapter::state> {
  state(asio::io_context& io, slack_adapter_options options_, inbound_sink sink_)
      : options(std::move(options_)),
        context(io, options.clock, options.log),
        sink(std::move(sink_)),
        workspaces(options.workspaces, context),
        api(context, options),
        interactive(context, sink, workspaces, api),
        endpoints(context, sink, workspaces, interactive, options.command_reply_wait),
        delivery(context, workspaces, api, options.channel_interval,
                 message_delivery::waiting_commands{
                     [this](const std::string& handle) { return endpoints.command_waits(handle); },
                     [this](const std::string& handle, http_response response) {
                       return endpoints.answer_command(handle, std::move(response));
                     }},
                 [this](const std::string& team, const std::string& user) {
                   if (time_zones) time_zones->noticed(team, user);
                 }) {
    if (!options.api_base_url.ends_with('/')) options.api_base_url += '/';
  }

  /// Ties the parts' pending operations to this state and creates what needs it shared: a
  /// Socket Mode connection per workspace with an app token, and the users.info lookup.
  void wire() {
    context.set_owner(weak_from_this());
    create_sockets();
    create_time_zone_lookup();
  }

  void create_sockets() {
    for (const workspace& w : workspaces.all()) {
      if (w.settings.app_token.empty()) continue;
      socket_mode_options o;
      o.team_id = w.settings.team_id;
      o.app_token = w.settings.app_token;
      o.api_base_url = options.api_base_url;
      o.extra_ca_file = options.extra_ca_file;
      o.reconnect_initial = options.reconnect_initial;
      o.reconnect_max = options.reconnect_max;
      o.log = options.log;
      // Weak: the connection belongs to this state.
      o.on_envelope = [weak = weak_from_this(), team = w.settings.team_id](socket_message message,
                                                                           socket_mode_ack ack) {
        if (auto self = weak.lock()) {
          self->context.post([self, team, message = std::move(message), ack = std::move(ack)] {
            self->endpoints.on_socket_envelope(message, team, ack);
          });
        }
      };
      sockets.push_back(std::make_unique<socket_mode_connection>(context.io(), api.client(), std::move(o)));
    }
  }

  /// Creates the users.info lookup when the options ask for one. Every event handed to the sink
  /// is noticed by it: a lookup in memory, nothing more on that path.
  void create_time_zone_lookup() {
    if (options.time_zones == nullptr) return;
    std::set<std::string, std::less<>> teams;
    for (const workspace& w : workspaces.all()) teams.insert(w.settings.team_id);
    time_zone_lookup_hooks hooks;
    const std::weak_ptr<state> weak = weak_from_this();  // the lookup belongs to this state
    hooks.call = [weak](const std::string& team, std::string form, std::function<void(api_result)> done) {
      if (auto self = weak.lock()) self->call_users_info(team, std::move(form), std::move(done));
    };
    hooks.after = [weak](std::chrono::milliseconds delay, std::function<void()> f) {
      if (auto self = weak.lock()) self->context.after(delay, [self, f = std::move(f)] { f(); });
    };
    hooks.post = [weak](std::function<void()> f) {
      if (auto self = weak.lock()) {
        self->context.post([self, f = std::move(f)] {
          if (!self->context.stopping()) f();
        });
      }
    };
    hooks.log = options.log;
    time_zone_lookup_options o;
    o.interval = options.lookup_interval;
    o.retry = options.lookup_retry;
    time_zones = std::make_unique<time_zone_lookup>(*options.time_zones, std::move(teams), std::move(hooks), o);
    sink = [lookup = time_zones.get(), inner = std::move(sink)](inbound event, std::function<void(bool)> stored) {
      lookup->noticed(event.sender.workspace, event.sender.user);
      inner(std::move(event), std::move(stored));
    };
  }

  void call_users_info(const std::string& team, std::string form, std::function<void(api_result)> done) {
    workspace* w = workspaces.find(team);
    if (w == nullptr || !w->auth_failure.empty()) {
      done(api_error{{}, 200, w == nullptr ? "workspace_not_configured" : w->auth_failure, std::nullopt});
      return;
    }
    api.call_form(*w, "users.info", std::move(form), [this, w, done](const api_result& result) {
      if (const auto* error = std::get_if<api_error>(&result); error != nullptr && is_auth_failure(*error)) {
        delivery.failure(*w, "", *error);
      }
      done(result);
    });
  }

  /// Learns each workspace's bot user with auth.test when the config does not give it (which
  /// also checks the token), and starts Socket Mode and the time zone lookup.
  void start() {
    for (workspace& w : workspaces.all()) check_token(w, 0);
    for (const auto& connection : sockets) connection->start();
    if (time_zones) time_zones->start();
  }

  /// Calls auth.test for `w` until Slack answers it: a refused token stops the workspace; any
  /// other failure (no network, 5xx, 429, Slack's internal_error) is tried again after a backoff
  /// from reconnect_initial doubling up to reconnect_max (or the 429's Retry-After), while health
  /// says "unreachable".
  void check_token(workspace& w, int failures) {
    api.call(w, "auth.test", json::object(), [this, &w, failures](const api_result& result) {
      if (const auto* error = std::get_if<api_error>(&result)) {
        if (is_auth_failure(*error)) {
          delivery.failure(w, "", *error);
          return;
        }
        const auto wait = token_check_backoff(failures, error->retry_after);
        workspaces.set_token_check(w, "unreachable");
        context.log("warn", "slack: auth.test for workspace " + w.settings.team_id + " failed: " + error->describe() +
                                "; trying again in " + std::to_string(wait.count()) + " ms");
        context.after(wait, [weak = weak_from_this(), &w, failures] {
          if (auto self = weak.lock()) self->check_token(w, failures + 1);
        });
        return;
      }
      workspaces.set_token_check(w, "");
      const json& answer = std::get<json>(result);
      const std::string team = string_field(answer, "team_id");
      if (!team.empty() && team != w.settings.team_id) {
        context.log("error", "slack: the bot token configured for workspace " + w.settings.team_id +
                                 " belongs to workspace " + team);
      }
      if (w.settings.bot_user_id.empty()) w.settings.bot_user_id = string_field(answer, "user_id");
      context.log("info", "slack: workspace " + w.settings.team_id + " ready (bot user " + w.settings.bot_user_id + ")");
    });
  }

  std::chrono::milliseconds token_check_backoff(int failures, std::optional<std::chrono::seconds> retry_after) const {
    if (retry_after) return std::max<std::chrono::milliseconds>(*retry_after, options.reconnect_initial);
    auto wait = options.reconnect_initial;
    for (int i = 0; i < failures && wait < options.reconnect_max; ++i) wait *= 2;
    return std::min(wait, options.reconnect_max);
  }

  void stop() {
    context.stop();
    if (time_zones) time_zones->stop();
    for (const auto& connection : sockets) connection->stop();
    endpoints.answer_all_commands();
    api.cancel_all();
  }

  /// What health() says; thread-safe (the sockets are all created before anything runs).
  std::string health() const {
    std::string text = workspaces.token_health();
    for (const auto& connection : sockets) {
      if (!connection->connected()) {
        text += std::string(text.empty() ? "" : ", ") + "socket mode disconnected (" + connection->team_id() + ")";
      }
    }
    return text.empty() ? "ok" : text;
  }

  slack_adapter_options options;
  adapter_context context;
  inbound_sink sink;
  workspace_set workspaces;
  web_api api;
  interactions interactive;
  inbound_endpoints endpoints;
  message_delivery delivery;
  std::vector<std::unique_ptr<socket_mode_connection>> sockets;
  std::unique_ptr<time_zone_lookup> time_zones;  ///< users.info; none without options.time_zones
};

slack_adapter::slack_adapter(asio::io_context& io, slack_adapter_options options, inbound_sink sink)
    : state_(std::make_shared<state>(io, std::move(options), std::move(sink))) {
  state_->wire();
}

slack_adapter::~slack_adapter() = default;

void slack_adapter::add_routes(http_server& server) {
  const auto route = [&server, self = state_](const std::string& path, void (inbound_endpoints::*handler)(
                                                                           const http_request&, const http_respond&)) {
    server.route("POST", path, [self, handler](http_request request, http_respond respond) {
      self->context.post([self, handler, request = std::move(request), respond = std::move(respond)] {
        (self->endpoints.*handler)(request, respond);
      });
    });
  };
  route("/slack/events", &inbound_endpoints::on_events);
  route("/slack/commands", &inbound_endpoints::on_commands);
  route("/slack/interactivity", &inbound_endpoints::on_interactivity);
}

void slack_adapter::start() {
  state_->context.post([self = state_] { self->start(); });
}

void slack_adapter::stop() {
  state_->context.post([self = state_] { self->stop(); });
}

std::string slack_adapter::health() const { return state_->health(); }

void slack_adapter::deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
                            std::function<void(delivery_result)> done) {
  state_->context.post([self = state_, to, message, idempotency_key, done = std::move(done)]() mutable {
    self->delivery.deliver(to, message, idempotency_key, std::move(done));
  });
}

}  // namespace tandem
