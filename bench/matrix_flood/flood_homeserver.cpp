// A Matrix homeserver for the flood benchmark and the SIGKILL crash test: the part of the
// Client-Server API (v1.19, PROTOCOLS.md B) that a client-mode bot uses, over plain HTTP on
// 127.0.0.1, with a real long-poll (a held /sync returns as soon as an event arrives, which the
// test homeserver of tests/ cannot do: it holds an empty /sync for a fixed time).
//
// One room, one bot account (an access token), people posting into the room:
//   - flood mode "paced" (the benchmark): the room receives `--events` messages, `--batch` at a
//     time: a batch enters the homeserver when the bot has everything before it (a /sync whose
//     `since` is the stream's head), so each /sync carries one batch, not `limited` as long as
//     the bot's filter asks for at least `--batch` events. Then `--commands` commands, one after
//     another (`--gap-ms` after each reply), each timed from entering the homeserver to the
//     bot's reply arriving here.
//   - flood mode "rate" (the crash test): `--events` messages enter at `--rate` per second
//     whatever the bot does, every `--command-every`-th a command; a bot that was down meets a
//     backlog larger than its filter's limit and gets a `limited` timeline (prev_batch), which it
//     must back-fill from /messages, as from Synapse.
// Sends are idempotent per device and path (PROTOCOLS.md B3): a retransmitted txn id answers the
// first event id and creates nothing. Every event the bot sends comes back in its /sync, as from
// a real homeserver.
//
// Output, one JSON object per line on stdout: {"listening": port}, progress lines in rate mode
// ({"served": ...}), {"caught_up": ...} whenever a request finds every event released and
// synced past and every command answered, and {"report": {...}} at the end of paced mode or on "report" from stdin.
// "quit" on stdin (or its end) stops the server. `--events-out FILE` writes the event ids
// people posted (one per line) for the caller to compare with the bot's store.

#include "adapters/http/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

namespace asio = boost::asio;
using nlohmann::json;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view client_api = "/_matrix/client/v3";

struct settings {
  std::string mode = "paced";  // paced | rate
  std::size_t events = 100000;
  std::size_t batch = 1000;
  std::size_t commands = 1000;
  std::size_t command_every = 50;  // rate mode: every n-th event is a command
  double rate = 20000;             // rate mode: events per second
  milliseconds gap{20};            // paced mode: wait after a reply before the next command
  milliseconds settle{500};        // paced mode: wait after the flood before the first command
  std::string user_id = "@tandem:localhost";
  std::string token = "flood-token";
  std::string room_id = "!flood:localhost";
  std::vector<std::string> people{"@ana:localhost", "@emma:localhost"};
  std::size_t guests = 20;  // senders the bot does not know, besides `people`
  std::string events_out;
};

/// One event of the room, serialized once (as a homeserver keeps its events' JSON): `head` is
/// the event without its closing brace, so /sync (no room_id) and /messages (with it) append
/// their own tail.
struct stored_event {
  std::string event_id;
  std::string head;
  steady::time_point entered;
};

double seconds_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

tandem::http_response matrix_error(unsigned status, const std::string& errcode, const std::string& message) {
  return tandem::json_response(status, json{{"errcode", errcode}, {"error", message}});
}

