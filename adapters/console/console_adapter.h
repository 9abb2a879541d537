#pragma once
// The console adapter: a chat with Tandem in the terminal, like Hubot's shell adapter. Lines
// typed become commands from the current person; Tandem's messages are printed, with their
// recipient when they are for someone else.

#include "adapters/outbound_adapter.h"
#include "core/inbound.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

namespace tandem {

/// A line typed at the console, translated.
struct console_line {
  enum class kind { message, switch_person, quit, empty };
  kind what = kind::empty;
  inbound event;       ///< for `message`
  std::string person;  ///< for `switch_person`: the new person's id
};

/// Translates typed lines to inbound events and prints outbound messages. Thread-safe.
class console_adapter final : public outbound_adapter {
 public:
  /// `session` makes dedup keys unique across runs (e.g. the start time in milliseconds).
  console_adapter(std::ostream& out, std::string person, std::string session, bool ansi);

  std::string platform() const override { return "console"; }

  /// Prints the message at once, to the current person or with its recipient's name.
  void deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
               std::function<void(delivery_result)> done) override;

  /// Translates one typed line at `now`: `/as NAME` switches person, `/quit` ends, anything
  /// else is a command from the current person in their DM with Tandem.
  console_line translate(const std::string& line, time_point now);

  /// The person typing now.
  std::string person() const;
  /// Changes who is typing.
  void switch_to(std::string person);
  /// The prompt for the current person, e.g. "ana> ".
  std::string prompt() const;

 private:
  mutable std::mutex mutex_;
  std::ostream& out_;
  std::string person_;
  std::string session_;
  bool ansi_;
  std::uint64_t line_number_ = 0;
};

}  // namespace tandem
