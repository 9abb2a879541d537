#include "adapters/webhook/webhook_adapter.h"

#include "adapters/http/hmac.h"
#include "adapters/http/http_client.h"
#include "adapters/webhook/webhook_inbound.h"
#include "adapters/webhook/webhook_signing.h"
#include "core/markup.h"

#include <openssl/rand.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

namespace tandem {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace webhook;

namespace {

constexpr std::string_view wait_handle = "wait:";
constexpr std::string_view link_key_setting = "webhook.link_key";
constexpr std::string_view link_used_prefix = "webhook.link_used.";
constexpr std::string_view parts_prefix = "webhook.parts.";

http_response refused(unsigned status, std::string_view reason) {
  return text_response(status, std::string(reason) + "\n");
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// A small self-contained HTML page; `body_html` is already escaped.
http_response page(unsigned status, std::string_view title, const std::string& body_html) {
  http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.headers = {{"Cache-Control", "no-store"}, {"Referrer-Policy", "no-referrer"}};
  r.body =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>Tandem: " +
      html_escape(title) +
      "</title></head>\n<body style=\"font-family:sans-serif;max-width:36em;margin:2em auto\">\n<h1>" +
      html_escape(title) + "</h1>\n" + body_html + "\n</body></html>\n";
  return r;
}

/// The text of a reply for a Mattermost or Rocket.Chat answer body.
std::string reply_text(request_style style, const rendered_message& message) {
  const std::string markup = markup_with_answers(message, {});
  return style == request_style::rocketchat ? mrkdwn_from_markup(markup) : markdown_from_markup(markup);
}

std::string with_wait(const std::string& url) {
  if (url.find("wait=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?wait=true" : "&wait=true");
}

/// Discord's 429 body `{"retry_after": 2.5, ...}` (seconds), rounded up; nothing without one.
std::optional<std::chrono::seconds> retry_after_in_body(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("retry_after") || !j["retry_after"].is_number()) return std::nullopt;
  const double seconds = j["retry_after"].get<double>();
  if (seconds < 0 || seconds > 86400) return std::nullopt;
  return std::chrono::seconds{static_cast<std::chrono::seconds::rep>(std::ceil(seconds))};
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) throw std::runtime_error("no random bytes");
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : buffer) {
    out += digits[b >> 4U];
    out += digits[b & 15U];
  }
  return out;
}

}  // namespace

std::string_view to_string(webhook_channel_kind kind) {
  switch (kind) {
    case webhook_channel_kind::incoming: return "incoming";
    case webhook_channel_kind::mattermost: return "mattermost";
    case webhook_channel_kind::rocketchat: return "rocketchat";
    case webhook_channel_kind::signed_json: return "signed";
  }
  return "incoming";
}

/// Everything the adapter holds, shared with its pending operations. Used on `strand` only.
struct webhook_adapter::state : std::enable_shared_from_this<webhook_adapter::state> {
  /// How a request waiting for its reply wants the reply.
  enum class answer_style { mattermost_outgoing, mattermost_command, rocketchat, signed_json, link_page };

  /// A request whose HTTP answer waits for its first reply.
  struct pending_request {
    http_respond respond;
    answer_style style = answer_style::signed_json;
    std::string command;  ///< link pages: what was sent, shown when no reply comes in time
    std::shared_ptr<asio::steady_timer> timer;
  };

  state(asio::io_context& io_context, webhook_adapter_options options_, inbound_sink sink_, adapter_state& durable_)
      : strand(asio::make_strand(io_context)),
        options(std::move(options_)),
        sink(std::move(sink_)),
        durable(durable_),
        client(io_context, client_options(options)) {
    while (options.public_url.ends_with('/')) options.public_url.pop_back();
  }

  static http_client_options client_options(const webhook_adapter_options& options) {
    http_client_options o;
    o.extra_ca_file = options.extra_ca_file;
    o.timeout = options.request_timeout;
    return o;
  }

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

  const webhook_channel_settings* find_channel(std::string_view name) const {
    const auto it = std::ranges::find_if(options.channels, [&](const auto& c) { return c.name == name; });
    return it == options.channels.end() ? nullptr : &*it;
  }

  /// The key that signs links: the configured one, else the one kept in the adapter state
  /// (made on first use).
  const std::string& link_key() {
    if (!options.link_key.empty()) return options.link_key;
    if (auto kept = durable.get(link_key_setting)) {
      options.link_key = *kept;
    } else {
      options.link_key = random_hex(32);
      durable.put(link_key_setting, options.link_key);
    }
    return options.link_key;
  }