tandem::http_response json_text(unsigned status, std::string body) {
  tandem::http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

/// "s12" or "t12" -> 12; nothing for anything else.
std::optional<std::size_t> position_of(const std::string& token) {
  if (token.size() < 2 || (token[0] != 's' && token[0] != 't')) return std::nullopt;
  char* end = nullptr;
  const auto value = std::strtoull(token.c_str() + 1, &end, 10);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<std::size_t>(value);
}

class flood_homeserver {
 public:
  flood_homeserver(asio::io_context& io, settings s)
      : io_(io), s_(std::move(s)), server_(io, server_options()), release_timer_(io), command_timer_(io) {
    for (const char* method : {"GET", "POST", "PUT"}) {
      server_.route(method, std::string{client_api} + "/*",
                    [this](tandem::http_request request, tandem::http_respond respond) {
                      handle(std::move(request), std::move(respond));
                    });
    }
  }

  /// Paced mode prepares the flood's messages before the bot connects, so that letting a batch
  /// in costs the server nothing but moving them into the stream.
  std::uint16_t start() {
    if (s_.mode == "paced") {
      prepared_.reserve(s_.events);
      for (std::size_t n = 0; n < s_.events; ++n) prepared_.push_back(flood_message(n, false));
    }
    return server_.start();
  }

  void stop() {
    release_timer_.cancel();
    command_timer_.cancel();
    for (auto& w : waiting_) w->timer.cancel();
    server_.stop();
  }

  /// A line from stdin.
  void control(const std::string& line) {
    if (line == "report") {
      print_report();
    } else if (line == "quit") {
      stop();
    }
  }

 private:
  struct waiting_sync {
    std::size_t since = 0;
    std::size_t limit = 10;
    tandem::http_respond respond;
    asio::steady_timer timer;
    bool answered = false;
    waiting_sync(asio::io_context& io, std::size_t since_pos, std::size_t timeline_limit, tandem::http_respond r)
        : since(since_pos), limit(timeline_limit), respond(std::move(r)), timer(io) {}
  };

  static tandem::http_server_options server_options() {
    tandem::http_server_options o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.read_timeout = std::chrono::seconds{120};
    o.body_limit = 1024 * 1024;
    return o;
  }

  // ---- the room's events ----

  std::size_t head() const { return events_.size(); }

  /// An event as this server keeps it (serialized once).
  static stored_event make_event(std::string id, const std::string& sender, const std::string& type,
                                 const json& content) {
    json e{{"type", type},
           {"event_id", id},
           {"sender", sender},
           {"origin_server_ts",
            std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count()},
           {"content", content}};
    std::string text = e.dump();
    text.pop_back();  // the closing brace: each answer adds its own tail
    return stored_event{std::move(id), std::move(text), steady::now()};
  }

  /// Puts `e` at the end of the room's stream, entering now. Positions are 1-based: event n has
  /// the token "s<n>".
  const std::string& append(stored_event e) {
    e.entered = steady::now();
    events_.push_back(std::move(e));
    index_.emplace(events_.back().event_id, events_.size());
    return events_.back().event_id;
  }

  std::string append(const std::string& sender, const std::string& type, const json& content) {
    return append(make_event("$e" + std::to_string(events_.size() + 1) + ":localhost", sender, type, content));
  }

  /// Event `pos` (1-based) as a /sync timeline has it (no room_id), or with the room id.
  void write_event(std::string& out, std::size_t pos, bool with_room, steady::time_point now) const {
    const stored_event& e = events_[pos - 1];
    out += e.head;
    if (with_room) {
      out += ",\"room_id\":";
      out += json(s_.room_id).dump();
    }
    out += ",\"unsigned\":{\"age\":";
    out += std::to_string(std::chrono::duration_cast<milliseconds>(now - e.entered).count());
    out += "}}";
  }

  /// Message number `n` of the flood: who writes it depends on its number; a command comes from
  /// a known person (each gets a reply, "Your open tasks…").
  stored_event flood_message(std::size_t n, bool command) const {
    const std::string id = "$f" + std::to_string(n) + ":localhost";
    if (command) {
      const std::string& sender = s_.people[n % s_.people.size()];
      return make_event(id, sender, "m.room.message", json{{"msgtype", "m.text"}, {"body", "!tandem tasks"}});
    }
    const std::size_t who = n % (s_.people.size() + s_.guests);
    const std::string sender =
        who < s_.people.size() ? s_.people[who] : "@guest" + std::to_string(who - s_.people.size()) + ":localhost";
    return make_event(id, sender, "m.room.message",
                      json{{"msgtype", "m.text"},
                           {"body", "Flood message " + std::to_string(n) +
                                        ": the river survey is on Saturday, bring boots and a notebook."}});
  }

  /// Lets a message people wrote enter the room.
  void post(stored_event e, bool command) {
    const std::string& id = append(std::move(e));
    if (command) commands_.emplace(id, command_state{steady::now(), {}});
    people_events_.push_back(id);
  }

  // ---- the flood ----

  void begin_flood() {
    if (flood_started_) return;
    flood_started_ = true;
    flood_start_ = steady::now();
    cpu_at_flood_start_ = process_cpu_seconds();
    std::cout << json{{"flood_started", true}}.dump() << std::endl;
    if (s_.mode == "rate") {
      last_release_ = steady::now();
      release_by_rate();
    }
  }

  /// Paced mode: the next batch enters when the bot has synced up to the head.
  void release_batch() {
    const std::size_t n = std::min(s_.batch, s_.events - released_);
    for (std::size_t i = 0; i < n; ++i) post(std::move(prepared_[released_ + i]), false);
    released_ += n;
    ++batches_;
  }

  /// Rate mode: events enter at `rate` per second, every `command_every`-th a command.
  void release_by_rate() {
    const auto now = steady::now();
    const double due = seconds_between(flood_start_, now) * s_.rate;
    const auto target = std::min(s_.events, static_cast<std::size_t>(due));
    bool any = false;
    while (released_ < target) {
      const bool command = s_.command_every > 0 && released_ % s_.command_every == s_.command_every - 1;
      post(flood_message(released_, command), command);
      ++released_;
      any = true;
    }
    if (any) wake_syncs();
    if (released_ < s_.events) {
      release_timer_.expires_after(milliseconds{5});
      release_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) release_by_rate();
      });
    }
  }

  /// Paced mode, after the flood: one command at a time.
  void next_command() {
    if (commands_sent_ == s_.commands) {
      commands_end_ = steady::now();
      print_report();
      return;
    }
    ++commands_sent_;
    const std::string& sender = s_.people[commands_sent_ % s_.people.size()];
    current_command_ = "$c" + std::to_string(commands_sent_) + ":localhost";
    post(make_event(current_command_, sender, "m.room.message", json{{"msgtype", "m.text"}, {"body", "!tandem tasks"}}),
         true);
    wake_syncs();
  }

  // ---- requests ----

  void handle(tandem::http_request request, tandem::http_respond respond) {
    const auto auth = request.header("authorization");
    if (!auth) return respond(matrix_error(401, "M_MISSING_TOKEN", "Missing access token"));
    if (*auth != "Bearer " + s_.token) {
      return respond(tandem::json_response(
          401,
          json{{"errcode", "M_UNKNOWN_TOKEN"}, {"error", "Invalid access token passed."}, {"soft_logout", false}}));
    }
    const std::string path = request.path.substr(client_api.size());
    const auto parts = tandem::path_segments(path);
    const std::string& method = request.method;
    if (method == "GET" && path == "/account/whoami") {
      return respond(tandem::json_response(200, json{{"user_id", s_.user_id}, {"device_id", "FLOODDEVICE"}}));
    }
    if (method == "GET" && path == "/sync") return sync(request, std::move(respond));
    if (method == "POST" && parts.size() == 3 && parts[0] == "user" && parts[2] == "filter") {
      if (parts[1] != s_.user_id)
        return respond(matrix_error(403, "M_FORBIDDEN", "Cannot create filters for other users"));
      const json filter = json::parse(request.body, nullptr, false);
      if (!filter.is_object()) return respond(matrix_error(400, "M_NOT_JSON", "Content not JSON."));
      const std::string id = std::to_string(filters_.size() + 1);
      filters_[id] = filter;
      return respond(tandem::json_response(200, json{{"filter_id", id}}));
    }
    if (parts.size() == 4 && parts[0] == "user" && parts[2] == "account_data") {
      if (parts[1] != s_.user_id) return respond(matrix_error(403, "M_FORBIDDEN", "Cannot access other account data"));
      if (method == "GET") {
        const auto it = account_data_.find(parts[3]);
        if (it == account_data_.end()) return respond(matrix_error(404, "M_NOT_FOUND", "Account data not found"));
        return respond(tandem::json_response(200, it->second));
      }
      if (method == "PUT") {
        account_data_[parts[3]] = json::parse(request.body, nullptr, false);
        return respond(tandem::json_response(200, json::object()));
      }
    }
    if (parts.size() >= 3 && parts[0] == "rooms") {
      if (parts[1] != s_.room_id) return respond(matrix_error(403, "M_FORBIDDEN", "You are not in room " + parts[1]));
      if (method == "POST" && parts.size() == 3 && parts[2] == "join") {
        return respond(tandem::json_response(200, json{{"room_id", s_.room_id}}));
      }
      if (method == "GET" && parts.size() == 3 && parts[2] == "messages") return messages(request, std::move(respond));
      if (method == "GET" && parts.size() == 4 && parts[2] == "event") {
        const auto it = index_.find(parts[3]);
        if (it == index_.end()) return respond(matrix_error(404, "M_NOT_FOUND", "Event not found."));
        std::string out;
        write_event(out, it->second, true, steady::now());
        return respond(json_text(200, std::move(out)));
      }
      if (method == "PUT" && parts.size() == 5 && parts[2] == "send") return send(request, parts, std::move(respond));
    }
    respond(matrix_error(404, "M_UNRECOGNIZED", "Unrecognized request"));
  }

  std::size_t timeline_limit_of(const std::string& filter) const {
    json f;
    if (!filter.empty() && filter.front() == '{') {
      f = json::parse(filter, nullptr, false);
    } else if (const auto it = filters_.find(filter); it != filters_.end()) {
      f = it->second;
    }
    // Synapse's default timeline limit when the filter gives none.
    if (!f.is_object() || !f.contains("room") || !f["room"].contains("timeline")) return 10;
    const json& t = f["room"]["timeline"];
    if (!t.contains("limit") || !t["limit"].is_number_integer()) return 10;
    return std::max<std::size_t>(1, t["limit"].get<std::size_t>());
  }

  void sync(const tandem::http_request& request, tandem::http_respond respond) {
    ++syncs_;
    const auto q = [&](const char* key) -> std::string {
      const auto it = request.query.find(key);
      return it == request.query.end() ? std::string{} : it->second;
    };
    const std::size_t limit = timeline_limit_of(q("filter"));
    const std::string since_token = q("since");
    if (since_token.empty()) {
      // The first sync of an account: the latest events and a token; nothing held.
      respond(json_text(200, sync_body(head() > limit ? head() - limit : 0, limit)));
      return;
    }
    const auto since = position_of(since_token);
    if (!since || *since > head()) return respond(matrix_error(400, "M_INVALID_PARAM", "Unknown since token"));
    synced_to_ = std::max(synced_to_, *since);
    last_sync_since_ = *since;
    begin_flood();
    if (s_.mode == "paced") {
      if (*since == head() && released_ < s_.events) {
        release_batch();
      } else if (*since == head() && released_ == s_.events && !flood_end_) {
        // Every flood event is stored and the token after them too: the bot asks for what follows.
        flood_end_ = steady::now();
        cpu_at_flood_end_ = process_cpu_seconds();
        std::cout << json{{"flood_done", seconds_between(flood_start_, *flood_end_)}}.dump() << std::endl;
        command_timer_.expires_after(s_.settle);
        command_timer_.async_wait([this](const boost::system::error_code& ec) {
          if (!ec) next_command();
        });
      }
    }
    check_caught_up();
    if (head() > *since) {
      served(*since);
      return respond(json_text(200, sync_body(*since, limit)));
    }
    const long long asked = std::atoll(q("timeout").c_str());
    auto w = std::make_shared<waiting_sync>(io_, *since, limit, std::move(respond));
    w->timer.expires_after(milliseconds{std::max(0LL, asked)});
    w->timer.async_wait([this, w](const boost::system::error_code&) {
      if (w->answered) return;
      answer_waiting(*w);
    });
    waiting_.push_back(std::move(w));
  }

  void answer_waiting(waiting_sync& w) {
    w.answered = true;
    w.timer.cancel();
    if (head() > w.since) served(w.since);
    w.respond(json_text(200, sync_body(w.since, w.limit)));
    std::erase_if(waiting_, [](const auto& p) { return p->answered; });
  }

  void wake_syncs() {
    auto held = waiting_;
    for (auto& w : held) {
      if (!w->answered && head() > w->since) answer_waiting(*w);
    }
  }

  void served(std::size_t since) {
    if (s_.mode == "rate") {
      std::cout << json{{"served", head()}, {"since", since}, {"released", released_}}.dump() << std::endl;
    }
  }

  /// The /sync answer for a bot at `since`: the events after it, at most `limit` (the latest,
  /// with `limited` and `prev_batch` when there are more, as Synapse answers a backlog).
  std::string sync_body(std::size_t since, std::size_t limit) {
    const std::size_t now_head = head();
    const bool limited = now_head - since > limit;
    const std::size_t first = limited ? now_head - limit + 1 : since + 1;
    if (limited) ++limited_syncs_;
    std::string out;
    out.reserve(256 + (now_head - first + 1) * 300);
    out += "{\"next_batch\":\"s" + std::to_string(now_head) + "\",\"rooms\":{\"join\":{";
    if (now_head > since) {
      out += json(s_.room_id).dump();
      out += ":{\"timeline\":{\"events\":[";
      const auto now = steady::now();
      for (std::size_t pos = first; pos <= now_head; ++pos) {
        if (pos != first) out += ',';
        write_event(out, pos, false, now);
      }
      out += "],\"limited\":";
      out += limited ? "true" : "false";
      out += ",\"prev_batch\":\"t" + std::to_string(first - 1) + "\"},";
      out += "\"state\":{\"events\":[]},\"ephemeral\":{\"events\":[]},\"account_data\":{\"events\":[]},";
      out += "\"unread_notifications\":{\"highlight_count\":0,\"notification_count\":0}}";
    }
    out += "},\"invite\":{},\"leave\":{}},\"account_data\":{\"events\":[]},\"presence\":{\"events\":[]}}";
    return out;
  }

  /// GET /rooms/{roomId}/messages?dir=f&from=..&to=..&limit=..: forwards from a token.
  void messages(const tandem::http_request& request, tandem::http_respond respond) {
    ++messages_requests_;
    const auto q = [&](const char* key) -> std::string {
      const auto it = request.query.find(key);
      return it == request.query.end() ? std::string{} : it->second;
    };
    if (q("dir") != "f") return respond(matrix_error(400, "M_INVALID_PARAM", "this server pages forwards only"));
    const auto from = position_of(q("from"));
    if (!from) return respond(matrix_error(400, "M_INVALID_PARAM", "Unknown from token"));
    const auto to = q("to").empty() ? std::optional<std::size_t>{head()} : position_of(q("to"));
    const std::size_t stop = std::min(head(), to.value_or(head()));
    const std::size_t limit =
        std::clamp<std::size_t>(static_cast<std::size_t>(std::atoll(q("limit").c_str())), 1, 1000);
    std::string out = "{\"start\":" + json(q("from")).dump() + ",\"chunk\":[";
    const auto now = steady::now();
    std::size_t last = *from;
    for (std::size_t pos = *from + 1; pos <= stop && pos - *from <= limit; ++pos) {
      if (pos != *from + 1) out += ',';
      write_event(out, pos, true, now);
      last = pos;
    }
    out += "]";
    if (last != *from) out += ",\"end\":\"t" + std::to_string(last) + "\"";
    out += "}";
    respond(json_text(200, std::move(out)));
  }

  /// PUT /rooms/{roomId}/send/{eventType}/{txnId}: idempotent per device and path.
  void send(const tandem::http_request& request, const std::vector<std::string>& parts, tandem::http_respond respond) {
    const auto arrived = steady::now();
    if (const auto seen = txn_answers_.find(request.path); seen != txn_answers_.end()) {
      ++retransmissions_;
      return respond(tandem::json_response(200, json{{"event_id", seen->second}}));
    }
    const json content = json::parse(request.body, nullptr, false);
    if (!content.is_object()) return respond(matrix_error(400, "M_NOT_JSON", "Content not JSON."));
    const std::string event_id = append(s_.user_id, parts[3], content);
    txn_answers_.emplace(request.path, event_id);
    ++bot_events_;
    if (parts[3] == "m.room.message") {
      std::string reply_to;
      if (const auto rel = content.find("m.relates_to"); rel != content.end() && rel->is_object()) {
        if (const auto r = rel->find("m.in_reply_to"); r != rel->end() && r->is_object()) {
          reply_to = r->value("event_id", "");
        }
      }
      if (const auto c = commands_.find(reply_to); c != commands_.end()) {
        c->second.replies.push_back(event_id);
        if (c->second.replies.size() == 1) {
          latencies_ms_.push_back(std::chrono::duration<double, std::milli>(arrived - c->second.entered).count());
        }
        if (s_.mode == "paced" && reply_to == current_command_ && c->second.replies.size() == 1) {
          command_timer_.expires_after(s_.gap);
          command_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) next_command();
          });
        }
      } else {
        ++other_bot_messages_;
      }
    }
    respond(tandem::json_response(200, json{{"event_id", event_id}}));
    wake_syncs();
    check_caught_up();
  }

  /// Rate mode: says so each time a request finds the bot caught up (every event released and
  /// synced past, every command answered), so a caller can wait for the bot it started last.
  void check_caught_up() {
    if (s_.mode != "rate" || released_ < s_.events) return;
    if (last_sync_since_ < released_through_people()) return;
    for (const auto& [id, c] : commands_) {
      if (c.replies.empty()) return;
    }
    std::cout << json{{"caught_up", true}, {"events", people_events_.size()}}.dump() << std::endl;
  }

  /// The position of the latest event people posted (the bot's own come after it, or between).
  std::size_t released_through_people() const {
    if (people_events_.empty()) return 0;
    return index_.at(people_events_.back());
  }

  void print_report() {
    if (!s_.events_out.empty()) {
      std::ofstream out(s_.events_out);
      for (const auto& id : people_events_) out << id << '\n';
    }
    std::size_t answered = 0;
    std::size_t duplicates = 0;
    for (const auto& [id, c] : commands_) {
      if (!c.replies.empty()) ++answered;
      if (c.replies.size() > 1) duplicates += c.replies.size() - 1;
    }
    json report{{"mode", s_.mode},
                {"events", people_events_.size()},
                {"flood_events", released_},
                {"batches", batches_},
                {"syncs", syncs_},
                {"limited_syncs", limited_syncs_},
                {"messages_requests", messages_requests_},
                {"commands", commands_.size()},
                {"commands_answered", answered},
                {"duplicate_replies", duplicates},
                {"retransmissions", retransmissions_},
                {"bot_events", bot_events_},
                {"other_bot_messages", other_bot_messages_},
                {"reply_ms_p50", percentile(latencies_ms_, 50)},
                {"reply_ms_p90", percentile(latencies_ms_, 90)},
                {"reply_ms_p99", percentile(latencies_ms_, 99)},
                {"reply_ms_max", percentile(latencies_ms_, 100)}};
    if (flood_end_) {
      const double seconds = seconds_between(flood_start_, *flood_end_);
      report["flood_seconds"] = seconds;
      report["flood_events_per_second"] = static_cast<double>(released_) / seconds;
      report["server_cpu_seconds_in_flood"] = cpu_at_flood_end_ - cpu_at_flood_start_;
    }
    if (commands_end_ && flood_end_) report["commands_seconds"] = seconds_between(*flood_end_, *commands_end_);
    std::cout << json{{"report", report}}.dump() << std::endl;
  }

  struct command_state {
    steady::time_point entered;
    std::vector<std::string> replies;  ///< distinct events the bot sent in reply (not retransmissions)
  };

  asio::io_context& io_;
  settings s_;
  tandem::http_server server_;
  asio::steady_timer release_timer_;
  asio::steady_timer command_timer_;
  std::vector<stored_event> events_;
  std::vector<stored_event> prepared_;                  ///< paced mode: the flood, not yet in the room
  std::unordered_map<std::string, std::size_t> index_;  ///< event id -> position
  std::vector<std::string> people_events_;              ///< what people posted, in order
  std::map<std::string, json> filters_;
  std::map<std::string, json> account_data_;
  std::unordered_map<std::string, std::string> txn_answers_;  ///< path (one device) -> event id
  std::map<std::string, command_state> commands_;
  std::vector<std::shared_ptr<waiting_sync>> waiting_;
  std::vector<double> latencies_ms_;
  std::string current_command_;
  bool flood_started_ = false;
  steady::time_point flood_start_;
  steady::time_point last_release_;
  std::optional<steady::time_point> flood_end_;
  std::optional<steady::time_point> commands_end_;
  double cpu_at_flood_start_ = 0;
  double cpu_at_flood_end_ = 0;
  std::size_t released_ = 0;
  std::size_t batches_ = 0;
  std::size_t syncs_ = 0;
  std::size_t limited_syncs_ = 0;
  std::size_t messages_requests_ = 0;
  std::size_t retransmissions_ = 0;
  std::size_t bot_events_ = 0;
  std::size_t other_bot_messages_ = 0;
  std::size_t commands_sent_ = 0;
  std::size_t synced_to_ = 0;
  std::size_t last_sync_since_ = 0;
};

