#pragma once
// What the core wants said, as a template kind with its values; rendering happens outside.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

/// A message kind names a template in prompts/<lang>/<kind>.mustache; values fill it.
struct message {
  std::string kind;
  nlohmann::json values = nlohmann::json::object();
  bool operator==(const message&) const = default;
};

/// A one-click answer offered with a message: a button on Slack, a reaction on Matrix, a signed
/// link for webhooks. Choosing it sends `command` as if the person had typed it; when
/// `needs_reason`, the platform asks for the rest of the command first (a reason, a note).
struct answer {
  std::string kind;     ///< "done", "blocked": names the label in prompts/<lang>/answer_label.mustache
  std::string command;  ///< "done 12"
  std::string emoji;    ///< the reaction that stands for it where buttons do not exist
  bool needs_reason = false;
  bool operator==(const answer&) const = default;
};

/// Offers answers with a message: they travel in its values, under "answers".
void offer_answers(message& m, const std::vector<answer>& answers);
/// The answers a message offers (none when it offers none).
std::vector<answer> answers_of(const message& m);

/// What a template of a kind may use: the names of its top-level values and, for lists,
/// the fields of their items. The template catalog rejects templates that use anything else.
struct message_kind_spec {
  std::string kind;
  std::vector<std::string> variables;
};

/// Every message kind the core can produce, with the variables it always provides.
const std::vector<message_kind_spec>& message_kinds();

}  // namespace tandem