  /// True when `token` is one of the channel's; every one is compared, in constant time.
  static bool knows_token(const webhook_channel_settings& channel, std::string_view token) {
    bool known = false;
    for (const std::string& mine : channel.tokens) known = equal_in_constant_time(token, mine) || known;
    return known;
  }

  // --- inbound: POST /webhook/{name} -------------------------------------------------------------

  void on_webhook(const http_request& request, const http_respond& respond) {
    const std::string name = request.path.substr(std::string_view("/webhook/").size());
    const webhook_channel_settings* channel = find_channel(name);
    if (channel == nullptr || name.empty()) {
      respond(refused(404, "unknown webhook \"" + name + "\""));
      return;
    }
    if (request.method == "GET" && channel->kind != webhook_channel_kind::mattermost) {
      respond(refused(405, "webhook \"" + name + "\" takes POST"));
      return;
    }
    parse_result parsed = malformed_request{};
    switch (channel->kind) {
      case webhook_channel_kind::incoming:
        respond(refused(404, "webhook \"" + name + "\" only posts; it does not accept requests"));
        return;
      case webhook_channel_kind::mattermost: parsed = parse_mattermost(request); break;
      case webhook_channel_kind::rocketchat: parsed = parse_rocketchat(request); break;
      case webhook_channel_kind::signed_json: {
        // The signature covers the raw bytes: checked before anything parses them.
        if (auto problem = check_request_signature(channel->secret, request.header(timestamp_header),
                                                   request.header(signature_header), request.body, now())) {
          respond(refused(401, *problem));
          return;
        }
        parsed = parse_signed(request.body);
        break;
      }
    }
    if (const auto* error = std::get_if<malformed_request>(&parsed)) {
      respond(refused(400, error->reason));
      return;
    }
    parsed_request& r = std::get<parsed_request>(parsed);
    if (channel->kind != webhook_channel_kind::signed_json && !knows_token(*channel, r.token)) {
      respond(refused(401, r.token.empty() ? "missing token" : "bad token"));
      return;
    }
    if (r.text.empty() && r.command) {
      respond(refused(400, "empty command text"));
      return;
    }
    inbound event;
    event.dedup_key =
        "webhook:" + channel->name + ":" + (r.event_id.empty() ? "request:" + random_hex(16) : r.event_id);
    event.sender = identity{"webhook", channel->name, r.user};
    event.conversation = r.conversation.empty() ? channel->name : r.conversation;
    event.addressed = r.command;
    event.kind = r.command ? inbound_kind::command : inbound_kind::message;
    event.text = r.text;
    event.at = now();
    const answer_style style = r.style == request_style::mattermost_outgoing  ? answer_style::mattermost_outgoing
                               : r.style == request_style::mattermost_command ? answer_style::mattermost_command
                               : r.style == request_style::rocketchat         ? answer_style::rocketchat
                                                                              : answer_style::signed_json;
    if (!r.command) {
      // A plain message (an outgoing webhook without trigger word) expects no reply.
      store_then(std::move(event), [respond, style](bool stored) {
        respond(stored ? acknowledgement(style) : refused(503, "could not store the message; try again"));
      });
      return;
    }
    wait_for_reply(std::move(event), respond, style, r.response_url, "");
  }

  /// Stores `event` (its reply handle names a waiting request), runs `after_store`, then answers
  /// `respond` with the first reply, or the acknowledgement when none comes in time, or 503 when
  /// not stored.
  void wait_for_reply(inbound event, const http_respond& respond, answer_style style, const std::string& response_url,
                      const std::string& command, std::function<void(bool stored)> after_store = {}) {
    // Random, not a counter: reply handles outlive the process in the outbox, and a reply
    // from before a restart must never answer a new request.
    const std::string id = random_hex(12);
    event.reply_handle = std::string(wait_handle) + id + (response_url.empty() ? "" : " " + response_url);
    const std::string handle = event.reply_handle;
    auto timer = std::make_shared<asio::steady_timer>(strand);
    pending[handle] = pending_request{respond, style, command, timer};
    store_then(std::move(event),
               [self = shared_from_this(), handle, after_store = std::move(after_store)](bool stored) {
                 if (after_store) after_store(stored);
                 if (!stored) {
                   self->answer_pending(handle, self->not_stored(handle));
                   return;
                 }
                 const auto it = self->pending.find(handle);
                 if (it == self->pending.end()) return;  // the reply came first
                 it->second.timer->expires_after(self->options.command_reply_wait);
                 it->second.timer->async_wait([self, handle](const boost::system::error_code& error) {
                   if (error) return;
                   self->answer_pending(handle, self->late_answer(handle));
                 });
               });
  }

