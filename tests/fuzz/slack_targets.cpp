// Slack's inbound wire formats: Events API bodies, slash commands, interactivity payloads and
// Socket Mode frames (adapters/slack/slack_inbound.h, slack_socket_mode.h).

#include "fuzz/fuzz_targets.h"

#include "adapters/slack/slack_inbound.h"
#include "adapters/slack/slack_socket_mode.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <variant>

namespace tandem::fuzz {
namespace {

using namespace tandem::slack;

const time_point arrival{std::chrono::seconds{1'800'000'000}};

void check_translation(const event_envelope& envelope) {
  const auto translated = translate_event(envelope, "UBOT");
  if (const auto* t = std::get_if<translated_event>(&translated)) {
    check(t->event.has_value() != !t->ignored.empty(), "a translated event is either an event or ignored");
  }
}

}  // namespace

void slack_event(std::string_view input) {
  const auto one_pass = parse_event_envelope(input);
  // The one-pass reader and the reader of a parsed document (Socket Mode) decide alike.
  const auto document = nlohmann::json::parse(input, nullptr, false);
  if (!document.is_discarded()) {
    const auto from_document = event_envelope_from_json(document);
    check(one_pass.index() == from_document.index(), "the one-pass and document readers agree on a body's validity");
    if (const auto* a = std::get_if<event_envelope>(&one_pass)) {
      check(*a == std::get<event_envelope>(from_document), "the one-pass and document readers read the same envelope");
    }
  }
  if (const auto* envelope = std::get_if<event_envelope>(&one_pass)) check_translation(*envelope);
}

void slack_command(std::string_view input) {
  const auto parsed_command = parse_slash_command(input);
  if (const auto* c = std::get_if<slash_command>(&parsed_command)) {
    const inbound event = to_inbound(*c, arrival);
    check(!event.dedup_key.empty(), "a slash command has a dedup key");
  }
}

void slack_interaction(std::string_view input) {
  const auto parsed_interaction = parse_interaction(input);
  if (const auto* i = std::get_if<interaction>(&parsed_interaction)) {
    check(!i->type.empty(), "an interaction has a type");
  }
}

void slack_socket_mode(std::string_view input) {
  const auto parsed_message = parse_socket_message(input);
  const auto* m = std::get_if<socket_message>(&parsed_message);
  if (m == nullptr || m->what != socket_message::kind::envelope) return;
  check(m->payload.is_object(), "an envelope's payload is an object");
  if (m->type == "events_api") {
    const auto envelope = event_envelope_from_json(m->payload);
    if (const auto* e = std::get_if<event_envelope>(&envelope)) check_translation(*e);
  } else if (m->type == "slash_commands") {
    const auto fields = slash_command_from_json(m->payload);
    if (const auto* c = std::get_if<slash_command>(&fields)) static_cast<void>(to_inbound(*c, arrival));
  } else if (m->type == "interactive") {
    static_cast<void>(interaction_from_json(m->payload));
  }
  const auto ack = nlohmann::json::parse(socket_ack(m->envelope_id, nullptr), nullptr, false);
  check(!ack.is_discarded() && ack.value("envelope_id", std::string{"?"}) == m->envelope_id,
        "an acknowledgement names its envelope");
}

}  // namespace tandem::fuzz
