#pragma once
// What a command handler outside engine.cpp decides, as values: the engine turns it into actions
// (replies and notices keyed by the inbound event, audit lines stamped with the sender).

#include "core/action.h"
#include "core/message.h"

#include <string>
#include <utility>
#include <vector>

namespace tandem {

/// A direct message to another person caused by a command.
struct notice {
  std::string person;  ///< person id
  message body;
  bool operator==(const notice&) const = default;
};

/// The outcome of one command: exactly one reply to the sender, plus state changes, audit lines
/// and notices. A plain value; built by pure handlers.
struct command_result {
  message reply;
  std::vector<action> changes;                             ///< state changes only, no messages
  std::vector<std::pair<std::string, std::string>> audit;  ///< (action, detail), by the sender
  std::vector<notice> notices;                             ///< at most one per person
  bool operator==(const command_result&) const = default;
};

/// A result that only replies.
inline command_result reply_only(std::string kind, nlohmann::json values) {
  return command_result{message{std::move(kind), std::move(values)}, {}, {}, {}};
}

}  // namespace tandem