  void store_then(inbound event, std::function<void(bool)> then) {
    sink(std::move(event), [self = shared_from_this(), then = std::move(then)](bool stored) {
      self->on_strand([then, stored] { then(stored); });
    });
  }

  static http_response acknowledgement(answer_style style) {
    if (style == answer_style::signed_json) return json_response(200, json{{"stored", true}, {"reply", nullptr}});
    return text_response(200, "");
  }

  http_response not_stored(const std::string& handle) const {
    const auto it = pending.find(handle);
    if (it != pending.end() && it->second.style == answer_style::link_page) {
      return page(503, "Not recorded yet",
                  "<p>Tandem could not record your answer just now. Please try again in a "
                  "minute: the link still works.</p>");
    }
    return refused(503, "could not store the request; try again");
  }

  /// The answer when no reply came in time: the reply then goes elsewhere.
  http_response late_answer(const std::string& handle) const {
    const auto it = pending.find(handle);
    if (it == pending.end() || it->second.style != answer_style::link_page) {
      return acknowledgement(it == pending.end() ? answer_style::signed_json : it->second.style);
    }
    return page(200, "Recorded", "<p>Tandem recorded <code>" + html_escape(it->second.command) + "</code>.</p>");
  }

  /// Answers a waiting request once; later calls do nothing.
  void answer_pending(const std::string& handle, http_response response) {
    const auto it = pending.find(handle);
    if (it == pending.end()) return;
    pending_request waiting = std::move(it->second);
    pending.erase(it);
    waiting.timer->cancel();
    waiting.respond(std::move(response));
  }

  static http_response reply_answer(const pending_request& waiting, const rendered_message& message) {
    switch (waiting.style) {
      case answer_style::mattermost_outgoing:
        return json_response(
            200, json{{"text", reply_text(request_style::mattermost_outgoing, message)}, {"response_type", "comment"}});
      case answer_style::mattermost_command:
        return json_response(200, json{{"text", reply_text(request_style::mattermost_command, message)},
                                       {"response_type", "ephemeral"}});
      case answer_style::rocketchat:
        return json_response(200, json{{"text", reply_text(request_style::rocketchat, message)}});
      case answer_style::signed_json:
        return json_response(200, json{{"stored", true},
                                       {"reply", json{{"markup", markup_with_answers(message, {})},
                                                      {"text", markup_to_plain(markup_with_answers(message, {}))}}}});
      case answer_style::link_page: break;
    }
    std::string body = "<p>Tandem recorded <code>" + html_escape(waiting.command) +
                       "</code> and answered:</p>\n<pre style=\"white-space:pre-wrap\">" +
                       html_escape(markup_to_plain(message.markup)) + "</pre>";
    return page(200, "Recorded", body);
  }

  // --- one-click links: GET and POST /act/{token} --------------------------------------------------

  /// The link a request names, or the page that refuses it.
  std::variant<action_link, http_response> link_of(const http_request& request) {
    const std::string token = request.path.substr(std::string_view("/act/").size());
    auto opened = open_link(token, link_key(), now());
    if (const auto* problem = std::get_if<link_problem>(&opened)) {
      if (*problem == link_problem::expired) {
        return page(410, "This link has expired",
                    "<p>Nothing was changed. Answer in chat instead, or ask for a new message.</p>");
      }
      return page(403, "This link is not valid", "<p>Nothing was changed. Use a link from a message Tandem sent.</p>");
    }
    action_link link = std::get<action_link>(std::move(opened));
    if (find_channel(link.channel) == nullptr) {
      return page(410, "This link no longer works", "<p>Nothing was changed: its webhook channel is gone.</p>");
    }
    if (in_flight_links.contains(link.nonce) || durable.get(std::string(link_used_prefix) + link.nonce)) {
      return page(409, "This link was already used", "<p>Nothing was changed again: each link works once.</p>");
    }
    return link;
  }

