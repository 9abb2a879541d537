#include "adapters/slack/slack_adapter.h"

#include "adapters/http/http_client.h"
#include "adapters/slack/slack_inbound.h"
#include "adapters/slack/slack_outbound.h"
#include "adapters/slack/slack_signature.h"
#include "adapters/slack/slack_socket_mode.h"
#include "adapters/slack/slack_time_zones.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>

namespace tandem {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace slack;

namespace {

constexpr std::string_view response_url_handle = "response_url:";
constexpr std::string_view thread_handle = "thread:";
constexpr std::size_t kept_originals = 1000;           // messages remembered while a reason modal is open
constexpr std::chrono::minutes original_lifetime{30};  // as long as a response_url works

http_response empty_ok() { return text_response(200, ""); }

http_response refused(unsigned status, std::string_view reason) {
  return text_response(status, std::string(reason) + "\n");
}

}  // namespace

/// Everything the adapter holds, shared with its pending operations. Used on `strand` only,
/// except `auth_failures` (behind `health_mutex`) and `sockets` (all created before anything runs).
struct slack_adapter::state : std::enable_shared_from_this<slack_adapter::state> {
  struct workspace {
    slack_workspace_settings settings;
    std::string auth_failure;  ///< the error that stopped sending ("invalid_auth"); empty: fine
  };

  /// A slash command whose HTTP answer waits for its first reply.
  struct pending_command {
    http_respond respond;
    std::shared_ptr<asio::steady_timer> timer;
  };

  /// A message with buttons, kept while its reason modal is open, to show the answer on it.
  struct kept_message {
    json message;
    std::string response_url;
    std::chrono::steady_clock::time_point kept_at;
  };

  /// One distinct signing secret, set up once, and the workspaces it signs for.
  struct signing_key {
    hmac_sha256 mac;
    std::set<std::string> teams;
  };

  state(asio::io_context& io_context, slack_adapter_options options_, inbound_sink sink_)
      : io(io_context),
        strand(asio::make_strand(io_context)),
        options(std::move(options_)),
        sink(std::move(sink_)),
        client(io_context, client_options(options)) {
    if (!options.api_base_url.ends_with('/')) options.api_base_url += '/';
    std::map<std::string, std::size_t> key_of_secret;
    for (const auto& settings : options.workspaces) {
      workspaces.push_back(workspace{settings, {}});
      if (settings.signing_secret.empty()) continue;
      const auto [it, fresh] = key_of_secret.try_emplace(settings.signing_secret, signing_keys.size());
      if (fresh) signing_keys.push_back(signing_key{hmac_sha256(settings.signing_secret), {}});
      signing_keys[it->second].teams.insert(settings.team_id);
    }
  }

  static http_client_options client_options(const slack_adapter_options& options) {
    http_client_options o;
    o.extra_ca_file = options.extra_ca_file;
    o.timeout = options.request_timeout;
    return o;
  }

  // --- small helpers -------------------------------------------------------------------------

  time_point now() const {
    return options.clock ? options.clock() : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  }

  void log(std::string_view level, const std::string& message) const {
    if (options.log) options.log(level, message);
  }

  template <typename F>
  void on_strand(F&& f) {
    asio::post(strand, std::forward<F>(f));
  }

  workspace* find_workspace(std::string_view team_id) {
    const auto it = std::ranges::find_if(workspaces, [&](const workspace& w) { return w.settings.team_id == team_id; });
    return it == workspaces.end() ? nullptr : &*it;
  }

  void update_health() {
    std::string text;
    for (const workspace& w : workspaces) {
      if (!w.auth_failure.empty())
        text += (text.empty() ? "" : ", ") + w.auth_failure + " (" + w.settings.team_id + ")";
    }
    const std::lock_guard lock(health_mutex);
    auth_failures = text;
  }

  /// What health() says; thread-safe (the sockets are all created before anything runs).
  std::string health() const {
    std::string text;
    {
      const std::lock_guard lock(health_mutex);
      text = auth_failures;
    }
    for (const auto& connection : sockets) {
      if (!connection->connected()) {
        text += std::string(text.empty() ? "" : ", ") + "socket mode disconnected (" + connection->team_id() + ")";
      }
    }
    return text.empty() ? "ok" : text;
  }

