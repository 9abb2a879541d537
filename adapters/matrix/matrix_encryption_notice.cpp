#include "adapters/matrix/matrix_encryption_notice.h"

#include "adapters/http/http_types.h"
#include "adapters/matrix/matrix_render.h"

namespace tandem::matrix {

using nlohmann::json;

namespace {

constexpr std::string_view encryption_notice_key = "matrix.encryption_notice.";
/// Said when prompts/ cannot be used (no templates given, or rendering failed): the text of
/// prompts/en/encryption_unsupported.mustache.
constexpr std::string_view encryption_notice_fallback =
    "I cannot read this room: its messages are end-to-end encrypted, and Tandem does not support "
    "encryption. Please talk to me in a room without encryption, or in a direct chat without it.";

}  // namespace

encryption_notices::encryption_notices(const session_tools& tools, const bot_account& bot) : tools_(tools), bot_(bot) {}

void encryption_notices::room_is_encrypted(const std::string& room_id, const std::string& sender) {
  if (noticed_.contains(room_id)) return;
  noticed_.insert(room_id);
  const std::string key = std::string{encryption_notice_key} + room_id;
  try {
    if (tools_.state.get(key)) return;
  } catch (const std::exception& e) {
    tools_.context.log("warn", std::string{"matrix: "} + e.what());
  }
  rendered_message text{std::string{encryption_notice_fallback}, {}};
  if (tools_.options.text_for) {
    try {
      text.markup = tools_.options.text_for("encryption_unsupported", identity{"matrix", bot_.workspace, sender});
    } catch (const std::exception& e) {
      tools_.context.log(
          "warn", std::string{"matrix: cannot render the encrypted-room notice, saying it in English: "} + e.what());
    }
  }
  const json content = notice_content(text, {});
  const std::string path = "/rooms/" + percent_encode(room_id) + "/send/m.room.message/" +
                           percent_encode(transaction_id_for("encryption:" + room_id));
  tools_.api.call("PUT", path, content, [this, room_id, key](const call_outcome& outcome) {
    if (const auto* f = std::get_if<request_failure>(&outcome)) {
      tools_.context.log("warn",
                         "matrix: could not tell " + room_id + " that encryption is not supported: " + f->describe());
      noticed_.erase(room_id);  // said at the next encrypted event
      return;
    }
    tools_.context.log("info", "matrix: " + room_id + " is encrypted; told the room that Tandem cannot read it");
    try {
      tools_.state.put(key, "sent");
    } catch (const std::exception& e) {
      tools_.context.log("warn", std::string{"matrix: "} + e.what());
    }
  });
}

}  // namespace tandem::matrix