  /// GET shows what the link will do and a button that confirms it (a POST): link previews and
  /// mail scanners fetch links with GET, and must not use up a single-use link.
  void on_link_page(const http_request& request, const http_respond& respond) {
    auto found = link_of(request);
    if (auto* refusal = std::get_if<http_response>(&found)) {
      respond(std::move(*refusal));
      return;
    }
    const action_link& link = std::get<action_link>(found);
    std::string form = "<form method=\"post\">\n<p>Send <code>" + html_escape(link.command) +
                       (link.needs_reason ? " …" : "") + "</code> to Tandem?</p>\n";
    if (link.needs_reason) {
      form += "<p><label>" + html_escape(link.command) +
              " <textarea name=\"reason\" rows=\"3\" cols=\"40\" required></textarea></label></p>\n";
    }
    form += "<p><button type=\"submit\">" + html_escape(link.label) + "</button></p>\n</form>";
    respond(page(200, link.label, form));
  }

  void on_link_confirm(const http_request& request, const http_respond& respond) {
    auto found = link_of(request);
    if (auto* refusal = std::get_if<http_response>(&found)) {
      respond(std::move(*refusal));
      return;
    }
    const action_link link = std::get<action_link>(found);
    std::string command = link.command;
    if (link.needs_reason) {
      const auto form = parse_form(request.body);
      std::string reason;
      if (form) {
        for (const auto& [field, value] : *form) {
          if (field == "reason") reason = value;
        }
      }
      std::erase_if(reason, [](char c) { return c == '\r'; });
      std::replace(reason.begin(), reason.end(), '\n', ' ');
      if (reason.find_first_not_of(' ') == std::string::npos) {
        respond(page(400, "A reason is needed", "<p>Nothing was changed. Go back and write the reason.</p>"));
        return;
      }
      command += " " + reason;
    }
    inbound event;
    event.dedup_key = "webhook:" + link.channel + ":link:" + link.nonce;
    event.sender = identity{"webhook", link.channel, link.user};
    event.direct = true;
    event.addressed = true;
    event.kind = inbound_kind::button;
    event.text = command;
    event.at = now();
    in_flight_links.insert(link.nonce);
    const std::string nonce = link.nonce;
    wait_for_reply(std::move(event), respond, answer_style::link_page, "", command,
                   [self = shared_from_this(), nonce](bool stored) {
                     // Not stored: the link stays usable (the page says to try again).
                     if (stored) self->durable.put(std::string(link_used_prefix) + nonce, "used");
                     self->in_flight_links.erase(nonce);
                   });
  }