  // --- inbound: verification -------------------------------------------------------------------

  /// The workspaces whose signing secret signed `request`, or the reason for a 401.
  std::variant<std::set<std::string>, std::string> verify(const http_request& request) {
    const auto timestamp = request.header("x-slack-request-timestamp");
    const auto signature = request.header("x-slack-signature");
    if (const auto problem = check_signature_headers(timestamp, signature, now()); problem != signature_problem::none) {
      return std::string(to_string(problem));
    }
    std::set<std::string> teams;
    for (signing_key& key : signing_keys) {  // one HMAC per distinct secret
      if (signature_matches(key.mac, *timestamp, request.body, *signature)) teams.insert(key.teams.begin(), key.teams.end());
    }
    if (teams.empty()) return std::string("signature mismatch");
    return teams;
  }

  /// The configured workspace `team_id` when `verified` allows it; otherwise logs why not.
  workspace* verified_workspace(const std::string& team_id, const std::set<std::string>& verified) {
    workspace* w = find_workspace(team_id);
    if (w == nullptr || !verified.contains(team_id)) {
      log("warn", "slack: a request from workspace " + team_id +
                      " is ignored: that workspace is not configured (or signed with another workspace's secret)");
      return nullptr;
    }
    return w;
  }

  // --- inbound: the three endpoints --------------------------------------------------------------

  void on_events(const http_request& request, const http_respond& respond) {
    auto verified = verify(request);
    if (auto* reason = std::get_if<std::string>(&verified)) {
      respond(refused(401, *reason));
      return;
    }
    auto envelope = parse_event_envelope(request.body);
    if (auto* error = std::get_if<wire_error>(&envelope)) {
      respond(refused(400, error->reason));
      return;
    }
    if (const auto retry = request.header("x-slack-retry-num")) {
      log("debug", "slack: retry " + std::string(*retry) + " of " + std::get<event_envelope>(envelope).event_id);
    }
    handle_envelope(std::get<event_envelope>(envelope), std::get<std::set<std::string>>(verified), respond);
  }

  void handle_envelope(const event_envelope& envelope, const std::set<std::string>& verified,
                       const http_respond& respond) {
    if (envelope.type == "url_verification") {
      respond(json_response(200, json{{"challenge", envelope.challenge}}));
      return;
    }
    if (envelope.type != "event_callback") {
      log(envelope.type == "app_rate_limited" ? "warn" : "debug",
          "slack: " + envelope.type + " from workspace " + envelope.team_id);
      respond(empty_ok());
      return;
    }
    workspace* w = verified_workspace(envelope.team_id, verified);
    if (w == nullptr) {
      respond(empty_ok());  // an error status would make Slack retry, then disable the subscription
      return;
    }
    if (w->settings.bot_user_id.empty() && !envelope.authorized_bot_user.empty()) {
      w->settings.bot_user_id = envelope.authorized_bot_user;
      log("info", "slack: workspace " + w->settings.team_id + " bot user is " + w->settings.bot_user_id);
    }
    auto translated = translate_event(envelope, w->settings.bot_user_id);
    if (auto* error = std::get_if<wire_error>(&translated)) {
      respond(refused(400, error->reason));
      return;
    }
    auto& t = std::get<translated_event>(translated);
    if (!t.event) {
      log("debug", "slack: " + envelope.event_id + " ignored: " + t.ignored);
      respond(empty_ok());
      return;
    }
    // `respond` may be called from any thread: the acknowledgement needs no hop to this strand.
    sink(std::move(*t.event), [respond](bool stored) {
      respond(stored ? empty_ok() : refused(503, "could not store the event; retry"));
    });
  }

  // --- inbound: Socket Mode ---------------------------------------------------------------------

