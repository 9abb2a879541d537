#include "adapters/matrix/matrix_reaction_targets.h"

#include "adapters/http/http_types.h"

namespace tandem::matrix {

using nlohmann::json;

namespace {
constexpr std::size_t remembered_targets = 4096;
}  // namespace

reaction_targets::reaction_targets(api_client& api, const adapter_context& context, std::string user_id)
    : api_(api), context_(context), user_id_(std::move(user_id)) {}

void reaction_targets::remember(const std::string& event_id, reaction_target target) {
  if (targets_.insert_or_assign(event_id, std::move(target)).second) order_.push_back(event_id);
  while (order_.size() > remembered_targets) {
    targets_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<reaction_target> reaction_targets::find(const std::string& event_id) const {
  if (auto it = targets_.find(event_id); it != targets_.end()) return it->second;
  return std::nullopt;
}

std::optional<reaction_target> reaction_targets::of(const client_event& e) const {
  if (!needs_reaction_target(e)) return std::nullopt;
  try {
    return find(e.content.get<reaction>().relates_to.event_id);
  } catch (const json::exception&) {
    return std::nullopt;  // translate_event ignores it too
  }
}

std::vector<std::pair<std::string, std::string>> reaction_targets::unknown_targets(
    const std::vector<client_event>& events) const {
  std::vector<std::pair<std::string, std::string>> unknown;
  for (const auto& e : events) {
    if (!needs_reaction_target(e) || e.sender == user_id_) continue;
    try {
      const auto r = e.content.get<reaction>();
      if (!r.relates_to.event_id.empty() && !targets_.contains(r.relates_to.event_id)) {
        unknown.emplace_back(e.room_id, r.relates_to.event_id);
      }
    } catch (const json::exception&) {
      // translate_event ignores it too
    }
  }
  return unknown;
}

bool reaction_targets::need_looking_up(const std::vector<client_event>& events) const {
  return !unknown_targets(events).empty();
}

boost::asio::awaitable<bool> reaction_targets::look_up(std::vector<client_event> events) {
  const auto unknown = unknown_targets(events);
  for (const auto& [room_id, event_id] : unknown) {
    if (targets_.contains(event_id)) continue;  // two reactions on one message
    const call_outcome outcome = co_await api_.co_call(
        "GET", "/rooms/" + percent_encode(room_id) + "/event/" + percent_encode(event_id), std::nullopt);
    if (const auto* f = std::get_if<request_failure>(&outcome)) {
      if (!f->is(404) && !f->is(403)) {
        context_.log("warn", "matrix: cannot fetch the message " + event_id + " a reaction is on: " + f->describe());
        co_return false;
      }
      remember(event_id, {});  // gone or hidden: not an answer Tandem can read
      continue;
    }
    reaction_target target;
    try {
      const auto message = std::get<json>(outcome).get<client_event>();
      target.sent_by_bot = message.sender == user_id_;
      if (target.sent_by_bot) target.answers = answers_in_content(message.content);
    } catch (const json::exception&) {
      target = {};
    }
    remember(event_id, std::move(target));
  }
  co_return true;
}

}  // namespace tandem::matrix
