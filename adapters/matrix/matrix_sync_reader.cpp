#include "adapters/matrix/matrix_wire.h"

// read_sync_response(text): a /sync body read straight from its text with nlohmann's SAX
// interface, without building a document for the whole response. A batch of 1,000 events is
// mostly envelope (ids, senders, types, `unsigned`), which goes straight into client_event
// strings; only each event's `content` (and the rare parts: invites, account data) becomes a
// document. The result and the refusals are those of from_json over json::parse (the wire tests
// compare both on the same bodies).

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tandem::matrix {
namespace {

using nlohmann::json;

/// Builds a document from SAX events (the parts kept as JSON).
class document_builder {
 public:
  void begin(json& target) {
    root_ = &target;
    stack_.clear();
    started_ = false;
  }
  bool active() const { return root_ != nullptr; }
  /// True once the value being built is complete.
  bool done() const { return root_ != nullptr && started_ && stack_.empty(); }
  void finish() { root_ = nullptr; }

  void value(json v) {
    json* slot = place();
    *slot = std::move(v);
  }
  void start_object() { open(json::object()); }
  void start_array() { open(json::array()); }
  void key(std::string& k) { key_ = std::move(k); }
  void end() { stack_.pop_back(); }

 private:
  json* place() {
    if (!started_) {
      started_ = true;
      return root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(nullptr);
      return &parent.back();
    }
    return &parent[std::move(key_)];
  }
  void open(json empty) {
    json* slot = place();
    *slot = std::move(empty);
    stack_.push_back(slot);
  }

  json* root_ = nullptr;
  std::vector<json*> stack_;
  std::string key_;
  bool started_ = false;
};

/// Why reading stopped: a refusal from_json would throw (re-thrown as a json::exception).
struct refused {
  std::string what;
};

class sync_handler {
 public:
  explicit sync_handler(sync_response& out) : out_(out) {}

  // Where the parser is. Each object or array pushes a frame; values inside it are routed by
  // the frame and the last key.
  enum class at {
    root,
    rooms,
    join,
    joined_room,
    room_state,
    timeline,
    events,
    event,
    skip,
    leave,
  };

  bool null() { return scalar(nullptr); }
  bool boolean(bool v) { return scalar(v); }
  bool number_integer(json::number_integer_t v) { return scalar(v); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(v); }
  bool number_float(json::number_float_t v, const std::string&) { return scalar(v); }
  bool string(std::string& v) { return scalar(std::move(v)); }
  bool binary(json::binary_t& v) { return scalar(json::binary_t(std::move(v))); }

  bool key(std::string& k) {
    if (dom_.active()) {
      dom_.key(k);
      return true;
    }
    key_ = std::move(k);
    return true;
  }

  bool start_object(std::size_t) {
    if (dom_.active()) {
      dom_.start_object();
      return true;
    }
    return open(true);
  }
  bool start_array(std::size_t) {
    if (dom_.active()) {
      dom_.start_array();
      return true;
    }
    return open(false);
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t, const std::string&, const json::exception& e) {
    syntax_error_ = e.what();
    return false;
  }

  /// After sax_parse: throws what from_json would, else fills in what needs the whole response.
  void finish() {
    if (refusal_) throw json::type_error::create(302, refusal_->what, nullptr);
    if (!syntax_error_.empty()) throw json::parse_error::create(101, 0, syntax_error_, nullptr);
    if (!saw_root_object_) throw json::type_error::create(302, "a sync response must be an object", nullptr);
    if (!next_batch_) throw json::out_of_range::create(403, "key 'next_batch' not found", nullptr);
    out_.next_batch = std::move(*next_batch_);
    std::sort(out_.leave.begin(), out_.leave.end());  // as a document's keys come: sorted, once each
    out_.leave.erase(std::unique(out_.leave.begin(), out_.leave.end()), out_.leave.end());
    for (auto& [room_id, r] : out_.join) {
      for (auto& e : r.timeline.events.events) {
        if (e.room_id.empty()) e.room_id = room_id;
      }
      for (auto& e : r.state.events) {
        if (e.room_id.empty()) e.room_id = room_id;
      }
    }
    if (invite_.is_object()) {
      for (const auto& [room_id, value] : invite_.items()) out_.invite.emplace(room_id, value.get<invited_room>());
    }
    if (account_data_.is_object()) {
      if (const auto it = account_data_.find("events"); it != account_data_.end() && it->is_array()) {
        for (const json& item : *it) {
          if (!item.is_object() || !item.contains("type") || !item["type"].is_string()) continue;
          client_event e;
          e.type = item["type"].get<std::string>();
          if (const auto c = item.find("content"); c != item.end() && c->is_object()) e.content = *c;
          out_.account_data.push_back(std::move(e));
        }
      }
    }
  }

 private:
  struct frame {
    at where;
    std::string key;  ///< the key this object or array is the value of (in its parent)
  };

  at where() const { return frames_.empty() ? at::root : frames_.back().where; }

  bool refuse(std::string what) {
    refusal_ = refused{std::move(what)};
    return false;
  }

  /// Starts capturing the value that begins now into `target` as a document.
  void capture(json& target, bool object) {
    dom_.begin(target);
    if (object) {
      dom_.start_object();
    } else {
      dom_.start_array();
    }
  }

  bool open(bool object) {
    if (!saw_root_) {
      saw_root_ = true;
      saw_root_object_ = object;
      if (!object) return refuse("a sync response must be an object");
      frames_.push_back({at::root, ""});
      return true;
    }
    const at here = where();
    const std::string k = std::move(key_);
    at next = at::skip;
    switch (here) {
      case at::root:
        if (k == "rooms" && object) next = at::rooms;
        if (k == "account_data" && object) {
          capture(account_data_, true);
          return true;
        }
        break;
      case at::rooms:
        if (k == "join" && object) next = at::join;
        if (k == "invite" && object) {
          capture(invite_, true);
          return true;
        }
        if (k == "leave" && object) next = at::leave;
        break;
      case at::join:
        if (!object) return refuse("a joined room must be an object");
        room_ = &out_.join[k];
        next = at::joined_room;
        break;
      case at::joined_room:
        if (k == "timeline" && object) {
          next = at::timeline;
        } else if (k == "state" && object) {
          next = at::room_state;
        }
        break;
      case at::timeline:
      case at::room_state:
        if (k == "events") {
          if (object) return refuse("a list of events must be an array");
          list_ = here == at::timeline ? &room_->timeline.events : &room_->state;
          *list_ = event_list{};
          next = at::events;
        }
        break;
      case at::events:
        if (!object) {
          ++list_->malformed;  // an array where an event belongs
          break;
        }
        event_ = client_event{};
        event_ok_ = true;
        has_type_ = has_id_ = has_sender_ = false;
        next = at::event;
        break;
      case at::event:
        if (k == "content" && object) {
          capture(event_.content, true);
          return true;
        }
        if (k == "type" || k == "event_id" || k == "sender") event_ok_ = false;  // not a string
        break;
      case at::leave:
      case at::skip: break;
    }
    frames_.push_back({next, k});
    return true;
  }

  bool close() {
    if (dom_.active()) {
      dom_.end();
      if (dom_.done()) dom_.finish();
      return true;
    }
    if (frames_.empty()) return true;
    const frame done = std::move(frames_.back());
    frames_.pop_back();
    if (done.where == at::event) {
      if (event_ok_ && has_type_ && has_id_ && has_sender_) {
        list_->events.push_back(std::move(event_));
      } else {
        ++list_->malformed;
      }
    } else if (done.where == at::events) {
      list_ = nullptr;
    }
    if (where() == at::leave && done.where == at::skip) out_.leave.push_back(done.key);
    return true;
  }

  bool scalar(json v) {
    if (dom_.active()) {
      dom_.value(std::move(v));
      if (dom_.done()) dom_.finish();
      return true;
    }
    if (!saw_root_) {
      saw_root_ = true;
      return refuse("a sync response must be an object");
    }
    const std::string k = std::move(key_);
    switch (where()) {
      case at::root:
        if (k == "next_batch") {
          if (!v.is_string()) return refuse("next_batch must be a string");
          next_batch_ = std::move(v.get_ref<std::string&>());
        } else if (k == "rooms" || k == "account_data") {
          // not an object: as absent
        }
        break;
      case at::join: return refuse("a joined room must be an object");
      case at::joined_room: break;  // a timeline or state that is not an object: as absent
      case at::timeline:
        if (k == "limited" && v.is_boolean()) room_->timeline.limited = v.get<bool>();
        if (k == "prev_batch" && v.is_string()) room_->timeline.prev_batch = std::move(v.get_ref<std::string&>());
        if (k == "events") return refuse("a list of events must be an array");
        break;
      case at::room_state:
        if (k == "events") return refuse("a list of events must be an array");
        break;
      case at::events:
        ++list_->malformed;  // a string or number where an event belongs
        break;
      case at::event: event_field(k, std::move(v)); break;
      case at::leave:
        out_.leave.push_back(k);  // a left room whose value is not an object still counts
        break;
      case at::rooms:
      case at::skip: break;
    }
    return true;
  }

  void event_field(const std::string& k, json v) {
    const bool text = v.is_string();
    if (k == "type") {
      has_type_ = true;
      if (text) event_.type = std::move(v.get_ref<std::string&>());
      event_ok_ = event_ok_ && text;
    } else if (k == "event_id") {
      has_id_ = true;
      if (text) event_.event_id = std::move(v.get_ref<std::string&>());
      event_ok_ = event_ok_ && text;
    } else if (k == "sender") {
      has_sender_ = true;
      if (text) event_.sender = std::move(v.get_ref<std::string&>());
      event_ok_ = event_ok_ && text;
    } else if (k == "room_id") {
      event_.room_id = text ? std::move(v.get_ref<std::string&>()) : std::string{};
    } else if (k == "state_key") {
      if (text) {
        event_.state_key = std::move(v.get_ref<std::string&>());
      } else {
        event_.state_key.reset();
      }
    } else if (k == "origin_server_ts") {
      event_.origin_server_ts = v.is_number_integer() ? v.get<std::int64_t>() : 0;
    } else if (k == "content") {
      event_.content = json::object();  // not an object: as absent
    }
  }

  sync_response& out_;
  std::vector<frame> frames_;
  std::string key_;
  document_builder dom_;
  bool saw_root_ = false;
  bool saw_root_object_ = false;
  std::optional<std::string> next_batch_;
  std::optional<refused> refusal_;
  std::string syntax_error_;
  joined_room* room_ = nullptr;
  event_list* list_ = nullptr;
  client_event event_;
  bool event_ok_ = true;
  bool has_type_ = false;
  bool has_id_ = false;
  bool has_sender_ = false;
  json invite_;
  json account_data_;
};

}  // namespace

sync_response read_sync_response(std::string_view text) {
  sync_response out;
  sync_handler handler(out);
  json::sax_parse(text, &handler);
  handler.finish();
  return out;
}

}  // namespace tandem::matrix