  /// The answer the HTTP path would give, as an envelope acknowledgement: none for a 5xx (Slack
  /// delivers the envelope again), the JSON body as payload, a bare ack otherwise.
  http_respond acknowledging(const std::string& type, socket_mode_ack ack) {
    return [self = shared_from_this(), type, ack = std::move(ack)](http_response response) {
      if (response.status >= 500) return;
      if (response.status >= 400)
        self->log("warn", "slack: a " + type + " envelope was not understood: " + response.body);
      json payload;
      if (response.status < 300 && response.content_type.starts_with("application/json")) {
        payload = json::parse(response.body, nullptr, false);
        if (payload.is_discarded()) payload = nullptr;
      }
      ack(std::move(payload));
    };
  }

  void on_socket_envelope(const socket_message& message, const std::string& team, const socket_mode_ack& ack) {
    const std::set<std::string> verified{team};
    const http_respond respond = acknowledging(message.type, ack);
    if (message.type == "events_api") {
      auto envelope = event_envelope_from_json(message.payload);
      if (auto* error = std::get_if<wire_error>(&envelope)) return respond(refused(400, error->reason));
      handle_envelope(std::get<event_envelope>(envelope), verified, respond);
    } else if (message.type == "slash_commands") {
      auto command = slash_command_from_json(message.payload);
      if (auto* error = std::get_if<wire_error>(&command)) return respond(refused(400, error->reason));
      handle_command(std::get<slash_command>(command), verified, respond);
    } else if (message.type == "interactive") {
      auto what = interaction_from_json(message.payload);
      if (auto* error = std::get_if<wire_error>(&what)) return respond(refused(400, error->reason));
      handle_interaction(std::get<interaction>(what), verified, respond);
    } else {
      log("debug", "slack: socket mode envelope of type " + message.type + " ignored");
      ack(nullptr);
    }
  }