int usage() {
  std::cerr << "usage: tandem_matrix_flood_homeserver [--mode paced|rate] [--events N] [--batch N] [--commands N]\n"
               "         [--gap-ms N] [--settle-ms N] [--rate N] [--command-every N] [--guests N] [--token T]\n"
               "         [--events-out FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string value = argv[++i];
    if (arg == "--mode")
      s.mode = value;
    else if (arg == "--events")
      s.events = std::stoul(value);
    else if (arg == "--batch")
      s.batch = std::max<std::size_t>(1, std::stoul(value));
    else if (arg == "--commands")
      s.commands = std::stoul(value);
    else if (arg == "--gap-ms")
      s.gap = milliseconds{std::stol(value)};
    else if (arg == "--settle-ms")
      s.settle = milliseconds{std::stol(value)};
    else if (arg == "--rate")
      s.rate = std::stod(value);
    else if (arg == "--command-every")
      s.command_every = std::stoul(value);
    else if (arg == "--guests")
      s.guests = std::stoul(value);
    else if (arg == "--token")
      s.token = value;
    else if (arg == "--events-out")
      s.events_out = value;
    else
      return usage();
  }
  if (s.mode != "paced" && s.mode != "rate") return usage();
  asio::io_context io;
  flood_homeserver server(io, s);
  const auto port = server.start();
  std::cout << json{{"listening", port}}.dump() << std::endl;
  std::thread reader([&io, &server] {
    std::string line;
    while (std::getline(std::cin, line)) {
      asio::post(io, [&server, line] { server.control(line); });
    }
    asio::post(io, [&server] { server.stop(); });
  });
  reader.detach();
  io.run();
  return 0;
}
