#pragma once
// Tandem's messages as Matrix content: neutral markup to HTML plus a plain body, answers as
// reactions, and transaction ids derived from outbox rows. Pure functions; no I/O.

#include "adapters/matrix/matrix_translate.h"
#include "adapters/outbound_adapter.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::matrix {

/// Neutral markup (core/markup.h) as Matrix HTML: **bold** -> <strong>, `code` -> <code>,
/// [label](url) -> <a href>, "- " lines -> <ul><li>, other line breaks -> <br>; everything
/// else escaped, and an '@' of text followed by a zero-width space (never a mention).
std::string markup_to_html(std::string_view markup);

/// Where a notice goes and whom it mentions.
struct notice_options {
  std::vector<std::string> mention_user_ids;  ///< put in `m.mentions` (never the bot itself)
  std::optional<std::string> in_reply_to;     ///< event id the notice replies to
};

/// The content of one of Tandem's messages: `m.notice` (bots must not trigger other bots) with
/// a plain `body` (each '@' followed by a zero-width space, so that "@room" or a user id in a
/// title pings nobody even on a homeserver older than `m.mentions`) and an HTML
/// `formatted_body`, `m.mentions` (`{}` when nobody: the only mentions), an optional
/// rich-reply relation, and, when `message` offers answers, a last line naming each reaction
/// (`✅ Done · ⛔ Blocked`) and the answers under `answers_content_key`.
nlohmann::json notice_content(const rendered_message& message, const notice_options& options);

/// The content of a reaction by the bot on its own message, so a person answers with one click.
nlohmann::json reaction_content(std::string_view event_id, std::string_view key);

/// The transaction id of the send of one outbox row: stable for the same `idempotency_key`
/// (a retry is the same message), different for different keys (a new message never reuses
/// one). URL-safe: "tandem" and the first 32 hex digits of the key's SHA-256. `part` tells apart
/// several sends of one row (its reactions).
std::string transaction_id_for(std::string_view idempotency_key, std::string_view part = "");

}  // namespace tandem::matrix