  /// Creates a Socket Mode connection for each workspace with an app token (started by start()).
  void create_sockets() {
    for (const workspace& w : workspaces) {
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
          self->on_strand([self, team, message = std::move(message), ack = std::move(ack)] {
            self->on_socket_envelope(message, team, ack);
          });
        }
      };
      sockets.push_back(std::make_unique<socket_mode_connection>(io, client, std::move(o)));
    }
  }

  // --- inbound: slash commands and interactivity over HTTP ------------------------------------------

  void on_commands(const http_request& request, const http_respond& respond) {
    if (is_ssl_check(request.body)) {
      respond(empty_ok());
      return;
    }
    auto verified = verify(request);
    if (auto* reason = std::get_if<std::string>(&verified)) {
      respond(refused(401, *reason));
      return;
    }
    auto command = parse_slash_command(request.body);
    if (auto* error = std::get_if<wire_error>(&command)) {
      respond(refused(400, error->reason));
      return;
    }
    handle_command(std::get<slash_command>(command), std::get<std::set<std::string>>(verified), respond);
  }

  static bool is_ssl_check(std::string_view body) {
    const auto form = parse_form(body);
    return form && std::ranges::any_of(*form, [](const auto& f) { return f.first == "ssl_check" && f.second == "1"; });
  }

  void handle_command(const slash_command& command, const std::set<std::string>& verified,
                      const http_respond& respond) {
    if (verified_workspace(command.team_id, verified) == nullptr) {
      respond(empty_ok());
      return;
    }
    inbound event = to_inbound(command, now());
    const std::string handle = event.reply_handle;
    auto timer = std::make_shared<asio::steady_timer>(strand);
    pending_commands[handle] = pending_command{respond, timer};
    timer->expires_after(options.command_reply_wait);
    timer->async_wait([self = shared_from_this(), handle](const boost::system::error_code&) {
      self->answer_command(handle, empty_ok());  // no reply in time: a bare ack; replies use the response_url
    });
    // Once stored, the answer waits for the first reply (deliver) or the timer.
    store_then(std::move(event), [self = shared_from_this(), handle](bool stored) {
      if (!stored) self->answer_command(handle, refused(503, "could not store the command; try again"));
    });
  }

  /// Answers a waiting slash command once; later calls do nothing.
  void answer_command(const std::string& handle, http_response response) {
    const auto it = pending_commands.find(handle);
    if (it == pending_commands.end()) return;
    pending_command pending = std::move(it->second);
    pending_commands.erase(it);
    pending.timer->cancel();
    pending.respond(std::move(response));
  }

  void on_interactivity(const http_request& request, const http_respond& respond) {
    auto verified = verify(request);
    if (auto* reason = std::get_if<std::string>(&verified)) {
      respond(refused(401, *reason));
      return;
    }
    auto parsed_interaction = parse_interaction(request.body);
    if (auto* error = std::get_if<wire_error>(&parsed_interaction)) {
      respond(refused(400, error->reason));
      return;
    }
    handle_interaction(std::get<interaction>(parsed_interaction), std::get<std::set<std::string>>(verified), respond);
  }

  void handle_interaction(const interaction& what, const std::set<std::string>& verified, const http_respond& respond) {
    if (const auto* actions = std::get_if<block_actions>(&what.payload)) {
      handle_buttons(*actions, verified, respond);
    } else if (const auto* submission = std::get_if<view_submission>(&what.payload)) {
      handle_submission(*submission, verified, respond);
    } else {
      log("debug", "slack: interaction " + what.type + " ignored");
      respond(empty_ok());
    }
  }

  void handle_buttons(const block_actions& actions, const std::set<std::string>& verified,
                      const http_respond& respond) {
    workspace* w = verified_workspace(actions.team_id, verified);
    const auto press =
        std::ranges::find_if(actions.actions, [](const button_press& p) { return is_answer_button(p.action_id); });
    if (w == nullptr || press == actions.actions.end()) {
      respond(empty_ok());
      return;
    }
    if (asks_for_reason(press->action_id)) {
      respond(empty_ok());
      ask_reason(*w, actions, *press);
      return;
    }
    store_then(to_inbound(actions, *press, now()),
               [self = shared_from_this(), respond, actions, press = *press](bool stored) {
                 if (!stored) {
                   respond(refused(503, "could not store the answer; try again"));
                   return;
                 }
                 respond(empty_ok());
                 if (auto update = answered_message(actions.message, press.block_id, actions.user_id, press.label)) {
                   self->post_response_url(actions.response_url, *update, [](const api_result&) {});
                 }
               });
  }

  /// Opens the reason modal for a button that needs one; when Slack will not open it, asks in
  /// an ephemeral message instead.
  void ask_reason(const workspace& w, const block_actions& actions, const button_press& press) {
    forget_old_messages();
    if (!actions.message.is_null()) {
      kept_messages[actions.trigger_id] =
          kept_message{actions.message, actions.response_url, std::chrono::steady_clock::now()};
      kept_order.push_back(actions.trigger_id);
    }
    const reason_request request{press.value, actions.channel_id, actions.response_url,
                                 press.label, press.block_id,     actions.message.is_null() ? "" : actions.trigger_id};
    call(w, "views.open", json{{"trigger_id", actions.trigger_id}, {"view", reason_modal(request)}},
         [self = shared_from_this(), actions, press](const api_result& result) {
           const auto* error = std::get_if<api_error>(&result);
           if (error == nullptr) return;
           // Without the modal, the bare command goes in: the core's answer asks for the reason.
           self->log("warn",
                     "slack: views.open failed (" + error->describe() + "); sending the command without reason");
           self->store_then(to_inbound(actions, press, self->now()), [](bool) {});
         });
  }

  void handle_submission(const view_submission& submission, const std::set<std::string>& verified,
                         const http_respond& respond) {
    if (submission.callback_id != reason_callback_id || verified_workspace(submission.team_id, verified) == nullptr) {
      respond(empty_ok());
      return;
    }
    auto event = to_inbound(submission, now());
    if (!event) {
      respond(empty_ok());
      return;
    }
    const auto request = reason_request_from_metadata(submission.private_metadata);
    store_then(std::move(*event),
               [self = shared_from_this(), respond, request, user = submission.user_id](bool stored) {
                 if (!stored) {
                   respond(refused(503, "could not store the answer; try again"));
                   return;
                 }
                 respond(empty_ok());  // closes the modal
                 self->show_answer(*request, user);
               });
  }

  /// Shows a reason answer on the message whose button asked for it, when it is still kept.
  void show_answer(const reason_request& request, const std::string& user) {
    const auto kept = kept_messages.find(request.original);
    if (kept == kept_messages.end()) return;
    if (auto update = answered_message(kept->second.message, request.block_id, user, request.label)) {
      post_response_url(kept->second.response_url, *update, [](const api_result&) {});
    }
    kept_messages.erase(kept);
  }

  void forget_old_messages() {
    const auto now_steady = std::chrono::steady_clock::now();
    while (!kept_order.empty()) {
      const auto it = kept_messages.find(kept_order.front());
      if (it != kept_messages.end() && kept_order.size() <= kept_originals &&
          now_steady - it->second.kept_at < original_lifetime) {
        break;
      }
      if (it != kept_messages.end()) kept_messages.erase(it);
      kept_order.pop_front();
    }
  }

  /// Hands `event` to the sink; `then(stored)` runs on the strand.
  void store_then(inbound event, std::function<void(bool)> then) {
    sink(std::move(event), [self = shared_from_this(), then = std::move(then)](bool stored) {
      self->on_strand([then, stored] { then(stored); });
    });
  }

  // --- outbound ----------------------------------------------------------------------------------

  void call(const workspace& w, const std::string& method, const json& body, std::function<void(api_result)> done) {
    client_request request;
    request.method = "POST";
    request.url = options.api_base_url + method;
    request.headers = {{"Authorization", "Bearer " + w.settings.bot_token},
                       {"Content-Type", "application/json; charset=utf-8"}};
    request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    client.send(std::move(request), [self = shared_from_this(), done = std::move(done)](client_result result) {
      self->on_strand([self, result = std::move(result), done] { done(self->read_result(result, false)); });
    });
  }

  /// A Web API call with a form body: users.info does not read JSON bodies.
  void call_form(const workspace& w, const std::string& method, std::string form,
                 std::function<void(api_result)> done) {
    client_request request;
    request.method = "POST";
    request.url = options.api_base_url + method;
    request.headers = {{"Authorization", "Bearer " + w.settings.bot_token},
                       {"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = std::move(form);
    client.send(std::move(request), [self = shared_from_this(), done = std::move(done)](client_result result) {
      self->on_strand([self, result = std::move(result), done] { done(self->read_result(result, false)); });
    });
  }

  void post_response_url(const std::string& url, const json& body, std::function<void(api_result)> done) {
    client_request request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Content-Type", "application/json; charset=utf-8"}};
    request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    client.send(std::move(request), [self = shared_from_this(), done = std::move(done)](client_result result) {
      self->on_strand([self, result = std::move(result), done] {
        api_result read = self->read_result(result, true);
        if (const auto* error = std::get_if<api_error>(&read)) {
          self->log("warn", "slack: response_url answered " + error->describe());
        }
        done(std::move(read));
      });
    });
  }

  api_result read_result(const client_result& result, bool response_url) const {
    if (const auto* error = std::get_if<client_error>(&result)) return api_error{error->message, 0, {}, std::nullopt};
    const auto& response = std::get<client_response>(result);
    std::optional<std::chrono::seconds> retry_after;
    if (const auto header = response.header("retry-after")) retry_after = parse_retry_after(*header, now());
    return response_url ? read_response_url_answer(response.status, retry_after, response.body)
                        : read_api_response(response.status, retry_after, response.body);
  }

  /// Reports a failed Web API call: stops the workspace on an auth failure, slows the channel on
  /// a rate limit.
  delivery_result failure(workspace& w, const std::string& channel, const api_error& error) {
    if (is_auth_failure(error) && w.auth_failure.empty()) {
      w.auth_failure = error.code;
      update_health();
      log("error", "slack: workspace " + w.settings.team_id + " refused the bot token (" + error.code +
                       "); no more messages are sent to it until Tandem restarts with a working token");
    }
    if (error.retry_after && !channel.empty()) {
      auto& slot = next_slot[w.settings.team_id + ":" + channel];
      slot = std::max(slot, std::chrono::steady_clock::now() + *error.retry_after);
    }
    if (error.code == "channel_not_found" && channel.starts_with('D')) {
      std::erase_if(dm_channels, [&](const auto& entry) { return entry.second == channel; });
    }
    return to_delivery_result(error);
  }

  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done) {
    if (stopping) {
      done(delivery_result::retry("stopping"));
      return;
    }
    workspace* w = find_workspace(to.workspace);
    if (w == nullptr) {
      done(delivery_result::failed("workspace " + to.workspace + " is not configured"));
      return;
    }
    if (!w->auth_failure.empty()) {
      done(delivery_result::failed(w->auth_failure));
      return;
    }
    if (time_zones) time_zones->noticed(to.workspace, to.user);
    json body = message_body(message, short_hash(key));
    const std::string& handle = to.reply_handle;
    if (handle.starts_with(response_url_handle)) {
      body["response_type"] = "ephemeral";
      if (pending_commands.contains(handle)) {
        answer_command(handle, json_response(200, body));
        done(delivery_result::delivered());
        return;
      }
      reply_by_response_url(*w, to, handle.substr(response_url_handle.size()), std::move(body), std::move(done));
      return;
    }
    if (handle.starts_with(thread_handle)) body["thread_ts"] = handle.substr(thread_handle.size());
    if (to.conversation.empty()) {
      with_dm(*w, to.user,
              [self = shared_from_this(), w, body = std::move(body),
               done](std::variant<std::string, api_error> channel) mutable {
                if (auto* error = std::get_if<api_error>(&channel)) {
                  done(self->failure(*w, "", *error));
                  return;
                }
                self->post_message(*w, std::get<std::string>(channel), std::move(body), std::move(done));
              });
      return;
    }
    post_message(*w, to.conversation, std::move(body), std::move(done));
  }

  void reply_by_response_url(workspace& w, const destination& to, const std::string& url, json body,
                             std::function<void(delivery_result)> done) {
    post_response_url(url, body, [self = shared_from_this(), &w, to, body, done](const api_result& result) mutable {
      const auto* error = std::get_if<api_error>(&result);
      if (error == nullptr) {
        done(delivery_result::delivered());
        return;
      }
      if (error->status < 400 || error->status >= 500 || error->status == 429) {
        done(to_delivery_result(*error));
        return;
      }
      // The response_url is spent (30 minutes, 5 uses): an ephemeral message does the same.
      body.erase("response_type");
      body["channel"] = to.conversation;
      body["user"] = to.user;
      self->paced(w, to.conversation, [self, &w, to, body, done]() mutable {
        self->call(w, "chat.postEphemeral", body, [self, &w, to, done](const api_result& answer) {
          if (const auto* failed = std::get_if<api_error>(&answer)) {
            done(self->failure(w, to.conversation, *failed));
          } else {
            done(delivery_result::delivered());
          }
        });
      });
    });
  }

  void post_message(workspace& w, const std::string& channel, json body, std::function<void(delivery_result)> done) {
    body["channel"] = channel;
    paced(w, channel,
          [self = shared_from_this(), &w, channel, body = std::move(body), done = std::move(done)]() mutable {
            if (!w.auth_failure.empty()) {
              done(delivery_result::failed(w.auth_failure));
              return;
            }
            self->call(w, "chat.postMessage", body, [self, &w, channel, done](const api_result& result) {
              if (const auto* error = std::get_if<api_error>(&result)) {
                done(self->failure(w, channel, *error));
              } else {
                done(delivery_result::delivered());
              }
            });
          });
  }

  /// Runs `send` when the channel's next slot comes: at most one message per channel_interval.
  void paced(const workspace& w, const std::string& channel, std::function<void()> send) {
    const auto now_steady = std::chrono::steady_clock::now();
    if (next_slot.size() > 10000)
      std::erase_if(next_slot, [&](const auto& entry) { return entry.second < now_steady; });
    auto& slot = next_slot[w.settings.team_id + ":" + channel];
    const auto at = std::max(slot, now_steady);
    slot = at + options.channel_interval;
    if (at <= now_steady) {
      send();
      return;
    }
    run_at(at, std::move(send));
  }

  /// The DM channel with `user`, opened with conversations.open unless already known.
  void with_dm(workspace& w, const std::string& user, std::function<void(std::variant<std::string, api_error>)> then) {
    const auto key = std::make_pair(w.settings.team_id, user);
    if (const auto it = dm_channels.find(key); it != dm_channels.end()) {
      then(it->second);
      return;
    }
    call(w, "conversations.open", json{{"users", user}},
         [self = shared_from_this(), key, then](const api_result& result) {
           if (const auto* error = std::get_if<api_error>(&result)) {
             then(*error);
             return;
           }
           const json& answer = std::get<json>(result);
           const std::string channel = answer.contains("channel") && answer["channel"].is_object()
                                           ? answer["channel"].value("id", "")
                                           : std::string{};
           if (channel.empty()) {
             then(api_error{{}, 200, "malformed_response", std::nullopt});
             return;
           }
           self->dm_channels[key] = channel;
           then(channel);
         });
  }

  // --- time zones (users.info) ---------------------------------------------------------------------

  /// Creates the users.info lookup when the options ask for one (after the state is shared). Every
  /// event handed to the sink is noticed by it: a lookup in memory, nothing more on that path.
  void create_time_zone_lookup() {
    if (options.time_zones == nullptr) return;
    std::set<std::string, std::less<>> teams;
    for (const workspace& w : workspaces) teams.insert(w.settings.team_id);
    slack::time_zone_lookup_hooks hooks;
    const std::weak_ptr<state> weak = weak_from_this();  // the lookup belongs to this state
    hooks.call = [weak](const std::string& team, std::string form, std::function<void(api_result)> done) {
      if (auto self = weak.lock()) self->call_users_info(team, std::move(form), std::move(done));
    };
    hooks.after = [weak](std::chrono::milliseconds delay, std::function<void()> f) {
      if (auto self = weak.lock()) self->run_after(delay, std::move(f));
    };
    hooks.post = [weak](std::function<void()> f) {
      if (auto self = weak.lock()) {
        self->on_strand([self, f = std::move(f)] {
          if (!self->stopping) f();
        });
      }
    };
    hooks.log = options.log;
    slack::time_zone_lookup_options o;
    o.interval = options.lookup_interval;
    o.retry = options.lookup_retry;
    time_zones = std::make_unique<slack::time_zone_lookup>(*options.time_zones, std::move(teams), std::move(hooks), o);
    sink = [lookup = time_zones.get(), inner = std::move(sink)](inbound event, std::function<void(bool)> stored) {
      lookup->noticed(event.sender.workspace, event.sender.user);
      inner(std::move(event), std::move(stored));
    };
  }

  void call_users_info(const std::string& team, std::string form, std::function<void(api_result)> done) {
    workspace* w = find_workspace(team);
    if (w == nullptr || !w->auth_failure.empty()) {
      done(api_error{{}, 200, w == nullptr ? "workspace_not_configured" : w->auth_failure, std::nullopt});
      return;
    }
    call_form(*w, "users.info", std::move(form), [self = shared_from_this(), w, done](const api_result& result) {
      if (const auto* error = std::get_if<api_error>(&result); error != nullptr && is_auth_failure(*error)) {
        self->failure(*w, "", *error);
      }
      done(result);
    });
  }

  /// Runs `f` on the strand after `delay`, unless the adapter stops first.
  void run_after(std::chrono::milliseconds delay, std::function<void()> f) {
    run_at(std::chrono::steady_clock::now() + delay, std::move(f));
  }

  /// Runs `f` on the strand at `at`, unless the adapter stops first.
  void run_at(std::chrono::steady_clock::time_point at, std::function<void()> f) {
    auto timer = std::make_shared<asio::steady_timer>(strand, at);
    timers.insert(timer);
    timer->async_wait([self = shared_from_this(), timer, f = std::move(f)](const boost::system::error_code& ec) {
      self->timers.erase(timer);
      if (ec || self->stopping) return;
      f();
    });
  }

  // --- start and stop ------------------------------------------------------------------------------

  void start() {
    for (workspace& w : workspaces) {
      call(w, "auth.test", json::object(), [self = shared_from_this(), &w](const api_result& result) {
        if (const auto* error = std::get_if<api_error>(&result)) {
          if (is_auth_failure(*error)) {
            self->failure(w, "", *error);
          } else {
            self->log("warn", "slack: auth.test for workspace " + w.settings.team_id + " failed: " + error->describe());
          }
          return;
        }
        const json& answer = std::get<json>(result);
        const std::string team = answer.value("team_id", "");
        if (!team.empty() && team != w.settings.team_id) {
          self->log("error", "slack: the bot token configured for workspace " + w.settings.team_id +
                                 " belongs to workspace " + team);
        }
        if (w.settings.bot_user_id.empty()) w.settings.bot_user_id = answer.value("user_id", "");
        self->log("info",
                  "slack: workspace " + w.settings.team_id + " ready (bot user " + w.settings.bot_user_id + ")");
      });
    }
    for (const auto& connection : sockets) connection->start();
    if (time_zones) time_zones->start();
  }

  void stop() {
    stopping = true;
    if (time_zones) time_zones->stop();
    for (const auto& connection : sockets) connection->stop();
    for (const auto& timer : timers) timer->cancel();
    timers.clear();
    std::vector<std::string> handles;
    for (const auto& [handle, pending] : pending_commands) handles.push_back(handle);
    for (const auto& handle : handles) answer_command(handle, empty_ok());
    client.cancel_all();
  }

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  slack_adapter_options options;
  inbound_sink sink;
  http_client client;
  std::vector<workspace> workspaces;
  std::vector<signing_key> signing_keys;  ///< one per distinct signing secret of `workspaces`
  std::map<std::string, pending_command> pending_commands;  ///< by reply handle
  std::map<std::string, kept_message> kept_messages;        ///< by the button's trigger_id
  std::deque<std::string> kept_order;
  std::map<std::pair<std::string, std::string>, std::string> dm_channels;  ///< (team, user) -> D…
  std::map<std::string, std::chrono::steady_clock::time_point> next_slot;  ///< "team:channel" -> free from
  std::set<std::shared_ptr<asio::steady_timer>> timers;
  std::vector<std::unique_ptr<socket_mode_connection>> sockets;
  std::unique_ptr<slack::time_zone_lookup> time_zones;  ///< users.info; none without options.time_zones
  bool stopping = false;
  mutable std::mutex health_mutex;
  std::string auth_failures;  ///< behind health_mutex: "invalid_auth (T1)", or empty
};

