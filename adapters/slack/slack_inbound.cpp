#include "adapters/slack/slack_inbound.h"

#include "adapters/http/http_types.h"
#include "adapters/slack/slack_wire_fields.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>
#include <vector>

namespace tandem::slack {
namespace {

using json = nlohmann::json;
using namespace wire;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// The whole seconds of a Slack `ts` ("1355517523.000005"); nothing when it is not one.
std::optional<time_point> time_of_ts(std::string_view ts) {
  const auto dot = ts.find('.');
  const std::string_view whole = ts.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : ts.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || !std::ranges::all_of(whole, is_digit) ||
      !std::ranges::all_of(fraction, is_digit)) {
    return std::nullopt;
  }
  long long seconds = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  return time_point{std::chrono::seconds{seconds}};
}

/// Slack's three escapes, decoded.
std::string unescape(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 3> escapes{
      {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [code, c] : escapes) {
        if (text.substr(i, code.size()) == code) {
          out += c;
          i += code.size() - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i];
  }
  return out;
}

/// True when `token` (the inside of `<…>`) mentions `user`: "@U1" or "@U1|name".
bool mentions(std::string_view token, std::string_view user) {
  if (user.empty() || !token.starts_with('@')) return false;
  const std::string_view id =
      token.substr(1, token.find('|') == std::string_view::npos ? token.npos : token.find('|') - 1);
  return id == user;
}

/// The text with every mention of `bot_user_id` taken out; when the bot's id is not known and
/// `leading_mention_is_bot`, the mention the text starts with. Whitespace trimmed.
std::string without_bot_mention(std::string_view raw, std::string_view bot_user_id, bool leading_mention_is_bot) {
  std::string out;
  std::size_t i = 0;
  if (bot_user_id.empty() && leading_mention_is_bot) {
    const std::string_view start = trim(raw);
    if (start.starts_with("<@")) {
      const auto close = start.find('>');
      if (close != std::string_view::npos) return std::string(trim(start.substr(close + 1)));
    }
    return std::string(start);
  }
  while (i < raw.size()) {
    if (raw[i] == '<') {
      const auto close = raw.find('>', i);
      if (close != std::string_view::npos && mentions(raw.substr(i + 1, close - i - 1), bot_user_id)) {
        i = close + 1;
        continue;
      }
    }
    out += raw[i++];
  }
  return std::string(trim(out));
}

bool contains_mention_of(std::string_view raw, std::string_view bot_user_id) {
  for (std::size_t i = raw.find('<'); i != std::string_view::npos; i = raw.find('<', i + 1)) {
    const auto close = raw.find('>', i);
    if (close == std::string_view::npos) return false;
    if (mentions(raw.substr(i + 1, close - i - 1), bot_user_id)) return true;
  }
  return false;
}

translated_event ignore(std::string reason) { return {std::nullopt, std::move(reason)}; }

parsed<translated_event> translate_message(const event_envelope& envelope, std::string_view bot_user_id) {
  const inner_event& e = envelope.event;
  if (e.from_bot) return ignore("a bot's message");
  static constexpr std::array<std::string_view, 3> kept_subtypes{"file_share", "thread_broadcast", "me_message"};
  if (!e.subtype.empty() && std::ranges::find(kept_subtypes, e.subtype) == kept_subtypes.end()) {
    return ignore("message subtype " + e.subtype);
  }
  if (e.user.empty()) return ignore("a message without a user");
  if (!bot_user_id.empty() && e.user == bot_user_id) return ignore("Tandem's own message");
  required_fields fields;
  fields.require(e.channel, "channel", "event");
  fields.require(e.ts, "ts", "event");
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  const auto at = time_of_ts(e.ts);
  if (!at) return wire_error{"event.ts is not a Slack timestamp"};

  const bool direct =
      e.channel_type == "im" || (e.channel_type.empty() && e.type == "message" && is_direct_channel(e.channel));
  const bool mentioned = e.type == "app_mention" || contains_mention_of(e.text, bot_user_id);
  inbound event;
  event.dedup_key = "slack:" + envelope.team_id + ":" + e.channel + ":" + e.ts;
  event.sender = identity{"slack", envelope.team_id, e.user};
  event.conversation = e.channel;
  event.direct = direct;
  event.addressed = direct || mentioned;
  event.kind = event.addressed ? inbound_kind::command : inbound_kind::message;
  event.text =
      plain_text_from_slack(mentioned ? without_bot_mention(e.text, bot_user_id, e.type == "app_mention") : e.text);
  event.at = *at;
  if (!e.thread_ts.empty()) {
    event.reply_handle = "thread:" + e.thread_ts;
  } else if (event.addressed && !direct) {
    event.reply_handle = "thread:" + e.ts;
  }
  return translated_event{std::move(event), {}};
}

parsed<translated_event> translate_reaction(const event_envelope& envelope, std::string_view bot_user_id) {
  const inner_event& e = envelope.event;
  if (e.item_type != "message") return ignore("a reaction on something other than a message");
  required_fields fields;
  fields.require(e.user, "user", "event");
  fields.require(e.reaction, "reaction", "event");
  fields.require(e.item_channel, "channel", "event.item");
  if (!fields.missing().empty()) return wire_error{fields.missing()};
  if (!bot_user_id.empty() && e.user == bot_user_id) return ignore("Tandem's own reaction");
  std::optional<time_point> at = time_of_ts(e.event_ts);
  if (!at) return wire_error{"event.event_ts is not a Slack timestamp"};
  inbound event;
  event.dedup_key = "slack:" + envelope.team_id + ":event:" + envelope.event_id;
  event.sender = identity{"slack", envelope.team_id, e.user};
  event.conversation = e.item_channel;
  event.direct = is_direct_channel(e.item_channel);
  event.addressed = !bot_user_id.empty() && e.item_user == bot_user_id;
  event.kind = inbound_kind::reaction;
  event.text = e.reaction;
  event.at = *at;
  return translated_event{std::move(event), {}};
}

/// Reads an Events API envelope from the events of nlohmann's SAX interface, keeping only what
/// event_envelope holds: the parser's events for a body, or a parsed value's (replay) for
/// Socket Mode. The last of repeated keys wins, as in a parsed value.
class envelope_reader {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  bool null() { return other_value(false); }
  bool boolean(bool value) {
    if (where() == place::authorization && key_ == "is_bot") authorization_is_bot_ = value;
    return other_value(true);
  }
  bool number_integer(number_integer_t) { return other_value(true); }
  bool number_unsigned(number_unsigned_t) { return other_value(true); }
  bool number_float(number_float_t, const string_t&) { return other_value(true); }
  bool binary(binary_t&) { return other_value(true); }
  bool string(string_t& value) {
    std::string* field = field_for_key();
    other_value(true);
    if (field != nullptr) *field = std::move(value);
    return true;
  }
  bool key(string_t& name) {
    key_ = std::move(name);
    return true;
  }
  bool start_object(std::size_t) {
    place inner = place::ignored;
    if (places_.empty()) {
      inner = place::top;
      is_object_ = true;
    } else if (where() == place::top && key_ == "event") {
      inner = place::event;
      has_event_ = true;
      out_.event = {};
    } else if (where() == place::event && key_ == "item") {
      inner = place::item;
      out_.event.item_type.clear();
      out_.event.item_channel.clear();
    } else if (where() == place::authorizations) {
      inner = place::authorization;
      authorization_user_.clear();
      authorization_is_bot_ = false;
    } else {
      other_value(true);
    }
    places_.push_back(inner);
    return true;
  }
  bool end_object() {
    if (where() == place::authorization && authorization_is_bot_ && out_.authorized_bot_user.empty()) {
      out_.authorized_bot_user = std::move(authorization_user_);
    }
    places_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    place inner = place::ignored;
    if (where() == place::top && key_ == "authorizations") {
      inner = place::authorizations;
      out_.authorized_bot_user.clear();
    } else if (!places_.empty()) {
      other_value(true);
    }
    places_.push_back(inner);
    return true;
  }
  bool end_array() {
    places_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  /// The envelope read, or what it lacks.
  parsed<event_envelope> envelope() && {
    if (!is_object_) return wire_error{"the body is not a JSON object"};
    required_fields fields;
    fields.require(out_.type, "type");
    if (out_.type == "url_verification") {
      fields.require(out_.challenge, "challenge");
    } else if (out_.type == "event_callback") {
      fields.require(out_.team_id, "team_id");
      fields.require(out_.event_id, "event_id");
      if (!has_event_ && fields.missing().empty()) return wire_error{"event missing"};
      if (has_event_) fields.require(out_.event.type, "type", "event");
    }
    if (!fields.missing().empty()) return wire_error{fields.missing()};
    // Each type holds only its own fields (a url_verification names no workspace).
    if (out_.type != "event_callback") {
      out_.event_id.clear();
      out_.event = {};
      out_.authorized_bot_user.clear();
    }
    if (out_.type == "url_verification") {
      out_.team_id.clear();
    } else {
      out_.challenge.clear();
    }
    return std::move(out_);
  }

 private:
  enum class place { top, event, item, authorizations, authorization, ignored };

  [[nodiscard]] place where() const { return places_.empty() ? place::ignored : places_.back(); }

  // The string field the current key names where the reader is, if it keeps one.
  std::string* field_for_key() {
    switch (where()) {
      case place::top:
        if (key_ == "type") return &out_.type;
        if (key_ == "challenge") return &out_.challenge;
        if (key_ == "team_id") return &out_.team_id;
        if (key_ == "event_id") return &out_.event_id;
        return nullptr;
      case place::event: {
        inner_event& e = out_.event;
        for (auto [name, field] : {std::pair{"type", &e.type},
                                   {"subtype", &e.subtype},
                                   {"user", &e.user},
                                   {"text", &e.text},
                                   {"channel", &e.channel},
                                   {"channel_type", &e.channel_type},
                                   {"ts", &e.ts},
                                   {"thread_ts", &e.thread_ts},
                                   {"event_ts", &e.event_ts},
                                   {"reaction", &e.reaction},
                                   {"item_user", &e.item_user}}) {
          if (key_ == name) return field;
        }
        return nullptr;
      }
      case place::item:
        if (key_ == "type") return &out_.event.item_type;
        if (key_ == "channel") return &out_.event.item_channel;
        return nullptr;
      case place::authorization: return key_ == "user_id" ? &authorization_user_ : nullptr;
      case place::authorizations:
      case place::ignored: return nullptr;
    }
    return nullptr;
  }

  // A value arrives under the current key: what the key held before is forgotten (a string
  // field it names is emptied, `event` is no object any more), and `bot_id` marks a bot's event
  // unless it is null.
  bool other_value(bool not_null) {
    if (std::string* field = field_for_key()) field->clear();
    if (where() == place::top && key_ == "event") has_event_ = false;
    if (where() == place::event && key_ == "bot_id") out_.event.from_bot = not_null;
    return true;
  }

  event_envelope out_;
  std::vector<place> places_;
  std::string key_;
  bool is_object_ = false;
  bool has_event_ = false;
  std::string authorization_user_;
  bool authorization_is_bot_ = false;
};

/// Hands `value` to a SAX reader as the parser would have read it.
template <typename Reader>
void replay(const json& value, Reader& reader) {
  switch (value.type()) {
    case json::value_t::object:
      reader.start_object(value.size());
      for (const auto& [name, member] : value.items()) {
        std::string key = name;
        reader.key(key);
        replay(member, reader);
      }
      reader.end_object();
      return;
    case json::value_t::array:
      reader.start_array(value.size());
      for (const json& element : value) replay(element, reader);
      reader.end_array();
      return;
    case json::value_t::string: {
      std::string text = value.get_ref<const std::string&>();
      reader.string(text);
      return;
    }
    case json::value_t::boolean: reader.boolean(value.get<bool>()); return;
    case json::value_t::number_integer: reader.number_integer(value.get<json::number_integer_t>()); return;
    case json::value_t::number_unsigned: reader.number_unsigned(value.get<json::number_unsigned_t>()); return;
    case json::value_t::number_float: reader.number_float(value.get<json::number_float_t>(), {}); return;
    case json::value_t::binary:
    case json::value_t::null:
    case json::value_t::discarded: reader.null(); return;
  }
}

}  // namespace

parsed<event_envelope> parse_event_envelope(std::string_view body) {
  envelope_reader reader;
  if (!json::sax_parse(body.begin(), body.end(), &reader)) return wire_error{"malformed JSON"};
  return std::move(reader).envelope();
}

parsed<event_envelope> event_envelope_from_json(const json& document) {
  envelope_reader reader;
  replay(document, reader);
  return std::move(reader).envelope();
}

parsed<translated_event> translate_event(const event_envelope& envelope, std::string_view bot_user_id) {
  const std::string& type = envelope.event.type;
  if (type == "message" || type == "app_mention") return translate_message(envelope, bot_user_id);
  if (type == "reaction_added") return translate_reaction(envelope, bot_user_id);
  return ignore("event type " + type + " is not used");
}

std::string plain_text_from_slack(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('<', i);
    const auto close = open == std::string_view::npos ? open : text.find('>', open);
    if (close == std::string_view::npos) {
      out += unescape(text.substr(i));
      break;
    }
    out += unescape(text.substr(i, open - i));
    const std::string_view token = text.substr(open + 1, close - open - 1);
    const auto bar = token.find('|');
    const std::string_view target = token.substr(0, bar);
    const std::string_view label = bar == std::string_view::npos ? std::string_view{} : token.substr(bar + 1);
    if (token.starts_with('@')) {
      out += "<" + std::string(target) + ">";
    } else if (token.starts_with('#')) {
      out += "#" + unescape(label.empty() ? target.substr(1) : label);
    } else if (token.starts_with('!')) {
      if (!label.empty()) {
        out += unescape(label);
      } else {
        out += "@" + std::string(target.substr(
                         1, target.find('^') == std::string_view::npos ? target.npos : target.find('^') - 1));
      }
    } else {
      out += unescape(target);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace tandem::slack
