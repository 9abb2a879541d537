// Matrix's inbound wire formats: /sync responses, /messages pages and application-service
// transactions (adapters/matrix/matrix_wire.h), and the events in them translated.

#include "fuzz/fuzz_targets.h"

#include "adapters/matrix/matrix_translate.h"
#include "adapters/matrix/matrix_wire.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace tandem::fuzz {
namespace {

using namespace tandem::matrix;

const bot_account bot{"@tandem:example.org", "example.org"};

void check_translations(const std::vector<client_event>& events) {
  const reaction_target on_bot_message{true, {{"✅", "done 1"}}};
  for (const client_event& e : events) {
    for (const bool direct : {false, true}) {
      for (const auto& target : {std::optional<reaction_target>{}, std::optional{on_bot_message}}) {
        const auto event = translate_event(e, bot, direct, target);
        if (event) check(event->dedup_key == "matrix:" + e.event_id, "a Matrix event's dedup key is its event id");
      }
    }
  }
}

/// `T` read from `document` as from_json does, or nothing when from_json refuses it.
template <typename T>
std::optional<T> read(const nlohmann::json& document) {
  try {
    return document.get<T>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

/// The same through the reader that moves out of the document (take_messages_response, take_transaction).
template <typename T, typename Take>
std::optional<T> take(nlohmann::json document, Take take_from) {
  try {
    return take_from(std::move(document));
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

void matrix_sync(std::string_view input) {
  std::optional<sync_response> from_text;
  try {
    from_text = read_sync_response(input);
  } catch (const nlohmann::json::exception&) {
  }
  const auto document = nlohmann::json::parse(input, nullptr, false);
  if (document.is_discarded()) {
    check(!from_text, "a /sync body that is not JSON is refused");
    return;
  }
  // read_sync_response promises from_json's result and refusals over json::parse(text), for
  // documents whose objects name each member once: with a room's "timeline" given twice the two
  // kept different twins (found by the long run of 2026-12-07; homeservers send unique names).
  if (has_repeated_member_names(input)) return;
  check(from_text == read<sync_response>(document), "the /sync text reader and from_json agree");
  if (!from_text) return;
  for (const auto& [room_id, room] : from_text->join) {
    check_translations(room.timeline.events.events);
    check_translations(room.state.events);
  }
}

void matrix_messages(std::string_view input) {
  const auto document = nlohmann::json::parse(input, nullptr, false);
  if (document.is_discarded()) return;
  const auto copied = read<messages_response>(document);
  check(copied == take<messages_response>(document, take_messages_response),
        "a /messages page reads the same moved or copied");
  if (copied) check_translations(copied->chunk.events);
}

void matrix_transaction(std::string_view input) {
  const auto document = nlohmann::json::parse(input, nullptr, false);
  if (document.is_discarded()) return;
  const auto copied = read<transaction>(document);
  check(copied == take<transaction>(document, take_transaction), "a transaction reads the same moved or copied");
  if (copied) check_translations(copied->events.events);
}

}  // namespace tandem::fuzz