slack_adapter::slack_adapter(asio::io_context& io, slack_adapter_options options, inbound_sink sink)
    : state_(std::make_shared<state>(io, std::move(options), std::move(sink))) {
  state_->create_sockets();
  state_->create_time_zone_lookup();
}

slack_adapter::~slack_adapter() = default;

void slack_adapter::add_routes(http_server& server) {
  const auto route = [&server, self = state_](const std::string& path,
                                              void (state::*handler)(const http_request&, const http_respond&)) {
    server.route("POST", path, [self, handler](http_request request, http_respond respond) {
      self->on_strand([self, handler, request = std::move(request), respond = std::move(respond)] {
        ((*self).*handler)(request, respond);
      });
    });
  };
  route("/slack/events", &state::on_events);
  route("/slack/commands", &state::on_commands);
  route("/slack/interactivity", &state::on_interactivity);
}

void slack_adapter::start() {
  state_->on_strand([self = state_] { self->start(); });
}

void slack_adapter::stop() {
  state_->on_strand([self = state_] { self->stop(); });
}

std::string slack_adapter::health() const { return state_->health(); }

void slack_adapter::deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
                            std::function<void(delivery_result)> done) {
  state_->on_strand([self = state_, to, message, idempotency_key, done = std::move(done)]() mutable {
    self->deliver(to, message, idempotency_key, std::move(done));
  });
}

}  // namespace tandem