  // --- outbound ----------------------------------------------------------------------------------

  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done) {
    if (stopping) {
      done(delivery_result::retry("stopping"));
      return;
    }
    const webhook_channel_settings* channel = find_channel(to.workspace);
    if (channel == nullptr) {
      done(delivery_result::failed("webhook channel " + to.workspace + " is not configured"));
      return;
    }
    if (to.reply_handle.starts_with(wait_handle)) {
      const auto it = pending.find(to.reply_handle);
      if (it != pending.end()) {
        answer_pending(to.reply_handle, reply_answer(it->second, message));
        done(delivery_result::delivered());
        return;
      }
      const auto space = to.reply_handle.find(' ');
      if (space != std::string::npos) {
        reply_by_response_url(*channel, to.reply_handle.substr(space + 1), message, key, std::move(done));
        return;
      }
    }
    post_to_channel(*channel, to, message, key, std::move(done));
  }

  /// A Mattermost slash command's later reply: its response_url, else the channel's URL.
  void reply_by_response_url(const webhook_channel_settings& channel, const std::string& url,
                             const rendered_message& message, const std::string& key,
                             std::function<void(delivery_result)> done) {
    client_request request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Content-Type", "application/json"}};
    request.body =
        json{{"response_type", "ephemeral"}, {"text", reply_text(request_style::mattermost_command, message)}}.dump(
            -1, ' ', false, json::error_handler_t::replace);
    const std::string name = channel.name;
    send(std::move(request), [self = shared_from_this(), name, message, key, done](delivery_result result) mutable {
      const webhook_channel_settings* still = self->find_channel(name);
      if (result.what == delivery_result::outcome::failed && still != nullptr && !still->url.empty()) {
        // The response_url is spent (30 minutes, 5 uses): the channel's URL says it to everyone.
        self->post_to_channel(*still, destination{}, message, key, std::move(done));
        return;
      }
      done(std::move(result));
    });
  }

  void post_to_channel(const webhook_channel_settings& channel, const destination& to, const rendered_message& message,
                       const std::string& key, std::function<void(delivery_result)> done) {
    if (channel.url.empty()) {
      done(delivery_result::failed("webhook channel " + channel.name + " has no url to post to"));
      return;
    }
    std::vector<answer_link> links;
    if (channel.kind == webhook_channel_kind::incoming && !options.public_url.empty() && !to.user.empty()) {
      for (std::size_t i = 0; i < message.answers.size(); ++i) {
        const labelled_answer& a = message.answers[i];
        const action_link link{
            channel.name,      to.user, a.what.command, a.label, a.what.needs_reason, now() + options.link_lifetime,
            link_nonce(key, i)};
        links.push_back({a.label, options.public_url + "/act/" + sign_link(link, link_key())});
      }
    }
    auto parts = std::make_shared<part_sequence>();
    parts->channel = channel.name;
    parts->url = channel.how == dialect::discord ? with_wait(channel.url) : channel.url;
    // A webhook channel is a room: a message meant for one person says whom it is for.
    rendered_message addressed = message;
    if (to.conversation.empty() && !to.person.empty()) {
      addressed.markup = "**" + escape_markup(to.person) + "**: " + message.markup;
    }
    parts->posts = posts_for(channel.how, addressed, links);
    parts->progress_key = std::string(parts_prefix) + link_nonce(key, 0);
    std::size_t first = 0;
    if (parts->posts.size() > 1) {
      if (auto kept = durable.get(parts->progress_key)) {
        std::size_t accepted = 0;
        const auto [end, error] = std::from_chars(kept->data(), kept->data() + kept->size(), accepted);
        if (error == std::errc{} && end == kept->data() + kept->size()) first = std::min(accepted, parts->posts.size());
      }
    }
    post_parts(parts, first, std::move(done));
  }

  /// The posts that carry one message to one channel.
  struct part_sequence {
    std::string channel;
    std::string url;
    std::vector<webhook_post> posts;
    std::string progress_key;  ///< where a multi-part message records how many parts were accepted
  };

  /// Posts parts `index`… in order, each in the channel's next free slot; records each accepted
  /// part of a multi-part message before the next is sent, so a retry resumes after the last
  /// accepted one.
  void post_parts(std::shared_ptr<part_sequence> parts, std::size_t index, std::function<void(delivery_result)> done) {
    if (index >= parts->posts.size()) {
      done(delivery_result::delivered());
      return;
    }
    paced(parts->channel, [self = shared_from_this(), parts, index, done = std::move(done)](bool go) mutable {
      if (!go) {
        done(delivery_result::retry("stopping"));
        return;
      }
      client_request request;
      request.method = "POST";
      request.url = parts->url;
      request.headers = {{"Content-Type", parts->posts[index].content_type}};
      request.body = parts->posts[index].body;
      self->send(std::move(request), [self, parts, index, done = std::move(done)](delivery_result result) mutable {
        if (result.what != delivery_result::outcome::delivered) {
          if (result.retry_after) self->hold_channel(parts->channel, *result.retry_after);
          done(std::move(result));
          return;
        }
        if (parts->posts.size() > 1) self->durable.put(parts->progress_key, std::to_string(index + 1));
        self->post_parts(parts, index + 1, std::move(done));
      });
    });
  }

  /// Runs `send(true)` in the channel's next slot (at most one post per channel_interval, none
  /// while a 429 holds it), or `send(false)` when the adapter stops first.
  void paced(const std::string& channel, std::function<void(bool go)> send) {
    const auto now_steady = std::chrono::steady_clock::now();
    auto& slot = next_slot[channel];
    auto at = std::max(slot, now_steady);
    if (const auto held = held_until.find(channel); held != held_until.end()) {
      // Held on the adapter's clock (the outbox's), so a clock moved in tests moves it too.
      if (held->second > now())
        at = std::max(at, now_steady + (held->second - now()));
      else
        held_until.erase(held);
    }
    slot = at + options.channel_interval;
    if (at <= now_steady) {
      send(true);
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(strand, at);
    timers.insert(timer);
    timer->async_wait([self = shared_from_this(), timer, send = std::move(send)](const boost::system::error_code& ec) {
      self->timers.erase(timer);
      send(!ec && !self->stopping);
    });
  }

  /// After a 429, nothing more goes to the channel before its Retry-After has passed.
  void hold_channel(const std::string& channel, std::chrono::seconds wait) {
    auto& until = held_until[channel];
    until = std::max(until, now() + wait);
  }

  /// Sends one POST and reads its outcome as the outbox needs it.
  void send(client_request request, std::function<void(delivery_result)> done) {
    client.send(std::move(request), [self = shared_from_this(), done = std::move(done)](client_result result) mutable {
      self->on_strand([self, result = std::move(result), done = std::move(done)] { done(self->outcome_of(result)); });
    });
  }

  delivery_result outcome_of(const client_result& result) const {
    if (const auto* error = std::get_if<client_error>(&result)) {
      log("warn", "webhook: " + error->message);
      return delivery_result::retry(error->message);
    }
    const auto& response = std::get<client_response>(result);
    if (response.status == 429) {
      std::optional<std::chrono::seconds> after;
      if (const auto header = response.header("retry-after")) after = parse_retry_after(*header, now());
      if (!after) after = retry_after_in_body(response.body);
      return delivery_result::retry("HTTP 429", after);
    }
    if (response.status >= 500) return delivery_result::retry("HTTP " + std::to_string(response.status));
    if (response.status >= 200 && response.status < 300) {
      // Legacy Teams connectors report throttling in a 200's body.
      if (response.body.find("HTTP error 429") != std::string::npos)
        return delivery_result::retry("HTTP 429 (in the body)");
      return delivery_result::delivered();
    }
    std::string snippet = response.body.substr(0, 200);
    std::ranges::replace(snippet, '\n', ' ');
    return delivery_result::failed("HTTP " + std::to_string(response.status) + (snippet.empty() ? "" : ": " + snippet));
  }

  void stop() {
    stopping = true;
    std::vector<std::string> handles;
    for (const auto& [handle, waiting] : pending) handles.push_back(handle);
    for (const auto& handle : handles) answer_pending(handle, late_answer(handle));
    for (const auto& timer : timers) timer->cancel();
    client.cancel_all();
  }

  asio::strand<asio::io_context::executor_type> strand;
  webhook_adapter_options options;
  inbound_sink sink;
  adapter_state& durable;
  http_client client;
  std::map<std::string, pending_request> pending;                          ///< by reply handle
  std::set<std::string> in_flight_links;                                   ///< nonces of links being recorded
  std::map<std::string, std::chrono::steady_clock::time_point> next_slot;  ///< channel -> free from
  std::set<std::shared_ptr<asio::steady_timer>> timers;                    ///< pacing waits
  std::map<std::string, time_point> held_until;                            ///< channel -> no post before (after a 429)
  bool stopping = false;
};

webhook_adapter::webhook_adapter(asio::io_context& io, webhook_adapter_options options, inbound_sink sink,
                                 adapter_state& durable)
    : state_(std::make_shared<state>(io, std::move(options), std::move(sink), durable)) {}

webhook_adapter::~webhook_adapter() = default;

void webhook_adapter::add_routes(http_server& server) {
  const auto route = [&server, self = state_](const std::string& method, const std::string& path,
                                              void (state::*handler)(const http_request&, const http_respond&)) {
    server.route(method, path, [self, handler](http_request request, http_respond respond) {
      self->on_strand([self, handler, request = std::move(request), respond = std::move(respond)] {
        ((*self).*handler)(request, respond);
      });
    });
  };
  route("POST", "/webhook/*", &state::on_webhook);
  route("GET", "/webhook/*", &state::on_webhook);  // Mattermost slash commands may use GET
  route("GET", "/act/*", &state::on_link_page);
  route("POST", "/act/*", &state::on_link_confirm);
}

void webhook_adapter::start() {
  state_->on_strand([self = state_] {
    if (!self->options.public_url.empty()) return;
    for (const webhook_channel_settings& c : self->options.channels) {
      if (c.kind == webhook_channel_kind::incoming) {
        self->log("warn", "webhook: no public_url: answers in channel " + c.name +
                              " are shown as commands to type, which nobody there can send back");
      }
    }
  });
}

void webhook_adapter::stop() {
  state_->on_strand([self = state_] { self->stop(); });
}

void webhook_adapter::deliver(const destination& to, const rendered_message& message,
                              const std::string& idempotency_key, std::function<void(delivery_result)> done) {
  state_->on_strand([self = state_, to, message, idempotency_key, done = std::move(done)]() mutable {
    self->deliver(to, message, idempotency_key, std::move(done));
  });
}

}  // namespace tandem
